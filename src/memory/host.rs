//! Guest address space, host side: the host `mmap`/`munmap`/`mprotect` calls and the guest -> host
//! translation of their flags (values from include/uapi/asm-generic/mman-common.h, asm-generic/mman.h,
//! arch/arm64/include/uapi/asm/mman.h and arch/x86/include/uapi/asm/mman.h).

use std::ffi::c_void;

/// Guest (and host) page size; the guest's `AT_PAGESZ` says the same.
pub const PAGE_SIZE: u64 = 4096;

/// First address guest mappings may not reach: the end of the guest region, to which emitted
/// code confines every guest access (`a64x_translator::confine`). AArch64 would allow 48 bits; a
/// guest asking for more gets ENOMEM, as its kernel would for a range above TASK_SIZE.
pub const GUEST_ADDR_LIMIT: u64 = a64x_translator::confine::GUEST_LIMIT;

/// The lowest address a guest mapping may start at: Linux's usual `vm.mmap_min_addr` (64 KiB),
/// whatever the host's is and even for root (whom the host lets map page 0). The VM reads and
/// writes guest memory through host pointers in places (the loader's copy of the image, the
/// run loop's instruction fetch), and a pointer near 0 is not one Rust or libc may use: the
/// loader's memcpy to address 0 faulted at 0xff..c0 (found by the ELF fuzz target).
pub const GUEST_MIN_ADDR: u64 = 0x1_0000;

/// Top of the area where mappings the guest does not place go, top-down as the kernel's
/// `get_unmapped_area`: below the stack (at most 4 GiB, under `STACK_TOP` of the loader) with
/// room to spare.
pub const MMAP_TOP: u64 = GUEST_ADDR_LIMIT - (16 << 30);

/// Lowest address of a mapping the guest does not place.
pub const MMAP_MIN: u64 = GUEST_MIN_ADDR;

/// Guest `PROT_*` bits (AArch64 values; the first four are shared with x86-64).
pub mod prot {
    /// Page can be read.
    pub const READ: i32 = 0x1;
    /// Page can be written.
    pub const WRITE: i32 = 0x2;
    /// Page can be executed.
    pub const EXEC: i32 = 0x4;
    /// Page may be used for atomic ops (a no-op on both architectures).
    pub const SEM: i32 = 0x8;
    /// AArch64 only: BTI-guarded page (arch/arm64/include/uapi/asm/mman.h).
    pub const BTI: i32 = 0x10;
    /// AArch64 only: MTE-tagged page.
    pub const MTE: i32 = 0x20;
    /// mprotect only: extend the change down to the start of a grows-down mapping.
    pub const GROWSDOWN: i32 = 0x0100_0000;
    /// mprotect only: extend the change up to the end of a grows-up mapping.
    pub const GROWSUP: i32 = 0x0200_0000;
}

/// Guest `MAP_*` bits the address space interprets itself. All `MAP_*` values of asm-generic are
/// shared by AArch64 and x86-64; only x86-64's `MAP_32BIT` (0x40) and `MAP_ABOVE4G` (0x80) exist on
/// one side alone, and AArch64 leaves those bits unused.
pub mod map {
    /// Share changes.
    pub const SHARED: i32 = 0x01;
    /// Changes are private.
    pub const PRIVATE: i32 = 0x02;
    /// Mask of the mapping type (SHARED, PRIVATE, SHARED_VALIDATE, DROPPABLE).
    pub const TYPE: i32 = 0x0f;
    /// Interpret the address exactly, replacing what is there.
    pub const FIXED: i32 = 0x10;
    /// No file behind the mapping.
    pub const ANONYMOUS: i32 = 0x20;
    /// x86-64 only: place below 2 GiB. Not an AArch64 flag; dropped.
    pub const X86_32BIT: i32 = 0x40;
    /// x86-64 only: place above 4 GiB. Not an AArch64 flag; dropped.
    pub const X86_ABOVE4G: i32 = 0x80;
    /// Stack-like segment that the host kernel grows on faults below it.
    pub const GROWSDOWN: i32 = 0x0100;
    /// Do not reserve swap space.
    pub const NORESERVE: i32 = 0x4000;
    /// Interpret the address exactly, but fail with EEXIST rather than replace.
    pub const FIXED_NOREPLACE: i32 = 0x10_0000;
}

