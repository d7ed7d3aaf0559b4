//! cloneabi's report model and the formats made from it.
//!
//! [`model`] is the versioned JSON report (docs/REPORT-SCHEMA.md); every other module
//! derives one output from it:
//!
//! | module | output |
//! |---|---|
//! | [`campaign`] | `cloneabi fuzz` campaigns and their classified divergences |
//! | [`json`] | load / save the report, with errors naming file and schema version |
//! | [`ktap`] / [`ktap_parse`] | KTAP version 1 writer, and a ktap.rst parser to check it |
//! | [`junit`] | JUnit XML (quick-junit) |
//! | [`kcidb`] | KCIDB I/O schema v5.3 submission |
//! | [`html`] | self-contained HTML page: matrix, summary, differential, findings |
//! | [`diff`] | the baseline → current diff gate (Markdown, JSON) |
//! | [`differential`] | one case across arches / runners, minus what the model explains |
//! | [`summary`] | plain-text table per arch |
//! | [`lava`] | LAVA job YAML with a console monitor |
//! | [`sample`] | a realistic sample report for tests and screenshots |

pub mod campaign;
pub mod diff;
pub mod differential;
pub mod html;
pub mod json;
pub mod junit;
pub mod kcidb;
pub mod ktap;
pub mod ktap_parse;
pub mod lava;
pub mod model;
pub mod sample;
pub mod summary;

pub use diff::{diff, Diff};
pub use differential::{differential, Differential};
pub use json::{load, save, ReportError};
pub use lava::lava_job;
pub use model::Report;
