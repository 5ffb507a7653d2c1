//! The code cache's tests: translation, chaining, invalidation and placement, run without the VM
//! (its services come from `tests/support/platform.rs`).

use super::*;

/// Guest code: `add x0, x0, #1` then `ret` at every 16-byte step from 0x10000 for 3 pages.
fn fetch(pc: u64) -> Option<u32> {
    if !(0x10000..0x13000).contains(&pc) {
        return None;
    }
    Some(if pc.is_multiple_of(16) {
        0x9100_0400
    } else {
        0xd65f_03c0
    })
}

#[test]
fn invalidation_drops_exactly_the_overlapping_blocks() {
    super::test_platform::install();
    let mut cache = CodeCache::new(1 << 20, LiftOptions::default()).expect("code cache");
    let pcs: Vec<u64> = (0x10000..0x13000).step_by(16).collect();
    for &pc in &pcs {
        let host = cache.get(pc, &fetch).expect("translated");
        cache.remember_indirect(pc, host);
    }
    // One 64-byte line in the second page: the four blocks starting there go, nothing else.
    cache.invalidate(0x11040, 0x11080);
    for &pc in &pcs {
        let inside = (0x11040..0x11080).contains(&pc);
        assert_eq!(cache.lookup(pc).is_none(), inside, "block {pc:#x}");
        // (The first and third pages share the small jump cache's slots: the second page's
        // entries are all there.)
        if (0x11000..0x12000).contains(&pc) {
            assert_eq!(
                cache.jump_cache.get_mut(pc).is_some(),
                !inside,
                "jump cache entry of {pc:#x}"
            );
        }
    }
    // A range wider than the index walks the index; an empty one does nothing.
    cache.invalidate(0x11000, 0x11000);
    assert!(cache.lookup(0x11000).is_some());
    cache.invalidate(0, u64::MAX);
    assert!(pcs.iter().all(|&pc| cache.lookup(pc).is_none()));
    assert!(cache.pages.is_empty(), "the page index empties with the blocks");
    // Translating again after invalidation works and re-indexes.
    assert!(cache.get(0x11040, &fetch).is_ok());
    cache.invalidate(0x11044, 0x11048);
    assert!(cache.lookup(0x11040).is_none());
}

#[test]
fn code_memory_is_backed_in_steps_from_page_boundaries() {
    super::test_platform::install();
    // (Large enough that the dropped code is not yet reason to start again: see
    // `a_cache_of_dropped_code_starts_again`.)
    let mut cache = CodeCache::new(64 << 20, LiftOptions::default()).expect("code cache");
    // Written again and again (invalidation leaves the code memory used): each backing step
    // starts where the one before ended, and the test platform checks that madvise would take
    // it (a step of a quarter of what was backed was not whole pages).
    while cache.used < 3 << 20 {
        for pc in (0x10000..0x13000).step_by(16) {
            cache.get(pc, &fetch).expect("translated");
        }
        cache.invalidate(0, u64::MAX);
    }
    assert_eq!(cache.prepared % PAGE_BYTES, 0);
    assert!(cache.prepared >= cache.used && cache.prepared - cache.used <= PREPARE_MAX);
}

fn code_of(cache: &CodeCache, pc: u64) -> Vec<u8> {
    cache.code_of(pc)
}

