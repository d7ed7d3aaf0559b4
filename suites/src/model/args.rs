//! Stages A-C of clone3: `copy_clone_args_from_user()`, `clone3_args_valid()` and the
//! pidfd/parent_tid check of `kernel_clone()`.

use super::{fail, gates, ModelEnv, Stage};
use crate::case::{
    CgroupSpec, Clone3Call, Member, PidValue, Placement, Ptr, SetTidSpec, SizeArg, StackSpec,
};
use crate::errno::{E2BIG, EFAULT, EINVAL};
use crate::flags::*;
use cloneabi_arch::abi::Endian;
use cloneabi_arch::clone_args::{SizeVersion, FIELDS};

/// An address no user range on x86_64, arm64, powerpc64 or riscv64 reaches, whatever the
/// paging configuration: x86_64's TASK_SIZE_MAX is below 2^56 with 5-level paging (2^47
/// without), arm64's at most 2^52, powerpc64's TASK_SIZE_USER64 2^52, riscv64's below 2^56
/// (Sv57). A range ending above it fails
/// access_ok(); one ending between the smallest and the largest limit depends on the
/// configuration, and no case uses one.
const USER_ADDRESS_CEILING: u64 = 1 << 56;

/// The arguments as `kernel_clone()` sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KernelArgs {
    pub flags: u64,
    pub exit_signal: u64,
    pub pidfd: Ptr,
    pub child_tid: Ptr,
    pub parent_tid: Ptr,
    pub stack: StackSpec,
    pub stack_size: u64,
    pub tls: Ptr,
    /// Requested pids, innermost level first (resolved against pid_max).
    pub set_tid: Vec<i64>,
    pub cgroup: CgroupSpec,
    /// Came in through legacy clone(): `stack` is the SP itself.
    pub legacy: bool,
}

pub(crate) fn resolve_pid(value: PidValue, env: &ModelEnv) -> i64 {
    match value {
        PidValue::Literal(v) => i64::from(v),
        PidValue::PidMaxMinus(k) => env.pid_max - i64::from(k),
    }
}

/// The 11 members as the model knows them before the run.
fn words(call: &Clone3Call) -> [u64; 11] {
    call.members().map(Member::model_word)
}

/// Whether a byte range of the caller's buffer holds a non-zero byte: byte by byte, in the
/// target's byte order, for the values the case fixes and the descriptors the payload fills
/// in (below 256, so only their lowest-order byte is non-zero, as in their stand-in); for
/// the addresses it fills in, wherever their member overlaps the range, since any of their
/// bytes may be the non-zero one.
fn nonzero_in(call: &Clone3Call, from: u64, to: u64, endian: Endian) -> bool {
    let bytes = |v: u64| match endian {
        Endian::Little => v.to_le_bytes(),
        Endian::Big => v.to_be_bytes(),
    };
    let set_in_range = |start: u64, v: u64| {
        bytes(v)
            .iter()
            .enumerate()
            .any(|(i, b)| *b != 0 && (from..to).contains(&(start + i as u64)))
    };
    let members = FIELDS.iter().zip(call.members()).any(|(f, m)| {
        let (start, end) = (f.offset as u64, (f.offset + f.size) as u64);
        if m.is_run_time_address() {
            start < to && end > from
        } else {
            set_in_range(start, m.model_word())
        }
    });
    let tail = call
        .tail
        .is_some_and(|(off, v)| set_in_range(off as u64, v));
    members || tail
}

