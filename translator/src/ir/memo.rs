//! The builder's memos of values it made (constants, binary operations, confined addresses),
//! so that asking again for one gives the same value: direct-mapped tables that forget.
//!
//! A memo only saves work: a key it has forgotten (its slot taken by another key) makes a
//! second op computing the same value, which is correct, a little more code at most. So a
//! lookup is a multiply, a load and a compare, and an insert a store, where the hash maps they
//! replace probed, grew and were cleared block by block (bench_jit's emitted functions, twenty
//! `add w3, w3, #1` folded into one addition, made a new constant and a new addition each:
//! the maps were a tenth of its time). Each slot carries the generation it was written in, so
//! starting a new block is an increment, not a pass over the table. A guest's block that makes
//! keys collide gets no worse than no memo at all.

use super::{BinOp, Sz, Val};
use crate::fasthash::K;

/// Slots in a table (a power of two). A block's distinct constants and additions number a
/// few dozen; a collision costs one op.
const SLOTS: usize = 256;

/// A direct-mapped memo from keys of type `K` to values.
pub(super) struct Memo<K> {
    slots: Box<[Slot<K>; SLOTS]>,
    /// The generation of the current block's entries; slots of other generations are empty.
    generation: u32,
}

#[derive(Clone, Copy)]
struct Slot<K> {
    generation: u32,
    val: Val,
    key: K,
}

/// A key's place in the table.
pub(super) trait MemoKey: Copy + Eq {
    /// What empty slots hold (never looked at: their generation is not current).
    const EMPTY: Self;
    /// A hash whose top bits are well mixed (the table takes them).
    fn hash(&self) -> u64;
}

impl MemoKey for u64 {
    const EMPTY: u64 = 0;
    fn hash(&self) -> u64 {
        self.wrapping_mul(K)
    }
}

impl MemoKey for Val {
    const EMPTY: Val = Val(0);
    fn hash(&self) -> u64 {
        u64::from(self.0).wrapping_mul(K)
    }
}

/// A binary operation on two values: `Op::Bin`'s fields.
pub(super) type BinKey = (BinOp, Sz, Val, Val);

impl MemoKey for BinKey {
    const EMPTY: BinKey = (BinOp::Add, Sz::S64, Val(0), Val(0));
    fn hash(&self) -> u64 {
        let (op, s, a, b) = *self;
        let word = u64::from(a.0) | u64::from(b.0) << 32;
        let kind = (op as u64) << 1 | (s == Sz::S64) as u64;
        (word.wrapping_mul(K) ^ kind).wrapping_mul(K)
    }
}

impl<K: MemoKey> Default for Memo<K> {
    fn default() -> Self {
        let empty = Slot {
            generation: 0,
            val: Val(0),
            key: K::EMPTY,
        };
        Memo {
            slots: Box::new([empty; SLOTS]),
            generation: 1,
        }
    }
}

impl<K: MemoKey> Memo<K> {
    fn index(key: &K) -> usize {
        (key.hash() >> (64 - SLOTS.trailing_zeros())) as usize
    }

    /// The value remembered for `key` in this generation, if it is still there.
    #[inline]
    pub(super) fn get(&self, key: &K) -> Option<Val> {
        let s = &self.slots[Self::index(key)];
        (s.generation == self.generation && s.key == *key).then_some(s.val)
    }

    /// Remember `val` for `key`, forgetting whatever its slot held.
    #[inline]
    pub(super) fn insert(&mut self, key: K, val: Val) {
        let generation = self.generation;
        self.slots[Self::index(&key)] = Slot { generation, val, key };
    }

    /// Forget everything (a new block).
    pub(super) fn clear(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Once in 2^32 blocks: the old generations' slots must not look current.
            self.slots.iter_mut().for_each(|s| s.generation = 0);
            self.generation = 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_within_a_generation_only() {
        let mut m = Memo::<u64>::default();
        assert_eq!(m.get(&7), None);
        m.insert(7, Val(3));
        m.insert(1 << 40, Val(4));
        assert_eq!(m.get(&7), Some(Val(3)));
        assert_eq!(m.get(&(1 << 40)), Some(Val(4)));
        assert_eq!(m.get(&8), None);
        m.clear();
        assert_eq!(m.get(&7), None);
        assert_eq!(m.get(&(1 << 40)), None);
    }

    #[test]
    fn a_collision_forgets_and_never_answers_wrongly() {
        let mut m = Memo::<u64>::default();
        // Many more keys than slots: each answer is the key's own value or nothing.
        for k in 0..4 * SLOTS as u64 {
            m.insert(k * 0x1000, Val(k as u32));
        }
        let mut kept = 0;
        for k in 0..4 * SLOTS as u64 {
            if let Some(v) = m.get(&(k * 0x1000)) {
                assert_eq!(v, Val(k as u32));
                kept += 1;
            }
        }
        assert!(kept > SLOTS / 2, "{kept} of {SLOTS} slots hold a key");
    }

    #[test]
    fn generations_wrap_without_stale_answers() {
        let mut m = Memo::<Val>::default();
        m.insert(Val(5), Val(6));
        m.generation = u32::MAX;
        m.insert(Val(9), Val(10));
        assert_eq!(m.get(&Val(9)), Some(Val(10)));
        m.clear();
        assert_eq!(m.get(&Val(9)), None);
        assert_eq!(m.get(&Val(5)), None, "a slot of generation 1 from before the wrap");
        m.insert(Val(5), Val(7));
        assert_eq!(m.get(&Val(5)), Some(Val(7)));
    }
}
