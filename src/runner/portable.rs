//! The portable harness: a scenario as a plain Python program that needs nothing CPython-only,
//! for implementations that lack CPython's `gc` module (PyPy: no `gc.get_count()`, no
//! `gc.freeze()`, `gc.collect()` returns `None`), and its run.
//!
//! It differs from [`super::program`] on purpose. That harness keeps CPython's collector
//! undisturbed to the object (no call, no allocation between statements, counts given back),
//! which only means something on CPython. This one labels objects in the same way (side tables
//! keyed by `id()`), but through ordinary function calls; finds the live instances with
//! `gc.get_objects()`; marks each top-level statement (`@LINE`) so that every event is placed
//! at the statement during which it happened; and after the scenario's end and final
//! observation *drains* (collects until nothing more is finalized, `@drain`) and observes once
//! more, so that "eventually finalized" can be checked ([`crate::trace::portable`]).
//!
//! Each scenario runs in a fresh process (`python -s -S -`, program on stdin, the environment of
//! [`super::process::python_command`]), not in a child of the fork server: the server relies on
//! `os.fork()` after a warm-up and on `gc.freeze()` (absent from PyPy), and a fork of a JIT-ed,
//! moving-collector process proves nothing about a fresh one. PyPy starts in about 0.1 s, so a
//! whole corpus takes a minute or two.
//!
//! A scenario that uses a `gc` function the implementation lacks, or one whose result is a
//! CPython implementation detail (counts, thresholds, statistics, the permanent generation,
//! tracking, `record: collections`), is not run at all: [`needs`] names what it uses.

use super::Interpreter;
use super::process::{RunError, python_command, run_raw, status_text};
use super::program::{assigned_value, canonical, random_edges_loop};
use crate::scenario::{Query, Scenario, Step, Stmt, tuple_is_new};
use crate::trace::portable::{At, Located};
use crate::trace::{Event, text};
use std::fmt::Write as _;
use std::time::Duration;

/// The portable harness (`harness/portable.py`), pasted at the top of every portable program.
const HARNESS: &str = include_str!("harness/portable.py");

/// Prints the names of the `gc` module's attributes, one line.
const GC_PROBE: &str = "import gc, sys\nsys.stdout.write(' '.join(dir(gc)) + '\\n')\n";

/// Something a scenario uses that a portable run may not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// How the scenario uses it: `gc.get_count()`, `record: collections`.
    pub what: String,
    /// The `gc` attribute it needs.
    pub attr: &'static str,
    /// Whether its result is a CPython implementation detail (then the scenario is not
    /// applicable even where the attribute exists: PyPy's `gc.get_stats()` is another thing).
    pub cpython_only: bool,
}

/// What the scenario uses of the `gc` module beyond `collect`, `enable`, `disable`, `garbage`,
/// in order of first use, without repeats.
pub fn needs(sc: &Scenario) -> Vec<Need> {
    let mut out: Vec<Need> = Vec::new();
    let mut add = |what: String, attr: &'static str, cpython_only: bool| {
        if !out.iter().any(|n| n.what == what) {
            out.push(Need {
                what,
                attr,
                cpython_only,
            });
        }
    };
    if sc.record_collections {
        add("record: collections".into(), "callbacks", true);
    }
    for s in sc.statements() {
        match s {
            Stmt::SetDebug { .. } => add("gc.set_debug()".into(), "set_debug", false),
            Stmt::SetThreshold(_) => add("gc.set_threshold()".into(), "set_threshold", true),
            Stmt::Freeze => add("gc.freeze()".into(), "freeze", true),
            Stmt::Unfreeze => add("gc.unfreeze()".into(), "unfreeze", true),
            Stmt::Query(q) => {
                let only = !matches!(q, Query::IsFinalized(_));
                add(format!("gc.{}()", q.function()), q.function(), only);
            }
            _ => {}
        }
    }
    out
}

