//! Random A64 instruction generator for the differential tests (DESIGN "How it is tested", items 2
//! and 3): draws encodings from the decoder's own table (Arm ARM C4 "A64 Instruction Set Encoding"),
//! so every row added there is fuzzed without further work.

use super::{decode, decode_row, Inst, Row, TABLE};

/// How many times a row's free bits are re-drawn before the row is given up on for this draw.
/// Most rows decode to something defined for well over 1 in 10 random fillings; a row that fails
/// this often is mostly unallocated space and another row is drawn instead.
const ATTEMPTS_PER_ROW: u32 = 64;

/// A small deterministic PRNG (splitmix64) with helpers for drawing instructions and register
/// values. Deterministic so that a failing case is reproduced from its seed alone; hand-rolled so
/// the translator needs no extra dependency for it.
#[derive(Debug, Clone)]
pub struct Gen {
    state: u64,
}

impl Gen {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits (splitmix64).
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A number in `0..n` (`n > 0`). Multiply-shift rather than `%`: no modulo bias worth
    /// mentioning and no division.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Gen::below(0)");
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `num / den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    /// A uniformly chosen element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A register value biased towards the edges where translations go wrong: zero, all ones,
    /// the 32-bit and 64-bit sign boundaries, small values (shift amounts, bit positions) and
    /// values whose top half is garbage but whose low half is small; otherwise uniform bits.
    pub fn interesting_u64(&mut self) -> u64 {
        const EDGES: &[u64] = &[
            0,
            1,
            2,
            u64::MAX,
            u64::MAX - 1,
            0x8000_0000,
            0x7fff_ffff,
            0xffff_ffff,
            0x1_0000_0000,
            0xffff_ffff_8000_0000,
            0xffff_ffff_7fff_ffff,
            i64::MIN as u64,
            i64::MAX as u64,
            0x8000_0000_0000_0001,
            0x8000,
            0x7fff,
            0xffff,
            0x80,
            0x7f,
            0xff,
            32,
            63,
            64,
        ];
        match self.below(8) {
            0 | 1 => *self.pick(EDGES),
            2 => self.below(70),
            3 => (self.below(70) as i64).wrapping_neg() as u64,
            // Low half small, high half random: catches 32-bit ops reading the upper bits.
            4 => (self.next_u64() & !0xffff_ffff) | self.below(70),
            // A single bit or its complement.
            5 => {
                let b = 1u64 << self.below(64);
                if self.chance(1, 2) {
                    b
                } else {
                    !b
                }
            }
            _ => self.next_u64(),
        }
    }

    /// A random instruction word from one of `rows` (chosen uniformly): the row's fixed bits, the
    /// other bits random, re-drawn until the word decodes to a defined instruction *through this
    /// row* (first match wins in the table, so a filling that falls into an earlier row would be
    /// mislabelled). Returns the word and its row's name.
    ///
    /// # Panics
    /// If `rows` is empty, or if no row yields a defined instruction after many attempts.
    pub fn random_insn(&mut self, rows: &[&'static Row]) -> (u32, &'static str) {
        assert!(!rows.is_empty(), "random_insn: no rows to draw from");
        // Bounded overall so a table with only unallocated rows fails loudly instead of hanging.
        for _ in 0..rows.len() * 16 + 64 {
            let row = *self.pick(rows);
            if let Some(word) = self.random_word_in(row) {
                return (word, row.name);
            }
        }
        panic!("random_insn: no defined instruction found in {} rows", rows.len());
    }

    /// A random defined instruction word whose first matching table row is `row`, or None if
    /// [`ATTEMPTS_PER_ROW`] fillings of its free bits were all unallocated or shadowed.
    pub fn random_word_in(&mut self, row: &'static Row) -> Option<u32> {
        for _ in 0..ATTEMPTS_PER_ROW {
            let word = (self.next_u32() & !row.mask) | row.bits;
            let first = decode_row(word).is_some_and(|r| std::ptr::eq(r, row));
            if first && decode(word) != Inst::Undefined {
                return Some(word);
            }
        }
        None
    }

    /// `n` random instructions from `rows`, with their row names.
    pub fn random_seq(&mut self, rows: &[&'static Row], n: usize) -> Vec<(u32, &'static str)> {
        (0..n).map(|_| self.random_insn(rows)).collect()
    }
}

/// The table rows safe to run with arbitrary register values (`fuzz == true`: data processing,
/// no memory access, no control flow).
pub fn fuzz_rows() -> Vec<&'static Row> {
    TABLE.iter().filter(|r| r.fuzz).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_defined() {
        let rows = fuzz_rows();
        let (mut a, mut b) = (Gen::new(7), Gen::new(7));
        for _ in 0..2000 {
            let (w, name) = a.random_insn(&rows);
            assert_eq!((w, name), b.random_insn(&rows));
            assert_ne!(decode(w), Inst::Undefined, "{w:#010x}");
            assert_eq!(decode_row(w).map(|r| r.name), Some(name));
        }
    }

    #[test]
    fn every_fuzz_row_can_be_drawn() {
        let mut g = Gen::new(1);
        for row in fuzz_rows() {
            assert!((0..16).any(|_| g.random_word_in(row).is_some()), "{}", row.name);
        }
    }
}
