//! What must hold after a successful call, derived from the call itself, and how each
//! check reads an observation.

use super::args::KernelArgs;
use super::process::pid_ns_layout;
use super::ModelEnv;
use crate::case::{Case, Ptr, SlotKind, StackSpec, Step};
use crate::errno::signal_name;
use crate::flags::*;
use crate::observation::{ChildEnd, Dispositions, Observation, Slot, NS_NAMES};
use crate::program::{Disposition, Observe};
use serde::Serialize;

/// One property of a successful call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The child ran and reported.
    ChildRan,
    /// The caller reaped the child and it exited with this status.
    ChildExited(i32),
    /// The caller reaped the child, killed by this signal.
    ChildKilled(i32),
    /// The caller received this exit signal from the child (0: none).
    ExitSignal(i32),
    /// The child's own pid (in its own namespace).
    ChildPid(i64),
    /// The child's pids from the payload's namespace inward (`None`: any value).
    ChildNspid(Vec<Option<i64>>),
    /// The call returned this pid (the child's pid in the caller's namespace).
    Returned(i64),
    /// SP on entry = stack base + offset.
    ChildSp { offset: u64 },
    /// TLS register = the TLS area + offset.
    ChildTlsArea { offset: u64 },
    /// TLS register = this value.
    ChildTls(u64),
    /// The slot holds the returned pid, and only 4 bytes were written.
    SlotIsReturnedPid(SlotKind),
    /// The slot holds the child's own thread id as the child saw it (gettid).
    SlotIsChildPid(SlotKind),
    /// The kernel cleared the slot to 0 (CHILD_CLEARTID).
    SlotCleared(SlotKind),
    /// The slot holds a file descriptor (>= 0).
    SlotIsFd(SlotKind),
    /// Nothing was written to the slot.
    SlotUntouched(SlotKind),
    /// The child saw its child_tid slot already set to its pid when it started.
    ChildSawChildTid,
    /// pidfd_send_signal through the returned pidfd reached the child.
    PidfdSignalDelivered,
    /// A FUTEX_WAIT on child_tid was woken when the child exited.
    CleartidWoke,
    /// The child's dispositions of signals 1 to 64 (bit `n - 1` for signal `n`; a signal in
    /// neither mask is SIG_DFL).
    Dispositions { ignored: u64, handled: u64 },
    /// The pidfd in the slot has FD_CLOEXEC: the kernel always opens it close-on-exec.
    PidfdCloexec(SlotKind),
    /// The child's cgroup path ends with this component.
    ChildCgroupEndsWith(String),
    /// The created cgroup's cgroup.procs lists the returned pid.
    CgroupProcsListChild,
    /// These namespaces (by index into NS_NAMES) differ from the caller's, the others match.
    Namespaces { new: Vec<usize>, same: Vec<usize> },
    /// The caller's waitid for the child fails with ECHILD: the kernel reaped it.
    WaitEchild,
    /// The pidfd turns readable and PIDFD_GET_INFO reports this end.
    PidfdReportsEnd(ChildEndSpec),
    /// The child's `prctl(PR_GET_NO_NEW_PRIVS)`.
    NoNewPrivs(i32),
    /// The child's mount namespace is not the caller's and holds exactly one mount.
    MountNsEmpty,
    /// Closing a pidfd other than the clone3 one leaves the child running.
    SurvivesOtherPidfdClose,
    /// Once its caller exited, the child's parent is the case process (a child subreaper).
    ChildAdopted,
    /// The child's thread outlived it: it saw the child a zombie before it exited itself.
    ThreadOutlivedChild,
}

/// How a child ended, as a wait status says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildEndSpec {
    Exited(i32),
    Killed(i32),
}

impl ChildEndSpec {
    /// Whether a wait(2)-format status says this.
    fn matches(self, status: i32) -> bool {
        match self {
            ChildEndSpec::Exited(code) => status & 0x7f == 0 && (status >> 8) & 0xff == code,
            ChildEndSpec::Killed(sig) => status & 0x7f == sig && status & 0x7f != 0x7f,
        }
    }
}

