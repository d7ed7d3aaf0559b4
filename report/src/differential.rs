//! The differential: the same case compared across arches and across runners.
//!
//! Two comparisons, over one report (or several merged with [`Report::merged`]):
//! - **across arches**: same runner and kernel series (`major.minor` of the release), every
//!   arch that ran the case;
//! - **across runners**: same arch, every (runner, kernel) that ran the case.
//!
//! A group is listed when its `observed_outcome`s differ and the model does not explain the
//! difference. The model explains it when every member observed exactly what it expected
//! (then any two members that differ in observation differ the same way in expectation,
//! e.g. page size). Equivalently: a group is listed when the observations differ and at
//! least one member's observation differs from its expectation. SKIPs and results without an
//! `observed_outcome` take no part.

use crate::model::{CaseResult, Report, RunnerKind};
use cloneabi_arch::{Arch, KernelVersion};
use cloneabi_suites::verdict::Verdict;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// What a group holds constant.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "axis", rename_all = "snake_case")]
pub enum Axis {
    /// Same runner, same kernel series; arches vary.
    AcrossArches {
        runner: RunnerKind,
        kernel_series: String,
    },
    /// Same arch; runners (and their kernels) vary.
    AcrossRunners { arch: Arch },
}

impl Axis {
    pub fn describe(&self) -> String {
        match self {
            Axis::AcrossArches {
                runner,
                kernel_series,
            } => {
                format!("across arches ({} on {kernel_series})", runner.as_str())
            }
            Axis::AcrossRunners { arch } => format!("across runners ({arch})"),
        }
    }
}

/// One member of a group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Member {
    pub arch: Arch,
    pub runner: RunnerKind,
    pub kernel: String,
    pub verdict: Verdict,
    pub expected_outcome: String,
    pub observed_outcome: String,
}

impl Member {
    pub fn label(&self) -> String {
        format!("{}.{}.{}", self.arch, self.runner.as_str(), self.kernel)
    }

    pub fn as_expected(&self) -> bool {
        self.observed_outcome == self.expected_outcome
    }
}

/// A case whose observed outcome differs within a group without the model explaining it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    pub case: String,
    #[serde(flatten)]
    pub axis: Axis,
    pub members: Vec<Member>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Differential {
    pub entries: Vec<Entry>,
}

/// `major.minor` of a kernel release, or the release itself when it does not parse.
pub fn kernel_series(release: &str) -> String {
    match KernelVersion::parse_release(release) {
        Some(v) => format!("{}.{}", v.major, v.minor),
        None => release.to_string(),
    }
}

fn member(c: &CaseResult) -> Member {
    Member {
        arch: c.arch,
        runner: c.runner,
        kernel: c.kernel.clone(),
        verdict: c.verdict,
        expected_outcome: c.expected_outcome.clone(),
        observed_outcome: c.observed_outcome.clone(),
    }
}

fn unexplained(members: &[Member]) -> bool {
    let first = &members[0].observed_outcome;
    members.iter().any(|m| &m.observed_outcome != first) && members.iter().any(|m| !m.as_expected())
}

/// The differential of a report.
pub fn differential(report: &Report) -> Differential {
    let mut groups: BTreeMap<(String, Axis), Vec<Member>> = BTreeMap::new();
    for run in &report.runs {
        for c in &run.results {
            if c.verdict == Verdict::Skip || c.observed_outcome.is_empty() {
                continue;
            }
            let across_arches = Axis::AcrossArches {
                runner: run.runner,
                kernel_series: kernel_series(&run.kernel.release),
            };
            let across_runners = Axis::AcrossRunners { arch: run.arch };
            for axis in [across_arches, across_runners] {
                groups
                    .entry((c.case.clone(), axis))
                    .or_default()
                    .push(member(c));
            }
        }
    }
    let mut entries: Vec<Entry> = groups
        .into_iter()
        .filter(|(_, m)| m.len() > 1 && unexplained(m))
        .map(|((case, axis), mut members)| {
            members
                .sort_by(|a, b| (a.arch, a.runner, &a.kernel).cmp(&(b.arch, b.runner, &b.kernel)));
            Entry {
                case,
                axis,
                members,
            }
        })
        .collect();
    entries.sort_by(|a, b| (&a.case, &a.axis).cmp(&(&b.case, &b.axis)));
    Differential { entries }
}

