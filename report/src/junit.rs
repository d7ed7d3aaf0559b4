//! JUnit XML (via quick-junit): one `<testsuite>` per run, one `<testcase>` per case.
//!
//! - testsuite name and every testcase classname: `<arch>.<runner>.<kernel>` ([`Run::key`]);
//! - testcase name: the case id; time: the case duration;
//! - FAIL → `<failure>` with message "expected X, observed Y" and a description holding
//!   expected, observed, reason and log; ERROR → `<error>` (type "timeout", "lost" or
//!   "error"); SKIP → `<skipped message=reason>`;
//! - a run that broke gets one extra `<testcase name="run">` with an `<error>` carrying the
//!   run error and console excerpt, so CI shows it even when no case failed;
//! - suite properties: qemu, payload build id, findings.

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