#[test]
fn threads_place_each_others_translations_until_invalidated() {
    super::test_platform::install();
    let mut a = CodeCache::new(1 << 20, LiftOptions::default()).expect("code cache");
    a.share_translations();
    let mut b = a.new_like().expect("second cache");
    // Different places in the two caches: b holds one block more before.
    b.get(0x12000, &fetch).expect("translated");
    a.get(0x10000, &fetch).expect("translated");
    b.get(0x10000, &fetch).expect("placed");
    assert_eq!((b.stats.blocks, b.stats.shared), (1, 1), "b placed a's block");
    let (ha, hb) = (a.lookup(0x10000).unwrap(), b.lookup(0x10000).unwrap());
    assert_ne!(ha, hb);
    // b's copy is what b would have made itself: moved to its address, exits to its epilogue.
    let mut c = CodeCache::new(1 << 20, LiftOptions::default()).expect("code cache");
    c.get(0x12000, &fetch).expect("translated");
    c.get(0x10000, &fetch).expect("translated");
    let mut own = code_of(&c, 0x10000);
    let e = c.blocks[&0x10000].host;
    assert_eq!(e - c.mem as u64, hb - b.mem as u64, "same offset in both caches");
    let relocs = lift_and_relocs(0x10000, &fetch, Tier::Quick);
    x64::relocate(&mut own, &relocs, hb, b.epilogue, None);
    assert_eq!(code_of(&b, 0x10000), own);
    // An invalidation drops the shared translation: a third thread translates anew.
    a.invalidate_shared(0x10000, 0x10004);
    let mut d = a.new_like().expect("third cache");
    d.get(0x10000, &fetch).expect("translated");
    assert_eq!((d.stats.blocks, d.stats.shared), (1, 0));
    // And d's translation is shared again.
    let mut e2 = a.new_like().expect("fourth cache");
    e2.get(0x10000, &fetch).expect("placed");
    assert_eq!((e2.stats.blocks, e2.stats.shared), (0, 1));
}

#[test]
fn translations_with_and_without_checks_of_fz_are_not_placed_in_each_other() {
    super::test_platform::install();
    let mut a = CodeCache::new(1 << 20, LiftOptions::default()).expect("code cache");
    a.omit_fz_checks();
    a.share_translations();
    let mut b = a.new_like().expect("second cache");
    let mut c = a.new_like().expect("third cache");
    assert!(!b.fz_checks(), "a new thread's cache makes code as its parent's does");
    b.require_fz_checks();
    a.get(0x10000, &fetch).expect("translated");
    c.get(0x10000, &fetch).expect("placed");
    assert_eq!((c.stats.blocks, c.stats.shared), (0, 1), "the same kind of code");
    b.get(0x10000, &fetch).expect("translated");
    assert_eq!((b.stats.blocks, b.stats.shared), (1, 0), "a's code has no checks");
    assert!(!c.blocks[&0x10000].info.recipe.fz_checks);
    assert!(b.blocks[&0x10000].info.recipe.fz_checks);
}

/// The relocations of the block at `pc` of the guest code `fetch` reads, lifted as `tier`,
/// compiled anywhere.
fn lift_and_relocs(pc: u64, fetch: &dyn Fn(u64) -> Option<u32>, tier: Tier) -> Vec<x64::Reloc> {
    let (block, ..) = tiers::block_ir(pc, fetch, LiftOptions::default(), tier).expect("lifts");
    let rt = Runtime {
        epilogue: 0,
        counter: None,
        host: x64::host::HostFeatures::detect(),
        fault_map: false,
        fz_checks: true,
    };
    x64::compile(&block, 0x1000, rt).relocs
}

/// A shareable translation of a block at `start`, two instructions long, with checks of FZ.
fn portable(start: u64) -> Arc<Portable> {
    Arc::new(Portable {
        code: vec![0xc3].into(),
        relocs: Vec::new().into(),
        info: Arc::new(BlockInfo {
            ranges: smallvec::smallvec![(start, start + 8)],
            own_ranges: 1,
            guest_insns: 2,
            tier: Tier::Optimised,
            faults: Default::default(),
            words: Default::default(),
            recipe: faults::Recipe {
                asked: Tier::Optimised,
                counter: None,
                fz_checks: true,
            },
            calls: Vec::new(),
        }),
    })
}

