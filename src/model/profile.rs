//! Version profiles: every behaviour that differs between CPython versions, as one row of data
//! per version. The collector and the dealloc paths read these fields; nothing else in the model
//! asks which version it is.
//!
//! Sources: `docs/cpython-gc-facts.md`, which has one section per field of [`Profile`] (what
//! each version does, the C function that does it, the scenarios whose recorded traces show it)
//! and a table of the model's constants; and the C functions named on each field.

use crate::version::Version;

// ------------------------------------------------------------------ the numbers in the table

/// Default `(threshold0, threshold1, threshold2)` of 2.7–3.12: the `generations[]` initializer
/// in `Modules/gcmodule.c` (2.7, 3.6), `_PyGC_Initialize` (3.7, 3.8), `_PyGC_InitState` (3.9,
/// 3.10) and `_PyInterpreterState_INIT` in `Include/internal/pycore_runtime_init.h` (3.11, 3.12):
/// 700, 10, 10.
pub const DEFAULT_THRESHOLDS: (i64, i64, i64) = (700, 10, 10);

/// Default thresholds of 3.13: `_PyInterpreterState_INIT` in
/// `Include/internal/pycore_runtime_init.h` raises threshold0 to 2000 (10 and 10 unchanged).
pub const DEFAULT_THRESHOLDS_3_13: (i64, i64, i64) = (2000, 10, 10);

/// `SHARED_KEYS_MAX_SIZE` (`Include/internal/pycore_dict.h`, 30 in 3.11–3.13): the usable key
/// slots `_PyDict_NewKeysForClass` gives a class's shared keys (`dk_usable`). Only the inline
/// layout (3.11+) uses it.
pub const SHARED_KEYS_MAX_SIZE: i64 = 30;

/// `PyTrash_UNWIND_LEVEL` (`Include/object.h` 2.7–3.8, `Include/cpython/object.h` 3.9–3.10) /
/// `_PyTrash_UNWIND_LEVEL` (`Objects/object.c` 3.11–3.12): 50 nested trashcan-protected
/// deallocs run, the next one is deposited on the delete-later chain (`_PyTrash_begin`,
/// `Py_TRASHCAN_SAFE_BEGIN`: `delete_nesting >= 50` deposits).
pub const PY_TRASH_UNWIND_LEVEL: u32 = 50;

/// `Py_C_RECURSION_LIMIT` of a Linux release build of 3.13 (`Include/cpython/pystate.h`; 500 in a
/// debug build, 3000–5000 on Windows, Android, WASI and with ASan): the C recursion budget a
/// thread starts with (`tstate->c_recursion_remaining`, `Python/pystate.c`).
pub const PY_C_RECURSION_LIMIT: u32 = 10_000;

/// `PY_EVAL_C_STACK_UNITS` (`Python/ceval.c`, 3.13): what entering `_PyEval_EvalFrameDefault`
/// takes from the C budget (`c_recursion_remaining -= PY_EVAL_C_STACK_UNITS - 1`, then
/// `_Py_EnterRecursiveCallTstate` takes one more and fails when the budget was already below 1),
/// given back when it returns: every C→Python call (the program's module, a `__del__`, the
/// weakref callback, `exec`) costs this much.
pub const PY_EVAL_C_STACK_UNITS: u32 = 2;

/// `Py_TRASHCAN_HEADROOM` (`Include/cpython/object.h`, 3.13): `Py_TRASHCAN_BEGIN` deposits an
/// object when `c_recursion_remaining <= 50` (and otherwise takes one unit until
/// `Py_TRASHCAN_END`); `Py_TRASHCAN_END` destroys the chain once it is `> 2 * 50`.
pub const PY_TRASHCAN_HEADROOM: u32 = 50;

/// `Py_DEFAULT_RECURSION_LIMIT` (`Python/ceval.c` 2.7–3.10, `Include/internal/pycore_ceval.h`
/// 3.11+): `sys.getrecursionlimit()` of a fresh interpreter, 1000 in every modelled version.
/// 3.11+ count Python frames against it (`py_recursion_remaining`, `_Py_EnterRecursivePy`);
/// ≤3.10 count every `Py_EnterRecursiveCall` (each eval entry, and C calls such as 2.7's
/// `PyObject_Call`).
pub const PY_DEFAULT_RECURSION_LIMIT: u32 = 1000;

/// Python frames below the scenario's statements when the runner runs a program: the fork
/// server's bootstrap (`python -c`, `runner/bootstrap.py`), the server module it `exec`s
/// (`runner/server.py`), `_start` (or `_run_alone`, where no child is forked), `_child`, and
/// the program's module, which `_child` `exec`s. Every run goes through them, in a forked child
/// or not, so that limits counted in frames are the same in both run modes.
pub const PROGRAM_PY_FRAMES: u32 = 5;

/// 3.13: what the same stack takes from the C recursion budget before the first statement runs:
/// the bootstrap's module ([`PY_EVAL_C_STACK_UNITS`]) and two `exec` calls of 3 units each (the
/// builtin's `_Py_EnterRecursiveCall`, then the eval entry of the code it runs); Python→Python
/// calls take nothing (3.11+ inline them in one `_PyEval_EvalFrameDefault`). Measured on
/// 3.13.0: one `exec` lowers what is left at module level by 3.
pub const PROGRAM_C_UNITS: u32 = PY_EVAL_C_STACK_UNITS + 2 * (PY_EVAL_C_STACK_UNITS + 1);

/// How `collect()` computes "collected" (`m`) and handles objects resurrected by finalizers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resurrection {
    /// 2.7: no finalizer ever runs on cyclic trash, so nothing can be resurrected.
    /// `m` = size of `unreachable` before `handle_weakrefs`, plus weakrefs freed after callbacks.
    NoFinalizers,
    /// 3.6 `collect()`: `m` counted before `finalize_garbage`; `check_garbage()` finding any
    /// external reference revives the whole set (`revive_garbage`) into the old generation.
    CountBeforeReviveAll,
    /// 3.7.5+/3.8 (bpo-38379): as 3.6, but `m += gc_list_size(&unreachable)` only in the branch
    /// where nothing was resurrected.
    CountAfterReviveAll,
    /// 3.9+ `handle_resurrected_objects()`: reachability is recomputed after finalizers; only
    /// the resurrected sub-graph survives; `m` counts what is then deleted.
    ReviveResurrectedOnly,
}

/// When an automatic collection triggered by an allocation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoGc {
    /// ≤3.11 `_PyObject_GC_Alloc`/`gc_alloc`: inside the allocation, before the object exists.
    InAllocation,
    /// 3.12+ `_Py_ScheduleGC`: the allocation sets the eval breaker; the collection runs at the
    /// next eval-breaker check (after a call returns, at a function's start, at a loop's
    /// backward jump), where `_Py_HandlePending` clears the request and calls `_Py_RunGC`.
    AtEvalBreaker(RunGc),
}

