//! The native suite's per-case cost next to a bare clone3-and-wait loop over the same cases,
//! measured in the same run, rounds interleaved so both see the same machine.

use crate::session::{run_native, NativeRun, StartError};
use cloneabi_report::model::Run;
use cloneabi_suites::case::Case;

/// The suite's and the bare loop's median per-case cost over one set of cases.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub cases: &'static str,
    pub count: usize,
    /// Median over these cases of each case's median over rounds, in microseconds.
    pub suite_us: f64,
    pub bare_us: f64,
}

impl Row {
    pub fn ratio(&self) -> f64 {
        self.suite_us / self.bare_us.max(1.0)
    }
}

/// The bench's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Bench {
    pub cases: usize,
    pub rounds: usize,
    /// Every case: the measure the target is set on.
    pub all: Row,
    /// The cases whose call creates a child, and those the kernel refuses: the two
    /// populations the overall median falls between.
    pub created: Row,
    pub refused: Row,
    /// Median over rounds of a run's wall time divided by its case count (suite, bare).
    pub wall_per_case_us: (f64, f64),
}

impl Bench {
    /// Suite cost over bare cost, per case (median over every case).
    pub fn ratio(&self) -> f64 {
        self.all.ratio()
    }

    /// A Markdown table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "| cases ({} rounds) | count | suite, median per case (µs) | bare loop, median per case (µs) | suite / bare |\n|---|---:|---:|---:|---:|\n",
            self.rounds
        );
        for r in [&self.all, &self.created, &self.refused] {
            // Durations have a resolution of 1 µs: below it a ratio says nothing.
            let ratio = if r.bare_us < 1.0 {
                "(bare below 1 µs)".to_string()
            } else {
                format!("{:.2}", r.ratio())
            };
            out += &format!(
                "| {} | {} | {:.1} | {:.1} | {ratio} |\n",
                r.cases, r.count, r.suite_us, r.bare_us
            );
        }
        let (suite, bare) = self.wall_per_case_us;
        out += &format!(
            "| wall time of a run per case | {} | {suite:.0} | {bare:.0} | {:.2} |\n",
            self.cases,
            suite / bare.max(1.0)
        );
        out
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

/// Each case's median duration over rounds.
fn per_case(runs: &[Run]) -> Vec<f64> {
    let cases = runs.first().map_or(0, |r| r.results.len());
    (0..cases)
        .map(|i| {
            median(
                runs.iter()
                    .map(|r| r.results[i].duration_us as f64)
                    .collect(),
            )
        })
        .collect()
}

fn wall_per_case(runs: &[Run]) -> f64 {
    median(
        runs.iter()
            .map(|r| r.wall_time_ms as f64 * 1000.0 / r.results.len().max(1) as f64)
            .collect(),
    )
}

/// The row for the cases `pick` selects (by index).
fn row(cases: &'static str, suite: &[f64], bare: &[f64], pick: &dyn Fn(usize) -> bool) -> Row {
    let select = |v: &[f64]| -> Vec<f64> {
        v.iter()
            .enumerate()
            .filter(|(i, _)| pick(*i))
            .map(|(_, d)| *d)
            .collect()
    };
    let s = select(suite);
    Row {
        cases,
        count: s.len(),
        suite_us: median(s),
        bare_us: median(select(bare)),
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
    // A case creates a child when the suite saw the call succeed (the child may then have
    // been killed, as the stack cases expect).
    let created: Vec<bool> = suite[0]
        .results
        .iter()
        .map(|r| r.observed_outcome == "ok" || r.observed_outcome.starts_with("killed:"))
        .collect();
    let (s, b) = (per_case(&suite), per_case(&bare));
    Ok(Bench {
        cases: cases.len(),
        rounds: suite.len(),
        all: row("every case (the target's measure)", &s, &b, &|_| true),
        created: row("the call creates a child", &s, &b, &|i| created[i]),
        refused: row("the kernel refuses the call", &s, &b, &|i| !created[i]),
        wall_per_case_us: (wall_per_case(&suite), wall_per_case(&bare)),
    })
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn rows_take_the_median_of_the_picked_cases() {
        let suite = [10.0, 100.0, 20.0, 200.0];
        let bare = [1.0, 50.0, 1.0, 100.0];
        let r = super::row("odd", &suite, &bare, &|i| i % 2 == 1);
        assert_eq!((r.count, r.suite_us, r.bare_us), (2, 150.0, 75.0));
        assert_eq!(r.ratio(), 2.0);
    }

    #[test]
    fn medians() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(vec![]), 0.0);
    }

    #[test]
    fn the_calls_alone_sum_the_observations_durations_and_nothing_else() {
        use crate::protocol::records::{encode_record, RecordBody};
        use cloneabi_suites::observation::Observation;
        let obs = |us| {
            RecordBody::Observation(Box::new(Observation {
                duration_us: us,
                ..Observation::default()
            }))
        };
        let mut stream = String::new();
        stream += &encode_record(0, &RecordBody::Log("started".into()));
        stream += &encode_record(1, &obs(250_000));
        stream += &encode_record(2, &obs(500_000));
        // A record written twice counts once.
        stream += &encode_record(2, &obs(500_000));
        stream += &encode_record(3, &RecordBody::End { cases_run: 2 });
        assert_eq!(super::summed_durations(stream.as_bytes()), 0.75);
        assert_eq!(super::summed_durations(b""), 0.0);
    }

    #[test]
    fn the_boot_table_puts_each_boot_over_the_tuned_empty_boot() {
        let row = super::BootRow {
            arch: cloneabi_arch::Arch::ALL[0],
            kernel: "6.1.0-57-amd64".into(),
            empty_tuned: 4.0,
            empty_plain: 9.0,
            suite_console: 8.0,
            suite_channel: 6.0,
            bare_channel: 5.0,
            calls_alone: 0.2,
        };
        let table = super::boot_table(&[row]);
        let line = table.lines().nth(2).expect("a row after the header");
        assert!(
            line.ends_with(
                "| 9.00 | 4.00 | 8.00 | 6.00 | 5.00 | 0.20 | 2.00 | 1.50 | 1.25 | 1.05 |"
            ),
            "{line}"
        );
        let header = table.lines().next().unwrap();
        assert_eq!(header.matches('|').count(), line.matches('|').count());
    }
}

