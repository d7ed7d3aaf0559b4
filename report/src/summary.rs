//! A plain-text summary for people: one table per arch, one row per run.
//!
//! ```text
//! x86_64
//!   runner       kernel                   pass  fail  skip  error      wall
//!   native       6.12.90+deb13.1-amd64      10     0     2      0     0.4 s
//! ```

use crate::model::{Counts, Report};
use cloneabi_arch::Arch;
use std::fmt::Write;

fn wall(ms: u64) -> String {
    if ms >= 60_000 {
        format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// The summary text.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let kernel_w = report
        .runs
        .iter()
        .map(|r| r.kernel.release.len())
        .max()
        .unwrap_or(0)
        .max("kernel".len());
    let mut total = Counts::default();
    for arch in Arch::ALL {
        let runs: Vec<_> = report.runs.iter().filter(|r| r.arch == arch).collect();
        if runs.is_empty() {
            continue;
        }
        if arch.is_compat() {
            let _ = writeln!(out, "{arch} (on the {} kernel)", arch.kernel_abi());
        } else {
            let _ = writeln!(out, "{arch}");
        }
        let _ = writeln!(
            out,
            "  {:<12} {:<kernel_w$} {:>5} {:>5} {:>5} {:>6} {:>9}",
            "runner", "kernel", "pass", "fail", "skip", "error", "wall"
        );
        for run in runs {
            let c = run.counts();
            for r in &run.results {
                total.add(r.verdict);
            }
            let mut line = format!(
                "  {:<12} {:<kernel_w$} {:>5} {:>5} {:>5} {:>6} {:>9}",
                run.runner.as_str(),
                run.kernel.release,
                c.pass,
                c.fail,
                c.skip,
                c.error,
                wall(run.wall_time_ms)
            );
            if let Some(err) = &run.error {
                line.push_str("  RUN ERROR: ");
                line.push_str(err.lines().next().unwrap_or(""));
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "total: {} runs, {} pass, {} fail, {} skip, {} error",
        report.runs.len(),
        total.pass,
        total.fail,
        total.skip,
        total.error
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_report;

    #[test]
    fn one_table_per_arch_with_counts_and_wall_time() {
        let r = sample_report();
        let text = render(&r);
        for arch in Arch::ALL {
            let heading = if arch.is_compat() {
                format!("{arch} (on the {} kernel)", arch.kernel_abi())
            } else {
                arch.to_string()
            };
            assert!(
                text.lines().any(|l| l == heading),
                "no heading for {arch}\n{text}"
            );
        }
        let s390_user = text
            .lines()
            .skip_while(|l| *l != "s390x")
            .find(|l| l.trim_start().starts_with("qemu-user"))
            .unwrap();
        let cols: Vec<&str> = s390_user.split_whitespace().collect();
        // runner kernel pass fail skip error wall "s"
        assert_eq!(&cols[2..6], ["9", "1", "2", "0"], "{s390_user}");
        assert!(s390_user.ends_with("2.3 s"), "{s390_user}");
        assert!(text.contains("RUN ERROR: console ended"));
        let all: usize = r.runs.iter().map(|x| x.results.len()).sum();
        let c = Counts::of(r.runs.iter().flat_map(|x| &x.results));
        assert_eq!(c.total(), all);
        assert!(text.ends_with(&format!(
            "total: {} runs, {} pass, {} fail, {} skip, {} error\n",
            r.runs.len(),
            c.pass,
            c.fail,
            c.skip,
            c.error
        )));
    }

    #[test]
    fn wall_time_formats() {
        assert_eq!(wall(412), "0.4 s");
        assert_eq!(wall(61_500), "1m01s");
    }
}
