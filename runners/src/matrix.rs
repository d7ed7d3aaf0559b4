//! The default matrix: the native run plus one qemu-system boot per (arch, kernel), with
//! whatever is missing provisioned first. Guests run in parallel; each run is judged on its
//! own, so one broken guest never hides the others' results.

use crate::kernels::{self, Cache, KernelImage};
use crate::session::StartError;
use crate::system_session::{run_boot, GuestKernel};
use cloneabi_arch::Arch;
use cloneabi_report::model::Run;
use cloneabi_suites::case::Case;
use std::sync::Mutex;
use std::time::Duration;

/// One guest of the matrix: a kernel of a native ABI, booted once for that ABI and the
/// compat ABIs that run on it.
#[derive(Clone, Debug)]
pub struct Guest {
    pub arch: Arch,
    pub kernel: KernelImage,
}

impl Guest {
    /// The ABIs this boot runs: the kernel's own, then its compat ABIs.
    pub fn abis(&self) -> Vec<Arch> {
        self.arch.boot_group()
    }
}

/// Finds (or provisions, when `provision`) every default kernel of the ABI table: for each
/// kernel arch, its Debian kernel in each default release, or its build from source.
/// Returns the guests found and, for each one missing, why.
pub fn default_guests(
    cache: &Cache,
    provision: bool,
    log: &dyn Fn(&str),
) -> (Vec<Guest>, Vec<String>) {
    let mut guests = Vec::new();
    let mut missing = Vec::new();
    for arch in Arch::kernels() {
        let sources = arch.kernel_arch().sources;
        let releases = sources.debian.map_or(&[][..], |d| d.default);
        for &release in releases {
            let cached = kernels::cached(release, arch, cache);
            // An entry cached before the record channel gets its modules when it may.
            let stale = cached
                .as_ref()
                .is_some_and(|k| k.channel_modules().is_none());
            let found = cached
                .filter(|_| !(stale && provision))
                .map(Ok)
                .unwrap_or_else(|| {
                    if !provision {
                        return Err(format!(
                            "no {} kernel for {arch} is cached (cloneabi kernels fetch --arch {arch} --release {release})",
                            release.name()
                        ));
                    }
                    log(&format!(
                        "fetching the {} kernel for {arch}",
                        release.name()
                    ));
                    kernels::fetch(release, arch, cache).map_err(|e| e.to_string())
                });
            match found {
                Ok(kernel) => guests.push(Guest { arch, kernel }),
                Err(e) => missing.push(e),
            }
        }
        if let Some(d) = sources.default_build {
            let built = kernels::cached_default(cache, arch).map(Ok).unwrap_or_else(|| {
                if !provision {
                    return Err(format!(
                        "no {arch} kernel is cached (cloneabi kernels build --arch {arch} --source {} --config {})",
                        d.series, d.fragment
                    ));
                }
                log(&format!(
                    "building the {arch} kernel from Debian's linux-source-{} (about 9 minutes on 2 cores)",
                    d.series
                ));
                kernels::build_default(cache, arch).map_err(|e| e.to_string())
            });
            match built {
                Ok(kernel) => guests.push(Guest { arch, kernel }),
                Err(e) => missing.push(e),
            }
        }
    }
    (guests, missing)
}

/// What happens to a guest while the matrix runs, for progress displays.
#[derive(Clone, Debug)]
pub enum GuestEvent<'a> {
    Booting(&'a Guest),
    Done(&'a Guest, &'a Run),
    /// An ABI of the guest (or, for the first, the whole boot) could not run.
    Failed(&'a Guest, Arch, &'a StartError),
}

impl GuestEvent<'_> {
    /// One line for logs.
    pub fn line(&self) -> String {
        match self {
            GuestEvent::Booting(g) => format!(
                "booting {} {} ({}) for {}",
                g.arch,
                g.kernel.meta.kernel_release,
                g.kernel.meta.package_version,
                g.abis()
                    .iter()
                    .map(|a| a.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            GuestEvent::Done(_, run) => {
                let c = run.counts();
                format!(
                    "done {}: {} pass, {} fail, {} skip, {} error in {:.1} s",
                    run.title(),
                    c.pass,
                    c.fail,
                    c.skip,
                    c.error,
                    run.wall_time_ms as f64 / 1000.0
                )
            }
            GuestEvent::Failed(g, abi, e) => format!(
                "{abi} on {} {} could not run: {e}",
                g.arch, g.kernel.meta.kernel_release
            ),
        }
    }
}

/// The number of runs `guests` make: one per ABI of each.
pub fn run_count(guests: &[Guest]) -> usize {
    guests.iter().map(|g| g.abis().len()).sum()
}

/// One guest's ABIs with their runs, or each ABI's error in place of its run.
pub type GuestRuns = Vec<(Arch, Result<Run, StartError>)>;

/// Boots every guest, `jobs` at a time, and returns, in the guests' order, each guest's
/// ABIs with their runs. An ABI that cannot run gives its error in place of a run.
pub fn run_guests(
    cases: &[Case],
    guests: &[Guest],
    jobs: usize,
    timeout: Duration,
    on_event: &(dyn Fn(GuestEvent<'_>) + Sync),
) -> Vec<GuestRuns> {
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<GuestRuns>>> =
        Mutex::new((0..guests.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1).min(guests.len().max(1)) {
            s.spawn(|| loop {
                let i = {
                    let mut n = next.lock().expect("queue lock");
                    let i = *n;
                    *n += 1;
                    i
                };
                let Some(g) = guests.get(i) else { break };
                on_event(GuestEvent::Booting(g));
                let k = GuestKernel::cached(&g.kernel);
                let abis = g.abis();
                let runs: Vec<(Arch, Result<Run, StartError>)> =
                    match run_boot(cases, &abis, &k, timeout) {
                        Ok(runs) => abis.iter().copied().zip(runs).collect(),
                        // The boot never started: every ABI of it shares the reason.
                        Err(e) => abis
                            .iter()
                            .map(|&a| (a, Err(StartError(e.0.clone()))))
                            .collect(),
                    };
                for (abi, r) in &runs {
                    match r {
                        Ok(run) => on_event(GuestEvent::Done(g, run)),
                        Err(e) => on_event(GuestEvent::Failed(g, *abi, e)),
                    }
                }
                results.lock().expect("results lock")[i] = Some(runs);
            });
        }
    });
    results
        .into_inner()
        .expect("results lock")
        .into_iter()
        .map(|r| r.expect("every guest ran"))
        .collect()
}
