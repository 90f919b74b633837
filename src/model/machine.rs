//! The modelled interpreter's state ([`Machine`]) and its primitives: reference counts
//! (`Py_INCREF`/`Py_DECREF`), GC tracking (`_PyObject_GC_TRACK`, `MAINTAIN_TRACKING`),
//! allocation ([`Machine::gc_alloc`], which counts a GC object in generation 0 and may start an
//! automatic collection, as `_PyObject_GC_Alloc` does), the free lists, the journal and labels.
//!
//! What runs on this state lives next to it, each an `impl Machine` of its own:
//! `statements.rs` (one function per statement family, as CPython's bytecode for it behaves),
//! `objects.rs` (instances, attributes, dict stores, weakrefs), `frames.rs` (names, `__del__`
//! and callback frames), `gc_module.rs` (the `gc` module's functions), `observe.rs` (what the
//! trace observes), `collector.rs` (the collection) and `dealloc.rs` (deallocation).
//!
//! Statements act as CPython's bytecode for them does: a store increfs the new value before it
//! decrefs the old one (`insertdict`), containers maintain their tracking, and every allocation
//! of a GC object goes through [`Machine::gc_alloc`].

use super::dict27::Table27;
use super::heap::{DictObj, Heap, Id, Kind, NIL, Val};
use super::journal::{Ctx, Journal, Note};
use super::profile::{AutoGc, InstanceLayout, PROGRAM_C_UNITS, Profile, SlotsDictInline};
use crate::scenario::Scenario;
use crate::trace::Event;
use std::collections::{HashMap, HashSet};

/// A Python exception raised by a statement (its type name and a detail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exc {
    pub kind: &'static str,
    pub detail: String,
}

pub type PyResult<T> = Result<T, Exc>;

/// The "exception" a `return` statement unwinds its body with: not an exception of Python's,
/// the model's way out of a body; the value is in [`Machine::ret`].
pub(super) const RETURN: &str = "<return>";

/// The kind of [`Exc`] that carries an exception of a scenario class (the object is in
/// [`Machine::curexc`]; the detail names its class).
pub(super) const RAISED: &str = "<raised>";

/// An exception with its traceback (owned references; `tb` is [`NIL`] when there is none or
/// when the exception holds it itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raised {
    pub exc: Id,
    pub tb: Id,
}

/// Whether an error is an exception of a scenario class.
pub(super) fn is_raised(e: &Exc) -> bool {
    e.kind == RAISED
}

/// How a call fails before its frame exists (wrong arguments, the recursion limit): the
/// caller still owns what it would have handed over.
pub(super) const NOT_ENTERED: &str = "<not entered>";

/// A Python exception of type `kind` (`PyErr_SetString`).
pub(super) fn exc(kind: &'static str, detail: impl Into<String>) -> Exc {
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
    /// The MRO, the class first (`object` left out).
    pub mro: Vec<usize>,
    /// The class whose `__del__` instances run (the first on the MRO with one).
    pub finalizer: Option<usize>,
    /// The function objects of the class's own `def`s (`__del__` is
    /// [`DEL_METHOD`](super::heap::DEL_METHOD)), made by its class statement.
    pub funcs: Vec<(u32, Id)>,
    /// The `staticmethod`/`classmethod` objects of its decorated methods, by method number.
    pub decorated: Vec<(u32, Id)>,
    /// The weak reference to the type that `add_subclass` keeps in each base's
    /// `tp_subclasses` (one object, `PyWeakref_NewRef` without callback: the type's basic ref,
    /// the one `weakref.ref(A)` returns); [`NIL`](super::heap::NIL) before the class statement.
    pub subclass_ref: Id,
    /// How many bases' `tp_subclasses` hold [`ClassState::subclass_ref`] now (references
    /// from outside the modelled heap, for the refcount invariant).
    pub subclass_holds: i64,
    /// This class's `tp_subclasses` exists (a class statement named it as a base).
    pub has_subclass_container: bool,
    /// This class's `tp_subclasses` where the model has it (made by a class statement among
    /// the steps): a dict (3.x) holding its subclasses' weak references, a list stand-in
    /// (2.7); [`NIL`](super::heap::NIL) otherwise.
    pub subclass_container: Id,
    /// The classes whose weak references this class's `tp_subclasses` holds: 2.7 in list
    /// order, dead ones included.
    pub subclasses: Vec<usize>,
    /// The `__slots__` constant tuple its class statement made, until the statement ends.
    pub slots_constant: Option<Id>,
}

