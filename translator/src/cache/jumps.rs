//! The indirect-branch jump cache of one thread: guest pc -> host code, direct-mapped by
//! `(pc >> 2) & mask`, which emitted code looks up inline for BR, BLR and RET (`x64`, the
//! indirect exit) with the table and its mask from CpuState.
//!
//! It starts small and grows when entries evict each other: a process that runs a few thousand
//! blocks (a shell's `ls`) touches a few pages of it, where the 512 KiB table it had from the
//! start cost it a page fault per 4 KiB it wrote (most of its pages: entries spread as guest
//! code does), a tenth of a shell loop running `ls`; a large program (V8, CPython) grows it to
//! the full size in its first moments.

use crate::cpu::JumpCacheEntry;

/// Entries at first (a power of two).
pub const MIN_ENTRIES: usize = 2048;

/// Entries at most (a power of two): Node's start returns to tens of thousands of call sites.
pub const MAX_ENTRIES: usize = 131072;

/// Grow when a quarter of the entries were evicted by another pc since the last growth.
const EVICTIONS_PER_ENTRY_TO_GROW: usize = 4;

pub(super) struct JumpCache {
    entries: Box<[JumpCacheEntry]>,
    evictions: usize,
}

impl JumpCache {
    pub(super) fn new() -> JumpCache {
        JumpCache::with_entries(MIN_ENTRIES)
    }

    fn with_entries(n: usize) -> JumpCache {
        // Zeroed: all-zero bytes are the empty entry (guest pc 0 never hits: the lookup checks
        // for it), and the pages come from the kernel untouched.
        let entries = Box::<[JumpCacheEntry]>::new_zeroed_slice(n);
        JumpCache {
            // SAFETY: all-zero bytes are a valid JumpCacheEntry (two u64s).
            entries: unsafe { entries.assume_init() },
            evictions: 0,
        }
    }

    fn slot(&self, pc: u64) -> usize {
        ((pc >> 2) as usize) & (self.entries.len() - 1)
    }

    /// The entry for `pc`, if the table holds it.
    pub(super) fn get_mut(&mut self, pc: u64) -> Option<&mut JumpCacheEntry> {
        let i = self.slot(pc);
        Some(&mut self.entries[i]).filter(|e| e.guest == pc)
    }

    /// Remember `pc -> host`, growing the table first if entries keep evicting each other.
    pub(super) fn remember(&mut self, pc: u64, host: u64) {
        let old = self.entries[self.slot(pc)];
        if old.guest != 0 && old.guest != pc {
            self.evictions += 1;
            if self.evictions * EVICTIONS_PER_ENTRY_TO_GROW > self.entries.len() && self.entries.len() < MAX_ENTRIES {
                self.grow();
            }
        }
        let i = self.slot(pc);
        self.entries[i] = JumpCacheEntry { guest: pc, host };
    }

    /// Four times the entries, the current ones moved to their new slots.
    fn grow(&mut self) {
        let mut bigger = JumpCache::with_entries((self.entries.len() * 4).min(MAX_ENTRIES));
        for e in self.entries.iter().filter(|e| e.guest != 0) {
            let i = bigger.slot(e.guest);
            bigger.entries[i] = *e;
        }
        *self = bigger;
    }

    /// Forget `pc`.
    pub(super) fn forget(&mut self, pc: u64) {
        if let Some(e) = self.get_mut(pc) {
            *e = JumpCacheEntry::default();
        }
    }

    /// Forget everything (keeping the size).
    pub(super) fn clear(&mut self) {
        self.entries.iter_mut().for_each(|e| *e = JumpCacheEntry::default());
    }

    /// An empty small table, the old one left as it is (in a forked child, where freeing or
    /// clearing it would copy its pages from the parent's).
    pub(super) fn start_over(&mut self) {
        std::mem::forget(std::mem::replace(self, JumpCache::new()));
    }

    /// The table and its index mask, for CpuState.
    pub(super) fn table(&mut self) -> (*mut JumpCacheEntry, u64) {
        (self.entries.as_mut_ptr(), (self.entries.len() - 1) as u64)
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_when_entries_evict_each_other_and_keeps_what_it_held() {
        let mut j = JumpCache::new();
        j.remember(0x1000, 1);
        // pcs that share one slot of the small table (not 0x1000's), each evicting the last.
        let stride = 4 * MIN_ENTRIES as u64;
        let mut n = 0;
        while j.len() == MIN_ENTRIES {
            n += 1;
            j.remember(0x2000 + n * stride, n);
        }
        assert_eq!(
            n - 1,
            (MIN_ENTRIES / EVICTIONS_PER_ENTRY_TO_GROW) as u64 + 1,
            "evictions"
        );
        assert_eq!(j.len(), 4 * MIN_ENTRIES);
        // What it held is still there, in its new slot, and so is the newest.
        assert_eq!(j.get_mut(0x1000).map(|e| e.host), Some(1));
        assert_eq!(j.get_mut(0x2000 + n * stride).map(|e| e.host), Some(n));
        let (_, mask) = j.table();
        assert_eq!(mask, (4 * MIN_ENTRIES - 1) as u64);
        j.forget(0x1000);
        assert!(j.get_mut(0x1000).is_none());
        // Never beyond the largest size.
        for n in 0..(4 * MAX_ENTRIES) as u64 {
            j.remember(0x10_0000 + n * 4 * MAX_ENTRIES as u64, n);
        }
        assert_eq!(j.len(), MAX_ENTRIES);
        j.start_over();
        assert_eq!(j.len(), MIN_ENTRIES);
    }
}
