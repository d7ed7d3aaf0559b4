//! clone3() conformance cases, the model of the kernel's checks that predicts each case's
//! outcome, and verdicts.

pub mod case;
pub mod catalog;
pub mod errno;
pub mod flags;
pub mod fuzz;
pub mod judge;
pub mod libc_audit;
pub mod lower;
pub mod model;
pub mod observation;
pub mod program;
pub mod verdict;
