//! The index at the end of a cache file: where each pc's entry is, so that a process loading the
//! file need not walk its entries to find them.
//!
//! Walking them was a chain of dependent loads, each entry's length read before the next
//! entry's header could be: one memory latency per entry, about 3.5 ms for the 33,000 entries
//! of `python3 -c pass` (6% of its warm start), and 33,000 inserts into a hash map the process
//! built for itself. The saving process knows where it wrote each entry; it writes that down
//! as an open-addressing hash table (linear probing) after the entries, and a trailer that says
//! where the table is. A loading process looks pcs up in the table where it lies in the
//! mapped file, reading a slot or two a lookup, and builds nothing.
//!
//! The table is as untrusted as the rest of the file: it only says where to look. Every entry
//! found through it is checked as any other (its header's pc, its bounds, its tag), a lookup
//! reads at most [`MAX_PROBES`] slots, and every read is a probe of the mapping. A file without
//! a trailer that makes sense (cut short, or damaged there) is walked as before.
//!
//! Layout: `slots` slots of `pc: u64, at: u32, id: u32` (`at` 0: empty; `id`: the entry's
//! number in the file's order), then the trailer: `table: u64` (the table's offset), `count:
//! u32` (entries), `slots: u32`, [`TRAILER_MAGIC`].

/// A slot's bytes.
const SLOT_BYTES: usize = 16;

/// The trailer's bytes.
pub(super) const TRAILER_BYTES: usize = 24;

/// What the trailer ends with.
const TRAILER_MAGIC: [u8; 8] = *b"A64XIDX1";

/// Slots a lookup reads at most (a table the writer could not fit within this is made larger).
const MAX_PROBES: u32 = 64;

/// The table a saving process writes: entries added in the file's order.
#[derive(Default)]
pub(super) struct IndexWriter {
    entries: Vec<(u64, u32)>,
}

impl IndexWriter {
    /// The entry of `pc` was written at offset `at` (the next entry's number).
    pub(super) fn add(&mut self, pc: u64, at: usize) {
        let at = u32::try_from(at).expect("cache files are far shorter than 4 GiB");
        self.entries.push((pc, at));
    }

    /// The bytes [`IndexWriter::finish`] writes for `count` entries, unless it has to make the
    /// table larger than two thirds full (an entry too far from its home slot).
    pub(super) fn bytes(count: usize) -> usize {
        slots_for(count) * SLOT_BYTES + TRAILER_BYTES
    }

    /// The entries added so far.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The table and trailer to write at offset `table` (right after the last entry).
    pub(super) fn finish(&self, table: usize) -> Vec<u8> {
        let count = self.entries.len();
        let mut slots = slots_for(count);
        let mut out = loop {
            if let Some(t) = self.place(slots) {
                break t;
            }
            slots *= 2;
        };
        out.extend_from_slice(&(table as u64).to_le_bytes());
        out.extend_from_slice(&(count as u32).to_le_bytes());
        out.extend_from_slice(&(slots as u32).to_le_bytes());
        out.extend_from_slice(&TRAILER_MAGIC);
        out
    }

    /// The bytes of a table of `slots` holding the entries, unless one of them would lie
    /// [`MAX_PROBES`] or more slots past its home. A pc written twice keeps its first slot
    /// (lookups find that one).
    fn place(&self, slots: usize) -> Option<Vec<u8>> {
        // (With room for the trailer `finish` appends.)
        let mut table = Vec::with_capacity(slots * SLOT_BYTES + TRAILER_BYTES);
        table.resize(slots * SLOT_BYTES, 0);
        'entries: for (id, &(pc, at)) in self.entries.iter().enumerate() {
            let home = home(pc, slots as u32) as usize;
            for probe in 0..MAX_PROBES as usize {
                let slot = &mut table[(home + probe) % slots * SLOT_BYTES..][..SLOT_BYTES];
                let (slot_pc, rest) = slot.split_at_mut(8);
                if rest[..4] == [0; 4] {
                    slot_pc.copy_from_slice(&pc.to_le_bytes());
                    rest[..4].copy_from_slice(&at.to_le_bytes());
                    rest[4..].copy_from_slice(&(id as u32).to_le_bytes());
                    continue 'entries;
                }
                if *slot_pc == pc.to_le_bytes() {
                    continue 'entries;
                }
            }
            return None;
        }
        Some(table)
    }
}

