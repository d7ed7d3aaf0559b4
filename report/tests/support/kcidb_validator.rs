//! Loads the kcidb-io v5.3 schema kept in fixtures/kcidb and validates documents against it.
//! Shared by report/tests/kcidb_schema.rs and the CLI test of a real run.

use serde_json::Value;
use std::path::Path;

/// The schema file, found from the manifest of whichever crate includes this module
/// (the workspace root or report/).
fn schema_path() -> std::path::PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("fixtures/kcidb/kcidb-v5.3.schema.json"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "fixtures/kcidb/kcidb-v5.3.schema.json not found above {}",
                manifest.display()
            )
        })
}

pub fn validator() -> jsonschema::Validator {
    let path = schema_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    // kcidb-io writes NUL as `\0` (Python `re` syntax), which ECMA-262 regexes (and so the
    // jsonschema crate) reject; `\x00` means the same character in both.
    let rewritten = rewrite_nul_escapes(&mut schema);
    assert!(
        rewritten > 10,
        "expected the schema's [^\\0] patterns, found {rewritten}"
    );
    // The fixture is the v5.3 schema, not some other version.
    assert_eq!(
        schema["properties"]["version"]["properties"]["major"]["const"],
        5
    );
    assert_eq!(
        schema["properties"]["version"]["properties"]["minor"]["maximum"],
        3
    );
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the kcidb schema compiles")
}

pub fn rewrite_nul_escapes(v: &mut Value) -> usize {
    match v {
        Value::Object(map) => {
            let mut n = 0;
            for (key, child) in map.iter_mut() {
                if let (true, Value::String(p)) = (key == "pattern", &mut *child) {
                    if p.contains("\\0") {
                        *p = p.replace("\\0", "\\x00");
                        n += 1;
                    }
                } else {
                    n += rewrite_nul_escapes(child);
                }
            }
            n
        }
        Value::Array(items) => items.iter_mut().map(rewrite_nul_escapes).sum(),
        _ => 0,
    }
}

pub fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
