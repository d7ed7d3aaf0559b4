//! What the payload reports: raw facts, no judgement. Decoded from the wire by
//! `cloneabi-runners` (`protocol`).

use serde::{Deserialize, Serialize};

/// The value every output slot holds before the call (as an i32 and as the 4 bytes after).
pub const SLOT_SENTINEL: u32 = 0x5a5a_5a5a;

/// The facts the payload gathers once, before the first case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvReport {
    pub protocol_version: u32,
    /// The arch the payload was compiled for (its own `#if`), e.g. "s390x".
    pub payload_arch: String,
    pub uname_release: String,
    pub uname_version: String,
    pub uname_machine: String,
    pub page_size: u64,
    pub pid_max: u64,
    pub uid: u32,
    pub euid: u32,
    /// CapEff from /proc/self/status.
    pub cap_effective: u64,
    /// Seccomp mode from /proc/self/status (0 none, 1 strict, 2 filter); -1 when unknown.
    pub seccomp_mode: i32,
    /// NSpid of the payload itself, outermost first, as its own /proc shows it.
    pub nspid: Vec<i32>,
    /// 0 when cgroup2 was mounted and the run directory created, else the errno.
    pub cgroup2_errno: i32,
    /// Contents of cgroup.controllers at the cgroup2 mount (space separated).
    pub cgroup2_controllers: String,
    /// The namespace types the kernel has: bit i set when /proc/self/ns/`NS_NAMES[i]`
    /// exists.
    #[serde(default)]
    pub namespaces: u8,
    /// `clone3(NULL, 0)`: the kernel answers EINVAL; a filter or emulator answers otherwise.
    pub clone3_probe_ret: i64,
    pub clone3_probe_errno: i32,
    /// 0 when a case can mount a named cgroup v1 hierarchy (tried in a child of the payload's
    /// own), else the errno; -1 when cgroup2 was not set up.
    #[serde(default = "not_probed")]
    pub cgroup1_errno: i32,
}

fn not_probed() -> i32 {
    -1
}

/// How the parent saw the child end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildEnd {
    /// Not reaped (no child, or not the caller's child).
    NotReaped,
    Exited(i32),
    Killed(i32),
    /// Still running when the case timed out.
    TimedOut,
}

/// An output slot after the call: the i32 at its address and the 4 bytes after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    pub value: i32,
    pub after: u32,
}

impl Slot {
    pub fn untouched(&self) -> bool {
        self.value as u32 == SLOT_SENTINEL && self.after == SLOT_SENTINEL
    }
}

/// The dispositions of signals 1 to 64: bit `n - 1` of a mask is signal `n`. A signal in
/// neither mask is SIG_DFL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispositions {
    /// SIG_IGN.
    pub ignored: u64,
    /// A handler.
    pub handled: u64,
}

impl Dispositions {
    /// Signal `signo`'s disposition: 0 SIG_DFL, 1 SIG_IGN, 2 a handler (255 outside 1..=64).
    pub fn of(&self, signo: u32) -> u8 {
        if !(1..=64).contains(&signo) {
            return 255;
        }
        let bit = 1u64 << (signo - 1);
        if self.ignored & bit != 0 {
            1
        } else if self.handled & bit != 0 {
            2
        } else {
            0
        }
    }

    /// The signals that are not SIG_DFL, as `SIGUSR1 ignored, 40 handled`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for n in 1..=64u32 {
            let what = match self.of(n) {
                1 => "ignored",
                2 => "handled",
                _ => continue,
            };
            parts.push(format!("{} {what}", crate::errno::signal_name(n as i32)));
        }
        if parts.is_empty() {
            "every signal SIG_DFL".into()
        } else {
            parts.join(", ")
        }
    }
}

/// A signal the child received and waited for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivedSignal {
    pub signo: i32,
    pub code: i32,
    pub value: i32,
}

/// Namespace inode numbers in this order: pid, time, user, uts, ipc, net, mnt, cgroup; 0
/// where unreadable. The child reports its own; the caller reports `pid_for_children` and
/// `time_for_children` for the first two, so each pair compares where the child lands.
pub const NS_NAMES: [&str; 8] = ["pid", "time", "user", "uts", "ipc", "net", "mnt", "cgroup"];

