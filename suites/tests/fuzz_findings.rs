//! What the first native campaigns of `cloneabi fuzz` taught the model, each pinned by the
//! shrunk case that showed it (kernel source named in the model's comments).

use cloneabi_arch::{Arch, KernelVersion};
use cloneabi_suites::case::{
    Call, Case, CgroupSpec, Clone3Call, Concern, LegacyCall, PidValue, Ptr, SetTidSpec, SizeArg,
    SlotKind, StackSpec, Step,
};
use cloneabi_suites::flags::*;
use cloneabi_suites::model::{predict, Check, Expectation, ModelEnv};
use cloneabi_suites::observation::{ChildReport, Observation};
use cloneabi_suites::program::Behavior;

fn env(arch: Arch) -> ModelEnv {
    ModelEnv {
        pid_max: 4_194_304,
        ..ModelEnv::nominal(arch, KernelVersion::new(6, 18, 0))
    }
}

fn case(steps: Vec<Step>, behavior: Behavior, f: impl FnOnce(&mut Clone3Call)) -> Case {
    let mut c = Clone3Call::default();
    f(&mut c);
    Case {
        id: "fuzz.found".into(),
        concern: Concern::Fuzz,
        summary: String::new(),
        origin: None,
        steps,
        call: Call::Clone3(c),
        behavior,
        scope: Default::default(),
    }
}

fn checks(e: Expectation) -> Vec<Check> {
    match e {
        Expectation::Success { checks } => checks,
        other => panic!("expected success, the model says {other:?}"),
    }
}

fn region(c: &mut Clone3Call) {
    c.stack = StackSpec::Region {
        len: 0x10000,
        offset: 0,
    };
    c.stack_size = 0x10000;
}

#[test]
fn a_size_that_cuts_set_tid_size_keeps_its_first_bytes() {
    // size 73: byte 72 is set_tid_size's low byte on a little-endian target, its high byte
    // on a big-endian one.
    let c = case(vec![], Behavior::default(), |c| {
        c.set_tid = SetTidSpec::Pids(vec![PidValue::PidMaxMinus(100)]);
        c.size = SizeArg::Literal(73);
    });
    assert_eq!(predict(&c, &env(Arch::X86_64)).outcome(), "ok");
    assert_eq!(predict(&c, &env(Arch::S390x)).outcome(), "EINVAL");
    let c = case(vec![], Behavior::default(), |c| {
        c.flags = CLONE_INTO_CGROUP;
        c.cgroup = CgroupSpec::Fd(1000);
        c.size = SizeArg::Literal(81);
    });
    // CLONE_INTO_CGROUP needs a VER2 struct whatever the descriptor.
    assert_eq!(predict(&c, &env(Arch::X86_64)).outcome(), "EINVAL");
}

#[test]
fn a_clone_vm_child_stays_in_the_callers_time_namespace() {
    let c = case(vec![], Behavior::default(), |c| {
        c.flags = CLONE_VM | CLONE_NEWTIME;
        region(c);
    });
    let time = 1; // NS_NAMES[1]
    let ns = checks(predict(&c, &env(Arch::X86_64)))
        .into_iter()
        .find_map(|k| match k {
            Check::Namespaces { new, same } => Some((new, same)),
            _ => None,
        })
        .unwrap();
    assert!(ns.1.contains(&time) && !ns.0.contains(&time), "{ns:?}");
    // Before 6.2 it moved into the new one (Debian's 6.1 in a guest).
    let old = ModelEnv {
        kernel: KernelVersion::new(6, 1, 150),
        ..env(Arch::X86_64)
    };
    let ns = checks(predict(&c, &old));
    assert!(ns
        .iter()
        .any(|k| matches!(k, Check::Namespaces { new, .. } if new.contains(&time))));
    let c = case(vec![], Behavior::default(), |c| c.flags = CLONE_NEWTIME);
    let ns = checks(predict(&c, &env(Arch::X86_64)));
    assert!(ns
        .iter()
        .any(|k| matches!(k, Check::Namespaces { new, .. } if new.contains(&time))));
}

