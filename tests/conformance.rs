//! The conformance suite as `cargo test` trials: one per case natively, named
//! `native::<triple>::<case id>`, and one per qemu-system boot of a default kernel, named
//! `qemu-system::<triple>::<kernel release>`, so `cargo test powerpc64-unknown-linux-gnu`
//! selects one triple. Skipped cases are ignored trials whose reason is printed; with `CI=true` a runner
//! that cannot start fails instead of skipping.

use cloneabi_arch::Arch;
use cloneabi_report::model::Run;
use cloneabi_runners::session::{run_native, NativeRun};
use cloneabi_suites::case::Call;
use cloneabi_suites::catalog::all_cases;
use cloneabi_suites::verdict::Verdict;
use libtest_mimic::{Arguments, Failed, Trial};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A trial that stands for a runner that could not start.
fn unavailable(name: String, why: String) -> Trial {
    if in_ci() {
        Trial::test(name, move || {
            Err(Failed::from(format!(
                "required runner unavailable in CI: {why}"
            )))
        })
    } else {
        eprintln!("SKIP {name}: {why}");
        Trial::test(name, || Ok(())).with_ignored_flag(true)
    }
}

fn case_trials(prefix: &str, run: &Run) -> Vec<Trial> {
    run.results
        .iter()
        .map(|r| {
            let name = format!("{prefix}::{}", r.case);
            let (verdict, detail) = (
                r.verdict,
                format!(
                    "expected: {}\nobserved: {}\nreason: {}",
                    r.expected, r.observed, r.reason
                ),
            );
            match verdict {
                Verdict::Skip => {
                    eprintln!("SKIP {name}: {}", r.reason);
                    Trial::test(name, || Ok(())).with_ignored_flag(true)
                }
                Verdict::Pass => Trial::test(name, || Ok(())),
                _ => Trial::test(name, move || {
                    Err(Failed::from(format!("{verdict}\n{detail}")))
                }),
            }
        })
        .collect()
}

fn native_trials() -> Vec<Trial> {
    let Some(arch) = Arch::host() else {
        return Vec::new();
    };
    let prefix = format!("native::{}", arch.triple());
    match run_native(&all_cases(), &NativeRun::default()) {
        Ok(run) => {
            let mut trials = case_trials(&prefix, &run);
            let error = run.error.clone();
            trials.push(Trial::test(format!("{prefix}::run"), move || match error {
                Some(e) => Err(Failed::from(e)),
                None => Ok(()),
            }));
            trials
        }
        Err(e) => vec![unavailable(format!("{prefix}::run"), e.to_string())],
    }
}

/// Under a seccomp filter that answers clone3 with `errno`, no clone3 case that needs the
/// kernel may pass, and the run must say the filter, not the kernel, refused clone3.
fn masked_trial(arch: Arch, errno_name: &'static str, errno: i32) -> Trial {
    let name = format!(
        "seccomp::{}::clone3_masked_with_{}",
        arch.triple(),
        errno_name.to_ascii_lowercase()
    );
    Trial::test(name, move || {
        let cases = all_cases();
        let mut opts = NativeRun::default();
        opts.sandbox.mask_clone3_with = Some(errno);
        let run = run_native(&cases, &opts).map_err(|e| Failed::from(e.to_string()))?;
        let env = run
            .env
            .as_ref()
            .ok_or("the payload reported no environment")?;
        if env.seccomp_mode != 2 {
            return Err(format!("the payload saw Seccomp: {}, not 2", env.seccomp_mode).into());
        }
        if !run
            .findings
            .iter()
            .any(|f| f.contains("masked by a seccomp filter"))
        {
            return Err(format!("no finding names the seccomp mask: {:?}", run.findings).into());
        }
        let mut legacy_passed = 0;
        for (case, result) in cases.iter().zip(&run.results) {
            match (&case.call, result.verdict) {
                (Call::Clone3(_), Verdict::Pass) => {
                    return Err(format!("{} passed although clone3 is masked", case.id).into());
                }
                (Call::Clone3(_), Verdict::Error) if !result.reason.contains("seccomp") => {
                    return Err(format!(
                        "{} does not blame the filter: {}",
                        case.id, result.reason
                    )
                    .into());
                }
                (Call::Legacy(_), Verdict::Pass) => legacy_passed += 1,
                _ => {}
            }
        }
        if legacy_passed == 0 {
            return Err("legacy clone() cases should be unaffected by a clone3-only filter".into());
        }
        Ok(())
    })
}

