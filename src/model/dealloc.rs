//! Deallocation when a reference count reaches zero: `subtype_dealloc` (typeobject.c),
//! `list_dealloc`, `tupledealloc`, `dict_dealloc`, `weakref_dealloc`, `PyObject_ClearWeakRefs`
//! (weakrefobject.c) and the trashcan (`Py_TRASHCAN_BEGIN/END`, `_PyTrash_thread_destroy_chain`).

use super::heap::{F_FINALIZED, Id, Kind, Val};
use super::machine::{
    DICT_MAXFREELIST, Deferred, LIST_MAXFREELIST, METHOD_MAXFREELIST, Machine, SET_MAXFREELIST,
    TUPLE_MAXFREELIST, TUPLE_MAXSAVESIZE,
};
use super::profile::TrashcanLimit;

impl Machine<'_> {
    /// `_Py_Dealloc`: dispatch on the type.
    pub(super) fn dealloc(&mut self, id: Id) {
        match self.heap.kind(id) {
            Kind::Instance(_) => self.subtype_dealloc(id),
            Kind::List(_) | Kind::Tuple(_) | Kind::Dict(_) | Kind::Set(_) => {
                self.container_dealloc(id)
            }
            Kind::WeakRef { .. } => self.weakref_dealloc(id),
            Kind::Method { .. } => self.method_dealloc(id),
            Kind::Function { .. } => self.func_dealloc(id),
            Kind::Cell(_) => self.cell_dealloc(id),
            Kind::Type { .. } => self.type_dealloc(id),
            Kind::Descr { .. } => self.descr_dealloc(id),
            Kind::MethodFunc { .. } => self.method_func_dealloc(id),
            Kind::Decorated { .. } => self.decorated_dealloc(id),
            Kind::Head => unreachable!("list heads are never released"),
            Kind::Frame(fr) if fr.escaped => self.escaped_frame_dealloc(id),
            Kind::Frame(_) => unreachable!("a frame's stand-in is freed with its frame object"),
            Kind::Traceback { .. } => self.traceback_dealloc(id),
        }
    }

    /// [`Machine::trash_begin`] of an object that is no instance.
    pub(super) fn trash_begin_object(&mut self, id: Id) -> bool {
        self.trash_begin(id, false)
    }

    /// `Py_TRASHCAN_BEGIN` / `Py_TRASHCAN_SAFE_BEGIN` for an object: defer its dealloc when
    /// nested too deep. Returns false when it was deposited on the delete-later chain.
    fn trash_begin(&mut self, id: Id, subtype: bool) -> bool {
        if !self.trash_enter(subtype) {
            // _PyTrash_thread_deposit_object: pushed on the head of the chain.
            self.trash_later.push(Deferred::Object(id));
            return false;
        }
        true
    }

    /// The test of `Py_TRASHCAN_BEGIN`: true (and one level taken) when the dealloc may run
    /// now, false when it must be deposited. ≤3.12 count the deallocs in progress
    /// (`_PyTrash_begin`: deposit at `delete_nesting >= 50`; 2.7–3.7 `subtype_dealloc` tests
    /// one level deeper than it runs); 3.13 looks at the C recursion budget (deposit at
    /// `c_recursion_remaining <= Py_TRASHCAN_HEADROOM`, else take a unit).
    pub(super) fn trash_enter(&mut self, subtype: bool) -> bool {
        match self.p.trashcan.limit {
            TrashcanLimit::Nesting(level) => {
                let hack = (subtype && self.p.trashcan.subtype_nesting_hack) as u32;
                if self.trash_nesting + hack >= level {
                    return false;
                }
                self.trash_nesting += 1;
            }
            TrashcanLimit::CBudget { headroom } => {
                if self.c_remaining <= i64::from(headroom) {
                    return false;
                }
                self.c_remaining -= 1;
            }
        }
        true
    }

    /// `Py_TRASHCAN_END`: give the level back; destroy the chain when back at the top (≤3.12:
    /// `--delete_nesting <= 0`) or, 3.13, once more than twice the headroom is left.
    pub(super) fn trash_end(&mut self, subtype: bool) {
        let drain = match self.p.trashcan.limit {
            TrashcanLimit::Nesting(_) => {
                let hack = (subtype && self.p.trashcan.subtype_nesting_hack) as u32;
                self.trash_nesting -= 1;
                self.trash_nesting + hack < 1
            }
            TrashcanLimit::CBudget { headroom } => {
                self.c_remaining += 1;
                self.c_remaining > 2 * i64::from(headroom)
            }
        };
        if drain && !self.trash_later.is_empty() {
            self.destroy_chain();
        }
    }

    /// `tupledealloc` of a tuple of `n` items the model keeps no object for (an argument tuple,
    /// [`Temp::Tuple`](super::machine::Temp::Tuple)) released by a statement at the top level:
    /// inside `Py_TRASHCAN_BEGIN`/`END` (nothing is deposited at that depth, and the end may
    /// run the deferred chain), back to its free list or freed.
    pub(super) fn temp_tuple_dealloc(&mut self, n: usize) {
        let entered = self.trash_enter(false);
        debug_assert!(entered, "a top-level statement's tuple is never deposited");
        self.temp_free(super::machine::Temp::Tuple(n));
        if entered {
            self.trash_end(false);
        }
    }

    /// `_PyTrash_thread_destroy_chain`: deallocate deferred objects and frames, newest first,
    /// one level deeper (≤3.12 `++delete_nesting`, 3.13 `c_recursion_remaining--`) so that it
    /// is not entered again from inside.
    fn destroy_chain(&mut self) {
        match self.p.trashcan.limit {
            TrashcanLimit::Nesting(_) => self.trash_nesting += 1,
            TrashcanLimit::CBudget { .. } => self.c_remaining -= 1,
        }
        while let Some(d) = self.trash_later.pop() {
            match d {
                Deferred::Object(op) => self.dealloc(op),
                Deferred::Frame(f) => self.frame_object_dealloc(f),
            }
        }
        match self.p.trashcan.limit {
            TrashcanLimit::Nesting(_) => self.trash_nesting -= 1,
            TrashcanLimit::CBudget { .. } => self.c_remaining += 1,
        }
    }

    /// The memory of an object is released (`tp_free`), or kept on a free list.
    fn free(&mut self, id: Id) {
        let size = match self.heap.kind(id) {
            Kind::Tuple(items) => items.len(),
            _ => 0,
        };
        self.free_sized(id, size);
    }

    /// [`Machine::free`] for an object whose items were already released: a tuple of `size`
    /// items goes to the free list of its size (`tupledealloc` decides by `Py_SIZE(op)`, which
    /// releasing the items does not change).
    fn free_sized(&mut self, id: Id, size: usize) {
        if self.journal.is_some()
            && matches!(
                self.heap.kind(id),
                Kind::Instance(_) | Kind::Method { .. } | Kind::Function { .. } | Kind::Cell(_)
            )
        {
            self.note_freed(id);
        }
        self.heap.free(id);
        let is_gc = self.heap.is_gc(id);
        let fl = &mut self.freelists;
        let kept = match self.heap.kind(id) {
            Kind::List(_) if fl.lists < LIST_MAXFREELIST => {
                fl.lists += 1;
                true
            }
            Kind::Dict(_) if fl.dicts < DICT_MAXFREELIST => {
                fl.dicts += 1;
                true
            }
            Kind::Set(_) if self.p.sets.freelist && fl.sets < SET_MAXFREELIST => {
                fl.sets += 1;
                true
            }
            Kind::Method { .. } if self.p.method_freelist && fl.methods < METHOD_MAXFREELIST => {
                fl.methods += 1;
                true
            }
            Kind::Tuple(_) if size > 0 && size < TUPLE_MAXSAVESIZE => {
                let n = fl.tuples.entry(size).or_insert(0);
                if *n < TUPLE_MAXFREELIST {
                    *n += 1;
                    true
                } else {
                    false
                }
            }
            _ => false,
        };
        if is_gc && !kept {
            self.gc_free();
        }
    }

    /// The journal's note that `id` is freed, and why (`explain`).
    pub(super) fn note_freed(&mut self, id: Id) {
        if self.journal.is_some() {
            let label = self.describe(id);
            let how = self.journal.as_ref().expect("journal").how_freed(&label);
            self.note(|_| super::journal::Note::Freed { label, how });
        }
    }

    /// `subtype_dealloc` for instances of scenario classes.
    fn subtype_dealloc(&mut self, id: Id) {
        let class = match self.heap.kind(id) {
            Kind::Instance(i) => i.class(),
            _ => unreachable!(),
        };
        let has_del = self.classes[class].finalizer.is_some();
        if !self.classes[class].is_gc {
            // Non-GC heap type (≤3.7 `__slots__ = ()`): no trashcan, no slots, dict or
            // weakrefs; the finalizer runs on every deallocation (no FINALIZED bit).
            if has_del {
                self.heap.hdr_mut(id).refcnt = 1;
                self.call_del(id);
                let h = self.heap.hdr_mut(id);
                h.refcnt -= 1;
                if h.refcnt > 0 {
                    return;
                }
            }
            self.free(id);
            self.decref(Val::Obj(self.type_of_class(class)));
            return;
        }
        self.untrack(id);
        if !self.trash_begin(id, true) {
            return;
        }
        if self.p.weakrefs_cleared_before_del {
            // 2.7: "If we added a weaklist, we clear it. Do this *before* calling the finalizer."
            self.clear_weakrefs(id);
        }
        if has_del {
            // Re-track around the finalizer so that GC sees a consistent object, then
            // PyObject_CallFinalizerFromDealloc / slot_tp_del: temporarily resurrect.
            self.track(id);
            self.heap.hdr_mut(id).refcnt = 1;
            let finalized = self.heap.hdr(id).flags & F_FINALIZED != 0;
            if !(self.p.finalize_once && finalized) {
                self.call_del(id);
                if self.p.finalize_once {
                    self.heap.hdr_mut(id).flags |= F_FINALIZED;
                }
            }
            let h = self.heap.hdr_mut(id);
            h.refcnt -= 1;
            if h.refcnt > 0 {
                // Resurrected: it stays, tracked, in generation 0.
                self.trash_end(true);
                return;
            }
            self.untrack(id);
            if self.p.weakrefs_cleared_before_del {
                // Weakrefs made during __del__ are cleared without calling their callbacks.
                for w in self.heap.take_weakrefs(id) {
                    self.clear_weakref_link(w);
                }
            }
        }
        if !self.p.weakrefs_cleared_before_del {
            self.clear_weakrefs(id);
        }
        // The class now, which `__class__` assignment may have changed since allocation.
        let class = match self.heap.kind(id) {
            Kind::Instance(i) => i.class(),
            _ => unreachable!(),
        };
        self.clear_instance(id);
        self.free(id);
        // "Py_DECREF(type)" after `tp_free`: the instance's reference to its heap type.
        self.decref(Val::Obj(self.type_of_class(class)));
        self.trash_end(true);
    }

    /// `clear_slots` (sorted member order), then the `__dict__` or the inline values
    /// (`_PyObject_FreeInstanceAttributes`, key-index order). Shared by dealloc and
    /// `subtype_clear`.
    pub(super) fn clear_instance(&mut self, id: Id) {
        let nslots = match self.heap.kind(id) {
            Kind::Instance(i) => i.nslots as usize,
            _ => unreachable!(),
        };
        for s in 0..nslots {
            if let Some(v) = self.heap.set_slot(id, s, None) {
                self.decref(v);
            }
        }
        // A finalizer run by a decref may store new inline values: re-read the capacity.
        let mut k = 0;
        while k < self.heap.inline_cap(id) {
            if let Some(v) = self.heap.set_inline(id, k, None) {
                self.decref(v);
            }
            k += 1;
        }
        let d = match self.heap.kind_mut(id) {
            Kind::Instance(i) => i.dict.take(),
            _ => unreachable!(),
        };
        if let Some(d) = d {
            self.decref(Val::Obj(d));
        }
    }

    /// `list_dealloc`, `tupledealloc`, `dict_dealloc`, `set_dealloc`: untrack, trashcan,
    /// release the items (lists and tuples last to first, dicts in their iteration order, sets
    /// in table order).
    fn container_dealloc(&mut self, id: Id) {
        self.untrack(id);
        if !self.trash_begin(id, false) {
            return;
        }
        let size = match self.heap.kind(id) {
            Kind::Tuple(items) => items.len(),
            _ => 0,
        };
        let items = self.take_items(id);
        for v in items {
            self.decref(v);
        }
        self.free_sized(id, size);
        self.trash_end(false);
    }

    /// Empty a container, returning its values in release order.
    pub(super) fn take_items(&mut self, id: Id) -> Vec<Val> {
        match self.heap.kind_mut(id) {
            Kind::List(items) | Kind::Tuple(items) => {
                let mut v = std::mem::take(items);
                v.reverse();
                v
            }
            Kind::Dict(d) => d.drain(),
            // `set_clear_internal` and `set_dealloc`: table order.
            Kind::Set(s) => s.take().into_iter().map(Val::Obj).collect(),
            _ => Vec::new(),
        }
    }

    /// `method_dealloc` (`Objects/classobject.c`; 2.7 `instancemethod_dealloc`): untrack, clear
    /// the weakrefs to it (`PyObject_ClearWeakRefs`), release `im_func`, `im_self` (and 2.7's
    /// `im_class`), then back onto the free list while it has room (2.7–3.8,
    /// `PyMethod_MAXFREELIST`) or `PyObject_GC_Del`. No trashcan.
    fn method_dealloc(&mut self, id: Id) {
        self.untrack(id);
        if !self.heap.weakrefs(id).is_empty() {
            self.clear_weakrefs(id);
        }
        let (im_self, im_func, im_class) = match self.heap.kind(id) {
            Kind::Method {
                im_self,
                im_func,
                im_class,
                ..
            } => (*im_self, *im_func, *im_class),
            _ => unreachable!("a bound method"),
        };
        self.decref(Val::Obj(im_func));
        if im_self != super::heap::NIL {
            self.decref(Val::Obj(im_self));
        }
        if im_class != super::heap::NIL {
            self.decref(Val::Obj(im_class));
        }
        self.free(id);
    }

    /// `func_dealloc` (`Objects/funcobject.c`): untrack, clear the weakrefs to it, release
    /// `func_globals`, `func_defaults`, `func_closure` in that order (3.x through `func_clear`;
    /// 2.7 by hand, same order), `PyObject_GC_Del`. No trashcan.
    fn func_dealloc(&mut self, id: Id) {
        self.untrack(id);
        if !self.heap.weakrefs(id).is_empty() {
            self.clear_weakrefs(id);
        }
        for v in self.take_function_refs(id) {
            self.decref(v);
        }
        self.free(id);
    }

    /// A function's references to release, in `func_clear`'s order (globals, defaults,
    /// closure); the function keeps none of them.
    pub(super) fn take_function_refs(&mut self, id: Id) -> Vec<Val> {
        let mut out = Vec::new();
        if let Kind::Function {
            globals,
            defaults,
            closure,
            ..
        } = self.heap.kind_mut(id)
        {
            if *globals != super::heap::NIL {
                out.push(Val::Obj(std::mem::replace(globals, super::heap::NIL)));
            }
            out.extend(defaults.take().map(Val::Obj));
            out.extend(closure.take().map(Val::Obj));
        }
        out
    }

    /// `cell_dealloc`: untrack, release `ob_ref`, `PyObject_GC_Del`.
    fn cell_dealloc(&mut self, id: Id) {
        self.untrack(id);
        let old = match self.heap.kind_mut(id) {
            Kind::Cell(c) => c.take(),
            _ => None,
        };
        if let Some(v) = old {
            self.decref(v);
        }
        self.free(id);
    }

    /// `weakref_dealloc`: untrack, unlink from the referent's list, free.
    fn weakref_dealloc(&mut self, id: Id) {
        self.untrack(id);
        self.clear_weakref_link(id);
        self.free(id);
    }

    /// `clear_weakref`: unlink the weakref from its referent's list; it now refers to None.
    pub(super) fn clear_weakref_link(&mut self, w: Id) {
        let referent = match self.heap.kind_mut(w) {
            Kind::WeakRef { referent, .. } => referent.take(),
            _ => None,
        };
        if let Some(r) = referent {
            self.heap.weakrefs_mut(r).retain(|x| *x != w);
        }
    }

    /// `PyObject_ClearWeakRefs`: clear every weakref to `id`, then call the callbacks in list
    /// order. "Remove the callback-less basic and proxy references" first (the head of the
    /// list: up to two on ≤3.12, every basic ref or proxy on 3.13; a scenario object has at most
    /// one, its basic ref); of the others, a lone weakref is handled directly on ≤3.12, while
    /// several (and on 3.13 any number,
    /// [`Profile::weakrefs_always_in_tuple`](super::profile::Profile::weakrefs_always_in_tuple))
    /// are first collected with their callbacks in a tuple that holds them until all callbacks
    /// have run.
    pub(super) fn clear_weakrefs(&mut self, id: Id) {
        let list = self.heap.take_weakrefs(id);
        if list.is_empty() {
            return;
        }
        let mut calls = Vec::new();
        for w in &list {
            let cb = match self.heap.kind_mut(*w) {
                Kind::WeakRef {
                    referent, callback, ..
                } => {
                    *referent = None;
                    callback.take()
                }
                _ => None,
            };
            calls.push((*w, cb));
        }
        let basic = calls
            .iter()
            .take(2)
            .take_while(|(_, cb)| cb.is_none())
            .count();
        calls.drain(..basic);
        if calls.is_empty() {
            return;
        }
        let referent = self.journal.is_some().then(|| self.label(id));
        if calls.len() == 1 && !self.p.weakrefs_always_in_tuple {
            let (w, cb) = calls[0];
            if let Some(code) = cb {
                self.callback_referent = referent;
                self.call_callback(w, code);
            }
            return;
        }
        let tuple = super::machine::Temp::Tuple(calls.len() * 2);
        self.temp_alloc(tuple);
        for (w, _) in &calls {
            self.incref(Val::Obj(*w));
        }
        for (w, cb) in &calls {
            if let Some(code) = cb {
                self.callback_referent = referent.clone();
                self.call_callback(*w, *code);
            }
        }
        // Py_DECREF(tuple): tupledealloc releases its items last to first.
        for (w, _) in calls.into_iter().rev() {
            self.decref(Val::Obj(w));
        }
        self.temp_free(tuple);
    }
}
