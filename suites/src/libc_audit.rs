//! Judging the `libc` crate's clone definitions for one target against the kernel's ABI as
//! cloneabi models it (`cloneabi_arch`: syscall numbers, `CLONE_*` values and `struct
//! clone_args`, each checked against the toolchains' UAPI headers by arch/tests/layout.rs).
//!
//! One verdict per definition: PASS when the crate's value (in its declared type) is the
//! kernel's, FAIL when it differs or the declared type cannot hold the kernel's value,
//! SKIP ("missing") when the crate lacks a definition the kernel has.

use crate::verdict::Verdict;
use cloneabi_arch::{clone_args, flags, Arch, Sysno};
use std::collections::{BTreeMap, BTreeSet};

/// `CLONE_*` bits of kernels newer than cloneabi's flag table (Linux 7.1's uapi
/// `<linux/sched.h>`); the audit reports a crate that lacks them as "missing".
pub const NEWER_FLAGS: [(&str, u64); 4] = [
    ("CLONE_AUTOREAP", 1 << 34),
    ("CLONE_NNP", 1 << 35),
    ("CLONE_PIDFD_AUTOKILL", 1 << 36),
    ("CLONE_EMPTY_MNTNS", 1 << 37),
];

/// An integer constant as the crate declares it (width, signedness, value in that type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Declared {
    pub bits: u32,
    pub signed: bool,
    pub value: i128,
}

/// The crate's `struct clone_args`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StructDef {
    pub size: usize,
    pub align: usize,
    /// (offset, size) by field name; a field the struct lacks is absent.
    pub fields: BTreeMap<String, (usize, usize)>,
}

/// What the crate defines for one target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrateDefs {
    pub constants: BTreeMap<String, Declared>,
    /// `None`: no `clone_args`.
    pub clone_args: Option<StructDef>,
}

/// One judged definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditCase {
    /// `libc.<group>.<name>`.
    pub id: String,
    pub verdict: Verdict,
    pub expected: String,
    pub observed: String,
    pub reason: String,
}

/// The constant names the probe asks for: every syscall the suite uses (`SYS_*`) and every
/// `CLONE_*` the kernel defines.
pub fn constant_names() -> Vec<String> {
    let mut v: Vec<String> = Sysno::ALL
        .iter()
        .map(|s| format!("SYS_{}", s.name()))
        .collect();
    v.extend(flags::ALL.iter().map(|f| f.name.to_string()));
    v.extend(NEWER_FLAGS.iter().map(|(n, _)| n.to_string()));
    v
}

/// The `clone_args` fields the probe asks for.
pub fn field_names() -> Vec<&'static str> {
    clone_args::FIELDS.iter().map(|f| f.name).collect()
}

fn type_name(d: &Declared) -> String {
    format!("{}{}", if d.signed { "i" } else { "u" }, d.bits)
}

/// The declared value's bit pattern in its own width.
fn pattern(d: &Declared) -> u128 {
    let mask = if d.bits >= 128 {
        u128::MAX
    } else {
        (1u128 << d.bits) - 1
    };
    (d.value as u128) & mask
}

fn case(
    id: String,
    verdict: Verdict,
    expected: String,
    observed: String,
    reason: String,
) -> AuditCase {
    AuditCase {
        id,
        verdict,
        expected,
        observed,
        reason,
    }
}

fn missing(id: String, expected: String, name: &str, triple: &str) -> AuditCase {
    case(
        id,
        Verdict::Skip,
        expected,
        "missing".into(),
        format!("missing: the crate does not define {name} for {triple}"),
    )
}

/// A `CLONE_*` constant against the kernel's value.
fn judge_flag(name: &str, kernel: u64, declared: Option<&Declared>, triple: &str) -> AuditCase {
    let id = format!("libc.flags.{name}");
    let expected = format!("{kernel:#x}");
    let Some(d) = declared else {
        return missing(id, expected, name, triple);
    };
    let observed = format!("{:#x} as {}", pattern(d), type_name(d));
    let fits = d.bits >= 64 || u128::from(kernel) < (1u128 << d.bits);
    if !fits {
        return case(
            id,
            Verdict::Fail,
            expected,
            observed,
            format!(
                "declared as {} ({} bits), which cannot hold {kernel:#x}: the constant is {:#x}, \
                 so passing it to clone3 loses the flag",
                type_name(d),
                d.bits,
                pattern(d)
            ),
        );
    }
    if pattern(d) != u128::from(kernel) {
        return case(
            id,
            Verdict::Fail,
            expected,
            observed,
            format!("the crate says {:#x}, the kernel {kernel:#x}", pattern(d)),
        );
    }
    let note = if d.signed && d.value < 0 {
        format!(
            "negative as {}: widening it to clone3's u64 flags sign-extends (cast through u32)",
            type_name(d)
        )
    } else {
        String::new()
    };
    case(id, Verdict::Pass, expected, observed, note)
}

