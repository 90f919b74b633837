//! The JSON Schema of scenario files (`docs/scenario.schema.json`), generated with `schemars`
//! from [`ScenarioFile`], a serde type that describes the YAML shape the loader accepts
//! (it mirrors the loader's own raw types in `scenario/check.rs`; the tests load every shipped
//! scenario through both).
//!
//! Editors that run yaml-language-server (VS Code's YAML extension, Neovim, Helix, …) complete
//! and check a scenario that starts with
//!
//! ```yaml
//! # yaml-language-server: $schema=../../docs/scenario.schema.json
//! ```
//!
//! The schema checks the shape, the version syntax and, with one regular expression, the
//! syntax of each statement; what needs the whole scenario (names defined before use, classes
//! that exist, `versions:` that a statement needs) is left to the loader, which reports it with
//! its line and column.

use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings, json_schema};
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Where the schema is checked in, relative to the crate root.
pub const SCHEMA_PATH: &str = "docs/scenario.schema.json";
/// The command that regenerates it.
pub const REGENERATE: &str = "cargo run -- schema --output docs/scenario.schema.json";

/// A NAME: an identifier that does not start with `_` (keywords are rejected by the loader).
pub const NAME_PATTERN: &str = "^[A-Za-z][A-Za-z0-9_]*$";

/// An item of `versions:`.
pub const VERSION_PATTERN: &str =
    r"^ *(2\.7|3\.(6|7|8|9|10|11|12|13))( *- *(2\.7|3\.(6|7|8|9|10|11|12|13))|\+)? *$";

/// The syntax of one statement of the scenario language (`docs/scenarios.md`), as one regular
/// expression (ECMA-262 and Rust `regex` alike).
pub fn statement_pattern() -> String {
    let s = " *";
    let name = "[A-Za-z][A-Za-z0-9_]*";
    let int = "-?(0|[1-9][0-9]*)";
    let value = format!("({name}|{int})");
    let key = r#"('[A-Za-z0-9_ .-]*'|"[A-Za-z0-9_ .-]*")"#;
    let values = format!("{value}({s},{s}{value})*");
    let list = format!(r"\[{s}({values}{s},?{s})?\]");
    let pair = format!("{key}{s}:{s}{value}");
    let dict = format!(r"\{{{s}({pair}({s},{s}{pair})*{s},?{s})?\}}");
    let tuple = format!(r"\({s}({value}{s},({s}{values}{s},?)?{s})?\)");
    let new = format!(r"{name}{s}\({s}\)");
    let weakref = format!(r"weakref{s}\.{s}ref{s}\({s}{name}{s}(,{s}callback{s})?\)");
    let garbage_item = format!(r"gc{s}\.{s}garbage{s}\[{s}{int}{s}\]");
    let gc_call = format!(
        r"gc{s}\.{s}(collect{s}\({s}([012]{s})?\)|(enable|disable|freeze|unfreeze){s}\({s}\)|set_debug{s}\({s}(gc{s}\.{s}DEBUG_SAVEALL|0){s}\)|set_threshold{s}\({s}{int}{s}(,{s}{int}{s}){{0,2}}\))"
    );
    let alternatives = [
        // x = C(), [..], {..}, (..), weakref.ref(..), VALUE
        format!("{name}{s}={s}({new}|{list}|{dict}|{tuple}|{weakref}|{value})"),
        // x.attr = VALUE, gc.garbage[i].attr = VALUE
        format!(r"({name}|{garbage_item}){s}\.{s}{name}{s}={s}{value}"),
        // x['k'] = VALUE
        format!(r"{name}{s}\[{s}{key}{s}\]{s}={s}{value}"),
        // x.append(VALUE)
        format!(r"{name}{s}\.{s}append{s}\({s}{value}{s}\)"),
        // del x, del x.attr, del x['k'], del x[i], del gc.garbage[:], del gc.garbage[i].attr
        format!(
            r"del +({name}({s}\.{s}{name}|{s}\[{s}({key}|{int}){s}\])?|gc{s}\.{s}garbage{s}\[{s}:{s}\]|{garbage_item}{s}\.{s}{name})"
        ),
        gc_call,
        // gc.garbage = []
        format!(r"gc{s}\.{s}garbage{s}={s}\[{s}\]"),
        "pass".to_string(),
        format!("global +{name}({s},{s}{name})*"),
        format!(r"raise +RuntimeError{s}\({s}\)"),
    ];
    format!("^{s}({}){s}$", alternatives.join("|"))
}

/// A scenario file: a tiny straight-line Python program whose garbage-collection behaviour
/// gcconform checks against real CPython, version by version (docs/scenarios.md).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "gcconform scenario")]
pub struct ScenarioFile {
    /// Free text: what the scenario shows, and what each CPython version really does.
    #[serde(default)]
    pub description: Option<String>,
    /// The versions the scenario applies to (default: all of 2.7, 3.6 … 3.13): a version
    /// (`3.12`), a range (`3.6-3.10`) or an open range (`3.7+`).
    #[serde(default)]
    pub versions: Option<Vec<VersionSpec>>,
    /// `full` (default): traces list every label. `summary`: runs of labels that share a
    /// name collapse (`__del__ a ×1000`, `alive: [a ×3, b]`), for scenarios with many objects.
    #[serde(default)]
    pub trace: Option<TraceMode>,
    /// The classes, by name; every class derives from `object`. `B: {}` (or `B:`) is a plain
    /// class.
    #[serde(default)]
    #[schemars(schema_with = "classes_schema")]
    pub classes: Option<BTreeMap<String, Option<ClassSpec>>>,
    /// The statements, run in order at module level, `repeat:` and `random_edges:` blocks.
    /// Quote a statement
    /// that contains `: ` (a dict display): - "x = {'k': a}".
    #[schemars(length(min = 1))]
    pub steps: Vec<StepItem>,
}

