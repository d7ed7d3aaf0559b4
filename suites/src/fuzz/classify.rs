//! Whose fault a divergence is: the kernel's, the model's, or the emulator's or sandbox's.
//!
//! Pure functions over what the runs observed; the runners make the second run, the report
//! renders the result. The rules (docs/FUZZ.md, "Divergences"):
//!
//! - an ERROR whose console shows a kernel fault (Oops, `BUG:`, `WARNING:`, a panic, a
//!   general protection fault, "Unable to handle") is the kernel's;
//! - any other ERROR (the payload crashed, a record was lost, a case timed out, a setup step
//!   failed) is the emulator's or sandbox's;
//! - a FAIL is re-run once on a second kernel: when that kernel observes what the first
//!   did, both disagree with the model and the model is wrong; when it agrees with the
//!   model, the first kernel is the odd one out; when there is no second kernel, the model
//!   is presumed wrong, and the basis says the divergence was seen on one kernel only.

use super::Outcome;
use crate::verdict::Verdict;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Who is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    /// The kernel: it faulted, or it alone disagrees with the model and another kernel.
    Kernel,
    /// The model: the kernels agree with each other against it (or only one kernel ran).
    Model,
    /// The emulator or the sandbox: the case broke without a kernel fault.
    EmulatorOrSandbox,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Kernel => "kernel",
            Classification::Model => "model",
            Classification::EmulatorOrSandbox => "emulator-or-sandbox",
        }
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A classification and the sentence it rests on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classified {
    pub classification: Classification,
    pub basis: String,
}

/// The second kernel's word on a FAIL's shrunk case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecondRun {
    /// The case ran on `kernel` (a run title such as "x86_64 qemu-system 6.1.158").
    Ran { kernel: String, outcome: Outcome },
    /// No second kernel ran it: which run was wanted, and why it did not happen.
    Unavailable { wanted: String, why: String },
}

/// Console texts that only a kernel fault prints.
pub const KERNEL_FAULT_MARKERS: &[&str] = &[
    "Oops",
    "BUG:",
    "WARNING:",
    "Kernel panic",
    "general protection fault",
    "Unable to handle",
];

/// The first console line that shows a kernel fault, if any.
pub fn kernel_fault(console: &str) -> Option<&str> {
    console
        .lines()
        .find(|l| KERNEL_FAULT_MARKERS.iter().any(|m| l.contains(m)))
        .map(str::trim)
}

/// A FAIL whose shrunk form passed when it was run again on the same kernel did not
/// reproduce: the same program gave two answers on one kernel, which points at state the
/// payload or the sandbox carried between cases, or at the emulator, before the kernel's
/// rules. `None` when the confirming run diverged too (or was not made).
pub fn unreproduced(first: &str, outcome: &Outcome, confirming: &Outcome) -> Option<Classified> {
    (outcome.verdict == Verdict::Fail && confirming.verdict == Verdict::Pass).then(|| Classified {
        classification: Classification::EmulatorOrSandbox,
        basis: format!(
            "it did not reproduce: {first} observed {} where the model predicts {}, then gave \
             the predicted {} when its shrunk form ran again; one kernel answered the same \
             program two ways, so state carried between cases or the emulator is suspected \
             before the kernel's rules",
            outcome.observed_outcome, outcome.expected_outcome, confirming.observed_outcome
        ),
    })
}

