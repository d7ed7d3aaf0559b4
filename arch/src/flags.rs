//! The `CLONE_*` flag values of include/uapi/linux/sched.h, as data.
//!
//! The values are the same on every architecture (the header has no arch-specific part);
//! tests/layout.rs checks each of them against every toolchain's headers.
//!
//! Versions: `since` is the kernel that introduced the bit, as clone(2) documents it (bits
//! older than git history carry the release the man page names). `clone3_since` is the first
//! kernel whose clone3() accepts the bit in `clone_args.flags`. The four bits above
//! CLONE_INTO_CGROUP (CLONE_AUTOREAP, CLONE_NNP, CLONE_PIDFD_AUTOKILL, CLONE_EMPTY_MNTNS) are
//! checked against Debian's linux-source-7.3 header by tests/kernel_uapi.rs.

use crate::version::KernelVersion;
use serde::Serialize;

/// One `CLONE_*` constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CloneFlag {
    /// The macro name, e.g. `CLONE_VM`.
    pub name: &'static str,
    pub value: u64,
    /// The kernel that introduced the bit.
    pub since: KernelVersion,
    /// The first kernel whose clone3() accepts it; `None` when clone3 always rejects it.
    pub clone3_since: Option<KernelVersion>,
    /// Whether legacy clone() takes it as a flag bit (it only sees the low 32 bits, and the
    /// low byte there is the exit signal).
    pub legacy_clone: bool,
    /// What is special about it, if anything.
    pub note: &'static str,
}

const fn v(major: u32, minor: u32, patch: u32) -> KernelVersion {
    KernelVersion::new(major, minor, patch)
}

/// clone3() itself.
const CLONE3: Option<KernelVersion> = Some(v(5, 3, 0));

const fn flag(name: &'static str, value: u64, since: KernelVersion) -> CloneFlag {
    CloneFlag {
        name,
        value,
        since,
        clone3_since: CLONE3,
        legacy_clone: true,
        note: "",
    }
}

pub const CSIGNAL: u64 = 0x0000_00ff;
pub const CLONE_VM: u64 = 0x0000_0100;
pub const CLONE_FS: u64 = 0x0000_0200;
pub const CLONE_FILES: u64 = 0x0000_0400;
pub const CLONE_SIGHAND: u64 = 0x0000_0800;
pub const CLONE_PIDFD: u64 = 0x0000_1000;
pub const CLONE_PTRACE: u64 = 0x0000_2000;
pub const CLONE_VFORK: u64 = 0x0000_4000;
pub const CLONE_PARENT: u64 = 0x0000_8000;
pub const CLONE_THREAD: u64 = 0x0001_0000;
pub const CLONE_NEWNS: u64 = 0x0002_0000;
pub const CLONE_SYSVSEM: u64 = 0x0004_0000;
pub const CLONE_SETTLS: u64 = 0x0008_0000;
pub const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
pub const CLONE_DETACHED: u64 = 0x0040_0000;
pub const CLONE_UNTRACED: u64 = 0x0080_0000;
pub const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
pub const CLONE_NEWCGROUP: u64 = 0x0200_0000;
pub const CLONE_NEWUTS: u64 = 0x0400_0000;
pub const CLONE_NEWIPC: u64 = 0x0800_0000;
pub const CLONE_NEWUSER: u64 = 0x1000_0000;
pub const CLONE_NEWPID: u64 = 0x2000_0000;
pub const CLONE_NEWNET: u64 = 0x4000_0000;
pub const CLONE_IO: u64 = 0x8000_0000;
pub const CLONE_CLEAR_SIGHAND: u64 = 1 << 32;
pub const CLONE_INTO_CGROUP: u64 = 1 << 33;
pub const CLONE_NEWTIME: u64 = 0x0000_0080;
pub const CLONE_AUTOREAP: u64 = 1 << 34;
pub const CLONE_NNP: u64 = 1 << 35;
pub const CLONE_PIDFD_AUTOKILL: u64 = 1 << 36;
pub const CLONE_EMPTY_MNTNS: u64 = 1 << 37;

