//! `cloneabi report`, `cloneabi report merge`, `cloneabi diff`, `cloneabi lava`.

use super::values::Format;
use super::{output, CmdResult, EXIT_FAILED, EXIT_OK};
use clap::{Args, Subcommand};
use cloneabi_arch::Arch;
use cloneabi_report::model::Report;
use cloneabi_report::{diff as rdiff, html, json, lava as rlava};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub action: Option<ReportCmd>,
    /// JSON reports written by `cloneabi run --format json`.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Write the HTML matrix here.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Also print these formats to stdout, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub format: Vec<Format>,
}

#[derive(Subcommand, Debug)]
pub enum ReportCmd {
    /// Combine the JSON reports of `cloneabi run --shard K/N` into the report one unsharded
    /// run would have written.
    Merge {
        /// The shards' JSON reports, in any order.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Write the merged JSON report here (stdout when absent).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn load_all(paths: &[PathBuf]) -> Result<Vec<Report>, String> {
    paths
        .iter()
        .map(|p| json::load(p).map_err(|e| e.to_string()))
        .collect()
}

pub fn report(args: ReportArgs) -> CmdResult {
    if let Some(ReportCmd::Merge { reports, out }) = args.action {
        let merged = super::shard::merge(&load_all(&reports)?);
        return match out {
            Some(path) => json::save(&merged, &path)
                .map(|()| EXIT_OK)
                .map_err(|e| e.to_string()),
            None => {
                print!("{}", json::to_string(&merged));
                Ok(EXIT_OK)
            }
        };
    }
    let reports = load_all(&args.reports)?;
    if let Some(path) = &args.html {
        html::write(&reports, path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("cloneabi: wrote {}", path.display());
    }
    let merged = Report::merged(&reports);
    for f in &args.format {
        print!("{}", output::render(&merged, *f));
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

pub fn lava(arch: Arch, kernel_url: &str, initrd_url: &str) -> CmdResult {
    print!("{}", rlava::lava_job(arch, kernel_url, initrd_url));
    Ok(EXIT_OK)
}
