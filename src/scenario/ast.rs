//! The validated form of a scenario: classes and statements, with source positions.

use crate::version::{Version, VersionRange};
use std::fmt;
use std::path::PathBuf;

/// A 1-based line and column in the scenario file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

/// A value a statement stores: a name's object, `None`, an integer literal, or a bound method
/// (`a.method`: reading a method of a scenario class through an instance makes a new bound
/// method object each time, as `LOAD_ATTR` does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Name(String),
    None,
    Int(i64),
    /// `obj.method`, where `method` is a method of some scenario class (`methods:`).
    Method {
        obj: String,
        method: String,
    },
    /// `obj.method`, where `method` is a static method (`staticmethods:`): the function
    /// itself, no new object (`sm_descr_get`). The loader tells it from [`Value::Method`].
    StaticMethod {
        obj: String,
        method: String,
    },
    /// `A.method`, where `A` is a scenario class and `method` a plain method on its MRO: on 3.x
    /// the function itself (`func_descr_get` without an instance); on 2.7 a new unbound method
    /// (`PyMethod_New(func, NULL, A)`). The loader tells it from [`Value::Method`].
    Unbound {
        class: String,
        method: String,
    },
    /// `obj.attr`, where `attr` is no method of any class: the attribute's value (`LOAD_ATTR`
    /// of an instance attribute; no new object). The loader tells the two apart.
    Attr {
        obj: String,
        attr: String,
    },
}

impl Value {
    /// The name the value reads, if any (`a` for `a` and for `a.method`).
    pub fn name(&self) -> Option<&str> {
        match self {
            Value::Name(n)
            | Value::Method { obj: n, .. }
            | Value::StaticMethod { obj: n, .. }
            | Value::Unbound { class: n, .. }
            | Value::Attr { obj: n, .. } => Some(n),
            Value::None | Value::Int(_) => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Name(n) => f.write_str(n),
            Value::None => f.write_str("None"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Method { obj, method }
            | Value::StaticMethod { obj, method }
            | Value::Unbound { class: obj, method } => write!(f, "{obj}.{method}"),
            Value::Attr { obj, attr } => write!(f, "{obj}.{attr}"),
        }
    }
}

/// Whether `x = (...)` builds a new tuple at run time: only if an item reads a name (a name, a
/// bound method, an attribute). A tuple of literals (and `()`) is a compile-time constant: the same object every
/// time, never tracked.
pub fn tuple_is_new(items: &[Value]) -> bool {
    items.iter().any(|v| v.name().is_some())
}

/// What an attribute statement acts on: a name (including `self`), or `gc.garbage[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Name(String),
    GarbageItem(i64),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Name(n) => f.write_str(n),
            Target::GarbageItem(i) => write!(f, "gc.garbage[{i}]"),
        }
    }
}

/// A call of the `gc` module whose value the trace records: the statement is the call itself
/// (`gc.get_count()`), written as Python writes it; its value becomes an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// `gc.get_count()`
    Count,
    /// `gc.get_threshold()`
    Threshold,
    /// `gc.is_tracked(NAME)`
    IsTracked(String),
    /// `gc.is_finalized(NAME)` (3.9+)
    IsFinalized(String),
    /// `gc.get_freeze_count()` (3.7+)
    FreezeCount,
    /// `gc.get_stats()` (3.4+; here 3.6+)
    Stats,
}

impl Query {
    /// The `gc` function it calls (`get_count`).
    pub fn function(&self) -> &'static str {
        match self {
            Query::Count => "get_count",
            Query::Threshold => "get_threshold",
            Query::IsTracked(_) => "is_tracked",
            Query::IsFinalized(_) => "is_finalized",
            Query::FreezeCount => "get_freeze_count",
            Query::Stats => "get_stats",
        }
    }

    /// The name it passes, if any.
    pub fn argument(&self) -> Option<&str> {
        match self {
            Query::IsTracked(n) | Query::IsFinalized(n) => Some(n),
            _ => None,
        }
    }

    /// The oldest modelled version whose `gc` module has the function: `gc.get_stats()` came
    /// in 3.4 (3.6 here), `gc.get_freeze_count()` in 3.7, `gc.is_finalized()` in 3.9.
    pub fn since(&self) -> Version {
        match self {
            Query::Count | Query::Threshold | Query::IsTracked(_) => Version::V2_7,
            Query::Stats => Version::V3_6,
            Query::FreezeCount => Version::V3_7,
            Query::IsFinalized(_) => Version::V3_9,
        }
    }
}

