//! Every `Check` against an observation that satisfies it and observations that each break
//! one of its conditions, and every branch of `judge()`: a check that accepts what it should
//! refuse lets a broken kernel PASS.

use cloneabi_suites::case::SlotKind;
use cloneabi_suites::errno::{E2BIG, EINVAL, ENOSYS};
use cloneabi_suites::judge::{clone3_gap, judge, observed_outcome, Clone3Gap};
use cloneabi_suites::model::checks::{cgroup_dir_name, ChildEndSpec};
use cloneabi_suites::model::{Check, Expectation};
use cloneabi_suites::observation::{
    ChildEnd, ChildMounts, ChildReport, Dispositions as Disp, EnvReport, Observation, PidfdExit,
    ReceivedSignal, Slot, NS_NAMES, SLOT_SENTINEL,
};
use cloneabi_suites::verdict::Verdict;

const CHILD_TID: i32 = 4242;
const RET: i64 = 4242;
const CASE_PROCESS: i32 = 77;
const STACK_BASE: u64 = 0x7f00_0000_0000;
const TLS_AREA: u64 = 0x7f10_0000_0000;

fn slot(value: i32) -> Option<Slot> {
    Some(Slot {
        value,
        after: SLOT_SENTINEL,
    })
}

fn untouched() -> Option<Slot> {
    Some(Slot {
        value: SLOT_SENTINEL as i32,
        after: SLOT_SENTINEL,
    })
}

/// A successful call whose observation satisfies every check below as first written: each
/// violating observation changes one field of it. Namespace inodes differ per index, so a
/// check that reads the wrong index sees a difference.
fn good() -> Observation {
    let caller_ns: [u64; 8] = std::array::from_fn(|i| 1000 + i as u64);
    let mut child_ns = caller_ns;
    child_ns[2] = 2002; // a new user namespace
    Observation {
        ret: RET,
        stack_base: STACK_BASE,
        tls_area: TLS_AREA,
        pidfd_slot: slot(5),
        parent_tid_slot: slot(RET as i32),
        child_tid_slot: slot(CHILD_TID),
        caller_ns,
        caller_pid: CASE_PROCESS,
        child_end: Some(ChildEnd::Exited(0)),
        exit_signal: 17,
        pidfd_send_ret: Some(0),
        cleartid_woken: Some(true),
        cgroup_procs: Some("12\n4242\n".into()),
        child: Some(ChildReport {
            pid: CHILD_TID,
            tid: CHILD_TID,
            ppid: CASE_PROCESS,
            sp: STACK_BASE + 0x4000,
            tls: TLS_AREA + 0x10,
            nspid: vec![4242, 7, 1],
            // SIGUSR1 ignored, SIGUSR2 handled, every other signal SIG_DFL.
            dispositions: Some(USR1_IGNORED_USR2_HANDLED),
            child_tid_seen: CHILD_TID,
            signal: Some(ReceivedSignal {
                signo: 10,
                code: -1,
                value: 777,
            }),
            cgroup: "/cloneabi/run/case-1\n".into(),
            ns: child_ns,
            no_new_privs: Some(1),
        }),
        pidfd_exit: Some(PidfdExit {
            poll: 1,
            info: 0,
            mask: 1 << 3,
            exit_code: 0,
        }),
        wait_errno: Some(10),
        child_mounts: Some(ChildMounts {
            mnt_ns: 5006,
            mounts: 1,
        }),
        other_close_poll: Some(0),
        child_thread: Some(1),
        pidfd_flags: Some(1),
        ..Observation::default()
    }
}

const USR1_IGNORED_USR2_HANDLED: Disp = Disp {
    ignored: 1 << 9,
    handled: 1 << 11,
};

fn with(f: impl FnOnce(&mut Observation)) -> Observation {
    let mut o = good();
    f(&mut o);
    o
}

fn with_child(f: impl FnOnce(&mut ChildReport)) -> Observation {
    with(|o| f(o.child.as_mut().unwrap()))
}

