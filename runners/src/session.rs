//! One run of the suite on one target: lower the cases, ship the batch, collect the records,
//! and judge every case against the model. Runners only move bytes; judging happens here,
//! the same way for every runner.

use crate::payload::Payload;
use crate::protocol::records::{RecordBody, RecordParser};
use cloneabi_arch::{Arch, KernelVersion};
use cloneabi_report::model::{CaseResult, KernelInfo, QemuInfo, Run, RunnerKind};
use cloneabi_suites::case::{Call, Case};
use cloneabi_suites::judge::{clone3_gap, judge};
use cloneabi_suites::lower::lower;
use cloneabi_suites::model::{gates, predict, ModelEnv};
use cloneabi_suites::observation::{EnvReport, Observation};
use cloneabi_suites::program::Program;
use cloneabi_suites::verdict::Verdict;
use std::collections::HashMap;
use std::time::Duration;

/// The cases lowered for one arch, indexed by their position in `cases`.
pub fn programs(cases: &[Case], arch: Arch) -> Vec<(u32, Program)> {
    cases
        .iter()
        .enumerate()
        .map(|(i, c)| (i as u32, lower(c, arch)))
        .collect()
}

/// What a runner brings back, before judging.
#[derive(Debug)]
pub struct RawRun {
    pub arch: Arch,
    pub runner: RunnerKind,
    /// Everything the payload (or the console) printed.
    pub output: Vec<u8>,
    /// A guest's console, when the records came on a channel of their own: the log a lost
    /// or broken case is shown with.
    pub console: Option<Vec<u8>>,
    pub wall_time: Duration,
    pub payload: Payload,
    /// Absolute pid-namespace level the payload ran at.
    pub payload_level: u32,
    pub kernel_package: Option<(String, String)>,
    /// The release channel of a provisioned kernel.
    pub kernel_channel: Option<String>,
    pub qemu: Option<QemuInfo>,
    /// The runner's own failure (timeout, crash, panic), if any.
    pub failure: Option<String>,
}

/// The last `max` bytes of output, as text.
pub fn excerpt(output: &[u8], max: usize) -> String {
    let start = output.len().saturating_sub(max);
    String::from_utf8_lossy(&output[start..]).into_owned()
}

pub fn model_env(
    arch: Arch,
    runner: RunnerKind,
    env: &EnvReport,
    kernel: KernelVersion,
    payload_level: u32,
) -> ModelEnv {
    use cloneabi_suites::flags::{cap, CAP_SYS_ADMIN};
    ModelEnv {
        arch,
        kernel,
        page_size: env.page_size,
        pid_max: env.pid_max as i64,
        payload_level,
        payload_user_level: payload_user_level(runner),
        caller_is_admin: env.cap_effective & cap(CAP_SYS_ADMIN) != 0,
        cgroup2_errno: env.cgroup2_errno,
        cgroup1_errno: env.cgroup1_errno,
        namespaces: env.namespaces,
        assume: None,
    }
}

/// Absolute level of the payload's user namespace, where it can be known: a guest's payload
/// is in the machine's initial one; the native sandbox (qemu-user's too) runs in the host's,
/// or one below it when not root, and the host's is known only when it is the initial one.
pub fn payload_user_level(runner: RunnerKind) -> Option<u32> {
    match runner {
        RunnerKind::QemuSystem => Some(0),
        RunnerKind::Native | RunnerKind::QemuUser => crate::native::payload_user_ns_level(),
    }
}

