//! The flag values against the kernel's own UAPI header, not a toolchain's copy: Debian's
//! linux-source-7.3 `include/uapi/linux/sched.h`, read through cc (a small program that
//! includes the header and prints every `CLONE_*` the model knows, compiled and run here).
//!
//! Where the tree is: `$CLONEABI_LINUX_SOURCE` (any kernel tree), else
//! `<cloneabi cache>/linux-source/7.3/` as `.ci/fetch-linux-uapi 7.3` leaves it (a private apt
//! state; the host's apt is not touched). Without the tree every trial is skipped with that
//! command, except under `CI=true`, where each fails.
//!
//! Trials: `kernel_uapi::linux-source-7.3::flag::<NAME>` (the model's value of one flag),
//! `...::header_flags_all_modelled` (every `CLONE_*` the header defines is in the model) and
//! `...::size_latest` (the newest `CLONE_ARGS_SIZE_VER*` is the model's struct size).

use cloneabi_arch::clone_args::SIZE_LATEST;
use cloneabi_arch::flags;
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// The Debian source package whose header is the reference, and its version.
const SOURCE: &str = "linux-source-7.3";
const VERSION: &str = "7.3";

fn cache_root() -> Option<PathBuf> {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(p) = nonempty("CLONEABI_CACHE") {
        return Some(PathBuf::from(p));
    }
    if let Some(p) = nonempty("XDG_CACHE_HOME") {
        return Some(PathBuf::from(p).join("cloneabi"));
    }
    nonempty("HOME").map(|h| PathBuf::from(h).join(".cache/cloneabi"))
}

/// The tree holding `include/uapi/linux/sched.h`.
fn locate() -> Result<PathBuf, String> {
    let fetch = format!(
        "run `.ci/fetch-linux-uapi {VERSION}` (downloads Debian's {SOURCE} into the cloneabi \
         cache), or set CLONEABI_LINUX_SOURCE to a kernel tree"
    );
    let candidate = match std::env::var_os("CLONEABI_LINUX_SOURCE").filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => cache_root()
            .ok_or_else(|| format!("no cache directory (set CLONEABI_CACHE or HOME); {fetch}"))?
            .join("linux-source")
            .join(VERSION),
    };
    if candidate.join("include/uapi/linux/sched.h").is_file() {
        Ok(candidate)
    } else {
        Err(format!(
            "{} has no include/uapi/linux/sched.h: {fetch}",
            candidate.display()
        ))
    }
}

/// `VERSION.PATCHLEVEL` from the tree's Makefile, when it has one.
fn tree_version(tree: &Path) -> Option<String> {
    let text = std::fs::read_to_string(tree.join("Makefile")).ok()?;
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.trim().strip_prefix('=').map(str::trim))
            .map(str::to_string)
    };
    Some(format!("{}.{}", get("VERSION")?, get("PATCHLEVEL")?))
}

/// The names the probe asks the header for.
fn probed_names() -> Vec<String> {
    let mut names: Vec<String> = flags::all().iter().map(|f| f.name.to_string()).collect();
    names.extend((0..=4).map(|v| format!("CLONE_ARGS_SIZE_VER{v}")));
    names
}

