//! The native runner: the payload runs as pid 1 of a fresh pid namespace (and a private
//! mount namespace; inside a new user namespace when not root), so set_tid choices and
//! namespace flags never touch the host's pid space. Killing that init kills everything the
//! cases left behind; the mount namespace takes the payload's mounts with it.

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How to start the payload.
#[derive(Clone, Debug)]
pub struct NativeOptions {
    /// Kill the whole namespace after this long.
    pub timeout: Duration,
    /// Install a seccomp filter that answers clone3 with this errno before the payload
    /// starts: the environment a container runtime creates (used to prove the suite tells
    /// a masked clone3 from a missing one).
    pub mask_clone3_with: Option<i32>,
    /// Start the payload through this program (`qemu-<arch>` for the qemu-user runner):
    /// `launcher payload batch` instead of `payload batch`.
    pub launcher: Option<PathBuf>,
}

impl Default for NativeOptions {
    fn default() -> Self {
        NativeOptions {
            timeout: Duration::from_secs(600),
            mask_clone3_with: None,
            launcher: None,
        }
    }
}

/// What came back.
#[derive(Debug)]
pub struct NativeOutput {
    /// Everything the payload wrote to stdout and stderr.
    pub output: Vec<u8>,
    /// The wait status of the namespace's init (the payload).
    pub status: i32,
    pub timed_out: bool,
    pub wall_time: Duration,
    /// The user namespace was needed (not root).
    pub used_user_ns: bool,
}

/// Errors of the sandbox itself, each naming the fix.
#[derive(Debug)]
pub enum NativeError {
    Io(String, io::Error),
    Clone(io::Error, bool),
}

impl std::fmt::Display for NativeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NativeError::Io(what, e) => write!(f, "{what}: {e}"),
            NativeError::Clone(e, userns) if *userns => write!(
                f,
                "cannot create a user+pid namespace for the payload ({e}): run as root, or allow \
                 unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 / \
                 user.max_user_namespaces > 0)"
            ),
            NativeError::Clone(e, _) => write!(
                f,
                "cannot create a pid+mount namespace for the payload ({e})"
            ),
        }
    }
}

impl std::error::Error for NativeError {}

/// The absolute level of this process's pid namespace (0 for the initial one), from the
/// number of NSpid entries its /proc shows.
/// The level of the user namespace the sandbox runs the payload in: the host's, or one below
/// it when not root. Known only when the host's is the initial user namespace, whose
/// /proc inode number is fixed (PROC_USER_INIT_INO).
pub fn payload_user_ns_level() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    const PROC_USER_INIT_INO: u64 = 0xEFFF_FFFD;
    let initial = fs::metadata("/proc/self/ns/user").ok()?.ino() == PROC_USER_INIT_INO;
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    initial.then_some(u32::from(!root))
}

pub fn own_pid_ns_level() -> u32 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("NSpid:"))
                .map(|l| l.split_whitespace().count().saturating_sub(2) as u32)
        })
        .unwrap_or(0)
}

struct ChildSetup {
    path: CString,
    argv: [*const libc::c_char; 4],
    envp: [*const libc::c_char; 1],
    sync_read: libc::c_int,
    out_write: libc::c_int,
    devnull: libc::c_int,
    filter: Option<libc::sock_fprog>,
}

/// BPF: clone3 → SECCOMP_RET_ERRNO | errno, everything else allowed.
fn clone3_mask_filter(errno: i32) -> Vec<libc::sock_filter> {
    let nr = libc::SYS_clone3 as u32;
    vec![
        libc::sock_filter {
            code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
            jt: 0,
            jf: 0,
            k: 0,
        },
        libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: nr,
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ERRNO | (errno as u32 & 0xffff),
        },
        libc::sock_filter {
            code: (libc::BPF_RET | libc::BPF_K) as u16,
            jt: 0,
            jf: 0,
            k: libc::SECCOMP_RET_ALLOW,
        },
    ]
}