/// What keeps `sc` from a portable run under an implementation whose `gc` module has
/// `attributes`: `uses gc.get_count()`, `uses gc.set_debug() (PyPy 3.9.16 has no
/// gc.set_debug)`. Empty: it can run.
pub fn not_applicable(sc: &Scenario, attributes: &[String], interp: &str) -> Vec<String> {
    needs(sc)
        .into_iter()
        .filter_map(|n| {
            let has = attributes.iter().any(|a| a == n.attr);
            if !has {
                Some(format!("uses {} ({interp} has no gc.{})", n.what, n.attr))
            } else if n.cpython_only {
                Some(format!("uses {} (a CPython implementation detail)", n.what))
            } else {
                None
            }
        })
        .collect()
}

/// The names of the interpreter's `gc` module attributes.
pub fn gc_attributes(interp: &Interpreter, timeout: Duration) -> Result<Vec<String>, RunError> {
    let out = run_raw(python_command(&interp.path).arg("-"), GC_PROBE, timeout)?;
    if !out.status.success() {
        return Err(RunError::Crashed {
            status: status_text(out.status),
            stderr: out.stderr.trim().to_string(),
        });
    }
    Ok(out.stdout.split_whitespace().map(str::to_string).collect())
}

/// The portable program that stands for `sc` (see the module docs).
pub fn translate(sc: &Scenario) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# gcconform portable program for scenario {} (runs on any Python 3 or 2.7)",
        sc.id.replace(['\n', '\r'], "?")
    );
    out.push_str(HARNESS);
    out.push_str("\n# ---- classes\n");
    let sets = sc.uses_sets();
    for (i, c) in sc.classes.iter().enumerate() {
        let name = ident(&c.name);
        let _ = writeln!(out, "class {name}({}):", super::program::bases_text(c));
        let mut empty = true;
        if let Some(slots) = &c.slots {
            let items: Vec<String> = slots.iter().map(|s| format!("'{}'", ident(s))).collect();
            let t = match items.len() {
                0 => "()".to_string(),
                1 => format!("({},)", items[0]),
                _ => format!("({})", items.join(", ")),
            };
            let _ = writeln!(out, "    __slots__ = {t}");
            empty = false;
        }
        if sets {
            out.push_str(super::program::SET_HASH);
            empty = false;
        }
        if let Some(body) = &c.del {
            out.push_str("    def __del__(self):\n");
            let mut lines = globals(body);
            lines.push("_me = _label(self)".to_string());
            lines.push(format!("_evadd({} + _me)", quoted(text::DEL)));
            body_lines(&mut lines, body, Scope::Del, 0);
            for l in lines {
                let _ = writeln!(out, "        {l}");
            }
            empty = false;
        }
        for m in &c.methods {
            super::program::method_header(&mut out, m);
            let mut lines = globals(&m.body);
            lines.push("pass".to_string());
            body_lines(&mut lines, &m.body, Scope::Func, 0);
            for l in lines {
                let _ = writeln!(out, "        {l}");
            }
            empty = false;
        }
        if empty {
            out.push_str("    pass\n");
        }
        let _ = writeln!(out, "_cls[_id({name})] = '{name}'");
        let l = sc.layout(i);
        if l.has_dict && !l.slots.is_empty() {
            // As the CPython harness: 3.13 gives these instances a real dict.
            let _ = writeln!(out, "_dicts313[_id({name})] = 1");
        }
    }
    if sc
        .statements()
        .any(|s| matches!(s, crate::scenario::Stmt::SetClass { .. }))
    {
        out.push_str("_RETYPE = True\n");
    }
    for c in &sc.callbacks {
        let _ = writeln!(out, "def {}(wr):", ident(&c.name));
        let mut lines = globals(&c.body);
        lines.push(format!("_evadd({} + _label(wr))", quoted(text::CALLBACK)));
        body_lines(&mut lines, &c.body, Scope::Callback, 0);
        for l in lines {
            let _ = writeln!(out, "    {l}");
        }
    }
    out.push_str("# ---- start\ngc.disable()\ngc.collect()\ndel gc.garbage[:]\n# ---- steps\n");
    // A statement that raises (a name a finalizer was to fill in, on CPython at once) ends the
    // steps: `!TYPE` is recorded, and the end, observation and drain follow.
    let mut lines = vec!["pass".to_string()];
    for s in &sc.steps {
        lines.push(format!("# line {}: {}", s.pos.line, canonical(&s.stmt)));
        lines.push(format!("_evadd('@{}')", s.pos.line));
        body_lines(&mut lines, std::slice::from_ref(s), Scope::Top, 0);
    }
    out.push_str("try:\n");
    for l in lines {
        out.push_str("    ");
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str("except Exception as _e:\n    _stopped(_e)\n    _e = None\n");
    let _ = writeln!(
        out,
        "# ---- end\n_evadd({})\n_observe()\n_drain()\n_print_trace()",
        quoted(text::END)
    );
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Top,
    Del,
    Callback,
    /// A method or `def` body.
    Func,
}

