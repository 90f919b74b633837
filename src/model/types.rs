//! Classes as objects: the heap type a class statement makes (`type_new` and `PyType_Ready`),
//! what a collection does to one (`type_clear`), and its deallocation (`type_dealloc`,
//! `remove_subclass`), in `Objects/typeobject.c`; the descriptors (`descr_dealloc`,
//! `Objects/descrobject.c`) and functions (`func_dealloc`) its dict holds.
//!
//! A class statement makes, per class: the bases tuple (`(object,)` is untracked by the first
//! collection: `object` is a static type), a function per `def` of the body, the type, its dict
//! (a copy of the body's namespace), a member descriptor per own value slot, a getset descriptor
//! for each of `__dict__` and `__weakref__` the class adds, the MRO tuple (which holds the type:
//! a cycle that only the collector breaks), and the weak reference to the type that
//! `add_subclass` puts in each base's `tp_subclasses` (its basic ref). The runner's program
//! runs its class statements before its start-up collections, so the model builds the types
//! first and then runs those collections (which decide where each object sits in the oldest
//! generation).

use super::code::class_body_code;
use super::heap::{DEL_METHOD, Id, Kind, NIL, Val};
use super::machine::{Machine, PyResult, Temp, exc};
use super::profile::{ClassStep, ClassTemp, MroLists};
use crate::scenario::{ClassOrigin, MethodKind};

/// What a class statement has made so far ([`Machine::build_class`]).
struct ClassParts {
    i: usize,
    bases: Id,
    /// The body's namespace: names and values, in the order the body stores them.
    namespace: Vec<(String, Val)>,
    dict: Id,
    t: Id,
    /// The body's frame object while it runs (≤3.10).
    frame: Option<usize>,
    /// The values a copy of the type's dict holds while it lives ([`ClassTemp::NamesCopy`]).
    held: Vec<Val>,
    /// 2.7 `type()`'s argument tuple while the call runs ([`ClassTemp::CallArgs`]).
    call_args: Id,
    /// The bases tuple came from the call (made or given), not from `type_new`'s `(object,)`:
    /// the type takes a reference of its own.
    bases_from_call: bool,
    /// The call (2.7: the stack) still holds its reference to the bases tuple, besides the
    /// type's.
    call_holds_bases: bool,
}

/// How many full collections the generated program runs between its class statements and the
/// scenario's first statement (`gc.collect()` three times in its start-up section).
const STARTUP_COLLECTIONS: usize = 3;

