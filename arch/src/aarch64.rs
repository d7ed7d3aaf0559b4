//! aarch64 (LP64, little endian; the asm-generic syscall table).

use crate::abi::*;
use crate::{KernelVersion, Release};
use crate::Sysno::{self, *};

pub const ABI: ArchAbi = ArchAbi {
    name: "aarch64",
    aliases: &["arm64"],
    triple: "aarch64-unknown-linux-gnu",
    rust_arch: "aarch64",
    kernel: Kernel::Native(&KernelArch {
        uname_machine: "aarch64",
        qemu: QemuSystem {
            binary: "qemu-system-aarch64",
            package: "qemu-system-arm",
            // Pointer authentication costs under TCG even with the cheaper implementation-
            // defined algorithm (pauth-impdef=on); without it the same kernel reached /init
            // in 1.5-1.6 s instead of 1.9-2.4 s here and ran the suite's cases in 0.95 s
            // instead of 1.3 s. The kernel's own PAC instructions are hint-space NOPs then,
            // and nothing in the clone3 ABI depends on them. `max` also runs AArch32 at EL0.
            tuned: MachineSpec { machine: "virt", cpu: Some("max,pauth=off"), memory_mb: 512, pvh: false },
            plain: MachineSpec { machine: "virt", cpu: Some("max"), memory_mb: 512, pvh: false },
            default_cpu: "cortex-a15",
            console: "ttyAMA0",
            lava_arch: "arm64",
            typical_boot_ms: 1800,
            record_channel: crate::abi::VIRTIO_SERIAL_PCI,
        },
        image: ImageFormat::Arm64Image,
        sources: KernelSources {
            debian: Some(DebianKernels {
                dpkg_arch: "arm64",
                flavour: "arm64",
                releases: &Release::ALL,
                default: &[Release::Bookworm, Release::BookwormBackports, Release::TrixieBackports],
            }),
            build: SourceBuild {
                make_arch: "arm64",
                cross_compile: "aarch64-linux-gnu-",
                cross_package: "gcc-aarch64-linux-gnu",
                target: "Image",
                image: "arch/arm64/boot/Image",
                defconfig: "defconfig",
                minimal_base: "tinyconfig",
                minimal_fragment: "minimal-arm64.config",
            },
            default_build: None,
        },
    }),
    // History: "arch: wire-up clone3() syscall" (5.3) defined __ARCH_WANT_SYS_CLONE3 in
    // arm64's kernel-only asm/unistd.h; "arm64: Move __ARCH_WANT_SYS_CLONE3 definition to
    // uapi headers" (5.5, stable 5.4.12 per Debian's changelog) only exported __NR_clone3 to
    // user space, which is why libcs date arm64's clone3 from 5.5.
    first_clone3: KernelVersion::new(5, 3, 0),
    debian: DebianNames {
        dpkg_arch: "arm64",
        cross_gcc: "aarch64-linux-gnu-gcc",
        cross_packages: &["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"],
        qemu_user: Some("qemu-aarch64"),
    },
    endian: Endian::Little,
    pointer_width: 64,
    elf: ElfIdentity {
        machine: 183,
        class64: true,
        data: Endian::Little,
        ppc64_abi_version: None,
        e_flags: 0,
    },
    syscall_number,
    // arm64 passes tls before child_tid, as CLONE_BACKWARDS does: glibc's and musl's
    // aarch64 clone wrappers load x3 = tls, x4 = ctid, and under qemu-aarch64 the default
    // order puts the child_tid slot's address in TPIDR_EL0 (the payload test shows it).
    legacy_clone: LegacyCloneVariant::Backwards,
    syscall: SyscallConvention {
        instruction: "svc #0",
        number_register: "x8",
        argument_registers: ["x0", "x1", "x2", "x3", "x4", "x5"],
        return_register: "x0",
        error: ErrorConvention::NegatedErrnoInReturn,
        clobbered: &[],
    },
    stack: StackConvention {
        grows_down: true,
        // SCTLR_EL1.SA0: any SP-relative access with a misaligned SP faults.
        alignment: 16,
        entry_frame: 0,
        zero_back_chain: false,
        red_zone: 0,
        toc_register: None,
        sp_bits: 64,
    },
    tls_register: "tpidr_el0",
    default_page_size: 4096,
    payload_header: "arch/aarch64.h",
    settls_limit: None,
    tls_argument: TlsArgument::Value,
};

/// The asm-generic table (include/uapi/asm-generic/unistd.h), which riscv64 uses too.
pub(crate) fn syscall_number(nr: Sysno) -> Option<u32> {
    Some(match nr {
        Clone => 220,
        Clone3 => 435,
        // asm-generic has no fork/vfork: clone with SIGCHLD (| CLONE_VM | CLONE_VFORK) instead.
        Fork | Vfork => return None,
        Exit => 93,
        ExitGroup => 94,
        Wait4 => 260,
        Waitid => 95,
        Getpid => 172,
        Getppid => 173,
        Gettid => 178,
        Kill => 129,
        Tgkill => 131,
        Unshare => 97,
        Setns => 268,
        PidfdOpen => 434,
        PidfdSendSignal => 424,
        Capget => 90,
        Capset => 91,
        Prctl => 167,
        Mount => 40,
        Umount2 => 39,
        Reboot => 142,
        SetTidAddress => 96,
        Futex => 98,
        RtSigaction => 134,
        RtSigprocmask => 135,
        RtSigtimedwait => 137,
        Mmap => 222,
        Munmap => 215,
        Mprotect => 226,
        Pipe2 => 59,
        Read => 63,
        Write => 64,
        Close => 57,
        Openat => 56,
        Readlinkat => 78,
        Mkdirat => 34,
        Unlinkat => 35,
        ClockNanosleep => 115,
        SchedYield => 124,
        ArchPrctl => return None,
    })
}
