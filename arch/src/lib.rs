//! cloneabi's model of the clone3()/clone() ABI on each architecture.
//!
//! One module per architecture, each of the same shape: a `pub const ABI: ArchAbi` and the
//! syscall-number table behind it. [`clone_args`] holds the layout shared by all of them and
//! the encoder that turns a logical value into one ABI's bytes.

mod aarch64;
pub mod abi;
pub mod clone_args;
pub mod flags;
pub mod json;
mod powerpc64;
mod powerpc64le;
mod s390x;
mod sysno;
pub mod version;
mod x86_64;

pub use abi::{ArchAbi, Endian};
pub use sysno::Sysno;
pub use version::KernelVersion;

use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An architecture (ABI) cloneabi covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    X86_64,
    Aarch64,
    S390x,
    Powerpc64le,
    /// Big-endian ppc64, ELFv1.
    Powerpc64,
}

impl Arch {
    pub const ALL: [Arch; 5] = [
        Arch::X86_64,
        Arch::Aarch64,
        Arch::S390x,
        Arch::Powerpc64le,
        Arch::Powerpc64,
    ];

    /// The ABI description.
    pub fn abi(self) -> &'static ArchAbi {
        match self {
            Arch::X86_64 => &x86_64::ABI,
            Arch::Aarch64 => &aarch64::ABI,
            Arch::S390x => &s390x::ABI,
            Arch::Powerpc64le => &powerpc64le::ABI,
            Arch::Powerpc64 => &powerpc64::ABI,
        }
    }

    /// The name cloneabi uses everywhere (the first component of the target triple).
    pub const fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
            Arch::S390x => "s390x",
            Arch::Powerpc64le => "powerpc64le",
            Arch::Powerpc64 => "powerpc64",
        }
    }

    pub fn triple(self) -> &'static str {
        self.abi().triple
    }

    /// The syscall number, or `None` when the arch has no such syscall.
    pub fn syscall(self, nr: Sysno) -> Option<u32> {
        (self.abi().syscall_number)(nr)
    }

    /// The architecture this program was compiled for, if cloneabi covers it.
    pub fn host() -> Option<Arch> {
        match (std::env::consts::ARCH, cfg!(target_endian = "big")) {
            ("x86_64", _) => Some(Arch::X86_64),
            ("aarch64", _) => Some(Arch::Aarch64),
            ("s390x", _) => Some(Arch::S390x),
            ("powerpc64", false) => Some(Arch::Powerpc64le),
            ("powerpc64", true) => Some(Arch::Powerpc64),
            _ => None,
        }
    }

    /// Every name accepted for an arch: cloneabi's, the triple, Debian's and the kernel's.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Arch::X86_64 => &["x86_64", "amd64", "x86-64"],
            Arch::Aarch64 => &["aarch64", "arm64"],
            Arch::S390x => &["s390x", "s390"],
            Arch::Powerpc64le => &["powerpc64le", "ppc64le", "ppc64el"],
            Arch::Powerpc64 => &["powerpc64", "ppc64", "ppc64be", "powerpc64be"],
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An arch name that matched nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownArch(pub String);

impl fmt::Display for UnknownArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = Arch::ALL.iter().map(|a| a.name()).collect();
        write!(
            f,
            "unknown architecture '{}': use one of {}",
            self.0,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownArch {}

impl FromStr for Arch {
    type Err = UnknownArch;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        Arch::ALL
            .iter()
            .copied()
            .find(|a| a.aliases().contains(&wanted.as_str()) || a.triple() == wanted)
            .ok_or_else(|| UnknownArch(s.to_string()))
    }
}

impl Serialize for Arch {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Arch {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for arch in Arch::ALL {
            assert_eq!(arch.name().parse::<Arch>(), Ok(arch));
            assert_eq!(arch.triple().parse::<Arch>(), Ok(arch));
            assert!(arch.triple().starts_with(arch.name()));
        }
        assert_eq!("arm64".parse::<Arch>(), Ok(Arch::Aarch64));
        assert!("mips"
            .parse::<Arch>()
            .unwrap_err()
            .to_string()
            .contains("powerpc64le"));
    }

    #[test]
    fn clone3_is_435_everywhere() {
        for arch in Arch::ALL {
            assert_eq!(arch.syscall(Sysno::Clone3), Some(435), "{arch}");
        }
    }
}
