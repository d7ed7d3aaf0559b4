//! The model against the kernel rules it encodes, per arch and kernel version.

use cloneabi_arch::{Arch, KernelVersion};
use cloneabi_suites::case::{Call, Case, SetTidSpec};
use cloneabi_suites::catalog::{all_cases, case_by_id};
use cloneabi_suites::model::{predict, Expectation, ModelEnv};
use rstest::rstest;

fn env(arch: Arch, kernel: (u32, u32, u32)) -> ModelEnv {
    ModelEnv::nominal(arch, KernelVersion::new(kernel.0, kernel.1, kernel.2))
}

fn case(id: &str) -> Case {
    case_by_id(id).unwrap_or_else(|| panic!("no case {id}"))
}

fn outcome(id: &str, arch: Arch, kernel: (u32, u32, u32)) -> String {
    predict(&case(id), &env(arch, kernel)).outcome()
}

#[rstest]
#[case("caps.set_tid.checkpoint_restore_only", (5, 8, 0), "EPERM")]
#[case("caps.set_tid.checkpoint_restore_only", (5, 9, 0), "ok")]
#[case("flags.combo.pidfd_thread", (6, 8, 0), "EINVAL")]
#[case("flags.combo.pidfd_thread", (6, 9, 0), "ok")]
#[case("flags.newtime", (6, 2, 0), "EINVAL")]
#[case("flags.newtime", (6, 3, 0), "ok")]
#[case("flags.newtime", (6, 1, 100), "ok")]
#[case("sizes.ver1_with_cgroup_member", (5, 6, 0), "E2BIG")]
#[case("sizes.ver1_with_cgroup_member", (5, 7, 0), "ok")]
#[case("flags.bit.32.clone_clear_sighand", (5, 4, 0), "EINVAL")]
#[case("flags.bit.32.clone_clear_sighand", (5, 5, 0), "ok")]
#[case("flags.bit.33.clone_into_cgroup", (5, 6, 0), "EINVAL")]
fn version_gates(#[case] id: &str, #[case] kernel: (u32, u32, u32), #[case] want: &str) {
    assert_eq!(
        outcome(id, Arch::X86_64, kernel),
        want,
        "{id} on {kernel:?}"
    );
}

/// The kernel answers clone3 on arm64 from 5.3 (only the uapi export of __NR_clone3 waited
/// for 5.5 / 5.4.12).
#[test]
fn arm64_has_clone3_from_5_3() {
    assert_eq!(outcome("sizes.ver2", Arch::Aarch64, (5, 2, 0)), "ENOSYS");
    assert_eq!(outcome("sizes.ver2", Arch::Aarch64, (5, 3, 0)), "ok");
    assert_eq!(outcome("sizes.ver2", Arch::Aarch64, (5, 4, 0)), "ok");
    assert_eq!(outcome("sizes.ver2", Arch::X86_64, (5, 4, 0)), "ok");
}

#[test]
fn settls_range_is_checked_on_x86_64_only() {
    assert_eq!(
        outcome("outputs.settls.kernel_address", Arch::X86_64, (6, 1, 0)),
        "EPERM"
    );
    for arch in [
        Arch::Aarch64,
        Arch::S390x,
        Arch::Powerpc64le,
        Arch::Powerpc64,
    ] {
        assert_eq!(
            outcome("outputs.settls.kernel_address", arch, (6, 1, 0)),
            "ok",
            "{arch}"
        );
    }
}

#[test]
fn page_size_comes_from_the_target() {
    let c = case("sizes.page");
    let mut e = env(Arch::Powerpc64le, (6, 1, 0));
    e.page_size = 65536;
    assert_eq!(predict(&c, &e).outcome(), "ok");
}

#[test]
fn missing_environment_is_a_skip_with_a_reason() {
    let mut e = env(Arch::X86_64, (6, 1, 0));
    e.cgroup2_errno = 13;
    match predict(&case("cgroup.into.valid"), &e) {
        Expectation::Skip { reason } => assert!(reason.contains("cgroup2"), "{reason}"),
        other => panic!("expected a skip, got {other:?}"),
    }
    e.payload_level = 3;
    assert!(matches!(
        predict(&case("set_tid.depth.32"), &e),
        Expectation::Skip { .. }
    ));
}

