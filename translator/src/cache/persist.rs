//! Translations kept for later processes: the persistent translation cache's contents, without
//! its files (the VM reads and writes those, `src/tcache.rs`; the translator makes no system
//! call).
//!
//! A translation is a function of the guest words its lift read (`faults::GuestWords`: the
//! block's own and its successor analysis's), the lift options, the host features the backend
//! used and a64x's own code. So a saved translation is reused exactly when the guest words at
//! those addresses are the same now (and executable), under the same options, host and a64x
//! build; the words, not a file's name or date, decide. Its code moves like a translation
//! shared between threads ([`x64::relocate`]), plus its helpers' addresses, which move with
//! a64x's image ([`x64::rebase_host_fns`]). Blocks that hand helpers an operation by address
//! (`BlockInfo::calls`, heap addresses of the process that made them) are not saved.
//!
//! Every entry carries a tag under a key only the VM holds (`crate::entrytag`: a polynomial
//! hash then SipHash-2-4), derived with the [context](Store::new) (a64x's build, options,
//! host): an entry that was changed, truncated or made elsewhere is rejected when first looked
//! at, and the block is translated as if it had never been saved. Entries are checked one by one when used, so a file costs its reading, not
//! a hash of all of it.
//!
//! Layout (little-endian): `MAGIC`, the context (u64), then entries, each `len: u32, tag: u64`
//! and `len` bytes of body: `pc: u64, kinds: u8 (tier, asked tier, counter: bits 0, 1, 2),
//! guest_insns: u16, own_ranges: u8, ranges: n (u8) x (start - pc: i32, length: u32), runs of
//! guest words: n (u8) x (start - pc: i32, words: u16, executable: u8, then the words, u32 each,
//! if executable), relocs: n (u16) x (kind: u8, at: u16, aux: u16), code: n (u16) bytes`; then
//! the index of the entries and its trailer ([`super::fileindex`]). Addresses are kept as offsets
//! from the pc and sizes in the fields they fit (a block's code is shorter than 64 KiB): the
//! fields of u64 and u32 they had were a sixth of a file (its entries 285 bytes on average for
//! `python3 -c pass`, 240 so), each byte of it written, tagged, read and checked again at every
//! start.

use super::faults::Recipe;
use super::fileindex::{FileIndex, IndexWriter, TRAILER_BYTES};
use super::shared::BlockInfo;
use super::tiers::Tier;
use crate::entrytag::TagKey;
use crate::fasthash::NearMap;
use crate::lift::{GuestWords, RunsBuilder, MAX_RUN};
use crate::x64::{self, Counter, Reloc};
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};

/// What a cache file starts with (the last byte is the format's version).
pub const MAGIC: [u8; 8] = *b"A64XTC\0\x04";

/// The bytes before a file's first entry: [`MAGIC`] and the context.
const HEADER_BYTES: usize = 16;

/// Bytes of a file a64x writes at most: the blocks this process used or made come first, then
/// the file's others, until this much.
pub const MAX_FILE_BYTES: usize = 64 << 20;

/// The translations of one program saved by earlier processes, and those this process adds.
pub struct Store {
    /// The tagging key, with the context folded in.
    tags: TagKey,
    context: u64,
    /// The file as loaded, and where each pc's entry is.
    image: Image,
    index: Index,
    /// Which entries of the image this process placed (bit `Indexed::id`), and what the lookups
    /// found: atomics, not under the lock, so that a lookup takes no lock (a warm start makes
    /// tens of thousands).
    used: Box<[AtomicU64]>,
    /// Where the last entry the load found ends (and where entries with an `id` stop).
    parsed_end: usize,
    placed: AtomicU64,
    /// Of them, those found as the entry after the one placed before (see [`Store::get`]).
    guessed: AtomicU64,
    /// Blocks placed from translations this process or its parents made ([`Store::get_made`]).
    placed_made: AtomicU64,
    rejected: AtomicU64,
    /// Whether this is a forked child's store, with translations its parent made.
    inherits: AtomicBool,
    inner: Mutex<Inner>,
}

/// Where a loaded file's entries are.
enum Index {
    /// The file's own index ([`super::fileindex`]), read where it lies.
    File(FileIndex),
    /// Found by walking the entries, in a file without a usable index (one cut short).
    Walked(NearMap<u64, Indexed>),
}

/// The entries of a file without a usable index of its own (one cut short), found by walking
/// them from the first (a trailing partial entry ignored): where each pc's is, where they end
/// and how many there are.
fn walk(image: &Image) -> (Index, usize, usize) {
    // Sized for the entries a file of this length holds, so that indexing them does not grow
    // the map: entries average about 375 bytes (python3's file: 34,000 in 12.8 MB), and room for
    // one per 512 bytes had the map grown once more, a copy of all it held (2% of a warm `ls`).
    let mut index = NearMap::with_capacity_and_hasher(image.len / 256, Default::default());
    let (mut at, mut id) = (HEADER_BYTES, 0u32);
    // Each entry: its length, its tag, then its body, which starts with the pc.
    while let Some((len, pc)) = image.header(at) {
        let end = at + 12 + len as usize;
        if len < 8 || end > image.len {
            break;
        }
        let len = (end - at) as u32;
        index.insert(pc, Indexed { at, len, id });
        at = end;
        id += 1;
    }
    (Index::Walked(index), at, id as usize)
}

/// Why a block is looked up in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wanted {
    /// The run loop asked for it.
    Now,
    /// It is the entry after one placed, placed ahead of the run loop
    /// (`CodeCache::follow_saved`).
    Ahead,
}

/// Where an entry of the image is, and its number there.
#[derive(Debug, Clone, Copy)]
struct Indexed {
    at: usize,
    len: u32,
    id: u32,
}

/// A saved translation, checked: its code (helper addresses made this process's, the rest as
/// compiled) and relocations, in the caller's [`Scratch`], and what its copies share.
pub(super) struct Saved<'s> {
    pub code: &'s [u8],
    pub relocs: &'s [Reloc],
    pub info: Arc<BlockInfo>,
}

/// Buffers kept from one lookup to the next (each thread's cache has its own): decoding an entry
/// allocates only what the placed block keeps. A copy of the code and a vector of relocations
/// per block were two of the five allocations of a warm start's every placed block.
#[derive(Default)]
pub(super) struct Scratch {
    entry: Vec<u8>,
    relocs: Vec<Reloc>,
    /// The entry after the last one placed, a guess at the next lookup (see [`Store::get`]):
    /// its offset in the image and its number.
    next: Option<(usize, u32)>,
}

/// A cache file mapped into memory (shared with the other processes that read it): read only
/// through probes (copies, [`crate::probe::copy`], and for an entry's header two loads,
/// [`crate::probe::read_u64`]), since the file may be cut short under the mapping (SIGBUS) or
/// rewritten in place while this process runs, by anyone who can write it.
struct Image {
    at: *const u8,
    len: usize,
}

// SAFETY: the mapping is only read, through probes, and lives as long as the process.
unsafe impl Send for Image {}
// SAFETY: as above.
unsafe impl Sync for Image {}

impl Image {
    /// Fill `out` from offset `at`, if it lies in the image and reading it does not fault.
    fn read(&self, at: usize, out: &mut [u8]) -> bool {
        let inside = at.checked_add(out.len()).is_some_and(|end| end <= self.len);
        inside && crate::probe::copy(out, self.at as u64 + at as u64)
    }

    /// Ask the processor to bring `len` bytes from offset `at` into its caches (a hint: it never
    /// faults, whatever is mapped there).
    fn prefetch(&self, at: usize, len: usize) {
        let end = at.saturating_add(len).min(self.len);
        for line in (at..end).step_by(64) {
            // SAFETY: a prefetch reads nothing into the program and never faults; the address
            // is inside the image's mapping.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(self.at.add(line) as *const i8)
            };
        }
    }

    /// The length and the pc of the entry at `at` (its first 20 bytes: length, tag, pc), by two
    /// probed 8-byte loads: a copy (`rep movsb`) of the 20 bytes, whose stores the loads of the
    /// pc then waited for, was half of the placing-ahead loop's own time in a warm python.
    fn header(&self, at: usize) -> Option<(u32, u64)> {
        if at.checked_add(20).is_none_or(|end| end > self.len) {
            return None;
        }
        let base = self.at as u64 + at as u64;
        let len = crate::probe::read_u64(base)? as u32;
        Some((len, crate::probe::read_u64(base + 12)?))
    }
}

#[derive(Default)]
struct Inner {
    /// Translations made by this process since its start (or its fork), to save: their entries,
    /// made when the translation was (its data is then in the processor's caches).
    new: NewEntries,
    /// The translations its parent (and the parent's parents) had made when it forked this
    /// process: placed like the file's, saved by the process that made them.
    inherited: Vec<NewEntries>,
}

