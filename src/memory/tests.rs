//! Guest address space tests: placement, refusal over VM memory, split/merge, brk (mm/mmap.c
//! behaviours as the guest would see them). Each test uses its own fixed addresses so tests can run
//! in parallel, and unmaps everything it mapped.

use super::*;

const RW: i32 = prot::READ | prot::WRITE;
const ANON: i32 = map::PRIVATE | map::ANONYMOUS;
const P: u64 = PAGE_SIZE;

/// A test-private base address, far from anything the host would choose.
fn base(n: u64) -> u64 {
    0x1000_0000_0000 + (n << 32)
}

fn count(mem: &AddressSpace) -> usize {
    mem.regions().count()
}

#[test]
fn mmap_hint_honoured_when_free_else_elsewhere() {
    let mut mem = AddressSpace::new();
    let b = base(1);
    let a = mem.mmap(b + 1, 3 * P - 7, RW, ANON, -1, 0);
    // A hint is rounded up to a page, as get_unmapped_area does.
    assert_eq!(a, Ok(b + P));
    unsafe { std::ptr::write_bytes(a.unwrap() as *mut u8, 0xab, (3 * P) as usize) };
    let c = mem.mmap(b + P, P, RW, ANON, -1, 0).unwrap();
    assert_ne!(c, b + P);
    assert!(c + P <= GUEST_ADDR_LIMIT);
    assert!(mem.is_accessible(b + P, 3 * P, true));
    assert!(mem.is_accessible(c, P, true));
    assert_eq!(
        mem.region_at(b + 2 * P).map(|r| (r.start, r.end)),
        Some((b + P, b + 4 * P))
    );
    mem.unmap_all();
    assert_eq!(count(&mem), 0);
}

#[test]
fn map_fixed_refused_over_vm_memory() {
    let mut mem = AddressSpace::new();
    let boxed = vec![0x5au8; 3 * P as usize].into_boxed_slice();
    let page = page_up(boxed.as_ptr() as u64).unwrap();
    let fixed = ANON | map::FIXED;
    assert_eq!(mem.mmap(page, P, RW, fixed, -1, 0), Err(libc::ENOMEM));
    // The VM's heap lies above the guest region, where the guest has nothing mapped: unmapping
    // there is a hole, as for the guest's kernel, and leaves the VM's page alone.
    assert!(page >= GUEST_ADDR_LIMIT);
    assert_eq!(mem.munmap(page, P), Ok(()));
    assert_eq!(mem.mprotect(page, P, prot::READ), Err(libc::ENOMEM));
    assert!(!mem.is_accessible(page, 1, false));
    // Above the guest region, as above the guest kernel's TASK_SIZE: ENOMEM.
    let noreplace = ANON | map::FIXED_NOREPLACE;
    assert_eq!(mem.mmap(page, P, RW, noreplace, -1, 0), Err(libc::ENOMEM));
    assert!(boxed.iter().all(|&b| b == 0x5a));
    // Mixed: a guest page followed by a VM page is refused whole, and the guest page survives.
    let b = base(8);
    let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
    host::mmap_noreplace(b + P, P, RW, flags, -1, 0).unwrap();
    mem.map_fixed_anon(b, P, RW, "").unwrap();
    unsafe { *(b as *mut u8) = 9 };
    assert_eq!(mem.mmap(b, 2 * P, RW, fixed, -1, 0), Err(libc::ENOMEM));
    assert_eq!(mem.munmap(b, 2 * P), Err(libc::EINVAL));
    assert_eq!(unsafe { *(b as *const u8) }, 9);
    assert!(mem.map_fixed_anon(b, P, RW, "").is_err());
    assert_eq!(count(&mem), 1);
    mem.unmap_all();
    host::munmap(b + P, P);
}

#[test]
fn map_fixed_replaces_guest_and_fills_free_parts() {
    let mut mem = AddressSpace::new();
    let b = base(2);
    mem.map_fixed_anon(b, 2 * P, RW, "").unwrap();
    unsafe { std::ptr::write_bytes(b as *mut u8, 0x11, (2 * P) as usize) };
    // [b+P, b+3P): half guest, half free.
    let fixed = ANON | map::FIXED;
    assert_eq!(mem.mmap(b + P, 2 * P, prot::READ, fixed, -1, 0), Ok(b + P));
    unsafe {
        assert_eq!(*(b as *const u8), 0x11);
        assert_eq!(*((b + P) as *const u8), 0);
    }
    let spans: Vec<_> = mem.regions().map(|r| (r.start, r.end, r.prot)).collect();
    assert_eq!(spans, vec![(b, b + P, RW), (b + P, b + 3 * P, prot::READ)]);
    assert!(!mem.is_accessible(b, 2 * P, true));
    assert!(mem.is_accessible(b, 3 * P, false));
    // Guest MAP_FIXED_NOREPLACE over a guest region.
    let nr = ANON | map::FIXED_NOREPLACE;
    assert_eq!(mem.mmap(b, P, RW, nr, -1, 0), Err(libc::EEXIST));
    mem.unmap_all();
}

