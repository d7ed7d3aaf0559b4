//! CLONE_CLEAR_SIGHAND: handlers reset to SIG_DFL, SIG_IGN kept.

use super::case;
use crate::case::{Case, Concern::Sighand, Step};
use crate::flags::{CLONE_CLEAR_SIGHAND, SIGUSR1, SIGUSR2};
use crate::program::Disposition;

fn signal(signo: u64, disposition: Disposition) -> Step {
    Step::Signal {
        signo: signo as u32,
        disposition,
    }
}

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            Sighand,
            "clear.handlers_reset",
            "handlers are reset to SIG_DFL",
        )
        .origin("selftests clone3_clear_sighand.c")
        .step(signal(SIGUSR1, Disposition::Handler))
        .step(signal(SIGUSR2, Disposition::Handler))
        .clone3(|c| c.flags = CLONE_CLEAR_SIGHAND),
        case(Sighand, "clear.ignore_kept", "SIG_IGN stays ignored")
            .step(signal(SIGUSR1, Disposition::Handler))
            .step(signal(SIGUSR2, Disposition::Ignore))
            .clone3(|c| c.flags = CLONE_CLEAR_SIGHAND),
        case(
            Sighand,
            "inherit.without_clear",
            "without the flag the child inherits handlers",
        )
        .step(signal(SIGUSR1, Disposition::Handler))
        .step(signal(SIGUSR2, Disposition::Ignore))
        .clone3(|_| {}),
        case(
            Sighand,
            "clear.size_ver0",
            "CLONE_CLEAR_SIGHAND with a VER0 struct",
        )
        .step(signal(SIGUSR1, Disposition::Handler))
        .clone3(|c| {
            c.flags = CLONE_CLEAR_SIGHAND;
            c.size = crate::case::SizeArg::Literal(64);
        }),
    ]
}
