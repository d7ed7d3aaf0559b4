//! A case as Rust source in the catalog's style, ready to paste into `suites/src/catalog/`.

use crate::case::{
    Call, Case, CgroupSpec, Clone3Call, Concern, PidValue, Placement, Ptr, SetTidSpec, SizeArg,
    StackSpec, Step,
};
use crate::flags::names_of;

fn num(v: u64) -> String {
    if v < 0x1000 {
        v.to_string()
    } else if v == u64::MAX {
        "u64::MAX".into()
    } else {
        format!("{v:#x}")
    }
}

/// `CLONE_A | CLONE_B | 0x..` (0 for none).
pub fn flags_expr(flags: u64) -> String {
    let (names, rest) = names_of(flags);
    let mut parts: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    if parts.is_empty() {
        "0".into()
    } else {
        parts.join(" | ")
    }
}

fn ptr(p: Ptr) -> String {
    match p {
        Ptr::Null => "Ptr::Null".into(),
        Ptr::Literal(v) => format!("Ptr::Literal({})", num(v)),
        Ptr::Slot(s) => format!("Ptr::Slot(SlotKind::{s:?})"),
        Ptr::TlsArea(o) => format!("Ptr::TlsArea({})", num(o)),
        Ptr::Unmapped => "Ptr::Unmapped".into(),
        Ptr::ReadOnly => "Ptr::ReadOnly".into(),
        Ptr::SlotPlus4G(s) => format!("Ptr::SlotPlus4G(SlotKind::{s:?})"),
    }
}

fn stack(s: StackSpec) -> String {
    match s {
        StackSpec::None => "StackSpec::None".into(),
        StackSpec::Region { len, offset } => format!(
            "StackSpec::Region {{ len: {}, offset: {} }}",
            num(u64::from(len)),
            num(offset)
        ),
        StackSpec::Literal(v) => format!("StackSpec::Literal({})", num(v)),
        StackSpec::ReadOnly { offset } => {
            format!("StackSpec::ReadOnly {{ offset: {} }}", num(offset))
        }
    }
}

fn pid(p: PidValue) -> String {
    match p {
        PidValue::Literal(v) => format!("PidValue::Literal({v})"),
        PidValue::PidMaxMinus(k) => format!("PidValue::PidMaxMinus({k})"),
    }
}

fn set_tid(s: &SetTidSpec) -> String {
    match s {
        SetTidSpec::Null { size } => format!("SetTidSpec::Null {{ size: {} }}", num(*size)),
        SetTidSpec::Unmapped { size } => {
            format!("SetTidSpec::Unmapped {{ size: {} }}", num(*size))
        }
        SetTidSpec::Filled { value, len } => {
            format!("SetTidSpec::Filled {{ value: {value}, len: {len} }}")
        }
        SetTidSpec::Pids(p) => {
            let v: Vec<String> = p.iter().map(|x| pid(*x)).collect();
            format!("SetTidSpec::Pids(vec![{}])", v.join(", "))
        }
        SetTidSpec::PidsPlus4G(p) => {
            let v: Vec<String> = p.iter().map(|x| pid(*x)).collect();
            format!("SetTidSpec::PidsPlus4G(vec![{}])", v.join(", "))
        }
        SetTidSpec::Literal { addr, size } => format!(
            "SetTidSpec::Literal {{ addr: {}, size: {} }}",
            num(*addr),
            num(*size)
        ),
    }
}

fn step(s: &Step) -> String {
    match s {
        Step::NestPidNs { levels } => format!("Step::NestPidNs {{ levels: {levels} }}"),
        Step::UnsharePidNs => "Step::UnsharePidNs".into(),
        Step::KeepCaps { caps } => format!("Step::KeepCaps {{ caps: {} }}", num(*caps)),
        Step::Signal { signo, disposition } => {
            format!("Step::Signal {{ signo: {signo}, disposition: Disposition::{disposition:?} }}")
        }
        Step::Cgroup => "Step::Cgroup".into(),
        Step::CgroupV1 => "Step::CgroupV1".into(),
        Step::AutoreapedCaller => "Step::AutoreapedCaller".into(),
        Step::NoNewPrivs => "Step::NoNewPrivs".into(),
        Step::NestUserNs { levels } => format!("Step::NestUserNs {{ levels: {levels} }}"),
    }
}

/// The concern a pasted case would be filed under, from what it sets.
pub fn concern_of(case: &Case) -> Concern {
    let d = Clone3Call::default();
    match &case.call {
        Call::Legacy(_) => Concern::Legacy,
        Call::Clone3(c) => {
            if case.kept_caps().is_some() {
                Concern::Caps
            } else if c.set_tid != d.set_tid {
                Concern::SetTid
            } else if c.cgroup != d.cgroup {
                Concern::Cgroup
            } else if c.size != d.size || c.args_at != d.args_at || c.tail.is_some() {
                Concern::Sizes
            } else if c.stack != d.stack || c.stack_size != d.stack_size {
                Concern::Stack
            } else if c.exit_signal != d.exit_signal {
                Concern::ExitSignal
            } else if c.pidfd != d.pidfd
                || c.child_tid != d.child_tid
                || c.parent_tid != d.parent_tid
            {
                Concern::Outputs
            } else {
                Concern::Flags
            }
        }
    }
}