/// No case may succeed while choosing a pid outside the payload's own pid namespace: the
/// levels above it belong to the host.
#[rstest]
fn no_case_chooses_a_host_pid(#[values(0, 1, 2)] payload_level: u32) {
    for c in all_cases() {
        let Call::Clone3(call) = &c.call else {
            continue;
        };
        let SetTidSpec::Pids(pids) = &call.set_tid else {
            continue;
        };
        let mut e = env(Arch::X86_64, (6, 1, 0));
        e.payload_level = payload_level;
        let newpid = u32::from(
            call.flags & cloneabi_suites::flags::CLONE_NEWPID != 0 || c.unshares_pid_ns(),
        );
        let levels = c.nested_levels() + newpid + 1;
        if pids.len() as u32 > levels {
            assert!(
                matches!(
                    predict(&c, &e),
                    Expectation::Errno { .. } | Expectation::Skip { .. }
                ),
                "{} names {} pids for {levels} levels and could succeed",
                c.id,
                pids.len()
            );
        }
    }
}

#[test]
fn every_case_has_a_prediction_on_every_arch_and_kernel() {
    for arch in Arch::ALL {
        for k in [
            (5, 3, 0),
            (5, 5, 0),
            (5, 10, 0),
            (6, 1, 0),
            (6, 12, 0),
            (6, 18, 0),
            (6, 19, 0),
            (7, 0, 0),
            (7, 1, 0),
            (7, 2, 12),
            (7, 3, 4),
        ] {
            for c in all_cases() {
                let p = predict(&c, &env(arch, k));
                assert!(!p.describe().is_empty());
            }
        }
    }
}

#[test]
fn a_wrapping_stack_range_is_refused_except_on_s390x() {
    for arch in [
        Arch::X86_64,
        Arch::Aarch64,
        Arch::Powerpc64le,
        Arch::Powerpc64,
    ] {
        assert_eq!(
            outcome("stack.wraps_address_space", arch, (6, 1, 0)),
            "EINVAL",
            "{arch}"
        );
    }
    assert_eq!(
        outcome("stack.wraps_address_space", Arch::S390x, (6, 1, 0)),
        "ok"
    );
}

#[test]
fn a_kernel_without_a_namespace_type_refuses_its_flag() {
    let mut e = env(Arch::Powerpc64, (6, 1, 192));
    e.namespaces = !(1 << 5); // every type but net
    assert_eq!(
        predict(&case("flags.bit.30.clone_newnet"), &e).outcome(),
        "EINVAL"
    );
    assert_eq!(
        predict(&case("flags.combo.all_namespaces"), &e).outcome(),
        "EINVAL"
    );
    assert_eq!(
        predict(&case("flags.bit.26.clone_newuts"), &e).outcome(),
        "ok"
    );
    // The capability check comes first.
    assert_eq!(
        predict(&case("caps.newnet.no_sys_admin"), &e).outcome(),
        "EPERM"
    );
}

fn rule(id: &str, arch: Arch, kernel: (u32, u32, u32)) -> String {
    match predict(&case(id), &env(arch, kernel)) {
        Expectation::Errno { rule, .. } => rule,
        other => panic!("{id} on {kernel:?}: {other:?}"),
    }
}

/// Where 6.12 and 7.3 both say EINVAL, the rule that says it differs: the new rule is the
/// one the kernel's copy_process()/kernel_clone() applies first.
#[rstest]
#[case(
    "flags.autoreap.exit_signal_sigchld",
    "CLONE_AUTOREAP with an exit_signal"
)]
// kernel_clone() tests valid_signal() before copy_process() runs.
#[case(
    "flags.autoreap.exit_signal_65",
    "exit_signal is not a valid signal (kernel_clone)"
)]
#[case("flags.autoreap.parent", "CLONE_AUTOREAP with CLONE_PARENT")]
#[case("flags.autoreap.thread", "CLONE_AUTOREAP with CLONE_THREAD")]
#[case("flags.autoreap.newns_fs", "CLONE_NEWNS with CLONE_FS")]
#[case("flags.nnp.thread", "CLONE_NNP with CLONE_THREAD")]
#[case(
    "flags.autokill.without_pidfd",
    "CLONE_PIDFD_AUTOKILL without CLONE_PIDFD"
)]
#[case(
    "flags.autokill.without_autoreap",
    "CLONE_PIDFD_AUTOKILL without CLONE_AUTOREAP"
)]
#[case("flags.autokill.thread", "CLONE_AUTOREAP with CLONE_THREAD")]
#[case("caps.autokill.no_caps.thread", "CLONE_AUTOREAP with CLONE_THREAD")]
#[case(
    "caps.autokill.no_caps.without_autoreap",
    "CLONE_PIDFD_AUTOKILL without CLONE_AUTOREAP"
)]
#[case("flags.empty_mntns.fs", "CLONE_NEWNS with CLONE_FS")]
#[case(
    "caps.empty_mntns.no_sys_admin",
    "a new namespace without CAP_SYS_ADMIN"
)]
fn the_7_1_rules_in_order(#[case] id: &str, #[case] want: &str) {
    assert_eq!(rule(id, Arch::X86_64, (7, 3, 4)), want, "{id}");
}

