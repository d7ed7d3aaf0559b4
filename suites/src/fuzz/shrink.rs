//! Greedy shrinking: from a diverging case, try every one-step simplification at once (one
//! batch per round), keep the first, in order of preference, that still diverges the same
//! way, and stop when none does. The last one is run again to confirm it reproduces.

use super::{sanitize, Executor, Outcome};
use crate::case::{
    Call, Case, CgroupSpec, Clone3Call, LegacyCall, PidValue, Placement, Ptr, SetTidSpec, SizeArg,
    SlotKind, StackSpec, Step,
};
use crate::catalog::{chosen_pid, STACK_LEN};
use crate::flags::{CSIGNAL, SIGCHLD};
use serde::Serialize;
use std::time::{Duration, Instant};

/// The result of shrinking one divergence.
#[derive(Clone, Debug, Serialize)]
pub struct Shrunk {
    pub case: Case,
    /// The shrunk case's outcome on its confirming run.
    pub outcome: Outcome,
    /// Rounds that found a smaller case.
    pub steps: u32,
    /// Candidates run in all.
    pub tried: u32,
    /// The confirming run diverged the same way again.
    pub confirmed: bool,
    pub elapsed_ms: u64,
}

/// Smaller values to try for a number, smallest first.
fn smaller(v: u64) -> Vec<u64> {
    let mut out = vec![0, 1, v & 0xffff_ffff, v >> 32, v / 2, v.saturating_sub(1)];
    out.retain(|x| *x < v);
    out.dedup();
    out
}

