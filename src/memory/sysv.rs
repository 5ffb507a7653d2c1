//! Guest address space, System V shared memory: `shmat` and `shmdt` (ipc/shm.c `do_shmat`,
//! `ksys_shmdt`). A segment is attached in the guest region only, where the bookkeeping places it
//! or where the guest asks, and never over the VM's memory: the range is first taken with
//! reservations (`MAP_FIXED_NOREPLACE`, atomic against other VM threads), then the host attaches
//! the segment over them with `SHM_REMAP`. (PostgreSQL keeps its control segment so.)

use super::{host, page_up, prot, AddressSpace, Region, GUEST_ADDR_LIMIT, GUEST_MIN_ADDR, PAGE_SIZE};

/// `shmat` flags (include/uapi/linux/shm.h; the same on AArch64 and x86-64).
pub mod shm {
    /// Attach read-only.
    pub const RDONLY: i32 = 0o10000;
    /// Round the address down to `SHMLBA` (the page size on AArch64).
    pub const RND: i32 = 0o20000;
    /// Replace what is mapped in the range.
    pub const REMAP: i32 = 0o40000;
    /// Executable.
    pub const EXEC: i32 = 0o100000;
}

impl AddressSpace {
    /// Guest `shmat(id, addr, flags)`: the address and length of the attachment, or an errno as
    /// Linux gives it (EINVAL for a bad id or an address in use, EACCES without permission).
    pub fn shm_attach(&mut self, id: i32, addr: u64, flags: i32) -> Result<(u64, u64), i32> {
        let addr = if flags & shm::RND != 0 {
            addr & !(PAGE_SIZE - 1)
        } else {
            addr
        };
        if !addr.is_multiple_of(PAGE_SIZE) || (addr == 0 && flags & shm::REMAP != 0) {
            return Err(libc::EINVAL);
        }
        let (size, key) = host::shm_stat(id)?;
        let len = page_up(size)
            .filter(|&l| l > 0 && l <= GUEST_ADDR_LIMIT)
            .ok_or(libc::EINVAL)?;
        let readonly = flags & shm::RDONLY != 0;
        let start = if addr == 0 {
            self.shm_place(id, len, readonly)?
        } else {
            self.shm_place_at(id, addr, len, flags, readonly)?;
            addr
        };
        let mut p = prot::READ;
        if !readonly {
            p |= prot::WRITE;
        }
        if flags & shm::EXEC != 0 {
            p |= prot::EXEC;
        }
        let mut region = Region::anon(start, start + len, p, &format!("/SYSV{key:08x} (deleted)"));
        region.shared = true;
        region.inode = id as u32 as u64;
        region.sysv = true;
        self.regions.insert(region);
        Ok((start, len))
    }

    /// Attaches where nothing is, top-down as `place_anywhere` maps.
    fn shm_place(&mut self, id: i32, len: u64, readonly: bool) -> Result<u64, i32> {
        self.place_top_down(len, |at| {
            host::reserve(at, len)?;
            host::shmat_replace(id, at, readonly).inspect_err(|_| host::munmap(at, len))
        })
    }

    /// Attaches at `[addr, addr+len)`: over guest mappings only with `SHM_REMAP`, never over the
    /// VM's memory (EINVAL, as Linux says for a range in use).
    fn shm_place_at(&mut self, id: i32, addr: u64, len: u64, flags: i32, readonly: bool) -> Result<(), i32> {
        let end = addr
            .checked_add(len)
            .filter(|&e| e <= GUEST_ADDR_LIMIT)
            .ok_or(libc::EINVAL)?;
        if addr < GUEST_MIN_ADDR {
            return Err(libc::EPERM);
        }
        if flags & shm::REMAP == 0 && self.regions.overlaps(addr, end) {
            return Err(libc::EINVAL);
        }
        let gaps = self.regions.gaps(addr, end);
        host::reserve_all(&gaps).map_err(|err| if err == libc::EEXIST { libc::EINVAL } else { err })?;
        host::shmat_replace(id, addr, readonly).inspect_err(|_| host::release_all(&gaps))
    }

    /// Guest `shmdt(addr)`: detaches the attachment made at `addr` (its pieces that are still
    /// there, as `ksys_shmdt` finds them: shared memory whose offset is its distance from
    /// `addr`); returns the range they spanned. EINVAL if there is none.
    pub fn shm_detach(&mut self, addr: u64) -> Result<(u64, u64), i32> {
        if !addr.is_multiple_of(PAGE_SIZE) || addr >= GUEST_ADDR_LIMIT {
            return Err(libc::EINVAL);
        }
        let piece = |r: &Region| r.sysv && r.start >= addr && r.offset == r.start - addr;
        // The first piece's segment (its inode: the id); the others must be of the same one.
        let id = self.regions.iter().find(|r| piece(r)).ok_or(libc::EINVAL)?.inode;
        let pieces: Vec<(u64, u64)> = self
            .regions
            .iter()
            .filter(|r| piece(r) && r.inode == id)
            .map(|r| (r.start, r.end))
            .collect();
        host::shmdt(addr)?;
        for &(s, e) in &pieces {
            self.regions.remove_range(s, e);
        }
        let end = pieces.iter().map(|&(_, e)| e).max().unwrap_or(addr);
        Ok((addr, end))
    }
}