/// PIDFD_INFO_EXIT (include/uapi/linux/pidfd.h).
const PIDFD_INFO_EXIT: u64 = 1 << 3;
/// ECHILD.
const ECHILD: i32 = 10;

const SI_QUEUE: i32 = -1;
const PIDFD_SIGNAL_VALUE: i32 = 777;

/// The cgroup directory name a case creates.
pub fn cgroup_dir_name(case_id: &str) -> String {
    case_id.replace('.', "-")
}

fn ns_index(name: &str) -> usize {
    NS_NAMES
        .iter()
        .position(|n| *n == name)
        .expect("known namespace")
}

/// The signal do_notify_parent() would send the caller for the child's end: a valid exit
/// signal only (legacy clone() could set any byte until kernel_clone() tested it), and
/// SIGCHLD to the new parent of a child whose caller exited (reparent_leader() in
/// kernel/exit.c resets exit_signal).
fn exit_signal_sent(case: &Case, k: &KernelArgs) -> u64 {
    if case.behavior.caller_exits {
        SIGCHLD
    } else if k.exit_signal <= NSIG {
        k.exit_signal
    } else {
        0
    }
}

/// zap_pid_ns_processes(): a pid namespace's init sets SIGCHLD to SIG_IGN in its own sighand
/// as it exits, however it dies. A CLONE_SIGHAND child shares that with the caller, so
/// do_notify_parent() reaps it at once and sends nothing when its exit signal is SIGCHLD:
/// the caller's wait finds no child.
fn reaped_unseen(case: &Case, k: &KernelArgs, env: &ModelEnv) -> bool {
    k.flags & CLONE_AUTOREAP == 0
        && !case.behavior.no_reap
        && k.flags & CLONE_SIGHAND != 0
        && pid_ns_layout(case, k, env).child_ns_without_reaper
        && exit_signal_sent(case, k) == SIGCHLD
}

/// A child that faults on its first push dies of SIGSEGV before it reports: the caller
/// reaps it so, unless the kernel reaped it unseen.
fn killed_by_its_fault(case: &Case, k: &KernelArgs, env: &ModelEnv) -> Vec<Check> {
    if reaped_unseen(case, k, env) {
        vec![Check::ExitSignal(0)]
    } else {
        vec![Check::ChildKilled(11)]
    }
}

