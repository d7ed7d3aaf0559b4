//! The KTAP cloneabi prints is read by the kernel's own parser, `tools/testing/kunit/kunit.py
//! parse` from Debian's linux-source-6.1, with every case: one native run, and the main
//! job's shape (several runs in one document, with skips) from two native runs, one of them
//! under a seccomp mask.
//!
//! kunit.py comes from the kernel source tree the big-endian ppc64 build unpacks in the
//! cache, or else from `apt-get download linux-source-6.1` into a temporary directory.
//! Without python3 or the package it skips (fails when `CI=true`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn cache_root() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("CLONEABI_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|p| p.join("cloneabi")))
        .or_else(|| var("HOME").map(|p| p.join(".cache/cloneabi")))
}

/// `<cache>/build/*/*/linux-source-6.1/tools/testing/kunit/kunit.py`, if a build unpacked it.
fn kunit_in_cache() -> Option<PathBuf> {
    let build = cache_root()?.join("build");
    for a in std::fs::read_dir(build).ok()?.flatten() {
        for b in std::fs::read_dir(a.path()).ok()?.flatten() {
            let k = b
                .path()
                .join("linux-source-6.1/tools/testing/kunit/kunit.py");
            if k.is_file() {
                return Some(k);
            }
        }
    }
    None
}

/// Downloads linux-source-6.1 into `dir` and unpacks only tools/testing/kunit.
fn kunit_from_debian(dir: &Path) -> Result<PathBuf, String> {
    let sh = |script: &str| {
        let out = Command::new("sh")
            .args(["-ec", script])
            .current_dir(dir)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`{script}` failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    sh("apt-get download -q linux-source-6.1 >&2")?;
    sh(
        "dpkg-deb --fsys-tarfile linux-source-6.1_*.deb | tar -x ./usr/src/linux-source-6.1.tar.xz",
    )?;
    sh("tar -xJf usr/src/linux-source-6.1.tar.xz --wildcards 'linux-source-6.1/tools/testing/kunit/*'")?;
    Ok(dir.join("linux-source-6.1/tools/testing/kunit/kunit.py"))
}

fn cloneabi(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cloneabi"))
        .args(args)
        .output()
        .expect("cloneabi runs")
}

/// `kunit.py parse file`: its exit status (1 when a test failed), the number of tests it
/// ran and its whole output.
fn kunit_parse(kunit: &Path, file: &Path) -> (Option<i32>, usize, String) {
    let out = Command::new("python3")
        .arg(kunit)
        .arg("parse")
        .arg(file)
        .output()
        .expect("python3 runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    for trouble in ["[ERROR]", "CRASHED", "could not", "missing", "unexpected"] {
        assert!(!text.contains(trouble), "kunit.py: {trouble}:\n{text}");
    }
    let ran = text
        .lines()
        .find_map(|l| l.split("Testing complete. Ran ").nth(1))
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary line in:\n{text}"));
    (out.status.code(), ran, text)
}

#[test]
fn the_kernels_kunit_parser_reads_every_case() {
    let dir = tempfile::Builder::new()
        .prefix("cloneabi-kunit-")
        .tempdir()
        .unwrap();
    if Command::new("python3").arg("--version").output().is_err() {
        assert!(
            !ci(),
            "CI=true: python3 is missing (apt-get install python3)"
        );
        eprintln!("SKIP: python3 is missing");
        return;
    }
    let kunit = match kunit_in_cache()
        .map(Ok)
        .unwrap_or_else(|| kunit_from_debian(dir.path()))
    {
        Ok(k) => k,
        Err(reason) => {
            assert!(!ci(), "CI=true: {reason}");
            eprintln!("SKIP: {reason}");
            return;
        }
    };
    let cases = cloneabi(&["list"])
        .stdout
        .iter()
        .filter(|b| **b == b'\n')
        .count();

    let plain = dir.path().join("native.json");
    let masked = dir.path().join("masked.json");
    for (out, extra) in [(&plain, None), (&masked, Some("ENOSYS"))] {
        let mut args = vec!["run", "--runner", "native", "--format", "json", "--out"];
        args.push(out.to_str().unwrap());
        if let Some(e) = extra {
            args.extend(["--mask-clone3", e]);
        }
        let run = cloneabi(&args);
        if run.status.code() == Some(2) && !ci() {
            eprintln!(
                "SKIP: the native runner cannot start here: {}",
                String::from_utf8_lossy(&run.stderr)
            );
            return;
        }
        assert!(matches!(run.status.code(), Some(0 | 1)), "{args:?}");
    }

    // One run, as `cloneabi run --format ktap` prints it.
    let one = dir.path().join("one.ktap");
    let ktap = cloneabi(&["report", plain.to_str().unwrap(), "--format", "ktap"]);
    std::fs::write(&one, &ktap.stdout).unwrap();
    let (status, ran, text) = kunit_parse(&kunit, &one);
    assert_eq!(ran, cases, "{text}");
    assert_eq!(status, Some(0), "{text}");

    // Two runs in one document, the shape of the main job's output.
    let two = dir.path().join("two.ktap");
    let ktap = cloneabi(&[
        "report",
        plain.to_str().unwrap(),
        masked.to_str().unwrap(),
        "--format",
        "ktap",
    ]);
    std::fs::write(&two, &ktap.stdout).unwrap();
    let (status, ran, text) = kunit_parse(&kunit, &two);
    assert_eq!(ran, 2 * cases, "{text}");
    // The masked run fails cases, and kunit.py says so.
    assert_eq!(status, Some(1), "{text}");
}
