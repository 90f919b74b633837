//! Names and frames: name lookup and binding (`LOAD_NAME`/`LOAD_FAST`, `STORE_NAME`/`STORE_FAST`/
//! `STORE_GLOBAL`, `DELETE_NAME`/`DELETE_FAST`), and the Python frames the model runs: a
//! `__del__` body (`slot_tp_finalize` / `slot_tp_del`) and weakref callbacks (the harness's
//! `callback` and the functions of `callbacks:`, each a code object of its own), with their
//! frame objects (≤3.10 `frame_alloc`, `frame_dealloc`) and locals.

use super::code::{
    BUILTIN_CALLBACK_CODE, GC_CALLBACK_CODE, callback_code, callback_index, function_code,
    method_code,
};
use super::heap::{FrameHeap, Id, Kind, NIL, Val};
use super::journal::{Ctx, Note};
use super::machine::{
    Deferred, Frame, FrameObj, Machine, NOT_ENTERED, PyResult, RETURN, Temp, exc,
};
use super::profile::PROGRAM_PY_FRAMES;
use crate::scenario::{FuncScope, MethodKind, Value};

use crate::trace::Event;

/// `PyFrame_MAXFREELIST` (`Objects/frameobject.c`, 200 in 2.7–3.10; frame objects are gone from
/// calls in 3.11): freed frames kept for reuse. Full collections empty the list
/// (`clear_freelists` → `PyFrame_ClearFreeList`).
pub const PY_FRAME_MAXFREELIST: usize = 200;

/// What a call statement calls.
#[derive(Debug, Clone, Copy)]
enum Callee {
    /// Method `m` of `class` on `im_self` (an instance, or a class method's class); `held`:
    /// the bound method object the caller's stack keeps during the call; `fresh`: the call
    /// made that bound method (a class method read through `LOAD_METHOD`/`LOAD_ATTR`), so
    /// the stack's reference is its only one.
    Method {
        im_self: Id,
        class: usize,
        m: usize,
        held: Option<Id>,
        fresh: Option<Id>,
    },
    /// Static method `m` of `class`: its function `func`, called with no argument.
    Static { func: Id, class: usize, m: usize },
    /// Plain method `m` of `class` read through class `via` (`A.m(x)`, or `f(x)` after
    /// `f = A.m`), called with its instance as the one argument: `callable` is what the
    /// caller's stack holds, the function (3.x) or a 2.7 unbound method; `fresh`: the call
    /// made it (2.7 `LOAD_ATTR`), so the stack's reference is its only one.
    Unbound {
        callable: Id,
        func: Id,
        class: usize,
        m: usize,
        via: usize,
        fresh: bool,
    },
    /// The function object `func` of `def` number `def`.
    Function { func: Id, def: usize },
}

