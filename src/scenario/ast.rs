//! The validated form of a scenario: classes and statements, with source positions.

use crate::version::{Version, VersionRange};
use std::fmt;
use std::path::PathBuf;

/// A 1-based line and column in the scenario file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// A value a statement stores: a name's object, `None`, an integer literal, or a bound method
/// (`a.method`: reading a method of a scenario class through an instance makes a new bound
/// method object each time, as `LOAD_ATTR` does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Name(String),
    None,
    Int(i64),
    /// `obj.method`, where `method` is a method of some scenario class (`methods:`).
    Method {
        obj: String,
        method: String,
    },
}

impl Value {
    /// The name the value reads, if any (`a` for `a` and for `a.method`).
    pub fn name(&self) -> Option<&str> {
        match self {
            Value::Name(n) | Value::Method { obj: n, .. } => Some(n),
            Value::None | Value::Int(_) => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Name(n) => f.write_str(n),
            Value::None => f.write_str("None"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Method { obj, method } => write!(f, "{obj}.{method}"),
        }
    }
}

/// Whether `x = (...)` builds a new tuple at run time: only if an item is a name (or a bound
/// method). A tuple of literals (and `()`) is a compile-time constant: the same object every
/// time, never tracked.
pub fn tuple_is_new(items: &[Value]) -> bool {
    items.iter().any(|v| v.name().is_some())
}

/// What an attribute statement acts on: a name (including `self`), or `gc.garbage[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Name(String),
    GarbageItem(i64),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Name(n) => f.write_str(n),
            Target::GarbageItem(i) => write!(f, "gc.garbage[{i}]"),
        }
    }
}

/// A call of the `gc` module whose value the trace records: the statement is the call itself
/// (`gc.get_count()`), written as Python writes it; its value becomes an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// `gc.get_count()`
    Count,
    /// `gc.get_threshold()`
    Threshold,
    /// `gc.is_tracked(NAME)`
    IsTracked(String),
    /// `gc.is_finalized(NAME)` (3.9+)
    IsFinalized(String),
    /// `gc.get_freeze_count()` (3.7+)
    FreezeCount,
    /// `gc.get_stats()` (3.4+; here 3.6+)
    Stats,
}

impl Query {
    /// The `gc` function it calls (`get_count`).
    pub fn function(&self) -> &'static str {
        match self {
            Query::Count => "get_count",
            Query::Threshold => "get_threshold",
            Query::IsTracked(_) => "is_tracked",
            Query::IsFinalized(_) => "is_finalized",
            Query::FreezeCount => "get_freeze_count",
            Query::Stats => "get_stats",
        }
    }

    /// The name it passes, if any.
    pub fn argument(&self) -> Option<&str> {
        match self {
            Query::IsTracked(n) | Query::IsFinalized(n) => Some(n),
            _ => None,
        }
    }

    /// The oldest modelled version whose `gc` module has the function: `gc.get_stats()` came
    /// in 3.4 (3.6 here), `gc.get_freeze_count()` in 3.7, `gc.is_finalized()` in 3.9.
    pub fn since(&self) -> Version {
        match self {
            Query::Count | Query::Threshold | Query::IsTracked(_) => Version::V2_7,
            Query::Stats => Version::V3_6,
            Query::FreezeCount => Version::V3_7,
            Query::IsFinalized(_) => Version::V3_9,
        }
    }
}

impl fmt::Display for Query {
    /// The call as Python writes it: `gc.get_count()`, `gc.is_tracked(a)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gc.{}({})",
            self.function(),
            self.argument().unwrap_or_default()
        )
    }
}

