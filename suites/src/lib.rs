//! clone3() conformance cases, the model of the kernel's checks that predicts each case's
//! outcome, and verdicts.

pub mod observation;
pub mod program;
pub mod verdict;
