//! Memory-management syscalls (`mm/mmap.c`, `mm/mprotect.c`, `mm/madvise.c`): all go through the
//! VM's [`GuestMemory`](crate::GuestMemory) so the guest can never map, unmap or reprotect the VM's
//! own memory, and every change to guest code memory is reported with `invalidate_code`.

use crate::{Args, Errno, SysResult, SyscallContext, Syscalls};

/// arm64's `PROT_BTI` (`arch/arm64/include/uapi/asm/mman.h`): marks guarded pages for BTI, which
/// a64x does not advertise; the guest's dynamic loader may still pass it, so it is dropped.
const PROT_BTI: u64 = 0x10;
/// arm64's `PROT_MTE`: memory tagging, not offered, so the kernel's answer is EINVAL.
const PROT_MTE: u64 = 0x20;
/// x86-64's `MAP_32BIT`: undefined (ignored) on arm64, so it must not reach the host.
const MAP_32BIT: u64 = 0x40;

/// Guest `PROT_*` bits to host ones.
fn prot_to_host(prot: u64) -> Result<i32, Errno> {
    if prot & PROT_MTE != 0 {
        return Err(Errno(libc::EINVAL));
    }
    Ok((prot & !PROT_BTI) as i32)
}

/// `brk(addr)`.
pub fn brk(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let brk = ctx.brk(a[0]);
    // The pages a shrink gives back are unmapped: code translated from them must not run
    // again, whatever is mapped there later (fresh read+write pages when the break grows).
    if let Some((start, end)) = brk.released {
        ctx.invalidate_code(start, end - start);
    }
    Ok(brk.now)
}

/// `mmap(addr, len, prot, flags, fd, offset)`.
pub fn mmap(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let prot = prot_to_host(a[2])?;
    let flags = (a[3] & !MAP_32BIT) as i32;
    let addr = ctx
        .mmap(a[0], a[1], prot, flags, a[4] as i32, a[5] as i64)
        .map_err(Errno)?;
    // A fixed mapping may replace guest code that has translations; a new one elsewhere cannot.
    if flags & libc::MAP_FIXED != 0 {
        ctx.invalidate_code(addr, a[1]);
    }
    Ok(addr)
}

/// `munmap(addr, len)`.
pub fn munmap(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    ctx.munmap(a[0], a[1]).map_err(Errno)?;
    ctx.invalidate_code(a[0], a[1]);
    Ok(0)
}

/// `mprotect(addr, len, prot)`.
pub fn mprotect(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let prot = prot_to_host(a[2])?;
    ctx.mprotect(a[0], a[1], prot).map_err(Errno)?;
    // Code made writable or non-executable must be re-translated when it next runs.
    ctx.invalidate_code(a[0], a[1]);
    Ok(0)
}

/// `mremap(old, old_len, new_len, flags, new_addr)`.
pub fn mremap(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let new = ctx.mremap(a[0], a[1], a[2], a[3] as i32, a[4]).map_err(Errno)?;
    // Code that moved or was cut off must be translated again where it now is.
    if new != a[0] || a[2] < a[1] {
        ctx.invalidate_code(a[0], a[1]);
    }
    Ok(new)
}

/// `madvise` hints that never change memory contents or mappings, safe on any range.
const MADV_HINTS: &[u64] = &[
    0,  // MADV_NORMAL
    1,  // MADV_RANDOM
    2,  // MADV_SEQUENTIAL
    3,  // MADV_WILLNEED
    14, // MADV_HUGEPAGE
    15, // MADV_NOHUGEPAGE
    16, // MADV_DONTDUMP
    17, // MADV_DODUMP
    20, // MADV_COLD
    21, // MADV_PAGEOUT
];

/// `madvise` advice that throws page contents away.
const MADV_DISCARD: &[u64] = &[
    4,  // MADV_DONTNEED
    8,  // MADV_FREE
    9,  // MADV_REMOVE
    24, // MADV_DONTNEED_LOCKED
];

/// `madvise(addr, len, advice)`.
pub fn madvise(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let (addr, len, advice) = (a[0], a[1], a[2]);
    if addr % 4096 != 0 || addr.checked_add(len).is_none() {
        return Err(Errno(libc::EINVAL));
    }
    if len == 0 {
        return Ok(0);
    }
    if !MADV_HINTS.contains(&advice) && !ctx.is_accessible(addr, len, false) {
        // Advice that changes contents or mappings must not reach the VM's own memory. A guest
        // range can also fail the check by being PROT_NONE (a reservation), where the kernel
        // would succeed: skipping the advice there is harmless, so report success.
        return Ok(0);
    }
    let r = crate::uaccess::host_syscall(libc::SYS_madvise, &[addr, len, advice, 0, 0, 0])?;
    if MADV_DISCARD.contains(&advice) {
        ctx.invalidate_code(addr, len);
    }
    Ok(r)
}
