//! Scenario → Python program (runs on 2.7 and 3.x) that prints the scenario's trace.
//!
//! Every scenario statement becomes the same Python statement, rendered from the validated AST
//! (never pasted from the file). The harness around it keeps its state in module globals whose
//! names start with `_` (scenario names cannot) and labels objects in side tables keyed by
//! `id()`. It is built so that the collector sees what the scenario alone would give it; a
//! test runs every statement with and without the harness and compares `gc.get_count()`.
//!
//! The Python that is the same in every program is kept in real files under `harness/`,
//! pulled in with `include_str!` and pasted unchanged (no substitution): `harness.py` (the
//! harness), `warm_up.py` (the warm-up) and `start.py` (the end of start-up, [`START`]). Their
//! text is the program's text, byte for byte, so what each file is and where it goes is
//! documented here and on its constant, not in a comment of its own. Everything that depends
//! on the scenario is rendered here.
//!
//! Layout of the generated program:
//! 1. a comment header (scenario id, description, how to run it by hand);
//! 2. the harness and `callback` (`harness/harness.py`), then the start of the labelling
//!    generators and a warm-up of every harness path (`harness/warm_up.py`): the same text in
//!    every program (the fork server runs it once, and each child starts from there, see
//!    [`super::pool`]: so it must not read, print or exit, except where `gc.get_count` is
//!    missing; [`SCENARIO_PART`] is the line after it);
//! 3. the scenario classes;
//! 4. start-up: [`FROZEN_OK`] if the scenario never enables, freezes or unfreezes the
//!    collector, the scenario's flags and labellers, the observation pool, then [`START`]
//!    (`harness/start.py`: `gc.disable()`, `gc.collect()`, `del gc.garbage[:]`);
//! 5. the steps, each preceded by a `# line N: statement` comment and followed by its
//!    labelling / observation lines;
//! 6. `end`, a final observation, and the trace printed between [`TRACE_BEGIN`] and
//!    [`TRACE_END`], then `os._exit(0)` (no interpreter shutdown).
//!
//! What "not disturbing the collector" takes (each point was seen to matter on some version):
//! * No Python function is called between statements. A returning frame is a deallocation,
//!   which on 2.7-3.7 runs pending trashcan deallocations (deep chains) early, and on 2.7-3.10
//!   a first call allocates a frame. Labelling runs in generators created at start-up and
//!   resumed with `send` (no frame allocated or freed), or inline.
//! * No method is looked up per use (`obj.meth(...)` allocates a bound method on 2.7/3.6),
//!   `type(o)` is not called (an argument tuple on <=3.9): `o.__class__` instead.
//! * Labels, types and sequence numbers live in dicts of strings and ints keyed by `id()`
//!   (no GC allocation), the type as `id(type)` so no class is kept alive.
//! * Every harness path runs once before the initial collection (lazily created caches, e.g.
//!   the keyword tuple `list.sort` caches on 3.7, are created then).
//! * An observation (after `gc.collect()`) needs `gc.get_objects()`'s list and
//!   `gc.get_count()`'s tuples. The gen-0 count tells which of them were fresh: fresh ones are
//!   kept (emptied) and their count is given back by freeing as many pool objects (tuple
//!   iterators: no free list, no trashcan); recycled ones go back to their free list, except
//!   when pending trashcan work could be flushed by freeing them (2.7-3.7, deep chains).
//! * 3.12+ runs a scheduled automatic collection at the next eval-breaker check: every call
//!   (even `id()` or `'%d' % n`), generator resume or loop. When the scenario can enable
//!   automatic collection (`_QUIET`), the harness adds no such check between statements: a
//!   `[]`/`{}`/`(a,)` creation reserves its label number without a call and binds it to the
//!   object's id right after the next statement whose own call checks the eval breaker (not
//!   `x.append(v)`, which 3.12+ specialise into a call that does not, nor `x.m()`, a Python
//!   function's frame that 3.11+ inline); events are stored without a call; `weakref.ref(x)`
//!   is recognised as new through `x.__weakref__` (a bound method's by its reference count
//!   after the call). When a finalizer or method body allocates with no check after it (a
//!   bound method, `[]`), `x = A()` labels the instance between the call and the store, whose
//!   release of `x`'s old object may run that finalizer.
//! * A bound method stored where no name binds it may take the memory of a dead labelled one
//!   (2.7-3.8 keep freed methods on a free list): `_unlabel` drops that stale label, read back
//!   through where it was stored (not while `_QUIET`).

use crate::scenario::hierarchy::Layout;
pub use crate::scenario::tuple_is_new;
use crate::scenario::{
    ClassDef, ClassOrigin, Query, Scenario, SetBuild, Step, Stmt, Target, Value,
};
use crate::trace::text;
use crate::util::lcg;
use std::fmt::Write as _;

/// The start of the line that ends the part of the program that is the same for every scenario
/// (after the comment header): the classes and the rest follow it.
pub const SCENARIO_PART: &str = "# ---- classes";

/// The line (in the scenario's part, see [`setup`]) of a program that never enables, freezes or
/// unfreezes the collector: a child of the fork server that runs such a program freezes what it
/// inherited (the harness included) first, out of its collections and observations
/// (`server.py`).
pub const FROZEN_OK: &str = "# gcconform: never enables, freezes or unfreezes the collector";

/// The line printed before the trace.
pub const TRACE_BEGIN: &str = "#gcconform-trace-begin";
/// The line printed after the trace.
pub const TRACE_END: &str = "#gcconform-trace-end";

/// The harness: everything the program needs besides the scenario's classes and steps, from
/// `from __future__ import print_function` to the end of `callback` (the comment header comes
/// before it, the warm-up after it). It must stay valid Python 2.7 and 3.6+ (no f-strings, no
/// `nonlocal`, print as a function). `harness/harness.py` is pasted into every program byte
/// for byte, so what it is is said here rather than in a comment every program would carry.
const HARNESS: &str = include_str!("harness/harness.py");

/// The warm-up section, pasted byte for byte after [`HARNESS`] and two blank lines: its
/// `# ---- warm-up` line, the start of the labelling and observing generators, then every
/// harness path run once before the initial collection, so that one-time lazy allocations
/// happen now and not during the scenario (`harness/warm_up.py`; its comments are the
/// program's).
const WARM_UP: &str = include_str!("harness/warm_up.py");

/// `_unlabels` and the types of functions and bound methods (`harness/unlabel.py`), only in
/// programs whose scenario has methods or functions.
const UNLABEL: &str = include_str!("harness/unlabel.py");

/// `_new_class(C)`, in programs whose steps make classes (`harness/new_class.py`).
const NEW_CLASS: &str = include_str!("harness/new_class.py");

/// What tells a proxy's type without reading its `__class__` (`harness/proxy.py`), only in
/// programs whose scenario makes proxies.
const PROXY: &str = include_str!("harness/proxy.py");

/// Whether the scenario never enables, freezes or unfreezes the collector nor looks at the
/// permanent generation ([`FROZEN_OK`]: the fork server may freeze what the program inherits).
fn frozen_ok(sc: &Scenario) -> bool {
    sc.leaves_collector_off()
}

/// The Python program that stands for `scenario`.
pub fn translate(scenario: &Scenario) -> String {
    let cx = Cx::new(scenario);
    let mut out = String::new();
    header(&mut out, scenario);
    out.push_str(HARNESS);
    out.push_str("\n\n");
    if cx.proxies {
        // Before the warm-up: reading `__instancecheck__` readies the proxy types on 2.7
        // (`PyType_Ready` takes tuples from their free list), which the warm-up then leaves as
        // every program has them (fuzz seed 85 #7078).
        out.push_str(PROXY);
        out.push('\n');
    }
    out.push_str(WARM_UP);
    out.push('\n');
    out.push_str(SCENARIO_PART);
    out.push_str(
        " --------------------------------------------------------------------------------\n",
    );
    if frozen_ok(scenario) {
        // What the fork server does before it runs this part in a child (server.py, `_start`
        // and `_child`): the harness's objects leave the collector's view, so that a fresh
        // run's start-up collections order the classes' objects as a forked run's do.
        out.push_str(
            "if _sys.version_info >= (3, 7): gc.collect(0); gc.freeze()  # as the fork server does\n",
        );
    }
    for (i, c) in scenario.classes.iter().enumerate() {
        if c.origin == ClassOrigin::Declared {
            class_def(&mut out, c, &scenario.layout(i), &cx);
        }
    }
    for c in &scenario.callbacks {
        callback_def(&mut out, c, &cx);
    }
    for a in &cx.value_slots {
        let ids: Vec<String> = scenario
            .classes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.origin == ClassOrigin::Declared)
            .filter(|(i, _)| scenario.layout(*i).slots.iter().any(|v| v == a))
            .map(|(_, c)| format!("_id({}): 1", ident(&c.name)))
            .collect();
        let _ = writeln!(out, "_slots_{} = {{{}}}", ident(a), ids.join(", "));
    }
    if cx.record {
        out.push_str(&record_setup());
    }
    if !cx.step_classes.is_empty() {
        // Warmed up on `object`, whose tuples are no scenario object's.
        out.push_str(NEW_CLASS);
        out.push_str("_new_class = _started(_classes())\n_new_class(object)\n");
    }
    if cx.callables {
        // Only programs that can store a bound method without a name need `_unlabel` (and
        // the others keep the start-up heap they always had); warmed up on an unlabelled
        // object.
        out.push_str(UNLABEL);
        out.push_str("_unlabel = _started(_unlabels())\n_unlabel(_ev)\n");
    }
    out.push_str("\n# ---- start ----------------------------------------------------------------------------------\n");
    setup(&mut out, scenario, &cx);
    out.push_str("\n# ---- steps ----------------------------------------------------------------------------------\n");
    let mut body = Body::new(&cx, Scope::Top);
    for s in &scenario.steps {
        body.lines
            .push(format!("# line {}: {}", s.pos.line, canonical(&s.stmt)));
        body.stmt(&s.stmt);
    }
    let mut lines = body.lines;
    lines.push(String::new());
    lines.push("# ---- end ------------------------------------------------------------------------------------".to_string());
    lines.push(emit_line(&py_str(text::END)));
    let mut end = Body::new(&cx, Scope::Top);
    end.pending = body.pending;
    end.pending_dicts = body.pending_dicts;
    end.bind_pending();
    lines.extend(end.lines);
    lines.push("_observe()".to_string());
    // Nothing happens after the final observation: calling _print_trace allocates its frame
    // (2.7-3.10), and turning 2.7's recorded reports into events allocates lists, either of
    // which could start a collection whose events would follow the observation. gc.disable()
    // allocates nothing; the observation left nothing scheduled.
    lines.push("gc.disable()".to_string());
    if cx.record {
        lines.extend(record_end().lines().map(str::to_string));
    }
    lines.push("_print_trace()".to_string());
    for l in lines {
        out.push_str(&l);
        out.push('\n');
    }
    out
}

/// `random_edges:` as a Python loop that allocates no GC object of its own but the `range()`
/// call's argument tuple on 2.7–3.8 (as a `repeat:` loop does, and as the model counts): the
/// length is read once (`_len_of`, a generator resume), the loop runs over a range iterator
/// (`xrange` on 2.7), the generator state and indices are ints, the list is subscripted afresh
/// for every store, and the attribute loop is unrolled (no backward jump per attribute). Each
/// store is followed by `after_store(attr)`'s lines; the helper names are deleted at the end.
pub fn random_edges_loop(
    list: &str,
    attrs: &[String],
    seed: u64,
    after_store: &dyn Fn(&str) -> Vec<String>,
) -> Vec<String> {
    let l = ident(list);
    let mut out = vec![
        format!("_ex = {seed}"),
        format!("_en = _len_of({l})"),
        "_ei = 0".to_string(),
        "for _ei in _xrange(_en):".to_string(),
    ];
    for a in attrs {
        out.push(format!("    _ex = {}", lcg::python_next("_ex")));
        out.push(format!(
            "    {l}[_ei].{} = {l}[{}]",
            ident(a),
            lcg::python_index("_ex", "_en")
        ));
        for line in after_store(a) {
            out.push(format!("    {line}"));
        }
    }
    out.push("del _ex, _en, _ei".to_string());
    out
}

/// The statement that records one event (no call: see the module documentation).
fn emit_line(expr: &str) -> String {
    format!("_ev[_evn[0]] = {expr}; _evn[0] += 1")
}

/// Every statement of the scenario: steps (with `repeat:` bodies), then `__del__` bodies in
/// class order, then callback bodies.
fn all_statements(sc: &Scenario) -> impl Iterator<Item = &Stmt> {
    sc.statements()
}

/// The names that new objects are bound to, in order of first appearance.
pub fn labelled_names(sc: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for s in all_statements(sc) {
        if let Some(n) = creation_target(s)
            && !names.iter().any(|x| x == n)
        {
            names.push(n.to_string());
        }
    }
    names
}

/// The name a statement binds a (possibly) new object to.
fn creation_target(s: &Stmt) -> Option<&str> {
    match s {
        Stmt::New { target, .. }
        | Stmt::NewList { target, .. }
        | Stmt::NewDict { target, .. }
        | Stmt::NewSet { target, .. }
        | Stmt::WeakRef { target, .. } => Some(target),
        Stmt::NewTuple { target, items } if tuple_is_new(items) => Some(target),
        Stmt::Assign {
            target,
            value: Value::Method { .. } | Value::Unbound { .. },
        } => Some(target),
        Stmt::Def(d) => Some(&d.name),
        _ => None,
    }
}

