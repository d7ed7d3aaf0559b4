//! A fixed-seed fuzz campaign the host kernel ran, replayed against the model without a
//! kernel: `data/fuzz-golden.txt` holds, for every case of the campaign the judge did not
//! skip, the outcome the kernel gave (it was recorded from a campaign without a single
//! divergence, so each one is what the kernel did, as the judge saw it). The model is asked
//! about that kernel's version and the environment the payload measured, never another.
//!
//! Record it anew (when the generator's stream moves, or on another host) with:
//!
//! ```text
//! cargo run -- fuzz --seed 7 --cases 3000 --no-steering --shrink-time 0 --format json > /tmp/cloneabi-campaign.json
//! CLONEABI_CAMPAIGN=/tmp/cloneabi-campaign.json \
//!     cargo test -p cloneabi-suites --test fuzz_golden -- --ignored --exact record
//! ```
//!
//! The recorder refuses a campaign with a divergence or a run error, and one whose rule
//! counts the model cannot reproduce with the environment it assumes (then the environment,
//! set by `CLONEABI_GOLDEN_PID_MAX`, `..._PAYLOAD_LEVEL` and `..._NAMESPACES`, is not the
//! payload's).

use cloneabi_arch::{Arch, KernelVersion};
use cloneabi_suites::case::{Call, Case};
use cloneabi_suites::errno::signal_name;
use cloneabi_suites::fuzz::coverage::rule_of;
use cloneabi_suites::fuzz::Generator;
use cloneabi_suites::model::{predict, Check, Expectation, ModelEnv};
use std::collections::BTreeMap;
use std::path::PathBuf;

const GOLDEN: &str = "tests/data/fuzz-golden.txt";

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(GOLDEN)
}

/// The outcome in the judge's observed vocabulary (`observed_outcome`): a success whose child
/// the kernel kills is "killed:SIG...", as a run reports it.
fn kernel_outcome(e: &Expectation) -> String {
    if let Expectation::Success { checks } = e {
        if let Some(sig) = checks.iter().find_map(|c| match c {
            Check::ChildKilled(s) => Some(*s),
            _ => None,
        }) {
            return format!("killed:{}", signal_name(sig));
        }
    }
    e.outcome()
}

fn flags_of(case: &Case) -> u64 {
    match &case.call {
        Call::Clone3(c) => c.flags,
        Call::Legacy(l) => l.flags,
    }
}

/// The golden file: its header and its lines (case index, the call's flags, the outcome).
struct Golden {
    seed: u64,
    cases: u64,
    arch: Arch,
    env: ModelEnv,
    lines: Vec<(u64, u64, String)>,
}

fn header_value<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .filter_map(|l| l.strip_prefix("# "))
        .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("{GOLDEN}: no `# {key}` line"))
}

fn parse<T: std::str::FromStr>(s: &str, what: &str) -> T {
    s.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{GOLDEN}: bad {what}: {s:?}"))
}

fn read_golden() -> Golden {
    let text = std::fs::read_to_string(golden_path())
        .unwrap_or_else(|e| panic!("{GOLDEN}: {e} (record it as this file's comment says)"));
    let arch = match header_value(&text, "arch") {
        "x86_64" => Arch::X86_64,
        other => panic!("{GOLDEN}: the replay knows the x86_64 payload only, not {other}"),
    };
    let kernel = header_value(&text, "kernel");
    let (major, rest) = kernel.split_once('.').expect("kernel major.minor.patch");
    let (minor, patch) = rest.split_once('.').expect("kernel major.minor.patch");
    let mut env = ModelEnv::nominal(
        arch,
        KernelVersion::new(
            parse(major, "kernel"),
            parse(minor, "kernel"),
            parse(patch, "kernel"),
        ),
    );
    env.page_size = parse(header_value(&text, "page_size"), "page_size");
    env.pid_max = parse(header_value(&text, "pid_max"), "pid_max");
    env.payload_level = parse(header_value(&text, "payload_level"), "payload_level");
    env.namespaces = parse(header_value(&text, "namespaces"), "namespaces");
    let lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 3, "{GOLDEN}: bad line {l:?}");
            (parse(f[0], "index"), parse(f[1], "flags"), f[2].to_string())
        })
        .collect();
    Golden {
        seed: parse(header_value(&text, "seed"), "seed"),
        cases: parse(header_value(&text, "cases"), "cases"),
        arch,
        env,
        lines,
    }
}

