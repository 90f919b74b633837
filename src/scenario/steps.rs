//! The `steps:` list and `__del__` bodies: YAML values → positioned [`Step`]s. Statements go
//! through the statement parser (`parse.rs`); `repeat:` and `random_edges:` blocks are read here
//! by hand, key by key, rather than by serde, so that each mistake in a step is reported at its
//! own line and column and the other steps are still checked. The typed form of the same shape
//! is [`super::raw::StepItem`], from which the JSON Schema is derived.

use super::Checker;
use super::ast::{Pos, Step, Stmt};
use super::parse::parse_stmt;
use super::pos::{Locator, advance, later};
use super::raw::MAX_REPEAT;
use super::semantics::{RESERVED, bad_name};

/// A YAML value as it would be written (for messages and for finding it in the text).
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

/// How deep `repeat:` blocks may nest.
pub const MAX_REPEAT_DEPTH: usize = 4;

/// A list of steps: statements (strings) and `repeat:` blocks.
pub(super) fn parse_steps(
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
            serde_yaml::Value::Mapping(m)
                if m.contains_key(serde_yaml::Value::String("try".into())) =>
            {
                let p = loc.find("try", *cursor).unwrap_or(*cursor);
                *cursor = advance(p, "try");
                if let Some(s) = parse_try(ck, loc, m, p, cursor, depth, total) {
                    steps.push(s);
                }
            }
            serde_yaml::Value::Mapping(m) if headed_by(&m, "def ") => {
                let (header, v, p, verbatim) = header_entry(loc, m, cursor);
                if let Some(s) = parse_def(ck, loc, &header, v, p, verbatim, cursor, depth, total) {
                    steps.push(s);
                }
            }
            serde_yaml::Value::Mapping(m) if headed_by(&m, "class ") => {
                // `- class C(A): pass`: YAML reads a mapping; the statement is key and value.
                let (header, v, p, verbatim) = header_entry(loc, m, cursor);
                let body = match &v {
                    serde_yaml::Value::String(s) => s.clone(),
                    serde_yaml::Value::Null => String::new(),
                    other => format!("`{}`", yaml_scalar(other).replace('\n', " ")),
                };
                let text = format!("{}: {body}", header.trim());
                if let Some(s) = parse_step(ck, &text, p, verbatim) {
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

/// A one-entry mapping whose key starts with `word` (`def `, `class `): a statement with a
/// body, which YAML reads as a mapping from its header.
fn headed_by(m: &serde_yaml::Mapping, word: &str) -> bool {
    m.len() == 1
        && m.keys()
            .next()
            .and_then(|k| k.as_str())
            .is_some_and(|k| k.trim_start().starts_with(word))
}

/// The header and body of such a mapping, with where the header stands (and whether the
/// text has it verbatim); the cursor moves past it.
fn header_entry(
    loc: &Locator,
    m: serde_yaml::Mapping,
    cursor: &mut Pos,
) -> (String, serde_yaml::Value, Pos, bool) {
    let (k, v) = m.into_iter().next().expect("one entry");
    let header = yaml_scalar(&k);
    let (p, verbatim) = loc.locate(header.trim(), *cursor);
    *cursor = advance(p, header.trim());
    (header, v, p, verbatim)
}

/// The body of a block headed `header` (a `def`, a block of a `try:` statement): one
/// statement, or a non-empty list of steps; anything else is an error at `pos`.
fn body_items(
    ck: &mut Checker,
    pos: Pos,
    header: &str,
    body: serde_yaml::Value,
) -> Option<Vec<serde_yaml::Value>> {
    match body {
        serde_yaml::Value::Sequence(items) if !items.is_empty() => Some(items),
        serde_yaml::Value::String(s) => Some(vec![serde_yaml::Value::String(s)]),
        other => {
            ck.error(
                pos,
                format!(
                    "`{header}` needs a body: a statement or a non-empty list of steps, found `{}`",
                    yaml_scalar(&other)
                ),
            );
            None
        }
    }
}

/// `- try:` with its body, then `except E:` / `except E as n:` handlers and a `finally:` block,
/// keys of the same mapping in the order Python requires.
#[allow(clippy::too_many_arguments)]
fn parse_try(
    ck: &mut Checker,
    loc: &Locator,
    m: serde_yaml::Mapping,
    pos: Pos,
    cursor: &mut Pos,
    depth: usize,
    total: &mut usize,
) -> Option<Step> {
    if depth + 1 > MAX_DEF_DEPTH {
        ck.error(
            pos,
            format!("`def`s, `try:` and `repeat:` blocks nest more than {MAX_DEF_DEPTH} deep"),
        );
        return None;
    }
    let mut body = None;
    let mut handlers: Vec<super::ast::Handler> = Vec::new();
    let mut finally = None;
    let mut ok = true;
    for (i, (k, v)) in m.into_iter().enumerate() {
        let key = yaml_scalar(&k);
        let key = key.trim().to_string();
        let kpos = if i == 0 {
            pos
        } else {
            let p = loc.find(&key, *cursor).unwrap_or(*cursor);
            *cursor = advance(p, &key);
            p
        };
        let mut block = |ck: &mut Checker, cursor: &mut Pos, what: &str| -> Option<Vec<Step>> {
            let items = body_items(ck, kpos, &format!("{what}:"), v.clone())?;
            Some(parse_steps(ck, loc, items, cursor, depth + 1, total))
        };
        if i == 0 {
            if key != "try" {
                ck.error(
                    kpos,
                    format!("a `try:` block starts with `try:`, found `{key}:`"),
                );
                return None;
            }
            body = block(ck, cursor, "try");
            ok &= body.is_some();
            continue;
        }
        if key == "finally" {
            finally = block(ck, cursor, "finally");
            ok &= finally.is_some();
            continue;
        }
        if finally.is_some() {
            ck.error(
                kpos,
                format!("`{key}:` after `finally:`: `finally:` ends a `try:` block"),
            );
            ok = false;
            continue;
        }
        match super::parse::parse_except_header(&key) {
            Ok((class, name)) => {
                let b = block(ck, cursor, &key);
                match b {
                    Some(b) => handlers.push(super::ast::Handler {
                        class,
                        name,
                        body: b,
                        pos: kpos,
                    }),
                    None => ok = false,
                }
            }
            Err(e) => {
                ck.error(
                    Pos {
                        line: kpos.line,
                        col: kpos.col + e.offset,
                    },
                    format!("in `{key}:`: {}", e.message),
                );
                ok = false;
            }
        }
    }
    if ok && handlers.is_empty() && finally.is_none() {
        ck.error(
            pos,
            "a `try:` block needs an `except E:` handler or a `finally:` block after its body",
        );
        return None;
    }
    if !ok {
        return None;
    }
    Some(Step {
        stmt: Stmt::Try(Box::new(super::ast::TryStmt {
            body: body?,
            handlers,
            finally,
        })),
        text: "try:".to_string(),
        pos,
    })
}

/// How deep `def`s may nest.
pub const MAX_DEF_DEPTH: usize = 8;

/// `- def NAME(PARAMS):` with a body (a statement or a list of steps): a function definition.
#[allow(clippy::too_many_arguments)]
fn parse_def(
    ck: &mut Checker,
    loc: &Locator,
    header: &str,
    body: serde_yaml::Value,
    pos: Pos,
    verbatim: bool,
    cursor: &mut Pos,
    depth: usize,
    total: &mut usize,
) -> Option<Step> {
    let (name, params) = match super::parse::parse_def_header(header.trim()) {
        Ok(x) => x,
        Err(e) => {
            let col = if verbatim {
                pos.col + e.offset
            } else {
                pos.col
            };
            ck.error(
                Pos {
                    line: pos.line,
                    col,
                },
                format!("in `{}`: {}", header.trim(), e.message),
            );
            return None;
        }
    };
    if depth + 1 > MAX_DEF_DEPTH {
        ck.error(
            pos,
            format!("`def`s and `repeat:` blocks nest more than {MAX_DEF_DEPTH} deep"),
        );
        return None;
    }
    let items = body_items(ck, pos, header.trim(), body)?;
    let body = parse_steps(ck, loc, items, cursor, depth + 1, total);
    Some(Step {
        stmt: Stmt::Def(Box::new(super::ast::FuncDef {
            name,
            params,
            body,
            index: 0,
            scope: Default::default(),
        })),
        text: format!("{}:", header.trim()),
        pos,
    })
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

/// Why `attr` cannot be an attribute a statement sets, if it cannot.
fn bad_attr(attr: &str) -> Option<String> {
    if let Some(msg) = bad_name(attr)
        && !attr.starts_with('_')
        && !RESERVED.contains(&attr)
    {
        return Some(msg);
    }
    super::semantics::reserved_attr(attr)
}

/// Statements executed with every `repeat:` unrolled.
pub(super) fn unrolled(steps: &[Step]) -> u64 {
    steps
        .iter()
        .map(|s| match &s.stmt {
            Stmt::Repeat { count, body } => count.saturating_mul(unrolled(body)),
            Stmt::Def(d) => 1 + unrolled(&d.body),
            _ => 1,
        })
        .fold(0u64, |a, b| a.saturating_add(b))
}

/// One statement's text (standing at `pos`) → a [`Step`]; a parse error is reported at its
/// column when the text was found verbatim, else at the step with a hint about YAML.
pub(super) fn parse_step(ck: &mut Checker, text: &str, pos: Pos, verbatim: bool) -> Option<Step> {
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
