//! The `libc` crate's clone definitions as compiled for a target: a probe crate is generated,
//! built against one version of `libc` for the target, and run (natively on the host's
//! arch, under qemu-user otherwise: it only prints constants). The observation is raw; the
//! judging against the kernel's ABI is `cloneabi_suites::libc_audit`.
//!
//! Which names the crate lacks is found by compiling first (`cargo check`): every name the
//! compiler cannot find in `libc` is recorded as missing and left out of the build that runs.

use cloneabi_arch::Arch;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The C library flavour of a Linux target triple.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LibcFlavour {
    Gnu,
    Musl,
}

impl LibcFlavour {
    pub const ALL: [LibcFlavour; 2] = [LibcFlavour::Gnu, LibcFlavour::Musl];
    pub fn name(self) -> &'static str {
        match self {
            LibcFlavour::Gnu => "gnu",
            LibcFlavour::Musl => "musl",
        }
    }
}

/// `arch`'s triple with `flavour`'s environment.
pub fn triple(arch: Arch, flavour: LibcFlavour) -> String {
    let gnu = arch.triple();
    match flavour {
        LibcFlavour::Gnu => gnu.to_string(),
        LibcFlavour::Musl => match gnu.rsplit_once("-gnu") {
            Some((head, tail)) => format!("{head}-musl{tail}"),
            None => format!("{gnu}-musl"),
        },
    }
}

/// An integer constant as the crate declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntConst {
    /// Width of the declared type in bits.
    pub bits: u32,
    pub signed: bool,
    /// The value, in the declared type.
    pub value: i128,
}

/// `libc::clone_args` as compiled for the target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StructLayout {
    pub size: usize,
    pub align: usize,
    /// (offset, size) by field name.
    pub fields: BTreeMap<String, (usize, usize)>,
    /// Fields asked for that the struct lacks.
    pub missing_fields: BTreeSet<String>,
}

/// What the probe saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeObservation {
    pub triple: String,
    pub constants: BTreeMap<String, IntConst>,
    /// Constants asked for that the crate does not define for this target.
    pub missing: BTreeSet<String>,
    /// `None`: the crate defines no `clone_args` for this target.
    pub clone_args: Option<StructLayout>,
    /// How the probe ran: `native` or the qemu-user binary with its version.
    pub ran_with: String,
    /// sha256 of the probe binary.
    pub build_id: String,
}

/// Why there is no observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeError {
    /// Something the probe needs is not installed (a rustup target, a linker, qemu-user).
    Unavailable(String),
    /// The build or the run failed.
    Failed(String),
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Unavailable(s) | ProbeError::Failed(s) => f.write_str(s),
        }
    }
}

/// What to probe.
#[derive(Clone, Debug)]
pub struct ProbeRequest<'a> {
    pub libc_version: &'a str,
    pub constants: &'a [String],
    pub clone_args_fields: &'a [&'a str],
    /// A cargo target directory kept between runs (the crate is built once per target).
    pub target_dir: &'a Path,
}

fn generate(req: &ProbeRequest<'_>, skip: &BTreeSet<String>, with_struct: bool) -> String {
    let mut s = String::from(
        "#![allow(deprecated, overflowing_literals, unused)]\n\
         trait Int { fn show(self) -> (u32, bool, i128); }\n\
         macro_rules! int { ($($t:ty)*) => { $(impl Int for $t {\n\
             fn show(self) -> (u32, bool, i128) { (<$t>::BITS, <$t>::MIN != 0, self as i128) }\n\
         })* } }\n\
         int!(i8 i16 i32 i64 u8 u16 u32 u64 isize usize);\n\
         fn c(name: &str, v: impl Int) { let (b, s, v) = v.show(); println!(\"C {name} {b} {} {v}\", s as u8); }\n\
         fn fsize<T>(_: *const T) -> usize { core::mem::size_of::<T>() }\n\
         fn main() {\n",
    );
    for name in req.constants {
        if !skip.contains(name) {
            writeln!(s, "    c({name:?}, libc::{name});").unwrap();
        }
    }
    if with_struct {
        s.push_str(
            "    println!(\"S {} {}\", core::mem::size_of::<libc::clone_args>(), \
             core::mem::align_of::<libc::clone_args>());\n\
             let u = core::mem::MaybeUninit::<libc::clone_args>::uninit();\n\
             let p = u.as_ptr();\n",
        );
        for f in req.clone_args_fields {
            if !skip.contains(&format!("clone_args.{f}")) {
                writeln!(
                    s,
                    "    println!(\"F {f} {{}} {{}}\", core::mem::offset_of!(libc::clone_args, {f}), \
                     fsize(unsafe {{ core::ptr::addr_of!((*p).{f}) }}));"
                )
                .unwrap();
            }
        }
    }
    s.push_str("}\n");
    s
}