/// Runs in the cloned child: only async-signal-safe calls until execve.
extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` points at the ChildSetup the parent keeps alive until the child execs.
    unsafe {
        let s = &*(arg as *const ChildSetup);
        let mut byte = 0u8;
        if libc::read(s.sync_read, &mut byte as *mut u8 as *mut libc::c_void, 1) != 1 {
            libc::_exit(126);
        }
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        libc::dup2(s.devnull, 0);
        libc::dup2(s.out_write, 1);
        libc::dup2(s.out_write, 2);
        if let Some(prog) = &s.filter {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    prog as *const libc::sock_fprog,
                ) != 0
            {
                libc::_exit(125);
            }
        }
        libc::execve(s.path.as_ptr(), s.argv.as_ptr(), s.envp.as_ptr());
        libc::_exit(127)
    }
}

fn pipe() -> Result<(libc::c_int, libc::c_int), NativeError> {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(NativeError::Io("pipe2".into(), io::Error::last_os_error()));
    }
    Ok((fds[0], fds[1]))
}

fn close(fd: libc::c_int) {
    // SAFETY: closing a descriptor this module opened.
    unsafe { libc::close(fd) };
}

fn write_map(pid: libc::pid_t, file: &str, content: &str) -> Result<(), NativeError> {
    let path = PathBuf::from(format!("/proc/{pid}/{file}"));
    fs::write(&path, content).map_err(|e| NativeError::Io(format!("writing {}", path.display()), e))
}

/// Runs `payload batch` as pid 1 of a new pid namespace and collects its output.
pub fn run(
    payload: &Path,
    batch: &Path,
    opts: &NativeOptions,
) -> Result<NativeOutput, NativeError> {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let cstr = |p: &Path| CString::new(p.as_os_str().as_bytes()).expect("paths have no NUL");
    let payload_c = cstr(payload);
    let launcher_c = opts.launcher.as_deref().map(cstr);
    let path = launcher_c.clone().unwrap_or_else(|| payload_c.clone());
    let batch_c = cstr(batch);
    let (sync_read, sync_write) = pipe()?;
    let (out_read, out_write) = pipe()?;
    // SAFETY: a constant path.
    let devnull = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    let filter = opts.mask_clone3_with.map(clone3_mask_filter);
    let setup = ChildSetup {
        argv: match &launcher_c {
            Some(l) => [
                l.as_ptr(),
                payload_c.as_ptr(),
                batch_c.as_ptr(),
                std::ptr::null(),
            ],
            None => [
                payload_c.as_ptr(),
                batch_c.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
            ],
        },
        envp: [std::ptr::null()],
        path: path.clone(),
        sync_read,
        out_write,
        devnull,
        filter: filter.as_ref().map(|f| libc::sock_fprog {
            len: f.len() as u16,
            filter: f.as_ptr() as *mut _,
        }),
    };
    let mut flags = libc::CLONE_NEWPID | libc::CLONE_NEWNS | libc::SIGCHLD;
    if !root {
        flags |= libc::CLONE_NEWUSER;
    }
    let mut stack = vec![0u8; 256 * 1024];
    // SAFETY: the stack outlives the call (the child execs or exits before the parent frees
    // it: the parent waits below), and child_main only makes async-signal-safe calls.
    let pid = unsafe {
        let top = stack.as_mut_ptr().add(stack.len()) as *mut libc::c_void;
        libc::clone(
            child_main,
            top,
            flags,
            &setup as *const ChildSetup as *mut libc::c_void,
        )
    };
    close(sync_read);
    close(out_write);
    close(devnull);
    if pid < 0 {
        let err = io::Error::last_os_error();
        close(sync_write);
        close(out_read);
        return Err(NativeError::Clone(err, !root));
    }
    let start = Instant::now();
    let mapped = if root {
        Ok(())
    } else {
        // SAFETY: getuid/getgid have no preconditions.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        write_map(pid, "setgroups", "deny")
            .and_then(|()| write_map(pid, "uid_map", &format!("0 {uid} 1")))
            .and_then(|()| write_map(pid, "gid_map", &format!("0 {gid} 1")))
    };
    // SAFETY: one byte from a valid buffer to our pipe.
    unsafe { libc::write(sync_write, b"g".as_ptr() as *const libc::c_void, 1) };
    close(sync_write);
    let (output, timed_out) = drain(out_read, pid, opts.timeout, start);
    close(out_read);
    let mut status = 0;
    // SAFETY: reaping our own child.
    unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
    drop(stack);
    mapped?;
    Ok(NativeOutput {
        output,
        status,
        timed_out,
        wall_time: start.elapsed(),
        used_user_ns: !root,
    })
}

/// Reads until EOF or the deadline; on the deadline, kills the namespace's init.
fn drain(fd: libc::c_int, pid: libc::pid_t, timeout: Duration, start: Instant) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let left = timeout.saturating_sub(start.elapsed());
        if left.is_zero() || crate::interrupt::requested().is_some() {
            // SAFETY: signalling our own child; every case process dies with this init.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return (out, true);
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        // At most 100 ms, so an interrupt is noticed even when its signal went to another thread.
        let ready = unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(100) as i32) };
        if ready < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        if ready <= 0 {
            continue;
        }
        // SAFETY: reading into a valid buffer.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
        if n <= 0 {
            return (out, false);
        }
        out.extend_from_slice(&buf[..n as usize]);
    }
}

/// Removes a cgroup2 run directory (and the case directories under it) that a crashed
/// payload left in the host's hierarchy. The host must have cgroup2 mounted for this; the
/// payload's own mount of it died with its mount namespace.
pub fn remove_leftover_cgroups(run_dir_name: &str) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(mountinfo) = fs::read_to_string("/proc/self/mountinfo") else {
        return removed;
    };
    for line in mountinfo.lines() {
        let Some((pre, post)) = line.split_once(" - ") else {
            continue;
        };
        if !post.starts_with("cgroup2 ") {
            continue;
        }
        let Some(mount_point) = pre.split_whitespace().nth(4) else {
            continue;
        };
        let run_dir = Path::new(mount_point).join(run_dir_name);
        if !run_dir.is_dir() {
            continue;
        }
        if let Ok(entries) = fs::read_dir(&run_dir) {
            for e in entries.flatten() {
                if e.path().is_dir() && fs::remove_dir(e.path()).is_ok() {
                    removed.push(e.path());
                }
            }
        }
        if fs::remove_dir(&run_dir).is_ok() {
            removed.push(run_dir);
        }
    }
    removed
}