/// What `_Py_RunGC` (3.12+) does with a scheduled collection when the eval breaker runs it
/// (facts §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunGc {
    /// `_Py_RunGC` returns at once while the collector is disabled: the `if
    /// (!gcstate->enabled) return;` that gh-116604 added (python/cpython#116653, first released
    /// in 3.12.3; 3.13 has it from the start). 3.12.0–3.12.2 collect after `gc.disable()`.
    pub honours_disable: bool,
    /// 3.12 `_Py_RunGC` sets `collecting = 1`, collects and sets it back to 0 without looking
    /// at it first, so a check met *during* another collection (a `__del__`'s `RESUME`) runs a
    /// nested automatic collection, which also ends the outer one's `collecting`. 3.13 runs it
    /// through `gc_collect_main`, whose compare-exchange on `collecting` fails: the request,
    /// already cleared, is lost.
    pub nests: bool,
}

/// Where instance attributes live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceLayout {
    /// 2.7: a `__dict__` object created on the first attribute store; released in the order of
    /// the 2.7 hash table's slots (`dict_dealloc` walks `ma_table`).
    DictHashOrder,
    /// 3.6–3.10: a `__dict__` object created on the first attribute store; compact dict,
    /// insertion order.
    DictInsertionOrder,
    /// 3.11+: inline values indexed by the class's shared keys (`Py_TPFLAGS_MANAGED_DICT`); no
    /// dict object unless the shared keys are full (`insert_into_dictkeys` fails).
    Inline,
}

/// When a trashcan-protected dealloc is deferred (`docs/cpython-gc-facts.md` §14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrashcanLimit {
    /// ≤3.12: a nesting counter (`_PyTrash_delete_nesting` 2.7–3.7, `_PyTrash_begin` /
    /// `_PyTrash_end` 3.8–3.12): a dealloc is deposited when this many are in progress
    /// ([`PY_TRASH_UNWIND_LEVEL`]); the chain is destroyed when the outermost ends (`--nesting
    /// <= 0`).
    Nesting(u32),
    /// 3.13: the C recursion budget ([`Profile::c_recursion`]): `Py_TRASHCAN_BEGIN` deposits
    /// when `c_recursion_remaining <= headroom` and otherwise takes a unit until
    /// `Py_TRASHCAN_END`, which destroys the chain once more than `2 * headroom` are left
    /// ([`PY_TRASHCAN_HEADROOM`]).
    CBudget { headroom: u32 },
}

/// The trashcan mechanism that bounds recursion in deallocation of nested containers
/// (`docs/cpython-gc-facts.md` §14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trashcan {
    /// When a dealloc is deferred, and when the deferred chain is destroyed.
    pub limit: TrashcanLimit,
    /// 2.7–3.7 `subtype_dealloc` raises the nesting around `Py_TRASHCAN_SAFE_BEGIN/END`, so an
    /// instance deallocated at top level never drains the deferred chain; a top-level list, dict,
    /// tuple or frame dealloc does.
    pub subtype_nesting_hack: bool,
    /// Whether frame objects exist and are freed through a trashcan-protected dealloc
    /// (`frame_dealloc`, ≤3.10): their first allocation per code object is counted in
    /// generation 0 (facts §13), and a frame freed at the nesting limit is deposited with its
    /// locals (a `__del__`'s `self` stays alive until the chain is destroyed).
    pub frames_are_objects: bool,
    /// A call's frame object is a tracked GC object while the call runs (2.7
    /// `PyEval_EvalCodeEx`, 3.6 `_PyFunction_FastCall` and `_PyEval_EvalCodeWithName` call
    /// `PyFrame_New`, which ends with `_PyObject_GC_TRACK`): it sits in generation 0 and its
    /// `frame_traverse` (`f_back`, `f_localsplus`) makes its locals internal references, so a
    /// collection during the call orders them as it reaches them. 3.7 made these frames with
    /// `_PyFrame_New_NoTrack`, tracked only if they outlive the call (`gc.is_tracked` of
    /// `sys._getframe()` in a function: True on 2.7 and 3.6, False on 3.7–3.10; fuzz seed 82
    /// #2231).
    pub frames_tracked_in_calls: bool,
}

/// The C recursion budget of 3.13 (`tstate->c_recursion_remaining`, `Include/cpython/pystate.h`,
/// `Python/ceval.c`): the trashcan and every eval entry take from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CRecursion {
    /// `Py_C_RECURSION_LIMIT`: what a thread starts with ([`PY_C_RECURSION_LIMIT`]).
    pub limit: u32,
    /// What an eval entry takes ([`PY_EVAL_C_STACK_UNITS`]).
    pub eval_units: u32,
}

