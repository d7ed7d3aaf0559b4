//! x86_64: the ELF vmlinux inside a bzImage, so QEMU can use the PVH entry point and skip
//! SeaBIOS plus the kernel's own decompressor (scripts/extract-vmlinux, but using the
//! setup header's payload_offset/payload_length instead of scanning for magic bytes).

use super::QemuError;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Compressors the x86 boot code supports: magic, command, Debian package.
const FORMATS: &[(&[u8], &[&str], &str)] = &[
    (&[0x1f, 0x8b], &["gzip", "-dc"], "gzip"),
    (
        &[0xfd, b'7', b'z', b'X', b'Z', 0],
        &["xz", "-dc", "--single-stream"],
        "xz-utils",
    ),
    (&[0x28, 0xb5, 0x2f, 0xfd], &["zstd", "-dc"], "zstd"),
    (&[0x02, 0x21, 0x4c, 0x18], &["lz4", "-dc"], "lz4"),
    (&[0x5d, 0, 0], &["xz", "--format=lzma", "-dc"], "xz-utils"),
    (b"BZh", &["bzip2", "-dc"], "bzip2"),
    (&[0x89, b'L', b'Z', b'O'], &["lzop", "-dc"], "lzop"),
];

/// Decompress the payload of `bzimage` and return the ELF vmlinux bytes.
pub fn extract(bzimage: &[u8]) -> Result<Vec<u8>, QemuError> {
    let bad = |m: &str| QemuError::Kernel(format!("corrupt or unsupported kernel image: {m}"));
    if bzimage.len() < 0x250 || &bzimage[0x202..0x206] != b"HdrS" {
        return Err(bad("no setup header"));
    }
    let version = u16::from_le_bytes([bzimage[0x206], bzimage[0x207]]);
    if version < 0x208 {
        return Err(bad(&format!(
            "boot protocol {version:#x} has no payload fields (needs 2.08)"
        )));
    }
    let setup_sects = match bzimage[0x1f1] {
        0 => 4,
        n => n as usize,
    };
    let pm = (setup_sects + 1) * 512;
    let off = u32::from_le_bytes(bzimage[0x248..0x24c].try_into().unwrap()) as usize;
    let len = u32::from_le_bytes(bzimage[0x24c..0x250].try_into().unwrap()) as usize;
    let payload = bzimage
        .get(pm + off..pm + off + len)
        .ok_or_else(|| bad("payload outside the file (truncated?)"))?;
    let (magic, cmd, pkg) = FORMATS
        .iter()
        .find(|(m, _, _)| payload.starts_with(m))
        .ok_or_else(|| {
            bad(&format!(
                "unknown payload compression {:02x?}",
                &payload[..payload.len().min(6)]
            ))
        })?;
    let mut child = Command::new(cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| QemuError::Missing {
            binary: cmd[0].to_string(),
            package: pkg.to_string(),
            detail: format!("needed to extract the vmlinux from a bzImage: {e}"),
        })?;
    let mut stdin = child.stdin.take().unwrap();
    // Every compressor but gzip gets the decompressed size appended as 4 bytes by the
    // kernel build (scripts/Makefile.lib's `*_with_size`); zstd refuses them as a
    // truncated frame, so they are not passed on.
    let data = match (*magic == [0x1f, 0x8b], payload.len().checked_sub(4)) {
        (false, Some(n)) => payload[..n].to_vec(),
        _ => payload.to_vec(),
    };
    // The payload may carry trailing bytes (the appended decompressed size): the tools
    // complain about them but the ELF check below is what counts.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let mut out = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut out)
        .map_err(|e| bad(&e.to_string()))?;
    let status = child.wait().map_err(|e| bad(&e.to_string()))?;
    let _ = writer.join();
    // gzip exits 2 for a warning (the trailing size bytes); 1 and anything from the
    // others is corrupt data.
    let clean = status.success() || (cmd[0] == "gzip" && status.code() == Some(2));
    if !clean {
        return Err(bad(&format!(
            "the bzImage's compressed kernel does not decompress (`{}` exited with {status})",
            cmd.join(" ")
        )));
    }
    if !out.starts_with(b"\x7fELF") || goblin::elf::Elf::parse(&out).is_err() {
        return Err(bad(&format!(
            "`{}` did not yield an ELF vmlinux",
            cmd.join(" ")
        )));
    }
    Ok(out)
}

