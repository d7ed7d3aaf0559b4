//! Guests that go wrong on their console, with a stand-in `qemu-system-aarch64` first on
//! PATH and the real runner code path behind it:
//! - a console that floods without end is stopped long before the run's timeout, with
//!   bounded memory, and reported;
//! - a kernel panic in the middle of the cases (the stand-in runs the real QEMU and cuts
//!   its console with a panic line after some records): the cases whose records came out
//!   keep their verdicts, the rest are ERROR.

use cloneabi_report::model::Report;
use cloneabi_suites::verdict::Verdict;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn script(dir: &Path, name: &str, body: &str) {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// PATH with `bin` first.
fn path_with(bin: &Path) -> std::ffi::OsString {
    let mut dirs = vec![bin.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

fn run_aarch64(
    bin: &Path,
    kernel: &Path,
    timeout: &str,
) -> (Option<i32>, Report, String, Duration) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(["run", "--runner", "qemu-system", "--arch", "aarch64"])
        .args(["--timeout", timeout, "--format", "json", "--kernel"])
        .arg(kernel)
        .env("PATH", path_with(bin))
        .output()
        .unwrap();
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report: Report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}):\n{stderr}"));
    (out.status.code(), report, stderr, took)
}

#[test]
fn a_console_flood_is_stopped_and_reported() {
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-flood-")
        .tempdir()
        .unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    script(
        &bin,
        "qemu-system-aarch64",
        "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'QEMU emulator version 7.2.0 (flooding stand-in)'; exit 0; }\nexec yes '[    1.000000] flood flood flood flood flood flood flood flood'\n",
    );
    // An arm64 Image header is all the runner checks before starting QEMU.
    let mut image = vec![0u8; 4096];
    image[0x38..0x3c].copy_from_slice(b"ARM\x64");
    let kernel = dir.path().join("Image-flood");
    std::fs::write(&kernel, image).unwrap();

    let (status, report, stderr, took) = run_aarch64(&bin, &kernel, "120");
    assert_eq!(status, Some(1), "{stderr}");
    assert!(took < Duration::from_secs(60), "took {took:?}");
    let run = &report.runs[0];
    let error = run.error.as_deref().unwrap_or_default();
    assert!(error.contains("floods the console"), "{error}");
    assert!(run.results.iter().all(|r| r.verdict == Verdict::Error));
    assert!(run
        .console_excerpt
        .as_ref()
        .is_some_and(|c| c.contains("flood")));
}

/// The cached bookworm arm64 kernel, from `cloneabi kernels list`.
fn cached_arm64() -> Option<PathBuf> {
    let out = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(["kernels", "list"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() == 5 && f[0] == "aarch64" && f[1] == "bookworm")
        .map(|f| PathBuf::from(f[4]))
}

#[test]
fn a_panic_in_the_middle_keeps_the_verdicts_before_it() {
    let Some(kernel) = cached_arm64() else {
        let reason = "no bookworm aarch64 kernel is cached (cloneabi kernels fetch)";
        assert!(!ci(), "CI=true: {reason}");
        eprintln!("SKIP: {reason}");
        return;
    };
    let Some(real) = cloneabi_runners::qemu::find_binary("qemu-system-aarch64") else {
        assert!(!ci(), "CI=true: qemu-system-aarch64 is missing");
        eprintln!("SKIP: qemu-system-aarch64 is missing");
        return;
    };
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-panic-")
        .tempdir()
        .unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // The stand-in drops the record channel's devices, so the guest writes its records to
    // the console (twice each), where the injected panic lands between them: 200 record
    // lines are about 100 records, some cases, not all. (A real crash with the records on
    // the channel: runners/tests/guest_reboot.rs.)
    script(
        &bin,
        "qemu-system-aarch64",
        &format!(
            r#"#!/bin/sh
[ "$1" = --version ] && exec {real} --version
prev=
for a in "$@"; do
  shift
  case "$a" in -device|-chardev) prev="$a"; continue ;; esac
  if [ -n "$prev" ]; then
    case "$a" in virtio-serial-*|pipe,id=cloneabi-records*|virtserialport,*) prev=; continue ;; esac
    set -- "$@" "$prev"
    prev=
  fi
  set -- "$@" "$a"
done
{real} "$@" | {{
  n=0
  while IFS= read -r line; do
    printf '%s\n' "$line"
    case "$line" in *"@CLONEABI "*) n=$((n+1)) ;; esac
    if [ $n -ge 200 ]; then
      echo "[    9.999999] Kernel panic - not syncing: injected in the middle of the cases"
      exit 0
    fi
  done
}}
"#,
            real = real.display()
        ),
    );
    let (status, report, stderr, _) = run_aarch64(&bin, &kernel, "300");
    assert_eq!(status, Some(1), "{stderr}");
    let run = &report.runs[0];
    let error = run.error.as_deref().unwrap_or_default();
    assert!(error.contains("Kernel panic"), "{error}");
    let count = |v: Verdict| run.results.iter().filter(|r| r.verdict == v).count();
    assert!(
        count(Verdict::Pass) > 10,
        "too few verdicts kept: {}",
        count(Verdict::Pass)
    );
    assert!(
        count(Verdict::Error) > 10,
        "the cases after the panic: {}",
        count(Verdict::Error)
    );
    assert_eq!(count(Verdict::Fail), 0, "{stderr}");
}