/// One CPython version's behaviour. "Facts §N" below is section N of
/// `docs/cpython-gc-facts.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    pub version: Version,
    /// The start-up heap the model assumes when none was measured for the run it predicts:
    /// how many objects the oldest generation holds when a scenario begins (CPython's
    /// `long_lived_total` after the harness's start-up collection; `collect_generations` skips a
    /// full collection while `long_lived_pending < long_lived_total / 4`). It depends on the
    /// build, the patch release, the harness and the scenario's own classes, so the runner
    /// measures it in every run that can enable collection and `expected/` records it; this
    /// value is the measurement on the reference release of a scenario with no class, run
    /// fork-isolated as `gcconform` runs it (docs/cpython-gc-facts.md, "The start-up heap").
    pub startup_heap: u64,
    /// The patch release the row describes (`1` for 3.12.1): [`Profile::for_version`] describes
    /// the release `expected/` is recorded from (`Version::reference_release`); fields that
    /// changed within a minor version follow it ([`Profile::for_release`]).
    pub patch: u32,
    /// A Python-level `__del__` is a legacy finalizer (`tp_del`, 2.7 `has_finalizer`): cyclic
    /// trash holding one is uncollectable and goes to `gc.garbage`. 3.4+ uses `tp_finalize`
    /// (facts §1).
    pub del_is_legacy: bool,
    /// `tp_finalize` runs at most once per GC object (`_PyGC_FINALIZED` bit, 3.4+; facts §2).
    pub finalize_once: bool,
    /// What a collection counts and what a resurrection does (facts §3).
    pub resurrection: Resurrection,
    /// Refcount dealloc clears weakrefs (and runs callbacks) before `__del__` (2.7
    /// `subtype_dealloc`); 3.x calls the finalizer first (facts §4).
    pub weakrefs_cleared_before_del: bool,
    /// `handle_weakrefs` also clears weakref objects that are themselves trash (bpo-38006,
    /// 3.8+; facts §5).
    pub clear_trash_weakrefs: bool,
    /// Where instance attributes live (facts §6).
    pub layout: InstanceLayout,
    /// Free key slots of a class's shared keys at creation (3.11+ inline values):
    /// [`SHARED_KEYS_MAX_SIZE`] (facts §7).
    pub shared_keys_usable: i64,
    /// Instances of a class with `__slots__ = ()` (no dict, no weakref slot) are GC objects
    /// (3.8+: heap-type instances always are, bpo-35810; facts §9).
    pub empty_slots_are_gc: bool,
    /// Default `(threshold0, threshold1, threshold2)`: [`DEFAULT_THRESHOLDS`], or
    /// [`DEFAULT_THRESHOLDS_3_13`] (facts §10).
    pub thresholds: (i64, i64, i64),
    /// When an automatic collection runs (facts §11).
    pub auto_gc: AutoGc,
    /// `CALL` specialises a `list.append` call site on its second execution
    /// (`ADAPTIVE_WARMUP_VALUE` 1, `_Py_Specialize_Call`), and the specialised instruction
    /// (`CALL_NO_KW_LIST_APPEND` 3.12, `CALL_LIST_APPEND` 3.13) does not check the eval breaker,
    /// which the generic `CALL` does when the call returns (3.12+; facts §11).
    pub append_specializes: bool,
    /// Calling `range` (`xrange` on 2.7) builds an argument tuple: the type is called through
    /// `tp_call` (2.7 `load_args`, `_PyStack_AsTuple` 3.6–3.7, `_PyObject_MakeTpCall` 3.8);
    /// 3.9 added `range_vectorcall` (bpo-37207). The generated program's `repeat:` and
    /// `random_edges:` loops call it (facts §13).
    pub range_args_tuple: bool,
    /// `weakref.proxy(x[, callback])` builds an argument tuple: `_weakref.proxy` is a
    /// `METH_VARARGS` function up to 3.10 (`PyArg_UnpackTuple`); 3.11 made it an Argument
    /// Clinic function (`METH_FASTCALL`, no tuple; its `__text_signature__` shows it).
    pub proxy_args_tuple: bool,
    /// Full collections clear the list/dict/tuple free lists (3.x `clear_freelists`); 2.7 keeps
    /// list and dict free lists (facts §12).
    pub full_gc_clears_container_freelists: bool,
    /// The trashcan (facts §14).
    pub trashcan: Trashcan,
    /// The Python recursion limit: a `__del__` (or callback) called when that many frames are
    /// running fails with `RecursionError` (`RuntimeError` on 2.7) before its body runs,
    /// printed by `PyErr_WriteUnraisable` ([`PY_DEFAULT_RECURSION_LIMIT`]; facts §15).
    pub recursion_limit: u32,
    /// 3.13's C recursion budget, which the trashcan works on; `None` where the trashcan
    /// counts its own nesting (≤3.12: 3.12's `C_RECURSION_LIMIT` exists, 1500 in 3.12.1, but
    /// the 50-level trashcan keeps nested deallocation and `__del__` calls far from it).
    pub c_recursion: Option<CRecursion>,
    /// What a `__del__` that fails on the recursion limit raises: `RecursionError` (3.5+), a
    /// `RuntimeError` on 2.7.
    pub recursion_error: &'static str,
    /// `gc.collect(n)` and `gc.set_debug(x)` are `METH_VARARGS` (an argument tuple per call;
    /// facts §13).
    pub varargs_gc_functions: bool,
    /// `x.append(v)` and the `__del__` lookup create bound method objects (no LOAD_METHOD /
    /// `lookup_maybe_method` before 3.7; facts §13).
    pub bound_method_calls: bool,
    /// A dict display makes the dict first and stores each item as it is evaluated (2.7:
    /// `BUILD_MAP n`, then value, key, `STORE_MAP` per item); 3.x evaluates every value first
    /// and builds the dict from the stack (`BUILD_MAP` / `BUILD_CONST_KEY_MAP`). Shows where a
    /// value allocates (a bound method): on 2.7 the dict, tracked at its first GC value, sits
    /// before a later item's bound method in generation 0 (fuzz seed 77 #2880).
    pub dict_display_stores_each: bool,
    /// `PyMethod_New` takes bound method objects from a free list and `method_dealloc` puts
    /// them back (`PyMethod_MAXFREELIST`, `Objects/classobject.c` 2.7–3.8; removed in 3.9).
    pub method_freelist: bool,
    /// Calling a bound method object keeps it on the caller's stack during the call
    /// (`_PyObject_Vectorcall` → `method_vectorcall`, 3.8–3.10); 2.7–3.7 `call_function` and
    /// 3.11+ `PRECALL`/`CALL` replace it by its `im_self` and `im_func` and release it first.
    pub method_held_during_call: bool,
    /// Function objects have a `tp_clear` (`func_clear`, 3.x), which the collector calls on
    /// cyclic trash; 2.7's `PyFunction_Type` has none (its cells' `cell_clear` breaks closure
    /// cycles).
    pub function_clear: bool,
    /// How `type_new` builds a class statement's type (docs/cpython-gc-facts.md, "Classes as
    /// objects"): the order its GC objects are made and tracked in.
    pub class_build: ClassBuild,
    /// How exceptions, their tracebacks and the handled exception are kept.
    pub exceptions: Exceptions,
    /// Reading a plain method through its class (`A.m`) makes an unbound method (2.7
    /// `func_descr_get` → `PyMethod_New(func, NULL, type)`, a tracked object from the method
    /// free list), and calling one goes through `do_call` (an argument tuple) and
    /// `instancemethod_call` (an `isinstance` check of the first argument); 3.x returns the
    /// function itself, called as any function is.
    pub unbound_methods: bool,
    /// How sets are built and how their tables place keys.
    pub sets: Sets,
    /// A bound method holds the class it was looked up through (`im_class`, 2.7 only).
    pub method_holds_class: bool,
    /// `gc.freeze()` exists (3.7+): the runner's fork server freezes the program's inheritance
    /// for a scenario that leaves the collector off, after collecting generation 0, which
    /// untracks the scenario code's constant tuples before its class statements run.
    pub has_freeze: bool,
    /// A `def`'s default values go into a tuple that `MAKE_FUNCTION` makes after the function
    /// object, even when they are constants (2.7: `PyTuple_New(oparg)` in `MAKE_FUNCTION`/
    /// `MAKE_CLOSURE`); 3.x builds the tuple before (`BUILD_TUPLE`), or loads it as a constant
    /// when every default is one (the compiler folds it).
    pub defaults_tuple_after_function: bool,
    /// A parameter that nested functions use keeps its place among the locals as a cell
    /// (3.11+ `MAKE_CELL` in place, `co_localsplusnames`); ≤3.10 move it into a cell among
    /// `co_cellvars` after the fast locals (`co_cell2arg`), which changes the order in which a
    /// returning frame releases its locals.
    pub cell_args_in_place: bool,
    /// A Python-to-Python call moves the arguments and the callable from the caller's stack
    /// into the new frame (3.11+ `_PyEvalFramePushAndInit`: the frame owns them, released by
    /// `_PyFrame_Clear`, the function after the locals); ≤3.10 the frame takes new references
    /// and the caller's stack keeps its own until the call returns (`call_function`'s clean-up:
    /// arguments last to first, then the callable).
    pub args_moved_into_frame: bool,
    /// `CALL` of a Python function pushes its frame and continues in the same evaluation loop
    /// (`_PyEvalFramePushAndInit` + `DISPATCH_INLINED`, `Python/bytecodes.c` 3.11+): the
    /// caller checks no eval breaker after the call returns (only the callee's `RESUME` checks
    /// it); ≤3.10 `call_function` returns into the instruction, whose eval-breaker checks
    /// matter to no collection there.
    pub python_calls_inlined: bool,
    /// `tp_name` of a bound method: `instancemethod` (2.7), `method` (3.x), as an unlabelled
    /// one shows in `gc.garbage` (`<method>`).
    pub method_type_name: &'static str,
    /// `PyObject_ClearWeakRefs` puts the weakrefs left after the callback-less basic ones, with
    /// their callbacks, in a tuple of twice their number even when there is one (3.13, rewritten
    /// for free threading, gh-111926); 2.7-3.12 handle a lone weakref directly
    /// (`if (count == 1)`) and build the tuple only for several (facts §13).
    pub weakrefs_always_in_tuple: bool,
    /// `invoke_gc_callback` calls each `gc.callbacks` entry with `PyObject_CallFunction(cb,
    /// "sO", phase, info)`, which builds a 2-tuple of arguments on 3.6 (`Py_VaBuildValue`);
    /// 3.7–3.11's `PyObject_CallFunction` passes a C stack (`_Py_VaBuildStack`), 3.12+ call
    /// `PyObject_Vectorcall` (3.13 in `Python/gc.c`): no tuple.
    pub gc_callback_args_tuple: bool,
    /// No `gc.callbacks` (2.7): `record: collections` reports each collection through
    /// `gc.DEBUG_STATS`, whose lines `collect()` writes with `PySys_WriteStderr` to the
    /// harness's Python `sys.stderr` ("collecting" before the counts are reset, "done" after
    /// `delete_garbage`, before `handle_finalizers`); each write is `PyFile_WriteObject` calling
    /// its `write` with a new 1-tuple (`PyTuple_Pack`) and a frame.
    pub debug_stats_report: bool,
    /// With inline values, which classes whose `__slots__` include `__dict__` keep attributes
    /// inline too (facts §8).
    pub slots_dict_inline: SlotsDictInline,
}