/// A running `__del__` or callback.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// A `__del__` of this class (or, with `method`, one of its methods).
    pub class: Option<usize>,
    /// With `class`: the frame runs this method of the class, not its `__del__`.
    pub method: Option<usize>,
    /// A call of the function of `def` number `func`: its locals are its `co_varnames`,
    /// cells and free cells ([`crate::scenario::FuncScope`]), in the order the frame
    /// releases them.
    pub func: Option<usize>,
    /// What the frame owns besides its locals, released after them (3.11+ `f_func`).
    pub extra: Vec<Val>,
    /// A callback of `callbacks:` (by index); neither: the harness's `callback`.
    pub callback: Option<usize>,
    pub locals: Vec<(String, Option<Val>)>,
    /// Its frame object, an index into [`Machine::frame_objs`] (≤3.10 from the call on,
    /// 3.11+ once materialised).
    pub obj: Option<usize>,
    /// 2.7: the exception its caller was handling, saved when this frame handled its first
    /// (`f_exc_*`, `set_exc_info`), put back when it returns (`reset_exc_info`).
    pub exc_saved: Option<Option<Raised>>,
    /// A `__del__` frame: the label of the instance it finalizes, as the call found it (what
    /// its `raise` reports, whatever `self` holds by then).
    pub finalizing: Option<String>,
}

/// A frame object (≤3.10, `PyFrameObject`) of a `__del__` or callback call, from the call
/// until `frame_dealloc` has released it. It holds its locals once the call returned, and a
/// reference to the frame it was called from (`f_back`), if that is a `__del__` or callback
/// frame too (the program's module frame is never freed).
#[derive(Debug, Clone, Default)]
pub struct FrameObj {
    /// The code object: a class's `__del__` (class index), the harness's callback
    /// ([`super::code::BUILTIN_CALLBACK_CODE`]), a function of `callbacks:`
    /// ([`super::code::callback_code`]) or the `gc.callbacks` entry
    /// ([`GC_CALLBACK_CODE`](super::code::GC_CALLBACK_CODE)).
    pub code: usize,
    /// The locals to release, in `co_varnames` order (set when the call returns).
    pub locals: Vec<Val>,
    /// `f_back`.
    pub back: Option<usize>,
    /// References: the running call's, and one per frame whose `f_back` this is.
    pub refcnt: u32,
    /// Its stand-in in the collector's lists while it is tracked ([`Kind::Frame`](super::heap::Kind::Frame),
    /// [`Profile::frames_tracked_in_calls`](super::profile::Profile::frames_tracked_in_calls)),
    /// or [`NIL`](super::heap::NIL).
    pub gc: Id,
    /// How many of its references are held by heap objects (tracebacks, the `f_back` of
    /// frames that outlived their calls): with any, the frame outlives its call as a heap
    /// object ([`Machine::frame_dealloc`]).
    pub heap_refs: u32,
}

/// What the trashcan deferred (`_PyTrash_thread_deposit_object`): an object, or (≤3.10) a
/// frame object with its locals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deferred {
    Object(Id),
    Frame(usize),
}

/// Container free lists (`free_list` in listobject.c/dictobject.c, per-size tuple lists).
#[derive(Debug, Clone, Default)]
pub struct FreeLists {
    pub lists: usize,
    pub dicts: usize,
    pub tuples: HashMap<usize, usize>,
    /// Bound method objects (`PyMethod` free list: 2.7/3.6 `__del__` lookup).
    pub methods: usize,
    /// Builtin methods bound to their object (`PyCFunction` free list: 2.7/3.6 `x.append`).
    pub builtin_methods: usize,
    /// Frame objects (≤3.10 `free_list` in `Objects/frameobject.c`).
    pub frames: usize,
    /// Sets and frozensets (2.7 `free_list` in `Objects/setobject.c`).
    pub sets: usize,
}

/// A short-lived object CPython creates around a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temp {
    /// An argument tuple of this size (`METH_VARARGS`, type calls, 2.7 method calls).
    Tuple(usize),
    /// A bound method object (`PyMethod_New`: a Python function bound to an instance).
    Method,
    /// A builtin method bound to its object (`PyCFunction_NewEx` with `self`, as
    /// `LOAD_ATTR` makes for `x.append`).
    BuiltinMethod,
    /// A dict that holds no GC object (`PyDict_New`: from the dict free list, else new;
    /// `dict_dealloc` puts it back while there is room), as `invoke_gc_callback`'s `info`.
    Dict,
    /// An iterator over a list (`list_iter`: `PyObject_GC_New`, tracked; no free list), as
    /// `set_update_internal` makes.
    ListIterator,
    /// A list (`PyList_New`: from the list free list, else new; `list_dealloc` puts it back
    /// while there is room), as `mro_implementation` makes.
    List,
}

/// `PySet_MAXFREELIST` (2.7 `Objects/setobject.c`).
pub const SET_MAXFREELIST: usize = 80;

/// `NUM_GENERATIONS`: three generations in every modelled version (`Modules/gcmodule.c` 2.7,
/// 3.6; `Include/internal/mem.h` 3.7; `Include/internal/pycore_pymem.h` 3.8;
/// `Include/internal/pycore_gc.h` 3.9+). The permanent generation of `gc.freeze()` is apart.
pub const NUM_GENERATIONS: usize = 3;

/// `PyMethod_MAXFREELIST` (`Objects/classobject.c`, 256 in 2.7–3.8; the bound-method free list
/// is gone in 3.9): bound method objects kept for reuse. The model creates bound methods only
/// where [`Profile::bound_method_calls`] says so (2.7, 3.6).
pub const METHOD_MAXFREELIST: usize = 256;

