//! `--shard K/N`: one CI job's part of the matrix, and `report merge`, which puts the parts
//! back together. The split is a pure function of the planned runs and cases, so N jobs
//! started with the same arguments cover everything exactly once; the CI engine (or LAVA)
//! schedules them.

use clap::ValueEnum;
use cloneabi_report::model::{Report, Run};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// Part K (1-based) of N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || {
            format!("'{s}' is not a shard: write K/N with 1 <= K <= N, e.g. --shard 2/3 for the second of three CI jobs")
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What `--shard` splits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShardBy {
    /// Whole runs (one per ABI and kernel): each guest boots in exactly one job.
    Run,
    /// Cases: every job runs every run with a share of the cases.
    Case,
}

impl Shard {
    /// Whether the `i`-th of `len` runs belongs to this shard: contiguous blocks in matrix
    /// order, so the merged runs come back in the unsharded order.
    pub fn has_run(self, i: usize, len: usize) -> bool {
        let lo = (self.index - 1) * len / self.count;
        let hi = self.index * len / self.count;
        (lo..hi).contains(&i)
    }

    /// This shard's part of the matrix, whose runs are the native one followed by
    /// `guests`: whether it runs the native run, and its guests.
    pub fn matrix_part<T>(self, guests: Vec<T>) -> (bool, Vec<T>) {
        let total = 1 + guests.len();
        let mine: Vec<T> = guests
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.has_run(i + 1, total))
            .map(|(_, g)| g)
            .collect();
        (self.has_run(0, total), mine)
    }

    /// Whether the `i`-th case belongs to this shard: every N-th, so the slow cases of one
    /// concern spread over the jobs.
    pub fn has_case(self, i: usize) -> bool {
        i % self.count == self.index - 1
    }
}

/// The shards' reports as one: runs of the same ABI, runner and kernel are combined
/// (results in catalog order, wall times added), other runs kept in first-seen order.
pub fn merge(reports: &[Report]) -> Report {
    let order: HashMap<String, usize> = cloneabi_suites::catalog::all_cases()
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c.id.to_string(), i))
        .collect();
    let mut runs: Vec<Run> = Vec::new();
    for run in reports.iter().flat_map(|r| &r.runs) {
        let same = runs
            .iter_mut()
            .find(|r| r.arch == run.arch && r.runner == run.runner && r.kernel == run.kernel);
        let Some(into) = same else {
            runs.push(run.clone());
            continue;
        };
        into.results.extend(run.results.iter().cloned());
        into.wall_time_ms += run.wall_time_ms;
        for f in &run.findings {
            if !into.findings.contains(f) {
                into.findings.push(f.clone());
            }
        }
        into.error = match (into.error.take(), &run.error) {
            (Some(a), Some(b)) if a != *b => Some(format!("{a}; {b}")),
            (a, b) => a.or_else(|| b.clone()),
        };
        if into.console_excerpt.is_none() {
            into.console_excerpt = run.console_excerpt.clone();
        }
        if into.env.is_none() {
            into.env = run.env.clone();
        }
    }
    for run in &mut runs {
        run.results
            .sort_by_key(|r| order.get(&r.case).copied().unwrap_or(usize::MAX));
    }
    Report {
        runs,
        ..Report::merged(reports)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_syntax_is_checked() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", ""] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains("K/N"), "{bad}: {e}");
        }
    }

    /// The default matrix (native plus nine guests) in three jobs: blocks of 3, 3 and 4
    /// runs in matrix order.
    #[test]
    fn the_matrix_splits_into_blocks_in_order() {
        let guests: Vec<&str> = vec![
            "x86_64/bookworm",
            "x86_64/bookworm-backports",
            "aarch64/bookworm",
            "aarch64/bookworm-backports",
            "s390x/bookworm",
            "s390x/bookworm-backports",
            "powerpc64le/bookworm",
            "powerpc64le/bookworm-backports",
            "powerpc64/built",
        ];
        let part = |k| Shard { index: k, count: 3 }.matrix_part(guests.clone());
        assert_eq!(
            part(1),
            (true, vec!["x86_64/bookworm", "x86_64/bookworm-backports"])
        );
        assert_eq!(
            part(2),
            (
                false,
                vec![
                    "aarch64/bookworm",
                    "aarch64/bookworm-backports",
                    "s390x/bookworm"
                ]
            )
        );
        assert_eq!(
            part(3),
            (
                false,
                vec![
                    "s390x/bookworm-backports",
                    "powerpc64le/bookworm",
                    "powerpc64le/bookworm-backports",
                    "powerpc64/built"
                ]
            )
        );
        let one = Shard { index: 1, count: 1 }.matrix_part(guests.clone());
        assert_eq!(one, (true, guests.clone()));
        // More jobs than runs: the extra jobs get nothing, every run is still run once.
        let runs: usize = (1..=12)
            .map(|k| {
                let (n, g) = Shard {
                    index: k,
                    count: 12,
                }
                .matrix_part(guests.clone());
                usize::from(n) + g.len()
            })
            .sum();
        assert_eq!(runs, 10);
    }

    /// Every run and every case lands in exactly one shard, whatever N, and a shard's runs
    /// are one block in matrix order.
    #[test]
    fn runs_and_cases_are_partitioned() {
        for len in 0..14 {
            for count in 1..=6 {
                let shards: Vec<Shard> = (1..=count).map(|index| Shard { index, count }).collect();
                let mut seen = Vec::new();
                for s in &shards {
                    seen.extend((0..len).filter(|&i| s.has_run(i, len)));
                }
                assert_eq!(seen, (0..len).collect::<Vec<_>>(), "len {len} N {count}");
                for i in 0..len {
                    let owners = shards.iter().filter(|s| s.has_case(i)).count();
                    assert_eq!(owners, 1, "case {i} N {count}");
                }
                // No shard is more than one run bigger than another.
                let sizes: Vec<usize> = shards
                    .iter()
                    .map(|s| (0..len).filter(|&i| s.has_run(i, len)).count())
                    .collect();
                let (lo, hi) = (sizes.iter().min(), sizes.iter().max());
                assert!(hi.unwrap() - lo.unwrap() <= 1, "{sizes:?}");
            }
        }
    }
}
