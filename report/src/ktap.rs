//! KTAP version 1 output (Documentation/dev-tools/ktap.rst).
//!
//! ```text
//! KTAP version 1
//! 1..<runs>
//!   KTAP version 1
//!   # Subtest: <arch>.<runner>.<kernel>
//!   1..<cases>
//!   ok 1 <case id>
//!   # expected: <expected>
//!   # observed: <observed>
//!   # reason: <reason>
//!   not ok 2 <case id>
//!   ok 3 <case id> # SKIP <reason>
//!   not ok 4 <case id> # ERROR <reason>
//!   not ok 5 <case id> # TIMEOUT <reason>
//! # <run findings and run error>
//! not ok 1 <arch>.<runner>.<kernel>
//!   KTAP version 1
//!   # Subtest: fuzz.<arch>.<runner>.<kernel>
//!   1..<divergences>
//!   # signature: <signature>
//!   # classification: <kernel | model | emulator-or-sandbox>
//!   # basis: <why>
//!   # <result | check>: expected <expected>, observed <observed>
//!   # shrunk: <n> non-default field(s), <confirmation>
//!   not ok 1 fuzz.<seed>.<index>
//!   # seed <seed>, <n> cases, <m> divergent, <k> distinct
//!   ok 2 batches                       (not ok ... # ERROR <why> when a batch broke)
//! not ok 2 fuzz.<arch>.<runner>.<kernel>
//! ```
//!
//! A fuzz campaign ([`crate::campaign`]) is one more block after the runs: a failing test
//! per divergence, a last test for its batches, and the campaign itself ok when nothing
//! diverged and no batch broke.
//!
//! Descriptions are case ids and run keys only (no pids, addresses or times); `#` and line
//! breaks in any text are replaced so every line stays one KTAP line.

use crate::campaign::Campaign;
use crate::model::{CaseResult, Report, Run};
use cloneabi_suites::verdict::Verdict;
use std::fmt::Write;

/// The whole report as KTAP: one subtest block per run.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    out.push_str("KTAP version 1\n");
    let _ = writeln!(out, "1..{}", report.runs.len() + report.campaigns.len());
    for (i, run) in report.runs.iter().enumerate() {
        render_run(&mut out, run, i + 1);
    }
    for (i, campaign) in report.campaigns.iter().enumerate() {
        render_campaign(&mut out, campaign, report.runs.len() + i + 1);
    }
    out
}

fn render_campaign(out: &mut String, c: &Campaign, number: usize) {
    let key = description(&c.key());
    out.push_str("  KTAP version 1\n");
    let _ = writeln!(out, "  # Subtest: {key}");
    let _ = writeln!(out, "  1..{}", c.divergences.len() + 1);
    for (i, d) in c.divergences.iter().enumerate() {
        let _ = writeln!(out, "  # signature: {}", one_line(&d.signature));
        let _ = writeln!(out, "  # classification: {}", d.classification);
        let _ = writeln!(out, "  # basis: {}", one_line(&d.basis));
        for f in &d.fields {
            let _ = writeln!(
                out,
                "  # {}: expected {}, observed {}",
                description(&f.field),
                one_line(&f.expected),
                one_line(&f.observed)
            );
        }
        let confirmation = match d.shrunk_confirmed {
            Some(true) => "shrunk, and its confirming run diverges the same way",
            Some(false) => "shrunk, but its confirming run did NOT reproduce it",
            None => "not shrunk",
        };
        let _ = writeln!(
            out,
            "  # shrunk: {} non-default field(s), {confirmation}",
            d.non_default_fields
        );
        if let Some(s) = &d.second_run {
            let _ = writeln!(
                out,
                "  # second run: {}: {} {}",
                one_line(&s.kernel),
                s.verdict,
                one_line(&s.observed)
            );
        }
        let _ = writeln!(out, "  not ok {} {}", i + 1, description(&d.case));
    }
    // The batches themselves: ok unless one broke, so a campaign without divergences
    // still has a test (a KTAP parser reads an empty plan as "no tests run").
    let _ = writeln!(
        out,
        "  # seed {}, {} cases, {} divergent, {} distinct",
        c.seed,
        c.cases,
        c.divergent_cases,
        c.divergences.len()
    );
    let batches = c.divergences.len() + 1;
    match c.run_errors.first() {
        Some(e) => {
            for e in &c.run_errors[1..] {
                let _ = writeln!(out, "  # run error: {}", one_line(e));
            }
            let _ = writeln!(out, "  not ok {batches} batches # ERROR {}", one_line(e));
        }
        None => {
            let _ = writeln!(out, "  ok {batches} batches");
        }
    }
    let _ = writeln!(out, "{} {number} {key}", result_word(!c.is_bad()));
}

