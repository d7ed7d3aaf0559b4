//! Seeded random cases over the input space `Case` can express.
//!
//! The stream is ChaCha8 seeded from the campaign seed, and every draw goes through a u64
//! range (`random_range` on u64 is value-stable across platforms in rand 0.9), so the same
//! seed gives the same cases on every host and for every target arch.
//!
//! Every case passes through [`sanitize`], which keeps it inside what the payload can run
//! safely and the model can judge (the same function bounds the shrinker's candidates).

use crate::case::{
    Call, Case, CgroupSpec, Clone3Call, Concern, LegacyCall, PidValue, Placement, Ptr, Scope,
    SetTidSpec, SizeArg, SlotKind, StackSpec, Step,
};
use crate::catalog::STACK_LEN;
use crate::flags::*;
use crate::program::{Behavior, Disposition};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A generator of the cases of one campaign.
pub struct Generator {
    rng: ChaCha8Rng,
    seed: u64,
    next: u64,
}

/// Flag combinations the kernel's rules pair up; drawn whole.
const PAIRS: &[u64] = &[
    CLONE_THREAD | CLONE_SIGHAND | CLONE_VM,
    CLONE_SIGHAND | CLONE_VM,
    CLONE_NEWUSER | CLONE_NEWPID,
    CLONE_PIDFD | CLONE_PARENT_SETTID,
    CLONE_VFORK | CLONE_VM,
    CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_VM,
    CLONE_NEWNS | CLONE_FS,
    CLONE_NEWUSER | CLONE_FS,
    CLONE_CLEAR_SIGHAND | CLONE_SIGHAND,
    CLONE_NEWIPC | CLONE_SYSVSEM,
    CLONE_PIDFD | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM,
    CLONE_PIDFD | CLONE_DETACHED,
    CLONE_AUTOREAP | CLONE_PIDFD,
    CLONE_PIDFD_AUTOKILL | CLONE_AUTOREAP | CLONE_PIDFD,
    CLONE_NNP | CLONE_THREAD,
    CLONE_EMPTY_MNTNS | CLONE_FS,
    CLONE_PARENT | CLONE_THREAD,
];

/// u64 values with weight on the boundaries every field has.
const BOUNDARIES: &[u64] = &[
    0,
    1,
    2,
    7,
    8,
    64,
    65,
    0xff,
    0x100,
    0xfff,
    0x1000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_0000_0011,
    0x8000_0000_0000_0000,
    0xbadc_0ded_0000_0000,
    u64::MAX,
];

/// Kernel and non-canonical addresses for pointer members.
const KERNEL_ADDRESSES: &[u64] = &[
    0xffff_8000_0000_0000,
    0xffff_ffff_8000_0000,
    0xffff_ffff_ffff_f000,
    0x8000_0000_0000_0000,
    1 << 56,
];

