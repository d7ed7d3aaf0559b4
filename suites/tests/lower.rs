//! Lowering: the bytes each ABI's payload receives. One libtest-mimic trial per ABI of the
//! table and test, named `lower::<triple>::<test>`, so a new ABI is covered without a change.

use cloneabi_arch::abi::LegacyCloneArg;
use cloneabi_arch::clone_args::FIELDS;
use cloneabi_arch::{Arch, Endian, Sysno};
use cloneabi_suites::case::{Call, Member};
use cloneabi_suites::catalog::{all_cases, case_by_id};
use cloneabi_suites::fuzz::Generator;
use cloneabi_suites::lower::lower;
use cloneabi_suites::program::{Blob, CallKind, CgroupReopen, SetupOp, Target};
use libtest_mimic::{Arguments, Trial};

#[path = "support/trial.rs"]
mod support;
use support::trial;

fn u64_at(bytes: &[u8], off: usize, endian: Endian) -> u64 {
    let b: [u8; 8] = bytes[off..off + 8].try_into().unwrap();
    match endian {
        Endian::Little => u64::from_le_bytes(b),
        Endian::Big => u64::from_be_bytes(b),
    }
}

fn clone3_struct_is_in_target_byte_order(arch: Arch) {
    let c = case_by_id("exit_signal.sigusr2").unwrap();
    let p = lower(&c, arch);
    assert_eq!(p.call, CallKind::Clone3);
    assert_eq!(Some(p.syscall_nr), arch.syscall(Sysno::Clone3));
    assert_eq!(
        u64_at(&p.args, 32, arch.abi().endian),
        12,
        "exit_signal at offset 32"
    );
}

fn legacy_arguments_follow_the_arch_order(arch: Arch) {
    let c = case_by_id("legacy.order.tids_and_tls").unwrap();
    let p = lower(&c, arch);
    let order = arch.abi().legacy_clone.order();
    let pos = |a: LegacyCloneArg| order.iter().position(|x| *x == a).unwrap() * 8;
    assert_eq!(Some(p.syscall_nr), arch.syscall(Sysno::Clone));
    assert_eq!(
        u64_at(&p.args, pos(LegacyCloneArg::Flags), arch.abi().endian) & 0xff,
        17
    );
    let fix = |t: Target| {
        p.fixups
            .iter()
            .find(|f| f.target == t && f.blob == Blob::Args)
            .map(|f| f.offset as usize)
    };
    assert_eq!(
        fix(Target::ParentTidSlot),
        Some(pos(LegacyCloneArg::ParentTid))
    );
    assert_eq!(
        fix(Target::ChildTidSlot),
        Some(pos(LegacyCloneArg::ChildTid))
    );
    assert_eq!(fix(Target::TlsArea), Some(pos(LegacyCloneArg::Tls)));
    assert_eq!(fix(Target::StackBase), Some(pos(LegacyCloneArg::Stack)));
}

fn ppc64_arm64_and_s390x_use_the_backwards_orders() {
    use LegacyCloneArg::*;
    assert_eq!(
        Arch::Aarch64.abi().legacy_clone.order(),
        [Flags, Stack, ParentTid, Tls, ChildTid]
    );
    assert_eq!(
        Arch::Powerpc64.abi().legacy_clone.order(),
        [Flags, Stack, ParentTid, Tls, ChildTid]
    );
    assert_eq!(
        Arch::S390x.abi().legacy_clone.order(),
        [Stack, Flags, ParentTid, ChildTid, Tls]
    );
}

fn pid_max_relative_pids_become_fixups() {
    let c = case_by_id("set_tid.depth.03").unwrap();
    let p = lower(&c, Arch::S390x);
    let pid_fixups: Vec<_> = p
        .fixups
        .iter()
        .filter(|f| f.target == Target::PidMax)
        .collect();
    assert_eq!(pid_fixups.len(), 3);
    assert!(pid_fixups
        .iter()
        .all(|f| f.blob == Blob::SetTid && f.width == 4));
    assert_eq!(p.set_tid.len(), 12);
}

