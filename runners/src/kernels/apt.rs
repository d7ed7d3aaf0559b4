//! A private apt state per (release, dpkg arch) inside the cache.
//!
//! apt-get runs with `APT_CONFIG=<state>/apt.conf`, a file that points every directory at
//! the state (lists, status, cache, sources) and sets `Dir::Etc::Parts`/`Dir::Etc::Main`
//! to /dev/null, so neither /etc/apt/apt.conf.d nor /etc/apt/sources.list* is read and
//! nothing of the host's apt state is written. Index signatures are checked against
//! Debian's archive keyring (`[signed-by=...]`), package hashes against the signed index.
//! `Acquire::Check-Valid-Until` is off: mirrors serve sid with a Release file past its
//! Valid-Until date (seen 2026-11-30, 23 days past), which apt would otherwise refuse. The
//! signature is still checked, and the package version taken is recorded in kernel.json.

use super::{sha256_file, Cache, KernelError, Release};
use std::cmp::Ordering;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

/// Debian's archive keyring (package debian-archive-keyring).
pub const KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";
/// The mirror; `$CLONEABI_DEBIAN_MIRROR` overrides it (same layout: `<mirror>/debian`,
/// `<mirror>/debian-security`).
pub const DEFAULT_MIRROR: &str = "http://deb.debian.org";
/// Indices younger than this are not refreshed (`$CLONEABI_APT_TTL` seconds overrides).
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);

/// A package version resolved from the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// The suite that serves this version (e.g. `bookworm-security`).
    pub suite: String,
    pub sha256: String,
    pub size: u64,
}

/// One private apt state.
#[derive(Debug)]
pub struct AptState {
    pub dir: PathBuf,
    pub release: Release,
    pub dpkg_arch: String,
}

