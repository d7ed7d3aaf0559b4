//! Deliberately wrong rules, switched on only by tests (through `cloneabi fuzz`'s hidden
//! `--model-mutant`), to prove that a campaign catches a model that is wrong in one place.
//! Off, they change nothing.

use std::cell::Cell;

/// One wrong rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Mutant {
    /// `copy_clone_args_from_user()` copies the set_tid array before it tests exit_signal
    /// and the CLONE_INTO_CGROUP descriptor (the kernel tests them first).
    SetTidCopiedFirst = 1,
}

impl Mutant {
    pub const ALL: [Mutant; 1] = [Mutant::SetTidCopiedFirst];

    pub fn name(self) -> &'static str {
        match self {
            Mutant::SetTidCopiedFirst => "set-tid-copied-first",
        }
    }
}

thread_local! {
    // Per thread, so that tests running side by side each see the model they asked for.
    static ACTIVE: Cell<u8> = const { Cell::new(0) };
}

/// Switches a wrong rule on for the calling thread (`None`: the real model).
pub fn set(m: Option<Mutant>) {
    ACTIVE.with(|a| a.set(m.map_or(0, |m| m as u8)));
}

pub(crate) fn active(m: Mutant) -> bool {
    ACTIVE.with(|a| a.get()) == m as u8
}
