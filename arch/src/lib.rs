//! cloneabi's model of the clone3()/clone() ABI on each architecture.
//!
//! One module per ABI, each of the same shape: a `pub const ABI: ArchAbi` and the
//! syscall-number table behind it, listed once in the [`abis!`] table below. [`clone_args`] holds the layout shared by all of them and
//! the encoder that turns a logical value into one ABI's bytes.

pub mod abi;
pub mod cheader;
pub mod clone_args;
pub mod debian;
pub mod flags;
pub mod json;
mod sysno;
pub mod version;

pub use abi::{
    ArchAbi, DefaultBuild, Endian, ImageFormat, Kernel, KernelArch, MachineSpec, QemuSystem,
    SourceBuild,
};
pub use debian::Release;
pub use sysno::Sysno;
pub use version::KernelVersion;

use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The ABI table: one row per ABI, naming the enum variant and the module whose `ABI`
/// describes it. Adding an ABI is this row, that module and its payload header.
macro_rules! abis {
    ($($(#[$doc:meta])* $variant:ident => $module:ident),+ $(,)?) => {
        $(mod $module;)+

        /// An ABI cloneabi covers: a userspace ABI on a kernel arch.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Arch {
            $($(#[$doc])* $variant),+
        }

        impl Arch {
            /// Every ABI, in table order.
            pub const ALL: [Arch; [$(stringify!($variant)),+].len()] = [$(Arch::$variant),+];

            /// The ABI description.
            pub const fn abi(self) -> &'static ArchAbi {
                match self {
                    $(Arch::$variant => &$module::ABI),+
                }
            }
        }
    };
}

abis! {
    X86_64 => x86_64,
    Aarch64 => aarch64,
    S390x => s390x,
    Powerpc64le => powerpc64le,
    /// Big-endian ppc64, ELFv1.
    Powerpc64 => powerpc64,
    Riscv64 => riscv64,
    /// 32-bit x86 on the x86_64 kernel.
    I386 => i386,
    /// AArch32 (armhf) on the arm64 kernel.
    Arm => arm,
    /// ppc32 on the big-endian ppc64 kernel.
    Powerpc => powerpc,
    /// x32 on the x86_64 kernel (booted with `syscall.x32=y`).
    X32 => x32,
}

impl Arch {
    /// The name cloneabi uses everywhere.
    pub const fn name(self) -> &'static str {
        self.abi().name
    }

    pub const fn triple(self) -> &'static str {
        self.abi().triple
    }

    /// The syscall number, or `None` when the ABI has no such syscall.
    pub fn syscall(self, nr: Sysno) -> Option<u32> {
        (self.abi().syscall_number)(nr)
    }

    /// The ABI this program was compiled for, if cloneabi covers it.
    pub fn host() -> Option<Arch> {
        let big = cfg!(target_endian = "big");
        Arch::ALL.into_iter().find(|a| {
            let abi = a.abi();
            abi.rust_arch == std::env::consts::ARCH
                && abi.pointer_width == usize::BITS
                && (abi.endian == Endian::Big) == big
        })
    }

    /// Every name accepted for an ABI: cloneabi's, the triple, Debian's and the kernel's.
    pub fn aliases(self) -> impl Iterator<Item = &'static str> {
        let abi = self.abi();
        [abi.name, abi.triple]
            .into_iter()
            .chain(abi.aliases.iter().copied())
    }

    /// The ABI whose kernel this one runs on: itself, or the 64-bit ABI of a compat ABI.
    pub const fn kernel_abi(self) -> Arch {
        match self.abi().kernel {
            Kernel::Native(_) => self,
            Kernel::Compat { on, .. } => on,
        }
    }

    /// Whether this ABI runs through a 64-bit kernel's compat entry points.
    pub const fn is_compat(self) -> bool {
        matches!(self.abi().kernel, Kernel::Compat { .. })
    }

    /// The kernel this ABI runs on.
    pub fn kernel_arch(self) -> &'static KernelArch {
        match &self.kernel_abi().abi().kernel {
            Kernel::Native(k) => k,
            Kernel::Compat { .. } => unreachable!("a compat ABI runs on a native one"),
        }
    }

    /// Kernel command-line words this ABI needs on its kernel.
    pub const fn boot_args(self) -> &'static str {
        match self.abi().kernel {
            Kernel::Native(_) => "",
            Kernel::Compat { boot_args, .. } => boot_args,
        }
    }

    /// The ABIs that share a boot of this (native) ABI's kernel: itself first, then its
    /// compat ABIs in table order. Empty for a compat ABI.
    pub fn boot_group(self) -> Vec<Arch> {
        if self.is_compat() {
            return Vec::new();
        }
        Arch::ALL
            .into_iter()
            .filter(|a| a.kernel_abi() == self)
            .collect()
    }

    /// The native ABIs, one per kernel arch.
    pub fn kernels() -> impl Iterator<Item = Arch> {
        Arch::ALL.into_iter().filter(|a| !a.is_compat())
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
            .find(|a| a.aliases().any(|n| n == wanted))
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
            // A compat ABI goes by its usual name (i386, x32), not its triple's.
            assert!(arch.is_compat() || arch.triple().starts_with(arch.name()));
        }
        assert_eq!("i686".parse::<Arch>(), Ok(Arch::I386));
        assert_eq!("arm64".parse::<Arch>(), Ok(Arch::Aarch64));
        assert!("mips"
            .parse::<Arch>()
            .unwrap_err()
            .to_string()
            .contains("powerpc64le"));
    }

    #[test]
    fn the_table_is_consistent() {
        let mut names: Vec<&str> = Arch::ALL.iter().flat_map(|a| a.aliases()).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "a name or alias is used by two ABIs");
        for arch in Arch::ALL {
            let abi = arch.abi();
            let host = arch.kernel_abi();
            assert!(!host.is_compat(), "{arch} runs on a compat ABI");
            assert!(host.boot_group().contains(&arch), "{arch}");
            assert_eq!(host.boot_group()[0], host, "the native ABI boots first");
            let k = arch.kernel_arch();
            assert!(
                k.sources.debian.is_some() || k.sources.default_build.is_some(),
                "{arch}: no kernel source"
            );
            if let Some(d) = k.sources.debian {
                assert!(d.default.iter().all(|r| d.releases.contains(r)), "{arch}");
            }
            assert!(abi.payload_header.starts_with("arch/"), "{arch}");
            assert_eq!(abi.pointer_width == 64, abi.elf.class64, "{arch}");
            assert_eq!(abi.endian, abi.elf.data, "{arch}");
            assert!(abi.first_clone3 >= KernelVersion::new(5, 3, 0), "{arch}");
        }
        assert!(Arch::kernels().count() >= 5);
    }

    #[test]
    fn every_kernel_arch_says_how_to_build_its_kernel() {
        for arch in Arch::kernels() {
            let k = arch.kernel_arch();
            let b = k.sources.build;
            // The image is the file the make target leaves: vmlinux in the build dir, the
            // others under arch/<ARCH>/boot/.
            assert!(
                b.image.ends_with(b.target),
                "{arch}: {} vs {}",
                b.image,
                b.target
            );
            assert_eq!(
                k.image == ImageFormat::Elf,
                b.image == "vmlinux",
                "{arch}: an ELF image is vmlinux"
            );
            if b.image != "vmlinux" {
                assert!(
                    b.image.starts_with("arch/") && b.image.contains("/boot/"),
                    "{arch}"
                );
            }
            assert!(b.cross_compile.ends_with('-'), "{arch}");
            assert!(b.cross_package.starts_with("gcc-"), "{arch}");
            assert!(b.minimal_fragment.ends_with(".config"), "{arch}");
            assert!(b.defconfig.ends_with("defconfig"), "{arch}");
            if let Some(d) = k.sources.default_build {
                assert!(
                    d.series.split('.').all(|p| p.parse::<u32>().is_ok()),
                    "{arch}"
                );
            }
        }
    }

    #[test]
    fn the_host_is_found_by_its_target_arch() {
        if cfg!(all(target_arch = "x86_64", target_pointer_width = "64")) {
            assert_eq!(Arch::host(), Some(Arch::X86_64));
        }
        if let Some(h) = Arch::host() {
            assert_eq!(h.abi().rust_arch, std::env::consts::ARCH);
        }
    }

    #[test]
    fn clone3_is_435_everywhere() {
        for arch in Arch::ALL {
            // x32 numbers carry __X32_SYSCALL_BIT on top of the 64-bit table's.
            let base = if arch == Arch::X32 {
                x32::X32_SYSCALL_BIT
            } else {
                0
            };
            assert_eq!(arch.syscall(Sysno::Clone3), Some(base | 435), "{arch}");
        }
    }
}
