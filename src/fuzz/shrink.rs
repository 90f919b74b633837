//! Shrinking a failing draft scenario to a small one that still fails the same way.
//!
//! Delta debugging (Zeller's ddmin) over the top-level statements, then one-at-a-time removal
//! of classes, `__del__` statements, `__del__` bodies, methods and their statements,
//! `__slots__` and slot names, callbacks and their statements, then simpler
//! statements (fewer container items, `None` instead of a link or an alias, `gc.collect()`
//! instead of a generation, no weakref callback), repeated until nothing more can go. Every candidate goes
//! to the caller's predicate, which validates it (through the real loader) and runs it; a
//! candidate is kept only if the predicate says it still shows the same disagreement.

use super::generate::Draft;
use crate::scenario::parse::parse_stmt;
use crate::scenario::{Stmt, Target, Value};

/// Upper bound on the candidates one shrink tries.
pub const DEFAULT_BUDGET: usize = 1500;

struct Shrinker<'p> {
    pred: &'p mut dyn FnMut(&Draft) -> bool,
    tests: usize,
    budget: usize,
}

impl Shrinker<'_> {
    fn test(&mut self, d: &Draft) -> bool {
        if self.tests >= self.budget {
            return false;
        }
        self.tests += 1;
        (self.pred)(d)
    }

    fn exhausted(&self) -> bool {
        self.tests >= self.budget
    }
}

/// Shrink `draft` (which satisfies `pred`) as far as `budget` predicate calls allow. Returns the
/// smallest draft found and the number of predicate calls made.
pub fn shrink(
    draft: &Draft,
    budget: usize,
    pred: &mut dyn FnMut(&Draft) -> bool,
) -> (Draft, usize) {
    let mut s = Shrinker {
        pred,
        tests: 0,
        budget,
    };
    let mut cur = draft.clone();
    loop {
        let mut progress = ddmin_steps(&mut s, &mut cur);
        progress |= shrink_classes(&mut s, &mut cur);
        progress |= shrink_callbacks(&mut s, &mut cur);
        progress |= simplify_steps(&mut s, &mut cur);
        if cur.record {
            let mut c = cur.clone();
            c.record = false;
            if s.test(&c) {
                cur = c;
                progress = true;
            }
        }
        if !cur.versions.is_empty() {
            let mut c = cur.clone();
            c.versions.clear();
            if s.test(&c) {
                cur = c;
                progress = true;
            }
        }
        if !progress || s.exhausted() {
            break;
        }
    }
    (cur, s.tests)
}

/// ddmin over `steps`: try removing chunks, from halves down to single statements.
fn ddmin_steps(s: &mut Shrinker, cur: &mut Draft) -> bool {
    let mut progress = false;
    let mut n = 2usize;
    while !cur.steps.is_empty() && !s.exhausted() {
        let len = cur.steps.len();
        let n_eff = n.min(len);
        let chunk = len.div_ceil(n_eff);
        let mut removed = false;
        let mut start = 0;
        while start < cur.steps.len() {
            let end = (start + chunk).min(cur.steps.len());
            let mut c = cur.clone();
            c.steps.drain(start..end);
            if !c.steps.is_empty() && s.test(&c) {
                *cur = c;
                removed = true;
                progress = true;
                // Same start: the next chunk moved into place.
            } else {
                start = end;
            }
            if s.exhausted() {
                return progress;
            }
        }
        if removed {
            n = (n_eff - 1).max(2);
        } else if n_eff >= cur.steps.len() {
            break;
        } else {
            n = (n_eff * 2).min(cur.steps.len());
        }
    }
    progress
}

/// Remove the items of one list of the draft one at a time, keeping each removal whose
/// candidate still shows the disagreement.
fn remove_each<T>(
    s: &mut Shrinker,
    cur: &mut Draft,
    list: impl Fn(&mut Draft) -> &mut Vec<T>,
) -> bool {
    let mut progress = false;
    let mut i = 0;
    while i < list(cur).len() {
        let mut c = cur.clone();
        list(&mut c).remove(i);
        if s.test(&c) {
            *cur = c;
            progress = true;
        } else {
            i += 1;
        }
    }
    progress
}

