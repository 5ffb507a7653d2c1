//! Fault maps made when a fault needs one. Lowering can record, for every guest instruction that
//! accesses memory, where each guest register is while its host code runs (`x64::faultmap`), so
//! that a fault there gives the guest's handler the exact state. Those records were most of what
//! a translation kept (about 900 bytes per block: `python3 -c pass` grew a64x's heap to 47.5 MB
//! with them, 17.9 MB without) and their making a good part of lowering, yet almost no block
//! ever faults.
//!
//! So a translation keeps instead the guest words its lift read ([`crate::lift::GuestWords`], a few dozen bytes)
//! and how it was made; at the first fault in a block, the block is lifted and lowered again from
//! those words, the same way, with the fault map on. Lowering is deterministic (the same IR and the
//! same kind of counter give the same code, whatever the address: the few position-dependent
//! immediates have fixed widths), which the snapshot test checks by compiling every block with and
//! without the map and comparing the bytes. The words are the ones read then, not memory's
//! contents now: a guest that rewrote its code without invalidating still runs the old
//! translation, and gets that translation's map.
//!
//! The fault handler calls this: no lock is held and no allocator is entered while translated code
//! runs on the faulting thread, so lifting and lowering there are safe; the map is kept with the
//! translation (shared by every thread's copy) once made.

use super::tiers::{self, Tier};
use super::CodeCache;
use crate::x64::{self, faultmap::FaultSite, Counter, Runtime};

/// How a translation was made, to make it again.
#[derive(Debug, Clone, Copy)]
pub struct Recipe {
    /// The tier asked of [`tiers::block_ir`] (which may give another).
    pub asked: Tier,
    /// The kind of counter its code has (the address is the cache's business).
    pub counter: Option<Counter>,
    /// Whether its code checks FPCR.FZ ([`x64::Runtime::fz_checks`]).
    pub fz_checks: bool,
}

impl CodeCache {
    /// The fault sites of the block at guest `pc`, whose code is `len` bytes at `host`: the ones
    /// kept with it, else made now from its recorded words and kept. Empty if making them again
    /// does not give code of the same length (which would be a bug; the faulting block's start is
    /// then the state a handler sees).
    pub(super) fn fault_sites<'a>(&self, pc: u64, host: u64, len: u64, info: &'a super::BlockInfo) -> &'a [FaultSite] {
        info.faults.get_or_init(|| {
            let fetch = |a: u64| info.words.fetch(a);
            let Ok((block, tier, _)) = tiers::block_ir(pc, &fetch, self.opts, info.recipe.asked) else {
                debug_assert!(false, "a translated block lifts again");
                return Box::default();
            };
            debug_assert_eq!(tier, info.tier);
            let rt = Runtime {
                epilogue: self.epilogue,
                // Within reach of the code, like its own: only the kind changes the code's length.
                counter: info.recipe.counter.map(|c| c.at(host)),
                host: self.host,
                fault_map: true,
                fz_checks: info.recipe.fz_checks,
            };
            let compiled = x64::compile(&block, host, rt);
            if compiled.code.len() as u64 != len {
                debug_assert!(false, "the block at {pc:#x} compiles again to other code");
                return Box::default();
            }
            compiled.faults.into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_platform;
    use super::*;
    use crate::lift::LiftOptions;

    /// `ldr x1, [x0] ; add x2, x1, #1 ; str x2, [x0, #8] ; ret` at 0x10000: at the store, x1 and
    /// x2 are still only in host registers.
    fn fetch(pc: u64) -> Option<u32> {
        let words = [0xf940_0001, 0x9100_0422, 0xf900_0402, 0xd65f_03c0];
        words.get(pc.checked_sub(0x10000)? as usize / 4).copied()
    }

    #[test]
    fn fault_sites_made_at_the_first_fault_are_those_lowering_records() {
        test_platform::install();
        let mut cache = CodeCache::new(1 << 20, LiftOptions::default()).expect("code cache");
        let host = cache.get(0x10000, &fetch).expect("translates");
        let tier = cache.blocks[&0x10000].info.tier;
        assert!(
            cache.blocks[&0x10000].info.faults.get().is_none(),
            "not made before a fault"
        );
        // What lowering records when asked to, for the block as the cache made it.
        let (block, ..) = tiers::block_ir(0x10000, &fetch, LiftOptions::default(), tier).expect("lifts");
        let counter = cache.blocks[&0x10000].info.recipe.counter;
        let rt = Runtime {
            epilogue: cache.epilogue,
            counter: counter.map(|c| c.at(host)),
            host: cache.host,
            fault_map: true,
            fz_checks: true,
        };
        let expected = x64::compile(&block, host, rt).faults;
        assert_eq!(expected.len(), 2, "the load and the store");
        assert_eq!(
            expected[1].registers().collect::<Vec<_>>(),
            [1, 2],
            "x1 and x2 at the store"
        );
        for want in &expected {
            for offset in [want.start, want.end - 1] {
                let at = cache.fault_site(host + u64::from(offset)).expect("in the block");
                assert_eq!(at.site, Some(want));
            }
        }
        // Made once, kept with the translation.
        let kept = cache.blocks[&0x10000].info.faults.get().expect("made").as_ptr();
        let again = cache
            .fault_site(host + u64::from(expected[0].start))
            .expect("in the block");
        assert!(std::ptr::eq(again.site.expect("a site"), kept));
    }

    #[test]
    fn recorded_words_are_what_the_lift_read() {
        // The block of `fetch` and, by the successor analysis, its return's unknown target: no
        // other read. The words are what the fetch gave, each address once.
        let reads = std::cell::RefCell::new(Vec::new());
        let counting = |a: u64| {
            reads.borrow_mut().push(a);
            fetch(a)
        };
        let (_, tier, words) =
            tiers::block_ir(0x10000, &counting, LiftOptions::default(), Tier::Optimised).expect("lifts");
        assert_eq!(tier, Tier::Optimised);
        let mut reads = reads.into_inner();
        reads.sort_unstable();
        reads.dedup();
        assert_eq!(words.addresses().collect::<Vec<_>>(), reads);
        assert_eq!(words.fetch(0x10004), fetch(0x10004));
        assert_eq!(words.fetch(0x1000c), fetch(0x1000c));
        assert_eq!(words.fetch(0x20000), None, "never read");
    }
}
