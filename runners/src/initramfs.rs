//! The initramfs for qemu-system boots: a newc cpio archive written in Rust (no root, no
//! `cpio` binary), uncompressed (every kernel accepts plain newc).
//!
//! It always holds `/dev` (0755), `/dev/console` (character device 5,1, so the kernel can
//! open the console for `/init` before any devtmpfs exists) and `/init` (0755); extra files
//! (e.g. `/cloneabi.batch`) get their parent directories created.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{self, Read, Write};
use std::path::Path;

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFCHR: u32 = 0o020000;

/// One archive member, as written or as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Path without the leading `/` (cpio convention), e.g. `dev/console`.
    pub name: String,
    /// Full st_mode: file type and permissions.
    pub mode: u32,
    pub rdev: (u32, u32),
    pub data: Vec<u8>,
}

impl Entry {
    pub fn is_dir(&self) -> bool {
        self.mode & 0o170000 == S_IFDIR
    }
    pub fn is_char_device(&self) -> bool {
        self.mode & 0o170000 == S_IFCHR
    }
    pub fn is_file(&self) -> bool {
        self.mode & 0o170000 == S_IFREG
    }
}

#[derive(Debug)]
pub enum InitramfsError {
    BadPath(String),
    Duplicate(String),
    TooLarge(String),
    Io(io::Error),
}

impl fmt::Display for InitramfsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitramfsError::BadPath(p) => write!(
                f,
                "initramfs path '{p}' must be absolute, without '..' or empty components"
            ),
            InitramfsError::Duplicate(p) => write!(f, "initramfs path '{p}' given twice"),
            InitramfsError::TooLarge(p) => {
                write!(f, "initramfs file '{p}' exceeds 4 GiB (newc limit)")
            }
            InitramfsError::Io(e) => write!(f, "initramfs: {e}"),
        }
    }
}

impl std::error::Error for InitramfsError {}

impl From<io::Error> for InitramfsError {
    fn from(e: io::Error) -> Self {
        InitramfsError::Io(e)
    }
}

/// Builds an initramfs around an `/init`.
#[derive(Clone, Debug)]
pub struct Initramfs {
    init: Vec<u8>,
    files: Vec<(String, Vec<u8>, u32)>,
}

impl Initramfs {
    /// `init` becomes `/init`, mode 0755.
    pub fn new(init: impl Into<Vec<u8>>) -> Self {
        Initramfs {
            init: init.into(),
            files: Vec::new(),
        }
    }

    /// Add a regular file at absolute `path` with permission bits `perm` (e.g. 0o644).
    pub fn file(mut self, path: &str, data: impl Into<Vec<u8>>, perm: u32) -> Self {
        self.files
            .push((path.to_string(), data.into(), perm & 0o7777));
        self
    }

    /// The archive bytes.
    pub fn build(&self) -> Result<Vec<u8>, InitramfsError> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut dirs = BTreeSet::new();
        let mut names = BTreeSet::new();
        push_dirs("dev/console", &mut entries, &mut dirs);
        entries.push(Entry {
            name: "dev/console".into(),
            mode: S_IFCHR | 0o600,
            rdev: (5, 1),
            data: vec![],
        });
        names.insert("dev/console".to_string());
        entries.push(Entry {
            name: "init".into(),
            mode: S_IFREG | 0o755,
            rdev: (0, 0),
            data: self.init.clone(),
        });
        names.insert("init".to_string());
        for (path, data, perm) in &self.files {
            let name = normalise(path)?;
            if dirs.contains(&name) || !names.insert(name.clone()) {
                return Err(InitramfsError::Duplicate(path.clone()));
            }
            push_dirs(&name, &mut entries, &mut dirs);
            entries.push(Entry {
                name,
                mode: S_IFREG | perm,
                rdev: (0, 0),
                data: data.clone(),
            });
        }
        write_newc(&entries)
    }

    /// Write the archive to `path` (via a temporary file and rename).
    pub fn write_to(&self, path: &Path) -> Result<(), InitramfsError> {
        let bytes = self.build()?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        tmp.write_all(&bytes)?;
        tmp.persist(path).map_err(|e| InitramfsError::Io(e.error))?;
        Ok(())
    }
}

fn push_dirs(name: &str, entries: &mut Vec<Entry>, dirs: &mut BTreeSet<String>) {
    let mut acc = String::new();
    let comps: Vec<&str> = name.split('/').collect();
    for c in &comps[..comps.len() - 1] {
        if !acc.is_empty() {
            acc.push('/');
        }
        acc.push_str(c);
        if dirs.insert(acc.clone()) {
            entries.push(Entry {
                name: acc.clone(),
                mode: S_IFDIR | 0o755,
                rdev: (0, 0),
                data: vec![],
            });
        }
    }
}

