//! `cloneabi kernels fetch|list|build`.

use super::values;
use super::{CmdResult, EXIT_OK, EXIT_USAGE};
use clap::Subcommand;
use cloneabi_arch::Arch;
use cloneabi_runners::kernels::{self, Cache, Release};

#[derive(Subcommand, Debug)]
pub enum KernelsCmd {
    /// Download Debian kernel images into the cache (default: every kernel the main job
    /// boots).
    Fetch {
        /// A Debian release; repeatable.
        #[arg(long, value_parser = values::release())]
        release: Vec<Release>,
        /// An arch (or one of its other names); repeatable.
        #[arg(long, value_parser = values::arch(), ignore_case = true)]
        arch: Vec<Arch>,
    },
    /// Show the cached kernels.
    List,
    /// Build a kernel no Debian package provides (big-endian ppc64).
    Build {
        #[arg(long, value_parser = values::arch(), ignore_case = true)]
        arch: Arch,
    },
}

pub fn run(cmd: KernelsCmd) -> CmdResult {
    let cache = Cache::from_env().map_err(|e| e.to_string())?;
    match cmd {
        KernelsCmd::Fetch { release, arch } => {
            let releases = release;
            let arches: Vec<Arch> = arch.into_iter().map(Arch::kernel_abi).collect();
            // Unnamed releases: each arch's default ones; unnamed arches: every kernel arch
            // whose Debian kernels include the release.
            let pairs: Vec<(Release, Arch)> = Arch::kernels()
                .filter(|a| arches.is_empty() || arches.contains(a))
                .filter_map(|a| a.kernel_arch().sources.debian.map(|d| (a, d)))
                .flat_map(|(a, d)| {
                    let wanted: Vec<Release> = if releases.is_empty() {
                        d.default.to_vec()
                    } else {
                        releases
                            .iter()
                            .copied()
                            .filter(|r| !arches.is_empty() || d.releases.contains(r))
                            .collect()
                    };
                    wanted.into_iter().map(move |r| (r, a))
                })
                .collect();
            let mut failed = false;
            for (r, a) in &pairs {
                {
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
            let arch = arch.kernel_abi();
            if arch.kernel_arch().sources.build.is_none() {
                return Err(format!("cloneabi builds no {arch} kernel; fetch one with `cloneabi kernels fetch --arch {arch}`"));
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
