//! How checks are shown: `FAIL` lines with their reports (red on a terminal), the summary and
//! interpreter lines of `run` and `diff`, reproducers, traces grouped by version, and the
//! stable JSON of `gcconform run --format json`.
//!
//! # `run --format json` (schema 1)
//!
//! One JSON object on stdout; object keys are sorted, nothing depends on the time, checks are
//! in scenario order (sorted by path), then version, then side (`model` before `cpython`).
//!
//! ```text
//! {
//!   "checks": [
//!     {
//!       "actual": "model 3.12",            // or the interpreter: "CPython 3.12.1"
//!       "expected": "CPython 3.12.1",      // the release expected/ was recorded from; null: none
//!       "message": null,                   // the full report when status is not "agree"
//!       "scenario": "seed/cycle_with_del",
//!       "side": "model",                   // "model" or "cpython"
//!       "status": "agree",                 // "agree" | "disagree" | "missing" | "error"
//!       "summary": null,                   // its first line / headline, when not "agree"
//!       "verdict": null,                   // when it disagrees: "stale" | "model-bug" |
//!                                          // "interpreter-differs" | "all-differ" |
//!                                          // "no-live" | "no-model" (see compare::verdict)
//!       "version": "3.12"
//!     }
//!   ],
//!   "interpreters": {"3.12": "CPython 3.12.1"},   // the live interpreter used per version
//!   "missing_interpreters": ["3.6"],
//!   "schema": 1,
//!   "summary": {"agree": 631, "checks": 632, "disagree": 1, "errors": 0, "load_errors": false,
//!               "missing": 0,
//!               "scenarios": 36}
//! }
//! ```
//!
//! `status`: `agree` (identical traces), `disagree` (they differ), `missing` (no expected file
//! or no block for the version: `message` names the command that records it), `error` (the
//! model or the interpreter produced no trace). `disagree + missing + error` is
//! `summary.disagree`. `load_errors` is true when some scenario or expected file did not load
//! (their diagnostics go to stderr; the exit code is then 2).

use crate::compare::check::Check;
use crate::compare::report::REBLESS_ADVICE;
use crate::runner::{self, Interpreter};
use crate::scenario::Scenario;
use crate::trace::Trace;
use crate::trace::group::version_groups;
use crate::util::term::{Stream, color, red};
use crate::version::Version;
use clap::ValueEnum;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The version of the `run --format json` shape.
pub const RUN_SCHEMA: u32 = 1;

/// `--format` of `gcconform run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum RunFormat {
    // The values are described on `--format` itself: doc comments here would give `run --help`
    // another layout than the other commands'.
    #[default]
    Text,
    Json,
    Junit,
}

/// The `FAIL` marker of a failure line on stdout.
pub fn fail_marker() -> String {
    red("FAIL", color(Stream::Stdout))
}

/// `text` with every non-empty line indented by four spaces.
pub fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Print a check that did not agree ([`failure_block`]).
pub fn print_failure(tag: &str, check: &Check) {
    print_failure_and(tag, check, "");
}

/// [`print_failure`], with `extra` (already indented lines) at the end of the block.
pub fn print_failure_and(tag: &str, check: &Check, extra: &str) {
    print!(
        "{}",
        failure_block(&format!("{} {tag}", fail_marker()), check, extra)
    );
}

/// The block of a check that did not agree: `<title>: <summary>`, then the rest of its message
/// indented (a report's own first line, which repeats the title, is left out), then `extra`
/// (already indented lines), then a blank line. Empty for a check that agrees.
pub fn failure_block(title: &str, check: &Check, extra: &str) -> String {
    failure_block_with(title, check, "", extra, false)
}

/// [`failure_block`] with `lead` (lines, not yet indented) before the message: the verdict.
/// With `drop_rebless`, the report's own advice to re-record `expected/` is left out (a verdict
/// that says whether to re-record).
pub fn failure_block_with(
    title: &str,
    check: &Check,
    lead: &str,
    extra: &str,
    drop_rebless: bool,
) -> String {
    let (Some(summary), Some(message)) = (check.summary(), check.message()) else {
        return String::new();
    };
    let mut out = format!("{title}: {summary}\n");
    if !lead.is_empty() {
        out.push_str(&indent(lead));
        out.push('\n');
    }
    // The title line already says the summary; the report's own copy of it is left out.
    let rest: Vec<&str> = message
        .lines()
        .skip(1)
        .filter(|l| *l != summary)
        .filter(|l| !(drop_rebless && l.starts_with(REBLESS_ADVICE)))
        .collect();
    if !rest.is_empty() {
        out.push_str(&indent(&rest.join("\n")));
        out.push('\n');
    }
    out.push_str(extra);
    out.push('\n');
    out
}