/// Sets and frozensets (`Objects/setobject.c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sets {
    /// `set(…)` and `frozenset(…)` are called through vectorcall (`set_vectorcall`,
    /// `frozenset_vectorcall`): no argument tuple.
    pub vectorcall: bool,
    pub table: SetRules,
    /// `PySet_MAXFREELIST` (2.7): freed sets and frozensets are kept for reuse (the model
    /// starts with it full, as the harness's warm-up leaves it).
    pub freelist: bool,
}

/// Which dummy slot (a discarded key's) `set_add_entry` gives a new key when its probe passed
/// some before reaching an unused slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DummyReuse {
    /// The first (2.7 `set_lookkey`, 3.6: `hash == -1 && freeslot == NULL`).
    First,
    /// The last (3.7, 3.8, 3.10+: bpo-29476 made it `freeslot = entry` for every dummy).
    Last,
    /// None: the key takes the unused slot (3.9, where GH-19881 removed `freeslot`; bpo-43198
    /// restored it in 3.10).
    Never,
}

/// How a set's table places, keeps and moves its keys (`Objects/setobject.c`), for keys that
/// all hash to 0 ([`super::set::SetObj`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetRules {
    /// `LINEAR_PROBES`: slots looked at after each probe before the next jump (9 in 3.x;
    /// 2.7 has none).
    pub linear_probes: usize,
    /// Which dummy a new key takes when its probe passed some (`freeslot`).
    pub dummy_reuse: DummyReuse,
    /// The table grows after an add when `fill * grow.0 >= base * grow.1`, where `base` is
    /// `mask` ([`SetRules::grow_base_is_mask`]) or the table's size: 3.7+ `fill*5 >= mask*3`,
    /// 3.6 `fill*3 >= mask*2`, 2.7 `fill*3 >= (mask+1)*2`.
    pub grow: (usize, usize),
    pub grow_base_is_mask: bool,
    /// The check also follows an add into a dummy (2.7 `set_add_key` checks whenever `used`
    /// grew; 3.x only when a new slot was filled).
    pub grow_check_after_dummy: bool,
}

/// One moment of a class statement, in the order CPython takes them: the objects the class
/// keeps (the bases tuple, the type's dict, the type, its descriptors, its MRO tuple, its
/// subclass weak reference) and, for a statement among the steps, the temporaries around them
/// (`__build_class__` in `Python/bltinmodule.c`, 2.7's `build_class` in `Python/ceval.c`,
/// `type_new` and `PyType_Ready` in `Objects/typeobject.c`). A class of `classes:` runs before
/// the program's start-up collections, which settle counts and free lists: only the kept
/// objects' order matters there, and the model skips the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassStep {
    /// `MAKE_FUNCTION`: the body's function (`PyFunction_NewWithQualName`: a new GC object,
    /// tracked; no free list).
    BodyFunction,
    /// The body's function released once the call returned (`func_dealloc`).
    BodyFunctionFree,
    /// The bases tuple: `__build_class__`'s `_PyTuple_FromArray` (3.x), `BUILD_TUPLE` (2.7
    /// and `type()`'s argument); tracked, from the tuple free list when it has one of that
    /// size. (The program writes `class C(object):` for a class statement without bases.)
    Bases,
    /// `type('C', (), {})`: the written tuple is the empty one (no allocation), and `type_new`
    /// makes `(object,)` itself (`PyTuple_Pack(1, &PyBaseObject_Type)`), before the dict.
    PackedBases,
    /// The body's frame (≤3.10 `PyFrame_New`/`_PyFrame_New_NoTrack`: the code object's zombie
    /// frame, else the frame free list, else a new object). A class statement's body runs once
    /// per execution of its code: the first has no zombie frame.
    BodyFrame,
    /// The body returns: its frame becomes the code's zombie frame (`frame_dealloc`).
    BodyFrameEnd,
    /// The body's statements: a class of `classes:` makes the functions of its `def`s (and
    /// the decorators' objects) here; a statement among the steps has `pass`.
    Body,
    /// A temporary made, and released.
    Temp(ClassTemp),
    TempFree(ClassTemp),
    /// `type_new`'s copy of the namespace (`PyDict_Copy`): the type's dict; untracked until a
    /// GC object goes in (`MAINTAIN_TRACKING`).
    Dict,
    /// The type (`tp_alloc` = `PyType_GenericAlloc`: a new GC object, tracked).
    Type,
    /// `add_members` (one member descriptor per own value slot, sorted), `add_getset`
    /// (`__dict__`, `__weakref__`): `PyDescr_New*`, tracked.
    Descriptors,
    /// `mro_internal`: the MRO tuple (`PyTuple_New`, tracked).
    Mro,
    /// `__doc__` = None in the type's dict when the body has no docstring.
    Doc,
    /// `add_subclass` for each base: the weak reference (`PyWeakref_NewRef`), into the base's
    /// `tp_subclasses`, which the first subclass of a base creates (a dict on 3.x, a list
    /// on 2.7).
    Subclass,
    /// The call returns: its (2.7: the stack's) reference to the bases tuple goes, which the
    /// type holds from then on alone.
    Return,
    /// 3.12+: an eval-breaker check, where a scheduled collection runs.
    EvalBreaker,
}