/// The slots of a table of `count` entries: two thirds full, so that a hit reads a slot or two
/// and a miss a few more in the same lines.
fn slots_for(count: usize) -> usize {
    (count + count / 2 + 1).max(4)
}

/// A filled slot: a pc, its entry's offset and number.
type Slot = (u64, u32, u32);

/// The slot a pc's search starts at, of `slots`.
fn home(pc: u64, slots: u32) -> u32 {
    // (Instructions are 4-byte aligned: their low bits say nothing.)
    let h = (pc >> 2).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    ((u128::from(h) * u128::from(slots)) >> 64) as u32
}

/// A file's table, as its trailer describes it (offsets in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct FileIndex {
    /// Where the table starts, which is where the entries end.
    pub(super) table: usize,
    /// The entries the file holds.
    pub(super) count: u32,
    slots: u32,
}

impl FileIndex {
    /// The index of a file of `len` bytes whose last [`TRAILER_BYTES`] are `trailer`, if the
    /// trailer makes sense: its magic, a table right before it between the file's header
    /// (`header` bytes) and it, fewer entries than slots.
    pub(super) fn of(trailer: &[u8; TRAILER_BYTES], len: usize, header: usize) -> Option<FileIndex> {
        let field = |at: usize, n: usize| &trailer[at..at + n];
        if field(16, 8) != TRAILER_MAGIC {
            return None;
        }
        let table = usize::try_from(u64::from_le_bytes(field(0, 8).try_into().ok()?)).ok()?;
        let count = u32::from_le_bytes(field(8, 4).try_into().ok()?);
        let slots = u32::from_le_bytes(field(12, 4).try_into().ok()?);
        let end = table.checked_add((slots as usize).checked_mul(SLOT_BYTES)?)?;
        let fits = table >= header && end.checked_add(TRAILER_BYTES) == Some(len);
        (fits && count < slots).then_some(FileIndex { table, count, slots })
    }

    /// Where `pc`'s entry is (its offset and number) as the table says, reading slots through
    /// `read` (the file's probed reads); None when the table has no slot for it or a read fails.
    pub(super) fn find(&self, pc: u64, read: impl Fn(usize, &mut [u8]) -> bool) -> Option<(usize, u32)> {
        let home = home(pc, self.slots);
        for probe in 0..MAX_PROBES.min(self.slots) {
            let (slot_pc, at, id) = self.slot((home + probe) % self.slots, &read)?;
            if at == 0 {
                return None;
            }
            if slot_pc == pc {
                return Some((at as usize, id));
            }
        }
        None
    }

