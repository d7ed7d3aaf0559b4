//! Loading and saving the JSON report, with errors that say what to fix.

use crate::model::{Report, SCHEMA_VERSION};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Why a report could not be loaded or saved. Every variant names the file.
#[derive(Debug)]
pub enum ReportError {
    /// The file could not be read or written.
    Io { path: PathBuf, source: io::Error },
    /// Not JSON at all.
    NotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    /// JSON, but not a cloneabi report (no integer `schema_version`).
    NotAReport { path: PathBuf },
    /// A cloneabi report of another schema version.
    Version {
        path: PathBuf,
        found: u64,
        supported: u32,
    },
    /// The right version, but a field is missing or of the wrong type.
    Schema {
        path: PathBuf,
        source: serde_json::Error,
    },
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ReportError::NotJson { path, source } => {
                write!(f, "{}: not JSON: {source}", path.display())
            }
            ReportError::NotAReport { path } => write!(
                f,
                "{}: not a cloneabi report: no integer \"schema_version\" at the top level \
                 (this cloneabi reads schema version {SCHEMA_VERSION})",
                path.display()
            ),
            ReportError::Version {
                path,
                found,
                supported,
            } => write!(
                f,
                "{}: report schema version {found} is not supported; this cloneabi reads \
                 schema version {supported}",
                path.display()
            ),
            ReportError::Schema { path, source } => write!(
                f,
                "{}: does not match report schema version {SCHEMA_VERSION}: {source}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for ReportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReportError::Io { source, .. } => Some(source),
            ReportError::NotJson { source, .. } | ReportError::Schema { source, .. } => {
                Some(source)
            }
            _ => None,
        }
    }
}

/// Reads a report from `path`.
pub fn load(path: &Path) -> Result<Report, ReportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Parses report text; `origin` is the name used in errors.
pub fn parse(text: &str, origin: &Path) -> Result<Report, ReportError> {
    let path = || origin.to_path_buf();
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|source| ReportError::NotJson {
            path: path(),
            source,
        })?;
    let found = value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| ReportError::NotAReport { path: path() })?;
    if found != u64::from(SCHEMA_VERSION) {
        return Err(ReportError::Version {
            path: path(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    // Parse the text again (not the Value) so errors carry a line and column.
    serde_json::from_str(text).map_err(|source| ReportError::Schema {
        path: path(),
        source,
    })
}

/// The report as pretty JSON with a final newline.
pub fn to_string(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("a Report always serialises");
    s.push('\n');
    s
}

/// Writes `report` to `path` (via a temporary file in the same directory, then a rename,
/// so readers never see half a report).
pub fn save(report: &Report, path: &Path) -> Result<(), ReportError> {
    let io_err = |source| ReportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, to_string(report)).map_err(io_err)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_report;

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::Builder::new()
            .prefix("cloneabi-json-roundtrip-")
            .tempdir()
            .unwrap();
        let path = dir.path().join("report.json");
        let report = sample_report();
        save(&report, &path).unwrap();
        assert_eq!(load(&path).unwrap(), report);
        assert!(!path.with_extension("json.tmp").exists());
    }

    #[test]
    fn unreadable_file_names_the_path() {
        let path = Path::new("/nonexistent/cloneabi/report.json");
        let err = load(path).unwrap_err();
        assert!(matches!(err, ReportError::Io { .. }));
        assert!(
            err.to_string()
                .contains("/nonexistent/cloneabi/report.json"),
            "{err}"
        );
    }

    #[test]
    fn not_json_is_told_apart() {
        let err = parse("<html>", Path::new("r.json")).unwrap_err();
        assert!(matches!(err, ReportError::NotJson { .. }));
        assert!(err.to_string().starts_with("r.json: not JSON"), "{err}");
        let err = parse("{\"runs\": []}", Path::new("r.json")).unwrap_err();
        assert!(matches!(err, ReportError::NotAReport { .. }), "{err}");
    }

    #[test]
    fn wrong_version_names_both_versions() {
        let mut v = serde_json::to_value(sample_report()).unwrap();
        v["schema_version"] = 7.into();
        let err = parse(&v.to_string(), Path::new("old.json")).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ReportError::Version { found: 7, .. }));
        assert!(
            msg.contains("old.json") && msg.contains("version 7"),
            "{msg}"
        );
        assert!(
            msg.contains(&format!("schema version {SCHEMA_VERSION}")),
            "{msg}"
        );
    }

    #[test]
    fn schema_error_names_the_field() {
        let mut v = serde_json::to_value(sample_report()).unwrap();
        v["runs"][0]["results"][0]["verdict"] = "MAYBE".into();
        let err = parse(
            &serde_json::to_string_pretty(&v).unwrap(),
            Path::new("r.json"),
        )
        .unwrap_err();
        assert!(matches!(err, ReportError::Schema { .. }));
        assert!(err.to_string().contains("MAYBE"), "{err}");
    }

    #[test]
    fn optional_fields_default_when_absent() {
        let mut v = serde_json::to_value(sample_report()).unwrap();
        for key in ["findings", "error", "console_excerpt", "env", "qemu"] {
            v["runs"][0].as_object_mut().unwrap().remove(key);
        }
        for key in [
            "reason",
            "expected_outcome",
            "observed_outcome",
            "observation",
            "log",
        ] {
            v["runs"][0]["results"][0]
                .as_object_mut()
                .unwrap()
                .remove(key);
        }
        let r = parse(&v.to_string(), Path::new("r.json")).unwrap();
        assert!(r.runs[0].findings.is_empty() && r.runs[0].env.is_none());
        assert_eq!(r.runs[0].results[0].observed_outcome, "");
    }
}
