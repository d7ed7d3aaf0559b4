//! Helpers shared by the payload tests: building Programs with the arch crate's encoder,
//! running the payload on a batch and collecting its records.
#![allow(dead_code)]

use cloneabi_arch::abi::LegacyCloneArg;
use cloneabi_arch::clone_args::{self, CloneArgs, Tail};
use cloneabi_arch::{Arch, Sysno};
use cloneabi_runners::payload;
use cloneabi_runners::protocol::{
    encode_batch, BatchOptions, ParseReport, RecordBody, RecordParser,
};
use cloneabi_suites::observation::{EnvReport, Observation};
use cloneabi_suites::program::{
    Behavior, Blob, CallKind, Fixup, Observe, Placement, Program, SetupOp, SizeArg, Target,
};
use std::path::PathBuf;
use std::process::Command;

pub const SIGCHLD: u64 = 17;
pub const CLONE_VM: u64 = 0x100;
pub const CLONE_PIDFD: u64 = 0x1000;
pub const CLONE_VFORK: u64 = 0x4000;
pub const CLONE_SETTLS: u64 = 0x80000;
pub const CLONE_PARENT_SETTID: u64 = 0x100000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x200000;
pub const CLONE_CHILD_SETTID: u64 = 0x1000000;

pub const STACK: u32 = 64 * 1024;
/// Legacy clone's tls points this far into the TLS area, so that a TLS value can never be
/// mistaken for the stack top (the TLS page may sit right above the stack).
pub const TLS_ADDEND: i64 = 0x100;

/// Offset of a clone_args member.
pub fn off(name: &str) -> u32 {
    clone_args::field(name).unwrap().offset as u32
}

pub fn fix(offset: u32, target: Target, addend: i64) -> Fixup {
    Fixup {
        blob: Blob::Args,
        offset,
        width: 8,
        target,
        addend,
    }
}

/// A clone3 program: `args` encoded for `arch` at `size`, pointer members patched by
/// `fixups`.
pub fn clone3(arch: Arch, args: CloneArgs, size: usize, fixups: Vec<Fixup>) -> Program {
    program(
        CallKind::Clone3,
        arch.syscall(Sysno::Clone3).unwrap(),
        clone_args::encode(&args, arch.abi().endian, size, Tail::Zero),
        SizeArg::Literal(size as u64),
        fixups,
        0,
    )
}

/// A program of a test case: no setup, every observation, in the shared case process.
fn program(
    call: CallKind,
    syscall_nr: u32,
    args: Vec<u8>,
    size: SizeArg,
    fixups: Vec<Fixup>,
    stack_len: u32,
) -> Program {
    Program {
        call,
        syscall_nr,
        args,
        size,
        placement: Placement::Normal,
        set_tid: Vec::new(),
        fixups,
        setup: Vec::new(),
        behavior: Behavior::default(),
        observe: Observe::ALL,
        own_process: false,
        setup_reusable: false,
        stack_len,
        timeout_ms: 10_000,
        label: "test".into(),
    }
}

/// A clone3 with `flags` and `exit_signal` whose child runs on a fresh STACK-byte stack
/// (stack and stack_size set), plus `fixups`.
pub fn on_own_stack(arch: Arch, flags: u64, exit_signal: u64, fixups: Vec<Fixup>) -> Program {
    let mut p = clone3(
        arch,
        CloneArgs {
            flags,
            exit_signal,
            stack_size: STACK as u64,
            ..CloneArgs::default()
        },
        88,
        [fix(off("stack"), Target::StackBase, 0)]
            .into_iter()
            .chain(fixups)
            .collect(),
    );
    p.stack_len = STACK;
    p
}

/// A fork-like clone3 (exit signal SIGCHLD, nothing else) with fix-ups.
pub fn fork_like(arch: Arch, fixups: Vec<Fixup>) -> Program {
    clone3(
        arch,
        CloneArgs {
            exit_signal: SIGCHLD,
            ..CloneArgs::default()
        },
        88,
        fixups,
    )
}

/// A clone3 with CLONE_PIDFD, the pidfd written to the payload's pidfd slot.
pub fn with_pidfd(arch: Arch) -> Program {
    clone3(
        arch,
        CloneArgs {
            flags: CLONE_PIDFD,
            exit_signal: SIGCHLD,
            ..CloneArgs::default()
        },
        88,
        vec![fix(off("pidfd"), Target::PidfdSlot, 0)],
    )
}

/// `p` after `levels` nested pid namespaces, each with its own init (unshare, fork-into),
/// in a case process of its own whose setup a following case may extend.
pub fn nested(mut p: Program, levels: usize) -> Program {
    for _ in 0..levels {
        p.setup.push(SetupOp::Unshare {
            flags: 0x2000_0000, // CLONE_NEWPID
        });
        p.setup.push(SetupOp::ForkInto);
    }
    p.own_process = true;
    p.setup_reusable = true;
    p
}

/// Whether this process may make pid namespaces (prints why not).
pub fn may_unshare_pid_ns() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        println!("SKIPPED: unshare(CLONE_NEWPID) needs root");
    }
    root
}

/// A legacy clone() program in the arch's argument order: `flags` literal; a fresh
/// STACK-byte stack (its top as newsp) when `stack`; parent_tid, child_tid and tls
/// pointing at the payload's slots and TLS area (+ TLS_ADDEND).
pub fn legacy_clone(arch: Arch, flags: u64, stack: bool) -> Program {
    legacy_clone_in_order(arch, arch.abi().legacy_clone.order(), flags, stack)
}

