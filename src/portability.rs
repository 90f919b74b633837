//! The portability report: for each scenario, whether another Python implementation (PyPy)
//! reproduces what every implementation must reproduce of CPython's trace, and which CPython
//! implementation details the scenario relies on, each placed at its statement on both sides.
//!
//! CPython's side is the `expected/` block of the same major.minor (so no CPython is needed),
//! each event placed at the top-level statement during which the model's run of that version
//! has it, when the model reproduces that block exactly (else positions are unknown and only
//! the promises are checked). The other side is a portable run
//! ([`crate::runner::portable`]). The reading itself is [`crate::trace::portable`].

use crate::expected;
use crate::model;
use crate::model::journal::Note;
use crate::runner::portable::{self as harness, PortableRun};
use crate::runner::{Interpreter, RunError};
use crate::scenario::{Scenario, Stmt};
use crate::trace::Event;
use crate::trace::portable::{self, At, Detail, Located, Reading, Violation};
use crate::version::Version;
use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

/// The implementation under test.
#[derive(Debug, Clone)]
pub struct Other {
    pub interp: Interpreter,
    /// The CPython version whose `expected/` block it is compared with (its major.minor).
    pub version: Version,
    /// Its `gc` module's attributes.
    pub attributes: Vec<String>,
}

impl Other {
    /// Probe `interp`: its major.minor must be a modelled version (else the error says so).
    pub fn probe(interp: Interpreter, timeout: Duration) -> Result<Other, String> {
        let mut parts = interp.release.split('.');
        let mm = (
            parts.next().and_then(|s| s.parse().ok()),
            parts.next().and_then(|s| s.parse().ok()),
        );
        let version = match mm {
            (Some(a), Some(b)) => Version::from_major_minor(a, b),
            _ => None,
        }
        .ok_or_else(|| {
            format!(
                "{} implements Python {}: expected/ has no block of that major.minor to compare with",
                interp.label(),
                interp.release
            )
        })?;
        let attributes = harness::gc_attributes(&interp, timeout)
            .map_err(|e| format!("{}: cannot list its gc module: {e}", interp.label()))?;
        Ok(Other {
            interp,
            version,
            attributes,
        })
    }

    /// `PyPy 3.9.16`.
    pub fn label(&self) -> String {
        self.interp.label()
    }
}

/// What became of one scenario.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// It uses something the other implementation lacks or that only CPython defines.
    NotApplicable(Vec<String>),
    /// No CPython trace to compare with (not blessed, or not for this version).
    NoExpected(String),
    /// The other implementation failed to run it.
    Failed(RunError),
    /// Both runs, read.
    Read {
        reading: Reading,
        /// Whether CPython's events could be placed at statements.
        placed: bool,
        /// `gc.collect()` returned `None` on the other implementation.
        collect_none: bool,
    },
}

impl Outcome {
    /// The verdict in one word, as the matrix's JSON has it: `portable`, `relies-on-details`,
    /// `breaks-a-promise`, `not-applicable`, `not-compared`, `failed`.
    pub fn verdict(&self) -> &'static str {
        match self {
            Outcome::NotApplicable(_) => "not-applicable",
            Outcome::NoExpected(_) => "not-compared",
            Outcome::Failed(_) => "failed",
            Outcome::Read { reading, .. } if !reading.violations.is_empty() => "breaks-a-promise",
            Outcome::Read { reading, .. } if reading.portable() => "portable",
            Outcome::Read { .. } => "relies-on-details",
        }
    }
}

/// Check one scenario.
pub fn check(sc: &Scenario, other: &Other, expected_dir: &Path, timeout: Duration) -> Outcome {
    let v = other.version;
    let na = harness::not_applicable(sc, &other.attributes, &other.label());
    if !na.is_empty() {
        return Outcome::NotApplicable(na);
    }
    if !sc.applies_to(v) {
        return Outcome::NotApplicable(vec![format!("written for other versions than {v}")]);
    }
    let file = match expected::read(&expected::expected_path(expected_dir, sc)) {
        Ok(Some(f)) => f,
        Ok(None) => return Outcome::NoExpected("no expected trace (not blessed)".into()),
        Err(e) => return Outcome::NoExpected(e.to_string()),
    };
    let Some(trace) = file.blocks.get(&v) else {
        return Outcome::NoExpected(format!("no {v} block in its expected trace"));
    };
    let (cpython, placed) = place_cpython(sc, v, &trace.events);
    let run: PortableRun = match harness::run(&other.interp, sc, timeout) {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(e),
    };
    // Before 3.8, a deep chain can leave deallocations pending in the trashcan after a
    // collection (`runner::program::deep_chains_possible`): what CPython still has alive then
    // need not be reachable.
    let pending = v < Version::V3_8 && crate::runner::program::deep_chains_possible(sc);
    let full = |at: At| !pending && full_collection_at(sc, at);
    let python2 = v.major_minor().0 == 2;
    let reading = if sc.summary {
        // expected/ holds the summary form: compare in it, and check "at most once" on the
        // run's own labels.
        let mut r = portable::read_run(
            &cpython,
            &portable::summarized(&run.events),
            &full,
            python2,
            &run.referents,
            run.stopped.as_ref(),
        );
        r.violations.extend(portable::more_than_once(&run.events));
        r
    } else {
        portable::read_run(
            &cpython,
            &run.events,
            &full,
            python2,
            &run.referents,
            run.stopped.as_ref(),
        )
    };
    Outcome::Read {
        reading,
        placed,
        collect_none: run.collect_results.iter().any(Option::is_none),
    }
}