/// `trace:`: how traces show labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TraceMode {
    Full,
    Summary,
}

/// A step: a statement, a `repeat:` block, or a `random_edges:` block.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum StepItem {
    Statement(Statement),
    Repeat(RepeatBlock),
    RandomEdges(RandomEdgesBlock),
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
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]*$"))]
    pub list: String,
    /// The attributes set on each element, in this order.
    #[schemars(length(min = 1))]
    pub attrs: Vec<AttrName>,
    /// The generator's starting state: 0 to 2^64 - 1.
    pub seed: u64,
}

/// An attribute name: an identifier that does not start with `_`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct AttrName(#[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]*$"))] pub String);

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

/// The largest `repeat:` count the loader accepts.
pub const MAX_REPEAT: u64 = 10_000_000;

/// One class of the scenario.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassSpec {
    /// The body of `def __del__(self)`: one statement or a list of them. Inside it `self`
    /// is a name, and `global g`, `g.append(self)`, `self.attr = VALUE`, `del self.attr` and
    /// `raise RuntimeError()` are also allowed. Absent: the class has no finalizer.
    #[serde(rename = "__del__", default)]
    pub del: Option<DelBody>,
    /// `__slots__`: instances get these slots and no `__dict__` (unless `__dict__` is listed);
    /// `__weakref__` makes them weakly referenceable; `[]` gives a class that adds nothing to
    /// `object` (not a GC type before 3.8).
    #[serde(rename = "__slots__", default)]
    #[schemars(inner(pattern(r"^([A-Za-z][A-Za-z0-9_]*|__dict__|__weakref__)$")))]
    pub slots: Option<Vec<String>>,
}

/// The body of `__del__`: one statement or a list of them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum DelBody {
    One(Statement),
    Many(#[schemars(length(min = 1))] Vec<Statement>),
}

/// One statement of the scenario language.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct Statement(pub String);

impl JsonSchema for Statement {
    fn schema_name() -> Cow<'static, str> {
        "Statement".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "One statement (docs/scenarios.md). NAME: an identifier not starting with `_`; VALUE: a NAME, None or an integer; KEY: a quoted string of letters, digits, `_`, `-`, `.`, spaces. Forms: `x = C()`, `x = [a, 1]`, `x = {'k': a}`, `x = (a, b)`, `x = VALUE`, `x.attr = VALUE`, `x['k'] = VALUE`, `x.append(VALUE)`, `del x`, `del x.attr`, `del x['k']`, `del x[i]`, `w = weakref.ref(x)`, `w = weakref.ref(x, callback)`, `gc.collect()`, `gc.collect(0|1|2)`, `gc.enable()`, `gc.disable()`, `gc.set_debug(gc.DEBUG_SAVEALL)`, `gc.set_debug(0)`, `gc.set_threshold(t0[, t1[, t2]])`, `gc.freeze()`, `gc.unfreeze()` (3.7+), `del gc.garbage[:]`, `gc.garbage = []`, `gc.garbage[i].attr = VALUE`, `del gc.garbage[i].attr`, `pass`; in `__del__` also `global g` and `raise RuntimeError()`.",
            "pattern": statement_pattern(),
            "examples": ["b = B()", "b.cycle = with_del", "del b", "gc.collect()", "w = weakref.ref(a, callback)"]
        })
    }
}

/// An item of `versions:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct VersionSpec(pub String);

impl JsonSchema for VersionSpec {
    fn schema_name() -> Cow<'static, str> {
        "VersionSpec".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A CPython version (`3.12`), a range (`3.6-3.10`) or an open range (`3.7+`), from 2.7, 3.6 … 3.13. Quote it in YAML (\"3.10\"), or YAML reads a number.",
            "pattern": VERSION_PATTERN,
            "examples": ["3.12", "3.6-3.10", "3.7+"]
        })
    }
}

fn classes_schema(g: &mut SchemaGenerator) -> Schema {
    let spec = g.subschema_for::<ClassSpec>();
    json_schema!({
        "type": ["object", "null"],
        "propertyNames": { "pattern": NAME_PATTERN },
        "additionalProperties": { "anyOf": [spec, { "type": "null" }] }
    })
}

/// The schema, as pretty-printed JSON with a final newline (what is checked in).
pub fn schema_json() -> String {
    let generator = SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<ScenarioFile>();
    let mut value = schema.to_value();
    unwrap_descriptions(&mut value);
    let mut text = serde_json::to_string_pretty(&value).expect("a schema serializes");
    text.push('\n');
    text
}

/// Doc comments are wrapped at 100 columns; editors show descriptions as running text.
fn unwrap_descriptions(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "description"
                    && let serde_json::Value::String(s) = x
                {
                    *s = s.replace('\n', " ");
                } else {
                    unwrap_descriptions(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(unwrap_descriptions),
        _ => {}
    }
}

/// Read a scenario file's text into its raw shape (for tests and tools; the loader is
/// [`crate::scenario::load`]).
pub fn parse_shape(text: &str) -> Result<ScenarioFile, serde_yaml::Error> {
    serde_yaml::from_str(text)
}
