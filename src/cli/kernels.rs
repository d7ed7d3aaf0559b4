//! `cloneabi kernels fetch|list|build`.

use super::values;
use super::{CmdResult, EXIT_OK, EXIT_USAGE};
use clap::Subcommand;
use cloneabi_arch::Arch;
use cloneabi_runners::kernels::{self, Cache, Release};

#[derive(Subcommand, Debug)]
pub enum KernelsCmd {
    /// Download Debian kernel images into the cache (with no --release or --arch: every
    /// kernel the main job boots, building those it builds).
    Fetch {
        /// A Debian release; repeatable.
        #[arg(long, value_parser = values::release())]
        release: Vec<Release>,
        /// An arch (or one of its other names); repeatable.
        #[arg(long, value_parser = values::arch(), ignore_case = true)]
        arch: Vec<Arch>,
    },
    /// Show the cached kernels: arch, Debian release (`built:...` for a kernel cloneabi
    /// built), `uname -r`, package or source version, image.
    List,
    /// Build an arch's kernel from a source tree (out of tree, cached) and print the image's
    /// path. Exit 125 when the tree does not build (`git bisect run` skips the commit).
    Build {
        #[arg(long, value_parser = values::arch(), ignore_case = true)]
        arch: Arch,
        /// A kernel source tree, or a Debian linux-source series (6.1, 6.12, 7.2, 7.3)
        /// fetched and unpacked once into the cache.
        #[arg(long, value_name = "DIR|SERIES")]
        source: String,
        /// `minimal` (tinyconfig + fixtures/kernels/minimal.config + the arch's lines), or a
        /// kconfig fragment merged on the arch's defconfig: a file, or the name of one in
        /// fixtures/kernels (ppc64-be.config).
        #[arg(long, value_name = "minimal|FILE", default_value = "minimal")]
        config: String,
    },
}

/// `kernels build`'s status when the tree does not build: what `git bisect run` reads as
/// "skip this commit".
pub const EXIT_BUILD_FAILED: i32 = 125;

/// One line of `kernels fetch`'s report: where the kernel came from, its arch, its release,
/// its package version and its image.
fn print_fetched(origin: &str, arch: Arch, k: &kernels::KernelImage) {
    println!(
        "{origin} {arch}: {} ({}) {}",
        k.meta.kernel_release,
        k.meta.package_version,
        k.path.display()
    );
}

pub fn run(cmd: KernelsCmd) -> CmdResult {
    let cache = Cache::from_env().map_err(|e| e.to_string())?;
    match cmd {
        KernelsCmd::Fetch { release, arch } if release.is_empty() && arch.is_empty() => {
            // Nothing named: what the main job boots, built kernels included, provisioned
            // the way `cloneabi run` provisions them.
            let log = |m: &str| eprintln!("cloneabi: {m}");
            let (guests, missing) = cloneabi_runners::matrix::default_guests(&cache, true, &log);
            for g in &guests {
                print_fetched(
                    g.kernel.release.map_or("built", |r| r.name()),
                    g.arch,
                    &g.kernel,
                );
            }
            for m in &missing {
                eprintln!("cloneabi: {m}");
            }
            Ok(if missing.is_empty() {
                EXIT_OK
            } else {
                EXIT_USAGE
            })
        }
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
                match kernels::fetch(*r, *a, &cache) {
                    Ok(k) => print_fetched(r.name(), *a, &k),
                    Err(e) => {
                        eprintln!("cloneabi: {} {a}: {e}", r.name());
                        failed = true;
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
                    // Built kernels are not their source's release's kernel.
                    match (&k.meta.origin, k.release) {
                        (kernels::Origin::Debian { .. }, Some(r)) => r.name().to_string(),
                        (kernels::Origin::Built { source_package, .. }, _) =>
                            format!("built:{source_package}"),
                        _ => "built:tree".to_string(),
                    },
                    k.meta.kernel_release,
                    k.meta.package_version,
                    k.path.display()
                );
            }
            Ok(EXIT_OK)
        }
        KernelsCmd::Build {
            arch,
            source,
            config,
        } => {
            let kernel = arch.kernel_abi();
            if kernel != arch {
                eprintln!("cloneabi: {arch} runs on the {kernel} kernel: building that");
            }
            let source = kernels::SourceSpec::parse(&source);
            let config = kernels::ConfigSpec::parse(&config);
            match kernels::build(&cache, kernel, &source, &config) {
                Ok(k) => {
                    println!("{}", k.path.display());
                    Ok(EXIT_OK)
                }
                Err(e @ kernels::KernelError::Build { .. }) => {
                    eprintln!("cloneabi: {e}");
                    Ok(EXIT_BUILD_FAILED)
                }
                Err(e) => Err(e.to_string()),
            }
        }
    }
}
