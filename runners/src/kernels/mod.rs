//! Kernel provisioning for the qemu-system runner.
//!
//! Debian kernel packages are resolved and downloaded with `apt-get` running on a private,
//! per-(release, arch) apt state inside the cache (see [`apt`]); the host's apt configuration
//! and state are never read or written. Only the image is kept, and the few modules the
//! record channel needs where the kernel builds them as modules ([`modules`]).
//! Kernels are also built from source ([`build()`]: a Debian `linux-source-<series>` or a
//! developer's tree); big-endian ppc64 has no reachable Debian kernel, so the main job boots
//! one built from Debian's `linux-source-6.1` ([`build_default`]).
//!
//! Cache layout (root from [`Cache::from_env`]):
//! ```text
//! <cache>/kernels/<release>/<arch>/<package-version>/vmlinuz-<krel>   the image
//! <cache>/kernels/<release>/<arch>/<package-version>/kernel.json      metadata, written last
//! <cache>/kernels/<release>/<arch>/<package-version>/modules/*.ko     the record channel's
//! <cache>/apt/<release>/<dpkg-arch>/                                  private apt state
//! <cache>/kernels/tree/<arch>/<path-sha12>/<describe>+cfg<sha12>/      built from a developer's tree
//! <cache>/build/src/<source-version>/linux-source-<series>/           unpacked Debian sources
//! <cache>/build/out/<arch>/<key>/                                     `make O=` build dirs
//! <cache>/locks/*.lock                                                 flock()s
//! <cache>/tmp/                                                         staging, renamed into place
//! ```
//! A kernel directory is trusted only when `kernel.json` parses and the image's sha256
//! matches it; anything else is treated as absent and replaced.

pub mod apt;
mod build;
mod cache;
pub mod identify;
pub mod modules;

pub use build::{
    build, build_default, cached_default, config_plan, fixture, in_path, required_tools,
    ConfigSpec, SourceSpec, FRAGMENTS, MINIMAL_CONFIG,
};
pub use cache::{Cache, CacheLock};

use cloneabi_arch::Arch;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

pub use cloneabi_arch::Release;

/// Where a cached kernel came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Origin {
    /// A Debian binary package, downloaded from `suite` (e.g. `bookworm-security`).
    Debian {
        suite: String,
        /// The release the caller asked for, when the package came from a fallback.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requested: Option<Release>,
    },
    /// Built by cloneabi from a Debian source package.
    Built {
        source_package: String,
        source_version: String,
        config_sha256: String,
        build_seconds: f64,
        compiler: String,
    },
    /// Built by cloneabi from a source tree on disk.
    Tree {
        path: String,
        /// `git describe --always --dirty`, or the Makefile's version.
        describe: String,
        /// The config base and fragments (`tinyconfig + minimal.config + ...`).
        config: String,
        config_sha256: String,
        build_seconds: f64,
        compiler: String,
    },
}

/// The metadata file of a cached kernel (`kernel.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KernelMeta {
    pub schema: u32,
    pub arch: String,
    /// The release the package came from; none for a kernel built from a tree on disk.
    pub release: Option<Release>,
    /// Binary package name, e.g. `linux-image-6.1.0-56-arm64` (a built kernel: its source
    /// package, or the tree's path).
    pub package: String,
    pub package_version: String,
    /// `uname -r` of the kernel, e.g. `6.1.0-56-arm64`.
    pub kernel_release: String,
    /// File name of the image inside the directory.
    pub file: String,
    pub size: u64,
    pub sha256: String,
    pub origin: Origin,
    /// Seconds since the epoch at which the entry was written.
    pub created: u64,
}

const META_SCHEMA: u32 = 1;
const META_FILE: &str = "kernel.json";

/// A verified kernel image in the cache.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelImage {
    pub arch: Arch,
    pub release: Option<Release>,
    /// The image (bzImage, gzip'd arm64 Image, s390x image or ELF vmlinux).
    pub path: PathBuf,
    pub dir: PathBuf,
    pub meta: KernelMeta,
}

impl KernelImage {
    pub fn package_version(&self) -> &str {
        &self.meta.package_version
    }
    pub fn kernel_release(&self) -> &str {
        &self.meta.kernel_release
    }
    /// `major.minor` of the kernel release, e.g. `6.12`.
    pub fn series(&self) -> String {
        series_of(&self.meta.kernel_release)
    }

