//! A guest session: one boot that takes batch after batch over the record channel
//! (docs/PROTOCOL.md, "Guest session").
//!
//! The guest's /init runs the empty batch of its initramfs, then reads each further batch
//! from the channel's port, runs it as it ran the first (the machine's own init, one pid
//! namespace deep) and answers with its records on the same port. A batch header whose
//! length is 0 powers the guest off. When the guest breaks while a batch runs (a panic, a
//! hang past the batch's timeout, QEMU gone), that batch is a run with its failure and the
//! session is over: the next batch needs a new one.

use crate::protocol::batch::{encode_batch, session_end, BatchOptions};
use crate::protocol::{RecordBody, RecordParser};
use crate::qemu::{self, channel::RecordFifo, BootOutcome, Live, QemuError};
use crate::session::{judge_run, programs, RawRun, StartError};
use crate::system_session::{boot_failure, guest_options, GuestInitrd, GuestKernel};
use cloneabi_arch::Arch;
use cloneabi_report::model::{QemuInfo, Run, RunnerKind};
use cloneabi_suites::case::Case;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longer than any session: the session's own deadlines end a boot, not QEMU's.
const FOREVER: Duration = Duration::from_secs(10 * 24 * 3600);

/// One live guest.
pub struct GuestSession<'a> {
    arch: Arch,
    kernel: GuestKernel<'a>,
    input: std::fs::File,
    rx: mpsc::Receiver<Vec<u8>>,
    console: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    boot: Option<JoinHandle<Result<BootOutcome, QemuError>>>,
    /// Set once a batch broke the guest: no further batch goes to it.
    broken: bool,
    /// How long the boot took until the first batch had ended.
    pub boot_time: Duration,
    /// The batches run so far, the initramfs's empty one not counted.
    pub batches: usize,
    qemu_info: QemuInfo,
    _initrd: GuestInitrd,
    _fifo_dir: tempfile::TempDir,
}

/// Why a session did not start.
#[derive(Debug)]
pub enum SessionError {
    /// The guest has no record channel (its kernel lacks the port): it wrote its records to
    /// the console, and a session cannot take batches. The guest's own words.
    NoChannel(String),
    /// The boot failed.
    Start(StartError),
}

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionError::NoChannel(why) => write!(f, "the guest has no record channel ({why})"),
            SessionError::Start(e) => write!(f, "{e}"),
        }
    }
}

impl From<StartError> for SessionError {
    fn from(e: StartError) -> Self {
        SessionError::Start(e)
    }
}

/// What a batch's records said about how it ended.
enum Ended {
    /// Its end record arrived.
    Yes,
    /// The guest broke: why.
    Broke(String),
}

