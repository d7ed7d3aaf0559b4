//! Lowering: a logical case becomes the [`Program`] one architecture's payload runs. All ABI
//! knowledge comes from the arch crate: the syscall number, the struct bytes in the target's
//! byte order, the legacy clone() argument order.

use crate::case::{
    Call, Case, CgroupSpec, Clone3Call, LegacyCall, Member, PidValue, Placement, SetTidSpec,
    SizeArg, StackSpec, Step,
};
use crate::flags::{
    CLONE_AUTOREAP, CLONE_CLEAR_SIGHAND, CLONE_INTO_CGROUP, CLONE_NEWPID, CLONE_NNP, CLONE_PIDFD,
    CLONE_SIGHAND, CLONE_VM,
};
use crate::model::checks::cgroup_dir_name;
use crate::program::{Blob, CallKind, Fixup, Observe, Program, SetupOp, Target};
use cloneabi_arch::abi::Endian;
use cloneabi_arch::abi::LegacyCloneArg;
use cloneabi_arch::clone_args::{self, CloneArgs, Tail, SIZE_LATEST};
use cloneabi_arch::{Arch, Sysno};

/// Per-case timeout. Generous: TCG guests run the deepest pid-vector cases slowly.
pub const CASE_TIMEOUT_MS: u32 = 20_000;

struct Builder {
    fixups: Vec<Fixup>,
    setup: Vec<SetupOp>,
    stack_len: u32,
}

impl Builder {
    fn fix(&mut self, blob: Blob, offset: usize, width: u8, target: Target, addend: i64) {
        self.fixups.push(Fixup {
            blob,
            offset: offset as u32,
            width,
            target,
            addend,
        });
    }

    /// Writes a member at `offset` of the args blob: a fixed value as it is, a run-time
    /// one as zero plus its fix-up, where the blob holds it.
    fn member(&mut self, blob: &mut [u8], offset: usize, m: Member, endian: Endian) {
        match m {
            Member::Fixed(v) => clone_args::put_u64(blob, offset, v, endian),
            Member::RunTime { target, addend } => {
                if offset + 8 <= blob.len() {
                    self.fix(Blob::Args, offset, 8, target, addend);
                }
            }
        }
    }

    /// The stack region the payload maps for `s`, if any.
    fn stack_region(&mut self, s: StackSpec) {
        if let StackSpec::Region { len, .. } = s {
            self.stack_len = len;
        }
    }
}

fn lower_steps(case: &Case) -> Vec<SetupOp> {
    let mut ops = Vec::new();
    for step in &case.steps {
        match step {
            Step::NestPidNs { levels } => {
                for _ in 0..*levels {
                    ops.push(SetupOp::Unshare {
                        flags: CLONE_NEWPID,
                    });
                    ops.push(SetupOp::ForkInto);
                }
            }
            Step::UnsharePidNs => ops.push(SetupOp::Unshare {
                flags: CLONE_NEWPID,
            }),
            Step::KeepCaps { caps } => ops.push(SetupOp::Capset {
                effective: *caps,
                permitted: *caps,
                inheritable: 0,
            }),
            Step::Signal { signo, disposition } => ops.push(SetupOp::Sigaction {
                signo: *signo,
                disposition: *disposition,
            }),
            Step::Cgroup => ops.push(SetupOp::CgroupMkdir {
                name: cgroup_dir_name(&case.id),
            }),
            Step::AutoreapedCaller => ops.push(SetupOp::AutoreapInto),
            Step::NoNewPrivs => ops.push(SetupOp::NoNewPrivs),
            Step::CgroupV1 => ops.push(SetupOp::Cgroup1Root),
            Step::NestUserNs { levels } => {
                ops.extend((0..*levels).map(|_| SetupOp::EnterUserNs));
            }
        }
    }
    ops
}

