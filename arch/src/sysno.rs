//! The system calls cloneabi issues, named independently of any architecture.
//!
//! Each arch module maps every [`Sysno`] to its number with an exhaustive `match`,
//! so adding a syscall here fails to compile until every architecture says what it is.

use serde::Serialize;

macro_rules! sysnos {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// A system call by name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Sysno { $($variant),+ }

        impl Sysno {
            /// Every syscall, in declaration order.
            pub const ALL: &'static [Sysno] = &[$(Sysno::$variant),+];

            /// The kernel's name for it, as in `__NR_<name>`.
            pub const fn name(self) -> &'static str {
                match self { $(Sysno::$variant => $name),+ }
            }
        }
    };
}

sysnos! {
    Clone => "clone",
    Clone3 => "clone3",
    Fork => "fork",
    Vfork => "vfork",
    Exit => "exit",
    ExitGroup => "exit_group",
    Wait4 => "wait4",
    Waitid => "waitid",
    Getpid => "getpid",
    Getppid => "getppid",
    Gettid => "gettid",
    Kill => "kill",
    Tgkill => "tgkill",
    Unshare => "unshare",
    Setns => "setns",
    PidfdOpen => "pidfd_open",
    PidfdSendSignal => "pidfd_send_signal",
    Capget => "capget",
    Capset => "capset",
    Prctl => "prctl",
    Mount => "mount",
    Umount2 => "umount2",
    Reboot => "reboot",
    SetTidAddress => "set_tid_address",
    Futex => "futex",
    RtSigaction => "rt_sigaction",
    RtSigprocmask => "rt_sigprocmask",
    RtSigtimedwait => "rt_sigtimedwait",
    Mmap => "mmap",
    Munmap => "munmap",
    Mprotect => "mprotect",
    Pipe2 => "pipe2",
    Read => "read",
    Write => "write",
    Close => "close",
    Openat => "openat",
    Readlinkat => "readlinkat",
    Mkdirat => "mkdirat",
    Unlinkat => "unlinkat",
    ClockNanosleep => "clock_nanosleep",
    SchedYield => "sched_yield",
    ArchPrctl => "arch_prctl",
}

impl Sysno {
    /// Looks a syscall up by its kernel name.
    pub fn from_name(name: &str) -> Option<Sysno> {
        Sysno::ALL.iter().copied().find(|s| s.name() == name)
    }
}
