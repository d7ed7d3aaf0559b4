//! Command-line surface. Exit status: 0 nothing failed, 1 something failed (or a
//! regression), 2 usage or environment errors.

mod abi;
mod bench;
mod kernels;
mod list;
mod output;
mod progress;
mod report_cmd;
mod run;

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
        /// One arch (x86_64, aarch64, s390x, powerpc64le, powerpc64, or an alias).
        #[arg(long)]
        arch: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Run the suite.
    Run(run::RunArgs),
    /// Render saved JSON reports (merged) as HTML or other formats.
    Report {
        /// JSON reports written by `cloneabi run --format json`.
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Write the HTML matrix here.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Also print these formats (ktap, junit, kcidb, json, summary) to stdout.
        #[arg(long, value_delimiter = ',')]
        format: Vec<String>,
    },
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
    },
    /// Provision and list the kernels the qemu-system runner boots.
    #[command(subcommand)]
    Kernels(kernels::KernelsCmd),
    /// Print a LAVA job that boots the cloneabi initramfs on a board or QEMU device.
    Lava {
        #[arg(long)]
        arch: String,
        #[arg(long)]
        kernel_url: String,
        #[arg(long)]
        initrd_url: String,
    },
}

pub fn dispatch(cli: Cli) -> CmdResult {
    match cli.command {
        Command::List { json } => list::run(json),
        Command::Abi { arch, json } => abi::run(arch.as_deref(), json),
        Command::Run(args) => run::run(args),
        Command::Report {
            reports,
            html,
            format,
        } => report_cmd::report(&reports, html.as_deref(), &format),
        Command::Diff {
            baseline,
            current,
            json,
        } => report_cmd::diff(&baseline, &current, json),
        Command::Kernels(cmd) => kernels::run(cmd),
        Command::Bench { rounds, boots } => bench::run(rounds, boots),
        Command::Lava {
            arch,
            kernel_url,
            initrd_url,
        } => report_cmd::lava(&arch, &kernel_url, &initrd_url),
    }
}

/// Parses an arch name, with the list of valid ones in the error.
pub fn parse_arch(name: &str) -> Result<cloneabi_arch::Arch, String> {
    name.parse()
        .map_err(|e: cloneabi_arch::UnknownArch| e.to_string())
}
