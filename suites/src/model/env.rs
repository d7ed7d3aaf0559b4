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
    /// Absolute nesting level of the payload's user namespace, where the runner knows it (0
    /// in a guest, and natively as root on a host in its initial user namespace).
    pub payload_user_level: Option<u32>,
    /// The payload holds CAP_SYS_ADMIN over its own user namespace (root there).
    pub caller_is_admin: bool,
    /// 0 when the payload could mount cgroup2 and create its run directory, else the errno.
    pub cgroup2_errno: i32,
    /// 0 when a case can mount a named cgroup v1 hierarchy, else the errno (-1: not tried).
    pub cgroup1_errno: i32,
    /// Namespace types the kernel was built with, bit i for `NS_NAMES[i]`.
    pub namespaces: u8,
    /// Set only inside [`crate::model::predict`]: one gate (by name) taken as present or
    /// absent whatever the kernel version, to find the cases an uncertain gate decides.
    #[serde(skip)]
    pub assume: Option<(&'static str, bool)>,
}

impl ModelEnv {
    /// An environment where only the ABI and the kernel version decide: the ABI's default
    /// page size, pid_max 32768, the payload one pid namespace down (as the native runner
    /// runs it) holding CAP_SYS_ADMIN, cgroup2 mounted, every namespace type built in.
    pub fn nominal(arch: Arch, kernel: KernelVersion) -> ModelEnv {
        ModelEnv {
            arch,
            kernel,
            page_size: arch.abi().default_page_size,
            pid_max: 32768,
            payload_level: 1,
            payload_user_level: Some(0),
            caller_is_admin: true,
            cgroup2_errno: 0,
            cgroup1_errno: 0,
            namespaces: 0xff,
            assume: None,
        }
    }

    /// Whether the kernel has namespaces of this type (a name from `NS_NAMES`).
    pub fn has_namespace(&self, name: &str) -> bool {
        crate::observation::NS_NAMES
            .iter()
            .position(|n| *n == name)
            .is_some_and(|i| self.namespaces & (1 << i) != 0)
    }
}

/// The deepest pid-namespace level the kernel allows (MAX_PID_NS_LEVEL).
pub const MAX_PID_NS_LEVEL: u32 = 32;

/// The deepest user-namespace level the kernel allows: create_user_ns() refuses a parent
/// whose level is above 32 (ENOSPC), so a namespace at level 33 can be made and none below it.
pub const MAX_USER_NS_LEVEL: u32 = 33;

/// `PID_MAX_LIMIT` on a 64-bit kernel without CONFIG_BASE_SMALL (include/linux/threads.h):
/// the pid_max a new pid namespace starts with where pid_max is per namespace.
pub const PID_MAX_LIMIT: i64 = 4 * 1024 * 1024;