/// Whether the ELF has the Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY = 18), which QEMU
/// needs to boot it directly (Debian kernels have CONFIG_PVH=y).
pub fn has_pvh_note(elf: &[u8]) -> bool {
    let Ok(e) = goblin::elf::Elf::parse_header(elf) else {
        return false;
    };
    let Ok(phdrs) = goblin::elf::ProgramHeader::parse(
        elf,
        e.e_phoff as usize,
        e.e_phnum as usize,
        goblin::container::Ctx::new(
            goblin::container::Container::Big,
            goblin::container::Endian::Little,
        ),
    ) else {
        return false;
    };
    for ph in phdrs
        .iter()
        .filter(|p| p.p_type == goblin::elf::program_header::PT_NOTE)
    {
        let Some(mut n) = elf.get(ph.p_offset as usize..(ph.p_offset + ph.p_filesz) as usize)
        else {
            continue;
        };
        while n.len() >= 12 {
            let namesz = u32::from_le_bytes(n[0..4].try_into().unwrap()) as usize;
            let descsz = u32::from_le_bytes(n[4..8].try_into().unwrap()) as usize;
            let ty = u32::from_le_bytes(n[8..12].try_into().unwrap());
            let name_end = 12 + namesz.div_ceil(4) * 4;
            let end = name_end + descsz.div_ceil(4) * 4;
            if end > n.len() {
                break;
            }
            if ty == 18 && n[12..12 + namesz].starts_with(b"Xen") {
                return true;
            }
            n = &n[end..];
        }
    }
    false
}

