//! The semantic checks: a static pass over a structurally valid [`Scenario`] (names bound before
//! use, operations that fit the kind of object a name holds, statements allowed where they
//! stand, versions a statement needs), plus the rules for names that the loader and the step
//! reader share. Kept apart from reading the file so that these rules read as one piece; they
//! run only when the file itself had no mistakes.

use super::Checker;
use super::ast::{
    ClassDef, ClassOrigin, MethodKind, Pos, Query, Scenario, Step, Stmt, Target, Value,
};
use crate::version::{Version, version_list};
use std::collections::{HashMap, HashSet};

/// Python keywords of 2.7 and 3.x, plus names that would change a program's meaning.
pub(super) const RESERVED: &[&str] = &[
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
    "set",
    "frozenset",
];

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

/// The container methods statements call (`l.append(x)`, `s.add(x)`, `s.discard(x)`): no
/// attribute or method may take these names.
const SET_METHODS: &[&str] = &["append", "add", "discard"];

/// Why `attr` cannot be a scenario attribute, if it is a reserved one (names starting with `_`,
/// keywords, `append`, `add`, `discard`).
pub(super) fn reserved_attr(attr: &str) -> Option<String> {
    (attr.starts_with('_') || RESERVED.contains(&attr) || SET_METHODS.contains(&attr)).then(|| {
        format!("attribute `{attr}` is reserved: use a plain name that does not start with `_`")
    })
}

pub(super) fn bad_class_name(name: &str) -> Option<String> {
    if name == "self" {
        return Some("`self` cannot name a class".to_string());
    }
    bad_name(name).map(|m| format!("class name {m}"))
}

pub(super) fn bad_method_name(name: &str) -> Option<String> {
    if name == "self" || SET_METHODS.contains(&name) {
        return Some(format!("`{name}` cannot name a method"));
    }
    bad_name(name).map(|m| format!("method name {m}"))
}

pub(super) fn bad_callback_name(name: &str) -> Option<String> {
    if name == "self" || name == "wr" {
        return Some(format!("`{name}` cannot name a callback"));
    }
    bad_name(name).map(|m| format!("callback name {m}"))
}

/// How the language says a method kind: `a static method`.
fn kind_text(k: MethodKind) -> &'static str {
    match k {
        MethodKind::Plain => "a plain method",
        MethodKind::Static => "a static method",
        MethodKind::Class => "a class method",
    }
}

/// Run the static pass over `sc`, reporting into `ck`.
pub(super) fn semantics(ck: &mut Checker, sc: &Scenario) {
    Semantics::new(ck, sc).run();
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// An instance of a class; the number tells objects apart (names bound to the same one
    /// share it: `e = f`), 0 where unknown (`self`).
    Inst(String, u32),
    List,
    Dict,
    Tuple,
    /// A set (`frozen: false`) or a frozenset.
    Set {
        frozen: bool,
    },
    WeakRef,
    /// A `weakref.proxy`: every attribute access through it reaches its referent (or raises
    /// `ReferenceError`), which the language does not offer.
    Proxy,
    Method,
    /// A function of a `def` (by its index).
    Function(usize),
    /// A static method's function (`x.s`, `A.s`): called with no argument.
    StaticFunc,
    /// A plain method read through its class (`A.m`): the function on 3.x, an unbound method
    /// on 2.7; called with one argument, an instance of the class (2.7 checks it).
    Unbound(String),
    /// A class of `classes:` (its type object): the class's own name, or a name bound to it
    /// (`c = A`).
    Class(String),
    NoneV,
    Int,
    Unknown,
}