#[test]
fn the_model_predicts_what_the_kernel_did_in_the_recorded_campaign() {
    let g = read_golden();
    assert!(g.lines.len() > 1000, "{GOLDEN} holds too few cases");
    assert_eq!(g.env.arch, g.arch);
    let mut gen = Generator::new(g.seed);
    let cases: Vec<Case> = (0..g.cases).map(|_| gen.case()).collect();
    let mut wrong = Vec::new();
    for (index, flags, kernel) in &g.lines {
        let case = &cases[*index as usize];
        assert_eq!(
            flags_of(case),
            *flags,
            "case {index} of seed {} is not the recorded one: the generator's stream moved, \
             record {GOLDEN} anew (the command is in tests/fuzz_golden.rs)",
            g.seed
        );
        let model = kernel_outcome(&predict(case, &g.env));
        if model != *kernel {
            wrong.push(format!(
                "{}: the kernel {kernel}, the model {model}",
                case.id
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases the model predicts otherwise than the {} kernel ran them:\n{}",
        wrong.len(),
        g.lines.len(),
        g.env.kernel,
        wrong.join("\n")
    );
}

fn env_var<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

/// Writes the golden file from a campaign's JSON report (see the module's comment).
#[test]
#[ignore = "records tests/data/fuzz-golden.txt from CLONEABI_CAMPAIGN"]
fn record() {
    let path = std::env::var("CLONEABI_CAMPAIGN")
        .expect("set CLONEABI_CAMPAIGN to the JSON report of a native `cloneabi fuzz` campaign");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let report: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let field = |k: &str| report.get(k).unwrap_or_else(|| panic!("{path}: no {k:?}"));
    assert_eq!(field("runner"), "native", "record from a native campaign");
    assert_eq!(field("arch"), "x86_64", "record from the x86_64 payload");
    assert_eq!(
        field("divergent_cases"),
        0,
        "the campaign diverged: its outcomes are not all the kernel's"
    );
    assert_eq!(
        field("run_errors").as_array().map(Vec::len),
        Some(0),
        "the campaign had run errors"
    );
    let seed = field("seed").as_u64().expect("seed");
    let cases = field("cases").as_u64().expect("cases");
    let release = field("kernel").as_str().expect("kernel").to_string();
    let kernel = KernelVersion::from_uname(&release, "").expect("an upstream kernel release");
    let env = ModelEnv {
        pid_max: env_var("CLONEABI_GOLDEN_PID_MAX", 4_194_304),
        payload_level: env_var("CLONEABI_GOLDEN_PAYLOAD_LEVEL", 1),
        namespaces: env_var("CLONEABI_GOLDEN_NAMESPACES", 0xff),
        ..ModelEnv::nominal(Arch::X86_64, kernel)
    };
    let mut gen = Generator::new(seed);
    let generated: Vec<Case> = (0..cases).map(|_| gen.case()).collect();
    let predictions: Vec<Expectation> = generated.iter().map(|c| predict(c, &env)).collect();
    // The campaign's rule counts come from the predictions it judged with: the same counts
    // say this is the same stream and the same environment.
    let mut rules: BTreeMap<String, u64> = BTreeMap::new();
    for p in &predictions {
        *rules.entry(rule_of(p)).or_default() += 1;
    }
    let recorded: BTreeMap<String, u64> =
        serde_json::from_value(field("rules").clone()).expect("rules");
    assert_eq!(
        rules, recorded,
        "the model, in the environment assumed here, does not reproduce the campaign's rule counts"
    );
    let mut out = format!(
        "# The outcome the kernel gave each case of a native `cloneabi fuzz` campaign that the\n\
         # judge did not skip (the campaign had no divergence). Written by\n\
         # `cargo test -p cloneabi-suites --test fuzz_golden -- --ignored --exact record`.\n\
         # index flags outcome\n\
         # seed {seed}\n# cases {cases}\n# arch x86_64\n# release {release}\n\
         # kernel {}.{}.{}\n# page_size {}\n# pid_max {}\n# payload_level {}\n# namespaces {}\n",
        kernel.major,
        kernel.minor,
        kernel.patch,
        env.page_size,
        env.pid_max,
        env.payload_level,
        env.namespaces
    );
    for (i, (case, p)) in generated.iter().zip(&predictions).enumerate() {
        if matches!(p, Expectation::Skip { .. }) {
            continue;
        }
        out += &format!("{i} {} {}\n", flags_of(case), kernel_outcome(p));
    }
    std::fs::create_dir_all(golden_path().parent().unwrap()).unwrap();
    std::fs::write(golden_path(), out).unwrap();
    eprintln!("wrote {}", golden_path().display());
}
