//! The C reproducer `cloneabi fuzz` prints, built with each ABI's cross compiler: one
//! libtest-mimic trial per ABI of the table and case, named `repro::<triple>::<case>`, so a
//! new ABI is covered without a change. A missing compiler fails under CI=true and is
//! ignored with the package to install otherwise. (Runs in the sandbox: tests/repro.rs at
//! the root.)

use cloneabi_arch::{Arch, KernelVersion};
use cloneabi_suites::catalog::case_by_id;
use cloneabi_suites::fuzz::repro::c_reproducer;
use cloneabi_suites::model::{predict, ModelEnv};
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::path::PathBuf;
use std::process::Command;

/// One case of each kind the reproducer handles: a thread, a CLONE_PARENT sibling, a child
/// started in a cgroup the setup creates, calls from an autoreaped caller, and the setups
/// and placements the payload applies (nested pid namespaces, kept capabilities, signal
/// dispositions, a non-cgroup directory, a struct before a guard page, legacy clone with
/// every pointer, each way of reopening the created cgroup, nested user namespaces,
/// no_new_privs, the read-only page as a pointer and as a stack, a cgroup v1 root).
const CASES: &[&str] = &[
    "flags.combo.thread_valid",
    "flags.combo.parent_valid",
    "cgroup.into.valid",
    "flags.autoreap.no_inherit",
    "flags.autoreap.caller_parent",
    "legacy.order.tids_and_tls",
    "set_tid.depth.03",
    "caps.set_tid.no_caps",
    "sighand.clear.ignore_kept",
    "cgroup.into.not_a_cgroup",
    "sizes.tail_into_unmapped_page",
    "cgroup.into.o_path",
    "cgroup.into.procs_file",
    "cgroup.into.cgroup_fd_closed",
    "caps.userns.nested.outer_level_denied",
    "caps.autokill.no_caps.nnp_caller",
    "outputs.pidfd.read_only",
    "stack.read_only",
    "cgroup.into.v1_root",
];

/// The outcome the model predicts where every flag exists (7.1), as a call result.
fn expected(case: &cloneabi_suites::case::Case, arch: Arch) -> Result<String, String> {
    let outcome = predict(case, &ModelEnv::nominal(arch, KernelVersion::new(7, 1, 0))).outcome();
    if outcome == "skip" {
        return Err(format!("{}: the model skips it on 7.1", case.id));
    }
    Ok(outcome)
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn compiles(arch: Arch, id: &'static str) -> Result<Completion, Failed> {
    let debian = &arch.abi().debian;
    let Some(cc) = find_in_path(debian.cross_gcc) else {
        let why = format!(
            "no {} on PATH (apt-get install {})",
            debian.cross_gcc,
            debian.cross_packages.join(" ")
        );
        return if std::env::var("CI").is_ok_and(|v| v == "true") {
            Err(why.into())
        } else {
            eprintln!("SKIP repro::{}::{id}: {why}", arch.triple());
            Ok(Completion::ignored_with(why))
        };
    };
    let case = case_by_id(id).ok_or(format!("no case {id} in the catalog"))?;
    let source = c_reproducer(&case, arch, &expected(&case, arch)?)?;
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-repro-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let c = dir.path().join("repro.c");
    std::fs::write(&c, &source).map_err(|e| e.to_string())?;
    let out = Command::new(&cc)
        .args(["-static", "-O2", "-Wall", "-Werror", "-o"])
        .arg(dir.path().join("repro"))
        .arg(&c)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", cc.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}):\n{}",
            cc.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(Completion::Completed)
}

fn main() {
    let mut trials = Vec::new();
    for arch in Arch::ALL {
        for id in CASES {
            trials.push(Trial::ignorable_test(
                format!("repro::{}::{id}", arch.triple()),
                move || compiles(arch, id),
            ));
        }
    }
    libtest_mimic::run(&Arguments::from_args(), trials).exit();
}
