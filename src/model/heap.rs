//! The model's heap: objects in an arena, reference counts, and CPython's intrusive
//! doubly-linked GC lists (`PyGC_Head`), with the same list operations as `gcmodule.c`
//! (`gc_list_append`, `gc_list_remove`, `gc_list_move`, `gc_list_merge`).
//!
//! Laid out for the collector's passes, struct-of-arrays: [`Links`] holds every object's
//! 24-byte header (refcount and `PyGC_Head`) in one dense array, the kinds (what an object is
//! and holds, at most 40 bytes; an instance keeps up to [`SMALL`] values in itself) are another,
//! and the rare parts (weak-reference lists, labels, values of larger instances) live in side
//! tables. [`Heap::split`] lends the headers mutably and the contents read-only at once, which
//! is what `update_refs`, `subtract_refs` and `move_unreachable` need.

pub use super::dict::DictObj;
use super::set::SetObj;
use std::collections::HashMap;

pub use super::value::{Id, Val};

/// Marks "no link".
pub const NIL: Id = u32::MAX;

/// The method number of `__del__` in [`Kind::MethodFunc`] and [`Kind::Method`].
pub const DEL_METHOD: u32 = u32::MAX;

/// An instance of a scenario class. Its `__slots__` values and 3.11+ inline values, `cap` of
/// them, sit in the instance itself when there are at most [`SMALL`] (as CPython keeps slots in
/// the object), otherwise in a block of the heap's value arena: the `nslots` slots first
/// (sorted slot-name order), then the inline values by shared-key index. Read and write them
/// with [`Heap::slot`], [`Heap::inline`] and their setters.
#[derive(Debug, Clone, Default)]
pub struct Inst {
    cls: u32,
    /// The `__dict__` object, if one exists (≤3.10 after the first attribute store; 3.11+ only
    /// when the class's shared keys overflowed).
    pub dict: Option<Id>,
    pub nslots: u16,
    pub cap: u16,
    /// The values when `cap <= SMALL`; otherwise `small[0]` is the block's index in the arena.
    small: [Packed; SMALL],
}

/// How many values an instance holds without a block in the arena. A layout choice of the
/// model (not a CPython number): three values keep [`Kind`] within 40 bytes (see the
/// `object_layout_stays_compact` test) and cover the common small instance.
pub const SMALL: usize = 3;

impl Inst {
    /// The index of the class in the scenario.
    pub fn class(&self) -> usize {
        self.cls as usize
    }

    /// `__class__` assignment between classes of the same layout.
    pub fn set_class(&mut self, class: usize) {
        self.cls = u32::try_from(class).expect("class indices fit in u32");
    }

    /// How many inline-value places the instance has (unset ones read as absent).
    pub fn inline_cap(&self) -> usize {
        (self.cap - self.nslots) as usize
    }

    fn spilled(&self) -> bool {
        self.cap as usize > SMALL
    }

    fn block(&self) -> usize {
        self.small[0].0 as usize
    }
}

/// A value in an instance, packed in 8 bytes: 0 is "unset" (an empty slot, an absent inline
/// value); otherwise the low two bits say what it is: 1 an object (id above), 2 an int that fits
/// in 62 bits, 3 `None` (3) or an int too large for that (index above, in [`Heap`]'s side list).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Packed(u64);

const PACK_UNSET: Packed = Packed(0);
const PACK_NONE: Packed = Packed(3);

/// Which of `Objects/weakrefobject.c`'s three types a weak reference has: the same struct
/// (`PyWeakReference`), traversal, clearing and callbacks; they differ in their type (name) and
/// in where `PyWeakref_NewRef` / `PyWeakref_NewProxy` put them in the referent's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeakFlavor {
    /// `weakref.ref` (`_PyWeakref_RefType`).
    Ref,
    /// `weakref.proxy` of an object that is not callable (`_PyWeakref_ProxyType`).
    Proxy,
    /// `weakref.proxy` of a callable (`_PyWeakref_CallableProxyType`).
    CallableProxy,
}

impl WeakFlavor {
    /// `tp_name`.
    pub fn type_name(self) -> &'static str {
        match self {
            WeakFlavor::Ref => "weakref",
            WeakFlavor::Proxy => "weakproxy",
            WeakFlavor::CallableProxy => "weakcallableproxy",
        }
    }
    pub fn is_proxy(self) -> bool {
        self != WeakFlavor::Ref
    }
}

/// A frame object's references, in `frame_traverse` order: `f_back` (the caller's frame
/// object, [`NIL`] for the module's), 3.11+ `f_func` ([`NIL`] before), the fast locals, cells
/// and free cells; and the code object it belongs to (its zombie-frame slot, ≤3.10).
#[derive(Debug, Clone)]
pub struct FrameHeap {
    pub back: Id,
    pub func: Id,
    pub locals: Vec<Val>,
    pub code: usize,
    /// The frame object of a call that returned (owning its references), not of a running one.
    pub escaped: bool,
    /// Once escaped: the code's name (`run`, `A.run`) and the locals' names, for `explain`
    /// and `graph`.
    pub name: Box<str>,
    pub names: Vec<Box<str>>,
}

