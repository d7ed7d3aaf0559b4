//! Pid vectors: set_tid/set_tid_size in nested pid namespaces (kernel/pid.c alloc_pid).
//!
//! Chosen pids sit just below pid_max, far from the allocator's cursor, so they are free
//! unless a case takes pid 1 on purpose. No case names a pid outside the payload's own pid
//! namespace unless an inner level makes the call fail first.

use super::case;
use crate::case::{Case, Concern::SetTid, PidValue, SetTidSpec, Step};
use crate::flags::{CLONE_NEWPID, CLONE_NEWUSER};

/// The pid a case chooses for the level `from_outer` levels below the payload's.
pub(crate) fn chosen(from_outer: u32) -> PidValue {
    PidValue::PidMaxMinus(100 + 3 * from_outer as i32)
}

/// A pid vector for a child `depth` levels deep, innermost first.
fn vector(depth: u32) -> Vec<PidValue> {
    (0..depth).rev().map(chosen).collect()
}

fn depth_case(depth: u32) -> Case {
    case(
        SetTid,
        &format!("depth.{depth:02}"),
        &format!("a pid chosen in each of {depth} nested pid namespaces"),
    )
    .step(Step::NestPidNs { levels: depth - 1 })
    .clone3(|c| c.set_tid = SetTidSpec::Pids(vector(depth)))
}

fn newpid_depth_case(depth: u32) -> Case {
    let mut pids = vec![PidValue::Literal(1)];
    pids.extend(vector(depth - 1));
    case(
        SetTid,
        &format!("newpid.depth.{depth:02}"),
        &format!(
            "CLONE_NEWPID with pid 1 and {} chosen outer pids",
            depth - 1
        ),
    )
    .step(Step::NestPidNs { levels: depth - 2 })
    .clone3(|c| {
        c.flags = CLONE_NEWPID;
        c.set_tid = SetTidSpec::Pids(pids);
    })
}

