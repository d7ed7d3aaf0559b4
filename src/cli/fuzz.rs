//! `cloneabi fuzz`: generated cases, predicted by the model, run natively in the sandbox
//! or in one guest boot, judged; every divergence shrunk to a small case, classified (the
//! kernel, the model, or the emulator or sandbox; a FAIL's shrunk case re-run on a second
//! kernel) and printed as a catalog entry, as text, JSON, KTAP, JUnit, KCIDB or HTML.

use super::values;
use super::{CmdResult, EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use clap::{Args, ValueEnum};
use cloneabi_arch::Arch;
use cloneabi_arch::KernelVersion;
use cloneabi_report::campaign::{self, Campaign, Classification, FieldDiff};
use cloneabi_report::model::{KernelInfo, RunnerKind};
use cloneabi_runners::fuzz::{
    run_model_env, second_kernel, GuestExecutor, NativeExecutor, SecondKernel,
};
use cloneabi_runners::kernels::Release;
use cloneabi_runners::session::NativeRun;
use cloneabi_suites::case::Case;
use cloneabi_suites::catalog::all_cases;
use cloneabi_suites::fuzz::classify::{classify, unreproduced, SecondRun};
use cloneabi_suites::fuzz::coverage::{rule_of, rule_of_described, Coverage};
use cloneabi_suites::fuzz::repro::c_reproducer;
use cloneabi_suites::fuzz::shrink::{shrink, Shrunk};
use cloneabi_suites::fuzz::steer::DEFAULT_VERSION;
use cloneabi_suites::fuzz::{non_default_fields, render, Executor, Outcome, Steered};
use cloneabi_suites::model::mutant::{self, Mutant};
use cloneabi_suites::model::{predict, ModelEnv};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where the campaign runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FuzzRunner {
    /// The host kernel, in the throwaway pid namespace, in batches.
    Native,
    /// One guest boot runs the whole campaign as one batch.
    QemuSystem,
}

/// How the campaign is reported on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FuzzFormat {
    /// For people: each divergence with its classification, catalog entry and reproducer.
    Text,
    /// The campaign as JSON, with rule counts.
    Json,
    /// KTAP: one failing test per divergence, and the campaign.
    Ktap,
    /// JUnit XML: one failing testcase per divergence.
    Junit,
    /// KCIDB v5.3: one test per divergence.
    Kcidb,
    /// A self-contained HTML page with the divergences.
    Html,
}

/// Whether a FAIL's shrunk case is re-run on a second kernel to classify it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SecondKernelArg {
    /// A guest campaign's on the host (when the host runs that ABI), a native campaign's in
    /// the cached Debian bookworm guest of the host's arch (when cached); never downloads.
    Auto,
    /// No second run: a FAIL is classified as seen on one kernel only.
    None,
}

/// A wrong model rule, for tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MutantArg {
    SetTidCopiedFirst,
}

#[derive(Args, Debug)]
pub struct FuzzArgs {
    #[arg(long, value_enum, default_value_t = FuzzRunner::Native)]
    pub runner: FuzzRunner,
    /// qemu-system: the guest's arch (or one of its other names). native: an ABI the host's
    /// kernel runs (i386 on x86_64).
    #[arg(long, value_parser = values::arch(), ignore_case = true)]
    pub arch: Option<Arch>,
    /// qemu-system: which cached Debian kernel to boot.
    #[arg(long, value_parser = values::release(), default_value = "bookworm", conflicts_with = "kernel")]
    pub release: Release,
    /// qemu-system: a kernel image to boot instead of the cached Debian one.
    #[arg(long)]
    pub kernel: Option<PathBuf>,
    /// The campaign's seed (default: from the clock, printed on stderr).
    #[arg(long)]
    pub seed: Option<u64>,
    /// How many cases to generate.
    #[arg(long, conflicts_with = "time")]
    pub cases: Option<u64>,
    /// Generate cases for this many seconds instead (native only).
    #[arg(long)]
    pub time: Option<u64>,
    /// Cases per native batch (one sandbox each).
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Time spent shrinking each distinct divergence, in seconds (0: no shrinking).
    #[arg(long, default_value_t = 60)]
    pub shrink_time: u64,
    /// At most this many distinct divergences are shrunk.
    #[arg(long, default_value_t = 10)]
    pub max_shrinks: usize,
    #[arg(long, value_enum, default_value_t = FuzzFormat::Text)]
    pub format: FuzzFormat,
    /// Re-run each FAIL's shrunk case on a second kernel to tell a kernel bug from a model
    /// error.
    #[arg(long, value_enum, default_value_t = SecondKernelArg::Auto)]
    pub second_kernel: SecondKernelArg,
    /// Timeout of one batch (native) or of the guest's whole run (qemu-system), in seconds.
    #[arg(long, default_value_t = 3600)]
    pub timeout: u64,
    /// Draw every case afresh instead of spending half of them on neighbours of cases that
    /// reach the model's rarest rules so far.
    #[arg(long)]
    pub no_steering: bool,
    /// Test aid: predict with one deliberately wrong model rule.
    #[arg(long, value_enum, hide = true)]
    pub model_mutant: Option<MutantArg>,
}