/// What an object is.
#[derive(Debug, Clone)]
pub enum Kind {
    Instance(Inst),
    List(Vec<Val>),
    Dict(Box<DictObj>),
    Tuple(Vec<Val>),
    /// A `weakref.ref` or a `weakref.proxy` (`flavor`); `callback` is the code of its callback
    /// (`wr_callback`), if it has one: [`super::code::BUILTIN_CALLBACK_CODE`] for the harness's
    /// `callback`, or a function of `callbacks:` ([`super::code::callback_code`]).
    WeakRef {
        referent: Option<Id>,
        callback: Option<usize>,
        flavor: WeakFlavor,
    },
    /// A bound method (`PyMethodObject`, `PyMethod_New`): `im_self` an instance, `im_func`
    /// the function of method `method` of scenario class `class` (its [`Kind::MethodFunc`]),
    /// and on 2.7 `im_class`, the type of `im_self` when it was made ([`NIL`] on 3.x).
    Method {
        im_self: Id,
        class: u32,
        method: u32,
        im_func: Id,
        im_class: Id,
    },
    /// A function object (`PyFunctionObject`) of `def` number `def`: `func_globals` (the
    /// module's globals), `func_defaults` (a tuple), `func_closure` (a tuple of cells).
    Function {
        def: u32,
        globals: Id,
        defaults: Option<Id>,
        closure: Option<Id>,
    },
    /// A cell (`PyCellObject`, `ob_ref`): a variable of a function that nested functions use.
    Cell(Option<Val>),
    /// The heap type (`PyHeapTypeObject`) of scenario class `class`, as `type_new` builds it:
    /// `tp_dict`, `tp_mro`, `tp_bases` and `tp_base` (a scenario class's type, [`NIL`] for
    /// `object`, a static type outside the modelled heap). `type_clear` empties the dict and
    /// drops the MRO ([`NIL`] afterwards).
    Type {
        class: u32,
        dict: Id,
        mro: Id,
        bases: Id,
        base: Id,
    },
    /// A descriptor in a type's `tp_dict` (`PyDescr_NewMember` for a `__slots__` value slot,
    /// `PyDescr_NewGetSet` for `__dict__`/`__weakref__`): `d_type`, the type it belongs to.
    Descr {
        owner: Id,
        getset: bool,
    },
    /// The function object of method `method` of scenario class `class` (`__del__` is
    /// [`DEL_METHOD`]), made by the class body's `def`: `func_globals`, the module's globals
    /// ([`NIL`] once `func_clear` dropped it), and `func_annotations` (an empty dict, made when
    /// something reads `__annotations__`: 3.10+ `staticmethod`/`classmethod` do; else [`NIL`]).
    MethodFunc {
        class: u32,
        method: u32,
        globals: Id,
        annotations: Id,
    },
    /// The `staticmethod` or `classmethod` object (`Objects/funcobject.c`) that a decorated
    /// method `method` of scenario class `class` puts in the class's dict: `sm_callable` /
    /// `cm_callable`, the method's function, and `sm_dict` / `cm_dict` (3.10+ `sm_init` copies
    /// the function's attributes into it, `functools_wraps`; [`NIL`] before, or once cleared).
    Decorated {
        class: u32,
        method: u32,
        func: Id,
        dict: Id,
    },
    /// A set or frozenset (`PySetObject`): its table ([`SetObj`]), whose keys are instances.
    Set(Box<SetObj>),
    /// A frame object (`PyFrameObject`). While its call runs, the model's frame keeps the
    /// locals ([`super::machine::Frame`]) and [`FrameHeap::locals`] holds what `frame_traverse`
    /// visits only while a collection runs
    /// ([`super::machine::Machine::frame_refs_for_collection`]); once the call returned with
    /// something still holding the frame (a traceback), the frame owns its references here.
    Frame(Box<FrameHeap>),
    /// A traceback object (`PyTracebackObject`): `tb_next` (the traceback of the frame the
    /// exception came from, [`NIL`] for the innermost) and `tb_frame` ([`NIL`] for the
    /// module's frame, which the model does not keep as an object).
    Traceback {
        next: Id,
        frame: Id,
    },
    /// A list head (`PyGC_Head` of a generation or a temporary list).
    Head,
}

// The flag bits of [`Hdr::flags`]: the model's own encoding (CPython keeps these states in the
// low bits of `_gc_prev`/`_gc_next` 3.8+, or in `gc_refs` ≤3.7); each names its counterpart.

