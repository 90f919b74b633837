//! Model invariants, checked after every top-level statement: of every conformance trial of the
//! model (`cargo test`) and of every fuzz run.
//!
//! [`run_checked`] runs the model through [`model::run_inspected`](super::run_inspected)
//! and calls [`check_invariants`] on its [`View`] of the machine after every top-level statement:
//!
//! - `frames`: no `__del__` or callback frame is left once a top-level statement has finished;
//! - `negative refcount`: no live object has a reference count below zero;
//! - `refcount`: every live object's reference count equals the references the model can see:
//!   from the module globals (the scenario's names), from every live container, instance,
//!   `__dict__` and inline/slot value, plus the known external holds (the module holding the
//!   globals dict, the collector's C static and the `gc.garbage` attribute holding the garbage
//!   lists, the code object holding each constant tuple, each base's `tp_subclasses` holding
//!   its subclasses' weak references);
//! - `freed while reachable`: nothing reachable from the names or the garbage lists is freed;
//! - `dangling reference`: no live object refers to a freed one;
//! - `finalized twice`: on versions with finalize-once semantics (3.4+, PEP 442), `__del__` never
//!   runs twice on the same object (instances of non-GC classes, `__slots__ = ()` before 3.8,
//!   are exempt: they have no `FINALIZED` bit);
//! - `generations`: every tracked live object is in exactly one generation list (0, 1, 2 or the
//!   permanent one of `gc.freeze()`), no untracked or freed object is in any, and no count is
//!   negative.
//!
//! The constant tuples a code object holds (one reference more than the heap shows) are known
//! from the scenario's statements: a tuple of literals bound to a name (`t = (1, 2)`), never from
//! the model's own reference counts.

use super::{Id, Moment, ObjKind, View};
use crate::scenario::Scenario;
use crate::trace::{Event, Trace};
use crate::util::guarded;
use crate::version::Version;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

/// A broken invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Its short name (see the module documentation).
    pub invariant: &'static str,
    /// The top-level statement after which it was found (None: after the final observation).
    pub statement: Option<String>,
    /// The 1-based line of that statement.
    pub line: usize,
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.statement {
            Some(s) => write!(
                f,
                "invariant `{}` broken after `{s}` (line {}): {}",
                self.invariant, self.line, self.detail
            ),
            None => write!(
                f,
                "invariant `{}` broken at the end: {}",
                self.invariant, self.detail
            ),
        }
    }
}

/// Why a checked model run produced no trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelFailure {
    /// A Python exception escaped a top-level statement.
    Error {
        exception: String,
        message: String,
    },
    /// The model panicked.
    Panic(String),
    Invariant(Violation),
}

impl fmt::Display for ModelFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelFailure::Error { message, .. } => f.write_str(message),
            ModelFailure::Panic(p) => write!(f, "the model {p}"),
            ModelFailure::Invariant(v) => write!(f, "{v}"),
        }
    }
}

/// What the checker carries from one statement to the next.
#[derive(Debug, Default)]
pub struct InvState {
    /// Events already examined.
    events_seen: usize,
    /// Labels whose `__del__` has run (finalize-once versions).
    finalized: HashSet<String>,
}

impl InvState {
    /// Whether `id` is a constant of the code: a tuple of literals a statement bound, a
    /// constant defaults tuple, a class body's `__slots__` (the code object holds one
    /// reference to it).
    fn is_constant(&self, m: View<'_>, id: Id) -> bool {
        m.kind(id) == Some(ObjKind::Tuple) && m.references(id).is_empty() && m.is_code_constant(id)
    }
}

/// The strong references an object holds, with multiplicity (every place the model stores
/// one, not only what `tp_traverse` visits).
fn strong_refs(m: View<'_>, id: Id) -> Vec<Id> {
    m.references(id)
}

/// A Python object (not one of the model's list heads) that is not freed.
fn live(m: View<'_>, id: Id) -> bool {
    !m.is_freed(id) && m.kind(id).is_some()
}

