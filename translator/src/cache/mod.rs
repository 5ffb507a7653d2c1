//! The code cache: executable memory holding translated blocks, the guest pc -> host code map,
//! block chaining (patching a block's exit jump to go straight to its successor), the jump cache
//! for indirect branches, and invalidation of guest ranges.

use crate::cpu::{CpuState, ExitReason};
use crate::lift::LiftOptions;
use crate::platform::CodeMemory;
use crate::x64::{self, Reloc, Runtime};
use pages::PageIndex;
use persist::Wanted;
use shared::{BlockInfo, Portable, SharedCode};
use std::sync::Arc;

mod blocks;
pub mod counters;
pub mod debuglog;
mod faults;
mod fileindex;
mod jumps;
mod pages;
pub mod persist;
pub mod shared;
mod tiers;
use debuglog::write as log;
pub use debuglog::DebugLog;
pub use tiers::{Tier, HOT_VISITS};

struct Entry {
    host: u64,
    /// Bytes of host code.
    host_len: u32,
    /// Whether the persistent store may hold this translation (a file's code, translated with
    /// the store in use, or placed from it or from another thread's): dropping it makes a
    /// later miss look among the translations this process made ([`CodeCache::lost_code`]).
    stored: bool,
    /// Chain sites in other blocks that jump straight here.
    incoming: Incoming,
    /// Guest ranges, fault sites and helper operations, shared with the translation's copies
    /// in other threads' caches.
    info: Arc<BlockInfo>,
}

/// The chain sites that jump straight to a block. Most blocks have one, kept inline: a vector per
/// block was an allocation for each of the tens of thousands of blocks a warm start places and
/// chains.
#[derive(Debug, Default)]
enum Incoming {
    #[default]
    None,
    One(u64),
    Many(Vec<u64>),
}

impl Incoming {
    fn push(&mut self, site: u64) {
        *self = match std::mem::take(self) {
            Incoming::None => Incoming::One(site),
            Incoming::One(first) => Incoming::Many(vec![first, site]),
            Incoming::Many(mut v) => {
                v.push(site);
                Incoming::Many(v)
            }
        };
    }

    fn as_slice(&self) -> &[u64] {
        match self {
            Incoming::None => &[],
            Incoming::One(site) => std::slice::from_ref(site),
            Incoming::Many(v) => v,
        }
    }
}

/// Where a fault in translated code happened.
pub struct FaultAt<'a> {
    /// The guest pc of the block.
    pub block_pc: u64,
    /// The exit epilogue (where to send the host to leave translated code).
    pub epilogue: u64,
    /// The faulting host pc's offset in the block's code.
    pub offset: u32,
    /// The guest instruction's memory access there, if the host pc is one.
    pub site: Option<&'a x64::faultmap::FaultSite>,
}

/// The blocks a forked child's cache has room for from the start (see `forget_translations`).
const FORKED_BLOCKS: usize = 1024;

/// How much code memory is backed with pages at first, ahead of the translations written there:
/// a short process writes hundreds of KiB of code, and a page fault per page in each of the two
/// views (a shared-memory page allocated and cleared, then mapped again to run) was a tenth of
/// its CPU time. Each later step backs a quarter of what is backed (at least this much, at most
/// [`PREPARE_MAX`]): a static hello writes about 150 KiB, and the 256 KiB it was given at once
/// were a sixth of its warm start; doubling what was backed at each step backed up to twice
/// what was written (a warm `ls` writes 570 KiB and was given 1 MiB: populating the pages was
/// 6% of its CPU time).
const PREPARE_FIRST: usize = 64 << 10;

/// Entries placed ahead from the store after one the run loop asked for
/// ([`CodeCache::follow_saved`]; 32 measured the same).
const SAVED_AHEAD: usize = 16;

/// The host's page size (what madvise's start must be a multiple of).
const PAGE_BYTES: usize = 4096;

/// The most code memory backed with pages in one step.
const PREPARE_MAX: usize = 1 << 20;

/// The most backed code memory a cache gives to the process's next program
/// ([`CodeCache::give_up_memory`]): past that, the pages the next one would not fill soon
/// are given back to the system with the old memory.
const SPARE_CODE_MAX: usize = 8 << 20;

/// Code of dropped translations after which the cache starts again from its beginning, when
/// there is [`RECYCLE_RATIO`] times as much of it as of the code still in use (see
/// [`CodeCache::mostly_dropped`]); an eighth of a smaller cache.
const RECYCLE_DROPPED: usize = 8 << 20;

/// See [`RECYCLE_DROPPED`].
const RECYCLE_RATIO: usize = 8;

