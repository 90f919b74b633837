//! The conformance matrix (`gcconform matrix`): the state of conformance at a glance,
//! scenarios × versions.
//!
//! For every scenario and every version it applies to (a *pair*), the matrix records:
//!
//! - whether the **model** agrees with `expected/` (the trace recorded from real CPython),
//!   taking the expected-failure list (`tests/xfail.txt`, see [`crate::compare::xfail`]) into account;
//! - whether the **live** CPython interpreter of that version, if installed, still agrees with
//!   `expected/` (skipped with `--no-live`);
//! - which versions behave alike: the versions whose expected traces are identical form one
//!   *group*, numbered 1, 2, … (shown as A, B, …) in order of their oldest version, so splits
//!   such as `2.7 | 3.6 | 3.7-3.10 | 3.11-3.13` are visible.
//!
//! It is rendered as Markdown for people ([`render_markdown`]) or as JSON for tools
//! ([`render_json`]). The JSON shape (schema 1) is stable: objects have sorted keys, and
//! nothing in it depends on the time or the machine beyond the results themselves.
//!
//! ```text
//! {
//!   "live": false,                        // whether live interpreters were run
//!   "scenarios": [                        // sorted by id
//!     {
//!       "cells": {                        // one per version the scenario applies to
//!         "3.12": {
//!           "cpython": "agree",           // see `Status`
//!           "group": 2,                   // 1-based index into "groups"; null: no block
//!           "model": "agree"
//!         }
//!       },
//!       "groups": [["2.7"], ["3.6", "3.7"]],   // versions with identical expected traces
//!       "id": "seed/cycle_with_del",
//!       "path": "scenarios/seed/cycle_with_del.yaml"
//!     }
//!   ],
//!   "schema": 1,
//!   "summary": {                          // one entry per version in "versions"
//!     "3.12": {"agree": 70, "cpython_agree": 0, "cpython_run": 0, "fail": 1,
//!              "pairs": 73, "pass_rate": 95.9, "xfail": 2}
//!   },
//!   "total": {…},                         // the same counts over every version
//!   "versions": ["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]
//! }
//! ```
//!
//! Per pair, `model` is one of `agree`, `disagree` (the model errs or its trace differs),
//! `xfail` (disagrees and is listed as an expected failure), `xpass` (listed, but agrees: the
//! list is stale, which is a failure) or `missing` (no expected block to compare with).
//! `cpython` is one of the same five (live trials can be listed as `cpython/VERSION/ID`),
//! `not-run` (`--no-live`) or `missing-interpreter`.
//!
//! A pair *fails* when either side is `disagree`, `xpass` or `missing`; otherwise it is an
//! expected failure when either side is `xfail`, and it *agrees* otherwise. So
//! `pairs = agree + xfail + fail`, and `pass_rate = 100 × agree / pairs`, rounded to one
//! decimal (`null` when there are no pairs). `cpython_run` counts the pairs whose live
//! interpreter was compared with `expected/`, `cpython_agree` those where it agreed.

mod html;
pub mod unmodelled;
pub use html::render_html;

use crate::compare::check::{self, Check};
use crate::compare::xfail::{self, Xfail};
use crate::expected;
use crate::runner::Interpreter;
use crate::scenario::Scenario;
use crate::service::engine::{Expected, Job, Results, Side, Startup, actual_label};
use crate::trace::Trace;
use crate::version::Version;
use crate::version::version_list;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

/// The version of the JSON shape.
pub const SCHEMA: u32 = 1;
/// The expected-failure list read by default.
pub const DEFAULT_XFAIL: &str = "tests/xfail.txt";

/// The outcome of one side (model or live interpreter) of one pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The trace equals the expected one.
    Agree,
    /// The trace differs, or there is none (the model or the interpreter failed).
    Disagree,
    /// Disagrees, and is listed in the expected-failure list.
    Xfail,
    /// Listed in the expected-failure list, but agrees: the list is stale (a failure).
    Xpass,
    /// No expected block to compare with (a failure).
    Missing,
    /// Live interpreters were not run (`--no-live`).
    NotRun,
    /// No CPython interpreter of this version is installed.
    MissingInterpreter,
}

