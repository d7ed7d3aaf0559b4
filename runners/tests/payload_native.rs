//! The payload on the host kernel, run directly as a subprocess (not pid 1, options 0).

mod common;

use cloneabi_arch::clone_args::CloneArgs;
use cloneabi_arch::Arch;
use cloneabi_suites::observation::{ChildEnd, ReceivedSignal, SLOT_SENTINEL};
use cloneabi_suites::program::{Behavior, Target};
use common::*;

fn host() -> Option<Arch> {
    let arch = Arch::host()?;
    if cloneabi_runners::payload::embedded(arch).is_none() {
        eprintln!("skipped: no {arch} payload embedded");
        return None;
    }
    Some(arch)
}

#[test]
fn native_cases() {
    let Some(arch) = host() else { return };
    let fork_like = CloneArgs {
        exit_signal: SIGCHLD,
        ..CloneArgs::default()
    };
    let mut programs = vec![
        (0, clone3(arch, fork_like, 88, vec![])),
        (1, clone3(arch, fork_like, 56, vec![])),
    ];
    // CLONE_VM on its own 64 KiB stack.
    programs.push((2, on_own_stack(arch, CLONE_VM, SIGCHLD, vec![])));
    // CLONE_SETTLS with the TLS area, on a CLONE_VM child with its own stack.
    let tls = on_own_stack(
        arch,
        CLONE_VM | CLONE_SETTLS,
        SIGCHLD,
        vec![fix(off("tls"), Target::TlsArea, 0)],
    );
    programs.push((3, tls));
    // PARENT_SETTID / CHILD_SETTID.
    programs.push((
        4,
        clone3(
            arch,
            CloneArgs {
                flags: CLONE_PARENT_SETTID | CLONE_CHILD_SETTID,
                exit_signal: SIGCHLD,
                ..CloneArgs::default()
            },
            88,
            vec![
                fix(off("parent_tid"), Target::ParentTidSlot, 0),
                fix(off("child_tid"), Target::ChildTidSlot, 0),
            ],
        ),
    ));
    // CLONE_PIDFD and a signal through it.
    let mut pidfd = with_pidfd(arch);
    pidfd.behavior.pidfd_signal = true;
    programs.push((5, pidfd));
    // Legacy clone() in the arch's argument order, fresh stack, SETTLS, both tids.
    programs.push((
        6,
        legacy_clone(
            arch,
            SIGCHLD | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID,
            true,
        ),
    ));
    // CLONE_CHILD_CLEARTID on a CLONE_VM child wakes a futex waiter on the slot.
    let mut cleartid = on_own_stack(
        arch,
        CLONE_VM | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID,
        SIGCHLD,
        vec![fix(off("child_tid"), Target::ChildTidSlot, 0)],
    );
    cleartid.behavior = Behavior {
        child_holds: true,
        cleartid_waiter: true,
        ..Behavior::default()
    };
    programs.push((7, cleartid));

    let run = run(arch, None, &programs);
    assert!(run.status.success(), "{:?} {:?}", run.status, run.logs);
    assert_eq!(run.env.payload_arch, arch.name());
    assert_eq!(
        run.env.protocol_version,
        cloneabi_runners::protocol::PROTOCOL_VERSION,
        "the payload and the runner speak one protocol version"
    );
    assert_eq!(run.env.clone3_probe_errno, 22, "clone3(NULL, 0) is EINVAL");
    assert!(run.env.page_size >= 4096);
    assert_eq!(run.env.cgroup2_errno, -1, "cgroup2 not requested");
    assert!(run.env.nspid.last().is_some_and(|&p| p > 1));
    assert!(run.logs.is_empty(), "{:?}", run.logs);

    // 0: fork-like clone3, size 88.
    let o = run.case(0);
    assert!(o.ret > 0, "{o:?}");
    assert_eq!(o.errno, 0);
    assert_eq!(o.size_passed, 88);
    let c = o.child.as_ref().expect("child report");
    assert_eq!(c.pid as i64, o.ret);
    assert_eq!(c.tid, c.pid);
    assert_eq!(c.ppid, o.caller_pid);
    assert_eq!(c.nspid.last().copied(), Some(c.pid));
    assert_eq!(o.child_end, Some(ChildEnd::Exited(0)));
    assert_eq!(o.exit_signal, 17);
    // The payload starts every signal at SIG_DFL, and a plain fork keeps them so.
    assert_eq!(
        c.dispositions,
        Some(cloneabi_suites::observation::Dispositions::default())
    );
    assert_eq!(c.child_tid_seen as u32, SLOT_SENTINEL);
    assert!(o.child_tid_slot.unwrap().untouched());
    assert!(o.parent_tid_slot.unwrap().untouched());
    assert_eq!(c.ns[0], o.caller_ns[0], "same pid namespace");
    assert!(c.ns.iter().all(|&n| n != 0) || c.ns[1] == 0, "{:?}", c.ns);
    assert!(!o.timed_out);

    // 1: size 56.
    let o = run.case(1);
    assert_eq!((o.ret, o.errno), (-22, 22));
    assert!(o.child.is_none());
    assert_eq!(o.child_end, Some(ChildEnd::NotReaped));

    // 2: CLONE_VM, own stack: SP = stack + stack_size.
    let o = run.case(2);
    let c = o.child.as_ref().expect("child report");
    assert_ne!(o.stack_base, 0);
    assert_eq!(c.sp, o.stack_base + STACK as u64);
    assert_eq!(o.child_end, Some(ChildEnd::Exited(0)));

    // 3: CLONE_SETTLS.
    let o = run.case(3);
    let c = o.child.as_ref().expect("child report");
    assert_ne!(o.tls_area, 0);
    assert_eq!(c.tls, o.tls_area);
    assert_eq!(c.sp, o.stack_base + STACK as u64);

    // 4: PARENT_SETTID / CHILD_SETTID.
    let o = run.case(4);
    let c = o.child.as_ref().expect("child report");
    let parent_tid = o.parent_tid_slot.unwrap();
    assert_eq!(parent_tid.value as i64, o.ret);
    assert_eq!(parent_tid.after, SLOT_SENTINEL, "pid_t is 4 bytes");
    assert_eq!(c.child_tid_seen as i64, o.ret);
    // The slot page is shared, so the parent sees the child's CHILD_SETTID store too.
    assert_eq!(o.child_tid_slot.unwrap().value as i64, o.ret);
    assert!(o.pidfd_slot.unwrap().untouched());

    // 5: CLONE_PIDFD + pidfd_send_signal.
    let o = run.case(5);
    let c = o.child.as_ref().expect("child report");
    let pidfd = o.pidfd_slot.unwrap();
    assert!(pidfd.value >= 3, "{pidfd:?}");
    assert_eq!(pidfd.after, SLOT_SENTINEL);
    assert_eq!(o.pidfd_send_ret, Some(0));
    assert_eq!(
        c.signal,
        Some(ReceivedSignal {
            signo: 10,
            code: -1,
            value: 777
        })
    );
    assert_eq!(o.child_end, Some(ChildEnd::Exited(0)));

    // 6: legacy clone.
    let o = run.case(6);
    let c = o.child.as_ref().expect("child report");
    assert!(o.ret > 0, "{o:?}");
    assert_eq!(c.sp, o.stack_base + STACK as u64);
    assert_eq!(c.tls, o.tls_area + TLS_ADDEND as u64);
    assert_eq!(o.parent_tid_slot.unwrap().value as i64, o.ret);
    assert_eq!(c.child_tid_seen as i64, o.ret);
    assert_eq!(o.exit_signal, 17);
    assert_eq!(o.child_end, Some(ChildEnd::Exited(0)));

    // 7: CLEARTID wakes the waiter and zeroes the slot.
    let o = run.case(7);
    assert_eq!(o.child.as_ref().unwrap().child_tid_seen as i64, o.ret);
    assert_eq!(o.cleartid_woken, Some(true), "{o:?}");
    assert_eq!(o.child_tid_slot.unwrap().value, 0);
}