/// A second archive of extra files (with their parent directories) to append to one built
/// by [`Initramfs::build`]: the kernel unpacks concatenated newc archives in order, so a
/// cached base archive can be reused with per-run files after it.
pub fn overlay(files: &[(&str, &[u8], u32)]) -> Result<Vec<u8>, InitramfsError> {
    let mut entries = Vec::new();
    let mut dirs = BTreeSet::new();
    let mut names = BTreeSet::new();
    for (path, data, perm) in files {
        let name = normalise(path)?;
        if name == "init" || name == "dev" || name == "dev/console" {
            return Err(InitramfsError::Duplicate(path.to_string()));
        }
        if dirs.contains(&name) || !names.insert(name.clone()) {
            return Err(InitramfsError::Duplicate(path.to_string()));
        }
        push_dirs(&name, &mut entries, &mut dirs);
        entries.push(Entry {
            name,
            mode: S_IFREG | (perm & 0o7777),
            rdev: (0, 0),
            data: data.to_vec(),
        });
    }
    write_newc(&entries)
}

fn normalise(path: &str) -> Result<String, InitramfsError> {
    let bad = || InitramfsError::BadPath(path.to_string());
    let rest = path.strip_prefix('/').ok_or_else(bad)?;
    if rest.is_empty()
        || rest
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(bad());
    }
    Ok(rest.to_string())
}

fn write_newc(entries: &[Entry]) -> Result<Vec<u8>, InitramfsError> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let size =
            u32::try_from(e.data.len()).map_err(|_| InitramfsError::TooLarge(e.name.clone()))?;
        let mut w = cpio::newc::Builder::new(&e.name)
            .ino(i as u32 + 1)
            .mode(e.mode)
            .uid(0)
            .gid(0)
            .nlink(if e.is_dir() { 2 } else { 1 })
            .mtime(0)
            .rdev_major(e.rdev.0)
            .rdev_minor(e.rdev.1)
            .write(&mut out, size);
        w.write_all(&e.data)?;
        w.finish()?;
    }
    cpio::newc::trailer(&mut out)?;
    Ok(out)
}

/// Read a newc archive back (trailer excluded).
pub fn parse(bytes: &[u8]) -> Result<Vec<Entry>, InitramfsError> {
    let mut out = Vec::new();
    let mut rest: &[u8] = bytes;
    loop {
        let mut r = cpio::newc::Reader::new(rest)?;
        let (name, mode, rdev) = {
            let e = r.entry();
            if e.is_trailer() {
                break;
            }
            (
                e.name().to_string(),
                e.mode(),
                (e.rdev_major(), e.rdev_minor()),
            )
        };
        let mut data = Vec::new();
        r.read_to_end(&mut data)?;
        rest = r.finish()?;
        out.push(Entry {
            name,
            mode,
            rdev,
            data,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_holds_init_console_and_extras() {
        let bytes = Initramfs::new(b"\x7fELF fake init".to_vec())
            .file("/cloneabi.batch", b"batch".to_vec(), 0o644)
            .file("/etc/cloneabi/a.txt", b"x".to_vec(), 0o600)
            .build()
            .unwrap();
        assert_eq!(&bytes[..6], b"070701");
        assert_eq!(bytes.len() % 4, 0);
        let entries = parse(&bytes).unwrap();
        let get = |n: &str| {
            entries
                .iter()
                .find(|e| e.name == n)
                .unwrap_or_else(|| panic!("{n} missing"))
        };
        assert!(get("dev").is_dir());
        let console = get("dev/console");
        assert!(console.is_char_device());
        assert_eq!(console.rdev, (5, 1));
        let init = get("init");
        assert!(init.is_file());
        assert_eq!(init.mode & 0o7777, 0o755);
        assert_eq!(init.data, b"\x7fELF fake init");
        assert_eq!(get("cloneabi.batch").data, b"batch");
        assert!(get("etc").is_dir() && get("etc/cloneabi").is_dir());
        assert_eq!(get("etc/cloneabi/a.txt").mode, S_IFREG | 0o600);
        // Directories precede their contents.
        let pos = |n: &str| entries.iter().position(|e| e.name == n).unwrap();
        assert!(pos("etc/cloneabi") < pos("etc/cloneabi/a.txt"));
        assert!(pos("dev") < pos("dev/console"));
    }

    #[test]
    fn bad_paths_are_refused() {
        for p in ["relative", "/", "/a/../b", "/a//b", "/init"] {
            assert!(
                Initramfs::new(vec![])
                    .file(p, vec![], 0o644)
                    .build()
                    .is_err(),
                "{p}"
            );
        }
        assert!(Initramfs::new(vec![])
            .file("/dev", vec![], 0o644)
            .build()
            .is_err());
    }

    #[test]
    fn an_overlay_appended_to_a_base_adds_its_files() {
        let mut bytes = Initramfs::new(vec![1]).build().unwrap();
        let extra = overlay(&[("/cloneabi/bin/t", b"prog", 0o755)]).unwrap();
        assert_eq!(extra.len() % 4, 0);
        bytes.extend_from_slice(&extra);
        // The first archive parses to its trailer; the second one follows it.
        let second = parse(&extra).unwrap();
        let names: Vec<_> = second.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["cloneabi", "cloneabi/bin", "cloneabi/bin/t"]);
        assert_eq!(second[2].mode, S_IFREG | 0o755);
        for p in ["/init", "/dev/console", "/dev"] {
            assert!(overlay(&[(p, b"", 0o644)]).is_err(), "{p}");
        }
    }

    #[test]
    fn write_to_file_and_parse() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("initrd.cpio");
        Initramfs::new(vec![1, 2, 3]).write_to(&p).unwrap();
        let e = parse(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(
            e.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            ["dev", "dev/console", "init"]
        );
    }
}
