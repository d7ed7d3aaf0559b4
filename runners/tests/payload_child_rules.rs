//! The payload's CHILD side (fixtures/probe/child.c) runs in the clone child, whatever its
//! flags: on a stack the child may not own, with another TLS, in a thread the C library does
//! not know. It may call nothing outside itself. Compiled alone, its object file must need
//! no symbol from anywhere else, on every ABI whose cross compiler is installed.

use cloneabi_arch::{cheader, Arch};
use cloneabi_runners::protocol::wire;
use std::path::Path;
use std::process::Command;

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// The symbols `child.c`'s object file for `arch` leaves undefined.
fn undefined_symbols(arch: Arch, gcc: &str, nm: &str, dir: &Path) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/probe");
    let gen = dir.join(arch.name());
    std::fs::create_dir_all(&gen).unwrap();
    std::fs::write(gen.join(cheader::FILE_NAME), cheader::payload_header(arch)).unwrap();
    std::fs::write(gen.join(wire::C_HEADER_FILE), wire::c_header()).unwrap();
    let obj = gen.join("child.o");
    // The payload's own flags (runners/src/payload/build_cmd.rs), without -static.
    let out = Command::new(gcc)
        .args(["-O2", "-fno-stack-protector", "-fno-builtin"])
        .args([
            "-fno-tree-loop-distribute-patterns",
            "-Wall",
            "-Wextra",
            "-c",
        ])
        .arg("-I")
        .arg(&gen)
        .arg("-I")
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .arg(src.join("child.c"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{gcc} -c child.c failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(nm).arg("-u").arg(&obj).output().unwrap();
    assert!(out.status.success(), "{nm} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().last().map(str::to_string))
        // Anchors the linker provides: i386's GOT and ppc64 ELFv2's TOC base.
        .filter(|s| s != "_GLOBAL_OFFSET_TABLE_" && s != ".TOC.")
        .collect()
}

#[test]
fn the_child_side_calls_nothing_outside_itself() {
    let ci = std::env::var("CI").as_deref() == Ok("true");
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-child-rules-")
        .tempdir()
        .unwrap();
    let mut checked = Vec::new();
    for arch in Arch::ALL {
        let gcc = arch.abi().debian.cross_gcc;
        let nm = gcc.replace("-gcc", "-nm");
        if !on_path(gcc) || !on_path(&nm) {
            assert!(
                !ci,
                "{gcc} or {nm} is missing in CI (.ci/run installs them)"
            );
            eprintln!("SKIP {arch}: {gcc} or {nm} is not installed");
            continue;
        }
        let undefined = undefined_symbols(arch, gcc, &nm, dir.path());
        assert!(
            undefined.is_empty(),
            "child.c for {arch} calls outside itself: {undefined:?}"
        );
        checked.push(arch.name());
    }
    assert!(!checked.is_empty(), "no cross compiler is installed");
    eprintln!("checked: {checked:?}");
}