/// The entries a process made, one after another in large chunks, and where each pc's latest
/// is. An allocation (and at the save, a free) per entry and a copy of each into the writer's
/// buffer were a third of what saving its translations cost a cold `python3 -c pass`; a chunk is
/// written as it lies. An entry replaced (a quick translation's, by the optimised one) stays in
/// its chunk, skipped when written.
///
/// Where each pc's latest entry is, is found when asked (at the save, or by a process placing
/// what it made), not as each is made: inserting every new entry into the map as it came, among
/// the cache misses of translating, was a quarter of what offering a translation cost.
#[derive(Default)]
struct NewEntries {
    chunks: Vec<Chunk>,
    at: NearMap<u64, EntryAt>,
    /// How far `at` has looked: the chunk, the entry there and its offset.
    indexed: (usize, usize, usize),
}

/// Entries, one after another, and their lengths: the save walks the lengths (reading each
/// entry's own from the chunk, one cache miss after another, was 2% of a cold `python3 -c
/// pass`).
struct Chunk {
    bytes: Vec<u8>,
    /// Each entry's length in bytes, [`REPLACED`] set in those a later entry replaced.
    lens: Vec<u32>,
    /// Each entry's pc (for the file's index: reading it from the entry was a cache miss each).
    pcs: Vec<u64>,
}

/// Where an entry lies in [`NewEntries::chunks`]: its chunk, its number and its offset there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EntryAt {
    chunk: u32,
    index: u32,
    offset: u32,
}

/// The size of [`NewEntries`]' chunks from the sixth on (an entry is a few hundred bytes; a
/// larger one gets a chunk of its own size): a huge page, which a64x's allocator gives them
/// (`a64x::hugealloc`).
const CHUNK_BYTES: usize = 2 << 20;

/// The size of the first chunk; each next one is twice the one before, up to [`CHUNK_BYTES`].
/// A warm start makes a few dozen entries, and a first chunk of a huge page was one 2 MiB page
/// cleared for them by the kernel: 3% of a warm `ls`'s CPU time. A cold one makes thousands
/// and soon gets chunks of a huge page.
const FIRST_CHUNK_BYTES: usize = 64 << 10;

/// Set in the length of an entry in a [`Chunk`] that a later one replaced (entries are far
/// shorter than 2 GiB).
const REPLACED: u32 = 1 << 31;

impl NewEntries {
    /// Room for an entry of `len` bytes at the end of the last chunk (a new chunk if it has
    /// not): the chunk's bytes to append it to.
    fn room(&mut self, len: usize) -> &mut Vec<u8> {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.bytes.capacity() - c.bytes.len() >= len);
        if !fits {
            let size = (FIRST_CHUNK_BYTES << self.chunks.len().min(8)).min(CHUNK_BYTES);
            self.chunks.push(Chunk {
                bytes: crate::platform::dense(|| Vec::with_capacity(len.max(size))),
                lens: Vec::new(),
                pcs: Vec::new(),
            });
        }
        &mut self.chunks.last_mut().expect("just made").bytes
    }

    /// Record that the bytes appended to the last chunk from `offset` on are `pc`'s entry.
    fn appended(&mut self, pc: u64, offset: usize) {
        let c = self.chunks.last_mut().expect("appended to");
        c.lens.push((c.bytes.len() - offset) as u32);
        c.pcs.push(pc);
    }

    /// Bring `at` up to date with the entries appended since it was last, marking those a later
    /// one replaces (not to be written).
    fn index(&mut self) {
        let (mut chunk, mut index, mut offset) = self.indexed;
        let left = self.chunks.iter().skip(chunk).map(|c| c.lens.len()).sum::<usize>();
        self.at.reserve(left.saturating_sub(index));
        while chunk < self.chunks.len() {
            while index < self.chunks[chunk].lens.len() {
                let c = &self.chunks[chunk];
                let (len, pc) = (c.lens[index], c.pcs[index]);
                let here = EntryAt {
                    chunk: chunk as u32,
                    index: index as u32,
                    offset: offset as u32,
                };
                if let Some(old) = self.at.insert(pc, here) {
                    self.chunks[old.chunk as usize].lens[old.index as usize] |= REPLACED;
                }
                offset += len as usize;
                index += 1;
            }
            if chunk + 1 == self.chunks.len() {
                break;
            }
            (chunk, index, offset) = (chunk + 1, 0, 0);
        }
        self.indexed = (chunk, index, offset);
    }

    // (What follows reads `at`: [`NewEntries::index`] first.)

    fn len(&self) -> usize {
        self.at.len()
    }

    fn contains(&self, pc: u64) -> bool {
        self.at.contains_key(&pc)
    }

    /// `pc`'s latest entry.
    fn get(&self, pc: u64) -> Option<&[u8]> {
        let e = self.at.get(&pc)?;
        let c = &self.chunks[e.chunk as usize];
        let len = (c.lens[e.index as usize] & !REPLACED) as usize;
        Some(&c.bytes[e.offset as usize..][..len])
    }

    /// The latest entries, as runs of consecutive bytes in the chunks, each with its entries'
    /// pcs and lengths.
    fn runs(&self) -> impl Iterator<Item = Run<'_>> + '_ {
        self.chunks.iter().flat_map(|c| {
            let (mut i, mut offset) = (0, 0);
            std::iter::from_fn(move || {
                // Past the replaced entries, then as far as the next one.
                while i < c.lens.len() && c.lens[i] & REPLACED != 0 {
                    offset += (c.lens[i] & !REPLACED) as usize;
                    i += 1;
                }
                let (first, start) = (i, offset);
                while i < c.lens.len() && c.lens[i] & REPLACED == 0 {
                    offset += c.lens[i] as usize;
                    i += 1;
                }
                (i > first).then(|| Run {
                    bytes: &c.bytes[start..offset],
                    pcs: &c.pcs[first..i],
                    lens: &c.lens[first..i],
                })
            })
        })
    }
}

/// Entries one after another in a chunk of [`NewEntries`], none of them replaced.
struct Run<'a> {
    bytes: &'a [u8],
    pcs: &'a [u64],
    lens: &'a [u32],
}

/// Why a file was not loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// Not an a64x cache file of this format.
    NotACacheFile,
    /// Made for another a64x build, host or set of options.
    OtherContext,
}

/// Counts of what the store did (`--stats`).
#[derive(Debug, Default, Clone, Copy)]
pub struct StoreStats {
    /// Entries in the loaded file.
    pub entries: usize,
    /// Blocks placed from it.
    pub placed: u64,
    /// Entries found as the one after the entry placed before, without the index (rejected
    /// ones included).
    pub guessed: u64,
    /// Blocks placed from translations this process made earlier or its parent had made when
    /// it forked it.
    pub placed_made: u64,
    /// Entries looked at and rejected (a bad tag or body, or guest words that changed).
    pub rejected: u64,
    /// Translations made by this process, to be saved.
    pub new: usize,
    /// Whether this process is a forked child (of a process with this store).
    pub forked: bool,
}

