//! The static cross-check: cloneabi's Rust ABI model against each toolchain's kernel UAPI
//! headers.
//!
//! fixtures/layout/layout.c is compiled with every ABI's cross gcc; the object's data symbol
//! `cloneabi_layout` holds what that toolchain's `<linux/sched.h>` and `<asm/unistd.h>` say
//! (sizes, offsets, CLONE_* values, `__NR_*` numbers). Each item is one trial named
//! `layout::<triple>::<group>::<item>`, so
//!
//! ```text
//! cargo test -p cloneabi-arch --test layout powerpc64-unknown-linux-gnu
//! ```
//!
//! runs exactly the big-endian ppc64 checks. An arch without its compiler is skipped with the
//! Debian packages to install, except under `CI=true`, where it fails.

use cloneabi_arch::clone_args::{SizeVersion, FIELDS, SIZE_LATEST};
use cloneabi_arch::{flags, Arch, Endian, KernelVersion, Sysno};
use goblin::elf::header::{EI_CLASS, EI_DATA, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB};
use goblin::elf::section_header::{SHT_NOBITS, SHT_REL, SHT_RELA};
use goblin::elf::sym::STT_OBJECT;
use goblin::elf::Elf;
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::collections::BTreeMap;
use std::sync::Arc;

#[path = "support/toolchain.rs"]
mod toolchain;

include!(concat!(env!("OUT_DIR"), "/layout_target.rs"));

const EM_ARM: u16 = 40;
const EF_ARM_ABI_FLOAT_HARD: u32 = 0x400;
const EM_PPC: u16 = 20;
const EF_PPC_RELOCATABLE_LIB: u32 = 0x8000;

/// The one data symbol layout.c exports.
const SYMBOL: &str = "cloneabi_layout";
/// Entry 0's name and value (and the terminator's value): "CLONEABI" as a u64.
const MAGIC_NAME: &str = "cloneabi.layout.v1";
const MAGIC: u64 = 0x434c_4f4e_4541_4249;
/// What layout.c stores for a define the headers lack.
const UNDEFINED: u64 = u64::MAX;
/// `struct cloneabi_entry { char name[48]; uint64_t value; }`.
const NAME_LEN: usize = 48;
const ENTRY_LEN: usize = NAME_LEN + 8;

/// What one object file says.
#[derive(Debug)]
struct Layout {
    /// `EI_CLASS == ELFCLASS64`.
    class64: bool,
    /// `EI_DATA`, the byte order every value was read in.
    data: Endian,
    machine: u16,
    e_flags: u32,
    /// `STT_OBJECT`, and the section holding it.
    symbol_is_object: bool,
    section: String,
    /// Relocation sections that patch the symbol's section (their bytes would not be final).
    relocated_by: Vec<String>,
    /// The entries, by name (layout.c order is not needed once names are unique).
    entries: BTreeMap<String, u64>,
}

impl Layout {
    fn get(&self, name: &str) -> Result<u64, String> {
        self.entries.get(name).copied().ok_or_else(|| {
            format!("layout.c has no entry {name:?}: add it to fixtures/layout/layout.c")
        })
    }

    /// `LINUX_VERSION_CODE` as a version.
    fn headers_version(&self) -> Option<KernelVersion> {
        let code = self.get("LINUX_VERSION_CODE").ok()?;
        let code = u32::try_from(code).ok()?;
        Some(KernelVersion::new(
            code >> 16,
            (code >> 8) & 0xff,
            code & 0xff,
        ))
    }
}

fn read_u64(bytes: &[u8], data: Endian) -> u64 {
    let b: [u8; 8] = bytes.try_into().expect("8 bytes");
    match data {
        Endian::Little => u64::from_le_bytes(b),
        Endian::Big => u64::from_be_bytes(b),
    }
}

