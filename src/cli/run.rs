//! `cloneabi run`: run the suite, print KTAP (or the formats asked for) and a summary, and
//! optionally gate against a baseline.

use super::shard::{Shard, ShardBy};
use super::values::{self, Format, Runner};
use super::{output, CmdResult, EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use clap::Args;
use cloneabi_arch::Arch;
use cloneabi_report::model::{HostInfo, Report, Run, ToolInfo, SCHEMA_VERSION};
use cloneabi_report::{diff, json, summary};
use cloneabi_runners::kernels::Release;
use cloneabi_runners::session::{run_native, NativeRun};
use cloneabi_suites::catalog::all_cases;
use cloneabi_suites::verdict::Verdict;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Where to run; `all` and `qemu-user` install the Debian packages they need when
    /// run as root.
    #[arg(long, value_enum, default_value_t = Runner::All)]
    pub runner: Runner,
    /// Guests booted at once (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Target arch for qemu-system and qemu-user (or one of its other names); for native, an
    /// ABI the host's kernel runs (i386 on x86_64).
    #[arg(long, value_parser = values::arch(), ignore_case = true)]
    pub arch: Option<Arch>,
    /// A kernel image to boot instead of the cached Debian one (its arch is checked first).
    #[arg(long)]
    pub kernel: Option<PathBuf>,
    /// Which cached Debian kernel qemu-system boots.
    #[arg(long, value_parser = values::release(), default_value = "bookworm")]
    pub release: Release,
    /// Output formats, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "ktap")]
    pub format: Vec<Format>,
    /// A file for one format, a directory for several (stdout when absent).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Compare with this JSON report afterwards; exit 1 on any regression (the CI gate).
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Only cases whose id contains this text.
    #[arg(long)]
    pub filter: Option<String>,
    /// Whole-run timeout in seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// Run only part K of N of the matrix (e.g. 2/3), for one of N CI jobs; combine the
    /// parts' JSON reports with `cloneabi report merge`.
    #[arg(long)]
    pub shard: Option<Shard>,
    /// What --shard splits: whole runs (one per ABI and kernel) or, within every run, the cases.
    #[arg(long, value_enum, default_value_t = ShardBy::Run, requires = "shard")]
    pub shard_by: ShardBy,
    /// Test aid: run the native payload under a seccomp filter that answers clone3 with
    /// this errno (ENOSYS or EPERM), as a container runtime might.
    #[arg(long, hide = true)]
    pub mask_clone3: Option<String>,
}

fn errno_by_name(name: &str) -> Result<i32, String> {
    match cloneabi_suites::errno::from_name(name) {
        Some(e) if ["ENOSYS", "EPERM"].contains(&name) => Ok(e),
        _ => Err(format!("--mask-clone3 takes ENOSYS or EPERM, not '{name}'")),
    }
}

/// The report header for runs made now on this host.
pub fn new_report(runs: Vec<Run>) -> Report {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    Report {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: "cloneabi".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        host: HostInfo {
            hostname: read("/proc/sys/kernel/hostname"),
            arch: std::env::consts::ARCH.into(),
            kernel_release: read("/proc/sys/kernel/osrelease"),
        },
        runs,
        campaigns: Vec::new(),
    }
}

fn qemu_system(args: &RunArgs, cases: &[cloneabi_suites::case::Case]) -> Result<Run, String> {
    use cloneabi_runners::kernels::{self, Cache};
    use cloneabi_runners::system_session::{run_qemu_system, GuestKernel};
    let arch = args.arch.ok_or("qemu-system needs --arch")?;
    let timeout = Duration::from_secs(args.timeout);
    if let Some(path) = &args.kernel {
        // A cached image (one `kernels build` printed) carries its provenance.
        let cached = kernels::KernelImage::of_image(path);
        let kernel = cached
            .as_ref()
            .map_or_else(|| GuestKernel::file(path), GuestKernel::cached);
        return run_qemu_system(cases, arch, &kernel, timeout).map_err(|e| e.to_string());
    }
    let release = args.release;
    let cache = Cache::from_env().map_err(|e| e.to_string())?;
    let image = if let Some(d) = arch.kernel_arch().sources.default_build {
        kernels::cached_default(&cache, arch).ok_or_else(|| {
            format!(
                "no {arch} kernel is cached: run `cloneabi kernels build --arch {arch} --source {} --config {}`",
                d.series, d.fragment
            )
        })?
    } else {
        kernels::cached(release, arch, &cache)
            .ok_or_else(|| format!("no {} kernel for {arch} is cached: run `cloneabi kernels fetch --release {} --arch {arch}`", release.name(), release.name()))?
    };
    run_qemu_system(cases, arch, &GuestKernel::cached(&image), timeout).map_err(|e| e.to_string())
}

/// The native run; a native runner that cannot start is an environment error.
fn native(args: &RunArgs, cases: &[cloneabi_suites::case::Case]) -> Result<Run, String> {
    let mut opts = NativeRun::default();
    opts.sandbox.timeout = Duration::from_secs(args.timeout);
    opts.sandbox.mask_clone3_with = args.mask_clone3.as_deref().map(errno_by_name).transpose()?;
    opts.arch = args.arch;
    run_native(cases, &opts).map_err(|e| format!("the native runner cannot start: {e}"))
}

