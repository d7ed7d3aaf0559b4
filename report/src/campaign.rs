//! Fuzz campaigns and their divergences: the finding `cloneabi fuzz` adds to a report.
//!
//! A campaign is one seeded run of generated cases on one (ABI, runner, kernel); each
//! distinct divergence it found carries its shrunk case, the fields that diverge, and a
//! [`Classification`] with its basis (`cloneabi_suites::fuzz::classify`).

use crate::model::{KernelInfo, RunnerKind};
use cloneabi_arch::Arch;
pub use cloneabi_suites::fuzz::classify::Classification;
pub use cloneabi_suites::fuzz::FieldDiff;
use cloneabi_suites::verdict::Verdict;
use serde::{Deserialize, Serialize};

/// One `cloneabi fuzz` campaign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Campaign {
    pub seed: u64,
    /// The ABI the cases ran under (i386 on an x86_64 kernel is `i386`).
    pub arch: Arch,
    pub runner: RunnerKind,
    pub kernel: KernelInfo,
    /// Cases generated and run.
    pub cases: u64,
    /// Cases that diverged (FAIL or ERROR), all told.
    pub divergent_cases: u64,
    pub wall_time_ms: u64,
    /// Batches that broke (payload crash, guest hang).
    #[serde(default)]
    pub run_errors: Vec<String>,
    /// One per distinct divergence, in the order found.
    pub divergences: Vec<Divergence>,
}

impl Campaign {
    /// `fuzz.<arch>.<runner>.<kernel release>`: the KTAP block, JUnit testsuite and HTML
    /// name of the campaign.
    pub fn key(&self) -> String {
        format!(
            "fuzz.{}.{}.{}",
            self.arch,
            self.runner.as_str(),
            self.kernel.release
        )
    }

    /// Divergences or a broken batch.
    pub fn is_bad(&self) -> bool {
        !self.divergences.is_empty() || !self.run_errors.is_empty()
    }
}

/// What a second kernel observed on a divergence's shrunk case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecondRun {
    /// The run's title, e.g. "x86_64 qemu-system 6.1.158".
    pub kernel: String,
    pub verdict: Verdict,
    pub observed: String,
}

/// One distinct divergence of a campaign.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Divergence {
    /// Where it was found, repeated from the campaign so each divergence stands alone.
    pub arch: Arch,
    pub runner: RunnerKind,
    pub kernel: String,
    pub seed: u64,
    /// The first case that diverged this way: its generator index and id
    /// (`fuzz.<seed>.<index>`).
    pub case_index: u64,
    pub case: String,
    /// How many cases of the campaign diverged this way.
    pub count: u64,
    /// What makes two divergences the same (verdict, both outcomes, broken checks).
    pub signature: String,
    /// FAIL or ERROR, of the shrunk case when there is one.
    pub verdict: Verdict,
    pub expected: String,
    pub observed: String,
    /// Expected against observed, field by field.
    pub fields: Vec<FieldDiff>,
    /// Members and setup steps of the shrunk (or else the first) case that differ from a
    /// plain fork-like clone3.
    pub non_default_fields: usize,
    /// Whether the shrunk case diverged the same way on its confirming run; absent when it
    /// was not shrunk.
    #[serde(default)]
    pub shrunk_confirmed: Option<bool>,
    pub catalog_entry: String,
    /// A standalone C program that exits 1 when the kernel disagrees with the model.
    #[serde(default)]
    pub c_reproducer: Option<String>,
    /// Why there is no C reproducer.
    #[serde(default)]
    pub no_c_reproducer: Option<String>,
    /// The case's log or its run's console, when it broke.
    #[serde(default)]
    pub console_excerpt: Option<String>,
    pub classification: Classification,
    /// The sentence the classification rests on.
    pub basis: String,
    /// The shrunk case's run on a second kernel, when one ran it.
    #[serde(default)]
    pub second_run: Option<SecondRun>,
}

impl Divergence {
    /// The KCIDB path (and JUnit testcase name) of the divergence.
    pub fn path(&self) -> String {
        format!("cloneabi_fuzz.seed{}.case{}", self.seed, self.case_index)
    }
}

#[cfg(test)]
mod tests {
    /// A report holding only the sample campaign.
    fn campaign_report() -> crate::Report {
        let mut r = crate::Report::merged(&[]);
        r.created = "2026-11-27T09:30:00Z".into();
        r.campaigns.push(crate::sample::sample_campaign());
        r
    }

    #[test]
    fn a_campaign_round_trips_through_json() {
        let r = campaign_report();
        let text = crate::json::to_string(&r);
        assert!(text.contains("\"classification\": \"model\""), "{text}");
        let back: crate::Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
        // A report without campaigns has no `campaigns` member and loads without one.
        let plain = crate::json::to_string(&crate::sample::sample_report());
        assert!(!plain.contains("campaigns"));
    }
}
