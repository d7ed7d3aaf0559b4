//! Installing what the main job needs on a fresh Debian machine: QEMU for every guest, the
//! cross compilers for payloads not embedded in this binary, and the ppc64 kernel build
//! tools. As root through apt-get; otherwise the exact command is printed and whatever can
//! run without those packages still runs.

use crate::kernels::{in_path, required_tools};
use crate::payload;
use cloneabi_arch::Arch;
use std::process::{Command, Stdio};

/// The Debian packages missing for the main job.
pub fn missing_packages() -> Vec<String> {
    let mut pkgs: Vec<String> = Vec::new();
    let mut need = |found: bool, pkg: &str| {
        if !found && !pkgs.iter().any(|p| p == pkg) {
            pkgs.push(pkg.to_string());
        }
    };
    for arch in Arch::kernels() {
        let q = &arch.kernel_arch().qemu;
        need(in_path(q.binary), q.package);
    }
    for arch in Arch::ALL {
        let d = &arch.abi().debian;
        if payload::embedded(arch).is_none() {
            for p in d.cross_packages {
                need(in_path(d.cross_gcc), p);
            }
        }
    }
    // The kernels the main job builds (Debian ships none for their arch).
    for arch in Arch::kernels().filter(|a| a.kernel_arch().sources.default_build.is_some()) {
        for (tool, pkg) in required_tools(arch, Arch::host(), true) {
            need(in_path(&tool), &pkg);
        }
    }
    pkgs
}

/// The Debian packages missing for the qemu-user runner of `arch`: the emulator, and the
/// cross compiler when the payload is not embedded in this binary.
pub fn missing_for_qemu_user(arch: Arch) -> Vec<String> {
    let d = &arch.abi().debian;
    let mut pkgs = Vec::new();
    // An ABI QEMU has no user-mode emulator for has nothing to install; the runner says so.
    if d.qemu_user.is_some_and(|q| !in_path(q)) {
        pkgs.push("qemu-user".to_string());
    }
    if payload::embedded(arch).is_none() && !in_path(d.cross_gcc) {
        pkgs.extend(d.cross_packages.iter().map(|p| p.to_string()));
    }
    pkgs
}

/// Installs the packages missing for the main job when root; otherwise says how.
pub fn ensure_packages() {
    ensure(&missing_packages());
}

/// Installs `pkgs` when root; otherwise says how.
pub fn ensure(pkgs: &[String]) {
    if pkgs.is_empty() {
        return;
    }
    let command = format!(
        "apt-get install -y --no-install-recommends {}",
        pkgs.join(" ")
    );
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("cloneabi: missing packages; as root run:\n  apt-get update && {command}\ncloneabi: running what can run without them");
        return;
    }
    eprintln!("cloneabi: installing {}", pkgs.join(" "));
    // apt's progress goes to our stderr: stdout carries only the report.
    let apt = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .stdout(std::io::stderr())
            .status()
            .is_ok_and(|s| s.success())
    };
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend(pkgs.iter().map(String::as_str));
    let ok = apt(&["update", "-q"]) && apt(&install);
    if !ok {
        eprintln!("cloneabi: `{command}` failed; running what can run without those packages");
    }
}
