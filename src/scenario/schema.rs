//! The JSON Schema of scenario files (`docs/scenario.schema.json`), derived with `schemars` from
//! the raw types the loader reads (`raw.rs`): their doc comments are its descriptions, their
//! serde attributes its keys. What the types cannot say is written here: the patterns of a
//! NAME, of a version (built from [`Version::ALL`]) and of a statement, and the schemas of the
//! two string types that carry them. Kept apart from the types so that the types read as the
//! file's shape and the regular expressions sit in one place.
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

use super::raw::{RawClass, ScenarioFile, Statement, VersionSpec};
use crate::version::Version;
use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings, json_schema};
use std::borrow::Cow;

/// Where the schema is checked in, relative to the crate root.
pub const SCHEMA_PATH: &str = "docs/scenario.schema.json";
/// The command that regenerates it.
pub const REGENERATE: &str = "cargo run -- schema --output docs/scenario.schema.json";

/// The first line that lets editors check a scenario against the schema, for a file whose
/// directory is `depth` levels below the checkout (2 for `scenarios/dir/file.yaml`).
pub fn modeline(depth: usize) -> String {
    format!(
        "# yaml-language-server: $schema={}{SCHEMA_PATH}\n",
        "../".repeat(depth)
    )
}

pub use super::raw::NAME_PATTERN;

/// An item of `versions:`: a version, a range or an open range of [`Version::ALL`]
/// (`^ *(2\.7|3\.(6|7|…|13))( *- *(…)|\+)? *$`).
pub fn version_pattern() -> String {
    // One alternative per major version: `2\.7`, `3\.(6|7|…|13)`.
    let mut majors: Vec<(u32, Vec<u32>)> = Vec::new();
    for v in Version::ALL {
        let (major, minor) = v.major_minor();
        match majors.last_mut() {
            Some((m, minors)) if *m == major => minors.push(minor),
            _ => majors.push((major, vec![minor])),
        }
    }
    let version = majors
        .iter()
        .map(|(major, minors)| match minors.as_slice() {
            [minor] => format!(r"{major}\.{minor}"),
            _ => {
                let minors: Vec<String> = minors.iter().map(u32::to_string).collect();
                format!(r"{major}\.({})", minors.join("|"))
            }
        })
        .collect::<Vec<_>>()
        .join("|");
    format!(r"^ *({version})( *- *({version})|\+)? *$")
}

/// A character class of identifier characters (`[A-Za-z0-9_]`, or letters only) without `c`.
fn class_without(c: char, first: bool) -> String {
    let chars = ('A'..='Z')
        .chain('a'..='z')
        .chain(
            if first { None } else { Some('0'..='9') }
                .into_iter()
                .flatten(),
        )
        .chain(if first { None } else { Some('_') });
    let kept: String = chars.filter(|x| *x != c).collect();
    format!("[{kept}]")
}

/// An identifier (first character a letter) that is none of `words` (regular expressions have
/// no negative look-ahead in ECMA-262's common subset with Rust's `regex`: spelt out).
fn name_except(words: &[&str]) -> String {
    let rest = "[A-Za-z0-9_]*";
    let firsts: Vec<char> = words.iter().filter_map(|w| w.chars().next()).collect();
    let other_first: String = ('A'..='Z')
        .chain('a'..='z')
        .filter(|c| !firsts.contains(c))
        .collect();
    let mut alts = vec![format!("[{other_first}]{rest}")];
    for w in words {
        let cs: Vec<char> = w.chars().collect();
        for i in 1..cs.len() {
            let prefix: String = cs[..i].iter().collect();
            // A proper prefix of the word, alone or going another way at position i.
            alts.push(format!("{prefix}({}{rest})?", class_without(cs[i], false)));
        }
        alts.push(format!("{w}[A-Za-z0-9_]+"));
    }
    format!("({})", alts.join("|"))
}