/// A temporary of a class statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassTemp {
    /// A builtin method bound to a class (`PyCFunction_NewEx` from `classmethod_get`:
    /// `type.__prepare__`, `object.__init_subclass__`); from the cfunction free list ≤3.8.
    BuiltinMethod,
    /// A dict holding no GC object: the namespace (`type.__prepare__` → `PyDict_New`),
    /// `type_new_set_names`' copy; the dict free list.
    Dict,
    /// An argument tuple of this size (`_PyObject_MakeTpCall`, `PyObject_Call*`); the tuple
    /// free list.
    Tuple(usize),
    /// `init_subclass`' `super(type, type)` (`PyType_GenericAlloc`, tracked; no free list).
    Super,
    /// `type_new_set_names`' copy of the type's dict (`PyDict_Copy`; the dict free list),
    /// released once it has been looked through. 3.7+ copy a combined table with
    /// `clone_combined_dict`, which takes a reference to each value before it allocates the
    /// new dict: the type's descriptors are held through a collection that allocation starts
    /// ([`ClassBuild::copy_holds_values`]).
    NamesCopy,
    /// 2.7's argument tuple of `type('C', bases, {})` (`do_call` → `load_args`), which takes
    /// the stack's references: the bases tuple is then held through it alone (a tracked tuple
    /// of the young generation, so a collection inside the call finds the bases tuple through
    /// it, not from outside); the tuple free list.
    CallArgs,
    /// 3.6's argument tuple of `__build_class__` (`METH_VARARGS`: the function, the name and
    /// the bases, `_PyStack_AsTuple`); the tuple free list.
    BuildClassArgs,
}

/// The lists `mro_implementation` builds on its way to the MRO tuple (then `mro_invoke`'s
/// `PySequence_Tuple`); all from and back to the list free list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MroLists {
    /// `to_merge` (`PyList_New(n + 1)`), a list of each base's MRO (`PySequence_List`), a
    /// list of the bases, and the result (`Py_BuildValue("[O]", type)`), whatever the number of
    /// bases (2.7, 3.6).
    Merge,
    /// Only the result list, and with one base none at all (3.7+: `mro_implementation`'s
    /// single-base path makes the tuple directly; `to_merge` is `PyMem_New`).
    ResultForSeveralBases,
}

/// How class statements build their classes (`type_new` and `PyType_Ready`,
/// `Objects/typeobject.c`). Measured on every version with `gc.get_objects()` right after a
/// class statement, and with collections started at each allocation of one (cpython-gc-facts.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassBuild {
    /// `class C(A): pass`, from its first instruction to the store of `C`, in phases (one
    /// stretch of CPython's code each).
    pub statement: &'static [&'static [ClassStep]],
    /// `C = type('C', (A,), {})`: the same without the body and `__prepare__`.
    pub type_call: &'static [&'static [ClassStep]],
    /// Builtin methods come from a free list (`free_list` in `Objects/methodobject.c`,
    /// removed in 3.9).
    pub cfunction_freelist: bool,
    /// The lists of the MRO's computation.
    pub mro_lists: MroLists,
    /// `PyDict_Copy` takes its references to the values before it allocates the copy (3.7+
    /// `clone_combined_dict`); 3.6 allocates an empty dict and merges into it.
    pub copy_holds_values: bool,
    /// `add_subclass` makes a base's `tp_subclasses` before the weak reference (2.7–3.8);
    /// 3.9+ make the key and the reference first, then the dict.
    pub subclasses_before_ref: bool,
    /// `remove_subclass` frees a base's `tp_subclasses` dict once it is empty (3.11+), so the
    /// base's next subclass makes a new one; before, the empty dict stays.
    pub empty_subclasses_freed: bool,
    /// `@staticmethod` and `@classmethod` give their object a `__dict__` holding copies of
    /// the function's `__module__`, `__name__`, `__qualname__`, `__doc__` and
    /// `__annotations__` (3.10+, `sm_init`/`cm_init` → `functools_wraps`; reading
    /// `__annotations__` gives the function an empty dict of its own): two more objects per
    /// decorated method, one of them tracked (measured: `del A` of a class with one
    /// `@staticmethod` collects 8 objects on 3.6–3.9, 9 on 3.10+; facts §9b).
    pub decorators_copy_attributes: bool,
    /// `type_dealloc` takes the type out of its bases' `tp_subclasses` (3.x
    /// `remove_all_subclasses`), releasing the weak reference each held; 2.7 leaves the dead
    /// reference in each base's list until the base goes (measured: after `del A` and a
    /// collection, `weakref.ref(A)` is the last reference to it on 3.6–3.13, one of two on 2.7).
    pub dealloc_removes_subclass: bool,
}

/// Which classes with `__dict__` in their `__slots__` keep inline values (3.11+, where
/// [`InstanceLayout::Inline`] applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotsDictInline {
    /// Every one (3.11, 3.12: `Py_TPFLAGS_MANAGED_DICT`, values before the header).
    Always,
    /// Only a class whose instances are no larger than `object`, that is with no value slot
    /// (`__weakref__` is managed and adds nothing): 3.13 sets `Py_TPFLAGS_INLINE_VALUES` only
    /// for a basic size of `sizeof(PyObject)`; with a value slot the instance gets a real dict.
    /// Measured on 3.13.0: a self-cycle of one instance collects 1 object with `__slots__ =
    /// ['__dict__']` or `['__dict__', '__weakref__']`, 2 with `['__dict__', 'x']`.
    WithoutValueSlots,
}

