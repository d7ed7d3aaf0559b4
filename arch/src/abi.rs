//! The shape every architecture module fills in.

use crate::debian::Release;
use crate::{Arch, KernelVersion, Sysno};
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
    /// The whole `e_flags` of this ABI's objects where it carries no ppc64 ABI version
    /// (RISC-V's float ABI and compressed-instruction bits, ARM's EABI version).
    pub e_flags: u32,
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

/// What the kernel does with the `tls` value of `CLONE_SETTLS` (the arch's `copy_thread`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsArgument {
    /// The value goes into the TLS register as is (cut to the register's width).
    Value,
    /// i386 on x86_64 (`set_new_tls` in an ia32 syscall): a `struct user_desc *` that
    /// `do_set_thread_area(p, -1, utls, 0)` reads; its `entry_number` must name a GDT TLS
    /// slot, and the child's segment selector keeps pointing at that slot.
    UserDesc,
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
    /// The low bits of the kernel's SP value the CPU forms stack addresses from: 32 where the
    /// ABI runs the CPU in a 32-bit mode (i386 in compatibility mode, AArch32, ppc32 with
    /// MSR[SF] clear), else 64 (x32 runs in long mode).
    pub sp_bits: u32,
}

/// Debian's names for the userspace side of this ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DebianNames {
    /// `dpkg --print-architecture` of a userspace of this ABI (`i386`, `x32`, `armhf`...).
    pub dpkg_arch: &'static str,
    /// The cross C compiler (the native one on a matching host).
    pub cross_gcc: &'static str,
    /// Debian packages that provide that compiler and a static libc for it.
    pub cross_packages: &'static [&'static str],
    /// QEMU user-mode binary (package qemu-user); `None` where QEMU has none for this ABI.
    pub qemu_user: Option<&'static str>,
}

/// One QEMU machine configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MachineSpec {
    /// `-M` value.
    pub machine: &'static str,
    /// `-cpu` value, `None` = QEMU's default for the machine.
    pub cpu: Option<&'static str>,
    pub memory_mb: u32,
    /// x86_64: boot the ELF vmlinux inside the bzImage through its PVH entry note.
    pub pvh: bool,
}

/// How QEMU system mode boots a kernel of this arch. The runner and the LAVA export both
/// read it, so a job handed to LAVA describes the machine cloneabi measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct QemuSystem {
    pub binary: &'static str,
    /// The Debian package that has [`QemuSystem::binary`].
    pub package: &'static str,
    /// The fastest measured flags that still boot the unmodified kernel (the default).
    pub tuned: MachineSpec,
    /// QEMU's ordinary flags, the baseline the boot benchmark compares with.
    pub plain: MachineSpec,
    /// What the default CPU of the machine is, for reports.
    pub default_cpu: &'static str,
    /// The console device the kernel writes to (`console=`).
    pub console: &'static str,
    /// LAVA's name for the arch in a qemu device's `context.arch`.
    pub lava_arch: &'static str,
    /// A typical empty boot of a Debian kernel with the tuned flags under TCG on a 2-core
    /// machine, in milliseconds: the scale for boot deadlines.
    pub typical_boot_ms: u32,
    /// The port the payload writes its records to, apart from the console.
    pub record_channel: RecordChannel,
}

/// A virtio-serial port for the payload's records, so that printk cannot interleave with
/// them and each record is written once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RecordChannel {
    /// The QEMU device holding the port (`virtio-serial-pci`, `virtio-serial-ccw`).
    pub device: &'static str,
    /// The kernel modules the port needs where a kernel builds them as modules (Debian's
    /// 6.1 packages), in load order: the transport, then the console driver. Each one's
    /// own dependencies are read from its `.modinfo`.
    pub modules: &'static [&'static str],
}

/// The record channel of a machine whose virtio devices sit on PCI.
pub const VIRTIO_SERIAL_PCI: RecordChannel = RecordChannel {
    device: "virtio-serial-pci",
    modules: &["virtio_pci", "virtio_console"],
};

/// The container format of a kernel image, each with the marker that identifies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageFormat {
    /// x86 bzImage: boot flag 0xAA55 at 0x1FE and "HdrS" at 0x202
    /// (Documentation/arch/x86/boot.rst).
    BzImage,
    /// arm64 `Image`: "ARM\x64" at 0x38 (Documentation/arch/arm64/booting.rst); Debian's is
    /// the EFI-stub Image ("MZ" at 0), optionally gzip-wrapped.
    Arm64Image,
    /// RISC-V `Image`: "RSC\x05" at 0x38 (Documentation/arch/riscv/boot-image-header.rst).
    RiscvImage,
    /// s390x image: the "S390EP" entry-point table at 0x10008 (arch/s390/boot/head.S).
    S390Image,
    /// An ELF vmlinux, identified by the ABI's ELF identity.
    Elf,
}

