//! Checks that a payload binary is what its arch needs before it is shipped anywhere:
//! e_machine, ELF class, byte order, the ppc64 ELF ABI version (`e_flags & 3`: 1 for the
//! big-endian ELFv1 port, 2 for ELFv2 little-endian) and no PT_INTERP (static).

use cloneabi_arch::{Arch, Endian};
use goblin::elf::header::{EI_CLASS, EI_DATA, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB};
use goblin::elf::program_header::PT_INTERP;
use goblin::elf::Elf;
use std::fmt;

/// What was wrong with a payload binary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfCheckError {
    pub arch: Arch,
    /// One entry per mismatch: "expected ..., found ...".
    pub problems: Vec<String>,
}

impl fmt::Display for ElfCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a payload for {}: {}",
            self.arch,
            self.problems.join("; ")
        )
    }
}

impl std::error::Error for ElfCheckError {}

/// A readable name for an e_machine value.
pub fn machine_name(machine: u16) -> String {
    let name = match machine {
        3 => "i386",
        20 => "PowerPC",
        21 => "PowerPC64",
        22 => "S/390",
        40 => "ARM",
        62 => "x86-64",
        183 => "AArch64",
        243 => "RISC-V",
        _ => "unknown",
    };
    format!("{machine} ({name})")
}

/// Checks `bytes` against `arch`'s ELF identity (cloneabi_arch `ArchAbi::elf`).
pub fn check(arch: Arch, bytes: &[u8]) -> Result<(), ElfCheckError> {
    let fail = |problems: Vec<String>| Err(ElfCheckError { arch, problems });
    let want = arch.abi().elf;
    let elf = match Elf::parse(bytes) {
        Ok(elf) => elf,
        Err(e) => return fail(vec![format!("expected an ELF file, found: {e}")]),
    };
    let h = &elf.header;
    let mut problems = Vec::new();
    if h.e_machine != want.machine {
        problems.push(format!(
            "expected e_machine {}, found {}",
            machine_name(want.machine),
            machine_name(h.e_machine)
        ));
    }
    let class64 = h.e_ident[EI_CLASS] == ELFCLASS64;
    if class64 != want.class64 {
        problems.push(format!(
            "expected {}, found EI_CLASS {}",
            if want.class64 {
                "ELFCLASS64"
            } else {
                "ELFCLASS32"
            },
            h.e_ident[EI_CLASS]
        ));
    }
    let want_data = match want.data {
        Endian::Little => ELFDATA2LSB,
        Endian::Big => ELFDATA2MSB,
    };
    if h.e_ident[EI_DATA] != want_data {
        let name = |d: u8| match d {
            ELFDATA2LSB => "little-endian (ELFDATA2LSB)".to_string(),
            ELFDATA2MSB => "big-endian (ELFDATA2MSB)".to_string(),
            d => format!("EI_DATA {d}"),
        };
        problems.push(format!(
            "expected {}, found {}",
            name(want_data),
            name(h.e_ident[EI_DATA])
        ));
    }
    if let Some(v) = want.ppc64_abi_version {
        let found = h.e_flags & 3;
        if found != v {
            problems.push(format!(
                "expected ppc64 ELF ABI version {v} (e_flags & 3), found {found}"
            ));
        }
    } else if h.e_flags != want.e_flags {
        problems.push(format!(
            "expected e_flags {:#x}, found {:#x}",
            want.e_flags, h.e_flags
        ));
    }
    if elf.program_headers.iter().any(|p| p.p_type == PT_INTERP) {
        problems.push(format!(
            "expected a static executable, found PT_INTERP {}",
            elf.interpreter.unwrap_or("?")
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        fail(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_payload_matches_its_arch() {
        let mut checked = 0;
        for arch in Arch::ALL {
            if let Some(bytes) = crate::payload::embedded(arch) {
                check(arch, bytes).unwrap();
                checked += 1;
            } else {
                eprintln!("skipped: no embedded {arch} payload (cross compiler missing)");
            }
        }
        assert!(checked > 0, "no payload was embedded at all");
    }

    #[test]
    fn a_wrong_machine_names_both() {
        let Some(x86) = crate::payload::embedded(Arch::X86_64) else {
            eprintln!("skipped: no x86_64 payload");
            return;
        };
        let err = check(Arch::Aarch64, x86).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("183 (AArch64)"), "{text}");
        assert!(text.contains("62 (x86-64)"), "{text}");
    }

    #[test]
    fn ppc64_abi_versions_and_byte_order_are_told_apart() {
        let (Some(be), Some(le)) = (
            crate::payload::embedded(Arch::Powerpc64),
            crate::payload::embedded(Arch::Powerpc64le),
        ) else {
            eprintln!("skipped: ppc64 payloads not embedded");
            return;
        };
        let err = check(Arch::Powerpc64le, be).unwrap_err().to_string();
        assert!(err.contains("ABI version 2"), "{err}");
        assert!(err.contains("found 1"), "{err}");
        assert!(err.contains("big-endian"), "{err}");
        let err = check(Arch::Powerpc64, le).unwrap_err().to_string();
        assert!(err.contains("ABI version 1"), "{err}");
    }

    #[test]
    fn a_dynamic_or_non_elf_file_is_refused() {
        let err = check(Arch::X86_64, b"#!/bin/sh\n").unwrap_err();
        assert!(err.to_string().contains("expected an ELF file"));
        // Any dynamically linked host binary has PT_INTERP.
        if let Ok(bytes) = std::fs::read("/bin/true") {
            if let Some(host) = Arch::host() {
                let err = check(host, &bytes).unwrap_err().to_string();
                assert!(err.contains("PT_INTERP"), "{err}");
            }
        }
    }
}
