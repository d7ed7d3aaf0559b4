//! A realistic, deterministic sample report: eight runs over five arches and three runners,
//! every verdict, a timeout, a lost record, a broken run, an arch difference the model
//! explains (page size) and two it does not (emulator bugs). Used by the tests of every
//! format and for docs/report-matrix-sample.png.

use crate::campaign::{Campaign, Classification, Divergence, FieldDiff, SecondRun};
use crate::model::*;
use cloneabi_arch::Arch;
use cloneabi_suites::observation::EnvReport;
use cloneabi_suites::verdict::Verdict;

const HOST_KERNEL: &str = "6.12.90+deb13.1-amd64";

/// (case id, expected outcome, human-readable expectation).
const CASES: &[(&str, &str, &str)] = &[
    (
        "clone3.size.ver0",
        "ok",
        "success with size CLONE_ARGS_SIZE_VER0 (64)",
    ),
    ("clone3.size.short", "EINVAL", "EINVAL for size 56 < VER0"),
    (
        "clone3.size.nonzero_tail",
        "E2BIG",
        "E2BIG: non-zero byte after the known struct",
    ),
    (
        "clone3.size.8k",
        "E2BIG",
        "E2BIG: size 8192 > page size 4096",
    ),
    (
        "clone3.exit_signal.invalid",
        "EINVAL",
        "EINVAL for exit_signal 65 (> _NSIG)",
    ),
    (
        "clone3.flags.clear_sighand",
        "ok",
        "success, child sees SIGUSR1 at SIG_DFL",
    ),
    (
        "clone3.tls.settls",
        "ok",
        "success, child TLS register = tls_area",
    ),
    (
        "clone3.stack.zero_size",
        "EINVAL",
        "EINVAL: stack given with stack_size 0",
    ),
    (
        "clone3.set_tid.nested",
        "ok",
        "success, child pid = set_tid[0] in the new pid ns",
    ),
    (
        "clone3.into_cgroup",
        "ok",
        "success, child listed in the target cgroup.procs",
    ),
    (
        "clone3.pidfd.send_signal",
        "ok",
        "success, pidfd_send_signal delivers SIGUSR2",
    ),
    (
        "clone3.newtime",
        "ok",
        "success, child in a new time namespace",
    ),
];

struct RunSpec {
    arch: Arch,
    runner: RunnerKind,
    kernel: String,
    qemu: Option<(&'static str, &'static str, &'static str)>,
    page_size: u64,
    root: bool,
}

fn specs() -> Vec<RunSpec> {
    use RunnerKind::*;
    let s = |arch, runner, kernel: &str, qemu, page_size, root| RunSpec {
        arch,
        runner,
        kernel: kernel.to_string(),
        qemu,
        page_size,
        root,
    };
    let mut specs = vec![
        s(Arch::X86_64, Native, HOST_KERNEL, None, 4096, false),
        s(
            Arch::X86_64,
            QemuSystem,
            HOST_KERNEL,
            Some(("qemu-system-x86_64", "q35", "Nehalem")),
            4096,
            true,
        ),
        s(
            Arch::Aarch64,
            QemuUser,
            HOST_KERNEL,
            Some(("qemu-aarch64", "", "max")),
            4096,
            false,
        ),
        s(
            Arch::Aarch64,
            QemuSystem,
            "6.12.90+deb13.1-arm64",
            Some(("qemu-system-aarch64", "virt,gic-version=3", "max")),
            4096,
            true,
        ),
        s(
            Arch::S390x,
            QemuUser,
            HOST_KERNEL,
            Some(("qemu-s390x", "", "max")),
            4096,
            false,
        ),
        s(
            Arch::S390x,
            QemuSystem,
            "6.12.90+deb13.1-s390x",
            Some(("qemu-system-s390x", "s390-ccw-virtio", "max,zpci=on")),
            4096,
            true,
        ),
        s(
            Arch::Powerpc64le,
            QemuSystem,
            "6.12.90+deb13.1-powerpc64le",
            Some(("qemu-system-ppc64", "pseries", "POWER9")),
            65536,
            true,
        ),
        s(
            Arch::Powerpc64,
            QemuSystem,
            "7.0.4-1-powerpc64",
            Some(("qemu-system-ppc64", "pseries", "POWER8")),
            65536,
            true,
        ),
    ];
    // Every other ABI of the table: one clean guest run on its kernel's machine.
    for arch in Arch::ALL {
        if specs.iter().all(|sp| sp.arch != arch) {
            let q = &arch.kernel_arch().qemu;
            specs.push(RunSpec {
                arch,
                runner: QemuSystem,
                kernel: format!("7.2.13+deb14-{}", arch.kernel_arch().uname_machine),
                qemu: Some((q.binary, q.tuned.machine, q.default_cpu)),
                page_size: arch.abi().default_page_size,
                root: true,
            });
        }
    }
    specs
}

fn errno_of(outcome: &str) -> (i64, i32) {
    match outcome {
        "EINVAL" => (-22, 22),
        "E2BIG" => (-7, 7),
        "EPERM" => (-1, 1),
        _ => (4242, 0),
    }
}

/// The sample report. Deterministic: the same value on every call.
pub fn sample_report() -> Report {
    let runs = specs().into_iter().map(make_run).collect();
    Report {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: "cloneabi".into(),
            version: "0.1.0".into(),
        },
        created: "2026-11-27T09:30:00Z".into(),
        host: HostInfo {
            hostname: "ci-runner-7".into(),
            arch: "x86_64".into(),
            kernel_release: HOST_KERNEL.into(),
        },
        runs,
        campaigns: Vec::new(),
    }
}

