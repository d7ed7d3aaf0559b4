//! The JSON report: the one source every other format is made from.
//!
//! Versioned by [`SCHEMA_VERSION`]; docs/REPORT-SCHEMA.md documents every field. Add fields
//! with `#[serde(default)]` so older reports still load; bump the version on any change
//! that alters a field's meaning.

use cloneabi_arch::Arch;
use cloneabi_suites::observation::EnvReport;
use cloneabi_suites::verdict::Verdict;
use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

/// A whole report: one or more runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: ToolInfo,
    /// RFC 3339 UTC time the report was written.
    pub created: String,
    pub host: HostInfo,
    pub runs: Vec<Run>,
    /// `cloneabi fuzz` campaigns and their divergences.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub campaigns: Vec<crate::campaign::Campaign>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

/// The machine that drove the run (not the target).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostInfo {
    pub hostname: String,
    pub arch: String,
    pub kernel_release: String,
}

/// Which way the payload ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunnerKind {
    Native,
    QemuUser,
    QemuSystem,
}

impl RunnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunnerKind::Native => "native",
            RunnerKind::QemuUser => "qemu-user",
            RunnerKind::QemuSystem => "qemu-system",
        }
    }
}

/// The kernel a run exercised.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KernelInfo {
    /// `uname -r` as the payload saw it (under qemu-user: the host's).
    pub release: String,
    /// `uname -v`.
    #[serde(default)]
    pub version: String,
    /// Debian package the image came from, and its version, when cloneabi provisioned it.
    #[serde(default)]
    pub package: Option<String>,
    #[serde(default)]
    pub package_version: Option<String>,
    /// Where a provisioned kernel came from: its Debian release (`sid`,
    /// `bookworm-backports`...), whose version moves. Runs are matched across reports by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// QEMU provenance of an emulated run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QemuInfo {
    pub binary: String,
    pub version: String,
    #[serde(default)]
    pub machine: Option<String>,
    #[serde(default)]
    pub cpu: Option<String>,
    /// "tcg" or "kvm".
    #[serde(default)]
    pub accelerator: Option<String>,
}

/// One (arch, runner, kernel) run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub arch: Arch,
    pub runner: RunnerKind,
    pub kernel: KernelInfo,
    #[serde(default)]
    pub qemu: Option<QemuInfo>,
    /// Content hash of the payload binary that ran.
    pub payload_build_id: String,
    /// What the payload reported about its environment (absent when it never started).
    #[serde(default)]
    pub env: Option<EnvReport>,
    /// Run-level findings: "clone3 is masked by a seccomp filter", "qemu-user lacks clone3".
    #[serde(default)]
    pub findings: Vec<String>,
    /// The run itself broke (boot failure, panic, lost records): what and where.
    #[serde(default)]
    pub error: Option<String>,
    /// Console or payload output kept for failing or broken runs.
    #[serde(default)]
    pub console_excerpt: Option<String>,
    pub wall_time_ms: u64,
    pub results: Vec<CaseResult>,
}

impl Run {
    /// `<arch>.<runner>.<kernel release>`: the JUnit classname and KTAP block name.
    pub fn key(&self) -> String {
        format!(
            "{}.{}.{}",
            self.arch,
            self.runner.as_str(),
            self.kernel.release
        )
    }

    /// A name for people: the ABI, the kernel's arch when the ABI is a compat one, the
    /// runner unless it is a qemu-system boot, and the kernel's upstream version, e.g.
    /// `i386 on x86_64 6.12.95` or `x86_64 native 6.18.44`.
    pub fn title(&self) -> String {
        let mut t = self.arch.name().to_string();
        if self.arch.is_compat() {
            t.push_str(" on ");
            t.push_str(self.arch.kernel_abi().name());
        }
        if self.runner != RunnerKind::QemuSystem {
            t.push(' ');
            t.push_str(self.runner.as_str());
        }
        let version =
            cloneabi_arch::KernelVersion::from_uname(&self.kernel.release, &self.kernel.version)
                .map_or_else(|| self.kernel.release.clone(), |v| v.to_string());
        if !version.is_empty() {
            t.push(' ');
            t.push_str(&version);
        }
        t
    }
}

/// One case on one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    /// Stable dot-separated id, a valid KCIDB test path.
    pub case: String,
    pub arch: Arch,
    pub runner: RunnerKind,
    /// Kernel release, repeated from the run so each item stands alone.
    pub kernel: String,
    pub verdict: Verdict,
    /// What the model predicted, human-readable ("EINVAL", "success: child SP = stack+size").
    pub expected: String,
    /// What happened, human-readable.
    pub observed: String,
    /// Why a case was skipped, errored or failed; empty for a pass.
    #[serde(default)]
    pub reason: String,
    pub duration_us: u64,
    /// Canonical short outcomes ("EINVAL", "ok", "killed:SIGSEGV", "none") used to compare
    /// the same case across arches and runners.
    #[serde(default)]
    pub expected_outcome: String,
    #[serde(default)]
    pub observed_outcome: String,
    /// The raw observation, for diffs of changed observations.
    #[serde(default)]
    pub observation: Option<serde_json::Value>,
    /// Payload log lines or console excerpt for this case, when it broke.
    #[serde(default)]
    pub log: Option<String>,
}