/// `interpreters used: 2.7 CPython 2.7.18 (/path), …` for the end of a report.
pub fn interpreters_used(interps: &BTreeMap<Version, Interpreter>) -> String {
    if interps.is_empty() {
        return "interpreters used: none".to_string();
    }
    let mut s = String::from("interpreters used:");
    for (v, i) in interps {
        let v = v.to_string();
        s.push_str(&format!("\n  {v:<5} {} ({})", i.label(), i.path.display()));
    }
    s
}

/// Write the reproducer of a failing (scenario, version) under `target/gcconform/` and
/// return indented lines that say where it is.
pub fn reproducer_lines(
    s: &Scenario,
    v: Version,
    interp: Option<&Interpreter>,
    expected: Option<&Trace>,
    cpython: Option<&Result<Trace, String>>,
    model: Option<&Result<Trace, String>>,
) -> String {
    let cpython = cpython.map(|r| r.as_ref().map_err(String::as_str));
    let model = model.map(|r| r.as_ref().map_err(String::as_str));
    let dir = Path::new(runner::repro::DIR);
    match runner::repro::write(dir, s, v, interp, expected, cpython, model) {
        Ok(w) => format!("{}\n", indent(&w.describe())),
        Err(e) => format!(
            "    (no reproducer: writing under {}: {e})\n",
            dir.display()
        ),
    }
}

/// Tally of checks for the summary line.
#[derive(Debug, Default)]
pub struct Tally {
    pub checks: usize,
    pub agree: usize,
    /// The traces differ.
    pub disagree: usize,
    /// No expected file or block to compare with.
    pub missing: usize,
    /// The model or the interpreter produced no trace.
    pub errors: usize,
}

impl Tally {
    pub fn add(&mut self, c: &Check) {
        self.checks += 1;
        match c {
            Check::Agree => self.agree += 1,
            Check::Disagree { .. } => self.disagree += 1,
            Check::Missing(_) => self.missing += 1,
            Check::Error(_) => self.errors += 1,
        }
    }

    /// Checks that did not agree.
    pub fn failures(&self) -> usize {
        self.checks - self.agree
    }
}

/// `4 scenarios, 72 checks: 70 agree, 2 disagree; missing interpreters: 3.6 3.7`, with the
/// checks that have nothing to compare with (`18 missing`) and those that produced no trace
/// (`1 error`) when there are any.
pub fn summary_line(
    n_scenarios: usize,
    t: &Tally,
    missing: &[Version],
    load_failures: bool,
    record: &str,
) -> String {
    let mut s = format!(
        "{} scenario{}, {} check{}: {} agree, {} disagree",
        n_scenarios,
        if n_scenarios == 1 { "" } else { "s" },
        t.checks,
        if t.checks == 1 { "" } else { "s" },
        t.agree,
        t.disagree,
    );
    if t.missing > 0 {
        s.push_str(&format!(", {} missing (record with: {record})", t.missing));
    }
    if t.errors > 0 {
        s.push_str(&format!(
            ", {} error{}",
            t.errors,
            if t.errors == 1 { "" } else { "s" }
        ));
    }
    s.push_str(&format!(
        "; missing interpreters: {}",
        missing_list(missing)
    ));
    if load_failures {
        s.push_str("; some input could not be loaded (see above)");
    }
    s
}