/// One statement of the scenario language (see `docs/scenarios.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    /// `x = C()`
    New { target: String, class: String },
    /// `x = []`, `x = [a, b]`
    NewList { target: String, items: Vec<Value> },
    /// `x = {}`, `x = {'k': a}`
    NewDict {
        target: String,
        items: Vec<(String, Value)>,
    },
    /// `x = (a, b)`, `x = (a,)`, `x = ()`
    NewTuple { target: String, items: Vec<Value> },
    /// `x = y`, `x = None`, `x = 1`
    Assign { target: String, value: Value },
    /// `x.attr = VALUE`, `self.attr = VALUE`, `gc.garbage[i].attr = VALUE`
    SetAttr {
        obj: Target,
        attr: String,
        value: Value,
    },
    /// `x['k'] = VALUE`
    SetItem {
        obj: String,
        key: String,
        value: Value,
    },
    /// `x.append(VALUE)`
    Append { obj: String, value: Value },
    /// `x.name()` (a method of the object's class, or an attribute holding a bound method),
    /// `self.name()`, or `f()` (a name holding a bound method): a call whose result is dropped.
    Call { obj: Option<String>, name: String },
    /// `del x`
    DelName(String),
    /// `del x.attr`
    DelAttr { obj: Target, attr: String },
    /// `del x['k']`
    DelKey { obj: String, key: String },
    /// `del x[i]`
    DelIndex { obj: String, index: i64 },
    /// `w = weakref.ref(x)`, `w = weakref.ref(x, callback)` (the harness's callback, which only
    /// records its call: `Some("callback")`), `w = weakref.ref(x, NAME)` (a function of
    /// `callbacks:`)
    WeakRef {
        target: String,
        referent: String,
        callback: Option<String>,
    },
    /// `gc.garbage.append(VALUE)`: append to the list the module attribute holds
    GarbageAppend(Value),
    /// `x = gc.garbage[i]`: bind an item of the list the module attribute holds
    FromGarbage { target: String, index: i64 },
    /// `gc.collect()` (None) or `gc.collect(n)`
    Collect(Option<u8>),
    /// `gc.enable()`
    Enable,
    /// `gc.disable()`
    Disable,
    /// `gc.set_debug(gc.DEBUG_SAVEALL)` (true) or `gc.set_debug(0)` (false)
    SetDebug { saveall: bool },
    /// `gc.set_threshold(t0[, t1[, t2]])`
    SetThreshold(Vec<i64>),
    /// `gc.freeze()`
    Freeze,
    /// `gc.unfreeze()`
    Unfreeze,
    /// `gc.get_count()`, `gc.is_tracked(x)`, …: a call whose value the trace records.
    Query(Query),
    /// `del gc.garbage[:]`
    ClearGarbage,
    /// `gc.garbage = []`
    RebindGarbage,
    /// `pass`
    Pass,
    /// `global g, h` (only in `__del__` and callback bodies)
    Global(Vec<String>),
    /// `raise RuntimeError()` (only in `__del__` and callback bodies)
    Raise,
    /// `- repeat: N` with `steps:`: run the body N times (top level only).
    Repeat { count: u64, body: Vec<Step> },
    /// `- random_edges: {list: L, attrs: [a, b], seed: S}` (top level or in `repeat:` blocks):
    /// for each element of the list `L` (its length read once, before the loop) and each
    /// attribute in order, advance the LCG [`crate::util::lcg`] from `seed` and store
    /// `L[i].attr = L[(x >> 33) % n]`, as the equivalent Python loop does.
    RandomEdges {
        list: String,
        attrs: Vec<String>,
        seed: u64,
    },
}

/// A statement with where it stands in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub stmt: Stmt,
    /// The statement text as written.
    pub text: String,
    pub pos: Pos,
}

/// A method of a scenario class (`methods:`): `def NAME(self):` with a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodDef {
    pub name: String,
    /// The body; `self` is its parameter.
    pub body: Vec<Step>,
    pub pos: Pos,
}

/// A scenario class: always a new-style class with `object` as its base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassDef {
    pub name: String,
    /// The body of `def __del__(self)`, if the class has one.
    pub del: Option<Vec<Step>>,
    /// The methods of `methods:`, in file order.
    pub methods: Vec<MethodDef>,
    /// `__slots__`, if given (instances then have no `__dict__`).
    pub slots: Option<Vec<String>>,
    pub pos: Pos,
}

impl ClassDef {
    /// The index of method `name` in [`ClassDef::methods`].
    pub fn method_index(&self, name: &str) -> Option<usize> {
        self.methods.iter().position(|m| m.name == name)
    }
    /// Whether instances can be weakly referenced (no `__slots__`, or `__weakref__` among them).
    pub fn weakrefable(&self) -> bool {
        match &self.slots {
            None => true,
            Some(s) => s.iter().any(|n| n == "__weakref__"),
        }
    }
    /// Whether instances carry a `__dict__` (no `__slots__`, or `__dict__` among them).
    pub fn has_dict(&self) -> bool {
        match &self.slots {
            None => true,
            Some(s) => s.iter().any(|n| n == "__dict__"),
        }
    }
    /// Slot names that hold attribute values (not `__dict__`/`__weakref__`), sorted as CPython
    /// sorts them in `type_new`.
    pub fn value_slots(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .slots
            .iter()
            .flatten()
            .filter(|n| *n != "__dict__" && *n != "__weakref__")
            .cloned()
            .collect();
        v.sort();
        v
    }
}

