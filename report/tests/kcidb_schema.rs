//! The KCIDB output validates against the real kcidb-io v5.3 schema
//! (fixtures/kcidb/kcidb-v5.3.schema.json, dumped from `kcidb_io.schema.V5_3.json`).

use cloneabi_report::{kcidb, sample::sample_report};
use serde_json::Value;

#[path = "support/kcidb_validator.rs"]
mod kcidb_validator;
use kcidb_validator::{errors, validator};

#[test]
fn sample_report_is_valid_kcidb_v5_3() {
    let v = validator();
    let doc: Value = serde_json::from_str(&kcidb::render(&sample_report())).unwrap();
    let errs = errors(&v, &doc);
    assert!(errs.is_empty(), "{errs:#?}");
    assert!(!doc["tests"].as_array().unwrap().is_empty());
}

#[test]
fn the_schema_rejects_what_we_promise_not_to_write() {
    let v = validator();
    let good: Value = serde_json::to_value(kcidb::to_kcidb(&sample_report())).unwrap();
    // An extra property.
    let mut bad = good.clone();
    bad["tests"][0]["verdict"] = "PASS".into();
    assert!(!errors(&v, &bad).is_empty(), "extra property accepted");
    // A null.
    let mut bad = good.clone();
    bad["tests"][0]["log_excerpt"] = Value::Null;
    assert!(!errors(&v, &bad).is_empty(), "null accepted");
    // A status outside the enum.
    let mut bad = good.clone();
    bad["tests"][0]["status"] = "TIMEOUT".into();
    assert!(!errors(&v, &bad).is_empty(), "bad status accepted");
    // A path KCIDB does not allow.
    let mut bad = good;
    bad["tests"][0]["path"] = "clone3 size".into();
    assert!(!errors(&v, &bad).is_empty(), "bad path accepted");
}

#[test]
fn awkward_text_still_validates() {
    let mut r = sample_report();
    let c = &mut r.runs[0].results[0];
    c.case = "clone3.odd case/with#chars".into();
    c.verdict = cloneabi_suites::verdict::Verdict::Fail;
    c.log = Some(format!("nul\0byte {}", "y".repeat(40_000)));
    let doc: Value = serde_json::to_value(kcidb::to_kcidb(&r)).unwrap();
    let errs = errors(&validator(), &doc);
    assert!(errs.is_empty(), "{errs:#?}");
}

#[test]
fn a_campaigns_divergences_are_valid_failing_tests_with_their_classification() {
    let mut r = sample_report();
    let c = cloneabi_report::sample::sample_campaign();
    r.campaigns.push(c.clone());
    let doc: Value = serde_json::to_value(kcidb::to_kcidb(&r)).unwrap();
    let errs = errors(&validator(), &doc);
    assert!(errs.is_empty(), "{errs:#?}");
    let tests = doc["tests"].as_array().unwrap();
    for d in &c.divergences {
        let t = tests
            .iter()
            .find(|t| t["path"] == d.path().as_str())
            .unwrap_or_else(|| panic!("no test for {}", d.case));
        assert_eq!(t["status"], kcidb::divergence_status(d));
        assert_eq!(t["misc"]["classification"], d.classification.as_str());
        assert_eq!(t["misc"]["classification_basis"], d.basis.as_str());
        assert!(t["log_excerpt"]
            .as_str()
            .unwrap()
            .contains(&d.catalog_entry));
        let build = t["build_id"].as_str().unwrap();
        assert!(doc["builds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["id"] == build));
    }
    assert_eq!(kcidb::divergence_status(&c.divergences[0]), "FAIL");
}