/// Judges every case of a raw run.
pub fn judge_run(cases: &[Case], raw: RawRun) -> Run {
    let mut parser = RecordParser::new();
    let mut records = parser.push(&raw.output);
    records.extend(parser.finish());
    let parse = parser.report();
    let mut env: Option<EnvReport> = None;
    let mut observations: HashMap<u32, Observation> = HashMap::new();
    let mut logs = Vec::new();
    for r in records {
        match r.body {
            RecordBody::Env(e) => env = Some(e),
            RecordBody::Observation(o) => {
                observations.insert(o.case_index, *o);
            }
            RecordBody::Log(l) => logs.push(l),
            RecordBody::End { .. } => {}
        }
    }
    let mut findings: Vec<String> = logs.iter().map(|l| format!("payload: {l}")).collect();
    if !parse.corrupted.is_empty() || !parse.missing_seqs.is_empty() {
        findings.push(format!(
            "{} record(s) corrupted beyond recovery and {} missing on the output channel",
            parse.corrupted.len(),
            parse.missing_seqs.len()
        ));
    }
    let mut failure = raw.failure.clone();
    if failure.is_none() && !parse.ended {
        failure = Some("the payload stopped before its end record".into());
    }
    let release = env
        .as_ref()
        .map(|e| e.uname_release.clone())
        .unwrap_or_default();
    let kernel_version = env
        .as_ref()
        .and_then(|e| KernelVersion::from_uname(&e.uname_release, &e.uname_version));
    let model = match (&env, kernel_version) {
        (Some(e), Some(k)) => Some(model_env(raw.arch, raw.runner, e, k, raw.payload_level)),
        _ => None,
    };
    let gap = match (&env, kernel_version) {
        (Some(e), Some(k)) => clone3_gap(
            e,
            gates::has_clone3(raw.arch, k),
            raw.runner == RunnerKind::QemuUser,
        ),
        _ => None,
    };
    if let Some(g) = &gap {
        findings.push(g.finding());
    }
    let console = excerpt(raw.console.as_deref().unwrap_or(&raw.output), 4000);
    // With the records on a channel of their own the console holds only the kernel's
    // messages: a kernel fault there belongs in the log of every case that broke (a child
    // oopsing as it exits leaves its caller waiting until the case times out).
    let kernel_fault = raw
        .console
        .is_some()
        .then_some(&console)
        .filter(|c| cloneabi_suites::fuzz::classify::kernel_fault(c).is_some());
    let results = cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let base = CaseResult {
                case: case.id.clone(),
                arch: raw.arch,
                runner: raw.runner,
                kernel: release.clone(),
                verdict: Verdict::Error,
                expected: String::new(),
                observed: String::new(),
                reason: String::new(),
                duration_us: 0,
                expected_outcome: String::new(),
                observed_outcome: "none".into(),
                observation: None,
                log: None,
            };
            let Some(model) = &model else {
                return CaseResult {
                    reason: match &failure {
                        Some(f) => format!("the run broke before this case: {f}"),
                        None => "the payload reported no usable environment record".into(),
                    },
                    log: Some(console.clone()),
                    ..base
                };
            };
            let expectation = predict(case, model);
            let Some(obs) = observations.get(&(i as u32)) else {
                return CaseResult {
                    expected: expectation.describe(),
                    expected_outcome: expectation.outcome(),
                    reason: format!(
                        "lost: no observation arrived for this case ({})",
                        failure
                            .as_deref()
                            .unwrap_or("record lost on the output channel")
                    ),
                    log: Some(console.clone()),
                    ..base
                };
            };
            let is_clone3 = matches!(case.call, Call::Clone3(_));
            let mut j = judge(&expectation, obs, is_clone3, gap.as_ref());
            // qemu-user emulates clone() itself and refuses flag sets it cannot map onto a
            // host fork or thread (namespaces, CLONE_VM without a thread): that EINVAL is
            // the emulator's, not the kernel's.
            if raw.runner == RunnerKind::QemuUser
                && !is_clone3
                && j.verdict == Verdict::Fail
                && obs.ret < 0
                && obs.errno == cloneabi_suites::errno::EINVAL
                && matches!(expectation, cloneabi_suites::model::Expectation::Success { .. })
            {
                j.verdict = Verdict::Skip;
                j.reason = "qemu-user refuses these clone() flags (EINVAL from the emulator, not the kernel)".into();
            }
            let broke = matches!(j.verdict, Verdict::Fail | Verdict::Error);
            CaseResult {
                verdict: j.verdict,
                expected: j.expected,
                observed: j.observed,
                reason: j.reason,
                duration_us: obs.duration_us,
                expected_outcome: j.expected_outcome,
                observed_outcome: j.observed_outcome,
                observation: serde_json::to_value(obs).ok(),
                log: broke
                    .then(|| {
                        let mut log = logs.join("\n");
                        if let Some(fault) = kernel_fault {
                            log = format!("{log}\nthe console during the batch:\n{fault}");
                        }
                        log.trim_start().to_string()
                    })
                    .filter(|l| !l.is_empty()),
                ..base
            }
        })
        .collect();
    let (package, package_version) = raw.kernel_package.clone().unzip();
    Run {
        arch: raw.arch,
        runner: raw.runner,
        kernel: KernelInfo {
            release,
            version: env
                .as_ref()
                .map(|e| e.uname_version.clone())
                .unwrap_or_default(),
            package,
            package_version,
            channel: raw.kernel_channel.clone(),
        },
        qemu: raw.qemu.clone(),
        payload_build_id: raw.payload.build_id.clone(),
        env,
        findings,
        error: failure.clone(),
        console_excerpt: failure.as_ref().map(|_| console.clone()),
        wall_time_ms: raw.wall_time.as_millis() as u64,
        results,
    }
}

/// Options of a native run.
#[derive(Clone, Debug, Default)]
pub struct NativeRun {
    pub sandbox: crate::native::NativeOptions,
    /// Run the bench's baseline instead of observing (see `BatchOptions::bare`).
    pub bare: bool,
    /// The native runner's ABI: the host's own (`None`) or a compat ABI of the host's
    /// kernel arch (i386 on x86_64).
    pub arch: Option<Arch>,
}

