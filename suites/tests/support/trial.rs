//! A libtest-mimic trial whose body asserts: a failed assertion is the trial's failure.

use libtest_mimic::{Failed, Trial};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub fn trial(name: String, body: impl FnOnce() + Send + 'static) -> Trial {
    Trial::test(name, move || {
        catch_unwind(AssertUnwindSafe(body)).map_err(|e| {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked".into());
            Failed::from(msg)
        })
    })
}
