//! `cloneabi audit libc [--version X] [--target T]...`: the `libc` crate's clone definitions
//! per target triple (gnu and musl) against the kernel's ABI, as a report in the usual
//! formats: one run per (crate version, target), one case per definition.

use super::values::Format;
use super::{output, CmdResult, EXIT_FAILED, EXIT_OK};
use clap::{Args, Subcommand};
use cloneabi_arch::Arch;
use cloneabi_report::model::{CaseResult, KernelInfo, QemuInfo, Run, RunnerKind};
use cloneabi_runners::libc_probe::{self, LibcFlavour, ProbeError, ProbeRequest};
use cloneabi_suites::libc_audit::{self, CrateDefs, Declared, StructDef};
use cloneabi_suites::verdict::Verdict;
use std::path::PathBuf;
use std::time::Instant;

/// This workspace's lockfile: the default `libc` version is the one it pins.
const LOCKFILE: &str = include_str!("../../Cargo.lock");

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// The `libc` crate: syscall numbers, CLONE_* constants and clone_args per target.
    Libc(LibcArgs),
}

#[derive(Args, Debug)]
pub struct LibcArgs {
    /// The `libc` version to audit (default: the one this workspace's Cargo.lock pins).
    #[arg(long)]
    pub version: Option<String>,
    /// Target triples (repeatable; default: every arch's gnu and musl triple).
    #[arg(long = "target")]
    pub targets: Vec<String>,
    /// Output formats, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "ktap")]
    pub format: Vec<Format>,
    /// A file for one format, a directory for several (stdout when absent).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The `libc` version Cargo.lock pins.
pub fn locked_libc_version(lock: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l.trim() == "name = \"libc\"" {
            let v = lines.next()?.trim().strip_prefix("version = \"")?;
            return Some(v.trim_end_matches('"').to_string());
        }
    }
    None
}

/// Every (arch, flavour, triple) audited by default.
fn all_targets() -> Vec<(Arch, LibcFlavour, String)> {
    Arch::ALL
        .into_iter()
        .flat_map(|a| {
            LibcFlavour::ALL
                .into_iter()
                .map(move |f| (a, f, libc_probe::triple(a, f)))
        })
        .collect()
}

