//! The interpreter side of the model: names, frames, statements, allocation and the trace.
//!
//! Statements act as CPython's bytecode for them does: a store increfs the new value before it
//! decrefs the old one (`insertdict`), containers maintain their tracking (`MAINTAIN_TRACKING`),
//! and every allocation of a GC object goes through [`Machine::gc_alloc`], which counts it in
//! generation 0 and may start an automatic collection, as `_PyObject_GC_Alloc` does.

use super::dict27::Table27;
use super::heap::{DictObj, Heap, Id, Kind, NIL, Val};
use super::journal::{AliveWhy, Ctx, Journal, Note};
use super::profile::{AutoGc, InstanceLayout, Profile};
use crate::scenario::{ClassDef, Scenario, Step, Stmt, Target, Value};
use crate::trace::Event;
use std::collections::{HashMap, HashSet};

/// A Python exception raised by a statement (its type name and a detail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exc {
    pub kind: &'static str,
    pub detail: String,
}

pub type PyResult<T> = Result<T, Exc>;

fn exc(kind: &'static str, detail: impl Into<String>) -> Exc {
    Exc {
        kind,
        detail: detail.into(),
    }
}

/// Per-class state that CPython keeps in the type object.
#[derive(Debug, Clone, Default)]
pub struct ClassState {
    /// 3.11+ shared keys: attribute names in key-index order.
    pub keys: Vec<String>,
    /// `dk_usable` of the shared keys.
    pub usable: i64,
    /// Sorted value-slot names.
    pub slots: Vec<String>,
    pub has_dict: bool,
    pub weakrefable: bool,
    pub is_gc: bool,
    /// Attributes go to the inline values array (3.11+ managed dict).
    pub inline: bool,
    /// Local names of `__del__` in `co_varnames` order (`self` first).
    pub del_locals: Vec<String>,
    pub del_globals: HashSet<String>,
}

/// A running `__del__` or callback.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    pub class: Option<usize>,
    pub locals: Vec<(String, Option<Val>)>,
}

/// Container free lists (`free_list` in listobject.c/dictobject.c, per-size tuple lists).
#[derive(Debug, Clone, Default)]
pub struct FreeLists {
    pub lists: usize,
    pub dicts: usize,
    pub tuples: HashMap<usize, usize>,
    /// Bound method objects (`PyMethod` free list, 2.7/3.6 `x.append`, `__del__` lookup).
    pub methods: usize,
}

/// A short-lived object CPython creates around a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temp {
    /// An argument tuple of this size (`METH_VARARGS`, type calls, 2.7 method calls).
    Tuple(usize),
    /// A bound method object.
    Method,
}

pub const METHOD_MAXFREELIST: usize = 256;

pub const LIST_MAXFREELIST: usize = 80;
/// How deep `__del__` calls may nest before the call fails (CPython's recursion limit is 1000
/// frames; the model stops earlier to keep its own stack bounded).
pub const MAX_FRAMES: usize = 400;
/// The most statements one run may execute, counting `__del__` bodies: a finalizer that keeps
/// creating finalizable objects never ends (in CPython too).
pub const MAX_EXECUTED: u64 = 5_000_000;
pub const DICT_MAXFREELIST: usize = 80;
pub const TUPLE_MAXFREELIST: usize = 2000;
pub const TUPLE_MAXSAVESIZE: usize = 20;

/// The whole modelled interpreter state.
pub struct Machine<'s> {
    pub(super) p: Profile,
    pub(super) sc: &'s Scenario,
    pub(super) heap: Heap,
    /// Generation list heads, youngest first.
    pub(super) gens: [Id; 3],
    pub(super) permanent: Id,
    pub(super) count: [i64; 3],
    pub(super) threshold: [i64; 3],
    pub(super) enabled: bool,
    pub(super) saveall: bool,
    pub(super) collecting: bool,
    pub(super) long_lived_pending: i64,
    pub(super) long_lived_total: i64,
    /// The module's globals dict.
    pub(super) globals: Id,
    /// The collector's own garbage list (C static / interpreter state).
    pub(super) garbage_internal: Id,
    /// What the module attribute `gc.garbage` is bound to.
    pub(super) garbage_attr: Id,
    pub(super) frames: Vec<Frame>,
    pub(super) classes: Vec<ClassState>,
    name_counts: HashMap<String, u32>,
    pub(super) events: Vec<Event>,
    pub(super) trash_nesting: u32,
    pub(super) trash_later: Vec<Id>,
    pub(super) freelists: FreeLists,
    /// 3.12+: a collection was scheduled and waits for the eval breaker.
    gc_pending: bool,
    /// Some scenario class defines `__del__` (else `finalize_garbage` has nothing to do).
    pub(super) any_finalizer: bool,
    /// A weakref object was ever created (else `handle_weakrefs` has nothing to do).
    pub(super) weakrefs_exist: bool,
    /// For the journal: the object whose weakrefs `PyObject_ClearWeakRefs` is clearing.
    pub(super) callback_referent: Option<String>,
    /// Statements executed so far (top level and finalizers).
    executed: u64,
    /// The run exceeded [`MAX_EXECUTED`]: everything fails from now on.
    pub(super) runaway: bool,
    /// `observe`'s marks per id, and the stamp of the latest observation.
    obs_mark: Vec<u32>,
    obs_epoch: u32,
    /// Code objects that already have a cached ("zombie") frame, ≤3.10: `__del__` of a class
    /// (by class index), or the callback (`usize::MAX`).
    zombie_frames: HashSet<usize>,
    /// The next collection is an automatic one (for the journal).
    pub(super) auto_collect: bool,
    /// The model's account of its decisions, when `explain` asked for one.
    pub(super) journal: Option<Box<Journal>>,
}