pub(crate) fn success_checks(case: &Case, k: &KernelArgs, env: &ModelEnv) -> Vec<Check> {
    let f = k.flags;
    // A child given a literal stack address nothing maps faults on its first push. But
    // clone3_stack_valid() hands copy_thread() stack + stack_size, and copy_thread() sets the
    // child's SP only when that is non-zero (6.1 and 7.3, s390's `if (new_stackp)` among
    // them): a range that wraps to exactly 0, which only an access_ok() that takes every
    // range lets through (s390x), leaves the child on the caller's SP, where it runs.
    if let (StackSpec::Literal(addr), false) = (k.stack, k.legacy) {
        if addr != 0 && addr.wrapping_add(k.stack_size) != 0 {
            return killed_by_its_fault(case, k, env);
        }
    }
    // The read-only page, with a PROT_NONE page below it: the child's first push faults.
    if let StackSpec::ReadOnly { .. } = k.stack {
        return killed_by_its_fault(case, k, env);
    }
    // The kernel keeps the whole 64-bit stack member: clone3_stack_valid() tests it with
    // access_ok() against the 64-bit TASK_SIZE_MAX, for a compat task too (6.1, 7.3), and
    // copy_thread() hands stack + stack_size to the child as its 64-bit SP. A CPU in a 32-bit
    // mode forms stack addresses from the low half; one in long mode (x32) from all of it,
    // where a process with 32-bit pointers has nothing mapped above 4 GiB.
    let sp_bits = env.arch.abi().stack.sp_bits;
    let child_sp = |top: u64| match sp_bits {
        64 => top,
        bits => top & ((1 << bits) - 1),
    };
    if let (StackSpec::Region { offset, .. }, false) = (k.stack, k.legacy) {
        if offset != 0 && child_sp(offset.wrapping_add(k.stack_size)) >> 32 != 0 {
            return killed_by_its_fault(case, k, env);
        }
    }
    let mut checks = vec![Check::ChildRan];
    // CLONE_AUTOREAP: the kernel reaps the child; the caller sees its end only through a pidfd.
    let autoreap = f & CLONE_AUTOREAP != 0;
    if autoreap {
        let end = if f & CLONE_PIDFD_AUTOKILL != 0 && case.behavior.close_pidfd {
            ChildEndSpec::Killed(9)
        } else {
            ChildEndSpec::Exited(0)
        };
        if case.behavior.close_pidfd && f & CLONE_PIDFD != 0 {
            checks.push(Check::SurvivesOtherPidfdClose);
        }
        if case.behavior.follow_exit || case.behavior.close_pidfd {
            if f & CLONE_PIDFD != 0 {
                checks.push(Check::PidfdReportsEnd(end));
            }
            checks.push(Check::WaitEchild);
        }
        checks.push(Check::ExitSignal(0));
    } else if !case.behavior.no_reap {
        // do_notify_parent() sends only a valid signal; legacy clone() could set any byte
        // until kernel_clone() tested it. A child whose parent exited signals its new one
        // with SIGCHLD (reparent_leader() in kernel/exit.c resets exit_signal).
        let sent = exit_signal_sent(case, k);
        if reaped_unseen(case, k, env) {
            checks.push(Check::ExitSignal(0));
        } else {
            checks.push(Check::ChildExited(0));
            checks.push(Check::ExitSignal(sent as i32));
        }
    }
    // copy_process() copies the caller's no_new_privs into the child (copy_seccomp(), and
    // the task's atomic flags with the task); CLONE_NNP sets it (7.1).
    let caller_nnp = case.caller_has_no_new_privs();
    if f & (CLONE_NNP | CLONE_AUTOREAP) != 0 || caller_nnp {
        checks.push(Check::NoNewPrivs(i32::from(
            f & CLONE_NNP != 0 || caller_nnp,
        )));
    }
    match (k.stack, k.legacy) {
        (StackSpec::Region { offset, .. }, true) => checks.push(Check::ChildSp { offset }),
        (StackSpec::Region { offset, .. }, false) => {
            let size = if super::gates::STACK_VALIDATED.present(env) {
                k.stack_size
            } else {
                0
            };
            checks.push(Check::ChildSp {
                offset: child_sp(offset.wrapping_add(size)),
            });
        }
        _ => {}
    }
    if f & CLONE_SETTLS != 0 {
        checks.push(match k.tls {
            Ptr::TlsArea(offset) => Check::ChildTlsArea { offset },
            // A 32-bit ABI's TLS register holds the low half of the 64-bit value the
            // kernel stores (arm64's tpidrro_el0 read as TPIDRURO, ppc64's r2 in 32-bit mode).
            Ptr::Literal(v) => Check::ChildTls(match env.arch.abi().pointer_width {
                32 => v & 0xffff_ffff,
                _ => v,
            }),
            _ => Check::ChildTls(0),
        });
    }
    // Output slots: what the flags write, and that nothing else is written.
    let mut written = Vec::new();
    if f & CLONE_PIDFD != 0 {
        if let Some(s) = k.pidfd.exact_slot() {
            checks.push(Check::SlotIsFd(s));
            // pidfd_prepare() / get_unused_fd_flags(O_RDWR | O_CLOEXEC) in copy_process().
            checks.push(Check::PidfdCloexec(s));
            written.push(s);
        }
    }
    if f & CLONE_PARENT_SETTID != 0 {
        if let Some(s) = k.parent_tid.exact_slot() {
            if !written.contains(&s) {
                checks.push(Check::SlotIsReturnedPid(s));
                written.push(s);
            }
        }
    }
    // mm_release() clears child_tid (and wakes a futex waiter) only while another task
    // still uses the mm: a CLONE_VM child. A child with its own mm exits without it.
    let clears = f & CLONE_CHILD_CLEARTID != 0 && f & CLONE_VM != 0;
    if let Some(s) = k.child_tid.exact_slot() {
        match (f & CLONE_CHILD_SETTID != 0, clears) {
            (true, false) => {
                checks.push(Check::SlotIsChildPid(s));
                checks.push(Check::ChildSawChildTid);
                written.push(s);
            }
            (true, true) => {
                checks.push(Check::ChildSawChildTid);
                checks.push(Check::SlotCleared(s));
                written.push(s);
            }
            (false, true) => {
                checks.push(Check::SlotCleared(s));
                written.push(s);
            }
            (false, false) => {}
        }
    }
    // A pointer to a slot's address plus 2^32 (a process with 32-bit pointers) names memory
    // that is not mapped: the kernel's write faults, and put_user() faults are ignored in
    // kernel_clone() (parent_tid), schedule_tail() (child_tid) and mm_release() (the cleared
    // child_tid), the same code on the native and the compat path (6.1, 7.3). Nothing may
    // appear at the slot, the address a cut to 32 bits would hit.
    for s in [SlotKind::Pidfd, SlotKind::ParentTid, SlotKind::ChildTid] {
        let used = [k.pidfd, k.parent_tid, k.child_tid]
            .iter()
            .any(|p| p.slot() == Some(s));
        if used && !written.contains(&s) {
            checks.push(Check::SlotUntouched(s));
        }
    }
    if case.behavior.pidfd_signal {
        checks.push(Check::PidfdSignalDelivered);
    }
    if case.behavior.caller_exits && !case.behavior.no_reap {
        checks.push(Check::ChildAdopted);
    }
    if case.behavior.child_thread {
        checks.push(Check::ThreadOutlivedChild);
    }
    if case.behavior.cleartid_waiter && clears {
        checks.push(Check::CleartidWoke);
    }
    // An empty mount namespace has no /proc for the child to read its status, cgroup or
    // namespace links in.
    let empty_mntns = f & CLONE_EMPTY_MNTNS != 0;
    // Pids.
    let layout = pid_ns_layout(case, k, env);
    if let Some(&inner) = k.set_tid.first() {
        checks.push(Check::ChildPid(inner));
    } else if layout.child_ns_without_reaper {
        checks.push(Check::ChildPid(1));
    }
    if !empty_mntns && (!k.set_tid.is_empty() || layout.child_level > env.payload_level) {
        let levels = (layout.child_level - env.payload_level + 1) as usize;
        let nspid = (0..levels)
            .map(|from_outer| {
                let from_inner = levels - 1 - from_outer;
                k.set_tid.get(from_inner).copied()
            })
            .collect();
        checks.push(Check::ChildNspid(nspid));
    }
    if !k.set_tid.is_empty() && layout.child_level == layout.caller_level {
        checks.push(Check::Returned(k.set_tid[0]));
    }
    // The caller reads an empty mount namespace's mounts instead, when the case asks.
    if empty_mntns && case.behavior.read_child_mounts {
        checks.push(Check::MountNsEmpty);
    }
    // Namespaces: the flags decide which the child gets new.
    if !empty_mntns && (!k.legacy || f & NS_FLAGS_NEEDING_ADMIN != 0) {
        let mut new = Vec::new();
        let mut same = Vec::new();
        // The caller's side is its pid_for_children/time_for_children: after
        // unshare(CLONE_NEWPID) the child lands in that namespace, which is not new to it.
        let pid_new = f & CLONE_NEWPID != 0;
        for (name, is_new) in [
            ("pid", pid_new),
            // copy_namespaces() moves the child into the new time namespace only when it
            // does not share the caller's mm (gates::TIMENS_NOT_UNDER_CLONE_VM): such a
            // CLONE_VM child gets it as its time_for_children.
            (
                "time",
                f & CLONE_NEWTIME != 0
                    && (f & CLONE_VM == 0 || !super::gates::TIMENS_NOT_UNDER_CLONE_VM.present(env)),
            ),
            ("user", f & CLONE_NEWUSER != 0),
            ("uts", f & CLONE_NEWUTS != 0),
            ("ipc", f & CLONE_NEWIPC != 0),
            ("net", f & CLONE_NEWNET != 0),
            ("mnt", f & CLONE_NEWNS != 0),
            ("cgroup", f & CLONE_NEWCGROUP != 0),
        ] {
            // pid_for_children reads as nothing until that namespace has an init
            // (pidns_for_children_get), so after a bare unshare there is nothing to compare.
            if name == "pid" && case.unshares_pid_ns() {
                continue;
            }
            if is_new {
                new.push(ns_index(name))
            } else {
                same.push(ns_index(name))
            }
        }
        checks.push(Check::Namespaces { new, same });
    }
    // Signal dispositions set up by the case.
    let signals: Vec<(u32, Disposition)> = case
        .steps
        .iter()
        .filter_map(|s| match s {
            Step::Signal { signo, disposition } => Some((*signo, *disposition)),
            _ => None,
        })
        .collect();
    // The payload starts with every signal at SIG_DFL; the case's steps change some (the
    // last step for a signal wins). CLONE_CLEAR_SIGHAND resets handlers to SIG_DFL and
    // keeps SIG_IGN (flush_signal_handlers(p, 0) in copy_process()).
    if !signals.is_empty() || f & CLONE_CLEAR_SIGHAND != 0 {
        let (mut ignored, mut handled) = (0u64, 0u64);
        for n in 1..=64u32 {
            let d = signals
                .iter()
                .rev()
                .find(|(s, _)| *s == n)
                .map_or(Disposition::Default, |(_, d)| *d);
            let bit = 1u64 << (n - 1);
            match (d, f & CLONE_CLEAR_SIGHAND != 0) {
                (Disposition::Default, _) | (Disposition::Handler, true) => {}
                (Disposition::Ignore, _) => ignored |= bit,
                (Disposition::Handler, false) => handled |= bit,
            }
        }
        checks.push(Check::Dispositions { ignored, handled });
    }
    if f & CLONE_INTO_CGROUP != 0 {
        // cgroup_post_fork() roots a new cgroup namespace at the cgroup the child lands in:
        // with CLONE_NEWCGROUP the child sees itself at "/" (a path ending in "/" is only that).
        if !empty_mntns {
            checks.push(Check::ChildCgroupEndsWith(if f & CLONE_NEWCGROUP != 0 {
                String::new()
            } else {
                cgroup_dir_name(&case.id)
            }));
        }
        if case.behavior.read_cgroup_procs {
            checks.push(Check::CgroupProcsListChild);
        }
    }
    checks
}