pub fn run(cmd: AuditCmd) -> CmdResult {
    let AuditCmd::Libc(args) = cmd;
    let version = match &args.version {
        Some(v) => v.clone(),
        None => locked_libc_version(LOCKFILE).ok_or("Cargo.lock pins no libc version")?,
    };
    let known = all_targets();
    let targets: Vec<(Arch, LibcFlavour, String)> = if args.targets.is_empty() {
        known
    } else {
        args.targets
            .iter()
            .map(|t| {
                known
                    .iter()
                    .find(|(_, _, k)| k == t)
                    .cloned()
                    .ok_or_else(|| {
                        format!(
                            "unknown target '{t}': use one of {}",
                            known
                                .iter()
                                .map(|(_, _, k)| k.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })
            })
            .collect::<Result<_, String>>()?
    };
    let cache = cloneabi_runners::exec::cache_root()
        .map_err(|e| e.to_string())?
        .with_file_name("audit");
    let target_dir = cache.join("target");
    let constants = libc_audit::constant_names();
    let fields = libc_audit::field_names();
    let req = ProbeRequest {
        libc_version: &version,
        constants: &constants,
        clone_args_fields: &fields,
        target_dir: &target_dir,
    };
    let mut runs = Vec::new();
    for (arch, flavour, triple) in &targets {
        eprintln!("cloneabi: auditing libc {version} for {triple}");
        let start = Instant::now();
        let probed = libc_probe::probe(*arch, *flavour, &req);
        runs.push(to_run(*arch, *flavour, triple, &version, probed, start));
    }
    let report = super::run::new_report(runs);
    output::emit(&report, &args.format, args.out.as_deref())?;
    let failed = report
        .runs
        .iter()
        .flat_map(|r| &r.results)
        .any(|r| r.is_bad())
        || report.runs.iter().any(|r| r.error.is_some());
    Ok(if failed { EXIT_FAILED } else { EXIT_OK })
}

fn to_run(
    arch: Arch,
    flavour: LibcFlavour,
    triple: &str,
    version: &str,
    probed: Result<libc_probe::ProbeObservation, ProbeError>,
    start: Instant,
) -> Run {
    let native = Some(arch) == Arch::host();
    let runner = if native {
        RunnerKind::Native
    } else {
        RunnerKind::QemuUser
    };
    let mut run = Run {
        arch,
        runner,
        // The "kernel" column of a run is what was audited: the crate version for one C
        // library; the arch says the rest of the triple.
        kernel: KernelInfo {
            release: format!("libc-{version}-{}", flavour.name()),
            version: triple.to_string(),
            package: Some("libc".into()),
            package_version: Some(version.to_string()),
            channel: None,
        },
        qemu: None,
        payload_build_id: String::new(),
        env: None,
        findings: vec![format!(
            "the kernel's ABI: cloneabi's tables for {arch} (checked against the UAPI headers of \
             {} by arch/tests/layout.rs) and the Linux 7.1 CLONE_* bits",
            arch.abi().debian.cross_gcc
        )],
        error: None,
        console_excerpt: None,
        wall_time_ms: 0,
        results: Vec::new(),
    };
    let kernel = run.kernel.release.clone();
    let result =
        |id: String, verdict: Verdict, expected: String, observed: String, reason: String| {
            CaseResult {
                case: id,
                arch,
                runner,
                kernel: kernel.clone(),
                verdict,
                expected_outcome: expected.clone(),
                observed_outcome: observed.clone(),
                expected,
                observed,
                reason,
                duration_us: 0,
                observation: None,
                log: None,
            }
        };
    match probed {
        Ok(obs) => {
            if !native {
                run.qemu = Some(QemuInfo {
                    binary: arch.abi().debian.qemu_user.unwrap_or_default().to_string(),
                    version: obs.ran_with.clone(),
                    machine: None,
                    cpu: None,
                    accelerator: Some("tcg".into()),
                });
            }
            run.payload_build_id = obs.build_id.clone();
            let defs = CrateDefs {
                constants: obs
                    .constants
                    .iter()
                    .map(|(k, c)| {
                        (
                            k.clone(),
                            Declared {
                                bits: c.bits,
                                signed: c.signed,
                                value: c.value,
                            },
                        )
                    })
                    .collect(),
                clone_args: obs.clone_args.as_ref().map(|l| StructDef {
                    size: l.size,
                    align: l.align,
                    fields: l.fields.clone(),
                }),
            };
            for c in libc_audit::judge(arch, triple, &defs) {
                run.results
                    .push(result(c.id, c.verdict, c.expected, c.observed, c.reason));
            }
        }
        Err(ProbeError::Unavailable(why)) => {
            let why = if std::env::var("CI").is_ok_and(|v| v == "true") {
                format!("{why} (required in CI)")
            } else {
                why
            };
            run.results.push(result(
                "libc.probe".into(),
                Verdict::Skip,
                "the probe runs".into(),
                "not run".into(),
                why,
            ));
        }
        Err(ProbeError::Failed(why)) => {
            run.error = Some(why.clone());
            run.results.push(result(
                "libc.probe".into(),
                Verdict::Error,
                "the probe runs".into(),
                "failed".into(),
                why,
            ));
        }
    }
    run.wall_time_ms = start.elapsed().as_millis() as u64;
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lockfile_pins_a_libc_version() {
        let v = locked_libc_version(LOCKFILE).unwrap();
        assert!(v.starts_with("0.2."), "{v}");
        let lock = "[[package]]\nname = \"libc\"\nversion = \"0.2.7\"\n";
        assert_eq!(locked_libc_version(lock).as_deref(), Some("0.2.7"));
        assert_eq!(all_targets().len(), Arch::ALL.len() * 2);
    }
}
