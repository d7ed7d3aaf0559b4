//! Empty boots: every cached kernel boots under QEMU (TCG) with a tiny static /init
//! (fixtures/kernels/init-poweroff.c, built with the arch's Debian cross gcc) that prints
//! a marker line and powers off.
//!
//! One trial per kernel arch of the ABI table, named `boot::<triple>`. A missing kernel,
//! QEMU or cross compiler is an ignored trial with the reason, and fails when `CI=true`.
//! `-- --ignored measure_empty_boot_times --nocapture` prints tuned vs plain wall times.

use cloneabi_arch::Arch;
use cloneabi_runners::initramfs::Initramfs;
use cloneabi_runners::kernels::{self, Cache, KernelImage, Release};
use cloneabi_runners::qemu::{self, BootSpec, Exit, Phase, Tuning};
use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

const MARKER: &str = "CLONEABI-EMPTY-BOOT-OK";

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A trial whose environment is missing: ignored with the reason, a failure in CI.
fn skip(reason: String) -> Outcome {
    if ci() {
        return Err(format!("CI=true: {reason}").into());
    }
    Ok(Completion::ignored_with(reason))
}

type Outcome = Result<Completion, Failed>;

const DONE: Outcome = Ok(Completion::Completed);

fn tmp() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("boot_empty")
}

