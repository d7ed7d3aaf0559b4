//! Every flag bit on its own, and the combinations the kernel rejects.

use super::{case, own_stack};
use crate::case::{Case, Concern::Flags, Ptr, SlotKind, Step};
use crate::flags::*;

fn bit_case(bit: u32) -> Case {
    let name = bit_name(bit).map_or_else(|| "unassigned".to_string(), |n| n.to_ascii_lowercase());
    let name = if bit < 8 && bit != 7 {
        format!("csignal_{name}")
    } else {
        name
    };
    let summary = format!("flags = 1 << {bit} alone, with its own stack and exit_signal SIGCHLD");
    let spec = case(Flags, &format!("bit.{bit:02}.{name}"), &summary);
    // A vfork child must not hold; every other child may run freely too. An autoreaped
    // child is not the caller's to wait for.
    let spec = spec.behavior(|b| b.follow_exit = 1u64 << bit == CLONE_AUTOREAP);
    spec.clone3(|c| {
        c.flags = 1u64 << bit;
        own_stack(c);
    })
}

pub(super) fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = (0..64).map(bit_case).collect();
    let thread = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    cases.extend([
        case(
            Flags,
            "combo.sighand_without_vm",
            "CLONE_SIGHAND needs CLONE_VM",
        )
        .origin("LTP clone302")
        .clone3(|c| c.flags = CLONE_SIGHAND),
        case(
            Flags,
            "combo.thread_without_sighand",
            "CLONE_THREAD needs CLONE_SIGHAND",
        )
        .origin("LTP clone302")
        .clone3(|c| {
            c.flags = CLONE_THREAD | CLONE_VM;
            c.exit_signal = 0;
            own_stack(c);
        }),
        case(Flags, "combo.newns_fs", "CLONE_NEWNS with CLONE_FS")
            .origin("LTP clone302")
            .clone3(|c| c.flags = CLONE_NEWNS | CLONE_FS),
        case(Flags, "combo.newuser_fs", "CLONE_NEWUSER with CLONE_FS")
            .clone3(|c| c.flags = CLONE_NEWUSER | CLONE_FS),
        case(
            Flags,
            "combo.thread_newpid",
            "CLONE_THREAD with CLONE_NEWPID",
        )
        .clone3(|c| {
            c.flags = thread | CLONE_NEWPID;
            c.exit_signal = 0;
            own_stack(c);
        }),
        case(
            Flags,
            "combo.thread_newuser",
            "CLONE_THREAD with CLONE_NEWUSER",
        )
        .clone3(|c| {
            c.flags = thread | CLONE_NEWUSER;
            c.exit_signal = 0;
            own_stack(c);
        }),
        case(
            Flags,
            "combo.thread_with_exit_signal",
            "CLONE_THREAD with an exit_signal",
        )
        .clone3(|c| {
            c.flags = thread;
            own_stack(c);
        }),
        case(
            Flags,
            "combo.thread_valid",
            "a real thread: THREAD|SIGHAND|VM on its own stack",
        )
        .behavior(|b| b.no_reap = true)
        .clone3(|c| {
            c.flags = thread;
            c.exit_signal = 0;
            own_stack(c);
        }),
        case(
            Flags,
            "combo.clear_sighand_sighand",
            "CLONE_CLEAR_SIGHAND with CLONE_SIGHAND",
        )
        .origin("selftests clone3_clear_sighand.c")
        .clone3(|c| {
            c.flags = CLONE_CLEAR_SIGHAND | CLONE_SIGHAND | CLONE_VM;
            own_stack(c);
        }),
        case(
            Flags,
            "combo.pidfd_detached",
            "CLONE_PIDFD with CLONE_DETACHED",
        )
        .clone3(|c| {
            c.flags = CLONE_PIDFD | CLONE_DETACHED;
            c.pidfd = Ptr::Slot(SlotKind::Pidfd);
        }),
        case(
            Flags,
            "combo.pidfd_thread",
            "CLONE_PIDFD with CLONE_THREAD (allowed from 6.9)",
        )
        .behavior(|b| b.no_reap = true)
        .clone3(|c| {
            c.flags = thread | CLONE_PIDFD;
            c.exit_signal = 0;
            c.pidfd = Ptr::Slot(SlotKind::Pidfd);
            own_stack(c);
        }),
        case(
            Flags,
            "combo.pidfd_parent_settid_same",
            "CLONE_PIDFD and CLONE_PARENT_SETTID on one address",
        )
        .clone3(|c| {
            c.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
            c.pidfd = Ptr::Slot(SlotKind::Pidfd);
            c.parent_tid = Ptr::Slot(SlotKind::Pidfd);
        }),
        case(
            Flags,
            "combo.pidfd_parent_settid_distinct",
            "CLONE_PIDFD and CLONE_PARENT_SETTID on two addresses",
        )
        .clone3(|c| {
            c.flags = CLONE_PIDFD | CLONE_PARENT_SETTID;
            c.pidfd = Ptr::Slot(SlotKind::Pidfd);
            c.parent_tid = Ptr::Slot(SlotKind::ParentTid);
        }),
        case(
            Flags,
            "combo.newipc_sysvsem",
            "CLONE_NEWIPC with CLONE_SYSVSEM",
        )
        .clone3(|c| c.flags = CLONE_NEWIPC | CLONE_SYSVSEM),
        case(
            Flags,
            "combo.parent_with_exit_signal",
            "CLONE_PARENT with an exit_signal",
        )
        .clone3(|c| c.flags = CLONE_PARENT),
        case(
            Flags,
            "combo.parent_valid",
            "CLONE_PARENT with exit_signal 0: a sibling of the caller",
        )
        .behavior(|b| b.no_reap = true)
        .clone3(|c| {
            c.flags = CLONE_PARENT;
            c.exit_signal = 0;
        }),
        case(
            Flags,
            "combo.parent_from_ns_init",
            "CLONE_PARENT from a pid namespace init",
        )
        .step(Step::NestPidNs { levels: 1 })
        .clone3(|c| {
            c.flags = CLONE_PARENT;
            c.exit_signal = 0;
        }),
        case(
            Flags,
            "combo.thread_after_unshare_newpid",
            "CLONE_THREAD after unshare(CLONE_NEWPID)",
        )
        .step(Step::UnsharePidNs)
        .clone3(|c| {
            c.flags = thread;
            c.exit_signal = 0;
            own_stack(c);
        }),
        case(
            Flags,
            "combo.newpid_after_unshare_newpid",
            "CLONE_NEWPID after unshare(CLONE_NEWPID)",
        )
        .step(Step::UnsharePidNs)
        .clone3(|c| c.flags = CLONE_NEWPID),
        case(
            Flags,
            "combo.vfork_vm",
            "CLONE_VFORK|CLONE_VM on the child's own stack",
        )
        .clone3(|c| {
            c.flags = CLONE_VFORK | CLONE_VM;
            own_stack(c);
        }),
        case(
            Flags,
            "combo.all_namespaces",
            "every namespace flag at once",
        )
        .clone3(|c| {
            c.flags = CLONE_NEWNS
                | CLONE_NEWUTS
                | CLONE_NEWIPC
                | CLONE_NEWUSER
                | CLONE_NEWPID
                | CLONE_NEWNET
                | CLONE_NEWCGROUP;
        }),
        case(
            Flags,
            "combo.sigchld_in_flags",
            "the exit signal in flags, clone()-style",
        )
        .origin("selftests clone3.c #19")
        .clone3(|c| c.flags = SIGCHLD),
        case(
            Flags,
            "newtime",
            "CLONE_NEWTIME through clone3 (accepted since 6.3 and stable)",
        )
        .origin("selftests clone3.c #18")
        .clone3(|c| c.flags = CLONE_NEWTIME),
    ]);
    cases
}
