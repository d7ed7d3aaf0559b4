//! `cloneabi exec`: one program run as a process inside a real guest of an arch.
//!
//! The guest boots the same way as the suite's (qemu-system with the tuned flags of
//! [`crate::qemu::cmdline`], a Rust-built initramfs), with a small static C init
//! (`fixtures/exec/init.c`, built with the arch's Debian cross gcc and checked with the
//! payload's ELF check) in place of the payload. The init runs the program and forwards its
//! stdout and stderr as framed records on the console ([`crate::protocol::records`]: the
//! same line format, checksum and parser as the payload's records, with the bodies of
//! [`GuestOutput`]), so the kernel's own messages never mix with the program's output.
//!
//! The init binary and the base initramfs (`/init`, `/dev/console`) are cached per arch
//! under `<cache>/cloneabi/exec/<source key>/`; each run appends a second archive holding
//! the job and the program, so one run costs one boot.

use crate::initramfs::{self, Initramfs};
use crate::kernels::{self, Cache, KernelImage, Release};
use crate::payload::{self, elf_check, CFLAGS};
use crate::protocol::{FrameBody, ParseReport, RecordParser};
use crate::qemu::{self, BootSpec, Exit, PanicReport, Phase};
use cloneabi_arch::Arch;
use sha2::{Digest, Sha256};
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The guest init's source.
pub static INIT_SOURCE: &str = include_str!("../../fixtures/exec/init.c");

/// Where the program is put in the guest (its file name is kept).
pub const GUEST_BIN_DIR: &str = "/cloneabi/bin";
/// The job file the init reads.
pub const GUEST_JOB: &str = "/cloneabi/exec.job";
/// The program's working directory in the guest: a tmpfs.
pub const GUEST_WORKDIR: &str = "/work";

/// Exit status when the run timed out (as timeout(1)).
pub const EXIT_TIMED_OUT: i32 = 124;
/// Exit status when the guest ended without the program's status: a kernel panic, a boot
/// failure, lost output records.
pub const EXIT_GUEST_FAILED: i32 = 125;

/// How the program ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramEnd {
    Exited(i32),
    Signaled { signal: i32, core_dumped: bool },
}

/// One record of the exec init.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuestOutput {
    /// `1`: bytes the program wrote to stdout.
    Stdout(Vec<u8>),
    /// `2`: bytes it wrote to stderr.
    Stderr(Vec<u8>),
    /// `L`: a message of the init itself.
    Log(String),
    /// `X`: u8 how (0 exited, 1 signal), i32 value, u8 core dumped.
    End(ProgramEnd),
}

impl FrameBody for GuestOutput {
    fn type_char(&self) -> char {
        match self {
            GuestOutput::Stdout(_) => '1',
            GuestOutput::Stderr(_) => '2',
            GuestOutput::Log(_) => 'L',
            GuestOutput::End(_) => 'X',
        }
    }

    fn encode(&self) -> Vec<u8> {
        match self {
            GuestOutput::Stdout(b) | GuestOutput::Stderr(b) => b.clone(),
            GuestOutput::Log(s) => s.as_bytes().to_vec(),
            GuestOutput::End(end) => {
                let (how, value, core) = match *end {
                    ProgramEnd::Exited(c) => (0u8, c, false),
                    ProgramEnd::Signaled {
                        signal,
                        core_dumped,
                    } => (1, signal, core_dumped),
                };
                let mut v = vec![how];
                v.extend_from_slice(&value.to_le_bytes());
                v.push(core as u8);
                v
            }
        }
    }