/// The main job: native, then every default kernel under qemu-system. Returns the runs
/// that happened and, separately, every target that could not run and why.
fn matrix(
    args: &RunArgs,
    cases: &[cloneabi_suites::case::Case],
) -> Result<(Vec<Run>, Vec<String>), String> {
    use cloneabi_runners::kernels::Cache;
    use cloneabi_runners::matrix::{default_guests, run_count, run_guests};
    let log = |m: &str| eprintln!("cloneabi: {m}");
    cloneabi_runners::provision::ensure_packages();
    let cache = Cache::from_env().map_err(|e| e.to_string())?;
    let (mut guests, mut problems) = default_guests(&cache, true, &log);
    // Provisioning (downloads, a kernel build) ends at once on a signal, as before; from
    // here on a signal ends the children and the report is still written.
    catch_interrupts()?;
    let mut runs = Vec::new();
    let with_native = match run_shard(args) {
        Some(s) => {
            let (native, mine) = s.matrix_part(guests);
            guests = mine;
            native
        }
        None => true,
    };
    if with_native {
        runs.push(native(args, cases)?);
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let progress = super::progress::Progress::new(run_count(&guests));
    let results = run_guests(
        cases,
        &guests,
        jobs,
        Duration::from_secs(args.timeout),
        &|e| progress.event(&e),
    );
    progress.finish();
    for (guest, boot) in guests.iter().zip(results) {
        for (abi, result) in boot {
            match result {
                Ok(run) => runs.push(run),
                Err(e) => problems.push(format!(
                    "{abi} on {} {}: {e}",
                    guest.arch, guest.kernel.meta.kernel_release
                )),
            }
        }
    }
    Ok((runs, problems))
}

/// SIGINT and SIGTERM stop the runs instead of the process (runners::interrupt).
fn catch_interrupts() -> Result<(), String> {
    cloneabi_runners::interrupt::install()
        .map_err(|e| format!("cannot install the SIGINT/SIGTERM handlers: {e}"))
}

/// The shard when it splits runs.
fn run_shard(args: &RunArgs) -> Option<Shard> {
    args.shard.filter(|_| args.shard_by == ShardBy::Run)
}

pub fn run(args: RunArgs) -> CmdResult {
    use cloneabi_runners::interrupt;
    let mut cases = all_cases();
    if let Some(f) = &args.filter {
        cases.retain(|c| c.id.contains(f.as_str()));
        if cases.is_empty() {
            return Err(format!("no case id contains '{f}' (see `cloneabi list`)"));
        }
    }
    if let (Some(s), ShardBy::Case) = (args.shard, args.shard_by) {
        let mut i = 0;
        cases.retain(|_| {
            i += 1;
            s.has_case(i - 1)
        });
    }
    // A single-run runner's one run belongs to the first shard.
    let single_is_mine = run_shard(&args).is_none_or(|s| s.has_run(0, 1));
    if args.runner != Runner::All {
        catch_interrupts()?;
    }
    let (runs, problems) = match args.runner {
        Runner::Native | Runner::QemuSystem | Runner::QemuUser if !single_is_mine => {
            (Vec::new(), Vec::new())
        }
        Runner::Native => (vec![native(&args, &cases)?], Vec::new()),
        Runner::QemuSystem => match qemu_system(&args, &cases) {
            Ok(run) => (vec![run], Vec::new()),
            Err(e) => {
                eprintln!("cloneabi: the qemu-system runner cannot start: {e}");
                return Ok(EXIT_USAGE);
            }
        },
        Runner::QemuUser => {
            let arch = args.arch.ok_or("qemu-user needs --arch")?;
            cloneabi_runners::provision::ensure(
                &cloneabi_runners::provision::missing_for_qemu_user(arch),
            );
            let mut opts = NativeRun::default();
            opts.sandbox.timeout = Duration::from_secs(args.timeout);
            match cloneabi_runners::session::run_qemu_user(&cases, arch, &opts) {
                Ok(run) => (vec![run], Vec::new()),
                Err(e) => {
                    eprintln!("cloneabi: the qemu-user runner cannot start: {e}");
                    return Ok(EXIT_USAGE);
                }
            }
        }
        Runner::All => match matrix(&args, &cases) {
            Ok(runs) => runs,
            Err(e) => {
                eprintln!("cloneabi: {e}");
                return Ok(EXIT_USAGE);
            }
        },
    };
    let report = new_report(runs);
    output::emit(&report, &args.format, args.out.as_deref())?;
    eprint!("{}", summary::render(&report));
    let mut failed = false;
    for r in &report.runs {
        let c = r.counts();
        eprintln!(
            "cloneabi: {} cases on {} ({}): {} pass, {} fail, {} skip, {} error ({:.1} s){}",
            r.results.len(),
            r.title(),
            r.key(),
            c.pass,
            c.fail,
            c.skip,
            c.error,
            r.wall_time_ms as f64 / 1000.0,
            r.error
                .as_ref()
                .map(|e| format!("; run error: {e}"))
                .unwrap_or_default()
        );
        for f in &r.findings {
            eprintln!("cloneabi: finding: {f}");
        }
        failed |= r.error.is_some()
            || r.results
                .iter()
                .any(|x| matches!(x.verdict, Verdict::Fail | Verdict::Error));
    }
    for p in &problems {
        eprintln!("cloneabi: not run: {p}");
    }
    if let Some(base) = &args.baseline {
        let baseline = json::load(base).map_err(|e| format!("baseline: {e}"))?;
        let d = diff::diff(&baseline, &report);
        eprint!("{}", d.to_markdown());
        if d.is_regression() {
            return Ok(EXIT_FAILED);
        }
    }
    if let Some(sig) = interrupt::requested() {
        eprintln!(
            "cloneabi: {}: the report holds every run that finished; the others are ERROR",
            interrupt::name(sig)
        );
        // A report written to a file is what the CI reads: its verdicts decide the status.
        if args.out.is_none() {
            return Ok(interrupt::exit_status(sig));
        }
    }
    Ok(if !problems.is_empty() {
        EXIT_USAGE
    } else if failed {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}