/// Stages A, B and C. On success, the kernel's view of the arguments.
pub(crate) fn clone3_entry(call: &Clone3Call, env: &ModelEnv) -> Result<KernelArgs, (i32, String)> {
    let usize_ = match call.size {
        SizeArg::Literal(b) => b,
        SizeArg::PageSizePlus(k) => env.page_size.saturating_add_signed(k),
    };
    // A1, A2.
    if usize_ > env.page_size {
        return Err((E2BIG, "size > PAGE_SIZE".into()));
    }
    if usize_ < SizeVersion::Ver0.bytes() as u64 {
        return Err((EINVAL, "size < CLONE_ARGS_SIZE_VER0".into()));
    }
    // A3, A4: copy_struct_from_user() scans the tail first, then copies.
    let ksize = SizeVersion::newest_known_by(env.kernel).bytes() as u64;
    let (readable, misalign) = match call.args_at {
        Placement::Normal => (u64::MAX, 0),
        Placement::Null | Placement::Unmapped => (0, 0),
        // The struct ends `mapped` bytes into it at a page boundary, so its start lies
        // `mapped` bytes below an aligned address.
        Placement::GuardAfter { mapped } => (u64::from(mapped), u64::from(mapped) % 8),
    };
    if usize_ > ksize {
        tail_is_zero(
            call,
            ksize,
            usize_,
            readable,
            misalign,
            env.arch.abi().endian,
        )?;
    }
    if readable < usize_.min(ksize) {
        return Err((EFAULT, "copying the struct faults".into()));
    }
    // The kernel sees members that lie entirely inside min(size, ksize); the rest are zero.
    let seen = usize_.min(ksize) as usize;
    let w = words(call);
    let visible = |i: usize| FIELDS[i].offset + FIELDS[i].size <= seen;
    // copy_struct_from_user() copies bytes: a member the size cuts through keeps the bytes
    // before the cut, its low-order ones on a little-endian target, its high-order ones on a
    // big-endian one (a size of 73 passes set_tid_size = 1 as 1 on x86_64, as 0 on s390x).
    let endian = env.arch.abi().endian;
    let get = |i: usize| {
        let (offset, size) = (FIELDS[i].offset, FIELDS[i].size);
        match seen.saturating_sub(offset).min(size) {
            n if n == size => w[i],
            0 => 0,
            n => match endian {
                Endian::Little => w[i] & ((1u64 << (8 * n)) - 1),
                Endian::Big => w[i] & !((1u64 << (8 * (size - n))) - 1),
            },
        }
    };
    let (set_tid_ptr, set_tid_size) = (get(8), get(9));
    if gates::SET_TID.present(env) {
        if set_tid_size > u64::from(super::MAX_PID_NS_LEVEL) {
            return Err((EINVAL, "set_tid_size > MAX_PID_NS_LEVEL".into()));
        }
        if set_tid_ptr == 0 && set_tid_size > 0 {
            return Err((EINVAL, "set_tid_size without set_tid".into()));
        }
        if set_tid_ptr != 0 && set_tid_size == 0 {
            return Err((EINVAL, "set_tid without set_tid_size".into()));
        }
    }
    if super::mutant::active(super::mutant::Mutant::SetTidCopiedFirst)
        && set_tid_size != 0
        && matches!(call.set_tid, SetTidSpec::Unmapped { .. })
    {
        return Err((EFAULT, "copying the set_tid array faults".into()));
    }
    let exit_signal = get(4);
    if exit_signal & !CSIGNAL != 0 {
        return Err((EINVAL, "exit_signal has bits above CSIGNAL".into()));
    }
    // Until the test moved to kernel_clone() (gates::EXIT_SIGNAL_IN_KERNEL_CLONE), valid_signal()
    // came right here, before the CLONE_INTO_CGROUP test and the set_tid copy.
    if !gates::EXIT_SIGNAL_IN_KERNEL_CLONE.present(env) && exit_signal > NSIG {
        return Err((EINVAL, "exit_signal is not a valid signal".into()));
    }
    let flags = call.flags;
    let cgroup_word = get(10);
    if gates::INTO_CGROUP.present(env)
        && flags & CLONE_INTO_CGROUP != 0
        && (cgroup_word > i32::MAX as u64 || usize_ < SizeVersion::Ver2.bytes() as u64)
    {
        return Err((
            EINVAL,
            "CLONE_INTO_CGROUP needs a VER2 struct and cgroup <= INT_MAX".into(),
        ));
    }
    let set_tid = if set_tid_size == 0 {
        Vec::new()
    } else {
        match &call.set_tid {
            SetTidSpec::Unmapped { .. } => {
                return Err((EFAULT, "copying the set_tid array faults".into()))
            }
            // copy_clone_args_from_user() reads the array through u64_to_user_ptr(set_tid):
            // the whole 64-bit member on every ABI, compat ones included (clone3 has no
            // compat entry: compat tables point at sys_clone3 itself, 6.1 and 7.3). access_ok()
            // compares with the 64-bit TASK_SIZE_MAX, not a compat task's TASK_SIZE
            // (asm-generic/access_ok.h; x86's USER_PTR_MAX in 7.3), so the copy itself faults:
            // nothing is mapped at or above 4 GiB in a process with 32-bit pointers, and the
            // catalog passes these pointers only there (`Scope::Pointers32`).
            SetTidSpec::PidsPlus4G(_) => {
                return Err((
                    EFAULT,
                    "copying the set_tid array faults: its pointer lies at or above 4 GiB and is not cut to 32 bits".into(),
                ))
            }
            SetTidSpec::Literal { .. } => {
                return Err((
                    EFAULT,
                    "copying the set_tid array faults: nothing is mapped at its address".into(),
                ))
            }
            SetTidSpec::Pids(p) => p.iter().map(|v| resolve_pid(*v, env)).collect(),
            SetTidSpec::Filled { value, len } => vec![i64::from(*value); *len as usize],
            SetTidSpec::Null { .. } => Vec::new(),
        }
    };
    let kargs = KernelArgs {
        flags,
        exit_signal,
        pidfd: if visible(1) { call.pidfd } else { Ptr::Null },
        child_tid: if visible(2) {
            call.child_tid
        } else {
            Ptr::Null
        },
        parent_tid: if visible(3) {
            call.parent_tid
        } else {
            Ptr::Null
        },
        stack: call.stack,
        stack_size: get(6),
        tls: if visible(7) { call.tls } else { Ptr::Null },
        set_tid,
        cgroup: match call.cgroup {
            _ if visible(10) => call.cgroup,
            // The payload's descriptors are below 256: a cut keeps them whole or loses them.
            c if !matches!(c, CgroupSpec::Fd(_)) && get(10) != 0 => c,
            _ => CgroupSpec::Fd(get(10)),
        },
        legacy: false,
    };
    clone3_args_valid(&kargs, env)?;
    Ok(kargs)
}

