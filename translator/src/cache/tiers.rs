//! Two translations per block: a quick one first, the optimised one for blocks that prove hot.
//!
//! Most blocks of a program's start run a handful of times (the dynamic loader, libc's and an
//! interpreter's initialisation), and for them translation, not the code made, is the cost. The
//! optimised translation lifts each successor of a block as well, to leave out the write-backs
//! of registers and flags that every successor overwrites before reading (`lift::dead_after`
//! and the flags look-ahead): over a third of all translation work. A quick translation skips
//! that analysis and writes everything back; it is correct in every respect, only its exits
//! store a little more.
//!
//! Hotness is counted by the code itself: a quick translation starts by decrementing a counter
//! of its own (in an array next to the code cache, reached rip-relative) and, when it reaches
//! zero, exits to the run loop with `ExitReason::Promote` before doing anything. The run loop
//! then translates the block again with the analysis ([`CodeCache::promote`]); the new code takes
//! the old one's place (the chain jumps into the old code and its jump-cache entry are moved to
//! it). Quick translations are chained and found through the jump cache like any other, so cold
//! code does not pay trips through the run loop. Blocks whose two translations would be the
//! same (an exit that is not a direct branch, a debugger's blocks) and self-loops (whose back
//! edge does not pass the counter) are optimised at once.

use super::{CodeCache, TranslateError};
use crate::ir::{Block, Exit};
use crate::lift::{lift_block_reading, GuestWords, LiftOptions};

/// Which translation of a block a piece of code is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Lifted without looking at its successors; not yet linked.
    Quick,
    /// Lifted with the successor analysis; chained and in the jump cache like any block.
    Optimised,
}

/// Executions after which a quick translation is replaced by the optimised one. An optimised
/// translation costs a few microseconds more than the quick one and saves some 5-10% of each
/// later run of the block (an interpreter loop in quick code is about 5% slower, branchy code
/// without side exits about 10%), so it pays for itself after thousands of runs of a block of a
/// few dozen nanoseconds, not hundreds (loops are optimised at once anyway). Measured
/// 2026-12-06 (farm-bench, medians of paired CPU ratios) against 512, the threshold before:
/// `python3 -c pass` without the cache 0.92x at 2048, 0.90x at 4096 (8192: 0.99x more), a
/// warm one 0.97x (2048), gcc-12 compiling hello 0.97x (2048) and 0.98x more at 4096, Node
/// 0.92x (2048), a 0.5 s python script 0.96x, bench_interp 0.98x, bench_hash 0.99x, bench_fmt
/// 0.99x, bench_strings 1.00x, perl 1.00x. (Against one tier, 2026-11: 8 0.97, 64 0.82, 512
/// 0.71, never 0.67.) 8192 against 4096 (session 43, paired runs in the tests' environment):
/// Node cold 0.985x the wall time (15 pairs) and warm 0.989x, python3 -c pass cold 0.985x the
/// CPU (31) and warm 1.001x (41), gcc-12 compiling hello cold 0.988x, bench_interp 1.001x,
/// bench_fmt 0.999x: the quick translations of the starts' blocks that run a few thousand times
/// are not made again. 16384 against 8192, once quick translations went on past far branches
/// (session 46): Node cold 0.987x the wall time (9 pairs; 0.983x in session 43, not kept then),
/// python3 -c pass cold 0.997x (21), gcc-12 hello cold 1.000x, bench_interp 0.998x (11).
pub const HOT_VISITS: u32 = 16384;

