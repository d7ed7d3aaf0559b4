//! The kernel cache under faults, through the real fetch code with a stand-in apt first on
//! PATH (apt-get and apt-cache serving one small arm64 kernel package built here with
//! dpkg-deb, so nothing is downloaded):
//! - a fetch killed with SIGKILL halfway through the download: nothing half-written is
//!   trusted, the next fetch downloads again and cleans up what the killed one left;
//! - two fetches into one cache at the same time: both succeed with the same entry;
//! - a cache directory that cannot be written, and one on a full filesystem (a small
//!   tmpfs): the error names the fix, and nothing is left half-written.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PACKAGE: &str = "linux-image-6.1.0-99-arm64";
const VERSION: &str = "6.1.999-1";

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A directory with the stand-in apt-get and apt-cache and the package they serve.
struct FakeApt {
    dir: tempfile::TempDir,
}

impl FakeApt {
    fn new() -> FakeApt {
        let dir = tempfile::Builder::new()
            .prefix("cloneabi-fakeapt-")
            .tempdir()
            .unwrap();
        let root = dir.path().join("pkg");
        std::fs::create_dir_all(root.join("boot")).unwrap();
        std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
        // An arm64 Image header over 2 MiB of incompressible bytes, so the package is big
        // enough to be caught halfway.
        let mut image = vec![0u8; 2 << 20];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for b in image.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        image[0x38..0x3c].copy_from_slice(b"ARM\x64");
        std::fs::write(root.join("boot/vmlinuz-6.1.0-99-arm64"), image).unwrap();
        std::fs::write(
            root.join("DEBIAN/control"),
            format!("Package: {PACKAGE}\nVersion: {VERSION}\nArchitecture: arm64\nMaintainer: test <test@example.org>\nDescription: stand-in kernel\n"),
        )
        .unwrap();
        let deb = dir.path().join("kernel.deb");
        let out = Command::new("dpkg-deb")
            .args(["-Znone", "--build"])
            .arg(&root)
            .arg(&deb)
            .output()
            .expect("dpkg-deb runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(&deb).unwrap();
        let sha = {
            let o = Command::new("sha256sum").arg(&deb).output().unwrap();
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .next()
                .unwrap()
                .to_string()
        };
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let half = bytes.len() / 2;
        let deb_s = deb.display();
        write_script(
            &bin.join("apt-cache"),
            &format!(
                r#"#!/bin/sh
case "$*" in
  "show --no-all-versions linux-image-arm64") echo "Package: linux-image-arm64"; echo "Depends: {PACKAGE} (= {VERSION})" ;;
  "show --no-all-versions {PACKAGE}") echo "Package: {PACKAGE}"; echo "Version: {VERSION}"; echo "SHA256: {sha}"; echo "Size: {size}" ;;
  "policy {PACKAGE}") echo "{PACKAGE}:"; echo "  Candidate: {VERSION}" ;;
  *) echo "E: stand-in apt-cache does not know: $*" >&2; exit 100 ;;
esac
"#,
                size = bytes.len()
            ),
        );
        write_script(
            &bin.join("apt-get"),
            &format!(
                r#"#!/bin/sh
out="{PACKAGE}_{VERSION}_arm64.deb"
case "$*" in
  "-q update") exit 0 ;;
  "-q download {PACKAGE}={VERSION}")
    if [ -n "$FAKE_APT_PAUSE" ]; then
      # Half the file, then a pause for the test to act in.
      head -c {half} {deb_s} > "$out" || {{ echo "E: Write error - write (28: No space left on device)" >&2; exit 100; }}
      sleep "$FAKE_APT_PAUSE"
      tail -c +{rest} {deb_s} >> "$out" || {{ echo "E: Write error - write (28: No space left on device)" >&2; exit 100; }}
    else
      cat {deb_s} > "$out" || {{ echo "E: Write error - write (28: No space left on device)" >&2; exit 100; }}
    fi
    exit 0 ;;
  *) echo "E: stand-in apt-get does not know: $*" >&2; exit 100 ;;
esac
"#,
                rest = half + 1
            ),
        );
        FakeApt { dir }
    }

    fn path(&self) -> std::ffi::OsString {
        let mut dirs = vec![self.dir.path().join("bin")];
        dirs.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        std::env::join_paths(dirs).unwrap()
    }

    /// `cloneabi kernels fetch --release bookworm --arch aarch64` into `cache`.
    fn fetch(&self, cache: &Path, pause: Option<u32>) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cloneabi"));
        c.args([
            "kernels",
            "fetch",
            "--release",
            "bookworm",
            "--arch",
            "aarch64",
        ])
        .env("PATH", self.path())
        .env("CLONEABI_CACHE", cache)
        .env("CLONEABI_APT_TTL", "0");
        if let Some(p) = pause {
            c.env("FAKE_APT_PAUSE", p.to_string());
        }
        c
    }
}

