//! Little-endian ppc64 (ELFv2: no function descriptors; r12 holds the global entry address).

use crate::abi::*;
use crate::{KernelVersion, Release};

pub const ABI: ArchAbi = ArchAbi {
    name: "powerpc64le",
    aliases: &["ppc64le", "ppc64el"],
    triple: "powerpc64le-unknown-linux-gnu",
    rust_arch: "powerpc64",
    kernel: Kernel::Native(&KernelArch {
        uname_machine: "ppc64le",
        qemu: QemuSystem { lava_arch: "ppc64le", ..crate::powerpc64::QEMU_PSERIES },
        image: ImageFormat::Elf,
        sources: KernelSources {
            debian: Some(DebianKernels {
                dpkg_arch: "ppc64el",
                flavour: "powerpc64le",
                releases: &[Release::Bookworm, Release::BookwormBackports, Release::Trixie, Release::Sid],
                default: &[Release::Bookworm, Release::BookwormBackports, Release::Sid],
            }),
            build: SourceBuild {
                make_arch: "powerpc",
                cross_compile: "powerpc64le-linux-gnu-",
                cross_package: "gcc-powerpc64le-linux-gnu",
                target: "vmlinux",
                image: "vmlinux",
                defconfig: "pseries_le_defconfig",
                minimal_base: "tinyconfig",
                minimal_fragment: "minimal-powerpc64le.config",
            },
            default_build: None,
        },
    }),
    first_clone3: KernelVersion::new(5, 3, 0),
    debian: DebianNames {
        dpkg_arch: "ppc64el",
        cross_gcc: "powerpc64le-linux-gnu-gcc",
        cross_packages: &["gcc-powerpc64le-linux-gnu", "libc6-dev-ppc64el-cross"],
        qemu_user: Some("qemu-ppc64le"),
    },
    endian: Endian::Little,
    pointer_width: 64,
    elf: ElfIdentity {
        machine: 21,
        class64: true,
        data: Endian::Little,
        ppc64_abi_version: Some(2),
        e_flags: 0,
    },
    // Both ppc64 ABIs run on one kernel syscall table.
    syscall_number: crate::powerpc64::syscall_number,
    legacy_clone: LegacyCloneVariant::Backwards,
    syscall: crate::powerpc64::SYSCALL_SC,
    stack: StackConvention {
        grows_down: true,
        alignment: 16,
        // ELFv2 needs a 32-byte header only; 112 (what glibc's clone3 reserves) also covers
        // a callee's parameter save area.
        entry_frame: 112,
        zero_back_chain: true,
        red_zone: 512,
        toc_register: Some("r2"),
        sp_bits: 64,
    },
    tls_register: "r13",
    default_page_size: 65536,
    payload_header: "arch/powerpc64le.h",
    settls_limit: None,
    tls_argument: TlsArgument::Value,
};
