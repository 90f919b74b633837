//! YAML → validated [`Scenario`]: structure (serde), statements (`parse`), then a static pass
//! over names and kinds so that mistakes are reported with their position before anything runs.

use super::ast::{ClassDef, Pos, Scenario, Step, Stmt, Target, Value};
use super::parse::parse_stmt;
use super::{Diagnostic, scenario_id};
use crate::version::{Version, VersionRange};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

/// Python keywords of 2.7 and 3.x, plus names that would change a program's meaning.
const RESERVED: &[&str] = &[
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "exec",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "print",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    "gc",
    "weakref",
    "callback",
    "object",
    "RuntimeError",
];

/// The largest number of statements (top level plus `__del__` bodies) a scenario may have.
pub const MAX_STATEMENTS: usize = 100_000;
/// At most this many names in one class's `__slots__` (the model keeps an instance's values in
/// 16-bit-counted blocks; CPython itself has no limit).
pub const MAX_SLOTS: usize = 1_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    versions: Option<Vec<String>>,
    #[serde(default)]
    classes: Option<RawClasses>,
    #[serde(default)]
    steps: Option<Vec<serde_yaml::Value>>,
    #[serde(default)]
    trace: Option<TraceMode>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum TraceMode {
    Full,
    Summary,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawClass {
    #[serde(rename = "__del__", default)]
    del: Option<StrOrList>,
    #[serde(rename = "__slots__", default)]
    slots: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum StrOrList {
    One(String),
    Many(Vec<String>),
}

/// Classes in file order; duplicate names are kept so the checker can report them.
struct RawClasses(Vec<(String, RawClass)>);

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
                    v.push((k, spec.unwrap_or_default()));
                }
                Ok(RawClasses(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// Finds where things stand in the source text (serde_yaml gives no spans for values).
struct Locator<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Locator<'a> {
    fn new(text: &'a str) -> Self {
        Locator {
            lines: text.lines().collect(),
        }
    }
    /// The first occurrence of `needle` at or after `from` (1-based), as a position.
    fn find(&self, needle: &str, from: Pos) -> Option<Pos> {
        if needle.is_empty() {
            return None;
        }
        let start_line = from.line.max(1);
        for (i, line) in self.lines.iter().enumerate().skip(start_line - 1) {
            let skip = if i + 1 == start_line {
                from.col.max(1) - 1
            } else {
                0
            };
            let chars: Vec<char> = line.chars().collect();
            if skip > chars.len() {
                continue;
            }
            let hay: String = chars[skip..].iter().collect();
            if let Some(b) = hay.find(needle) {
                let col = skip + hay[..b].chars().count() + 1;
                return Some(Pos { line: i + 1, col });
            }
        }
        None
    }
    /// Where a statement's text stands: verbatim if it can be found, else where its first word
    /// stands (YAML may have folded or unescaped it). The flag says whether it was verbatim.
    fn locate(&self, text: &str, from: Pos) -> (Pos, bool) {
        if let Some(p) = self.find(text, from) {
            return (p, true);
        }
        let first: String = text.split_whitespace().next().unwrap_or("").to_string();
        (self.find(&first, from).unwrap_or(from), false)
    }

    /// The line of a top-level key (`steps:`), if present.
    fn top_key(&self, key: &str) -> Option<Pos> {
        self.lines.iter().enumerate().find_map(|(i, l)| {
            let rest = l.strip_prefix(key)?;
            rest.trim_start().starts_with(':').then_some(Pos {
                line: i + 1,
                col: 1,
            })
        })
    }
}

fn advance(p: Pos, text: &str) -> Pos {
    Pos {
        line: p.line,
        col: p.col + text.chars().count().max(1),
    }
}

struct Checker<'a> {
    file: &'a Path,
    diags: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, pos: Pos, message: impl Into<String>) {
        self.diags.push(Diagnostic {
            file: self.file.to_path_buf(),
            pos,
            message: message.into(),
        });
    }
}

fn yaml_error_pos(e: &serde_yaml::Error) -> Pos {
    e.location()
        .map(|l| Pos {
            line: l.line(),
            col: l.column(),
        })
        .unwrap_or(Pos { line: 1, col: 1 })
}