fn write_script(p: &Path, body: &str) {
    std::fs::write(p, body).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

/// The cache's kernel entries (directories holding a kernel.json).
fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![cache.join("kernels")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "kernel.json") {
                found.push(d.clone());
            }
        }
    }
    found
}

fn staged(cache: &Path) -> Vec<String> {
    std::fs::read_dir(cache.join("tmp"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// The fetched entry checks out: `kernels list` (which verifies the sha256) shows it.
fn listed(apt: &FakeApt, cache: &Path) -> bool {
    let o = Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(["kernels", "list"])
        .env("PATH", apt.path())
        .env("CLONEABI_CACHE", cache)
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).contains(VERSION)
}

#[test]
fn a_fetch_killed_halfway_is_never_trusted_and_the_next_one_cleans_up() {
    let apt = FakeApt::new();
    let cache = apt.dir.path().join("cache");
    let mut child = apt
        .fetch(&cache, Some(30))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the half-written package in a staging directory.
    let start = Instant::now();
    let partial = loop {
        let found = staged(&cache).into_iter().find_map(|s| {
            std::fs::read_dir(cache.join("tmp").join(&s))
                .ok()?
                .flatten()
                .find(|e| e.file_name().to_string_lossy().ends_with(".deb"))
                .map(|e| e.path())
        });
        if let Some(p) = found.filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0)) {
            break p;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no download started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // What a CI runner does at its timeout: SIGKILL to the whole job.
    // SAFETY: signalling the process group we created.
    unsafe { libc::killpg(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
    assert!(partial.exists(), "the killed fetch left its partial file");
    assert!(entries(&cache).is_empty(), "a half-written entry");
    assert!(!listed(&apt, &cache));

    let again = apt.fetch(&cache, None).output().unwrap();
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(entries(&cache).len(), 1);
    assert!(listed(&apt, &cache));
    assert_eq!(
        staged(&cache),
        Vec::<String>::new(),
        "left in the cache's tmp"
    );
}

#[test]
fn two_fetches_into_one_cache_at_once_both_succeed() {
    let apt = FakeApt::new();
    let cache = apt.dir.path().join("cache");
    let a = apt
        .fetch(&cache, Some(1))
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let b = apt
        .fetch(&cache, Some(1))
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", text(&a));
    assert!(b.status.success(), "{}", text(&b));
    assert_eq!(a.stdout, b.stdout, "both name the same entry");
    assert_eq!(entries(&cache).len(), 1);
    assert!(listed(&apt, &cache));
    assert_eq!(staged(&cache), Vec::<String>::new());
}

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, options: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(at).unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| e.to_string())?;
        if !o.status.success() {
            return Err(format!(
                "mount -t tmpfs: {}",
                String::from_utf8_lossy(&o.stderr)
            ));
        }
        Ok(Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn tmpfs_or_skip(at: &Path, options: &str) -> Option<Tmpfs> {
    match Tmpfs::mount(at, options) {
        Ok(t) => Some(t),
        Err(reason) => {
            assert!(!ci(), "CI=true: {reason}");
            eprintln!("SKIP: {reason}");
            None
        }
    }
}

#[test]
fn an_unwritable_cache_names_the_fix() {
    let apt = FakeApt::new();
    let cache = apt.dir.path().join("ro");
    let Some(_fs) = tmpfs_or_skip(&cache, "ro,size=1m") else {
        return;
    };
    let o = apt.fetch(&cache, None).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("not writable") && t.contains("set CLONEABI_CACHE"),
        "{t}"
    );
}

#[test]
fn a_full_cache_filesystem_names_the_fix_and_leaves_nothing_half_written() {
    let apt = FakeApt::new();
    let cache = apt.dir.path().join("small");
    // Room for apt's state, not for the 2 MiB package.
    let Some(_fs) = tmpfs_or_skip(&cache, "size=1m") else {
        return;
    };
    let o = apt.fetch(&cache, None).output().unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("No space left on device"), "{t}");
    assert!(
        t.contains("set CLONEABI_CACHE to a directory with room"),
        "{t}"
    );
    assert!(entries(&cache).is_empty());
    assert_eq!(staged(&cache), Vec::<String>::new());
}
