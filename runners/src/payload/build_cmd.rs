//! How a payload is compiled. Shared by `build.rs` (through `#[path]`) and by the run-time
//! fallback in [`super`], so both produce the same binary from the same flags.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::wire;

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

/// The payload's own files under `fixtures/probe/`: its C files, each a translation unit of
/// its own, and the header they share.
const PAYLOAD_FILES: &[&str] = &[
    "child.c",
    "records.c",
    "batch.c",
    "util.c",
    "setup.c",
    "case.c",
    "cleanup.c",
    "workers.c",
    "channel.c",
    "main.c",
    "payload.h",
];

/// The C files of the payload, relative to `fixtures/probe/`, in the order gcc gets them.
pub fn c_files() -> impl Iterator<Item = &'static str> {
    PAYLOAD_FILES.iter().copied().filter(|f| f.ends_with(".c"))
}

/// The source files of the payload, relative to `fixtures/probe/`: its own files and every
/// ABI's assembly header, from the ABI table.
pub fn source_files() -> Vec<&'static str> {
    let mut files = PAYLOAD_FILES.to_vec();
    for arch in cloneabi_arch::Arch::ALL {
        let h = arch.abi().payload_header;
        if !files.contains(&h) {
            files.push(h);
        }
    }
    files
}

/// Finds an executable on PATH.
pub fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Compiles the payload's C files in `src_dir` for `arch` with `gcc` and links them into the
/// static executable `out`, with the ABI's generated `cloneabi_abi.h` and the protocol's
/// `cloneabi_protocol.h` written into `gen_dir`. The error is the compiler's message.
pub fn compile(
    arch: cloneabi_arch::Arch,
    gcc: &str,
    src_dir: &Path,
    gen_dir: &Path,
    out: &Path,
) -> Result<(), String> {
    use cloneabi_arch::cheader;
    std::fs::create_dir_all(gen_dir).map_err(|e| format!("{}: {e}", gen_dir.display()))?;
    let header = gen_dir.join(cheader::FILE_NAME);
    std::fs::write(&header, cheader::payload_header(arch))
        .map_err(|e| format!("{}: {e}", header.display()))?;
    let protocol = gen_dir.join(wire::C_HEADER_FILE);
    std::fs::write(&protocol, wire::c_header())
        .map_err(|e| format!("{}: {e}", protocol.display()))?;
    let output = Command::new(gcc)
        .args(CFLAGS)
        .arg("-I")
        .arg(gen_dir)
        .arg("-I")
        .arg(src_dir)
        .arg("-o")
        .arg(out)
        .args(c_files().map(|f| src_dir.join(f)))
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
