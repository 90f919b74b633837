//! The `gc` module's observations as scenarios call them (`gc.get_count()`, `gc.is_tracked(x)`,
//! …): what each returns, and what each allocates on the way, which CPython counts like any
//! other allocation (`Modules/gcmodule.c`: `gc_get_count` / `gc_get_count_impl`,
//! `gc_get_thresh` / `gc_get_threshold_impl`, `gc_is_tracked` / `gc_is_tracked_impl`,
//! `gc_is_finalized` / `gc_is_finalized_impl`, `gc_get_freeze_count_impl`, `gc_get_stats` /
//! `gc_get_stats_impl`).
//!
//! Each is a call: the C function runs (allocating its result, which may start an automatic
//! collection on ≤3.11), the eval breaker is checked when the call returns (3.12+; every one of
//! these is a `METH_NOARGS` or `METH_O` builtin, whose `CALL` and its specialisations check),
//! then the statement drops the result (`POP_TOP`), and the trace records the value.

use super::heap::{F_FINALIZED, Id, Kind, Val};
use super::machine::Machine;
use crate::scenario::Query;
use crate::trace::Event;

impl Machine<'_> {
    /// Run a query statement and record its value.
    pub(super) fn gc_query(&mut self, q: &Query) -> super::machine::PyResult<()> {
        let event = match q {
            Query::Count => {
                let v = self.count;
                self.triple_result(v);
                Event::GetCount(v)
            }
            Query::Threshold => {
                let v = self.threshold;
                self.triple_result(v);
                Event::GetThreshold(v)
            }
            Query::IsTracked(name) => {
                // `_PyObject_IS_GC(obj) && IS_TRACKED(obj)` (`_PyObject_GC_IS_TRACKED`): ints
                // and None are no GC objects; the result is a bool, nothing is allocated.
                let v = self.load(name)?;
                let tracked = v
                    .obj()
                    .is_some_and(|id| self.heap.is_gc(id) && self.heap.is_tracked(id));
                self.eval_breaker();
                Event::IsTracked {
                    name: name.clone(),
                    tracked,
                }
            }
            Query::IsFinalized(name) => {
                // `_PyObject_IS_GC(obj) && _PyGC_FINALIZED(obj)` (3.9+): the bit
                // `finalize_garbage` sets before it calls `tp_finalize`, and
                // `PyObject_CallFinalizer` after (so inside a `__del__` run by a refcount
                // dealloc it is not set yet).
                let v = self.load(name)?;
                let finalized = v.obj().is_some_and(|id| {
                    self.heap.is_gc(id) && self.heap.hdr(id).flags & F_FINALIZED != 0
                });
                self.eval_breaker();
                Event::IsFinalized {
                    name: name.clone(),
                    finalized,
                }
            }
            Query::FreezeCount => {
                // `gc_list_size(&permanent_generation.head)` returns an int (no GC object).
                let n = self.frozen_by_scenario();
                self.eval_breaker();
                Event::GetFreezeCount(n)
            }
            Query::Stats => {
                // "To get consistent values despite allocations while constructing the result
                // list, we use a snapshot of the running stats": taken before the list exists.
                let s = self.stats;
                self.stats_result();
                Event::GetStats(s)
            }
        };
        self.events.push(event);
        Ok(())
    }

    /// `Py_BuildValue("(iii)", …)`: the values are read first, then `PyTuple_New(3)` allocates
    /// the tuple (from its free list, or through the GC allocator: counted, and on ≤3.11 maybe
    /// an automatic collection right there), tracked; the call returns (eval breaker, 3.12+);
    /// the statement drops the tuple (`tupledealloc`: trashcan-protected, back to the free list).
    fn triple_result(&mut self, v: [i64; 3]) {
        let t = self.new_object(Kind::Tuple(v.iter().map(|x| Val::Int(*x)).collect()));
        self.result_returned(t);
    }

    /// `gc_get_stats`: `PyList_New(0)` (tracked), then per generation `Py_BuildValue("{snsnsn}",
    /// …)`, a dict from the dict free list or the GC allocator (its ints and strings leave it
    /// untracked), appended to the list; the call returns; the statement drops the list
    /// (`list_dealloc` releases the dicts last to first, each back to the dict free list while
    /// there is room).
    fn stats_result(&mut self) {
        let list = self.new_object(Kind::List(Vec::new()));
        self.heap.hdr_mut(list).refcnt = 1;
        self.track(list);
        for _ in 0..3 {
            let d = self.new_object(Kind::Dict(Box::new(self.new_dictobj(0))));
            // The list's reference (`PyList_Append` increfs, `Py_DECREF(dict)` gives back the
            // builder's).
            self.heap.hdr_mut(d).refcnt = 1;
            if let Kind::List(items) = self.heap.kind_mut(list) {
                items.push(Val::Obj(d));
            }
        }
        self.eval_breaker();
        self.decref(Val::Obj(list));
    }

    /// A call's result object (`t`, untracked so far for tuples built by `PyTuple_New`, which
    /// tracks them) returned to the statement, which drops it.
    fn result_returned(&mut self, t: Id) {
        self.heap.hdr_mut(t).refcnt = 1;
        self.track(t);
        self.eval_breaker();
        self.decref(Val::Obj(t));
    }

    /// The objects in the permanent generation that the scenario made: all of it but what
    /// start-up left tracked (the module globals, the collector's `gc.garbage` list, the
    /// classes' tracked objects), which stand for what the interpreter held at the end of
    /// start-up (the runner subtracts those the same way). A class's object that start-up left
    /// untracked and a statement tracked again counts (a class's dict that a class attribute
    /// store re-tracked, `MAINTAIN_TRACKING`; fuzz seed 82 #5327).
    fn frozen_by_scenario(&self) -> i64 {
        self.heap
            .members(self.permanent)
            .into_iter()
            .filter(|id| *id >= self.startup_end || self.startup_untracked.contains(id))
            .count() as i64
    }
}