impl<'s> Machine<'s> {
    pub fn new(sc: &'s Scenario, p: Profile) -> Self {
        let mut heap = Heap::default();
        let gens = [heap.new_head(), heap.new_head(), heap.new_head()];
        let permanent = heap.new_head();
        let classes = sc.classes.iter().map(|c| class_state(c, &p)).collect();
        let mut m = Machine {
            p,
            sc,
            heap,
            gens,
            permanent,
            count: [0; 3],
            threshold: [p.thresholds.0, p.thresholds.1, p.thresholds.2],
            enabled: false,
            saveall: false,
            collecting: false,
            long_lived_pending: 0,
            long_lived_total: 0,
            globals: NIL,
            garbage_internal: NIL,
            garbage_attr: NIL,
            frames: Vec::new(),
            classes,
            name_counts: HashMap::new(),
            events: Vec::new(),
            trash_nesting: 0,
            trash_later: Vec::new(),
            freelists: FreeLists::default(),
            gc_pending: false,
            zombie_frames: HashSet::new(),
            obs_mark: Vec::new(),
            obs_epoch: 0,
            executed: 0,
            callback_referent: None,
            runaway: false,
            any_finalizer: sc.classes.iter().any(|c| c.del.is_some()),
            weakrefs_exist: false,
            auto_collect: false,
            journal: None,
        };
        // Interpreter start-up: the module globals and gc.garbage exist, are held from outside
        // (the module, the C static), and sit in the oldest generation, ahead of everything
        // the scenario creates (the runner's start-up `gc.collect()` put them there).
        let g = m.heap.alloc(Kind::Dict(Box::new(m.new_dictobj(0))), true);
        m.heap.hdr_mut(g).refcnt = 1;
        m.heap.append(g, m.gens[2]);
        m.globals = g;
        let gl = m.heap.alloc(Kind::List(Vec::new()), true);
        m.heap.hdr_mut(gl).refcnt = 2;
        m.heap.append(gl, m.gens[2]);
        m.garbage_internal = gl;
        m.garbage_attr = gl;
        if !p.full_gc_clears_container_freelists {
            // 2.7 keeps its list and dict free lists across collections; start-up leaves them full.
            m.freelists.lists = LIST_MAXFREELIST;
            m.freelists.dicts = DICT_MAXFREELIST;
        }
        m
    }

    pub fn new_dictobj(&self, presize: usize) -> DictObj {
        DictObj::new(
            (self.p.layout == InstanceLayout::DictHashOrder).then(|| Table27::presized(presize)),
        )
    }

    // ----------------------------------------------------------------- refcounts, tracking

    pub fn incref(&mut self, v: Val) {
        if let Val::Obj(id) = v {
            self.heap.hdr_mut(id).refcnt += 1;
        }
    }

    /// `Py_DECREF`: deallocate at zero.
    pub fn decref(&mut self, v: Val) {
        if let Val::Obj(id) = v {
            let h = self.heap.hdr_mut(id);
            debug_assert!(!h.is_freed(), "decref of a freed object");
            h.refcnt -= 1;
            debug_assert!(h.refcnt >= 0, "negative refcount");
            if h.refcnt == 0 {
                self.dealloc(id);
            }
        }
    }

    /// `_PyObject_GC_TRACK`: append to generation 0.
    pub fn track(&mut self, id: Id) {
        if !self.heap.is_tracked(id) {
            self.heap.append(id, self.gens[0]);
        }
    }

    /// `_PyObject_GC_UNTRACK`.
    pub fn untrack(&mut self, id: Id) {
        self.heap.unlink(id);
    }

    /// `_PyObject_GC_MAY_BE_TRACKED`: a GC object, and for tuples a tracked one.
    pub fn may_be_tracked(&self, v: Val) -> bool {
        match v {
            Val::Obj(id) => {
                let h = self.heap.hdr(id);
                h.is_gc()
                    && match self.heap.kind(id) {
                        Kind::Tuple(_) => h.is_tracked(),
                        _ => true,
                    }
            }
            _ => false,
        }
    }

    /// `MAINTAIN_TRACKING(mp, key, value)` in `insertdict`.
    pub fn maintain_tracking(&mut self, dict: Id, v: Val) {
        if !self.heap.is_tracked(dict) && self.may_be_tracked(v) {
            self.track(dict);
        }
    }

    /// `_PyObject_GC_Alloc` / `gc_alloc`: count a new GC object in generation 0 and start an
    /// automatic collection (or schedule one, 3.12+) when the threshold is crossed.
    pub fn gc_alloc(&mut self) {
        self.count[0] += 1;
        if self.count[0] > self.threshold[0]
            && self.enabled
            && self.threshold[0] != 0
            && !self.collecting
        {
            match self.p.auto_gc {
                AutoGc::InAllocation => {
                    self.collecting = true;
                    self.collect_generations();
                    self.collecting = false;
                }
                AutoGc::AtEvalBreaker => self.gc_pending = true,
            }
        }
    }

    /// 3.12+ `_Py_HandlePending` → `_Py_RunGC`: run a scheduled collection.
    pub fn eval_breaker(&mut self) {
        if self.gc_pending && !self.collecting {
            self.gc_pending = false;
            if self.enabled {
                self.collecting = true;
                self.collect_generations();
                self.collecting = false;
            }
        }
    }

    /// Allocate a temporary: from its free list when there is one there (nothing counted), else
    /// through the GC allocator (counted in generation 0, may start a collection).
    pub fn temp_alloc(&mut self, t: Temp) {
        let slot = match t {
            Temp::Tuple(0) => return,
            Temp::Tuple(n) if n < TUPLE_MAXSAVESIZE => self.freelists.tuples.entry(n).or_insert(0),
            Temp::Tuple(_) => {
                self.gc_alloc();
                return;
            }
            Temp::Method => &mut self.freelists.methods,
        };
        if *slot > 0 {
            *slot -= 1;
        } else {
            self.gc_alloc();
        }
    }

    /// Free a temporary: back onto its free list while there is room, else released.
    pub fn temp_free(&mut self, t: Temp) {
        let (slot, max) = match t {
            Temp::Tuple(0) => return,
            Temp::Tuple(n) if n < TUPLE_MAXSAVESIZE => (
                self.freelists.tuples.entry(n).or_insert(0),
                TUPLE_MAXFREELIST,
            ),
            Temp::Tuple(_) => {
                self.gc_free();
                return;
            }
            Temp::Method => (&mut self.freelists.methods, METHOD_MAXFREELIST),
        };
        if *slot < max {
            *slot += 1;
        } else {
            self.gc_free();
        }
    }

    /// A Python function call (≤3.10): the first call of a code object allocates its frame,
    /// which is then kept as the code object's zombie frame (`frame_alloc`).
    fn frame_alloc(&mut self, code: usize) {
        if self.p.trashcan.frames_are_objects && self.zombie_frames.insert(code) {
            self.gc_alloc();
        }
    }

    /// `PyObject_GC_Del`: a GC object's memory is released.
    pub fn gc_free(&mut self) {
        if self.count[0] > 0 {
            self.count[0] -= 1;
        }
    }

    fn alloc_from_freelist(&mut self, kind: &Kind) -> bool {
        let fl = &mut self.freelists;
        let slot = match kind {
            Kind::List(_) => &mut fl.lists,
            Kind::Dict(_) => &mut fl.dicts,
            Kind::Tuple(items) if !items.is_empty() && items.len() < TUPLE_MAXSAVESIZE => {
                fl.tuples.entry(items.len()).or_insert(0)
            }
            _ => return false,
        };
        if *slot > 0 {
            *slot -= 1;
            true
        } else {
            false
        }
    }

