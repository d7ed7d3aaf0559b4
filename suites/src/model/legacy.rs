//! Legacy clone(): `SYSCALL_DEFINE5(clone, ...)` builds kernel_clone_args from registers.

use super::args::KernelArgs;
use super::{gates, ModelEnv};
use crate::case::{CgroupSpec, LegacyCall};
use crate::flags::CSIGNAL;

pub(crate) fn legacy_entry(call: &LegacyCall, env: &ModelEnv) -> KernelArgs {
    // Since 5.7 and 5.6.14 ("fork: prevent accidental access to clone3 features") only the
    // low 32 bits count. Before, the upper bits reached copy_process(), where only
    // CLONE_CLEAR_SIGHAND (5.5, 5.6) meant anything: bit 33 is ignored on 5.3-5.6.
    let raw = if gates::LEGACY_LOWER_32_BITS.present(env) {
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
