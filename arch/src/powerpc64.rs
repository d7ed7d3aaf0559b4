//! Big-endian ppc64 (ELFv1: function descriptors and `.opd`, as Debian's ppc64 port builds it).

use crate::abi::*;
use crate::KernelVersion;
use crate::Sysno::{self, *};

pub const ABI: ArchAbi = ArchAbi {
    name: "powerpc64",
    aliases: &["ppc64", "ppc64be", "powerpc64be"],
    triple: "powerpc64-unknown-linux-gnu",
    rust_arch: "powerpc64",
    kernel: Kernel::Native(&KernelArch {
        uname_machine: "ppc64",
        qemu: QEMU_PSERIES,
        image: ImageFormat::Elf,
        // No Debian kernel package is reachable for big-endian ppc64: the main job boots
        // one cloneabi builds from pseries_defconfig and ppc64-be.config.
        sources: KernelSources {
            debian: None,
            build: SourceBuild {
                make_arch: "powerpc",
                cross_compile: "powerpc64-linux-gnu-",
                cross_package: "gcc-powerpc64-linux-gnu",
                target: "vmlinux",
                image: "vmlinux",
                defconfig: "pseries_defconfig",
                minimal_base: "tinyconfig",
                minimal_fragment: "minimal-powerpc64.config",
            },
            default_build: Some(DefaultBuild { series: "6.1", fragment: "ppc64-be.config" }),
        },
    }),
    first_clone3: KernelVersion::new(5, 3, 0),
    debian: DebianNames {
        dpkg_arch: "ppc64",
        cross_gcc: "powerpc64-linux-gnu-gcc",
        cross_packages: &["gcc-powerpc64-linux-gnu", "libc6-dev-ppc64-cross"],
        qemu_user: Some("qemu-ppc64"),
    },
    endian: Endian::Big,
    pointer_width: 64,
    elf: ElfIdentity {
        machine: 21,
        class64: true,
        data: Endian::Big,
        ppc64_abi_version: Some(1),
        e_flags: 0,
    },
    syscall_number,
    // arch/powerpc/Kconfig selects CLONE_BACKWARDS.
    legacy_clone: LegacyCloneVariant::Backwards,
    syscall: SYSCALL_SC,
    stack: StackConvention {
        grows_down: true,
        alignment: 16,
        // ELFv1 minimum frame: back chain, CR, LR, two reserved words, TOC save, and the
        // 64-byte parameter save area.
        entry_frame: 112,
        zero_back_chain: true,
        red_zone: 288,
        toc_register: Some("r2"),
        sp_bits: 64,
    },
    tls_register: "r13",
    default_page_size: 65536,
    payload_header: "arch/powerpc64.h",
    settls_limit: None,
    tls_argument: TlsArgument::Value,
};

/// The `sc` convention both ppc64 ABIs share (`scv 0` exists from POWER9 and 5.9, but `sc`
/// works everywhere).
/// Both ppc64 kernels boot on pseries. x-vof: QEMU's Virtual Open Firmware instead of
/// SLOF, about 7 s less per boot here.
pub(crate) const QEMU_PSERIES: QemuSystem = QemuSystem {
    binary: "qemu-system-ppc64",
    package: "qemu-system-ppc",
    tuned: MachineSpec { machine: "pseries,x-vof=on", cpu: None, memory_mb: 1024, pvh: false },
    plain: MachineSpec { machine: "pseries", cpu: None, memory_mb: 1024, pvh: false },
    default_cpu: "power9_v2.0",
    console: "hvc0",
    lava_arch: "ppc64",
    typical_boot_ms: 2000,
    record_channel: crate::abi::VIRTIO_SERIAL_PCI,
};

pub(crate) const SYSCALL_SC: SyscallConvention = SyscallConvention {
    instruction: "sc",
    number_register: "r0",
    argument_registers: ["r3", "r4", "r5", "r6", "r7", "r8"],
    return_register: "r3",
    error: ErrorConvention::SummaryOverflowPositiveErrno,
    clobbered: &[
        "r0", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "cr0", "ctr", "xer",
    ],
};

/// The 64-bit powerpc syscall table, shared by both endiannesses.
pub(crate) fn syscall_number(nr: Sysno) -> Option<u32> {
    Some(match nr {
        Clone => 120,
        Clone3 => 435,
        Fork => 2,
        Vfork => 189,
        Exit => 1,
        ExitGroup => 234,
        Wait4 => 114,
        Waitid => 272,
        Getpid => 20,
        Getppid => 64,
        Gettid => 207,
        Kill => 37,
        Tgkill => 250,
        Unshare => 282,
        Setns => 350,
        PidfdOpen => 434,
        PidfdSendSignal => 424,
        Capget => 183,
        Capset => 184,
        Prctl => 171,
        Mount => 21,
        Umount2 => 52,
        Reboot => 88,
        SetTidAddress => 232,
        Futex => 221,
        RtSigaction => 173,
        RtSigprocmask => 174,
        RtSigtimedwait => 176,
        Mmap => 90,
        Munmap => 91,
        Mprotect => 125,
        Pipe2 => 317,
        Read => 3,
        Write => 4,
        Close => 6,
        Openat => 286,
        Readlinkat => 296,
        Mkdirat => 287,
        Unlinkat => 292,
        ClockNanosleep => 248,
        SchedYield => 158,
        ArchPrctl => return None,
    })
}