impl Status {
    /// Whether this makes its pair fail.
    pub fn fails(self) -> bool {
        matches!(self, Status::Disagree | Status::Xpass | Status::Missing)
    }

    /// The status of a check of trial `name` (listed in the expected-failure list or not).
    fn of(check: &Check, listed: bool) -> Status {
        match (check, listed) {
            (Check::Missing(_), _) => Status::Missing,
            (Check::Agree, false) => Status::Agree,
            (_, false) => Status::Disagree,
            (Check::Agree, true) => Status::Xpass,
            (_, true) => Status::Xfail,
        }
    }

    /// The symbol of a model status in a Markdown cell.
    fn symbol(self) -> &'static str {
        match self {
            Status::Agree => "✓",
            Status::Disagree => "✗",
            Status::Xfail => "x",
            Status::Xpass => "!",
            Status::Missing => "?",
            Status::NotRun | Status::MissingInterpreter => "",
        }
    }
}

/// One (scenario, version) pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    /// The model against `expected/`.
    pub model: Status,
    /// The live interpreter against `expected/`.
    pub cpython: Status,
    /// Which group of identical expected traces the version belongs to (1-based), if its
    /// expected block exists.
    pub group: Option<usize>,
}

impl Cell {
    pub fn fails(&self) -> bool {
        self.model.fails() || self.cpython.fails()
    }
    pub fn is_xfail(&self) -> bool {
        !self.fails() && (self.model == Status::Xfail || self.cpython == Status::Xfail)
    }
    pub fn agrees(&self) -> bool {
        !self.fails() && !self.is_xfail()
    }
    fn cpython_run(&self) -> bool {
        !matches!(self.cpython, Status::NotRun | Status::MissingInterpreter)
    }
}

/// One scenario's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// The scenario id, `seed/cycle_with_del`.
    pub id: String,
    /// The scenario file as named in expected files, `scenarios/seed/cycle_with_del.yaml`.
    pub path: String,
    /// Versions with identical expected traces, each ascending, ordered by oldest version.
    pub groups: Vec<Vec<String>>,
    /// One cell per version the scenario applies to, keyed by version.
    pub cells: BTreeMap<String, Cell>,
    /// Other implementations (`--other`): column name → the portability verdict
    /// (`portable`, `relies-on-details`, `breaks-a-promise`, `not-applicable`, `not-compared`,
    /// `failed`); absent without `--other`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub others: BTreeMap<String, String>,
    /// Per version, the traces behind the cell (for the HTML page; not in the JSON).
    #[serde(skip)]
    pub details: BTreeMap<String, CellDetail>,
}

/// The traces behind one cell: the expected block, the model's trace and the live
/// interpreter's (or why there is none), and the diff of each against the expected block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellDetail {
    pub expected: Option<String>,
    pub model: Result<String, String>,
    pub cpython: Option<Result<String, String>>,
}

/// Counts over a set of pairs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PairCounts {
    pub pairs: usize,
    pub agree: usize,
    pub xfail: usize,
    pub fail: usize,
    /// `100 × agree / pairs`, rounded to one decimal; `None` without pairs.
    pub pass_rate: Option<f64>,
    pub cpython_run: usize,
    pub cpython_agree: usize,
}

impl PairCounts {
    fn add(&mut self, c: &Cell) {
        self.pairs += 1;
        if c.fails() {
            self.fail += 1;
        } else if c.is_xfail() {
            self.xfail += 1;
        } else {
            self.agree += 1;
        }
        if c.cpython_run() {
            self.cpython_run += 1;
            if c.cpython == Status::Agree {
                self.cpython_agree += 1;
            }
        }
        self.pass_rate = Some((self.agree as f64 * 1000.0 / self.pairs as f64).round() / 10.0);
    }
}