/// A function body's `global` declarations (hoisted: they apply to the whole function).
fn globals(body: &[Step]) -> Vec<String> {
    body.iter()
        .filter(|s| matches!(s.stmt, Stmt::Global(_) | Stmt::Nonlocal(_)))
        .map(|s| canonical(&s.stmt))
        .collect()
}

fn body_lines(out: &mut Vec<String>, steps: &[Step], scope: Scope, depth: usize) {
    for s in steps {
        stmt_lines(out, &s.stmt, scope, depth);
    }
}

fn stmt_lines(out: &mut Vec<String>, s: &Stmt, scope: Scope, depth: usize) {
    let label =
        |out: &mut Vec<String>, n: &str| out.push(format!("_new('{n}', {n})", n = ident(n)));
    match s {
        Stmt::Global(_) | Stmt::Nonlocal(_) => {}
        Stmt::Def(d) => {
            // The header, its declarations hoisted, the body; the new function labelled.
            out.push(canonical(s));
            let mut inner = globals(&d.body);
            inner.push("pass".to_string());
            body_lines(&mut inner, &d.body, Scope::Func, depth);
            out.extend(inner.into_iter().map(|l| format!("    {l}")));
            label(out, &d.name);
        }
        Stmt::Assign {
            target,
            value: crate::scenario::Value::Method { .. },
        } => {
            out.push(canonical(s));
            label(out, target);
        }
        Stmt::New { target, .. } | Stmt::NewList { target, .. } | Stmt::NewDict { target, .. } => {
            out.push(canonical(s));
            label(out, target);
        }
        Stmt::NewTuple { target, items } => {
            out.push(canonical(s));
            if tuple_is_new(items) {
                label(out, target);
            }
        }
        Stmt::WeakRef {
            target,
            referent,
            callback: None,
            ..
        } => {
            // A ref or a proxy: new unless it was among the referent's weak references.
            out.push(format!("_wb = weakref.getweakrefs({})", ident(referent)));
            out.push(canonical(s));
            out.push(format!("_newref('{t}', {t}, _wb)", t = ident(target)));
            out.push("_wb = None".to_string());
        }
        Stmt::WeakRef {
            target,
            callback: Some(_),
            ..
        } => {
            // Labelled before the store, which may free the referent (and run the callback).
            let rhs = assigned_value(s);
            let referent = match s {
                Stmt::WeakRef { referent, .. } => ident(referent),
                _ => unreachable!(),
            };
            out.push(format!(
                "_w = {rhs}; _callback_ref('{t}', _w, {referent}); {t} = _w; _w = None",
                t = ident(target)
            ));
        }
        Stmt::Collect(_) => {
            let call = canonical(s);
            out.push(format!("_collected('{call}', {call})"));
            if scope == Scope::Top {
                out.push("_observe()".to_string());
            }
        }
        Stmt::SetAttr { obj, .. } => {
            out.push(canonical(s));
            let o = match obj {
                crate::scenario::Target::Name(n) => ident(n).to_string(),
                crate::scenario::Target::GarbageItem(i) => format!("gc.garbage[{i}]"),
            };
            out.push(format!("_own_dict({o})"));
        }
        Stmt::Repeat { count, body } => {
            out.push(format!("for _i{depth} in _xrange({count}):"));
            let mut inner = Vec::new();
            body_lines(&mut inner, body, scope, depth + 1);
            inner.push("pass".to_string());
            out.extend(inner.into_iter().map(|l| format!("    {l}")));
        }
        Stmt::RandomEdges { list, attrs, seed } => {
            out.extend(random_edges_loop(list, attrs, *seed, &|_| Vec::new()));
        }
        Stmt::Try(t) => {
            let block = |out: &mut Vec<String>, header: String, steps: &[Step]| {
                out.push(header);
                let mut inner = Vec::new();
                body_lines(&mut inner, steps, scope, depth);
                inner.push("pass".to_string());
                out.extend(inner.into_iter().map(|l| format!("    {l}")));
            };
            block(out, "try:".to_string(), &t.body);
            for h in &t.handlers {
                block(out, super::program::except_header(h), &h.body);
            }
            if let Some(f) = &t.finally {
                block(out, "finally:".to_string(), f);
            }
        }
        Stmt::Raise if scope == Scope::Del => {
            out.push(format!(
                "_evadd({} + _me + {})",
                quoted(text::DEL),
                quoted(text::RAISED)
            ));
            out.push(canonical(s));
        }
        _ => out.push(canonical(s)),
    }
}