/// Why a run could not start at all.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// Runs every case natively on the host's arch (or `opts.arch`, an ABI of the host's kernel
/// arch), as pid 1 of a throwaway pid namespace.
pub fn run_native(cases: &[Case], opts: &NativeRun) -> Result<Run, StartError> {
    let host = Arch::host().ok_or_else(|| {
        StartError(format!(
            "the native runner needs a covered host arch; this host is {}",
            std::env::consts::ARCH
        ))
    })?;
    let arch = native_abi(host, opts.arch)?;
    run_in_sandbox(cases, arch, RunnerKind::Native, opts)
}

/// The ABI a native run of `wanted` on a `host` machine runs: the host's kernel runs its own
/// ABI and that arch's compat ABIs.
fn native_abi(host: Arch, wanted: Option<Arch>) -> Result<Arch, StartError> {
    let Some(arch) = wanted else { return Ok(host) };
    if arch.kernel_abi() == host.kernel_abi() {
        let cmdline = std::fs::read_to_string("/proc/cmdline").unwrap_or_default();
        let missing: Vec<&str> = arch
            .boot_args()
            .split_whitespace()
            .filter(|w| !cmdline.split_whitespace().any(|c| c == *w))
            .collect();
        if !missing.is_empty() {
            return Err(StartError(format!(
                "--arch {arch} needs the kernel command line to carry {}, and this host's \
                 does not: use --runner qemu-system --arch {arch}",
                missing.join(" ")
            )));
        }
        return Ok(arch);
    }
    let here: Vec<&str> = host
        .kernel_abi()
        .boot_group()
        .iter()
        .map(|a| a.name())
        .collect();
    Err(StartError(format!(
        "--arch {arch} runs on the {} kernel, and this host's kernel runs {}: use --runner \
         qemu-system or --runner qemu-user for {arch}",
        arch.kernel_abi(),
        here.join(", ")
    )))
}

/// Runs every case of `arch` under QEMU user-mode emulation (`qemu-<arch>`), inside the
/// same throwaway pid namespace as the native runner.
pub fn run_qemu_user(cases: &[Case], arch: Arch, opts: &NativeRun) -> Result<Run, StartError> {
    let binary = arch
        .abi()
        .debian
        .qemu_user
        .ok_or_else(|| StartError(format!("QEMU has no user-mode emulator for {arch}")))?;
    let launcher = crate::qemu::find_binary(binary).ok_or_else(|| {
        StartError(format!(
            "{binary} is not installed: install it with `apt-get install qemu-user`"
        ))
    })?;
    let mut opts = opts.clone();
    opts.sandbox.launcher = Some(launcher);
    let mut run = run_in_sandbox(cases, arch, RunnerKind::QemuUser, &opts)?;
    run.qemu = Some(QemuInfo {
        binary: binary.to_string(),
        version: crate::qemu::qemu_version(binary),
        machine: None,
        cpu: None,
        accelerator: Some("tcg".into()),
    });
    Ok(run)
}