/// Parses the object and the entries of its `cloneabi_layout` symbol.
fn load(path: &str) -> Result<Layout, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let elf = Elf::parse(&bytes).map_err(|e| format!("{path}: not an ELF object: {e}"))?;
    let data = match elf.header.e_ident[EI_DATA] {
        ELFDATA2LSB => Endian::Little,
        ELFDATA2MSB => Endian::Big,
        other => return Err(format!("{path}: EI_DATA {other} is neither LSB nor MSB")),
    };
    let sym = elf
        .syms
        .iter()
        .find(|s| elf.strtab.get_at(s.st_name) == Some(SYMBOL))
        .ok_or_else(|| format!("{path}: no symbol {SYMBOL}"))?;
    let shdr = elf.section_headers.get(sym.st_shndx).ok_or_else(|| {
        format!(
            "{path}: {SYMBOL} is in no section (st_shndx {})",
            sym.st_shndx
        )
    })?;
    if shdr.sh_type == SHT_NOBITS {
        return Err(format!("{path}: {SYMBOL} is in a NOBITS section"));
    }
    let section = elf
        .shdr_strtab
        .get_at(shdr.sh_name)
        .unwrap_or("?")
        .to_string();
    let relocated_by = elf
        .section_headers
        .iter()
        .filter(|s| {
            (s.sh_type == SHT_RELA || s.sh_type == SHT_REL) && s.sh_info as usize == sym.st_shndx
        })
        .map(|s| elf.shdr_strtab.get_at(s.sh_name).unwrap_or("?").to_string())
        .collect();
    let start = shdr.sh_offset as usize + sym.st_value as usize;
    let end = start + sym.st_size as usize;
    let raw = bytes
        .get(start..end)
        .ok_or_else(|| format!("{path}: {SYMBOL} [{start:#x}..{end:#x}) lies outside the file"))?;
    if raw.len() % ENTRY_LEN != 0 {
        return Err(format!(
            "{path}: {SYMBOL} is {} bytes, not a whole number of {ENTRY_LEN}-byte entries",
            raw.len()
        ));
    }

    let mut entries = BTreeMap::new();
    let mut terminated = false;
    for (i, chunk) in raw.chunks_exact(ENTRY_LEN).enumerate() {
        if terminated {
            return Err(format!("{path}: entry {i} follows the terminator"));
        }
        let name_bytes = &chunk[..NAME_LEN];
        let len = name_bytes
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| format!("{path}: entry {i}: name not NUL-terminated"))?;
        let name = std::str::from_utf8(&name_bytes[..len])
            .map_err(|e| format!("{path}: entry {i}: {e}"))?
            .to_string();
        let value = read_u64(&chunk[NAME_LEN..], data);
        if i == 0 && (name != MAGIC_NAME || value != MAGIC) {
            return Err(format!(
                "{path}: entry 0 is {name:?} = {value:#x}, not {MAGIC_NAME:?} = {MAGIC:#x} \
                 (byte order of EI_DATA wrong?)"
            ));
        }
        if name.is_empty() {
            if value != MAGIC {
                return Err(format!(
                    "{path}: terminator value {value:#x} is not {MAGIC:#x}"
                ));
            }
            terminated = true;
            continue;
        }
        if entries.insert(name.clone(), value).is_some() {
            return Err(format!("{path}: entry {name:?} appears twice"));
        }
    }
    if !terminated {
        return Err(format!("{path}: {SYMBOL} has no terminator entry"));
    }

    Ok(Layout {
        class64: elf.header.e_ident[EI_CLASS] == ELFCLASS64,
        data,
        machine: elf.header.e_machine,
        e_flags: elf.header.e_flags,
        symbol_is_object: sym.st_type() == STT_OBJECT,
        section,
        relocated_by,
        entries,
    })
}

/// What a trial of one arch gets to look at.
#[derive(Clone)]
enum Source {
    Loaded(Arc<Layout>),
    /// The toolchain is missing: skip, or fail under CI=true.
    Unavailable(String),
    /// Anything else that kept the object from being read: fail.
    Broken(String),
}

type Check = Box<dyn Fn(Arch, &Layout) -> Result<Completion, String> + Send>;

fn ok() -> Result<Completion, String> {
    Ok(Completion::Completed)
}

