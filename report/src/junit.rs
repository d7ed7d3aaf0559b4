//! JUnit XML (via quick-junit): one `<testsuite>` per run, one `<testcase>` per case.
//!
//! - testsuite name and every testcase classname: `<arch>.<runner>.<kernel>` ([`Run::key`]);
//! - testcase name: the case id; time: the case duration;
//! - FAIL → `<failure>` with message "expected X, observed Y" and a description holding
//!   expected, observed, reason and log; ERROR → `<error>` (type "timeout", "lost" or
//!   "error"); SKIP → `<skipped message=reason>`;
//! - a run that broke gets one extra `<testcase name="run">` with an `<error>` carrying the
//!   run error and console excerpt, so CI shows it even when no case failed;
//! - suite properties: qemu, payload build id, findings;
//! - a fuzz campaign ([`crate::campaign`]) is one more `<testsuite>` named by its key, with
//!   one `<failure>` testcase per divergence (named by its case id, type "divergence",
//!   properties `classification`, `basis`, `signature`, `seed`, `case_index`), and a
//!   testcase "batches" that errors when a batch broke.

use crate::campaign::{Campaign, Divergence};
use crate::model::{CaseResult, Report, Run};
use cloneabi_suites::verdict::Verdict;
use quick_junit::{
    NonSuccessKind, Property, Report as JReport, TestCase, TestCaseStatus, TestSuite,
};
use std::time::Duration;

/// The report as JUnit XML.
pub fn render(report: &Report) -> String {
    to_junit(report)
        .to_string()
        .expect("quick-junit serialises into a String")
}

/// The quick-junit model of the report.
pub fn to_junit(report: &Report) -> JReport {
    let mut out = JReport::new("cloneabi");
    let timestamp = chrono::DateTime::parse_from_rfc3339(&report.created).ok();
    let mut total = Duration::ZERO;
    for run in &report.runs {
        let suite = suite(run, timestamp);
        total += Duration::from_millis(run.wall_time_ms);
        out.add_test_suite(suite);
    }
    for c in &report.campaigns {
        total += Duration::from_millis(c.wall_time_ms);
        out.add_test_suite(campaign_suite(c, timestamp));
    }
    out.set_time(total);
    if let Some(ts) = timestamp {
        out.set_timestamp(ts);
    }
    out
}

fn suite(run: &Run, timestamp: Option<chrono::DateTime<chrono::FixedOffset>>) -> TestSuite {
    let key = run.key();
    let mut suite = TestSuite::new(key.clone());
    suite.set_time(Duration::from_millis(run.wall_time_ms));
    if let Some(ts) = timestamp {
        suite.set_timestamp(ts);
    }
    suite.add_property(Property::new("arch", run.arch.name()));
    suite.add_property(Property::new("runner", run.runner.as_str()));
    suite.add_property(Property::new("kernel", run.kernel.release.as_str()));
    suite.add_property(Property::new(
        "payload_build_id",
        run.payload_build_id.as_str(),
    ));
    if let Some(q) = &run.qemu {
        suite.add_property(Property::new("qemu", format!("{} {}", q.binary, q.version)));
        if let Some(m) = &q.machine {
            suite.add_property(Property::new("qemu_machine", m.as_str()));
        }
        if let Some(a) = &q.accelerator {
            suite.add_property(Property::new("qemu_accelerator", a.as_str()));
        }
    }
    for f in &run.findings {
        suite.add_property(Property::new("finding", xml_text(f)));
    }
    for case in &run.results {
        suite.add_test_case(test_case(case, &key));
    }
    if let Some(err) = &run.error {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_type("run");
        status.set_message(xml_text(err));
        let mut description = format!("run error: {err}");
        if let Some(console) = &run.console_excerpt {
            description.push_str("\n\nconsole:\n");
            description.push_str(console);
        }
        status.set_description(xml_text(&description));
        let mut tc = TestCase::new("run", status);
        tc.set_classname(key.as_str());
        suite.add_test_case(tc);
    }
    if let Some(console) = &run.console_excerpt {
        suite.set_system_out_lossy(console.as_bytes());
    }
    suite
}

fn campaign_suite(
    c: &Campaign,
    timestamp: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> TestSuite {
    let key = c.key();
    let mut suite = TestSuite::new(key.clone());
    suite.set_time(Duration::from_millis(c.wall_time_ms));
    if let Some(ts) = timestamp {
        suite.set_timestamp(ts);
    }
    suite.add_property(Property::new("arch", c.arch.name()));
    suite.add_property(Property::new("runner", c.runner.as_str()));
    suite.add_property(Property::new("kernel", c.kernel.release.as_str()));
    suite.add_property(Property::new("seed", c.seed.to_string()));
    suite.add_property(Property::new("cases", c.cases.to_string()));
    suite.add_property(Property::new(
        "divergent_cases",
        c.divergent_cases.to_string(),
    ));
    for d in &c.divergences {
        suite.add_test_case(divergence_case(d, &key));
    }
    let status = match c.run_errors.first() {
        None => TestCaseStatus::success(),
        Some(first) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_type("run");
            s.set_message(xml_text(first));
            s.set_description(xml_text(&c.run_errors.join("\n")));
            s
        }
    };
    let mut tc = TestCase::new("batches", status);
    tc.set_classname(key.as_str());
    tc.set_system_out(xml_text(&format!(
        "seed {}: {} cases, {} divergent, {} distinct",
        c.seed,
        c.cases,
        c.divergent_cases,
        c.divergences.len()
    )));
    suite.add_test_case(tc);
    suite
}

