//! The C reproducer `cloneabi fuzz` prints, run in the native sandbox on an x86_64 host for a
//! case of each kind whose child is not simply the caller's own: a thread, a CLONE_PARENT
//! sibling, a child started in a cgroup the setup creates, and calls from an autoreaped
//! caller. Each must exit 0 with the real model's outcome and 1 with a wrong one, and leave
//! no cgroup or mount behind. Where the host kernel lacks CLONE_AUTOREAP (before 7.1) the
//! reproducer must exit 2 saying so, and the trial is ignored with that reason.
//! (Every ABI's cross compiler builds them: suites/tests/repro.rs.)

use cloneabi_arch::{Arch, KernelVersion};
use cloneabi_runners::native::{run, NativeOptions};
use cloneabi_suites::case::Case;
use cloneabi_suites::catalog::case_by_id;
use cloneabi_suites::fuzz::repro::c_reproducer;
use cloneabi_suites::model::{predict, ModelEnv};
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

const KINDS: &[&str] = &[
    "flags.combo.thread_valid",
    "flags.combo.parent_valid",
    "cgroup.into.valid",
    "cgroup.into.o_path",
    "cgroup.into.procs_file",
    "flags.autoreap.no_inherit",
    "flags.autoreap.caller_parent",
    "caps.userns.nested.outer_level_denied",
    "caps.userns.too_deep",
    "outputs.pidfd.read_only",
    "cgroup.into.v1_root",
];

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn host_kernel() -> KernelVersion {
    let read = |f: &str| std::fs::read_to_string(format!("/proc/sys/kernel/{f}")).unwrap();
    KernelVersion::from_uname(read("osrelease").trim(), read("version").trim())
        .expect("the host kernel's version parses")
}

fn host_env(kernel: KernelVersion) -> ModelEnv {
    let pid_max = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    ModelEnv {
        pid_max,
        ..ModelEnv::nominal(Arch::X86_64, kernel)
    }
}

/// What could be left behind: entries named `cloneabi-repro-*` at the top of every cgroup2
/// mount and in the temporary directory (where a reproducer mounts cgroup2 when none is), and
/// the named cgroup v1 hierarchy a reproducer mounts (listed in /proc/self/cgroup while the
/// kernel keeps it).
fn leftovers() -> BTreeSet<PathBuf> {
    let hierarchy = std::fs::read_to_string("/proc/self/cgroup")
        .unwrap_or_default()
        .lines()
        .any(|l| l.split(':').nth(1) == Some("name=cloneabi"))
        .then(|| PathBuf::from("cgroup v1 hierarchy name=cloneabi"));
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let mut dirs: Vec<PathBuf> = mounts
        .lines()
        .filter(|l| {
            l.split(" - ")
                .nth(1)
                .is_some_and(|t| t.starts_with("cgroup2 "))
        })
        .filter_map(|l| l.split_whitespace().nth(4).map(PathBuf::from))
        .collect();
    dirs.push(PathBuf::from("/tmp"));
    dirs.iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("cloneabi-repro-")
        })
        .map(|e| e.path())
        .chain(hierarchy)
        .collect()
}

/// Compiles `source` and runs it as the sandbox's init: (exit code, output).
fn outcome(source: &str) -> Result<(i32, String), Failed> {
    // Not `cloneabi-repro-*`, which `leftovers` looks for.
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-sandboxed-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let c = dir.path().join("repro.c");
    let bin = dir.path().join("repro");
    std::fs::write(&c, source).map_err(|e| e.to_string())?;
    let cc = Command::new("cc")
        .args(["-static", "-O2", "-Wall", "-Werror", "-o"])
        .arg(&bin)
        .arg(&c)
        .output()
        .map_err(|e| format!("cannot run cc: {e}"))?;
    if !cc.status.success() {
        return Err(String::from_utf8_lossy(&cc.stderr).into_owned().into());
    }
    let out = run(&bin, &c, &NativeOptions::default()).map_err(|e| e.to_string())?;
    if !libc::WIFEXITED(out.status) {
        return Err(format!(
            "the reproducer did not exit: status {:#x}\n{}",
            out.status,
            String::from_utf8_lossy(&out.output)
        )
        .into());
    }
    Ok((
        libc::WEXITSTATUS(out.status),
        String::from_utf8_lossy(&out.output).into_owned(),
    ))
}