/// `_PyGC_PREV_MASK_COLLECTING` (3.8+) / `gc_refs != GC_UNTRACKED` inside a collection.
pub const F_COLLECTING: u16 = 1;
/// `NEXT_MASK_UNREACHABLE` / `GC_TENTATIVELY_UNREACHABLE`.
pub const F_UNREACHABLE: u16 = 2;
/// `_PyGC_FINALIZED`.
pub const F_FINALIZED: u16 = 4;
/// Linked into a GC list (`_PyObject_GC_IS_TRACKED`); list heads carry it too.
pub const F_TRACKED: u16 = 8;
/// The type is a GC type (has a `PyGC_Head`).
pub const F_GC: u16 = 16;
/// Deallocated: the arena slot is dead (ids are never reused, so id order is creation order).
pub const F_FREED: u16 = 32;
/// The object has an entry in the weak-reference side table.
pub const F_WEAKREFS: u16 = 64;
/// The object is a tuple (kinds never change): `untrack_tuples` reads only headers.
pub const F_TUPLE: u16 = 128;
/// The object is a dict: `untrack_dicts` reads only headers.
pub const F_DICT: u16 = 256;

/// The hot part of an object, what the collector's passes read and write: `ob_refcnt` and the
/// `PyGC_Head` (links, `gc_refs`, flag bits). 24 bytes, in a dense array of its own, so a pass
/// over a generation streams through memory as CPython's does over its `PyGC_Head`s.
#[derive(Debug, Clone, Copy)]
pub struct Hdr {
    pub refcnt: i64,
    /// Scratch count during a collection (`gc_get_refs`); a refcount bounded by the scenario
    /// limits fits in 32 bits.
    pub gc_refs: i32,
    pub prev: Id,
    pub next: Id,
    pub flags: u16,
}

impl Hdr {
    pub fn is_tracked(&self) -> bool {
        self.flags & F_TRACKED != 0
    }
    pub fn is_gc(&self) -> bool {
        self.flags & F_GC != 0
    }
    pub fn is_freed(&self) -> bool {
        self.flags & F_FREED != 0
    }
    /// `gc_is_collecting`: in the set a collection is examining (and still linked).
    pub fn is_collecting(&self) -> bool {
        self.flags & (F_COLLECTING | F_TRACKED) == F_COLLECTING | F_TRACKED
    }
}

/// The arena, struct-of-arrays: headers and kinds in dense vectors indexed by [`Id`]; the rare
/// parts (weak-reference lists, labels) in side tables.
#[derive(Debug, Default)]
pub struct Heap {
    links: Links,
    kinds: Vec<Kind>,
    /// Weak references to each object, head first (`tp_weaklistoffset` list).
    weakrefs: HashMap<Id, Vec<Id>>,
    /// Per id, 1 + the index of its label in `label_text` (0: none); grown on demand.
    label_of: Vec<u32>,
    label_text: Vec<Box<str>>,
    /// Values of instances with more than [`SMALL`] of them, blocks of `cap`.
    vals: Vec<Packed>,
    /// Released blocks, by capacity, for reuse (an allocator's size classes).
    free_blocks: Vec<Vec<u32>>,
    /// Ints too large to pack.
    big_ints: Vec<i64>,
    /// The type object of each scenario class, by class index (instances visit theirs).
    class_types: Vec<Id>,
    /// Per scenario class: an exception class (its instances traverse as exceptions do).
    exception_classes: Vec<bool>,
}

impl Heap {
    /// Record the type object of each scenario class (by class index).
    pub fn set_class_types(&mut self, types: Vec<Id>) {
        self.class_types = types;
    }

    /// Record which scenario classes are exception classes (by class index).
    pub fn set_exception_classes(&mut self, e: Vec<bool>) {
        self.exception_classes = e;
    }

    /// Record the type object of scenario class `class`, once its class statement ran.
    pub fn set_class_type(&mut self, class: usize, t: Id) {
        self.class_types[class] = t;
    }

    /// The type object of scenario class `class`.
    pub fn class_type(&self, class: usize) -> Id {
        self.class_types[class]
    }

    /// How many objects were ever allocated (ids are `0..count()`).
    pub fn count(&self) -> Id {
        self.links.hdrs.len() as Id
    }

    pub fn hdr(&self, id: Id) -> &Hdr {
        &self.links.hdrs[id as usize]
    }

    pub fn hdr_mut(&mut self, id: Id) -> &mut Hdr {
        &mut self.links.hdrs[id as usize]
    }

    pub fn kind(&self, id: Id) -> &Kind {
        &self.kinds[id as usize]
    }

    pub fn kind_mut(&mut self, id: Id) -> &mut Kind {
        &mut self.kinds[id as usize]
    }

    pub fn refcnt(&self, id: Id) -> i64 {
        self.links.hdrs[id as usize].refcnt
    }

    pub fn is_freed(&self, id: Id) -> bool {
        self.hdr(id).is_freed()
    }

    pub fn is_gc(&self, id: Id) -> bool {
        self.hdr(id).is_gc()
    }

    /// The weak references to `id`, head first.
    pub fn weakrefs(&self, id: Id) -> &[Id] {
        if self.hdr(id).flags & F_WEAKREFS == 0 {
            return &[];
        }
        self.weakrefs.get(&id).map(|v| v.as_slice()).unwrap_or(&[])
    }

