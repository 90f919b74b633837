//! Random valid scenarios from a seed.
//!
//! The generator keeps an abstract copy of the program state (what each name holds, which
//! attributes each instance has, which keys each dict has, how long each list is) so that no
//! statement can raise at top level: it only deletes attributes, keys and list items it knows
//! are there, and only reads names that are bound. Finalizers can run at any time, so they only
//! do things that cannot invalidate that knowledge: they add attributes (`self.x = None`), append
//! to the one `keep` list (which exists before any instance and is never deleted, and which the
//! top level never indexes), rebind the one global `saved` (which the top level never reads),
//! raise, or call `gc.collect()`.
//!
//! Some scenarios (decided by a side stream of their own, so that the others are what they were
//! before methods existed) give classes methods: bodies from the finalizers' repertoire that
//! never raise (the top level calls them), plus self-cycles, the observer cycle
//! `self.cb = self.handle` and calls of earlier methods. Their statements (drawn from the same
//! side stream) use bound methods as values, bind them to names, store them in [`CB`] (an
//! attribute that only ever holds bound methods, so `a.cb()` is safe wherever it is known set),
//! call methods and what names or [`CB`] hold, and take weakrefs to bound methods.
//!
//! Some scenarios apply to 3.7+ (they may freeze, and observe the freeze count and the
//! statistics) or 3.9+ (also `gc.is_finalized`); every scenario may observe counts, thresholds
//! and tracking, at the top level and in finalizers. [`Flavor::Automatic`] scenarios run with
//! automatic collection on and low thresholds.
//!
//! The output is YAML text, loaded through the real validator by the caller.

use super::rng::Rng;
use crate::version::Version;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// A class of a draft scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftClass {
    pub name: String,
    /// `bases:` (earlier classes), empty for `object`.
    pub bases: Vec<String>,
    /// The `__del__` body, if any.
    pub del: Option<Vec<String>>,
    pub slots: Option<Vec<String>>,
    /// `methods:`: each method's name and body, in order.
    pub methods: Vec<(String, Vec<String>)>,
    /// `staticmethods:`: each static method's name and body, in order.
    pub staticmethods: Vec<(String, Vec<String>)>,
    /// `classmethods:`: each class method's name and body, in order.
    pub classmethods: Vec<(String, Vec<String>)>,
}

/// A scenario before it is written as YAML: the form the shrinker edits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Draft {
    /// The `versions:` list (empty: every version).
    pub versions: Vec<String>,
    pub classes: Vec<DraftClass>,
    /// `callbacks:`: each function's name and body.
    pub callbacks: Vec<(String, Vec<String>)>,
    /// `record: collections`: every collection is an event.
    pub record: bool,
    pub steps: Vec<String>,
}

/// A statement as a YAML sequence item: plain when YAML reads it back unchanged, double-quoted
/// otherwise (statements never contain `"` or `\`).
fn yaml_item(s: &str) -> String {
    if s.starts_with("{\"def ") || s.starts_with("{\"try\"") {
        // A `def` step, in flow style: `{"def f()": ["x = []", {"def g()": "return x"}]}`;
        // a `try:` block likewise: `{"try": ["raise X1()"], "except X1 as err": "pass"}`.
        return s.to_string();
    }
    if s.starts_with("random_edges: {") {
        // A `random_edges:` block, in flow style (see `scenario::random_edges_text`).
        return s.to_string();
    }
    let plain = !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
        && !s.starts_with(|c: char| "[]{}#&*!|>'\"%@`-?:,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("\"{s}\"")
    }
}

impl Draft {
    /// The number of statements (top level, `__del__` and callback bodies).
    pub fn size(&self) -> usize {
        self.steps.len()
            + self
                .classes
                .iter()
                .map(|c| {
                    c.del.as_ref().map_or(0, Vec::len)
                        + c.methods.iter().map(|(_, b)| b.len()).sum::<usize>()
                })
                .sum::<usize>()
            + self.callbacks.iter().map(|(_, b)| b.len()).sum::<usize>()
    }

    /// The scenario file, with `description` (may be empty) as a literal block.
    pub fn to_yaml(&self, description: &str) -> String {
        let mut s = String::new();
        if !description.trim().is_empty() {
            s.push_str("description: |\n");
            for line in description.trim_end().lines() {
                if line.is_empty() {
                    s.push('\n');
                } else {
                    let _ = writeln!(s, "  {line}");
                }
            }
        }
        if !self.versions.is_empty() {
            let v: Vec<String> = self.versions.iter().map(|v| format!("\"{v}\"")).collect();
            let _ = writeln!(s, "versions: [{}]", v.join(", "));
        }
        if !self.classes.is_empty() {
            s.push_str("classes:\n");
            for c in &self.classes {
                if c.del.is_none()
                    && c.slots.is_none()
                    && c.methods.is_empty()
                    && c.staticmethods.is_empty()
                    && c.classmethods.is_empty()
                    && c.bases.is_empty()
                {
                    let _ = writeln!(s, "  {}: {{}}", c.name);
                    continue;
                }
                let _ = writeln!(s, "  {}:", c.name);
                if !c.bases.is_empty() {
                    let _ = writeln!(s, "    bases: [{}]", c.bases.join(", "));
                }
                if let Some(slots) = &c.slots {
                    let v: Vec<String> = slots.iter().map(|x| format!("\"{x}\"")).collect();
                    let _ = writeln!(s, "    __slots__: [{}]", v.join(", "));
                }
                if let Some(body) = &c.del {
                    if body.len() == 1 && !body[0].starts_with("{\"def ") {
                        let _ = writeln!(s, "    __del__: {}", yaml_item(&body[0]));
                    } else {
                        s.push_str("    __del__:\n");
                        for st in body {
                            let _ = writeln!(s, "      - {}", yaml_item(st));
                        }
                    }
                }
                for (key, ms) in [
                    ("methods", &c.methods),
                    ("staticmethods", &c.staticmethods),
                    ("classmethods", &c.classmethods),
                ] {
                    if ms.is_empty() {
                        continue;
                    }
                    let _ = writeln!(s, "    {key}:");
                    for (name, body) in ms {
                        let _ = writeln!(s, "      {name}:");
                        for st in body {
                            let _ = writeln!(s, "        - {}", yaml_item(st));
                        }
                    }
                }
            }
        }
        if self.record {
            s.push_str("record: collections\n");
        }
        if !self.callbacks.is_empty() {
            s.push_str("callbacks:\n");
            for (name, body) in &self.callbacks {
                let _ = writeln!(s, "  {name}:");
                for st in body {
                    let _ = writeln!(s, "    - {}", yaml_item(st));
                }
            }
        }
        s.push_str("steps:\n");
        for st in &self.steps {
            let _ = writeln!(s, "  - {}", yaml_item(st));
        }
        s
    }
}

// ---------------------------------------------------------------------------------------------
// The abstract state

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AVal {
    None,
    Int(i64),
    Obj(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AKind {
    Inst(usize),
    List,
    Dict,
    Tuple,
    WeakRef,
    /// A set (`frozen: false`) or a frozenset of instances.
    Set {
        frozen: bool,
    },
    /// A bound method: the instance object it is bound to, its class and the method's index.
    Method(usize, usize, usize),
    /// A function (of a generated `def`) that takes no arguments.
    Func,
}

#[derive(Debug, Clone)]
struct AObj {
    kind: AKind,
    /// Instances: attributes known to be set.
    attrs: BTreeSet<String>,
    /// Dicts: keys present.
    keys: BTreeSet<String>,
    /// Lists: length.
    len: usize,
}

#[derive(Debug, Clone)]
struct GClass {
    name: String,
    /// Earlier classes it derives from ([`gen_bases`]).
    bases: Vec<String>,
    del: Option<Vec<String>>,
    slots: Option<Vec<String>>,
    /// Attributes an instance can be given.
    attrs: Vec<String>,
    weakrefable: bool,
    /// Instances have a `__dict__` (so they can be given [`CB`]).
    has_dict: bool,
    /// `methods:`: each method's name and body.
    methods: Vec<(String, Vec<String>)>,
    /// `staticmethods:` ([`STATIC_NAME`]) and `classmethods:` ([`CLASSMETHOD_NAME`]): each
    /// one's name and body ([`gen_decorated`]).
    statics: Vec<(String, Vec<String>)>,
    classms: Vec<(String, Vec<String>)>,
    /// Made by a class statement among the steps ([`Gen::class_statement_step`]), not in
    /// `classes:`.
    in_steps: bool,
}

const INST_NAMES: &[&str] = &["a", "b", "c", "e", "f", "h"];
const LIST_NAMES: &[&str] = &["l1", "l2"];
const DICT_NAMES: &[&str] = &["m1", "m2"];
const TUPLE_NAMES: &[&str] = &["t1", "t2"];
const SET_NAMES: &[&str] = &["s1", "s2"];
const WEAK_NAMES: &[&str] = &["w1", "w2", "w3"];
const ATTRS: &[&str] = &["x", "y", "z"];
const KEYS: &[&str] = &["k1", "k2", "k3"];
const CLASS_NAMES: &[&str] = &["A", "B", "C", "D"];
/// The exception classes: `X1(Exception)`, and `X2(X1)` in some scenarios.
const EXC_NAMES: &[&str] = &["X1", "X2"];
/// Method names (never attribute names: the loader forbids storing an attribute that would
/// shadow a method).
const METHOD_NAMES: &[&str] = &["handle", "notify", "run"];
/// The name of the generated static methods (a static method in every class that has one).
const STATIC_NAME: &str = "make";
/// The name of the generated class methods.
const CLASSMETHOD_NAME: &str = "create";
/// The class attribute class-method bodies set (`cls.reg = cls`): never an instance attribute.
const CLASS_ATTR: &str = "reg";
/// The class attribute the top level stores and deletes (`A.registry = a`).
const REGISTRY: &str = "registry";
/// Names that hold bound methods (`bm1 = a.handle`).
const BOUND_NAMES: &[&str] = &["bm1", "bm2"];
/// The name [`Gen::unbound_step`] binds a plain method read through its class to.
const UNBOUND_NAME: &str = "um";
/// The attribute that only ever holds bound methods (`a.cb = b.handle`), so that `a.cb()` is
/// safe wherever the generator knows it is set: finalizers and methods never store anything
/// else in it, and only the top level deletes it.
pub const CB: &str = "cb";
/// The list finalizers append to (`keep.append(self)`).
pub const KEEP: &str = "keep";
/// The global finalizers store into (`global saved` + `saved = self`).
pub const SAVED: &str = "saved";
/// The name of the generated weakref callback with a body (`callbacks:`).
pub const ON_CLEAR: &str = "on_clear";

/// What kind of scenarios [`generate_with`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// Automatic collection off, as every scenario starts: collections run where a statement
    /// asks for one (what `gcconform fuzz` generates).
    #[default]
    Explicit,
    /// Automatic collection on from the first statement, under low thresholds (0 and 1
    /// among them), sometimes changed, switched off and on again: collections run wherever an
    /// allocation crosses a threshold. Finalizers do not raise: printing the ignored exception
    /// allocates objects of CPython's own the first time (how many depends on the locale, and
    /// on 3.12 on the program's text), which would move automatic collections.
    Automatic,
}

struct Gen<'r> {
    rng: &'r mut Rng,
    /// The oldest version the scenario applies to.
    since: Version,
    flavor: Flavor,
    /// Automatic collection is on.
    enabled: bool,
    classes: Vec<GClass>,
    /// The scenario has the callback [`ON_CLEAR`]: the side stream that decides where it is
    /// used.
    on_clear: Option<Rng>,
    /// The scenario's classes have methods: the side stream that decides the statements about
    /// them (bound methods as values, calls, weakrefs to bound methods), so that the main
    /// stream draws what it drew before methods existed.
    meth: Option<Rng>,
    /// The scenario defines functions: the side stream that decides the `def`s and calls.
    fun: Option<Rng>,
    /// The scenario reassigns `__class__`: the side stream that decides where and to what.
    cls: Option<Rng>,
    /// The scenario's classes have static or class methods: the side stream that decides the
    /// statements about them (calls through instances and classes, class methods stored in
    /// [`CB`], classes as values).
    deco: Option<Rng>,
    /// The scenario stores class attributes: the side stream that decides them
    /// (`A.registry = VALUE`, `del A.registry`).
    cattr: Option<Rng>,
    /// The scenario uses sets: the side stream that decides them (`{a, b}`, `set([a])`,
    /// `frozenset([a])`, `s.add(a)`, `s.discard(a)`).
    sets: Option<Rng>,
    /// The scenario makes proxies: the side stream that decides which weak references are
    /// `weakref.proxy` objects.
    proxies: Option<Rng>,
    /// The scenario takes weak references to classes: the side stream that decides which
    /// weak references have a class as referent (its basic ref, the one its bases'
    /// `__subclasses__` hold, or one with a callback after it).
    class_weakrefs: Option<Rng>,
    /// The scenario reads plain methods through their class: the side stream that decides
    /// where (`A.m(a)`, `um = A.m`, `um(a)`, `l.append(A.m)`), taking some of the methods
    /// side stream's turns.
    unbound: Option<Rng>,
    /// The scenario makes classes in its steps: the side stream that decides where, with which
    /// bases, and whether through `type()`.
    class_stmts: Option<Rng>,
    /// The scenario raises and handles exceptions: the side stream that decides the
    /// functions and `try:` blocks, of the exception classes [`EXC_NAMES`] (`X2` derives
    /// from `X1`, when there is one).
    exc: Option<Rng>,
    exc_classes: Vec<DraftClass>,
    /// The class whose method [`UNBOUND_NAME`] holds, read through that class.
    unbound_class: Option<usize>,
    /// Classes whose [`REGISTRY`] attribute is set.
    registry_set: BTreeSet<usize>,
    /// How many `def` templates ran (their names are numbered).
    defs: usize,
    objs: Vec<AObj>,
    names: BTreeMap<String, AVal>,
    steps: Vec<String>,
    saveall: bool,
    frozen: bool,
    freeze_ok: bool,
    uses_keep: bool,
    uses_saved: bool,
}

