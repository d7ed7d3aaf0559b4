//! A qemu-system run: the payload becomes /init of a generated initramfs, the batch rides
//! along as /cloneabi.batch, and the records come back on the console, framed and written
//! twice so interleaved kernel messages cannot lose or corrupt one silently.

use crate::initramfs::Initramfs;
use crate::protocol::batch::{encode_batch, BatchOptions, CgroupSetup};
use crate::qemu::{self, BootSpec, Exit};
use crate::session::{judge_run, programs, RawRun, StartError};
use cloneabi_arch::Arch;
use cloneabi_report::model::{QemuInfo, Run, RunnerKind};
use cloneabi_suites::case::Case;
use std::path::Path;
use std::time::Duration;

/// A kernel to boot and where it came from.
#[derive(Clone, Debug)]
pub struct GuestKernel<'a> {
    pub path: &'a Path,
    /// Debian package and version, when cloneabi provisioned it.
    pub package: Option<(String, String)>,
    /// The release channel the kernel came from (`sid`, `bookworm-backports`...), when
    /// cloneabi provisioned it.
    pub channel: Option<String>,
}

impl<'a> GuestKernel<'a> {
    /// A kernel from the cache, with its package and channel.
    pub fn cached(image: &'a crate::kernels::KernelImage) -> GuestKernel<'a> {
        GuestKernel {
            path: &image.path,
            package: Some((
                image.meta.package.clone(),
                image.meta.package_version.clone(),
            )),
            channel: Some(image.release.name().to_string()),
        }
    }

    /// A kernel the user named, of unknown provenance.
    pub fn file(path: &'a Path) -> GuestKernel<'a> {
        GuestKernel {
            path,
            package: None,
            channel: None,
        }
    }

    /// The image file, with its Debian package and version when known.
    pub fn name(&self) -> String {
        let file = self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |f| f.to_string_lossy().into_owned(),
        );
        match &self.package {
            Some((p, v)) => format!("{file} ({p} {v})"),
            None => file,
        }
    }

    /// The release a Debian package is built for (`linux-image-<release>`), or the file
    /// name of an image of unknown origin.
    pub fn release_guess(&self) -> String {
        match &self.package {
            Some((p, _)) => p.strip_prefix("linux-image-").unwrap_or(p).to_string(),
            None => self
                .path
                .file_name()
                .map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
        }
    }
}

/// The batch options of a guest: records written twice (the console is shared), power off
/// at the end; with `observe`, a fresh procfs and a cgroup2 hierarchy for the cases.
pub(crate) fn guest_options(observe: bool) -> BatchOptions {
    BatchOptions {
        write_twice: true,
        power_off: true,
        mount_proc: observe,
        cgroup: observe.then(|| CgroupSetup {
            mount_point: "/sys/fs/cgroup".into(),
            run_dir: "cloneabi".into(),
        }),
        bare: false,
        kmsg_noise: false,
    }
}

/// An initramfs whose /init is the arch's payload and whose /cloneabi.batch holds `cases`,
/// in a temporary directory that lives as long as this value.
pub(crate) struct GuestInitrd {
    pub payload: crate::payload::Payload,
    dir: tempfile::TempDir,
}

impl GuestInitrd {
    pub fn build(
        arch: Arch,
        cases: &[Case],
        options: &BatchOptions,
    ) -> Result<GuestInitrd, StartError> {
        let payload = crate::payload::provide(arch).map_err(|e| StartError(e.to_string()))?;
        let batch = encode_batch(arch, options, &programs(cases, arch));
        let init = std::fs::read(&payload.path)
            .map_err(|e| StartError(format!("reading {}: {e}", payload.path.display())))?;
        let dir = tempfile::Builder::new()
            .prefix("cloneabi-guest-")
            .tempdir()
            .map_err(|e| StartError(format!("cannot create a temporary directory: {e}")))?;
        Initramfs::new(init)
            .file("/cloneabi.batch", batch, 0o644)
            .write_to(&dir.path().join("initrd.cpio"))
            .map_err(|e| StartError(format!("building the initramfs: {e}")))?;
        Ok(GuestInitrd { payload, dir })
    }

    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("initrd.cpio")
    }
}

/// Boots `kernel` once and runs every case in it.
pub fn run_qemu_system(
    cases: &[Case],
    arch: Arch,
    kernel: &GuestKernel<'_>,
    run_timeout: Duration,
) -> Result<Run, StartError> {
    run_qemu_system_with(cases, arch, kernel, run_timeout, false).map(|(run, _)| run)
}

