//! Execution counters of translated blocks (for `--profile`): one u64 per block translated, in a
//! read-write mapping placed right after the code cache so that emitted code reaches its counter
//! with a rip-relative `inc` (7 bytes, no register), and on pages of its own: counters sharing
//! cache lines with code would make every increment a self-modifying-code pipeline flush.
//! Execution counters are never reused: after a code cache flush new blocks get new ones, so a
//! record of a flushed block keeps its count; when all are taken, blocks are translated without
//! one. The countdowns of quick translations (`cache::tiers`) live in an array of the same kind
//! and are reused after each flush.

/// The counter array of one code cache.
#[derive(Debug)]
pub struct Counters {
    base: *mut u64,
    capacity: usize,
    next: usize,
    /// Unmapped with its cache (countdowns); a profile's counts outlive it.
    owned: bool,
}

// SAFETY: the array is owned by one code cache, which lives on one thread; the raw pointer is
// only read (by the profiler, at exit) after the guest stops.
unsafe impl Send for Counters {}

/// Counters per code cache: 8 MiB of address space, only touched pages cost memory.
const CAPACITY: usize = 1 << 20;

impl Counters {
    /// Map the array next to `[cache, cache + cache_len)`; None when no place within reach of a
    /// rip-relative displacement from every byte of the cache is free.
    pub fn new_near(cache: u64, cache_len: usize) -> Option<Counters> {
        // rel32 reach, less a margin for the code's own length.
        let reach = (1 << 31) - (1 << 20);
        let p = crate::platform::get().map_near(cache, cache_len, CAPACITY * 8, reach)?;
        Some(Counters {
            base: p as *mut u64,
            capacity: CAPACITY,
            next: 0,
            owned: false,
        })
    }

    /// Like [`Counters::new_near`], for counters that go with the cache (the countdowns of quick
    /// translations): a process that starts and ends many threads must not keep a mapping for
    /// each.
    pub fn owned_near(cache: u64, cache_len: usize) -> Option<Counters> {
        let mut c = Self::new_near(cache, cache_len)?;
        c.owned = true;
        Some(c)
    }

    /// Whether every counter is taken.
    pub fn is_full(&self) -> bool {
        self.next == self.capacity
    }

    /// Take them all back (for countdowns, after a flush dropped every block using one; an
    /// execution count is kept for the profile instead).
    pub fn reset(&mut self) {
        self.next = 0;
    }

    /// A fresh counter set to `value`, if any are left.
    pub fn take_set(&mut self, value: u64) -> Option<u64> {
        let c = self.take()?;
        // SAFETY: `c` is a counter of this array, which is mapped read-write.
        unsafe { std::ptr::write_volatile(c as *mut u64, value) };
        Some(c)
    }

    /// The address of a fresh counter (zero), if any are left.
    pub fn take(&mut self) -> Option<u64> {
        if self.next == self.capacity {
            return None;
        }
        self.next += 1;
        // SAFETY: in bounds of the array.
        Some(unsafe { self.base.add(self.next - 1) } as u64)
    }
}

impl Drop for Counters {
    fn drop(&mut self) {
        if self.owned {
            crate::platform::get().unmap_near(self.base as *mut u8, self.capacity * 8);
        }
    }
}

/// The count behind an address [`Counters::take`] returned (the arrays are never unmapped, so
/// the address stays valid after its cache is dropped).
pub fn read(addr: u64) -> u64 {
    // SAFETY: `addr` came from `take`; the array lives until the process ends.
    unsafe { std::ptr::read_volatile(addr as *const u64) }
}