/// Check every invariant on the model's state between two top-level statements.
pub fn check_invariants(m: View<'_>, st: &mut InvState) -> Result<(), (&'static str, String)> {
    if m.frame_depth() != 0 {
        return Err((
            "frames",
            format!("{} frame(s) still on the stack", m.frame_depth()),
        ));
    }
    let n = m.ids().end;
    // Nothing reachable from the roots is freed.
    let mut stack = vec![m.globals(), m.collector_garbage(), m.garbage()];
    stack.extend(m.handled_refs());
    let mut walked = HashSet::new();
    while let Some(id) = stack.pop() {
        if !walked.insert(id) {
            continue;
        }
        if m.is_freed(id) {
            return Err((
                "freed while reachable",
                format!("{} is freed but reachable from the names", m.label(id)),
            ));
        }
        stack.extend(strong_refs(m, id));
    }
    // References the model can see.
    let mut seen: HashMap<Id, i64> = HashMap::new();
    for id in 0..n {
        if !live(m, id) {
            continue;
        }
        for r in strong_refs(m, id) {
            if m.is_freed(r) {
                return Err((
                    "dangling reference",
                    format!(
                        "{} (live) refers to {}, which is freed",
                        m.label(id),
                        m.label(r)
                    ),
                ));
            }
            *seen.entry(r).or_default() += 1;
        }
    }
    // Known external holds.
    let mut external: HashMap<Id, i64> = HashMap::new();
    *external.entry(m.globals()).or_default() += 1;
    *external.entry(m.collector_garbage()).or_default() += 1;
    *external.entry(m.garbage()).or_default() += 1;
    for (w, holds) in m.subclass_holds() {
        *external.entry(w).or_default() += holds;
    }
    for h in m.handled_refs() {
        *external.entry(h).or_default() += 1;
    }
    for id in 0..n {
        if live(m, id) && st.is_constant(m, id) {
            *external.entry(id).or_default() += 1;
        }
    }
    for id in 0..n {
        if !live(m, id) {
            continue;
        }
        let refcnt = m.refcnt(id);
        if refcnt < 0 {
            return Err((
                "negative refcount",
                format!("{} has refcount {}", m.label(id), refcnt),
            ));
        }
        let visible = seen.get(&id).copied().unwrap_or(0) + external.get(&id).copied().unwrap_or(0);
        if refcnt != visible {
            return Err((
                "refcount",
                format!(
                    "{} ({}) has refcount {} but {} reference(s) are visible",
                    m.label(id),
                    m.type_name(id),
                    refcnt,
                    visible
                ),
            ));
        }
    }
    // Generation bookkeeping: each tracked object in exactly one list.
    let mut lists: HashMap<Id, usize> = HashMap::new();
    for members in (0..3).map(|g| m.generation(g)).chain([m.permanent()]) {
        for id in members {
            *lists.entry(id).or_default() += 1;
        }
    }
    for id in 0..n {
        let k = lists.get(&id).copied().unwrap_or(0);
        let should = usize::from(live(m, id) && m.is_tracked(id));
        if k != should {
            return Err((
                "generations",
                format!(
                    "{} ({}{}) is in {k} generation list(s)",
                    m.label(id),
                    if m.is_freed(id) { "freed" } else { "live" },
                    if m.is_tracked(id) {
                        ", tracked"
                    } else {
                        ", untracked"
                    }
                ),
            ));
        }
    }
    if let Some(g) = (0..3).find(|g| m.count()[*g] < 0) {
        return Err((
            "generations",
            format!("the count of generation {g} is {}", m.count()[g]),
        ));
    }
    // Finalize once.
    let events = m.events();
    let new_events = &events[st.events_seen.min(events.len())..];
    if m.profile().finalize_once {
        let mut by_label: BTreeMap<&str, Id> = BTreeMap::new();
        for id in 0..n {
            if let Some(l) = m.given_label(id)
                && matches!(m.kind(id), Some(ObjKind::Instance { .. }))
            {
                by_label.insert(l, id);
            }
        }
        for e in new_events {
            let Event::Del(label) = e else { continue };
            // Instances of a GC class are GC objects (`PyObject_IS_GC`).
            let gc_class = by_label.get(label.as_str()).is_some_and(|id| m.is_gc(*id));
            if gc_class && !st.finalized.insert(label.clone()) {
                return Err((
                    "finalized twice",
                    format!("__del__ ran a second time on {label}"),
                ));
            }
        }
    }
    st.events_seen = events.len();
    Ok(())
}

/// Run `sc` under the model of `version` (through
/// [`model::run_inspected`](super::run_inspected), so the run is the model's own),
/// checking the invariants after every top-level statement.
pub fn run_checked(
    sc: &Scenario,
    version: Version,
    startup_heap: Option<u64>,
) -> Result<Trace, ModelFailure> {
    match guarded(|| run_checked_inner(sc, version, startup_heap)) {
        Ok(r) => r,
        Err(p) => Err(ModelFailure::Panic(p)),
    }
}