pub(super) fn check(path: &Path, text: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let mut ck = Checker {
        file: path,
        diags: Vec::new(),
    };
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        ck.error(
            Pos { line: 1, col: 1 },
            "the file is empty: a scenario needs at least `steps:` with one statement",
        );
        return Err(ck.diags);
    }
    let raw: RawScenario = match serde_yaml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let mut pos = yaml_error_pos(&e);
            // serde_yaml may point past the end of the text; point at the last line instead.
            let last = text.lines().count().max(1);
            if pos.line > last {
                pos = Pos {
                    line: last,
                    col: text
                        .lines()
                        .last()
                        .map(|l| l.chars().count() + 1)
                        .unwrap_or(1),
                };
            }
            let mut msg = e.to_string();
            // serde_yaml appends " at line L column C"; the position is already in front.
            if let Some(i) = msg.find(" at line ") {
                msg.truncate(i);
            }
            let line_has_tab = text
                .lines()
                .nth(pos.line.saturating_sub(1))
                .is_some_and(|l| l.contains('\t'));
            if line_has_tab || (text.contains('\t') && msg.contains("tab")) {
                msg.push_str(" (a tab character: YAML indentation must use spaces, not tabs)");
            }
            if let Some(rest) = msg.strip_prefix("duplicate field `") {
                // serde_yaml gives no position: point at the second occurrence of the key.
                let key = rest.trim_end_matches('`').to_string();
                let hits: Vec<usize> = text
                    .lines()
                    .enumerate()
                    .filter(|(_, l)| {
                        l.strip_prefix(key.as_str())
                            .is_some_and(|r| r.trim_start().starts_with(':'))
                    })
                    .map(|(i, _)| i + 1)
                    .collect();
                if let Some(line) = hits.get(1) {
                    pos = Pos {
                        line: *line,
                        col: 1,
                    };
                }
                msg = format!("top-level key `{key}` appears twice (YAML keys must be unique)");
            }
            if msg.contains("mapping values are not allowed") {
                msg.push_str(
                    " (a statement that contains `: `, such as a dict display, must be quoted: - \"x = {'k': a}\")",
                );
            }
            if msg.contains("unknown field") {
                msg.push_str(
                    " (top level: description, versions, trace, classes, steps; class: __del__, __slots__)",
                );
            }
            ck.error(pos, msg);
            return Err(ck.diags);
        }
    };
    let loc = Locator::new(text);

    // versions
    let mut versions = Vec::new();
    let vpos = loc.top_key("versions").unwrap_or(Pos { line: 1, col: 1 });
    let mut cursor = vpos;
    for v in raw.versions.unwrap_or_default() {
        let pos = loc.find(&v, cursor).unwrap_or(cursor);
        cursor = advance(pos, &v);
        match v.parse::<VersionRange>() {
            Ok(r) => versions.push(r),
            Err(_) => ck.error(
                pos,
                format!(
                    "unknown version `{v}` in versions: write a version (`3.12`), a range (`3.6-3.10`) or an open range (`3.7+`), from 2.7, 3.6 … 3.13"
                ),
            ),
        }
    }

    // classes
    let cpos = loc.top_key("classes").unwrap_or(Pos { line: 1, col: 1 });
    let mut classes: Vec<ClassDef> = Vec::new();
    let mut cursor = cpos;
    let mut total_statements = 0usize;
    for (name, rc) in raw.classes.map(|c| c.0).unwrap_or_default() {
        let pos = loc
            .find(&format!("{name}:"), cursor)
            .or_else(|| loc.find(&name, cursor))
            .unwrap_or(cursor);
        cursor = advance(pos, &name);
        if let Some(msg) = bad_class_name(&name) {
            ck.error(pos, msg);
        }
        if classes.iter().any(|c| c.name == name) {
            ck.error(pos, format!("class `{name}` is defined twice"));
            continue;
        }
        let del = rc.del.map(|d| {
            let texts = match d {
                StrOrList::One(s) => vec![s],
                StrOrList::Many(v) => v,
            };
            let mut steps = Vec::new();
            for t in texts {
                let (p, verbatim) = loc.locate(t.trim(), cursor);
                cursor = advance(p, t.trim());
                total_statements += 1;
                if let Some(s) = parse_step(&mut ck, &t, p, verbatim) {
                    steps.push(s);
                }
            }
            steps
        });
        if let Some(slots) = &rc.slots
            && slots.len() > MAX_SLOTS
        {
            ck.error(
                pos,
                format!(
                    "class `{name}` lists {} names in __slots__; the limit is {MAX_SLOTS}",
                    slots.len()
                ),
            );
        }
        if let Some(slots) = &rc.slots {
            let mut seen = HashSet::new();
            for s in slots {
                let p = loc.find(s, pos).unwrap_or(pos);
                if s != "__dict__"
                    && s != "__weakref__"
                    && let Some(msg) = bad_name(s)
                {
                    ck.error(p, format!("in __slots__: {msg}"));
                }
                if !seen.insert(s.clone()) {
                    ck.error(
                        p,
                        format!("slot `{s}` is listed twice in __slots__ of `{name}`"),
                    );
                }
            }
        }
        classes.push(ClassDef {
            name,
            del,
            slots: rc.slots,
            pos,
        });
    }

    // steps
    let spos = loc.top_key("steps");
    let mut steps = Vec::new();
    match raw.steps {
        None => ck.error(
            Pos { line: 1, col: 1 },
            "missing `steps:`: a scenario needs a non-empty list of statements",
        ),
        Some(v) if v.is_empty() => ck.error(
            spos.unwrap_or(Pos { line: 1, col: 1 }),
            "`steps:` is empty: a scenario needs at least one statement",
        ),
        Some(v) => {
            let mut cursor = spos.unwrap_or(Pos { line: 1, col: 1 });
            steps = parse_steps(&mut ck, &loc, v, &mut cursor, 0, &mut total_statements);
        }
    }
    if unrolled(&steps) > MAX_UNROLLED {
        ck.error(
            spos.unwrap_or(Pos { line: 1, col: 1 }),
            format!(
                "with its `repeat:` blocks unrolled the scenario runs {} statements; the limit is {MAX_UNROLLED}",
                unrolled(&steps)
            ),
        );
    }
    if total_statements > MAX_STATEMENTS {
        ck.error(
            spos.unwrap_or(Pos { line: 1, col: 1 }),
            format!(
                "the scenario has {total_statements} statements; the limit is {MAX_STATEMENTS}"
            ),
        );
    }

    let scenario = Scenario {
        path: path.to_path_buf(),
        id: scenario_id(path),
        description: raw.description.unwrap_or_default(),
        versions,
        classes,
        steps,
        summary: raw.trace == Some(TraceMode::Summary),
    };
    if ck.diags.is_empty() {
        Semantics::new(&mut ck, &scenario).run();
    }
    if ck.diags.is_empty() {
        Ok(scenario)
    } else {
        Err(ck.diags)
    }
}