    /// The weak-reference list of `id`, created empty if it has none.
    pub fn weakrefs_mut(&mut self, id: Id) -> &mut Vec<Id> {
        self.links.hdrs[id as usize].flags |= F_WEAKREFS;
        self.weakrefs.entry(id).or_default()
    }

    /// Take the whole weak-reference list of `id` out.
    pub fn take_weakrefs(&mut self, id: Id) -> Vec<Id> {
        let h = &mut self.links.hdrs[id as usize];
        if h.flags & F_WEAKREFS == 0 {
            return Vec::new();
        }
        h.flags &= !F_WEAKREFS;
        self.weakrefs.remove(&id).unwrap_or_default()
    }

    /// The scenario name an object was created under, if any.
    pub fn label_of(&self, id: Id) -> Option<&str> {
        match self.label_of.get(id as usize) {
            Some(&i) if i > 0 => Some(&self.label_text[i as usize - 1]),
            _ => None,
        }
    }

    pub fn set_label(&mut self, id: Id, label: String) {
        let at = id as usize;
        if self.label_of.len() <= at {
            self.label_of.resize(self.links.hdrs.len().max(at + 1), 0);
        }
        match self.label_of[at] {
            0 => {
                self.label_text.push(label.into_boxed_str());
                self.label_of[at] = self.label_text.len() as u32;
            }
            i => self.label_text[i as usize - 1] = label.into_boxed_str(),
        }
    }

    /// A new object with refcount 0, untracked.
    pub fn alloc(&mut self, kind: Kind, is_gc: bool) -> Id {
        let id = self.links.hdrs.len() as Id;
        assert!(id < NIL, "model heap exhausted its id space");
        self.links.hdrs.push(Hdr {
            refcnt: 0,
            gc_refs: 0,
            prev: NIL,
            next: NIL,
            flags: if is_gc { F_GC } else { 0 }
                | match kind {
                    Kind::Tuple(_) => F_TUPLE,
                    Kind::Dict(_) => F_DICT,
                    _ => 0,
                },
        });
        self.kinds.push(kind);
        id
    }

    /// Mark `id` deallocated and release its instance values (the id is never reused).
    pub fn free(&mut self, id: Id) {
        self.links.hdrs[id as usize].flags |= F_FREED;
        if let Kind::Instance(i) = &mut self.kinds[id as usize] {
            let spilled = i.spilled().then(|| (i.block() as u32, i.cap));
            i.cap = 0;
            i.nslots = 0;
            i.small = [PACK_UNSET; SMALL];
            if let Some((base, cap)) = spilled {
                self.release_block(base, cap);
            }
        }
    }

    fn pack(&mut self, v: Option<Val>) -> Packed {
        match v {
            None => PACK_UNSET,
            Some(Val::None) => PACK_NONE,
            Some(Val::Obj(id)) => Packed(((id as u64) << 2) | 1),
            Some(Val::Int(i)) if (-(1i64 << 61)..(1i64 << 61)).contains(&i) => {
                Packed(((i << 2) as u64) | 2)
            }
            Some(Val::Int(i)) => {
                self.big_ints.push(i);
                Packed(((self.big_ints.len() as u64) << 2) | 3)
            }
        }
    }

    fn unpack(&self, p: Packed) -> Option<Val> {
        match p.0 & 3 {
            _ if p == PACK_UNSET => None,
            1 => Some(Val::Obj((p.0 >> 2) as Id)),
            2 => Some(Val::Int((p.0 as i64) >> 2)),
            _ if p == PACK_NONE => Some(Val::None),
            _ => Some(Val::Int(self.big_ints[(p.0 >> 2) as usize - 1])),
        }
    }

    /// A block of `cap` unset values (reused when one of that size was released).
    fn alloc_block(&mut self, cap: u16) -> u32 {
        if cap == 0 {
            return 0;
        }
        if let Some(b) = self.free_blocks.get_mut(cap as usize).and_then(|v| v.pop()) {
            return b;
        }
        let b = self.vals.len();
        assert!(
            b + (cap as usize) < u32::MAX as usize,
            "model value arena is full"
        );
        self.vals.resize(b + cap as usize, PACK_UNSET);
        b as u32
    }

    fn release_block(&mut self, base: u32, cap: u16) {
        if cap > 0 {
            self.vals[base as usize..(base + cap as u32) as usize].fill(PACK_UNSET);
            let c = cap as usize;
            if self.free_blocks.len() <= c {
                self.free_blocks.resize_with(c + 1, Vec::new);
            }
            self.free_blocks[c].push(base);
        }
    }

    /// A new instance of `class` with `nslots` empty slots and room for `inline` inline values.
    pub fn alloc_instance(
        &mut self,
        class: usize,
        nslots: usize,
        inline: usize,
        is_gc: bool,
    ) -> Id {
        let nslots = u16::try_from(nslots).expect("slot count checked by the loader");
        let cap = nslots.saturating_add(u16::try_from(inline).unwrap_or(u16::MAX));
        let mut small = [PACK_UNSET; SMALL];
        if cap as usize > SMALL {
            small[0] = Packed(self.alloc_block(cap) as u64);
        }
        self.alloc(
            Kind::Instance(Inst {
                cls: u32::try_from(class).expect("class count checked by the loader"),
                dict: None,
                nslots,
                cap,
                small,
            }),
            is_gc,
        )
    }

