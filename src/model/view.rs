//! The model's public surface for looking at a run: a read-only [`View`] of the modelled
//! interpreter between two top-level statements (what `gcconform graph` draws and the fuzzer's
//! invariants check), and a [`HeapBuilder`] that builds a heap directly, without statements
//! (what `gcconform bench` collects).
//!
//! The interpreter state itself (`Machine`) is private to the model: other modules see objects
//! only as [`Id`]s, and ask the view what CPython's `gc` module and C API would answer
//! (`gc.get_objects(generation)`, `gc.get_referents`, `gc.get_count`, `Py_REFCNT`, ...), plus
//! the model's own bookkeeping (labels, the trace so far).

use super::heap::{Id, Kind, Val};
use super::machine::{Exc, Machine};
use super::profile::Profile;
use crate::scenario::Scenario;
use crate::trace::Event;
use crate::version::Version;

/// What kind of object an id is (as its type would say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjKind {
    /// An instance of scenario class number `class` (an index into `Scenario::classes`).
    Instance {
        class: usize,
    },
    List,
    Dict,
    Tuple,
    /// A set, or a frozenset (`frozen`).
    Set {
        frozen: bool,
    },
    /// A `weakref.ref`: its referent (None once cleared), and whether it carries the scenario's
    /// callback.
    WeakRef {
        referent: Option<Id>,
        callback: bool,
        /// A `weakref.proxy`, not a `weakref.ref`.
        proxy: bool,
    },
    /// A function of `def` number `def` (`Scenario::defs`).
    Function {
        def: usize,
    },
    /// A cell of a function's variable.
    Cell,
    /// A bound method: method number `method` of class `class`, bound to `im_self`.
    Method {
        im_self: Id,
        class: usize,
        method: usize,
    },
    /// The type object of scenario class `class` (a class statement's heap type).
    Type {
        class: usize,
    },
    /// A descriptor in a type's dict: a member (a `__slots__` value slot) or a getset
    /// (`__dict__`, `__weakref__`).
    Descriptor {
        getset: bool,
    },
    /// The function of a method or `__del__` (`method` None) of scenario class `class`.
    MethodFunction {
        class: usize,
        method: Option<usize>,
    },
    /// The `staticmethod` or `classmethod` object of method `method` of scenario class
    /// `class`, in the class's dict.
    Decorated {
        class: usize,
        method: usize,
    },
    /// A traceback object (`tb_next`, `tb_frame`).
    Traceback,
    /// The frame object of a call that returned while something held it (a traceback).
    Frame,
}

/// A reference an object holds, named by where it holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// `.attr` (a slot or an attribute value), `__dict__`, `[i]` (a list or tuple item),
    /// `['key']` (a dict entry) or `weakref` (a weak reference's referent).
    pub label: String,
    pub to: Id,
    /// A weak reference (not counted in the referent's reference count).
    pub weak: bool,
}

/// A read-only look at the model between statements. Cheap to copy; it borrows the run.
#[derive(Clone, Copy)]
pub struct View<'a> {
    m: &'a Machine<'a>,
}