/// Stack addresses whose outcome does not depend on the paging configuration: above every
/// arch's user ceiling, wrapping, or in the first page (below mmap_min_addr: unmapped).
const STACK_LITERALS: &[u64] = &[
    0x1000,
    0x2000,
    0xffff_ffff_ffff_0000,
    u64::MAX - 0xfff,
    1 << 56,
    1 << 63,
];

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            seed,
            next: 0,
        }
    }

    fn below(&mut self, n: u64) -> u64 {
        self.rng.random_range(0..n)
    }

    /// True with probability `pct` percent.
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Any u64, with weight on the boundaries.
    fn any_u64(&mut self) -> u64 {
        match self.below(10) {
            0..=5 => self.pick(BOUNDARIES),
            6 => 1u64 << self.below(64),
            7 => self
                .pick(BOUNDARIES)
                .wrapping_add(self.below(3))
                .wrapping_sub(1),
            _ => self.rng.random(),
        }
    }

    fn flags(&mut self, legacy: bool) -> u64 {
        let defined: Vec<u64> = all()
            .iter()
            .filter(|f| f.value != CSIGNAL && (!legacy || f.value <= 0xffff_ffff))
            .map(|f| f.value)
            .collect();
        let picks = match self.below(100) {
            0..=19 => 0,
            20..=49 => 1,
            50..=74 => 2,
            75..=89 => 3,
            _ => 4 + self.below(3),
        };
        let mut flags = 0;
        for _ in 0..picks {
            flags |= match self.below(10) {
                0..=5 => self.pick(&defined),
                6 | 7 => self.pick(PAIRS),
                8 => 1u64 << self.below(if legacy { 32 } else { 64 }),
                _ => 1u64 << self.below(8),
            };
        }
        flags
    }

    fn exit_signal(&mut self) -> u64 {
        match self.below(100) {
            0..=44 => SIGCHLD,
            45..=59 => 0,
            60..=74 => 1 + self.below(64),
            75..=84 => self.pick(&[64, 65, 0x80, 0xf0, 0xff, 0x100]),
            _ => self.any_u64(),
        }
    }

    /// A pointer for a member the flags make the kernel write through (or read).
    fn out_ptr(&mut self, used: bool, natural: SlotKind) -> Ptr {
        if !used && self.chance(85) {
            return Ptr::Null;
        }
        match self.below(100) {
            0..=69 => Ptr::Slot(natural),
            70..=79 => Ptr::Null,
            80..=85 => Ptr::Unmapped,
            86..=91 => Ptr::ReadOnly,
            _ => Ptr::Literal(self.pick(KERNEL_ADDRESSES)),
        }
    }

    fn tls(&mut self, settls: bool) -> Ptr {
        if !settls && self.chance(90) {
            return Ptr::Null;
        }
        match self.below(10) {
            0..=1 => Ptr::Null,
            2..=7 => Ptr::TlsArea(0x40 * self.below(32)),
            _ => Ptr::Literal(self.pick(KERNEL_ADDRESSES)),
        }
    }

    fn stack(&mut self) -> (StackSpec, u64) {
        let region = StackSpec::Region {
            len: STACK_LEN,
            offset: 0,
        };
        let len = u64::from(STACK_LEN);
        match self.below(100) {
            0..=44 => (StackSpec::None, 0),
            45..=49 => (StackSpec::None, self.any_u64().max(1)),
            50..=79 => (region, len),
            80..=84 => (region, self.pick(&[len / 2, len - 8, len - 4, 0])),
            85..=89 => (
                StackSpec::ReadOnly { offset: 0 },
                self.pick(&[0x1000, 0x800, 0x10, 0, 0x4000]),
            ),
            _ => {
                let addr = self.pick(STACK_LITERALS);
                let size = match self.below(4) {
                    0 => 0,
                    1 => len,
                    2 => 0x1000,
                    _ => self.any_u64(),
                };
                (StackSpec::Literal(addr), size)
            }
        }
    }

    fn size(&mut self) -> SizeArg {
        match self.below(100) {
            0..=59 => SizeArg::Literal(88),
            60..=79 => SizeArg::Literal(self.pick(&[64, 72, 80, 96, 104, 152, 160, 256])),
            80..=87 => {
                let base = self.pick(&[64u64, 80, 88]);
                SizeArg::Literal(base + self.below(3) - 1)
            }
            88..=94 => SizeArg::PageSizePlus(self.pick(&[-8, -1, 0, 1, 8])),
            _ => SizeArg::Literal(self.pick(&[0, 1, 63, 0x1_0000, 1 << 32, u64::MAX])),
        }
    }

    fn tail(&mut self, size: SizeArg) -> Option<(usize, u64)> {
        let SizeArg::Literal(n) = size else {
            return None;
        };
        if n <= 88 || n > 256 || self.chance(50) {
            return None;
        }
        let mut offset = 88 + 8 * self.below((n - 88).div_ceil(8)) as usize;
        if self.chance(15) {
            offset += 1 + self.below(7) as usize;
        }
        let value = if self.chance(30) { 0 } else { self.any_u64() };
        Some((offset, value))
    }

    fn args_at(&mut self) -> Placement {
        match self.below(100) {
            0..=86 => Placement::Normal,
            87..=88 => Placement::Null,
            89..=91 => Placement::Unmapped,
            _ => Placement::GuardAfter {
                mapped: self.pick(&[0, 8, 63, 64, 80, 87, 88, 89, 96, 104]),
            },
        }
    }

    fn pid_value(&mut self, from_outer: u32, others: &[PidValue]) -> PidValue {
        match self.below(100) {
            0..=44 => crate::catalog::chosen_pid(from_outer),
            45..=59 => PidValue::Literal(1),
            60..=66 => PidValue::PidMaxMinus(0),
            67..=71 => PidValue::PidMaxMinus(1),
            72..=76 => PidValue::Literal(0),
            77..=81 => PidValue::Literal(-1),
            82..=86 if !others.is_empty() => self.pick(others),
            87..=91 => PidValue::Literal(self.pick(&[i32::MIN, i32::MAX, 1 << 22, 1 << 30])),
            _ => PidValue::PidMaxMinus(-1 - self.below(2) as i32),
        }
    }

    fn set_tid(&mut self, levels_below_payload: u32) -> SetTidSpec {
        match self.below(100) {
            0..=49 => SetTidSpec::Null { size: 0 },
            50..=53 => SetTidSpec::Null {
                size: self.pick(&[1, 2, 32, 33, 1 << 32]),
            },
            54..=59 => SetTidSpec::Unmapped {
                size: self.pick(&[0, 1, 2, 32, 33, 64]),
            },
            60..=64 => SetTidSpec::Filled {
                value: self.pick(&[0, -1, 1]),
                len: self.pick(&[0, 1, 2, 31, 32, 33, 64]),
            },
            _ => {
                // Mostly a vector as deep as the child's pid namespaces, sometimes a level
                // short or one too many.
                let full = levels_below_payload + 1;
                let depth = match self.below(10) {
                    0..=5 => full,
                    6 | 7 => 1 + self.below(u64::from(full)) as u32,
                    8 => full + 1,
                    _ => 1 + self.below(33) as u32,
                };
                let mut pids: Vec<PidValue> = Vec::new();
                for i in 0..depth {
                    // Innermost first: element i is `depth - 1 - i` levels below the outermost.
                    let from_outer = depth - 1 - i;
                    let v = self.pid_value(from_outer, &pids);
                    pids.push(v);
                }
                SetTidSpec::Pids(pids)
            }
        }
    }

    fn steps(&mut self) -> Vec<Step> {
        let mut steps = Vec::new();
        if self.chance(25) {
            let levels = match self.below(10) {
                0..=6 => 1 + self.below(2) as u32,
                7 | 8 => 3 + self.below(4) as u32,
                _ => 7 + self.below(25) as u32,
            };
            steps.push(Step::NestPidNs { levels });
        }
        if self.chance(8) {
            steps.push(Step::UnsharePidNs);
        }
        if self.chance(8) {
            // Mostly SIGUSR1 and SIGUSR2; now and then any other signal the case process can
            // give a disposition to without changing how it waits for its children (not
            // SIGCHLD) and that the C library lets it set (not 32 and 33, glibc's own).
            let other = if self.chance(25) {
                let n = 1 + self.below(64);
                (![9, 17, 19, 32, 33].contains(&n)).then_some(n)
            } else {
                None
            };
            for signo in [SIGUSR1, SIGUSR2].into_iter().chain(other) {
                if self.chance(60) {
                    let disposition = self.pick(&[
                        Disposition::Default,
                        Disposition::Ignore,
                        Disposition::Handler,
                    ]);
                    steps.push(Step::Signal {
                        signo: signo as u32,
                        disposition,
                    });
                }
            }
        }
        if self.chance(6) {
            steps.push(Step::NoNewPrivs);
        }
        if self.chance(8) {
            // Mostly a level or two; now and then as deep as the kernel lets a caller be
            // (32 below the initial namespace: its CLONE_NEWUSER makes the deepest one) or
            // one deeper (its CLONE_NEWUSER is refused).
            let levels = match self.below(10) {
                0..=6 => 1,
                7 | 8 => 2 + self.below(3) as u32,
                _ => self.pick(&[32, 33]),
            };
            steps.push(Step::NestUserNs { levels });
        }
        if self.chance(10) {
            let caps = self.pick(&[
                0,
                cap(CAP_SYS_ADMIN),
                cap(CAP_CHECKPOINT_RESTORE),
                cap(CAP_SYS_ADMIN) | cap(CAP_CHECKPOINT_RESTORE),
            ]);
            steps.push(Step::KeepCaps { caps });
        }
        steps
    }

    fn clone3(&mut self, steps: &mut Vec<Step>) -> Clone3Call {
        let flags = self.flags(false);
        let (stack, stack_size) = self.stack();
        let size = self.size();
        let levels = child_levels(steps, flags);
        let cgroup = if flags & CLONE_INTO_CGROUP != 0 || self.chance(3) {
            self.cgroup(steps)
        } else {
            CgroupSpec::Fd(0)
        };
        let mut call = Clone3Call {
            flags,
            pidfd: self.out_ptr(flags & CLONE_PIDFD != 0, SlotKind::Pidfd),
            child_tid: self.out_ptr(
                flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0,
                SlotKind::ChildTid,
            ),
            parent_tid: self.out_ptr(flags & CLONE_PARENT_SETTID != 0, SlotKind::ParentTid),
            exit_signal: self.exit_signal(),
            stack,
            stack_size,
            tls: self.tls(flags & CLONE_SETTLS != 0),
            set_tid: self.set_tid(levels),
            cgroup,
            size,
            args_at: self.args_at(),
            tail: self.tail(size),
        };
        if flags & CLONE_PIDFD != 0 && flags & CLONE_PARENT_SETTID != 0 && self.chance(20) {
            call.parent_tid = call.pidfd;
        }
        call
    }

    fn cgroup(&mut self, steps: &mut Vec<Step>) -> CgroupSpec {
        match self.below(10) {
            0..=2 => {
                steps.insert(0, Step::Cgroup);
                CgroupSpec::Created
            }
            3 => {
                steps.insert(0, Step::Cgroup);
                self.pick(&CgroupSpec::REOPENED)
            }
            4 => CgroupSpec::NonCgroupDir,
            5 => {
                steps.insert(0, Step::CgroupV1);
                CgroupSpec::V1Root
            }
            6 => CgroupSpec::Fd(self.pick(&[0, 1, 3, 1000])),
            // The whole range, for the INT_MAX bound of copy_clone_args_from_user().
            _ => CgroupSpec::Fd(self.any_u64()),
        }
    }

    fn legacy(&mut self) -> LegacyCall {
        let mut flags = self.flags(true) & !CSIGNAL;
        if self.chance(10) {
            flags |= 1u64 << (32 + self.below(32));
        }
        let signal = match self.below(10) {
            0..=6 => SIGCHLD,
            7 => 0,
            _ => self.below(256),
        };
        let stack = match self.below(10) {
            0..=6 => StackSpec::Region {
                len: STACK_LEN,
                offset: u64::from(STACK_LEN),
            },
            _ => StackSpec::None,
        };
        LegacyCall {
            flags: flags | signal,
            stack,
            parent_tid: self.out_ptr(
                flags & (CLONE_PARENT_SETTID | CLONE_PIDFD) != 0,
                SlotKind::ParentTid,
            ),
            child_tid: self.out_ptr(
                flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0,
                SlotKind::ChildTid,
            ),
            tls: self.tls(flags & CLONE_SETTLS != 0),
        }
    }

    /// The next case of the campaign: `fuzz.<seed>.<n>`.
    pub fn case(&mut self) -> Case {
        let n = self.next;
        self.next += 1;
        let mut steps = self.steps();
        let call = if self.chance(10) {
            Call::Legacy(self.legacy())
        } else {
            Call::Clone3(self.clone3(&mut steps))
        };
        let case = Case {
            id: format!("fuzz.{}.{n}", self.seed),
            concern: Concern::Fuzz,
            summary: "a generated program".into(),
            origin: None,
            steps,
            call,
            behavior: Behavior::default(),
            scope: Scope::AllAbis,
        };
        sanitize(case)
    }
}