/// One distinct divergence: its first case, how often it was seen, and its shrunk form.
#[derive(Serialize)]
struct Divergence {
    signature: String,
    count: u64,
    case: Case,
    outcome: Outcome,
    shrunk: Option<Shrunk>,
    /// The shrunk (or else the first) case as a catalog entry.
    catalog_entry: String,
    /// Members and setup steps that differ from a plain fork-like clone3.
    non_default_fields: usize,
    /// A standalone C program that makes the same call and exits 1 when the kernel
    /// disagrees with the model.
    c_reproducer: Option<String>,
    /// Why there is no C reproducer.
    no_c_reproducer: Option<String>,
    /// Whose fault it is, and why.
    classification: Classification,
    classification_basis: String,
    /// Expected against observed, field by field (of the confirmed shrunk case, else the
    /// first).
    fields: Vec<FieldDiff>,
    /// The shrunk case's run on a second kernel, when one ran it.
    second_run: Option<campaign::SecondRun>,
}

impl Divergence {
    /// The case and outcome the divergence is judged by: the shrunk case when its
    /// confirming run diverged the same way, else the first.
    fn judged(&self) -> (&Case, &Outcome) {
        match &self.shrunk {
            Some(s) if s.confirmed => (&s.case, &s.outcome),
            _ => (&self.case, &self.outcome),
        }
    }
}

#[derive(Serialize)]
struct FuzzReport {
    seed: u64,
    /// Half the cases were neighbours of cases reaching the rarest rules (`--no-steering`: none).
    steered: bool,
    runner: String,
    arch: String,
    kernel: String,
    cases: u64,
    wall_ms: u64,
    cases_per_second: f64,
    /// Divergent cases in all (FAIL, or ERROR: a crash, timeout or lost record).
    divergent_cases: u64,
    divergences: Vec<Divergence>,
    /// How often each model rule decided a case's outcome.
    rules: BTreeMap<String, u64>,
    /// Rules the catalog reaches on this target that no generated case reached.
    rules_never_reached: Vec<String>,
    /// The run broke (payload crash, guest hang), if it did.
    run_errors: Vec<String>,
}

struct Bar(Option<ProgressBar>, Instant);

