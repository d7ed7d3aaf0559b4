//! The big-endian ppc64 kernel, built from Debian's `linux-source-6.1`.
//!
//! No Debian kernel package exists for big-endian ppc64 on the reachable mirrors, so
//! cloneabi builds one: `pseries_defconfig` plus `fixtures/kernels/ppc64-be.config`
//! applied with scripts/config, `olddefconfig`, `make vmlinux`. The result is cached under
//! `kernels/bookworm/powerpc64/<source-version>+cfg<sha12>/`, keyed by the source package
//! version and the sha256 of the fragment, so CI builds it once.

use super::{
    apt, identify, now_secs, sanitize, sha256_bytes, Cache, KernelError, KernelImage, KernelMeta,
    Origin, Release, META_SCHEMA,
};
use cloneabi_arch::Arch;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The config fragment (kconfig syntax, `CONFIG_X=y` / `# CONFIG_X is not set` only).
pub const PPC64_BE_CONFIG: &str = include_str!("../../../fixtures/kernels/ppc64-be.config");
const SOURCE_PACKAGE: &str = "linux-source-6.1";
const CROSS: &str = "powerpc64-linux-gnu-";

/// `(enable?, SYMBOL)` pairs of the fragment.
pub fn fragment_options(fragment: &str) -> Result<Vec<(bool, String)>, KernelError> {
    let mut out = Vec::new();
    for (n, line) in fragment.lines().enumerate() {
        let l = line.trim();
        if let Some(s) = l
            .strip_prefix("# CONFIG_")
            .and_then(|s| s.strip_suffix(" is not set"))
        {
            out.push((false, s.to_string()));
        } else if let Some(s) = l.strip_prefix("CONFIG_").and_then(|s| s.strip_suffix("=y")) {
            out.push((true, s.to_string()));
        } else if !(l.is_empty() || l.starts_with('#')) {
            return Err(KernelError::Other(format!(
                "ppc64-be.config line {}: only `CONFIG_X=y` and `# CONFIG_X is not set` are supported: {l}",
                n + 1
            )));
        }
    }
    Ok(out)
}

fn config_sha() -> String {
    sha256_bytes(PPC64_BE_CONFIG.as_bytes())
}

fn kernels_root(cache: &Cache) -> PathBuf {
    cache
        .kernels_dir()
        .join(Release::Bookworm.name())
        .join(Arch::Powerpc64.name())
}

/// The newest cached big-endian ppc64 kernel built from the current config fragment,
/// fully verified; no network access.
pub fn cached_ppc64_be(cache: &Cache) -> Option<KernelImage> {
    let sha = config_sha();
    let mut built: Vec<KernelImage> = fs::read_dir(kernels_root(cache))
        .ok()?
        .flatten()
        .filter_map(|e| KernelImage::load(&e.path(), false).ok())
        .filter(|k| matches!(&k.meta.origin, Origin::Built { config_sha256, .. } if *config_sha256 == sha))
        .collect();
    built.sort_by(|a, b| apt::compare_versions(&a.meta.package_version, &b.meta.package_version));
    built.into_iter().rev().find(|k| k.verify().is_ok())
}

/// Tools the build needs: `(what to look for, Debian package)`. Paths are headers.
pub const TOOLS: &[(&str, &str)] = &[
    ("powerpc64-linux-gnu-gcc", "gcc-powerpc64-linux-gnu"),
    ("gcc", "gcc"),
    ("make", "make"),
    ("flex", "flex"),
    ("bison", "bison"),
    ("bc", "bc"),
    ("perl", "perl"),
    ("xz", "xz-utils"),
    ("tar", "tar"),
    ("dpkg-deb", "dpkg"),
    ("/usr/include/gelf.h", "libelf-dev"),
    ("/usr/include/openssl/opensslv.h", "libssl-dev"),
];

