//! cloneabi: a cross-architecture conformance suite for the Linux clone3() ABI.
//! The binary only parses arguments and hands each command to its module in `cli/`.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    let code = match cli::dispatch(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cloneabi: {e}");
            cli::EXIT_USAGE
        }
    };
    std::process::exit(code);
}
