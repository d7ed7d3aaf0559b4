//! The errno values the model predicts. The generic Linux numbering applies to all five
//! ABIs (only alpha, mips, parisc and sparc differ).

pub const EPERM: i32 = 1;
pub const ESRCH: i32 = 3;
pub const E2BIG: i32 = 7;
pub const EBADF: i32 = 9;
pub const ECHILD: i32 = 10;
pub const EAGAIN: i32 = 11;
pub const ENOMEM: i32 = 12;
pub const EFAULT: i32 = 14;
pub const EBUSY: i32 = 16;
pub const EOPNOTSUPP: i32 = 95;
pub const EEXIST: i32 = 17;
pub const EINVAL: i32 = 22;
pub const ENOSPC: i32 = 28;
pub const ENOSYS: i32 = 38;
pub const EUSERS: i32 = 87;

/// Names of the errnos cloneabi reports.
const NAMES: &[(i32, &str)] = &[
    (EPERM, "EPERM"),
    (2, "ENOENT"),
    (ESRCH, "ESRCH"),
    (E2BIG, "E2BIG"),
    (EBADF, "EBADF"),
    (ECHILD, "ECHILD"),
    (EAGAIN, "EAGAIN"),
    (ENOMEM, "ENOMEM"),
    (13, "EACCES"),
    (EFAULT, "EFAULT"),
    (EBUSY, "EBUSY"),
    (EEXIST, "EEXIST"),
    (20, "ENOTDIR"),
    (EINVAL, "EINVAL"),
    (ENOSPC, "ENOSPC"),
    (ENOSYS, "ENOSYS"),
    (EUSERS, "EUSERS"),
    (EOPNOTSUPP, "EOPNOTSUPP"),
];

/// The symbolic name of an errno, or its number.
pub fn name(errno: i32) -> String {
    NAMES
        .iter()
        .find(|(e, _)| *e == errno)
        .map_or_else(|| format!("errno {errno}"), |(_, n)| n.to_string())
}

/// The errno with this symbolic name.
pub fn from_name(name: &str) -> Option<i32> {
    NAMES.iter().find(|(_, n)| *n == name).map(|(e, _)| *e)
}

/// Signal names for messages.
pub fn signal_name(sig: i32) -> String {
    let known = match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        9 => "SIGKILL",
        10 => "SIGUSR1",
        11 => "SIGSEGV",
        12 => "SIGUSR2",
        15 => "SIGTERM",
        17 => "SIGCHLD",
        _ => return format!("signal {sig}"),
    };
    known.to_string()
}
