//! Encoding of a batch (docs/PROTOCOL.md, "Batch").

use super::wire::{self, behavior, blob, call, disposition, op, placement, reopen, size, target};
use super::{crc32, same_names, BATCH_MAGIC, PROTOCOL_VERSION};
use cloneabi_arch::{Arch, Sysno};
use cloneabi_suites::case::SlotKind;
use cloneabi_suites::program::{
    Blob, CallKind, CgroupReopen, Disposition, Placement, Program, SetupOp, SizeArg, Target,
};

/// The syscall table every batch carries, in wire order (index = position). The child
/// side of the payload issues these numbers and nothing else.
pub const SYSCALL_TABLE: [Sysno; wire::SYSCALLS.len()] = [
    Sysno::Clone3,
    Sysno::Clone,
    Sysno::Exit,
    Sysno::Getpid,
    Sysno::Gettid,
    Sysno::Getppid,
    Sysno::Openat,
    Sysno::Read,
    Sysno::Write,
    Sysno::Close,
    Sysno::Readlinkat,
    Sysno::RtSigaction,
    Sysno::RtSigtimedwait,
    Sysno::Futex,
    Sysno::PidfdSendSignal,
    Sysno::ArchPrctl,
    Sysno::Prctl,
    Sysno::PidfdOpen,
];

const _: () = {
    let mut names = [""; SYSCALL_TABLE.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = SYSCALL_TABLE[i].name();
        i += 1;
    }
    assert!(
        same_names(&names, &wire::SYSCALLS),
        "SYSCALL_TABLE and wire::SYSCALLS list different syscalls"
    );
};

/// A cgroup2 hierarchy the payload mounts (option bit 3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgroupSetup {
    /// Where to mount cgroup2 (created if missing), e.g. `/sys/fs/cgroup/unified`.
    pub mount_point: String,
    /// Run directory created under it, unique per run; every `CgroupMkdir` goes inside.
    pub run_dir: String,
}

/// Batch-wide options (the `options` word plus the cgroup paths).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchOptions {
    /// Bit 0: write every record twice (consoles shared with printk).
    pub write_twice: bool,
    /// Bit 1: `reboot(RB_POWER_OFF)` at the end (the payload is a guest's /init).
    pub power_off: bool,
    /// Bit 2: private mounts and a fresh procfs on /proc.
    pub mount_proc: bool,
    /// Bit 3 when `Some`.
    pub cgroup: Option<CgroupSetup>,
    /// Bit 4: the bench's baseline. Each case's child exits at once and P0 only reaps it;
    /// `duration_us` is then the call plus the reap.
    pub bare: bool,
    /// Bit 5 (a test aid): flood the kernel log through /dev/kmsg while each case runs.
    pub kmsg_noise: bool,
    /// Bit 6: a guest's /init writes the records once to the record channel's port, and
    /// falls back to the console (and `write_twice`) only when the port is missing.
    pub record_channel: bool,
    /// Bit 7: with the record channel, /init then serves a guest session: it takes further
    /// batches from the channel until [`session_end`].
    pub session: bool,
}

impl BatchOptions {
    /// The `options` word.
    pub fn bits(&self) -> u32 {
        use wire::option;
        bit(self.write_twice, option::TWICE)
            | bit(self.power_off, option::POWEROFF)
            | bit(self.mount_proc, option::PROC)
            | bit(self.cgroup.is_some(), option::CGROUP)
            | bit(self.bare, option::BARE)
            | bit(self.kmsg_noise, option::NOISE)
            | bit(self.record_channel, option::CHANNEL)
            | bit(self.session, option::SESSION)
    }
}

/// `v` when `on`, else 0: one bit (or set of bits) of a word.
fn bit(on: bool, v: u32) -> u32 {
    if on {
        v
    } else {
        0
    }
}

fn put_u8(out: &mut Vec<u8>, v: u8) {
    out.push(v);
}
fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u32(
        out,
        u32::try_from(b.len()).expect("field longer than 4 GiB"),
    );
    out.extend_from_slice(b);
}

fn target_code(t: Target) -> u8 {
    let code = match t {
        Target::StackBase => target::STACK_BASE,
        Target::PidfdSlot => target::PIDFD_SLOT,
        Target::ChildTidSlot => target::CHILD_TID_SLOT,
        Target::ParentTidSlot => target::PARENT_TID_SLOT,
        Target::TlsArea => target::TLS_AREA,
        Target::SetTidArray => target::SET_TID_ARRAY,
        Target::UnmappedPage => target::UNMAPPED_PAGE,
        Target::PidMax => target::PID_MAX,
        Target::CgroupFd => target::CGROUP_FD,
        Target::DirFd => target::DIR_FD,
        Target::PageSize => target::PAGE_SIZE,
        Target::ReadOnlyPage => target::READ_ONLY_PAGE,
    };
    code as u8
}