#[test]
fn a_hung_case_times_out_and_leaves_nothing_behind() {
    let Some(arch) = host() else { return };
    // CLONE_VFORK + a child that holds: the caller can never release it.
    let mut p = clone3(
        arch,
        CloneArgs {
            flags: CLONE_VFORK,
            exit_signal: SIGCHLD,
            ..CloneArgs::default()
        },
        64,
        vec![],
    );
    p.behavior.child_holds = true;
    p.timeout_ms = 300;
    let fine = clone3(
        arch,
        CloneArgs {
            exit_signal: SIGCHLD,
            ..CloneArgs::default()
        },
        64,
        vec![],
    );
    let run = run(arch, None, &[(0, p), (1, fine)]);
    let o = run.case(0);
    assert!(o.timed_out);
    assert_eq!(o.child_end, Some(ChildEnd::TimedOut));
    // The vfork caller never came back from the call, so there is no return value; the
    // child reported in.
    assert!(o.child.is_some());
    assert!(o.duration_us >= 300_000);
    // The next case runs normally and the sweep reported nothing left behind.
    assert_eq!(run.case(1).child_end, Some(ChildEnd::Exited(0)));
    assert!(run.logs.is_empty(), "{:?}", run.logs);
}

#[test]
fn a_bad_batch_is_refused_with_a_log_record_and_status_3() {
    let Some(arch) = host() else { return };
    let payload = cloneabi_runners::payload::provide(arch).unwrap();
    let mut batch = cloneabi_runners::protocol::encode_batch(
        arch,
        &Default::default(),
        &[(0, clone3(arch, CloneArgs::default(), 64, vec![]))],
    );
    let last = batch.len() - 1;
    batch[last] ^= 0xff;
    let file = std::env::temp_dir().join(format!("cloneabi-bad-{}.batch", std::process::id()));
    std::fs::write(&file, &batch).unwrap();
    let out = output_retrying(std::process::Command::new(&payload.path).arg(&file));
    let _ = std::fs::remove_file(&file);
    assert_eq!(out.status.code(), Some(3));
    let (bodies, _) = parse(&out.stdout);
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    match &bodies[0] {
        cloneabi_runners::protocol::RecordBody::Log(l) => assert!(l.contains("crc32"), "{l}"),
        other => panic!("{other:?}"),
    }
}

