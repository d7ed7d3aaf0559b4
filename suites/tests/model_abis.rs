//! The model's predictions that hold on every ABI of the table, one libtest-mimic trial per
//! ABI and case, named `model::<triple>::<test>::<case id>`: an ABI added to the table is
//! predicted here without a change to this file.

use cloneabi_arch::{Arch, KernelVersion};
use cloneabi_suites::case::Case;
use cloneabi_suites::catalog::case_by_id;
use cloneabi_suites::model::checks::Check;
use cloneabi_suites::model::{predict, Expectation, ModelEnv};
use libtest_mimic::{Arguments, Trial};

#[path = "support/trial.rs"]
mod support;
use support::trial;

fn env(arch: Arch, kernel: (u32, u32, u32)) -> ModelEnv {
    ModelEnv::nominal(arch, KernelVersion::new(kernel.0, kernel.1, kernel.2))
}

fn case(id: &str) -> Case {
    case_by_id(id).unwrap_or_else(|| panic!("no case {id}"))
}

fn outcome(id: &str, arch: Arch, kernel: (u32, u32, u32)) -> String {
    predict(&case(id), &env(arch, kernel)).outcome()
}

fn rule(id: &str, arch: Arch, kernel: (u32, u32, u32)) -> String {
    match predict(&case(id), &env(arch, kernel)) {
        Expectation::Errno { rule, .. } => rule,
        other => panic!("{id} on {kernel:?}: {other:?}"),
    }
}

/// Outcomes on 6.1 that no ABI changes.
const ON_6_1: &[(&str, &str)] = &[
    ("sizes.zero", "EINVAL"),
    ("sizes.below_ver0_56", "EINVAL"),
    ("sizes.ver0", "ok"),
    ("sizes.ver2_plus_8.zero_tail", "ok"),
    ("sizes.ver2_plus_8.nonzero_tail", "E2BIG"),
    ("sizes.ver2_plus_16.nonzero_tail", "E2BIG"),
    ("sizes.page", "ok"),
    ("sizes.page_plus_8", "E2BIG"),
    ("sizes.tail_into_unmapped_page", "EFAULT"),
    ("sizes.struct_into_unmapped_page", "EFAULT"),
    ("sizes.args_null", "EFAULT"),
    ("sizes.args_null.huge_size", "E2BIG"),
    ("sizes.args_null.size_zero", "EINVAL"),
    ("exit_signal.sig_64", "ok"),
    ("exit_signal.sig_65", "EINVAL"),
    ("exit_signal.high_32_bits", "EINVAL"),
    ("flags.bit.22.clone_detached", "EINVAL"),
    ("flags.bit.12.clone_pidfd", "EFAULT"),
    ("flags.bit.33.clone_into_cgroup", "EBADF"),
    ("flags.bit.40.unassigned", "EINVAL"),
    ("flags.combo.pidfd_parent_settid_same", "EINVAL"),
    ("flags.combo.newipc_sysvsem", "EINVAL"),
    ("flags.combo.parent_from_ns_init", "EINVAL"),
    ("flags.combo.newpid_after_unshare_newpid", "EINVAL"),
    ("set_tid.value.in_use", "EEXIST"),
    ("set_tid.newpid.not_one", "EINVAL"),
    ("set_tid.unshared.no_reaper", "EINVAL"),
    ("set_tid.array.zero.size_33", "EINVAL"),
    ("set_tid.nested.newpid_more_than_levels", "EINVAL"),
    ("set_tid.depth.32", "ok"),
    ("caps.set_tid.pid1_no_caps", "EPERM"),
    ("caps.set_tid.range_before_caps", "EINVAL"),
    ("caps.userns.own_pidns_pid1", "ok"),
    ("caps.userns.outer_level_denied", "EPERM"),
    ("caps.newpid.no_sys_admin.set_tid", "EPERM"),
    ("legacy.pidfd_with_parent_settid", "EINVAL"),
    ("legacy.detached_ignored", "ok"),
];