    /// Load `dir/kernel.json` and check the image against it. `full` also recomputes the
    /// sha256 (a size check otherwise).
    pub fn load(dir: &Path, full: bool) -> Result<KernelImage, KernelError> {
        let meta_path = dir.join(META_FILE);
        let text = fs::read_to_string(&meta_path).map_err(|e| KernelError::io(&meta_path, e))?;
        let meta: KernelMeta = serde_json::from_str(&text).map_err(|e| {
            KernelError::Corrupt(format!("{}: unreadable metadata: {e}", meta_path.display()))
        })?;
        if meta.schema != META_SCHEMA {
            return Err(KernelError::Corrupt(format!(
                "{}: metadata schema {} (expected {META_SCHEMA})",
                meta_path.display(),
                meta.schema
            )));
        }
        let arch: Arch = meta
            .arch
            .parse()
            .map_err(|e| KernelError::Corrupt(format!("{}: {e}", meta_path.display())))?;
        if meta.file.contains('/') || meta.file.is_empty() {
            return Err(KernelError::Corrupt(format!(
                "{}: bad file name",
                meta_path.display()
            )));
        }
        let path = dir.join(&meta.file);
        let size = fs::metadata(&path)
            .map_err(|e| KernelError::io(&path, e))?
            .len();
        if size != meta.size {
            return Err(KernelError::Corrupt(format!(
                "{}: {} bytes, metadata says {}",
                path.display(),
                size,
                meta.size
            )));
        }
        if full {
            let sum = sha256_file(&path)?;
            if sum != meta.sha256 {
                return Err(KernelError::Corrupt(format!(
                    "{}: sha256 {sum} does not match metadata {}",
                    path.display(),
                    meta.sha256
                )));
            }
        }
        Ok(KernelImage {
            arch,
            release: meta.release,
            path,
            dir: dir.to_path_buf(),
            meta,
        })
    }

    /// The cache entry whose image `path` is (a path `kernels build` printed), if it
    /// verifies; `None` for an image from elsewhere.
    pub fn of_image(path: &Path) -> Option<KernelImage> {
        let k = KernelImage::load(path.parent()?, true).ok()?;
        (fs::canonicalize(&k.path).ok()? == fs::canonicalize(path).ok()?).then_some(k)
    }

    /// The kernel modules the record channel needs, in load order (empty when it needs
    /// none); `None` for an entry cached before the channel existed.
    pub fn channel_modules(&self) -> Option<Vec<PathBuf>> {
        match self.meta.origin {
            Origin::Debian { .. } => modules::of_entry(&self.dir),
            // A kernel built here has no modules: what its config leaves out stays out.
            Origin::Built { .. } | Origin::Tree { .. } => Some(Vec::new()),
        }
    }

    /// Recompute the sha256 and compare with the metadata.
    pub fn verify(&self) -> Result<(), KernelError> {
        KernelImage::load(&self.dir, true).map(|_| ())
    }
}

/// Errors of kernel provisioning.
#[derive(Debug)]
pub enum KernelError {
    /// The cache directory cannot be created or written.
    CacheUnwritable {
        path: PathBuf,
        error: io::Error,
    },
    Io {
        path: PathBuf,
        error: io::Error,
    },
    /// A required host tool is missing; `install` is the command that fixes it.
    MissingTools {
        tools: Vec<String>,
        install: String,
    },
    /// apt-get / apt-cache failed.
    Apt {
        command: String,
        stderr: String,
    },
    /// The package could not be downloaded (404, hash mismatch...).
    Download {
        package: String,
        version: String,
        suite: String,
        detail: String,
    },
    /// Nothing in the index provides a kernel for this arch.
    NotFound(String),
    /// A cached or downloaded file failed a check.
    Corrupt(String),
    /// The kernel build failed; `log` is the path of the full build log.
    Build {
        step: String,
        log: PathBuf,
        tail: String,
    },
    /// Every candidate suite failed; each attempt is listed.
    AllFailed {
        wanted: String,
        attempts: Vec<String>,
    },
    Other(String),
}