    fn inst(&self, id: Id) -> &Inst {
        match self.kind(id) {
            Kind::Instance(i) => i,
            _ => unreachable!("not an instance"),
        }
    }

    /// The place of value `k` (slots first, then inline values) of instance `id`.
    fn place(&mut self, id: Id, k: usize) -> &mut Packed {
        match &mut self.kinds[id as usize] {
            Kind::Instance(i) if i.spilled() => &mut self.vals[i.block() + k],
            Kind::Instance(i) => &mut i.small[k],
            _ => unreachable!("not an instance"),
        }
    }

    /// Every value place of an instance, slots first.
    fn places<'a>(&'a self, i: &'a Inst) -> &'a [Packed] {
        places(&self.vals, i)
    }

    fn replace(&mut self, id: Id, k: usize, v: Option<Val>) -> Option<Val> {
        let p = self.pack(v);
        let old = std::mem::replace(self.place(id, k), p);
        self.unpack(old)
    }

    /// Slot `k` of instance `id`.
    pub fn slot(&self, id: Id, k: usize) -> Option<Val> {
        let i = self.inst(id);
        debug_assert!(k < i.nslots as usize);
        self.unpack(self.places(i)[k])
    }

    /// Store (or, with `None`, empty) slot `k`; returns what it held.
    pub fn set_slot(&mut self, id: Id, k: usize, v: Option<Val>) -> Option<Val> {
        debug_assert!(k < self.inst(id).nslots as usize);
        self.replace(id, k, v)
    }

    /// How many inline-value places instance `id` has now (see [`Inst::inline_cap`]).
    pub fn inline_cap(&self, id: Id) -> usize {
        self.inst(id).inline_cap()
    }

    /// Inline value `k` (3.11+), absent beyond the instance's capacity.
    pub fn inline(&self, id: Id, k: usize) -> Option<Val> {
        let i = self.inst(id);
        if k >= i.inline_cap() {
            return None;
        }
        self.unpack(self.places(i)[i.nslots as usize + k])
    }

    /// Store (or empty) inline value `k`, growing the instance's values when needed; returns
    /// what it held.
    pub fn set_inline(&mut self, id: Id, k: usize, v: Option<Val>) -> Option<Val> {
        let (nslots, cap) = {
            let i = self.inst(id);
            (i.nslots, i.cap)
        };
        if k >= (cap - nslots) as usize {
            // Emptying a place the instance does not have: nothing was there.
            v?;
            let want = u16::try_from(nslots as usize + k + 1).expect("inline values fit in u16");
            if let Kind::Instance(i) = self.kind_mut(id)
                && !i.spilled()
                && want as usize <= SMALL
            {
                // Still fits in the instance (places beyond `cap` are unset).
                i.cap = want;
                return self.replace(id, nslots as usize + k, v);
            }
            let new_cap = want.max(cap.saturating_mul(2)).max(SMALL as u16 + 1);
            let nb = self.alloc_block(new_cap);
            let old: Vec<Packed> = self.places(self.inst(id)).to_vec();
            self.vals[nb as usize..nb as usize + old.len()].copy_from_slice(&old);
            let was = match self.kind_mut(id) {
                Kind::Instance(i) => {
                    let was = i.spilled().then(|| (i.block() as u32, i.cap));
                    i.small = [PACK_UNSET; SMALL];
                    i.small[0] = Packed(nb as u64);
                    i.cap = new_cap;
                    was
                }
                _ => unreachable!(),
            };
            if let Some((base, cap)) = was {
                self.release_block(base, cap);
            }
        }
        self.replace(id, nslots as usize + k, v)
    }

    /// Take every inline value out (`make_dict_from_instance_attributes`), by key index.
    pub fn take_inline(&mut self, id: Id) -> Vec<Option<Val>> {
        let n = self.inst(id).inline_cap();
        (0..n).map(|k| self.set_inline(id, k, None)).collect()
    }

    /// A new, empty list head (`gc_list_init`).
    pub fn new_head(&mut self) -> Id {
        let id = self.alloc(Kind::Head, false);
        let h = self.hdr_mut(id);
        h.prev = id;
        h.next = id;
        h.flags |= F_TRACKED;
        id
    }

    pub fn is_tracked(&self, id: Id) -> bool {
        self.hdr(id).is_tracked()
    }

    /// `gc_list_append`: link `id` at the tail of `head`. `id` must be unlinked.
    pub fn append(&mut self, id: Id, head: Id) {
        self.links.append(id, head)
    }

    /// `gc_list_remove`: unlink `id` (no-op when untracked).
    pub fn unlink(&mut self, id: Id) {
        self.links.unlink(id)
    }

    /// `gc_list_move`: unlink and append to `head`.
    pub fn move_to(&mut self, id: Id, head: Id) {
        self.links.move_to(id, head)
    }