/// Executable memory with the translations of guest blocks.
pub struct CodeCache {
    /// Where the code runs: a read+execute mapping (host addresses of blocks are in it).
    mem: *mut u8,
    /// Where the code is written: a read+write mapping of the same pages (W^X), or `mem` itself
    /// where the host cannot make two mappings of one memory (no memfd).
    write: *mut u8,
    size: usize,
    used: usize,
    /// Bytes of the code memory backed by pages already (see [`PREPARE_FIRST`]).
    prepared: usize,
    code_start: usize,
    /// Bytes of code below `used` whose blocks were invalidated since the last flush.
    dropped: usize,
    /// The blocks an invalidation looks at (kept from one to the next).
    candidates: Vec<u64>,
    /// The code memory went to the process's next program ([`CodeCache::give_up_memory`]).
    memory_given_up: bool,
    enter_fn: extern "C" fn(*mut CpuState, u64) -> u32,
    epilogue: u64,
    blocks: blocks::BlockMap<Entry>,
    /// The blocks by the guest pages they were made from.
    pages: PageIndex,
    jump_cache: jumps::JumpCache,
    opts: LiftOptions,
    /// The optional host extensions emitted code uses (its entry trampoline's r14 follows them).
    host: x64::host::HostFeatures,
    generation: u64,
    /// What to log about each translation (see [`DebugLog`]).
    pub log: DebugLog,
    /// Statistics: blocks translated and guest instructions translated.
    pub stats: Stats,
    /// Called for every block translated (see [`TranslateHook`]); `None` costs nothing.
    pub hook: Option<TranslateHook>,
    /// Execution counters for new blocks (see [`CodeCache::count_executions`]).
    counters: Option<counters::Counters>,
    /// The translations of the process's other threads (see [`shared`]), once it has some.
    shared: Option<Arc<SharedCode>>,
    /// Where in the order of publication of `shared` the translation after the last one this
    /// cache placed lies (see [`SharedCode::get_next`]).
    shared_next: u32,
    /// Whether caches made by [`CodeCache::new_like`] share translations with this one.
    share: bool,
    /// Whether a block placed from the store gets its exits chained and their blocks placed at
    /// once (see [`CodeCache::link_saved`]).
    links_saved: bool,
    /// The chain exits [`CodeCache::follow_saved`] has yet to link: the host address of each
    /// one's jump and the guest pc it goes to (kept from one lookup to the next: no allocation).
    links: Vec<(u64, u64)>,
    /// Whether this is the cache of a forked child (see [`CodeCache::follow_saved`]).
    forked: bool,
    /// The countdowns of quick translations, when new blocks get one first (see [`tiers`]).
    countdowns: Option<counters::Counters>,
    /// Translations saved by earlier processes, and where this one's go (see [`persist`]).
    persist: Option<Arc<persist::Store>>,
    /// Whether the code this cache makes checks FPCR.FZ before inline FP operations (see
    /// [`CodeCache::omit_fz_checks`]).
    fz_checks: bool,
    /// Buffers for decoding the store's entries, kept from one to the next.
    scratch: persist::Scratch,
    /// Whether a block this cache misses may be one this process translated already: after a
    /// flush or an invalidation of a block the store may hold, and in a thread's cache. Until
    /// then the store's translations made by this process are not looked up on a miss (in a
    /// cold start, every miss, 2% of its time, and never found); those of a forked child's
    /// parent the store looks up itself (`Store::inherits`).
    lost_code: bool,
}

/// A block just written to the code cache, as a profiler sees it (a64x's `--perfmap` and
/// `--profile`). Host ranges are unique until the next [`CodeCache::flush`], which reuses them.
#[derive(Debug, Clone, Copy)]
pub struct Translated<'a> {
    /// Guest address of the block's first instruction.
    pub guest_pc: u64,
    /// Guest ranges `[start, end)` the block was made from (several when it follows branches).
    pub guest_ranges: &'a [(u64, u64)],
    /// Other guest code its translation read (successors examined for liveness).
    pub guest_depends: &'a [(u64, u64)],
    /// Number of guest instructions in it.
    pub guest_insns: u32,
    /// Host address of its code in the cache.
    pub host: u64,
    /// The host code as emitted (its exit jumps not yet chained).
    pub code: &'a [u8],
    /// Address of its execution counter ([`counters::read`]), with [`CodeCache::count_executions`].
    pub counter: Option<u64>,
}

impl BlockInfo {
    /// The block of `pc` placed at `host` as a profiler sees it.
    fn translated<'a>(&'a self, pc: u64, host: u64, code: &'a [u8], counter: Option<u64>) -> Translated<'a> {
        Translated {
            guest_pc: pc,
            guest_ranges: &self.ranges[..self.own_ranges],
            guest_depends: &self.ranges[self.own_ranges..],
            guest_insns: self.guest_insns,
            host,
            code,
            counter,
        }
    }
}

/// Called by [`CodeCache::get`] after each translation, with the block and the guest instruction
/// fetcher (guest memory may be unmapped later, so a hook that wants the guest words reads them
/// now). A plain `fn` so that [`CodeCache::new_like`] can pass it on to new threads' caches.
pub type TranslateHook = fn(&Translated, &dyn Fn(u64) -> Option<u32>);

/// Every this many blocks translated, the VM's heap is asked to be ready for the records of as
/// many more (`Platform::heap_ahead`): a block keeps about [`HEAP_BYTES_PER_BLOCK`] there (its
/// info, ranges, guest words, its shared copy, its place in the maps), and the heap growing into
/// new pages was a page fault every few blocks (three quarters of a cold `python3 -c pass`'s
/// 6,000).
const HEAP_AHEAD_BLOCKS: u64 = 2048;
/// Blocks translated before the first ask: a short process (`ls`, 3,800 blocks) uses little of
/// what it would get, and populating it cost more than the faults it saved (a bash loop of 100
/// `ls` without the cache: 1.066x the CPU with asks from 2,048 blocks on).
const HEAP_AHEAD_FROM: u64 = 8192;
/// See [`HEAP_AHEAD_BLOCKS`].
const HEAP_BYTES_PER_BLOCK: usize = 640;

/// Translation counters.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    /// Blocks translated.
    pub blocks: u64,
    /// Guest instructions translated.
    pub insns: u64,
    /// Full flushes.
    pub flushes: u64,
    /// Nanoseconds spent lifting and optimising (decode, lift with its successor analysis, the
    /// passes), when translations are timed ([`time_translations`]; both stay 0 otherwise).
    pub lift_ns: u64,
    /// Nanoseconds spent emitting and placing code (register allocation, emission, copy into
    /// the cache, bookkeeping).
    pub emit_ns: u64,
    /// Blocks placed from another thread's translation instead of translated (not counted in
    /// `blocks`).
    pub shared: u64,
    /// Quick translations replaced by optimised ones (also counted in `blocks`).
    pub promoted: u64,
    /// Blocks placed from translations saved by earlier processes (not counted in `blocks`).
    pub loaded: u64,
}