/// Why a pair fails or is an expected failure, for the Markdown lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The trial name, `model/3.12/seed/cycle_with_del`; for missing expected traces, the
    /// scenario id and the versions, `seed/cycle_with_del (3.12-3.13)`.
    pub what: String,
    pub status: Status,
    /// One line: the check's summary, or the reason given in the expected-failure list.
    pub text: String,
}

/// The whole matrix. Serializes to the JSON shape described in the module documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    pub schema: u32,
    /// Whether live interpreters were run.
    pub live: bool,
    pub versions: Vec<String>,
    pub summary: BTreeMap<String, PairCounts>,
    pub total: PairCounts,
    pub scenarios: Vec<Row>,
    /// The other implementations' columns (`PyPy 3.9.16`), in order; absent without `--other`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<String>,
    /// The expected-failure list as named in the output.
    #[serde(skip)]
    pub xfail_file: String,
    /// Failures and expected failures, in row order.
    #[serde(skip)]
    pub notes: Vec<Note>,
}

impl Matrix {
    /// The number of pairs that fail.
    pub fn failures(&self) -> usize {
        self.total.fail
    }
}

/// What [`build`] needs besides the scenarios.
pub struct Options<'a> {
    /// The `expected/` directory.
    pub expected_dir: &'a Path,
    /// The versions (columns) to include, oldest first.
    pub versions: &'a [Version],
    /// The expected-failure list, and how to name it in messages.
    pub xfail: &'a Xfail,
    pub xfail_file: &'a str,
    /// The CPython interpreter of each version to run live; `None`: run none (`--no-live`).
    pub live: Option<&'a BTreeMap<Version, Interpreter>>,
    pub timeout: Duration,
    /// Other implementations' columns: name, and scenario id → portability verdict (made by
    /// `gcconform portability`'s reading; see [`Row::others`]).
    pub others: &'a [(String, BTreeMap<String, String>)],
}

