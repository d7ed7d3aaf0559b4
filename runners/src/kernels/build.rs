//! Kernels built from source: `cloneabi kernels build --arch A --source DIR|<series>
//! [--config minimal|FILE]`, and the big-endian ppc64 kernel the main job boots.
//!
//! Everything that differs between arches (make ARCH=, cross compiler, make target, image
//! path, the configs' bases and fragments) is the ABI table's [`SourceBuild`]. A build is
//! always out of tree (`make O=<cache>/build/out/...`), so neither a Debian source tree
//! unpacked in the cache nor a developer's tree is written to.
//!
//! - A Debian series (`6.1`, `7.3`) is `linux-source-<series>` from the first release that
//!   carries it, downloaded through the private apt states and unpacked once into
//!   `<cache>/build/src/<package-version>/linux-source-<series>/`. The image is cached as
//!   `kernels/<release>/<arch>/<package-version>+cfg<sha12>/`; the build dir is removed after
//!   success (kept with `CLONEABI_KEEP_BUILD`).
//! - A directory is built as it is: make decides what is stale, and the build dir
//!   (`build/out/<arch>/tree-<path-sha12>+cfg<sha12>/`) is kept, so a rebuild after a
//!   one-file change recompiles that file and relinks. The image is cached as
//!   `kernels/tree/<arch>/<path-sha12>/<git describe --dirty or Makefile version>+cfg<sha12>/`.
//!
//! Configs: `minimal` is the arch's `minimal_base` (tinyconfig) with
//! `fixtures/kernels/minimal.config` and the arch's own fragment merged in; a FILE is merged
//! on the arch's defconfig. Merging replaces the base's lines for the fragment's symbols,
//! then `make olddefconfig` resolves dependencies; a symbol the fragment asks for that
//! Kconfig overrides is reported.

use super::{
    apt, identify, now_secs, sanitize, sha256_bytes, Cache, KernelError, KernelImage, KernelMeta,
    Origin, Release, META_SCHEMA,
};
use cloneabi_arch::{Arch, SourceBuild};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// What `--config minimal` merges on every arch.
pub const MINIMAL_CONFIG: &str = include_str!("../../../fixtures/kernels/minimal.config");

/// The fragments under `fixtures/kernels/` the ABI table names, by file name.
pub const FRAGMENTS: &[(&str, &str)] = &[
    ("minimal.config", MINIMAL_CONFIG),
    (
        "minimal-x86_64.config",
        include_str!("../../../fixtures/kernels/minimal-x86_64.config"),
    ),
    (
        "minimal-arm64.config",
        include_str!("../../../fixtures/kernels/minimal-arm64.config"),
    ),
    (
        "minimal-s390x.config",
        include_str!("../../../fixtures/kernels/minimal-s390x.config"),
    ),
    (
        "minimal-powerpc64.config",
        include_str!("../../../fixtures/kernels/minimal-powerpc64.config"),
    ),
    (
        "minimal-powerpc64le.config",
        include_str!("../../../fixtures/kernels/minimal-powerpc64le.config"),
    ),
    (
        "minimal-riscv64.config",
        include_str!("../../../fixtures/kernels/minimal-riscv64.config"),
    ),
    (
        "ppc64-be.config",
        include_str!("../../../fixtures/kernels/ppc64-be.config"),
    ),
];

/// A fragment of `fixtures/kernels/` by file name.
pub fn fixture(name: &str) -> Option<&'static str> {
    FRAGMENTS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The source tree of a build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    /// Debian's `linux-source-<series>`.
    Debian { series: String },
    /// A kernel source tree on disk.
    Tree(PathBuf),
}

impl SourceSpec {
    /// An existing directory is a tree; otherwise `major.minor` is a Debian series; anything
    /// else is taken as a directory (and reported missing when built).
    pub fn parse(s: &str) -> SourceSpec {
        let p = Path::new(s);
        if p.is_dir() {
            return SourceSpec::Tree(p.to_path_buf());
        }
        if is_series(s) {
            return SourceSpec::Debian {
                series: s.to_string(),
            };
        }
        SourceSpec::Tree(p.to_path_buf())
    }
}

/// `6.1`, `6.12`, `7.3`: Debian's linux-source series names.
fn is_series(s: &str) -> bool {
    let mut parts = s.split('.');
    let num =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    num(parts.next()) && num(parts.next()) && parts.next().is_none()
}

/// The configuration of a build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSpec {
    /// `minimal_base` + `minimal.config` + the arch's minimal fragment.
    Minimal,
    /// A user's fragment (or whole .config), merged on the arch's defconfig.
    File(PathBuf),
    /// A fragment of `fixtures/kernels/`, merged on the arch's defconfig.
    Fixture(&'static str),
}

impl ConfigSpec {
    /// `minimal`, an existing file, or else the name of a fragment of `fixtures/kernels/`
    /// (built into cloneabi, so `ppc64-be.config` works from any directory).
    pub fn parse(s: &str) -> ConfigSpec {
        if s == "minimal" {
            return ConfigSpec::Minimal;
        }
        let p = Path::new(s);
        if !p.exists() {
            let name = s.strip_prefix("fixtures/kernels/").unwrap_or(s);
            if let Some((n, _)) = FRAGMENTS.iter().find(|(n, _)| *n == name) {
                return ConfigSpec::Fixture(n);
            }
        }
        ConfigSpec::File(p.to_path_buf())
    }
}

/// One line of a fragment: `CONFIG_<symbol>=<value>`, or `# CONFIG_<symbol> is not set`
/// (`value` None).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigOption {
    pub symbol: String,
    pub value: Option<String>,
}

impl ConfigOption {
    fn render(&self) -> String {
        match &self.value {
            Some(v) => format!("CONFIG_{}={v}", self.symbol),
            None => format!("# CONFIG_{} is not set", self.symbol),
        }
    }
}

