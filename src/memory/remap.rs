//! `mremap` (mm/mremap.c): shrinking, growing in place, and moving a guest mapping, done by the
//! host kernel's own mremap on the identity-mapped range so that the pages (anonymous or file,
//! private or shared) move as they are. The target of a move is chosen (or, with MREMAP_FIXED,
//! checked) here, like any other guest placement, so that it can never be the VM's memory.

use super::{host, page_up, AddressSpace, GUEST_ADDR_LIMIT, PAGE_SIZE};

/// `MREMAP_*` (include/uapi/linux/mman.h).
const MAYMOVE: i32 = 1;
const FIXED: i32 = 2;
const DONTUNMAP: i32 = 4;

/// Host mremap; `new_addr` only with MREMAP_FIXED.
fn host_mremap(old: u64, old_len: u64, new_len: u64, flags: i32, new_addr: u64) -> Result<u64, i32> {
    // SAFETY: `old` is a guest mapping (checked by the caller); with MREMAP_FIXED the target is
    // guest memory or a reservation the caller made; otherwise the kernel picks a free range.
    let r = unsafe {
        libc::mremap(
            old as *mut libc::c_void,
            old_len as usize,
            new_len as usize,
            flags,
            new_addr as *mut libc::c_void,
        )
    };
    if r == libc::MAP_FAILED {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::ENOMEM))
    } else {
        Ok(r as u64)
    }
}

impl AddressSpace {
    /// Guest `mremap`: the new address, or a positive errno.
    pub(super) fn remap(
        &mut self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: i32,
        new_addr: u64,
    ) -> Result<u64, i32> {
        if flags & !(MAYMOVE | FIXED | DONTUNMAP) != 0 || !old.is_multiple_of(PAGE_SIZE) {
            return Err(libc::EINVAL);
        }
        if flags & (FIXED | DONTUNMAP) != 0 && flags & MAYMOVE == 0 {
            return Err(libc::EINVAL);
        }
        let old_len = page_up(old_len).ok_or(libc::EINVAL)?;
        let new_len = page_up(new_len)
            .filter(|&l| l != 0 && l <= GUEST_ADDR_LIMIT)
            .ok_or(libc::EINVAL)?;
        if flags & DONTUNMAP != 0 && old_len != new_len {
            return Err(libc::EINVAL);
        }
        // old_len == 0 duplicates a shared mapping: not offered.
        if old_len == 0 {
            return Err(libc::EINVAL);
        }
        let old_end = old.checked_add(old_len).ok_or(libc::EFAULT)?;
        // The old range must lie in one mapping (vma_to_resize: EFAULT otherwise).
        let region = match self.regions.find(old) {
            Some(r) if r.end >= old_end => r.clone(),
            _ => return Err(libc::EFAULT),
        };
        let attrs = |start: u64, end: u64, from: u64| {
            let mut r = region.clone();
            r.start = start;
            r.end = end;
            if r.has_offset() {
                r.offset = region.offset + (from - region.start);
            }
            r
        };
        if flags & FIXED != 0 {
            let end = new_addr
                .checked_add(new_len)
                .filter(|&e| e <= GUEST_ADDR_LIMIT)
                .ok_or(libc::EINVAL)?;
            if !new_addr.is_multiple_of(PAGE_SIZE) || (new_addr < old_end && old < end) {
                return Err(libc::EINVAL);
            }
            // Make the target guest memory (a reservation where free; the VM's: ENOMEM), then
            // let the kernel move the pages over it.
            for (s, e) in self.regions.gaps(new_addr, end) {
                if !host::is_free(s, e - s) {
                    return Err(libc::ENOMEM);
                }
            }
            self.unmap_guest_pieces(new_addr, end);
            self.reserve_over(new_addr, end)?;
            let moved_len = old_len.min(new_len);
            let got = host_mremap(old, moved_len, new_len, MAYMOVE | FIXED | (flags & DONTUNMAP), new_addr)?;
            return Ok(self.record_move(old, moved_len, old_len, got, new_len, flags, &attrs));
        }
        if new_len <= old_len {
            if new_len < old_len {
                self.unmap_guest_pieces(old + new_len, old_end);
            }
            return Ok(old);
        }
        // Grow in place when the pages after the old range are free (the host kernel checks that
        // nothing, the VM's memory included, is there).
        let grow_end = old.checked_add(new_len).filter(|&e| e <= GUEST_ADDR_LIMIT);
        if region.end == old_end && grow_end.is_some_and(|e| !self.regions.overlaps(old_end, e)) {
            if let Ok(got) = host_mremap(old, old_len, new_len, 0, 0) {
                let end = got + new_len;
                self.regions.insert(attrs(old_end, end, old_end));
                return Ok(got);
            }
        }
        if flags & MAYMOVE == 0 {
            return Err(libc::ENOMEM);
        }
        // Move: reserve a free range below the guest limit, then move the pages onto it.
        let target = self.place_anywhere(0, new_len, libc::PROT_NONE, host::reserve_flags(), -1, 0)?;
        match host_mremap(old, old_len, new_len, MAYMOVE | FIXED | (flags & DONTUNMAP), target) {
            Ok(got) => Ok(self.record_move(old, old_len, old_len, got, new_len, flags, &attrs)),
            Err(e) => {
                host::munmap(target, new_len);
                Err(e)
            }
        }
    }

    /// Reserve the free parts of `[start, end)` (which holds no guest mapping now); ENOMEM when
    /// the VM owns any of it.
    fn reserve_over(&mut self, start: u64, end: u64) -> Result<(), i32> {
        host::reserve(start, end - start).map_err(|e| if e == libc::EEXIST { libc::ENOMEM } else { e })
    }

    /// Update the bookkeeping after the kernel moved `[old, old+moved_len)` to `[new, new+new_len)`;
    /// the rest of the old range (`old_len` in all) is unmapped too, unless MREMAP_DONTUNMAP.
    #[allow(clippy::too_many_arguments)]
    fn record_move(
        &mut self,
        old: u64,
        moved_len: u64,
        old_len: u64,
        new: u64,
        new_len: u64,
        flags: i32,
        attrs: &dyn Fn(u64, u64, u64) -> super::Region,
    ) -> u64 {
        if flags & DONTUNMAP == 0 {
            self.regions.remove_range(old, old + moved_len);
            if old_len > moved_len {
                self.unmap_guest_pieces(old + moved_len, old + old_len);
            }
        }
        self.regions.insert(attrs(new, new + new_len, old));
        new
    }
}
