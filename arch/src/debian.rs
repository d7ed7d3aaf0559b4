//! The Debian releases cloneabi takes kernels from. A release is a *channel*: its kernel
//! version moves (sid from 7.2 to 7.3, say), and reports match runs across versions by
//! channel so that a version bump alone is not a regression.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A Debian release (suite) that serves kernel packages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Release {
    /// Debian 12: 6.1 (with bookworm-updates and bookworm-security).
    Bookworm,
    /// bookworm-backports: 6.12.
    BookwormBackports,
    /// Debian 13: 6.12 (with trixie-updates and trixie-security).
    Trixie,
    /// trixie-backports: the newest stable series Debian backports (7.3 on amd64 and arm64).
    TrixieBackports,
    /// unstable: the newest kernel Debian builds for every release architecture.
    Sid,
}

impl Release {
    pub const ALL: [Release; 5] = [
        Release::Bookworm,
        Release::BookwormBackports,
        Release::Trixie,
        Release::TrixieBackports,
        Release::Sid,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Release::Bookworm => "bookworm",
            Release::BookwormBackports => "bookworm-backports",
            Release::Trixie => "trixie",
            Release::TrixieBackports => "trixie-backports",
            Release::Sid => "sid",
        }
    }

    /// `(archive, suite)` pairs of the apt sources for this release; archive is
    /// `debian` or `debian-security` on the mirror.
    pub const fn sources(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Release::Bookworm => &[
                ("debian", "bookworm"),
                ("debian", "bookworm-updates"),
                ("debian-security", "bookworm-security"),
            ],
            Release::BookwormBackports => &[("debian", "bookworm-backports")],
            Release::Trixie => &[
                ("debian", "trixie"),
                ("debian", "trixie-updates"),
                ("debian-security", "trixie-security"),
            ],
            Release::TrixieBackports => &[("debian", "trixie-backports")],
            Release::Sid => &[("debian", "sid")],
        }
    }

    /// The stable release a suite belongs to (`bookworm-backports` → `bookworm`); its
    /// `-updates` and `-security` suites are supplementary.
    pub const fn base(self) -> &'static str {
        match self {
            Release::Bookworm | Release::BookwormBackports => "bookworm",
            Release::Trixie | Release::TrixieBackports => "trixie",
            Release::Sid => "sid",
        }
    }

    /// Releases tried, in order, when this one's package cannot be downloaded; a fallback
    /// is accepted only if it carries the same kernel series (major.minor).
    pub const fn fallbacks(self) -> &'static [Release] {
        match self {
            Release::Bookworm | Release::TrixieBackports | Release::Sid => &[],
            Release::BookwormBackports => &[Release::Trixie],
            Release::Trixie => &[Release::BookwormBackports],
        }
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A release name that matched nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRelease(pub String);

impl fmt::Display for UnknownRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = Release::ALL.iter().map(|r| r.name()).collect();
        write!(
            f,
            "unknown Debian release '{}': use one of {}",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownRelease {}

impl FromStr for Release {
    type Err = UnknownRelease;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let w = s.trim().to_ascii_lowercase();
        Release::ALL
            .into_iter()
            .find(|r| {
                r.name() == w
                    || (w == "backports" && *r == Release::BookwormBackports)
                    || (w == "unstable" && *r == Release::Sid)
            })
            .ok_or_else(|| UnknownRelease(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_errors_list_every_release() {
        for r in Release::ALL {
            assert_eq!(r.name().parse::<Release>(), Ok(r));
            assert!(r.sources().iter().any(|(_, suite)| *suite == r.name()));
        }
        assert_eq!("unstable".parse::<Release>(), Ok(Release::Sid));
        let e = "buster".parse::<Release>().unwrap_err().to_string();
        assert!(e.contains("trixie-backports") && e.contains("sid"), "{e}");
        assert_eq!(Release::Trixie.fallbacks(), &[Release::BookwormBackports]);
        assert_eq!(Release::TrixieBackports.base(), "trixie");
    }
}