/// Generate one draft scenario from `rng` ([`Flavor::Explicit`]).
pub fn generate(rng: &mut Rng) -> Draft {
    generate_with(rng, Flavor::Explicit)
}

/// Generate one draft scenario of this flavour from `rng`.
pub fn generate_with(rng: &mut Rng, flavor: Flavor) -> Draft {
    let since = match rng.weighted(&[80, 8, 12]) {
        0 => Version::V2_7,
        1 => Version::V3_7,
        _ => Version::V3_9,
    };
    let freeze_ok = since >= Version::V3_7;
    let mut classes = gen_classes(rng, since, flavor == Flavor::Explicit);
    // Methods, from a side stream of their own: a scenario without them is what it was before
    // methods existed.
    let mut meth = rng.side(0x3e7b_0d5e);
    let meth = meth.chance(40).then(|| {
        gen_methods(&mut meth, &mut classes, since);
        meth
    });
    // Inheritance, from a side stream of its own (scenarios without it are what they were).
    let mut inh = rng.side(0xba5e_c1a5);
    if inh.chance(35) {
        gen_bases(&mut inh, &mut classes);
    }
    // Static and class methods, from a side stream of their own (scenarios without them are
    // what they were).
    let mut deco = rng.side(0xdec0_2a7e);
    let deco = deco.chance(25).then(|| {
        gen_decorated(&mut deco, &mut classes);
        deco
    });
    // Class attributes, from a side stream of their own.
    let mut cattr = rng.side(0xc1a5_a77e);
    let cattr = cattr.chance(20).then_some(cattr);
    // Sets, from a side stream of their own.
    let mut sets = rng.side(0x5e75_5e75);
    let sets = sets.chance(20).then_some(sets);
    // Proxies, from a side stream of their own.
    let mut proxies = rng.side(0x9e0c_5e55);
    let proxies = proxies.chance(25).then_some(proxies);
    // Weak references to classes, from a side stream of their own.
    let mut class_weakrefs = rng.side(0xc1a5_3eaf);
    let class_weakrefs = class_weakrefs.chance(20).then_some(class_weakrefs);
    // Plain methods read through their class, from a side stream of their own.
    let mut unbound = rng.side(0x0b0d_3e7b);
    let unbound = unbound.chance(25).then_some(unbound);
    // Class statements among the steps, from a side stream of their own.
    let mut class_stmts = rng.side(0xc1a5_57a7);
    let class_stmts = class_stmts.chance(20).then_some(class_stmts);
    // A weakref callback with a body, from the finalizers' repertoire with `wr` for `self`.
    // Automatic scenarios sometimes record every collection (`record: collections`), drawn
    // from a side stream of its own, so that the rest of a seed's scenario is what it was
    // before the option existed.
    let record = flavor == Flavor::Automatic && rng.side(0x02ec_02d5).chance(30);
    // Drawn from a side stream (as is where it is used), so that the rest of a seed's
    // scenario is what it was before callbacks had bodies.
    let mut side = rng.side(0xca11_bac5);
    let on_clear = side
        .chance(25)
        .then(|| gen_del_body(&mut side, &[], since, flavor == Flavor::Explicit, "wr"));
    // Closures defined in bodies (`def` in a method, `__del__` or callback body), from a side
    // stream of their own (scenarios without them are what they were).
    let mut clo = rng.side(0xc105_b0d1);
    let mut on_clear = on_clear;
    if clo.chance(25) {
        gen_body_closures(&mut clo, &mut classes, on_clear.as_mut());
    }
    let bodies = || {
        classes
            .iter()
            .flat_map(|c| {
                c.del
                    .iter()
                    .flatten()
                    .chain(c.methods.iter().flat_map(|(_, b)| b))
                    .chain(c.statics.iter().flat_map(|(_, b)| b))
                    .chain(c.classms.iter().flat_map(|(_, b)| b))
            })
            .chain(on_clear.iter().flatten())
    };
    let uses_keep = bodies().any(|s| s.starts_with("keep."));
    let uses_saved = bodies().any(|s| s.starts_with("global "));
    let body_texts: Vec<String> = bodies().cloned().collect();
    // Functions and closures, from a side stream of their own (scenarios without them are
    // what they were before functions existed).
    let mut fun = rng.side(0x0def_c105);
    let fun = fun.chance(30).then_some(fun);
    // Exceptions, from a side stream of their own (scenarios without them are what they were
    // before exceptions existed).
    let mut exc = rng.side(0xe8ce_9710);
    let (exc, exc_classes) = if exc.chance(25) {
        let classes = gen_exception_classes(&mut exc);
        (Some(exc), classes)
    } else {
        (None, Vec::new())
    };
    // `x.__class__ = K`, from a side stream of its own (only where classes allow it).
    let mut cls = rng.side(0xc1a5_5a55);
    let cls = cls.chance(25).then_some(cls);
    let mut g = Gen {
        rng,
        since,
        flavor,
        enabled: false,
        classes,
        on_clear: on_clear.is_some().then_some(side),
        meth,
        fun,
        cls,
        deco,
        cattr,
        sets,
        proxies,
        class_weakrefs,
        unbound,
        class_stmts,
        exc,
        exc_classes,
        unbound_class: None,
        registry_set: BTreeSet::new(),
        defs: 0,
        objs: Vec::new(),
        names: BTreeMap::new(),
        steps: Vec::new(),
        saveall: false,
        frozen: false,
        freeze_ok,
        uses_keep,
        uses_saved,
    };
    if uses_keep {
        g.new_list_named(KEEP, Vec::new());
    }
    if flavor == Flavor::Automatic {
        g.set_threshold();
        g.emit("gc.enable()".to_string());
        g.enabled = true;
    }
    // A few instances first, so that the statements after them have something to link.
    for _ in 0..g.rng.range(1, 3) {
        g.new_instance();
    }
    let n = g.rng.range(4, 24);
    for _ in 0..n {
        g.step();
    }
    // Often end by dropping everything and collecting, so that the cycles built above become
    // trash at the same time.
    if g.rng.chance(75) {
        let mut held: Vec<String> = g
            .names
            .iter()
            .filter(|(n, v)| matches!(v, AVal::Obj(_)) && n.as_str() != KEEP)
            .map(|(n, _)| n.clone())
            .collect();
        g.rng.shuffle(&mut held);
        for n in held {
            if g.rng.chance(85) {
                g.release(&n);
            }
        }
        // Classes as objects: delete some classes' names too (from a side stream of its own,
        // so scenarios without it are what they were), those no body names (a body may run
        // later, where the name would raise NameError); only a collection follows.
        let mut dels = g.rng.side(0xde1c_1a55);
        if dels.chance(30) {
            let texts = &body_texts;
            let names: Vec<String> = g.classes.iter().map(|c| c.name.clone()).collect();
            for name in names {
                let used = texts
                    .iter()
                    .any(|t| t.contains(&format!("{name}(")) || t.contains(&format!("= {name}")));
                if !used && dels.chance(60) {
                    g.emit(format!("del {name}"));
                }
            }
        }
        g.collect();
        if g.rng.chance(30) {
            if g.uses_saved && g.rng.chance(50) {
                g.emit(format!("{SAVED} = None"));
            }
            if g.rng.chance(50) {
                g.emit("del gc.garbage[:]".to_string());
            }
            g.collect();
        }
    }
    if g.steps.is_empty() {
        g.collect();
    }
    Draft {
        versions: if since > Version::V2_7 {
            vec![format!("{since}+")]
        } else {
            Vec::new()
        },
        classes: g
            .classes
            .iter()
            .filter(|c| !c.in_steps)
            .map(|c| DraftClass {
                name: c.name.clone(),
                bases: c.bases.clone(),
                del: c.del.clone(),
                slots: c.slots.clone(),
                methods: c.methods.clone(),
                staticmethods: c.statics.clone(),
                classmethods: c.classms.clone(),
            })
            .chain(g.exc_classes.iter().cloned())
            .collect(),
        callbacks: on_clear
            .map(|b| vec![(ON_CLEAR.to_string(), b)])
            .unwrap_or_default(),
        record,
        steps: g.steps,
    }
}