/// As pid 1 of a new pid namespace (what the native runner does): the kill(-1) sweep
/// path, and pids as the namespace sees them.
#[test]
fn as_pid_1_of_a_new_pid_namespace() {
    let Some(arch) = host() else { return };
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || !find_in_path("unshare") {
        println!("SKIPPED: needs root and util-linux unshare");
        return;
    }
    let mut holds = with_pidfd(arch);
    holds.behavior.pidfd_signal = true;
    let programs = vec![
        (
            0,
            clone3(
                arch,
                CloneArgs {
                    exit_signal: SIGCHLD,
                    ..CloneArgs::default()
                },
                64,
                vec![],
            ),
        ),
        (1, holds),
        (2, legacy_clone(arch, SIGCHLD | CLONE_SETTLS, true)),
    ];
    let run = run_with(arch, vec!["unshare", "-fp", "--mount-proc"], &programs);
    assert!(run.status.success(), "{:?}", run.logs);
    assert_eq!(run.env.nspid.last(), Some(&1), "{:?}", run.env.nspid);
    assert!(run.logs.is_empty(), "{:?}", run.logs);
    for i in 0..3 {
        let o = run.case(i);
        let c = o.child.as_ref().expect("child report");
        assert_eq!(c.pid as i64, o.ret, "case {i}");
        assert_eq!(c.nspid.last().copied(), Some(c.pid), "case {i}");
        assert_eq!(c.nspid.len(), run.env.nspid.len(), "case {i}");
        assert_eq!(o.child_end, Some(ChildEnd::Exited(0)), "case {i}");
    }
    assert_eq!(
        run.case(1).child.as_ref().unwrap().signal.map(|s| s.value),
        Some(777)
    );
    assert_eq!(
        run.case(2).child.as_ref().unwrap().tls,
        run.case(2).tls_area + TLS_ADDEND as u64
    );
}

/// Cases without setup share one case process. A case that ends it (here: a fix-up past
/// its blob, a setup failure) is reported from the shared area, a fresh process takes the
/// rest, and descriptors a case leaves open (its pidfd) are closed before the next.
#[test]
fn the_shared_case_process_survives_a_broken_case_and_leaks_nothing() {
    let Some(arch) = host() else { return };
    let pidfd = || with_pidfd(arch);
    let broken = fork_like(arch, vec![fix(88, Target::StackBase, 0)]);
    let mut own = pidfd();
    own.own_process = true;
    let run = run(
        arch,
        None,
        &[
            (0, pidfd()),
            (1, pidfd()),
            (2, broken),
            (3, pidfd()),
            (4, own),
            (5, pidfd()),
        ],
    );
    let fd = |i: u32| run.case(i).pidfd_slot.unwrap().value;
    assert!(fd(0) >= 3, "{:?}", run.case(0));
    assert_eq!(
        fd(1),
        fd(0),
        "the first case's pidfd was closed before the second"
    );
    assert_eq!(run.case(2).setup_failed, Some((u32::MAX - 1, 22)));
    for i in [3, 4, 5] {
        assert_eq!(run.case(i).child_end, Some(ChildEnd::Exited(0)), "case {i}");
        assert_eq!(fd(i), fd(0), "case {i}");
    }
    assert!(run.logs.is_empty(), "{:?}", run.logs);
}