#[test]
fn blocks_asked_for_in_the_order_they_were_published_are_found_from_the_one_before() {
    let store = SharedCode::new();
    let pcs = [0x20000u64, 0x50000, 0x30000, 0x40000];
    for pc in pcs {
        store.publish(pc, portable(pc), store.generation());
    }
    // Asked in that order, each is the one after the last found.
    let mut next = u32::MAX;
    for (i, pc) in pcs.into_iter().enumerate() {
        let p = store.get_next(pc, true, &mut next).expect("published");
        assert_eq!(p.info.ranges[0].0, pc);
        assert_eq!(next, i as u32 + 1);
    }
    // Out of order, through the map; the guess then goes on from there.
    let mut next = 0;
    assert!(store.get_next(0x30000, true, &mut next).is_some());
    assert_eq!(next, 3);
    // A dropped translation is not guessed, nor one of the other kind.
    store.invalidate(0x40000, 0x40004);
    assert!(store.get_next(0x40000, true, &mut next).is_none());
    let mut next = 1;
    assert!(store.get_next(0x50000, false, &mut next).is_none());
    assert_eq!(next, 1, "not moved");
    // A translation replaced (quick by optimised) is found as the new one, at its new place.
    let quick = Arc::new(Portable {
        code: vec![0xc3].into(),
        relocs: Vec::new().into(),
        info: Arc::new(BlockInfo {
            tier: Tier::Quick,
            ..Arc::into_inner(Arc::into_inner(portable(0x60000)).expect("one").info).expect("one")
        }),
    });
    store.publish(0x60000, quick, store.generation());
    store.publish(0x60000, portable(0x60000), store.generation());
    let mut next = 4;
    let p = store.get_next(0x60000, true, &mut next).expect("the optimised one");
    assert_eq!((p.info.tier, next), (Tier::Optimised, 6));
    // Translations made and dropped again and again (a JIT's) do not pile up in the order.
    for i in 0..10_000u64 {
        let pc = 0x100_0000 + i * 64;
        store.publish(pc, portable(pc), store.generation());
        store.invalidate(pc, pc + 4);
    }
    assert!(store.order_len() < 2 * store.len() + 1024 + 1);
    let mut next = 0;
    for pc in [0x20000, 0x50000, 0x30000] {
        assert!(store.get_next(pc, true, &mut next).is_some(), "{pc:#x} kept");
    }
}

#[test]
fn a_translation_older_than_an_overlapping_invalidation_is_not_published() {
    let store = SharedCode::new();
    let since = store.generation();
    store.invalidate(0x20004, 0x20008);
    store.publish(0x20000, portable(0x20000), since);
    assert!(store.get(0x20000, true).is_none(), "made from bytes invalidated since");
    // An invalidation elsewhere does not stop it.
    let since = store.generation();
    store.invalidate(0x30000, 0x30040);
    store.publish(0x20000, portable(0x20000), since);
    assert!(store.get(0x20000, true).is_some());
    assert!(
        store.get(0x20000, false).is_none(),
        "code with checks of FPCR.FZ is for caches that make it"
    );
    store.invalidate(0x20000, 0x20001);
    assert!(store.is_empty());
    // Once the record of invalidations no longer reaches back, nothing old is published.
    let since = store.generation();
    for i in 0..=shared::RECENT as u64 {
        store.invalidate(0x40000 + i * 64, 0x40040 + i * 64);
    }
    store.publish(0x20000, portable(0x20000), since);
    assert!(store.is_empty());
}

impl CodeCache {
    /// The bytes of the block of `pc` as placed (its chain jumps as patched).
    pub(super) fn code_of(&self, pc: u64) -> Vec<u8> {
        let e = &self.blocks[&pc];
        let at = (e.host - self.mem as u64) as usize;
        // SAFETY: the block lies in the cache's mapping, readable through the write view.
        unsafe { std::slice::from_raw_parts(self.write.add(at), e.host_len as usize) }.to_vec()
    }
}

/// A block with a side exit: `add x2, x2, #1; cmp x0, #5; b.eq T; add x3, x3, #2; ret` at
/// 0x40000, and at T (0x40100) `cset x4, eq; ret`, which reads the flags the side exit wrote
/// back.
fn side_exit_code(pc: u64) -> Option<u32> {
    Some(match pc {
        0x40000 => 0x9100_0442,
        0x40004 => 0xf100_141f,
        0x40008 => 0x5400_07c0,
        0x4000c => 0x9100_0863,
        0x40010 | 0x40104 => 0xd65f_03c0,
        0x40100 => 0x9a9f_17e4,
        _ => return None,
    })
}

