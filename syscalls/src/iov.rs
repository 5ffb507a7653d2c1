//! Syscalls whose pointer arguments point to further pointers (`struct iovec` arrays, `struct
//! msghdr`, `struct mmsghdr`; the same layout on both ABIs). The structures are copied into the
//! VM, every pointer in the copy is checked to lie in the guest region (see
//! [`SyscallContext::guest_limit`]), and the host kernel is given the copy: another guest thread
//! rewriting the guest's structures between the check and the kernel's read changes nothing.
//! What the kernel writes back into a msghdr (name and control lengths, flags) and an mmsghdr
//! (the message length) is copied back to the guest's.

use crate::uaccess::{host_syscall, iovecs_in_region, read_bytes, read_struct, u64_at, write_bytes};
use crate::{Args, Errno, SysResult, SyscallContext, Syscalls};

/// The kernel's `UIO_MAXIOV`.
const IOV_MAX: u64 = 1024;

/// `struct msghdr` on both ABIs: name, namelen (+pad), iov, iovlen, control, controllen, flags.
const MSGHDR_SIZE: usize = 56;

/// `struct mmsghdr`: a msghdr and the message length, padded to 64 bytes.
const MMSGHDR_SIZE: usize = 64;

/// A copy of the `count` iovecs at guest `addr`, checked (`count` above IOV_MAX: `too_many`).
pub(crate) fn copy_iov(ctx: &dyn SyscallContext, addr: u64, count: u64, too_many: i32) -> Result<Vec<u8>, Errno> {
    if count > IOV_MAX {
        return Err(Errno(too_many));
    }
    let bytes = read_bytes(ctx, addr, count as usize * 16)?;
    iovecs_in_region(ctx.guest_limit(), &bytes)?;
    Ok(bytes)
}

/// A checked copy of the msghdr at guest `addr`, its `msg_iov` pointing to the checked copy of
/// its iovecs (returned too, to keep alive while the kernel uses it).
fn copy_msghdr(ctx: &dyn SyscallContext, addr: u64) -> Result<([u8; MSGHDR_SIZE], Vec<u8>), Errno> {
    let mut h = [0u8; MSGHDR_SIZE];
    h.copy_from_slice(&read_bytes(ctx, addr, MSGHDR_SIZE)?);
    let (name, iov, iovlen, control) = (u64_at(&h, 0), u64_at(&h, 16), u64_at(&h, 24), u64_at(&h, 32));
    let limit = ctx.guest_limit();
    if name >= limit || control >= limit {
        return Err(Errno(libc::EFAULT));
    }
    // Linux: EMSGSIZE for more than UIO_MAXIOV iovecs in a message.
    let iovs = copy_iov(ctx, iov, iovlen, libc::EMSGSIZE)?;
    h[16..24].copy_from_slice(&(iovs.as_ptr() as u64).to_le_bytes());
    Ok((h, iovs))
}

/// What the kernel changes in a msghdr: `msg_namelen` (8..12), `msg_controllen` (40..48) and
/// `msg_flags` (48..52); copied back into the guest's msghdr at `addr`.
fn copy_back_msghdr(ctx: &dyn SyscallContext, addr: u64, h: &[u8]) -> Result<(), Errno> {
    write_bytes(ctx, addr + 8, &h[8..12])?;
    write_bytes(ctx, addr + 40, &h[40..52])
}

/// The vectored reads and writes, `HOST_NR(fd, iov, iovcnt, ...)`: readv, writev, preadv, pwritev,
/// preadv2, pwritev2 and vmsplice (whose iovec array is the second argument too).
pub fn vectored<const HOST_NR: libc::c_long>(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let iovs = copy_iov(ctx, a[1], a[2], libc::EINVAL)?;
    host_syscall(HOST_NR, &[a[0], iovs.as_ptr() as u64, a[2], a[3], a[4], a[5]])
}

/// Larger control data than any socket takes (the kernel's `optmem_max` is far below): ENOBUFS.
const CONTROL_MAX: u64 = 1 << 20;