fn slot(obs: &Observation, s: SlotKind) -> Option<Slot> {
    match s {
        SlotKind::Pidfd => obs.pidfd_slot,
        SlotKind::ChildTid => obs.child_tid_slot,
        SlotKind::ParentTid => obs.parent_tid_slot,
    }
}

fn show_slot(s: Option<Slot>) -> String {
    match s {
        Some(s) if s.untouched() => "untouched".into(),
        Some(s) => format!("{} (next 4 bytes {:#x})", s.value, s.after),
        None => "not reported".into(),
    }
}

impl Check {
    pub fn describe(&self) -> String {
        match self {
            Check::ChildRan => "child ran".into(),
            Check::ChildExited(c) => format!("child exited {c}"),
            Check::ChildKilled(sig) => format!("child killed by {}", signal_name(*sig)),
            Check::ExitSignal(0) => "no exit signal".into(),
            Check::ExitSignal(s) => format!("exit signal {}", signal_name(*s)),
            Check::ChildPid(p) => format!("child pid {p}"),
            Check::ChildNspid(v) => {
                let parts: Vec<String> = v
                    .iter()
                    .map(|p| p.map_or("*".into(), |p| p.to_string()))
                    .collect();
                format!("NSpid {}", parts.join(" "))
            }
            Check::Returned(p) => format!("returns {p}"),
            Check::ChildSp { offset } => format!("child SP = stack + {offset:#x}"),
            Check::ChildTlsArea { offset } => format!("child TLS = TLS area + {offset:#x}"),
            Check::ChildTls(v) => format!("child TLS = {v:#x}"),
            Check::SlotIsReturnedPid(s) => format!("{s:?} slot = returned pid"),
            Check::SlotIsChildPid(s) => format!("{s:?} slot = child's pid"),
            Check::SlotCleared(s) => format!("{s:?} slot cleared"),
            Check::SlotIsFd(s) => format!("{s:?} slot = a descriptor"),
            Check::SlotUntouched(s) => format!("{s:?} slot untouched"),
            Check::ChildSawChildTid => "child saw its child_tid".into(),
            Check::PidfdSignalDelivered => "pidfd signal delivered".into(),
            Check::CleartidWoke => "child_tid futex waiter woken".into(),
            Check::Dispositions { ignored, handled } => Dispositions {
                ignored: *ignored,
                handled: *handled,
            }
            .describe(),
            Check::PidfdCloexec(s) => format!("{s:?} slot's pidfd close-on-exec"),
            Check::ChildCgroupEndsWith(n) => format!("child in cgroup .../{n}"),
            Check::CgroupProcsListChild => "cgroup.procs lists the child".into(),
            Check::Namespaces { new, .. } => {
                let names: Vec<&str> = new.iter().map(|i| NS_NAMES[*i]).collect();
                if names.is_empty() {
                    "no new namespaces".into()
                } else {
                    format!("new {} namespace(s)", names.join("+"))
                }
            }
            Check::WaitEchild => "the caller's wait gets ECHILD".into(),
            Check::PidfdReportsEnd(ChildEndSpec::Exited(c)) => {
                format!("the pidfd reports exit {c}")
            }
            Check::PidfdReportsEnd(ChildEndSpec::Killed(s)) => {
                format!("the pidfd reports death by {}", signal_name(*s))
            }
            Check::NoNewPrivs(v) => format!("child's no_new_privs = {v}"),
            Check::MountNsEmpty => "child in a new mount namespace with one mount".into(),
            Check::SurvivesOtherPidfdClose => {
                "closing another pidfd leaves the child running".into()
            }
            Check::ChildAdopted => "the case process adopts the child when its caller exits".into(),
            Check::ThreadOutlivedChild => "the child's thread outlives it".into(),
        }
    }

