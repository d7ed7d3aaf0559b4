//! Verdicts: expectation against observation.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The outcome of one case on one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    /// The observation matched every expectation.
    Pass,
    /// The observation contradicts the model: `expected` and `observed` say how.
    Fail,
    /// Not run or not judged, with a reason (missing environment, emulator gap, ...).
    Skip,
    /// The case or the payload broke (setup failure, crash, lost record, timeout).
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Skip => "SKIP",
            Verdict::Error => "ERROR",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
