//! x32 (ILP32 on x86_64 registers, little endian) on the x86_64 kernel's x32 entry.

use crate::abi::*;
use crate::Sysno::{self, *};
use crate::{Arch, KernelVersion};

/// `__X32_SYSCALL_BIT`: an x32 syscall number is its table entry with this bit set.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

pub const ABI: ArchAbi = ArchAbi {
    name: "x32",
    aliases: &["gnux32", "x86_64-x32"],
    triple: "x86_64-unknown-linux-gnux32",
    rust_arch: "x86_64",
    // Debian builds CONFIG_X86_X32_ABI in but leaves it off unless the kernel command line
    // turns it on (CONFIG_X86_X32_DISABLED).
    kernel: Kernel::Compat { on: Arch::X86_64, boot_args: "syscall.x32=y" },
    first_clone3: KernelVersion::new(5, 3, 0),
    debian: DebianNames {
        dpkg_arch: "x32",
        cross_gcc: "x86_64-linux-gnux32-gcc",
        cross_packages: &["gcc-x86-64-linux-gnux32", "libc6-dev-x32-cross"],
        // QEMU has no x32 user-mode emulator.
        qemu_user: None,
    },
    endian: Endian::Little,
    pointer_width: 32,
    elf: ElfIdentity {
        machine: 62,
        class64: false,
        data: Endian::Little,
        ppc64_abi_version: None,
        e_flags: 0,
    },
    syscall_number,
    // x32's clone is the 64-bit sys_clone (x86_64 does not select CLONE_BACKWARDS).
    legacy_clone: LegacyCloneVariant::Default,
    // The x86-64 instruction set and stack: x32 differs in pointer width, not in registers.
    syscall: crate::x86_64::ABI.syscall,
    stack: crate::x86_64::ABI.stack,
    tls_register: "fs_base",
    default_page_size: 4096,
    payload_header: "arch/x32.h",
    // An x32 syscall is no ia32 syscall: set_new_tls takes the 64-bit ARCH_SET_FS path.
    settls_limit: Some((1 << 47) - 4096),
    tls_argument: TlsArgument::Value,
};

/// The common and x32 entries of arch/x86/entry/syscalls/syscall_64.tbl, with
/// `__X32_SYSCALL_BIT`: x86_64's numbers, except that rt_sigaction, rt_sigtimedwait and
/// waitid have x32 entries of their own (512 and up: compat structures).
fn syscall_number(nr: Sysno) -> Option<u32> {
    let number = match nr {
        RtSigaction => 512,
        RtSigtimedwait => 523,
        Waitid => 529,
        _ => crate::x86_64::syscall_number(nr)?,
    };
    Some(X32_SYSCALL_BIT | number)
}
