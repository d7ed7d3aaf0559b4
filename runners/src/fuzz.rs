//! `cloneabi fuzz`'s runners: a batch of generated cases run natively in the sandbox or in
//! one guest boot, judged by the same `judge_run` as the suite; and the second kernel a
//! FAIL's shrunk case is run on to classify it (`cloneabi_suites::fuzz::classify`).

use crate::guest_session::{GuestSession, SessionError};
use crate::session::{model_env, run_native, NativeRun};
use crate::system_session::{run_qemu_system, GuestKernel};
use cloneabi_arch::Arch;
use cloneabi_report::model::{Run, RunnerKind};
use cloneabi_suites::case::Case;
use cloneabi_suites::fuzz::{Executor, Outcome};
use cloneabi_suites::model::ModelEnv;
use std::time::Duration;

/// One outcome per case of a judged run, in the cases' order. A run that broke (the payload
/// crashed, the guest hung) leaves its lost cases as ERROR, each naming the run's failure.
pub fn outcomes(run: &Run) -> Vec<Outcome> {
    run.results
        .iter()
        .map(|r| Outcome {
            log: r
                .is_bad()
                .then(|| r.log.clone().or_else(|| run.console_excerpt.clone()))
                .flatten(),
            verdict: r.verdict,
            expected: r.expected.clone(),
            observed: r.observed.clone(),
            reason: r.reason.clone(),
            expected_outcome: r.expected_outcome.clone(),
            observed_outcome: r.observed_outcome.clone(),
        })
        .collect()
}

/// The model's view of the target a run ran on, when the payload reported it.
pub fn run_model_env(run: &Run, payload_level: u32) -> Option<ModelEnv> {
    let env = run.env.as_ref()?;
    let kernel = cloneabi_arch::KernelVersion::from_uname(&env.uname_release, &env.uname_version)?;
    Some(model_env(run.arch, run.runner, env, kernel, payload_level))
}

/// Batches run natively, each in a fresh sandbox.
pub struct NativeExecutor {
    pub opts: NativeRun,
    /// The last run, for its environment and kernel.
    pub last: Option<Run>,
}

impl Executor for NativeExecutor {
    fn run(&mut self, cases: &[Case]) -> Result<Vec<Outcome>, String> {
        let run = run_native(cases, &self.opts).map_err(|e| e.to_string())?;
        let out = outcomes(&run);
        self.last = Some(run);
        Ok(out)
    }
}

/// Batches run in a guest session: one boot takes batch after batch over the record
/// channel (the campaign's, then each shrinking step's and confirmation's), and a new boot
/// follows each time the guest breaks (a panic, a hang, QEMU dying) while a case runs.
pub struct GuestExecutor<'a> {
    pub arch: Arch,
    pub kernel: GuestKernel<'a>,
    /// For the boot, and for each batch from sending it to its end record.
    pub timeout: Duration,
    pub last: Option<Run>,
    /// The breaks booted past since [`Executor::take_breaks`] last took them.
    pub breaks: Vec<String>,
    /// The live guest, while it lasts.
    session: Option<GuestSession<'a>>,
    /// Guest boots so far.
    pub boots: usize,
    /// Batches run so far, over every boot.
    pub batches: usize,
    /// Why the guest cannot keep a session (its kernel has no record channel): each batch
    /// then boots it.
    pub no_session: Option<String>,
}