impl AptState {
    /// Create (or reuse) `<cache>/apt/<release>/<dpkg_arch>/`. Callers serialise use
    /// with [`Cache::lock`].
    pub fn new(cache: &Cache, release: Release, dpkg_arch: &str) -> Result<AptState, KernelError> {
        let dir = cache.apt_dir().join(release.name()).join(dpkg_arch);
        for d in ["lists/partial", "cache/archives/partial", "state", "log"] {
            let p = dir.join(d);
            fs::create_dir_all(&p).map_err(|e| KernelError::io(&p, e))?;
        }
        if !Path::new(KEYRING).exists() {
            return Err(KernelError::MissingTools {
                tools: vec![KEYRING.into()],
                install: "apt-get install debian-archive-keyring".into(),
            });
        }
        let mirror = std::env::var("CLONEABI_DEBIAN_MIRROR")
            .ok()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| DEFAULT_MIRROR.to_string());
        let mirror = mirror.trim_end_matches('/');
        let mut sources = String::new();
        for (archive, suite) in release.sources() {
            sources.push_str(&format!(
                "deb [signed-by={KEYRING}] {mirror}/{archive} {suite} main\n"
            ));
        }
        let d = dir.display();
        let conf = format!(
            "// Written by cloneabi; private apt state for {release} {dpkg_arch}.\n\
             Dir::Etc::Parts \"/dev/null\";\n\
             Dir::Etc::Main \"/dev/null\";\n\
             Dir::Etc::SourceList \"{d}/sources.list\";\n\
             Dir::Etc::SourceParts \"/dev/null\";\n\
             Dir::Etc::Preferences \"/dev/null\";\n\
             Dir::Etc::PreferencesParts \"/dev/null\";\n\
             Dir::Etc::TrustedParts \"/dev/null\";\n\
             Dir::State \"{d}/state\";\n\
             Dir::State::Lists \"{d}/lists\";\n\
             Dir::State::status \"{d}/status\";\n\
             Dir::Cache \"{d}/cache\";\n\
             Dir::Cache::archives \"{d}/cache/archives\";\n\
             Dir::Cache::srcpkgcache \"\";\n\
             Dir::Log \"{d}/log\";\n\
             APT::Architecture \"{dpkg_arch}\";\n\
             APT::Architectures {{ \"{dpkg_arch}\"; }};\n\
             APT::Sandbox::User \"root\";\n\
             Acquire::Languages \"none\";\n\
             Acquire::Check-Valid-Until \"false\";\n\
             Acquire::Retries \"2\";\n"
        );
        write_if_changed(&dir.join("sources.list"), &sources)?;
        write_if_changed(&dir.join("apt.conf"), &conf)?;
        let status = dir.join("status");
        if !status.exists() {
            fs::write(&status, "").map_err(|e| KernelError::io(&status, e))?;
        }
        Ok(AptState {
            dir,
            release,
            dpkg_arch: dpkg_arch.to_string(),
        })
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("APT_CONFIG", self.dir.join("apt.conf"))
            .env("LC_ALL", "C")
            .env("DEBIAN_FRONTEND", "noninteractive");
        c
    }

    fn run(&self, mut c: Command, cwd: Option<&Path>) -> Result<String, KernelError> {
        if let Some(d) = cwd {
            c.current_dir(d);
        }
        let shown = format!(
            "APT_CONFIG={} {}",
            self.dir.join("apt.conf").display(),
            std::iter::once(c.get_program())
                .chain(c.get_args())
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" ")
        );
        let out = c.output().map_err(|e| KernelError::Apt {
            command: shown.clone(),
            stderr: format!("{e} (apt-get and apt-cache come with Debian's `apt` package)"),
        })?;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        // apt-get update exits 0 even when a source failed; its "E:"/"W: Failed" lines say so.
        if !out.status.success() || stderr.lines().any(|l| l.starts_with("E:")) {
            return Err(KernelError::Apt {
                command: shown,
                stderr,
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `apt-get update` unless the indices are younger than the TTL.
    pub fn update_if_stale(&self) -> Result<(), KernelError> {
        let ttl = std::env::var("CLONEABI_APT_TTL")
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TTL);
        let stamp = self.dir.join("updated");
        let fresh = fs::metadata(&stamp)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age < ttl);
        if fresh {
            return Ok(());
        }
        self.update()
    }

    /// `apt-get update` on the private state.
    pub fn update(&self) -> Result<(), KernelError> {
        let stamp = self.dir.join("updated");
        let _ = fs::remove_file(&stamp);
        let mut last = None;
        for attempt in 0..2 {
            if attempt > 0 {
                // "Mirror sync in progress?" failures are usually gone seconds later.
                std::thread::sleep(Duration::from_secs(3));
            }
            let mut c = self.cmd("apt-get");
            c.args(["-q", "update"]);
            match self.run(c, None) {
                Ok(_) => {
                    return fs::write(&stamp, "").map_err(|e| KernelError::io(&stamp, e));
                }
                Err(e) => last = Some(e),
            }
        }
        let e = last.expect("two attempts");
        // A failing -updates/-security index (mirror mid-sync) leaves the release's main
        // suite usable: go on with a warning (and no freshness stamp, so the next run
        // retries). A failing main suite is an error.
        if let KernelError::Apt { stderr, .. } = &e {
            let failed: Vec<&str> = stderr
                .lines()
                .filter(|l| l.starts_with("E: Failed to fetch") || l.starts_with("Err:"))
                .collect();
            let supplementary = |l: &&str| {
                l.contains(&format!("/dists/{}-security/", self.release.base()))
                    || l.contains(&format!("/dists/{}-updates/", self.release.base()))
            };
            if !failed.is_empty() && failed.iter().all(supplementary) {
                eprintln!(
                    "cloneabi: warning: {} {}: an -updates/-security index failed, resolving from the rest: {}",
                    self.release,
                    self.dpkg_arch,
                    failed.join("; ")
                );
                return Ok(());
            }
        }
        Err(e)
    }

    /// The candidate version of `name` with its suite, hash and size.
    pub fn package(&self, name: &str) -> Result<Package, KernelError> {
        let mut c = self.cmd("apt-cache");
        c.args(["show", "--no-all-versions", name]);
        let show = self.run(c, None)?;
        let field = |f: &str| {
            show.lines()
                .find_map(|l| l.strip_prefix(f).and_then(|r| r.strip_prefix(':')))
                .map(|v| v.trim().to_string())
        };
        let (Some(version), Some(sha256), Some(size)) =
            (field("Version"), field("SHA256"), field("Size"))
        else {
            return Err(KernelError::NotFound(format!(
                "{name} is not in the {} {} index",
                self.release, self.dpkg_arch
            )));
        };
        let mut c = self.cmd("apt-cache");
        c.args(["policy", name]);
        let policy = self.run(c, None)?;
        let suite =
            policy_suite(&policy, &version).unwrap_or_else(|| self.release.name().to_string());
        Ok(Package {
            name: name.to_string(),
            version,
            suite,
            sha256,
            size: size.parse().unwrap_or(0),
        })
    }

    /// The newest `linux-image-<abi>-<flavour>` package: what the metapackage
    /// `linux-image-<flavour>` depends on. On amd64 and arm64 that is the signed package,
    /// which itself holds /boot/vmlinuz (the `-unsigned` one is its twin, not a dependency).
    pub fn resolve_kernel(&self, flavour: &str) -> Result<Package, KernelError> {
        let meta = format!("linux-image-{flavour}");
        let mut c = self.cmd("apt-cache");
        c.args(["show", "--no-all-versions", &meta]);
        let show = self.run(c, None).map_err(|e| {
            KernelError::NotFound(format!(
                "no {meta} in {} for {}: {e}",
                self.release, self.dpkg_arch
            ))
        })?;
        let depends = show
            .lines()
            .find_map(|l| l.strip_prefix("Depends:"))
            .ok_or_else(|| KernelError::NotFound(format!("{meta} has no Depends")))?;
        let name = depends
            .split([',', '|'])
            .map(|d| d.split_whitespace().next().unwrap_or(""))
            .find(|d| {
                d.starts_with("linux-image-")
                    && d.ends_with(&format!("-{flavour}"))
                    && !d.ends_with("-dbg")
                    && !d.contains("-unsigned")
            })
            .ok_or_else(|| {
                KernelError::NotFound(format!(
                    "{meta} depends on no linux-image package: {depends}"
                ))
            })?;
        // From 7.x, linux-image-<release> is itself a metapackage, and the image is in
        // linux-binary-<release>.
        let binary = format!("linux-binary-{}", name.trim_start_matches("linux-image-"));
        let mut c = self.cmd("apt-cache");
        c.args(["show", "--no-all-versions", name]);
        let image = self.run(c, None)?;
        let has_binary = image
            .lines()
            .filter_map(|l| l.strip_prefix("Depends:"))
            .flat_map(|d| d.split([',', '|']))
            .any(|d| d.split_whitespace().next() == Some(binary.as_str()));
        self.package(if has_binary { &binary } else { name })
    }

    /// `apt-get download name=version` into `dir`; apt checks the hash against the signed
    /// index, and the file's sha256 is checked again here.
    pub fn download(&self, pkg: &Package, dir: &Path) -> Result<PathBuf, KernelError> {
        let mut c = self.cmd("apt-get");
        c.args(["-q", "download", &format!("{}={}", pkg.name, pkg.version)]);
        self.run(c, Some(dir)).map_err(|e| KernelError::Download {
            package: pkg.name.clone(),
            version: pkg.version.clone(),
            suite: pkg.suite.clone(),
            detail: match e {
                KernelError::Apt { stderr, .. } => stderr
                    .lines()
                    .filter(|l| l.starts_with("E:") || l.starts_with("Err") || l.contains("404"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                other => other.to_string(),
            },
        })?;
        let deb = fs::read_dir(dir)
            .map_err(|e| KernelError::io(dir, e))?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.extension().is_some_and(|x| x == "deb")
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&format!("{}_", pkg.name)))
            })
            .ok_or_else(|| KernelError::Download {
                package: pkg.name.clone(),
                version: pkg.version.clone(),
                suite: pkg.suite.clone(),
                detail: "apt-get reported success but left no .deb".into(),
            })?;
        let sum = sha256_file(&deb)?;
        if sum != pkg.sha256 {
            return Err(KernelError::Download {
                package: pkg.name.clone(),
                version: pkg.version.clone(),
                suite: pkg.suite.clone(),
                detail: format!(
                    "sha256 {sum} does not match the signed index ({})",
                    pkg.sha256
                ),
            });
        }
        Ok(deb)
    }
}