/// One arch's boot timings, in seconds of QEMU wall time.
#[derive(Clone, Debug, PartialEq)]
pub struct BootRow {
    pub arch: cloneabi_arch::Arch,
    pub kernel: String,
    /// The payload with no cases (it powers off at once), tuned flags, no record channel.
    pub empty_tuned: f64,
    /// The same with the plain flags.
    pub empty_plain: f64,
    /// The whole suite in one boot, tuned flags, records twice on the console.
    pub suite_console: f64,
    /// The same with the records once on the record channel (its modules loaded first
    /// where the kernel needs them).
    pub suite_channel: f64,
    /// The same cases as the bench's bare loop, records on the channel: each call made in
    /// its place and its child reaped, nothing observed. What the cases cost the kernel
    /// and the emulator alone, so no suite boot can be cheaper.
    pub bare_channel: f64,
    /// In that bare boot, the sum of each call's own time: from just before the call to
    /// just after its child is reaped, as the guest's clock measured it. A payload that made
    /// these calls and nothing else would add this much to the tuned empty boot.
    pub calls_alone: f64,
}

/// How a benchmark boot writes its records.
#[derive(Clone, Copy)]
enum Records {
    Console,
    Channel,
}

/// What a benchmark boot's payload does with its cases.
#[derive(Clone, Copy)]
enum Work {
    /// Runs and observes them.
    Observe,
    /// Makes each call and only reaps its child (`BatchOptions::bare`).
    Bare,
}

/// The sum of the observation records' `duration_us` in a record stream, in seconds.
fn summed_durations(records: &[u8]) -> f64 {
    use crate::protocol::records::{RecordBody, RecordParser};
    let mut parser = RecordParser::new();
    let mut all = parser.push(records);
    all.extend(parser.finish());
    let us: u64 = all
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Observation(o) => Some(o.duration_us),
            _ => None,
        })
        .sum();
    us as f64 / 1e6
}

/// One benchmark boot: QEMU's wall time, and the observations' summed durations.
struct Timed {
    wall: f64,
    summed: f64,
}

/// Boots `kernel` with the payload and `cases`.
fn boot_once(
    guest: &crate::matrix::Guest,
    cases: &[Case],
    tuning: crate::qemu::cmdline::Tuning,
    records: Records,
    work: Work,
) -> Result<Timed, StartError> {
    use crate::system_session::{guest_options, GuestInitrd};
    let arch = guest.arch;
    let on_channel = matches!(records, Records::Channel);
    // No cases: an empty boot of the payload, which powers off at once.
    let options = crate::protocol::batch::BatchOptions {
        record_channel: on_channel,
        bare: matches!(work, Work::Bare),
        ..guest_options(!cases.is_empty())
    };
    let modules = guest.kernel.channel_modules().unwrap_or_default();
    let initrd = GuestInitrd::build(arch, cases, &options, &modules)?;
    let mut spec = crate::qemu::BootSpec::new(arch, &guest.kernel.path, initrd.path());
    spec.tuning = tuning;
    spec.record_channel = on_channel;
    let out = crate::qemu::boot(&spec, &mut |_| {}).map_err(|e| StartError(e.to_string()))?;
    if !out.clean_poweroff() {
        return Err(StartError(format!(
            "{arch}: the guest did not power off cleanly ({:?})",
            out.exit
        )));
    }
    if on_channel && out.channel.is_empty() {
        return Err(StartError(format!(
            "{arch} {}: no record arrived on the record channel",
            guest.kernel.meta.kernel_release
        )));
    }
    Ok(Timed {
        wall: out.wall_time.as_secs_f64(),
        summed: if on_channel {
            summed_durations(&out.channel)
        } else {
            0.0
        },
    })
}

