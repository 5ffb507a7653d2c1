//! Guest address space: the guest's mappings, its emulated brk and protections, kept apart from the
//! VM's own memory (follows mm/mmap.c `do_mmap`/`do_vmi_munmap`/`brk`, mm/mprotect.c). Guest
//! memory is identity-mapped: a guest address is the host address of the same byte.
//!
//! The VM (its heap, code cache, CpuState, thread stacks) lives in the same host process, so the
//! guest may only ever replace, unmap or reprotect what this bookkeeping says is its own. Whether a
//! host range is free is asked of the host kernel itself with `MAP_FIXED_NOREPLACE` (EEXIST means
//! something is there), which also makes taking a free range atomic against other VM threads.

mod host;
mod regions;
mod remap;
mod sysv;
#[cfg(test)]
mod tests;

pub use host::{map, page_down, page_up, prot, GUEST_ADDR_LIMIT, GUEST_MIN_ADDR, PAGE_SIZE};
pub use regions::Region;

use a64x_syscalls::{Brk, GuestMemory};
use host::{host_map_flags, host_prot};
use regions::RegionMap;

/// End of the AArch64 user address space with 48-bit VAs (`TASK_SIZE_64`): the guest kernel's
/// limit for arguments of munmap, beyond which it says EINVAL rather than ENOMEM.
const GUEST_TASK_SIZE: u64 = 1 << 48;

/// Make the guest region the guest's alone, before anything is mapped for the guest: reserve
/// the guard above it (which confined accesses can reach with their offsets; see
/// `a64x_translator::confine`) inaccessible, and check that none of the VM's own memory (its
/// binary, heap, libraries, stacks) lies in the region. The host kernel places the VM's memory
/// near the top of the 47-bit space, far above; a host where it does not (a non-PIE a64x at a low
/// address) cannot confine the guest, and a64x refuses to run there.
pub fn claim_guest_region() -> Result<(), String> {
    let guard = a64x_translator::confine::GUARD_BYTES;
    host::reserve(GUEST_ADDR_LIMIT, guard)
        .map_err(|e| format!("cannot reserve the guard above the guest region at {GUEST_ADDR_LIMIT:#x}: errno {e}"))?;
    // Without /proc (a chroot) the reservation above is all that can be checked.
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return Ok(());
    };
    for line in maps.lines() {
        let range = line.split_whitespace().next().unwrap_or("");
        let start = range.split('-').next().and_then(|s| u64::from_str_radix(s, 16).ok());
        if let Some(start) = start.filter(|&s| s < GUEST_ADDR_LIMIT) {
            return Err(format!(
                "the VM's own memory at {start:#x} lies in the guest region (below {GUEST_ADDR_LIMIT:#x}): \
                 the guest cannot be confined on this host ({line})"
            ));
        }
    }
    Ok(())
}

/// Unmap everything in the guest region, as the kernel's execve replaces the address space
/// (an exec carried out in place, `crate::inplace`): the guest's mappings, whatever the
/// `AddressSpace` that made them knew of them. Nothing of the VM's is there (see
/// [`claim_guest_region`]); the guard above stays.
pub fn empty_guest_region() {
    host::munmap(0, GUEST_ADDR_LIMIT);
}

/// The guest's address space: its mappings and its program break.
#[derive(Debug, Default)]
pub struct AddressSpace {
    regions: RegionMap,
    /// Start of the brk area (`mm->start_brk`); 0 until the loader sets it.
    brk_base: u64,
    /// The current break as the guest sees it (`mm->brk`).
    brk_cur: u64,
    /// Page-aligned end of the pages mapped for the break.
    brk_end: u64,
}

impl AddressSpace {
    /// An empty address space: no guest mappings, no break.
    pub fn new() -> AddressSpace {
        AddressSpace::default()
    }