fn shrink_classes(s: &mut Shrinker, cur: &mut Draft) -> bool {
    // Whole classes (the loader rejects the candidate if the class is still used).
    let mut progress = remove_each(s, cur, |d| &mut d.classes);
    for i in 0..cur.classes.len() {
        // The whole __del__, then its statements one by one.
        if cur.classes[i].del.is_some() {
            let mut c = cur.clone();
            c.classes[i].del = None;
            if s.test(&c) {
                *cur = c;
                progress = true;
            }
        }
        let mut j = 0;
        while cur.classes[i].del.as_ref().is_some_and(|b| j < b.len()) {
            let mut c = cur.clone();
            let body = c.classes[i].del.as_mut().expect("checked");
            if body.len() == 1 {
                body[0] = "pass".to_string();
                if cur.classes[i].del.as_ref().expect("checked")[0] == "pass" {
                    break;
                }
            } else {
                body.remove(j);
            }
            if s.test(&c) {
                *cur = c;
                progress = true;
            } else {
                j += 1;
            }
        }
        // Whole methods (the loader rejects the candidate if one is still used), then the
        // statements of each body.
        progress |= remove_each(s, cur, |d| &mut d.classes[i].bases);
        progress |= remove_each(s, cur, |d| &mut d.classes[i].methods);
        for m in 0..cur.classes[i].methods.len() {
            progress |= shrink_body(s, cur, |d| &mut d.classes[i].methods[m].1);
        }
        progress |= remove_each(s, cur, |d| &mut d.classes[i].staticmethods);
        for m in 0..cur.classes[i].staticmethods.len() {
            progress |= shrink_body(s, cur, |d| &mut d.classes[i].staticmethods[m].1);
        }
        progress |= remove_each(s, cur, |d| &mut d.classes[i].classmethods);
        for m in 0..cur.classes[i].classmethods.len() {
            progress |= shrink_body(s, cur, |d| &mut d.classes[i].classmethods[m].1);
        }
        // __slots__, then slot names one by one.
        if cur.classes[i].slots.is_some() {
            let mut c = cur.clone();
            c.classes[i].slots = None;
            if s.test(&c) {
                *cur = c;
                progress = true;
            }
        }
        let mut j = 0;
        while cur.classes[i].slots.as_ref().is_some_and(|v| j < v.len()) {
            let mut c = cur.clone();
            c.classes[i].slots.as_mut().expect("checked").remove(j);
            if s.test(&c) {
                *cur = c;
                progress = true;
            } else {
                j += 1;
            }
        }
    }
    progress
}

/// Whole callbacks (the loader rejects the candidate if one is still used), then the
/// statements of each body one by one (a last one becomes `pass`).
fn shrink_callbacks(s: &mut Shrinker, cur: &mut Draft) -> bool {
    let mut progress = remove_each(s, cur, |d| &mut d.callbacks);
    for i in 0..cur.callbacks.len() {
        progress |= shrink_body(s, cur, |d| &mut d.callbacks[i].1);
    }
    progress
}

/// The statements of one body (a callback's, a method's) one by one; a last one becomes
/// `pass`.
fn shrink_body(
    s: &mut Shrinker,
    cur: &mut Draft,
    body_of: impl Fn(&mut Draft) -> &mut Vec<String>,
) -> bool {
    let mut progress = false;
    let mut j = 0;
    while j < body_of(cur).len() {
        let mut c = cur.clone();
        let body = body_of(&mut c);
        if body.len() == 1 {
            if body[0] == "pass" {
                break;
            }
            body[0] = "pass".to_string();
        } else {
            body.remove(j);
        }
        if s.test(&c) {
            *cur = c;
            progress = true;
        } else {
            j += 1;
        }
    }
    progress
}

fn simplify_steps(s: &mut Shrinker, cur: &mut Draft) -> bool {
    let mut progress = false;
    let mut i = 0;
    while i < cur.steps.len() && !s.exhausted() {
        let mut changed = false;
        for alt in simpler(&cur.steps[i]) {
            let mut c = cur.clone();
            c.steps[i] = alt;
            if s.test(&c) {
                *cur = c;
                progress = true;
                changed = true;
                break;
            }
        }
        // A simplified statement may simplify further; otherwise move on.
        if !changed {
            i += 1;
        }
    }
    progress
}

