//! One real native run written in every format at once, each format read back by its own
//! reader; and the diff gate's exit status.

#[path = "../report/tests/support/kcidb_validator.rs"]
mod kcidb_validator;

use cloneabi_report::ktap_parse;
use std::process::Command;

fn cloneabi(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(args)
        .output()
        .expect("cloneabi runs")
}

#[test]
fn one_run_writes_every_format_and_the_gate_works() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let run = cloneabi(&[
        "run",
        "--runner",
        "native",
        "--format",
        "ktap,junit,kcidb,json",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    if run.status.code() == Some(2) && std::env::var("CI").as_deref() != Ok("true") {
        eprintln!("SKIP: the native runner cannot start here: {stderr}");
        return;
    }
    assert_eq!(run.status.code(), Some(0), "cloneabi run failed:\n{stderr}");
    let read = |name: &str| {
        std::fs::read_to_string(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let cases = cloneabi(&["list"])
        .stdout
        .iter()
        .filter(|b| **b == b'\n')
        .count();

    // KTAP, by the ktap.rst parser.
    let doc = ktap_parse::parse(&read("cloneabi.ktap"));
    assert!(doc.problems.is_empty(), "{:?}", doc.problems);
    let results = doc.root.all_results();
    assert_eq!(
        results.len(),
        cases + 1,
        "one result per case plus the run's own"
    );

    // JUnit, read back by quick-junit.
    let junit = quick_junit::Report::deserialize_from_str(&read("cloneabi.junit.xml"))
        .expect("valid JUnit");
    assert_eq!(junit.tests, cases);
    assert_eq!(junit.failures, 0);

    // KCIDB, against the v5.3 schema.
    let kcidb: serde_json::Value = serde_json::from_str(&read("cloneabi.kcidb.json")).unwrap();
    let errs = kcidb_validator::errors(&kcidb_validator::validator(), &kcidb);
    assert!(errs.is_empty(), "{errs:#?}");

    // JSON, loaded by the report reader; then the diff gate.
    let json = out.join("cloneabi.json");
    let report = cloneabi_report::json::load(&json).expect("valid report");
    assert_eq!(report.runs[0].results.len(), cases);
    let same = cloneabi(&["diff", json.to_str().unwrap(), json.to_str().unwrap()]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );

    let mut regressed = report.clone();
    let victim = regressed.runs[0]
        .results
        .iter_mut()
        .find(|r| r.verdict == cloneabi_suites::verdict::Verdict::Pass)
        .unwrap();
    victim.verdict = cloneabi_suites::verdict::Verdict::Fail;
    victim.observed_outcome = "EINVAL".into();
    let bad = dir.path().join("regressed.json");
    cloneabi_report::json::save(&regressed, &bad).unwrap();
    let gate = cloneabi(&["diff", json.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(
        gate.status.code(),
        Some(1),
        "an injected regression must fail the gate"
    );
    assert!(String::from_utf8_lossy(&gate.stdout).contains(&victim_id(&regressed)));
}

fn victim_id(r: &cloneabi_report::model::Report) -> String {
    r.runs[0]
        .results
        .iter()
        .find(|x| x.verdict == cloneabi_suites::verdict::Verdict::Fail)
        .unwrap()
        .case
        .clone()
}

#[test]
fn bad_input_is_a_usage_error_naming_the_problem() {
    let bad_format = cloneabi(&["run", "--format", "tap"]);
    assert_eq!(bad_format.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad_format.stderr).contains("invalid value 'tap' for '--format")
    );
    let missing = cloneabi(&["diff", "/nonexistent/base.json", "/nonexistent/cur.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/base.json"));
    let arch = cloneabi(&["abi", "--arch", "mips"]);
    assert_eq!(arch.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&arch.stderr).contains("powerpc64le"));
}