#[test]
fn a_side_exit_writes_back_the_registers_and_flags_its_target_reads() {
    super::test_platform::install();
    let block = crate::lift::lift_block(0x40000, &side_exit_code, LiftOptions::default()).expect("lifts");
    assert!(
        block
            .ops
            .iter()
            .any(|o| matches!(o, crate::ir::Op::SideExit { target: 0x40100, .. })),
        "the block goes on past the forward b.eq"
    );
    assert_eq!(block.guest_len, 5);
    let mut cache = CodeCache::new(1 << 20, LiftOptions::default()).expect("code cache");
    cache.optimise_at_once();
    for (x0, want) in [(5, [1, 0, 1]), (1, [1, 2, 99])] {
        let cpu = call(&mut cache, &side_exit_code, 0x40000, |cpu| {
            cpu.x[0] = x0;
            cpu.x[4] = 99;
        });
        assert_eq!([cpu.x[2], cpu.x[3], cpu.x[4]], want, "x0 = {x0}");
    }
}

/// A call of the function at `pc` (with the registers `setup` gives it) run block by block
/// through `cache` until it returns; the state it returns with.
fn call(cache: &mut CodeCache, fetch: &dyn Fn(u64) -> Option<u32>, pc: u64, setup: impl Fn(&mut CpuState)) -> CpuState {
    const END: u64 = 0x7000_0000;
    let mut cpu = CpuState {
        pc,
        ..Default::default()
    };
    setup(&mut cpu);
    cpu.x[30] = END;
    let mut trips = 0;
    while cpu.pc != END {
        let host = cache.get(cpu.pc, fetch).expect("translates");
        cache.enter(&mut cpu, host);
        trips += 1;
        assert!(trips < 10, "runs away at {:#x}", cpu.pc);
    }
    cpu
}

/// `add x2, x2, #1; cmp x0, #5; b.eq F; add x3, x3, #2; cmp x0, #6; b.eq N; ret` at 0x60000,
/// a far forward branch (F, 0x60400: `cset x5, eq; ret`, which reads the flags) and a near one
/// (N, 0x60040: `add x4, x4, #3; ret`).
fn far_and_near(pc: u64) -> Option<u32> {
    Some(match pc {
        0x60000 => 0x9100_0442,
        0x60004 => 0xf100_141f,
        0x60008 => 0x5400_1fc0,
        0x6000c => 0x9100_0863,
        0x60010 => 0xf100_181f,
        0x60014 => 0x5400_0160,
        0x60040 => 0x9100_0c84,
        0x60400 => 0x9a9f_17e5,
        0x60018 | 0x60044 | 0x60404 => 0xd65f_03c0,
        _ => return None,
    })
}

#[test]
fn a_quick_translation_goes_on_past_far_forward_branches_only_with_everything_written_back() {
    super::test_platform::install();
    let (block, tier, _) = tiers::block_ir(0x60000, &far_and_near, LiftOptions::default(), Tier::Quick).expect("lifts");
    assert_eq!(tier, Tier::Quick);
    let exits: Vec<_> = block
        .ops
        .iter()
        .filter_map(|o| match *o {
            crate::ir::Op::SideExit { target, state, .. } => Some((target, state.len)),
            _ => None,
        })
        .collect();
    // Past the far b.eq, with nothing left to write back on its way out (x2 and the flags were
    // written on both ways before it); not past the near one, which ends the block.
    assert_eq!(exits, [(0x60400, 0)]);
    assert_eq!(block.guest_len, 6);
    assert!(matches!(block.exit, crate::ir::Exit::Branch { taken: 0x60040, .. }));
    let mut cache = CodeCache::new(1 << 20, LiftOptions::default()).expect("code cache");
    // x0 = 5 leaves by the side exit, 6 by the near branch, 1 by the return.
    for (x0, want) in [(5, [1, 0, 99, 1]), (6, [1, 2, 102, 99]), (1, [1, 2, 99, 99])] {
        let cpu = call(&mut cache, &far_and_near, 0x60000, |cpu| {
            cpu.x[0] = x0;
            (cpu.x[4], cpu.x[5]) = (99, 99);
        });
        assert_eq!([cpu.x[2], cpu.x[3], cpu.x[4], cpu.x[5]], want, "x0 = {x0}");
    }
    assert_eq!(cache.blocks[&0x60000].info.tier, Tier::Quick, "not promoted");
}

