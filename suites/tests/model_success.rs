//! What the model expects of a successful call, flag by flag, from what the kernel does on
//! success (kernel/fork.c copy_process(), schedule_tail(), mm_release(), kernel/exit.c
//! do_notify_parent(), kernel/nsproxy.c copy_namespaces(), copy_thread()).

use cloneabi_arch::{Arch, KernelVersion};
use cloneabi_suites::case::{
    Call, Case, CgroupSpec, Clone3Call, Concern, LegacyCall, PidValue, Ptr, Scope, SetTidSpec,
    SlotKind, StackSpec, Step,
};
use cloneabi_suites::flags::*;
use cloneabi_suites::model::checks::ChildEndSpec;
use cloneabi_suites::model::{predict, Check, Expectation, ModelEnv};
use cloneabi_suites::program::{Behavior, Disposition};

const ALL_NS: [usize; 8] = [0, 1, 2, 3, 4, 5, 6, 7];

fn case_with(steps: Vec<Step>, call: Call, behavior: Behavior) -> Case {
    Case {
        id: "fuzz.success.one".into(),
        concern: Concern::Fuzz,
        summary: String::new(),
        origin: None,
        steps,
        call,
        behavior,
        scope: Scope::AllAbis,
    }
}

fn checks_on(arch: Arch, k: (u32, u32, u32), case: &Case) -> Vec<Check> {
    match predict(
        case,
        &ModelEnv::nominal(arch, KernelVersion::new(k.0, k.1, k.2)),
    ) {
        Expectation::Success { checks } => checks,
        other => panic!("{}: expected success, the model says {other:?}", case.id),
    }
}

fn checks(steps: Vec<Step>, f: impl FnOnce(&mut Clone3Call), behavior: Behavior) -> Vec<Check> {
    let mut c = Clone3Call::default();
    f(&mut c);
    checks_on(
        Arch::X86_64,
        (6, 1, 0),
        &case_with(steps, Call::Clone3(c), behavior),
    )
}

/// A clone3 call with no setup steps and no behaviour, on `arch` under kernel `k`.
fn simple_on(arch: Arch, k: (u32, u32, u32), f: impl FnOnce(&mut Clone3Call)) -> Vec<Check> {
    let mut c = Clone3Call::default();
    f(&mut c);
    checks_on(
        arch,
        k,
        &case_with(vec![], Call::Clone3(c), Behavior::default()),
    )
}

fn simple(f: impl FnOnce(&mut Clone3Call)) -> Vec<Check> {
    simple_on(Arch::X86_64, (6, 1, 0), f)
}

fn has(all: &[Check], c: &Check) -> bool {
    all.contains(c)
}

#[test]
fn a_plain_clone3_is_a_fork() {
    assert_eq!(
        simple(|_| {}),
        vec![
            Check::ChildRan,
            Check::ChildExited(0),
            Check::ExitSignal(17),
            Check::Namespaces {
                new: vec![],
                same: ALL_NS.to_vec()
            },
        ]
    );
    // exit_signal 0: the parent gets no signal, and still reaps the child.
    let none = simple(|c| c.exit_signal = 0);
    assert!(has(&none, &Check::ExitSignal(0)));
    assert!(has(&none, &Check::ChildExited(0)));
    assert!(has(&simple(|c| c.exit_signal = 64), &Check::ExitSignal(64)));
}