/// `check`, an observation that satisfies it (`good()` unless named), and observations that
/// each violate it (named for the failure message).
type Row = (Check, Observation, Vec<(&'static str, Observation)>);

fn table() -> Vec<Row> {
    use Check::*;
    let no_child = || with(|o| o.child = None);
    let mut t: Vec<Row> = [
        (ChildRan, vec![("no child report", no_child())]),
        (
            ChildExited(0),
            vec![
                (
                    "exited 1",
                    with(|o| o.child_end = Some(ChildEnd::Exited(1))),
                ),
                (
                    "killed 0",
                    with(|o| o.child_end = Some(ChildEnd::Killed(0))),
                ),
                (
                    "not reaped",
                    with(|o| o.child_end = Some(ChildEnd::NotReaped)),
                ),
                ("no end", with(|o| o.child_end = None)),
            ],
        ),
        (
            ExitSignal(17),
            vec![
                ("none", with(|o| o.exit_signal = 0)),
                ("SIGUSR1", with(|o| o.exit_signal = 10)),
            ],
        ),
        (
            ChildPid(4242),
            vec![
                ("other tid", with_child(|c| c.tid = 4243)),
                // The pid the kernel chose is the new task's thread id, not its getpid().
                (
                    "pid matches, tid does not",
                    with_child(|c| {
                        c.pid = 4242;
                        c.tid = 4300
                    }),
                ),
                ("no child", no_child()),
            ],
        ),
        (
            ChildNspid(vec![None, Some(7), Some(1)]),
            vec![
                ("one level short", with_child(|c| c.nspid = vec![4242, 7])),
                (
                    "one level more",
                    with_child(|c| c.nspid = vec![4242, 7, 1, 1]),
                ),
                ("a wrong level", with_child(|c| c.nspid = vec![4242, 8, 1])),
                (
                    "innermost wrong",
                    with_child(|c| c.nspid = vec![4242, 7, 2]),
                ),
                ("no child", no_child()),
            ],
        ),
        (
            Returned(4242),
            vec![
                ("other pid", with(|o| o.ret = 4241)),
                ("zero", with(|o| o.ret = 0)),
            ],
        ),
        (
            ChildSp { offset: 0x4000 },
            vec![
                ("at the base", with_child(|c| c.sp = STACK_BASE)),
                ("one past", with_child(|c| c.sp = STACK_BASE + 0x4001)),
                ("no child", no_child()),
            ],
        ),
        (
            ChildTlsArea { offset: 0x10 },
            vec![
                ("the area itself", with_child(|c| c.tls = TLS_AREA)),
                ("no child", no_child()),
            ],
        ),
        (
            ChildTls(TLS_AREA + 0x10),
            vec![
                ("zero", with_child(|c| c.tls = 0)),
                ("no child", no_child()),
            ],
        ),
        (
            SlotIsReturnedPid(SlotKind::ParentTid),
            vec![
                ("another value", with(|o| o.parent_tid_slot = slot(4241))),
                (
                    "8 bytes written",
                    with(|o| {
                        o.parent_tid_slot = Some(Slot {
                            value: 4242,
                            after: 0,
                        })
                    }),
                ),
                ("untouched", with(|o| o.parent_tid_slot = untouched())),
                ("not reported", with(|o| o.parent_tid_slot = None)),
            ],
        ),
        (
            SlotIsChildPid(SlotKind::ChildTid),
            vec![
                ("another value", with(|o| o.child_tid_slot = slot(4241))),
                (
                    "8 bytes written",
                    with(|o| {
                        o.child_tid_slot = Some(Slot {
                            value: CHILD_TID,
                            after: 0,
                        })
                    }),
                ),
                // schedule_tail() stores the thread id: the slot must follow tid, not pid.
                ("the child's tid differs", with_child(|c| c.tid = 4243)),
                ("no child", no_child()),
                ("not reported", with(|o| o.child_tid_slot = None)),
            ],
        ),
        (
            SlotIsFd(SlotKind::Pidfd),
            vec![
                ("negative", with(|o| o.pidfd_slot = slot(-1))),
                ("untouched", with(|o| o.pidfd_slot = untouched())),
                (
                    "8 bytes written",
                    with(|o| o.pidfd_slot = Some(Slot { value: 5, after: 0 })),
                ),
                ("not reported", with(|o| o.pidfd_slot = None)),
            ],
        ),
        (
            ChildSawChildTid,
            vec![
                ("saw 0", with_child(|c| c.child_tid_seen = 0)),
                ("no child", no_child()),
            ],
        ),
        (
            PidfdSignalDelivered,
            vec![
                ("send failed", with(|o| o.pidfd_send_ret = Some(-3))),
                ("send not tried", with(|o| o.pidfd_send_ret = None)),
                (
                    "another signal",
                    with_child(|c| c.signal.as_mut().unwrap().signo = 12),
                ),
                (
                    "another code",
                    with_child(|c| c.signal.as_mut().unwrap().code = 0),
                ),
                (
                    "another value",
                    with_child(|c| c.signal.as_mut().unwrap().value = 778),
                ),
                ("nothing received", with_child(|c| c.signal = None)),
            ],
        ),
        (
            CleartidWoke,
            vec![
                ("not woken", with(|o| o.cleartid_woken = Some(false))),
                ("no waiter", with(|o| o.cleartid_woken = None)),
            ],
        ),
        (
            Dispositions {
                ignored: 1 << 9,
                handled: 1 << 11,
            },
            vec![
                (
                    "usr1 default",
                    with_child(|c| c.dispositions.as_mut().unwrap().ignored = 0),
                ),
                (
                    "usr2 ignored",
                    with_child(|c| {
                        c.dispositions = Some(Disp {
                            ignored: 1 << 9 | 1 << 11,
                            handled: 0,
                        })
                    }),
                ),
                (
                    "signal 40 handled too",
                    with_child(|c| c.dispositions.as_mut().unwrap().handled |= 1 << 39),
                ),
                (
                    "SIGHUP ignored too",
                    with_child(|c| c.dispositions.as_mut().unwrap().ignored |= 1),
                ),
                ("not reported", with_child(|c| c.dispositions = None)),
                ("no child", no_child()),
            ],
        ),
        (
            PidfdCloexec(SlotKind::Pidfd),
            vec![
                ("no FD_CLOEXEC", with(|o| o.pidfd_flags = Some(0))),
                ("not a descriptor", with(|o| o.pidfd_flags = Some(-9))),
                ("not read", with(|o| o.pidfd_flags = None)),
            ],
        ),
        (
            ChildCgroupEndsWith("case-1".into()),
            vec![
                (
                    "another cgroup",
                    with_child(|c| c.cgroup = "/cloneabi/run\n".into()),
                ),
                // The component must be whole, not a suffix of another one.
                (
                    "a longer name",
                    with_child(|c| c.cgroup = "/x/mycase-1".into()),
                ),
                ("no child", no_child()),
            ],
        ),
        (
            CgroupProcsListChild,
            vec![
                (
                    "other pids",
                    with(|o| o.cgroup_procs = Some("12 42420\n".into())),
                ),
                ("empty", with(|o| o.cgroup_procs = Some(String::new()))),
                ("not read", with(|o| o.cgroup_procs = None)),
            ],
        ),
        (
            WaitEchild,
            vec![
                ("the caller reaped it", with(|o| o.wait_errno = Some(0))),
                ("another errno", with(|o| o.wait_errno = Some(4))),
                ("no wait", with(|o| o.wait_errno = None)),
            ],
        ),
        (
            PidfdReportsEnd(ChildEndSpec::Exited(0)),
            vec![
                (
                    "not readable",
                    with(|o| o.pidfd_exit.as_mut().unwrap().poll = 0),
                ),
                (
                    "info failed",
                    with(|o| o.pidfd_exit.as_mut().unwrap().info = -22),
                ),
                (
                    "no exit in mask",
                    with(|o| o.pidfd_exit.as_mut().unwrap().mask = 0),
                ),
                (
                    "other bits only",
                    with(|o| o.pidfd_exit.as_mut().unwrap().mask = 1 << 2 | 1),
                ),
                (
                    "exited 1",
                    with(|o| o.pidfd_exit.as_mut().unwrap().exit_code = 1 << 8),
                ),
                (
                    "killed by SIGKILL",
                    with(|o| o.pidfd_exit.as_mut().unwrap().exit_code = 9),
                ),
                ("no pidfd report", with(|o| o.pidfd_exit = None)),
            ],
        ),
        (
            NoNewPrivs(1),
            vec![
                ("0", with_child(|c| c.no_new_privs = Some(0))),
                ("not read", with_child(|c| c.no_new_privs = None)),
                ("no child", no_child()),
            ],
        ),
        (
            MountNsEmpty,
            vec![
                (
                    "two mounts",
                    with(|o| o.child_mounts.as_mut().unwrap().mounts = 2),
                ),
                (
                    "no mounts",
                    with(|o| o.child_mounts.as_mut().unwrap().mounts = 0),
                ),
                (
                    "unreadable namespace",
                    with(|o| o.child_mounts.as_mut().unwrap().mnt_ns = 0),
                ),
                (
                    "the caller's namespace",
                    with(|o| o.child_mounts.as_mut().unwrap().mnt_ns = 1006),
                ),
                ("not read", with(|o| o.child_mounts = None)),
            ],
        ),
        (
            SurvivesOtherPidfdClose,
            vec![
                ("ended", with(|o| o.other_close_poll = Some(1))),
                ("not polled", with(|o| o.other_close_poll = None)),
            ],
        ),
        (
            ChildAdopted,
            vec![
                ("another parent", with_child(|c| c.ppid = 1)),
                ("no child", no_child()),
            ],
        ),
        (
            ThreadOutlivedChild,
            vec![
                ("gave up", with(|o| o.child_thread = Some(0))),
                ("could not start", with(|o| o.child_thread = Some(-11))),
                ("no report", with(|o| o.child_thread = None)),
            ],
        ),
        (
            Namespaces {
                new: vec![2],
                same: vec![0, 1, 3, 4, 5, 6, 7],
            },
            vec![
                ("user not new", with_child(|c| c.ns[2] = 1002)),
                ("user unreadable in the child", with_child(|c| c.ns[2] = 0)),
                (
                    "user unreadable in the caller",
                    with(|o| o.caller_ns[2] = 0),
                ),
                ("pid changed", with_child(|c| c.ns[0] = 3000)),
                ("cgroup changed", with_child(|c| c.ns[7] = 3007)),
                (
                    "cgroup unreadable in the child",
                    with_child(|c| c.ns[7] = 0),
                ),
            ],
        ),
    ]
    .into_iter()
    .map(|(check, bad)| (check, good(), bad))
    .collect();
    t.push((
        SlotUntouched(SlotKind::ParentTid),
        with(|o| o.parent_tid_slot = untouched()),
        vec![
            ("its int written", with(|o| o.parent_tid_slot = slot(4242))),
            (
                "only the bytes after it written",
                with(|o| {
                    o.parent_tid_slot = Some(Slot {
                        value: SLOT_SENTINEL as i32,
                        after: 0,
                    })
                }),
            ),
            ("not reported", with(|o| o.parent_tid_slot = None)),
        ],
    ));
    t.push((
        ChildCgroupEndsWith(String::new()),
        with_child(|c| c.cgroup = "/\n".into()),
        vec![("not the root", with_child(|c| c.cgroup = "/a".into()))],
    ));
    // The slot checks read the slot they name, and no other.
    for (kind, other) in [
        (SlotKind::Pidfd, SlotKind::ParentTid),
        (SlotKind::ParentTid, SlotKind::ChildTid),
        (SlotKind::ChildTid, SlotKind::Pidfd),
    ] {
        let set = |o: &mut Observation, k: SlotKind, v: Option<Slot>| match k {
            SlotKind::Pidfd => o.pidfd_slot = v,
            SlotKind::ParentTid => o.parent_tid_slot = v,
            SlotKind::ChildTid => o.child_tid_slot = v,
        };
        t.push((
            SlotCleared(kind),
            with(|o| set(o, kind, slot(0))),
            vec![
                ("holds the pid", with(|o| set(o, kind, slot(CHILD_TID)))),
                (
                    "8 bytes written",
                    with(|o| set(o, kind, Some(Slot { value: 0, after: 0 }))),
                ),
                ("not reported", with(|o| set(o, kind, None))),
                (
                    "another slot cleared",
                    with(|o| {
                        set(o, kind, slot(CHILD_TID));
                        set(o, other, slot(0));
                    }),
                ),
            ],
        ));
    }
    t
}

/// Observations `good()` does not satisfy but another one does.
fn satisfied_elsewhere() -> Vec<(Check, Observation)> {
    use Check::*;
    let cleared = |k: SlotKind| {
        with(|o| match k {
            SlotKind::Pidfd => o.pidfd_slot = slot(0),
            SlotKind::ParentTid => o.parent_tid_slot = slot(0),
            SlotKind::ChildTid => o.child_tid_slot = slot(0),
        })
    };
    vec![
        (
            ChildKilled(9),
            with(|o| o.child_end = Some(ChildEnd::Killed(9))),
        ),
        (SlotCleared(SlotKind::Pidfd), cleared(SlotKind::Pidfd)),
        (
            SlotCleared(SlotKind::ParentTid),
            cleared(SlotKind::ParentTid),
        ),
        (SlotCleared(SlotKind::ChildTid), cleared(SlotKind::ChildTid)),
        (SlotIsFd(SlotKind::Pidfd), with(|o| o.pidfd_slot = slot(0))),
        (
            SlotUntouched(SlotKind::ParentTid),
            with(|o| o.parent_tid_slot = untouched()),
        ),
        (
            SlotUntouched(SlotKind::ChildTid),
            with(|o| o.child_tid_slot = untouched()),
        ),
        (
            SlotUntouched(SlotKind::Pidfd),
            with(|o| o.pidfd_slot = untouched()),
        ),
        (
            SlotIsReturnedPid(SlotKind::Pidfd),
            with(|o| o.pidfd_slot = slot(4242)),
        ),
        (
            SlotIsReturnedPid(SlotKind::ChildTid),
            with(|o| o.child_tid_slot = slot(4242)),
        ),
        (
            SlotIsChildPid(SlotKind::ParentTid),
            with(|o| o.parent_tid_slot = slot(CHILD_TID)),
        ),
        (
            PidfdReportsEnd(ChildEndSpec::Exited(3)),
            with(|o| o.pidfd_exit.as_mut().unwrap().exit_code = 3 << 8),
        ),
        (
            PidfdReportsEnd(ChildEndSpec::Killed(9)),
            with(|o| {
                let e = o.pidfd_exit.as_mut().unwrap();
                e.exit_code = 9;
                e.mask = 0xff;
            }),
        ),
        (
            ChildCgroupEndsWith(String::new()),
            with_child(|c| c.cgroup = "/\n".into()),
        ),
        (
            Dispositions {
                ignored: 0,
                handled: 0,
            },
            with_child(|c| c.dispositions = Some(Disp::default())),
        ),
        (
            // A namespace type the kernel lacks reads 0 on both sides: the same.
            Namespaces {
                new: vec![],
                same: vec![1],
            },
            with(|o| {
                o.caller_ns[1] = 0;
                o.child.as_mut().unwrap().ns[1] = 0;
            }),
        ),
        (ChildPid(4242), with_child(|c| c.pid = 1)),
    ]
}

#[test]
fn every_check_is_satisfied_by_its_observation() {
    for (check, o, _) in table() {
        if let Some(seen) = check.violation(&o) {
            panic!("{check:?} refused the observation that satisfies it: {seen}");
        }
    }
    for (check, o) in satisfied_elsewhere() {
        if let Some(seen) = check.violation(&o) {
            panic!("{check:?} refused the observation that satisfies it: {seen}");
        }
    }
}

#[test]
fn every_check_refuses_each_observation_that_breaks_it() {
    for (check, _, bad) in table() {
        for (what, o) in bad {
            assert!(
                check.violation(&o).is_some(),
                "{check:?} accepted an observation where {what}"
            );
        }
    }
}

/// `good()` has the child exit, so ChildKilled is not in `table()`: its own observations.
#[test]
fn child_killed_asks_for_its_own_signal() {
    let check = Check::ChildKilled(9);
    let ended = |end: Option<ChildEnd>| with(|o| o.child_end = end);
    assert_eq!(check.violation(&ended(Some(ChildEnd::Killed(9)))), None);
    for (what, end) in [
        ("killed by 11", Some(ChildEnd::Killed(11))),
        ("exited 9", Some(ChildEnd::Exited(9))),
        ("not reaped", Some(ChildEnd::NotReaped)),
        ("no end", None),
    ] {
        assert!(
            check.violation(&ended(end)).is_some(),
            "ChildKilled(9) accepted an observation where the child was {what}"
        );
    }
}

#[test]
fn wait_statuses_are_decoded_as_wait_2_does() {
    let report = |exit_code: i32| {
        with(|o| {
            o.pidfd_exit = Some(PidfdExit {
                poll: 1,
                info: 0,
                mask: 1 << 3,
                exit_code,
            })
        })
    };
    let holds = |end: ChildEndSpec, status: i32| {
        Check::PidfdReportsEnd(end)
            .violation(&report(status))
            .is_none()
    };
    // Exit code in bits 8-15, low 7 bits zero.
    assert!(holds(ChildEndSpec::Exited(1), 0x100));
    assert!(!holds(ChildEndSpec::Exited(1), 0x100 | 9));
    assert!(!holds(ChildEndSpec::Exited(1), 0x200));
    assert!(holds(ChildEndSpec::Exited(255), 0xff00));
    // Killed: the signal in the low 7 bits (0x80 is the core-dump flag); 0x7f is "stopped".
    assert!(holds(ChildEndSpec::Killed(9), 9));
    assert!(holds(ChildEndSpec::Killed(11), 11 | 0x80));
    assert!(!holds(ChildEndSpec::Killed(9), 0x900));
    assert!(!holds(ChildEndSpec::Killed(0x7f), 0x7f));
}

#[test]
fn namespaces_without_a_child_report_are_left_to_child_ran() {
    // The check reads the child's links; a child that never reported fails ChildRan instead.
    let check = Check::Namespaces {
        new: vec![2],
        same: vec![],
    };
    assert_eq!(check.violation(&with(|o| o.child = None)), None);
    assert!(Check::ChildRan
        .violation(&with(|o| o.child = None))
        .is_some());
}

#[test]
fn violations_say_what_was_seen() {
    let seen = Check::ExitSignal(17)
        .violation(&with(|o| o.exit_signal = 10))
        .unwrap();
    assert_eq!(seen, "exit signal 10");
    let seen = Check::Returned(4242)
        .violation(&with(|o| o.ret = 9))
        .unwrap();
    assert_eq!(seen, "returned 9");
    let seen = Check::Namespaces {
        new: vec![3],
        same: vec![5],
    }
    .violation(&with_child(|c| c.ns[5] = 1))
    .unwrap();
    assert_eq!(seen, "uts not new, net changed");
    let slot_seen = |o: Observation| {
        Check::SlotUntouched(SlotKind::ParentTid)
            .violation(&o)
            .unwrap()
    };
    assert_eq!(
        slot_seen(with(|o| o.parent_tid_slot = slot(4242))),
        "slot 4242 (next 4 bytes 0x5a5a5a5a)"
    );
    assert_eq!(
        slot_seen(with(|o| o.parent_tid_slot = None)),
        "slot not reported"
    );
    let fd_seen = Check::SlotIsFd(SlotKind::Pidfd)
        .violation(&with(|o| o.pidfd_slot = untouched()))
        .unwrap();
    assert_eq!(fd_seen, "slot untouched");
}

#[test]
fn every_check_describes_itself_distinctly() {
    let mut all: Vec<Check> = table().into_iter().map(|(c, _, _)| c).collect();
    all.extend(satisfied_elsewhere().into_iter().map(|(c, _)| c));
    all.push(Check::ExitSignal(0));
    all.sort_by_key(|c| format!("{c:?}"));
    all.dedup();
    let mut texts: Vec<String> = all.iter().map(|c| c.describe()).collect();
    for t in &texts {
        assert!(!t.is_empty() && t != "xyzzy", "{t:?}");
    }
    let n = texts.len();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), n, "two checks describe themselves alike");
    assert_eq!(Check::ExitSignal(0).describe(), "no exit signal");
    assert_eq!(Check::ExitSignal(17).describe(), "exit signal SIGCHLD");
    assert_eq!(
        Check::Dispositions {
            ignored: 1 << 11,
            handled: 0
        }
        .describe(),
        "SIGUSR2 ignored"
    );
    assert_eq!(
        Check::Dispositions {
            ignored: 1,
            handled: 1 << 9 | 1 << 63
        }
        .describe(),
        "SIGHUP ignored, SIGUSR1 handled, signal 64 handled"
    );
    assert_eq!(
        Check::Dispositions {
            ignored: 0,
            handled: 0
        }
        .describe(),
        "every signal SIG_DFL"
    );
    assert_eq!(
        Check::Namespaces {
            new: vec![],
            same: vec![1]
        }
        .describe(),
        "no new namespaces"
    );
    assert_eq!(
        Check::Namespaces {
            new: vec![2, 6],
            same: vec![]
        }
        .describe(),
        "new user+mnt namespace(s)"
    );
    assert_eq!(
        Check::ChildNspid(vec![None, Some(5)]).describe(),
        "NSpid * 5"
    );
}