impl Store {
    /// An empty store whose entries are tagged with `key` and bound to `context` (a hash of
    /// what, besides the guest words, the code depends on: a64x's build, the lift options, the
    /// host features).
    pub fn new(key: [u64; 2], context: u64) -> Store {
        Store {
            tags: TagKey::new(key[0] ^ context, key[1]),
            context,
            image: Image {
                at: std::ptr::null(),
                len: 0,
            },
            index: Index::Walked(NearMap::default()),
            used: Box::default(),
            parsed_end: 0,
            placed: AtomicU64::new(0),
            guessed: AtomicU64::new(0),
            placed_made: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            inherits: AtomicBool::new(false),
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Take the cache file mapped at `at`, `len` bytes: its entries become available to
    /// [`Store::get`] (each checked when first looked up), found through the file's index, or
    /// by walking them where the file has none that makes sense (a trailing partial entry is
    /// then ignored).
    ///
    /// # Safety
    /// The mapping must stay (readable or not: reads are probed) as long as the store.
    pub unsafe fn load(&mut self, at: *const u8, len: usize) -> Result<usize, Rejected> {
        let image = Image { at, len };
        let mut magic = [0u8; 8];
        if len < HEADER_BYTES || !image.read(0, &mut magic) || magic != MAGIC {
            return Err(Rejected::NotACacheFile);
        }
        let mut context = [0u8; 8];
        if !image.read(8, &mut context) || u64::from_le_bytes(context) != self.context {
            return Err(Rejected::OtherContext);
        }
        let mut trailer = [0u8; TRAILER_BYTES];
        let trailer_at = len.checked_sub(TRAILER_BYTES);
        let file_index = trailer_at
            .filter(|&at| image.read(at, &mut trailer))
            .and_then(|_| FileIndex::of(&trailer, len, HEADER_BYTES));
        // Where the entries end and how many are numbered.
        let (index, end, ids) = match file_index {
            Some(ix) => (Index::File(ix), ix.table, ix.count as usize),
            None => walk(&image),
        };
        self.image = image;
        self.index = index;
        self.parsed_end = end;
        self.used = (0..ids.div_ceil(64)).map(|_| AtomicU64::new(0)).collect();
        Ok(self.entries())
    }

    /// How many entries the loaded file has (as its index says).
    fn entries(&self) -> usize {
        match &self.index {
            Index::File(ix) => ix.count as usize,
            Index::Walked(map) => map.len(),
        }
    }

    /// Where the loaded file's entry for `pc` is, as its index says (the entry not yet checked
    /// beyond its header's pc and bounds).
    fn lookup(&self, pc: u64) -> Option<Indexed> {
        match &self.index {
            Index::File(ix) => {
                let (at, id) = ix.find(pc, |at, out| self.image.read(at, out))?;
                self.entry_at(at, id, pc)
            }
            Index::Walked(map) => map.get(&pc).copied(),
        }
    }

    /// Every entry of the loaded file its index has, with its pc.
    fn loaded_entries(&self) -> Vec<(u64, Indexed)> {
        match &self.index {
            Index::File(ix) => (ix.each(|at, out| self.image.read(at, out)))
                .filter_map(|(pc, at, id)| Some((pc, self.entry_at(at, id, pc)?)))
                .collect(),
            Index::Walked(map) => map.iter().map(|(&pc, &e)| (pc, e)).collect(),
        }
    }

    /// The saved translation of the block at `pc`, if there is one, its tag is right and every
    /// guest word it was made from reads the same through `fetch` now; its code and relocations
    /// in `scratch`. One this process made is found too with `made`, one its parent made in a
    /// forked child.
    pub(super) fn get<'s>(
        &self,
        pc: u64,
        fetch: &dyn Fn(u64) -> Option<u32>,
        scratch: &'s mut Scratch,
        wanted: Wanted,
        made: bool,
    ) -> Option<Saved<'s>> {
        // A file is written in the order its blocks were first translated, which is the order a
        // later run of the program asks for them: the entry after the last one placed is most
        // often the one asked for next. Its bytes were prefetched when that one was placed; taken
        // from there, a lookup misses neither the index (a table of a megabyte, one cache miss a
        // lookup: 7% of a warm `python3 -c pass`) nor the entry.
        let guessed = scratch.next.take().and_then(|(at, id)| self.entry_at(at, id, pc));
        if guessed.is_some() {
            bump(&self.guessed);
        }
        let Some(entry) = guessed.or_else(|| self.lookup(pc)) else {
            let made = made || self.inherits.load(Relaxed);
            return if made { self.get_made(pc, fetch, scratch) } else { None };
        };
        let next = entry.at + entry.len as usize;
        if next < self.parsed_end {
            scratch.next = Some((next, entry.id + 1));
            self.image.prefetch(next, 384);
        }
        let saved = self
            .check(pc, entry, scratch)
            .filter(|s| s.info.words.match_fetch(fetch));
        match saved {
            Some(_) => {
                bump(&self.placed);
                // (A guessed entry's number is counted from the one before it, in the file as it
                // is now, which may hold more entries than the load found: not every number has
                // a bit.)
                if let Some(w) = self.used.get(entry.id as usize / 64) {
                    // (Unlocked, as `bump`: a bit another thread set at once may be lost, and its
                    // entry saved among those not placed, a place in the file's order.)
                    w.store(w.load(Relaxed) | 1 << (entry.id % 64), Relaxed);
                }
            }
            // (Ahead of the run loop, the code may not be mapped yet: not counted.)
            None if wanted == Wanted::Ahead => {}
            None => bump(&self.rejected),
        }
        saved
    }

    /// The pc and length of the entry after the last one placed through `scratch` (the guess of
    /// the next lookup), if there is one.
    pub(super) fn next_entry(&self, scratch: &Scratch) -> Option<(u64, u32)> {
        let (at, _) = scratch.next?;
        let (len, pc) = self.image.header(at)?;
        Some((pc, len))
    }

    /// Step the guess of the next lookup past the entry it is at, of length `len` (from
    /// [`Store::next_entry`]; its block is placed).
    pub(super) fn skip_next(&self, scratch: &mut Scratch, len: u32) {
        scratch.next = scratch.next.take().and_then(|(at, id)| {
            let next = at.checked_add(12 + len as usize)?;
            self.image.prefetch(next, 384);
            (next < self.parsed_end).then_some((next, id.checked_add(1)?))
        });
    }

    /// The entry at offset `at`, number `id`, if it is one for `pc` (its pc field says so: the
    /// body is checked when it is used, the pc with it).
    fn entry_at(&self, at: usize, id: u32, pc: u64) -> Option<Indexed> {
        let (len, entry_pc) = self.image.header(at)?;
        let end = at.checked_add(12 + len as usize)?;
        (entry_pc == pc && len >= 8 && end <= self.image.len).then_some(Indexed {
            at,
            len: (end - at) as u32,
            id,
        })
    }