/// Whether a weak reference may be taken to a class: some class name is used as a value (a
/// weakref's referent included), so a name may hold one.
fn weakrefs_may_name_classes(sc: &Scenario) -> bool {
    let is_class = |n: &str| sc.class(n).is_some();
    let stmts: Vec<&Stmt> = all_statements(sc).collect();
    stmts.iter().any(|s| matches!(s, Stmt::WeakRef { .. }))
        && stmts.iter().any(|s| match s {
            Stmt::WeakRef { referent, .. } => is_class(referent),
            // (`values_mut` on a copy: the loader's walk over every value a statement reads.)
            s => (*s)
                .clone()
                .values_mut()
                .iter()
                .any(|v| matches!(v, Value::Name(n) if is_class(n))),
        })
}

/// A creation that makes a new object on 2.7 only: `x = A.m` (an unbound method there; the
/// existing function on 3.x). Its label is bound only where it is new.
fn new_on_2_7_only(s: &Stmt) -> bool {
    matches!(
        s,
        Stmt::Assign {
            value: Value::Unbound { .. },
            ..
        }
    )
}

/// Whether some `__del__`, callback or method body allocates a GC object with no eval-breaker
/// check after it (`[]`, `{}`, `(a,)`, a bound method `a.m`, the instance dict an attribute
/// store creates, as 3.13 does for a class with a value slot and `__dict__`, or the dict
/// `x.__class__ = B` materializes on 3.11+): run by the store of `x = A()` (releasing what `x`
/// held), after the call's own check, it may leave an automatic collection scheduled (3.12+;
/// fuzz seed 70 #6569: `self.y = None` in `__del__`).
fn bodies_allocate_silently(sc: &Scenario) -> bool {
    sc.bodies().flatten().any(|st| {
        built_without_call(&st.stmt).is_some()
            || !stored_methods(&st.stmt).is_empty()
            || matches!(st.stmt, Stmt::SetAttr { .. } | Stmt::SetClass { .. })
    })
}

/// Where a statement stores each bound method it makes (`a.cb = b.m`, `l.append(a.m)`,
/// `l = [a.m]`, ...) without binding it to a name: expressions that read it back without
/// making anything (a finalizer run by the store may have changed what is there; then another
/// object's label may be dropped, or a stale one kept).
fn stored_methods(s: &Stmt) -> Vec<String> {
    stored_values(s, |v| matches!(v, Value::Method { .. }))
}

/// Where a statement stores each 2.7 unbound method it makes (`l.append(A.m)`, ...), as
/// [`stored_methods`] for bound methods; on 3.x those places hold the class's function.
fn stored_unbound_methods(s: &Stmt) -> Vec<String> {
    stored_values(s, |v| matches!(v, Value::Unbound { .. }))
}

/// Where a statement stores each value `is_m` picks without binding it to a name.
fn stored_values(s: &Stmt, is_m: impl Fn(&Value) -> bool) -> Vec<String> {
    match s {
        Stmt::SetAttr { obj, attr, value } if is_m(value) => {
            vec![format!("{}.{attr}", target(obj))]
        }
        Stmt::SetItem { obj, key, value } if is_m(value) => {
            vec![format!("{}[{}]", ident(obj), py_str(key))]
        }
        Stmt::Append { obj, value } if is_m(value) => vec![format!("{}[-1]", ident(obj))],
        Stmt::GarbageAppend(value) if is_m(value) => vec!["gc.garbage[-1]".to_string()],
        Stmt::NewList { target, items } | Stmt::NewTuple { target, items } => items
            .iter()
            .enumerate()
            .filter(|(_, v)| is_m(v))
            .map(|(i, _)| format!("{}[{i}]", ident(target)))
            .collect(),
        Stmt::NewDict { target, items } => items
            .iter()
            .filter(|(_, v)| is_m(v))
            .map(|(k, _)| format!("{}[{}]", ident(target), py_str(k)))
            .collect(),
        _ => Vec::new(),
    }
}

/// A creation that builds the object without a call (`[]`, `{}`, `(a,)`): on 3.12+ it may
/// leave an automatic collection scheduled, so it is labelled later (see the module docs).
fn built_without_call(s: &Stmt) -> Option<&str> {
    match s {
        Stmt::NewList { target, .. } | Stmt::NewDict { target, .. } => Some(target),
        Stmt::NewTuple { target, items } if tuple_is_new(items) => Some(target),
        Stmt::NewSet {
            target,
            build: SetBuild::Display,
            ..
        } => Some(target),
        // `x = a.method`: LOAD_ATTR makes the bound method; `def f():` MAKE_FUNCTION.
        Stmt::Assign {
            target,
            value: Value::Method { .. },
        } => Some(target),
        Stmt::Def(d) => Some(&d.name),
        _ => None,
    }
}

/// Whether the statement always checks the eval breaker itself (a call that checks when it
/// returns, or a generator resume), and so, on 3.12+, runs a scheduled collection: then binding
/// labels right after it (a call too) adds no check of its own. `x.append(v)` calls, but from
/// its second execution on (a loop, a `__del__` body) 3.12+ run it as the specialised
/// `CALL_NO_KW_LIST_APPEND` / `CALL_LIST_APPEND`, which does not check: a binding after it
/// would run a collection the scenario alone would run later. Nor does a call of a scenario
/// function or method: 3.12+ run it inlined, checking at its start (`RESUME`), not on return.
fn makes_a_call(s: &Stmt) -> bool {
    if let Stmt::NewSet { build, .. } = s {
        return *build != SetBuild::Display;
    }
    matches!(
        s,
        Stmt::New { .. }
            | Stmt::RandomEdges { .. }
            | Stmt::WeakRef { .. }
            | Stmt::SetOp { .. }
            | Stmt::Collect(_)
            | Stmt::Enable
            | Stmt::Disable
            | Stmt::SetDebug { .. }
            | Stmt::SetThreshold(_)
            | Stmt::Freeze
            | Stmt::Unfreeze
            | Stmt::Query(_)
    )
}

/// The name a statement rebinds or deletes, if any.
fn rebound_name(s: &Stmt) -> Option<&str> {
    match s {
        Stmt::DelName(n) => Some(n),
        Stmt::Assign { target, .. } => Some(target),
        Stmt::Call {
            target: Some(t), ..
        } => Some(t),
        Stmt::NewTuple { target, .. } => Some(target),
        s => creation_target(s),
    }
}

/// How many objects the observation pool holds: enough for every observation the scenario
/// makes (one after each top-level collect and one at the end; a handful of objects each).
fn pool_size(sc: &Scenario) -> usize {
    let top = sc
        .steps
        .iter()
        .filter(|s| matches!(s.stmt, Stmt::Collect(_)))
        .count();
    (16 * (top + 2)).min(100_000)
}

/// Whether the scenario can build a deallocation chain deep enough (about 50 trashcan-protected
/// deallocations, i.e. 25 instances with a dict) to leave deallocations pending on 2.7-3.7.
/// Each creation makes at most two such objects (an instance and its dict: the dicts a
/// `random_edges:` store creates belong to elements counted where they were created); a
/// statement in a `repeat:` body runs as many times as the loop says, one in a `__del__` body
/// may run many times.
pub fn deep_chains_possible(sc: &Scenario) -> bool {
    let top = creations(&sc.steps);
    let in_del = sc.bodies().map(creations).fold(0, u64::saturating_add);
    top.saturating_add(in_del.saturating_mul(10)) > 20
}

/// How many creating statements `steps` execute, `repeat:` bodies as often as they run.
fn creations(steps: &[Step]) -> u64 {
    steps
        .iter()
        .map(|s| match &s.stmt {
            Stmt::Repeat { count, body } => count.saturating_mul(creations(body)),
            st if creation_target(st).is_some() => 1,
            _ => 0,
        })
        .fold(0, u64::saturating_add)
}

/// State that depends on the scenario, the generators, the pool, and the initial collection.
fn setup(out: &mut String, sc: &Scenario, cx: &Cx) {
    // Instances of a class with `__slots__ = ()` are not GC objects on 2.7-3.7.
    let untracked = (0..sc.classes.len()).any(|i| !sc.layout(i).adds_variables);
    let freeze = all_statements(sc).any(|s| matches!(s, Stmt::Freeze));
    if frozen_ok(sc) {
        // With automatic collection off, objects that are reachable and older than the
        // scenario's change nothing whether a collection looks at them or not. (Unless the
        // scenario looks at the permanent generation. Tracking is the same either way: the
        // only older objects a scenario can name are its code's constants, and the server
        // collects them as a fresh process's start-up collection does before it freezes.)
        let _ = writeln!(out, "{FROZEN_OK}");
    }
    let flag = |on: bool, expr: &'static str| if on { expr } else { "False" };
    let _ = writeln!(
        out,
        "_DEEP = {}  # instances that gc.get_objects() cannot see",
        flag(untracked, "_sys.version_info < (3, 8)")
    );
    let _ = writeln!(
        out,
        "_FREEZE = {}  # the scenario uses gc.freeze()",
        flag(freeze, "True")
    );
    let _ = writeln!(
        out,
        "_SUMMARY = {}  # `trace: summary`: gcconform groups runs of labels when it reads the trace",
        flag(sc.summary, "True")
    );
    if cx.retype {
        out.push_str("_RETYPE = True  # the scenario reassigns __class__\n");
    }
    if cx.slots_dict_class {
        // 3.13 gives instances of `__slots__ = [..., '__dict__']` classes with a value slot
        // real dicts (`__slots__ = ['__dict__']` alone keeps its attributes inline).
        out.push_str("_OWN_DICTS = _OWN_DICTS or _sys.version_info >= (3, 13)\n");
    }
    let _ = writeln!(
        out,
        "_KEEP_ALL = {}  # pending trashcan work can survive a statement",
        flag(deep_chains_possible(sc), "_sys.version_info < (3, 8)")
    );
    let _ = writeln!(
        out,
        "_QUIET = {}  # automatic collections run at the next call (the scenario enables them)",
        flag(cx.any_enable, "_sys.version_info >= (3, 12)")
    );
    let names = labelled_names(sc);
    if !names.is_empty() {
        let counts: Vec<String> = names.iter().map(|n| format!("{}: 0", py_str(n))).collect();
        let _ = writeln!(out, "_count.update({{{}}})", counts.join(", "));
    }
    for n in &names {
        if all_statements(sc)
            .any(|s| creation_target(s) == Some(n) && built_without_call(s).is_none())
        {
            let _ = writeln!(out, "_new_{n} = _started(_labeller({}))", py_str(n));
        }
        if cx.built.iter().any(|b| b == n) {
            let _ = writeln!(out, "_bind_{n} = _started(_binder({}))", py_str(n));
        }
    }
    let _ = writeln!(
        out,
        "for _i in _range({}):\n    _pool_append(_iter(()))",
        pool_size(sc)
    );
    if cx.stats {
        // gc.get_stats(): its result while it is read, the text read from it, and the
        // statistics at the end of start-up (collections, collected, uncollectable, per
        // generation), which the scenario's are counted from.
        out.push_str("_sl = [None, None]\n_sb = [0] * 9\n");
    }
    if cx.freeze_count {
        // gc.get_freeze_count(): the count read; whether the scenario's last gc.freeze() or
        // gc.unfreeze() was a freeze; then how many objects it froze that are not the
        // scenario's (what start-up left, less the pool, and the observations' kept objects);
        // a loop index.
        out.push_str("_fz = [0, 0, 0, 0]\n");
    }
    out.push_str(START);
    if cx.any_enable {
        out.push_str(STARTUP_HEAP);
    }
    if freeze || cx.freeze_count {
        // 3.12 freezes 375 tuples of its own at start-up: only more than that means that the
        // scenario froze something (and the observations need the deep walk).
        out.push_str("_FROZEN0 = gc.get_freeze_count()\n");
    }
    if cx.freeze_count && freeze {
        // What a gc.freeze() of the scenario freezes besides the scenario's objects: every
        // tracked object start-up left (the pool's included: those it frees later are
        // subtracted then), on top of what was frozen already; and the objects observations
        // keep from now on (the warm-up's are start-up's). A full collection untracks a tuple
        // whose items are all untracked, so nested tuples lose their tracking one level per
        // collection: collect until one untracks nothing, so that the scenario's collections
        // cannot untrack any of what start-up left.
        let _ = writeln!(
            out,
            "_G0 = _len(gc.get_objects())\n\
             gc.collect()\n\
             while _G0 != _len(gc.get_objects()):\n    \
             _G0 = _len(gc.get_objects())\n    \
             gc.collect()\n\
             _FZ0 = _FROZEN0 + _G0 - {}\n\
             _KEPT0 = _len(_kept)",
            pool_size(sc)
        );
    }
    if cx.stats {
        out.push_str("_sl[0] = gc.get_stats()\n");
        for (r, key) in text::STATS_KEYS.iter().enumerate() {
            for g in 0..3 {
                // The gc.collect() below is one more collection of generation 2.
                let plus = if r == 0 && g == 2 { " + 1" } else { "" };
                let _ = writeln!(
                    out,
                    "_sb[{}] = _sl[0][{g}][{}]{plus}",
                    3 * r + g,
                    py_str(key)
                );
            }
        }
        out.push_str("_sl[0] = None\n");
    }
    if cx.stats || (cx.freeze_count && freeze) {
        // The lines above allocated (a list, dicts): back to the state START left (counts,
        // free lists; nothing new survives, so the oldest generation is the same).
        out.push_str("gc.collect()\n");
    }
    if cx.record {
        out.push_str(RECORD_START);
    }
}

