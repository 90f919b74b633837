//! CPython 2.7's open-addressing dict table, for its iteration and release order.
//!
//! 2.7 dicts have no insertion order: `dict_dealloc`, `PyDict_Clear`, `dict_traverse` and
//! `PyDict_Next` walk `ma_table` slot by slot. With `PYTHONHASHSEED=0` string hashes are the
//! classic `string_hash`, so the order is deterministic and can be reproduced exactly.

/// 2.7 `string_hash` (`Objects/stringobject.c`) with hash randomization off (`_Py_HashSecret`
/// = 0), on a 64-bit `long`: `x = (1000003*x) ^ *p++` over the bytes, the multiplier being
/// that literal of the C source.
pub fn string_hash27(s: &str) -> i64 {
    let b = s.as_bytes();
    if b.is_empty() {
        return 0;
    }
    let mut x: i64 = (b[0] as i64) << 7;
    for &c in b {
        x = x.wrapping_mul(1_000_003) ^ (c as i64);
    }
    x ^= b.len() as i64;
    if x == -1 { -2 } else { x }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Empty,
    Dummy,
    Active { key: u32, hash: i64 },
}

/// `PERTURB_SHIFT` (`Objects/dictobject.c`, 2.7): how fast the probe sequence takes in the
/// hash's high bits.
const PERTURB_SHIFT: u32 = 5;
/// `PyDict_MINSIZE` (`Include/dictobject.h`, 2.7): the slots of a new dict's table
/// (`ma_smalltable`).
const MINSIZE: usize = 8;
/// 2.7 `_PyDict_NewPresized(minused)` presizes only when `minused > 5` (`Objects/dictobject.c`).
const PRESIZE_ABOVE: usize = 5;
/// 2.7 `PyDict_SetItem` grows the table by 4 × used, or by 2 × used above this many items
/// (`dictresize(mp, (mp->ma_used > 50000 ? 2 : 4) * mp->ma_used)`, `Objects/dictobject.c`).
const DOUBLE_ABOVE: usize = 50_000;

/// The slot table of one 2.7 dict; keys are indices into the owner's entry list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table27 {
    slots: Vec<Slot>,
    fill: usize,
    used: usize,
}

impl Default for Table27 {
    fn default() -> Self {
        Table27 {
            slots: vec![Slot::Empty; MINSIZE],
            fill: 0,
            used: 0,
        }
    }
}

