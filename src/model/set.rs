//! A set's hash table (`Objects/setobject.c`: `PySetObject`'s `table`, `mask`, `fill`, `used`),
//! for the only keys the language puts in sets: instances of scenario classes, to which the
//! generated program gives `__hash__ = bool` (`hash(x) == 0`, equality by identity). With one
//! hash for every key, where a key lands depends only on the sequence of adds, discards and
//! resizes, which this table replays as each version's C code does ([`SetRules`]); the table
//! order is the order `set_traverse` visits the keys in, and `set_clear_internal` and
//! `set_dealloc` release them in.

use super::profile::{DummyReuse, SetRules};

/// An object's id (`heap::Id`): the table stores ids only, so this module needs nothing of
/// the heap, which holds sets.
type Id = u32;

/// `PySet_MINSIZE`: the small table every set starts with.
const MINSIZE: usize = 8;

/// A slot of the table: `key == NULL` (unused), `dummy` (a discarded key), or a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Unused,
    Dummy,
    Key(Id),
}

/// A set or frozenset object's contents.
#[derive(Debug, Clone)]
pub struct SetObj {
    pub frozen: bool,
    table: Vec<Slot>,
    /// Active plus dummy slots (`so->fill`).
    fill: usize,
    /// Active slots (`so->used`).
    used: usize,
}

impl SetObj {
    /// `make_new_set`: an empty set with the small table.
    pub fn new(frozen: bool) -> Self {
        SetObj {
            frozen,
            table: vec![Slot::Unused; MINSIZE],
            fill: 0,
            used: 0,
        }
    }

