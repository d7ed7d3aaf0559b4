//! Writing a report in the formats asked for.

use cloneabi_report::model::Report;
use cloneabi_report::{json, junit, kcidb, ktap, summary};
use std::path::Path;

pub const FORMATS: &[&str] = &["ktap", "json", "junit", "kcidb", "summary"];

pub fn check_formats(formats: &[String]) -> Result<(), String> {
    for f in formats {
        if !FORMATS.contains(&f.as_str()) {
            return Err(format!(
                "unknown format '{f}': use one or more of {}, comma separated",
                FORMATS.join(", ")
            ));
        }
    }
    Ok(())
}

pub fn render(report: &Report, format: &str) -> String {
    match format {
        "ktap" => ktap::render(report),
        "json" => json::to_string(report),
        "junit" => junit::render(report),
        "kcidb" => kcidb::render(report),
        _ => summary::render(report),
    }
}

fn file_name(format: &str) -> &'static str {
    match format {
        "ktap" => "cloneabi.ktap",
        "json" => "cloneabi.json",
        "junit" => "cloneabi.junit.xml",
        "kcidb" => "cloneabi.kcidb.json",
        _ => "cloneabi.summary.txt",
    }
}

/// One format: to `out` (a file) or stdout. Several: `out` is a directory, one file each.
pub fn emit(report: &Report, formats: &[String], out: Option<&Path>) -> Result<(), String> {
    match (formats, out) {
        ([one], None) => {
            print!("{}", render(report, one));
            Ok(())
        }
        ([one], Some(path)) if !path.is_dir() => write(path, &render(report, one)),
        (many, Some(dir)) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            for f in many {
                write(&dir.join(file_name(f)), &render(report, f))?;
            }
            Ok(())
        }
        (_, None) => Err("several formats need --out DIR".into()),
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