    /// The entry at `at`, `len` bytes, if its tag and body are right and it is the translation
    /// of `pc`: checked on a copy in `scratch`, so that what is checked is what is used.
    fn check<'s>(&self, pc: u64, Indexed { at, len, .. }: Indexed, scratch: &'s mut Scratch) -> Option<Saved<'s>> {
        scratch.entry.resize(len as usize, 0);
        if !self.image.read(at, &mut scratch.entry) {
            return None;
        }
        // (The pc opens the body, which the tag covers: an entry moved in the file to where
        // another pc's was is refused.)
        if scratch.entry.get(12..20) != Some(&pc.to_le_bytes()[..]) {
            return None;
        }
        self.verify(scratch)
    }

    /// The translation of `pc` this process made (placed again after its code was dropped, by a
    /// flush or a fork) or its parent had made when it forked it, if the guest words it was made
    /// from read the same through `fetch` now; its code and relocations in `scratch`.
    fn get_made<'s>(&self, pc: u64, fetch: &dyn Fn(u64) -> Option<u32>, scratch: &'s mut Scratch) -> Option<Saved<'s>> {
        {
            let mut inner = self.lock();
            let inner = &mut *inner;
            inner.new.index();
            inner.inherited.iter_mut().for_each(NewEntries::index);
            let mut made = std::iter::once(&inner.new).chain(inner.inherited.iter().rev());
            let entry = made.find_map(|n| n.get(pc))?;
            scratch.entry.clear();
            scratch.entry.extend_from_slice(entry);
        }
        // Made by this process (or its parent, before the fork) and kept in the VM's own memory,
        // which the guest cannot write: its tag need not be checked again (a forked child placing
        // what a cold parent made checked a tag for each, 5% of a shell loop's CPU time).
        let saved = self.decode_own(scratch).filter(|s| s.info.words.match_fetch(fetch));
        let count = if saved.is_some() {
            &self.placed_made
        } else {
            &self.rejected
        };
        bump(count);
        saved
    }

    /// The entry in `scratch`, made by this process (its tag not checked), if its body is right.
    fn decode_own<'s>(&self, scratch: &'s mut Scratch) -> Option<Saved<'s>> {
        let Scratch { entry, relocs, .. } = scratch;
        decode(entry.get_mut(12..)?, relocs)
    }

    /// The entry in `scratch`, if its tag and body are right.
    fn verify<'s>(&self, scratch: &'s mut Scratch) -> Option<Saved<'s>> {
        let Scratch { entry, relocs, .. } = scratch;
        if entry.len() < 12 {
            return None;
        }
        let tag = u64::from_le_bytes(entry[4..12].try_into().expect("8 bytes"));
        let body = &mut entry[12..];
        if self.tags.tag(body) != tag {
            return None;
        }
        decode(body, relocs)
    }

    /// Keep the translation of `pc` made by this process (`code` with `relocs`, and `info`) for
    /// [`Store::encode`]. Not kept: one that hands helpers operations by address, counts
    /// executions (a profile's) or checks FPCR.FZ (entries are placed in code without checks).
    pub(super) fn offer(&self, pc: u64, code: &[u8], relocs: &[Reloc], info: &BlockInfo) {
        let counted = matches!(info.recipe.counter, Some(Counter::Executions(_)));
        if !info.calls.is_empty() || counted || info.recipe.fz_checks {
            return;
        }
        let mut inner = self.lock();
        encode_entry(&mut inner.new, &self.tags, pc, code, relocs, info, x64::host_anchor());
    }

    /// Forget the translations made so far: after a save, they are in the file.
    pub fn forget_new(&self) {
        self.lock().new = NewEntries::default();
    }

    /// Run `clone` (a fork) with the store's lock held, so that the child does not inherit it
    /// held by a thread it does not have. In the child (`clone` returned 0) the translations
    /// made so far are the parent's to save, and the child's to place: a forked child starts
    /// with an empty code cache and places what it runs from them and from the file, rather
    /// than copy the parent's code. Kept, not freed: freeing tens of thousands of entries would
    /// write to every heap page they lie in, each a copy-on-write fault in the child (a
    /// subprocess of a python that ran for a while paid tens of milliseconds for it); left
    /// alone, they stay the parent's pages.
    pub fn fork(&self, clone: &mut dyn FnMut() -> i64) -> i64 {
        let mut inner = self.lock();
        let r = clone();
        if r == 0 {
            let made = std::mem::take(&mut inner.new);
            inner.inherited.push(made);
            self.inherits.store(true, Relaxed);
        }
        r
    }

    /// What the store did.
    pub fn stats(&self) -> StoreStats {
        let mut inner = self.lock();
        inner.new.index();
        StoreStats {
            entries: self.entries(),
            placed: self.placed.load(Relaxed),
            guessed: self.guessed.load(Relaxed),
            placed_made: self.placed_made.load(Relaxed),
            rejected: self.rejected.load(Relaxed),
            new: inner.new.len(),
            forked: !inner.inherited.is_empty(),
        }
    }

    /// Write a cache file with this process's translations, then the entries of the loaded
    /// file it used, then its others (not checked again: a bad one is rejected when read), up to
    /// [`MAX_FILE_BYTES`], to `out` (the VM's file, through a buffer: the entries are written
    /// where they lie, not gathered into one more copy of the file). An entry of the file is
    /// left out where this process made the block again. Many new translations go through
    /// [`FileOut::alongside`], while what follows them is made ready.
    pub fn write_to(&self, out: &mut dyn FileOut) -> std::io::Result<()> {
        let mut inner = self.lock();
        inner.new.index();
        out.write_all(&MAGIC)?;
        out.write_all(&self.context.to_le_bytes())?;
        let mut written = HEADER_BYTES;
        let mut index = IndexWriter::default();
        let mut parts = Vec::new();
        let mut cut = false;
        for run in inner.new.runs() {
            // The run's entries that fit, whole, and no more.
            let mut end = 0;
            for (&pc, &len) in run.pcs.iter().zip(run.lens) {
                if !fits(written + end + len as usize, index.len() + 1) {
                    break;
                }
                index.add(pc, written + end);
                end += len as usize;
            }
            parts.push(&run.bytes[..end]);
            written += end;
            if end < run.bytes.len() {
                cut = true;
                break;
            }
        }
        let inner = &*inner;
        if written - HEADER_BYTES < ALONGSIDE_FROM {
            for part in &parts {
                out.write_all(part)?;
            }
            if !cut {
                self.write_loaded(inner, out, &mut index, &mut written)?;
            }
            return out.write_all(&index_table(&index, written));
        }
        // The loaded file's entries gathered and the index made while the new ones are written.
        let (mut tail, mut table, mut gathered) = (Vec::new(), Vec::new(), Ok(()));
        out.alongside(&parts, HEADER_BYTES as u64, &mut || {
            if !cut {
                gathered = self.write_loaded(inner, &mut tail, &mut index, &mut written);
            }
            table = index_table(&index, written);
        })?;
        gathered?;
        out.write_all(&tail)?;
        out.write_all(&table)
    }

    /// The rest of [`Store::write_to`]: the entries of the loaded file, those this process
    /// placed first.
    fn write_loaded(
        &self,
        inner: &Inner,
        out: &mut dyn std::io::Write,
        index: &mut IndexWriter,
        written: &mut usize,
    ) -> std::io::Result<()> {
        let placed =
            |id: u32| (self.used.get(id as usize / 64)).is_some_and(|w| w.load(Relaxed) & (1 << (id % 64)) != 0);
        let mut loaded = self.loaded_entries();
        loaded.retain(|&(pc, _)| !inner.new.contains(pc));
        // (Once each, whatever a damaged index says.)
        loaded.sort_unstable_by_key(|&(pc, _)| pc);
        loaded.dedup_by_key(|&mut (pc, _)| pc);
        // In the file's order (the index's is a hash's), which is the order they were first
        // made: a later process asks for them in that order too (see `Store::get`).
        let old = |used: bool| {
            let mut old: Vec<(u64, Indexed)> = loaded.iter().copied().filter(|(_, e)| placed(e.id) == used).collect();
            old.sort_unstable_by_key(|(_, e)| e.at);
            old
        };
        let mut copy = Vec::new();
        for (pc, Indexed { at, len, .. }) in old(true).into_iter().chain(old(false)) {
            let len = len as usize;
            if !fits(*written + len, index.len() + 1) {
                break;
            }
            copy.resize(len, 0);
            if self.image.read(at, &mut copy) {
                out.write_all(&copy)?;
                index.add(pc, *written);
                *written += len;
            }
        }
        Ok(())
    }

    /// The bytes [`Store::write_to`] writes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out: Vec<u8> = Vec::new();
        self.write_to(&mut out).expect("writing to a Vec does not fail");
        out
    }
}

/// Whether a file whose entries end at `end` fits within [`MAX_FILE_BYTES`] with the index of
/// its `count` entries: a longer file is not read (see the VM's `tcache`), so an entry that
/// would make it longer is left out.
fn fits(end: usize, count: usize) -> bool {
    end + IndexWriter::bytes(count) <= MAX_FILE_BYTES
}

/// Where a cache file goes: written in order, except for the parts [`FileOut::alongside`] is
/// given, which the VM's file writes on a thread of its own while the saving thread makes ready
/// what follows them (the index of a cold Node's 147,000 entries took 12 ms of its 65 ms save,
/// at its exit, the other processor idle). One thread writes at a time: two writing the file at
/// once took turns at its lock, each spinning while the other wrote (a cold `python3 -c pass`
/// 1.03x the CPU, its wall time the same).
pub trait FileOut: std::io::Write {
    /// Write `parts`, one after another, at offset `at` (where this writer is now), running
    /// `meanwhile` (which writes nothing) as they are written; this writer then goes on after
    /// them.
    fn alongside(&mut self, parts: &[&[u8]], at: u64, meanwhile: &mut dyn FnMut()) -> std::io::Result<()>;
}

/// All in order ([`Store::encode`]).
impl FileOut for Vec<u8> {
    fn alongside(&mut self, parts: &[&[u8]], at: u64, meanwhile: &mut dyn FnMut()) -> std::io::Result<()> {
        debug_assert_eq!(at as usize, self.len(), "where the file is");
        for part in parts {
            self.extend_from_slice(part);
        }
        meanwhile();
        Ok(())
    }
}

/// Bytes of new translations from which [`Store::write_to`] hands them to
/// [`FileOut::alongside`]: fewer are not worth a thread (a cold `python3 -c pass` makes 9 MB,
/// `ls` a few hundred KiB).
const ALONGSIDE_FROM: usize = 4 << 20;

/// The index of a file whose entries end at `written`, or nothing if the table had to be made
/// larger than [`fits`] allowed for: a file without an index is walked.
fn index_table(index: &IndexWriter, written: usize) -> Vec<u8> {
    let table = index.finish(written);
    if written + table.len() > MAX_FILE_BYTES {
        return Vec::new();
    }
    table
}

/// Count one more in `counter` (a figure for `--stats` and tests) without a locked instruction:
/// a warm start looks up tens of thousands of entries, each after copying one and placing its
/// code, and the `lock` of an atomic add waited at each for those stores to reach the cache (61%
/// of the lookup's own time, 4% of a warm `python3 -c pass`). Two threads counting at once may
/// count one.
fn bump(counter: &AtomicU64) {
    counter.store(counter.load(Relaxed) + 1, Relaxed);
}

fn tier_code(t: Tier) -> u8 {
    match t {
        Tier::Quick => 0,
        Tier::Optimised => 1,
    }
}

fn tier_of(c: u8) -> Option<Tier> {
    match c {
        0 => Some(Tier::Quick),
        1 => Some(Tier::Optimised),
        _ => None,
    }
}

