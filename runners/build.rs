//! Compiles the payload (fixtures/probe) for every arch whose Debian cross compiler is on
//! PATH and generates `$OUT_DIR/embedded_payloads.rs` listing them for `include_bytes!`.
//! A missing compiler is never an error here: that arch is simply not embedded (a warning
//! names the Debian packages) and `payload::provide` builds it at run time if it can.
//! Set CLONEABI_NO_EMBED=1 to embed nothing.

#[path = "src/payload/build_cmd.rs"]
mod build_cmd;
#[path = "src/protocol/wire.rs"]
#[allow(dead_code)]
mod wire;

use cloneabi_arch::Arch;
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    let src = manifest.join("../fixtures/probe");
    println!("cargo:rerun-if-changed=src/payload/build_cmd.rs");
    println!("cargo:rerun-if-changed=src/protocol/wire.rs");
    let mut sources = String::from(
        "/// The payload's C sources: (path relative to fixtures/probe, text).\n\
         pub static SOURCES: &[(&str, &str)] = &[\n",
    );
    for f in build_cmd::source_files() {
        let path = src.join(f);
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(
            sources,
            "    ({f:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    sources.push_str("];\n");
    std::fs::write(out_dir.join("payload_sources.rs"), sources).unwrap();
    println!("cargo:rerun-if-env-changed=CLONEABI_NO_EMBED");
    println!("cargo:rerun-if-env-changed=PATH");
    let skip = std::env::var_os("CLONEABI_NO_EMBED").is_some_and(|v| v != "0");

    let mut table = String::from(
        "/// Payload binaries compiled by build.rs: (arch name, bytes).\n\
         pub(crate) static EMBEDDED: &[(&str, &[u8])] = &[\n",
    );
    for arch in Arch::ALL {
        if skip {
            break;
        }
        let debian = &arch.abi().debian;
        if build_cmd::find_in_path(debian.cross_gcc).is_none() {
            println!(
                "cargo:warning=no {} on PATH: the {} payload is not embedded \
                 (apt-get install {})",
                debian.cross_gcc,
                arch,
                debian.cross_packages.join(" ")
            );
            continue;
        }
        let out = out_dir.join(format!("probe-{arch}"));
        let gen_dir = out_dir.join("abi").join(arch.name());
        match build_cmd::compile(arch, debian.cross_gcc, &src, &gen_dir, &out) {
            Ok(()) => {
                writeln!(
                    table,
                    "    ({:?}, include_bytes!({:?})),",
                    arch.name(),
                    out.display().to_string()
                )
                .unwrap();
            }
            Err(e) => {
                let first = e.lines().next().unwrap_or_default().to_string();
                println!("cargo:warning=the {arch} payload did not build: {first}");
            }
        }
    }
    table.push_str("];\n");
    std::fs::write(out_dir.join("embedded_payloads.rs"), table).unwrap();
}