    /// Every filled slot's pc, offset and number (in the table's order).
    pub(super) fn each<'a>(
        &'a self,
        read: impl Fn(usize, &mut [u8]) -> bool + 'a,
    ) -> impl Iterator<Item = (u64, usize, u32)> + 'a {
        (0..self.slots)
            .filter_map(move |i| self.slot(i, &read))
            .filter(|&(_, at, _)| at != 0)
            .map(|(pc, at, id)| (pc, at as usize, id))
    }

    fn slot(&self, i: u32, read: &impl Fn(usize, &mut [u8]) -> bool) -> Option<Slot> {
        let mut s = [0u8; SLOT_BYTES];
        if !read(self.table + i as usize * SLOT_BYTES, &mut s) {
            return None;
        }
        let word = |at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4 bytes"));
        Some((
            u64::from_le_bytes(s[..8].try_into().expect("8 bytes")),
            word(8),
            word(12),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `writer`'s table written after `header` bytes of something else: the file's bytes.
    fn file(writer: &IndexWriter, header: usize) -> Vec<u8> {
        let mut f = vec![0xee; header];
        f.extend(writer.finish(header));
        f
    }

    fn index_of(f: &[u8], header: usize) -> Option<FileIndex> {
        let trailer = f[f.len() - TRAILER_BYTES..].try_into().expect("a trailer");
        FileIndex::of(trailer, f.len(), header)
    }

    fn reader(f: &[u8]) -> impl Fn(usize, &mut [u8]) -> bool + '_ {
        move |at, out| match f.get(at..at + out.len()) {
            Some(b) => {
                out.copy_from_slice(b);
                true
            }
            None => false,
        }
    }

    #[test]
    fn every_entry_is_found_where_it_was_written_and_others_are_not() {
        let mut w = IndexWriter::default();
        let pcs: Vec<u64> = (0..5000u64).map(|i| 0x40_0000 + 4 * (i * i % 7919)).collect();
        for (i, &pc) in pcs.iter().enumerate() {
            w.add(pc, 16 + 100 * i);
        }
        let f = file(&w, 16);
        let ix = index_of(&f, 16).expect("a good trailer");
        assert_eq!(ix.table, 16);
        for (i, &pc) in pcs.iter().enumerate() {
            // (A pc written twice is found at its first entry.)
            let first = pcs.iter().position(|&p| p == pc).expect("there");
            assert_eq!(ix.find(pc, reader(&f)), Some((16 + 100 * first, first as u32)), "{i}");
        }
        assert_eq!(ix.find(0x50_0000, reader(&f)), None);
        let distinct: std::collections::HashSet<u64> = pcs.iter().copied().collect();
        assert_eq!(ix.each(reader(&f)).count(), distinct.len());
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        let f = file(&IndexWriter::default(), 16);
        let ix = index_of(&f, 16).expect("a good trailer");
        assert_eq!((ix.count, ix.find(0x1000, reader(&f))), (0, None));
    }

    #[test]
    fn trailers_that_do_not_describe_the_file_are_refused() {
        let mut w = IndexWriter::default();
        w.add(0x1000, 16);
        let good = file(&w, 16);
        assert!(index_of(&good, 16).is_some());
        // Cut short, grown, its table said to start inside the header, or its magic changed.
        let cut = &good[8..];
        assert_eq!(index_of(cut, 16), None);
        let mut grown = good.clone();
        grown.splice(16..16, [0u8; 16]);
        assert_eq!(index_of(&grown, 16), None);
        assert_eq!(index_of(&good, 17), None);
        let mut magic = good.clone();
        *magic.last_mut().expect("bytes") ^= 1;
        assert_eq!(index_of(&magic, 16), None);
    }

    /// A table full of one pc's slots but another (forged, or a damaged file): a lookup stops
    /// after [`MAX_PROBES`] reads; one whose reads fail finds nothing.
    #[test]
    fn lookups_in_a_forged_table_are_bounded() {
        let mut f = vec![0u8; 16];
        let slots = 4096u32;
        for _ in 0..slots {
            f.extend_from_slice(&7u64.to_le_bytes());
            f.extend_from_slice(&16u32.to_le_bytes());
            f.extend_from_slice(&0u32.to_le_bytes());
        }
        f.extend_from_slice(&16u64.to_le_bytes());
        f.extend_from_slice(&1u32.to_le_bytes());
        f.extend_from_slice(&slots.to_le_bytes());
        f.extend_from_slice(&TRAILER_MAGIC);
        let ix = index_of(&f, 16).expect("it describes the file");
        let reads = std::cell::Cell::new(0);
        let counting = |at: usize, out: &mut [u8]| {
            reads.set(reads.get() + 1);
            reader(&f)(at, out)
        };
        assert_eq!(ix.find(8, counting), None);
        assert_eq!(reads.get(), MAX_PROBES);
        assert_eq!(ix.find(7, |_, _| false), None);
    }
}
