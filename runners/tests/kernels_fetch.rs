//! Kernel provisioning against the real Debian mirror and the real cache.
//!
//! `cargo test -p cloneabi-runners --test kernels_fetch -- --ignored` fetches the default
//! kernels of the ABI table (each kernel arch's default Debian releases) and builds
//! the big-endian ppc64 kernel (about 8 minutes). The non-ignored tests check what is in
//! the cache; they skip with a reason when it is empty, and fail when `CI=true`.

use cloneabi_arch::Arch;
use cloneabi_runners::kernels::{self, identify, Cache, KernelError, Origin, Release};
use std::io::Write;

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn skip(reason: &str) {
    assert!(!ci(), "CI=true: {reason}");
    eprintln!("SKIP: {reason}");
}

fn debian_arches() -> impl Iterator<Item = Arch> {
    Arch::kernels().filter(|a| a.kernel_arch().sources.debian.is_some())
}

#[test]
#[ignore = "network: downloads about 300 MB of Debian kernel packages"]
fn fetch_default_kernels() {
    let cache = Cache::from_env().unwrap();
    let mut failures = Vec::new();
    for arch in debian_arches() {
        for &release in arch.kernel_arch().sources.debian.unwrap().default {
            match kernels::fetch(release, arch, &cache) {
                Ok(k) => {
                    assert_eq!(identify::identify(&k.path).unwrap().arch, arch);
                    k.verify().unwrap();
                    eprintln!(
                        "{release:>18} {arch:<12} {} {} {} {}",
                        k.meta.package,
                        k.meta.package_version,
                        k.meta.kernel_release,
                        k.path.display()
                    );
                }
                Err(e) => failures.push(format!("{release} {arch}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "network: trixie, falling back to bookworm-backports where the mirror lacks the package"]
fn fetch_trixie_with_fallback() {
    let cache = Cache::from_env().unwrap();
    for arch in debian_arches().filter(|a| {
        a.kernel_arch()
            .sources
            .debian
            .is_some_and(|d| d.releases.contains(&Release::Trixie))
    }) {
        let k =
            kernels::fetch(Release::Trixie, arch, &cache).unwrap_or_else(|e| panic!("{arch}: {e}"));
        assert_eq!(k.series(), "6.12", "{arch}: {}", k.meta.kernel_release);
        eprintln!(
            "trixie {arch}: {} {} from {:?}",
            k.meta.package, k.meta.package_version, k.meta.origin
        );
    }
}

#[test]
#[ignore = "builds a kernel: about 8 minutes on 2 cores"]
fn build_ppc64_be_kernel() {
    let cache = Cache::from_env().unwrap();
    let t = std::time::Instant::now();
    let k = kernels::build_default(&cache, Arch::Powerpc64).unwrap_or_else(|e| panic!("{e}"));
    let found = identify::check(&k.path, Arch::Powerpc64).unwrap();
    assert_eq!(found.format.image, cloneabi_arch::ImageFormat::Elf);
    match &k.meta.origin {
        Origin::Built { build_seconds, config_sha256, .. } => eprintln!(
            "ppc64 BE: {} (config {config_sha256}); recorded build {build_seconds:.0}s; this call {:.1}s",
            k.path.display(),
            t.elapsed().as_secs_f64()
        ),
        o => panic!("not a built kernel: {o:?}"),
    }
}

#[test]
fn cached_kernels_are_what_their_metadata_says() {
    let cache = Cache::from_env().unwrap();
    let all = kernels::list(&cache);
    if all.is_empty() {
        return skip(&format!("no kernels in {}", cache.root().display()));
    }
    for k in &all {
        k.verify().unwrap_or_else(|e| panic!("{e}"));
        let found = identify::identify(&k.path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(found.arch, k.arch, "{}", k.path.display());
        assert!(k
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with(&k.meta.kernel_release));
        // Every other arch is refused, naming both.
        let other = Arch::ALL.into_iter().find(|a| *a != k.arch).unwrap();
        let msg = identify::check(&k.path, other).unwrap_err().to_string();
        assert!(
            msg.contains(&format!("is a {} kernel", k.arch))
                && msg.contains(&format!("{other} kernel was requested")),
            "{msg}"
        );
        // Debian's arm64 vmlinuz is the signed EFI-stub Image (PE "MZ" header,
        // uncompressed, since it carries a signature); an Image.gz is recognised too.
        assert_eq!(
            found.format.image,
            k.arch.kernel_arch().image,
            "{}",
            k.path.display()
        );
    }
}

#[test]
fn truncated_real_kernels_are_refused_clearly() {
    let cache = Cache::from_env().unwrap();
    let all = kernels::list(&cache);
    if all.is_empty() {
        return skip(&format!("no kernels in {}", cache.root().display()));
    }
    let dir = tempfile::tempdir().unwrap();
    for k in all {
        let bytes = std::fs::read(&k.path).unwrap();
        for cut in [0usize, 40] {
            let p = dir.path().join(format!("{}-{cut}", k.arch));
            std::fs::File::create(&p)
                .unwrap()
                .write_all(&bytes[..cut])
                .unwrap();
            let e = identify::identify(&p).unwrap_err().to_string();
            assert!(e.contains("too short"), "{}: {e}", k.path.display());
        }
        // The same Image gzip'd (as `make Image.gz` ships it) is recognised; cut inside
        // the gzip stream, before the Image header, it is refused.
        if k.arch == Arch::Aarch64 {
            assert_eq!(
                identify::identify(&k.path).unwrap().format.image,
                cloneabi_arch::ImageFormat::Arm64Image
            );
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&bytes[..0x20000]).unwrap();
            let gz = gz.finish().unwrap();
            let p = dir.path().join("arm64.gz");
            std::fs::write(&p, &gz).unwrap();
            assert_eq!(
                identify::identify(&p).unwrap().format,
                identify::KernelFormat {
                    image: cloneabi_arch::ImageFormat::Arm64Image,
                    gzip: true
                }
            );
            std::fs::write(&p, &gz[..30]).unwrap();
            let e = identify::identify(&p).unwrap_err().to_string();
            assert!(e.contains("too short") || e.contains("gzip"), "{e}");
        }
        // s390x: the marker lives at 0x10008, beyond a 64 KiB cut.
        if k.arch == Arch::S390x {
            let p = dir.path().join("s390-64k");
            std::fs::write(&p, &bytes[..0x10000]).unwrap();
            let e = identify::identify(&p).unwrap_err().to_string();
            assert!(e.contains("not a kernel image"), "{e}");
        }
    }
}

#[test]
fn unwritable_cache_is_explained() {
    let e = Cache::at("/proc/self/cloneabi").unwrap_err();
    assert!(matches!(e, KernelError::CacheUnwritable { .. }));
    assert!(e.to_string().contains("set CLONEABI_CACHE"), "{e}");
}