impl<'a> GuestExecutor<'a> {
    pub fn new(arch: Arch, kernel: GuestKernel<'a>, timeout: Duration) -> GuestExecutor<'a> {
        GuestExecutor {
            arch,
            kernel,
            timeout,
            last: None,
            breaks: Vec::new(),
            session: None,
            boots: 0,
            batches: 0,
            no_session: None,
        }
    }
}

/// At most this many boots after a break within one batch: a kernel that breaks on every
/// case is reported, not booted for each of them.
pub const MAX_REBOOTS: u32 = 16;

impl Executor for GuestExecutor<'_> {
    fn run(&mut self, cases: &[Case]) -> Result<Vec<Outcome>, String> {
        let (arch, timeout) = (self.arch, self.timeout);
        let (kernel, session) = (&self.kernel, &mut self.session);
        let (boots, batches) = (&mut self.boots, &mut self.batches);
        let no_session = &mut self.no_session;
        let r = run_rebooting(cases, MAX_REBOOTS, |rest| {
            *batches += 1;
            if no_session.is_none() && !session.as_ref().is_some_and(GuestSession::is_alive) {
                *session = None;
                *boots += 1;
                match GuestSession::start(arch, kernel, timeout) {
                    Ok(s) => *session = Some(s),
                    Err(SessionError::NoChannel(why)) => {
                        eprintln!(
                            "cloneabi: {} has no record channel ({why}): every batch boots the guest",
                            kernel.name()
                        );
                        *no_session = Some(why);
                    }
                    Err(SessionError::Start(e)) => return Err(e.to_string()),
                }
            }
            match session.as_mut() {
                Some(live) => live.run(rest, timeout).map_err(|e| e.to_string()),
                None => {
                    *boots += 1;
                    run_qemu_system(rest, arch, kernel, timeout).map_err(|e| e.to_string())
                }
            }
        })?;
        self.last = Some(r.last);
        self.breaks.extend(r.breaks);
        Ok(r.outcomes)
    }

    fn take_breaks(&mut self) -> Vec<String> {
        std::mem::take(&mut self.breaks)
    }
}

/// Where a broken run stopped: the first case it has no observation for, when the run
/// itself broke after the payload started (its environment arrived). The payload runs the
/// cases in order, so that is the case the guest broke in.
fn broken_at(run: &Run) -> Option<usize> {
    run.error.as_ref()?;
    run.env.as_ref()?;
    run.results.iter().position(|r| r.is_lost())
}

/// What [`run_rebooting`] ran.
pub struct Rebooted {
    /// Every case's outcome, in order.
    pub outcomes: Vec<Outcome>,
    /// The last boot's run.
    pub last: Run,
    /// Each break booted past, `<case id>: <what broke>`.
    pub breaks: Vec<String>,
}

/// Runs `cases` through `boot` (one guest boot per call). When a boot breaks while a case
/// runs, that case keeps its ERROR with the console excerpt and the boot's failure, and the
/// cases after it go to a new boot, at most `max_reboots` times; an interrupt stops the
/// reboots.
pub fn run_rebooting(
    cases: &[Case],
    max_reboots: u32,
    mut boot: impl FnMut(&[Case]) -> Result<Run, String>,
) -> Result<Rebooted, String> {
    let mut out = Vec::with_capacity(cases.len());
    let mut rest = cases;
    let mut breaks = Vec::new();
    let last = loop {
        let reboots = breaks.len() as u32;
        let run = boot(rest)?;
        let mut outs = outcomes(&run);
        let at = broken_at(&run)
            .filter(|_| reboots < max_reboots && crate::interrupt::requested().is_none());
        let Some(at) = at else {
            out.extend(outs);
            break run;
        };
        let failure = run.error.as_deref().unwrap_or_default();
        if let Some(o) = outs.get_mut(at) {
            o.reason = format!(
                "lost: the guest broke while this case ran ({failure}); the cases after it ran \
                 in a new boot"
            );
        }
        out.extend(outs.drain(..=at));
        rest = &rest[at + 1..];
        if rest.is_empty() {
            // Nothing is left to boot for: the run's own error says what broke.
            break run;
        }
        breaks.push(format!("{}: {failure}", run.results[at].case));
        eprintln!(
            "cloneabi: the {} guest broke in case {} ({failure}); booting again for the {} \
             cases after it",
            run.arch,
            run.results[at].case,
            rest.len()
        );
    };
    Ok(Rebooted {
        outcomes: out,
        last,
        breaks,
    })
}

