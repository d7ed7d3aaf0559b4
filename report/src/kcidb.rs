//! KCIDB I/O schema v5.3 (kcidb-io `kcidb_io.schema.V5_3`) submission.
//!
//! - `checkouts`: one per kernel release: what was tested.
//! - `builds`: one per (arch, kernel release): `architecture` = cloneabi arch name,
//!   `config_name` = the Debian package when cloneabi provisioned the kernel, else
//!   "unknown" (a native or qemu-user run tests whatever kernel the host runs),
//!   `status` PASS (the kernel booted/ran the payload).
//! - `tests`: one per case result, plus one with path `cloneabi_run` and status ERROR for
//!   each run that broke. `id` = `cloneabi:<128-bit FNV-1a of created, host, arch, runner,
//!   kernel, case>` (stable for the same report), `path` = the case id (characters KCIDB
//!   paths do not allow become `_`), `status` PASS/FAIL/ERROR/SKIP, MISS for lost records,
//!   `environment.comment` = runner + qemu machine/cpu/accelerator, `environment.misc`
//!   the same as fields, `misc` = expected/observed/outcomes/reason/payload build id,
//!   `start_time` = report creation time, `duration` in seconds, `log_excerpt` (≤ 16384
//!   characters) for FAIL/ERROR/MISS.
//!
//! - a fuzz campaign's divergences ([`crate::campaign`]): one test each, path
//!   `cloneabi_fuzz.seed<seed>.case<index>`, status FAIL (ERROR when classified
//!   emulator-or-sandbox), `misc.classification` and `misc.classification_basis`, the
//!   diverging fields, catalog entry and C reproducer in `log_excerpt`; its kernel gets a
//!   checkout and build like a run's.
//!
//! Optional values are left out, never `null`; only properties of the schema are written.

use crate::campaign::{Campaign, Classification, Divergence};
use crate::model::{CaseResult, KernelInfo, Report, Run};
use cloneabi_arch::Arch;
use cloneabi_suites::verdict::Verdict;
use serde::Serialize;
use serde_json::{Map, Value};

pub const ORIGIN: &str = "cloneabi";
/// KCIDB limit on `log_excerpt` (characters).
pub const LOG_EXCERPT_MAX: usize = 16384;

#[derive(Clone, Debug, Serialize)]
pub struct Document {
    pub version: Version,
    pub checkouts: Vec<Checkout>,
    pub builds: Vec<Build>,
    pub tests: Vec<Test>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Checkout {
    pub id: String,
    pub origin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tree_name: Option<String>,
    pub comment: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    pub valid: bool,
    pub misc: Map<String, Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Build {
    pub id: String,
    pub checkout_id: String,
    pub origin: String,
    pub architecture: String,
    pub config_name: String,
    pub comment: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    pub status: &'static str,
    pub misc: Map<String, Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Test {
    pub id: String,
    pub build_id: String,
    pub origin: String,
    pub path: String,
    pub status: &'static str,
    pub environment: Environment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    pub duration: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_excerpt: Option<String>,
    pub misc: Map<String, Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Environment {
    pub comment: String,
    pub misc: Map<String, Value>,
}

/// 128-bit FNV-1a of the parts (each followed by a 0 byte), as 32 hex digits.
pub fn stable_hash(parts: &[&str]) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut h = OFFSET;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u128::from(b);
            h = h.wrapping_mul(PRIME);
        }
    }
    format!("{h:032x}")
}

/// A KCIDB test path: dot-separated components of `[A-Za-z0-9_-]`.
pub fn kcidb_path(case: &str) -> String {
    case.split('.')
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' {
                        ch
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// KCIDB status of a case.
pub fn status(case: &CaseResult) -> &'static str {
    match case.verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
        Verdict::Skip => "SKIP",
        Verdict::Error if case.is_lost() => "MISS",
        Verdict::Error => "ERROR",
    }
}

fn clean(text: &str) -> String {
    text.replace('\0', "")
}