/// A scenario name (validated: an identifier); panics otherwise, as [`super::program`] does.
fn ident(s: &str) -> &str {
    assert!(
        s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "gcconform bug: `{s}` is not an identifier in a validated scenario"
    );
    s
}

/// A Python string literal of an ASCII text constant of [`text`].
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A portable run: the events, each placed, and what each `gc.collect()` returned (`None` on
/// PyPy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortableRun {
    pub events: Vec<Located>,
    pub collect_results: Vec<Option<i64>>,
    /// The label of each weakref with a callback → the label of its referent.
    pub referents: Vec<(String, String)>,
    /// The top-level statement that raised, and the exception's type: the rest did not run.
    pub stopped: Option<(At, String)>,
}

/// Run `sc`'s portable program under `interp` in a fresh process.
pub fn run(
    interp: &Interpreter,
    sc: &Scenario,
    timeout: Duration,
) -> Result<PortableRun, RunError> {
    let out = super::process::run_stdin(interp, &translate(sc), timeout)?;
    let mut r = parse(&out.stdout)?;
    let ignored = super::process::ignored_exceptions(&out.stderr);
    if !ignored.is_empty() {
        r.events.push(Located {
            event: Event::Ignored(ignored),
            at: At::Drain,
        });
    }
    Ok(r)
}