impl fmt::Display for Query {
    /// The call as Python writes it: `gc.get_count()`, `gc.is_tracked(a)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gc.{}({})",
            self.function(),
            self.argument().unwrap_or_default()
        )
    }
}

/// How a [`Stmt::NewSet`] builds its set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetBuild {
    /// `{a, b}`: `BUILD_SET` (never frozen; at least one item).
    Display,
    /// `set()`, `frozenset()`: a call with no argument.
    Empty,
    /// `set([a, b])`, `frozenset([a, b])`: a list display, then the call.
    FromList,
}

/// A class statement as the language writes it: `class C(A, B): pass`, `class C: pass`, or
/// (`via_type`) `C = type('C', (A,), {})`.
pub fn class_stmt_text(name: &str, bases: &[String], via_type: bool) -> String {
    if via_type {
        let inner = match bases {
            [one] => format!("{one},"),
            _ => bases.join(", "),
        };
        format!("{name} = type('{name}', ({inner}), {{}})")
    } else if bases.is_empty() {
        format!("class {name}: pass")
    } else {
        format!("class {name}({}): pass", bases.join(", "))
    }
}

/// A set statement as Python writes it, from its target's and its items' texts:
/// `x = {a, b}`, `x = set()`, `x = frozenset([a, b])`.
pub fn set_text(target: &str, items: &[String], build: SetBuild, frozen: bool) -> String {
    let func = if frozen { "frozenset" } else { "set" };
    match build {
        SetBuild::Display => format!("{target} = {{{}}}", items.join(", ")),
        SetBuild::Empty => format!("{target} = {func}()"),
        SetBuild::FromList => format!("{target} = {func}([{}])", items.join(", ")),
    }
}

/// `s.add(a)`, `s.discard(a)`.
pub fn set_op_text(obj: &str, value: &str, discard: bool) -> String {
    let m = if discard { "discard" } else { "add" };
    format!("{obj}.{m}({value})")
}