/// Host protection for a guest protection. Guest code is translated, never run, so a guest
/// `PROT_EXEC` page needs host read access (for the decoder) and no host exec; the AArch64-only
/// `PROT_BTI`/`PROT_MTE` and the no-op `PROT_SEM` are dropped.
pub fn host_prot(guest: i32) -> i32 {
    let mut p = guest & (prot::READ | prot::WRITE);
    if guest & prot::EXEC != 0 {
        p |= prot::READ;
    }
    p
}

/// Host `mmap` flags for guest ones, without the placement flags (FIXED, FIXED_NOREPLACE), which
/// the address space chooses itself. `MAP_GROWSDOWN` is dropped too: a host mapping that grows on
/// its own would leave the bookkeeping behind.
pub fn host_map_flags(guest: i32) -> i32 {
    guest & !(map::FIXED | map::FIXED_NOREPLACE | map::X86_32BIT | map::X86_ABOVE4G | map::GROWSDOWN)
}

/// The calling thread's errno after a failed libc call.
fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EINVAL)
}

/// Host `mmap`; `Err(errno)` on failure.
pub fn mmap(addr: u64, len: u64, prot: i32, flags: i32, fd: i32, off: i64) -> Result<u64, i32> {
    // SAFETY: the callers never pass MAP_FIXED over memory that is not a guest mapping; any other
    // placement cannot disturb existing host memory.
    let r = unsafe { libc::mmap(addr as *mut c_void, len as usize, prot, flags, fd, off) };
    if r == libc::MAP_FAILED {
        Err(errno())
    } else {
        Ok(r as u64)
    }
}

/// Host `mmap` at exactly `addr`, failing with EEXIST if anything is mapped in the range. Kernels
/// before 4.17 take MAP_FIXED_NOREPLACE as a mere hint, hence the address check.
pub fn mmap_noreplace(addr: u64, len: u64, prot: i32, flags: i32, fd: i32, off: i64) -> Result<(), i32> {
    let got = mmap(addr, len, prot, flags | map::FIXED_NOREPLACE, fd, off)?;
    if got != addr {
        munmap(got, len);
        return Err(libc::EEXIST);
    }
    Ok(())
}

/// Host `mmap` over `[addr, addr+len)` replacing what is there. Only for ranges that hold guest
/// mappings or reservations the caller just made.
pub fn mmap_replace(addr: u64, len: u64, prot: i32, flags: i32, fd: i32, off: i64) -> Result<(), i32> {
    mmap(addr, len, prot, flags | map::FIXED, fd, off).map(|_| ())
}

/// Host mmap flags of a reservation: inaccessible anonymous memory that costs nothing.
pub fn reserve_flags() -> i32 {
    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE
}

/// Reserves a free host range with an inaccessible mapping; EEXIST if anything is mapped there.
pub fn reserve(addr: u64, len: u64) -> Result<(), i32> {
    mmap_noreplace(addr, len, libc::PROT_NONE, reserve_flags(), -1, 0)
}

/// Reserves every range of `ranges` (free host ranges, as [`reserve`]), or none: on the first
/// that fails, those reserved before it are unmapped and its errno returned.
pub fn reserve_all(ranges: &[(u64, u64)]) -> Result<(), i32> {
    for (i, &(s, e)) in ranges.iter().enumerate() {
        if let Err(err) = reserve(s, e - s) {
            release_all(&ranges[..i]);
            return Err(err);
        }
    }
    Ok(())
}