#[test]
fn only_the_checks_that_read_proc_ask_for_it() {
    let needs = |c: Check| {
        let n = c.needs();
        (n.nspid, n.cgroup, n.dispositions, n.no_new_privs)
    };
    assert_eq!(
        needs(Check::ChildNspid(vec![])),
        (true, false, false, false)
    );
    assert_eq!(
        needs(Check::ChildCgroupEndsWith("x".into())),
        (false, true, false, false)
    );
    assert_eq!(
        needs(Check::Dispositions {
            ignored: 0,
            handled: 0
        }),
        (false, false, true, false)
    );
    assert_eq!(needs(Check::NoNewPrivs(0)), (false, false, false, true));
    assert_eq!(needs(Check::ChildRan), (false, false, false, false));
    // The caller's read of the pidfd's flags names the slot to read.
    for slot in [SlotKind::Pidfd, SlotKind::ParentTid] {
        let n = Check::PidfdCloexec(slot).needs();
        assert_eq!(n.pidfd_flags, Some(slot));
        assert_eq!(
            needs(Check::PidfdCloexec(slot)),
            (false, false, false, false)
        );
    }
    assert_eq!(Check::SlotIsFd(SlotKind::Pidfd).needs().pidfd_flags, None);
}

#[test]
fn a_case_id_names_its_cgroup_directory() {
    assert_eq!(
        cgroup_dir_name("cgroup.into.created"),
        "cgroup-into-created"
    );
}

