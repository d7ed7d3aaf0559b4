//! Identify a kernel image's architecture before booting it.
//!
//! Each kernel arch of the ABI table names its image format
//! ([`cloneabi_arch::ImageFormat`], with its marker); an ELF vmlinux is matched against the
//! native ABIs' ELF identities (machine, class, byte order). Debian's arm64 vmlinuz is the
//! uncompressed EFI-stub Image ("MZ" PE header at 0, checked 2026-11-27 for 6.1 and 6.12);
//! a gzip'd `Image.gz` is looked into as well. x86 bzImages must also carry the 0xAA55 boot
//! flag and, for a 64-bit kernel, XLF_KERNEL_64.

use cloneabi_arch::{Arch, ImageFormat};
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The container format of a kernel image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelFormat {
    pub image: ImageFormat,
    /// The image was gzip-wrapped (`Image.gz`).
    pub gzip: bool,
}

/// What [`identify`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KernelArch {
    pub arch: Arch,
    pub format: KernelFormat,
}

#[derive(Debug)]
pub enum IdentifyError {
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    Truncated {
        path: PathBuf,
        len: u64,
    },
    Unrecognized {
        path: PathBuf,
        detail: String,
    },
    /// The image is for another arch than the one requested.
    Mismatch {
        path: PathBuf,
        expected: Arch,
        found: KernelArch,
    },
}

impl fmt::Display for IdentifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentifyError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            IdentifyError::Truncated { path, len } => write!(
                f,
                "{}: {len} bytes is too short for a kernel image (truncated download?)",
                path.display()
            ),
            IdentifyError::Unrecognized { path, detail } => write!(
                f,
                "{}: not a kernel image cloneabi recognises ({detail}); expected one of: {}",
                path.display(),
                known_formats()
            ),
            IdentifyError::Mismatch { path, expected, found } => write!(
                f,
                "{} is a {} kernel ({}{}), but a {expected} kernel was requested: refusing to boot it",
                path.display(),
                found.arch,
                found.format.image.describe(),
                if found.format.gzip { ", gzip'd" } else { "" }
            ),
        }
    }
}

impl std::error::Error for IdentifyError {}

/// Bytes read from the start of a file (enough for every marker above).
const HEAD: usize = 0x10010;

/// Identify the arch of the kernel at `path`.
pub fn identify(path: &Path) -> Result<KernelArch, IdentifyError> {
    let io = |error| IdentifyError::Io {
        path: path.to_path_buf(),
        error,
    };
    let mut f = fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let mut head = Vec::with_capacity(HEAD);
    f.by_ref()
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    identify_bytes(&head, len).map_err(|e| match e {
        Detail::Truncated => IdentifyError::Truncated {
            path: path.to_path_buf(),
            len,
        },
        Detail::Unknown(detail) => IdentifyError::Unrecognized {
            path: path.to_path_buf(),
            detail,
        },
    })
}

/// [`identify`], then refuse anything but `expected`.
pub fn check(path: &Path, expected: Arch) -> Result<KernelArch, IdentifyError> {
    // A compat ABI's programs run on its 64-bit kernel.
    let expected = expected.kernel_abi();
    let found = identify(path)?;
    if found.arch != expected {
        return Err(IdentifyError::Mismatch {
            path: path.to_path_buf(),
            expected,
            found,
        });
    }
    Ok(found)
}

enum Detail {
    Truncated,
    Unknown(String),
}

/// `head` is the start of the file (up to [`HEAD`] bytes), `len` its full length.
fn identify_bytes(head: &[u8], len: u64) -> Result<KernelArch, Detail> {
    if len < 64 {
        return Err(Detail::Truncated);
    }
    if head.starts_with(b"\x7fELF") {
        return identify_elf(head);
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        let mut inner = Vec::with_capacity(HEAD);
        let r = flate2::read::GzDecoder::new(head)
            .take(HEAD as u64)
            .read_to_end(&mut inner);
        // `head` is only the start of the stream: an early EOF is expected, garbage is not.
        if inner.len() < 0x40 {
            return Err(match r {
                Err(e) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
                    Detail::Unknown(format!("corrupt gzip data: {e}"))
                }
                _ => Detail::Truncated,
            });
        }
        return match raw_image(&inner) {
            Some(found) if gzip_wrappable(found.format.image) => Ok(KernelArch {
                format: KernelFormat {
                    gzip: true,
                    ..found.format
                },
                ..found
            }),
            _ => Err(Detail::Unknown(
                "gzip data that holds no Image cloneabi recognises".into(),
            )),
        };
    }
    if let Some(found) = raw_image(head) {
        return Ok(found);
    }
    if head.len() >= 0x240 && &head[0x202..0x206] == b"HdrS" && head[0x1fe..0x200] == [0x55, 0xaa] {
        return Err(Detail::Unknown("a 32-bit x86 bzImage".into()));
    }
    if len < 0x1000e && head.len() as u64 == len {
        // Too short to hold the s390 marker and nothing else matched.
        return Err(Detail::Unknown(format!(
            "{len} bytes without any kernel signature"
        )));
    }
    Err(Detail::Unknown("no kernel signature found".into()))
}