/// The matrix of `scenarios`, and the problems that make the input bad (expected files that
/// cannot be read; their pairs are `missing`).
pub fn build(scenarios: &[Scenario], opts: &Options<'_>) -> (Matrix, Vec<String>) {
    let mut problems = Vec::new();
    let mut order: Vec<usize> = (0..scenarios.len()).collect();
    order.sort_by(|a, b| scenarios[*a].id.cmp(&scenarios[*b].id));

    // Expected files, read once per scenario.
    let files = Expected::read_all(opts.expected_dir, scenarios);
    for f in &files {
        if let Err(e) = &f.file {
            problems.push(e.to_string());
        }
    }

    // Run what has something to be compared with: the model in parallel, live interpreters in
    // fork-isolated batches.
    let none = BTreeMap::new();
    let live = opts.live.unwrap_or(&none);
    let mut jobs = Vec::new();
    for (k, s) in scenarios.iter().enumerate() {
        let compared = |v: Version| opts.versions.contains(&v) && files[k].block(v).is_some();
        jobs.extend(Job::for_scenario(
            k,
            s.applicable_versions(),
            compared,
            |v| compared(v) && live.contains_key(&v),
        ));
    }
    let recorded = |k: usize, v: Version| files[k].block(v)?.startup_heap;
    let traces = Results::run(
        &jobs,
        scenarios,
        live,
        opts.timeout,
        "matrix",
        Startup::Recorded(&recorded),
    );

    // How `bless` is told where expected/ is, when not the default.
    let expected_dir_arg =
        (opts.expected_dir != Path::new("expected")).then_some(opts.expected_dir);
    let mut summary: BTreeMap<Version, PairCounts> = opts
        .versions
        .iter()
        .map(|v| (*v, PairCounts::default()))
        .collect();
    let mut total = PairCounts::default();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for k in order {
        let s = &scenarios[k];
        let exp = &files[k];
        let exp_path = &exp.path;
        let applicable: Vec<Version> = s
            .applicable_versions()
            .into_iter()
            .filter(|v| opts.versions.contains(v))
            .collect();
        let bless = check::bless_command("gcconform", &s.path, expected_dir_arg);
        // Groups of identical expected traces, among the versions the scenario applies to.
        let mut groups: Vec<(Vec<Version>, &Trace)> = Vec::new();
        for &v in &applicable {
            if let Some(t) = exp.block(v) {
                match groups.iter_mut().find(|(_, g)| *g == t) {
                    Some((vs, _)) => vs.push(v),
                    None => groups.push((vec![v], t)),
                }
            }
        }
        let mut cells = BTreeMap::new();
        let mut details = BTreeMap::new();
        let mut missing = Vec::new();
        for &v in &applicable {
            let group = groups
                .iter()
                .position(|(vs, _)| vs.contains(&v))
                .map(|i| i + 1);
            let check_side = |live: Option<&Interpreter>| -> Check {
                let side = if live.is_some() {
                    Side::Python
                } else {
                    Side::Model
                };
                let actual = traces
                    .get(k, v, side)
                    .cloned()
                    .unwrap_or_else(|| Err("not run".into()));
                let label = actual_label(side, v, live);
                exp.check(s, v, &label, actual.as_ref().map_err(Clone::clone), &bless)
            };
            let mut side = |kind: &str, live: Option<&Interpreter>| -> Status {
                let trial = format!("{kind}/{v}/{}", s.id);
                let entry = opts.xfail.get(&trial);
                let c = check_side(live);
                let status = Status::of(&c, entry.is_some());
                let verdict = xfail::verdict(&trial, opts.xfail_file, entry, &c);
                debug_assert_eq!(verdict.is_err(), status.fails(), "{trial}");
                let text = match (&verdict, entry) {
                    // A disagreement: its one-line summary, not the report's title.
                    (Err(_), _) if status == Status::Disagree => c.summary(),
                    // Said once per scenario, below.
                    (Err(_), _) if status == Status::Missing => None,
                    (Err(m), _) => Some(first_line(m)),
                    (Ok(()), Some(e)) => Some(if e.reason.is_empty() {
                        format!("{} line {}", opts.xfail_file, e.line)
                    } else {
                        format!("{} ({} line {})", e.reason, opts.xfail_file, e.line)
                    }),
                    (Ok(()), None) => None,
                };
                if let Some(text) = text {
                    notes.push(Note {
                        what: trial,
                        status,
                        text,
                    });
                }
                status
            };
            let text_of = |side: Side| -> Result<String, String> {
                match traces.get(k, v, side) {
                    Some(Ok(t)) => Ok(t.to_text()),
                    Some(Err(e)) => Err(e.to_string()),
                    None => Err("not run".into()),
                }
            };
            details.insert(
                v.to_string(),
                CellDetail {
                    expected: exp.block(v).map(|t| t.to_text()),
                    model: text_of(Side::Model),
                    cpython: opts
                        .live
                        .and_then(|m| m.get(&v))
                        .map(|_| text_of(Side::Python)),
                },
            );
            let model = side("model", None);
            let cpython = match opts.live {
                None => Status::NotRun,
                Some(m) => match m.get(&v) {
                    None => Status::MissingInterpreter,
                    // Without an expected block, the model's `missing` says it all.
                    Some(_) if model == Status::Missing => Status::Missing,
                    Some(i) => side("cpython", Some(i)),
                },
            };
            let cell = Cell {
                model,
                cpython,
                group,
            };
            if cell.model == Status::Missing {
                missing.push(v);
            }
            summary.get_mut(&v).expect("every version").add(&cell);
            total.add(&cell);
            cells.insert(v.to_string(), cell);
        }
        if !missing.is_empty() {
            let text = match &exp.file {
                Err(e) => first_line(&e.to_string()),
                Ok(None) => first_line(&check::missing_file_message(s, exp_path, &bless)),
                Ok(Some(_)) => format!("{} has no block for them", exp_path.display()),
            };
            notes.push(Note {
                what: format!("{} ({})", s.id, version_list(&missing)),
                status: Status::Missing,
                text: format!("{text}; record them from real CPython with `{bless}`"),
            });
        }
        rows.push(Row {
            id: s.id.clone(),
            path: expected::source_name(&s.path),
            groups: groups
                .iter()
                .map(|(vs, _)| vs.iter().map(|v| v.to_string()).collect())
                .collect(),
            cells,
            others: opts
                .others
                .iter()
                .filter_map(|(name, v)| v.get(&s.id).map(|x| (name.clone(), x.clone())))
                .collect(),
            details,
        });
    }
    let matrix = Matrix {
        schema: SCHEMA,
        live: opts.live.is_some(),
        versions: opts.versions.iter().map(|v| v.to_string()).collect(),
        summary: summary
            .into_iter()
            .map(|(v, t)| (v.to_string(), t))
            .collect(),
        total,
        scenarios: rows,
        others: opts.others.iter().map(|(n, _)| n.clone()).collect(),
        xfail_file: opts.xfail_file.to_string(),
        notes,
    };
    (matrix, problems)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

/// The matrix as JUnit XML: one test case per scenario × version × side (`model 3.12`,
/// `cpython 3.12`, classed by scenario id). An expected failure, a side not run and a missing
/// interpreter are skipped cases (with the reason); `disagree`, `xpass` and `missing` fail.
pub fn render_junit(m: &Matrix) -> String {
    use crate::compare::junit::{Case, Outcome, render};
    let note = |what: &str| {
        m.notes
            .iter()
            .find(|n| n.what == what)
            .map(|n| n.text.clone())
            .unwrap_or_default()
    };
    let mut cases = Vec::new();
    for row in &m.scenarios {
        for (v, cell) in &row.cells {
            for (side, status) in [("model", cell.model), ("cpython", cell.cpython)] {
                let text = note(&format!("{side}/{v}/{}", row.id));
                let fail = |kind| Outcome::Fail {
                    kind,
                    message: text.clone(),
                    text: text.clone(),
                };
                let skip = |kind, message: &str| Outcome::Skipped {
                    kind,
                    message: message.to_string(),
                };
                let outcome = match status {
                    Status::Agree => Outcome::Pass,
                    Status::Disagree => fail("disagree"),
                    Status::Xpass => fail("xpass"),
                    Status::Missing => Outcome::Fail {
                        kind: "missing",
                        message: "no expected block to compare with".into(),
                        text: "record it from real CPython with `gcconform bless`".into(),
                    },
                    Status::Xfail => skip("xfail", &text),
                    Status::NotRun => skip("not-run", "live interpreters were not run"),
                    Status::MissingInterpreter => skip(
                        "missing-interpreter",
                        "no CPython interpreter of this version",
                    ),
                };
                cases.push(Case {
                    class: row.id.clone(),
                    name: format!("{side} {v}"),
                    outcome,
                });
            }
        }
    }
    render("gcconform matrix", &cases)
}

/// The matrix as JSON (schema 1): sorted keys, two-space indentation, a final newline.
pub fn render_json(m: &Matrix) -> String {
    // Through `Value`, whose maps are sorted, so every object's keys come out sorted.
    let v = serde_json::to_value(m).expect("the matrix serializes");
    let mut s = serde_json::to_string_pretty(&v).expect("a JSON value serializes");
    s.push('\n');
    s
}

/// The Markdown cell of an other implementation's verdict ([`Row::others`]): a symbol, or for
/// an unmodelled CPython the versions it behaves like (`=3.12-3.13`, `≠`).
fn other_symbol(verdict: &str) -> String {
    if let Some(rest) = verdict.strip_prefix("changed; ") {
        return format!("Δ{}", other_symbol(rest));
    }
    if let Some(vs) = verdict.strip_prefix("like ") {
        return format!("={vs}");
    }
    match verdict {
        "unlike" => "≠",
        "portable" => "✓",
        "relies-on-details" => "≈",
        "breaks-a-promise" => "✗",
        "not-applicable" => "n/a",
        "failed" => "!",
        "not-compared" => "?",
        _ => "–",
    }
    .to_string()
}

/// A group's letter: 1 → `A`.
fn letter(group: usize) -> char {
    char::from(b'A' + u8::try_from((group - 1) % 26).unwrap_or(0))
}

/// The Markdown cell of one pair: the group letter, the model's symbol, and the live
/// interpreter's symbol after `c` when it was compared and did not agree.
pub fn cell_text(c: &Cell) -> String {
    let mut s = String::new();
    if let Some(g) = c.group {
        s.push(letter(g));
    }
    s.push_str(c.model.symbol());
    if c.cpython_run() && c.cpython != Status::Agree && c.cpython != Status::Missing {
        s.push_str(" c");
        s.push_str(c.cpython.symbol());
    }
    s
}

fn rate(t: &PairCounts) -> String {
    match t.pass_rate {
        Some(r) => format!("{r:.1}%"),
        None => "–".into(),
    }
}

/// Escape a table cell's text.
fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The matrix as Markdown: the summary table, one row per scenario, the lists of failures
/// and expected failures, and a legend.
pub fn render_markdown(m: &Matrix) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Conformance matrix\n");
    let _ = writeln!(
        s,
        "{} scenario{} × {} CPython versions, {} (scenario, version) pairs. Each pair compares \
         {} with the trace recorded from real CPython in `expected/`{}. Expected failures are \
         listed in `{}`.\n",
        m.scenarios.len(),
        if m.scenarios.len() == 1 { "" } else { "s" },
        m.versions.len(),
        m.total.pairs,
        if m.live {
            "the model's trace, and the installed CPython interpreter's,"
        } else {
            "the model's trace"
        },
        if m.live {
            ""
        } else {
            " (live interpreters not run: `--no-live`)"
        },
        m.xfail_file
    );

    // Summary.
    let _ = writeln!(s, "## Summary\n");
    let live_col = if m.live { " CPython live |" } else { "" };
    let _ = writeln!(
        s,
        "| version | pairs | agree | xfail | fail | pass rate |{live_col}"
    );
    let _ = writeln!(
        s,
        "| --- | ---: | ---: | ---: | ---: | ---: |{}",
        if m.live { " ---: |" } else { "" }
    );
    let line = |s: &mut String, name: &str, t: &PairCounts| {
        let live = if m.live {
            format!(" {}/{} |", t.cpython_agree, t.cpython_run)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "| {name} | {} | {} | {} | {} | {} |{live}",
            t.pairs,
            t.agree,
            t.xfail,
            t.fail,
            rate(t)
        );
    };
    for v in &m.versions {
        if let Some(t) = m.summary.get(v) {
            line(&mut s, v, t);
        }
    }
    line(&mut s, "**all**", &m.total);
    let _ = writeln!(
        s,
        "\nExpected failures: {} of {} pairs ({}). Failures: {}.\n",
        m.total.xfail,
        m.total.pairs,
        if m.total.pairs == 0 {
            "–".to_string()
        } else {
            format!(
                "{:.1}%",
                m.total.xfail as f64 * 100.0 / m.total.pairs as f64
            )
        },
        m.total.fail
    );

    // Scenarios.
    let _ = writeln!(s, "## Scenarios\n");
    let other_head: String = m.others.iter().map(|o| format!(" {o} |")).collect();
    let _ = writeln!(
        s,
        "| scenario | {} | CPython behaves alike |{other_head}",
        m.versions.join(" | ")
    );
    let _ = writeln!(
        s,
        "| --- |{} --- |{}",
        " :-: |".repeat(m.versions.len()),
        " :-: |".repeat(m.others.len())
    );
    for r in &m.scenarios {
        let cells: Vec<String> = m
            .versions
            .iter()
            .map(|v| r.cells.get(v).map(cell_text).unwrap_or_else(|| "–".into()))
            .collect();
        let splits: Vec<String> = r
            .groups
            .iter()
            .map(|g| {
                let vs: Vec<Version> = g.iter().filter_map(|v| v.parse().ok()).collect();
                version_list(&vs)
            })
            .collect();
        let splits = if splits.is_empty() {
            "no expected traces".to_string()
        } else {
            md_escape(&splits.join(" | "))
        };
        let others: String = m
            .others
            .iter()
            .map(|o| {
                format!(
                    " {} |",
                    other_symbol(r.others.get(o).map_or("", String::as_str))
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "| `{}` | {} | {splits} |{others}",
            r.id,
            cells.join(" | ")
        );
    }
    s.push('\n');

    // Notes.
    let failures: Vec<&Note> = m.notes.iter().filter(|n| n.status.fails()).collect();
    if !failures.is_empty() {
        let _ = writeln!(s, "## Failures\n");
        for n in failures {
            let what = match n.status {
                Status::Xpass => "stale expected failure: ",
                _ => "",
            };
            let _ = writeln!(s, "- `{}`: {what}{}", n.what, n.text);
        }
        s.push('\n');
    }
    let xfails: Vec<&Note> = m
        .notes
        .iter()
        .filter(|n| n.status == Status::Xfail)
        .collect();
    if !xfails.is_empty() {
        let _ = writeln!(s, "## Expected failures\n");
        for n in xfails {
            let _ = writeln!(s, "- `{}`: {}", n.what, n.text);
        }
        s.push('\n');
    }

    // Legend.
    let _ = writeln!(s, "## Legend\n");
    let _ = writeln!(
        s,
        "- A, B, C, …: which CPython behaviour (expected trace) the version shows within the \
         row; versions with the same letter behave alike.\n\
         - ✓ the model agrees with real CPython.\n\
         - ✗ the model disagrees (or fails to run).\n\
         - x expected failure: disagrees, listed in `{xf}`.\n\
         - ! stale expected failure: listed in `{xf}` but agrees; remove the line (counts as \
         a failure).\n\
         - ? no expected trace for this version; record it with `gcconform bless`.\n\
         - – the scenario does not apply to this version.\n\
         - c✗, cx, c!: the live CPython interpreter disagrees with `expected/` (plain, \
         expected, stale expected failure); shown only when it does not agree.\n\
         - pass rate: agreeing pairs / pairs; a pair agrees when neither the model nor the \
         live interpreter fails or is an expected failure.",
        xf = m.xfail_file
    );
    if !m.others.is_empty() {
        let _ = writeln!(
            s,
            "- other implementations (`--other`; `gcconform portability` tells why, line by \
             line): ✓ portable; ≈ relies on CPython details; ✗ breaks a promise of the \
             language; n/a uses something only CPython has; ? not compared (no expected \
             trace); ! failed to run."
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(model: Status, cpython: Status, group: Option<usize>) -> Cell {
        Cell {
            model,
            cpython,
            group,
        }
    }

    #[test]
    fn statuses_follow_the_xfail_verdict() {
        let dis = Check::Disagree {
            headline: "h".into(),
            report: "r".into(),
        };
        let err = Check::Error("boom".into());
        let miss = Check::Missing("no block".into());
        assert_eq!(Status::of(&Check::Agree, false), Status::Agree);
        assert_eq!(Status::of(&dis, false), Status::Disagree);
        assert_eq!(Status::of(&err, false), Status::Disagree);
        assert_eq!(Status::of(&dis, true), Status::Xfail);
        assert_eq!(Status::of(&err, true), Status::Xfail);
        assert_eq!(Status::of(&Check::Agree, true), Status::Xpass);
        assert_eq!(Status::of(&miss, true), Status::Missing);
        assert_eq!(Status::of(&miss, false), Status::Missing);
        let entry = crate::compare::xfail::Entry {
            line: 1,
            reason: String::new(),
        };
        for c in [&Check::Agree, &dis, &err, &miss] {
            for listed in [false, true] {
                let v = xfail::verdict("t", "x.txt", listed.then_some(&entry), c);
                assert_eq!(v.is_err(), Status::of(c, listed).fails(), "{c:?} {listed}");
            }
        }
        assert_eq!(
            serde_json::to_value(Status::MissingInterpreter).unwrap(),
            "missing-interpreter"
        );
        assert_eq!(serde_json::to_value(Status::NotRun).unwrap(), "not-run");
    }

    #[test]
    fn cells_and_tallies() {
        use Status::*;
        assert_eq!(cell_text(&cell(Agree, NotRun, Some(1))), "A✓");
        assert_eq!(cell_text(&cell(Disagree, Agree, Some(3))), "C✗");
        assert_eq!(cell_text(&cell(Xfail, MissingInterpreter, Some(2))), "Bx");
        assert_eq!(cell_text(&cell(Xpass, NotRun, Some(1))), "A!");
        assert_eq!(cell_text(&cell(Missing, Missing, None)), "?");
        assert_eq!(cell_text(&cell(Agree, Disagree, Some(1))), "A✓ c✗");
        assert_eq!(cell_text(&cell(Agree, Xfail, Some(1))), "A✓ cx");

        let mut t = PairCounts::default();
        assert_eq!(t.pass_rate, None);
        for c in [
            cell(Agree, Agree, Some(1)),
            cell(Agree, Disagree, Some(1)),
            cell(Xfail, NotRun, Some(1)),
            cell(Agree, Xfail, Some(1)),
            cell(Xfail, Xpass, Some(1)),
            cell(Agree, MissingInterpreter, Some(1)),
        ] {
            t.add(&c);
        }
        assert_eq!(
            t,
            PairCounts {
                pairs: 6,
                agree: 2,
                xfail: 2,
                fail: 2,
                pass_rate: Some(33.3),
                cpython_run: 4,
                cpython_agree: 1,
            }
        );
        assert_eq!(letter(1), 'A');
        assert_eq!(letter(3), 'C');
    }

    #[test]
    fn json_keys_are_sorted_and_the_shape_round_trips() {
        let mut summary = BTreeMap::new();
        summary.insert("3.12".to_string(), PairCounts::default());
        let mut cells = BTreeMap::new();
        cells.insert(
            "3.12".to_string(),
            cell(Status::Agree, Status::NotRun, Some(1)),
        );
        let m = Matrix {
            schema: SCHEMA,
            live: false,
            versions: vec!["3.12".into()],
            summary,
            total: PairCounts::default(),
            scenarios: vec![Row {
                id: "seed/x".into(),
                path: "scenarios/seed/x.yaml".into(),
                groups: vec![vec!["3.12".into()]],
                cells,
                others: BTreeMap::new(),
                details: BTreeMap::new(),
            }],
            others: Vec::new(),
            xfail_file: DEFAULT_XFAIL.into(),
            notes: Vec::new(),
        };
        let j = render_json(&m);
        let keys: Vec<&str> = j
            .lines()
            .filter(|l| l.starts_with("  \""))
            .map(|l| l.trim().split('"').nth(1).unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "live",
                "scenarios",
                "schema",
                "summary",
                "total",
                "versions"
            ]
        );
        assert!(j.contains(r#""cpython": "not-run","#), "{j}");
        assert!(j.contains(r#""pass_rate": null"#), "{j}");
        let back: Matrix = serde_json::from_str(&j).unwrap();
        assert_eq!(back.scenarios, m.scenarios);
        assert_eq!(back.summary, m.summary);
        // With an other implementation's column: its name, and each row's verdict.
        let mut m = m;
        m.others = vec!["PyPy 3.9.16".into()];
        m.scenarios[0]
            .others
            .insert("PyPy 3.9.16".into(), "relies-on-details".into());
        let j = render_json(&m);
        assert!(j.contains(r#""PyPy 3.9.16": "relies-on-details""#), "{j}");
        let back: Matrix = serde_json::from_str(&j).unwrap();
        assert_eq!(back.others, m.others);
        assert_eq!(back.scenarios, m.scenarios);
        let md = render_markdown(&m);
        assert!(
            md.contains("| CPython behaves alike | PyPy 3.9.16 |"),
            "{md}"
        );
        assert!(md.contains("| 3.12 | ≈ |"), "{md}");
    }
}
