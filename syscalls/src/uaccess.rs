//! Guest user-memory access (the kernel's `uaccess`): checked copies between guest memory and the
//! syscall layer, and the raw host syscall.
//!
//! Guest memory is identity-mapped, so a guest pointer is a host pointer; but the VM's own memory
//! lives in the same address space, so every copy the syscall layer makes itself is checked against
//! the guest's mappings first, and made so that a page another guest thread unmaps meanwhile (or
//! a file cut short under its mapping) gives EFAULT too ([`copy_from_guest`]): by the VM's
//! fault-catching copy where it gave one ([`set_fault_safe_copy`]), else through the kernel. A bad
//! guest pointer gives EFAULT, never a crash of the VM.

use std::sync::OnceLock;

use crate::{Args, Errno, GuestMemory, SysResult};

const PAGE: u64 = 4096;

/// What [`read_cstr`] copies first (the rest of the page after it if no NUL was in it).
const FIRST_CSTR_BYTES: u64 = 256;

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

/// Checks a call's arguments by their kinds before its handler or the host kernel sees them.
/// For rows the host kernel sees (pass-through and translated: their handlers hand pointers on),
/// every pointer lies in the guest region, null included (EFAULT otherwise: the kernel's copies
/// are linear, so from there they reach guest memory or stop at the guard), and every address
/// range the kernel acts on as a whole lies in it (ENOMEM, as Linux says for a range beyond the
/// task size). Emulated rows treat their addresses themselves (mmap hints, munmap ranges,
/// clone's stack); pointers inside structures (iovecs, msghdrs) are checked by their rows'
/// handlers. For every row, a descriptor argument that is one of the VM's own is EBADF: to the
/// guest it is not open.
pub fn check_args(mem: &dyn GuestMemory, def: &crate::SyscallDef, a: &Args) -> Result<(), Errno> {
    use crate::ArgKind::{Buf, DirFd, Fd, Path, Ptr, Size, Span};
    use crate::Kind::{Passthrough, Translate};
    let kernel_sees = matches!(def.kind, Passthrough(_) | Translate(_));
    let limit = mem.guest_limit();
    for (i, (k, &v)) in def.args.iter().zip(a.iter()).enumerate() {
        match k {
            Path | Buf | Ptr if kernel_sees && v >= limit => return Err(Errno(libc::EFAULT)),
            Span if kernel_sees => {
                let len = match def.args.get(i + 1) {
                    Some(Size) => a[i + 1],
                    _ => 0,
                };
                if v.checked_add(len).is_none_or(|end| end > limit) {
                    return Err(Errno(libc::ENOMEM));
                }
            }
            Fd | DirFd if crate::fd::is_reserved(v) => return Err(Errno(libc::EBADF)),
            _ => {}
        }
    }
    Ok(())
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

/// A copy of `len` bytes from `src` to `dst` that a fault at either end makes fail rather than
/// kill the VM (its fault handler resumes the copy's failure path, as the kernel's exception
/// tables do for user copies): `Some(true)` copied, `Some(false)` faulted (partly copied), None
/// if it cannot be used on this thread now (the fault signals blocked on the host, when a fault
/// would be fatal). The VM's, given at its start ([`set_fault_safe_copy`]).
///
/// # Safety
/// `dst` and `src` are `len` bytes each: the syscall layer's own buffer, and a guest range it
/// checked against the guest's mappings.
pub type FaultSafeCopy = unsafe fn(dst: *mut u8, src: *const u8, len: usize) -> Option<bool>;

static FAULT_SAFE_COPY: OnceLock<FaultSafeCopy> = OnceLock::new();

/// Make `copy` the way guest memory is copied from now on. Without one (the syscall layer's own
/// tests, which have no fault handler), copies go through the kernel (`process_vm_readv`), a
/// system call and a `getpid` each: a shell's path arguments cost more that way than the opens
/// they were for.
pub fn set_fault_safe_copy(copy: FaultSafeCopy) {
    let _ = FAULT_SAFE_COPY.set(copy);
}

/// Copy guest memory at `addr` into `buf` without trusting that it stays mapped: another guest
/// thread may unmap it between the caller's check and the copy, which then answers EFAULT where
/// a plain copy would crash the VM.
pub fn copy_from_guest(addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
    guarded_copy(addr, buf.as_mut_ptr(), buf.len(), false)
}

/// Copy `bytes` to guest memory at `addr`, as [`copy_from_guest`]: EFAULT, not a crash, when a
/// racing munmap or mprotect took the page away (both ways of copying honour page protections).
pub fn copy_to_guest(addr: u64, bytes: &[u8]) -> Result<(), Errno> {
    guarded_copy(addr, bytes.as_ptr() as *mut u8, bytes.len(), true)
}

/// `len` bytes between guest `addr` and the VM's buffer `local` (read from it when `to_guest`,
/// else written): by the VM's fault-safe copy if it can make it, else through the kernel.
fn guarded_copy(addr: u64, local: *mut u8, len: usize, to_guest: bool) -> Result<(), Errno> {
    if let Some(copy) = FAULT_SAFE_COPY.get() {
        let (dst, src) = if to_guest {
            (addr as *mut u8, local as *const u8)
        } else {
            (local, addr as *const u8)
        };
        // SAFETY: `local` is the caller's buffer of `len` bytes; the guest range was checked.
        match unsafe { copy(dst, src, len) } {
            Some(true) => return Ok(()),
            Some(false) => return Err(Errno(libc::EFAULT)),
            None => {}
        }
    }
    through_kernel(addr, local, len, to_guest)
}

/// [`guarded_copy`] through process_vm_writev/readv on our own process. Where a seccomp profile
/// forbids those (EPERM, ENOSYS), a plain copy: the caller checked the range against the
/// guest's mappings, so that is as safe as the VM was without the kernel's help (not against a
/// racing munmap).
fn through_kernel(addr: u64, local: *mut u8, len: usize, to_guest: bool) -> Result<(), Errno> {
    let mine = libc::iovec {
        iov_base: local.cast(),
        iov_len: len,
    };
    let guest = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: len,
    };
    // SAFETY: `mine` is the caller's buffer of `len` bytes (only read when `to_guest`); the kernel
    // checks `guest`, in our own process.
    let n = unsafe {
        if to_guest {
            libc::process_vm_writev(libc::getpid(), &mine, 1, &guest, 1, 0)
        } else {
            libc::process_vm_readv(libc::getpid(), &mine, 1, &guest, 1, 0)
        }
    };
    if n == len as isize {
        return Ok(());
    }
    if n < 0 && matches!(Errno::last().0, libc::EPERM | libc::ENOSYS) {
        let (src, dst) = if to_guest {
            (local as *const u8, addr as *mut u8)
        } else {
            (addr as *const u8, local)
        };
        // SAFETY: see above: both ranges are `len` bytes, the guest's checked by the caller.
        unsafe { std::ptr::copy_nonoverlapping(src, dst, len) };
        return Ok(());
    }
    Err(Errno(libc::EFAULT))
}

