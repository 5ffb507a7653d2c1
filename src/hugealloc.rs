//! The VM's allocator: the system's, except for allocations of 2 MiB and more, which are
//! mappings of their own (made at a multiple of 2 MiB; grown and shrunk by `mremap`, which moves
//! their pages rather than copying them, unless advised huge pages), and advised to be backed by
//! transparent huge pages
//! (`MADV_HUGEPAGE`) where the translator says they will be written through
//! ([`a64x_translator::platform::dense`]): the chunks the persistent store's new translations
//! are encoded into, and the block map a warm start reserves for the blocks it will place. Each
//! of their 4 KiB pages was a page fault; with huge pages they are a few. Tables that grow are
//! not advised: a new table is mostly empty pages, and a huge page the kernel clears is often
//! memory the hypervisor backs only then (Node's cold start with every large allocation
//! advised: 10% of its CPU time clearing huge pages). Where the host gives no huge pages
//! (`/sys/kernel/mm/transparent_hugepage/enabled` set to `never`), the advice changes nothing.
//! Small blocks stay the system's, whose heap a warm start grows and populates at once for what
//! it will place ([`prefault_heap`]), in huge pages where that range holds whole ones.

use std::alloc::{GlobalAlloc, Layout, System};

/// The size from which an allocation is a mapping of its own, and its alignment: a huge page.
const HUGE: usize = 2 << 20;

/// The host's page size (the alignment of what `mremap` returns).
const PAGE: usize = 4096;

/// See the module.
pub struct VmAlloc;

fn own_mapping(l: Layout) -> bool {
    l.size() >= HUGE && l.align() <= HUGE
}

fn mapped_len(size: usize) -> usize {
    size.div_ceil(HUGE) * HUGE
}

/// Bytes of dense allocations a process may have advised huge pages, in all. The huge pages
/// a short process gets are mostly those the last one freed; past a few, they are memory the
/// hypervisor backs only as the kernel clears it (Node's cold start, whose store chunks reach
/// 48 MiB: 0.97x the wall time with none of them advised; python3 -c pass cold, 8 MiB of chunks,
/// 1.01x with none).
const HUGE_BUDGET: usize = 16 << 20;

static HUGE_ADVISED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Whether `len` more bytes stay within [`HUGE_BUDGET`] (counted as taken if so).
fn take_huge_budget(len: usize) -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    HUGE_ADVISED
        .fetch_update(Relaxed, Relaxed, |used| {
            used.checked_add(len).filter(|&u| u <= HUGE_BUDGET)
        })
        .is_ok()
}

/// The starts of the blocks advised huge pages (0: a free slot). The budget bounds them: each
/// is at least [`HUGE`] long. A block advised is resized by a copy into a block of its own,
/// not by `mremap`, which would carry the advice over to the growing table it has become.
static ADVISED: [std::sync::atomic::AtomicUsize; HUGE_BUDGET / HUGE] =
    [const { std::sync::atomic::AtomicUsize::new(0) }; HUGE_BUDGET / HUGE];

/// Note `start` as advised huge pages; false if no slot is free (then it is not advised).
fn note_advised(start: usize) -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    ADVISED
        .iter()
        .any(|slot| slot.compare_exchange(0, start, Relaxed, Relaxed).is_ok())
}

/// Whether the block at `p` was advised huge pages; with `forget`, no longer noted as such.
fn advised(p: *mut u8, forget: bool) -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    let slot = ADVISED.iter().find(|slot| slot.load(Relaxed) == p as usize);
    if forget {
        slot.inspect(|slot| slot.store(0, Relaxed));
    }
    slot.is_some()
}

