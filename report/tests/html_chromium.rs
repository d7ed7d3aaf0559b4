//! Renders the HTML report in headless Chromium (`--dump-dom`, i.e. after the inline script
//! ran) and checks the matrix and its cells are in the DOM.
//!
//! Skipped, with a printed reason, when no Chromium is installed; with `CI=true` a missing
//! Chromium fails the test instead. `CHROMIUM=/path/to/chromium` picks the binary.

use cloneabi_report::{html, sample::sample_report};
use std::path::PathBuf;
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cloneabi-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn matrix_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but no chromium in PATH (apt-get install chromium, or set CHROMIUM)");
        }
        println!("SKIPPED matrix_renders_in_headless_chromium: no chromium in PATH");
        return;
    };
    let dir = scratch();
    let page = dir.join("report.html");
    let report = sample_report();
    html::write(std::slice::from_ref(&report), &page).unwrap();
    let profile = dir.join("profile");
    let out = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", browser.display()));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8(out.stdout).unwrap();

    // The inline script ran to its end.
    assert!(
        dom.contains("data-ready=\"1\""),
        "inline script did not run"
    );
    // The matrix, its header row per run, and one cell per (case, run).
    assert!(dom.contains("<table id=\"matrix\">"), "no matrix table");
    assert_eq!(dom.matches("<th class=\"col\"").count(), report.runs.len());
    let cases: std::collections::BTreeSet<&str> = report
        .runs
        .iter()
        .flat_map(|r| r.results.iter().map(|c| c.case.as_str()))
        .collect();
    assert_eq!(
        dom.matches("<td class=\"cell ").count(),
        cases.len() * report.runs.len()
    );
    for id in &cases {
        assert!(
            dom.contains(&format!("<td class=\"case\">{id}</td>")),
            "no row for {id}"
        );
    }
    // Cells keep their verdicts after parsing (a stray '<' in any text would break this).
    for (v, class) in [
        ("PASS", "v-pass"),
        ("FAIL", "v-fail"),
        ("SKIP", "v-skip"),
        ("ERROR", "v-error"),
    ] {
        let n = report
            .runs
            .iter()
            .flat_map(|r| &r.results)
            .filter(|c| c.verdict.as_str() == v)
            .count();
        assert_eq!(
            dom.matches(&format!("class=\"cell {class}\" data-verdict=\"{v}\""))
                .count(),
            n,
            "{v}"
        );
    }
    assert!(dom.contains("<table id=\"summary\">") && dom.contains("<table id=\"differential\">"));
}
