//! The portable reading of a trace: which of its events every Python implementation must
//! reproduce, and which are CPython's implementation details. This is the one definition;
//! `docs/portability.md` explains it in prose and `gcconform portability` applies it.
//!
//! Two runs of one scenario are compared: CPython's (from `expected/`, each event placed at the
//! top-level statement during which it happened) and another implementation's (PyPy's, from the
//! portable harness, which marks every top-level statement and, after the scenario's end and its
//! final observation, *drains*: it collects a few more times and observes once more, so that
//! "eventually" has a meaning).
//!
//! **Promises** (what the language and PEP 442 guarantee; breaking one is a [`Violation`]):
//! * a finalizer (`__del__`) runs at most once per object, and a weakref callback at most once
//!   (or as often as CPython runs it: CPython runs the finalizer of an object that is no GC
//!   object again at each resurrection, as 2.7 does any);
//! * what CPython finalizes is eventually finalized (by the drain at the latest): unreachable
//!   objects are eventually finalized and freed;
//! * a weakref callback CPython runs eventually runs (the weakref to a freed object is dead);
//! * `gc.garbage` holds exactly what the program put there (Python 3: the collector adds
//!   nothing; 2.x's legacy finalizers in cycles are a CPython 2 detail);
//! * reachable objects survive: what CPython keeps alive right after a full collection (a
//!   top-level `gc.collect()` or `gc.collect(2)`: then only reachable objects, resurrected ones
//!   included, are alive) is neither freed nor finalized before that observation.
//!
//! **CPython details** (a scenario whose trace shows one "relies on" it; a [`Detail`]):
//! * finalization at the moment the last reference goes (reference counting): the other
//!   implementation finalizes at a later statement, typically the next collection;
//! * when weakref callbacks run;
//! * the order of finalizers and callbacks that run during one statement (inside a cycle);
//! * which objects are still alive at an observation that a full collection does not precede,
//!   or that a collection has finalized but not yet freed (freed later), and objects CPython
//!   leaves uncollected that the other implementation finalizes;
//! * what `gc.collect()` returns (PyPy: `None`), and how many exceptions were printed and
//!   ignored when finalizers ran a different number of times;
//! * counts, thresholds, statistics, freezing and tracking queries: a scenario that uses them is
//!   not applicable at all (decided before running, see the runner's `portable` module).

use super::Event;
use std::collections::BTreeMap;

/// Where an event happened: during the top-level statement of a line, at the end (the final
/// observation), during the drain (collections after the end, other implementation only), or
/// unknown (CPython's side when no position could be derived).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum At {
    Line(usize),
    End,
    Drain,
    Unknown,
}

/// An event and where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub event: Event,
    pub at: At,
}

/// The language's promises, broken by the other implementation (or misread by gcconform).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// `__del__` (or a callback: `callback` true) ran more than once for one object.
    MoreThanOnce {
        label: String,
        callback: bool,
        at: Vec<At>,
    },
    /// CPython ran it at `cpython`; the other implementation never did, even after the drain.
    Never {
        label: String,
        callback: bool,
        cpython: At,
    },
    /// `gc.garbage` differs at observation `index` (0-based; at `at`).
    Garbage {
        at: At,
        cpython: Vec<String>,
        other: Vec<String>,
    },
    /// After the full collection at `at`, CPython still has `label` alive (so it is reachable),
    /// but the other implementation has freed it (`finalized` false) or finalized it.
    ReachableLost {
        label: String,
        at: At,
        finalized: bool,
    },
}