/// A fresh zeroed mapping of at least `size` bytes at a multiple of [`HUGE`], or null.
fn map(size: usize) -> *mut u8 {
    let len = mapped_len(size);
    let prot = libc::PROT_READ | libc::PROT_WRITE;
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
    // SAFETY: a new anonymous mapping; the parts trimmed off are ours, unused.
    unsafe {
        let p = libc::mmap(std::ptr::null_mut(), len + HUGE, prot, flags, -1, 0);
        if p == libc::MAP_FAILED {
            return std::ptr::null_mut();
        }
        let p = p as usize;
        let start = p.next_multiple_of(HUGE);
        if start > p {
            libc::munmap(p as *mut libc::c_void, start - p);
        }
        let tail = p + len + HUGE - (start + len);
        if tail > 0 {
            libc::munmap((start + len) as *mut libc::c_void, tail);
        }
        if a64x_translator::platform::dense_allocations() && take_huge_budget(len) && note_advised(start) {
            libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
        }
        start as *mut u8
    }
}

/// Back `bytes` of the system allocator's heap with pages now, ahead of the small allocations a
/// warm start is about to make (each block it places from the persistent cache keeps a record
/// of a few hundred bytes): one `MADV_POPULATE_WRITE` instead of a page fault for each page as
/// the heap grows into it (5% of a warm `python3 -c pass`). The heap grows by that much through
/// one allocation, which is populated and freed; freed, it stays the heap's (the trim threshold
/// is raised above it) for the small blocks to come. The range is advised to be huge pages: the
/// 10 MiB of a warm python were 2,600 pages, each allocated, zeroed and charged on its own (5%
/// of its CPU time; 0.98x with the advice). A forked child's first write to one of them copies
/// 4 KiB of it, not 2 MiB: since Linux 5.8 a copy-on-write fault on an anonymous huge page
/// splits it (a loop of bash subshells and execs: no change). A hint: nothing happens where the
/// C library or the kernel says no.
pub fn prefault_heap(bytes: usize) {
    grow_heap(bytes, true);
}

/// [`prefault_heap`] in 4 KiB pages: for a cold start's records as it goes (the translator's
/// `Platform::heap_ahead`), where huge pages would mostly be memory the hypervisor backs only
/// as the kernel clears it (see the module).
pub fn populate_heap(bytes: usize) {
    grow_heap(bytes, false);
}

/// Grow the heap by up to `bytes` of populated memory for the small blocks to come (advised
/// huge pages with `huge`).
fn grow_heap(bytes: usize, huge: bool) {
    // glibc serves at most 32 MiB from the heap rather than by mmap (DEFAULT_MMAP_THRESHOLD_MAX).
    let bytes = bytes.min(16 << 20);
    if bytes < 256 << 10 {
        return;
    }
    let above = (bytes + (1 << 20)) as libc::c_int;
    // SAFETY: mallopt only sets the allocator's parameters; the block is the allocator's, freed
    // once, and madvise only populates pages inside it.
    unsafe {
        if libc::mallopt(libc::M_MMAP_THRESHOLD, above) == 0 || libc::mallopt(libc::M_TRIM_THRESHOLD, above) == 0 {
            return;
        }
        let p = libc::malloc(bytes);
        if p.is_null() {
            return;
        }
        let start = (p as usize).next_multiple_of(4096);
        let end = (p as usize + bytes) & !4095;
        if end > start && huge {
            // (At the start, which has nothing to do meanwhile: at once.)
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_POPULATE_WRITE);
        }
        libc::free(p);
        // Freed, the block is the heap's free memory, which the allocator hands out again and
        // does not give back below the threshold set above: populated now, or soon by
        // `prefault`'s helper while this thread goes on (a page it uses first it faults in).
        if end > start && !huge {
            crate::prefault::advise(&[crate::prefault::Advice {
                start,
                len: end - start,
                advice: libc::MADV_POPULATE_WRITE,
            }]);
        }
    }
}

