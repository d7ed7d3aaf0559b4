//! The shape every architecture module fills in.

use crate::Sysno;
use serde::Serialize;

/// Byte order of an ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Endian {
    Little,
    Big,
}

/// How an ELF file of this ABI identifies itself (checked with goblin before a payload ships).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ElfIdentity {
    /// `e_machine`.
    pub machine: u16,
    /// `EI_CLASS == ELFCLASS64`.
    pub class64: bool,
    /// `EI_DATA`.
    pub data: Endian,
    /// For ppc64 only: the ELF ABI version in `e_flags & 3` (1 = ELFv1 with function
    /// descriptors, 2 = ELFv2). `None` where e_flags carries no ABI version.
    pub ppc64_abi_version: Option<u32>,
}

/// One argument of the legacy `clone()` syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegacyCloneArg {
    Flags,
    Stack,
    ParentTid,
    ChildTid,
    Tls,
}

/// Which argument order `SYSCALL_DEFINE5(clone, ...)` was built with (arch Kconfig).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegacyCloneVariant {
    /// flags, newsp, parent_tid, child_tid, tls.
    Default,
    /// `CONFIG_CLONE_BACKWARDS`: flags, newsp, parent_tid, tls, child_tid.
    Backwards,
    /// `CONFIG_CLONE_BACKWARDS2`: newsp, flags, parent_tid, child_tid, tls.
    Backwards2,
}

impl LegacyCloneVariant {
    /// The raw argument registers 1..=5, in order.
    pub const fn order(self) -> [LegacyCloneArg; 5] {
        use LegacyCloneArg::*;
        match self {
            LegacyCloneVariant::Default => [Flags, Stack, ParentTid, ChildTid, Tls],
            LegacyCloneVariant::Backwards => [Flags, Stack, ParentTid, Tls, ChildTid],
            LegacyCloneVariant::Backwards2 => [Stack, Flags, ParentTid, ChildTid, Tls],
        }
    }

    /// The position (0-based) of `arg` among the five raw arguments.
    pub fn position(self, arg: LegacyCloneArg) -> usize {
        self.order()
            .iter()
            .position(|a| *a == arg)
            .expect("every legacy clone argument has a position")
    }
}

/// How a failed raw syscall reports its error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorConvention {
    /// The return register holds `-errno` in `[-4095, -1]`.
    NegatedErrnoInReturn,
    /// ppc64 `sc`: CR0.SO set means failure, and the return register holds a positive errno.
    SummaryOverflowPositiveErrno,
}

/// The raw syscall instruction and its registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SyscallConvention {
    pub instruction: &'static str,
    pub number_register: &'static str,
    pub argument_registers: [&'static str; 6],
    pub return_register: &'static str,
    pub error: ErrorConvention,
    /// Registers the kernel may change besides the return register.
    pub clobbered: &'static [&'static str],
}

/// What a child started on a fresh stack needs before it may call compiled code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct StackConvention {
    /// All five ABIs grow the stack down; the kernel sets SP = stack + stack_size.
    pub grows_down: bool,
    /// Alignment of SP the ABI requires at a call boundary.
    pub alignment: u64,
    /// Bytes the child entry stub reserves below SP before the first call.
    pub entry_frame: u64,
    /// Whether that frame starts with a back-chain word that must be zero (s390x, ppc64).
    pub zero_back_chain: bool,
    /// Bytes below SP that a leaf function may use without moving SP.
    pub red_zone: u64,
    /// Register holding the TOC pointer that compiled code expects (ppc64 only).
    pub toc_register: Option<&'static str>,
}

/// Debian's names for things of this architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DebianNames {
    /// `dpkg --print-architecture` on such a machine.
    pub dpkg_arch: &'static str,
    /// Kernel image package flavour (`linux-image-<ver>-<flavour>`); none for big-endian ppc64.
    pub kernel_flavour: Option<&'static str>,
    /// The cross C compiler (the native one on a matching host).
    pub cross_gcc: &'static str,
    /// Debian packages that provide that compiler and a static libc for it.
    pub cross_packages: &'static [&'static str],
    /// QEMU user-mode binary and its package.
    pub qemu_user: &'static str,
    /// QEMU system-mode binary and its package.
    pub qemu_system: &'static str,
    pub qemu_system_package: &'static str,
}

/// Everything cloneabi knows about one ABI.
#[derive(Clone, Copy, Debug)]
pub struct ArchAbi {
    /// Rust target triple.
    pub triple: &'static str,
    pub debian: DebianNames,
    pub endian: Endian,
    pub pointer_width: u32,
    pub elf: ElfIdentity,
    /// Syscall number for each [`Sysno`]; `None` where the arch has no such entry.
    pub syscall_number: fn(Sysno) -> Option<u32>,
    pub legacy_clone: LegacyCloneVariant,
    pub syscall: SyscallConvention,
    pub stack: StackConvention,
    /// The register `CLONE_SETTLS` loads.
    pub tls_register: &'static str,
    /// Page size of Debian's kernel for this arch. A default only: the page size the
    /// payload measures at run time is authoritative.
    pub default_page_size: u64,
    /// x86_64 only: `CLONE_SETTLS` values at or above this limit fail with EPERM
    /// (`do_arch_prctl_64(ARCH_SET_FS)`); other arches store the TLS value unchecked.
    pub settls_limit: Option<u64>,
}
