//! CLONE_AUTOREAP and the flags that build on it (CLONE_NNP, CLONE_PIDFD_AUTOKILL), and
//! CLONE_EMPTY_MNTNS: their rules with THREAD, PARENT, PIDFD, NEWNS|FS, exit_signal and
//! capabilities, their effects, and the counterparts of the kernel's own tests
//! (tools/testing/selftests/pidfd/pidfd_autoreap_test.c, read in linux-source-7.3). On a
//! kernel without the flags every call with one of them is EINVAL (an unknown flag), and a
//! case whose caller must itself be a CLONE_AUTOREAP child is skipped.

use super::{case, own_stack};
use crate::case::{Case, Clone3Call, Concern, Ptr, SlotKind, Step};
use crate::flags::*;

/// The origin of a counterpart of the kernel's test of this TEST() name.
macro_rules! selftest {
    ($name:literal) => {
        concat!("selftests pidfd_autoreap_test.c ", $name)
    };
}

const THREAD: u64 = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
const NO_CAPS: Step = Step::KeepCaps { caps: 0 };

/// An autoreaped child: exit_signal 0, and the pidfd in its slot when `flags` ask for one.
fn autoreaped(c: &mut Clone3Call, flags: u64) {
    c.flags = flags;
    c.exit_signal = 0;
    if flags & CLONE_PIDFD != 0 {
        c.pidfd = Ptr::Slot(SlotKind::Pidfd);
    }
}

