//! Generation steered toward the model's rarely reached rules.
//!
//! Every case is predicted before it runs, so the rule that will decide it is known at
//! generation time: no kernel feedback is needed, and a guest campaign is steered as well as
//! a native one. Cases are predicted on x86_64 with the target's kernel version (a rule
//! another version lacks is no rule to steer toward there), so the same seed gives the same
//! programs on every arch running the same version.
//!
//! Half the cases are fresh draws. The other half are neighbours ([`Generator::mutate`]) of
//! a case that reached one of the rarest rules so far. The corpus starts with the catalog's
//! cases, which between them reach every rule the model has on the reference target, so a
//! rule plain generation hardly ever reaches is approached from a case that reaches it.

use super::coverage::rule_of;
use super::gen::{sanitize, Generator};
use crate::case::{Case, Concern, Scope};
use crate::model::{predict, ModelEnv};
use cloneabi_arch::{Arch, KernelVersion};
use std::collections::BTreeMap;

/// Cases kept per rule.
const KEPT_PER_RULE: usize = 8;
/// Of each 100 cases, how many are neighbours of a rare rule's case.
const STEERED_PCT: u64 = 50;
/// A neighbour is drawn from one of this many rarest rules.
const RAREST: usize = 6;

/// The kernel version steering assumes when the target's is not known before it runs.
pub const DEFAULT_VERSION: KernelVersion = KernelVersion::new(7, 3, 0);

/// The target a campaign is steered against: x86_64 with the target's kernel version,
/// whatever arch it runs on.
pub fn reference_env(kernel: KernelVersion) -> ModelEnv {
    ModelEnv::nominal(Arch::X86_64, kernel)
}

pub struct Steered {
    gen: Generator,
    env: ModelEnv,
    /// How often each rule was predicted for a case of this campaign.
    counts: BTreeMap<String, u64>,
    corpus: BTreeMap<String, Vec<Case>>,
    steering: bool,
}

impl Steered {
    pub fn new(seed: u64, kernel: KernelVersion) -> Steered {
        let env = reference_env(kernel);
        let mut corpus: BTreeMap<String, Vec<Case>> = BTreeMap::new();
        for case in crate::catalog::all_cases() {
            if case.scope != Scope::AllAbis {
                continue;
            }
            let case = sanitize(Case {
                concern: Concern::Fuzz,
                ..case
            });
            let rule = rule_of(&predict(&case, &env));
            if rule == "skip" {
                continue;
            }
            let kept = corpus.entry(rule).or_default();
            if kept.len() < KEPT_PER_RULE {
                kept.push(case);
            }
        }
        Steered {
            gen: Generator::new(seed),
            env,
            counts: BTreeMap::new(),
            corpus,
            steering: true,
        }
    }

    /// The plain stream of `Generator::new(seed)`, with the rules counted the same way.
    pub fn unsteered(seed: u64, kernel: KernelVersion) -> Steered {
        Steered {
            gen: Generator::new(seed),
            env: reference_env(kernel),
            counts: BTreeMap::new(),
            corpus: BTreeMap::new(),
            steering: false,
        }
    }

    /// The campaign's next case.
    pub fn case(&mut self) -> Case {
        let parent = if self.steering {
            self.rare_parent()
        } else {
            None
        };
        let case = match parent {
            Some(parent) if self.gen.draw_chance(STEERED_PCT) => self.gen.mutate(&parent),
            _ => self.gen.case(),
        };
        let rule = rule_of(&predict(&case, &self.env));
        *self.counts.entry(rule.clone()).or_default() += 1;
        if rule == "skip" || !self.steering {
            return case;
        }
        let kept = self.corpus.entry(rule).or_default();
        if kept.len() < KEPT_PER_RULE {
            kept.push(case.clone());
        } else {
            let i = self.gen.draw_below(KEPT_PER_RULE as u64) as usize;
            kept[i] = case.clone();
        }
        case
    }

    /// A kept case of one of the rules this campaign has predicted least often.
    fn rare_parent(&mut self) -> Option<Case> {
        let mut rules: Vec<(u64, &String)> = self
            .corpus
            .keys()
            .map(|r| (self.counts.get(r).copied().unwrap_or(0), r))
            .collect();
        if rules.is_empty() {
            return None;
        }
        rules.sort();
        rules.truncate(RAREST);
        let rule = rules[self.gen.draw_below(rules.len() as u64) as usize]
            .1
            .clone();
        let kept = &self.corpus[&rule];
        let i = self.gen.draw_below(kept.len() as u64) as usize;
        Some(kept[i].clone())
    }

    /// How often each rule was predicted on the reference target.
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        &self.counts
    }
}
