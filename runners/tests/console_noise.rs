//! The record framing survives a console shared with a flooded kernel log: every case of
//! the suite is judged, none lost, while /dev/kmsg is written as fast as it goes.

use cloneabi_arch::Arch;
use cloneabi_runners::system_session::{run_qemu_system_with, GuestKernel};
use cloneabi_suites::catalog::all_cases;
use cloneabi_suites::verdict::Verdict;
use std::time::Duration;

mod common;

#[test]
fn records_survive_interleaved_printk() {
    let Some(kernel) = common::bookworm_x86_64_kernel() else {
        return;
    };
    let cases = all_cases();
    let k = GuestKernel::file(&kernel.path);
    let (run, console) =
        run_qemu_system_with(&cases, Arch::X86_64, &k, Duration::from_secs(300), true)
            .expect("the guest runs");
    let text = String::from_utf8_lossy(&console);
    let noise = text.matches("cloneabi-noise").count();
    assert!(
        noise > 100,
        "the kernel log was not flooded ({noise} noise lines)"
    );
    // Noise landed inside record lines, not only between them.
    let torn = text
        .lines()
        .filter(|l| l.starts_with("@CLONEABI ") && l.contains("cloneabi-noise"))
        .count();
    eprintln!("{noise} noise lines, {torn} record lines torn by them");
    assert_eq!(run.error, None, "{:?}", run.findings);
    assert_eq!(run.results.len(), cases.len());
    let bad: Vec<_> = run
        .results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Error))
        .map(|r| format!("{} {}: {}", r.verdict, r.case, r.reason))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}
