//! What the kernel writes back: parent_tid, child_tid (set and cleared), the pidfd, TLS.

use super::{case, own_stack};
use crate::case::{Case, Concern::Outputs, Ptr, SlotKind};
use crate::flags::*;

pub(super) fn cases() -> Vec<Case> {
    let pidfd = Ptr::Slot(SlotKind::Pidfd);
    let ptid = Ptr::Slot(SlotKind::ParentTid);
    let ctid = Ptr::Slot(SlotKind::ChildTid);
    vec![
        case(
            Outputs,
            "parent_settid",
            "CLONE_PARENT_SETTID stores the child's pid for the parent",
        )
        .clone3(|c| {
            c.flags = CLONE_PARENT_SETTID;
            c.parent_tid = ptid;
        }),
        case(
            Outputs,
            "parent_settid.newpid",
            "parent_tid holds the pid in the parent's namespace",
        )
        .clone3(|c| {
            c.flags = CLONE_PARENT_SETTID | CLONE_NEWPID;
            c.parent_tid = ptid;
        }),
        case(
            Outputs,
            "parent_settid.bad_pointer",
            "a bad parent_tid is ignored after the point of no return",
        )
        .clone3(|c| {
            c.flags = CLONE_PARENT_SETTID;
            c.parent_tid = Ptr::Unmapped;
        }),
        case(
            Outputs,
            "parent_tid_without_flag",
            "parent_tid is not written without the flag",
        )
        .clone3(|c| {
            c.parent_tid = ptid;
        }),
        case(
            Outputs,
            "child_settid",
            "CLONE_CHILD_SETTID stores the child's own pid",
        )
        .clone3(|c| {
            c.flags = CLONE_CHILD_SETTID;
            c.child_tid = ctid;
        }),
        case(
            Outputs,
            "child_settid.newpid",
            "child_tid holds the pid in the child's own namespace",
        )
        .clone3(|c| {
            c.flags = CLONE_CHILD_SETTID | CLONE_NEWPID;
            c.child_tid = ctid;
        }),
        case(
            Outputs,
            "child_settid.bad_pointer",
            "a bad child_tid does not fail the call",
        )
        .clone3(|c| {
            c.flags = CLONE_CHILD_SETTID;
            c.child_tid = Ptr::Unmapped;
        }),
        case(
            Outputs,
            "child_cleartid.futex_wake",
            "CHILD_CLEARTID in a CLONE_VM child clears child_tid and wakes a futex waiter",
        )
        .behavior(|b| {
            // The child waits until the helper sleeps in FUTEX_WAIT, so the wake is
            // observed, not raced.
            b.cleartid_waiter = true;
            b.child_holds = true;
        })
        .clone3(|c| {
            c.flags = CLONE_VM | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
            c.child_tid = ctid;
            own_stack(c);
        }),
        case(
            Outputs,
            "child_cleartid.vm_only",
            "CHILD_CLEARTID alone in a CLONE_VM child clears the word at exit",
        )
        .clone3(|c| {
            c.flags = CLONE_VM | CLONE_CHILD_CLEARTID;
            c.child_tid = ctid;
            own_stack(c);
        }),
        case(
            Outputs,
            "child_cleartid.own_mm",
            "a child with its own mm exits without clearing child_tid or waking anyone",
        )
        .clone3(|c| {
            c.flags = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
            c.child_tid = ctid;
        }),
        case(Outputs, "pidfd", "CLONE_PIDFD stores a descriptor").clone3(|c| {
            c.flags = CLONE_PIDFD;
            c.pidfd = pidfd;
        }),
        case(
            Outputs,
            "pidfd.signal",
            "a signal sent through the pidfd reaches the child with its value",
        )
        .origin("LTP clone301")
        .behavior(|b| b.pidfd_signal = true)
        .clone3(|c| {
            c.flags = CLONE_PIDFD | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID;
            c.pidfd = pidfd;
            c.parent_tid = ptid;
            c.child_tid = ctid;
        }),
        case(
            Outputs,
            "pidfd.bad_pointer",
            "a pidfd pointer into an unmapped page is EFAULT",
        )
        .origin("LTP clone302")
        .clone3(|c| {
            c.flags = CLONE_PIDFD;
            c.pidfd = Ptr::Unmapped;
        }),
        case(
            Outputs,
            "pidfd.read_only",
            "a pidfd pointer into a read-only page is EFAULT",
        )
        .clone3(|c| {
            c.flags = CLONE_PIDFD;
            c.pidfd = Ptr::ReadOnly;
        }),
        case(
            Outputs,
            "parent_settid.read_only",
            "a parent_tid in a read-only page is ignored, as a bad pointer is",
        )
        .clone3(|c| {
            c.flags = CLONE_PARENT_SETTID;
            c.parent_tid = Ptr::ReadOnly;
        }),
        case(
            Outputs,
            "child_settid.read_only",
            "a child_tid in a read-only page does not fail the call",
        )
        .clone3(|c| {
            c.flags = CLONE_CHILD_SETTID;
            c.child_tid = Ptr::ReadOnly;
        }),
        case(Outputs, "pidfd.null", "a NULL pidfd pointer is EFAULT")
            .clone3(|c| c.flags = CLONE_PIDFD),
        case(
            Outputs,
            "settls.area",
            "CLONE_SETTLS loads the TLS register",
        )
        .clone3(|c| {
            c.flags = CLONE_SETTLS;
            c.tls = Ptr::TlsArea(0x100);
            own_stack(c);
        }),
        case(Outputs, "settls.vm", "CLONE_SETTLS in a CLONE_VM child").clone3(|c| {
            c.flags = CLONE_SETTLS | CLONE_VM;
            c.tls = Ptr::TlsArea(0x200);
            own_stack(c);
        }),
        case(
            Outputs,
            "settls.kernel_address",
            "a TLS value in the kernel half (x86_64 refuses it)",
        )
        .clone3(|c| {
            c.flags = CLONE_SETTLS;
            c.tls = Ptr::Literal(0xffff_8000_0000_0000);
            own_stack(c);
        }),
    ]
}
