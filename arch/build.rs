//! Compiles fixtures/layout/layout.c for the target this crate is built for, so that
//! tests/layout.rs can check the target's own ABI where no compiler is at hand: inside a
//! guest, when the tests are cross-built and run through `cloneabi exec`. On the host the
//! test compiles layout.c with every ABI's compiler itself; this object is its fallback.
//! A missing compiler is not an error: the object is then absent.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let source = manifest_dir.join("../fixtures/layout/layout.c");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", source.display());

    let objects = cc::Build::new()
        .file(&source)
        .opt_level(0)
        .debug(false)
        .warnings(true)
        .extra_warnings(true)
        .flag("-Werror")
        .cargo_metadata(false)
        .try_compile_intermediates();
    let mut generated = String::from(
        "/// layout.c compiled for the target of this build, when its compiler was there.\n",
    );
    match objects.as_deref() {
        Ok([object]) => writeln!(
            generated,
            "pub const TARGET_OBJECT: Option<&[u8]> = Some(include_bytes!({:?}));",
            object.display().to_string()
        )
        .unwrap(),
        other => {
            let why = match other {
                Err(e) => e.to_string(),
                Ok(v) => format!("{} objects", v.len()),
            };
            println!("cargo:warning=layout.c for the build target: {why}");
            generated.push_str("pub const TARGET_OBJECT: Option<&[u8]> = None;\n");
        }
    }
    fs::write(out_dir.join("layout_target.rs"), generated).expect("write layout_target.rs");
}