/// Every definition for `arch` with the crate's `defs` on `triple`.
pub fn judge(arch: Arch, triple: &str, defs: &CrateDefs) -> Vec<AuditCase> {
    let mut out = Vec::new();
    for s in Sysno::ALL {
        let name = format!("SYS_{}", s.name());
        let id = format!("libc.sysno.{name}");
        let kernel = (arch.abi().syscall_number)(*s);
        let declared = defs.constants.get(&name);
        out.push(match (kernel, declared) {
            (None, None) => continue,
            (Some(k), None) => missing(id, k.to_string(), &name, triple),
            (None, Some(d)) => case(
                id,
                Verdict::Fail,
                "none".into(),
                d.value.to_string(),
                format!("{arch} has no {} system call", s.name()),
            ),
            (Some(k), Some(d)) if d.value == i128::from(k) => case(
                id,
                Verdict::Pass,
                k.to_string(),
                d.value.to_string(),
                String::new(),
            ),
            (Some(k), Some(d)) => case(
                id,
                Verdict::Fail,
                k.to_string(),
                d.value.to_string(),
                format!("the crate says {}, the kernel {k}", d.value),
            ),
        });
    }
    for f in flags::ALL.iter() {
        out.push(judge_flag(
            f.name,
            f.value,
            defs.constants.get(f.name),
            triple,
        ));
    }
    for (name, value) in NEWER_FLAGS {
        out.push(judge_flag(name, value, defs.constants.get(name), triple));
    }
    match &defs.clone_args {
        None => out.push(missing(
            "libc.clone_args".into(),
            format!("struct of {} bytes", clone_args::SIZE_LATEST),
            "struct clone_args",
            triple,
        )),
        Some(StructDef {
            size,
            align,
            fields,
        }) => {
            let check = |id: &str, want: usize, got: usize| {
                case(
                    id.to_string(),
                    if want == got {
                        Verdict::Pass
                    } else {
                        Verdict::Fail
                    },
                    want.to_string(),
                    got.to_string(),
                    if want == got {
                        String::new()
                    } else {
                        format!("the crate's struct has {got}, the kernel's {want}")
                    },
                )
            };
            out.push(check(
                "libc.clone_args.size",
                clone_args::SIZE_LATEST,
                *size,
            ));
            out.push(check("libc.clone_args.align", 8, *align));
            for f in clone_args::FIELDS.iter() {
                let id = format!("libc.clone_args.{}", f.name);
                let want = format!("offset {}, {} bytes", f.offset, f.size);
                out.push(match fields.get(f.name) {
                    None => missing(id, want, &format!("clone_args.{}", f.name), triple),
                    Some(&(off, size)) => {
                        let got = format!("offset {off}, {size} bytes");
                        if (off, size) == (f.offset, f.size) {
                            case(id, Verdict::Pass, want, got, String::new())
                        } else {
                            case(
                                id,
                                Verdict::Fail,
                                want.clone(),
                                got.clone(),
                                format!("the kernel has {want}, the crate {got}"),
                            )
                        }
                    }
                });
            }
        }
    }
    let mut seen = BTreeSet::new();
    out.retain(|c| seen.insert(c.id.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(bits: u32, signed: bool, value: i128) -> Declared {
        Declared {
            bits,
            signed,
            value,
        }
    }

    #[test]
    fn an_overflowing_c_int_fails_and_a_missing_flag_is_skipped() {
        let mut defs = CrateDefs::default();
        // libc 0.2.191 on gnu: c_int = 0x100000000 under overflowing_literals.
        defs.constants
            .insert("CLONE_CLEAR_SIGHAND".into(), int(32, true, 0));
        defs.constants
            .insert("CLONE_VM".into(), int(32, true, 0x100));
        // CLONE_IO as c_int is negative but the right bits.
        defs.constants
            .insert("CLONE_IO".into(), int(32, true, i128::from(i32::MIN)));
        defs.constants
            .insert("SYS_clone3".into(), int(64, true, 435));
        defs.constants.insert("SYS_fork".into(), int(64, true, 57));
        let cases = judge(Arch::Aarch64, "aarch64-unknown-linux-gnu", &defs);
        let get = |id: &str| cases.iter().find(|c| c.id == id).unwrap();
        let c = get("libc.flags.CLONE_CLEAR_SIGHAND");
        assert_eq!(c.verdict, Verdict::Fail);
        assert!(c.reason.contains("cannot hold 0x100000000"), "{}", c.reason);
        assert_eq!(get("libc.flags.CLONE_VM").verdict, Verdict::Pass);
        assert_eq!(get("libc.flags.CLONE_IO").verdict, Verdict::Pass);
        assert_eq!(get("libc.sysno.SYS_clone3").verdict, Verdict::Pass);
        // arm64 has no fork(): a crate that defines it is wrong.
        assert_eq!(get("libc.sysno.SYS_fork").verdict, Verdict::Fail);
        let nnp = get("libc.flags.CLONE_NNP");
        assert_eq!(nnp.verdict, Verdict::Skip);
        assert!(nnp.reason.starts_with("missing"));
        assert_eq!(get("libc.clone_args").verdict, Verdict::Skip);
        // A wrong value in a wide enough type fails too.
        defs.constants
            .insert("CLONE_VM".into(), int(64, false, 0x200));
        defs.clone_args = Some(StructDef {
            size: 64,
            align: 8,
            fields: BTreeMap::new(),
        });
        let cases = judge(Arch::S390x, "s390x-unknown-linux-gnu", &defs);
        let get = |id: &str| cases.iter().find(|c| c.id == id).unwrap();
        assert_eq!(get("libc.flags.CLONE_VM").verdict, Verdict::Fail);
        assert_eq!(get("libc.clone_args.size").verdict, Verdict::Fail);
        assert_eq!(get("libc.clone_args.flags").verdict, Verdict::Skip);
    }
}