impl Generator {
    /// A neighbour of `case`, numbered as the campaign's next case: one of its parts drawn
    /// anew (for the flags, one flag, pair or raw bit toggled), the rest kept.
    pub fn mutate(&mut self, case: &Case) -> Case {
        let n = self.next;
        self.next += 1;
        let mut case = case.clone();
        case.id = format!("fuzz.{}.{n}", self.seed);
        case.concern = Concern::Fuzz;
        case.summary = "a generated program".into();
        case.origin = None;
        let Case { steps, call, .. } = &mut case;
        match call {
            Call::Clone3(c) => match self.below(13) {
                0..=2 => c.flags ^= self.flag_toggle(false),
                3 => c.exit_signal = self.exit_signal(),
                4 => (c.stack, c.stack_size) = self.stack(),
                5 => c.stack_size = self.any_u64(),
                6 => {
                    c.size = self.size();
                    c.tail = self.tail(c.size);
                }
                7 => c.set_tid = self.set_tid(child_levels(steps, c.flags)),
                8 => {
                    steps.retain(|s| !matches!(s, Step::Cgroup | Step::CgroupV1));
                    c.cgroup = self.cgroup(steps);
                }
                9 => match self.below(4) {
                    0 => c.pidfd = self.out_ptr(true, SlotKind::Pidfd),
                    1 => c.child_tid = self.out_ptr(true, SlotKind::ChildTid),
                    2 => c.parent_tid = self.out_ptr(true, SlotKind::ParentTid),
                    _ => c.tls = self.tls(true),
                },
                10 => c.args_at = self.args_at(),
                11 => c.tail = self.tail(c.size),
                _ => {
                    let keep_cgroup = steps.contains(&Step::Cgroup);
                    *steps = self.steps();
                    if keep_cgroup {
                        steps.push(Step::Cgroup);
                    }
                }
            },
            Call::Legacy(l) => match self.below(4) {
                0 | 1 => l.flags ^= self.flag_toggle(true) & !CSIGNAL,
                2 => l.flags = (l.flags & !CSIGNAL) | self.below(256),
                _ => *steps = self.steps(),
            },
        }
        sanitize(case)
    }

