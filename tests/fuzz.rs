//! `cloneabi fuzz` natively, in the sandbox: a wrong model rule is found and shrunk, the real
//! model meets the host kernel without divergence, and a seed repeats its campaign.

use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

fn fuzz(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .arg("fuzz")
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("cloneabi runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not the JSON report ({e}):\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out.status.code().unwrap_or(-1), report, stderr)
}

/// A seed-42 native campaign against a model with one wrong rule (set_tid copied before the
/// exit_signal check).
const MUTANT_CAMPAIGN: [&str; 8] = [
    "--seed",
    "42",
    "--cases",
    "3000",
    "--shrink-time",
    "50",
    "--model-mutant",
    "set-tid-copied-first",
];

#[test]
fn a_wrong_model_rule_is_found_and_shrunk_within_a_minute() {
    let start = Instant::now();
    let (code, report, stderr) = fuzz(
        &[
            MUTANT_CAMPAIGN.as_slice(),
            // The second kernel's boot is not part of finding and shrinking.
            &["--second-kernel", "none"],
        ]
        .concat(),
    );
    let took = start.elapsed();
    assert_eq!(code, 1, "a divergence exits 1\n{stderr}");
    let divs = report["divergences"].as_array().unwrap();
    let d = divs
        .iter()
        .find(|d| {
            d["signature"]
                .as_str()
                .unwrap()
                .contains("EFAULT -> EINVAL")
        })
        .unwrap_or_else(|| panic!("the mutated rule's divergence is missing: {report:#}"));
    assert_eq!(d["shrunk"]["confirmed"], true, "{d:#}");
    let fields = d["non_default_fields"].as_u64().unwrap();
    assert!(
        fields <= 3,
        "shrunk to {fields} fields: {}",
        d["catalog_entry"]
    );
    let entry = d["catalog_entry"].as_str().unwrap();
    assert!(entry.contains("SetTidSpec::Unmapped"), "{entry}");
    assert_eq!(d["classification"], "model", "{d:#}");
    let basis = d["classification_basis"].as_str().unwrap();
    assert!(basis.contains("--second-kernel none"), "{basis}");
    assert!(took < Duration::from_secs(60), "took {took:?}");
    reproducer_runs_in_the_sandbox(d["c_reproducer"].as_str().unwrap());
}

/// The C reproducer of the mutated rule's divergence compiles, and in the native sandbox
/// exits 1 (the kernel disagrees with the mutated model) and 0 once it expects what the
/// real model expects.
fn reproducer_runs_in_the_sandbox(source: &str) {
    use cloneabi_runners::native::{run, NativeOptions};
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-repro-")
        .tempdir()
        .unwrap();
    let outcome = |source: &str| {
        let c = dir.path().join("repro.c");
        let bin = dir.path().join("repro");
        std::fs::write(&c, source).unwrap();
        let cc = Command::new("cc")
            .args(["-static", "-O2", "-Wall", "-Werror", "-o"])
            .arg(&bin)
            .arg(&c)
            .output()
            .expect("cc runs");
        assert!(
            cc.status.success(),
            "{}",
            String::from_utf8_lossy(&cc.stderr)
        );
        let out = run(&bin, &c, &NativeOptions::default()).expect("the sandbox starts");
        assert!(libc::WIFEXITED(out.status), "status {:#x}", out.status);
        (
            libc::WEXITSTATUS(out.status),
            String::from_utf8_lossy(&out.output).into_owned(),
        )
    };
    let (code, text) = outcome(source);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("Invalid argument"), "{text}");
    let fixed = source.replace("e == EFAULT", "e == EINVAL");
    assert_ne!(fixed, source);
    let (code, text) = outcome(&fixed);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn the_model_meets_the_host_kernel_and_a_seed_repeats_its_campaign() {
    let args = ["--seed", "2", "--cases", "3000", "--shrink-time", "0"];
    let (code, first, stderr) = fuzz(&args);
    assert_eq!(
        code, 0,
        "divergences on the host kernel:\n{:#}\n{stderr}",
        first["divergences"]
    );
    assert_eq!(first["cases"], 3000);
    let rules = first["rules"].as_object().unwrap();
    assert!(
        rules.len() >= 30,
        "only {} rules reached: {rules:?}",
        rules.len()
    );
    let (_, again, _) = fuzz(&args);
    // Same programs, same predictions, same verdicts: the same rule counts.
    assert_eq!(first["rules"], again["rules"]);
    assert_eq!(first["divergent_cases"], again["divergent_cases"]);
}

#[test]
fn bad_options_are_usage_errors() {
    let out = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(["fuzz", "--runner", "qemu-system", "--time", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--time needs --runner native"), "{stderr}");
    assert!(out.stdout.is_empty());
    let out = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(["fuzz", "--runner", "qemu-system", "--cases", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --arch"));
}

/// The mutated rule's divergence in KTAP: a failing test whose diagnostics carry its
/// classification. A mutated model is the model's error: the host kernel and the second
/// kernel (the cached bookworm guest of the host's arch) both answer EINVAL against its
/// EFAULT. Without that guest (or QEMU), the basis says the divergence was seen on one
/// kernel only and why the second run was unavailable.
#[test]
fn a_divergence_is_reported_in_ktap_with_its_classification() {
    use cloneabi_runners::kernels::{self, Cache, Release};
    let out = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(["fuzz", "--format", "ktap"])
        .args(MUTANT_CAMPAIGN)
        .output()
        .expect("cloneabi runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}\n{stderr}");
    let doc = cloneabi_report::ktap_parse::parse(&text);
    assert!(doc.problems.is_empty(), "{:?}\n{text}", doc.problems);
    assert!(doc.root.check().is_empty(), "{:?}", doc.root.check());
    let campaign = &doc.root.tests[0];
    assert!(campaign.description.starts_with("fuzz."), "{text}");
    assert!(!campaign.ok);
    let tests = &campaign.subtests.as_ref().expect("a nested block").tests;
    let d = tests
        .iter()
        .find(|t| {
            t.diagnostics
                .iter()
                .any(|l| l.starts_with("signature: FAIL EFAULT -> EINVAL"))
        })
        .unwrap_or_else(|| panic!("the mutated rule's divergence is missing:\n{text}"));
    assert!(!d.ok);
    let line = |prefix: &str| {
        d.diagnostics
            .iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no '{prefix}' line:\n{text}"))
            .clone()
    };
    assert_eq!(line("classification: "), "classification: model", "{text}");
    assert!(
        line("result: ").contains("expected EFAULT")
            && line("result: ").contains("observed EINVAL"),
        "{text}"
    );
    let basis = line("basis: ");
    let host = cloneabi_arch::Arch::host().expect("a covered host");
    let guest = Cache::from_env()
        .ok()
        .and_then(|c| kernels::cached(Release::Bookworm, host, &c));
    let qemu = Command::new(host.kernel_arch().qemu.binary)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if guest.is_some() && qemu {
        // Both kernels observe EINVAL: the model is the odd one out.
        assert!(basis.contains("observes what"), "{basis}");
        assert!(line("second run: ").ends_with("FAIL EINVAL"), "{text}");
    } else {
        eprintln!(
            "no second kernel here (bookworm guest cached: {}, QEMU: {qemu})",
            guest.is_some()
        );
        assert!(basis.contains("seen on one kernel only"), "{basis}");
        assert!(basis.contains("bookworm"), "{basis}");
    }
    let batches = tests.last().unwrap();
    assert_eq!(batches.description, "batches");
    assert!(batches.ok);
}