/// [`legacy_clone`] with an explicit argument order.
pub fn legacy_clone_in_order(
    arch: Arch,
    order: [LegacyCloneArg; 5],
    flags: u64,
    stack: bool,
) -> Program {
    let mut args = vec![0u8; 40];
    let mut fixups = Vec::new();
    for (i, arg) in order.iter().enumerate() {
        let o = (i * 8) as u32;
        match arg {
            LegacyCloneArg::Flags => {
                clone_args::put_u64(&mut args, i * 8, flags, arch.abi().endian)
            }
            LegacyCloneArg::Stack if stack => fixups.push(fix(o, Target::StackBase, STACK as i64)),
            LegacyCloneArg::Stack => {}
            LegacyCloneArg::ParentTid => fixups.push(fix(o, Target::ParentTidSlot, 0)),
            LegacyCloneArg::ChildTid => fixups.push(fix(o, Target::ChildTidSlot, 0)),
            LegacyCloneArg::Tls => fixups.push(fix(o, Target::TlsArea, TLS_ADDEND)),
        }
    }
    program(
        CallKind::LegacyClone,
        arch.syscall(Sysno::Clone).unwrap(),
        args,
        SizeArg::Literal(0),
        fixups,
        if stack { STACK } else { 0 },
    )
}

/// What one payload run answered.
pub struct Run {
    pub env: EnvReport,
    pub observations: Vec<Observation>,
    pub logs: Vec<String>,
    pub report: ParseReport,
    pub status: std::process::ExitStatus,
    pub stdout: Vec<u8>,
}

impl Run {
    pub fn case(&self, index: u32) -> &Observation {
        self.observations
            .iter()
            .find(|o| o.case_index == index)
            .unwrap_or_else(|| panic!("no observation for case {index}; logs: {:?}", self.logs))
    }
}

pub fn parse(stdout: &[u8]) -> (Vec<RecordBody>, ParseReport) {
    let mut p = RecordParser::new();
    let mut bodies: Vec<RecordBody> = p.push(stdout).into_iter().map(|r| r.body).collect();
    bodies.extend(p.finish().into_iter().map(|r| r.body));
    (bodies, p.report())
}

fn scratch_file(tag: &str, bytes: &[u8]) -> PathBuf {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let p = std::env::temp_dir().join(format!("cloneabi-{tag}-{}-{n}.batch", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Runs the payload for `arch` (through `runner`, e.g. qemu-aarch64, when given) on the
/// batch, and decodes everything it wrote.
pub fn run(arch: Arch, runner: Option<&str>, programs: &[(u32, Program)]) -> Run {
    run_with(arch, runner.map(|r| vec![r]).unwrap_or_default(), programs)
}

/// [`run`] with a wrapper command line in front of the payload (qemu-user, unshare, ...).
pub fn run_with(arch: Arch, wrapper: Vec<&str>, programs: &[(u32, Program)]) -> Run {
    let p = payload::provide(arch).expect("payload");
    let batch = encode_batch(arch, &BatchOptions::default(), programs);
    let file = scratch_file(arch.name(), &batch);
    let mut cmd = match wrapper.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(&p.path);
            c
        }
        None => Command::new(&p.path),
    };
    cmd.arg(&file);
    let out = output_retrying(&mut cmd);
    if std::env::var_os("CLONEABI_KEEP_BATCH").is_none() {
        let _ = std::fs::remove_file(&file);
    }
    let (bodies, report) = parse(&out.stdout);
    let mut env = None;
    let mut observations = Vec::new();
    let mut logs = Vec::new();
    for b in bodies {
        match b {
            RecordBody::Env(e) => env = Some(e),
            RecordBody::Observation(o) => observations.push(*o),
            RecordBody::Log(l) => logs.push(l),
            RecordBody::End { cases_run } => assert_eq!(cases_run as usize, programs.len()),
        }
    }
    assert!(
        report.ended && report.missing_seqs.is_empty() && report.corrupted.is_empty(),
        "stream incomplete: {report:?}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Run {
        env: env.expect("an H record"),
        observations,
        logs,
        report,
        status: out.status,
        stdout: out.stdout,
    }
}

/// Runs `cmd`, retrying on ETXTBSY: another test thread may have forked while it held the
/// freshly written payload open for writing (the fd lives until that child's exec).
pub fn output_retrying(cmd: &mut Command) -> std::process::Output {
    for _ in 0..50 {
        match cmd.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            other => return other.expect("run the payload"),
        }
    }
    panic!("the payload stayed busy")
}

pub fn find_in_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(program).is_file()))
}

/// The cached Debian bookworm x86_64 kernel the guest tests boot, or `None` after saying on
/// stderr why the test is skipped. In CI (`CI=true`) a missing kernel fails the test.
pub fn bookworm_x86_64_kernel() -> Option<cloneabi_runners::kernels::KernelImage> {
    use cloneabi_runners::kernels::{self, Cache, Release};
    let kernel = Cache::from_env()
        .ok()
        .and_then(|c| kernels::cached(Release::Bookworm, Arch::X86_64, &c));
    if kernel.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "no cached bookworm x86_64 kernel in CI (cloneabi kernels fetch)"
        );
        eprintln!("SKIP: no cached bookworm x86_64 kernel (cloneabi kernels fetch --arch x86_64)");
    }
    kernel
}