fn clone3_candidates(c: &Clone3Call) -> Vec<Clone3Call> {
    let d = Clone3Call::default();
    let mut out: Vec<Clone3Call> = Vec::new();
    let mut with = |f: &dyn Fn(&mut Clone3Call)| {
        let mut n = c.clone();
        f(&mut n);
        out.push(n);
    };
    // Whole members back to their defaults first: they remove the most.
    with(&|n| n.set_tid = d.set_tid.clone());
    with(&|n| {
        n.stack = d.stack;
        n.stack_size = d.stack_size;
    });
    with(&|n| n.stack_size = d.stack_size);
    with(&|n| n.size = d.size);
    with(&|n| n.args_at = d.args_at);
    with(&|n| n.tail = d.tail);
    with(&|n| n.cgroup = d.cgroup);
    with(&|n| n.tls = d.tls);
    with(&|n| n.pidfd = d.pidfd);
    with(&|n| n.child_tid = d.child_tid);
    with(&|n| n.parent_tid = d.parent_tid);
    with(&|n| n.exit_signal = d.exit_signal);
    with(&|n| n.flags = 0);
    for bit in (0..64).rev() {
        if c.flags & (1 << bit) != 0 {
            with(&|n| n.flags &= !(1u64 << bit));
        }
    }
    for v in smaller(c.exit_signal) {
        with(&|n| n.exit_signal = v);
    }
    for v in smaller(c.stack_size) {
        with(&|n| n.stack_size = v);
    }
    if let StackSpec::Literal(a) = c.stack {
        with(&|n| {
            n.stack = StackSpec::Region {
                len: STACK_LEN,
                offset: 0,
            }
        });
        for v in smaller(a) {
            with(&|n| n.stack = StackSpec::Literal(v));
        }
    }
    if let Some((off, v)) = c.tail {
        for x in smaller(v) {
            with(&|n| n.tail = Some((off, x)));
        }
        if off > 88 {
            with(&|n| n.tail = Some((88, v)));
        }
    }
    match c.size {
        SizeArg::Literal(b) => {
            for v in smaller(b) {
                with(&|n| n.size = SizeArg::Literal(v));
            }
        }
        SizeArg::PageSizePlus(k) if k != 0 => with(&|n| n.size = SizeArg::PageSizePlus(0)),
        SizeArg::PageSizePlus(_) => {}
    }
    if let Placement::GuardAfter { mapped } = c.args_at {
        for v in smaller(u64::from(mapped)) {
            with(&|n| n.args_at = Placement::GuardAfter { mapped: v as u32 });
        }
    }
    if let CgroupSpec::Fd(fd) = c.cgroup {
        for v in smaller(fd) {
            with(&|n| n.cgroup = CgroupSpec::Fd(v));
        }
    }
    for (get, set) in [
        (
            c.pidfd,
            (&|n: &mut Clone3Call, p| n.pidfd = p) as &dyn Fn(&mut Clone3Call, Ptr),
        ),
        (c.child_tid, &|n: &mut Clone3Call, p| n.child_tid = p),
        (c.parent_tid, &|n: &mut Clone3Call, p| n.parent_tid = p),
        (c.tls, &|n: &mut Clone3Call, p| n.tls = p),
    ] {
        if let Ptr::Literal(_) | Ptr::TlsArea(_) = get {
            with(&|n| set(n, Ptr::Unmapped));
        }
        if let Ptr::TlsArea(off) = get {
            if off != 0 {
                with(&|n| set(n, Ptr::TlsArea(0)));
            }
        }
    }
    match &c.set_tid {
        SetTidSpec::Pids(p) => {
            if p.len() > 1 {
                with(&|n| n.set_tid = SetTidSpec::Pids(p[..p.len() - 1].to_vec()));
                with(&|n| n.set_tid = SetTidSpec::Pids(p[1..].to_vec()));
            }
            for i in 0..p.len() {
                let plain = chosen_pid((p.len() - 1 - i) as u32);
                for simpler in [PidValue::Literal(1), plain] {
                    if p[i] != simpler {
                        let mut q = p.clone();
                        q[i] = simpler;
                        with(&|n| n.set_tid = SetTidSpec::Pids(q.clone()));
                    }
                }
            }
        }
        SetTidSpec::Filled { value, len } => {
            for l in smaller(u64::from(*len)) {
                with(&|n| {
                    n.set_tid = SetTidSpec::Filled {
                        value: *value,
                        len: l as u32,
                    }
                });
            }
            with(&|n| n.set_tid = SetTidSpec::Pids(vec![PidValue::Literal(*value); *len as usize]));
        }
        SetTidSpec::PidsPlus4G(p) => {
            with(&|n| n.set_tid = SetTidSpec::Pids(p.clone()));
        }
        SetTidSpec::Literal { size, .. } => {
            with(&|n| n.set_tid = SetTidSpec::Unmapped { size: *size });
        }
        SetTidSpec::Null { size } | SetTidSpec::Unmapped { size } => {
            let unmapped = matches!(c.set_tid, SetTidSpec::Unmapped { .. });
            for s in smaller(*size) {
                with(&|n| {
                    n.set_tid = if unmapped {
                        SetTidSpec::Unmapped { size: s }
                    } else {
                        SetTidSpec::Null { size: s }
                    }
                });
            }
        }
    }
    out
}

fn legacy_candidates(l: &LegacyCall) -> Vec<LegacyCall> {
    let mut out = Vec::new();
    let mut with = |f: &dyn Fn(&mut LegacyCall)| {
        let mut n = l.clone();
        f(&mut n);
        out.push(n);
    };
    with(&|n| n.flags = SIGCHLD);
    with(&|n| n.stack = StackSpec::None);
    with(&|n| n.parent_tid = Ptr::Null);
    with(&|n| n.child_tid = Ptr::Null);
    with(&|n| n.tls = Ptr::Null);
    with(&|n| n.flags = (n.flags & !CSIGNAL) | SIGCHLD);
    for bit in (0..64).rev() {
        if l.flags & !CSIGNAL & (1 << bit) != 0 {
            with(&|n| n.flags &= !(1u64 << bit));
        }
    }
    out
}

