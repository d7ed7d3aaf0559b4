//! Command-line surface. Exit status: 0 nothing failed, 1 something failed (or a
//! regression), 2 usage or environment errors.

mod abi;
mod audit;
mod bench;
mod exec;
mod fuzz;
mod kernels;
mod list;
mod output;
mod progress;
mod report_cmd;
mod run;
mod shard;
mod values;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

pub type CmdResult = Result<i32, String>;

#[derive(Parser, Debug)]
#[command(
    name = "cloneabi",
    version,
    about = "Cross-architecture conformance suite for the Linux clone3() ABI"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the case ids.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show the per-arch ABI model.
    Abi {
        /// One arch (or one of its other names: Debian's, the kernel's, the triple).
        #[arg(long, value_parser = values::arch(), ignore_case = true)]
        arch: Option<cloneabi_arch::Arch>,
        #[arg(long)]
        json: bool,
    },
    /// Run the suite.
    Run(run::RunArgs),
    /// Render saved JSON reports (merged) as HTML or other formats; `report merge` combines
    /// the JSON reports of shards into one.
    Report(report_cmd::ReportArgs),
    /// Compare two JSON reports; exit 1 on a regression.
    Diff {
        baseline: PathBuf,
        current: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Time the native suite per case next to a bare clone3-and-wait loop over the same cases.
    Bench {
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// Instead, time qemu-system boots per default kernel: the suite's boot against an
        /// empty boot with the tuned and the plain flags, and the whole matrix in parallel.
        #[arg(long)]
        boots: bool,
        /// Instead, per default kernel: the cases as a batch of a guest session that is
        /// already up, next to the same cases inside a boot's own batch (the suite's boot less
        /// an empty boot).
        #[arg(long, conflicts_with = "boots")]
        session: bool,
        /// Instead of the catalog, time this many cases from `cloneabi fuzz`'s generator
        /// (with --seed).
        #[arg(long, conflicts_with = "boots")]
        generated: Option<u64>,
        /// The generator's seed for --generated.
        #[arg(long, default_value_t = 1, requires = "generated")]
        seed: u64,
    },
    /// Random programs predicted by the model, run, judged; divergences shrunk to catalog entries.
    Fuzz(fuzz::FuzzArgs),
    /// Provision and list the kernels the qemu-system runner boots.
    #[command(subcommand)]
    Kernels(kernels::KernelsCmd),
    /// Audit a crate's clone definitions per target against the kernel's ABI.
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Run a static program as a process in a real guest of an arch (a cargo target runner).
    Exec(exec::ExecArgs),
    /// Print a LAVA job that boots the cloneabi initramfs on a board or QEMU device.
    Lava {
        #[arg(long, value_parser = values::arch(), ignore_case = true)]
        arch: cloneabi_arch::Arch,
        #[arg(long)]
        kernel_url: String,
        #[arg(long)]
        initrd_url: String,
    },
    /// Print a shell completion script (e.g. `cloneabi completions bash > /etc/bash_completion.d/cloneabi`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

pub fn dispatch(cli: Cli) -> CmdResult {
    match cli.command {
        Command::List { json } => list::run(json),
        Command::Abi { arch, json } => abi::run(arch, json),
        Command::Run(args) => run::run(args),
        Command::Report(args) => report_cmd::report(args),
        Command::Diff {
            baseline,
            current,
            json,
        } => report_cmd::diff(&baseline, &current, json),
        Command::Kernels(cmd) => kernels::run(cmd),
        Command::Bench {
            rounds,
            boots,
            session,
            generated,
            seed,
        } => bench::run(rounds, boots, session, generated.map(|n| (n, seed))),
        Command::Exec(args) => exec::run(args),
        Command::Fuzz(args) => fuzz::run(args),
        Command::Audit(cmd) => audit::run(cmd),
        Command::Lava {
            arch,
            kernel_url,
            initrd_url,
        } => report_cmd::lava(arch, &kernel_url, &initrd_url),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "cloneabi",
                &mut std::io::stdout(),
            );
            Ok(EXIT_OK)
        }
    }
}