fn divergence_case(d: &Divergence, classname: &str) -> TestCase {
    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
    s.set_type("divergence");
    s.set_message(xml_text(&format!(
        "{}: expected {}, observed {} ({})",
        d.verdict, d.expected, d.observed, d.classification
    )));
    let mut text = format!(
        "classification: {}\nbasis: {}\nsignature: {}\n",
        d.classification, d.basis, d.signature
    );
    for f in &d.fields {
        text.push_str(&format!(
            "{}: expected {}, observed {}\n",
            f.field, f.expected, f.observed
        ));
    }
    text.push_str(&format!(
        "shrunk case: {} non-default field(s){}\n",
        d.non_default_fields,
        match d.shrunk_confirmed {
            Some(true) => ", confirmed",
            Some(false) => ", NOT confirmed on its confirming run",
            None => " (not shrunk)",
        }
    ));
    if let Some(r) = &d.second_run {
        text.push_str(&format!(
            "second run: {}: {} {}\n",
            r.kernel, r.verdict, r.observed
        ));
    }
    text.push_str(&format!("\ncatalog entry:\n{}\n", d.catalog_entry));
    match (&d.c_reproducer, &d.no_c_reproducer) {
        (Some(c), _) => text.push_str(&format!("\nC reproducer:\n{c}\n")),
        (None, Some(why)) => text.push_str(&format!("\nno C reproducer: {why}\n")),
        (None, None) => {}
    }
    if let Some(console) = &d.console_excerpt {
        text.push_str(&format!("\nconsole:\n{console}\n"));
    }
    s.set_description(xml_text(&text));
    let mut tc = TestCase::new(xml_text(&d.case), s);
    tc.set_classname(classname);
    tc.add_property(Property::new("classification", d.classification.as_str()));
    tc.add_property(Property::new("basis", xml_text(&d.basis)));
    tc.add_property(Property::new("signature", xml_text(&d.signature)));
    tc.add_property(Property::new("seed", d.seed.to_string()));
    tc.add_property(Property::new("case_index", d.case_index.to_string()));
    if let Some(console) = &d.console_excerpt {
        tc.set_system_out_lossy(console.as_bytes());
    }
    tc
}

fn test_case(case: &CaseResult, classname: &str) -> TestCase {
    let status = match case.verdict {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Skip => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(xml_text(&case.reason));
            s
        }
        Verdict::Fail | Verdict::Error => {
            let kind = if case.verdict == Verdict::Fail {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut s = TestCaseStatus::non_success(kind);
            s.set_message(xml_text(&format!(
                "expected {}, observed {}",
                case.expected, case.observed
            )));
            let ty = match case.verdict {
                Verdict::Fail => "mismatch",
                _ if case.is_timeout() => "timeout",
                _ if case.is_lost() => "lost",
                _ => "error",
            };
            s.set_type(ty);
            let mut d = format!(
                "expected: {}\nobserved: {}\nexpected outcome: {}\nobserved outcome: {}",
                case.expected, case.observed, case.expected_outcome, case.observed_outcome
            );
            if !case.reason.is_empty() {
                d.push_str(&format!("\nreason: {}", case.reason));
            }
            if let Some(log) = &case.log {
                d.push_str("\n\nlog:\n");
                d.push_str(log);
            }
            s.set_description(xml_text(&d));
            s
        }
    };
    let mut tc = TestCase::new(xml_text(&case.case), status);
    tc.set_classname(classname);
    tc.set_time(Duration::from_micros(case.duration_us));
    if let Some(log) = &case.log {
        tc.set_system_out_lossy(log.as_bytes());
    }
    tc
}

