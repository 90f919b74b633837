//! Traces: the canonical, line-per-event record of what a scenario did. Both the model and the
//! CPython runner produce one; they are compared as text.
//!
//! This module is the one definition of the event vocabulary: [`Event`] (what happened),
//! [`EventKind`] (its name, for classifying differences), and [`text`] (the text form, used by
//! `Display`/`FromStr` here and by the Python harness, which prints the same lines). Labels
//! (`a#2`, `a ×3`) are read by [`label`]; traces are grouped by version by [`group`].

pub mod group;
pub mod label;
pub mod portable;

use label::group_labels;
use std::fmt;

/// The text form of events: what every line starts (or ends) with. The Python harness
/// (`runner::program`) prints events with these same strings.
pub mod text {
    /// `gc.collect(` GENERATION `) -> ` RESULT
    pub const COLLECT: &str = "gc.collect(";
    /// What separates a collection's call from its result.
    pub const RETURNS: &str = ") -> ";
    /// `__del__ ` LABEL
    pub const DEL: &str = "__del__ ";
    /// `__del__ ` LABEL ` raised RuntimeError`
    pub const RAISED: &str = " raised RuntimeError";
    /// `callback ` LABEL
    pub const CALLBACK: &str = "callback ";
    /// `gc.garbage: [` LABELS `]`
    pub const GARBAGE: &str = "gc.garbage: ";
    /// `alive: [` LABELS `]`
    pub const ALIVE: &str = "alive: ";
    /// The line after the scenario's last statement.
    pub const END: &str = "end";
    /// `exceptions ignored: ` TYPE ` ×` COUNT, … (the last line, when there were any)
    pub const IGNORED: &str = "exceptions ignored: ";
    /// What separates an exception type from its count.
    pub const TIMES: &str = " ×";
    /// What separates the labels of a list.
    pub const LIST_SEP: &str = ", ";
    /// `gc.get_count() -> (` C0 `, ` C1 `, ` C2 `)`
    pub const GET_COUNT: &str = "gc.get_count() -> ";
    /// `gc.get_threshold() -> (` T0 `, ` T1 `, ` T2 `)`
    pub const GET_THRESHOLD: &str = "gc.get_threshold() -> ";
    /// `gc.is_tracked(` NAME `) -> ` `True` or `False`
    pub const IS_TRACKED: &str = "gc.is_tracked(";
    /// `gc.is_finalized(` NAME `) -> ` `True` or `False`
    pub const IS_FINALIZED: &str = "gc.is_finalized(";
    /// `gc.get_freeze_count() -> ` N
    pub const GET_FREEZE_COUNT: &str = "gc.get_freeze_count() -> ";
    /// `gc.get_stats() -> collections (` A `, ` B `, ` C `), collected (`…`), uncollectable (`…`)`
    pub const GET_STATS: &str = "gc.get_stats() -> ";
    /// The names of `gc.get_stats()`'s three statistics, in the order the event shows them
    /// (the keys of each generation's dict).
    pub const STATS_KEYS: [&str; 3] = ["collections", "collected", "uncollectable"];
    /// `collection ` GENERATION `: collected ` M `, uncollectable ` N: a collection that ran
    /// (`record: collections`), as the "stop" phase of `gc.callbacks` reports it.
    pub const COLLECTION: &str = "collection ";
    /// What separates a collection's generation from what it collected.
    pub const COLLECTED: &str = ": collected ";
    /// What separates what a collection collected from what it found uncollectable.
    pub const UNCOLLECTABLE: &str = ", uncollectable ";
    /// Python's `True`.
    pub const TRUE: &str = "True";
    /// Python's `False`.
    pub const FALSE: &str = "False";
}

/// What kind of event a line is: its name in reports and fuzz classifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    Collect,
    Del,
    DelRaised,
    Callback,
    Garbage,
    Alive,
    End,
    GetCount,
    GetThreshold,
    IsTracked,
    IsFinalized,
    GetFreezeCount,
    GetStats,
    Collection,
    Ignored,
}

