//! Stage D: `copy_process()` in kernel/fork.c, with `copy_namespaces()`, the arch
//! `copy_thread()`, `alloc_pid()` (kernel/pid.c) and `cgroup_can_fork()`.

use super::args::KernelArgs;
use super::{fail, gates, ModelEnv, Stage, PID_MAX_LIMIT};
use crate::case::{Case, CgroupSpec, Ptr};
use crate::errno::{EBADF, EEXIST, EFAULT, EINVAL, ENOSPC, EOPNOTSUPP, EPERM};
use crate::flags::*;
use cloneabi_arch::abi::TlsArgument;

/// The pid namespaces involved, from the caller's point of view.
pub(crate) struct PidNsLayout {
    /// Absolute level of the caller's active pid namespace.
    pub caller_level: u32,
    /// Absolute level of the namespace the child's pid is allocated in.
    pub child_level: u32,
    /// The child's namespace has no init yet (new, or unshared without a fork).
    pub child_ns_without_reaper: bool,
    /// The child's namespace is owned by a user namespace created by this very call.
    pub child_ns_owned_by_new_userns: bool,
}

pub(crate) fn pid_ns_layout(case: &Case, k: &KernelArgs, env: &ModelEnv) -> PidNsLayout {
    let caller_level = env.payload_level + case.nested_levels();
    let unshared = case.unshares_pid_ns();
    let newpid = k.flags & CLONE_NEWPID != 0;
    PidNsLayout {
        caller_level,
        child_level: caller_level + u32::from(unshared || newpid),
        child_ns_without_reaper: unshared || newpid,
        child_ns_owned_by_new_userns: newpid && k.flags & CLONE_NEWUSER != 0,
    }
}

/// Whether the caller holds `cap` in the user namespace it runs in.
fn caller_has(case: &Case, cap_bit: u32) -> bool {
    case.kept_caps().is_none_or(|caps| caps & cap(cap_bit) != 0)
}

/// `checkpoint_restore_ns_capable()` over a user namespace the caller is in.
fn may_choose_pids(case: &Case, env: &ModelEnv) -> bool {
    caller_has(case, CAP_SYS_ADMIN)
        || (gates::CHECKPOINT_RESTORE_CAP.present(env) && caller_has(case, CAP_CHECKPOINT_RESTORE))
}

pub(crate) fn copy_process(case: &Case, k: &KernelArgs, env: &ModelEnv) -> Stage {
    let f = k.flags;
    let has = |bits: u64| f & bits == bits;
    if has(CLONE_NEWNS | CLONE_FS) {
        return fail(EINVAL, "CLONE_NEWNS with CLONE_FS");
    }
    if has(CLONE_NEWUSER | CLONE_FS) {
        return fail(EINVAL, "CLONE_NEWUSER with CLONE_FS");
    }
    if has(CLONE_THREAD) && !has(CLONE_SIGHAND) {
        return fail(EINVAL, "CLONE_THREAD without CLONE_SIGHAND");
    }
    if has(CLONE_SIGHAND) && !has(CLONE_VM) {
        return fail(EINVAL, "CLONE_SIGHAND without CLONE_VM");
    }
    // After NestPidNs the caller is its namespace's init (SIGNAL_UNKILLABLE).
    if has(CLONE_PARENT) && case.nested_levels() > 0 {
        return fail(EINVAL, "CLONE_PARENT from a pid namespace init");
    }
    if has(CLONE_THREAD) && (f & (CLONE_NEWUSER | CLONE_NEWPID) != 0 || case.unshares_pid_ns()) {
        return fail(EINVAL, "CLONE_THREAD with a new user or pid namespace");
    }
    if has(CLONE_PIDFD) {
        if has(CLONE_DETACHED) {
            return fail(EINVAL, "CLONE_PIDFD with CLONE_DETACHED");
        }
        if has(CLONE_THREAD) && !gates::PIDFD_THREAD.present(env) {
            return fail(EINVAL, "CLONE_PIDFD with CLONE_THREAD before 6.9");
        }
    }
    if gates::NEW_2026_FLAGS.present(env) {
        new_flag_rules(case, k)?;
    }
    // copy_creds(): create_user_ns() is a stub that refuses without CONFIG_USER_NS.
    if f & CLONE_NEWUSER != 0 && !env.has_namespace("user") {
        return fail(EINVAL, "the kernel has no user namespaces");
    }
    // create_user_ns(): `parent_ns->level > 32` is ENOSPC. Where the payload's own level is
    // unknown the case nests none below it (environment_gap), and the payload is taken to
    // lie far from the limit.
    if f & CLONE_NEWUSER != 0 {
        if let Some(level) = env.payload_user_level {
            if level + case.nested_user_levels() >= super::MAX_USER_NS_LEVEL {
                return fail(
                    ENOSPC,
                    "user namespace nesting beyond 32 levels below the initial one (create_user_ns)",
                );
            }
        }
    }
    copy_namespaces(case, k, env)?;
    copy_thread(k, env)?;
    alloc_pid(case, k, env)?;
    if has(CLONE_PIDFD) && k.pidfd.faults() {
        return fail(EFAULT, "storing the pidfd faults");
    }
    // Before 5.7 the bit meant nothing (legacy clone() passed it through until 5.6.14).
    if has(CLONE_INTO_CGROUP) && gates::INTO_CGROUP.present(env) {
        cgroup_can_fork(k)?;
    }
    Ok(())
}