/// The optimised IR of the block at `pc` in `tier` (verified in debug builds), the tier the
/// block gets (optimised when a quick translation would gain nothing) and the guest words its
/// lift read.
pub(super) fn block_ir(
    pc: u64,
    fetch: &dyn Fn(u64) -> Option<u32>,
    opts: LiftOptions,
    tier: Tier,
) -> Result<(Block, Tier, GuestWords), TranslateError> {
    let lift = |analyse: bool| {
        // A quick translation is made for speed of translating: it neither looks at the
        // successors nor follows branches (blocks overlapping each other is more to
        // translate: with the followed branches, `python3 -c pass` translated 217 K guest
        // instructions for 128 K distinct ones, without them 149 K, in 6% more blocks). It
        // goes on past up to two far forward conditional branches (`lift::QUICK_SIDE_EXITS`):
        // a fifth fewer blocks for 7% more guest instructions translated in `python3 -c pass`
        // (a tenth fewer for 5% more in gcc's cc1), each a block fewer to place from the store
        // at every warm start.
        let opts = LiftOptions {
            drop_dead_writebacks: opts.drop_dead_writebacks && analyse,
            side_exits: opts.side_exits,
            follow_branches: opts.follow_branches && analyse,
            ..opts
        };
        lift_block_reading(pc, fetch, opts).ok_or(TranslateError::NotExecutable(pc))
    };
    // A quick lift's words are a subset of the optimised lift's (the block's own), so the words
    // of the lift kept are all that lifting it again reads. (The block is lifted into its place
    // and replaced there: moving it through tuples was a copy each.)
    let (mut block, mut words) = lift(tier == Tier::Optimised)?;
    let tier = match tier {
        Tier::Optimised => Tier::Optimised,
        Tier::Quick => {
            let self_loop = match block.exit {
                Exit::Jump(t) => t == pc,
                Exit::Branch { taken, not_taken, .. } => taken == pc || not_taken == pc,
                _ => false,
            };
            let direct = matches!(block.exit, Exit::Jump(_) | Exit::Branch { .. });
            if !opts.drop_dead_writebacks || !direct {
                Tier::Optimised
            } else if self_loop {
                (block, words) = lift(true)?;
                Tier::Optimised
            } else {
                Tier::Quick
            }
        }
    };
    crate::opt::optimize(&mut block);
    if cfg!(debug_assertions) {
        crate::ir::verify::assert_valid(&block, opts.confine);
    }
    Ok((block, tier, words))
}

impl CodeCache {
    /// Give every new block its optimised translation at once, without a quick one first (to
    /// measure the tiers apart; a debugger's and a profile's caches work this way anyway).
    pub fn optimise_at_once(&mut self) {
        self.countdowns = None;
    }

    /// After an `ExitReason::Promote` at `pc`: replace the quick translation of `pc` by the
    /// optimised one (another thread's, if it made it already); the block map, the page index,
    /// the jump cache and the chain jumps that went to the old code all go to the new. The host
    /// code to run for `pc` (the block may have been dropped or replaced since it exited, by a
    /// signal handler's code invalidation, say: then it is whatever [`CodeCache::get`] finds).
    pub fn promote(&mut self, pc: u64, fetch: &dyn Fn(u64) -> Option<u32>) -> Result<u64, TranslateError> {
        self.promote_in(pc, fetch, &|_| true)
    }