/// Simpler variants of one statement, most drastic first.
pub fn simpler(text: &str) -> Vec<String> {
    let Ok(stmt) = parse_stmt(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let named = |v: &Value| v.name().is_some();
    match &stmt {
        Stmt::NewList { target, items } | Stmt::NewTuple { target, items } => {
            let is_list = matches!(stmt, Stmt::NewList { .. });
            let make = |items: Vec<Value>| {
                if is_list {
                    Stmt::NewList {
                        target: target.clone(),
                        items,
                    }
                } else {
                    Stmt::NewTuple {
                        target: target.clone(),
                        items,
                    }
                }
            };
            for k in 0..items.len() {
                let mut v = items.clone();
                v.remove(k);
                // An all-literal tuple is a constant: a different thing, not a simpler one.
                if is_list || v.iter().any(named) {
                    out.push(make(v));
                }
            }
        }
        Stmt::NewDict { target, items } => {
            for k in 0..items.len() {
                let mut v = items.clone();
                v.remove(k);
                out.push(Stmt::NewDict {
                    target: target.clone(),
                    items: v,
                });
            }
        }
        Stmt::SetAttr { obj, attr, value } if named(value) => out.push(Stmt::SetAttr {
            obj: obj.clone(),
            attr: attr.clone(),
            value: Value::None,
        }),
        Stmt::SetItem { obj, key, value } if named(value) => out.push(Stmt::SetItem {
            obj: obj.clone(),
            key: key.clone(),
            value: Value::None,
        }),
        Stmt::Append { obj, value } if named(value) => out.push(Stmt::Append {
            obj: obj.clone(),
            value: Value::None,
        }),
        Stmt::Assign { target, value } if named(value) => out.push(Stmt::Assign {
            target: target.clone(),
            value: Value::None,
        }),
        Stmt::Collect(Some(_)) => out.push(Stmt::Collect(None)),
        _ => {}
    }
    // A bound method (`a.m`) stored: the instance itself instead.
    match &stmt {
        Stmt::SetAttr {
            obj,
            attr,
            value: Value::Method { obj: o, .. },
        } => out.push(Stmt::SetAttr {
            obj: obj.clone(),
            attr: attr.clone(),
            value: Value::Name(o.clone()),
        }),
        Stmt::SetItem {
            obj,
            key,
            value: Value::Method { obj: o, .. },
        } => out.push(Stmt::SetItem {
            obj: obj.clone(),
            key: key.clone(),
            value: Value::Name(o.clone()),
        }),
        Stmt::Append {
            obj,
            value: Value::Method { obj: o, .. },
        } => out.push(Stmt::Append {
            obj: obj.clone(),
            value: Value::Name(o.clone()),
        }),
        Stmt::WeakRef {
            target,
            referent,
            callback: Some(_),
            proxy,
        } => out.push(Stmt::WeakRef {
            target: target.clone(),
            referent: referent.clone(),
            callback: None,
            proxy: *proxy,
        }),
        _ => {}
    }
    out.iter().map(render).collect()
}

fn value(v: &Value) -> String {
    v.to_string()
}

fn target(t: &Target) -> String {
    t.to_string()
}

/// A statement as the scenario language writes it.
pub fn render(s: &Stmt) -> String {
    let items = |v: &[Value]| v.iter().map(value).collect::<Vec<_>>();
    match s {
        Stmt::Repeat { count, .. } => format!("repeat: {count}"),
        Stmt::RandomEdges { list, attrs, seed } => {
            crate::scenario::random_edges_text(list, attrs, *seed)
        }
        Stmt::New { target, class } => format!("{target} = {class}()"),
        Stmt::ClassStmt {
            name,
            bases,
            via_type,
        } => crate::scenario::class_stmt_text(name, bases, *via_type),
        Stmt::NewList { target, items: v } => format!("{target} = [{}]", items(v).join(", ")),
        Stmt::NewSet {
            target,
            items: v,
            build,
            frozen,
        } => crate::scenario::set_text(target, &items(v), *build, *frozen),
        Stmt::SetOp {
            obj,
            value: v,
            discard,
        } => crate::scenario::set_op_text(obj, &value(v), *discard),
        Stmt::NewDict { target, items: v } => {
            let v: Vec<String> = v
                .iter()
                .map(|(k, x)| format!("'{k}': {}", value(x)))
                .collect();
            format!("{target} = {{{}}}", v.join(", "))
        }
        Stmt::NewTuple { target, items: v } => match v.len() {
            0 => format!("{target} = ()"),
            1 => format!("{target} = ({},)", value(&v[0])),
            _ => format!("{target} = ({})", items(v).join(", ")),
        },
        Stmt::Assign { target, value: v } => format!("{target} = {}", value(v)),
        Stmt::SetAttr {
            obj,
            attr,
            value: v,
        } => format!("{}.{attr} = {}", target(obj), value(v)),
        Stmt::SetItem { obj, key, value: v } => format!("{obj}['{key}'] = {}", value(v)),
        Stmt::Append { obj, value: v } => format!("{obj}.append({})", value(v)),
        Stmt::SetClass { obj, class } => format!("{obj}.__class__ = {class}"),
        Stmt::Call {
            target,
            obj,
            name,
            args,
        } => crate::scenario::call_text(target.as_deref(), obj.as_deref(), name, args),
        Stmt::Def(d) => crate::scenario::def_header(&d.name, &d.params),
        Stmt::Return(None) => "return".into(),
        Stmt::Return(Some(v)) => format!("return {}", value(v)),
        Stmt::Nonlocal(ns) => format!("nonlocal {}", ns.join(", ")),
        Stmt::DelName(n) => format!("del {n}"),
        Stmt::DelAttr { obj, attr } => format!("del {}.{attr}", target(obj)),
        Stmt::DelKey { obj, key } => format!("del {obj}['{key}']"),
        Stmt::DelIndex { obj, index } => format!("del {obj}[{index}]"),
        Stmt::WeakRef {
            target,
            referent,
            callback,
            proxy,
        } => format!(
            "{target} = weakref.{}({referent}{})",
            if *proxy { "proxy" } else { "ref" },
            callback
                .as_ref()
                .map(|c| format!(", {c}"))
                .unwrap_or_default()
        ),
        Stmt::GarbageAppend(v) => format!("gc.garbage.append({})", value(v)),
        Stmt::FromGarbage { target, index } => format!("{target} = gc.garbage[{index}]"),
        Stmt::Collect(None) => "gc.collect()".into(),
        Stmt::Collect(Some(g)) => format!("gc.collect({g})"),
        Stmt::Enable => "gc.enable()".into(),
        Stmt::Disable => "gc.disable()".into(),
        Stmt::SetDebug { saveall: true } => "gc.set_debug(gc.DEBUG_SAVEALL)".into(),
        Stmt::SetDebug { saveall: false } => "gc.set_debug(0)".into(),
        Stmt::SetThreshold(ts) => {
            let v: Vec<String> = ts.iter().map(|t| t.to_string()).collect();
            format!("gc.set_threshold({})", v.join(", "))
        }
        Stmt::Freeze => "gc.freeze()".into(),
        Stmt::Unfreeze => "gc.unfreeze()".into(),
        Stmt::ClearGarbage => "del gc.garbage[:]".into(),
        Stmt::RebindGarbage => "gc.garbage = []".into(),
        Stmt::Pass => "pass".into(),
        Stmt::Global(ns) => format!("global {}", ns.join(", ")),
        Stmt::Raise => "raise RuntimeError()".into(),
        Stmt::Throw(t) => crate::runner::program::throw_text(t, &|n| n),
        Stmt::Try(_) => "try:".into(),
        Stmt::Query(q) => q.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::generate::DraftClass;

    #[test]
    fn render_round_trips() {
        for t in [
            "a = A()",
            "l1 = [a, None, 1]",
            "m1 = {'k1': a, 'k2': 7}",
            "t1 = (a,)",
            "t1 = (a, b)",
            "t1 = ()",
            "a.x = b",
            "gc.garbage[0].x = None",
            "m1['k'] = a",
            "l1.append(a)",
            "del a",
            "del a.x",
            "del m1['k']",
            "del l1[-1]",
            "w1 = weakref.ref(a, callback)",
            "gc.collect(1)",
            "gc.set_debug(gc.DEBUG_SAVEALL)",
            "del gc.garbage[:]",
            "global saved",
            "raise RuntimeError()",
        ] {
            assert_eq!(render(&parse_stmt(t).unwrap()), t);
        }
        assert_eq!(
            simpler("l1 = [a, b]"),
            vec!["l1 = [b]".to_string(), "l1 = [a]".to_string()]
        );
        assert_eq!(simpler("t1 = (a, 1)"), vec!["t1 = (a,)".to_string()]);
        assert_eq!(simpler("a.x = b"), vec!["a.x = None".to_string()]);
        assert_eq!(simpler("a = b"), vec!["a = None".to_string()]);
        assert!(simpler("a.x = None").is_empty());
        assert_eq!(
            simpler("a.cb = b.handle"),
            vec!["a.cb = None".to_string(), "a.cb = b".to_string()]
        );
        assert_eq!(render(&parse_stmt("a.handle()").unwrap()), "a.handle()");
        assert_eq!(render(&parse_stmt("bm1()").unwrap()), "bm1()");
        assert_eq!(
            render(&parse_stmt("l1 = [a.handle, 1]").unwrap()),
            "l1 = [a.handle, 1]"
        );
    }

    #[test]
    fn shrinks_to_the_statements_that_matter() {
        let d = Draft {
            versions: vec!["3.7+".into()],
            classes: vec![DraftClass {
                name: "A".into(),
                bases: Vec::new(),
                del: Some(vec!["pass".into(), "raise RuntimeError()".into()]),
                slots: Some(vec!["x".into()]),
                methods: Vec::new(),
                staticmethods: Vec::new(),
                classmethods: Vec::new(),
            }],
            callbacks: Vec::new(),
            record: false,
            steps: (0..20)
                .map(|i| format!("s{i} = [a{i}, b]"))
                .chain(["needle".to_string()])
                .collect(),
        };
        // "Fails" while the draft keeps `needle` and step s7 with its `a7` item.
        let mut pred = |d: &Draft| {
            d.steps.iter().any(|s| s == "needle") && d.steps.iter().any(|s| s.contains("a7"))
        };
        let (small, tests) = shrink(&d, DEFAULT_BUDGET, &mut pred);
        assert_eq!(
            small.steps,
            vec!["s7 = [a7]".to_string(), "needle".to_string()]
        );
        assert!(small.classes.is_empty());
        assert!(small.versions.is_empty());
        assert!(tests < 200, "{tests}");
    }

    /// Methods go as classes and callbacks do: whole, then statement by statement.
    #[test]
    fn shrinks_methods_and_their_bodies() {
        let d = Draft {
            versions: Vec::new(),
            classes: vec![DraftClass {
                name: "A".into(),
                bases: Vec::new(),
                del: None,
                slots: None,
                methods: vec![
                    ("handle".into(), vec!["pass".into()]),
                    (
                        "run".into(),
                        vec!["self.x = None".into(), "gc.collect()".into()],
                    ),
                ],
                staticmethods: Vec::new(),
                classmethods: Vec::new(),
            }],
            callbacks: Vec::new(),
            record: false,
            steps: vec!["a = A()".into(), "a.run()".into()],
        };
        // "Fails" while some method body collects.
        let mut pred = |d: &Draft| {
            d.classes
                .iter()
                .flat_map(|c| &c.methods)
                .any(|(_, b)| b.iter().any(|s| s == "gc.collect()"))
        };
        let (small, _) = shrink(&d, DEFAULT_BUDGET, &mut pred);
        assert_eq!(
            small.classes[0].methods,
            vec![("run".to_string(), vec!["gc.collect()".to_string()])]
        );
    }
}