/// The same, returning the whole console too; `kmsg_noise` floods the kernel log during
/// every case (with `ignore_loglevel`, so every message reaches the console) to prove the
/// record framing survives interleaved printk output.
pub fn run_qemu_system_with(
    cases: &[Case],
    arch: Arch,
    kernel: &GuestKernel<'_>,
    run_timeout: Duration,
    kmsg_noise: bool,
) -> Result<(Run, Vec<u8>), StartError> {
    crate::kernels::identify::check(kernel.path, arch).map_err(|e| StartError(e.to_string()))?;
    let options = BatchOptions {
        kmsg_noise,
        ..guest_options(true)
    };
    let guest = GuestInitrd::build(arch, cases, &options)?;
    let (payload, initrd) = (guest.payload.clone(), guest.path());
    let mut spec = BootSpec::new(arch, kernel.path, &initrd);
    // Booted means the payload's first record is out; until then console silence of a few
    // normal boots is a hang. Nothing outlives the run's timeout.
    spec.ready_marker = Some(crate::protocol::RECORD_MARKER.as_bytes().to_vec());
    let silence = qemu::deadline::boot_silence(arch, run_timeout);
    spec.silence_timeout = Some(silence);
    spec.boot_timeout = run_timeout;
    spec.run_timeout = run_timeout;
    spec.total_timeout = Some(run_timeout);
    if kmsg_noise {
        spec.extra_append = "ignore_loglevel".into();
    }
    let outcome = qemu::boot(&spec, &mut |_| {}).map_err(|e| StartError(e.to_string()))?;
    let failure = if let Some(p) = &outcome.panic {
        Some(format!("the kernel reported '{}' during the run", p.kind))
    } else {
        match outcome.exit {
            Exit::Exited(0) => None,
            Exit::Exited(code) => Some(format!(
                "QEMU exited with status {code}: {}",
                outcome.qemu_stderr.trim()
            )),
            Exit::Signaled(sig) => Some(format!("QEMU died of signal {sig}")),
            Exit::Interrupted(sig) => Some(crate::interrupt::message(sig)),
            Exit::ConsoleFlood => Some(format!(
                "the guest's console passed {} MiB and QEMU was stopped: the kernel or the payload floods the console",
                qemu::MAX_CONSOLE >> 20
            )),
            Exit::TimedOut(qemu::Phase::Boot) => Some(format!(
                "the {arch} kernel {} never reached userspace: {}; an empty boot of {arch} takes about {:.1} s, so the kernel hung or the image is corrupt or unsupported{}",
                kernel.name(),
                if outcome.wall_time >= run_timeout {
                    format!("the run's timeout of {} s passed", run_timeout.as_secs())
                } else {
                    format!("its console was silent for {} s", silence.as_secs())
                },
                qemu::deadline::expected_boot(arch).as_secs_f64(),
                if outcome.console.is_empty() { " (it printed nothing)" } else { "" },
            )),
            Exit::TimedOut(qemu::Phase::Run) => Some(format!(
                "timeout: the guest did not power off within the run's {} s",
                run_timeout.as_secs()
            )),
        }
    };
    // A signal that cut the boot short (also one the terminal sent QEMU itself) is what
    // the run error says.
    let failure =
        failure.map(|f| crate::interrupt::requested().map_or(f, crate::interrupt::message));
    let raw = RawRun {
        arch,
        runner: RunnerKind::QemuSystem,
        output: outcome.console.clone(),
        wall_time: outcome.wall_time,
        payload,
        payload_level: 0,
        kernel_package: kernel.package.clone(),
        kernel_channel: kernel.channel.clone(),
        qemu: Some(QemuInfo {
            binary: outcome.qemu_binary.clone(),
            version: outcome.qemu_version.clone(),
            machine: Some(outcome.machine.clone()),
            cpu: Some(outcome.cpu.clone()),
            accelerator: Some(outcome.accelerator.to_string()),
        }),
        failure,
    };
    let console = raw.output.clone();
    let mut run = judge_run(cases, raw);
    if run.kernel.release.is_empty() {
        // uname was never seen: the run still needs a name of its own.
        let release = kernel.release_guess();
        run.findings.push(format!(
            "the kernel never reported its release; {release} is taken from {}",
            kernel.name()
        ));
        run.kernel.release = release.clone();
        for r in &mut run.results {
            r.kernel = release.clone();
        }
    }
    Ok((run, console))
}