impl Profile {
    /// The profile of the release `expected/` is recorded from (`Version::reference_release`).
    pub fn for_version(version: Version) -> Profile {
        Profile::for_release(version, reference_patch(version))
    }

    /// `3.12.1`: the release the row describes.
    pub fn release(&self) -> String {
        let (a, b) = self.version.major_minor();
        format!("{a}.{b}.{}", self.patch)
    }

    /// The fields in which `self` and `other` (two releases of one version) differ, each named
    /// with the C change behind it; empty when they behave alike as far as the model knows.
    pub fn differences(&self, other: &Profile) -> Vec<&'static str> {
        let mut out = Vec::new();
        if let (AutoGc::AtEvalBreaker(a), AutoGc::AtEvalBreaker(b)) = (self.auto_gc, other.auto_gc)
            && a.honours_disable != b.honours_disable
        {
            out.push(
                "whether a scheduled automatic collection still runs after gc.disable() \
                 (_Py_RunGC, gh-116604, fixed in 3.12.3)",
            );
        }
        out
    }

    /// The profile table: one row per version; `patch` selects the release where behaviour
    /// changed within a minor version.
    pub fn for_release(version: Version, patch: u32) -> Profile {
        use Version::*;
        let v = version;
        Profile {
            version: v,
            // Measured 2026-12-06: `gcconform bless` of `steps: [gc.enable(), gc.disable()]`
            // (the numbers in its expected file), twice, equal both times.
            startup_heap: match v {
                V2_7 => 3419,
                V3_6 => 5912,
                V3_7 => 4718,
                V3_8 => 4842,
                V3_9 => 5016,
                V3_10 => 5121,
                V3_11 => 5182,
                V3_12 => 5478,
                V3_13 => 5536,
            },
            patch,
            del_is_legacy: v == V2_7,
            finalize_once: v >= V3_6,
            resurrection: match v {
                V2_7 => Resurrection::NoFinalizers,
                V3_6 => Resurrection::CountBeforeReviveAll,
                V3_7 | V3_8 => Resurrection::CountAfterReviveAll,
                _ => Resurrection::ReviveResurrectedOnly,
            },
            weakrefs_cleared_before_del: v == V2_7,
            clear_trash_weakrefs: v >= V3_8,
            layout: match v {
                V2_7 => InstanceLayout::DictHashOrder,
                V3_6 | V3_7 | V3_8 | V3_9 | V3_10 => InstanceLayout::DictInsertionOrder,
                _ => InstanceLayout::Inline,
            },
            shared_keys_usable: SHARED_KEYS_MAX_SIZE,
            empty_slots_are_gc: v.type_layout().heap_types_always_gc,
            thresholds: if v >= V3_13 {
                DEFAULT_THRESHOLDS_3_13
            } else {
                DEFAULT_THRESHOLDS
            },
            auto_gc: if v >= V3_12 {
                AutoGc::AtEvalBreaker(RunGc {
                    honours_disable: v >= V3_13 || patch >= 3,
                    nests: v == V3_12,
                })
            } else {
                AutoGc::InAllocation
            },
            append_specializes: v >= V3_12,
            range_args_tuple: v <= V3_8,
            proxy_args_tuple: v <= V3_10,
            full_gc_clears_container_freelists: v >= V3_6,
            trashcan: Trashcan {
                limit: if v >= V3_13 {
                    TrashcanLimit::CBudget {
                        headroom: PY_TRASHCAN_HEADROOM,
                    }
                } else {
                    TrashcanLimit::Nesting(PY_TRASH_UNWIND_LEVEL)
                },
                subtype_nesting_hack: v <= V3_7,
                frames_are_objects: v <= V3_10,
                frames_tracked_in_calls: v <= V3_6,
            },
            recursion_limit: PY_DEFAULT_RECURSION_LIMIT,
            c_recursion: (v >= V3_13).then_some(CRecursion {
                limit: PY_C_RECURSION_LIMIT,
                eval_units: PY_EVAL_C_STACK_UNITS,
            }),
            recursion_error: if v == V2_7 {
                "RuntimeError"
            } else {
                "RecursionError"
            },
            slots_dict_inline: if v >= V3_13 {
                SlotsDictInline::WithoutValueSlots
            } else {
                SlotsDictInline::Always
            },
            varargs_gc_functions: v <= V3_6,
            bound_method_calls: v <= V3_6,
            dict_display_stores_each: v == V2_7,
            method_freelist: v <= V3_8,
            method_held_during_call: (V3_8..=V3_10).contains(&v),
            function_clear: v >= V3_6,
            unbound_methods: v == V2_7,
            exceptions: Exceptions {
                traceback_attr: v >= V3_6,
                traceback_per_frame: v >= V3_12,
                state: if v == V2_7 {
                    ExcState::ThreadAndFrames
                } else {
                    ExcState::HandlerStack
                },
                info_holds_traceback: (V3_6..=V3_10).contains(&v),
                traceback_fetches: v >= V3_6,
                name_cleared_before_pop: matches!(v, V3_7 | V3_8),
                unwind_name_first: matches!(v, V3_6 | V3_7),
                match_temporaries: v == V2_7,
            },
            class_build: ClassBuild {
                statement: class_statement(v),
                type_call: type_call(v),
                cfunction_freelist: v <= V3_8,
                mro_lists: if v <= V3_6 {
                    MroLists::Merge
                } else {
                    MroLists::ResultForSeveralBases
                },
                subclasses_before_ref: v <= V3_8,
                copy_holds_values: v >= V3_7,
                empty_subclasses_freed: v >= V3_11,
                decorators_copy_attributes: v >= V3_10,
                dealloc_removes_subclass: v >= V3_6,
            },
            sets: Sets {
                vectorcall: v >= V3_9,
                table: SetRules {
                    linear_probes: if v == V2_7 { 0 } else { 9 },
                    dummy_reuse: match v {
                        V2_7 | V3_6 => DummyReuse::First,
                        V3_9 => DummyReuse::Never,
                        _ => DummyReuse::Last,
                    },
                    grow: if v <= V3_6 { (3, 2) } else { (5, 3) },
                    grow_base_is_mask: v != V2_7,
                    grow_check_after_dummy: v == V2_7,
                },
                freelist: v == V2_7,
            },
            method_holds_class: v == V2_7,
            has_freeze: v >= V3_7,
            defaults_tuple_after_function: v == V2_7,
            cell_args_in_place: v >= V3_11,
            args_moved_into_frame: v >= V3_11,
            python_calls_inlined: v >= V3_11,
            method_type_name: if v == V2_7 {
                "instancemethod"
            } else {
                "method"
            },
            weakrefs_always_in_tuple: v >= V3_13,
            gc_callback_args_tuple: v == V3_6,
            debug_stats_report: v == V2_7,
        }
    }
}