/// A file entry for the translation of `pc`, `code` with `relocs` and `info` (helper addresses
/// made offsets from `anchor`): its length, its tag under `tags` and its body (see the module's
/// layout), appended to `new`. Not made for a block whose sizes the layout's fields cannot hold
/// (none that a64x makes: more than 255 ranges or runs of words, guest code more than 2 GiB from
/// `pc`, 64 KiB of host code).
fn encode_entry(
    new: &mut NewEntries,
    tags: &TagKey,
    pc: u64,
    code: &[u8],
    relocs: &[Reloc],
    info: &BlockInfo,
    anchor: u64,
) {
    let runs = info.words.runs();
    let words: usize = runs.clone().filter_map(|r| r.words).map(<[u32]>::len).sum();
    let run_count = runs.clone().count();
    let near = |a: u64| i32::try_from(a.wrapping_sub(pc) as i64).ok();
    let fits = info.ranges.len() <= 255
        && run_count <= 255
        && info.own_ranges <= info.ranges.len()
        && u16::try_from(info.guest_insns).is_ok()
        && u16::try_from(relocs.len()).is_ok()
        && u16::try_from(code.len()).is_ok()
        && info
            .ranges
            .iter()
            .all(|&(s, e)| near(s).is_some() && u32::try_from(e.wrapping_sub(s)).is_ok())
        && runs.clone().all(|r| near(r.start).is_some());
    if !fits {
        return;
    }
    // pc, kinds, guest_insns, own_ranges; each list's count, then its items; the code.
    let head = 8 + 1 + 2 + 1;
    let ranges_len = 1 + 8 * info.ranges.len();
    let runs_len = 1 + 7 * run_count + 4 * words;
    let body_len = head + ranges_len + runs_len + 2 + 5 * relocs.len() + 2 + code.len();
    let b = new.room(12 + body_len);
    let start = b.len();
    // Written into the chunk's spare room through a cursor: appending field by field checked
    // the vector's capacity and stored its length at each (a fifth of an offer), and zeroing
    // the room first was one more pass over memory not yet in the cache (in Node's main thread
    // 2.5% of its time, more than the rest of the offer).
    let mut o = Out(&mut b.spare_capacity_mut()[..12 + body_len], 0);
    o.put(&(body_len as u32).to_le_bytes());
    o.put(&0u64.to_le_bytes()); // the tag, once the body is there
    o.put(&pc.to_le_bytes());
    let counted = matches!(info.recipe.counter, Some(Counter::Countdown(_)));
    o.put(&[tier_code(info.tier) | tier_code(info.recipe.asked) << 1 | u8::from(counted) << 2]);
    o.put(&(info.guest_insns as u16).to_le_bytes());
    o.put(&[info.own_ranges as u8, info.ranges.len() as u8]);
    for &(s, e) in &info.ranges {
        o.put(&(s.wrapping_sub(pc) as u32).to_le_bytes());
        o.put(&(e.wrapping_sub(s) as u32).to_le_bytes());
    }
    o.put(&[run_count as u8]);
    for run in runs {
        o.put(&(run.start.wrapping_sub(pc) as u32).to_le_bytes());
        // (A run is shorter than `MAX_RUN`, 2^16 words.)
        o.put(&(run.len as u16).to_le_bytes());
        o.put(&[u8::from(run.words.is_some())]);
        for w in run.words.into_iter().flatten() {
            o.put(&w.to_le_bytes());
        }
    }
    o.put(&(relocs.len() as u16).to_le_bytes());
    for r in relocs {
        let (kind, at, aux) = match *r {
            Reloc::Epilogue { at } => (0u8, at, 0),
            Reloc::ChainMiss { at } => (1, at, 0),
            Reloc::Counter { at, end } => (2, at, end),
            Reloc::HostFn { at } => (3, at, 0),
            Reloc::Promote { at } => (4, at, 0),
        };
        // (Offsets in the code, which is shorter than 64 KiB.)
        o.put(&[kind]);
        o.put(&(at as u16).to_le_bytes());
        o.put(&(aux as u16).to_le_bytes());
    }
    o.put(&(code.len() as u16).to_le_bytes());
    let at = o.1;
    o.put(code);
    assert_eq!(o.1, 12 + body_len, "the entry's size as computed");
    // SAFETY: the puts wrote every byte of the room from `start` on, one after another, up to
    // the length just checked.
    unsafe { b.set_len(start + 12 + body_len) };
    let entry = &mut b[start..];
    x64::rebase_host_fns(&mut entry[at..], relocs, anchor.wrapping_neg());
    let tag = tags.tag(&entry[12..]);
    entry[4..12].copy_from_slice(&tag.to_le_bytes());
    new.appended(pc, start);
}

/// Writes an entry into room made for it: the room and how far it is written.
struct Out<'a>(&'a mut [MaybeUninit<u8>], usize);

impl Out<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.0[self.1..self.1 + bytes.len()].write_copy_of_slice(bytes);
        self.1 += bytes.len();
    }
}

/// Reads a body, every length checked.
#[derive(Clone)]
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    /// A count (`n` read before) of items of `size` bytes that the rest of the body can hold.
    fn count(&self, n: usize, size: usize) -> Option<usize> {
        (n.checked_mul(size)? <= self.0.len()).then_some(n)
    }
}

/// The translation an entry's body describes, its helper addresses made this process's (in
/// `body`), its relocations in `relocs`; None if the body is malformed (wrong lengths, a
/// relocation outside the code, an unknown kind, words out of order).
fn decode<'s>(body: &'s mut [u8], relocs: &'s mut Vec<Reloc>) -> Option<Saved<'s>> {
    let mut r = Reader(body);
    let pc = r.u64()?;
    let kinds = r.u8()?;
    let tier = tier_of(kinds & 1)?;
    let asked = tier_of(kinds >> 1 & 1)?;
    let counter = match kinds >> 2 {
        0 => None,
        1 => Some(Counter::Countdown(0)),
        _ => return None,
    };
    if (tier == Tier::Quick) != counter.is_some() {
        return None;
    }
    let guest_insns = u32::from(r.u16()?);
    let own_ranges = r.u8()? as usize;
    let n = r.u8()? as usize;
    let n = r.count(n, 8)?;
    let mut ranges = crate::ir::Ranges::with_capacity(n);
    for _ in 0..n {
        let start = pc.wrapping_add(r.u32()? as i32 as u64);
        ranges.push((start, start.checked_add(u64::from(r.u32()?))?));
    }
    if own_ranges > ranges.len() {
        return None;
    }
    let words = decode_words(&mut r, pc)?;
    let n = r.u16()? as usize;
    let n = r.count(n, 5)?;
    let mut items = Reader(r.take(n * 5)?);
    let len = r.u16()? as usize;
    let code_at = body.len() - r.0.len();
    r.take(len)?;
    if !r.0.is_empty() {
        return None;
    }
    relocs.clear();
    for _ in 0..n {
        relocs.push(reloc(items.u8()?, items.u16()? as usize, items.u16()? as usize, len)?);
    }
    let code = &mut body[code_at..];
    x64::rebase_host_fns(code, relocs, x64::host_anchor());
    let info = Arc::new(BlockInfo {
        ranges,
        own_ranges,
        guest_insns,
        tier,
        faults: Default::default(),
        words,
        // (Only code without checks of FPCR.FZ is offered: `CodeCache::translate`.)
        recipe: Recipe {
            asked,
            counter,
            fz_checks: false,
        },
        calls: Vec::new(),
    });
    Some(Saved { code, relocs, info })
}

/// The words of a body's runs (see [`GuestWords`]; their addresses from `pc`), if their
/// addresses increase.
fn decode_words(r: &mut Reader, pc: u64) -> Option<GuestWords> {
    let count = r.u8()? as usize;
    let count = r.count(count, 7)?;
    let mut words = RunsBuilder::default();
    let mut next = 0u64;
    for _ in 0..count {
        let start = pc.wrapping_add(r.u32()? as i32 as u64);
        let (n, executable) = (u32::from(r.u16()?), r.u8()? != 0);
        if n == 0 || n >= MAX_RUN || start < next {
            return None;
        }
        next = start.checked_add(4 * u64::from(n))?;
        let bytes = if executable {
            Some(r.take(4 * n as usize)?)
        } else {
            None
        };
        words.run(start, n, bytes);
    }
    Some(words.finish())
}