impl EventKind {
    /// The name of the kind: `gc.collect()`, `__del__`, `__del__ raised`, `callback`,
    /// `gc.garbage`, `alive`, `end`, `exceptions ignored`, and the observations `gc.get_count()`,
    /// `gc.get_threshold()`, `gc.is_tracked()`, `gc.is_finalized()`, `gc.get_freeze_count()`,
    /// `gc.get_stats()`, and `collection` (a collection that ran, `record: collections`).
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Collect => "gc.collect()",
            EventKind::Del => "__del__",
            EventKind::DelRaised => "__del__ raised",
            EventKind::Callback => "callback",
            EventKind::Garbage => "gc.garbage",
            EventKind::Alive => "alive",
            EventKind::End => "end",
            EventKind::GetCount => "gc.get_count()",
            EventKind::GetThreshold => "gc.get_threshold()",
            EventKind::IsTracked => "gc.is_tracked()",
            EventKind::IsFinalized => "gc.is_finalized()",
            EventKind::GetFreezeCount => "gc.get_freeze_count()",
            EventKind::GetStats => "gc.get_stats()",
            EventKind::Collection => "collection",
            EventKind::Ignored => "exceptions ignored",
        }
    }
}

/// One observable event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `gc.collect()` or `gc.collect(n)` returned `result`.
    Collect { generation: Option<u8>, result: i64 },
    /// `__del__` ran on the object with this label.
    Del(String),
    /// `__del__` of this object raised `RuntimeError` (printed and ignored by CPython).
    DelRaised(String),
    /// The weakref callback ran, given the weakref with this label.
    Callback(String),
    /// What `gc.garbage` (the module attribute) holds, in list order.
    Garbage(Vec<String>),
    /// Scenario class instances still alive, in creation order.
    Alive(Vec<String>),
    /// The scenario's last statement has run; the final observation follows.
    End,
    /// `gc.get_count()` returned these generation counts.
    GetCount([i64; 3]),
    /// `gc.get_threshold()` returned these thresholds.
    GetThreshold([i64; 3]),
    /// `gc.is_tracked(name)` returned `tracked` (`name` as the statement writes it).
    IsTracked { name: String, tracked: bool },
    /// `gc.is_finalized(name)` returned `finalized` (3.9+).
    IsFinalized { name: String, finalized: bool },
    /// `gc.get_freeze_count()`, counted from the scenario's start: the objects in the permanent
    /// generation that the scenario made (what the interpreter and the harness held at the end
    /// of start-up is not counted, even when a `gc.freeze()` froze it too).
    GetFreezeCount(i64),
    /// `gc.get_stats()`, counted from the scenario's start: per generation (youngest first),
    /// the collections run and the objects they collected and found uncollectable.
    GetStats(Stats),
    /// A collection ran (`record: collections`): its generation and what the "stop" phase of
    /// `gc.callbacks` reports (2.7: `gc.DEBUG_STATS`), `collected` (m: what the collection
    /// counted as collected, per version as `Profile::resurrection` says) and `uncollectable`
    /// (n: the legacy finalizers and what they reach, which go to `gc.garbage`);
    /// `gc.collect()` returns their sum. Recorded where CPython calls the callbacks: after the
    /// collection's finalizers, weakref callbacks and frees, before `gc.collect()` returns.
    Collection {
        generation: u8,
        collected: i64,
        uncollectable: i64,
    },
    /// The exceptions CPython printed and ignored during the run (`PyErr_WriteUnraisable`: an
    /// exception raised by a `__del__` body, or a `__del__` call that failed on the recursion
    /// limit before its body ran), by type, in order of first occurrence, with how many of
    /// each. Only the type and the count are observable (the runner reads them from stderr,
    /// which has no labels and is not ordered with the other events), so this comes last, after
    /// the final observation, and only when there was one.
    Ignored(Vec<(String, u64)>),
}

/// What `gc.get_stats()` reports, per generation (youngest first): the `collections`,
/// `collected` and `uncollectable` of each generation's dict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    pub collections: [i64; 3],
    pub collected: [i64; 3],
    pub uncollectable: [i64; 3],
}

impl Stats {
    /// The three statistics in [`text::STATS_KEYS`] order.
    pub fn rows(&self) -> [[i64; 3]; 3] {
        [self.collections, self.collected, self.uncollectable]
    }
}

/// `(a, b, c)`, as Python prints a tuple of three ints.
fn triple(v: &[i64; 3]) -> String {
    format!("({}, {}, {})", v[0], v[1], v[2])
}

/// Read `(a, b, c)`.
fn parse_triple(s: &str) -> Option<[i64; 3]> {
    let inner = s.strip_prefix('(')?.strip_suffix(')')?;
    let v: Vec<i64> = inner
        .split(", ")
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    v.try_into().ok()
}

