//! Logical cases: what a case asks of the kernel, independent of any architecture.

use crate::program::{Behavior, Disposition};
use serde::Serialize;

/// The concern a case belongs to; the first component of its id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Concern {
    Sizes,
    Flags,
    ExitSignal,
    Stack,
    Outputs,
    SetTid,
    Caps,
    Cgroup,
    Sighand,
    Legacy,
}

impl Concern {
    pub fn as_str(self) -> &'static str {
        match self {
            Concern::Sizes => "sizes",
            Concern::Flags => "flags",
            Concern::ExitSignal => "exit_signal",
            Concern::Stack => "stack",
            Concern::Outputs => "outputs",
            Concern::SetTid => "set_tid",
            Concern::Caps => "caps",
            Concern::Cgroup => "cgroup",
            Concern::Sighand => "sighand",
            Concern::Legacy => "legacy",
        }
    }
}

/// An output slot the payload owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotKind {
    Pidfd,
    ChildTid,
    ParentTid,
}

/// A pointer-valued argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ptr {
    Null,
    /// A fixed address (used for values that must be invalid or ignored).
    Literal(u64),
    Slot(SlotKind),
    /// The payload's TLS scratch area plus an offset.
    TlsArea(u64),
    /// The start of an unmapped page.
    Unmapped,
    /// The slot's address plus 2^32. On an ABI with 32-bit pointers the slot's address is
    /// its low half, and nothing is mapped at or above 4 GiB: the pointer faults unless it
    /// is cut to 32 bits, and then it hits the slot.
    SlotPlus4G(SlotKind),
}

impl Ptr {
    /// Whether a kernel write through this pointer would fault.
    pub fn faults(self) -> bool {
        matches!(
            self,
            Ptr::Null | Ptr::Unmapped | Ptr::Literal(_) | Ptr::SlotPlus4G(_)
        )
    }

    /// The output slot the pointer names, exactly or through its low 32 bits.
    pub fn slot(self) -> Option<SlotKind> {
        match self {
            Ptr::Slot(s) | Ptr::SlotPlus4G(s) => Some(s),
            _ => None,
        }
    }
}

/// The `stack` member (or legacy `newsp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StackSpec {
    /// 0: keep the parent's SP (fork-like).
    None,
    /// The payload-mapped stack region of `len` bytes; `stack` = its base (clone3) or
    /// base + offset (legacy `newsp`).
    Region { len: u32, offset: u64 },
    /// A fixed value.
    Literal(u64),
}

/// A pid value chosen for one pid-namespace level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PidValue {
    Literal(i32),
    /// pid_max minus this much (pid_max itself when 0).
    PidMaxMinus(i32),
}

/// The `set_tid` member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SetTidSpec {
    /// `set_tid = 0`, with the given `set_tid_size`.
    Null { size: u64 },
    /// A real array (innermost level first) and its length as `set_tid_size`.
    Pids(Vec<PidValue>),
    /// An array of `len` entries filled with one value, passed with `set_tid_size = len`.
    Filled { value: i32, len: u32 },
    /// A pointer to an unmapped page with this size.
    Unmapped { size: u64 },
    /// A real array as [`SetTidSpec::Pids`], passed at its address plus 2^32 (see
    /// [`Ptr::SlotPlus4G`]).
    PidsPlus4G(Vec<PidValue>),
    /// A fixed pointer with this size.
    Literal { addr: u64, size: u64 },
}

/// The `cgroup` member.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CgroupSpec {
    Fd(u64),
    /// The directory created by the case's `Cgroup` setup step.
    Created,
    /// A directory that is not a cgroup (`/`).
    NonCgroupDir,
}

/// A clone3 call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Clone3Call {
    pub flags: u64,
    pub pidfd: Ptr,
    pub child_tid: Ptr,
    pub parent_tid: Ptr,
    pub exit_signal: u64,
    pub stack: StackSpec,
    pub stack_size: u64,
    pub tls: Ptr,
    pub set_tid: SetTidSpec,
    pub cgroup: CgroupSpec,
    pub size: SizeSpec,
    pub args_at: ArgsAt,
    /// A u64 written past the known struct (for sizes beyond it): (offset, value).
    pub tail: Option<(usize, u64)>,
}

/// clone3's `size` argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeSpec {
    Bytes(u64),
    PageSizePlus(i64),
}

/// Where the struct lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArgsAt {
    Normal,
    Null,
    Unmapped,
    /// The first `mapped` bytes are readable; the rest lies in an unmapped page.
    GuardAfter {
        mapped: u32,
    },
}

