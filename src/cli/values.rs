//! Typed option values. Fixed sets (runners, formats) are enums; arches and Debian releases
//! come from their tables (`Arch::ALL`, `Release::ALL`), so a row added there is accepted,
//! listed in `--help`, in errors and in shell completions without touching the CLI.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::ValueEnum;
use cloneabi_arch::Arch;
use cloneabi_runners::kernels::Release;

/// Where `cloneabi run` runs the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Runner {
    /// Native plus qemu-system on every default kernel, provisioning what is missing.
    All,
    /// The host kernel, in a throwaway pid namespace.
    Native,
    /// One kernel: the cached Debian one of --arch and --release, or --kernel.
    QemuSystem,
    /// --arch's payload under qemu-<arch> on this machine's kernel.
    QemuUser,
}

/// A report format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum)]
pub enum Format {
    /// KTAP version 1, as the kernel's own tests print it.
    Ktap,
    /// cloneabi's JSON report (input of `report`, `diff` and `report merge`).
    Json,
    /// JUnit XML.
    Junit,
    /// KCIDB v5.3 JSON.
    Kcidb,
    /// A human-readable summary.
    Summary,
}

impl Format {
    /// The file written for this format when `--out` is a directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Ktap => "cloneabi.ktap",
            Format::Json => "cloneabi.json",
            Format::Junit => "cloneabi.junit.xml",
            Format::Kcidb => "cloneabi.kcidb.json",
            Format::Summary => "cloneabi.summary.txt",
        }
    }
}

/// `--arch`: every arch of `Arch::ALL` by its name; its other names (Debian's, the kernel's,
/// the target triple) are accepted as aliases.
pub fn arch() -> impl TypedValueParser<Value = Arch> {
    let values = Arch::ALL.iter().map(|a| {
        let others = a
            .aliases()
            .chain([a.triple()])
            .filter(move |n| *n != a.name());
        PossibleValue::new(a.name()).aliases(others)
    });
    PossibleValuesParser::new(values).map(|s| {
        s.parse::<Arch>()
            .expect("clap accepts only the names of Arch::ALL")
    })
}

/// `--release`: every Debian release of `Release::ALL`.
pub fn release() -> impl TypedValueParser<Value = Release> {
    let values = Release::ALL.iter().map(|r| {
        let v = PossibleValue::new(r.name());
        if *r == Release::BookwormBackports {
            v.alias("backports")
        } else {
            v
        }
    });
    PossibleValuesParser::new(values).map(|s| {
        s.parse::<Release>()
            .expect("clap accepts only the names of Release::ALL")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser, Debug)]
    struct T {
        #[arg(long, value_parser = arch(), ignore_case = true)]
        arch: Option<Arch>,
        #[arg(long, value_parser = release())]
        release: Option<Release>,
        #[arg(long, value_delimiter = ',')]
        format: Vec<Format>,
    }

    #[test]
    fn every_table_row_and_alias_parses() {
        for a in Arch::ALL {
            for name in a.aliases().chain([a.triple()]) {
                let t = T::try_parse_from(["t", "--arch", name]).unwrap();
                assert_eq!(t.arch, Some(a), "{name}");
            }
        }
        let t = T::try_parse_from(["t", "--arch", "ARM64"]).unwrap();
        assert_eq!(t.arch, Some(Arch::Aarch64));
        for r in Release::ALL {
            let t = T::try_parse_from(["t", "--release", r.name()]).unwrap();
            assert_eq!(t.release, Some(r));
        }
        let t = T::try_parse_from(["t", "--format", "ktap,junit"]).unwrap();
        assert_eq!(t.format, vec![Format::Ktap, Format::Junit]);
    }

    #[test]
    fn errors_list_every_value() {
        let e = T::try_parse_from(["t", "--arch", "vax"])
            .unwrap_err()
            .to_string();
        for a in Arch::ALL {
            assert!(e.contains(a.name()), "{a} missing from: {e}");
        }
        assert!(e.contains("vax") && e.contains("--arch"), "{e}");
        let e = T::try_parse_from(["t", "--release", "potato"])
            .unwrap_err()
            .to_string();
        for r in Release::ALL {
            assert!(e.contains(r.name()), "{r} missing from: {e}");
        }
        let e = T::try_parse_from(["t", "--format", "ktap,yaml"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("yaml") && e.contains("summary"), "{e}");
    }

    #[test]
    fn help_lists_every_arch() {
        let help = T::command().render_long_help().to_string();
        for a in Arch::ALL {
            assert!(help.contains(a.name()), "{a} missing from: {help}");
        }
    }
}