fn predicted_on_6_1(id: &str, want: &str, arch: Arch) {
    assert_eq!(outcome(id, arch, (6, 1, 0)), want, "{id} on {arch}");
}

/// Bits 34-37 are unknown flags before 7.1 (6.12 source), and follow their own rules from it
/// (7.2, 7.3 source): the outcome on 6.12, then on 7.3.
const THE_7_1_FLAGS: &[(&str, &str, &str)] = &[
    ("flags.bit.34.clone_autoreap", "EINVAL", "EINVAL"),
    ("flags.bit.35.clone_nnp", "EINVAL", "ok"),
    ("flags.bit.36.clone_pidfd_autokill", "EINVAL", "EINVAL"),
    ("flags.bit.37.clone_empty_mntns", "EINVAL", "ok"),
    ("flags.bit.38.unassigned", "EINVAL", "EINVAL"),
    ("flags.autoreap.without_pidfd", "EINVAL", "ok"),
    ("flags.autoreap.pidfd", "EINVAL", "ok"),
    ("flags.autoreap.exit_signal_sigchld", "EINVAL", "EINVAL"),
    ("flags.autoreap.exit_signal_65", "EINVAL", "EINVAL"),
    ("flags.autoreap.parent", "EINVAL", "EINVAL"),
    ("flags.autoreap.thread", "EINVAL", "EINVAL"),
    ("flags.autoreap.newns_fs", "EINVAL", "EINVAL"),
    ("flags.autoreap.newpid", "EINVAL", "ok"),
    ("flags.autoreap.reparent", "EINVAL", "ok"),
    ("flags.autoreap.multithreaded", "EINVAL", "ok"),
    ("caps.autoreap.no_caps", "EINVAL", "ok"),
    ("flags.nnp.autoreap_pidfd", "EINVAL", "ok"),
    ("flags.nnp.thread", "EINVAL", "EINVAL"),
    ("flags.nnp.parent", "EINVAL", "ok"),
    ("caps.nnp.no_caps", "EINVAL", "ok"),
    ("flags.autokill.close_kills", "EINVAL", "ok"),
    ("flags.autokill.without_pidfd", "EINVAL", "EINVAL"),
    ("flags.autokill.without_autoreap", "EINVAL", "EINVAL"),
    ("flags.autokill.thread", "EINVAL", "EINVAL"),
    ("caps.autokill.no_caps", "EINVAL", "EPERM"),
    ("caps.autokill.no_caps.thread", "EINVAL", "EINVAL"),
    ("caps.autokill.no_caps.without_autoreap", "EINVAL", "EINVAL"),
    ("caps.autokill.newuser_no_caps", "EINVAL", "EPERM"),
    ("caps.autokill.nnp_no_caps", "EINVAL", "ok"),
    ("caps.autokill.without_nnp_with_cap", "EINVAL", "ok"),
    ("flags.empty_mntns.mounts", "EINVAL", "ok"),
    ("flags.empty_mntns.fs", "EINVAL", "EINVAL"),
    ("caps.empty_mntns.no_sys_admin", "EINVAL", "EPERM"),
    ("caps.empty_mntns.newuser_no_caps", "EINVAL", "ok"),
];

fn the_7_1_flags(id: &str, on_6_12: &str, on_7_3: &str, arch: Arch) {
    assert_eq!(outcome(id, arch, (6, 12, 0)), on_6_12, "{id} on 6.12");
    assert_eq!(outcome(id, arch, (7, 0, 0)), on_6_12, "{id} on 7.0");
    assert_eq!(outcome(id, arch, (7, 1, 0)), on_7_3, "{id} on 7.1");
    assert_eq!(outcome(id, arch, (7, 3, 4)), on_7_3, "{id} on 7.3");
    // 6.12 refuses the unknown bit, unless its valid_signal() test (before
    // clone3_args_valid there) comes first.
    let bad_signal = case(id).clone3().is_some_and(|c| c.exit_signal > 64);
    let want = if bad_signal {
        "exit_signal is not a valid signal"
    } else {
        "unknown flag"
    };
    assert_eq!(rule(id, arch, (6, 12, 0)), want, "{id}");
}