    /// The optional /proc reads of the child this check looks at.
    pub fn needs(&self) -> Observe {
        match self {
            Check::ChildNspid(_) => Observe {
                nspid: true,
                ..Observe::default()
            },
            Check::ChildCgroupEndsWith(_) => Observe {
                cgroup: true,
                ..Observe::default()
            },
            Check::Dispositions { .. } => Observe {
                dispositions: true,
                ..Observe::default()
            },
            Check::NoNewPrivs(_) => Observe {
                no_new_privs: true,
                ..Observe::default()
            },
            Check::PidfdCloexec(s) => Observe {
                pidfd_flags: Some(*s),
                ..Observe::default()
            },
            _ => Observe::default(),
        }
    }

    /// `None` when the observation satisfies the check, else what was seen instead.
    pub fn violation(&self, obs: &Observation) -> Option<String> {
        let child = obs.child.as_ref();
        let bad = |seen: String| Some(seen);
        match self {
            Check::ChildRan => child
                .is_none()
                .then(|| "the child never reported".to_string()),
            Check::ChildExited(code) => match obs.child_end {
                Some(ChildEnd::Exited(c)) if c == *code => None,
                other => bad(format!("child end {other:?}")),
            },
            Check::ChildKilled(sig) => match obs.child_end {
                Some(ChildEnd::Killed(s)) if s == *sig => None,
                other => bad(format!("child end {other:?}")),
            },
            Check::ExitSignal(sig) => {
                (obs.exit_signal != *sig).then(|| format!("exit signal {}", obs.exit_signal))
            }
            // The pid the call chose or the namespace gave is the new task's: its thread id
            // (gettid), which only a thread group's leader also has as its getpid().
            Check::ChildPid(p) => {
                let child_tid = child.map(|c| i64::from(c.tid));
                (child_tid != Some(*p)).then(|| format!("child tid {child_tid:?}"))
            }
            Check::ChildNspid(want) => {
                let got = child.map(|c| c.nspid.clone()).unwrap_or_default();
                let ok = got.len() == want.len()
                    && want
                        .iter()
                        .zip(&got)
                        .all(|(w, g)| w.is_none_or(|w| w == i64::from(*g)));
                (!ok).then(|| format!("NSpid {got:?}"))
            }
            Check::Returned(p) => (obs.ret != *p).then(|| format!("returned {}", obs.ret)),
            Check::ChildSp { offset } => {
                let want = obs.stack_base.wrapping_add(*offset);
                let got = child.map(|c| c.sp);
                (got != Some(want))
                    .then(|| format!("child SP {got:#x?}, stack base {:#x}", obs.stack_base))
            }
            Check::ChildTlsArea { offset } => {
                let want = obs.tls_area.wrapping_add(*offset);
                let got = child.map(|c| c.tls);
                (got != Some(want))
                    .then(|| format!("child TLS {got:#x?}, TLS area {:#x}", obs.tls_area))
            }
            Check::ChildTls(v) => {
                let got = child.map(|c| c.tls);
                (got != Some(*v)).then(|| format!("child TLS {got:#x?}"))
            }
            Check::SlotIsReturnedPid(s) => {
                let got = slot(obs, *s);
                let ok = got.is_some_and(|g| {
                    i64::from(g.value) == obs.ret && g.after == crate::observation::SLOT_SENTINEL
                });
                (!ok).then(|| format!("slot {}", show_slot(got)))
            }
            // schedule_tail() stores task_pid_vnr(current): the child's thread id, which is
            // its pid only when it leads its own thread group (not after CLONE_THREAD).
            Check::SlotIsChildPid(s) => {
                let got = slot(obs, *s);
                let child_tid = child.map(|c| i64::from(c.tid));
                let ok = got.is_some_and(|g| {
                    Some(i64::from(g.value)) == child_tid
                        && g.after == crate::observation::SLOT_SENTINEL
                });
                (!ok).then(|| format!("slot {}, child tid {child_tid:?}", show_slot(got)))
            }
            Check::SlotCleared(s) => {
                let got = slot(obs, *s);
                let ok = got
                    .is_some_and(|g| g.value == 0 && g.after == crate::observation::SLOT_SENTINEL);
                (!ok).then(|| format!("slot {}", show_slot(got)))
            }
            Check::SlotIsFd(s) => {
                let got = slot(obs, *s);
                let ok = got.is_some_and(|g| {
                    g.value >= 0 && !g.untouched() && g.after == crate::observation::SLOT_SENTINEL
                });
                (!ok).then(|| format!("slot {}", show_slot(got)))
            }
            Check::SlotUntouched(s) => {
                let got = slot(obs, *s);
                (!got.is_some_and(|g| g.untouched())).then(|| format!("slot {}", show_slot(got)))
            }
            Check::ChildSawChildTid => {
                let ok = child.is_some_and(|c| c.child_tid_seen == c.tid);
                (!ok).then(|| format!("child saw child_tid {:?}", child.map(|c| c.child_tid_seen)))
            }
            Check::PidfdSignalDelivered => {
                let sig = child.and_then(|c| c.signal);
                let ok = obs.pidfd_send_ret == Some(0)
                    && sig.is_some_and(|s| {
                        s.signo == SIGUSR1 as i32
                            && s.code == SI_QUEUE
                            && s.value == PIDFD_SIGNAL_VALUE
                    });
                (!ok).then(|| {
                    format!(
                        "pidfd_send_signal {:?}, child got {sig:?}",
                        obs.pidfd_send_ret
                    )
                })
            }
            Check::CleartidWoke => (obs.cleartid_woken != Some(true))
                .then(|| format!("waiter woken {:?}", obs.cleartid_woken)),
            Check::Dispositions { ignored, handled } => {
                let want = Dispositions {
                    ignored: *ignored,
                    handled: *handled,
                };
                let got = child.and_then(|c| c.dispositions);
                (got != Some(want)).then(|| match got {
                    Some(d) => format!("dispositions: {}", d.describe()),
                    None => "no dispositions reported".into(),
                })
            }
            Check::PidfdCloexec(_) => {
                // FD_CLOEXEC is bit 0 of F_GETFD on every ABI.
                (obs.pidfd_flags.is_none_or(|f| f < 0 || f & 1 == 0))
                    .then(|| format!("pidfd flags {:?}", obs.pidfd_flags))
            }
            Check::ChildCgroupEndsWith(name) => {
                let got = child.map(|c| c.cgroup.clone()).unwrap_or_default();
                (!got.trim_end().ends_with(&format!("/{name}")))
                    .then(|| format!("child cgroup {got:?}"))
            }
            Check::CgroupProcsListChild => {
                let procs = obs.cgroup_procs.clone().unwrap_or_default();
                let listed = procs
                    .split_whitespace()
                    .any(|p| p.parse::<i64>() == Ok(obs.ret));
                (!listed).then(|| format!("cgroup.procs {procs:?}"))
            }
            Check::WaitEchild => (obs.wait_errno != Some(ECHILD)).then(|| {
                format!(
                    "the caller's wait: errno {:?}, child end {:?}",
                    obs.wait_errno, obs.child_end
                )
            }),
            Check::PidfdReportsEnd(end) => {
                let ok = obs.pidfd_exit.is_some_and(|e| {
                    e.poll == 1
                        && e.info == 0
                        && e.mask & PIDFD_INFO_EXIT != 0
                        && end.matches(e.exit_code)
                });
                (!ok).then(|| format!("pidfd {:?}", obs.pidfd_exit))
            }
            Check::NoNewPrivs(v) => {
                let got = child.and_then(|c| c.no_new_privs);
                (got != Some(*v)).then(|| format!("no_new_privs {got:?}"))
            }
            Check::ChildAdopted => {
                let ppid = child.map(|c| c.ppid);
                (ppid != Some(obs.caller_pid)).then(|| {
                    format!(
                        "child's ppid {ppid:?} after its caller exited, case process {}",
                        obs.caller_pid
                    )
                })
            }
            Check::ThreadOutlivedChild => (obs.child_thread != Some(1))
                .then(|| format!("the thread's report {:?}", obs.child_thread)),
            Check::SurvivesOtherPidfdClose => (obs.other_close_poll != Some(0))
                .then(|| format!("poll after the other close: {:?}", obs.other_close_poll)),
            Check::MountNsEmpty => {
                let mnt = ns_index("mnt");
                let ok = obs.child_mounts.is_some_and(|m| {
                    m.mounts == 1 && m.mnt_ns != 0 && m.mnt_ns != obs.caller_ns[mnt]
                });
                (!ok).then(|| {
                    format!(
                        "child mounts {:?}, caller's mnt namespace {}",
                        obs.child_mounts, obs.caller_ns[mnt]
                    )
                })
            }
            Check::Namespaces { new, same } => {
                let c = child?;
                let differs =
                    |i: usize| c.ns[i] != 0 && obs.caller_ns[i] != 0 && c.ns[i] != obs.caller_ns[i];
                // Both unreadable (a kernel built without that namespace type) also counts as the same.
                let matches = |i: usize| c.ns[i] == obs.caller_ns[i];
                let wrong: Vec<String> = new
                    .iter()
                    .filter(|i| !differs(**i))
                    .map(|i| format!("{} not new", NS_NAMES[*i]))
                    .chain(
                        same.iter()
                            .filter(|i| !matches(**i))
                            .map(|i| format!("{} changed", NS_NAMES[*i])),
                    )
                    .collect();
                (!wrong.is_empty()).then(|| wrong.join(", "))
            }
        }
    }
}
