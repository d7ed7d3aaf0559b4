//! The protocol's fixed names and codes, shared by the Rust side and the payload:
//! `build_cmd` writes them into `cloneabi_protocol.h` next to the generated ABI header, and
//! docs/PROTOCOL.md's "Codes" section is generated from them too, so none of the three can
//! disagree. Plain constants only: build.rs compiles this file too.

/// Version of the batch format and of the record bodies.
pub const PROTOCOL_VERSION: u32 = 5;

/// The first 8 bytes of every batch.
pub const BATCH_MAGIC: &str = "CLNEABI1";

/// Where a guest's /init finds its batch.
pub const BATCH_PATH: &str = "/cloneabi.batch";

/// The marker every record line starts with.
pub const RECORD_MARKER: &str = "@CLONEABI ";

/// In a guest that runs more than one ABI's payload: the file listing the other payloads,
/// one ABI name per line, in the order the guest's /init runs them after its own batch.
pub const COMPANIONS_PATH: &str = "/cloneabi.companions";

/// Where a companion payload and its batch are: `<dir>/<abi>/init`, `<dir>/<abi>/batch`.
pub const COMPANION_DIR: &str = "/abi";

/// The line (`<marker><abi>`) the guest's /init writes, twice, before a companion
/// payload starts: everything on the console after it is that payload's.
pub const PAYLOAD_MARKER: &str = "@CLONEABI-PAYLOAD ";

/// The name of the virtio-serial port a guest's /init writes its records to
/// (`/sys/class/virtio-ports/*/name`), when the batch asks for it with `OPT_CHANNEL`.
pub const CHANNEL_NAME: &str = "org.cloneabi.records";

/// Where a guest's initramfs holds the kernel modules the record channel needs, named
/// `<nn>-<module>.ko` so that name order is load order.
pub const MODULES_DIR: &str = "/cloneabi.modules";

/// The mount options of the named cgroup v1 hierarchy a case may pass the root of
/// (`OP_CGROUP1_ROOT`): no controller, so mounting it takes nothing from another hierarchy.
pub const CGROUP1_OPTIONS: &str = "none,name=cloneabi";

/// The argument after the batch path with which a guest's /init starts a companion payload
/// when its records go to the channel: the companion writes each record once too.
pub const CHANNEL_ARG: &str = "--records-on-channel";

/// The syscalls of a batch's table, by their kernel names, in wire order: the payload
/// indexes the table with `SYS_I_<NAME>`. `batch::SYSCALL_TABLE` must list the same ones in
/// the same order (a compile-time check there).
pub const SYSCALLS: [&str; 18] = [
    "clone3",
    "clone",
    "exit",
    "getpid",
    "gettid",
    "getppid",
    "openat",
    "read",
    "write",
    "close",
    "readlinkat",
    "rt_sigaction",
    "rt_sigtimedwait",
    "futex",
    "pidfd_send_signal",
    "arch_prctl",
    "prctl",
    "pidfd_open",
];

/// The namespaces a child and its caller report, in record order (`/proc/self/ns/<name>`).
/// The suites' `observation::NS_NAMES` must be the same list (a compile-time check in
/// `protocol`).
pub const NAMESPACES: [&str; 8] = ["pid", "time", "user", "uts", "ipc", "net", "mnt", "cgroup"];

/// The caller's links for the same namespaces, where a child made without a new namespace
/// lands: for pid and time that is the `*_for_children` link, not the caller's own.
pub const CALLER_NAMESPACES: [&str; 8] = [
    "pid_for_children",
    "time_for_children",
    "user",
    "uts",
    "ipc",
    "net",
    "mnt",
    "cgroup",
];

