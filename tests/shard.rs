//! `run --shard K/N --shard-by case` three times, then `report merge`: the same report as
//! one unsharded run, apart from times. Native runner, so it is cheap.

use cloneabi_report::model::Report;
use std::path::Path;
use std::process::Command;

fn cloneabi(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(args)
        .output()
        .expect("cloneabi runs")
}

/// The report without what changes from one run to the next: times, and the raw
/// observations (pids, tids, stack addresses and namespace inodes depend on what ran before
/// in the same namespace). Verdicts, reasons, expected and canonical observed outcomes stay.
fn comparable(mut r: Report) -> serde_json::Value {
    r.created.clear();
    for run in &mut r.runs {
        run.wall_time_ms = 0;
        for c in &mut run.results {
            c.duration_us = 0;
            c.observation = None;
            c.observed.clear();
            c.log = None;
        }
    }
    serde_json::to_value(&r).unwrap()
}

fn run_to(path: &Path, extra: &[&str]) -> Option<()> {
    let mut args = vec!["run", "--runner", "native", "--format", "json", "--out"];
    args.push(path.to_str().unwrap());
    args.extend_from_slice(extra);
    let out = cloneabi(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(2) && std::env::var("CI").as_deref() != Ok("true") {
        eprintln!("SKIP: the native runner cannot start here: {stderr}");
        return None;
    }
    assert_eq!(out.status.code(), Some(0), "{args:?}:\n{stderr}");
    Some(())
}

#[test]
fn three_case_shards_merge_into_the_unsharded_report() {
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-shard-")
        .tempdir()
        .unwrap();
    let whole = dir.path().join("whole.json");
    if run_to(&whole, &[]).is_none() {
        return;
    }
    let mut parts = Vec::new();
    // Given out of order: the merge must not depend on it.
    for k in [3, 1, 2] {
        let p = dir.path().join(format!("shard-{k}.json"));
        run_to(&p, &["--shard", &format!("{k}/3"), "--shard-by", "case"]).unwrap();
        let part = cloneabi_report::json::load(&p).unwrap();
        let n = part.runs[0].results.len();
        assert!(n > 0, "shard {k} is empty");
        parts.push(p);
    }
    let merged = dir.path().join("all.json");
    let mut args = vec!["report", "merge"];
    args.extend(parts.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--out", merged.to_str().unwrap()]);
    let out = cloneabi(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let whole = cloneabi_report::json::load(&whole).unwrap();
    let merged = cloneabi_report::json::load(&merged).unwrap();
    assert_eq!(
        whole.runs[0].results.len(),
        merged.runs[0].results.len(),
        "every case once"
    );
    assert_eq!(comparable(whole), comparable(merged));
}