    fn decode(kind: char, bytes: &[u8]) -> Result<Self, String> {
        match kind {
            '1' => Ok(GuestOutput::Stdout(bytes.to_vec())),
            '2' => Ok(GuestOutput::Stderr(bytes.to_vec())),
            'L' => Ok(GuestOutput::Log(
                String::from_utf8_lossy(bytes).into_owned(),
            )),
            'X' => {
                let [how, a, b, c, d, core] = bytes else {
                    return Err(format!("exit record of {} bytes, expected 6", bytes.len()));
                };
                let value = i32::from_le_bytes([*a, *b, *c, *d]);
                let core_dumped = match core {
                    0 => false,
                    1 => true,
                    v => return Err(format!("core-dumped flag {v}")),
                };
                match how {
                    0 => Ok(GuestOutput::End(ProgramEnd::Exited(value))),
                    1 => Ok(GuestOutput::End(ProgramEnd::Signaled {
                        signal: value,
                        core_dumped,
                    })),
                    v => Err(format!("exit kind {v}")),
                }
            }
            other => Err(format!("unknown record type {other:?}")),
        }
    }

    fn ends_stream(&self) -> bool {
        matches!(self, GuestOutput::End(_))
    }
}

/// What to run where.
#[derive(Clone, Debug)]
pub struct ExecSpec {
    pub arch: Arch,
    pub kernel: PathBuf,
    /// A static executable for `arch`.
    pub program: PathBuf,
    /// argv[1..].
    pub args: Vec<String>,
    /// The program's whole environment (besides PATH, HOME and TMPDIR, which the guest
    /// sets unless given here).
    pub env: Vec<(String, String)>,
    /// Time allowed from QEMU's start to the guest's power-off.
    pub timeout: Duration,
    /// Overrides the arch's guest memory size.
    pub memory_mb: Option<u32>,
}

/// How the run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecEnd {
    /// The program ended and the guest said how.
    Program(ProgramEnd),
    /// The kernel failed (panic, oops, BUG) before the program's status arrived.
    KernelFailure(PanicReport),
    /// cloneabi stopped the guest after the timeout.
    TimedOut,
    /// The guest ended without the program's status, for this reason.
    NoStatus(String),
}

/// The result of [`run`].
#[derive(Clone, Debug)]
pub struct ExecOutcome {
    pub end: ExecEnd,
    pub wall_time: Duration,
    /// The init's own messages.
    pub logs: Vec<String>,
    /// What the record parser could not recover.
    pub records: ParseReport,
    /// The whole console, for diagnostics.
    pub console: Vec<u8>,
    pub kernel_failure: Option<PanicReport>,
}

impl ExecOutcome {
    /// The exit status a caller should exit with: the program's own; 128 + the signal
    /// number after a signal death; [`EXIT_TIMED_OUT`]; [`EXIT_GUEST_FAILED`] when the
    /// guest or the console failed (also when output records were lost).
    pub fn exit_code(&self) -> i32 {
        match &self.end {
            _ if !self.records.missing_seqs.is_empty() || !self.records.corrupted.is_empty() => {
                EXIT_GUEST_FAILED
            }
            ExecEnd::Program(ProgramEnd::Exited(c)) => *c,
            ExecEnd::Program(ProgramEnd::Signaled { signal, .. }) => 128 + signal,
            ExecEnd::TimedOut => EXIT_TIMED_OUT,
            ExecEnd::KernelFailure(_) | ExecEnd::NoStatus(_) => EXIT_GUEST_FAILED,
        }
    }

    /// A one-line description of an end that is not a plain exit, for stderr.
    pub fn problem(&self) -> Option<String> {
        let lost = &self.records;
        if !lost.missing_seqs.is_empty() || !lost.corrupted.is_empty() {
            return Some(format!(
                "the console lost output records of the program (sequence numbers {:?}, {} \
                 corrupted lines)",
                lost.missing_seqs,
                lost.corrupted.len()
            ));
        }
        match &self.end {
            ExecEnd::Program(ProgramEnd::Exited(_)) => None,
            ExecEnd::Program(ProgramEnd::Signaled {
                signal,
                core_dumped,
            }) => Some(format!(
                "the program was killed by signal {signal} ({}){}",
                signal_name(*signal),
                if *core_dumped { ", core dumped" } else { "" }
            )),
            ExecEnd::KernelFailure(p) => Some(format!(
                "the guest kernel failed ({}) before the program ended:\n{}",
                p.kind, p.excerpt
            )),
            ExecEnd::TimedOut => Some(format!(
                "the guest did not finish within the timeout ({:.0} s)",
                self.wall_time.as_secs_f64()
            )),
            ExecEnd::NoStatus(why) => Some(why.clone()),
        }
    }
}

