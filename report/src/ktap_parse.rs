//! A KTAP parser following Documentation/dev-tools/ktap.rst.
//!
//! - Version lines: `KTAP version 1`, `TAP version 13`, `TAP version 14`.
//! - Plans `1..N`, before or after the results of their block.
//! - Results `ok|not ok <number> [<description>][ # [<directive>] [<diagnostic>]]`, with a
//!   TAP-style `- ` before the description tolerated. Directives (case-insensitive):
//!   SKIP, TODO, XFAIL, TIMEOUT, ERROR; any other text after `#` is diagnostic data.
//! - Diagnostic lines `# ...`; those directly before a result belong to it. A
//!   `# Subtest: <name>` line (KUnit, TAP 14) names the block it is in.
//! - Nesting by indentation: a version line indented deeper than its block opens a subtest
//!   block, which belongs to the next result line at the outer indentation. A known line
//!   indented less than its block closes the block. (TAP 14 blocks that open without a
//!   version line, with a plan or a `# Subtest:` line, are accepted too.)
//! - Anything else is an unknown line: kept, never an error (console noise is allowed).
//!
//! [`parse`] never fails; structural problems are listed in [`Document::problems`] and
//! [`Block::check`] reports what a consumer should reject (plan mismatch, numbering).

/// A parsed stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub root: Block,
    /// Lines that are neither version, plan, result nor diagnostic (1-based line, text).
    pub unknown: Vec<(usize, String)>,
    /// Problems found while reading the structure.
    pub problems: Vec<String>,
}

/// One level: its version line, plan and results.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Block {
    /// "KTAP version 1", "TAP version 14", ... (`None` for a TAP 14 block without one).
    pub version: Option<String>,
    /// Indentation in spaces.
    pub indent: usize,
    /// From a `# Subtest: <name>` line.
    pub name: Option<String>,
    pub plan: Option<usize>,
    pub tests: Vec<TestResult>,
    /// 1-based line number of the block's first line.
    pub line: usize,
}

/// One result line and what belongs to it.
#[derive(Clone, Debug, PartialEq)]
pub struct TestResult {
    pub ok: bool,
    pub number: Option<usize>,
    pub description: String,
    pub directive: Option<Directive>,
    /// Text after `#` (without the directive keyword).
    pub diagnostic: String,
    /// Diagnostic lines directly before the result, without the leading `# `.
    pub diagnostics: Vec<String>,
    pub subtests: Option<Block>,
    /// 1-based line number.
    pub line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Directive {
    Skip,
    Todo,
    Xfail,
    Timeout,
    Error,
}

/// What a result means, directive included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail,
    Skip,
    Xfail,
    Todo,
    Timeout,
    Error,
}

impl TestResult {
    pub fn status(&self) -> Status {
        match (self.ok, self.directive) {
            (_, Some(Directive::Skip)) => Status::Skip,
            (_, Some(Directive::Todo)) => Status::Todo,
            (_, Some(Directive::Xfail)) => Status::Xfail,
            (_, Some(Directive::Timeout)) => Status::Timeout,
            (_, Some(Directive::Error)) => Status::Error,
            (true, None) => Status::Pass,
            (false, None) => Status::Fail,
        }
    }

    /// Counts against its parent: `not ok` without SKIP/TODO/XFAIL.
    pub fn is_failure(&self) -> bool {
        !self.ok
            && !matches!(
                self.directive,
                Some(Directive::Skip | Directive::Todo | Directive::Xfail)
            )
    }
}

impl Block {
    /// Every result, at every depth.
    pub fn all_results(&self) -> Vec<&TestResult> {
        let mut out = Vec::new();
        for t in &self.tests {
            out.push(t);
            if let Some(sub) = &t.subtests {
                out.extend(sub.all_results());
            }
        }
        out
    }

