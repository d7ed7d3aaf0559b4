//! `cloneabi exec` end to end, in a real s390x guest (big-endian, the arch furthest from the
//! host): argv, the environment, the writable working directory, stdout and stderr kept
//! apart from each other and from the kernel log, the exit status, a signal death and a
//! kernel panic. The program is fixtures/exec/check.c, built with s390x's Debian cross gcc.
//! Skipped without the compiler or the cached kernel; under `CI=true` that fails.

use cloneabi_arch::Arch;
use std::path::PathBuf;
use std::process::{Command, Output};

const ARCH: Arch = Arch::S390x;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The test program, or why it cannot run.
fn program(dir: &tempfile::TempDir) -> Result<PathBuf, String> {
    cloneabi_runners::exec::cached_kernel(ARCH, None)?;
    let gcc = ARCH.abi().debian.cross_gcc;
    let out = dir.path().join("check");
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/exec/check.c");
    let status = Command::new(gcc)
        .args(["-static", "-O2", "-Wall", "-o"])
        .arg(&out)
        .arg(src)
        .status()
        .map_err(|e| format!("{gcc}: {e}"))?;
    assert!(status.success(), "{gcc} failed on {src}");
    Ok(out)
}

fn exec(prog: &PathBuf, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args([
            "exec",
            "--arch",
            ARCH.name(),
            "-e",
            "CLONEABI_TEST_VAR=a b=c",
            "--",
        ])
        .arg(prog)
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("run cloneabi exec")
}

#[test]
fn exec_runs_a_program_in_a_guest_and_reports_how_it_ended() {
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-exec-test-")
        .tempdir()
        .unwrap();
    let prog = match program(&dir) {
        Ok(p) => p,
        Err(why) if !in_ci() => {
            eprintln!("skipped: {why}");
            return;
        }
        Err(why) => panic!("required in CI: {why}"),
    };

    let out = exec(&prog, &["exit", "7"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(7),
        "stdout {stdout}\nstderr {stderr}"
    );
    // Exactly the program's stdout: no kernel log, no stderr.
    assert_eq!(
        stdout, "argc=3 last=7 cwd=/work machine=s390x VAR=a b=c\n",
        "stderr: {stderr}"
    );
    assert_eq!(stderr, "to stderr\n");

    let out = exec(&prog, &["signal", "6"]);
    assert_eq!(out.status.code(), Some(128 + 6));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("killed by signal 6 (SIGABRT)"), "{stderr}");

    let out = exec(&prog, &["panic"]);
    assert_eq!(out.status.code(), Some(125));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the guest kernel failed"), "{stderr}");
    assert!(
        stderr.contains("sysrq") || stderr.contains("Kernel panic"),
        "{stderr}"
    );
}
