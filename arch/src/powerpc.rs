//! ppc32 (big endian, the 32-bit SysV ABI) on the big-endian ppc64 kernel's compat entry.

use crate::abi::*;
use crate::{Arch, KernelVersion};

pub const ABI: ArchAbi = ArchAbi {
    name: "powerpc",
    aliases: &["ppc", "ppc32", "powerpc32"],
    triple: "powerpc-unknown-linux-gnu",
    rust_arch: "powerpc",
    // arch/powerpc/Kconfig: COMPAT defaults to y on a big-endian ppc64 kernel, and
    // cloneabi's fragment (fixtures/kernels/ppc64-be.config) leaves it so.
    kernel: Kernel::Compat { on: Arch::Powerpc64, boot_args: "" },
    first_clone3: KernelVersion::new(5, 3, 0),
    debian: DebianNames {
        dpkg_arch: "powerpc",
        cross_gcc: "powerpc-linux-gnu-gcc",
        cross_packages: &["gcc-powerpc-linux-gnu", "libc6-dev-powerpc-cross"],
        qemu_user: Some("qemu-ppc"),
    },
    endian: Endian::Big,
    pointer_width: 32,
    elf: ElfIdentity {
        machine: 20,
        class64: false,
        data: Endian::Big,
        ppc64_abi_version: None,
        e_flags: 0,
    },
    // The 32-bit entries of arch/powerpc/kernel/syscalls/syscall.tbl have the same numbers
    // as the 64-bit ones for every syscall cloneabi issues (futex, rt_sigtimedwait and
    // clock_nanosleep being the 32-bit time_t ones here).
    syscall_number: crate::powerpc64::syscall_number,
    // arch/powerpc/Kconfig selects CLONE_BACKWARDS for 32 and 64 bits alike.
    legacy_clone: LegacyCloneVariant::Backwards,
    syscall: crate::powerpc64::SYSCALL_SC,
    stack: StackConvention {
        grows_down: true,
        // The 32-bit SysV ABI keeps r1 16-byte aligned.
        alignment: 16,
        // The minimum frame is the back chain and the LR save word the callee fills,
        // rounded up to the alignment.
        entry_frame: 16,
        zero_back_chain: true,
        red_zone: 0,
        toc_register: None,
        sp_bits: 32,
    },
    // copy_thread: a 32-bit task's CLONE_SETTLS goes to r2, not r13.
    tls_register: "r2",
    default_page_size: 65536,
    payload_header: "arch/powerpc.h",
    settls_limit: None,
    tls_argument: TlsArgument::Value,
};