/// `check_zeroed_user()` over the bytes past the kernel's struct: it reads aligned words in
/// order and stops at the first non-zero one, so a non-zero byte before an unreadable word
/// is E2BIG, not EFAULT (lib/usercopy.c, 5.4 on; 5.3 read byte by byte to the same effect).
fn tail_is_zero(
    call: &Clone3Call,
    ksize: u64,
    usize_: u64,
    readable: u64,
    misalign: u64,
    endian: Endian,
) -> Result<(), (i32, String)> {
    // Word boundaries relative to the struct's start: offsets congruent to `misalign`.
    let mut word = ksize - (ksize + 8 - misalign) % 8;
    while word < usize_ {
        if word + 8 > readable {
            return Err((
                EFAULT,
                "reading the bytes past the kernel's struct faults".into(),
            ));
        }
        if nonzero_in(call, word.max(ksize), (word + 8).min(usize_), endian) {
            return Err((
                E2BIG,
                format!("non-zero byte past the kernel's {ksize}-byte struct"),
            ));
        }
        word += 8;
    }
    Ok(())
}

/// Stage C, `kernel_clone()` before `copy_process()`.
pub(crate) fn kernel_clone_checks(k: &mut KernelArgs, env: &ModelEnv) -> Stage {
    // "Creating an empty mount namespace implies creating a new mount namespace", set before
    // copy_process() so that its CLONE_NEWNS rules apply.
    if gates::NEW_2026_FLAGS.present(env) && k.flags & CLONE_EMPTY_MNTNS != 0 {
        k.flags |= CLONE_NEWNS;
    }
    pidfd_parent_tid_distinct(k)?;
    // Reached by legacy clone() too, whose exit signal is the low byte of its flags.
    if gates::EXIT_SIGNAL_IN_KERNEL_CLONE.present(env) && k.exit_signal > NSIG {
        return fail(EINVAL, "exit_signal is not a valid signal (kernel_clone)");
    }
    Ok(())
}

