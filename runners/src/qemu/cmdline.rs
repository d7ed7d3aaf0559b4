//! Per-arch QEMU system-mode command lines (DESIGN.md, Runners: qemu-system).

use cloneabi_arch::Arch;

/// Which flag set to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tuning {
    /// The fastest measured flags that still boot the unmodified kernel (default).
    #[default]
    Tuned,
    /// The plain flags of DESIGN.md's "plain" column (for comparison).
    Plain,
}

/// What QEMU is asked to emulate, per arch and tuning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MachineSpec {
    pub machine: &'static str,
    /// `-cpu` value, `None` = QEMU's default for the machine.
    pub cpu: Option<&'static str>,
    /// What the default cpu is, for reports.
    pub default_cpu: &'static str,
    pub memory_mb: u32,
    pub console: &'static str,
    /// x86_64: boot the ELF vmlinux extracted from the bzImage (PVH entry).
    pub pvh: bool,
}

/// The machine of `arch`'s kernel, from the ABI table.
pub fn machine(arch: Arch, tuning: Tuning) -> MachineSpec {
    let q = &arch.kernel_arch().qemu;
    let m = match tuning {
        Tuning::Tuned => q.tuned,
        Tuning::Plain => q.plain,
    };
    MachineSpec {
        machine: m.machine,
        cpu: m.cpu,
        default_cpu: q.default_cpu,
        memory_mb: m.memory_mb,
        console: q.console,
        pvh: m.pvh,
    }
}

/// The kernel command line.
pub fn append(arch: Arch, tuning: Tuning, extra: &str) -> String {
    let m = machine(arch, tuning);
    let mut s = format!("console={} panic=-1 quiet", m.console);
    if !arch.boot_args().is_empty() {
        s.push(' ');
        s.push_str(arch.boot_args());
    }
    if !extra.trim().is_empty() {
        s.push(' ');
        s.push_str(extra.trim());
    }
    s
}

/// QEMU arguments (without the binary).
pub fn args(
    arch: Arch,
    tuning: Tuning,
    kernel: &str,
    initrd: &str,
    append_line: &str,
    memory_mb: Option<u32>,
) -> Vec<String> {
    let m = machine(arch, tuning);
    let mut a: Vec<String> = Vec::new();
    let mut push = |s: &str| a.push(s.to_string());
    match tuning {
        Tuning::Tuned => {
            // No default devices (NICs, VGA, parallel, monitor), no host config files:
            // only the serial console the kernel writes to.
            for s in [
                "-no-user-config",
                "-nodefaults",
                "-display",
                "none",
                "-serial",
                "stdio",
            ] {
                push(s);
            }
        }
        Tuning::Plain => push("-nographic"),
    }
    push("-no-reboot");
    push("-M");
    push(m.machine);
    if let Some(cpu) = m.cpu {
        push("-cpu");
        push(cpu);
    }
    push("-m");
    push(&memory_mb.unwrap_or(m.memory_mb).to_string());
    push("-kernel");
    push(kernel);
    push("-initrd");
    push(initrd);
    push("-append");
    push(append_line);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuned_flags_match_the_design() {
        let a = args(
            Arch::Aarch64,
            Tuning::Tuned,
            "K",
            "I",
            "console=ttyAMA0",
            None,
        )
        .join(" ");
        assert!(a.contains("-M virt -cpu max,pauth=off -m 512"), "{a}");
        let p = args(Arch::Powerpc64, Tuning::Tuned, "K", "I", "x", None).join(" ");
        assert!(
            p.contains("-M pseries,x-vof=on") && p.contains("-m 1024"),
            "{p}"
        );
        let s = args(Arch::S390x, Tuning::Plain, "K", "I", "x", Some(256)).join(" ");
        assert!(
            s.starts_with("-nographic -no-reboot -M s390-ccw-virtio -m 256"),
            "{s}"
        );
        assert_eq!(
            append(Arch::S390x, Tuning::Tuned, " rdinit=/init "),
            "console=ttysclp0 panic=-1 quiet rdinit=/init"
        );
        assert!(
            machine(Arch::X86_64, Tuning::Tuned).pvh && !machine(Arch::X86_64, Tuning::Plain).pvh
        );
    }
}
