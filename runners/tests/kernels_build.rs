//! End to end: a kernel built from a source tree, rebuilt after a one-file edit.
//!
//! Ignored by default (a full tinyconfig build takes minutes; CI builds no kernels). Run with
//! `cargo test -p cloneabi-runners --test kernels_build -- --ignored --nocapture` after a
//! `cloneabi kernels build --source 6.1` unpacked linux-source-6.1 into the cache, or with
//! `CLONEABI_KBUILD_TREE=<a clean kernel tree>`. The tree is hard-linked into a temporary
//! directory (edits replace files, so the original is never written), and the build runs in a
//! temporary cache, so nothing is left behind.

use cloneabi_arch::Arch;
use cloneabi_runners::kernels::{self, identify, Cache, ConfigSpec, Origin, SourceSpec};
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

fn tree() -> Option<PathBuf> {
    if let Some(t) = std::env::var_os("CLONEABI_KBUILD_TREE") {
        return Some(t.into());
    }
    let src = Cache::from_env().ok()?.build_dir().join("src");
    std::fs::read_dir(src)
        .ok()?
        .flatten()
        .map(|e| e.path().join("linux-source-6.1"))
        .find(|p| p.join("Makefile").is_file())
}

#[test]
#[ignore = "builds a kernel twice: minutes on 2 cores"]
fn a_tree_rebuilds_incrementally_after_a_one_file_edit() {
    let Some(original) = tree() else {
        panic!("no kernel tree: set CLONEABI_KBUILD_TREE or run `cloneabi kernels build --arch x86_64 --source 6.1` once");
    };
    let tmp = tempfile::Builder::new()
        .prefix("cloneabi-kbuild-e2e-")
        .tempdir()
        .unwrap();
    let tree = tmp.path().join("linux");
    let st = Command::new("cp")
        .arg("-al")
        .arg(&original)
        .arg(&tree)
        .status()
        .unwrap();
    assert!(st.success(), "cp -al {}", original.display());
    let cache = Cache::at(tmp.path().join("cache")).unwrap();
    let arch = Arch::X86_64;

    let t = Instant::now();
    let first = kernels::build(
        &cache,
        arch,
        &SourceSpec::Tree(tree.clone()),
        &ConfigSpec::Minimal,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let full = t.elapsed();
    identify::check(&first.path, arch).unwrap();
    assert!(
        matches!(first.meta.origin, Origin::Tree { .. }),
        "{:?}",
        first.meta.origin
    );
    assert_eq!(first.release, None);

    // One file changes (a new file replaces the hard link, the original stays as it was).
    let fork = tree.join("kernel/fork.c");
    let mut text = std::fs::read_to_string(&fork).unwrap();
    text.push_str("\nint cloneabi_kbuild_e2e_marker;\n");
    std::fs::remove_file(&fork).unwrap();
    std::fs::write(&fork, text).unwrap();
    let t = Instant::now();
    let second = kernels::build(
        &cache,
        arch,
        &SourceSpec::Tree(tree.clone()),
        &ConfigSpec::Minimal,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let incremental = t.elapsed();
    identify::check(&second.path, arch).unwrap();
    assert_ne!(
        first.meta.sha256, second.meta.sha256,
        "the edit changed nothing"
    );
    eprintln!(
        "tree build: full {:.0} s, after editing kernel/fork.c {:.0} s",
        full.as_secs_f64(),
        incremental.as_secs_f64()
    );
    assert!(
        incremental.as_secs_f64() < full.as_secs_f64() / 3.0,
        "the rebuild ({incremental:?}) was not incremental (full build {full:?})"
    );
}
