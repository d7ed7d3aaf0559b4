//! A standalone C reproducer of a case: the bytes the lowering makes for one arch, with the
//! same run-time fix-ups the payload applies, one call, and the model's outcome to compare.
//! It compiles with the arch's C compiler alone (`cc -static`) and exits 1 when the call's
//! outcome differs from the model's, 0 when it matches.
//!
//! The child of a successful call exits at once; on a stack of its own it cannot return
//! through the caller's frames and dies of SIGSEGV instead, which only the child sees. A case
//! whose child would share the caller's thread group (CLONE_THREAD), or whose setup needs the
//! cgroup hierarchy, has no reproducer here.

use crate::case::{Call, Case};
use crate::flags::{CLONE_PARENT, CLONE_THREAD};
use crate::lower::lower;
use crate::program::{Blob, CallKind, Disposition, Placement, SetupOp, SizeArg, Target};
use cloneabi_arch::Arch;

fn bytes(name: &str, b: &[u8]) -> String {
    let body: Vec<String> = b.iter().map(|x| format!("0x{x:02x}")).collect();
    let mut s = format!(
        "static unsigned char {name}[{}] __attribute__((unused)) = {{",
        b.len().max(1)
    );
    for (i, chunk) in body.chunks(12).enumerate() {
        s += if i == 0 { "\n\t" } else { ",\n\t" };
        s += &chunk.join(", ");
    }
    s + "\n};\n"
}

fn target(t: Target) -> Option<&'static str> {
    Some(match t {
        Target::StackBase => "(uintptr_t)stack",
        Target::PidfdSlot => "(uintptr_t)&slots[0]",
        Target::ChildTidSlot => "(uintptr_t)&slots[1]",
        Target::ParentTidSlot => "(uintptr_t)&slots[2]",
        Target::TlsArea => "(uintptr_t)tls_area",
        Target::SetTidArray => "(uintptr_t)set_tid",
        Target::UnmappedPage => "(uintptr_t)unmapped",
        Target::PidMax => "(uint64_t)pid_max",
        Target::DirFd => "(uint64_t)dir_fd",
        Target::PageSize => "(uint64_t)page",
        Target::CgroupFd => return None,
    })
}