fn write_crate(dir: &Path, version: &str, main: &str) -> Result<(), ProbeError> {
    let io = |e: std::io::Error| ProbeError::Failed(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir.join("src")).map_err(io)?;
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"cloneabi-libc-probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
             publish = false\n\n[dependencies]\nlibc = \"={version}\"\n\n[workspace]\n"
        ),
    )
    .map_err(io)?;
    std::fs::write(dir.join("src/main.rs"), main).map_err(io)?;
    Ok(())
}

fn cargo(arch: Arch, triple: &str, dir: &Path, target_dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .arg("--target")
        .arg(triple)
        .arg("--target-dir")
        .arg(target_dir)
        .arg("--message-format=json");
    let var = |what: &str| {
        format!(
            "CARGO_TARGET_{}_{what}",
            triple.to_ascii_uppercase().replace('-', "_")
        )
    };
    if Some(arch) != Arch::host() {
        cmd.env(var("LINKER"), arch.abi().debian.cross_gcc);
    }
    // Static, so that qemu-user needs no target sysroot (some musl targets, such as
    // powerpc64's, link dynamically by default).
    cmd.env(var("RUSTFLAGS"), "-C target-feature=+crt-static");
    cmd
}

/// Runs `cargo <sub>` offline first (the registry cache or vendored sources), then online.
fn run_cargo(
    make: &dyn Fn() -> Command,
    sub: &str,
) -> Result<(bool, Vec<serde_json::Value>, String), ProbeError> {
    let mut last = None;
    for offline in [true, false] {
        let cmd = make();
        // The subcommand goes first: rebuild the argument list around it.
        let args: Vec<_> = cmd.get_args().map(|a| a.to_os_string()).collect();
        let mut full = Command::new(cmd.get_program());
        full.arg(sub);
        if offline {
            full.arg("--offline");
        }
        full.args(&args);
        if let Some(d) = cmd.get_current_dir() {
            full.current_dir(d);
        }
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => full.env(k, v),
                None => full.env_remove(k),
            };
        }
        let out = full
            .output()
            .map_err(|e| ProbeError::Failed(format!("cannot run cargo: {e}")))?;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let messages: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        let resolved = !(stderr.contains("--offline")
            || stderr.contains("no matching package")
            || stderr.contains("failed to select a version")
            || stderr.contains("failed to download"));
        if offline && !resolved {
            last = Some(stderr);
            continue;
        }
        return Ok((out.status.success(), messages, stderr));
    }
    Err(ProbeError::Failed(last.unwrap_or_default()))
}

/// The rendered compiler errors of cargo's JSON messages.
fn errors(messages: &[serde_json::Value]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m["reason"] == "compiler-message" && m["message"]["level"] == "error")
        .filter_map(|m| m["message"]["message"].as_str().map(str::to_string))
        .collect()
}

/// The name between the first pair of backticks.
fn quoted(msg: &str) -> Option<&str> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(&msg[start..start + len])
}

fn std_installed(triple: &str) -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .is_some_and(|s| {
            Path::new(&s)
                .join("lib/rustlib")
                .join(triple)
                .join("lib")
                .is_dir()
        })
}

