//! Version profiles: every behaviour that differs between CPython versions, as one row of data
//! per version. The collector and the dealloc paths read these fields; nothing else in the model
//! asks which version it is.
//!
//! Sources: `../shared/cpython-gc-facts.md` (probes run on all nine interpreters) and the C
//! functions named on each field.

use crate::version::Version;

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
    /// next eval-breaker check (after a call returns, at a function's start).
    AtEvalBreaker,
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

/// The trashcan mechanism that bounds recursion in deallocation of nested containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trashcan {
    /// `PyTrash_UNWIND_LEVEL` (50); for 3.13 the C recursion budget from top level.
    pub unwind_level: u32,
    /// 2.7–3.7 `subtype_dealloc` raises the nesting around `Py_TRASHCAN_SAFE_BEGIN/END`, so an
    /// instance deallocated at top level never drains the deferred chain; a top-level list, dict,
    /// tuple or frame dealloc does.
    pub subtype_nesting_hack: bool,
    /// Whether frame objects exist and are freed through a trashcan-protected dealloc
    /// (`frame_dealloc`, ≤3.10).
    pub frames_are_objects: bool,
    /// The deferred chain is destroyed when a trashcan-protected dealloc ends with the nesting
    /// below this (1: back at top level, `_PyTrash_end`; 3.13 drains once 50 levels unwound).
    pub drain_below: u32,
}

/// One CPython version's behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    pub version: Version,
    /// A Python-level `__del__` is a legacy finalizer (`tp_del`, 2.7 `has_finalizer`): cyclic
    /// trash holding one is uncollectable and goes to `gc.garbage`. 3.4+ uses `tp_finalize`.
    pub del_is_legacy: bool,
    /// `tp_finalize` runs at most once per GC object (`_PyGC_FINALIZED` bit, 3.4+).
    pub finalize_once: bool,
    pub resurrection: Resurrection,
    /// Refcount dealloc clears weakrefs (and runs callbacks) before `__del__` (2.7
    /// `subtype_dealloc`); 3.x calls the finalizer first.
    pub weakrefs_cleared_before_del: bool,
    /// `handle_weakrefs` also clears weakref objects that are themselves trash (bpo-38006).
    pub clear_trash_weakrefs: bool,
    pub layout: InstanceLayout,
    /// Free key slots of a class's shared keys at creation (3.11+ inline values).
    pub shared_keys_usable: i64,
    /// Instances of a class with `__slots__ = ()` (no dict, no weakref slot) are GC objects
    /// (3.8+: heap-type instances always are, bpo-35810).
    pub empty_slots_are_gc: bool,
    /// Default `(threshold0, threshold1, threshold2)`.
    pub thresholds: (i64, i64, i64),
    pub auto_gc: AutoGc,
    /// Full collections clear the list/dict/tuple free lists (3.x `clear_freelists`); 2.7 keeps
    /// list and dict free lists.
    pub full_gc_clears_container_freelists: bool,
    pub trashcan: Trashcan,
    /// `gc.collect(n)` and `gc.set_debug(x)` are `METH_VARARGS` (an argument tuple per call).
    pub varargs_gc_functions: bool,
    /// `x.append(v)` and the `__del__` lookup create bound method objects (no LOAD_METHOD /
    /// `lookup_maybe_method` before 3.7).
    pub bound_method_calls: bool,
    /// With inline values, a class whose `__slots__` include `__dict__` keeps attributes inline
    /// too (3.11, 3.12); 3.13 gives its instances a real dict.
    pub slots_dict_inline: bool,
}

impl Profile {
    /// The profile table: one row per version.
    pub fn for_version(version: Version) -> Profile {
        use Version::*;
        let v = version;
        Profile {
            version: v,
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
            shared_keys_usable: 30,
            empty_slots_are_gc: v >= V3_8,
            thresholds: if v >= V3_13 {
                (2000, 10, 10)
            } else {
                (700, 10, 10)
            },
            auto_gc: if v >= V3_12 {
                AutoGc::AtEvalBreaker
            } else {
                AutoGc::InAllocation
            },
            full_gc_clears_container_freelists: v >= V3_6,
            trashcan: Trashcan {
                unwind_level: if v >= V3_13 { 9948 } else { 50 },
                subtype_nesting_hack: v <= V3_7,
                frames_are_objects: v <= V3_10,
                drain_below: if v >= V3_13 { 9900 } else { 1 },
            },
            slots_dict_inline: v == V3_11 || v == V3_12,
            varargs_gc_functions: v <= V3_6,
            bound_method_calls: v <= V3_6,
        }
    }
}