/// The reproducer, or `None` with the reason there is none.
pub fn c_reproducer(case: &Case, arch: Arch, expected_outcome: &str) -> Result<String, String> {
    let flags = match &case.call {
        Call::Clone3(c) => c.flags,
        Call::Legacy(l) => l.flags,
    };
    if flags & (CLONE_THREAD | CLONE_PARENT) != 0 {
        return Err(
            "its child would not be the caller's own process (CLONE_THREAD or CLONE_PARENT)".into(),
        );
    }
    let p = lower(case, arch);
    let mut setup = String::new();
    for op in &p.setup {
        setup += &match op {
            SetupOp::Unshare { flags } => format!(
                "\tif (unshare({flags:#x}) != 0) {{ perror(\"unshare\"); return 2; }}\n"
            ),
            SetupOp::ForkInto => "\tenter_child();\n".into(),
            SetupOp::Capset {
                effective,
                permitted,
                inheritable,
            } => format!(
                "\tif (set_caps({effective:#x}ULL, {permitted:#x}ULL, {inheritable:#x}ULL) != 0) {{ perror(\"capset\"); return 2; }}\n"
            ),
            SetupOp::Sigaction { signo, disposition } => format!(
                "\tset_disposition({signo}, {});\n",
                match disposition {
                    Disposition::Default => 0,
                    Disposition::Ignore => 1,
                    Disposition::Handler => 2,
                }
            ),
            SetupOp::OpenDir { path } => format!(
                "\tdir_fd = open({path:?}, O_RDONLY | O_DIRECTORY);\n"
            ),
            SetupOp::CgroupMkdir { .. } | SetupOp::CgroupWrite { .. } => {
                return Err("its setup needs the cgroup2 hierarchy the payload mounts".into())
            }
            SetupOp::AutoreapInto => {
                return Err("its setup runs the call in an autoreaped child".into())
            }
        };
    }
    let mut fixups = String::new();
    for f in &p.fixups {
        let value = target(f.target).ok_or("it passes a cgroup descriptor the payload creates")?;
        let blob = match f.blob {
            Blob::Args => "args",
            Blob::SetTid => "set_tid",
        };
        fixups += &format!(
            "\tpatch({blob}, {}, {}, {value} + (int64_t){});\n",
            f.offset, f.width, f.addend
        );
    }
    let size = match p.size {
        SizeArg::Literal(n) => format!("(unsigned long){n:#x}ULL"),
        SizeArg::PageSizePlus(k) => format!("(unsigned long)(page + ({k}))"),
    };
    let (place, call) = match (p.call, p.placement) {
        (CallKind::LegacyClone, _) => (
            String::new(),
            format!(
                "syscall({}, get(0), get(1), get(2), get(3), get(4))",
                p.syscall_nr
            ),
        ),
        (CallKind::Clone3, placement) => (
            match placement {
                Placement::Normal => "\tunsigned char *where = map(2 * page, PROT_READ | PROT_WRITE);\n\tmemcpy(where, args, sizeof(args));\n".to_string(),
                Placement::Null => "\tunsigned char *where = NULL;\n".into(),
                Placement::Unmapped => "\tunsigned char *where = unmapped;\n".into(),
                Placement::GuardAfter { mapped } => format!(
                    "\tunsigned char *two = map(2 * page, PROT_READ | PROT_WRITE);\n\tmprotect(two + page, page, PROT_NONE);\n\tunsigned char *where = two + page - {mapped};\n\tmemcpy(where, args, {mapped} < sizeof(args) ? {mapped} : sizeof(args));\n"
                ),
            },
            format!("syscall({}, where, {size})", p.syscall_nr),
        ),
    };
    let check = match expected_outcome {
        "ok" => "r >= 0".to_string(),
        e if e.starts_with('E') => format!("r < 0 && e == {e}"),
        other => return Err(format!("the model's outcome {other} is not a call result")),
    };
    let stack_len = p.stack_len.max(4096);
    let legacy_get = if p.call == CallKind::LegacyClone {
        "static UNUSED uint64_t get(int i)\n{\n\tuint64_t v;\n\tmemcpy(&v, args + 8 * i, 8);\n\treturn v;\n}\n\n"
    } else {
        ""
    };
    Ok(format!(
        r#"/* cloneabi fuzz reproducer for {id} on {arch}.
 * The model predicts: {expected_outcome}. Exits 0 when the call agrees, 1 when it does not.
 * Build: {cc} -static -O2 -o repro repro.c
 * Run it as root in a throwaway guest or container, not on a machine you care about. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

{args}{set_tid}#define UNUSED __attribute__((unused))
static uint64_t slots[3] UNUSED = {{ 0x5a5a5a5a5a5a5a5aULL, 0x5a5a5a5a5a5a5a5aULL, 0x5a5a5a5a5a5a5a5aULL }};
static long page, pid_max;
static int dir_fd UNUSED = -1;
static unsigned char *stack, *tls_area, *unmapped;

static UNUSED void *map(size_t len, int prot)
{{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {{ perror("mmap"); exit(2); }}
	return p;
}}

static UNUSED void patch(unsigned char *blob, unsigned off, int width, uint64_t v)
{{
	if (width == 8) {{ memcpy(blob + off, &v, 8); }}
	else {{ uint32_t x = (uint32_t)v; memcpy(blob + off, &x, 4); }}
}}

{legacy_get}/* fork(); the parent waits and leaves with the child's status, the child goes on. */
static UNUSED void enter_child(void)
{{
	pid_t c = fork();
	int st;
	if (c < 0) {{ perror("fork"); exit(2); }}
	if (c == 0) return;
	waitpid(c, &st, 0);
	exit(WIFEXITED(st) ? WEXITSTATUS(st) : 2);
}}

static UNUSED int set_caps(uint64_t eff, uint64_t perm, uint64_t inh)
{{
	struct __user_cap_header_struct h = {{ _LINUX_CAPABILITY_VERSION_3, 0 }};
	struct __user_cap_data_struct d[2] = {{
		{{ (uint32_t)eff, (uint32_t)perm, (uint32_t)inh }},
		{{ (uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32) }},
	}};
	return syscall(SYS_capset, &h, d);
}}

static UNUSED void on_signal(int s) {{ (void)s; }}

static UNUSED void set_disposition(int signo, int how)
{{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = how == 0 ? SIG_DFL : how == 1 ? SIG_IGN : on_signal;
	sigaction(signo, &sa, NULL);
}}

int main(void)
{{
	FILE *f;
	long r;
	int e;
	page = sysconf(_SC_PAGESIZE);
	f = fopen("/proc/sys/kernel/pid_max", "r");
	if (!f || fscanf(f, "%ld", &pid_max) != 1) {{ fprintf(stderr, "cannot read pid_max\n"); return 2; }}
	fclose(f);
	stack = map({stack_len}, PROT_READ | PROT_WRITE);
	tls_area = map(4096, PROT_READ | PROT_WRITE);
	unmapped = map(page, PROT_NONE);
{setup}{fixups}{place}	r = {call};
	if (r == 0)
		syscall(SYS_exit, 0); /* the child */
	e = errno;
	if (r > 0)
		waitpid((pid_t)r, NULL, __WALL);
	printf("the call returned %ld (%s); the model predicts {expected_outcome}\n", r, r < 0 ? strerror(e) : "success");
	return ({check}) ? 0 : 1;
}}
"#,
        id = case.id,
        arch = arch,
        cc = arch.abi().debian.cross_gcc,
        args = bytes("args", &p.args),
        set_tid = bytes("set_tid", &p.set_tid),
    ))
}
