//! The LAVA monitor pattern against a real payload run's output: every case's completion
//! line matches, between the start and end markers, with its id.

use cloneabi_report::lava::{CASE_PATTERN, MONITOR_END, MONITOR_START};
use cloneabi_runners::native::{run, NativeOptions};
use cloneabi_runners::protocol::batch::{encode_batch, BatchOptions};
use cloneabi_runners::session::programs;
use cloneabi_suites::catalog::all_cases;

#[test]
fn the_monitor_pattern_finds_every_case_in_a_real_console() {
    let Some(arch) = cloneabi_arch::Arch::host() else {
        return;
    };
    let cases: Vec<_> = all_cases()
        .into_iter()
        .filter(|c| c.id.starts_with("sizes.") || c.id.starts_with("legacy."))
        .collect();
    let payload = cloneabi_runners::payload::provide(arch).expect("payload");
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("batch");
    let options = BatchOptions {
        mount_proc: true,
        ..BatchOptions::default()
    };
    std::fs::write(
        &batch,
        encode_batch(arch, &options, &programs(&cases, arch)),
    )
    .unwrap();
    let out = match run(&payload.path, &batch, &NativeOptions::default()) {
        Ok(out) => out,
        Err(e) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("SKIP: the native runner cannot start here: {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    let console = String::from_utf8_lossy(&out.output);
    let start = console.find(MONITOR_START).expect("start marker");
    let end = console.find(MONITOR_END).expect("end marker");
    assert!(start < end);
    let re = regex::Regex::new(CASE_PATTERN).unwrap();
    let found: Vec<(usize, String)> = re
        .captures_iter(&console[start..end])
        .map(|c| {
            (
                c["case_index"].parse().unwrap(),
                c["test_case_id"].to_string(),
            )
        })
        .collect();
    let want: Vec<(usize, String)> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.id.clone()))
        .collect();
    assert_eq!(found, want);
}