/// `model` and `header` must be equal: `Err("<item>: model <m>, header <h>")`.
fn same(item: &str, model: u64, header: u64) -> Result<Completion, String> {
    if model == header {
        ok()
    } else {
        Err(format!("{item}: model {model}, header {}", show(header)))
    }
}

fn show(header: u64) -> String {
    if header == UNDEFINED {
        "undefined".to_string()
    } else {
        header.to_string()
    }
}

fn endian_name(e: Endian) -> &'static str {
    match e {
        Endian::Little => "little (ELFDATA2LSB)",
        Endian::Big => "big (ELFDATA2MSB)",
    }
}

/// Every check of one arch, by the name after `layout::<triple>::`.
fn checks() -> Vec<(String, Check)> {
    let mut v: Vec<(String, Check)> = Vec::new();

    v.push((
        "elf::class".into(),
        Box::new(|arch, l| {
            let model = arch.abi().elf.class64;
            if model == l.class64 {
                ok()
            } else {
                Err(format!(
                    "EI_CLASS is ELFCLASS64: model {model}, object {}",
                    l.class64
                ))
            }
        }),
    ));
    v.push((
        "elf::data".into(),
        Box::new(|arch, l| {
            let abi = arch.abi();
            if abi.elf.data != abi.endian {
                return Err(format!(
                    "model disagrees with itself: elf.data {:?}, endian {:?}",
                    abi.elf.data, abi.endian
                ));
            }
            if abi.elf.data == l.data {
                ok()
            } else {
                Err(format!(
                    "EI_DATA: model {}, object {}",
                    endian_name(abi.elf.data),
                    endian_name(l.data)
                ))
            }
        }),
    ));
    v.push((
        "elf::machine".into(),
        Box::new(|arch, l| {
            let model = arch.abi().elf.machine;
            if model == l.machine {
                ok()
            } else {
                Err(format!("e_machine: model {model}, object {}", l.machine))
            }
        }),
    ));
    v.push((
        "elf::abi_version".into(),
        Box::new(|arch, l| {
            let abiv = l.e_flags & 3;
            match arch.abi().elf.ppc64_abi_version {
                // gas leaves EF_PPC64_ABI at 0 ("unspecified", which the kernel runs as ELFv1) in
                // a big-endian object; the linker writes 1. _CALL_ELF below is the strict check.
                Some(1) if abiv == 0 || abiv == 1 => ok(),
                Some(model) if model == abiv => ok(),
                Some(model) => Err(format!(
                    "e_flags & 3 (ppc64 ELF ABI): model {model}, object {abiv}"
                )),
                None if l.e_flags == arch.abi().elf.e_flags => ok(),
                // EF_ARM_ABI_FLOAT_HARD comes from the Tag_ABI_VFP_args attribute, which a
                // data-only object does not record; the linked payload carries it (the
                // payload's ELF check compares the whole e_flags).
                None if l.machine == EM_ARM
                    && l.e_flags | EF_ARM_ABI_FLOAT_HARD == arch.abi().elf.e_flags =>
                {
                    ok()
                }
                // Debian's gcc builds position-independent code by default, which ppc32's
                // gas marks with EF_PPC_RELOCATABLE_LIB in the object; the static link of
                // the payload drops it.
                None if l.machine == EM_PPC
                    && l.e_flags & !EF_PPC_RELOCATABLE_LIB == arch.abi().elf.e_flags =>
                {
                    ok()
                }
                None => Err(format!(
                    "e_flags: model {:#x}, object {:#x}",
                    arch.abi().elf.e_flags,
                    l.e_flags
                )),
            }
        }),
    ));
    v.push((
        "elf::call_elf".into(),
        Box::new(|arch, l| {
            let header = l.get("_CALL_ELF")?;
            match arch.abi().elf.ppc64_abi_version {
                Some(model) => same("_CALL_ELF", model.into(), header),
                None if header == UNDEFINED => ok(),
                None => Err(format!(
                    "_CALL_ELF: model undefined (not ppc64), compiler {header}"
                )),
            }
        }),
    ));
    v.push((
        "elf::symbol".into(),
        Box::new(|_, l| {
            if !l.symbol_is_object {
                return Err(format!(
                    "{SYMBOL} is not an STT_OBJECT (in section {})",
                    l.section
                ));
            }
            if l.section == ".opd" || !l.section.starts_with(".rodata") {
                return Err(format!("{SYMBOL} is in {}, not in .rodata", l.section));
            }
            if !l.relocated_by.is_empty() {
                return Err(format!(
                    "{SYMBOL}'s section {} is patched by {:?}: its bytes are not final",
                    l.section, l.relocated_by
                ));
            }
            ok()
        }),
    ));
    v.push((
        "target::pointer_width".into(),
        Box::new(|arch, l| {
            same(
                "__SIZEOF_POINTER__ * 8",
                arch.abi().pointer_width.into(),
                l.get("__SIZEOF_POINTER__")?.saturating_mul(8),
            )
        }),
    ));
    v.push((
        "target::byte_order".into(),
        Box::new(|arch, l| {
            let model = match arch.abi().endian {
                Endian::Little => 1234,
                Endian::Big => 4321,
            };
            same("__BYTE_ORDER__", model, l.get("__BYTE_ORDER__")?)
        }),
    ));

    v.push((
        "clone_args::sizeof".into(),
        Box::new(|_, l| {
            same(
                "sizeof(struct clone_args)",
                SIZE_LATEST as u64,
                l.get("sizeof(struct clone_args)")?,
            )
        }),
    ));
    v.push((
        "clone_args::align".into(),
        Box::new(|_, l| {
            // Every member is an __aligned_u64.
            same(
                "_Alignof(struct clone_args)",
                8,
                l.get("_Alignof(struct clone_args)")?,
            )
        }),
    ));
    for ver in SizeVersion::ALL {
        let name = format!("CLONE_ARGS_SIZE_{}", ver.name().to_ascii_uppercase());
        v.push((
            format!("size::{}", ver.name()),
            Box::new(move |_, l| same(&name, ver.bytes() as u64, l.get(&name)?)),
        ));
    }
    for field in FIELDS {
        v.push((
            format!("offset::{}", field.name),
            Box::new(move |_, l| {
                same(
                    &format!("offsetof(struct clone_args, {})", field.name),
                    field.offset as u64,
                    l.get(&format!("offsetof.{}", field.name))?,
                )
            }),
        ));
        v.push((
            format!("sizeof::{}", field.name),
            Box::new(move |_, l| {
                same(
                    &format!("sizeof(((struct clone_args *)0)->{})", field.name),
                    field.size as u64,
                    l.get(&format!("sizeof.{}", field.name))?,
                )
            }),
        ));
    }

    for &nr in Sysno::ALL {
        v.push((
            format!("syscall::{}", nr.name()),
            Box::new(move |arch, l| {
                let item = format!("__NR_{}", nr.name());
                let header = l.get(&item)?;
                match arch.syscall(nr) {
                    Some(model) => same(&item, model.into(), header),
                    None if header == UNDEFINED => ok(),
                    None => Err(format!("{item}: model none, header {header}")),
                }
            }),
        ));
    }

    for f in flags::all() {
        v.push((
            format!("flag::{}", f.name),
            Box::new(move |_, l| {
                let header = l.get(f.name)?;
                if header == UNDEFINED {
                    if let Some(hv) = l.headers_version() {
                        if hv < f.since {
                            return Ok(Completion::ignored_with(format!(
                                "headers {hv} predate {} ({})",
                                f.name, f.since
                            )));
                        }
                    }
                }
                if f.value == header {
                    ok()
                } else {
                    Err(format!(
                        "{}: model {:#x}, header {}",
                        f.name,
                        f.value,
                        if header == UNDEFINED {
                            "undefined".to_string()
                        } else {
                            format!("{header:#x}")
                        }
                    ))
                }
            }),
        ));
    }

    // Nothing in the object goes unchecked: an entry no check reads means layout.c and the
    // model drifted apart.
    v.push((
        "coverage".into(),
        Box::new(|_, l| {
            let known = known_entries();
            let extra: Vec<&str> = l
                .entries
                .keys()
                .map(String::as_str)
                .filter(|k| !known.contains(&k.to_string()))
                .collect();
            let missing: Vec<String> = known
                .into_iter()
                .filter(|k| !l.entries.contains_key(k))
                .collect();
            if extra.is_empty() && missing.is_empty() {
                ok()
            } else {
                Err(format!(
                    "layout.c and the model differ: entries no check reads {extra:?}; \
                     entries the model needs but layout.c lacks {missing:?}"
                ))
            }
        }),
    ));
    v
}

