//! Cases whose setup steps match run one after another in one chained process. A
//! descriptor the lowering opens for the call does not outlive its case there, so such a
//! case must not hand its process on: found by `cloneabi fuzz --seed 1` on every 6.12
//! guest, where the second of two such cases passed -1 as its cgroup (EINVAL, not EBADF).

use cloneabi_runners::session::{run_native, NativeRun};
use cloneabi_suites::case::{Call, Case, CgroupSpec, Clone3Call, Concern, Step};
use cloneabi_suites::flags::CLONE_INTO_CGROUP;
use cloneabi_suites::program::Behavior;
use cloneabi_suites::verdict::Verdict;

fn case(id: &str, exit_signal: u64) -> Case {
    Case {
        id: id.into(),
        concern: Concern::Fuzz,
        summary: String::new(),
        origin: None,
        steps: vec![Step::NestPidNs { levels: 2 }],
        call: Call::Clone3(Clone3Call {
            flags: CLONE_INTO_CGROUP,
            cgroup: CgroupSpec::NonCgroupDir,
            exit_signal,
            ..Clone3Call::default()
        }),
        behavior: Behavior::default(),
        scope: Default::default(),
    }
}

#[test]
fn a_directory_opened_for_the_call_is_opened_again_by_the_next_case() {
    if cloneabi_arch::Arch::host().is_none() {
        eprintln!("SKIP: the native runner needs a covered host arch");
        return;
    }
    // The first fails early (exit_signal 255 is EINVAL), the second reaches the descriptor.
    let cases = [case("chain.first", 255), case("chain.second", 17)];
    let run = run_native(&cases, &NativeRun::default()).expect("the sandbox starts");
    assert!(run.error.is_none(), "{:?}", run.error);
    for r in &run.results {
        assert_eq!(
            r.verdict,
            Verdict::Pass,
            "{}: {} / {}",
            r.case,
            r.expected,
            r.observed
        );
    }
    assert_eq!(run.results[1].observed_outcome, "EBADF");
}