/// A CPython implementation detail that the scenario's trace shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detail {
    /// `__del__` (or a callback) ran at another statement.
    Moved {
        label: String,
        callback: bool,
        cpython: At,
        other: At,
    },
    /// The other implementation ran it (at `other`), CPython never did (left it uncollected).
    Extra {
        label: String,
        callback: bool,
        other: At,
    },
    /// During one statement both ran the same finalizers and callbacks in another order.
    Order {
        at: At,
        cpython: Vec<String>,
        other: Vec<String>,
    },
    /// At an observation, objects alive on one side only: `later` are still alive on the
    /// other implementation (freed later), `earlier` already freed there.
    Alive {
        at: At,
        later: Vec<String>,
        earlier: Vec<String>,
    },
    /// The exceptions printed and ignored differ (in type or number).
    Ignored {
        cpython: Vec<(String, u64)>,
        other: Vec<(String, u64)>,
    },
    /// The numbers of observations differ: the later ones are not compared.
    Observations { cpython: usize, other: usize },
    /// The program raised `exception` at top level at `at` (CPython runs it to the end): it
    /// relies on a finalizer having run by then. What follows is not compared.
    Stopped { at: At, exception: String },
    /// CPython runs the callback of `label`; the other implementation never does, and its
    /// referent `referent` is still alive there at the next observation (or after the drain):
    /// resurrected (CPython clears the weakrefs of a cycle's members before their finalizers
    /// run, PEP 442), and by the time it dies the weakref may be gone.
    ReferentSurvives { label: String, referent: String },
}

impl Detail {
    /// The kind of detail, for summaries: a short fixed phrase.
    pub fn kind(&self) -> &'static str {
        match self {
            Detail::Moved {
                callback: false, ..
            } => "__del__ runs at another statement",
            Detail::Moved { callback: true, .. } => "a weakref callback runs at another statement",
            Detail::Extra {
                callback: false, ..
            } => "__del__ runs where CPython leaves the object uncollected",
            Detail::Extra { callback: true, .. } => {
                "a weakref callback runs where CPython never runs it"
            }
            Detail::Order { .. } => "finalizers/callbacks of one statement run in another order",
            Detail::Alive { later, .. } if !later.is_empty() => {
                "objects are freed later (still alive at an observation)"
            }
            Detail::Alive { .. } => "objects are freed earlier (no full collection before)",
            Detail::Ignored { .. } => "another number of ignored exceptions",
            Detail::Observations { .. } => "another number of observations",
            Detail::Stopped { .. } => {
                "the program raises at top level (it relies on a finalizer having run)"
            }
            Detail::ReferentSurvives { .. } => {
                "a weakref callback never runs: its referent survives (resurrected)"
            }
        }
    }
}

/// What the portable reading of two runs found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reading {
    pub violations: Vec<Violation>,
    pub details: Vec<Detail>,
}

impl Reading {
    /// No promise broken and no CPython detail relied on.
    pub fn portable(&self) -> bool {
        self.violations.is_empty() && self.details.is_empty()
    }
}

/// Whether the collection statement that produced an observation at `at` is a full one, given
/// the scenario's collect statements by line (`Some(g)`: `gc.collect(g)`; `None`: `gc.collect()`).
pub type FullAt<'a> = dyn Fn(At) -> bool + 'a;

/// One run, split up for the reading.
struct Split {
    /// (label, callback?, at, index in the run) of every `__del__` (raised or not) and callback.
    runs: Vec<(String, bool, At, usize)>,
    /// (at, index of its `gc.garbage` event, garbage, alive).
    observations: Vec<(At, usize, Vec<String>, Vec<String>)>,
    ignored: Vec<(String, u64)>,
}

fn split(run: &[Located]) -> Split {
    let mut s = Split {
        runs: Vec::new(),
        observations: Vec::new(),
        ignored: Vec::new(),
    };
    let mut garbage: Option<(usize, Vec<String>)> = None;
    for (i, l) in run.iter().enumerate() {
        match &l.event {
            // `__del__ x raised …` follows `__del__ x`: the same run.
            Event::Del(x) => s.runs.push((x.clone(), false, l.at, i)),
            Event::Callback(x) => s.runs.push((x.clone(), true, l.at, i)),
            Event::Garbage(g) => garbage = Some((i, g.clone())),
            Event::Alive(a) => {
                let (gi, g) = garbage.take().unwrap_or((i, Vec::new()));
                s.observations.push((l.at, gi, g, a.clone()));
            }
            Event::Ignored(v) => s.ignored = v.clone(),
            _ => {}
        }
    }
    s
}