/// For a message to send: a copy of the control data of msghdr `h`, which `h` is made to point
/// to (the kernel reads the copy, so the descriptors checked are those it passes). Descriptors
/// passed with SCM_RIGHTS must be the guest's: a VM descriptor is EBADF, as a closed one.
fn copy_control(ctx: &dyn SyscallContext, h: &mut [u8; MSGHDR_SIZE]) -> Result<Vec<u8>, Errno> {
    let (control, len) = (u64_at(h, 32), u64_at(h, 40));
    if control == 0 || len == 0 {
        return Ok(Vec::new());
    }
    if len > CONTROL_MAX {
        return Err(Errno(libc::ENOBUFS));
    }
    let bytes = read_bytes(ctx, control, len as usize)?;
    // struct cmsghdr on both ABIs: cmsg_len (u64), cmsg_level, cmsg_type (i32), data, each
    // header at an 8-byte-aligned offset.
    let mut at = 0usize;
    while at + 16 <= bytes.len() {
        let clen = u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let level = i32::from_le_bytes(bytes[at + 8..at + 12].try_into().expect("4 bytes"));
        let kind = i32::from_le_bytes(bytes[at + 12..at + 16].try_into().expect("4 bytes"));
        if clen < 16 {
            break; // the kernel refuses the message (EINVAL)
        }
        let end = at
            .saturating_add(usize::try_from(clen).unwrap_or(usize::MAX))
            .min(bytes.len());
        if level == libc::SOL_SOCKET && kind == libc::SCM_RIGHTS {
            let fds = bytes[at + 16..end].chunks_exact(4);
            if fds
                .into_iter()
                .any(|f| crate::fd::is_reserved(i32::from_le_bytes(f.try_into().expect("4 bytes")) as u64))
            {
                return Err(Errno(libc::EBADF));
            }
        }
        at = match at.checked_add(usize::try_from((clen + 7) & !7).unwrap_or(usize::MAX)) {
            Some(next) => next,
            None => break,
        };
    }
    h[32..40].copy_from_slice(&(bytes.as_ptr() as u64).to_le_bytes());
    Ok(bytes)
}

/// `sendmsg(fd, msg, flags)`.
pub fn sendmsg(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let (mut h, _iovs) = copy_msghdr(ctx, a[1])?;
    let _control = copy_control(ctx, &mut h)?;
    host_syscall(libc::SYS_sendmsg, &[a[0], h.as_ptr() as u64, a[2], 0, 0, 0])
}

/// `recvmsg(fd, msg, flags)`.
pub fn recvmsg(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let (h, _iovs) = copy_msghdr(ctx, a[1])?;
    let r = host_syscall(libc::SYS_recvmsg, &[a[0], h.as_ptr() as u64, a[2], 0, 0, 0])?;
    copy_back_msghdr(ctx, a[1], &h)?;
    Ok(r)
}

/// `HOST_NR(fd, msgvec, vlen, flags, ...)` on checked copies of the first `vlen` mmsghdrs (at
/// most UIO_MAXIOV, as the kernel takes), copied back for the messages it handled.
fn mmsg(ctx: &mut dyn SyscallContext, a: &Args, host_nr: libc::c_long) -> SysResult {
    let sending = host_nr == libc::SYS_sendmmsg;
    let n = (a[2] & 0xffff_ffff).min(IOV_MAX) as usize;
    let mut vec = vec![0u8; n * MMSGHDR_SIZE];
    let mut keep = Vec::with_capacity(n);
    for (i, m) in vec.chunks_exact_mut(MMSGHDR_SIZE).enumerate() {
        let (mut h, iovs) = copy_msghdr(ctx, a[1] + (i * MMSGHDR_SIZE) as u64)?;
        let control = if sending {
            copy_control(ctx, &mut h)?
        } else {
            Vec::new()
        };
        m[..MSGHDR_SIZE].copy_from_slice(&h);
        keep.push((iovs, control));
    }
    let r = host_syscall(host_nr, &[a[0], vec.as_ptr() as u64, n as u64, a[3], a[4], a[5]])?;
    for (i, m) in vec.chunks_exact(MMSGHDR_SIZE).take(r as usize).enumerate() {
        let at = a[1] + (i * MMSGHDR_SIZE) as u64;
        copy_back_msghdr(ctx, at, m)?;
        write_bytes(ctx, at + MSGHDR_SIZE as u64, &m[MSGHDR_SIZE..MSGHDR_SIZE + 4])?;
    }
    Ok(r)
}

