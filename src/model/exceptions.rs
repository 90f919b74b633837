//! Exceptions: `raise`, `try:` blocks and what keeps an exception alive. An exception is an
//! instance of a scenario exception class (`subtype_dealloc` → `BaseException_dealloc`) whose
//! 3.x `__traceback__`, `__cause__` and `__context__` are three hidden slots after its own
//! ([`Machine::exc_slot`]); tracebacks (`Python/traceback.c`) hold the frame objects of the
//! calls the exception passed through, which then outlive their calls
//! ([`Machine::materialize_frame`], `frame_escape` in frames.rs).
//!
//! The exception being raised is the thread state's (`curexc_*`, [`Machine::curexc`]); the
//! statement that raised returns `Err` with kind [`RAISED`] through every enclosing statement
//! and call, each call adding its frame's traceback (`PyTraceBack_Here` at the caller's
//! `error:` label), until a `try:` block takes it. The exceptions being handled are 3.x's stack
//! of handlers (`exc_info`, `POP_EXCEPT`) or 2.7's thread state with the frames' saved ones
//! (`set_exc_info`, `reset_exc_info`): [`Machine::handled`].

use super::heap::{Id, Kind, NIL, Val};
use super::machine::{Exc, Machine, PyResult, RAISED, RETURN, Raised, Temp, exc};
use super::profile::ExcState;
use crate::scenario::{Handler, Step, Throw, TryStmt};

/// The hidden slots of a 3.x exception, after its class's own (which it has none of):
/// `BaseException_traverse`/`_clear` order.
const TRACEBACK: usize = 0;
const CAUSE: usize = 1;
const CONTEXT: usize = 2;

/// How many hidden slots an exception of a scenario class has (3.x: traceback, cause,
/// context).
pub(super) fn hidden_slots(traceback_attr: bool) -> usize {
    if traceback_attr { 3 } else { 0 }
}