/// Every constant, in the header's order.
pub const ALL: [CloneFlag; 32] = [
    CloneFlag {
        note: "mask of the exit signal in legacy clone(); clone3 takes exit_signal instead \
               and rejects any of these bits",
        clone3_since: None,
        legacy_clone: false,
        ..flag("CSIGNAL", CSIGNAL, v(2, 0, 0))
    },
    flag("CLONE_VM", CLONE_VM, v(2, 0, 0)),
    flag("CLONE_FS", CLONE_FS, v(2, 0, 0)),
    flag("CLONE_FILES", CLONE_FILES, v(2, 0, 0)),
    flag("CLONE_SIGHAND", CLONE_SIGHAND, v(2, 0, 0)),
    CloneFlag {
        note: "reuses the bit of the removed CLONE_PID (2.0 to 2.5.15)",
        ..flag("CLONE_PIDFD", CLONE_PIDFD, v(5, 2, 0))
    },
    flag("CLONE_PTRACE", CLONE_PTRACE, v(2, 2, 0)),
    flag("CLONE_VFORK", CLONE_VFORK, v(2, 2, 0)),
    flag("CLONE_PARENT", CLONE_PARENT, v(2, 3, 12)),
    flag("CLONE_THREAD", CLONE_THREAD, v(2, 4, 0)),
    flag("CLONE_NEWNS", CLONE_NEWNS, v(2, 4, 19)),
    flag("CLONE_SYSVSEM", CLONE_SYSVSEM, v(2, 5, 10)),
    flag("CLONE_SETTLS", CLONE_SETTLS, v(2, 5, 32)),
    flag("CLONE_PARENT_SETTID", CLONE_PARENT_SETTID, v(2, 5, 49)),
    flag("CLONE_CHILD_CLEARTID", CLONE_CHILD_CLEARTID, v(2, 5, 49)),
    CloneFlag {
        note: "unused: legacy clone() ignores it (EINVAL together with CLONE_PIDFD), \
               clone3 rejects it",
        clone3_since: None,
        ..flag("CLONE_DETACHED", CLONE_DETACHED, v(2, 5, 32))
    },
    flag("CLONE_UNTRACED", CLONE_UNTRACED, v(2, 5, 46)),
    flag("CLONE_CHILD_SETTID", CLONE_CHILD_SETTID, v(2, 5, 49)),
    CloneFlag {
        note: "reuses the bit of the removed CLONE_STOPPED (2.6.0 to 2.6.38)",
        ..flag("CLONE_NEWCGROUP", CLONE_NEWCGROUP, v(4, 6, 0))
    },
    flag("CLONE_NEWUTS", CLONE_NEWUTS, v(2, 6, 19)),
    flag("CLONE_NEWIPC", CLONE_NEWIPC, v(2, 6, 19)),
    flag("CLONE_NEWUSER", CLONE_NEWUSER, v(2, 6, 23)),
    flag("CLONE_NEWPID", CLONE_NEWPID, v(2, 6, 24)),
    flag("CLONE_NEWNET", CLONE_NEWNET, v(2, 6, 24)),
    flag("CLONE_IO", CLONE_IO, v(2, 6, 25)),
    CloneFlag {
        note: "clone3 only (above the 32 bits legacy clone() sees)",
        clone3_since: Some(v(5, 5, 0)),
        legacy_clone: false,
        ..flag("CLONE_CLEAR_SIGHAND", CLONE_CLEAR_SIGHAND, v(5, 5, 0))
    },
    CloneFlag {
        note: "clone3 only; needs clone_args.cgroup (CLONE_ARGS_SIZE_VER2)",
        clone3_since: Some(v(5, 7, 0)),
        legacy_clone: false,
        ..flag("CLONE_INTO_CGROUP", CLONE_INTO_CGROUP, v(5, 7, 0))
    },
    CloneFlag {
        note: "inside the CSIGNAL byte: unshare() from 5.6, clone3 from 6.3 (and stable), \
               never legacy clone()",
        clone3_since: Some(v(6, 3, 0)),
        legacy_clone: false,
        ..flag("CLONE_NEWTIME", CLONE_NEWTIME, v(5, 6, 0))
    },
    // The four below: in linux-source-7.2 and 7.3 (include/uapi/linux/sched.h, kernel/fork.c
    // clone3_args_valid), not in 6.12; merged for 7.1 (the pidfs pull for 7.1-rc1).
    CloneFlag {
        note: "clone3 only: the kernel reaps the child (exit_signal must be 0)",
        clone3_since: Some(v(7, 1, 0)),
        legacy_clone: false,
        ..flag("CLONE_AUTOREAP", CLONE_AUTOREAP, v(7, 1, 0))
    },
    CloneFlag {
        note: "clone3 only: the child starts with no_new_privs set",
        clone3_since: Some(v(7, 1, 0)),
        legacy_clone: false,
        ..flag("CLONE_NNP", CLONE_NNP, v(7, 1, 0))
    },
    CloneFlag {
        note: "clone3 only: closing the clone3 pidfd kills the child (needs CLONE_PIDFD and \
               CLONE_AUTOREAP)",
        clone3_since: Some(v(7, 1, 0)),
        legacy_clone: false,
        ..flag("CLONE_PIDFD_AUTOKILL", CLONE_PIDFD_AUTOKILL, v(7, 1, 0))
    },
    CloneFlag {
        note: "clone3 only: a new mount namespace holding only a copy of the root mount \
               (implies CLONE_NEWNS)",
        clone3_since: Some(v(7, 1, 0)),
        legacy_clone: false,
        ..flag("CLONE_EMPTY_MNTNS", CLONE_EMPTY_MNTNS, v(7, 1, 0))
    },
];

