//! A LAVA job that boots a kernel with the cloneabi initramfs and follows its console.
//!
//! There is no shell on the device: `/init` runs the payload and powers off. So the job's
//! test action uses `monitors:` (LAVA docs `monitors.html`): LAVA watches the console
//! between a unique [`MONITOR_START`] line and a unique [`MONITOR_END`] line and turns every
//! line matching [`CASE_PATTERN`] into a test case.
//!
//! **What LAVA's result means here.** The guest only gathers raw observations; verdicts are
//! computed afterwards on the host by `cloneabi report` from the observation records
//! (`@CLONEABI <seq> <type> <hex body> <crc32>`, docs/PROTOCOL.md). LAVA cannot judge a case,
//! so the payload prints one *completion* line per case once its observation record is out:
//!
//! ```text
//! @CLONEABI-CASE <case_index> <case id> done
//! ```
//!
//! and LAVA records `pass` for it (`fixupdict: {done: pass}`): "the case ran to completion
//! and its record was emitted". A case that never prints its line is missing from LAVA's
//! results (LAVA reports the monitor as incomplete when [`MONITOR_END`] never comes). The
//! real verdicts come from feeding the captured console to cloneabi on the host.
//!
//! The payload side (printing these three kinds of lines) is wired by the lead; the
//! strings are defined here, once: [`MONITOR_START`], [`MONITOR_END`], [`case_done_line`].

use cloneabi_arch::Arch;
use std::fmt::Write;

/// Printed once per boot, before the first case.
pub const MONITOR_START: &str = "@CLONEABI-CASES-BEGIN";
/// Printed once per boot, after the last case.
pub const MONITOR_END: &str = "@CLONEABI-CASES-END";
/// LAVA's pattern (Python `re` syntax, also valid for Rust's `regex`): named groups
/// `test_case_id` and `result`, plus `case_index`.
pub const CASE_PATTERN: &str =
    r"@CLONEABI-CASE (?P<case_index>\d+) (?P<test_case_id>[A-Za-z0-9_.-]+) (?P<result>done)";

/// The completion line the payload prints for a case (without the newline).
pub fn case_done_line(case_index: u32, case_id: &str) -> String {
    format!("@CLONEABI-CASE {case_index} {case_id} done")
}

