//! The generational cyclic collector: `collect()` (2.7–3.8 `Modules/gcmodule.c`),
//! `gc_collect_main()` (3.9–3.12 `Modules/gcmodule.c`, 3.13 `Python/gc.c`), with the same list
//! operations and in the same order, so that finalizer order, `gc.garbage` order and the
//! returned count match. Version differences come from the [`Profile`](super::profile::Profile).

use super::heap::{
    F_COLLECTING, F_DICT, F_FINALIZED, F_TUPLE, F_UNREACHABLE, Id, Kind, Links, Val,
};
use super::journal::{Ctx, Note};
use super::machine::{Machine, NUM_GENERATIONS, Temp};
use super::profile::Resurrection;
use crate::trace::Event;

impl Machine<'_> {
    /// `gc.collect(generation)` (`gc_collect` / `gc_collect_impl`): a collection already in
    /// progress (a finalizer calling `gc.collect()`) makes it return 0.
    pub(super) fn gc_collect_api(&mut self, generation: usize) -> i64 {
        if self.collecting {
            return 0;
        }
        self.collecting = true;
        let n = self.collect(generation);
        self.collecting = false;
        n
    }

    /// `collect_generations` (2.7–3.9) / `gc_collect_generations` (3.10–3.12) /
    /// `gc_select_generation` (3.13): the oldest generation over its threshold; a full
    /// collection only when enough long-lived objects are pending (`long_lived_pending <
    /// long_lived_total / 4` skips it, issue #4074: the 4 is that literal in the C source, in
    /// every modelled version).
    pub(super) fn collect_generations(&mut self) {
        for i in (0..NUM_GENERATIONS).rev() {
            if self.count[i] > self.threshold[i] {
                if i == NUM_GENERATIONS - 1 && self.long_lived_pending < self.long_lived_total / 4 {
                    continue;
                }
                self.auto_collect = true;
                self.collect(i);
                break;
            }
        }
    }

    /// `update_refs` + `subtract_refs`: gc_refs = refcount minus references from inside `head`.
    fn update_and_subtract(&mut self, head: Id) {
        let (links, objs) = self.heap.split();
        // update_refs
        let mut cur = links.next(head);
        while cur != head {
            let h = links.get_mut(cur);
            // A refcount beyond 32 bits (never within the scenario limits) stays positive.
            h.gc_refs = h.refcnt.min(i32::MAX as i64) as i32;
            h.flags |= F_COLLECTING;
            cur = h.next;
        }
        // subtract_refs: visit_decref on each referent
        let mut cur = links.next(head);
        while cur != head {
            objs.for_each_referent(cur, |r| {
                let h = links.get_mut(r);
                if h.is_collecting() {
                    h.gc_refs -= 1;
                }
            });
            cur = links.next(cur);
        }
    }

    /// `move_unreachable`: scan `young` in order; objects with gc_refs > 0 are reachable and
    /// make their referents reachable (`visit_reachable`, which moves tentatively unreachable
    /// ones back to the tail of `young`); the others move to `unreachable`.
    /// Returns how many objects stay in `young` (each is scanned as reachable exactly once).
    fn move_unreachable(&mut self, young: Id, unreachable: Id) -> usize {
        let (links, objs) = self.heap.split();
        let mut reachable = 0;
        let mut cur = links.next(young);
        while cur != young {
            let h = links.get(cur);
            let next = h.next;
            if h.gc_refs > 0 {
                reachable += 1;
                objs.for_each_referent(cur, |r| visit_reachable(links, r, young));
                links.get_mut(cur).flags &= !F_COLLECTING;
                // visit_reachable may have appended to young: re-read the link.
                cur = links.next(cur);
            } else {
                links.move_to(cur, unreachable);
                links.get_mut(cur).flags |= F_UNREACHABLE;
                cur = next;
            }
        }
        reachable
    }

    /// `deduce_unreachable`: split `base` into reachable (stays) and `unreachable`.
    /// Returns how many objects stay in `base`.
    pub(super) fn deduce_unreachable(&mut self, base: Id, unreachable: Id) -> usize {
        self.update_and_subtract(base);
        self.move_unreachable(base, unreachable)
    }

    /// `untrack_tuples` (3.x; 2.7 does the same per tuple inside `move_unreachable`):
    /// `_PyTuple_MaybeUntrack` on every reachable tuple, in list order.
    /// Returns how many it untracked.
    pub(super) fn untrack_tuples(&mut self, head: Id) -> usize {
        let mut n = 0;
        if self.heap.links().tracked_tuples() == 0 {
            return n;
        }
        let mut id = self.heap.next(head);
        while id != head {
            let h = self.heap.hdr(id);
            let next = h.next;
            if h.flags & F_TUPLE != 0
                && let Kind::Tuple(items) = self.heap.kind(id)
                && items.iter().all(|v| !self.may_be_tracked(*v))
            {
                self.untrack(id);
                n += 1;
            }
            id = next;
        }
        n
    }

    /// `untrack_dicts` / `_PyDict_MaybeUntrack`: full collections only (issue #14775).
    /// Returns how many it untracked.
    pub(super) fn untrack_dicts(&mut self, head: Id) -> usize {
        let mut n = 0;
        let globals_tracked = self.heap.is_tracked(self.globals) as usize;
        if self.heap.links().tracked_dicts() == globals_tracked {
            // No dict but the module globals (never untracked) is tracked.
            return n;
        }
        let mut id = self.heap.next(head);
        while id != head {
            let h = self.heap.hdr(id);
            let next = h.next;
            if h.flags & F_DICT != 0
                && id != self.globals
                && let Kind::Dict(d) = self.heap.kind(id)
                && d.entries
                    .iter()
                    .flatten()
                    .all(|(_, v)| !self.may_be_tracked(*v))
            {
                self.untrack(id);
                n += 1;
            }
            id = next;
        }
        n
    }

    /// `has_legacy_finalizer` (2.7 `has_finalizer`): a Python-level `__del__` is a legacy
    /// finalizer (`tp_del`) only in 2.7.
    fn has_legacy_finalizer(&self, id: Id) -> bool {
        match self.heap.kind(id) {
            Kind::Instance(i) => {
                self.p.del_is_legacy && self.classes[i.class()].finalizer.is_some()
            }
            _ => false,
        }
    }

    /// `gc_clear_collecting`: drop the collection flags (`PREV_MASK_COLLECTING`, `NEXT_MASK_UNREACHABLE`).
    fn clear_collecting(&mut self, id: Id) {
        self.heap.hdr_mut(id).flags &= !(F_COLLECTING | F_UNREACHABLE);
    }

    /// Move every member of `from` to the tail of `to`, clearing the collection flags.
    fn merge_clearing(&mut self, from: Id, to: Id) {
        let mut id = self.heap.hdr(from).next;
        while id != from {
            self.clear_collecting(id);
            id = self.heap.hdr(id).next;
        }
        self.heap.merge(from, to);
    }

    /// `move_legacy_finalizers` + `move_legacy_finalizer_reachable`.
    fn move_legacy_finalizers(&mut self, unreachable: Id, finalizers: Id) {
        let mut id = self.heap.hdr(unreachable).next;
        while id != unreachable {
            let next = self.heap.hdr(id).next;
            self.heap.hdr_mut(id).flags &= !F_UNREACHABLE;
            if self.has_legacy_finalizer(id) {
                self.clear_collecting(id);
                self.heap.move_to(id, finalizers);
            }
            id = next;
        }
        let mut cur = self.heap.hdr(finalizers).next;
        while cur != finalizers {
            for r in self.heap.referents(cur) {
                if self.heap.hdr(r).is_collecting() {
                    self.heap.move_to(r, finalizers);
                    self.clear_collecting(r);
                }
            }
            cur = self.heap.hdr(cur).next;
        }
    }

    /// `handle_weakrefs`: clear weakrefs to the trash (and, bpo-38006, trash weakrefs
    /// themselves); call the callbacks of weakrefs that are not trash; count the weakrefs that
    /// the callback's end frees.
    fn handle_weakrefs(&mut self, unreachable: Id, old: Id) -> i64 {
        if !self.weakrefs_exist {
            return 0;
        }
        let wrcb = self.heap.new_head();
        for op in self.heap.members(unreachable) {
            if self.p.clear_trash_weakrefs && matches!(self.heap.kind(op), Kind::WeakRef { .. }) {
                self.clear_weakref_link(op);
            }
            while let Some(&wr) = self.heap.weakrefs(op).first() {
                // _PyWeakref_ClearRef: unlink, keep the callback.
                self.clear_weakref_link(wr);
                let has_cb = matches!(
                    self.heap.kind(wr),
                    Kind::WeakRef {
                        callback: Some(_),
                        ..
                    }
                );
                if !has_cb {
                    continue;
                }
                if self.heap.hdr(wr).is_collecting() {
                    continue;
                }
                self.incref(Val::Obj(wr));
                self.heap.move_to(wr, wrcb);
            }
        }
        let mut num_freed = 0;
        while let Some(wr) = self.heap.first(wrcb) {
            // `PyObject_CallOneArg(wr->wr_callback, wr)` (2.7 `PyObject_CallFunctionObjArgs`):
            // the weakref keeps its callback (`_PyWeakref_ClearRef` left it).
            let code = match self.heap.kind(wr) {
                Kind::WeakRef { callback, .. } => *callback,
                _ => None,
            };
            if let Some(code) = code {
                self.call_callback(wr, code);
            }
            self.decref(Val::Obj(wr));
            if self.heap.first(wrcb) == Some(wr) {
                self.clear_collecting(wr);
                self.heap.move_to(wr, old);
            } else {
                num_freed += 1;
            }
        }
        num_freed
    }

    /// `finalize_garbage`: call `tp_finalize` (`__del__`) once per object, in list order.
    fn finalize_garbage(&mut self, collectable: Id) {
        if !self.any_finalizer {
            // No object can have tp_finalize: the walk would leave the list as it is.
            return;
        }
        let seen = self.heap.new_head();
        while let Some(op) = self.heap.first(collectable) {
            self.heap.move_to(op, seen);
            let has_del = match self.heap.kind(op) {
                Kind::Instance(i) => self.classes[i.class()].finalizer.is_some(),
                _ => false,
            };
            if has_del && self.heap.hdr(op).flags & F_FINALIZED == 0 {
                self.heap.hdr_mut(op).flags |= F_FINALIZED;
                let no = self.collect_no();
                self.ctx_push(|m| Ctx::Finalizer {
                    label: m.label(op),
                    collect: Some(no),
                });
                self.incref(Val::Obj(op));
                self.call_del(op);
                self.decref(Val::Obj(op));
                self.ctx_pop();
            }
        }
        self.heap.merge(seen, collectable);
    }

    /// `check_garbage` (3.6–3.8): is anything in the set referenced from outside it now?
    fn check_garbage(&mut self, collectable: Id) -> bool {
        self.update_and_subtract(collectable);
        self.heap
            .members(collectable)
            .iter()
            .any(|id| self.heap.hdr(*id).gc_refs != 0)
    }

    /// `handle_resurrected_objects` (3.9+): recompute reachability inside the set; what is now
    /// reachable (resurrected, or reachable from something resurrected) goes to `old`.
    fn handle_resurrected_objects(&mut self, unreachable: Id, still: Id, old: Id) {
        let mut id = self.heap.next(unreachable);
        while id != unreachable {
            self.clear_collecting(id);
            id = self.heap.next(id);
        }
        self.deduce_unreachable(unreachable, still);
        let mut id = self.heap.next(still);
        while id != still {
            self.heap.hdr_mut(id).flags &= !F_UNREACHABLE;
            id = self.heap.next(id);
        }
        self.merge_clearing(unreachable, old);
    }

    /// `tp_clear` of each type: `subtype_clear`, `_list_clear`, `dict_tp_clear`,
    /// `set_clear_internal`, weakref `gc_clear`; tuples have none.
    fn tp_clear(&mut self, id: Id) {
        match self.heap.kind(id) {
            Kind::Instance(_) => self.clear_instance(id),
            Kind::List(_) | Kind::Dict(_) | Kind::Set(_) => {
                for v in self.take_items(id) {
                    self.decref(v);
                }
            }
            Kind::WeakRef { .. } => {
                self.clear_weakref_link(id);
                if let Kind::WeakRef { callback, .. } = self.heap.kind_mut(id) {
                    *callback = None;
                }
            }
            // Tuples have no `tp_clear`, nor have bound methods (`PyMethod_Type`).
            // `func_clear` (3.x): globals, defaults, (dict,) closure, in that order.
            Kind::Function { .. } if self.p.function_clear => {
                for v in self.take_function_refs(id) {
                    self.decref(v);
                }
            }
            // `cell_clear`.
            Kind::Cell(_) => {
                let old = match self.heap.kind_mut(id) {
                    Kind::Cell(c) => c.take(),
                    _ => None,
                };
                if let Some(v) = old {
                    self.decref(v);
                }
            }
            Kind::Type { .. } => self.type_clear(id),
            // `frame_tp_clear`: a frame that outlived its call clears its locals; a running
            // frame is never unreachable (the thread state holds it).
            Kind::Frame(fr) if fr.escaped => self.escaped_frame_clear(id),
            Kind::Frame(_) => {}
            // `tb_clear`: `tb_next`, `tb_frame`.
            Kind::Traceback { .. } => self.traceback_clear(id),
            // `func_clear` of a method's function (3.x): its globals, then (3.10+, after
            // defaults, doc, dict, closure) its annotations.
            Kind::MethodFunc { .. } if self.p.function_clear => self.method_func_clear(id),
            Kind::Decorated { .. } => self.decorated_clear(id),
            // Descriptors have no `tp_clear`.
            Kind::Tuple(_)
            | Kind::Method { .. }
            | Kind::Function { .. }
            | Kind::MethodFunc { .. }
            | Kind::Descr { .. }
            | Kind::Head => {}
        }
    }

    /// `delete_garbage`: break the cycles (or, under DEBUG_SAVEALL, save everything to the
    /// collector's garbage list); whatever survives moves to `old`.
    fn delete_garbage(&mut self, collectable: Id, old: Id) {
        while let Some(op) = self.heap.first(collectable) {
            if self.saveall {
                self.garbage_append(op);
            } else {
                let no = self.collect_no();
                self.ctx_push(|m| Ctx::Clear {
                    label: m.describe(op),
                    collect: no,
                });
                self.incref(Val::Obj(op));
                self.tp_clear(op);
                self.decref(Val::Obj(op));
                self.ctx_pop();
            }
            if self.heap.first(collectable) == Some(op) {
                self.clear_collecting(op);
                self.heap.move_to(op, old);
            }
        }
    }

    /// `PyList_Append(garbage, op)` on the collector's own list.
    fn garbage_append(&mut self, op: Id) {
        if matches!(self.heap.kind(op), Kind::Instance(_)) {
            let no = self.collect_no();
            let saveall = self.saveall;
            self.note(|m| Note::SavedToGarbage {
                no,
                label: m.label(op),
                saveall,
            });
        }
        self.incref(Val::Obj(op));
        let g = self.garbage_internal;
        if let Kind::List(items) = self.heap.kind_mut(g) {
            items.push(Val::Obj(op));
        }
    }

    /// `handle_legacy_finalizers`: legacy-finalizer objects (everything, under SAVEALL) go to
    /// gc.garbage; the whole finalizers list joins the old generation.
    fn handle_legacy_finalizers(&mut self, finalizers: Id, old: Id) {
        for id in self.heap.members(finalizers) {
            if self.saveall || self.has_legacy_finalizer(id) {
                self.garbage_append(id);
            }
        }
        self.merge_clearing(finalizers, old);
    }

    /// The number of the collection in progress (journal).
    fn collect_no(&self) -> usize {
        self.journal.as_ref().map(|j| j.collections).unwrap_or(0)
    }

    /// A shortest cycle from `id` back to itself through members of `set` (labels only).
    fn cycle_through(&self, id: Id, members: &std::collections::HashSet<Id>) -> Vec<String> {
        use std::collections::{HashMap, VecDeque};
        let mut parent: HashMap<Id, Id> = HashMap::new();
        let mut queue = VecDeque::from([id]);
        while let Some(c) = queue.pop_front() {
            for r in self.heap.referents(c) {
                if !members.contains(&r) {
                    continue;
                }
                if r == id {
                    let mut path = vec![id];
                    let mut cur = c;
                    while cur != id {
                        path.push(cur);
                        cur = parent[&cur];
                    }
                    path.push(id);
                    path.reverse();
                    let mut labels: Vec<String> = path
                        .into_iter()
                        .filter(|p| self.heap.label_of(*p).is_some())
                        .map(|p| self.label(p))
                        .collect();
                    labels.dedup();
                    return labels;
                }
                if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(r) {
                    e.insert(c);
                    queue.push_back(r);
                }
            }
        }
        Vec::new()
    }

    /// `collect_with_callback` (3.6–3.9) / `gc_collect_with_callback` (3.10–3.12) /
    /// `gc_collect_main` (3.13, whose callbacks are inside it, after the generation is chosen)
    /// for one generation: the "start" callbacks, `collect()` / `gc_collect_main()`, the "stop"
    /// callbacks; returns collected + uncollectable (what `gc.collect()` returns).
    pub(super) fn collect(&mut self, generation: usize) -> i64 {
        let automatic = std::mem::replace(&mut self.auto_collect, false);
        self.invoke_gc_callback(generation, None);
        if let Some(j) = &mut self.journal {
            j.collections += 1;
        }
        let no = self.collect_no();
        self.ctx_push(|_| Ctx::Collect(no));
        self.frame_refs_for_collection(true);
        let (m, n) = self.collect_inner(generation, no, automatic);
        self.frame_refs_for_collection(false);
        self.ctx_pop();
        self.invoke_gc_callback(generation, Some((m, n)));
        n + m
    }

    /// `invoke_gc_callback(phase, generation, collected, uncollectable)` (3.x) when the
    /// scenario records collections (`record: collections`: the harness's one `gc.callbacks`
    /// entry; with none, CPython returns before allocating anything). `Py_BuildValue("{sisnsn}",
    /// …)` builds the `info` dict (`PyDict_New`: the dict free list, else a new GC object,
    /// counted; its str keys and int values are no GC objects and leave it untracked); 3.6's
    /// `PyObject_CallFunction(cb, "sO", …)` builds a 2-tuple of arguments
    /// ([`Profile::gc_callback_args_tuple`](super::profile::Profile::gc_callback_args_tuple));
    /// the call runs the harness's Python function ([`Machine::call_gc_callback`]); then the
    /// tuple and `info` are released, back onto their free lists while there is room.
    /// "start" (`stop` is `None`) runs before the counts are reset, "stop" after the whole
    /// collection (finalizers, weakref callbacks, frees, `clear_freelists`), with m and n.
    fn invoke_gc_callback(&mut self, generation: usize, stop: Option<(i64, i64)>) {
        if !self.sc.record_collections || self.p.debug_stats_report {
            return;
        }
        self.temp_alloc(Temp::Dict);
        let tuple = self.p.gc_callback_args_tuple;
        if tuple {
            self.temp_alloc(Temp::Tuple(2));
        }
        self.call_gc_callback(stop.map(|(m, n)| Event::Collection {
            generation: generation as u8,
            collected: m,
            uncollectable: n,
        }));
        if tuple {
            self.temp_free(Temp::Tuple(2));
        }
        self.temp_free(Temp::Dict);
    }

    /// 2.7's `DEBUG_STATS` report when the scenario records collections (`record:
    /// collections`; [`Profile::debug_stats_report`](super::profile::Profile::debug_stats_report)):
    /// `PySys_WriteStderr` → `PyFile_WriteString` → `PyFile_WriteObject` on the harness's
    /// `sys.stderr`, whose `write` (an instance attribute: no bound method) is called with a
    /// new 1-tuple (`PyTuple_Pack`, freed after the call) in a frame of its own. The pieces of
    /// one report are written one after the other with nothing in between, so each takes the
    /// tuple and the zombie frame the previous one gave back: one call stands for them. At
    /// "done" (`event`) the harness records the collection.
    fn debug_stats_write(&mut self, event: Option<Event>) {
        if !self.sc.record_collections || !self.p.debug_stats_report {
            return;
        }
        self.temp_alloc(Temp::Tuple(1));
        self.call_gc_callback(event);
        self.temp_free(Temp::Tuple(1));
    }

    /// The body of `collect()` / `gc_collect_main()`: bump the next generation's count, reset the
    /// younger ones, merge the younger generations in, find the unreachable set, and deal with
    /// finalizers, weakrefs, resurrection and `gc.garbage` per the profile. Returns (m, n): the
    /// collected and the uncollectable.
    fn collect_inner(&mut self, generation: usize, no: usize, automatic: bool) -> (i64, i64) {
        // 2.7: "gc: collecting generation N...", the generation sizes.
        self.debug_stats_write(None);
        if generation + 1 < NUM_GENERATIONS {
            self.count[generation + 1] += 1;
        }
        for i in 0..=generation {
            self.count[i] = 0;
        }
        for i in 0..generation {
            self.heap.merge(self.gens[i], self.gens[generation]);
        }
        let young = self.gens[generation];
        let old = if generation < 2 {
            self.gens[generation + 1]
        } else {
            young
        };
        let unreachable = self.heap.new_head();
        self.note(|m| Note::CollectStart {
            no,
            generation,
            scanned: m.heap.len(young),
            automatic,
        });
        // gc_list_size(young) is kept as a count instead of a walk: what move_unreachable
        // left in young, less what untrack_tuples/untrack_dicts took out.
        let mut young_len = self.deduce_unreachable(young, unreachable);
        self.note(|m| Note::Unreachable {
            no,
            labels: m.unreachable_labels(unreachable),
        });
        young_len -= self.untrack_tuples(young);
        debug_assert_eq!(young_len, self.heap.len(young));
        if young != old {
            if generation == 1 {
                self.long_lived_pending += young_len as i64;
            }
            self.heap.merge(young, old);
        } else {
            young_len -= self.untrack_dicts(young);
            debug_assert_eq!(young_len, self.heap.len(young));
            // "long_lived_total = gc_list_size(young)": what survived the full collection, the
            // interpreter's own objects among them, unless they are frozen.
            self.long_lived_pending = 0;
            self.long_lived_total = young_len as i64
                + if self.unmodelled_frozen {
                    0
                } else {
                    self.unmodelled_old
                };
        }

        let finalizers = self.heap.new_head();
        self.move_legacy_finalizers(unreachable, finalizers);
        if self.journal.is_some() {
            let members: std::collections::HashSet<Id> =
                self.heap.members(finalizers).into_iter().collect();
            for id in self.heap.members(finalizers) {
                if !matches!(self.heap.kind(id), Kind::Instance(_)) {
                    continue;
                }
                let label = self.label(id);
                let n = if self.has_legacy_finalizer(id) {
                    let inherited = match self.heap.kind(id) {
                        Kind::Instance(i) => {
                            let c = i.class();
                            self.classes[c].finalizer.filter(|&f| f != c).map(|f| {
                                (
                                    self.sc.classes[c].name.clone(),
                                    self.sc.classes[f].name.clone(),
                                )
                            })
                        }
                        _ => None,
                    };
                    Note::LegacyFinalizer {
                        no,
                        label,
                        cycle: self.cycle_through(id, &members),
                        inherited,
                    }
                } else {
                    Note::ReachableFromFinalizer { no, label }
                };
                self.note(|_| n);
            }
        }

        let mut m: i64 = 0;
        let res = self.p.resurrection;
        if matches!(
            res,
            Resurrection::NoFinalizers | Resurrection::CountBeforeReviveAll
        ) {
            m += self.heap.len(unreachable) as i64;
        }
        m += self.handle_weakrefs(unreachable, old);
        match res {
            Resurrection::NoFinalizers => self.delete_garbage(unreachable, old),
            Resurrection::CountBeforeReviveAll | Resurrection::CountAfterReviveAll => {
                self.finalize_garbage(unreachable);
                if self.check_garbage(unreachable) {
                    // revive_garbage
                    self.note(|m| Note::RevivedAll {
                        no,
                        labels: m.unreachable_labels(unreachable),
                    });
                    self.merge_clearing(unreachable, old);
                } else {
                    if res == Resurrection::CountAfterReviveAll {
                        m += self.heap.len(unreachable) as i64;
                    }
                    self.delete_garbage(unreachable, old);
                }
            }
            Resurrection::ReviveResurrectedOnly => {
                self.finalize_garbage(unreachable);
                let still = self.heap.new_head();
                if self.journal.is_some() {
                    // Which objects survive the recomputed reachability: run it on a copy of
                    // the question by noting the set before and after.
                    let before = self.heap.members(unreachable);
                    self.handle_resurrected_objects(unreachable, still, old);
                    let gone: std::collections::HashSet<Id> =
                        self.heap.members(still).into_iter().collect();
                    let labels: Vec<String> = before
                        .into_iter()
                        .filter(|id| {
                            !gone.contains(id)
                                && !self.heap.is_freed(*id)
                                && matches!(self.heap.kind(*id), Kind::Instance(_))
                        })
                        .map(|id| self.label(id))
                        .collect();
                    if !labels.is_empty() {
                        self.note(|_| Note::Resurrected { no, labels });
                    }
                } else {
                    self.handle_resurrected_objects(unreachable, still, old);
                }
                m += self.heap.len(still) as i64;
                self.delete_garbage(still, old);
            }
        }
        let n = self.heap.len(finalizers) as i64;
        // 2.7: "gc: done, U unreachable, N uncollectable" (U = m + n).
        self.debug_stats_write(Some(Event::Collection {
            generation: generation as u8,
            collected: m,
            uncollectable: n,
        }));
        self.handle_legacy_finalizers(finalizers, old);
        self.note(|_| Note::CollectEnd {
            no,
            collected: m,
            uncollectable: n,
        });
        // "Update stats" (3.4+; 2.7 keeps none).
        self.stats.collections[generation] += 1;
        self.stats.collected[generation] += m;
        self.stats.uncollectable[generation] += n;
        if generation == 2 {
            // clear_freelists (`_PyGC_ClearAllFreeLists` 3.12+): every object on them is freed
            // through `PyObject_GC_Del`, which lowers count0 (never below 0).
            let fl = &mut self.freelists;
            let mut freed =
                fl.tuples.values().sum::<usize>() + fl.methods + fl.builtin_methods + fl.frames;
            fl.tuples.clear();
            fl.methods = 0;
            fl.builtin_methods = 0;
            fl.frames = 0;
            if self.p.full_gc_clears_container_freelists {
                freed += fl.lists + fl.dicts;
                fl.lists = 0;
                fl.dicts = 0;
            }
            self.count[0] = (self.count[0] - freed as i64).max(0);
        }
        (m, n)
    }
}

/// `visit_reachable`: a referent of a reachable object is reachable; a tentatively unreachable
/// one moves back to the tail of `young`, to be scanned in its turn.
#[inline]
fn visit_reachable(links: &mut Links, r: Id, young: Id) {
    let h = links.get_mut(r);
    if !h.is_collecting() {
        return;
    }
    if h.flags & F_UNREACHABLE != 0 {
        h.flags &= !F_UNREACHABLE;
        h.gc_refs = 1;
        links.move_to(r, young);
    } else if h.gc_refs == 0 {
        h.gc_refs = 1;
    }
}