    fn flag_toggle(&mut self, legacy: bool) -> u64 {
        match self.below(10) {
            0..=5 => {
                let defined: Vec<u64> = all()
                    .iter()
                    .filter(|f| f.value != CSIGNAL && (!legacy || f.value <= 0xffff_ffff))
                    .map(|f| f.value)
                    .collect();
                self.pick(&defined)
            }
            6 | 7 => self.pick(PAIRS),
            _ => 1u64 << self.below(if legacy { 32 } else { 64 }),
        }
    }

    /// True with probability `pct` percent, from the campaign's stream.
    pub(crate) fn draw_chance(&mut self, pct: u64) -> bool {
        self.chance(pct)
    }

    /// A uniform index below `n`, from the campaign's stream.
    pub(crate) fn draw_below(&mut self, n: u64) -> u64 {
        self.below(n)
    }
}

/// How many pid namespace levels below the payload's the child of a call with these setup
/// steps and flags lands: the depth a full set_tid vector has, less one.
fn child_levels(steps: &[Step], flags: u64) -> u32 {
    steps
        .iter()
        .map(|s| match s {
            Step::NestPidNs { levels } => *levels,
            Step::UnsharePidNs => 1,
            _ => 0,
        })
        .sum::<u32>()
        + u32::from(flags & CLONE_NEWPID != 0)
}