/// Reason prefix that marks an ERROR as a timeout (KTAP `# TIMEOUT`).
pub const TIMEOUT_PREFIX: &str = "timeout";
/// Reason prefix that marks an ERROR as a case whose record the run lost (KCIDB `MISS`).
pub const LOST_PREFIX: &str = "lost";

impl CaseResult {
    /// The case ran out of time: its reason starts with "timeout" (any case), or its raw
    /// observation says `"timed_out": true`.
    pub fn is_timeout(&self) -> bool {
        starts_with_ci(&self.reason, TIMEOUT_PREFIX)
            || self
                .observation
                .as_ref()
                .and_then(|o| o.get("timed_out"))
                .and_then(|v| v.as_bool())
                .unwrap_or(false)
    }

    /// The run lost this case's record (the guest died first, the console dropped it): an
    /// ERROR whose reason starts with "lost".
    pub fn is_lost(&self) -> bool {
        self.verdict == Verdict::Error && starts_with_ci(&self.reason, LOST_PREFIX)
    }

    /// FAIL or ERROR.
    pub fn is_bad(&self) -> bool {
        matches!(self.verdict, Verdict::Fail | Verdict::Error)
    }
}

fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.trim_start()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Verdict counts of a set of results.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
    pub error: usize,
}

impl Counts {
    pub fn of<'a>(results: impl IntoIterator<Item = &'a CaseResult>) -> Counts {
        let mut c = Counts::default();
        for r in results {
            c.add(r.verdict);
        }
        c
    }

    pub fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Skip => self.skip += 1,
            Verdict::Error => self.error += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.skip + self.error
    }
}

impl Run {
    pub fn counts(&self) -> Counts {
        Counts::of(&self.results)
    }

    /// The run broke, or one of its cases failed or errored.
    pub fn is_bad(&self) -> bool {
        self.error.is_some() || self.results.iter().any(CaseResult::is_bad)
    }
}

impl Report {
    /// One report holding the runs and campaigns of all of `reports`, in order. Tool, host and creation
    /// time come from the first; an empty slice gives an empty report.
    pub fn merged(reports: &[Report]) -> Report {
        let mut out = match reports.first() {
            Some(first) => Report {
                runs: Vec::new(),
                campaigns: Vec::new(),
                ..first.clone()
            },
            None => Report {
                schema_version: SCHEMA_VERSION,
                tool: ToolInfo {
                    name: "cloneabi".into(),
                    version: String::new(),
                },
                created: String::new(),
                host: HostInfo {
                    hostname: String::new(),
                    arch: String::new(),
                    kernel_release: String::new(),
                },
                runs: Vec::new(),
                campaigns: Vec::new(),
            },
        };
        for r in reports {
            out.runs.extend(r.runs.iter().cloned());
            out.campaigns.extend(r.campaigns.iter().cloned());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(verdict: Verdict, reason: &str) -> CaseResult {
        CaseResult {
            case: "clone3.x".into(),
            arch: Arch::X86_64,
            runner: RunnerKind::Native,
            kernel: "6.12.0".into(),
            verdict,
            expected: String::new(),
            observed: String::new(),
            reason: reason.into(),
            duration_us: 0,
            expected_outcome: String::new(),
            observed_outcome: String::new(),
            observation: None,
            log: None,
        }
    }

    #[test]
    fn timeout_and_lost_are_told_by_reason_prefix() {
        assert!(case(Verdict::Error, "Timeout after 5 s").is_timeout());
        assert!(!case(Verdict::Error, "child killed").is_timeout());
        let mut c = case(Verdict::Error, "");
        c.observation = Some(serde_json::json!({"timed_out": true}));
        assert!(c.is_timeout());
        assert!(case(Verdict::Error, "lost: guest died").is_lost());
        // Only an ERROR can be lost.
        assert!(!case(Verdict::Skip, "lost: guest died").is_lost());
    }

    #[test]
    fn a_runs_title_names_the_abi_its_kernel_arch_and_the_upstream_version() {
        let mut run = crate::sample::sample_report().runs[0].clone();
        run.arch = Arch::I386;
        run.runner = RunnerKind::QemuSystem;
        run.kernel.release = "6.12.95+deb12-amd64".into();
        run.kernel.version = "#1 SMP PREEMPT_DYNAMIC Debian 6.12.95-1~bpo12+1 (2026-09-01)".into();
        assert_eq!(run.title(), "i386 on x86_64 6.12.95");
        run.arch = Arch::X86_64;
        run.runner = RunnerKind::Native;
        run.kernel.release = "6.18.44-fc".into();
        run.kernel.version = "#1 SMP".into();
        assert_eq!(run.title(), "x86_64 native 6.18.44");
    }

    #[test]
    fn counts_and_merge() {
        let c = Counts::of(&[
            case(Verdict::Pass, ""),
            case(Verdict::Fail, ""),
            case(Verdict::Fail, ""),
            case(Verdict::Error, ""),
        ]);
        assert_eq!(
            (c.pass, c.fail, c.skip, c.error, c.total()),
            (1, 2, 0, 1, 4)
        );
        let r = crate::sample::sample_report();
        let m = Report::merged(&[r.clone(), r.clone()]);
        assert_eq!(m.runs.len(), 2 * r.runs.len());
        assert_eq!(m.created, r.created);
        assert!(Report::merged(&[]).runs.is_empty());
    }
}
