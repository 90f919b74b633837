//! The model's heap: objects in an arena, reference counts, and CPython's intrusive
//! doubly-linked GC lists (`PyGC_Head`), with the same list operations as `gcmodule.c`
//! (`gc_list_append`, `gc_list_remove`, `gc_list_move`, `gc_list_merge`).

use super::dict27::Table27;

/// An object's index in the arena.
pub type Id = u32;

/// Marks "no link".
pub const NIL: Id = u32::MAX;

/// A value held by a name, attribute, item or slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Val {
    None,
    Int(i64),
    Obj(Id),
}

impl Val {
    pub fn obj(self) -> Option<Id> {
        match self {
            Val::Obj(i) => Some(i),
            _ => None,
        }
    }
}

/// A dict's contents. Entries keep insertion order (3.6+ compact dicts); 2.7 dicts also carry
/// their slot table, which decides iteration and release order.
#[derive(Debug, Clone, Default)]
pub struct DictObj {
    /// Insertion-ordered entries; a deleted entry becomes `None` (as `dk_entries` keeps holes).
    pub entries: Vec<Option<(String, Val)>>,
    pub table27: Option<Table27>,
}

impl DictObj {
    pub fn find(&self, key: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.as_ref().is_some_and(|(k, _)| k == key))
    }

    pub fn get(&self, key: &str) -> Option<Val> {
        self.find(key)
            .and_then(|i| self.entries[i].as_ref().map(|e| e.1))
    }

    /// Entry indices in the order the dict visits and releases them.
    pub fn order(&self) -> Vec<usize> {
        match &self.table27 {
            Some(t) => t.order().into_iter().map(|i| i as usize).collect(),
            None => (0..self.entries.len())
                .filter(|i| self.entries[*i].is_some())
                .collect(),
        }
    }

    /// Values in visit/release order.
    pub fn values(&self) -> Vec<Val> {
        self.order()
            .into_iter()
            .filter_map(|i| self.entries[i].as_ref().map(|e| e.1))
            .collect()
    }

    /// Store `key`; returns the value it replaces. New keys go at the end (3.x) or where the
    /// 2.7 table puts them.
    pub fn set(&mut self, key: &str, v: Val) -> Option<Val> {
        if let Some(i) = self.find(key) {
            let e = self.entries[i].as_mut().expect("found entry");
            return Some(std::mem::replace(&mut e.1, v));
        }
        let idx = self.entries.len() as u32;
        self.entries.push(Some((key.to_string(), v)));
        if let Some(t) = &mut self.table27 {
            let entries = &self.entries;
            let same = |j: u32| entries[j as usize].as_ref().is_some_and(|(k, _)| k == key);
            t.insert(idx, key, &same);
        }
        None
    }

    /// Remove `key`; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Val> {
        let i = self.find(key)?;
        if let Some(t) = &mut self.table27 {
            let entries = &self.entries;
            let same = |j: u32| entries[j as usize].as_ref().is_some_and(|(k, _)| k == key);
            t.remove(i as u32, key, &same);
        }
        self.entries[i].take().map(|e| e.1)
    }

    /// Take every entry out, in release order (`PyDict_Clear`, `dict_dealloc`).
    pub fn drain(&mut self) -> Vec<Val> {
        let vals = self.values();
        self.entries.clear();
        if self.table27.is_some() {
            self.table27 = Some(Table27::default());
        }
        vals
    }
}

/// An instance of a scenario class.
#[derive(Debug, Clone, Default)]
pub struct Inst {
    pub class: usize,
    /// The `__dict__` object, if one exists (≤3.10 after the first attribute store; 3.11+ only
    /// when the class's shared keys overflowed).
    pub dict: Option<Id>,
    /// 3.11+ inline values, indexed by the class's shared-key index.
    pub inline: Vec<Option<Val>>,
    /// `__slots__` values, in sorted slot-name order.
    pub slots: Vec<Option<Val>>,
}

/// What an object is.
#[derive(Debug, Clone)]
pub enum Kind {
    Instance(Inst),
    List(Vec<Val>),
    Dict(DictObj),
    Tuple(Vec<Val>),
    /// A `weakref.ref`; `callback` says whether it carries the scenario's callback.
    WeakRef {
        referent: Option<Id>,
        callback: bool,
    },
    /// A list head (`PyGC_Head` of a generation or a temporary list).
    Head,
}

/// `_PyGC_PREV_MASK_COLLECTING` (3.8+) / `gc_refs != GC_UNTRACKED` inside a collection.
pub const F_COLLECTING: u8 = 1;
/// `NEXT_MASK_UNREACHABLE` / `GC_TENTATIVELY_UNREACHABLE`.
pub const F_UNREACHABLE: u8 = 2;
/// `_PyGC_FINALIZED`.
pub const F_FINALIZED: u8 = 4;

