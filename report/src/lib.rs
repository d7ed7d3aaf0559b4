//! cloneabi's report model and the formats made from it.

pub mod model;