impl Machine<'_> {
    /// Hidden slot `k` of exception `id` (its class has no slots of its own).
    fn exc_slot(&self, id: Id, k: usize) -> Id {
        match self.heap.slot(id, k) {
            Some(Val::Obj(o)) => o,
            _ => NIL,
        }
    }

    /// Store `v` (an owned reference, or [`NIL`]) in hidden slot `k`; the old value is
    /// returned (owned).
    fn set_exc_slot(&mut self, id: Id, k: usize, v: Id) -> Id {
        let new = (v != NIL).then_some(Val::Obj(v));
        match self.heap.set_slot(id, k, new) {
            Some(Val::Obj(o)) => o,
            _ => NIL,
        }
    }

    /// Whether `v` is an instance of a scenario exception class.
    fn is_exception(&self, v: Val) -> Option<Id> {
        match v {
            Val::Obj(id) => match self.heap.kind(id) {
                Kind::Instance(i) if self.sc.classes[i.class()].exception => Some(id),
                _ => None,
            },
            _ => None,
        }
    }

    /// The class name of the exception being raised (for messages).
    fn raised_name(&self) -> String {
        match self.curexc.map(|r| self.heap.kind(r.exc)) {
            Some(Kind::Instance(i)) => self.sc.classes[i.class()].name.clone(),
            _ => "exception".to_string(),
        }
    }

    /// The error value of a raised exception.
    fn raised(&self) -> Exc {
        exc(RAISED, self.raised_name())
    }

    /// `raise E()`, `raise x` (`RAISE_VARARGS` → `do_raise` → `PyErr_SetObject`, then the
    /// `error:` label's `PyTraceBack_Here`) and `raise` (a re-raise of the exception being
    /// handled: its traceback as it is, none added).
    pub(super) fn exec_throw(&mut self, t: &Throw) -> PyResult<()> {
        let (what, cause) = match t {
            Throw::From { what, cause } => (&**what, Some(cause)),
            t => (t, None),
        };
        let e = match what {
            Throw::From { .. } => unreachable!("the loader nests no `from`"),
            Throw::New(class) => {
                let c = self
                    .sc
                    .classes
                    .iter()
                    .position(|k| k.name == *class)
                    .ok_or_else(|| exc("NameError", class.clone()))?;
                let id = self.new_instance(c);
                self.heap.hdr_mut(id).refcnt = 1;
                // The CALL checks the eval breaker when `E()` returns (3.12+).
                self.eval_breaker();
                id
            }
            Throw::Name(n) => {
                let v = self.load(n)?;
                let Some(id) = self.is_exception(v) else {
                    return Err(exc(
                        "TypeError",
                        "exceptions must derive from BaseException",
                    ));
                };
                self.incref(v);
                id
            }
            Throw::Reraise => {
                let Some(h) = self.handled.last().copied() else {
                    return Err(exc("RuntimeError", "No active exception to reraise"));
                };
                self.incref(Val::Obj(h.exc));
                let tb = if self.p.exceptions.traceback_attr {
                    // 3.x: the exception's own traceback (`exc_info`'s, the same).
                    if self.p.exceptions.traceback_per_frame {
                        NIL
                    } else {
                        self.exc_slot(h.exc, TRACEBACK)
                    }
                } else {
                    h.tb
                };
                if tb != NIL {
                    self.incref(Val::Obj(tb));
                }
                self.curexc = Some(Raised { exc: h.exc, tb });
                self.err_set = true;
                return Err(self.raised());
            }
        };
        if let Some(cause) = cause {
            // `do_raise`: the cause is loaded (after the exception), then
            // `PyException_SetCause` (and `__suppress_context__`), before `_PyErr_SetObject`.
            let c = match cause {
                Some(n) => match self.load(n) {
                    Ok(v) => match self.is_exception(v) {
                        Some(c) => c,
                        None => {
                            self.decref(Val::Obj(e));
                            return Err(exc(
                                "TypeError",
                                "exception causes must derive from BaseException",
                            ));
                        }
                    },
                    Err(err) => {
                        self.decref(Val::Obj(e));
                        return Err(err);
                    }
                },
                None => NIL,
            };
            if c != NIL {
                self.incref(Val::Obj(c));
            }
            let old = self.set_exc_slot(e, CAUSE, c);
            if old != NIL {
                self.decref(Val::Obj(old));
            }
        }
        self.set_object(e);
        self.traceback_here();
        Err(self.raised())
    }

    /// `_PyErr_SetObject` (3.x): the exception's context is the one being handled (unless it
    /// is the same; a context chain that already leads back to the new exception is cut
    /// there first), and its traceback what it holds already (≤3.11 taken into
    /// `curexc_traceback`; 3.12+ it stays on the exception). 2.7: no context, no traceback.
    fn set_object(&mut self, e: Id) {
        let mut tb = NIL;
        if self.p.exceptions.traceback_attr {
            if let Some(h) = self.handled.last().copied()
                && h.exc != e
            {
                // Avoid a cycle: walk the handled exception's context chain.
                let mut o = h.exc;
                loop {
                    let ctx = self.exc_slot(o, CONTEXT);
                    if ctx == NIL {
                        break;
                    }
                    if ctx == e {
                        let old = self.set_exc_slot(o, CONTEXT, NIL);
                        self.decref(Val::Obj(old));
                        break;
                    }
                    o = ctx;
                }
                self.incref(Val::Obj(h.exc));
                let old = self.set_exc_slot(e, CONTEXT, h.exc);
                if old != NIL {
                    self.decref(Val::Obj(old));
                }
            }
            if !self.p.exceptions.traceback_per_frame {
                tb = self.exc_slot(e, TRACEBACK);
                if tb != NIL {
                    self.incref(Val::Obj(tb));
                }
            }
        }
        self.curexc = Some(Raised { exc: e, tb });
        self.err_set = true;
    }

    /// `PyTraceBack_Here` for the running frame (the module's at the top level): 3.11+ its
    /// frame object first (`_PyFrame_GetFrameObject`, counted when new), then a traceback
    /// (`tb_create_raw`: counted, tracked) whose `tb_next` is the chain so far, stored as the
    /// new head: on the exception (3.12+) or in `curexc_traceback`.
    pub(super) fn traceback_here(&mut self) {
        // The module's frame object exists from the start (the program makes it before the
        // start-up collection) and is no object of the model's.
        let frame = match self.frames.len() {
            0 => NIL,
            n => self.materialize_frame(n - 1),
        };
        // 3.x fetch the exception around the allocation (a collection may start in it).
        if self.p.exceptions.traceback_fetches {
            self.with_exception_fetched(|m| m.gc_alloc());
        } else {
            self.gc_alloc();
        }
        let Some(r) = self.curexc else {
            return;
        };
        let on_exc = self.p.exceptions.traceback_per_frame;
        let next = if on_exc {
            self.set_exc_slot(r.exc, TRACEBACK, NIL)
        } else {
            r.tb
        };
        let tb = self.heap.alloc(Kind::Traceback { next, frame }, true);
        self.heap.hdr_mut(tb).refcnt = 1;
        if frame != NIL {
            self.frame_incref(frame);
        }
        self.track(tb);
        if on_exc {
            self.set_exc_slot(r.exc, TRACEBACK, tb);
        } else if let Some(c) = self.curexc.as_mut() {
            c.tb = tb;
        }
    }

    /// `tb_dealloc`: untrack, trashcan, `tb_next`, `tb_frame`, `PyObject_GC_Del`.
    pub(super) fn traceback_dealloc(&mut self, id: Id) {
        self.untrack(id);
        if !self.trash_begin_object(id) {
            return;
        }
        self.note_freed(id);
        self.traceback_clear(id);
        self.heap.free(id);
        self.gc_free();
        self.trash_end(false);
    }

    /// `tb_clear` (and the middle of `tb_dealloc`): `tb_next`, then `tb_frame`.
    pub(super) fn traceback_clear(&mut self, id: Id) {
        let (next, frame) = match self.heap.kind_mut(id) {
            Kind::Traceback { next, frame } => {
                (std::mem::replace(next, NIL), std::mem::replace(frame, NIL))
            }
            _ => (NIL, NIL),
        };
        if next != NIL {
            self.decref(Val::Obj(next));
        }
        if frame != NIL {
            self.frame_decref(frame);
        }
    }

    /// Run a block of statements until one fails.
    fn exec_block(&mut self, steps: &[Step]) -> PyResult<()> {
        for s in steps {
            self.exec(s)?;
        }
        Ok(())
    }

    /// A `try:` block: its body; an exception of a scenario class goes to the first handler
    /// whose class it is an instance of; then `finally:`, whatever happened.
    pub(super) fn exec_try(&mut self, t: &TryStmt) -> PyResult<()> {
        let mut r = self.exec_block(&t.body);
        if !t.handlers.is_empty()
            && let Err(e) = &r
            && e.kind == RAISED
        {
            r = self.handle(&t.handlers);
        }
        match &t.finally {
            None => r,
            Some(f) => self.run_finally(f, r),
        }
    }

    /// The handlers of a `try:` block take the exception being raised (`exception_unwind`
    /// → the `SETUP_EXCEPT`/`SETUP_FINALLY` handler; 3.11+ the exception table): ≤3.11 the
    /// exception gets its traceback (`PyException_SetTraceback`), it becomes the one being
    /// handled (3.x pushed, 2.7 `set_exc_info`), then each `except E` compares; no match
    /// re-raises it.
    fn handle(&mut self, handlers: &[Handler]) -> PyResult<()> {
        let r = self.curexc.take().expect("an exception being raised");
        self.err_set = false;
        let tb = r.tb;
        self.attach_traceback(r);
        if self.p.exceptions.state == ExcState::ThreadAndFrames {
            // PyErr_NormalizeException: PyObject_IsSubclass(E, E).
            self.match_temporaries();
            self.set_exc_info(r.exc, tb);
        } else {
            self.push_handled(r.exc);
        }
        let class = match self.heap.kind(r.exc) {
            Kind::Instance(i) => i.class(),
            _ => unreachable!("an exception instance"),
        };
        let mut found = None;
        for h in handlers {
            self.match_temporaries();
            let hc = self.sc.class_index(&h.class);
            if hc.is_some_and(|hc| self.classes[class].mro.contains(&hc)) {
                found = Some(h);
                break;
            }
        }
        let Some(h) = found else {
            // No match: re-raised as it was (`END_FINALLY` / `RERAISE`); 3.x pops the handler.
            if self.p.exceptions.state == ExcState::HandlerStack {
                self.pop_handled();
            }
            self.curexc = Some(r);
            self.err_set = true;
            return Err(self.raised());
        };
        // The stack's references: the traceback is dropped (`POP_TOP`), the exception goes to
        // the name (`STORE_FAST`) or is dropped too.
        if tb != NIL && !self.p.exceptions.traceback_per_frame {
            self.decref(Val::Obj(tb));
        }
        match &h.name {
            Some(n) => self.store(n, Val::Obj(r.exc)),
            None => self.decref(Val::Obj(r.exc)),
        }
        let body = self.exec_block(&h.body);
        if self.p.exceptions.state == ExcState::ThreadAndFrames {
            // 2.7: the name stays bound, the thread state keeps the exception.
            return body;
        }
        let name_first = match &body {
            Ok(()) => self.p.exceptions.name_cleared_before_pop,
            Err(_) => self.p.exceptions.unwind_name_first,
        };
        if name_first {
            self.clear_handler_name(h)?;
            self.pop_handled();
        } else {
            self.pop_handled();
            self.clear_handler_name(h)?;
        }
        body
    }

    /// `n = None; del n` at the end of `except E as n:` (3.x).
    fn clear_handler_name(&mut self, h: &Handler) -> PyResult<()> {
        if let Some(n) = &h.name {
            self.store(n, Val::None);
            self.delete_name(n)?;
        }
        Ok(())
    }

    /// 2.7 `PyObject_IsSubclass`'s temporaries ([`Exceptions::match_temporaries`](super::profile::Exceptions::match_temporaries)).
    fn match_temporaries(&mut self) {
        if self.p.exceptions.match_temporaries {
            self.temp_alloc(Temp::BuiltinMethod);
            self.temp_alloc(Temp::Tuple(1));
            self.temp_free(Temp::Tuple(1));
            self.temp_free(Temp::BuiltinMethod);
        }
    }

    /// 3.x: the handler's record of the exception (`exc_info`, ≤3.10 with its traceback):
    /// new references.
    fn push_handled(&mut self, e: Id) {
        self.incref(Val::Obj(e));
        let tb = if self.p.exceptions.info_holds_traceback {
            let t = self.exc_slot(e, TRACEBACK);
            if t != NIL {
                self.incref(Val::Obj(t));
            }
            t
        } else {
            NIL
        };
        self.handled.push(Raised { exc: e, tb });
    }

    /// `POP_EXCEPT`: the previous record comes back; the exception, then its traceback, are
    /// released.
    fn pop_handled(&mut self) {
        if let Some(h) = self.handled.pop() {
            self.release(h);
        }
    }

    /// Drop the references a record holds: the exception, then its traceback (`POP_EXCEPT`'s
    /// order, and 2.7 `set_exc_info`'s and `reset_exc_info`'s).
    fn release(&mut self, r: Raised) {
        self.decref(Val::Obj(r.exc));
        if r.tb != NIL {
            self.decref(Val::Obj(r.tb));
        }
    }

    /// ≤3.11 a handler's entry stores the chain in `curexc_traceback` on the exception
    /// (`PyException_SetTraceback(val, tb)`: a new reference; the old one is released);
    /// 3.12+ stored each traceback as it was made, 2.7 keeps none there.
    fn attach_traceback(&mut self, r: Raised) {
        if !self.p.exceptions.traceback_attr || self.p.exceptions.traceback_per_frame {
            return;
        }
        if r.tb != NIL {
            self.incref(Val::Obj(r.tb));
        }
        let old = self.set_exc_slot(r.exc, TRACEBACK, r.tb);
        if old != NIL {
            self.decref(Val::Obj(old));
        }
    }

    /// 2.7 `set_exc_info`: the running frame saves the thread state's exception the first
    /// time it handles one (`f_exc_*`: the references move there); the thread state (and
    /// `sys.exc_*`) then holds the new one, releasing the old: its value, then its traceback.
    fn set_exc_info(&mut self, e: Id, tb: Id) {
        self.incref(Val::Obj(e));
        if tb != NIL {
            self.incref(Val::Obj(tb));
        }
        let old = self.handled.pop();
        let old = match self.frames.last_mut() {
            Some(f) if f.exc_saved.is_none() => {
                f.exc_saved = Some(old);
                None
            }
            _ => old,
        };
        self.handled.push(Raised { exc: e, tb });
        if let Some(o) = old {
            self.release(o);
        }
    }

    /// 2.7 `reset_exc_info` when a frame that handled an exception returns: the thread state
    /// gets back what the frame saved; the current one is released (value, then traceback).
    pub(super) fn reset_exc_info(&mut self) {
        if self.p.exceptions.state != ExcState::ThreadAndFrames {
            return;
        }
        let Some(saved) = self.frames.last_mut().and_then(|f| f.exc_saved.take()) else {
            return;
        };
        let cur = self.handled.pop();
        if let Some(s) = saved {
            self.handled.push(s);
        }
        if let Some(o) = cur {
            self.release(o);
        }
    }

    /// `finally:` after the body (and handlers) ended with `r`: it runs; an exception being
    /// raised waits, 3.x as the exception being handled (≤3.11 with its traceback set), and is
    /// raised again after it (`END_FINALLY`/`RERAISE`, no traceback added); a `return`
    /// waits too. What the `finally:` block itself raises or returns replaces what waited.
    fn run_finally(&mut self, f: &[Step], r: PyResult<()>) -> PyResult<()> {
        match r {
            Ok(()) => self.exec_block(f),
            Err(e) if e.kind == RAISED => {
                let pending = self.curexc.take().expect("an exception being raised");
                self.err_set = false;
                if self.p.exceptions.state == ExcState::HandlerStack {
                    self.attach_traceback(pending);
                    self.push_handled(pending.exc);
                }
                let fr = self.exec_block(f);
                if self.p.exceptions.state == ExcState::HandlerStack {
                    self.pop_handled();
                }
                match fr {
                    Ok(()) => {
                        self.curexc = Some(pending);
                        self.err_set = true;
                        Err(e)
                    }
                    Err(e2) => {
                        // The waiting exception is dropped.
                        self.release(pending);
                        Err(e2)
                    }
                }
            }
            Err(e) if e.kind == RETURN => {
                let ret = self.ret.take();
                match self.exec_block(f) {
                    Ok(()) => {
                        self.ret = ret;
                        Err(e)
                    }
                    Err(e2) => {
                        if let Some(v) = ret {
                            self.decref(v);
                        }
                        Err(e2)
                    }
                }
            }
            Err(e) => Err(e),
        }
    }

    /// An attribute store on an exception: `e.__traceback__ = None` (`BaseException_set_tb`:
    /// the old traceback released after the store); the language has no other (the loader
    /// refuses what it can see; a store through a parameter fails here).
    pub(super) fn set_exception_attr(&mut self, e: Id, attr: &str, v: Val) -> PyResult<()> {
        if attr != "__traceback__" || v != Val::None || !self.p.exceptions.traceback_attr {
            return Err(exc(
                "NotModelled",
                format!("the model keeps no attribute `{attr}` of an exception"),
            ));
        }
        let old = self.set_exc_slot(e, TRACEBACK, NIL);
        if old != NIL {
            self.decref(Val::Obj(old));
        }
        Ok(())
    }

    /// The message of an exception nothing handled (the scenario stops there, as the program
    /// does).
    pub(super) fn uncaught(&self) -> String {
        format!("{} (uncaught)", self.raised_name())
    }
}