/// Copy the NUL-terminated string at guest `addr` (without its NUL), at most `max` bytes.
/// Errors: EFAULT for an unreadable byte before the NUL, ENAMETOOLONG past `max`.
pub fn read_cstr(mem: &dyn GuestMemory, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    let mut p = addr;
    let mut page = [0u8; PAGE as usize];
    // Most strings (paths) are short: the first copy is of this much at most.
    let mut want = FIRST_CSTR_BYTES;
    loop {
        // Check up to a page's end at a time: the string may end just before an unmapped page.
        let chunk = (PAGE - (p % PAGE)).min(want);
        want = PAGE;
        if p == 0 || p.checked_add(chunk).is_none() || !mem.is_accessible(p, chunk, false) {
            return Err(Errno(libc::EFAULT));
        }
        let bytes = &mut page[..chunk as usize];
        copy_from_guest(p, bytes)?;
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

/// The little-endian u64 at byte `at` of `bytes` (a field of a structure copied from the guest).
pub fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// Copy a plain-data value from guest memory.
pub fn read_struct<T: Copy>(mem: &dyn GuestMemory, addr: u64) -> Result<T, Errno> {
    let len = std::mem::size_of::<T>() as u64;
    if addr == 0 || !mem.is_accessible(addr, len, false) {
        return Err(Errno(libc::EFAULT));
    }
    let mut v = std::mem::MaybeUninit::<T>::zeroed();
    // SAFETY: the zeroed value's `len` bytes, initialised, viewed as bytes to copy into.
    let bytes = unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr() as *mut u8, len as usize) };
    copy_from_guest(addr, bytes)?;
    // SAFETY: T is plain data (`Copy`, `repr(C)` ABI structs of integers, for which any bytes are
    // a value), all of whose bytes were just written.
    Ok(unsafe { v.assume_init() })
}

/// Copy a plain-data value into guest memory.
pub fn write_struct<T: Copy>(mem: &dyn GuestMemory, addr: u64, value: &T) -> Result<(), Errno> {
    let len = std::mem::size_of::<T>() as u64;
    if addr == 0 || !mem.is_accessible(addr, len, true) {
        return Err(Errno(libc::EFAULT));
    }
    // SAFETY: a plain-data value viewed as its bytes.
    let bytes = unsafe { std::slice::from_raw_parts(value as *const T as *const u8, len as usize) };
    copy_to_guest(addr, bytes)
}

/// Copy bytes into guest memory.
pub fn write_bytes(mem: &dyn GuestMemory, addr: u64, bytes: &[u8]) -> Result<(), Errno> {
    if bytes.is_empty() {
        return Ok(());
    }
    if addr == 0 || !mem.is_accessible(addr, bytes.len() as u64, true) {
        return Err(Errno(libc::EFAULT));
    }
    copy_to_guest(addr, bytes)
}

/// Copy `len` bytes out of guest memory (for strace's view of a write buffer).
pub fn read_bytes(mem: &dyn GuestMemory, addr: u64, len: usize) -> Result<Vec<u8>, Errno> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if addr == 0 || !mem.is_accessible(addr, len as u64, false) {
        return Err(Errno(libc::EFAULT));
    }
    let mut buf = vec![0u8; len];
    copy_from_guest(addr, &mut buf)?;
    Ok(buf)
}