/// The exception classes of a scenario that raises: `X1(Exception)`, half the time with a
/// `__del__`, and sometimes `X2(X1)`.
fn gen_exception_classes(rng: &mut Rng) -> Vec<DraftClass> {
    let class = |name: &str, base: &str, del: bool| DraftClass {
        name: name.to_string(),
        bases: vec![base.to_string()],
        del: del.then(|| vec!["pass".to_string()]),
        slots: None,
        methods: Vec::new(),
        staticmethods: Vec::new(),
        classmethods: Vec::new(),
    };
    let mut v = vec![class(EXC_NAMES[0], "Exception", rng.chance(50))];
    if rng.chance(40) {
        v.push(class(EXC_NAMES[1], EXC_NAMES[0], rng.chance(30)));
    }
    v
}

fn gen_classes(rng: &mut Rng, since: Version, raise_ok: bool) -> Vec<GClass> {
    let n = rng.range(1, 4);
    let mut out = Vec::new();
    for name in CLASS_NAMES.iter().take(n) {
        let slots: Option<Vec<String>> = if rng.chance(25) {
            let choice = rng.weighted(&[4, 3, 3, 2, 1]);
            let v: &[&str] = match choice {
                0 => &["x", "y"],
                1 => &["x", "y", "__weakref__"],
                2 => &["x", "__dict__"],
                3 => &["x"],
                _ => &[],
            };
            Some(v.iter().map(|s| s.to_string()).collect())
        } else {
            None
        };
        let has_dict = slots
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == "__dict__"));
        let weakrefable = slots
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == "__weakref__"));
        let attrs: Vec<String> = if has_dict {
            ATTRS.iter().map(|s| s.to_string()).collect()
        } else {
            slots
                .iter()
                .flatten()
                .filter(|s| !s.starts_with("__"))
                .cloned()
                .collect()
        };
        let del = rng
            .chance(55)
            .then(|| gen_del_body(rng, &attrs, since, raise_ok, "self"));
        out.push(GClass {
            name: name.to_string(),
            bases: Vec::new(),
            del,
            slots,
            attrs,
            weakrefable,
            has_dict,
            methods: Vec::new(),
            statics: Vec::new(),
            classms: Vec::new(),
            in_steps: false,
        });
    }
    out
}

/// Give some classes bases among the earlier ones (one, sometimes two), keeping only what
/// CPython accepts ([`crate::scenario::hierarchy::check`]: a base whose layout conflicts, or
/// under which a `__dict__`/`__weakref__` slot is disallowed, is dropped); then each class's
/// attributes, dict and weakref slot follow its whole layout (a base's `__del__` and methods,
/// which run on the subclass's instances, only use attributes the subclass has too).
/// The classes as the scenario layer's [`crate::scenario::ClassDef`]s, for its layout rules
/// (names, bases and `__slots__`; bodies left out).
fn class_defs(classes: &[GClass]) -> Vec<crate::scenario::ClassDef> {
    classes.iter().map(class_def).collect()
}

fn class_def(c: &GClass) -> crate::scenario::ClassDef {
    crate::scenario::ClassDef {
        name: c.name.clone(),
        bases: c.bases.clone(),
        del: None,
        del_scope: Default::default(),
        methods: {
            use crate::scenario::MethodKind;
            let kinds = [
                (&c.methods, MethodKind::Plain),
                (&c.statics, MethodKind::Static),
                (&c.classms, MethodKind::Class),
            ];
            kinds
                .into_iter()
                .flat_map(|(ms, kind)| {
                    ms.iter().map(move |(m, _)| crate::scenario::MethodDef {
                        name: m.clone(),
                        kind,
                        body: Vec::new(),
                        scope: Default::default(),
                        pos: crate::scenario::Pos { line: 1, col: 1 },
                    })
                })
                .collect()
        },
        slots: c.slots.clone(),
        pos: crate::scenario::Pos { line: 1, col: 1 },
        origin: if c.in_steps {
            crate::scenario::ClassOrigin::Step { via_type: false }
        } else {
            crate::scenario::ClassOrigin::Declared
        },
        exception: false,
    }
}

/// Give some classes a static method ([`STATIC_NAME`]) and a class method
/// ([`CLASSMETHOD_NAME`]) (at least one class gets one of them), drawn from `rng` (their side
/// stream). Their bodies never raise and change nothing the top level reads: collections,
/// observations, a local list, the global [`SAVED`]; a class method also stores its class on
/// itself (`cls.reg = cls`, a cycle through the type's dict) or in a local list.
fn gen_decorated(rng: &mut Rng, classes: &mut [GClass]) {
    let first = rng.below(classes.len() as u64) as usize;
    for (ci, c) in classes.iter_mut().enumerate() {
        if ci != first && !rng.chance(40) {
            continue;
        }
        let common = ["gc.collect()", "gc.get_count()", "l = []", "pass"];
        let body = |rng: &mut Rng, extra: &[&str]| -> Vec<String> {
            let mut pool: Vec<&str> = common.to_vec();
            pool.extend_from_slice(extra);
            let n = rng.range(1, 2);
            let mut v: Vec<String> = Vec::new();
            for _ in 0..n {
                let s = *rng.pick(&pool);
                if s == "saved = cls" || s == "saved = None" {
                    v.insert(0, format!("global {SAVED}"));
                }
                v.push(s.to_string());
            }
            if v.len() > 1 {
                v.retain(|s| s != "pass");
            }
            if v.is_empty() {
                v.push("pass".to_string());
            }
            v
        };
        let (statics, classms) = match rng.below(3) {
            0 => (true, false),
            1 => (false, true),
            _ => (true, true),
        };
        if statics || ci == first && !classms {
            let b = body(rng, &["saved = None"]);
            c.statics.push((STATIC_NAME.to_string(), b));
        }
        if classms {
            let cycle = format!("cls.{CLASS_ATTR} = cls");
            let b = body(rng, &[&cycle, "l = [cls]", "saved = cls"]);
            c.classms.push((CLASSMETHOD_NAME.to_string(), b));
        }
    }
}

fn gen_bases(rng: &mut Rng, classes: &mut [GClass]) {
    use crate::scenario::hierarchy;
    let def = class_def;
    for i in 1..classes.len() {
        if !rng.chance(60) {
            continue;
        }
        let mut earlier: Vec<String> = classes[..i].iter().map(|c| c.name.clone()).collect();
        rng.shuffle(&mut earlier);
        earlier.truncate(if i > 1 && rng.chance(30) { 2 } else { 1 });
        classes[i].bases = earlier;
        let defs: Vec<_> = classes[..=i].iter().map(def).collect();
        if hierarchy::check(&defs, i).is_err() {
            classes[i].bases.truncate(1);
            let defs: Vec<_> = classes[..=i].iter().map(def).collect();
            if hierarchy::check(&defs, i).is_err() {
                classes[i].bases.clear();
            }
        }
    }
    let defs = class_defs(classes);
    for (i, c) in classes.iter_mut().enumerate() {
        c.follow_layout(hierarchy::layout(&defs, i));
    }
}

impl GClass {
    /// The instances' dict, weakref slot and settable attributes, from the class's whole
    /// layout (its own and its bases'): [`ATTRS`] with a `__dict__`, else its value slots.
    fn follow_layout(&mut self, l: crate::scenario::hierarchy::Layout) {
        self.has_dict = l.has_dict;
        self.weakrefable = l.weakrefable;
        self.attrs = if l.has_dict {
            ATTRS.iter().map(|s| s.to_string()).collect()
        } else {
            let mut v = l.slots;
            v.sort();
            v.dedup();
            v
        };
    }
}

/// Give some classes methods (at least one class gets one), drawn from `rng` (the methods side
/// stream). A method body is a `__del__` body that never raises (methods are called at the top
/// level, where an exception would end the scenario), sometimes with a self-cycle
/// (`self.x = self`), the observer cycle (`self.cb = self.handle`), or a call of an earlier
/// method of the class (never a later one: no recursion). A `__del__` sometimes calls a method
/// or stores a bound method of its instance.
fn gen_methods(rng: &mut Rng, classes: &mut [GClass], since: Version) {
    let first = rng.below(classes.len() as u64) as usize;
    for (ci, c) in classes.iter_mut().enumerate() {
        if ci != first && !rng.chance(50) {
            continue;
        }
        let k = rng.range(1, 2);
        let mut names: Vec<&str> = METHOD_NAMES.to_vec();
        rng.shuffle(&mut names);
        names.truncate(k);
        for (mi, name) in names.iter().enumerate() {
            let mut body = gen_del_body(rng, &c.attrs, since, false, "self");
            let globals = body.iter().filter(|s| s.starts_with("global ")).count();
            let mut extra = Vec::new();
            if !c.attrs.is_empty() && rng.chance(35) {
                extra.push(format!("self.{} = self", rng.pick(&c.attrs)));
            }
            if c.has_dict && rng.chance(25) {
                // Any method of the class, this one included: storing does not call it.
                let m = names[rng.below(k as u64) as usize];
                extra.push(format!("self.{CB} = self.{m}"));
            }
            if mi > 0 && rng.chance(35) {
                extra.push(format!("self.{}()", names[rng.below(mi as u64) as usize]));
            }
            for e in extra {
                let at = rng.range(globals, body.len());
                body.insert(at, e);
            }
            body.retain(|s| s != "pass");
            if body.is_empty() {
                body.push("pass".into());
            }
            c.methods.push((name.to_string(), body));
        }
        if let Some(del) = c.del.as_mut()
            && rng.chance(40)
        {
            let globals = del.iter().filter(|s| s.starts_with("global ")).count();
            let m = rng.pick(&c.methods).0.clone();
            let s = if c.has_dict && rng.chance(40) {
                format!("self.{CB} = self.{m}")
            } else {
                format!("self.{m}()")
            };
            let at = rng.range(globals, del.len());
            del.insert(at, s);
        }
    }
}