fn render_run(out: &mut String, run: &Run, number: usize) {
    let key = description(&run.key());
    out.push_str("  KTAP version 1\n");
    let _ = writeln!(out, "  # Subtest: {key}");
    let _ = writeln!(out, "  1..{}", run.results.len());
    for (i, case) in run.results.iter().enumerate() {
        render_case(out, case, i + 1);
    }
    for finding in &run.findings {
        let _ = writeln!(out, "# finding: {}", one_line(finding));
    }
    let counts = run.counts();
    let (ok, directive) = if let Some(err) = &run.error {
        (false, format!(" # ERROR {}", one_line(err)))
    } else if run.results.iter().any(CaseResult::is_bad) {
        (false, String::new())
    } else if counts.total() > 0 && counts.skip == counts.total() {
        (true, " # SKIP every case skipped".to_string())
    } else {
        (true, String::new())
    };
    let _ = writeln!(
        out,
        "# {key}: pass:{} fail:{} skip:{} error:{}",
        counts.pass, counts.fail, counts.skip, counts.error
    );
    let _ = writeln!(out, "{} {number} {key}{directive}", result_word(ok));
}

fn render_case(out: &mut String, case: &CaseResult, number: usize) {
    let desc = description(&case.case);
    let reason = one_line(&case.reason);
    if case.is_bad() {
        let _ = writeln!(out, "  # expected: {}", one_line(&case.expected));
        let _ = writeln!(out, "  # observed: {}", one_line(&case.observed));
    }
    if case.verdict == Verdict::Fail && !reason.is_empty() {
        // A diagnostic line, not "# <reason>" after the result: a reason starting with
        // "skip" or "error" would otherwise read as a directive.
        let _ = writeln!(out, "  # reason: {reason}");
    }
    let line = match case.verdict {
        Verdict::Pass => format!("ok {number} {desc}"),
        Verdict::Skip => format!("ok {number} {desc} # SKIP {reason}"),
        Verdict::Fail => format!("not ok {number} {desc}"),
        Verdict::Error if case.is_timeout() => format!("not ok {number} {desc} # TIMEOUT {reason}"),
        Verdict::Error => format!("not ok {number} {desc} # ERROR {reason}"),
    };
    let _ = writeln!(out, "  {}", line.trim_end());
}

fn result_word(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "not ok"
    }
}

/// A test description: no `#` (it would start a directive), no whitespace runs.
fn description(text: &str) -> String {
    let joined = one_line(text).replace('#', "_");
    joined.split_whitespace().collect::<Vec<_>>().join("_")
}