fn excerpt(text: &str) -> String {
    let text = clean(text);
    if text.chars().count() <= LOG_EXCERPT_MAX {
        return text;
    }
    // Keep the end: the last lines before a failure matter most.
    const MARK: &str = "[...]\n";
    let keep = LOG_EXCERPT_MAX - MARK.len();
    let skip = text.chars().count() - keep;
    let tail: String = text.chars().skip(skip).collect();
    format!("{MARK}{tail}")
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        map.insert(key.to_string(), Value::String(clean(v)));
    }
}

fn start_time(report: &Report) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(&report.created)
        .ok()
        .map(|_| report.created.clone())
}

fn checkout_id(kernel: &KernelInfo) -> String {
    format!("{ORIGIN}:{}", stable_hash(&["checkout", &kernel.release]))
}

fn build_id(arch: Arch, kernel: &KernelInfo) -> String {
    format!(
        "{ORIGIN}:{}",
        stable_hash(&["build", arch.name(), &kernel.release])
    )
}

/// The checkout of `k`, added unless there is one: its id.
fn add_checkout(checkouts: &mut Vec<Checkout>, k: &KernelInfo, start: &Option<String>) -> String {
    let cid = checkout_id(k);
    if let Some(c) = checkouts.iter_mut().find(|c| c.id == cid) {
        if let (false, Some(p), Some(v)) = (
            c.misc.contains_key("package"),
            &k.package,
            &k.package_version,
        ) {
            put(&mut c.misc, "package", Some(p));
            put(&mut c.misc, "package_version", Some(v));
            c.tree_name = Some("debian".into());
            c.comment = clean(&format!("Linux {} ({p} {v})", k.release));
        }
    } else {
        let mut misc = Map::new();
        put(&mut misc, "kernel_release", Some(&k.release));
        put(&mut misc, "kernel_version", Some(&k.version));
        put(&mut misc, "package", k.package.as_deref());
        put(&mut misc, "package_version", k.package_version.as_deref());
        let mut comment = format!("Linux {}", k.release);
        if let (Some(p), Some(v)) = (&k.package, &k.package_version) {
            comment.push_str(&format!(" ({p} {v})"));
        }
        checkouts.push(Checkout {
            id: cid.clone(),
            origin: ORIGIN.into(),
            tree_name: k.package.as_ref().map(|_| "debian".to_string()),
            comment: clean(&comment),
            start_time: start.clone(),
            valid: true,
            misc,
        });
    }
    cid
}

/// The build of (`arch`, `k`), added unless there is one: its id.
fn add_build(
    builds: &mut Vec<Build>,
    arch: Arch,
    k: &KernelInfo,
    cid: &str,
    payload_build_id: Option<&str>,
    start: &Option<String>,
) -> String {
    let bid = build_id(arch, k);
    if let Some(b) = builds.iter_mut().find(|b| b.id == bid) {
        // Same arch and kernel seen natively first: take the package name when a
        // provisioned run knows it.
        if let (true, Some(p)) = (b.config_name == "unknown", &k.package) {
            b.config_name = clean(p);
        }
    } else {
        let mut misc = Map::new();
        put(&mut misc, "kernel_release", Some(&k.release));
        put(&mut misc, "payload_build_id", payload_build_id);
        builds.push(Build {
            id: bid.clone(),
            checkout_id: cid.to_string(),
            origin: ORIGIN.into(),
            architecture: arch.name().into(),
            config_name: clean(k.package.as_deref().unwrap_or("unknown")),
            comment: clean(&format!("{arch} kernel {}", k.release)),
            start_time: start.clone(),
            status: "PASS",
            misc,
        });
    }
    bid
}

/// KCIDB status of a divergence: FAIL, except ERROR when the emulator or sandbox broke
/// (the test could not complete; the kernel's answer is unknown).
pub fn divergence_status(d: &Divergence) -> &'static str {
    match d.classification {
        Classification::EmulatorOrSandbox => "ERROR",
        Classification::Kernel | Classification::Model => "FAIL",
    }
}