impl Differential {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn to_markdown(&self) -> String {
        let mut out = String::from("## Differential\n\n");
        if self.entries.is_empty() {
            out.push_str("No unexplained differences across arches or runners.\n");
            return out;
        }
        out.push_str(
            "Cases whose observed outcome differs across arches or runners where the model \
             does not predict the difference.\n\n\
             | case | compared | where | expected | observed | verdict |\n\
             |---|---|---|---|---|---|\n",
        );
        for e in &self.entries {
            for (i, m) in e.members.iter().enumerate() {
                let (case, axis) = if i == 0 {
                    (format!("`{}`", crate::diff::md(&e.case)), e.axis.describe())
                } else {
                    (String::new(), String::new())
                };
                let mark = if m.as_expected() { "" } else { " **≠**" };
                let _ = writeln!(
                    out,
                    "| {case} | {axis} | {} | `{}` | `{}`{mark} | {} |",
                    crate::diff::md(&m.label()),
                    crate::diff::md(&m.expected_outcome),
                    crate::diff::md(&m.observed_outcome),
                    m.verdict
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_report;

    #[test]
    fn sample_lists_emulator_bugs_but_not_page_size() {
        let d = differential(&sample_report());
        let cases: Vec<(&str, String)> = d
            .entries
            .iter()
            .map(|e| (e.case.as_str(), e.axis.describe()))
            .collect();
        // s390x qemu-user SIGSEGV: against other arches under qemu-user, and against
        // qemu-system on s390x.
        assert!(
            cases.contains(&(
                "clone3.tls.settls",
                "across arches (qemu-user on 6.12)".into()
            )),
            "{cases:#?}"
        );
        assert!(
            cases.contains(&("clone3.tls.settls", "across runners (s390x)".into())),
            "{cases:#?}"
        );
        assert!(
            cases.contains(&("clone3.stack.zero_size", "across runners (aarch64)".into())),
            "{cases:#?}"
        );
        // 8k size differs on 64K-page ppc64le, as the model predicts: not listed.
        assert!(
            !cases.iter().any(|(c, _)| *c == "clone3.size.8k"),
            "{cases:#?}"
        );
        // Skips are not observations.
        assert!(
            !cases.iter().any(|(c, _)| *c == "clone3.set_tid.nested"),
            "{cases:#?}"
        );
        let md = d.to_markdown();
        assert!(md.contains("killed:SIGSEGV") && md.contains("**≠**"));
    }

    #[test]
    fn unexplained_difference_in_the_model_is_listed() {
        let mut r = sample_report();
        // ppc64le observes E2BIG for 8k although the model expects ok on 64K pages.
        let c = r
            .runs
            .iter_mut()
            .find(|x| x.arch == Arch::Powerpc64le)
            .unwrap()
            .results
            .iter_mut()
            .find(|c| c.case == "clone3.size.8k")
            .unwrap();
        c.observed_outcome = "E2BIG".into();
        // Observation now equal to x86_64's but not to the model: no *difference* across
        // arches under qemu-system 6.12... except against aarch64/s390x which also say E2BIG.
        let d = differential(&r);
        assert!(
            !d.entries.iter().any(|e| e.case == "clone3.size.8k"),
            "{:#?}",
            d.entries
        );
        c_set(&mut r, Arch::Powerpc64le, "clone3.size.8k", "EFAULT");
        let d = differential(&r);
        let e = d
            .entries
            .iter()
            .find(|e| e.case == "clone3.size.8k")
            .expect("listed");
        assert!(matches!(
            e.axis,
            Axis::AcrossArches {
                runner: RunnerKind::QemuSystem,
                ..
            }
        ));
        assert!(e
            .members
            .iter()
            .any(|m| m.arch == Arch::Powerpc64le && !m.as_expected()));
    }

    fn c_set(r: &mut Report, arch: Arch, case: &str, observed: &str) {
        for run in r.runs.iter_mut().filter(|x| x.arch == arch) {
            for c in run.results.iter_mut().filter(|c| c.case == case) {
                c.observed_outcome = observed.into();
            }
        }
    }

    #[test]
    fn kernel_series_and_empty_markdown() {
        assert_eq!(kernel_series("6.12.90+deb13.1-amd64"), "6.12");
        assert_eq!(kernel_series("weird"), "weird");
        let mut r = sample_report();
        r.runs.truncate(1);
        let d = differential(&r);
        assert!(d.is_empty());
        assert!(d.to_markdown().contains("No unexplained"));
    }
}
