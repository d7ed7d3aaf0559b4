//! i386 (ILP32, little endian) on the x86_64 kernel's ia32 compat entry (`int $0x80`).

use crate::abi::*;
use crate::Sysno::{self, *};
use crate::{Arch, KernelVersion};

pub const ABI: ArchAbi = ArchAbi {
    name: "i386",
    aliases: &["i686", "ia32", "x86"],
    triple: "i686-unknown-linux-gnu",
    rust_arch: "x86",
    // CONFIG_IA32_EMULATION, on by default in Debian's amd64 kernels.
    kernel: Kernel::Compat { on: Arch::X86_64, boot_args: "" },
    // clone3 is 435 in syscall_32.tbl from 5.3 on, like the 64-bit table.
    first_clone3: KernelVersion::new(5, 3, 0),
    debian: DebianNames {
        dpkg_arch: "i386",
        cross_gcc: "i686-linux-gnu-gcc",
        cross_packages: &["gcc-i686-linux-gnu", "libc6-dev-i386-cross"],
        qemu_user: Some("qemu-i386"),
    },
    endian: Endian::Little,
    pointer_width: 32,
    elf: ElfIdentity {
        machine: 3,
        class64: false,
        data: Endian::Little,
        ppc64_abi_version: None,
        e_flags: 0,
    },
    syscall_number,
    // compat_sys_ia32_clone(flags, newsp, parent_tid, tls, child_tid)
    // (arch/x86/kernel/sys_ia32.c), the order of a 32-bit kernel's CLONE_BACKWARDS.
    legacy_clone: LegacyCloneVariant::Backwards,
    syscall: SyscallConvention {
        instruction: "int $0x80",
        number_register: "eax",
        argument_registers: ["ebx", "ecx", "edx", "esi", "edi", "ebp"],
        return_register: "eax",
        error: ErrorConvention::NegatedErrnoInReturn,
        clobbered: &[],
    },
    stack: StackConvention {
        grows_down: true,
        // The i386 psABI (and gcc's default -mpreferred-stack-boundary=4) keeps esp 16-byte
        // aligned at a call.
        alignment: 16,
        // 8 bytes of padding and the two 4-byte arguments child_entry takes on the stack.
        entry_frame: 16,
        zero_back_chain: false,
        red_zone: 0,
        toc_register: None,
        sp_bits: 32,
    },
    tls_register: "gs",
    default_page_size: 4096,
    payload_header: "arch/i386.h",
    settls_limit: None,
    // set_new_tls(): in an ia32 syscall, tls is a struct user_desc * for the child's GDT
    // TLS slots (arch/x86/kernel/process.c).
    tls_argument: TlsArgument::UserDesc,
};

/// arch/x86/entry/syscalls/syscall_32.tbl. futex, rt_sigtimedwait and clock_nanosleep
/// are the 32-bit time_t entries (the payload's glibc uses 32-bit time); mmap is the old
/// one that takes a struct (the payload maps memory through libc).
fn syscall_number(nr: Sysno) -> Option<u32> {
    Some(match nr {
        Clone => 120,
        Clone3 => 435,
        Fork => 2,
        Vfork => 190,
        Exit => 1,
        ExitGroup => 252,
        Wait4 => 114,
        Waitid => 284,
        Getpid => 20,
        Getppid => 64,
        Gettid => 224,
        Kill => 37,
        Tgkill => 270,
        Unshare => 310,
        Setns => 346,
        PidfdOpen => 434,
        PidfdSendSignal => 424,
        Capget => 184,
        Capset => 185,
        Prctl => 172,
        Mount => 21,
        Umount2 => 52,
        Reboot => 88,
        SetTidAddress => 258,
        Futex => 240,
        RtSigaction => 174,
        RtSigprocmask => 175,
        RtSigtimedwait => 177,
        Mmap => 90,
        Munmap => 91,
        Mprotect => 125,
        Pipe2 => 331,
        Read => 3,
        Write => 4,
        Close => 6,
        Openat => 295,
        Readlinkat => 305,
        Mkdirat => 296,
        Unlinkat => 301,
        ClockNanosleep => 267,
        SchedYield => 158,
        ArchPrctl => 384,
    })
}
