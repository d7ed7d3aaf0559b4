//! The exit_signal member (copy_clone_args_from_user's CSIGNAL/valid_signal check).

use super::case;
use crate::case::{Case, Concern::ExitSignal, SetTidSpec};
use crate::flags::{CLONE_FS, CLONE_NEWPID, CLONE_PARENT_SETTID, SIGCHLD, SIGUSR2};

pub(super) fn cases() -> Vec<Case> {
    let sig = |id: &str, summary: &str, origin: Option<&'static str>, value: u64| {
        let spec = case(ExitSignal, id, summary);
        let spec = match origin {
            Some(o) => spec.origin(o),
            None => spec,
        };
        spec.clone3(|c| c.exit_signal = value)
    };
    vec![
        sig("zero", "no signal at exit; reaped with __WALL", None, 0),
        sig("sigchld", "SIGCHLD at exit", Some("LTP clone301"), SIGCHLD),
        sig("sigusr2", "SIGUSR2 at exit", Some("LTP clone301"), SIGUSR2),
        sig("sig_1", "the lowest signal, SIGHUP", None, 1),
        sig("sig_34", "a real-time signal", None, 34),
        sig("sig_64", "_NSIG, the highest valid signal", None, 64),
        sig("sig_65", "_NSIG + 1", None, 65),
        sig(
            "csignal_0xf0",
            "NSIG < exit_signal < CSIGNAL",
            Some("selftests clone3.c #9"),
            0xf0,
        ),
        sig("csignal_0xff", "the whole CSIGNAL byte", None, 0xff),
        sig(
            "above_csignal_0x100",
            "not in the CSIGNAL mask",
            Some("selftests clone3.c #8"),
            0x100,
        ),
        sig(
            "negative_32bit",
            "0x80000000",
            Some("selftests clone3.c #7"),
            0x8000_0000,
        ),
        sig(
            "high_32_bits",
            "0xbadc0ded00000000",
            Some("selftests clone3.c #6"),
            0xbadc_0ded_0000_0000,
        ),
        sig(
            "all_ones",
            "(u64)-1",
            Some("selftests clone3_selftests.h probe"),
            u64::MAX,
        ),
        case(ExitSignal, "with_clone_fs", "SIGCHLD with CLONE_FS")
            .origin("LTP clone301")
            .clone3(|c| c.flags = CLONE_FS),
        case(
            ExitSignal,
            "with_newpid",
            "SIGCHLD from a child in a new pid namespace",
        )
        .origin("LTP clone301")
        .clone3(|c| c.flags = CLONE_NEWPID),
        case(
            ExitSignal,
            "with_parent_settid",
            "SIGUSR2 with CLONE_PARENT_SETTID",
        )
        .clone3(|c| {
            c.flags = CLONE_PARENT_SETTID;
            c.parent_tid = crate::case::Ptr::Slot(crate::case::SlotKind::ParentTid);
            c.exit_signal = SIGUSR2;
        }),
        case(
            ExitSignal,
            "order.sig_65_set_tid_unmapped",
            "an invalid exit_signal and an unreadable set_tid array: EINVAL while \
             copy_clone_args_from_user tests valid_signal, EFAULT once kernel_clone does",
        )
        .clone3(|c| {
            c.exit_signal = 65;
            c.set_tid = SetTidSpec::Unmapped { size: 1 };
        }),
    ]
}
