//! A guest's records go once to a virtio-serial port of their own, never to the console
//! that printk writes to; Debian's 6.1 kernel needs the port's modules loaded first. A
//! guest without the port says why and falls back to the console, twice per record.

use cloneabi_arch::Arch;
use cloneabi_runners::protocol::wire::{PAYLOAD_MARKER, RECORD_MARKER};
use cloneabi_runners::protocol::RecordParser;
use cloneabi_runners::system_session::{run_boot_streams, GuestKernel};
use cloneabi_suites::case::Case;
use cloneabi_suites::catalog::all_cases;
use std::time::Duration;

mod common;

/// A spread of catalog cases: plain calls, namespaces, set_tid, cgroups.
fn cases() -> Vec<Case> {
    all_cases().into_iter().step_by(9).collect()
}

fn count(hay: &[u8], needle: &str) -> usize {
    hay.windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

fn assert_all_pass(run: &cloneabi_report::model::Run) {
    let bad: Vec<String> = run
        .results
        .iter()
        .filter(|r| !matches!(r.verdict.to_string().as_str(), "PASS" | "SKIP"))
        .map(|r| format!("{} {}: {}", r.verdict, r.case, r.reason))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(run.error.is_none(), "{:?}", run.error);
}

#[test]
fn records_go_once_to_the_channel_and_never_to_the_console() {
    let Some(image) = common::bookworm_x86_64_kernel() else {
        return;
    };
    let kernel = GuestKernel::cached(&image);
    assert!(
        !kernel.modules.is_empty(),
        "Debian's 6.1 kernel builds virtio_console as a module: the cache entry must carry it"
    );
    let cases = cases();
    let boot = run_boot_streams(
        &cases,
        &[Arch::X86_64, Arch::I386],
        &kernel,
        Duration::from_secs(300),
    )
    .expect("the guest boots");
    assert_eq!(
        count(&boot.console, RECORD_MARKER),
        0,
        "a record reached the console:\n{}",
        String::from_utf8_lossy(&boot.console)
    );
    // The companion's marker: once on the channel, and twice on the console, where a
    // kernel failure is placed.
    let marker = format!("{PAYLOAD_MARKER}{}", Arch::I386);
    assert_eq!(count(&boot.channel, &marker), 1);
    assert_eq!(count(&boot.console, &marker), 2);
    // Each payload's records once: the parser drops no second copy. Each payload numbers
    // its own records, so each part is parsed on its own.
    let at = boot
        .channel
        .windows(marker.len())
        .position(|w| w == marker.as_bytes())
        .unwrap();
    for part in [&boot.channel[..at], &boot.channel[at..]] {
        let mut parser = RecordParser::new();
        let records = parser.push(part).len() + parser.finish().len();
        let report = parser.report();
        assert_eq!(report.duplicates, 0, "{report:?}");
        assert!(report.corrupted.is_empty() && report.ended, "{report:?}");
        // The environment, an observation per case, the end, and any log records.
        assert!(records >= cases.len() + 2, "{records} records");
    }
    assert_eq!(boot.runs.len(), 2);
    for run in &boot.runs {
        let run = run.as_ref().expect("the payload runs");
        assert_all_pass(run);
        assert_eq!(run.results.len(), cases.len());
        assert!(
            !run.findings.iter().any(|f| f.contains("record channel")),
            "{:?}",
            run.findings
        );
    }
}

#[test]
fn a_guest_without_the_port_says_why_and_uses_the_console() {
    let Some(image) = common::bookworm_x86_64_kernel() else {
        return;
    };
    // The same kernel without the modules its port needs.
    let kernel = GuestKernel {
        modules: Vec::new(),
        ..GuestKernel::cached(&image)
    };
    let cases: Vec<Case> = cases().into_iter().take(12).collect();
    let boot = run_boot_streams(&cases, &[Arch::X86_64], &kernel, Duration::from_secs(300))
        .expect("the guest boots");
    assert!(boot.channel.is_empty());
    let mut parser = RecordParser::new();
    let records = parser.push(&boot.console).len() + parser.finish().len();
    // Written twice on the shared console.
    assert_eq!(
        parser.report().duplicates as usize,
        records,
        "{:?}",
        parser.report()
    );
    let run = boot.runs[0].as_ref().expect("the payload runs");
    assert_all_pass(run);
    assert!(
        run.findings.iter().any(|f| f.contains(
            "record channel: the kernel shows no virtio port named org.cloneabi.records; the records go to the console"
        )),
        "{:?}",
        run.findings
    );
}
