//! Translations shared by the threads of one process. Each guest thread has a code cache of its
//! own (chaining patches code, which must not race with another thread running it), but the
//! translation of a guest block is the same in every thread: a thread that misses in its cache
//! copies the code another thread made (and moves it with its relocations) instead of decoding,
//! lifting and emitting the block again. Runtimes start many threads that run the same code
//! (V8's workers and its compiler threads, HotSpot's, Go's Ms, BEAM's schedulers).
//!
//! Invalidation keeps it honest: every range dropped from the caches (IC IVAU, munmap, mprotect,
//! a gdb breakpoint) is dropped here at once, by the thread that invalidates, and a translation
//! made from guest bytes read before an overlapping invalidation is not published.

use super::faults::Recipe;
use super::pages::PageIndex;
use super::tiers::Tier;
use crate::fasthash::NearMap;
use crate::lift::GuestWords;
use crate::x64::{faultmap::FaultSite, HelperArg, Reloc};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// What every copy of one translation shares, in any thread's cache.
pub struct BlockInfo {
    /// The guest ranges the block was made from, then the ranges its successor analysis read.
    pub ranges: crate::ir::Ranges,
    /// How many of `ranges` are the block's own (the rest are dependencies).
    pub own_ranges: usize,
    /// Guest instructions in it.
    pub guest_insns: u32,
    /// Which translation of the block this is (see [`super::tiers`]).
    pub tier: Tier,
    /// Its fault sites (offsets in the code), made at its first fault (see [`super::faults`]).
    pub faults: OnceLock<Box<[FaultSite]>>,
    /// The guest words its lift read, and how it was made: what its fault sites are made from.
    pub words: GuestWords,
    /// See `words`.
    pub recipe: Recipe,
    /// The operations its code hands helpers by address: alive while any copy of the code is.
    #[allow(clippy::vec_box)] // the boxes' addresses are in the code
    pub calls: Vec<Box<HelperArg>>,
}

impl BlockInfo {
    /// Whether the block was made from guest code overlapping `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.ranges.iter().any(|&(s, e)| s < end && e > start)
    }
}

/// A translation in a form any thread's cache can place: code as compiled for some address,
/// with what moves it.
pub struct Portable {
    /// The host code, compiled for an address [`x64::relocate`] replaces.
    pub code: Box<[u8]>,
    /// Its position-dependent immediates.
    pub relocs: Box<[Reloc]>,
    /// What its copies share.
    pub info: Arc<BlockInfo>,
}

/// The translations of one process, shared by its threads' caches.
#[derive(Default)]
pub struct SharedCode {
    inner: Mutex<Inner>,
    /// Incremented by every invalidation (read without the lock when a translation starts).
    generation: AtomicU64,
}

#[derive(Default)]
struct Inner {
    /// Each pc's translation and its place in `order`.
    blocks: NearMap<u64, (Arc<Portable>, u32)>,
    /// The translations in the order they were published (those dropped since: `None`). A
    /// thread that starts on code another thread ran asks for its blocks in about the order
    /// that thread made them (Node's workers run V8's start as its main thread did): the one
    /// after the last it placed is the likely next, found without a lookup in `blocks`, a
    /// table of megabytes whose every lookup was a miss past the core's caches.
    order: Vec<Published>,
    /// The blocks by the guest pages they were made from.
    pages: PageIndex,
    /// Bytes of host code held.
    bytes: usize,
    /// The most recent invalidations, `(generation, start, end)`, oldest first.
    recent: VecDeque<(u64, u64, u64)>,
}

impl Inner {
    /// Drop the translation of `pc`, which the map holds.
    fn remove(&mut self, pc: u64) {
        let Some((p, at)) = self.blocks.remove(&pc) else { return };
        self.bytes -= p.code.len();
        self.pages.remove(pc, &p.info.ranges);
        if let Some(e) = self.order.get_mut(at as usize) {
            e.p = None;
        }
    }

    /// Leave out of `order` the translations dropped since (a JIT that makes and drops code all
    /// the time would grow it without end). The threads' guesses of the next one may then be
    /// wrong once.
    fn compact(&mut self) {
        let old = std::mem::take(&mut self.order);
        for e in old.into_iter().filter(|e| e.p.is_some()) {
            let at = self.order.len() as u32;
            if let Some(v) = self.blocks.get_mut(&e.pc) {
                v.1 = at;
            }
            self.order.push(e);
        }
    }
}

/// A translation in the order of publication.
struct Published {
    pc: u64,
    /// Its code's kind (as `p`'s info says, kept here so that a guess reads no more than this).
    fz_checks: bool,
    /// None once it was dropped from the map.
    p: Option<Arc<Portable>>,
}