    /// The guest mappings in address order, for /proc/self/maps.
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.iter()
    }

    /// The guest mapping containing `addr`, if any.
    pub fn region_at(&self, addr: u64) -> Option<&Region> {
        self.regions.find(addr)
    }

    /// Whether every byte of `[addr, addr+len)` is in a guest mapping with PROT_EXEC: what the run
    /// loop checks before translating from a pc (instruction fetch elsewhere is a SIGSEGV). Such
    /// pages are always host-readable.
    pub fn is_executable(&self, addr: u64, len: u64) -> bool {
        self.has_prot(addr, len, prot::EXEC)
    }

    /// [`AddressSpace::fetch_insn`] where `[start, end)` is the executable mapping that holds
    /// `pc` (from [`AddressSpace::executable_range`], the map unchanged since), or (0, 0).
    pub fn fetch_in(&self, pc: u64, (start, end): (u64, u64)) -> Option<u32> {
        let inside = pc >= start && pc.checked_add(4).is_some_and(|e| e <= end);
        if pc.is_multiple_of(4) && inside {
            a64x_translator::probe::read_u32(pc)
        } else {
            // (A word across two mappings, or none.)
            self.fetch_insn(pc)
        }
    }

    /// Whether `addr` lies in a private mapping of a file: code a later process maps with the
    /// same words at the same place (a program's, a library's), rather than a JIT's, which
    /// lies in anonymous or shared memory and changes (see `CodeCache::get_in`).
    pub fn in_file_code(&self, addr: u64) -> bool {
        self.regions.find(addr).is_some_and(|r| r.inode != 0 && !r.shared)
    }

    /// The executable mapping `[start, end)` that holds `addr`, if there is one.
    pub fn executable_range(&self, addr: u64) -> Option<(u64, u64)> {
        self.regions
            .find(addr)
            .filter(|r| r.prot & prot::EXEC != 0)
            .map(|r| (r.start, r.end))
    }

    /// The instruction word at `pc`, if the guest may fetch it: aligned, in an executable
    /// mapping, and readable now (a probed read: an executable page may still fault, a truncated
    /// file's). What translation reads guest code with.
    pub fn fetch_insn(&self, pc: u64) -> Option<u32> {
        if pc.is_multiple_of(4) && self.is_executable(pc, 4) {
            a64x_translator::probe::read_u32(pc)
        } else {
            None
        }
    }

    /// Whether every byte of `[addr, addr+len)` is in a guest mapping whose prot includes `need`.
    fn has_prot(&self, addr: u64, len: u64, need: i32) -> bool {
        if len == 0 {
            return true;
        }
        let Some(end) = addr.checked_add(len) else {
            return false;
        };
        let mut at = addr;
        while at < end {
            match self.regions.find(at) {
                Some(r) if r.prot & need != 0 => at = r.end,
                _ => return false,
            }
        }
        true
    }

    /// Sets the start of the emulated brk area (the loader's page-aligned end of the image); the
    /// initial break equals it. The host's own brk belongs to the VM's allocator and is not used.
    pub fn set_brk_base(&mut self, addr: u64) {
        let base = page_up(addr).unwrap_or(addr);
        self.brk_base = base;
        self.brk_cur = base;
        self.brk_end = base;
    }

    /// Start of the brk area (`[heap]` begins here).
    pub fn brk_base(&self) -> u64 {
        self.brk_base
    }

    /// Maps fresh zeroed anonymous memory at exactly `[addr, addr+len)`, which must be free in the
    /// host (EEXIST otherwise; nothing is replaced). For the loader's image.
    pub fn map_fixed_anon(&mut self, addr: u64, len: u64, prot: i32, name: &str) -> Result<(), i32> {
        if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
            return Err(libc::EINVAL);
        }
        let len = page_up(len).ok_or(libc::ENOMEM)?;
        let end = addr.checked_add(len).ok_or(libc::ENOMEM)?;
        if end > GUEST_ADDR_LIMIT {
            return Err(libc::ENOMEM);
        }
        if addr < GUEST_MIN_ADDR {
            return Err(libc::EPERM);
        }
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
        host::mmap_noreplace(addr, len, host_prot(prot), flags, -1, 0)?;
        self.regions.insert(Region::anon(addr, end, prot, name));
        Ok(())
    }

    /// Maps fresh zeroed anonymous memory at `hint` if that range is free, elsewhere below
    /// [`GUEST_ADDR_LIMIT`] otherwise; returns its address. For the stack and static-PIE images.
    pub fn map_anon(&mut self, hint: u64, len: u64, prot: i32, name: &str) -> Result<u64, i32> {
        if len == 0 {
            return Err(libc::EINVAL);
        }
        let len = page_up(len).ok_or(libc::ENOMEM)?;
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
        let start = self.place_anywhere(hint, len, host_prot(prot), flags, -1, 0)?;
        self.regions.insert(Region::anon(start, start + len, prot, name));
        Ok(start)
    }

    /// Unmaps every guest mapping and forgets the break (tests; a later execve).
    pub fn unmap_all(&mut self) {
        for r in self.regions.take_all() {
            host::munmap(r.start, r.len());
        }
        self.set_brk_base(0);
    }

    /// Non-fixed placement, as the kernel's `get_unmapped_area`: the page-rounded hint if that range
    /// is free, otherwise the highest free range below [`host::MMAP_TOP`] (the VM's own choice,
    /// inside the guest region: the host kernel would place it among the VM's memory).
    fn place_anywhere(&mut self, hint: u64, len: u64, hprot: i32, hflags: i32, fd: i32, off: i64) -> Result<u64, i32> {
        if let Some(h) = page_up(hint).filter(|&h| h >= GUEST_MIN_ADDR) {
            let fits = h.checked_add(len).is_some_and(|e| e <= GUEST_ADDR_LIMIT);
            if fits && !self.regions.overlaps(h, h + len) {
                match host::mmap_noreplace(h, len, hprot, hflags, fd, off) {
                    Ok(()) => return Ok(h),
                    // Taken, below mmap_min_addr, or out of room there: choose elsewhere.
                    Err(libc::EEXIST | libc::EPERM | libc::ENOMEM) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        self.place_top_down(len, |at| host::mmap_noreplace(at, len, hprot, hflags, fd, off))
    }

    /// The highest free range of `len` bytes below [`host::MMAP_TOP`] where `take` succeeds:
    /// `take(at)` maps there, failing with EEXIST when something of the host's is there after all
    /// (nothing of the VM's should be), which makes the search go on further down.
    fn place_top_down(&self, len: u64, mut take: impl FnMut(u64) -> Result<(), i32>) -> Result<u64, i32> {
        let mut below = host::MMAP_TOP;
        loop {
            let gaps = self.regions.gaps(host::MMAP_MIN, below);
            let Some(&(_, end)) = gaps.iter().rev().find(|&&(s, e)| e - s >= len) else {
                return Err(libc::ENOMEM);
            };
            let at = end - len;
            match take(at) {
                Ok(()) => return Ok(at),
                Err(libc::EEXIST) => below = at,
                Err(e) => return Err(e),
            }
        }
    }

    /// `MAP_FIXED` over `[start, end)`: allowed where the range is free in the host or is guest
    /// memory, never over the VM's memory (ENOMEM). The free parts are first reserved with
    /// MAP_FIXED_NOREPLACE so that the final MAP_FIXED only ever replaces guest pages or our own
    /// reservations, even if another VM thread maps memory meanwhile.
    fn map_over(&mut self, start: u64, end: u64, hprot: i32, hflags: i32, fd: i32, off: i64) -> Result<(), i32> {
        let len = end - start;
        let gaps = self.regions.gaps(start, end);
        if gaps == [(start, end)] {
            return host::mmap_noreplace(start, len, hprot, hflags, fd, off).map_err(|e| {
                if e == libc::EEXIST {
                    libc::ENOMEM
                } else {
                    e
                }
            });
        }
        host::reserve_all(&gaps).map_err(|err| if err == libc::EEXIST { libc::ENOMEM } else { err })?;
        // The kernel validates fd and flags before unmapping anything, so a failure here leaves
        // the old guest pages in place; only our reservations need undoing.
        host::mmap_replace(start, len, hprot, hflags, fd, off).inspect_err(|_| host::release_all(&gaps))
    }

    /// Unmaps the guest pieces of `[start, end)`, leaving holes (and anything not the guest's) alone.
    fn unmap_guest_pieces(&mut self, start: u64, end: u64) {
        for (s, e) in self.regions.covered(start, end) {
            host::munmap(s, e - s);
        }
        self.regions.remove_range(start, end);
    }
}

impl GuestMemory for AddressSpace {
    fn brk(&mut self, new: u64) -> Brk {
        let unchanged = Brk {
            now: self.brk_cur,
            released: None,
        };
        if self.brk_base == 0 || new < self.brk_base {
            return unchanged;
        }
        let Some(new_end) = page_up(new).filter(|&e| e <= GUEST_ADDR_LIMIT) else {
            return unchanged;
        };
        let mut released = None;
        if new_end > self.brk_end {
            let len = new_end - self.brk_end;
            let prot = prot::READ | prot::WRITE;
            let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
            if host::mmap_noreplace(self.brk_end, len, prot, flags, -1, 0).is_err() {
                return unchanged;
            }
            self.regions.insert(Region::anon(self.brk_end, new_end, prot, "[heap]"));
        } else if new_end < self.brk_end {
            // Only guest pieces: if the guest unmapped heap pages, the VM may own them by now.
            self.unmap_guest_pieces(new_end, self.brk_end);
            released = Some((new_end, self.brk_end));
        }
        self.brk_end = new_end;
        self.brk_cur = new;
        Brk { now: new, released }
    }

    fn mmap(&mut self, addr: u64, len: u64, prot: i32, flags: i32, fd: i32, off: i64) -> Result<u64, i32> {
        if !(off as u64).is_multiple_of(PAGE_SIZE) || len == 0 {
            return Err(libc::EINVAL);
        }
        let len = page_up(len).filter(|&l| l <= GUEST_ADDR_LIMIT).ok_or(libc::ENOMEM)?;
        let anon = flags & map::ANONYMOUS != 0;
        let (fd, off) = if anon { (-1, 0) } else { (fd, off) };
        let (hprot, hflags) = (host_prot(prot), host_map_flags(flags));
        let start = if flags & (map::FIXED | map::FIXED_NOREPLACE) != 0 {
            if !addr.is_multiple_of(PAGE_SIZE) {
                return Err(libc::EINVAL);
            }
            let end = addr
                .checked_add(len)
                .filter(|&e| e <= GUEST_ADDR_LIMIT)
                .ok_or(libc::ENOMEM)?;
            // As Linux for a process without CAP_SYS_RAWIO below vm.mmap_min_addr.
            if addr < GUEST_MIN_ADDR {
                return Err(libc::EPERM);
            }
            if flags & map::FIXED_NOREPLACE != 0 {
                // Linux gives EEXIST for any existing mapping, the guest's or (here) the VM's.
                if self.regions.overlaps(addr, end) {
                    return Err(libc::EEXIST);
                }
                host::mmap_noreplace(addr, len, hprot, hflags, fd, off)?;
            } else {
                self.map_over(addr, end, hprot, hflags, fd, off)?;
            }
            addr
        } else {
            self.place_anywhere(addr, len, hprot, hflags, fd, off)?
        };
        let mut region = Region::anon(start, start + len, prot, "");
        region.shared = flags & map::TYPE != map::PRIVATE;
        if !anon {
            let (dev, inode, name) = host::file_identity(fd);
            region.offset = off as u64;
            region.dev = dev;
            region.inode = inode;
            region.name = name;
        }
        self.regions.insert(region);
        Ok(start)
    }

    fn munmap(&mut self, addr: u64, len: u64) -> Result<(), i32> {
        if !addr.is_multiple_of(PAGE_SIZE) || len == 0 {
            return Err(libc::EINVAL);
        }
        let end = page_up(len)
            .and_then(|l| addr.checked_add(l))
            .filter(|&e| e <= GUEST_TASK_SIZE)
            .ok_or(libc::EINVAL)?;
        // Holes are fine (Linux ignores them), but a hole that holds VM memory is refused whole.
        // Above the host's limit nothing can be mapped, so those parts are holes.
        let host_end = end.min(GUEST_ADDR_LIMIT);
        if addr < host_end {
            for (s, e) in self.regions.gaps(addr, host_end) {
                if !host::is_free(s, e - s) {
                    return Err(libc::EINVAL);
                }
            }
        }
        self.unmap_guest_pieces(addr, end);
        Ok(())
    }

    fn mprotect(&mut self, addr: u64, len: u64, prot: i32) -> Result<(), i32> {
        let known =
            prot::READ | prot::WRITE | prot::EXEC | prot::SEM | prot::BTI | prot::MTE | prot::GROWSDOWN | prot::GROWSUP;
        let grows = prot::GROWSDOWN | prot::GROWSUP;
        if !addr.is_multiple_of(PAGE_SIZE) || prot & !known != 0 || prot & grows == grows {
            return Err(libc::EINVAL);
        }
        if len == 0 {
            return Ok(());
        }
        let end = page_up(len)
            .and_then(|l| addr.checked_add(l))
            .filter(|&e| e <= GUEST_ADDR_LIMIT)
            .ok_or(libc::ENOMEM)?;
        if !self.regions.gaps(addr, end).is_empty() {
            return Err(libc::ENOMEM);
        }
        // No mapping here grows by itself (MAP_GROWSDOWN is dropped), so the GROWS bits change
        // nothing beyond the range.
        let prot = prot & !grows;
        host::mprotect(addr, end - addr, host_prot(prot))?;
        self.regions.set_prot(addr, end, prot);
        Ok(())
    }

    fn mremap(&mut self, old: u64, old_len: u64, new_len: u64, flags: i32, new_addr: u64) -> Result<u64, i32> {
        self.remap(old, old_len, new_len, flags, new_addr)
    }

    fn shmat(&mut self, id: i32, addr: u64, flags: i32) -> Result<(u64, u64), i32> {
        self.shm_attach(id, addr, flags)
    }

    fn shmdt(&mut self, addr: u64) -> Result<(u64, u64), i32> {
        self.shm_detach(addr)
    }

    fn is_accessible(&self, addr: u64, len: u64, write: bool) -> bool {
        // Exec-only pages count as unreadable, as on AArch64 with EPAN.
        self.has_prot(addr, len, if write { prot::WRITE } else { prot::READ })
    }
}