/// Read `True` / `False`.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        text::TRUE => Some(true),
        text::FALSE => Some(false),
        _ => None,
    }
}

/// Read `NAME) -> True`: the name and the result of `gc.is_tracked(` / `gc.is_finalized(`.
fn parse_name_bool(rest: &str) -> Option<(String, bool)> {
    let (name, r) = rest.split_once(text::RETURNS)?;
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some((name.to_string(), parse_bool(r)?))
}

impl fmt::Display for Stats {
    /// `collections (1, 0, 0), collected (4, 0, 0), uncollectable (0, 0, 0)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in text::STATS_KEYS.iter().zip(self.rows()).enumerate() {
            if i > 0 {
                f.write_str(text::LIST_SEP)?;
            }
            write!(f, "{k} {}", triple(&v))?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Stats {
    type Err = ();
    fn from_str(s: &str) -> Result<Stats, ()> {
        let mut rows = [[0; 3]; 3];
        let mut rest = s;
        for (i, k) in text::STATS_KEYS.iter().enumerate() {
            if i > 0 {
                rest = rest.strip_prefix(text::LIST_SEP).ok_or(())?;
            }
            rest = rest
                .strip_prefix(k)
                .and_then(|r| r.strip_prefix(' '))
                .ok_or(())?;
            let end = rest.find(')').ok_or(())? + 1;
            rows[i] = parse_triple(&rest[..end]).ok_or(())?;
            rest = &rest[end..];
        }
        if !rest.is_empty() {
            return Err(());
        }
        Ok(Stats {
            collections: rows[0],
            collected: rows[1],
            uncollectable: rows[2],
        })
    }
}

impl Event {
    /// The kind of the event.
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Collect { .. } => EventKind::Collect,
            Event::Del(_) => EventKind::Del,
            Event::DelRaised(_) => EventKind::DelRaised,
            Event::Callback(_) => EventKind::Callback,
            Event::Garbage(_) => EventKind::Garbage,
            Event::Alive(_) => EventKind::Alive,
            Event::End => EventKind::End,
            Event::GetCount(_) => EventKind::GetCount,
            Event::GetThreshold(_) => EventKind::GetThreshold,
            Event::IsTracked { .. } => EventKind::IsTracked,
            Event::IsFinalized { .. } => EventKind::IsFinalized,
            Event::GetFreezeCount(_) => EventKind::GetFreezeCount,
            Event::GetStats(_) => EventKind::GetStats,
            Event::Collection { .. } => EventKind::Collection,
            Event::Ignored(_) => EventKind::Ignored,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use text::*;
        match self {
            Event::Collect {
                generation: None,
                result,
            } => write!(f, "{COLLECT}{RETURNS}{result}"),
            Event::Collect {
                generation: Some(g),
                result,
            } => write!(f, "{COLLECT}{g}{RETURNS}{result}"),
            Event::Del(l) => write!(f, "{DEL}{l}"),
            Event::DelRaised(l) => write!(f, "{DEL}{l}{RAISED}"),
            Event::Callback(l) => write!(f, "{CALLBACK}{l}"),
            Event::Garbage(v) => write!(f, "{GARBAGE}[{}]", v.join(LIST_SEP)),
            Event::Alive(v) => write!(f, "{ALIVE}[{}]", v.join(LIST_SEP)),
            Event::End => f.write_str(END),
            Event::GetCount(v) => write!(f, "{GET_COUNT}{}", triple(v)),
            Event::GetThreshold(v) => write!(f, "{GET_THRESHOLD}{}", triple(v)),
            Event::IsTracked { name, tracked } => write!(
                f,
                "{IS_TRACKED}{name}{RETURNS}{}",
                if *tracked { TRUE } else { FALSE }
            ),
            Event::IsFinalized { name, finalized } => write!(
                f,
                "{IS_FINALIZED}{name}{RETURNS}{}",
                if *finalized { TRUE } else { FALSE }
            ),
            Event::GetFreezeCount(n) => write!(f, "{GET_FREEZE_COUNT}{n}"),
            Event::GetStats(s) => write!(f, "{GET_STATS}{s}"),
            Event::Collection {
                generation,
                collected,
                uncollectable,
            } => write!(
                f,
                "{COLLECTION}{generation}{COLLECTED}{collected}{UNCOLLECTABLE}{uncollectable}"
            ),
            Event::Ignored(v) => {
                let parts: Vec<String> = v.iter().map(|(t, n)| format!("{t}{TIMES}{n}")).collect();
                write!(f, "{IGNORED}{}", parts.join(LIST_SEP))
            }
        }
    }
}

