//! stdout carries only the report, also while the main job provisions: a fake `apt-get`
//! first on PATH prints what the real one prints (on stdout) and the real provisioning
//! code path runs against it.

use cloneabi_report::ktap_parse;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// A fake `apt-get` that floods stdout and stderr and succeeds for `update` and `install`;
/// anything else (kernel downloads) fails at once so the test stays fast.
fn fake_apt(bin: &Path) {
    let script = r#"#!/bin/sh
i=0
while [ $i -lt 200 ]; do
  echo "Get:$i http://deb.debian.org/debian bookworm/main amd64 fake-package [1 kB]"
  i=$((i+1))
done
echo "W: fake apt-get on stderr" >&2
case "$1" in
  update|install) exit 0 ;;
  *) echo "E: fake apt-get refuses $*" >&2; exit 100 ;;
esac
"#;
    let p = bin.join("apt-get");
    std::fs::write(&p, script).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn main_job_stdout_is_ktap_from_its_first_byte_while_provisioning() {
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-streams-")
        .tempdir()
        .unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    fake_apt(&bin);
    // Only the fake on PATH: every QEMU and compiler is "missing", so provisioning runs
    // (as root: the fake apt-get; otherwise the printed advice) and every guest fails to
    // provision quickly; the native run still runs.
    let out = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(["run", "--filter", "exit_signal.", "--jobs", "1"])
        .env("PATH", &bin)
        .env("CLONEABI_CACHE", dir.path().join("cache"))
        .output()
        .expect("cloneabi runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        assert!(
            stderr.contains("Get:199 http://deb.debian.org"),
            "the fake apt-get did not run (or its output was lost):\n{stderr}"
        );
    }
    assert!(
        stdout.starts_with("KTAP version 1\n"),
        "stdout does not start with KTAP:\n{}",
        &stdout[..stdout.len().min(2000)]
    );
    assert!(!stdout.contains("Get:"), "apt output on stdout");
    let doc = ktap_parse::parse(&stdout);
    assert!(doc.problems.is_empty(), "{:?}", doc.problems);
    assert!(
        !doc.root.all_results().is_empty(),
        "no results in:\n{stdout}\n{stderr}"
    );
}

/// `--runner qemu-user` installs what it lacks through the same apt path as the main job
/// (here the stand-in apt-get, which installs nothing, so the runner then says what is
/// missing), and apt's output stays off stdout.
#[test]
fn qemu_user_provisions_through_apt() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: provisioning installs only as root");
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-streams-")
        .tempdir()
        .unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    fake_apt(&bin);
    let out = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(["run", "--runner", "qemu-user", "--arch", "aarch64"])
        .env("PATH", &bin)
        .output()
        .expect("cloneabi runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("installing qemu-user") && stderr.contains("Get:199"),
        "no provisioning attempt:\n{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Get:"));
    assert_eq!(out.status.code(), Some(2), "{stderr}");
}
