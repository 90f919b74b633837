//! Statements: [`Machine::exec`] dispatches each scenario statement to the function that does
//! what CPython's bytecode for it does, one per statement family: creating objects (`C()`,
//! `BUILD_LIST`/`BUILD_MAP`/`BUILD_TUPLE`, `weakref.ref`), binding names (`STORE_NAME`,
//! `DELETE_NAME`), attributes (`STORE_ATTR`, `DELETE_ATTR`, the `random_edges` loop), container
//! items (`STORE_SUBSCR`, `DELETE_SUBSCR`, `list.append`), control (`repeat`, `pass`, `raise`).
//! Calls of the `gc` module are in `gc_module.rs`, its observations in `query.rs`.
//!
//! Python 3.12+ checks the eval breaker (and so runs a scheduled collection) where the bytecode
//! would: after a call returns, at a loop's backward jump, when a generator resumes; earlier
//! versions collect inside the allocation ([`Machine::gc_alloc`]), so those checks do nothing.

use super::heap::{Kind, Val, WeakFlavor};
use super::machine::{Machine, PyResult, Temp, exc};
use super::set::SetObj;
use crate::scenario::{SetBuild, Step, Stmt, Target, Value};
use crate::trace::Event;

/// The most statements one run may execute, counting `__del__` bodies: a finalizer that keeps
/// creating finalizable objects never ends (in CPython too).
///
/// A safety limit of the model itself, not a CPython constant: a run that goes past it fails
/// with a `RecursionError` saying the scenario does not terminate. It is lower than the
/// loader's `MAX_UNROLLED` (50,000,000 statements with `repeat:` blocks unrolled), so a
/// terminating scenario of more than 5,000,000 executed statements is also stopped here.
pub const MAX_EXECUTED: u64 = 5_000_000;

