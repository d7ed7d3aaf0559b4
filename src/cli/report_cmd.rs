//! `cloneabi report`, `cloneabi diff`, `cloneabi lava`.

use super::{output, parse_arch, CmdResult, EXIT_FAILED, EXIT_OK};
use cloneabi_report::model::Report;
use cloneabi_report::{diff as rdiff, html, json, lava as rlava};
use std::path::{Path, PathBuf};

fn load_all(paths: &[PathBuf]) -> Result<Vec<Report>, String> {
    paths
        .iter()
        .map(|p| json::load(p).map_err(|e| e.to_string()))
        .collect()
}

pub fn report(paths: &[PathBuf], html_out: Option<&Path>, formats: &[String]) -> CmdResult {
    output::check_formats(formats)?;
    let reports = load_all(paths)?;
    if let Some(path) = html_out {
        html::write(&reports, path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("cloneabi: wrote {}", path.display());
    }
    let merged = Report::merged(&reports);
    for f in formats {
        print!("{}", output::render(&merged, f));
    }
    Ok(EXIT_OK)
}

pub fn diff(baseline: &Path, current: &Path, as_json: bool) -> CmdResult {
    let base = json::load(baseline).map_err(|e| format!("baseline: {e}"))?;
    let cur = json::load(current).map_err(|e| format!("current report: {e}"))?;
    let d = rdiff::diff(&base, &cur);
    if as_json {
        println!("{}", d.to_json());
    } else {
        print!("{}", d.to_markdown());
    }
    Ok(if d.is_regression() {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}

pub fn lava(arch: &str, kernel_url: &str, initrd_url: &str) -> CmdResult {
    print!(
        "{}",
        rlava::lava_job(parse_arch(arch)?, kernel_url, initrd_url)
    );
    Ok(EXIT_OK)
}