/// The portable reading of `other` (another implementation's run, drained) against `cpython`
/// (CPython's run of the same scenario on the same major.minor). `full(at)` says whether the
/// observation at `at` follows a full collection (see [`FullAt`]); `python2` relaxes the
/// `gc.garbage` promise (legacy finalizers).
pub fn read(cpython: &[Located], other: &[Located], full: &FullAt, python2: bool) -> Reading {
    let c = split(cpython);
    let o = split(other);
    let mut r = Reading::default();
    // At most once; eventually; moved; extra.
    let mut o_by: BTreeMap<(bool, &str), Vec<(At, usize)>> = BTreeMap::new();
    for (x, cb, at, i) in o.runs.iter().filter(|r| group(&r.0).is_none()) {
        o_by.entry((*cb, x.as_str())).or_default().push((*at, *i));
    }
    let mut c_by: BTreeMap<(bool, &str), Vec<(At, usize)>> = BTreeMap::new();
    for (x, cb, at, i) in c.runs.iter().filter(|r| group(&r.0).is_none()) {
        c_by.entry((*cb, x.as_str())).or_default().push((*at, *i));
    }
    // Summary form: runs are compared in number only , not label by label.
    let summary = c.runs.iter().chain(&o.runs).any(|r| group(&r.0).is_some());
    if summary {
        c_by.clear();
        o_by.clear();
    }
    // Summarised traces (`trace: summary`): runs counted (`__del__ ×1100`), compared in number.
    if summary {
        for cb in [false, true] {
            let total = |runs: &[(String, bool, At, usize)]| -> usize {
                runs.iter()
                    .filter(|r| r.1 == cb)
                    .map(|r| group(&r.0).unwrap_or(1))
                    .sum()
            };
            let (ct, ot) = (total(&c.runs), total(&o.runs));
            if ot < ct {
                r.violations.push(Violation::Never {
                    label: format!("×{}", ct - ot),
                    callback: cb,
                    cpython: At::Unknown,
                });
            } else if ot > ct {
                r.details.push(Detail::Extra {
                    label: format!("×{}", ot - ct),
                    callback: cb,
                    other: At::Unknown,
                });
            }
        }
    }
    for ((cb, x), v) in &o_by {
        // CPython itself may run one more than once: a finalizer of an object that is no GC
        // object (before 3.8, `__slots__ = ()`), or any before PEP 442 (2.7), runs again at
        // each resurrection. Only running it more often than CPython is held against the other.
        let on_cpython = c_by.get(&(*cb, *x)).map_or(0, Vec::len);
        if v.len() > on_cpython.max(1) && !x.starts_with('<') {
            r.violations.push(Violation::MoreThanOnce {
                label: x.to_string(),
                callback: *cb,
                at: v.iter().map(|p| p.0).collect(),
            });
        }
    }
    for ((cb, x), cv) in &c_by {
        match o_by.get(&(*cb, *x)) {
            None => r.violations.push(Violation::Never {
                label: x.to_string(),
                callback: *cb,
                cpython: cv[0].0,
            }),
            Some(ov) => {
                if cv[0].0 != At::Unknown && cv[0].0 != ov[0].0 {
                    r.details.push(Detail::Moved {
                        label: x.to_string(),
                        callback: *cb,
                        cpython: cv[0].0,
                        other: ov[0].0,
                    });
                }
            }
        }
    }
    for ((cb, x), ov) in &o_by {
        if !c_by.contains_key(&(*cb, *x)) {
            r.details.push(Detail::Extra {
                label: x.to_string(),
                callback: *cb,
                other: ov[0].0,
            });
        }
    }
    // Order within one statement, over what both ran there.
    let mut positions: Vec<At> = c.runs.iter().map(|r| r.2).collect();
    if summary {
        positions.clear();
    }
    positions.dedup();
    for at in positions {
        if at == At::Unknown {
            continue;
        }
        let here = |runs: &[(String, bool, At, usize)], other: &[(String, bool, At, usize)]| {
            runs.iter()
                .filter(|r| r.2 == at)
                .filter(|r| other.iter().any(|q| q.2 == at && q.0 == r.0 && q.1 == r.1))
                .map(|r| name(&r.0, r.1))
                .collect::<Vec<String>>()
        };
        let (cs, os) = (here(&c.runs, &o.runs), here(&o.runs, &c.runs));
        let mut dedup_o = Vec::new();
        for x in os {
            if !dedup_o.contains(&x) {
                dedup_o.push(x);
            }
        }
        if cs.len() > 1 && cs != dedup_o {
            r.details.push(Detail::Order {
                at,
                cpython: cs,
                other: dedup_o,
            });
        }
    }
    // Observations, in order (the other implementation's drained one is not CPython's).
    let o_obs: Vec<_> = o
        .observations
        .iter()
        .filter(|ob| ob.0 != At::Drain)
        .collect();
    if o_obs.len() != c.observations.len() {
        r.details.push(Detail::Observations {
            cpython: c.observations.len(),
            other: o_obs.len(),
        });
    }
    for (cob, oob) in c.observations.iter().zip(&o_obs) {
        let (cat, ci, cg, ca) = cob;
        let (_, oi, og, oa) = oob;
        let at = if *cat == At::Unknown { oob.0 } else { *cat };
        if cg != og && !python2 {
            r.violations.push(Violation::Garbage {
                at,
                cpython: cg.clone(),
                other: og.clone(),
            });
        }
        let (later, mut earlier) = alive_difference(ca, oa);
        if full(at) {
            // Reachable on CPython: neither freed nor finalized before this observation on the
            // other implementation, unless CPython finalized it before it too (resurrection).
            for x in ca.iter().filter(|x| !x.contains(" ×")) {
                let c_fin = c_by
                    .get(&(false, x.as_str()))
                    .is_some_and(|v| v.iter().any(|p| p.1 < *ci));
                let o_fin = o_by
                    .get(&(false, x.as_str()))
                    .is_some_and(|v| v.iter().any(|p| p.1 < *oi));
                let freed = earlier.contains(x);
                if freed || (o_fin && !c_fin) {
                    r.violations.push(Violation::ReachableLost {
                        label: x.clone(),
                        at,
                        finalized: !freed,
                    });
                }
            }
            earlier.clear();
        }
        if !later.is_empty() || !earlier.is_empty() {
            r.details.push(Detail::Alive { at, later, earlier });
        }
    }
    // The drained observation: what the program put in gc.garbage is still there.
    if let (Some(last_c), Some(drained)) = (
        c.observations.last(),
        o.observations.iter().rfind(|ob| ob.0 == At::Drain),
    ) && last_c.2 != drained.2
        && !python2
    {
        r.violations.push(Violation::Garbage {
            at: At::Drain,
            cpython: last_c.2.clone(),
            other: drained.2.clone(),
        });
    }
    if c.ignored != o.ignored {
        r.details.push(Detail::Ignored {
            cpython: c.ignored.clone(),
            other: o.ignored.clone(),
        });
    }
    r
}