#[test]
fn a_pid_namespace_init_sharing_sighand_is_reaped_by_the_kernel() {
    let c = case(vec![Step::UnsharePidNs], Behavior::default(), |c| {
        c.flags = CLONE_VM | CLONE_SIGHAND;
        region(c);
    });
    let k = checks(predict(&c, &env(Arch::X86_64)));
    assert!(k.contains(&Check::ExitSignal(0)), "{k:?}");
    assert!(
        !k.iter().any(|x| matches!(x, Check::ChildExited(_))),
        "{k:?}"
    );
    // Another exit signal is sent, and the child waits for the caller.
    let c = case(vec![Step::UnsharePidNs], Behavior::default(), |c| {
        c.flags = CLONE_VM | CLONE_SIGHAND;
        c.exit_signal = SIGUSR2;
        region(c);
    });
    let k = checks(predict(&c, &env(Arch::X86_64)));
    assert!(k.contains(&Check::ExitSignal(SIGUSR2 as i32)), "{k:?}");
    assert!(k.contains(&Check::ChildExited(0)), "{k:?}");
    // Legacy clone() the same.
    let l = Case {
        call: Call::Legacy(LegacyCall {
            flags: CLONE_VM | CLONE_SIGHAND | SIGCHLD,
            stack: StackSpec::Region {
                len: 0x10000,
                offset: 0x10000,
            },
            parent_tid: Ptr::Null,
            child_tid: Ptr::Null,
            tls: Ptr::Null,
        }),
        ..c
    };
    assert!(checks(predict(&l, &env(Arch::X86_64))).contains(&Check::ExitSignal(0)));
}

/// Found by the seed-2 native campaign of `tests/fuzz.rs` (fuzz.2.56): the same holds for an
/// init that dies of SIGSEGV on its first push; zap_pid_ns_processes() runs however it dies.
#[test]
fn a_pid_namespace_init_sharing_sighand_that_faults_is_reaped_unseen() {
    let faulting = |flags: u64| {
        case(
            vec![Step::NestPidNs { levels: 2 }],
            Behavior::default(),
            |c| {
                c.flags = flags;
                c.stack = StackSpec::Literal(0x1000);
                c.stack_size = 0x1000;
            },
        )
    };
    let init = faulting(CLONE_VM | CLONE_SIGHAND | CLONE_NEWNS | CLONE_NEWPID);
    assert_eq!(
        checks(predict(&init, &env(Arch::X86_64))),
        [Check::ExitSignal(0)]
    );
    // Not an init, or not sharing the handlers: the caller reaps it, killed by SIGSEGV.
    for flags in [
        CLONE_VM | CLONE_SIGHAND | CLONE_NEWNS,
        CLONE_VM | CLONE_NEWPID,
    ] {
        assert_eq!(
            checks(predict(&faulting(flags), &env(Arch::X86_64))),
            [Check::ChildKilled(11)],
            "{flags:#x}"
        );
    }
}

#[test]
fn a_threads_chosen_pid_and_child_tid_are_its_thread_id() {
    let thread = Behavior {
        no_reap: true,
        ..Behavior::default()
    };
    let c = case(vec![], thread, |c| {
        c.flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_CHILD_SETTID;
        c.exit_signal = 0;
        c.child_tid = Ptr::Slot(SlotKind::ChildTid);
        c.set_tid = SetTidSpec::Pids(vec![PidValue::Literal(4000)]);
        region(c);
    });
    let k = checks(predict(&c, &env(Arch::X86_64)));
    // The slot and the child's first look at it hold 4000; the child's gettid() says `tid`
    // and its getpid() the caller's 2.
    let obs = |tid: i32| Observation {
        child_tid_slot: Some(cloneabi_suites::observation::Slot {
            value: 4000,
            after: cloneabi_suites::observation::SLOT_SENTINEL,
        }),
        child: Some(ChildReport {
            pid: 2,
            tid,
            child_tid_seen: 4000,
            ..ChildReport::default()
        }),
        ..Observation::default()
    };
    for check in [
        Check::ChildPid(4000),
        Check::SlotIsChildPid(SlotKind::ChildTid),
        Check::ChildSawChildTid,
    ] {
        assert!(k.contains(&check), "{check:?} not in {k:?}");
        assert_eq!(check.violation(&obs(4000)), None, "{check:?}");
        assert!(check.violation(&obs(4001)).is_some(), "{check:?}");
    }
}

#[test]
fn a_new_cgroup_namespace_is_rooted_at_the_target_cgroup() {
    let c = case(vec![Step::Cgroup], Behavior::default(), |c| {
        c.flags = CLONE_NEWCGROUP | CLONE_INTO_CGROUP;
        c.cgroup = CgroupSpec::Created;
    });
    let k = checks(predict(&c, &env(Arch::X86_64)));
    let want = k
        .iter()
        .find_map(|x| match x {
            Check::ChildCgroupEndsWith(n) => Some(n.clone()),
            _ => None,
        })
        .unwrap();
    let obs = |path: &str| Observation {
        child: Some(ChildReport {
            cgroup: path.into(),
            ..ChildReport::default()
        }),
        ..Observation::default()
    };
    let check = Check::ChildCgroupEndsWith(want);
    assert_eq!(check.violation(&obs("/")), None);
    assert!(check.violation(&obs("/cloneabi/fuzz-found")).is_some());
}