/// The formats the table's kernel arches use, for messages.
fn known_formats() -> String {
    let mut seen: Vec<ImageFormat> = Vec::new();
    for a in Arch::kernels() {
        let f = a.kernel_arch().image;
        if !seen.contains(&f) {
            seen.push(f);
        }
    }
    seen.iter()
        .map(|f| f.describe())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Formats a `make Image.gz` produces.
fn gzip_wrappable(f: ImageFormat) -> bool {
    matches!(f, ImageFormat::Arm64Image | ImageFormat::RiscvImage)
}

/// The kernel arch whose raw image marker `head` carries.
fn raw_image(head: &[u8]) -> Option<KernelArch> {
    Arch::kernels().find_map(|arch| {
        let image = arch.kernel_arch().image;
        let (offset, magic) = image.magic()?;
        let marked = head.get(offset..offset + magic.len()) == Some(magic);
        let valid = marked
            && match image {
                // The boot flag, and XLF_KERNEL_64 (bit 0 of xloadflags at 0x236): a 32-bit
                // kernel is no x86_64 kernel.
                ImageFormat::BzImage => {
                    head.len() >= 0x240
                        && head[0x1fe..0x200] == [0x55, 0xaa]
                        && u16::from_le_bytes([head[0x236], head[0x237]]) & 1 == 1
                }
                _ => true,
            };
        valid.then_some(KernelArch {
            arch,
            format: KernelFormat { image, gzip: false },
        })
    })
}

fn identify_elf(head: &[u8]) -> Result<KernelArch, Detail> {
    use goblin::elf::header;
    if head.len() < header::header64::SIZEOF_EHDR {
        return Err(Detail::Truncated);
    }
    let h = goblin::elf::Elf::parse_header(head)
        .map_err(|e| Detail::Unknown(format!("bad ELF header: {e}")))?;
    let class64 = h.e_ident[header::EI_CLASS] == header::ELFCLASS64;
    let little = h.e_ident[header::EI_DATA] == header::ELFDATA2LSB;
    let found = Arch::kernels().find(|a| {
        let elf = a.abi().elf;
        elf.machine == h.e_machine
            && elf.class64 == class64
            && (elf.data == cloneabi_arch::Endian::Little) == little
    });
    match found {
        Some(arch) => Ok(KernelArch {
            arch,
            format: KernelFormat {
                image: ImageFormat::Elf,
                gzip: false,
            },
        }),
        None => Err(Detail::Unknown(format!(
            "ELF for machine {} ({}-bit, {}-endian), no arch cloneabi covers",
            header::machine_to_str(h.e_machine),
            if class64 { 64 } else { 32 },
            if little { "little" } else { "big" }
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut f, bytes).unwrap();
        f
    }

    #[test]
    fn synthetic_headers() {
        let mut bz = vec![0u8; 0x1000];
        bz[0x1fe] = 0x55;
        bz[0x1ff] = 0xaa;
        bz[0x202..0x206].copy_from_slice(b"HdrS");
        bz[0x236] = 1;
        let f = write(&bz);
        assert_eq!(identify(f.path()).unwrap().arch, Arch::X86_64);

        let mut img = vec![0u8; 0x1000];
        img[0x38..0x3c].copy_from_slice(b"ARM\x64");
        assert_eq!(
            identify(write(&img).path()).unwrap(),
            KernelArch {
                arch: Arch::Aarch64,
                format: KernelFormat {
                    image: ImageFormat::Arm64Image,
                    gzip: false
                }
            }
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &img).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(
            identify(write(&gz).path()).unwrap().format,
            KernelFormat {
                image: ImageFormat::Arm64Image,
                gzip: true
            }
        );
        // A 32-bit bzImage is refused as such.
        bz[0x236] = 0;
        let e = identify(write(&bz).path()).unwrap_err().to_string();
        assert!(e.contains("32-bit x86 bzImage"), "{e}");

        let mut s390 = vec![0u8; 0x20000];
        s390[0x10008..0x1000e].copy_from_slice(b"S390EP");
        assert_eq!(identify(write(&s390).path()).unwrap().arch, Arch::S390x);
    }

    #[test]
    fn elf_endianness_tells_ppc64_from_ppc64le() {
        let mut e = vec![0u8; 64];
        e[..4].copy_from_slice(b"\x7fELF");
        e[4] = 2; // ELFCLASS64
        e[5] = 2; // big-endian
        e[6] = 1;
        e[18..20].copy_from_slice(&21u16.to_be_bytes()); // EM_PPC64
        e[52..54].copy_from_slice(&64u16.to_be_bytes());
        assert_eq!(identify(write(&e).path()).unwrap().arch, Arch::Powerpc64);
        e[5] = 1;
        e[18..20].copy_from_slice(&21u16.to_le_bytes());
        e[52..54].copy_from_slice(&64u16.to_le_bytes());
        assert_eq!(identify(write(&e).path()).unwrap().arch, Arch::Powerpc64le);
        let err = check(write(&e).path(), Arch::Powerpc64)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("powerpc64le kernel") && err.contains("powerpc64 kernel was requested"),
            "{err}"
        );
    }

    #[test]
    fn corrupt_inputs_give_clear_errors() {
        let e = identify(write(b"\x7fELF\x02").path()).unwrap_err();
        assert!(matches!(e, IdentifyError::Truncated { .. }), "{e}");
        assert!(e.to_string().contains("too short"), "{e}");

        // Deterministic pseudo-random bytes.
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let noise: Vec<u8> = (0..0x20000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        let e = identify(write(&noise).path()).unwrap_err();
        assert!(matches!(e, IdentifyError::Unrecognized { .. }), "{e}");
        assert!(e.to_string().contains("not a kernel image"), "{e}");

        // gzip magic followed by garbage.
        let mut bad = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        bad.extend_from_slice(&noise[..4096]);
        let e = identify(write(&bad).path()).unwrap_err();
        assert!(
            e.to_string().contains("gzip") || e.to_string().contains("too short"),
            "{e}"
        );

        let e = identify(Path::new("/nonexistent/vmlinuz")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/vmlinuz"), "{e}");
    }
}
