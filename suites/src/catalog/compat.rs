//! Pointers and stacks at and above 4 GiB, the edge of a 32-bit address space.
//!
//! clone3 has no compat entry: the compat syscall tables of x86_64 (i386, x32), arm64 and
//! powerpc64 call the native `sys_clone3`, and `copy_clone_args_from_user()` turns each u64
//! pointer member into a pointer with `u64_to_user_ptr()`, all 64 bits of it. A process with
//! 32-bit pointers maps nothing at or above 4 GiB, so a member whose low half is one of its
//! addresses and whose bit 32 is set names unmapped memory: the kernel must fault on it and
//! never reach the low address, which is what a cut to 32 bits would do. These cases pass
//! such pointers and look at the low address afterwards. The cases filed under `stack`
//! apply to every ABI; the others only mean something where pointers are 32 bits.
//!
//! The clone3 struct pointer itself is no u64: it is a syscall argument, and the 32-bit
//! entry paths zero-extend 32-bit registers (x86's ia32 syscall wrappers read `(u32)regs->bx`,
//! an AArch32 register has no upper half, ppc64 clears the upper halves of a 32-bit task's
//! argument registers in `system_call_exception()`); an x32 caller's 64-bit registers reach
//! `sys_clone3` unchanged, and the payload passes them as `long`, 32 bits there.

use super::set_tid::chosen;
use super::{case, own_stack, STACK_LEN};
use crate::case::{
    Case,
    Concern::{Outputs, SetTid, Stack},
    Ptr, SetTidSpec, SlotKind, StackSpec,
};
use crate::flags::*;

/// 4 GiB: bit 32, the first address a 32-bit pointer cannot hold.
const FOUR_GIB: u64 = 1 << 32;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            Outputs,
            "parent_settid.above_4g",
            "a parent_tid with bit 32 set is written nowhere: the call succeeds and the slot at its low half stays untouched",
        )
        .pointers32()
        .clone3(|c| {
            c.flags = CLONE_PARENT_SETTID;
            c.parent_tid = Ptr::SlotPlus4G(SlotKind::ParentTid);
        }),
        case(
            Outputs,
            "child_settid.above_4g",
            "a child_tid with bit 32 set is written nowhere: the child runs and the slot at its low half stays untouched",
        )
        .pointers32()
        .clone3(|c| {
            c.flags = CLONE_CHILD_SETTID;
            c.child_tid = Ptr::SlotPlus4G(SlotKind::ChildTid);
        }),
        case(
            Outputs,
            "child_cleartid.above_4g",
            "a CLONE_VM child's CHILD_CLEARTID with bit 32 set clears nothing at the low half",
        )
        .pointers32()
        .clone3(|c| {
            c.flags = CLONE_VM | CLONE_CHILD_CLEARTID;
            c.child_tid = Ptr::SlotPlus4G(SlotKind::ChildTid);
            own_stack(c);
        }),
        case(
            Outputs,
            "pidfd.above_4g",
            "a pidfd pointer with bit 32 set fails the call (copy_process's put_user is checked)",
        )
        .pointers32()
        .clone3(|c| {
            c.flags = CLONE_PIDFD;
            c.pidfd = Ptr::SlotPlus4G(SlotKind::Pidfd);
        }),
        case(
            SetTid,
            "pointer.above_4g",
            "a set_tid pointer with bit 32 set over a valid array faults (EFAULT), not read at its low half",
        )
        .pointers32()
        .clone3(|c| c.set_tid = SetTidSpec::PidsPlus4G(vec![chosen(0)])),
        case(
            SetTid,
            "pointer.across_4g",
            "a set_tid array in the last 4 bytes below 4 GiB, running past it, faults",
        )
        .pointers32()
        .clone3(|c| {
            c.set_tid = SetTidSpec::Literal {
                addr: FOUR_GIB - 4,
                size: 2,
            }
        }),
        case(
            Stack,
            "wraps_past_4g",
            "stack + stack_size past 4 GiB passes access_ok (64-bit TASK_SIZE_MAX, compat too); the child faults",
        )
        .clone3(|c| {
            c.stack = StackSpec::Literal(FOUR_GIB - 0x1000);
            c.stack_size = 0x2000;
        }),
        case(
            Stack,
            "region_above_4g",
            "a stack at the child's region plus 4 GiB: the SP keeps bit 32, which a 32-bit CPU mode ignores and long mode (x32) faults on",
        )
        .pointers32()
        .clone3(|c| {
            c.flags = CLONE_VM;
            c.stack = StackSpec::Region {
                len: STACK_LEN,
                offset: FOUR_GIB,
            };
            c.stack_size = u64::from(STACK_LEN);
        }),
        case(
            Stack,
            "sp_not_rounded.minus_2",
            "a top 2 bytes below every ABI's alignment (4 to 16 bytes) is used as is; the child aligns it",
        )
        .clone3(|c| {
            c.flags = CLONE_VM;
            c.stack = StackSpec::Region {
                len: STACK_LEN,
                offset: 0,
            };
            c.stack_size = u64::from(STACK_LEN) - 2;
        }),
    ]
}