/// `PyCFunction_MAXFREELIST` (`Objects/methodobject.c`, 256 in 2.7–3.8): builtin-method
/// objects kept for reuse, a free list apart from the bound methods' (`x.append` on 2.7 and
/// 3.6 takes from this one, a `__del__` lookup from the other).
pub const CFUNCTION_MAXFREELIST: usize = 256;

/// `PyList_MAXFREELIST`: emptied list objects kept for reuse, 80 in every modelled version
/// (`Objects/listobject.c` 2.7–3.9; `Include/internal/pycore_interp.h` 3.10;
/// `Include/internal/pycore_list.h` 3.11–3.12; `Include/internal/pycore_freelist.h` 3.13).
pub const LIST_MAXFREELIST: usize = 80;

/// `PyDict_MAXFREELIST`: emptied dict objects kept for reuse, 80 in every modelled version
/// (`Objects/dictobject.c` 2.7–3.9; `Include/internal/pycore_interp.h` 3.10;
/// `Include/internal/pycore_dict.h` 3.11; `Include/internal/pycore_dict_state.h` 3.12;
/// `Include/internal/pycore_freelist.h` 3.13).
pub const DICT_MAXFREELIST: usize = 80;

/// `PyTuple_MAXFREELIST`: tuples kept per size, 2000 in every modelled version
/// (`Objects/tupleobject.c` 2.7–3.9; `Include/internal/pycore_interp.h` 3.10;
/// `Include/internal/pycore_tuple.h` 3.11–3.12; `Include/internal/pycore_freelist.h` 3.13).
pub const TUPLE_MAXFREELIST: usize = 2000;

/// `PyTuple_MAXSAVESIZE` (20, same files as [`TUPLE_MAXFREELIST`]): the model keeps free lists
/// for tuples of 1 to 19 items, the rule of 2.7–3.10 (`size < PyTuple_MAXSAVESIZE` in
/// `PyTuple_New` and `tupledealloc`). Later versions differ at exactly 20 items: 3.11's
/// `maybe_freelist_push` also saves 20-item tuples (its pop still takes only `size < 20`), and
/// 3.12–3.13 save and reuse 1 to 20 (`size <= PyTuple_MAXSAVESIZE`). No scenario of the corpus
/// builds a 20-item tuple (nor does the fuzzer, whose tuples have 1 or 2 items); see "Known
/// differences" in `docs/cpython-gc-facts.md`.
pub const TUPLE_MAXSAVESIZE: usize = 20;

