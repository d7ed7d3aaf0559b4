//! Every case, grouped by concern. Ids are stable: add cases, never renumber them.

mod autoreap;
mod caps;
mod cgroup;
mod compat;
mod exit_signal;
mod flags;
mod legacy;
mod outputs;
mod set_tid;
mod sighand;
mod sizes;
mod stack;

use crate::case::{Call, Case, Clone3Call, Concern, LegacyCall, Scope, StackSpec, Step};
use crate::program::Behavior;

pub(crate) use set_tid::chosen as chosen_pid;

/// Child stack size the cases map.
pub(crate) const STACK_LEN: u32 = 64 * 1024;

/// The whole suite, in a fixed order.
pub fn all_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(sizes::cases());
    cases.extend(flags::cases());
    cases.extend(autoreap::cases());
    cases.extend(exit_signal::cases());
    cases.extend(stack::cases());
    cases.extend(outputs::cases());
    cases.extend(set_tid::cases());
    cases.extend(caps::cases());
    cases.extend(cgroup::cases());
    cases.extend(sighand::cases());
    cases.extend(legacy::cases());
    cases.extend(compat::cases());
    cases
}

/// The case with this id, if the suite has one.
pub fn case_by_id(id: &str) -> Option<Case> {
    all_cases().into_iter().find(|c| c.id == id)
}

/// A case under construction.
pub(crate) struct Spec {
    case: Case,
}

pub(crate) fn case(concern: Concern, rest: &str, summary: &str) -> Spec {
    Spec {
        case: Case {
            id: format!("{}.{rest}", concern.as_str()),
            concern,
            summary: summary.to_string(),
            origin: None,
            steps: Vec::new(),
            call: Call::Clone3(Clone3Call::default()),
            behavior: Behavior::default(),
            scope: Scope::AllAbis,
        },
    }
}

impl Spec {
    pub fn origin(mut self, origin: &'static str) -> Self {
        self.case.origin = Some(origin);
        self
    }

    pub fn step(mut self, step: Step) -> Self {
        self.case.steps.push(step);
        self
    }

    /// Limits the case to ABIs whose pointers are 32 bits.
    pub fn pointers32(mut self) -> Self {
        self.case.scope = Scope::Pointers32;
        self
    }

    pub fn behavior(mut self, f: impl FnOnce(&mut Behavior)) -> Self {
        f(&mut self.case.behavior);
        self
    }

    /// A clone3 call: the default fork-like arguments, changed by `f`.
    pub fn clone3(mut self, f: impl FnOnce(&mut Clone3Call)) -> Case {
        let mut call = Clone3Call::default();
        f(&mut call);
        self.case.call = Call::Clone3(call);
        self.case
    }

    pub fn legacy(mut self, call: LegacyCall) -> Case {
        self.case.call = Call::Legacy(call);
        self.case
    }
}

/// Gives the child its own mapped stack of [`STACK_LEN`] bytes.
pub(crate) fn own_stack(c: &mut Clone3Call) {
    c.stack = StackSpec::Region {
        len: STACK_LEN,
        offset: 0,
    };
    c.stack_size = u64::from(STACK_LEN);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::valid_case_id;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_valid_and_plentiful() {
        let cases = all_cases();
        let mut seen = HashSet::new();
        for c in &cases {
            assert!(valid_case_id(&c.id), "{} is not a valid KCIDB path", c.id);
            assert!(
                c.id.starts_with(c.concern.as_str()),
                "{} is filed under {:?}",
                c.id,
                c.concern
            );
            assert!(seen.insert(c.id.clone()), "{} is duplicated", c.id);
        }
        assert!(cases.len() >= 150, "only {} cases", cases.len());
    }
}