// ---- judge() ----

fn success(checks: Vec<Check>) -> Expectation {
    Expectation::Success { checks }
}

fn einval() -> Expectation {
    Expectation::Errno {
        errno: EINVAL,
        rule: "a rule".into(),
    }
}

fn failed_with(errno: i32) -> Observation {
    Observation {
        ret: -1,
        errno,
        ..Observation::default()
    }
}

#[test]
fn judge_passes_a_matching_errno() {
    let j = judge(&einval(), &failed_with(EINVAL), true, None);
    assert_eq!(j.verdict, Verdict::Pass);
    assert_eq!(j.reason, "");
    assert_eq!(
        (j.expected_outcome.as_str(), j.observed_outcome.as_str()),
        ("EINVAL", "EINVAL")
    );
    assert_eq!(j.expected, "EINVAL (a rule)");
    assert_eq!(j.observed, "EINVAL");
}

#[test]
fn judge_fails_another_errno_or_a_success() {
    let j = judge(&einval(), &failed_with(E2BIG), true, None);
    assert_eq!(j.verdict, Verdict::Fail);
    assert_eq!(j.reason, "expected EINVAL, observed E2BIG");
    // A success keeps errno 0; even a stale errno equal to the expected one is no failure.
    let mut o = good();
    o.errno = EINVAL;
    let j = judge(&einval(), &o, true, None);
    assert_eq!(j.verdict, Verdict::Fail);
    assert_eq!(j.observed_outcome, "ok");
    // ret 0 is a success too (the child's side never reaches the judge, but 0 is not -errno).
    let j = judge(
        &einval(),
        &Observation {
            ret: 0,
            errno: EINVAL,
            ..Observation::default()
        },
        true,
        None,
    );
    assert_eq!(j.verdict, Verdict::Fail);
}