fn campaign_tests(report: &Report, c: &Campaign, bid: &str, start: &Option<String>) -> Vec<Test> {
    let mut env_misc = Map::new();
    put(&mut env_misc, "runner", Some(c.runner.as_str()));
    let environment = Environment {
        comment: clean(&format!(
            "{} (cloneabi fuzz --seed {})",
            c.runner.as_str(),
            c.seed
        )),
        misc: env_misc,
    };
    c.divergences
        .iter()
        .map(|d| {
            let mut misc = Map::new();
            put(&mut misc, "classification", Some(d.classification.as_str()));
            put(&mut misc, "classification_basis", Some(&d.basis));
            put(&mut misc, "signature", Some(&d.signature));
            put(&mut misc, "verdict", Some(d.verdict.as_str()));
            put(&mut misc, "case", Some(&d.case));
            misc.insert("seed".into(), d.seed.into());
            misc.insert("case_index".into(), d.case_index.into());
            misc.insert("count".into(), d.count.into());
            put(&mut misc, "expected", Some(&d.expected));
            put(&mut misc, "observed", Some(&d.observed));
            misc.insert("non_default_fields".into(), d.non_default_fields.into());
            if let Some(confirmed) = d.shrunk_confirmed {
                misc.insert("shrunk_confirmed".into(), confirmed.into());
            }
            if let Some(r) = &d.second_run {
                put(&mut misc, "second_kernel", Some(&r.kernel));
                put(&mut misc, "second_verdict", Some(r.verdict.as_str()));
                put(&mut misc, "second_observed", Some(&r.observed));
            }
            let mut log = format!("classification: {}\nbasis: {}\n", d.classification, d.basis);
            for f in &d.fields {
                log.push_str(&format!(
                    "{}: expected {}, observed {}\n",
                    f.field, f.expected, f.observed
                ));
            }
            log.push_str(&format!("\ncatalog entry:\n{}\n", d.catalog_entry));
            if let Some(r) = &d.c_reproducer {
                log.push_str(&format!("\nC reproducer:\n{r}\n"));
            }
            if let Some(console) = &d.console_excerpt {
                log.push_str(&format!("\nconsole:\n{console}\n"));
            }
            Test {
                id: format!(
                    "{ORIGIN}:{}",
                    stable_hash(&[
                        &report.created,
                        &report.host.hostname,
                        "fuzz",
                        c.arch.name(),
                        c.runner.as_str(),
                        &c.kernel.release,
                        &d.case
                    ])
                ),
                build_id: bid.to_string(),
                origin: ORIGIN.into(),
                path: kcidb_path(&d.path()),
                status: divergence_status(d),
                environment: environment.clone(),
                start_time: start.clone(),
                duration: 0.0,
                log_excerpt: Some(excerpt(&log)),
                misc,
            }
        })
        .collect()
}

fn environment(run: &Run) -> Environment {
    let mut comment = run.runner.as_str().to_string();
    let mut misc = Map::new();
    put(&mut misc, "runner", Some(run.runner.as_str()));
    if let Some(q) = &run.qemu {
        comment.push_str(&format!(" ({} {}", q.binary, q.version));
        for (label, v) in [
            ("machine", &q.machine),
            ("cpu", &q.cpu),
            ("accel", &q.accelerator),
        ] {
            if let Some(v) = v {
                comment.push_str(&format!(", {label} {v}"));
            }
        }
        comment.push(')');
        put(&mut misc, "qemu_binary", Some(&q.binary));
        put(&mut misc, "qemu_version", Some(&q.version));
        put(&mut misc, "qemu_machine", q.machine.as_deref());
        put(&mut misc, "qemu_cpu", q.cpu.as_deref());
        put(&mut misc, "qemu_accelerator", q.accelerator.as_deref());
    }
    if let Some(env) = &run.env {
        misc.insert("page_size".into(), env.page_size.into());
        misc.insert("uid".into(), env.uid.into());
        misc.insert("seccomp_mode".into(), env.seccomp_mode.into());
        put(&mut misc, "uname_machine", Some(&env.uname_machine));
    }
    Environment {
        comment: clean(&comment),
        misc,
    }
}