impl<'a> GuestSession<'a> {
    /// Boots `kernel` and waits, at most `timeout`, until its /init has run the empty batch
    /// and waits for the next.
    pub fn start(
        arch: Arch,
        kernel: &GuestKernel<'a>,
        timeout: Duration,
    ) -> Result<GuestSession<'a>, SessionError> {
        crate::kernels::identify::check(kernel.path, arch)
            .map_err(|e| StartError(e.to_string()))?;
        let options = BatchOptions {
            session: true,
            ..guest_options(true)
        };
        let initrd = GuestInitrd::build(arch, &[], &options, &kernel.modules)?;
        let fifo_dir = tempfile::Builder::new()
            .prefix("cloneabi-session-")
            .tempdir()
            .map_err(|e| StartError(format!("cannot create a temporary directory: {e}")))?;
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let mut spec = qemu::BootSpec::new(arch, kernel.path, initrd.path());
        spec.boot_timeout = FOREVER;
        spec.run_timeout = FOREVER;
        spec.live = Some(Live {
            fifo_dir: fifo_dir.path().to_path_buf(),
            channel: tx,
            stop: stop.clone(),
        });
        let console = Arc::new(Mutex::new(Vec::new()));
        let sink = console.clone();
        let started = Instant::now();
        let boot = std::thread::spawn(move || {
            qemu::boot(&spec, &mut |c| sink.lock().unwrap().extend_from_slice(c))
        });
        // QEMU reads batches from this FIFO; opened read-write, the open never waits for it.
        let input_path = RecordFifo::input(fifo_dir.path());
        let input = loop {
            if input_path.exists() {
                break std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(&input_path)
                    .map_err(|e| StartError(format!("{}: {e}", input_path.display())))?;
            }
            if boot.is_finished() || started.elapsed() > timeout {
                let why = match boot.join() {
                    Ok(Err(e)) => e.to_string(),
                    _ => "QEMU never made the record channel".into(),
                };
                return Err(StartError(why).into());
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let mut s = GuestSession {
            arch,
            kernel: kernel.clone(),
            input,
            rx,
            console,
            stop,
            boot: Some(boot),
            broken: false,
            boot_time: Duration::ZERO,
            batches: 0,
            qemu_info: {
                let binary = arch.kernel_arch().qemu.binary;
                QemuInfo {
                    binary: binary.into(),
                    version: qemu::qemu_version(binary),
                    machine: Some(
                        qemu::cmdline::machine(arch, qemu::Tuning::Tuned)
                            .machine
                            .into(),
                    ),
                    cpu: None,
                    accelerator: Some("tcg".into()),
                }
            },
            _initrd: initrd,
            _fifo_dir: fifo_dir,
        };
        let mut out = Vec::new();
        match s.collect(&mut out, started + timeout) {
            Ended::Yes => {
                s.boot_time = started.elapsed();
                Ok(s)
            }
            Ended::Broke(why) => {
                // Without its port the guest wrote to the console and said why.
                let console = s.console.lock().unwrap().clone();
                let mut parser = RecordParser::new();
                let mut records = parser.push(&console);
                records.extend(parser.finish());
                let said = records.into_iter().find_map(|r| match r.body {
                    RecordBody::Log(l) if l.starts_with("record channel:") => Some(l),
                    _ => None,
                });
                Err(match said {
                    Some(l) => SessionError::NoChannel(l),
                    None => StartError(format!("the guest session did not start: {why}")).into(),
                })
            }
        }
    }

    /// Whether the guest can take another batch.
    pub fn is_alive(&self) -> bool {
        !self.broken
    }

    /// Runs `cases` in the guest and judges them; at most `timeout` from sending the batch
    /// to its end record.
    pub fn run(&mut self, cases: &[Case], timeout: Duration) -> Result<Run, StartError> {
        if self.broken {
            return Err(StartError("the guest session has ended".into()));
        }
        let started = Instant::now();
        let deadline = started + timeout;
        let options = BatchOptions {
            // Lets the crash test aid through the encoder: the guest powers off after all.
            power_off: true,
            ..guest_options(true)
        };
        let batch = encode_batch(self.arch, &options, &programs(cases, self.arch));
        let console_from = self.console.lock().unwrap().len();
        let mut output = Vec::new();
        let sent = self.send(&batch, deadline);
        let ended = match sent {
            Ok(()) => self.collect(&mut output, deadline),
            Err(why) => Ended::Broke(why),
        };
        self.batches += 1;
        let failure = match ended {
            Ended::Yes => None,
            Ended::Broke(why) => Some(why),
        };
        let console = self.console.lock().unwrap()[console_from..].to_vec();
        let raw = RawRun {
            arch: self.arch,
            runner: RunnerKind::QemuSystem,
            output,
            console: Some(console),
            wall_time: started.elapsed(),
            payload: crate::payload::provide(self.arch).map_err(|e| StartError(e.to_string()))?,
            payload_level: 0,
            kernel_package: self.kernel.package.clone(),
            kernel_channel: self.kernel.channel.clone(),
            qemu: Some(self.qemu_info.clone()),
            failure,
        };
        Ok(judge_run(cases, raw))
    }

    /// Writes `bytes` to the guest's input, giving up at `deadline` or when QEMU is gone.
    fn send(&mut self, bytes: &[u8], deadline: Instant) -> Result<(), String> {
        let mut rest = bytes;
        while !rest.is_empty() {
            match self.input.write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if self.boot.as_ref().is_none_or(|b| b.is_finished()) {
                        return Err(self.end_boot("QEMU is gone"));
                    }
                    if Instant::now() > deadline {
                        return Err(self.end_boot("the guest did not take its batch in time"));
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.end_boot(&format!("writing the batch: {e}"))),
            }
        }
        Ok(())
    }

    /// Takes the channel's bytes into `out` until a batch's end record, the guest breaking,
    /// or `deadline`.
    fn collect(&mut self, out: &mut Vec<u8>, deadline: Instant) -> Ended {
        let mut parser = RecordParser::new();
        loop {
            if let Some(sig) = crate::interrupt::requested() {
                return Ended::Broke(self.end_boot(&crate::interrupt::message(sig)));
            }
            let now = Instant::now();
            if now > deadline {
                return Ended::Broke(self.end_boot("timeout: the batch did not end in time"));
            }
            match self
                .rx
                .recv_timeout((deadline - now).min(Duration::from_millis(50)))
            {
                Ok(chunk) => {
                    out.extend_from_slice(&chunk);
                    if parser
                        .push(&chunk)
                        .iter()
                        .any(|r| matches!(r.body, RecordBody::End { .. }))
                    {
                        return Ended::Yes;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Ended::Broke(self.end_boot("the guest ended"));
                }
            }
        }
    }

    /// Ends the boot (QEMU killed unless it is gone already) and says what broke, with the
    /// kernel's words when there were any.
    fn end_boot(&mut self, what: &str) -> String {
        self.broken = true;
        self.stop.store(true, Ordering::SeqCst);
        let outcome = self.boot.take().and_then(|b| b.join().ok());
        match outcome {
            Some(Ok(o)) => {
                let kernel = boot_failure(&o, self.arch, &self.kernel, FOREVER, Duration::ZERO)
                    .filter(|_| o.panic.is_some() || what == "the guest ended");
                kernel.unwrap_or_else(|| what.to_string())
            }
            Some(Err(e)) => format!("{what}: {e}"),
            None => what.to_string(),
        }
    }
}

impl Drop for GuestSession<'_> {
    fn drop(&mut self) {
        if let Some(b) = self.boot.take() {
            // The end header powers the guest off; a guest that does not is killed.
            let _ = self.input.write_all(&session_end());
            let until = Instant::now() + Duration::from_secs(10);
            while !b.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(10));
            }
            self.stop.store(true, Ordering::SeqCst);
            let _ = b.join();
        }
    }
}
