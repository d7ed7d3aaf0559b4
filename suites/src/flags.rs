//! CLONE_* values come from the arch crate (checked there against every toolchain's
//! headers); this module adds the groupings, signal numbers and capabilities the cases use.

pub use cloneabi_arch::flags::*;

/// `CLONE_LEGACY_FLAGS` (include/linux/sched/task.h).
pub const CLONE_LEGACY_FLAGS: u64 = 0xffff_ffff;

/// Namespace flags that need CAP_SYS_ADMIN in the child's user namespace.
pub const NS_FLAGS_NEEDING_ADMIN: u64 = CLONE_NEWNS
    | CLONE_NEWUTS
    | CLONE_NEWIPC
    | CLONE_NEWPID
    | CLONE_NEWNET
    | CLONE_NEWCGROUP
    | CLONE_NEWTIME;

/// The name of a single CLONE_* bit, for case ids and messages.
pub fn bit_name(bit: u32) -> Option<&'static str> {
    let value = 1u64 << bit;
    all().iter().find(|f| f.value == value).map(|f| f.name)
}

/// Signal numbers: the generic Linux numbering, the same on all five ABIs.
pub const SIGUSR1: u64 = 10;
pub const SIGUSR2: u64 = 12;
pub const SIGCHLD: u64 = 17;
/// `_NSIG`: the highest valid signal number.
pub const NSIG: u64 = 64;

/// Capability bits.
pub const CAP_SYS_ADMIN: u32 = 21;
pub const CAP_CHECKPOINT_RESTORE: u32 = 40;

pub const fn cap(bit: u32) -> u64 {
    1u64 << bit
}