/// Error for a line that is not a trace event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a trace event: `{0}`")]
pub struct BadEvent(pub String);

fn list(s: &str) -> Option<Vec<String>> {
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    if inner.is_empty() {
        return Some(Vec::new());
    }
    Some(inner.split(text::LIST_SEP).map(str::to_string).collect())
}

impl std::str::FromStr for Event {
    type Err = BadEvent;
    fn from_str(line: &str) -> Result<Self, BadEvent> {
        use text::*;
        let bad = || BadEvent(line.to_string());
        if line == END {
            return Ok(Event::End);
        }
        if let Some(rest) = line.strip_prefix(COLLECT) {
            let (g, r) = rest.split_once(RETURNS).ok_or_else(bad)?;
            let generation = if g.is_empty() {
                None
            } else {
                Some(g.parse::<u8>().map_err(|_| bad())?)
            };
            let result = r.parse::<i64>().map_err(|_| bad())?;
            return Ok(Event::Collect { generation, result });
        }
        if let Some(rest) = line.strip_prefix(GET_COUNT) {
            return Ok(Event::GetCount(parse_triple(rest).ok_or_else(bad)?));
        }
        if let Some(rest) = line.strip_prefix(GET_THRESHOLD) {
            return Ok(Event::GetThreshold(parse_triple(rest).ok_or_else(bad)?));
        }
        if let Some(rest) = line.strip_prefix(IS_TRACKED) {
            let (name, tracked) = parse_name_bool(rest).ok_or_else(bad)?;
            return Ok(Event::IsTracked { name, tracked });
        }
        if let Some(rest) = line.strip_prefix(IS_FINALIZED) {
            let (name, finalized) = parse_name_bool(rest).ok_or_else(bad)?;
            return Ok(Event::IsFinalized { name, finalized });
        }
        if let Some(rest) = line.strip_prefix(GET_FREEZE_COUNT) {
            return Ok(Event::GetFreezeCount(rest.parse().map_err(|_| bad())?));
        }
        if let Some(rest) = line.strip_prefix(GET_STATS) {
            return Ok(Event::GetStats(rest.parse().map_err(|_| bad())?));
        }
        if let Some(rest) = line.strip_prefix(COLLECTION) {
            let (g, rest) = rest.split_once(COLLECTED).ok_or_else(bad)?;
            let (c, u) = rest.split_once(UNCOLLECTABLE).ok_or_else(bad)?;
            let num = |s: &str| {
                s.parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0 && s == n.to_string())
            };
            return Ok(Event::Collection {
                generation: g.parse::<u8>().ok().filter(|g| *g < 3).ok_or_else(bad)?,
                collected: num(c).ok_or_else(bad)?,
                uncollectable: num(u).ok_or_else(bad)?,
            });
        }
        if let Some(rest) = line.strip_prefix(DEL) {
            if let Some(l) = rest.strip_suffix(RAISED) {
                return Ok(Event::DelRaised(l.to_string()));
            }
            if rest.is_empty() || rest.contains(' ') {
                return Err(bad());
            }
            return Ok(Event::Del(rest.to_string()));
        }
        if let Some(rest) = line.strip_prefix(CALLBACK) {
            return Ok(Event::Callback(rest.to_string()));
        }
        if let Some(rest) = line.strip_prefix(GARBAGE) {
            return Ok(Event::Garbage(list(rest).ok_or_else(bad)?));
        }
        if let Some(rest) = line.strip_prefix(ALIVE) {
            return Ok(Event::Alive(list(rest).ok_or_else(bad)?));
        }
        if let Some(rest) = line.strip_prefix(IGNORED) {
            let v = rest
                .split(LIST_SEP)
                .map(|p| {
                    let (t, n) = p.split_once(TIMES)?;
                    let ok = !t.is_empty()
                        && t.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
                    Some((
                        t.to_string(),
                        n.parse::<u64>().ok().filter(|n| ok && *n > 0)?,
                    ))
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(bad)?;
            return Ok(Event::Ignored(v));
        }
        Err(bad())
    }
}

/// A whole trace: the events, and what the run started from.
///
/// Two traces are equal when their events are: the start-up heap is a fact about the
/// interpreter build the trace came from, not behaviour to compare.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    pub events: Vec<Event>,
    /// The start-up heap: how many objects the interpreter's oldest generation held when the
    /// scenario began (its `long_lived_total`, which the full-collection heuristic weighs new
    /// survivors against). Measured by the harness, recorded in `expected/`, given to the
    /// model; only for scenarios that can enable automatic collection (`None` otherwise).
    pub startup_heap: Option<u64>,
}