/// `rounds` boots one at a time: the median wall time and the median summed durations.
fn median_boot(
    guest: &crate::matrix::Guest,
    rounds: usize,
    cases: &[Case],
    tuning: crate::qemu::cmdline::Tuning,
    records: Records,
    work: Work,
) -> Result<Timed, StartError> {
    let boots = (0..rounds.max(1))
        .map(|_| boot_once(guest, cases, tuning, records, work))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Timed {
        wall: median(boots.iter().map(|b| b.wall).collect()),
        summed: median(boots.iter().map(|b| b.summed).collect()),
    })
}

/// Per arch: the suite's boot, with its records on the console and on the record channel,
/// and the same cases as bare calls, next to an empty boot of the same kernel with the same
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
            let time = |cases: &[Case], t: Tuning, r: Records, w: Work| {
                median_boot(g, rounds, cases, t, r, w)
            };
            let bare = time(cases, Tuning::Tuned, Records::Channel, Work::Bare)?;
            Ok(BootRow {
                arch: g.arch,
                kernel: g.kernel.meta.kernel_release.clone(),
                empty_tuned: time(&[], Tuning::Tuned, Records::Console, Work::Observe)?.wall,
                empty_plain: time(&[], Tuning::Plain, Records::Console, Work::Observe)?.wall,
                suite_console: time(cases, Tuning::Tuned, Records::Console, Work::Observe)?.wall,
                suite_channel: time(cases, Tuning::Tuned, Records::Channel, Work::Observe)?.wall,
                bare_channel: bare.wall,
                calls_alone: bare.summed,
            })
        })
        .collect()
}

/// A Markdown table of boot rows.
pub fn boot_table(rows: &[BootRow]) -> String {
    let mut out = String::from(
        "| arch | kernel | empty boot, plain (s) | empty boot, tuned (s) | suite boot, records on the console (s) | suite boot, records on the channel (s) | bare calls, records on the channel (s) | the calls alone, summed (s) | console / tuned empty | channel / tuned empty | bare / tuned empty | (tuned empty + calls alone) / tuned empty |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let e = r.empty_tuned.max(0.001);
        out += &format!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
            r.arch,
            r.kernel,
            r.empty_plain,
            r.empty_tuned,
            r.suite_console,
            r.suite_channel,
            r.bare_channel,
            r.calls_alone,
            r.suite_console / e,
            r.suite_channel / e,
            r.bare_channel / e,
            (r.empty_tuned + r.calls_alone) / e
        );
    }
    out
}

/// One guest's steady-state cost of a batch: the same cases inside a boot's own batch and
/// as a batch of a live guest session.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionRow {
    pub arch: cloneabi_arch::Arch,
    pub kernel: String,
    pub cases: usize,
    /// The suite's boot less the empty boot, both with the record channel.
    pub in_boot: f64,
    /// The batch in a session that is already up, from sending it to its end record.
    pub in_session: f64,
    /// The session's boot, until its empty first batch had ended.
    pub session_boot: f64,
}

/// Per guest, the median over `rounds` of each.
pub fn session_bench(
    cases: &[Case],
    guests: &[crate::matrix::Guest],
    rounds: usize,
) -> Result<Vec<SessionRow>, StartError> {
    use crate::qemu::cmdline::Tuning;
    let timeout = std::time::Duration::from_secs(600);
    guests
        .iter()
        .map(|g| {
            let boots = |cases: &[Case]| {
                median_boot(
                    g,
                    rounds,
                    cases,
                    Tuning::Tuned,
                    Records::Channel,
                    Work::Observe,
                )
                .map(|b| b.wall)
            };
            let in_boot = boots(cases)? - boots(&[])?;
            let kernel = crate::system_session::GuestKernel::cached(&g.kernel);
            let mut session = crate::guest_session::GuestSession::start(g.arch, &kernel, timeout)
                .map_err(|e| StartError(e.to_string()))?;
            let mut walls = Vec::new();
            for _ in 0..rounds.max(1) {
                let t = std::time::Instant::now();
                let run = session.run(cases, timeout)?;
                if let Some(e) = run.error {
                    return Err(StartError(format!("{} session batch: {e}", g.arch)));
                }
                walls.push(t.elapsed().as_secs_f64());
            }
            Ok(SessionRow {
                arch: g.arch,
                kernel: g.kernel.meta.kernel_release.clone(),
                cases: cases.len(),
                in_boot,
                in_session: median(walls),
                session_boot: session.boot_time.as_secs_f64(),
            })
        })
        .collect()
}

/// A Markdown table of session rows.
pub fn session_table(rows: &[SessionRow]) -> String {
    let mut out = String::from(
        "| arch | kernel | cases | in a boot's own batch (s) | per case (ms) | as a session batch (s) | per case (ms) | session / boot | session's boot (s) |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let n = r.cases.max(1) as f64;
        out += &format!(
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
            r.arch,
            r.kernel,
            r.cases,
            r.in_boot,
            1000.0 * r.in_boot / n,
            r.in_session,
            1000.0 * r.in_session / n,
            r.in_session / r.in_boot.max(0.001),
            r.session_boot
        );
    }
    out
}
