//! A qemu-system run: the payload becomes /init of a generated initramfs, the batch rides
//! along as /cloneabi.batch, and the records come back on the console, framed and written
//! twice so interleaved kernel messages cannot lose or corrupt one silently.

use crate::initramfs::Initramfs;
use crate::protocol::batch::{encode_batch, BatchOptions, CgroupSetup};
use crate::protocol::records::find;
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
    /// The kernel modules the record channel needs, in load order (`kernels::modules`).
    pub modules: Vec<std::path::PathBuf>,
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
            channel: image.release.map(|r| r.name().to_string()),
            modules: image.channel_modules().unwrap_or_default(),
        }
    }

    /// A kernel the user named, of unknown provenance; a kernel of the cache brings the
    /// record channel's modules along.
    pub fn file(path: &'a Path) -> GuestKernel<'a> {
        GuestKernel {
            path,
            package: None,
            channel: None,
            modules: crate::kernels::KernelImage::of_image(path)
                .and_then(|k| k.channel_modules())
                .unwrap_or_default(),
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

/// The batch options of a guest: records written once on the record channel, or twice
/// where the guest has no channel and shares its console with printk; power off at the end;
/// with `observe`, a fresh procfs and a cgroup2 hierarchy for the cases.
pub(crate) fn guest_options(observe: bool) -> BatchOptions {
    BatchOptions {
        write_twice: true,
        record_channel: true,
        session: false,
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

/// The options of a companion payload: the guest's /init powers off after it, and each
/// payload's cgroup directory is its own.
fn companion_options(arch: Arch, first: &BatchOptions) -> BatchOptions {
    BatchOptions {
        power_off: false,
        cgroup: first.cgroup.as_ref().map(|c| CgroupSetup {
            mount_point: c.mount_point.clone(),
            run_dir: format!("{}-{arch}", c.run_dir),
        }),
        ..first.clone()
    }
}

/// An initramfs whose /init is the first ABI's payload with `cases` as /cloneabi.batch, and
/// which carries every further ABI's payload and batch for /init to run after its own
/// (`wire::COMPANIONS_PATH`), in a temporary directory that lives as long as this value.
pub(crate) struct GuestInitrd {
    /// The payloads that will run, in order: /init's first.
    pub payloads: Vec<(Arch, crate::payload::Payload)>,
    /// Companion ABIs whose payload could not be had, and why.
    pub missing: Vec<(Arch, StartError)>,
    dir: tempfile::TempDir,
}

impl GuestInitrd {
    /// One ABI's payload as /init.
    pub fn build(
        arch: Arch,
        cases: &[Case],
        options: &BatchOptions,
        modules: &[std::path::PathBuf],
    ) -> Result<GuestInitrd, StartError> {
        GuestInitrd::build_group(&[arch], cases, options, modules)
    }

    /// `abis[0]`'s payload as /init, the others as its companions. A companion whose payload
    /// cannot be built is left out and listed in `missing`; the first one must build.
    pub fn build_group(
        abis: &[Arch],
        cases: &[Case],
        options: &BatchOptions,
        modules: &[std::path::PathBuf],
    ) -> Result<GuestInitrd, StartError> {
        use crate::protocol::wire::{COMPANIONS_PATH, COMPANION_DIR};
        let (&first, rest) = abis
            .split_first()
            .ok_or_else(|| StartError("no ABI to run".into()))?;
        let provide = |arch: Arch| {
            let payload = crate::payload::provide(arch).map_err(|e| StartError(e.to_string()))?;
            let bytes = std::fs::read(&payload.path)
                .map_err(|e| StartError(format!("reading {}: {e}", payload.path.display())))?;
            Ok::<_, StartError>((payload, bytes))
        };
        let (payload, init) = provide(first)?;
        let mut initramfs = Initramfs::new(init).file(
            crate::protocol::wire::BATCH_PATH,
            encode_batch(first, options, &programs(cases, first)),
            0o644,
        );
        if options.record_channel {
            for (i, m) in modules.iter().enumerate() {
                let bytes = std::fs::read(m)
                    .map_err(|e| StartError(format!("reading {}: {e}", m.display())))?;
                let name = m.file_name().unwrap_or_default().to_string_lossy();
                let name = name.split_once('-').map_or(&*name, |(_, n)| n);
                initramfs = initramfs.file(
                    &format!("{}/{i:02}-{name}", crate::protocol::wire::MODULES_DIR),
                    bytes,
                    0o644,
                );
            }
        }
        let mut payloads = vec![(first, payload)];
        let mut missing = Vec::new();
        let mut names = String::new();
        for &arch in rest {
            match provide(arch) {
                Ok((payload, bytes)) => {
                    let batch = encode_batch(
                        arch,
                        &companion_options(arch, options),
                        &programs(cases, arch),
                    );
                    initramfs = initramfs
                        .file(&format!("{COMPANION_DIR}/{arch}/init"), bytes, 0o755)
                        .file(&format!("{COMPANION_DIR}/{arch}/batch"), batch, 0o644);
                    names.push_str(arch.name());
                    names.push('\n');
                    payloads.push((arch, payload));
                }
                Err(e) => missing.push((arch, e)),
            }
        }
        if !names.is_empty() {
            initramfs = initramfs.file(COMPANIONS_PATH, names, 0o644);
        }
        let dir = tempfile::Builder::new()
            .prefix("cloneabi-guest-")
            .tempdir()
            .map_err(|e| StartError(format!("cannot create a temporary directory: {e}")))?;
        initramfs
            .write_to(&dir.path().join("initrd.cpio"))
            .map_err(|e| StartError(format!("building the initramfs: {e}")))?;
        Ok(GuestInitrd {
            payloads,
            missing,
            dir,
        })
    }

    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("initrd.cpio")
    }
}

/// Where each payload's part of a guest console begins: 0 for /init's, and for each
/// companion the first copy of its marker line (`None` when it never started). Each part
/// ends where the next one that started begins.
pub fn console_parts(console: &[u8], companions: &[Arch]) -> Vec<Option<usize>> {
    let mut starts = vec![Some(0)];
    let mut from = 0;
    for arch in companions {
        let at = find_marker(&console[from..], *arch).map(|i| from + i);
        if let Some(i) = at {
            from = i;
        }
        starts.push(at);
    }
    starts
}

/// The first marker line of `arch`'s payload: the marker, the ABI's name, and the line's end
/// (`\n`, or `\r\n` as a serial console writes it).
fn find_marker(hay: &[u8], arch: Arch) -> Option<usize> {
    let needle = format!("{}{arch}", crate::protocol::wire::PAYLOAD_MARKER);
    let mut from = 0;
    while let Some(i) = find(&hay[from..], needle.as_bytes()) {
        let at = from + i;
        if matches!(hay.get(at + needle.len()), Some(b'\r' | b'\n')) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// The byte range of part `i` given every part's start.
fn part_range(starts: &[Option<usize>], i: usize, len: usize) -> Option<std::ops::Range<usize>> {
    let start = starts[i]?;
    let end = starts[i + 1..]
        .iter()
        .flatten()
        .next()
        .copied()
        .unwrap_or(len);
    Some(start..end)
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
    let mut boot = boot_abis(cases, &[arch], kernel, run_timeout, kmsg_noise)?;
    let run = boot.runs.remove(0)?;
    Ok((run, boot.console))
}

/// One boot's runs.
pub struct BootRuns {
    /// One per ABI asked for, in that order: its run, or why its payload could not run.
    pub runs: Vec<Result<Run, StartError>>,
    pub console: Vec<u8>,
    /// What arrived on the record channel (empty when the guest had none).
    pub channel: Vec<u8>,
}

/// [`run_boot`] with the boot's console and record channel.
pub fn run_boot_streams(
    cases: &[Case],
    abis: &[Arch],
    kernel: &GuestKernel<'_>,
    run_timeout: Duration,
) -> Result<BootRuns, StartError> {
    boot_abis(cases, abis, kernel, run_timeout, false)
}

/// Boots `kernel` once and runs every case for each ABI of `abis`, which all run on that
/// kernel: the first ABI's payload is /init, and the others follow it in the same boot, so
/// the compat ABIs of an arch cost their cases' time and not a boot of their own. Each ABI
/// gets a run of its own. The error is for a boot that could not start at all.
pub fn run_boot(
    cases: &[Case],
    abis: &[Arch],
    kernel: &GuestKernel<'_>,
    run_timeout: Duration,
) -> Result<Vec<Result<Run, StartError>>, StartError> {
    boot_abis(cases, abis, kernel, run_timeout, false).map(|b| b.runs)
}

fn boot_abis(
    cases: &[Case],
    abis: &[Arch],
    kernel: &GuestKernel<'_>,
    run_timeout: Duration,
    kmsg_noise: bool,
) -> Result<BootRuns, StartError> {
    let arch = *abis
        .first()
        .ok_or_else(|| StartError("no ABI to run".into()))?;
    crate::kernels::identify::check(kernel.path, arch).map_err(|e| StartError(e.to_string()))?;
    let options = BatchOptions {
        kmsg_noise,
        // The noise test proves the console's framing: its records stay on the console.
        record_channel: !kmsg_noise,
        ..guest_options(true)
    };
    let guest = GuestInitrd::build_group(abis, cases, &options, &kernel.modules)?;
    let initrd = guest.path();
    let companions: Vec<Arch> = guest.payloads[1..].iter().map(|(a, _)| *a).collect();
    let mut spec = BootSpec::new(arch, kernel.path, &initrd);
    // Booted means the payload's first record is out; until then console silence of a few
    // normal boots is a hang. Nothing outlives the run's timeout.
    spec.ready_marker = Some(crate::protocol::RECORD_MARKER.as_bytes().to_vec());
    let silence = qemu::deadline::boot_silence(arch, run_timeout);
    spec.silence_timeout = Some(silence);
    spec.boot_timeout = run_timeout;
    spec.run_timeout = run_timeout;
    spec.total_timeout = Some(run_timeout);
    spec.record_channel = options.record_channel;
    // The companions' kernel arguments (x32's syscall.x32=y); /init's own come with its arch.
    let mut append: Vec<&str> = companions
        .iter()
        .map(|a| a.boot_args())
        .filter(|a| !a.is_empty() && *a != arch.boot_args())
        .collect();
    if kmsg_noise {
        append.push("ignore_loglevel");
    }
    append.dedup();
    spec.extra_append = append.join(" ");
    // When each payload's part of the console begins, for its run's wall time.
    let started = std::time::Instant::now();
    let mut seen = Vec::new();
    let mut marks: Vec<Duration> = Vec::new();
    let outcome = qemu::boot(&spec, &mut |chunk| {
        if marks.len() == companions.len() {
            return;
        }
        seen.extend_from_slice(chunk);
        while let Some(&abi) = companions.get(marks.len()) {
            // The marker plus the line end: what is kept between chunks.
            let len = crate::protocol::wire::PAYLOAD_MARKER.len() + abi.name().len() + 2;
            match find_marker(&seen, abi) {
                Some(i) => {
                    marks.push(started.elapsed());
                    seen.drain(..i + 1);
                }
                None => {
                    let keep = seen.len().saturating_sub(len);
                    seen.drain(..keep);
                    break;
                }
            }
        }
    })
    .map_err(|e| StartError(e.to_string()))?;
    let failure = boot_failure(&outcome, arch, kernel, run_timeout, silence);
    let console = outcome.console.clone();
    let starts = console_parts(&console, &companions);
    // The records: the channel's when the payload wrote there (the markers between the
    // payloads are on both), else the console's.
    let records = if outcome.channel.is_empty() {
        &console
    } else {
        &outcome.channel
    };
    let record_starts = console_parts(records, &companions);
    let qemu_info = QemuInfo {
        binary: outcome.qemu_binary.clone(),
        version: outcome.qemu_version.clone(),
        machine: Some(outcome.machine.clone()),
        cpu: Some(outcome.cpu.clone()),
        accelerator: Some(outcome.accelerator.to_string()),
    };
    let parts: Vec<(Arch, Option<(usize, bool)>)> = guest
        .payloads
        .iter()
        .enumerate()
        .map(|(i, (abi, _))| {
            let part = part_range(&record_starts, i, records.len()).map(|r| {
                let console_end =
                    part_range(&starts, i, console.len()).map_or(console.len(), |c| c.end);
                (console_end, part_ended(&records[r]))
            });
            (*abi, part)
        })
        .collect();
    let mut failures = part_failures(
        failure.as_deref(),
        outcome.panic.as_ref().map(|p| p.offset),
        &parts,
    );
    let mut runs = Vec::new();
    let mut missing = guest.missing;
    let mut ran = guest.payloads.into_iter().enumerate().peekable();
    for &abi in abis {
        if let Some(i) = missing.iter().position(|(a, _)| *a == abi) {
            runs.push(Err(missing.remove(i).1));
            continue;
        }
        let Some((i, (_, payload))) = ran.next() else {
            break;
        };
        let output = part_range(&record_starts, i, records.len())
            .map_or_else(Vec::new, |r| records[r].to_vec());
        // With the records on the channel, a case's log is the kernel's side: the console.
        let console_part = (!outcome.channel.is_empty()).then(|| {
            part_range(&starts, i, console.len()).map_or_else(Vec::new, |r| console[r].to_vec())
        });
        // The part's wall time: from the boot's start (/init) or its marker to the next
        // marker or QEMU's exit.
        let begin = if i == 0 {
            Some(Duration::ZERO)
        } else {
            marks.get(i - 1).copied()
        };
        let end = marks.get(i).copied().unwrap_or(outcome.wall_time);
        let wall_time = begin.map_or(Duration::ZERO, |b| end.saturating_sub(b));
        let failure = failures[i].take();
        let raw = RawRun {
            arch: abi,
            runner: RunnerKind::QemuSystem,
            output,
            console: console_part,
            wall_time,
            payload,
            // A companion is pid 1 of a pid namespace of its own.
            payload_level: if i == 0 { 0 } else { 1 },
            kernel_package: kernel.package.clone(),
            kernel_channel: kernel.channel.clone(),
            qemu: Some(qemu_info.clone()),
            failure,
        };
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
        runs.push(Ok(run));
    }
    Ok(BootRuns {
        runs,
        console,
        channel: outcome.channel,
    })
}

/// The run error of one payload's part, given the boot's failure, where on the console a
/// kernel failure appeared, and the part's end offset and whether it holds its end record
/// (`None` when the payload never started). A failure belongs to the part it appeared in and
/// to every part it cut short; a part that ended cleanly before it keeps its results.
fn part_failure(
    boot: Option<&str>,
    panic_at: Option<usize>,
    part: Option<(usize, bool)>,
    abi: Arch,
) -> Option<String> {
    let boot = boot?;
    match part {
        None => Some(format!("the {abi} payload never started: {boot}")),
        Some((end, ended)) => {
            let before_panic = panic_at.is_none_or(|p| p >= end);
            (!(ended && before_panic)).then(|| boot.to_string())
        }
    }
}

/// The run error of each payload's part (see [`part_failure`]). A boot failure that no part
/// takes (QEMU went on after every payload had ended: the guest did not power off) is
/// /init's, which powers the guest off.
fn part_failures(
    boot: Option<&str>,
    panic_at: Option<usize>,
    parts: &[(Arch, Option<(usize, bool)>)],
) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = parts
        .iter()
        .map(|(abi, part)| part_failure(boot, panic_at, *part, *abi))
        .collect();
    if let Some(f) = boot {
        if !out.is_empty() && out.iter().all(Option::is_none) {
            out[0] = Some(format!("after every payload had finished: {f}"));
        }
    }
    out
}

/// Whether a payload's part of the console holds its end record.
fn part_ended(part: &[u8]) -> bool {
    let mut parser = crate::protocol::records::RecordParser::new();
    let _ = parser.push(part);
    let _ = parser.finish();
    parser.report().ended
}

/// What went wrong with a boot as a whole, in the user's words; `None` after a clean
/// power-off.
pub(crate) fn boot_failure(
    outcome: &qemu::BootOutcome,
    arch: Arch,
    kernel: &GuestKernel<'_>,
    run_timeout: Duration,
    silence: Duration,
) -> Option<String> {
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
            Exit::Stopped => Some("the guest session was ended".into()),
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
    failure.map(|f| crate::interrupt::requested().map_or(f, crate::interrupt::message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_splits_at_each_companions_first_marker() {
        let m = crate::protocol::wire::PAYLOAD_MARKER;
        let console = format!(
            "boot\n@CLONEABI 0 H aa\r\n\r\n{m}i386\r\n\r\n{m}i386\r\n@CLONEABI 0 H bb\n\n{m}x32\n\n{m}x32\nrest"
        );
        let starts = console_parts(console.as_bytes(), &[Arch::I386, Arch::X32]);
        let i386 = console.find(&format!("{m}i386")).unwrap();
        let x32 = console.find(&format!("{m}x32")).unwrap();
        assert_eq!(starts, [Some(0), Some(i386), Some(x32)]);
        assert_eq!(part_range(&starts, 0, console.len()), Some(0..i386));
        assert_eq!(part_range(&starts, 1, console.len()), Some(i386..x32));
        assert_eq!(
            part_range(&starts, 2, console.len()),
            Some(x32..console.len())
        );
    }

    #[test]
    fn a_companion_that_never_started_has_no_part_and_does_not_cut_the_others() {
        let m = crate::protocol::wire::PAYLOAD_MARKER;
        // A name that only begins with the ABI's (as `powerpc` begins `powerpc64`) is not its marker.
        let console = format!("native\n{m}i3860\n{m}x32\nx32 records");
        let starts = console_parts(console.as_bytes(), &[Arch::I386, Arch::X32]);
        assert_eq!(starts[1], None);
        let x32 = console.find(&format!("{m}x32")).unwrap();
        assert_eq!(part_range(&starts, 0, console.len()), Some(0..x32));
        assert_eq!(part_range(&starts, 1, console.len()), None);
        assert_eq!(
            part_range(&starts, 2, console.len()),
            Some(x32..console.len())
        );
    }

    #[test]
    fn a_kernel_failure_belongs_to_the_part_it_cut_short() {
        let boot = Some("the kernel reported 'Oops' during the run");
        // Ended cleanly before the oops: kept.
        assert_eq!(
            part_failure(boot, Some(500), Some((400, true)), Arch::X86_64),
            None
        );
        // The oops is inside the part, even though its end record came out.
        assert_eq!(
            part_failure(boot, Some(300), Some((400, true)), Arch::X86_64).as_deref(),
            boot
        );
        // Cut short by a hang (no panic): the part without its end record carries it.
        let hang = Some("timeout: the guest did not power off within the run's 600 s");
        assert_eq!(
            part_failure(hang, None, Some((400, true)), Arch::X86_64),
            None
        );
        assert_eq!(
            part_failure(hang, None, Some((900, false)), Arch::I386).as_deref(),
            hang
        );
        // Never started.
        let e = part_failure(hang, None, None, Arch::X32).unwrap();
        assert!(
            e.starts_with("the x32 payload never started: timeout"),
            "{e}"
        );
        // A clean boot leaves judging to the records.
        assert_eq!(
            part_failure(None, None, Some((400, false)), Arch::I386),
            None
        );
    }

    #[test]
    fn a_guest_that_does_not_power_off_is_inits_run_error() {
        let hang = Some("timeout: the guest did not power off within the run's 60 s");
        let parts = [
            (Arch::X86_64, Some((100, true))),
            (Arch::I386, Some((200, true))),
        ];
        let f = part_failures(hang, None, &parts);
        assert_eq!(
            f[0].as_deref(),
            Some("after every payload had finished: timeout: the guest did not power off within the run's 60 s")
        );
        assert_eq!(f[1], None);
        // A part that broke takes it alone.
        let parts = [
            (Arch::X86_64, Some((100, true))),
            (Arch::I386, Some((200, false))),
        ];
        let f = part_failures(hang, None, &parts);
        assert_eq!((f[0].as_deref(), f[1].as_deref()), (None, hang));
        // A clean boot: nothing.
        assert!(part_failures(None, None, &parts)
            .iter()
            .all(Option::is_none));
    }

    #[test]
    fn companions_get_their_own_cgroup_and_leave_the_power_off_to_init() {
        let first = guest_options(true);
        let c = companion_options(Arch::I386, &first);
        assert!(first.power_off && !c.power_off);
        assert_eq!(c.cgroup.unwrap().run_dir, "cloneabi-i386");
        assert!(c.write_twice && c.mount_proc);
    }
}