#[test]
fn judge_passes_a_success_whose_checks_hold() {
    let j = judge(
        &success(vec![Check::ChildRan, Check::ExitSignal(17)]),
        &good(),
        true,
        None,
    );
    assert_eq!(j.verdict, Verdict::Pass, "{}", j.reason);
    assert_eq!(j.observed, "success");
    assert_eq!(j.expected, "success: child ran; exit signal SIGCHLD");
    assert_eq!(success(vec![]).describe(), "success");
}

#[test]
fn judge_fails_a_success_that_breaks_a_check() {
    let j = judge(
        &success(vec![Check::ChildRan, Check::ExitSignal(10)]),
        &good(),
        true,
        None,
    );
    assert_eq!(j.verdict, Verdict::Fail);
    assert_eq!(
        j.reason,
        "success, but exit signal SIGUSR1: observed exit signal 17"
    );
    assert_eq!(j.observed, j.reason);
}

#[test]
fn judge_fails_an_error_where_success_was_expected() {
    let j = judge(&success(vec![]), &failed_with(ENOSYS), true, None);
    assert_eq!(j.verdict, Verdict::Fail);
    assert_eq!(j.reason, "expected success, observed ENOSYS");
}

#[test]
fn judge_skips_what_the_model_skips() {
    let skip = Expectation::Skip {
        reason: "no such thing here".into(),
    };
    let j = judge(&skip, &failed_with(EINVAL), false, None);
    assert_eq!(j.verdict, Verdict::Skip);
    assert_eq!(j.reason, "no such thing here");
}

