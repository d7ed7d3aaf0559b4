//! `cloneabi list`.

use super::{CmdResult, EXIT_OK};
use cloneabi_suites::catalog::all_cases;

pub fn run(json: bool) -> CmdResult {
    let cases = all_cases();
    if json {
        let items: Vec<_> = cases
            .iter()
            .map(|c| serde_json::json!({"id": c.id, "concern": c.concern, "summary": c.summary, "origin": c.origin}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&items).map_err(|e| e.to_string())?
        );
    } else {
        for c in &cases {
            println!("{}", c.id);
        }
    }
    Ok(EXIT_OK)
}