/// The `behavior` word of a program. A kernel crash is asked for only in a batch that powers
/// the machine off (a guest's /init): never on a host.
fn behavior_bits(p: &Program, options: &BatchOptions) -> u32 {
    let b = &p.behavior;
    bit(b.child_holds, behavior::CHILD_HOLDS)
        | bit(b.pidfd_signal, behavior::PIDFD_SIGNAL)
        | bit(b.cleartid_waiter, behavior::CLEARTID_WAITER)
        | bit(b.read_cgroup_procs, behavior::READ_CGROUP_PROCS)
        | bit(b.no_reap, behavior::NO_REAP)
        | bit(p.observe.nspid, behavior::OBSERVE_NSPID)
        | bit(p.observe.cgroup, behavior::OBSERVE_CGROUP)
        | bit(p.own_process, behavior::OWN_PROCESS)
        | bit(p.setup_reusable, behavior::SETUP_REUSABLE)
        | bit(p.observe.dispositions, behavior::OBSERVE_DISPOSITIONS)
        | bit(b.follow_exit, behavior::FOLLOW_EXIT)
        | bit(b.close_pidfd, behavior::CLOSE_PIDFD)
        | bit(b.read_child_mounts, behavior::READ_CHILD_MOUNTS)
        | bit(p.observe.no_new_privs, behavior::OBSERVE_NNP)
        | bit(b.caller_exits, behavior::CALLER_EXITS)
        | bit(b.child_thread, behavior::CHILD_THREAD)
        | bit(
            b.crash_kernel && options.power_off,
            behavior::TEST_CRASH_KERNEL,
        )
        | match p.observe.pidfd_flags {
            None => 0,
            Some(SlotKind::Pidfd) => behavior::PIDFD_FLAGS_IN_PIDFD_SLOT,
            Some(SlotKind::ParentTid) => behavior::PIDFD_FLAGS_IN_PARENT_TID_SLOT,
            Some(SlotKind::ChildTid) => behavior::PIDFD_FLAGS_IN_CHILD_TID_SLOT,
        }
}

/// The wire bytes of one case (without its length prefix).
pub fn encode_case(case_index: u32, p: &Program, options: &BatchOptions) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + p.args.len() + p.set_tid.len());
    put_u32(&mut out, case_index);
    put_u32(
        &mut out,
        match p.call {
            CallKind::Clone3 => call::CLONE3,
            CallKind::LegacyClone => call::LEGACY_CLONE,
        },
    );
    put_u32(&mut out, p.syscall_nr);
    let (mode, value) = match p.size {
        SizeArg::Literal(v) => (size::LITERAL, v),
        SizeArg::PageSizePlus(d) => (size::PAGE_SIZE_PLUS, d as u64),
    };
    put_u32(&mut out, mode);
    put_u64(&mut out, value);
    let (placement, arg) = match p.placement {
        Placement::Normal => (placement::NORMAL, 0),
        Placement::Null => (placement::NULL, 0),
        Placement::Unmapped => (placement::UNMAPPED, 0),
        Placement::GuardAfter { mapped } => (placement::GUARD_AFTER, mapped),
    };
    put_u32(&mut out, placement);
    put_u32(&mut out, arg);
    put_u32(&mut out, behavior_bits(p, options));
    put_u32(&mut out, p.stack_len);
    put_u32(&mut out, p.timeout_ms);
    put_u32(&mut out, p.label.len() as u32);
    out.extend_from_slice(p.label.as_bytes());
    put_bytes(&mut out, &p.args);
    put_bytes(&mut out, &p.set_tid);
    put_u32(&mut out, p.fixups.len() as u32);
    for f in &p.fixups {
        put_u8(
            &mut out,
            match f.blob {
                Blob::Args => blob::ARGS as u8,
                Blob::SetTid => blob::SET_TID as u8,
            },
        );
        put_u8(&mut out, f.width);
        put_u8(&mut out, target_code(f.target));
        put_u8(&mut out, 0);
        put_u32(&mut out, f.offset);
        put_u64(&mut out, f.addend as u64);
    }
    put_u32(&mut out, p.setup.len() as u32);
    for op in &p.setup {
        match op {
            SetupOp::Unshare { flags } => {
                put_u32(&mut out, op::UNSHARE);
                put_u64(&mut out, *flags);
            }
            SetupOp::ForkInto => put_u32(&mut out, op::FORK_INTO),
            SetupOp::Capset {
                effective,
                permitted,
                inheritable,
            } => {
                put_u32(&mut out, op::CAPSET);
                put_u64(&mut out, *effective);
                put_u64(&mut out, *permitted);
                put_u64(&mut out, *inheritable);
            }
            SetupOp::Sigaction { signo, disposition } => {
                put_u32(&mut out, op::SIGACTION);
                put_u32(&mut out, *signo);
                put_u32(
                    &mut out,
                    match disposition {
                        Disposition::Default => disposition::DEFAULT,
                        Disposition::Ignore => disposition::IGNORE,
                        Disposition::Handler => disposition::HANDLER,
                    },
                );
            }
            SetupOp::CgroupMkdir { name } => {
                put_u32(&mut out, op::CGROUP_MKDIR);
                put_bytes(&mut out, name.as_bytes());
            }
            SetupOp::CgroupWrite { path, content } => {
                put_u32(&mut out, op::CGROUP_WRITE);
                put_bytes(&mut out, path.as_bytes());
                put_bytes(&mut out, content.as_bytes());
            }
            SetupOp::OpenDir { path } => {
                put_u32(&mut out, op::OPEN_DIR);
                put_bytes(&mut out, path.as_bytes());
            }
            SetupOp::AutoreapInto => put_u32(&mut out, op::AUTOREAP_INTO),
            SetupOp::NoNewPrivs => put_u32(&mut out, op::NO_NEW_PRIVS),
            SetupOp::EnterUserNs => put_u32(&mut out, op::ENTER_USER_NS),
            SetupOp::Cgroup1Root => put_u32(&mut out, op::CGROUP1_ROOT),
            SetupOp::CgroupReopen { how } => {
                put_u32(&mut out, op::CGROUP_REOPEN);
                put_u32(
                    &mut out,
                    match how {
                        CgroupReopen::Path => reopen::PATH,
                        CgroupReopen::ProcsFile => reopen::PROCS_FILE,
                        CgroupReopen::Closed => reopen::CLOSED,
                    },
                );
            }
        }
    }
    out
}

