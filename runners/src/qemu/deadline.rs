//! How long a guest may take to reach userspace before it counts as hung: a multiple of the
//! arch's normal empty boot, as console silence, never beyond the run's own timeout.

use cloneabi_arch::Arch;
use std::time::Duration;

/// The empty boot (kernel start to the payload's first record) measured with the tuned
/// flags under TCG on one busy core (README's boot bench, rounded up); arches without a
/// measurement get the slowest one.
pub fn expected_boot(arch: Arch) -> Duration {
    let ms = match arch {
        Arch::X86_64 => 2_700,
        Arch::Aarch64 => 2_200,
        Arch::S390x => 3_000,
        Arch::Powerpc64le => 3_300,
        Arch::Powerpc64 => 1_300,
        #[allow(unreachable_patterns)]
        _ => 3_300,
    };
    Duration::from_millis(ms)
}

/// How many normal boots of silence make a boot hung: room for the plain flags (up to 4x
/// slower) and for guests sharing cores.
pub const SILENCE_FACTOR: u32 = 8;
/// The least silence allowed, whatever the arch.
pub const MIN_SILENCE: Duration = Duration::from_secs(20);

/// Console silence that ends a boot of `arch` as hung, capped at the run's `timeout`.
pub fn boot_silence(arch: Arch, timeout: Duration) -> Duration {
    silence_under_load(arch, timeout, load_per_core())
}

/// The same for a given host load (runnable tasks per core): a busy machine boots slower,
/// so the bound grows with it (at most 4x).
pub fn silence_under_load(arch: Arch, timeout: Duration, load: f64) -> Duration {
    (expected_boot(arch) * SILENCE_FACTOR)
        .mul_f64(load.clamp(1.0, 4.0))
        .max(MIN_SILENCE)
        .min(timeout)
}

/// The one-minute load average per core, 1.0 when unknown.
fn load_per_core() -> f64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(1.0, |l| l / cores)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_a_few_boots_and_never_beyond_the_timeout() {
        for arch in Arch::ALL {
            let s = silence_under_load(arch, Duration::from_secs(600), 0.5);
            assert!(s >= expected_boot(arch) * 3, "{arch}: {s:?}");
            assert!(s <= Duration::from_secs(30), "{arch}: {s:?}");
            let busy = silence_under_load(arch, Duration::from_secs(600), 3.0);
            assert!(
                busy > s && busy <= Duration::from_secs(90),
                "{arch}: {busy:?}"
            );
            assert_eq!(
                silence_under_load(arch, Duration::from_secs(5), 3.0),
                Duration::from_secs(5)
            );
        }
    }
}
