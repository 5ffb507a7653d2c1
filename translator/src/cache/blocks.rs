//! A code cache's block map: guest pc -> the record of its translation. The records lie in a
//! vector, one after another in the order they were made (a freed place is reused), and a hash
//! table maps each pc to its record's place.
//!
//! Each pc's place in the table comes with a number the owner gives (the code cache: where the
//! block's host code lies), read without the record: the run loop's lookup of a pc wants only
//! that, and the record was a second miss past the core's caches, 40% of the lookup (Node's
//! start asks 300,000 times in its main thread).
//!
//! Why not a hash table of the records themselves: a record is 48 bytes, so that table was
//! 3.6 MiB for the 33,000 blocks of `python3 -c pass`, and each insert wrote a line of it at
//! random, a miss past the core's caches: waiting for those writes was a tenth of translating a
//! block (measured with a fence after each insert). The table of places is 16 bytes a pc (a
//! megabyte there), and the records are written in order.

use crate::fasthash::FastMap;

/// Records of type `V` by guest pc.
pub(super) struct BlockMap<V> {
    /// Each pc's place in `slots` and its hint.
    index: FastMap<u64, Place>,
    /// The records with their pcs; `None` where one was removed (listed in `free`).
    slots: Vec<Option<(u64, V)>>,
    free: Vec<u32>,
}

/// Where a pc's record is, and the number its owner keeps with it ([`BlockMap::hint`]).
#[derive(Clone, Copy)]
struct Place {
    slot: u32,
    hint: u32,
}

impl<V> Default for BlockMap<V> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<V> BlockMap<V> {
    /// An empty map with room for `n` records.
    pub(super) fn with_capacity(n: usize) -> Self {
        BlockMap {
            index: FastMap::with_capacity_and_hasher(n, Default::default()),
            slots: Vec::with_capacity(n),
            free: Vec::new(),
        }
    }

    /// Room for `n` more records.
    pub(super) fn reserve(&mut self, n: usize) {
        self.index.reserve(n);
        self.slots.reserve(n.saturating_sub(self.free.len()));
    }

    pub(super) fn len(&self) -> usize {
        self.index.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub(super) fn contains_key(&self, pc: &u64) -> bool {
        self.index.contains_key(pc)
    }

    pub(super) fn get(&self, pc: &u64) -> Option<&V> {
        let p = self.index.get(pc)?;
        self.slots[p.slot as usize].as_ref().map(|(_, v)| v)
    }

    pub(super) fn get_mut(&mut self, pc: &u64) -> Option<&mut V> {
        let p = self.index.get(pc)?;
        self.slots[p.slot as usize].as_mut().map(|(_, v)| v)
    }

    /// The hint recorded with `pc`'s record, read from the index alone.
    pub(super) fn hint(&self, pc: &u64) -> Option<u32> {
        self.index.get(pc).map(|p| p.hint)
    }

    /// Record `v` for `pc`, with `hint`; the record it replaces, if any.
    pub(super) fn insert(&mut self, pc: u64, v: V, hint: u32) -> Option<V> {
        use std::collections::hash_map::Entry;
        // (One lookup of the pc, whether it is there or not.)
        let place = match self.index.entry(pc) {
            Entry::Occupied(mut e) => {
                e.get_mut().hint = hint;
                return self.slots[e.get().slot as usize].replace((pc, v)).map(|(_, old)| old);
            }
            Entry::Vacant(e) => e,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some((pc, v));
                i
            }
            None => {
                self.slots.push(Some((pc, v)));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 blocks")
            }
        };
        place.insert(Place { slot: i, hint });
        None
    }

    /// Remove `pc`'s record and return it.
    pub(super) fn remove(&mut self, pc: &u64) -> Option<V> {
        let i = self.index.remove(pc)?.slot;
        self.free.push(i);
        self.slots[i as usize].take().map(|(_, v)| v)
    }

    /// Every pc and its record, in no particular order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&u64, &V)> {
        self.slots.iter().flatten().map(|(pc, v)| (pc, v))
    }

    /// Remove every record.
    pub(super) fn clear(&mut self) {
        self.index.clear();
        self.slots.clear();
        self.free.clear();
    }
}

impl<V> std::ops::Index<&u64> for BlockMap<V> {
    type Output = V;

    fn index(&self, pc: &u64) -> &V {
        self.get(pc).expect("a block of the map")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_by_pc_through_inserts_removals_and_reused_places() {
        let mut m = BlockMap::default();
        for pc in 0..100u64 {
            assert!(m.insert(pc * 4, pc, pc as u32 + 7).is_none());
        }
        assert_eq!(m.insert(8, 1000, 1), Some(2), "replaced in its place");
        assert_eq!((m.hint(&8), m.hint(&12), m.hint(&1)), (Some(1), Some(10), None));
        for pc in (0..100u64).step_by(3) {
            assert_eq!(m.remove(&(pc * 4)), Some(if pc == 2 { 1000 } else { pc }));
        }
        assert_eq!(m.remove(&0), None, "removed already");
        // The freed places are taken by new pcs, whose records are theirs.
        for pc in 1000..1020u64 {
            m.insert(pc * 4, pc, pc as u32);
        }
        assert_eq!(m.slots.len(), 100, "no new place while freed ones were left");
        for pc in 0..100u64 {
            let want = (pc % 3 != 0).then_some(if pc == 2 { 1000 } else { pc });
            assert_eq!(m.get(&(pc * 4)).copied(), want, "pc {pc}");
            assert_eq!(m.hint(&(pc * 4)).is_some(), want.is_some(), "pc {pc}");
        }
        for pc in 1000..1020u64 {
            assert_eq!((m[&(pc * 4)], m.hint(&(pc * 4))), (pc, Some(pc as u32)));
        }
        *m.get_mut(&4).expect("there") += 1;
        assert_eq!(m[&4], 2);
        assert_eq!(m.len(), 100 - 34 + 20);
        let mut all: Vec<(u64, u64)> = m.iter().map(|(&pc, &v)| (pc, v)).collect();
        all.sort_unstable();
        assert_eq!(all.len(), m.len());
        assert!(all.iter().all(|&(pc, v)| m[&pc] == v));
        m.clear();
        assert!(m.is_empty() && m.get(&4).is_none() && m.iter().next().is_none());
    }
}
