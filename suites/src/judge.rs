//! Judging: an expectation against an observation gives a verdict, with texts a person and a
//! diff tool can both use (no pids or addresses unless something failed).

use crate::errno;
use crate::model::Expectation;
use crate::observation::{ChildEnd, EnvReport, Observation};
use crate::verdict::Verdict;

/// The verdict and its explanation for one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    pub verdict: Verdict,
    pub expected: String,
    pub observed: String,
    pub reason: String,
    pub expected_outcome: String,
    pub observed_outcome: String,
}

/// Why clone3 cannot be judged in this environment, if it cannot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clone3Gap {
    /// A seccomp filter answers clone3 instead of the kernel.
    MaskedBySeccomp { errno: i32 },
    /// The emulator (qemu-user) does not implement clone3.
    EmulatorLacksClone3,
}

impl Clone3Gap {
    pub fn finding(&self) -> String {
        match self {
            Clone3Gap::MaskedBySeccomp { errno } => format!(
                "clone3 is masked by a seccomp filter (Seccomp: 2, the probe clone3(NULL, 0) got {} instead of \
                 the kernel's EINVAL): the environment, not the kernel, refuses clone3",
                errno::name(*errno)
            ),
            Clone3Gap::EmulatorLacksClone3 => "qemu-user lacks clone3 (every call answers ENOSYS)".into(),
        }
    }
}

/// Classifies the payload's clone3 probe: the kernel answers `clone3(NULL, 0)` with EINVAL
/// (size below VER0); anything else while a kernel with clone3 runs is not the kernel.
pub fn clone3_gap(
    env: &EnvReport,
    kernel_has_clone3: bool,
    under_qemu_user: bool,
) -> Option<Clone3Gap> {
    if env.clone3_probe_errno == errno::EINVAL || !kernel_has_clone3 {
        return None;
    }
    if env.seccomp_mode == 2 {
        return Some(Clone3Gap::MaskedBySeccomp {
            errno: env.clone3_probe_errno,
        });
    }
    if under_qemu_user && env.clone3_probe_errno == errno::ENOSYS {
        return Some(Clone3Gap::EmulatorLacksClone3);
    }
    None
}

/// What happened, canonically: "ok", an errno name, "killed:SIG…", "timeout", "setup-failed".
pub fn observed_outcome(obs: &Observation) -> String {
    if obs.timed_out {
        return "timeout".into();
    }
    if obs.setup_failed.is_some() {
        return "setup-failed".into();
    }
    if obs.ret < 0 {
        return errno::name(obs.errno);
    }
    match obs.child_end {
        Some(ChildEnd::Killed(sig)) => format!("killed:{}", errno::signal_name(sig)),
        _ => "ok".into(),
    }
}

fn describe_observation(obs: &Observation) -> String {
    if obs.timed_out {
        return "timed out".into();
    }
    if let Some((step, e)) = obs.setup_failed {
        return format!("setup step {step} failed with {}", errno::name(e));
    }
    if obs.ret < 0 {
        return errno::name(obs.errno);
    }
    match obs.child_end {
        Some(ChildEnd::Killed(sig)) => format!(
            "success, then the child was killed by {}",
            errno::signal_name(sig)
        ),
        _ => "success".into(),
    }
}

/// Judges one case. `gap` overrides clone3 cases when the environment hides the kernel.
pub fn judge(
    expectation: &Expectation,
    obs: &Observation,
    is_clone3: bool,
    gap: Option<&Clone3Gap>,
) -> Judgement {
    let expected = expectation.describe();
    let expected_outcome = expectation.outcome();
    let observed_outcome = observed_outcome(obs);
    let mut j = Judgement {
        verdict: Verdict::Pass,
        expected,
        observed: describe_observation(obs),
        reason: String::new(),
        expected_outcome,
        observed_outcome,
    };
    if let (true, Some(gap)) = (is_clone3, gap) {
        j.verdict = match gap {
            Clone3Gap::MaskedBySeccomp { .. } => Verdict::Error,
            Clone3Gap::EmulatorLacksClone3 => Verdict::Skip,
        };
        j.reason = gap.finding();
        return j;
    }
    if let Expectation::Skip { reason } = expectation {
        j.verdict = Verdict::Skip;
        j.reason = reason.clone();
        return j;
    }
    if obs.timed_out {
        j.verdict = Verdict::Error;
        j.reason = "timeout: the case did not finish in time and was killed".into();
        return j;
    }
    if let Some((step, e)) = obs.setup_failed {
        j.verdict = Verdict::Error;
        j.reason = format!(
            "the case's setup failed at step {step} with {}",
            errno::name(e)
        );
        return j;
    }
    match expectation {
        Expectation::Errno { errno: want, .. } => {
            if obs.ret >= 0 || obs.errno != *want {
                j.verdict = Verdict::Fail;
                j.reason = format!("expected {}, observed {}", errno::name(*want), j.observed);
            }
        }
        Expectation::Success { checks } => {
            if obs.ret < 0 {
                j.verdict = Verdict::Fail;
                j.reason = format!("expected success, observed {}", errno::name(obs.errno));
            } else {
                let broken: Vec<String> = checks
                    .iter()
                    .filter_map(|c| {
                        c.violation(obs)
                            .map(|seen| format!("{}: observed {seen}", c.describe()))
                    })
                    .collect();
                if !broken.is_empty() {
                    j.verdict = Verdict::Fail;
                    j.observed = format!("success, but {}", broken.join("; "));
                    j.reason = j.observed.clone();
                }
            }
        }
        Expectation::Skip { .. } => unreachable!("handled above"),
    }
    j
}
