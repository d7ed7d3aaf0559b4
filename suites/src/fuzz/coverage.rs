//! Which of the model's rules decided the outcomes of a campaign. A rule is what the
//! prediction names: the errno's rule (every `fail()` of the model carries one), "success",
//! or "skip"; set_tid indices and struct sizes are folded so one check is one rule.

use crate::model::Expectation;
use std::collections::BTreeMap;

/// The rule id of a prediction.
pub fn rule_of(e: &Expectation) -> String {
    match e {
        Expectation::Errno { errno, rule } => {
            format!("{} {}", crate::errno::name(*errno), fold_numbers(rule))
        }
        Expectation::Success { .. } => "success".into(),
        Expectation::Skip { .. } => "skip".into(),
    }
}

/// The rule id of a prediction as the judge wrote it (`EINVAL (rule)`, `success: ...`,
/// `skip: ...`).
pub fn rule_of_described(expected: &str) -> String {
    if expected.starts_with("success") {
        return "success".into();
    }
    if expected.starts_with("skip") {
        return "skip".into();
    }
    match expected.split_once(" (") {
        Some((errno, rest)) => format!(
            "{errno} {}",
            fold_numbers(rest.strip_suffix(')').unwrap_or(rest))
        ),
        None => expected.to_string(),
    }
}

/// `set_tid[3]` -> `set_tid[N]`, `88-byte` -> `N-byte`.
fn fold_numbers(rule: &str) -> String {
    let mut out = String::new();
    let mut in_digits = false;
    for ch in rule.chars() {
        if ch.is_ascii_digit() {
            if !in_digits {
                out.push('N');
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(ch);
        }
    }
    out
}

/// How often each rule decided an outcome.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    pub counts: BTreeMap<String, u64>,
}

impl Coverage {
    pub fn add(&mut self, rule: String) {
        *self.counts.entry(rule).or_default() += 1;
    }

    /// The rules of `known` this campaign never reached.
    pub fn missed<'a>(&self, known: impl IntoIterator<Item = &'a String>) -> Vec<String> {
        known
            .into_iter()
            .filter(|r| !self.counts.contains_key(*r))
            .cloned()
            .collect()
    }
}