#[test]
fn judge_errors_on_a_timeout_or_a_failed_setup() {
    let timed_out = Observation {
        timed_out: true,
        ..good()
    };
    let j = judge(&success(vec![]), &timed_out, true, None);
    assert_eq!(j.verdict, Verdict::Error);
    assert!(j.reason.starts_with("timeout"), "{}", j.reason);
    assert_eq!(j.observed_outcome, "timeout");
    assert_eq!(j.observed, "timed out");

    let setup = Observation {
        setup_failed: Some((2, 1)),
        ..good()
    };
    let j = judge(&success(vec![]), &setup, true, None);
    assert_eq!(j.verdict, Verdict::Error);
    assert_eq!(j.reason, "the case's setup failed at step 2 with EPERM");
    assert_eq!(j.observed_outcome, "setup-failed");
    assert_eq!(j.observed, "setup step 2 failed with EPERM");
}

#[test]
fn judge_lets_a_clone3_gap_override_clone3_cases_only() {
    let seccomp = Clone3Gap::MaskedBySeccomp { errno: 1 };
    let qemu = Clone3Gap::EmulatorLacksClone3;
    let j = judge(&einval(), &failed_with(EINVAL), true, Some(&seccomp));
    assert_eq!(j.verdict, Verdict::Error);
    assert_eq!(j.reason, seccomp.finding());
    let j = judge(&einval(), &failed_with(ENOSYS), true, Some(&qemu));
    assert_eq!(j.verdict, Verdict::Skip);
    assert_eq!(
        j.reason,
        "qemu-user lacks clone3 (every call answers ENOSYS)"
    );
    // Legacy clone() is judged as usual.
    let j = judge(&einval(), &failed_with(ENOSYS), false, Some(&qemu));
    assert_eq!(j.verdict, Verdict::Fail);
    assert!(seccomp.finding().contains("EPERM"));
}