impl KernelError {
    pub(crate) fn io(path: &Path, error: io::Error) -> Self {
        KernelError::Io {
            path: path.to_path_buf(),
            error,
        }
    }
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::CacheUnwritable { path, error } => write!(
                f,
                "kernel cache {} is not writable ({error}); set CLONEABI_CACHE to a writable directory",
                path.display()
            ),
            KernelError::Io { path, error } if error.raw_os_error() == Some(libc::ENOSPC) => write!(
                f,
                "{}: {error}: free space there or set CLONEABI_CACHE to a directory with room for the kernels",
                path.display()
            ),
            KernelError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            KernelError::MissingTools { tools, install } => write!(
                f,
                "missing build tools: {}; install them with `{install}`",
                tools.join(", ")
            ),
            KernelError::Apt { command, stderr } => {
                write!(f, "`{command}` failed: {}", stderr.trim())
            }
            KernelError::Download { package, version, suite, detail } => write!(
                f,
                "download of {package} {version} from {suite} failed: {}{}",
                detail.trim(),
                if detail.contains("No space left on device") {
                    "; free space in the kernel cache or set CLONEABI_CACHE to a directory with room for the kernels"
                } else {
                    ""
                }
            ),
            KernelError::NotFound(s) => write!(f, "{s}"),
            KernelError::Corrupt(s) => write!(f, "corrupt cache entry: {s}"),
            KernelError::Build { step, log, tail } => write!(
                f,
                "kernel build step `{step}` failed (full log: {}):\n{tail}",
                log.display()
            ),
            KernelError::AllFailed { wanted, attempts } => {
                write!(f, "could not provision {wanted}:")?;
                for a in attempts {
                    write!(f, "\n  - {a}")?;
                }
                Ok(())
            }
            KernelError::Other(s) => write!(f, "{s}"),
        }
    }
}

impl std::error::Error for KernelError {}

/// `6.12.57+deb13-amd64` → `6.12`; `6.1.0-56-arm64` → `6.1`.
pub fn series_of(kernel_release: &str) -> String {
    let mut parts = kernel_release.split(|c: char| !c.is_ascii_digit());
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) if !a.is_empty() && !b.is_empty() => format!("{a}.{b}"),
        _ => kernel_release.to_string(),
    }
}

