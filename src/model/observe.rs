//! Observation: what the trace records after each `gc.collect()` at top level and at the end
//! of a run (the runner's `_observer` in the generated program): the contents of `gc.garbage`
//! and the scenario instances still alive and visible; for `explain`, why each is alive.

use super::heap::{Id, Kind, Val, WeakFlavor};
use super::journal::{AliveWhy, Note};
use super::machine::Machine;
use crate::trace::Event;

/// How `explain` names `gc.garbage` as a root.
const GARBAGE_ATTR: &str = "gc.garbage";
/// How it names the collector's own list once `gc.garbage` was rebound (`gc.garbage = []`).
const GARBAGE_INTERNAL: &str = "the collector's own garbage list (gc.garbage was rebound)";

impl Machine<'_> {
    /// What the trace observes after each collect and at the end: the contents of the
    /// `gc.garbage` attribute, and the scenario instances that are alive and visible (in a
    /// collectable generation, referenced from one, or reachable from the program's names and
    /// garbage lists; instances frozen out of sight by `gc.freeze()` are not visible).
    pub(super) fn observe(&mut self) {
        let garbage = match self.heap.kind(self.garbage_attr) {
            Kind::List(items) => items
                .iter()
                .map(|v| match v {
                    Val::Obj(id) => self.label(*id),
                    Val::None => "None".to_string(),
                    Val::Int(i) => i.to_string(),
                })
                .collect(),
            _ => unreachable!(),
        };
        self.events.push(Event::Garbage(garbage));
        // What the program can see (the runner's `_observer`): every tracked object, and a walk
        // from the names, both garbage lists and every tracked container or instance, through
        // lists, dicts, tuples, sets, instances and weakref referents. Frozen objects that nothing
        // visible leads to, and objects waiting on the trashcan's chain, are not seen.
        // Marks live in a buffer kept across observations, stamped with this observation's
        // number (no hash sets, and no pass over every id ever allocated: a scenario may
        // observe after each of a million steps): `epoch` seen, `epoch + 1` walked too.
        if self.obs_epoch >= u32::MAX - 2 {
            self.obs_mark.clear();
            self.obs_epoch = 0;
        }
        self.obs_epoch += 2;
        let (seen_mark, walked_mark) = (self.obs_epoch, self.obs_epoch + 1);
        let mut mark = std::mem::take(&mut self.obs_mark);
        mark.resize(self.heap.count() as usize, 0);
        let mut seen: Vec<Id> = Vec::new();
        let mut stack: Vec<Id> = vec![self.garbage_attr, self.garbage_internal];
        if let Kind::Dict(d) = self.heap.kind(self.globals) {
            stack.extend(d.values().into_iter().filter_map(|v| v.obj()));
        }
        for g in self.gens {
            let mut cur = self.heap.hdr(g).next;
            while cur != g {
                if mark[cur as usize] < seen_mark {
                    mark[cur as usize] = seen_mark;
                    seen.push(cur);
                }
                if matches!(
                    self.heap.kind(cur),
                    Kind::List(_)
                        | Kind::Dict(_)
                        | Kind::Tuple(_)
                        | Kind::Set(_)
                        | Kind::Instance(_)
                ) {
                    stack.push(cur);
                }
                cur = self.heap.hdr(cur).next;
            }
        }
        let mut buf = Vec::new();
        while let Some(id) = stack.pop() {
            if mark[id as usize] == walked_mark {
                continue;
            }
            if mark[id as usize] < seen_mark {
                seen.push(id);
            }
            mark[id as usize] = walked_mark;
            match self.heap.kind(id) {
                // Not to an object whose last reference is gone, which waits on the trashcan's
                // chain (untracked, so not among the tracked objects the program sees either).
                // (A proxy hands out no referent without forwarding to it: not followed.)
                Kind::WeakRef {
                    referent: Some(r),
                    flavor: WeakFlavor::Ref,
                    ..
                } if self.heap.hdr(*r).refcnt > 0 => stack.push(*r),
                Kind::List(_)
                | Kind::Dict(_)
                | Kind::Tuple(_)
                | Kind::Set(_)
                | Kind::Instance(_) => {
                    self.heap.referents_into(id, &mut buf);
                    stack.extend(buf.iter().copied());
                }
                _ => {}
            }
        }
        // Ids are never reused: id order is creation order.
        self.obs_mark = mark;
        let methods: Vec<Id> = if self.journal.is_some() {
            // And (for `explain`) the frames that outlived their calls, and what holds them.
            seen.iter()
                .copied()
                .filter(|id| {
                    !self.heap.is_freed(*id)
                        && match self.heap.kind(*id) {
                            Kind::Method { .. } | Kind::Function { .. } => true,
                            Kind::Frame(fr) => fr.escaped,
                            _ => false,
                        }
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut alive: Vec<Id> = seen
            .into_iter()
            // Labelled ones: an exception `raise E()` made has no name to be known by (the
            // program lists what its statements labelled).
            .filter(|id| {
                !self.heap.is_freed(*id)
                    && matches!(self.heap.kind(*id), Kind::Instance(_))
                    && self.heap.label_of(*id).is_some()
            })
            .collect();
        alive.sort_unstable();
        if self.journal.is_some() {
            // For `explain`: the bound methods that are alive too (no trace shows them).
            let mut ids = alive.clone();
            let mut methods = methods;
            methods.sort_unstable();
            ids.extend(methods);
            // And the classes `del` unbound that something still keeps alive (a class
            // statement among the steps that has not run has no type yet).
            let bound = |name: &str| match self.heap.kind(self.globals) {
                Kind::Dict(d) => d.get(name).is_some(),
                _ => false,
            };
            ids.extend((0..self.sc.classes.len()).filter_map(|c| {
                let t = self.type_of_class(c);
                (t != super::heap::NIL
                    && !self.heap.is_freed(t)
                    && !bound(&self.sc.classes[c].name))
                .then_some(t)
            }));
            for (label, why) in self.alive_reasons(&ids) {
                self.note(|_| Note::Alive { label, why });
            }
        }
        self.events.push(Event::Alive(
            alive.into_iter().map(|id| self.label(id)).collect(),
        ));
    }

    /// Why each live instance (or bound method) is alive (explain's "held by …"): a path from
    /// a name or from gc.garbage (unlabelled bound methods on it as what they are), or where
    /// the unreachable object sits.
    fn alive_reasons(&self, alive: &[Id]) -> Vec<(String, AliveWhy)> {
        use std::collections::{HashMap, VecDeque};
        let mut parent: HashMap<Id, (Option<Id>, bool, String)> = HashMap::new();
        let mut queue = VecDeque::new();
        if let Kind::Dict(d) = self.heap.kind(self.globals) {
            for (k, v) in d.entries.iter().flatten() {
                if let Some(o) = v.obj()
                    && let std::collections::hash_map::Entry::Vacant(e) = parent.entry(o)
                {
                    e.insert((None, true, k.to_string()));
                    queue.push_back(o);
                }
            }
        }
        // The module attribute first; after `gc.garbage = []` the collector's own list is
        // another object, and says so.
        for (g, name) in [
            (self.garbage_attr, GARBAGE_ATTR),
            (self.garbage_internal, GARBAGE_INTERNAL),
        ] {
            parent.entry(g).or_insert((None, false, name.to_string()));
            queue.push_back(g);
        }
        while let Some(id) = queue.pop_front() {
            let root = parent[&id].1;
            for r in self.heap.referents(id) {
                if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(r) {
                    e.insert((Some(id), root, String::new()));
                    queue.push_back(r);
                }
            }
        }
        alive
            .iter()
            .map(|&id| {
                let label = self.describe_fully(id);
                let why = match parent.get(&id) {
                    Some(_) => {
                        let mut path = Vec::new();
                        let mut cur = Some(id);
                        let mut from_name = false;
                        while let Some(c) = cur {
                            let (p, root, name) = &parent[&c];
                            from_name = *root;
                            if p.is_none() {
                                // Reversed below: the name, then what it holds.
                                if name != GARBAGE_ATTR && name != GARBAGE_INTERNAL && c != id {
                                    path.push(self.describe(c));
                                }
                                path.push(name.clone());
                            } else if self.heap.label_of(c).is_some()
                                || matches!(
                                    self.heap.kind(c),
                                    Kind::Method { .. }
                                        | Kind::Function { .. }
                                        | Kind::Cell(_)
                                        | Kind::Frame(_)
                                        | Kind::Traceback { .. }
                                )
                                || self.is_exception_instance(c)
                            {
                                path.push(self.describe(c));
                            }
                            cur = *p;
                        }
                        path.reverse();
                        path.dedup();
                        if from_name {
                            AliveWhy::FromName { path }
                        } else {
                            AliveWhy::FromGarbage { path }
                        }
                    }
                    None => {
                        match self
                            .gens
                            .iter()
                            .position(|g| self.heap.members(*g).contains(&id))
                        {
                            Some(generation) => AliveWhy::Uncollected { generation },
                            None => AliveWhy::Frozen,
                        }
                    }
                };
                (label, why)
            })
            .collect()
    }
}