/// The syntax of one statement of the scenario language (`docs/scenarios.md`), as one regular
/// expression (ECMA-262 and Rust `regex` alike).
pub fn statement_pattern() -> String {
    let s = " *";
    let name = "[A-Za-z][A-Za-z0-9_]*";
    let int = "-?(0|[1-9][0-9]*)";
    let value = format!("({name}({s}\\.{s}{name})?|{int})");
    let not_gc = name_except(&["gc", "weakref"]);
    let args = format!(r"\({s}({value}({s},{s}{value})*)?{s}\)");
    let key = r#"('[A-Za-z0-9_ .-]*'|"[A-Za-z0-9_ .-]*")"#;
    let values = format!("{value}({s},{s}{value})*");
    let list = format!(r"\[{s}({values}{s},?{s})?\]");
    let pair = format!("{key}{s}:{s}{value}");
    let dict = format!(r"\{{{s}({pair}({s},{s}{pair})*{s},?{s})?\}}");
    let tuple = format!(r"\({s}({value}{s},({s}{values}{s},?)?{s})?\)");
    let new = format!(r"{name}{s}\({s}\)");
    let set_display = format!(r"\{{{s}{values}{s},?{s}\}}");
    let set_call = format!(r"(set|frozenset){s}\({s}({list}{s})?\)");
    let weakref = format!(r"weakref{s}\.{s}(ref|proxy){s}\({s}{name}{s}(,{s}{name}{s})?\)");
    let garbage_item = format!(r"gc{s}\.{s}garbage{s}\[{s}{int}{s}\]");
    let gc_call = format!(
        r"gc{s}\.{s}(collect{s}\({s}([012]{s})?\)|(enable|disable|freeze|unfreeze|get_count|get_threshold|get_freeze_count|get_stats){s}\({s}\)|(is_tracked|is_finalized){s}\({s}{name}{s}\)|set_debug{s}\({s}(gc{s}\.{s}DEBUG_SAVEALL|0){s}\)|set_threshold{s}\({s}{int}{s}(,{s}{int}{s}){{0,2}}\))"
    );
    let alternatives = [
        // x = C(), [..], {..}, (..), {a, b}, set([..]), weakref.ref(..), weakref.proxy(..), VALUE
        format!(
            "{name}{s}={s}({new}|{list}|{dict}|{tuple}|{set_display}|{set_call}|{weakref}|{garbage_item}|{value})"
        ),
        // s.add(VALUE), s.discard(VALUE)
        format!(r"{name}{s}\.{s}(add|discard){s}\({s}{value}{s}\)"),
        // gc.garbage.append(VALUE)
        format!(r"gc{s}\.{s}garbage{s}\.{s}append{s}\({s}{value}{s}\)"),
        // x.__class__ = B
        format!(r"{name}{s}\.{s}__class__{s}={s}{name}"),
        // e.__traceback__ = None
        format!(r"{name}{s}\.{s}__traceback__{s}={s}None"),
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
        // x.method(), f(a, 1), y = f(a), y = x.method() (the callee is not `gc`)
        format!(r"({name}{s}={s})?{not_gc}({s}\.{s}{name})?{s}{args}"),
        format!("return( +{value})?"),
        format!("nonlocal +{name}({s},{s}{name})*"),
        "pass".to_string(),
        format!("global +{name}({s},{s}{name})*"),
        // raise RuntimeError(), raise E(), raise x, raise
        format!(r"raise( +{name}({s}\({s}\))?( +from +{name})?)?"),
        // class C: pass, class C(A, B): pass
        format!(r"class +{name}({s}\({s}({name}({s},{s}{name})*{s},?{s})?\))?{s}:{s}pass"),
        // C = type('C', (A,), {})
        format!(r"{name}{s}={s}type{s}\({s}{key}{s},{s}{tuple}{s},{s}\{{{s}\}}{s}\)"),
    ];
    format!("^{s}({}){s}$", alternatives.join("|"))
}

impl JsonSchema for Statement {
    fn schema_name() -> Cow<'static, str> {
        "Statement".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "One statement (docs/scenarios.md). NAME: an identifier not starting with `_`; VALUE: a NAME, `x.method` (a new bound method), None or an integer; KEY: a quoted string of letters, digits, `_`, `-`, `.`, spaces. Forms: `x = C()`, `x = [a, 1]`, `x = {'k': a}`, `x = (a, b)`, `x = {a, b}`, `x = set()`, `x = set([a, b])`, `x = frozenset([a, b])` (items: instances of scenario classes), `s.add(x)`, `s.discard(x)`, `x = VALUE`, `x.attr = VALUE`, `x.__class__ = B` (a class of `classes:` whose layout CPython accepts), `x['k'] = VALUE`, `x.append(VALUE)`, `del x`, `del x.attr`, `del x['k']`, `del x[i]`, `w = weakref.ref(x)`, `w = weakref.ref(x, callback)`, `w = weakref.ref(x, NAME)` (NAME a function of `callbacks:`), `p = weakref.proxy(x)`, `p = weakref.proxy(x, callback)`, `p = weakref.proxy(x, NAME)` (a proxy: a value, through which the language reads and writes nothing), `gc.collect()`, `gc.collect(0|1|2)`, `gc.enable()`, `gc.disable()`, `gc.set_debug(gc.DEBUG_SAVEALL)`, `gc.set_debug(0)`, `gc.set_threshold(t0[, t1[, t2]])`, `gc.freeze()`, `gc.unfreeze()` (3.7+), and, traced with their value, `gc.get_count()`, `gc.get_threshold()`, `gc.is_tracked(x)`, `gc.is_finalized(x)` (3.9+), `gc.get_freeze_count()` (3.7+), `gc.get_stats()` (3.6+), `del gc.garbage[:]`, `gc.garbage = []`, `gc.garbage[i].attr = VALUE`, `del gc.garbage[i].attr`, `gc.garbage.append(VALUE)`, `x = gc.garbage[i]`, `x.method()`, `f(a, 1)` and `y = f(a)` (a function or a bound method), `pass`, and at the top level of the steps the class statements `class C(A, B): pass` (quoted, or unquoted as a mapping) and `C = type('C', (A,), {})`; in `def` bodies also `return [VALUE]` and (3.x) `nonlocal n`; in `__del__`, callback and method bodies also `global g` and `raise RuntimeError()`; in steps, `def` and method bodies `raise E()`, `raise x`, (3.x) `raise E() from x` / `from None`, and (in an `except` block) `raise`, with `E` an exception class (`bases: [Exception]`).",
            "pattern": statement_pattern(),
            "examples": ["b = B()", "b.cycle = with_del", "del b", "gc.collect()", "w = weakref.ref(a, callback)"]
        })
    }
}