fn make_run(spec: RunSpec) -> Run {
    let emulated_user = spec.runner == RunnerKind::QemuUser;
    let mut results = Vec::new();
    let mut findings = Vec::new();
    let mut error = None;
    let mut console_excerpt = None;
    for (index, (id, default_expected, expected_text)) in CASES.iter().enumerate() {
        let mut expected_outcome = default_expected.to_string();
        let mut expected = expected_text.to_string();
        if *id == "clone3.size.8k" && spec.page_size == 65536 {
            // The model explains this difference: 8192 fits in a 64 KiB page.
            expected_outcome = "ok".into();
            expected = "success: size 8192 <= page size 65536, zero tail".into();
        }
        let mut observed_outcome = expected_outcome.clone();
        let mut verdict = Verdict::Pass;
        let mut reason = String::new();
        let mut log = None;
        let needs_root = matches!(*id, "clone3.set_tid.nested" | "clone3.into_cgroup");
        if needs_root && !spec.root {
            verdict = Verdict::Skip;
            observed_outcome = "none".into();
            reason = if *id == "clone3.into_cgroup" {
                "cgroup2 not mountable: payload is not root (uid 1000)".into()
            } else {
                "needs CAP_SYS_ADMIN in the caller's user namespace (uid 1000)".into()
            };
        }
        if emulated_user && spec.arch == Arch::S390x && *id == "clone3.tls.settls" {
            verdict = Verdict::Fail;
            observed_outcome = "killed:SIGSEGV".into();
            reason = "child killed by SIGSEGV before reporting".into();
            log = Some("qemu: uncaught target signal 11 (Segmentation fault) - core dumped".into());
        }
        if emulated_user && spec.arch == Arch::Aarch64 && *id == "clone3.stack.zero_size" {
            verdict = Verdict::Fail;
            observed_outcome = "ok".into();
            reason = "clone3 returned a child pid where the kernel answers EINVAL".into();
        }
        let mut timed_out = false;
        if spec.arch == Arch::Powerpc64 && *id == "clone3.pidfd.send_signal" {
            verdict = Verdict::Error;
            observed_outcome = "timeout".into();
            reason = "timeout after 5000 ms: child never reaped".into();
            timed_out = true;
            log = Some("[  12.345678] clone3-payload: waiting for child\n".into());
        }
        if spec.arch == Arch::Powerpc64 && *id == "clone3.newtime" {
            verdict = Verdict::Error;
            observed_outcome = "none".into();
            reason = "lost: the guest stopped before the case's record arrived".into();
        }
        let (ret, errno) = errno_of(&observed_outcome);
        let observed = match (verdict, observed_outcome.as_str()) {
            (Verdict::Skip, _) => "not run".to_string(),
            (_, "ok") => format!("success: ret > 0, child exited 0 (case {index})"),
            (_, "timeout") => "no answer within 5000 ms".to_string(),
            (_, "none") => "no record".to_string(),
            (_, "killed:SIGSEGV") => "child killed by signal 11 (SIGSEGV)".to_string(),
            (_, other) => format!("ret -1, errno {other}"),
        };
        let observation = (verdict != Verdict::Skip && observed_outcome != "none").then(|| {
            serde_json::json!({
                "case_index": index,
                "ret": ret,
                "errno": errno,
                "timed_out": timed_out,
            })
        });
        results.push(CaseResult {
            case: id.to_string(),
            arch: spec.arch,
            runner: spec.runner,
            kernel: spec.kernel.to_string(),
            verdict,
            expected,
            observed,
            reason,
            duration_us: 180 + 37 * index as u64 + if timed_out { 5_000_000 } else { 0 },
            expected_outcome,
            observed_outcome,
            observation,
            log,
        });
    }
    if spec.arch == Arch::Powerpc64 {
        error = Some("console ended after case 10: kernel panic in the guest".into());
        console_excerpt = Some(
            "[   13.002113] Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\n\
             [   13.002551] CPU: 0 PID: 1 Comm: init Not tainted 7.0.4-1-powerpc64\n"
                .into(),
        );
        findings.push("records stopped after case 10; later cases are lost".into());
    }
    if spec.runner == RunnerKind::QemuUser {
        findings.push(format!(
            "qemu-user runs on the host kernel {HOST_KERNEL}: kernel behaviour is the host's"
        ));
    }
    if spec.arch == Arch::Aarch64 && spec.runner == RunnerKind::QemuUser {
        findings.push("qemu-aarch64 accepts clone3 with a stack and stack_size 0".into());
    }
    let qemu = spec.qemu.map(|(binary, machine, cpu)| QemuInfo {
        binary: binary.into(),
        version: "10.0.2 (Debian 1:10.0.2+ds-2)".into(),
        machine: (!machine.is_empty()).then(|| machine.to_string()),
        cpu: Some(cpu.into()),
        accelerator: (spec.runner == RunnerKind::QemuSystem).then(|| "tcg".to_string()),
    });
    let env = EnvReport {
        protocol_version: 1,
        payload_arch: spec.arch.name().into(),
        uname_release: spec.kernel.clone(),
        uname_version: "#1 SMP PREEMPT_DYNAMIC Debian 6.12.90-1 (2026-10-02)".into(),
        uname_machine: spec.arch.kernel_arch().uname_machine.into(),
        page_size: spec.page_size,
        pid_max: 4_194_304,
        uid: if spec.root { 0 } else { 1000 },
        euid: if spec.root { 0 } else { 1000 },
        cap_effective: if spec.root { 0x1ff_ffff_ffff } else { 0 },
        seccomp_mode: 0,
        nspid: vec![if spec.root { 1 } else { 4242 }],
        cgroup2_errno: if spec.root { 0 } else { 1 },
        cgroup2_controllers: if spec.root {
            "cpu memory pids".into()
        } else {
            String::new()
        },
        namespaces: 0xff,
        clone3_probe_ret: -1,
        clone3_probe_errno: 22,
        cgroup1_errno: if spec.root { 0 } else { -1 },
    };
    let wall_time_ms = match spec.runner {
        RunnerKind::Native => 412,
        RunnerKind::QemuUser => 2_310,
        RunnerKind::QemuSystem => 41_800 + 1_000 * spec.arch as u64,
    };
    Run {
        arch: spec.arch,
        runner: spec.runner,
        kernel: KernelInfo {
            release: spec.kernel.clone(),
            version: "#1 SMP PREEMPT_DYNAMIC Debian 6.12.90-1 (2026-10-02)".into(),
            package: (spec.runner == RunnerKind::QemuSystem)
                .then(|| format!("linux-image-{}", spec.kernel)),
            package_version: (spec.runner == RunnerKind::QemuSystem).then(|| "6.12.90-1".into()),
            channel: (spec.runner == RunnerKind::QemuSystem).then(|| "bookworm-backports".into()),
        },
        qemu,
        payload_build_id: format!("sha256:{:016x}", 0x5eed_0000_u64 + spec.arch as u64),
        env: Some(env),
        findings,
        error,
        console_excerpt,
        wall_time_ms,
        results,
    }
}