/// The second kernel's run of a campaign's shrunk cases, or which run was wanted and why it
/// could not happen.
pub enum SecondKernel {
    Ran(Box<Run>),
    Unavailable { wanted: String, why: String },
}

/// Runs `cases` (the shrunk FAILs of a campaign that ran `arch` on `runner`) once more on a
/// second kernel that needs no download: a guest campaign's on the host, when the host's
/// kernel runs `arch`; a native campaign's in the cached Debian bookworm guest of the host's
/// arch, when it is cached. Never fetches a kernel.
pub fn second_kernel(
    runner: RunnerKind,
    arch: Arch,
    cases: &[Case],
    timeout: Duration,
) -> SecondKernel {
    use crate::kernels::{self, Cache, Release};
    let unavailable = |wanted: String, why: String| SecondKernel::Unavailable { wanted, why };
    match runner {
        RunnerKind::QemuSystem | RunnerKind::QemuUser => {
            let wanted = "the host kernel".to_string();
            let Some(host) = Arch::host() else {
                return unavailable(
                    wanted,
                    format!(
                        "this host ({}) is no arch cloneabi covers",
                        std::env::consts::ARCH
                    ),
                );
            };
            if arch.kernel_abi() != host.kernel_abi() {
                return unavailable(
                    wanted,
                    format!("the host's {host} kernel does not run the {arch} ABI"),
                );
            }
            let mut opts = NativeRun::default();
            opts.sandbox.timeout = timeout;
            opts.arch = Some(arch);
            match run_native(cases, &opts) {
                Ok(run) => SecondKernel::Ran(Box::new(run)),
                Err(e) => unavailable(wanted, e.to_string()),
            }
        }
        RunnerKind::Native => {
            let kernel_arch = arch.kernel_abi();
            let wanted = format!("the cached Debian bookworm {kernel_arch} guest");
            let cache = match Cache::from_env() {
                Ok(c) => c,
                Err(e) => return unavailable(wanted, format!("the kernel cache is unusable: {e}")),
            };
            let Some(image) = kernels::cached(Release::Bookworm, arch, &cache) else {
                return unavailable(
                    wanted,
                    format!(
                        "it is not cached (`cloneabi kernels fetch --release bookworm --arch {kernel_arch}` \
                         fetches it)"
                    ),
                );
            };
            match run_qemu_system(cases, arch, &GuestKernel::cached(&image), timeout) {
                Ok(run) => SecondKernel::Ran(Box::new(run)),
                Err(e) => unavailable(wanted, e.to_string()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloneabi_report::model::{CaseResult, KernelInfo};
    use cloneabi_suites::observation::EnvReport;
    use cloneabi_suites::verdict::Verdict;

    /// A run of `cases` that broke at `broke_at` (None: ran to its end).
    fn fake_run(cases: &[Case], broke_at: Option<usize>) -> Run {
        let results = cases
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let lost = broke_at.is_some_and(|b| i >= b);
                CaseResult {
                    case: c.id.clone(),
                    arch: Arch::X86_64,
                    runner: RunnerKind::QemuSystem,
                    kernel: "6.1".into(),
                    verdict: if lost { Verdict::Error } else { Verdict::Pass },
                    expected: String::new(),
                    observed: String::new(),
                    reason: if lost {
                        "lost: no observation arrived for this case".into()
                    } else {
                        String::new()
                    },
                    duration_us: 0,
                    expected_outcome: String::new(),
                    observed_outcome: String::new(),
                    observation: None,
                    log: lost.then(|| "Kernel panic - not syncing".into()),
                }
            })
            .collect();
        Run {
            arch: Arch::X86_64,
            runner: RunnerKind::QemuSystem,
            kernel: KernelInfo::default(),
            qemu: None,
            payload_build_id: String::new(),
            env: Some(EnvReport::default()),
            findings: Vec::new(),
            error: broke_at.map(|_| "the kernel reported 'panic' during the run".into()),
            console_excerpt: None,
            wall_time_ms: 0,
            results,
        }
    }

    fn cases(n: usize) -> Vec<Case> {
        let template = cloneabi_suites::catalog::all_cases().remove(0);
        (0..n)
            .map(|i| Case {
                id: format!("fuzz.0.{i}"),
                ..template.clone()
            })
            .collect()
    }

    #[test]
    fn a_guest_that_breaks_in_a_case_is_booted_again_for_the_cases_after_it() {
        let all = cases(10);
        // The first boot breaks in case 3, the second in its own case 2 (case 6 overall).
        let mut boots: Vec<Vec<String>> = Vec::new();
        let Rebooted {
            outcomes: out,
            last,
            breaks,
        } = run_rebooting(&all, 16, |rest| {
            boots.push(rest.iter().map(|c| c.id.clone()).collect());
            Ok(fake_run(rest, [Some(3), Some(2), None][boots.len() - 1]))
        })
        .unwrap();
        assert_eq!(
            breaks,
            [
                "fuzz.0.3: the kernel reported 'panic' during the run",
                "fuzz.0.6: the kernel reported 'panic' during the run"
            ]
        );
        assert!(last.error.is_none());
        assert_eq!(boots[1].first().map(String::as_str), Some("fuzz.0.4"));
        assert_eq!(boots[2].first().map(String::as_str), Some("fuzz.0.7"));
        assert_eq!(out.len(), 10);
        let errors: Vec<usize> = (0..10)
            .filter(|i| out[*i].verdict == Verdict::Error)
            .collect();
        assert_eq!(errors, [3, 6]);
        for i in errors {
            assert!(
                out[i].reason.contains("broke while this case ran"),
                "{}",
                out[i].reason
            );
            assert!(out[i].reason.contains("'panic'"), "{}", out[i].reason);
            assert!(out[i]
                .log
                .as_deref()
                .is_some_and(|l| l.contains("Kernel panic")));
        }
    }

    #[test]
    fn reboots_stop_at_the_limit_and_leave_the_rest_lost() {
        let all = cases(6);
        let mut n = 0;
        let r = run_rebooting(&all, 2, |rest| {
            n += 1;
            Ok(fake_run(rest, Some(0)))
        })
        .unwrap();
        assert_eq!((n, r.breaks.len()), (3, 2));
        assert!(r.last.error.is_some());
        let out = r.outcomes;
        assert_eq!(out.len(), 6);
        assert!(out.iter().all(|o| o.verdict == Verdict::Error));
        assert!(
            out[3].reason.starts_with("lost: no observation"),
            "{}",
            out[3].reason
        );
    }

    #[test]
    fn a_run_that_broke_before_the_payload_started_is_not_booted_again() {
        let all = cases(3);
        let mut n = 0;
        let r = run_rebooting(&all, 16, |rest| {
            n += 1;
            let mut run = fake_run(rest, Some(0));
            run.env = None;
            Ok(run)
        })
        .unwrap();
        assert_eq!((n, r.breaks.len(), r.outcomes.len()), (1, 0, 3));
    }

    #[test]
    fn a_guest_campaign_of_an_abi_the_host_does_not_run_has_no_second_kernel() {
        let Some(host) = Arch::host() else { return };
        let other = Arch::ALL
            .into_iter()
            .find(|a| a.kernel_abi() != host.kernel_abi())
            .expect("another arch");
        match second_kernel(RunnerKind::QemuSystem, other, &[], Duration::from_secs(1)) {
            SecondKernel::Unavailable { wanted, why } => {
                assert_eq!(wanted, "the host kernel");
                assert!(
                    why.contains(&format!("does not run the {other} ABI")),
                    "{why}"
                );
            }
            SecondKernel::Ran(_) => panic!("{other} ran on the {host} host"),
        }
    }
}