impl Bar {
    fn new(total: Option<u64>) -> Bar {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total {
                Some(n) => ProgressBar::new(n),
                None => ProgressBar::no_length(),
            };
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} cases  {per_sec}  {msg}",
                )
                .expect("a valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Bar(bar, Instant::now())
    }

    fn update(&self, done: u64, divergent: u64) {
        match &self.0 {
            Some(bar) => {
                bar.set_position(done);
                bar.set_message(format!("{divergent} divergent"));
            }
            None => eprintln!(
                "cloneabi: fuzz: {done} cases, {:.0} cases/s, {divergent} divergent",
                done as f64 / self.1.elapsed().as_secs_f64().max(1e-3)
            ),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

fn usage(msg: impl std::fmt::Display) -> CmdResult {
    eprintln!("cloneabi: {msg}");
    Ok(EXIT_USAGE)
}

pub fn run(args: FuzzArgs) -> CmdResult {
    mutant::set(args.model_mutant.map(|m| match m {
        MutantArg::SetTidCopiedFirst => Mutant::SetTidCopiedFirst,
    }));
    if args.batch == 0 {
        return usage("--batch must be at least 1");
    }
    if args.runner == FuzzRunner::QemuSystem && args.time.is_some() {
        return usage("--time needs --runner native: a guest runs its whole campaign as one batch; give --cases");
    }
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    eprintln!("cloneabi: fuzz: seed {seed} (repeat the campaign with --seed {seed})");
    cloneabi_runners::interrupt::install()
        .map_err(|e| format!("cannot install the SIGINT/SIGTERM handlers: {e}"))?;
    match args.runner {
        FuzzRunner::Native => {
            let mut opts = NativeRun::default();
            opts.sandbox.timeout = Duration::from_secs(args.timeout);
            opts.arch = args.arch;
            let mut exec = NativeExecutor { opts, last: None };
            let read = |p| std::fs::read_to_string(p).unwrap_or_default();
            let host = KernelVersion::from_uname(
                read("/proc/sys/kernel/osrelease").trim(),
                read("/proc/sys/kernel/version").trim(),
            );
            campaign(&args, seed, host, &mut exec, 1, |e| e.last.as_ref())
        }
        FuzzRunner::QemuSystem => {
            use cloneabi_runners::kernels::{self, Cache};
            use cloneabi_runners::system_session::GuestKernel;
            let Some(arch) = args.arch else {
                return usage("--runner qemu-system needs --arch");
            };
            let image;
            let version;
            let kernel = match &args.kernel {
                Some(path) => {
                    // A kernel `kernels build` made has its metadata beside it.
                    version = path
                        .parent()
                        .and_then(|d| kernels::KernelImage::load(d, false).ok())
                        .and_then(|k| KernelVersion::parse_release(k.package_version()));
                    GuestKernel::file(path)
                }
                None => {
                    let cache = Cache::from_env().map_err(|e| e.to_string())?;
                    image = match kernels::cached(args.release, arch, &cache) {
                        Some(i) => i,
                        None => {
                            return usage(format!(
                                "no {} kernel for {arch} is cached: run `cloneabi kernels fetch --release {} --arch {arch}`",
                                args.release.name(),
                                args.release.name()
                            ))
                        }
                    };
                    version = KernelVersion::parse_release(image.package_version());
                    GuestKernel::cached(&image)
                }
            };
            let mut exec = GuestExecutor::new(arch, kernel, Duration::from_secs(args.timeout));
            campaign(&args, seed, version, &mut exec, 0, |e| e.last.as_ref())
        }
    }
}

fn campaign<E: Executor>(
    args: &FuzzArgs,
    seed: u64,
    steer_for: Option<KernelVersion>,
    exec: &mut E,
    payload_level: u32,
    last: impl Fn(&E) -> Option<&cloneabi_report::model::Run>,
) -> CmdResult {
    let start = Instant::now();
    let total = match (args.cases, args.time) {
        (Some(n), _) => Some(n),
        (None, Some(_)) => None,
        (None, None) => Some(10_000),
    };
    let deadline = args.time.map(|t| start + Duration::from_secs(t));
    // A guest runs everything in one boot.
    let batch = match args.runner {
        FuzzRunner::Native => args.batch as u64,
        FuzzRunner::QemuSystem => total.unwrap_or(10_000),
    };
    let steer_for = steer_for.unwrap_or_else(|| {
        if !args.no_steering {
            eprintln!(
                "cloneabi: fuzz: the kernel's version is not known before it runs; steering assumes {DEFAULT_VERSION}"
            );
        }
        DEFAULT_VERSION
    });
    let mut gen = if args.no_steering {
        Steered::unsteered(seed, steer_for)
    } else {
        Steered::new(seed, steer_for)
    };
    let bar = Bar::new(total);
    let mut done = 0u64;
    let mut divergent = 0u64;
    let mut coverage = Coverage::default();
    let mut found: Vec<Divergence> = Vec::new();
    let mut run_errors = Vec::new();
    let mut env: Option<ModelEnv> = None;
    let (mut arch, mut kernel) = (String::new(), String::new());
    let mut run_arch: Option<Arch> = None;
    let mut kernel_info = KernelInfo::default();
    let mut first_title = String::new();
    loop {
        let want = match (total, deadline) {
            (Some(n), _) => (n - done).min(batch),
            (None, Some(d)) if Instant::now() < d => batch,
            _ => 0,
        };
        if want == 0 || cloneabi_runners::interrupt::requested().is_some() {
            break;
        }
        let cases: Vec<Case> = (0..want).map(|_| gen.case()).collect();
        let outcomes = match exec.run(&cases) {
            Ok(o) => o,
            Err(e) => {
                bar.finish();
                return usage(
                    format!("the {:?} runner cannot start: {e}", args.runner)
                        .replace("Native", "native")
                        .replace("QemuSystem", "qemu-system"),
                );
            }
        };
        run_errors.extend(exec.take_breaks());
        if let Some(run) = last(exec) {
            if env.is_none() {
                env = run_model_env(run, payload_level);
                arch = run.arch.to_string();
                run_arch = Some(run.arch);
                kernel = run.kernel.release.clone();
                kernel_info = run.kernel.clone();
                first_title = run.title();
            }
            if let Some(e) = &run.error {
                run_errors.push(format!("{}: {e}", cases[0].id));
            }
        }
        for (case, o) in cases.into_iter().zip(outcomes) {
            coverage.add(rule_of_described(&o.expected));
            if !o.diverges() {
                continue;
            }
            divergent += 1;
            let sig = o.signature();
            match found.iter_mut().find(|d| d.signature == sig) {
                Some(d) => d.count += 1,
                None => found.push(Divergence {
                    signature: sig,
                    count: 1,
                    non_default_fields: non_default_fields(&case),
                    catalog_entry: String::new(),
                    c_reproducer: None,
                    no_c_reproducer: None,
                    classification: Classification::Model,
                    classification_basis: String::new(),
                    fields: Vec::new(),
                    second_run: None,
                    case,
                    outcome: o,
                    shrunk: None,
                }),
            }
        }
        done += want;
        bar.update(done, divergent);
    }
    bar.finish();
    let wall = start.elapsed();
    // Shrinking.
    for d in found.iter_mut().take(args.max_shrinks) {
        if args.shrink_time == 0 || cloneabi_runners::interrupt::requested().is_some() {
            break;
        }
        eprintln!("cloneabi: fuzz: shrinking {} ({})", d.case.id, d.signature);
        match shrink(
            &d.case,
            &d.outcome,
            exec,
            Duration::from_secs(args.shrink_time),
        ) {
            Ok(s) => {
                eprintln!(
                    "cloneabi: fuzz: {} shrunk in {} steps, {} candidates, {:.1} s{}",
                    d.case.id,
                    s.steps,
                    s.tried,
                    s.elapsed_ms as f64 / 1000.0,
                    if s.confirmed {
                        ""
                    } else {
                        "; it did not reproduce on the confirming run"
                    }
                );
                d.shrunk = Some(s);
            }
            Err(e) => eprintln!("cloneabi: fuzz: shrinking {} failed: {e}", d.case.id),
        }
    }
    for d in &mut found {
        let case = d.shrunk.as_ref().map_or(&d.case, |s| &s.case);
        d.non_default_fields = non_default_fields(case);
        let name = format!(
            "fuzz_{}",
            d.case.id.replace('.', "_").trim_start_matches("fuzz_")
        );
        let outcome = d.shrunk.as_ref().map_or(&d.outcome, |s| &s.outcome);
        d.catalog_entry = render::catalog_entry(
            case,
            &name,
            &format!(
                "found by cloneabi fuzz --seed {seed}: the model predicts {}, {arch} {kernel} gives {}",
                outcome.expected_outcome, outcome.observed_outcome
            ),
        );
    }
    for d in &mut found {
        let case = d.shrunk.as_ref().map_or(&d.case, |s| &s.case);
        let outcome = d.shrunk.as_ref().map_or(&d.outcome, |s| &s.outcome);
        match run_arch.map(|a| c_reproducer(case, a, &outcome.expected_outcome)) {
            Some(Ok(c)) => d.c_reproducer = Some(c),
            Some(Err(why)) => d.no_c_reproducer = Some(why),
            None => d.no_c_reproducer = Some("the run reported no arch".into()),
        }
    }
    let runner = match args.runner {
        FuzzRunner::Native => RunnerKind::Native,
        FuzzRunner::QemuSystem => RunnerKind::QemuSystem,
    };
    classify_all(&mut found, args, runner, run_arch, &first_title);
    // The rules the catalog reaches on this target, as the yardstick of what a campaign
    // could reach.
    let known: Vec<String> = match &env {
        Some(e) => {
            let mut k: Vec<String> = all_cases()
                .iter()
                .map(|c| rule_of(&predict(c, e)))
                .collect();
            k.sort();
            k.dedup();
            k
        }
        None => Vec::new(),
    };
    let report = FuzzReport {
        seed,
        steered: !args.no_steering,
        runner: runner.as_str().into(),
        arch,
        kernel,
        cases: done,
        wall_ms: wall.as_millis() as u64,
        cases_per_second: done as f64 / wall.as_secs_f64().max(1e-3),
        divergent_cases: divergent,
        rules_never_reached: coverage.missed(&known),
        rules: coverage.counts,
        divergences: found,
        run_errors,
    };
    match args.format {
        FuzzFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        ),
        FuzzFormat::Text => print!("{}", text(&report)),
        FuzzFormat::Ktap | FuzzFormat::Junit | FuzzFormat::Kcidb | FuzzFormat::Html => {
            let Some(arch) = run_arch else {
                return Err("the campaign ran no case: there is nothing to report".into());
            };
            let mut r = super::run::new_report(Vec::new());
            r.campaigns
                .push(to_campaign(&report, arch, runner, kernel_info));
            let out = match args.format {
                FuzzFormat::Ktap => cloneabi_report::ktap::render(&r),
                FuzzFormat::Junit => cloneabi_report::junit::render(&r),
                FuzzFormat::Kcidb => cloneabi_report::kcidb::render(&r),
                _ => cloneabi_report::html::render_report(&r),
            };
            print!("{out}");
        }
    }
    if let Some(sig) = cloneabi_runners::interrupt::requested() {
        eprintln!(
            "cloneabi: {}: the report holds the cases run so far",
            cloneabi_runners::interrupt::name(sig)
        );
        return Ok(cloneabi_runners::interrupt::exit_status(sig));
    }
    Ok(if report.divergent_cases > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}

/// Classifies every divergence: a FAIL by re-running the shrunk cases of all FAILs once, as
/// one batch, on a second kernel; an ERROR by its console.
fn classify_all(
    found: &mut [Divergence],
    args: &FuzzArgs,
    runner: RunnerKind,
    arch: Option<Arch>,
    first: &str,
) {
    let fails: Vec<usize> = (0..found.len())
        .filter(|&i| found[i].judged().1.verdict == cloneabi_suites::verdict::Verdict::Fail)
        .collect();
    let mut seconds: Vec<Option<SecondRun>> = vec![None; found.len()];
    if !fails.is_empty() {
        let unavailable = |wanted: &str, why: &str| SecondRun::Unavailable {
            wanted: wanted.into(),
            why: why.into(),
        };
        let cases: Vec<Case> = fails.iter().map(|&i| found[i].judged().0.clone()).collect();
        let outcome = match (args.second_kernel, arch) {
            (SecondKernelArg::None, _) => Err(unavailable(
                "a second kernel",
                "--second-kernel none was given",
            )),
            (_, None) => Err(unavailable("a second kernel", "the run reported no arch")),
            _ if cloneabi_runners::interrupt::requested().is_some() => Err(unavailable(
                "a second kernel",
                "the campaign was interrupted",
            )),
            (SecondKernelArg::Auto, Some(arch)) => {
                eprintln!(
                    "cloneabi: fuzz: re-running {} FAIL case(s) (shrunk where confirmed) on a second kernel",
                    cases.len()
                );
                match second_kernel(runner, arch, &cases, Duration::from_secs(args.timeout)) {
                    SecondKernel::Ran(run) => Ok(*run),
                    SecondKernel::Unavailable { wanted, why } => {
                        Err(SecondRun::Unavailable { wanted, why })
                    }
                }
            }
        };
        match outcome {
            Ok(run) => {
                let title = run.title();
                let outcomes = cloneabi_runners::fuzz::outcomes(&run);
                for (k, &i) in fails.iter().enumerate() {
                    seconds[i] = Some(match outcomes.get(k) {
                        Some(o) => SecondRun::Ran {
                            kernel: title.clone(),
                            outcome: o.clone(),
                        },
                        None => unavailable(&title, "its run returned no outcome for the case"),
                    });
                }
            }
            Err(why) => {
                if let SecondRun::Unavailable { wanted, why } = &why {
                    eprintln!("cloneabi: fuzz: no second run on {wanted}: {why}");
                }
                for &i in &fails {
                    seconds[i] = Some(why.clone());
                }
            }
        }
    }
    for (d, second) in found.iter_mut().zip(seconds) {
        let (_, outcome) = d.judged();
        let c = d
            .shrunk
            .as_ref()
            .and_then(|s| unreproduced(first, &d.outcome, &s.outcome))
            .unwrap_or_else(|| classify(first, outcome, outcome.log.as_deref(), second.as_ref()));
        d.fields = outcome.diverging_fields();
        d.classification = c.classification;
        d.classification_basis = c.basis;
        d.second_run = match second {
            Some(SecondRun::Ran { kernel, outcome }) => Some(campaign::SecondRun {
                kernel,
                verdict: outcome.verdict,
                observed: outcome.observed,
            }),
            _ => None,
        };
    }
}

/// The campaign as the report's finding.
fn to_campaign(r: &FuzzReport, arch: Arch, runner: RunnerKind, kernel: KernelInfo) -> Campaign {
    let divergences = r
        .divergences
        .iter()
        .map(|d| {
            let (_, o) = d.judged();
            campaign::Divergence {
                arch,
                runner,
                kernel: kernel.release.clone(),
                seed: r.seed,
                case_index: d
                    .case
                    .id
                    .rsplit('.')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_default(),
                case: d.case.id.clone(),
                count: d.count,
                signature: d.signature.clone(),
                verdict: o.verdict,
                expected: o.expected.clone(),
                observed: o.observed.clone(),
                fields: d.fields.clone(),
                non_default_fields: d.non_default_fields,
                shrunk_confirmed: d.shrunk.as_ref().map(|s| s.confirmed),
                catalog_entry: d.catalog_entry.clone(),
                c_reproducer: d.c_reproducer.clone(),
                no_c_reproducer: d.no_c_reproducer.clone(),
                console_excerpt: o.log.clone(),
                classification: d.classification,
                basis: d.classification_basis.clone(),
                second_run: d.second_run.clone(),
            }
        })
        .collect();
    Campaign {
        seed: r.seed,
        arch,
        runner,
        kernel,
        cases: r.cases,
        divergent_cases: r.divergent_cases,
        wall_time_ms: r.wall_ms,
        run_errors: r.run_errors.clone(),
        divergences,
    }
}

fn text(r: &FuzzReport) -> String {
    let mut s = format!(
        "cloneabi fuzz --seed {}{}: {} cases on {} {} ({}) in {:.1} s, {:.0} cases/s; {} divergent case(s), {} distinct\n",
        r.seed,
        if r.steered { "" } else { " --no-steering" },
        r.cases,
        r.arch,
        r.runner,
        r.kernel,
        r.wall_ms as f64 / 1000.0,
        r.cases_per_second,
        r.divergent_cases,
        r.divergences.len()
    );
    for e in &r.run_errors {
        s += &format!("run error (batch starting at {e})\n");
    }
    for (i, d) in r.divergences.iter().enumerate() {
        let (case, o) = match &d.shrunk {
            Some(sh) => (&sh.case, &sh.outcome),
            None => (&d.case, &d.outcome),
        };
        s += &format!(
            "\n## divergence {} of {}: {} ({} case(s), first {})\n",
            i + 1,
            r.divergences.len(),
            d.signature,
            d.count,
            d.case.id
        );
        if let Some(sh) = &d.shrunk {
            s += &format!(
                "shrunk to {} non-default field(s) in {} steps ({} candidates, {:.1} s); confirming run: {}\n",
                d.non_default_fields,
                sh.steps,
                sh.tried,
                sh.elapsed_ms as f64 / 1000.0,
                if sh.confirmed { "diverges the same way" } else { "did NOT reproduce" }
            );
        }
        s += &format!(
            "case:     {}\nexpected: {}\nobserved: {}\nreason:   {}\n",
            case.id, o.expected, o.observed, o.reason
        );
        s += &format!(
            "classification: {} ({})\n",
            d.classification, d.classification_basis
        );
        s += "catalog entry:\n";
        for line in d.catalog_entry.lines() {
            s += &format!("    {line}\n");
        }
        match (&d.c_reproducer, &d.no_c_reproducer) {
            (Some(c), _) => {
                s += "C reproducer:\n";
                for line in c.lines() {
                    s += &format!("    {line}\n");
                }
            }
            (None, Some(why)) => s += &format!("no C reproducer: {why}\n"),
            (None, None) => {}
        }
    }
    s += "\nrules that decided outcomes:\n";
    for (rule, n) in &r.rules {
        s += &format!("{n:>8}  {rule}\n");
    }
    if !r.rules_never_reached.is_empty() {
        s += "\nrules the catalog reaches here and this campaign never did:\n";
        for rule in &r.rules_never_reached {
            s += &format!("          {rule}\n");
        }
    }
    s
}