/// Whether the top-level statement at `at` is a full collection (`gc.collect()`,
/// `gc.collect(2)`).
fn full_collection_at(sc: &Scenario, at: At) -> bool {
    let At::Line(n) = at else { return false };
    sc.steps
        .iter()
        .any(|s| s.pos.line == n && matches!(s.stmt, Stmt::Collect(None | Some(2))))
}

/// CPython's events placed at statements, from the model's journal of `version` when the
/// model's trace is exactly `events` (then its run is CPython's, event for event); otherwise
/// every event at [`At::Unknown`] (and `false`).
pub fn place_cpython(sc: &Scenario, version: Version, events: &[Event]) -> (Vec<Located>, bool) {
    let unknown = || {
        (
            events
                .iter()
                .map(|e| Located {
                    event: e.clone(),
                    at: At::Unknown,
                })
                .collect(),
            false,
        )
    };
    let Ok((trace, journal)) = model::run_journaled(sc, version) else {
        return unknown();
    };
    if trace.events != events {
        return unknown();
    }
    let at_step = |i: usize| sc.steps.get(i).map_or(At::End, |s| At::Line(s.pos.line));
    let mut step = At::Unknown;
    let mut dels: VecDeque<(String, At)> = VecDeque::new();
    let mut callbacks: VecDeque<(String, At)> = VecDeque::new();
    let mut collects: VecDeque<At> = VecDeque::new();
    for n in &journal.notes {
        match n {
            Note::Step { index } => step = at_step(*index),
            Note::Finalized { label, .. } => dels.push_back((label.clone(), step)),
            Note::Callback { label, .. } => callbacks.push_back((label.clone(), step)),
            Note::CollectStart {
                automatic: false, ..
            } => collects.push_back(step),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut last_collect = At::Unknown;
    for e in events {
        let at = match e {
            Event::Del(l) => match dels.pop_front() {
                Some((k, at)) if &k == l => at,
                _ => return unknown(),
            },
            // It follows its `__del__ x` line.
            Event::DelRaised(_) => out.last().map_or(At::Unknown, |l: &Located| l.at),
            Event::Callback(l) => match callbacks.pop_front() {
                Some((k, at)) if &k == l => at,
                _ => return unknown(),
            },
            Event::Collect { .. } => {
                last_collect = collects.pop_front().unwrap_or(At::Unknown);
                last_collect
            }
            Event::End => {
                last_collect = At::End;
                At::End
            }
            Event::Garbage(_) | Event::Alive(_) => last_collect,
            Event::Ignored(_) => At::End,
            _ => At::Unknown,
        };
        out.push(Located {
            event: e.clone(),
            at,
        });
    }
    (out, true)
}

/// Where `at` is, in words: `at line 5 (del x)`, `at gc.collect() on line 7`, `at the end`,
/// `only when collecting after the end`.
pub fn place(sc: &Scenario, at: At) -> String {
    match at {
        At::Line(n) => match sc.steps.iter().find(|s| s.pos.line == n) {
            Some(s) if matches!(s.stmt, Stmt::Collect(_)) => {
                format!(
                    "at {} on line {n}",
                    crate::runner::program::canonical(&s.stmt)
                )
            }
            Some(s) => format!(
                "at line {n} (`{}`)",
                crate::runner::program::canonical(&s.stmt)
            ),
            None => format!("at line {n}"),
        },
        At::End => "at the end".to_string(),
        At::Drain => "only when collecting after the end".to_string(),
        At::Unknown => "at a statement not known".to_string(),
    }
}

/// Where an observation is, in words: `after gc.collect() on line 7`, `at the end`.
fn observation(sc: &Scenario, at: At) -> String {
    match at {
        At::Line(_) => format!("after {}", place(sc, at).trim_start_matches("at ")),
        At::End => "at the end".to_string(),
        At::Drain => "after collecting at the end".to_string(),
        At::Unknown => "at an observation".to_string(),
    }
}

/// One line per finding: violations first (`broken promise: …`), then details.
pub fn describe(sc: &Scenario, reading: &Reading, cpython: &str, other: &str) -> Vec<String> {
    let list = |v: &[String]| {
        let v = if v.len() > 8 {
            crate::trace::label::group_labels(v)
        } else {
            v.to_vec()
        };
        if v.len() > 12 {
            format!("{}, … ({} in all)", v[..10].join(", "), v.len())
        } else {
            v.join(", ")
        }
    };
    /// Labels grouped by a key, in order of first appearance.
    fn grouped<K: PartialEq + Copy>(
        items: impl Iterator<Item = (K, String)>,
    ) -> Vec<(K, Vec<String>)> {
        let mut out: Vec<(K, Vec<String>)> = Vec::new();
        for (k, l) in items {
            match out.iter_mut().find(|g| g.0 == k) {
                Some(g) => g.1.push(l),
                None => out.push((k, vec![l])),
            }
        }
        out
    }
    let mut out = Vec::new();
    let never = grouped(reading.violations.iter().filter_map(|v| match v {
        Violation::Never {
            label,
            callback,
            cpython: at,
        } => Some(((*callback, *at), label.clone())),
        _ => None,
    }));
    for ((callback, at), labels) in never {
        out.push(format!(
            "broken promise: {} {} on {cpython}, never on {other} (not even when collecting after the end)",
            portable::name(&list(&labels), callback),
            place(sc, at)
        ));
    }
    for v in &reading.violations {
        out.push(match v {
            Violation::Never { .. } => continue,
            Violation::MoreThanOnce {
                label,
                callback,
                at,
            } => format!(
                "broken promise: {} runs {} times on {other} ({})",
                portable::name(label, *callback),
                at.len(),
                at.iter()
                    .map(|a| place(sc, *a))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Violation::Garbage {
                at,
                cpython: c,
                other: o,
            } => format!(
                "broken promise: gc.garbage {} is [{}] on {cpython}, [{}] on {other}",
                observation(sc, *at),
                list(c),
                list(o)
            ),
            Violation::ReachableLost {
                label,
                at,
                finalized,
            } => format!(
                "broken promise: {label} is alive (reachable) {} on {cpython}, {} on {other}",
                observation(sc, *at),
                if *finalized { "finalized" } else { "freed" }
            ),
        });
    }
    // Runs moved alike are one line: `__del__ a, b at … on CPython, at … on PyPy`.
    let moved = grouped(reading.details.iter().filter_map(|d| match d {
        Detail::Moved {
            label,
            callback,
            cpython: c,
            other: o,
        } => Some(((*callback, *c, *o), label.clone())),
        _ => None,
    }));
    for ((callback, c, o), labels) in moved {
        out.push(format!(
            "{} {} on {cpython}, {} on {other}",
            portable::name(&list(&labels), callback),
            place(sc, c),
            place(sc, o)
        ));
    }
    let extra = grouped(reading.details.iter().filter_map(|d| match d {
        Detail::Extra {
            label,
            callback,
            other: o,
        } => Some(((*callback, *o), label.clone())),
        _ => None,
    }));
    for ((callback, o), labels) in extra {
        out.push(format!(
            "{} never on {cpython} (left uncollected), {} on {other}",
            portable::name(&list(&labels), callback),
            place(sc, o)
        ));
    }
    for d in &reading.details {
        out.push(match d {
            Detail::Moved { .. } => continue,
            Detail::Extra { .. } => continue,
            Detail::Order {
                at,
                cpython: c,
                other: o,
            } => {
                // Long runs: from the first place where they differ.
                let k = c.iter().zip(o).position(|(x, y)| x != y).unwrap_or(0);
                let from = |v: &[String]| {
                    let end = (k + 4).min(v.len());
                    let more = if end < v.len() { ", …" } else { "" };
                    let skip = if k > 0 { "…, " } else { "" };
                    format!("{skip}{}{more}", v[k..end].join(", "))
                };
                format!(
                    "{}: {} on {cpython}, {} on {other}",
                    place(sc, *at),
                    from(c),
                    from(o)
                )
            }
            Detail::Alive { at, later, earlier } => {
                let mut parts = Vec::new();
                if !later.is_empty() {
                    parts.push(format!(
                        "{} still alive on {other} (freed on {cpython})",
                        list(later)
                    ));
                }
                if !earlier.is_empty() {
                    parts.push(format!(
                        "{} already freed on {other} (alive on {cpython})",
                        list(earlier)
                    ));
                }
                format!("{}: {}", observation(sc, *at), parts.join("; "))
            }
            Detail::Ignored {
                cpython: c,
                other: o,
            } => {
                let show = |v: &[(String, u64)]| {
                    if v.is_empty() {
                        "none".to_string()
                    } else {
                        v.iter()
                            .map(|(t, n)| format!("{t} ×{n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                };
                format!(
                    "exceptions ignored: {} on {cpython}, {} on {other}",
                    show(c),
                    show(o)
                )
            }
            Detail::Observations {
                cpython: c,
                other: o,
            } => format!(
                "{c} observations on {cpython}, {o} on {other} (the extra ones not compared)"
            ),
            Detail::Stopped { at, exception } => format!(
                "the program raises {exception} {} on {other} (the rest is not compared): \
                 on {cpython} a finalizer has run by then",
                place(sc, *at)
            ),
            Detail::ReferentSurvives { label, referent } => format!(
                "callback {label} runs on {cpython}, never on {other}, where its referent \
                 {referent} survives (resurrected; {cpython} clears the weakrefs first)"
            ),
        });
    }
    out
}

/// The kind of a detail, for summaries: [`Detail::kind`], with where CPython runs a moved
/// finalizer or callback told apart (at the statement that drops the last reference, or at a
/// collection).
pub fn kind(sc: &Scenario, d: &Detail) -> &'static str {
    let Detail::Moved {
        callback, cpython, ..
    } = d
    else {
        return d.kind();
    };
    let at_collect = full_or_partial_collection_at(sc, *cpython);
    match (callback, at_collect) {
        (false, false) => {
            "__del__ runs when the last reference goes on CPython, at a later collection here"
        }
        (false, true) => "__del__ runs at a later collection than on CPython",
        (true, false) => {
            "a weakref callback runs when the last reference goes on CPython, later here"
        }
        (true, true) => "a weakref callback runs at a later collection than on CPython",
    }
}

/// Whether the top-level statement at `at` is a `gc.collect(…)`.
fn full_or_partial_collection_at(sc: &Scenario, at: At) -> bool {
    let At::Line(n) = at else { return false };
    sc.steps
        .iter()
        .any(|s| s.pos.line == n && matches!(s.stmt, Stmt::Collect(_)))
}

/// How many scenarios came to what, and how many show each kind of CPython detail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub portable: usize,
    pub details: usize,
    pub broken: usize,
    pub not_applicable: usize,
    pub no_expected: usize,
    pub failed: usize,
    /// Detail kind → how many scenarios show it (first seen first).
    pub kinds: Vec<(&'static str, usize)>,
    /// What makes scenarios not applicable (`gc.get_count()`), → how many.
    pub uses: Vec<(String, usize)>,
}

impl Tally {
    /// Count one outcome of `sc`.
    pub fn add(&mut self, sc: &Scenario, o: &Outcome) {
        fn bump<K: PartialEq>(v: &mut Vec<(K, usize)>, k: K) {
            match v.iter_mut().find(|(x, _)| *x == k) {
                Some((_, n)) => *n += 1,
                None => v.push((k, 1)),
            }
        }
        match o {
            Outcome::NotApplicable(why) => {
                self.not_applicable += 1;
                for w in why {
                    let what = w
                        .strip_prefix("uses ")
                        .and_then(|r| r.split(" (").next())
                        .unwrap_or(w);
                    bump(&mut self.uses, what.to_string());
                }
            }
            Outcome::NoExpected(_) => self.no_expected += 1,
            Outcome::Failed(_) => self.failed += 1,
            Outcome::Read { reading, .. } => {
                if !reading.violations.is_empty() {
                    self.broken += 1;
                } else if reading.details.is_empty() {
                    self.portable += 1;
                } else {
                    self.details += 1;
                }
                let mut kinds: Vec<&'static str> =
                    reading.details.iter().map(|d| kind(sc, d)).collect();
                kinds.sort();
                kinds.dedup();
                for k in kinds {
                    bump(&mut self.kinds, k);
                }
            }
        }
    }

    /// The summary lines.
    pub fn lines(&self, other: &str, cpython: &str) -> Vec<String> {
        let run = self.portable + self.details + self.broken;
        let mut out = vec![format!(
            "{} scenarios against {other} (CPython side: expected/ {cpython}): {run} compared — \
             {} portable, {} rely on CPython details, {} break a promise; {} not applicable, \
             {} without an expected trace, {} failed to run",
            run + self.not_applicable + self.no_expected + self.failed,
            self.portable,
            self.details,
            self.broken,
            self.not_applicable,
            self.no_expected,
            self.failed
        )];
        let mut kinds = self.kinds.clone();
        kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
        for (k, n) in kinds {
            out.push(format!("  {n:>4} scenarios: {k}"));
        }
        let mut uses = self.uses.clone();
        uses.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        if !uses.is_empty() {
            out.push(format!(
                "  not applicable, using: {}",
                uses.iter()
                    .map(|(u, n)| format!("{u} ({n})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out
    }
}