#[test]
fn output_slots() {
    let pidfd = Ptr::Slot(SlotKind::Pidfd);
    let ptid = Ptr::Slot(SlotKind::ParentTid);
    let ctid = Ptr::Slot(SlotKind::ChildTid);
    let c = simple(|c| {
        c.flags = CLONE_PIDFD;
        c.pidfd = pidfd;
    });
    assert!(has(&c, &Check::SlotIsFd(SlotKind::Pidfd)));
    // A slot the call names without the flag that writes it stays as it was.
    let c = simple(|c| c.pidfd = pidfd);
    assert!(has(&c, &Check::SlotUntouched(SlotKind::Pidfd)));
    assert!(!has(&c, &Check::SlotIsFd(SlotKind::Pidfd)));
    let c = simple(|c| {
        c.flags = CLONE_PARENT_SETTID;
        c.parent_tid = ptid;
    });
    assert!(has(&c, &Check::SlotIsReturnedPid(SlotKind::ParentTid)));
    assert!(!has(&c, &Check::SlotUntouched(SlotKind::ParentTid)));
    let c = simple(|c| c.parent_tid = ptid);
    assert!(has(&c, &Check::SlotUntouched(SlotKind::ParentTid)));
    // schedule_tail() writes the child's tid; the child sees it when it starts.
    let c = simple(|c| {
        c.flags = CLONE_CHILD_SETTID;
        c.child_tid = ctid;
    });
    assert!(has(&c, &Check::SlotIsChildPid(SlotKind::ChildTid)));
    assert!(has(&c, &Check::ChildSawChildTid));
    assert!(!has(&c, &Check::SlotCleared(SlotKind::ChildTid)));
    // mm_release() clears child_tid only for a CLONE_VM child (another task keeps the mm).
    let c = simple(|c| {
        c.flags = CLONE_CHILD_CLEARTID;
        c.child_tid = ctid;
    });
    assert!(!has(&c, &Check::SlotCleared(SlotKind::ChildTid)));
    assert!(has(&c, &Check::SlotUntouched(SlotKind::ChildTid)));
    let c = simple(|c| {
        c.flags = CLONE_CHILD_CLEARTID | CLONE_VM;
        c.child_tid = ctid;
    });
    assert!(has(&c, &Check::SlotCleared(SlotKind::ChildTid)));
    let c = simple(|c| {
        c.flags = CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | CLONE_VM;
        c.child_tid = ctid;
    });
    assert!(has(&c, &Check::SlotCleared(SlotKind::ChildTid)));
    assert!(has(&c, &Check::ChildSawChildTid));
    assert!(!has(&c, &Check::SlotIsChildPid(SlotKind::ChildTid)));
    // A futex waiter on child_tid is woken when the kernel clears it.
    let waiter = Behavior {
        cleartid_waiter: true,
        ..Behavior::default()
    };
    let c = checks(
        vec![],
        |c| {
            c.flags = CLONE_CHILD_CLEARTID | CLONE_VM;
            c.child_tid = ctid;
        },
        waiter,
    );
    assert!(has(&c, &Check::CleartidWoke));
    let c = checks(
        vec![],
        |c| {
            c.flags = CLONE_CHILD_CLEARTID;
            c.child_tid = ctid;
        },
        waiter,
    );
    assert!(!has(&c, &Check::CleartidWoke));
    // A pointer past 4 GiB: the write faults and is ignored; the slot stays as it was.
    let c = simple(|c| {
        c.flags = CLONE_PARENT_SETTID;
        c.parent_tid = Ptr::SlotPlus4G(SlotKind::ParentTid);
    });
    assert!(has(&c, &Check::SlotUntouched(SlotKind::ParentTid)));
    // CLONE_PIDFD and CLONE_PARENT_SETTID into one slot is refused; CLONE_PARENT_SETTID and
    // CLONE_CHILD_SETTID into one slot: both write the same pid there.
    let c = simple(|c| {
        c.flags = CLONE_PARENT_SETTID | CLONE_CHILD_SETTID;
        c.parent_tid = ptid;
        c.child_tid = ptid;
    });
    assert!(has(&c, &Check::SlotIsReturnedPid(SlotKind::ParentTid)));
}

#[test]
fn stack_and_tls() {
    // clone3_stack_valid(): stack + stack_size is the child's SP (stack grows down).
    let c = simple(|c| {
        c.stack = StackSpec::Region {
            len: 65536,
            offset: 0x100,
        };
        c.stack_size = 0x2000;
    });
    assert!(has(&c, &Check::ChildSp { offset: 0x2100 }));
    // Before 5.3.11/5.4 the kernel took `stack` itself as the SP.
    let old = simple_on(Arch::X86_64, (5, 3, 10), |c| {
        c.stack = StackSpec::Region {
            len: 65536,
            offset: 0x100,
        };
        c.stack_size = 0x2000;
    });
    assert!(has(&old, &Check::ChildSp { offset: 0x100 }));
    // Legacy clone(): newsp is the SP.
    let legacy = checks_on(
        Arch::X86_64,
        (6, 1, 0),
        &case_with(
            vec![],
            Call::Legacy(LegacyCall {
                flags: SIGCHLD,
                stack: StackSpec::Region {
                    len: 65536,
                    offset: 0x800,
                },
                parent_tid: Ptr::Null,
                child_tid: Ptr::Null,
                tls: Ptr::Null,
            }),
            Behavior::default(),
        ),
    );
    assert!(has(&legacy, &Check::ChildSp { offset: 0x800 }));
    assert!(has(&legacy, &Check::ExitSignal(17)));
    // The legacy payload's child compares its namespaces only when the call asks for new ones.
    assert!(!legacy.iter().any(|c| matches!(c, Check::Namespaces { .. })));
    let tls = |p: Ptr| {
        simple(|c| {
            c.flags = CLONE_SETTLS;
            c.tls = p;
        })
    };
    assert!(has(
        &tls(Ptr::TlsArea(0x40)),
        &Check::ChildTlsArea { offset: 0x40 }
    ));
    assert!(has(
        &tls(Ptr::Literal(0x1234_5678_9abc)),
        &Check::ChildTls(0x1234_5678_9abc)
    ));
    assert!(!simple(|c| c.tls = Ptr::TlsArea(0x40))
        .iter()
        .any(|c| matches!(c, Check::ChildTlsArea { .. } | Check::ChildTls(_))));
    // A 32-bit ABI's TLS register holds the low half of the 64-bit member.
    let arm = simple_on(Arch::Arm, (6, 1, 0), |c| {
        c.flags = CLONE_SETTLS;
        c.tls = Ptr::Literal(0x1234_5678_9abc);
    });
    assert!(has(&arm, &Check::ChildTls(0x5678_9abc)), "{arm:?}");
}

