//! The model of the kernel's clone3()/clone() checks: from a logical case and what is known
//! about the target, predict the outcome. Each stage mirrors one function of kernel/fork.c
//! (and kernel/pid.c), in the kernel's order, so the first check that fails names the errno.

mod args;
pub mod checks;
mod env;
pub mod gates;
mod legacy;
pub mod mutant;
mod process;

pub use checks::Check;
pub use env::{ModelEnv, MAX_PID_NS_LEVEL, MAX_USER_NS_LEVEL, PID_MAX_LIMIT};

use crate::case::{Call, Case};
use crate::errno;
use serde::Serialize;

/// What the model predicts for one case on one target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    /// The call fails with this errno; `rule` names the kernel check.
    Errno { errno: i32, rule: String },
    /// The call succeeds and every check holds.
    Success { checks: Vec<Check> },
    /// The case cannot be judged on this target.
    Skip { reason: String },
}

impl Expectation {
    pub(crate) fn errno(errno: i32, rule: impl Into<String>) -> Self {
        Expectation::Errno {
            errno,
            rule: rule.into(),
        }
    }

    /// Canonical short outcome: "ok", an errno name, or "skip".
    pub fn outcome(&self) -> String {
        match self {
            Expectation::Errno { errno, .. } => errno::name(*errno),
            Expectation::Success { .. } => "ok".into(),
            Expectation::Skip { .. } => "skip".into(),
        }
    }

    /// Human-readable form.
    pub fn describe(&self) -> String {
        match self {
            Expectation::Errno { errno, rule } => format!("{} ({rule})", errno::name(*errno)),
            Expectation::Success { checks } => {
                let parts: Vec<String> = checks.iter().map(|c| c.describe()).collect();
                if parts.is_empty() {
                    "success".into()
                } else {
                    format!("success: {}", parts.join("; "))
                }
            }
            Expectation::Skip { reason } => format!("skip: {reason}"),
        }
    }
}

/// A stage of the kernel either passes or stops the call with an errno and a rule name.
pub(crate) type Stage = Result<(), (i32, String)>;

pub(crate) fn fail(errno: i32, rule: impl Into<String>) -> Stage {
    Err((errno, rule.into()))
}

/// Predicts the outcome of `case` on the target described by `env`.
///
/// On a release where a gate is uncertain (`Gate::uncertain`), a case whose outcome depends
/// on that gate is a skip naming it; every other case is judged.
pub fn predict(case: &Case, env: &ModelEnv) -> Expectation {
    let judged = predict_on(case, env);
    for g in gates::ALL.iter().filter(|g| g.uncertain_in(env.kernel)) {
        let assume = |value| {
            predict_on(
                case,
                &ModelEnv {
                    assume: Some((g.name, value)),
                    ..env.clone()
                },
            )
        };
        if !same_verdict(&assume(true), &assume(false)) {
            return Expectation::Skip {
                reason: g.uncertain_reason(env.kernel),
            };
        }
    }
    judged
}

/// Whether two predictions judge every observation alike (an errno is judged by its value,
/// not by the rule that names it).
fn same_verdict(a: &Expectation, b: &Expectation) -> bool {
    match (a, b) {
        (Expectation::Errno { errno: x, .. }, Expectation::Errno { errno: y, .. }) => x == y,
        _ => a == b,
    }
}

fn predict_on(case: &Case, env: &ModelEnv) -> Expectation {
    if let Some(reason) = environment_gap(case, env) {
        return Expectation::Skip { reason };
    }
    let stages = match &case.call {
        Call::Clone3(call) => {
            if !gates::has_clone3(env.arch, env.kernel) {
                return Expectation::errno(
                    errno::ENOSYS,
                    format!("no clone3 before this kernel on {}", env.arch),
                );
            }
            args::clone3_entry(call, env).and_then(|kargs| kernel_clone(case, kargs, env))
        }
        Call::Legacy(call) => kernel_clone(case, legacy::legacy_entry(call, env), env),
    };
    match stages {
        Err((errno, rule)) => Expectation::errno(errno, rule),
        Ok(kargs) => Expectation::Success {
            checks: checks::success_checks(case, &kargs, env),
        },
    }
}

/// `kernel_clone()`: its own checks, then `copy_process()`.
fn kernel_clone(
    case: &Case,
    mut kargs: args::KernelArgs,
    env: &ModelEnv,
) -> Result<args::KernelArgs, (i32, String)> {
    args::kernel_clone_checks(&mut kargs, env)?;
    process::copy_process(case, &kargs, env)?;
    Ok(kargs)
}

/// A reason the target cannot judge this case, if any. Every reason names what is missing.
fn environment_gap(case: &Case, env: &ModelEnv) -> Option<String> {
    if let Some(reason) = case.scope.gap(env.arch) {
        return Some(reason);
    }
    if case.creates_cgroup() && env.cgroup2_errno != 0 {
        return Some(format!(
            "cgroup2 is not usable here (mounting it or creating the run directory failed with {}): \
             run as root, or on a kernel with cgroup2",
            errno::name(env.cgroup2_errno)
        ));
    }
    if case.steps.contains(&crate::case::Step::CgroupV1) && env.cgroup1_errno != 0 {
        return Some(if env.cgroup1_errno < 0 {
            "the payload did not try a cgroup v1 mount (cgroup2 was not set up)".into()
        } else {
            format!(
                "a named cgroup v1 hierarchy cannot be mounted here ({}): run as root, on a \
                 kernel with cgroup v1",
                errno::name(env.cgroup1_errno)
            )
        });
    }
    let deepest = env.payload_level + case.nested_levels() + u32::from(case.unshares_pid_ns());
    if deepest > MAX_PID_NS_LEVEL {
        return Some(format!(
            "the payload's pid namespace is at level {}; this case needs {} more levels, past the kernel's limit of {}",
            env.payload_level,
            deepest - env.payload_level,
            MAX_PID_NS_LEVEL
        ));
    }
    let user_levels = case.nested_user_levels();
    if user_levels > 0 {
        if !env.has_namespace("user") {
            return Some(
                "the case's caller is in user namespaces of its own, and this kernel was built \
                 without user namespaces"
                    .into(),
            );
        }
        match env.payload_user_level {
            None => {
                return Some(format!(
                    "the case nests {user_levels} user namespaces below the payload's, whose own \
                     depth is unknown (the host's user namespace is not the initial one): run \
                     as root on a host in its initial user namespace, or in a guest"
                ))
            }
            Some(level) if level + user_levels > MAX_USER_NS_LEVEL => {
                return Some(format!(
                    "the payload's user namespace is at level {level}; this case needs \
                     {user_levels} more levels, past the kernel's limit of {MAX_USER_NS_LEVEL}"
                ))
            }
            Some(_) => {}
        }
    }
    // The setup makes its caller with CLONE_AUTOREAP, which such a kernel refuses.
    if case.caller_is_autoreaped() && !gates::NEW_2026_FLAGS.present(env) {
        return Some(
            "the case's caller is a CLONE_AUTOREAP child, and this kernel has no CLONE_AUTOREAP \
             (it came with 7.1)"
                .into(),
        );
    }
    if !env.caller_is_admin && case.kept_caps().is_none() {
        return Some("the payload does not hold CAP_SYS_ADMIN in its own user namespace".into());
    }
    None
}
