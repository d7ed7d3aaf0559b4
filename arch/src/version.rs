//! Kernel versions, as the model gates features by them.

use serde::{Serialize, Serializer};
use std::fmt;

/// A kernel version `major.minor.patch`. Ordering is numeric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl KernelVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        KernelVersion {
            major,
            minor,
            patch,
        }
    }

    /// Parses the leading `X.Y[.Z]` of a release string such as `6.1.0-28-amd64` or
    /// `6.12.9+bpo-arm64`; anything after the numbers is ignored.
    pub fn parse_release(release: &str) -> Option<Self> {
        let mut nums = [0u32; 3];
        let mut idx = 0;
        let mut cur: Option<u32> = None;
        for ch in release.chars() {
            match ch.to_digit(10) {
                Some(d) => cur = Some(cur.unwrap_or(0).checked_mul(10)?.checked_add(d)?),
                None => {
                    nums[idx] = cur?;
                    idx += 1;
                    cur = None;
                    if ch != '.' || idx == 3 {
                        break;
                    }
                }
            }
        }
        if let Some(v) = cur {
            if idx < 3 {
                nums[idx] = v;
                idx += 1;
            }
        }
        (idx >= 2).then(|| KernelVersion::new(nums[0], nums[1], nums[2]))
    }

    /// The upstream version of a running kernel from `uname -r` and `uname -v`. Debian's
    /// `uname -r` says `6.1.0-56-amd64` for every 6.1.y point release; its `uname -v` names
    /// the real one (`... Debian 6.1.192-2 (...)`), which the stable-backport gates need.
    pub fn from_uname(release: &str, version: &str) -> Option<Self> {
        let from_version = version
            .split_whitespace()
            .skip_while(|w| *w != "Debian")
            .nth(1)
            .and_then(KernelVersion::parse_release);
        from_version.or_else(|| KernelVersion::parse_release(release))
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.patch == 0 {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        }
    }
}

impl Serialize for KernelVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn debian_point_release_comes_from_uname_v() {
        let v = KernelVersion::from_uname(
            "6.1.0-56-amd64",
            "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-10-01)",
        );
        assert_eq!(v, Some(KernelVersion::new(6, 1, 192)));
        let v = KernelVersion::from_uname(
            "6.12.95+bpo-arm64",
            "#1 SMP Debian 6.12.95-1~bpo12+1 (2026-09-01)",
        );
        assert_eq!(v, Some(KernelVersion::new(6, 12, 95)));
        assert_eq!(
            KernelVersion::from_uname("6.18.44-fc", "#1 SMP PREEMPT_DYNAMIC"),
            Some(KernelVersion::new(6, 18, 44))
        );
    }

    use super::KernelVersion;

    #[test]
    fn parses_debian_release_strings() {
        assert_eq!(
            KernelVersion::parse_release("6.1.0-28-amd64"),
            Some(KernelVersion::new(6, 1, 0))
        );
        assert_eq!(
            KernelVersion::parse_release("6.12.9+bpo-arm64"),
            Some(KernelVersion::new(6, 12, 9))
        );
        assert_eq!(
            KernelVersion::parse_release("6.18.44-fc-v657"),
            Some(KernelVersion::new(6, 18, 44))
        );
        assert_eq!(
            KernelVersion::parse_release("5.5"),
            Some(KernelVersion::new(5, 5, 0))
        );
        assert_eq!(KernelVersion::parse_release("garbage"), None);
        assert!(KernelVersion::new(5, 3, 11) > KernelVersion::new(5, 3, 10));
    }
}
