//! Big-endian ppc64 (ELFv1: function descriptors and `.opd`, as Debian's ppc64 port builds it).

use crate::abi::*;
use crate::Sysno::{self, *};

pub const ABI: ArchAbi = ArchAbi {
    triple: "powerpc64-unknown-linux-gnu",
    debian: DebianNames {
        dpkg_arch: "ppc64",
        // No Debian kernel package is reachable for big-endian ppc64: cloneabi builds one.
        kernel_flavour: None,
        cross_gcc: "powerpc64-linux-gnu-gcc",
        cross_packages: &["gcc-powerpc64-linux-gnu", "libc6-dev-ppc64-cross"],
        qemu_user: "qemu-ppc64",
        qemu_system: "qemu-system-ppc64",
        qemu_system_package: "qemu-system-ppc",
    },
    endian: Endian::Big,
    pointer_width: 64,
    elf: ElfIdentity {
        machine: 21,
        class64: true,
        data: Endian::Big,
        ppc64_abi_version: Some(1),
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
    },
    tls_register: "r13",
    default_page_size: 65536,
    settls_limit: None,
};

/// The `sc` convention both ppc64 ABIs share (`scv 0` exists from POWER9 and 5.9, but `sc`
/// works everywhere).
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