/// Classifies a divergence seen on `first` (a run title) as `outcome`, with the console
/// excerpt of its run (if any) and, for a FAIL, the second kernel's run of its shrunk case.
pub fn classify(
    first: &str,
    outcome: &Outcome,
    console: Option<&str>,
    second: Option<&SecondRun>,
) -> Classified {
    let c = |classification, basis: String| Classified {
        classification,
        basis,
    };
    if outcome.verdict != Verdict::Fail {
        return match console.and_then(kernel_fault) {
            Some(line) => c(
                Classification::Kernel,
                format!(
                    "the case broke ({}) and the console shows a kernel fault: {line}",
                    outcome.observed
                ),
            ),
            None => {
                c(
                    Classification::EmulatorOrSandbox,
                    format!(
                    "the case broke ({}) without a kernel fault on the console: the payload, the \
                     sandbox or the emulator failed, not the kernel's answer",
                    if outcome.reason.is_empty() { &outcome.observed } else { &outcome.reason }
                ),
                )
            }
        };
    }
    let one_kernel = |why: String| {
        c(
            Classification::Model,
            format!(
                "seen on one kernel only ({first} observed {} where the model predicts {}); {why}, \
                 so the model is presumed wrong",
                outcome.observed_outcome, outcome.expected_outcome
            ),
        )
    };
    match second {
        None => one_kernel("no second run was made".into()),
        Some(SecondRun::Unavailable { wanted, why }) => {
            one_kernel(format!("the second run on {wanted} was unavailable: {why}"))
        }
        // A second kernel the model answers differently for (another version, without a
        // flag the first has) tests another prediction: its verdict says nothing here.
        Some(SecondRun::Ran { kernel, outcome: o }) if o.expected != outcome.expected => {
            one_kernel(format!(
                "the second run on {kernel} was no test of this prediction: the model predicts \
                 {} there",
                o.expected_outcome
            ))
        }
        Some(SecondRun::Ran { kernel, outcome: o }) => match o.verdict {
            Verdict::Pass => c(
                Classification::Kernel,
                format!(
                    "{kernel} agrees with the model ({}) on the same case where {first} observed \
                     {}: the first kernel is the odd one out",
                    o.observed_outcome, outcome.observed_outcome
                ),
            ),
            Verdict::Fail if o.observed_outcome == outcome.observed_outcome => c(
                Classification::Model,
                format!(
                    "{kernel} observes what {first} observed ({}) on the same case, and both \
                     disagree with the model ({})",
                    o.observed_outcome, outcome.expected_outcome
                ),
            ),
            Verdict::Fail => c(
                Classification::Model,
                format!(
                    "{kernel} also disagrees with the model on the same case (it observes {} \
                     where the model predicts {}; {first} observed {}): no kernel agrees with \
                     the model, though the two kernels differ from each other too",
                    o.observed_outcome, o.expected_outcome, outcome.observed_outcome
                ),
            ),
            Verdict::Skip | Verdict::Error => one_kernel(format!(
                "the second run on {kernel} was inconclusive ({}: {})",
                o.verdict,
                if o.reason.is_empty() {
                    &o.observed
                } else {
                    &o.reason
                }
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(verdict: Verdict, expected: &str, observed: &str) -> Outcome {
        Outcome {
            verdict,
            expected: format!("{expected} (rule)"),
            observed: observed.into(),
            reason: String::new(),
            expected_outcome: expected.into(),
            observed_outcome: observed.into(),
            log: None,
        }
    }

    const FIRST: &str = "x86_64 native 6.18.44";

    #[test]
    fn an_error_with_a_kernel_fault_on_the_console_is_the_kernels() {
        let o = outcome(Verdict::Error, "ok", "timeout");
        for console in [
            "[   12.3] BUG: kernel NULL pointer dereference, address: 0000000000000008",
            "[ 1.0] Oops: 0002 [#1] PREEMPT SMP NOPTI",
            "WARNING: CPU: 0 PID: 1 at kernel/fork.c:2800 copy_process+0x1/0x2",
            "Kernel panic - not syncing: Attempted to kill init!",
            "general protection fault, probably for non-canonical address",
            "Unable to handle kernel paging request at virtual address 0000",
        ] {
            let text = format!("boot ok\n{console}\nmore");
            let got = classify(FIRST, &o, Some(&text), None);
            assert_eq!(got.classification, Classification::Kernel, "{console}");
            assert!(got.basis.contains(console), "{}", got.basis);
        }
    }

    #[test]
    fn an_error_without_a_kernel_fault_is_the_emulators_or_sandboxs() {
        let mut o = outcome(Verdict::Error, "ok", "timed out");
        o.reason = "lost: no observation arrived for this case".into();
        for console in [
            None,
            Some("qemu: uncaught target signal 11 (Segmentation fault)"),
        ] {
            let got = classify(FIRST, &o, console, None);
            assert_eq!(got.classification, Classification::EmulatorOrSandbox);
            assert!(got.basis.contains("lost: no observation"), "{}", got.basis);
        }
        // A second run does not change an ERROR's classification.
        let second = SecondRun::Ran {
            kernel: "x".into(),
            outcome: outcome(Verdict::Pass, "ok", "ok"),
        };
        assert_eq!(
            classify(FIRST, &o, None, Some(&second)).classification,
            Classification::EmulatorOrSandbox
        );
    }

    #[test]
    fn a_fail_the_second_kernel_repeats_is_the_models() {
        let o = outcome(Verdict::Fail, "EFAULT", "EINVAL");
        let second = SecondRun::Ran {
            kernel: "x86_64 qemu-system 6.1.158".into(),
            outcome: outcome(Verdict::Fail, "EFAULT", "EINVAL"),
        };
        let got = classify(FIRST, &o, None, Some(&second));
        assert_eq!(got.classification, Classification::Model);
        assert!(got.basis.contains("6.1.158 observes what"), "{}", got.basis);
    }

    #[test]
    fn a_fail_the_second_kernel_answers_otherwise_still_has_no_kernel_for_the_model() {
        let o = outcome(Verdict::Fail, "EFAULT", "EINVAL");
        let second = SecondRun::Ran {
            kernel: "guest".into(),
            outcome: outcome(Verdict::Fail, "EFAULT", "ENOSPC"),
        };
        let got = classify(FIRST, &o, None, Some(&second));
        assert_eq!(got.classification, Classification::Model);
        assert!(
            got.basis.contains("differ from each other"),
            "{}",
            got.basis
        );
    }

    #[test]
    fn a_fail_the_second_kernel_does_not_repeat_is_the_first_kernels() {
        let o = outcome(Verdict::Fail, "EFAULT", "EINVAL");
        let second = SecondRun::Ran {
            kernel: "x86_64 qemu-system 6.1.158".into(),
            outcome: outcome(Verdict::Pass, "EFAULT", "EFAULT"),
        };
        let got = classify(FIRST, &o, None, Some(&second));
        assert_eq!(got.classification, Classification::Kernel);
        assert!(got.basis.contains("odd one out"), "{}", got.basis);
    }

    #[test]
    fn a_fail_without_a_second_kernel_is_presumed_the_models_and_says_why() {
        let o = outcome(Verdict::Fail, "EFAULT", "EINVAL");
        let unavailable = SecondRun::Unavailable {
            wanted: "the cached bookworm x86_64 guest".into(),
            why: "no bookworm kernel for x86_64 is cached".into(),
        };
        let got = classify(FIRST, &o, None, Some(&unavailable));
        assert_eq!(got.classification, Classification::Model);
        assert!(
            got.basis.contains("seen on one kernel only"),
            "{}",
            got.basis
        );
        assert!(got
            .basis
            .contains("bookworm x86_64 guest was unavailable: no bookworm"));
        let got = classify(FIRST, &o, None, None);
        assert_eq!(got.classification, Classification::Model);
        assert!(
            got.basis.contains("no second run was made"),
            "{}",
            got.basis
        );
        // An inconclusive second run counts as none.
        let mut broke = outcome(Verdict::Error, "EFAULT", "timed out");
        broke.reason = "timeout: the case did not finish in time".into();
        let second = SecondRun::Ran {
            kernel: "guest".into(),
            outcome: broke,
        };
        let got = classify(FIRST, &o, None, Some(&second));
        assert_eq!(got.classification, Classification::Model);
        assert!(
            got.basis.contains("inconclusive (ERROR: timeout"),
            "{}",
            got.basis
        );
    }

    #[test]
    fn kernel_fault_finds_the_first_marked_line() {
        assert_eq!(kernel_fault("a\n  BUG: x\nOops: y"), Some("BUG: x"));
        assert_eq!(kernel_fault("all fine\nwarning: lower case"), None);
    }

    #[test]
    fn a_fail_that_passes_on_its_confirming_run_did_not_reproduce() {
        let fail = outcome(Verdict::Fail, "EPERM", "EINVAL");
        let pass = outcome(Verdict::Pass, "EPERM", "EPERM");
        let got = unreproduced(FIRST, &fail, &pass).expect("classified");
        assert_eq!(got.classification, Classification::EmulatorOrSandbox);
        assert!(got.basis.contains("did not reproduce"), "{}", got.basis);
        assert_eq!(unreproduced(FIRST, &fail, &fail), None);
    }

    #[test]
    fn a_second_kernel_the_model_answers_differently_for_decides_nothing() {
        let fail = outcome(Verdict::Fail, "ok", "EINVAL");
        let second = SecondRun::Ran {
            kernel: "x86_64 native 6.18.44".into(),
            outcome: outcome(Verdict::Pass, "EINVAL", "EINVAL"),
        };
        let got = classify(FIRST, &fail, None, Some(&second));
        assert_eq!(got.classification, Classification::Model);
        assert!(
            got.basis.contains("no test of this prediction"),
            "{}",
            got.basis
        );
    }
}