/// The whole modelled interpreter state.
pub struct Machine<'s> {
    pub(super) p: Profile,
    pub(super) sc: &'s Scenario,
    pub(super) heap: Heap,
    /// Generation list heads, youngest first.
    pub(super) gens: [Id; NUM_GENERATIONS],
    pub(super) permanent: Id,
    pub(super) count: [i64; NUM_GENERATIONS],
    pub(super) threshold: [i64; NUM_GENERATIONS],
    pub(super) enabled: bool,
    pub(super) saveall: bool,
    pub(super) collecting: bool,
    pub(super) long_lived_pending: i64,
    pub(super) long_lived_total: i64,
    /// The interpreter's own objects (and the harness's) that live in the oldest generation:
    /// the start-up heap, not modelled one by one. A full collection counts them in
    /// `long_lived_total`; `gc.freeze()` moves them to the permanent generation and
    /// `gc.unfreeze()` back.
    pub(super) unmodelled_old: i64,
    /// The start-up heap is in the permanent generation (after `gc.freeze()`).
    pub(super) unmodelled_frozen: bool,
    /// `generation_stats` / `gcstate->generation_stats`: per generation, the collections run
    /// and what they collected and found uncollectable (`gc.get_stats()`, 3.4+).
    pub(super) stats: crate::trace::Stats,
    /// The module's globals dict.
    pub(super) globals: Id,
    /// The collector's own garbage list (C static / interpreter state).
    pub(super) garbage_internal: Id,
    /// What the module attribute `gc.garbage` is bound to.
    pub(super) garbage_attr: Id,
    pub(super) frames: Vec<Frame>,
    pub(super) classes: Vec<ClassState>,
    /// The scenario classes whose weak references `object`'s `tp_subclasses` holds (2.7, in
    /// list order: [`ClassState::subclasses`]).
    pub(super) object_subclasses: Vec<usize>,
    name_counts: HashMap<String, u32>,
    pub(super) events: Vec<Event>,
    /// The trashcan's nesting (≤3.12, [`TrashcanLimit::Nesting`](super::profile::TrashcanLimit)).
    pub(super) trash_nesting: u32,
    /// 3.13: `tstate->c_recursion_remaining` ([`Profile::c_recursion`]).
    pub(super) c_remaining: i64,
    /// The trashcan's delete-later chain, newest last.
    pub(super) trash_later: Vec<Deferred>,
    /// ≤3.10: frame objects of calls not yet released (freed slots are `None`).
    pub(super) frame_objs: Vec<Option<FrameObj>>,
    /// The slots of [`Machine::frame_objs`] whose frame object is tracked now (2.7, 3.6).
    pub(super) tracked_frames: Vec<usize>,
    /// The heap stand-in of each running call's frame object that has one, to its slot in
    /// [`Machine::frame_objs`] (references to it count there).
    pub(super) frame_slot: HashMap<Id, usize>,
    /// Slots of [`Machine::frame_objs`] whose frame outlived its call, to the heap object it
    /// became (a frame object still counting it as `f_back` releases that).
    pub(super) escaped_slots: HashMap<usize, Id>,
    /// The exception being raised (`curexc_*` of the thread state), while a statement unwinds.
    pub(super) curexc: Option<Raised>,
    /// The exceptions being handled (3.x: innermost last), or 2.7's thread state's one.
    pub(super) handled: Vec<Raised>,
    /// An exception is set in the thread state (`PyErr_Occurred()`): from the raise until a
    /// handler fetches it, except while a finalizer or callback runs (they save and restore
    /// it) and while 3.x `PyTraceBack_Here` holds it fetched. No automatic collection starts
    /// (or is scheduled) in an allocation meanwhile.
    pub(super) err_set: bool,
    /// Exceptions raised in `__del__` bodies (or by their calls) that CPython prints and
    /// ignores (`PyErr_WriteUnraisable`), by type, in order of first occurrence.
    pub(super) ignored: Vec<(&'static str, u64)>,
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
    pub(super) executed: u64,
    /// The run exceeded [`MAX_EXECUTED`]: everything fails from now on.
    pub(super) runaway: bool,
    /// `observe`'s marks per id, and the stamp of the latest observation.
    pub(super) obs_mark: Vec<u32>,
    pub(super) obs_epoch: u32,
    /// Code objects whose cached ("zombie") frame is free to use, ≤3.10 (`co_zombieframe`):
    /// `__del__` of a class (by class index), the callback (`usize::MAX`), or the `gc.callbacks`
    /// entry ([`GC_CALLBACK_CODE`](super::code::GC_CALLBACK_CODE)). A call takes it;
    /// the first frame released while the slot is empty fills it again.
    pub(super) zombie_frames: HashSet<usize>,
    /// Call sites (statements, by address) that have run once: 3.12+ specialises them from
    /// their second execution on (`list.append`, see `exec_append`).
    pub(super) call_sites: HashSet<usize>,
    /// The next collection is an automatic one (for the journal).
    pub(super) auto_collect: bool,
    /// References the running statements hold on the value stack: objects an expression made
    /// (a bound method of `a.method`) until the statement that uses them is done with them.
    pub(super) stack: Vec<Val>,
    /// Where the running statement's part of [`Machine::stack`] starts.
    pub(super) stack_base: usize,
    /// The scenario's `def`s by index.
    pub(super) defs: Vec<&'s crate::scenario::FuncDef>,
    /// A `return` in progress: the value the function returns (an owned reference).
    pub(super) ret: Option<Val>,
    /// The constant tuple of each `def` whose defaults are all constants (3.x), made once.
    pub(super) const_defaults: HashMap<usize, Id>,
    /// For `explain` and `graph` (kept only with a journal): each cell's variable and the
    /// function whose call made it, `cell for x in make`.
    pub(super) cell_names: HashMap<Id, String>,
    /// The model's account of its decisions, when `explain` asked for one.
    pub(super) journal: Option<Box<Journal>>,
    /// Ids below this were made before the scenario's first statement (the module's globals,
    /// `gc.garbage`, the classes' objects): start-up's, as the runner counts them.
    pub(super) startup_end: Id,
    /// How many of the classes' objects are tracked when the scenario starts (the runner's
    /// measured start-up heap counts them; the model keeps them as objects of its own).
    pub(super) startup_tracked: i64,
    /// The classes' objects that start-up left untracked (tuples and dicts of strings).
    pub(super) startup_untracked: Vec<Id>,
    /// The class bodies' `__slots__` tuples the model keeps (constants of the program's code).
    pub(super) class_constants: Vec<Id>,
    /// The tuples of literals statements bound (`t = (1, 2)`): constants of the code object,
    /// which holds one reference to each.
    pub(super) tuple_constants: std::collections::HashSet<Id>,
}