/// Why a run could not start.
#[derive(Debug)]
pub enum ExecError {
    /// The arch's cross gcc, needed to build the guest init, is missing.
    CompilerMissing {
        arch: Arch,
        compiler: &'static str,
        packages: &'static [&'static str],
    },
    /// The program is not a static executable for the arch, or not there.
    Program(String),
    Other(String),
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::CompilerMissing {
                arch,
                compiler,
                packages,
            } => write!(
                f,
                "building the {arch} guest init needs {compiler}: apt-get install {}",
                packages.join(" ")
            ),
            ExecError::Program(s) | ExecError::Other(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for ExecError {}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> ExecError + '_ {
    move |e| ExecError::Other(format!("{}: {e}", path.display()))
}

/// `<cache>/cloneabi/exec`, next to the payload cache.
pub fn cache_root() -> Result<PathBuf, ExecError> {
    let payloads = payload::cache_root().map_err(|e| ExecError::Other(e.to_string()))?;
    Ok(payloads.with_file_name("exec"))
}

/// The cached guest init of `arch` and the base initramfs around it: built with the arch's
/// cross gcc on first use, reused while the source, flags and compiler name are the same.
pub fn guest_base(arch: Arch) -> Result<PathBuf, ExecError> {
    guest_base_in(arch, &cache_root()?)
}