/// Unmaps reservations made by [`reserve_all`].
pub fn release_all(ranges: &[(u64, u64)]) {
    for &(s, e) in ranges {
        munmap(s, e - s);
    }
}

/// Whether nothing at all is mapped in the host in `[addr, addr+len)`.
pub fn is_free(addr: u64, len: u64) -> bool {
    if reserve(addr, len).is_ok() {
        munmap(addr, len);
        true
    } else {
        false
    }
}

/// Host `munmap`. Only ever called on guest mappings or reservations made here, whose unmapping
/// cannot fail for a page-aligned range; the result is therefore ignored.
pub fn munmap(addr: u64, len: u64) {
    // SAFETY: see above: the range belongs to the guest, never to the VM.
    unsafe {
        libc::munmap(addr as *mut c_void, len as usize);
    }
}

/// The size and key of System V shared memory segment `id` (`shmctl(IPC_STAT)`: EINVAL for a
/// segment that does not exist, EACCES for one the caller may not read, as `shmat` says).
pub fn shm_stat(id: i32) -> Result<(u64, i32), i32> {
    // SAFETY: an all-zero shmid_ds is a valid value; the kernel fills it.
    let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
    // SAFETY: `ds` is a shmid_ds the kernel writes into.
    if unsafe { libc::shmctl(id, libc::IPC_STAT, &mut ds) } != 0 {
        return Err(errno());
    }
    Ok((ds.shm_segsz as u64, ds.shm_perm.__key))
}

/// Host `shmat` of segment `id` at exactly `addr`, replacing what is there (`SHM_REMAP`): only
/// over guest mappings or reservations the caller just made. Read-only with `readonly`; never
/// executable on the host (guest code is translated, not run).
pub fn shmat_replace(id: i32, addr: u64, readonly: bool) -> Result<(), i32> {
    let flags = libc::SHM_REMAP | if readonly { libc::SHM_RDONLY } else { 0 };
    // SAFETY: see above: the range holds only guest mappings or our reservations.
    let r = unsafe { libc::shmat(id, addr as *const c_void, flags) };
    if r as isize == -1 {
        return Err(errno());
    }
    if r as u64 != addr {
        // (Not expected with an address given; never leave a stray attachment.)
        // SAFETY: `r` is the attachment just made.
        unsafe { libc::shmdt(r) };
        return Err(libc::EINVAL);
    }
    Ok(())
}

/// Host `shmdt` of the attachment at `addr` (a guest one).
pub fn shmdt(addr: u64) -> Result<(), i32> {
    // SAFETY: the caller found a guest attachment at `addr`.
    if unsafe { libc::shmdt(addr as *const c_void) } != 0 {
        return Err(errno());
    }
    Ok(())
}

/// Host `mprotect` on a guest range.
pub fn mprotect(addr: u64, len: u64, prot: i32) -> Result<(), i32> {
    // SAFETY: only called on ranges the bookkeeping says are guest mappings.
    let r = unsafe { libc::mprotect(addr as *mut c_void, len as usize, prot) };
    if r == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

/// Device and inode of an open file, and the path it was opened as (for /proc/self/maps).
pub fn file_identity(fd: i32) -> (u64, u64, String) {
    // SAFETY: fstat writes only into the zeroed struct it is given.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let (dev, ino) = if unsafe { libc::fstat(fd, &mut st) } == 0 {
        (st.st_dev, st.st_ino)
    } else {
        (0, 0)
    };
    let name = std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    (dev, ino, name)
}

/// `x` rounded up to a page boundary, or None on overflow.
pub fn page_up(x: u64) -> Option<u64> {
    x.checked_add(PAGE_SIZE - 1).map(|v| v & !(PAGE_SIZE - 1))
}

/// `x` rounded down to a page boundary.
pub fn page_down(x: u64) -> u64 {
    x & !(PAGE_SIZE - 1)
}