    /// The keys in table order (`set_next`): what `set_traverse` visits and the iteration
    /// order.
    pub fn keys(&self) -> impl Iterator<Item = Id> + '_ {
        self.table.iter().filter_map(|s| match s {
            Slot::Key(k) => Some(*k),
            _ => None,
        })
    }

    /// Empty the set (`set_clear_internal`, and `set_dealloc`'s loop), returning its keys in
    /// the order their references are released: table order.
    pub fn take(&mut self) -> Vec<Id> {
        let keys: Vec<Id> = self.keys().collect();
        self.table = vec![Slot::Unused; MINSIZE];
        self.fill = 0;
        self.used = 0;
        keys
    }

    /// The probe sequence from slot 0 for hash 0 (`set_lookkey` / `set_add_entry`): with a
    /// hash of 0, `perturb` is 0 from the start, so each step is `i = i * 5 + 1`; 3.x first
    /// looks at `LINEAR_PROBES` slots after each when they fit below `mask`.
    fn probe(&self, rules: &SetRules) -> impl Iterator<Item = usize> + use<> {
        let mask = self.table.len() - 1;
        let linear = rules.linear_probes;
        let mut i = 0usize;
        let mut j = 0usize;
        let mut run = if i + linear <= mask { linear } else { 0 };
        let mut first = true;
        std::iter::from_fn(move || {
            if first {
                first = false;
                return Some(i);
            }
            if j < run {
                j += 1;
                return Some((i + j) & mask);
            }
            i = (i * 5 + 1) & mask;
            j = 0;
            run = if i + linear <= mask { linear } else { 0 };
            Some(i)
        })
    }

    /// `set_add_key` → `set_add_entry` (3.x) / `set_insert_key` (2.7): add `key` unless it is
    /// there, into a dummy the probe passed ([`SetRules::dummy_reuse`]) or else the unused
    /// slot it ended at; then grow the table when it is full enough. Returns whether it was
    /// added.
    pub fn add(&mut self, key: Id, rules: &SetRules) -> bool {
        let mut freeslot = None;
        let mut unused = None;
        for i in self.probe(rules) {
            match self.table[i] {
                Slot::Unused => {
                    unused = Some(i);
                    break;
                }
                Slot::Key(k) if k == key => return false,
                Slot::Key(_) => {}
                Slot::Dummy => match rules.dummy_reuse {
                    DummyReuse::First if freeslot.is_none() => freeslot = Some(i),
                    DummyReuse::Last => freeslot = Some(i),
                    _ => {}
                },
            }
        }
        let into_dummy = freeslot.is_some();
        let at = freeslot
            .or(unused)
            .expect("a set's table always has an unused slot");
        self.table[at] = Slot::Key(key);
        self.used += 1;
        if !into_dummy {
            self.fill += 1;
        }
        if !into_dummy || rules.grow_check_after_dummy {
            let base = if rules.grow_base_is_mask {
                self.table.len() - 1
            } else {
                self.table.len()
            };
            if self.fill * rules.grow.0 >= base * rules.grow.1 {
                self.resize(self.grow_to(), rules);
            }
        }
        true
    }

    /// The size `set_add_entry` asks for when the table is full enough:
    /// `used > 50000 ? used * 2 : used * 4`.
    fn grow_to(&self) -> usize {
        if self.used > 50_000 {
            self.used * 2
        } else {
            self.used * 4
        }
    }

    /// `set_discard_key`: the key's slot becomes a dummy. Returns whether it was there.
    pub fn discard(&mut self, key: Id) -> bool {
        match self.table.iter().position(|s| *s == Slot::Key(key)) {
            Some(i) => {
                self.table[i] = Slot::Dummy;
                self.used -= 1;
                true
            }
            None => false,
        }
    }

    /// `set_table_resize`: a table of the smallest power of two above `minused` (at least
    /// [`MINSIZE`]); the active keys reinserted in old table order (`set_insert_clean`), the
    /// dummies dropped.
    fn resize(&mut self, minused: usize, rules: &SetRules) {
        let mut size = MINSIZE;
        while size <= minused {
            size <<= 1;
        }
        // The small table, already in use and without dummies: nothing to do.
        if size == MINSIZE && self.table.len() == MINSIZE && self.fill == self.used {
            return;
        }
        let keys: Vec<Id> = self.keys().collect();
        self.table = vec![Slot::Unused; size];
        self.fill = 0;
        self.used = 0;
        for k in keys {
            let i = self
                .probe(rules)
                .find(|&i| self.table[i] == Slot::Unused)
                .expect("room after a resize");
            self.table[i] = Slot::Key(k);
            self.fill += 1;
            self.used += 1;
        }
    }

    /// Bytes the table takes (the benchmark's footprint).
    pub fn heap_bytes(&self) -> usize {
        self.table.capacity() * std::mem::size_of::<Slot>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profile::Profile;
    use crate::version::Version;

    /// Seven keys added, the second and fourth discarded, one more added: the order
    /// `gc.get_referents(s)` gives on each interpreter (measured on 2.7.18, 3.6.15, 3.8.18,
    /// 3.9.18 and 3.13.0, with `__hash__ = bool`). The versions differ in which dummy the last
    /// add takes (the first, the last, none) and in when the table grew.
    #[test]
    fn adds_and_discards_place_keys_as_cpython_does() {
        let cases = [
            (Version::V2_7, [0, 10, 6, 4, 2, 5]),
            (Version::V3_6, [0, 10, 4, 2, 5, 6]),
            (Version::V3_8, [0, 4, 2, 10, 5, 6]),
            (Version::V3_9, [0, 4, 2, 5, 6, 10]),
            (Version::V3_13, [0, 4, 2, 10, 5, 6]),
        ];
        for (v, want) in cases {
            let rules = Profile::for_version(v).sets.table;
            let mut s = SetObj::new(false);
            for k in 0..7 {
                assert!(s.add(k, &rules));
            }
            assert!(!s.add(3, &rules), "{v}: a key is added once");
            assert!(s.discard(1) && s.discard(3) && !s.discard(3), "{v}");
            s.add(10, &rules);
            assert_eq!(s.keys().collect::<Vec<_>>(), want, "{v}");
            assert_eq!(s.take(), want, "{v}: released in table order");
            assert_eq!(s.keys().count(), 0);
        }
    }

    /// A clean table of 8 fills slots 0 1 6 7 4 5 2 3 on every version (no linear run fits);
    /// 2.7 grows at the 6th key, 3.x at the 5th, which shows in the order of six keys.
    #[test]
    fn small_tables_fill_along_the_probe_and_grow_per_version() {
        let order = |v: Version, n: u32| {
            let rules = Profile::for_version(v).sets.table;
            let mut s = SetObj::new(false);
            for k in 0..n {
                s.add(k, &rules);
            }
            s.keys().collect::<Vec<_>>()
        };
        // Slots 0 1 6 7 4 hold keys 0-4: in slot order 0 1 4 2 3.
        assert_eq!(order(Version::V2_7, 5), [0, 1, 4, 2, 3]);
        // 3.x grew to 32 slots at the 5th key and re-placed them in that order, linearly;
        // 2.7 grows at the 6th, re-placing them along its jumps (measured: `abecdf` against
        // `abedcf` for six keys added in order).
        assert_eq!(order(Version::V3_12, 5), [0, 1, 4, 2, 3]);
        assert_eq!(order(Version::V3_12, 6), [0, 1, 4, 2, 3, 5]);
        assert_eq!(order(Version::V2_7, 6), [0, 1, 4, 3, 2, 5]);
    }
}
