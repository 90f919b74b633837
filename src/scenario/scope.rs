//! The compiler's name resolution for `def` bodies (CPython's `Python/symtable.c`, simplified to
//! what the language can say): which names are locals (`co_varnames`), which of those nested
//! functions use (cells, `co_cellvars`), which come from enclosing functions (`co_freevars`),
//! and which are globals. The loader runs it once; the model's frames follow it, as CPython's
//! `LOAD_FAST`/`LOAD_DEREF`/`LOAD_GLOBAL` do; the checker reads it.

use super::ast::{FuncDef, FuncScope, Scenario, Step, Stmt, Target, Value};
use std::collections::{BTreeSet, HashSet};

/// The names a statement binds in the scope it runs in: stores, `del` (which makes a name local
/// in a function, `DELETE_FAST`), the name of a `def`, the target of a call.
pub fn bound_names(s: &Stmt) -> Vec<&str> {
    match s {
        Stmt::DelName(n) => vec![n],
        // A `try:` block's statements run in the scope the block is in, and so does the
        // binding of a handler's name (and its deletion at the end, 3.x).
        Stmt::Try(t) => t
            .blocks()
            .flatten()
            .flat_map(|s| bound_names(&s.stmt))
            .chain(t.handlers.iter().filter_map(|h| h.name.as_deref()))
            .collect(),
        s => super::semantics::assigned(s).into_iter().collect(),
    }
}

/// The names a statement reads in the scope it runs in (a `def` reads its default values).
pub fn read_names(s: &Stmt) -> Vec<&str> {
    fn v(x: &Value) -> Option<&str> {
        x.name()
    }
    fn t(x: &Target) -> Option<&str> {
        match x {
            Target::Name(n) => Some(n.as_str()),
            Target::GarbageItem(_) => None,
        }
    }
    let mut out: Vec<&str> = Vec::new();
    match s {
        Stmt::NewList { items, .. } | Stmt::NewTuple { items, .. } | Stmt::NewSet { items, .. } => {
            out.extend(items.iter().filter_map(v))
        }
        Stmt::NewDict { items, .. } => out.extend(items.iter().filter_map(|(_, x)| v(x))),
        Stmt::Assign { value, .. } | Stmt::GarbageAppend(value) => out.extend(v(value)),
        Stmt::SetAttr { obj, value, .. } => {
            out.extend(v(value));
            out.extend(t(obj));
        }
        Stmt::SetItem { obj, value, .. }
        | Stmt::Append { obj, value }
        | Stmt::SetOp { obj, value, .. } => {
            out.extend(v(value));
            out.push(obj);
        }
        Stmt::DelAttr { obj, .. } => out.extend(t(obj)),
        Stmt::DelKey { obj, .. } | Stmt::DelIndex { obj, .. } => out.push(obj),
        Stmt::WeakRef {
            referent, callback, ..
        } => {
            out.push(referent);
            let _ = callback;
        }
        Stmt::Query(q) => out.extend(q.argument()),
        Stmt::Call {
            obj, name, args, ..
        } => {
            out.push(obj.as_deref().unwrap_or(name));
            out.extend(args.iter().filter_map(v));
        }
        Stmt::Return(Some(x)) => out.extend(v(x)),
        Stmt::Throw(t) => {
            fn names<'a>(t: &'a crate::scenario::Throw, out: &mut Vec<&'a str>) {
                use crate::scenario::Throw;
                match t {
                    Throw::Name(n) => out.push(n),
                    Throw::From { what, cause } => {
                        names(what, out);
                        out.extend(cause.as_deref());
                    }
                    Throw::New(_) | Throw::Reraise => {}
                }
            }
            names(t, &mut out);
        }
        Stmt::Try(t) => out.extend(t.blocks().flatten().flat_map(|s| read_names(&s.stmt))),
        Stmt::RandomEdges { list, .. } => out.push(list),
        Stmt::Def(d) => out.extend(
            d.params
                .iter()
                .filter_map(|p| p.default.as_ref())
                .filter_map(v),
        ),
        _ => {}
    }
    out
}

/// Number every `def` ([`FuncDef::index`]: the steps' in file order, then those of `__del__`
/// bodies class by class, of callback bodies, of method bodies) and resolve the names of each
/// function body: the `def`s', and those of `__del__`, callbacks and methods (functions of
/// their own, whose enclosing scope is the module: a class body gives its methods no cells).
pub fn analyze(sc: &mut Scenario) {
    let mut counter = 0;
    walk(&mut sc.steps, &[], &mut counter);
    for c in &mut sc.classes {
        if let Some(body) = &mut c.del {
            c.del_scope = analyze_scope(vec!["self".to_string()], body, &[], &mut counter).0;
        }
    }
    for c in &mut sc.callbacks {
        c.scope = analyze_scope(vec!["wr".to_string()], &mut c.body, &[], &mut counter).0;
    }
    for c in &mut sc.classes {
        for m in &mut c.methods {
            let params = m.kind.param().map(str::to_string).into_iter().collect();
            m.scope = analyze_scope(params, &mut m.body, &[], &mut counter).0;
        }
    }
}

