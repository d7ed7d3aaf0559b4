//! Compiles fixtures/layout/layout.c with one ABI's cross gcc, at test time, into a
//! temporary directory. The compiler, its packages and the triple come from the ABI
//! table (`ArchAbi::debian`), so a new ABI is checked without a list to keep in step.

use cloneabi_arch::Arch;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What became of layout.c with one ABI's toolchain.
pub enum Outcome {
    /// The object file.
    Built { object: PathBuf },
    /// No usable compiler or headers: tests skip (or fail under CI=true) with this reason.
    Unavailable(String),
    /// The compiler ran and rejected layout.c: tests fail with this message.
    Failed(String),
}

pub fn layout_source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/layout/layout.c")
}

fn install_hint(arch: Arch) -> String {
    format!(
        "apt-get install {}",
        arch.abi().debian.cross_packages.join(" ")
    )
}

/// Whether `compiler --version` runs.
fn runs(compiler: &str) -> bool {
    Command::new(compiler)
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Compiles layout.c for `arch` into `dir`.
pub fn build(arch: Arch, dir: &Path) -> Outcome {
    let debian = &arch.abi().debian;
    // Debian's name first; on a matching host the native `gcc` is the same compiler.
    let mut candidates = vec![debian.cross_gcc];
    if Arch::host() == Some(arch) {
        candidates.push("gcc");
    }
    let Some(compiler) = candidates.into_iter().find(|c| runs(c)) else {
        return Outcome::Unavailable(format!(
            "{} not found on PATH: {}",
            debian.cross_gcc,
            install_hint(arch)
        ));
    };
    let host = Arch::host().map_or("x86_64-unknown-linux-gnu", |h| h.triple());
    let object = dir.join(format!("layout-{}.o", arch.name()));
    let tool = match cc::Build::new()
        .compiler(compiler)
        .target(arch.triple())
        .host(host)
        .opt_level(0)
        .debug(false)
        .warnings(true)
        .extra_warnings(true)
        .flag("-Werror")
        .cargo_metadata(false)
        .try_get_compiler()
    {
        Ok(tool) => tool,
        Err(e) => {
            return Outcome::Failed(format!("{compiler}: cc could not set up the compiler: {e}"))
        }
    };
    let mut cmd = tool.to_command();
    cmd.arg("-c").arg(layout_source()).arg("-o").arg(&object);
    let output = match cmd.output() {
        Ok(output) => output,
        Err(e) => {
            return Outcome::Unavailable(format!(
                "{compiler} could not be run ({e}): {}",
                install_hint(arch)
            ))
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() || !object.is_file() {
        // A header that is not there is a missing package, not a bug in layout.c.
        if stderr.contains("No such file or directory") && stderr.contains(".h") {
            return Outcome::Unavailable(format!(
                "{compiler} lacks the kernel headers ({}): {}",
                stderr
                    .lines()
                    .find(|l| l.contains("No such file"))
                    .unwrap_or_default()
                    .trim(),
                install_hint(arch)
            ));
        }
        return Outcome::Failed(format!("{cmd:?} failed ({}):\n{stderr}", output.status));
    }
    Outcome::Built { object }
}