#[test]
fn pids_and_pid_namespaces() {
    // CLONE_NEWPID: the child is its new namespace's init, one level below the payload's.
    let c = simple(|c| c.flags = CLONE_NEWPID);
    assert!(has(&c, &Check::ChildPid(1)));
    // Two levels; the innermost pid is checked through the child's tid (ChildPid).
    assert!(has(&c, &Check::ChildNspid(vec![None, None])));
    assert!(!c.iter().any(|c| matches!(c, Check::Returned(_))));
    assert!(has(
        &c,
        &Check::Namespaces {
            new: vec![0],
            same: vec![1, 2, 3, 4, 5, 6, 7]
        }
    ));
    // set_tid in the caller's namespace: the child gets that pid, and the call returns it.
    let c = simple(|c| c.set_tid = SetTidSpec::Pids(vec![PidValue::Literal(500)]));
    assert!(has(&c, &Check::ChildPid(500)));
    assert!(has(&c, &Check::ChildNspid(vec![Some(500)])));
    assert!(has(&c, &Check::Returned(500)));
    // set_tid for a new namespace and the caller's: innermost first.
    let c = simple(|c| {
        c.flags = CLONE_NEWPID;
        c.set_tid = SetTidSpec::Pids(vec![PidValue::Literal(1), PidValue::Literal(600)]);
    });
    assert!(has(&c, &Check::ChildPid(1)));
    assert!(has(&c, &Check::ChildNspid(vec![Some(600), Some(1)])));
    // After unshare(CLONE_NEWPID) the child is the first of the namespace: pid 1.
    let c = checks(vec![Step::UnsharePidNs], |_| {}, Behavior::default());
    assert!(has(&c, &Check::ChildPid(1)));
    // Two levels; the innermost pid is checked through the child's tid (ChildPid).
    assert!(has(&c, &Check::ChildNspid(vec![None, None])));
    // Its pid_for_children is that namespace, unreadable before it has an init: no pid
    // comparison.
    assert!(has(
        &c,
        &Check::Namespaces {
            new: vec![],
            same: vec![1, 2, 3, 4, 5, 6, 7]
        }
    ));
    // A plain fork has no pid to predict.
    assert!(!simple(|_| {})
        .iter()
        .any(|c| matches!(c, Check::ChildPid(_) | Check::ChildNspid(_))));
}

#[test]
fn namespaces_and_time() {
    let ns = |f: u64, k: (u32, u32, u32)| {
        simple_on(Arch::X86_64, k, |c| c.flags = f)
            .into_iter()
            .find_map(|c| match c {
                Check::Namespaces { new, .. } => Some(new),
                _ => None,
            })
            .expect("a namespaces check")
    };
    let v = (6, 18, 0);
    assert_eq!(ns(CLONE_NEWUSER, v), vec![2]);
    assert_eq!(ns(CLONE_NEWUTS, v), vec![3]);
    assert_eq!(ns(CLONE_NEWIPC, v), vec![4]);
    assert_eq!(ns(CLONE_NEWNET, v), vec![5]);
    assert_eq!(ns(CLONE_NEWNS, v), vec![6]);
    assert_eq!(ns(CLONE_NEWCGROUP, v), vec![7]);
    assert_eq!(ns(CLONE_NEWTIME, v), vec![1]);
    // timens_on_fork() only without CLONE_VM from 6.2.
    assert_eq!(ns(CLONE_NEWTIME | CLONE_VM, v), Vec::<usize>::new());
    assert_eq!(ns(CLONE_NEWTIME | CLONE_VM, (6, 1, 20)), vec![1]);
}