/// The child skips /proc reads no check asks for; every check the model can derive for a
/// case, on any arch, kernel and nesting level, must find its data observed.
fn every_check_finds_its_observation_requested() {
    use cloneabi_arch::KernelVersion;
    use cloneabi_suites::catalog::all_cases;
    use cloneabi_suites::lower::observations;
    use cloneabi_suites::model::{predict, Expectation, ModelEnv};
    let mut checked = 0;
    for arch in Arch::ALL {
        for (major, minor) in [
            (5, 3),
            (5, 5),
            (5, 9),
            (6, 1),
            (6, 12),
            (6, 18),
            (7, 0),
            (7, 2),
            (7, 3),
        ] {
            for payload_level in [0, 1] {
                let env = ModelEnv {
                    arch,
                    kernel: KernelVersion::new(major, minor, 0),
                    page_size: arch.abi().default_page_size,
                    pid_max: 32768,
                    payload_level,
                    payload_user_level: Some(0),
                    caller_is_admin: true,
                    cgroup2_errno: 0,
                    cgroup1_errno: 0,
                    namespaces: 0xff,
                    assume: None,
                };
                for case in all_cases() {
                    let asked = observations(&case);
                    if let Expectation::Success { checks } = predict(&case, &env) {
                        for check in checks {
                            assert!(
                                asked.covers(check.needs()),
                                "{}: {check:?} needs {:?}, the lowering asks for {asked:?}",
                                case.id,
                                check.needs()
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 1000, "only {checked} checks seen");
}

fn cases_that_change_the_caller_get_a_process_of_their_own() {
    let depth = lower(&case_by_id("set_tid.depth.02").unwrap(), Arch::X86_64);
    assert!(depth.own_process, "setup steps unshare and fork");
    assert!(
        depth.setup_reusable,
        "nested namespaces with their inits stay"
    );
    let plain = lower(&case_by_id("sizes.ver0").unwrap(), Arch::X86_64);
    assert!(!plain.own_process);
    assert!(!plain.observe.nspid && !plain.observe.cgroup);
    let cg = lower(&case_by_id("cgroup.into.valid").unwrap(), Arch::X86_64);
    assert!(cg.own_process && cg.observe.cgroup);
    assert!(!cg.setup_reusable, "the cgroup directory is the case's own");
    let unshared = lower(
        &case_by_id("set_tid.unshared.first_is_one").unwrap(),
        Arch::X86_64,
    );
    assert!(
        !unshared.setup_reusable,
        "the call makes the unshared namespace's init"
    );
    let thread = lower(
        &case_by_id("flags.combo.thread_valid").unwrap(),
        Arch::X86_64,
    );
    assert!(thread.own_process && !thread.setup_reusable);
}

/// The 2^32 of a pointer at or above 4 GiB travels as a fix-up addend: the payload adds it in
/// 64 bits to the address it substitutes.
fn above_4g_pointers_are_fixup_addends(arch: Arch) {
    let addend = |id: &str, t: Target| {
        let p = lower(&case_by_id(id).unwrap(), arch);
        p.fixups
            .iter()
            .find(|f| f.target == t && f.blob == Blob::Args)
            .map(|f| (f.addend, f.width))
    };
    let want = Some((1 << 32, 8));
    assert_eq!(
        addend("outputs.parent_settid.above_4g", Target::ParentTidSlot),
        want
    );
    assert_eq!(
        addend("outputs.child_settid.above_4g", Target::ChildTidSlot),
        want
    );
    assert_eq!(addend("outputs.pidfd.above_4g", Target::PidfdSlot), want);
    assert_eq!(
        addend("set_tid.pointer.above_4g", Target::SetTidArray),
        want
    );
    assert_eq!(addend("stack.region_above_4g", Target::StackBase), want);
}

/// The payload's struct holds exactly the members the model reads (`Clone3Call::members`):
/// each fixed one at its offset in the target's byte order, each run-time one as zero with
/// one fix-up of its target and addend. Over the catalog and a fixed-seed generated stream.
fn the_payload_gets_the_members_the_model_reads(arch: Arch) {
    let endian = arch.abi().endian;
    let mut generator = Generator::new(11);
    let cases = all_cases()
        .into_iter()
        .chain((0..2000).map(|_| generator.case()));
    let mut checked = 0;
    for case in cases {
        let Call::Clone3(call) = &case.call else {
            continue;
        };
        let p = lower(&case, arch);
        for (field, member) in FIELDS.iter().zip(call.members()) {
            if field.offset + 8 > p.args.len() {
                continue;
            }
            let fixups: Vec<_> = p
                .fixups
                .iter()
                .filter(|f| f.blob == Blob::Args && f.offset as usize == field.offset)
                .collect();
            let at = u64_at(&p.args, field.offset, endian);
            match member {
                Member::Fixed(v) => {
                    assert_eq!(at, v, "{}: {}", case.id, field.name);
                    assert!(fixups.is_empty(), "{}: {} fixed up", case.id, field.name);
                }
                Member::RunTime { target, addend } => {
                    assert_eq!(at, 0, "{}: {}", case.id, field.name);
                    assert_eq!(fixups.len(), 1, "{}: {}", case.id, field.name);
                    assert_eq!(
                        (fixups[0].target, fixups[0].addend, fixups[0].width),
                        (target, addend, 8),
                        "{}: {}",
                        case.id,
                        field.name
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 10_000, "only {checked} members checked");
}

/// Each way of passing the created cgroup other than its open directory is a reopen step
/// after the cgroup's mkdir, and the cgroup member is the cgroup fd target; the plain one
/// has none.
fn reopened_cgroups_are_a_step_after_the_mkdir() {
    let reopen_of = |id: &str| {
        let p = lower(&case_by_id(id).unwrap(), Arch::X86_64);
        let mkdir = p
            .setup
            .iter()
            .position(|op| matches!(op, SetupOp::CgroupMkdir { .. }))
            .unwrap_or_else(|| panic!("{id}: no cgroup mkdir"));
        let reopens: Vec<(usize, CgroupReopen)> = p
            .setup
            .iter()
            .enumerate()
            .filter_map(|(i, op)| match op {
                SetupOp::CgroupReopen { how } => Some((i, *how)),
                _ => None,
            })
            .collect();
        assert!(
            reopens.iter().all(|(i, _)| *i > mkdir),
            "{id}: {:?}",
            p.setup
        );
        assert!(
            p.fixups
                .iter()
                .any(|f| f.target == Target::CgroupFd && f.blob == Blob::Args),
            "{id}"
        );
        reopens.into_iter().map(|(_, how)| how).collect::<Vec<_>>()
    };
    assert_eq!(reopen_of("cgroup.into.valid"), []);
    assert_eq!(reopen_of("cgroup.into.o_path"), [CgroupReopen::Path]);
    assert_eq!(
        reopen_of("cgroup.into.procs_file"),
        [CgroupReopen::ProcsFile]
    );
    assert_eq!(
        reopen_of("cgroup.into.cgroup_fd_closed"),
        [CgroupReopen::Closed]
    );
}

/// The child's no_new_privs is read (a prctl per case) only where the flags or the caller's
/// setup can make it other than 0.
fn no_new_privs_is_read_only_where_it_can_be_set() {
    use cloneabi_suites::case::{Case, Step};
    use cloneabi_suites::flags::*;
    use cloneabi_suites::lower::observations;
    let with = |flags: u64, steps: Vec<Step>| {
        let mut c: Case = case_by_id("sizes.ver2").expect("a plain case");
        c.steps = steps;
        if let Call::Clone3(call) = &mut c.call {
            call.flags = flags;
        }
        observations(&c).no_new_privs
    };
    assert!(!with(0, vec![]));
    assert!(!with(CLONE_PIDFD | CLONE_VM, vec![]));
    assert!(with(CLONE_NNP, vec![]));
    assert!(with(CLONE_AUTOREAP, vec![]));
    assert!(with(0, vec![Step::NoNewPrivs]));
    assert!(!with(0, vec![Step::KeepCaps { caps: 0 }]));
}

/// A per-ABI test: its name and body.
type AbiTest = (&'static str, fn(Arch));

fn main() {
    let mut trials: Vec<Trial> = vec![
        trial(
            "lower::ppc64_arm64_and_s390x_use_the_backwards_orders".into(),
            ppc64_arm64_and_s390x_use_the_backwards_orders,
        ),
        trial(
            "lower::pid_max_relative_pids_become_fixups".into(),
            pid_max_relative_pids_become_fixups,
        ),
        trial(
            "lower::every_check_finds_its_observation_requested".into(),
            every_check_finds_its_observation_requested,
        ),
        trial(
            "lower::cases_that_change_the_caller_get_a_process_of_their_own".into(),
            cases_that_change_the_caller_get_a_process_of_their_own,
        ),
        trial(
            "lower::reopened_cgroups_are_a_step_after_the_mkdir".into(),
            reopened_cgroups_are_a_step_after_the_mkdir,
        ),
        trial(
            "lower::no_new_privs_is_read_only_where_it_can_be_set".into(),
            no_new_privs_is_read_only_where_it_can_be_set,
        ),
    ];
    for arch in Arch::ALL {
        let t = arch.triple();
        let per_abi: [AbiTest; 4] = [
            (
                "the_payload_gets_the_members_the_model_reads",
                the_payload_gets_the_members_the_model_reads,
            ),
            (
                "clone3_struct_is_in_target_byte_order",
                clone3_struct_is_in_target_byte_order,
            ),
            (
                "legacy_arguments_follow_the_arch_order",
                legacy_arguments_follow_the_arch_order,
            ),
            (
                "above_4g_pointers_are_fixup_addends",
                above_4g_pointers_are_fixup_addends,
            ),
        ];
        for (name, f) in per_abi {
            trials.push(trial(format!("lower::{t}::{name}"), move || f(arch)));
        }
    }
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}