#[derive(Debug, Clone)]
pub struct Obj {
    pub kind: Kind,
    pub refcnt: i64,
    /// Whether the type is a GC type (has a `PyGC_Head`).
    pub is_gc: bool,
    pub prev: Id,
    pub next: Id,
    /// `NIL` when untracked; otherwise the head of the list it was appended to (a merge moves
    /// nodes without updating this, as `gc_list_merge` is O(1): use it only as "tracked").
    pub list: Id,
    pub gc_refs: i64,
    pub flags: u8,
    /// Weak references to this object, head first (`tp_weaklistoffset` list).
    pub weakrefs: Vec<Id>,
    pub label: Option<String>,
    /// Creation order.
    pub seq: u64,
    pub freed: bool,
}

/// The arena and its lists.
#[derive(Debug, Default)]
pub struct Heap {
    pub objs: Vec<Obj>,
    next_seq: u64,
}

impl Heap {
    pub fn get(&self, id: Id) -> &Obj {
        &self.objs[id as usize]
    }

    pub fn get_mut(&mut self, id: Id) -> &mut Obj {
        &mut self.objs[id as usize]
    }

    /// A new object with refcount 0, untracked.
    pub fn alloc(&mut self, kind: Kind, is_gc: bool) -> Id {
        let id = self.objs.len() as Id;
        self.next_seq += 1;
        self.objs.push(Obj {
            kind,
            refcnt: 0,
            is_gc,
            prev: NIL,
            next: NIL,
            list: NIL,
            gc_refs: 0,
            flags: 0,
            weakrefs: Vec::new(),
            label: None,
            seq: self.next_seq,
            freed: false,
        });
        id
    }

    /// A new, empty list head (`gc_list_init`).
    pub fn new_head(&mut self) -> Id {
        let id = self.alloc(Kind::Head, false);
        let o = self.get_mut(id);
        o.prev = id;
        o.next = id;
        o.list = id;
        id
    }

    pub fn is_tracked(&self, id: Id) -> bool {
        self.get(id).list != NIL
    }

    /// `gc_list_append`: link `id` at the tail of `head`. `id` must be unlinked.
    pub fn append(&mut self, id: Id, head: Id) {
        debug_assert_eq!(self.get(id).list, NIL);
        let last = self.get(head).prev;
        self.get_mut(last).next = id;
        {
            let o = self.get_mut(id);
            o.prev = last;
            o.next = head;
            o.list = head;
        }
        self.get_mut(head).prev = id;
    }

    /// `gc_list_remove`: unlink `id` (no-op when untracked).
    pub fn unlink(&mut self, id: Id) {
        let (p, n) = {
            let o = self.get(id);
            if o.list == NIL {
                return;
            }
            (o.prev, o.next)
        };
        self.get_mut(p).next = n;
        self.get_mut(n).prev = p;
        let o = self.get_mut(id);
        o.prev = NIL;
        o.next = NIL;
        o.list = NIL;
    }

    /// `gc_list_move`: unlink and append to `head`.
    pub fn move_to(&mut self, id: Id, head: Id) {
        self.unlink(id);
        self.append(id, head);
    }

    pub fn first(&self, head: Id) -> Option<Id> {
        let n = self.get(head).next;
        (n != head).then_some(n)
    }

    pub fn is_empty(&self, head: Id) -> bool {
        self.get(head).next == head
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
        let mut cur = self.get(head).next;
        while cur != head {
            out.push(cur);
            cur = self.get(cur).next;
        }
        out
    }

    pub fn len(&self, head: Id) -> usize {
        let mut n = 0;
        let mut cur = self.get(head).next;
        while cur != head {
            n += 1;
            cur = self.get(cur).next;
        }
        n
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

    /// [`Heap::referents`] into a reused buffer (cleared first): the collector's hot path.
    pub fn referents_into(&self, id: Id, out: &mut Vec<Id>) {
        out.clear();
        match &self.get(id).kind {
            Kind::Instance(inst) => {
                out.extend(inst.slots.iter().flatten().filter_map(|x| x.obj()));
                if let Some(d) = inst.dict {
                    out.push(d);
                } else {
                    out.extend(inst.inline.iter().flatten().filter_map(|x| x.obj()));
                }
            }
            Kind::List(items) | Kind::Tuple(items) => {
                out.extend(items.iter().rev().filter_map(|x| x.obj()));
            }
            Kind::Dict(d) => match &d.table27 {
                Some(t) => t.for_each(|i| {
                    if let Some((_, v)) = &d.entries[i as usize]
                        && let Some(o) = v.obj()
                    {
                        out.push(o);
                    }
                }),
                None => out.extend(d.entries.iter().flatten().filter_map(|(_, v)| v.obj())),
            },
            Kind::WeakRef { .. } | Kind::Head => {}
        }
    }
}