    pub fn next(&self, id: Id) -> Id {
        self.links.next(id)
    }

    pub fn first(&self, head: Id) -> Option<Id> {
        self.links.first(head)
    }

    /// `gc_list_merge(from, to)`: append all of `from` to the tail of `to`, leaving `from` empty.
    pub fn merge(&mut self, from: Id, to: Id) {
        self.links.merge(from, to)
    }

    /// The members of a list, head to tail (a snapshot).
    pub fn members(&self, head: Id) -> Vec<Id> {
        self.links.members(head)
    }

    /// `gc_list_size`.
    pub fn len(&self, head: Id) -> usize {
        self.links.len(head)
    }

    /// Bytes the heap owns: headers, kinds, the value arena, what containers hold behind
    /// pointers (list and tuple items, dict boxes, entries, keys and 2.7 tables), weak-reference
    /// lists and labels (hash tables counted by capacity). The benchmark's model memory per
    /// object; freed objects keep their header and kind (ids are never reused).
    pub fn footprint(&self) -> usize {
        use std::mem::size_of;
        let mut n = self.links.hdrs.capacity() * size_of::<Hdr>()
            + self.kinds.capacity() * size_of::<Kind>()
            + self.vals.capacity() * size_of::<Packed>()
            + self.big_ints.capacity() * size_of::<i64>()
            + self
                .free_blocks
                .iter()
                .map(|v| v.capacity() * 4)
                .sum::<usize>();
        for k in &self.kinds {
            n += match k {
                Kind::List(items) | Kind::Tuple(items) => items.capacity() * size_of::<Val>(),
                Kind::Dict(d) => {
                    size_of::<DictObj>()
                        + d.entries.capacity() * size_of::<Option<(super::dict::Key, Val)>>()
                        + d.entries
                            .iter()
                            .flatten()
                            .map(|(k, _)| k.len())
                            .sum::<usize>()
                        + d.table27.as_ref().map_or(0, |t| t.heap_bytes())
                }
                Kind::Set(set) => size_of::<SetObj>() + set.heap_bytes(),
                _ => 0,
            };
        }
        let entry = size_of::<Id>() + 8;
        n += self.weakrefs.capacity() * (entry + size_of::<Vec<Id>>())
            + self
                .weakrefs
                .values()
                .map(|v| v.capacity() * 4)
                .sum::<usize>();
        n += self.label_of.capacity() * 4
            + self.label_text.capacity() * size_of::<Box<str>>()
            + self.label_text.iter().map(|l| l.len()).sum::<usize>();
        n
    }

    pub fn links(&self) -> &Links {
        &self.links
    }

    /// The headers (mutable) and the objects' contents (read-only) at once, for the
    /// collector's passes, which read referents while they update headers.
    pub fn split(&mut self) -> (&mut Links, Contents<'_>) {
        let contents = Contents {
            kinds: &self.kinds,
            vals: &self.vals,
            class_types: &self.class_types,
            exception_classes: &self.exception_classes,
        };
        (&mut self.links, contents)
    }

    /// The objects' contents, read-only.
    pub fn contents(&self) -> Contents<'_> {
        Contents {
            kinds: &self.kinds,
            vals: &self.vals,
            class_types: &self.class_types,
            exception_classes: &self.exception_classes,
        }
    }

    /// `tp_traverse`: the objects `id` references, in the order CPython's traverse visits them.
    /// Lists and tuples visit last to first (`list_traverse`, `tupletraverse`); dicts in their
    /// iteration order; instances their slots (sorted), then `__dict__` or inline values;
    /// weakrefs only their callback (not modelled as an object).
    pub fn referents(&self, id: Id) -> Vec<Id> {
        let mut v = Vec::new();
        self.referents_into(id, &mut v);
        v
    }

    /// [`Heap::referents`] into a reused buffer (cleared first).
    pub fn referents_into(&self, id: Id, out: &mut Vec<Id>) {
        out.clear();
        self.contents().for_each_referent(id, |r| out.push(r));
    }
}

/// `set_traverse`, out of line: the table walk stays out of the collector's hot traversal.
#[inline(never)]
fn set_traverse(set: &SetObj, f: &mut dyn FnMut(Id)) {
    for k in set.keys() {
        f(k);
    }
}

/// Every value place of instance `i`, slots first: in the instance, or its block of `vals`.
fn places<'a>(vals: &'a [Packed], i: &'a Inst) -> &'a [Packed] {
    if i.spilled() {
        &vals[i.block()..i.block() + i.cap as usize]
    } else {
        &i.small[..i.cap as usize]
    }
}

/// The objects' headers: reference counts and the `PyGC_Head` links, with `gcmodule.c`'s list
/// operations.
#[derive(Debug, Default)]
pub struct Links {
    hdrs: Vec<Hdr>,
    /// How many tuples and dicts are tracked: `untrack_tuples` and `untrack_dicts` have nothing
    /// to do when there are none, and skip their pass.
    tracked_tuples: usize,
    tracked_dicts: usize,
}

