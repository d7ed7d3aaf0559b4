//! Model-driven differential testing: random cases of the same [`Case`] type the catalog
//! uses, predicted by the model, run by a runner, judged by the judge; a divergence is
//! shrunk to a small case that still diverges the same way.
//!
//! This module knows nothing of runners: an [`Executor`] runs a batch of cases and returns
//! one [`Outcome`] per case.

pub mod classify;
pub mod coverage;
pub mod gen;
pub mod render;
pub mod repro;
pub mod shrink;
pub mod steer;

pub use gen::{sanitize, Generator};
pub use steer::Steered;

use crate::case::Case;
use crate::verdict::Verdict;
use serde::{Deserialize, Serialize};

/// How one case came out, as the judge said it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub verdict: Verdict,
    /// The model's prediction, human-readable (an errno carries its rule in parentheses).
    pub expected: String,
    pub observed: String,
    pub reason: String,
    pub expected_outcome: String,
    pub observed_outcome: String,
    /// The case's log or its run's console excerpt, when it broke.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

/// One field on which the kernel and the model disagree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDiff {
    /// `result` (the call's outcome as a whole) or `check` (one property of a success).
    pub field: String,
    pub expected: String,
    pub observed: String,
}

impl Outcome {
    /// A FAIL, or an ERROR (a crash, a timeout, a lost record, a failed setup).
    pub fn diverges(&self) -> bool {
        matches!(self.verdict, Verdict::Fail | Verdict::Error)
    }

    /// What makes two divergences "the same": the verdict and both outcomes, and for a
    /// success whose checks broke, which checks (without their observed values).
    pub fn signature(&self) -> String {
        let checks: Vec<&str> = self
            .observed
            .strip_prefix("success, but ")
            .map(|rest| {
                rest.split("; ")
                    .map(|p| p.split(": observed").next().unwrap_or(p))
                    .map(|p| p.split(|c: char| c.is_ascii_digit()).next().unwrap_or(p))
                    .collect()
            })
            .unwrap_or_default();
        format!(
            "{} {} -> {} {}",
            self.verdict,
            self.expected_outcome,
            self.observed_outcome,
            checks.join(",")
        )
    }

    /// The fields that diverge: each broken check of a success the model predicted, else
    /// the result as a whole (an errno for a success, a crash for anything).
    pub fn diverging_fields(&self) -> Vec<FieldDiff> {
        if let Some(rest) = self.observed.strip_prefix("success, but ") {
            return rest
                .split("; ")
                .map(|part| {
                    let (check, seen) = part.split_once(": observed ").unwrap_or((part, "?"));
                    FieldDiff {
                        field: "check".into(),
                        expected: check.into(),
                        observed: seen.into(),
                    }
                })
                .collect();
        }
        vec![FieldDiff {
            field: "result".into(),
            expected: self.expected.clone(),
            observed: self.observed.clone(),
        }]
    }
}

/// Runs batches of cases somewhere (natively in the sandbox, in a guest, or a stand-in in
/// tests) and judges them.
pub trait Executor {
    fn run(&mut self, cases: &[Case]) -> Result<Vec<Outcome>, String>;

    /// The breaks (a guest's panic or hang) the runs since the last call recovered from by
    /// starting again after the case that broke, each as `<case id>: <what broke>`.
    fn take_breaks(&mut self) -> Vec<String> {
        Vec::new()
    }
}

/// How many members of the call and setup steps differ from a plain fork-like clone3 (the
/// catalog's starting point): the size of a shrunk program.
pub fn non_default_fields(case: &Case) -> usize {
    use crate::case::{Call, Clone3Call};
    let call = match &case.call {
        Call::Clone3(c) => {
            let d = Clone3Call::default();
            [
                c.flags != d.flags,
                c.pidfd != d.pidfd,
                c.child_tid != d.child_tid,
                c.parent_tid != d.parent_tid,
                c.exit_signal != d.exit_signal,
                c.stack != d.stack,
                c.stack_size != d.stack_size,
                c.tls != d.tls,
                c.set_tid != d.set_tid,
                c.cgroup != d.cgroup,
                c.size != d.size,
                c.args_at != d.args_at,
                c.tail != d.tail,
            ]
            .iter()
            .filter(|b| **b)
            .count()
        }
        Call::Legacy(l) => {
            1 + [
                l.flags != crate::flags::SIGCHLD,
                l.stack != crate::case::StackSpec::None,
                l.parent_tid != crate::case::Ptr::Null,
                l.child_tid != crate::case::Ptr::Null,
                l.tls != crate::case::Ptr::Null,
            ]
            .iter()
            .filter(|b| **b)
            .count()
        }
    };
    call + case.steps.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(expected: &str, observed: &str) -> Outcome {
        Outcome {
            verdict: Verdict::Fail,
            expected: expected.into(),
            observed: observed.into(),
            reason: String::new(),
            expected_outcome: String::new(),
            observed_outcome: String::new(),
            log: None,
        }
    }

    #[test]
    fn diverging_fields_are_the_broken_checks_or_the_result() {
        let o = outcome(
            "success: exit signal SIGCHLD; child pid 7",
            "success, but exit signal SIGCHLD: observed SIGUSR1; child pid 7: observed 8",
        );
        let f = o.diverging_fields();
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(
            (
                f[0].field.as_str(),
                f[0].expected.as_str(),
                f[0].observed.as_str()
            ),
            ("check", "exit signal SIGCHLD", "SIGUSR1")
        );
        assert_eq!(
            (f[1].expected.as_str(), f[1].observed.as_str()),
            ("child pid 7", "8")
        );
        let f = outcome("EFAULT (set_tid copied)", "EINVAL").diverging_fields();
        assert_eq!(
            f,
            vec![FieldDiff {
                field: "result".into(),
                expected: "EFAULT (set_tid copied)".into(),
                observed: "EINVAL".into()
            }]
        );
    }
}