impl<'s> Machine<'s> {
    /// How the names of frame `f`'s code resolve ([`FuncScope`], the loader's symbol table):
    /// a `def`'s, a method's, a `__del__`'s or a `callbacks:` function's; None for the
    /// harness's own functions (the callback, the `gc.callbacks` entry).
    fn frame_scope(&self, f: &Frame) -> Option<&'s FuncScope> {
        let sc: &'s crate::scenario::Scenario = self.sc;
        if let Some(d) = f.func {
            let d: &'s crate::scenario::FuncDef = self.defs[d];
            return Some(&d.scope);
        }
        match (f.class, f.method, f.callback) {
            (Some(c), Some(m), _) => Some(&sc.classes[c].methods[m].scope),
            (Some(c), None, _) => Some(&sc.classes[c].del_scope),
            (None, _, Some(i)) => Some(&sc.callbacks[i].scope),
            (None, _, None) => None,
        }
    }

    /// The compiler's scope decision: in a function body a name is local (`STORE_FAST`/
    /// `LOAD_FAST`) if it is one of the frame's locals (its parameters, the names it binds, its
    /// cells and free variables) and not declared `global`; inside the harness's callback only
    /// its argument is; at top level every name is a global (`STORE_NAME`).
    fn is_local(&self, name: &str) -> bool {
        let Some(f) = self.frames.last() else {
            return false;
        };
        let bound = f.locals.iter().any(|(n, _)| n == name);
        match self.frame_scope(f) {
            Some(s) => bound && !s.globals.iter().any(|g| g == name),
            None => bound,
        }
    }

    /// `LOAD_FAST` (`UnboundLocalError` when unset) / `LOAD_NAME` (`NameError`): the value, not
    /// yet increfed.
    pub(super) fn load(&self, name: &str) -> PyResult<Val> {
        if let Some(cell) = self.deref_cell(name) {
            // LOAD_DEREF: the cell's content.
            return match self.heap.kind(cell) {
                Kind::Cell(Some(v)) => Ok(*v),
                _ => Err(exc(
                    "NameError",
                    format!(
                        "free variable '{name}' referenced before assignment in enclosing scope"
                    ),
                )),
            };
        }
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

    /// The cell a function frame reaches `name` through, if `name` is one of its cells or free
    /// variables (`LOAD_DEREF`/`STORE_DEREF`).
    fn deref_cell(&self, name: &str) -> Option<Id> {
        let f = self.frames.last()?;
        let s = self.frame_scope(f)?;
        if !s.cellvars.iter().any(|c| c == name) && !s.freevars.iter().any(|c| c == name) {
            return None;
        }
        f.locals
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| *v)
            .and_then(|v| v.obj())
    }

    /// A statement's operand: `None` and ints (`LOAD_CONST`), a name ([`Machine::load`]), or
    /// `a.method` (`LOAD_ATTR`: a new bound method, [`Machine::bound_method`], which the value
    /// stack holds until the statement is done). The value is not increfed for the consumer.
    pub(super) fn value(&mut self, v: &Value) -> PyResult<Val> {
        match v {
            Value::None => Ok(Val::None),
            Value::Int(i) => Ok(Val::Int(*i)),
            Value::Name(n) => self.load(n),
            Value::Method { obj, method }
            | Value::StaticMethod { obj, method }
            | Value::Unbound { class: obj, method } => {
                let o = self.load(obj)?;
                self.method_value(o, method)
            }
            Value::Attr { obj, attr } => {
                let o = self.load(obj)?;
                if let Val::Obj(t) = o
                    && let Kind::Type { class, .. } = *self.heap.kind(t)
                {
                    // `type_getattro`: the MRO's dicts (the metatype `type` has no such name).
                    return self.class_attr(class as usize, attr).ok_or_else(|| {
                        exc(
                            "AttributeError",
                            format!("type object has no attribute '{attr}'"),
                        )
                    });
                }
                let o = self.instance_of(o, attr)?;
                self.getattr_value(o, attr)
            }
        }
    }

    /// Release what the running statement holds on the value stack ([`Machine::stack`]), last
    /// pushed first, as the bytecode's `Py_DECREF`s of its operands do.
    pub(super) fn release_stack(&mut self) {
        while self.stack.len() > self.stack_base {
            let v = self.stack.pop().expect("non-empty");
            self.decref(v);
        }
    }

    /// A call statement: `x.name(...)` (`LOAD_METHOD` + `CALL` 3.7+; ≤3.6 `LOAD_ATTR` makes a
    /// bound method that `call_function` unpacks into the function and `self` and releases
    /// before the call), `x.name(...)` where `name` is an attribute holding a bound method or a
    /// function, or `f(...)` on a name holding one; `x = f(...)` binds the result. The callee is
    /// loaded, then the arguments; the caller's stack holds the callable (a bound method's
    /// `self` in its place, and on 3.8–3.10 the bound method object too) until the call
    /// returns; then the result is stored (or dropped).
    pub(super) fn exec_call(
        &mut self,
        target: Option<&str>,
        obj: Option<&str>,
        name: &str,
        args: &[crate::scenario::Value],
    ) -> PyResult<()> {
        let callee = match obj {
            Some(o) => {
                let v = self.load(o)?;
                let (inst, class) = self.method_owner(v, name)?;
                match self.find_method(class, name) {
                    Some((defining, m)) => {
                        match self.sc.classes[defining].methods[m].kind {
                            // `A.m(x)`: 3.x `LOAD_METHOD` finds no method descriptor
                            // shortcut on a type (`type_getattro`) and pushes the function;
                            // 2.7 `LOAD_ATTR` makes an unbound method.
                            MethodKind::Plain if inst.is_none() => {
                                let func = self.method_func(defining, m as u32);
                                let (callable, fresh) = if self.p.unbound_methods {
                                    (self.unbound_method(class, defining, m), true)
                                } else {
                                    (func, false)
                                };
                                Callee::Unbound {
                                    callable,
                                    func,
                                    class: defining,
                                    m,
                                    via: class,
                                    fresh,
                                }
                            }
                            MethodKind::Plain => {
                                if self.p.bound_method_calls {
                                    self.temp_alloc(Temp::Method);
                                    self.temp_free(Temp::Method);
                                }
                                Callee::Method {
                                    im_self: inst.expect("an instance"),
                                    class: defining,
                                    m,
                                    held: None,
                                    fresh: None,
                                }
                            }
                            // `sm_descr_get`: the function itself (no `LOAD_METHOD`
                            // shortcut: a staticmethod is no method descriptor).
                            MethodKind::Static => Callee::Static {
                                func: self.method_func(defining, m as u32),
                                class: defining,
                                m,
                            },
                            // `cm_descr_get`: a new bound method of the class, on every
                            // version (a classmethod is no method descriptor either).
                            MethodKind::Class => {
                                let bm = self.class_bound_method(class, defining, m);
                                Callee::Method {
                                    im_self: self.type_of_class(class),
                                    class: defining,
                                    m,
                                    held: self.p.method_held_during_call.then_some(bm),
                                    fresh: Some(bm),
                                }
                            }
                        }
                    }
                    None => {
                        let a = match inst {
                            Some(inst) => self.getattr_value(inst, name)?,
                            None => self.class_attr(class, name).ok_or_else(|| {
                                exc(
                                    "AttributeError",
                                    format!("type object has no attribute '{name}'"),
                                )
                            })?,
                        };
                        self.callee(a)?
                    }
                }
            }
            None => {
                let v = self.load(name)?;
                self.callee(v)?
            }
        };
        // The stack's references while the call runs.
        let held: Vec<Val> = match callee {
            Callee::Method { im_self, held, .. } => std::iter::once(Val::Obj(im_self))
                .chain(held.map(Val::Obj))
                .collect(),
            Callee::Function { func, .. } | Callee::Static { func, .. } => vec![Val::Obj(func)],
            Callee::Unbound { callable, .. } => vec![Val::Obj(callable)],
        };
        for v in &held {
            self.incref(*v);
        }
        // A bound method the call made: the stack's reference was its own. ≤3.7 and 3.11+
        // unpack it into the function and `self` and release it before the call
        // (`call_function`'s `Py_SETREF(*pfunc, self)`, 3.11 `PRECALL`); 3.8–3.10 call
        // through it (`method_vectorcall`), releasing it when the call returns.
        if let Callee::Method {
            fresh: Some(bm), ..
        } = callee
        {
            self.decref(Val::Obj(bm));
        }
        // A 2.7 unbound method `LOAD_ATTR` made: the stack's reference is its own, kept
        // until the call returns.
        if let Callee::Unbound {
            callable,
            fresh: true,
            ..
        } = callee
        {
            self.decref(Val::Obj(callable));
        }
        let mut argv = Vec::with_capacity(args.len());
        for a in args {
            match self.value(a) {
                Ok(v) => {
                    self.incref(v);
                    argv.push(v);
                }
                Err(e) => {
                    for v in argv.into_iter().chain(held) {
                        self.decref(v);
                    }
                    return Err(e);
                }
            }
        }
        let moved = self.p.args_moved_into_frame;
        let r = match callee {
            Callee::Method {
                im_self, class, m, ..
            } if argv.is_empty() => self.call_method(Some(im_self), class, m, moved, None),
            // 3.11+ the frame owns the function the stack held (`f_func`).
            Callee::Static { func, class, m } if argv.is_empty() => {
                self.call_method(None, class, m, moved, moved.then_some(func))
            }
            Callee::Method { .. } => Err(exc(
                "TypeError",
                format!("{name}() takes 1 positional argument"),
            )),
            Callee::Static { .. } => Err(exc(
                "TypeError",
                format!("{name}() takes 0 positional arguments"),
            )),
            Callee::Function { func, def } => self.call_function(func, def, &argv, moved),
            Callee::Unbound {
                func,
                class,
                m,
                via,
                ..
            } => match argv[..] {
                [Val::Obj(inst)] => self.call_unbound(inst, func, class, m, via, moved),
                _ => Err(exc(
                    "TypeError",
                    format!("{name}() takes exactly 1 argument ({} given)", argv.len()),
                )),
            },
        };
        // ≤3.10 the caller's stack releases its references (arguments last to first, then
        // the callable); 3.11+ the frame took them over, unless the call failed before.
        let entered = !matches!(r, Err(ref e) if e.kind == NOT_ENTERED);
        if !moved || !entered {
            for v in argv.into_iter().rev() {
                self.decref(v);
            }
            for v in held.into_iter().rev() {
                self.decref(v);
            }
        } else if let Callee::Method { held: Some(h), .. } = callee {
            // A bound method object the stack held is not the frame's.
            self.decref(Val::Obj(h));
        }
        let result = match r {
            // The exception passes through this frame: its traceback (`PyTraceBack_Here` at
            // the `error:` label), after the call's stack was released.
            Err(e) if super::machine::is_raised(&e) => {
                self.traceback_here();
                return Err(e);
            }
            Err(e) if e.kind == NOT_ENTERED => {
                return Err(exc(
                    if e.detail.starts_with("maximum recursion") {
                        self.p.recursion_error
                    } else {
                        "TypeError"
                    },
                    e.detail,
                ));
            }
            r => r?,
        };
        // No eval-breaker check when the call returns where a Python function's call is
        // inlined ([`Profile::python_calls_inlined`](super::profile::Profile::python_calls_inlined):
        // `DISPATCH_INLINED`, only `CALL`s of C callables check after returning; the callee's
        // `RESUME` checked when it started).
        if !self.p.python_calls_inlined {
            self.eval_breaker();
        }
        match target {
            Some(t) => self.store(t, result),
            None => self.decref(result),
        }
        Ok(())
    }

    /// What calling `v` runs: a bound method's function with its `self` (and the bound method
    /// itself when the call goes through it, [`Profile::method_held_during_call`](super::profile::Profile::method_held_during_call)),
    /// or a function. Anything else is not callable.
    fn callee(&self, v: Val) -> PyResult<Callee> {
        match v {
            Val::Obj(id) => match self.heap.kind(id) {
                // A 2.7 unbound method, read earlier (`f = A.m`).
                Kind::Method {
                    im_self,
                    class,
                    method,
                    im_func,
                    im_class,
                } if *im_self == super::heap::NIL => Ok(Callee::Unbound {
                    callable: id,
                    func: *im_func,
                    class: *class as usize,
                    m: *method as usize,
                    via: match self.heap.kind(*im_class) {
                        Kind::Type { class, .. } => *class as usize,
                        _ => *class as usize,
                    },
                    fresh: false,
                }),
                Kind::Method {
                    im_self,
                    class,
                    method,
                    ..
                } => Ok(Callee::Method {
                    im_self: *im_self,
                    class: *class as usize,
                    m: *method as usize,
                    held: self.p.method_held_during_call.then_some(id),
                    fresh: None,
                }),
                // A method's function read earlier: a plain method's through its class on 3.x
                // (`f = A.m`), called with its instance; a static method's (`f = x.s`).
                Kind::MethodFunc { class, method, .. }
                    if *method != super::heap::DEL_METHOD
                        && self.sc.classes[*class as usize].methods[*method as usize].kind
                            != MethodKind::Class =>
                {
                    let (class, m) = (*class as usize, *method as usize);
                    Ok(match self.sc.classes[class].methods[m].kind {
                        MethodKind::Plain => Callee::Unbound {
                            callable: id,
                            func: id,
                            class,
                            m,
                            via: class,
                            fresh: false,
                        },
                        _ => Callee::Static { func: id, class, m },
                    })
                }
                Kind::Function { def, .. } => Ok(Callee::Function {
                    func: id,
                    def: *def as usize,
                }),
                _ => Err(exc(
                    "TypeError",
                    format!("'{}' object is not callable", self.type_name(id)),
                )),
            },
            Val::None => Err(exc("TypeError", "'NoneType' object is not callable")),
            Val::Int(_) => Err(exc("TypeError", "'int' object is not callable")),
        }
    }

    /// A plain method read through class `via`, called with `inst`. 3.x: a call of the
    /// function with one argument, like any function's (3.11+ the frame takes the function
    /// and the argument over). 2.7: `call_function` does not unpack an unbound method, so
    /// `do_call` moves the argument into a new tuple (`load_args`) and calls the unbound
    /// method (`instancemethod_call`): it checks `isinstance(inst, via)` (an instance of a
    /// subclass goes through `type.__instancecheck__`, a bound builtin method and an
    /// argument tuple), then `function_call` runs the body; the tuple goes when the call
    /// returns.
    fn call_unbound(
        &mut self,
        inst: Id,
        func: Id,
        class: usize,
        m: usize,
        via: usize,
        moved: bool,
    ) -> PyResult<Val> {
        if !self.p.unbound_methods {
            return self.call_method(Some(inst), class, m, moved, moved.then_some(func));
        }
        self.temp_alloc(Temp::Tuple(1));
        let is_instance = match self.heap.kind(inst) {
            Kind::Instance(i) => {
                let c = i.class();
                if c != via {
                    // `PyObject_IsInstance` → `_PyObject_LookupSpecial(cls,
                    // "__instancecheck__")` → `PyObject_CallFunctionObjArgs(checker, inst)`.
                    self.temp_alloc(Temp::BuiltinMethod);
                    self.temp_alloc(Temp::Tuple(1));
                    self.temp_free(Temp::Tuple(1));
                    self.temp_free(Temp::BuiltinMethod);
                }
                self.classes[c].mro.contains(&via)
            }
            _ => false,
        };
        let r = if is_instance {
            self.call_method(Some(inst), class, m, false, None)
        } else {
            Err(exc(
                "TypeError",
                format!(
                    "unbound method {}() must be called with {} instance as first argument",
                    self.sc.classes[class].methods[m].name, self.sc.classes[via].name
                ),
            ))
        };
        self.temp_free(Temp::Tuple(1));
        r
    }

    /// Run method `m` of `class` with `self` bound to `im_self` (`_PyEval_EvalFrame` of its
    /// code): the eval entry ([`Machine::enter_call`]: recursion checks, ≤3.10 the frame
    /// object), the `RESUME` check of the eval breaker (3.12+), the body; an exception ends the
    /// body and propagates to the caller after the frame is released. Returns the method's
    /// result (an owned reference).
    fn call_method(
        &mut self,
        im_self: Option<Id>,
        class: usize,
        m: usize,
        moved: bool,
        func: Option<Id>,
    ) -> PyResult<Val> {
        let Some(obj) = self.enter_call(method_code(class, m)) else {
            return Err(exc(NOT_ENTERED, "maximum recursion depth exceeded"));
        };
        let sc: &'s crate::scenario::Scenario = self.sc;
        let md = &sc.classes[class].methods[m];
        let params: Vec<Val> = match (md.kind.param(), im_self) {
            (Some(_), Some(s)) => vec![Val::Obj(s)],
            _ => Vec::new(),
        };
        let owner = || format!("{}.{}", sc.classes[class].name, md.name);
        let locals = self.frame_locals(&md.scope, &params, params.len(), moved, owner);
        self.eval_breaker();
        self.frames.push(Frame {
            class: Some(class),
            method: Some(m),
            func: None,
            extra: func.map(Val::Obj).into_iter().collect(),
            callback: None,
            locals,
            obj,
            finalizing: None,
            exc_saved: None,
        });
        let sc = self.sc;
        let r = self.run_function_body(&sc.classes[class].methods[m].body);
        self.frame_dealloc();
        self.leave_call();
        r
    }

    /// Call the function `func` of `def` number `def` with `args` (the caller keeps its
    /// references): the parameters are bound (missing ones from `func_defaults`), the eval
    /// entry makes (≤3.10) its frame object, then its cells are made (`PyCell_New`, GC objects:
    /// ≤3.10 at frame set-up, `_PyEval_EvalCodeWithName` / 2.7 `PyEval_EvalCodeEx`; 3.11+ by
    /// `MAKE_CELL` before `RESUME`), the free cells come from `func_closure`
    /// (`COPY_FREE_VARS`), `RESUME` checks the eval breaker (3.12+), the body runs. Returns
    /// its result (an owned reference).
    fn call_function(&mut self, func: Id, def: usize, args: &[Val], moved: bool) -> PyResult<Val> {
        let d = self.defs[def];
        let (defaults, closure) = match self.heap.kind(func) {
            Kind::Function {
                defaults, closure, ..
            } => (*defaults, *closure),
            _ => unreachable!("a function"),
        };
        let required = d.params.iter().filter(|p| p.default.is_none()).count();
        if args.len() < required || args.len() > d.params.len() {
            return Err(exc(
                NOT_ENTERED,
                format!(
                    "{}() takes {} positional arguments but {} were given",
                    d.name,
                    d.params.len(),
                    args.len()
                ),
            ));
        }
        // The parameters' values: the arguments, then the defaults' tail.
        let mut params: Vec<Val> = args.to_vec();
        if params.len() < d.params.len() {
            let dv: Vec<Val> = match defaults.map(|t| self.heap.kind(t)) {
                Some(Kind::Tuple(items)) => items.clone(),
                _ => Vec::new(),
            };
            let missing = d.params.len() - params.len();
            params.extend(dv[dv.len() - missing..].iter().copied());
        }
        let Some(obj) = self.enter_call(function_code(def)) else {
            return Err(exc(NOT_ENTERED, "maximum recursion depth exceeded"));
        };
        let mut locals = self.frame_locals(&d.scope, &params, args.len(), moved, || d.name.clone());
        let s = &d.scope;
        // COPY_FREE_VARS: the closure's cells, in co_freevars order.
        let frees: Vec<Val> = match closure.map(|t| self.heap.kind(t)) {
            Some(Kind::Tuple(items)) => items.clone(),
            _ => Vec::new(),
        };
        for (n, c) in s.freevars.iter().zip(frees) {
            self.incref(c);
            locals.push((n.clone(), Some(c)));
        }
        let extra = if moved {
            vec![Val::Obj(func)]
        } else {
            Vec::new()
        };
        self.frames.push(Frame {
            class: None,
            method: None,
            func: Some(def),
            extra,
            callback: None,
            locals,
            obj,
            finalizing: None,
            exc_saved: None,
        });
        self.eval_breaker();
        let r = self.run_function_body(&d.body);
        self.frame_dealloc();
        self.leave_call();
        r
    }

    /// A new frame's fast locals and cells (`f_localsplus` up to the free variables, which the
    /// caller adds from the function's closure), in the order the frame releases them:
    /// `co_varnames`, then `co_cellvars`. `params`: the parameters' values (the first
    /// `params.len()` of `co_varnames`), of which the first `nargs` are the caller's arguments.
    /// The frame's own reference to each: a new one (≤3.10), or the caller's moved in (3.11+,
    /// `moved`: arguments only; defaults always new). The cells are made here (`PyCell_New`, GC
    /// objects: ≤3.10 at frame set-up, `_PyEval_EvalCodeWithName` / 2.7 `PyEval_EvalCodeEx`;
    /// 3.11+ by `MAKE_CELL` before `RESUME`), a cell parameter's value moving into its cell;
    /// `owner` names the code in their labels (`cell for x in make`), asked only when `explain`
    /// keeps a journal.
    fn frame_locals(
        &mut self,
        s: &FuncScope,
        params: &[Val],
        nargs: usize,
        moved: bool,
        owner: impl Fn() -> String,
    ) -> Vec<(String, Option<Val>)> {
        let is_cell = |n: &str| s.cellvars.iter().any(|c| c == n);
        let param_of = |n: &str| s.varnames[..params.len()].iter().position(|p| p == n);
        let mut locals: Vec<(String, Option<Val>)> = Vec::new();
        // Fast locals (co_varnames), a cell parameter in place on 3.11+.
        let mut cells_to_make: Vec<(usize, Option<Val>)> = Vec::new();
        for n in &s.varnames {
            match (is_cell(n), param_of(n)) {
                (false, p) => {
                    let v = p.map(|i| params[i]);
                    if let (Some(v), Some(i)) = (v, p)
                        && (!moved || i >= nargs)
                    {
                        self.incref(v);
                    }
                    locals.push((n.clone(), v));
                }
                (true, Some(i)) if self.p.cell_args_in_place => {
                    cells_to_make.push((locals.len(), Some(params[i])));
                    locals.push((n.clone(), None));
                }
                (true, _) => {}
            }
        }
        for c in &s.cellvars {
            if self.p.cell_args_in_place && param_of(c).is_some() {
                continue;
            }
            let v = param_of(c).map(|i| params[i]);
            cells_to_make.push((locals.len(), v));
            locals.push((c.clone(), None));
        }
        // The cells, in co_cellvars order (sorted names).
        cells_to_make.sort_by(|a, b| locals[a.0].0.cmp(&locals[b.0].0));
        for (slot, v) in cells_to_make {
            // PyCell_New takes a new reference; a moved argument's own goes (MAKE_CELL's
            // SETLOCAL releases it), so the cell holds the only one.
            let from_arg = param_of(&locals[slot].0).is_some_and(|i| i < nargs);
            if let Some(v) = v
                && !(moved && from_arg)
            {
                self.incref(v);
            }
            let cell = self.new_object(Kind::Cell(v));
            self.heap.hdr_mut(cell).refcnt = 1;
            self.track(cell);
            if self.journal.is_some() {
                self.cell_names
                    .insert(cell, format!("cell for {} in {}", locals[slot].0, owner()));
            }
            locals[slot].1 = Some(Val::Obj(cell));
        }
        locals
    }

    /// `STORE_NAME`/`STORE_FAST`/`STORE_GLOBAL`: the caller owns one reference to `v`, which
    /// the binding takes over; the old value is released after the store.
    pub(super) fn store(&mut self, name: &str, v: Val) {
        if let Some(cell) = self.deref_cell(name) {
            // STORE_DEREF (`PyCell_Set`): the old content is released after the store.
            let old = match self.heap.kind_mut(cell) {
                Kind::Cell(c) => c.replace(v),
                _ => None,
            };
            if let Some(o) = old {
                self.decref(o);
            }
            return;
        }
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
        if let Some(cell) = self.deref_cell(name) {
            // DELETE_DEREF.
            let old = match self.heap.kind_mut(cell) {
                Kind::Cell(c) => c.take(),
                _ => None,
            };
            return match old {
                Some(o) => {
                    self.decref(o);
                    Ok(())
                }
                None => Err(exc("NameError", name.to_string())),
            };
        }
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

    /// The frame object of a call (≤3.10, `PyFrame_New`): the code object's zombie frame when
    /// it has one (`co_zombieframe`, taken for the call), else one from the frame free list,
    /// else a new GC object (counted in generation 0); it holds a reference to the frame it is
    /// called from (`f_back`) when that is a `__del__` or callback frame.
    pub(super) fn frame_object_new(&mut self, code: usize) -> Option<usize> {
        if !self.p.trashcan.frames_are_objects {
            return None;
        }
        if !self.zombie_frames.remove(&code) {
            if self.freelists.frames > 0 {
                self.freelists.frames -= 1;
            } else {
                self.gc_alloc();
            }
        }
        let back = self.frames.last().and_then(|f| f.obj);
        if let Some(b) = back {
            self.frame_obj_mut(b).refcnt += 1;
        }
        // 2.7/3.6 `PyFrame_New` ends with `_PyObject_GC_TRACK`: into generation 0 (its
        // allocation, counted above, may have started a collection before).
        let slot = self.frame_objs.len();
        let gc = if self.p.trashcan.frames_tracked_in_calls {
            let id = self.frame_stand_in(code, slot);
            self.track(id);
            id
        } else {
            NIL
        };
        let f = FrameObj {
            code,
            locals: Vec::new(),
            back,
            refcnt: 1,
            gc,
            heap_refs: 0,
        };
        self.frame_objs.push(Some(f));
        if gc != NIL {
            self.tracked_frames.push(slot);
        }
        Some(slot)
    }

    /// The heap object that stands for frame object `slot` of a running call (untracked;
    /// no allocation is counted: the caller counts where CPython allocates).
    fn frame_stand_in(&mut self, code: usize, slot: usize) -> Id {
        let id = self.heap.alloc(
            Kind::Frame(Box::new(FrameHeap {
                back: NIL,
                func: NIL,
                locals: Vec::new(),
                code,
                escaped: false,
                name: "".into(),
                names: Vec::new(),
            })),
            true,
        );
        self.heap.hdr_mut(id).refcnt = 1;
        self.frame_slot.insert(id, slot);
        id
    }

    /// The frame object of `self.frames[i]` as a heap object, made on demand: ≤3.10 the call's
    /// frame object exists already (its stand-in is made, nothing counted); 3.11+
    /// `_PyFrame_GetFrameObject` → `_PyFrame_MakeAndSetFrameObject` allocates one (counted,
    /// untracked: `_PyFrame_New_NoTrack`), which the interpreter frame holds (`frame_obj`).
    pub(super) fn materialize_frame(&mut self, i: usize) -> Id {
        if let Some(slot) = self.frames[i].obj {
            let o = self.frame_objs[slot].as_ref().expect("a live frame object");
            if o.gc != NIL {
                return o.gc;
            }
            let code = o.code;
            let id = self.frame_stand_in(code, slot);
            self.frame_obj_mut(slot).gc = id;
            return id;
        }
        // 3.11+: a new frame object, counted before it exists; `_PyFrame_MakeAndSetFrameObject`
        // holds the exception being raised fetched meanwhile, so a collection may start (or be
        // scheduled) there.
        self.with_exception_fetched(|m| m.gc_alloc());
        // (3.11+ frames have no zombie frame: the code is not needed.)
        let code = usize::MAX;
        let slot = self.frame_objs.len();
        self.frame_objs.push(Some(FrameObj {
            code,
            locals: Vec::new(),
            back: None,
            refcnt: 1,
            gc: NIL,
            heap_refs: 0,
        }));
        let id = self.frame_stand_in(code, slot);
        self.frame_obj_mut(slot).gc = id;
        self.frames[i].obj = Some(slot);
        id
    }

    /// A new reference to the frame object `id` (a traceback's `tb_frame`, a returned
    /// frame's `f_back`): a running call's frame object counts it itself.
    pub(super) fn frame_incref(&mut self, id: Id) {
        match self.frame_slot.get(&id) {
            Some(&slot) => {
                let o = self.frame_obj_mut(slot);
                o.refcnt += 1;
                o.heap_refs += 1;
            }
            None => self.incref(Val::Obj(id)),
        }
    }

    /// `Py_DECREF` of the frame object `id` (see [`Machine::frame_incref`]).
    pub(super) fn frame_decref(&mut self, id: Id) {
        match self.frame_slot.get(&id) {
            Some(&slot) => {
                self.frame_obj_mut(slot).heap_refs -= 1;
                self.frame_object_decref(slot);
            }
            None => self.decref(Val::Obj(id)),
        }
    }

    fn frame_obj_mut(&mut self, f: usize) -> &mut FrameObj {
        self.frame_objs[f].as_mut().expect("a live frame object")
    }

    /// `Py_DECREF` of a frame object: `frame_dealloc` when nothing holds it any more.
    pub(super) fn frame_object_decref(&mut self, f: usize) {
        if self.frame_objs[f].is_none() {
            // It outlived its call: a heap object now.
            let id = self.escaped_slots[&f];
            self.decref(Val::Obj(id));
            return;
        }
        let o = self.frame_obj_mut(f);
        o.refcnt -= 1;
        if o.refcnt == 0 {
            self.frame_object_dealloc(f);
        }
    }

    /// `frame_dealloc` (≤3.10): trashcan-protected (`Py_TRASHCAN_SAFE_BEGIN` 2.7–3.7,
    /// `Py_TRASHCAN_BEGIN` 3.8–3.10), so a frame freed at the nesting limit is deposited with
    /// its locals and its `f_back`, which stay alive until the chain is destroyed (a
    /// `__del__`'s `self`, and its callers' frames with theirs). Otherwise: the locals in
    /// `co_varnames` order, then `f_back`, then the frame becomes its code object's zombie
    /// frame if that slot is empty, else goes to the free list (`PyFrame_MAXFREELIST`), else is
    /// freed.
    pub(super) fn frame_object_dealloc(&mut self, f: usize) {
        // `frame_dealloc` untracks first, before the trashcan.
        let gc = std::mem::replace(&mut self.frame_obj_mut(f).gc, NIL);
        if gc != NIL {
            if self.heap.is_tracked(gc) {
                self.untrack(gc);
            }
            self.heap.free(gc);
            self.frame_slot.remove(&gc);
            if let Some(i) = self.tracked_frames.iter().rposition(|&s| s == f) {
                self.tracked_frames.swap_remove(i);
            }
        }
        if !self.p.trashcan.frames_are_objects {
            // 3.11+ a frame object its call no longer needs (`_PyFrame_ClearExceptCode`:
            // `Py_DECREF(f)`): freed, no zombie frame, no free list; the call's locals are
            // the interpreter frame's, released after.
            self.frame_objs[f] = None;
            self.gc_free();
            return;
        }
        if !self.trash_enter(false) {
            self.trash_later.push(Deferred::Frame(f));
            return;
        }
        let o = self.frame_objs[f].take().expect("a live frame object");
        for v in o.locals {
            self.decref(v);
        }
        if let Some(b) = o.back {
            self.frame_object_decref(b);
        }
        self.frame_memory_released(o.code);
        self.trash_end(false);
    }

    /// The end of `frame_dealloc` (≤3.10): the frame becomes its code object's zombie frame
    /// if that slot is empty, else goes to the free list (`PyFrame_MAXFREELIST`), else is
    /// freed; 3.11+ `PyObject_GC_Del`.
    pub(super) fn frame_memory_released(&mut self, code: usize) {
        if !self.p.trashcan.frames_are_objects {
            self.gc_free();
        } else if !self.zombie_frames.contains(&code) {
            self.zombie_frames.insert(code);
        } else if self.freelists.frames < PY_FRAME_MAXFREELIST {
            self.freelists.frames += 1;
        } else {
            self.gc_free();
        }
    }

    /// A call returns while something else holds its frame object (a traceback): the frame
    /// keeps its locals (≤3.10 the eval loop's caller only drops its reference, then
    /// `_PyObject_GC_TRACK(f)`: 3.7–3.10 `function_code_fastcall`/`_PyEval_EvalCode(WithName)`/
    /// `_PyEval_Vector`; 3.11+ `take_ownership`, which copies the interpreter frame into the
    /// frame object, sets `f_back` to the caller's frame object, materialising it, and tracks
    /// the frame). From then on the frame is an ordinary heap object that owns its
    /// references ([`FrameHeap`], [`Machine::escaped_frame_dealloc`]).
    fn frame_escape(
        &mut self,
        slot: usize,
        locals: Vec<Val>,
        func: Id,
        name: Box<str>,
        names: Vec<Box<str>>,
    ) {
        let back = if self.p.trashcan.frames_are_objects {
            match self.frame_objs[slot].as_ref().and_then(|o| o.back) {
                Some(b) => match self.frames.iter().rposition(|f| f.obj == Some(b)) {
                    // The reference stays (counted in the caller's frame object), held by a
                    // heap object from now on.
                    Some(i) => {
                        let id = self.materialize_frame(i);
                        self.frame_obj_mut(b).heap_refs += 1;
                        id
                    }
                    // The caller outlived its call already (a deposited frame's caller).
                    None => self.escaped_slots[&b],
                },
                None => NIL,
            }
        } else {
            match self.frames.len() {
                // The module's frame object, which the model keeps no object for: it exists
                // (the program makes it before the start-up collection) and outlives the run.
                0 => NIL,
                n => {
                    let b = self.materialize_frame(n - 1);
                    self.frame_incref(b);
                    b
                }
            }
        };
        let o = self.frame_objs[slot].take().expect("a live frame object");
        let id = o.gc;
        self.frame_slot.remove(&id);
        self.escaped_slots.insert(slot, id);
        if let Some(i) = self.tracked_frames.iter().rposition(|&s| s == slot) {
            self.tracked_frames.swap_remove(i);
        }
        self.heap.hdr_mut(id).refcnt = i64::from(o.refcnt) - 1;
        *self.heap.kind_mut(id) = Kind::Frame(Box::new(FrameHeap {
            back,
            func,
            locals,
            code: o.code,
            escaped: true,
            name,
            names,
        }));
        self.track(id);
    }

    /// The name of a frame's code: `f`, `A.run`, `A.__del__`, a callback's.
    fn frame_name(&self, f: &Frame) -> Box<str> {
        let sc = self.sc;
        match (f.func, f.class, f.method, f.callback) {
            (Some(d), ..) => self.defs[d].name.as_str().into(),
            (None, Some(c), Some(m), _) => {
                format!("{}.{}", sc.classes[c].name, sc.classes[c].methods[m].name).into()
            }
            (None, Some(c), None, _) => format!("{}.__del__", sc.classes[c].name).into(),
            (None, None, _, Some(cb)) => sc.callbacks[cb].name.as_str().into(),
            _ => "callback".into(),
        }
    }

    /// `frame_dealloc` of a frame object that outlived its call: untracked, trashcan; ≤3.10
    /// the locals, then `f_back`; 3.11+ `f_func`, the locals, then `f_back`; then its memory
    /// ([`Machine::frame_memory_released`]).
    pub(super) fn escaped_frame_dealloc(&mut self, id: Id) {
        self.untrack(id);
        if !self.trash_begin_object(id) {
            return;
        }
        let (fr, code) = match self.heap.kind_mut(id) {
            Kind::Frame(fr) => {
                let code = fr.code;
                (
                    (
                        std::mem::replace(&mut fr.back, NIL),
                        std::mem::replace(&mut fr.func, NIL),
                        std::mem::take(&mut fr.locals),
                    ),
                    code,
                )
            }
            _ => unreachable!("a frame"),
        };
        let (back, func, locals) = fr;
        if func != NIL {
            self.decref(Val::Obj(func));
        }
        for v in locals {
            self.decref(v);
        }
        if back != NIL {
            self.frame_decref(back);
        }
        self.note_freed(id);
        self.heap.free(id);
        self.frame_memory_released(code);
        self.trash_end(false);
    }

    /// `frame_tp_clear` of a frame object that outlived its call: its locals (not `f_back`,
    /// not `f_func`).
    pub(super) fn escaped_frame_clear(&mut self, id: Id) {
        let locals = match self.heap.kind_mut(id) {
            Kind::Frame(fr) => std::mem::take(&mut fr.locals),
            _ => Vec::new(),
        };
        for v in locals {
            self.decref(v);
        }
    }

    /// Enter a Python function called from C (a `__del__`, the callback): the eval entry's
    /// recursion checks, then (≤3.10) its frame object. False when the call fails with a
    /// recursion error before its body runs: 3.13's C budget (`_Py_EnterRecursiveCallTstate` in
    /// `_PyEval_EvalFrameDefault`: fails when less than one unit is left) or the Python
    /// recursion limit (`_Py_EnterRecursivePy` 3.11+, `Py_EnterRecursiveCall` ≤3.10: the frames
    /// below the program, [`PROGRAM_PY_FRAMES`], and the running `__del__`/callback frames
    /// count; on 2.7–3.12 the 50-level trashcan keeps nested calls far from it).
    fn enter_call(&mut self, code: usize) -> Option<Option<usize>> {
        if let Some(c) = self.p.c_recursion {
            if self.c_remaining < 1 {
                return None;
            }
            self.c_remaining -= i64::from(c.eval_units);
        }
        let depth = PROGRAM_PY_FRAMES as usize + self.frames.len();
        if depth >= self.p.recursion_limit as usize {
            if let Some(c) = self.p.c_recursion {
                self.c_remaining += i64::from(c.eval_units);
            }
            return None;
        }
        Some(self.frame_object_new(code))
    }

    /// The eval entry returns: its C units come back (3.13), after its frame's locals were
    /// released (`_PyEval_FrameClearAndPop` runs before the entry frame's exit).
    fn leave_call(&mut self) {
        if let Some(c) = self.p.c_recursion {
            self.c_remaining += i64::from(c.eval_units);
        }
    }

    /// A function body called from C (a `__del__`, a callback): an exception ends it and is
    /// printed and ignored (`PyErr_WriteUnraisable`), unless the run is stopping.
    fn run_body(&mut self, body: &[crate::scenario::Step]) {
        for step in body {
            if let Err(e) = self.exec(step) {
                if e.kind == RETURN {
                    // `return VALUE`: the caller (C) drops the result.
                    if let Some(v) = self.ret.take() {
                        self.decref(v);
                    }
                } else if !self.runaway {
                    self.unraisable(e.kind);
                }
                break;
            }
        }
    }

    /// A Python function's body until it ends, returns (its value, an owned reference; `None`
    /// at the end) or raises.
    fn run_function_body(&mut self, body: &[crate::scenario::Step]) -> PyResult<Val> {
        for step in body {
            if let Err(e) = self.exec(step) {
                if e.kind == RETURN {
                    return Ok(self.ret.take().unwrap_or(Val::None));
                }
                return Err(e);
            }
        }
        Ok(Val::None)
    }

    /// An exception CPython prints and ignores (`PyErr_WriteUnraisable`): counted by type.
    pub(super) fn unraisable(&mut self, kind: &'static str) {
        match self.ignored.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => self.ignored.push((kind, 1)),
        }
    }

    /// Run a `__del__` body: `slot_tp_finalize`/`slot_tp_del` calling the method. Exceptions
    /// are printed and ignored (`PyErr_WriteUnraisable`), and so is a call that fails on a
    /// recursion limit ([`Machine::enter_call`]): its body does not run.
    pub(super) fn call_del(&mut self, id: Id) {
        // The exception being raised, if any, is saved around the call (`PyErr_Fetch` …
        // `PyErr_Restore`: `slot_tp_finalize`, `handle_callback`, `invoke_gc_callback`).
        self.with_exception_fetched(|m| m.call_del_unset(id));
    }

    fn call_del_unset(&mut self, id: Id) {
        let class = match self.heap.kind(id) {
            Kind::Instance(i) => i.class(),
            _ => return,
        };
        // The `__del__` found on the MRO runs, with its class's code and scope.
        let Some(class) = self.classes[class].finalizer else {
            return;
        };
        let Some(body) = self.sc.classes[class].del.as_ref() else {
            return;
        };
        if self.runaway {
            return;
        }
        // Before the body's first line runs (which records the `__del__` event), the call
        // allocates: slot_tp_del (2.7) / slot_tp_finalize (3.6) look `__del__` up as a bound
        // method, 2.7's method call builds an argument tuple holding self, and ≤3.10 the call
        // takes or makes its frame; then 3.12+'s RESUME checks the eval breaker. An automatic
        // collection any of them starts runs before the event.
        if self.p.bound_method_calls {
            self.temp_alloc(Temp::Method);
        }
        if self.p.del_is_legacy {
            self.temp_alloc(Temp::Tuple(1));
        }
        match self.enter_call(class) {
            None => self.unraisable(self.p.recursion_error),
            Some(obj) => {
                let sc: &'s crate::scenario::Scenario = self.sc;
                let owner = || format!("{}.__del__", sc.classes[class].name);
                let locals = self.frame_locals(
                    &sc.classes[class].del_scope,
                    &[Val::Obj(id)],
                    1,
                    false,
                    owner,
                );
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
                self.frames.push(Frame {
                    class: Some(class),
                    method: None,
                    func: None,
                    extra: Vec::new(),
                    callback: None,
                    locals,
                    obj,
                    finalizing: Some(label),
                    exc_saved: None,
                });
                self.run_body(body);
                self.frame_dealloc();
                self.leave_call();
                if pushed {
                    self.ctx_pop();
                }
            }
        }
        if self.p.del_is_legacy {
            self.temp_free(Temp::Tuple(1));
        }
        if self.p.bound_method_calls {
            self.temp_free(Temp::Method);
        }
    }

    /// The `callbacks:` index of function `name` as its code id ([`callback_code`]), or the
    /// harness's `callback` ([`BUILTIN_CALLBACK_CODE`]).
    pub(super) fn callback_code_of(&self, name: &str) -> usize {
        self.sc
            .callback_index(name)
            .map_or(BUILTIN_CALLBACK_CODE, callback_code)
    }

    /// A weakref callback called with weakref `wr` (`handle_callback` in
    /// `Objects/weakrefobject.c`, or `handle_weakrefs` in the collector): its first line
    /// records that it ran; a `callbacks:` function then runs its body. Exceptions are printed
    /// and ignored (`PyErr_WriteUnraisable(callback)`), and so is a call that fails on a
    /// recursion limit ([`Machine::enter_call`]).
    pub(super) fn call_callback(&mut self, wr: Id, code: usize) {
        // The exception being raised, if any, is saved around the call (`PyErr_Fetch` …
        // `PyErr_Restore`: `slot_tp_finalize`, `handle_callback`, `invoke_gc_callback`).
        self.with_exception_fetched(|m| m.call_callback_unset(wr, code));
    }

    fn call_callback_unset(&mut self, wr: Id, code: usize) {
        if self.runaway {
            return;
        }
        let index = callback_index(code);
        // 2.7 PyObject_CallFunctionObjArgs builds an argument tuple; the call enters a frame
        // (≤3.10 a frame object); 3.12+'s RESUME checks the eval breaker: all before the body
        // records the event.
        if self.p.del_is_legacy {
            self.temp_alloc(Temp::Tuple(1));
        }
        match self.enter_call(code) {
            None => self.unraisable(self.p.recursion_error),
            Some(obj) => {
                let sc: &'s crate::scenario::Scenario = self.sc;
                let locals = match index {
                    Some(i) => {
                        let c = &sc.callbacks[i];
                        self.frame_locals(&c.scope, &[Val::Obj(wr)], 1, false, || c.name.clone())
                    }
                    None => {
                        self.incref(Val::Obj(wr));
                        vec![("wr".to_string(), Some(Val::Obj(wr)))]
                    }
                };
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
                self.frames.push(Frame {
                    class: None,
                    method: None,
                    func: None,
                    extra: Vec::new(),
                    callback: index,
                    locals,
                    obj,
                    finalizing: None,
                    exc_saved: None,
                });
                if let Some(i) = index {
                    self.run_body(&self.sc.callbacks[i].body);
                }
                self.frame_dealloc();
                self.leave_call();
            }
        }
        if self.p.del_is_legacy {
            self.temp_free(Temp::Tuple(1));
        }
    }

    /// The harness's `gc.callbacks` entry (`record: collections`), called by
    /// `invoke_gc_callback`: the eval entry (≤3.10 its frame object, the code object's zombie
    /// frame from the second call on), 3.12+'s RESUME checking the eval breaker (a collection
    /// scheduled before this one runs now: nested on 3.12, lost on 3.13), then, in the "stop"
    /// phase, the body records the collection (`event`) without allocating; its locals
    /// (`phase`, `info`) are the caller's objects, released by it.
    pub(super) fn call_gc_callback(&mut self, event: Option<Event>) {
        // The exception being raised, if any, is saved around the call (`PyErr_Fetch` …
        // `PyErr_Restore`: `slot_tp_finalize`, `handle_callback`, `invoke_gc_callback`).
        self.with_exception_fetched(|m| m.call_gc_callback_unset(event));
    }

    fn call_gc_callback_unset(&mut self, event: Option<Event>) {
        match self.enter_call(GC_CALLBACK_CODE) {
            None => self.unraisable(self.p.recursion_error),
            Some(obj) => {
                self.frames.push(Frame {
                    class: None,
                    method: None,
                    func: None,
                    extra: Vec::new(),
                    callback: None,
                    locals: Vec::new(),
                    obj,
                    finalizing: None,
                    exc_saved: None,
                });
                self.eval_breaker();
                if let Some(e) = event {
                    self.events.push(e);
                }
                self.frame_dealloc();
                self.leave_call();
            }
        }
    }

    /// Fill (`fill`) or empty the stand-ins of the tracked frame objects (2.7, 3.6) around a
    /// collection: each gets what `frame_traverse` visits (its `f_back` frame's stand-in, then
    /// its locals, cells and free variables: a running call's as they are now, a returned one's
    /// as it keeps them) and its reference count (the running call's reference, one per
    /// frame whose `f_back` it is). Outside collections they hold nothing, so the model's
    /// other walks (invariants, observations) see the frames' references where they always
    /// did. While a frame runs its value stack is not traversed (`f_stacktop` is NULL).
    pub(super) fn frame_refs_for_collection(&mut self, fill: bool) {
        if self.tracked_frames.is_empty() {
            return;
        }
        let running: std::collections::HashMap<usize, usize> = self
            .frames
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.obj.map(|o| (o, i)))
            .collect();
        for k in 0..self.tracked_frames.len() {
            let slot = self.tracked_frames[k];
            let Some(o) = self.frame_objs[slot].as_ref() else {
                continue;
            };
            if o.gc == NIL {
                continue;
            }
            let gc = o.gc;
            let mut refs = Vec::new();
            if fill {
                if let Some(b) = o.back
                    && let Some(bo) = self.frame_objs[b].as_ref()
                    && bo.gc != NIL
                {
                    refs.push(bo.gc);
                }
                match running.get(&slot) {
                    Some(&i) => refs.extend(
                        self.frames[i]
                            .locals
                            .iter()
                            .filter_map(|(_, v)| v.and_then(|v| v.obj())),
                    ),
                    None => refs.extend(o.locals.iter().filter_map(|v| v.obj())),
                }
                self.heap.hdr_mut(gc).refcnt = o.refcnt as i64;
            }
            if let Kind::Frame(fr) = self.heap.kind_mut(gc) {
                fr.locals = refs.into_iter().map(Val::Obj).collect();
            }
        }
    }

    /// The call returns: its frame leaves the stack and its locals are released in
    /// `co_varnames` order, by `frame_dealloc` (≤3.10, [`Machine::frame_object_dealloc`]; not
    /// while a deposited frame's `f_back` still holds it) or `_PyFrame_ClearLocals` (3.11+).
    fn frame_dealloc(&mut self) {
        // 2.7: the eval loop's exit puts back the exception its caller was handling
        // (`reset_exc_info`), before the frame goes.
        self.reset_exc_info();
        let f = self.frames.pop().expect("frame");
        let escapes = f
            .obj
            .is_some_and(|o| self.frame_objs[o].as_ref().is_some_and(|x| x.heap_refs > 0));
        let (name, names) = if escapes {
            (
                self.frame_name(&f),
                f.locals
                    .iter()
                    .filter(|(_, v)| v.is_some())
                    .map(|(n, _)| n.as_str().into())
                    .collect(),
            )
        } else {
            (Box::from(""), Vec::new())
        };
        // The locals are in `f_localsplus` order ([`Machine::frame_locals`]). What the frame owns besides (3.11+ `f_func`) goes after the locals.
        let mut locals: Vec<Val> = f.locals.into_iter().filter_map(|(_, v)| v).collect();
        match f.obj {
            Some(o) if escapes => {
                // A traceback holds the frame: it keeps its locals (and 3.11+ its function).
                let func = match f.extra.first() {
                    Some(Val::Obj(x)) => *x,
                    _ => NIL,
                };
                self.frame_escape(o, locals, func, name, names);
            }
            Some(o) if self.p.trashcan.frames_are_objects => {
                locals.extend(f.extra);
                self.frame_obj_mut(o).locals = locals;
                self.frame_object_decref(o);
            }
            Some(o) => {
                // 3.11+ `_PyFrame_ClearExceptCode`: the frame object first, then the locals.
                self.frame_object_decref(o);
                for v in locals.into_iter().chain(f.extra) {
                    self.decref(v);
                }
            }
            None => {
                for v in locals.into_iter().chain(f.extra) {
                    self.decref(v);
                }
            }
        }
    }
}