/// One statement of the scenario language (see `docs/scenarios.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stmt {
    /// `x = C()`
    New { target: String, class: String },
    /// `class C(A, B): pass` (or `class C: pass`), and `C = type('C', (A, B), {})`
    /// (`via_type`): a class statement at the top level of the steps, whose class the loader
    /// adds to the scenario's classes ([`ClassDef::origin`]); bases as written, empty for
    /// `object`.
    ClassStmt {
        name: String,
        bases: Vec<String>,
        via_type: bool,
    },
    /// `x = []`, `x = [a, b]`
    NewList { target: String, items: Vec<Value> },
    /// `x = {}`, `x = {'k': a}`
    NewDict {
        target: String,
        items: Vec<(String, Value)>,
    },
    /// `x = (a, b)`, `x = (a,)`, `x = ()`
    NewTuple { target: String, items: Vec<Value> },
    /// `x = {a, b}` (a display: `BUILD_SET`), `x = set()`, `x = set([a, b])`,
    /// `x = frozenset()`, `x = frozenset([a, b])`: a new set of instances of scenario classes.
    NewSet {
        target: String,
        items: Vec<Value>,
        build: SetBuild,
        frozen: bool,
    },
    /// `s.add(VALUE)` (`discard: false`), `s.discard(VALUE)` (`discard: true`).
    SetOp {
        obj: String,
        value: Value,
        discard: bool,
    },
    /// `x = y`, `x = None`, `x = 1`
    Assign { target: String, value: Value },
    /// `x.attr = VALUE`, `self.attr = VALUE`, `gc.garbage[i].attr = VALUE`
    SetAttr {
        obj: Target,
        attr: String,
        value: Value,
    },
    /// `x.__class__ = B`, `self.__class__ = B`: give an instance another scenario class
    /// (`object_set_class`; the loader checks that CPython's `compatible_for_assignment`
    /// accepts the pair on every version the scenario declares).
    SetClass { obj: String, class: String },
    /// `x['k'] = VALUE`
    SetItem {
        obj: String,
        key: String,
        value: Value,
    },
    /// `x.append(VALUE)`
    Append { obj: String, value: Value },
    /// `x.name()` (a method of the object's class, or an attribute holding a bound method or a
    /// function), `self.name()`, `f(a, 1)` (a name holding a function or a bound method); with
    /// `target`, `x = f(a)` binds the result, else it is dropped.
    Call {
        target: Option<String>,
        obj: Option<String>,
        name: String,
        args: Vec<Value>,
    },
    /// `- def NAME(PARAMS):` with a body: `MAKE_FUNCTION` and the store of the new function.
    Def(Box<FuncDef>),
    /// `return`, `return VALUE` (only in a `def` body).
    Return(Option<Value>),
    /// `nonlocal n, m` (only in a nested `def` body; 3.x).
    Nonlocal(Vec<String>),
    /// `del x`
    DelName(String),
    /// `del x.attr`
    DelAttr { obj: Target, attr: String },
    /// `del x['k']`
    DelKey { obj: String, key: String },
    /// `del x[i]`
    DelIndex { obj: String, index: i64 },
    /// `w = weakref.ref(x)`, `w = weakref.ref(x, callback)` (the harness's callback, which only
    /// records its call: `Some("callback")`), `w = weakref.ref(x, NAME)` (a function of
    /// `callbacks:`)
    WeakRef {
        target: String,
        referent: String,
        callback: Option<String>,
        /// `weakref.proxy(x[, callback])`: a proxy (`PyWeakref_NewProxy`), not a reference.
        proxy: bool,
    },
    /// `gc.garbage.append(VALUE)`: append to the list the module attribute holds
    GarbageAppend(Value),
    /// `x = gc.garbage[i]`: bind an item of the list the module attribute holds
    FromGarbage { target: String, index: i64 },
    /// `gc.collect()` (None) or `gc.collect(n)`
    Collect(Option<u8>),
    /// `gc.enable()`
    Enable,
    /// `gc.disable()`
    Disable,
    /// `gc.set_debug(gc.DEBUG_SAVEALL)` (true) or `gc.set_debug(0)` (false)
    SetDebug { saveall: bool },
    /// `gc.set_threshold(t0[, t1[, t2]])`
    SetThreshold(Vec<i64>),
    /// `gc.freeze()`
    Freeze,
    /// `gc.unfreeze()`
    Unfreeze,
    /// `gc.get_count()`, `gc.is_tracked(x)`, …: a call whose value the trace records.
    Query(Query),
    /// `del gc.garbage[:]`
    ClearGarbage,
    /// `gc.garbage = []`
    RebindGarbage,
    /// `pass`
    Pass,
    /// `global g, h` (only in `__del__` and callback bodies)
    Global(Vec<String>),
    /// `raise RuntimeError()` (only in `__del__` and callback bodies)
    Raise,
    /// `raise E()`, `raise x`, `raise` (steps and `def`/method bodies): raise an exception of a
    /// scenario exception class ([`ClassDef::exception`]).
    Throw(Throw),
    /// `- try:` with its body, `except E [as n]:` handlers and a `finally:` block (steps and
    /// `def`/method bodies).
    Try(Box<TryStmt>),
    /// `- repeat: N` with `steps:`: run the body N times (top level only).
    Repeat { count: u64, body: Vec<Step> },
    /// `- random_edges: {list: L, attrs: [a, b], seed: S}` (top level or in `repeat:` blocks):
    /// for each element of the list `L` (its length read once, before the loop) and each
    /// attribute in order, advance the LCG [`crate::util::lcg`] from `seed` and store
    /// `L[i].attr = L[(x >> 33) % n]`, as the equivalent Python loop does.
    RandomEdges {
        list: String,
        attrs: Vec<String>,
        seed: u64,
    },
}