impl JsonSchema for super::raw::StrOrList {
    fn schema_name() -> Cow<'static, str> {
        "Body".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let statement = g.subschema_for::<Statement>();
        let def = g.subschema_for::<super::raw::DefBlock>();
        let try_block = g.subschema_for::<super::raw::TryBlock>();
        json_schema!({
            "description": "A function body (`__del__`, a method, a callback): one statement, or a list of statements, `- def NAME(PARAMS):` blocks (functions defined in the body, closures over its names) and (in methods) `- try:` blocks.",
            "anyOf": [statement, { "type": "array", "minItems": 1, "items": { "anyOf": [statement, def, try_block] } }]
        })
    }
}

impl JsonSchema for super::raw::ClassBlock {
    fn schema_name() -> Cow<'static, str> {
        "ClassBlock".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let name = "[A-Za-z][A-Za-z0-9_]*";
        json_schema!({
            "type": "object",
            "description": "`- class NAME(BASES): pass` without quotes (YAML reads a mapping): a class statement among the steps. BASES are classes of `classes:` or of earlier class statements, or nothing (object).",
            "minProperties": 1,
            "maxProperties": 1,
            "patternProperties": {
                format!("^ *class +{name}( *\\( *({name}( *, *{name})* *,?)? *\\))? *$"): {
                    "type": "string",
                    "pattern": "^ *pass *$"
                }
            },
            "additionalProperties": false
        })
    }
}

impl JsonSchema for super::raw::TryBlock {
    fn schema_name() -> Cow<'static, str> {
        "TryBlock".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let statement = g.subschema_for::<Statement>();
        let step = g.subschema_for::<super::raw::StepItem>();
        let name = "[A-Za-z][A-Za-z0-9_]*";
        let body = json_schema!({ "anyOf": [statement, { "type": "array", "minItems": 1, "items": step }] });
        json_schema!({
            "type": "object",
            "description": "`- try:` with its body, then `except E:` or `except E as NAME:` handlers (E an exception class of `classes:`) and a `finally:` block, in that order, as keys of one mapping; at least one handler or `finally:`.",
            "required": ["try"],
            "properties": { "try": body.clone(), "finally": body.clone() },
            "patternProperties": {
                format!("^ *except +{name}( +as +{name})? *$"): body
            },
            "additionalProperties": false
        })
    }
}

impl JsonSchema for super::raw::DefBlock {
    fn schema_name() -> Cow<'static, str> {
        "DefBlock".into()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let statement = g.subschema_for::<Statement>();
        let step = g.subschema_for::<super::raw::StepItem>();
        let name = "[A-Za-z][A-Za-z0-9_]*";
        let value = format!("({name}( *\\. *{name})?|-?(0|[1-9][0-9]*))");
        let param = format!("{name}( *= *{value})?");
        json_schema!({
            "type": "object",
            "description": "`- def NAME(PARAMS):` with its body (a statement or a list of steps): a function definition. Parameters are NAMEs, with `=VALUE` defaults last.",
            "minProperties": 1,
            "maxProperties": 1,
            "patternProperties": {
                format!("^ *def +{name} *\\( *({param}( *, *{param})*)? *\\) *$"): {
                    "anyOf": [statement, { "type": "array", "minItems": 1, "items": step }]
                }
            },
            "additionalProperties": false
        })
    }
}

impl JsonSchema for VersionSpec {
    fn schema_name() -> Cow<'static, str> {
        "VersionSpec".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "A CPython version (`3.12`), a range (`3.6-3.10`) or an open range (`3.7+`), from 2.7, 3.6 … 3.13. Quote it in YAML (\"3.10\"), or YAML reads a number.",
            "pattern": version_pattern(),
            "examples": ["3.12", "3.6-3.10", "3.7+"]
        })
    }
}

/// `classes:`: a mapping from NAMEs to class specs (or nothing), or nothing. Written here because
/// [`super::raw::RawClasses`] is read by hand (in file order, keeping duplicates for the loader
/// to report).
pub(super) fn classes_schema(g: &mut SchemaGenerator) -> Schema {
    let spec = g.subschema_for::<RawClass>();
    json_schema!({
        "type": ["object", "null"],
        "propertyNames": { "pattern": NAME_PATTERN },
        "additionalProperties": { "anyOf": [spec, { "type": "null" }] }
    })
}

/// `callbacks:`: a mapping from NAMEs to bodies (a statement or a non-empty list), read by hand
/// as `classes:` is ([`super::raw::RawCallbacks`]).
pub(super) fn callbacks_schema(g: &mut SchemaGenerator) -> Schema {
    let body = g.subschema_for::<super::raw::StrOrList>();
    json_schema!({
        "type": ["object", "null"],
        "propertyNames": { "pattern": NAME_PATTERN },
        "additionalProperties": body
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