/// YAML double-quoted string.
fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A LAVA job (YAML) booting `kernel_url` with the initramfs `initrd_url` on a QEMU device
/// of `arch`, watching the console with the cloneabi monitor.
///
/// The machine is the one the qemu-system runner boots (the ABI table's tuned flags), so
/// LAVA runs what cloneabi measured; the kernel command line adds what the ABI needs.
pub fn lava_job(arch: Arch, kernel_url: &str, initrd_url: &str) -> String {
    let qemu = &arch.kernel_arch().qemu;
    let mut append = format!("console={},115200 rdinit=/init panic=-1", qemu.console);
    for a in arch.kernel_abi().boot_group() {
        if !a.boot_args().is_empty() {
            append.push(' ');
            append.push_str(a.boot_args());
        }
    }
    let kernel_arg = format!("-kernel {{kernel}} -append \"{append}\"");
    let mut y = String::new();
    let _ = writeln!(y, "device_type: qemu");
    let _ = writeln!(
        y,
        "job_name: {}",
        q(&format!("cloneabi clone3 ABI ({arch})"))
    );
    y.push_str("priority: medium\nvisibility: public\n");
    y.push_str("timeouts:\n  job:\n    minutes: 30\n  action:\n    minutes: 10\n");
    y.push_str("context:\n");
    let _ = writeln!(y, "  arch: {}", q(qemu.lava_arch));
    let _ = writeln!(y, "  machine: {}", q(qemu.tuned.machine));
    if let Some(cpu) = qemu.tuned.cpu {
        let _ = writeln!(y, "  cpu: {}", q(cpu));
    }
    let _ = writeln!(y, "  memory: {}", qemu.tuned.memory_mb);
    y.push_str("  extra_options: [\"-no-reboot\"]\n");
    y.push_str("  no_network: true\n");
    y.push_str("actions:\n");
    y.push_str("- deploy:\n    to: tmpfs\n    timeout:\n      minutes: 10\n    images:\n");
    let _ = writeln!(
        y,
        "      kernel:\n        image_arg: {}\n        url: {}",
        q(&kernel_arg),
        q(kernel_url)
    );
    let _ = writeln!(
        y,
        "      ramdisk:\n        image_arg: {}\n        url: {}",
        q("-initrd {ramdisk}"),
        q(initrd_url)
    );
    // No prompts and no auto_login: there is no shell, only the payload on the console.
    y.push_str("- boot:\n    method: qemu\n    media: tmpfs\n    timeout:\n      minutes: 10\n");
    y.push_str("- test:\n    timeout:\n      minutes: 15\n    monitors:\n");
    let _ = writeln!(y, "    - name: {}", q("cloneabi"));
    let _ = writeln!(y, "      start: {}", q(MONITOR_START));
    let _ = writeln!(y, "      end: {}", q(MONITOR_END));
    // Single quotes: a YAML single-quoted scalar keeps backslashes as they are.
    let _ = writeln!(y, "      pattern: '{}'", CASE_PATTERN.replace('\'', "''"));
    y.push_str("      fixupdict:\n        done: pass\n");
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_norway::Value;

    fn job(arch: Arch) -> Value {
        let text = lava_job(
            arch,
            "https://example.org/vmlinuz?a=1&b=\"2\"",
            "file:///srv/initrd.cpio.gz",
        );
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    #[test]
    fn job_is_yaml_of_the_lava_shape() {
        for arch in Arch::ALL {
            let j = job(arch);
            assert_eq!(j["device_type"], "qemu");
            let actions = j["actions"].as_sequence().unwrap();
            let deploy = &actions[0]["deploy"];
            assert_eq!(deploy["to"], "tmpfs");
            assert_eq!(
                deploy["images"]["kernel"]["url"],
                "https://example.org/vmlinuz?a=1&b=\"2\""
            );
            assert_eq!(
                deploy["images"]["ramdisk"]["url"],
                "file:///srv/initrd.cpio.gz"
            );
            let arg = deploy["images"]["kernel"]["image_arg"].as_str().unwrap();
            assert!(
                arg.starts_with("-kernel {kernel} -append \"console="),
                "{arg}"
            );
            assert_eq!(actions[1]["boot"]["method"], "qemu");
            let mon = &actions[2]["test"]["monitors"][0];
            assert_eq!(mon["start"], MONITOR_START);
            assert_eq!(mon["end"], MONITOR_END);
            assert_eq!(mon["pattern"], CASE_PATTERN);
            assert_eq!(mon["fixupdict"]["done"], "pass");
        }
        assert!(lava_job(Arch::Powerpc64, "k", "i").contains("console=hvc0"));
        assert!(lava_job(Arch::Aarch64, "k", "i").contains("console=ttyAMA0"));
        // The same machine as the qemu-system runner boots.
        let s390 = job(Arch::S390x);
        assert_eq!(s390["context"]["machine"], "s390-ccw-virtio");
        assert!(lava_job(Arch::S390x, "k", "i").contains("console=ttysclp0"));
        let arm = job(Arch::Aarch64);
        assert_eq!(arm["context"]["cpu"], "max,pauth=off");
        assert_eq!(arm["context"]["memory"], 512);
    }

    #[test]
    fn pattern_matches_completion_lines_only() {
        let re = regex::Regex::new(CASE_PATTERN).unwrap();
        let line = case_done_line(7, "clone3.size.ver0");
        let caps = re.captures(&line).expect("matches");
        assert_eq!(&caps["test_case_id"], "clone3.size.ver0");
        assert_eq!(&caps["result"], "done");
        assert_eq!(&caps["case_index"], "7");
        // Console noise, observation records and the markers do not match.
        for other in [
            "@CLONEABI 12 O 0a0b0c 1234abcd",
            MONITOR_START,
            MONITOR_END,
            "[    1.0] clone3.size.ver0 done",
        ] {
            assert!(!re.is_match(other), "{other}");
        }
        // The markers are unique: neither contains the other, nor does a case line.
        assert!(!MONITOR_START.contains(MONITOR_END) && !MONITOR_END.contains(MONITOR_START));
        assert!(!line.contains(MONITOR_START) && !line.contains(MONITOR_END));
    }
}