impl<'s> Machine<'s> {
    /// A fresh interpreter for `sc` under profile `p`, as the runner's program finds it after
    /// start-up: classes created (`type_new`), the module globals and `gc.garbage` in the oldest
    /// generation, thresholds at their defaults, the collector disabled (the harness calls
    /// `gc.disable()` first), and 2.7's list and dict free lists full.
    pub(super) fn new(sc: &'s Scenario, p: Profile) -> Self {
        let mut heap = Heap::default();
        let gens = [heap.new_head(), heap.new_head(), heap.new_head()];
        let permanent = heap.new_head();
        let classes = (0..sc.classes.len())
            .map(|i| class_state(sc, i, &p))
            .collect();
        let mut m = Machine {
            p,
            sc,
            heap,
            gens,
            permanent,
            count: [0; NUM_GENERATIONS],
            threshold: [p.thresholds.0, p.thresholds.1, p.thresholds.2],
            enabled: false,
            saveall: false,
            collecting: false,
            long_lived_pending: 0,
            long_lived_total: 0,
            unmodelled_old: 0,
            unmodelled_frozen: false,
            stats: crate::trace::Stats::default(),
            globals: NIL,
            garbage_internal: NIL,
            garbage_attr: NIL,
            frames: Vec::new(),
            classes,
            object_subclasses: Vec::new(),
            name_counts: HashMap::new(),
            events: Vec::new(),
            trash_nesting: 0,
            c_remaining: p
                .c_recursion
                .map_or(0, |c| i64::from(c.limit) - i64::from(PROGRAM_C_UNITS)),
            trash_later: Vec::new(),
            frame_objs: Vec::new(),
            tracked_frames: Vec::new(),
            frame_slot: HashMap::new(),
            escaped_slots: HashMap::new(),
            curexc: None,
            handled: Vec::new(),
            err_set: false,
            ignored: Vec::new(),
            freelists: FreeLists::default(),
            gc_pending: false,
            zombie_frames: HashSet::new(),
            call_sites: HashSet::new(),
            obs_mark: Vec::new(),
            obs_epoch: 0,
            executed: 0,
            callback_referent: None,
            runaway: false,
            any_finalizer: sc.classes.iter().any(|c| c.del.is_some()),
            weakrefs_exist: false,
            auto_collect: false,
            stack: Vec::new(),
            stack_base: 0,
            defs: sc.defs(),
            ret: None,
            const_defaults: HashMap::new(),
            cell_names: HashMap::new(),
            journal: None,
            startup_end: 0,
            startup_tracked: 0,
            startup_untracked: Vec::new(),
            class_constants: Vec::new(),
            tuple_constants: std::collections::HashSet::new(),
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
        if sc.record_collections && p.debug_stats_report {
            // 2.7 `record: collections`: start-up's collections called the harness's
            // `sys.stderr.write`, whose frame is now its code object's zombie frame.
            m.zombie_frames.insert(super::code::GC_CALLBACK_CODE);
        }
        if !p.full_gc_clears_container_freelists {
            // 2.7 keeps its list and dict free lists across collections; start-up leaves them full.
            m.freelists.lists = LIST_MAXFREELIST;
            m.freelists.dicts = DICT_MAXFREELIST;
        }
        if p.sets.freelist {
            // Filled by the harness's warm-up (`_prime` sets).
            m.freelists.sets = SET_MAXFREELIST;
        }
        // The class statements, and the start-up collections after them.
        m.build_classes();
        m
    }

    /// A new dict's contents (`PyDict_New` / `_PyDict_NewPresized`): 2.7 dicts get a slot table
    /// presized for `presize` entries.
    /// Begin as CPython's collector does after the harness's start-up collection: the oldest
    /// generation holds `startup_heap` objects of the interpreter's own (not modelled one by
    /// one), which the full-collection heuristic of `collect_generations` weighs new
    /// survivors against (`long_lived_total`; `long_lived_pending` is 0).
    /// `measured` is the runner's measurement (which counts the classes' objects, modelled
    /// here one by one); without one, the profile's reference (a scenario without classes).
    pub(super) fn start_from(&mut self, measured: Option<u64>) {
        let startup_heap = match measured {
            Some(n) => i64::try_from(n).unwrap_or(i64::MAX) - self.startup_tracked,
            None => i64::try_from(self.p.startup_heap).unwrap_or(i64::MAX),
        };
        self.unmodelled_old = startup_heap.max(0);
        self.long_lived_total = self.unmodelled_old;
        self.long_lived_pending = 0;
    }

    pub(super) fn new_dictobj(&self, presize: usize) -> DictObj {
        DictObj::new(
            (self.p.layout == InstanceLayout::DictHashOrder).then(|| Table27::presized(presize)),
        )
    }

    // ----------------------------------------------------------------- refcounts, tracking

    /// `Py_INCREF` (ints and `None` are not counted: they are never freed).
    pub(super) fn incref(&mut self, v: Val) {
        if let Val::Obj(id) = v {
            self.heap.hdr_mut(id).refcnt += 1;
        }
    }

    /// `Py_DECREF`: deallocate at zero.
    pub(super) fn decref(&mut self, v: Val) {
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
    pub(super) fn track(&mut self, id: Id) {
        if !self.heap.is_tracked(id) {
            self.heap.append(id, self.gens[0]);
        }
    }

    /// `_PyObject_GC_UNTRACK`.
    pub(super) fn untrack(&mut self, id: Id) {
        self.heap.unlink(id);
    }

    /// `_PyObject_GC_MAY_BE_TRACKED`: a GC object, and for tuples a tracked one.
    pub(super) fn may_be_tracked(&self, v: Val) -> bool {
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
    pub(super) fn maintain_tracking(&mut self, dict: Id, v: Val) {
        if !self.heap.is_tracked(dict) && self.may_be_tracked(v) {
            self.track(dict);
        }
    }

    /// `_PyObject_GC_Alloc` / `gc_alloc`: count a new GC object in generation 0 and start an
    /// automatic collection (or schedule one, 3.12+) when the threshold is crossed, unless an
    /// exception is set (`!PyErr_Occurred()`: [`Machine::err_set`]).
    pub(super) fn gc_alloc(&mut self) {
        self.count[0] += 1;
        if self.count[0] > self.threshold[0]
            && self.enabled
            && self.threshold[0] != 0
            && !self.collecting
            && !self.err_set
        {
            match self.p.auto_gc {
                AutoGc::InAllocation => {
                    self.collecting = true;
                    self.collect_generations();
                    self.collecting = false;
                }
                AutoGc::AtEvalBreaker(_) => self.gc_pending = true,
            }
        }
    }

    /// Run `f` with the exception being raised, if any, fetched (`PyErr_Fetch` …
    /// `PyErr_Restore`): allocations in it may start or schedule a collection.
    pub(super) fn with_exception_fetched<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let set = std::mem::replace(&mut self.err_set, false);
        let r = f(self);
        self.err_set = set;
        r
    }

    /// 3.12+ eval-breaker check (`_Py_HandlePending`): a scheduled collection's request is
    /// cleared, then `_Py_RunGC` runs it. It returns at once while the collector is disabled
    /// where [`RunGc::honours_disable`](super::profile::RunGc::honours_disable) (3.12.3+, 3.13). During another collection, 3.12 runs it
    /// nested and leaves `collecting` at 0 when it ends
    /// ([`RunGc::nests`](super::profile::RunGc::nests)); 3.13's
    /// `gc_collect_main` finds a collection in progress and does nothing (the request is lost).
    pub(super) fn eval_breaker(&mut self) {
        if !self.gc_pending {
            return;
        }
        let AutoGc::AtEvalBreaker(run) = self.p.auto_gc else {
            return;
        };
        self.gc_pending = false;
        if !self.enabled && run.honours_disable {
            return;
        }
        if self.collecting && !run.nests {
            return;
        }
        self.collecting = true;
        self.collect_generations();
        self.collecting = false;
    }

    /// Allocate a temporary: from its free list when there is one there (nothing counted), else
    /// through the GC allocator (counted in generation 0, may start a collection).
    pub(super) fn temp_alloc(&mut self, t: Temp) {
        let slot = match t {
            Temp::Tuple(0) => return,
            Temp::Tuple(n) if n < TUPLE_MAXSAVESIZE => self.freelists.tuples.entry(n).or_insert(0),
            Temp::Tuple(_) => {
                self.gc_alloc();
                return;
            }
            Temp::Method => &mut self.freelists.methods,
            Temp::BuiltinMethod => &mut self.freelists.builtin_methods,
            Temp::Dict => &mut self.freelists.dicts,
            Temp::List => &mut self.freelists.lists,
            Temp::ListIterator => {
                self.gc_alloc();
                return;
            }
        };
        if *slot > 0 {
            *slot -= 1;
        } else {
            self.gc_alloc();
        }
    }

    /// Free a temporary: back onto its free list while there is room, else released.
    pub(super) fn temp_free(&mut self, t: Temp) {
        let (slot, max) = match t {
            Temp::Tuple(0) => return,
            Temp::Tuple(n) if n < TUPLE_MAXSAVESIZE => (
                self.freelists.tuples.entry(n).or_insert(0),
                TUPLE_MAXFREELIST,
            ),
            Temp::Tuple(_) | Temp::ListIterator => {
                self.gc_free();
                return;
            }
            Temp::Method => (&mut self.freelists.methods, METHOD_MAXFREELIST),
            Temp::BuiltinMethod => (&mut self.freelists.builtin_methods, CFUNCTION_MAXFREELIST),
            Temp::Dict => (&mut self.freelists.dicts, DICT_MAXFREELIST),
            Temp::List => (&mut self.freelists.lists, LIST_MAXFREELIST),
        };
        if *slot < max {
            *slot += 1;
        } else {
            self.gc_free();
        }
    }

    /// `PyObject_GC_Del`: a GC object's memory is released.
    pub(super) fn gc_free(&mut self) {
        if self.count[0] > 0 {
            self.count[0] -= 1;
        }
    }

    /// Take a list, dict or tuple from its free list (`PyList_New`, `PyDict_New`, `PyTuple_New`
    /// reuse `free_list[--numfree]`); false when the list is empty or the kind has none.
    pub(super) fn alloc_from_freelist(&mut self, kind: &Kind) -> bool {
        let fl = &mut self.freelists;
        let slot = match kind {
            Kind::List(_) => &mut fl.lists,
            Kind::Dict(_) => &mut fl.dicts,
            Kind::Tuple(items) if !items.is_empty() && items.len() < TUPLE_MAXSAVESIZE => {
                fl.tuples.entry(items.len()).or_insert(0)
            }
            Kind::Method { .. } if self.p.method_freelist => &mut fl.methods,
            Kind::Set(_) if self.p.sets.freelist => &mut fl.sets,
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
    pub(super) fn new_object(&mut self, kind: Kind) -> Id {
        if !self.alloc_from_freelist(&kind) {
            self.gc_alloc();
        }
        self.heap.alloc(kind, true)
    }

    // ----------------------------------------------------------------- journal

    /// Record a note (only when a journal is attached).
    pub(super) fn note(&mut self, n: impl FnOnce(&Self) -> Note) {
        if self.journal.is_some() {
            let n = n(self);
            if let Some(j) = &mut self.journal {
                j.notes.push(n);
            }
        }
    }

    /// Enter a context (only when a journal is attached; `c` is not evaluated otherwise, so
    /// labels are not formatted on the collector's hot path).
    pub(super) fn ctx_push(&mut self, c: impl FnOnce(&Self) -> Ctx) {
        if self.journal.is_some() {
            let c = c(self);
            if let Some(j) = &mut self.journal {
                j.ctx.push(c);
            }
        }
    }

    /// Leave the innermost context (only when a journal is attached).
    pub(super) fn ctx_pop(&mut self) {
        if let Some(j) = &mut self.journal {
            j.ctx.pop();
        }
    }

    /// Labels of the instances and bound methods in a GC list, in list order (the methods
    /// [`Machine::describe`]d).
    pub(super) fn unreachable_labels(&self, head: Id) -> Vec<String> {
        self.heap
            .members(head)
            .into_iter()
            .filter(|id| {
                *id < self.startup_end
                    || matches!(
                        self.heap.kind(*id),
                        Kind::Instance(_)
                            | Kind::Method { .. }
                            | Kind::Function { .. }
                            | Kind::Cell(_)
                            | Kind::Frame(_)
                            | Kind::Traceback { .. }
                    )
            })
            .map(|id| self.describe(id))
            .collect()
    }

    // ----------------------------------------------------------------- labels

    /// Give a newly created object its label: the name it is first bound to, `name#2` for the
    /// second new object bound to that name, and so on.
    pub(super) fn label_new(&mut self, id: Id, name: &str) {
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
    pub(super) fn label(&self, id: Id) -> String {
        if let Some(l) = self.heap.label_of(id) {
            return l.to_string();
        }
        match self.heap.kind(id) {
            Kind::Instance(i) => format!("<{}>", self.sc.classes[i.class()].name),
            Kind::List(_) => "<list>".into(),
            Kind::Dict(_) => "<dict>".into(),
            Kind::Tuple(_) => "<tuple>".into(),
            Kind::Set(s) if s.frozen => "<frozenset>".into(),
            Kind::Set(_) => "<set>".into(),
            Kind::WeakRef { flavor, .. } => format!("<{}>", flavor.type_name()),
            Kind::Method { .. } => format!("<{}>", self.p.method_type_name),
            Kind::Function { .. } => "<function>".into(),
            Kind::Cell(_) => "<cell>".into(),
            Kind::Type { .. } => "<type>".into(),
            Kind::Descr { getset: false, .. } => "<member_descriptor>".into(),
            Kind::Descr { getset: true, .. } => "<getset_descriptor>".into(),
            Kind::MethodFunc { .. } => "<function>".into(),
            Kind::Decorated { class, method, .. } => format!(
                "<{}>",
                self.decorated_type_name(*class as usize, *method as usize)
            ),
            Kind::Head => "<head>".into(),
            Kind::Frame(_) => "<frame>".into(),
            Kind::Traceback { .. } => "<traceback>".into(),
        }
    }

    /// What a bound method is, as Python's repr says it (`<bound method A.handle of ...>`,
    /// with the instance's label): `bound method A.handle of a`. None for other objects.
    pub(super) fn method_text(&self, id: Id) -> Option<String> {
        let Kind::Method {
            im_self,
            class,
            method,
            im_class,
            ..
        } = self.heap.kind(id)
        else {
            return None;
        };
        let c = &self.sc.classes[*class as usize];
        if *im_self == super::heap::NIL {
            // 2.7's repr names the class it was read through (`im_class`).
            let via = match self.heap.kind(*im_class) {
                Kind::Type { class, .. } => &self.sc.classes[*class as usize].name,
                _ => &c.name,
            };
            return Some(format!(
                "unbound method {via}.{}",
                c.methods[*method as usize].name
            ));
        }
        Some(format!(
            "bound method {}.{} of {}",
            c.name,
            c.methods[*method as usize].name,
            // A class method's `__self__` is a class.
            self.class_part_text(*im_self)
                .unwrap_or_else(|| self.label(*im_self))
        ))
    }

    /// A label for people (`explain`, `graph`): the object's label, or for an unlabelled
    /// bound method what it is ([`Machine::method_text`]), or `<type>`.
    pub(super) fn describe(&self, id: Id) -> String {
        match self.heap.label_of(id) {
            Some(l) => l.to_string(),
            None => self
                .method_text(id)
                .or_else(|| self.function_part_text(id))
                .or_else(|| self.frame_part_text(id))
                .unwrap_or_else(|| self.label(id)),
        }
    }

    /// What a frame that outlived its call or a traceback is: `frame of A.run`, `traceback
    /// in A.run` (`traceback` at the top level).
    pub(super) fn frame_part_text(&self, id: Id) -> Option<String> {
        match self.heap.kind(id) {
            Kind::Frame(fr) if fr.escaped => Some(format!("frame of {}", fr.name)),
            Kind::Traceback { frame, .. } if *frame != NIL => Some(match self.heap.kind(*frame) {
                Kind::Frame(fr) if fr.escaped => format!("traceback in {}", fr.name),
                _ => "traceback".to_string(),
            }),
            Kind::Traceback { .. } => Some("traceback".to_string()),
            _ => None,
        }
    }

    /// An instance of an exception class.
    pub(super) fn is_exception_instance(&self, id: Id) -> bool {
        matches!(self.heap.kind(id), Kind::Instance(i) if self.sc.classes[i.class()].exception)
    }

    /// What an unlabelled piece of a function is: `function f` (a function object no name
    /// was bound to when it was made), `cell for x in make` (when the run kept a journal),
    /// `closure of f`, `defaults of f` (the tuples a live function holds).
    pub(super) fn function_part_text(&self, id: Id) -> Option<String> {
        match self.heap.kind(id) {
            Kind::Function { def, .. } => {
                Some(format!("function {}", self.defs[*def as usize].name))
            }
            Kind::Cell(_) => self.cell_names.get(&id).cloned(),
            Kind::Type { .. }
            | Kind::Descr { .. }
            | Kind::MethodFunc { .. }
            | Kind::Decorated { .. } => self.class_part_text(id),
            Kind::Tuple(_) | Kind::Dict(_) if id < self.startup_end => self.class_part_text(id),
            Kind::Tuple(_) => (0..self.heap.count()).find_map(|f| match self.heap.kind(f) {
                Kind::Function {
                    def,
                    defaults,
                    closure,
                    ..
                } if !self.heap.is_freed(f) => {
                    let name = &self.defs[*def as usize].name;
                    if *closure == Some(id) {
                        Some(format!("closure of {name}"))
                    } else if *defaults == Some(id) {
                        Some(format!("defaults of {name}"))
                    } else {
                        None
                    }
                }
                _ => None,
            }),
            _ => None,
        }
    }

    /// `_PyType_Lookup` of method `name` on instances of `class`: the defining class on the
    /// MRO and the method's index there.
    pub(super) fn find_method(&self, class: usize, name: &str) -> Option<(usize, usize)> {
        self.classes[class]
            .mro
            .iter()
            .find_map(|&k| self.sc.classes[k].method_index(name).map(|m| (k, m)))
    }

    /// [`Machine::describe`], saying what a labelled bound method is too:
    /// `bm1 (bound method A.handle of a)`.
    pub(super) fn describe_fully(&self, id: Id) -> String {
        match (self.heap.label_of(id), self.method_text(id)) {
            (Some(l), Some(t)) => format!("{l} ({t})"),
            _ => self.describe(id),
        }
    }
}

/// What `type_new` decides for a scenario class ([`crate::scenario::hierarchy`]): its value
/// slots along the `tp_base` chain, whether instances have a `__dict__` (inline values 3.11+)
/// and a weakref slot, whether it is a GC type (≤3.7 only a class whose chain adds an instance
/// variable to `object`), its MRO and the class whose `__del__` it runs.
fn class_state(sc: &Scenario, i: usize, p: &Profile) -> ClassState {
    let l = sc.layout(i);
    let (slots, has_dict, weakrefable) = (l.slots, l.has_dict, l.weakrefable);
    let is_gc = p.empty_slots_are_gc || l.adds_variables;
    // 3.11+ a dict a class adds is managed (`Py_TPFLAGS_MANAGED_DICT`); its values are inline
    // on 3.11/3.12, and on 3.13 only while the instance is no larger than `object`
    // (`Py_TPFLAGS_INLINE_VALUES`: no value slot anywhere on the chain).
    // An exception's dict is `BaseException`'s own (`tp_dictoffset`), never managed.
    let inline = has_dict
        && !sc.classes[i].exception
        && p.layout == InstanceLayout::Inline
        && match p.slots_dict_inline {
            SlotsDictInline::Always => true,
            SlotsDictInline::WithoutValueSlots => slots.is_empty(),
        };
    ClassState {
        keys: Vec::new(),
        usable: p.shared_keys_usable,
        slots,
        has_dict,
        weakrefable,
        is_gc,
        inline,
        mro: crate::scenario::hierarchy::mro(&sc.classes, i).unwrap_or_else(|| vec![i]),
        finalizer: sc.finalizer(i),
        funcs: Vec::new(),
        decorated: Vec::new(),
        subclass_ref: super::heap::NIL,
        subclass_holds: 0,
        has_subclass_container: false,
        subclass_container: super::heap::NIL,
        subclasses: Vec::new(),
        slots_constant: None,
    }
}
