//! A guest whose kernel crashes in one case of a fuzz batch is booted again for the cases
//! after it: the crashing case is an ERROR with the panic on its console excerpt, and every
//! other case is judged.

use cloneabi_arch::Arch;
use cloneabi_runners::fuzz::GuestExecutor;
use cloneabi_runners::system_session::GuestKernel;
use cloneabi_suites::catalog::all_cases;
use cloneabi_suites::fuzz::Executor;
use cloneabi_suites::verdict::Verdict;
use std::time::Duration;

mod common;

#[test]
fn a_kernel_crash_in_one_case_costs_that_case_only() {
    let Some(kernel) = common::bookworm_x86_64_kernel() else {
        return;
    };
    // Forty plain cases of the catalog; the kernel crashes in the eleventh.
    let mut cases: Vec<_> = all_cases()
        .into_iter()
        .filter(|c| c.steps.is_empty() && c.id.starts_with("flags."))
        .take(40)
        .collect();
    assert_eq!(cases.len(), 40);
    let crash_at = 10;
    cases[crash_at].behavior.crash_kernel = true;
    let mut exec = GuestExecutor::new(
        Arch::X86_64,
        GuestKernel::file(&kernel.path),
        Duration::from_secs(300),
    );
    let out = exec.run(&cases).expect("the guest boots");
    assert_eq!(out.len(), cases.len());
    let crashed = &out[crash_at];
    assert_eq!(crashed.verdict, Verdict::Error, "{}", crashed.reason);
    assert!(
        crashed.reason.contains("broke while this case ran"),
        "{}",
        crashed.reason
    );
    let log = crashed.log.as_deref().unwrap_or_default();
    assert!(
        log.contains("sysrq"),
        "the console excerpt shows no crash:\n{log}"
    );
    let breaks = exec.take_breaks();
    assert_eq!(breaks.len(), 1, "{breaks:?}");
    assert!(breaks[0].starts_with(&cases[crash_at].id), "{breaks:?}");
    let others: Vec<String> = out
        .iter()
        .zip(&cases)
        .enumerate()
        .filter(|(i, (o, _))| *i != crash_at && o.verdict != Verdict::Pass)
        .map(|(_, (o, c))| format!("{} {}: {}", o.verdict, c.id, o.reason))
        .collect();
    assert!(others.is_empty(), "{others:#?}");
    // The second boot ran to its end.
    assert_eq!(exec.last.as_ref().and_then(|r| r.error.clone()), None);
}