/// Every one-step simplification of `case`, most removing first, each sanitized and
/// different from `case`.
pub fn candidates(case: &Case) -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    let mut push = |c: Case| {
        let c = sanitize(c);
        if c != *case && !out.contains(&c) {
            out.push(c);
        }
    };
    if !case.steps.is_empty() {
        push(Case {
            steps: Vec::new(),
            ..case.clone()
        });
    }
    if let Call::Legacy(_) = case.call {
        push(Case {
            call: Call::Clone3(Clone3Call::default()),
            ..case.clone()
        });
    }
    for i in 0..case.steps.len() {
        let mut steps = case.steps.clone();
        let step = steps.remove(i);
        push(Case {
            steps: steps.clone(),
            ..case.clone()
        });
        if let Step::NestPidNs { levels } = step {
            for l in smaller(u64::from(levels)) {
                let mut s = case.steps.clone();
                s[i] = Step::NestPidNs { levels: l as u32 };
                push(Case {
                    steps: s,
                    ..case.clone()
                });
            }
        }
        if let Step::KeepCaps { caps } = step {
            for bit in 0..64 {
                if caps & (1 << bit) != 0 {
                    let mut s = case.steps.clone();
                    s[i] = Step::KeepCaps {
                        caps: caps & !(1 << bit),
                    };
                    push(Case {
                        steps: s,
                        ..case.clone()
                    });
                }
            }
        }
    }
    match &case.call {
        Call::Clone3(c) => {
            for n in clone3_candidates(c) {
                push(Case {
                    call: Call::Clone3(n),
                    ..case.clone()
                });
            }
            // The natural slot for an output pointer is as plain as NULL for the catalog.
            for (p, s) in [
                (c.pidfd, SlotKind::Pidfd),
                (c.child_tid, SlotKind::ChildTid),
                (c.parent_tid, SlotKind::ParentTid),
            ] {
                if matches!(p, Ptr::Literal(_)) {
                    let mut n = c.clone();
                    match s {
                        SlotKind::Pidfd => n.pidfd = Ptr::Slot(s),
                        SlotKind::ChildTid => n.child_tid = Ptr::Slot(s),
                        SlotKind::ParentTid => n.parent_tid = Ptr::Slot(s),
                    }
                    push(Case {
                        call: Call::Clone3(n),
                        ..case.clone()
                    });
                }
            }
        }
        Call::Legacy(l) => {
            for n in legacy_candidates(l) {
                push(Case {
                    call: Call::Legacy(n),
                    ..case.clone()
                });
            }
        }
    }
    out
}

/// Shrinks `case`, whose run came out as `first`, within `budget`.
pub fn shrink(
    case: &Case,
    first: &Outcome,
    exec: &mut dyn Executor,
    budget: Duration,
) -> Result<Shrunk, String> {
    let start = Instant::now();
    let want = first.signature();
    let mut current = case.clone();
    let mut current_outcome = first.clone();
    let (mut steps, mut tried) = (0u32, 0u32);
    // Sanitizing can put back what a candidate removed (a thread's stack), so a walk could
    // go round in circles: never revisit a case, never grow.
    let mut seen = vec![current.clone()];
    while start.elapsed() < budget {
        let size = super::non_default_fields(&current);
        let mut cands: Vec<Case> = candidates(&current)
            .into_iter()
            .filter(|c| !seen.contains(c) && super::non_default_fields(c) <= size)
            .collect();
        if cands.is_empty() {
            break;
        }
        seen.extend(cands.iter().cloned());
        for (k, c) in cands.iter_mut().enumerate() {
            c.id = format!("{}.s{steps}.{k}", case.id);
        }
        let outcomes = exec.run(&cands)?;
        tried += cands.len() as u32;
        let Some((mut c, o)) = cands
            .into_iter()
            .zip(outcomes)
            .find(|(_, o)| o.diverges() && o.signature() == want)
        else {
            break;
        };
        c.id = case.id.clone();
        current = c;
        current_outcome = o;
        steps += 1;
    }
    let mut confirm = current.clone();
    confirm.id = format!("{}.shrunk", case.id);
    let again = exec.run(std::slice::from_ref(&confirm))?;
    let confirmed = again
        .first()
        .is_some_and(|o| o.diverges() && o.signature() == want);
    if let Some(o) = again.into_iter().next() {
        current_outcome = o;
    }
    Ok(Shrunk {
        case: confirm,
        outcome: current_outcome,
        steps,
        tried,
        confirmed,
        elapsed_ms: start.elapsed().as_millis() as u64,
    })
}
