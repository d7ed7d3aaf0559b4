//! `cloneabi bench`: tables for README, measured in one run.

use super::{CmdResult, EXIT_OK};
use cloneabi_runners::bench::{bench, boot_bench, boot_table, session_bench, session_table};
use cloneabi_runners::kernels::Cache;
use cloneabi_runners::matrix::{default_guests, run_guests};
use cloneabi_suites::catalog::all_cases;
use std::time::{Duration, Instant};

/// `generated`: (how many, seed) cases from the fuzz generator instead of the catalog.
pub fn run(rounds: usize, boots: bool, session: bool, generated: Option<(u64, u64)>) -> CmdResult {
    let cases = match generated {
        Some((n, seed)) => {
            let mut g = cloneabi_suites::fuzz::Generator::new(seed);
            (0..n).map(|_| g.case()).collect()
        }
        None => all_cases(),
    };
    if !boots && !session {
        let b = bench(&cases, rounds).map_err(|e| e.to_string())?;
        print!("{}", b.table());
        return Ok(EXIT_OK);
    }
    let log = |m: &str| eprintln!("cloneabi: {m}");
    let cache = Cache::from_env().map_err(|e| e.to_string())?;
    let (guests, missing) = default_guests(&cache, false, &log);
    if !missing.is_empty() {
        return Err(format!("default kernels missing: {}", missing.join("; ")));
    }
    if session {
        let rows = session_bench(&cases, &guests, rounds).map_err(|e| e.to_string())?;
        print!("{}", session_table(&rows));
        return Ok(EXIT_OK);
    }
    let rows = boot_bench(&cases, &guests, rounds).map_err(|e| e.to_string())?;
    print!("{}", boot_table(&rows));
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let start = Instant::now();
    let runs = run_guests(&cases, &guests, jobs, Duration::from_secs(600), &|_| {});
    let matrix = start.elapsed().as_secs_f64();
    if let Some(e) = runs.iter().flatten().find_map(|(_, r)| r.as_ref().err()) {
        return Err(format!("a matrix guest failed: {e}"));
    }
    let bound: f64 = rows.iter().map(|r| r.empty_tuned).sum::<f64>() / jobs as f64;
    println!(
        "\nWhole default matrix ({} guests running {} ABIs, {jobs} at a time): {matrix:.1} s; sum of tuned empty boots / {jobs} = {bound:.1} s; ratio {:.2}",
        guests.len(),
        runs.iter().map(Vec::len).sum::<usize>(),
        matrix / bound
    );
    Ok(EXIT_OK)
}