/// What is alive on the other side only (`later`) and on CPython's only (`earlier`). Lists in
/// summary form (`a ×2000`) are compared in number per name (`a ×1999`).
fn alive_difference(ca: &[String], oa: &[String]) -> (Vec<String>, Vec<String>) {
    if !ca.iter().chain(oa).any(|x| x.contains(" ×")) {
        return (
            oa.iter().filter(|x| !ca.contains(x)).cloned().collect(),
            ca.iter().filter(|x| !oa.contains(x)).cloned().collect(),
        );
    }
    let mut names: Vec<&str> = Vec::new();
    for x in ca.iter().chain(oa) {
        let n = x.split(" ×").next().map_or("", super::label::base);
        if !names.contains(&n) {
            names.push(n);
        }
    }
    let (mut later, mut earlier) = (Vec::new(), Vec::new());
    for n in names {
        let (c, o) = (
            super::label::count_named(ca, n),
            super::label::count_named(oa, n),
        );
        if o > c {
            later.push(format!("{n} ×{}", o - c));
        } else if c > o {
            earlier.push(format!("{n} ×{}", c - o));
        }
    }
    (later, earlier)
}

/// The reading of a run that may have stopped early and whose weakrefs' referents are known
/// (`(weakref, referent)` labels): [`read`], then
/// * a callback CPython runs and the other never does, while its referent is alive there at
///   the next observation or after the drain, is [`Detail::ReferentSurvives`], not a broken
///   promise;
/// * when the run stopped (`(at, exception)`), what did not run is not held against it: only
///   "at most once" stays a promise, and of the details those about where the events that both
///   ran happened.
pub fn read_run(
    cpython: &[Located],
    other: &[Located],
    full: &FullAt,
    python2: bool,
    referents: &[(String, String)],
    stopped: Option<&(At, String)>,
) -> Reading {
    let mut r = read(cpython, other, full, python2);
    let (c, o) = (split(cpython), split(other));
    // Whether `referent` is alive on the other side at the first observation after CPython ran
    // the callback of `label` (or after the drain).
    let survives = |label: &str, referent: &str| {
        let Some(ci) = c.runs.iter().find(|r| r.1 && r.0 == label).map(|r| r.3) else {
            return false;
        };
        let k = c.observations.iter().position(|ob| ob.1 > ci);
        let at_k = k
            .and_then(|k| o.observations.get(k))
            .is_some_and(|ob| ob.3.iter().any(|x| x == referent));
        let drained = o
            .observations
            .iter()
            .rfind(|ob| ob.0 == At::Drain)
            .is_some_and(|ob| ob.3.iter().any(|x| x == referent));
        at_k || drained
    };
    let mut violations = Vec::new();
    for v in std::mem::take(&mut r.violations) {
        match &v {
            Violation::Never {
                label,
                callback: true,
                ..
            } => match referents.iter().find(|(w, _)| w == label) {
                Some((_, referent)) if survives(label, referent) => {
                    r.details.push(Detail::ReferentSurvives {
                        label: label.clone(),
                        referent: referent.clone(),
                    })
                }
                _ => violations.push(v),
            },
            _ => violations.push(v),
        }
    }
    r.violations = violations;
    if let Some((at, exception)) = stopped {
        r.violations
            .retain(|v| matches!(v, Violation::MoreThanOnce { .. }));
        r.details
            .retain(|d| matches!(d, Detail::Moved { .. } | Detail::Order { .. }));
        r.details.insert(
            0,
            Detail::Stopped {
                at: *at,
                exception: exception.clone(),
            },
        );
    }
    r
}