    /// [`CodeCache::promote`], the persistent store used as [`CodeCache::get_in`] says.
    pub fn promote_in(
        &mut self,
        pc: u64,
        fetch: &dyn Fn(u64) -> Option<u32>,
        file_code: &dyn Fn(u64) -> bool,
    ) -> Result<u64, TranslateError> {
        if self.blocks.get(&pc).is_none_or(|e| e.info.tier != Tier::Quick) {
            return self.get_in(pc, fetch, file_code);
        }
        let old = self.blocks.remove(&pc).expect("just seen");
        self.pages.remove(pc, &old.info.ranges);
        let generation = self.generation;
        let shared = self.shared.clone().filter(|_| self.counters.is_none());
        let host = match shared.as_ref().and_then(|s| s.get(pc, self.fz_checks)) {
            Some(p) if p.info.tier == Tier::Optimised => {
                self.stats.shared += 1;
                self.place_shared(pc, &p, fetch)
            }
            _ => {
                let store = self.store_usable() && file_code(pc);
                match self.translate(pc, fetch, Tier::Optimised, shared.as_ref(), store) {
                    Ok(host) => host,
                    Err(e) => {
                        // The code is gone (unmapped since): so are the ways into the old copy.
                        if self.generation == generation {
                            for &site in old.incoming.as_slice() {
                                self.patch_chain(site, site + 5);
                            }
                        }
                        self.jump_cache.forget(pc);
                        return Err(e);
                    }
                }
            }
        };
        self.stats.promoted += 1;
        // A flush to make room dropped the old code and every jump into it.
        if self.generation == generation {
            for &site in old.incoming.as_slice() {
                self.patch_chain(site, host);
            }
            let e = self.blocks.get_mut(&pc).expect("just placed");
            e.incoming = old.incoming;
        }
        if let Some(e) = self.jump_cache.get_mut(pc) {
            e.host = host;
        }
        Ok(host)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_platform;
    use super::*;
    use crate::cpu::{CpuState, ExitReason};

    /// Guest code (a caller C, a block A it branches to, and A's successor D, which overwrites
    /// x2 before reading it, so the optimised A leaves out its write-back of x2):
    ///   C 0x20300: add x3, x3, #1 ; cbz x0, A
    ///   A 0x20000: add x2, x2, #1 ; cbz x0, D
    ///   D 0x20084: movz x2, #7 ; ret
    fn fetch(pc: u64) -> Option<u32> {
        Some(match pc {
            0x20300 => 0x9100_0463,
            0x20304 => 0xb4ff_e7e0, // cbz x0, 0x20000
            0x20000 => 0x9100_0442,
            0x20004 => 0xb400_0400, // cbz x0, 0x20084 (near: a quick A ends there)
            0x20008 | 0x20308 => 0xd65f_03c0,
            0x20084 => 0xd280_00e2,
            0x20088 => 0xd65f_03c0,
            _ => return None,
        })
    }

    const C: u64 = 0x20300;
    const A: u64 = 0x20000;
    const D: u64 = 0x20084;
    /// Where the calls return to (not translated: the jump cache misses and the loop stops).
    const END: u64 = 0x30000;

    /// A code cache of `size` bytes that gives new blocks quick translations.
    fn tiered_cache(size: usize) -> CodeCache {
        test_platform::install();
        let cache = CodeCache::new(size, LiftOptions::default()).expect("code cache");
        assert!(
            cache.countdowns.is_some(),
            "no room for the countdowns next to the cache"
        );
        cache
    }

    /// A call of C, the way the run loop runs it; the run-loop trips it took and why.
    fn call(cache: &mut CodeCache, cpu: &mut CpuState) -> Vec<(u64, ExitReason)> {
        cpu.pc = C;
        cpu.x[30] = END;
        let mut trips = Vec::new();
        let mut reason = ExitReason::Indirect;
        while cpu.pc != END {
            let pc = cpu.pc;
            trips.push((pc, reason));
            let generation = cache.generation();
            let host = if reason == ExitReason::Promote {
                cache.promote(pc, &fetch)
            } else {
                cache.get(pc, &fetch)
            };
            let host = host.expect("translates");
            if reason == ExitReason::Chain && cpu.exit_site != 0 && generation == cache.generation() {
                cache.chain(cpu.exit_site, pc);
            }
            reason = cache.enter(cpu, host);
        }
        trips
    }

    #[test]
    fn hot_quick_translations_are_replaced_by_optimised_ones() {
        let mut cache = tiered_cache(1 << 20);
        let mut cpu = CpuState::default();
        use ExitReason::{Chain, Indirect, Promote};
        // The first call translates and chains: C (quick) -> A (quick) -> D (optimised at once:
        // its exit is a return).
        assert_eq!(call(&mut cache, &mut cpu), [(C, Indirect), (A, Chain), (D, Chain)]);
        let quick_a = cache.lookup(A).expect("A");
        assert_eq!(cache.blocks[&A].info.tier, Tier::Quick);
        assert_eq!(cache.blocks[&D].info.tier, Tier::Optimised);
        // Then the calls run chained until the countdowns run out.
        for _ in 2..HOT_VISITS {
            assert_eq!(call(&mut cache, &mut cpu), [(C, Indirect)]);
        }
        // Then C's countdown runs out, and A's when the optimised C (new code, its exits not
        // chained yet) gets there: both are promoted.
        let trips = call(&mut cache, &mut cpu);
        assert_eq!(
            trips,
            [(C, Indirect), (C, Promote), (A, Chain), (A, Promote), (D, Chain)]
        );
        assert_eq!(cache.stats.promoted, 2, "A and C");
        assert_ne!(cache.lookup(A), Some(quick_a));
        let a = &cache.blocks[&A].info;
        assert_eq!(a.tier, Tier::Optimised);
        // The optimised A read its successors (their ranges are its dependencies).
        assert!(a.ranges.len() > a.own_ranges);
        // Chained all the way now; every call computed what it should.
        assert_eq!(call(&mut cache, &mut cpu), [(C, Indirect)]);
        assert_eq!((cpu.x[2], cpu.x[3]), (7, HOT_VISITS as u64 + 1));
    }

    #[test]
    fn promotion_moves_chain_jumps_to_the_new_code() {
        let mut cache = tiered_cache(1 << 20);
        let mut cpu = CpuState::default();
        call(&mut cache, &mut cpu);
        let quick_a = cache.lookup(A).expect("A");
        // A alone is promoted (as if it were reached from elsewhere): C's jump into it must go to
        // the optimised A, not into the code it replaced.
        let host = cache.promote(A, &fetch).expect("promoted");
        assert_ne!(host, quick_a);
        assert_eq!(
            cache.blocks[&A].incoming.as_slice().len(),
            1,
            "C's jump moved with the block"
        );
        // Make the old code unusable: a call that still went there would not reach D.
        let at = (quick_a - cache.mem as u64) as usize;
        // SAFETY: the old translation lies in the cache; nothing uses it any more.
        unsafe { std::ptr::write_bytes(cache.write.add(at), 0xcc, 1) };
        call(&mut cache, &mut cpu);
        assert_eq!((cpu.x[2], cpu.x[3]), (7, 2));
        // Promoting what is not quick (or not there) is a plain lookup.
        assert_eq!(cache.promote(A, &fetch), Ok(host));
    }

    #[test]
    fn a_promotion_places_another_threads_translation_only_of_the_same_kind() {
        // Optimised with checks of FPCR.FZ by b, A is optimised again in d, which has none.
        let mut a = tiered_cache(1 << 20);
        a.omit_fz_checks();
        a.share_translations();
        let (mut b, mut d) = (a.new_like().expect("cache"), a.new_like().expect("cache"));
        b.require_fz_checks();
        d.get(A, &fetch).expect("quick");
        b.get(A, &fetch).expect("quick");
        b.promote(A, &fetch).expect("promoted");
        assert!(b.blocks[&A].info.recipe.fz_checks);
        d.promote(A, &fetch).expect("promoted");
        assert_eq!(d.blocks[&A].info.tier, Tier::Optimised);
        assert!(!d.blocks[&A].info.recipe.fz_checks);
        assert_eq!(d.stats.shared, 0);
    }

    #[test]
    fn quick_blocks_moved_by_a_flush_count_down_their_own_counter() {
        // Room for a few blocks only: translating D flushes and moves it; C and A come back after.
        let mut cache = tiered_cache(4096);
        let mut cpu = CpuState::default();
        for _ in 0..3 * HOT_VISITS {
            call(&mut cache, &mut cpu);
        }
        assert_eq!((cpu.x[2], cpu.x[3]), (7, 3 * HOT_VISITS as u64));
    }
}