pub(crate) fn sha256_file(path: &Path) -> Result<String, KernelError> {
    let mut f = fs::File::open(path).map_err(|e| KernelError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| KernelError::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

pub(crate) fn sha256_bytes(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Every kernel in the cache that passes the cheap (size) check, sorted by arch, release
/// (tree builds first) and package version (newest last). Corrupt entries are skipped.
pub fn list(cache: &Cache) -> Vec<KernelImage> {
    let mut out = Vec::new();
    let root = cache.kernels_dir();
    for release in Release::ALL {
        for arch in Arch::kernels() {
            let d = root.join(release.name()).join(arch.name());
            let Ok(rd) = fs::read_dir(&d) else { continue };
            for e in rd.flatten() {
                if let Ok(k) = KernelImage::load(&e.path(), false) {
                    if k.arch == arch && k.release == Some(release) {
                        out.push(k);
                    }
                }
            }
        }
    }
    for arch in Arch::kernels() {
        let d = root.join("tree").join(arch.name());
        let Ok(trees) = fs::read_dir(&d) else {
            continue;
        };
        for t in trees.flatten() {
            let Ok(rd) = fs::read_dir(t.path()) else {
                continue;
            };
            for e in rd.flatten() {
                if let Ok(k) = KernelImage::load(&e.path(), false) {
                    if k.arch == arch && k.release.is_none() {
                        out.push(k);
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (a.arch, a.release)
            .cmp(&(b.arch, b.release))
            .then_with(|| apt::compare_versions(&a.meta.package_version, &b.meta.package_version))
    });
    out
}

/// The newest cached kernel for `(release, arch)`, fully verified (sha256), without any
/// network access. A kernel fetched for `release` through a fallback suite is found too.
pub fn cached(release: Release, arch: Arch, cache: &Cache) -> Option<KernelImage> {
    // A compat ABI boots its 64-bit kernel.
    let arch = arch.kernel_abi();
    let mut all: Vec<KernelImage> = list(cache)
        .into_iter()
        .filter(|k| k.arch == arch)
        // Only Debian's own kernels: a kernel built from a release's linux-source is not
        // that release's kernel.
        .filter(|k| match &k.meta.origin {
            Origin::Debian { requested, .. } => {
                k.release == Some(release) || *requested == Some(release)
            }
            Origin::Built { .. } | Origin::Tree { .. } => false,
        })
        .collect();
    // Prefer entries of the release itself over fallbacks, then the newest.
    all.sort_by(|a, b| {
        (a.release == Some(release))
            .cmp(&(b.release == Some(release)))
            .then_with(|| apt::compare_versions(&a.meta.package_version, &b.meta.package_version))
    });
    while let Some(k) = all.pop() {
        if k.verify().is_ok() {
            return Some(k);
        }
    }
    None
}

/// Resolve the newest kernel package of `release` for `arch`, download it unless the same
/// package version is cached already, and return the verified cached image.
///
/// On a download failure (404, hash mismatch) the release's fallbacks carrying the same
/// kernel series are tried; the returned image then records the suite it came from.
pub fn fetch(release: Release, arch: Arch, cache: &Cache) -> Result<KernelImage, KernelError> {
    let Some(debian) = arch.kernel_arch().sources.debian else {
        return Err(KernelError::NotFound(format!(
            "Debian has no kernel package for {arch}: build one with `cloneabi kernels build --arch {arch} --source 6.1`"
        )));
    };
    let arch = arch.kernel_abi();
    if !debian.releases.contains(&release) {
        return Err(KernelError::NotFound(format!(
            "Debian {release} has no {} kernel: use one of {}",
            arch,
            debian
                .releases
                .iter()
                .map(|r| r.name())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let flavour = debian.flavour;
    let mut attempts = Vec::new();
    let mut series: Option<String> = None;
    for (i, rel) in std::iter::once(release)
        .chain(release.fallbacks().iter().copied())
        .enumerate()
    {
        let requested = (i > 0).then_some(release);
        match fetch_one(rel, arch, flavour, cache, requested, series.as_deref()) {
            Ok(k) => {
                if i > 0 {
                    eprintln!(
                        "cloneabi: {release} {arch} kernel unavailable; using {} {} from {rel} (same {} series)",
                        k.meta.package,
                        k.meta.package_version,
                        k.series()
                    );
                }
                return Ok(k);
            }
            Err((e, resolved_series)) => {
                attempts.push(format!("{rel}: {e}"));
                if series.is_none() {
                    series = resolved_series;
                }
                // Only a failed download of a resolved package justifies a fallback; with
                // no series known, a fallback could silently change the kernel version.
                if series.is_none() {
                    break;
                }
            }
        }
    }
    Err(KernelError::AllFailed {
        wanted: format!("{release} kernel for {arch}"),
        attempts,
    })
}

/// One attempt at one release. On error, also returns the kernel series that was
/// resolved (if any) so the caller can pick a fallback with the same series.
fn fetch_one(
    rel: Release,
    arch: Arch,
    flavour: &str,
    cache: &Cache,
    requested: Option<Release>,
    want_series: Option<&str>,
) -> Result<KernelImage, (KernelError, Option<String>)> {
    let dpkg = arch
        .kernel_arch()
        .sources
        .debian
        .map_or(arch.abi().debian.dpkg_arch, |d| d.dpkg_arch);
    let _lock = cache
        .lock(&format!("apt-{}-{dpkg}", rel.name()))
        .map_err(|e| (e, None))?;
    let state = apt::AptState::new(cache, rel, dpkg).map_err(|e| (e, None))?;
    state.update_if_stale().map_err(|e| (e, None))?;
    let pkg = state.resolve_kernel(flavour).map_err(|e| (e, None))?;
    let krel = pkg
        .name
        .trim_start_matches("linux-image-")
        .trim_start_matches("linux-binary-")
        .to_string();
    let s = series_of(&krel);
    if let Some(w) = want_series {
        if w != s {
            return Err((
                KernelError::NotFound(format!(
                    "{rel} carries {} {} (series {s}), not series {w}",
                    pkg.name, pkg.version
                )),
                None,
            ));
        }
    }
    let dir = cache
        .kernels_dir()
        .join(rel.name())
        .join(arch.name())
        .join(sanitize(&pkg.version));
    let wanted = arch.kernel_arch().qemu.record_channel.modules;
    if let Ok(k) = KernelImage::load(&dir, true) {
        if k.channel_modules().is_some() {
            return Ok(k);
        }
        // Cached before the record channel: take its modules from the same package.
        let res = (|| {
            let staging = cache.staging()?;
            let deb = state.download(&pkg, staging.path())?;
            let unpack = staging.path().join("unpack");
            apt::dpkg_extract(&deb, &unpack)?;
            let entry = staging.path().join("entry");
            modules::collect(&unpack, k.kernel_release(), wanted, &entry)?;
            let from = entry.join(modules::DIR);
            let to = dir.join(modules::DIR);
            fs::rename(&from, &to).map_err(|e| KernelError::io(&to, e))?;
            Ok(k)
        })();
        return res.map_err(|e| (e, Some(s)));
    }
    let res = (|| {
        let staging = cache.staging()?;
        let deb = state.download(&pkg, staging.path())?;
        let unpack = staging.path().join("unpack");
        apt::dpkg_extract(&deb, &unpack)?;
        let (image, kernel_release) = find_image(&unpack).ok_or_else(|| {
            KernelError::NotFound(format!(
                "{} {} has neither boot/vmlinu[xz]-<release> nor usr/lib/modules/<release>/vmlinu[xz]",
                pkg.name, pkg.version
            ))
        })?;
        // Cached as `<vmlinuz|vmlinux>-<release>` in both packagings, as /boot names it.
        let file = {
            let name = image.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(&kernel_release) {
                name
            } else {
                format!("{name}-{kernel_release}")
            }
        };
        let found = identify::identify(&image)
            .map_err(|e| KernelError::Corrupt(format!("{} {}: {e}", pkg.name, pkg.version)))?;
        if found.arch != arch {
            return Err(KernelError::Corrupt(format!(
                "{} {} holds a {} kernel, expected {arch}",
                pkg.name, pkg.version, found.arch
            )));
        }
        let entry = staging.path().join("entry");
        fs::create_dir(&entry).map_err(|e| KernelError::io(&entry, e))?;
        fs::rename(&image, entry.join(&file)).map_err(|e| KernelError::io(&image, e))?;
        modules::collect(&unpack, &kernel_release, wanted, &entry)?;
        let sha256 = sha256_file(&entry.join(&file))?;
        let size = fs::metadata(entry.join(&file))
            .map_err(|e| KernelError::io(&entry, e))?
            .len();
        let meta = KernelMeta {
            schema: META_SCHEMA,
            arch: arch.name().to_string(),
            release: Some(rel),
            package: pkg.name.clone(),
            package_version: pkg.version.clone(),
            kernel_release,
            file,
            size,
            sha256,
            origin: Origin::Debian {
                suite: pkg.suite.clone(),
                requested,
            },
            created: now_secs(),
        };
        cache.commit_entry(&entry, &meta, &dir)
    })();
    res.map_err(|e| (e, Some(s)))
}

/// The image in an unpacked kernel package and its `uname -r`: `boot/vmlinuz-<release>`
/// up to Debian's 6.x packaging, `usr/lib/modules/<release>/vmlinuz` in the
/// `linux-binary-<release>` packages of 7.x.
fn find_image(unpack: &Path) -> Option<(PathBuf, String)> {
    let is_image = |n: &str| n == "vmlinuz" || n == "vmlinux";
    if let Ok(rd) = fs::read_dir(unpack.join("boot")) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some((kind, release)) = name.split_once('-') {
                if is_image(kind) && !release.is_empty() {
                    return Some((e.path(), release.to_string()));
                }
            }
        }
    }
    for e in fs::read_dir(unpack.join("usr/lib/modules")).ok()?.flatten() {
        let release = e.file_name().to_string_lossy().into_owned();
        for name in ["vmlinuz", "vmlinux"] {
            let p = e.path().join(name);
            if p.is_file() {
                return Some((p, release));
            }
        }
    }
    None
}

/// Package versions may contain ':' (epochs) and '~'; keep directory names plain.
pub(crate) fn sanitize(v: &str) -> String {
    v.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+.-_~".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_from_debian_kernel_releases() {
        assert_eq!(series_of("6.1.0-56-arm64"), "6.1");
        assert_eq!(series_of("6.12.57+deb13-amd64"), "6.12");
        assert_eq!(series_of("6.12.43+deb12-powerpc64le"), "6.12");
    }

    #[test]
    fn images_are_found_in_both_packagings() {
        let t = tempfile::Builder::new()
            .prefix("cloneabi-find-image-")
            .tempdir()
            .unwrap();
        let old = t.path().join("old");
        fs::create_dir_all(old.join("boot")).unwrap();
        fs::write(old.join("boot/config-6.1.0-56-arm64"), "").unwrap();
        fs::write(old.join("boot/vmlinuz-6.1.0-56-arm64"), "k").unwrap();
        let (p, r) = find_image(&old).unwrap();
        assert_eq!(r, "6.1.0-56-arm64");
        assert!(p.ends_with("boot/vmlinuz-6.1.0-56-arm64"));
        let new = t.path().join("new");
        let m = new.join("usr/lib/modules/7.2.13+deb14-riscv64");
        fs::create_dir_all(&m).unwrap();
        fs::write(m.join("vmlinuz"), "k").unwrap();
        let (p, r) = find_image(&new).unwrap();
        assert_eq!(r, "7.2.13+deb14-riscv64");
        assert!(p.ends_with("vmlinuz"));
        assert!(find_image(t.path()).is_none());
    }

    #[test]
    fn sanitize_keeps_debian_versions_readable() {
        assert_eq!(sanitize("6.1.192-2"), "6.1.192-2");
        assert_eq!(sanitize("1:2.3~bpo12+1"), "1_2.3~bpo12+1");
    }
}