/// The compat cases (catalog/compat.rs): judged where pointers are 32 bits, skipped with the
/// reason elsewhere; the child's stack above 4 GiB by the SP bits the ABI's CPU mode uses.
fn compat_cases(arch: Arch) {
    let abi = arch.abi();
    let k = (6, 1, 0);
    let pointers32 = [
        ("outputs.parent_settid.above_4g", "ok"),
        ("outputs.child_settid.above_4g", "ok"),
        ("outputs.child_cleartid.above_4g", "ok"),
        ("outputs.pidfd.above_4g", "EFAULT"),
        ("set_tid.pointer.above_4g", "EFAULT"),
        ("set_tid.pointer.across_4g", "EFAULT"),
        ("stack.region_above_4g", "ok"),
    ];
    for (id, want) in pointers32 {
        match predict(&case(id), &env(arch, k)) {
            Expectation::Skip { reason } => {
                assert_eq!(abi.pointer_width, 64, "{id} skipped on {arch}: {reason}");
                assert!(reason.contains("4 GiB"), "{reason}");
            }
            p => {
                assert_eq!(abi.pointer_width, 32, "{id} judged on {arch}");
                assert_eq!(p.outcome(), want, "{id} on {arch}");
            }
        }
    }
    if abi.pointer_width == 32 {
        // The slot at the low half must stay untouched, and nothing may expect a write there.
        for (id, slot) in [
            ("outputs.parent_settid.above_4g", "ParentTid"),
            ("outputs.child_settid.above_4g", "ChildTid"),
            ("outputs.child_cleartid.above_4g", "ChildTid"),
        ] {
            let Expectation::Success { checks } = predict(&case(id), &env(arch, k)) else {
                panic!("{id} on {arch}");
            };
            let untouched: Vec<String> = checks
                .iter()
                .filter(|c| matches!(c, Check::SlotUntouched(_)))
                .map(|c| format!("{c:?}"))
                .collect();
            assert_eq!(
                untouched,
                [format!("SlotUntouched({slot})")],
                "{id} on {arch}"
            );
            assert!(!checks.contains(&Check::ChildSawChildTid), "{id} on {arch}");
        }
        let Expectation::Success { checks } =
            predict(&case("stack.region_above_4g"), &env(arch, k))
        else {
            panic!("stack.region_above_4g on {arch}");
        };
        if abi.stack.sp_bits == 32 {
            assert!(
                checks.contains(&Check::ChildSp { offset: 0x10000 }),
                "{arch}: {checks:?}"
            );
        } else {
            assert_eq!(checks, [Check::ChildKilled(11)], "{arch}");
        }
    }
    // access_ok() tests the stack range against the 64-bit TASK_SIZE_MAX everywhere: a range
    // past 4 GiB is accepted and the child faults.
    assert_eq!(
        predict(&case("stack.wraps_past_4g"), &env(arch, k)),
        Expectation::Success {
            checks: vec![Check::ChildKilled(11)]
        },
        "{arch}"
    );
}

fn main() {
    let mut trials: Vec<Trial> = Vec::new();
    for arch in Arch::ALL {
        let t = arch.triple();
        for &(id, want) in ON_6_1 {
            trials.push(trial(
                format!("model::{t}::predicted_on_6_1::{id}"),
                move || predicted_on_6_1(id, want, arch),
            ));
        }
        for &(id, on_6_12, on_7_3) in THE_7_1_FLAGS {
            trials.push(trial(
                format!("model::{t}::the_7_1_flags::{id}"),
                move || the_7_1_flags(id, on_6_12, on_7_3, arch),
            ));
        }
        trials.push(trial(format!("model::{t}::compat_cases"), move || {
            compat_cases(arch)
        }));
    }
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}
