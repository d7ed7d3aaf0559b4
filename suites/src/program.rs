//! What the payload executes for one case: the lowering of a logical case to one
//! architecture's bytes, pointer fix-ups and setup steps.
//!
//! The payload is a dumb executor: it knows nothing of clone3's rules. Everything it needs
//! (syscall number, struct bytes in the target's byte order, legacy argument order) is
//! decided here, in Rust, from the arch module. The wire encoding of a [`Program`] lives in
//! `cloneabi-runners` (`protocol`); docs/PROTOCOL.md specifies it.

use crate::case::SlotKind;
use serde::{Deserialize, Serialize};

/// The syscall the case makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// `clone3(args, size)`: `args` is the struct, passed by pointer.
    Clone3,
    /// Legacy `clone(a1..a5)`: `args` holds the five raw arguments as target-order u64s,
    /// already in the arch's CLONE_BACKWARDS* order.
    LegacyClone,
}

/// The `size` argument of clone3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeArg {
    Literal(u64),
    /// The payload's runtime page size plus this many bytes.
    PageSizePlus(i64),
}

/// Where the payload puts the `args` bytes before passing their address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// In ordinary writable memory with a zero-filled page after it.
    Normal,
    /// Pass a NULL pointer (the bytes are not used).
    Null,
    /// Pass the address of an unmapped (PROT_NONE) page.
    Unmapped,
    /// Copy the first `mapped` bytes so they end exactly at a page boundary followed by a
    /// PROT_NONE page: any read past `mapped` faults.
    GuardAfter { mapped: u32 },
}

/// Which blob a fix-up patches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Blob {
    Args,
    SetTid,
}

/// A run-time value the payload substitutes (plus an addend) into a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Lowest address of the child stack region (`stack_len` bytes, 16-byte aligned).
    StackBase,
    /// Address of the 8-byte pidfd slot (pre-filled with the sentinel).
    PidfdSlot,
    /// Address of the 8-byte child_tid slot.
    ChildTidSlot,
    /// Address of the 8-byte parent_tid slot.
    ParentTidSlot,
    /// Address of a 4 KiB scratch area the child's TLS register may point at.
    TlsArea,
    /// Address of the set_tid blob as placed in memory.
    SetTidArray,
    /// Address of an unmapped page.
    UnmappedPage,
    /// Address of a zero-filled read-only page, with a PROT_NONE page below it.
    ReadOnlyPage,
    /// `/proc/sys/kernel/pid_max` as read at start-up.
    PidMax,
    /// The descriptor opened by the last `CgroupMkdir` setup step.
    CgroupFd,
    /// The descriptor opened by the last `OpenDir` setup step.
    DirFd,
    /// The runtime page size.
    PageSize,
}

/// Patch `width` bytes at `offset` of `blob` with the target's value plus `addend`, in the
/// payload's native byte order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fixup {
    pub blob: Blob,
    pub offset: u32,
    /// 4 or 8.
    pub width: u8,
    pub target: Target,
    pub addend: i64,
}

/// Signal disposition for a setup step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Default,
    Ignore,
    /// A no-op handler inside the payload.
    Handler,
}