/// What the child saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildReport {
    pub pid: i32,
    pub tid: i32,
    pub ppid: i32,
    /// SP on entry, before the stub touched it.
    pub sp: u64,
    /// The TLS register.
    pub tls: u64,
    /// NSpid from /proc/self/status, outermost first.
    pub nspid: Vec<i32>,
    /// Every signal's disposition, when the case asked for them.
    #[serde(default)]
    pub dispositions: Option<Dispositions>,
    /// The child_tid slot as the child saw it first.
    pub child_tid_seen: i32,
    pub signal: Option<ReceivedSignal>,
    /// The 0:: line of /proc/self/cgroup, without the "0::" prefix.
    pub cgroup: String,
    /// See [`NS_NAMES`]; the child reads its own `/proc/self/ns/*`.
    pub ns: [u64; 8],
    /// `prctl(PR_GET_NO_NEW_PRIVS)` (or -errno), when asked for.
    #[serde(default)]
    pub no_new_privs: Option<i32>,
}

/// The child's end as a pidfd reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PidfdExit {
    /// poll(POLLIN)'s result: 1 readable, 0 timed out, -errno.
    pub poll: i32,
    /// PIDFD_GET_INFO: 0 or -errno.
    pub info: i32,
    /// The mask the kernel returned (PIDFD_INFO_EXIT = 1 << 3 when `exit_code` is set).
    pub mask: u64,
    /// The exit status in wait(2) format.
    pub exit_code: i32,
}

/// The child's mount namespace as the caller's /proc shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildMounts {
    /// The inode of /proc/<child>/ns/mnt (0: unreadable).
    pub mnt_ns: u64,
    /// Lines of /proc/<child>/mountinfo, or -errno.
    pub mounts: i32,
}

/// Everything about one case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub case_index: u32,
    /// Setup step that failed (index into the program's steps) and its errno.
    pub setup_failed: Option<(u32, i32)>,
    /// The raw return value, with ppc64's CR0.SO convention already folded into -errno.
    pub ret: i64,
    /// errno when `ret` < 0, else 0.
    pub errno: i32,
    /// Values the payload substituted, so checks can be exact.
    pub stack_base: u64,
    pub tls_area: u64,
    pub size_passed: u64,
    pub pidfd_slot: Option<Slot>,
    pub parent_tid_slot: Option<Slot>,
    pub child_tid_slot: Option<Slot>,
    /// The caller's own namespaces (same order as [`NS_NAMES`]).
    pub caller_ns: [u64; 8],
    pub caller_pid: i32,
    pub child_end: Option<ChildEnd>,
    /// The first signal the caller received from the child (si_pid == child), 0 for none.
    pub exit_signal: i32,
    /// `pidfd_send_signal` result (0 or -errno) when the behaviour asked for it.
    pub pidfd_send_ret: Option<i32>,
    /// Whether the futex waiter was woken (true), or found the slot already changed /
    /// timed out (false).
    pub cleartid_woken: Option<bool>,
    /// cgroup.procs contents read while the child held.
    pub cgroup_procs: Option<String>,
    pub child: Option<ChildReport>,
    /// The case exceeded its timeout and was killed.
    pub timed_out: bool,
    pub duration_us: u64,
    /// `follow_exit` / `close_pidfd`: what the pidfd said.
    #[serde(default)]
    pub pidfd_exit: Option<PidfdExit>,
    /// `follow_exit` / `close_pidfd`: errno of the caller's waitid for the child (0: it reaped
    /// the child, and `child_end` says how).
    #[serde(default)]
    pub wait_errno: Option<i32>,
    /// `read_child_mounts`.
    #[serde(default)]
    pub child_mounts: Option<ChildMounts>,
    /// `close_pidfd`: poll(POLLIN, 100 ms) on the clone3 pidfd after another pidfd for the
    /// child was closed (0: still running).
    #[serde(default)]
    pub other_close_poll: Option<i32>,
    /// The descriptor flags (`F_GETFD`, or -errno) of the pidfd the call returned, read by
    /// the caller in the slot the case named, when the case asked for them.
    #[serde(default)]
    pub pidfd_flags: Option<i32>,
    /// `child_thread`: 1 when the child's thread saw the child a zombie before it exited, 0
    /// when it never did (it gave up), -errno when the child could not start it.
    #[serde(default)]
    pub child_thread: Option<i32>,
}