/// The case as a catalog entry: `case(Concern, "rest.of.id", "summary")` with its steps,
/// behaviour and call. `name` becomes the rest of the id.
pub fn catalog_entry(case: &Case, name: &str, summary: &str) -> String {
    let concern = concern_of(case);
    let mut s = format!("case(\n    {concern:?},\n    {name:?},\n    {summary:?},\n)\n",);
    for st in &case.steps {
        s += &format!(".step({})\n", step(st));
    }
    let b = case.behavior;
    if b.no_reap {
        s += ".behavior(|b| b.no_reap = true)\n";
    }
    if b.follow_exit {
        s += ".behavior(|b| b.follow_exit = true)\n";
    }
    match &case.call {
        Call::Clone3(c) => {
            let d = Clone3Call::default();
            let mut lines = Vec::new();
            if c.flags != d.flags {
                lines.push(format!("c.flags = {};", flags_expr(c.flags)));
            }
            for (name, v, dv) in [
                ("pidfd", c.pidfd, d.pidfd),
                ("child_tid", c.child_tid, d.child_tid),
                ("parent_tid", c.parent_tid, d.parent_tid),
            ] {
                if v != dv {
                    lines.push(format!("c.{name} = {};", ptr(v)));
                }
            }
            if c.exit_signal != d.exit_signal {
                lines.push(format!("c.exit_signal = {};", num(c.exit_signal)));
            }
            if c.stack != d.stack {
                lines.push(format!("c.stack = {};", stack(c.stack)));
            }
            if c.stack_size != d.stack_size {
                lines.push(format!("c.stack_size = {};", num(c.stack_size)));
            }
            if c.tls != d.tls {
                lines.push(format!("c.tls = {};", ptr(c.tls)));
            }
            if c.set_tid != d.set_tid {
                lines.push(format!("c.set_tid = {};", set_tid(&c.set_tid)));
            }
            if c.cgroup != d.cgroup {
                lines.push(format!(
                    "c.cgroup = {};",
                    match c.cgroup {
                        CgroupSpec::Fd(fd) => format!("CgroupSpec::Fd({})", num(fd)),
                        CgroupSpec::Created => "CgroupSpec::Created".into(),
                        CgroupSpec::NonCgroupDir => "CgroupSpec::NonCgroupDir".into(),
                        CgroupSpec::CreatedPath => "CgroupSpec::CreatedPath".into(),
                        CgroupSpec::CreatedProcsFile => "CgroupSpec::CreatedProcsFile".into(),
                        CgroupSpec::CreatedClosed => "CgroupSpec::CreatedClosed".into(),
                        CgroupSpec::V1Root => "CgroupSpec::V1Root".into(),
                    }
                ));
            }
            if c.size != d.size {
                lines.push(format!(
                    "c.size = {};",
                    match c.size {
                        SizeArg::Literal(b) => format!("SizeArg::Literal({})", num(b)),
                        SizeArg::PageSizePlus(k) => format!("SizeArg::PageSizePlus({k})"),
                    }
                ));
            }
            if c.args_at != d.args_at {
                lines.push(format!(
                    "c.args_at = {};",
                    match c.args_at {
                        Placement::Normal => "Placement::Normal".into(),
                        Placement::Null => "Placement::Null".into(),
                        Placement::Unmapped => "Placement::Unmapped".into(),
                        Placement::GuardAfter { mapped } =>
                            format!("Placement::GuardAfter {{ mapped: {mapped} }}"),
                    }
                ));
            }
            if let Some((off, v)) = c.tail {
                lines.push(format!("c.tail = Some(({off}, {}));", num(v)));
            }
            match lines.len() {
                0 => s += ".clone3(|_| {})",
                1 => s += &format!(".clone3(|c| {})", lines[0].trim_end_matches(';')),
                _ => {
                    s += ".clone3(|c| {\n";
                    for l in lines {
                        s += &format!("    {l}\n");
                    }
                    s += "})";
                }
            }
        }
        Call::Legacy(l) => {
            s += &format!(
                ".legacy(LegacyCall {{\n    flags: {},\n    stack: {},\n    parent_tid: {},\n    child_tid: {},\n    tls: {},\n}})",
                flags_expr(l.flags),
                stack(l.stack),
                ptr(l.parent_tid),
                ptr(l.child_tid),
                ptr(l.tls)
            );
        }
    }
    s + ","
}
