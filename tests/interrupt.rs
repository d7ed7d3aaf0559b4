//! SIGINT and SIGTERM while a guest boots: QEMU is ended, no temporary directory is left,
//! the report is written with the unfinished run as ERROR "interrupted", and the exit status
//! is 128 + signal, or the report's own status when the report went to a file.
//!
//! Boots the cached Debian x86_64 kernel; without one it skips (fails when `CI=true`).

use cloneabi_report::ktap_parse;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Whether a kernel for `--runner qemu-system --arch x86_64` is cached and QEMU is there.
fn can_boot() -> Result<(), String> {
    let out = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(["kernels", "list"])
        .output()
        .map_err(|e| e.to_string())?;
    let list = String::from_utf8_lossy(&out.stdout);
    if !list
        .lines()
        .any(|l| l.starts_with("x86_64 ") && l.contains(" bookworm "))
    {
        return Err("no bookworm x86_64 kernel is cached (cloneabi kernels fetch)".into());
    }
    if cloneabi_runners::qemu::check_qemu(cloneabi_arch::Arch::X86_64).is_err() {
        return Err("qemu-system-x86_64 is not installed".into());
    }
    Ok(())
}

/// The pids of `parent`'s children whose command name starts with `prefix`.
fn children(parent: u32, prefix: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let Some((comm, rest)) = stat.split_once(") ") else {
            continue;
        };
        let comm = comm.split_once('(').map_or("", |(_, c)| c);
        let ppid: u32 = rest
            .split(' ')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if ppid == parent && comm.starts_with(prefix) {
            found.push(pid);
        }
    }
    found
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

struct Interrupted {
    status: Option<i32>,
    stdout: String,
    stderr: String,
    qemu: u32,
}

/// Starts a qemu-system run, waits for its QEMU, sends `sig` (SIGINT to the whole process
/// group, as a terminal's Ctrl-C does; anything else to cloneabi alone, as a CI runner
/// does), and collects everything.
fn interrupt_a_boot(sig: i32, tmp: &Path, out: Option<&PathBuf>) -> Interrupted {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloneabi"));
    cmd.process_group(0);
    cmd.args(["run", "--runner", "qemu-system", "--arch", "x86_64"])
        .env("TMPDIR", tmp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(o) = out {
        cmd.args(["--format", "json", "--out"]).arg(o);
    }
    let child: Child = cmd.spawn().unwrap();
    let start = Instant::now();
    let qemu = loop {
        if let Some(&q) = children(child.id(), "qemu-system").first() {
            break q;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "QEMU never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: signalling the child we started, or its process group.
    unsafe {
        if sig == libc::SIGINT {
            libc::killpg(child.id() as i32, sig);
        } else {
            libc::kill(child.id() as i32, sig);
        }
    };
    let output = child.wait_with_output().unwrap();
    Interrupted {
        status: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        qemu,
    }
}

fn left_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn sigterm_and_sigint_during_a_boot_leave_nothing_and_lose_nothing() {
    if let Err(reason) = can_boot() {
        assert!(!ci(), "CI=true: {reason}");
        eprintln!("SKIP: {reason}");
        return;
    }
    // SIGTERM, report on stdout: KTAP with the run as an error, status 143.
    let tmp = tempfile::Builder::new()
        .prefix("cloneabi-interrupt-")
        .tempdir()
        .unwrap();
    let r = interrupt_a_boot(libc::SIGTERM, tmp.path(), None);
    assert_eq!(r.status, Some(143), "stderr:\n{}", r.stderr);
    assert!(!alive(r.qemu), "QEMU {} is still there", r.qemu);
    assert_eq!(left_in(tmp.path()), Vec::<String>::new(), "temp files left");
    let doc = ktap_parse::parse(&r.stdout);
    assert!(doc.problems.is_empty(), "{:?}\n{}", doc.problems, r.stdout);
    assert!(
        r.stdout.contains("interrupted by SIGTERM"),
        "no interrupted run in:\n{}",
        r.stdout
    );
    assert!(!doc.root.all_results().is_empty());

    // SIGINT with the report to a file: the report decides the status (1: errors).
    let out = tmp.path().join("report.json");
    let r = interrupt_a_boot(libc::SIGINT, tmp.path(), Some(&out));
    assert_eq!(r.status, Some(1), "stderr:\n{}", r.stderr);
    assert!(!alive(r.qemu), "QEMU {} is still there", r.qemu);
    let report = cloneabi_report::json::load(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    assert_eq!(left_in(tmp.path()), Vec::<String>::new(), "temp files left");
    let run = &report.runs[0];
    assert_eq!(
        run.error.as_deref(),
        Some("interrupted by SIGINT before the run finished")
    );
    assert!(run
        .results
        .iter()
        .all(|c| c.verdict == cloneabi_suites::verdict::Verdict::Error));
}