/// `ic ivau, x0; ic ivau, x1; dsb ish; ret` at 0x80000.
fn ivau_then_barrier(pc: u64) -> Option<u32> {
    Some(match pc {
        0x80000 => 0xd50b_7520,
        0x80004 => 0xd50b_7521,
        0x80008 => 0xd503_3b9f,
        0x8000c => 0xd65f_03c0,
        _ => return None,
    })
}

#[test]
fn ic_ivau_names_lines_and_the_next_barrier_leaves_for_the_run_loop_only_then() {
    super::test_platform::install();
    let mut cache = CodeCache::new(1 << 20, LiftOptions::default()).expect("code cache");
    // (x0, x1, the lines named): the top line of the address space adds no end (it wraps).
    for (x0, x1, named) in [
        (0x12345, 0x12400, (0x12340, 0x12440)),
        (u64::MAX - 8, 0x40, (0x40, 0x80)),
    ] {
        let mut cpu = CpuState {
            pc: 0x80000,
            ..Default::default()
        };
        (cpu.x[0], cpu.x[1]) = (x0, x1);
        let host = cache.get(cpu.pc, &ivau_then_barrier).expect("translates");
        assert_eq!(cache.enter(&mut cpu, host), ExitReason::InvalidateCode);
        assert_eq!((cpu.pc, (cpu.inval_lo, cpu.inval_hi)), (0x8000c, named));
    }
    // A barrier with nothing named goes on chained.
    let mut cpu = CpuState {
        pc: 0x80008,
        ..Default::default()
    };
    let host = cache.get(cpu.pc, &ivau_then_barrier).expect("translates");
    assert_eq!(cache.enter(&mut cpu, host), ExitReason::Chain);
    assert_eq!((cpu.pc, cpu.inval_hi), (0x8000c, 0));
}

/// `cbz x0, .+16` at 0x20000 (its fall-through a `ret`), `add x0, x0, #1; ret` at 0x20010.
fn branching(pc: u64) -> Option<u32> {
    match pc {
        0x20000 => Some(0xb400_0080),
        0x20004 | 0x20014 => Some(0xd65f_03c0),
        0x20010 => Some(0x9100_0400),
        _ => None,
    }
}

/// Where the run loop chains exits (`CodeCache::link_saved`), a block just translated has its
/// exits to blocks the cache holds chained at once, without a trip through the run loop for
/// each; where it does not (a debugger's block limits, the differential check), they are not.
#[test]
fn a_new_blocks_exits_to_blocks_present_are_chained_at_once() {
    super::test_platform::install();
    for linked in [false, true] {
        let mut c = CodeCache::new(1 << 20, LiftOptions::default()).expect("a cache");
        c.optimise_at_once();
        c.link_saved(linked);
        c.get(0x20010, &branching).expect("the branch target translates");
        c.get(0x20000, &branching).expect("the branch translates");
        let relocs = lift_and_relocs(0x20000, &branching, Tier::Optimised);
        let (host, code) = (c.blocks[&0x20000].host, code_of(&c, 0x20000));
        let (site, _) = x64::chain_exits(&code, &relocs)
            .find(|&(_, target)| target == 0x20010)
            .expect("an exit to 0x20010");
        let rel = i32::from_le_bytes(code[site + 1..site + 5].try_into().expect("4 bytes"));
        let to = (host + site as u64 + 5).wrapping_add_signed(i64::from(rel));
        assert_eq!(to == c.blocks[&0x20010].host, linked, "linked: {linked}");
    }
}

/// Runs the blocks at 0x10000, 0x10010, ... (`add x0, x0, #1; ret`, see [`fetch`]) once each in
/// `cache`, checking each call's result: a block's code must run wherever the cache put it.
fn run_each_block_once(cache: &mut CodeCache) {
    const END: u64 = 0x50000;
    let mut cpu = CpuState::default();
    for (n, pc) in (0x10000..0x13000u64).step_by(16).enumerate() {
        cpu.pc = pc;
        cpu.x[30] = END;
        let host = cache.get(pc, &fetch).expect("translates");
        assert_eq!(cache.enter(&mut cpu, host), ExitReason::Indirect);
        assert_eq!((cpu.pc, cpu.x[0]), (END, n as u64 + 1), "block {pc:#x}");
    }
}

