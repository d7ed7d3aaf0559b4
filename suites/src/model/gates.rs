//! Kernel version gates (ABI-NOTES §1.9). A feature is present from a mainline release, or
//! from a stable point release that carries its backport.
//!
//! Each gate says where its boundary comes from: **source** (read in a Debian linux-source
//! tree: 6.12.117, 7.2.12 and 7.3.4 were read for the 7.x gates), **history** (merge or
//! stable history, e.g. the stable ChangeLogs Debian's linux changelog lists), or an
//! **observation** on a kernel the suite ran on (the native 6.18 host). Where neither bounds
//! a change to one release, the versions in between are [`Gate::uncertain`]: the cases that
//! tell the two behaviours apart are SKIPped there, with [`Gate::uncertain_reason`].

use cloneabi_arch::{Arch, KernelVersion};

const fn v(major: u32, minor: u32, patch: u32) -> KernelVersion {
    KernelVersion::new(major, minor, patch)
}

/// A kernel change: in mainline from `mainline`, and in the listed stable series from the
/// given point release.
pub struct Gate {
    pub name: &'static str,
    pub mainline: KernelVersion,
    pub stable: &'static [KernelVersion],
    /// Mainline releases (major, minor) whose side of the change is not known.
    pub uncertain: &'static [(u32, u32)],
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

    /// Whether the target has the change: its version decides, unless the model is
    /// weighing this gate's two sides (`ModelEnv::assume`).
    pub fn present(&self, env: &super::ModelEnv) -> bool {
        match env.assume {
            Some((name, value)) if name == self.name => value,
            _ => self.present_in(env.kernel),
        }
    }

    /// Whether `k` is a release whose side of this change is unknown.
    pub fn uncertain_in(&self, k: KernelVersion) -> bool {
        self.uncertain
            .iter()
            .any(|&(major, minor)| k.major == major && k.minor == minor)
    }

    pub fn uncertain_reason(&self, k: KernelVersion) -> String {
        format!(
            "{k} may or may not have {} (neither a source tree nor the history pins it to one release)",
            self.name
        )
    }
}

/// clone3 itself: from the ABI table's first kernel with clone3 in its syscall table.
pub fn has_clone3(arch: Arch, k: KernelVersion) -> bool {
    k >= arch.abi().first_clone3
}