/// The KCIDB v5.3 document for a report.
pub fn to_kcidb(report: &Report) -> Document {
    let start = start_time(report);
    let mut checkouts: Vec<Checkout> = Vec::new();
    let mut builds: Vec<Build> = Vec::new();
    let mut tests = Vec::new();
    for run in &report.runs {
        let cid = add_checkout(&mut checkouts, &run.kernel, &start);
        let bid = add_build(
            &mut builds,
            run.arch,
            &run.kernel,
            &cid,
            Some(&run.payload_build_id),
            &start,
        );
        let environment = environment(run);
        let test_id = |what: &str| {
            format!(
                "{ORIGIN}:{}",
                stable_hash(&[
                    &report.created,
                    &report.host.hostname,
                    run.arch.name(),
                    run.runner.as_str(),
                    &run.kernel.release,
                    what
                ])
            )
        };
        for case in &run.results {
            let mut misc = Map::new();
            put(&mut misc, "case", Some(&case.case));
            put(&mut misc, "verdict", Some(case.verdict.as_str()));
            put(&mut misc, "expected", Some(&case.expected));
            put(&mut misc, "observed", Some(&case.observed));
            put(&mut misc, "expected_outcome", Some(&case.expected_outcome));
            put(&mut misc, "observed_outcome", Some(&case.observed_outcome));
            if !case.reason.is_empty() {
                put(&mut misc, "reason", Some(&case.reason));
            }
            put(&mut misc, "payload_build_id", Some(&run.payload_build_id));
            let log_excerpt = case.is_bad().then(|| {
                let mut log = format!("expected: {}\nobserved: {}\n", case.expected, case.observed);
                if !case.reason.is_empty() {
                    log.push_str(&format!("reason: {}\n", case.reason));
                }
                if let Some(l) = &case.log {
                    log.push_str(l);
                }
                excerpt(&log)
            });
            tests.push(Test {
                id: test_id(&case.case),
                build_id: bid.clone(),
                origin: ORIGIN.into(),
                path: kcidb_path(&case.case),
                status: status(case),
                environment: environment.clone(),
                start_time: start.clone(),
                duration: case.duration_us as f64 / 1e6,
                log_excerpt,
                misc,
            });
        }
        if let Some(err) = &run.error {
            let mut misc = Map::new();
            put(&mut misc, "run_error", Some(err));
            put(&mut misc, "payload_build_id", Some(&run.payload_build_id));
            let mut log = format!("run error: {err}\n");
            if let Some(c) = &run.console_excerpt {
                log.push_str(c);
            }
            tests.push(Test {
                id: test_id("\0run"),
                build_id: bid.clone(),
                origin: ORIGIN.into(),
                path: "cloneabi_run".into(),
                status: "ERROR",
                environment: environment.clone(),
                start_time: start.clone(),
                duration: run.wall_time_ms as f64 / 1e3,
                log_excerpt: Some(excerpt(&log)),
                misc,
            });
        }
    }
    for c in &report.campaigns {
        let cid = add_checkout(&mut checkouts, &c.kernel, &start);
        let bid = add_build(&mut builds, c.arch, &c.kernel, &cid, None, &start);
        tests.extend(campaign_tests(report, c, &bid, &start));
    }
    Document {
        version: Version { major: 5, minor: 3 },
        checkouts,
        builds,
        tests,
    }
}