/// A block that does not fit flushes the cache and goes to its start: its code, made for the
/// place it would have had, is moved there (it was not, and its first exit jumped beside the
/// epilogue: a program that filled the cache crashed the VM).
#[test]
fn a_block_that_fills_the_cache_runs_where_the_flush_puts_it() {
    super::test_platform::install();
    let mut cache = CodeCache::new(16 << 10, LiftOptions::default()).expect("code cache");
    cache.optimise_at_once();
    run_each_block_once(&mut cache);
    assert!(cache.stats.flushes >= 3, "{} flushes", cache.stats.flushes);
}

/// A cache whose code is mostly that of invalidated blocks (a JIT's) starts again from its
/// beginning, not from new memory; one with much code still in use does not.
#[test]
fn a_cache_of_dropped_code_starts_again() {
    super::test_platform::install();
    const SIZE: usize = 2 << 20;
    let threshold = RECYCLE_DROPPED.min(SIZE / 8);
    let mut cache = CodeCache::new(SIZE, LiftOptions::default()).expect("code cache");
    cache.optimise_at_once();
    while cache.stats.flushes == 0 {
        assert!(cache.used < 2 * threshold, "no flush at {} bytes", cache.used);
        run_each_block_once(&mut cache);
        cache.invalidate(0x10000, 0x13000);
    }
    // Kept: the same churn, but with every block run in use and one in eight dropped each
    // time, past the threshold and short of eight times the code in use.
    let mut kept = CodeCache::new(SIZE, LiftOptions::default()).expect("code cache");
    kept.optimise_at_once();
    run_each_block_once(&mut kept);
    let in_use = kept.used - kept.code_start;
    while kept.dropped < threshold + (RECYCLE_RATIO * in_use - threshold) / 2 {
        for pc in (0x10000..0x13000u64).step_by(128) {
            kept.invalidate(pc, pc + 4);
        }
        run_each_block_once(&mut kept);
    }
    assert_eq!(kept.stats.flushes, 0, "code in use is not dropped to reuse memory");
}

/// A self-loop of HotSpot's (an interpreter's profile counters, Java 17 on arm64): a CSEL of two
/// constants whose flags compare with a 64-bit constant, in a loop that writes six registers it
/// never reads (each a carrier) and keeps its flags for its exits. Lowering the select ran out of
/// host registers (a panic in the VM, which left the JVM hung).
const HOTSPOT_LOOP: u64 = 0x3ffb_e170_d0bc;
fn hotspot_loop(pc: u64) -> Option<u32> {
    const WORDS: [u32; 36] = [
        0xb9402020, 0xd37df000, 0xd291ec01, 0xf2b79461, 0xf2c7ff61, 0xb9410022, 0x11000842, 0xb9010022, 0x121f3042,
        0x7100005f, 0x54000ce0, 0xf941a788, 0xb940011f, 0xd291ec01, 0xf2b79461, 0xf2c7ff61, 0xf940b022, 0x91000442,
        0xf900b022, 0xaa0003e1, 0xb9400c20, 0xd37df000, 0xd2902e02, 0xf2b3b802, 0xf2c000c2, 0xeb02001f, 0xd291ec00,
        0xf2b79460, 0xf2c7ff60, 0xd2802a08, 0xd2802809, 0x9a891102, 0xf8626803, 0x91000463, 0xf8226803, 0x54fffba1,
    ];
    let i = pc.checked_sub(HOTSPOT_LOOP)?;
    if i % 4 != 0 {
        return None;
    }
    WORDS.get(i as usize / 4).copied()
}

#[test]
fn a_self_loop_with_every_register_carried_still_finds_registers_for_a_select() {
    super::test_platform::install();
    let mut cache = CodeCache::new(1 << 20, LiftOptions::default()).expect("code cache");
    cache.optimise_at_once();
    cache.get(HOTSPOT_LOOP, &hotspot_loop).expect("translated");
}