    /// Consistency problems, recursively: missing plan, plan not matching the number of
    /// results, numbering not 1, 2, 3..., a parent `ok` although a subtest failed.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let here = self
            .name
            .clone()
            .unwrap_or_else(|| format!("block at line {}", self.line));
        match self.plan {
            None => problems.push(format!("{here}: no plan")),
            Some(p) if p != self.tests.len() => problems.push(format!(
                "{here}: plan 1..{p} but {} results",
                self.tests.len()
            )),
            _ => {}
        }
        for (i, t) in self.tests.iter().enumerate() {
            if t.number != Some(i + 1) {
                problems.push(format!(
                    "{here}: result at line {} is numbered {:?}, expected {}",
                    t.line,
                    t.number,
                    i + 1
                ));
            }
            if let Some(sub) = &t.subtests {
                if t.ok && sub.tests.iter().any(TestResult::is_failure) {
                    problems.push(format!(
                        "{here}: '{}' is ok although a subtest failed",
                        t.description
                    ));
                }
                problems.extend(sub.check());
            }
        }
        problems
    }
}

enum Line {
    Version(String),
    Plan(usize),
    Result {
        ok: bool,
        number: Option<usize>,
        description: String,
        directive: Option<Directive>,
        diagnostic: String,
    },
    Diagnostic(String),
    Unknown,
}

fn classify(content: &str) -> Line {
    let content = content.trim_end();
    if let Some(v) = content
        .strip_prefix("KTAP version ")
        .or_else(|| content.strip_prefix("TAP version "))
    {
        if !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()) {
            return Line::Version(content.to_string());
        }
    }
    if let Some(n) = content.strip_prefix("1..") {
        if let Ok(n) = n.parse() {
            return Line::Plan(n);
        }
    }
    if let Some(rest) = content.strip_prefix("#") {
        return Line::Diagnostic(rest.strip_prefix(' ').unwrap_or(rest).to_string());
    }
    let (ok, rest) = if let Some(r) = content.strip_prefix("not ok") {
        (false, r)
    } else if let Some(r) = content.strip_prefix("ok") {
        (true, r)
    } else {
        return Line::Unknown;
    };
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return Line::Unknown; // "okay", "oknot"
    }
    let rest = rest.trim_start();
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let number = digits.parse().ok();
    let rest = &rest[digits.len()..];
    let (desc, after) = match rest.find('#') {
        Some(i) => (&rest[..i], Some(rest[i + 1..].trim())),
        None => (rest, None),
    };
    let desc = desc.trim();
    let desc = desc.strip_prefix("- ").unwrap_or(desc).trim();
    let (directive, diagnostic) = match after {
        None => (None, String::new()),
        Some(after) => {
            let (word, tail) = after.split_once(char::is_whitespace).unwrap_or((after, ""));
            let directive = match word.to_ascii_uppercase().as_str() {
                "SKIP" => Some(Directive::Skip),
                "TODO" => Some(Directive::Todo),
                "XFAIL" => Some(Directive::Xfail),
                "TIMEOUT" => Some(Directive::Timeout),
                "ERROR" => Some(Directive::Error),
                _ => None,
            };
            match directive {
                Some(d) => (Some(d), tail.trim().to_string()),
                None => (None, after.to_string()),
            }
        }
    };
    Line::Result {
        ok,
        number,
        description: desc.to_string(),
        directive,
        diagnostic,
    }
}

struct Parser<'a> {
    lines: Vec<(usize, usize, &'a str)>, // (1-based line, indent, content)
    pos: usize,
    unknown: Vec<(usize, String)>,
    problems: Vec<String>,
}

fn indent_of(line: &str) -> (usize, &str) {
    let content = line.trim_start_matches(' ');
    (line.len() - content.len(), content)
}

/// Parses a KTAP (or TAP 13/14) stream. Text before the first version line is kept as
/// unknown lines.
pub fn parse(text: &str) -> Document {
    let lines: Vec<(usize, usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let l = l.strip_suffix('\r').unwrap_or(l);
            let (n, c) = indent_of(l);
            (i + 1, n, c)
        })
        .collect();
    let mut p = Parser {
        lines,
        pos: 0,
        unknown: Vec::new(),
        problems: Vec::new(),
    };
    // Skip noise up to the first version line.
    let start = p
        .lines
        .iter()
        .position(|(_, _, c)| matches!(classify(c), Line::Version(_)));
    let root = match start {
        Some(i) => {
            for (no, _, c) in &p.lines[..i] {
                p.unknown.push((*no, c.to_string()));
            }
            let (no, indent, c) = p.lines[i];
            p.pos = i + 1;
            let mut b = p.block(indent, Some(c.trim_end().to_string()), no);
            while p.pos < p.lines.len() {
                // Anything left over is at a lower indentation than the root: noise.
                let (no, _, c) = p.lines[p.pos];
                if !matches!(classify(c), Line::Unknown) {
                    p.problems
                        .push(format!("line {no}: '{c}' outside the top-level block"));
                }
                p.unknown.push((no, c.to_string()));
                p.pos += 1;
                b = p.continue_block(b);
            }
            b
        }
        None => {
            p.problems.push("no version line".to_string());
            p.block(0, None, 1)
        }
    };
    Document {
        root,
        unknown: p.unknown,
        problems: p.problems,
    }
}

