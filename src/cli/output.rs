//! Writing a report in the formats asked for.

use super::values::Format;
use cloneabi_report::model::Report;
use cloneabi_report::{json, junit, kcidb, ktap, summary};
use std::path::Path;

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Ktap => ktap::render(report),
        Format::Json => json::to_string(report),
        Format::Junit => junit::render(report),
        Format::Kcidb => kcidb::render(report),
        Format::Summary => summary::render(report),
    }
}

/// One format: to `out` (a file) or stdout. Several: `out` is a directory, one file each.
pub fn emit(report: &Report, formats: &[Format], out: Option<&Path>) -> Result<(), String> {
    match (formats, out) {
        ([one], None) => {
            print!("{}", render(report, *one));
            Ok(())
        }
        ([one], Some(path)) if !path.is_dir() => write(path, &render(report, *one)),
        (many, Some(dir)) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            for f in many {
                write(&dir.join(f.file_name()), &render(report, *f))?;
            }
            Ok(())
        }
        (_, None) => Err("several formats need --out DIR".into()),
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