/// A relocation of a body, if it lies inside code of `len` bytes.
fn reloc(kind: u8, at: usize, aux: usize, len: usize) -> Option<Reloc> {
    let fits = |n: usize| at.checked_add(n).is_some_and(|e| e <= len);
    match kind {
        0 if fits(4) && aux == 0 => Some(Reloc::Epilogue { at }),
        1 if fits(4) && aux == 0 => Some(Reloc::ChainMiss { at }),
        2 if fits(4) && aux <= len && aux >= at + 4 => Some(Reloc::Counter { at, end: aux }),
        3 if fits(8) => Some(Reloc::HostFn { at }),
        4 if fits(4) && aux == 0 => Some(Reloc::Promote { at }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{test_platform, CodeCache};
    use super::*;
    use crate::lift::LiftOptions;

    impl Store {
        /// [`Store::load`] of `bytes`, kept for the rest of the test run.
        fn load_bytes(&mut self, bytes: Vec<u8>) -> Result<usize, Rejected> {
            let bytes = Vec::leak(bytes);
            // SAFETY: leaked, so it stays.
            unsafe { self.load(bytes.as_ptr(), bytes.len()) }
        }
    }

    const KEY: [u64; 2] = [0x1234_5678_9abc_def0, 0x0fed_cba9_8765_4321];
    const CONTEXT: u64 = 0xc0de;

    /// Guest code: at every 16 bytes from 0x10000 for a page, `add x0, x0, #1 ; ldr x1, [x0] ;
    /// cbz x0, +8 ; ret` (a memory access and a chained exit to the next block's `ret`).
    fn code(pc: u64) -> Option<u32> {
        if !(0x10000..0x11000).contains(&pc) {
            return None;
        }
        Some(match pc % 16 {
            0 => 0x9100_0400, // add x0, x0, #1
            4 => 0xf940_0001, // ldr x1, [x0]
            8 => 0xb400_0040, // cbz x0, +8
            _ => 0xd65f_03c0, // ret
        })
    }

    fn cache_with(store: &Arc<Store>) -> CodeCache {
        test_platform::install();
        let mut c = CodeCache::new(1 << 20, LiftOptions::default()).expect("code cache");
        c.omit_fz_checks();
        c.use_store(store.clone());
        c
    }

    /// A store that loaded [`first_process`]'s file (all of its 256 entries).
    fn loaded_first_process() -> Arc<Store> {
        let mut store = Store::new(KEY, CONTEXT);
        assert_eq!(store.load_bytes(first_process()), Ok(256));
        Arc::new(store)
    }

    /// A process that translates every block of `code` and saves: the file's bytes.
    fn first_process() -> Vec<u8> {
        first_process_store().encode()
    }

    /// The store of a process that translated every block of `code`.
    fn first_process_store() -> Arc<Store> {
        let store = Arc::new(Store::new(KEY, CONTEXT));
        let mut c = cache_with(&store);
        for pc in (0x10000..0x11000).step_by(16) {
            c.get(pc, &code).expect("translates");
        }
        assert_eq!(store.stats().new, 256);
        store
    }

    /// An entry made by hand: its length, a tag of zeros, `pc` and `extra` more bytes.
    fn raw_entry(new: &mut NewEntries, pc: u64, extra: usize) -> Vec<u8> {
        let mut e = ((8 + extra) as u32).to_le_bytes().to_vec();
        e.extend_from_slice(&[0; 8]);
        e.extend_from_slice(&pc.to_le_bytes());
        e.extend(std::iter::repeat_n(pc as u8, extra));
        let b = new.room(e.len());
        let start = b.len();
        b.extend_from_slice(&e);
        new.appended(pc, start);
        e
    }

    #[test]
    fn only_the_latest_entry_of_a_pc_is_written_in_runs_as_they_lie() {
        let mut new = NewEntries::default();
        let _a = raw_entry(&mut new, 1, 3);
        let _b = raw_entry(&mut new, 2, 5); // replaced by f
        let c = raw_entry(&mut new, 1, 7); // replaces a
        let d = raw_entry(&mut new, 3, 0);
        // Found in two steps: the later replaces an entry the first step found.
        new.index();
        // A chunk of its own, then one more entry after it in a new chunk.
        let big = raw_entry(&mut new, 4, CHUNK_BYTES);
        let e = raw_entry(&mut new, 5, 1);
        let f = raw_entry(&mut new, 2, 2); // replaces b
        new.index();
        let runs: Vec<Vec<u8>> = new.runs().map(|r| r.bytes.to_vec()).collect();
        assert_eq!(runs, vec![[&c[..], &d].concat(), big.clone(), [&e[..], &f].concat()]);
        let pcs: Vec<&[u64]> = new.runs().map(|r| r.pcs).collect();
        assert_eq!(pcs, [&[1, 3][..], &[4], &[5, 2]]);
        assert_eq!(new.len(), 5);
        // Each pc's latest entry, wherever its chunk.
        for (pc, want) in [(1, &c), (2, &f), (3, &d), (4, &big), (5, &e)] {
            assert_eq!(new.get(pc), Some(&want[..]), "pc {pc}");
        }
    }

    #[test]
    fn a_file_with_its_index_stays_within_the_bound_a_reader_takes() {
        // 1 KiB entries: without room kept for the index, they would fill the bound to within
        // a kilobyte and the index would go past it, and no later process would read the file
        // (a Node run's file was dropped every other run).
        let store = Store::new(KEY, CONTEXT);
        let count = MAX_FILE_BYTES / 1024 + 10;
        {
            let mut inner = store.lock();
            for i in 0..count {
                raw_entry(&mut inner.new, 0x10_0000 + 4 * i as u64, 1024 - 20);
            }
        }
        let file = store.encode();
        assert!(file.len() <= MAX_FILE_BYTES, "{} bytes", file.len());
        let trailer = file[file.len() - TRAILER_BYTES..].try_into().expect("a trailer");
        let index = FileIndex::of(&trailer, file.len(), HEADER_BYTES).expect("an index");
        let kept = index.count as usize;
        assert!(kept < count && kept > count * 9 / 10, "{kept} of {count} kept");
        assert_eq!(index.table, HEADER_BYTES + kept * 1024);
    }

    /// A file written as the VM's is: what [`FileOut::alongside`] is given kept apart, put
    /// at its offset afterwards.
    #[derive(Default)]
    struct Split {
        main: Vec<u8>,
        side: Vec<(u64, Vec<u8>)>,
    }

    impl std::io::Write for Split {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.main.write(bytes)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl FileOut for Split {
        fn alongside(&mut self, parts: &[&[u8]], at: u64, meanwhile: &mut dyn FnMut()) -> std::io::Result<()> {
            assert_eq!(at as usize, self.main.len(), "where the file is");
            self.side.push((at, parts.concat()));
            meanwhile();
            assert_eq!(at as usize, self.main.len(), "nothing written meanwhile");
            Ok(())
        }
    }

    impl Split {
        fn file(self) -> Vec<u8> {
            let mut file = self.main;
            for (at, bytes) in self.side.into_iter().rev() {
                file.splice(at as usize..at as usize, bytes);
            }
            file
        }
    }

    #[test]
    fn many_new_entries_are_written_alongside_while_what_follows_is_made_ready() {
        // A process that placed a file's 256 entries and made 6,000 more.
        let mut store = Store::new(KEY, CONTEXT);
        assert_eq!(store.load_bytes(first_process()), Ok(256));
        let count = 6000;
        {
            let mut inner = store.lock();
            for i in 0..count {
                raw_entry(&mut inner.new, 0x10_0000 + 4 * i as u64, 1024 - 20);
            }
        }
        let mut split = Split::default();
        store.write_to(&mut split).expect("written");
        assert_eq!(split.side.len(), 1);
        let (at, side) = &split.side[0];
        assert_eq!((*at as usize, side.len()), (HEADER_BYTES, count * 1024));
        let file = split.file();
        assert_eq!(file, store.encode());
        let mut next = Store::new(KEY, CONTEXT);
        assert_eq!(next.load_bytes(file), Ok(count + 256));
        // Few new entries: all in order, here. (Compared with the same store's encoding, not
        // with another process's: a quick translation's code holds the rip-relative
        // displacement of its countdown, relocated where it is placed, and it differs with where
        // each cache's countdowns lie, so two processes' entries for a block need not be the same
        // bytes: this test failed one run in four with the tests around it.)
        let few = first_process_store();
        let mut split = Split::default();
        few.write_to(&mut split).expect("written");
        assert_eq!(split.side, []);
        assert_eq!(split.file(), few.encode());
    }

    #[test]
    fn code_outside_files_is_neither_placed_from_the_store_nor_offered_to_it() {
        // Asked as JIT code (`file_code` false): the saved entries are not used, and the new
        // translations are not kept.
        let store = loaded_first_process();
        let mut c = cache_with(&store);
        let jit = |_| false;
        for pc in (0x10000..0x10100).step_by(16) {
            c.get_in(pc, &code, &jit).expect("translates");
        }
        assert_eq!((c.stats.loaded, c.stats.blocks), (0, 16));
        assert_eq!((store.stats().placed, store.stats().new), (0, 0));
        // A file's code next to it (here the rest of the page) is placed as before.
        for pc in (0x10100..0x10200).step_by(16) {
            c.get_in(pc, &code, &|pc| pc >= 0x10100).expect("placed");
        }
        assert_eq!((c.stats.loaded, c.stats.blocks), (16, 16));
        // And made again where the file's entry no longer fits, it is offered.
        let changed = |pc: u64| if pc == 0x10200 { Some(0x9100_0800) } else { code(pc) };
        c.get_in(0x10200, &changed, &|_| true).expect("translates");
        assert_eq!((c.stats.blocks, store.stats().new), (17, 1));
    }

    #[test]
    fn a_later_process_places_the_saved_blocks_as_it_would_have_made_them() {
        let store = loaded_first_process();
        let later = same_as_fresh(&store);
        assert_eq!((later.stats.loaded, later.stats.blocks), (256, 0));
        assert_eq!(store.stats().placed, 256);
        assert_eq!(store.stats().new, 0, "nothing new to save");
        assert_eq!(store.stats().guessed, 0, "asked for in the reverse order");
    }

    /// Asked for in the order the first process made them (the file's), every block after the
    /// first is the entry after the one placed before it: found without the index, and placed
    /// as it would have been made.
    #[test]
    fn blocks_asked_for_in_the_files_order_are_found_from_the_one_before() {
        let store = loaded_first_process();
        let later = same_as_fresh_in(&store, (0x10000..0x11000u64).step_by(16));
        assert_eq!((later.stats.loaded, later.stats.blocks), (256, 0));
        assert_eq!((store.stats().placed, store.stats().guessed), (256, 255));
    }

    /// Where the run loop chains exits itself (`CodeCache::link_saved`), a block placed from the
    /// store brings the `SAVED_AHEAD` entries after it in the file with it, and the exits of all
    /// of them are chained to those placed: here block n's taken exit goes to block n + 1.
    #[test]
    fn a_placed_block_brings_the_entries_after_it_chained() {
        let store = loaded_first_process();
        let mut c = cache_with(&store);
        c.link_saved(true);
        c.get(0x10000, &code).expect("placed");
        let placed = c.stats.loaded;
        assert_eq!(placed, 1 + super::super::SAVED_AHEAD as u64);
        assert_eq!(
            (c.stats.blocks, store.stats().placed, store.stats().rejected),
            (0, placed, 0)
        );
        for pc in (0x10000..0x10000 + 16 * (placed - 1)).step_by(16) {
            let (host, code) = (c.blocks[&pc].host, c.code_of(pc));
            let (site, _) = x64::chain_exits(&code, &relocs_of(pc))
                .find(|&(_, target)| target == pc + 16)
                .expect("an exit to the next block");
            let rel = i32::from_le_bytes(code[site + 1..site + 5].try_into().expect("4 bytes"));
            let to = (host + site as u64 + 5).wrapping_add_signed(i64::from(rel));
            assert_eq!(to, c.blocks[&(pc + 16)].host, "block {pc:#x}'s exit");
        }
        // The last one placed waits for the run loop, like any block.
        assert!(!c.blocks.contains_key(&(0x10000 + 16 * placed)));
    }

    /// The file rewritten after the load so that it holds more entries than the load found
    /// (whoever can write it may do so): the entries guessed from the ones before them number
    /// past the load's count, and placing them is no out-of-bounds write of the used bitmap.
    /// Both ways a load finds entries: the file's index saying two (the trailer's count
    /// changed), and a walk of a file without its index where the second entry seemed to run to
    /// the end.
    #[test]
    fn a_file_grown_in_entries_after_the_load_is_read_safely() {
        for walked in [false, true] {
            let mut file = first_process();
            let e = entries(&file);
            let (restore_at, real, forged) = if walked {
                file.truncate(e.last().map(|&(at, len)| at + len).expect("entries"));
                // At the load, the second entry seems to run to the end of the file.
                let real = ((e[1].1 - 12) as u32).to_le_bytes();
                let spans = ((file.len() - e[1].0 - 12) as u32).to_le_bytes();
                (e[1].0, real, spans)
            } else {
                let count_at = file.len() - TRAILER_BYTES + 8;
                let real: [u8; 4] = file[count_at..count_at + 4].try_into().expect("4 bytes");
                (count_at, real, 2u32.to_le_bytes())
            };
            file[restore_at..restore_at + 4].copy_from_slice(&forged);
            let len = file.len();
            let image = Vec::leak(file).as_mut_ptr();
            let mut store = Store::new(KEY, CONTEXT);
            // SAFETY: leaked, so it stays.
            assert_eq!(unsafe { store.load(image, len) }, Ok(2), "walked: {walked}");
            // SAFETY: as above.
            unsafe { image.add(restore_at).cast::<[u8; 4]>().write(real) };
            let store = Arc::new(store);
            let later = same_as_fresh_in(&store, (0x10000..0x11000u64).step_by(16));
            assert_eq!(later.stats.loaded + later.stats.blocks, 256);
            assert!(store.stats().guessed > 64, "walked: {walked}: {:?}", store.stats());
        }
    }

    /// The entries of a file: (offset, length), up to its index.
    fn entries(file: &[u8]) -> Vec<(usize, usize)> {
        let trailer = &file[file.len() - TRAILER_BYTES..];
        let table = u64::from_le_bytes(trailer[..8].try_into().expect("8 bytes")) as usize;
        let mut at = HEADER_BYTES;
        std::iter::from_fn(|| {
            let len = 12 + u32::from_le_bytes(file.get(at..at + 4)?.try_into().ok()?) as usize;
            at += len;
            (at <= table).then_some((at - len, len))
        })
        .collect()
    }

    /// A guest may write the cache's files while a64x runs. An entry copied over another pc's
    /// after the load has a good tag, but it is not that pc's translation: refused, whether its
    /// place came from the index or from the entry before (its pc field then says the other
    /// pc, which neither the guess nor the index's lookup takes: the block is not found, not
    /// rejected), and the block is translated; the next block is found through the index.
    #[test]
    fn an_entry_written_over_another_pcs_after_the_load_is_refused() {
        let file = first_process();
        let e = entries(&file);
        assert_eq!(e[1].1, e[2].1, "entries of one length");
        let len = file.len();
        let image = Vec::leak(file).as_mut_ptr();
        let mut store = Store::new(KEY, CONTEXT);
        // SAFETY: leaked, so it stays.
        assert_eq!(unsafe { store.load(image, len) }, Ok(256));
        // SAFETY: both entries are inside the leaked file; a copy, as another process's write.
        unsafe { std::ptr::copy_nonoverlapping(image.add(e[2].0), image.add(e[1].0), e[1].1) };
        let store = Arc::new(store);
        let later = same_as_fresh_in(&store, (0x10000..0x11000u64).step_by(16));
        assert_eq!((later.stats.loaded, later.stats.blocks), (255, 1));
        let s = store.stats();
        assert_eq!((s.rejected, s.guessed), (0, 253));
    }

    #[test]
    fn a_forked_child_places_what_its_parent_made_and_leaves_its_saving_to_the_parent() {
        let store = Arc::new(Store::new(KEY, CONTEXT));
        let mut parent = cache_with(&store);
        for pc in (0x10000..0x11000).step_by(16) {
            parent.get(pc, &code).expect("translates");
        }
        assert_eq!(store.fork(&mut || 0), 0, "as in the child");
        assert_eq!(store.stats().new, 0, "the parent's to save");
        // The child's cache starts empty and places the parent's blocks as it made them.
        let child = same_as_fresh(&store);
        assert_eq!((child.stats.loaded, child.stats.blocks), (256, 0));
        assert_eq!(store.stats().placed_made, 256);
        // Guest code the child changed is translated again, and that translation is the child's.
        let mut child = cache_with(&store);
        let changed = |pc: u64| if pc == 0x10020 { Some(0x9100_0800) } else { code(pc) };
        for pc in (0x10000..0x10040).step_by(16) {
            child.get(pc, &changed).expect("placed or translated");
        }
        assert_eq!((child.stats.loaded, child.stats.blocks), (3, 1));
        assert_eq!(store.stats().rejected, 1);
        assert_eq!(store.stats().new, 1);
        // A process's own translations, dropped from its code cache (a flush), are placed again.
        child.flush();
        child.get(0x10020, &changed).expect("placed");
        assert_eq!((child.stats.loaded, child.stats.blocks), (4, 1));
    }

    #[test]
    fn only_dropping_a_block_the_store_holds_sends_misses_to_the_processs_own_translations() {
        let store = Arc::new(Store::new(KEY, CONTEXT));
        let mut c = cache_with(&store);
        let file = |pc: u64| pc < 0x10800;
        for pc in (0x10000..0x11000).step_by(16) {
            c.get_in(pc, &code, &file).expect("translates");
        }
        // A JIT's block dropped (a cache-line flush of its code): a file's block asked for again
        // after a flush-free miss is not looked for among this process's translations.
        c.invalidate(0x10900, 0x10904);
        c.blocks.remove(&0x10100);
        c.get_in(0x10100, &code, &file).expect("translates");
        assert_eq!((c.stats.loaded, store.stats().placed_made), (0, 0), "not looked up");
        // A file's block dropped: its translation is placed from what this process made.
        c.invalidate(0x10200, 0x10204);
        c.get_in(0x10200, &code, &file).expect("placed");
        assert_eq!((c.stats.loaded, store.stats().placed_made), (1, 1));
    }

    /// A cache that got every block of `code` (last first) through `store`, after checking that
    /// each block's code is what a cache without the store made at the same place.
    fn same_as_fresh(store: &Arc<Store>) -> CodeCache {
        same_as_fresh_in(
            store,
            (0x10000..0x11000u64).step_by(16).collect::<Vec<_>>().into_iter().rev(),
        )
    }

    /// As [`same_as_fresh`], asking for the blocks in the order of `pcs`.
    fn same_as_fresh_in(store: &Arc<Store>, pcs: impl Iterator<Item = u64>) -> CodeCache {
        let mut later = cache_with(store);
        test_platform::install();
        let mut fresh = CodeCache::new(1 << 20, LiftOptions::default()).expect("code cache");
        fresh.omit_fz_checks();
        for pc in pcs {
            later.get(pc, &code).expect("placed or translated");
            fresh.get(pc, &code).expect("translated");
            let host = later.blocks[&pc].host;
            assert_eq!(host - later.mem as u64, fresh.blocks[&pc].host - fresh.mem as u64);
            let mut own = fresh.code_of(pc);
            let relocs = relocs_of(pc);
            x64::relocate(&mut own, &relocs, host, later.epilogue, countdown(&later, pc));
            assert_eq!(later.code_of(pc), own, "block {pc:#x}");
        }
        later
    }

    /// The relocations of the (quick) translation of the block at `pc`, as any cache makes it.
    fn relocs_of(pc: u64) -> Vec<Reloc> {
        let (block, ..) = super::super::tiers::block_ir(pc, &code, LiftOptions::default(), Tier::Quick).expect("lifts");
        let rt = x64::Runtime {
            epilogue: 0,
            counter: Some(Counter::Countdown(0x1000)),
            host: x64::host::HostFeatures::detect(),
            fault_map: false,
            fz_checks: false,
        };
        x64::compile(&block, 0x1000, rt).relocs
    }

    /// The countdown the block of `pc` in `c` decrements, if it is a quick translation.
    fn countdown(c: &CodeCache, pc: u64) -> Option<u64> {
        let e = &c.blocks[&pc];
        (e.info.tier == Tier::Quick).then(|| {
            // sub qword [rip + disp32], 1: the displacement at byte 3, the instruction 8 long.
            let code = c.code_of(pc);
            let disp = i32::from_le_bytes(code[3..7].try_into().expect("4 bytes"));
            (e.host as i64 + 8 + disp as i64) as u64
        })
    }

    #[test]
    fn changed_guest_code_is_translated_again() {
        let mut store = Store::new(KEY, CONTEXT);
        store.load_bytes(first_process()).expect("loads");
        let store = Arc::new(store);
        let mut later = cache_with(&store);
        // The block at 0x10020 now adds 2; the one at 0x10010 reads it in its successor
        // analysis only if it branches there (it does not), so only 0x10020 changes.
        let changed = |pc: u64| if pc == 0x10020 { Some(0x9100_0800) } else { code(pc) };
        later.get(0x10020, &changed).expect("translated");
        later.get(0x10030, &changed).expect("placed");
        assert_eq!((later.stats.blocks, later.stats.loaded), (1, 1));
        assert_eq!(store.stats().rejected, 1);
        // Code no longer executable is not placed either.
        let gone = |pc: u64| if pc >= 0x10040 { None } else { code(pc) };
        assert!(later.get(0x10040, &gone).is_err());
        // The new translation is saved in place of the old one.
        assert_eq!(store.stats().new, 1);
        let mut next = Store::new(KEY, CONTEXT);
        assert_eq!(next.load_bytes(store.encode()), Ok(256));
        let next = Arc::new(next);
        let mut third = cache_with(&next);
        third.get(0x10020, &changed).expect("placed");
        assert_eq!(third.stats.loaded, 1);
    }

    #[test]
    fn a_changed_byte_anywhere_rejects_that_entry_alone() {
        let file = first_process();
        // Flip one bit in every 97th byte after the header, one file each.
        for at in (16..file.len()).step_by(97) {
            let mut bad = file.clone();
            bad[at] ^= 0x10;
            let mut store = Store::new(KEY, CONTEXT);
            let Ok(_) = store.load_bytes(bad) else { continue };
            let store = Arc::new(store);
            let c = same_as_fresh(&store);
            // A changed length loses the entries after it from the index; anything else
            // fails that entry's tag.
            let s = store.stats();
            assert!(s.rejected <= 1, "byte {at}: {s:?}");
            assert_eq!(c.stats.loaded + c.stats.blocks, 256);
        }
    }

    #[test]
    fn files_of_another_context_key_or_format_are_not_used() {
        let file = first_process();
        assert_eq!(
            Store::new(KEY, CONTEXT + 1).load_bytes(file.clone()),
            Err(Rejected::OtherContext)
        );
        assert_eq!(
            Store::new(KEY, CONTEXT).load_bytes(file[..15].to_vec()),
            Err(Rejected::NotACacheFile)
        );
        let mut other_magic = file.clone();
        other_magic[7] = 1; // the format before this one
        assert_eq!(
            Store::new(KEY, CONTEXT).load_bytes(other_magic),
            Err(Rejected::NotACacheFile)
        );
        // Another key: every entry rejected, every block translated.
        let mut store = Store::new([KEY[0], KEY[1] ^ 1], CONTEXT);
        store.load_bytes(file.clone()).expect("same context");
        let store = Arc::new(store);
        let mut c = cache_with(&store);
        for pc in (0x10000..0x11000).step_by(16) {
            c.get(pc, &code).expect("translated");
        }
        assert_eq!((c.stats.loaded, c.stats.blocks, store.stats().rejected), (0, 256, 256));
        // A truncated file keeps its whole entries.
        let mut store = Store::new(KEY, CONTEXT);
        let n = store.load_bytes(file[..file.len() / 2].to_vec()).expect("loads");
        assert!(n > 100 && n < 256, "{n} entries");
    }

    #[test]
    fn blocks_the_layout_cannot_hold_are_not_offered_and_others_come_back_whole() {
        let info = |ranges: &[(u64, u64)], insns: u32| BlockInfo {
            ranges: ranges.iter().copied().collect(),
            own_ranges: 1,
            guest_insns: insns,
            tier: Tier::Optimised,
            faults: Default::default(),
            words: RunsBuilder::default().finish(),
            recipe: Recipe {
                asked: Tier::Optimised,
                counter: None,
                fz_checks: false,
            },
            calls: Vec::new(),
        };
        let tags = TagKey::new(KEY[0], KEY[1]);
        let pc = 0x4000_0000_0000;
        let code = [0x90u8; 40];
        let relocs = [Reloc::Epilogue { at: 4 }];
        let made = |info: &BlockInfo, code: &[u8]| {
            let mut new = NewEntries::default();
            encode_entry(&mut new, &tags, pc, code, &relocs, info, 0);
            new.index();
            new.get(pc).map(<[u8]>::to_vec)
        };
        // Ranges 2 GiB before and after the pc, and one before it that is still near.
        let near = info(&[(pc, pc + 8), (pc - (1 << 31), pc - (1 << 31) + 4)], 2);
        let mut entry = made(&near, &code).expect("a range 2 GiB before the pc is near");
        let mut relocs_back = Vec::new();
        let saved = decode(&mut entry[12..], &mut relocs_back).expect("decodes");
        assert_eq!(saved.info.ranges.as_slice(), near.ranges.as_slice());
        assert_eq!(
            (saved.info.guest_insns, saved.code.len(), saved.relocs),
            (2, 40, &relocs[..])
        );
        for far in [
            info(&[(pc, pc + 8), (pc + (1 << 31), pc + (1 << 31) + 4)], 2),
            info(&[(pc, pc + 8), (pc - (1 << 31) - 4, pc)], 2),
            info(&[(pc, pc + (1 << 32) + 4)], 2),
            info(&[(pc, pc + 8)], 1 << 16),
        ] {
            assert_eq!(made(&far, &code), None, "{:?}", far.ranges);
        }
        assert_eq!(
            made(&info(&[(pc, pc + 8)], 2), &[0x90; 1 << 16]),
            None,
            "64 KiB of code"
        );
    }

    #[test]
    fn malformed_bodies_decode_to_nothing() {
        let store = Arc::new(Store::new(KEY, CONTEXT));
        let mut c = cache_with(&store);
        c.get(0x10000, &code).expect("translates");
        let mut inner = store.lock();
        inner.new.index();
        let entry = inner.new.get(0x10000).expect("made").to_vec();
        let body = &entry[12..];
        let mut relocs = Vec::new();
        let mut decoded = |b: &[u8]| decode(&mut b.to_vec(), &mut relocs).is_some();
        assert!(decoded(body));
        for len in 0..body.len() {
            assert!(!decoded(&body[..len]), "cut at {len}");
        }
        let mut longer = body.to_vec();
        longer.push(0);
        assert!(!decoded(&longer), "trailing byte");
        // Huge counts do not allocate or read past the end: the counts of ranges and of runs of
        // words (pc, kinds, guest_insns and own_ranges before them), the largest they can be.
        let ranges = body[12] as usize;
        for at in [12, 13 + 8 * ranges] {
            let mut huge = body.to_vec();
            huge[at] = u8::MAX;
            assert!(!decoded(&huge));
        }
    }
}
