//! The payload binaries (fixtures/probe) for every arch.
//!
//! `build.rs` compiles the payload for each arch whose Debian cross compiler is on PATH and
//! embeds the result. [`provide`] hands out an embedded payload as a file in a
//! content-addressed cache (`$XDG_CACHE_HOME` or `~/.cache`, then
//! `cloneabi/payloads/<sha256 prefix>/probe-<arch>`); for an arch that was not embedded it
//! compiles the embedded sources with the arch's cross gcc into the same cache. Every
//! payload is checked with [`elf_check`] before it is handed out.

mod build_cmd;
pub mod elf_check;

pub use build_cmd::{source_files, CFLAGS};

use cloneabi_arch::Arch;
use sha2::{Digest, Sha256};
use std::fmt;
use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/embedded_payloads.rs"));

include!(concat!(env!("OUT_DIR"), "/payload_sources.rs"));

/// A payload binary ready to run or to pack into an initramfs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    pub arch: Arch,
    pub path: PathBuf,
    /// sha256 of the binary, lowercase hex.
    pub build_id: String,
}

/// Why no payload could be provided.
#[derive(Debug)]
pub enum PayloadError {
    /// Not embedded, and the cross compiler to build it is not installed.
    CompilerMissing {
        arch: Arch,
        compiler: &'static str,
        packages: &'static [&'static str],
    },
    /// The compiler ran and failed.
    BuildFailed {
        arch: Arch,
        compiler: &'static str,
        message: String,
    },
    /// The binary is not what the arch needs.
    WrongElf(elf_check::ElfCheckError),
    /// The cache could not be used.
    Io { path: PathBuf, error: io::Error },
    /// Neither XDG_CACHE_HOME nor HOME is set.
    NoCacheDir,
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::CompilerMissing {
                arch,
                compiler,
                packages,
            } => write!(
                f,
                "no {arch} payload: it was not embedded at build time and {compiler} is not \
                 on PATH (Debian: apt-get install {})",
                packages.join(" ")
            ),
            PayloadError::BuildFailed {
                arch,
                compiler,
                message,
            } => write!(
                f,
                "building the {arch} payload with {compiler} failed: {message}"
            ),
            PayloadError::WrongElf(e) => write!(f, "{e}"),
            PayloadError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            PayloadError::NoCacheDir => {
                write!(f, "no cache directory: set XDG_CACHE_HOME or HOME")
            }
        }
    }
}

impl std::error::Error for PayloadError {}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> PayloadError + '_ {
    move |error| PayloadError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// The binary build.rs embedded for `arch`, if its compiler was there.
pub fn embedded(arch: Arch) -> Option<&'static [u8]> {
    EMBEDDED
        .iter()
        .find(|(name, _)| *name == arch.name())
        .map(|(_, bytes)| *bytes)
}

/// `$XDG_CACHE_HOME/cloneabi/payloads`, or `~/.cache/cloneabi/payloads`.
pub fn cache_root() -> Result<PathBuf, PayloadError> {
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => {
            PathBuf::from(std::env::var_os("HOME").ok_or(PayloadError::NoCacheDir)?).join(".cache")
        }
    };
    Ok(base.join("cloneabi").join("payloads"))
}

/// sha256 as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The payload for `arch`, from the default cache.
pub fn provide(arch: Arch) -> Result<Payload, PayloadError> {
    provide_in(arch, &cache_root()?)
}

/// The payload for `arch`, in the cache rooted at `cache`: the embedded binary, or a
/// build from the embedded sources when `arch` was not embedded.
pub fn provide_in(arch: Arch, cache: &Path) -> Result<Payload, PayloadError> {
    match embedded(arch) {
        Some(bytes) => {
            elf_check::check(arch, bytes).map_err(PayloadError::WrongElf)?;
            store(arch, cache, bytes)
        }
        None => build_from_sources(arch, cache),
    }
}

/// Writes `bytes` to `<cache>/<sha256 prefix>/probe-<arch>` (atomically; an existing
/// identical file is reused).
fn store(arch: Arch, cache: &Path, bytes: &[u8]) -> Result<Payload, PayloadError> {
    let build_id = sha256_hex(bytes);
    let dir = cache.join(&build_id[..16]);
    let path = dir.join(format!("probe-{arch}"));
    if fs::read(&path).is_ok_and(|b| b == bytes) {
        return Ok(Payload {
            arch,
            path,
            build_id,
        });
    }
    fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    // Unique per process *and* thread: tests provide the same payload from several threads.
    let tmp = dir.join(format!(
        ".probe-{arch}.{}.{:?}.tmp",
        std::process::id(),
        std::thread::current().id()
    ));
    fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)).map_err(io_err(&tmp))?;
    fs::rename(&tmp, &path).map_err(io_err(&path))?;
    Ok(Payload {
        arch,
        path,
        build_id,
    })
}

/// An exclusive flock() on a file, released on drop.
struct FileLock(fs::File);