impl Kind {
    fn describe(&self) -> String {
        match self {
            Kind::Inst(c, _) => format!("an instance of `{c}`"),
            Kind::List => "a list".into(),
            Kind::Dict => "a dict".into(),
            Kind::Tuple => "a tuple".into(),
            Kind::Set { frozen: false } => "a set".into(),
            Kind::Set { frozen: true } => "a frozenset".into(),
            Kind::WeakRef => "a weakref".into(),
            Kind::Proxy => {
                "a weakref proxy (attributes and calls through a proxy are not in the language)"
                    .into()
            }
            Kind::Method => "a bound method".into(),
            Kind::Function(_) => "a function".into(),
            Kind::StaticFunc => "a static method's function".into(),
            Kind::Unbound(c) => format!("a plain method read through the class `{c}`"),
            Kind::Class(c) => format!("the class `{c}`"),
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
    /// The name of the `except E as n:` handler at this position, which 3.x deletes at the
    /// end of the block.
    HandlerEnd(Pos),
    /// A class that the class statement at this position makes, not yet run.
    Later(Pos),
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
    /// How many `x = C()` statements were checked (their instances' numbers in [`Kind::Inst`]).
    objects: u32,
    /// Classes a top-level `del A` deletes, with the first such statement's position: a body
    /// (`__del__`, a method, a callback, a `def`) may run after it, so none may use them.
    deleted_classes: HashMap<String, Pos>,
    /// Checking the body of a `repeat:`.
    in_repeat: bool,
    /// Checking a `__del__` or callback body (which neither raises nor handles exceptions of
    /// scenario classes: CPython prints and ignores what escapes them), by its description.
    in_finalizer: Option<&'static str>,
    /// How many `except` blocks enclose the statement being checked (`raise` alone needs one).
    in_handler: usize,
}

impl<'a, 'b> Semantics<'a, 'b> {
    fn new(ck: &'a mut Checker<'b>, sc: &'a Scenario) -> Self {
        let mut del_globals = HashSet::new();
        for body in sc.bodies() {
            for s in body {
                if let Stmt::Global(ns) = &s.stmt {
                    del_globals.extend(ns.iter().cloned());
                }
            }
        }
        let top_bound = sc.steps.iter().flat_map(|s| top_bound(&s.stmt)).collect();
        let mut deleted_classes = HashMap::new();
        fn deletions(sc: &Scenario, steps: &[Step], out: &mut HashMap<String, Pos>) {
            for s in steps {
                match &s.stmt {
                    Stmt::DelName(n) if sc.class(n).is_some() => {
                        out.entry(n.clone()).or_insert(s.pos);
                    }
                    Stmt::Repeat { body, .. } => deletions(sc, body, out),
                    Stmt::Try(t) => t.blocks().for_each(|b| deletions(sc, b, out)),
                    _ => {}
                }
            }
        }
        deletions(sc, &sc.steps, &mut deleted_classes);
        Semantics {
            ck,
            sc,
            del_globals,
            top_bound,
            objects: 0,
            deleted_classes,
            in_repeat: false,
            in_finalizer: None,
            in_handler: 0,
        }
    }

    fn run(mut self) {
        let v = self.sc.applicable_versions();
        if v.is_empty() {
            self.ck
                .error(Pos { line: 1, col: 1 }, "`versions:` selects no version");
        }
        // Statements that only some versions have: refuse the others, naming both.
        fn walk<'s>(steps: &'s [Step], out: &mut Vec<&'s Step>) {
            for s in steps {
                out.push(s);
                match &s.stmt {
                    Stmt::Repeat { body, .. } => walk(body, out),
                    Stmt::Try(t) => t.blocks().for_each(|b| walk(b, out)),
                    Stmt::Def(d) => walk(&d.body, out),
                    _ => {}
                }
            }
        }
        let mut all = Vec::new();
        walk(&self.sc.steps, &mut all);
        for body in self.sc.bodies() {
            walk(body, &mut all);
        }
        for s in all {
            let Some(since) = s.stmt.since() else {
                continue;
            };
            let without: Vec<Version> = v.iter().copied().filter(|x| *x < since).collect();
            if !without.is_empty() {
                self.ck.error(
                    s.pos,
                    format!(
                        "`{}` needs CPython {since}+ (it exists in {}), but the scenario applies to {}, where it does not; add `versions: [\"{since}+\"]`",
                        s.text,
                        version_list(&Version::ALL.into_iter().filter(|x| *x >= since).collect::<Vec<_>>()),
                        version_list(&without),
                    ),
                );
            }
        }
        // A name is a static method in every class that has it, or in none: `x.name` reads a
        // function or makes a bound method, which the loader decides by the name alone.
        let mut first: HashMap<&str, (&str, MethodKind)> = HashMap::new();
        for c in &self.sc.classes {
            for m in &c.methods {
                match first.get(m.name.as_str()) {
                    Some(&(other, k))
                        if (k == MethodKind::Static) != (m.kind == MethodKind::Static) =>
                    {
                        self.ck.error(
                            m.pos,
                            format!(
                                "method `{}` of `{}` is {} but `{other}.{}` is {}: a method name is a static method in every class or in none",
                                m.name,
                                c.name,
                                kind_text(m.kind),
                                m.name,
                                kind_text(k)
                            ),
                        );
                    }
                    Some(_) => {}
                    None => {
                        first.insert(&m.name, (&c.name, m.kind));
                    }
                }
            }
        }
        // Top level.
        let mut env: HashMap<String, Binding> = HashMap::new();
        for g in &self.del_globals {
            env.insert(g.clone(), Binding::Bound(Kind::Unknown));
        }
        for c in &self.sc.classes {
            if c.origin != ClassOrigin::Declared {
                env.insert(c.name.clone(), Binding::Later(c.pos));
            }
        }
        let steps = self.sc.steps.clone();
        for s in &steps {
            self.stmt(s, &mut env, None);
        }
        // __del__ bodies.
        for c in self.sc.classes.clone() {
            if let Some(body) = &c.del {
                self.in_finalizer = Some("a `__del__` body");
                self.del_body(Some((&c, MethodKind::Plain)), body, &c.del_scope);
            }
        }
        // Callback bodies.
        for c in self.sc.callbacks.clone() {
            self.in_finalizer = Some("a callback body");
            self.del_body(None, &c.body, &c.scope);
        }
        self.in_finalizer = None;
        // Method bodies.
        for c in self.sc.classes.clone() {
            for m in &c.methods {
                self.del_body(Some((&c, m.kind)), &m.body, &m.scope);
            }
        }
    }

    /// A `__del__` or method body (`class`: `self` is its instance, `cls` a class method's
    /// class, a static method has no parameter) or a callback body (`None`: `wr` is its
    /// weakref).
    fn del_body(
        &mut self,
        class: Option<(&ClassDef, MethodKind)>,
        body: &[Step],
        scope: &crate::scenario::FuncScope,
    ) {
        let param = match class {
            Some((_, k)) => k.param(),
            None => Some("wr"),
        };
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
                        } else if Some(n.as_str()) == param {
                            self.ck.error(
                                s.pos,
                                format!("`{n}` is the function's parameter: it cannot be declared `global`"),
                            );
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
        let kind = match class {
            Some((c, MethodKind::Class)) => Kind::Class(c.name.clone()),
            Some((c, _)) => Kind::Inst(c.name.clone(), 0),
            None => Kind::WeakRef,
        };
        if let Some(p) = param {
            env.insert(p.into(), Binding::Bound(kind));
        }
        let ctx = DelCtx {
            globals,
            is_del: class.is_some(),
            is_static: matches!(class, Some((_, MethodKind::Static))),
            func: None,
            body_locals: scope.varnames.iter().cloned().collect(),
        };
        for s in body {
            // (`random_edges:` in a `__del__` or callback body: the generated program's edge
            // loop fails there with StopIteration, measured on 3.6-3.13.)
            if let Stmt::Repeat { .. } | Stmt::RandomEdges { .. } = s.stmt {
                self.ck.error(
                    s.pos,
                    "`repeat:` and `random_edges:` are only allowed at the top level",
                );
                continue;
            }
            self.stmt(s, &mut env, Some(&ctx));
        }
    }

    /// A `def` body, checked where it stands: its parameters and free names are bound, its other
    /// locals once a statement binds them; globals must be bound somewhere at top level.
    fn def_body(&mut self, d: &crate::scenario::FuncDef, pos: Pos, outer: Option<&DelCtx>) {
        let mut seen = HashSet::new();
        for p in &d.params {
            if let Some(m) = bad_name(&p.name) {
                self.ck.error(pos, format!("parameter {m}"));
            }
            if !seen.insert(p.name.clone()) {
                self.ck.error(
                    pos,
                    format!("duplicate parameter `{}` in `def {}`", p.name, d.name),
                );
            }
        }
        if let Some(m) = bad_name(&d.name) {
            self.ck.error(pos, format!("function name {m}"));
        }
        // (A class name is refused where the `def` binds it.)
        if self.sc.callback_index(&d.name).is_some() {
            self.ck.error(
                pos,
                format!(
                    "`{}` names a class or a callback too: a name is one or the other",
                    d.name
                ),
            );
        }
        let mut env: HashMap<String, Binding> = HashMap::new();
        for p in &d.params {
            if self.sc.class(&p.name).is_some() {
                self.ck.error(
                    pos,
                    format!(
                        "parameter `{}` of `def {}` names a class of `classes:`: a name is one or the other",
                        p.name, d.name
                    ),
                );
            }
            env.insert(p.name.clone(), Binding::Bound(Kind::Unknown));
        }
        for f in &d.scope.freevars {
            env.insert(f.clone(), Binding::Bound(Kind::Unknown));
        }
        let mut enclosing: Vec<HashSet<String>> = Vec::new();
        match outer {
            Some(DelCtx { func: Some(f), .. }) => {
                enclosing.push(f.locals.clone());
                enclosing.extend(f.enclosing.iter().cloned());
            }
            // A `def` in a `__del__`, callback or method body: that body's locals enclose it.
            Some(o) => enclosing.push(o.body_locals.clone()),
            None => {}
        }
        let globals: HashSet<String> = d.scope.globals.iter().cloned().collect();
        let ctx = DelCtx {
            globals: globals.clone(),
            is_del: false,
            is_static: false,
            body_locals: HashSet::new(),
            func: Some(FuncCtx {
                name: d.name.clone(),
                locals: d.scope.varnames.iter().cloned().collect(),
                enclosing,
            }),
        };
        for g in &globals {
            if !self.top_bound.contains(g) && !self.del_globals.contains(g) {
                // A global only this body binds: bound once the body runs.
                self.del_globals.insert(g.clone());
            }
        }
        for s in &d.body {
            if let Stmt::Repeat { .. } = s.stmt {
                self.ck
                    .error(s.pos, "`repeat:` is only allowed at the top level");
                continue;
            }
            self.stmt(s, &mut env, Some(&ctx));
        }
    }

    /// `del A` of a class of `classes:`: only at the top level (outside `repeat:`), once.
    fn del_class(
        &mut self,
        name: &str,
        pos: Pos,
        env: &mut HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) {
        if del.is_some() {
            self.ck.error(
                pos,
                format!("`del {name}` deletes a class only at the top level (a body would make `{name}` a local)"),
            );
            return;
        }
        if self.in_repeat {
            self.ck.error(
                pos,
                format!(
                    "`del {name}` cannot be in `repeat:`: its second pass would raise NameError"
                ),
            );
            return;
        }
        if let Some(Binding::Deleted(at)) = env.get(name) {
            self.ck.error(
                pos,
                format!(
                    "class `{name}` is already deleted (line {}): this `del` would raise NameError",
                    at.line
                ),
            );
            return;
        }
        env.insert(name.to_string(), Binding::Deleted(pos));
    }

    /// A statement naming class `name` (`name()`, `x.__class__ = name`) runs while the class's
    /// name is bound: not after a top-level `del name`, and in no body (which may run after it).
    fn class_usable(
        &mut self,
        name: &str,
        pos: Pos,
        env: &HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) -> bool {
        let made_by_step = self
            .sc
            .class(name)
            .filter(|c| c.origin != ClassOrigin::Declared)
            .map(|c| c.pos);
        if let (Some(at), Some(_)) = (made_by_step, del) {
            self.ck.error(
                pos,
                format!(
                    "class `{name}` is made by the class statement at line {}, and a body may run before it: bodies use classes of `classes:`",
                    at.line
                ),
            );
            return false;
        }
        if let (None, Some(Binding::Later(at))) = (del, env.get(name)) {
            self.ck.error(
                pos,
                format!(
                    "class `{name}` is made by the class statement at line {}: here it does not exist yet (NameError)",
                    at.line
                ),
            );
            return false;
        }
        let at = match (del, env.get(name)) {
            (None, Some(Binding::Deleted(at))) => *at,
            (Some(_), _) => match self.deleted_classes.get(name) {
                Some(at) => *at,
                None => return true,
            },
            _ => return true,
        };
        self.ck.error(
            pos,
            format!(
                "class `{name}` is deleted by `del {name}` (line {}){}: here it would raise NameError",
                at.line,
                if del.is_some() { ", and a body may run after that" } else { "" }
            ),
        );
        false
    }

    fn lookup(
        &mut self,
        name: &str,
        pos: Pos,
        env: &HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) -> Option<Kind> {
        if self.sc.callback_index(name).is_some() {
            self.ck.error(
                pos,
                format!("`{name}` is a callback function: the language uses it only as `weakref.ref(x, {name})`"),
            );
            return None;
        }
        // A class name always means its class: no statement, parameter or `def` may rebind
        // it (see [`Semantics::bind`]), so a body reads it as a global.
        if self.sc.class(name).is_some() {
            return self
                .class_usable(name, pos, env, del)
                .then(|| Kind::Class(name.to_string()));
        }
        if name == "self"
            && !env.contains_key("self")
            && del.is_some_and(|d| {
                !d.is_del && !d.func.as_ref().is_some_and(|f| f.locals.contains("self"))
            })
        {
            self.ck.error(
                pos,
                "`self` is only defined inside a `__del__` or method body; a callback's parameter is `wr` (its weakref)",
            );
            return None;
        }
        if let Some(ctx) = del {
            if ctx.is_static && name == "self" && !env.contains_key(name) {
                self.ck.error(
                    pos,
                    "`self` is not defined in a static method: `@staticmethod` methods take no parameter",
                );
                return None;
            }
            if let Some(f) = &ctx.func
                && f.locals.contains(name)
                && !env.contains_key(name)
            {
                self.ck.error(
                    pos,
                    format!(
                        "local `{name}` of `{}` is used before it is bound (UnboundLocalError)",
                        f.name
                    ),
                );
                return None;
            }
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
            Some(Binding::HandlerEnd(at)) => {
                self.ck.error(
                    pos,
                    format!(
                        "name `{name}` is used after the `except ... as {name}:` block of line {}, at whose end 3.x deletes it (2.7 keeps it): bind it to another name inside the block",
                        at.line
                    ),
                );
                None
            }
            // Class names are looked up as classes (`class_usable`), never here.
            Some(Binding::Later(_)) => None,
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
            Value::Method { obj, method } | Value::StaticMethod { obj, method } => {
                self.method_ok(obj, method, pos, env, del)
            }
            Value::Unbound { class, method: _ } => match self.lookup(class, pos, env, del) {
                Some(Kind::Class(c)) => Kind::Unbound(c),
                _ => Kind::Unknown,
            },
            Value::Attr { obj, attr } => {
                self.attr_read_ok(obj, attr, pos, env, del);
                Kind::Unknown
            }
        }
    }

    /// A set holds instances of scenario classes only: the generated program gives every
    /// class `__hash__ = bool` (a hash of 0, so a set's order follows its statements alone,
    /// never addresses), which no other kind of object has.
    fn set_item_ok(
        &mut self,
        v: &Value,
        pos: Pos,
        env: &HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) {
        match self.value_kind(v, pos, env, del) {
            Kind::Inst(..) => {}
            k => self.ck.error(
                pos,
                format!(
                    "`{v}` is {} here: a set holds instances of scenario classes only (the generated program pins their hash to 0, so the set's order is the same in every run; other objects hash by address)",
                    k.describe()
                ),
            ),
        }
    }

    /// `obj.attr` reads an instance attribute: a plain name that some statement sets, on an
    /// object whose class can hold it.
    fn attr_read_ok(
        &mut self,
        obj: &str,
        attr: &str,
        pos: Pos,
        env: &HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) {
        if let Some(msg) = reserved_attr(attr) {
            self.ck.error(pos, msg);
            return;
        }
        let set_somewhere = self.sc.statements().any(|st| match st {
            Stmt::SetAttr { attr: a, .. } => a == attr,
            Stmt::RandomEdges { attrs, .. } => attrs.iter().any(|a| a == attr),
            _ => false,
        });
        if !set_somewhere {
            let mut known: Vec<&str> = self
                .sc
                .classes
                .iter()
                .flat_map(|c| c.methods.iter().map(|m| m.name.as_str()))
                .collect();
            known.extend(self.sc.statements().filter_map(|st| match st {
                Stmt::SetAttr { attr, .. } => Some(attr.as_str()),
                _ => None,
            }));
            self.ck.error(
                pos,
                format!(
                    "`{obj}.{attr}`: no statement sets an attribute `{attr}` and no class has a method `{attr}`, so reading it raises AttributeError{}",
                    crate::util::suggestion(attr, &known)
                ),
            );
            return;
        }
        // Whether some statement sets `attr` on a class (instances read class attributes).
        let on_a_class = self.sc.statements().any(|st| {
            matches!(st, Stmt::SetAttr { obj: Target::Name(n), attr: a, .. } if a == attr && self.sc.class(n).is_some())
        });
        match self.lookup(obj, pos, env, del) {
            Some(Kind::Class(_)) => self.class_attr_ok(attr, pos),
            Some(Kind::Inst(c, _)) => {
                let l = self.sc.layout_of(&c);
                if self.sc.class(&c).is_some()
                    && !l.has_dict
                    && !l.slots.iter().any(|s| s == attr)
                    && !on_a_class
                {
                    self.ck.error(pos, no_such_slot(&c, &l, attr));
                }
            }
            Some(Kind::Unknown) | None => {}
            Some(Kind::NoneV) => self.ck.error(
                pos,
                format!("`{obj}` is None here: attribute access on None raises AttributeError"),
            ),
            Some(k) => self.ck.error(
                pos,
                format!(
                    "`{obj}` is {} here, which has no attribute `{attr}`",
                    k.describe()
                ),
            ),
        }
    }

    /// `obj.method` reads a method: `method` must be a method of some class, and of `obj`'s
    /// class where that is known; through a class (`A.method`) only a static or class method.
    /// The value's kind: a bound method (a plain or class method), a static method's function.
    fn method_ok(
        &mut self,
        obj: &str,
        method: &str,
        pos: Pos,
        env: &HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) -> Kind {
        let kind = self.lookup(obj, pos, env, del);
        if !self.sc.is_method_name(method) {
            let all: Vec<&str> = self
                .sc
                .classes
                .iter()
                .flat_map(|c| c.methods.iter().map(|m| m.name.as_str()))
                .collect();
            self.ck.error(
                pos,
                format!(
                    "`{obj}.{method}`: reading an attribute is in the language only for methods, and no class has a method `{method}`{} (methods: {})",
                    crate::util::suggestion(method, &all),
                    if all.is_empty() { "none".to_string() } else { all.join(", ") }
                ),
            );
            return Kind::Unknown;
        }
        match kind {
            Some(Kind::Inst(c, _)) => match self.method_kind(&c, method) {
                Some(k) => Self::method_value(k),
                None if self.sc.class(&c).is_none() => Kind::Unknown,
                None => {
                    self.ck.error(
                        pos,
                        format!("`{obj}` is an instance of `{c}`, which has no method `{method}`"),
                    );
                    Kind::Unknown
                }
            },
            Some(Kind::Class(c)) => match self.method_kind(&c, method) {
                Some(MethodKind::Plain) => {
                    self.ck.error(
                        pos,
                        format!("`{obj}.{method}` reads a plain method through a name bound to the class `{c}`, which is not in the language: write `{c}.{method}`"),
                    );
                    Kind::Unknown
                }
                Some(k) => Self::method_value(k),
                None => {
                    self.ck
                        .error(pos, format!("class `{c}` has no method `{method}`"));
                    Kind::Unknown
                }
            },
            Some(Kind::Unknown) | None => Kind::Unknown,
            Some(k) => {
                self.ck.error(
                    pos,
                    format!(
                        "`{obj}` is {} here, which has no method `{method}`",
                        k.describe()
                    ),
                );
                Kind::Unknown
            }
        }
    }

    /// A call of a plain method read through class `c` (`A.m(x)`, or `f(x)` after `f = A.m`):
    /// one argument, an instance of `c` or of a subclass. 2.7's unbound method checks it
    /// (`instancemethod_call`: TypeError otherwise); on 3.x the body would run with any
    /// `self`, which the checker cannot follow, so it asks the same everywhere.
    fn unbound_call_ok(&mut self, c: &str, shown: &str, kinds: &[Kind], pos: Pos) {
        let Some(ci) = self.sc.class_index(c) else {
            return;
        };
        let ok = match kinds {
            [Kind::Inst(ic, _)] => self.sc.class_index(ic).is_none_or(|i| {
                crate::scenario::hierarchy::mro(&self.sc.classes, i)
                    .is_some_and(|m| m.contains(&ci))
            }),
            _ => false,
        };
        if !ok {
            let given = match kinds {
                [k] => format!("{} given", k.describe()),
                _ => format!("{} arguments given", kinds.len()),
            };
            self.ck.error(
                pos,
                format!("`{shown}(...)` calls a plain method through the class `{c}`: it takes one argument, an instance of `{c}` or of a subclass ({given})"),
            );
        }
    }

    /// The kind of method `method` of class `c` (found on its MRO), if it has one.
    fn method_kind(&self, c: &str, method: &str) -> Option<MethodKind> {
        let ci = self.sc.class_index(c)?;
        let (k, m) = self.sc.find_method(ci, method)?;
        Some(self.sc.classes[k].methods[m].kind)
    }

    /// What reading a method of kind `k` gives: a bound method (plain, class), the function
    /// (static).
    fn method_value(k: MethodKind) -> Kind {
        match k {
            MethodKind::Static => Kind::StaticFunc,
            _ => Kind::Method,
        }
    }

    /// `x.__class__ = B`: `x` must be known to be an instance of a scenario class (`self` in a
    /// body: of its class or any subclass, which inherit the body), and CPython's
    /// `compatible_for_assignment` must accept each such class and `B` on every version the
    /// scenario applies to (else it raises TypeError: refused, with the versions where it
    /// works). Afterwards `x` is an instance of `B`.
    fn set_class_ok(
        &mut self,
        obj: &str,
        class: &str,
        pos: Pos,
        env: &mut HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) {
        let Some(new) = self.sc.class_index(class) else {
            let names: Vec<&str> = self.sc.classes.iter().map(|c| c.name.as_str()).collect();
            self.ck.error(
                pos,
                format!(
                    "`{obj}.__class__ = {class}`: `{class}` is no class of `classes:`{}",
                    crate::util::suggestion(class, &names)
                ),
            );
            return;
        };
        let (old, tag) = match self.lookup(obj, pos, env, del) {
            Some(Kind::Inst(c, t)) => match self.sc.class_index(&c) {
                Some(i) => (i, t),
                None => return,
            },
            Some(Kind::Unknown) => {
                self.ck.error(
                    pos,
                    format!(
                        "`{obj}.__class__ = {class}`: `{obj}` must be known here to be an instance of a scenario class (bound by `{obj} = A()`), so that the assignment can be checked against its class"
                    ),
                );
                return;
            }
            Some(k) => {
                self.ck.error(
                    pos,
                    format!(
                        "`{obj}` is {} here: __class__ assignment only supported for instances of scenario classes (TypeError)",
                        k.describe()
                    ),
                );
                return;
            }
            None => return,
        };
        let mut olds = vec![old];
        if obj == "self" {
            olds.extend((0..self.sc.classes.len()).filter(|&k| {
                k != old
                    && super::hierarchy::mro(&self.sc.classes, k).is_some_and(|m| m.contains(&old))
            }));
        }
        let versions = self.sc.applicable_versions();
        for &o in &olds {
            // A bound method or a body of the old class may still call any of its methods.
            let have = self.sc.method_names(new);
            let missing: Vec<&str> = self
                .sc
                .method_names(o)
                .into_iter()
                .filter(|m| !have.contains(m))
                .collect();
            if !missing.is_empty() {
                self.ck.error(
                    pos,
                    format!(
                        "`{obj}.__class__ = {class}`: `{class}` has no method {} that instances of `{}` have; a bound method or a body could still call it (AttributeError), so the language wants the new class to have every method of the old one",
                        missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", "),
                        self.sc.classes[o].name
                    ),
                );
            }
        }
        for o in olds {
            // The versions where it raises, grouped by CPython's message.
            let mut fails: Vec<(String, Vec<Version>)> = Vec::new();
            for &v in &versions {
                if let Err(e) = super::hierarchy::compatible_for_assignment(
                    &self.sc.classes,
                    o,
                    new,
                    v.type_layout(),
                ) {
                    match fails.iter_mut().find(|(m, _)| *m == e) {
                        Some((_, vs)) => vs.push(v),
                        None => fails.push((e, vec![v])),
                    }
                }
            }
            if fails.is_empty() {
                continue;
            }
            let why: Vec<String> = fails
                .iter()
                .map(|(m, vs)| format!("on {} ({m})", version_list(vs)))
                .collect();
            let works: Vec<Version> = Version::ALL
                .into_iter()
                .filter(|v| {
                    super::hierarchy::compatible_for_assignment(
                        &self.sc.classes,
                        o,
                        new,
                        v.type_layout(),
                    )
                    .is_ok()
                })
                .collect();
            let on = &self.sc.classes[o].name;
            let hint = if works.is_empty() {
                String::new()
            } else {
                format!(
                    "; it works on {}: declare those in `versions:`",
                    version_list(&works)
                )
            };
            self.ck.error(
                pos,
                format!(
                    "`{obj}.__class__ = {class}` (an instance of `{on}`) raises TypeError {}{hint}",
                    why.join(" and ")
                ),
            );
        }
        // Every name bound to the same object (`e = f`) now holds an instance of the new class.
        let was = Kind::Inst(self.sc.classes[old].name.clone(), tag);
        for b in env.values_mut() {
            if tag != 0 && matches!(b, Binding::Bound(k) if *k == was) {
                *b = Binding::Bound(Kind::Inst(class.to_string(), tag));
            }
        }
        if env.contains_key(obj) {
            env.insert(
                obj.to_string(),
                Binding::Bound(Kind::Inst(class.to_string(), tag)),
            );
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
        if name == "self" && !del.is_some_and(|d| d.is_del || d.func.is_some()) {
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
        if self.sc.callback_index(name).is_some() {
            self.ck.error(
                pos,
                format!("`{name}` names a callback function: it cannot be rebound"),
            );
            return;
        }
        if self.sc.class(name).is_some() {
            self.ck.error(
                pos,
                format!(
                    "`{name}` names a class of `classes:`: it cannot be rebound (`del {name}` deletes it)"
                ),
            );
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
        if let Some(msg) = reserved_attr(attr) {
            self.ck.error(pos, msg);
        }
        if let Some(c) = self
            .sc
            .classes
            .iter()
            .find(|c| c.method_index(attr).is_some())
        {
            self.ck.error(
                pos,
                format!(
                    "`{attr}` is a method of `{}`: an attribute of that name is not in the language (it would shadow the method; use another name)",
                    c.name
                ),
            );
        }
        let Target::Name(n) = obj else { return };
        let Some(kind) = self.lookup(n, pos, env, del) else {
            return;
        };
        match kind {
            Kind::Class(_) => self.class_attr_ok(attr, pos),
            Kind::Inst(c, _) => {
                if self.sc.class(&c).is_none() {
                    return;
                }
                let l = self.sc.layout_of(&c);
                if !l.has_dict && !l.slots.iter().any(|s| s == attr) {
                    self.ck.error(pos, no_such_slot(&c, &l, attr));
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

    /// `A.attr` or `c.attr` with `c = A` (a store, a `del` or a read) on class `A`: `attr`
    /// names no `__slots__` value slot of any class (a class attribute of that name would
    /// replace the slot's member descriptor in the type's dict).
    fn class_attr_ok(&mut self, attr: &str, pos: Pos) {
        if let Some(c) = self
            .sc
            .classes
            .iter()
            .find(|c| c.slots.iter().flatten().any(|s| s == attr))
        {
            self.ck.error(
                pos,
                format!(
                    "`{attr}` is a `__slots__` slot of `{}`: a class attribute of that name is not in the language (it would replace the slot's descriptor; use another name)",
                    c.name
                ),
            );
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

    /// The exception class a name stands for, or the error saying why it is none.
    fn exception_class(&self, class: &str) -> Result<(), String> {
        match self.sc.class(class) {
            Some(c) if c.exception => Ok(()),
            Some(_) => Err(format!(
                "`{class}` is no exception class: give it `bases: [Exception]` (or an exception class as its base)"
            )),
            None => {
                let known: Vec<&str> = self
                    .sc
                    .classes
                    .iter()
                    .filter(|c| c.exception)
                    .map(|c| c.name.as_str())
                    .collect();
                Err(format!(
                    "unknown exception class `{class}`{}",
                    match crate::util::did_you_mean(class, &known) {
                        Some(n) => format!(" (did you mean `{n}`?)"),
                        None if known.is_empty() =>
                            " (no class of `classes:` has `bases: [Exception]`)".to_string(),
                        None => format!(" (exception classes: {})", known.join(", ")),
                    }
                ))
            }
        }
    }

    /// A name that must hold an exception (where its kind is known): an instance of another
    /// scenario class gets "`n` is an instance of `C`, which is no exception class: `plain`"
    /// (or, without `plain`, the message of any other kind), any other kind "`n` is … here:
    /// `other`".
    fn expect_exception(
        &mut self,
        n: &str,
        pos: Pos,
        env: &mut HashMap<String, Binding>,
        del: Option<&DelCtx>,
        plain: Option<&str>,
        other: &str,
    ) {
        match self.lookup(n, pos, env, del) {
            Some(Kind::Inst(c, _)) if self.sc.class(&c).is_some_and(|k| k.exception) => {}
            Some(Kind::Inst(c, _)) if plain.is_some() && self.sc.class(&c).is_some() => {
                self.ck.error(
                    pos,
                    format!(
                        "`{n}` is an instance of `{c}`, which is no exception class: {}",
                        plain.unwrap_or_default()
                    ),
                );
            }
            Some(Kind::Inst(..)) if plain.is_some() => {}
            Some(Kind::Unknown) | None => {}
            Some(k) => self
                .ck
                .error(pos, format!("`{n}` is {} here: {other}", k.describe())),
        }
    }

    /// `raise E()`, `raise x`, `raise`.
    fn throw(
        &mut self,
        t: &crate::scenario::Throw,
        pos: Pos,
        env: &mut HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) {
        use crate::scenario::Throw;
        if let Throw::From { what, cause } = t {
            if matches!(**what, Throw::Reraise | Throw::From { .. }) {
                self.ck
                    .error(pos, "`raise … from …` raises `E()` or a name, with a cause");
            }
            self.throw(what, pos, env, del);
            if let Some(c) = cause {
                self.expect_exception(
                    c,
                    pos,
                    env,
                    del,
                    Some("a cause must be an exception (TypeError)"),
                    "a cause must be an exception or None",
                );
            }
            return;
        }
        match t {
            Throw::New(class) => {
                if let Err(m) = self.exception_class(class) {
                    self.ck.error(pos, m);
                } else {
                    self.class_usable(class, pos, env, del);
                }
            }
            Throw::Name(n) => self.expect_exception(
                n,
                pos,
                env,
                del,
                Some("raising it raises TypeError"),
                "`raise` needs an exception instance",
            ),
            Throw::From { .. } => {}
            Throw::Reraise => {
                if self.in_handler == 0 {
                    self.ck.error(
                        pos,
                        "`raise` alone re-raises the exception being handled: only inside an `except` block",
                    );
                }
            }
        }
    }

    /// A `try:` block: its body, each handler (its class an exception class, its name bound
    /// to the exception inside the block and deleted at its end, as 3.x does), `finally:`.
    fn try_block(
        &mut self,
        t: &crate::scenario::TryStmt,
        env: &mut HashMap<String, Binding>,
        del: Option<&DelCtx>,
    ) {
        for s in &t.body {
            self.block_stmt(s, env, del);
        }
        for h in &t.handlers {
            if let Err(m) = self.exception_class(&h.class) {
                self.ck.error(h.pos, m);
            } else {
                self.class_usable(&h.class, h.pos, env, del);
            }
            if let Some(n) = &h.name {
                if let Some(m) = bad_name(n) {
                    self.ck.error(h.pos, m);
                }
                self.bind(n, Kind::Inst(h.class.clone(), 0), h.pos, env, del);
            }
            self.in_handler += 1;
            for s in &h.body {
                self.block_stmt(s, env, del);
            }
            self.in_handler -= 1;
            if let Some(n) = &h.name {
                // 3.x ends the block with `n = None; del n` (2.7 keeps it: using it afterwards
                // would differ between versions, so no version may).
                env.insert(n.clone(), Binding::HandlerEnd(h.pos));
            }
        }
        if let Some(f) = &t.finally {
            for s in f {
                self.block_stmt(s, env, del);
            }
        }
    }

    /// A statement in a `try:` block: as anywhere else, but no `def`, class statement,
    /// `repeat:` or `random_edges:` inside (the generated program's bookkeeping around those
    /// cannot be cut short by an exception).
    fn block_stmt(&mut self, s: &Step, env: &mut HashMap<String, Binding>, del: Option<&DelCtx>) {
        if let Stmt::Def(_)
        | Stmt::ClassStmt { .. }
        | Stmt::Repeat { .. }
        | Stmt::RandomEdges { .. } = s.stmt
        {
            self.ck.error(
                s.pos,
                format!(
                    "`{}` inside a `try:` block is not in the language: put it before the block",
                    s.text
                ),
            );
            return;
        }
        self.stmt(s, env, del);
    }

    fn stmt(&mut self, s: &Step, env: &mut HashMap<String, Binding>, del: Option<&DelCtx>) {
        let pos = s.pos;
        match &s.stmt {
            Stmt::New { target, class } => {
                self.class_usable(class, pos, env, del);
                if self.sc.callback_index(class).is_some() {
                    self.ck.error(
                        pos,
                        format!("`{class}` is a callback, not a class: `{class}()` would call it with no weakref (callbacks are for `weakref.ref(x, {class})`)"),
                    );
                } else if self.sc.class(class).is_none() {
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
                    self.objects += 1;
                    Kind::Inst(class.clone(), self.objects)
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
            Stmt::NewSet {
                target,
                items,
                frozen,
                ..
            } => {
                for v in items {
                    self.set_item_ok(v, pos, env, del);
                }
                if *frozen && items.is_empty() {
                    self.ck.error(
                        pos,
                        "an empty frozenset is not in the language: up to 3.9 every empty frozenset is one shared object, made once and never freed; give it an item (`frozenset([a])`)",
                    );
                }
                self.bind(target, Kind::Set { frozen: *frozen }, pos, env, del);
            }
            Stmt::SetOp {
                obj,
                value,
                discard,
            } => {
                self.set_item_ok(value, pos, env, del);
                let what = if *discard { "`.discard`" } else { "`.add`" };
                if self.lookup(obj, pos, env, del) == Some(Kind::Set { frozen: true }) {
                    self.ck.error(
                        pos,
                        format!("`{obj}` is a frozenset here: a frozenset has no {what} (it cannot change)"),
                    );
                } else {
                    self.need(obj, Kind::Set { frozen: false }, what, pos, env, del);
                }
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
            Stmt::SetAttr { obj, attr, value } if attr == "__traceback__" => {
                self.value_kind(value, pos, env, del);
                if *value != Value::None {
                    self.ck.error(
                        pos,
                        "only `x.__traceback__ = None` is in the language (it drops the exception's traceback)",
                    );
                }
                if let Target::Name(n) = obj {
                    self.expect_exception(
                        n,
                        pos,
                        env,
                        del,
                        None,
                        "`__traceback__` is an exception's",
                    );
                }
            }
            Stmt::SetAttr { obj, attr, value } => {
                self.value_kind(value, pos, env, del);
                if let Target::Name(n) = obj
                    && let Some(Binding::Bound(Kind::Inst(c, _))) = env.get(n.as_str())
                    && self.sc.class(c).is_some_and(|c| c.exception)
                {
                    self.ck.error(
                        pos,
                        format!("`{n}` is an exception (`{c}`): the language gives exceptions no attributes but `{n}.__traceback__ = None`"),
                    );
                }
                self.attr_ok(obj, attr, pos, env, del);
            }
            Stmt::DelAttr { obj, attr } => self.attr_ok(obj, attr, pos, env, del),
            Stmt::SetClass { obj, class } => {
                self.class_usable(class, pos, env, del);
                self.set_class_ok(obj, class, pos, env, del)
            }
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
            Stmt::GarbageAppend(v) => {
                self.value_kind(v, pos, env, del);
            }
            Stmt::Call {
                target,
                obj: Some(o),
                name,
                args,
            } => {
                let kinds: Vec<Kind> = args
                    .iter()
                    .map(|a| self.value_kind(a, pos, env, del))
                    .collect();
                if let Some(t) = target {
                    self.bind(t, Kind::Unknown, pos, env, del);
                }
                let Some(kind) = self.lookup(o, pos, env, del) else {
                    return;
                };
                match kind {
                    Kind::Inst(c, _) => {
                        let Some(ci) = self.sc.class_index(&c) else {
                            return;
                        };
                        let l = self.sc.layout(ci);
                        let found = self.sc.find_method(ci, name);
                        // An attribute holding a bound method: some statement must set it.
                        let attr_ok = !self.sc.is_method_name(name)
                            && (l.has_dict || l.slots.iter().any(|s| s == name))
                            && self.sc.statements().any(|st| match st {
                                Stmt::SetAttr { attr, .. } => attr == name,
                                Stmt::RandomEdges { attrs, .. } => attrs.contains(name),
                                _ => false,
                            });
                        if let Some((k, m)) = found
                            && !args.is_empty()
                        {
                            let but = match self.sc.classes[k].methods[m].kind.param() {
                                Some(p) => format!(" but `{p}`"),
                                None => String::new(),
                            };
                            self.ck.error(
                                pos,
                                format!("method `{name}` of `{c}` takes no arguments{but} ({} given)", args.len()),
                            );
                        }
                        if found.is_none() && !attr_ok {
                            let ms = self.sc.method_names(ci);
                            self.ck.error(
                                pos,
                                format!(
                                    "`{o}` is an instance of `{c}`, which has no method `{name}` and no statement sets an attribute `{name}`{} (its methods: {})",
                                    crate::util::suggestion(name, &ms),
                                    if ms.is_empty() { "none".to_string() } else { ms.join(", ") }
                                ),
                            );
                        }
                    }
                    Kind::Class(c) => match self.method_kind(&c, name) {
                        Some(MethodKind::Plain) => {
                            self.unbound_call_ok(&c, &format!("{o}.{name}"), &kinds, pos)
                        }
                        Some(_) if !args.is_empty() => self.ck.error(
                            pos,
                            format!("method `{name}` of `{c}` takes no arguments ({} given)", args.len()),
                        ),
                        Some(_) => {}
                        None => self.ck.error(
                            pos,
                            format!("class `{c}` has no method `{name}`"),
                        ),
                    },
                    Kind::Unknown => {}
                    k => self.ck.error(
                        pos,
                        format!(
                            "`{o}` is {} here: `{o}.{name}()` is not in the language for it{}",
                            k.describe(),
                            if k == Kind::List {
                                crate::util::suggestion(name, &["append"])
                            } else {
                                String::new()
                            }
                        ),
                    ),
                }
            }
            Stmt::Call {
                target,
                obj: None,
                name,
                args,
            } => {
                if self.sc.class(name).is_some() {
                    self.ck.error(
                        pos,
                        if args.is_empty() {
                            format!("`{name}()` as a statement is not in the language: bind the instance (`x = {name}()`)")
                        } else {
                            format!("`{name}(...)`: a class takes no arguments in the language (`x = {name}()`)")
                        },
                    );
                    return;
                }
                let callee = self.lookup(name, pos, env, del);
                let kinds: Vec<Kind> = args
                    .iter()
                    .map(|a| self.value_kind(a, pos, env, del))
                    .collect();
                match callee {
                    Some(Kind::Unbound(c)) => self.unbound_call_ok(&c, name, &kinds, pos),
                    Some(Kind::Function(i)) => {
                        let defs = self.sc.defs();
                        if let Some(d) = defs.iter().find(|d| d.index == i) {
                            let required = d.params.iter().filter(|p| p.default.is_none()).count();
                            if args.len() < required || args.len() > d.params.len() {
                                self.ck.error(
                                    pos,
                                    format!(
                                        "`{}` takes {} argument{} ({} given)",
                                        d.name,
                                        if required == d.params.len() {
                                            format!("{required}")
                                        } else {
                                            format!("{required} to {}", d.params.len())
                                        },
                                        if d.params.len() == 1 { "" } else { "s" },
                                        args.len()
                                    ),
                                );
                            }
                        }
                    }
                    Some(Kind::Method) if !args.is_empty() => self.ck.error(
                        pos,
                        format!(
                            "`{name}` is a bound method here: methods take no arguments but `self`"
                        ),
                    ),
                    Some(Kind::StaticFunc) if !args.is_empty() => self.ck.error(
                        pos,
                        format!("`{name}` is a static method's function here: it takes no arguments"),
                    ),
                    Some(Kind::Method | Kind::StaticFunc | Kind::Unknown) | None => {}
                    Some(Kind::Class(c)) => self.ck.error(
                        pos,
                        format!("`{name}` is the class `{c}` here: making an instance is in the language as `x = {c}()` only"),
                    ),
                    Some(k) => self.ck.error(
                        pos,
                        format!("`{name}` is {} here, which is not callable", k.describe()),
                    ),
                }
                if let Some(t) = target {
                    self.bind(t, Kind::Unknown, pos, env, del);
                }
            }
            Stmt::Def(d) => {
                for p in &d.params {
                    if let Some(v) = &p.default {
                        self.value_kind(v, pos, env, del);
                    }
                }
                self.bind(&d.name, Kind::Function(d.index), pos, env, del);
                self.def_body(d, pos, del);
            }
            Stmt::Return(v) => {
                if del.is_none() {
                    self.ck.error(pos, "`return` outside a function: only in a `def`, method, `__del__` or callback body");
                }
                if let Some(v) = v {
                    self.value_kind(v, pos, env, del);
                }
            }
            Stmt::Nonlocal(ns) => match del.and_then(|d| d.func.as_ref()) {
                None => self.ck.error(
                    pos,
                    "`nonlocal` is only allowed in a `def` nested in another function (a `def`, or a method, `__del__` or callback body)",
                ),
                Some(f) => {
                    for n in ns {
                        if !f.enclosing.iter().any(|e| e.contains(n)) {
                            self.ck.error(pos, format!("no binding for nonlocal `{n}` found in the functions around `{}` (SyntaxError)", f.name));
                        }
                    }
                }
            },
            Stmt::FromGarbage { target, .. } => {
                self.bind(target, Kind::Unknown, pos, env, del);
            }
            Stmt::ClassStmt { name, bases, .. } => {
                if del.is_some() || self.in_repeat {
                    self.ck.error(
                        pos,
                        format!("`{}`: a class statement runs at the top level of the steps only; in a `repeat:` block or a body each run would make another class `{name}`, which the language cannot name", s.text),
                    );
                    return;
                }
                for b in bases {
                    self.class_usable(b, pos, env, del);
                }
                env.insert(name.clone(), Binding::Bound(Kind::Class(name.clone())));
            }
            Stmt::DelName(n) if self.sc.class(n).is_some() => self.del_class(n, pos, env, del),
            Stmt::DelName(n) => {
                if self.lookup(n, pos, env, del).is_some() {
                    env.insert(n.clone(), Binding::Deleted(pos));
                }
            }
            Stmt::WeakRef {
                target,
                referent,
                callback,
                proxy,
            } => {
                if let Some(cb) = callback
                    && cb != crate::scenario::BUILTIN_CALLBACK
                    && self.sc.callback_index(cb).is_none()
                {
                    let known: Vec<&str> =
                        self.sc.callbacks.iter().map(|c| c.name.as_str()).collect();
                    let mut names = vec![crate::scenario::BUILTIN_CALLBACK];
                    names.extend(known.iter().copied());
                    self.ck.error(
                        pos,
                        format!(
                            "unknown callback `{cb}`{}: a weakref callback is `callback` or a function of `callbacks:` (here: {})",
                            crate::util::suggestion(cb, &names),
                            names.join(", ")
                        ),
                    );
                }
                if let Some(k) = self.lookup(referent, pos, env, del) {
                    match &k {
                        Kind::Inst(c, _) => {
                            if self.sc.class(c).is_some() && !self.sc.layout_of(c).weakrefable {
                                self.ck.error(pos, format!("cannot create a weak reference to `{referent}`: class `{c}` has __slots__ without `__weakref__`"));
                            }
                        }
                        Kind::Unknown
                        | Kind::Method
                        | Kind::Function(_)
                        | Kind::StaticFunc
                        | Kind::Unbound(_)
                        | Kind::Class(_) => {}
                        Kind::WeakRef if !proxy => {}
                        k => self.ck.error(
                            pos,
                            format!(
                                "cannot create a weak reference to `{referent}`: it is {}",
                                k.describe()
                            ),
                        ),
                    }
                }
                let kind = if *proxy { Kind::Proxy } else { Kind::WeakRef };
                self.bind(target, kind, pos, env, del);
            }
            Stmt::Repeat { body, .. } => {
                if del.is_some() {
                    self.ck
                        .error(pos, "`repeat:` is only allowed at the top level");
                    return;
                }
                // Twice: what one iteration deletes must not be used by the next.
                let before = self.ck.diags.len();
                self.in_repeat = true;
                for s in body {
                    self.stmt(s, env, del);
                }
                if self.ck.diags.len() == before {
                    for s in body {
                        self.stmt(s, env, del);
                    }
                }
                self.in_repeat = false;
            }
            Stmt::RandomEdges { list, attrs, .. } => {
                // The attributes' syntax was checked by the loader; the elements are only known
                // at run time (a failing store raises there, as in Python).
                for a in attrs {
                    if let Some(c) = self.sc.classes.iter().find(|c| c.method_index(a).is_some()) {
                        self.ck.error(
                            pos,
                            format!("`random_edges:` attrs: `{a}` is a method of `{}`: an attribute of that name is not in the language (it would shadow the method)", c.name),
                        );
                    }
                }
                self.need(list, Kind::List, "`random_edges:`", pos, env, del);
            }
            Stmt::Throw(_) | Stmt::Try(_) if self.in_finalizer.is_some() => {
                self.ck.error(
                    pos,
                    format!(
                        "`{}` in {}: a finalizer or callback raises only `raise RuntimeError()` (CPython prints and ignores it), and handles no exceptions",
                        s.text,
                        self.in_finalizer.unwrap_or_default()
                    ),
                );
            }
            Stmt::Throw(t) => self.throw(t, pos, env, del),
            Stmt::Try(t) => self.try_block(t, env, del),
            Stmt::Global(_) | Stmt::Raise if del.is_none() => {
                self.ck.error(
                    pos,
                    format!(
                        "`{}` is only allowed inside a `__del__` or callback body",
                        s.text
                    ),
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
            Stmt::Query(q) => {
                if let Some(n) = q.argument() {
                    self.lookup(n, pos, env, del);
                }
                if matches!(q, Query::FreezeCount) && del.is_some() {
                    self.ck.error(
                        pos,
                        format!(
                            "`{}` is only allowed at the top level (up to 3.10 a `__del__` runs in a frame object, which a `gc.freeze()` inside it would count)",
                            s.text
                        ),
                    );
                }
            }
        }
    }
}

struct DelCtx {
    globals: HashSet<String>,
    /// A `__del__` or method body (`self` is defined), not a callback body (`wr` is).
    is_del: bool,
    /// A static method's body (`@staticmethod`: no `self`).
    is_static: bool,
    /// A `def` body: its local names (a read before the first binding is an error), and the
    /// names of its enclosing functions' scopes, innermost first (for `nonlocal`).
    func: Option<FuncCtx>,
    /// A `__del__`, callback or method body: its local names (the scope that encloses a `def`
    /// in it).
    body_locals: HashSet<String>,
}

struct FuncCtx {
    name: String,
    locals: HashSet<String>,
    enclosing: Vec<HashSet<String>>,
}

/// The names a top-level statement binds by a store: its own, and inside a `try:` block those
/// of its statements and its handlers' names.
fn top_bound(s: &Stmt) -> Vec<String> {
    match s {
        Stmt::Try(t) => t
            .blocks()
            .flatten()
            .flat_map(|s| top_bound(&s.stmt))
            .chain(t.handlers.iter().filter_map(|h| h.name.clone()))
            .collect(),
        s => assigned_name(s).into_iter().collect(),
    }
}

/// The name a statement binds by a store, if any (not `del`: see [`super::scope::bound_names`]).
pub(crate) fn assigned_name(s: &Stmt) -> Option<String> {
    assigned(s).map(str::to_string)
}

/// [`assigned_name`], borrowed.
pub(super) fn assigned(s: &Stmt) -> Option<&str> {
    match s {
        Stmt::New { target, .. }
        | Stmt::NewSet { target, .. }
        | Stmt::NewList { target, .. }
        | Stmt::NewDict { target, .. }
        | Stmt::NewTuple { target, .. }
        | Stmt::Assign { target, .. }
        | Stmt::FromGarbage { target, .. }
        | Stmt::WeakRef { target, .. }
        | Stmt::Call {
            target: Some(target),
            ..
        } => Some(target),
        Stmt::Def(d) => Some(&d.name),
        _ => None,
    }
}

/// "`B` has __slots__ [..] and no __dict__: it has no attribute `x`", naming the slots of the
/// whole layout (a base's too).
fn no_such_slot(class: &str, l: &super::hierarchy::Layout, attr: &str) -> String {
    format!(
        "`{class}` has __slots__ {:?} and no __dict__: it has no attribute `{attr}`",
        l.slots
    )
}
