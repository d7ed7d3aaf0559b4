//! `cloneabi kernels fetch|list|build`.

use super::{parse_arch, CmdResult, EXIT_OK, EXIT_USAGE};
use clap::Subcommand;
use cloneabi_arch::Arch;
use cloneabi_runners::kernels::{self, Cache, Release};
use cloneabi_runners::matrix::DEBIAN_ARCHES;

#[derive(Subcommand, Debug)]
pub enum KernelsCmd {
    /// Download Debian kernel images into the cache (default: bookworm and
    /// bookworm-backports for amd64, arm64, s390x and ppc64el).
    Fetch {
        /// bookworm, bookworm-backports or trixie; repeatable.
        #[arg(long)]
        release: Vec<String>,
        /// Arch (any alias); repeatable.
        #[arg(long)]
        arch: Vec<String>,
    },
    /// Show the cached kernels.
    List,
    /// Build a kernel no Debian package provides (big-endian ppc64).
    Build {
        #[arg(long)]
        arch: String,
    },
}

pub fn run(cmd: KernelsCmd) -> CmdResult {
    let cache = Cache::from_env().map_err(|e| e.to_string())?;
    match cmd {
        KernelsCmd::Fetch { release, arch } => {
            let releases: Vec<Release> = if release.is_empty() {
                Release::DEFAULT.to_vec()
            } else {
                release
                    .iter()
                    .map(|r| r.parse().map_err(|e| format!("{e}")))
                    .collect::<Result<_, String>>()?
            };
            let arches: Vec<Arch> = if arch.is_empty() {
                DEBIAN_ARCHES.to_vec()
            } else {
                arch.iter()
                    .map(|a| parse_arch(a))
                    .collect::<Result<_, _>>()?
            };
            let mut failed = false;
            for r in &releases {
                for a in &arches {
                    match kernels::fetch(*r, *a, &cache) {
                        Ok(k) => println!(
                            "{} {a}: {} ({}) {}",
                            r.name(),
                            k.meta.kernel_release,
                            k.meta.package_version,
                            k.path.display()
                        ),
                        Err(e) => {
                            eprintln!("cloneabi: {} {a}: {e}", r.name());
                            failed = true;
                        }
                    }
                }
            }
            Ok(if failed { EXIT_USAGE } else { EXIT_OK })
        }
        KernelsCmd::List => {
            for k in kernels::list(&cache) {
                println!(
                    "{:<12} {:<19} {:<28} {:<24} {}",
                    k.arch.name(),
                    k.release.name(),
                    k.meta.kernel_release,
                    k.meta.package_version,
                    k.path.display()
                );
            }
            Ok(EXIT_OK)
        }
        KernelsCmd::Build { arch } => {
            if parse_arch(&arch)? != Arch::Powerpc64 {
                return Err(format!("only powerpc64 (big-endian) kernels are built; fetch {arch} with `cloneabi kernels fetch --arch {arch}`"));
            }
            let k = kernels::build_ppc64_be(&cache).map_err(|e| e.to_string())?;
            println!(
                "{} ({}) {}",
                k.meta.kernel_release,
                k.meta.package_version,
                k.path.display()
            );
            Ok(EXIT_OK)
        }
    }
}