impl FileLock {
    fn acquire(path: &Path) -> Result<FileLock, PayloadError> {
        use std::os::fd::AsRawFd;
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io_err(path))?;
        loop {
            // SAFETY: flock on a descriptor we own.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(FileLock(file));
            }
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::Interrupted {
                return Err(PayloadError::Io {
                    path: path.to_path_buf(),
                    error,
                });
            }
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: as above; closing the file would release it too.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// Compiles the embedded sources for `arch` with its Debian cross gcc into the cache at
/// `cache` (under a lock; a build of the same sources and flags is reused).
pub fn build_from_sources(arch: Arch, cache: &Path) -> Result<Payload, PayloadError> {
    let debian = &arch.abi().debian;
    let compiler = debian.cross_gcc;
    if build_cmd::find_in_path(compiler).is_none() {
        return Err(PayloadError::CompilerMissing {
            arch,
            compiler,
            packages: debian.cross_packages,
        });
    }
    fs::create_dir_all(cache).map_err(io_err(cache))?;
    let _lock = FileLock::acquire(&cache.join(format!(".build-{arch}.lock")))?;

    // Key of this build: sources, flags, compiler.
    let mut key = Sha256::new();
    for (name, text) in SOURCES {
        key.update(name.as_bytes());
        key.update([0]);
        key.update(text.as_bytes());
        key.update([0]);
    }
    for flag in CFLAGS {
        key.update(flag.as_bytes());
        key.update([0]);
    }
    key.update(compiler.as_bytes());
    key.update(cloneabi_arch::cheader::payload_header(arch).as_bytes());
    let key: String = key.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let index_dir = cache.join("by-source");
    let index = index_dir.join(format!("{}-{arch}", &key[..16]));
    if let Ok(prefix) = fs::read_to_string(&index) {
        let path = cache.join(prefix.trim()).join(format!("probe-{arch}"));
        if let Ok(bytes) = fs::read(&path) {
            if elf_check::check(arch, &bytes).is_ok() {
                return Ok(Payload {
                    arch,
                    path,
                    build_id: sha256_hex(&bytes),
                });
            }
        }
    }

    let work = cache.join(format!(".src-{arch}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    let result = (|| {
        for (name, text) in SOURCES {
            let p = work.join(name);
            fs::create_dir_all(p.parent().unwrap()).map_err(io_err(&p))?;
            fs::write(&p, text).map_err(io_err(&p))?;
        }
        let out = work.join("probe");
        build_cmd::compile(arch, compiler, &work, &work.join("gen"), &out).map_err(|message| {
            PayloadError::BuildFailed {
                arch,
                compiler,
                message,
            }
        })?;
        let bytes = fs::read(&out).map_err(io_err(&out))?;
        elf_check::check(arch, &bytes).map_err(PayloadError::WrongElf)?;
        let payload = store(arch, cache, &bytes)?;
        fs::create_dir_all(&index_dir).map_err(io_err(&index_dir))?;
        let tmp = index_dir.join(format!(
            ".{}-{arch}.{:?}.tmp",
            std::process::id(),
            std::thread::current().id()
        ));
        fs::write(&tmp, &payload.build_id[..16]).map_err(io_err(&tmp))?;
        fs::rename(&tmp, &index).map_err(io_err(&index))?;
        Ok(payload)
    })();
    let _ = fs::remove_dir_all(&work);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "cloneabi-payload-test-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn sources_are_all_embedded() {
        assert_eq!(SOURCES.len(), build_cmd::source_files().len());
        for ((name, text), file) in SOURCES.iter().zip(build_cmd::source_files()) {
            assert_eq!(*name, file);
            assert!(!text.is_empty());
        }
        let text = |name: &str| SOURCES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t);
        assert!(text("child.c").unwrap().contains("void child_entry("));
        assert!(text("payload.h").is_some());
        assert!(build_cmd::c_files().all(|f| text(f).is_some()));
    }

    #[test]
    fn provide_writes_a_content_addressed_executable() {
        let Some(host) = Arch::host() else { return };
        let Some(bytes) = embedded(host) else {
            eprintln!("skipped: no {host} payload embedded");
            return;
        };
        let cache = scratch("provide");
        let p = provide_in(host, &cache).unwrap();
        assert_eq!(p.build_id, sha256_hex(bytes));
        assert_eq!(
            p.path,
            cache.join(&p.build_id[..16]).join(format!("probe-{host}"))
        );
        assert_eq!(fs::read(&p.path).unwrap(), bytes);
        let mode = fs::metadata(&p.path).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111);
        // Again: the same file.
        assert_eq!(provide_in(host, &cache).unwrap(), p);
        fs::remove_dir_all(&cache).unwrap();
    }

    #[test]
    fn run_time_build_from_embedded_sources() {
        let arch = Arch::host().unwrap_or(Arch::X86_64);
        let cache = scratch("build");
        match build_from_sources(arch, &cache) {
            Ok(p) => {
                let bytes = fs::read(&p.path).unwrap();
                elf_check::check(arch, &bytes).unwrap();
                assert_eq!(p.build_id, sha256_hex(&bytes));
                // The second call finds it through the source index.
                assert_eq!(build_from_sources(arch, &cache).unwrap(), p);
            }
            Err(PayloadError::CompilerMissing { .. }) => {
                eprintln!("skipped: no compiler for {arch}");
            }
            Err(e) => panic!("{e}"),
        }
        let _ = fs::remove_dir_all(&cache);
    }

    #[test]
    fn a_missing_compiler_names_the_debian_packages() {
        let e = PayloadError::CompilerMissing {
            arch: Arch::S390x,
            compiler: Arch::S390x.abi().debian.cross_gcc,
            packages: Arch::S390x.abi().debian.cross_packages,
        };
        let text = e.to_string();
        assert!(text.contains("s390x-linux-gnu-gcc"), "{text}");
        assert!(text.contains("gcc-s390x-linux-gnu"), "{text}");
        assert!(text.contains("libc6-dev-s390x-cross"), "{text}");
    }
}