/// What a `raise` raises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Throw {
    /// `raise E()`: a new instance of scenario exception class `E`.
    New(String),
    /// `raise x`: the exception instance a name holds.
    Name(String),
    /// `raise`: the exception being handled (only in an `except` block).
    Reraise,
    /// `raise E() from c`, `raise x from c`, `raise … from None` (3.x): `what` (`New` or
    /// `Name`) with its `__cause__`, the exception a name holds or none.
    From {
        what: Box<Throw>,
        cause: Option<String>,
    },
}

/// `try:` … `except E as n:` … `finally:` …: at least one handler or a `finally:` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryStmt {
    pub body: Vec<Step>,
    pub handlers: Vec<Handler>,
    pub finally: Option<Vec<Step>>,
}

impl TryStmt {
    /// The blocks in the order they stand: the body, the handlers' bodies, `finally:`.
    pub fn blocks(&self) -> impl Iterator<Item = &Vec<Step>> {
        std::iter::once(&self.body)
            .chain(self.handlers.iter().map(|h| &h.body))
            .chain(self.finally.iter())
    }

    /// [`TryStmt::blocks`], to change.
    pub fn blocks_mut(&mut self) -> impl Iterator<Item = &mut Vec<Step>> {
        std::iter::once(&mut self.body)
            .chain(self.handlers.iter_mut().map(|h| &mut h.body))
            .chain(self.finally.iter_mut())
    }
}

/// `except E as n:` with its body: `E` a scenario exception class, which matches its
/// instances and those of its subclasses; `name`, if given, is bound to the exception (and on
/// 3.x deleted when the block ends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    pub class: String,
    pub name: Option<String>,
    pub body: Vec<Step>,
    pub pos: Pos,
}

/// A statement with where it stands in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub stmt: Stmt,
    /// The statement text as written.
    pub text: String,
    pub pos: Pos,
}

/// A parameter of a `def`: its name and default value, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub default: Option<Value>,
}

/// How the compiler resolves the names of a `def` body (CPython's symbol table, `symtable.c`):
/// filled in by the loader.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FuncScope {
    /// `co_varnames`: the parameters, then the other local names in order of first binding.
    pub varnames: Vec<String>,
    /// `co_cellvars`: local names that nested functions use (sorted, as the compiler sorts
    /// them).
    pub cellvars: Vec<String>,
    /// `co_freevars`: names of enclosing functions this one uses (sorted).
    pub freevars: Vec<String>,
    /// Names declared `global`.
    pub globals: Vec<String>,
}

impl FuncScope {
    /// Whether `name` is a local of the function (a parameter, an assigned name, a cell).
    pub fn is_local(&self, name: &str) -> bool {
        self.varnames.iter().any(|v| v == name)
    }
}

/// A function definition: `def NAME(PARAMS):` with a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncDef {
    pub name: String,
    pub params: Vec<Param>,
    pub body: Vec<Step>,
    /// Its number among the scenario's `def`s, in file order (its code object).
    pub index: usize,
    /// How its body's names resolve (set by the loader).
    pub scope: FuncScope,
}

/// Which decorator a method has: none (`methods:`), `@staticmethod` (`staticmethods:`) or
/// `@classmethod` (`classmethods:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodKind {
    /// `def NAME(self):`: `x.NAME` is a new bound method of the instance.
    Plain,
    /// `@staticmethod def NAME():`: `x.NAME` and `A.NAME` are the function itself.
    Static,
    /// `@classmethod def NAME(cls):`: `x.NAME` and `A.NAME` are a new bound method of the class.
    Class,
}

