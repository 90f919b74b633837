//! Names and frames: name lookup and binding (`LOAD_NAME`/`LOAD_FAST`, `STORE_NAME`/`STORE_FAST`/
//! `STORE_GLOBAL`, `DELETE_NAME`/`DELETE_FAST`), and the Python frames the model runs: a
//! `__del__` body (`slot_tp_finalize` / `slot_tp_del`) and the weakref callback, with their
//! frame objects (≤3.10 `frame_alloc`, `frame_dealloc`) and locals.

use super::heap::{Id, Kind, Val};
use super::journal::{Ctx, Note};
use super::machine::{Frame, Machine, PyResult, Temp, exc};
use crate::scenario::Value;
use crate::trace::Event;

/// How deep `__del__` calls may nest before the call fails: when a `__del__` would be the
/// 401st running frame, its body is skipped, as CPython skips a body whose frame would pass the
/// recursion limit (`RecursionError`, printed by `PyErr_WriteUnraisable`).
///
/// A safety limit of the model itself, to keep the model's own (Rust) stack bounded; it is not
/// CPython's number. CPython's limit is `Py_DEFAULT_RECURSION_LIMIT`, 1000 frames counting the
/// module's (`Python/ceval.c` 2.7–3.10, `Include/internal/pycore_ceval.h` 3.11+), but on
/// 2.7–3.12 nested `__del__` calls never get near it: the trashcan
/// ([`PY_TRASH_UNWIND_LEVEL`](super::profile::PY_TRASH_UNWIND_LEVEL)) defers the deallocs that
/// would call them beyond about 50 levels (measured: 49 nested `__del__` at once on 2.7–3.7, 50
/// on 3.8–3.12). Only on 3.13, whose trashcan allows about 9948 levels, does the limit decide,
/// and there CPython allows 999 nested `__del__` (the recursion limit less the module's frame)
/// where the model stops at 400; no scenario nests that deep (`docs/cpython-gc-facts.md` §15).
pub const MAX_FRAMES: usize = 400;

impl Machine<'_> {
    /// The compiler's scope decision: inside a `__del__` body a name is local unless declared
    /// `global` (`STORE_FAST`/`LOAD_FAST`), inside the callback its argument is; at top level every
    /// name is a global (`STORE_NAME`).
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

    /// `LOAD_FAST` (`UnboundLocalError` when unset) / `LOAD_NAME` (`NameError`): the value, not
    /// yet increfed.
    pub(super) fn load(&self, name: &str) -> PyResult<Val> {
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

    /// A statement's operand: `None` and ints (`LOAD_CONST`), or a name ([`Machine::load`]).
    pub(super) fn value(&self, v: &Value) -> PyResult<Val> {
        match v {
            Value::None => Ok(Val::None),
            Value::Int(i) => Ok(Val::Int(*i)),
            Value::Name(n) => self.load(n),
        }
    }

    /// `STORE_NAME`/`STORE_FAST`/`STORE_GLOBAL`: the caller owns one reference to `v`, which
    /// the binding takes over; the old value is released after the store.
    pub(super) fn store(&mut self, name: &str, v: Val) {
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

    /// `DELETE_FAST` / `DELETE_NAME` (`PyDict_DelItem` on the globals): unbind, then release the
    /// value.
    pub(super) fn delete_name(&mut self, name: &str) -> PyResult<()> {
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

    /// A Python function call (≤3.10): the first call of a code object allocates its frame,
    /// which is then kept as the code object's zombie frame (`frame_alloc`).
    fn frame_alloc(&mut self, code: usize) {
        if self.p.trashcan.frames_are_objects && self.zombie_frames.insert(code) {
            self.gc_alloc();
        }
    }

    /// Run a `__del__` body: `slot_tp_finalize`/`slot_tp_del` calling the method. Exceptions
    /// are printed and ignored (`PyErr_WriteUnraisable`).
    pub(super) fn call_del(&mut self, id: Id) {
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
        // Before the body's first line runs (which records the `__del__` event), the call
        // allocates: slot_tp_del (2.7) / slot_tp_finalize (3.6) look `__del__` up as a bound
        // method, 2.7's method call builds an argument tuple holding self, and ≤3.10 the first
        // call of the code object makes its frame; then 3.12+'s RESUME checks the eval breaker.
        // An automatic collection any of them starts runs before the event.
        if self.p.bound_method_calls {
            self.temp_alloc(Temp::Method);
        }
        if self.p.del_is_legacy {
            self.temp_alloc(Temp::Tuple(1));
        }
        self.frame_alloc(class);
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
    pub(super) fn call_callback(&mut self, wr: Id) {
        // 2.7 PyObject_CallFunctionObjArgs builds an argument tuple; ≤3.10 the first call makes
        // the callback's frame; 3.12+'s RESUME checks the eval breaker: all before the body
        // records the event.
        if self.p.del_is_legacy {
            self.temp_alloc(Temp::Tuple(1));
        }
        self.frame_alloc(usize::MAX);
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
}