/// One step the case process takes, in order, before the call. A step that fails stops
/// the case: the observation names the step and its errno.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetupOp {
    /// `unshare(flags)`.
    Unshare { flags: u64 },
    /// `fork()`; the parent waits for the child and exits with its status, the child
    /// carries on with the remaining steps (after `Unshare(CLONE_NEWPID)` it is pid 1 there).
    ForkInto,
    /// `capset()` (version 3) with these 64-bit sets; `prctl(PR_SET_KEEPCAPS)` is not needed
    /// because nothing changes uid.
    Capset {
        effective: u64,
        permitted: u64,
        inheritable: u64,
    },
    /// `sigaction(signo, disposition)`.
    Sigaction {
        signo: u32,
        disposition: Disposition,
    },
    /// `mkdir <cgroup2 run dir>/<name>` and open it O_DIRECTORY (the `CgroupFd` target).
    /// The payload removes it after the case.
    CgroupMkdir { name: String },
    /// Write `content` to `<cgroup2 run dir>/<path>`.
    CgroupWrite { path: String, content: String },
    /// Open a directory that is not a cgroup (the `DirFd` target).
    OpenDir { path: String },
    /// Replaces the `CgroupFd` target, the last `CgroupMkdir`'s directory, by another
    /// descriptor for the same cgroup.
    CgroupReopen { how: CgroupReopen },
    /// `clone3(CLONE_AUTOREAP|CLONE_PIDFD)`, fork-like: the parent waits for the child's end
    /// through the pidfd and exits with its status, the child carries on with the remaining
    /// steps (it is a process the kernel reaps itself, with `signal->autoreap` set).
    AutoreapInto,
    /// `prctl(PR_SET_NO_NEW_PRIVS, 1)`.
    NoNewPrivs,
    /// `unshare(CLONE_NEWUSER)`, then `setgroups` denied and uid and gid 0 mapped to the
    /// ids the process had before (one line each in `uid_map` and `gid_map`).
    EnterUserNs,
    /// In a mount namespace of its own whose mounts propagate nowhere, mount the named cgroup
    /// v1 hierarchy over the cgroup2 mount point and open its root (the `DirFd` target).
    Cgroup1Root,
}

/// The mount options of the named cgroup v1 hierarchy [`SetupOp::Cgroup1Root`] mounts: no
/// controller, so mounting it takes none from another hierarchy. (The payload's copy is
/// `runners/src/protocol/wire.rs`'s, which a compile-time check ties to this one.)
pub const CGROUP1_OPTIONS: &str = "none,name=cloneabi";

/// How [`SetupOp::CgroupReopen`] reopens the last created cgroup.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CgroupReopen {
    /// The directory again, `O_PATH | O_DIRECTORY`; the first descriptor is closed.
    Path,
    /// Its `cgroup.procs` file, `O_RDONLY`; the directory's descriptor is closed.
    ProcsFile,
    /// Nothing: the directory's descriptor is closed and its number stays the target.
    Closed,
}

/// What the parent and child do around the call (bit set on the wire).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Behavior {
    /// The child waits for the parent's release before it exits, so the parent can act on
    /// a live child (read cgroup.procs, check a futex waiter).
    pub child_holds: bool,
    /// The parent sends SIGUSR1 with `SI_QUEUE` and value 777 through the pidfd in the pidfd
    /// slot (`pidfd_send_signal`); the child waits for it and records what it received.
    pub pidfd_signal: bool,
    /// A helper process blocks in FUTEX_WAIT on the child_tid slot; the parent releases the
    /// child only once the helper sleeps, and records whether the helper was woken.
    pub cleartid_waiter: bool,
    /// While the child holds, the parent reads `cgroup.procs` of the last created cgroup.
    pub read_cgroup_procs: bool,
    /// The child is not the caller's to wait for (CLONE_THREAD, CLONE_PARENT): the parent
    /// waits for the child's done flag instead of reaping it.
    pub no_reap: bool,
    /// The parent never blocks in a wait (the kernel may reap the child itself): after
    /// releasing the child it polls the pidfd in the pidfd slot, if any, for POLLIN and asks
    /// it for the exit (PIDFD_GET_INFO, PIDFD_INFO_EXIT), then repeats a non-blocking waitid
    /// for the child until that reaps it or fails, and records both.
    #[serde(default)]
    pub follow_exit: bool,
    /// While the child holds, the parent opens a pidfd for it (pidfd_open) and closes it,
    /// polls the clone3 pidfd in the pidfd slot for 100 ms, then opens a second pidfd, closes
    /// the clone3 one and follows the child's end through the second one as `follow_exit`
    /// does. The child is not released.
    #[serde(default)]
    pub close_pidfd: bool,
    /// While the child holds, the parent reads the child's mount namespace link and counts the
    /// lines of its mountinfo (its own /proc; the child may have none).
    #[serde(default)]
    pub read_child_mounts: bool,
    /// The call is made by a process the case process forks for it (sharing its memory and
    /// descriptors), which exits right after the call; the case process, a child subreaper,
    /// adopts the child and does everything else. The child, which must hold, reads its
    /// ppid again once released.
    #[serde(default)]
    pub caller_exits: bool,
    /// Before it reports ready, the child starts a thread and then exits first (a thread
    /// exit, not exit_group); the thread exits once it sees the child a zombie.
    #[serde(default)]
    pub child_thread: bool,
    /// Test aid for the guest runners' recovery: the case process crashes the kernel
    /// (`/proc/sysrq-trigger`) instead of making the call. Only a guest's /init honours it:
    /// the native runners refuse such a case, the batch encoder drops the bit from a batch
    /// that does not power the machine off, and the payload ignores it unless it is pid 1 of
    /// the machine's first pid namespace.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub crash_kernel: bool,
}