impl Machine<'_> {
    /// A start-up object: allocated, refcount 0, tracked (`_PyObject_GC_TRACK`), without
    /// counting an allocation or taking anything from a free list (start-up's state of the
    /// counts and free lists is the model's starting point).
    fn startup_object(&mut self, kind: Kind) -> Id {
        let id = self.heap.alloc(kind, true);
        self.track(id);
        id
    }

    /// An object of a class statement: allocated, tracked (`_PyObject_GC_TRACK`), refcount 0.
    /// Among the steps (`counted`) it is taken from its free list or counted in generation 0
    /// first (which may start a collection, before the object exists, as
    /// `_PyObject_GC_Alloc` does); a class of `classes:` ([`Machine::startup_object`]) counts
    /// nothing: start-up's counts and free lists are the model's starting point.
    fn class_object(&mut self, kind: Kind, counted: bool) -> Id {
        if counted && !self.alloc_from_freelist(&kind) {
            self.gc_alloc();
        }
        self.startup_object(kind)
    }

    /// Run the class statements of `classes:` (in order), bind each class in the module's
    /// globals, then settle the heap as the program's start-up collections do. The classes of
    /// class statements among the steps are made when those run ([`Machine::exec_class_stmt`]).
    pub(super) fn build_classes(&mut self) {
        let first = self.heap.count();
        let n = self.sc.classes.len();
        self.heap.set_class_types(vec![NIL; n]);
        self.heap
            .set_exception_classes(self.sc.classes.iter().map(|c| c.exception).collect());
        let mut declared = Vec::new();
        for i in 0..n {
            if self.sc.classes[i].origin == ClassOrigin::Declared {
                let t = self.build_class(i, false);
                self.heap.set_class_type(i, t);
                declared.push((i, t));
            }
        }
        for (i, t) in declared {
            let name = self.sc.classes[i].name.clone();
            self.dict_set(self.globals, &name, Val::Obj(t));
        }
        for _ in 0..STARTUP_COLLECTIONS {
            self.settle();
        }
        self.startup_end = self.heap.count();
        self.startup_untracked = (first..self.startup_end)
            .filter(|&id| !self.heap.is_freed(id) && !self.heap.is_tracked(id))
            .collect();
        self.startup_tracked = (first..self.startup_end)
            .filter(|&id| !self.heap.is_freed(id) && self.heap.is_tracked(id))
            .count() as i64;
    }

    /// A class statement among the steps (`class C(A): pass`, `C = type('C', (A,), {})`):
    /// its objects and temporaries counted as CPython allocates them, then the type stored
    /// under its name (`STORE_NAME`, which takes `__build_class__`'s reference).
    pub(super) fn exec_class_stmt(&mut self, name: &str) -> PyResult<()> {
        let i = self
            .sc
            .class_index(name)
            .ok_or_else(|| exc("NameError", name.to_string()))?;
        let t = self.build_class(i, true);
        self.heap.set_class_type(i, t);
        self.store(name, Val::Obj(t));
        Ok(())
    }

    /// One class statement (`__build_class__` → `type_new` → `PyType_Ready`), its moments in
    /// CPython's order ([`ClassBuild`](super::profile::ClassBuild)); `counted` for a statement
    /// among the steps, whose temporaries and allocations count (a class of `classes:` runs
    /// before start-up's collections, and only its objects' order matters). Returns the type,
    /// with one reference (`__build_class__`'s) when `counted`.
    fn build_class(&mut self, i: usize, counted: bool) -> Id {
        let build = self.p.class_build;
        let steps = match self.sc.classes[i].origin {
            ClassOrigin::Step { via_type: true } => build.type_call,
            _ => build.statement,
        };
        // `type('C', (), {})`: `type_new` makes the bases tuple ([`ClassStep::PackedBases`]).
        let packed = self.sc.classes[i].origin == (ClassOrigin::Step { via_type: true })
            && self.sc.classes[i].bases.is_empty();
        let mut b = ClassParts {
            i,
            bases: NIL,
            namespace: Vec::new(),
            dict: NIL,
            t: NIL,
            frame: None,
            held: Vec::new(),
            call_args: NIL,
            bases_from_call: false,
            call_holds_bases: false,
        };
        for &step in steps.iter().copied().flatten() {
            match step {
                ClassStep::Bases if packed => {}
                ClassStep::PackedBases if !packed => {}
                ClassStep::Bases | ClassStep::PackedBases => {
                    self.class_bases(&mut b, counted);
                    b.bases_from_call = counted && !packed;
                    b.call_holds_bases = b.bases_from_call;
                }
                ClassStep::Body => self.class_body(&mut b),
                ClassStep::Dict => self.class_dict(&mut b, counted),
                ClassStep::Type => self.class_type(&mut b, counted),
                ClassStep::Descriptors => self.class_descriptors(&b, counted),
                ClassStep::Mro => self.build_mro(i, b.t, counted),
                ClassStep::Doc => self.dict_set(b.dict, "__doc__", Val::None),
                ClassStep::Subclass => self.add_subclass(i, b.t, counted),
                _ if !counted => {}
                ClassStep::BodyFunction => self.gc_alloc(),
                ClassStep::BodyFunctionFree => self.gc_free(),
                ClassStep::BodyFrame => b.frame = self.frame_object_new(class_body_code(i)),
                ClassStep::BodyFrameEnd => {
                    if let Some(f) = b.frame.take() {
                        self.frame_object_decref(f);
                    }
                }
                ClassStep::Temp(t) => self.class_temp(t, &mut b, true),
                ClassStep::TempFree(t) => self.class_temp(t, &mut b, false),
                ClassStep::Return if b.call_holds_bases => self.decref(Val::Obj(b.bases)),
                ClassStep::Return => {}
                ClassStep::EvalBreaker => self.eval_breaker(),
            }
        }
        // The `__slots__` tuple is the code's constant, held by it (and untracked by the
        // first start-up collection: it holds strings).
        if let Some(st) = self.classes[i].slots_constant.take() {
            self.heap.hdr_mut(st).refcnt += 1;
            self.class_constants.push(st);
        }
        b.t
    }

    /// A temporary of a class statement made (`make`) or released.
    fn class_temp(&mut self, t: ClassTemp, b: &mut ClassParts, make: bool) {
        let temp = match t {
            ClassTemp::NamesCopy => {
                if make {
                    if self.p.class_build.copy_holds_values {
                        b.held = match self.heap.kind(b.dict) {
                            Kind::Dict(d) => d.values(),
                            _ => unreachable!("a type's dict"),
                        };
                        for v in &b.held {
                            self.incref(*v);
                        }
                    }
                    self.temp_alloc(Temp::Dict);
                } else {
                    self.temp_free(Temp::Dict);
                    for v in std::mem::take(&mut b.held) {
                        self.decref(v);
                    }
                }
                return;
            }
            ClassTemp::CallArgs => {
                if make {
                    // `load_args` moves the stack's references into the tuple (`()`, for no
                    // base, is no modelled object).
                    let bases = if b.bases == NIL {
                        Val::None
                    } else {
                        Val::Obj(b.bases)
                    };
                    let args = self.new_object(Kind::Tuple(vec![Val::None, bases, Val::None]));
                    self.heap.hdr_mut(args).refcnt = 1;
                    self.track(args);
                    b.call_holds_bases = false;
                    b.call_args = args;
                } else {
                    let args = std::mem::replace(&mut b.call_args, NIL);
                    self.decref(Val::Obj(args));
                }
                return;
            }
            // The function, the name, the bases (`object` when the statement names none: the
            // program writes `class C(object):`).
            ClassTemp::BuildClassArgs => Temp::Tuple(2 + self.sc.classes[b.i].bases.len().max(1)),
            ClassTemp::BuiltinMethod if self.p.class_build.cfunction_freelist => {
                Temp::BuiltinMethod
            }
            ClassTemp::BuiltinMethod | ClassTemp::Super => {
                if make {
                    self.gc_alloc()
                } else {
                    self.gc_free()
                }
                return;
            }
            ClassTemp::Dict => Temp::Dict,
            ClassTemp::Tuple(n) => Temp::Tuple(n),
        };
        if make {
            self.temp_alloc(temp)
        } else {
            self.temp_free(temp)
        }
    }

    /// The bases tuple: `(object,)` holds no modelled object (None stands for `object`);
    /// held by `__build_class__` (2.7: the stack) until it returns ([`ClassStep::Return`]),
    /// and by the type (`tp_bases`). A class of `classes:` runs no collection while it is
    /// built: its tuple has the type's reference only.
    fn class_bases(&mut self, b: &mut ClassParts, counted: bool) {
        let sc = self.sc;
        let c = &sc.classes[b.i];
        let items: Vec<Val> = if c.bases.is_empty() {
            vec![Val::None]
        } else {
            c.bases
                .iter()
                .filter_map(|n| sc.class_index(n))
                .map(|k| Val::Obj(self.heap.class_type(k)))
                .collect()
        };
        for v in &items {
            self.incref(*v);
        }
        b.bases = self.class_object(Kind::Tuple(items), counted);
        self.heap.hdr_mut(b.bases).refcnt = 1;
    }

    /// The body: `__module__` (`__qualname__` on 3.x, which `type_new` removes again), the
    /// `__slots__` tuple, then each `def` (a new function, tracked at once), into the namespace.
    fn class_body(&mut self, b: &mut ClassParts) {
        let i = b.i;
        let c = &self.sc.classes[i];
        let mut namespace: Vec<(String, Val)> = vec![("__module__".into(), Val::None)];
        let slots_tuple = self.slots_constant(c);
        self.classes[i].slots_constant = slots_tuple;
        if c.slots.is_some() {
            namespace.push(("__slots__".into(), slots_tuple.map_or(Val::None, Val::Obj)));
        }
        // The generated program's `__hash__ = bool` when the scenario uses sets
        // (`runner::program::SET_HASH`): `bool` is a static type, no GC object.
        if self.sc.uses_sets() {
            namespace.push(("__hash__".into(), Val::None));
        }
        let mut funcs = Vec::new();
        let mut decorated = Vec::new();
        let defs = c
            .del
            .iter()
            .map(|_| DEL_METHOD)
            .chain(0..c.methods.len() as u32);
        for m in defs {
            self.incref(Val::Obj(self.globals));
            let f = self.startup_object(Kind::MethodFunc {
                class: i as u32,
                method: m,
                globals: self.globals,
                annotations: NIL,
            });
            let (name, is_decorated) = if m == DEL_METHOD {
                ("__del__".to_string(), false)
            } else {
                let md = &c.methods[m as usize];
                (md.name.clone(), md.kind != MethodKind::Plain)
            };
            // `@staticmethod` / `@classmethod`: the namespace holds the decorator's object,
            // which holds the function.
            let held = if is_decorated {
                let w = self.decorate(i, m, f);
                decorated.push((m, w));
                w
            } else {
                f
            };
            namespace.push((name, Val::Obj(held)));
            funcs.push((m, f));
        }
        self.classes[i].funcs = funcs;
        self.classes[i].decorated = decorated;
        b.namespace = namespace;
    }

    /// `type_new`'s `PyDict_Copy` of the namespace: its entries in the namespace's own
    /// iteration order (2.7's table order), the copy tracked as soon as it holds a function.
    /// `PyDict_Merge` into the new, empty dict does one big resize first when the other dict's
    /// entries would fill it past two thirds (2.7: `(fill + used) * 3 >= size * 2` →
    /// `dictresize(mp, used * 2)`, 6 entries or more), then inserts them in the other's table
    /// order without further checks; 2.7's table order is the traversal order (fuzz seed 76
    /// #758: a class with a static and a class method). 3.x keeps insertion order. The
    /// functions were the namespace's (not modelled: it is freed when the class statement
    /// ends); the type's dict holds them now.
    fn class_dict(&mut self, b: &mut ClassParts, counted: bool) {
        let copy_order: Vec<(super::dict::Key, Val)> = {
            let mut ns = self.new_dictobj(0);
            for (k, v) in &b.namespace {
                ns.set(k, *v);
            }
            ns.order()
                .into_iter()
                .filter_map(|e| ns.entries[e].clone())
                .collect()
        };
        let presize = if copy_order.len() > 5 {
            copy_order.len() * 2
        } else {
            0
        };
        let kind = Kind::Dict(Box::new(self.new_dictobj(presize)));
        let d = if counted {
            self.new_object(kind)
        } else {
            self.heap.alloc(kind, true)
        };
        self.heap.hdr_mut(d).refcnt = 1;
        for (k, v) in &copy_order {
            self.dict_set(d, k, *v);
        }
        b.dict = d;
        if b.t != NIL
            && let Kind::Type { dict, .. } = self.heap.kind_mut(b.t)
        {
            *dict = d;
        }
    }

    /// The type (`tp_alloc`), holding its bases, its base and (once made) its dict; among the
    /// steps `__build_class__` holds it until the store.
    fn class_type(&mut self, b: &mut ClassParts, counted: bool) {
        let layout = self.sc.layout(b.i);
        let base = layout.base.map_or(NIL, |k| self.heap.class_type(k));
        if base != NIL {
            self.incref(Val::Obj(base));
        }
        b.t = self.class_object(
            Kind::Type {
                class: b.i as u32,
                dict: b.dict,
                mro: NIL,
                bases: b.bases,
                base,
            },
            counted,
        );
        if counted {
            // `__build_class__`'s reference, which the store takes.
            self.heap.hdr_mut(b.t).refcnt = 1;
        }
        if b.bases_from_call {
            // The type's own reference to its bases tuple, whose first reference the call
            // holds until it returns ([`ClassStep::Return`]; 2.7 `type()`: its argument
            // tuple, [`ClassTemp::CallArgs`]).
            self.incref(Val::Obj(b.bases));
        }
    }

    /// `add_members` (own value slots, sorted), then `add_getset` (`__dict__`, then
    /// `__weakref__`, for each the class adds).
    fn class_descriptors(&mut self, b: &ClassParts, counted: bool) {
        let c = &self.sc.classes[b.i];
        let layout = self.sc.layout(b.i);
        let own = crate::scenario::hierarchy::own_value_slots(c);
        let getsets = [
            ("__dict__", layout.adds_dict),
            ("__weakref__", layout.adds_weakref),
        ];
        let descrs = own
            .iter()
            .map(|s| (s.as_str(), false))
            .chain(getsets.iter().filter(|g| g.1).map(|g| (g.0, true)));
        for (name, getset) in descrs {
            self.incref(Val::Obj(b.t));
            let d = self.class_object(Kind::Descr { owner: b.t, getset }, counted);
            self.dict_set(b.dict, name, Val::Obj(d));
        }
    }

    /// `add_subclass`, for each base (`object` included), at the end of `PyType_Ready`: a weak
    /// reference to the type (`PyWeakref_NewRef(type, NULL)`: the first base's call makes the
    /// type's basic ref, the others get it again) goes into the base's `tp_subclasses`, which
    /// holds one reference per base. `weakref.ref(A)` returns this object.
    /// - 3.x: a dict keyed by the type's address, which a base's first subclass creates
    ///   (`PyDict_New`, before the reference). A base's dict made by a class statement among
    ///   the steps is modelled (an entry per subclass, so that it stays tracked while it holds
    ///   one); the dicts of `object` and of bases that `classes:` subclasses are not, and the
    ///   references they hold are kept by the weakref's refcount alone
    ///   ([`ClassState::subclass_holds`]).
    /// - 2.7: a list (`PyList_New(0)`, before the reference), searched from its end for a dead
    ///   reference, which the new one replaces (`PyList_SetItem` releases the dead one);
    ///   otherwise appended. The model keeps which classes' references each list holds, in
    ///   order ([`ClassState::subclasses`]; [`Machine::object_subclasses`] for `object`), and
    ///   a list made by a step as an empty stand-in (lists are always tracked).
    fn add_subclass(&mut self, i: usize, t: Id, counted: bool) {
        let sc = self.sc;
        let bases: Vec<Option<usize>> = if sc.classes[i].bases.is_empty() {
            vec![None]
        } else {
            sc.classes[i]
                .bases
                .iter()
                .map(|b| sc.class_index(b))
                .collect()
        };
        let in_dict = self.p.class_build.dealloc_removes_subclass;
        let name = sc.classes[i].name.clone();
        let before_ref = self.p.class_build.subclasses_before_ref;
        let mut w = NIL;
        for k in bases {
            if before_ref {
                self.subclass_container_new(k, counted);
            }
            if w == NIL {
                w = self.class_object(
                    Kind::WeakRef {
                        referent: Some(t),
                        callback: None,
                        flavor: super::heap::WeakFlavor::Ref,
                    },
                    counted,
                );
                self.heap.weakrefs_mut(t).insert(0, w);
                self.classes[i].subclass_ref = w;
            }
            // `PyWeakref_NewRef`'s reference (a new object, or the basic ref again), which
            // `add_subclass` holds while it makes the base's dict and stores the reference.
            self.incref(Val::Obj(w));
            if !before_ref {
                self.subclass_container_new(k, counted);
            }
            let container = k.map_or(NIL, |k| self.classes[k].subclass_container);
            if in_dict && container != NIL {
                self.dict_set(container, &name, Val::Obj(w));
            } else {
                self.incref(Val::Obj(w));
                self.classes[i].subclass_holds += 1;
            }
            if !in_dict {
                self.list_subclass(k, i);
            }
            if in_dict && let Some(k) = k {
                self.classes[k].subclasses.push(i);
            }
            self.decref(Val::Obj(w));
        }
    }

    /// A base's `tp_subclasses`, made by its first subclass (`PyDict_New` 3.x, `PyList_New(0)`
    /// 2.7: from its free list, else new); `object`'s always exists. The model has it where a
    /// class statement among the steps makes it.
    fn subclass_container_new(&mut self, base: Option<usize>, counted: bool) {
        let Some(k) = base else {
            return;
        };
        if self.classes[k].has_subclass_container {
            return;
        }
        self.classes[k].has_subclass_container = true;
        if counted {
            let kind = if self.p.class_build.dealloc_removes_subclass {
                Kind::Dict(Box::new(self.new_dictobj(0)))
            } else {
                Kind::List(Vec::new())
            };
            let is_list = matches!(kind, Kind::List(_));
            let c = self.new_object(kind);
            self.heap.hdr_mut(c).refcnt = 1;
            if is_list {
                self.track(c);
            }
            self.classes[k].subclass_container = c;
        }
    }

    /// 2.7 `add_subclass`'s list: the last dead reference in it (a deleted class's) is
    /// replaced by class `i`'s and released; else `i`'s is appended.
    fn list_subclass(&mut self, base: Option<usize>, i: usize) {
        let list = match base {
            Some(k) => &self.classes[k].subclasses,
            None => &self.object_subclasses,
        };
        let dead = list.iter().rposition(|&j| {
            let w = self.classes[j].subclass_ref;
            matches!(self.heap.kind(w), Kind::WeakRef { referent: None, .. })
        });
        let list = match base {
            Some(k) => &mut self.classes[k].subclasses,
            None => &mut self.object_subclasses,
        };
        match dead {
            Some(p) => {
                let j = std::mem::replace(&mut list[p], i);
                self.classes[j].subclass_holds -= 1;
                self.decref(Val::Obj(self.classes[j].subclass_ref));
            }
            None => list.push(i),
        }
    }

    /// `type_dealloc`'s release of the references its bases' `tp_subclasses` hold to class
    /// `i`'s type. 3.x (`remove_all_subclasses(type, type->tp_bases)`, before
    /// `PyObject_ClearWeakRefs`): each base's dict drops the type's entry (found by address,
    /// so even once the reference is cleared). 2.7 has no such step (`remove_subclass` runs
    /// only when `__bases__` is assigned): the dead reference stays in each base's list, and
    /// goes when that base's own list does (`Py_XDECREF(type->tp_subclasses)`, the last thing
    /// `type_dealloc` releases), which [`Machine::release_subclass_list`] does, or when a new
    /// subclass takes its place ([`Machine::list_subclass`]).
    fn remove_all_subclasses(&mut self, i: usize) {
        if !self.p.class_build.dealloc_removes_subclass {
            return;
        }
        let w = self.classes[i].subclass_ref;
        if w == NIL {
            return;
        }
        let sc = self.sc;
        let name = &sc.classes[i].name;
        for k in sc.classes[i].bases.iter().filter_map(|b| sc.class_index(b)) {
            self.classes[k].subclasses.retain(|&j| j != i);
            let container = self.classes[k].subclass_container;
            if container != NIL
                && let Kind::Dict(d) = self.heap.kind_mut(container)
                && let Some(v) = d.remove(name)
            {
                self.decref(v);
            }
            // 3.11+ `remove_subclass` → `clear_tp_subclasses`: an emptied dict goes (to the
            // dict free list, as `dict_dealloc` puts it), and the next subclass makes another.
            if self.p.class_build.empty_subclasses_freed && self.classes[k].subclasses.is_empty() {
                self.classes[k].has_subclass_container = false;
                let c = std::mem::replace(&mut self.classes[k].subclass_container, NIL);
                if c != NIL {
                    self.decref(Val::Obj(c));
                } else {
                    self.temp_free(Temp::Dict);
                }
            }
        }
        let holds = std::mem::take(&mut self.classes[i].subclass_holds);
        for _ in 0..holds {
            self.decref(Val::Obj(w));
        }
    }

    /// `type_dealloc`'s `Py_XDECREF(type->tp_subclasses)` of class `i`'s type. 2.7: the list
    /// releases the reference it holds to each subclass's type (dead by now: a subclass holds
    /// its bases), from its end (`list_dealloc`). On 3.x each subclass took its entry out of
    /// the dict when it went ([`Machine::remove_all_subclasses`]). Then the container goes,
    /// where the model has it.
    fn release_subclass_list(&mut self, i: usize) {
        if !self.p.class_build.dealloc_removes_subclass {
            let subs = std::mem::take(&mut self.classes[i].subclasses);
            for &j in subs.iter().rev() {
                self.classes[j].subclass_holds -= 1;
                self.decref(Val::Obj(self.classes[j].subclass_ref));
            }
        }
        let c = std::mem::replace(&mut self.classes[i].subclass_container, NIL);
        if c != NIL {
            self.decref(Val::Obj(c));
        }
    }

    /// `staticmethod(f)` / `classmethod(f)` in a class body (`sm_new`/`cm_new` through
    /// `PyType_GenericAlloc`, tracked at once; then `sm_init`/`cm_init`): the object takes the
    /// function's reference; 3.10+ `functools_wraps` then stores `__module__`, `__name__`,
    /// `__qualname__`, `__doc__` and `__annotations__` in a new `__dict__` (`PyObject_SetAttr`
    /// → a new dict, untracked until the function's annotations dict, read into being by
    /// `func_get_annotations`, goes in: `MAINTAIN_TRACKING`). Returns the object, with the
    /// reference the namespace holds.
    fn decorate(&mut self, class: usize, method: u32, f: Id) -> Id {
        let w = self.startup_object(Kind::Decorated {
            class: class as u32,
            method,
            func: f,
            dict: NIL,
        });
        self.incref(Val::Obj(f));
        if self.p.class_build.decorators_copy_attributes {
            let d = self
                .heap
                .alloc(Kind::Dict(Box::new(self.new_dictobj(0))), true);
            self.heap.hdr_mut(d).refcnt = 1;
            if let Kind::Decorated { dict, .. } = self.heap.kind_mut(w) {
                *dict = d;
            }
            for k in ["__module__", "__name__", "__qualname__", "__doc__"] {
                self.dict_set(d, k, Val::None);
            }
            let ann = self
                .heap
                .alloc(Kind::Dict(Box::new(self.new_dictobj(0))), true);
            self.heap.hdr_mut(ann).refcnt = 1;
            if let Kind::MethodFunc { annotations, .. } = self.heap.kind_mut(f) {
                *annotations = ann;
            }
            self.dict_set(d, "__annotations__", Val::Obj(ann));
        }
        w
    }

    /// `staticmethod` or `classmethod`: the type of method `method` of `class`'s decorator.
    pub(super) fn decorated_type_name(&self, class: usize, method: usize) -> &'static str {
        match self.sc.classes[class].methods[method].kind {
            MethodKind::Class => "classmethod",
            _ => "staticmethod",
        }
    }

    /// The class body's `__slots__ = (...)`: a constant tuple of strings, which the
    /// namespace copy finds still tracked (so the copy is tracked at once) unless a collection
    /// untracked it before the class statement ran: the fork server's collection of
    /// generation 0 before it freezes a program that leaves the collector off (3.7+), which
    /// the program itself repeats when it runs fresh. `Some` when it is tracked then (the
    /// model keeps it as an object; the start-up collections untrack it).
    fn slots_constant(&mut self, c: &crate::scenario::ClassDef) -> Option<Id> {
        let slots = c.slots.as_ref()?;
        if slots.is_empty() || (self.p.has_freeze && self.sc.leaves_collector_off()) {
            return None;
        }
        Some(self.startup_object(Kind::Tuple(vec![Val::None; slots.len()])))
    }

    /// `mro_internal`: the MRO tuple (the type first; `object`, outside the model, last), and
    /// among the steps the lists `mro_implementation` builds first ([`MroLists`]): all made,
    /// all but the result released (to the list free list), then the tuple, then the result.
    fn build_mro(&mut self, i: usize, t: Id, counted: bool) {
        let nbases = self.sc.classes[i].bases.len().max(1);
        let lists = match self.p.class_build.mro_lists {
            _ if !counted => 0,
            MroLists::Merge => nbases + 3,
            MroLists::ResultForSeveralBases if nbases > 1 => 1,
            MroLists::ResultForSeveralBases => 0,
        };
        for _ in 0..lists {
            self.temp_alloc(Temp::List);
        }
        for _ in 1..lists {
            self.temp_free(Temp::List);
        }
        let mut items: Vec<Val> = self.classes[i]
            .mro
            .iter()
            .map(|&k| Val::Obj(if k == i { t } else { self.heap.class_type(k) }))
            .collect();
        items.push(Val::None);
        for v in &items {
            self.incref(*v);
        }
        let mro = self.class_object(Kind::Tuple(items), counted);
        self.heap.hdr_mut(mro).refcnt = 1;
        if let Kind::Type { mro: m, .. } = self.heap.kind_mut(t) {
            *m = mro;
        }
        if lists > 0 {
            self.temp_free(Temp::List);
        }
    }

    /// One of the program's start-up collections, as far as it changes the heap: every
    /// generation merged into the oldest, `move_unreachable` (all reachable: objects scanned
    /// before whatever refers to them move to the end of the list), then `untrack_tuples` and
    /// `untrack_dicts`. Counts, statistics and free lists are start-up's, not touched here.
    fn settle(&mut self) {
        for g in 0..2 {
            self.heap.merge(self.gens[g], self.gens[2]);
        }
        let young = self.gens[2];
        let unreachable = self.heap.new_head();
        self.deduce_unreachable(young, unreachable);
        debug_assert_eq!(
            self.heap.len(unreachable),
            0,
            "start-up objects are reachable"
        );
        self.heap.merge(unreachable, young);
        self.untrack_tuples(young);
        self.untrack_dicts(young);
    }

    /// The type object of scenario class `class`.
    pub(super) fn type_of_class(&self, class: usize) -> Id {
        self.heap.class_type(class)
    }

    /// The function object of method `method` ([`DEL_METHOD`]: `__del__`) of `class`.
    pub(super) fn method_func(&self, class: usize, method: u32) -> Id {
        self.classes[class]
            .funcs
            .iter()
            .find(|(m, _)| *m == method)
            .map_or(NIL, |(_, f)| *f)
    }

    /// `type_clear`: `PyType_Modified`, `PyDict_Clear` of the type's dict, `Py_CLEAR(tp_mro)`
    /// ("part of a hard cycle (its first element is the class itself) that won't be broken
    /// otherwise"). The bases, the base and the subclasses stay.
    pub(super) fn type_clear(&mut self, t: Id) {
        let (dict, mro) = match self.heap.kind_mut(t) {
            Kind::Type { dict, mro, .. } => (*dict, std::mem::replace(mro, NIL)),
            _ => unreachable!("a type"),
        };
        if dict != NIL {
            for v in self.take_items(dict) {
                self.decref(v);
            }
        }
        if mro != NIL {
            self.decref(Val::Obj(mro));
        }
    }

    /// `type_dealloc`: untrack; 3.x `remove_all_subclasses`; `PyObject_ClearWeakRefs`; then
    /// `tp_base`, `tp_dict`, `tp_bases`, `tp_mro` in that order, then (2.7) `tp_subclasses`;
    /// `PyObject_GC_Del`.
    pub(super) fn type_dealloc(&mut self, t: Id) {
        self.untrack(t);
        let Kind::Type {
            class,
            dict,
            mro,
            bases,
            base,
        } = *self.heap.kind(t)
        else {
            unreachable!("a type")
        };
        self.remove_all_subclasses(class as usize);
        self.clear_weakrefs(t);
        for r in [base, dict, bases, mro] {
            if r != NIL {
                self.decref(Val::Obj(r));
            }
        }
        self.release_subclass_list(class as usize);
        self.note_freed(t);
        self.heap.free(t);
        self.gc_free();
    }

    /// `descr_dealloc`: untrack, release `d_type` (and the name), `PyObject_GC_Del`.
    pub(super) fn descr_dealloc(&mut self, d: Id) {
        self.untrack(d);
        let owner = match self.heap.kind(d) {
            Kind::Descr { owner, .. } => *owner,
            _ => unreachable!("a descriptor"),
        };
        self.decref(Val::Obj(owner));
        self.heap.free(d);
        self.gc_free();
    }

    /// `func_dealloc` of a method's function: untrack, release what `func_clear` releases
    /// ([`Machine::method_func_clear`]), `PyObject_GC_Del`.
    pub(super) fn method_func_dealloc(&mut self, f: Id) {
        self.untrack(f);
        if !self.heap.weakrefs(f).is_empty() {
            self.clear_weakrefs(f);
        }
        self.method_func_clear(f);
        self.heap.free(f);
        self.gc_free();
    }

    /// `func_clear` of a method's function (the 3.x `tp_clear`, and what `func_dealloc`
    /// releases): `func_globals`, then (3.10+, after defaults, doc, dict and closure)
    /// `func_annotations`, what the model keeps of it.
    pub(super) fn method_func_clear(&mut self, f: Id) {
        let refs = match self.heap.kind_mut(f) {
            Kind::MethodFunc {
                globals,
                annotations,
                ..
            } => [
                std::mem::replace(globals, NIL),
                std::mem::replace(annotations, NIL),
            ],
            _ => unreachable!("a method's function"),
        };
        self.release_refs(refs);
    }

    /// `sm_dealloc` / `cm_dealloc`: untrack, release what `sm_clear` releases
    /// ([`Machine::decorated_clear`]), `tp_free`.
    pub(super) fn decorated_dealloc(&mut self, w: Id) {
        self.untrack(w);
        self.decorated_clear(w);
        self.heap.free(w);
        self.gc_free();
    }

    /// `sm_clear` / `cm_clear`: the callable, then (3.x) the dict.
    pub(super) fn decorated_clear(&mut self, w: Id) {
        let refs = match self.heap.kind_mut(w) {
            Kind::Decorated { func, dict, .. } => {
                [std::mem::replace(func, NIL), std::mem::replace(dict, NIL)]
            }
            _ => unreachable!("a staticmethod or classmethod"),
        };
        self.release_refs(refs);
    }

    /// `Py_XDECREF` of each reference, in order ([`NIL`]: none).
    fn release_refs(&mut self, refs: [Id; 2]) {
        for r in refs {
            if r != NIL {
                self.decref(Val::Obj(r));
            }
        }
    }
}