/// How exceptions are kept (`Objects/exceptions.c`, `Python/traceback.c`, `Python/ceval.c`'s
/// exception handling, `Python/errors.c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exceptions {
    /// An exception holds its traceback and context (`__traceback__`, `__context__`: 3.x
    /// `PyBaseExceptionObject`); 2.7's holds neither (`sys.exc_info()` keeps the traceback).
    pub traceback_attr: bool,
    /// `PyTraceBack_Here` stores each new traceback on the exception
    /// (`PyException_SetTraceback`, 3.12+: the raised exception is one object); before, the
    /// chain is `curexc_traceback`'s until a handler takes it (`exception_unwind`).
    pub traceback_per_frame: bool,
    /// Where the exception being handled is kept.
    pub state: ExcState,
    /// `PyTraceBack_Here` fetches the exception before it allocates the traceback
    /// (`PyErr_Fetch` … `PyErr_Restore`, 3.x): that allocation may start a collection; 2.7
    /// allocates it with the exception set, which prevents one.
    pub traceback_fetches: bool,
    /// The handled exception's record holds its traceback too (3.6 `tstate->exc_traceback`,
    /// 3.7–3.10 `exc_info->exc_traceback`); 3.11+ keeps the exception only (`exc_value`).
    pub info_holds_traceback: bool,
    /// At the end of `except E as n:`, `n = None; del n` runs before `POP_EXCEPT` (3.7, 3.8:
    /// the name's clean-up is a `finally` inside the handler); 3.6 and 3.9+ pop first.
    pub name_cleared_before_pop: bool,
    /// Leaving a handler early (`return`, an exception) runs the name's clean-up before the
    /// handled exception is popped (3.6, 3.7: the block stack unwinds the `SETUP_FINALLY` of
    /// the clean-up first); 3.8+ compile the unwinding with `POP_EXCEPT` first.
    pub unwind_name_first: bool,
    /// 2.7 `PyObject_IsSubclass` makes a bound builtin method and a 1-tuple
    /// (`_PyObject_LookupSpecial` of `__subclasscheck__`, `objargs_mktuple`) at each
    /// `except E` match and at a handler's `PyErr_NormalizeException`; 3.x has a fast path.
    pub match_temporaries: bool,
}

/// Where the exception being handled is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExcState {
    /// 2.7: the thread state (`tstate->exc_*`, mirrored in `sys.exc_*`), replaced by each
    /// handler entered (`set_exc_info`); a function that handled one saved its caller's in
    /// `f_exc_*` and puts it back when it returns (`reset_exc_info`).
    ThreadAndFrames,
    /// 3.x: a stack (the value stack's saved state, 3.7+ `exc_info`): a handler pushes, its
    /// end pops (`POP_EXCEPT`).
    HandlerStack,
}

/// The patch number of the release `expected/` is recorded from (`13` for 3.10.13).
fn reference_patch(v: Version) -> u32 {
    v.reference_release()
        .rsplit('.')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("reference releases are major.minor.patch")
}

// The class statements' rows ([`ClassBuild`]), measured on each version with threshold sweeps
// (a collection started at each counted allocation lists generation 0) and `gc.get_count()`,
// and on 3.9–3.11 traced in gdb (every change of the count, every object tracked); the
// C function of each moment is on [`ClassStep`] and [`ClassTemp`]. A row is a list of phases,
// each the steps of one stretch of CPython's code, shared by the versions that run it alike.

use ClassStep::*;
use ClassTemp as T;

/// 3.6 `__build_class__` up to the body: the function (`MAKE_FUNCTION`), `__build_class__`'s
/// argument tuple (`METH_VARARGS`), the bases tuple (a slice of it), `type.__prepare__` (a
/// bound builtin called through an argument tuple) and the namespace.
const BUILD_CLASS_3_6: &[ClassStep] = &[
    BodyFunction,
    Temp(T::BuildClassArgs),
    Bases,
    Temp(T::BuiltinMethod),
    Temp(T::Tuple(2)),
    Temp(T::Dict),
    TempFree(T::Tuple(2)),
    TempFree(T::BuiltinMethod),
];

/// 3.7+ `__build_class__` up to the body: `__build_class__` and `__prepare__` are
/// `METH_FASTCALL`.
const BUILD_CLASS_3_7: &[ClassStep] = &[
    BodyFunction,
    Bases,
    Temp(T::BuiltinMethod),
    Temp(T::Dict),
    TempFree(T::BuiltinMethod),
];

/// The body, in a frame object that becomes the code's zombie frame (≤3.10; 3.11 makes none:
/// the model's frames know it, [`Trashcan::frames_are_objects`]).
const BODY: &[ClassStep] = &[BodyFrame, Body, BodyFrameEnd];

/// 3.12+: the body's `RESUME` checks the eval breaker first.
const BODY_3_12: &[ClassStep] = &[EvalBreaker, Body];

/// `type()` called with the name, the bases and the namespace through an argument tuple
/// (`_PyObject_MakeTpCall` 3.8+, `_PyStack_AsTuple` ≤3.7).
const CALL_TYPE: &[ClassStep] = &[Temp(T::Tuple(3))];

/// `type('C', bases, {})` up to `type_new` (3.x): `BUILD_TUPLE`, `BUILD_MAP`, the argument
/// tuple, and `type_new`'s `(object,)` when the call names no base.
const TYPE_CALL_START: &[ClassStep] = &[Bases, Temp(T::Dict), Temp(T::Tuple(3)), PackedBases];

/// 3.6–3.9 `type_new` and `PyType_Ready` (the descriptors before the MRO), then
/// `type_new_set_names`' dict copy.
const TYPE_NEW_3_6: &[ClassStep] = &[
    Dict,
    Type,
    Descriptors,
    Mro,
    Doc,
    Subclass,
    Temp(T::NamesCopy),
    TempFree(T::NamesCopy),
];

/// 3.10+: `type_ready` computes the MRO before it fills the dict (`type_ready_mro`, then
/// `type_ready_fill_dict`).
const TYPE_NEW_3_10: &[ClassStep] = &[
    Dict,
    Type,
    Mro,
    Descriptors,
    Doc,
    Subclass,
    Temp(T::NamesCopy),
    TempFree(T::NamesCopy),
];

/// 2.7 `type_new` and `PyType_Ready`: the type before the dict's copy; no `__set_name__`.
const TYPE_NEW_2_7: &[ClassStep] = &[Type, Dict, Descriptors, Mro, Doc, Subclass];