impl Stats {
    /// Guest instructions translated per second of translation, end to end.
    pub fn insns_per_second(&self) -> f64 {
        let ns = (self.lift_ns + self.emit_ns).max(1);
        self.insns as f64 * 1e9 / ns as f64
    }
}

/// Whether translations are timed ([`Stats::lift_ns`], [`Stats::emit_ns`]): three clock reads
/// a translation were 2.5% of a cold `python3 -c pass`, for a figure only `--stats` prints.
static TIMED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Time translations from now on, in every thread (for `--stats`).
pub fn time_translations() {
    TIMED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Why a block could not be translated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranslateError {
    /// The pc is not in executable guest memory.
    NotExecutable(u64),
}

impl CodeCache {
    /// A cache of `size` bytes of executable memory (kept in one piece so rel32 jumps reach).
    pub fn new(size: usize, opts: LiftOptions) -> std::io::Result<Self> {
        Self::new_in(None, size, opts)
    }

    /// [`CodeCache::new`] in the code memory a cache of the process's last program gave up
    /// ([`CodeCache::give_up_memory`], at an exec in place) if there is one of `size` bytes:
    /// its pages are backed already, where a new memory's are each allocated and cleared (in a
    /// shell's fork and exec of a small program, the new memory's mapping, its first pages and
    /// the old one's unmapping were a twentieth of the CPU time).
    pub fn new_in(spare: Option<SpareCode>, size: usize, opts: LiftOptions) -> std::io::Result<Self> {
        let (memory, backed) = match spare {
            Some(s) if s.memory.size == size => (s.memory, s.backed),
            other => {
                if let Some(s) = other {
                    crate::platform::get().unmap_code(s.memory);
                }
                (crate::platform::get().map_code(size)?, 0)
            }
        };
        let (mem, write) = (memory.exec, memory.write);
        let host = x64::host::HostFeatures::detect();
        let (code, epi) = x64::trampoline(mem as u64, host);
        // The first pages backed before the trampoline is written there: its write and its
        // first run were a shared-memory page fault in each view, where the blocks' code after
        // it gets the first step's pages populated at once anyway.
        let first = PREPARE_FIRST.min(size);
        if backed < first {
            crate::platform::get().prepare_code(memory, backed, first - backed);
        }
        let prepared = first.max(backed);
        // SAFETY: the mapping is `size` bytes, the trampoline is a few dozen.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), write, code.len()) };
        let code_start = (code.len() + 63) & !63;
        // SAFETY: the trampoline was just written there and has this signature.
        let enter_fn = unsafe { std::mem::transmute::<*mut u8, extern "C" fn(*mut CpuState, u64) -> u32>(mem) };
        Ok(Self {
            mem,
            write,
            size,
            used: code_start,
            prepared,
            code_start,
            enter_fn,
            epilogue: mem as u64 + epi as u64,
            host,
            blocks: blocks::BlockMap::default(),
            pages: PageIndex::default(),
            jump_cache: jumps::JumpCache::new(),
            opts,
            generation: 0,
            log: DebugLog::default(),
            stats: Stats::default(),
            hook: None,
            counters: None,
            shared: None,
            shared_next: 0,
            share: false,
            links_saved: false,
            links: Vec::new(),
            forked: false,
            // Without the successor analysis a quick translation would be the same as the other.
            countdowns: opts
                .drop_dead_writebacks
                .then(|| counters::Counters::owned_near(mem as u64, size))
                .flatten(),
            persist: None,
            fz_checks: true,
            scratch: Default::default(),
            lost_code: false,
            dropped: 0,
            candidates: Vec::new(),
            memory_given_up: false,
        })
    }

    /// Give this cache's code memory to the process's next program ([`CodeCache::new_in`]) rather
    /// than unmap it when the cache is dropped (an exec in place, with no other thread left to
    /// run its code). None if it holds more backed pages than a new program should keep
    /// ([`SPARE_CODE_MAX`]): then it is unmapped with the cache.
    pub fn give_up_memory(&mut self) -> Option<SpareCode> {
        if self.prepared > SPARE_CODE_MAX || self.memory_given_up {
            return None;
        }
        self.memory_given_up = true;
        Some(SpareCode {
            memory: self.code_memory(),
            backed: self.prepared,
        })
    }

    /// Place blocks from the translations in `store` where they still fit the guest's code,
    /// and offer it this cache's new translations (see [`persist`]). Not with execution
    /// counters (a profile's code is its own).
    pub fn use_store(&mut self, store: Arc<persist::Store>) {
        // Most of its blocks will be placed: room for them now rather than growing again and
        // again (each growth rehashes every block placed so far).
        crate::platform::dense(|| self.blocks.reserve(store.stats().entries));
        self.persist = Some(store);
    }

    /// Chain the exits of blocks placed from the store at once, placing the blocks they go to from
    /// the store as well (the run loop says so where it would chain them itself: not under a
    /// debugger, a per-block trace or the differential check).
    pub fn link_saved(&mut self, on: bool) {
        self.links_saved = on;
    }

    /// How many translations the cache holds (not those a forked child forgot).
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// Whether blocks missing from this cache are placed from the persistent store when it has
    /// them (from the file, or made by this process or its parents), rather than translated.
    pub fn places_saved(&self) -> bool {
        self.persist.is_some() && self.counters.is_none()
    }

    /// Share translations with the caches made from this one by [`CodeCache::new_like`] (the
    /// process's other threads): a block one thread translated, another places without
    /// translating it again. Off under a debugger, whose breakpoints and single steps make
    /// translations that differ between threads. Sharing starts with the second thread: a
    /// process of one thread does not pay for copies nobody takes.
    pub fn share_translations(&mut self) {
        self.share = true;
    }

    /// An empty cache of the same size, lift options, logging and hook as this one: the cache of a new
    /// guest thread (each thread has its own, so chaining never races with another thread).
    pub fn new_like(&mut self) -> std::io::Result<Self> {
        let mut c = Self::new(self.size, self.opts)?;
        c.log = self.log;
        c.hook = self.hook;
        if self.share && self.shared.is_none() {
            self.shared = Some(SharedCode::new());
        }
        c.share = self.share;
        c.shared = self.shared.clone();
        c.persist = self.persist.clone();
        c.lost_code = true;
        c.fz_checks = self.fz_checks;
        if self.countdowns.is_none() {
            c.countdowns = None;
        }
        if self.counters.is_some() {
            c.count_executions();
        }
        Ok(c)
    }

    /// Make code without the checks of FPCR.FZ before each inline FP operation (a compare and a
    /// branch each: bench_nbody took 0.86x the time without them, bench_saxpy 0.90x). The
    /// caller keeps that code from running while the guest's FPCR.FZ is set: it calls
    /// [`CodeCache::require_fz_checks`] before entering code when it is (a block ends after an
    /// `MSR FPCR`, `Exit::Sync`, so a write of FPCR in translated code reaches it). The
    /// persistent store's translations and those shared between such caches have none.
    pub fn omit_fz_checks(&mut self) {
        if self.fz_checks {
            self.drop_all_code();
            self.fz_checks = false;
        }
    }

    /// Whether the code this cache makes checks FPCR.FZ (see [`CodeCache::omit_fz_checks`]).
    pub fn fz_checks(&self) -> bool {
        self.fz_checks
    }

    /// From now on, make code that checks FPCR.FZ, and drop what was made without (for a guest
    /// thread that set FZ: programs built with `-Ofast` do at their start).
    pub fn require_fz_checks(&mut self) {
        if !self.fz_checks {
            self.drop_all_code();
            self.fz_checks = true;
        }
    }

    /// Flush, if there is anything to drop (a new cache has not: `--stats` counted a flush in
    /// every process).
    fn drop_all_code(&mut self) {
        if !self.blocks.is_empty() {
            self.flush();
        }
    }

    /// Give every block translated from now on an execution counter ([`Translated::counter`]);
    /// false when no counter array could be placed near the cache.
    pub fn count_executions(&mut self) -> bool {
        self.counters = counters::Counters::new_near(self.mem as u64, self.size);
        // A profile counts the code that runs: one translation per block, the optimised one.
        self.countdowns = None;
        self.counters.is_some()
    }

    /// The block whose host code contains `host` (a faulting host pc), the exit epilogue, and
    /// the guest instruction's fault site there, if `host` is translated code. Reads the block
    /// map; at a block's first fault it makes the block's fault sites ([`faults`]). A signal
    /// handler on this thread may call it while translated code runs (which holds no lock and is
    /// never inside the allocator).
    pub fn fault_site(&self, host: u64) -> Option<FaultAt<'_>> {
        let (&pc, e) = self
            .blocks
            .iter()
            .find(|(_, e)| host >= e.host && host < e.host + u64::from(e.host_len))?;
        let offset = (host - e.host) as u32;
        Some(FaultAt {
            block_pc: pc,
            epilogue: self.epilogue,
            offset,
            site: self
                .fault_sites(pc, e.host, e.host_len.into(), &e.info)
                .iter()
                .find(|s| offset >= s.start && offset < s.end),
        })
    }

    /// Host code for guest `pc`, if translated.
    pub fn lookup(&self, pc: u64) -> Option<u64> {
        // (The block map's hint is where the code lies in the cache: no read of the record.)
        self.blocks.hint(&pc).map(|at| self.mem as u64 + u64::from(at))
    }

    /// Incremented by every flush: chain sites from an older generation must not be patched.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Host code for `pc`, translating it if needed (or placing another thread's translation).
    /// `fetch` reads executable guest memory.
    pub fn get(&mut self, pc: u64, fetch: &dyn Fn(u64) -> Option<u32>) -> Result<u64, TranslateError> {
        self.get_in(pc, fetch, &|_| true)
    }

    /// [`CodeCache::get`] where `file_code` says whether the code at a pc lies in a private
    /// mapping of a file: only the translations of such code are looked up in the persistent
    /// store and offered to it. JIT code, in anonymous or shared memory, seldom lies at the same
    /// address with the same words in a later process, and a JIT that reuses its memory asks
    /// for many translations of one pc: each was a lookup of the entry made before (refused,
    /// its words changed) and a new entry, a fifth of `bench_jit`'s time. Asked only where the
    /// store would be used (the VM answers it under the lock of the address space, which
    /// placing another thread's translation does not take: Node 1.2x the wall time when every
    /// miss asked).
    pub fn get_in(
        &mut self,
        pc: u64,
        fetch: &dyn Fn(u64) -> Option<u32>,
        file_code: &dyn Fn(u64) -> bool,
    ) -> Result<u64, TranslateError> {
        if let Some(h) = self.lookup(pc) {
            return Ok(h);
        }
        // The shared translations taken out of the cache for the miss and put back after, not
        // their Arc cloned: two atomic operations on a line every thread's misses write (Node's
        // workers miss 85,000 times each). A block with an execution counter is this cache's
        // alone (the counter is rip-relative): none for it.
        let shared = if self.counters.is_none() {
            self.shared.take()
        } else {
            None
        };
        let missed = self.miss(pc, fetch, file_code, shared.as_ref());
        if shared.is_some() {
            self.shared = shared;
        }
        match missed {
            Some(r) => r,
            // A flush made room for a successor: the block's code is gone.
            None => self.get_in(pc, fetch, file_code),
        }
    }

    /// [`CodeCache::get_in`] for a block this cache does not hold, with the process's shared
    /// translations; None when it must be asked again.
    fn miss(
        &mut self,
        pc: u64,
        fetch: &dyn Fn(u64) -> Option<u32>,
        file_code: &dyn Fn(u64) -> bool,
        shared: Option<&Arc<SharedCode>>,
    ) -> Option<Result<u64, TranslateError>> {
        let placeable = |p: &Portable| p.info.tier == Tier::Optimised || self.countdowns.is_some();
        let same_kind = shared.and_then(|s| s.get_next(pc, self.fz_checks, &mut self.shared_next));
        if let Some(p) = same_kind.filter(|p| placeable(p)) {
            self.stats.shared += 1;
            return Some(Ok(self.place_shared(pc, &p, fetch)));
        }
        let store = self.store_usable() && file_code(pc);
        if let Some(host) = self.place_from_store(pc, fetch, shared, Wanted::Now, store) {
            if self.links_saved {
                let generation = self.generation;
                self.follow_saved(fetch, shared);
                if self.generation != generation {
                    return None;
                }
            }
            return Some(Ok(host));
        }
        let tier = if self.countdowns.is_some() {
            Tier::Quick
        } else {
            Tier::Optimised
        };
        Some(self.translate(pc, fetch, tier, shared, store))
    }

    /// Whether this cache places translations from the persistent store and offers its own to
    /// it, for the blocks of a file's code (see [`CodeCache::get_in`]): not with execution
    /// counters (a profile's code is its own), nor with checks of FPCR.FZ (the store's
    /// translations have none).
    fn store_usable(&self) -> bool {
        self.persist.is_some() && self.counters.is_none() && !self.fz_checks
    }

    /// Place the saved translation of `pc` from the persistent store, if it has one that fits
    /// and the store is to be used for it (`store`, [`CodeCache::store_usable`] for a file's
    /// code): its host address. Where [`CodeCache::link_saved`] is on, its chain exits go to
    /// `self.links`.
    fn place_from_store(
        &mut self,
        pc: u64,
        fetch: &dyn Fn(u64) -> Option<u32>,
        shared: Option<&Arc<SharedCode>>,
        wanted: Wanted,
        store: bool,
    ) -> Option<u64> {
        // (The store borrowed, not its Arc cloned: two atomic operations on every miss.)
        let store = self.persist.as_ref().filter(|_| store)?;
        let since = shared.map(|s| s.generation());
        let quick_placeable = self.countdowns.is_some();
        let mut scratch = std::mem::take(&mut self.scratch);
        let placed = store
            .get(pc, fetch, &mut scratch, wanted, self.lost_code)
            .filter(|s| s.info.tier == Tier::Optimised || quick_placeable)
            .map(|s| {
                self.stats.loaded += 1;
                let publish = shared.zip(since).map(|(sh, since)| (sh, since, s.info.clone()));
                let host = self.place_code(pc, s.code, s.relocs, s.info, fetch);
                if self.links_saved {
                    let exits = x64::chain_exits(s.code, s.relocs);
                    (self.links).extend(exits.map(|(site, target)| (host + site as u64, target)));
                }
                if let Some((shared, since, info)) = publish {
                    // The scratch copy is the code as compiled: any cache can move it.
                    let p = Portable {
                        code: (*s.code).into(),
                        relocs: s.relocs.into(),
                        info,
                    };
                    shared.publish(pc, Arc::new(p), since);
                }
                host
            });
        self.scratch = scratch;
        placed
    }

    /// After a block was placed from the store: place the [`SAVED_AHEAD`] entries after it in the
    /// file too (the order the blocks first ran in, so most often the order this run asks for
    /// them), and chain the exits of all of them (in `self.links`) to the blocks they go to, as
    /// the run loop would when each exit is first taken. A warm start places tens of thousands
    /// of blocks: each first taking of an exit was a trip through the run loop, and each entry a
    /// wait for memory, which reading them in the file's order streams. Stops at an entry whose
    /// code is not there (yet: a library not mapped), or at a flush.
    fn follow_saved(&mut self, fetch: &dyn Fn(u64) -> Option<u32>, shared: Option<&Arc<SharedCode>>) {
        let generation = self.generation;
        // Not in a process of several threads: each thread's cache would place the entries after
        // its blocks, most of them another thread's (node with its workers: 1.04x CPU). Nor in a
        // forked child: it runs its parent's code on another path (a shell's, between fork and
        // exec) than the one the file's order follows (a bash loop of fork and exec: 0.93x).
        let mut budget = if shared.is_some() || self.forked {
            0
        } else {
            SAVED_AHEAD
        };
        // The exits to blocks not placed yet: those may come among the next entries.
        let mut pending = Vec::new();
        loop {
            while let Some((site, target)) = self.links.pop() {
                if self.blocks.contains_key(&target) {
                    self.chain(site, target);
                } else {
                    pending.push((site, target));
                }
            }
            if budget == 0 {
                break;
            }
            budget -= 1;
            let Some(store) = self.persist.as_ref() else { break };
            let Some((pc, len)) = store.next_entry(&self.scratch) else {
                break;
            };
            if self.blocks.contains_key(&pc) {
                store.skip_next(&mut self.scratch, len);
                continue;
            }
            // (Entries of the file, placed in a cache that uses it: see `get_in`.)
            if self.place_from_store(pc, fetch, shared, Wanted::Ahead, true).is_none() {
                break;
            }
            if self.generation != generation {
                self.links.clear();
                return;
            }
        }
        for (site, target) in pending {
            if self.blocks.contains_key(&target) {
                self.chain(site, target);
            }
        }
    }

    /// Translate `pc` into this cache (and offer it to the other threads, and to the persistent
    /// store where `store` says so).
    fn translate(
        &mut self,
        pc: u64,
        fetch: &dyn Fn(u64) -> Option<u32>,
        tier: Tier,
        shared: Option<&Arc<SharedCode>>,
        store: bool,
    ) -> Result<u64, TranslateError> {
        let since = shared.map(|s| s.generation());
        let timed = TIMED.load(std::sync::atomic::Ordering::Relaxed);
        let now = || if timed { crate::platform::get().now_ns() } else { 0 };
        let t0 = now();
        let asked = tier;
        let (mut block, tier, words) = tiers::block_ir(pc, fetch, self.opts, asked)?;
        let t1 = now();
        self.stats.lift_ns += t1 - t0;
        let counter = match tier {
            Tier::Quick => self.countdown().map(x64::Counter::Countdown),
            Tier::Optimised => self
                .counters
                .as_mut()
                .and_then(|c| c.take())
                .map(x64::Counter::Executions),
        };
        let rt = Runtime {
            epilogue: self.epilogue,
            counter,
            host: self.host,
            fault_map: false,
            fz_checks: self.fz_checks,
        };
        let base = self.next_base();
        let mut compiled = x64::compile(&block, base, rt);
        let host = self.reserve(compiled.code.len());
        if host != base {
            // The cache was flushed to make room: move the code to the start, with a countdown
            // taken after the flush (which freed every one).
            let c = match counter {
                Some(x64::Counter::Countdown(_)) => self.countdown(),
                c => c.map(|c| c.addr()),
            };
            x64::relocate(&mut compiled.code, &compiled.relocs, host, self.epilogue, c);
        }
        let counter = match counter {
            Some(x64::Counter::Executions(c)) => Some(c),
            _ => None,
        };
        self.log_block(&block, &compiled.code, host, fetch);
        self.write_code(&compiled.code);
        self.stats.blocks += 1;
        self.stats.insns += block.guest_len as u64;
        // The block's own ranges, then those it depends on: its vector moves into the info
        // (most blocks have one range and no more, and a new vector was an allocation each).
        let own_ranges = block.ranges.len();
        let mut ranges = std::mem::take(&mut block.ranges);
        ranges.extend_from_slice(&block.depends);
        let info = Arc::new(BlockInfo {
            ranges,
            own_ranges,
            guest_insns: block.guest_len,
            tier,
            faults: Default::default(),
            words,
            recipe: faults::Recipe {
                asked,
                counter: rt.counter,
                fz_checks: rt.fz_checks,
            },
            calls: compiled.calls,
        });
        if let Some(hook) = self.hook {
            hook(&info.translated(pc, host, &compiled.code, counter), fetch);
        }
        let len = compiled.code.len();
        if let Some(s) = self.persist.as_ref().filter(|_| store) {
            s.offer(pc, &compiled.code, &compiled.relocs, &info);
        }
        if let (Some(store), Some(since)) = (shared, since) {
            let p = Portable {
                code: compiled.code.as_slice().into(),
                relocs: compiled.relocs.as_slice().into(),
                info: info.clone(),
            };
            store.publish(pc, Arc::new(p), since);
        }
        // (`store` says the store is in use for this block: see `store_usable`.)
        self.insert(pc, host, len, info, store);
        self.link_present(host, &compiled.code, &compiled.relocs);
        if self.stats.blocks >= HEAP_AHEAD_FROM && self.stats.blocks.is_multiple_of(HEAP_AHEAD_BLOCKS) {
            crate::platform::get().heap_ahead(HEAP_AHEAD_BLOCKS as usize * HEAP_BYTES_PER_BLOCK);
        }
        x64::recycle(compiled.code, compiled.relocs);
        self.stats.emit_ns += now() - t1;
        Ok(host)
    }

    /// Place another thread's translation `p` of `pc` in this cache.
    fn place_shared(&mut self, pc: u64, p: &Portable, fetch: &dyn Fn(u64) -> Option<u32>) -> u64 {
        let host = self.place_code(pc, &p.code, &p.relocs, p.info.clone(), fetch);
        self.link_present(host, &p.code, &p.relocs);
        host
    }

    /// Chain the exits of the block just placed at `host` (`code` with `relocs`) that go to
    /// blocks this cache has, where the run loop would chain them when each is first taken
    /// ([`CodeCache::link_saved`]): each first taking was a trip through the run loop, a
    /// lookup and a return into the code (Node's start: 210,000 of them in its main thread and
    /// 100,000 in each worker's, against 140,000 translations).
    fn link_present(&mut self, host: u64, code: &[u8], relocs: &[Reloc]) {
        if !self.links_saved {
            return;
        }
        // (`chain` leaves an exit to a block the cache does not hold as it is.)
        for (site, target) in x64::chain_exits(code, relocs) {
            self.chain(host + site as u64, target);
        }
    }

    /// Where a translation of `len` bytes of the `tier` goes, and its countdown if it is a quick
    /// one.
    fn room_for(&mut self, len: usize, tier: Tier) -> (u64, Option<u64>) {
        let generation = self.generation;
        let mut countdown = match tier {
            Tier::Quick => self.countdown(),
            Tier::Optimised => None,
        };
        let host = self.reserve(len);
        if self.generation != generation && countdown.is_some() {
            // A flush freed every countdown.
            countdown = self.countdown();
        }
        (host, countdown)
    }

    /// Place `code` with `relocs`, a translation of `pc` made as `info` says (another thread's
    /// or a saved one), in this cache: copied in, then relocated where it lies (relocated in a
    /// copy of its own first, another thread's translation was an allocation and a copy more a
    /// block, and Node's workers place 85,000 each). Its host address.
    fn place_code(
        &mut self,
        pc: u64,
        code: &[u8],
        relocs: &[Reloc],
        info: Arc<BlockInfo>,
        fetch: &dyn Fn(u64) -> Option<u32>,
    ) -> u64 {
        let (host, countdown) = self.room_for(code.len(), info.tier);
        let at = self.used;
        self.write_code(code);
        // SAFETY: the bytes just written, in the cache's write mapping; no code jumps there yet.
        let placed = unsafe { std::slice::from_raw_parts_mut(self.write.add(at), code.len()) };
        x64::relocate(placed, relocs, host, self.epilogue, countdown);
        if let Some(hook) = self.hook {
            hook(&info.translated(pc, host, placed, None), fetch);
        }
        // (Placed from the store or from another thread's translation, which the store may
        // hold: not asked whether it is a file's code, which takes the address space's lock.)
        self.insert(pc, host, code.len(), info, self.persist.is_some());
        host
    }

    /// A countdown for a quick translation, flushing the cache when every one is taken.
    fn countdown(&mut self) -> Option<u64> {
        if self.countdowns.as_ref()?.is_full() {
            self.flush();
        }
        self.countdowns.as_mut()?.take_set(u64::from(HOT_VISITS))
    }

    /// Where the next block's code goes.
    fn next_base(&self) -> u64 {
        self.mem as u64 + self.used as u64
    }

    /// The host address for `len` bytes of code, flushing the cache first when they do not fit
    /// or when most of its code is that of dropped translations.
    fn reserve(&mut self, len: usize) -> u64 {
        if self.used + len > self.size || self.mostly_dropped() {
            self.flush();
        }
        self.next_base()
    }

    /// Whether the cache is mostly dead code: a JIT's, whose functions are translated, run,
    /// overwritten and invalidated, each new one written to memory that was never used, pages
    /// the kernel clears for it and the processor's caches have not seen. Starting again from
    /// the beginning writes to memory used before; the blocks still in use are placed again as
    /// they run (from the store or the other threads' translations where those have them),
    /// which costs far more per byte than new pages do, so only where they are a small part.
    fn mostly_dropped(&self) -> bool {
        let live = (self.used - self.code_start).saturating_sub(self.dropped);
        self.dropped >= RECYCLE_DROPPED.min(self.size / 8) && live * RECYCLE_RATIO <= self.dropped
    }

    /// Copy `code` to the reserved place ([`CodeCache::reserve`]) and advance past it.
    fn write_code(&mut self, code: &[u8]) {
        assert!(
            self.used + code.len() <= self.size,
            "a block larger than the code cache"
        );
        let ahead = crate::platform::get().prepare_ahead();
        while self.used + code.len() + ahead > self.prepared && self.prepared < self.size {
            // (In whole steps of the first size, so that each step starts on a page boundary,
            // as madvise asks.)
            let len = (self.prepared / 4)
                .clamp(PREPARE_FIRST, PREPARE_MAX)
                .next_multiple_of(PREPARE_FIRST)
                .min(self.size - self.prepared);
            crate::platform::get().prepare_code(self.code_memory(), self.prepared, len);
            self.prepared += len;
        }
        // SAFETY: bounds checked above; the cache's write mapping is ours.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), self.write.add(self.used), code.len()) };
        self.used = (self.used + code.len() + 15) & !15;
    }

    /// Record the block of `pc` placed at `host`, and index its guest pages.
    fn insert(&mut self, pc: u64, host: u64, len: usize, info: Arc<BlockInfo>, stored: bool) {
        self.pages.add(pc, &info.ranges);
        let at = u32::try_from(host - self.mem as u64).expect("code caches are smaller than 4 GiB");
        let entry = Entry {
            host,
            host_len: len as u32,
            stored,
            incoming: Incoming::None,
            info,
        };
        let old = self.blocks.insert(pc, entry, at);
        debug_assert!(old.is_none(), "a block is placed only on a miss");
    }

    /// Drop `[start, end)` from the translations shared with the process's other threads (their
    /// own caches drop it when they catch up).
    pub fn invalidate_shared(&self, start: u64, end: u64) {
        if let Some(s) = &self.shared {
            s.invalidate(start, end);
        }
    }

    fn log_block(&self, block: &crate::ir::Block, code: &[u8], host: u64, fetch: &dyn Fn(u64) -> Option<u32>) {
        if !self.log.any() || !debuglog::wanted(block.guest_pc) {
            return;
        }
        if self.log.in_asm {
            let mut text = format!("IN: {:#x}\n", block.guest_pc);
            for pc in block.ranges.iter().flat_map(|&(s, e)| (s..e).step_by(4)) {
                if let Some(w) = fetch(pc) {
                    text += &format!("  {pc:#x}: {w:08x}  {:?}\n", crate::a64::decode(w));
                }
            }
            log(format_args!("{text}"));
        }
        if self.log.ir {
            log(format_args!("{block}"));
        }
        if self.log.out_asm {
            log(format_args!(
                "OUT: {:#x} -> {host:#x} ({} bytes)\n{}",
                block.guest_pc,
                code.len(),
                crate::x64::disasm::disassemble(code, host)
            ));
        }
    }

    /// Lift the block at `pc` and run it through the reference interpreter instead of emitted
    /// code (a debugging mode of the run loop, and the oracle of the backend's tests).
    pub fn interpret(
        &mut self,
        cpu: &mut CpuState,
        fetch: &dyn Fn(u64) -> Option<u32>,
    ) -> Result<crate::ir::interp::Outcome, TranslateError> {
        let pc = cpu.pc;
        let (block, ..) = tiers::block_ir(pc, fetch, self.opts, Tier::Optimised)?;
        // SAFETY: guest memory is identity-mapped; the block accesses what the guest would.
        Ok(unsafe { crate::ir::interp::run(&block, cpu) })
    }

    /// Make the exit jump at host address `site` go straight to the translation of `target`.
    pub fn chain(&mut self, site: u64, target: u64) {
        let Some(e) = self.blocks.get_mut(&target) else {
            return;
        };
        e.incoming.push(site);
        let host = e.host;
        self.patch_chain(site, host);
    }

    /// Point the chain jump at host address `site` to `host`.
    fn patch_chain(&mut self, site: u64, host: u64) {
        let rel = host as i64 - (site as i64 + 5);
        let at = self.writable(site + 1);
        // SAFETY: `site` is a 5-byte jmp rel32 inside the cache written by `x64::compile`.
        unsafe { at.write_unaligned(rel as i32) };
    }

    /// Remember `pc -> host` for indirect branches.
    pub fn remember_indirect(&mut self, pc: u64, host: u64) {
        self.jump_cache.remember(pc, host);
    }

    /// Run translated code from `host` until it exits to the run loop.
    pub fn enter(&mut self, cpu: &mut CpuState, host: u64) -> ExitReason {
        (cpu.jump_cache, cpu.jump_mask) = self.jump_cache.table();
        let r = (self.enter_fn)(cpu as *mut CpuState, host);
        match r {
            0 => ExitReason::Chain,
            1 => ExitReason::Indirect,
            2 => ExitReason::Svc,
            3 => ExitReason::Brk,
            4 => ExitReason::Undefined,
            5 => ExitReason::InvalidateCode,
            6 => ExitReason::Promote,
            _ => ExitReason::Sync,
        }
    }

    /// Drop translations of guest code overlapping `[start, end)`: the blocks found through the
    /// page index, their incoming chain jumps and their jump-cache entries.
    pub fn invalidate(&mut self, start: u64, end: u64) {
        let mut candidates = std::mem::take(&mut self.candidates);
        self.pages.candidates_into(start, end, &mut candidates);
        for &pc in &candidates {
            if !self.blocks.get(&pc).is_some_and(|b| b.info.overlaps(start, end)) {
                continue;
            }
            let Some(e) = self.blocks.remove(&pc) else { continue };
            // (A JIT's code, dropped at every cache-line flush it makes, is not in the store:
            // Node's main thread invalidated its first block early in its start, and then looked
            // among the translations it made at every miss, 2.4% of its time.)
            self.lost_code |= e.stored;
            self.dropped += e.host_len as usize;
            for &site in e.incoming.as_slice() {
                // Back to the stub right after the jump.
                let at = self.writable(site + 1);
                // SAFETY: as in `chain`.
                unsafe { at.write_unaligned(0) };
            }
            self.pages.remove(pc, &e.info.ranges);
            self.jump_cache.forget(pc);
        }
        self.candidates = candidates;
    }

    /// In the child of a fork: give this process code memory of its own. Both views of the cache
    /// are shared mappings of one memfd, which the fork shared with the parent, so the child's
    /// translations and chain patches would land in the parent's code. The code so far is copied
    /// into a new memfd mapped at the same two addresses, so every host address stays valid.
    /// With `drop_code`, the child starts with no translations instead (only the entry
    /// trampoline is copied).
    pub fn unshare_after_fork(&mut self, drop_code: bool) -> std::io::Result<()> {
        // The parent's other threads are gone (one may have held the store's lock): the child
        // shares again once it has threads of its own.
        self.shared = None;
        self.forked = true;
        if drop_code {
            self.forget_translations();
        }
        if self.write == self.mem {
            // A private mapping: the fork copied it.
            return Ok(());
        }
        // The child's copy has pages for the code so far only (counted from the page it ends
        // in: the next step's start must be a page boundary).
        self.prepared = self.used & !(PAGE_BYTES - 1);
        crate::platform::get().unshare_code(self.code_memory(), self.used)
    }

    /// The code memory, as the platform mapped it.
    fn code_memory(&self) -> CodeMemory {
        CodeMemory {
            exec: self.mem,
            write: self.write,
            size: self.size,
        }
    }

    /// The address in the write mapping of host code address `host` (a chain site's rel32).
    fn writable(&self, host: u64) -> *mut i32 {
        (self.write as u64 + (host - self.mem as u64)) as *mut i32
    }

    /// Drop every translation.
    pub fn flush(&mut self) {
        self.lost_code = true;
        self.blocks.clear();
        self.pages.clear();
        self.jump_cache.clear();
        self.restart();
        self.stats.flushes += 1;
    }

    /// In a forked child: no translations, without touching the parent's bookkeeping. Freeing
    /// the block map and the page index would write to every heap page they use, each a
    /// copy-on-write fault (most of a python subprocess's start); the child execs soon, and its
    /// memory goes with it.
    fn forget_translations(&mut self) {
        // Sized for what a child runs before it execs or exits (a shell's: about 400 blocks),
        // where growing from empty rewrote tables eight times, each a run of page faults.
        let fresh = blocks::BlockMap::with_capacity(FORKED_BLOCKS);
        std::mem::forget(std::mem::replace(&mut self.blocks, fresh));
        std::mem::forget(std::mem::take(&mut self.pages));
        self.jump_cache.start_over();
        self.restart();
    }

    /// With no translations left: take the countdowns back, write code from the start again,
    /// and make pending chain patches stale.
    fn restart(&mut self) {
        if let Some(c) = &mut self.countdowns {
            c.reset();
        }
        self.used = self.code_start;
        self.dropped = 0;
        self.generation += 1;
    }
}

impl Drop for CodeCache {
    fn drop(&mut self) {
        if !self.memory_given_up {
            crate::platform::get().unmap_code(self.code_memory());
        }
    }
}

/// Code memory with its first `backed` bytes backed by pages, given up by a cache for the next
/// program of the process ([`CodeCache::give_up_memory`]). Dropped unused, it stays mapped
/// until the process ends.
#[derive(Debug)]
pub struct SpareCode {
    memory: crate::platform::CodeMemory,
    backed: usize,
}

/// The translator's tests run without the VM: its services come from this stand-in.
#[cfg(test)]
#[path = "../../tests/support/platform.rs"]
mod test_platform;

#[cfg(test)]
mod tests;