/// The extracted vmlinux for `bzimage`, cached under `<cloneabi cache>/pvh/` (or the temp
/// dir) keyed by the bzImage's device, inode, size and mtime; `None` when the kernel has no
/// PVH entry note (CONFIG_PVH off), so it can only boot through the bzImage's own entry.
pub fn vmlinux_for(bzimage: &Path) -> Result<Option<PathBuf>, QemuError> {
    let io = |e: std::io::Error| QemuError::Io(format!("{}: {e}", bzimage.display()));
    let m = fs::metadata(bzimage).map_err(io)?;
    let key = format!(
        "{:x}-{:x}-{:x}-{:x}.{:x}",
        m.dev(),
        m.ino(),
        m.len(),
        m.mtime(),
        m.mtime_nsec()
    );
    let dir = crate::kernels::Cache::from_env()
        .map(|c| c.root().join("pvh"))
        .unwrap_or_else(|_| std::env::temp_dir().join("cloneabi-pvh"));
    fs::create_dir_all(&dir).map_err(|e| QemuError::Io(format!("{}: {e}", dir.display())))?;
    let name = bzimage
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let out = dir.join(format!("{name}.{key}.elf"));
    if out.exists() {
        return Ok(Some(out));
    }
    let elf = extract(&fs::read(bzimage).map_err(io)?).map_err(|e| match e {
        QemuError::Kernel(m) => QemuError::Kernel(format!("{}: {m}", bzimage.display())),
        other => other,
    })?;
    if !has_pvh_note(&elf) {
        return Ok(None);
    }
    let mut tmp =
        tempfile::NamedTempFile::new_in(&dir).map_err(|e| QemuError::Io(e.to_string()))?;
    tmp.write_all(&elf)
        .map_err(|e| QemuError::Io(e.to_string()))?;
    tmp.persist(&out)
        .map_err(|e| QemuError::Io(e.to_string()))?;
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extract_refuses_non_bzimages() {
        assert!(extract(b"short").is_err());
        let mut fake = vec![0u8; 0x1000];
        fake[0x202..0x206].copy_from_slice(b"HdrS");
        fake[0x206] = 0x0f;
        fake[0x207] = 0x02;
        fake[0x24f] = 0x7f; // payload_length far beyond the file
        let e = extract(&fake).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
    }

    /// A bzImage around `payload` (already compressed).
    fn bzimage(payload: &[u8]) -> Vec<u8> {
        let mut bz = vec![0u8; 5 * 512];
        bz[0x1f1] = 4;
        bz[0x202..0x206].copy_from_slice(b"HdrS");
        bz[0x206..0x208].copy_from_slice(&0x20fu16.to_le_bytes());
        bz[0x248..0x24c].copy_from_slice(&16u32.to_le_bytes());
        bz[0x24c..0x250].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        bz.extend_from_slice(&[0u8; 16]);
        bz.extend_from_slice(payload);
        bz
    }

    #[test]
    fn a_kernel_without_pvh_note_is_no_error_and_a_corrupt_one_is_named_so() {
        // A real ELF without a Xen note.
        let elf = fs::read("/bin/true").unwrap();
        assert!(!has_pvh_note(&elf));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&elf).unwrap();
        let payload = gz.finish().unwrap();
        let dir = tempfile::Builder::new()
            .prefix("cloneabi-pvh-test-")
            .tempdir()
            .unwrap();
        let plain = dir.path().join("bzImage-no-pvh");
        fs::write(&plain, bzimage(&payload)).unwrap();
        assert!(vmlinux_for(&plain).unwrap().is_none());

        let mut broken = payload.clone();
        let mid = broken.len() / 2;
        for b in &mut broken[mid..mid + 4096] {
            *b = !*b;
        }
        let bad = dir.path().join("bzImage-corrupt");
        fs::write(&bad, bzimage(&broken)).unwrap();
        let e = vmlinux_for(&bad).unwrap_err().to_string();
        assert!(
            e.contains("corrupt or unsupported kernel image") && e.contains("bzImage-corrupt"),
            "{e}"
        );
    }

    #[test]
    fn extract_gzip_payload() {
        let elf = fs::read("/bin/true").unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&elf).unwrap();
        let payload = gz.finish().unwrap();
        let mut bz = vec![0u8; 5 * 512];
        bz[0x1f1] = 4;
        bz[0x202..0x206].copy_from_slice(b"HdrS");
        bz[0x206..0x208].copy_from_slice(&0x20fu16.to_le_bytes());
        bz[0x248..0x24c].copy_from_slice(&16u32.to_le_bytes());
        bz[0x24c..0x250].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        bz.extend_from_slice(&[0u8; 16]);
        bz.extend_from_slice(&payload);
        assert_eq!(extract(&bz).unwrap(), elf);
        assert!(!has_pvh_note(&elf));
    }

    /// The x86 boot code appends the decompressed size to every payload but gzip's
    /// (`zstd22_with_size`, `xzkern_with_size`...); Debian's 7.x kernels are zstd.
    #[test]
    fn extract_zstd_and_xz_payloads_with_the_size_appended() {
        let elf = fs::read("/bin/true").unwrap();
        for (tool, args) in [
            ("zstd", &["-q", "-c"][..]),
            ("xz", &["-c", "--check=crc32"][..]),
        ] {
            let mut child = match Command::new(tool)
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
            {
                Ok(c) => c,
                // The extraction needs the same tool; without it there is nothing to test.
                Err(e) => panic!("{tool} is needed to extract Debian's bzImages: {e}"),
            };
            child.stdin.take().unwrap().write_all(&elf).unwrap();
            let mut payload = child.wait_with_output().unwrap().stdout;
            payload.extend_from_slice(&(elf.len() as u32).to_le_bytes());
            assert_eq!(extract(&bzimage(&payload)).unwrap(), elf, "{tool}");
        }
    }
}