/// copy_process()'s tests of the 7.1 flags, in its order (source: 7.2 and 7.3 kernel/fork.c,
/// right after the CLONE_PIDFD tests).
fn new_flag_rules(case: &Case, k: &KernelArgs) -> Stage {
    let has = |bits: u64| k.flags & bits == bits;
    if has(CLONE_AUTOREAP) {
        if has(CLONE_THREAD) {
            return fail(EINVAL, "CLONE_AUTOREAP with CLONE_THREAD");
        }
        if has(CLONE_PARENT) {
            return fail(EINVAL, "CLONE_AUTOREAP with CLONE_PARENT");
        }
        if k.exit_signal != 0 {
            return fail(EINVAL, "CLONE_AUTOREAP with an exit_signal");
        }
    }
    // `(clone_flags & CLONE_PARENT) && current->signal->autoreap`: the caller's parent would
    // get a child it never sees end. The flag is per thread group and not inherited (a child
    // gets a fresh signal_struct), so only a caller made with CLONE_AUTOREAP has it. Tested
    // before CLONE_NNP and before copy_namespaces()' capability checks.
    if has(CLONE_PARENT) && case.caller_is_autoreaped() {
        return fail(
            EINVAL,
            "CLONE_PARENT from a caller that is itself autoreaped",
        );
    }
    if has(CLONE_NNP) && has(CLONE_THREAD) {
        return fail(EINVAL, "CLONE_NNP with CLONE_THREAD");
    }
    if has(CLONE_PIDFD_AUTOKILL) {
        if !has(CLONE_PIDFD) {
            return fail(EINVAL, "CLONE_PIDFD_AUTOKILL without CLONE_PIDFD");
        }
        if !has(CLONE_AUTOREAP) {
            return fail(EINVAL, "CLONE_PIDFD_AUTOKILL without CLONE_AUTOREAP");
        }
        if has(CLONE_THREAD) {
            return fail(EINVAL, "CLONE_PIDFD_AUTOKILL with CLONE_THREAD");
        }
        // ns_capable(current_user_ns(), CAP_SYS_ADMIN): the caller's own user namespace, so
        // a CLONE_NEWUSER in the same call does not help.
        if !has(CLONE_NNP) && !caller_has(case, CAP_SYS_ADMIN) {
            return fail(
                EPERM,
                "CLONE_PIDFD_AUTOKILL without CLONE_NNP or CAP_SYS_ADMIN",
            );
        }
    }
    Ok(())
}

