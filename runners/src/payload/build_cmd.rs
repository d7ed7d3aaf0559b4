//! How a payload is compiled. Shared by `build.rs` (through `#[path]`) and by the run-time
//! fallback in [`super`], so both produce the same binary from the same flags.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Flags for every arch. `-static`: the payload runs as a guest's /init and under
/// qemu-user with no libraries around. `-fno-stack-protector`: the canary lives in TLS,
/// which a CLONE_SETTLS child has replaced. `-fno-builtin` and
/// `-fno-tree-loop-distribute-patterns`: the child helpers must not turn into libc calls.
pub const CFLAGS: &[&str] = &[
    "-static",
    "-O2",
    "-fno-stack-protector",
    "-fno-builtin",
    "-fno-tree-loop-distribute-patterns",
    "-Wall",
    "-Wextra",
];

/// The source files of the payload, relative to `fixtures/probe/`.
pub const SOURCE_FILES: &[&str] = &[
    "probe.c",
    "arch/x86_64.h",
    "arch/aarch64.h",
    "arch/s390x.h",
    "arch/powerpc64.h",
    "arch/powerpc64le.h",
];

/// Finds an executable on PATH.
pub fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Compiles `src_dir/probe.c` with `gcc` into the static executable `out`. The error is
/// the compiler's message.
pub fn compile(gcc: &str, src_dir: &Path, out: &Path) -> Result<(), String> {
    let output = Command::new(gcc)
        .args(CFLAGS)
        .arg("-o")
        .arg(out)
        .arg(src_dir.join("probe.c"))
        .output()
        .map_err(|e| format!("cannot run {gcc}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{gcc} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}