pub(super) fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = (1..=32).map(depth_case).collect();
    cases.extend([2, 3, 8, 32].map(newpid_depth_case));
    for (name, value) in [("zero", 0), ("minus1", -1)] {
        for len in [33u32, 64, 65, 1344, 31] {
            let origin = if value == 0 {
                "selftests clone3_set_tid.c #1-5"
            } else {
                "selftests clone3_set_tid.c #6-10"
            };
            cases.push(
                case(
                    SetTid,
                    &format!("array.{name}.size_{len}"),
                    &format!("{len} entries of {value}"),
                )
                .origin(origin)
                .clone3(|c| c.set_tid = SetTidSpec::Filled { value, len }),
            );
        }
    }
    let pids = |v: Vec<PidValue>| SetTidSpec::Pids(v);
    let lit = PidValue::Literal;
    cases.extend([
        case(SetTid, "value.zero", "pid 0")
            .origin("selftests clone3_set_tid.c #11")
            .clone3(|c| c.set_tid = pids(vec![lit(0)])),
        case(SetTid, "value.minus1", "pid -1")
            .origin("selftests clone3_set_tid.c #12")
            .clone3(|c| c.set_tid = pids(vec![lit(-1)])),
        case(SetTid, "value.minus1_then_zero", "{-1, 0}")
            .origin("selftests clone3_set_tid.c #13")
            .clone3(|c| c.set_tid = pids(vec![lit(-1), lit(0)])),
        case(SetTid, "value.pid_max", "pid_max itself")
            .origin("selftests clone3_set_tid.c #17")
            .clone3(|c| c.set_tid = pids(vec![PidValue::PidMaxMinus(0)])),
        case(
            SetTid,
            "value.pid_max_minus_1",
            "pid_max - 1, the highest pid",
        )
        .clone3(|c| c.set_tid = pids(vec![PidValue::PidMaxMinus(1)])),
        case(
            SetTid,
            "value.in_use",
            "pid 1 is taken by the namespace's init",
        )
        .origin("selftests clone3_set_tid.c #15")
        .clone3(|c| c.set_tid = pids(vec![lit(1)])),
        case(
            SetTid,
            "nested.payload_pid_max",
            "the payload's pid_max in a nested namespace: EINVAL against one global pid_max, \
             granted where the nested namespace has its own (PID_MAX_LIMIT)",
        )
        .step(Step::NestPidNs { levels: 1 })
        .clone3(|c| c.set_tid = pids(vec![PidValue::PidMaxMinus(0)])),
        case(
            SetTid,
            "order.in_use_inner.bad_outer",
            "pid 1 (in use) at the inner level, pid_max at the outer: EEXIST level by level, \
             EINVAL when every range is checked before any allocation",
        )
        .step(Step::NestPidNs { levels: 1 })
        .clone3(|c| c.set_tid = pids(vec![lit(1), PidValue::PidMaxMinus(0)])),
        case(SetTid, "value.free_pid", "a free pid is granted")
            .origin("selftests clone3_set_tid.c #19")
            .clone3(|c| c.set_tid = pids(vec![chosen(0)])),
        case(SetTid, "newpid.minus1", "{-1} with CLONE_NEWPID")
            .origin("selftests clone3_set_tid.c #14")
            .clone3(|c| {
                c.flags = CLONE_NEWPID;
                c.set_tid = pids(vec![lit(-1)]);
            }),
        case(
            SetTid,
            "newpid.one",
            "{1} with CLONE_NEWPID: the child is the new init",
        )
        .origin("selftests clone3_set_tid.c #16")
        .clone3(|c| {
            c.flags = CLONE_NEWPID;
            c.set_tid = pids(vec![lit(1)]);
        }),
        case(SetTid, "newpid.pid_max", "{pid_max} with CLONE_NEWPID")
            .origin("selftests clone3_set_tid.c #18")
            .clone3(|c| {
                c.flags = CLONE_NEWPID;
                c.set_tid = pids(vec![PidValue::PidMaxMinus(0)]);
            }),
        case(
            SetTid,
            "newpid.not_one",
            "a new pid namespace must start with pid 1",
        )
        .origin("selftests clone3_set_tid.c #20")
        .clone3(|c| {
            c.flags = CLONE_NEWPID;
            c.set_tid = pids(vec![chosen(0)]);
        }),
        case(SetTid, "newpid.one_and_outer", "{1, pid} with CLONE_NEWPID")
            .origin("selftests clone3_set_tid.c #21")
            .clone3(|c| {
                c.flags = CLONE_NEWPID;
                c.set_tid = pids(vec![lit(1), chosen(0)]);
            }),
        case(
            SetTid,
            "unshared.no_reaper",
            "after unshare(CLONE_NEWPID) the first pid must be 1",
        )
        .origin("selftests clone3_set_tid.c #22")
        .step(Step::UnsharePidNs)
        .clone3(|c| c.set_tid = pids(vec![lit(50)])),
        case(
            SetTid,
            "unshared.first_is_one",
            "after unshare(CLONE_NEWPID) pid 1 may be chosen",
        )
        .step(Step::UnsharePidNs)
        .clone3(|c| c.set_tid = pids(vec![lit(1)])),
        case(
            SetTid,
            "nested.leak_check_minus1",
            "{43, -1} from inside a nested namespace",
        )
        .origin("selftests clone3_set_tid.c #23")
        .step(Step::NestPidNs { levels: 1 })
        .clone3(|c| c.set_tid = pids(vec![lit(43), lit(-1)])),
        case(
            SetTid,
            "nested.two_levels",
            "{43, pid} from inside a nested namespace",
        )
        .origin("selftests clone3_set_tid.c #24")
        .step(Step::NestPidNs { levels: 1 })
        .clone3(|c| c.set_tid = pids(vec![lit(43), chosen(0)])),
        case(
            SetTid,
            "nested.inner_only",
            "{2}: only the innermost level chosen",
        )
        .origin("selftests clone3_set_tid.c #25")
        .step(Step::NestPidNs { levels: 1 })
        .clone3(|c| c.set_tid = pids(vec![lit(2)])),
        case(
            SetTid,
            "nested.newpid_bad_middle",
            "{1, -1, pid} with CLONE_NEWPID",
        )
        .origin("selftests clone3_set_tid.c #26")
        .step(Step::NestPidNs { levels: 1 })
        .clone3(|c| {
            c.flags = CLONE_NEWPID;
            c.set_tid = pids(vec![lit(1), lit(-1), chosen(0)]);
        }),
        case(
            SetTid,
            "nested.newpid_three_levels",
            "{1, 42, pid} with CLONE_NEWPID, checked through NSpid",
        )
        .origin("selftests clone3_set_tid.c #28-29")
        .step(Step::NestPidNs { levels: 1 })
        .clone3(|c| {
            c.flags = CLONE_NEWPID;
            c.set_tid = pids(vec![lit(1), lit(42), chosen(0)]);
        }),
        case(
            SetTid,
            "nested.newpid_more_than_levels",
            "one more entry than the child has levels",
        )
        .origin("selftests clone3_set_tid.c #27")
        .step(Step::NestPidNs { levels: 1 })
        .clone3(|c| {
            c.flags = CLONE_NEWPID;
            // Innermost first: the new namespace, the nested one, the payload's, and one
            // beyond; the bad -1 for the payload's level guarantees the call fails before
            // any level outside the payload could be touched.
            c.set_tid = pids(vec![lit(1), lit(42), lit(-1), lit(-1), lit(-1), lit(-1)]);
        }),
        case(SetTid, "null_with_size", "set_tid NULL with set_tid_size 1")
            .clone3(|c| c.set_tid = SetTidSpec::Null { size: 1 }),
        case(
            SetTid,
            "unmapped_array",
            "set_tid pointing at an unmapped page",
        )
        .clone3(|c| c.set_tid = SetTidSpec::Unmapped { size: 1 }),
        case(
            SetTid,
            "size_ver0_ignores_set_tid",
            "a VER0 struct cannot carry set_tid",
        )
        .clone3(|c| {
            c.set_tid = pids(vec![lit(-1)]);
            c.size = crate::case::SizeArg::Literal(64);
        }),
        case(
            SetTid,
            "newuser_newpid.one",
            "a new user namespace may choose pid 1 in its own new pid namespace",
        )
        .clone3(|c| {
            c.flags = CLONE_NEWUSER | CLONE_NEWPID;
            c.set_tid = pids(vec![lit(1)]);
        }),
    ]);
    cases
}
