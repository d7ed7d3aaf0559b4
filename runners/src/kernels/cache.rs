//! The cache directory: location, locks, atomic commits.

use super::{KernelError, KernelImage, KernelMeta, META_FILE};
use std::fs;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// cloneabi's cache directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// `$CLONEABI_CACHE`, else `$XDG_CACHE_HOME/cloneabi`, else `~/.cache/cloneabi`; created
    /// if missing and checked for writability.
    pub fn from_env() -> Result<Cache, KernelError> {
        let nonempty = |k: &str| {
            std::env::var_os(k)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let root = if let Some(p) = nonempty("CLONEABI_CACHE") {
            p
        } else if let Some(p) = nonempty("XDG_CACHE_HOME") {
            p.join("cloneabi")
        } else if let Some(p) = nonempty("HOME") {
            p.join(".cache").join("cloneabi")
        } else {
            return Err(KernelError::Other(
                "no cache directory: neither CLONEABI_CACHE, XDG_CACHE_HOME nor HOME is set; set CLONEABI_CACHE"
                    .into(),
            ));
        };
        Cache::at(root)
    }

    /// A cache rooted at `root`, created if missing and checked for writability.
    pub fn at(root: impl Into<PathBuf>) -> Result<Cache, KernelError> {
        let root = root.into();
        let unwritable = |error| KernelError::CacheUnwritable {
            path: root.clone(),
            error,
        };
        fs::create_dir_all(&root).map_err(unwritable)?;
        tempfile::Builder::new()
            .prefix(".write-test")
            .tempfile_in(&root)
            .map_err(unwritable)?;
        Ok(Cache { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn kernels_dir(&self) -> PathBuf {
        self.root.join("kernels")
    }
    pub fn apt_dir(&self) -> PathBuf {
        self.root.join("apt")
    }
    pub fn build_dir(&self) -> PathBuf {
        self.root.join("build")
    }

    /// A fresh staging directory on the cache's filesystem, removed on drop. Its name
    /// carries this process's pid, so the staging directories of a process that was killed
    /// (and never ran its destructors) are recognised and removed here.
    pub fn staging(&self) -> Result<tempfile::TempDir, KernelError> {
        let tmp = self.root.join("tmp");
        fs::create_dir_all(&tmp).map_err(|e| KernelError::io(&tmp, e))?;
        remove_orphaned_stages(&tmp);
        tempfile::Builder::new()
            .prefix(&format!("stage-{}-", std::process::id()))
            .tempdir_in(&tmp)
            .map_err(|e| KernelError::io(&tmp, e))
    }

    /// An exclusive `flock()` on `<cache>/locks/<name>.lock`, held until dropped. Blocks.
    pub fn lock(&self, name: &str) -> Result<CacheLock, KernelError> {
        let dir = self.root.join("locks");
        fs::create_dir_all(&dir).map_err(|e| KernelError::io(&dir, e))?;
        let path = dir.join(format!("{name}.lock"));
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| KernelError::io(&path, e))?;
        loop {
            // SAFETY: flock on a file descriptor we own.
            let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
            if r == 0 {
                return Ok(CacheLock { _file: file });
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(KernelError::io(&path, e));
            }
        }
    }

    /// Write `meta` as the last file of the staged directory `entry` (fsync'ed), then
    /// rename `entry` to `dest`. An existing valid `dest` wins (another process was
    /// faster); an invalid one is replaced.
    pub(crate) fn commit_entry(
        &self,
        entry: &Path,
        meta: &KernelMeta,
        dest: &Path,
    ) -> Result<KernelImage, KernelError> {
        let image = entry.join(&meta.file);
        fs::File::open(&image)
            .and_then(|f| f.sync_all())
            .map_err(|e| KernelError::io(&image, e))?;
        let meta_path = entry.join(META_FILE);
        let mut f = fs::File::create(&meta_path).map_err(|e| KernelError::io(&meta_path, e))?;
        let text = serde_json::to_string_pretty(meta).expect("metadata serialises");
        f.write_all(text.as_bytes())
            .and_then(|_| f.write_all(b"\n"))
            .and_then(|_| f.sync_all())
            .map_err(|e| KernelError::io(&meta_path, e))?;
        // Check what we are about to publish.
        KernelImage::load(entry, true)?;
        let parent = dest.parent().expect("kernel dir has a parent");
        fs::create_dir_all(parent).map_err(|e| KernelError::io(parent, e))?;
        if dest.exists() {
            if let Ok(k) = KernelImage::load(dest, true) {
                return Ok(k);
            }
            // Untrusted leftovers: move aside, then delete.
            let trash = self.staging()?;
            fs::rename(dest, trash.path().join("old")).map_err(|e| KernelError::io(dest, e))?;
        }
        fs::rename(entry, dest).map_err(|e| KernelError::io(dest, e))?;
        if let Ok(d) = fs::File::open(parent) {
            let _ = d.sync_all();
        }
        KernelImage::load(dest, false)
    }
}

/// An exclusive lock in the cache; released on drop.
#[derive(Debug)]
pub struct CacheLock {
    _file: fs::File,
}

/// Removes `stage-<pid>-*` directories under `tmp` whose process is gone: what a download
/// or build killed halfway left. Never trusted (only a renamed, checked entry is), only
/// cleaned up.
fn remove_orphaned_stages(tmp: &Path) {
    let Ok(entries) = fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix("stage-")
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::{Origin, Release};

    fn meta(file: &str, data: &[u8]) -> KernelMeta {
        KernelMeta {
            schema: super::super::META_SCHEMA,
            arch: "x86_64".into(),
            release: Some(Release::Bookworm),
            package: "linux-image-test".into(),
            package_version: "1.0".into(),
            kernel_release: "6.1.0-1-amd64".into(),
            file: file.into(),
            size: data.len() as u64,
            sha256: super::super::sha256_bytes(data),
            origin: Origin::Debian {
                suite: "bookworm".into(),
                requested: None,
            },
            created: 0,
        }
    }

    #[test]
    fn unwritable_cache_names_the_path_and_the_fix() {
        let err = Cache::at("/proc/cloneabi-cache-test").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/proc/cloneabi-cache-test"), "{msg}");
        assert!(msg.contains("CLONEABI_CACHE"), "{msg}");
    }

    #[test]
    fn commit_then_load_and_reject_tampering() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::at(tmp.path()).unwrap();
        let stage = cache.staging().unwrap();
        let entry = stage.path().join("entry");
        fs::create_dir(&entry).unwrap();
        let data = b"not really a kernel";
        fs::write(entry.join("vmlinuz-x"), data).unwrap();
        let dest = cache.kernels_dir().join("bookworm/x86_64/1.0");
        let k = cache
            .commit_entry(&entry, &meta("vmlinuz-x", data), &dest)
            .unwrap();
        assert_eq!(k.path, dest.join("vmlinuz-x"));
        assert!(KernelImage::load(&dest, true).is_ok());
        assert_eq!(crate::kernels::list(&cache).len(), 1);
        // Same size, different bytes: only the full check notices.
        fs::write(dest.join("vmlinuz-x"), b"not really a kernem").unwrap();
        assert!(KernelImage::load(&dest, false).is_ok());
        let e = KernelImage::load(&dest, true).unwrap_err().to_string();
        assert!(e.contains("sha256"), "{e}");
        assert!(
            crate::kernels::cached(Release::Bookworm, cloneabi_arch::Arch::X86_64, &cache)
                .is_none()
        );
    }

    #[test]
    fn built_kernels_are_listed_but_are_no_release_kernel() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::at(tmp.path()).unwrap();
        let commit = |file: &str, data: &[u8], meta: KernelMeta, dest: &str| {
            let stage = cache.staging().unwrap();
            let entry = stage.path().join("entry");
            fs::create_dir(&entry).unwrap();
            fs::write(entry.join(file), data).unwrap();
            cache
                .commit_entry(&entry, &meta, &cache.kernels_dir().join(dest))
                .unwrap()
        };
        let built = |m: KernelMeta| KernelMeta {
            origin: Origin::Built {
                source_package: "linux-source-6.1".into(),
                source_version: "9.9".into(),
                config_sha256: "0".repeat(64),
                build_seconds: 1.0,
                compiler: String::new(),
            },
            package_version: "9.9".into(),
            ..m
        };
        let debian = commit(
            "vmlinuz-d",
            b"debian",
            meta("vmlinuz-d", b"debian"),
            "bookworm/x86_64/1.0",
        );
        // Newer than Debian's, from the same release's source: still not "the bookworm kernel".
        commit(
            "bzImage-b",
            b"built",
            built(meta("bzImage-b", b"built")),
            "bookworm/x86_64/9.9+cfg000000000000",
        );
        let tree = commit(
            "bzImage-t",
            b"tree",
            KernelMeta {
                release: None,
                ..built(meta("bzImage-t", b"tree"))
            },
            "tree/x86_64/abc/v6.1+cfg000000000000",
        );
        assert_eq!(crate::kernels::list(&cache).len(), 3);
        let found =
            crate::kernels::cached(Release::Bookworm, cloneabi_arch::Arch::X86_64, &cache).unwrap();
        assert_eq!(found.path, debian.path);
        let again = KernelImage::of_image(&tree.path).unwrap();
        assert_eq!((again.release, again.path), (None, tree.path.clone()));
        assert!(KernelImage::of_image(&tmp.path().join("elsewhere")).is_none());
    }

    #[test]
    fn entry_without_metadata_is_not_trusted() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::at(tmp.path()).unwrap();
        let dest = cache.kernels_dir().join("bookworm/x86_64/1.0");
        fs::create_dir_all(&dest).unwrap();
        fs::write(dest.join("vmlinuz-x"), b"half a download").unwrap();
        assert!(KernelImage::load(&dest, false).is_err());
        assert!(crate::kernels::list(&cache).is_empty());
        // A later commit replaces the leftovers.
        let stage = cache.staging().unwrap();
        let entry = stage.path().join("entry");
        fs::create_dir(&entry).unwrap();
        fs::write(entry.join("vmlinuz-x"), b"whole").unwrap();
        let k = cache
            .commit_entry(&entry, &meta("vmlinuz-x", b"whole"), &dest)
            .unwrap();
        assert_eq!(fs::read(k.path).unwrap(), b"whole");
    }
}
