//! AArch32 (armhf: ARM EABI, hard float, little endian) on the arm64 kernel's compat entry.

use crate::abi::*;
use crate::Sysno::{self, *};
use crate::{Arch, KernelVersion};

pub const ABI: ArchAbi = ArchAbi {
    name: "arm",
    aliases: &["armhf", "armv7", "aarch32", "arm32"],
    triple: "armv7-unknown-linux-gnueabihf",
    rust_arch: "arm",
    // CONFIG_COMPAT in Debian's arm64 kernels; the QEMU CPU (`max`) runs AArch32 at EL0.
    kernel: Kernel::Compat { on: Arch::Aarch64, boot_args: "" },
    // The compat table (arch/arm64/include/asm/unistd32.h) gained clone3 with arm64's own
    // in 5.5.
    first_clone3: KernelVersion::new(5, 5, 0),
    debian: DebianNames {
        dpkg_arch: "armhf",
        cross_gcc: "arm-linux-gnueabihf-gcc",
        cross_packages: &["gcc-arm-linux-gnueabihf", "libc6-dev-armhf-cross"],
        qemu_user: Some("qemu-arm"),
    },
    endian: Endian::Little,
    pointer_width: 32,
    elf: ElfIdentity {
        machine: 40,
        class64: false,
        data: Endian::Little,
        ppc64_abi_version: None,
        // EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_HARD.
        e_flags: 0x0500_0400,
    },
    syscall_number,
    // arm64's Kconfig selects CLONE_BACKWARDS, and its compat table calls the same
    // sys_clone: the order of a 32-bit arm kernel (whose Kconfig selects it too).
    legacy_clone: LegacyCloneVariant::Backwards,
    syscall: SyscallConvention {
        instruction: "svc #0",
        number_register: "r7",
        argument_registers: ["r0", "r1", "r2", "r3", "r4", "r5"],
        return_register: "r0",
        error: ErrorConvention::NegatedErrnoInReturn,
        clobbered: &[],
    },
    stack: StackConvention {
        grows_down: true,
        // AAPCS: sp is 8-byte aligned at every public interface.
        alignment: 8,
        entry_frame: 0,
        zero_back_chain: false,
        red_zone: 0,
        toc_register: None,
        sp_bits: 32,
    },
    // arm64 keeps a compat task's TLS in tpidrro_el0, which AArch32 reads as TPIDRURO.
    tls_register: "tpidruro",
    default_page_size: 4096,
    payload_header: "arch/arm.h",
    settls_limit: None,
    tls_argument: TlsArgument::Value,
};

/// arch/arm/tools/syscall.tbl (EABI: no old mmap, which is OABI only). futex,
/// rt_sigtimedwait and clock_nanosleep are the 32-bit time_t entries (the payload's glibc
/// uses 32-bit time). arm has no arch_prctl.
fn syscall_number(nr: Sysno) -> Option<u32> {
    Some(match nr {
        Clone => 120,
        Clone3 => 435,
        Fork => 2,
        Vfork => 190,
        Exit => 1,
        ExitGroup => 248,
        Wait4 => 114,
        Waitid => 280,
        Getpid => 20,
        Getppid => 64,
        Gettid => 224,
        Kill => 37,
        Tgkill => 268,
        Unshare => 337,
        Setns => 375,
        PidfdOpen => 434,
        PidfdSendSignal => 424,
        Capget => 184,
        Capset => 185,
        Prctl => 172,
        Mount => 21,
        Umount2 => 52,
        Reboot => 88,
        SetTidAddress => 256,
        Futex => 240,
        RtSigaction => 174,
        RtSigprocmask => 175,
        RtSigtimedwait => 177,
        Mmap | ArchPrctl => return None,
        Munmap => 91,
        Mprotect => 125,
        Pipe2 => 359,
        Read => 3,
        Write => 4,
        Close => 6,
        Openat => 322,
        Readlinkat => 332,
        Mkdirat => 323,
        Unlinkat => 328,
        ClockNanosleep => 265,
        SchedYield => 158,
    })
}
