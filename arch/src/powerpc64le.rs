//! Little-endian ppc64 (ELFv2: no function descriptors; r12 holds the global entry address).

use crate::abi::*;

pub const ABI: ArchAbi = ArchAbi {
    triple: "powerpc64le-unknown-linux-gnu",
    debian: DebianNames {
        dpkg_arch: "ppc64el",
        kernel_flavour: Some("powerpc64le"),
        cross_gcc: "powerpc64le-linux-gnu-gcc",
        cross_packages: &["gcc-powerpc64le-linux-gnu", "libc6-dev-ppc64el-cross"],
        qemu_user: "qemu-ppc64le",
        qemu_system: "qemu-system-ppc64",
        qemu_system_package: "qemu-system-ppc",
    },
    endian: Endian::Little,
    pointer_width: 64,
    elf: ElfIdentity {
        machine: 21,
        class64: true,
        data: Endian::Little,
        ppc64_abi_version: Some(2),
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
    },
    tls_register: "r13",
    default_page_size: 65536,
    settls_limit: None,
};