/// [`guest_base`] in the cache at `cache`; returns the base archive's path.
pub fn guest_base_in(arch: Arch, cache: &Path) -> Result<PathBuf, ExecError> {
    let debian = &arch.abi().debian;
    let compiler = debian.cross_gcc;
    let protocol_header = crate::protocol::wire::c_header();
    let mut key = Sha256::new();
    key.update(INIT_SOURCE.as_bytes());
    key.update([0]);
    key.update(protocol_header.as_bytes());
    for flag in CFLAGS {
        key.update([0]);
        key.update(flag.as_bytes());
    }
    key.update([0]);
    key.update(compiler.as_bytes());
    let key: String = key.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let dir = cache.join(key);
    let base = dir.join(format!("base-{arch}.cpio"));
    if base.is_file() {
        return Ok(base);
    }
    fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let work = tempfile::Builder::new()
        .prefix("cloneabi-exec-init-")
        .tempdir_in(&dir)
        .map_err(io_err(&dir))?;
    let src = work.path().join("init.c");
    fs::write(&src, INIT_SOURCE).map_err(io_err(&src))?;
    let header = work.path().join(crate::protocol::wire::C_HEADER_FILE);
    fs::write(&header, &protocol_header).map_err(io_err(&header))?;
    let out = work.path().join("init");
    let output = match Command::new(compiler)
        .args(CFLAGS)
        .arg("-I")
        .arg(work.path())
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(ExecError::CompilerMissing {
                arch,
                compiler,
                packages: debian.cross_packages,
            })
        }
        Err(e) => return Err(ExecError::Other(format!("cannot run {compiler}: {e}"))),
    };
    if !output.status.success() {
        return Err(ExecError::Other(format!(
            "building the {arch} guest init with {compiler} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let init = fs::read(&out).map_err(io_err(&out))?;
    elf_check::check(arch, &init).map_err(|e| ExecError::Other(format!("guest init: {e}")))?;
    let tmp = work.path().join("base.cpio");
    Initramfs::new(init)
        .write_to(&tmp)
        .map_err(|e| ExecError::Other(e.to_string()))?;
    fs::rename(&tmp, &base).map_err(io_err(&base))?;
    Ok(base)
}

/// The job file: "CLNEXEC1", u32 argc, argc x str, u32 envc, envc x str, little-endian
/// (str = u32 length + bytes).
pub fn encode_job(argv: &[String], env: &[(String, String)]) -> Vec<u8> {
    fn str(out: &mut Vec<u8>, s: &[u8]) {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s);
    }
    let mut out = b"CLNEXEC1".to_vec();
    out.extend_from_slice(&(argv.len() as u32).to_le_bytes());
    for a in argv {
        str(&mut out, a.as_bytes());
    }
    out.extend_from_slice(&(env.len() as u32).to_le_bytes());
    for (k, v) in env {
        str(&mut out, format!("{k}={v}").as_bytes());
    }
    out
}

/// The environment the program gets: `env`, plus PATH, HOME and TMPDIR unless given.
pub fn guest_env(env: &[(String, String)]) -> Vec<(String, String)> {
    let mut all = env.to_vec();
    for (k, v) in [
        ("PATH", "/cloneabi/bin:/bin:/usr/bin"),
        ("HOME", GUEST_WORKDIR),
        ("TMPDIR", "/tmp"),
    ] {
        if !all.iter().any(|(n, _)| n == k) {
            all.push((k.to_string(), v.to_string()));
        }
    }
    all
}

/// Checks that `bytes` are a static executable of `arch`, in the user's words.
fn check_program(arch: Arch, path: &Path, bytes: &[u8]) -> Result<(), ExecError> {
    elf_check::check(arch, bytes).map_err(|e| {
        let dynamic = e.problems.iter().any(|p| p.contains("PT_INTERP"));
        ExecError::Program(format!(
            "{} cannot run in the {arch} guest: {}{}",
            path.display(),
            e.problems.join("; "),
            if dynamic {
                " (the guest has no libraries: link it statically, e.g. with \
                 RUSTFLAGS=\"-C target-feature=+crt-static\")"
            } else {
                ""
            }
        ))
    })
}

/// Boots `spec.kernel` with the guest init and runs the program; its stdout and stderr are
/// written to `stdout` and `stderr` as they arrive.
pub fn run(
    spec: &ExecSpec,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<ExecOutcome, ExecError> {
    let program = fs::read(&spec.program)
        .map_err(|e| ExecError::Program(format!("cannot read {}: {e}", spec.program.display())))?;
    check_program(spec.arch, &spec.program, &program)?;
    let base = guest_base(spec.arch)?;
    let name = spec
        .program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "program".into());
    let guest_path = format!("{GUEST_BIN_DIR}/{name}");
    let mut argv = vec![guest_path.clone()];
    argv.extend(spec.args.iter().cloned());
    let job = encode_job(&argv, &guest_env(&spec.env));

    let dir = tempfile::Builder::new()
        .prefix("cloneabi-exec-")
        .tempdir()
        .map_err(|e| ExecError::Other(format!("cannot create a temporary directory: {e}")))?;
    let initrd = dir.path().join("initrd.cpio");
    {
        let mut bytes = fs::read(&base).map_err(io_err(&base))?;
        let extra = initramfs::overlay(&[(GUEST_JOB, &job, 0o644), (&guest_path, &program, 0o755)])
            .map_err(|e| ExecError::Other(e.to_string()))?;
        bytes.extend_from_slice(&extra);
        fs::write(&initrd, &bytes).map_err(io_err(&initrd))?;
        fs::set_permissions(&initrd, fs::Permissions::from_mode(0o644)).map_err(io_err(&initrd))?;
    }

    let mut boot = BootSpec::new(spec.arch, &spec.kernel, &initrd);
    boot.boot_timeout = Duration::ZERO;
    boot.run_timeout = spec.timeout;
    boot.memory_mb = spec.memory_mb;
    let mut parser = RecordParser::<GuestOutput>::with_body();
    let mut end = None;
    let mut logs = Vec::new();
    let mut write_error: Option<io::Error> = None;
    let mut handle = |records: Vec<crate::protocol::Record<GuestOutput>>| {
        for r in records {
            let result = match r.body {
                GuestOutput::Stdout(b) => stdout.write_all(&b).and_then(|_| stdout.flush()),
                GuestOutput::Stderr(b) => stderr.write_all(&b).and_then(|_| stderr.flush()),
                GuestOutput::Log(l) => {
                    logs.push(l);
                    Ok(())
                }
                GuestOutput::End(e) => {
                    end = Some(e);
                    Ok(())
                }
            };
            if let Err(e) = result {
                write_error.get_or_insert(e);
            }
        }
    };
    let outcome = qemu::boot(&boot, &mut |chunk| handle(parser.push(chunk)))
        .map_err(|e| ExecError::Other(e.to_string()))?;
    handle(parser.finish());
    if let Some(e) = write_error {
        // A closed stdout (e.g. `| head`) is the caller's choice, not a guest failure.
        if e.kind() != io::ErrorKind::BrokenPipe {
            return Err(ExecError::Other(format!(
                "writing the program's output: {e}"
            )));
        }
    }
    let end = match (end, &outcome.exit, &outcome.panic) {
        (Some(e), _, _) => ExecEnd::Program(e),
        (None, _, Some(p)) => ExecEnd::KernelFailure(p.clone()),
        (None, Exit::TimedOut(_), _) => ExecEnd::TimedOut,
        (None, exit, None) => ExecEnd::NoStatus(format!(
            "the guest ended ({}) without the program's exit status{}",
            match exit {
                Exit::Exited(c) => format!("QEMU exited with status {c}"),
                Exit::Signaled(s) => format!("QEMU was killed by signal {s}"),
                Exit::TimedOut(Phase::Boot | Phase::Run) => "timed out".into(),
                Exit::Interrupted(s) => format!("cloneabi stopped it on signal {s}"),
                Exit::Stopped => "cloneabi ended it".into(),
                Exit::ConsoleFlood => format!(
                    "its console passed {} MiB: the output is framed as hex, written twice, so                      a program may print about a quarter of that",
                    qemu::MAX_CONSOLE >> 20
                ),
            },
            if logs.is_empty() {
                format!("; console tail:\n{}", tail(&outcome.console_text(), 30))
            } else {
                format!("; the guest init said: {}", logs.join("; "))
            }
        )),
    };
    let records = parser.report();
    Ok(ExecOutcome {
        end,
        wall_time: outcome.wall_time,
        logs,
        records,
        kernel_failure: outcome.panic.clone(),
        console: outcome.console,
    })
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The conventional name of a Linux signal number (the generic numbering; the arches
/// cloneabi covers share it).
pub fn signal_name(signal: i32) -> &'static str {
    const NAMES: [&str; 32] = [
        "signal 0",
        "SIGHUP",
        "SIGINT",
        "SIGQUIT",
        "SIGILL",
        "SIGTRAP",
        "SIGABRT",
        "SIGBUS",
        "SIGFPE",
        "SIGKILL",
        "SIGUSR1",
        "SIGSEGV",
        "SIGUSR2",
        "SIGPIPE",
        "SIGALRM",
        "SIGTERM",
        "SIGSTKFLT",
        "SIGCHLD",
        "SIGCONT",
        "SIGSTOP",
        "SIGTSTP",
        "SIGTTIN",
        "SIGTTOU",
        "SIGURG",
        "SIGXCPU",
        "SIGXFSZ",
        "SIGVTALRM",
        "SIGPROF",
        "SIGWINCH",
        "SIGIO",
        "SIGPWR",
        "SIGSYS",
    ];
    usize::try_from(signal)
        .ok()
        .and_then(|i| NAMES.get(i).copied())
        .unwrap_or("a real-time signal")
}

/// The kernel `cloneabi exec` boots for `arch`: the cached kernel of `release`, by default
/// the first of the arch's default Debian releases (the big-endian ppc64 one is built, not
/// downloaded).
pub fn cached_kernel(arch: Arch, release: Option<Release>) -> Result<KernelImage, String> {
    let cache = Cache::from_env().map_err(|e| e.to_string())?;
    let Some(debian) = arch.kernel_arch().sources.debian else {
        return kernels::cached_default(&cache, arch).ok_or_else(|| {
            let how = arch
                .kernel_arch()
                .sources
                .default_build
                .map(|d| format!(" --source {} --config {}", d.series, d.fragment))
                .unwrap_or_default();
            format!("no {arch} kernel is cached: run `cloneabi kernels build --arch {arch}{how}`")
        });
    };
    let release = release
        .or_else(|| debian.default.first().copied())
        .ok_or_else(|| format!("Debian has no default kernel release for {arch}"))?;
    kernels::cached(release, arch, &cache).ok_or_else(|| {
        format!(
            "no {release} kernel for {arch} is cached: run `cloneabi kernels fetch --release \
             {release} --arch {arch}`"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::encode_record;

    #[test]
    fn records_round_trip_through_the_framing_with_kernel_noise() {
        let bodies = [
            GuestOutput::Stdout(b"hello\n".to_vec()),
            GuestOutput::Stderr(vec![0, 0xff, b'\n']),
            GuestOutput::Log("mount failed".into()),
            GuestOutput::End(ProgramEnd::Signaled {
                signal: 11,
                core_dumped: true,
            }),
        ];
        let mut console = String::new();
        for (i, b) in bodies.iter().enumerate() {
            let line = encode_record(i as u64, b);
            console.push_str("[    1.0] random: crng init done\n");
            console.push_str(&line);
            console.push_str(&line);
        }
        let mut p = RecordParser::<GuestOutput>::with_body();
        let mut got: Vec<_> = p.push(console.as_bytes());
        got.extend(p.finish());
        assert_eq!(
            got.into_iter().map(|r| r.body).collect::<Vec<_>>(),
            bodies.to_vec()
        );
        let report = p.report();
        assert!(report.ended && report.missing_seqs.is_empty());
        assert_eq!(report.duplicates, 4);
        // The payload's record types are not exec records.
        let mut p = RecordParser::<GuestOutput>::with_body();
        let h = encode_record(0, &crate::protocol::RecordBody::End { cases_run: 1 });
        assert!(p.push(h.as_bytes()).is_empty());
        assert_eq!(p.report().corrupted.len(), 1);
    }

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        let outcome = |end| ExecOutcome {
            end,
            wall_time: Duration::from_secs(1),
            logs: vec![],
            records: ParseReport::default(),
            console: vec![],
            kernel_failure: None,
        };
        assert_eq!(
            outcome(ExecEnd::Program(ProgramEnd::Exited(3))).exit_code(),
            3
        );
        let killed = outcome(ExecEnd::Program(ProgramEnd::Signaled {
            signal: 6,
            core_dumped: false,
        }));
        assert_eq!(killed.exit_code(), 134);
        assert!(killed.problem().unwrap().contains("SIGABRT"));
        assert_eq!(outcome(ExecEnd::TimedOut).exit_code(), EXIT_TIMED_OUT);
        assert_eq!(
            outcome(ExecEnd::NoStatus("x".into())).exit_code(),
            EXIT_GUEST_FAILED
        );
        let mut lost = outcome(ExecEnd::Program(ProgramEnd::Exited(0)));
        lost.records.missing_seqs = vec![2];
        assert_eq!(lost.exit_code(), EXIT_GUEST_FAILED);
    }

    #[test]
    fn the_job_file_layout() {
        let job = encode_job(
            &["/cloneabi/bin/t".into(), "--exact".into()],
            &[("A".into(), "b=c".into())],
        );
        let mut want = b"CLNEXEC1".to_vec();
        want.extend_from_slice(&2u32.to_le_bytes());
        want.extend_from_slice(&15u32.to_le_bytes());
        want.extend_from_slice(b"/cloneabi/bin/t");
        want.extend_from_slice(&7u32.to_le_bytes());
        want.extend_from_slice(b"--exact");
        want.extend_from_slice(&1u32.to_le_bytes());
        want.extend_from_slice(&5u32.to_le_bytes());
        want.extend_from_slice(b"A=b=c");
        assert_eq!(job, want);
        let env = guest_env(&[("HOME".into(), "/x".into())]);
        assert!(env.contains(&("HOME".into(), "/x".into())));
        assert!(env.iter().any(|(k, _)| k == "PATH"));
    }
}
