//! The diff gate: what changed between a baseline report and the current one.
//!
//! Runs are matched by (arch, runner): first those whose kernel release is equal, then those
//! from the same release channel (a Debian release whose kernel version moves, such as
//! sid), then the rest in report order — a new kernel release is an environment change,
//! not a removed run.
//! Cases are then matched by id within each pair of runs.
//!
//! - new failure: PASS/SKIP → FAIL/ERROR, or a case added that fails or errors;
//! - fix: FAIL/ERROR → PASS;
//! - other verdict change: anything else (PASS → SKIP, FAIL → ERROR, ...);
//! - changed observation: same verdict, `observed_outcome` or `observed` differ;
//! - added / removed: case ids (and whole runs) present on one side only;
//! - environment change: kernel, qemu, payload build id, payload-reported environment.
//!
//! [`Diff::is_regression`] is true on any new failure or removed case.

use crate::model::{CaseResult, Report, Run, RunnerKind};
use cloneabi_arch::Arch;
use cloneabi_suites::verdict::Verdict;
use serde::Serialize;
use std::fmt::Write;

/// Where a case ran: (arch, runner) plus the kernel release on each side.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CaseKey {
    pub arch: Arch,
    pub runner: RunnerKind,
    pub case: String,
}

impl CaseKey {
    fn of(run: &Run, case: &str) -> CaseKey {
        CaseKey {
            arch: run.arch,
            runner: run.runner,
            case: case.to_string(),
        }
    }
}

/// One side of a change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Side {
    pub kernel: String,
    pub verdict: Verdict,
    pub observed_outcome: String,
    pub observed: String,
}

impl Side {
    fn of(c: &CaseResult) -> Side {
        Side {
            kernel: c.kernel.clone(),
            verdict: c.verdict,
            observed_outcome: c.observed_outcome.clone(),
            observed: c.observed.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    #[serde(flatten)]
    pub key: CaseKey,
    /// `None` for a case the baseline did not have.
    pub before: Option<Side>,
    pub after: Side,
}

/// A case present on one side only.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Presence {
    #[serde(flatten)]
    pub key: CaseKey,
    pub kernel: String,
    pub verdict: Verdict,
}

impl Presence {
    fn of(run: &Run, result: &CaseResult) -> Presence {
        Presence {
            key: CaseKey::of(run, &result.case),
            kernel: result.kernel.clone(),
            verdict: result.verdict,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EnvChange {
    /// `<arch>.<runner>` for a run, "report" for the report itself (tool, host).
    pub scope: String,
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Diff {
    pub new_failures: Vec<Change>,
    pub fixes: Vec<Change>,
    pub other_verdict_changes: Vec<Change>,
    pub changed_observations: Vec<Change>,
    pub added: Vec<Presence>,
    pub removed: Vec<Presence>,
    /// Run keys only in the current / only in the baseline report.
    pub runs_added: Vec<String>,
    pub runs_removed: Vec<String>,
    pub environment_changes: Vec<EnvChange>,
}

impl Diff {
    /// The gate: any new failure or removed case.
    pub fn is_regression(&self) -> bool {
        !self.new_failures.is_empty() || !self.removed.is_empty()
    }

    pub fn is_empty(&self) -> bool {
        *self == Diff::default()
    }

    pub fn to_json(&self) -> String {
        let mut v = serde_json::to_value(self).expect("serialisable");
        v["regression"] = self.is_regression().into();
        let mut s = serde_json::to_string_pretty(&v).expect("serialisable");
        s.push('\n');
        s
    }

    pub fn to_markdown(&self) -> String {
        let mut out = String::from("# cloneabi diff\n\n");
        let _ = writeln!(
            out,
            "**{}**: {} new failure(s), {} fix(es), {} other verdict change(s), {} changed \
             observation(s), {} case(s) added, {} removed, {} environment change(s).\n",
            if self.is_regression() {
                "REGRESSION"
            } else {
                "no regression"
            },
            self.new_failures.len(),
            self.fixes.len(),
            self.other_verdict_changes.len(),
            self.changed_observations.len(),
            self.added.len(),
            self.removed.len(),
            self.environment_changes.len()
        );
        changes_table(&mut out, "New failures", &self.new_failures);
        changes_table(&mut out, "Fixes", &self.fixes);
        changes_table(
            &mut out,
            "Other verdict changes",
            &self.other_verdict_changes,
        );
        changes_table(&mut out, "Changed observations", &self.changed_observations);
        presence_table(&mut out, "Removed cases", &self.removed);
        presence_table(&mut out, "Added cases", &self.added);
        for (title, runs) in [
            ("Runs removed", &self.runs_removed),
            ("Runs added", &self.runs_added),
        ] {
            if !runs.is_empty() {
                let _ = writeln!(out, "## {title}\n");
                for r in runs {
                    let _ = writeln!(out, "- `{}`", md(r));
                }
                out.push('\n');
            }
        }
        if !self.environment_changes.is_empty() {
            out.push_str(
                "## Environment changes\n\n| where | field | before | after |\n|---|---|---|---|\n",
            );
            for e in &self.environment_changes {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    md(&e.scope),
                    md(&e.field),
                    md(&e.before),
                    md(&e.after)
                );
            }
            out.push('\n');
        }
        out
    }
}

/// Text safe inside a Markdown table cell.
pub(crate) fn md(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace(['\n', '\r'], " ")
}

fn changes_table(out: &mut String, title: &str, changes: &[Change]) {
    if changes.is_empty() {
        return;
    }
    let _ = writeln!(out, "## {title}\n");
    out.push_str("| case | arch | runner | before | after |\n|---|---|---|---|---|\n");
    for c in changes {
        let before = match &c.before {
            Some(b) => format!(
                "{} `{}` ({})",
                b.verdict,
                md(&b.observed_outcome),
                md(&b.kernel)
            ),
            None => "(new case)".to_string(),
        };
        let a = &c.after;
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} `{}` ({}) |",
            md(&c.key.case),
            c.key.arch,
            c.key.runner.as_str(),
            before,
            a.verdict,
            md(&a.observed_outcome),
            md(&a.kernel)
        );
    }
    out.push('\n');
}

fn presence_table(out: &mut String, title: &str, items: &[Presence]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "## {title}\n");
    out.push_str("| case | arch | runner | kernel | verdict |\n|---|---|---|---|---|\n");
    for p in items {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            md(&p.key.case),
            p.key.arch,
            p.key.runner.as_str(),
            md(&p.kernel),
            p.verdict
        );
    }
    out.push('\n');
}

