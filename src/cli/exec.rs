//! `cloneabi exec --arch A [--release R | --kernel K] [-e VAR[=VALUE]]... -- PROGRAM [ARGS...]`:
//! one static program run as a process in a real guest of arch A (a cargo target runner).

use super::values;
use super::CmdResult;
use cloneabi_arch::Arch;
use cloneabi_runners::exec::{self, ExecSpec};
use cloneabi_runners::kernels::Release;
use std::path::PathBuf;
use std::time::Duration;

/// Host variables passed to the program without being named: by prefix or by name. Cargo
/// sets the `CARGO_PKG_*` ones when it runs a test binary; libtest reads the `RUST_*` ones.
pub const PASSED_PREFIXES: &[&str] = &["RUST_", "CARGO_PKG_"];
pub const PASSED_NAMES: &[&str] = &["CARGO_CRATE_NAME", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE"];
/// A host variable naming more variables to pass (comma or space separated).
pub const PASS_LIST_VAR: &str = "CLONEABI_EXEC_ENV";

#[derive(clap::Args, Debug)]
pub struct ExecArgs {
    /// The guest's arch (x86_64, aarch64, s390x, powerpc64le, powerpc64, or an alias).
    #[arg(long, value_parser = values::arch(), ignore_case = true)]
    pub arch: Arch,
    /// Which cached Debian kernel (default: the arch's first default release, bookworm
    /// where it has one).
    #[arg(long, value_parser = values::release(), conflicts_with = "kernel")]
    pub release: Option<Release>,
    /// A kernel image to boot instead of the cached one (its arch is checked first).
    #[arg(long)]
    pub kernel: Option<PathBuf>,
    /// Set VAR=VALUE in the program's environment, or pass this process's VAR with a bare
    /// name; repeatable. RUST_*, CARGO_PKG_*, CARGO_CRATE_NAME, NO_COLOR and the names
    /// listed in $CLONEABI_EXEC_ENV pass through without it.
    #[arg(long = "env", short = 'e', value_name = "VAR[=VALUE]")]
    pub env: Vec<String>,
    /// Seconds from QEMU's start to the guest's power-off.
    #[arg(long, default_value_t = 900)]
    pub timeout: u64,
    /// Guest memory in MiB (default: the suite's size for the arch).
    #[arg(long)]
    pub memory: Option<u32>,
    /// The static executable and its arguments.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PROGRAM [ARGS]..."
    )]
    pub command: Vec<String>,
}

/// The program's environment: the passed-through host variables, then `-e` settings (a
/// later setting of a name replaces an earlier one).
pub fn environment(
    explicit: &[String],
    host: &[(String, String)],
) -> Result<Vec<(String, String)>, String> {
    let listed: Vec<String> = host
        .iter()
        .find(|(k, _)| k == PASS_LIST_VAR)
        .map(|(_, v)| {
            v.split([',', ' '])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut env: Vec<(String, String)> = Vec::new();
    let set = |k: &str, v: &str, env: &mut Vec<(String, String)>| {
        env.retain(|(n, _)| n != k);
        env.push((k.to_string(), v.to_string()));
    };
    for (k, v) in host {
        if PASSED_PREFIXES.iter().any(|p| k.starts_with(p))
            || PASSED_NAMES.contains(&k.as_str())
            || listed.contains(k)
        {
            set(k, v, &mut env);
        }
    }
    for e in explicit {
        let (k, v) = match e.split_once('=') {
            Some((k, v)) => (k, v.to_string()),
            None => match host.iter().find(|(k, _)| k == e) {
                Some((_, v)) => (e.as_str(), v.clone()),
                None => continue,
            },
        };
        if k.is_empty() || k.contains('\0') || v.contains('\0') {
            return Err(format!(
                "--env {e:?}: expected VAR=VALUE or VAR, with a non-empty name"
            ));
        }
        set(k, &v, &mut env);
    }
    Ok(env)
}

pub fn run(args: ExecArgs) -> CmdResult {
    let arch = args.arch;
    let host: Vec<(String, String)> = std::env::vars().collect();
    let env = environment(&args.env, &host)?;
    let kernel = match &args.kernel {
        Some(k) => k.clone(),
        None => exec::cached_kernel(arch, args.release)?.path,
    };
    let (program, rest) = args.command.split_first().ok_or("no program given")?;
    let spec = ExecSpec {
        arch,
        kernel,
        program: PathBuf::from(program),
        args: rest.to_vec(),
        env,
        timeout: Duration::from_secs(args.timeout),
        memory_mb: args.memory,
    };
    let outcome = exec::run(&spec, &mut std::io::stdout(), &mut std::io::stderr())
        .map_err(|e| e.to_string())?;
    for l in &outcome.logs {
        eprintln!("cloneabi exec: guest init: {l}");
    }
    if let Some(problem) = outcome.problem() {
        eprintln!("cloneabi exec: {problem}");
    }
    Ok(outcome.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> Vec<(String, String)> {
        [
            ("RUST_TEST_THREADS", "1"),
            ("RUST_BACKTRACE", "1"),
            ("HOME", "/root"),
            ("RUSTFLAGS", "-Cx"),
            ("CARGO_PKG_NAME", "demo"),
            ("CLONEABI_EXEC_ENV", "FOO, BAR"),
            ("FOO", "foo"),
            ("SECRET", "s"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn pass_through_and_explicit_settings() {
        let env = environment(
            &["A=1=2".into(), "SECRET".into(), "RUST_BACKTRACE=0".into()],
            &host(),
        )
        .unwrap();
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("RUST_TEST_THREADS"), Some("1"));
        assert_eq!(get("RUST_BACKTRACE"), Some("0"));
        assert_eq!(get("CARGO_PKG_NAME"), Some("demo"));
        assert_eq!(get("FOO"), Some("foo"));
        assert_eq!(get("A"), Some("1=2"));
        assert_eq!(get("SECRET"), Some("s"));
        assert_eq!(get("HOME"), None);
        assert_eq!(get("RUSTFLAGS"), None);
        assert_eq!(env.iter().filter(|(k, _)| k == "RUST_BACKTRACE").count(), 1);
        assert!(environment(&["=x".into()], &host()).is_err());
    }
}