fn is_symbol(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The symbol a `.config` line sets or unsets.
fn line_symbol(line: &str) -> Option<&str> {
    if let Some(s) = line
        .strip_prefix("# CONFIG_")
        .and_then(|s| s.strip_suffix(" is not set"))
    {
        return Some(s);
    }
    line.strip_prefix("CONFIG_")
        .and_then(|s| s.split_once('='))
        .map(|(s, _)| s)
}

/// Parse a kconfig fragment (the syntax of `.config`). `name` is for error messages.
pub fn parse_fragment(name: &str, text: &str) -> Result<Vec<ConfigOption>, KernelError> {
    let mut out: Vec<ConfigOption> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let l = line.trim();
        let opt = if let Some(s) = l
            .strip_prefix("# CONFIG_")
            .and_then(|s| s.strip_suffix(" is not set"))
        {
            Some(ConfigOption {
                symbol: s.to_string(),
                value: None,
            })
        } else if let Some((s, v)) = l.strip_prefix("CONFIG_").and_then(|s| s.split_once('=')) {
            Some(ConfigOption {
                symbol: s.to_string(),
                value: Some(v.to_string()),
            })
        } else if l.is_empty() || l.starts_with('#') {
            None
        } else {
            return Err(KernelError::Other(format!(
                "{name} line {}: not a kconfig line (`CONFIG_X=y`, `CONFIG_X=\"text\"`, `# CONFIG_X is not set`): {l}",
                n + 1
            )));
        };
        if let Some(o) = opt {
            if !is_symbol(&o.symbol) || o.value.as_deref() == Some("") {
                return Err(KernelError::Other(format!(
                    "{name} line {}: bad kconfig line: {l}",
                    n + 1
                )));
            }
            // A later line for the same symbol wins, as in merge_config.sh.
            out.retain(|p| p.symbol != o.symbol);
            out.push(o);
        }
    }
    Ok(out)
}

/// `dotconfig` with every line of the options' symbols replaced by the options.
pub fn merge_config(dotconfig: &str, options: &[ConfigOption]) -> String {
    let mut out: String = dotconfig
        .lines()
        .filter(|l| line_symbol(l).is_none_or(|s| !options.iter().any(|o| o.symbol == s)))
        .flat_map(|l| [l, "\n"])
        .collect();
    for o in options {
        out.push_str(&o.render());
        out.push('\n');
    }
    out
}

/// The options that `dotconfig` (after olddefconfig) does not hold as asked, rendered as
/// asked. `=m` is met by `=y` (a kernel without modules builds it in).
pub fn unmet(dotconfig: &str, options: &[ConfigOption]) -> Vec<String> {
    let value_of = |sym: &str| {
        dotconfig.lines().find_map(|l| {
            l.strip_prefix("CONFIG_")
                .and_then(|s| s.split_once('='))
                .filter(|(s, _)| *s == sym)
                .map(|(_, v)| v)
        })
    };
    options
        .iter()
        .filter(|o| {
            let have = value_of(&o.symbol);
            match o.value.as_deref() {
                None => matches!(have, Some("y") | Some("m")),
                Some("n") => matches!(have, Some("y") | Some("m")),
                Some("m") => !matches!(have, Some("y") | Some("m")),
                Some(v) => have != Some(v),
            }
        })
        .map(ConfigOption::render)
        .collect()
}

/// How a build is configured: a make target, then fragments merged in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigPlan {
    pub base: &'static str,
    /// `(name, text)` of each fragment.
    pub fragments: Vec<(String, String)>,
    /// Identifies the config in cache keys: the fragments' sha256, with the base in front
    /// when it is not the arch's defconfig.
    pub sha256: String,
}

impl ConfigPlan {
    pub fn options(&self) -> Result<Vec<ConfigOption>, KernelError> {
        let mut all: Vec<ConfigOption> = Vec::new();
        for (name, text) in &self.fragments {
            for o in parse_fragment(name, text)? {
                all.retain(|p| p.symbol != o.symbol);
                all.push(o);
            }
        }
        Ok(all)
    }

    /// What `--config` said, for messages and metadata.
    pub fn describe(&self) -> String {
        let names: Vec<&str> = self.fragments.iter().map(|(n, _)| n.as_str()).collect();
        format!("{} + {}", self.base, names.join(" + "))
    }
}

/// The plan of `config` for `arch`'s kernel.
pub fn config_plan(arch: Arch, config: &ConfigSpec) -> Result<ConfigPlan, KernelError> {
    let b = arch.kernel_arch().sources.build;
    let named = |name: &str| {
        fixture(name)
            .map(|t| (name.to_string(), t.to_string()))
            .ok_or_else(|| {
                KernelError::Other(format!(
                    "fixtures/kernels/{name} is not built into cloneabi"
                ))
            })
    };
    let (base, fragments) = match config {
        ConfigSpec::Minimal => (
            b.minimal_base,
            vec![named("minimal.config")?, named(b.minimal_fragment)?],
        ),
        ConfigSpec::Fixture(name) => (b.defconfig, vec![named(name)?]),
        ConfigSpec::File(path) => {
            let text = fs::read_to_string(path).map_err(|e| {
                KernelError::Other(format!(
                    "--config {}: {e}; give `minimal` or a kconfig fragment file (lines like CONFIG_X=y)",
                    path.display()
                ))
            })?;
            (b.defconfig, vec![(path.display().to_string(), text)])
        }
    };
    for (name, text) in &fragments {
        parse_fragment(name, text)?;
    }
    let mut text = String::new();
    if base != b.defconfig {
        text.push_str(base);
        text.push('\0');
    }
    for (_, t) in &fragments {
        text.push_str(t);
    }
    Ok(ConfigPlan {
        base,
        sha256: sha256_bytes(text.as_bytes()),
        fragments,
    })
}

/// The arguments of `make` for `arch` (after `make`): the tree, the build dir, ARCH=, and
/// CROSS_COMPILE= unless the host builds for its own arch.
pub fn make_args(
    arch: Arch,
    host: Option<Arch>,
    src: &Path,
    out: &Path,
    args: &[&str],
) -> Vec<String> {
    let b = arch.kernel_arch().sources.build;
    let mut v = vec![
        "-C".to_string(),
        src.display().to_string(),
        format!("O={}", out.display()),
        format!("ARCH={}", b.make_arch),
    ];
    if host.map(Arch::kernel_abi) != Some(arch.kernel_abi()) {
        v.push(format!("CROSS_COMPILE={}", b.cross_compile));
    }
    v.extend(args.iter().map(|s| s.to_string()));
    v
}

