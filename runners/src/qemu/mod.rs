//! Boot a kernel + initramfs under QEMU system mode (TCG) and capture the console.
//!
//! The console is streamed to a callback as it arrives, so callers can parse result
//! records live; kernel panics, oopses and BUGs are detected in it. QEMU is killed on
//! timeout and whenever the [`boot`] call unwinds, and gets SIGKILL if this process dies
//! (PR_SET_PDEATHSIG), so no QEMU is ever left behind.

pub mod channel;
pub mod cmdline;
pub mod deadline;
pub mod pvh;

pub use cmdline::{MachineSpec, Tuning};

use crate::kernels::identify;
use cloneabi_arch::Arch;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// One boot.
#[derive(Clone, Debug)]
pub struct BootSpec {
    pub arch: Arch,
    /// The image as Debian ships it (bzImage, gzip'd arm64 Image, s390x image, ELF vmlinux).
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    /// Appended to `console=<tty> panic=-1 quiet`.
    pub extra_append: String,
    /// Time allowed until `ready_marker` appears (or, without a marker, added to
    /// `run_timeout` as one overall limit).
    pub boot_timeout: Duration,
    /// Time allowed after the marker until QEMU exits.
    pub run_timeout: Duration,
    /// Console bytes that mean "userspace is up" (e.g. the payload's first record).
    pub ready_marker: Option<Vec<u8>>,
    pub tuning: Tuning,
    /// Overrides the per-arch memory size.
    pub memory_mb: Option<u32>,
    /// Extra QEMU arguments, appended last (experiments; e.g. `-cpu` overrides).
    pub extra_qemu_args: Vec<String>,
    /// Before `ready_marker`: console silence this long ends the boot as hung (on top of
    /// `boot_timeout`).
    pub silence_timeout: Option<Duration>,
    /// From QEMU's start, whatever the phase.
    pub total_timeout: Option<Duration>,
    /// Give the guest the record channel (a virtio-serial port, `qemu::channel`); what
    /// arrives on it is [`BootOutcome::channel`], and counts as output for the timeouts
    /// and the ready marker.
    pub record_channel: bool,
    /// A boot driven while it runs (a guest session): implies the record channel.
    pub live: Option<Live>,
}

/// The hooks of a boot driven while it runs.
#[derive(Clone, Debug)]
pub struct Live {
    /// The record channel's FIFOs are made in this directory; the driver writes to its
    /// `records.in` ([`channel::RecordFifo::input`]).
    pub fifo_dir: PathBuf,
    /// Gets every chunk that arrives on the record channel.
    pub channel: mpsc::Sender<Vec<u8>>,
    /// Set to end the boot: QEMU is killed and the boot ends with [`Exit::Stopped`].
    pub stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl BootSpec {
    /// Tuned flags, 60 s to boot, 300 s to run, no marker.
    pub fn new(arch: Arch, kernel: impl Into<PathBuf>, initrd: impl Into<PathBuf>) -> BootSpec {
        BootSpec {
            arch,
            kernel: kernel.into(),
            initrd: initrd.into(),
            extra_append: String::new(),
            boot_timeout: Duration::from_secs(60),
            run_timeout: Duration::from_secs(300),
            ready_marker: None,
            tuning: Tuning::Tuned,
            memory_mb: None,
            extra_qemu_args: Vec::new(),
            silence_timeout: None,
            total_timeout: None,
            record_channel: false,
            live: None,
        }
    }
}

/// The phase a timeout hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Boot,
    Run,
}

/// How QEMU ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// QEMU exited by itself; 0 after a guest power-off (or a panic reboot with
    /// `-no-reboot`: check [`BootOutcome::panic`]).
    Exited(i32),
    /// QEMU died of a signal.
    Signaled(i32),
    /// cloneabi killed it after this phase's timeout.
    TimedOut(Phase),
    /// cloneabi killed it (or never started it) because it received this signal.
    Interrupted(i32),
    /// cloneabi killed it because its console passed [`MAX_CONSOLE`] bytes.
    ConsoleFlood,
    /// The driver of a live boot ended it ([`Live::stop`]).
    Stopped,
}