impl Machine<'_> {
    /// Execute one statement (top level, in a `repeat:` body or in a `__del__` body). Counts it
    /// against [`MAX_EXECUTED`]; once over, this and every later statement fails.
    pub(super) fn exec(&mut self, step: &Step) -> PyResult<()> {
        self.executed += 1;
        if self.executed > MAX_EXECUTED {
            self.runaway = true;
        }
        if self.runaway {
            return Err(exc(
                "RecursionError",
                format!(
                    "more than {MAX_EXECUTED} statements executed: the scenario does not terminate (finalizers that keep creating objects?)"
                ),
            ));
        }
        let base = std::mem::replace(&mut self.stack_base, self.stack.len());
        let r = self.dispatch(step);
        self.release_stack();
        self.stack_base = base;
        r
    }

    /// [`Machine::exec`]'s dispatch, one function per statement family.
    fn dispatch(&mut self, step: &Step) -> PyResult<()> {
        match &step.stmt {
            // Control.
            Stmt::Repeat { count, body } => self.exec_repeat(*count, body),
            Stmt::Pass | Stmt::Global(_) => Ok(()),
            Stmt::Raise => self.exec_raise(),
            Stmt::Throw(t) => self.exec_throw(t),
            Stmt::Try(t) => self.exec_try(t),
            // Creating objects.
            Stmt::New { target, class } => self.exec_new_instance(target, class),
            Stmt::ClassStmt { name, .. } => self.exec_class_stmt(name),
            Stmt::NewList { target, items } => self.build_sequence(target, items, Kind::List),
            Stmt::NewDict { target, items } => self.exec_new_dict(target, items),
            Stmt::NewTuple { target, items } => self.exec_new_tuple(target, items),
            Stmt::NewSet {
                target,
                items,
                build,
                frozen,
            } => self.exec_new_set(target, items, *build, *frozen),
            Stmt::WeakRef {
                target,
                referent,
                callback,
                proxy,
            } => self.exec_weakref(target, referent, callback.as_deref(), *proxy),
            Stmt::GarbageAppend(value) => self.exec_garbage_append(step, value),
            Stmt::FromGarbage { target, index } => self.exec_from_garbage(target, *index),
            // Names.
            Stmt::Assign { target, value } => self.exec_assign(target, value),
            Stmt::DelName(n) => self.delete_name(n),
            // Attributes.
            Stmt::SetAttr { obj, attr, value } => self.exec_set_attr(obj, attr, value),
            Stmt::DelAttr { obj, attr } => self.exec_del_attr(obj, attr),
            Stmt::SetClass { obj, class } => self.exec_set_class(obj, class),
            Stmt::RandomEdges { list, attrs, seed } => self.random_edges(list, attrs, *seed),
            // Container items.
            Stmt::SetItem { obj, key, value } => self.exec_set_item(obj, key, value),
            Stmt::DelKey { obj, key } => self.exec_del_key(obj, key),
            Stmt::DelIndex { obj, index } => self.exec_del_index(obj, *index),
            Stmt::Append { obj, value } => self.exec_append(step, obj, value),
            Stmt::SetOp {
                obj,
                value,
                discard,
            } => self.exec_set_op(obj, value, *discard),
            // Calls (frames.rs).
            Stmt::Call {
                target,
                obj,
                name,
                args,
            } => self.exec_call(target.as_deref(), obj.as_deref(), name, args),
            Stmt::Def(d) => self.exec_def(d.index),
            Stmt::Return(v) => {
                let r = match v {
                    Some(v) => self.value(v)?,
                    None => Val::None,
                };
                self.incref(r);
                self.ret = Some(r);
                Err(exc(super::machine::RETURN, ""))
            }
            Stmt::Nonlocal(_) => Ok(()),
            // The gc module (gc_module.rs).
            Stmt::Collect(g) => {
                self.gc_collect_stmt(*g);
                Ok(())
            }
            Stmt::Enable => {
                self.gc_enable();
                Ok(())
            }
            Stmt::Disable => {
                self.gc_disable();
                Ok(())
            }
            Stmt::SetDebug { saveall } => {
                self.gc_set_debug(*saveall);
                Ok(())
            }
            Stmt::SetThreshold(ts) => {
                self.gc_set_threshold(ts);
                Ok(())
            }
            Stmt::Freeze => {
                self.gc_freeze();
                Ok(())
            }
            Stmt::Unfreeze => {
                self.gc_unfreeze();
                Ok(())
            }
            Stmt::ClearGarbage => {
                self.gc_garbage_clear();
                Ok(())
            }
            Stmt::RebindGarbage => {
                self.gc_garbage_rebind();
                Ok(())
            }
            // The gc module's observations (query.rs).
            Stmt::Query(q) => self.gc_query(q),
        }
    }

    // ----------------------------------------------------------------- control

    /// `repeat: N` (`for _r in range(N):` in the generated program, `xrange` on 2.7): the
    /// `range` call ([`Machine::range_call`]), then the body N times; the loop's backward jump
    /// (`JUMP_BACKWARD`) checks the eval breaker after each pass (3.12+).
    fn exec_repeat(&mut self, count: u64, body: &[Step]) -> PyResult<()> {
        self.range_call();
        for _ in 0..count {
            for s in body {
                self.exec(s)?;
            }
            // The loop's backward jump checks the eval breaker (3.12+).
            self.eval_breaker();
        }
        Ok(())
    }

    /// `raise RuntimeError()` in a `__del__` body (`RAISE_VARARGS`): the trace records that
    /// the finalizer of `self` raised; the exception ends the body, and [`Machine::call_del`]
    /// ignores it as `PyErr_WriteUnraisable` does.
    fn exec_raise(&mut self) -> PyResult<()> {
        // A `__del__`'s raise is traced with its instance's label (the generated program's
        // `_me`, read when the call began); a callback's or a method's only as an ignored
        // exception.
        if let Some(l) = self.frames.last().and_then(|f| f.finalizing.clone()) {
            self.events.push(Event::DelRaised(l));
        }
        Err(exc("RuntimeError", ""))
    }

    /// `range(n)` (2.7 `xrange(n)`), the call a `repeat:` or `random_edges:` loop starts with:
    /// on 2.7–3.8 its argument tuple ([`Profile::range_args_tuple`](super::profile::Profile::range_args_tuple)),
    /// released when the call returns, through `tupledealloc`'s trashcan
    /// ([`Machine::temp_tuple_dealloc`]); then the eval-breaker check of the `CALL` (3.12+).
    fn range_call(&mut self) {
        if self.p.range_args_tuple {
            self.temp_alloc(Temp::Tuple(1));
            self.temp_tuple_dealloc(1);
        }
        self.eval_breaker();
    }

    // ----------------------------------------------------------------- creating objects

    /// `x = C()`: `type_call` → `PyType_GenericAlloc` ([`Machine::new_instance`]); the
    /// `CALL` checks the eval breaker when `C()` returns (3.12+), then `STORE_NAME`.
    fn exec_new_instance(&mut self, target: &str, class: &str) -> PyResult<()> {
        let c = self
            .sc
            .classes
            .iter()
            .position(|k| k.name == class)
            .ok_or_else(|| exc("NameError", class.to_string()))?;
        let id = self.new_instance(c);
        self.heap.hdr_mut(id).refcnt = 1;
        // The CALL checks the eval breaker when `C()` returns (3.12+).
        self.eval_breaker();
        self.label_new(id, target);
        self.store(target, Val::Obj(id));
        Ok(())
    }

    /// `x = {'k': v, ...}` (`BUILD_MAP` → `_PyDict_NewPresized` + `PyDict_SetItem` per
    /// entry): a new dict, untracked until an entry may be tracked (`MAINTAIN_TRACKING`).
    fn exec_new_dict(&mut self, target: &str, items: &[(String, Value)]) -> PyResult<()> {
        let id = if self.p.dict_display_stores_each {
            // 2.7: `BUILD_MAP n` (`_PyDict_NewPresized`), then per item the value and
            // `STORE_MAP`; the dict (our reference) is released if a value raises.
            let dobj = self.new_dictobj(items.len());
            let id = self.new_object(Kind::Dict(Box::new(dobj)));
            self.heap.hdr_mut(id).refcnt = 1;
            for (k, v) in items {
                match self.value(v) {
                    Ok(v) => self.dict_set(id, k, v),
                    Err(e) => {
                        self.decref(Val::Obj(id));
                        return Err(e);
                    }
                }
            }
            id
        } else {
            let vals = items
                .iter()
                .map(|(k, v)| Ok((k.clone(), self.value(v)?)))
                .collect::<PyResult<Vec<_>>>()?;
            let dobj = self.new_dictobj(items.len());
            let id = self.new_object(Kind::Dict(Box::new(dobj)));
            self.heap.hdr_mut(id).refcnt = 1;
            for (k, v) in vals {
                self.dict_set(id, &k, v);
            }
            id
        };
        self.label_new(id, target);
        self.store(target, Val::Obj(id));
        Ok(())
    }

    /// `x = (a, b)`: a tuple of constants only is a compile-time constant (`LOAD_CONST` of a
    /// tuple the compiler folded; untracked, held by the code object); one naming a variable is
    /// built at run time (`BUILD_TUPLE`, [`Machine::build_sequence`]).
    fn exec_new_tuple(&mut self, target: &str, items: &[Value]) -> PyResult<()> {
        if !crate::scenario::tuple_is_new(items) {
            // Not labelled: no new object is bound (the runner labels none either, so the
            // name's next new object is its first: fuzz seed 77 #904).
            let id = self.constant_tuple(items)?;
            self.incref(Val::Obj(id));
            self.store(target, Val::Obj(id));
        } else {
            self.build_sequence(target, items, Kind::Tuple)?;
        }
        Ok(())
    }

    /// `BUILD_LIST` / `BUILD_TUPLE`: the items (new references) in a new container, tracked at
    /// creation (`PyList_New`, `PyTuple_New`), labelled and bound to `target`.
    fn build_sequence(
        &mut self,
        target: &str,
        items: &[Value],
        make: fn(Vec<Val>) -> Kind,
    ) -> PyResult<()> {
        let vals = items
            .iter()
            .map(|v| self.value(v))
            .collect::<PyResult<Vec<_>>>()?;
        for v in &vals {
            self.incref(*v);
        }
        let id = self.new_object(make(vals));
        self.heap.hdr_mut(id).refcnt = 1;
        self.track(id);
        self.label_new(id, target);
        self.store(target, Val::Obj(id));
        Ok(())
    }

    /// A new set: `{a, b}` (`BUILD_SET`: the items evaluated, then `PySet_New(NULL)` and
    /// `PySet_Add` of each, in order), `set()`, `set([a, b])`, `frozenset([a, b])` (the list
    /// display, the call's argument tuple where the type has no vectorcall, `make_new_set`,
    /// then `set_update_internal` over a list iterator; the list is released when the call
    /// returns), then the eval-breaker check of a call (3.12+) and the store.
    fn exec_new_set(
        &mut self,
        target: &str,
        items: &[Value],
        build: SetBuild,
        frozen: bool,
    ) -> PyResult<()> {
        let vals = items
            .iter()
            .map(|v| self.value(v))
            .collect::<PyResult<Vec<_>>>()?;
        for v in &vals {
            self.incref(*v);
        }
        let list = (build == SetBuild::FromList).then(|| {
            let l = self.new_object(Kind::List(vals.clone()));
            self.heap.hdr_mut(l).refcnt = 1;
            self.track(l);
            l
        });
        let args = Temp::Tuple(usize::from(list.is_some()));
        let call = build != SetBuild::Display;
        if call && !self.p.sets.vectorcall {
            self.temp_alloc(args);
        }
        let id = self.new_object(Kind::Set(Box::new(SetObj::new(frozen))));
        self.heap.hdr_mut(id).refcnt = 1;
        self.track(id);
        if list.is_some() {
            self.temp_alloc(Temp::ListIterator);
        }
        let rules = self.p.sets.table;
        for v in &vals {
            let Val::Obj(k) = *v else {
                unreachable!("the loader lets only instances into sets")
            };
            let added = match self.heap.kind_mut(id) {
                Kind::Set(s) => s.add(k, &rules),
                _ => unreachable!(),
            };
            if added {
                self.incref(*v);
            }
        }
        if list.is_some() {
            self.temp_free(Temp::ListIterator);
        }
        if call && !self.p.sets.vectorcall {
            self.temp_free(args);
        }
        match list {
            Some(l) => self.decref(Val::Obj(l)),
            None => {
                for v in vals {
                    self.decref(v);
                }
            }
        }
        if call {
            self.eval_breaker();
        }
        self.label_new(id, target);
        self.store(target, Val::Obj(id));
        Ok(())
    }

    /// `s.add(x)`, `s.discard(x)`: a `METH_O` method call as `l.append(x)` makes it (2.7 and
    /// 3.6 bind the method first), `set_add_key` or `set_discard_key`, then the eval-breaker
    /// check of the call (3.12+).
    fn exec_set_op(&mut self, obj: &str, value: &Value, discard: bool) -> PyResult<()> {
        let s = self.load(obj)?;
        let s = self.container_method_owner(s, "set", if discard { "discard" } else { "add" })?;
        let v = self.builtin_method_arg(value)?;
        let Val::Obj(k) = v else {
            unreachable!("the loader lets only instances into sets")
        };
        let rules = self.p.sets.table;
        let changed = match self.heap.kind_mut(s) {
            Kind::Set(set) if discard => set.discard(k),
            Kind::Set(set) => set.add(k, &rules),
            _ => unreachable!(),
        };
        // `set_add_entry` takes a reference; `set_discard_entry` releases the set's.
        if changed && !discard {
            self.incref(v);
        } else if changed {
            self.decref(v);
        }
        self.builtin_method_end();
        self.release_stack();
        self.eval_breaker();
        Ok(())
    }

    /// `w = weakref.ref(x[, callback])`: the call's argument tuple, `weakref___new__`
    /// ([`Machine::new_weakref`]), the eval-breaker check when the call returns (3.12+), then
    /// the store. A ref reused without a callback is not relabelled.
    fn exec_weakref(
        &mut self,
        target: &str,
        referent: &str,
        callback: Option<&str>,
        proxy: bool,
    ) -> PyResult<()> {
        let code = callback.map(|n| self.callback_code_of(n));
        let r = self.load(referent)?;
        let r = match r {
            Val::Obj(id) if matches!(self.heap.kind(id), Kind::Instance(_)) => {
                let c = match self.heap.kind(id) {
                    Kind::Instance(i) => i.class(),
                    _ => unreachable!(),
                };
                if !self.classes[c].weakrefable {
                    return Err(exc("TypeError", "cannot create weak reference"));
                }
                id
            }
            // Bound methods, functions and types have a weakref list (`im_weakreflist`,
            // `func_weakreflist`, `tp_weaklist`).
            Val::Obj(id)
                if matches!(
                    self.heap.kind(id),
                    Kind::Method { .. }
                        | Kind::Function { .. }
                        | Kind::MethodFunc { .. }
                        | Kind::Type { .. }
                ) =>
            {
                id
            }
            _ => return Err(exc("TypeError", "cannot create weak reference")),
        };
        let flavor = match (proxy, self.heap.kind(r)) {
            (false, _) => WeakFlavor::Ref,
            (true, Kind::Instance(_)) => WeakFlavor::Proxy,
            (true, _) => WeakFlavor::CallableProxy,
        };
        // The call's argument tuple: `weakref.ref` is a type called through `tp_call`;
        // `weakref.proxy` a module function ([`Profile::proxy_args_tuple`](super::profile::Profile::proxy_args_tuple)).
        let args = (!proxy || self.p.proxy_args_tuple).then_some(Temp::Tuple(if code.is_some() {
            2
        } else {
            1
        }));
        if let Some(a) = args {
            self.temp_alloc(a);
        }
        let (w, is_new) = self.new_weakref(r, code, flavor);
        if let Some(a) = args {
            self.temp_free(a);
        }
        self.eval_breaker();
        if proxy {
            // `_w = weakref.proxy(x[, callback])`, labelled (when new) before the store.
            if is_new {
                self.label_new(w, target);
            }
            self.store(target, Val::Obj(w));
        } else if code.is_some() {
            // `w = _new(weakref.ref(x, callback), 'w')`
            self.label_new(w, target);
            self.store(target, Val::Obj(w));
        } else {
            // `w = weakref.ref(x)` then `_new(w, 'w')` only if a ref was added.
            self.store(target, Val::Obj(w));
            if is_new {
                self.label_new(w, target);
            }
        }
        Ok(())
    }

    /// `def NAME(PARAMS):` (`MAKE_FUNCTION`, then the store): 3.x evaluates the defaults into
    /// a tuple first (`BUILD_TUPLE`; all constants: the compiler's constant tuple), then the
    /// closure tuple of the cells the new function uses (`LOAD_CLOSURE`s, `BUILD_TUPLE`),
    /// then the function (`PyFunction_NewWithQualName`: a GC object, tracked, holding the
    /// module's globals). 2.7 pushes the default values, builds the closure tuple, makes the
    /// function, then puts the defaults in a new tuple (`PyTuple_New` in `MAKE_FUNCTION` /
    /// `MAKE_CLOSURE`), constants or not.
    fn exec_def(&mut self, index: usize) -> PyResult<()> {
        let d = self.defs[index];
        let dvals: Vec<crate::scenario::Value> =
            d.params.iter().filter_map(|p| p.default.clone()).collect();
        let mut vals = Vec::with_capacity(dvals.len());
        for v in &dvals {
            let x = self.value(v)?;
            self.incref(x);
            vals.push(x);
        }
        let mut defaults = None;
        if !vals.is_empty() && !self.p.defaults_tuple_after_function {
            if dvals.iter().all(|v| v.name().is_none()) {
                // A constant of the code: the same tuple every time, never tracked.
                let t = match self.const_defaults.get(&index) {
                    Some(t) => *t,
                    None => {
                        let t = self.heap.alloc(Kind::Tuple(vals.clone()), true);
                        self.heap.hdr_mut(t).refcnt = 1;
                        self.const_defaults.insert(index, t);
                        t
                    }
                };
                self.incref(Val::Obj(t));
                defaults = Some(t);
            } else {
                let t = self.new_object(Kind::Tuple(vals.clone()));
                self.heap.hdr_mut(t).refcnt = 1;
                self.track(t);
                defaults = Some(t);
            }
        }
        // LOAD_CLOSURE of each free variable of the new function, from this frame.
        let mut cells = Vec::new();
        for n in &d.scope.freevars {
            let c = self
                .frames
                .last()
                .and_then(|f| f.locals.iter().find(|(m, _)| m == n))
                .and_then(|(_, v)| *v)
                .ok_or_else(|| exc("NameError", format!("free variable '{n}'")))?;
            self.incref(c);
            cells.push(c);
        }
        let closure = if cells.is_empty() {
            None
        } else {
            let t = self.new_object(Kind::Tuple(cells));
            self.heap.hdr_mut(t).refcnt = 1;
            self.track(t);
            Some(t)
        };
        let g = self.globals;
        self.incref(Val::Obj(g));
        let f = self.new_object(Kind::Function {
            def: index as u32,
            globals: g,
            defaults,
            closure,
        });
        self.heap.hdr_mut(f).refcnt = 1;
        self.track(f);
        if !vals.is_empty() && self.p.defaults_tuple_after_function {
            let t = self.new_object(Kind::Tuple(vals));
            self.heap.hdr_mut(t).refcnt = 1;
            self.track(t);
            if let Kind::Function { defaults, .. } = self.heap.kind_mut(f) {
                *defaults = Some(t);
            }
        } else if defaults.is_some_and(|t| self.const_defaults.values().any(|c| *c == t)) {
            // The values went into the constant tuple when it was made; these loads' own
            // references are not kept.
            for v in vals {
                self.decref(v);
            }
        }
        self.label_new(f, &d.name);
        self.store(&d.name, Val::Obj(f));
        Ok(())
    }

    // ----------------------------------------------------------------- names

    /// `x = y` (`LOAD_NAME` + `STORE_NAME`): a new reference for the binding, then the store.
    /// `x = a.method` binds a new bound method, labelled as the new object it is (and so does
    /// 2.7's `x = A.method`, an unbound method; 3.x binds the existing function).
    fn exec_assign(&mut self, target: &str, value: &Value) -> PyResult<()> {
        let v = self.value(value)?;
        let fresh = match value {
            Value::Method { .. } => true,
            Value::Unbound { .. } => self.p.unbound_methods,
            _ => false,
        };
        if fresh && let Val::Obj(id) = v {
            self.label_new(id, target);
        }
        self.incref(v);
        self.store(target, v);
        Ok(())
    }

    // ----------------------------------------------------------------- attributes

    /// `x.attr = v` (`STORE_ATTR`): the value is evaluated first, then the owner.
    fn exec_set_attr(&mut self, obj: &Target, attr: &str, value: &Value) -> PyResult<()> {
        let v = self.value(value)?;
        let o = self.target_obj(obj, attr)?;
        if self.is_exception_instance(o) {
            // `e.__traceback__ = None` (`BaseException_set_tb`); nothing else is modelled.
            return self.set_exception_attr(o, attr, v);
        }
        self.store_attr(o, attr, v)
    }

    /// `del x.attr` (`DELETE_ATTR`): the owner is held on the stack while the attribute goes.
    fn exec_del_attr(&mut self, obj: &Target, attr: &str) -> PyResult<()> {
        let o = self.target_obj(obj, attr)?;
        self.incref(Val::Obj(o));
        let r = self.delattr(o, attr);
        self.decref(Val::Obj(o));
        r
    }

    /// `random_edges:`, as its Python loop (`program.rs`) runs:
    /// `_en = len(L)` through a harness generator (its resume checks the eval breaker on 3.12+
    /// before `len` runs), then `for _ei in range(_en):` ([`Machine::range_call`]) whose body
    /// has, per attribute
    /// in order, `_ex = LCG(_ex)` and `L[_ei].attr = L[(_ex >> 33) % _en]`: the name `L` is
    /// loaded afresh for each subscript, the value is read first, then the owner, then
    /// `STORE_ATTR` stores through [`Machine::setattr`] exactly as `x.attr = VALUE` does (so a
    /// list shortened by a finalizer raises IndexError, a non-instance or a slot class
    /// without the attribute AttributeError). The loop's backward jump checks the eval
    /// breaker after each element (3.12+); range iterators and ints are not GC objects.
    fn random_edges(&mut self, list: &str, attrs: &[String], seed: u64) -> PyResult<()> {
        // `_len_of(L)`: the list is on the stack while the generator resumes (RESUME checks
        // the eval breaker before `len` runs).
        let l = self.load(list)?;
        self.incref(l);
        self.eval_breaker();
        let n = self.length(l);
        self.decref(l);
        let n = n?;
        // `for _ei in _xrange(_en):`
        self.range_call();
        let mut x = seed;
        for i in 0..n {
            for a in attrs {
                x = crate::util::lcg::next(x);
                let j = crate::util::lcg::index(x, n as u64) as usize;
                let l = self.load(list)?;
                let v = self.subscript(l, j)?;
                let l = self.load(list)?;
                let o = self.subscript(l, i)?;
                let o = self.instance_of(o, a)?;
                self.store_attr(o, a, v)?;
            }
            self.eval_breaker();
        }
        Ok(())
    }

    // ----------------------------------------------------------------- container items

    /// `d['k'] = v` (`STORE_SUBSCR` → `PyDict_SetItem`).
    fn exec_set_item(&mut self, obj: &str, key: &str, value: &Value) -> PyResult<()> {
        let v = self.value(value)?;
        let d = self.load(obj)?;
        let d = self.expect_kind(d, "dict")?;
        self.dict_set(d, key, v);
        Ok(())
    }

    /// `del d['k']` (`DELETE_SUBSCR` → `PyDict_DelItem`): the entry goes, then its value is
    /// released.
    fn exec_del_key(&mut self, obj: &str, key: &str) -> PyResult<()> {
        let d = self.load(obj)?;
        let d = self.expect_kind(d, "dict")?;
        let old = match self.heap.kind_mut(d) {
            Kind::Dict(dd) => dd.remove(key),
            _ => unreachable!(),
        };
        match old {
            Some(o) => self.decref(o),
            None => return Err(exc("KeyError", key.to_string())),
        }
        Ok(())
    }

    /// `del l[i]` (`DELETE_SUBSCR` → `list_ass_slice`): the item leaves the list, then it is
    /// released.
    fn exec_del_index(&mut self, obj: &str, index: i64) -> PyResult<()> {
        let l = self.load(obj)?;
        let l = self.expect_kind(l, "list")?;
        let old = match self.heap.kind_mut(l) {
            Kind::List(items) => {
                let n = items.len() as i64;
                let i = if index < 0 { n + index } else { index };
                if i < 0 || i >= n {
                    return Err(exc("IndexError", "list assignment index out of range"));
                }
                items.remove(i as usize)
            }
            _ => unreachable!(),
        };
        self.decref(old);
        Ok(())
    }

    /// `l.append(v)` (`list_append`): ≤3.6 `LOAD_ATTR` makes a builtin-method object first (no
    /// `LOAD_METHOD`, [`Profile::bound_method_calls`](super::profile::Profile::bound_method_calls));
    /// the generic `CALL` checks the eval breaker when it returns (3.12+), but from its second
    /// execution on, a call site (`step`: a statement of a `repeat:` body or of a `__del__`
    /// body runs many times) is the specialised `CALL_NO_KW_LIST_APPEND` / `CALL_LIST_APPEND`,
    /// which does not ([`Profile::append_specializes`](super::profile::Profile::append_specializes)).
    fn exec_append(&mut self, step: &Step, obj: &str, value: &Value) -> PyResult<()> {
        let l = self.load(obj)?;
        let l = self.container_method_owner(l, "list", "append")?;
        self.list_append_call(step, l, value)
    }

    /// `gc.garbage.append(v)`: `LOAD_NAME gc`, `LOAD_ATTR garbage` (the list the module
    /// attribute holds now, not necessarily the collector's own), then the call as
    /// `l.append(v)` makes it.
    fn exec_garbage_append(&mut self, step: &Step, value: &Value) -> PyResult<()> {
        let l = self.garbage_attr;
        self.list_append_call(step, l, value)
    }

    /// `x = gc.garbage[i]` (`BINARY_SUBSCR` → `list_subscript`: a negative index counts from
    /// the end; out of range raises IndexError), then the store.
    fn exec_from_garbage(&mut self, target: &str, index: i64) -> PyResult<()> {
        let v = match self.heap.kind(self.garbage_attr) {
            Kind::List(items) => {
                let n = items.len() as i64;
                let i = if index < 0 { n + index } else { index };
                if i < 0 || i >= n {
                    return Err(exc("IndexError", "list index out of range"));
                }
                items[i as usize]
            }
            _ => unreachable!("gc.garbage is a list"),
        };
        self.incref(v);
        self.store(target, v);
        Ok(())
    }

    /// The start of a `METH_O` call on a container (`l.append(x)`, `s.add(x)`): the method
    /// lookup (≤3.6 `LOAD_ATTR` makes a builtin-method object, [`Temp::BuiltinMethod`]; 3.7+
    /// `LOAD_METHOD` makes nothing), then the argument, evaluated. The method object is
    /// released again if the argument raises; else [`Machine::builtin_method_end`] releases
    /// it once the call is done.
    fn builtin_method_arg(&mut self, value: &Value) -> PyResult<Val> {
        if self.p.bound_method_calls {
            self.temp_alloc(Temp::BuiltinMethod);
        }
        let v = self.value(value);
        if v.is_err() {
            self.builtin_method_end();
        }
        v
    }

    /// The end of a call [`Machine::builtin_method_arg`] began: its method object is released.
    fn builtin_method_end(&mut self) {
        if self.p.bound_method_calls {
            self.temp_free(Temp::BuiltinMethod);
        }
    }

    /// The call `l.append(VALUE)` on list `l`: the method is looked up (≤3.6 `LOAD_ATTR`
    /// makes a builtin-method object; no `LOAD_METHOD` before 3.7), then the argument is
    /// evaluated, the call appends it, its operands are released, then the eval breaker.
    fn list_append_call(&mut self, step: &Step, l: super::heap::Id, value: &Value) -> PyResult<()> {
        let v = self.builtin_method_arg(value)?;
        self.incref(v);
        if let Kind::List(items) = self.heap.kind_mut(l) {
            items.push(v);
        }
        self.builtin_method_end();
        self.release_stack();
        let first = self.call_sites.insert(std::ptr::from_ref(step) as usize);
        if first || !self.p.append_specializes {
            self.eval_breaker();
        }
        Ok(())
    }
}