/// The compiler a build of `arch` runs.
fn compiler(arch: Arch, host: Option<Arch>) -> String {
    if host.map(Arch::kernel_abi) == Some(arch.kernel_abi()) {
        "gcc".into()
    } else {
        format!("{}gcc", arch.kernel_arch().sources.build.cross_compile)
    }
}

/// Tools a build of `arch` needs: `(program or header path, Debian package)`. A Debian
/// source package also needs dpkg-deb, tar and xz.
pub fn required_tools(
    arch: Arch,
    host: Option<Arch>,
    debian_source: bool,
) -> Vec<(String, String)> {
    let b = arch.kernel_arch().sources.build;
    let mut v: Vec<(String, String)> = vec![
        (
            compiler(arch, host),
            if compiler(arch, host) == "gcc" {
                "gcc".into()
            } else {
                b.cross_package.into()
            },
        ),
        ("gcc".into(), "gcc".into()),
        ("make".into(), "make".into()),
        ("flex".into(), "flex".into()),
        ("bison".into(), "bison".into()),
        ("bc".into(), "bc".into()),
        ("perl".into(), "perl".into()),
        // objtool (x86) and resolve_btfids need libelf; certs/ needs OpenSSL's headers.
        ("/usr/include/gelf.h".into(), "libelf-dev".into()),
        (
            "/usr/include/openssl/opensslv.h".into(),
            "libssl-dev".into(),
        ),
    ];
    if debian_source {
        for (t, p) in [("xz", "xz-utils"), ("tar", "tar"), ("dpkg-deb", "dpkg")] {
            v.push((t.into(), p.into()));
        }
    }
    v.dedup();
    v
}