#[test]
fn thread_parent_and_sighand() {
    // CLONE_THREAD: not the caller's child to reap, no exit signal.
    let thread = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    let c = checks(
        vec![],
        |c| {
            c.flags = thread;
            c.exit_signal = 0;
        },
        Behavior {
            no_reap: true,
            ..Behavior::default()
        },
    );
    assert!(!c
        .iter()
        .any(|c| matches!(c, Check::ChildExited(_) | Check::ExitSignal(_))));
    // A new pid namespace's init sharing the caller's sighand: zap_pid_ns_processes() sets
    // SIGCHLD to SIG_IGN there, so the caller gets no signal and no child to wait for.
    let c = simple(|c| c.flags = CLONE_NEWPID | CLONE_SIGHAND | CLONE_VM);
    assert!(has(&c, &Check::ExitSignal(0)));
    assert!(!has(&c, &Check::ChildExited(0)));
    // With another exit signal the caller still reaps it.
    let c = simple(|c| {
        c.flags = CLONE_NEWPID | CLONE_SIGHAND | CLONE_VM;
        c.exit_signal = 10;
    });
    assert!(has(&c, &Check::ExitSignal(10)));
    assert!(has(&c, &Check::ChildExited(0)));
    // Without CLONE_SIGHAND the init's SIG_IGN is its own.
    let c = simple(|c| c.flags = CLONE_NEWPID | CLONE_VM);
    assert!(has(&c, &Check::ChildExited(0)));
    // A caller that exits: the child's new parent gets SIGCHLD whatever the exit signal
    // (reparent_leader()).
    let c = checks(
        vec![],
        |c| c.exit_signal = 10,
        Behavior {
            caller_exits: true,
            child_holds: true,
            ..Behavior::default()
        },
    );
    assert!(has(&c, &Check::ExitSignal(17)));
    assert!(has(&c, &Check::ChildAdopted));
}

#[test]
fn signal_dispositions() {
    let steps = || {
        vec![
            Step::Signal {
                signo: 10,
                disposition: Disposition::Handler,
            },
            Step::Signal {
                signo: 12,
                disposition: Disposition::Ignore,
            },
        ]
    };
    // fork copies the handlers; CLONE_CLEAR_SIGHAND resets handled ones to default and keeps
    // ignored ones (copy_sighand() -> flush_signal_handlers(.., 0)). Every other signal is
    // SIG_DFL, as the payload starts.
    let (usr1, usr2) = (1u64 << 9, 1u64 << 11);
    let c = checks(steps(), |_| {}, Behavior::default());
    assert!(has(
        &c,
        &Check::Dispositions {
            ignored: usr2,
            handled: usr1
        }
    ));
    let c = checks(
        steps(),
        |c| c.flags = CLONE_CLEAR_SIGHAND,
        Behavior::default(),
    );
    assert!(has(
        &c,
        &Check::Dispositions {
            ignored: usr2,
            handled: 0
        }
    ));
    // The last step for a signal is the one that holds.
    let mut later = steps();
    later.push(Step::Signal {
        signo: 12,
        disposition: Disposition::Handler,
    });
    let c = checks(later, |_| {}, Behavior::default());
    assert!(has(
        &c,
        &Check::Dispositions {
            ignored: 0,
            handled: usr1 | usr2
        }
    ));
    // CLONE_CLEAR_SIGHAND alone: every signal is checked, all SIG_DFL.
    let c = checks(
        vec![],
        |c| c.flags = CLONE_CLEAR_SIGHAND,
        Behavior::default(),
    );
    assert!(has(
        &c,
        &Check::Dispositions {
            ignored: 0,
            handled: 0
        }
    ));
    assert!(!simple(|_| {})
        .iter()
        .any(|c| matches!(c, Check::Dispositions { .. })));
}

#[test]
fn cgroups() {
    let c = checks(
        vec![Step::Cgroup],
        |c| {
            c.flags = CLONE_INTO_CGROUP;
            c.cgroup = CgroupSpec::Created;
        },
        Behavior {
            read_cgroup_procs: true,
            child_holds: true,
            ..Behavior::default()
        },
    );
    assert!(has(
        &c,
        &Check::ChildCgroupEndsWith("fuzz-success-one".into())
    ));
    assert!(has(&c, &Check::CgroupProcsListChild));
    // With a new cgroup namespace rooted there, the child sees "/".
    let c = checks(
        vec![Step::Cgroup],
        |c| {
            c.flags = CLONE_INTO_CGROUP | CLONE_NEWCGROUP;
            c.cgroup = CgroupSpec::Created;
        },
        Behavior::default(),
    );
    assert!(has(&c, &Check::ChildCgroupEndsWith(String::new())));
    assert!(!has(&c, &Check::CgroupProcsListChild));
}