// SAFETY: every block is either the system allocator's (by the same test on its layout at
// allocation and release) or a mapping of `mapped_len` bytes made by `map`.
unsafe impl GlobalAlloc for VmAlloc {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if own_mapping(l) {
            map(l.size())
        } else {
            // SAFETY: the caller's contract.
            unsafe { System.alloc(l) }
        }
    }

    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if own_mapping(l) {
            map(l.size()) // anonymous mappings are zeroed
        } else {
            // SAFETY: the caller's contract.
            unsafe { System.alloc_zeroed(l) }
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        if own_mapping(l) {
            advised(p, true);
            // SAFETY: a mapping `map` made for this layout's size.
            unsafe { libc::munmap(p as *mut libc::c_void, mapped_len(l.size())) };
        } else {
            // SAFETY: the caller's contract.
            unsafe { System.dealloc(p, l) }
        }
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, size: usize) -> *mut u8 {
        // SAFETY: the caller's contract: `size`, rounded up to the alignment, does not overflow.
        let new = unsafe { Layout::from_size_align_unchecked(size, l.align()) };
        if !own_mapping(l) && !own_mapping(new) {
            // SAFETY: the caller's contract.
            return unsafe { System.realloc(p, l, size) };
        }
        if own_mapping(l) && own_mapping(new) {
            if mapped_len(l.size()) == mapped_len(size) {
                return p;
            }
            // Moved by its page tables, not copied: a block map or a list growing to megabytes
            // copied all it held into new pages each time it doubled (Node's threads: 2% of their
            // samples in such copies and the new pages' faults).
            if l.align() <= PAGE && !advised(p, false) {
                // SAFETY: a mapping `map` made (or moved here) for `l`'s size; on success the old
                // range is gone and its pages are at the new one.
                let q = unsafe {
                    libc::mremap(
                        p as *mut libc::c_void,
                        mapped_len(l.size()),
                        mapped_len(size),
                        libc::MREMAP_MAYMOVE,
                    )
                };
                if q != libc::MAP_FAILED {
                    return q as *mut u8;
                }
            }
        }
        // SAFETY: a new block for `new`; the old one holds `l.size()` valid bytes.
        unsafe {
            let q = self.alloc(new);
            if !q.is_null() {
                std::ptr::copy_nonoverlapping(p, q, l.size().min(size));
                self.dealloc(p, l);
            }
            q
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minor page faults of this thread so far.
    fn faults() -> i64 {
        // SAFETY: getrusage writes the struct we own.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) };
        u.ru_minflt
    }

    #[test]
    fn a_prefaulted_heap_serves_small_blocks_without_page_faults() {
        // Small blocks, 8 MiB of them, written and kept (so that the next fill takes new
        // memory): 2048 pages, a fault each where the heap grows into new pages (more than what
        // other tests may have left free in this thread's arena).
        let fill = || {
            let before = faults();
            let blocks: Vec<Vec<u8>> = (0..32768).map(|i| vec![i as u8; 256]).collect();
            (faults() - before, blocks)
        };
        let (cold, _kept) = fill();
        prefault_heap(16 << 20);
        let (warm, _also) = fill();
        assert!(
            cold > 1024,
            "{cold} page faults for new heap memory: the test measures nothing"
        );
        assert!(warm < 128, "{warm} page faults after prefaulting ({cold} before)");
    }

    #[test]
    fn a_large_block_grows_without_copying_into_new_pages() {
        let l = Layout::from_size_align(8 << 20, 8).expect("layout");
        // SAFETY: the allocator's contract: a layout of non-zero size, the block used within it
        // and released with the layout it has.
        unsafe {
            let p = VmAlloc.alloc(l);
            assert!(!p.is_null());
            for i in (0..l.size()).step_by(4096) {
                *p.add(i) = (i / 4096) as u8;
            }
            let before = faults();
            let q = VmAlloc.realloc(p, l, 32 << 20);
            let moved = faults() - before;
            assert!(!q.is_null());
            assert!(moved < 64, "{moved} page faults growing 8 MiB (2048 pages when copied)");
            for i in (0..l.size()).step_by(4096) {
                assert_eq!(*q.add(i), (i / 4096) as u8, "page {}", i / 4096);
            }
            *q.add((32 << 20) - 1) = 1;
            let big = Layout::from_size_align(32 << 20, 8).expect("layout");
            let r = VmAlloc.realloc(q, big, 4 << 20);
            assert_eq!(*r.add(4096), 1);
            VmAlloc.dealloc(r, Layout::from_size_align(4 << 20, 8).expect("layout"));
        }
    }

    /// Whether the mapping holding `p` is advised huge pages (`hg` in its smaps flags).
    fn advised_huge(p: *mut u8) -> bool {
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("read smaps");
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ') {
                if let Some((lo, hi)) = range.split_once('-') {
                    if let (Ok(lo), Ok(hi)) = (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16)) {
                        inside = (lo..hi).contains(&(p as usize));
                        continue;
                    }
                }
            }
            if inside && line.starts_with("VmFlags:") {
                return line.split_whitespace().any(|f| f == "hg");
            }
        }
        panic!("no mapping holds {p:?}");
    }

    #[test]
    fn only_dense_large_blocks_are_advised_huge_pages() {
        let a = VmAlloc;
        let big = Layout::from_size_align(4 << 20, 8).unwrap();
        // SAFETY: blocks of a non-zero size, each released with its layout.
        unsafe {
            let sparse = a.alloc(big);
            let dense = a64x_translator::platform::dense(|| a.alloc(big));
            assert!(!sparse.is_null() && !dense.is_null());
            assert!(!advised_huge(sparse), "a growing table's block was advised huge pages");
            assert!(advised_huge(dense), "a dense block was not advised huge pages");
            a.dealloc(sparse, big);
            a.dealloc(dense, big);
        }
    }

    #[test]
    fn a_dense_block_resized_is_not_advised_any_more() {
        let a = VmAlloc;
        let big = Layout::from_size_align(2 << 20, 8).unwrap();
        // SAFETY: blocks of a non-zero size, each released with its layout.
        unsafe {
            let dense = a64x_translator::platform::dense(|| a.alloc(big));
            assert!(advised_huge(dense), "a dense block was not advised huge pages");
            dense.write(3);
            let grown = a.realloc(dense, big, 6 << 20);
            assert_eq!(grown.read(), 3);
            assert!(!advised_huge(grown), "a dense block grown kept its advice");
            a.dealloc(grown, Layout::from_size_align(6 << 20, 8).unwrap());
        }
    }

    #[test]
    fn large_blocks_are_aligned_mappings_and_keep_their_bytes_when_resized() {
        let a = VmAlloc;
        let small = Layout::from_size_align(100, 8).unwrap();
        let big = Layout::from_size_align(3 << 20, 8).unwrap();
        // SAFETY: layouts of non-zero size; every block is released with its layout.
        unsafe {
            let p = a.alloc_zeroed(big);
            assert!(!p.is_null());
            assert_eq!(p as usize % HUGE, 0);
            assert!(std::slice::from_raw_parts(p, big.size()).iter().all(|&b| b == 0));
            p.add(big.size() - 1).write(7);
            p.write(9);
            // Within the same mapping, then to a larger one, then to the system's.
            let q = a.realloc(p, big, (3 << 20) + 10);
            assert_eq!((q, q.read()), (p, 9));
            let big2 = Layout::from_size_align((3 << 20) + 10, 8).unwrap();
            let r = a.realloc(q, big2, 5 << 20);
            assert_eq!((r.read(), r.add(big.size() - 1).read()), (9, 7));
            let big3 = Layout::from_size_align(5 << 20, 8).unwrap();
            let s = a.realloc(r, big3, 100);
            assert_eq!(s.read(), 9);
            // And from the system's to a mapping.
            let t = a.realloc(s, small, 2 << 20);
            assert_eq!((t.read(), t as usize % HUGE), (9, 0));
            a.dealloc(t, Layout::from_size_align(2 << 20, 8).unwrap());
        }
    }
}