    /// Allocate a container or weakref: free list or GC allocator; the object starts with
    /// refcount 0 and untracked.
    pub fn new_object(&mut self, kind: Kind) -> Id {
        if !self.alloc_from_freelist(&kind) {
            self.gc_alloc();
        }
        self.heap.alloc(kind, true)
    }

    // ----------------------------------------------------------------- journal

    /// Record a note (only when a journal is attached).
    pub fn note(&mut self, n: impl FnOnce(&Self) -> Note) {
        if self.journal.is_some() {
            let n = n(self);
            if let Some(j) = &mut self.journal {
                j.notes.push(n);
            }
        }
    }

    /// Enter a context (only when a journal is attached; `c` is not evaluated otherwise, so
    /// labels are not formatted on the collector's hot path).
    pub fn ctx_push(&mut self, c: impl FnOnce(&Self) -> Ctx) {
        if self.journal.is_some() {
            let c = c(self);
            if let Some(j) = &mut self.journal {
                j.ctx.push(c);
            }
        }
    }

    pub fn ctx_pop(&mut self) {
        if let Some(j) = &mut self.journal {
            j.ctx.pop();
        }
    }

    /// Labels of the instances in a GC list, in list order.
    pub fn instance_labels(&self, head: Id) -> Vec<String> {
        self.heap
            .members(head)
            .into_iter()
            .filter(|id| matches!(self.heap.kind(*id), Kind::Instance(_)))
            .map(|id| self.label(id))
            .collect()
    }

    /// Why each live instance is alive: a path from a name or from gc.garbage, or where the
    /// unreachable object sits.
    fn alive_reasons(&self, alive: &[Id]) -> Vec<(String, AliveWhy)> {
        use std::collections::{HashMap, VecDeque};
        let mut parent: HashMap<Id, (Option<Id>, bool, String)> = HashMap::new();
        let mut queue = VecDeque::new();
        if let Kind::Dict(d) = self.heap.kind(self.globals) {
            for (k, v) in d.entries.iter().flatten() {
                if let Some(o) = v.obj()
                    && let std::collections::hash_map::Entry::Vacant(e) = parent.entry(o)
                {
                    e.insert((None, true, k.clone()));
                    queue.push_back(o);
                }
            }
        }
        for g in [self.garbage_internal, self.garbage_attr] {
            parent
                .entry(g)
                .or_insert((None, false, "gc.garbage".to_string()));
            queue.push_back(g);
        }
        while let Some(id) = queue.pop_front() {
            let root = parent[&id].1;
            for r in self.heap.referents(id) {
                if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(r) {
                    e.insert((Some(id), root, String::new()));
                    queue.push_back(r);
                }
            }
        }
        alive
            .iter()
            .map(|&id| {
                let label = self.label(id);
                let why = match parent.get(&id) {
                    Some(_) => {
                        let mut path = Vec::new();
                        let mut cur = Some(id);
                        let mut from_name = false;
                        while let Some(c) = cur {
                            let (p, root, name) = &parent[&c];
                            from_name = *root;
                            if p.is_none() {
                                path.push(name.clone());
                                if name != "gc.garbage" && c != id {
                                    path.push(self.label(c));
                                }
                            } else if self.heap.label_of(c).is_some() {
                                path.push(self.label(c));
                            }
                            cur = *p;
                        }
                        path.reverse();
                        path.dedup();
                        if from_name {
                            AliveWhy::FromName { path }
                        } else {
                            AliveWhy::FromGarbage { path }
                        }
                    }
                    None => {
                        match self
                            .gens
                            .iter()
                            .position(|g| self.heap.members(*g).contains(&id))
                        {
                            Some(generation) => AliveWhy::Uncollected { generation },
                            None => AliveWhy::Frozen,
                        }
                    }
                };
                (label, why)
            })
            .collect()
    }

    // ----------------------------------------------------------------- labels and names

    /// Give a newly created object its label: the name it is first bound to, `name#2` for the
    /// second new object bound to that name, and so on.
    pub fn label_new(&mut self, id: Id, name: &str) {
        let n = self.name_counts.entry(name.to_string()).or_insert(0);
        *n += 1;
        let label = if *n == 1 {
            name.to_string()
        } else {
            format!("{name}#{n}")
        };
        self.heap.set_label(id, label);
    }

    /// The label shown in traces: the object's label, or `<type>`.
    pub fn label(&self, id: Id) -> String {
        if let Some(l) = self.heap.label_of(id) {
            return l.to_string();
        }
        match self.heap.kind(id) {
            Kind::Instance(i) => format!("<{}>", self.sc.classes[i.class()].name),
            Kind::List(_) => "<list>".into(),
            Kind::Dict(_) => "<dict>".into(),
            Kind::Tuple(_) => "<tuple>".into(),
            Kind::WeakRef { .. } => "<weakref>".into(),
            Kind::Head => "<head>".into(),
        }
    }

    fn is_local(&self, name: &str) -> bool {
        match self.frames.last() {
            Some(f) => match f.class {
                Some(c) => {
                    let cs = &self.classes[c];
                    !cs.del_globals.contains(name) && cs.del_locals.iter().any(|l| l == name)
                }
                None => f.locals.iter().any(|(n, _)| n == name),
            },
            None => false,
        }
    }