#[test]
fn fixed_argument_errors() {
    let mut mem = AddressSpace::new();
    let fixed = ANON | map::FIXED;
    assert_eq!(mem.mmap(1 << 47, P, RW, fixed, -1, 0), Err(libc::ENOMEM));
    assert_eq!(
        mem.mmap(GUEST_ADDR_LIMIT - P, 2 * P, RW, fixed, -1, 0),
        Err(libc::ENOMEM)
    );
    assert_eq!(mem.mmap(base(3) + 1, P, RW, fixed, -1, 0), Err(libc::EINVAL));
    assert_eq!(mem.mmap(base(3), 0, RW, fixed, -1, 0), Err(libc::EINVAL));
    assert_eq!(mem.mmap(base(3), P, RW, fixed, -1, 1), Err(libc::EINVAL));
    assert_eq!(mem.mmap(0, u64::MAX - 5, RW, ANON, -1, 0), Err(libc::ENOMEM));
    assert_eq!(mem.munmap(base(3) + 1, P), Err(libc::EINVAL));
    assert_eq!(mem.mprotect(base(3), P, 0x40), Err(libc::EINVAL));
    assert_eq!(count(&mem), 0);
}

#[test]
fn munmap_splits_and_ignores_holes() {
    let mut mem = AddressSpace::new();
    let b = base(4);
    mem.map_fixed_anon(b, 5 * P, RW, "").unwrap();
    assert_eq!(mem.munmap(b + 2 * P, P - 100), Ok(()));
    let spans: Vec<_> = mem.regions().map(|r| (r.start, r.end)).collect();
    assert_eq!(spans, vec![(b, b + 2 * P), (b + 3 * P, b + 5 * P)]);
    assert!(!mem.is_accessible(b + P, 2 * P, false));
    assert!(host::is_free(b + 2 * P, P));
    // Over the hole and past the end (free host memory): fine.
    assert_eq!(mem.munmap(b + P, 6 * P), Ok(()));
    let spans: Vec<_> = mem.regions().map(|r| (r.start, r.end)).collect();
    assert_eq!(spans, vec![(b, b + P)]);
    assert!(host::is_free(b + P, 6 * P));
    mem.unmap_all();
    assert!(host::is_free(b, P));
}

#[test]
fn mprotect_splits_and_merges() {
    let mut mem = AddressSpace::new();
    let b = base(5);
    mem.map_fixed_anon(b, 4 * P, RW, "").unwrap();
    mem.mprotect(b + P, P, prot::READ | prot::EXEC | prot::BTI).unwrap();
    assert_eq!(count(&mem), 3);
    assert!(!mem.is_accessible(b + P, 1, true));
    assert!(mem.is_accessible(b + P, 1, false));
    // PROT_EXEC alone: host-readable (for the decoder), guest-unreadable in the bookkeeping.
    mem.mprotect(b + P, P, prot::EXEC).unwrap();
    assert_eq!(unsafe { *((b + P) as *const u8) }, 0);
    assert!(!mem.is_accessible(b + P, 1, false));
    assert!(mem.is_executable(b + P, 4) && !mem.is_executable(b, 4));
    mem.mprotect(b + P, P, RW).unwrap();
    assert_eq!(count(&mem), 1);
    assert_eq!(mem.mprotect(b + 3 * P, 2 * P, RW), Err(libc::ENOMEM));
    mem.unmap_all();
}

#[test]
fn brk_grows_shrinks_and_fails_like_linux() {
    let mut mem = AddressSpace::new();
    let b = base(6);
    mem.set_brk_base(b + 0x123);
    let start = b + P;
    assert_eq!(mem.brk(0).now, start);
    let grow = mem.brk(start + 10_000);
    assert_eq!((grow.now, grow.released), (start + 10_000, None));
    unsafe { std::ptr::write_bytes(start as *mut u8, 1, 10_000) };
    assert!(mem.is_accessible(start, 3 * P, true));
    assert_eq!(mem.region_at(start).map(|r| r.name.as_str()), Some("[heap]"));
    // The shrink names the pages it unmapped (whose translations must go).
    let shrink = mem.brk(start + 10);
    assert_eq!(shrink.now, start + 10);
    assert_eq!(shrink.released, Some((start + P, start + 3 * P)));
    assert!(!mem.is_accessible(start + P, 1, false));
    assert!(host::is_free(start + P, 2 * P));
    assert_eq!(mem.brk(start - 1).now, start + 10);
    // Something in the way: the old break comes back.
    mem.map_fixed_anon(start + 4 * P, P, RW, "").unwrap();
    assert_eq!(mem.brk(start + 5 * P).now, start + 10);
    assert_eq!(mem.brk(start + 4 * P).now, start + 4 * P);
    mem.unmap_all();
}

#[test]
fn file_mapping_is_recorded_with_its_name() {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let path = std::env::temp_dir().join(format!("a64x-mem-test-{}", std::process::id()));
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(&[7u8; 2 * P as usize]).unwrap();
    let f = std::fs::File::open(&path).unwrap();
    let mut mem = AddressSpace::new();
    let a = mem
        .mmap(base(7), 2 * P, prot::READ, map::PRIVATE, f.as_raw_fd(), P as i64)
        .unwrap();
    assert_eq!(unsafe { *(a as *const u8) }, 7);
    let r = mem.region_at(a).unwrap().clone();
    assert_eq!(r.offset, P);
    assert!(r.inode != 0);
    assert!(r.name.ends_with(&*path.file_name().unwrap().to_string_lossy()));
    mem.munmap(a, P).unwrap();
    assert_eq!(mem.region_at(a + P).map(|r| r.offset), Some(2 * P));
    mem.unmap_all();
    let _ = std::fs::remove_file(&path);
}