/// `dpkg-deb -x deb dest`.
pub fn dpkg_extract(deb: &Path, dest: &Path) -> Result<(), KernelError> {
    fs::create_dir_all(dest).map_err(|e| KernelError::io(dest, e))?;
    let out = Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb)
        .arg(dest)
        .output()
        .map_err(|e| KernelError::MissingTools {
            tools: vec![format!("dpkg-deb ({e})")],
            install: "apt-get install dpkg".into(),
        })?;
    if !out.status.success() {
        return Err(KernelError::Corrupt(format!(
            "dpkg-deb -x {} failed: {}",
            deb.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

fn write_if_changed(path: &Path, text: &str) -> Result<(), KernelError> {
    if fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text).map_err(|e| KernelError::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| KernelError::io(path, e))
}

/// From `apt-cache policy` output, the suite of the line that follows `version` in the
/// version table (`500 http://deb.debian.org/debian-security bookworm-security/main ...`).
fn policy_suite(policy: &str, version: &str) -> Option<String> {
    let mut lines = policy
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("Version table:"));
    while let Some(l) = lines.next() {
        let t = l.trim_start().trim_start_matches("***").trim_start();
        if t.split_whitespace().next() == Some(version) {
            let src = lines.next()?;
            let suite = src.split_whitespace().nth(2)?;
            return Some(suite.split('/').next()?.to_string());
        }
    }
    None
}

/// Debian version comparison (deb-version(7)): epoch, upstream, revision; `~` sorts first.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn split(v: &str) -> (u64, &str, &str) {
        let (epoch, rest) = match v.split_once(':') {
            Some((e, r)) if e.chars().all(|c| c.is_ascii_digit()) => (e.parse().unwrap_or(0), r),
            _ => (0, v),
        };
        match rest.rsplit_once('-') {
            Some((u, r)) => (epoch, u, r),
            None => (epoch, rest, ""),
        }
    }
    fn order(c: Option<char>) -> i32 {
        match c {
            None => 0,
            Some('~') => -1,
            Some(c) if c.is_ascii_alphabetic() => c as i32,
            Some(c) => c as i32 + 256,
        }
    }
    fn part(mut a: &str, mut b: &str) -> Ordering {
        while !a.is_empty() || !b.is_empty() {
            let na = a.find(|c: char| c.is_ascii_digit()).unwrap_or(a.len());
            let nb = b.find(|c: char| c.is_ascii_digit()).unwrap_or(b.len());
            let (mut sa, mut sb) = (a[..na].chars(), b[..nb].chars());
            loop {
                let (x, y) = (sa.next(), sb.next());
                if x.is_none() && y.is_none() {
                    break;
                }
                match order(x).cmp(&order(y)) {
                    Ordering::Equal => {}
                    o => return o,
                }
            }
            a = &a[na..];
            b = &b[nb..];
            let da = a.find(|c: char| !c.is_ascii_digit()).unwrap_or(a.len());
            let db = b.find(|c: char| !c.is_ascii_digit()).unwrap_or(b.len());
            let ia: u128 = a[..da].parse().unwrap_or(0);
            let ib: u128 = b[..db].parse().unwrap_or(0);
            match ia.cmp(&ib) {
                Ordering::Equal => {}
                o => return o,
            }
            a = &a[da..];
            b = &b[db..];
        }
        Ordering::Equal
    }
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| part(ua, ub))
        .then_with(|| part(ra, rb))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_version_order() {
        use Ordering::*;
        let cases = [
            ("6.1.192-2", "6.1.192-1", Greater),
            ("6.1.192-1", "6.1.90-1", Greater),
            ("6.12.57-1~bpo12+1", "6.12.57-1", Less),
            ("1:1.0", "9.9", Greater),
            ("6.12.43-1~bpo12+1", "6.12.43-1~bpo12+1", Equal),
            ("1.0a", "1.0", Greater),
            ("1.0~rc1", "1.0", Less),
        ];
        for (a, b, o) in cases {
            assert_eq!(compare_versions(a, b), o, "{a} vs {b}");
        }
    }

    #[test]
    fn suite_from_policy_output() {
        let policy = "linux-image-6.1.0-56-amd64:\n  Installed: (none)\n  Candidate: 6.1.192-2\n  Version table:\n     6.1.192-2 500\n        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages\n     6.1.176-1 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n";
        assert_eq!(
            policy_suite(policy, "6.1.192-2").as_deref(),
            Some("bookworm-security")
        );
        assert_eq!(
            policy_suite(policy, "6.1.176-1").as_deref(),
            Some("bookworm")
        );
        assert_eq!(policy_suite(policy, "9"), None);
    }
}