impl<'a> View<'a> {
    pub(super) fn new(m: &'a Machine<'a>) -> View<'a> {
        View { m }
    }

    // ------------------------------------------------------------ the run

    /// The version profile the model runs under.
    pub fn profile(&self) -> &'a Profile {
        &self.m.p
    }

    /// The scenario being run.
    pub fn scenario(&self) -> &'a Scenario {
        self.m.sc
    }

    /// The trace so far (the final `End` and observation come after the last statement).
    pub fn events(&self) -> &'a [Event] {
        &self.m.events
    }

    /// How many collections have run so far (explicit and automatic); 0 when the run keeps no
    /// journal (only journaled runs count them).
    pub fn collections(&self) -> usize {
        self.m.journal.as_ref().map_or(0, |j| j.collections)
    }

    /// How many `__del__` or callback frames are running (0 between top-level statements).
    pub fn frame_depth(&self) -> usize {
        self.m.frames.len()
    }

    // ------------------------------------------------------------ the gc module's state

    /// `gc.get_count()`: the allocation count of generation 0 and the collection counts of
    /// generations 1 and 2.
    pub fn count(&self) -> [i64; 3] {
        self.m.count
    }

    /// `gc.get_threshold()`.
    pub fn threshold(&self) -> [i64; 3] {
        self.m.threshold
    }

    /// `gc.isenabled()`.
    pub fn isenabled(&self) -> bool {
        self.m.enabled
    }

    /// `gc.get_objects(generation)` (3.8+), in list order: the objects linked in generation
    /// `generation` (0, 1 or 2; list order is the collector's scan order).
    pub fn generation(&self, generation: usize) -> Vec<Id> {
        self.m.heap.members(self.m.gens[generation])
    }

    /// The permanent generation (`gc.freeze()`), in list order.
    pub fn permanent(&self) -> Vec<Id> {
        self.m.heap.members(self.m.permanent)
    }

    // ------------------------------------------------------------ roots

    /// The module's globals dict (held once by the module itself).
    pub fn globals(&self) -> Id {
        self.m.globals
    }

    /// The global names bound to objects, in the globals dict's iteration order.
    pub fn names(&self) -> Vec<(String, Id)> {
        let mut out = Vec::new();
        if let Kind::Dict(d) = self.m.heap.kind(self.m.globals) {
            for i in d.order() {
                if let Some((k, Val::Obj(o))) = &d.entries[i] {
                    out.push((k.to_string(), *o));
                }
            }
        }
        out
    }

    /// The list the module attribute `gc.garbage` is bound to (held once by the attribute).
    pub fn garbage(&self) -> Id {
        self.m.garbage_attr
    }

    /// The weak references to classes that their bases' `tp_subclasses` hold, with how many
    /// holds each (outside the modelled heap: `add_subclass`), and the `tp_subclasses` the
    /// model has, each held once by its type (which `type_traverse` does not visit).
    pub fn subclass_holds(&self) -> impl Iterator<Item = (Id, i64)> + '_ {
        let refs = self
            .m
            .classes
            .iter()
            .filter(|c| c.subclass_holds > 0)
            .map(|c| (c.subclass_ref, c.subclass_holds));
        refs.chain(self.subclass_containers().map(|c| (c, 1)))
    }

    /// What the exceptions being handled hold (2.7's thread state keeps one after its `except`
    /// block, between statements): each exception and traceback, once per hold.
    pub fn handled_refs(&self) -> impl Iterator<Item = Id> + '_ {
        self.m
            .handled
            .iter()
            .chain(self.m.curexc.iter())
            .flat_map(|h| [h.exc, h.tb])
            .filter(|&i| i != super::heap::NIL)
    }

    /// The bases' `tp_subclasses` the model has (those a class statement among the steps
    /// made), each held once by its type.
    pub fn subclass_containers(&self) -> impl Iterator<Item = Id> + '_ {
        self.m
            .classes
            .iter()
            .map(|c| c.subclass_container)
            .filter(|&c| c != super::heap::NIL)
    }

    /// Each class's weak reference that its bases' `tp_subclasses` hold (its basic ref), with
    /// how many of them hold it, modelled or not: CPython's own bookkeeping, which `graph`
    /// draws only where the program holds the reference too.
    pub fn subclass_refs(&self) -> impl Iterator<Item = (Id, i64)> + '_ {
        let m = self.m;
        m.classes
            .iter()
            .enumerate()
            .filter(|(_, c)| c.subclass_ref != super::heap::NIL)
            .map(move |(i, c)| {
                let name = &m.sc.classes[i].name;
                let in_dicts = m
                    .classes
                    .iter()
                    .filter(|k| k.subclass_container != super::heap::NIL)
                    .filter(|k| match m.heap.kind(k.subclass_container) {
                        super::heap::Kind::Dict(d) => d.get(name).is_some(),
                        _ => false,
                    })
                    .count() as i64;
                (c.subclass_ref, c.subclass_holds + in_dicts)
            })
    }

    /// The collector's own garbage list (held once by the C static, or the interpreter state);
    /// the same list as [`View::garbage`] unless the scenario rebound `gc.garbage`.
    pub fn collector_garbage(&self) -> Id {
        self.m.garbage_internal
    }

    // ------------------------------------------------------------ objects

    /// Every id ever allocated, in creation order (ids are never reused). Some are list heads
    /// ([`View::kind`] is None) and some are freed.
    pub fn ids(&self) -> std::ops::Range<Id> {
        0..self.m.heap.count()
    }

    /// What `id` is; None for the model's list heads (generation and temporary list heads,
    /// which are not Python objects). A freed object keeps its kind.
    pub fn kind(&self, id: Id) -> Option<ObjKind> {
        Some(match self.m.heap.kind(id) {
            Kind::Instance(i) => ObjKind::Instance { class: i.class() },
            Kind::List(_) => ObjKind::List,
            Kind::Dict(_) => ObjKind::Dict,
            Kind::Tuple(_) => ObjKind::Tuple,
            Kind::Set(s) => ObjKind::Set { frozen: s.frozen },
            Kind::WeakRef {
                referent,
                callback,
                flavor,
            } => ObjKind::WeakRef {
                referent: *referent,
                callback: callback.is_some(),
                proxy: flavor.is_proxy(),
            },
            Kind::Method {
                im_self,
                class,
                method,
                ..
            } => ObjKind::Method {
                im_self: *im_self,
                class: *class as usize,
                method: *method as usize,
            },
            Kind::Function { def, .. } => ObjKind::Function { def: *def as usize },
            Kind::Cell(_) => ObjKind::Cell,
            Kind::Type { class, .. } => ObjKind::Type {
                class: *class as usize,
            },
            Kind::Descr { getset, .. } => ObjKind::Descriptor { getset: *getset },
            Kind::MethodFunc { class, method, .. } => ObjKind::MethodFunction {
                class: *class as usize,
                method: (*method != super::heap::DEL_METHOD).then_some(*method as usize),
            },
            Kind::Decorated { class, method, .. } => ObjKind::Decorated {
                class: *class as usize,
                method: *method as usize,
            },
            Kind::Traceback { .. } => ObjKind::Traceback,
            Kind::Frame(fr) if fr.escaped => ObjKind::Frame,
            Kind::Head | Kind::Frame(_) => return None,
        })
    }

    /// What a cell is for, `cell for x in make` (known when the run kept a journal, as
    /// `explain` and `graph` runs do).
    pub fn cell_name(&self, id: Id) -> Option<&'a str> {
        self.m.cell_names.get(&id).map(String::as_str)
    }

    /// A function object's name (its `def`'s), if `id` is one.
    pub fn function_name(&self, id: Id) -> Option<&'a str> {
        match self.m.heap.kind(id) {
            Kind::Function { def, .. } => Some(self.m.defs[*def as usize].name.as_str()),
            _ => None,
        }
    }

    /// A constant of a code object the model made (a `def`'s tuple of constant defaults, 3.x):
    /// the code object holds a reference that no object of the model shows.
    pub fn is_code_constant(&self, id: Id) -> bool {
        self.m.const_defaults.values().any(|c| *c == id)
            || self.m.class_constants.contains(&id)
            || self.m.tuple_constants.contains(&id)
    }

    /// The object was deallocated.
    pub fn is_freed(&self, id: Id) -> bool {
        self.m.heap.is_freed(id)
    }

    /// `Py_REFCNT`.
    pub fn refcnt(&self, id: Id) -> i64 {
        self.m.heap.refcnt(id)
    }

    /// `_PyObject_GC_IS_TRACKED`: linked into a generation (or a collection's working list).
    pub fn is_tracked(&self, id: Id) -> bool {
        self.m.heap.is_tracked(id)
    }

    /// `PyObject_IS_GC`: the object's type is a GC type (it has a `PyGC_Head`).
    pub fn is_gc(&self, id: Id) -> bool {
        self.m.heap.is_gc(id)
    }

    /// The label traces show: the object's label, or `<type>`.
    pub fn label(&self, id: Id) -> String {
        self.m.label(id)
    }

    /// A label for people: the object's label, or for an unlabelled bound method what it is
    /// (`bound method A.handle of a`), or `<type>`.
    pub fn describe(&self, id: Id) -> String {
        self.m.describe(id)
    }

    /// What a bound method is (`bound method A.handle of a`, with its instance's label); None
    /// for other objects.
    pub fn method_text(&self, id: Id) -> Option<String> {
        self.m.method_text(id)
    }

    /// The label the object was given when first bound to a name (None for objects never
    /// bound, which traces show as `<type>`).
    pub fn given_label(&self, id: Id) -> Option<&'a str> {
        self.m.heap.label_of(id)
    }

    /// `type(x).__name__`: the scenario class name, `list`, `dict`, `tuple`, `weakref`.
    pub fn type_name(&self, id: Id) -> String {
        self.m.type_name(id)
    }

    /// The `__dict__` object of an instance, if it has one (≤3.10 after its first attribute
    /// store; 3.11+ only when its class's shared keys overflowed).
    pub fn instance_dict(&self, id: Id) -> Option<Id> {
        match self.m.heap.kind(id) {
            Kind::Instance(i) => i.dict,
            _ => None,
        }
    }

    /// `gc.get_referents(x)` (`tp_traverse`): the objects `id` references, in CPython's visit
    /// order (lists and tuples last to first; an instance's `__dict__` instead of its inline
    /// values); weak references visit nothing.
    pub fn referents(&self, id: Id) -> Vec<Id> {
        self.m.heap.referents(id)
    }

    /// Every strong reference the object stores, with multiplicity, read from where the model
    /// keeps it rather than through `tp_traverse` (slots, inline values *and* `__dict__` of an
    /// instance; items; dict values): what the object's references add to reference counts.
    pub fn references(&self, id: Id) -> Vec<Id> {
        let heap = &self.m.heap;
        let vals = |v: &[Val]| v.iter().filter_map(|x| x.obj()).collect::<Vec<_>>();
        match heap.kind(id) {
            Kind::Instance(i) => {
                let mut out: Vec<Id> = (0..i.nslots as usize)
                    .filter_map(|k| heap.slot(id, k).and_then(|x| x.obj()))
                    .collect();
                out.extend(
                    (0..i.inline_cap()).filter_map(|k| heap.inline(id, k).and_then(|x| x.obj())),
                );
                out.extend(i.dict);
                // `PyType_GenericAlloc` took a reference to the (heap) type.
                out.push(heap.class_type(i.class()));
                out
            }
            Kind::List(items) | Kind::Tuple(items) => vals(items),
            Kind::Dict(d) => d
                .entries
                .iter()
                .flatten()
                .filter_map(|(_, v)| v.obj())
                .collect(),
            // What these hold is exactly what their `tp_traverse` visits.
            Kind::Set(_)
            | Kind::Method { .. }
            | Kind::Type { .. }
            | Kind::Descr { .. }
            | Kind::MethodFunc { .. }
            | Kind::Decorated { .. } => heap.referents(id),
            Kind::Function {
                globals,
                defaults,
                closure,
                ..
            } => {
                let mut v: Vec<Id> = Some(*globals)
                    .filter(|g| *g != super::heap::NIL)
                    .into_iter()
                    .collect();
                v.extend(defaults);
                v.extend(closure);
                v
            }
            Kind::Cell(c) => c.and_then(|x| x.obj()).into_iter().collect(),
            Kind::Traceback { .. } => heap.referents(id),
            Kind::Frame(fr) if fr.escaped => heap.referents(id),
            Kind::WeakRef { .. } | Kind::Head | Kind::Frame(_) => Vec::new(),
        }
    }

    /// The references an object holds, named by where it holds them, in a stable order: an
    /// instance's slots (sorted), its inline values (by shared-key index), its `__dict__`; a
    /// list's or tuple's items first to last; a dict's entries in iteration order; a weakref's
    /// referent (weak).
    pub fn edges(&self, id: Id) -> Vec<Edge> {
        let (m, heap) = (self.m, &self.m.heap);
        let mut out = Vec::new();
        let mut push = |label: String, to: Id, weak: bool| out.push(Edge { label, to, weak });
        match heap.kind(id) {
            Kind::Instance(inst) => {
                let cs = &m.classes[inst.class()];
                // An exception's hidden slots follow its class's own (it has none).
                let exception = m.sc.classes[inst.class()].exception;
                for k in 0..inst.nslots as usize {
                    if let Some(Val::Obj(o)) = heap.slot(id, k) {
                        let name = match (exception, k) {
                            (true, 0) => "__traceback__".to_string(),
                            (true, 1) => "__cause__".to_string(),
                            (true, _) => "__context__".to_string(),
                            _ => cs
                                .slots
                                .get(k)
                                .cloned()
                                .unwrap_or_else(|| format!("slot{k}")),
                        };
                        push(format!(".{name}"), o, false);
                    }
                }
                for k in 0..inst.inline_cap() {
                    if let Some(Val::Obj(o)) = heap.inline(id, k) {
                        let name = cs
                            .keys
                            .get(k)
                            .cloned()
                            .unwrap_or_else(|| format!("attr{k}"));
                        push(format!(".{name}"), o, false);
                    }
                }
                if let Some(d) = inst.dict {
                    push("__dict__".into(), d, false);
                }
            }
            Kind::List(items) | Kind::Tuple(items) => {
                for (k, v) in items.iter().enumerate() {
                    if let Val::Obj(o) = v {
                        push(format!("[{k}]"), *o, false);
                    }
                }
            }
            Kind::Dict(d) => {
                for i in d.order() {
                    if let Some((k, Val::Obj(o))) = &d.entries[i] {
                        push(format!("['{k}']"), *o, false);
                    }
                }
            }
            Kind::Set(set) => {
                for o in set.keys() {
                    push("item".into(), o, false);
                }
            }
            Kind::WeakRef {
                referent: Some(r),
                flavor,
                ..
            } => push(
                if flavor.is_proxy() {
                    "proxy"
                } else {
                    "weakref"
                }
                .into(),
                *r,
                true,
            ),
            Kind::Method {
                im_self,
                im_func,
                im_class,
                ..
            } => {
                push("__func__".into(), *im_func, false);
                if *im_self != super::heap::NIL {
                    push("__self__".into(), *im_self, false);
                }
                if *im_class != super::heap::NIL {
                    push("im_class".into(), *im_class, false);
                }
            }
            Kind::Type {
                dict,
                mro,
                bases,
                base,
                ..
            } => {
                for (l, r) in [
                    ("__dict__", *dict),
                    ("__mro__", *mro),
                    ("__bases__", *bases),
                    ("__base__", *base),
                ] {
                    if r != super::heap::NIL {
                        push(l.into(), r, false);
                    }
                }
            }
            Kind::Descr { owner, .. } => push("__objclass__".into(), *owner, false),
            Kind::MethodFunc {
                globals,
                annotations,
                ..
            } => {
                if *globals != super::heap::NIL {
                    push("__globals__".into(), *globals, false);
                }
                if *annotations != super::heap::NIL {
                    push("__annotations__".into(), *annotations, false);
                }
            }
            Kind::Decorated { func, dict, .. } => {
                if *func != super::heap::NIL {
                    push("__func__".into(), *func, false);
                }
                if *dict != super::heap::NIL {
                    push("__dict__".into(), *dict, false);
                }
            }
            Kind::Function {
                globals,
                defaults,
                closure,
                ..
            } => {
                if *globals != super::heap::NIL {
                    push("__globals__".into(), *globals, false);
                }
                if let Some(d) = defaults {
                    push("__defaults__".into(), *d, false);
                }
                if let Some(c) = closure {
                    push("__closure__".into(), *c, false);
                }
            }
            Kind::Cell(Some(Val::Obj(o))) => push("cell_contents".into(), *o, false),
            Kind::Cell(_) => {}
            Kind::Traceback { next, frame } => {
                if *next != super::heap::NIL {
                    push("tb_next".into(), *next, false);
                }
                if *frame != super::heap::NIL {
                    push("tb_frame".into(), *frame, false);
                }
            }
            Kind::Frame(fr) if fr.escaped => {
                if fr.back != super::heap::NIL {
                    push("f_back".into(), fr.back, false);
                }
                if fr.func != super::heap::NIL {
                    push("f_func".into(), fr.func, false);
                }
                for (k, v) in fr.locals.iter().enumerate() {
                    if let Val::Obj(o) = v {
                        let name = fr
                            .names
                            .get(k)
                            .map_or_else(|| format!("local{k}"), |n| n.to_string());
                        push(name, *o, false);
                    }
                }
            }
            Kind::WeakRef { referent: None, .. } | Kind::Head | Kind::Frame(_) => {}
        }
        out
    }
}

