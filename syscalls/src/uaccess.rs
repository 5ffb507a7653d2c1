//! Guest user-memory access (the kernel's `uaccess`): checked copies between guest memory and the
//! syscall layer, and the raw host syscall.
//!
//! Guest memory is identity-mapped, so a guest pointer is a host pointer; but the VM's own memory
//! lives in the same address space, so every copy the syscall layer makes itself is checked against
//! the guest's mappings first. A bad guest pointer gives EFAULT, never a crash of the VM.

use crate::{Args, Errno, GuestMemory, SysResult};

const PAGE: u64 = 4096;

/// The longest path the kernel accepts (PATH_MAX, with its NUL).
pub const PATH_MAX: usize = 4096;

/// Call host syscall `nr` (x86-64 number) with the guest's arguments unchanged.
pub fn host_syscall(nr: libc::c_long, a: &Args) -> SysResult {
    // SAFETY: only rows whose arguments mean the same thing on both ABIs get here; pointers in
    // them are guest pointers, which are host pointers, and the kernel checks them (EFAULT).
    let r = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(r as u64)
    }
}

/// Whether every pointer argument of a row the host kernel sees (pass-through and translated
/// rows: their handlers hand pointers on) lies in the guest region, null included. Emulated rows
/// treat their addresses themselves (mmap hints, munmap ranges, clone's stack). Pointers inside
/// structures (iovecs, msghdrs) are checked by their rows' handlers.
pub fn pointers_in_region(mem: &dyn GuestMemory, def: Option<&crate::SyscallDef>, a: &Args) -> bool {
    use crate::ArgKind::{Buf, Path, Ptr};
    let limit = mem.guest_limit();
    def.is_none_or(|d| {
        d.args
            .iter()
            .zip(a.iter())
            .all(|(k, &v)| !matches!(k, Path | Buf | Ptr) || v < limit)
    })
}

/// Whether each buffer the iovecs in `iovs` (a copy of the guest's array) name starts in the
/// guest region (below `limit`): the kernel then reads or writes guest memory only, a bad buffer
/// inside the region giving EFAULT as in Linux.
pub fn iovecs_in_region(limit: u64, iovs: &[u8]) -> Result<(), Errno> {
    let ok = iovs.chunks_exact(16).all(|iov| {
        let base = u64::from_le_bytes(iov[..8].try_into().expect("8 bytes"));
        let n = u64::from_le_bytes(iov[8..].try_into().expect("8 bytes"));
        n == 0 || base < limit
    });
    if ok {
        Ok(())
    } else {
        Err(Errno(libc::EFAULT))
    }
}

/// Turn a libc-style return (-1 and errno on failure) into a [`SysResult`].
pub fn check(r: libc::c_long) -> SysResult {
    if r == -1 {
        Err(Errno::last())
    } else {
        Ok(r as u64)
    }
}

/// Copy the NUL-terminated string at guest `addr` (without its NUL), at most `max` bytes.
/// Errors: EFAULT for an unreadable byte before the NUL, ENAMETOOLONG past `max`.
pub fn read_cstr(mem: &dyn GuestMemory, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut p = addr;
    loop {
        // Check a page at a time: the string may end just before an unmapped page.
        let chunk = PAGE - (p % PAGE);
        if p == 0 || p.checked_add(chunk).is_none() || !mem.is_accessible(p, chunk, false) {
            return Err(Errno(libc::EFAULT));
        }
        // SAFETY: [p, p+chunk) is readable guest memory, checked just above.
        let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, chunk as usize) };
        if let Some(n) = bytes.iter().position(|&b| b == 0) {
            out.extend_from_slice(&bytes[..n]);
            return Ok(out);
        }
        out.extend_from_slice(bytes);
        if out.len() >= max {
            return Err(Errno(libc::ENAMETOOLONG));
        }
        p += chunk;
    }
}

/// Copy a plain-data value from guest memory.
pub fn read_struct<T: Copy>(mem: &dyn GuestMemory, addr: u64) -> Result<T, Errno> {
    let len = std::mem::size_of::<T>() as u64;
    if addr == 0 || !mem.is_accessible(addr, len, false) {
        return Err(Errno(libc::EFAULT));
    }
    // SAFETY: the range is readable guest memory; T is plain data (`Copy`, `repr(C)` ABI structs).
    Ok(unsafe { std::ptr::read_unaligned(addr as *const T) })
}

/// Copy a plain-data value into guest memory.
pub fn write_struct<T: Copy>(mem: &dyn GuestMemory, addr: u64, value: &T) -> Result<(), Errno> {
    let len = std::mem::size_of::<T>() as u64;
    if addr == 0 || !mem.is_accessible(addr, len, true) {
        return Err(Errno(libc::EFAULT));
    }
    // SAFETY: the range is writable guest memory, checked just above.
    unsafe { std::ptr::write_unaligned(addr as *mut T, *value) };
    Ok(())
}

/// Copy bytes into guest memory.
pub fn write_bytes(mem: &dyn GuestMemory, addr: u64, bytes: &[u8]) -> Result<(), Errno> {
    if bytes.is_empty() {
        return Ok(());
    }
    if addr == 0 || !mem.is_accessible(addr, bytes.len() as u64, true) {
        return Err(Errno(libc::EFAULT));
    }
    // SAFETY: the range is writable guest memory, checked just above; it cannot overlap `bytes`,
    // which the syscall layer owns.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, bytes.len()) };
    Ok(())
}

/// Copy `len` bytes out of guest memory (for strace's view of a write buffer).
pub fn read_bytes(mem: &dyn GuestMemory, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if addr == 0 || !mem.is_accessible(addr, len as u64, false) {
        return Err(Errno(libc::EFAULT));
    }
    // SAFETY: the range is readable guest memory, checked just above.
    Ok(unsafe { std::slice::from_raw_parts(addr as *const u8, len) }.to_vec())
}
