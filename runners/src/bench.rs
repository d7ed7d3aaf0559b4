//! The native suite's per-case cost next to a bare clone3-and-wait loop over the same cases,
//! measured in the same run, rounds interleaved so both see the same machine.

use crate::session::{run_native, NativeRun, StartError};
use cloneabi_report::model::Run;
use cloneabi_suites::case::Case;

/// Medians of one measure, in microseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub measure: &'static str,
    /// Median over cases of each case's median over rounds.
    pub median_case_us: f64,
    /// Median over rounds of the run's wall time divided by its case count.
    pub wall_per_case_us: f64,
}

/// The bench's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Bench {
    pub cases: usize,
    pub rounds: usize,
    pub suite: Row,
    pub bare: Row,
}

impl Bench {
    /// Suite cost over bare cost, per case (median).
    pub fn ratio(&self) -> f64 {
        self.suite.median_case_us / self.bare.median_case_us.max(1.0)
    }

    /// A Markdown table.
    pub fn table(&self) -> String {
        let row = |r: &Row| {
            format!(
                "| {} | {:.0} | {:.0} |\n",
                r.measure, r.median_case_us, r.wall_per_case_us
            )
        };
        format!(
            "| measure ({} cases, {} rounds) | median per case (µs) | wall per case (µs) |\n|---|---:|---:|\n{}{}| ratio suite / bare | {:.2} | {:.2} |\n",
            self.cases,
            self.rounds,
            row(&self.suite),
            row(&self.bare),
            self.ratio(),
            self.suite.wall_per_case_us / self.bare.wall_per_case_us.max(1.0),
        )
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn summarize(measure: &'static str, runs: &[Run]) -> Row {
    let cases = runs.first().map_or(0, |r| r.results.len());
    let per_case = (0..cases)
        .map(|i| {
            median(
                runs.iter()
                    .map(|r| r.results[i].duration_us as f64)
                    .collect(),
            )
        })
        .collect();
    let walls = runs
        .iter()
        .map(|r| r.wall_time_ms as f64 * 1000.0 / r.results.len().max(1) as f64)
        .collect();
    Row {
        measure,
        median_case_us: median(per_case),
        wall_per_case_us: median(walls),
    }
}

/// Runs the suite and the bare loop `rounds` times each, alternating.
pub fn bench(cases: &[Case], rounds: usize) -> Result<Bench, StartError> {
    let mut suite = Vec::new();
    let mut bare = Vec::new();
    for _ in 0..rounds.max(1) {
        suite.push(run_native(cases, &NativeRun::default())?);
        bare.push(run_native(
            cases,
            &NativeRun {
                bare: true,
                ..NativeRun::default()
            },
        )?);
    }
    for r in suite.iter().chain(&bare) {
        if let Some(e) = &r.error {
            return Err(StartError(format!("a bench round broke: {e}")));
        }
    }
    Ok(Bench {
        cases: cases.len(),
        rounds: suite.len(),
        suite: summarize("native suite (setup, call, observation, cleanup)", &suite),
        bare: summarize("bare loop (the same call, then reap)", &bare),
    })
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(vec![]), 0.0);
    }
}

/// One arch's boot timings, in seconds of QEMU wall time.
#[derive(Clone, Debug, PartialEq)]
pub struct BootRow {
    pub arch: cloneabi_arch::Arch,
    pub kernel: String,
    /// The payload with no cases (it powers off at once), tuned flags.
    pub empty_tuned: f64,
    /// The same with the plain flags.
    pub empty_plain: f64,
    /// The whole suite in one boot, tuned flags.
    pub suite: f64,
}

/// Boots `kernel` with the payload and `cases`, returning QEMU's wall time.
fn boot_once(
    arch: cloneabi_arch::Arch,
    kernel: &std::path::Path,
    cases: &[Case],
    tuning: crate::qemu::cmdline::Tuning,
) -> Result<f64, StartError> {
    use crate::system_session::{guest_options, GuestInitrd};
    // No cases: an empty boot of the payload, which powers off at once.
    let guest = GuestInitrd::build(arch, cases, &guest_options(!cases.is_empty()))?;
    let initrd = guest.path();
    let mut spec = crate::qemu::BootSpec::new(arch, kernel, &initrd);
    spec.tuning = tuning;
    let out = crate::qemu::boot(&spec, &mut |_| {}).map_err(|e| StartError(e.to_string()))?;
    if !out.clean_poweroff() {
        return Err(StartError(format!(
            "{arch}: the guest did not power off cleanly ({:?})",
            out.exit
        )));
    }
    Ok(out.wall_time.as_secs_f64())
}

/// Per arch: the suite's boot next to an empty boot of the same kernel with the same
/// (tuned) flags and with the plain flags; each the median of `rounds` boots, one at a time.
pub fn boot_bench(
    cases: &[Case],
    guests: &[crate::matrix::Guest],
    rounds: usize,
) -> Result<Vec<BootRow>, StartError> {
    use crate::qemu::cmdline::Tuning;
    guests
        .iter()
        .map(|g| {
            let time = |cases: &[Case], t: Tuning| -> Result<f64, StartError> {
                let walls = (0..rounds.max(1))
                    .map(|_| boot_once(g.arch, &g.kernel.path, cases, t))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(median(walls))
            };
            Ok(BootRow {
                arch: g.arch,
                kernel: g.kernel.meta.kernel_release.clone(),
                empty_tuned: time(&[], Tuning::Tuned)?,
                empty_plain: time(&[], Tuning::Plain)?,
                suite: time(cases, Tuning::Tuned)?,
            })
        })
        .collect()
}

/// A Markdown table of boot rows.
pub fn boot_table(rows: &[BootRow]) -> String {
    let mut out = String::from(
        "| arch | kernel | empty boot, plain (s) | empty boot, tuned (s) | suite boot, tuned (s) | suite / tuned empty |\n|---|---|---:|---:|---:|---:|\n",
    );
    for r in rows {
        out += &format!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
            r.arch,
            r.kernel,
            r.empty_plain,
            r.empty_tuned,
            r.suite,
            r.suite / r.empty_tuned.max(0.001)
        );
    }
    out
}
