//! The bundled corpus must exercise the whole scenario language: every statement form appears
//! in at least one shipped scenario (top level, a `__del__` or a callback body), and every
//! scenario loads.

use gcconform::scenario::{self, Stmt};
use std::collections::BTreeSet;

fn kind(s: &Stmt) -> &'static str {
    match s {
        Stmt::New { .. } => "x = C()",
        Stmt::ClassStmt {
            via_type: false, ..
        } => "class C(A): pass",
        Stmt::ClassStmt { via_type: true, .. } => "C = type('C', (A,), {})",
        Stmt::NewList { .. } => "x = [...]",
        Stmt::NewDict { .. } => "x = {...}",
        Stmt::NewTuple { .. } => "x = (...)",
        Stmt::NewSet {
            build: scenario::SetBuild::Display,
            ..
        } => "x = {a, b}",
        Stmt::NewSet { frozen: true, .. } => "x = frozenset([...])",
        Stmt::NewSet { .. } => "x = set(...)",
        Stmt::SetOp { discard: false, .. } => "s.add(x)",
        Stmt::SetOp { discard: true, .. } => "s.discard(x)",
        Stmt::Assign {
            value: scenario::Value::Method { .. },
            ..
        } => "x = a.method",
        Stmt::Assign { .. } => "x = VALUE",
        Stmt::SetAttr {
            obj: scenario::Target::Name(_),
            ..
        } => "x.attr = VALUE",
        Stmt::SetAttr {
            obj: scenario::Target::GarbageItem(_),
            ..
        } => "gc.garbage[i].attr = VALUE",
        Stmt::SetClass { .. } => "x.__class__ = B",
        Stmt::SetItem { .. } => "x['k'] = VALUE",
        Stmt::Append { .. } => "x.append(VALUE)",
        Stmt::Call { obj: Some(_), .. } => "x.method()",
        Stmt::Call { obj: None, .. } => "f()",
        Stmt::Def(_) => "def f():",
        Stmt::Return(_) => "return VALUE",
        Stmt::Nonlocal(_) => "nonlocal x",
        Stmt::DelName(_) => "del x",
        Stmt::DelAttr { .. } => "del x.attr",
        Stmt::DelKey { .. } => "del x['k']",
        Stmt::DelIndex { .. } => "del x[i]",
        Stmt::WeakRef {
            callback: None,
            proxy: false,
            ..
        } => "weakref.ref(x)",
        Stmt::WeakRef {
            callback: Some(c),
            proxy: false,
            ..
        } if c == scenario::BUILTIN_CALLBACK => "weakref.ref(x, callback)",
        Stmt::WeakRef {
            callback: Some(_),
            proxy: false,
            ..
        } => "weakref.ref(x, NAME)",
        Stmt::WeakRef {
            callback: None,
            proxy: true,
            ..
        } => "weakref.proxy(x)",
        Stmt::WeakRef {
            callback: Some(c),
            proxy: true,
            ..
        } if c == scenario::BUILTIN_CALLBACK => "weakref.proxy(x, callback)",
        Stmt::WeakRef {
            callback: Some(_),
            proxy: true,
            ..
        } => "weakref.proxy(x, NAME)",
        Stmt::GarbageAppend(_) => "gc.garbage.append(VALUE)",
        Stmt::FromGarbage { .. } => "x = gc.garbage[i]",
        Stmt::Collect(None) => "gc.collect()",
        Stmt::Collect(Some(_)) => "gc.collect(n)",
        Stmt::Enable => "gc.enable()",
        Stmt::Disable => "gc.disable()",
        Stmt::SetDebug { .. } => "gc.set_debug(...)",
        Stmt::SetThreshold(_) => "gc.set_threshold(...)",
        Stmt::Freeze => "gc.freeze()",
        Stmt::Unfreeze => "gc.unfreeze()",
        Stmt::ClearGarbage => "del gc.garbage[:]",
        Stmt::RebindGarbage => "gc.garbage = []",
        Stmt::Pass => "pass",
        Stmt::Global(_) => "global g",
        Stmt::Raise => "raise RuntimeError()",
        Stmt::Throw(scenario::Throw::New(_)) => "raise E()",
        Stmt::Throw(scenario::Throw::Name(_)) => "raise x",
        Stmt::Throw(scenario::Throw::Reraise) => "raise",
        Stmt::Throw(scenario::Throw::From { .. }) => "raise ... from ...",
        Stmt::Try(t) if t.finally.is_some() => "try: ... finally:",
        Stmt::Try(_) => "try: ... except E:",
        Stmt::Repeat { .. } => "repeat: N",
        Stmt::RandomEdges { .. } => "random_edges:",
        Stmt::Query(scenario::Query::Count) => "gc.get_count()",
        Stmt::Query(scenario::Query::Threshold) => "gc.get_threshold()",
        Stmt::Query(scenario::Query::IsTracked(_)) => "gc.is_tracked(x)",
        Stmt::Query(scenario::Query::IsFinalized(_)) => "gc.is_finalized(x)",
        Stmt::Query(scenario::Query::FreezeCount) => "gc.get_freeze_count()",
        Stmt::Query(scenario::Query::Stats) => "gc.get_stats()",
    }
}