fn copy_namespaces(case: &Case, k: &KernelArgs, env: &ModelEnv) -> Stage {
    let f = k.flags;
    if f & NS_FLAGS_NEEDING_ADMIN != 0 {
        // Checked against the new task's user namespace: a new one belongs to the caller.
        let admin = f & CLONE_NEWUSER != 0 || caller_has(case, CAP_SYS_ADMIN);
        if !admin {
            return fail(EPERM, "a new namespace without CAP_SYS_ADMIN");
        }
        if f & (CLONE_NEWIPC | CLONE_SYSVSEM) == CLONE_NEWIPC | CLONE_SYSVSEM {
            return fail(EINVAL, "CLONE_NEWIPC with CLONE_SYSVSEM");
        }
        // create_new_namespaces(): each copy_*_ns() stub refuses its flag when the
        // kernel was built without that namespace type.
        for (flag, name) in [
            (CLONE_NEWNS, "mnt"),
            (CLONE_NEWUTS, "uts"),
            (CLONE_NEWIPC, "ipc"),
            (CLONE_NEWPID, "pid"),
            (CLONE_NEWCGROUP, "cgroup"),
            (CLONE_NEWNET, "net"),
            (CLONE_NEWTIME, "time"),
        ] {
            if f & flag != 0 && !env.has_namespace(name) {
                return fail(EINVAL, format!("the kernel has no {name} namespaces"));
            }
        }
        if f & CLONE_NEWPID != 0 {
            if case.unshares_pid_ns() {
                return fail(
                    EINVAL,
                    "CLONE_NEWPID after unshare(CLONE_NEWPID) (copy_pid_ns)",
                );
            }
            let layout = pid_ns_layout(case, k, env);
            if layout.child_level > super::MAX_PID_NS_LEVEL {
                return fail(ENOSPC, "pid namespace nesting beyond MAX_PID_NS_LEVEL");
            }
        }
    }
    Ok(())
}

fn copy_thread(k: &KernelArgs, env: &ModelEnv) -> Stage {
    if k.flags & CLONE_SETTLS == 0 {
        return Ok(());
    }
    if env.arch.abi().tls_argument == TlsArgument::UserDesc {
        // do_set_thread_area(p, -1, utls, 0): the descriptor is read first, then its
        // entry_number must be a GDT TLS slot. Only the TLS area holds one (the payload
        // writes it there); a slot holds zeros, entry 0.
        return match k.tls {
            Ptr::TlsArea(_) => Ok(()),
            Ptr::Slot(_) | Ptr::ReadOnly => fail(
                EINVAL,
                "CLONE_SETTLS user_desc with entry_number 0, not a TLS slot (do_set_thread_area)",
            ),
            Ptr::Null | Ptr::Unmapped | Ptr::Literal(_) | Ptr::SlotPlus4G(_) => fail(
                EFAULT,
                "CLONE_SETTLS user_desc unreadable (do_set_thread_area copy_from_user)",
            ),
        };
    }
    if let (Some(limit), Ptr::Literal(tls)) = (env.arch.abi().settls_limit, k.tls) {
        if tls >= limit {
            return fail(
                EPERM,
                "CLONE_SETTLS value >= TASK_SIZE_MAX (x86_64 ARCH_SET_FS)",
            );
        }
    }
    Ok(())
}

