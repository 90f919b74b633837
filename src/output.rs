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

use crate::check::Check;
use crate::scenario::Scenario;
use crate::version::Version;
use clap::ValueEnum;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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

/// Which standard stream a decision is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

fn is_terminal(s: Stream) -> bool {
    match s {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    }
}

/// Whether colour may be used, given `NO_COLOR`, `TERM` and whether the stream is a terminal
/// (<https://no-color.org>: `NO_COLOR` set to anything but the empty string turns it off).
pub fn color_allowed(no_color: Option<&str>, term: Option<&str>, terminal: bool) -> bool {
    terminal && no_color.is_none_or(str::is_empty) && term != Some("dumb")
}

/// Whether to colour what goes to `s` now.
pub fn color(s: Stream) -> bool {
    color_allowed(
        std::env::var("NO_COLOR").ok().as_deref(),
        std::env::var("TERM").ok().as_deref(),
        is_terminal(s),
    )
}

/// `text` in bold red when `on`.
pub fn red(text: &str, on: bool) -> String {
    if on {
        format!("\x1b[1;31m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// `text` in green when `on`.
pub fn green(text: &str, on: bool) -> String {
    if on {
        format!("\x1b[32m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// The `FAIL` marker of a failure line on stdout.
pub fn fail_marker() -> String {
    red("FAIL", color(Stream::Stdout))
}

// ---------------------------------------------------------------------------------------------
// Progress

/// A progress line on stderr (`gcconform: checking 120/640`), drawn only when stderr is a
/// terminal and the work takes a while, redrawn at most ten times a second, and erased when
/// done. Safe to tick from several threads.
pub struct Progress {
    what: String,
    total: usize,
    done: AtomicUsize,
    enabled: bool,
    start: Instant,
    last: Mutex<Option<Instant>>,
}

/// Wait this long before showing anything: short runs stay silent.
const PROGRESS_DELAY: Duration = Duration::from_millis(500);
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

impl Progress {
    pub fn new(what: impl Into<String>, total: usize) -> Progress {
        Progress {
            what: what.into(),
            total,
            done: AtomicUsize::new(0),
            enabled: is_terminal(Stream::Stderr)
                && std::env::var("TERM").map_or(true, |t| t != "dumb"),
            start: Instant::now(),
            last: Mutex::new(None),
        }
    }

    /// The line as drawn: `gcconform: checking 120/640 (18%)`.
    pub fn line(what: &str, done: usize, total: usize) -> String {
        let pct = (done * 100).checked_div(total).unwrap_or(100);
        format!("gcconform: {what} {done}/{total} ({pct}%)")
    }

    /// One more item is done.
    pub fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.enabled || self.start.elapsed() < PROGRESS_DELAY {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|t| t.elapsed() < PROGRESS_EVERY) && done < self.total {
            return;
        }
        *last = Some(Instant::now());
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K{}",
            Progress::line(&self.what, done, self.total)
        );
        let _ = err.flush();
    }

    /// Erase the line (if one was drawn).
    pub fn finish(&self) {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}

/// [`crate::cli::parallel_map`] with a [`Progress`] line.
pub fn parallel_map_progress<T: Sync, R: Send>(
    what: &str,
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let p = Progress::new(what, items.len());
    let out = crate::cli::parallel_map(items, |x| {
        let r = f(x);
        p.tick();
        r
    });
    p.finish();
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_terminals_without_no_color() {
        assert!(color_allowed(None, Some("xterm"), true));
        assert!(color_allowed(Some(""), None, true));
        assert!(!color_allowed(Some("1"), Some("xterm"), true));
        assert!(!color_allowed(None, Some("xterm"), false));
        assert!(!color_allowed(None, Some("dumb"), true));
        assert_eq!(red("FAIL", false), "FAIL");
        assert_eq!(red("FAIL", true), "\x1b[1;31mFAIL\x1b[0m");
        assert_eq!(green("ok", true), "\x1b[32mok\x1b[0m");
    }

    #[test]
    fn progress_line() {
        assert_eq!(
            Progress::line("checking", 120, 640),
            "gcconform: checking 120/640 (18%)"
        );
        assert_eq!(
            Progress::line("checking", 0, 0),
            "gcconform: checking 0/0 (100%)"
        );
        // Not a terminal under cargo test: ticking draws nothing and does not panic.
        let p = Progress::new("x", 3);
        p.tick();
        p.tick();
        p.finish();
        let v = parallel_map_progress("x", &[1, 2, 3], |x| x * 2);
        assert_eq!(v, vec![2, 4, 6]);
    }
}