fn walk(steps: &mut [Step], outer: &[HashSet<String>], counter: &mut usize) {
    for s in steps {
        match &mut s.stmt {
            Stmt::Def(d) => {
                analyze_def(d, outer, counter);
            }
            Stmt::Repeat { body, .. } => walk(body, outer, counter),
            _ => {}
        }
    }
}

/// One `def`: its number ([`FuncDef::index`]) and scope; returns the free names it (or a
/// function nested in it) uses, which the enclosing function must provide.
fn analyze_def(d: &mut FuncDef, outer: &[HashSet<String>], counter: &mut usize) -> HashSet<String> {
    d.index = *counter;
    *counter += 1;
    let params = d.params.iter().map(|p| p.name.clone()).collect();
    let (scope, free) = analyze_scope(params, &mut d.body, outer, counter);
    d.scope = scope;
    free
}

/// One function body with parameters `params`: its scope, and the free names it (or a function
/// nested in it) uses, which the enclosing function must provide. Nested `def`s are numbered
/// and resolved on the way.
fn analyze_scope(
    params: Vec<String>,
    body: &mut [Step],
    outer: &[HashSet<String>],
    counter: &mut usize,
) -> (FuncScope, HashSet<String>) {
    let mut globals: Vec<String> = Vec::new();
    let mut nonlocals: HashSet<String> = HashSet::new();
    for s in body.iter() {
        match &s.stmt {
            Stmt::Global(ns) => globals.extend(ns.iter().cloned()),
            Stmt::Nonlocal(ns) => nonlocals.extend(ns.iter().cloned()),
            _ => {}
        }
    }
    let mut varnames: Vec<String> = params;
    for s in body.iter() {
        for n in bound_names(&s.stmt) {
            if !globals.iter().any(|g| g == n)
                && !nonlocals.contains(n)
                && !varnames.iter().any(|v| v == n)
            {
                varnames.push(n.to_string());
            }
        }
    }
    let bound: HashSet<String> = varnames.iter().cloned().collect();
    let mut chain = vec![bound.clone()];
    chain.extend(outer.iter().cloned());
    // Nested functions first: their free names make this function's cells.
    let mut inner_free: HashSet<String> = HashSet::new();
    for s in body.iter_mut() {
        if let Stmt::Def(nd) = &mut s.stmt {
            inner_free.extend(analyze_def(nd, &chain, counter));
        }
    }
    let cellvars: BTreeSet<String> = bound.intersection(&inner_free).cloned().collect();
    let mut candidates: HashSet<String> = inner_free;
    for s in body.iter() {
        candidates.extend(read_names(&s.stmt).into_iter().map(str::to_string));
    }
    candidates.extend(nonlocals.iter().cloned());
    let free: BTreeSet<String> = candidates
        .into_iter()
        .filter(|n| !bound.contains(n) && !globals.contains(n))
        .filter(|n| nonlocals.contains(n) || outer.iter().any(|o| o.contains(n)))
        .collect();
    let scope = FuncScope {
        varnames,
        cellvars: cellvars.into_iter().collect(),
        freevars: free.iter().cloned().collect(),
        globals,
    };
    (scope, free.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use crate::scenario::{Stmt, parse_scenario};
    use std::path::Path;

    /// Per `def`: its name, varnames, cellvars and freevars.
    type Scopes = Vec<(String, Vec<String>, Vec<String>, Vec<String>)>;

    fn scopes(text: &str) -> Scopes {
        let sc = parse_scenario(Path::new("t.yaml"), text).expect("loads");
        sc.defs()
            .into_iter()
            .map(|d| {
                (
                    d.name.clone(),
                    d.scope.varnames.clone(),
                    d.scope.cellvars.clone(),
                    d.scope.freevars.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn a_self_referencing_closure_makes_a_cell_in_its_maker() {
        let s = scopes(
            "steps:\n  - def make():\n      - def f(): return f\n      - return f\n  - g = make()\n",
        );
        assert_eq!(
            s[0],
            ("make".into(), vec!["f".into()], vec!["f".into()], vec![])
        );
        assert_eq!(s[1], ("f".into(), vec![], vec![], vec!["f".into()]));
    }

    #[test]
    fn free_names_pass_through_intermediate_functions_and_globals_stay_global() {
        let s = scopes(
            "steps:\n  - x = []\n  - def outer(a):\n      - def mid():\n          - def inner(): return a\n          - return inner\n      - return mid\n  - m = outer(x)\n",
        );
        assert_eq!(s[0].2, vec!["a".to_string()]);
        assert_eq!(s[1].3, vec!["a".to_string()], "mid passes `a` on");
        assert_eq!(s[2].3, vec!["a".to_string()]);
        let sc = parse_scenario(
            Path::new("t.yaml"),
            "steps:\n  - x = []\n  - def f(): return x\n  - y = f()\n",
        )
        .expect("loads");
        assert!(sc.defs()[0].scope.freevars.is_empty(), "x is a global");
        assert!(matches!(sc.steps[2].stmt, Stmt::Call { .. }));
    }
}
