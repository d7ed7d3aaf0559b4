//! `cloneabi abi`.

use super::{CmdResult, EXIT_OK};
use cloneabi_arch::json::{abi_json, abi_table};
use cloneabi_arch::Arch;

pub fn run(arch: Option<Arch>, json: bool) -> CmdResult {
    let arches = match arch {
        Some(a) => vec![a],
        None => Arch::ALL.to_vec(),
    };
    if json {
        let all: Vec<_> = arches.iter().map(|a| abi_json(*a)).collect();
        let doc = serde_json::json!({ "arches": all });
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?
        );
    } else {
        for a in arches {
            println!("{}", abi_table(a));
        }
    }
    Ok(EXIT_OK)
}