/// fa729c4df558 "clone3: validate stack arguments": `stack` is the lowest address.
/// History: 5.4, stable 5.3.11 (Debian changelog, ChangeLog-5.3.11).
pub const STACK_VALIDATED: Gate = Gate {
    name: "clone3 stack validation",
    mainline: v(5, 4, 0),
    stable: &[v(5, 3, 11)],
    uncertain: &[],
};
/// set_tid / set_tid_size and CLONE_CLEAR_SIGHAND. History: 5.5.
pub const SET_TID: Gate = Gate {
    name: "set_tid",
    mainline: v(5, 5, 0),
    stable: &[],
    uncertain: &[],
};
pub const CLEAR_SIGHAND: Gate = Gate {
    name: "CLONE_CLEAR_SIGHAND",
    mainline: v(5, 5, 0),
    stable: &[],
    uncertain: &[],
};
/// CLONE_INTO_CGROUP and the `cgroup` member. History: 5.7.
pub const INTO_CGROUP: Gate = Gate {
    name: "CLONE_INTO_CGROUP",
    mainline: v(5, 7, 0),
    stable: &[],
    uncertain: &[],
};
/// 3f2c788a1314 "fork: prevent accidental access to clone3 features": legacy clone() keeps
/// only `lower_32_bits(clone_flags)` (kernel/fork.c `SYSCALL_DEFINE5(clone)`). History:
/// 5.7-rc6, stable 5.6.14 (Debian changelog, ChangeLog-5.6.14); the 5.4.y backport changes
/// nothing observable (no bit above 31 means anything to 5.4).
pub const LEGACY_LOWER_32_BITS: Gate = Gate {
    name: "legacy clone()'s lower_32_bits",
    mainline: v(5, 7, 0),
    stable: &[v(5, 6, 14)],
    uncertain: &[],
};
/// CAP_CHECKPOINT_RESTORE accepted for set_tid. History: 5.9.
pub const CHECKPOINT_RESTORE_CAP: Gate = Gate {
    name: "CAP_CHECKPOINT_RESTORE for set_tid",
    mainline: v(5, 9, 0),
    stable: &[],
    uncertain: &[],
};
/// "fork: allow CLONE_NEWTIME in clone3 flags" (kernel/fork.c clone3_args_valid: the CSIGNAL
/// test masks CLONE_NEWTIME out). History: 6.3, stable 6.1.20 (Debian's changelog lists it
/// under ChangeLog-6.1.20), 5.15.103 and 5.10.175 (the same stable batch of 2023-03-17).
/// Source: present in 6.12.
pub const NEWTIME_IN_CLONE3: Gate = Gate {
    name: "CLONE_NEWTIME in clone3",
    mainline: v(6, 3, 0),
    stable: &[v(6, 1, 20), v(5, 15, 103), v(5, 10, 175)],
    uncertain: &[],
};
/// 83b290c9e3b5 "pidfd: clone: allow CLONE_THREAD | CLONE_PIDFD together". History: 6.9;
/// source: 6.12 copy_process has no such test.
pub const PIDFD_THREAD: Gate = Gate {
    name: "CLONE_PIDFD with CLONE_THREAD",
    mainline: v(6, 9, 0),
    stable: &[],
    uncertain: &[],
};
/// kernel/pid.c alloc_pid() checks set_tid against each level's own `pid_max`, and a pid
/// namespace created by clone/unshare starts with pid_max = PID_MAX_LIMIT (kernel/
/// pid_namespace.c create_pid_namespace). Source: 7.2, 7.3 (6.12 checks the global
/// `pid_max`). History: "pid: allow pid_max to be set per pid namespace", 6.14.
pub const PER_NS_PID_MAX: Gate = Gate {
    name: "per-namespace pid_max",
    mainline: v(6, 14, 0),
    stable: &[],
    uncertain: &[],
};
/// kernel/pid.c alloc_pid() in two passes: range (EINVAL) and capability (EPERM) checks for
/// every level first, then allocation level by level with EEXIST for a pid in use and the
/// "no init yet and nr != 1" EINVAL after each level's allocation. Source: 7.2, 7.3 (6.12
/// interleaves range, reaper, capability and allocation per level). Observed old on the
/// native 6.18 host. History: the merge history says 7.0; ABI-NOTES, from copies of
/// the tree, says ≈6.19. So 6.19 is uncertain.
pub const ALLOC_PID_TWO_PASS: Gate = Gate {
    name: "alloc_pid's two-pass order",
    mainline: v(7, 0, 0),
    stable: &[],
    uncertain: &[(6, 19)],
};
/// kernel/fork.c: `valid_signal(exit_signal)` in kernel_clone() after the pidfd ==
/// parent_tid test (copy_clone_args_from_user keeps only the upper-bits test), so it now
/// comes after clone3_args_valid() and the set_tid copy, and applies to legacy clone() too.
/// Source: 7.2, 7.3 (6.12 tests both in copy_clone_args_from_user). Observed old on the
/// native 6.18 host. History: a 2026 syzbot fix; which of 6.19, 7.0 and 7.1 first had it is
/// not pinned, so those are uncertain.
pub const EXIT_SIGNAL_IN_KERNEL_CLONE: Gate = Gate {
    name: "valid_signal() in kernel_clone()",
    mainline: v(7, 2, 0),
    stable: &[],
    uncertain: &[(6, 19), (7, 0), (7, 1)],
};
/// CLONE_AUTOREAP, CLONE_NNP, CLONE_PIDFD_AUTOKILL and CLONE_EMPTY_MNTNS (clone3_args_valid's
/// mask; rules in copy_process and kernel_clone). Source: 7.2, 7.3 (6.12 has none). History:
/// the pidfs pull for 7.1-rc1.
pub const NEW_2026_FLAGS: Gate = Gate {
    name: "the 7.1 clone3 flags",
    mainline: v(7, 1, 0),
    stable: &[],
    uncertain: &[],
};

/// 2b5f9dad32ed "fs/exec: switch timens when a task gets a new mm": copy_namespaces() calls
/// timens_on_fork() only without CLONE_VM, so a CLONE_VM|CLONE_NEWTIME child stays in the
/// caller's time namespace (before, it moved into the new one). History: the execve pull
/// for 6.2. Observed old on Debian's 6.1 (a 10000-case `cloneabi fuzz` campaign in a
/// guest), new on the native 6.18 host.
pub const TIMENS_NOT_UNDER_CLONE_VM: Gate = Gate {
    name: "timens_on_fork() only without CLONE_VM",
    mainline: v(6, 2, 0),
    stable: &[],
    uncertain: &[],
};

/// Every gate, for tests and listings.
pub const ALL: &[&Gate] = &[
    &STACK_VALIDATED,
    &SET_TID,
    &CLEAR_SIGHAND,
    &INTO_CGROUP,
    &LEGACY_LOWER_32_BITS,
    &CHECKPOINT_RESTORE_CAP,
    &NEWTIME_IN_CLONE3,
    &PIDFD_THREAD,
    &PER_NS_PID_MAX,
    &ALLOC_PID_TWO_PASS,
    &EXIT_SIGNAL_IN_KERNEL_CLONE,
    &NEW_2026_FLAGS,
    &TIMENS_NOT_UNDER_CLONE_VM,
];