#[test]
fn a_thread_cannot_start_in_a_cgroup_of_another_domain() {
    // fuzz --seed 3: CLONE_THREAD|CLONE_INTO_CGROUP into the case's cgroup is EOPNOTSUPP.
    let c = case(vec![Step::Cgroup], Behavior::default(), |c| {
        c.flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_INTO_CGROUP;
        c.exit_signal = 0;
        region(c);
        c.cgroup = CgroupSpec::Created;
    });
    assert_eq!(predict(&c, &env(Arch::X86_64)).outcome(), "EOPNOTSUPP");
    // A process (no CLONE_THREAD) may.
    let c = case(vec![Step::Cgroup], Behavior::default(), |c| {
        c.flags = CLONE_INTO_CGROUP;
        c.cgroup = CgroupSpec::Created;
    });
    assert_eq!(predict(&c, &env(Arch::X86_64)).outcome(), "ok");
}

#[test]
fn the_tail_scan_reads_the_tails_bytes_in_the_targets_order() {
    // 89 bytes readable, the struct misaligned by 1: the kernel's first tail word ends at
    // byte 89, and 256's only non-zero byte is byte 89 on a little-endian target (EFAULT
    // reading the next word), byte 94 on a big-endian one (the same).
    let c = case(vec![], Behavior::default(), |c| {
        c.size = SizeArg::Literal(96);
        c.args_at = cloneabi_suites::case::Placement::GuardAfter { mapped: 89 };
        c.tail = Some((88, 256));
    });
    assert_eq!(predict(&c, &env(Arch::X86_64)).outcome(), "EFAULT");
    assert_eq!(predict(&c, &env(Arch::S390x)).outcome(), "EFAULT");
    // 1 << 56: byte 95 on little-endian (EFAULT first), byte 88 on big-endian (E2BIG).
    let c = case(vec![], Behavior::default(), |c| {
        c.size = SizeArg::Literal(96);
        c.args_at = cloneabi_suites::case::Placement::GuardAfter { mapped: 89 };
        c.tail = Some((88, 1 << 56));
    });
    assert_eq!(predict(&c, &env(Arch::X86_64)).outcome(), "EFAULT");
    assert_eq!(predict(&c, &env(Arch::S390x)).outcome(), "E2BIG");
}

/// s390x 6.12, seed 1 (guest campaign): a stack range that wraps to exactly 0 passes
/// s390x's access_ok(), and copy_thread() leaves the child the caller's SP when stack +
/// stack_size is 0: the child runs instead of faulting. Elsewhere access_ok() refuses it.
#[test]
fn a_stack_range_wrapping_to_zero_leaves_the_child_the_callers_sp() {
    let wrapping = case(vec![], Behavior::default(), |c| {
        c.stack = StackSpec::Literal(0xffff_ffff_ffff_f000);
        c.stack_size = 0x1000;
    });
    let on_s390x = checks(predict(&wrapping, &env(Arch::S390x)));
    assert!(on_s390x.contains(&Check::ChildRan), "{on_s390x:?}");
    assert!(!on_s390x.contains(&Check::ChildKilled(11)), "{on_s390x:?}");
    assert_eq!(predict(&wrapping, &env(Arch::X86_64)).outcome(), "EINVAL");
    // One page short of wrapping, the child's SP is the last page: it faults.
    let short = case(vec![], Behavior::default(), |c| {
        c.stack = StackSpec::Literal(0xffff_ffff_ffff_e000);
        c.stack_size = 0x1000;
    });
    assert_eq!(
        checks(predict(&short, &env(Arch::S390x))),
        vec![Check::ChildKilled(11)]
    );
}

/// x86_64 7.3.4, seed 1 (guest campaign): a CLONE_EMPTY_MNTNS child has no /proc, so it
/// cannot report its NSpid or its cgroup; the model asks for neither.
#[test]
fn an_empty_mount_namespace_child_reports_no_proc_reads() {
    let e = ModelEnv {
        pid_max: 4_194_304,
        ..ModelEnv::nominal(Arch::X86_64, KernelVersion::new(7, 3, 0))
    };
    let c = case(vec![Step::Cgroup], Behavior::default(), |c| {
        c.flags = CLONE_NEWPID | CLONE_EMPTY_MNTNS | CLONE_INTO_CGROUP;
        c.cgroup = CgroupSpec::Created;
    });
    let got = checks(predict(&c, &e));
    assert!(
        got.iter()
            .all(|c| !matches!(c, Check::ChildNspid(_) | Check::ChildCgroupEndsWith(_))),
        "{got:?}"
    );
    // Without CLONE_EMPTY_MNTNS both are asked for.
    let c = case(vec![Step::Cgroup], Behavior::default(), |c| {
        c.flags = CLONE_NEWPID | CLONE_INTO_CGROUP;
        c.cgroup = CgroupSpec::Created;
    });
    let got = checks(predict(&c, &e));
    assert!(
        got.iter().any(|c| matches!(c, Check::ChildNspid(_))),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|c| matches!(c, Check::ChildCgroupEndsWith(_))),
        "{got:?}"
    );
}