fn run_checked_inner(
    sc: &Scenario,
    version: Version,
    startup_heap: Option<u64>,
) -> Result<Trace, ModelFailure> {
    let mut st = InvState::default();
    // The first violation, with the index of the statement after which it was found.
    let mut first: Option<(usize, &'static str, String)> = None;
    let mut inspect = |moment: Moment, m: View<'_>| {
        if first.is_some() {
            return;
        }
        let i = match moment {
            Moment::Before(0) => 0,
            Moment::Before(_) => return,
            Moment::After(i) => i,
        };
        if let Err((inv, detail)) = check_invariants(m, &mut st) {
            first = Some((i, inv, detail));
        }
    };
    let r = super::run_inspected(sc, version, startup_heap, &mut inspect);
    let failed_at = match &r {
        Ok(_) => usize::MAX,
        Err(e) => sc
            .steps
            .iter()
            .position(|s| s.pos.line == e.line && s.pos.col == e.col)
            .unwrap_or(usize::MAX),
    };
    if let Some((i, invariant, detail)) = first
        && i < failed_at
    {
        let step = &sc.steps[i];
        return Err(ModelFailure::Invariant(Violation {
            invariant,
            statement: Some(step.text.clone()),
            line: step.pos.line,
            detail,
        }));
    }
    match r {
        Ok((t, _journal)) => Ok(t),
        Err(e) => Err(ModelFailure::Error {
            exception: e.exception.clone(),
            message: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::view::Lab;
    use std::path::Path;

    fn sc(text: &str) -> Scenario {
        crate::scenario::parse_scenario(Path::new("fuzz/t.yaml"), text).unwrap()
    }

    #[test]
    fn checked_runs_match_the_model_on_the_corpus_shapes() {
        let s = sc(
            "classes:\n  A:\n    __del__:\n      - global saved\n      - saved = self\n  B: {}\nsteps:\n  - a = A()\n  - b = B()\n  - a.x = b\n  - b.y = a\n  - t1 = (1, 2)\n  - t2 = (a,)\n  - l1 = [t1, t2, 1]\n  - del a\n  - del b\n  - gc.collect()\n  - saved = None\n  - del t2\n  - gc.collect()\n",
        );
        for v in Version::ALL {
            let checked = run_checked(&s, v, None).unwrap_or_else(|e| panic!("{v}: {e}"));
            assert_eq!(checked, crate::model::run(&s, v).unwrap(), "{v}");
        }
    }

    #[test]
    fn a_broken_refcount_is_reported() {
        let s = sc("classes:\n  A: {}\nsteps:\n  - a = A()\n  - b = a\n");
        let mut m = Lab::new(&s, Version::V3_12);
        let mut st = InvState::default();
        for step in &s.steps {
            m.exec(step).unwrap();
        }
        assert_eq!(check_invariants(m.view(), &mut st), Ok(()));
        let a = m
            .view()
            .ids()
            .find(|id| m.view().given_label(*id) == Some("a"))
            .unwrap();
        m.set_refcnt(a, m.view().refcnt(a) + 1);
        let e = check_invariants(m.view(), &mut st).unwrap_err();
        assert_eq!(e.0, "refcount", "{e:?}");
        m.set_refcnt(a, -1);
        assert_eq!(
            check_invariants(m.view(), &mut st).unwrap_err().0,
            "negative refcount"
        );
        m.set_refcnt(a, 2);
        m.mark_freed(a);
        assert_eq!(
            check_invariants(m.view(), &mut st).unwrap_err().0,
            "freed while reachable"
        );
    }

    #[test]
    fn a_second_finalization_is_reported() {
        let s = sc("classes:\n  A:\n    __del__: pass\nsteps:\n  - a = A()\n  - gc.collect()\n");
        let mut m = Lab::new(&s, Version::V3_12);
        let mut st = InvState::default();
        m.exec(&s.steps[0]).unwrap();
        m.push_event(Event::Del("a".into()));
        assert_eq!(check_invariants(m.view(), &mut st), Ok(()));
        m.push_event(Event::Del("a".into()));
        assert_eq!(
            check_invariants(m.view(), &mut st).unwrap_err().0,
            "finalized twice"
        );
    }
}