/// What the child reports beyond its ids, SP, TLS and namespace links (which it always
/// reports). Each costs system calls (a procfs open and a text rendering for the first two),
/// so the payload makes only the ones some check of the case can look at (see
/// `lower::observations`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observe {
    /// NSpid from /proc/thread-self/status: the child's pid in every level.
    pub nspid: bool,
    /// The cgroup2 path from /proc/thread-self/cgroup.
    pub cgroup: bool,
    /// The dispositions of signals 1 to 64 (64 rt_sigaction queries).
    pub dispositions: bool,
    /// `prctl(PR_GET_NO_NEW_PRIVS)`.
    #[serde(default)]
    pub no_new_privs: bool,
    /// After a successful call, the caller reads the descriptor flags (`F_GETFD`) of the
    /// pidfd in this slot.
    #[serde(default)]
    pub pidfd_flags: Option<SlotKind>,
}

impl Observe {
    /// Every /proc read and query of the child (not the caller's pidfd flags, which need a
    /// slot).
    pub const ALL: Observe = Observe {
        nspid: true,
        cgroup: true,
        dispositions: true,
        no_new_privs: true,
        pidfd_flags: None,
    };

    /// Whether everything `other` asks for is asked for here too.
    pub fn covers(self, other: Observe) -> bool {
        (self.nspid || !other.nspid)
            && (self.cgroup || !other.cgroup)
            && (self.dispositions || !other.dispositions)
            && (self.no_new_privs || !other.no_new_privs)
            && (other.pidfd_flags.is_none() || self.pidfd_flags == other.pidfd_flags)
    }
}

/// One case as the payload runs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    pub call: CallKind,
    /// The syscall number, from the arch module.
    pub syscall_nr: u32,
    pub args: Vec<u8>,
    /// clone3's `size` (ignored for legacy clone).
    pub size: SizeArg,
    pub placement: Placement,
    /// The `pid_t` array `set_tid` points at, in the target's byte order.
    pub set_tid: Vec<u8>,
    pub fixups: Vec<Fixup>,
    pub setup: Vec<SetupOp>,
    pub behavior: Behavior,
    /// What the child reads from /proc.
    pub observe: Observe,
    /// The case must run in a case process of its own, forked for it alone: its setup changes
    /// the caller (namespaces, capabilities, signal dispositions, descriptors) or its child
    /// is not the caller's to reap. Other cases share one case process, one after another,
    /// which saves a fork per case (docs/PROTOCOL.md, "Case processes").
    pub own_process: bool,
    /// After this case (an `own_process` one), its process may go on to run the next case
    /// when that case's setup steps begin with this case's: the next case then only runs the
    /// steps this one lacks. Set when the steps leave a state the call does not use up
    /// (nested pid namespaces with their inits, kept capabilities, signal dispositions) and
    /// the call leaves nothing behind (its child is reaped).
    pub setup_reusable: bool,
    /// Bytes of child stack to map (0: none).
    pub stack_len: u32,
    pub timeout_ms: u32,
    /// The case id, printed in the payload's completion line (for consoles read by LAVA).
    pub label: String,
}