impl PartialEq for Trace {
    fn eq(&self, other: &Trace) -> bool {
        self.events == other.events
    }
}

impl Eq for Trace {}

/// The line the harness prints before a trace to give the start-up heap.
pub const STARTUP_HEAP_MARK: &str = "#gcconform-startup-heap ";

impl Trace {
    /// Canonical text: one event per line, each line ending in `\n`.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for e in &self.events {
            s.push_str(&e.to_string());
            s.push('\n');
        }
        s
    }

    /// Parse canonical text (blank lines are ignored).
    pub fn parse(text: &str) -> Result<Trace, BadEvent> {
        let events = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.trim_end().parse())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Trace {
            events,
            startup_heap: None,
        })
    }

    /// The summary form (`trace: summary` scenarios): a run of consecutive `__del__` (or
    /// callback) events becomes one line with its length (`__del__ ×1000`), and `gc.garbage` and
    /// `alive` lists count labels per name (`[a ×1000, b]`). Applied alike to model and CPython
    /// traces.
    pub fn summarized(&self) -> Trace {
        let mut events: Vec<Event> = Vec::new();
        let mut i = 0;
        while i < self.events.len() {
            match &self.events[i] {
                e @ (Event::Del(_) | Event::Callback(_)) => {
                    let same = |x: &Event| std::mem::discriminant(x) == std::mem::discriminant(e);
                    let mut j = i + 1;
                    while j < self.events.len() && same(&self.events[j]) {
                        j += 1;
                    }
                    if j - i == 1 {
                        events.push(e.clone());
                    } else {
                        let n = format!("×{}", j - i);
                        events.push(match e {
                            Event::Del(_) => Event::Del(n),
                            _ => Event::Callback(n),
                        });
                    }
                    i = j;
                }
                Event::Garbage(v) => {
                    events.push(Event::Garbage(group_labels(v)));
                    i += 1;
                }
                Event::Alive(v) => {
                    events.push(Event::Alive(group_labels(v)));
                    i += 1;
                }
                e => {
                    events.push(e.clone());
                    i += 1;
                }
            }
        }
        Trace {
            events,
            startup_heap: self.startup_heap,
        }
    }

    /// The `gc.collect()` results, in order.
    pub fn collect_results(&self) -> Vec<i64> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Collect { result, .. } => Some(*result),
                _ => None,
            })
            .collect()
    }

    /// The observations: (`gc.garbage`, alive) after each top-level collection, then at the end
    /// (an `alive` event closes one; a `gc.garbage` event before it belongs to it).
    pub fn observations(&self) -> Vec<(Vec<String>, Vec<String>)> {
        let mut out = Vec::new();
        let mut garbage = None;
        for e in &self.events {
            match e {
                Event::Garbage(g) => garbage = Some(g.clone()),
                Event::Alive(a) => out.push((garbage.take().unwrap_or_default(), a.clone())),
                _ => {}
            }
        }
        out
    }

    /// The index of the first event where two traces differ (one may be a prefix of the other).
    pub fn first_difference(&self, other: &Trace) -> Option<usize> {
        let n = self.events.len().max(other.events.len());
        (0..n).find(|i| self.events.get(*i) != other.events.get(*i))
    }

    /// The length of `gc.garbage` at each observation, in order.
    pub fn garbage_counts(&self) -> Vec<usize> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Garbage(v) => Some(v.len()),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_text() {
        let t = Trace {
            events: vec![
                Event::Collect {
                    generation: Some(2),
                    result: 4,
                },
                Event::Collect {
                    generation: None,
                    result: 0,
                },
                Event::Del("a#2".into()),
                Event::DelRaised("b".into()),
                Event::Callback("w".into()),
                Event::Garbage(vec!["a".into(), "<dict>".into()]),
                Event::Alive(vec![]),
                Event::End,
                Event::GetCount([3, 1, 0]),
                Event::GetThreshold([700, 10, 10]),
                Event::IsTracked {
                    name: "a".into(),
                    tracked: true,
                },
                Event::IsFinalized {
                    name: "self".into(),
                    finalized: false,
                },
                Event::GetFreezeCount(-2),
                Event::GetStats(Stats {
                    collections: [1, 0, 2],
                    collected: [4, 0, 0],
                    uncollectable: [0, 0, 1],
                }),
                Event::Collection {
                    generation: 1,
                    collected: 4,
                    uncollectable: 0,
                },
                Event::Ignored(vec![
                    ("RecursionError".into(), 105),
                    ("RuntimeError".into(), 1),
                ]),
            ],
            startup_heap: Some(5000),
        };
        let text = t.to_text();
        assert_eq!(
            text,
            "gc.collect(2) -> 4\ngc.collect() -> 0\n__del__ a#2\n__del__ b raised RuntimeError\ncallback w\ngc.garbage: [a, <dict>]\nalive: []\nend\n\
             gc.get_count() -> (3, 1, 0)\ngc.get_threshold() -> (700, 10, 10)\ngc.is_tracked(a) -> True\ngc.is_finalized(self) -> False\ngc.get_freeze_count() -> -2\n\
             gc.get_stats() -> collections (1, 0, 2), collected (4, 0, 0), uncollectable (0, 0, 1)\n\
             collection 1: collected 4, uncollectable 0\n\
             exceptions ignored: RecursionError ×105, RuntimeError ×1\n"
        );
        for bad in [
            "exceptions ignored: ",
            "exceptions ignored: X ×0",
            "exceptions ignored: X",
            "exceptions ignored: a b ×2",
        ] {
            assert!(Trace::parse(bad).is_err(), "{bad}");
        }
        // Equal as behaviour: the start-up heap is not an event.
        assert_eq!(Trace::parse(&text).unwrap(), t);
        assert_eq!(Trace::parse(&text).unwrap().startup_heap, None);
        assert_eq!(t.collect_results(), vec![4, 0]);
        assert_eq!(t.garbage_counts(), vec![2]);
        assert!(Trace::parse("Traceback (most recent call last):").is_err());
        let kinds: Vec<&str> = t.events.iter().map(|e| e.kind().name()).collect();
        assert_eq!(
            kinds,
            [
                "gc.collect()",
                "gc.collect()",
                "__del__",
                "__del__ raised",
                "callback",
                "gc.garbage",
                "alive",
                "end",
                "gc.get_count()",
                "gc.get_threshold()",
                "gc.is_tracked()",
                "gc.is_finalized()",
                "gc.get_freeze_count()",
                "gc.get_stats()",
                "collection",
                "exceptions ignored",
            ]
        );
        for bad in [
            "gc.get_count() -> (1, 2)",
            "gc.get_count() -> 1, 2, 3",
            "gc.is_tracked(a) -> 1",
            "gc.is_tracked() -> True",
            "gc.get_freeze_count() -> x",
            "gc.get_stats() -> collections (1, 0, 0)",
            "gc.get_stats() -> collections (1, 0, 0), collected (0, 0, 0), uncollectable (0, 0, 0), x",
            "collection 3: collected 0, uncollectable 0",
            "collection 0: collected -1, uncollectable 0",
            "collection 0: collected 1",
            "collection 0: collected 1, uncollectable 01",
            "collection : collected 1, uncollectable 0",
            "collection 2: collected 1, uncollectable 0, x",
        ] {
            assert!(Trace::parse(bad).is_err(), "{bad}");
        }
        let obs =
            Trace::parse("gc.collect() -> 0\ngc.garbage: [a]\nalive: [a, b]\nend\nalive: []\n")
                .unwrap()
                .observations();
        assert_eq!(
            obs,
            vec![
                (
                    vec!["a".to_string()],
                    vec!["a".to_string(), "b".to_string()]
                ),
                (vec![], vec![])
            ]
        );
    }

    #[test]
    fn summaries_group_runs_of_labels() {
        let t = Trace::parse(
            "__del__ a\n__del__ a#2\n__del__ a#3\n__del__ b\ncallback w\ncallback w#2\n__del__ a#4\ngc.collect() -> 5\nalive: [a#5, a#6, b#2, a#7]\n",
        )
        .unwrap();
        let s = t.summarized();
        assert_eq!(
            s.to_text(),
            "__del__ ×4\ncallback ×2\n__del__ a#4\ngc.collect() -> 5\nalive: [a ×3, b#2]\n"
        );
        assert_eq!(Trace::parse(&s.to_text()).unwrap(), s);
    }
}