/// Every entry name the checks read, plus the informational ones.
fn known_entries() -> Vec<String> {
    let mut k: Vec<String> = [
        MAGIC_NAME,
        "LINUX_VERSION_CODE",
        "__SIZEOF_POINTER__",
        "__BYTE_ORDER__",
        "_CALL_ELF",
        "sizeof(struct clone_args)",
        "_Alignof(struct clone_args)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    k.extend(
        SizeVersion::ALL
            .iter()
            .map(|v| format!("CLONE_ARGS_SIZE_{}", v.name().to_ascii_uppercase())),
    );
    for f in FIELDS {
        k.push(format!("offsetof.{}", f.name));
        k.push(format!("sizeof.{}", f.name));
    }
    k.extend(Sysno::ALL.iter().map(|s| format!("__NR_{}", s.name())));
    k.extend(flags::all().iter().map(|f| f.name.to_string()));
    k
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn matches_filter(args: &Arguments, name: &str) -> bool {
    match &args.filter {
        None => true,
        Some(f) if args.exact => name == f,
        Some(f) => name.contains(f.as_str()),
    }
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    let objects = tempfile::Builder::new()
        .prefix("cloneabi-layout-")
        .tempdir()
        .expect("a temporary directory for the layout objects");

    for arch in Arch::ALL {
        let triple = arch.triple();
        let prefix = format!("layout::{triple}");
        let names: Vec<(String, Check)> = checks()
            .into_iter()
            .map(|(item, check)| (format!("{prefix}::{item}"), check))
            .collect();
        // Compile only for the ABIs a trial of which is selected.
        if !names.iter().any(|(n, _)| matches_filter(&args, n)) {
            continue;
        }
        let mut outcome = toolchain::build(arch, objects.path());
        // No compiler here (a guest running cross-built tests): the build's own object
        // stands in for the ABI this binary runs as.
        if let (toolchain::Outcome::Unavailable(_), Some(bytes), true) =
            (&outcome, TARGET_OBJECT, Arch::host() == Some(arch))
        {
            let object = objects
                .path()
                .join(format!("layout-{}-built.o", arch.name()));
            std::fs::write(&object, bytes).expect("write the build's layout object");
            outcome = toolchain::Outcome::Built { object };
        }
        let source = match outcome {
            toolchain::Outcome::Built { object, .. } => match load(&object.to_string_lossy()) {
                Ok(layout) => Source::Loaded(Arc::new(layout)),
                Err(e) => Source::Broken(e),
            },
            toolchain::Outcome::Unavailable(reason) => Source::Unavailable(reason),
            toolchain::Outcome::Failed(failed) => {
                Source::Broken(format!("layout.c did not compile: {failed}"))
            }
        };
        if let Source::Unavailable(reason) = &source {
            let what = if ci() { "FAILING (CI=true)" } else { "skipped" };
            eprintln!("layout: {triple} {what}: {reason}");
        }
        for (name, check) in names {
            let source = source.clone();
            trials.push(Trial::ignorable_test(name, move || match source {
                Source::Loaded(layout) => {
                    check(arch, &layout).map_err(|e| Failed::from(format!("{triple}: {e}")))
                }
                Source::Unavailable(reason) if ci() => {
                    Err(format!("{triple}: {reason} (CI=true: a missing toolchain fails)").into())
                }
                Source::Unavailable(reason) => Ok(Completion::ignored_with(reason)),
                Source::Broken(e) => Err(format!("{triple}: {e}").into()),
            }));
        }
    }

    let conclusion = libtest_mimic::run(&args, trials);
    drop(objects);
    conclusion.exit();
}