/// `record: collections`: what reports each collection, defined after the classes (so that
/// programs without the option keep the same text) and before start-up's collections. Each
/// stores one event, with no call and no GC allocation (`'%d' % n` takes no tuple); what
/// CPython itself allocates to call it is the model's (`Machine::invoke_gc_callback`,
/// `Machine::debug_stats_write`).
///
/// * 3.x: `_on_gc`, the `gc.callbacks` entry: its "stop" call stores `collection G: collected
///   M, uncollectable N`; its "start" call does nothing. `gc.callbacks.append` is bound here,
///   once, and kept (binding allocates a builtin method on 3.6; freeing it would leave one on
///   the free list).
/// * 2.7 (no `gc.callbacks`): `gc.DEBUG_STATS` (`_DBG`, kept on by the scenario's own
///   `gc.set_debug`), with `sys.stderr` an object whose `write` attribute is `_gc_write` (an
///   instance attribute: `PyFile_WriteObject` calls it with no bound method), which reads the
///   report as `collect()` writes it piece by piece: `gc: collecting generation N...\n`, the
///   five pieces of the sizes line, then, after the collection's frees, `gc: done` or `gc:
///   done, U unreachable, N uncollectable`, an optional elapsed time and `.\n`. At `gc: done`
///   it stores both lines as they are ([`record_end`] turns them into the event); other text
///   (exception reports) goes on to the real stderr. Set before start-up's collections, so the
///   writer's frame is its code's zombie frame when the scenario starts; `_gcw[2]` turns
///   recording on at the end of start-up.
pub fn record_setup() -> String {
    let field = |k: &str| format!("'%d' % info[{}]", py_str(k));
    let on_gc = emit_line(
        &[
            py_str(text::COLLECTION),
            field("generation"),
            py_str(text::COLLECTED),
            field("collected"),
            py_str(text::UNCOLLECTABLE),
            field("uncollectable"),
        ]
        .join(" + "),
    );
    format!(
        "def _on_gc(phase, info):\n    if phase == 'stop':\n        {on_gc}\n{}{RECORD_INSTALL}",
        record_writer()
    )
}

/// `record: collections` on 2.7: `_gc_write`, the `write` of the harness's `sys.stderr`,
/// which reads `gc.DEBUG_STATS` reports and passes other text on (see [`record_setup`]).
pub fn record_writer() -> String {
    format!(
        "_gcw = [0, '', 0]  # report pieces still to come (-1: until '.\\n'); its first line; recording\n\
         def _gc_write(s):\n    \
             n = _gcw[0]\n    \
             if n > 0:\n        _gcw[0] = n - 1\n    \
             elif n < 0:\n        if s == '.\\n':\n            _gcw[0] = 0\n    \
             elif s[:26] == 'gc: collecting generation ':\n        _gcw[1] = s\n        _gcw[0] = 5\n    \
             elif s[:8] == 'gc: done':\n        if _gcw[2]:\n            {raw}\n        _gcw[0] = -1\n    \
             else:\n        _stderr_write(s)\n",
        raw = emit_line("_gcw[1] + s"),
    )
}

/// `gc.set_debug(...)` in a scenario with `record: collections`: `DEBUG_STATS` stays on where
/// it reports the collections (`_DBG`: 2.7).
pub fn record_set_debug(saveall: bool) -> &'static str {
    if saveall {
        "gc.set_debug(gc.DEBUG_SAVEALL | _DBG)"
    } else {
        "gc.set_debug(_DBG)"
    }
}

/// `record: collections`, after `_on_gc` and `_gc_write` are defined, before start-up's
/// collections: 2.7's `sys.stderr` object (its `write` an instance attribute) and
/// `gc.DEBUG_STATS` (`_DBG`, 0 on 3.x), the real stderr's `write` for other text, and
/// `gc.callbacks.append` (3.x), bound once and kept.
pub const RECORD_INSTALL: &str = "class _GcErr(object):\n    pass\n\
_gc_err = _GcErr()\n\
_gc_err.write = _gc_write\n\
_stderr_write = _sys.stderr.write\n\
_DBG = gc.DEBUG_STATS if _sys.version_info[0] == 2 else 0\n\
if _DBG:\n    _sys.stderr = _gc_err\n    gc.set_debug(_DBG)\n\
_gc_callbacks_append = gc.callbacks.append if _sys.version_info[0] >= 3 else None\n";

/// `record: collections`, the last lines of start-up (after every collection of its own): the
/// first collection the scenario runs is the first recorded (3.x: `_on_gc` joins
/// `gc.callbacks`, and its first "start" call makes the frame that later calls reuse, ≤3.10;
/// a `METH_O` call of the bound method, nothing allocated; 2.7: `_gcw[2]` set).
pub const RECORD_START: &str =
    "_gcw[2] = 1\nif _sys.version_info[0] >= 3: _gc_callbacks_append(_on_gc)\n";

/// `record: collections`, before the trace is printed: `sys.stderr` back, and on 2.7 each
/// stored pair of `DEBUG_STATS` lines becomes its event (collected = unreachable -
/// uncollectable; a bare `gc: done` is 0 and 0).
pub fn record_end() -> String {
    format!(
        "_sys.stderr = _sys.__stderr__\n\
         if _DBG:\n    \
             for _k in _range(_evn[0]):\n        \
                 if _ev[_k][:4] == 'gc: ':\n            \
                     _g, _d = _ev[_k].split('\\n', 1)\n            \
                     _u = _n = '0'\n            \
                     if _d != 'gc: done':\n                \
                         _u, _n = _d[10:-14].split(' unreachable, ')\n            \
                     _ev[_k] = {} + _g[26:-3] + {} + '%d' % (int(_u) - int(_n)) + {} + _n\n",
        py_str(text::COLLECTION),
        py_str(text::COLLECTED),
        py_str(text::UNCOLLECTABLE),
    )
}

/// For a scenario that can enable automatic collection, after [`START`]: measure the start-up
/// heap, what the oldest generation holds after the start-up collection (CPython's
/// `long_lived_total`, which the full-collection heuristic weighs survivors against; `len(
/// gc.get_objects())` equals it then on 2.7-3.7, which have no generation argument), and
/// collect again so that counts and free lists are as that collection left them. It is
/// measured after a second collection: the first can leave a tuple tracked whose contents it
/// untracked only after looking at it. Under the fork server it can still differ by an object
/// or two between batches (the server's own buffers at the fork), which is why `run` notes only
/// larger differences. The harness prints it before the trace ([`crate::trace::STARTUP_HEAP_MARK`]).
pub const STARTUP_HEAP: &str = "\
gc.collect()
_i = gc.get_objects(2) if _sys.version_info >= (3, 8) else gc.get_objects()
_STARTUP = _len(_i)
_i = None
gc.collect()
";

/// The last lines of start-up (`harness/start.py`, pasted byte for byte at the end of the
/// `# ---- start` section, after the scenario's flags, labellers and pool). 2.7's collections
/// leave the list and dict free lists alone, so they are filled to a known state (full); 3.x's
/// full collection empties every free list.
pub const START: &str = include_str!("harness/start.py");

/// What statement translation needs to know about the whole scenario.
struct Cx {
    /// The classes that class statements among the steps make, with their layouts.
    step_classes: Vec<(ClassDef, Layout)>,
    /// Some class has instances with a `__dict__`, so an attribute store may create one
    /// (which can reuse the address of a freed, labelled dict: its stale label is dropped).
    dict_classes: bool,
    /// Some class has `__slots__` with `__dict__` and a value slot (a real dict on 3.13:
    /// `_OWN_DICTS` there too).
    slots_dict_class: bool,
    /// Attribute names that are value slots of some class (`_slots_<name>` holds those
    /// classes: a store to such a slot creates no dict).
    value_slots: Vec<String>,
    /// Names some statement binds to an object built without a call.
    built: Vec<String>,
    /// The program may enable automatic collection and some finalizer or method body
    /// allocates without an eval-breaker check after it ([`bodies_allocate_silently`]): the
    /// new instance of `x = A()` is labelled between the call and the store (whose release of
    /// what `x` held may run such a finalizer), not by a call after the store, which would run
    /// a collection that finalizer scheduled (3.12+); no pending label is bound after it.
    label_before_store: bool,
    /// Names that `__del__` bodies (declaring them `global`) bind to objects built without a
    /// call: their reservations are bound at every top-level point where labels are bound.
    del_global_built: Vec<String>,
    /// Some `__del__` body runs `gc.enable()` (then automatic collection may be on anywhere).
    del_enables: bool,
    /// Some statement runs `gc.enable()`.
    any_enable: bool,
    /// The program may both enable automatic collection (then `_QUIET` on 3.12+) and store
    /// to instances whose `__dict__` is a real dict on 3.13 (a dict and a value slot):
    /// there `_own_dict` (a generator resume, so an eval-breaker check) may not run between
    /// statements, and runs at the next binding point instead (top level only).
    quiet_dicts: bool,
    /// Some statement is `x.__class__ = B` (`_RETYPE`).
    retype: bool,
    /// Some statement is `gc.get_stats()`.
    stats: bool,
    /// Some statement is `gc.get_freeze_count()`.
    freeze_count: bool,
    /// `record: collections`: the harness's `gc.callbacks` entry records every collection.
    record: bool,
    /// Some class has methods or some step defines a function, or a weakref may refer to a
    /// class: a weakref's referent may be a bound method, a function or a type, which have no
    /// `__weakref__` attribute to read (a type's basic ref is the one its bases'
    /// `__subclasses__` hold).
    callables: bool,
    /// Some statement makes or changes a set: every class gets [`SET_HASH`].
    sets: bool,
    /// Some statement makes a `weakref.proxy` ([`PROXY`]).
    proxies: bool,
    /// The classes whose instances have a `__dict__` (their own or a base's).
    classes_with_dict: Vec<String>,
}

