//! The `gc` module's functions as scenarios call them (`Modules/gcmodule.c`: `gc_collect` /
//! `gc_collect_impl`, `gc_enable_impl`, `gc_set_debug_impl`, `gc_set_thresh` / `gc_set_threshold`,
//! `gc_freeze_impl`, `gc_unfreeze_impl`), and the two things a scenario does to `gc.garbage`.
//!
//! Each call is a Python call: an argument tuple where the function is `METH_VARARGS`
//! ([`Profile::varargs_gc_functions`](super::profile::Profile::varargs_gc_functions), and
//! `gc.set_threshold` everywhere), then the eval-breaker check when the call returns (3.12+).
//! The collection itself is in `collector.rs`.

use super::heap::{Kind, Val};
use super::machine::{Machine, Temp};
use crate::trace::Event;

impl Machine<'_> {
    /// `gc.collect()` / `gc.collect(n)` (`gc_collect` ≤3.6, `gc_collect_impl` 3.7+): the
    /// collection ([`Machine::gc_collect_api`]), the trace's `collect` event with what it
    /// returned, then, at top level, an observation (inside a finalizer the running frames
    /// themselves would be visible to `gc.get_objects()` on some versions).
    pub(super) fn gc_collect_stmt(&mut self, generation: Option<u8>) {
        let args = Temp::Tuple(usize::from(generation.is_some()));
        if self.p.varargs_gc_functions {
            self.temp_alloc(args);
        }
        let r = self.gc_collect_api(generation.unwrap_or(2) as usize);
        if self.p.varargs_gc_functions {
            self.temp_free(args);
        }
        self.eval_breaker();
        self.events.push(Event::Collect {
            generation,
            result: r,
        });
        if self.frames.is_empty() {
            // Observations are made at top level only (inside a finalizer the running
            // frames themselves would be visible to gc.get_objects() on some versions).
            self.observe();
        }
    }

    /// `gc.enable()` (`gc_enable_impl`: `gcstate->enabled = 1`).
    pub(super) fn gc_enable(&mut self) {
        self.enabled = true;
        self.eval_breaker();
    }

    /// `gc.disable()` (`gc_disable_impl`: `gcstate->enabled = 0`).
    pub(super) fn gc_disable(&mut self) {
        self.enabled = false;
        self.eval_breaker();
    }

    /// `gc.set_debug(gc.DEBUG_SAVEALL)` / `gc.set_debug(0)` (`gc_set_debug` ≤3.6, `METH_VARARGS`;
    /// `gc_set_debug_impl` 3.7+): only `DEBUG_SAVEALL` matters to the collector.
    pub(super) fn gc_set_debug(&mut self, saveall: bool) {
        if self.p.varargs_gc_functions {
            self.temp_alloc(Temp::Tuple(1));
            self.temp_free(Temp::Tuple(1));
        }
        self.saveall = saveall;
        self.eval_breaker();
    }

    /// `gc.set_threshold(t0[, t1[, t2]])` (`gc_set_thresh` 2.7–3.7, `gc_set_threshold` 3.8+;
    /// `METH_VARARGS` in every version: an argument tuple of the call's arity).
    pub(super) fn gc_set_threshold(&mut self, ts: &[i64]) {
        // METH_VARARGS: an argument tuple.
        self.temp_alloc(Temp::Tuple(ts.len()));
        self.temp_free(Temp::Tuple(ts.len()));
        for (i, t) in ts.iter().enumerate() {
            self.threshold[i] = *t;
        }
        self.eval_breaker();
    }

    /// `gc.freeze()` (`gc_freeze_impl` 3.7–3.12, `_PyGC_Freeze` 3.13): every generation merged
    /// into the permanent one, and every generation's count reset (`generations[i].count = 0`
    /// in the same loop).
    pub(super) fn gc_freeze(&mut self) {
        for i in 0..3 {
            self.heap.merge(self.gens[i], self.permanent);
            self.count[i] = 0;
        }
        // The interpreter's own objects go with them.
        self.unmodelled_frozen = true;
        self.eval_breaker();
    }

    /// `gc.unfreeze()` (`gc_unfreeze_impl`, `_PyGC_Unfreeze` 3.13): the permanent generation
    /// merged into the oldest; the counts stay as they are.
    pub(super) fn gc_unfreeze(&mut self) {
        self.heap.merge(self.permanent, self.gens[2]);
        self.unmodelled_frozen = false;
        self.eval_breaker();
    }

    /// `del gc.garbage[:]` (`list_ass_slice(a, 0, n, NULL)`): the list is emptied first, then
    /// its items are released last to first.
    pub(super) fn gc_garbage_clear(&mut self) {
        // list_ass_slice(a, 0, n, NULL): items released last to first.
        let items = match self.heap.kind_mut(self.garbage_attr) {
            Kind::List(items) => std::mem::take(items),
            _ => unreachable!(),
        };
        for v in items.into_iter().rev() {
            self.decref(v);
        }
    }

    /// `gc.garbage = []` (`BUILD_LIST` + `STORE_ATTR` on the module): the attribute refers to
    /// a new list; the collector keeps appending to its own list (its C static or interpreter
    /// state), which the attribute no longer holds.
    pub(super) fn gc_garbage_rebind(&mut self) {
        let id = self.new_object(Kind::List(Vec::new()));
        self.heap.hdr_mut(id).refcnt = 1;
        self.track(id);
        let old = std::mem::replace(&mut self.garbage_attr, id);
        self.decref(Val::Obj(old));
    }
}