/// Compiles and runs a program that prints `NAME VALUE` (or `NAME undefined`) for every name.
fn probe(tree: &Path) -> Result<BTreeMap<String, Option<u64>>, String> {
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-uapi-")
        .tempdir()
        .map_err(|e| format!("scratch directory: {e}"))?;
    let mut src = String::from("#include <linux/sched.h>\n#include <stdio.h>\nint main(void)\n{\n");
    for n in probed_names() {
        src.push_str(&format!(
            "#ifdef {n}\n\tprintf(\"{n} %llu\\n\", (unsigned long long)({n}));\n#else\n\tputs(\"{n} undefined\");\n#endif\n"
        ));
    }
    src.push_str("\treturn 0;\n}\n");
    let c = dir.path().join("uapi.c");
    let exe = dir.path().join("uapi");
    std::fs::write(&c, src).map_err(|e| format!("{}: {e}", c.display()))?;
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    // __EXPORTED_HEADERS__: the tree's uapi headers as headers_install would export them.
    let out = Command::new(&cc)
        .arg("-D__EXPORTED_HEADERS__")
        .arg("-I")
        .arg(tree.join("include/uapi"))
        .arg(&c)
        .arg("-o")
        .arg(&exe)
        .output()
        .map_err(|e| format!("{cc}: {e} (install gcc)"))?;
    if !out.status.success() {
        return Err(format!(
            "{cc} failed on {}/include/uapi/linux/sched.h:\n{}",
            tree.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let out = Command::new(&exe)
        .output()
        .map_err(|e| format!("{}: {e}", exe.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut values = BTreeMap::new();
    for line in text.lines() {
        let (name, value) = line
            .split_once(' ')
            .ok_or_else(|| format!("probe printed {line:?}"))?;
        let value = match value {
            "undefined" => None,
            v => Some(v.parse().map_err(|e| format!("{line:?}: {e}"))?),
        };
        values.insert(name.to_string(), value);
    }
    Ok(values)
}

/// The `CLONE_*` macro names the header defines (its text, so nothing is missed).
fn header_flag_names(tree: &Path) -> Result<Vec<String>, String> {
    let path = tree.join("include/uapi/linux/sched.h");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("#define"))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|n| n.starts_with("CLONE_") && !n.starts_with("CLONE_ARGS_SIZE_VER"))
        .map(str::to_string)
        .collect())
}

struct Header {
    values: BTreeMap<String, Option<u64>>,
    flag_names: Vec<String>,
}

fn load() -> Result<Header, String> {
    let tree = locate()?;
    if let Some(v) = tree_version(&tree) {
        if v != VERSION {
            return Err(format!(
                "{} is Linux {v}, not {VERSION}: point CLONEABI_LINUX_SOURCE at {SOURCE}",
                tree.display()
            ));
        }
    }
    Ok(Header {
        values: probe(&tree)?,
        flag_names: header_flag_names(&tree)?,
    })
}

type Check = Box<dyn Fn(&Header) -> Result<(), String> + Send + Sync>;

fn checks() -> Vec<(String, Check)> {
    let mut v: Vec<(String, Check)> = Vec::new();
    for f in flags::all() {
        v.push((
            format!("flag::{}", f.name),
            Box::new(move |h| match h.values.get(f.name).copied().flatten() {
                Some(value) if value == f.value => Ok(()),
                Some(value) => Err(format!(
                    "{}: model {:#x}, {SOURCE} {value:#x}",
                    f.name, f.value
                )),
                None => Err(format!("{}: {SOURCE} does not define it", f.name)),
            }),
        ));
    }
    v.push((
        "header_flags_all_modelled".into(),
        Box::new(|h| {
            let missing: Vec<&String> = h
                .flag_names
                .iter()
                .filter(|n| flags::flag_by_name(n).is_none())
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "{SOURCE} defines {missing:?}, which arch/src/flags.rs lacks"
                ))
            }
        }),
    ));
    v.push((
        "size_latest".into(),
        Box::new(|h| {
            let newest = (0..=4)
                .filter_map(|i| {
                    h.values
                        .get(&format!("CLONE_ARGS_SIZE_VER{i}"))
                        .copied()
                        .flatten()
                })
                .max();
            match newest {
                Some(n) if n == SIZE_LATEST as u64 => Ok(()),
                other => Err(format!(
                    "newest CLONE_ARGS_SIZE_VER* in {SOURCE}: {other:?}, model {SIZE_LATEST}"
                )),
            }
        }),
    ));
    v
}

fn main() {
    let args = Arguments::from_args();
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let header = Arc::new(load());
    if let Err(e) = header.as_ref() {
        let what = if in_ci {
            "FAILING (CI=true)"
        } else {
            "skipped"
        };
        eprintln!("kernel_uapi: {what}: {e}");
    }
    let trials = checks()
        .into_iter()
        .map(|(name, check)| {
            let header = Arc::clone(&header);
            Trial::ignorable_test(
                format!("kernel_uapi::{SOURCE}::{name}"),
                move || match header.as_ref() {
                    Ok(h) => check(h)
                        .map(|()| Completion::Completed)
                        .map_err(Failed::from),
                    Err(e) if in_ci => Err(format!("{e} (CI=true: a missing header fails)").into()),
                    Err(e) => Ok(Completion::ignored_with(e.clone())),
                },
            )
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
