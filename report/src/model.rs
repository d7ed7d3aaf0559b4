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
        format!("{}.{}.{}", self.arch, self.runner.as_str(), self.kernel.release)
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