/// Text without the characters XML 1.0 cannot hold even escaped (C0 controls other than
/// tab, LF and CR; U+FFFE, U+FFFF): quick-junit escapes markup but keeps those.
fn xml_text(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_report;
    use quick_junit::TestCaseStatus as S;

    #[test]
    fn reads_back_with_the_right_counts() {
        let r = sample_report();
        let xml = render(&r);
        let back = JReport::deserialize_from_str(&xml).expect("valid JUnit XML");
        assert_eq!(back.test_suites.len(), r.runs.len());
        let broken_runs = r.runs.iter().filter(|run| run.error.is_some()).count();
        let all: Vec<&CaseResult> = r.runs.iter().flat_map(|x| &x.results).collect();
        let n = |v: Verdict| all.iter().filter(|c| c.verdict == v).count();
        assert_eq!(back.tests, all.len() + broken_runs);
        assert_eq!(back.failures, n(Verdict::Fail));
        assert_eq!(back.errors, n(Verdict::Error) + broken_runs);
        assert_eq!(back.skipped, n(Verdict::Skip));
        for (run, suite) in r.runs.iter().zip(&back.test_suites) {
            assert_eq!(suite.name.as_str(), run.key());
            let c = run.counts();
            assert_eq!(suite.failures, c.fail, "{}", run.key());
            assert_eq!(suite.skipped, c.skip, "{}", run.key());
            for (case, tc) in run.results.iter().zip(&suite.test_cases) {
                assert_eq!(tc.name.as_str(), case.case);
                assert_eq!(
                    tc.classname.as_ref().map(|s| s.as_str()),
                    Some(run.key().as_str())
                );
                // JUnit times have millisecond resolution.
                let t = tc.time.unwrap().as_secs_f64();
                assert!((t - case.duration_us as f64 / 1e6).abs() <= 0.0005, "{t}");
            }
        }
    }

    #[test]
    fn failures_carry_expected_and_observed_and_skips_their_reason() {
        let r = sample_report();
        let back = JReport::deserialize_from_str(&render(&r)).unwrap();
        let cases: Vec<(&CaseResult, &TestCase)> = r
            .runs
            .iter()
            .zip(&back.test_suites)
            .flat_map(|(run, s)| run.results.iter().zip(&s.test_cases))
            .collect();
        let mut seen = (0, 0, 0);
        for (case, tc) in cases {
            match (&tc.status, case.verdict) {
                (
                    S::NonSuccess {
                        kind,
                        message,
                        description,
                        ty,
                        ..
                    },
                    v,
                ) => {
                    let message = message.as_ref().unwrap().as_str();
                    let description = description.as_ref().unwrap().as_str();
                    assert!(message.contains(&case.expected) && message.contains(&case.observed));
                    assert!(description.contains(&format!("observed: {}", case.observed)));
                    if v == Verdict::Fail {
                        assert_eq!(*kind, NonSuccessKind::Failure);
                        seen.0 += 1;
                    } else {
                        assert_eq!(*kind, NonSuccessKind::Error);
                        if case.is_timeout() {
                            assert_eq!(ty.as_ref().unwrap().as_str(), "timeout");
                        }
                        seen.1 += 1;
                    }
                }
                (S::Skipped { message, .. }, Verdict::Skip) => {
                    assert_eq!(message.as_ref().unwrap().as_str(), case.reason);
                    seen.2 += 1;
                }
                (S::Success { .. }, Verdict::Pass) => {}
                (status, v) => panic!("{}: {v} became {status:?}", case.case),
            }
        }
        assert!(seen.0 > 0 && seen.1 > 0 && seen.2 > 0, "{seen:?}");
    }

    #[test]
    fn a_campaign_is_a_suite_with_a_failing_testcase_per_divergence() {
        let mut r = sample_report();
        r.runs.truncate(1);
        let c = crate::sample::sample_campaign();
        r.campaigns.push(c.clone());
        let back = JReport::deserialize_from_str(&render(&r)).expect("valid JUnit XML");
        assert_eq!(back.test_suites.len(), 2);
        let suite = &back.test_suites[1];
        assert_eq!(suite.name.as_str(), c.key());
        assert_eq!(suite.failures, c.divergences.len());
        assert_eq!(suite.test_cases.len(), c.divergences.len() + 1);
        for (d, tc) in c.divergences.iter().zip(&suite.test_cases) {
            assert_eq!(tc.name.as_str(), d.case);
            let prop = |name: &str| {
                tc.properties
                    .iter()
                    .find(|p| p.name.as_str() == name)
                    .map(|p| p.value.as_str().to_string())
            };
            assert_eq!(
                prop("classification").as_deref(),
                Some(d.classification.as_str())
            );
            assert_eq!(prop("basis").as_deref(), Some(d.basis.as_str()));
            match &tc.status {
                S::NonSuccess {
                    kind: NonSuccessKind::Failure,
                    description: Some(text),
                    ..
                } => {
                    assert!(text.as_str().contains(&d.catalog_entry));
                    assert!(text.as_str().contains(&format!(
                        "{}: expected {}",
                        d.fields[0].field, d.fields[0].expected
                    )));
                }
                other => panic!("{}: {other:?}", d.case),
            }
        }
        assert!(matches!(
            suite.test_cases.last().unwrap().status,
            S::Success { .. }
        ));
    }

    #[test]
    fn markup_in_text_is_escaped() {
        let mut r = sample_report();
        r.runs.truncate(1);
        r.runs[0].results[0].verdict = Verdict::Fail;
        r.runs[0].results[0].observed = "<b>&\"\u{1b}[31m".into();
        let xml = render(&r);
        let back = JReport::deserialize_from_str(&xml).unwrap();
        assert_eq!(back.failures, 1);
        assert!(!xml.contains("<b>"));
    }
}
