//! riscv64 (LP64D, little endian; the asm-generic syscall table).

use crate::abi::*;
use crate::{KernelVersion, Release};

pub const ABI: ArchAbi = ArchAbi {
    name: "riscv64",
    aliases: &["riscv", "riscv64gc"],
    triple: "riscv64gc-unknown-linux-gnu",
    rust_arch: "riscv64",
    kernel: Kernel::Native(&KernelArch {
        uname_machine: "riscv64",
        qemu: QemuSystem {
            binary: "qemu-system-riscv64",
            package: "qemu-system-misc",
            // `virt` loads QEMU's bundled OpenSBI (-bios default), which hands over to the
            // kernel in S-mode; its 16550 UART is ttyS0.
            tuned: MachineSpec { machine: "virt", cpu: None, memory_mb: 512, pvh: false },
            plain: MachineSpec { machine: "virt", cpu: None, memory_mb: 512, pvh: false },
            default_cpu: "rv64",
            console: "ttyS0",
            lava_arch: "riscv64",
            typical_boot_ms: 2000,
            record_channel: crate::abi::VIRTIO_SERIAL_PCI,
        },
        image: ImageFormat::RiscvImage,
        // riscv64 became a Debian release architecture with trixie: bookworm has no kernel.
        sources: KernelSources {
            debian: Some(DebianKernels {
                dpkg_arch: "riscv64",
                flavour: "riscv64",
                releases: &[Release::Trixie, Release::Sid],
                default: &[Release::Trixie, Release::Sid],
            }),
            build: SourceBuild {
                make_arch: "riscv",
                cross_compile: "riscv64-linux-gnu-",
                cross_package: "gcc-riscv64-linux-gnu",
                target: "Image",
                image: "arch/riscv/boot/Image",
                defconfig: "defconfig",
                minimal_base: "tinyconfig",
                minimal_fragment: "minimal-riscv64.config",
            },
            default_build: None,
        },
    }),
    // clone3 came with the asm-generic table's 5.3 wiring (rv32 only got it in 5.13); from
    // the history, not checked against a 5.x tree.
    first_clone3: KernelVersion::new(5, 3, 0),
    debian: DebianNames {
        dpkg_arch: "riscv64",
        cross_gcc: "riscv64-linux-gnu-gcc",
        cross_packages: &["gcc-riscv64-linux-gnu", "libc6-dev-riscv64-cross"],
        qemu_user: Some("qemu-riscv64"),
    },
    endian: Endian::Little,
    pointer_width: 64,
    elf: ElfIdentity {
        machine: 243,
        class64: true,
        data: Endian::Little,
        ppc64_abi_version: None,
        // EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE: the lp64d ABI of riscv64gc.
        e_flags: 0x5,
    },
    syscall_number: crate::aarch64::syscall_number,
    // arch/riscv/Kconfig selects CLONE_BACKWARDS.
    legacy_clone: LegacyCloneVariant::Backwards,
    syscall: SyscallConvention {
        instruction: "ecall",
        number_register: "a7",
        argument_registers: ["a0", "a1", "a2", "a3", "a4", "a5"],
        return_register: "a0",
        error: ErrorConvention::NegatedErrnoInReturn,
        clobbered: &[],
    },
    stack: StackConvention {
        grows_down: true,
        // The psABI keeps sp 16-byte aligned.
        alignment: 16,
        entry_frame: 0,
        zero_back_chain: false,
        red_zone: 0,
        toc_register: None,
        sp_bits: 64,
    },
    tls_register: "tp",
    default_page_size: 4096,
    payload_header: "arch/riscv64.h",
    settls_limit: None,
    tls_argument: TlsArgument::Value,
};