/// How many runs a summarised label stands for (`×1100`), or `None` for one object's label.
fn group(label: &str) -> Option<usize> {
    label.strip_prefix('×')?.parse().ok()
}

/// The violations of "at most once" in one run alone (a run read in summary form has lost its
/// labels: this is checked on the run as it was).
pub fn more_than_once(run: &[Located]) -> Vec<Violation> {
    let s = split(run);
    let mut by: BTreeMap<(bool, &str), Vec<At>> = BTreeMap::new();
    for (x, cb, at, _) in &s.runs {
        by.entry((*cb, x.as_str())).or_default().push(*at);
    }
    by.into_iter()
        .filter(|((_, x), v)| v.len() > 1 && !x.starts_with('<') && group(x).is_none())
        .map(|((cb, x), at)| Violation::MoreThanOnce {
            label: x.to_string(),
            callback: cb,
            at,
        })
        .collect()
}

/// A run in summary form (`trace: summary`): each stretch of events at one place summarised
/// as [`super::Trace::summarized`] does it.
pub fn summarized(run: &[Located]) -> Vec<Located> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < run.len() {
        let at = run[i].at;
        let j = run[i..]
            .iter()
            .position(|l| l.at != at)
            .map_or(run.len(), |k| i + k);
        let t = super::Trace {
            events: run[i..j].iter().map(|l| l.event.clone()).collect(),
            startup_heap: None,
        };
        out.extend(
            t.summarized()
                .events
                .into_iter()
                .map(|event| Located { event, at }),
        );
        i = j;
    }
    out
}

