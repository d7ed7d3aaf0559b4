//! The model against the kernel rules it encodes, per arch and kernel version.

use cloneabi_arch::{Arch, KernelVersion};
use cloneabi_suites::case::{Call, Case, SetTidSpec};
use cloneabi_suites::catalog::{all_cases, case_by_id};
use cloneabi_suites::model::{predict, Expectation, ModelEnv};
use rstest::rstest;

fn env(arch: Arch, kernel: (u32, u32, u32)) -> ModelEnv {
    ModelEnv {
        arch,
        kernel: KernelVersion::new(kernel.0, kernel.1, kernel.2),
        page_size: arch.abi().default_page_size,
        pid_max: 32768,
        payload_level: 1,
        caller_is_admin: true,
        cgroup2_errno: 0,
        namespaces: 0xff,
        assume: None,
    }
}

fn case(id: &str) -> Case {
    case_by_id(id).unwrap_or_else(|| panic!("no case {id}"))
}

fn outcome(id: &str, arch: Arch, kernel: (u32, u32, u32)) -> String {
    predict(&case(id), &env(arch, kernel)).outcome()
}

#[rstest]
#[case("sizes.zero", "EINVAL")]
#[case("sizes.below_ver0_56", "EINVAL")]
#[case("sizes.ver0", "ok")]
#[case("sizes.ver2_plus_8.zero_tail", "ok")]
#[case("sizes.ver2_plus_8.nonzero_tail", "E2BIG")]
#[case("sizes.ver2_plus_16.nonzero_tail", "E2BIG")]
#[case("sizes.page", "ok")]
#[case("sizes.page_plus_8", "E2BIG")]
#[case("sizes.tail_into_unmapped_page", "EFAULT")]
#[case("sizes.struct_into_unmapped_page", "EFAULT")]
#[case("sizes.args_null", "EFAULT")]
#[case("sizes.args_null.huge_size", "E2BIG")]
#[case("sizes.args_null.size_zero", "EINVAL")]
#[case("exit_signal.sig_64", "ok")]
#[case("exit_signal.sig_65", "EINVAL")]
#[case("exit_signal.high_32_bits", "EINVAL")]
#[case("flags.bit.22.clone_detached", "EINVAL")]
#[case("flags.bit.12.clone_pidfd", "EFAULT")]
#[case("flags.bit.33.clone_into_cgroup", "EBADF")]
#[case("flags.bit.40.unassigned", "EINVAL")]
#[case("flags.combo.pidfd_parent_settid_same", "EINVAL")]
#[case("flags.combo.newipc_sysvsem", "EINVAL")]
#[case("flags.combo.parent_from_ns_init", "EINVAL")]
#[case("flags.combo.newpid_after_unshare_newpid", "EINVAL")]
#[case("set_tid.value.in_use", "EEXIST")]
#[case("set_tid.newpid.not_one", "EINVAL")]
#[case("set_tid.unshared.no_reaper", "EINVAL")]
#[case("set_tid.array.zero.size_33", "EINVAL")]
#[case("set_tid.nested.newpid_more_than_levels", "EINVAL")]
#[case("set_tid.depth.32", "ok")]
#[case("caps.set_tid.pid1_no_caps", "EPERM")]
#[case("caps.set_tid.range_before_caps", "EINVAL")]
#[case("caps.userns.own_pidns_pid1", "ok")]
#[case("caps.userns.outer_level_denied", "EPERM")]
#[case("caps.newpid.no_sys_admin.set_tid", "EPERM")]
#[case("legacy.pidfd_with_parent_settid", "EINVAL")]
#[case("legacy.detached_ignored", "ok")]
fn predicted_on_6_1(
    #[case] id: &str,
    #[case] want: &str,
    #[values(
        Arch::X86_64,
        Arch::Aarch64,
        Arch::S390x,
        Arch::Powerpc64le,
        Arch::Powerpc64
    )]
    arch: Arch,
) {
    assert_eq!(outcome(id, arch, (6, 1, 0)), want, "{id} on {arch}");
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
