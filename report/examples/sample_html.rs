//! Writes the sample report's HTML page (used for docs/report-matrix-sample.png):
//! `cargo run -p cloneabi-report --example sample_html -- OUT.html [--open-first-failure]`
//! (the flag opens the first FAIL cell's details, for the screenshot).
fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "report-matrix.html".into());
    let open = std::env::args().any(|a| a == "--open-first-failure");
    let report = cloneabi_report::sample::sample_report();
    let mut html = cloneabi_report::html::render(&[report]);
    if open {
        html = html.replacen(
            "data-verdict=\"FAIL\"><details>",
            "data-verdict=\"FAIL\"><details open>",
            1,
        );
    }
    std::fs::write(&out, html).unwrap_or_else(|e| panic!("{out}: {e}"));
    println!("{out}");
}