/// Pairs runs of the two reports by (arch, runner): equal kernel releases first, then equal
/// release channels, then in report order.
fn pair_runs<'a>(
    baseline: &'a Report,
    current: &'a Report,
) -> (Vec<(&'a Run, &'a Run)>, Vec<&'a Run>, Vec<&'a Run>) {
    let mut base_left: Vec<Option<&Run>> = baseline.runs.iter().map(Some).collect();
    let mut cur_left: Vec<Option<&Run>> = current.runs.iter().map(Some).collect();
    let mut pairs = Vec::new();
    let same_release = |b: &Run, c: &Run| b.kernel.release == c.kernel.release;
    let same_channel =
        |b: &Run, c: &Run| b.kernel.channel.is_some() && b.kernel.channel == c.kernel.channel;
    let any = |_: &Run, _: &Run| true;
    type Pairing<'a> = &'a dyn Fn(&Run, &Run) -> bool;
    let passes: [Pairing; 3] = [&same_release, &same_channel, &any];
    for matches in passes {
        for c in cur_left.iter_mut() {
            let Some(cur) = *c else { continue };
            let found = base_left.iter_mut().find(|b| {
                b.is_some_and(|b| b.arch == cur.arch && b.runner == cur.runner && matches(b, cur))
            });
            if let Some(slot) = found {
                pairs.push((slot.take().expect("found a Some"), cur));
                *c = None;
            }
        }
    }
    // Keep the current report's order for stable output.
    let order = |r: &Run| current.runs.iter().position(|x| std::ptr::eq(x, r));
    pairs.sort_by_key(|(_, c)| order(c));
    (
        pairs,
        base_left.into_iter().flatten().collect(),
        cur_left.into_iter().flatten().collect(),
    )
}

fn bad(v: Verdict) -> bool {
    matches!(v, Verdict::Fail | Verdict::Error)
}

