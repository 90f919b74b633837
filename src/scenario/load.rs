//! Loading: finding scenario files, reading one, and turning its text into a validated
//! [`Scenario`] or diagnostics. The text goes through serde into the raw types (`raw.rs`), whose
//! errors are reworded and placed here; versions and classes are read here, the steps by
//! `steps.rs`; the semantic checks (`semantics.rs`) run last, only on a file with no other mistake.

use super::ast::{
    CallbackDef, ClassDef, ClassOrigin, MethodDef, MethodKind, Pos, Scenario, Stmt, Value,
};
use super::pos::{Locator, advance, yaml_error_pos};
use super::raw::{RawScenario, RecordMode, TraceMode};
use super::semantics::{bad_callback_name, bad_class_name, bad_method_name, bad_name, semantics};
use super::steps::{parse_step, parse_steps, unrolled};
use super::{Checker, Diagnostic, LoadError};
use crate::version::VersionRange;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The largest number of statements (top level plus `__del__` bodies) a scenario may have.
pub const MAX_STATEMENTS: usize = 100_000;

/// The builtin base an exception class of `classes:` names (`bases: [Exception]`).
pub const EXCEPTION_BASE: &str = "Exception";
/// At most this many names in one class's `__slots__` (the model keeps an instance's values in
/// 16-bit-counted blocks; CPython itself has no limit).
pub const MAX_SLOTS: usize = 1_000;
/// The most statements a scenario may execute with its repeats unrolled (finalizers aside).
pub const MAX_UNROLLED: u64 = 50_000_000;

/// The scenario id for a path: the part below the last `scenarios/` folder, without `.yaml`
/// (`scenarios/seed/cycle_with_del.yaml` → `seed/cycle_with_del`); otherwise the file stem.
pub fn scenario_id(path: &Path) -> String {
    let comps: Vec<String> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let tail: Vec<String> = match comps.iter().rposition(|c| c == "scenarios") {
        Some(i) if i + 1 < comps.len() => comps[i + 1..].to_vec(),
        _ => vec![comps.last().cloned().unwrap_or_default()],
    };
    let mut id = tail.join("/");
    for ext in [".yaml", ".yml"] {
        if let Some(s) = id.strip_suffix(ext) {
            id = s.to_string();
        }
    }
    id
}

/// Read and validate a scenario file.
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| LoadError {
        diagnostics: vec![Diagnostic {
            file: path.to_path_buf(),
            pos: Pos { line: 0, col: 0 },
            message: format!("cannot read the file: {e}"),
        }],
    })?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = good.iter().filter(|b| **b == b'\n').count() + 1;
            let col = good.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            return Err(LoadError {
                diagnostics: vec![Diagnostic {
                    file: path.to_path_buf(),
                    pos: Pos { line, col },
                    message: "the file is not valid UTF-8".to_string(),
                }],
            });
        }
    };
    parse_scenario(path, &text)
}

/// Validate scenario text as if read from `path`.
pub fn parse_scenario(path: &Path, text: &str) -> Result<Scenario, LoadError> {
    from_text(path, text).map_err(|diagnostics| LoadError { diagnostics })
}