/// Closures in function bodies (`def` steps in a method, `__del__` or callback body), each over
/// the body's parameter (`self`, `cls`, `wr`) or a local holding it, in one or two bodies: a
/// closure kept in the global list [`KEEP`] (which keeps what it closes over alive: a
/// resurrection from a `__del__`), a local list and a closure over it that refer to each other
/// (a cycle that becomes trash when the call returns), a default argument holding the parameter,
/// or a closure two levels down. The group goes after the body's `global` lines and before a
/// final `raise`.
fn gen_body_closures(rng: &mut Rng, classes: &mut [GClass], on_clear: Option<&mut Vec<String>>) {
    let mut bodies: Vec<(&mut Vec<String>, &str)> = Vec::new();
    for c in classes.iter_mut() {
        if let Some(d) = c.del.as_mut() {
            bodies.push((d, "self"));
        }
        for (_, b) in c.methods.iter_mut() {
            bodies.push((b, "self"));
        }
        for (_, b) in c.classms.iter_mut() {
            bodies.push((b, "cls"));
        }
    }
    if let Some(b) = on_clear {
        bodies.push((b, "wr"));
    }
    if bodies.is_empty() {
        return;
    }
    rng.shuffle(&mut bodies);
    let k = rng.range(1, 2).min(bodies.len());
    for (body, me) in bodies.into_iter().take(k) {
        let group: Vec<String> = match rng.below(4) {
            0 => vec![
                format!("{{\"def hold()\": \"return {me}\"}}"),
                format!("{KEEP}.append(hold)"),
            ],
            1 => vec![
                format!("box = [{me}]"),
                "{\"def hold()\": \"return box\"}".to_string(),
                "box.append(hold)".to_string(),
            ],
            2 => vec![
                format!("{{\"def hold(k={me})\": \"return k\"}}"),
                format!("{KEEP}.append(hold)"),
            ],
            _ => vec![
                format!(
                    "{{\"def outer()\": [{{\"def inner()\": \"return {me}\"}}, \"return inner\"]}}"
                ),
                "hold = outer()".to_string(),
                format!("{KEEP}.append(hold)"),
            ],
        };
        body.retain(|s| s != "pass");
        let globals = body.iter().filter(|s| s.starts_with("global ")).count();
        let end = body.len() - usize::from(body.last().is_some_and(|s| s.starts_with("raise")));
        let at = rng.range(globals, end.max(globals));
        for (i, s) in group.into_iter().enumerate() {
            body.insert(at + i, s);
        }
    }
}

/// A `__del__` body (`me` is `self`), or a callback body (`me` is `wr`, `attrs` empty): one to
/// three behaviours, in random order, a `raise` always last (so that what follows it is
/// sometimes skipped).
fn gen_del_body(
    rng: &mut Rng,
    attrs: &[String],
    since: Version,
    raise_ok: bool,
    me: &str,
) -> Vec<String> {
    let mut body: Vec<Vec<String>> = Vec::new();
    let k = rng.range(1, 3);
    let mut raise = false;
    for _ in 0..k {
        match rng.weighted(&[3, 3, 3, 4, 2, 1, 2]) {
            6 => body.push(vec![match rng.below(3) {
                0 => "gc.get_count()".into(),
                1 if since >= Version::V3_9 => format!("gc.is_finalized({me})"),
                _ => format!("gc.is_tracked({me})"),
            }]),
            0 => body.push(vec!["pass".into()]),
            1 => body.push(vec![format!("global {SAVED}"), format!("{SAVED} = {me}")]),
            2 => body.push(vec![format!("{KEEP}.append({me})")]),
            3 if !attrs.is_empty() => {
                let a = rng.pick(attrs).clone();
                let v = if rng.chance(80) { "None" } else { "1" };
                body.push(vec![format!("self.{a} = {v}")]);
            }
            4 => raise = raise_ok,
            5 => body.push(vec!["gc.collect()".into()]),
            _ => body.push(vec!["pass".into()]),
        }
    }
    rng.shuffle(&mut body);
    let mut out: Vec<String> = Vec::new();
    // `global` must come before the assignment it declares, and before anything else uses
    // the name: put declarations first.
    for part in &body {
        for s in part {
            if s.starts_with("global ") && !out.contains(s) {
                out.push(s.clone());
            }
        }
    }
    for part in body {
        for s in part {
            if !s.starts_with("global ") {
                out.push(s);
            }
        }
    }
    if raise {
        // Sometimes something after the raise, which must not run.
        if !out.is_empty() && rng.chance(50) {
            let at = rng.range(0, out.len());
            let at = at.max(out.iter().filter(|s| s.starts_with("global ")).count());
            out.insert(at, "raise RuntimeError()".into());
        } else {
            out.push("raise RuntimeError()".into());
        }
    }
    if out.is_empty() {
        out.push("pass".into());
    }
    out
}