impl Machine<'_> {
    /// What a piece of a class is, for people (`explain`, `graph`): `class A`, `A.__dict__`,
    /// `A.__mro__`, `A.__bases__`, `descriptor A.x` (a slot's member descriptor, or the getset
    /// of `__dict__`/`__weakref__`: `descriptor A.__dict__`, told apart from the type's dict),
    /// `function A.m`. None for anything else.
    pub(super) fn class_part_text(&self, id: Id) -> Option<String> {
        let name = |c: u32| self.sc.classes[c as usize].name.as_str();
        match self.heap.kind(id) {
            Kind::Type { class, .. } => Some(format!("class {}", name(*class))),
            Kind::MethodFunc { class, method, .. } => Some(if *method == DEL_METHOD {
                format!("function {}.__del__", name(*class))
            } else {
                format!(
                    "function {}.{}",
                    name(*class),
                    self.sc.classes[*class as usize].methods[*method as usize].name
                )
            }),
            Kind::Decorated { class, method, .. } => Some(format!(
                "{} {}.{}",
                self.decorated_type_name(*class as usize, *method as usize),
                name(*class),
                self.sc.classes[*class as usize].methods[*method as usize].name
            )),
            Kind::Descr { owner, .. } => {
                let (Kind::Type { class, dict, .. }, true) =
                    (self.heap.kind(*owner), *owner < self.startup_end)
                else {
                    return None;
                };
                let key = match self.heap.kind(*dict) {
                    Kind::Dict(d) if *dict != NIL => d
                        .entries
                        .iter()
                        .flatten()
                        .find(|(_, v)| *v == Val::Obj(id))
                        .map(|(k, _)| k.clone()),
                    _ => None,
                };
                Some(match key {
                    Some(k) => format!("descriptor {}.{k}", name(*class)),
                    None => format!("a descriptor of {}", name(*class)),
                })
            }
            // A decorator's `__dict__` (3.10+), or its function's `__annotations__`.
            Kind::Dict(_)
                if let Some(text) = self.classes.iter().enumerate().find_map(|(c, cs)| {
                    cs.decorated.iter().find_map(|&(m, w)| {
                        let Kind::Decorated { func, dict, .. } = *self.heap.kind(w) else {
                            return None;
                        };
                        let ann = match (func != NIL).then(|| self.heap.kind(func)) {
                            Some(Kind::MethodFunc { annotations, .. }) => *annotations,
                            _ => NIL,
                        };
                        let part = if id == dict {
                            "__dict__"
                        } else if id == ann {
                            "__annotations__"
                        } else {
                            return None;
                        };
                        Some(format!(
                            "{}.{}.{part}",
                            self.sc.classes[c].name, self.sc.classes[c].methods[m as usize].name
                        ))
                    })
                }) =>
            {
                Some(text)
            }
            Kind::Tuple(_) | Kind::Dict(_) => (0..self.sc.classes.len()).find_map(|c| {
                let t = self.type_of_class(c);
                let Kind::Type {
                    dict, mro, bases, ..
                } = *self.heap.kind(t)
                else {
                    return None;
                };
                let part = if id == dict {
                    "__dict__"
                } else if id == mro {
                    "__mro__"
                } else if id == bases {
                    "__bases__"
                } else {
                    return None;
                };
                Some(format!("{}.{part}", self.sc.classes[c].name))
            }),
            _ => None,
        }
    }
}