/// The success checks of the new flags' effects.
#[test]
fn the_7_1_flags_effects_are_checked() {
    use cloneabi_suites::model::checks::{Check, ChildEndSpec};
    let checks = |id: &str| match predict(&case(id), &env(Arch::X86_64, (7, 3, 4))) {
        Expectation::Success { checks } => checks,
        other => panic!("{id}: {other:?}"),
    };
    let autoreap = checks("flags.autoreap.pidfd");
    assert!(autoreap.contains(&Check::WaitEchild));
    assert!(autoreap.contains(&Check::PidfdReportsEnd(ChildEndSpec::Exited(0))));
    assert!(autoreap.contains(&Check::NoNewPrivs(0)));
    assert!(!autoreap.iter().any(|c| matches!(c, Check::ChildExited(_))));
    assert!(checks("flags.autoreap.without_pidfd").contains(&Check::WaitEchild));
    assert!(checks("flags.nnp.autoreap_pidfd").contains(&Check::NoNewPrivs(1)));
    let killed = checks("flags.autokill.close_kills");
    assert!(killed.contains(&Check::PidfdReportsEnd(ChildEndSpec::Killed(9))));
    assert!(killed.contains(&Check::SurvivesOtherPidfdClose));
    assert!(killed.contains(&Check::WaitEchild));
    let empty = checks("flags.empty_mntns.mounts");
    assert!(empty.contains(&Check::MountNsEmpty));
    assert!(!empty.iter().any(|c| matches!(c, Check::Namespaces { .. })));
}

/// A caller that is itself autoreaped: the setup needs CLONE_AUTOREAP, so a kernel without
/// it skips the case, naming that; from 7.1 its CLONE_PARENT is refused (copy_process(),
/// before copy_namespaces()' capability test) and its other children are ordinary ones.
#[rstest]
fn an_autoreaped_caller(
    #[values(Arch::X86_64, Arch::Aarch64, Arch::S390x, Arch::I386)] arch: Arch,
) {
    use cloneabi_suites::model::checks::Check;
    let ids = [
        "flags.autoreap.no_inherit",
        "flags.autoreap.caller_parent",
        "caps.autoreap.caller_parent.newns",
    ];
    for id in ids {
        for kernel in [(6, 1, 0), (6, 12, 0), (7, 0, 0)] {
            match predict(&case(id), &env(arch, kernel)) {
                Expectation::Skip { reason } => {
                    assert!(reason.contains("CLONE_AUTOREAP"), "{id}: {reason}")
                }
                other => panic!("{id} on {kernel:?}: {other:?}"),
            }
        }
    }
    let on_7_3 = env(arch, (7, 3, 4));
    let parent = "CLONE_PARENT from a caller that is itself autoreaped";
    assert_eq!(
        rule("flags.autoreap.caller_parent", arch, (7, 3, 4)),
        parent
    );
    assert_eq!(
        rule("caps.autoreap.caller_parent.newns", arch, (7, 1, 0)),
        parent
    );
    match predict(&case("flags.autoreap.no_inherit"), &on_7_3) {
        Expectation::Success { checks } => {
            assert!(checks.contains(&Check::ChildExited(0)), "{checks:?}");
            assert!(checks.contains(&Check::ExitSignal(17)), "{checks:?}");
            assert!(!checks.contains(&Check::WaitEchild), "{checks:?}");
        }
        other => panic!("{other:?}"),
    }
}

/// A child whose caller exits is adopted by the case process: still autoreaped with
/// CLONE_AUTOREAP, an ordinary child signalling SIGCHLD (whatever its exit_signal) without.
#[test]
fn an_adopted_child() {
    use cloneabi_suites::model::checks::{Check, ChildEndSpec};
    let checks = |id: &str, kernel| match predict(&case(id), &env(Arch::X86_64, kernel)) {
        Expectation::Success { checks } => checks,
        other => panic!("{id}: {other:?}"),
    };
    let autoreaped = checks("flags.autoreap.reparent", (7, 3, 4));
    for c in [
        Check::ChildAdopted,
        Check::WaitEchild,
        Check::ExitSignal(0),
        Check::PidfdReportsEnd(ChildEndSpec::Exited(0)),
    ] {
        assert!(autoreaped.contains(&c), "{c:?} in {autoreaped:?}");
    }
    for kernel in [(6, 1, 0), (7, 3, 4)] {
        let plain = checks("flags.autoreap.reparent.without_autoreap", kernel);
        for c in [
            Check::ChildAdopted,
            Check::ChildExited(0),
            Check::ExitSignal(17),
        ] {
            assert!(plain.contains(&c), "{c:?} in {plain:?}");
        }
    }
    let threaded = checks("flags.autoreap.multithreaded", (7, 3, 4));
    assert!(threaded.contains(&Check::ThreadOutlivedChild));
    assert!(threaded.contains(&Check::WaitEchild));
}