pub(super) fn cases() -> Vec<Case> {
    use Concern::{Caps, Flags};
    let autokill = CLONE_PIDFD | CLONE_PIDFD_AUTOKILL | CLONE_AUTOREAP;
    vec![
        // CLONE_AUTOREAP.
        case(
            Flags,
            "autoreap.without_pidfd",
            "CLONE_AUTOREAP alone: the child runs, and the caller's wait finds no child",
        )
        .origin(selftest!("autoreap_without_pidfd"))
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| autoreaped(c, CLONE_AUTOREAP)),
        case(
            Flags,
            "autoreap.exit_signal_sigchld",
            "CLONE_AUTOREAP with exit_signal SIGCHLD",
        )
        .origin(selftest!("autoreap_rejects_exit_signal"))
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| c.flags = CLONE_AUTOREAP),
        case(Flags, "autoreap.parent", "CLONE_AUTOREAP with CLONE_PARENT")
            .origin(selftest!("autoreap_rejects_parent"))
            .behavior(|b| b.follow_exit = true)
            .clone3(|c| autoreaped(c, CLONE_AUTOREAP | CLONE_PARENT)),
        case(Flags, "autoreap.thread", "CLONE_AUTOREAP with CLONE_THREAD")
            .origin(selftest!("autoreap_rejects_thread"))
            .behavior(|b| b.follow_exit = true)
            .clone3(|c| {
                autoreaped(c, CLONE_AUTOREAP | THREAD);
                own_stack(c);
            }),
        case(
            Flags,
            "autoreap.pidfd",
            "CLONE_AUTOREAP|CLONE_PIDFD: the pidfd reports the exit, the wait finds no child",
        )
        .origin(selftest!("autoreap_basic"))
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| autoreaped(c, CLONE_AUTOREAP | CLONE_PIDFD)),
        case(
            Flags,
            "autoreap.pidfd_signal",
            "a signal sent through the pidfd reaches an autoreaped child; the pidfd reports its end",
        )
        .origin(selftest!("autoreap_signaled"))
        .behavior(|b| {
            b.follow_exit = true;
            b.pidfd_signal = true;
        })
        .clone3(|c| autoreaped(c, CLONE_AUTOREAP | CLONE_PIDFD)),
        case(
            Flags,
            "autoreap.no_new_privs_unset",
            "CLONE_AUTOREAP alone leaves no_new_privs unset in the child",
        )
        .origin(selftest!("autoreap_no_new_privs_unset"))
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| autoreaped(c, CLONE_AUTOREAP | CLONE_PIDFD)),
        case(
            Flags,
            "autoreap.reparent",
            "an autoreaped child whose parent exits is adopted by a subreaper and still autoreaped",
        )
        .origin(selftest!("autoreap_reparent"))
        .behavior(|b| {
            b.caller_exits = true;
            b.child_holds = true;
            b.follow_exit = true;
        })
        .clone3(|c| autoreaped(c, CLONE_AUTOREAP | CLONE_PIDFD)),
        case(
            Flags,
            "autoreap.reparent.without_autoreap",
            "without CLONE_AUTOREAP the subreaper that adopts the child reaps it, and gets SIGCHLD",
        )
        .behavior(|b| {
            b.caller_exits = true;
            b.child_holds = true;
        })
        .clone3(|c| autoreaped(c, CLONE_PIDFD)),
        case(
            Flags,
            "autoreap.multithreaded",
            "an autoreaped child that exits before its thread is reaped once the thread exits",
        )
        .origin(selftest!("autoreap_multithreaded"))
        .behavior(|b| {
            b.child_thread = true;
            b.follow_exit = true;
        })
        .clone3(|c| autoreaped(c, CLONE_AUTOREAP | CLONE_PIDFD)),
        case(
            Flags,
            "autoreap.no_inherit",
            "a child of an autoreaped process is an ordinary child: its parent reaps it",
        )
        .origin(selftest!("autoreap_no_inherit"))
        .step(Step::AutoreapedCaller)
        .clone3(|_| {}),
        case(
            Flags,
            "autoreap.caller_parent",
            "CLONE_PARENT from a caller that is itself autoreaped",
        )
        .step(Step::AutoreapedCaller)
        .clone3(|c| {
            // clone3 takes CLONE_PARENT only with exit_signal 0 (clone3_args_valid()).
            c.flags = CLONE_PARENT;
            c.exit_signal = 0;
        }),
        case(
            Caps,
            "autoreap.caller_parent.newns",
            "CLONE_PARENT from an autoreaped caller is refused (EINVAL) before a missing capability (EPERM)",
        )
        .step(NO_CAPS)
        .step(Step::AutoreapedCaller)
        .clone3(|c| {
            c.flags = CLONE_PARENT | CLONE_NEWNS;
            c.exit_signal = 0;
        }),
        case(
            Flags,
            "autoreap.exit_signal_65",
            "CLONE_AUTOREAP with an invalid exit_signal",
        )
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| {
            autoreaped(c, CLONE_AUTOREAP);
            c.exit_signal = 65;
        }),
        case(
            Flags,
            "autoreap.newns_fs",
            "CLONE_AUTOREAP with CLONE_NEWNS|CLONE_FS",
        )
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| autoreaped(c, CLONE_AUTOREAP | CLONE_NEWNS | CLONE_FS)),
        case(
            Flags,
            "autoreap.newpid",
            "CLONE_AUTOREAP|CLONE_NEWPID: an autoreaped pid namespace init",
        )
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| autoreaped(c, CLONE_AUTOREAP | CLONE_PIDFD | CLONE_NEWPID)),
        case(
            Caps,
            "autoreap.no_caps",
            "CLONE_AUTOREAP needs no capability",
        )
        .step(NO_CAPS)
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| autoreaped(c, CLONE_AUTOREAP | CLONE_PIDFD)),
        // CLONE_NNP.
        case(
            Flags,
            "nnp.autoreap_pidfd",
            "CLONE_NNP: the child starts with no_new_privs set",
        )
        .origin(selftest!("nnp_sets_no_new_privs"))
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| autoreaped(c, CLONE_AUTOREAP | CLONE_PIDFD | CLONE_NNP)),
        case(Flags, "nnp.thread", "CLONE_NNP with CLONE_THREAD")
            .origin(selftest!("nnp_rejects_thread"))
            .clone3(|c| {
                c.flags = CLONE_NNP | THREAD;
                c.exit_signal = 0;
                own_stack(c);
            }),
        case(
            Flags,
            "nnp.parent",
            "CLONE_NNP with CLONE_PARENT: a sibling with no_new_privs",
        )
        .behavior(|b| b.no_reap = true)
        .clone3(|c| {
            c.flags = CLONE_NNP | CLONE_PARENT;
            c.exit_signal = 0;
        }),
        case(Caps, "nnp.no_caps", "CLONE_NNP needs no capability")
            .step(NO_CAPS)
            .clone3(|c| c.flags = CLONE_NNP),
        // CLONE_PIDFD_AUTOKILL.
        case(
            Flags,
            "autokill.close_kills",
            "closing the clone3 pidfd kills a CLONE_PIDFD_AUTOKILL child; closing another does not",
        )
        .origin(selftest!("autokill_basic"))
        .behavior(|b| {
            b.child_holds = true;
            b.close_pidfd = true;
        })
        .clone3(|c| autoreaped(c, autokill | CLONE_NNP)),
        case(
            Flags,
            "autokill.pidfd_open_no_effect",
            "only the clone3 pidfd's close kills the child, not a pidfd_open one's",
        )
        .origin(selftest!("autokill_pidfd_open_no_effect"))
        .behavior(|b| {
            b.child_holds = true;
            b.close_pidfd = true;
        })
        .clone3(|c| autoreaped(c, autokill | CLONE_NNP)),
        case(
            Flags,
            "autokill.without_pidfd",
            "CLONE_PIDFD_AUTOKILL without CLONE_PIDFD",
        )
        .origin(selftest!("autokill_requires_pidfd"))
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| autoreaped(c, CLONE_PIDFD_AUTOKILL | CLONE_AUTOREAP)),
        case(
            Flags,
            "autokill.without_autoreap",
            "CLONE_PIDFD_AUTOKILL without CLONE_AUTOREAP",
        )
        .origin(selftest!("autokill_requires_autoreap"))
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| autoreaped(c, CLONE_PIDFD | CLONE_PIDFD_AUTOKILL)),
        case(Flags, "autokill.thread", "CLONE_PIDFD_AUTOKILL with CLONE_THREAD")
            .origin(selftest!("autokill_rejects_thread"))
            .behavior(|b| b.follow_exit = true)
            .clone3(|c| {
                autoreaped(c, autokill | THREAD);
                own_stack(c);
            }),
        case(
            Caps,
            "autokill.no_caps",
            "CLONE_PIDFD_AUTOKILL without CLONE_NNP needs CAP_SYS_ADMIN",
        )
        .origin(selftest!("autokill_requires_cap_sys_admin"))
        .step(NO_CAPS)
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| autoreaped(c, autokill)),
        case(
            Caps,
            "autokill.no_caps.nnp_caller",
            "a caller that has no_new_privs still needs the CLONE_NNP flag (or CAP_SYS_ADMIN): \
             the kernel tests the flag, not the caller's state",
        )
        .step(Step::NoNewPrivs)
        .step(NO_CAPS)
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| autoreaped(c, autokill)),
        case(
            Caps,
            "autokill.no_caps.thread",
            "CLONE_THREAD is refused (EINVAL) before the missing capability (EPERM)",
        )
        .step(NO_CAPS)
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| {
            autoreaped(c, autokill | THREAD);
            own_stack(c);
        }),
        case(
            Caps,
            "autokill.no_caps.without_autoreap",
            "a missing CLONE_AUTOREAP is refused (EINVAL) before the missing capability (EPERM)",
        )
        .step(NO_CAPS)
        .clone3(|c| autoreaped(c, CLONE_PIDFD | CLONE_PIDFD_AUTOKILL)),
        case(
            Caps,
            "autokill.newuser_no_caps",
            "a new user namespace does not stand in for CAP_SYS_ADMIN in the caller's own",
        )
        .step(NO_CAPS)
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| autoreaped(c, autokill | CLONE_NEWUSER)),
        case(
            Caps,
            "autokill.nnp_no_caps",
            "CLONE_PIDFD_AUTOKILL|CLONE_NNP needs no capability, and closing the pidfd kills",
        )
        .step(NO_CAPS)
        .behavior(|b| {
            b.child_holds = true;
            b.close_pidfd = true;
        })
        .clone3(|c| autoreaped(c, autokill | CLONE_NNP)),
        case(
            Caps,
            "autokill.without_nnp_with_cap",
            "CLONE_PIDFD_AUTOKILL without CLONE_NNP for a caller with CAP_SYS_ADMIN",
        )
        .origin(selftest!("autokill_without_nnp_with_cap"))
        .behavior(|b| b.follow_exit = true)
        .clone3(|c| autoreaped(c, autokill)),
        // CLONE_EMPTY_MNTNS.
        case(
            Flags,
            "empty_mntns.mounts",
            "CLONE_EMPTY_MNTNS: the child's new mount namespace holds one mount",
        )
        .behavior(|b| {
            b.child_holds = true;
            b.read_child_mounts = true;
        })
        .clone3(|c| c.flags = CLONE_EMPTY_MNTNS),
        case(
            Flags,
            "empty_mntns.with_newns",
            "CLONE_EMPTY_MNTNS|CLONE_NEWNS is the same",
        )
        .behavior(|b| {
            b.child_holds = true;
            b.read_child_mounts = true;
        })
        .clone3(|c| c.flags = CLONE_EMPTY_MNTNS | CLONE_NEWNS),
        case(
            Flags,
            "empty_mntns.fs",
            "CLONE_EMPTY_MNTNS implies CLONE_NEWNS, so CLONE_FS is refused",
        )
        .clone3(|c| c.flags = CLONE_EMPTY_MNTNS | CLONE_FS),
        case(
            Flags,
            "empty_mntns.autoreap_nnp",
            "CLONE_EMPTY_MNTNS with CLONE_AUTOREAP|CLONE_NNP|CLONE_PIDFD",
        )
        .behavior(|b| {
            b.child_holds = true;
            b.read_child_mounts = true;
            b.follow_exit = true;
        })
        .clone3(|c| {
            autoreaped(
                c,
                CLONE_EMPTY_MNTNS | CLONE_AUTOREAP | CLONE_NNP | CLONE_PIDFD,
            )
        }),
        case(
            Caps,
            "empty_mntns.no_sys_admin",
            "CLONE_EMPTY_MNTNS needs CAP_SYS_ADMIN, as CLONE_NEWNS does",
        )
        .step(NO_CAPS)
        .clone3(|c| c.flags = CLONE_EMPTY_MNTNS),
        case(
            Caps,
            "empty_mntns.newuser_no_caps",
            "CLONE_EMPTY_MNTNS in a new user namespace needs no capability",
        )
        .step(NO_CAPS)
        .behavior(|b| {
            b.child_holds = true;
            b.read_child_mounts = true;
        })
        .clone3(|c| c.flags = CLONE_EMPTY_MNTNS | CLONE_NEWUSER),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pidfd_autoreap_test.c test with a counterpart here, by its TEST() name.
    #[test]
    fn selftest_counterparts_are_named_once() {
        let cases = cases();
        for name in [
            "autoreap_without_pidfd",
            "autoreap_rejects_exit_signal",
            "autoreap_rejects_parent",
            "autoreap_rejects_thread",
            "autoreap_basic",
            "autoreap_signaled",
            "autoreap_reparent",
            "autoreap_multithreaded",
            "autoreap_no_inherit",
            "nnp_sets_no_new_privs",
            "nnp_rejects_thread",
            "autoreap_no_new_privs_unset",
            "autokill_basic",
            "autokill_requires_pidfd",
            "autokill_requires_autoreap",
            "autokill_rejects_thread",
            "autokill_pidfd_open_no_effect",
            "autokill_requires_cap_sys_admin",
            "autokill_without_nnp_with_cap",
        ] {
            let origin = format!("selftests pidfd_autoreap_test.c {name}");
            let n = cases
                .iter()
                .filter(|c| c.origin == Some(origin.as_str()))
                .count();
            assert_eq!(n, 1, "{origin}: {n} cases");
        }
    }

    /// The caller never blocks in a wait for a child the kernel may reap itself.
    #[test]
    fn autoreap_cases_follow_the_exit() {
        for c in super::super::all_cases() {
            let Some(call) = c.clone3() else { continue };
            if call.flags & CLONE_AUTOREAP != 0 {
                assert!(
                    c.behavior.follow_exit || c.behavior.close_pidfd || c.behavior.no_reap,
                    "{}",
                    c.id
                );
            }
        }
    }
}