/// The name of the harness's own weakref callback (`weakref.ref(x, callback)`), which only
/// records that it ran.
pub const BUILTIN_CALLBACK: &str = "callback";

/// A function of `callbacks:`: `def NAME(wr):` with a body, for `weakref.ref(x, NAME)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackDef {
    pub name: String,
    /// The body; `wr` is its parameter (the weakref).
    pub body: Vec<Step>,
    pub pos: Pos,
}

/// A loaded, validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from.
    pub path: PathBuf,
    /// Its name below `scenarios/`, without `.yaml`: `seed/cycle_with_del`.
    pub id: String,
    pub description: String,
    /// Empty means every version.
    pub versions: Vec<VersionRange>,
    pub classes: Vec<ClassDef>,
    /// `callbacks:`, in file order.
    pub callbacks: Vec<CallbackDef>,
    pub steps: Vec<Step>,
    /// `trace: summary`: traces count objects instead of listing every label.
    pub summary: bool,
    /// `record: collections`: every collection that runs is a trace event (through
    /// `gc.callbacks`, 2.7 `gc.DEBUG_STATS`).
    pub record_collections: bool,
}

impl Stmt {
    /// The oldest modelled version that has what the statement calls (`gc.freeze()` and
    /// `gc.unfreeze()` 3.7; the queries per [`Query::since`]); `None` for statements every
    /// version has.
    pub fn since(&self) -> Option<Version> {
        match self {
            Stmt::Freeze | Stmt::Unfreeze => Some(Version::V3_7),
            Stmt::Query(q) if q.since() > Version::V2_7 => Some(q.since()),
            _ => None,
        }
    }
}

impl Scenario {
    /// Whether the scenario applies to this version (its `versions:` list).
    pub fn applies_to(&self, v: Version) -> bool {
        self.versions.is_empty() || self.versions.iter().any(|r| r.contains(v))
    }
    /// The versions the scenario applies to, oldest first.
    pub fn applicable_versions(&self) -> Vec<Version> {
        Version::ALL
            .into_iter()
            .filter(|v| self.applies_to(*v))
            .collect()
    }
    pub fn class(&self, name: &str) -> Option<&ClassDef> {
        self.classes.iter().find(|c| c.name == name)
    }
    /// The index of the `callbacks:` function `name`.
    pub fn callback_index(&self, name: &str) -> Option<usize> {
        self.callbacks.iter().position(|c| c.name == name)
    }
    /// Every body: `__del__` bodies in class order, then callback bodies, then method bodies
    /// (class by class, in file order).
    pub fn bodies(&self) -> impl Iterator<Item = &[Step]> {
        self.classes
            .iter()
            .filter_map(|c| c.del.as_deref())
            .chain(self.callbacks.iter().map(|c| c.body.as_slice()))
            .chain(
                self.classes
                    .iter()
                    .flat_map(|c| c.methods.iter().map(|m| m.body.as_slice())),
            )
    }

    /// Whether `name` is a method of some scenario class (then `x.name` reads a bound method,
    /// and no statement may store or delete an attribute of that name).
    pub fn is_method_name(&self, name: &str) -> bool {
        self.classes.iter().any(|c| c.method_index(name).is_some())
    }

    /// Every statement of the scenario: the steps (with the bodies of `repeat:` blocks) in
    /// order, then the bodies ([`Scenario::bodies`]: `__del__` bodies class by class, then
    /// callback bodies).
    pub fn statements(&self) -> impl Iterator<Item = &Stmt> {
        fn walk<'s>(steps: &'s [Step], out: &mut Vec<&'s Stmt>) {
            for s in steps {
                out.push(&s.stmt);
                if let Stmt::Repeat { body, .. } = &s.stmt {
                    walk(body, out);
                }
            }
        }
        let mut v = Vec::new();
        walk(&self.steps, &mut v);
        for body in self.bodies() {
            walk(body, &mut v);
        }
        v.into_iter()
    }

    /// Whether some statement turns automatic collection on (`gc.enable()`).
    pub fn can_enable(&self) -> bool {
        self.statements().any(|s| matches!(s, Stmt::Enable))
    }
}