impl Table27 {
    /// Bytes this table owns on the heap.
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
    }

    /// `_PyDict_NewPresized(n)`: BUILD_MAP presizes when more than 5 items are coming.
    pub fn presized(n: usize) -> Self {
        let mut t = Table27::default();
        if n > PRESIZE_ABOVE {
            t.resize(n);
        }
        t
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// `lookdict_string`: the slot for `key` (found, or where it would be inserted).
    fn lookup(&self, key: u32, hash: i64, same: &dyn Fn(u32) -> bool) -> usize {
        let mask = self.mask();
        let mut i = (hash as u64 as usize) & mask;
        let mut freeslot: Option<usize> = None;
        match &self.slots[i] {
            Slot::Empty => return i,
            Slot::Active { key: k, hash: h } if *h == hash && (*k == key || same(*k)) => {
                return i;
            }
            Slot::Dummy => freeslot = Some(i),
            Slot::Active { .. } => {}
        }
        let mut perturb = hash as u64;
        let mut iu = i as u64;
        loop {
            iu = (iu << 2)
                .wrapping_add(iu)
                .wrapping_add(perturb)
                .wrapping_add(1);
            i = (iu as usize) & mask;
            match &self.slots[i] {
                Slot::Empty => return freeslot.unwrap_or(i),
                Slot::Active { key: k, hash: h } if *h == hash && (*k == key || same(*k)) => {
                    return i;
                }
                Slot::Dummy => {
                    if freeslot.is_none() {
                        freeslot = Some(i);
                    }
                }
                Slot::Active { .. } => {}
            }
            perturb >>= PERTURB_SHIFT;
        }
    }

    /// `insertdict` + the resize check in `PyDict_SetItem`. `same(k)` says whether entry `k`
    /// has the same key text. Returns the entry index that holds the key afterwards (`key` if
    /// it was new).
    pub fn insert(&mut self, key: u32, text: &str, same: &dyn Fn(u32) -> bool) -> u32 {
        let hash = string_hash27(text);
        let i = self.lookup(key, hash, same);
        match self.slots[i].clone() {
            Slot::Active { key: k, .. } => k,
            s => {
                if s == Slot::Empty {
                    self.fill += 1;
                }
                self.used += 1;
                self.slots[i] = Slot::Active { key, hash };
                // Fill at 2/3 of the table: `ma_fill*3 >= (ma_mask+1)*2`.
                if self.fill * 3 >= (self.mask() + 1) * 2 {
                    let n = if self.used > DOUBLE_ABOVE { 2 } else { 4 } * self.used;
                    self.resize(n);
                }
                key
            }
        }
    }

    /// `PyDict_DelItem`: the slot becomes a dummy.
    pub fn remove(&mut self, key: u32, text: &str, same: &dyn Fn(u32) -> bool) {
        let hash = string_hash27(text);
        let i = self.lookup(key, hash, same);
        if matches!(self.slots[i], Slot::Active { .. }) {
            self.slots[i] = Slot::Dummy;
            self.used -= 1;
        }
    }

    /// `dictresize(mp, minused)`: a new table, active entries re-inserted in old slot order.
    fn resize(&mut self, minused: usize) {
        let mut size = MINSIZE;
        while size <= minused {
            size <<= 1;
        }
        let old = std::mem::replace(&mut self.slots, vec![Slot::Empty; size]);
        self.fill = 0;
        self.used = 0;
        let mask = size - 1;
        for s in old {
            if let Slot::Active { key, hash } = s {
                // insertdict_clean: first empty slot on the probe sequence.
                let mut iu = (hash as u64) & mask as u64;
                let mut perturb = hash as u64;
                while self.slots[(iu as usize) & mask] != Slot::Empty {
                    iu = (iu << 2)
                        .wrapping_add(iu)
                        .wrapping_add(perturb)
                        .wrapping_add(1);
                    perturb >>= PERTURB_SHIFT;
                }
                self.slots[(iu as usize) & mask] = Slot::Active { key, hash };
                self.fill += 1;
                self.used += 1;
            }
        }
    }

    /// The owner compacted its entries: entry `i` is now `map[i]`.
    pub fn remap(&mut self, map: &[u32]) {
        for s in &mut self.slots {
            if let Slot::Active { key, .. } = s {
                *key = map[*key as usize];
            }
        }
    }

    /// Call `f` with each entry index in slot order, without allocating.
    pub fn for_each(&self, mut f: impl FnMut(u32)) {
        for s in &self.slots {
            if let Slot::Active { key, .. } = s {
                f(*key);
            }
        }
    }

    /// Entry indices in slot order (the order 2.7 visits and releases them).
    pub fn order(&self) -> Vec<u32> {
        self.slots
            .iter()
            .filter_map(|s| match s {
                Slot::Active { key, .. } => Some(*key),
                _ => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_of(keys: &[&str]) -> Vec<String> {
        let mut t = Table27::default();
        for (i, k) in keys.iter().enumerate() {
            let same = |j: u32| keys[j as usize] == *k;
            t.insert(i as u32, k, &same);
        }
        t.order()
            .into_iter()
            .map(|i| keys[i as usize].to_string())
            .collect()
    }

    #[test]
    fn matches_python27_hash_order() {
        // `hash('a')` on 2.7 (64-bit) is 12416037344.
        assert_eq!(string_hash27("a"), 12416037344);
        // Measured on 2.7.18 (scenarios dealloc/attribute_release_order and
        // dealloc/container_release_order): attributes z, b, m are released in the order m, z,
        // b; keys k1, k2, k3 in the order k3, k2, k1.
        assert_eq!(order_of(&["z", "b", "m"]), vec!["m", "z", "b"]);
        assert_eq!(order_of(&["k1", "k2", "k3"]), vec!["k3", "k2", "k1"]);
    }
}
