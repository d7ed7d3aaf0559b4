//! `cloneabi fuzz`'s runners: a batch of generated cases run natively in the sandbox or in
//! one guest boot, judged by the same `judge_run` as the suite.

use crate::session::{model_env, run_native, NativeRun};
use crate::system_session::{run_qemu_system, GuestKernel};
use cloneabi_arch::Arch;
use cloneabi_report::model::Run;
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
