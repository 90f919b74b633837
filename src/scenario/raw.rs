//! The shape of a scenario file as serde reads it: the one copy of the file's raw types.
//!
//! The loader (`load.rs`) deserializes a file into [`RawScenario`] and then checks what serde
//! cannot (positions, statements, names); the JSON Schema (`schema.rs`) is derived from the same
//! types, whose doc comments are its descriptions, so the schema cannot drift from what the
//! loader accepts. The Rust names are the ones serde shows in its messages (`expected struct
//! RawClass`); the schema names (`ClassSpec`) are set with `#[schemars(rename)]`, or by the
//! hand-written schemas of `schema.rs` (`Statement`, `Body`, `DefBlock`).
//!
//! The loader reads `steps:` and the lists of function bodies ([`StrOrList`]) as plain YAML
//! values and checks them by hand (`steps.rs`), so that
//! every mistake in a step gets its own line and column; [`StepItem`] and the block types below
//! are the typed form of the same shape, which the schema describes and [`parse_shape`] reads.
//! [`RawScenario`] takes the step type as a parameter to serve both.

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::fmt;

/// A NAME: an identifier that does not start with `_` (keywords are rejected by the loader).
pub const NAME_PATTERN: &str = "^[A-Za-z][A-Za-z0-9_]*$";

/// A scenario file: a tiny straight-line Python program whose garbage-collection behaviour
/// gcconform checks against real CPython, version by version (docs/scenarios.md).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "gcconform scenario")]
pub struct RawScenario<S = Option<Vec<serde_yaml::Value>>> {
    /// Free text: what the scenario shows, and what each CPython version really does.
    #[serde(default)]
    pub description: Option<String>,
    /// The versions the scenario applies to (default: all of 2.7, 3.6 … 3.13): a version
    /// (`3.12`), a range (`3.6-3.10`) or an open range (`3.7+`).
    #[serde(default)]
    pub versions: Option<Vec<VersionSpec>>,
    /// The classes, by name; every class derives from `object`. `B: {}` (or `B:`) is a plain
    /// class.
    #[serde(default)]
    #[schemars(schema_with = "super::schema::classes_schema")]
    pub classes: Option<RawClasses>,
    /// Weakref callbacks, by name: each is the body of `def NAME(wr):` (one statement or a
    /// list), for `w = weakref.ref(x, NAME)`. Inside it `wr` is the weakref, and it may do
    /// what a `__del__` body does (`global g`, `raise RuntimeError()`, …).
    #[serde(default)]
    #[schemars(schema_with = "super::schema::callbacks_schema")]
    pub callbacks: Option<RawCallbacks>,
    /// The statements, run in order at module level, `repeat:` and `random_edges:` blocks.
    /// Quote a statement that contains `: ` (a dict display): - "x = {'k': a}".
    //
    // No `#[serde(default)]`: a missing `steps:` reads as `None` for the loader (which reports
    // it with its own message), fails `parse_shape`, and is required by the schema.
    #[schemars(length(min = 1))]
    pub steps: S,
    /// `full` (default): traces list every label. `summary`: runs of labels that share a
    /// name collapse (`__del__ a ×1000`, `alive: [a ×3, b]`), for scenarios with many objects.
    #[serde(default)]
    pub trace: Option<TraceMode>,
    /// `collections`: the trace records every collection that runs, automatic or explicit,
    /// where it ran (`collection 0: collected 4, uncollectable 0`), as CPython's `gc.callbacks`
    /// report it (2.7: `gc.DEBUG_STATS`).
    #[serde(default)]
    pub record: Option<RecordMode>,
}

/// A scenario file with its steps read into their typed form (see [`parse_shape`]).
pub type ScenarioFile = RawScenario<Vec<StepItem>>;

/// Read a scenario file's text into its typed raw shape (for tests and tools; the loader is
/// [`crate::scenario::load`]).
pub fn parse_shape(text: &str) -> Result<ScenarioFile, serde_yaml::Error> {
    serde_yaml::from_str(text)
}

/// `trace:`: how traces show labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TraceMode {
    Full,
    Summary,
}