/// Static /init for `arch`, or why there is none.
fn init_for(arch: Arch) -> Result<PathBuf, String> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/kernels/init-poweroff.c");
    let out = tmp().join(format!("init-{arch}"));
    std::fs::create_dir_all(tmp()).unwrap();
    let fresh = |p: &Path| {
        let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        matches!((m(p), m(&src)), (Some(a), Some(b)) if a >= b)
    };
    if fresh(&out) {
        return Ok(out);
    }
    let d = &arch.abi().debian;
    let mut gcc = d.cross_gcc.to_string();
    if qemu::find_binary(&gcc).is_none() && Arch::host() == Some(arch) {
        gcc = "gcc".into();
    }
    let o = Command::new(&gcc)
        .args(["-static", "-O2", "-o"])
        .arg(&out)
        .arg(&src)
        .output()
        .map_err(|e| {
            format!(
                "{gcc}: {e} (apt-get install {})",
                d.cross_packages.join(" ")
            )
        })?;
    if !o.status.success() {
        return Err(format!(
            "{gcc} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    Ok(out)
}

fn initrd_for(arch: Arch, name: &str, init: Vec<u8>) -> PathBuf {
    std::fs::create_dir_all(tmp()).unwrap();
    let p = tmp().join(format!("initrd-{arch}-{name}.cpio"));
    Initramfs::new(init)
        .file("/cloneabi.batch", b"empty batch\n".to_vec(), 0o644)
        .write_to(&p)
        .unwrap();
    p
}

/// The cached kernels for `arch`: one per release (the built one for big-endian ppc64).
fn kernels_for(arch: Arch, cache: &Cache) -> Vec<KernelImage> {
    if arch.kernel_arch().sources.default_build.is_some() {
        return kernels::cached_default(cache, arch).into_iter().collect();
    }
    Release::ALL
        .into_iter()
        .filter_map(|r| kernels::cached(r, arch, cache).filter(|k| k.release == Some(r)))
        .collect()
}

fn spec(arch: Arch, k: &KernelImage, initrd: &Path, tuning: Tuning) -> BootSpec {
    let mut s = BootSpec::new(arch, &k.path, initrd);
    s.tuning = tuning;
    // Up to five TCG guests share two cores when the tests run in parallel.
    s.boot_timeout = Duration::from_secs(180);
    s.run_timeout = Duration::from_secs(30);
    s.ready_marker = Some(MARKER.as_bytes().to_vec());
    s
}

fn empty_boots(arch: Arch) -> Outcome {
    if let Err(e) = qemu::check_qemu(arch) {
        return skip(format!("{arch}: {e}"));
    }
    let cache = Cache::from_env().unwrap();
    let ks = kernels_for(arch, &cache);
    if ks.is_empty() {
        return skip(format!(
            "{arch}: no kernel in {} (run the kernels_fetch tests with --ignored)",
            cache.root().display()
        ));
    }
    let init = match init_for(arch) {
        Ok(p) => std::fs::read(p).unwrap(),
        Err(e) => return skip(format!("{arch}: no /init: {e}")),
    };
    let initrd = initrd_for(arch, "empty", init);
    for k in ks {
        let mut live = Vec::new();
        let out = qemu::boot(&spec(arch, &k, &initrd, Tuning::Tuned), &mut |c| {
            live.extend_from_slice(c)
        })
        .unwrap_or_else(|e| panic!("{arch} {}: {e}", k.meta.kernel_release));
        let text = out.console_text();
        assert_eq!(live, out.console, "the callback saw every console byte");
        assert!(
            out.clean_poweroff(),
            "{arch} {}: {:?} panic={:?}\nconsole:\n{text}\nqemu stderr: {}",
            k.meta.kernel_release,
            out.exit,
            out.panic,
            out.qemu_stderr
        );
        let line = text
            .lines()
            .find(|l| l.starts_with(MARKER))
            .unwrap_or_else(|| panic!("{arch}: no marker in console:\n{text}"));
        assert_eq!(
            line.trim_end(),
            format!(
                "{MARKER} machine={} release={}",
                arch.kernel_arch().uname_machine,
                k.meta.kernel_release
            )
        );
        assert_eq!(out.accelerator, "tcg");
        assert!(
            out.qemu_version.starts_with("QEMU emulator version"),
            "{}",
            out.qemu_version
        );
        eprintln!(
            "{arch:<12} {:<18} {:<28} {:>5.2}s (userspace after {:.2}s)  {} -M {} -cpu {}",
            k.release.map_or("built", |r| r.name()),
            k.meta.kernel_release,
            out.wall_time.as_secs_f64(),
            out.ready_after.unwrap_or_default().as_secs_f64(),
            out.qemu_version,
            out.machine,
            out.cpu
        );
    }
    DONE
}

/// Any cached x86_64 kernel with QEMU present, or why there is none.
fn any_x86_kernel() -> Result<KernelImage, String> {
    qemu::check_qemu(Arch::X86_64).map_err(|e| format!("x86_64: {e}"))?;
    let cache = Cache::from_env().unwrap();
    kernels_for(Arch::X86_64, &cache)
        .into_iter()
        .next()
        .ok_or_else(|| format!("x86_64: no kernel in {}", cache.root().display()))
}

fn a_kernel_panic_is_detected_with_an_excerpt() -> Outcome {
    let k = match any_x86_kernel() {
        Ok(k) => k,
        Err(reason) => return skip(reason),
    };
    // /init that is not executable: the kernel finds no working init and panics.
    let initrd = initrd_for(Arch::X86_64, "noinit", b"not an executable".to_vec());
    let mut s = spec(Arch::X86_64, &k, &initrd, Tuning::Tuned);
    s.ready_marker = None;
    s.boot_timeout = Duration::from_secs(120);
    let out = qemu::boot_quiet(&s).unwrap();
    let p = out
        .panic
        .as_ref()
        .unwrap_or_else(|| panic!("no panic seen:\n{}", out.console_text()));
    assert_eq!(p.kind, "Kernel panic - not syncing");
    assert!(p.excerpt.contains("No working init found"), "{}", p.excerpt);
    // panic=-1 with -no-reboot: QEMU exits by itself.
    assert_eq!(out.exit, Exit::Exited(0));
    assert!(!out.clean_poweroff());
    DONE
}

fn a_timeout_kills_qemu() -> Outcome {
    let k = match any_x86_kernel() {
        Ok(k) => k,
        Err(reason) => return skip(reason),
    };
    let init = match init_for(Arch::X86_64) {
        Ok(p) => std::fs::read(p).unwrap(),
        Err(e) => return skip(format!("x86_64: {e}")),
    };
    let initrd = initrd_for(Arch::X86_64, "timeout", init);
    let mut s = spec(Arch::X86_64, &k, &initrd, Tuning::Tuned);
    s.ready_marker = Some(b"a marker that never comes".to_vec());
    s.boot_timeout = Duration::from_millis(300);
    let out = qemu::boot_quiet(&s).unwrap();
    assert_eq!(out.exit, Exit::TimedOut(Phase::Boot));
    assert!(
        out.wall_time < Duration::from_secs(10),
        "{:?}",
        out.wall_time
    );
    // Reaped: no such process any more (or the pid was reused by something else).
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", out.pid)).unwrap_or_default();
    assert!(
        !comm.starts_with("qemu-system"),
        "QEMU {} still alive",
        out.pid
    );
    DONE
}

fn a_kernel_of_another_arch_is_refused_before_boot() -> Outcome {
    let k = match any_x86_kernel() {
        Ok(k) => k,
        Err(reason) => return skip(reason),
    };
    let initrd = initrd_for(Arch::Aarch64, "refuse", vec![0]);
    let e = qemu::boot_quiet(&BootSpec::new(Arch::Aarch64, &k.path, &initrd))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("is a x86_64 kernel") && e.contains("aarch64 kernel was requested"),
        "{e}"
    );
    DONE
}

fn measure_empty_boot_times() -> Outcome {
    let cache = Cache::from_env().unwrap();
    let only = std::env::var("CLONEABI_MEASURE_ARCH").ok();
    let extra: Vec<String> = std::env::var("CLONEABI_MEASURE_EXTRA")
        .map(|s| s.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let runs: usize = std::env::var("CLONEABI_MEASURE_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let plain = std::env::var_os("CLONEABI_MEASURE_NO_PLAIN").is_none();
    let mut measured = 0;
    for arch in Arch::ALL {
        if only.as_deref().is_some_and(|o| o != arch.name()) {
            continue;
        }
        let Ok(init) = init_for(arch) else { continue };
        let initrd = initrd_for(arch, "measure", std::fs::read(init).unwrap());
        for k in kernels_for(arch, &cache) {
            let tunings: &[Tuning] = if plain {
                &[Tuning::Tuned, Tuning::Plain]
            } else {
                &[Tuning::Tuned]
            };
            for &t in tunings {
                let mut times = Vec::new();
                let mut desc = String::new();
                for _ in 0..runs {
                    let mut s = spec(arch, &k, &initrd, t);
                    if t == Tuning::Tuned {
                        s.extra_qemu_args = extra.clone();
                    }
                    let out = qemu::boot_quiet(&s).unwrap();
                    assert!(
                        out.clean_poweroff(),
                        "{arch} {t:?}: {:?}\n{}",
                        out.exit,
                        out.console_text()
                    );
                    times.push(out.wall_time.as_secs_f64());
                    desc = out.command[1..]
                        .iter()
                        .filter(|a| !a.contains('/'))
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" ");
                }
                times.sort_by(|a, b| a.partial_cmp(b).unwrap());
                measured += 1;
                println!(
                    "MEASURE {arch:<12} {:<18} {t:?}: median {:.2}s min {:.2}s max {:.2}s | {desc}",
                    k.release.map_or("built", |r| r.name()),
                    times[times.len() / 2],
                    times[0],
                    times[times.len() - 1]
                );
            }
        }
    }
    assert!(measured > 0, "nothing to measure");
    DONE
}

fn main() {
    let args = Arguments::from_args();
    let mut trials: Vec<Trial> = Arch::kernels()
        .map(|arch| {
            Trial::ignorable_test(format!("boot::{}", arch.triple()), move || {
                empty_boots(arch)
            })
        })
        .collect();
    trials.push(Trial::ignorable_test(
        "a_kernel_panic_is_detected_with_an_excerpt",
        a_kernel_panic_is_detected_with_an_excerpt,
    ));
    trials.push(Trial::ignorable_test(
        "a_timeout_kills_qemu",
        a_timeout_kills_qemu,
    ));
    trials.push(Trial::ignorable_test(
        "a_kernel_of_another_arch_is_refused_before_boot",
        a_kernel_of_another_arch_is_refused_before_boot,
    ));
    trials.push(
        Trial::ignorable_test("measure_empty_boot_times", measure_empty_boot_times)
            .with_ignored_flag(true),
    );
    libtest_mimic::run(&args, trials).exit();
}