fn check(code: i32, text: &str, want: i32, what: &str) -> Result<(), Failed> {
    if code == want {
        Ok(())
    } else {
        Err(format!("{what}: exit {code}, not {want}:\n{text}").into())
    }
}

fn runs_in_the_sandbox(id: &str) -> Result<Completion, Failed> {
    if Arch::host() != Some(Arch::X86_64) {
        return Ok(Completion::ignored_with(
            "the reproducers run natively on an x86_64 host only",
        ));
    }
    let case: Case = case_by_id(id).ok_or(format!("no case {id} in the catalog"))?;
    let kernel = host_kernel();
    let expected = predict(&case, &host_env(kernel)).outcome();
    let before = leftovers();
    let autoreap = KernelVersion::new(7, 1, 0);
    if expected == "skip" && case.caller_is_autoreaped() && kernel < autoreap {
        // What the model expects where CLONE_AUTOREAP exists; this kernel must refuse it.
        let on_71 = predict(&case, &host_env(autoreap)).outcome();
        let (code, text) = outcome(&c_reproducer(&case, Arch::X86_64, &on_71)?)?;
        check(code, &text, 2, "a kernel without CLONE_AUTOREAP")?;
        if !text.contains("refused clone3(CLONE_AUTOREAP|CLONE_PIDFD)") || !text.contains("7.1") {
            return Err(format!("exit 2 without the reason:\n{text}").into());
        }
        let why = format!(
            "the host kernel {kernel} has no CLONE_AUTOREAP (7.1 or later): the reproducer exits 2 saying so"
        );
        eprintln!("SKIP repro::x86_64::{id}: {why}");
        return Ok(Completion::ignored_with(why));
    }
    let wrong = if expected == "ok" { "EINVAL" } else { "ok" };
    for (outcome_given, want) in [(expected.as_str(), 0), (wrong, 1)] {
        let (code, text) = outcome(&c_reproducer(&case, Arch::X86_64, outcome_given)?)?;
        if code == 2 && case.creates_cgroup() && !ci() && text.contains("cgroup") {
            let why = format!("no writable cgroup2 hierarchy here: {}", text.trim());
            eprintln!("SKIP repro::x86_64::{id}: {why}");
            return Ok(Completion::ignored_with(why));
        }
        check(
            code,
            &text,
            want,
            &format!("the model predicts {expected}, the reproducer was given {outcome_given}"),
        )?;
        let result = if expected == "ok" {
            "the call succeeded"
        } else {
            "the call failed"
        };
        if !text.contains(result) {
            return Err(format!("no \"{result}\" in:\n{text}").into());
        }
        if expected == "ok"
            && case
                .clone3()
                .is_some_and(|c| c.flags & cloneabi_suites::flags::CLONE_THREAD != 0)
            && !text.contains("has exited")
        {
            return Err(format!("the caller did not wait for its thread:\n{text}").into());
        }
        // The kernel frees an unmounted hierarchy asynchronously.
        let mut left: Vec<_> = Vec::new();
        for _ in 0..20 {
            left = leftovers().difference(&before).cloned().collect();
            if left.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        if !left.is_empty() {
            return Err(format!("left behind: {left:?}\n{text}").into());
        }
    }
    Ok(Completion::Completed)
}

fn main() {
    let trials = KINDS
        .iter()
        .map(|id| {
            Trial::ignorable_test(format!("repro::x86_64::{id}"), move || {
                runs_in_the_sandbox(id)
            })
        })
        .collect();
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}