impl Links {
    pub fn get(&self, id: Id) -> &Hdr {
        &self.hdrs[id as usize]
    }

    pub fn get_mut(&mut self, id: Id) -> &mut Hdr {
        &mut self.hdrs[id as usize]
    }

    /// Join `id`'s neighbours to each other (its own links are left as they were).
    fn detach(&mut self, id: Id) {
        let h = self.hdrs[id as usize];
        self.hdrs[h.prev as usize].next = h.next;
        self.hdrs[h.next as usize].prev = h.prev;
    }

    /// Link `id` in at the tail of `head`.
    fn attach_tail(&mut self, id: Id, head: Id) {
        let last = self.hdrs[head as usize].prev;
        self.hdrs[last as usize].next = id;
        let h = &mut self.hdrs[id as usize];
        h.prev = last;
        h.next = head;
        self.hdrs[head as usize].prev = id;
    }

    /// `gc_list_append`: link `id` at the tail of `head`. `id` must be unlinked.
    pub fn append(&mut self, id: Id, head: Id) {
        debug_assert!(!self.get(id).is_tracked());
        self.attach_tail(id, head);
        let h = &mut self.hdrs[id as usize];
        h.flags |= F_TRACKED;
        let kind = h.flags & (F_TUPLE | F_DICT);
        self.count_kind(kind, 1);
    }

    fn count_kind(&mut self, kind: u16, delta: isize) {
        if kind & F_TUPLE != 0 {
            self.tracked_tuples = self.tracked_tuples.wrapping_add_signed(delta);
        } else if kind & F_DICT != 0 {
            self.tracked_dicts = self.tracked_dicts.wrapping_add_signed(delta);
        }
    }

    /// How many tuples are tracked.
    pub fn tracked_tuples(&self) -> usize {
        self.tracked_tuples
    }

    /// How many dicts are tracked.
    pub fn tracked_dicts(&self) -> usize {
        self.tracked_dicts
    }

    /// `gc_list_remove`: unlink `id` (no-op when untracked).
    pub fn unlink(&mut self, id: Id) {
        if !self.get(id).is_tracked() {
            return;
        }
        self.detach(id);
        let h = &mut self.hdrs[id as usize];
        h.prev = NIL;
        h.next = NIL;
        h.flags &= !F_TRACKED;
        let kind = h.flags & (F_TUPLE | F_DICT);
        self.count_kind(kind, -1);
    }

    /// `gc_list_move`: unlink and append to `head`.
    pub fn move_to(&mut self, id: Id, head: Id) {
        debug_assert!(self.get(id).is_tracked());
        self.detach(id);
        self.attach_tail(id, head);
    }

    pub fn next(&self, id: Id) -> Id {
        self.hdrs[id as usize].next
    }

    pub fn first(&self, head: Id) -> Option<Id> {
        let n = self.next(head);
        (n != head).then_some(n)
    }

    pub fn is_empty(&self, head: Id) -> bool {
        self.next(head) == head
    }

    /// `gc_list_merge(from, to)`: append all of `from` to the tail of `to`, leaving `from` empty.
    pub fn merge(&mut self, from: Id, to: Id) {
        if from == to || self.is_empty(from) {
            return;
        }
        let first = self.get(from).next;
        let last = self.get(from).prev;
        let tail = self.get(to).prev;
        self.get_mut(tail).next = first;
        self.get_mut(first).prev = tail;
        self.get_mut(last).next = to;
        self.get_mut(to).prev = last;
        let h = self.get_mut(from);
        h.next = from;
        h.prev = from;
    }

    /// The members of a list, head to tail (a snapshot).
    pub fn members(&self, head: Id) -> Vec<Id> {
        let mut out = Vec::new();
        let mut cur = self.next(head);
        while cur != head {
            out.push(cur);
            cur = self.next(cur);
        }
        out
    }

    /// `gc_list_size`.
    pub fn len(&self, head: Id) -> usize {
        let mut n = 0;
        let mut cur = self.next(head);
        while cur != head {
            n += 1;
            cur = self.next(cur);
        }
        n
    }
}

/// The objects' contents, read-only: what `tp_traverse` visits.
#[derive(Clone, Copy)]
pub struct Contents<'a> {
    kinds: &'a [Kind],
    vals: &'a [Packed],
    class_types: &'a [Id],
    exception_classes: &'a [bool],
}