/// Builds and runs the probe for `arch` with `flavour`'s C library.
pub fn probe(
    arch: Arch,
    flavour: LibcFlavour,
    req: &ProbeRequest<'_>,
) -> Result<ProbeObservation, ProbeError> {
    let triple = triple(arch, flavour);
    if !std_installed(&triple) {
        return Err(ProbeError::Unavailable(format!(
            "the Rust standard library for {triple} is not installed: run `rustup target add \
             {triple}` (rustup has none for some targets)"
        )));
    }
    let debian = &arch.abi().debian;
    if Some(arch) != Arch::host() && crate::qemu::find_binary(debian.cross_gcc).is_none() {
        return Err(ProbeError::Unavailable(format!(
            "{} (the linker for {triple}) is not installed: apt-get install {}",
            debian.cross_gcc,
            debian.cross_packages.join(" ")
        )));
    }
    let work = tempfile::Builder::new()
        .prefix("cloneabi-libc-probe-")
        .tempdir()
        .map_err(|e| ProbeError::Failed(format!("cannot create a temporary directory: {e}")))?;
    let dir = work.path();
    let make = || cargo(arch, &triple, dir, req.target_dir);

    // 1. What the crate lacks.
    let mut skip = BTreeSet::new();
    let mut with_struct = true;
    write_crate(dir, req.libc_version, &generate(req, &skip, true))?;
    let (ok, messages, stderr) = run_cargo(&make, "check")?;
    if !ok {
        for e in errors(&messages) {
            let name = quoted(&e).unwrap_or_default().to_string();
            if e.starts_with("cannot find value") && req.constants.contains(&name) {
                skip.insert(name);
            } else if e.starts_with("cannot find type `clone_args`") {
                with_struct = false;
            } else if e.starts_with("no field") && e.contains("clone_args") {
                skip.insert(format!("clone_args.{name}"));
            } else if !e.starts_with("aborting due to") && !e.contains("could not compile") {
                return Err(ProbeError::Failed(format!(
                    "the probe for {triple} does not compile: {e}"
                )));
            }
        }
        if messages.is_empty() {
            return Err(ProbeError::Failed(format!(
                "cargo check of the probe for {triple} failed: {}",
                stderr.trim()
            )));
        }
    }

    // 2. Build what exists and run it.
    write_crate(dir, req.libc_version, &generate(req, &skip, with_struct))?;
    let (ok, messages, stderr) = run_cargo(&make, "build")?;
    if !ok {
        return Err(ProbeError::Failed(format!(
            "building the probe for {triple} failed: {}{}",
            errors(&messages).join("; "),
            stderr.trim()
        )));
    }
    let exe: PathBuf = messages
        .iter()
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter_map(|m| m["executable"].as_str())
        .map(PathBuf::from)
        .next_back()
        .ok_or_else(|| ProbeError::Failed(format!("cargo built no probe for {triple}")))?;
    let bytes =
        std::fs::read(&exe).map_err(|e| ProbeError::Failed(format!("{}: {e}", exe.display())))?;
    let build_id = crate::payload::sha256_hex(&bytes);
    let (mut cmd, ran_with) = if Some(arch) == Arch::host() {
        (Command::new(&exe), "native".to_string())
    } else {
        let Some(qemu) = debian.qemu_user else {
            return Err(ProbeError::Unavailable(format!(
                "QEMU has no user-mode emulator for {arch}, and the probe is not native here"
            )));
        };
        if crate::qemu::find_binary(qemu).is_none() {
            return Err(ProbeError::Unavailable(format!(
                "{qemu} is not installed: apt-get install qemu-user"
            )));
        }
        let version = crate::qemu::version_line(qemu).unwrap_or_else(|| qemu.to_string());
        let mut c = Command::new(qemu);
        c.arg(&exe);
        (c, version)
    };
    let out = cmd
        .output()
        .map_err(|e| ProbeError::Failed(format!("cannot run the probe for {triple}: {e}")))?;
    if !out.status.success() {
        return Err(ProbeError::Failed(format!(
            "the probe for {triple} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let mut obs = ProbeObservation {
        triple: triple.clone(),
        constants: BTreeMap::new(),
        missing: skip
            .iter()
            .filter(|n| !n.starts_with("clone_args."))
            .cloned()
            .collect(),
        clone_args: None,
        ran_with,
        build_id,
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let bad = |l: &str| ProbeError::Failed(format!("the probe for {triple} printed {l:?}"));
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        match f.as_slice() {
            ["C", name, bits, signed, value] => {
                let c = IntConst {
                    bits: bits.parse().map_err(|_| bad(line))?,
                    signed: *signed == "1",
                    value: value.parse().map_err(|_| bad(line))?,
                };
                obs.constants.insert(name.to_string(), c);
            }
            ["S", size, align] => {
                obs.clone_args = Some(StructLayout {
                    size: size.parse().map_err(|_| bad(line))?,
                    align: align.parse().map_err(|_| bad(line))?,
                    fields: BTreeMap::new(),
                    missing_fields: skip
                        .iter()
                        .filter_map(|n| n.strip_prefix("clone_args."))
                        .map(str::to_string)
                        .collect(),
                })
            }
            ["F", name, offset, size] => {
                let layout = obs.clone_args.as_mut().ok_or_else(|| bad(line))?;
                layout.fields.insert(
                    name.to_string(),
                    (
                        offset.parse().map_err(|_| bad(line))?,
                        size.parse().map_err(|_| bad(line))?,
                    ),
                );
            }
            _ => return Err(bad(line)),
        }
    }
    Ok(obs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn musl_triples_and_the_generated_probe() {
        assert_eq!(
            triple(Arch::S390x, LibcFlavour::Musl),
            "s390x-unknown-linux-musl"
        );
        assert_eq!(
            triple(Arch::Aarch64, LibcFlavour::Gnu),
            "aarch64-unknown-linux-gnu"
        );
        let names = vec!["CLONE_VM".to_string(), "CLONE_NNP".to_string()];
        let req = ProbeRequest {
            libc_version: "0.2.191",
            constants: &names,
            clone_args_fields: &["flags", "cgroup"],
            target_dir: Path::new("/nonexistent"),
        };
        let skip: BTreeSet<String> = ["CLONE_NNP".to_string(), "clone_args.cgroup".to_string()]
            .into_iter()
            .collect();
        let src = generate(&req, &skip, true);
        assert!(src.contains("c(\"CLONE_VM\", libc::CLONE_VM);"), "{src}");
        assert!(!src.contains("CLONE_NNP"));
        assert!(src.contains("offset_of!(libc::clone_args, flags)"));
        assert!(!src.contains("(*p).cgroup"));
        assert!(!generate(&req, &skip, false).contains("clone_args"));
        assert_eq!(
            quoted("cannot find value `CLONE_NNP` in crate `libc`"),
            Some("CLONE_NNP")
        );
    }
}