/// Exit signals the caller cannot block: SIGKILL and SIGSTOP end or stop it, and 32 and
/// 33, which glibc keeps for itself and leaves out of the payload's sigfillset(), kill it
/// (their default action). The model describes a caller that survives its child's exit.
const EXCLUDED_SIGNALS: [u64; 4] = [9, 19, 32, 33];

/// Keeps a case inside what the payload runs safely and the model judges, whatever
/// generated or shrank it:
/// - a child sharing the caller's memory always gets a stack region of its own (it would run
///   on the caller's stack), and a thread never gets a stack it would fault on (its SIGSEGV
///   would kill the caller);
/// - clone3 takes the stack base itself, so a region's offset is 0;
/// - a set_tid vector longer than the levels the case creates would choose a pid in a pid
///   namespace above the payload's (the host's, natively): its innermost pid is made
///   invalid so that the call fails before any allocation;
/// - the setup steps run in an order that works: the cgroup is made and the namespaces
///   entered before capabilities are dropped;
/// - the behaviour follows the flags: a thread or CLONE_PARENT child is not the caller's to
///   reap, an autoreaped one is followed through its pidfd.
pub fn sanitize(mut case: Case) -> Case {
    let order = |s: &Step| match s {
        Step::Cgroup => 0,
        Step::CgroupV1 => 1,
        Step::NestUserNs { .. } => 2,
        Step::NestPidNs { .. } => 3,
        Step::UnsharePidNs => 4,
        Step::Signal { .. } => 5,
        Step::NoNewPrivs => 6,
        Step::KeepCaps { .. } => 7,
        Step::AutoreapedCaller => 8,
    };
    case.steps.sort_by_key(order);
    case.steps.dedup_by(|a, b| {
        matches!(
            (a, b),
            (Step::Cgroup, Step::Cgroup)
                | (Step::CgroupV1, Step::CgroupV1)
                | (Step::UnsharePidNs, Step::UnsharePidNs)
                | (Step::KeepCaps { .. }, Step::KeepCaps { .. })
                | (Step::NoNewPrivs, Step::NoNewPrivs)
        )
    });
    case.steps.retain(|s| {
        !matches!(
            s,
            Step::NestPidNs { levels: 0 } | Step::NestUserNs { levels: 0 }
        )
    });
    let levels = case.nested_levels() + u32::from(case.unshares_pid_ns());
    let flags = match &mut case.call {
        Call::Clone3(c) => {
            let shares_vm = c.flags & (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND) != 0;
            match c.stack {
                StackSpec::Region { len, .. } => {
                    c.stack = StackSpec::Region { len, offset: 0 };
                }
                StackSpec::None if shares_vm => {
                    c.stack = StackSpec::Region {
                        len: STACK_LEN,
                        offset: 0,
                    };
                    if c.stack_size == 0 {
                        c.stack_size = u64::from(STACK_LEN);
                    }
                }
                // A thread's fault would kill the caller; a CLONE_PARENT or autoreaped
                // child's fault is not the caller's to wait for (it waits for the child's
                // report until its timeout). A high address is no refuge: s390x's
                // TASK_SIZE_MAX is -PAGE_SIZE, so access_ok() takes it and the child faults.
                StackSpec::Literal(_) | StackSpec::ReadOnly { .. }
                    if c.stack.member() != crate::case::Member::Fixed(0)
                        && c.flags & (CLONE_THREAD | CLONE_PARENT | CLONE_AUTOREAP) != 0 =>
                {
                    c.stack = StackSpec::Region {
                        len: STACK_LEN,
                        offset: 0,
                    };
                }
                _ => {}
            }
            // The read-only page's stack: clone3 takes its base, and a size up to 4 KiB keeps
            // SP on that page whatever the page size (a larger one would reach the mappings
            // after it, and access_ok() of a run-time address is not the model's to know).
            if let StackSpec::ReadOnly { .. } = c.stack {
                c.stack = StackSpec::ReadOnly { offset: 0 };
                c.stack_size = c.stack_size.min(0x1000) & !0xf;
            }
            // A region's stack_size, when not refused outright, keeps SP inside the region
            // and leaves the child room to run.
            if let StackSpec::Region { len, .. } = c.stack {
                if c.stack_size > u64::from(len) {
                    c.stack_size = u64::from(len);
                }
                if c.stack_size > 0 && c.stack_size < 0x4000 {
                    c.stack_size = 0x4000;
                }
            }
            // A range that wraps to exactly 0 leaves the child the caller's SP where
            // access_ok() takes it (s390x): never for a child sharing the caller's memory.
            if let StackSpec::Literal(addr) = c.stack {
                if shares_vm && addr != 0 && addr.wrapping_add(c.stack_size) == 0 {
                    c.stack_size -= 0x1000.min(c.stack_size - 1);
                }
            }
            // A literal stack lies below mmap_min_addr (nothing is mapped there: the child
            // faults) or its range ends above every arch's user ceiling (access_ok refuses
            // it); an end in between depends on the paging configuration.
            if let StackSpec::Literal(addr) = c.stack {
                if let Some(end) = addr.checked_add(c.stack_size) {
                    if end > 0x1_0000 && end <= 1 << 56 && addr != 0 {
                        if addr < 0x1_0000 {
                            c.stack_size = 0x1000.min(0x1_0000 - addr);
                        } else {
                            c.stack = StackSpec::Literal(1 << 56);
                        }
                    }
                }
            }
            if EXCLUDED_SIGNALS.contains(&c.exit_signal) {
                c.exit_signal = SIGCHLD;
            }
            // A size that cuts through the set_tid pointer passes a truncated address neither
            // the model nor the lowering describes; a tail is written whole inside the size.
            if let SizeArg::Literal(n) = c.size {
                if (65..72).contains(&n) && !matches!(c.set_tid, SetTidSpec::Null { .. }) {
                    c.size = SizeArg::Literal(64);
                }
                if c.tail.is_some_and(|(off, _)| off as u64 + 8 > n) {
                    c.tail = None;
                }
            } else {
                c.tail = None;
            }
            if c.cgroup.needs_cgroup_step() && !case.steps.contains(&Step::Cgroup) {
                case.steps.insert(0, Step::Cgroup);
            }
            // The v1 hierarchy is mounted for its root's descriptor alone, before any user
            // namespace (whose caller could not mount it).
            let v1 = c.cgroup == CgroupSpec::V1Root;
            case.steps.retain(|s| v1 || *s != Step::CgroupV1);
            if v1 && !case.steps.contains(&Step::CgroupV1) {
                let at = usize::from(case.steps.first() == Some(&Step::Cgroup));
                case.steps.insert(at, Step::CgroupV1);
            }
            let newpid = c.flags & CLONE_NEWPID != 0;
            if let SetTidSpec::Pids(p) = &mut c.set_tid {
                // A small literal pid (a catalog case's, after mutation moved it to another
                // level) may be a kernel thread's or an earlier process's: the model knows
                // only that pid 1 is taken. It becomes the level's chosen pid.
                let depth = p.len();
                for (i, v) in p.iter_mut().enumerate() {
                    if matches!(v, PidValue::Literal(n) if *n > 1 && *n < 1 << 22) {
                        *v = crate::catalog::chosen_pid((depth - 1 - i) as u32);
                    }
                }
                if p.len() as u32 > levels + u32::from(newpid) + 1 {
                    p[0] = PidValue::Literal(0);
                }
            }
            c.flags
        }
        Call::Legacy(l) => {
            if EXCLUDED_SIGNALS.contains(&(l.flags & CSIGNAL)) {
                l.flags = (l.flags & !CSIGNAL) | SIGCHLD;
            }
            if l.flags & (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND) != 0 {
                l.stack = StackSpec::Region {
                    len: STACK_LEN,
                    offset: u64::from(STACK_LEN),
                };
            }
            if let StackSpec::Region { len, .. } = l.stack {
                l.stack = StackSpec::Region {
                    len,
                    offset: u64::from(len),
                };
            }
            l.flags
        }
    };
    // A CLONE_PARENT child's CLONE_CHILD_CLEARTID write comes as it exits, after the report
    // the payload waits for, and the payload does not wait for the exit of a child that is
    // not its own: the slot would be read too early. Such a child gets no slot to clear.
    if flags & (CLONE_PARENT | CLONE_THREAD | CLONE_CHILD_CLEARTID)
        == CLONE_PARENT | CLONE_CHILD_CLEARTID
    {
        match &mut case.call {
            Call::Clone3(c) if matches!(c.child_tid, Ptr::Slot(_)) => c.child_tid = Ptr::Null,
            Call::Legacy(l) if matches!(l.child_tid, Ptr::Slot(_)) => l.child_tid = Ptr::Null,
            _ => {}
        }
    }
    case.behavior = Behavior {
        no_reap: flags & (CLONE_THREAD | CLONE_PARENT) != 0,
        follow_exit: flags & CLONE_AUTOREAP != 0,
        ..Behavior::default()
    };
    case
}