fn run_in_sandbox(
    cases: &[Case],
    arch: Arch,
    runner: RunnerKind,
    opts: &NativeRun,
) -> Result<Run, StartError> {
    use crate::protocol::batch::{encode_batch, BatchOptions, CgroupSetup};
    if let Some(c) = cases.iter().find(|c| c.behavior.crash_kernel) {
        return Err(StartError(format!(
            "case {} asks to crash the kernel, which only a guest may do: run it with \
             --runner qemu-system",
            c.id
        )));
    }
    let payload = crate::payload::provide(arch).map_err(|e| StartError(e.to_string()))?;
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-native-")
        .tempdir()
        .map_err(|e| {
            StartError(format!(
                "cannot create a temporary directory: {e} (set TMPDIR to a writable place)"
            ))
        })?;
    let run_dir = format!(
        "cloneabi-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    );
    let options = BatchOptions {
        write_twice: false,
        power_off: false,
        mount_proc: true,
        cgroup: Some(CgroupSetup {
            mount_point: dir.path().join("cgroup").display().to_string(),
            run_dir: run_dir.clone(),
        }),
        bare: opts.bare,
        kmsg_noise: false,
        record_channel: false,
        session: false,
    };
    let batch = encode_batch(arch, &options, &programs(cases, arch));
    let batch_path = dir.path().join("cloneabi.batch");
    std::fs::write(&batch_path, &batch)
        .map_err(|e| StartError(format!("writing {}: {e}", batch_path.display())))?;
    let out = crate::native::run(&payload.path, &batch_path, &opts.sandbox)
        .map_err(|e| StartError(e.to_string()))?;
    crate::native::remove_leftover_cgroups(&run_dir);
    let failure = if out.timed_out {
        Some(format!(
            "the payload did not finish within {:?} and was killed",
            opts.sandbox.timeout
        ))
    } else if !libc::WIFEXITED(out.status) {
        Some(format!(
            "the payload died with signal {}",
            libc::WTERMSIG(out.status)
        ))
    } else if libc::WEXITSTATUS(out.status) != 0 {
        Some(format!(
            "the payload exited with status {}",
            libc::WEXITSTATUS(out.status)
        ))
    } else {
        None
    };
    // A signal that cut the run short (also one the terminal sent the payload itself)
    // is what the run error says.
    let failure =
        failure.map(|f| crate::interrupt::requested().map_or(f, crate::interrupt::message));
    let raw = RawRun {
        arch,
        runner,
        output: out.output,
        console: None,
        wall_time: out.wall_time,
        payload,
        payload_level: crate::native::own_pid_ns_level() + 1,
        kernel_package: None,
        kernel_channel: None,
        qemu: None,
        failure,
    };
    Ok(judge_run(cases, raw))
}

#[cfg(test)]
mod native_abi_tests {
    use super::*;

    #[test]
    fn a_case_that_crashes_the_kernel_never_runs_on_the_host() {
        let mut case = cloneabi_suites::catalog::all_cases().remove(0);
        case.behavior.crash_kernel = true;
        for runner in [RunnerKind::Native, RunnerKind::QemuUser] {
            let err = run_in_sandbox(
                std::slice::from_ref(&case),
                Arch::X86_64,
                runner,
                &NativeRun::default(),
            )
            .unwrap_err();
            assert!(err.0.contains("only a guest may do"), "{}", err.0);
        }
    }

    #[test]
    fn the_native_runner_takes_the_host_kernels_abis_only() {
        assert_eq!(native_abi(Arch::X86_64, None).unwrap(), Arch::X86_64);
        assert_eq!(
            native_abi(Arch::X86_64, Some(Arch::I386)).unwrap(),
            Arch::I386
        );
        let e = native_abi(Arch::X86_64, Some(Arch::Arm))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--arch arm runs on the aarch64 kernel"), "{e}");
        assert!(e.contains("x86_64, i386"), "{e}");
    }
}

#[cfg(test)]
mod console_tests {
    use super::*;
    use crate::protocol::records::encode_record;

    /// A guest's batch of one case that timed out, its records on the channel.
    fn timed_out(console: Option<&str>) -> RawRun {
        let env = EnvReport {
            protocol_version: crate::protocol::PROTOCOL_VERSION,
            payload_arch: "s390x".into(),
            uname_release: "6.1.0-50-s390x".into(),
            uname_version: "#1 SMP Debian 6.1.176-1".into(),
            page_size: 4096,
            pid_max: 32768,
            cap_effective: !0,
            nspid: vec![1],
            namespaces: 0xff,
            clone3_probe_ret: -22,
            clone3_probe_errno: 22,
            ..EnvReport::default()
        };
        let obs = Observation {
            case_index: 0,
            timed_out: true,
            ..Observation::default()
        };
        let output = [
            encode_record(0, &RecordBody::Env(env)),
            encode_record(1, &RecordBody::Observation(Box::new(obs))),
            encode_record(2, &RecordBody::End { cases_run: 1 }),
        ]
        .concat();
        RawRun {
            arch: Arch::S390x,
            runner: RunnerKind::QemuSystem,
            output: output.into_bytes(),
            console: console.map(|c| c.as_bytes().to_vec()),
            wall_time: Duration::ZERO,
            payload: Payload {
                arch: Arch::S390x,
                path: Default::default(),
                build_id: String::new(),
            },
            payload_level: 0,
            kernel_package: None,
            kernel_channel: None,
            qemu: None,
            failure: None,
        }
    }

    #[test]
    fn a_kernel_fault_on_the_console_joins_the_log_of_a_case_that_broke() {
        let case = cloneabi_suites::catalog::all_cases().remove(0);
        let cases = std::slice::from_ref(&case);
        let oops = "[    5.4296] Unable to handle kernel pointer dereference in virtual kernel address space\n\
                    [    5.4311] Oops: 0004 ilc:3 [#1] SMP\n";
        let run = judge_run(cases, timed_out(Some(oops)));
        let result = &run.results[0];
        assert_eq!(result.verdict, Verdict::Error, "{result:?}");
        let log = result.log.as_deref().unwrap_or_default();
        assert!(log.contains("Oops: 0004"), "{log}");
        // A console without a fault adds nothing, and without a channel the console is the
        // records' own stream, already the log of a lost case.
        for console in [Some("[    1.0] virtio_console virtio1: ok\n"), None] {
            let run = judge_run(cases, timed_out(console));
            let log = run.results[0].log.clone().unwrap_or_default();
            assert!(!log.contains("the console during the batch"), "{log}");
            assert_eq!(run.results[0].verdict, Verdict::Error);
        }
    }
}