impl<'a> Parser<'a> {
    fn block(&mut self, indent: usize, version: Option<String>, line: usize) -> Block {
        let b = Block {
            version,
            indent,
            line,
            ..Block::default()
        };
        self.continue_block(b)
    }

    fn continue_block(&mut self, mut b: Block) -> Block {
        let indent = b.indent;
        let mut diags: Vec<String> = Vec::new();
        let mut pending: Option<Block> = None;
        while self.pos < self.lines.len() {
            let (no, n, content) = self.lines[self.pos];
            let kind = classify(content);
            if matches!(kind, Line::Unknown) {
                self.unknown.push((no, content.to_string()));
                self.pos += 1;
                continue;
            }
            if n < indent {
                break;
            }
            if n > indent {
                // A deeper block: opened by a version line (KTAP), or by a plan, a
                // "# Subtest:" line or a result (TAP 14 / tolerated).
                let opens = match &kind {
                    Line::Version(_) | Line::Plan(_) | Line::Result { .. } => true,
                    Line::Diagnostic(d) => d.starts_with("Subtest:"),
                    Line::Unknown => false,
                };
                if !opens {
                    if let Line::Diagnostic(d) = kind {
                        diags.push(d);
                    }
                    self.pos += 1;
                    continue;
                }
                if pending.is_some() {
                    self.problems
                        .push(format!("line {no}: a second subtest block before a result"));
                }
                let version = match kind {
                    Line::Version(v) => {
                        self.pos += 1;
                        Some(v)
                    }
                    _ => None,
                };
                let sub = self.block(n, version, no);
                pending = Some(sub);
                continue;
            }
            self.pos += 1;
            match kind {
                Line::Version(v) => self.problems.push(format!(
                    "line {no}: '{v}' inside a block at the same indentation"
                )),
                Line::Plan(p) => {
                    if b.plan.is_some() {
                        self.problems.push(format!("line {no}: a second plan"));
                    }
                    b.plan = Some(p);
                }
                Line::Diagnostic(d) => match d.strip_prefix("Subtest:") {
                    Some(name) if b.tests.is_empty() && b.name.is_none() => {
                        b.name = Some(name.trim().to_string())
                    }
                    _ => diags.push(d),
                },
                Line::Result {
                    ok,
                    number,
                    description,
                    directive,
                    diagnostic,
                } => {
                    if number.is_none() {
                        self.problems
                            .push(format!("line {no}: result without a number"));
                    }
                    b.tests.push(TestResult {
                        ok,
                        number,
                        description,
                        directive,
                        diagnostic,
                        diagnostics: std::mem::take(&mut diags),
                        subtests: pending.take(),
                        line: no,
                    });
                }
                Line::Unknown => unreachable!(),
            }
        }
        if let Some(sub) = pending {
            self.problems.push(format!(
                "subtest block at line {} has no result line",
                sub.line
            ));
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "Example KTAP output" of ktap.rst.
    const SPEC_EXAMPLE: &str = "\
KTAP version 1
1..1
  KTAP version 1
  1..3
    KTAP version 1
    1..1
    # test_1: initializing test_1
    ok 1 test_1
  ok 1 example_test_1
    KTAP version 1
    1..2
    ok 1 test_1 # SKIP test_1 skipped
    ok 2 test_2
  ok 2 example_test_2
    KTAP version 1
    1..3
    ok 1 test_1
    # test_2: FAIL
    not ok 2 test_2
    ok 3 test_3 # SKIP test_3 skipped
  not ok 3 example_test_3
not ok 1 main_test
";

    #[test]
    fn parses_the_spec_example() {
        let doc = parse(SPEC_EXAMPLE);
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        assert!(doc.root.check().is_empty(), "{:?}", doc.root.check());
        let main = &doc.root.tests[0];
        assert_eq!((main.description.as_str(), main.ok), ("main_test", false));
        let l1 = main.subtests.as_ref().unwrap();
        assert_eq!(l1.plan, Some(3));
        let names: Vec<_> = l1.tests.iter().map(|t| t.description.as_str()).collect();
        assert_eq!(
            names,
            ["example_test_1", "example_test_2", "example_test_3"]
        );
        let t2 = &l1.tests[1].subtests.as_ref().unwrap().tests[0];
        assert_eq!(
            (t2.directive, t2.diagnostic.as_str()),
            (Some(Directive::Skip), "test_1 skipped")
        );
        let t3 = &l1.tests[2].subtests.as_ref().unwrap().tests[1];
        assert_eq!(t3.diagnostics, ["test_2: FAIL"]);
        assert_eq!(t3.status(), Status::Fail);
        assert_eq!(doc.root.all_results().len(), 1 + 3 + 1 + 2 + 3);
    }

    #[test]
    fn directives_and_tap_versions() {
        let doc = parse(
            "TAP version 14\n1..6\nok 1 - a # skip no dep\nnot ok 2 b # TIMEOUT 30 seconds\n\
             not ok 3 c # ERROR setup\nnot ok 4 d # XFAIL known\nok 5 check return code # rcode=0\n\
             not ok 6 e # TODO later\n",
        );
        assert!(doc.root.check().is_empty(), "{:?}", doc.root.check());
        let st: Vec<Status> = doc.root.tests.iter().map(TestResult::status).collect();
        use Status::*;
        assert_eq!(st, [Skip, Timeout, Error, Xfail, Pass, Todo]);
        assert_eq!(doc.root.tests[0].description, "a");
        assert_eq!(doc.root.tests[4].diagnostic, "rcode=0");
        assert_eq!(doc.root.version.as_deref(), Some("TAP version 14"));
        assert!(parse("TAP version 13\n1..0\n").root.check().is_empty());
    }

    #[test]
    fn unknown_lines_are_tolerated_anywhere() {
        let text = "[    0.1] Booting Linux\nKTAP version 1\n1..1\n  KTAP version 1\n  1..1\n\
                    random console noise\n  ok 1 x\n[    2.0] rcu: stall\nok 1 parent\nokay then\n";
        let doc = parse(text);
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        assert!(doc.root.check().is_empty());
        assert_eq!(doc.unknown.len(), 4);
        assert_eq!(doc.root.tests[0].subtests.as_ref().unwrap().tests.len(), 1);
    }

    #[test]
    fn check_catches_plan_numbering_and_bubbling() {
        let doc = parse("KTAP version 1\n1..3\nok 1 a\nok 3 b\n");
        let p = doc.root.check();
        assert!(p.iter().any(|m| m.contains("plan 1..3 but 2")), "{p:?}");
        assert!(
            p.iter().any(|m| m.contains("numbered Some(3), expected 2")),
            "{p:?}"
        );
        let doc = parse("KTAP version 1\n1..1\n  KTAP version 1\n  1..1\n  not ok 1 x\nok 1 p\n");
        assert!(doc.root.check().iter().any(|m| m.contains("ok although")));
        let doc = parse("KTAP version 1\nok 1 a\n");
        assert!(doc.root.check().iter().any(|m| m.contains("no plan")));
        assert!(parse("just noise\n")
            .problems
            .iter()
            .any(|m| m.contains("no version")));
    }

    #[test]
    fn trailing_plan_and_dangling_subtest() {
        let doc = parse("KTAP version 1\nok 1 a\nok 2 b\n1..2\n");
        assert!(doc.root.check().is_empty());
        let doc = parse("KTAP version 1\n1..1\n  KTAP version 1\n  1..1\n  ok 1 x\n");
        assert!(
            doc.problems.iter().any(|m| m.contains("no result line")),
            "{:?}",
            doc.problems
        );
    }

    #[test]
    fn tap14_subtest_without_version_line() {
        let doc =
            parse("TAP version 14\n1..1\n    # Subtest: group\n    1..1\n    ok 1 x\nok 1 group\n");
        let sub = doc.root.tests[0].subtests.as_ref().expect("nested");
        assert_eq!(sub.name.as_deref(), Some("group"));
        assert!(doc.root.check().is_empty(), "{:?}", doc.root.check());
    }
}