/// Cases whose setup steps extend the last case's run as a chain in one line of processes:
/// each runs only the steps the last one lacked. A case that breaks the chain is reported,
/// and a fresh process runs the next case's whole setup.
#[test]
fn a_chain_of_extending_setups_nests_one_level_per_case() {
    let Some(arch) = host() else { return };
    if !may_unshare_pid_ns() {
        return;
    }
    let nested = |levels: usize, broken: bool| {
        // A fix-up past the args blob fails the case's setup in its chain's process.
        let fixups = if broken {
            vec![fix(88, Target::StackBase, 0)]
        } else {
            vec![]
        };
        nested(fork_like(arch, fixups), levels)
    };
    let programs: Vec<_> = [(1, false), (2, false), (3, true), (4, false), (4, false)]
        .iter()
        .enumerate()
        .map(|(i, &(levels, broken))| (i as u32, nested(levels, broken)))
        .collect();
    let run = run(arch, None, &programs);
    assert!(run.logs.is_empty(), "{:?}", run.logs);
    let base = run.env.nspid.len();
    assert_eq!(run.case(2).setup_failed, Some((u32::MAX - 1, 22)));
    for (i, levels) in [(0, 1), (1, 2), (3, 4), (4, 4)] {
        let o = run.case(i);
        let c = o.child.as_ref().expect("child report");
        assert_eq!(c.nspid.len(), base + levels, "case {i}: {:?}", c.nspid);
        // The caller is the init of the innermost namespace it made.
        assert_eq!(o.caller_pid, 1, "case {i}");
        assert_eq!(o.child_end, Some(ChildEnd::Exited(0)), "case {i}");
    }
}

/// A thread the case did not expect (no `no_reap`) is not the caller's to reap: the shared
/// case process waits for its report instead, so nothing it writes lands in the next case.
#[test]
fn an_unexpected_thread_in_the_shared_process_is_waited_for() {
    let Some(arch) = host() else { return };
    const CLONE_SIGHAND: u64 = 0x800;
    const CLONE_THREAD: u64 = 0x10000;
    let thread = on_own_stack(arch, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, 0, vec![]);
    let fine = fork_like(arch, vec![]);
    let run = run(arch, None, &[(0, thread), (1, fine)]);
    assert!(run.logs.is_empty(), "{:?}", run.logs);
    let t = run.case(0);
    let c = t.child.as_ref().expect("the thread reported");
    assert!(t.ret > 0 && c.tid as i64 != i64::from(c.pid), "{t:?}");
    assert_eq!(t.child_end, Some(ChildEnd::NotReaped));
    let f = run.case(1);
    assert_eq!(f.child_end, Some(ChildEnd::Exited(0)));
    assert_eq!(f.child.as_ref().unwrap().pid as i64, f.ret);
}

/// A case that hangs inside a chain, two pid namespaces down: the payload kills the whole
/// line of processes at the deadline, reports the case, and a fresh process runs the rest.
#[test]
fn a_hung_case_inside_a_chain_times_out_and_the_chain_goes_on() {
    let Some(arch) = host() else { return };
    if !may_unshare_pid_ns() {
        return;
    }
    let nested = |levels: usize, hang: bool| {
        if !hang {
            return nested(fork_like(arch, vec![]), levels);
        }
        // CLONE_VFORK and a child that holds: the caller never comes back.
        let vfork = CloneArgs {
            flags: CLONE_VFORK,
            exit_signal: SIGCHLD,
            ..CloneArgs::default()
        };
        let mut p = nested(clone3(arch, vfork, 88, vec![]), levels);
        p.behavior.child_holds = true;
        p.timeout_ms = 300;
        p
    };
    let run = run(
        arch,
        None,
        &[
            (0, nested(1, false)),
            (1, nested(2, true)),
            (2, nested(3, false)),
        ],
    );
    assert!(run.logs.is_empty(), "{:?}", run.logs);
    let hung = run.case(1);
    assert!(hung.timed_out && hung.duration_us >= 300_000, "{hung:?}");
    // Killed at its own deadline, not at the 10 s one of the case before it.
    assert!(hung.duration_us < 3_000_000, "{hung:?}");
    let base = run.env.nspid.len();
    for (i, levels) in [(0, 1), (2, 3)] {
        let o = run.case(i);
        assert!(!o.timed_out, "case {i}");
        let c = o.child.as_ref().expect("child report");
        assert_eq!(c.nspid.len(), base + levels, "case {i}: {:?}", c.nspid);
        assert_eq!(o.child_end, Some(ChildEnd::Exited(0)), "case {i}");
    }
}