const ALL: &[&str] = &[
    "x = C()",
    "class C(A): pass",
    "C = type('C', (A,), {})",
    "x.__class__ = B",
    "x = [...]",
    "x = {...}",
    "x = (...)",
    "x = {a, b}",
    "x = set(...)",
    "x = frozenset([...])",
    "s.add(x)",
    "s.discard(x)",
    "x = VALUE",
    "x = a.method",
    "x.method()",
    "f()",
    "def f():",
    "return VALUE",
    "nonlocal x",
    "x.attr = VALUE",
    "gc.garbage[i].attr = VALUE",
    "x['k'] = VALUE",
    "x.append(VALUE)",
    "del x",
    "del x.attr",
    "del x['k']",
    "del x[i]",
    "del A (a class)",
    "A.attr = VALUE (a class attribute)",
    "del A.attr (a class attribute)",
    "x = A (a class as a value)",
    "weakref.ref(x)",
    "weakref.ref(x, callback)",
    "weakref.ref(x, NAME)",
    "weakref.proxy(x)",
    "weakref.proxy(x, callback)",
    "weakref.proxy(x, NAME)",
    "gc.garbage.append(VALUE)",
    "x = gc.garbage[i]",
    "gc.collect()",
    "gc.collect(n)",
    "gc.enable()",
    "gc.disable()",
    "gc.set_debug(...)",
    "gc.set_threshold(...)",
    "gc.freeze()",
    "gc.unfreeze()",
    "del gc.garbage[:]",
    "gc.garbage = []",
    "pass",
    "global g",
    "raise RuntimeError()",
    "raise E()",
    "raise x",
    "raise",
    "raise ... from ...",
    "try: ... except E:",
    "try: ... finally:",
    "repeat: N",
    "random_edges:",
    "gc.get_count()",
    "gc.get_threshold()",
    "gc.is_tracked(x)",
    "gc.is_finalized(x)",
    "gc.get_freeze_count()",
    "gc.get_stats()",
];

fn corpus_uses_every_statement_form() {
    let files = crate::common::shipped_scenarios();
    assert!(
        files.len() >= 29,
        "the corpus has {} scenarios",
        files.len()
    );
    let mut used = BTreeSet::new();
    for f in &files {
        let sc = scenario::load(f).unwrap_or_else(|e| panic!("{e}"));
        fn walk(
            sc: &scenario::Scenario,
            steps: &[scenario::Step],
            used: &mut BTreeSet<&'static str>,
        ) {
            for s in steps {
                used.insert(match &s.stmt {
                    Stmt::DelName(n) if sc.class(n).is_some() => "del A (a class)",
                    Stmt::SetAttr {
                        obj: scenario::Target::Name(n),
                        ..
                    } if sc.class(n).is_some() => "A.attr = VALUE (a class attribute)",
                    Stmt::DelAttr {
                        obj: scenario::Target::Name(n),
                        ..
                    } if sc.class(n).is_some() => "del A.attr (a class attribute)",
                    Stmt::Assign {
                        value: scenario::Value::Name(n),
                        ..
                    } if sc.class(n).is_some() => "x = A (a class as a value)",
                    st => kind(st),
                });
                match &s.stmt {
                    Stmt::Repeat { body, .. } => walk(sc, body, used),
                    Stmt::Def(d) => walk(sc, &d.body, used),
                    Stmt::Try(t) => t.blocks().for_each(|b| walk(sc, b, used)),
                    _ => {}
                }
            }
        }
        walk(&sc, &sc.steps, &mut used);
        for body in sc.bodies() {
            walk(&sc, body, &mut used);
        }
    }
    let missing: Vec<&&str> = ALL.iter().filter(|k| !used.contains(**k)).collect();
    assert!(missing.is_empty(), "no shipped scenario uses: {missing:?}");
}

/// The README says how many scenarios port cases of CPython's own test suites: the files of
/// `scenarios/cpython/`.
fn readme_counts_the_ported_cpython_tests() {
    let root = crate::common::root();
    let n = std::fs::read_dir(root.join("scenarios/cpython"))
        .expect("scenarios/cpython")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        })
        .count();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let said = format!("{n} of them port cases of CPython's own");
    assert!(
        readme.contains(&said),
        "README.md should say that {n} scenarios port CPython's tests (`{said}`)"
    );
}

crate::harness::tests! {
    corpus_uses_every_statement_form,
    readme_counts_the_ported_cpython_tests,
}