impl Cx {
    fn new(sc: &Scenario) -> Cx {
        let label_before_store =
            bodies_allocate_silently(sc) && (all_statements(sc).any(|s| matches!(s, Stmt::Enable)));
        let mut built: Vec<String> = Vec::new();
        for s in all_statements(sc) {
            if let Some(n) = built_without_call(s)
                && !built.iter().any(|b| b == n)
            {
                built.push(n.to_string());
            }
        }
        let mut del_global_built: Vec<String> = Vec::new();
        for body in sc.bodies() {
            let body = body.iter();
            let globals: Vec<&String> = body
                .clone()
                .filter_map(|s| match &s.stmt {
                    Stmt::Global(ns) => Some(ns),
                    _ => None,
                })
                .flatten()
                .collect();
            for s in body {
                if let Some(n) = built_without_call(&s.stmt)
                    && globals.iter().any(|g| *g == n)
                    && !del_global_built.iter().any(|b| b == n)
                {
                    del_global_built.push(n.to_string());
                }
            }
        }
        let layouts: Vec<Layout> = (0..sc.classes.len()).map(|i| sc.layout(i)).collect();
        let del_enables = sc
            .bodies()
            .flatten()
            .any(|s| matches!(s.stmt, Stmt::Enable));
        Cx {
            step_classes: sc
                .classes
                .iter()
                .zip(&layouts)
                .filter(|(c, _)| c.origin != ClassOrigin::Declared)
                .map(|(c, l)| (c.clone(), l.clone()))
                .collect(),
            dict_classes: layouts.iter().any(|l| l.has_dict),
            slots_dict_class: layouts.iter().any(real_dict_on_3_13),
            value_slots: {
                let mut v: Vec<String> = layouts.iter().flat_map(|l| l.slots.clone()).collect();
                v.sort();
                v.dedup();
                v
            },
            built,
            label_before_store,
            del_global_built,
            del_enables,
            any_enable: all_statements(sc).any(|s| matches!(s, Stmt::Enable)),
            // Only where `_OWN_DICTS` can be on with `_QUIET` (3.13, real dicts): elsewhere on
            // 3.11+ reading `__dict__` at a later binding point would materialize one.
            quiet_dicts: all_statements(sc).any(|s| matches!(s, Stmt::Enable))
                && layouts.iter().any(real_dict_on_3_13),
            retype: all_statements(sc).any(|s| matches!(s, Stmt::SetClass { .. })),
            sets: sc.uses_sets(),
            proxies: all_statements(sc).any(|s| matches!(s, Stmt::WeakRef { proxy: true, .. })),
            classes_with_dict: sc
                .classes
                .iter()
                .zip(&layouts)
                .filter(|(_, l)| l.has_dict)
                .map(|(c, _)| c.name.clone())
                .collect(),
            stats: all_statements(sc).any(|s| matches!(s, Stmt::Query(Query::Stats))),
            freeze_count: all_statements(sc).any(|s| matches!(s, Stmt::Query(Query::FreezeCount))),
            record: sc.record_collections,
            callables: sc.classes.iter().any(|c| !c.methods.is_empty())
                || !sc.defs().is_empty()
                || weakrefs_may_name_classes(sc),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope<'a> {
    Top,
    /// A `__del__` body, with the names it declares `global`.
    Del(&'a [String]),
    /// A callback body (`callbacks:`), with the names it declares `global`.
    Callback(&'a [String]),
    /// A method body (`methods:`), with the names it declares `global`.
    Method(&'a [String]),
    /// A `def` body, with the names it declares `global`.
    Func(&'a [String]),
}

/// Translates a sequence of statements (the steps, or one `__del__` body), keeping track of
/// label reservations not yet bound to their object.
struct Body<'a> {
    cx: &'a Cx,
    scope: Scope<'a>,
    lines: Vec<String>,
    /// Names whose object may hold a reservation (in order).
    pending: Vec<String>,
    /// The names and attributes of stores to instances while `_QUIET` kept `_own_dict` from
    /// running ([`Cx::quiet_dicts`]; top level only), in order.
    pending_dicts: Vec<(String, String)>,
    /// Whether automatic collection may be enabled here (then, on 3.12+, labels of objects
    /// built without a call are bound only after the next statement that makes a call).
    maybe_enabled: bool,
}

impl<'a> Body<'a> {
    fn new(cx: &'a Cx, scope: Scope<'a>) -> Body<'a> {
        let mut pending = Vec::new();
        if scope == Scope::Top {
            pending.extend(cx.del_global_built.iter().cloned());
        }
        let maybe_enabled = match scope {
            Scope::Top => cx.del_enables,
            Scope::Del(_) | Scope::Callback(_) | Scope::Method(_) | Scope::Func(_) => cx.any_enable,
        };
        Body {
            cx,
            scope,
            lines: Vec::new(),
            pending,
            pending_dicts: Vec::new(),
            maybe_enabled,
        }
    }

    fn is_pending(&self, n: &str) -> bool {
        self.pending.iter().any(|p| p == n)
    }

    /// Forget a reservation whose name is about to be rebound to something else (no call).
    fn drop_reservation(&mut self, n: &str) {
        let q = py_str(n);
        self.lines.push(format!(
            "if {q} in _heldn: del _heldn[{q}]; del _helds[{q}]"
        ));
        if !(self.scope == Scope::Top && self.cx.del_global_built.iter().any(|g| g == n)) {
            self.pending.retain(|p| p != n);
        }
    }

    /// Bind every pending reservation to the object its name holds now (makes calls).
    fn bind_pending(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for n in &pending {
            let q = py_str(n);
            if self.scope == Scope::Top && self.cx.del_global_built.iter().any(|g| g == n) {
                // A `__del__` body binds it: it may not be bound at all here.
                self.lines.push(format!(
                    "if {q} in _heldn and {q} in _globals(): _bind_{n}({n})"
                ));
            } else {
                self.lines.push(format!("if {q} in _heldn: _bind_{n}({n})"));
            }
        }
        if self.scope == Scope::Top {
            self.pending = self.cx.del_global_built.clone();
        }
        for (n, a) in std::mem::take(&mut self.pending_dicts) {
            let slot = if self.cx.value_slots.contains(&a) {
                format!(" and _id({n}.__class__) not in _slots_{a}")
            } else {
                String::new()
            };
            self.lines.push(format!(
                "if _QUIET and {} in _globals(){slot}: _own_dict({n})",
                py_str(&n)
            ));
        }
    }

    /// A block of a `try:` statement: its header, then its statements indented. `carried`:
    /// the reservations an earlier block of the statement may have left unbound when an
    /// exception cut it short: pending again here. Nothing is bound at the block's end (a
    /// binding is a call, which would run a collection scheduled since the last check, 3.12+):
    /// what is pending stays so until the next call, inside the block or after the statement.
    /// Returns every reservation pending at some point of the block.
    fn block(&mut self, header: String, steps: &[Step], carried: &[String]) -> Vec<String> {
        self.lines.push(header);
        let start = self.lines.len();
        let mut seen: Vec<String> = Vec::new();
        add_new(&mut self.pending, carried);
        add_new(&mut seen, &self.pending);
        for st in steps {
            self.lines
                .push(format!("# line {}: {}", st.pos.line, canonical(&st.stmt)));
            self.stmt(&st.stmt);
            add_new(&mut seen, &self.pending);
        }
        self.lines.push("pass".to_string());
        for l in &mut self.lines[start..] {
            *l = format!("    {l}");
        }
        seen
    }

    fn stmt(&mut self, s: &Stmt) {
        if let Some(n) = rebound_name(s) {
            // Its object may no longer be the one stored to (and reading a new instance's
            // __dict__ would create one): that dict keeps whatever label its address had.
            self.pending_dicts.retain(|(m, _)| m != n);
        }
        let built = built_without_call(s);
        if let Some(n) = rebound_name(s)
            && self.is_pending(n)
            && built != Some(n)
        {
            self.drop_reservation(n);
        }
        match s {
            Stmt::ClassStmt { name, .. } => {
                let (c, layout) = self
                    .cx
                    .step_classes
                    .iter()
                    .find(|(c, _)| c.name == *name)
                    .expect("the loader adds each class statement's class");
                let mut text = String::new();
                class_def(&mut text, c, layout, self.cx);
                self.lines
                    .extend(text.lines().filter(|l| !l.is_empty()).map(str::to_string));
                return;
            }
            Stmt::Try(t) => {
                // An exception may cut a block short, never the bookkeeping of a statement
                // (no statement's bookkeeping raises): what the body may have left unbound
                // (reservations from before it and its own) is bound in the handlers and
                // `finally:`, each binding guarded by whether its creation ran.
                let carried = self.block("try:".to_string(), &t.body, &[]);
                let mut made = carried.clone();
                for h in &t.handlers {
                    let in_handler = self.block(except_header(h), &h.body, &carried);
                    add_new(&mut made, &in_handler);
                }
                if let Some(f) = &t.finally {
                    let in_finally = self.block("finally:".to_string(), f, &made);
                    add_new(&mut made, &in_finally);
                }
                // Whatever any path may have left unbound is bound after the next call.
                add_new(&mut self.pending, &made);
                return;
            }
            Stmt::Repeat { count, body } => {
                // A Python loop; reservations are bound before it and at the end of each
                // iteration, so every iteration starts from the same state.
                self.bind_pending();
                self.lines.push(format!("for _r in _xrange({count}):"));
                let start = self.lines.len();
                for st in body {
                    self.lines
                        .push(format!("# line {}: {}", st.pos.line, canonical(&st.stmt)));
                    self.stmt(&st.stmt);
                }
                self.bind_pending();
                self.lines.push("pass".to_string());
                for l in &mut self.lines[start..] {
                    *l = format!("    {l}");
                }
                return;
            }
            Stmt::RandomEdges { list, attrs, seed } => {
                let cx = self.cx;
                let own_dict = |a: &str| -> Vec<String> {
                    // As after `x.attr = VALUE`: the store may have created the element's
                    // __dict__ (2.7-3.10). A finalizer run by the store may have shortened the
                    // list: then the scenario itself raises at its next subscript, not here.
                    let o = format!("{}[_ei]", ident(list));
                    let quiet = if cx.quiet_dicts {
                        " and not _QUIET"
                    } else {
                        ""
                    };
                    let guard = format!("_OWN_DICTS{quiet} and _ei < _len({})", ident(list));
                    if !cx.dict_classes {
                        Vec::new()
                    } else if cx.value_slots.iter().any(|v| v == a) {
                        vec![format!(
                            "if {guard} and _id({o}.__class__) not in _slots_{}: _own_dict({o})",
                            ident(a)
                        )]
                    } else {
                        vec![format!("if {guard}: _own_dict({o})")]
                    }
                };
                self.lines
                    .extend(random_edges_loop(list, attrs, *seed, &own_dict));
            }
            Stmt::SetClass { obj, class }
                if self.cx.classes_with_dict.iter().any(|c| c == class) =>
            {
                // 3.11+ materialized the instance's dict, maybe where a labelled dict died: drop
                // that label as after an attribute store (not where reading `__dict__` could
                // create one: 3.13's real dicts, `_OWN_DICTS`; nor while `_QUIET`). On 3.11 and
                // 3.12 `_dictclasses` leaves out classes whose dicts are inline, which this
                // dict no longer is: the new class stands in it for the call (fuzz seed 84
                // #204).
                self.lines.push(canonical(s));
                let c = ident(class);
                self.lines.push(format!(
                    "if _V311 and not _OWN_DICTS and not _QUIET: _dictclasses[_id({c})] = 1; _own_dict({o}); del _dictclasses[_id({c})]",
                    o = ident(obj)
                ));
            }
            Stmt::SetAttr { attr, .. } if attr == "__traceback__" => {
                // An exception's slot: no `__dict__` to look at (reading it would make one).
                self.lines.push(canonical(s));
            }
            Stmt::SetAttr { obj, attr, .. } if self.cx.dict_classes => {
                // The store may have created the instance's __dict__ (2.7-3.10), unless `attr`
                // is a slot of the object's class (then reading __dict__ would create one).
                self.lines.push(canonical(s));
                let quiet = if self.cx.quiet_dicts {
                    if let (Scope::Top, Target::Name(n)) = (self.scope, obj) {
                        let p = (n.clone(), attr.clone());
                        if !self.pending_dicts.contains(&p) {
                            self.pending_dicts.push(p);
                        }
                    }
                    " and not _QUIET"
                } else {
                    ""
                };
                if self.cx.value_slots.iter().any(|v| v == attr) {
                    self.lines.push(format!(
                        "if _OWN_DICTS{quiet} and _id({o}.__class__) not in _slots_{a}: _own_dict({o})",
                        o = target(obj),
                        a = ident(attr)
                    ));
                } else {
                    self.lines
                        .push(format!("if _OWN_DICTS{quiet}: _own_dict({})", target(obj)));
                }
            }
            Stmt::WeakRef {
                target,
                callback: None,
                proxy: true,
                ..
            } => {
                // weakref.proxy(x) returns x's basic proxy if it has one: new when nothing but
                // `_w` (and the count's argument) holds the result, judged and labelled before
                // the store (a proxy's `__weakref__`-like head is not readable: the list's
                // head is the basic ref, if any). `_rc` allocates nothing.
                let t = ident(target);
                self.lines.push(format!(
                    "_w = {}; _wn = _rc(_w) == 2; _pids[_id(_w)] = 1",
                    assigned_value(s)
                ));
                self.lines.push(format!("if _wn: _new_{t}(_w)"));
                self.lines.push(format!("{t} = _w; _w = None"));
            }
            Stmt::WeakRef {
                target,
                referent,
                callback: None,
                proxy: false,
            } => {
                // weakref.ref(x) returns x's basic weakref if it has one, which CPython keeps
                // at the head of x's weakref list: the result is new unless it is that head.
                // A bound method or a function has no `__weakref__` attribute to read (a bound
                // method's lookups go to its function).
                let (t, r) = (ident(target), ident(referent));
                // With `label_before_store`, the result is judged and labelled in `_w`,
                // before the store (whose release of what `t` held may run a finalizer that
                // schedules a collection); then nothing may call after the store.
                let (w, store, clear) = if self.cx.label_before_store {
                    (
                        "_w",
                        format!("_w = {}", assigned_value(s)),
                        format!("{t} = _w; _w = None"),
                    )
                } else {
                    (t, canonical(s), String::new())
                };
                if self.cx.callables {
                    // The result is new if nothing but the target holds it (an existing basic
                    // ref is held by something, which the store did not replace unless it was
                    // the target itself). `x.__class__` and the reference count read after the
                    // call allocate nothing and check the eval breaker only after the
                    // statement's own call did.
                    self.lines.push(format!(
                        "_wm = {r}.__class__ is _mtype or {r}.__class__ is _ftype or {r}.__class__ is type; _wh = None if _wm else {r}.__weakref__"
                    ));
                    self.lines.push(store);
                    self.lines.push(format!(
                        "if ((_rc({w}) == 2) if _wm else ({w} is not _wh)): _new_{t}({w})"
                    ));
                } else {
                    self.lines.push(format!("_wh = {r}.__weakref__"));
                    self.lines.push(store);
                    self.lines.push(format!("if {w} is not _wh: _new_{t}({w})"));
                }
                if !clear.is_empty() {
                    self.lines.push(clear);
                }
                self.lines.push("_wh = None".to_string());
            }
            Stmt::New { target, class } if self.cx.label_before_store => {
                let t = ident(target);
                self.lines.push(format!(
                    "_w = {}(); _new_{t}(_w); {t} = _w; _w = None",
                    ident(class)
                ));
            }
            Stmt::WeakRef {
                target,
                callback: Some(_),
                ..
            } => {
                // Label the new weakref before the store: the store may release the referent's
                // last name, whose dealloc runs the callback with this weakref. A proxy's
                // address is noted first (`_pids`).
                let t = ident(target);
                let note = if matches!(s, Stmt::WeakRef { proxy: true, .. }) {
                    "_pids[_id(_w)] = 1; "
                } else {
                    ""
                };
                self.lines.push(format!(
                    "_w = {}; {note}_new_{t}(_w); {t} = _w; _w = None",
                    assigned_value(s)
                ));
            }
            Stmt::Collect(_) => {
                let call = canonical(s);
                self.lines.push(emit_line(&format!(
                    "{} % {call}",
                    py_str(&format!(
                        "{call}{}%d",
                        text::RETURNS.trim_start_matches(')')
                    ))
                )));
                // After the call: label what was built since the last call, then observe
                // (only at top level: inside `__del__` the collect's result alone is traced).
                self.bind_pending();
                if self.scope == Scope::Top {
                    self.lines.push("_observe()".to_string());
                }
            }
            Stmt::Query(q) => self.query(q),
            Stmt::SetDebug { saveall } if self.cx.record => {
                // 2.7 reports collections through `gc.DEBUG_STATS` (`_DBG`; 0 on 3.x): kept on.
                self.lines.push(record_set_debug(*saveall).to_string());
            }
            Stmt::Freeze | Stmt::Unfreeze if self.cx.freeze_count => {
                self.lines.push(canonical(s));
                if matches!(s, Stmt::Freeze) {
                    // What this froze that is not the scenario's: start-up's objects (the pool
                    // as it is now), the tracked objects observations kept since, and their
                    // spare tuples that no collection has untracked yet (`_fzs`: the next
                    // observation frees them, and they leave the permanent generation).
                    self.lines.extend([
                        "_fz[1] = 1; _fz[2] = _FZ0; _fz[3] = _KEPT0".to_string(),
                        "while _fz[3] < _len(_kept):".to_string(),
                        "    if gc.is_tracked(_kept[_fz[3]]): _fz[2] += 1".to_string(),
                        "    _fz[3] += 1".to_string(),
                        "_fz[3] = 0; _fzs[0] = 0".to_string(),
                        "while _fz[3] < _len(_spare):".to_string(),
                        "    if gc.is_tracked(_spare[_fz[3]]): _fzs[0] += 1".to_string(),
                        "    _fz[3] += 1".to_string(),
                        "if gc.is_tracked(_spare1[0]): _fzs[0] += 1".to_string(),
                    ]);
                } else {
                    self.lines.push("_fz[1] = 0".to_string());
                }
            }
            Stmt::Raise
                if matches!(
                    self.scope,
                    Scope::Callback(_) | Scope::Method(_) | Scope::Func(_)
                ) =>
            {
                // The frame ends here; a callback's raise is traced only as an ignored
                // exception (stderr); a method's propagates to its caller.
                self.finish_del();
                self.lines.push(canonical(s));
            }
            Stmt::Raise => {
                // The frame ends here: reservations of local names die with it.
                self.finish_del();
                self.lines.push(emit_line(&format!(
                    "{} + _me + {}",
                    py_str(text::DEL),
                    py_str(text::RAISED)
                )));
                self.lines.push(canonical(s));
            }
            Stmt::Return(_) => {
                // The frame ends here: reservations of local names die with it.
                self.finish_del();
                self.lines.push(canonical(s));
            }
            _ => {
                if let Stmt::Def(d) = s {
                    // The header, its `global`/`nonlocal` declarations hoisted, the body.
                    self.lines.push(canonical(s));
                    let globals = global_names(&d.body);
                    let mut lines = global_lines(&d.body);
                    let body = function_body(&d.body, self.cx, Scope::Func(&globals));
                    if body.is_empty() {
                        lines.push("pass".to_string());
                    }
                    lines.extend(body);
                    self.lines
                        .extend(lines.into_iter().map(|l| format!("    {l}")));
                } else {
                    self.lines.push(canonical(s));
                }
                if let Some(n) = built {
                    let q = py_str(n);
                    self.lines.push(format!(
                        "_count[{q}] += 1; _sq[0] += 1; _heldn[{q}] = _count[{q}]; _helds[{q}] = _sq[0]"
                    ));
                    if self.maybe_enabled {
                        self.lines.push(format!("if not _QUIET: _bind_{n}({n})"));
                        if !self.is_pending(n) {
                            self.pending.push(n.to_string());
                        }
                    } else {
                        self.lines.push(format!("_bind_{n}({n})"));
                    }
                } else if let Some(n) = creation_target(s) {
                    if new_on_2_7_only(s) {
                        self.lines
                            .push(format!("if _sys.version_info[0] == 2: _new_{n}({n})"));
                    } else {
                        self.lines.push(format!("_new_{n}({n})"));
                    }
                }
            }
        }
        // A bound method stored where no name binds it is unlabelled, but may sit where a
        // dead labelled object was (2.7-3.8 reuse a freed method from their free list): its
        // stale label is dropped, read back through where it was stored (a call: not while
        // an automatic collection may be scheduled, the runner's 3.12+ labelling limit).
        for place in stored_methods(s) {
            self.lines.push(format!("if not _QUIET: _unlabel({place})"));
        }
        for place in stored_unbound_methods(s) {
            self.lines
                .push(format!("if _sys.version_info[0] == 2: _unlabel({place})"));
        }
        // Likewise the tuples a `def` makes and no name binds: its closure, and its defaults
        // (new each time on 2.7; on 3.x only when a default is a name, else a constant), which
        // may take a dead labelled tuple's memory from the tuple free list.
        if let Stmt::Def(d) = s {
            let f = ident(&d.name);
            if !d.scope.freevars.is_empty() {
                self.lines
                    .push(format!("if not _QUIET: _unlabel({f}.__closure__)"));
            }
            let defaults: Vec<&Value> =
                d.params.iter().filter_map(|p| p.default.as_ref()).collect();
            if defaults.iter().any(|v| v.name().is_some()) {
                self.lines
                    .push(format!("if not _QUIET: _unlabel({f}.__defaults__)"));
            } else if !defaults.is_empty() {
                self.lines.push(format!(
                    "if not _QUIET and _sys.version_info[0] == 2: _unlabel({f}.__defaults__)"
                ));
            }
        }
        if makes_a_call(s)
            && !matches!(s, Stmt::Collect(_))
            && !(self.cx.label_before_store && matches!(s, Stmt::New { .. } | Stmt::WeakRef { .. }))
        {
            self.bind_pending();
        }
        match s {
            Stmt::Enable if self.scope == Scope::Top => self.maybe_enabled = true,
            Stmt::Disable if self.scope == Scope::Top => self.maybe_enabled = self.cx.del_enables,
            _ => {}
        }
    }

    /// A query: the call, and its value stored as an event, with no other call and no GC
    /// allocation (see the module docs). Each value is as the scenario sees it: counted from
    /// its start where start-up would show (`gc.get_stats()`, `gc.get_freeze_count()`).
    fn query(&mut self, q: &Query) {
        let call = q.to_string();
        match q {
            Query::Count | Query::Threshold => {
                // The tuple is released by `%`, before the event is stored.
                let prefix = match q {
                    Query::Count => text::GET_COUNT,
                    _ => text::GET_THRESHOLD,
                };
                self.lines.push(emit_line(&format!(
                    "{} % {call}",
                    py_str(&format!("{prefix}(%d, %d, %d)"))
                )));
            }
            Query::IsTracked(n) | Query::IsFinalized(n) => {
                let prefix = match q {
                    Query::IsTracked(_) => text::IS_TRACKED,
                    _ => text::IS_FINALIZED,
                };
                self.lines.push(emit_line(&format!(
                    "{} + ({} if {call} else {})",
                    py_str(&format!("{prefix}{}{}", ident(n), text::RETURNS)),
                    py_str(text::TRUE),
                    py_str(text::FALSE)
                )));
            }
            Query::FreezeCount => {
                // Frozen by the scenario's own gc.freeze(): all but what `_fz[2]` says froze
                // of the rest, less the pool objects the observations freed since. Otherwise
                // only what start-up froze can be frozen (3.12: immortal objects that a
                // collection moves back after gc.unfreeze()), which is not the scenario's.
                self.lines.push(format!("_fz[0] = {call}"));
                self.lines.push(emit_line(&format!(
                    "{} % (_fz[0] - _fz[2] - _fzs[0] - _len(_pool) if _fz[1] else (_fz[0] - _FROZEN0 if _fz[0] > _FROZEN0 else 0))",
                    py_str(&format!("{}%d", text::GET_FREEZE_COUNT))
                )));
            }
            Query::Stats => {
                // The list is read, released (as the statement releases it), then the text
                // becomes the event.
                self.lines.push(format!("_sl[0] = {call}"));
                let mut parts = vec![py_str(text::GET_STATS)];
                for (r, key) in text::STATS_KEYS.iter().enumerate() {
                    let sep = if r == 0 { "" } else { text::LIST_SEP };
                    parts.push(py_str(&format!("{sep}{key} (")));
                    for g in 0..3 {
                        if g > 0 {
                            parts.push(py_str(", "));
                        }
                        parts.push(format!(
                            "'%d' % (_sl[0][{g}][{}] - _sb[{}])",
                            py_str(key),
                            3 * r + g
                        ));
                    }
                    parts.push(py_str(")"));
                }
                self.lines.push(format!("_sl[1] = {}", parts.join(" + ")));
                self.lines.push("_sl[0] = None".to_string());
                self.lines.push(emit_line("_sl[1]"));
            }
        }
    }

    fn is_global(&self, n: &str) -> bool {
        match self.scope {
            Scope::Top => true,
            Scope::Del(globals)
            | Scope::Callback(globals)
            | Scope::Method(globals)
            | Scope::Func(globals) => globals.iter().any(|g| g == n),
        }
    }

    /// The end of a `__del__` body: reservations of local names die with the frame; global
    /// ones are bound at the next top-level binding point.
    fn finish_del(&mut self) {
        let locals: Vec<String> = self
            .pending
            .iter()
            .filter(|n| !self.is_global(n))
            .cloned()
            .collect();
        for n in locals {
            self.drop_reservation(&n);
        }
    }
}

/// A method's decorator (`@staticmethod`, `@classmethod`), if any, and its `def` line, in a
/// class body (the generated program's and the portable one's).
pub(super) fn method_header(out: &mut String, m: &crate::scenario::MethodDef) {
    if let Some(d) = m.kind.decorator() {
        let _ = writeln!(out, "    @{d}");
    }
    let _ = writeln!(
        out,
        "    def {}({}):",
        ident(&m.name),
        m.kind.param().unwrap_or_default()
    );
}

/// The line a class body gets when the scenario uses sets: every instance hashes to 0 (`bool()`
/// is False; a C callable, so hashing runs no Python frame and allocates nothing), and
/// equality stays identity, so where a key lands in a set depends on the set's statements
/// alone, not on addresses (`model::set` replays the table).
pub const SET_HASH: &str = "    __hash__ = bool\n";

fn class_def(out: &mut String, c: &ClassDef, layout: &Layout, cx: &Cx) {
    let name = ident(&c.name);
    if c.origin == (ClassOrigin::Step { via_type: true }) {
        // `type('C', (A,), {})`: a tuple display of the bases (`()` for object).
        let bases: Vec<&str> = c.bases.iter().map(|b| ident(b)).collect();
        let ns = if cx.sets { "{'__hash__': bool}" } else { "{}" };
        let _ = writeln!(
            out,
            "{name} = type({}, ({}), {ns})",
            py_str(name),
            match bases.as_slice() {
                [one] => format!("{one},"),
                _ => bases.join(", "),
            }
        );
        class_bookkeeping(out, name, c.exception, layout, cx);
        return;
    }
    let _ = writeln!(out, "class {name}({}):", bases_text(c));
    let mut empty = true;
    if let Some(slots) = &c.slots {
        let items: Vec<String> = slots.iter().map(|s| py_str(ident(s))).collect();
        let _ = writeln!(out, "    __slots__ = {}", tuple_text(&items));
        empty = false;
    }
    if cx.sets {
        out.push_str(SET_HASH);
        empty = false;
    }
    if let Some(body) = &c.del {
        if !empty {
            out.push('\n');
        }
        out.push_str("    def __del__(self):\n");
        for l in del_body(body, cx) {
            let _ = writeln!(out, "        {l}");
        }
        empty = false;
    }
    for m in &c.methods {
        if !empty {
            out.push('\n');
        }
        method_header(out, m);
        let globals = global_names(&m.body);
        let mut lines = global_lines(&m.body);
        let body = function_body(&m.body, cx, Scope::Method(&globals));
        if body.is_empty() {
            lines.push("pass".to_string());
        }
        lines.extend(body);
        for l in lines {
            let _ = writeln!(out, "        {l}");
        }
        empty = false;
    }
    if empty {
        out.push_str("    pass\n");
    }
    class_bookkeeping(out, name, c.exception, layout, cx);
}

/// After a class statement: the class's name for the trace, and whether its instances' dicts
/// are read to label them (`_dictclasses`). Stores into harness dicts and reads of flags and
/// of `version_info` items: no GC allocation (2.7 compares a `version_info` by making a tuple),
/// so the lines may follow a class statement among the steps.
fn class_bookkeeping(out: &mut String, name: &str, exception: bool, layout: &Layout, cx: &Cx) {
    let _ = writeln!(out, "_cls[_id({name})] = {}", py_str(name));
    if cx.retype && !exception {
        // A label survives a `__class__` assignment among these classes only: an exception
        // `raise E()` made (unlabelled) may take the address of a dead instance.
        let _ = writeln!(out, "_rcls[_id({name})] = 1");
    }
    if cx.step_classes.iter().any(|(c, _)| c.name == name) {
        let _ = writeln!(out, "_new_class({name})");
        // The classes of `classes:` are in `_slots_<a>` from its definition on.
        for a in &layout.slots {
            let _ = writeln!(out, "_slots_{}[_id({name})] = 1", ident(a));
        }
    }
    if real_dict_on_3_13(layout) {
        // `__slots__` with `__dict__` and a value slot: a real dict on 2.7-3.10 and again on
        // 3.13 (inline on 3.11/3.12, where reading __dict__ would materialize one).
        let _ = writeln!(
            out,
            "if not _V311 or _sys.version_info[1] >= 13: _dictclasses[_id({name})] = 1"
        );
    } else if layout.has_dict && cx.slots_dict_class {
        // Then _OWN_DICTS is on for 3.13 too, where this class's attributes are inline (a
        // plain class, or `__slots__` with `__dict__` and no value slot).
        let _ = writeln!(out, "if not _V311: _dictclasses[_id({name})] = 1");
    } else if layout.has_dict {
        let _ = writeln!(out, "_dictclasses[_id({name})] = 1");
    }
    out.push('\n');
}

/// Whether 3.13 gives the class's instances a real dict: a `__dict__` and a value slot somewhere
/// on the layout (`Py_TPFLAGS_INLINE_VALUES` only for instances no larger than `object`; the
/// model's `SlotsDictInline::WithoutValueSlots`).
fn real_dict_on_3_13(l: &Layout) -> bool {
    l.has_dict && !l.slots.is_empty()
}

/// The bases of a class statement: `object` or the scenario classes (`class B(A, M):`).
pub(crate) fn bases_text(c: &ClassDef) -> String {
    if c.bases.is_empty() && c.exception {
        "Exception".to_string()
    } else if c.bases.is_empty() {
        "object".to_string()
    } else {
        c.bases
            .iter()
            .map(|b| ident(b))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The lines of a `__del__` body. `global` declarations apply to the whole function in Python,
/// so they are hoisted to the top (Python 3 rejects a use before the declaration). The label
/// of `self` is computed first, right after the call that runs `__del__`.
fn del_body(body: &[Step], cx: &Cx) -> Vec<String> {
    let globals = global_names(body);
    let mut lines = global_lines(body);
    // With `_RETYPE` a label of a scenario instance holds across `__class__` assignments.
    let same_type = if cx.retype {
        "(_labtype[_id(self)] == _id(self.__class__) or (_labtype[_id(self)] in _rcls and _id(self.__class__) in _rcls))"
    } else {
        "_labtype[_id(self)] == _id(self.__class__)"
    };
    lines.push(format!(
        "_me = _lab[_id(self)] if _id(self) in _lab and {same_type} else '<' + self.__class__.__name__ + '>'"
    ));
    lines.push(emit_line(&format!("{} + _me", py_str(text::DEL))));
    lines.extend(function_body(body, cx, Scope::Del(&globals)));
    lines
}

/// The names a function body declares `global` (they apply to the whole function).
fn global_names(body: &[Step]) -> Vec<String> {
    body.iter()
        .filter_map(|s| match &s.stmt {
            Stmt::Global(ns) => Some(ns.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// A function body's `global` declarations, hoisted to its top.
fn global_lines(body: &[Step]) -> Vec<String> {
    body.iter()
        .filter(|s| matches!(s.stmt, Stmt::Global(_) | Stmt::Nonlocal(_)))
        .map(|s| canonical(&s.stmt))
        .collect()
}

/// The lines of a function body's statements but its `global` declarations, in `scope`.
fn function_body(body: &[Step], cx: &Cx, scope: Scope) -> Vec<String> {
    let mut b = Body::new(cx, scope);
    for s in body {
        if !matches!(s.stmt, Stmt::Global(_) | Stmt::Nonlocal(_)) {
            b.stmt(&s.stmt);
        }
    }
    b.finish_del();
    b.lines
}

/// A `callbacks:` function: `def NAME(wr):` whose first line records the call as the harness's
/// `callback` does, then the body (its `global` declarations hoisted, as in [`del_body`]).
fn callback_def(out: &mut String, c: &crate::scenario::CallbackDef, cx: &Cx) {
    let globals = global_names(&c.body);
    let _ = writeln!(out, "def {}(wr):", ident(&c.name));
    let mut lines = global_lines(&c.body);
    // The label is computed inline, as `_me` in a `__del__` (not through `_label`, a generator:
    // resumed at the recursion limit it would die of the RecursionError, and every later
    // label with it).
    lines.push(emit_line(&format!(
        "{} + (_lab[_id(wr)] if _id(wr) in _lab and _labtype[_id(wr)] == _id(((_tp(wr) if _PROXIES else None) or wr.__class__)) else '<' + ((_tp(wr) if _PROXIES else None) or wr.__class__).__name__ + '>')",
        py_str(text::CALLBACK)
    )));
    lines.extend(function_body(&c.body, cx, Scope::Callback(&globals)));
    for l in lines {
        let _ = writeln!(out, "    {l}");
    }
    out.push('\n');
}

/// The comment header: scenario id, description, how to run the file by hand.
fn header(out: &mut String, sc: &Scenario) {
    out.push_str("# -*- coding: utf-8 -*-\n");
    let _ = writeln!(
        out,
        "# gcconform reproducer for scenario {}",
        comment_text(&sc.id)
    );
    let _ = writeln!(
        out,
        "# (from {})",
        comment_text(&sc.path.display().to_string())
    );
    out.push_str("#\n");
    let desc = sc.description.trim_end();
    if !desc.is_empty() {
        for l in desc.lines() {
            let l = comment_text(l);
            if l.trim().is_empty() {
                out.push_str("#\n");
            } else {
                let _ = writeln!(out, "#   {}", l.trim_end());
            }
        }
        out.push_str("#\n");
    }
    out.push_str(
        "# Generated by gcconform; runs unchanged on CPython 2.7 and 3.6+ and prints the trace\n\
         # between #gcconform-trace-begin and #gcconform-trace-end. gcconform runs it as\n",
    );
    out.push_str(GENERIC_COMMAND_LINE);
    out.push_str("# (every PYTHON* variable removed, working directory /).\n");
}

/// The header line that says how the program is run, in general.
const GENERIC_COMMAND_LINE: &str =
    "#   env -u PYTHONPATH ... PYTHONHASHSEED=0 python -s -S - < this_file\n";

/// The program of [`translate`] with the exact command that runs it in its header (in place
/// of the general one; the rest, line numbers included, is unchanged).
pub fn reproducer(scenario: &Scenario, command: &str) -> String {
    translate(scenario).replacen(
        GENERIC_COMMAND_LINE,
        &format!("#   {}\n", comment_text(command)),
        1,
    )
}

/// Text safe inside a `#` comment: no line breaks or other control characters.
fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' || c == '\u{feff}' {
                '?'
            } else {
                c
            }
        })
        .collect()
}

/// Panics unless `s` is a plain ASCII identifier (the validator guarantees it; this keeps
/// hand-built ASTs from injecting code).
fn ident(s: &str) -> &str {
    let ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    assert!(
        ok,
        "gcconform bug: `{s}` is not an identifier in a validated scenario"
    );
    s
}

/// A single-quoted Python string literal with the same value on 2.7 and 3.x (ASCII only:
/// anything outside printable ASCII is escaped).
fn py_str(s: &str) -> String {
    let mut r = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => r.push_str("\\'"),
            '\\' => r.push_str("\\\\"),
            ' '..='~' => r.push(c),
            c if (c as u32) < 0x100 => {
                let _ = write!(r, "\\x{:02x}", c as u32);
            }
            // Keys are ASCII after validation; keep the literal well-formed regardless.
            c => {
                for b in c.to_string().bytes() {
                    let _ = write!(r, "\\x{b:02x}");
                }
            }
        }
    }
    r.push('\'');
    r
}

fn value(v: &Value) -> String {
    match v {
        Value::Name(n) => ident(n).to_string(),
        Value::None => "None".to_string(),
        Value::Int(i) => i.to_string(),
        Value::Method { obj, method }
        | Value::StaticMethod { obj, method }
        | Value::Unbound { class: obj, method } => format!("{}.{}", ident(obj), ident(method)),
        Value::Attr { obj, attr } => format!("{}.{}", ident(obj), ident(attr)),
    }
}

fn target(t: &Target) -> String {
    match t {
        Target::Name(n) => ident(n).to_string(),
        Target::GarbageItem(i) => format!("gc.garbage[{i}]"),
    }
}

/// `(a,)`, `(a, b)`, `()`.
fn tuple_text(items: &[String]) -> String {
    match items.len() {
        0 => "()".to_string(),
        1 => format!("({},)", items[0]),
        _ => format!("({})", items.join(", ")),
    }
}

/// The right-hand side of an assignment statement as Python writes it (`weakref.ref(a, cb)`
/// of `w = weakref.ref(a, cb)`), for programs that evaluate it into a temporary first.
pub(super) fn assigned_value(s: &Stmt) -> String {
    canonical(s)
        .split_once(" = ")
        .map(|x| x.1.to_string())
        .unwrap_or_default()
}

/// The statement as Python source, exactly as the language spells it (canonical spacing).
pub fn canonical(s: &Stmt) -> String {
    match s {
        Stmt::Repeat { count, body } => format!("repeat {count} ({} statements)", body.len()),
        Stmt::RandomEdges { list, attrs, seed } => {
            crate::scenario::random_edges_text(list, attrs, *seed)
        }
        Stmt::New { target, class } => format!("{} = {}()", ident(target), ident(class)),
        Stmt::ClassStmt {
            name,
            bases,
            via_type,
        } => {
            let mut bases: Vec<String> = bases.iter().map(|b| ident(b).to_string()).collect();
            if bases.is_empty() && !via_type {
                // `class C:` would be a classic class on 2.7.
                bases.push("object".to_string());
            }
            crate::scenario::class_stmt_text(ident(name), &bases, *via_type)
        }
        Stmt::NewList { target, items } => {
            let v: Vec<String> = items.iter().map(value).collect();
            format!("{} = [{}]", ident(target), v.join(", "))
        }
        Stmt::NewDict { target, items } => {
            let v: Vec<String> = items
                .iter()
                .map(|(k, v)| format!("{}: {}", py_str(k), value(v)))
                .collect();
            format!("{} = {{{}}}", ident(target), v.join(", "))
        }
        Stmt::NewSet {
            target,
            items,
            build,
            frozen,
        } => {
            let v: Vec<String> = items.iter().map(value).collect();
            crate::scenario::set_text(ident(target), &v, *build, *frozen)
        }
        Stmt::SetOp {
            obj,
            value: v,
            discard,
        } => crate::scenario::set_op_text(ident(obj), &value(v), *discard),
        Stmt::NewTuple { target, items } => {
            let v: Vec<String> = items.iter().map(value).collect();
            format!("{} = {}", ident(target), tuple_text(&v))
        }
        Stmt::Assign { target, value: v } => format!("{} = {}", ident(target), value(v)),
        Stmt::SetAttr {
            obj,
            attr,
            value: v,
        } => format!("{}.{} = {}", target(obj), ident(attr), value(v)),
        Stmt::SetItem { obj, key, value: v } => {
            format!("{}[{}] = {}", ident(obj), py_str(key), value(v))
        }
        Stmt::Append { obj, value: v } => format!("{}.append({})", ident(obj), value(v)),
        Stmt::SetClass { obj, class } => format!("{}.__class__ = {}", ident(obj), ident(class)),
        Stmt::Call {
            target,
            obj,
            name,
            args,
        } => {
            let a: Vec<String> = args.iter().map(value).collect();
            let callee = match obj {
                Some(o) => format!("{}.{}", ident(o), ident(name)),
                None => ident(name).to_string(),
            };
            match target {
                Some(t) => format!("{} = {callee}({})", ident(t), a.join(", ")),
                None => format!("{callee}({})", a.join(", ")),
            }
        }
        Stmt::Def(d) => {
            let ps: Vec<String> = d
                .params
                .iter()
                .map(|p| match &p.default {
                    Some(v) => format!("{}={}", ident(&p.name), value(v)),
                    None => ident(&p.name).to_string(),
                })
                .collect();
            format!("def {}({}):", ident(&d.name), ps.join(", "))
        }
        Stmt::Return(None) => "return".to_string(),
        Stmt::Return(Some(v)) => format!("return {}", value(v)),
        Stmt::Nonlocal(ns) => {
            let v: Vec<&str> = ns.iter().map(|n| ident(n)).collect();
            format!("nonlocal {}", v.join(", "))
        }
        Stmt::DelName(n) => format!("del {}", ident(n)),
        Stmt::DelAttr { obj, attr } => format!("del {}.{}", target(obj), ident(attr)),
        Stmt::DelKey { obj, key } => format!("del {}[{}]", ident(obj), py_str(key)),
        Stmt::DelIndex { obj, index } => format!("del {}[{index}]", ident(obj)),
        Stmt::WeakRef {
            target,
            referent,
            callback,
            proxy,
        } => format!(
            "{} = weakref.{}({}{})",
            ident(target),
            if *proxy { "proxy" } else { "ref" },
            ident(referent),
            callback
                .as_ref()
                .map(|c| format!(", {}", ident(c)))
                .unwrap_or_default()
        ),
        Stmt::GarbageAppend(v) => format!("gc.garbage.append({})", value(v)),
        Stmt::FromGarbage { target, index } => format!("{} = gc.garbage[{index}]", ident(target)),
        Stmt::Collect(None) => "gc.collect()".to_string(),
        Stmt::Collect(Some(g)) => format!("gc.collect({g})"),
        Stmt::Enable => "gc.enable()".to_string(),
        Stmt::Disable => "gc.disable()".to_string(),
        Stmt::SetDebug { saveall: true } => "gc.set_debug(gc.DEBUG_SAVEALL)".to_string(),
        Stmt::SetDebug { saveall: false } => "gc.set_debug(0)".to_string(),
        Stmt::SetThreshold(ts) => {
            let v: Vec<String> = ts.iter().map(|t| t.to_string()).collect();
            format!("gc.set_threshold({})", v.join(", "))
        }
        Stmt::Freeze => "gc.freeze()".to_string(),
        Stmt::Unfreeze => "gc.unfreeze()".to_string(),
        Stmt::ClearGarbage => "del gc.garbage[:]".to_string(),
        Stmt::RebindGarbage => "gc.garbage = []".to_string(),
        Stmt::Pass => "pass".to_string(),
        Stmt::Global(ns) => {
            let v: Vec<&str> = ns.iter().map(|n| ident(n)).collect();
            format!("global {}", v.join(", "))
        }
        Stmt::Raise => "raise RuntimeError()".to_string(),
        Stmt::Throw(t) => throw_text(t, &ident),
        Stmt::Try(_) => "try:".to_string(),
        Stmt::Query(q) => q.to_string(),
    }
}

/// Append to `to` the names of `names` it does not hold yet, in order.
fn add_new(to: &mut Vec<String>, names: &[String]) {
    for n in names {
        if !to.contains(n) {
            to.push(n.clone());
        }
    }
}

/// `except E:`, `except E as n:`.
pub fn except_header(h: &crate::scenario::Handler) -> String {
    match &h.name {
        Some(n) => format!("except {} as {}:", ident(&h.class), ident(n)),
        None => format!("except {}:", ident(&h.class)),
    }
}

/// `raise E()`, `raise x`, `raise`, names through `name`.
pub fn throw_text<'a>(t: &'a crate::scenario::Throw, name: &dyn Fn(&'a str) -> &'a str) -> String {
    use crate::scenario::Throw;
    match t {
        Throw::New(c) => format!("raise {}()", name(c)),
        Throw::Name(n) => format!("raise {}", name(n)),
        Throw::From { what, cause } => format!(
            "{} from {}",
            throw_text(what, name),
            cause.as_deref().map_or("None", name)
        ),
        Throw::Reraise => "raise".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse_scenario;
    use std::path::Path;

    fn sc(text: &str) -> Scenario {
        parse_scenario(Path::new("scenarios/test/t.yaml"), text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The lines between the `# ---- steps` and `# ---- end` markers, without comments.
    fn steps_of(p: &str) -> Vec<String> {
        section(p, "# ---- steps", "# ---- end")
            .lines()
            .skip(1)
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    }

    fn section<'a>(p: &'a str, from: &str, to: &str) -> &'a str {
        let a = p.find(from).expect("section start");
        let b = p[a..].find(to).expect("section end") + a;
        &p[a..b]
    }

    fn reserve(n: &str) -> String {
        format!(
            "_count['{n}'] += 1; _sq[0] += 1; _heldn['{n}'] = _count['{n}']; _helds['{n}'] = _sq[0]"
        )
    }

    /// A finalizer whose attribute store may create the instance's dict (3.13's real dicts):
    /// with automatic collection on, `x = A()` and `w = weakref.ref(x)` are labelled between
    /// their call and the store that may run that finalizer, and no labelling call follows the
    /// store (fuzz seed 70 #6569: it ran 3.13's scheduled collection early).
    #[test]
    fn a_finalizer_storing_an_attribute_labels_before_the_store() {
        let s = sc(r#"
description: t
classes:
  A:
    __slots__: ["x", "__dict__", "__weakref__"]
    __del__: self.seen = None
steps:
  - gc.enable()
  - h = A()
  - w = weakref.ref(h)
  - h = A()
  - w = weakref.ref(h)
"#);
        let p = translate(&s);
        let steps = steps_of(&p);
        assert_eq!(
            steps
                .iter()
                .filter(|l| l.as_str() == "_w = A(); _new_h(_w); h = _w; _w = None")
                .count(),
            2,
            "{steps:#?}"
        );
        let i = steps
            .iter()
            .position(|l| l == "_w = weakref.ref(h)")
            .unwrap_or_else(|| panic!("{steps:#?}"));
        assert_eq!(steps[i - 1], "_wh = h.__weakref__");
        assert_eq!(steps[i + 1], "if _w is not _wh: _new_w(_w)");
        assert_eq!(steps[i + 2], "w = _w; _w = None");
        assert_eq!(steps[i + 3], "_wh = None");
        // Without a body that allocates, the store comes first and the label after it.
        let plain = translate(&sc(r#"
description: t
classes:
  A:
    __slots__: ["x", "__dict__", "__weakref__"]
    __del__: pass
steps:
  - gc.enable()
  - h = A()
  - w = weakref.ref(h)
"#));
        let steps = steps_of(&plain);
        assert!(steps.iter().any(|l| l == "h = A()"), "{steps:#?}");
        assert!(
            steps.iter().any(|l| l == "w = weakref.ref(h)"),
            "{steps:#?}"
        );
    }

    #[test]
    fn translates_a_small_scenario() {
        let s = sc(r#"
description: a cycle
classes:
  WithDel:
    __del__: pass
  B: {}
steps:
  - b = B()
  - with_del = WithDel()
  - b.cycle = with_del
  - with_del.cycle = b
  - with_del = None
  - b = None
  - gc.collect(2)
  - gc.collect()
"#);
        let p = translate(&s);
        assert!(
            p.starts_with("# -*- coding: utf-8 -*-\n# gcconform reproducer for scenario test/t\n")
        );
        assert!(p.contains("#   a cycle\n"));
        assert!(p.contains(
            "class WithDel(object):\n    def __del__(self):\n        _me = _lab[_id(self)] if _id(self) in _lab and _labtype[_id(self)] == _id(self.__class__) else '<' + self.__class__.__name__ + '>'\n        _ev[_evn[0]] = '__del__ ' + _me; _evn[0] += 1\n        pass\n_cls[_id(WithDel)] = 'WithDel'\n_dictclasses[_id(WithDel)] = 1\n"
        ), "{p}");
        assert!(p.contains(
            "class B(object):\n    pass\n_cls[_id(B)] = 'B'\n_dictclasses[_id(B)] = 1\n"
        ));
        let start = section(&p, "# ---- start", "# ---- steps");
        assert!(start.contains("_count.update({'b': 0, 'with_del': 0})\n"));
        assert!(start.contains("_new_b = _started(_labeller('b'))\n"));
        assert!(start.contains("_new_with_del = _started(_labeller('with_del'))\n"));
        assert!(start.ends_with(START) || start.ends_with(&format!("{START}\n")));
        for flag in [
            "_DEEP = False",
            "_FREEZE = False",
            "_KEEP_ALL = False",
            "_QUIET = False",
        ] {
            assert!(start.contains(flag), "{flag}");
        }
        assert!(start.contains("for _i in _range(64):\n    _pool_append(_iter(()))\n"));
        assert_eq!(
            steps_of(&p),
            vec![
                "b = B()",
                "_new_b(b)",
                "with_del = WithDel()",
                "_new_with_del(with_del)",
                "b.cycle = with_del",
                "if _OWN_DICTS: _own_dict(b)",
                "with_del.cycle = b",
                "if _OWN_DICTS: _own_dict(with_del)",
                "with_del = None",
                "b = None",
                "_ev[_evn[0]] = 'gc.collect(2) -> %d' % gc.collect(2); _evn[0] += 1",
                "_observe()",
                "_ev[_evn[0]] = 'gc.collect() -> %d' % gc.collect(); _evn[0] += 1",
                "_observe()",
            ]
        );
        assert!(p.contains("# line 8: b = B()\n"));
        assert!(p.ends_with(
            "_ev[_evn[0]] = 'end'; _evn[0] += 1\n_observe()\ngc.disable()\n_print_trace()\n"
        ));
        // Deterministic.
        assert_eq!(p, translate(&s));
    }

    #[test]
    fn every_creation_is_labelled_with_the_name_it_is_bound_to() {
        let s = sc(r#"
classes:
  A: {}
steps:
  - a = A()
  - a = A()
  - l = [a, 1, None]
  - "d = {'k': a, 'j-2 .x': 3}"
  - t = (a, 1)
  - c = (1, -2, None)
  - e = ()
  - w = weakref.ref(a)
  - v = weakref.ref(a, callback)
"#);
        let p = translate(&s);
        assert_eq!(
            steps_of(&p),
            vec![
                "a = A()".to_string(),
                "_new_a(a)".into(),
                "a = A()".into(),
                "_new_a(a)".into(),
                "l = [a, 1, None]".into(),
                reserve("l"),
                "_bind_l(l)".into(),
                "d = {'k': a, 'j-2 .x': 3}".into(),
                reserve("d"),
                "_bind_d(d)".into(),
                "t = (a, 1)".into(),
                reserve("t"),
                "_bind_t(t)".into(),
                // Constants: the same object every time, never labelled.
                "c = (1, -2, None)".into(),
                "e = ()".into(),
                // weakref.ref(x) is new unless it returns x's basic ref (the list's head).
                "_wh = a.__weakref__".into(),
                "w = weakref.ref(a)".into(),
                "if w is not _wh: _new_w(w)".into(),
                "_wh = None".into(),
                // Labelled before the store, which may run callbacks with it.
                "_w = weakref.ref(a, callback); _new_v(_w); v = _w; _w = None".into(),
            ]
        );
        assert_eq!(labelled_names(&s), vec!["a", "l", "d", "t", "w", "v"]);
        let start = section(&p, "# ---- start", "# ---- steps");
        assert!(start.contains("_bind_l = _started(_binder('l'))\n"));
        assert!(!start.contains("_new_l =") && !start.contains("_bind_a ="));
        assert!(!p.contains("_new_c") && !p.contains("_new_e") && !p.contains("'c': 0"));
        // The second object bound to a name is `name#2` (one counter per name, in `_count`;
        // creations in __del__ bodies count too).
        assert!(HARNESS.contains("_lab[i] = name + '#%d' % n"));
        assert!(tuple_is_new(&[Value::Int(1), Value::Name("a".into())]));
        assert!(!tuple_is_new(&[Value::Int(1), Value::None]));
        assert!(!tuple_is_new(&[]));
    }

    #[test]
    fn objects_built_without_a_call_are_labelled_after_the_next_call_while_gc_may_run() {
        let s = sc(r#"
classes:
  A: {}
steps:
  - l = []
  - gc.enable()
  - m = []
  - "d = {}"
  - d = None
  - m.append(m)
  - n = []
  - gc.collect()
  - gc.disable()
  - o = []
"#);
        let p = translate(&s);
        assert!(p.contains("_QUIET = _sys.version_info >= (3, 12)"));
        assert_eq!(
            steps_of(&p),
            vec![
                "l = []".to_string(),
                reserve("l"),
                "_bind_l(l)".into(),
                "gc.enable()".into(),
                "m = []".into(),
                reserve("m"),
                "if not _QUIET: _bind_m(m)".into(),
                "d = {}".into(),
                reserve("d"),
                "if not _QUIET: _bind_d(d)".into(),
                // Rebound before any call: the reservation is dropped (no label on 3.12+).
                "if 'd' in _heldn: del _heldn['d']; del _helds['d']".into(),
                "d = None".into(),
                // A list append is no binding point: from its second execution on, 3.12+
                // run it specialised, without an eval-breaker check.
                "m.append(m)".into(),
                "n = []".into(),
                reserve("n"),
                "if not _QUIET: _bind_n(n)".into(),
                "_ev[_evn[0]] = 'gc.collect() -> %d' % gc.collect(); _evn[0] += 1".into(),
                "if 'm' in _heldn: _bind_m(m)".into(),
                "if 'n' in _heldn: _bind_n(n)".into(),
                "_observe()".into(),
                "gc.disable()".into(),
                "o = []".into(),
                reserve("o"),
                "_bind_o(o)".into(),
            ]
        );
    }

    #[test]
    fn del_bodies_slots_and_the_other_statements() {
        let s = sc(r#"
versions: ["3.7+"]
classes:
  R:
    __del__:
      - g.append(self)
      - global g, h
      - h = self
      - self.x = None
      - del self.x
      - x = []
      - raise RuntimeError()
  S:
    __slots__: [a, __weakref__]
  T:
    __slots__: []
  U:
    __slots__: [a]
    __del__: pass
steps:
  - g = []
  - h = None
  - r = R()
  - r.x = 1
  - d = {}
  - d['k'] = r
  - del d['k']
  - g.append(r)
  - del g[0]
  - del g[-1]
  - del r.x
  - del r
  - gc.enable()
  - gc.disable()
  - gc.set_debug(gc.DEBUG_SAVEALL)
  - gc.set_debug(0)
  - gc.set_threshold(10)
  - gc.set_threshold(10, 0, 3)
  - gc.freeze()
  - gc.unfreeze()
  - del gc.garbage[:]
  - gc.garbage = []
  - gc.collect(0)
  - gc.garbage[0].x = 0
  - del gc.garbage[1].x
  - pass
"#);
        let p = translate(&s);
        let body = section(&p, "class R(object):", "_cls[_id(R)]");
        let body: Vec<&str> = body.lines().skip(2).map(str::trim).collect();
        assert_eq!(
            body,
            vec![
                "global g, h",
                "_me = _lab[_id(self)] if _id(self) in _lab and _labtype[_id(self)] == _id(self.__class__) else '<' + self.__class__.__name__ + '>'",
                "_ev[_evn[0]] = '__del__ ' + _me; _evn[0] += 1",
                "g.append(self)",
                "h = self",
                "self.x = None",
                "if _OWN_DICTS: _own_dict(self)",
                "del self.x",
                "x = []",
                &reserve("x"),
                // gc.enable() runs somewhere: inside __del__ automatic collection may be on.
                "if not _QUIET: _bind_x(x)",
                "if 'x' in _heldn: del _heldn['x']; del _helds['x']",
                "_ev[_evn[0]] = '__del__ ' + _me + ' raised RuntimeError'; _evn[0] += 1",
                "raise RuntimeError()",
            ]
        );
        assert!(p.contains("class S(object):\n    __slots__ = ('a', '__weakref__')\n_cls"));
        assert!(p.contains("class T(object):\n    __slots__ = ()\n_cls[_id(T)] = 'T'\n\n"));
        assert!(p.contains("class U(object):\n    __slots__ = ('a',)\n\n    def __del__(self):\n"));
        let start = section(&p, "# ---- start", "# ---- steps");
        // T has `__slots__ = ()`: untracked on 2.7-3.7; the scenario freezes.
        assert!(start.contains("_DEEP = _sys.version_info < (3, 8)"));
        assert!(start.contains("_FREEZE = True"));
        // Too few creations for a chain deep enough to leave trashcan work pending.
        assert!(start.contains("_KEEP_ALL = False"));
        assert!(start.contains("_QUIET = _sys.version_info >= (3, 12)"));
        assert!(start.contains("_bind_x = _started(_binder('x'))"));
        assert_eq!(
            steps_of(&p),
            vec![
                "g = []".to_string(),
                reserve("g"),
                "_bind_g(g)".into(),
                "h = None".into(),
                // `x = []` in a __del__ and gc.enable(): labelled before the store.
                "_w = R(); _new_r(_w); r = _w; _w = None".into(),
                "r.x = 1".into(),
                "if _OWN_DICTS: _own_dict(r)".into(),
                "d = {}".into(),
                reserve("d"),
                "_bind_d(d)".into(),
                "d['k'] = r".into(),
                "del d['k']".into(),
                "g.append(r)".into(),
                "del g[0]".into(),
                "del g[-1]".into(),
                "del r.x".into(),
                "del r".into(),
                "gc.enable()".into(),
                "gc.disable()".into(),
                "gc.set_debug(gc.DEBUG_SAVEALL)".into(),
                "gc.set_debug(0)".into(),
                "gc.set_threshold(10)".into(),
                "gc.set_threshold(10, 0, 3)".into(),
                "gc.freeze()".into(),
                "gc.unfreeze()".into(),
                "del gc.garbage[:]".into(),
                "gc.garbage = []".into(),
                "_ev[_evn[0]] = 'gc.collect(0) -> %d' % gc.collect(0); _evn[0] += 1".into(),
                "_observe()".into(),
                "gc.garbage[0].x = 0".into(),
                "if _OWN_DICTS: _own_dict(gc.garbage[0])".into(),
                "del gc.garbage[1].x".into(),
                "pass".into(),
            ]
        );
    }

    #[test]
    fn queries_store_their_value_without_another_call() {
        let s = sc(r#"
versions: ["3.9+"]
classes:
  A: {}
steps:
  - a = A()
  - gc.get_count()
  - gc.get_threshold()
  - gc.is_tracked(a)
  - gc.is_finalized(a)
  - gc.get_stats()
  - gc.freeze()
  - gc.get_freeze_count()
  - gc.unfreeze()
"#);
        let p = translate(&s);
        let steps = steps_of(&p);
        assert_eq!(
            steps[2..6],
            [
                "_ev[_evn[0]] = 'gc.get_count() -> (%d, %d, %d)' % gc.get_count(); _evn[0] += 1",
                "_ev[_evn[0]] = 'gc.get_threshold() -> (%d, %d, %d)' % gc.get_threshold(); _evn[0] += 1",
                "_ev[_evn[0]] = 'gc.is_tracked(a) -> ' + ('True' if gc.is_tracked(a) else 'False'); _evn[0] += 1",
                "_ev[_evn[0]] = 'gc.is_finalized(a) -> ' + ('True' if gc.is_finalized(a) else 'False'); _evn[0] += 1",
            ]
        );
        // get_stats: read, released, then stored; counted from the start-up baseline.
        assert_eq!(steps[6], "_sl[0] = gc.get_stats()");
        assert!(steps[7].starts_with("_sl[1] = 'gc.get_stats() -> ' + 'collections (' + '%d' % (_sl[0][0]['collections'] - _sb[0])"), "{}", steps[7]);
        assert_eq!(
            steps[8..10],
            ["_sl[0] = None", "_ev[_evn[0]] = _sl[1]; _evn[0] += 1"]
        );
        // The freeze marks what it froze of the harness; unfreeze clears the mark.
        assert_eq!(steps[10], "gc.freeze()");
        assert_eq!(steps[11], "_fz[1] = 1; _fz[2] = _FZ0; _fz[3] = _KEPT0");
        assert!(steps.contains(&"_fz[0] = gc.get_freeze_count()".to_string()));
        assert_eq!(steps[steps.len() - 2..], ["gc.unfreeze()", "_fz[1] = 0"]);
        let start = section(&p, "# ---- start", "# ---- steps");
        assert!(!start.contains(FROZEN_OK));
        for line in [
            "_sl = [None, None]\n_sb = [0] * 9\n_fz = [0, 0, 0, 0]\n",
            "_FROZEN0 = gc.get_freeze_count()\n",
            "_sb[2] = _sl[0][2]['collections'] + 1\n",
            "_FZ0 = _FROZEN0 + _G0 - 32\n_KEPT0 = _len(_kept)\n",
        ] {
            assert!(start.contains(line), "{line}");
        }
        assert!(
            start.trim_end().ends_with("_sl[0] = None\ngc.collect()"),
            "{start}"
        );
        // Only looking at the permanent generation (or enabling, freezing, unfreezing) keeps
        // the fork server from freezing what the program inherits; looking at tracking does not.
        let plain = sc("steps:\n  - gc.get_count()\n  - gc.get_threshold()\n");
        assert!(translate(&plain).contains(FROZEN_OK));
        let tracked = sc("steps:\n  - x = []\n  - gc.is_tracked(x)\n");
        assert!(translate(&tracked).contains(FROZEN_OK));
        assert!(!translate(&tracked).contains("_sl = "));
        let counted = sc("versions: [\"3.7+\"]\nsteps:\n  - gc.get_freeze_count()\n");
        assert!(!translate(&counted).contains(FROZEN_OK));
    }

    #[test]
    fn record_collections_adds_a_callback_that_stores_each_collection_without_a_call() {
        let s = sc(
            "record: collections\nsteps:\n  - gc.set_debug(gc.DEBUG_SAVEALL)\n  - gc.collect()\n  - gc.set_debug(0)\n",
        );
        let p = translate(&s);
        let def = "def _on_gc(phase, info):\n    if phase == 'stop':\n        _ev[_evn[0]] = 'collection ' + '%d' % info['generation'] + ': collected ' + '%d' % info['collected'] + ', uncollectable ' + '%d' % info['uncollectable']; _evn[0] += 1\n";
        assert!(p.contains(def), "{p}");
        // 2.7: the writer stores the report's two lines at `gc: done` (turned into the event
        // at the end), and passes other text on.
        assert!(p.contains(
            "    elif s[:8] == 'gc: done':\n        if _gcw[2]:\n            _ev[_evn[0]] = _gcw[1] + s; _evn[0] += 1\n        _gcw[0] = -1\n    else:\n        _stderr_write(s)\n"
        ));
        // In the scenario's part (the fork server's part is the same in every program), before
        // start-up's collections; registered after the last of them.
        let at = |t: &str| p.find(t).unwrap_or_else(|| panic!("{t}"));
        assert!(at(SCENARIO_PART) < at(def) && at(def) < at(RECORD_INSTALL));
        assert!(at(RECORD_INSTALL) < at(START));
        // The scenario's gc.set_debug keeps 2.7's DEBUG_STATS on.
        assert_eq!(
            steps_of(&p)
                .iter()
                .filter(|l| l.starts_with("gc.set_debug"))
                .collect::<Vec<_>>(),
            [
                "gc.set_debug(gc.DEBUG_SAVEALL | _DBG)",
                "gc.set_debug(_DBG)"
            ]
        );
        // 2.7's stored lines become events before the trace is printed.
        assert!(p.ends_with(&format!("{}_print_trace()\n", record_end())));
        assert!(record_end().contains(
            "_ev[_k] = 'collection ' + _g[26:-3] + ': collected ' + '%d' % (int(_u) - int(_n)) + ', uncollectable ' + _n\n"
        ));
        let start = section(&p, "# ---- start", "# ---- steps");
        assert!(
            start.trim_end().ends_with(RECORD_START.trim_end()),
            "{start}"
        );
        assert_eq!(p.matches(RECORD_START).count(), 1);
        // The line the callback stores is a trace event.
        let line = format!(
            "{}{}{}{}{}{}",
            text::COLLECTION,
            1,
            text::COLLECTED,
            4,
            text::UNCOLLECTABLE,
            0
        );
        assert_eq!(
            line.parse::<crate::trace::Event>().unwrap().to_string(),
            "collection 1: collected 4, uncollectable 0"
        );
        // Without the option, nothing of it.
        let plain = translate(&sc("steps:\n  - gc.collect()\n"));
        assert!(!plain.contains("_on_gc") && !plain.contains("gc.callbacks"));
    }

    #[test]
    fn stores_that_may_create_an_instance_dict_unlabel_it() {
        let s = sc(r#"
classes:
  U:
    __slots__: [a, __dict__]
  V: {}
steps:
  - u = U()
  - u.a = 1
  - u.b = 1
  - v = V()
  - v.a = u
"#);
        let p = translate(&s);
        assert_eq!(
            steps_of(&p),
            vec![
                "u = U()",
                "_new_u(u)",
                // `a` is a slot of U: the store creates no dict (and reading __dict__ would).
                "u.a = 1",
                "if _OWN_DICTS and _id(u.__class__) not in _slots_a: _own_dict(u)",
                "u.b = 1",
                "if _OWN_DICTS: _own_dict(u)",
                "v = V()",
                "_new_v(v)",
                // `a` is a slot of U only: v (a V) gets its dict unlabelled.
                "v.a = u",
                "if _OWN_DICTS and _id(v.__class__) not in _slots_a: _own_dict(v)",
            ]
        );
        assert!(p.contains("_cls[_id(U)] = 'U'\nif not _V311 or _sys.version_info[1] >= 13: _dictclasses[_id(U)] = 1\n"));
        assert!(p.contains("_cls[_id(V)] = 'V'\nif not _V311: _dictclasses[_id(V)] = 1\n"));
        assert!(p.contains("_OWN_DICTS = _OWN_DICTS or _sys.version_info >= (3, 13)\n"));
        assert!(p.contains("_slots_a = {_id(U): 1}\n"));
    }

    #[test]
    fn small_scenarios_cannot_leave_trashcan_work_pending() {
        let mut text = String::from("classes:\n  A: {}\nsteps:\n");
        for i in 0..20 {
            text.push_str(&format!("  - a{i} = A()\n"));
        }
        assert!(!deep_chains_possible(&sc(&text)));
        text.push_str("  - a20 = A()\n");
        let s = sc(&text);
        assert!(deep_chains_possible(&s));
        assert!(translate(&s).contains("_KEEP_ALL = _sys.version_info < (3, 8)"));
        // A creation in a repeat: body counts as often as the loop runs.
        let loop_of = |n: u32| {
            format!(
                "classes:\n  A: {{}}\nsteps:\n  - repeat: {n}\n    steps:\n      - a = A()\n      - b = a\n"
            )
        };
        assert!(!deep_chains_possible(&sc(&loop_of(20))));
        assert!(deep_chains_possible(&sc(&loop_of(21))));
        // A creation inside __del__ counts ten times (it may run once per instance).
        let mut text = String::from("classes:\n  D:\n    __del__: x = []\nsteps:\n");
        for i in 0..11 {
            text.push_str(&format!("  - d{i} = D()\n"));
        }
        assert!(deep_chains_possible(&sc(&text)));
    }

    #[test]
    fn comments_and_literals_cannot_break_out() {
        assert_eq!(comment_text("a\nb\rc\u{2028}d"), "a?b?c?d");
        assert_eq!(py_str("it's \\ é"), "'it\\'s \\\\ \\xe9'");
        let mut s = sc("steps:\n  - pass\n");
        s.description = "line one\nimport os; os.system('x')\r\n\nend".into();
        s.id = "evil\nimport os".into();
        let p = translate(&s);
        for l in p.lines().take_while(|l| !l.starts_with("from __future__")) {
            assert!(l.starts_with('#'), "{l:?}");
        }
    }

    #[test]
    #[should_panic(expected = "not an identifier")]
    fn refuses_non_identifiers_in_hand_built_asts() {
        let mut s = sc("steps:\n  - pass\n");
        s.steps[0].stmt = Stmt::DelName("x; import os".into());
        translate(&s);
    }

    #[test]
    fn the_harness_prints_events_as_trace_text_reads_them() {
        let list = |kind: &str| format!("{} + text + ']'", py_str(&format!("{kind}[")));
        for (line, what) in [
            (list(text::GARBAGE), "gc.garbage"),
            (list(text::ALIVE), "alive"),
            (
                format!("{} + (_lab[_id(wr)]", py_str(text::CALLBACK)),
                "callback",
            ),
            (
                format!("text = text + {}", py_str(text::LIST_SEP)),
                "the label separator",
            ),
        ] {
            assert!(
                HARNESS.contains(&line),
                "harness.py prints {what} as `{line}`"
            );
        }
    }
}