/// The optional /proc reads the child makes: a superset of what any check the model can
/// derive for this case looks at, on any kernel (tests/lower.rs holds the model to it).
pub fn observations(case: &Case) -> Observe {
    let (flags, set_tid) = match &case.call {
        Call::Clone3(c) => (c.flags, !matches!(c.set_tid, SetTidSpec::Null { size: 0 })),
        Call::Legacy(l) => (l.flags, false),
    };
    Observe {
        // The pid vector is checked only where the child lands below the payload's level or
        // the call chose pids.
        nspid: set_tid
            || flags & CLONE_NEWPID != 0
            || case.nested_levels() > 0
            || case.unshares_pid_ns(),
        cgroup: flags & CLONE_INTO_CGROUP != 0 || case.creates_cgroup(),
        dispositions: flags & CLONE_CLEAR_SIGHAND != 0
            || case.steps.iter().any(|s| matches!(s, Step::Signal { .. })),
        // Whether the child has no_new_privs is checked where the call may set it, where
        // CLONE_AUTOREAP alone must not, and where the caller has it to pass on.
        no_new_privs: flags & (CLONE_NNP | CLONE_AUTOREAP) != 0 || case.caller_has_no_new_privs(),
        // The descriptor a CLONE_PIDFD call returns: in `pidfd` for clone3, in `parent_tid`
        // for legacy clone().
        pidfd_flags: match &case.call {
            _ if flags & CLONE_PIDFD == 0 => None,
            Call::Clone3(c) => c.pidfd.exact_slot(),
            Call::Legacy(l) => l.parent_tid.exact_slot(),
        },
    }
}

/// Whether the call can leave the caller changed or damaged: a child the case expects to be
/// a thread or a CLONE_PARENT child (`no_reap`) is not the caller's to reap, a CLONE_VM
/// child without a stack region of its own runs on the caller's stack, and `caller_exits`
/// makes the caller a child subreaper. (A thread or
/// CLONE_PARENT child the case expects to be refused may share a process: if the kernel
/// makes it anyway, the payload finds it is not its own to reap and waits for its report.)
fn call_may_mark_caller(case: &Case) -> bool {
    let (flags, stack) = match &case.call {
        Call::Clone3(c) => (c.flags, c.stack),
        Call::Legacy(l) => (l.flags, l.stack),
    };
    let own_stack = matches!(stack, StackSpec::Region { .. });
    // A child that is a new pid namespace's init and shares the caller's signal handlers
    // leaves SIGCHLD ignored in them when it exits (zap_pid_ns_processes()): the caller's
    // later children would be reaped by the kernel.
    let init_sharing_sighand =
        flags & (CLONE_SIGHAND | CLONE_NEWPID) == CLONE_SIGHAND | CLONE_NEWPID;
    case.behavior.no_reap
        || case.behavior.caller_exits
        || (flags & CLONE_VM != 0 && !own_stack)
        || init_sharing_sighand
}

/// Whether the case needs a case process of its own (see [`Program::own_process`]): its
/// setup steps change the caller, or its call may.
pub fn needs_own_process(case: &Case) -> bool {
    !case.steps.is_empty() || call_may_mark_caller(case)
}

/// Whether a following case may reuse the process this case leaves (see
/// [`Program::setup_reusable`]).
pub fn setup_reusable(case: &Case) -> bool {
    // An unshared pid namespace without its init is used up by the call: its first child
    // becomes the init, and once that exits the namespace takes no more. A cgroup step
    // creates a directory named after the case. An autoreaped caller is not passed on: a
    // chain would keep its waiting parent for every later case, and no two cases share it.
    let steps_stay = case.steps.iter().all(|s| {
        matches!(
            s,
            Step::NestPidNs { .. } | Step::KeepCaps { .. } | Step::Signal { .. }
        )
    });
    // A descriptor the lowering opens for the call (a directory that is no cgroup) lives in
    // the case's own frame: a chained case resumes after it and would pass -1.
    let opens_dir = matches!(&case.call, Call::Clone3(c)
        if matches!(c.cgroup, CgroupSpec::NonCgroupDir | CgroupSpec::V1Root)
            || c.cgroup.reopen().is_some());
    !case.steps.is_empty() && steps_stay && !opens_dir && !call_may_mark_caller(case)
}