/// Whether a program is on PATH (or, for a path, whether it exists).
pub fn in_path(tool: &str) -> bool {
    if tool.contains('/') {
        return Path::new(tool).exists();
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

/// The missing tools of `tools` as an error naming the apt-get line that installs them.
pub fn check_tools(
    tools: &[(String, String)],
    present: impl Fn(&str) -> bool,
) -> Result<(), KernelError> {
    let missing: Vec<&(String, String)> = tools.iter().filter(|(t, _)| !present(t)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut pkgs: Vec<&str> = missing.iter().map(|(_, p)| p.as_str()).collect();
    pkgs.sort_unstable();
    pkgs.dedup();
    Err(KernelError::MissingTools {
        tools: missing.iter().map(|(t, p)| format!("{t} ({p})")).collect(),
        install: format!("apt-get install {}", pkgs.join(" ")),
    })
}

/// `VERSION.PATCHLEVEL.SUBLEVEL` + `EXTRAVERSION` of a kernel Makefile.
pub fn makefile_version(makefile: &str) -> Option<String> {
    let var = |name: &str| {
        makefile.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    };
    let (v, p) = (var("VERSION")?, var("PATCHLEVEL")?);
    let s = var("SUBLEVEL").unwrap_or_default();
    let e = var("EXTRAVERSION").unwrap_or_default();
    if v.is_empty() || p.is_empty() {
        return None;
    }
    Some(if s.is_empty() {
        format!("{v}.{p}{e}")
    } else {
        format!("{v}.{p}.{s}{e}")
    })
}

/// The directory under `arch/` a tree needs for `arch`: where its image lands, or make's
/// ARCH= for a vmlinux.
fn tree_arch_dir(b: &SourceBuild) -> &'static str {
    b.image
        .strip_prefix("arch/")
        .and_then(|r| r.split('/').next())
        .unwrap_or(b.make_arch)
}

/// Check that `dir` is a kernel tree that builds `arch` out of tree; returns it absolute.
pub fn check_tree(dir: &Path, arch: Arch) -> Result<PathBuf, KernelError> {
    if !dir.is_dir() {
        return Err(KernelError::Other(format!(
            "--source {}: no such directory; give a kernel source tree or a Debian linux-source series such as 6.1, 6.12, 7.2 or 7.3",
            dir.display()
        )));
    }
    let abs = fs::canonicalize(dir).map_err(|e| KernelError::io(dir, e))?;
    if !["Makefile", "Kconfig", "kernel/fork.c"]
        .iter()
        .all(|f| abs.join(f).is_file())
    {
        return Err(KernelError::Other(format!(
            "--source {}: not a Linux source tree (it needs Makefile, Kconfig and kernel/fork.c)",
            dir.display()
        )));
    }
    let b = arch.kernel_arch().sources.build;
    let ad = tree_arch_dir(&b);
    if !abs.join("arch").join(ad).join("Kconfig").is_file() {
        return Err(KernelError::Other(format!(
            "--source {}: the tree has no arch/{ad}, so it cannot build an {arch} kernel",
            dir.display()
        )));
    }
    if abs.join(".config").exists() || abs.join("include/config").exists() {
        return Err(KernelError::Other(format!(
            "--source {}: the tree holds an in-tree build (.config or include/config), and kbuild refuses out-of-tree builds of such a tree; run `make mrproper` there (it deletes that build) or build a clean checkout (`git worktree add`)",
            dir.display()
        )));
    }
    Ok(abs)
}

/// A tree's identity: `git describe --always --dirty` when the tree is a git checkout's
/// top, or the Makefile's version.
fn tree_identity(dir: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    // A tree inside some other repository is not described by that repository.
    let top = git(&["rev-parse", "--show-toplevel"]).and_then(|t| fs::canonicalize(t).ok());
    let described = (top.as_deref() == Some(dir))
        .then(|| git(&["describe", "--always", "--dirty", "--tags"]))
        .flatten();
    described
        .or_else(|| {
            fs::read_to_string(dir.join("Makefile"))
                .ok()
                .and_then(|m| makefile_version(&m))
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Where a build of a source lives in the cache, and under which key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildKeys {
    /// The cached image's directory.
    pub entry: PathBuf,
    /// `make O=`.
    pub out: PathBuf,
    /// The build log.
    pub log: PathBuf,
}

/// `<dir>.log`, beside the build dir (its name has dots of its own).
fn log_beside(dir: &Path) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".log");
    dir.with_file_name(name)
}

/// The cache paths of a Debian-source build: `(release, package version)`.
pub fn debian_keys(
    cache_root: &Path,
    arch: Arch,
    release: Release,
    version: &str,
    cfg: &str,
) -> BuildKeys {
    let key = format!("{}+cfg{}", sanitize(version), &cfg[..12]);
    let out = cache_root.join("build/out").join(arch.name()).join(&key);
    BuildKeys {
        entry: cache_root
            .join("kernels")
            .join(release.name())
            .join(arch.name())
            .join(&key),
        log: log_beside(&out),
        out,
    }
}

/// The cache paths of a tree build: the build dir is per (tree, config), so it survives
/// edits; the entry is per tree identity.
pub fn tree_keys(
    cache_root: &Path,
    arch: Arch,
    tree: &Path,
    identity: &str,
    cfg: &str,
) -> BuildKeys {
    let path_sha = sha256_bytes(tree.as_os_str().as_encoded_bytes());
    let out = cache_root.join("build/out").join(arch.name()).join(format!(
        "tree-{}+cfg{}",
        &path_sha[..12],
        &cfg[..12]
    ));
    BuildKeys {
        entry: cache_root
            .join("kernels/tree")
            .join(arch.name())
            .join(&path_sha[..12])
            .join(format!("{}+cfg{}", sanitize(identity), &cfg[..12])),
        log: log_beside(&out),
        out,
    }
}

/// A source tree ready to build.
struct Source {
    tree: PathBuf,
    /// For the metadata: the source package (or the tree's path) and its version.
    package: String,
    version: String,
    release: Option<Release>,
    keys: BuildKeys,
    debian: bool,
}

fn host_dpkg() -> &'static str {
    Arch::host()
        .map(|a| a.abi().debian.dpkg_arch)
        .unwrap_or("amd64")
}

/// The first release (in [`Release::ALL`] order) whose index has `linux-source-<series>`.
fn resolve_series(cache: &Cache, series: &str) -> Result<(Release, apt::Package), KernelError> {
    let name = format!("linux-source-{series}");
    let mut tried = Vec::new();
    for rel in Release::ALL {
        let found = (|| {
            let _l = cache.lock(&format!("apt-{}-{}", rel.name(), host_dpkg()))?;
            let state = apt::AptState::new(cache, rel, host_dpkg())?;
            state.update_if_stale()?;
            state.package(&name)
        })();
        match found {
            Ok(p) => return Ok((rel, p)),
            Err(e) => tried.push(format!("{rel}: {e}")),
        }
    }
    Err(KernelError::NotFound(format!(
        "no Debian release carries {name}; use a series Debian ships (6.1, 6.12, 7.2, 7.3) or a source directory:\n  {}",
        tried.join("\n  ")
    )))
}

/// `<cache>/build/src/<version>/linux-source-<series>`, downloaded and unpacked once.
fn unpack_series(
    cache: &Cache,
    release: Release,
    pkg: &apt::Package,
    series: &str,
) -> Result<PathBuf, KernelError> {
    let dir = cache.build_dir().join("src").join(sanitize(&pkg.version));
    let tree = dir.join(format!("linux-source-{series}"));
    let _l = cache.lock(&format!("src-{}", sanitize(&pkg.version)))?;
    if tree.join("Makefile").is_file() {
        return Ok(tree);
    }
    let stage = cache.staging()?;
    eprintln!(
        "cloneabi: downloading {} {} from {}",
        pkg.name, pkg.version, pkg.suite
    );
    let deb = {
        let _a = cache.lock(&format!("apt-{}-{}", release.name(), host_dpkg()))?;
        let state = apt::AptState::new(cache, release, host_dpkg())?;
        state.download(pkg, stage.path())?
    };
    let unpack = stage.path().join("deb");
    apt::dpkg_extract(&deb, &unpack)?;
    let tarball = unpack.join(format!("usr/src/linux-source-{series}.tar.xz"));
    let src = stage.path().join("src");
    fs::create_dir(&src).map_err(|e| KernelError::io(&src, e))?;
    eprintln!(
        "cloneabi: unpacking {} into {}",
        tarball.display(),
        dir.display()
    );
    let out = Command::new("tar")
        .arg("-C")
        .arg(&src)
        .arg("-xf")
        .arg(&tarball)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| KernelError::Other(format!("tar: {e}")))?;
    if !out.status.success() {
        return Err(KernelError::Other(format!(
            "unpacking {}: {}",
            tarball.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    if !src
        .join(format!("linux-source-{series}/Makefile"))
        .is_file()
    {
        return Err(KernelError::Corrupt(format!(
            "{} {} holds no linux-source-{series}/Makefile",
            pkg.name, pkg.version
        )));
    }
    if dir.exists() {
        let trash = cache.staging()?;
        fs::rename(&dir, trash.path().join("old")).map_err(|e| KernelError::io(&dir, e))?;
    }
    fs::create_dir_all(dir.parent().expect("src dir has a parent"))
        .map_err(|e| KernelError::io(&dir, e))?;
    fs::rename(&src, &dir).map_err(|e| KernelError::io(&dir, e))?;
    Ok(tree)
}

/// The newest verified cached kernel of `arch` built from `linux-source-<series>` with
/// `plan`; no network access.
fn cached_debian_build(
    cache: &Cache,
    arch: Arch,
    series: &str,
    plan: &ConfigPlan,
) -> Option<KernelImage> {
    let package = format!("linux-source-{series}");
    let mut built: Vec<KernelImage> = super::list(cache)
        .into_iter()
        .filter(|k| k.arch == arch)
        .filter(|k| {
            matches!(&k.meta.origin, Origin::Built { config_sha256, source_package, .. }
            if *config_sha256 == plan.sha256 && *source_package == package)
        })
        .collect();
    built.sort_by(|a, b| apt::compare_versions(&a.meta.package_version, &b.meta.package_version));
    built.into_iter().rev().find(|k| k.verify().is_ok())
}

/// The kernel the main job boots for an arch Debian has no kernel for, if cached.
pub fn cached_default(cache: &Cache, arch: Arch) -> Option<KernelImage> {
    let arch = arch.kernel_abi();
    let d = arch.kernel_arch().sources.default_build?;
    let plan = config_plan(arch, &ConfigSpec::Fixture(d.fragment)).ok()?;
    cached_debian_build(cache, arch, d.series, &plan)
}

/// Build (or find in the cache) the kernel the main job boots for an arch Debian has no
/// kernel for.
pub fn build_default(cache: &Cache, arch: Arch) -> Result<KernelImage, KernelError> {
    let arch = arch.kernel_abi();
    let d = arch.kernel_arch().sources.default_build.ok_or_else(|| {
        KernelError::NotFound(format!(
            "the main job boots Debian's {arch} kernel: `cloneabi kernels fetch --arch {arch}`"
        ))
    })?;
    build(
        cache,
        arch,
        &SourceSpec::Debian {
            series: d.series.into(),
        },
        &ConfigSpec::Fixture(d.fragment),
    )
}

/// Build `arch`'s kernel from `source` with `config`, or find the same build in the cache.
/// Progress and make's output go to stderr and to the build log.
pub fn build(
    cache: &Cache,
    arch: Arch,
    source: &SourceSpec,
    config: &ConfigSpec,
) -> Result<KernelImage, KernelError> {
    let arch = arch.kernel_abi();
    let plan = config_plan(arch, config)?;
    let options = plan.options()?;
    let host = Arch::host();
    let t0 = Instant::now();

    let src = match source {
        SourceSpec::Tree(dir) => {
            let tree = check_tree(dir, arch)?;
            check_tools(&required_tools(arch, host, false), in_path)?;
            let identity = tree_identity(&tree);
            Source {
                keys: tree_keys(cache.root(), arch, &tree, &identity, &plan.sha256),
                package: tree.display().to_string(),
                version: identity,
                release: None,
                tree,
                debian: false,
            }
        }
        SourceSpec::Debian { series } => {
            if !is_series(series) {
                return Err(KernelError::Other(format!(
                    "--source {series}: not a Debian linux-source series (such as 6.1 or 7.3) nor a directory"
                )));
            }
            let (release, pkg) = match resolve_series(cache, series) {
                Ok(x) => x,
                Err(e) => {
                    // Offline: the newest build of the same series and config will do.
                    if let Some(k) = cached_debian_build(cache, arch, series, &plan) {
                        eprintln!(
                            "cloneabi: cannot resolve linux-source-{series} ({e}); using the cached {}",
                            k.dir.display()
                        );
                        return Ok(k);
                    }
                    return Err(e);
                }
            };
            let keys = debian_keys(cache.root(), arch, release, &pkg.version, &plan.sha256);
            if let Ok(k) = KernelImage::load(&keys.entry, true) {
                eprintln!("cloneabi: cached: {}", k.path.display());
                return Ok(k);
            }
            check_tools(&required_tools(arch, host, true), in_path)?;
            let tree = unpack_series(cache, release, &pkg, series)?;
            Source {
                tree,
                package: pkg.name.clone(),
                version: pkg.version.clone(),
                release: Some(release),
                keys,
                debian: true,
            }
        }
    };
    let t_src = t0.elapsed();
    let keys = &src.keys;
    let _lock = cache.lock(&format!(
        "build-{}-{}",
        arch.name(),
        keys.out.file_name().unwrap_or_default().to_string_lossy()
    ))?;
    fs::create_dir_all(&keys.out).map_err(|e| KernelError::io(&keys.out, e))?;
    let mut log = fs::File::create(&keys.log).map_err(|e| KernelError::io(&keys.log, e))?;
    let make = |args: &[&str]| {
        let mut c = Command::new("make");
        c.args(make_args(arch, host, &src.tree, &keys.out, args));
        c
    };

    // Configuration, unless this build dir already has exactly this one.
    let stamp = keys.out.join(".cloneabi-config");
    let configured = fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == plan.sha256)
        && keys.out.join(".config").is_file();
    if !configured {
        let _ = fs::remove_file(&stamp);
        eprintln!("cloneabi: configuring {arch}: {}", plan.describe());
        run_step(
            &format!("make {}", plan.base),
            make(&[plan.base]),
            &mut log,
            &keys.log,
        )?;
        let dotconfig_path = keys.out.join(".config");
        let dotconfig =
            fs::read_to_string(&dotconfig_path).map_err(|e| KernelError::io(&dotconfig_path, e))?;
        fs::write(&dotconfig_path, merge_config(&dotconfig, &options))
            .map_err(|e| KernelError::io(&dotconfig_path, e))?;
        run_step(
            "make olddefconfig",
            make(&["olddefconfig"]),
            &mut log,
            &keys.log,
        )?;
        let dotconfig =
            fs::read_to_string(&dotconfig_path).map_err(|e| KernelError::io(&dotconfig_path, e))?;
        let missed = unmet(&dotconfig, &options);
        // A symbol the final .config does not mention is unknown to this version (renamed
        // or merged into another); one it mentions was overridden by its dependencies.
        let (unknown, overridden): (Vec<String>, Vec<String>) =
            missed.into_iter().partition(|line| {
                let sym = line_symbol(line).unwrap_or_default();
                !dotconfig.lines().any(|l| line_symbol(l) == Some(sym))
            });
        for (list, why) in [
            (
                &overridden,
                "Kconfig overrode (dependencies off, or a choice set otherwise)",
            ),
            (&unknown, "this kernel version does not know"),
        ] {
            if !list.is_empty() {
                let msg = format!(
                    "cloneabi: warning: {why}: {} (asked for by {}; see {})",
                    list.join(", "),
                    plan.describe(),
                    dotconfig_path.display()
                );
                eprintln!("{msg}");
                let _ = writeln!(log, "{msg}");
            }
        }
        fs::write(&stamp, &plan.sha256).map_err(|e| KernelError::io(&stamp, e))?;
    }
    let t_cfg = t0.elapsed();

    let b = arch.kernel_arch().sources.build;
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    eprintln!(
        "cloneabi: make -j{jobs} {} for {arch} in {} (log: {})",
        b.target,
        keys.out.display(),
        keys.log.display()
    );
    run_step(
        &format!("make {}", b.target),
        make(&[&format!("-j{jobs}"), b.target]),
        &mut log,
        &keys.log,
    )?;
    let t_make = t0.elapsed();
    let krel = make(&["-s", "kernelrelease"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| src.version.clone());
    let image = keys.out.join(b.image);
    identify::check(&image, arch).map_err(|e| {
        KernelError::Corrupt(format!("{} is not an {arch} kernel: {e}", image.display()))
    })?;

    // Publish.
    let stage = cache.staging()?;
    let entry = stage.path().join("entry");
    fs::create_dir(&entry).map_err(|e| KernelError::io(&entry, e))?;
    let base = Path::new(b.image)
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let file = format!("{base}-{krel}");
    fs::copy(&image, entry.join(&file)).map_err(|e| KernelError::io(&image, e))?;
    let sha256 = super::sha256_file(&entry.join(&file))?;
    let build_seconds = (t_make - t_src).as_secs_f64();
    let compiler = crate::qemu::version_line(&compiler(arch, host)).unwrap_or_default();
    let origin = if src.debian {
        Origin::Built {
            source_package: src.package.clone(),
            source_version: src.version.clone(),
            config_sha256: plan.sha256.clone(),
            build_seconds,
            compiler,
        }
    } else {
        Origin::Tree {
            path: src.package.clone(),
            describe: src.version.clone(),
            config: plan.describe(),
            config_sha256: plan.sha256.clone(),
            build_seconds,
            compiler,
        }
    };
    let meta = KernelMeta {
        schema: META_SCHEMA,
        arch: arch.name().to_string(),
        release: src.release,
        package: src.package.clone(),
        package_version: src.version.clone(),
        kernel_release: krel,
        size: fs::metadata(entry.join(&file))
            .map_err(|e| KernelError::io(&entry, e))?
            .len(),
        sha256: sha256.clone(),
        file,
        origin,
        created: now_secs(),
    };
    // A tree's entry is replaced when the build changed (an edit leaves `git describe
    // --dirty` as it was).
    if let Ok(old) = KernelImage::load(&keys.entry, false) {
        if old.meta.sha256 != sha256 {
            let trash = cache.staging()?;
            fs::rename(&keys.entry, trash.path().join("old"))
                .map_err(|e| KernelError::io(&keys.entry, e))?;
        }
    }
    let k = cache.commit_entry(&entry, &meta, &keys.entry)?;
    let summary = format!(
        "cloneabi: built {} in {:.0} s (source {:.0} s, config {:.0} s, make {:.0} s)",
        k.path.display(),
        t_make.as_secs_f64(),
        t_src.as_secs_f64(),
        (t_cfg - t_src).as_secs_f64(),
        (t_make - t_cfg).as_secs_f64()
    );
    eprintln!("{summary}");
    let _ = writeln!(log, "{summary}");
    if src.debian && std::env::var_os("CLONEABI_KEEP_BUILD").is_none() {
        let _ = fs::remove_dir_all(&keys.out);
    }
    Ok(k)
}

/// Run one build step; its output goes to stderr and to the log.
fn run_step(
    step: &str,
    c: Command,
    log: &mut fs::File,
    log_path: &Path,
) -> Result<(), KernelError> {
    let _ = writeln!(log, "### {step}");
    let fail = |tail: String| KernelError::Build {
        step: step.into(),
        log: log_path.into(),
        tail,
    };
    // One pipe for both streams, so their lines stay in order.
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg("exec \"$@\" 2>&1")
        .arg("sh")
        .arg(c.get_program())
        .args(c.get_args());
    if let Some(d) = c.get_current_dir() {
        sh.current_dir(d);
    }
    let mut child = sh
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| fail(e.to_string()))?;
    let mut out = child.stdout.take().expect("piped stdout");
    let mut buf = [0u8; 8192];
    let mut stderr = std::io::stderr();
    let mut tail: Vec<u8> = Vec::new();
    loop {
        match out.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let _ = log.write_all(&buf[..n]);
                let _ = stderr.write_all(&buf[..n]);
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > 64 * 1024 {
                    tail.drain(..tail.len() - 32 * 1024);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let status = child.wait().map_err(|e| fail(e.to_string()))?;
    if status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&tail);
    let lines: Vec<&str> = text.lines().collect();
    Err(fail(lines[lines.len().saturating_sub(30)..].join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimal_fragment_holds_what_the_suite_needs() {
        let o = parse_fragment("minimal.config", MINIMAL_CONFIG).unwrap();
        let on = |s: &str| {
            o.contains(&ConfigOption {
                symbol: s.into(),
                value: Some("y".into()),
            })
        };
        for sym in [
            "64BIT",
            "PRINTK",
            "BLK_DEV_INITRD",
            "BINFMT_ELF",
            "PROC_FS",
            "PROC_SYSCTL",
            "SYSCTL",
            "SYSFS",
            "MULTIUSER",
            "FUTEX",
            "POSIX_TIMERS",
            "NAMESPACES",
            "UTS_NS",
            "IPC_NS",
            "USER_NS",
            "PID_NS",
            "NET_NS",
            "TIME_NS",
            "CGROUPS",
            "CHECKPOINT_RESTORE",
            "SECCOMP",
            "SECCOMP_FILTER",
        ] {
            assert!(on(sym), "minimal.config lacks CONFIG_{sym}=y");
        }
        assert!(o.contains(&ConfigOption {
            symbol: "MODULES".into(),
            value: None
        }));
        for arch in Arch::kernels() {
            let b = arch.kernel_arch().sources.build;
            let text = fixture(b.minimal_fragment)
                .unwrap_or_else(|| panic!("{arch}: {} is not in FRAGMENTS", b.minimal_fragment));
            let o = parse_fragment(b.minimal_fragment, text).unwrap();
            assert!(!o.is_empty(), "{arch}: empty {}", b.minimal_fragment);
            if let Some(d) = arch.kernel_arch().sources.default_build {
                assert!(fixture(d.fragment).is_some(), "{arch}: {}", d.fragment);
            }
        }
        // Each compat ABI needs its kernel's compat support in the minimal config.
        let has = |arch: Arch, sym: &str| {
            let b = arch.kernel_arch().sources.build;
            parse_fragment("", fixture(b.minimal_fragment).unwrap())
                .unwrap()
                .iter()
                .any(|o| o.symbol == sym && o.value.as_deref() == Some("y"))
        };
        assert!(has(Arch::X86_64, "IA32_EMULATION") && has(Arch::X86_64, "X86_X32_ABI"));
        assert!(has(Arch::Aarch64, "COMPAT") && has(Arch::Powerpc64, "COMPAT"));
    }

    #[test]
    fn fragments_parse_and_reject_what_kconfig_would_not_read() {
        let o = parse_fragment(
            "f",
            "# comment\nCONFIG_A=y\nCONFIG_B=\"x y\"\n# CONFIG_C is not set\nCONFIG_A=m\n\n",
        )
        .unwrap();
        assert_eq!(
            o,
            vec![
                ConfigOption {
                    symbol: "B".into(),
                    value: Some("\"x y\"".into())
                },
                ConfigOption {
                    symbol: "C".into(),
                    value: None
                },
                ConfigOption {
                    symbol: "A".into(),
                    value: Some("m".into())
                },
            ]
        );
        let e = parse_fragment("my.config", "CONFIG_A=y\nA=y\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("my.config line 2"), "{e}");
        assert!(parse_fragment("f", "CONFIG_=y").is_err());
        assert!(parse_fragment("f", "CONFIG_A=").is_err());
        assert!(parse_fragment("f", "CONFIG_A-B=y").is_err());
        // The old ppc64 fragment still parses to its options.
        let p = parse_fragment("ppc64-be.config", fixture("ppc64-be.config").unwrap()).unwrap();
        assert!(p.contains(&ConfigOption {
            symbol: "CPU_BIG_ENDIAN".into(),
            value: Some("y".into())
        }));
        assert!(p.contains(&ConfigOption {
            symbol: "NET".into(),
            value: None
        }));
    }

    #[test]
    fn merging_replaces_the_base_lines_of_the_fragment_symbols() {
        let base = "#\n# Automatically generated\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=\"old\"\nCONFIG_AB=y\n";
        let o = parse_fragment(
            "f",
            "# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_C=\"new\"\nCONFIG_D=m\n",
        )
        .unwrap();
        let m = merge_config(base, &o);
        assert_eq!(
            m,
            "#\n# Automatically generated\nCONFIG_AB=y\n# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_C=\"new\"\nCONFIG_D=m\n"
        );
        // After olddefconfig: D built in (no modules) is met, B dropped by Kconfig is not.
        let after = "CONFIG_AB=y\n# CONFIG_A is not set\n# CONFIG_B is not set\nCONFIG_C=\"new\"\nCONFIG_D=y\n";
        assert_eq!(unmet(after, &o), vec!["CONFIG_B=y".to_string()]);
        assert_eq!(
            unmet("CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=\"new\"\nCONFIG_D=m\n", &o),
            vec!["# CONFIG_A is not set".to_string()]
        );
    }

    #[test]
    fn make_command_lines_come_from_the_table() {
        let (src, out) = (Path::new("/src"), Path::new("/out"));
        let s390 = make_args(
            Arch::S390x,
            Some(Arch::X86_64),
            src,
            out,
            &["-j2", "bzImage"],
        );
        assert_eq!(
            s390,
            [
                "-C",
                "/src",
                "O=/out",
                "ARCH=s390",
                "CROSS_COMPILE=s390x-linux-gnu-",
                "-j2",
                "bzImage"
            ]
        );
        // Native: no cross compiler; a compat ABI builds its 64-bit kernel.
        let x86 = make_args(Arch::X86_64, Some(Arch::X86_64), src, out, &["tinyconfig"]);
        assert_eq!(x86, ["-C", "/src", "O=/out", "ARCH=x86_64", "tinyconfig"]);
        let i386 = make_args(Arch::I386, Some(Arch::X86_64), src, out, &[]);
        assert_eq!(i386, ["-C", "/src", "O=/out", "ARCH=x86_64"]);
        let arm64 = make_args(Arch::Aarch64, Some(Arch::X86_64), src, out, &[]);
        assert!(
            arm64.contains(&"ARCH=arm64".to_string())
                && arm64.contains(&"CROSS_COMPILE=aarch64-linux-gnu-".to_string())
        );
        let ppc = make_args(Arch::Powerpc64, Some(Arch::X86_64), src, out, &[]);
        assert!(
            ppc.contains(&"ARCH=powerpc".to_string())
                && ppc.contains(&"CROSS_COMPILE=powerpc64-linux-gnu-".to_string())
        );
        let rv = make_args(Arch::Riscv64, None, src, out, &[]);
        assert!(
            rv.contains(&"ARCH=riscv".to_string())
                && rv.contains(&"CROSS_COMPILE=riscv64-linux-gnu-".to_string())
        );
    }

    #[test]
    fn config_plans_and_cache_keys() {
        let min = config_plan(Arch::X86_64, &ConfigSpec::Minimal).unwrap();
        assert_eq!(min.base, "tinyconfig");
        assert_eq!(
            min.describe(),
            "tinyconfig + minimal.config + minimal-x86_64.config"
        );
        let s390 = config_plan(Arch::S390x, &ConfigSpec::Minimal).unwrap();
        assert_ne!(
            min.sha256, s390.sha256,
            "per-arch fragments make per-arch keys"
        );
        // The main job's ppc64 kernel keeps the key of the kernels cached before this
        // command existed: the sha256 of ppc64-be.config alone.
        let d = Arch::Powerpc64.kernel_arch().sources.default_build.unwrap();
        let ppc = config_plan(Arch::Powerpc64, &ConfigSpec::Fixture(d.fragment)).unwrap();
        assert_eq!(ppc.base, "pseries_defconfig");
        assert_eq!(
            ppc.sha256,
            sha256_bytes(fixture("ppc64-be.config").unwrap().as_bytes())
        );
        let k = debian_keys(
            Path::new("/c"),
            Arch::Powerpc64,
            Release::Bookworm,
            "6.1.192-3",
            &ppc.sha256,
        );
        assert_eq!(
            k.entry,
            Path::new("/c/kernels/bookworm/powerpc64")
                .join(format!("6.1.192-3+cfg{}", &ppc.sha256[..12]))
        );
        // A user's file is merged on the defconfig and keyed by its text.
        let t = tempfile::Builder::new()
            .prefix("cloneabi-kbuild-test-")
            .tempdir()
            .unwrap();
        let f = t.path().join("my.config");
        fs::write(&f, "CONFIG_KASAN=y\n").unwrap();
        let user = config_plan(Arch::Aarch64, &ConfigSpec::File(f.clone())).unwrap();
        assert_eq!(user.base, "defconfig");
        assert_eq!(user.sha256, sha256_bytes(b"CONFIG_KASAN=y\n"));
        // The same text on another base is another config.
        let same_text: String = min.fragments.iter().map(|(_, t)| t.as_str()).collect();
        fs::write(&f, &same_text).unwrap();
        let on_defconfig = config_plan(Arch::X86_64, &ConfigSpec::File(f.clone())).unwrap();
        assert_ne!(on_defconfig.sha256, min.sha256);
        fs::write(&f, "KASAN=y\n").unwrap();
        let e = config_plan(Arch::Aarch64, &ConfigSpec::File(f))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1"), "{e}");
        let e = config_plan(Arch::Aarch64, &ConfigSpec::File(t.path().join("none")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--config") && e.contains("minimal"), "{e}");
        // A tree's build dir survives edits (same path, same config); its entry follows
        // the tree's identity.
        let a = tree_keys(
            Path::new("/c"),
            Arch::X86_64,
            Path::new("/src/linux"),
            "v6.1-3-gabc",
            &min.sha256,
        );
        let b = tree_keys(
            Path::new("/c"),
            Arch::X86_64,
            Path::new("/src/linux"),
            "v6.1-4-gdef-dirty",
            &min.sha256,
        );
        let c = tree_keys(
            Path::new("/c"),
            Arch::X86_64,
            Path::new("/src/other"),
            "v6.1-3-gabc",
            &min.sha256,
        );
        assert_eq!(a.out, b.out);
        assert_ne!(a.entry, b.entry);
        assert_ne!(a.out, c.out);
        assert!(a.entry.starts_with("/c/kernels/tree/x86_64"));
        assert!(a.out.starts_with("/c/build/out/x86_64"));
        assert_eq!(
            k.log.file_name().unwrap().to_str().unwrap(),
            format!("6.1.192-3+cfg{}.log", &ppc.sha256[..12])
        );
    }

    #[test]
    fn sources_parse_as_series_or_directories() {
        assert_eq!(
            SourceSpec::parse("6.1"),
            SourceSpec::Debian {
                series: "6.1".into()
            }
        );
        assert_eq!(
            SourceSpec::parse("7.3"),
            SourceSpec::Debian {
                series: "7.3".into()
            }
        );
        assert_eq!(SourceSpec::parse("/"), SourceSpec::Tree("/".into()));
        assert_eq!(SourceSpec::parse("6.1.2"), SourceSpec::Tree("6.1.2".into()));
        assert_eq!(ConfigSpec::parse("minimal"), ConfigSpec::Minimal);
        assert_eq!(
            ConfigSpec::parse("x.config"),
            ConfigSpec::File("x.config".into())
        );
        assert_eq!(
            ConfigSpec::parse("ppc64-be.config"),
            ConfigSpec::Fixture("ppc64-be.config")
        );
        assert_eq!(
            ConfigSpec::parse("/nowhere/ppc64-be.config"),
            ConfigSpec::File("/nowhere/ppc64-be.config".into())
        );
        assert_eq!(
            makefile_version("# SPDX\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION = -rc1\nNAME = x\n"),
            Some("6.1.192-rc1".into())
        );
        assert_eq!(
            makefile_version("VERSION = 7\nPATCHLEVEL = 3\nSUBLEVEL =\nEXTRAVERSION =\n"),
            Some("7.3".into())
        );
        assert_eq!(makefile_version("all:\n"), None);
    }

    #[test]
    fn bad_trees_are_named_with_the_fix() {
        let t = tempfile::Builder::new()
            .prefix("cloneabi-kbuild-tree-")
            .tempdir()
            .unwrap();
        let e = check_tree(&t.path().join("none"), Arch::X86_64)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no such directory") && e.contains("7.3"), "{e}");
        let e = check_tree(t.path(), Arch::X86_64).unwrap_err().to_string();
        assert!(e.contains("not a Linux source tree"), "{e}");
        for f in ["Makefile", "Kconfig", "kernel/fork.c", "arch/arm64/Kconfig"] {
            let p = t.path().join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, "").unwrap();
        }
        let e = check_tree(t.path(), Arch::X86_64).unwrap_err().to_string();
        assert!(e.contains("no arch/x86"), "{e}");
        assert!(check_tree(t.path(), Arch::Aarch64).is_ok());
        fs::write(t.path().join(".config"), "").unwrap();
        let e = check_tree(t.path(), Arch::Aarch64).unwrap_err().to_string();
        assert!(e.contains("make mrproper"), "{e}");
    }

    #[test]
    fn missing_tools_name_the_install_command() {
        let tools = required_tools(Arch::S390x, Some(Arch::X86_64), true);
        let e = check_tools(&tools, |t| {
            !["flex", "bison", "s390x-linux-gnu-gcc"].contains(&t)
        })
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("apt-get install bison flex gcc-s390x-linux-gnu"),
            "{e}"
        );
        assert!(check_tools(&tools, |_| true).is_ok());
        let native = required_tools(Arch::X86_64, Some(Arch::X86_64), false);
        assert!(
            native.iter().all(|(t, _)| !t.contains("linux-gnu")),
            "{native:?}"
        );
        assert!(!native.iter().any(|(t, _)| t == "dpkg-deb"));
        assert!(in_path("sh"));
        assert!(!in_path("cloneabi-no-such-tool"));
    }
}