impl Default for Clone3Call {
    /// A plain fork-like clone3: exit_signal SIGCHLD, full struct size, nothing else.
    fn default() -> Self {
        Clone3Call {
            flags: 0,
            pidfd: Ptr::Null,
            child_tid: Ptr::Null,
            parent_tid: Ptr::Null,
            exit_signal: crate::flags::SIGCHLD,
            stack: StackSpec::None,
            stack_size: 0,
            tls: Ptr::Null,
            set_tid: SetTidSpec::Null { size: 0 },
            cgroup: CgroupSpec::Fd(0),
            size: SizeSpec::Bytes(88),
            args_at: ArgsAt::Normal,
            tail: None,
        }
    }
}

/// A legacy clone() call; the lowering orders the arguments per arch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LegacyCall {
    /// Raw 64-bit flags register value (low byte = exit signal).
    pub flags: u64,
    pub stack: StackSpec,
    pub parent_tid: Ptr,
    pub child_tid: Ptr,
    pub tls: Ptr,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Call {
    Clone3(Clone3Call),
    Legacy(LegacyCall),
}

/// A logical setup step (lowered to payload steps).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Enter `levels` nested pid namespaces, each with its own init (unshare + fork).
    NestPidNs { levels: u32 },
    /// `unshare(CLONE_NEWPID)` without forking: the next child is the new namespace's first.
    UnsharePidNs,
    /// Keep only these capabilities (effective and permitted).
    KeepCaps { caps: u64 },
    Signal {
        signo: u32,
        disposition: Disposition,
    },
    /// Create a cgroup2 directory for the case.
    Cgroup,
    /// Run the rest of the case in a child made with CLONE_AUTOREAP: the caller is itself a
    /// process the kernel reaps (`signal->autoreap`).
    AutoreapedCaller,
}

/// The ABIs a case means something on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    AllAbis,
    /// ABIs whose pointers are 32 bits (`ArchAbi::pointer_width`): the case passes addresses
    /// at or above 4 GiB that such a process cannot map, which are ordinary, maybe mapped,
    /// addresses to a 64-bit process.
    Pointers32,
}

impl Scope {
    /// Why the case means nothing on `arch`, or `None` where it applies.
    pub fn gap(self, arch: cloneabi_arch::Arch) -> Option<String> {
        match self {
            Scope::AllAbis => None,
            Scope::Pointers32 => (arch.abi().pointer_width != 32).then(|| {
                format!(
                    "the case passes addresses at or above 4 GiB, which only an ABI with 32-bit \
                     pointers cannot map; {arch}'s pointers are {} bits",
                    arch.abi().pointer_width
                )
            }),
        }
    }
}

/// One conformance case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Case {
    /// Stable dot-separated id: `<concern>.<...>`; a valid KCIDB test path.
    pub id: String,
    pub concern: Concern,
    /// One line saying what the case checks.
    pub summary: String,
    /// The upstream check it is the counterpart of, if any (selftests or LTP).
    pub origin: Option<&'static str>,
    pub steps: Vec<Step>,
    pub call: Call,
    pub behavior: Behavior,
    #[serde(skip_serializing_if = "is_all_abis")]
    pub scope: Scope,
}

fn is_all_abis(s: &Scope) -> bool {
    *s == Scope::AllAbis
}

impl Case {
    pub fn clone3(&self) -> Option<&Clone3Call> {
        match &self.call {
            Call::Clone3(c) => Some(c),
            Call::Legacy(_) => None,
        }
    }

    /// The nesting depth the case's setup adds below the payload's pid namespace.
    pub fn nested_levels(&self) -> u32 {
        self.steps
            .iter()
            .map(|s| match s {
                Step::NestPidNs { levels } => *levels,
                _ => 0,
            })
            .sum()
    }

    pub fn unshares_pid_ns(&self) -> bool {
        self.steps.iter().any(|s| matches!(s, Step::UnsharePidNs))
    }

    /// The capability set the case keeps, when it drops some.
    pub fn kept_caps(&self) -> Option<u64> {
        self.steps.iter().find_map(|s| match s {
            Step::KeepCaps { caps } => Some(*caps),
            _ => None,
        })
    }

    /// Whether the call is made by a process that was itself created with CLONE_AUTOREAP.
    pub fn caller_is_autoreaped(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s, Step::AutoreapedCaller))
    }

    pub fn creates_cgroup(&self) -> bool {
        self.steps.iter().any(|s| matches!(s, Step::Cgroup))
    }
}

/// Checks a case id is a valid KCIDB test path and carries no run-specific values.
pub fn valid_case_id(id: &str) -> bool {
    !id.is_empty()
        && id.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}