/// Encodes a whole batch for `arch`: header, the arch's syscall table (`u32::MAX` where
/// the arch has no such syscall), options and every `(case_index, program)`.
pub fn encode_batch(arch: Arch, options: &BatchOptions, programs: &[(u32, Program)]) -> Vec<u8> {
    let mut body = Vec::new();
    put_u32(&mut body, SYSCALL_TABLE.len() as u32);
    for nr in SYSCALL_TABLE {
        put_u32(&mut body, arch.syscall(nr).unwrap_or(u32::MAX));
    }
    put_u32(&mut body, options.bits());
    let (mount, run) = match &options.cgroup {
        Some(c) => (c.mount_point.as_str(), c.run_dir.as_str()),
        None => ("", ""),
    };
    put_bytes(&mut body, mount.as_bytes());
    put_bytes(&mut body, run.as_bytes());
    put_u32(&mut body, programs.len() as u32);
    for (index, program) in programs {
        put_bytes(&mut body, &encode_case(*index, program, options));
    }

    let total = 24 + body.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(BATCH_MAGIC);
    put_u32(&mut out, PROTOCOL_VERSION);
    put_u32(
        &mut out,
        u32::try_from(total).expect("batch longer than 4 GiB"),
    );
    put_u32(&mut out, crc32(&body));
    put_u32(&mut out, 0);
    out.extend_from_slice(&body);
    out
}