#[test]
fn the_2026_flags_on_success() {
    let on73 = |f: u64, b: Behavior| {
        checks_on(
            Arch::X86_64,
            (7, 3, 0),
            &case_with(
                vec![],
                Call::Clone3(Clone3Call {
                    flags: f,
                    exit_signal: if f & CLONE_AUTOREAP != 0 { 0 } else { 17 },
                    pidfd: Ptr::Slot(SlotKind::Pidfd),
                    ..Clone3Call::default()
                }),
                b,
            ),
        )
    };
    let follow = Behavior {
        follow_exit: true,
        ..Behavior::default()
    };
    // CLONE_AUTOREAP: the kernel reaps the child; a pidfd still reports its exit.
    let c = on73(CLONE_AUTOREAP | CLONE_PIDFD, follow);
    assert!(has(&c, &Check::WaitEchild));
    assert!(has(&c, &Check::PidfdReportsEnd(ChildEndSpec::Exited(0))));
    assert!(has(&c, &Check::ExitSignal(0)));
    assert!(has(&c, &Check::NoNewPrivs(0)));
    assert!(!has(&c, &Check::ChildExited(0)));
    assert!(
        !has(&c, &Check::SurvivesOtherPidfdClose),
        "nothing closes a pidfd"
    );
    let c = on73(CLONE_AUTOREAP, follow);
    assert!(has(&c, &Check::WaitEchild));
    assert!(!c.iter().any(|c| matches!(c, Check::PidfdReportsEnd(_))));
    // Closing the last pidfd of a CLONE_PIDFD_AUTOKILL child kills it.
    let close = Behavior {
        close_pidfd: true,
        ..Behavior::default()
    };
    let c = on73(
        CLONE_AUTOREAP | CLONE_PIDFD | CLONE_PIDFD_AUTOKILL | CLONE_NNP,
        close,
    );
    assert!(has(&c, &Check::PidfdReportsEnd(ChildEndSpec::Killed(9))));
    assert!(has(&c, &Check::SurvivesOtherPidfdClose));
    assert!(has(&c, &Check::NoNewPrivs(1)));
    let c = on73(CLONE_AUTOREAP | CLONE_PIDFD, close);
    assert!(has(&c, &Check::PidfdReportsEnd(ChildEndSpec::Exited(0))));
    // Without CLONE_PIDFD there is no pidfd of the call's to close.
    let c = on73(CLONE_AUTOREAP, close);
    assert!(!has(&c, &Check::SurvivesOtherPidfdClose));
    // CLONE_NNP alone.
    let c = on73(CLONE_NNP, Behavior::default());
    assert!(has(&c, &Check::NoNewPrivs(1)));
    assert!(!on73(0, Behavior::default())
        .iter()
        .any(|c| matches!(c, Check::NoNewPrivs(_))));
    // CLONE_EMPTY_MNTNS: a new mount namespace holding one mount.
    let c = on73(
        CLONE_EMPTY_MNTNS,
        Behavior {
            read_child_mounts: true,
            ..Behavior::default()
        },
    );
    assert!(has(&c, &Check::MountNsEmpty));
    assert!(!c.iter().any(|c| matches!(c, Check::Namespaces { .. })));
    // The check reads what only a case that asks for the child's mounts reports.
    assert!(!on73(CLONE_EMPTY_MNTNS, Behavior::default()).contains(&Check::MountNsEmpty));
    let asks = Behavior {
        read_child_mounts: true,
        ..Behavior::default()
    };
    assert!(!on73(0, asks).contains(&Check::MountNsEmpty));
}

#[test]
fn a_stack_nothing_maps_kills_the_child() {
    // An address above 4 GiB in a process with 32-bit pointers that long mode uses whole
    // (x32): nothing is mapped there.
    let c = simple_on(Arch::X32, (6, 1, 0), |c| {
        c.stack = StackSpec::Region {
            len: 65536,
            offset: 1 << 32,
        };
        c.stack_size = 4096;
    });
    assert_eq!(c, vec![Check::ChildKilled(11)]);
}