/// What changed from `baseline` to `current`.
pub fn diff(baseline: &Report, current: &Report) -> Diff {
    let mut d = Diff::default();
    let (pairs, removed_runs, added_runs) = pair_runs(baseline, current);
    for (field, before, after) in [
        (
            "tool.version",
            &baseline.tool.version,
            &current.tool.version,
        ),
        (
            "host.kernel_release",
            &baseline.host.kernel_release,
            &current.host.kernel_release,
        ),
    ] {
        if before != after {
            d.environment_changes.push(EnvChange {
                scope: "report".into(),
                field: field.into(),
                before: before.clone(),
                after: after.clone(),
            });
        }
    }
    for (b, c) in &pairs {
        env_changes(&mut d.environment_changes, b, c);
        for cc in &c.results {
            match b.results.iter().find(|bc| bc.case == cc.case) {
                None => case_added(&mut d, c, cc),
                Some(bc) => {
                    let change = Change {
                        key: CaseKey::of(c, &cc.case),
                        before: Some(Side::of(bc)),
                        after: Side::of(cc),
                    };
                    if bc.verdict == cc.verdict {
                        if bc.observed_outcome != cc.observed_outcome || bc.observed != cc.observed
                        {
                            d.changed_observations.push(change);
                        }
                    } else if !bad(bc.verdict) && bad(cc.verdict) {
                        d.new_failures.push(change);
                    } else if bad(bc.verdict) && cc.verdict == Verdict::Pass {
                        d.fixes.push(change);
                    } else {
                        d.other_verdict_changes.push(change);
                    }
                }
            }
        }
        for bc in &b.results {
            if !c.results.iter().any(|cc| cc.case == bc.case) {
                d.removed.push(Presence::of(b, bc));
            }
        }
    }
    for b in removed_runs {
        d.runs_removed.push(b.key());
        for bc in &b.results {
            d.removed.push(Presence::of(b, bc));
        }
    }
    for c in added_runs {
        d.runs_added.push(c.key());
        for cc in &c.results {
            case_added(&mut d, c, cc);
        }
    }
    d
}

/// A case only the current report has: added, and a new failure when it does not pass.
fn case_added(d: &mut Diff, run: &Run, result: &CaseResult) {
    d.added.push(Presence::of(run, result));
    if bad(result.verdict) {
        d.new_failures.push(Change {
            key: CaseKey::of(run, &result.case),
            before: None,
            after: Side::of(result),
        });
    }
}

