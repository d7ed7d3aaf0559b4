//! s390x (z/Architecture, LP64, big endian).

use crate::abi::*;
use crate::{KernelVersion, Release};
use crate::Sysno::{self, *};

pub const ABI: ArchAbi = ArchAbi {
    name: "s390x",
    aliases: &["s390"],
    triple: "s390x-unknown-linux-gnu",
    rust_arch: "s390x",
    kernel: Kernel::Native(&KernelArch {
        uname_machine: "s390x",
        qemu: QemuSystem {
            binary: "qemu-system-s390x",
            package: "qemu-system-misc",
            // `-cpu` made no measurable difference; the time goes to the image's decompressor.
            tuned: MachineSpec { machine: "s390-ccw-virtio", cpu: None, memory_mb: 512, pvh: false },
            plain: MachineSpec { machine: "s390-ccw-virtio", cpu: None, memory_mb: 512, pvh: false },
            default_cpu: "qemu",
            console: "ttysclp0",
            lava_arch: "s390x",
            typical_boot_ms: 2700,
        },
        image: ImageFormat::S390Image,
        sources: KernelSources {
            debian: Some(DebianKernels {
                dpkg_arch: "s390x",
                flavour: "s390x",
                releases: &[Release::Bookworm, Release::BookwormBackports, Release::Trixie, Release::Sid],
                default: &[Release::Bookworm, Release::BookwormBackports, Release::Sid],
            }),
            build: None,
        },
    }),
    first_clone3: KernelVersion::new(5, 3, 0),
    debian: DebianNames {
        dpkg_arch: "s390x",
        cross_gcc: "s390x-linux-gnu-gcc",
        cross_packages: &["gcc-s390x-linux-gnu", "libc6-dev-s390x-cross"],
        qemu_user: Some("qemu-s390x"),
    },
    endian: Endian::Big,
    pointer_width: 64,
    elf: ElfIdentity {
        machine: 22,
        class64: true,
        data: Endian::Big,
        ppc64_abi_version: None,
        e_flags: 0,
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
        sp_bits: 64,
    },
    tls_register: "a0:a1",
    default_page_size: 4096,
    payload_header: "arch/s390x.h",
    settls_limit: None,
    tls_argument: TlsArgument::Value,
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