/// Stage B.
fn clone3_args_valid(k: &KernelArgs, env: &ModelEnv) -> Result<(), (i32, String)> {
    let mut known = CLONE_LEGACY_FLAGS;
    if gates::CLEAR_SIGHAND.present(env) {
        known |= CLONE_CLEAR_SIGHAND;
    }
    if gates::INTO_CGROUP.present(env) {
        known |= CLONE_INTO_CGROUP;
    }
    if gates::NEW_2026_FLAGS.present(env) {
        known |= CLONE_AUTOREAP | CLONE_NNP | CLONE_PIDFD_AUTOKILL | CLONE_EMPTY_MNTNS;
    }
    if k.flags & !known != 0 {
        return Err((EINVAL, "unknown flag".into()));
    }
    let mut reserved = CLONE_DETACHED | CSIGNAL;
    if gates::NEWTIME_IN_CLONE3.present(env) {
        reserved &= !CLONE_NEWTIME;
    }
    if k.flags & reserved != 0 {
        return Err((
            EINVAL,
            "CLONE_DETACHED or a CSIGNAL bit in clone3 flags".into(),
        ));
    }
    if k.flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND) == CLONE_SIGHAND | CLONE_CLEAR_SIGHAND {
        return Err((EINVAL, "CLONE_SIGHAND with CLONE_CLEAR_SIGHAND".into()));
    }
    if k.flags & (CLONE_THREAD | CLONE_PARENT) != 0 && k.exit_signal != 0 {
        return Err((
            EINVAL,
            "CLONE_THREAD or CLONE_PARENT with an exit_signal".into(),
        ));
    }
    if gates::STACK_VALIDATED.present(env) {
        let stack_set = !matches!(k.stack, StackSpec::None | StackSpec::Literal(0));
        if !stack_set && k.stack_size > 0 {
            return Err((EINVAL, "stack_size without stack".into()));
        }
        if stack_set && k.stack_size == 0 {
            return Err((EINVAL, "stack without stack_size".into()));
        }
        // access_ok(stack, stack_size): the range must lie below the user address limit.
        // s390 keeps user and kernel in separate address spaces and its access_ok() accepts
        // every range (observed on Debian's 6.1 s390x kernel: the call succeeds and the child
        // faults on its stack).
        if let (StackSpec::Literal(addr), false) = (k.stack, env.arch == cloneabi_arch::Arch::S390x)
        {
            if addr != 0 {
                match addr.checked_add(k.stack_size) {
                    None => {
                        return Err((
                            EINVAL,
                            "stack range wraps the address space (access_ok)".into(),
                        ))
                    }
                    Some(end) if end > USER_ADDRESS_CEILING => {
                        return Err((
                            EINVAL,
                            "stack range above the user address space (access_ok)".into(),
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok(())
}

/// `kernel_clone()`: CLONE_PIDFD and CLONE_PARENT_SETTID may not share an address.
pub(crate) fn pidfd_parent_tid_distinct(k: &KernelArgs) -> Stage {
    if k.flags & CLONE_PIDFD != 0 && k.flags & CLONE_PARENT_SETTID != 0 && k.pidfd == k.parent_tid {
        return fail(
            EINVAL,
            "CLONE_PIDFD and CLONE_PARENT_SETTID on the same address",
        );
    }
    Ok(())
}