/// `sendmmsg(fd, msgvec, vlen, flags)`.
pub fn sendmmsg(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    mmsg(ctx, &a, libc::SYS_sendmmsg)
}

/// `recvmmsg(fd, msgvec, vlen, flags, timeout)`.
pub fn recvmmsg(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    mmsg(ctx, &a, libc::SYS_recvmmsg)
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

/// The kernel's limit on `futex_waitv`'s array (FUTEX_WAITV_MAX).
const FUTEX_WAITV_MAX: u64 = 128;

/// `futex_waitv(waiters, nr, flags, timeout, clockid)`: each `struct futex_waitv` (`u64 val;
/// u64 uaddr; u32 flags; u32 reserved;`) names a futex word the kernel reads and compares, so a
/// word in the VM's memory would tell the guest its contents. The array is copied, each word's
/// address checked, and the kernel given the copy.
pub fn futex_waitv(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let (nr, limit) = (a[1] & 0xffff_ffff, ctx.guest_limit());
    if a[0] == 0 || nr == 0 || nr > FUTEX_WAITV_MAX {
        // The kernel refuses these (EINVAL) without reading anything.
        return host_syscall(libc::SYS_futex_waitv, &a);
    }
    let waiters = read_bytes(ctx, a[0], nr as usize * 24)?;
    let in_region = waiters.chunks_exact(24).all(|w| u64_at(w, 8) < limit);
    if !in_region {
        return Err(Errno(libc::EFAULT));
    }
    let mut a = a;
    a[0] = waiters.as_ptr() as u64;
    host_syscall(libc::SYS_futex_waitv, &a)
}

/// `struct sock_fprog`: `unsigned short len; struct sock_filter *filter;` (16 bytes).
const SOCK_FPROG: usize = 16;

/// Whether socket option `name` of `level` is a `struct sock_fprog`, whose `filter` the kernel
/// reads `len` instructions from: SO_ATTACH_FILTER and SO_ATTACH_REUSEPORT_CBPF (SOL_SOCKET, the
/// same numbers on both ABIs) and PACKET_FANOUT_DATA (SOL_PACKET).
fn is_bpf_program(level: u64, name: u64) -> bool {
    matches!((level & 0xffff_ffff, name & 0xffff_ffff), (1, 26 | 51) | (263, 22))
}

/// `setsockopt(fd, level, name, value, len)`: a classic BPF program's instructions are read
/// through the pointer in its `sock_fprog` (and SO_GET_FILTER gives them back): that pointer must
/// lie in the guest region. The kernel is given a checked copy.
pub fn setsockopt(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    if !is_bpf_program(a[1], a[2]) || a[4] & 0xffff_ffff != SOCK_FPROG as u64 || a[3] == 0 {
        // (Any other length the kernel refuses without reading the program.)
        return host_syscall(libc::SYS_setsockopt, &a);
    }
    let prog: [u8; SOCK_FPROG] = read_struct(ctx, a[3])?;
    if u64_at(&prog, 8) >= ctx.guest_limit() {
        return Err(Errno(libc::EFAULT));
    }
    let mut a = a;
    a[3] = prog.as_ptr() as u64;
    host_syscall(libc::SYS_setsockopt, &a)
}

/// Socket options read with getsockopt whose value is a structure of pointers the kernel
/// follows: TCP_ZEROCOPY_RECEIVE (it copies received data to `copybuf_address` and control
/// data to `msg_control`) and SCTP_SOCKOPT_CONNECTX3 (it reads addresses through `addrs`).
/// Refused with ENOPROTOOPT, as a kernel without them answers.
fn is_pointer_struct_option(level: u64, name: u64) -> bool {
    matches!((level & 0xffff_ffff, name & 0xffff_ffff), (6, 35) | (132, 111))
}

/// `getsockopt(fd, level, name, value, len)`.
pub fn getsockopt(_: &mut Syscalls, _: &mut dyn SyscallContext, a: Args) -> SysResult {
    if is_pointer_struct_option(a[1], a[2]) {
        return Err(Errno(libc::ENOPROTOOPT));
    }
    host_syscall(libc::SYS_getsockopt, &a)
}