/// Host code bytes kept before the store starts over (the per-thread caches are 256 MiB).
const MAX_BYTES: usize = 128 << 20;
/// Invalidations remembered, so that a translation that overlaps none of those made while it
/// was being made can still be published.
pub(super) const RECENT: usize = 256;

impl SharedCode {
    /// An empty store.
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves maps that are still consistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The invalidation count now: pass it to [`SharedCode::publish`] for a translation whose
    /// guest bytes are read after this call.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The translation of the block at guest `pc`, if a thread made one with checks of FPCR.FZ
    /// (`fz_checks`) or without, as the asking cache makes its own (see
    /// `CodeCache::omit_fz_checks`): code of the other kind is not for it.
    pub fn get(&self, pc: u64, fz_checks: bool) -> Option<Arc<Portable>> {
        let mut no_guess = u32::MAX;
        self.get_next(pc, fz_checks, &mut no_guess)
    }

    /// [`SharedCode::get`], trying first the translation published after the one the asking
    /// thread placed last (`next`, which it keeps: moved past the translation found).
    pub fn get_next(&self, pc: u64, fz_checks: bool, next: &mut u32) -> Option<Arc<Portable>> {
        let inner = self.lock();
        let guessed = (inner.order.get(*next as usize))
            .filter(|e| e.pc == pc)
            .and_then(|e| Some((e.p.as_ref()?, e.fz_checks, *next)));
        let (p, fz, at) = match guessed {
            Some(g) => g,
            None => {
                let (p, at) = inner.blocks.get(&pc)?;
                (p, p.info.recipe.fz_checks, *at)
            }
        };
        if fz != fz_checks {
            return None;
        }
        *next = at + 1;
        if let Some(Some(after)) = inner.order.get(at as usize + 1).map(|e| e.p.as_ref()) {
            // SAFETY: a prefetch reads nothing; the address is a live allocation's.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(Arc::as_ptr(after) as *const i8)
            };
        }
        Some(p.clone())
    }

    /// Offer the translation of `pc` made from guest bytes read after [`SharedCode::generation`]
    /// returned `since`; dropped if a range invalidated since then overlaps it (or the record
    /// no longer reaches back that far).
    pub fn publish(&self, pc: u64, p: Arc<Portable>, since: u64) {
        let mut inner = self.lock();
        let now = self.generation.load(Ordering::SeqCst);
        if now != since {
            let reaches = inner.recent.front().is_some_and(|&(g, _, _)| g <= since + 1);
            let overlaps = inner
                .recent
                .iter()
                .filter(|&&(g, _, _)| g > since)
                .any(|&(_, s, e)| p.info.overlaps(s, e));
            if !reaches || overlaps {
                return;
            }
        }
        // Another thread made it at the same time; but the optimised translation of a block
        // replaces its quick one.
        if let Some((old, _)) = inner.blocks.get(&pc) {
            if !(old.info.tier == Tier::Quick && p.info.tier == Tier::Optimised) {
                return;
            }
            inner.remove(pc);
        }
        if inner.bytes + p.code.len() > MAX_BYTES {
            inner.blocks.clear();
            inner.pages.clear();
            inner.order.clear();
            inner.bytes = 0;
        }
        if inner.order.len() >= 2 * inner.blocks.len() + 1024 {
            inner.compact();
        }
        inner.pages.add(pc, &p.info.ranges);
        inner.bytes += p.code.len();
        let at = u32::try_from(inner.order.len()).expect("fewer than 2^32 publications");
        inner.order.push(Published {
            pc,
            fz_checks: p.info.recipe.fz_checks,
            p: Some(p.clone()),
        });
        inner.blocks.insert(pc, (p, at));
    }

    /// Drop the translations made from guest code overlapping `[start, end)`.
    pub fn invalidate(&self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let mut inner = self.lock();
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        inner.recent.push_back((generation, start, end));
        if inner.recent.len() > RECENT {
            inner.recent.pop_front();
        }
        for pc in inner.pages.candidates(start, end) {
            if inner.blocks.get(&pc).is_some_and(|(p, _)| p.info.overlaps(start, end)) {
                inner.remove(pc);
            }
        }
    }

    /// Blocks held (for tests and statistics).
    pub fn len(&self) -> usize {
        self.lock().blocks.len()
    }

    /// Translations in the order of publication, dropped ones included (for tests).
    #[cfg(test)]
    pub(super) fn order_len(&self) -> usize {
        self.lock().order.len()
    }

    /// Whether it holds no block.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
