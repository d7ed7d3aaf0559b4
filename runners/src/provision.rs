//! Installing what the main job needs on a fresh Debian machine: QEMU for every guest, the
//! cross compilers for payloads not embedded in this binary, and the ppc64 kernel build
//! tools. As root through apt-get; otherwise the exact command is printed and whatever can
//! run without those packages still runs.

use crate::kernels::{in_path, BUILD_TOOLS};
use crate::payload;
use cloneabi_arch::Arch;
use std::process::Command;

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
    for (tool, pkg) in BUILD_TOOLS {
        need(in_path(tool), pkg);
    }
    pkgs
}

/// Installs the missing packages when root; otherwise says how.
pub fn ensure_packages() {
    let pkgs = missing_packages();
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
    let ok = Command::new("apt-get")
        .args(["update", "-q"])
        .status()
        .is_ok_and(|s| s.success())
        && Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&pkgs)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("cloneabi: `{command}` failed; running what can run without those packages");
    }
}