impl MethodKind {
    /// The method's parameter (`self`, `cls`), if it has one.
    pub fn param(self) -> Option<&'static str> {
        match self {
            MethodKind::Plain => Some("self"),
            MethodKind::Static => None,
            MethodKind::Class => Some("cls"),
        }
    }
    /// The decorator as Python writes it, if any (`staticmethod`).
    pub fn decorator(self) -> Option<&'static str> {
        match self {
            MethodKind::Plain => None,
            MethodKind::Static => Some("staticmethod"),
            MethodKind::Class => Some("classmethod"),
        }
    }
}

/// A method of a scenario class (`methods:`, `staticmethods:`, `classmethods:`):
/// `def NAME(self):`, `@staticmethod def NAME():` or `@classmethod def NAME(cls):` with a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodDef {
    pub name: String,
    pub kind: MethodKind,
    /// The body; its parameter is [`MethodKind::param`].
    pub body: Vec<Step>,
    /// How the body's names resolve (set by the loader).
    pub scope: FuncScope,
    pub pos: Pos,
}

/// A scenario class: a new-style class whose bases are earlier scenario classes, or `object`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassDef {
    pub name: String,
    /// The bases as written (`bases: [A, B]`); empty is `object`.
    pub bases: Vec<String>,
    /// The body of `def __del__(self)`, if the class itself defines one (an inherited one:
    /// [`Scenario::finalizer`]).
    pub del: Option<Vec<Step>>,
    /// How the `__del__` body's names resolve (set by the loader; empty without one).
    pub del_scope: FuncScope,
    /// The methods of `methods:`, then `staticmethods:`, then `classmethods:`, each in file
    /// order (the class's own; the class body defines them in this order).
    pub methods: Vec<MethodDef>,
    /// `__slots__`, if given (the class's own; the instance layout: [`Scenario::layout`]).
    pub slots: Option<Vec<String>>,
    pub pos: Pos,
    /// Where the class statement runs.
    pub origin: ClassOrigin,
    /// An exception class: `bases: [Exception]` (then [`ClassDef::bases`] is empty: the base
    /// is the builtin `Exception`), or a subclass of one (set by the loader).
    pub exception: bool,
}

/// Where a class's statement runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClassOrigin {
    /// `classes:`: before the scenario's start-up collections, so its objects sit in the
    /// oldest generation when the first step runs.
    #[default]
    Declared,
    /// A step ([`Stmt::ClassStmt`]): when that step runs, its objects counted and tracked as
    /// any others; `via_type` for `C = type('C', bases, {})`.
    Step { via_type: bool },
}

impl ClassDef {
    /// The index of method `name` among the class's own [`ClassDef::methods`] (inherited ones:
    /// [`Scenario::find_method`]).
    pub fn method_index(&self, name: &str) -> Option<usize> {
        self.methods.iter().position(|m| m.name == name)
    }
}

/// The name of the harness's own weakref callback (`weakref.ref(x, callback)`), which only
/// records that it ran.
pub const BUILTIN_CALLBACK: &str = "callback";

/// A function of `callbacks:`: `def NAME(wr):` with a body, for `weakref.ref(x, NAME)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackDef {
    pub name: String,
    /// The body; `wr` is its parameter (the weakref).
    pub body: Vec<Step>,
    /// How the body's names resolve (set by the loader).
    pub scope: FuncScope,
    pub pos: Pos,
}

/// A loaded, validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from.
    pub path: PathBuf,
    /// Its name below `scenarios/`, without `.yaml`: `seed/cycle_with_del`.
    pub id: String,
    pub description: String,
    /// Empty means every version.
    pub versions: Vec<VersionRange>,
    pub classes: Vec<ClassDef>,
    /// `callbacks:`, in file order.
    pub callbacks: Vec<CallbackDef>,
    pub steps: Vec<Step>,
    /// `trace: summary`: traces count objects instead of listing every label.
    pub summary: bool,
    /// `record: collections`: every collection that runs is a trace event (through
    /// `gc.callbacks`, 2.7 `gc.DEBUG_STATS`).
    pub record_collections: bool,
}

