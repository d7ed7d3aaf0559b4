//! A standalone C reproducer of a case: the bytes the lowering makes for one arch, with the
//! same setup steps and run-time fix-ups the payload applies, one call, and the model's
//! outcome to compare. It is one file that compiles with the arch's C compiler alone
//! (`cc -static`) and exits 0 when the call's outcome matches the model's, 1 when it differs,
//! and 2 when the environment cannot run it (a setup step failed, no cgroup2 hierarchy, a
//! kernel without CLONE_AUTOREAP).
//!
//! The call goes through the payload's own clone entry (`fixtures/probe/arch/<abi>.h`,
//! embedded with the frame the ABI table gives): its child never returns through the
//! caller's frames, whatever stack it got, and exits at once with a raw `exit` (a thread's
//! exit, so a CLONE_THREAD child takes nobody with it). As in the payload, a case process
//! forked for the purpose makes the call: it is no pid namespace's init, and the process
//! above it reaps a CLONE_PARENT child and removes the case's cgroups once every process
//! of the run is gone.

use crate::case::{Call, Case};
use crate::flags::{CLONE_AUTOREAP, CLONE_PARENT, CLONE_PIDFD, CLONE_THREAD};
use crate::lower::lower;
use crate::program::{
    Blob, CallKind, CgroupReopen, Disposition, Placement, SetupOp, SizeArg, Target,
};
use cloneabi_arch::{cheader, Arch, Sysno};

/// The payload's assembly headers, by their path under `fixtures/probe/` (the ABI table's
/// `payload_header`, and the headers those include).
const ARCH_HEADERS: &[(&str, &str)] = &[
    (
        "arch/x86_64.h",
        include_str!("../../../fixtures/probe/arch/x86_64.h"),
    ),
    (
        "arch/aarch64.h",
        include_str!("../../../fixtures/probe/arch/aarch64.h"),
    ),
    (
        "arch/s390x.h",
        include_str!("../../../fixtures/probe/arch/s390x.h"),
    ),
    (
        "arch/powerpc64le.h",
        include_str!("../../../fixtures/probe/arch/powerpc64le.h"),
    ),
    (
        "arch/powerpc64.h",
        include_str!("../../../fixtures/probe/arch/powerpc64.h"),
    ),
    (
        "arch/riscv64.h",
        include_str!("../../../fixtures/probe/arch/riscv64.h"),
    ),
    (
        "arch/i386.h",
        include_str!("../../../fixtures/probe/arch/i386.h"),
    ),
    (
        "arch/arm.h",
        include_str!("../../../fixtures/probe/arch/arm.h"),
    ),
    (
        "arch/powerpc.h",
        include_str!("../../../fixtures/probe/arch/powerpc.h"),
    ),
    (
        "arch/x32.h",
        include_str!("../../../fixtures/probe/arch/x32.h"),
    ),
];

/// The text of a payload header with its local (`#include "..."`) includes inlined.
fn inline_header(path: &str) -> String {
    let text = ARCH_HEADERS
        .iter()
        .find(|(p, _)| *p == path)
        .unwrap_or_else(|| panic!("fixtures/probe/{path} is missing from ARCH_HEADERS"))
        .1;
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let mut out = String::new();
    for line in text.lines() {
        match line
            .trim()
            .strip_prefix("#include \"")
            .and_then(|r| r.strip_suffix('"'))
        {
            Some(inc) if dir.is_empty() => out += &inline_header(inc),
            Some(inc) => out += &inline_header(&format!("{dir}/{inc}")),
            None => {
                out += line;
                out.push('\n');
            }
        }
    }
    out
}

/// `cloneabi_abi.h` for `arch` (the frame constants and the compiler checks) with the ABI's
/// assembly header inlined: the payload's raw syscall and clone entry, in one piece of text.
pub fn abi_header(arch: Arch) -> String {
    let path = arch.abi().payload_header;
    let include = format!("#include \"{path}\"");
    let generated = cheader::payload_header(arch);
    assert!(
        generated.contains(&include),
        "cloneabi_abi.h no longer includes {path}"
    );
    generated.replace(&include, inline_header(path).trim_end())
}