impl Gen<'_> {
    fn emit(&mut self, s: String) {
        self.steps.push(s);
    }

    fn new_obj(&mut self, kind: AKind) -> usize {
        self.objs.push(AObj {
            kind,
            attrs: BTreeSet::new(),
            keys: BTreeSet::new(),
            len: 0,
        });
        self.objs.len() - 1
    }

    fn kind_of(&self, name: &str) -> Option<AKind> {
        match self.names.get(name) {
            Some(AVal::Obj(o)) => Some(self.objs[*o].kind),
            _ => None,
        }
    }

    /// Bound names holding objects, except `keep` (never stored anywhere, never indexed).
    fn obj_names(&self, pred: impl Fn(AKind) -> bool) -> Vec<String> {
        self.names
            .iter()
            .filter(|(n, _)| n.as_str() != KEEP && n.as_str() != SAVED)
            .filter_map(|(n, v)| match v {
                AVal::Obj(o) if pred(self.objs[*o].kind) => Some(n.clone()),
                _ => None,
            })
            .collect()
    }

    /// A value to store: mostly a bound object (to make links and cycles), sometimes None or a
    /// small integer, and in a scenario with methods sometimes a new bound method (`a.handle`,
    /// decided by the methods side stream after the main stream drew its value, so that the
    /// main stream draws the same). Returns its text and abstract value.
    fn value(&mut self) -> (String, AVal) {
        let v = self.plain_value();
        if self.meth.as_mut().is_some_and(|m| m.chance(15))
            && let Some(bound) = self.bound_method_value()
        {
            return bound;
        }
        v
    }

    fn plain_value(&mut self) -> (String, AVal) {
        let names = self.obj_names(|_| true);
        let insts = self.obj_names(|k| matches!(k, AKind::Inst(_)));
        let r = self.rng.below(100);
        if !insts.is_empty() && r < 45 {
            let n = self.rng.pick(&insts).clone();
            let v = self.names[&n];
            return (n, v);
        }
        if !names.is_empty() && r < 80 {
            let n = self.rng.pick(&names).clone();
            let v = self.names[&n];
            return (n, v);
        }
        if r < 90 {
            ("None".into(), AVal::None)
        } else {
            let i = *self.rng.pick(&[0i64, 1, 7, 300]);
            (i.to_string(), AVal::Int(i))
        }
    }

    /// Instance names whose class has methods.
    fn with_methods(&self) -> Vec<String> {
        self.obj_names(|k| matches!(k, AKind::Inst(c) if !self.classes[c].methods.is_empty()))
    }

    /// One of `owners` ([`Gen::with_methods`]) and one of its class's methods, drawn from
    /// `rng` (a side stream, borrowed apart from the generator's other fields): the name, its
    /// instance object, the class and the method's index.
    fn pick_owner_method(
        rng: &mut Rng,
        owners: &[String],
        names: &BTreeMap<String, AVal>,
        objs: &[AObj],
        classes: &[GClass],
    ) -> Option<(String, usize, usize, usize)> {
        let n = rng.pick(owners).clone();
        let Some(AVal::Obj(o)) = names.get(&n).copied() else {
            return None;
        };
        let AKind::Inst(c) = objs[o].kind else {
            return None;
        };
        let m = rng.below(classes[c].methods.len() as u64) as usize;
        Some((n, o, c, m))
    }

    /// `a.handle` for an instance with methods (drawn from the methods side stream): its text
    /// and the new bound method.
    fn bound_method_value(&mut self) -> Option<(String, AVal)> {
        let owners = self.with_methods();
        let ms = self.meth.as_mut()?;
        if owners.is_empty() {
            return None;
        }
        let (n, o, c, m) =
            Self::pick_owner_method(ms, &owners, &self.names, &self.objs, &self.classes)?;
        let text = format!("{n}.{}", self.classes[c].methods[m].0);
        let b = self.new_obj(AKind::Method(o, c, m));
        Some((text, AVal::Obj(b)))
    }

    /// A call of method `m` of `class` on instance object `o` ran: the attributes its body sets
    /// are set now (those of the methods it calls may be too; the generator need not know).
    fn called(&mut self, o: usize, class: usize, m: usize) {
        let set: Vec<String> = self.classes[class].methods[m]
            .1
            .iter()
            .filter_map(|s| s.strip_prefix("self.")?.split_once(" = "))
            .map(|(a, _)| a.to_string())
            .collect();
        self.objs[o].attrs.extend(set);
    }

    /// One statement about methods, from the methods side stream: bind a new bound method to a
    /// name, store one in [`CB`] (of the same instance sometimes: the observer cycle), call a
    /// method, call what [`CB`] holds, call a name holding a bound method, or take a weakref to
    /// one.
    fn method_step(&mut self) {
        if self.unbound.as_mut().is_some_and(|u| u.chance(30)) {
            self.unbound_step();
            return;
        }
        let owners = self.with_methods();
        let dicts: Vec<String> =
            self.obj_names(|k| matches!(k, AKind::Inst(c) if self.classes[c].has_dict));
        let cb_set: Vec<String> = dicts
            .iter()
            .filter(|n| match self.names.get(*n) {
                Some(AVal::Obj(o)) => self.objs[*o].attrs.contains(CB),
                _ => false,
            })
            .cloned()
            .collect();
        let bound = self.obj_names(|k| matches!(k, AKind::Method(..)));
        let Some(ms) = self.meth.as_mut() else { return };
        let w = |ok: bool, w: u32| if ok { w } else { 0 };
        let weights = [
            w(!owners.is_empty(), 5),                      // 0 bm = a.handle
            w(!owners.is_empty() && !dicts.is_empty(), 5), // 1 a.cb = b.handle
            w(!owners.is_empty(), 5),                      // 2 a.handle()
            w(!cb_set.is_empty(), 3),                      // 3 a.cb()
            w(!bound.is_empty(), 3),                       // 4 bm()
            w(!bound.is_empty(), 2),                       // 5 w = weakref.ref(bm)
        ];
        if weights.iter().all(|w| *w == 0) {
            return;
        }
        match ms.weighted(&weights) {
            0 => {
                let name = ms.pick(BOUND_NAMES).to_string();
                let (text, v) = self.bound_method_value().expect("owners");
                self.emit(format!("{name} = {text}"));
                self.bind(&name, v);
            }
            1 => {
                let holder = ms.pick(&dicts).clone();
                // Often the holder's own method, when it has methods: the observer cycle.
                let (text, _) = if owners.contains(&holder) && ms.chance(50) {
                    let Some(AVal::Obj(o)) = self.names.get(&holder).copied() else {
                        unreachable!()
                    };
                    let AKind::Inst(c) = self.objs[o].kind else {
                        unreachable!()
                    };
                    let m = ms.pick(&self.classes[c].methods).0.clone();
                    (format!("{holder}.{m}"), AVal::None)
                } else {
                    self.bound_method_value().expect("owners")
                };
                self.emit(format!("{holder}.{CB} = {text}"));
                if let Some(AVal::Obj(o)) = self.names.get(&holder).copied() {
                    self.objs[o].attrs.insert(CB.to_string());
                }
            }
            2 => {
                let (n, o, c, m) =
                    Self::pick_owner_method(ms, &owners, &self.names, &self.objs, &self.classes)
                        .expect("an owner is a named instance");
                self.emit(format!("{n}.{}()", self.classes[c].methods[m].0));
                self.called(o, c, m);
            }
            3 => {
                let n = ms.pick(&cb_set).clone();
                self.emit(format!("{n}.{CB}()"));
            }
            4 => {
                let n = ms.pick(&bound).clone();
                self.emit(format!("{n}()"));
                if let Some(AKind::Method(o, c, m)) = self.kind_of(&n) {
                    self.called(o, c, m);
                }
            }
            _ => {
                let r = ms.pick(&bound).clone();
                let name = ms.pick(WEAK_NAMES).to_string();
                let cb = match ms.below(3) {
                    0 => "",
                    1 => ", callback",
                    _ if self.on_clear.is_some() => ", on_clear",
                    _ => ", callback",
                };
                let o = self.new_obj(AKind::WeakRef);
                self.emit(format!("{name} = weakref.ref({r}{cb})"));
                self.bind(&name, AVal::Obj(o));
            }
        }
    }

    /// One statement reading a plain method through a class, from its side stream: call it
    /// with an instance of that class (`A.m(a)`), bind it to [`UNBOUND_NAME`] and call that
    /// later with an instance of the class, or append it to a list. 2.7 makes an unbound
    /// method each time (holding the class), 3.x uses the function.
    fn unbound_step(&mut self) {
        let owners = self.with_methods();
        let lists = self.obj_names(|k| k == AKind::List);
        let held: Vec<String> = match self.unbound_class {
            Some(c) => self
                .obj_names(|k| matches!(k, AKind::Inst(i) if i == c))
                .into_iter()
                .collect(),
            None => Vec::new(),
        };
        let with_methods: Vec<usize> = (0..self.classes.len())
            .filter(|&c| !self.classes[c].methods.is_empty())
            .collect();
        let Some(us) = self.unbound.as_mut() else {
            return;
        };
        let w = |ok: bool, w: u32| if ok { w } else { 0 };
        let weights = [
            w(!owners.is_empty(), 4),                            // 0 A.m(a)
            w(!with_methods.is_empty(), 3),                      // 1 um = A.m
            w(!held.is_empty(), 3),                              // 2 um(a)
            w(!lists.is_empty() && !with_methods.is_empty(), 2), // 3 l.append(A.m)
        ];
        if weights.iter().all(|w| *w == 0) {
            return;
        }
        match us.weighted(&weights) {
            0 => {
                let (n, o, c, m) =
                    Self::pick_owner_method(us, &owners, &self.names, &self.objs, &self.classes)
                        .expect("an owner is a named instance");
                let name = &self.classes[c].methods[m].0;
                // Sometimes through a base that has the method too (2.7's isinstance check
                // of an instance of a subclass goes through `type.__instancecheck__`).
                let bases: Vec<&GClass> = self.classes[c]
                    .bases
                    .iter()
                    .filter_map(|b| self.classes.iter().find(|k| &k.name == b))
                    .filter(|k| k.methods.iter().any(|(n, _)| n == name))
                    .collect();
                let via = if !bases.is_empty() && us.chance(50) {
                    &us.pick(&bases).name
                } else {
                    &self.classes[c].name
                };
                let text = format!("{via}.{name}({n})");
                // What runs is the method of the class it is read through (a base's sets
                // other attributes: fuzz seed 103 #4544 read `h.cb` that only the
                // subclass's method sets).
                let (rc, rm) = self
                    .classes
                    .iter()
                    .position(|k| &k.name == via)
                    .and_then(|k| {
                        let km = self.classes[k]
                            .methods
                            .iter()
                            .position(|(x, _)| x == name)?;
                        Some((k, km))
                    })
                    .unwrap_or((c, m));
                self.emit(text);
                self.called(o, rc, rm);
            }
            1 => {
                let c = *us.pick(&with_methods);
                let m = us.pick(&self.classes[c].methods).0.clone();
                self.emit(format!("{UNBOUND_NAME} = {}.{m}", self.classes[c].name));
                self.unbound_class = Some(c);
            }
            2 => {
                let n = us.pick(&held).clone();
                self.emit(format!("{UNBOUND_NAME}({n})"));
                // Which method the name holds is not tracked: no attribute is counted as set.
            }
            _ => {
                let l = us.pick(&lists).clone();
                let c = *us.pick(&with_methods);
                let m = us.pick(&self.classes[c].methods).0.clone();
                self.emit(format!("{l}.append({}.{m})", self.classes[c].name));
                if let Some(AVal::Obj(o)) = self.names.get(&l).copied() {
                    self.objs[o].len += 1;
                }
            }
        }
    }

    /// One statement about static and class methods and classes as values, from their side
    /// stream: call a static or class method through an instance or its class, store a class
    /// method's new bound method in [`CB`] (so `x.cb()` calls it later), append a class to a
    /// list, or store a class in an instance attribute.
    fn decorated_step(&mut self) {
        let inst_of = |g: &Self, pred: &dyn Fn(&GClass) -> bool| -> Vec<(String, usize)> {
            g.obj_names(|k| matches!(k, AKind::Inst(_)))
                .into_iter()
                .filter_map(|n| match g.kind_of(&n) {
                    Some(AKind::Inst(c)) if pred(&g.classes[c]) => Some((n, c)),
                    _ => None,
                })
                .collect()
        };
        let with_static = inst_of(self, &|c| !c.statics.is_empty());
        let with_classm = inst_of(self, &|c| !c.classms.is_empty());
        let static_classes: Vec<String> = self
            .classes
            .iter()
            .filter(|c| !c.statics.is_empty())
            .map(|c| c.name.clone())
            .collect();
        let classm_classes: Vec<String> = self
            .classes
            .iter()
            .filter(|c| !c.classms.is_empty())
            .map(|c| c.name.clone())
            .collect();
        let dicts: Vec<String> = inst_of(self, &|c| c.has_dict)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let settable = inst_of(self, &|c| !c.attrs.is_empty());
        let lists = self.obj_names(|k| k == AKind::List);
        let class_names: Vec<String> = self.classes.iter().map(|c| c.name.clone()).collect();
        let Some(ds) = self.deco.as_mut() else { return };
        let w = |ok: bool, w: u32| if ok { w } else { 0 };
        let weights = [
            w(!with_static.is_empty(), 3),                         // 0 a.make()
            w(!static_classes.is_empty(), 3),                      // 1 A.make()
            w(!with_classm.is_empty(), 3),                         // 2 a.create()
            w(!classm_classes.is_empty(), 3),                      // 3 A.create()
            w(!classm_classes.is_empty() && !dicts.is_empty(), 3), // 4 a.cb = A.create
            w(!lists.is_empty(), 2),                               // 5 l1.append(A)
            w(!settable.is_empty(), 2),                            // 6 a.x = A
        ];
        if weights.iter().all(|w| *w == 0) {
            return;
        }
        match ds.weighted(&weights) {
            0 => {
                let (n, _) = ds.pick(&with_static).clone();
                self.emit(format!("{n}.{STATIC_NAME}()"));
            }
            1 => {
                let c = ds.pick(&static_classes).clone();
                self.emit(format!("{c}.{STATIC_NAME}()"));
            }
            2 => {
                let (n, _) = ds.pick(&with_classm).clone();
                self.emit(format!("{n}.{CLASSMETHOD_NAME}()"));
            }
            3 => {
                let c = ds.pick(&classm_classes).clone();
                self.emit(format!("{c}.{CLASSMETHOD_NAME}()"));
            }
            4 => {
                let holder = ds.pick(&dicts).clone();
                let via = if ds.chance(50) || with_classm.is_empty() {
                    ds.pick(&classm_classes).clone()
                } else {
                    ds.pick(&with_classm).0.clone()
                };
                self.emit(format!("{holder}.{CB} = {via}.{CLASSMETHOD_NAME}"));
                if let Some(AVal::Obj(o)) = self.names.get(&holder).copied() {
                    self.objs[o].attrs.insert(CB.to_string());
                }
            }
            5 => {
                let l = ds.pick(&lists).clone();
                let c = ds.pick(&class_names).clone();
                self.emit(format!("{l}.append({c})"));
                if let Some(AVal::Obj(o)) = self.names.get(&l).copied() {
                    self.objs[o].len += 1;
                }
            }
            _ => {
                let (n, ci) = ds.pick(&settable).clone();
                let attr = ds.pick(&self.classes[ci].attrs).clone();
                let c = ds.pick(&class_names).clone();
                self.emit(format!("{n}.{attr} = {c}"));
                if let Some(AVal::Obj(o)) = self.names.get(&n).copied() {
                    self.objs[o].attrs.insert(attr);
                }
            }
        }
    }

    /// A class attribute statement, from its side stream: store a value in a class's
    /// [`REGISTRY`] (an instance, often of that class: a cycle through the type's dict; any
    /// object a name holds; a class; `None`), or delete it where it is set.
    fn class_attr_step(&mut self) {
        let held = self.obj_names(|_| true);
        let insts: Vec<(String, usize)> = self
            .obj_names(|k| matches!(k, AKind::Inst(_)))
            .into_iter()
            .filter_map(|n| match self.kind_of(&n) {
                Some(AKind::Inst(c)) => Some((n, c)),
                _ => None,
            })
            .collect();
        let class_names: Vec<String> = self.classes.iter().map(|c| c.name.clone()).collect();
        let set: Vec<usize> = self.registry_set.iter().copied().collect();
        let Some(cs) = self.cattr.as_mut() else {
            return;
        };
        if !set.is_empty() && cs.chance(25) {
            let c = *cs.pick(&set);
            self.emit(format!("del {}.{REGISTRY}", class_names[c]));
            self.registry_set.remove(&c);
            return;
        }
        let (c, value) = match cs.below(4) {
            0 if !insts.is_empty() => {
                let (n, c) = cs.pick(&insts).clone();
                (c, n)
            }
            1 if !held.is_empty() => {
                let c = cs.below(class_names.len() as u64) as usize;
                (c, cs.pick(&held).clone())
            }
            2 => {
                let c = cs.below(class_names.len() as u64) as usize;
                (c, cs.pick(&class_names).clone())
            }
            _ => {
                let c = cs.below(class_names.len() as u64) as usize;
                (c, "None".to_string())
            }
        };
        self.emit(format!("{}.{REGISTRY} = {value}", class_names[c]));
        self.registry_set.insert(c);
    }

    /// A set statement: a new set or frozenset of named instances (a display, `set()`,
    /// `set([..])`, `frozenset([..])`), or an add or a discard on a named set.
    fn set_step(&mut self) {
        let insts = self.obj_names(|k| matches!(k, AKind::Inst(_)));
        let sets = self.obj_names(|k| k == AKind::Set { frozen: false });
        let Some(st) = self.sets.as_mut() else {
            return;
        };
        if insts.is_empty() {
            return;
        }
        let choice = st.below(6);
        if choice < 3 && !sets.is_empty() {
            let s = st.pick(&sets).clone();
            let x = st.pick(&insts).clone();
            let op = if choice == 2 { "discard" } else { "add" };
            self.emit(format!("{s}.{op}({x})"));
            return;
        }
        let k = st.range(1, 4);
        let items: Vec<String> = (0..k).map(|_| st.pick(&insts).clone()).collect();
        let name = st.pick(SET_NAMES).to_string();
        let (text, frozen) = match choice {
            3 | 0 => (format!("{{{}}}", items.join(", ")), false),
            4 | 1 if st.chance(25) => ("set()".to_string(), false),
            4 | 1 => (format!("set([{}])", items.join(", ")), false),
            _ => (format!("frozenset([{}])", items.join(", ")), true),
        };
        let o = self.new_obj(AKind::Set { frozen });
        self.emit(format!("{name} = {text}"));
        self.bind(&name, AVal::Obj(o));
    }

    fn bind(&mut self, name: &str, v: AVal) {
        self.names.insert(name.to_string(), v);
    }

    fn new_list_named(&mut self, name: &str, items: Vec<String>) {
        let o = self.new_obj(AKind::List);
        self.objs[o].len = items.len();
        self.emit(format!("{name} = [{}]", items.join(", ")));
        self.bind(name, AVal::Obj(o));
    }

    /// A class statement (`class S1(A): pass`, `class S1: pass`, `S1 = type('S1', (A, B), {})`)
    /// from the class statements' side stream: bases among the classes so far (of `classes:` or
    /// of earlier statements), kept only where CPython accepts them, as [`gen_bases`] does. The
    /// class then takes part like the others (instances, `__class__` targets, weak references,
    /// class attributes, `del` at the end); no body names it.
    fn class_statement_step(&mut self) {
        use crate::scenario::hierarchy;
        let made = self.classes.iter().filter(|c| c.in_steps).count();
        let Some(cs) = self.class_stmts.as_mut() else {
            return;
        };
        if made >= 3 {
            return;
        }
        let name = format!("S{}", made + 1);
        let mut bases: Vec<String> = Vec::new();
        for _ in 0..cs.weighted(&[3, 5, 2]) {
            let i = cs.below(self.classes.len() as u64) as usize;
            let b = self.classes[i].name.clone();
            if !bases.contains(&b) {
                bases.push(b);
            }
        }
        let via_type = cs.chance(30);
        let mut c = GClass {
            name: name.clone(),
            bases,
            del: None,
            slots: None,
            attrs: Vec::new(),
            weakrefable: true,
            has_dict: true,
            methods: Vec::new(),
            statics: Vec::new(),
            classms: Vec::new(),
            in_steps: true,
        };
        let i = self.classes.len();
        let mut defs = class_defs(&self.classes);
        defs.push(class_def(&c));
        for keep in [2, 1, 0] {
            c.bases.truncate(keep);
            defs[i] = class_def(&c);
            if hierarchy::check(&defs, i).is_ok() {
                break;
            }
        }
        c.follow_layout(hierarchy::layout(&defs, i));
        self.emit(crate::scenario::class_stmt_text(&name, &c.bases, via_type));
        self.classes.push(c);
    }

    fn new_instance(&mut self) {
        let c = self.rng.below(self.classes.len() as u64) as usize;
        let name = self.rng.pick(INST_NAMES).to_string();
        let o = self.new_obj(AKind::Inst(c));
        self.emit(format!("{name} = {}()", self.classes[c].name));
        self.bind(&name, AVal::Obj(o));
    }

    /// `gc.set_threshold(...)`: low thresholds mostly (0 turns automatic collection off, 1
    /// collects at almost every allocation), sometimes the defaults.
    fn set_threshold(&mut self) {
        let t0 = *self.rng.pick(&[0i64, 1, 1, 2, 3, 5, 8, 700]);
        let t1 = *self.rng.pick(&[0i64, 1, 2, 3, 10]);
        let t2 = *self.rng.pick(&[0i64, 1, 2, 10]);
        let s = match self.rng.below(3) {
            0 => format!("gc.set_threshold({t0})"),
            1 => format!("gc.set_threshold({t0}, {t1})"),
            _ => format!("gc.set_threshold({t0}, {t1}, {t2})"),
        };
        self.emit(s);
    }

    fn collect(&mut self) {
        let s = match self.rng.weighted(&[5, 2, 2, 2]) {
            0 => "gc.collect()".to_string(),
            1 => "gc.collect(0)".to_string(),
            2 => "gc.collect(1)".to_string(),
            _ => "gc.collect(2)".to_string(),
        };
        self.emit(s);
    }

    /// Drop what `name` holds: `name = None` or `del name`.
    /// One `def` and its use, from the functions side stream: a closure that refers to itself,
    /// a closure stored on the instance it captures, a default value holding an instance with
    /// the function stored on it, a factory returning a self-referencing list, a closure
    /// returned over an instance, a `nonlocal` rebinding (3.7+ scenarios), or a call of a
    /// function made before.
    fn function_step(&mut self) {
        let dicts: Vec<String> =
            self.obj_names(|k| matches!(k, AKind::Inst(c) if self.classes[c].has_dict));
        let insts = self.obj_names(|k| matches!(k, AKind::Inst(_)));
        let funcs = self.obj_names(|k| k == AKind::Func);
        let nonlocal_ok = self.since >= Version::V3_7;
        let Some(f) = self.fun.as_mut() else { return };
        let w = |ok: bool, w: u32| if ok { w } else { 0 };
        let choice = f.weighted(&[
            4,                       // 0 self-referencing closure
            w(!dicts.is_empty(), 4), // 1 closure stored on what it captures
            w(!dicts.is_empty(), 3), // 2 default holding an instance
            3,                       // 3 factory of a self-referencing list
            w(!insts.is_empty(), 3), // 4 closure over an instance, returned
            w(nonlocal_ok, 2),       // 5 nonlocal
            w(!funcs.is_empty(), 3), // 6 call a function made before
        ]);
        self.defs += 1;
        let n = self.defs;
        match choice {
            0 => {
                self.emit(format!(
                    "{{\"def mk{n}()\": [{{\"def f{n}()\": \"return f{n}\"}}, \"return f{n}\"]}}"
                ));
                self.emit(format!("g{n} = mk{n}()"));
                let o = self.new_obj(AKind::Func);
                self.bind(&format!("g{n}"), AVal::Obj(o));
            }
            1 => {
                let x = f.pick(&dicts).clone();
                self.emit(format!(
                    "{{\"def reg{n}(o)\": [{{\"def h{n}()\": \"return o\"}}, \"o.fcb{n} = h{n}\"]}}"
                ));
                self.emit(format!("reg{n}({x})"));
                if let Some(AVal::Obj(o)) = self.names.get(&x).copied() {
                    self.objs[o].attrs.insert(format!("fcb{n}"));
                }
            }
            2 => {
                let x = f.pick(&dicts).clone();
                self.emit(format!("{{\"def d{n}(p={x})\": \"pass\"}}"));
                self.emit(format!("{x}.fd{n} = d{n}"));
                if let Some(AVal::Obj(o)) = self.names.get(&x).copied() {
                    self.objs[o].attrs.insert(format!("fd{n}"));
                }
                let o = self.new_obj(AKind::Func);
                self.bind(&format!("d{n}"), AVal::Obj(o));
            }
            3 => {
                self.emit(format!(
                    "{{\"def new{n}()\": [\"l = []\", \"l.append(l)\", \"return l\"]}}"
                ));
                self.emit(format!("y{n} = new{n}()"));
                let o = self.new_obj(AKind::List);
                self.objs[o].len = 1;
                self.bind(&format!("y{n}"), AVal::Obj(o));
            }
            4 => {
                let x = f.pick(&insts).clone();
                self.emit(format!(
                    "{{\"def wrap{n}(o)\": [{{\"def i{n}()\": \"return o\"}}, \"return i{n}\"]}}"
                ));
                self.emit(format!("k{n} = wrap{n}({x})"));
                let o = self.new_obj(AKind::Func);
                self.bind(&format!("k{n}"), AVal::Obj(o));
            }
            5 => {
                self.emit(format!(
                    "{{\"def cn{n}()\": [\"c = []\", {{\"def b{n}()\": [\"nonlocal c\", \"c = [c]\"]}}, \"b{n}()\", \"return b{n}\"]}}"
                ));
                self.emit(format!("z{n} = cn{n}()"));
                let o = self.new_obj(AKind::Func);
                self.bind(&format!("z{n}"), AVal::Obj(o));
            }
            _ => {
                let fname = f.pick(&funcs).clone();
                if f.chance(50) {
                    self.emit(format!("{fname}()"));
                } else {
                    // What it returns is not known here: bound to a name of its own, never used.
                    self.emit(format!("r{n} = {fname}()"));
                    self.bind(&format!("r{n}"), AVal::None);
                }
            }
        }
    }

    /// A function that raises and handles an exception (or a `try:` block at the top level),
    /// and its call: the exception kept on an instance, in a list, in a local of its frame,
    /// returned; raised two calls down, re-raised (`raise`, `raise err`), chained (raised
    /// in a handler), waiting through a `finally:` that makes a cycle.
    fn exception_step(&mut self) {
        let dicts: Vec<String> =
            self.obj_names(|k| matches!(k, AKind::Inst(c) if self.classes[c].has_dict));
        let lists = self.obj_names(|k| k == AKind::List);
        let two = self.exc_classes.len() > 1;
        let Some(x) = self.exc.as_mut() else { return };
        let w = |ok: bool, w: u32| if ok { w } else { 0 };
        let d = !dicts.is_empty();
        let choice = x.weighted(&[
            w(d, 5),                 // 0 kept on an instance
            w(!lists.is_empty(), 3), // 1 appended to a list
            3,                       // 2 kept in a local of its frame
            w(d, 3),                 // 3 raised two calls down
            w(d, 2),                 // 4 `raise` in a handler
            w(d, 2),                 // 5 `raise err` in a handler
            w(d, 2),                 // 6 a `finally:` that makes a cycle
            w(d && two, 2),          // 7 raised in a handler: a context
            2,                       // 8 returned from its handler
            w(d, 2),                 // 9 a `try:` block at the top level
        ]);
        let raised = if two && x.chance(40) {
            EXC_NAMES[1]
        } else {
            EXC_NAMES[0]
        };
        let caught = if two && raised == EXC_NAMES[1] && x.chance(50) {
            EXC_NAMES[1]
        } else {
            EXC_NAMES[0]
        };
        let target = match choice {
            1 => Some(x.pick(&lists).clone()),
            2 | 8 => None,
            _ => Some(x.pick(&dicts).clone()),
        };
        self.defs += 1;
        let n = self.defs;
        let handler = |body: &str| format!("\"except {caught} as err\": [{body}]");
        let raise = format!("\"raise {raised}()\"");
        let t = target.clone().unwrap_or_default();
        let attr = format!("ex{n}");
        match choice {
            0 => {
                let h = handler(&format!("\"o.{attr} = err\""));
                self.emit(format!(
                    "{{\"def kp{n}(o)\": [{{\"try\": [{raise}], {h}}}]}}"
                ));
                self.emit(format!("kp{n}({t})"));
            }
            1 => {
                let h = handler("\"o.append(err)\"");
                self.emit(format!(
                    "{{\"def ls{n}(o)\": [{{\"try\": [{raise}], {h}}}]}}"
                ));
                self.emit(format!("ls{n}({t})"));
            }
            2 => {
                let h = handler("\"kept = err\"");
                self.emit(format!(
                    "{{\"def lc{n}()\": [{{\"try\": [{raise}], {h}}}]}}"
                ));
                self.emit(format!("lc{n}()"));
            }
            3 => {
                let h = handler(&format!("\"o.{attr} = err\""));
                self.emit(format!("{{\"def rz{n}(o)\": {raise}}}"));
                self.emit(format!(
                    "{{\"def cz{n}(o)\": [{{\"try\": [\"rz{n}(o)\"], {h}}}]}}"
                ));
                self.emit(format!("cz{n}({t})"));
            }
            4 | 5 => {
                let again = if choice == 4 { "raise" } else { "raise err" };
                let inner = if choice == 4 {
                    format!("\"except {caught}\": [\"{again}\"]")
                } else {
                    handler(&format!("\"{again}\""))
                };
                let h = handler(&format!("\"o.{attr} = err\""));
                self.emit(format!(
                    "{{\"def rr{n}(o)\": [{{\"try\": [{{\"try\": [{raise}], {inner}}}], {h}}}]}}"
                ));
                self.emit(format!("rr{n}({t})"));
            }
            6 => {
                let h = handler(&format!("\"o.{attr} = err\""));
                self.emit(format!(
                    "{{\"def fy{n}(o)\": [{{\"try\": [{{\"try\": [{raise}], \"finally\": [\"o.fy{n} = o\"]}}], {h}}}]}}"
                ));
                self.emit(format!("fy{n}({t})"));
                if let Some(AVal::Obj(o)) = self.names.get(&t).copied() {
                    self.objs[o].attrs.insert(format!("fy{n}"));
                }
            }
            7 => {
                let h = format!("\"except {} as err\": [\"o.{attr} = err\"]", EXC_NAMES[1]);
                self.emit(format!(
                    "{{\"def cx{n}(o)\": [{{\"try\": [{{\"try\": [\"raise {}()\"], \"except {}\": [\"raise {}()\"]}}], {h}}}]}}",
                    EXC_NAMES[0], EXC_NAMES[0], EXC_NAMES[1]
                ));
                self.emit(format!("cx{n}({t})"));
            }
            8 => {
                let h = handler("\"return err\"");
                self.emit(format!(
                    "{{\"def rt{n}()\": [{{\"try\": [{raise}], {h}}}]}}"
                ));
                // What it returns is an exception: bound to a name of its own, never used.
                self.emit(format!("q{n} = rt{n}()"));
                self.bind(&format!("q{n}"), AVal::None);
            }
            _ => {
                self.emit(format!(
                    "{{\"try\": [{raise}], \"except {caught} as xe\": [\"{t}.{attr} = xe\"]}}"
                ));
            }
        }
        match (
            choice,
            target.as_ref().and_then(|t| self.names.get(t).copied()),
        ) {
            (1, Some(AVal::Obj(o))) => self.objs[o].len += 1,
            (0 | 3 | 4 | 5 | 6 | 7 | 9, Some(AVal::Obj(o))) => {
                self.objs[o].attrs.insert(attr);
            }
            _ => {}
        }
    }

    fn release(&mut self, name: &str) {
        if self.rng.chance(50) {
            self.emit(format!("{name} = None"));
            self.bind(name, AVal::None);
        } else {
            self.emit(format!("del {name}"));
            self.names.remove(name);
        }
    }

    /// `x.__class__ = K` for an instance and a class CPython accepts for it on every version
    /// the scenario applies to ([`crate::scenario::hierarchy::compatible_for_assignment`]);
    /// aliases of the object follow (they share its abstract object).
    fn class_step(&mut self) {
        let insts = self.obj_names(|k| matches!(k, AKind::Inst(_)));
        let Some(cs) = self.cls.as_mut() else { return };
        if insts.is_empty() {
            return;
        }
        let n = cs.pick(&insts).clone();
        let Some(AVal::Obj(o)) = self.names.get(&n).cloned() else {
            return;
        };
        let AKind::Inst(c) = self.objs[o].kind else {
            return;
        };
        let defs = class_defs(&self.classes);
        let since = self.since;
        // The new class keeps every method of the old one callable (the loader's rule).
        let old = crate::scenario::hierarchy::method_names(&defs, c);
        let candidates: Vec<usize> = (0..defs.len())
            .filter(|&k| {
                let have = crate::scenario::hierarchy::method_names(&defs, k);
                k != c
                    && old.iter().all(|m| have.contains(m))
                    && Version::ALL.iter().filter(|v| **v >= since).all(|v| {
                        crate::scenario::hierarchy::compatible_for_assignment(
                            &defs,
                            c,
                            k,
                            v.type_layout(),
                        )
                        .is_ok()
                    })
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        let k = *cs.pick(&candidates);
        self.emit(format!("{n}.__class__ = {}", self.classes[k].name));
        self.objs[o].kind = AKind::Inst(k);
    }

    fn step(&mut self) {
        if self.class_stmts.as_mut().is_some_and(|c| c.chance(20)) {
            self.class_statement_step();
        }
        if self.exc.as_mut().is_some_and(|c| c.chance(30)) {
            self.exception_step();
        }
        if self.cls.as_mut().is_some_and(|c| c.chance(10)) {
            self.class_step();
        }
        if self.meth.as_mut().is_some_and(|m| m.chance(30)) {
            self.method_step();
        }
        if self.fun.as_mut().is_some_and(|f| f.chance(35)) {
            self.function_step();
        }
        if self.deco.as_mut().is_some_and(|d| d.chance(35)) {
            self.decorated_step();
        }
        if self.cattr.as_mut().is_some_and(|c| c.chance(30)) {
            self.class_attr_step();
        }
        if self.sets.as_mut().is_some_and(|s| s.chance(30)) {
            self.set_step();
        }
        let insts = self.obj_names(|k| matches!(k, AKind::Inst(_)));
        let settable: Vec<String> = insts
            .iter()
            .filter(|n| match self.kind_of(n) {
                Some(AKind::Inst(c)) => !self.classes[c].attrs.is_empty(),
                _ => false,
            })
            .cloned()
            .collect();
        let lists = self.obj_names(|k| k == AKind::List);
        let dicts = self.obj_names(|k| k == AKind::Dict);
        let held = self.obj_names(|_| true);
        let weakable: Vec<String> = insts
            .iter()
            .filter(|n| match self.kind_of(n) {
                Some(AKind::Inst(c)) => self.classes[c].weakrefable,
                _ => false,
            })
            .cloned()
            .collect();
        let with_attrs: Vec<String> = insts
            .iter()
            .filter(|n| match self.names.get(*n) {
                Some(AVal::Obj(o)) => !self.objs[*o].attrs.is_empty(),
                _ => false,
            })
            .cloned()
            .collect();
        let with_keys: Vec<String> = dicts
            .iter()
            .filter(|n| match self.names.get(*n) {
                Some(AVal::Obj(o)) => !self.objs[*o].keys.is_empty(),
                _ => false,
            })
            .cloned()
            .collect();
        let nonempty: Vec<String> = lists
            .iter()
            .filter(|n| match self.names.get(*n) {
                Some(AVal::Obj(o)) => self.objs[*o].len > 0,
                _ => false,
            })
            .cloned()
            .collect();
        let w = |ok: bool, w: u32| if ok { w } else { 0 };
        let auto = self.flavor == Flavor::Automatic;
        let names: Vec<String> = self.names.keys().cloned().collect();
        let finalized_ok = !names.is_empty() && self.since >= Version::V3_9;
        let weights = [
            20,                           // 0 new instance
            w(!settable.is_empty(), 28),  // 1 set attribute
            6,                            // 2 new list
            5,                            // 3 new dict
            4,                            // 4 new tuple
            w(!lists.is_empty(), 6),      // 5 append
            w(!dicts.is_empty(), 5),      // 6 set item
            w(!held.is_empty(), 16),      // 7 release
            w(held.len() >= 2, 3),        // 8 rebind to another
            w(!with_attrs.is_empty(), 3), // 9 del attribute
            w(!with_keys.is_empty(), 2),  // 10 del key
            w(!nonempty.is_empty(), 2),   // 11 del index
            w(!weakable.is_empty(), 8),   // 12 weakref
            8,                            // 13 collect
            2,                            // 14 set_debug
            2,                            // 15 del gc.garbage[:]
            w(self.uses_saved, 2),        // 16 saved = None
            w(self.uses_keep, 1),         // 17 keep = []
            w(self.freeze_ok, 3),         // 18 freeze / unfreeze
            1,                            // 19 gc.garbage = []
            w(!settable.is_empty(), 8),   // 20 a ring of instances
            w(!settable.is_empty(), 3),   // 21 random_edges: over a new list of instances
            4,                            // 22 gc.get_count()
            1,                            // 23 gc.get_threshold()
            w(!names.is_empty(), 3),      // 24 gc.is_tracked(x)
            w(finalized_ok, 2),           // 25 gc.is_finalized(x)
            w(self.freeze_ok, 2),         // 26 gc.get_freeze_count()
            w(self.freeze_ok, 2),         // 27 gc.get_stats()
            w(auto, 2),                   // 28 gc.set_threshold(...)
            w(auto, 2),                   // 29 gc.enable() / gc.disable()
        ];
        let choice = self.rng.weighted(&weights);
        match choice {
            0 => self.new_instance(),
            1 => {
                let n = self.rng.pick(&settable).clone();
                let Some(AVal::Obj(o)) = self.names.get(&n).copied() else {
                    unreachable!()
                };
                let AKind::Inst(c) = self.objs[o].kind else {
                    unreachable!()
                };
                let attr = self.rng.pick(&self.classes[c].attrs).clone();
                let (vt, _) = self.value();
                self.emit(format!("{n}.{attr} = {vt}"));
                self.objs[o].attrs.insert(attr);
            }
            2 => {
                let k = self.rng.range(0, 3);
                let items: Vec<String> = (0..k).map(|_| self.value().0).collect();
                let name = self.rng.pick(LIST_NAMES).to_string();
                self.new_list_named(&name, items);
            }
            3 => {
                let k = self.rng.range(0, 2);
                let mut keys: Vec<&str> = KEYS.to_vec();
                self.rng.shuffle(&mut keys);
                let mut items = Vec::new();
                let mut set = BTreeSet::new();
                for key in keys.into_iter().take(k) {
                    let (vt, _) = self.value();
                    items.push(format!("'{key}': {vt}"));
                    set.insert(key.to_string());
                }
                let name = self.rng.pick(DICT_NAMES).to_string();
                let o = self.new_obj(AKind::Dict);
                self.objs[o].keys = set;
                self.emit(format!("{name} = {{{}}}", items.join(", ")));
                self.bind(&name, AVal::Obj(o));
            }
            4 => {
                let name = self.rng.pick(TUPLE_NAMES).to_string();
                let text = if self.rng.chance(10) {
                    // A compile-time constant.
                    "(1, 2)".to_string()
                } else {
                    let k = self.rng.range(1, 3);
                    let items: Vec<String> = (0..k).map(|_| self.value().0).collect();
                    if k == 1 {
                        format!("({},)", items[0])
                    } else {
                        format!("({})", items.join(", "))
                    }
                };
                let o = self.new_obj(AKind::Tuple);
                self.emit(format!("{name} = {text}"));
                self.bind(&name, AVal::Obj(o));
            }
            5 => {
                let n = self.rng.pick(&lists).clone();
                let (vt, _) = self.value();
                self.emit(format!("{n}.append({vt})"));
                if let Some(AVal::Obj(o)) = self.names.get(&n).copied() {
                    self.objs[o].len += 1;
                }
            }
            6 => {
                let n = self.rng.pick(&dicts).clone();
                let key = self.rng.pick(KEYS).to_string();
                let (vt, _) = self.value();
                self.emit(format!("{n}['{key}'] = {vt}"));
                if let Some(AVal::Obj(o)) = self.names.get(&n).copied() {
                    self.objs[o].keys.insert(key);
                }
            }
            7 => {
                let n = self.rng.pick(&held).clone();
                if self.rng.chance(8) {
                    let i = *self.rng.pick(&[0i64, 1]);
                    self.emit(format!("{n} = {i}"));
                    self.bind(&n, AVal::Int(i));
                } else {
                    self.release(&n);
                }
            }
            8 => {
                let target = self.rng.pick(&held).clone();
                let source = self.rng.pick(&held).clone();
                let v = self.names[&source];
                self.emit(format!("{target} = {source}"));
                self.bind(&target, v);
            }
            9 => {
                let n = self.rng.pick(&with_attrs).clone();
                let Some(AVal::Obj(o)) = self.names.get(&n).copied() else {
                    unreachable!()
                };
                let attrs: Vec<String> = self.objs[o].attrs.iter().cloned().collect();
                let attr = self.rng.pick(&attrs).clone();
                self.emit(format!("del {n}.{attr}"));
                self.objs[o].attrs.remove(&attr);
            }
            10 => {
                let n = self.rng.pick(&with_keys).clone();
                let Some(AVal::Obj(o)) = self.names.get(&n).copied() else {
                    unreachable!()
                };
                let keys: Vec<String> = self.objs[o].keys.iter().cloned().collect();
                let key = self.rng.pick(&keys).clone();
                self.emit(format!("del {n}['{key}']"));
                self.objs[o].keys.remove(&key);
            }
            11 => {
                let n = self.rng.pick(&nonempty).clone();
                let Some(AVal::Obj(o)) = self.names.get(&n).copied() else {
                    unreachable!()
                };
                let len = self.objs[o].len as i64;
                let i = if self.rng.chance(50) {
                    0
                } else {
                    self.rng.below(len as u64) as i64 - if self.rng.chance(30) { len } else { 0 }
                };
                self.emit(format!("del {n}[{i}]"));
                self.objs[o].len -= 1;
            }
            12 => {
                let mut r = self.rng.pick(&weakable).clone();
                if let Some(cw) = self.class_weakrefs.as_mut()
                    && cw.chance(35)
                {
                    let i = cw.below(self.classes.len() as u64) as usize;
                    r = self.classes[i].name.clone();
                }
                let name = self.rng.pick(WEAK_NAMES).to_string();
                let cb = if self.rng.chance(60) {
                    if self.on_clear.as_mut().is_some_and(|s| s.chance(50)) {
                        ", on_clear"
                    } else {
                        ", callback"
                    }
                } else {
                    ""
                };
                // Sometimes a proxy instead (its own side stream): a value like a weakref,
                // which no later statement reads or writes through.
                let kind = if self.proxies.as_mut().is_some_and(|p| p.chance(50)) {
                    "proxy"
                } else {
                    "ref"
                };
                let o = self.new_obj(AKind::WeakRef);
                self.emit(format!("{name} = weakref.{kind}({r}{cb})"));
                self.bind(&name, AVal::Obj(o));
            }
            13 => self.collect(),
            14 => {
                let on = if self.saveall {
                    self.rng.chance(20)
                } else {
                    self.rng.chance(80)
                };
                self.saveall = on;
                self.emit(if on {
                    "gc.set_debug(gc.DEBUG_SAVEALL)".to_string()
                } else {
                    "gc.set_debug(0)".to_string()
                });
            }
            15 => self.emit("del gc.garbage[:]".to_string()),
            16 => self.emit(format!("{SAVED} = None")),
            17 => self.new_list_named(KEEP, Vec::new()),
            19 => self.emit("gc.garbage = []".to_string()),
            22 => self.emit("gc.get_count()".to_string()),
            23 => self.emit("gc.get_threshold()".to_string()),
            24 | 25 => {
                let n = self.rng.pick(&names).clone();
                let f = if choice == 24 {
                    "is_tracked"
                } else {
                    "is_finalized"
                };
                self.emit(format!("gc.{f}({n})"));
            }
            26 => self.emit("gc.get_freeze_count()".to_string()),
            27 => self.emit("gc.get_stats()".to_string()),
            28 => self.set_threshold(),
            29 => {
                self.enabled = !self.enabled;
                self.emit(if self.enabled {
                    "gc.enable()".to_string()
                } else {
                    "gc.disable()".to_string()
                });
            }
            21 => {
                // A new list of instances whose classes all take the drawn attributes (the
                // finalizers never shorten it or delete attributes), then random edges on it.
                let n = self.rng.pick(&settable).clone();
                let Some(AKind::Inst(c)) = self.kind_of(&n) else {
                    unreachable!()
                };
                let mut attrs = self.classes[c].attrs.clone();
                self.rng.shuffle(&mut attrs);
                let k = self.rng.range(1, attrs.len());
                attrs.truncate(k);
                let mut members: Vec<String> = settable
                    .iter()
                    .filter(|m| match self.kind_of(m) {
                        Some(AKind::Inst(mc)) => {
                            attrs.iter().all(|a| self.classes[mc].attrs.contains(a))
                        }
                        _ => false,
                    })
                    .cloned()
                    .collect();
                self.rng.shuffle(&mut members);
                let k = self.rng.range(1, members.len());
                members.truncate(k);
                if self.rng.chance(30) {
                    members.push(members[0].clone());
                }
                let list = self.rng.pick(LIST_NAMES).to_string();
                self.new_list_named(&list, members.clone());
                let seed = self.rng.below(1 << 20);
                self.emit(crate::scenario::random_edges_text(&list, &attrs, seed));
                for m in &members {
                    if let Some(AVal::Obj(o)) = self.names.get(m).copied() {
                        self.objs[o].attrs.extend(attrs.iter().cloned());
                    }
                }
            }
            20 => {
                // a.x = b, b.y = c, c.z = a (or a self-loop): a cycle for sure.
                let k = self.rng.range(1, settable.len().min(3));
                let mut ring = settable.clone();
                self.rng.shuffle(&mut ring);
                ring.truncate(k);
                for j in 0..k {
                    let (from, to) = (ring[j].clone(), ring[(j + 1) % k].clone());
                    let Some(AVal::Obj(o)) = self.names.get(&from).copied() else {
                        unreachable!()
                    };
                    let AKind::Inst(c) = self.objs[o].kind else {
                        unreachable!()
                    };
                    let attr = self.rng.pick(&self.classes[c].attrs).clone();
                    self.emit(format!("{from}.{attr} = {to}"));
                    self.objs[o].attrs.insert(attr);
                }
            }
            _ => {
                let s = if self.frozen && self.rng.chance(70) {
                    self.frozen = false;
                    "gc.unfreeze()"
                } else {
                    self.frozen = true;
                    "gc.freeze()"
                };
                self.emit(s.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_items_are_quoted_only_when_needed() {
        assert_eq!(yaml_item("x = []"), "x = []");
        assert_eq!(yaml_item("del gc.garbage[:]"), "del gc.garbage[:]");
        assert_eq!(yaml_item("m1 = {'k1': a}"), "\"m1 = {'k1': a}\"");
    }

    #[test]
    fn drafts_render_every_part() {
        let d = Draft {
            versions: vec!["3.7+".into()],
            classes: vec![
                DraftClass {
                    name: "A".into(),
                    bases: Vec::new(),
                    del: Some(vec!["global saved".into(), "saved = self".into()]),
                    slots: Some(vec!["x".into()]),
                    methods: vec![("handle".into(), vec!["self.x = self".into()])],
                    staticmethods: Vec::new(),
                    classmethods: vec![("create".into(), vec!["cls.reg = cls".into()])],
                },
                DraftClass {
                    name: "B".into(),
                    bases: vec!["A".into()],
                    del: None,
                    slots: None,
                    methods: Vec::new(),
                    staticmethods: vec![("make".into(), vec!["pass".into()])],
                    classmethods: Vec::new(),
                },
            ],
            callbacks: vec![("on_clear".into(), vec!["keep.append(wr)".into()])],
            record: true,
            steps: vec!["a = A()".into(), "m1 = {'k1': a}".into()],
        };
        assert_eq!(
            d.to_yaml("two\nlines"),
            "description: |\n  two\n  lines\nversions: [\"3.7+\"]\nclasses:\n  A:\n    __slots__: [\"x\"]\n    __del__:\n      - global saved\n      - saved = self\n    methods:\n      handle:\n        - self.x = self\n    classmethods:\n      create:\n        - cls.reg = cls\n  B:\n    bases: [A]\n    staticmethods:\n      make:\n        - pass\nrecord: collections\ncallbacks:\n  on_clear:\n    - keep.append(wr)\nsteps:\n  - a = A()\n  - \"m1 = {'k1': a}\"\n"
        );
        assert_eq!(d.size(), 6);
    }
}