/// Looks a constant up by its macro name (`CLONE_VM`, `CSIGNAL`).
pub fn flag_by_name(name: &str) -> Option<&'static CloneFlag> {
    ALL.iter().find(|f| f.name == name)
}

/// Every constant, in the header's order.
pub fn all() -> &'static [CloneFlag] {
    &ALL
}

/// The names of the bits set in `flags`, in [`ALL`] order (`CSIGNAL` is not a flag and is
/// never named; CLONE_NEWTIME is named only when its own bit is set), plus the unknown rest.
pub fn names_of(flags: u64) -> (Vec<&'static str>, u64) {
    let mut rest = flags;
    let mut names = Vec::new();
    for f in ALL.iter().filter(|f| f.value != CSIGNAL) {
        if flags & f.value == f.value {
            names.push(f.name);
            rest &= !f.value;
        }
    }
    (names, rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn names_are_unique_and_found() {
        for (i, f) in ALL.iter().enumerate() {
            assert_eq!(flag_by_name(f.name), Some(f));
            assert!(
                ALL[..i].iter().all(|g| g.name != f.name),
                "{} twice",
                f.name
            );
        }
        assert_eq!(flag_by_name("CLONE_NOPE"), None);
        assert_eq!(all().len(), ALL.len());
    }

    #[test]
    fn flag_bits_are_single_and_disjoint() {
        let mut seen = 0u64;
        for f in ALL
            .iter()
            .filter(|f| f.name != "CSIGNAL" && f.name != "CLONE_NEWTIME")
        {
            assert_eq!(f.value.count_ones(), 1, "{} is one bit", f.name);
            assert_eq!(seen & f.value, 0, "{} overlaps", f.name);
            seen |= f.value;
        }
        assert_eq!(
            seen & CSIGNAL,
            0,
            "no flag inside the CSIGNAL byte but CLONE_NEWTIME"
        );
        assert_eq!(CLONE_NEWTIME & CSIGNAL, CLONE_NEWTIME);
    }

    #[rstest]
    #[case("CLONE_CLEAR_SIGHAND", 1 << 32, Some((5, 5)))]
    #[case("CLONE_INTO_CGROUP", 1 << 33, Some((5, 7)))]
    #[case("CLONE_NEWTIME", 0x80, Some((6, 3)))]
    #[case("CLONE_PIDFD", 0x1000, Some((5, 3)))]
    #[case("CLONE_AUTOREAP", 1 << 34, Some((7, 1)))]
    #[case("CLONE_NNP", 1 << 35, Some((7, 1)))]
    #[case("CLONE_PIDFD_AUTOKILL", 1 << 36, Some((7, 1)))]
    #[case("CLONE_EMPTY_MNTNS", 1 << 37, Some((7, 1)))]
    #[case("CLONE_DETACHED", 0x0040_0000, None)]
    #[case("CSIGNAL", 0xff, None)]
    fn clone3_validity(#[case] name: &str, #[case] value: u64, #[case] clone3: Option<(u32, u32)>) {
        let f = flag_by_name(name).unwrap();
        assert_eq!(f.value, value);
        assert_eq!(
            f.clone3_since,
            clone3.map(|(major, minor)| KernelVersion::new(major, minor, 0))
        );
    }

    #[test]
    fn legacy_clone_sees_only_32_bits_outside_the_signal_byte() {
        for f in &ALL {
            let reachable = f.value <= u32::MAX as u64 && f.value & CSIGNAL == 0;
            assert_eq!(f.legacy_clone, reachable, "{}", f.name);
        }
    }

    #[test]
    fn names_of_splits_known_and_unknown_bits() {
        let (names, rest) = names_of(CLONE_VM | CLONE_NEWTIME | (1 << 40));
        assert_eq!(names, ["CLONE_VM", "CLONE_NEWTIME"]);
        assert_eq!(rest, 1 << 40);
    }
}