/// `record:`: what the trace records besides the statements' events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RecordMode {
    /// Every collection, automatic or explicit, where it ran.
    Collections,
}

/// An item of `versions:` (its schema is written in `schema.rs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct VersionSpec(pub String);

/// One statement of the scenario language (its schema is written in `schema.rs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Statement(pub String);

/// `classes:`, in file order; duplicate names are kept so the checker can report them. `B:`
/// with nothing after it is `None`.
#[derive(Debug)]
pub struct RawClasses(pub Vec<(String, Option<RawClass>)>);

impl<'a> IntoIterator for &'a RawClasses {
    type Item = &'a (String, Option<RawClass>);
    type IntoIter = std::slice::Iter<'a, (String, Option<RawClass>)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<'de> Deserialize<'de> for RawClasses {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawClasses;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of class names to class specs")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<RawClasses, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    let spec: Option<RawClass> = m.next_value()?;
                    v.push((k, spec));
                }
                Ok(RawClasses(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// `callbacks:`, in file order; duplicate names are kept so the checker can report them.
/// `f:` with nothing after it is `None` (an error: a callback needs a body).
#[derive(Debug)]
pub struct RawCallbacks(pub Vec<(String, Option<StrOrList>)>);

impl<'de> Deserialize<'de> for RawCallbacks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawCallbacks;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of callback names to bodies (a statement or a list)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<RawCallbacks, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    let body: Option<StrOrList> = m.next_value()?;
                    v.push((k, body));
                }
                Ok(RawCallbacks(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// One class of the scenario.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ClassSpec")]
pub struct RawClass {
    /// The base classes, earlier classes of `classes:` in order (`class B(A, M):`); absent or
    /// `[]` is `object`. Instances inherit the bases' methods, `__del__` and layout.
    #[serde(default)]
    #[schemars(inner(regex(pattern = NAME_PATTERN)))]
    pub bases: Option<Vec<String>>,
    /// The body of `def __del__(self)`: one statement or a list of them. Inside it `self`
    /// is a name, and `global g`, `g.append(self)`, `self.attr = VALUE`, `del self.attr` and
    /// `raise RuntimeError()` are also allowed. Absent: the class has no finalizer.
    #[serde(rename = "__del__", default)]
    pub del: Option<StrOrList>,
    /// `__slots__`: instances get these slots and no `__dict__` (unless `__dict__` is listed);
    /// `__weakref__` makes them weakly referenceable; `[]` gives a class that adds nothing to
    /// `object` (not a GC type before 3.8).
    #[serde(rename = "__slots__", default)]
    #[schemars(inner(pattern(r"^([A-Za-z][A-Za-z0-9_]*|__dict__|__weakref__)$")))]
    pub slots: Option<Vec<String>>,
    /// Methods, by name: each is the body of `def NAME(self):` (one statement or a list), with
    /// the scope rules of a `__del__` body. `x.NAME` reads a bound method, `x.NAME()` calls it.
    #[serde(default)]
    #[schemars(schema_with = "super::schema::callbacks_schema")]
    pub methods: Option<RawCallbacks>,
    /// Static methods, by name: each is the body of `@staticmethod def NAME():` (no
    /// parameter). `x.NAME` and `A.NAME` read the function itself, `x.NAME()` and `A.NAME()`
    /// call it.
    #[serde(default)]
    #[schemars(schema_with = "super::schema::callbacks_schema")]
    pub staticmethods: Option<RawCallbacks>,
    /// Class methods, by name: each is the body of `@classmethod def NAME(cls):`, where `cls`
    /// is the class it was called through. `x.NAME` and `A.NAME` read a new bound method of
    /// the class, `x.NAME()` and `A.NAME()` call it.
    #[serde(default)]
    #[schemars(schema_with = "super::schema::callbacks_schema")]
    pub classmethods: Option<RawCallbacks>,
}

/// A function body (`__del__`, a method, a callback): one statement, or a list of steps
/// (statements and `- def NAME(PARAMS):` blocks), kept as YAML values for the step reader
/// ([`super::steps`]), which reports each mistake at its own line and column. Its schema is
/// written in `schema.rs`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum StrOrList {
    One(Statement),
    Many(Vec<serde_yaml::Value>),
}

/// The largest `repeat:` count.
pub const MAX_REPEAT: u64 = 10_000_000;

/// A step: a statement, a `repeat:` block, or a `random_edges:` block.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StepItem {
    Statement(Statement),
    Repeat(RepeatBlock),
    RandomEdges(RandomEdgesBlock),
    Class(ClassBlock),
    Def(DefBlock),
    Try(TryBlock),
}

/// `- try:` with its body, `except E [as n]:` handlers and `finally:`: one mapping whose first
/// key is `try` (its schema is written in `schema.rs`; the loader checks the rest).
#[derive(Debug)]
pub struct TryBlock(pub Vec<(String, DefBody)>);

impl<'de> Deserialize<'de> for TryBlock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TryBlock;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a `try:` block: `try:`, then `except E:` handlers and `finally:`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<TryBlock, A::Error> {
                let mut v: Vec<(String, DefBody)> = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    let body: DefBody = m.next_value()?;
                    v.push((k, body));
                }
                match v.first() {
                    Some((k, _)) if k.trim() == "try" => Ok(TryBlock(v)),
                    _ => Err(serde::de::Error::custom(
                        "a `try:` block starts with `try:`",
                    )),
                }
            }
        }
        d.deserialize_map(V)
    }
}

