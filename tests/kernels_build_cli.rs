//! `cloneabi kernels build` refuses bad input with a message naming the problem and the fix,
//! exit status 2, and nothing on stdout; no network and no kernel build involved.

use std::process::{Command, Output};

fn build(args: &[&str], cache: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(["kernels", "build"])
        .args(args)
        .env("CLONEABI_CACHE", cache)
        .output()
        .unwrap()
}

fn refused(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    for n in needles {
        assert!(err.contains(n), "stderr lacks '{n}':\n{err}");
    }
}

#[test]
fn bad_sources_configs_and_arches_are_named_with_the_fix() {
    let t = tempfile::Builder::new()
        .prefix("cloneabi-kbuild-cli-")
        .tempdir()
        .unwrap();
    let cache = t.path().join("cache");
    let missing = t.path().join("no-such-tree");
    refused(
        &build(
            &["--arch", "x86_64", "--source", missing.to_str().unwrap()],
            &cache,
        ),
        &["no such directory", "6.1", "7.3"],
    );
    let not_a_tree = t.path().join("src");
    std::fs::create_dir(&not_a_tree).unwrap();
    refused(
        &build(
            &["--arch", "s390x", "--source", not_a_tree.to_str().unwrap()],
            &cache,
        ),
        &["not a Linux source tree"],
    );
    for f in [
        "Makefile",
        "Kconfig",
        "kernel/fork.c",
        "arch/x86/Kconfig",
        ".config",
    ] {
        let p = not_a_tree.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "").unwrap();
    }
    refused(
        &build(
            &["--arch", "arm64", "--source", not_a_tree.to_str().unwrap()],
            &cache,
        ),
        &["no arch/arm64"],
    );
    refused(
        &build(
            &["--arch", "i386", "--source", not_a_tree.to_str().unwrap()],
            &cache,
        ),
        &["make mrproper"],
    );
    let frag = t.path().join("bad.config");
    std::fs::write(&frag, "CONFIG_KASAN=y\nKCOV=y\n").unwrap();
    refused(
        &build(
            &[
                "--arch",
                "x86_64",
                "--source",
                not_a_tree.to_str().unwrap(),
                "--config",
                frag.to_str().unwrap(),
            ],
            &cache,
        ),
        &["bad.config line 2"],
    );
    let out = build(&["--arch", "mips", "--source", "6.1"], &cache);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("powerpc64le") && err.contains("riscv64"),
        "{err}"
    );
}