/// One trial per ABI of each default (arch, kernel) guest, named
/// `qemu-system::<triple>::<release>`: it passes when no case of that ABI fails or errors in
/// that boot. Missing kernels are provisioned
/// first (downloaded, or built for big-endian ppc64), once, under the cache's locks.
fn qemu_system_trials() -> Vec<Trial> {
    use cloneabi_runners::kernels::Cache;
    use cloneabi_runners::matrix::{default_guests, run_guests};
    let log = |m: &str| eprintln!("cloneabi: {m}");
    cloneabi_runners::provision::ensure_packages();
    let cache = match Cache::from_env() {
        Ok(c) => c,
        Err(e) => return vec![unavailable("qemu-system::cache".into(), e.to_string())],
    };
    let (guests, missing) = default_guests(&cache, true, &log);
    let mut trials: Vec<Trial> = missing
        .into_iter()
        .enumerate()
        .map(|(i, why)| unavailable(format!("qemu-system::missing-kernel-{i}"), why))
        .collect();
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runs = run_guests(
        &all_cases(),
        &guests,
        jobs,
        std::time::Duration::from_secs(600),
        &|e| log(&e.line()),
    );
    for (guest, boot) in guests.iter().zip(runs) {
        for (abi, run) in boot {
            let name = format!(
                "qemu-system::{}::{}",
                abi.triple(),
                guest.kernel.meta.kernel_release
            );
            trials.push(match run {
                Err(e) => unavailable(name, e.to_string()),
                Ok(run) => Trial::test(name, move || {
                    let bad: Vec<String> = run
                        .results
                        .iter()
                        .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Error))
                        .map(|r| format!("{} {}: {}", r.verdict, r.case, r.reason))
                        .collect();
                    match (&run.error, bad.is_empty()) {
                        (Some(e), _) => {
                            Err(format!("the run broke: {e}\n{}", bad.join("\n")).into())
                        }
                        (None, false) => Err(bad.join("\n").into()),
                        (None, true) => Ok(()),
                    }
                }),
            });
        }
    }
    trials
}

/// One trial per foreign arch under qemu-user, named `qemu-user::<triple>`: the emulator's
/// missing clone3 must be reported as such (SKIP with that reason, never PASS or FAIL), and
/// the legacy clone() cases must not fail.
fn qemu_user_trials() -> Vec<Trial> {
    use cloneabi_runners::session::run_qemu_user;
    let cases = all_cases();
    Arch::ALL
        .into_iter()
        // QEMU has no user-mode emulator for some ABIs (x32): nothing to run there.
        .filter(|a| Some(*a) != Arch::host() && a.abi().debian.qemu_user.is_some())
        .map(|arch| {
            let name = format!("qemu-user::{}", arch.triple());
            match run_qemu_user(&cases, arch, &NativeRun::default()) {
                Err(e) => unavailable(name, e.to_string()),
                Ok(run) => {
                    let cases = cases.clone();
                    Trial::test(name, move || {
                        if !run
                            .findings
                            .iter()
                            .any(|f| f.contains("qemu-user lacks clone3"))
                        {
                            return Err(format!(
                                "no finding about the emulator: {:?}",
                                run.findings
                            )
                            .into());
                        }
                        for (case, r) in cases.iter().zip(&run.results) {
                            let clone3 = matches!(case.call, Call::Clone3(_));
                            if clone3
                                && (r.verdict != Verdict::Skip
                                    || !r.reason.contains("qemu-user lacks clone3"))
                            {
                                return Err(
                                    format!("{}: {} ({})", case.id, r.verdict, r.reason).into()
                                );
                            }
                            if matches!(r.verdict, Verdict::Fail | Verdict::Error) {
                                return Err(
                                    format!("{}: {}: {}", case.id, r.verdict, r.reason).into()
                                );
                            }
                        }
                        Ok(())
                    })
                }
            }
        })
        .collect()
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = native_trials();
    trials.extend(qemu_system_trials());
    trials.extend(qemu_user_trials());
    if let Some(arch) = Arch::host() {
        trials.push(masked_trial(arch, "ENOSYS", cloneabi_suites::errno::ENOSYS));
        trials.push(masked_trial(arch, "EPERM", cloneabi_suites::errno::EPERM));
    }
    libtest_mimic::run(&args, trials).exit();
}