/// `__del__ x` or `callback w`.
pub fn name(label: &str, callback: bool) -> String {
    if callback {
        format!("callback {label}")
    } else {
        format!("__del__ {label}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[(&str, At)]) -> Vec<Located> {
        lines
            .iter()
            .map(|(t, at)| Located {
                event: t.parse().unwrap(),
                at: *at,
            })
            .collect()
    }

    /// Line 7 is `gc.collect()`; nothing else collects.
    fn full(at: At) -> bool {
        at == At::Line(7)
    }

    /// CPython 3.x: `x = A()` (line 4), `y = A()` (5), `del x` (6), `gc.collect()` (7), end.
    fn cpython() -> Vec<Located> {
        run(&[
            ("__del__ x", At::Line(6)),
            ("gc.collect() -> 0", At::Line(7)),
            ("gc.garbage: []", At::Line(7)),
            ("alive: [y]", At::Line(7)),
            ("end", At::End),
            ("gc.garbage: []", At::End),
            ("alive: [y]", At::End),
        ])
    }

    /// PyPy: `__del__ x` at the collection; a drain at the end finalizes nothing more.
    fn pypy_like() -> Vec<Located> {
        run(&[
            ("__del__ x", At::Line(7)),
            ("gc.collect() -> 0", At::Line(7)),
            ("gc.garbage: []", At::Line(7)),
            ("alive: [x, y]", At::Line(7)),
            ("end", At::End),
            ("gc.garbage: []", At::End),
            ("alive: [y]", At::End),
            ("gc.garbage: []", At::Drain),
            ("alive: [y]", At::Drain),
        ])
    }

    #[test]
    fn the_same_run_is_portable() {
        let mut same = cpython();
        same.push(Located {
            event: "gc.garbage: []".parse().unwrap(),
            at: At::Drain,
        });
        same.push(Located {
            event: "alive: [y]".parse().unwrap(),
            at: At::Drain,
        });
        let r = read(&cpython(), &same, &full, false);
        assert!(r.portable(), "{r:?}");
    }

    #[test]
    fn a_run_differing_only_in_cpython_details_relies_on_them_and_breaks_nothing() {
        let r = read(&cpython(), &pypy_like(), &full, false);
        assert!(r.violations.is_empty(), "{r:?}");
        assert!(!r.portable());
        assert_eq!(
            r.details,
            vec![
                Detail::Moved {
                    label: "x".into(),
                    callback: false,
                    cpython: At::Line(6),
                    other: At::Line(7),
                },
                Detail::Alive {
                    at: At::Line(7),
                    later: vec!["x".into()],
                    earlier: vec![],
                },
            ]
        );
        // Finalizer order inside one statement is a detail too.
        let two = |a: &str, b: &str| {
            run(&[
                (a, At::Line(7)),
                (b, At::Line(7)),
                ("gc.collect() -> 2", At::Line(7)),
                ("gc.garbage: []", At::Line(7)),
                ("alive: []", At::Line(7)),
            ])
        };
        let r = read(
            &two("__del__ a", "__del__ b"),
            &two("__del__ b", "__del__ a"),
            &full,
            false,
        );
        assert!(r.violations.is_empty(), "{r:?}");
        assert!(matches!(r.details[..], [Detail::Order { .. }]), "{r:?}");
    }

    #[test]
    fn a_program_that_stops_and_a_resurrected_referent_are_details() {
        let c = run(&[
            ("callback w", At::Line(7)),
            ("gc.collect() -> 2", At::Line(7)),
            ("gc.garbage: []", At::Line(7)),
            ("alive: [a]", At::Line(7)),
        ]);
        let o = run(&[
            ("gc.collect() -> 2", At::Line(7)),
            ("gc.garbage: []", At::Line(7)),
            ("alive: [a]", At::Line(7)),
            ("gc.garbage: []", At::Drain),
            ("alive: [a]", At::Drain),
        ]);
        let refs = [("w".to_string(), "a".to_string())];
        let r = read_run(&c, &o, &full, false, &refs, None);
        assert!(r.violations.is_empty(), "{r:?}");
        assert_eq!(
            r.details,
            [Detail::ReferentSurvives {
                label: "w".into(),
                referent: "a".into()
            }]
        );
        // Its referent freed: the callback had to run.
        let refs = [("w".to_string(), "b".to_string())];
        assert_eq!(
            read_run(&c, &o, &full, false, &refs, None).violations.len(),
            1
        );
        // Stopped at line 6: what did not run is no broken promise.
        let stop = (At::Line(6), "IndexError".to_string());
        let r = read_run(&c, &o[..0], &full, false, &refs, Some(&stop));
        assert!(r.violations.is_empty(), "{r:?}");
        assert_eq!(
            r.details,
            [Detail::Stopped {
                at: At::Line(6),
                exception: "IndexError".into()
            }]
        );
    }

    #[test]
    fn summarised_alive_lists_are_compared_per_name() {
        let ca = vec!["a#2000".to_string(), "b".to_string()];
        let oa = vec!["a ×2000".to_string()];
        assert_eq!(
            alive_difference(&ca, &oa),
            (vec!["a ×1999".to_string()], vec!["b ×1".to_string()])
        );
    }

    #[test]
    fn running_a_finalizer_as_often_as_cpython_breaks_nothing() {
        let c = run(&[
            ("__del__ s", At::Line(6)),
            ("__del__ s", At::Line(8)),
            ("end", At::End),
            ("gc.garbage: []", At::End),
            ("alive: []", At::End),
        ]);
        let mut o = c.clone();
        assert!(read(&c, &o, &full, false).violations.is_empty());
        o.insert(
            2,
            Located {
                event: "__del__ s".parse().unwrap(),
                at: At::Line(9),
            },
        );
        assert!(matches!(
            read(&c, &o, &full, false).violations[..],
            [Violation::MoreThanOnce { .. }]
        ));
    }

    #[test]
    fn a_finalizer_that_raises_runs_once() {
        let mut o = pypy_like();
        o.insert(
            1,
            Located {
                event: "__del__ x raised RuntimeError".parse().unwrap(),
                at: At::Line(7),
            },
        );
        assert!(read(&cpython(), &o, &full, false).violations.is_empty());
        assert!(more_than_once(&o).is_empty());
    }

    #[test]
    fn summarised_runs_are_compared_in_number() {
        let c = run(&[
            ("__del__ ×3", At::Unknown),
            ("gc.collect() -> 0", At::Unknown),
            ("gc.garbage: []", At::Unknown),
            ("alive: []", At::Unknown),
        ]);
        let o = |dels: &[&str]| {
            let mut v: Vec<(&str, At)> = dels.iter().map(|d| (*d, At::Line(7))).collect();
            v.extend([
                ("gc.collect() -> 0", At::Line(7)),
                ("gc.garbage: []", At::Line(7)),
                ("alive: []", At::Line(7)),
            ]);
            summarized(&run(&v))
        };
        let all = o(&["__del__ n", "__del__ n#2", "__del__ n#3"]);
        assert_eq!(all[0].event, Event::Del("×3".into()));
        assert!(read(&c, &all, &full, false).portable());
        let r = read(&c, &o(&["__del__ n", "__del__ n#2"]), &full, false);
        assert!(
            matches!(&r.violations[..], [Violation::Never { label, .. }] if label == "×1"),
            "{r:?}"
        );
        let twice = run(&[("__del__ n", At::Line(7)), ("__del__ n", At::Drain)]);
        assert_eq!(more_than_once(&twice).len(), 1);
    }

    #[test]
    fn a_finalizer_that_runs_twice_is_a_violation() {
        let mut o = pypy_like();
        o.insert(
            7,
            Located {
                event: "__del__ x".parse().unwrap(),
                at: At::Drain,
            },
        );
        let r = read(&cpython(), &o, &full, false);
        assert_eq!(
            r.violations,
            vec![Violation::MoreThanOnce {
                label: "x".into(),
                callback: false,
                at: vec![At::Line(7), At::Drain],
            }]
        );
    }

    #[test]
    fn a_finalizer_that_never_runs_is_a_violation() {
        let o: Vec<Located> = pypy_like()
            .into_iter()
            .filter(|l| l.event != Event::Del("x".into()))
            .collect();
        let r = read(&cpython(), &o, &full, false);
        assert_eq!(
            r.violations,
            vec![Violation::Never {
                label: "x".into(),
                callback: false,
                cpython: At::Line(6),
            }]
        );
    }

    #[test]
    fn a_reachable_object_freed_or_finalized_is_a_violation() {
        // y is alive on CPython after the full collection on line 7: freed here.
        let mut o = pypy_like();
        o[3].event = "alive: [x]".parse().unwrap();
        let r = read(&cpython(), &o, &full, false);
        assert!(
            r.violations.contains(&Violation::ReachableLost {
                label: "y".into(),
                at: At::Line(7),
                finalized: false,
            }),
            "{r:?}"
        );
        // Finalized (still alive: resurrected) though CPython keeps it reachable.
        let mut o = pypy_like();
        o.insert(
            1,
            Located {
                event: "__del__ y".parse().unwrap(),
                at: At::Line(7),
            },
        );
        let r = read(&cpython(), &o, &full, false);
        assert!(
            r.violations.contains(&Violation::ReachableLost {
                label: "y".into(),
                at: At::Line(7),
                finalized: true,
            }),
            "{r:?}"
        );
        // Freed before an observation no full collection precedes: a detail only.
        let mut o = pypy_like();
        o[6].event = "alive: []".parse().unwrap();
        let r = read(&cpython(), &o, &full, false);
        assert!(r.violations.is_empty(), "{r:?}");
        assert!(r.details.contains(&Detail::Alive {
            at: At::End,
            later: vec![],
            earlier: vec!["y".into()],
        }));
    }

    #[test]
    fn gc_garbage_filled_by_the_collector_is_a_violation_on_python_3_only() {
        let mut o = pypy_like();
        o[2].event = "gc.garbage: [x]".parse().unwrap();
        let r = read(&cpython(), &o, &full, false);
        assert_eq!(
            r.violations,
            vec![Violation::Garbage {
                at: At::Line(7),
                cpython: vec![],
                other: vec!["x".into()],
            }]
        );
        assert!(read(&cpython(), &o, &full, true).violations.is_empty());
    }

    #[test]
    fn a_callback_cpython_runs_must_run_and_once() {
        let c = run(&[
            ("callback w", At::Line(6)),
            ("gc.collect() -> 0", At::Line(7)),
            ("gc.garbage: []", At::Line(7)),
            ("alive: []", At::Line(7)),
        ]);
        let o = run(&[
            ("gc.collect() -> 0", At::Line(7)),
            ("gc.garbage: []", At::Line(7)),
            ("alive: []", At::Line(7)),
            ("callback w", At::Line(8)),
            ("callback w", At::Drain),
        ]);
        let r = read(&c, &o, &full, false);
        assert_eq!(
            r.violations,
            vec![Violation::MoreThanOnce {
                label: "w".into(),
                callback: true,
                at: vec![At::Line(8), At::Drain],
            }]
        );
        assert!(r.details.iter().any(|d| d.kind().contains("callback")));
        let r = read(&c, &o[..3], &full, false);
        assert!(matches!(
            r.violations[..],
            [Violation::Never { callback: true, .. }]
        ));
    }
}