/// Whether a program is on PATH (or, for a path, whether it exists).
pub fn in_path(tool: &str) -> bool {
    if tool.contains('/') {
        return Path::new(tool).exists();
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

/// Check the build prerequisites; the error names the apt-get command that installs
/// what is missing.
pub fn check_build_tools() -> Result<(), KernelError> {
    let missing: Vec<&(&str, &str)> = TOOLS.iter().filter(|(t, _)| !in_path(t)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut pkgs: Vec<&str> = missing.iter().map(|(_, p)| *p).collect();
    pkgs.dedup();
    Err(KernelError::MissingTools {
        tools: missing.iter().map(|(t, p)| format!("{t} ({p})")).collect(),
        install: format!("apt-get install {}", pkgs.join(" ")),
    })
}

/// Build (or find in the cache) the big-endian ppc64 pseries kernel from the newest
/// `linux-source-6.1` in bookworm. Takes about 8 minutes on 2 cores; progress goes to
/// stderr and `<cache>/build/ppc64-be/<key>/build.log`.
pub fn build_ppc64_be(cache: &Cache) -> Result<KernelImage, KernelError> {
    let options = fragment_options(PPC64_BE_CONFIG)?;
    let sha = config_sha();
    let _lock = cache.lock("build-ppc64-be")?;

    // Resolve the newest source package; offline, fall back to what is cached.
    let host_dpkg = Arch::host()
        .map(|a| a.abi().debian.dpkg_arch)
        .unwrap_or("amd64");
    let resolved = (|| {
        let _l = cache.lock(&format!("apt-{}-{host_dpkg}", Release::Bookworm.name()))?;
        let state = apt::AptState::new(cache, Release::Bookworm, host_dpkg)?;
        state.update_if_stale()?;
        let pkg = state.package(SOURCE_PACKAGE)?;
        Ok::<_, KernelError>((state, pkg))
    })();
    let (state, pkg) = match resolved {
        Ok(x) => x,
        Err(e) => {
            if let Some(k) = cached_ppc64_be(cache) {
                eprintln!(
                    "cloneabi: cannot resolve {SOURCE_PACKAGE} ({e}); using cached {}",
                    k.dir.display()
                );
                return Ok(k);
            }
            return Err(e);
        }
    };
    let key = format!("{}+cfg{}", sanitize(&pkg.version), &sha[..12]);
    let dest = kernels_root(cache).join(&key);
    if let Ok(k) = KernelImage::load(&dest, true) {
        return Ok(k);
    }
    check_build_tools()?;

    let t0 = Instant::now();
    let build_root = cache.build_dir().join("ppc64-be");
    let work = build_root.join(format!("{}-{}", sanitize(&pkg.version), &sha[..12]));
    let tree = work.join("linux-source-6.1");
    let log_path = build_root.join(format!("{key}.log"));
    fs::create_dir_all(&build_root).map_err(|e| KernelError::io(&build_root, e))?;
    let mut log = fs::File::create(&log_path).map_err(|e| KernelError::io(&log_path, e))?;

    // 1. Source tree: download, dpkg-deb -x, untar; staged, then renamed into place.
    if !tree.join("Makefile").exists() {
        let _ = fs::remove_dir_all(&work);
        let stage = cache.staging()?;
        eprintln!("cloneabi: downloading {SOURCE_PACKAGE} {}", pkg.version);
        let deb = state.download(&pkg, stage.path())?;
        let unpack = stage.path().join("deb");
        apt::dpkg_extract(&deb, &unpack)?;
        let tarball = unpack.join("usr/src/linux-source-6.1.tar.xz");
        let src = stage.path().join("src");
        fs::create_dir(&src).map_err(|e| KernelError::io(&src, e))?;
        let mut c = Command::new("tar");
        c.arg("-C").arg(&src).arg("-xf").arg(&tarball);
        run_step("untar linux-source-6.1", c, &mut log, &log_path)?;
        fs::rename(&src, &work).map_err(|e| KernelError::io(&work, e))?;
    }
    let t_src = t0.elapsed();

    // 2. Configuration.
    let make = |args: &[&str]| {
        let mut c = Command::new("make");
        c.current_dir(&tree)
            .arg("ARCH=powerpc")
            .arg(format!("CROSS_COMPILE={CROSS}"))
            .args(args);
        c
    };
    run_step(
        "make pseries_defconfig",
        make(&["pseries_defconfig"]),
        &mut log,
        &log_path,
    )?;
    let mut c = Command::new(tree.join("scripts/config"));
    c.current_dir(&tree);
    for (on, sym) in &options {
        c.arg(if *on { "--enable" } else { "--disable" }).arg(sym);
    }
    run_step("scripts/config", c, &mut log, &log_path)?;
    run_step(
        "make olddefconfig",
        make(&["olddefconfig"]),
        &mut log,
        &log_path,
    )?;
    let dotconfig =
        fs::read_to_string(tree.join(".config")).map_err(|e| KernelError::io(&tree, e))?;
    // Options the suite needs must be on; an option to switch off that another symbol
    // `select`s back on (INPUT, via VT) only costs build time, so it is a warning.
    let is_set = |sym: &str| {
        dotconfig
            .lines()
            .any(|l| l == format!("CONFIG_{sym}=y") || l == format!("CONFIG_{sym}=m"))
    };
    let missing: Vec<String> = options
        .iter()
        .filter(|(on, sym)| *on && !is_set(sym))
        .map(|(_, sym)| format!("CONFIG_{sym}"))
        .collect();
    let kept: Vec<String> = options
        .iter()
        .filter(|(on, sym)| !*on && is_set(sym))
        .map(|(_, sym)| format!("CONFIG_{sym}"))
        .collect();
    if !kept.is_empty() {
        let msg = format!(
            "cloneabi: note: Kconfig selects {} back on despite ppc64-be.config",
            kept.join(", ")
        );
        eprintln!("{msg}");
        let _ = writeln!(log, "{msg}");
    }
    if !missing.is_empty() {
        return Err(KernelError::Build {
            step: "olddefconfig kept the fragment".into(),
            log: log_path,
            tail: format!(
                "Kconfig dependencies switched off required options: {}",
                missing.join(", ")
            ),
        });
    }
    let t_cfg = t0.elapsed();

    // 3. Build.
    let jobs = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    eprintln!("cloneabi: building big-endian ppc64 vmlinux with -j{jobs} (about 8 min on 2 cores); log: {}", log_path.display());
    run_step(
        "make vmlinux",
        make(&[&format!("-j{jobs}"), "vmlinux"]),
        &mut log,
        &log_path,
    )?;
    let t_make = t0.elapsed();
    let krel = make(&["-s", "kernelrelease"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| pkg.version.clone());
    let vmlinux = tree.join("vmlinux");
    identify::check(&vmlinux, Arch::Powerpc64).map_err(|e| {
        KernelError::Corrupt(format!(
            "the build produced no big-endian ppc64 vmlinux: {e}"
        ))
    })?;
    let compiler = crate::qemu::version_line(&format!("{CROSS}gcc")).unwrap_or_default();

    // 4. Publish.
    let stage = cache.staging()?;
    let entry = stage.path().join("entry");
    fs::create_dir(&entry).map_err(|e| KernelError::io(&entry, e))?;
    let file = format!("vmlinux-{krel}");
    fs::copy(&vmlinux, entry.join(&file)).map_err(|e| KernelError::io(&vmlinux, e))?;
    let build_seconds = (t_make - t_src).as_secs_f64();
    let meta = KernelMeta {
        schema: META_SCHEMA,
        arch: Arch::Powerpc64.name().to_string(),
        release: Release::Bookworm,
        package: SOURCE_PACKAGE.to_string(),
        package_version: pkg.version.clone(),
        kernel_release: krel,
        size: fs::metadata(entry.join(&file))
            .map_err(|e| KernelError::io(&entry, e))?
            .len(),
        sha256: super::sha256_file(&entry.join(&file))?,
        file,
        origin: Origin::Built {
            source_package: SOURCE_PACKAGE.to_string(),
            source_version: pkg.version.clone(),
            config_sha256: sha,
            build_seconds,
            compiler,
        },
        created: now_secs(),
    };
    let k = cache.commit_entry(&entry, &meta, &dest)?;
    let _ = writeln!(
        log,
        "cloneabi: source {:.1}s, config {:.1}s, make vmlinux {:.1}s",
        t_src.as_secs_f64(),
        (t_cfg - t_src).as_secs_f64(),
        (t_make - t_cfg).as_secs_f64()
    );
    eprintln!(
        "cloneabi: built {} in {:.0}s (source {:.0}s, config {:.0}s, make {:.0}s)",
        k.path.display(),
        t_make.as_secs_f64(),
        t_src.as_secs_f64(),
        (t_cfg - t_src).as_secs_f64(),
        (t_make - t_cfg).as_secs_f64()
    );
    if std::env::var_os("CLONEABI_KEEP_BUILD").is_none() {
        let _ = fs::remove_dir_all(&work);
    }
    Ok(k)
}

fn run_step(
    step: &str,
    mut c: Command,
    log: &mut fs::File,
    log_path: &Path,
) -> Result<(), KernelError> {
    let _ = writeln!(log, "### {step}");
    let out = log.try_clone().map_err(|e| KernelError::io(log_path, e))?;
    let err = log.try_clone().map_err(|e| KernelError::io(log_path, e))?;
    let status = c
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(|e| KernelError::Build {
            step: step.into(),
            log: log_path.into(),
            tail: e.to_string(),
        })?;
    if status.success() {
        return Ok(());
    }
    let text = fs::read_to_string(log_path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(30)..].join("\n");
    Err(KernelError::Build {
        step: step.into(),
        log: log_path.into(),
        tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_parses_to_the_documented_options() {
        let o = fragment_options(PPC64_BE_CONFIG).unwrap();
        for on in [
            "CPU_BIG_ENDIAN",
            "TIME_NS",
            "CHECKPOINT_RESTORE",
            "USER_NS",
            "PID_NS",
            "CGROUPS",
            "BLK_DEV_INITRD",
            "HVC_CONSOLE",
            "DEBUG_INFO_NONE",
        ] {
            assert!(o.contains(&(true, on.to_string())), "{on}");
        }
        for off in [
            "MODULES",
            "DEBUG_INFO",
            "DRM",
            "SOUND",
            "USB_SUPPORT",
            "NET",
            "SCSI",
            "ATA",
            "MD",
            "INPUT",
            "FB",
            "KVM",
            "VIRTUALIZATION",
            "NETWORK_FILESYSTEMS",
            "BTRFS_FS",
            "XFS_FS",
            "EXT4_FS",
        ] {
            assert!(o.contains(&(false, off.to_string())), "{off}");
        }
        assert!(fragment_options("CONFIG_X=m\n").is_err());
    }

    #[test]
    fn missing_tools_name_the_install_command() {
        let e = KernelError::MissingTools {
            tools: vec!["flex (flex)".into()],
            install: "apt-get install flex".into(),
        };
        assert!(e.to_string().contains("apt-get install flex"));
        assert!(in_path("sh"));
        assert!(!in_path("cloneabi-no-such-tool"));
    }
}