fn env_changes(out: &mut Vec<EnvChange>, b: &Run, c: &Run) {
    let mut push = |field: &str, before: String, after: String| {
        if before != after {
            out.push(EnvChange {
                scope: format!("{}.{}", c.arch, c.runner.as_str()),
                field: field.into(),
                before,
                after,
            });
        }
    };
    fn opt(o: &Option<String>) -> String {
        o.clone().unwrap_or_default()
    }
    push(
        "kernel.release",
        b.kernel.release.clone(),
        c.kernel.release.clone(),
    );
    push(
        "kernel.version",
        b.kernel.version.clone(),
        c.kernel.version.clone(),
    );
    push(
        "kernel.package_version",
        opt(&b.kernel.package_version),
        opt(&c.kernel.package_version),
    );
    push(
        "payload_build_id",
        b.payload_build_id.clone(),
        c.payload_build_id.clone(),
    );
    let q = |r: &Run, f: fn(&crate::model::QemuInfo) -> String| {
        r.qemu.as_ref().map(f).unwrap_or_default()
    };
    push(
        "qemu.version",
        q(b, |q| q.version.clone()),
        q(c, |q| q.version.clone()),
    );
    push(
        "qemu.machine",
        q(b, |q| opt(&q.machine)),
        q(c, |q| opt(&q.machine)),
    );
    push("qemu.cpu", q(b, |q| opt(&q.cpu)), q(c, |q| opt(&q.cpu)));
    push(
        "qemu.accelerator",
        q(b, |q| opt(&q.accelerator)),
        q(c, |q| opt(&q.accelerator)),
    );
    let e = |r: &Run, f: fn(&cloneabi_suites::observation::EnvReport) -> String| {
        r.env.as_ref().map(f).unwrap_or_default()
    };
    push(
        "env.page_size",
        e(b, |e| e.page_size.to_string()),
        e(c, |e| e.page_size.to_string()),
    );
    push(
        "env.uid",
        e(b, |e| e.uid.to_string()),
        e(c, |e| e.uid.to_string()),
    );
    push(
        "env.cap_effective",
        e(b, |e| format!("{:#x}", e.cap_effective)),
        e(c, |e| format!("{:#x}", e.cap_effective)),
    );
    push(
        "env.seccomp_mode",
        e(b, |e| e.seccomp_mode.to_string()),
        e(c, |e| e.seccomp_mode.to_string()),
    );
    push(
        "env.clone3_probe",
        e(b, |e| {
            format!("ret {} errno {}", e.clone3_probe_ret, e.clone3_probe_errno)
        }),
        e(c, |e| {
            format!("ret {} errno {}", e.clone3_probe_ret, e.clone3_probe_errno)
        }),
    );
    push(
        "env.cgroup2_errno",
        e(b, |e| e.cgroup2_errno.to_string()),
        e(c, |e| e.cgroup2_errno.to_string()),
    );
    push(
        "env.cgroup1_errno",
        e(b, |e| e.cgroup1_errno.to_string()),
        e(c, |e| e.cgroup1_errno.to_string()),
    );
    push(
        "env.namespaces",
        e(b, |e| format!("{:#04x}", e.namespaces)),
        e(c, |e| format!("{:#04x}", e.namespaces)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_report;

    fn find<'a>(
        r: &'a mut Report,
        arch: Arch,
        runner: RunnerKind,
        case: &str,
    ) -> &'a mut CaseResult {
        r.runs
            .iter_mut()
            .find(|x| x.arch == arch && x.runner == runner)
            .unwrap()
            .results
            .iter_mut()
            .find(|c| c.case == case)
            .unwrap()
    }

    #[test]
    fn identical_reports_have_an_empty_diff() {
        let r = sample_report();
        let d = diff(&r, &r);
        assert!(d.is_empty(), "{d:#?}");
        assert!(!d.is_regression());
        assert!(d.to_markdown().contains("no regression"));
    }

    #[test]
    fn classifies_each_kind_of_change() {
        let base = sample_report();
        let mut cur = base.clone();
        use RunnerKind::*;
        // PASS -> FAIL
        let c = find(&mut cur, Arch::X86_64, Native, "clone3.size.ver0");
        c.verdict = Verdict::Fail;
        c.observed_outcome = "EINVAL".into();
        // FAIL -> PASS
        let c = find(&mut cur, Arch::S390x, QemuUser, "clone3.tls.settls");
        c.verdict = Verdict::Pass;
        c.observed_outcome = "ok".into();
        // SKIP -> ERROR is a new failure; PASS -> SKIP is not.
        find(&mut cur, Arch::X86_64, Native, "clone3.into_cgroup").verdict = Verdict::Error;
        find(&mut cur, Arch::Aarch64, QemuSystem, "clone3.newtime").verdict = Verdict::Skip;
        // Same verdict, different observation.
        find(&mut cur, Arch::Aarch64, QemuUser, "clone3.stack.zero_size").observed_outcome =
            "E2BIG".into();
        // Removed case, added case.
        cur.runs[1]
            .results
            .retain(|c| c.case != "clone3.size.short");
        let mut extra = cur.runs[2].results[0].clone();
        extra.case = "clone3.new.case".into();
        cur.runs[2].results.push(extra);

        let d = diff(&base, &cur);
        let ids = |v: &[Change]| v.iter().map(|c| c.key.case.clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(&d.new_failures),
            ["clone3.size.ver0", "clone3.into_cgroup"]
        );
        assert_eq!(ids(&d.fixes), ["clone3.tls.settls"]);
        assert_eq!(ids(&d.other_verdict_changes), ["clone3.newtime"]);
        assert_eq!(ids(&d.changed_observations), ["clone3.stack.zero_size"]);
        assert_eq!(d.removed.len(), 1);
        assert_eq!(d.removed[0].key.case, "clone3.size.short");
        assert_eq!(d.added.len(), 1);
        assert!(d.is_regression());
        let md = d.to_markdown();
        assert!(md.contains("**REGRESSION**") && md.contains("## New failures"));
        let json: serde_json::Value = serde_json::from_str(&d.to_json()).unwrap();
        assert_eq!(json["regression"], true);
        assert_eq!(json["new_failures"][0]["case"], "clone3.size.ver0");
    }

    #[test]
    fn a_fix_alone_is_not_a_regression_but_a_removal_is() {
        let base = sample_report();
        let mut cur = base.clone();
        let c = find(
            &mut cur,
            Arch::S390x,
            RunnerKind::QemuUser,
            "clone3.tls.settls",
        );
        c.verdict = Verdict::Pass;
        let d = diff(&base, &cur);
        assert_eq!(d.fixes.len(), 1);
        assert!(!d.is_regression());
        cur.runs.pop();
        let d = diff(&base, &cur);
        assert!(d.is_regression());
        assert_eq!(d.runs_removed, [base.runs.last().unwrap().key()]);
    }

    #[test]
    fn new_kernel_release_is_an_environment_change_not_a_removal() {
        let base = sample_report();
        let mut cur = base.clone();
        let run = cur
            .runs
            .iter_mut()
            .find(|r| r.arch == Arch::S390x && r.runner == RunnerKind::QemuSystem)
            .unwrap();
        run.kernel.release = "6.12.91+deb13.1-s390x".into();
        run.results
            .iter_mut()
            .for_each(|c| c.kernel = "6.12.91+deb13.1-s390x".into());
        run.qemu.as_mut().unwrap().version = "10.1.0".into();
        run.payload_build_id = "sha256:feed".into();
        let d = diff(&base, &cur);
        assert!(d.removed.is_empty() && d.added.is_empty(), "{d:#?}");
        assert!(!d.is_regression());
        let fields: Vec<&str> = d
            .environment_changes
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(
            fields,
            ["kernel.release", "payload_build_id", "qemu.version"]
        );
        assert!(d
            .environment_changes
            .iter()
            .all(|e| e.scope == "s390x.qemu-system"));
        cur.tool.version = "0.2.0".into();
        let d = diff(&base, &cur);
        assert!(d
            .environment_changes
            .iter()
            .any(|e| e.scope == "report" && e.after == "0.2.0"));
        assert!(d.to_markdown().contains("6.12.91+deb13.1-s390x"));
    }

    #[test]
    fn runs_are_paired_by_release_channel_when_every_version_moved() {
        let mut base = sample_report();
        let template = base
            .runs
            .iter()
            .find(|r| r.arch == Arch::S390x && r.runner == RunnerKind::QemuSystem)
            .unwrap()
            .clone();
        let on = |channel: &str, release: &str| {
            let mut r = template.clone();
            r.kernel.channel = Some(channel.into());
            r.kernel.release = release.into();
            r.results.iter_mut().for_each(|c| c.kernel = release.into());
            r
        };
        base.runs.retain(|r| r.arch != Arch::S390x);
        base.runs
            .push(on("bookworm-backports", "6.12.95+deb12-s390x"));
        base.runs.push(on("sid", "7.2.13+deb14-s390x"));
        let mut cur = base.clone();
        cur.runs.retain(|r| r.arch != Arch::S390x);
        // Both channels moved, and the report lists them the other way round: only the
        // channel can pair them.
        let mut newest = on("sid", "7.3.1+deb14-s390x");
        newest.results[0].verdict = Verdict::Fail;
        cur.runs.push(newest);
        cur.runs
            .push(on("bookworm-backports", "6.12.96+deb12-s390x"));
        let d = diff(&base, &cur);
        assert!(d.removed.is_empty() && d.added.is_empty(), "{d:#?}");
        let changes: Vec<(&str, &str)> = d
            .environment_changes
            .iter()
            .filter(|e| e.field == "kernel.release")
            .map(|e| (e.before.as_str(), e.after.as_str()))
            .collect();
        assert_eq!(
            changes,
            [
                ("7.2.13+deb14-s390x", "7.3.1+deb14-s390x"),
                ("6.12.95+deb12-s390x", "6.12.96+deb12-s390x")
            ]
        );
        // A new failure on the new version still fails the gate.
        assert_eq!(d.new_failures.len(), 1, "{d:#?}");
        assert!(d.is_regression());
    }

    #[test]
    fn added_failing_case_counts_as_new_failure_and_markdown_escapes() {
        let base = sample_report();
        let mut cur = base.clone();
        let mut extra = cur.runs[0].results[0].clone();
        extra.case = "clone3.pipe|case".into();
        extra.verdict = Verdict::Fail;
        cur.runs[0].results.push(extra);
        let d = diff(&base, &cur);
        assert_eq!(d.new_failures.len(), 1);
        assert!(d.new_failures[0].before.is_none());
        assert!(d.is_regression());
        assert!(d.to_markdown().contains("clone3.pipe\\|case"));
    }
}