/// `- class NAME(BASES): pass` written without quotes, which YAML reads as a one-entry mapping
/// from the header to `pass` (its schema is written in `schema.rs`); the statement is
/// [`ClassBlock::statement`].
#[derive(Debug)]
pub struct ClassBlock {
    pub header: String,
    pub body: Statement,
}

impl ClassBlock {
    /// The class statement as one line: `class C(A): pass`.
    pub fn statement(&self) -> String {
        format!("{}: {}", self.header.trim(), self.body.0.trim())
    }
}

impl<'de> Deserialize<'de> for ClassBlock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = std::collections::BTreeMap::<String, Statement>::deserialize(d)?;
        let mut entries = m.into_iter();
        match (entries.next(), entries.next()) {
            (Some((header, body)), None) if header.trim_start().starts_with("class ") => {
                Ok(ClassBlock { header, body })
            }
            _ => Err(serde::de::Error::custom(
                "not a class statement (`class NAME(BASES): pass`)",
            )),
        }
    }
}

/// `- def NAME(PARAMS):` with its body: a one-entry mapping from the header to a statement or
/// a list of steps (its schema is written in `schema.rs`).
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct DefBlock(pub std::collections::BTreeMap<String, DefBody>);

/// The body of a `def`: one statement or a list of steps.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum DefBody {
    One(Statement),
    Many(Vec<StepItem>),
}

/// `- repeat: N` with `steps:`: run the steps N times (top level only; blocks nest up to 4
/// deep).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepeatBlock {
    /// How many times: 1 to 10,000,000.
    #[schemars(range(min = 1, max = MAX_REPEAT))]
    pub repeat: u64,
    /// The statements (and `repeat:` blocks) to repeat.
    #[schemars(length(min = 1))]
    pub steps: Vec<StepItem>,
}

/// `- random_edges:` with `list:`, `attrs:`, `seed:`: for each element `L[i]` of the list
/// (its length `n` read once) and each attribute in order, advance the 64-bit LCG
/// `x = (x * 6364136223846793005 + 1442695040888963407) mod 2^64` (starting from the seed) and
/// set `L[i].attr = L[(x >> 33) % n]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RandomEdgesBlock {
    pub random_edges: RandomEdges,
}

/// The settings of a `random_edges:` block.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RandomEdges {
    /// The NAME of a list.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub list: String,
    /// The attributes set on each element, in this order.
    #[schemars(length(min = 1))]
    pub attrs: Vec<AttrName>,
    /// The generator's starting state: 0 to 2^64 - 1.
    pub seed: u64,
}

/// An attribute name: an identifier that does not start with `_`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AttrName(#[schemars(regex(pattern = NAME_PATTERN))] pub String);
