//! Legacy clone(): each arch's argument order (CLONE_BACKWARDS, CLONE_BACKWARDS2) decides
//! where parent_tid, child_tid and tls land.

use super::{case, STACK_LEN};
use crate::case::{Case, Concern::Legacy, LegacyCall, Ptr, SlotKind, StackSpec};
use crate::flags::*;

fn call(flags: u64) -> LegacyCall {
    LegacyCall {
        flags,
        stack: StackSpec::Region {
            len: STACK_LEN,
            offset: u64::from(STACK_LEN),
        },
        parent_tid: Ptr::Null,
        child_tid: Ptr::Null,
        tls: Ptr::Null,
    }
}

pub(super) fn cases() -> Vec<Case> {
    let ptid = Ptr::Slot(SlotKind::ParentTid);
    let ctid = Ptr::Slot(SlotKind::ChildTid);
    vec![
        case(Legacy, "fork_like", "clone(SIGCHLD) on a fresh stack").legacy(call(SIGCHLD)),
        case(
            Legacy,
            "order.tids_and_tls",
            "parent_tid, child_tid and tls land in their places",
        )
        .legacy(LegacyCall {
            parent_tid: ptid,
            child_tid: ctid,
            tls: Ptr::TlsArea(0x80),
            ..call(CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_SETTLS | SIGCHLD)
        }),
        case(Legacy, "order.parent_tid_only", "only parent_tid").legacy(LegacyCall {
            parent_tid: ptid,
            ..call(CLONE_PARENT_SETTID | SIGCHLD)
        }),
        case(Legacy, "order.child_tid_only", "only child_tid").legacy(LegacyCall {
            child_tid: ctid,
            ..call(CLONE_CHILD_SETTID | SIGCHLD)
        }),
        case(Legacy, "order.tls_only", "only tls").legacy(LegacyCall {
            tls: Ptr::TlsArea(0x40),
            ..call(CLONE_SETTLS | SIGCHLD)
        }),
        case(
            Legacy,
            "order.vm_tids_and_tls",
            "the same in a CLONE_VM child",
        )
        .legacy(LegacyCall {
            parent_tid: ptid,
            child_tid: ctid,
            tls: Ptr::TlsArea(0xc0),
            ..call(CLONE_VM | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_SETTLS | SIGCHLD)
        }),
        case(
            Legacy,
            "pidfd_in_parent_tid",
            "legacy CLONE_PIDFD returns the pidfd through parent_tid",
        )
        .legacy(LegacyCall {
            parent_tid: Ptr::Slot(SlotKind::Pidfd),
            ..call(CLONE_PIDFD | SIGCHLD)
        }),
        case(
            Legacy,
            "pidfd_with_parent_settid",
            "legacy CLONE_PIDFD with CLONE_PARENT_SETTID",
        )
        .legacy(LegacyCall {
            parent_tid: ptid,
            ..call(CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD)
        }),
        case(
            Legacy,
            "exit_signal_in_flags",
            "the low byte of flags is the exit signal",
        )
        .legacy(call(SIGUSR2)),
        case(
            Legacy,
            "upper_flag_bits_ignored",
            "bits above 31 are ignored (lower_32_bits since 5.7)",
        )
        .legacy(call(CLONE_INTO_CGROUP | SIGCHLD)),
        case(
            Legacy,
            "detached_ignored",
            "CLONE_DETACHED is ignored by legacy clone",
        )
        .legacy(call(CLONE_DETACHED | SIGCHLD)),
        case(
            Legacy,
            "sighand_without_vm",
            "CLONE_SIGHAND without CLONE_VM",
        )
        .legacy(call(CLONE_SIGHAND | SIGCHLD)),
        case(
            Legacy,
            "exit_signal_65",
            "an invalid exit signal in the low byte: unchecked (and never sent) until kernel_clone \
             tests valid_signal",
        )
        .legacy(call(65)),
        case(Legacy, "newuts", "a namespace flag through legacy clone")
            .legacy(call(CLONE_NEWUTS | SIGCHLD)),
    ]
}