/// `def NAME(a, b=VALUE):` as the language writes it (the key of a `def` step).
pub fn def_header(name: &str, params: &[Param]) -> String {
    let ps: Vec<String> = params
        .iter()
        .map(|p| match &p.default {
            Some(v) => format!("{}={v}", p.name),
            None => p.name.clone(),
        })
        .collect();
    format!("def {name}({}):", ps.join(", "))
}

/// A call as the language writes it: `f(a, 1)`, `x.m()`, `y = f(a)`.
pub fn call_text(target: Option<&str>, obj: Option<&str>, name: &str, args: &[Value]) -> String {
    let a: Vec<String> = args.iter().map(|v| v.to_string()).collect();
    let callee = match obj {
        Some(o) => format!("{o}.{name}"),
        None => name.to_string(),
    };
    match target {
        Some(t) => format!("{t} = {callee}({})", a.join(", ")),
        None => format!("{callee}({})", a.join(", ")),
    }
}

impl Stmt {
    /// Every VALUE the statement reads, mutably (for the loader's resolution of `a.name`).
    pub fn values_mut(&mut self) -> Vec<&mut Value> {
        match self {
            Stmt::NewList { items, .. }
            | Stmt::NewTuple { items, .. }
            | Stmt::NewSet { items, .. } => items.iter_mut().collect(),
            Stmt::NewDict { items, .. } => items.iter_mut().map(|(_, v)| v).collect(),
            Stmt::Assign { value, .. }
            | Stmt::SetAttr { value, .. }
            | Stmt::SetItem { value, .. }
            | Stmt::Append { value, .. }
            | Stmt::SetOp { value, .. }
            | Stmt::GarbageAppend(value) => vec![value],
            Stmt::Repeat { body, .. } => {
                body.iter_mut().flat_map(|s| s.stmt.values_mut()).collect()
            }
            Stmt::Call { args, .. } => args.iter_mut().collect(),
            Stmt::Return(Some(v)) => vec![v],
            Stmt::Def(d) => {
                let FuncDef { params, body, .. } = &mut **d;
                let mut v: Vec<&mut Value> = params
                    .iter_mut()
                    .filter_map(|p| p.default.as_mut())
                    .collect();
                v.extend(body.iter_mut().flat_map(|s| s.stmt.values_mut()));
                v
            }
            _ => Vec::new(),
        }
    }

    /// The oldest modelled version that has what the statement calls (`gc.freeze()` and
    /// `gc.unfreeze()` 3.7; the queries per [`Query::since`]); `None` for statements every
    /// version has.
    pub fn since(&self) -> Option<Version> {
        match self {
            Stmt::Freeze | Stmt::Unfreeze => Some(Version::V3_7),
            Stmt::Nonlocal(_) => Some(Version::V3_6),
            // A SyntaxError on 2.7; 2.7's exceptions keep no traceback.
            Stmt::Throw(Throw::From { .. }) => Some(Version::V3_6),
            Stmt::SetAttr { attr, .. } if attr == "__traceback__" => Some(Version::V3_6),
            Stmt::Query(q) if q.since() > Version::V2_7 => Some(q.since()),
            _ => None,
        }
    }
}