/// `none`, or the versions separated by spaces.
pub fn missing_list(missing: &[Version]) -> String {
    if missing.is_empty() {
        "none".to_string()
    } else {
        missing
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The last lines of a `run` or `diff` text report: the interpreters used, then the summary
/// line (`record`: the command that records what is missing).
pub fn print_run_summary(
    interps: &BTreeMap<Version, Interpreter>,
    n_scenarios: usize,
    tally: &Tally,
    missing: &[Version],
    bad_input: bool,
    record: &str,
) {
    println!("{}", interpreters_used(interps));
    println!(
        "{}",
        summary_line(n_scenarios, tally, missing, bad_input, record)
    );
}

/// Print traces grouped by identical behaviour: `=== 3.6 3.7`, a `# 3.6: CPython 3.6.15` line
/// per version that has a label, then the trace.
pub fn print_grouped(traces: &BTreeMap<Version, Trace>, labels: &BTreeMap<Version, String>) {
    for (i, (vs, t)) in version_groups(traces).into_iter().enumerate() {
        if i > 0 {
            println!();
        }
        let names: Vec<String> = vs.iter().map(|v| v.to_string()).collect();
        println!("=== {}", names.join(" "));
        for v in &vs {
            if let Some(l) = labels.get(v) {
                println!("# {v}: {l}");
            }
        }
        print!("{}", t.to_text());
    }
}

// ---------------------------------------------------------------------------------------------
// run --format json

/// One check of `gcconform run`, as JSON.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckJson {
    pub scenario: String,
    pub version: String,
    pub side: &'static str,
    pub status: &'static str,
    pub actual: String,
    pub expected: Option<String>,
    pub summary: Option<String>,
    pub message: Option<String>,
    /// What the evidence says when the check does not agree (see `compare::verdict`).
    pub verdict: Option<&'static str>,
}

/// The status word of a check.
pub fn status(c: &Check) -> &'static str {
    match c {
        Check::Agree => "agree",
        Check::Disagree { .. } => "disagree",
        Check::Missing(_) => "missing",
        Check::Error(_) => "error",
    }
}

/// Collects `gcconform run`'s checks for `--format json`.
#[derive(Debug, Default)]
pub struct RunJson {
    pub checks: Vec<CheckJson>,
}

impl RunJson {
    /// Record a check: `side` is `model` or `cpython`, `actual` what ran (`model 3.12`,
    /// `CPython 3.12.1`), `expected` the recorded release; the caller may add its verdict.
    pub fn record(
        &mut self,
        s: &Scenario,
        version: Version,
        side: &'static str,
        actual: String,
        expected: Option<String>,
        c: &Check,
    ) -> &mut CheckJson {
        self.checks.push(CheckJson {
            verdict: None,
            scenario: s.id.clone(),
            version: version.to_string(),
            side,
            status: status(c),
            actual,
            expected,
            summary: c.summary(),
            message: c.message(),
        });
        self.checks.last_mut().expect("just pushed")
    }

    /// The JSON text (pretty, keys sorted, final newline).
    pub fn render(
        &self,
        n_scenarios: usize,
        interpreters: &BTreeMap<Version, String>,
        missing: &[Version],
        load_errors: bool,
    ) -> String {
        let agree = self.checks.iter().filter(|c| c.status == "agree").count();
        let v = serde_json::json!({
            "schema": RUN_SCHEMA,
            "checks": self.checks,
            "interpreters": interpreters
                .iter()
                .map(|(v, l)| (v.to_string(), serde_json::Value::String(l.clone())))
                .collect::<serde_json::Map<_, _>>(),
            "missing_interpreters": missing.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
            "summary": {
                "scenarios": n_scenarios,
                "checks": self.checks.len(),
                "agree": agree,
                "disagree": self.checks.len() - agree,
                "missing": self.checks.iter().filter(|c| c.status == "missing").count(),
                "errors": self.checks.iter().filter(|c| c.status == "error").count(),
                "load_errors": load_errors,
            },
        });
        let mut s = serde_json::to_string_pretty(&v).expect("a JSON value serializes");
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_line_counts_checks() {
        let t = Tally {
            checks: 72,
            agree: 70,
            disagree: 2,
            ..Tally::default()
        };
        assert_eq!(
            summary_line(4, &t, &[Version::V3_6, Version::V3_7], false, ""),
            "4 scenarios, 72 checks: 70 agree, 2 disagree; missing interpreters: 3.6 3.7"
        );
        let t = Tally {
            checks: 3,
            agree: 0,
            disagree: 0,
            missing: 2,
            errors: 1,
        };
        assert_eq!(
            summary_line(2, &t, &[], false, "gcconform bless"),
            "2 scenarios, 3 checks: 0 agree, 0 disagree, 2 missing (record with: gcconform bless), 1 error; missing interpreters: none"
        );
        assert_eq!(t.failures(), 3);
        assert!(summary_line(1, &Tally::default(), &[], true, "").ends_with(
            "1 scenario, 0 checks: 0 agree, 0 disagree; missing interpreters: none; some input could not be loaded (see above)"
        ));
        assert_eq!(indent("a\n\nb"), "    a\n\n    b");
    }
}
