//! Syscalls whose pointer arguments point to further pointers (`struct iovec` arrays, `struct
//! msghdr`, `struct mmsghdr`; the same layout on both ABIs): every pointer the host kernel will
//! follow is checked to lie in the guest region first (see [`SyscallContext::guest_limit`]), then
//! the call passes through. The structures are read again by the kernel, so another guest
//! thread can change them in between; that only lets it name other guest memory: the check says
//! that no pointer the guest could name at check time leaves the region, and changed ones are
//! the guest's own race against itself (a limit of checking without copying, listed in
//! docs/confinement.md).

use crate::uaccess::{host_syscall, iovecs_in_region, read_bytes};
use crate::{Args, Errno, SysResult, SyscallContext, Syscalls};

/// The kernel's `UIO_MAXIOV`.
const IOV_MAX: u64 = 1024;

/// `struct msghdr` on both ABIs: name, namelen (+pad), iov, iovlen, control, controllen, flags.
const MSGHDR_SIZE: u64 = 56;

/// `struct mmsghdr`: a msghdr and the message length, padded to 64 bytes.
const MMSGHDR_SIZE: u64 = 64;

/// Check the iovec array of a vectored read or write (`count` above IOV_MAX is EINVAL).
fn check_iov(ctx: &dyn SyscallContext, addr: u64, count: u64) -> Result<(), Errno> {
    if count > IOV_MAX {
        return Err(Errno(libc::EINVAL));
    }
    iovecs_in_region(ctx, addr, count)
}

/// Check a msghdr and what it points to: the address, the iovecs and the control buffer.
fn check_msghdr(ctx: &dyn SyscallContext, addr: u64) -> Result<(), Errno> {
    let b = read_bytes(ctx, addr, MSGHDR_SIZE as usize)?;
    let word = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    let (name, iov, iovlen, control) = (word(0), word(16), word(24), word(32));
    let limit = ctx.guest_limit();
    if name >= limit || control >= limit {
        return Err(Errno(libc::EFAULT));
    }
    // Linux: EMSGSIZE for more than UIO_MAXIOV iovecs in a message.
    if iovlen > IOV_MAX {
        return Err(Errno(libc::EMSGSIZE));
    }
    iovecs_in_region(ctx, iov, iovlen)
}

/// Check `count` mmsghdrs at `addr` (the kernel handles at most UIO_MAXIOV of them).
fn check_mmsghdrs(ctx: &dyn SyscallContext, addr: u64, count: u64) -> Result<(), Errno> {
    for i in 0..count.min(IOV_MAX) {
        check_msghdr(ctx, addr.wrapping_add(i * MMSGHDR_SIZE))?;
    }
    Ok(())
}

/// The vectored reads and writes, `HOST_NR(fd, iov, iovcnt, ...)`: readv, writev, preadv, pwritev,
/// preadv2, pwritev2 and vmsplice (whose iovec array is the second argument too).
pub fn vectored<const HOST_NR: libc::c_long>(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    check_iov(ctx, a[1], a[2])?;
    host_syscall(HOST_NR, &a)
}

/// `sendmsg(fd, msg, flags)`.
pub fn sendmsg(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    check_msghdr(ctx, a[1])?;
    host_syscall(libc::SYS_sendmsg, &a)
}

/// `recvmsg(fd, msg, flags)`.
pub fn recvmsg(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    check_msghdr(ctx, a[1])?;
    host_syscall(libc::SYS_recvmsg, &a)
}

/// `sendmmsg(fd, msgvec, vlen, flags)`.
pub fn sendmmsg(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    check_mmsghdrs(ctx, a[1], a[2] & 0xffff_ffff)?;
    host_syscall(libc::SYS_sendmmsg, &a)
}

/// `recvmmsg(fd, msgvec, vlen, flags, timeout)`.
pub fn recvmmsg(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    check_mmsghdrs(ctx, a[1], a[2] & 0xffff_ffff)?;
    host_syscall(libc::SYS_recvmmsg, &a)
}

/// `futex(uaddr, op, val, timeout_or_val2, uaddr2, val3)`: the fourth argument is a timeout
/// pointer for the waiting operations and a number for the others, and `uaddr2` is used (and
/// written, by FUTEX_WAKE_OP) only by the requeueing operations: the kernel ignores whatever
/// the others pass there (glibc passes garbage), so each is checked only where it is a pointer.
pub fn futex(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    // FUTEX_WAIT, FUTEX_LOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI, FUTEX_LOCK_PI2.
    const TIMED: [u64; 5] = [0, 6, 9, 11, 13];
    // FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP, FUTEX_WAIT_REQUEUE_PI, FUTEX_CMP_REQUEUE_PI.
    const TWO_WORDS: [u64; 5] = [3, 4, 5, 11, 12];
    let cmd = a[1] & 127;
    let limit = ctx.guest_limit();
    if TIMED.contains(&cmd) && a[3] >= limit || TWO_WORDS.contains(&cmd) && a[4] >= limit {
        return Err(Errno(libc::EFAULT));
    }
    host_syscall(libc::SYS_futex, &a)
}
