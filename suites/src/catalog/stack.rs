//! stack/stack_size validation and where the child's SP ends up.

use super::{case, STACK_LEN};
use crate::case::{Case, Concern::Stack, StackSpec};
use crate::flags::{CLONE_VFORK, CLONE_VM};

pub(super) fn cases() -> Vec<Case> {
    let region = StackSpec::Region {
        len: STACK_LEN,
        offset: 0,
    };
    let top = u64::from(STACK_LEN);
    vec![
        case(Stack, "size_without_stack", "stack 0 with stack_size 4")
            .origin("LTP clone302")
            .clone3(|c| {
                c.stack_size = 4;
            }),
        case(Stack, "stack_without_size", "a stack with stack_size 0")
            .origin("LTP clone302")
            .clone3(|c| {
                c.stack = region;
            }),
        case(
            Stack,
            "wraps_address_space",
            "stack + stack_size overflows (access_ok)",
        )
        .clone3(|c| {
            c.stack = StackSpec::Literal(u64::MAX - 0xfff);
            c.stack_size = 0x2000;
        }),
        case(
            Stack,
            "read_only",
            "a stack on a read-only page: the call succeeds and the child faults on its first push",
        )
        .clone3(|c| {
            c.stack = StackSpec::ReadOnly { offset: 0 };
            c.stack_size = 0x1000;
        }),
        case(
            Stack,
            "above_user_space",
            "stack + stack_size does not wrap but lies above every user address (access_ok)",
        )
        .clone3(|c| {
            c.stack = StackSpec::Literal(0xffff_ffff_ffff_0000);
            c.stack_size = 0x1000;
        }),
        case(
            Stack,
            "sp_is_top.vm",
            "CLONE_VM child: SP = stack + stack_size",
        )
        .clone3(|c| {
            c.flags = CLONE_VM;
            c.stack = region;
            c.stack_size = top;
        }),
        case(
            Stack,
            "sp_is_top.fork",
            "fork-like child on its own stack: SP = stack + stack_size",
        )
        .clone3(|c| {
            c.stack = region;
            c.stack_size = top;
        }),
        case(
            Stack,
            "sp_not_rounded.minus_8",
            "a top 8 bytes below alignment is used as is",
        )
        .clone3(|c| {
            c.flags = CLONE_VM;
            c.stack = region;
            c.stack_size = top - 8;
        }),
        case(
            Stack,
            "sp_not_rounded.minus_4",
            "a top 4 bytes below alignment is used as is",
        )
        .clone3(|c| {
            c.flags = CLONE_VM;
            c.stack = region;
            c.stack_size = top - 4;
        }),
        case(Stack, "sp_small_stack", "a 4 KiB stack inside the region").clone3(|c| {
            c.flags = CLONE_VM;
            c.stack = region;
            c.stack_size = 4096;
        }),
        case(
            Stack,
            "vfork_vm_own_stack",
            "CLONE_VM|CLONE_VFORK child on its own stack",
        )
        .clone3(|c| {
            c.flags = CLONE_VM | CLONE_VFORK;
            c.stack = region;
            c.stack_size = top;
        }),
    ]
}