/// Lowers `case` for `arch`.
pub fn lower(case: &Case, arch: Arch) -> Program {
    let mut b = Builder {
        fixups: Vec::new(),
        setup: lower_steps(case),
        stack_len: 0,
    };
    let (call, syscall, args, size, placement, set_tid) = match &case.call {
        Call::Clone3(c) => {
            let (args, set_tid) = lower_clone3(c, arch, &mut b);
            (
                CallKind::Clone3,
                Sysno::Clone3,
                args,
                c.size,
                c.args_at,
                set_tid,
            )
        }
        Call::Legacy(l) => {
            let args = lower_legacy(l, arch, &mut b);
            (
                CallKind::LegacyClone,
                Sysno::Clone,
                args,
                SizeArg::Literal(0),
                Placement::Normal,
                Vec::new(),
            )
        }
    };
    Program {
        call,
        syscall_nr: arch
            .syscall(syscall)
            .expect("every covered arch has clone and clone3"),
        args,
        size,
        placement,
        set_tid,
        fixups: b.fixups,
        setup: b.setup,
        behavior: case.behavior,
        observe: observations(case),
        own_process: needs_own_process(case),
        setup_reusable: setup_reusable(case),
        stack_len: b.stack_len,
        timeout_ms: CASE_TIMEOUT_MS,
        label: case.id.clone(),
    }
}

fn lower_clone3(c: &Clone3Call, arch: Arch, b: &mut Builder) -> (Vec<u8>, Vec<u8>) {
    let endian = arch.abi().endian;
    b.stack_region(c.stack);
    let mut set_tid_blob = Vec::new();
    match &c.set_tid {
        SetTidSpec::Filled { value, len } => {
            set_tid_blob = vec![0u8; *len as usize * 4];
            for i in 0..*len as usize {
                clone_args::put_i32(&mut set_tid_blob, i * 4, *value, endian);
            }
        }
        SetTidSpec::Pids(pids) | SetTidSpec::PidsPlus4G(pids) => {
            set_tid_blob = vec![0u8; pids.len() * 4];
            for (i, p) in pids.iter().enumerate() {
                match p {
                    PidValue::Literal(v) => {
                        clone_args::put_i32(&mut set_tid_blob, i * 4, *v, endian)
                    }
                    PidValue::PidMaxMinus(k) => {
                        b.fix(Blob::SetTid, i * 4, 4, Target::PidMax, -i64::from(*k))
                    }
                }
            }
        }
        SetTidSpec::Null { .. } | SetTidSpec::Unmapped { .. } | SetTidSpec::Literal { .. } => {}
    }
    if c.cgroup == CgroupSpec::NonCgroupDir {
        b.setup.push(SetupOp::OpenDir { path: "/".into() });
    }
    if let Some(how) = c.cgroup.reopen() {
        b.setup.push(SetupOp::CgroupReopen { how });
    }
    let members = c.members();
    let fixed = members.map(|m| match m {
        Member::Fixed(v) => v,
        Member::RunTime { .. } => 0,
    });
    let tail = c
        .tail
        .map_or(Tail::Zero, |(offset, value)| Tail::U64At { offset, value });
    // The buffer holds at least the whole struct (so every fix-up has a place), at most 64
    // bytes beyond it (huge sizes are only ever passed with a NULL pointer), and always the
    // tail value when it lies inside the passed size.
    let len = match (c.args_at, c.size) {
        (Placement::Null | Placement::Unmapped, _) => 0,
        (_, SizeArg::Literal(n)) => {
            let n = n as usize;
            let tail_end = c.tail.map_or(0, |(o, _)| o + 8).min(n);
            n.clamp(SIZE_LATEST, SIZE_LATEST + 64).max(tail_end)
        }
        (_, SizeArg::PageSizePlus(_)) => SIZE_LATEST,
    };
    let mut blob = clone_args::encode(&CloneArgs::from_values(fixed), endian, len, tail);
    for (field, m) in clone_args::FIELDS.iter().zip(members) {
        if let Member::RunTime { .. } = m {
            b.member(&mut blob, field.offset, m, endian);
        }
    }
    (blob, set_tid_blob)
}

fn lower_legacy(l: &LegacyCall, arch: Arch, b: &mut Builder) -> Vec<u8> {
    let abi = arch.abi();
    let mut blob = vec![0u8; 40];
    b.stack_region(l.stack);
    for (pos, arg) in abi.legacy_clone.order().iter().enumerate() {
        let m = match arg {
            LegacyCloneArg::Flags => Member::Fixed(l.flags),
            LegacyCloneArg::Stack => l.stack.member(),
            LegacyCloneArg::ParentTid => l.parent_tid.member(),
            LegacyCloneArg::ChildTid => l.child_tid.member(),
            LegacyCloneArg::Tls => l.tls.member(),
        };
        b.member(&mut blob, pos * 8, m, abi.endian);
    }
    blob
}