#[test]
fn observed_outcomes_are_canonical() {
    assert_eq!(observed_outcome(&good()), "ok");
    assert_eq!(observed_outcome(&failed_with(E2BIG)), "E2BIG");
    let killed = with(|o| o.child_end = Some(ChildEnd::Killed(11)));
    assert_eq!(observed_outcome(&killed), "killed:SIGSEGV");
    let j = judge(&success(vec![]), &killed, true, None);
    assert_eq!(j.observed, "success, then the child was killed by SIGSEGV");
    // A timeout wins over a setup failure, which wins over the call's result.
    let both = Observation {
        timed_out: true,
        setup_failed: Some((0, 1)),
        ..failed_with(EINVAL)
    };
    assert_eq!(observed_outcome(&both), "timeout");
    let setup = Observation {
        setup_failed: Some((0, 1)),
        ..failed_with(EINVAL)
    };
    assert_eq!(observed_outcome(&setup), "setup-failed");
    assert_eq!(
        observed_outcome(&Observation {
            ret: 0,
            ..Observation::default()
        }),
        "ok"
    );
}

#[test]
fn the_clone3_probe_tells_the_kernel_from_a_filter_or_an_emulator() {
    let env = |errno: i32, seccomp: i32| EnvReport {
        clone3_probe_errno: errno,
        seccomp_mode: seccomp,
        ..EnvReport::default()
    };
    // The kernel's own answer.
    assert_eq!(clone3_gap(&env(EINVAL, 2), true, true), None);
    // A kernel without clone3 answers ENOSYS itself.
    assert_eq!(clone3_gap(&env(ENOSYS, 2), false, true), None);
    assert_eq!(
        clone3_gap(&env(1, 2), true, false),
        Some(Clone3Gap::MaskedBySeccomp { errno: 1 })
    );
    assert_eq!(
        clone3_gap(&env(ENOSYS, 0), true, true),
        Some(Clone3Gap::EmulatorLacksClone3)
    );
    assert_eq!(clone3_gap(&env(ENOSYS, 0), true, false), None);
    assert_eq!(clone3_gap(&env(1, 0), true, true), None);
    assert_eq!(clone3_gap(&env(1, 1), true, false), None);
}

#[test]
fn ns_names_order_is_the_one_the_tests_assume() {
    assert_eq!(NS_NAMES[2], "user");
    assert_eq!(NS_NAMES[6], "mnt");
}