/// The header that ends a guest session: the batch magic and version with a length of 0.
pub fn session_end() -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    out.extend_from_slice(BATCH_MAGIC);
    put_u32(&mut out, PROTOCOL_VERSION);
    out.extend_from_slice(&[0; 12]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloneabi_suites::program::{Behavior, Fixup, Observe};

    fn program() -> Program {
        Program {
            call: CallKind::Clone3,
            syscall_nr: 435,
            args: vec![1, 2, 3],
            size: SizeArg::PageSizePlus(-8),
            placement: Placement::GuardAfter { mapped: 88 },
            set_tid: vec![9; 4],
            fixups: vec![Fixup {
                blob: Blob::Args,
                offset: 0,
                width: 8,
                target: Target::CgroupFd,
                addend: -1,
            }],
            setup: vec![
                SetupOp::ForkInto,
                SetupOp::CgroupWrite {
                    path: "a/cgroup.subtree_control".into(),
                    content: "+pids".into(),
                },
                SetupOp::AutoreapInto,
            ],
            behavior: Behavior {
                pidfd_signal: true,
                no_reap: true,
                child_thread: true,
                ..Behavior::default()
            },
            observe: Observe::ALL,
            own_process: false,
            setup_reusable: false,
            stack_len: 65536,
            timeout_ms: 5000,
            label: "sizes.ver2".into(),
        }
    }

    #[test]
    fn header_is_framed_and_checksummed() {
        let b = encode_batch(Arch::S390x, &BatchOptions::default(), &[(7, program())]);
        assert_eq!(&b[0..8], b"CLNEABI1");
        assert_eq!(
            u32::from_le_bytes(b[8..12].try_into().unwrap()),
            PROTOCOL_VERSION
        );
        assert_eq!(
            u32::from_le_bytes(b[12..16].try_into().unwrap()) as usize,
            b.len()
        );
        assert_eq!(
            u32::from_le_bytes(b[16..20].try_into().unwrap()),
            crc32(&b[24..])
        );
        // syscall table: 18 entries, s390x clone = 120, no arch_prctl, prctl 172,
        // pidfd_open 434.
        assert_eq!(u32::from_le_bytes(b[24..28].try_into().unwrap()), 18);
        let entry = |i: usize| u32::from_le_bytes(b[28 + 4 * i..32 + 4 * i].try_into().unwrap());
        assert_eq!(entry(0), 435);
        assert_eq!(entry(1), 120);
        assert_eq!(entry(15), u32::MAX);
        assert_eq!(entry(16), 172);
        assert_eq!(entry(17), 434);
    }

    #[test]
    fn case_fields_land_where_the_protocol_says() {
        let c = encode_case(7, &program(), &BatchOptions::default());
        let u32at = |o: usize| u32::from_le_bytes(c[o..o + 4].try_into().unwrap());
        assert_eq!(u32at(0), 7);
        assert_eq!(u32at(4), 1);
        assert_eq!(u32at(8), 435);
        assert_eq!(u32at(12), 1);
        assert_eq!(i64::from_le_bytes(c[16..24].try_into().unwrap()), -8);
        assert_eq!((u32at(24), u32at(28)), (3, 88));
        // pidfd_signal, no_reap, child_thread; nspid, cgroup, dispositions and no_new_privs
        // observed; shared process.
        assert_eq!(
            u32at(32),
            1 << 1 | 1 << 4 | 1 << 5 | 1 << 6 | 1 << 9 | 1 << 13 | 1 << 15
        );
        assert_eq!((u32at(36), u32at(40)), (65536, 5000));
        // The label, then the args blob.
        assert_eq!(u32at(44), 10);
        assert_eq!(&c[48..58], b"sizes.ver2");
        assert_eq!(u32at(58), 3);
        assert_eq!(&c[62..65], &[1, 2, 3]);
        // set_tid, then one fixup
        let f = 65 + 4 + 4 + 4;
        assert_eq!(u32at(f - 4), 1);
        assert_eq!(&c[f..f + 4], &[0, 8, 8, 0]);
        assert_eq!(i64::from_le_bytes(c[f + 8..f + 16].try_into().unwrap()), -1);
        assert_eq!(u32at(f + 16), 3);
        assert_eq!(u32at(f + 20), 2);
        assert_eq!(u32at(f + 24), 6);
        // Op 6's two strings ("a/cgroup.subtree_control", "+pids"), then op 8 alone.
        let op8 = f + 28 + 4 + 24 + 4 + 5;
        assert_eq!(u32at(op8), 8);
        assert_eq!(c.len(), op8 + 4);
    }

    #[test]
    fn a_kernel_crash_is_encoded_only_in_a_batch_that_powers_off() {
        let mut p = program();
        p.behavior.crash_kernel = true;
        let word = |options: &BatchOptions| {
            let c = encode_case(0, &p, options);
            u32::from_le_bytes(c[32..36].try_into().unwrap())
        };
        let host = BatchOptions::default();
        let guest = BatchOptions {
            power_off: true,
            ..BatchOptions::default()
        };
        assert_eq!(word(&host) & behavior::TEST_CRASH_KERNEL, 0);
        assert_ne!(word(&guest) & behavior::TEST_CRASH_KERNEL, 0);
    }

    #[test]
    fn option_bits() {
        let o = BatchOptions {
            write_twice: true,
            power_off: false,
            mount_proc: true,
            cgroup: Some(CgroupSetup {
                mount_point: "/cg".into(),
                run_dir: "r1".into(),
            }),
            bare: false,
            kmsg_noise: false,
            record_channel: false,
            session: false,
        };
        assert_eq!(o.bits(), 0b1101);
        assert_eq!(
            BatchOptions {
                record_channel: true,
                ..o.clone()
            }
            .bits(),
            0b100_1101
        );
        assert_eq!(BatchOptions { bare: true, ..o }.bits(), 0b1_1101);
    }
}