/// Read a portable program's output: the lines between the trace markers, `@LINE` and `@drain`
/// placing the events after them, `end` placing what follows at the end.
pub fn parse(stdout: &str) -> Result<PortableRun, RunError> {
    let lines: Vec<&str> = stdout.lines().map(str::trim_end).collect();
    let begin = lines
        .iter()
        .position(|l| *l == super::TRACE_BEGIN)
        .ok_or_else(|| RunError::BadOutput("no trace in the output".into()))?;
    let end = lines[begin..]
        .iter()
        .position(|l| *l == super::TRACE_END)
        .ok_or_else(|| RunError::BadOutput("the trace is cut short".into()))?
        + begin;
    let mut at = At::Unknown;
    let mut run = PortableRun {
        events: Vec::new(),
        collect_results: Vec::new(),
        referents: Vec::new(),
        stopped: None,
    };
    for l in &lines[begin + 1..end] {
        if *l == "@drain" {
            at = At::Drain;
            continue;
        }
        if let Some(e) = l.strip_prefix('!') {
            run.stopped = Some((at, e.to_string()));
            continue;
        }
        if let Some(pair) = l.strip_prefix('=') {
            let (w, r) = pair
                .split_once(' ')
                .ok_or_else(|| RunError::BadOutput(format!("bad referent line `{l}`")))?;
            run.referents.push((w.to_string(), r.to_string()));
            continue;
        }
        if let Some(n) = l.strip_prefix('@') {
            at = At::Line(
                n.parse()
                    .map_err(|_| RunError::BadOutput(format!("bad marker `{l}`")))?,
            );
            continue;
        }
        let (line, none) = match l.strip_suffix(" -> None") {
            Some(call) if call.starts_with(text::COLLECT) => (format!("{call} -> 0"), true),
            _ => (l.to_string(), false),
        };
        let event: Event = line
            .parse()
            .map_err(|e| RunError::BadOutput(format!("{e}")))?;
        if let Event::Collect { result, .. } = &event {
            run.collect_results
                .push(if none { None } else { Some(*result) });
        }
        if event == Event::End {
            at = At::End;
        }
        run.events.push(Located { event, at });
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_scenario;
    use std::path::Path;

    fn sc(text: &str) -> Scenario {
        parse_scenario(Path::new("scenarios/test/t.yaml"), text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn marks_every_top_level_statement_and_drains_at_the_end() {
        let s = sc(
            "classes:\n  A:\n    __del__: raise RuntimeError()\nsteps:\n  - a = A()\n  - w = weakref.ref(a, callback)\n  - del a\n  - gc.collect()\n",
        );
        let p = translate(&s);
        for want in [
            "try:\n    pass\n    # line 5: a = A()\n",
            "    _evadd('@5')\n    a = A()\n    _new('a', a)\n",
            "    _evadd('@6')\n    _w = weakref.ref(a, callback); _callback_ref('w', _w, a); w = _w; _w = None\n",
            "    _evadd('@8')\n    _collected('gc.collect()', gc.collect())\n    _observe()\n",
            "except Exception as _e:\n    _stopped(_e)\n",
            "        _evadd('__del__ ' + _me + ' raised RuntimeError')\n        raise RuntimeError()\n",
            "_evadd('end')\n_observe()\n_drain()\n_print_trace()\n",
        ] {
            assert!(p.contains(want), "{want}\n---\n{p}");
        }
        assert!(!p.contains("get_count"), "needs nothing CPython-only");
    }

    #[test]
    fn names_what_a_scenario_needs_that_an_implementation_lacks() {
        let s = sc(
            "versions: ['3.9+']\nsteps:\n  - gc.get_count()\n  - x = []\n  - gc.is_finalized(x)\n  - gc.freeze()\n",
        );
        let pypy: Vec<String> = [
            "collect",
            "enable",
            "disable",
            "garbage",
            "get_objects",
            "freeze",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            not_applicable(&s, &pypy, "PyPy 3.9.16"),
            [
                "uses gc.get_count() (PyPy 3.9.16 has no gc.get_count)",
                "uses gc.is_finalized() (PyPy 3.9.16 has no gc.is_finalized)",
                "uses gc.freeze() (a CPython implementation detail)",
            ]
        );
        let plain = sc("steps:\n  - x = []\n  - gc.collect()\n");
        assert!(not_applicable(&plain, &pypy, "PyPy").is_empty());
    }

    #[test]
    fn reads_markers_none_results_and_the_drain() {
        let out = "noise\n#gcconform-trace-begin\n@5\n=w a\n@7\n__del__ a\ngc.collect() -> None\ngc.garbage: []\nalive: []\nend\ngc.garbage: []\nalive: []\n@drain\ncallback w\ngc.garbage: []\nalive: []\n#gcconform-trace-end\n";
        let r = parse(out).unwrap();
        let ats: Vec<At> = r.events.iter().map(|l| l.at).collect();
        assert_eq!(
            ats,
            [
                At::Line(7),
                At::Line(7),
                At::Line(7),
                At::Line(7),
                At::End,
                At::End,
                At::End,
                At::Drain,
                At::Drain,
                At::Drain
            ]
        );
        assert_eq!(r.collect_results, [None]);
        assert_eq!(r.referents, [("w".to_string(), "a".to_string())]);
        assert_eq!(r.stopped, None);
        let r =
            parse("#gcconform-trace-begin\n@9\n!IndexError\nend\n#gcconform-trace-end\n").unwrap();
        assert_eq!(r.stopped, Some((At::Line(9), "IndexError".to_string())));
        assert!(parse("#gcconform-trace-begin\n@x\n#gcconform-trace-end\n").is_err());
        assert!(parse("#gcconform-trace-begin\n").is_err());
    }
}