/// Builds a heap directly, without scenario statements: `gcconform bench` makes heaps of
/// millions of objects with it, then times one collection. Each operation is what the C API
/// call it names does in the model (allocation counts, tracking, reference counts), but no
/// statement runs: no eval-breaker checks, no labels, no trace.
pub struct HeapBuilder<'s> {
    m: Machine<'s>,
}

impl<'s> HeapBuilder<'s> {
    /// A fresh interpreter of `version` that knows `scenario`'s classes (its steps are not run).
    pub fn new(scenario: &'s Scenario, version: Version) -> HeapBuilder<'s> {
        HeapBuilder {
            m: Machine::new(scenario, Profile::for_version(version)),
        }
    }

    /// `PyObject_CallNoArgs(cls)` for scenario class number `class`: a new instance (counted by
    /// `_PyObject_GC_Alloc`, tracked at once for GC classes); the caller owns its one reference.
    pub fn new_instance(&mut self, class: usize) -> Id {
        let id = self.m.new_instance(class);
        self.m.heap.hdr_mut(id).refcnt = 1;
        id
    }

    /// `PyObject_SetAttrString(obj, attr, value)` on an instance: the attribute takes a new
    /// reference to `value` (the caller keeps its own); fails as Python would (an attribute
    /// `__slots__` do not allow).
    pub fn set_attr(&mut self, obj: Id, attr: &str, value: Id) -> Result<(), Exc> {
        self.m.setattr(obj, attr, Val::Obj(value))
    }

    /// `PyList_New(n)` then `PyList_SET_ITEM` for each item: a new tracked list that steals the
    /// caller's references to `items`; the caller owns the list's one reference.
    pub fn new_list(&mut self, items: &[Id]) -> Id {
        let list = self
            .m
            .new_object(Kind::List(items.iter().map(|i| Val::Obj(*i)).collect()));
        self.m.heap.hdr_mut(list).refcnt = 1;
        self.m.track(list);
        list
    }

    /// `PyDict_SetItemString(globals, name, value)` stealing the caller's reference to `value`
    /// (None binds `None`): the module-level name now refers to it; what the name held before
    /// is released, and may be deallocated.
    pub fn bind(&mut self, name: &str, value: Option<Id>) {
        self.m.store(name, value.map_or(Val::None, Val::Obj));
    }

    /// `gc.collect(generation)`: run a collection; returns the number of unreachable objects
    /// found (collected plus uncollectable).
    pub fn collect(&mut self, generation: usize) -> i64 {
        self.m.gc_collect_api(generation)
    }

    /// Bytes the model's heap owns now (headers, kinds, values, container contents, weak
    /// reference lists, labels): the benchmark's model memory per object.
    pub fn footprint(&self) -> usize {
        self.m.heap.footprint()
    }

    /// A read-only view of what was built.
    pub fn view(&self) -> View<'_> {
        View::new(&self.m)
    }
}

/// Test support: a machine stepped by hand and damaged on purpose, so that the fuzzer's
/// invariant checks can be shown to catch each kind of corruption.
#[cfg(test)]
pub(crate) struct Lab<'s> {
    m: Machine<'s>,
}

#[cfg(test)]
impl<'s> Lab<'s> {
    pub(crate) fn new(scenario: &'s Scenario, version: Version) -> Lab<'s> {
        Lab {
            m: Machine::new(scenario, Profile::for_version(version)),
        }
    }

    /// Execute one statement.
    pub(crate) fn exec(&mut self, step: &crate::scenario::Step) -> Result<(), Exc> {
        self.m.exec(step)
    }

    pub(crate) fn view(&self) -> View<'_> {
        View::new(&self.m)
    }

    /// Overwrite an object's reference count.
    pub(crate) fn set_refcnt(&mut self, id: Id, refcnt: i64) {
        self.m.heap.hdr_mut(id).refcnt = refcnt;
    }

    /// Mark an object freed without deallocating anything it holds.
    pub(crate) fn mark_freed(&mut self, id: Id) {
        self.m.heap.free(id);
    }

    /// Append an event to the trace.
    pub(crate) fn push_event(&mut self, e: Event) {
        self.m.events.push(e);
    }
}