/// The most console output kept from one boot: a whole suite with every record written
/// twice is well under 2 MiB, so more is a guest flooding its console.
pub const MAX_CONSOLE: usize = 32 << 20;

/// A kernel failure seen on the console.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanicReport {
    /// The marker that matched, e.g. `Kernel panic - not syncing`.
    pub kind: String,
    /// Byte offset of the matching line in the console.
    pub offset: usize,
    /// Console lines around it.
    pub excerpt: String,
}

/// The result of [`boot`].
#[derive(Clone, Debug)]
pub struct BootOutcome {
    pub console: Vec<u8>,
    /// What arrived on the record channel (empty without one).
    pub channel: Vec<u8>,
    pub exit: Exit,
    pub wall_time: Duration,
    /// When `ready_marker` was seen, from QEMU start.
    pub ready_after: Option<Duration>,
    /// First failure marker seen (a panic outranks an oops or BUG seen before it).
    pub panic: Option<PanicReport>,
    /// First line of `qemu-system-* --version`.
    pub qemu_version: String,
    pub qemu_binary: String,
    pub machine: String,
    pub cpu: String,
    pub accelerator: &'static str,
    /// The full command line, for logs.
    pub command: Vec<String>,
    /// QEMU's own stderr.
    pub qemu_stderr: String,
    /// QEMU's pid (already reaped when `boot` returns).
    pub pid: u32,
}

impl BootOutcome {
    /// QEMU exited 0 and the console shows no kernel failure.
    pub fn clean_poweroff(&self) -> bool {
        self.exit == Exit::Exited(0) && self.panic.is_none()
    }
    pub fn console_text(&self) -> String {
        String::from_utf8_lossy(&self.console).into_owned()
    }
}

#[derive(Debug)]
pub enum QemuError {
    /// A binary is missing; names the Debian package.
    Missing {
        binary: String,
        package: String,
        detail: String,
    },
    /// The kernel is unusable (wrong arch, unrecognised, no PVH note...).
    Kernel(String),
    Spawn(String),
    Io(String),
}

impl fmt::Display for QemuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QemuError::Missing {
                binary,
                package,
                detail,
            } => write!(
                f,
                "{binary} not found ({detail}); install it with `apt-get install {package}`"
            ),
            QemuError::Kernel(s) => write!(f, "{s}"),
            QemuError::Spawn(s) => write!(f, "could not start QEMU: {s}"),
            QemuError::Io(s) => write!(f, "{s}"),
        }
    }
}

impl std::error::Error for QemuError {}

/// Console markers of a kernel failure, most severe first.
pub const PANIC_MARKERS: &[&str] = &[
    "Kernel panic - not syncing",
    "Unable to handle kernel",
    "Internal error: Oops",
    "Oops",
    "kernel BUG at",
    "BUG:",
];

/// Is `binary` in PATH?
pub fn find_binary(binary: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(binary))
        .find(|p| p.is_file())
}

/// Check that the QEMU binary for `arch`'s kernel is installed.
pub fn check_qemu(arch: Arch) -> Result<PathBuf, QemuError> {
    let q = &arch.kernel_arch().qemu;
    find_binary(q.binary).ok_or_else(|| QemuError::Missing {
        binary: q.binary.to_string(),
        package: q.package.to_string(),
        detail: "not in PATH".into(),
    })
}

/// First line of `<binary> --version` (cached per binary).
pub fn qemu_version(binary: &str) -> String {
    static CACHE: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let m = CACHE.get_or_init(Default::default);
    if let Some(v) = m.lock().unwrap().get(binary) {
        return v.clone();
    }
    let v = version_line(binary).unwrap_or_else(|| "unknown".into());
    m.lock().unwrap().insert(binary.to_string(), v.clone());
    v
}

/// First line of `<program> --version`, if it runs.
pub(crate) fn version_line(program: &str) -> Option<String> {
    let out = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(str::to_string)
}

