//! x86_64 (LP64, little endian).

use crate::abi::*;
use crate::{KernelVersion, Release};
use crate::Sysno::{self, *};

pub const ABI: ArchAbi = ArchAbi {
    name: "x86_64",
    aliases: &["amd64", "x86-64"],
    triple: "x86_64-unknown-linux-gnu",
    rust_arch: "x86_64",
    kernel: Kernel::Native(&KernelArch {
        uname_machine: "x86_64",
        qemu: QemuSystem {
            binary: "qemu-system-x86_64",
            package: "qemu-system-x86",
            // Debian kernels have CONFIG_PVH: QEMU enters the ELF vmlinux inside the bzImage
            // directly and skips SeaBIOS and the decompressor.
            tuned: MachineSpec { machine: "pc", cpu: None, memory_mb: 512, pvh: true },
            plain: MachineSpec { machine: "pc", cpu: None, memory_mb: 512, pvh: false },
            default_cpu: "qemu64",
            console: "ttyS0",
            lava_arch: "x86_64",
            typical_boot_ms: 2600,
            record_channel: crate::abi::VIRTIO_SERIAL_PCI,
        },
        image: ImageFormat::BzImage,
        sources: KernelSources {
            debian: Some(DebianKernels {
                dpkg_arch: "amd64",
                flavour: "amd64",
                releases: &Release::ALL,
                default: &[Release::Bookworm, Release::BookwormBackports, Release::TrixieBackports],
            }),
            // ARCH=x86_64, not x86: tinyconfig then starts 64-bit.
            build: SourceBuild {
                make_arch: "x86_64",
                cross_compile: "x86_64-linux-gnu-",
                cross_package: "gcc-x86-64-linux-gnu",
                target: "bzImage",
                image: "arch/x86/boot/bzImage",
                defconfig: "defconfig",
                minimal_base: "tinyconfig",
                minimal_fragment: "minimal-x86_64.config",
            },
            default_build: None,
        },
    }),
    first_clone3: KernelVersion::new(5, 3, 0),
    debian: DebianNames {
        dpkg_arch: "amd64",
        cross_gcc: "x86_64-linux-gnu-gcc",
        cross_packages: &["gcc-x86-64-linux-gnu", "libc6-dev-amd64-cross"],
        qemu_user: Some("qemu-x86_64"),
    },
    endian: Endian::Little,
    pointer_width: 64,
    elf: ElfIdentity {
        machine: 62,
        class64: true,
        data: Endian::Little,
        ppc64_abi_version: None,
        e_flags: 0,
    },
    syscall_number,
    legacy_clone: LegacyCloneVariant::Default,
    syscall: SyscallConvention {
        instruction: "syscall",
        number_register: "rax",
        argument_registers: ["rdi", "rsi", "rdx", "r10", "r8", "r9"],
        return_register: "rax",
        error: ErrorConvention::NegatedErrnoInReturn,
        clobbered: &["rcx", "r11"],
    },
    stack: StackConvention {
        grows_down: true,
        alignment: 16,
        // SP is aligned down to 16 and `call` pushes the return address.
        entry_frame: 0,
        zero_back_chain: false,
        red_zone: 128,
        toc_register: None,
        sp_bits: 64,
    },
    tls_register: "fs_base",
    default_page_size: 4096,
    // TASK_SIZE_MAX with 4-level paging; 5-level paging raises it to (1 << 56) - 4096.
    payload_header: "arch/x86_64.h",
    settls_limit: Some((1 << 47) - 4096),
    tls_argument: TlsArgument::Value,
};

/// The 64-bit table (arch/x86/entry/syscalls/syscall_64.tbl), which x32 also uses.
pub(crate) fn syscall_number(nr: Sysno) -> Option<u32> {
    Some(match nr {
        Clone => 56,
        Clone3 => 435,
        Fork => 57,
        Vfork => 58,
        Exit => 60,
        ExitGroup => 231,
        Wait4 => 61,
        Waitid => 247,
        Getpid => 39,
        Getppid => 110,
        Gettid => 186,
        Kill => 62,
        Tgkill => 234,
        Unshare => 272,
        Setns => 308,
        PidfdOpen => 434,
        PidfdSendSignal => 424,
        Capget => 125,
        Capset => 126,
        Prctl => 157,
        Mount => 165,
        Umount2 => 166,
        Reboot => 169,
        SetTidAddress => 218,
        Futex => 202,
        RtSigaction => 13,
        RtSigprocmask => 14,
        RtSigtimedwait => 128,
        Mmap => 9,
        Munmap => 11,
        Mprotect => 10,
        Pipe2 => 293,
        Read => 0,
        Write => 1,
        Close => 3,
        Openat => 257,
        Readlinkat => 267,
        Mkdirat => 258,
        Unlinkat => 263,
        ClockNanosleep => 230,
        SchedYield => 24,
        ArchPrctl => 158,
    })
}
