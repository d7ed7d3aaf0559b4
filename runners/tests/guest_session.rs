//! A guest session takes batch after batch in one boot: each batch is judged as a run of
//! its own, none costs a boot, and the guest powers off when the session ends.

use cloneabi_arch::Arch;
use cloneabi_runners::fuzz::GuestExecutor;
use cloneabi_runners::guest_session::GuestSession;
use cloneabi_runners::system_session::GuestKernel;
use cloneabi_suites::catalog::all_cases;
use cloneabi_suites::fuzz::Executor;
use cloneabi_suites::verdict::Verdict;
use std::time::{Duration, Instant};

mod common;

fn assert_judged(run: &cloneabi_report::model::Run, n: usize) {
    assert!(run.error.is_none(), "{:?}", run.error);
    assert_eq!(run.results.len(), n);
    let bad: Vec<String> = run
        .results
        .iter()
        .filter(|r| !matches!(r.verdict, Verdict::Pass | Verdict::Skip))
        .map(|r| format!("{} {}: {}", r.verdict, r.case, r.reason))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn batches_after_the_first_cost_no_boot() {
    let Some(image) = common::bookworm_x86_64_kernel() else {
        return;
    };
    let kernel = GuestKernel::cached(&image);
    let all = all_cases();
    let timeout = Duration::from_secs(300);
    let mut session = GuestSession::start(Arch::X86_64, &kernel, timeout).expect("the guest boots");
    let boot = session.boot_time;
    // Three different batches, the last one the first again: the same verdicts.
    let batches: [Vec<_>; 3] = [
        all.iter().step_by(5).cloned().collect(),
        all.iter().skip(2).step_by(7).cloned().collect(),
        all.iter().step_by(5).cloned().collect(),
    ];
    let mut runs = Vec::new();
    let t = Instant::now();
    for b in &batches {
        let run = session.run(b, timeout).expect("the batch runs");
        assert_judged(&run, b.len());
        runs.push(run);
    }
    assert!(session.is_alive());
    assert_eq!(session.batches, 3);
    let verdicts = |r: &cloneabi_report::model::Run| -> Vec<String> {
        r.results
            .iter()
            .map(|x| format!("{} {}", x.case, x.verdict))
            .collect()
    };
    assert_eq!(verdicts(&runs[0]), verdicts(&runs[2]));
    // Each run reports the guest's environment, as a boot's first batch does.
    assert!(runs.iter().all(|r| r.env.is_some()));
    eprintln!(
        "boot until the first batch had ended: {:.2} s; three batches of {}, {} and {} cases: {:.2} s",
        boot.as_secs_f64(),
        batches[0].len(),
        batches[1].len(),
        batches[2].len(),
        t.elapsed().as_secs_f64()
    );
    drop(session);
}

#[test]
fn the_fuzz_executor_boots_once_for_many_batches_and_again_after_a_crash() {
    let Some(image) = common::bookworm_x86_64_kernel() else {
        return;
    };
    let mut exec = GuestExecutor::new(
        Arch::X86_64,
        GuestKernel::cached(&image),
        Duration::from_secs(300),
    );
    let mut cases: Vec<_> = all_cases()
        .into_iter()
        .filter(|c| c.steps.is_empty() && c.id.starts_with("flags."))
        .take(12)
        .collect();
    // One batch per case, as shrinking sends them.
    for c in &cases {
        let out = exec.run(std::slice::from_ref(c)).expect("the batch runs");
        assert_eq!(out[0].verdict, Verdict::Pass, "{}: {}", c.id, out[0].reason);
    }
    assert_eq!((exec.boots, exec.batches), (1, cases.len()));
    // The kernel crashes in the third case of the next batch: that case is an ERROR, and
    // the cases after it run in a second boot.
    cases[2].behavior.crash_kernel = true;
    let out = exec.run(&cases[..6]).expect("the batch runs");
    assert_eq!(out[2].verdict, Verdict::Error, "{}", out[2].reason);
    assert!(
        out.iter()
            .enumerate()
            .all(|(i, o)| i == 2 || o.verdict == Verdict::Pass),
        "{:#?}",
        out.iter()
            .map(|o| (o.verdict, &o.reason))
            .collect::<Vec<_>>()
    );
    assert_eq!(exec.boots, 2);
    assert_eq!(exec.take_breaks().len(), 1);
}

#[test]
fn a_guest_without_the_channel_boots_for_each_batch_and_says_why() {
    let Some(image) = common::bookworm_x86_64_kernel() else {
        return;
    };
    // Debian's 6.1 kernel without the modules its port needs.
    let kernel = GuestKernel {
        modules: Vec::new(),
        ..GuestKernel::cached(&image)
    };
    let mut exec = GuestExecutor::new(Arch::X86_64, kernel, Duration::from_secs(300));
    let cases: Vec<_> = all_cases()
        .into_iter()
        .filter(|c| c.steps.is_empty() && c.id.starts_with("flags."))
        .take(4)
        .collect();
    for batch in cases.chunks(2) {
        let out = exec.run(batch).expect("the batch runs");
        assert!(out.iter().all(|o| o.verdict == Verdict::Pass), "{out:#?}");
    }
    let why = exec.no_session.clone().unwrap_or_default();
    assert!(
        why.contains("no virtio port named org.cloneabi.records"),
        "{why}"
    );
    // The boot that found no channel, then one per batch.
    assert_eq!((exec.boots, exec.batches), (3, 2));
}