/// The KCIDB document as pretty JSON.
pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&to_kcidb(report)).expect("serialisable");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_report;
    use std::collections::HashSet;

    fn has_null(v: &Value) -> bool {
        match v {
            Value::Null => true,
            Value::Array(a) => a.iter().any(has_null),
            Value::Object(o) => o.values().any(has_null),
            _ => false,
        }
    }

    #[test]
    fn one_test_per_case_plus_broken_runs_with_unique_ids() {
        let r = sample_report();
        let doc = to_kcidb(&r);
        let cases: usize = r.runs.iter().map(|x| x.results.len()).sum();
        let broken = r.runs.iter().filter(|x| x.error.is_some()).count();
        assert_eq!(doc.tests.len(), cases + broken);
        let ids: HashSet<&str> = doc.tests.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids.len(), doc.tests.len(), "test ids collide");
        let build_ids: HashSet<&str> = doc.builds.iter().map(|b| b.id.as_str()).collect();
        assert!(doc
            .tests
            .iter()
            .all(|t| build_ids.contains(t.build_id.as_str())));
        let checkout_ids: HashSet<&str> = doc.checkouts.iter().map(|c| c.id.as_str()).collect();
        assert!(doc
            .builds
            .iter()
            .all(|b| checkout_ids.contains(b.checkout_id.as_str())));
        // One build per (arch, kernel).
        let pairs: HashSet<(String, String)> = r
            .runs
            .iter()
            .map(|x| (x.arch.to_string(), x.kernel.release.clone()))
            .collect();
        assert_eq!(doc.builds.len(), pairs.len());
        let x86 = doc
            .builds
            .iter()
            .find(|b| b.architecture == "x86_64")
            .unwrap();
        assert_eq!(x86.config_name, "linux-image-6.12.90+deb13.1-amd64");
        // Deterministic.
        assert_eq!(render(&r), render(&sample_report()));
    }

    #[test]
    fn statuses_follow_verdicts() {
        let r = sample_report();
        let doc = to_kcidb(&r);
        let statuses: HashSet<&str> = doc.tests.iter().map(|t| t.status).collect();
        for s in ["PASS", "FAIL", "ERROR", "SKIP", "MISS"] {
            assert!(statuses.contains(s), "no {s}");
        }
        let all: Vec<&CaseResult> = r.runs.iter().flat_map(|x| &x.results).collect();
        // A broken run adds one `cloneabi_run` test of its own; the rest are the cases.
        let case_tests = doc.tests.iter().filter(|t| t.path != "cloneabi_run");
        assert_eq!(case_tests.clone().count(), all.len());
        for (case, t) in all.iter().zip(case_tests) {
            assert_eq!(t.path, case.case);
            assert_eq!(t.log_excerpt.is_some(), case.is_bad(), "{}", case.case);
            assert!((t.duration - case.duration_us as f64 / 1e6).abs() < 1e-9);
        }
    }

    #[test]
    fn no_nulls_and_ids_are_prefixed() {
        let v = serde_json::to_value(to_kcidb(&sample_report())).unwrap();
        assert!(!has_null(&v));
        assert_eq!(v["version"], serde_json::json!({"major": 5, "minor": 3}));
        for t in v["tests"].as_array().unwrap() {
            assert!(t["id"].as_str().unwrap().starts_with("cloneabi:"));
            assert_eq!(t["origin"], "cloneabi");
        }
    }

    #[test]
    fn excerpt_is_bounded_and_paths_are_sanitised() {
        let long = "x".repeat(LOG_EXCERPT_MAX * 2);
        let e = excerpt(&long);
        assert_eq!(e.chars().count(), LOG_EXCERPT_MAX);
        assert!(e.starts_with("[...]"));
        assert_eq!(excerpt("a\0b"), "ab");
        assert_eq!(
            kcidb_path("clone3.size/8k..odd id"),
            "clone3.size_8k.odd_id"
        );
        assert_ne!(stable_hash(&["a", "bc"]), stable_hash(&["ab", "c"]));
        assert_eq!(stable_hash(&["x"]), stable_hash(&["x"]));
    }
}
