//! SIGINT and SIGTERM during a run. The handlers only record the signal; every loop that
//! waits on a child (QEMU, the native sandbox) looks at [`requested`] at least every 100 ms,
//! ends its child and returns, so destructors remove temporary directories and the runs
//! that finished are still reported.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::sync::OnceLock;

static SIGNAL: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

fn cell() -> &'static Arc<AtomicUsize> {
    SIGNAL.get_or_init(|| Arc::new(AtomicUsize::new(0)))
}

/// Records SIGINT and SIGTERM instead of dying of them. Idempotent.
pub fn install() -> std::io::Result<()> {
    static DONE: OnceLock<()> = OnceLock::new();
    if DONE.get().is_some() {
        return Ok(());
    }
    for sig in [libc::SIGINT, libc::SIGTERM] {
        signal_hook::flag::register_usize(sig, Arc::clone(cell()), sig as usize)?;
    }
    let _ = DONE.set(());
    Ok(())
}

/// The signal received, if any.
pub fn requested() -> Option<i32> {
    match cell().load(Ordering::Relaxed) {
        0 => None,
        s => Some(s as i32),
    }
}

/// The conventional shell status for death by `sig` (130 for SIGINT, 143 for SIGTERM).
pub fn exit_status(sig: i32) -> i32 {
    128 + sig
}

/// The signal's name, for messages.
pub fn name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// The run error of a run cut short.
pub fn message(sig: i32) -> String {
    format!("interrupted by {} before the run finished", name(sig))
}