impl ImageFormat {
    /// `(offset, bytes)` of the marker of a raw image; `None` for ELF.
    pub const fn magic(self) -> Option<(usize, &'static [u8])> {
        match self {
            ImageFormat::BzImage => Some((0x202, b"HdrS")),
            ImageFormat::Arm64Image => Some((0x38, b"ARM\x64")),
            ImageFormat::RiscvImage => Some((0x38, b"RSC\x05")),
            ImageFormat::S390Image => Some((0x10008, b"S390EP")),
            ImageFormat::Elf => None,
        }
    }

    /// How users and docs name the format.
    pub const fn describe(self) -> &'static str {
        match self {
            ImageFormat::BzImage => "x86 bzImage (\"HdrS\" at 0x202)",
            ImageFormat::Arm64Image => "arm64 Image (\"ARM\\x64\" at 0x38, optionally gzip'd)",
            ImageFormat::RiscvImage => "RISC-V Image (\"RSC\\x05\" at 0x38, optionally gzip'd)",
            ImageFormat::S390Image => "s390x image (\"S390EP\" at 0x10008)",
            ImageFormat::Elf => "ELF vmlinux",
        }
    }
}

/// How `cloneabi kernels build` builds this arch's kernel from a source tree (a Debian
/// `linux-source-<series>` package or a developer's tree), out of tree with `make O=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SourceBuild {
    /// `make ARCH=`.
    pub make_arch: &'static str,
    /// `make CROSS_COMPILE=` on a host of another arch; its `gcc` must be on PATH.
    pub cross_compile: &'static str,
    /// The Debian package of that compiler.
    pub cross_package: &'static str,
    /// The make target that builds the image QEMU boots.
    pub target: &'static str,
    /// Where that target leaves the image, relative to the build directory.
    pub image: &'static str,
    /// The config `--config FILE` is merged on.
    pub defconfig: &'static str,
    /// The config `--config minimal` starts from, before `fixtures/kernels/minimal.config`.
    pub minimal_base: &'static str,
    /// What the arch needs on top of `minimal.config` (its QEMU machine's console and
    /// power-off, 64-bit mode, its compat ABIs), a file under `fixtures/kernels/`.
    pub minimal_fragment: &'static str,
}

/// A kernel the main job builds because Debian ships none for the arch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DefaultBuild {
    /// The Debian source series (`linux-source-<series>`).
    pub series: &'static str,
    /// The config fragment, a file under `fixtures/kernels/`, merged on
    /// [`SourceBuild::defconfig`].
    pub fragment: &'static str,
}

/// Where kernels of an arch come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KernelSources {
    /// Debian's kernel packages, `linux-image-<flavour>` in these releases.
    pub debian: Option<DebianKernels>,
    /// How to build one from source (`cloneabi kernels build`).
    pub build: SourceBuild,
    /// Where Debian has no kernel: the build the main job boots.
    pub default_build: Option<DefaultBuild>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DebianKernels {
    /// `dpkg --print-architecture` of the kernel package.
    pub dpkg_arch: &'static str,
    /// The image flavour (`linux-image-<flavour>`).
    pub flavour: &'static str,
    /// Every release that carries one.
    pub releases: &'static [Release],
    /// The releases the main job boots.
    pub default: &'static [Release],
}

/// A kernel architecture: what booting and identifying its kernels takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KernelArch {
    /// `uname -m` of such a kernel.
    pub uname_machine: &'static str,
    pub qemu: QemuSystem,
    pub image: ImageFormat,
    pub sources: KernelSources,
}

/// Which kernel an ABI's programs run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// The kernel's own ABI.
    Native(&'static KernelArch),
    /// A compat ABI: it runs on the 64-bit kernel of `on`, in the same boot as that ABI.
    Compat {
        on: Arch,
        /// Kernel command-line words the ABI needs (x32: `syscall.x32=y`).
        boot_args: &'static str,
    },
}

/// Everything cloneabi knows about one ABI. Each ABI module fills one in; everything that
/// differs between ABIs is data here.
#[derive(Clone, Copy, Debug)]
pub struct ArchAbi {
    /// cloneabi's name: the first component of the target triple for a native ABI, the
    /// usual name of a compat one (`i386`, `x32`).
    pub name: &'static str,
    /// Other names accepted for it: Debian's, the kernel's, common spellings.
    pub aliases: &'static [&'static str],
    /// Rust target triple.
    pub triple: &'static str,
    /// Rust's `target_arch` for it (`std::env::consts::ARCH`).
    pub rust_arch: &'static str,
    pub kernel: Kernel,
    /// The first mainline kernel whose syscall table has clone3 for this ABI.
    pub first_clone3: KernelVersion,
    pub debian: DebianNames,
    pub endian: Endian,
    pub pointer_width: u32,
    pub elf: ElfIdentity,
    /// Syscall number for each [`Sysno`]; `None` where the ABI has no such entry.
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
    /// What `CLONE_SETTLS` does with `tls`.
    pub tls_argument: TlsArgument,
    /// The payload's assembly header, under `fixtures/probe/`.
    pub payload_header: &'static str,
}
