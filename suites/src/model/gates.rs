//! Kernel version gates (ABI-NOTES §1.9). A feature is present from a mainline release, or
//! from a stable point release that carries its backport.

use cloneabi_arch::{Arch, KernelVersion};

const fn v(major: u32, minor: u32, patch: u32) -> KernelVersion {
    KernelVersion::new(major, minor, patch)
}

/// A kernel change: in mainline from `mainline`, and in the listed stable series from the
/// given point release.
pub struct Gate {
    pub mainline: KernelVersion,
    pub stable: &'static [KernelVersion],
}

impl Gate {
    pub fn present_in(&self, k: KernelVersion) -> bool {
        if k >= self.mainline {
            return true;
        }
        self.stable
            .iter()
            .any(|s| s.major == k.major && s.minor == k.minor && k.patch >= s.patch)
    }
}

/// clone3 itself: from the ABI table's first kernel with clone3 in its syscall table.
pub fn has_clone3(arch: Arch, k: KernelVersion) -> bool {
    k >= arch.abi().first_clone3
}

/// fa729c4df558 "clone3: validate stack arguments": `stack` is the lowest address.
pub const STACK_VALIDATED: Gate = Gate {
    mainline: v(5, 4, 0),
    stable: &[v(5, 3, 11)],
};
/// set_tid / set_tid_size and CLONE_CLEAR_SIGHAND.
pub const SET_TID: Gate = Gate {
    mainline: v(5, 5, 0),
    stable: &[],
};
pub const CLEAR_SIGHAND: Gate = Gate {
    mainline: v(5, 5, 0),
    stable: &[],
};
/// CLONE_INTO_CGROUP and the `cgroup` member.
pub const INTO_CGROUP: Gate = Gate {
    mainline: v(5, 7, 0),
    stable: &[],
};
/// CAP_CHECKPOINT_RESTORE accepted for set_tid.
pub const CHECKPOINT_RESTORE_CAP: Gate = Gate {
    mainline: v(5, 9, 0),
    stable: &[],
};
/// "fork: allow CLONE_NEWTIME in clone3 flags" (2023, tagged for stable). The stable
/// boundaries below are the point releases that picked it up, as far as cloneabi knows;
/// Debian's 6.1 kernels are far past them.
pub const NEWTIME_IN_CLONE3: Gate = Gate {
    mainline: v(6, 3, 0),
    stable: &[v(6, 1, 21), v(5, 15, 104), v(5, 10, 176)],
};
/// 83b290c9e3b5 "pidfd: clone: allow CLONE_THREAD | CLONE_PIDFD together".
pub const PIDFD_THREAD: Gate = Gate {
    mainline: v(6, 9, 0),
    stable: &[],
};
/// The 2025 alloc_pid rework: range and capability checks for every level before any
/// allocation (seen through copies of the newest tree; ABI-NOTES §1.4).
pub const ALLOC_PID_TWO_PASS: Gate = Gate {
    mainline: v(6, 19, 0),
    stable: &[],
};
/// Kernels from here may assign clone3 flag bits 34..=37 (2026 additions, values not
/// verified against a released header).
pub const NEW_2026_FLAGS: Gate = Gate {
    mainline: v(7, 0, 0),
    stable: &[],
};