    pub fn load(&self, name: &str) -> PyResult<Val> {
        if self.is_local(name) {
            let f = self.frames.last().expect("frame");
            return match f
                .locals
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, v)| *v)
            {
                Some(v) => Ok(v),
                None => Err(exc(
                    "UnboundLocalError",
                    format!("local variable '{name}' referenced before assignment"),
                )),
            };
        }
        match self.heap.kind(self.globals) {
            Kind::Dict(d) => d
                .get(name)
                .ok_or_else(|| exc("NameError", format!("name '{name}' is not defined"))),
            _ => unreachable!("globals is a dict"),
        }
    }

    fn value(&self, v: &Value) -> PyResult<Val> {
        match v {
            Value::None => Ok(Val::None),
            Value::Int(i) => Ok(Val::Int(*i)),
            Value::Name(n) => self.load(n),
        }
    }

    /// `STORE_NAME`/`STORE_FAST`/`STORE_GLOBAL`: the caller owns one reference to `v`, which
    /// the binding takes over; the old value is released after the store.
    pub fn store(&mut self, name: &str, v: Val) {
        if self.is_local(name) {
            let f = self.frames.last_mut().expect("frame");
            let old = match f.locals.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1.replace(v),
                None => {
                    f.locals.push((name.to_string(), Some(v)));
                    None
                }
            };
            if let Some(o) = old {
                self.decref(o);
            }
            return;
        }
        let g = self.globals;
        let old = match self.heap.kind_mut(g) {
            Kind::Dict(d) => d.set(name, v),
            _ => unreachable!(),
        };
        self.maintain_tracking(g, v);
        if let Some(o) = old {
            self.decref(o);
        }
    }

    fn delete_name(&mut self, name: &str) -> PyResult<()> {
        if self.is_local(name) {
            let f = self.frames.last_mut().expect("frame");
            let old = f
                .locals
                .iter_mut()
                .find(|(n, _)| n == name)
                .and_then(|slot| slot.1.take());
            return match old {
                Some(o) => {
                    self.decref(o);
                    Ok(())
                }
                None => Err(exc("UnboundLocalError", name.to_string())),
            };
        }
        let g = self.globals;
        let old = match self.heap.kind_mut(g) {
            Kind::Dict(d) => d.remove(name),
            _ => unreachable!(),
        };
        match old {
            Some(o) => {
                self.decref(o);
                Ok(())
            }
            None => Err(exc("NameError", format!("name '{name}' is not defined"))),
        }
    }

    // ----------------------------------------------------------------- objects

    /// `type_call` → `PyType_GenericAlloc`: a new instance, tracked at once (GC classes).
    pub fn new_instance(&mut self, class: usize) -> Id {
        let cs = &self.classes[class];
        let is_gc = cs.is_gc;
        let nslots = cs.slots.len();
        if is_gc {
            self.gc_alloc();
        }
        // Room for every key the class's shared keys hold so far (3.11+ inline values).
        let cs = &self.classes[class];
        let inline = if cs.inline { cs.keys.len() } else { 0 };
        let id = self.heap.alloc_instance(class, nslots, inline, is_gc);
        if is_gc {
            self.track(id);
        }
        let cs = &mut self.classes[class];
        if cs.inline && cs.usable > 1 {
            // Each instance creation takes one key slot of the shared keys while more than one
            // is free (probe p10; `_PyObject_InitInlineValues` era behaviour).
            cs.usable -= 1;
        }
        id
    }

    /// A compile-time constant tuple: untracked, held by the code object forever.
    fn constant_tuple(&mut self, items: &[Value]) -> PyResult<Id> {
        let vals = items
            .iter()
            .map(|v| self.value(v))
            .collect::<PyResult<Vec<_>>>()?;
        let id = self.heap.alloc(Kind::Tuple(vals), true);
        self.heap.hdr_mut(id).refcnt = 1;
        Ok(id)
    }

    fn instance_of(&self, v: Val, what: &str) -> PyResult<Id> {
        match v {
            Val::Obj(id) if matches!(self.heap.kind(id), Kind::Instance(_)) => Ok(id),
            Val::None => Err(exc(
                "AttributeError",
                format!("'NoneType' object has no attribute '{what}'"),
            )),
            Val::Int(_) => Err(exc(
                "AttributeError",
                format!("'int' object has no attribute '{what}'"),
            )),
            Val::Obj(id) => Err(exc(
                "AttributeError",
                format!("'{}' object has no attribute '{what}'", self.type_name(id)),
            )),
        }
    }

    pub fn type_name(&self, id: Id) -> String {
        match self.heap.kind(id) {
            Kind::Instance(i) => self.sc.classes[i.class()].name.clone(),
            Kind::List(_) => "list".into(),
            Kind::Dict(_) => "dict".into(),
            Kind::Tuple(_) => "tuple".into(),
            Kind::WeakRef { .. } => "weakref".into(),
            Kind::Head => "head".into(),
        }
    }

    /// `PyObject_GenericSetAttr` (or a slot's member descriptor). Takes a new reference to `v`.
    pub fn setattr(&mut self, obj: Id, attr: &str, v: Val) -> PyResult<()> {
        let class = match self.heap.kind(obj) {
            Kind::Instance(i) => i.class(),
            _ => unreachable!("checked instance"),
        };
        let cs = &self.classes[class];
        let slot = cs.slots.iter().position(|s| s == attr);
        let (cs_has_dict, cs_inline, key, usable) = (
            cs.has_dict,
            cs.inline,
            cs.keys.iter().position(|k| k == attr),
            cs.usable,
        );
        if let Some(si) = slot {
            self.incref(v);
            let old = self.heap.set_slot(obj, si, Some(v));
            if let Some(o) = old {
                self.decref(o);
            }
            return Ok(());
        }
        if !cs_has_dict {
            return Err(exc(
                "AttributeError",
                format!(
                    "'{}' object has no attribute '{attr}'",
                    self.sc.classes[class].name
                ),
            ));
        }
        let has_dict = matches!(self.heap.kind(obj), Kind::Instance(i) if i.dict.is_some());
        if cs_inline && !has_dict {
            // _PyObject_StoreInstanceAttribute / insert_into_dictkeys.
            let idx = match key {
                Some(i) => Some(i),
                None if usable > 0 => {
                    let c = &mut self.classes[class];
                    c.keys.push(attr.to_string());
                    c.usable -= 1;
                    Some(c.keys.len() - 1)
                }
                None => None,
            };
            if let Some(idx) = idx {
                self.incref(v);
                let old = self.heap.set_inline(obj, idx, Some(v));
                if let Some(o) = old {
                    self.decref(o);
                }
                return Ok(());
            }
            // The shared keys are full: this instance gets a real dict holding its values
            // (make_dict_from_instance_attributes), then the store goes to the dict.
            self.materialize_dict(obj);
        }
        let d = match self.heap.kind(obj) {
            Kind::Instance(i) => i.dict,
            _ => unreachable!(),
        };
        let d = match d {
            Some(d) => d,
            None => {
                // _PyObjectDict_SetItem: the instance dict is created on the first store.
                let dobj = self.new_dictobj(0);
                let d = self.new_object(Kind::Dict(Box::new(dobj)));
                self.heap.hdr_mut(d).refcnt = 1;
                if let Kind::Instance(i) = self.heap.kind_mut(obj) {
                    i.dict = Some(d);
                }
                d
            }
        };
        self.dict_set(d, attr, v);
        Ok(())
    }

    /// 3.11+: give an inline-values instance a real `__dict__` with its current values.
    fn materialize_dict(&mut self, obj: Id) {
        let class = match self.heap.kind(obj) {
            Kind::Instance(i) => i.class(),
            _ => unreachable!(),
        };
        let vals = self.heap.take_inline(obj);
        let keys = self.classes[class].keys.clone();
        let mut dobj = self.new_dictobj(0);
        let mut track = false;
        for (k, v) in keys.iter().zip(vals) {
            if let Some(v) = v {
                track |= self.may_be_tracked(v);
                dobj.set(k, v);
            }
        }
        let d = self.new_object(Kind::Dict(Box::new(dobj)));
        self.heap.hdr_mut(d).refcnt = 1;
        if track {
            self.track(d);
        }
        if let Kind::Instance(i) = self.heap.kind_mut(obj) {
            i.dict = Some(d);
        }
    }

    /// `PyDict_SetItem`: takes a new reference to `v`; tracks the dict if needed; releases the
    /// replaced value after the store.
    pub fn dict_set(&mut self, d: Id, key: &str, v: Val) {
        self.incref(v);
        let old = match self.heap.kind_mut(d) {
            Kind::Dict(dd) => dd.set(key, v),
            _ => unreachable!(),
        };
        self.maintain_tracking(d, v);
        if let Some(o) = old {
            self.decref(o);
        }
    }

    fn delattr(&mut self, obj: Id, attr: &str) -> PyResult<()> {
        let class = match self.heap.kind(obj) {
            Kind::Instance(i) => i.class(),
            _ => unreachable!(),
        };
        let cs = &self.classes[class];
        let slot = cs.slots.iter().position(|s| s == attr);
        let key = cs.keys.iter().position(|k| k == attr);
        let missing = || exc("AttributeError", attr.to_string());
        let old = if let Some(si) = slot {
            self.heap.set_slot(obj, si, None)
        } else {
            let (dict, inline_idx) = match self.heap.kind(obj) {
                Kind::Instance(i) => (i.dict, key),
                _ => unreachable!(),
            };
            match dict {
                Some(d) => match self.heap.kind_mut(d) {
                    Kind::Dict(dd) => dd.remove(attr),
                    _ => unreachable!(),
                },
                None => inline_idx.and_then(|idx| self.heap.set_inline(obj, idx, None)),
            }
        };
        match old {
            Some(o) => {
                self.decref(o);
                Ok(())
            }
            None => Err(missing()),
        }
    }

    fn target_obj(&self, t: &Target, attr: &str) -> PyResult<Id> {
        match t {
            Target::Name(n) => {
                let v = self.load(n)?;
                self.instance_of(v, attr)
            }
            Target::GarbageItem(i) => {
                let items = match self.heap.kind(self.garbage_attr) {
                    Kind::List(items) => items.clone(),
                    _ => unreachable!(),
                };
                let n = items.len() as i64;
                let idx = if *i < 0 { n + *i } else { *i };
                if idx < 0 || idx >= n {
                    return Err(exc("IndexError", "list index out of range"));
                }
                self.instance_of(items[idx as usize], attr)
            }
        }
    }

    /// `STORE_ATTR`: the value and the owner are held on the stack while the store happens.
    fn store_attr(&mut self, o: Id, attr: &str, v: Val) -> PyResult<()> {
        self.incref(v);
        self.incref(Val::Obj(o));
        let r = self.setattr(o, attr, v);
        self.decref(Val::Obj(o));
        self.decref(v);
        r
    }

    /// `len(x)` (`PyObject_Size`).
    fn length(&self, v: Val) -> PyResult<usize> {
        match v {
            Val::Obj(id) => match self.heap.kind(id) {
                Kind::List(items) | Kind::Tuple(items) => Ok(items.len()),
                Kind::Dict(d) => Ok(d.entries.iter().flatten().count()),
                _ => Err(exc(
                    "TypeError",
                    format!("object of type '{}' has no len()", self.type_name(id)),
                )),
            },
            Val::None => Err(exc("TypeError", "object of type 'NoneType' has no len()")),
            Val::Int(_) => Err(exc("TypeError", "object of type 'int' has no len()")),
        }
    }

    /// `x[i]` with a non-negative int (`BINARY_SUBSCR`): the item, not yet increfed.
    fn subscript(&self, v: Val, i: usize) -> PyResult<Val> {
        match v {
            Val::Obj(id) => match self.heap.kind(id) {
                Kind::List(items) => items
                    .get(i)
                    .copied()
                    .ok_or_else(|| exc("IndexError", "list index out of range")),
                Kind::Tuple(items) => items
                    .get(i)
                    .copied()
                    .ok_or_else(|| exc("IndexError", "tuple index out of range")),
                Kind::Dict(_) => Err(exc("KeyError", i.to_string())),
                _ => Err(exc(
                    "TypeError",
                    format!("'{}' object is not subscriptable", self.type_name(id)),
                )),
            },
            Val::None => Err(exc("TypeError", "'NoneType' object is not subscriptable")),
            Val::Int(_) => Err(exc("TypeError", "'int' object is not subscriptable")),
        }
    }

    /// `random_edges:`, as its Python loop (`program.rs`) runs:
    /// `_en = len(L)` through a harness generator (its resume checks the eval breaker on 3.12+
    /// before `len` runs), then `for _ei in range(_en):` whose body has, per attribute
    /// in order, `_ex = LCG(_ex)` and `L[_ei].attr = L[(_ex >> 33) % _en]`: the name `L` is
    /// loaded afresh for each subscript, the value is read first, then the owner, then
    /// `STORE_ATTR` stores through [`Machine::setattr`] exactly as `x.attr = VALUE` does (so a
    /// list shortened by a finalizer raises IndexError, a non-instance or a slot class
    /// without the attribute AttributeError). The loop's backward jump checks the eval
    /// breaker after each element (3.12+); range iterators and ints are not GC objects.
    fn random_edges(&mut self, list: &str, attrs: &[String], seed: u64) -> PyResult<()> {
        // `_len_of(L)`: the list is on the stack while the generator resumes (RESUME checks
        // the eval breaker before `len` runs).
        let l = self.load(list)?;
        self.incref(l);
        self.eval_breaker();
        let n = self.length(l);
        self.decref(l);
        let n = n?;
        let mut x = seed;
        for i in 0..n {
            for a in attrs {
                x = crate::util::lcg::next(x);
                let j = crate::util::lcg::index(x, n as u64) as usize;
                let l = self.load(list)?;
                let v = self.subscript(l, j)?;
                let l = self.load(list)?;
                let o = self.subscript(l, i)?;
                let o = self.instance_of(o, a)?;
                self.store_attr(o, a, v)?;
            }
            self.eval_breaker();
        }
        Ok(())
    }

    /// `weakref.ref(x[, callback])` (`weakref___new__`): reuse the basic ref when there is no
    /// callback; otherwise a new ref inserted after the basic ref (`insert_after`) or at the
    /// head. Returns the ref with a new reference, and whether it is new.
    fn new_weakref(&mut self, referent: Id, callback: bool) -> (Id, bool) {
        let head = self.heap.weakrefs(referent).first().copied();
        let basic = head.filter(|w| {
            matches!(
                self.heap.kind(*w),
                Kind::WeakRef {
                    callback: false,
                    ..
                }
            )
        });
        if !callback && let Some(b) = basic {
            self.incref(Val::Obj(b));
            return (b, false);
        }
        self.weakrefs_exist = true;
        let w = self.new_object(Kind::WeakRef {
            referent: Some(referent),
            callback,
        });
        self.heap.hdr_mut(w).refcnt = 1;
        self.track(w);
        let list = self.heap.weakrefs_mut(referent);
        if !callback || basic.is_none() {
            list.insert(0, w);
        } else {
            list.insert(1, w);
        }
        (w, true)
    }

    // ----------------------------------------------------------------- statements

    /// Execute one statement.
    pub fn exec(&mut self, step: &Step) -> PyResult<()> {
        self.executed += 1;
        if self.executed > MAX_EXECUTED {
            self.runaway = true;
        }
        if self.runaway {
            return Err(exc(
                "RecursionError",
                format!(
                    "more than {MAX_EXECUTED} statements executed: the scenario does not terminate (finalizers that keep creating objects?)"
                ),
            ));
        }
        match &step.stmt {
            Stmt::Repeat { count, body } => {
                for _ in 0..*count {
                    for s in body {
                        self.exec(s)?;
                    }
                    // The loop's backward jump checks the eval breaker (3.12+).
                    self.eval_breaker();
                }
            }
            Stmt::New { target, class } => {
                let c = self
                    .sc
                    .classes
                    .iter()
                    .position(|k| &k.name == class)
                    .ok_or_else(|| exc("NameError", class.clone()))?;
                let id = self.new_instance(c);
                self.heap.hdr_mut(id).refcnt = 1;
                // The CALL checks the eval breaker when `C()` returns (3.12+).
                self.eval_breaker();
                self.label_new(id, target);
                self.store(target, Val::Obj(id));
            }
            Stmt::NewList { target, items } => self.build_sequence(target, items, Kind::List)?,
            Stmt::NewDict { target, items } => {
                let vals = items
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), self.value(v)?)))
                    .collect::<PyResult<Vec<_>>>()?;
                let dobj = self.new_dictobj(items.len());
                let id = self.new_object(Kind::Dict(Box::new(dobj)));
                self.heap.hdr_mut(id).refcnt = 1;
                for (k, v) in vals {
                    self.dict_set(id, &k, v);
                }
                self.label_new(id, target);
                self.store(target, Val::Obj(id));
            }
            Stmt::NewTuple { target, items } => {
                if !crate::scenario::tuple_is_new(items) {
                    let id = self.constant_tuple(items)?;
                    self.incref(Val::Obj(id));
                    if self.heap.label_of(id).is_none() {
                        self.label_new(id, target);
                    }
                    self.store(target, Val::Obj(id));
                } else {
                    self.build_sequence(target, items, Kind::Tuple)?;
                }
            }
            Stmt::Assign { target, value } => {
                let v = self.value(value)?;
                self.incref(v);
                self.store(target, v);
            }
            Stmt::SetAttr { obj, attr, value } => {
                let v = self.value(value)?;
                let o = self.target_obj(obj, attr)?;
                self.store_attr(o, attr, v)?;
            }
            Stmt::RandomEdges { list, attrs, seed } => self.random_edges(list, attrs, *seed)?,
            Stmt::DelAttr { obj, attr } => {
                let o = self.target_obj(obj, attr)?;
                self.incref(Val::Obj(o));
                let r = self.delattr(o, attr);
                self.decref(Val::Obj(o));
                r?;
            }
            Stmt::SetItem { obj, key, value } => {
                let v = self.value(value)?;
                let d = self.load(obj)?;
                let d = self.expect_kind(d, "dict")?;
                self.dict_set(d, key, v);
            }
            Stmt::DelKey { obj, key } => {
                let d = self.load(obj)?;
                let d = self.expect_kind(d, "dict")?;
                let old = match self.heap.kind_mut(d) {
                    Kind::Dict(dd) => dd.remove(key),
                    _ => unreachable!(),
                };
                match old {
                    Some(o) => self.decref(o),
                    None => return Err(exc("KeyError", key.clone())),
                }
            }
            Stmt::DelIndex { obj, index } => {
                let l = self.load(obj)?;
                let l = self.expect_kind(l, "list")?;
                let old = match self.heap.kind_mut(l) {
                    Kind::List(items) => {
                        let n = items.len() as i64;
                        let i = if *index < 0 { n + index } else { *index };
                        if i < 0 || i >= n {
                            return Err(exc("IndexError", "list assignment index out of range"));
                        }
                        items.remove(i as usize)
                    }
                    _ => unreachable!(),
                };
                self.decref(old);
            }
            Stmt::Append { obj, value } => {
                let v = self.value(value)?;
                let l = self.load(obj)?;
                let l = self.expect_kind(l, "list")?;
                if self.p.bound_method_calls {
                    // LOAD_ATTR makes a bound method (no LOAD_METHOD before 3.7).
                    self.temp_alloc(Temp::Method);
                }
                self.incref(v);
                if let Kind::List(items) = self.heap.kind_mut(l) {
                    items.push(v);
                }
                if self.p.bound_method_calls {
                    self.temp_free(Temp::Method);
                }
                self.eval_breaker();
            }
            Stmt::DelName(n) => self.delete_name(n)?,
            Stmt::WeakRef {
                target,
                referent,
                callback,
            } => {
                let r = self.load(referent)?;
                let r = match r {
                    Val::Obj(id) if matches!(self.heap.kind(id), Kind::Instance(_)) => {
                        let c = match self.heap.kind(id) {
                            Kind::Instance(i) => i.class(),
                            _ => unreachable!(),
                        };
                        if !self.classes[c].weakrefable {
                            return Err(exc("TypeError", "cannot create weak reference"));
                        }
                        id
                    }
                    _ => return Err(exc("TypeError", "cannot create weak reference")),
                };
                let args = Temp::Tuple(if *callback { 2 } else { 1 });
                self.temp_alloc(args);
                let (w, is_new) = self.new_weakref(r, *callback);
                self.temp_free(args);
                self.eval_breaker();
                if *callback {
                    // `w = _new(weakref.ref(x, callback), 'w')`
                    self.label_new(w, target);
                    self.store(target, Val::Obj(w));
                } else {
                    // `w = weakref.ref(x)` then `_new(w, 'w')` only if a ref was added.
                    self.store(target, Val::Obj(w));
                    if is_new {
                        self.label_new(w, target);
                    }
                }
            }
            Stmt::Collect(g) => {
                let args = Temp::Tuple(usize::from(g.is_some()));
                if self.p.varargs_gc_functions {
                    self.temp_alloc(args);
                }
                let r = self.gc_collect_api(g.unwrap_or(2) as usize);
                if self.p.varargs_gc_functions {
                    self.temp_free(args);
                }
                self.eval_breaker();
                self.events.push(Event::Collect {
                    generation: *g,
                    result: r,
                });
                if self.frames.is_empty() {
                    // Observations are made at top level only (inside a finalizer the running
                    // frames themselves would be visible to gc.get_objects() on some versions).
                    self.observe();
                }
            }
            Stmt::Enable => {
                self.enabled = true;
                self.eval_breaker();
            }
            Stmt::Disable => {
                self.enabled = false;
                self.eval_breaker();
            }
            Stmt::SetDebug { saveall } => {
                if self.p.varargs_gc_functions {
                    self.temp_alloc(Temp::Tuple(1));
                    self.temp_free(Temp::Tuple(1));
                }
                self.saveall = *saveall;
                self.eval_breaker();
            }
            Stmt::SetThreshold(ts) => {
                // METH_VARARGS: an argument tuple.
                self.temp_alloc(Temp::Tuple(ts.len()));
                self.temp_free(Temp::Tuple(ts.len()));
                for (i, t) in ts.iter().enumerate() {
                    self.threshold[i] = *t;
                }
                self.eval_breaker();
            }
            Stmt::Freeze => {
                // gc_freeze_impl: every generation into the permanent one; count0 = 0.
                for i in 0..3 {
                    self.heap.merge(self.gens[i], self.permanent);
                }
                self.count[0] = 0;
                self.eval_breaker();
            }
            Stmt::Unfreeze => {
                self.heap.merge(self.permanent, self.gens[2]);
                self.eval_breaker();
            }
            Stmt::ClearGarbage => {
                // list_ass_slice(a, 0, n, NULL): items released last to first.
                let items = match self.heap.kind_mut(self.garbage_attr) {
                    Kind::List(items) => std::mem::take(items),
                    _ => unreachable!(),
                };
                for v in items.into_iter().rev() {
                    self.decref(v);
                }
            }
            Stmt::RebindGarbage => {
                let id = self.new_object(Kind::List(Vec::new()));
                self.heap.hdr_mut(id).refcnt = 1;
                self.track(id);
                let old = std::mem::replace(&mut self.garbage_attr, id);
                self.decref(Val::Obj(old));
            }
            Stmt::Pass | Stmt::Global(_) => {}
            Stmt::Raise => {
                let me = self
                    .frames
                    .last()
                    .and_then(|f| f.locals.first())
                    .and_then(|(_, v)| *v)
                    .and_then(|v| v.obj());
                if let Some(me) = me {
                    let l = self.label(me);
                    self.events.push(Event::DelRaised(l));
                }
                return Err(exc("RuntimeError", ""));
            }
        }
        Ok(())
    }

    /// `BUILD_LIST` / `BUILD_TUPLE`: the items (new references) in a new container, tracked at
    /// creation (`PyList_New`, `PyTuple_New`), labelled and bound to `target`.
    fn build_sequence(
        &mut self,
        target: &str,
        items: &[Value],
        make: fn(Vec<Val>) -> Kind,
    ) -> PyResult<()> {
        let vals = items
            .iter()
            .map(|v| self.value(v))
            .collect::<PyResult<Vec<_>>>()?;
        for v in &vals {
            self.incref(*v);
        }
        let id = self.new_object(make(vals));
        self.heap.hdr_mut(id).refcnt = 1;
        self.track(id);
        self.label_new(id, target);
        self.store(target, Val::Obj(id));
        Ok(())
    }

    fn expect_kind(&self, v: Val, want: &str) -> PyResult<Id> {
        if let Val::Obj(id) = v
            && self.type_name(id) == want
        {
            return Ok(id);
        }
        Err(exc("TypeError", format!("expected a {want}")))
    }

    /// Run a `__del__` body: `slot_tp_finalize`/`slot_tp_del` calling the method. Exceptions
    /// are printed and ignored (`PyErr_WriteUnraisable`).
    pub fn call_del(&mut self, id: Id) {
        let class = match self.heap.kind(id) {
            Kind::Instance(i) => i.class(),
            _ => return,
        };
        let Some(body) = self.sc.classes[class].del.as_ref() else {
            return;
        };
        if self.frames.len() >= MAX_FRAMES || self.runaway {
            // CPython raises RecursionError before running the body (printed and ignored).
            return;
        }
        self.eval_breaker();
        let label = self.label(id);
        self.events.push(Event::Del(label.clone()));
        let from_gc = self.journal.as_ref().and_then(|j| match j.ctx.last() {
            Some(Ctx::Finalizer { label: l, collect }) if *l == label => Some(*collect),
            _ => None,
        });
        let pushed = from_gc.is_none();
        if pushed {
            self.ctx_push(|_| Ctx::Finalizer {
                label: label.clone(),
                collect: None,
            });
        }
        self.note(|_| Note::Finalized {
            label: label.clone(),
            collect: from_gc.flatten(),
        });
        // slot_tp_del (2.7) / slot_tp_finalize (3.6) look `__del__` up as a bound method; 2.7's
        // method call builds an argument tuple holding self.
        if self.p.bound_method_calls {
            self.temp_alloc(Temp::Method);
        }
        if self.p.del_is_legacy {
            self.temp_alloc(Temp::Tuple(1));
        }
        self.frame_alloc(class);
        self.incref(Val::Obj(id));
        self.frames.push(Frame {
            class: Some(class),
            locals: vec![("self".to_string(), Some(Val::Obj(id)))],
        });
        for step in body {
            if self.exec(step).is_err() {
                break;
            }
        }
        self.frame_dealloc();
        if self.p.del_is_legacy {
            self.temp_free(Temp::Tuple(1));
        }
        if self.p.bound_method_calls {
            self.temp_free(Temp::Method);
        }
        if pushed {
            self.ctx_pop();
        }
    }

    /// The scenario's weakref callback: records that it ran with this weakref.
    pub fn call_callback(&mut self, wr: Id) {
        self.eval_breaker();
        let label = self.label(wr);
        self.events.push(Event::Callback(label.clone()));
        if self.journal.is_some() {
            let collect = self.journal.as_ref().and_then(|j| {
                j.ctx.iter().rev().find_map(|c| match c {
                    Ctx::Collect(no) => Some(*no),
                    _ => None,
                })
            });
            let referent = self.callback_referent.take();
            self.note(|_| Note::Callback {
                label,
                collect,
                referent,
            });
        }
        // 2.7 PyObject_CallFunctionObjArgs builds an argument tuple.
        if self.p.del_is_legacy {
            self.temp_alloc(Temp::Tuple(1));
        }
        self.frame_alloc(usize::MAX);
        self.incref(Val::Obj(wr));
        self.frames.push(Frame {
            class: None,
            locals: vec![("wr".to_string(), Some(Val::Obj(wr)))],
        });
        self.frame_dealloc();
        if self.p.del_is_legacy {
            self.temp_free(Temp::Tuple(1));
        }
    }

    /// `frame_dealloc` (≤3.10, trashcan-protected) / `_PyFrame_ClearLocals` (3.11+): locals
    /// are released in `co_varnames` order.
    fn frame_dealloc(&mut self) {
        let f = self.frames.pop().expect("frame");
        let mut locals = f.locals;
        if let Some(c) = f.class {
            let order = &self.classes[c].del_locals;
            locals.sort_by_key(|(n, _)| order.iter().position(|o| o == n).unwrap_or(usize::MAX));
        }
        let protected = self.p.trashcan.frames_are_objects;
        if protected {
            self.trash_nesting += 1;
        }
        for (_, v) in locals {
            if let Some(v) = v {
                self.decref(v);
            }
        }
        if protected {
            self.trash_end_plain();
        }
    }

    // ----------------------------------------------------------------- observation

    /// What the trace observes after each collect and at the end: the contents of the
    /// `gc.garbage` attribute, and the scenario instances that are alive and visible (in a
    /// collectable generation, referenced from one, or reachable from the program's names and
    /// garbage lists; instances frozen out of sight by `gc.freeze()` are not visible).
    pub fn observe(&mut self) {
        let garbage = match self.heap.kind(self.garbage_attr) {
            Kind::List(items) => items
                .iter()
                .map(|v| match v {
                    Val::Obj(id) => self.label(*id),
                    Val::None => "None".to_string(),
                    Val::Int(i) => i.to_string(),
                })
                .collect(),
            _ => unreachable!(),
        };
        self.events.push(Event::Garbage(garbage));
        // What the program can see (the runner's `_observer`): every tracked object, and a walk
        // from the names, both garbage lists and every tracked container or instance, through
        // lists, dicts, tuples, instances and weakref referents. Frozen objects that nothing
        // visible leads to, and objects waiting on the trashcan's chain, are not seen.
        // Marks live in a buffer kept across observations, stamped with this observation's
        // number (no hash sets, and no pass over every id ever allocated: a scenario may
        // observe after each of a million steps): `epoch` seen, `epoch + 1` walked too.
        if self.obs_epoch >= u32::MAX - 2 {
            self.obs_mark.clear();
            self.obs_epoch = 0;
        }
        self.obs_epoch += 2;
        let (seen_mark, walked_mark) = (self.obs_epoch, self.obs_epoch + 1);
        let mut mark = std::mem::take(&mut self.obs_mark);
        mark.resize(self.heap.count() as usize, 0);
        let mut seen: Vec<Id> = Vec::new();
        let mut stack: Vec<Id> = vec![self.garbage_attr, self.garbage_internal];
        if let Kind::Dict(d) = self.heap.kind(self.globals) {
            stack.extend(d.values().into_iter().filter_map(|v| v.obj()));
        }
        for g in self.gens {
            let mut cur = self.heap.hdr(g).next;
            while cur != g {
                if mark[cur as usize] < seen_mark {
                    mark[cur as usize] = seen_mark;
                    seen.push(cur);
                }
                if matches!(
                    self.heap.kind(cur),
                    Kind::List(_) | Kind::Dict(_) | Kind::Tuple(_) | Kind::Instance(_)
                ) {
                    stack.push(cur);
                }
                cur = self.heap.hdr(cur).next;
            }
        }
        let mut buf = Vec::new();
        while let Some(id) = stack.pop() {
            if mark[id as usize] == walked_mark {
                continue;
            }
            if mark[id as usize] < seen_mark {
                seen.push(id);
            }
            mark[id as usize] = walked_mark;
            match self.heap.kind(id) {
                Kind::WeakRef {
                    referent: Some(r), ..
                } => stack.push(*r),
                Kind::List(_) | Kind::Dict(_) | Kind::Tuple(_) | Kind::Instance(_) => {
                    self.heap.referents_into(id, &mut buf);
                    stack.extend(buf.iter().copied());
                }
                _ => {}
            }
        }
        // Ids are never reused: id order is creation order.
        self.obs_mark = mark;
        let mut alive: Vec<Id> = seen
            .into_iter()
            .filter(|id| {
                !self.heap.is_freed(*id) && matches!(self.heap.kind(*id), Kind::Instance(_))
            })
            .collect();
        alive.sort_unstable();
        if self.journal.is_some() {
            let ids = alive.clone();
            for (label, why) in self.alive_reasons(&ids) {
                self.note(|_| Note::Alive { label, why });
            }
        }
        self.events.push(Event::Alive(
            alive.into_iter().map(|id| self.label(id)).collect(),
        ));
    }
}

fn class_state(c: &ClassDef, p: &Profile) -> ClassState {
    let slots = c.value_slots();
    let has_dict = c.has_dict();
    let weakrefable = c.weakrefable();
    // type_new: a class adding no instance variables to `object` is not a GC type (≤3.7).
    let adds_nothing = slots.is_empty() && !has_dict && !weakrefable;
    let is_gc = p.empty_slots_are_gc || !adds_nothing;
    let inline = has_dict
        && p.layout == InstanceLayout::Inline
        && (c.slots.is_none() || p.slots_dict_inline);
    let mut del_locals = vec!["self".to_string()];
    let mut del_globals = HashSet::new();
    for s in c.del.iter().flatten() {
        if let Stmt::Global(ns) = &s.stmt {
            del_globals.extend(ns.iter().cloned());
        }
    }
    for s in c.del.iter().flatten() {
        if let Some(n) = crate::scenario::assigned_name(&s.stmt)
            && !del_globals.contains(&n)
            && !del_locals.contains(&n)
        {
            del_locals.push(n);
        }
    }
    ClassState {
        keys: Vec::new(),
        usable: p.shared_keys_usable,
        slots,
        has_dict,
        weakrefable,
        is_gc,
        inline,
        del_locals,
        del_globals,
    }
}
