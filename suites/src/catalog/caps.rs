//! Capabilities: who may choose pids (CAP_SYS_ADMIN, CAP_CHECKPOINT_RESTORE from 5.9) and
//! create namespaces, judged against the user namespace owning each level.

use super::case;
use super::set_tid::chosen;
use crate::case::{Case, Concern::Caps, PidValue, SetTidSpec, Step};
use crate::flags::*;

const NO_CAPS: Step = Step::KeepCaps { caps: 0 };

pub(super) fn cases() -> Vec<Case> {
    let mut cases = vec![
        case(
            Caps,
            "set_tid.no_caps",
            "choosing a pid without CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE",
        )
        .origin("selftests clone3_cap_checkpoint_restore.c")
        .step(NO_CAPS)
        .clone3(|c| c.set_tid = SetTidSpec::Pids(vec![chosen(0)])),
        case(
            Caps,
            "set_tid.checkpoint_restore_only",
            "CAP_CHECKPOINT_RESTORE alone may choose pids (5.9+)",
        )
        .origin("selftests clone3_cap_checkpoint_restore.c")
        .step(Step::KeepCaps {
            caps: cap(CAP_CHECKPOINT_RESTORE),
        })
        .clone3(|c| c.set_tid = SetTidSpec::Pids(vec![chosen(0)])),
        case(
            Caps,
            "set_tid.sys_admin_only",
            "CAP_SYS_ADMIN alone may choose pids",
        )
        .step(Step::KeepCaps {
            caps: cap(CAP_SYS_ADMIN),
        })
        .clone3(|c| c.set_tid = SetTidSpec::Pids(vec![chosen(0)])),
        case(
            Caps,
            "set_tid.pid1_no_caps",
            "{1} without capabilities: EPERM comes before EEXIST",
        )
        .origin("LTP clone304")
        .step(NO_CAPS)
        .clone3(|c| c.set_tid = SetTidSpec::Pids(vec![PidValue::Literal(1)])),
        case(
            Caps,
            "set_tid.range_before_caps",
            "{-1} without capabilities: the range check comes first",
        )
        .step(NO_CAPS)
        .clone3(|c| c.set_tid = SetTidSpec::Pids(vec![PidValue::Literal(-1)])),
        case(
            Caps,
            "userns.own_pidns_pid1",
            "an unprivileged caller picks pid 1 in its own new user+pid namespace",
        )
        .step(NO_CAPS)
        .clone3(|c| {
            c.flags = CLONE_NEWUSER | CLONE_NEWPID;
            c.set_tid = SetTidSpec::Pids(vec![PidValue::Literal(1)]);
        }),
        case(
            Caps,
            "userns.outer_level_denied",
            "but not a pid in the outer namespace it does not own",
        )
        .step(NO_CAPS)
        .clone3(|c| {
            c.flags = CLONE_NEWUSER | CLONE_NEWPID;
            c.set_tid = SetTidSpec::Pids(vec![PidValue::Literal(1), chosen(0)]);
        }),
        case(
            Caps,
            "order.no_reaper_inner.no_caps_outer",
            "pid 5 in a new namespace without init, and a pid in the outer one the caller may not \
             choose: EINVAL level by level, EPERM when every capability is checked first",
        )
        .step(NO_CAPS)
        .clone3(|c| {
            c.flags = CLONE_NEWUSER | CLONE_NEWPID;
            c.set_tid = SetTidSpec::Pids(vec![PidValue::Literal(5), chosen(0)]);
        }),
        case(
            Caps,
            "userns.nested.outer_level_denied",
            "a caller in a user namespace of its own may choose its child's pid in the pid \
             namespace it made there, but not in the payload's, which an ancestor owns",
        )
        .step(Step::NestUserNs { levels: 1 })
        .step(Step::NestPidNs { levels: 1 })
        .clone3(|c| c.set_tid = SetTidSpec::Pids(vec![chosen(1), chosen(0)])),
        case(
            Caps,
            "userns.nested.own_level",
            "the same caller choosing the pid in its own pid namespace alone",
        )
        .step(Step::NestUserNs { levels: 1 })
        .step(Step::NestPidNs { levels: 1 })
        .clone3(|c| c.set_tid = SetTidSpec::Pids(vec![chosen(0)])),
        case(
            Caps,
            "userns.deepest",
            "a caller 32 user namespaces below the initial one makes the 33rd",
        )
        .step(Step::NestUserNs { levels: 32 })
        .clone3(|c| c.flags = CLONE_NEWUSER),
        case(
            Caps,
            "userns.too_deep",
            "a caller 33 user namespaces down cannot make another (ENOSPC, create_user_ns)",
        )
        .step(Step::NestUserNs { levels: 33 })
        .clone3(|c| c.flags = CLONE_NEWUSER),
        case(
            Caps,
            "nnp.inherited",
            "a caller's no_new_privs passes to its child without CLONE_NNP",
        )
        .step(Step::NoNewPrivs)
        .clone3(|_| {}),
        case(Caps, "newuser.no_caps", "CLONE_NEWUSER needs no capability")
            .step(NO_CAPS)
            .clone3(|c| c.flags = CLONE_NEWUSER),
        case(
            Caps,
            "newtime.no_caps",
            "CLONE_NEWTIME without CAP_SYS_ADMIN",
        )
        .step(NO_CAPS)
        .clone3(|c| c.flags = CLONE_NEWTIME),
        case(
            Caps,
            "clear_sighand.no_caps",
            "CLONE_CLEAR_SIGHAND needs no capability",
        )
        .step(NO_CAPS)
        .clone3(|c| c.flags = CLONE_CLEAR_SIGHAND),
    ];
    for (flag, name) in [
        (CLONE_NEWPID, "newpid"),
        (CLONE_NEWCGROUP, "newcgroup"),
        (CLONE_NEWIPC, "newipc"),
        (CLONE_NEWNET, "newnet"),
        (CLONE_NEWNS, "newns"),
        (CLONE_NEWUTS, "newuts"),
    ] {
        cases.push(
            case(
                Caps,
                &format!("{name}.no_sys_admin"),
                "a new namespace without CAP_SYS_ADMIN",
            )
            .origin("LTP clone304")
            .step(NO_CAPS)
            .clone3(|c| c.flags = flag),
        );
        cases.push(
            case(
                Caps,
                &format!("{name}.no_sys_admin.set_tid"),
                "the same with set_tid {1}: the namespace check comes first",
            )
            .origin("LTP clone304")
            .step(NO_CAPS)
            .clone3(|c| {
                c.flags = flag;
                c.set_tid = SetTidSpec::Pids(vec![PidValue::Literal(1)]);
            }),
        );
    }
    cases
}
