//! Runs the whole suite natively and prints every non-passing case (a development aid).

use cloneabi_runners::session::{run_native, NativeRun};
use cloneabi_suites::verdict::Verdict;
use std::time::Duration;

fn main() {
    let secs = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    let filter = std::env::args().nth(2).unwrap_or_default();
    let cases: Vec<_> = cloneabi_suites::catalog::all_cases()
        .into_iter()
        .filter(|c| c.id.contains(&filter))
        .collect();
    let mut opts = NativeRun::default();
    opts.sandbox.timeout = Duration::from_secs(secs);
    let run = run_native(&cases, &opts).expect("start");
    let mut counts = std::collections::BTreeMap::new();
    for r in &run.results {
        *counts.entry(r.verdict).or_insert(0) += 1;
        if r.verdict != Verdict::Pass {
            println!(
                "{} {} | exp {} | obs {} | {}",
                r.verdict, r.case, r.expected_outcome, r.observed_outcome, r.reason
            );
        }
    }
    println!(
        "{counts:?} error={:?} findings={:?} wall={}ms",
        run.error, run.findings, run.wall_time_ms
    );
    if run.error.is_some() {
        println!(
            "--- console ---\n{}",
            run.console_excerpt.unwrap_or_default()
        );
    }
}