/// `alloc_pid(pid_ns_for_children, set_tid, set_tid_size)`.
fn alloc_pid(case: &Case, k: &KernelArgs, env: &ModelEnv) -> Stage {
    if k.set_tid.is_empty() {
        return Ok(());
    }
    let layout = pid_ns_layout(case, k, env);
    if k.set_tid.len() as u64 > u64::from(layout.child_level) + 1 {
        return fail(EINVAL, "set_tid_size > the child's pid namespace level + 1");
    }
    let level_of = |i: usize| layout.child_level - i as u32;
    let has_reaper = |level: u32| !(level == layout.child_level && layout.child_ns_without_reaper);
    // A caller in user namespaces of its own has no capability over the pid namespaces its
    // setup did not create below them: the payload's and those above it belong to an
    // ancestor user namespace (cap_capable() refuses a namespace at or above the caller's
    // level). The ones the setup nests afterwards, and a new one, belong to the caller's.
    let owned_by_caller = |level: u32| level > env.payload_level || case.nested_user_levels() == 0;
    let may_choose = |level: u32| {
        (level == layout.child_level && layout.child_ns_owned_by_new_userns)
            || (owned_by_caller(level) && may_choose_pids(case, env))
    };
    // pid 1 is taken in every namespace that has an init; the cases choose other pids
    // far from the allocator's cursor, so nothing else is in use.
    let in_use = |level: u32, tid: i64| tid == 1 && has_reaper(level);
    // Each level's own pid_max (gates::PER_NS_PID_MAX): a namespace below the payload's was
    // created by the case with PID_MAX_LIMIT; the payload's own (and, unknown to the model,
    // any above it) has the pid_max the payload read. Before, one global pid_max.
    let per_ns = gates::PER_NS_PID_MAX.present(env);
    let pid_max = |level: u32| {
        if per_ns && level > env.payload_level {
            PID_MAX_LIMIT
        } else {
            env.pid_max
        }
    };
    let range_ok = |level: u32, tid: i64| tid >= 1 && tid < pid_max(level);

    if gates::ALLOC_PID_TWO_PASS.present(env) {
        for (i, &tid) in k.set_tid.iter().enumerate() {
            if !range_ok(level_of(i), tid) {
                return fail(EINVAL, format!("set_tid[{i}] outside [1, pid_max)"));
            }
            if !may_choose(level_of(i)) {
                return fail(
                    EPERM,
                    format!(
                        "set_tid[{i}] without CAP_CHECKPOINT_RESTORE/CAP_SYS_ADMIN over that level"
                    ),
                );
            }
        }
        for (i, &tid) in k.set_tid.iter().enumerate() {
            if in_use(level_of(i), tid) {
                return fail(EEXIST, format!("set_tid[{i}] is in use"));
            }
            if tid != 1 && !has_reaper(level_of(i)) {
                return fail(
                    EINVAL,
                    format!("set_tid[{i}] != 1 in a pid namespace without init"),
                );
            }
        }
        return Ok(());
    }
    for (i, &tid) in k.set_tid.iter().enumerate() {
        let level = level_of(i);
        if !range_ok(level, tid) {
            return fail(EINVAL, format!("set_tid[{i}] outside [1, pid_max)"));
        }
        if tid != 1 && !has_reaper(level) {
            return fail(
                EINVAL,
                format!("set_tid[{i}] != 1 in a pid namespace without init"),
            );
        }
        if !may_choose(level) {
            return fail(
                EPERM,
                format!(
                    "set_tid[{i}] without CAP_CHECKPOINT_RESTORE/CAP_SYS_ADMIN over that level"
                ),
            );
        }
        if in_use(level, tid) {
            return fail(EEXIST, format!("set_tid[{i}] is in use"));
        }
    }
    Ok(())
}

/// `cgroup_css_set_fork()`: the descriptor must name an open cgroup2 directory. Then
/// `cgroup_attach_permissions(..., threadgroup = !CLONE_THREAD)` (6.1 and 7.3 source): a
/// thread may only start in a cgroup of its group's domain, and the case's own cgroup is a
/// domain of its own, so a CLONE_THREAD into it is EOPNOTSUPP.
fn cgroup_can_fork(k: &KernelArgs) -> Stage {
    match k.cgroup {
        // fget_raw() takes an O_PATH descriptor (its comment: "This can even be an O_PATH
        // file descriptor"); css_tryget_online_from_dir() wants a kernfs directory, so
        // cgroup.procs is EBADF, and a closed descriptor is EBADF at fget_raw().
        CgroupSpec::Created | CgroupSpec::CreatedPath if k.flags & CLONE_THREAD != 0 => {
            fail(EOPNOTSUPP, "CLONE_THREAD into a cgroup of another domain")
        }
        CgroupSpec::Created | CgroupSpec::CreatedPath => Ok(()),
        // cgroup_get_from_file(): a directory of a v1 hierarchy passes
        // css_tryget_online_from_dir() (it takes both file system types) and is refused as not
        // on the default hierarchy (6.1 and 7.3 kernel/cgroup/cgroup.c).
        CgroupSpec::V1Root => fail(EBADF, "cgroup is a cgroup v1 directory, not on cgroup2"),
        CgroupSpec::Fd(_)
        | CgroupSpec::NonCgroupDir
        | CgroupSpec::CreatedProcsFile
        | CgroupSpec::CreatedClosed => fail(EBADF, "cgroup is not an open cgroup2 directory"),
    }
}
