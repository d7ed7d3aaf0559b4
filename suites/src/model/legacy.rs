//! Legacy clone(): `SYSCALL_DEFINE5(clone, ...)` builds kernel_clone_args from registers.

use super::args::{pidfd_parent_tid_distinct, KernelArgs};
use super::{gates, ModelEnv, Stage};
use crate::case::{CgroupSpec, LegacyCall};
use crate::flags::CSIGNAL;

pub(crate) fn legacy_entry(call: &LegacyCall, env: &ModelEnv) -> KernelArgs {
    // Since 5.7 ("fork: prevent accidental access to clone3 features") only the low 32 bits
    // count; before, no flag above bit 31 existed that legacy clone could reach except
    // CLONE_CLEAR_SIGHAND on 5.5/5.6, which no legacy case sets.
    let raw = if gates::INTO_CGROUP.present_in(env.kernel) {
        call.flags & 0xffff_ffff
    } else {
        call.flags
    };
    KernelArgs {
        flags: raw & !CSIGNAL,
        exit_signal: raw & CSIGNAL,
        // Legacy clone returns the pidfd through the parent_tid argument.
        pidfd: call.parent_tid,
        child_tid: call.child_tid,
        parent_tid: call.parent_tid,
        stack: call.stack,
        stack_size: 0,
        tls: call.tls,
        set_tid: Vec::new(),
        cgroup: CgroupSpec::Fd(0),
        legacy: true,
    }
}

pub(crate) fn kernel_clone_checks(k: &KernelArgs) -> Stage {
    pidfd_parent_tid_distinct(k)
}
