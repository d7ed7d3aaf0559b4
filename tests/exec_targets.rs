//! `cargo test --target <triple>` through `cloneabi exec`, per arch: the `cloneabi-arch`
//! crate's own tests (encoder, layout checks, model) compiled for the target and run on a
//! real kernel of it, and the tests of a small external crate (fixtures/exec-crate: clone3
//! through the `libc` crate, which qemu-user would answer with ENOSYS).
//!
//! Trials are named `exec::<triple>::cloneabi-arch` and `exec::<triple>::clone3-demo`, so
//! `cargo test s390x-unknown-linux-gnu` selects one triple. A missing rustup target, cross
//! compiler or cached kernel skips the trial with the command that fixes it; under
//! `CI=true` it fails.

use cloneabi_arch::Arch;
use cloneabi_runners::exec::cached_kernel;
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use std::process::Command;

const CLONEABI: &str = env!("CARGO_BIN_EXE_cloneabi");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// The nested builds' target directory: apart from the outer build's, whose lock the outer
/// `cargo test` holds.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("exec-targets")
}

/// What is missing to test `arch` this way, with the command that installs it.
fn missing(arch: Arch) -> Option<String> {
    let triple = arch.triple();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let std_lib = sysroot.map(|s| Path::new(&s).join("lib/rustlib").join(triple).join("lib"));
    if !std_lib.is_some_and(|p| p.is_dir()) {
        return Some(format!(
            "the Rust standard library for {triple} is not installed: run `rustup target add {triple}`"
        ));
    }
    let debian = &arch.abi().debian;
    if Command::new(debian.cross_gcc)
        .arg("--version")
        .output()
        .is_err()
    {
        return Some(format!(
            "{} is not installed: apt-get install {}",
            debian.cross_gcc,
            debian.cross_packages.join(" ")
        ));
    }
    cached_kernel(arch, None).err()
}

/// `cargo test --target <triple>` with cloneabi exec as the runner, plus `extra` arguments.
fn cargo_test(arch: Arch, extra: &[&str]) -> Result<String, Failed> {
    let triple = arch.triple();
    let var = |what: &str| {
        format!(
            "CARGO_TARGET_{}_{what}",
            triple.to_ascii_uppercase().replace('-', "_")
        )
    };
    let output = Command::new(env!("CARGO"))
        .current_dir(ROOT)
        .arg("test")
        .args(["--target", triple])
        .arg("--target-dir")
        .arg(target_dir())
        .args(extra)
        .env(var("RUNNER"), format!("{CLONEABI} exec --arch {arch} --"))
        .env(var("LINKER"), arch.abi().debian.cross_gcc)
        .env(var("RUSTFLAGS"), "-C target-feature=+crt-static")
        // These would replace the per-target flags.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if !output.status.success() {
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(60)..].join("\n");
        return Err(format!(
            "cargo test --target {triple} failed ({}):\n{tail}",
            output.status
        )
        .into());
    }
    Ok(text)
}

/// Passed tests summed over every `test result:` line of libtest's output.
fn passed(output: &str) -> usize {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("test result: ok. "))
        .filter_map(|rest| rest.split(' ').next()?.parse::<usize>().ok())
        .sum()
}

fn trial(arch: Arch, what: &'static str, extra: &'static [&'static str], at_least: usize) -> Trial {
    let name = format!("exec::{}::{what}", arch.triple());
    if let Some(why) = missing(arch) {
        // A compat ABI's standard library is optional: rustup's mirror may not carry it
        // (x86_64-unknown-linux-gnux32 here), and the compat kernels are covered by the main
        // job's compat runs anyway.
        if in_ci() && !arch.is_compat() {
            return Trial::test(name, move || Err(format!("required for CI: {why}").into()));
        }
        eprintln!("SKIP {name}: {why}");
        return Trial::test(name, || Ok(())).with_ignored_flag(true);
    }
    Trial::test(name, move || {
        let out = cargo_test(arch, extra)?;
        let n = passed(&out);
        if n < at_least {
            return Err(format!(
                "only {n} tests passed through cloneabi exec (expected at least {at_least}):\n{out}"
            )
            .into());
        }
        Ok(())
    })
}

/// `.cargo/config.toml` gives every ABI but the host's a section with the ABI's cross
/// linker and `cloneabi exec --arch <abi>` as its runner.
fn cargo_config_trial() -> Trial {
    Trial::test("exec::cargo-config-matches-the-abi-table", || {
        let path = Path::new(ROOT).join(".cargo/config.toml");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let doc: toml_edit::DocumentMut = text
            .parse()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut wrong = Vec::new();
        for arch in Arch::ALL.into_iter().filter(|a| Some(*a) != Arch::host()) {
            let section = &doc["target"][arch.triple()];
            let linker = section["linker"].as_str();
            let runner = section["runner"].as_str();
            if linker != Some(arch.abi().debian.cross_gcc) {
                wrong.push(format!(
                    "[target.{}] linker is {linker:?}, the table says {}",
                    arch.triple(),
                    arch.abi().debian.cross_gcc
                ));
            }
            let want = format!(".cargo/cloneabi-exec --arch {arch} --");
            if runner != Some(want.as_str()) {
                wrong.push(format!(
                    "[target.{}] runner is {runner:?}, expected {want:?}",
                    arch.triple()
                ));
            }
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(wrong.join("\n").into())
        }
    })
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![cargo_config_trial()];
    // Every ABI: the compat ones boot their 64-bit kernel.
    for arch in Arch::ALL {
        // The arch crate: unit tests, encoder, build table and the layout trials.
        // riscv64: Debian's static glibc cannot link the unoptimized layout test binary
        // (R_RISCV_JAL to __syscall_error out of range); the release build links.
        let args: &'static [&'static str] = if arch == Arch::Riscv64 {
            &["-p", "cloneabi-arch", "--release"]
        } else {
            &["-p", "cloneabi-arch"]
        };
        trials.push(trial(arch, "cloneabi-arch", args, 100));
        trials.push(trial(
            arch,
            "clone3-demo",
            &["--manifest-path", "fixtures/exec-crate/Cargo.toml"],
            4,
        ));
    }
    libtest_mimic::run(&args, trials).exit();
}
