//! A fast hasher for the translator's maps keyed by small integers (guest pcs, pages, IR
//! values): one multiply and a rotate per word, after rustc's FxHash. The keys are the
//! translator's own values, not attacker-chosen strings, but a guest does choose its pcs: the
//! maps stay correct under collisions, only slower, and the multiply spreads nearby keys.

use std::hash::{BuildHasherDefault, Hasher};

/// The hasher state.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

/// The multiplier (odd, from FxHash): a multiply moves each bit's influence to the top bits.
/// Also the builder's memos' (`ir::memo`).
pub(crate) const K: u64 = 0xf135_7aea_2e62_a9c5;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(i.into());
    }
    fn write_u32(&mut self, i: u32) {
        self.add(i.into());
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        // The high bits of a multiply are the well-mixed ones; hashbrown uses the top 7 bits.
        self.0.rotate_left(26)
    }
}

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// A hash set with [`FastHasher`].
pub type FastSet<K> = std::collections::HashSet<K, BuildHasherDefault<FastHasher>>;

/// A hasher for maps keyed by guest addresses (pcs, page numbers: one u64 each) that keeps
/// nearby keys near each other in the table. hashbrown takes a key's bucket from the hash's low
/// bits: here a multiply of the key's 4 KiB span plus the key's word within it (so the spans of
/// a program spread over the table as FastHasher spreads keys, keys one page apart do not pile
/// up in one place, and in a small table neither do keys at the same offset of many pages: with
/// the span's multiply above the word instead of added to it, a JIT's functions at a fixed
/// stride in a table of a few thousand buckets had a few dozen places, and bench_jit took 1.045x
/// the time), and in the top 7 bits, which hashbrown compares first, a multiply of the whole
/// key. The blocks a program runs one after another lie close together,
/// so their records share the table's cache lines and pages, where a spreading hash put each
/// on a line of its own: a miss past the core's caches for each lookup and insert into tables
/// of megabytes (Node's cold start: 0.97x the time with this hasher for the shared
/// translations and the store's maps). Not for maps a JIT churns, removing and inserting keys
/// at a fixed stride (the block maps and page indexes: bench_jit 1.015x with it there, Node
/// unchanged): hashbrown's tombstones gather where the keys do.
#[derive(Default, Clone, Copy)]
pub struct NearHasher(u64);

/// hashbrown's tag: the hash's top 7 bits.
const TAG_BITS: u64 = 0x7f << 57;

impl Hasher for NearHasher {
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys come here; anything else is hashed whole, correctly if not near.
        let mut h = FastHasher(self.0);
        h.write(bytes);
        self.0 = h.finish();
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
    fn finish(&self) -> u64 {
        let key = self.0;
        let span = (key >> 12).wrapping_mul(K) >> 20;
        let within = (key & 0xfff) >> 2;
        (span.wrapping_add(within) & !TAG_BITS) | (key.wrapping_mul(K) & TAG_BITS)
    }
}

/// A `HashMap` keyed by guest addresses, with [`NearHasher`].
pub type NearMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<NearHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    fn near(key: u64) -> u64 {
        BuildHasherDefault::<NearHasher>::default().hash_one(key)
    }

    /// The bucket a table of 2^18 buckets would start looking in.
    fn bucket(key: u64) -> u64 {
        near(key) & ((1 << 18) - 1)
    }

    #[test]
    fn pcs_close_together_get_buckets_close_together() {
        let base = 0x7f12_3456_7000u64;
        for off in (0..4096).step_by(4) {
            let want = (bucket(base) + off / 4) & ((1 << 18) - 1);
            assert_eq!(bucket(base + off), want, "pc {:#x}", base + off);
        }
    }

    #[test]
    fn pcs_a_page_or_a_table_apart_spread() {
        // Code at the same offset of many pages (a JIT's stubs, a page each) and keys a table's
        // size apart must not share a place (a table of 2^18 buckets has 256 places for a 4 KiB
        // span: 256 keys thrown at random would take about 162 of them, one place takes all
        // without the multiply); nor may neighbouring keys share a tag.
        for stride in [1u64 << 12, 1 << 18, 1 << 20, 1 << 30] {
            let places: FastSet<u64> = (0..256).map(|i| bucket(0x4000_0000 + i * stride)).collect();
            assert!(
                places.len() > 128,
                "stride {stride:#x}: {} places for 256 keys",
                places.len()
            );
        }
        // A JIT's functions every 256 bytes of a 256 KiB area, in a table of 2,048 buckets:
        // thrown at random, 1,024 keys would take about 800 places (a span's multiply put
        // above the word instead of added to it: 32).
        let small: FastSet<u64> = (0..1024).map(|i| near(0x7f00_0000_0000 + i * 256) & 2047).collect();
        assert!(small.len() > 600, "{} places for 1,024 functions", small.len());
        let tags: FastSet<u64> = (0..1024).map(|i| near(0x5000_0000 + i * 4) >> 57).collect();
        assert!(tags.len() > 100, "{} tags for 1024 neighbouring pcs", tags.len());
    }
}