impl Scenario {
    /// Whether the scenario applies to this version (its `versions:` list).
    pub fn applies_to(&self, v: Version) -> bool {
        self.versions.is_empty() || self.versions.iter().any(|r| r.contains(v))
    }
    /// The versions the scenario applies to, oldest first.
    pub fn applicable_versions(&self) -> Vec<Version> {
        Version::ALL
            .into_iter()
            .filter(|v| self.applies_to(*v))
            .collect()
    }
    pub fn class(&self, name: &str) -> Option<&ClassDef> {
        self.classes.iter().find(|c| c.name == name)
    }
    /// The index of class `name`.
    pub fn class_index(&self, name: &str) -> Option<usize> {
        self.classes.iter().position(|c| c.name == name)
    }
    /// The index of the `callbacks:` function `name`.
    /// Whether no statement enables, freezes or unfreezes the collector or reads the
    /// permanent generation: with automatic collection off, objects older than the scenario's
    /// change nothing, so the runner's fork server may freeze what the program inherits (3.7+).
    pub fn leaves_collector_off(&self) -> bool {
        !self.statements().any(|s| {
            matches!(
                s,
                Stmt::Enable | Stmt::Freeze | Stmt::Unfreeze | Stmt::Query(Query::FreezeCount)
            )
        })
    }

    pub fn callback_index(&self, name: &str) -> Option<usize> {
        self.callbacks.iter().position(|c| c.name == name)
    }
    /// Every body: `__del__` bodies in class order, then callback bodies, then method bodies
    /// (class by class, in file order).
    pub fn bodies(&self) -> impl Iterator<Item = &[Step]> {
        self.classes
            .iter()
            .filter_map(|c| c.del.as_deref())
            .chain(self.callbacks.iter().map(|c| c.body.as_slice()))
            .chain(
                self.classes
                    .iter()
                    .flat_map(|c| c.methods.iter().map(|m| m.body.as_slice())),
            )
    }

    /// Every `def` of the scenario (at top level, in `repeat:` blocks, in `__del__`, callback
    /// and method bodies, nested in other `def`s), by [`FuncDef::index`].
    pub fn defs(&self) -> Vec<&FuncDef> {
        fn walk<'s>(steps: &'s [Step], out: &mut Vec<&'s FuncDef>) {
            for s in steps {
                match &s.stmt {
                    Stmt::Repeat { body, .. } => walk(body, out),
                    Stmt::Try(t) => t.blocks().for_each(|b| walk(b, out)),
                    Stmt::Def(d) => {
                        out.push(d);
                        walk(&d.body, out);
                    }
                    _ => {}
                }
            }
        }
        let mut v = Vec::new();
        walk(&self.steps, &mut v);
        for body in self.bodies() {
            walk(body, &mut v);
        }
        v.sort_by_key(|d| d.index);
        v
    }

    /// Whether `name` is a method of some scenario class (then `x.name` reads a bound method,
    /// and no statement may store or delete an attribute of that name).
    pub fn is_method_name(&self, name: &str) -> bool {
        self.classes.iter().any(|c| c.method_index(name).is_some())
    }

    /// Every statement of the scenario: the steps (with the bodies of `repeat:` blocks) in
    /// order, then the bodies ([`Scenario::bodies`]: `__del__` bodies class by class, then
    /// callback bodies).
    pub fn statements(&self) -> impl Iterator<Item = &Stmt> {
        fn walk<'s>(steps: &'s [Step], out: &mut Vec<&'s Stmt>) {
            for s in steps {
                out.push(&s.stmt);
                match &s.stmt {
                    Stmt::Repeat { body, .. } => walk(body, out),
                    Stmt::Try(t) => t.blocks().for_each(|b| walk(b, out)),
                    Stmt::Def(d) => walk(&d.body, out),
                    _ => {}
                }
            }
        }
        let mut v = Vec::new();
        walk(&self.steps, &mut v);
        for body in self.bodies() {
            walk(body, &mut v);
        }
        v.into_iter()
    }

    /// Whether some statement makes or changes a set: then every class gets `__hash__ = bool`
    /// in its body (the generated program's, and the model's class statement), so that every
    /// instance hashes to 0 and a set's order depends on its statements alone.
    pub fn uses_sets(&self) -> bool {
        self.statements()
            .any(|s| matches!(s, Stmt::NewSet { .. } | Stmt::SetOp { .. }))
    }

    /// Whether some statement turns automatic collection on (`gc.enable()`).
    pub fn can_enable(&self) -> bool {
        self.statements().any(|s| matches!(s, Stmt::Enable))
    }
}
