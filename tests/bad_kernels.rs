//! Hung and corrupt kernels: a corrupted arm64 image is reported as hung within a few of its
//! normal boots (not after the run's timeout), with a name even though uname never ran; a
//! corrupted x86_64 bzImage is refused as a corrupt image before QEMU starts.
//!
//! Corrupts copies of the cached Debian bookworm kernels; without them it skips (fails when
//! `CI=true`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The cached bookworm kernel of `arch`, from `cloneabi kernels list`.
fn cached(arch: &str) -> Option<PathBuf> {
    let out = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(["kernels", "list"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() == 5 && f[0] == arch && f[1] == "bookworm")
        .map(|f| PathBuf::from(f[4]))
}

fn skip_or_fail(reason: &str) {
    assert!(!ci(), "CI=true: {reason}");
    eprintln!("SKIP: {reason}");
}

/// A copy of `kernel` in `dir` with 64 KiB of pseudo-random bytes in its middle.
fn corrupted_copy(kernel: &Path, dir: &Path, name: &str) -> PathBuf {
    let mut bytes = std::fs::read(kernel).unwrap();
    let mid = bytes.len() / 2;
    let mut x: u32 = 0x2545_f491;
    for b in &mut bytes[mid..mid + 65536] {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn a_corrupt_arm64_image_is_reported_as_hung_within_a_few_boots() {
    let Some(kernel) = cached("aarch64") else {
        return skip_or_fail("no bookworm aarch64 kernel is cached (cloneabi kernels fetch)");
    };
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-badkernel-")
        .tempdir()
        .unwrap();
    let bad = corrupted_copy(&kernel, dir.path(), "vmlinuz-corrupt-arm64");
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(["run", "--runner", "qemu-system", "--arch", "aarch64"])
        .args(["--timeout", "300", "--format", "json", "--kernel"])
        .arg(&bad)
        .output()
        .unwrap();
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    // A few normal boots (about 2 s each) even on a loaded machine; far below --timeout.
    assert!(took < Duration::from_secs(100), "took {took:?}:\n{stderr}");
    let report: cloneabi_report::model::Report = serde_json::from_slice(&out.stdout).unwrap();
    let run = &report.runs[0];
    let error = run.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("never reached userspace") && error.contains("vmlinuz-corrupt-arm64"),
        "{error}"
    );
    assert!(!run.key().ends_with('.'), "nameless run key {}", run.key());
    assert!(run
        .results
        .iter()
        .all(|r| r.verdict == cloneabi_suites::verdict::Verdict::Error));
}

#[test]
fn a_corrupt_bzimage_is_refused_as_corrupt() {
    let Some(kernel) = cached("x86_64") else {
        return skip_or_fail("no bookworm x86_64 kernel is cached (cloneabi kernels fetch)");
    };
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-badkernel-")
        .tempdir()
        .unwrap();
    let bad = corrupted_copy(&kernel, dir.path(), "vmlinuz-corrupt-amd64");
    let out = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args([
            "run",
            "--runner",
            "qemu-system",
            "--arch",
            "x86_64",
            "--kernel",
        ])
        .arg(&bad)
        .env("CLONEABI_CACHE", dir.path().join("cache"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("corrupt or unsupported kernel image")
            && stderr.contains("vmlinuz-corrupt-amd64"),
        "{stderr}"
    );
    assert!(!stderr.contains("Tuning"), "internal name in: {stderr}");
}