/// Text on one line: line breaks become " | ".
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ktap_parse::{parse, Directive};
    use crate::sample::sample_report;

    #[test]
    fn starts_with_version_and_plan() {
        let r = sample_report();
        let text = render(&r);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("KTAP version 1"));
        assert_eq!(lines.next(), Some(format!("1..{}", r.runs.len()).as_str()));
        assert_eq!(lines.next(), Some("  KTAP version 1"));
    }

    #[test]
    fn parser_counts_every_result() {
        let r = sample_report();
        let doc = parse(&render(&r));
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        assert_eq!(doc.root.plan, Some(r.runs.len()));
        assert_eq!(doc.root.tests.len(), r.runs.len());
        assert!(doc.root.check().is_empty(), "{:?}", doc.root.check());
        for (run, test) in r.runs.iter().zip(&doc.root.tests) {
            assert_eq!(test.description, run.key());
            let sub = test.subtests.as_ref().expect("nested block");
            assert_eq!(sub.plan, Some(run.results.len()));
            assert_eq!(sub.tests.len(), run.results.len());
            assert_eq!(test.ok, !run.is_bad(), "{}", run.key());
            for (case, t) in run.results.iter().zip(&sub.tests) {
                assert_eq!(t.description, case.case);
                assert_eq!(t.ok, !case.is_bad(), "{}", case.case);
                let want = match case.verdict {
                    Verdict::Skip => Some(Directive::Skip),
                    Verdict::Error if case.is_timeout() => Some(Directive::Timeout),
                    Verdict::Error => Some(Directive::Error),
                    _ => None,
                };
                assert_eq!(t.directive, want, "{}", case.case);
                if case.is_bad() {
                    assert!(t.diagnostics.iter().any(|d| d.starts_with("expected: ")));
                    assert!(t.diagnostics.iter().any(|d| d.starts_with("observed: ")));
                } else {
                    assert!(!t.diagnostics.iter().any(|d| d.starts_with("expected: ")));
                }
            }
        }
    }

    #[test]
    fn hashes_and_newlines_cannot_break_lines() {
        let mut r = sample_report();
        r.runs.truncate(1);
        r.runs[0].results.truncate(1);
        let c = &mut r.runs[0].results[0];
        c.case = "clone3.weird#case".into();
        c.verdict = Verdict::Fail;
        c.reason = "SKIP line one\nnot ok 99 injected".into();
        c.observed = "a\n# b".into();
        let text = render(&r);
        let doc = parse(&text);
        let sub = doc.root.tests[0].subtests.as_ref().unwrap();
        assert_eq!(sub.tests.len(), 1, "{text}");
        assert_eq!(sub.tests[0].description, "clone3.weird_case");
        assert!(!sub.tests[0].ok);
        assert_eq!(
            sub.tests[0].directive, None,
            "a FAIL reason read as a directive"
        );
        assert!(doc.root.check().is_empty(), "{:?}", doc.root.check());
    }

    #[test]
    fn deterministic_output_without_times() {
        let r = sample_report();
        assert_eq!(render(&r), render(&r));
        let mut slower = r.clone();
        for run in &mut slower.runs {
            run.wall_time_ms += 1234;
            for c in &mut run.results {
                c.duration_us += 99;
            }
        }
        assert_eq!(render(&r), render(&slower), "times leaked into KTAP");
    }

    #[test]
    fn run_error_fails_the_parent_and_all_skipped_skips_it() {
        let mut r = sample_report();
        r.runs.truncate(2);
        r.runs[0]
            .results
            .iter_mut()
            .for_each(|c| c.verdict = Verdict::Pass);
        r.runs[0].error = Some("boot failed".into());
        r.runs[1]
            .results
            .iter_mut()
            .for_each(|c| c.verdict = Verdict::Skip);
        let doc = parse(&render(&r));
        assert!(!doc.root.tests[0].ok);
        assert_eq!(doc.root.tests[0].directive, Some(Directive::Error));
        assert!(doc.root.tests[1].ok);
        assert_eq!(doc.root.tests[1].directive, Some(Directive::Skip));
    }

    #[test]
    fn a_campaign_is_a_block_with_one_failing_test_per_divergence() {
        let mut r = sample_report();
        r.runs.truncate(1);
        let c = crate::sample::sample_campaign();
        r.campaigns.push(c.clone());
        let text = render(&r);
        let doc = parse(&text);
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        assert!(doc.root.check().is_empty(), "{:?}", doc.root.check());
        assert_eq!(doc.root.plan, Some(2));
        let block = &doc.root.tests[1];
        assert_eq!(block.description, c.key());
        assert!(!block.ok);
        let sub = block.subtests.as_ref().unwrap();
        assert_eq!(sub.plan, Some(c.divergences.len() + 1));
        assert_eq!(sub.tests.len(), c.divergences.len() + 1, "{text}");
        assert!(sub.tests.last().unwrap().ok);
        for (d, t) in c.divergences.iter().zip(&sub.tests) {
            assert_eq!(t.description, d.case);
            assert!(!t.ok);
            let has = |line: String| t.diagnostics.contains(&line);
            assert!(
                has(format!("classification: {}", d.classification)),
                "{:?}",
                t.diagnostics
            );
            assert!(has(format!("basis: {}", d.basis)), "{:?}", t.diagnostics);
            let f = &d.fields[0];
            assert!(has(format!(
                "{}: expected {}, observed {}",
                f.field, f.expected, f.observed
            )));
        }
        // Nothing diverged: an ok campaign whose one test is its batches.
        r.campaigns[0].divergences.clear();
        let doc = parse(&render(&r));
        assert!(doc.root.check().is_empty(), "{:?}", doc.root.check());
        assert!(doc.root.tests[1].ok);
        let sub = doc.root.tests[1].subtests.as_ref().unwrap();
        assert_eq!(sub.tests.len(), 1);
        assert!(sub.tests[0].ok);
        // A broken batch fails the campaign with an ERROR directive.
        r.campaigns[0]
            .run_errors
            .push("fuzz.42.0: the guest hung".into());
        let doc = parse(&render(&r));
        assert!(!doc.root.tests[1].ok);
        let sub = doc.root.tests[1].subtests.as_ref().unwrap();
        assert_eq!(sub.tests[0].directive, Some(Directive::Error));
    }

    #[test]
    fn empty_run_has_an_empty_plan() {
        let mut r = sample_report();
        r.runs.truncate(1);
        r.runs[0].results.clear();
        let text = render(&r);
        assert!(text.contains("\n  1..0\n"), "{text}");
        assert!(parse(&text).root.check().is_empty());
    }
}