fn yaml_scalar(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Null => "null".to_string(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

/// The largest `repeat:` count.
pub const MAX_REPEAT: u64 = 10_000_000;
/// How deep `repeat:` blocks may nest.
pub const MAX_REPEAT_DEPTH: usize = 4;
/// The most statements a scenario may execute with its repeats unrolled (finalizers aside).
pub const MAX_UNROLLED: u64 = 50_000_000;

/// A list of steps: statements (strings) and `repeat:` blocks.
fn parse_steps(
    ck: &mut Checker,
    loc: &Locator,
    items: Vec<serde_yaml::Value>,
    cursor: &mut Pos,
    depth: usize,
    total: &mut usize,
) -> Vec<Step> {
    let mut steps = Vec::new();
    for item in items {
        *total += 1;
        match item {
            serde_yaml::Value::String(t) => {
                let (p, verbatim) = loc.locate(t.trim(), *cursor);
                *cursor = advance(p, t.trim());
                if let Some(s) = parse_step(ck, &t, p, verbatim) {
                    steps.push(s);
                }
            }
            serde_yaml::Value::Mapping(m)
                if m.contains_key(serde_yaml::Value::String("repeat".into())) =>
            {
                let p = loc.find("repeat", *cursor).unwrap_or(*cursor);
                *cursor = advance(p, "repeat");
                if let Some(s) = parse_repeat(ck, loc, m, p, cursor, depth, total) {
                    steps.push(s);
                }
            }
            serde_yaml::Value::Mapping(m)
                if m.contains_key(serde_yaml::Value::String("random_edges".into())) =>
            {
                let p = loc.find("random_edges", *cursor).unwrap_or(*cursor);
                *cursor = advance(p, "random_edges");
                if let Some(s) = parse_random_edges(ck, loc, m, p, cursor) {
                    steps.push(s);
                }
            }
            serde_yaml::Value::Mapping(m) if m.len() == 1 => {
                let (k, v) = m.into_iter().next().expect("one entry");
                let k = yaml_scalar(&k);
                let written = format!("{k}: {}", yaml_scalar(&v));
                let p = loc.find(&k, *cursor).unwrap_or(*cursor);
                *cursor = advance(p, &k);
                ck.error(
                    p,
                    format!(
                        "YAML read this step as a mapping (`{written}`) because it contains `: `; quote it: - \"{written}\""
                    ),
                );
            }
            other => {
                let shown = yaml_scalar(&other);
                let p = loc.find(&shown, *cursor).unwrap_or(*cursor);
                ck.error(
                    p,
                    format!(
                        "a step must be a statement written as a string, a `repeat:` block or a `random_edges:` block, found `{shown}`"
                    ),
                );
            }
        }
    }
    steps
}

/// `- repeat: N` with `steps: [...]`: the body runs N times.
fn parse_repeat(
    ck: &mut Checker,
    loc: &Locator,
    m: serde_yaml::Mapping,
    pos: Pos,
    cursor: &mut Pos,
    depth: usize,
    total: &mut usize,
) -> Option<Step> {
    let mut count = None;
    let mut body = None;
    for (k, v) in m {
        match (yaml_scalar(&k).as_str(), v) {
            ("repeat", serde_yaml::Value::Number(n)) => {
                match n.as_u64() {
                    Some(c) if (1..=MAX_REPEAT).contains(&c) => count = Some(c),
                    _ => {
                        ck.error(
                        pos,
                        format!("`repeat: {n}`: the count must be a whole number from 1 to {MAX_REPEAT}"),
                    );
                        return None;
                    }
                }
            }
            ("repeat", other) => {
                ck.error(
                    pos,
                    format!(
                        "`repeat:` takes a whole number, found `{}`",
                        yaml_scalar(&other)
                    ),
                );
                return None;
            }
            ("steps", serde_yaml::Value::Sequence(items)) if !items.is_empty() => {
                body = Some(items);
            }
            ("steps", _) => {
                ck.error(pos, "a `repeat:` block needs a non-empty `steps:` list");
                return None;
            }
            (other, _) => {
                ck.error(
                    pos,
                    format!("unknown key `{other}` in a `repeat:` block (keys: repeat, steps)"),
                );
                return None;
            }
        }
    }
    let Some(items) = body else {
        ck.error(pos, "a `repeat:` block needs a non-empty `steps:` list");
        return None;
    };
    if depth + 1 > MAX_REPEAT_DEPTH {
        ck.error(
            pos,
            format!("`repeat:` blocks nest more than {MAX_REPEAT_DEPTH} deep"),
        );
        return None;
    }
    let body = parse_steps(ck, loc, items, cursor, depth + 1, total);
    let count = count?;
    let text = format!("repeat: {count}");
    Some(Step {
        stmt: Stmt::Repeat { count, body },
        text,
        pos,
    })
}

/// The keys of a `random_edges:` block.
const RANDOM_EDGES_KEYS: &str = "list, attrs, seed";

/// `- random_edges:` with `list: NAME`, `attrs: [a, b]`, `seed: S` (0 to 2^64 - 1).
fn parse_random_edges(
    ck: &mut Checker,
    loc: &Locator,
    m: serde_yaml::Mapping,
    pos: Pos,
    cursor: &mut Pos,
) -> Option<Step> {
    let mut ok = true;
    let mut spec = None;
    for (k, v) in m {
        match (yaml_scalar(&k).as_str(), v) {
            ("random_edges", serde_yaml::Value::Mapping(inner)) => spec = Some(inner),
            ("random_edges", other) => {
                ck.error(
                    pos,
                    format!(
                        "`random_edges:` takes a mapping with the keys {RANDOM_EDGES_KEYS}, found `{}`",
                        yaml_scalar(&other)
                    ),
                );
                return None;
            }
            (other, _) => {
                let p = loc.find(other, pos).unwrap_or(pos);
                ck.error(
                    p,
                    format!(
                        "unknown key `{other}` next to `random_edges:` (its settings go inside it: {RANDOM_EDGES_KEYS})"
                    ),
                );
                ok = false;
            }
        }
    }
    let spec = spec?;
    let (mut list, mut attrs, mut seed) = (None, None, None);
    for (k, v) in spec {
        let key = yaml_scalar(&k);
        let kpos = loc.find(&format!("{key}:"), pos).unwrap_or(pos);
        match (key.as_str(), v) {
            ("list", serde_yaml::Value::String(n)) => {
                let p = loc.find(&n, kpos).unwrap_or(kpos);
                *cursor = later(*cursor, advance(p, &n));
                if let Some(msg) = bad_name(&n) {
                    ck.error(p, format!("`random_edges:` list: {msg}"));
                    ok = false;
                }
                list = Some(n);
            }
            ("list", other) => {
                ck.error(
                    kpos,
                    format!(
                        "`random_edges:` list: takes the NAME of a list, found `{}`",
                        yaml_scalar(&other)
                    ),
                );
                ok = false;
            }
            ("attrs", serde_yaml::Value::Sequence(items)) if !items.is_empty() => {
                let mut names = Vec::new();
                let mut from = kpos;
                for item in items {
                    let shown = yaml_scalar(&item);
                    let p = loc.find(&shown, from).unwrap_or(from);
                    from = advance(p, &shown);
                    *cursor = later(*cursor, from);
                    match item {
                        serde_yaml::Value::String(a) => {
                            if let Some(msg) = bad_attr(&a) {
                                ck.error(p, format!("`random_edges:` attrs: {msg}"));
                                ok = false;
                            }
                            names.push(a);
                        }
                        _ => {
                            ck.error(
                                p,
                                format!(
                                    "`random_edges:` attrs: `{shown}` is not an attribute name"
                                ),
                            );
                            ok = false;
                        }
                    }
                }
                attrs = Some(names);
            }
            ("attrs", other) => {
                ck.error(
                    kpos,
                    format!(
                        "`random_edges:` attrs: takes a non-empty list of attribute names, found `{}`",
                        yaml_scalar(&other)
                    ),
                );
                ok = false;
            }
            ("seed", serde_yaml::Value::Number(n)) if n.as_u64().is_some() => {
                seed = n.as_u64();
            }
            ("seed", other) => {
                ck.error(
                    kpos,
                    format!(
                        "`random_edges:` seed: takes a whole number from 0 to {}, found `{}`",
                        u64::MAX,
                        yaml_scalar(&other)
                    ),
                );
                ok = false;
            }
            (other, _) => {
                ck.error(
                    kpos,
                    format!(
                        "unknown key `{other}` in a `random_edges:` block (keys: {RANDOM_EDGES_KEYS})"
                    ),
                );
                ok = false;
            }
        }
    }
    for (key, missing) in [
        ("list", list.is_none()),
        ("attrs", attrs.is_none()),
        ("seed", seed.is_none()),
    ] {
        if missing && ok {
            ck.error(
                pos,
                format!("a `random_edges:` block needs `{key}:` (keys: {RANDOM_EDGES_KEYS})"),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    let (list, attrs, seed) = (list?, attrs?, seed?);
    let text = random_edges_text(&list, &attrs, seed);
    Some(Step {
        stmt: Stmt::RandomEdges { list, attrs, seed },
        text,
        pos,
    })
}

/// A `random_edges:` step as one line of YAML (flow style): its text in messages, and how the
/// fuzzer and the shrinker write it.
pub fn random_edges_text(list: &str, attrs: &[String], seed: u64) -> String {
    format!(
        "random_edges: {{list: {list}, attrs: [{}], seed: {seed}}}",
        attrs.join(", ")
    )
}

/// The later of two positions.
fn later(a: Pos, b: Pos) -> Pos {
    if (b.line, b.col) > (a.line, a.col) {
        b
    } else {
        a
    }
}

/// Why `attr` cannot be an attribute a statement sets, if it cannot.
fn bad_attr(attr: &str) -> Option<String> {
    if let Some(msg) = bad_name(attr)
        && !attr.starts_with('_')
        && !RESERVED.contains(&attr)
    {
        return Some(msg);
    }
    if attr.starts_with('_') || RESERVED.contains(&attr) || attr == "append" {
        return Some(format!(
            "attribute `{attr}` is reserved: use a plain name that does not start with `_`"
        ));
    }
    None
}

/// Statements executed with every `repeat:` unrolled.
fn unrolled(steps: &[Step]) -> u64 {
    steps
        .iter()
        .map(|s| match &s.stmt {
            Stmt::Repeat { count, body } => count.saturating_mul(unrolled(body)),
            _ => 1,
        })
        .fold(0u64, |a, b| a.saturating_add(b))
}

fn parse_step(ck: &mut Checker, text: &str, pos: Pos, verbatim: bool) -> Option<Step> {
    let t = text.trim();
    match parse_stmt(t) {
        Ok(stmt) => Some(Step {
            stmt,
            text: t.to_string(),
            pos,
        }),
        Err(e) => {
            let shown: String = if t.chars().count() > 60 {
                format!("{}…", t.chars().take(60).collect::<String>())
            } else {
                t.to_string()
            };
            let mut msg = format!("in `{shown}`: {}", e.message);
            if !verbatim {
                msg.push_str(
                    " (YAML joined or unescaped this step: check the indentation and quoting of the lines around it)",
                );
            }
            ck.error(
                Pos {
                    line: pos.line,
                    col: if verbatim {
                        pos.col + e.offset
                    } else {
                        pos.col
                    },
                },
                msg,
            );
            None
        }
    }
}

/// Why `name` cannot be a scenario NAME, if it cannot.
pub fn bad_name(name: &str) -> Option<String> {
    if name.is_empty()
        || !name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Some(format!("`{name}` is not a Python identifier"));
    }
    if name.starts_with('_') {
        return Some(format!(
            "`{name}`: names starting with `_` are reserved for gcconform's generated program"
        ));
    }
    if RESERVED.contains(&name) {
        return Some(format!("`{name}` is a Python keyword or a reserved name"));
    }
    None
}

fn bad_class_name(name: &str) -> Option<String> {
    if name == "self" {
        return Some("`self` cannot name a class".to_string());
    }
    bad_name(name).map(|m| format!("class name {m}"))
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Inst(String),
    List,
    Dict,
    Tuple,
    WeakRef,
    NoneV,
    Int,
    Unknown,
}

impl Kind {
    fn describe(&self) -> String {
        match self {
            Kind::Inst(c) => format!("an instance of `{c}`"),
            Kind::List => "a list".into(),
            Kind::Dict => "a dict".into(),
            Kind::Tuple => "a tuple".into(),
            Kind::WeakRef => "a weakref".into(),
            Kind::NoneV => "None".into(),
            Kind::Int => "an integer".into(),
            Kind::Unknown => "an object".into(),
        }
    }
}

#[derive(Debug, Clone)]
enum Binding {
    Bound(Kind),
    Deleted(Pos),
}

/// The static pass: names bound before use, operations that fit the kind of object a name holds,
/// statements allowed where they stand.
struct Semantics<'a, 'b> {
    ck: &'a mut Checker<'b>,
    sc: &'a Scenario,
    /// Names that some `__del__` body assigns as a global: they may be bound at any time.
    del_globals: HashSet<String>,
    /// Every name the top level binds somewhere (for `__del__` bodies, which run at any time).
    top_bound: HashSet<String>,
}

impl<'a, 'b> Semantics<'a, 'b> {
    fn new(ck: &'a mut Checker<'b>, sc: &'a Scenario) -> Self {
        let mut del_globals = HashSet::new();
        for c in &sc.classes {
            for s in c.del.iter().flatten() {
                if let Stmt::Global(ns) = &s.stmt {
                    del_globals.extend(ns.iter().cloned());
                }
            }
        }
        let top_bound = sc
            .steps
            .iter()
            .filter_map(|s| assigned_name(&s.stmt))
            .collect();
        Semantics {
            ck,
            sc,
            del_globals,
            top_bound,
        }
    }

    fn run(mut self) {
        let v = self.sc.applicable_versions();
        if v.is_empty() {
            self.ck
                .error(Pos { line: 1, col: 1 }, "`versions:` selects no version");
        }
        let old = v.iter().any(|v| *v < Version::V3_7);
        for s in self
            .sc
            .steps
            .iter()
            .chain(self.sc.classes.iter().flat_map(|c| c.del.iter().flatten()))
        {
            if old && matches!(s.stmt, Stmt::Freeze | Stmt::Unfreeze) {
                self.ck.error(
                    s.pos,
                    format!("`{}` needs CPython 3.7+, but the scenario applies to {}; add `versions: [\"3.7+\"]`", s.text, v[0]),
                );
            }
        }
        // Top level.
        let mut env: HashMap<String, Binding> = HashMap::new();
        for g in &self.del_globals {
            env.insert(g.clone(), Binding::Bound(Kind::Unknown));
        }
        let steps = self.sc.steps.clone();
        for s in &steps {
            self.stmt(s, &mut env, None);
        }
        // __del__ bodies.
        for c in self.sc.classes.clone() {
            if let Some(body) = &c.del {
                self.del_body(&c, body);
            }
        }
    }

    fn del_body(&mut self, class: &ClassDef, body: &[Step]) {
        let mut globals: HashSet<String> = HashSet::new();
        let mut locals_assigned: HashSet<String> = HashSet::new();
        for s in body {
            match &s.stmt {
                Stmt::Global(ns) => {
                    for n in ns {
                        if locals_assigned.contains(n) {
                            self.ck.error(
                                s.pos,
                                format!("`{n}` is assigned before its `global` declaration"),
                            );
                        }
                        if let Some(m) = bad_name(n) {
                            self.ck.error(s.pos, m);
                        }
                        globals.insert(n.clone());
                    }
                }
                st => {
                    if let Some(n) = assigned_name(st) {
                        locals_assigned.insert(n);
                    }
                }
            }
        }
        let mut env: HashMap<String, Binding> = HashMap::new();
        env.insert(
            "self".into(),
            Binding::Bound(Kind::Inst(class.name.clone())),
        );
        let ctx = DelCtx { globals };
        for s in body {
            self.stmt(s, &mut env, Some(&ctx));
        }
    }

    fn lookup(
        &mut self,
        name: &str,
        pos: Pos,
        env: &HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) -> Option<Kind> {
        if let Some(ctx) = del {
            let is_local = env.contains_key(name) && !ctx.globals.contains(name);
            if !is_local {
                // A global read from a finalizer: it must be bound somewhere at top level.
                if self.top_bound.contains(name) || self.del_globals.contains(name) {
                    return Some(Kind::Unknown);
                }
                self.ck.error(
                    pos,
                    format!("name `{name}` is not defined: no statement binds it"),
                );
                return None;
            }
        }
        match env.get(name) {
            Some(Binding::Bound(k)) => Some(k.clone()),
            Some(Binding::Deleted(at)) => {
                self.ck.error(
                    pos,
                    format!(
                        "name `{name}` is used after `del {name}` (line {})",
                        at.line
                    ),
                );
                None
            }
            None => {
                if name == "self" {
                    self.ck
                        .error(pos, "`self` is only defined inside a `__del__` body");
                } else {
                    self.ck
                        .error(pos, format!("name `{name}` is not defined here"));
                }
                None
            }
        }
    }

    fn value_kind(
        &mut self,
        v: &Value,
        pos: Pos,
        env: &HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) -> Kind {
        match v {
            Value::None => Kind::NoneV,
            Value::Int(_) => Kind::Int,
            Value::Name(n) => self.lookup(n, pos, env, del).unwrap_or(Kind::Unknown),
        }
    }

    fn bind(
        &mut self,
        name: &str,
        kind: Kind,
        pos: Pos,
        env: &mut HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) {
        if name == "self" && del.is_none() {
            self.ck
                .error(pos, "`self` is only defined inside a `__del__` body");
            return;
        }
        if name != "self"
            && let Some(m) = bad_name(name)
        {
            self.ck.error(pos, m);
            return;
        }
        let kind = if del.is_none() && self.del_globals.contains(name) {
            Kind::Unknown
        } else {
            kind
        };
        env.insert(name.to_string(), Binding::Bound(kind));
    }

    fn attr_ok(
        &mut self,
        obj: &Target,
        attr: &str,
        pos: Pos,
        env: &HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) {
        if attr.starts_with('_') || RESERVED.contains(&attr) || attr == "append" {
            self.ck.error(
                pos,
                format!(
                    "attribute `{attr}` is reserved: use a plain name that does not start with `_`"
                ),
            );
        }
        let Target::Name(n) = obj else { return };
        let Some(kind) = self.lookup(n, pos, env, del) else {
            return;
        };
        match kind {
            Kind::Inst(c) => {
                let Some(class) = self.sc.class(&c) else {
                    return;
                };
                if !class.has_dict() && !class.value_slots().iter().any(|s| s == attr) {
                    self.ck.error(
                        pos,
                        format!("`{c}` has __slots__ {:?} and no __dict__: it has no attribute `{attr}`", class.slots.clone().unwrap_or_default()),
                    );
                }
            }
            Kind::Unknown => {}
            Kind::NoneV => self.ck.error(
                pos,
                format!("`{n}` is None here: attribute access on None raises AttributeError"),
            ),
            k => self.ck.error(
                pos,
                format!(
                    "`{n}` is {} here, which has no settable attributes",
                    k.describe()
                ),
            ),
        }
    }

    fn need(
        &mut self,
        name: &str,
        want: Kind,
        what: &str,
        pos: Pos,
        env: &HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) {
        let Some(k) = self.lookup(name, pos, env, del) else {
            return;
        };
        if k != want && k != Kind::Unknown {
            self.ck.error(
                pos,
                format!(
                    "`{name}` is {} here; {what} needs {}",
                    k.describe(),
                    want.describe()
                ),
            );
        }
    }

    fn stmt(&mut self, s: &Step, env: &mut HashMap<String, Binding>, del: Option<&DelCtx>) {
        let pos = s.pos;
        match &s.stmt {
            Stmt::New { target, class } => {
                if self.sc.class(class).is_none() {
                    let known: Vec<&str> =
                        self.sc.classes.iter().map(|c| c.name.as_str()).collect();
                    self.ck.error(
                        pos,
                        format!(
                            "unknown class `{class}` (classes: {})",
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    );
                }
                let kind = if self.sc.class(class).is_some() {
                    Kind::Inst(class.clone())
                } else {
                    Kind::Unknown
                };
                self.bind(target, kind, pos, env, del);
            }
            Stmt::NewList { target, items } | Stmt::NewTuple { target, items } => {
                for v in items {
                    self.value_kind(v, pos, env, del);
                }
                let k = if matches!(s.stmt, Stmt::NewList { .. }) {
                    Kind::List
                } else {
                    Kind::Tuple
                };
                self.bind(target, k, pos, env, del);
            }
            Stmt::NewDict { target, items } => {
                let mut seen = HashSet::new();
                for (k, v) in items {
                    if !seen.insert(k) {
                        self.ck
                            .error(pos, format!("key '{k}' appears twice in the dict display"));
                    }
                    self.value_kind(v, pos, env, del);
                }
                self.bind(target, Kind::Dict, pos, env, del);
            }
            Stmt::Assign { target, value } => {
                let k = self.value_kind(value, pos, env, del);
                self.bind(target, k, pos, env, del);
            }
            Stmt::SetAttr { obj, attr, value } => {
                self.value_kind(value, pos, env, del);
                self.attr_ok(obj, attr, pos, env, del);
            }
            Stmt::DelAttr { obj, attr } => self.attr_ok(obj, attr, pos, env, del),
            Stmt::SetItem { obj, value, .. } => {
                self.value_kind(value, pos, env, del);
                self.need(
                    obj,
                    Kind::Dict,
                    "item assignment with a string key",
                    pos,
                    env,
                    del,
                );
            }
            Stmt::DelKey { obj, .. } => self.need(obj, Kind::Dict, "`del x['k']`", pos, env, del),
            Stmt::DelIndex { obj, .. } => self.need(obj, Kind::List, "`del x[i]`", pos, env, del),
            Stmt::Append { obj, value } => {
                self.value_kind(value, pos, env, del);
                self.need(obj, Kind::List, "`.append`", pos, env, del);
            }
            Stmt::DelName(n) => {
                if self.lookup(n, pos, env, del).is_some() {
                    env.insert(n.clone(), Binding::Deleted(pos));
                }
            }
            Stmt::WeakRef {
                target, referent, ..
            } => {
                if let Some(k) = self.lookup(referent, pos, env, del) {
                    match &k {
                        Kind::Inst(c) => {
                            if !self.sc.class(c).is_some_and(|c| c.weakrefable()) {
                                self.ck.error(pos, format!("cannot create a weak reference to `{referent}`: class `{c}` has __slots__ without `__weakref__`"));
                            }
                        }
                        Kind::Unknown | Kind::WeakRef => {}
                        k => self.ck.error(
                            pos,
                            format!(
                                "cannot create a weak reference to `{referent}`: it is {}",
                                k.describe()
                            ),
                        ),
                    }
                }
                self.bind(target, Kind::WeakRef, pos, env, del);
            }
            Stmt::Repeat { body, .. } => {
                if del.is_some() {
                    self.ck
                        .error(pos, "`repeat:` is only allowed at the top level");
                    return;
                }
                // Twice: what one iteration deletes must not be used by the next.
                let before = self.ck.diags.len();
                for s in body {
                    self.stmt(s, env, del);
                }
                if self.ck.diags.len() == before {
                    for s in body {
                        self.stmt(s, env, del);
                    }
                }
            }
            Stmt::RandomEdges { list, .. } => {
                // The attributes were checked by the loader; the elements are only known at
                // run time (a failing store raises there, as in Python).
                self.need(list, Kind::List, "`random_edges:`", pos, env, del);
            }
            Stmt::Global(_) | Stmt::Raise if del.is_none() => {
                self.ck.error(
                    pos,
                    format!("`{}` is only allowed inside a `__del__` body", s.text),
                );
            }
            Stmt::Global(_) | Stmt::Raise => {}
            Stmt::Collect(_)
            | Stmt::Enable
            | Stmt::Disable
            | Stmt::SetDebug { .. }
            | Stmt::SetThreshold(_)
            | Stmt::Freeze
            | Stmt::Unfreeze
            | Stmt::ClearGarbage
            | Stmt::RebindGarbage
            | Stmt::Pass => {}
        }
    }
}

struct DelCtx {
    globals: HashSet<String>,
}

/// The name a statement binds, if any.
pub(crate) fn assigned_name(s: &Stmt) -> Option<String> {
    match s {
        Stmt::New { target, .. }
        | Stmt::NewList { target, .. }
        | Stmt::NewDict { target, .. }
        | Stmt::NewTuple { target, .. }
        | Stmt::Assign { target, .. }
        | Stmt::WeakRef { target, .. } => Some(target.clone()),
        _ => None,
    }
}
