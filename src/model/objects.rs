//! Objects: instances (`type_call` → `PyType_GenericAlloc`), attributes
//! (`PyObject_GenericSetAttr`, member descriptors for `__slots__`, 3.11+ inline values and shared
//! keys), dict stores (`PyDict_SetItem`), weak references (`weakref___new__`), and the small
//! lookups statements need (`len`, subscripts, type checks).

use super::heap::{Id, Kind, Val, WeakFlavor};
use super::machine::{Machine, PyResult, exc};
use crate::scenario::{MethodKind, Target, Value};

impl Machine<'_> {
    /// `type_call` → `PyType_GenericAlloc`: a new instance, tracked at once (GC classes).
    pub(super) fn new_instance(&mut self, class: usize) -> Id {
        let cs = &self.classes[class];
        let is_gc = cs.is_gc;
        // An exception's `__traceback__` and `__context__` (3.x) follow its own slots.
        let nslots = cs.slots.len()
            + if self.sc.classes[class].exception {
                super::exceptions::hidden_slots(self.p.exceptions.traceback_attr)
            } else {
                0
            };
        if is_gc {
            self.gc_alloc();
        }
        // Room for every key the class's shared keys hold so far (3.11+ inline values).
        let cs = &self.classes[class];
        let inline = if cs.inline { cs.keys.len() } else { 0 };
        let id = self.heap.alloc_instance(class, nslots, inline, is_gc);
        // `PyType_GenericAlloc`: "if (type->tp_flags & Py_TPFLAGS_HEAPTYPE) Py_INCREF(type)".
        self.incref(Val::Obj(self.type_of_class(class)));
        if is_gc {
            self.track(id);
        }
        let cs = &mut self.classes[class];
        if cs.inline && cs.usable > 1 {
            // Each instance creation takes one key slot of the shared keys while more than one
            // is free (`init_inline_values` 3.11–3.12, `_PyObject_InitInlineValues` 3.13:
            // `if (keys->dk_usable > 1) keys->dk_usable--`; docs/cpython-gc-facts.md §7).
            cs.usable -= 1;
        }
        id
    }

    /// A compile-time constant tuple: untracked, held by the code object forever.
    pub(super) fn constant_tuple(&mut self, items: &[Value]) -> PyResult<Id> {
        let vals = items
            .iter()
            .map(|v| self.value(v))
            .collect::<PyResult<Vec<_>>>()?;
        let id = self.heap.alloc(Kind::Tuple(vals), true);
        self.heap.hdr_mut(id).refcnt = 1;
        self.tuple_constants.insert(id);
        Ok(id)
    }

    /// The owner of an attribute access must be a scenario instance; anything else raises the
    /// `AttributeError` CPython's `PyObject_GetAttr` would (ints, `None`, containers have no
    /// scenario attributes).
    pub(super) fn instance_of(&self, v: Val, what: &str) -> PyResult<Id> {
        match v {
            Val::Obj(id) if matches!(self.heap.kind(id), Kind::Instance(_)) => Ok(id),
            Val::None => Err(exc(
                "AttributeError",
                format!("'NoneType' object has no attribute '{what}'"),
            )),
            Val::Int(_) => Err(exc(
                "AttributeError",
                format!("'int' object has no attribute '{what}'"),
            )),
            Val::Obj(id) => Err(exc(
                "AttributeError",
                format!("'{}' object has no attribute '{what}'", self.type_name(id)),
            )),
        }
    }

    /// `Py_TYPE(x)->tp_name`: the scenario class name, `list`, `dict`, `tuple`, `weakref`.
    pub(super) fn type_name(&self, id: Id) -> String {
        match self.heap.kind(id) {
            Kind::Instance(i) => self.sc.classes[i.class()].name.clone(),
            Kind::List(_) => "list".into(),
            Kind::Dict(_) => "dict".into(),
            Kind::Tuple(_) => "tuple".into(),
            Kind::Set(s) if s.frozen => "frozenset".into(),
            Kind::Set(_) => "set".into(),
            Kind::WeakRef { flavor, .. } => flavor.type_name().into(),
            Kind::Method { .. } => self.p.method_type_name.into(),
            Kind::Function { .. } => "function".into(),
            Kind::Cell(_) => "cell".into(),
            Kind::Type { .. } => "type".into(),
            Kind::Descr { getset: false, .. } => "member_descriptor".into(),
            Kind::Descr { getset: true, .. } => "getset_descriptor".into(),
            Kind::MethodFunc { .. } => "function".into(),
            Kind::Decorated { class, method, .. } => self
                .decorated_type_name(*class as usize, *method as usize)
                .into(),
            Kind::Head => "head".into(),
            Kind::Frame(_) => "frame".into(),
            Kind::Traceback { .. } => "traceback".into(),
        }
    }

    /// `PyObject_GenericSetAttr` (or a slot's member descriptor). Takes a new reference to `v`.
    pub(super) fn setattr(&mut self, obj: Id, attr: &str, v: Val) -> PyResult<()> {
        let class = match self.heap.kind(obj) {
            Kind::Instance(i) => i.class(),
            // `type_setattro` → `PyObject_GenericSetAttr` on the type: into its dict (which a
            // GC value makes tracked), then `PyType_Modified` (the method cache only).
            Kind::Type { dict, .. } => {
                let d = *dict;
                self.dict_set(d, attr, v);
                return Ok(());
            }
            _ => unreachable!("checked instance"),
        };
        let cs = &self.classes[class];
        let slot = cs.slots.iter().position(|s| s == attr);
        let (cs_has_dict, cs_inline, key, usable) = (
            cs.has_dict,
            cs.inline,
            cs.keys.iter().position(|k| k == attr),
            cs.usable,
        );
        if let Some(si) = slot {
            self.incref(v);
            let old = self.heap.set_slot(obj, si, Some(v));
            if let Some(o) = old {
                self.decref(o);
            }
            return Ok(());
        }
        if !cs_has_dict {
            return Err(exc(
                "AttributeError",
                format!(
                    "'{}' object has no attribute '{attr}'",
                    self.sc.classes[class].name
                ),
            ));
        }
        let has_dict = matches!(self.heap.kind(obj), Kind::Instance(i) if i.dict.is_some());
        if cs_inline && !has_dict {
            // _PyObject_StoreInstanceAttribute / insert_into_dictkeys.
            let idx = match key {
                Some(i) => Some(i),
                None if usable > 0 => {
                    let c = &mut self.classes[class];
                    c.keys.push(attr.to_string());
                    c.usable -= 1;
                    Some(c.keys.len() - 1)
                }
                None => None,
            };
            if let Some(idx) = idx {
                self.incref(v);
                let old = self.heap.set_inline(obj, idx, Some(v));
                if let Some(o) = old {
                    self.decref(o);
                }
                return Ok(());
            }
            // The shared keys are full: this instance gets a real dict holding its values
            // (make_dict_from_instance_attributes), then the store goes to the dict.
            self.materialize_dict(obj);
        }
        let d = match self.heap.kind(obj) {
            Kind::Instance(i) => i.dict,
            _ => unreachable!(),
        };
        let d = match d {
            Some(d) => d,
            None => {
                // _PyObjectDict_SetItem: the instance dict is created on the first store.
                let dobj = self.new_dictobj(0);
                let d = self.new_object(Kind::Dict(Box::new(dobj)));
                self.heap.hdr_mut(d).refcnt = 1;
                if let Kind::Instance(i) = self.heap.kind_mut(obj) {
                    i.dict = Some(d);
                }
                d
            }
        };
        self.dict_set(d, attr, v);
        Ok(())
    }

    /// `LOAD_ATTR` of an instance attribute that is no method (`PyObject_GenericGetAttr`): a
    /// slot's member descriptor, else the `__dict__` or the inline values; the value is not yet
    /// increfed. Unset: AttributeError.
    pub(super) fn getattr_value(&self, obj: Id, attr: &str) -> PyResult<Val> {
        let Kind::Instance(i) = self.heap.kind(obj) else {
            return Err(exc(
                "AttributeError",
                format!("'{}' object has no attribute '{attr}'", self.type_name(obj)),
            ));
        };
        let cs = &self.classes[i.class()];
        let found = if let Some(k) = cs.slots.iter().position(|s| s == attr) {
            self.heap.slot(obj, k)
        } else if let Some(d) = i.dict {
            match self.heap.kind(d) {
                Kind::Dict(dd) => dd.get(attr),
                _ => None,
            }
        } else {
            cs.keys
                .iter()
                .position(|k| k == attr)
                .filter(|k| *k < i.inline_cap())
                .and_then(|k| self.heap.inline(obj, k))
        };
        // Not the instance's own: a class attribute found on the MRO (`_PyType_Lookup`).
        found
            .or_else(|| self.class_attr(i.class(), attr))
            .ok_or_else(|| {
                exc(
                    "AttributeError",
                    format!("'{}' object has no attribute '{attr}'", self.type_name(obj)),
                )
            })
    }

    /// `_PyType_Lookup(type, attr)`: `attr` in the dicts of `class`'s MRO, first found.
    pub(super) fn class_attr(&self, class: usize, attr: &str) -> Option<Val> {
        self.classes[class]
            .mro
            .iter()
            .find_map(|&k| match self.heap.kind(self.type_of_class(k)) {
                Kind::Type { dict, .. } if *dict != super::heap::NIL => match self.heap.kind(*dict)
                {
                    Kind::Dict(d) => d.get(attr),
                    _ => None,
                },
                _ => None,
            })
    }

    /// What a method is read through: an instance (`x.m`: its class) or a class (`A.m`,
    /// `c.m` with `c = A`: the class itself). Anything else has no scenario methods.
    pub(super) fn method_owner(&self, v: Val, what: &str) -> PyResult<(Option<Id>, usize)> {
        if let Val::Obj(t) = v
            && let Kind::Type { class, .. } = *self.heap.kind(t)
        {
            return Ok((None, class as usize));
        }
        let o = self.instance_of(v, what)?;
        let Kind::Instance(i) = self.heap.kind(o) else {
            unreachable!("an instance")
        };
        Ok((Some(o), i.class()))
    }

    /// `obj.method` (`LOAD_ATTR`): through an instance, a plain method is a new bound method
    /// (`func_descr_get` → `PyMethod_New(func, self)`; 2.7 also the class it was looked up
    /// through); through an instance or a class, a static method is its function
    /// (`sm_descr_get`: no new object) and a class method a new bound method of the class
    /// (`cm_descr_get` → `PyMethod_New(func, type)`). A new bound method stays on the value
    /// stack until the statement is done. The value is not increfed for the consumer.
    pub(super) fn method_value(&mut self, obj: Val, method: &str) -> PyResult<Val> {
        let (inst, class) = self.method_owner(obj, method)?;
        let Some((defining, m)) = self.find_method(class, method) else {
            return Err(exc(
                "AttributeError",
                format!(
                    "'{}' object has no attribute '{method}'",
                    self.sc.classes[class].name
                ),
            ));
        };
        let id = match (self.sc.classes[defining].methods[m].kind, inst) {
            (MethodKind::Static, _) => return Ok(Val::Obj(self.method_func(defining, m as u32))),
            (MethodKind::Class, _) => self.class_bound_method(class, defining, m),
            (MethodKind::Plain, Some(o)) => {
                let im_class = if self.p.method_holds_class {
                    self.type_of_class(class)
                } else {
                    super::heap::NIL
                };
                self.method_new(o, defining, m, im_class)
            }
            // `A.m`: 3.x `func_descr_get` with no instance returns the function itself; 2.7
            // makes an unbound method.
            (MethodKind::Plain, None) if self.p.unbound_methods => {
                self.unbound_method(class, defining, m)
            }
            (MethodKind::Plain, None) => return Ok(Val::Obj(self.method_func(defining, m as u32))),
        };
        self.stack.push(Val::Obj(id));
        Ok(Val::Obj(id))
    }

    /// `PyMethod_New(func, self, klass)`: a new method object (refcount 1, tracked; from the
    /// method free list where the version has one) of method `m` of `defining`, holding its
    /// function, `im_self` and `im_class` ([`NIL`](super::heap::NIL) for none).
    fn method_new(&mut self, im_self: Id, defining: usize, m: usize, im_class: Id) -> Id {
        let im_func = self.method_func(defining, m as u32);
        let id = self.new_object(Kind::Method {
            im_self,
            class: defining as u32,
            method: m as u32,
            im_func,
            im_class,
        });
        for r in [im_func, im_self, im_class] {
            if r != super::heap::NIL {
                self.incref(Val::Obj(r));
            }
        }
        self.heap.hdr_mut(id).refcnt = 1;
        self.track(id);
        id
    }

    /// 2.7 `func_descr_get(func, NULL, type)` → `PyMethod_New(func, NULL, type)`: a new unbound
    /// method of plain method `m` of `defining`, read through class `class`: no `im_self`,
    /// `im_class` the type read through.
    pub(super) fn unbound_method(&mut self, class: usize, defining: usize, m: usize) -> Id {
        let im_class = self.type_of_class(class);
        self.method_new(super::heap::NIL, defining, m, im_class)
    }

    /// `cm_descr_get`: a new bound method (refcount 1, tracked) of class method `m` of
    /// `defining`, read through class `class` (or an instance of it): `im_self` the type of
    /// `class`, `im_func` the method's function (2.7's `im_class` is the metatype `type`, a
    /// static type outside the model).
    pub(super) fn class_bound_method(&mut self, class: usize, defining: usize, m: usize) -> Id {
        let t = self.type_of_class(class);
        self.method_new(t, defining, m, super::heap::NIL)
    }

    /// `x.__class__ = B`: `object_set_class`. The loader checked `compatible_for_assignment`
    /// (same slots, dict and weakref layout), so the instance's values stay where they are.
    /// 3.11+ `object_set_class` first materializes an instance's inline values into a real
    /// dict, even an empty one (the new class has other shared keys; 3.11 does it through
    /// `_PyObject_GetDictPtr`), measured on 3.11–3.13 (`classes/class_assignment_dict_3_11`);
    /// then `ob_type` changes, the instance's reference moving from the old type to the new.
    pub(super) fn exec_set_class(&mut self, obj: &str, class: &str) -> PyResult<()> {
        let v = self.load(obj)?;
        let o = self.instance_of(v, "__class__")?;
        let new = self
            .sc
            .class_index(class)
            .expect("the loader checked the class");
        let (old, has_dict) = match self.heap.kind(o) {
            Kind::Instance(i) => (i.class(), i.dict.is_some()),
            _ => unreachable!("an instance"),
        };
        if self.classes[old].inline && !has_dict {
            self.materialize_dict(o);
        }
        // "Py_INCREF(newto); Py_SET_TYPE(self, newto); ... Py_DECREF(oldto)".
        self.incref(Val::Obj(self.type_of_class(new)));
        if let Kind::Instance(i) = self.heap.kind_mut(o) {
            i.set_class(new);
        }
        self.decref(Val::Obj(self.type_of_class(old)));
        Ok(())
    }

    /// 3.11+: give an inline-values instance a real `__dict__` with its current values.
    fn materialize_dict(&mut self, obj: Id) {
        let class = match self.heap.kind(obj) {
            Kind::Instance(i) => i.class(),
            _ => unreachable!(),
        };
        let vals = self.heap.take_inline(obj);
        let keys = self.classes[class].keys.clone();
        let mut dobj = self.new_dictobj(0);
        let mut track = false;
        for (k, v) in keys.iter().zip(vals) {
            if let Some(v) = v {
                track |= self.may_be_tracked(v);
                dobj.set(k, v);
            }
        }
        let d = self.new_object(Kind::Dict(Box::new(dobj)));
        self.heap.hdr_mut(d).refcnt = 1;
        if track {
            self.track(d);
        }
        if let Kind::Instance(i) = self.heap.kind_mut(obj) {
            i.dict = Some(d);
        }
    }

    /// `PyDict_SetItem`: takes a new reference to `v`; tracks the dict if needed; releases the
    /// replaced value after the store.
    pub(super) fn dict_set(&mut self, d: Id, key: &str, v: Val) {
        self.incref(v);
        let old = match self.heap.kind_mut(d) {
            Kind::Dict(dd) => dd.set(key, v),
            _ => unreachable!(),
        };
        self.maintain_tracking(d, v);
        if let Some(o) = old {
            self.decref(o);
        }
    }

    /// `PyObject_GenericSetAttr(obj, attr, NULL)` (`del x.attr`): empty the slot, the inline
    /// value or the `__dict__` entry, then release the value; `AttributeError` when it is unset.
    pub(super) fn delattr(&mut self, obj: Id, attr: &str) -> PyResult<()> {
        if let Kind::Type { dict, .. } = *self.heap.kind(obj) {
            // `type_setattro(type, name, NULL)`: out of the type's dict.
            let old = match self.heap.kind_mut(dict) {
                Kind::Dict(d) => d.remove(attr),
                _ => None,
            };
            return match old {
                Some(o) => {
                    self.decref(o);
                    Ok(())
                }
                None => Err(exc(
                    "AttributeError",
                    format!("type object has no attribute '{attr}'"),
                )),
            };
        }
        let class = match self.heap.kind(obj) {
            Kind::Instance(i) => i.class(),
            _ => unreachable!(),
        };
        let cs = &self.classes[class];
        let slot = cs.slots.iter().position(|s| s == attr);
        let key = cs.keys.iter().position(|k| k == attr);
        let missing = || exc("AttributeError", attr.to_string());
        let old = if let Some(si) = slot {
            self.heap.set_slot(obj, si, None)
        } else {
            let (dict, inline_idx) = match self.heap.kind(obj) {
                Kind::Instance(i) => (i.dict, key),
                _ => unreachable!(),
            };
            match dict {
                Some(d) => match self.heap.kind_mut(d) {
                    Kind::Dict(dd) => dd.remove(attr),
                    _ => unreachable!(),
                },
                None => inline_idx.and_then(|idx| self.heap.set_inline(obj, idx, None)),
            }
        };
        match old {
            Some(o) => {
                self.decref(o);
                Ok(())
            }
            None => Err(missing()),
        }
    }

    /// The owner of `x.attr` or `gc.garbage[i].attr` (`BINARY_SUBSCR` on the `gc.garbage` list,
    /// negative indices from the end).
    pub(super) fn target_obj(&self, t: &Target, attr: &str) -> PyResult<Id> {
        match t {
            Target::Name(n) => {
                let v = self.load(n)?;
                match v {
                    // A class attribute (`A.attr = v`: `type_setattro`).
                    Val::Obj(t) if matches!(self.heap.kind(t), Kind::Type { .. }) => Ok(t),
                    _ => self.instance_of(v, attr),
                }
            }
            Target::GarbageItem(i) => {
                let items = match self.heap.kind(self.garbage_attr) {
                    Kind::List(items) => items.clone(),
                    _ => unreachable!(),
                };
                let n = items.len() as i64;
                let idx = if *i < 0 { n + *i } else { *i };
                if idx < 0 || idx >= n {
                    return Err(exc("IndexError", "list index out of range"));
                }
                self.instance_of(items[idx as usize], attr)
            }
        }
    }

    /// `STORE_ATTR`: the value and the owner are held on the stack while the store happens.
    pub(super) fn store_attr(&mut self, o: Id, attr: &str, v: Val) -> PyResult<()> {
        self.incref(v);
        self.incref(Val::Obj(o));
        let r = self.setattr(o, attr, v);
        self.decref(Val::Obj(o));
        self.decref(v);
        r
    }

    /// `len(x)` (`PyObject_Size`).
    pub(super) fn length(&self, v: Val) -> PyResult<usize> {
        match v {
            Val::Obj(id) => match self.heap.kind(id) {
                Kind::List(items) | Kind::Tuple(items) => Ok(items.len()),
                Kind::Dict(d) => Ok(d.entries.iter().flatten().count()),
                _ => Err(exc(
                    "TypeError",
                    format!("object of type '{}' has no len()", self.type_name(id)),
                )),
            },
            Val::None => Err(exc("TypeError", "object of type 'NoneType' has no len()")),
            Val::Int(_) => Err(exc("TypeError", "object of type 'int' has no len()")),
        }
    }

    /// `x[i]` with a non-negative int (`BINARY_SUBSCR`): the item, not yet increfed.
    pub(super) fn subscript(&self, v: Val, i: usize) -> PyResult<Val> {
        match v {
            Val::Obj(id) => match self.heap.kind(id) {
                Kind::List(items) => items
                    .get(i)
                    .copied()
                    .ok_or_else(|| exc("IndexError", "list index out of range")),
                Kind::Tuple(items) => items
                    .get(i)
                    .copied()
                    .ok_or_else(|| exc("IndexError", "tuple index out of range")),
                Kind::Dict(_) => Err(exc("KeyError", i.to_string())),
                _ => Err(exc(
                    "TypeError",
                    format!("'{}' object is not subscriptable", self.type_name(id)),
                )),
            },
            Val::None => Err(exc("TypeError", "'NoneType' object is not subscriptable")),
            Val::Int(_) => Err(exc("TypeError", "'int' object is not subscriptable")),
        }
    }

    /// `weakref.ref(x[, callback])` (`weakref___new__`, `PyWeakref_NewRef`) or
    /// `weakref.proxy(x[, callback])` (`PyWeakref_NewProxy`, `flavor` a proxy flavour), in
    /// `Objects/weakrefobject.c`: without a callback the referent's existing basic ref (or basic
    /// proxy) is returned, with a new reference (`false`: nothing new); otherwise a new weak
    /// reference (`new_weakref`: a GC object, tracked) goes into the referent's list where
    /// `get_basic_refs` says: a basic ref at the head (`insert_head`), a basic proxy after the
    /// basic ref, one with a callback after the basic proxy, else after the basic ref, else at
    /// the head. The callbacks of `PyObject_ClearWeakRefs` run in list order.
    pub(super) fn new_weakref(
        &mut self,
        referent: Id,
        callback: Option<usize>,
        flavor: WeakFlavor,
    ) -> (Id, bool) {
        // get_basic_refs: the head if it is a ref without callback, then (after it, or at the
        // head) a proxy without callback.
        let (basic_ref, basic_proxy) = {
            let list = self.heap.weakrefs(referent);
            let plain = |i: usize| -> Option<(Id, WeakFlavor)> {
                let w = *list.get(i)?;
                match self.heap.kind(w) {
                    Kind::WeakRef {
                        callback: None,
                        flavor,
                        ..
                    } => Some((w, *flavor)),
                    _ => None,
                }
            };
            match plain(0) {
                Some((r, WeakFlavor::Ref)) => {
                    (Some(r), plain(1).filter(|p| p.1.is_proxy()).map(|p| p.0))
                }
                Some((p, _)) => (None, Some(p)),
                None => (None, None),
            }
        };
        let existing = if flavor.is_proxy() {
            basic_proxy
        } else {
            basic_ref
        };
        if callback.is_none()
            && let Some(b) = existing
        {
            self.incref(Val::Obj(b));
            return (b, false);
        }
        self.weakrefs_exist = true;
        let w = self.new_object(Kind::WeakRef {
            referent: Some(referent),
            callback,
            flavor,
        });
        self.heap.hdr_mut(w).refcnt = 1;
        self.track(w);
        let prev = match (flavor.is_proxy(), callback) {
            (false, None) => None,
            (true, None) => basic_ref,
            (_, Some(_)) => basic_proxy.or(basic_ref),
        };
        let list = self.heap.weakrefs_mut(referent);
        match prev.and_then(|p| list.iter().position(|&x| x == p)) {
            Some(i) => list.insert(i + 1, w),
            None => list.insert(0, w),
        }
        (w, true)
    }

    /// The object a container method is called on (`l.append(x)`, `s.add(x)`) must be of type
    /// `want`; any other has no such attribute (`AttributeError`, as the method's lookup raises
    /// it: `'NoneType' object has no attribute 'discard'`).
    pub(super) fn container_method_owner(&self, v: Val, want: &str, method: &str) -> PyResult<Id> {
        let t = match v {
            Val::Obj(id) if self.type_name(id) == want => return Ok(id),
            Val::Obj(id) => self.type_name(id),
            Val::None => "NoneType".to_string(),
            Val::Int(_) => "int".to_string(),
        };
        Err(exc(
            "AttributeError",
            format!("'{t}' object has no attribute '{method}'"),
        ))
    }

    /// The container a subscript statement names must be of type `want`.
    pub(super) fn expect_kind(&self, v: Val, want: &str) -> PyResult<Id> {
        if let Val::Obj(id) = v
            && self.type_name(id) == want
        {
            return Ok(id);
        }
        Err(exc("TypeError", format!("expected a {want}")))
    }
}