impl Contents<'_> {
    /// `tp_traverse`: call `f` on each object `id` references, in CPython's visit order (see
    /// [`Heap::referents`]).
    #[inline]
    pub fn for_each_referent(&self, id: Id, mut f: impl FnMut(Id)) {
        match &self.kinds[id as usize] {
            Kind::Instance(inst) => {
                // Packed objects have tag 1: no unpacking needed to find them.
                let (slots, inline) = places(self.vals, inst).split_at(inst.nslots as usize);
                let mut visit = |p: &Packed| {
                    if p.0 & 3 == 1 {
                        f((p.0 >> 2) as Id)
                    }
                };
                // An exception (`BaseException` subtype): `subtype_traverse` visits the heap
                // type, then `BaseException_traverse` the hidden slots (`__traceback__`,
                // `__cause__`, `__context__`; dict and args hold nothing the model keeps).
                if self.exception_classes.get(inst.cls as usize) == Some(&true) {
                    if let Some(&t) = self.class_types.get(inst.cls as usize) {
                        f(t);
                    }
                    for p in slots {
                        if p.0 & 3 == 1 {
                            f((p.0 >> 2) as Id)
                        }
                    }
                    return;
                }
                slots.iter().for_each(&mut visit);
                if let Some(d) = inst.dict {
                    f(d);
                } else {
                    inline.iter().for_each(visit);
                }
                // `subtype_traverse`: "For a heaptype, the instances count as references to
                // the type": visited after the slots and the dict.
                if let Some(&t) = self.class_types.get(inst.cls as usize) {
                    f(t);
                }
            }
            Kind::List(items) | Kind::Tuple(items) => {
                for x in items.iter().rev() {
                    if let Val::Obj(o) = x {
                        f(*o)
                    }
                }
            }
            Kind::Dict(d) => match &d.table27 {
                Some(t) => t.for_each(|i| {
                    if let Some((_, Val::Obj(o))) = &d.entries[i as usize] {
                        f(*o);
                    }
                }),
                None => {
                    for (_, v) in d.entries.iter().flatten() {
                        if let Val::Obj(o) = v {
                            f(*o)
                        }
                    }
                }
            },
            // `method_traverse` (2.7 `instancemethod_traverse`): `im_func`, `im_self` (none
            // for a 2.7 unbound method), 2.7 also `im_class`.
            Kind::Method {
                im_self,
                im_func,
                im_class,
                ..
            } => {
                f(*im_func);
                if *im_self != NIL {
                    f(*im_self);
                }
                if *im_class != NIL {
                    f(*im_class);
                }
            }
            // `type_traverse`: tp_dict, tp_cache (unused), tp_mro, tp_bases, tp_base (2.7
            // and 3.x alike; ht_module 3.9+ is NULL for a class statement). "There's no need
            // to visit type->tp_subclasses": weak references only.
            Kind::Type {
                dict,
                mro,
                bases,
                base,
                ..
            } => {
                for r in [*dict, *mro, *bases, *base] {
                    if r != NIL {
                        f(r);
                    }
                }
            }
            // `descr_traverse`: `d_type`.
            Kind::Descr { owner, .. } => f(*owner),
            // `func_traverse`: of code, globals, module, defaults, doc, name, dict, closure,
            // annotations, …, the model keeps the globals and the annotations (3.10+, read by
            // `staticmethod`/`classmethod`) for a method's function.
            Kind::MethodFunc {
                globals,
                annotations,
                ..
            } => {
                for r in [*globals, *annotations] {
                    if r != NIL {
                        f(r);
                    }
                }
            }
            // `sm_traverse` / `cm_traverse`: the callable, then the dict (3.x).
            Kind::Decorated { func, dict, .. } => {
                for r in [*func, *dict] {
                    if r != NIL {
                        f(r);
                    }
                }
            }
            // `func_traverse`: code, globals, module, defaults, (kwdefaults,) doc, name, dict,
            // closure, …: of those the model keeps globals, defaults and closure.
            Kind::Function {
                globals,
                defaults,
                closure,
                ..
            } => {
                if *globals != NIL {
                    f(*globals);
                }
                if let Some(d) = defaults {
                    f(*d);
                }
                if let Some(c) = closure {
                    f(*c);
                }
            }
            // `cell_traverse`: `ob_ref`.
            Kind::Cell(v) => {
                if let Some(Val::Obj(o)) = v {
                    f(*o)
                }
            }
            // `set_traverse`: the keys in table order.
            Kind::Set(set) => set_traverse(set, &mut f),
            // `frame_traverse`: `f_back` (then `f_code`, globals and builtins, outside the
            // model), 3.11+ `f_func` (`_PyFrame_Traverse`), then `f_localsplus` (a running
            // frame's only while a collection runs).
            Kind::Frame(fr) => {
                for r in [fr.back, fr.func] {
                    if r != NIL {
                        f(r);
                    }
                }
                for v in &fr.locals {
                    if let Val::Obj(o) = v {
                        f(*o)
                    }
                }
            }
            // `tb_traverse`: `tb_next`, `tb_frame`.
            Kind::Traceback { next, frame } => {
                for r in [*next, *frame] {
                    if r != NIL {
                        f(r);
                    }
                }
            }
            Kind::WeakRef { .. } | Kind::Head => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The collector's passes stream headers and kinds: keep them small (a header and a
    /// kind holding an instance with up to three values fit in 64 bytes; CPython's object with
    /// its `PyGC_Head` and three slots takes 56-64).
    #[test]
    fn object_layout_stays_compact() {
        assert_eq!(std::mem::size_of::<Hdr>(), 24);
        assert!(
            std::mem::size_of::<Kind>() <= 40,
            "{}",
            std::mem::size_of::<Kind>()
        );
    }
}