/// Kills and reaps QEMU unless it already exited.
struct Guard(Option<Child>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Boot without watching the console live.
pub fn boot_quiet(spec: &BootSpec) -> Result<BootOutcome, QemuError> {
    boot(spec, &mut |_| {})
}

/// Boot `spec`, calling `on_console` with every chunk of console output as it arrives.
pub fn boot(spec: &BootSpec, on_console: &mut dyn FnMut(&[u8])) -> Result<BootOutcome, QemuError> {
    let arch = spec.arch;
    identify::check(&spec.kernel, arch).map_err(|e| QemuError::Kernel(e.to_string()))?;
    if !spec.initrd.is_file() {
        return Err(QemuError::Io(format!(
            "initrd {} does not exist",
            spec.initrd.display()
        )));
    }
    let binary = check_qemu(arch)?;
    let binary_s = binary.to_string_lossy().into_owned();
    let qemu_version = qemu_version(&binary_s);
    let mut tuning = spec.tuning;
    let mut m = cmdline::machine(arch, tuning);
    let mut kernel = spec.kernel.clone();
    if m.pvh {
        match pvh::vmlinux_for(&spec.kernel)? {
            Some(vmlinux) => kernel = vmlinux,
            // No PVH entry: the bzImage boots the plain way, through the firmware.
            None => {
                tuning = Tuning::Plain;
                m = cmdline::machine(arch, tuning);
            }
        }
    }
    let append = cmdline::append(arch, tuning, &spec.extra_append);
    let mut args = cmdline::args(
        arch,
        tuning,
        &kernel.to_string_lossy(),
        &spec.initrd.to_string_lossy(),
        &append,
        spec.memory_mb,
    );
    let mut fifo = if spec.record_channel || spec.live.is_some() {
        let f = match &spec.live {
            Some(l) => channel::RecordFifo::in_dir(&l.fifo_dir),
            None => channel::RecordFifo::new(),
        }
        .map_err(|e| QemuError::Io(format!("creating the record channel's FIFOs: {e}")))?;
        args.extend(f.qemu_args(arch));
        Some(f)
    } else {
        None
    };
    args.extend(spec.extra_qemu_args.iter().cloned());
    let cpu = args
        .iter()
        .rposition(|a| a == "-cpu")
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| format!("{} (default)", m.default_cpu));
    let machine = args
        .iter()
        .rposition(|a| a == "-M" || a == "-machine")
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| m.machine.to_string());

    if let Some(sig) = crate::interrupt::requested() {
        let mut command = vec![binary_s.clone()];
        command.extend(args);
        return Ok(BootOutcome {
            console: Vec::new(),
            channel: Vec::new(),
            exit: Exit::Interrupted(sig),
            wall_time: Duration::ZERO,
            ready_after: None,
            panic: None,
            qemu_version,
            qemu_binary: binary_s,
            machine,
            cpu,
            accelerator: "tcg",
            command,
            qemu_stderr: String::new(),
            pid: 0,
        });
    }
    let mut cmd = Command::new(&binary);
    cmd.args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: prctl is async-signal-safe; the child only asks for SIGKILL when we die.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            );
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| QemuError::Spawn(format!("{binary_s}: {e}")))?;
    let pid = child.id();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let mut guard = Guard(Some(child));

    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });

    let mut console = Vec::new();
    let mut records = Vec::new();
    let mut scanner = PanicScanner::default();
    let mut ready_after = None;
    let mut last_output = Duration::ZERO;
    let mut exit = None;
    let mut eof = false;
    loop {
        let now = start.elapsed();
        let (deadline, phase) = match (ready_after, &spec.ready_marker) {
            (Some(r), _) => (r + spec.run_timeout, Phase::Run),
            (None, Some(_)) => (spec.boot_timeout, Phase::Boot),
            (None, None) => (spec.boot_timeout + spec.run_timeout, Phase::Boot),
        };
        let deadline = match (ready_after, spec.silence_timeout) {
            (None, Some(s)) => deadline.min(last_output + s),
            _ => deadline,
        };
        let deadline = spec.total_timeout.map_or(deadline, |t| deadline.min(t));
        if exit.is_none() {
            if let Some(st) = guard
                .0
                .as_mut()
                .unwrap()
                .try_wait()
                .map_err(|e| QemuError::Io(e.to_string()))?
            {
                exit = Some(match (st.code(), st.signal()) {
                    (Some(c), _) => Exit::Exited(c),
                    (None, Some(s)) => Exit::Signaled(s),
                    _ => Exit::Exited(-1),
                });
                guard.0 = None;
            } else if console.len() > MAX_CONSOLE || records.len() > MAX_CONSOLE {
                if let Some(mut c) = guard.0.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
                exit = Some(Exit::ConsoleFlood);
            } else if let Some(sig) = crate::interrupt::requested() {
                if let Some(mut c) = guard.0.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
                exit = Some(Exit::Interrupted(sig));
            } else if spec
                .live
                .as_ref()
                .is_some_and(|l| l.stop.load(std::sync::atomic::Ordering::SeqCst))
            {
                if let Some(mut c) = guard.0.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
                exit = Some(Exit::Stopped);
            } else if now >= deadline {
                if let Some(mut c) = guard.0.take() {
                    let _ = c.kill();
                    let _ = c.wait();
                }
                exit = Some(Exit::TimedOut(phase));
            }
        }
        if eof && exit.is_some() {
            break;
        }
        if exit.is_some() && start.elapsed() > deadline + Duration::from_secs(2) {
            break; // stdout held open by something else: stop waiting.
        }
        if let Some(f) = fifo.as_mut() {
            let old = records.len();
            if records.len() <= MAX_CONSOLE && f.drain(&mut records) > 0 {
                last_output = start.elapsed();
                if let Some(l) = &spec.live {
                    let _ = l.channel.send(records[old..].to_vec());
                }
                if ready_after.is_none() && saw_marker(&records, old, &spec.ready_marker) {
                    ready_after = Some(start.elapsed());
                }
            }
        }
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(_) if console.len() > MAX_CONSOLE => {}
            Ok(chunk) => {
                last_output = start.elapsed();
                let old = console.len();
                console.extend_from_slice(&chunk);
                on_console(&chunk);
                scanner.scan(&console, old);
                if ready_after.is_none() && saw_marker(&console, old, &spec.ready_marker) {
                    ready_after = Some(start.elapsed());
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                eof = true;
                if exit.is_none() {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
    }
    let wall_time = start.elapsed();
    drop(guard);
    // QEMU is gone: the rest of what the guest wrote is in the FIFO.
    if let Some(f) = fifo.as_mut() {
        let old = records.len();
        if records.len() <= MAX_CONSOLE && f.drain(&mut records) > 0 {
            if let Some(l) = &spec.live {
                let _ = l.channel.send(records[old..].to_vec());
            }
        }
    }
    let _ = reader.join();
    let qemu_stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    let exit = attribute_exit(
        exit.unwrap_or(Exit::Exited(-1)),
        &qemu_stderr,
        crate::interrupt::requested,
    );
    let panic = scanner.report(&console);
    let mut command = vec![binary_s.clone()];
    command.extend(args);
    Ok(BootOutcome {
        console,
        channel: records,
        exit,
        wall_time,
        ready_after,
        panic,
        qemu_version,
        qemu_binary: binary_s,
        machine,
        cpu,
        accelerator: "tcg",
        command,
        qemu_stderr,
        pid,
    })
}

/// A terminal's Ctrl-C reaches QEMU as well as cloneabi. QEMU then ends by itself, with
/// status 0 and "terminating on signal" on its stderr, and the loop may see that exit
/// before cloneabi's own handler has run. Such an exit is the interruption, not a guest
/// that stopped early. A QEMU ended by a signal that cloneabi never received keeps its own
/// exit.
fn attribute_exit(exit: Exit, qemu_stderr: &str, requested: impl Fn() -> Option<i32>) -> Exit {
    if !matches!(exit, Exit::Exited(_)) || !qemu_stderr.contains("terminating on signal") {
        return exit;
    }
    // The same signal was sent to cloneabi at the same time; give its handler a moment.
    let start = Instant::now();
    loop {
        if let Some(sig) = requested() {
            return Exit::Interrupted(sig);
        }
        if start.elapsed() > Duration::from_millis(500) {
            return exit;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether `marker` is in `buf` ending after byte `old` (the bytes before were searched).
fn saw_marker(buf: &[u8], old: usize, marker: &Option<Vec<u8>>) -> bool {
    let Some(mk) = marker else {
        return false;
    };
    let from = old.saturating_sub(mk.len());
    buf[from..].windows(mk.len()).any(|w| w == mk.as_slice())
}

/// Finds failure markers incrementally.
#[derive(Default)]
struct PanicScanner {
    /// (marker index, offset) of the most severe marker seen.
    best: Option<(usize, usize)>,
}

impl PanicScanner {
    fn scan(&mut self, console: &[u8], old_len: usize) {
        let longest = PANIC_MARKERS.iter().map(|m| m.len()).max().unwrap_or(0);
        let from = old_len.saturating_sub(longest);
        let hay = &console[from..];
        for (i, mk) in PANIC_MARKERS.iter().enumerate() {
            if self.best.is_some_and(|(b, _)| b <= i) {
                break;
            }
            if let Some(p) = hay.windows(mk.len()).position(|w| w == mk.as_bytes()) {
                self.best = Some((i, from + p));
                break;
            }
        }
    }

    fn report(&self, console: &[u8]) -> Option<PanicReport> {
        let (i, off) = self.best?;
        let line_start = console[..off]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let text = String::from_utf8_lossy(console);
        let all: Vec<&str> = text.lines().collect();
        let line_no = String::from_utf8_lossy(&console[..line_start])
            .lines()
            .count();
        let lo = line_no.saturating_sub(10);
        let hi = (line_no + 40).min(all.len());
        Some(PanicReport {
            kind: PANIC_MARKERS[i].to_string(),
            offset: line_start,
            excerpt: all[lo..hi].join("\n"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qemu_that_ended_on_the_same_signal_is_the_interruption() {
        let said = "qemu-system-x86_64: terminating on signal 2 from pid 7 (cloneabi)\n";
        // The handler ran late: the exit is still the interruption.
        let calls = std::cell::Cell::new(0);
        let late = || {
            calls.set(calls.get() + 1);
            (calls.get() > 3).then_some(libc::SIGINT)
        };
        assert_eq!(
            attribute_exit(Exit::Exited(0), said, late),
            Exit::Interrupted(libc::SIGINT)
        );
        // cloneabi received nothing: someone else ended QEMU, and its exit stays.
        assert_eq!(
            attribute_exit(Exit::Exited(0), said, || None),
            Exit::Exited(0)
        );
        // A guest that powered off is not an interruption, whatever arrived since.
        assert_eq!(
            attribute_exit(Exit::Exited(0), "", || Some(libc::SIGTERM)),
            Exit::Exited(0)
        );
        assert_eq!(
            attribute_exit(Exit::TimedOut(Phase::Run), said, || Some(libc::SIGINT)),
            Exit::TimedOut(Phase::Run)
        );
    }

    #[test]
    fn scanner_prefers_panic_over_oops_and_keeps_context() {
        let mut s = PanicScanner::default();
        let mut console = Vec::new();
        for chunk in [
            "boot\nline\nBUG: unable to handle page fault\nOo",
            "ps: 0002 [#1]\nCall Trace:\n",
            "Kernel panic - not syncing: Fatal exception\nend\n",
        ] {
            let old = console.len();
            console.extend_from_slice(chunk.as_bytes());
            s.scan(&console, old);
        }
        let r = s.report(&console).unwrap();
        assert_eq!(r.kind, "Kernel panic - not syncing");
        assert!(
            r.excerpt.contains("Call Trace:") && r.excerpt.contains("Fatal exception"),
            "{}",
            r.excerpt
        );
        // A marker split across chunks is still found.
        let mut s = PanicScanner::default();
        let c = b"x\nOo".to_vec();
        s.scan(&c, 0);
        let mut c2 = c.clone();
        c2.extend_from_slice(b"ps: 1\n");
        s.scan(&c2, c.len());
        assert_eq!(s.report(&c2).unwrap().kind, "Oops");
        assert!(PanicScanner::default().report(b"clean boot\n").is_none());
    }

    #[test]
    fn missing_qemu_names_the_package() {
        let e = QemuError::Missing {
            binary: "qemu-system-s390x".into(),
            package: "qemu-system-misc".into(),
            detail: "not in PATH".into(),
        };
        assert!(e.to_string().contains("apt-get install qemu-system-misc"));
    }
}
