//! How the command line shows results: colour (only on a terminal, never with `NO_COLOR`),
//! a progress line on stderr for long runs, and the stable JSON of `gcconform run --format json`.
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
//!       "version": "3.12"
//!     }
//!   ],
//!   "interpreters": {"3.12": "CPython 3.12.1"},   // the live interpreter used per version
//!   "missing_interpreters": ["3.6"],
//!   "schema": 1,
//!   "summary": {"agree": 631, "checks": 632, "disagree": 1, "load_errors": false,
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
use crate::scenario::Scenario;
use crate::util::term::{Stream, color, red};
use crate::version::Version;
use clap::ValueEnum;
use serde::Serialize;
use std::collections::BTreeMap;

/// The version of the `run --format json` shape.
pub const RUN_SCHEMA: u32 = 1;

/// `--format` of `gcconform run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum RunFormat {
    /// `FAIL` lines with their reports, then a summary line.
    #[default]
    Text,
    /// One JSON object (schema 1, see the module documentation).
    Json,
}

/// The `FAIL` marker of a failure line on stdout.
pub fn fail_marker() -> String {
    red("FAIL", color(Stream::Stdout))
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
    /// `CPython 3.12.1`), `expected` the recorded release.
    pub fn record(
        &mut self,
        s: &Scenario,
        version: Version,
        side: &'static str,
        actual: String,
        expected: Option<String>,
        c: &Check,
    ) {
        self.checks.push(CheckJson {
            scenario: s.id.clone(),
            version: version.to_string(),
            side,
            status: status(c),
            actual,
            expected,
            summary: c.summary(),
            message: c.message(),
        });
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
                "load_errors": load_errors,
            },
        });
        let mut s = serde_json::to_string_pretty(&v).expect("a JSON value serializes");
        s.push('\n');
        s
    }
}