/// `init_subclass` ≤3.10: `super(type, type)` through an argument tuple, then the bound
/// `__init_subclass__`.
const INIT_SUBCLASS_3_6: &[ClassStep] = &[
    Temp(T::Tuple(2)),
    Temp(T::Super),
    TempFree(T::Tuple(2)),
    Temp(T::BuiltinMethod),
    TempFree(T::Super),
    TempFree(T::BuiltinMethod),
];

/// 3.11+: `super` is called without an argument tuple (`super_vectorcall`).
const INIT_SUBCLASS_3_11: &[ClassStep] = &[
    Temp(T::Super),
    Temp(T::BuiltinMethod),
    TempFree(T::Super),
    TempFree(T::BuiltinMethod),
];

/// The end of `type()`'s call: its argument tuple, then the namespace (`__build_class__`'s,
/// or the `{}` of a `type()` statement).
const END_CALL_TYPE: &[ClassStep] = &[TempFree(T::Tuple(3)), TempFree(T::Dict)];

/// `__build_class__` has returned: the body's function is released with the call's stack.
const END_STATEMENT: &[ClassStep] = &[BodyFunctionFree, Return];

/// 3.6: `__build_class__`'s argument tuple goes before the function.
const END_STATEMENT_3_6: &[ClassStep] = &[TempFree(T::BuildClassArgs), BodyFunctionFree, Return];

/// 3.12+: the module's `CALL` ends with an eval-breaker check, before `STORE_NAME`.
const END_CALL_3_12: &[ClassStep] = &[EvalBreaker];

/// A `type()` call returns.
const RETURN: &[ClassStep] = &[Return];

/// 2.7 `class C(A): pass`: `BUILD_TUPLE` (the bases), `MAKE_FUNCTION`, `CALL_FUNCTION` (the
/// body's frame and its `f_locals`, the namespace, from `PyFrame_New`; the function is
/// released when the call returns), then `BUILD_CLASS` (`build_class` calls the metaclass
/// through `PyObject_CallFunctionObjArgs`: an argument tuple); `type_new` allocates the type
/// before it copies the namespace.
const STATEMENT_2_7: &[&[ClassStep]] = &[
    &[
        Bases,
        BodyFunction,
        BodyFrame,
        Temp(T::Dict),
        Body,
        BodyFrameEnd,
        BodyFunctionFree,
    ],
    CALL_TYPE,
    TYPE_NEW_2_7,
    END_CALL_TYPE,
    RETURN,
];

/// [`ClassBuild::statement`]: `class C(A): pass` at module level.
fn class_statement(v: Version) -> &'static [&'static [ClassStep]] {
    use Version::*;
    match v {
        V2_7 => STATEMENT_2_7,
        V3_6 => &[
            BUILD_CLASS_3_6,
            BODY,
            CALL_TYPE,
            TYPE_NEW_3_6,
            INIT_SUBCLASS_3_6,
            END_CALL_TYPE,
            END_STATEMENT_3_6,
        ],
        V3_7 | V3_8 | V3_9 => &[
            BUILD_CLASS_3_7,
            BODY,
            CALL_TYPE,
            TYPE_NEW_3_6,
            INIT_SUBCLASS_3_6,
            END_CALL_TYPE,
            END_STATEMENT,
        ],
        V3_10 => &[
            BUILD_CLASS_3_7,
            BODY,
            CALL_TYPE,
            TYPE_NEW_3_10,
            INIT_SUBCLASS_3_6,
            END_CALL_TYPE,
            END_STATEMENT,
        ],
        V3_11 => &[
            BUILD_CLASS_3_7,
            BODY,
            CALL_TYPE,
            TYPE_NEW_3_10,
            INIT_SUBCLASS_3_11,
            END_CALL_TYPE,
            END_STATEMENT,
        ],
        V3_12 | V3_13 => &[
            BUILD_CLASS_3_7,
            BODY_3_12,
            CALL_TYPE,
            TYPE_NEW_3_10,
            INIT_SUBCLASS_3_11,
            END_CALL_TYPE,
            END_STATEMENT,
            END_CALL_3_12,
        ],
    }
}

/// 2.7 `C = type('C', (A,), {})`: `do_call`'s argument tuple holds the bases tuple, and
/// releases its items in reverse (the `{}` first) before it goes to its free list.
const TYPE_CALL_2_7: &[&[ClassStep]] = &[
    &[Bases, Temp(T::Dict), Temp(T::CallArgs), PackedBases],
    TYPE_NEW_2_7,
    &[TempFree(T::Dict), TempFree(T::CallArgs)],
    RETURN,
];

/// [`ClassBuild::type_call`]: `C = type('C', (A,), {})`.
fn type_call(v: Version) -> &'static [&'static [ClassStep]] {
    use Version::*;
    match v {
        V2_7 => TYPE_CALL_2_7,
        V3_6 | V3_7 | V3_8 | V3_9 => &[
            TYPE_CALL_START,
            TYPE_NEW_3_6,
            INIT_SUBCLASS_3_6,
            END_CALL_TYPE,
            RETURN,
        ],
        V3_10 => &[
            TYPE_CALL_START,
            TYPE_NEW_3_10,
            INIT_SUBCLASS_3_6,
            END_CALL_TYPE,
            RETURN,
        ],
        V3_11 => &[
            TYPE_CALL_START,
            TYPE_NEW_3_10,
            INIT_SUBCLASS_3_11,
            END_CALL_TYPE,
            RETURN,
        ],
        V3_12 | V3_13 => &[
            TYPE_CALL_START,
            TYPE_NEW_3_10,
            INIT_SUBCLASS_3_11,
            END_CALL_TYPE,
            RETURN,
            END_CALL_3_12,
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The derived constants keep their values.
    #[test]
    fn derived_constants_keep_their_values() {
        assert_eq!(PROGRAM_C_UNITS, 8);
        let p313 = Profile::for_version(Version::V3_13);
        assert_eq!(p313.trashcan.limit, TrashcanLimit::CBudget { headroom: 50 });
        assert_eq!(p313.c_recursion.map(|c| c.limit), Some(10_000));
        assert_eq!(p313.thresholds, (2000, 10, 10));
        let p312 = Profile::for_version(Version::V3_12);
        assert_eq!(p312.trashcan.limit, TrashcanLimit::Nesting(50));
        assert_eq!(p312.c_recursion, None);
        assert_eq!(p312.thresholds, (700, 10, 10));
        assert_eq!(p312.shared_keys_usable, 30);
        assert_eq!(p312.patch, 1);
        assert_eq!(p312.release(), "3.12.1");
        let later = Profile::for_release(Version::V3_12, 3);
        assert_ne!(later, p312);
        assert_eq!(later.differences(&p312).len(), 1);
    }
}
