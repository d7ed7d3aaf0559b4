//! What the model needs to know about the target, all of it measured by the payload or the
//! runner, none of it copied from an outcome.

use cloneabi_arch::{Arch, KernelVersion};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModelEnv {
    pub arch: Arch,
    pub kernel: KernelVersion,
    /// The runtime page size (size > PAGE_SIZE is E2BIG).
    pub page_size: u64,
    pub pid_max: i64,
    /// Absolute nesting level of the payload's pid namespace (0 in a guest where the payload
    /// is the real init; 1 natively under a host at level 0).
    pub payload_level: u32,
    /// The payload holds CAP_SYS_ADMIN over its own user namespace (root there).
    pub caller_is_admin: bool,
    /// 0 when the payload could mount cgroup2 and create its run directory, else the errno.
    pub cgroup2_errno: i32,
    /// The kernel has time namespaces (/proc/self/ns/time exists).
    pub time_ns: bool,
}

/// The deepest pid-namespace level the kernel allows (MAX_PID_NS_LEVEL).
pub const MAX_PID_NS_LEVEL: u32 = 32;