/// A C string literal: printable ASCII as is, everything else escaped in octal.
fn c_str(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            // `?` too: no trigraph can form.
            b' '..=b'~' if b != b'?' => out.push(b as char),
            _ => out += &format!("\\{b:03o}"),
        }
    }
    out + "\""
}

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

fn target(t: Target) -> &'static str {
    match t {
        Target::StackBase => "(uintptr_t)stack",
        Target::PidfdSlot => "(uintptr_t)&slots[0]",
        Target::ChildTidSlot => "(uintptr_t)&slots[1]",
        Target::ParentTidSlot => "(uintptr_t)&slots[2]",
        Target::TlsArea => "(uintptr_t)tls_area",
        Target::SetTidArray => "(uintptr_t)set_tid",
        Target::UnmappedPage => "(uintptr_t)unmapped",
        Target::ReadOnlyPage => "(uintptr_t)read_only",
        Target::PidMax => "(uint64_t)pid_max",
        Target::CgroupFd => "(uint64_t)(int64_t)cg_fd",
        Target::DirFd => "(uint64_t)(int64_t)dir_fd",
        Target::PageSize => "(uint64_t)page",
    }
}

/// The reproducer, or the reason there is none.
pub fn c_reproducer(case: &Case, arch: Arch, expected_outcome: &str) -> Result<String, String> {
    let flags = match &case.call {
        Call::Clone3(c) => c.flags,
        Call::Legacy(l) => l.flags,
    };
    let check = match expected_outcome {
        "ok" => "r >= 0".to_string(),
        e if e.starts_with('E') => format!("r < 0 && e == {e}"),
        other => return Err(format!("the model's outcome {other} is not a call result")),
    };
    let number = |nr: Sysno| {
        arch.syscall(nr)
            .ok_or_else(|| format!("{arch} has no {} system call", nr.name()))
    };
    let (nr_clone3, nr_exit) = (number(Sysno::Clone3)?, number(Sysno::Exit)?);
    let p = lower(case, arch);
    let mut setup = String::new();
    let mut cg_dirs = Vec::new();
    let mut needs_cgroup = false;
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
                "\tif (set_disposition({signo}, {}) != 0) {{ perror(\"sigaction\"); return 2; }}\n",
                match disposition {
                    Disposition::Default => 0,
                    Disposition::Ignore => 1,
                    Disposition::Handler => 2,
                }
            ),
            SetupOp::OpenDir { path } => format!(
                "\tdir_fd = open({0}, O_RDONLY | O_DIRECTORY | O_CLOEXEC);\n\tif (dir_fd < 0) {{ perror({0}); return 2; }}\n",
                c_str(path)
            ),
            SetupOp::CgroupMkdir { name } => {
                needs_cgroup = true;
                cg_dirs.push(c_str(name));
                format!("\tif (cg_mkdir({}) != 0)\n\t\treturn 2;\n", c_str(name))
            }
            SetupOp::CgroupWrite { path, content } => {
                needs_cgroup = true;
                format!(
                    "\tif (cg_write({}, {}) != 0)\n\t\treturn 2;\n",
                    c_str(path),
                    c_str(content)
                )
            }
            SetupOp::CgroupReopen { how } => format!(
                "\tif (cg_reopen({}) != 0)\n\t\treturn 2;\n",
                match how {
                    CgroupReopen::Path => 0,
                    CgroupReopen::ProcsFile => 1,
                    CgroupReopen::Closed => 2,
                }
            ),
            SetupOp::AutoreapInto => "\tautoreap_into();\n".into(),
            SetupOp::NoNewPrivs => "\tif (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) { perror(\"prctl\"); return 2; }\n".into(),
            SetupOp::EnterUserNs => "\tif (enter_user_ns() != 0)\n\t\treturn 2;\n".into(),
            SetupOp::Cgroup1Root => "\tif (cgroup1_root() != 0)\n\t\treturn 2;\n".into(),
        };
    }
    let mut fixups = String::new();
    for f in &p.fixups {
        let value = target(f.target);
        let blob = match f.blob {
            Blob::Args => "args",
            Blob::SetTid => "set_tid",
        };
        fixups += &format!(
            "\tpatch({blob}, {}, {}, {value} + (int64_t){});\n",
            f.offset, f.width, f.addend
        );
        if f.target == Target::TlsArea {
            // What the payload does with a TLS pointer where CLONE_SETTLS takes a descriptor.
            fixups += &format!(
                "#ifdef arch_prepare_tls\n\tarch_prepare_tls((void *)(uintptr_t)({value} + (int64_t){}));\n#endif\n",
                f.addend
            );
        }
    }
    let size = match p.size {
        SizeArg::Literal(n) => format!("(long)(unsigned long){n:#x}ULL"),
        SizeArg::PageSizePlus(k) => format!("(long)(page + ({k}))"),
    };
    let (place, call_args) = match (p.call, p.placement) {
        (CallKind::LegacyClone, _) => (
            String::new(),
            "(long)get(0), (long)get(1), (long)get(2), (long)get(3), (long)get(4)".to_string(),
        ),
        (CallKind::Clone3, placement) => (
            match placement {
                Placement::Normal => "\twhere = map((sizeof(args) + page - 1) / page * page + page, PROT_READ | PROT_WRITE);\n\tmemcpy(where, args, sizeof(args));\n".to_string(),
                Placement::Null => "\twhere = NULL;\n".into(),
                Placement::Unmapped => "\twhere = unmapped;\n".into(),
                Placement::GuardAfter { mapped } => format!(
                    "\tbody = ({mapped}UL + page - 1) / page * page;\n\tif (body == 0)\n\t\tbody = page;\n\twhere = map(body + page, PROT_READ | PROT_WRITE);\n\tif (mprotect(where + body, page, PROT_NONE) != 0) {{ perror(\"mprotect\"); return 2; }}\n\twhere += body - {mapped}UL;\n\tmemcpy(where, args, {mapped}UL < sizeof(args) ? {mapped}UL : sizeof(args));\n"
                ),
            },
            format!("(long)where, {size}, 0, 0, 0"),
        ),
    };
    // Whom the child belongs to decides who waits for it.
    let settle = if flags & CLONE_THREAD != 0 {
        "\tif (r > 0)\n\t\twait_thread((pid_t)r); /* a thread of this process */\n"
    } else if flags & CLONE_PARENT != 0 {
        "\t/* A CLONE_PARENT child is this process's sibling: the parent reaps it. */\n"
    } else {
        "\tif (r > 0)\n\t\twaitpid((pid_t)r, NULL, __WALL);\n"
    };
    cg_dirs.push("NULL".into());
    Ok(format!(
        r#"/* cloneabi fuzz reproducer for {id} on {arch}.
 * The model predicts: {expected_outcome}. Exits 0 when the call agrees, 1 when it does not, 2 when
 * this environment cannot make the call (a setup step failed, no writable cgroup2 hierarchy,
 * a kernel without CLONE_AUTOREAP).
 * Build: {cc} -static -O2 -o repro repro.c
 * Run it as root in a throwaway guest or container, not on a machine you care about. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The payload's view of {arch}: its stack frame and its raw syscall and clone entry
 * (fixtures/probe/arch), whose child calls child_entry on the stack it was given. */
{abi_header}
#define NR_CALL {nr_call}
#define NR_CLONE3 {nr_clone3}
#define NR_EXIT {nr_exit}
#define REPRO_CLONE_PIDFD {clone_pidfd:#x}ULL
#define REPRO_CLONE_AUTOREAP {clone_autoreap:#x}ULL
#define NEEDS_CGROUP {needs_cgroup}
#define UNUSED __attribute__((unused))
#if defined(__has_attribute)
#if __has_attribute(no_stack_protector)
#define NO_STACK_PROTECTOR __attribute__((no_stack_protector))
#endif
#endif
#ifndef NO_STACK_PROTECTOR
#define NO_STACK_PROTECTOR
#endif

{args}{set_tid}static uint64_t slots[3] UNUSED = {{ 0x5a5a5a5a5a5a5a5aULL, 0x5a5a5a5a5a5a5a5aULL, 0x5a5a5a5a5a5a5a5aULL }};
static long page, pid_max;
static int dir_fd UNUSED = -1, cg_fd UNUSED = -1;
static char cg_last[1024] UNUSED; /* the last cgroup made */
static unsigned char *stack, *tls_area, *unmapped, *read_only;
/* The cgroups the setup creates, under this run's own directory. */
static const char *const cg_dirs[] UNUSED = {{ {cg_dirs} }};
static char cg_run[768];
static char cg_own_mount[64]; /* a cgroup2 mount made for this run when none was there */
static int report_fd = -1;    /* an autoreaped caller's verdict goes to its parent here */

/* The child of the call. It may run on a stack of its own, with a foreign TLS register or as
 * a thread of the caller, so it makes one raw system call: a thread's exit. */
void child_entry(void *ctx, unsigned long sp) __attribute__((noreturn, used));
NO_STACK_PROTECTOR void child_entry(void *ctx, unsigned long sp)
{{
	(void)ctx;
	(void)sp;
	for (;;)
		raw_syscall6(NR_EXIT, 0, 0, 0, 0, 0, 0);
}}

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

static UNUSED uint64_t get(int i)
{{
	uint64_t v;
	memcpy(&v, args + 8 * i, 8);
	return v;
}}

static UNUSED void sleep_ms(long ms)
{{
	struct timespec t = {{ ms / 1000, (ms % 1000) * 1000000L }};
	nanosleep(&t, NULL);
}}

/* Waits until this process has no child left (a CLONE_PARENT child of the caller below may
 * be one); returns the exit code of `pid`, 2 when it died of a signal. */
static int reap_all(pid_t pid)
{{
	int st, code = 2;
	pid_t w;
	for (;;) {{
		w = waitpid(-1, &st, __WALL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return code;
		if (w != pid)
			continue;
		if (WIFEXITED(st))
			code = WEXITSTATUS(st);
		else
			fprintf(stderr, "the caller (pid %d) died of signal %d\n", (int)w, WTERMSIG(st));
	}}
}}

/* fork(); the parent waits and leaves with the child's status, the child goes on. */
static UNUSED void enter_child(void)
{{
	pid_t c;
	fflush(NULL);
	c = fork();
	if (c < 0) {{ perror("fork"); exit(2); }}
	if (c == 0)
		return;
	exit(reap_all(c));
}}

static UNUSED int write_self_proc(const char *file, const char *text)
{{
	char path[64];
	int fd, ok;
	snprintf(path, sizeof path, "/proc/self/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {{ perror(path); return -1; }}
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	if (!ok)
		perror(path);
	close(fd);
	return ok ? 0 : -1;
}}

/* The root of a named cgroup v1 hierarchy (no controller), mounted over /tmp in a mount
 * namespace of this process's own whose mounts propagate nowhere, open as dir_fd. With no
 * cgroup in it but its root, the kernel destroys the hierarchy when the namespace goes. */
static UNUSED int cgroup1_root(void)
{{
	if (unshare(CLONE_NEWNS) != 0) {{ perror("unshare(CLONE_NEWNS)"); return -1; }}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {{ perror("mount --make-rprivate /"); return -1; }}
	if (mount("cloneabi", "/tmp", "cgroup", 0, {cgroup1_options:?}) != 0) {{ perror("mount -t cgroup"); return -1; }}
	dir_fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {{ perror("open"); return -1; }}
	return 0;
}}

/* A new user namespace in which this process keeps uid and gid 0 (mapped to its ids). */
static UNUSED int enter_user_ns(void)
{{
	char map[64];
	unsigned uid = (unsigned)getuid(), gid = (unsigned)getgid();
	if (unshare(CLONE_NEWUSER) != 0) {{ perror("unshare(CLONE_NEWUSER)"); return -1; }}
	if (write_self_proc("setgroups", "deny") != 0)
		return -1;
	snprintf(map, sizeof map, "0 %u 1\n", uid);
	if (write_self_proc("uid_map", map) != 0)
		return -1;
	snprintf(map, sizeof map, "0 %u 1\n", gid);
	return write_self_proc("gid_map", map);
}}

/* clone3(CLONE_AUTOREAP|CLONE_PIDFD), fork-like: the child goes on and becomes the caller;
 * the parent, which cannot wait(2) for it, reads its verdict from a pipe, follows its end
 * through the pidfd and leaves with the verdict. */
static UNUSED void autoreap_into(void)
{{
	uint64_t ca[8];
	int32_t pidfd = -1;
	int p[2];
	unsigned char code = 2; /* the caller ended without a verdict: it said why */
	long c;
	struct pollfd pf;
	if (pipe(p) != 0) {{ perror("pipe"); exit(2); }}
	memset(ca, 0, sizeof ca);
	ca[0] = REPRO_CLONE_PIDFD | REPRO_CLONE_AUTOREAP;
	ca[1] = (uintptr_t)&pidfd; /* exit_signal (ca[4]) stays 0, as CLONE_AUTOREAP requires */
	fflush(NULL);
	c = raw_syscall6(NR_CLONE3, (long)ca, (long)sizeof ca, 0, 0, 0, 0);
	if (c < 0) {{
		fprintf(stderr, "the kernel refused clone3(CLONE_AUTOREAP|CLONE_PIDFD): %s; an autoreaped caller needs Linux 7.1 or later\n", strerror((int)-c));
		exit(2);
	}}
	if (c == 0) {{
		close(p[0]);
		report_fd = p[1];
		return;
	}}
	close(p[1]);
	while (read(p[0], &code, 1) < 0 && errno == EINTR)
		;
	pf.fd = pidfd;
	pf.events = POLLIN;
	pf.revents = 0;
	while (poll(&pf, 1, -1) < 0 && errno == EINTR)
		;
	reap_all(-1);
	exit(code);
}}

/* The caller's verdict, passed up when the caller is autoreaped. */
static int finish(int code)
{{
	unsigned char b = (unsigned char)code;
	if (report_fd >= 0 && write(report_fd, &b, 1) != 1)
		perror("write");
	return code;
}}

/* A thread's exit is its own: the caller waits until the thread is gone. */
static UNUSED void wait_thread(pid_t tid)
{{
	int i;
	for (i = 0; i < 10000; i++) {{
		if (syscall(SYS_tgkill, getpid(), tid, 0) != 0 && errno == ESRCH) {{
			printf("the thread %d has exited\n", (int)tid);
			return;
		}}
		sleep_ms(1);
	}}
	fprintf(stderr, "the thread %d did not exit within 10 s\n", (int)tid);
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

static UNUSED int set_disposition(int signo, int how)
{{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = how == 0 ? SIG_DFL : how == 1 ? SIG_IGN : on_signal;
	return sigaction(signo, &sa, NULL);
}}

static UNUSED void rmdir_retry(const char *path)
{{
	int i;
	for (i = 0; i < 400; i++) {{
		if (rmdir(path) == 0 || errno == ENOENT)
			return;
		if (errno != EBUSY)
			break;
		sleep_ms(5);
	}}
	fprintf(stderr, "rmdir %s: %s\n", path, strerror(errno));
}}

/* Removes the case's cgroups, this run's directory and a mount made for it. */
static UNUSED void cg_cleanup(void)
{{
	char path[1024];
	int n = 0;
	if (cg_run[0]) {{
		while (cg_dirs[n])
			n++;
		while (n-- > 0) {{
			snprintf(path, sizeof path, "%s/%s", cg_run, cg_dirs[n]);
			rmdir_retry(path);
		}}
		rmdir_retry(cg_run);
		cg_run[0] = 0;
	}}
	if (cg_own_mount[0]) {{
		if (umount2(cg_own_mount, MNT_DETACH) != 0)
			perror("umount cgroup2");
		rmdir(cg_own_mount);
		cg_own_mount[0] = 0;
	}}
}}

/* A directory of this run's own in the cgroup2 hierarchy: under the mount the system has, or
 * under a mount made for the run when there is none. */
static UNUSED int cg_prepare(void)
{{
	char line[4096], base[512] = "";
	struct timespec t;
	int i;
	FILE *m = fopen("/proc/self/mountinfo", "r");
	while (m && fgets(line, sizeof line, m)) {{
		char *sep = strstr(line, " - ");
		if (sep && strncmp(sep + 3, "cgroup2 ", 8) == 0 &&
		    sscanf(line, "%*s %*s %*s %*s %511s", base) == 1)
			break;
		base[0] = 0;
	}}
	if (m)
		fclose(m);
	if (!base[0]) {{
		strcpy(cg_own_mount, "/tmp/cloneabi-repro-XXXXXX");
		if (!mkdtemp(cg_own_mount)) {{
			fprintf(stderr, "no cgroup2 hierarchy, and no directory to mount one: %s\n", strerror(errno));
			cg_own_mount[0] = 0;
			return -1;
		}}
		if (mount("cgroup2", cg_own_mount, "cgroup2", 0, NULL) != 0) {{
			fprintf(stderr, "no cgroup2 hierarchy, and mounting one failed: %s (run as root on a kernel with cgroup2)\n", strerror(errno));
			rmdir(cg_own_mount);
			cg_own_mount[0] = 0;
			return -1;
		}}
		snprintf(base, sizeof base, "%s", cg_own_mount);
	}}
	clock_gettime(CLOCK_REALTIME, &t);
	for (i = 0; i < 100; i++) {{
		snprintf(cg_run, sizeof cg_run, "%s/cloneabi-repro-%ld-%lx-%d", base, (long)getpid(), (unsigned long)t.tv_nsec, i);
		if (mkdir(cg_run, 0755) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}}
	fprintf(stderr, "cannot create a cgroup under %s: %s (run as root with a writable cgroup2 hierarchy)\n", base, strerror(errno));
	cg_run[0] = 0;
	cg_cleanup();
	return -1;
}}

static UNUSED int cg_mkdir(const char *name)
{{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", cg_run, name);
	if (mkdir(path, 0755) != 0) {{
		fprintf(stderr, "mkdir %s: %s\n", path, strerror(errno));
		return -1;
	}}
	cg_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0) {{
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return -1;
	}}
	snprintf(cg_last, sizeof cg_last, "%s", path);
	return 0;
}}

/* Another descriptor for the last cgroup made: 0 its directory O_PATH, 1 its cgroup.procs
 * file, 2 none (the directory's descriptor closed, its number kept). */
static UNUSED int cg_reopen(int how)
{{
	char path[1100];
	int fd = -1;
	snprintf(path, sizeof path, how == 1 ? "%s/cgroup.procs" : "%s", cg_last);
	if (how == 0)
		fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	else if (how == 1)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (how != 2 && fd < 0) {{
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return -1;
	}}
	close(cg_fd);
	if (how != 2)
		cg_fd = fd;
	return 0;
}}

static UNUSED int cg_write(const char *rel, const char *content)
{{
	char path[1024];
	int fd, ok;
	snprintf(path, sizeof path, "%s/%s", cg_run, rel);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {{
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return -1;
	}}
	ok = write(fd, content, strlen(content)) >= 0;
	if (!ok)
		fprintf(stderr, "write %s to %s: %s\n", content, path, strerror(errno));
	close(fd);
	return ok ? 0 : -1;
}}

/* The case process: the setup steps, the fix-ups, the call. */
static int run_case(void)
{{
	unsigned char *where UNUSED = NULL;
	size_t body UNUSED;
	long r;
	int e;
	sigset_t all;
	/* As the payload's case process: every signal blocked, so that a child's exit signal
	 * other than SIGCHLD cannot end the caller before it reports. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
{setup}{fixups}{place}	fflush(NULL);
	r = arch_clone(NR_CALL, {call_args}, NULL);
	e = r < 0 && r >= -4095 ? (int)-r : 0;
{settle}	if (r < 0)
		printf("the call failed: %s (errno %d); the model predicts {expected_outcome}\n", strerror(e), e);
	else
		printf("the call succeeded (child %ld); the model predicts {expected_outcome}\n", r);
	return finish(({check}) ? 0 : 1);
}}

int main(void)
{{
	FILE *f;
	pid_t c;
	int code;
	setvbuf(stdout, NULL, _IOLBF, 0);
	page = sysconf(_SC_PAGESIZE);
	f = fopen("/proc/sys/kernel/pid_max", "r");
	if (!f || fscanf(f, "%ld", &pid_max) != 1) {{ fprintf(stderr, "cannot read pid_max\n"); return 2; }}
	fclose(f);
	stack = map({stack_len}, PROT_READ | PROT_WRITE);
	tls_area = map(4096, PROT_READ | PROT_WRITE);
	unmapped = map(page, PROT_NONE);
	/* A read-only page with a PROT_NONE page below it. */
	read_only = map(2 * page, PROT_NONE) + page;
	if (mprotect(read_only, page, PROT_READ) != 0) {{ perror("mprotect"); return 2; }}
	if (NEEDS_CGROUP && cg_prepare() != 0)
		return 2;
	/* Orphans of the case's processes come back here to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	fflush(NULL);
	c = fork();
	if (c < 0) {{
		perror("fork");
		cg_cleanup();
		return 2;
	}}
	if (c == 0)
		exit(run_case());
	code = reap_all(c);
	cg_cleanup();
	return code;
}}
"#,
        id = case.id,
        arch = arch,
        cc = arch.abi().debian.cross_gcc,
        abi_header = abi_header(arch),
        nr_call = p.syscall_nr,
        clone_pidfd = CLONE_PIDFD,
        clone_autoreap = CLONE_AUTOREAP,
        cgroup1_options = crate::program::CGROUP1_OPTIONS,
        needs_cgroup = u8::from(needs_cgroup),
        cg_dirs = cg_dirs.join(", "),
        stack_len = p.stack_len.max(4096),
        args = bytes("args", &p.args),
        set_tid = bytes("set_tid", &p.set_tid),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_abi_header_is_embedded_whole() {
        for arch in Arch::ALL {
            let h = abi_header(arch);
            assert!(!h.contains("#include \""), "{arch}: {h}");
            assert!(h.contains("arch_clone("), "{arch}: {h}");
            assert!(h.contains("raw_syscall6("), "{arch}: {h}");
            assert!(h.contains("#define CLONEABI_STACK_ALIGN "), "{arch}: {h}");
        }
    }

    #[test]
    fn strings_become_c_literals() {
        assert_eq!(c_str("a-b/c"), r#""a-b/c""#);
        assert_eq!(c_str("q\"\\?\n"), r#""q\"\\\077\012""#);
    }
}
