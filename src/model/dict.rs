//! A dict's contents (`dictobject.c`): entries in insertion order (3.6+ compact dicts), with
//! 2.7's slot table where the profile has hash order ([`Table27`]), a key index once a dict is
//! large, and compaction of deleted entries (as a resize does).

use super::dict27::Table27;
use super::value::Val;
use std::collections::HashMap;

/// A dict key: an attribute or item name (a boxed string: two words, where a `String` takes
/// three; keys never change once stored).
pub type Key = Box<str>;

/// A dict's contents. Entries keep insertion order (3.6+ compact dicts); 2.7 dicts also carry
/// their slot table, which decides iteration and release order.
#[derive(Debug, Clone, Default)]
pub struct DictObj {
    /// Insertion-ordered entries; a deleted entry becomes `None` (as `dk_entries` keeps holes)
    /// until holes are the majority, when the entries are compacted (as a 3.x resize does;
    /// order is kept, so nothing observable changes).
    pub entries: Vec<Option<(Key, Val)>>,
    pub table27: Option<Table27>,
    /// Key → entry index, once the dict is large enough for a linear search to cost.
    // Boxed on purpose: most dicts never have an index, and the box keeps `DictObj` (held in
    // every dict's `Kind`) 40 bytes smaller than the map would.
    #[allow(clippy::box_collection)]
    index: Option<Box<HashMap<Key, u32>>>,
}

/// Entries beyond which a dict keeps a hash index (and may compact). A performance choice of
/// the model (not a CPython number): below it a linear search is cheaper; nothing observable
/// depends on it.
const INDEX_FROM: usize = 8;

impl DictObj {
    pub fn new(table27: Option<Table27>) -> DictObj {
        DictObj {
            entries: Vec::new(),
            table27,
            index: None,
        }
    }

    pub fn find(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(ix) => ix.get(key).map(|i| *i as usize),
            None => self
                .entries
                .iter()
                .position(|e| e.as_ref().is_some_and(|(k, _)| &**k == key)),
        }
    }

    fn reindex(&mut self) {
        self.index = (self.entries.len() > INDEX_FROM).then(|| {
            Box::new(
                self.entries
                    .iter()
                    .enumerate()
                    .filter_map(|(i, e)| e.as_ref().map(|(k, _)| (k.clone(), i as u32)))
                    .collect(),
            )
        });
    }

    /// Drop the holes, keeping the order of the live entries (and remapping the 2.7 table).
    fn compact(&mut self) {
        let mut map = vec![u32::MAX; self.entries.len()];
        let mut live = Vec::with_capacity(self.entries.len() / 2 + 1);
        for (i, e) in std::mem::take(&mut self.entries).into_iter().enumerate() {
            if e.is_some() {
                map[i] = live.len() as u32;
                live.push(e);
            }
        }
        self.entries = live;
        if let Some(t) = &mut self.table27 {
            t.remap(&map);
        }
        self.reindex();
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
        if self.entries.len() == self.entries.capacity() && self.entries.len() < INDEX_FROM {
            // Most dicts here hold an instance's few attributes: a small dict grows by one
            // entry at a time, not to the four (then eight) a push reserves.
            self.entries.reserve_exact(1);
        }
        self.entries.push(Some((key.into(), v)));
        match &mut self.index {
            Some(ix) => {
                ix.insert(key.into(), idx);
            }
            None if self.entries.len() > INDEX_FROM => self.reindex(),
            None => {}
        }
        if let Some(t) = &mut self.table27 {
            let entries = &self.entries;
            let same = |j: u32| {
                entries[j as usize]
                    .as_ref()
                    .is_some_and(|(k, _)| &**k == key)
            };
            t.insert(idx, key, &same);
        }
        None
    }

    /// Remove `key`; returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Val> {
        let i = self.find(key)?;
        if let Some(t) = &mut self.table27 {
            let entries = &self.entries;
            let same = |j: u32| {
                entries[j as usize]
                    .as_ref()
                    .is_some_and(|(k, _)| &**k == key)
            };
            t.remove(i as u32, key, &same);
        }
        if let Some(ix) = &mut self.index {
            ix.remove(key);
        }
        let v = self.entries[i].take().map(|e| e.1);
        let live = self.index.as_ref().map_or(0, |ix| ix.len());
        if self.entries.len() > INDEX_FROM && live * 2 < self.entries.len() {
            self.compact();
        }
        v
    }

    /// Take every entry out, in release order (`PyDict_Clear`, `dict_dealloc`).
    pub fn drain(&mut self) -> Vec<Val> {
        self.index = None;
        if self.table27.is_none() {
            // 3.x: insertion order.
            return std::mem::take(&mut self.entries)
                .into_iter()
                .flatten()
                .map(|(_, v)| v)
                .collect();
        }
        let vals = self.values();
        self.entries.clear();
        self.table27 = Some(Table27::default());
        vals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(d: &DictObj) -> Vec<String> {
        d.order()
            .into_iter()
            .map(|i| d.entries[i].as_ref().unwrap().0.to_string())
            .collect()
    }

    /// Deleting and re-adding keys forever keeps the entries bounded (no scan over holes that
    /// grows with the scenario) and the order as CPython's: insertion order on 3.x, the 2.7
    /// table's order there (compared with a table that never compacts).
    #[test]
    fn dicts_compact_their_holes_and_keep_their_order() {
        for t27 in [false, true] {
            let mut d = DictObj::new(t27.then(Table27::default));
            let mut reference = Table27::default();
            let mut ref_entries: Vec<Option<String>> = Vec::new();
            let mut live: Vec<String> = Vec::new();
            for round in 0..2000 {
                let k = format!("k{}", round % 37);
                if let Some(pos) = live.iter().position(|x| *x == k) {
                    assert!(d.remove(&k).is_some());
                    live.remove(pos);
                    let i = ref_entries
                        .iter()
                        .position(|e| e.as_deref() == Some(&k))
                        .unwrap();
                    let same = |j: u32| ref_entries[j as usize].as_deref() == Some(&k);
                    reference.remove(i as u32, &k, &same);
                    ref_entries[i] = None;
                } else {
                    assert_eq!(d.set(&k, Val::Int(round)), None);
                    live.push(k.clone());
                    let idx = ref_entries.len() as u32;
                    ref_entries.push(Some(k.clone()));
                    let same = |j: u32| ref_entries[j as usize].as_deref() == Some(&k);
                    reference.insert(idx, &k, &same);
                }
                assert!(
                    d.entries.len() <= 2 * live.len() + INDEX_FROM + 1,
                    "{}",
                    d.entries.len()
                );
                for k in &live {
                    assert!(d.get(k).is_some(), "{k}");
                }
                let want: Vec<String> = if t27 {
                    reference
                        .order()
                        .into_iter()
                        .map(|i| ref_entries[i as usize].clone().unwrap())
                        .collect()
                } else {
                    live.clone()
                };
                assert_eq!(keys(&d), want, "round {round}, 2.7 table: {t27}");
            }
        }
    }
}