/// A sample `cloneabi fuzz` campaign with two divergences: the model's FAIL, confirmed by a
/// second kernel, and a case that broke with a kernel fault on the console.
pub fn sample_campaign() -> Campaign {
    let kernel = KernelInfo {
        release: "6.18.44-fc".into(),
        version: "#1 SMP".into(),
        ..KernelInfo::default()
    };
    let base = Divergence {
        arch: Arch::X86_64,
        runner: RunnerKind::Native,
        kernel: kernel.release.clone(),
        seed: 42,
        case_index: 17,
        case: "fuzz.42.17".into(),
        count: 12,
        signature: "FAIL EFAULT -> EINVAL ".into(),
        verdict: Verdict::Fail,
        expected: "EFAULT (set_tid copied before the exit_signal check)".into(),
        observed: "EINVAL".into(),
        fields: vec![FieldDiff {
            field: "result".into(),
            expected: "EFAULT (set_tid copied before the exit_signal check)".into(),
            observed: "EINVAL".into(),
        }],
        non_default_fields: 2,
        shrunk_confirmed: Some(true),
        catalog_entry: "Case { id: \"fuzz_42_17\" }".into(),
        c_reproducer: Some("int main(void) { return 1; }\n".into()),
        no_c_reproducer: None,
        console_excerpt: None,
        classification: Classification::Model,
        basis: "x86_64 qemu-system 6.1.158 observes what x86_64 native 6.18.44 observed".into(),
        second_run: Some(SecondRun {
            kernel: "x86_64 qemu-system 6.1.158".into(),
            verdict: Verdict::Fail,
            observed: "EINVAL".into(),
        }),
    };
    let crash = Divergence {
        case_index: 230,
        case: "fuzz.42.230".into(),
        count: 1,
        signature: "ERROR ok -> timeout ".into(),
        verdict: Verdict::Error,
        expected: "success: child ran".into(),
        observed: "timed out".into(),
        fields: vec![FieldDiff {
            field: "result".into(),
            expected: "success: child ran".into(),
            observed: "timed out".into(),
        }],
        shrunk_confirmed: None,
        c_reproducer: None,
        no_c_reproducer: Some("the case needs a setup step".into()),
        console_excerpt: Some("[ 3.2] BUG: unable to handle page fault".into()),
        classification: Classification::Kernel,
        basis: "the case broke and the console shows a kernel fault".into(),
        second_run: None,
        ..base.clone()
    };
    Campaign {
        seed: 42,
        arch: Arch::X86_64,
        runner: RunnerKind::Native,
        kernel,
        cases: 3000,
        divergent_cases: 13,
        wall_time_ms: 2100,
        run_errors: Vec::new(),
        divergences: vec![base, crash],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_covers_every_verdict_and_is_deterministic() {
        let r = sample_report();
        assert_eq!(r, sample_report());
        let all: Vec<&CaseResult> = r.runs.iter().flat_map(|run| &run.results).collect();
        for v in [Verdict::Pass, Verdict::Fail, Verdict::Skip, Verdict::Error] {
            assert!(all.iter().any(|c| c.verdict == v), "no {v}");
        }
        assert!(all.iter().any(|c| c.is_timeout()));
        assert!(all.iter().any(|c| c.is_lost()));
        assert!(r.runs.iter().any(|run| run.error.is_some()));
        for runner in [
            RunnerKind::Native,
            RunnerKind::QemuUser,
            RunnerKind::QemuSystem,
        ] {
            assert!(r.runs.iter().any(|run| run.runner == runner));
        }
        for arch in Arch::ALL {
            assert!(r.runs.iter().any(|run| run.arch == arch), "{arch}");
        }
        for run in &r.runs {
            for c in &run.results {
                assert_eq!(
                    (c.arch, c.runner, c.kernel.as_str()),
                    (run.arch, run.runner, run.kernel.release.as_str())
                );
            }
        }
    }
}
