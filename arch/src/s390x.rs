//! s390x (z/Architecture, LP64, big endian).

use crate::abi::*;
use crate::Sysno::{self, *};

pub const ABI: ArchAbi = ArchAbi {
    triple: "s390x-unknown-linux-gnu",
    debian: DebianNames {
        dpkg_arch: "s390x",
        kernel_flavour: Some("s390x"),
        cross_gcc: "s390x-linux-gnu-gcc",
        cross_packages: &["gcc-s390x-linux-gnu", "libc6-dev-s390x-cross"],
        qemu_user: "qemu-s390x",
        qemu_system: "qemu-system-s390x",
        qemu_system_package: "qemu-system-misc",
    },
    endian: Endian::Big,
    pointer_width: 64,
    elf: ElfIdentity {
        machine: 22,
        class64: true,
        data: Endian::Big,
        ppc64_abi_version: None,
    },
    syscall_number,
    // arch/s390/Kconfig selects CLONE_BACKWARDS2.
    legacy_clone: LegacyCloneVariant::Backwards2,
    syscall: SyscallConvention {
        // `svc` immediates encode only numbers below 256: 435 goes in r1 with `svc 0`.
        instruction: "svc 0",
        number_register: "r1",
        argument_registers: ["r2", "r3", "r4", "r5", "r6", "r7"],
        return_register: "r2",
        error: ErrorConvention::NegatedErrnoInReturn,
        clobbered: &[],
    },
    stack: StackConvention {
        grows_down: true,
        alignment: 8,
        // The callee saves r6-r15 into a 160-byte area its caller owns at 0..159(r15).
        entry_frame: 160,
        zero_back_chain: true,
        red_zone: 0,
        toc_register: None,
    },
    tls_register: "a0:a1",
    default_page_size: 4096,
    settls_limit: None,
};

fn syscall_number(nr: Sysno) -> Option<u32> {
    Some(match nr {
        Clone => 120,
        Clone3 => 435,
        Fork => 2,
        Vfork => 190,
        Exit => 1,
        ExitGroup => 248,
        Wait4 => 114,
        Waitid => 281,
        Getpid => 20,
        Getppid => 64,
        Gettid => 236,
        Kill => 37,
        Tgkill => 241,
        Unshare => 303,
        Setns => 339,
        PidfdOpen => 434,
        PidfdSendSignal => 424,
        Capget => 184,
        Capset => 185,
        Prctl => 172,
        Mount => 21,
        Umount2 => 52,
        Reboot => 88,
        SetTidAddress => 252,
        Futex => 238,
        RtSigaction => 174,
        RtSigprocmask => 175,
        RtSigtimedwait => 177,
        Mmap => 90,
        Munmap => 91,
        Mprotect => 125,
        Pipe2 => 325,
        Read => 3,
        Write => 4,
        Close => 6,
        Openat => 288,
        Readlinkat => 298,
        Mkdirat => 289,
        Unlinkat => 294,
        ClockNanosleep => 262,
        SchedYield => 158,
        ArchPrctl => return None,
    })
}
