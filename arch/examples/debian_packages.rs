//! Prints the Debian packages the ABI table needs, one per line: every ABI's cross
//! compiler and static libc, every kernel arch's QEMU system emulator, qemu-user where an
//! ABI has a user-mode emulator, and the compiler of every kernel the main job builds from source.
//! `.ci/run` installs them, so a new row in the table needs no change there.

use cloneabi_arch::Arch;

fn main() {
    let mut packages: Vec<&str> = Vec::new();
    let mut add = |p: &'static str| {
        if !packages.contains(&p) {
            packages.push(p);
        }
    };
    for arch in Arch::ALL {
        let abi = arch.abi();
        abi.debian.cross_packages.iter().for_each(|p| add(p));
        if abi.debian.qemu_user.is_some() {
            add("qemu-user");
        }
    }
    for arch in Arch::kernels() {
        let k = arch.kernel_arch();
        add(k.qemu.package);
        // The main job builds these kernels; `kernels build` names the compiler of any other.
        if k.sources.default_build.is_some() {
            add(k.sources.build.cross_package);
        }
    }
    for p in packages {
        println!("{p}");
    }
}
