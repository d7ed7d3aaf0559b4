//! `cloneabi audit libc` on the host's gnu triple (native: the probe builds and runs in
//! seconds): libc 0.2.191 (the lockfile's) declares CLONE_CLEAR_SIGHAND and CLONE_INTO_CGROUP
//! as c_int, where they are 0, so both must FAIL; the syscall numbers and clone_args must
//! PASS; Linux 7.1's newer bits must be SKIP "missing".

use cloneabi_arch::Arch;
use std::process::Command;

#[test]
fn the_libc_audit_fails_the_overflowing_constants_and_passes_the_rest() {
    let Some(host) = Arch::host() else {
        eprintln!("skipped: no cloneabi arch for this host");
        return;
    };
    let triple = host.triple();
    let out = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(["audit", "libc", "--version", "0.2.191", "--target", triple])
        .args(["--format", "json"])
        .output()
        .expect("run cloneabi audit libc");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Exit 1: something failed (the two constants).
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["kernel"]["package"], "libc");
    let verdict = |case: &str| {
        runs[0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["case"] == case)
            .unwrap_or_else(|| panic!("no case {case}"))["verdict"]
            .as_str()
            .unwrap()
            .to_ascii_lowercase()
    };
    assert_eq!(verdict("libc.flags.CLONE_CLEAR_SIGHAND"), "fail");
    assert_eq!(verdict("libc.flags.CLONE_INTO_CGROUP"), "fail");
    assert_eq!(verdict("libc.flags.CLONE_NEWPID"), "pass");
    assert_eq!(verdict("libc.sysno.SYS_clone3"), "pass");
    assert_eq!(verdict("libc.flags.CLONE_NNP"), "skip");
    let fails: Vec<&serde_json::Value> = runs[0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["verdict"].as_str().unwrap().eq_ignore_ascii_case("fail"))
        .collect();
    assert_eq!(fails.len(), 2, "{fails:?}");
    for r in runs[0]["results"].as_array().unwrap() {
        if r["verdict"].as_str().unwrap().eq_ignore_ascii_case("skip") {
            assert!(r["reason"].as_str().unwrap().starts_with("missing"), "{r}");
        }
    }
}