/// Every `.yaml`/`.yml` file under the given paths (files are taken as they are), sorted.
/// A path that does not exist is an error.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_file() {
            out.push(p.clone());
            continue;
        }
        if !p.is_dir() {
            return Err(format!("{}: no such file or directory", p.display()));
        }
        for ext in ["yaml", "yml"] {
            let pattern = format!("{}/**/*.{ext}", glob::Pattern::escape(&p.to_string_lossy()));
            let entries = glob::glob(&pattern).map_err(|e| format!("{}: {e}", p.display()))?;
            for entry in entries {
                out.push(entry.map_err(|e| format!("{e}"))?);
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Scenario text read from `path` → a validated [`Scenario`], or every problem found (the
/// semantic checks run only when there is no other).
fn from_text(path: &Path, text: &str) -> Result<Scenario, Vec<Diagnostic>> {
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
            let (pos, msg) = yaml_error(text, &e);
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
        let v = v.0;
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
        let rc = rc.unwrap_or_default();
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
        let del = rc
            .del
            .map(|d| parse_body(&mut ck, &loc, d, &mut cursor, &mut total_statements));
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
        // `methods:` (and `staticmethods:`, `classmethods:`) may stand before or after
        // `__del__`: their positions are searched from their keys.
        let mut methods: Vec<MethodDef> = Vec::new();
        let mut end = cursor;
        for (key, map, kind) in [
            ("methods:", rc.methods, MethodKind::Plain),
            ("staticmethods:", rc.staticmethods, MethodKind::Static),
            ("classmethods:", rc.classmethods, MethodKind::Class),
        ] {
            // Only a key the class has: another class's would move the cursor past the
            // classes in between.
            let Some(map) = map else { continue };
            let mut mcursor = loc.find(key, pos).unwrap_or(pos);
            for (mname, body) in map.0 {
                let mpos = loc
                    .find(&format!("{mname}:"), mcursor)
                    .or_else(|| loc.find(&mname, mcursor))
                    .unwrap_or(mcursor);
                mcursor = advance(mpos, &mname);
                if let Some(msg) = bad_method_name(&mname) {
                    ck.error(mpos, msg);
                }
                if rc.slots.as_ref().is_some_and(|s| s.contains(&mname)) {
                    ck.error(
                        mpos,
                        format!("`{mname}` is both a slot and a method of `{name}`: a class attribute is one or the other"),
                    );
                }
                if methods.iter().any(|m| m.name == mname) {
                    ck.error(
                        mpos,
                        format!("method `{mname}` of `{name}` is defined twice"),
                    );
                    continue;
                }
                let Some(body) = body else {
                    ck.error(
                        mpos,
                        format!(
                            "method `{mname}` of `{name}` has no body: give it a statement or a list of them (`pass` for none)"
                        ),
                    );
                    continue;
                };
                let steps = parse_body(&mut ck, &loc, body, &mut mcursor, &mut total_statements);
                methods.push(MethodDef {
                    name: mname,
                    kind,
                    body: steps,
                    scope: Default::default(),
                    pos: mpos,
                });
            }
            if (mcursor.line, mcursor.col) > (end.line, end.col) {
                end = mcursor;
            }
        }
        let mcursor = end;
        if (mcursor.line, mcursor.col) > (cursor.line, cursor.col) {
            cursor = mcursor;
        }
        // `bases: [Exception]`: an exception class, whose base is the builtin (no scenario
        // class); its subclasses are exception classes too (below).
        let mut bases = rc.bases.unwrap_or_default();
        let exception = bases.iter().any(|b| b == EXCEPTION_BASE);
        if exception {
            let p = loc.find(EXCEPTION_BASE, pos).unwrap_or(pos);
            if bases.len() > 1 {
                ck.error(
                    p,
                    format!("class `{name}`: `Exception` is its only base when it has it (an exception class derives from `Exception` or from other exception classes)"),
                );
            }
            bases.retain(|b| b != EXCEPTION_BASE);
        }
        classes.push(ClassDef {
            name,
            bases,
            del,
            del_scope: Default::default(),
            methods,
            slots: rc.slots,
            pos,
            origin: Default::default(),
            exception,
        });
    }

    // exception classes: those deriving from `Exception`, directly or through their bases
    for i in 0..classes.len() {
        let from_bases: Vec<bool> = classes[i]
            .bases
            .iter()
            .filter_map(|b| classes[..i].iter().find(|k| &k.name == b))
            .map(|k| k.exception)
            .collect();
        let c = &classes[i];
        if !from_bases.is_empty() && from_bases.iter().any(|&e| e != from_bases[0]) {
            ck.error(
                loc.find("bases:", c.pos).unwrap_or(c.pos),
                format!("class `{}`: its bases mix exception classes and other classes, whose instance layouts conflict", c.name),
            );
        }
        let exception = c.exception || from_bases.iter().any(|&e| e);
        let c = &mut classes[i];
        c.exception = exception;
        if exception {
            let what = if c.slots.is_some() {
                Some("`__slots__`")
            } else if !c.methods.is_empty() {
                Some("methods")
            } else {
                None
            };
            if let Some(what) = what {
                ck.error(
                    c.pos,
                    format!("exception class `{}` has {what}: an exception class has a `__del__` at most (the model's exceptions hold no attributes yet)", c.name),
                );
            }
        }
    }

    // inheritance, in file order (each class's bases come before it)
    for i in 0..classes.len() {
        if let Err((base, msg)) = super::hierarchy::check(&classes, i) {
            let c = &classes[i];
            let mut at = loc.find("bases:", c.pos).unwrap_or(c.pos);
            // at the base the message is about (its n-th mention after `bases:`)
            if let Some(n) = base {
                let mut p = at;
                for b in &c.bases[..=n] {
                    p = loc.find(b, advance(p, "x")).unwrap_or(p);
                }
                at = p;
            } else if let Some(slot) = ["__dict__", "__weakref__"]
                .into_iter()
                .find(|s| msg.starts_with(s))
            {
                at = loc.find(slot, c.pos).unwrap_or(at);
            }
            ck.error(at, format!("class `{}`: {msg}", c.name));
        }
    }

    // callbacks
    let kpos = loc.top_key("callbacks").unwrap_or(Pos { line: 1, col: 1 });
    let mut callbacks: Vec<CallbackDef> = Vec::new();
    let mut cursor = kpos;
    for (name, body) in raw.callbacks.map(|c| c.0).unwrap_or_default() {
        let pos = loc
            .find(&format!("{name}:"), cursor)
            .or_else(|| loc.find(&name, cursor))
            .unwrap_or(cursor);
        cursor = advance(pos, &name);
        if let Some(msg) = bad_callback_name(&name) {
            ck.error(pos, msg);
        }
        if classes.iter().any(|c| c.name == name) {
            ck.error(
                pos,
                format!("`{name}` names both a class and a callback: a name is one or the other"),
            );
        }
        if callbacks.iter().any(|c| c.name == name) {
            ck.error(pos, format!("callback `{name}` is defined twice"));
            continue;
        }
        let Some(body) = body else {
            ck.error(
                pos,
                format!(
                    "callback `{name}` has no body: give it a statement or a list of them (`pass` for none)"
                ),
            );
            continue;
        };
        let steps = parse_body(&mut ck, &loc, body, &mut cursor, &mut total_statements);
        callbacks.push(CallbackDef {
            name,
            body: steps,
            scope: Default::default(),
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

    // class statements at the top level of the steps: their classes follow those of
    // `classes:`, in step order (a base is defined above the class that names it)
    for s in &steps {
        let Stmt::ClassStmt {
            name,
            bases,
            via_type,
        } = &s.stmt
        else {
            continue;
        };
        if let Some(msg) = bad_class_name(name) {
            ck.error(s.pos, msg);
        }
        if let Some(c) = classes.iter().find(|c| c.name == *name) {
            ck.error(
                s.pos,
                format!(
                    "class `{name}` is defined twice (first at line {}): a class statement binds a name no other class has",
                    c.pos.line
                ),
            );
            continue;
        }
        if callbacks.iter().any(|c| c.name == *name) {
            ck.error(
                s.pos,
                format!("`{name}` names both a class and a callback: a name is one or the other"),
            );
        }
        classes.push(ClassDef {
            name: name.clone(),
            bases: bases.clone(),
            del: None,
            del_scope: Default::default(),
            methods: Vec::new(),
            slots: None,
            pos: s.pos,
            origin: ClassOrigin::Step {
                via_type: *via_type,
            },
            exception: false,
        });
        if let Some(b) = bases.iter().find(|b| {
            b.as_str() == EXCEPTION_BASE || classes.iter().any(|k| &k.name == *b && k.exception)
        }) {
            let at = base_offset(&s.text, b).map_or(s.pos, |off| Pos {
                line: s.pos.line,
                col: s.pos.col + off,
            });
            ck.error(
                at,
                format!("class `{name}`: a class statement among the steps makes no exception class yet (`{b}`); declare it in `classes:`"),
            );
            continue;
        }
        if let Err((base, msg)) = super::hierarchy::check(&classes, classes.len() - 1) {
            // At the base the message is about, where the statement's text shows it.
            let at = base
                .and_then(|n| base_offset(&s.text, &bases[n]))
                .map_or(s.pos, |off| Pos {
                    line: s.pos.line,
                    col: s.pos.col + off,
                });
            ck.error(at, format!("class `{name}`: {msg}"));
        }
    }

    let mut scenario = Scenario {
        path: path.to_path_buf(),
        id: scenario_id(path),
        description: raw.description.unwrap_or_default(),
        versions,
        classes,
        callbacks,
        steps,
        summary: raw.trace == Some(TraceMode::Summary),
        record_collections: raw.record == Some(RecordMode::Collections),
    };
    if ck.diags.is_empty() {
        resolve_attribute_reads(&mut scenario);
        resolve_calls(&mut scenario);
        super::scope::analyze(&mut scenario);
        semantics(&mut ck, &scenario);
    }
    if ck.diags.is_empty() {
        Ok(scenario)
    } else {
        Err(ck.diags)
    }
}

/// Where base `name` stands in a class statement's text (`class C(A, B): pass`,
/// `C = type('C', (A, B), {})`): its offset in characters, after the opening parenthesis of
/// the bases.
fn base_offset(text: &str, name: &str) -> Option<usize> {
    let open = if text.trim_start().starts_with("class ") {
        text.find('(')?
    } else {
        text.find("((").or_else(|| text.find(", ("))? + 1
    };
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = open;
    while let Some(i) = text[from..].find(name) {
        let at = from + i;
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
            return Some(text[..at].chars().count());
        }
        from = at + name.len();
    }
    None
}

/// A serde_yaml error as a diagnostic: its position (inside the text) and its message, with
/// the hint that fits the usual cause.
/// For libyaml's "while parsing a flow sequence/mapping at line L column C": where the `[` or
/// `{` was opened, and the bracket that would close it.
fn unclosed_flow(msg: &str) -> Option<(Pos, char)> {
    let (what, rest) = msg.split_once(", while parsing a flow ")?;
    if !what.starts_with("did not find expected") {
        return None;
    }
    let (kind, at) = rest.split_once(" at line ")?;
    let close = match kind {
        "sequence" => ']',
        "mapping" => '}',
        _ => return None,
    };
    let (line, col) = at.split_once(" column ")?;
    let line = line.trim().parse().ok()?;
    let col = col
        .trim()
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .ok()?;
    Some((Pos { line, col }, close))
}

fn yaml_error(text: &str, e: &serde_yaml::Error) -> (Pos, String) {
    let mut pos = yaml_error_pos(e);
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
    // An unclosed `[` or `{`: libyaml notices it where the list or mapping should have ended
    // ("did not find expected ',' or ']' at line 7 column 17, while parsing a flow sequence at
    // line 6 column 16"); point at the bracket that was opened, in words a user knows.
    if let Some((opened, close)) = unclosed_flow(&msg) {
        let gave_up = pos;
        pos = opened;
        msg = format!(
            "this `{}` is never closed: add the `{close}` that ends it (or a `,` between its items); \
             the YAML parser gave up at line {}, column {}",
            if close == ']' { '[' } else { '{' },
            gave_up.line,
            gave_up.col
        );
        return (pos, msg);
    }
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
    if let Some((before, rest)) = msg.split_once("unknown field `") {
        // serde: "[classes.A: ]unknown field `clases`, expected one of `description`, …" (or
        // "expected `__del__` or `__slots__`"): the valid keys once, and the closest one.
        if let Some((key, expected)) = rest.split_once("`, expected ") {
            let valid: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
            msg = format!(
                "{before}unknown key `{key}`{}; the keys here are: {}",
                crate::util::suggestion(key, &valid),
                valid.join(", ")
            );
        }
    }
    (pos, msg)
}

/// `a.name` parses as a bound method; where `name` is no method of any class it is an attribute
/// read ([`Value::Attr`]). Methods and attributes never share a name (the checker refuses
/// stores to a method's name), so the class list decides.
fn resolve_attribute_reads(sc: &mut Scenario) {
    let methods: HashSet<String> = sc
        .classes
        .iter()
        .flat_map(|c| c.methods.iter().map(|m| m.name.clone()))
        .collect();
    // A static method's name is static in every class that has it (the checker refuses
    // others), so `x.name` reads a function wherever it stands.
    let statics: HashSet<String> = sc
        .classes
        .iter()
        .flat_map(|c| c.methods.iter())
        .filter(|m| m.kind == MethodKind::Static)
        .map(|m| m.name.clone())
        .collect();
    // `A.m` where `A` is a class and `m` a plain method on its MRO: the class's plain
    // methods by class name.
    let mut unbound: HashMap<String, HashSet<String>> = HashMap::new();
    for (ci, c) in sc.classes.iter().enumerate() {
        let plain: HashSet<String> = methods
            .iter()
            .filter(|m| {
                sc.find_method(ci, m)
                    .is_some_and(|(k, i)| sc.classes[k].methods[i].kind == MethodKind::Plain)
            })
            .cloned()
            .collect();
        unbound.insert(c.name.clone(), plain);
    }
    struct Names {
        methods: HashSet<String>,
        statics: HashSet<String>,
        unbound: HashMap<String, HashSet<String>>,
    }
    // (`values_mut` reaches into `def` and `repeat:` bodies.)
    fn fix(steps: &mut [super::ast::Step], n: &Names) {
        for s in steps {
            for v in s.stmt.values_mut() {
                if let Value::Method { obj, method } = v {
                    if !n.methods.contains(method.as_str()) {
                        *v = Value::Attr {
                            obj: std::mem::take(obj),
                            attr: std::mem::take(method),
                        };
                    } else if n.statics.contains(method.as_str()) {
                        *v = Value::StaticMethod {
                            obj: std::mem::take(obj),
                            method: std::mem::take(method),
                        };
                    } else if n
                        .unbound
                        .get(obj.as_str())
                        .is_some_and(|p| p.contains(method.as_str()))
                    {
                        *v = Value::Unbound {
                            class: std::mem::take(obj),
                            method: std::mem::take(method),
                        };
                    }
                }
            }
        }
    }
    let n = Names {
        methods,
        statics,
        unbound,
    };
    fix(&mut sc.steps, &n);
    for c in &mut sc.classes {
        if let Some(d) = &mut c.del {
            fix(d, &n);
        }
        for m in &mut c.methods {
            fix(&mut m.body, &n);
        }
    }
    for c in &mut sc.callbacks {
        fix(&mut c.body, &n);
    }
}

/// `x = NAME()` parses as a new instance; where `NAME` is no class but a name some statement
/// binds (a `def`, an assignment) it is a call ([`Stmt::Call`]).
fn resolve_calls(sc: &mut Scenario) {
    let classes: HashSet<String> = sc.classes.iter().map(|c| c.name.clone()).collect();
    let mut bound: HashSet<String> = HashSet::new();
    for s in sc.statements() {
        bound.extend(super::scope::bound_names(s).into_iter().map(str::to_string));
    }
    fn fix(steps: &mut [super::ast::Step], classes: &HashSet<String>, bound: &HashSet<String>) {
        for s in steps {
            match &mut s.stmt {
                Stmt::New { target, class }
                    if !classes.contains(class.as_str()) && bound.contains(class.as_str()) =>
                {
                    s.stmt = Stmt::Call {
                        target: Some(std::mem::take(target)),
                        obj: None,
                        name: std::mem::take(class),
                        args: Vec::new(),
                    };
                }
                Stmt::Repeat { body, .. } => fix(body, classes, bound),
                Stmt::Def(d) => fix(&mut d.body, classes, bound),
                _ => {}
            }
        }
    }
    fix(&mut sc.steps, &classes, &bound);
    for c in &mut sc.classes {
        if let Some(d) = &mut c.del {
            fix(d, &classes, &bound);
        }
        for m in &mut c.methods {
            fix(&mut m.body, &classes, &bound);
        }
    }
    for c in &mut sc.callbacks {
        fix(&mut c.body, &classes, &bound);
    }
}

/// The steps of a function body (`__del__`, a method, a callback): one statement, found in the
/// file from `cursor` on (which moves past it), or a list of steps read as `steps:` is
/// ([`parse_steps`]: statements and `def` blocks; the checker refuses `repeat:` and
/// `random_edges:` there); each statement counted in `total`.
fn parse_body(
    ck: &mut Checker,
    loc: &Locator,
    body: super::raw::StrOrList,
    cursor: &mut Pos,
    total: &mut usize,
) -> Vec<super::ast::Step> {
    match body {
        super::raw::StrOrList::One(t) => {
            let t = t.0;
            let (p, verbatim) = loc.locate(t.trim(), *cursor);
            *cursor = advance(p, t.trim());
            *total += 1;
            parse_step(ck, &t, p, verbatim).into_iter().collect()
        }
        super::raw::StrOrList::Many(items) => parse_steps(ck, loc, items, cursor, 0, total),
    }
}
