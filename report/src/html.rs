//! The HTML report (`cloneabi report REPORT.json... --html FILE`): one self-contained page,
//! inline CSS and JS, nothing fetched.
//!
//! - a summary table, one row per arch (runs, pass/fail/skip/error counts, wall time);
//! - the matrix: one row per case id, one column per run, grouped by arch then kernel then
//!   runner; one colour per verdict with a legend; a FAIL/ERROR cell is a `<details>` that
//!   opens on its expected/observed/reason and its log (or the run's console excerpt);
//!   SKIP cells carry their reason as a tooltip; a footer row counts each column;
//! - the differential ([`crate::differential`]) and, per run, its environment, findings,
//!   error and console excerpt;
//! - when the report holds `cloneabi fuzz` campaigns ([`crate::campaign`]), a Divergences
//!   section: per campaign its seed and counts, and a table with one row per divergence
//!   (case, verdict, classification and its basis, expected against observed field by field,
//!   the shrunk case's size and confirmation, the second run), each opening on its catalog
//!   entry, C reproducer and console excerpt.
//!
//! Every piece of report text goes through [`esc`].

use crate::campaign::Classification;
use crate::differential::{differential, Differential};
use crate::model::{CaseResult, Counts, Report, Run};
use cloneabi_arch::Arch;
use cloneabi_suites::verdict::Verdict;
use std::fmt::Write;
use std::path::Path;

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root { --pass:#cdebc9; --pass-fg:#1b5e20; --fail:#f8c4c4; --fail-fg:#a01010;
  --skip:#fbeec1; --skip-fg:#7a5c00; --error:#e4cdf0; --error-fg:#5c1a80; --none:#eeeeee; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.2em 2em; color: #1d1d1d; }
h1 { font-size: 1.5em; margin: 0 0 .2em; } h2 { font-size: 1.15em; margin: 1.4em 0 .4em; }
.meta { color: #555; margin-bottom: 1em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #c9c9c9; padding: 3px 7px; }
th { background: #f1f3f5; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
#matrix th.case, #matrix td.case { text-align: left; font-family: ui-monospace, monospace;
  white-space: nowrap; position: sticky; left: 0; background: #fafafa; z-index: 1; }
#matrix thead th { position: sticky; top: 0; z-index: 2; }
#matrix thead tr:nth-child(2) th { top: 1.9em; }
#matrix th.col { font-size: 11px; font-weight: 500; max-width: 8em; }
.scroll { overflow-x: auto; padding-bottom: 16em; margin-bottom: -15em; }
#matrix td.cell { text-align: center; font-size: 12px; font-weight: 600; min-width: 4.5em;
  position: relative; }
.v-pass { background: var(--pass); color: var(--pass-fg); }
.v-fail { background: var(--fail); color: var(--fail-fg); }
.v-skip { background: var(--skip); color: var(--skip-fg); }
.v-error { background: var(--error); color: var(--error-fg); }
.v-none { background: var(--none); color: #888; }
td.cell details summary { cursor: pointer; list-style: none; }
td.cell details summary::after { content: " \25B8"; }
td.cell details[open] summary::after { content: " \25BE"; }
td.cell .detail { position: absolute; left: 0; top: 100%; z-index: 5; width: 30em;
  text-align: left; font-weight: 400; color: #1d1d1d; background: #fff;
  border: 1px solid #999; box-shadow: 0 3px 12px rgba(0,0,0,.25); padding: .5em .7em; }
.detail dt { font-weight: 600; } .detail dd { margin: 0 0 .3em 0; font-family: ui-monospace, monospace; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: .4em .6em; white-space: pre-wrap;
  font-size: 12px; max-height: 14em; overflow: auto; margin: .2em 0; }
.legend span { display: inline-block; padding: 2px 9px; margin-right: .5em; border-radius: 3px;
  font-weight: 600; font-size: 12px; }
tfoot td { font-size: 11px; color: #333; text-align: center; background: #f7f7f7; }
.run { border: 1px solid #ddd; border-radius: 4px; padding: .4em .8em; margin: .5em 0; }
.run.bad { border-left: 5px solid var(--fail-fg); }
.controls { margin: .4em 0; }
"#;

const JS: &str = r#"
(function () {
  var box = document.getElementById('only-bad');
  var rows = document.querySelectorAll('#matrix tbody tr');
  box.addEventListener('change', function () {
    rows.forEach(function (r) {
      r.hidden = box.checked && !r.querySelector('td.v-fail, td.v-error');
    });
  });
  document.getElementById('open-all').addEventListener('click', function () {
    var ds = document.querySelectorAll('#matrix details');
    var open = !Array.prototype.every.call(ds, function (d) { return d.open; });
    ds.forEach(function (d) { d.open = open; });
  });
  document.body.setAttribute('data-ready', '1');
})();
"#;

/// Escaped text that may wrap after `+` and `-` (long kernel releases in column headers).
fn breakable(text: &str) -> String {
    esc(text).replace('+', "+<wbr>").replace('-', "-<wbr>")
}

fn verdict_class(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "v-pass",
        Verdict::Fail => "v-fail",
        Verdict::Skip => "v-skip",
        Verdict::Error => "v-error",
    }
}

fn label(c: &CaseResult) -> &'static str {
    match c.verdict {
        Verdict::Error if c.is_timeout() => "TIMEOUT",
        Verdict::Error if c.is_lost() => "LOST",
        v => v.as_str(),
    }
}

fn wall(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// Runs in matrix order: arch (cloneabi's order), kernel, runner.
fn columns(report: &Report) -> Vec<&Run> {
    let mut runs: Vec<&Run> = report.runs.iter().collect();
    runs.sort_by(|a, b| {
        (a.arch, &a.kernel.release, a.runner).cmp(&(b.arch, &b.kernel.release, b.runner))
    });
    runs
}

/// Case ids in first-seen order.
fn rows(report: &Report) -> Vec<&str> {
    let mut ids: Vec<&str> = Vec::new();
    for run in &report.runs {
        for c in &run.results {
            if !ids.contains(&c.case.as_str()) {
                ids.push(&c.case);
            }
        }
    }
    ids
}

fn cell(out: &mut String, run: &Run, case: Option<&CaseResult>) {
    let Some(c) = case else {
        out.push_str("<td class=\"cell v-none\" data-verdict=\"NONE\">&ndash;</td>");
        return;
    };
    let class = verdict_class(c.verdict);
    let verdict = c.verdict.as_str();
    match c.verdict {
        Verdict::Pass => {
            let _ = write!(
                out,
                "<td class=\"cell {class}\" data-verdict=\"{verdict}\" title=\"{}\">PASS</td>",
                esc(&format!("{}: {}", c.case, c.observed))
            );
        }
        Verdict::Skip => {
            let _ = write!(
                out,
                "<td class=\"cell {class}\" data-verdict=\"{verdict}\" title=\"{}\">SKIP</td>",
                esc(&c.reason)
            );
        }
        Verdict::Fail | Verdict::Error => {
            let _ = write!(
                out,
                "<td class=\"cell {class}\" data-verdict=\"{verdict}\"><details><summary>{}</summary>\
                 <div class=\"detail\"><dl><dt>case</dt><dd>{}</dd><dt>run</dt><dd>{}</dd>\
                 <dt>expected</dt><dd>{}</dd><dt>observed</dt><dd>{}</dd>\
                 <dt>outcome</dt><dd>expected {} / observed {}</dd>",
                label(c),
                esc(&c.case),
                esc(&run.title()),
                esc(&c.expected),
                esc(&c.observed),
                esc(&c.expected_outcome),
                esc(&c.observed_outcome)
            );
            if !c.reason.is_empty() {
                let _ = write!(out, "<dt>reason</dt><dd>{}</dd>", esc(&c.reason));
            }
            out.push_str("</dl>");
            if let Some(log) = &c.log {
                let _ = write!(out, "<div>log</div><pre>{}</pre>", esc(log));
            } else if let (Verdict::Error, Some(console)) = (c.verdict, &run.console_excerpt) {
                let _ = write!(out, "<div>console excerpt</div><pre>{}</pre>", esc(console));
            }
            out.push_str("</div></details></td>");
        }
    }
}

fn summary_table(out: &mut String, report: &Report) {
    out.push_str(
        "<h2>Summary</h2>\n<table id=\"summary\"><thead><tr><th>arch</th><th>runs</th>\
         <th>pass</th><th>fail</th><th>skip</th><th>error</th><th>broken runs</th>\
         <th>wall time</th></tr></thead><tbody>\n",
    );
    for arch in Arch::ALL {
        let runs: Vec<&Run> = report.runs.iter().filter(|r| r.arch == arch).collect();
        if runs.is_empty() {
            continue;
        }
        let c = Counts::of(runs.iter().flat_map(|r| &r.results));
        let broken = runs.iter().filter(|r| r.error.is_some()).count();
        let ms: u64 = runs.iter().map(|r| r.wall_time_ms).sum();
        let _ = writeln!(
            out,
            "<tr data-arch=\"{arch}\"><th>{arch}</th><td class=\"num\">{}</td>\
             <td class=\"num v-pass\">{}</td><td class=\"num v-fail\">{}</td>\
             <td class=\"num v-skip\">{}</td><td class=\"num v-error\">{}</td>\
             <td class=\"num\">{broken}</td><td class=\"num\">{}</td></tr>",
            runs.len(),
            c.pass,
            c.fail,
            c.skip,
            c.error,
            wall(ms)
        );
    }
    out.push_str("</tbody></table>\n");
}

fn matrix(out: &mut String, report: &Report) {
    let cols = columns(report);
    let ids = rows(report);
    out.push_str("<h2>Matrix</h2>\n<p class=\"legend\">");
    for (v, text) in [
        (Verdict::Pass, "PASS: matches the model"),
        (
            Verdict::Fail,
            "FAIL: contradicts the model (click for details)",
        ),
        (Verdict::Skip, "SKIP: not run (hover for the reason)"),
        (
            Verdict::Error,
            "ERROR / TIMEOUT / LOST: the case or run broke",
        ),
    ] {
        let _ = write!(
            out,
            "<span class=\"{}\">{}</span>",
            verdict_class(v),
            esc(text)
        );
    }
    out.push_str("<span class=\"v-none\">&ndash; not in this run</span></p>\n");
    out.push_str(
        "<div class=\"controls\"><label><input type=\"checkbox\" id=\"only-bad\"> only cases \
         that fail or error somewhere</label> <button id=\"open-all\" type=\"button\">open/close \
         all details</button></div>\n",
    );
    out.push_str("<div class=\"scroll\"><table id=\"matrix\"><thead><tr><th class=\"case\" rowspan=\"2\">case</th>");
    let mut i = 0;
    while i < cols.len() {
        let arch = cols[i].arch;
        let span = cols[i..].iter().take_while(|r| r.arch == arch).count();
        let name = if arch.is_compat() {
            format!("{arch} on {}", arch.kernel_abi())
        } else {
            arch.to_string()
        };
        let _ = write!(out, "<th colspan=\"{span}\">{}</th>", esc(&name));
        i += span;
    }
    out.push_str("</tr><tr>");
    for run in &cols {
        let _ = write!(
            out,
            "<th class=\"col\" data-run=\"{}\">{}<br>{}</th>",
            esc(&run.key()),
            esc(run.runner.as_str()),
            breakable(&run.kernel.release)
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for id in &ids {
        let _ = write!(out, "<tr><td class=\"case\">{}</td>", esc(id));
        for run in &cols {
            cell(out, run, run.results.iter().find(|c| c.case == *id));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody><tfoot><tr><td class=\"case\">pass / fail / skip / error</td>");
    for run in &cols {
        let c = run.counts();
        let _ = write!(
            out,
            "<td>{} / {} / {} / {}</td>",
            c.pass, c.fail, c.skip, c.error
        );
    }
    out.push_str("</tr></tfoot></table></div>\n");
}

fn differential_section(out: &mut String, d: &Differential) {
    out.push_str("<h2>Differential</h2>\n");
    if d.is_empty() {
        out.push_str(
            "<p id=\"differential\">No unexplained differences across arches or runners.</p>\n",
        );
        return;
    }
    out.push_str(
        "<p>Cases whose observed outcome differs across arches or runners where the model \
         does not predict the difference; &ne; marks an observation that differs from its \
         expectation.</p>\n<table id=\"differential\"><thead><tr><th>case</th><th>compared</th>\
         <th>run</th><th>expected</th><th>observed</th><th>verdict</th></tr></thead><tbody>\n",
    );
    for e in &d.entries {
        for (i, m) in e.members.iter().enumerate() {
            out.push_str("<tr>");
            if i == 0 {
                let n = e.members.len();
                let _ = write!(
                    out,
                    "<td rowspan=\"{n}\" class=\"case\">{}</td><td rowspan=\"{n}\">{}</td>",
                    esc(&e.case),
                    esc(&e.axis.describe())
                );
            }
            let mark = if m.as_expected() { "" } else { " &ne;" };
            let _ = writeln!(
                out,
                "<td>{}</td><td>{}</td><td>{}{mark}</td><td class=\"{}\">{}</td></tr>",
                esc(&m.label()),
                esc(&m.expected_outcome),
                esc(&m.observed_outcome),
                verdict_class(m.verdict),
                m.verdict
            );
        }
    }
    out.push_str("</tbody></table>\n");
}

fn runs_section(out: &mut String, report: &Report) {
    out.push_str("<h2>Runs and findings</h2>\n");
    for run in columns(report) {
        let bad = if run.is_bad() { " bad" } else { "" };
        let _ = write!(
            out,
            "<div class=\"run{bad}\"><strong>{}</strong> ({})",
            esc(&run.title()),
            esc(&run.key())
        );
        let _ = write!(
            out,
            " &middot; payload {} &middot; {}",
            esc(&run.payload_build_id),
            wall(run.wall_time_ms)
        );
        if let Some(q) = &run.qemu {
            let _ = write!(
                out,
                " &middot; {} {} {} {} {}",
                esc(&q.binary),
                esc(&q.version),
                esc(q.machine.as_deref().unwrap_or("")),
                esc(q.cpu.as_deref().unwrap_or("")),
                esc(q.accelerator.as_deref().unwrap_or(""))
            );
        }
        if let Some(env) = &run.env {
            let _ = write!(
                out,
                " &middot; page size {} &middot; uid {} &middot; seccomp {} &middot; clone3 probe {} (errno {})",
                env.page_size, env.uid, env.seccomp_mode, env.clone3_probe_ret, env.clone3_probe_errno
            );
        }
        if !run.findings.is_empty() {
            out.push_str("<ul class=\"findings\">");
            for f in &run.findings {
                let _ = write!(out, "<li>{}</li>", esc(f));
            }
            out.push_str("</ul>");
        }
        if let Some(e) = &run.error {
            let _ = write!(out, "<p class=\"v-error\">run error: {}</p>", esc(e));
        }
        if let Some(c) = &run.console_excerpt {
            let _ = write!(
                out,
                "<details><summary>console excerpt</summary><pre>{}</pre></details>",
                esc(c)
            );
        }
        out.push_str("</div>\n");
    }
}

fn classification_class(c: Classification) -> &'static str {
    match c {
        Classification::Kernel => "v-fail",
        Classification::Model => "v-skip",
        Classification::EmulatorOrSandbox => "v-error",
    }
}

fn divergences_section(out: &mut String, report: &Report) {
    if report.campaigns.is_empty() {
        return;
    }
    out.push_str("<h2>Divergences</h2>\n");
    for c in &report.campaigns {
        let bad = if c.is_bad() { " bad" } else { "" };
        let _ = writeln!(
            out,
            "<div class=\"run{bad}\" data-campaign=\"{}\"><strong>{}</strong> &middot; seed {} \
             &middot; {} cases &middot; {} divergent, {} distinct &middot; {}",
            esc(&c.key()),
            esc(&c.key()),
            c.seed,
            c.cases,
            c.divergent_cases,
            c.divergences.len(),
            wall(c.wall_time_ms)
        );
        for e in &c.run_errors {
            let _ = write!(out, "<p class=\"v-error\">run error: {}</p>", esc(e));
        }
        if c.divergences.is_empty() {
            out.push_str("<p>No divergence.</p></div>\n");
            continue;
        }
        out.push_str(
            "<table class=\"divergences\"><thead><tr><th>case</th><th>verdict</th>\
             <th>classification</th><th>expected / observed</th><th>shrunk</th>\
             <th>second run</th></tr></thead><tbody>\n",
        );
        for d in &c.divergences {
            let _ = write!(
                out,
                "<tr data-divergence=\"{}\" data-classification=\"{}\"><td class=\"case\">{}<br>\
                 <small>{} case(s) like it</small></td><td class=\"{}\">{}</td>\
                 <td class=\"{}\"><strong>{}</strong><br><small>{}</small></td><td><dl class=\"detail\">",
                esc(&d.case),
                d.classification,
                esc(&d.case),
                d.count,
                verdict_class(d.verdict),
                d.verdict,
                classification_class(d.classification),
                d.classification,
                esc(&d.basis)
            );
            for f in &d.fields {
                let _ = write!(
                    out,
                    "<dt>{}</dt><dd>expected {}<br>observed {}</dd>",
                    esc(&f.field),
                    esc(&f.expected),
                    esc(&f.observed)
                );
            }
            let confirmed = match d.shrunk_confirmed {
                Some(true) => "confirmed",
                Some(false) => "NOT confirmed",
                None => "not shrunk",
            };
            let _ = writeln!(
                out,
                "</dl></td><td>{} non-default field(s), {confirmed}</td><td>{}</td></tr>",
                d.non_default_fields,
                d.second_run.as_ref().map_or_else(
                    || "none".to_string(),
                    |r| esc(&format!("{}: {} {}", r.kernel, r.verdict, r.observed))
                )
            );
            let _ = write!(
                out,
                "<tr><td colspan=\"6\"><details><summary>catalog entry, C reproducer, console \
                 of {}</summary><pre>{}</pre>",
                esc(&d.case),
                esc(&d.catalog_entry)
            );
            match (&d.c_reproducer, &d.no_c_reproducer) {
                (Some(c), _) => {
                    let _ = write!(out, "<div>C reproducer</div><pre>{}</pre>", esc(c));
                }
                (None, Some(why)) => {
                    let _ = write!(out, "<p>no C reproducer: {}</p>", esc(why));
                }
                (None, None) => {}
            }
            if let Some(console) = &d.console_excerpt {
                let _ = write!(out, "<div>console excerpt</div><pre>{}</pre>", esc(console));
            }
            out.push_str("</details></td></tr>\n");
        }
        out.push_str("</tbody></table></div>\n");
    }
}

/// The page for one report.
pub fn render_report(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
    );
    let _ = writeln!(
        out,
        "<title>cloneabi report {}</title>",
        esc(&report.created)
    );
    let _ = writeln!(out, "<style>{CSS}</style></head><body>");
    let _ = writeln!(out, "<h1>cloneabi: clone3() ABI conformance</h1>");
    let _ = writeln!(
        out,
        "<div class=\"meta\">{} {} &middot; report {} &middot; host {} ({}, {}) &middot; {} runs</div>",
        esc(&report.tool.name),
        esc(&report.tool.version),
        esc(&report.created),
        esc(&report.host.hostname),
        esc(&report.host.arch),
        esc(&report.host.kernel_release),
        report.runs.len()
    );
    summary_table(&mut out, report);
    matrix(&mut out, report);
    differential_section(&mut out, &differential(report));
    runs_section(&mut out, report);
    divergences_section(&mut out, report);
    let _ = writeln!(out, "<script>{JS}</script>\n</body></html>");
    out
}

/// The page for several reports, merged ([`Report::merged`]).
pub fn render(reports: &[Report]) -> String {
    render_report(&Report::merged(reports))
}

/// Writes the page to `path`.
pub fn write(reports: &[Report], path: &Path) -> std::io::Result<()> {
    std::fs::write(path, render(reports))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_report;

    fn count(hay: &str, needle: &str) -> usize {
        hay.matches(needle).count()
    }

    #[test]
    fn one_cell_per_case_and_run_coloured_by_verdict() {
        let r = sample_report();
        let html = render_report(&r);
        let ids = rows(&r).len();
        assert_eq!(count(&html, "<td class=\"cell "), ids * r.runs.len());
        let all: Vec<&CaseResult> = r.runs.iter().flat_map(|x| &x.results).collect();
        for v in [Verdict::Pass, Verdict::Fail, Verdict::Skip, Verdict::Error] {
            let n = all.iter().filter(|c| c.verdict == v).count();
            assert_eq!(count(&html, &format!("data-verdict=\"{v}\"")), n, "{v}");
        }
        // Every FAIL/ERROR opens on its details.
        let bad = all.iter().filter(|c| c.is_bad()).count();
        assert_eq!(count(&html, "\"><details><summary>"), bad);
        assert!(html.contains(">TIMEOUT</summary>") && html.contains(">LOST</summary>"));
        assert!(html.contains("qemu: uncaught target signal 11"));
        assert!(html.contains("Kernel panic - not syncing"));
    }

    #[test]
    fn self_contained_and_has_every_section() {
        let html = render(&[sample_report()]);
        for needle in [
            "<table id=\"summary\"",
            "<table id=\"matrix\"",
            "id=\"differential\"",
            "Runs and findings",
            "class=\"legend\"",
        ] {
            assert!(html.contains(needle), "{needle}");
        }
        for arch in Arch::ALL {
            assert!(
                html.contains(&format!("<tr data-arch=\"{arch}\">")),
                "{arch}"
            );
        }
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "network reference"
        );
        assert!(!html.contains("<link") && !html.contains("src="));
        assert!(html.contains("clone3.tls.settls") && html.contains("across runners (s390x)"));
    }

    #[test]
    fn divergences_have_a_section_with_their_classification() {
        let mut r = sample_report();
        assert!(!render_report(&r).contains("<h2>Divergences</h2>"));
        let c = crate::sample::sample_campaign();
        r.campaigns.push(c.clone());
        let html = render_report(&r);
        assert!(html.contains("<h2>Divergences</h2>"));
        assert_eq!(count(&html, "<tr data-divergence="), c.divergences.len());
        for d in &c.divergences {
            assert!(html.contains(&format!(
                "data-divergence=\"{}\" data-classification=\"{}\"",
                d.case, d.classification
            )));
            assert!(html.contains(&esc(&d.basis)), "{}", d.basis);
            assert!(html.contains(&esc(&d.fields[0].observed)));
            assert!(html.contains(&esc(&d.catalog_entry)));
        }
        // The page still has one script: ours.
        assert_eq!(count(&html, "<script>"), 1);
    }

    #[test]
    fn everything_is_escaped() {
        let mut r = sample_report();
        r.runs.truncate(1);
        let c = &mut r.runs[0].results[0];
        c.case = "<script>alert(1)</script>".into();
        c.verdict = Verdict::Fail;
        c.observed = "\"><img onerror=x>".into();
        c.log = Some("</pre><b>".into());
        r.runs[0].findings.push("<i>finding</i>".into());
        r.host.hostname = "<h>".into();
        let html = render_report(&r);
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("<img"));
        assert!(!html.contains("</pre><b>"));
        assert!(!html.contains("<i>finding"));
        assert!(!html.contains("<h>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert_eq!(esc("a&'\""), "a&amp;&#39;&quot;");
        // Exactly one script element: ours.
        assert_eq!(count(&html, "<script>"), 1);
    }

    #[test]
    fn columns_grouped_by_arch_then_kernel_then_runner() {
        let r = sample_report();
        let cols = columns(&r);
        assert!(cols
            .windows(2)
            .all(|w| (w[0].arch, &w[0].kernel.release, w[0].runner)
                <= (w[1].arch, &w[1].kernel.release, w[1].runner)));
        let html = render_report(&r);
        assert!(html.contains("<th colspan=\"2\">x86_64</th>"));
    }
}
