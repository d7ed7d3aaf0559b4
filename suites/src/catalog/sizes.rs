//! The `size` argument and the struct's extensibility (copy_struct_from_user).

use super::case;
use crate::case::{Case, Concern::Sizes, Placement, SizeArg};
use crate::flags::{CLONE_NEWPID, SIGCHLD};

pub(super) fn cases() -> Vec<Case> {
    let bytes = |n: u64| SizeArg::Literal(n);
    vec![
        case(Sizes, "zero", "size 0 is below VER0")
            .origin("LTP clone302")
            .clone3(|c| c.size = bytes(0)),
        case(Sizes, "below_ver0_56", "VER0 - 8")
            .origin("selftests clone3.c #4")
            .clone3(|c| c.size = bytes(56)),
        case(Sizes, "below_ver0_63", "VER0 - 1")
            .origin("LTP clone302")
            .clone3(|c| c.size = bytes(63)),
        case(Sizes, "ver0", "CLONE_ARGS_SIZE_VER0 (64)")
            .origin("selftests clone3.c #3")
            .clone3(|c| c.size = bytes(64)),
        case(Sizes, "ver0_plus_4", "a size inside the set_tid member")
            .clone3(|c| c.size = bytes(68)),
        case(Sizes, "ver1", "CLONE_ARGS_SIZE_VER1 (80)").clone3(|c| c.size = bytes(80)),
        case(Sizes, "ver2", "CLONE_ARGS_SIZE_VER2 (88)")
            .origin("selftests clone3.c #1")
            .clone3(|c| c.size = bytes(88)),
        case(
            Sizes,
            "ver2_plus_8.zero_tail",
            "a larger struct with a zero tail is accepted",
        )
        .origin("selftests clone3.c #5")
        .clone3(|c| c.size = bytes(96)),
        case(
            Sizes,
            "ver2_plus_8.all_zero",
            "all-zero args with a zero tail (exit_signal 0)",
        )
        .origin("selftests clone3.c #10")
        .clone3(|c| {
            c.size = bytes(96);
            c.exit_signal = 0;
        }),
        case(
            Sizes,
            "ver2_plus_8.nonzero_tail",
            "a non-zero byte past the known struct is E2BIG",
        )
        .clone3(|c| {
            c.size = bytes(96);
            c.tail = Some((88, 1));
        }),
        case(
            Sizes,
            "ver2_plus_16.nonzero_tail",
            "two extra u64s, the second non-zero",
        )
        .origin("selftests clone3.c #11")
        .clone3(|c| {
            c.size = bytes(104);
            c.exit_signal = 0;
            c.tail = Some((96, 1));
        }),
        case(
            Sizes,
            "ver2_times_2.nonzero_tail",
            "twice the struct with a non-zero last word",
        )
        .origin("selftests clone3.c #12")
        .clone3(|c| {
            c.size = bytes(176);
            c.tail = Some((168, 1));
        }),
        case(
            Sizes,
            "ver1_with_cgroup_member",
            "a non-zero cgroup member without CLONE_INTO_CGROUP",
        )
        .clone3(|c| c.cgroup = crate::case::CgroupSpec::Fd(7)),
        case(Sizes, "page", "exactly PAGE_SIZE with a zero tail")
            .clone3(|c| c.size = SizeArg::PageSizePlus(0)),
        case(Sizes, "page_plus_8", "more than PAGE_SIZE is E2BIG")
            .origin("selftests clone3.c #13")
            .clone3(|c| c.size = SizeArg::PageSizePlus(8)),
        case(
            Sizes,
            "tail_into_unmapped_page",
            "the tail scan faults on an unmapped page",
        )
        .origin("LTP clone302")
        .clone3(|c| {
            c.size = bytes(89);
            c.args_at = Placement::GuardAfter { mapped: 88 };
        }),
        case(
            Sizes,
            "nonzero_tail_before_unmapped_page",
            "a non-zero tail word before an unmapped one: the scan stops at it (E2BIG)",
        )
        .clone3(|c| {
            c.size = bytes(104);
            c.tail = Some((88, 1));
            c.args_at = Placement::GuardAfter { mapped: 96 };
        }),
        case(
            Sizes,
            "struct_into_unmapped_page",
            "the struct itself crosses into an unmapped page",
        )
        .clone3(|c| {
            c.size = bytes(88);
            c.args_at = Placement::GuardAfter { mapped: 80 };
        }),
        case(Sizes, "args_null", "NULL args")
            .origin("LTP clone302")
            .clone3(|c| c.args_at = Placement::Null),
        case(Sizes, "args_unmapped", "args on an unmapped page")
            .clone3(|c| c.args_at = Placement::Unmapped),
        case(
            Sizes,
            "args_null.huge_size",
            "E2BIG wins over a NULL pointer",
        )
        .clone3(|c| {
            c.args_at = Placement::Null;
            c.size = bytes(1 << 20);
        }),
        case(
            Sizes,
            "args_null.size_zero",
            "EINVAL for the size wins over a NULL pointer",
        )
        .clone3(|c| {
            c.args_at = Placement::Null;
            c.size = bytes(0);
        }),
        case(Sizes, "newpid.ver0", "VER0 in a new pid namespace")
            .origin("selftests clone3.c #14")
            .clone3(|c| {
                c.flags = CLONE_NEWPID;
                c.size = bytes(64);
            }),
        case(
            Sizes,
            "newpid.below_ver0",
            "VER0 - 8 in a new pid namespace",
        )
        .origin("selftests clone3.c #15")
        .clone3(|c| {
            c.flags = CLONE_NEWPID;
            c.size = bytes(56);
        }),
        case(
            Sizes,
            "newpid.ver2_plus_8",
            "a zero tail in a new pid namespace",
        )
        .origin("selftests clone3.c #16")
        .clone3(|c| {
            c.flags = CLONE_NEWPID;
            c.size = bytes(96);
        }),
        case(
            Sizes,
            "newpid.page_plus_8",
            "more than PAGE_SIZE in a new pid namespace",
        )
        .origin("selftests clone3.c #17")
        .clone3(|c| {
            c.flags = CLONE_NEWPID;
            c.size = SizeArg::PageSizePlus(8);
            c.exit_signal = SIGCHLD;
        }),
    ]
}
