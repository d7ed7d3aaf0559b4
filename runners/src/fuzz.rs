//! `cloneabi fuzz`'s runners: a batch of generated cases run natively in the sandbox or in
//! one guest boot, judged by the same `judge_run` as the suite; and the second kernel a
//! FAIL's shrunk case is run on to classify it (`cloneabi_suites::fuzz::classify`).

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
    Some(model_env(run.arch, env, kernel, payload_level))
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

/// Batches run in a guest: one boot per batch.
pub struct GuestExecutor<'a> {
    pub arch: Arch,
    pub kernel: GuestKernel<'a>,
    pub timeout: Duration,
    pub last: Option<Run>,
}

impl Executor for GuestExecutor<'_> {
    fn run(&mut self, cases: &[Case]) -> Result<Vec<Outcome>, String> {
        let run = run_qemu_system(cases, self.arch, &self.kernel, self.timeout)
            .map_err(|e| e.to_string())?;
        let out = outcomes(&run);
        self.last = Some(run);
        Ok(out)
    }
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