/// Cases that tell the old check order from the new: each outcome by release, "skip" where
/// neither source nor history says which side the release is on.
#[rstest]
#[case("exit_signal.order.sig_65_set_tid_unmapped", [
    "EINVAL", "EINVAL", "EINVAL", "skip", "skip", "skip", "EFAULT", "EFAULT"])]
#[case("legacy.exit_signal_65", ["ok", "ok", "ok", "skip", "skip", "skip", "EINVAL", "EINVAL"])]
#[case("set_tid.order.in_use_inner.bad_outer", [
    "EEXIST", "EEXIST", "EEXIST", "skip", "EINVAL", "EINVAL", "EINVAL", "EINVAL"])]
#[case("caps.order.no_reaper_inner.no_caps_outer", [
    "EINVAL", "EINVAL", "EINVAL", "skip", "EPERM", "EPERM", "EPERM", "EPERM"])]
#[case("set_tid.nested.payload_pid_max", ["EINVAL", "EINVAL", "ok", "ok", "ok", "ok", "ok", "ok"])]
fn old_and_new_orders(#[case] id: &str, #[case] want: [&str; 8]) {
    let kernels = [
        (6, 1, 0),
        (6, 12, 117),
        (6, 18, 44),
        (6, 19, 0),
        (7, 0, 0),
        (7, 1, 0),
        (7, 2, 12),
        (7, 3, 4),
    ];
    for arch in Arch::ALL {
        for (k, want) in kernels.iter().zip(want) {
            assert_eq!(outcome(id, arch, *k), want, "{id} on {k:?} {arch}");
        }
    }
}

#[test]
fn an_uncertain_release_names_the_gate_it_skips_for() {
    match predict(
        &case("exit_signal.order.sig_65_set_tid_unmapped"),
        &env(Arch::X86_64, (7, 0, 0)),
    ) {
        Expectation::Skip { reason } => {
            assert!(
                reason.contains("valid_signal() in kernel_clone()"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
    // A case the uncertain change does not decide is judged there.
    assert_eq!(
        outcome("exit_signal.sig_65", Arch::X86_64, (7, 0, 0)),
        "EINVAL"
    );
}

/// Where pid_max is per namespace, a nested namespace allows pids up to PID_MAX_LIMIT; the
/// payload's own pid_max then decides.
#[test]
fn per_namespace_pid_max_uses_the_payloads_value_for_its_own_level() {
    let mut e = env(Arch::X86_64, (7, 3, 4));
    e.pid_max = cloneabi_suites::model::PID_MAX_LIMIT;
    assert_eq!(
        predict(&case("set_tid.nested.payload_pid_max"), &e).outcome(),
        "EINVAL"
    );
}

/// Gates read from sources and history (the stable ChangeLogs Debian's changelog lists).
#[rstest]
#[case("flags.newtime", (6, 1, 19), "EINVAL")]
#[case("flags.newtime", (6, 1, 20), "ok")]
#[case("flags.newtime", (5, 15, 102), "EINVAL")]
#[case("flags.newtime", (5, 15, 103), "ok")]
#[case("flags.newtime", (5, 10, 174), "EINVAL")]
#[case("flags.newtime", (5, 10, 175), "ok")]
#[case("legacy.upper_flag_bits_ignored", (5, 4, 0), "ok")]
#[case("legacy.upper_flag_bits_ignored", (5, 6, 0), "ok")]
#[case("legacy.upper_flag_bits_ignored", (5, 7, 0), "ok")]
#[case("sizes.nonzero_tail_before_unmapped_page", (5, 3, 0), "E2BIG")]
#[case("sizes.nonzero_tail_before_unmapped_page", (6, 1, 0), "E2BIG")]
#[case("sizes.nonzero_tail_before_unmapped_page", (7, 3, 4), "E2BIG")]
#[case("sizes.tail_into_unmapped_page", (7, 3, 4), "EFAULT")]
fn gates_from_source_and_history(
    #[case] id: &str,
    #[case] kernel: (u32, u32, u32),
    #[case] want: &str,
) {
    assert_eq!(
        outcome(id, Arch::X86_64, kernel),
        want,
        "{id} on {kernel:?}"
    );
}

#[test]
fn a_stack_range_above_user_space_is_refused_except_on_s390x() {
    for arch in [
        Arch::X86_64,
        Arch::Aarch64,
        Arch::Powerpc64le,
        Arch::Powerpc64,
    ] {
        assert_eq!(
            outcome("stack.above_user_space", arch, (6, 1, 0)),
            "EINVAL",
            "{arch}"
        );
    }
    assert_eq!(
        outcome("stack.above_user_space", Arch::S390x, (6, 1, 0)),
        "ok"
    );
}