/// Declares the code groups: a module of `u32` constants per group, and [`CODES`], every
/// code with its group's C prefix and its meaning, for the C header and the documentation.
macro_rules! wire_codes {
    ($(
        $(#[doc = $gdoc:literal])*
        $group:ident ($prefix:literal) {
            $( $(#[doc = $doc:literal])* $name:ident = $value:expr, )*
        }
    )*) => {
        $(
            $(#[doc = $gdoc])*
            pub mod $group {
                $( $(#[doc = $doc])* pub const $name: u32 = $value; )*
            }
        )*
        /// Every code: (group, C prefix, name, value, meaning).
        pub const CODES: &[(&str, &str, &str, u32, &str)] = &[
            $( $( (
                stringify!($group),
                $prefix,
                stringify!($name),
                $group::$name,
                concat!($($doc),*),
            ), )* )*
        ];
    };
}

wire_codes! {
    /// Record types (the `<type>` of a record line), as ASCII codes.
    record ("REC") {
        /// The environment, once, first.
        ENV = b'H' as u32,
        /// One case's observation.
        OBSERVATION = b'O' as u32,
        /// A log line of the payload.
        LOG = b'L' as u32,
        /// The end, with the number of cases run.
        END = b'E' as u32,
    }
    /// Bits of a batch's `options` word.
    option ("OPT") {
        /// Write every record twice (consoles shared with printk).
        TWICE = 1 << 0,
        /// Power the machine off when done (`reboot(RB_POWER_OFF)`; guests).
        POWEROFF = 1 << 1,
        /// Make mounts private and mount a fresh procfs on /proc.
        PROC = 1 << 2,
        /// Mount cgroup2 at the cgroup path and create the run directory.
        CGROUP = 1 << 3,
        /// The bench's baseline: setup as usual, then the call; the child exits at once, the case process only reaps it, and `duration_us` is the call plus the reap.
        BARE = 1 << 4,
        /// Test aid: before each case, start a process that floods the kernel log through /dev/kmsg (mknod 1,11 if missing).
        NOISE = 1 << 5,
        /// A guest's /init: write the records once to the virtio-serial port named `CHANNEL_NAME` (after loading the modules in `MODULES_DIR`); when there is none, write them to the console as `TWICE` says, and log why.
        CHANNEL = 1 << 6,
        /// A guest's /init with the record channel: after this batch, take further batches from the channel and run each the same way, until a batch header whose length field is 0 (a guest session).
        SESSION = 1 << 7,
    }
    /// A case's `call`.
    call ("CALL") {
        /// `clone3(args, size)`.
        CLONE3 = 1,
        /// Legacy `clone()` with the five raw arguments of the args blob.
        LEGACY_CLONE = 2,
    }
    /// A case's `size_mode`.
    size ("SIZE") {
        /// `size_value` is the size.
        LITERAL = 0,
        /// The payload's page size plus `size_value` (signed).
        PAGE_SIZE_PLUS = 1,
    }
    /// A case's `placement`: where the args blob lies when its address is passed.
    placement ("PLACE") {
        /// In a fresh mapping, with at least one zero-filled page after the bytes.
        NORMAL = 0,
        /// A NULL pointer.
        NULL = 1,
        /// The address of an unmapped (PROT_NONE) page.
        UNMAPPED = 2,
        /// The first `placement_arg` bytes end at a page boundary followed by a PROT_NONE page.
        GUARD_AFTER = 3,
    }
    /// Bits of a case's `behavior` word.
    behavior ("BEH") {
        /// The child waits for the caller's release before it exits.
        CHILD_HOLDS = 1 << 0,
        /// The caller sends SIGUSR1 through the pidfd; the child records what it received.
        PIDFD_SIGNAL = 1 << 1,
        /// A helper waits on the child_tid futex; the caller records whether it was woken.
        CLEARTID_WAITER = 1 << 2,
        /// While the child holds, the caller reads cgroup.procs of the last created cgroup.
        READ_CGROUP_PROCS = 1 << 3,
        /// The child is not the caller's to reap; the caller waits for its done flag.
        NO_REAP = 1 << 4,
        /// The child reads NSpid from its status file.
        OBSERVE_NSPID = 1 << 5,
        /// The child reads its cgroup file.
        OBSERVE_CGROUP = 1 << 6,
        /// A case process of its own, not the shared one.
        OWN_PROCESS = 1 << 7,
        /// A next case whose setup extends this one's may go on in this case's process.
        SETUP_REUSABLE = 1 << 8,
        /// The child reports the dispositions of signals 1 to 64.
        OBSERVE_DISPOSITIONS = 1 << 9,
        /// No blocking wait: the pidfd is polled and asked for the exit, waitid is non-blocking.
        FOLLOW_EXIT = 1 << 10,
        /// A second pidfd is opened, the slot's is closed, and the child's end is followed.
        CLOSE_PIDFD = 1 << 11,
        /// The caller reads the child's mount namespace while it holds.
        READ_CHILD_MOUNTS = 1 << 12,
        /// The child reports `prctl(PR_GET_NO_NEW_PRIVS)`.
        OBSERVE_NNP = 1 << 13,
        /// A middle process makes the call and exits; the case process adopts the child.
        CALLER_EXITS = 1 << 14,
        /// The child starts a thread that outlives it.
        CHILD_THREAD = 1 << 15,
        /// Test aid: the case process crashes the kernel (sysrq `c`) instead of making the call; honoured only with OPT_POWEROFF by pid 1 of the machine's first pid namespace.
        TEST_CRASH_KERNEL = 1 << 16,
        /// After a successful call, the caller reads F_GETFD of the descriptor in the pidfd slot.
        PIDFD_FLAGS_IN_PIDFD_SLOT = 1 << 17,
        /// The same for the parent_tid slot (legacy clone() returns its pidfd there).
        PIDFD_FLAGS_IN_PARENT_TID_SLOT = 1 << 18,
        /// The same for the child_tid slot.
        PIDFD_FLAGS_IN_CHILD_TID_SLOT = 1 << 19,
    }
    /// A fix-up's `blob`.
    blob ("BLOB") {
        /// The args blob.
        ARGS = 0,
        /// The set_tid blob.
        SET_TID = 1,
    }
    /// A fix-up's `target`: the run-time value written (plus the addend) into a blob.
    target ("TGT") {
        /// Lowest address of the child stack region.
        STACK_BASE = 0,
        /// Address of the pidfd slot.
        PIDFD_SLOT = 1,
        /// Address of the child_tid slot.
        CHILD_TID_SLOT = 2,
        /// Address of the parent_tid slot.
        PARENT_TID_SLOT = 3,
        /// Address of the TLS area.
        TLS_AREA = 4,
        /// Address of the set_tid array as placed in memory.
        SET_TID_ARRAY = 5,
        /// Address of an unmapped page.
        UNMAPPED_PAGE = 6,
        /// /proc/sys/kernel/pid_max as read at start-up.
        PID_MAX = 7,
        /// The descriptor of the last cgroup mkdir step (-1 before one).
        CGROUP_FD = 8,
        /// The descriptor of the last open dir step (-1 before one).
        DIR_FD = 9,
        /// The run-time page size.
        PAGE_SIZE = 10,
        /// Address of a zero-filled read-only page, with a PROT_NONE page below it.
        READ_ONLY_PAGE = 11,
    }
    /// A setup step's `op`, followed by its fields.
    op ("OP") {
        /// `{u64 flags}`: unshare(flags).
        UNSHARE = 1,
        /// `{}`: fork; the child carries on with the remaining steps.
        FORK_INTO = 2,
        /// `{u64 effective, u64 permitted, u64 inheritable}`: capset, version 3.
        CAPSET = 3,
        /// `{u32 signo, u32 disposition}`: sigaction.
        SIGACTION = 4,
        /// `{str name}`: mkdir in the cgroup run directory, opened as the cgroup fd.
        CGROUP_MKDIR = 5,
        /// `{str path, str content}`: write a file under the cgroup run directory.
        CGROUP_WRITE = 6,
        /// `{str path}`: open a directory that is not a cgroup, as the dir fd.
        OPEN_DIR = 7,
        /// `{}`: clone3(CLONE_AUTOREAP|CLONE_PIDFD); the child carries on with the remaining steps.
        AUTOREAP_INTO = 8,
        /// `{u32 how}`: another descriptor for the last cgroup made becomes the cgroup fd.
        CGROUP_REOPEN = 9,
        /// `{}`: prctl(PR_SET_NO_NEW_PRIVS, 1).
        NO_NEW_PRIVS = 10,
        /// `{}`: unshare(CLONE_NEWUSER), setgroups denied, uid and gid 0 mapped to the ids held before.
        ENTER_USER_NS = 11,
        /// `{}`: in a mount namespace of its own whose mounts propagate nowhere, the named cgroup v1 hierarchy over the cgroup2 mount point; its root opened as the dir fd.
        CGROUP1_ROOT = 12,
    }
    /// The `how` of a cgroup reopen step.
    reopen ("REOPEN") {
        /// The directory again, O_PATH | O_DIRECTORY; the first descriptor is closed.
        PATH = 0,
        /// Its cgroup.procs file, O_RDONLY; the directory's descriptor is closed.
        PROCS_FILE = 1,
        /// None: the directory's descriptor is closed, and its number stays the cgroup fd.
        CLOSED = 2,
    }
    /// The `disposition` of a sigaction step.
    disposition ("DISP") {
        /// SIG_DFL.
        DEFAULT = 0,
        /// SIG_IGN.
        IGNORE = 1,
        /// A no-op handler inside the payload.
        HANDLER = 2,
    }
    /// An observation's `child_end` kind.
    end ("END") {
        /// No child to follow (the call failed or a setup step did).
        NONE = 0,
        /// The child was not reaped by the caller.
        NOT_REAPED = 1,
        /// The child exited; the value is its status.
        EXITED = 2,
        /// The child was killed; the value is the signal.
        KILLED = 3,
        /// The case timed out.
        TIMED_OUT = 4,
    }
}

fn c_string_array(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    format!("{{{}}}", quoted.join(", "))
}

/// `cloneabi_protocol.h`: everything above as C macros.
pub fn c_header() -> String {
    let mut s = String::from(
        "/* Generated from runners/src/protocol/wire.rs; do not edit. */\n\
         #ifndef CLONEABI_PROTOCOL_H\n#define CLONEABI_PROTOCOL_H\n",
    );
    let defines: [(&str, String); 14] = [
        ("PROTOCOL_VERSION", PROTOCOL_VERSION.to_string()),
        ("BATCH_MAGIC", format!("{BATCH_MAGIC:?}")),
        ("BATCH_PATH", format!("{BATCH_PATH:?}")),
        ("RECORD_MARKER", format!("{RECORD_MARKER:?}")),
        ("COMPANIONS_PATH", format!("{COMPANIONS_PATH:?}")),
        ("COMPANION_DIR", format!("{COMPANION_DIR:?}")),
        ("PAYLOAD_MARKER", format!("{PAYLOAD_MARKER:?}")),
        ("CHANNEL_NAME", format!("{CHANNEL_NAME:?}")),
        ("MODULES_DIR", format!("{MODULES_DIR:?}")),
        ("CHANNEL_ARG", format!("{CHANNEL_ARG:?}")),
        ("CGROUP1_OPTIONS", format!("{CGROUP1_OPTIONS:?}")),
        ("NNS", NAMESPACES.len().to_string()),
        ("NS_NAMES", c_string_array(&NAMESPACES)),
        ("NS_CALLER_NAMES", c_string_array(&CALLER_NAMESPACES)),
    ];
    for (name, value) in defines {
        s.push_str(&format!("#define {name} {value}\n"));
    }
    s.push_str("/* Indices of the batch's syscall table. */\nenum {\n");
    for name in SYSCALLS {
        s.push_str(&format!("\tSYS_I_{},\n", name.to_ascii_uppercase()));
    }
    s.push_str("\tNSYS\n};\n");
    let mut group = "";
    for (g, prefix, name, value, doc) in CODES {
        if *g != group {
            s.push_str(&format!("/* {g} */\n"));
            group = g;
        }
        s.push_str(&format!(
            "#define {prefix}_{name} {value}u /* {} */\n",
            doc.replace("*/", "* /")
        ));
    }
    s.push_str("#endif\n");
    s
}

/// The header's file name.
pub const C_HEADER_FILE: &str = "cloneabi_protocol.h";

/// docs/PROTOCOL.md's "Codes" section, between its two marker lines.
pub fn markdown_codes() -> String {
    let mut s = String::from("Syscall table order (index: name): ");
    let names: Vec<String> = SYSCALLS
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{i} `{n}`"))
        .collect();
    s.push_str(&names.join(", "));
    s.push_str(".\n\nNamespace order (`ns[8]`, bit i of `namespaces`): ");
    let ns: Vec<String> = NAMESPACES
        .iter()
        .zip(CALLER_NAMESPACES)
        .enumerate()
        .map(|(i, (n, c))| {
            if *n == c {
                format!("{i} `{n}`")
            } else {
                format!("{i} `{n}` (the caller's `{c}`)")
            }
        })
        .collect();
    s.push_str(&ns.join(", "));
    s.push_str(".\n\n| field | C name | value | meaning |\n|---|---|---:|---|\n");
    for (group, prefix, name, value, doc) in CODES {
        let shown = if *group == "record" {
            format!("`{}`", char::from_u32(*value).unwrap_or('?'))
        } else if matches!(*group, "option" | "behavior") {
            format!("bit {}", value.trailing_zeros())
        } else {
            value.to_string()
        };
        s.push_str(&format!(
            "| {group} | `{prefix}_{name}` | {shown} | {} |\n",
            doc.trim()
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_distinct_within_each_group_and_bits_are_single() {
        let mut seen = BTreeSet::new();
        for (group, prefix, name, value, doc) in CODES {
            assert!(
                seen.insert((*group, *value)),
                "{prefix}_{name}: value {value} is used twice in {group}"
            );
            assert!(!doc.trim().is_empty(), "{prefix}_{name} has no meaning");
            if matches!(*group, "option" | "behavior") {
                assert_eq!(value.count_ones(), 1, "{prefix}_{name} is not one bit");
            }
        }
        let names: BTreeSet<String> = CODES.iter().map(|c| format!("{}_{}", c.1, c.2)).collect();
        assert_eq!(names.len(), CODES.len(), "two codes share a C name");
    }

    #[test]
    fn the_header_defines_every_code_once() {
        let h = c_header();
        for (_, prefix, name, value, _) in CODES {
            let line = format!("#define {prefix}_{name} {value}u ");
            assert_eq!(h.matches(&line).count(), 1, "{line}");
        }
        assert!(h.contains("\tSYS_I_PIDFD_SEND_SIGNAL,\n"));
        assert!(h.contains(
            "#define NS_CALLER_NAMES {\"pid_for_children\", \"time_for_children\", \"user\""
        ));
    }

    /// docs/PROTOCOL.md's Codes section is wire.rs's. `CLONEABI_BLESS=1` rewrites it.
    #[test]
    fn the_documented_codes_are_the_generated_ones() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/PROTOCOL.md");
        let doc = std::fs::read_to_string(path).expect("docs/PROTOCOL.md");
        let (start, end) = (
            "<!-- codes: generated from wire.rs -->\n",
            "<!-- end of codes -->",
        );
        let from = doc.find(start).expect("the Codes start marker") + start.len();
        let to = doc[from..].find(end).expect("the Codes end marker") + from;
        let want = markdown_codes();
        if doc[from..to] != want {
            if std::env::var_os("CLONEABI_BLESS").is_some() {
                std::fs::write(path, format!("{}{want}{}", &doc[..from], &doc[to..])).unwrap();
            } else {
                panic!(
                    "docs/PROTOCOL.md's Codes section differs from runners/src/protocol/wire.rs; \
                     rerun this test with CLONEABI_BLESS=1 to rewrite it"
                );
            }
        }
    }
}
