//! File-descriptor syscalls whose ABI differs between AArch64 and x86-64: `fcntl` (`O_*` values in
//! F_GETFL/F_SETFL), `ioctl` (only requests known to be identical), `pipe2` (`O_DIRECT`), and the
//! epoll calls (`struct epoll_event` is packed on x86-64, `include/uapi/linux/eventpoll.h`).
//! `ppoll`, `pselect6` and `epoll_pwait(2)` hand the guest's temporary signal mask to the host
//! call itself, so it is in force for exactly the wait (see [`crate::signal`]).

use std::mem::size_of;

use crate::fs::{GuestOFlags, HostOFlags};
use crate::uaccess::{check, host_syscall, read_struct, u64_at, write_bytes};
use crate::{Args, Errno, SysResult, SyscallContext, Syscalls};

/// `fcntl` commands whose argument means the same on both ABIs (`include/uapi/asm-generic/fcntl.h`,
/// `include/uapi/linux/fcntl.h`; `struct flock` and `struct f_owner_ex` have the same layout).
const FCNTL_SAME: &[u64] = &[
    0,    // F_DUPFD
    1,    // F_GETFD
    2,    // F_SETFD
    5,    // F_GETLK
    6,    // F_SETLK
    7,    // F_SETLKW
    8,    // F_SETOWN
    9,    // F_GETOWN
    10,   // F_SETSIG
    11,   // F_GETSIG
    15,   // F_SETOWN_EX
    16,   // F_GETOWN_EX
    17,   // F_GETOWNER_UIDS
    36,   // F_OFD_GETLK
    37,   // F_OFD_SETLK
    38,   // F_OFD_SETLKW
    1024, // F_SETLEASE
    1025, // F_GETLEASE
    1026, // F_NOTIFY
    1030, // F_DUPFD_CLOEXEC
    1031, // F_SETPIPE_SZ
    1032, // F_GETPIPE_SZ
    1033, // F_ADD_SEALS
    1034, // F_GET_SEALS
    1035, // F_GET_RW_HINT
    1036, // F_SET_RW_HINT
    1037, // F_GET_FILE_RW_HINT
    1038, // F_SET_FILE_RW_HINT
];

/// Descriptors the VM keeps for itself (e.g. its own executable, for exec), by current number:
/// the guest cannot close them. Programs that close every descriptor before exec (dpkg running
/// maintainer scripts) would otherwise close them, and the number could then name another file.
static RESERVED: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

/// No reserved descriptor is below this number (it only goes down): most descriptors the guest
/// passes are told apart without the lock, on every call with a descriptor argument.
static LOWEST: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(i32::MAX);

fn note_lowest(fd: i32) {
    LOWEST.fetch_min(fd, std::sync::atomic::Ordering::Relaxed);
}

/// A descriptor kept by the VM; its number changes when the guest `dup3`s onto it.
#[derive(Debug, Clone, Copy)]
pub struct Reserved(usize);

impl Reserved {
    /// The descriptor's current number.
    pub fn fd(self) -> i32 {
        RESERVED.lock().map(|r| r[self.0]).unwrap_or(-1)
    }

    /// Writes all of `bytes` to it (a file the VM writes, such as its log).
    pub fn write_all(self, mut bytes: &[u8]) -> std::io::Result<()> {
        while !bytes.is_empty() {
            // SAFETY: writing from a live slice of its length.
            let n = unsafe { libc::write(self.fd(), bytes.as_ptr().cast(), bytes.len()) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            bytes = &bytes[n as usize..];
        }
        Ok(())
    }
}

/// Where VM descriptors go: high, out of the way of shells that `exec 3>&1` (debconf's
/// confmodule does), but below the soft RLIMIT_NOFILE, and not so high that the kernel grows
/// a huge descriptor table.
fn high_fd() -> i32 {
    // SAFETY: all-zero is a valid rlimit; getrlimit writes only into it.
    let mut rl: libc::rlimit = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) } == 0 {
        rl.rlim_cur
    } else {
        1024
    };
    (soft.min(1024) as i32 - 64).max(3)
}

/// Move `fd` (close-on-exec) to a free number at or above [`high_fd`] and return the new one,
/// or `fd` itself when that fails.
fn move_high(fd: i32) -> i32 {
    // SAFETY: F_DUPFD_CLOEXEC takes no pointer.
    let moved = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, high_fd()) };
    if moved < 0 {
        return fd;
    }
    // SAFETY: `fd` is ours and now has a copy.
    unsafe { libc::close(fd) };
    moved
}

/// Keep `fd` (owned by the caller from now on through the returned handle) from the guest.
pub fn reserve(fd: i32) -> Reserved {
    let fd = move_high(fd);
    let mut r = RESERVED.lock().unwrap_or_else(|e| e.into_inner());
    note_lowest(fd);
    r.push(fd);
    Reserved(r.len() - 1)
}

fn reserved() -> Vec<i32> {
    RESERVED.lock().map(|r| r.clone()).unwrap_or_default()
}

/// Whether `fd` is a VM descriptor (public for the fuzz targets' checks): to the guest it is not open, so every call given it as an
/// `Fd` or `DirFd` argument fails with EBADF (`uaccess::check_args`; python's subprocess tests
/// look for open descriptors with fstat), and /proc does not list it.
pub fn is_reserved(fd: u64) -> bool {
    let fd = fd as i32;
    fd >= LOWEST.load(std::sync::atomic::Ordering::Relaxed) && RESERVED.lock().map(|r| r.contains(&fd)).unwrap_or(false)
}

/// `dup3(old, new, flags)`: when `new` is a VM descriptor, that one moves out of the way first,
/// so the guest gets the number it asked for and the VM keeps its file. Should dup3 then fail
/// (a bad `old` or bad flags), the move is undone: the VM's file must never stay open under a
/// number the guest thinks its own. The list stays locked throughout, so no other thread sees
/// the VM's descriptor half moved.
pub fn dup3(_: &mut Syscalls, _: &mut dyn SyscallContext, a: Args) -> SysResult {
    let new = a[1] as i32;
    let mut r = RESERVED.lock().unwrap_or_else(|e| e.into_inner());
    let slot = if a[0] as i32 == new {
        None
    } else {
        r.iter().position(|f| *f == new)
    };
    let Some(i) = slot else {
        return host_syscall(libc::SYS_dup3, &a);
    };
    // SAFETY: F_DUPFD_CLOEXEC takes no pointer; `new` stays open until dup3 replaces it.
    let moved = unsafe { libc::fcntl(new, libc::F_DUPFD_CLOEXEC, high_fd()) };
    if moved < 0 {
        return Err(Errno::last());
    }
    note_lowest(moved);
    r[i] = moved;
    let result = host_syscall(libc::SYS_dup3, &a);
    if result.is_err() {
        // SAFETY: `moved` is the copy made above; `new` still holds the VM's file.
        unsafe { libc::close(moved) };
        r[i] = new;
    }
    result
}

/// `close_range(first, last, flags)`, skipping reserved descriptors.
pub fn close_range(_: &mut Syscalls, _: &mut dyn SyscallContext, a: Args) -> SysResult {
    let (first, last, flags) = (a[0] as u32, a[1] as u32, a[2]);
    let mut cuts: Vec<u32> = reserved().into_iter().filter(|&f| f >= 0).map(|f| f as u32).collect();
    cuts.retain(|&f| f >= first && f <= last);
    cuts.sort_unstable();
    let mut lo = first;
    for f in cuts {
        if f > lo {
            host_syscall(libc::SYS_close_range, &[lo as u64, (f - 1) as u64, flags, 0, 0, 0])?;
        }
        lo = f + 1;
    }
    if lo <= last && lo >= first {
        host_syscall(libc::SYS_close_range, &[lo as u64, last as u64, flags, 0, 0, 0])?;
    }
    Ok(0)
}

/// `fcntl` commands whose argument is a pointer: the locks (`struct flock`), `f_owner_ex` and
/// the read/write hints.
const FCNTL_POINTER: &[u64] = &[5, 6, 7, 15, 16, 36, 37, 38, 1035, 1036, 1037, 1038];

/// `fcntl(fd, cmd, arg)`.
pub fn fcntl(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    // Both are `unsigned int` in the kernel: the upper halves of x0 and x1 are ignored.
    let (fd, cmd) = (a[0] as i32, a[1] & 0xffff_ffff);
    if FCNTL_POINTER.contains(&cmd) && a[2] >= ctx.guest_limit() {
        return Err(Errno(libc::EFAULT));
    }
    match cmd as i32 {
        libc::F_GETFL => {
            // SAFETY: F_GETFL takes no pointer.
            let r = check(unsafe { libc::syscall(libc::SYS_fcntl, fd, libc::F_GETFL) })?;
            Ok(HostOFlags(r as i32).to_guest().0 as u64)
        }
        libc::F_SETFL => {
            let flags = GuestOFlags(a[2] as u32).to_host();
            // SAFETY: F_SETFL takes no pointer.
            check(unsafe { libc::syscall(libc::SYS_fcntl, fd, libc::F_SETFL, flags.0) })
        }
        _ if FCNTL_SAME.contains(&cmd) => host_syscall(libc::SYS_fcntl, &[a[0], cmd, a[2], 0, 0, 0]),
        _ => Err(Errno(libc::EINVAL)),
    }
}

/// `ioctl` requests with the same number and argument layout on both (asm-generic `ioctls.h`,
/// `termbits.h` and `sockios.h`; the kernel's `struct termios` is 36 bytes on both).
const IOCTL_SAME: &[u64] = &[
    0x5401,      // TCGETS
    0x5402,      // TCSETS
    0x5403,      // TCSETSW
    0x5404,      // TCSETSF
    0x5409,      // TCSBRK
    0x540A,      // TCXONC
    0x540B,      // TCFLSH
    0x540E,      // TIOCSCTTY
    0x540F,      // TIOCGPGRP
    0x5410,      // TIOCSPGRP
    0x5411,      // TIOCOUTQ
    0x5413,      // TIOCGWINSZ
    0x5414,      // TIOCSWINSZ
    0x541B,      // FIONREAD
    0x5421,      // FIONBIO
    0x5422,      // TIOCNOTTY
    0x5429,      // TIOCGSID
    0x5450,      // FIONCLEX
    0x5451,      // FIOCLEX
    0x5452,      // FIOASYNC
    0x8004_5430, // TIOCGPTN
    0x4004_5431, // TIOCSPTLCK
    // Socket interface queries: `struct ifreq` (40 bytes) and `struct ifconf` (16) are the same
    // on both 64-bit ABIs (python's socket.if_nametoindex, test_socket).
    0x8905, // SIOCATMARK
    0x8910, // SIOCGIFNAME
    0x8912, // SIOCGIFCONF
    0x8913, // SIOCGIFFLAGS
    0x8915, // SIOCGIFADDR
    0x8917, // SIOCGIFDSTADDR
    0x8919, // SIOCGIFBRDADDR
    0x891B, // SIOCGIFNETMASK
    0x8921, // SIOCGIFMTU
    0x8927, // SIOCGIFHWADDR
    0x8933, // SIOCGIFINDEX
    0x8942, // SIOCGIFTXQLEN
];

/// `ioctl(fd, request, arg)`: unknown requests fail with ENOTTY rather than risk a request whose
/// structure differs reaching the host kernel untranslated.
pub fn ioctl(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    // The request is an `unsigned int` in the kernel; the upper half of x1 is ignored.
    let req = a[1] & 0xffff_ffff;
    if IOCTL_SAME.contains(&req) {
        // Most of these take a pointer; the others a small number. Either way the host kernel
        // must not be handed an address outside the guest region.
        if a[2] >= ctx.guest_limit() {
            return Err(Errno(libc::EFAULT));
        }
        if req == SIOCGIFCONF {
            return ifconf(ctx, a[0], a[2]);
        }
        host_syscall(libc::SYS_ioctl, &[a[0], req, a[2], 0, 0, 0])
    } else {
        Err(Errno(libc::ENOTTY))
    }
}

const SIOCGIFCONF: u64 = 0x8912;

/// SIOCGIFCONF: `struct ifconf { int ifc_len; char *ifc_buf; }`, whose buffer the kernel fills
/// with the interfaces' `ifreq`s: the buffer must lie in the guest region. The kernel is given a
/// checked copy of the structure, and the length it writes back is copied to the guest's.
fn ifconf(ctx: &mut dyn SyscallContext, fd: u64, at: u64) -> SysResult {
    let mut conf: [u8; 16] = read_struct(ctx, at)?;
    if u64_at(&conf, 8) >= ctx.guest_limit() {
        return Err(Errno(libc::EFAULT));
    }
    let r = host_syscall(libc::SYS_ioctl, &[fd, SIOCGIFCONF, conf.as_mut_ptr() as u64, 0, 0, 0])?;
    write_bytes(ctx, at, &conf[..4])?;
    Ok(r)
}

/// `pipe2(fds, flags)`: O_DIRECT (packet mode) has a different value.
pub fn pipe2(_: &mut Syscalls, _: &mut dyn SyscallContext, a: Args) -> SysResult {
    let flags = GuestOFlags(a[1] as u32).to_host();
    host_syscall(libc::SYS_pipe2, &[a[0], flags.0 as u32 as u64, 0, 0, 0, 0])
}

/// AArch64's `struct epoll_event`: naturally aligned, 16 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct GuestEpollEvent {
    events: u32,
    pad: u32,
    data: u64,
}

/// x86-64's `struct epoll_event`: packed, 12 bytes.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy, Default)]
struct HostEpollEvent {
    events: u32,
    data: u64,
}

const _: () = assert!(size_of::<GuestEpollEvent>() == 16);
const _: () = assert!(size_of::<HostEpollEvent>() == 12);

const EPOLL_CTL_DEL: u64 = 2;

/// `epoll_ctl(epfd, op, fd, event)`.
pub fn epoll_ctl(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    // DEL ignores the event; old kernels wanted a non-null pointer, new ones accept null.
    let mut host = if a[1] == EPOLL_CTL_DEL && a[3] == 0 {
        None
    } else {
        let g: GuestEpollEvent = read_struct(ctx, a[3])?;
        Some(HostEpollEvent {
            events: g.events,
            data: g.data,
        })
    };
    let ptr = host.as_mut().map_or(0, |h| h as *mut HostEpollEvent as u64);
    host_syscall(libc::SYS_epoll_ctl, &[a[0], a[1], a[2], ptr, 0, 0])
}

/// Events fetched per call when a buffer for all of `maxevents` cannot be had: returning fewer
/// events than `maxevents` is allowed, though programs expect every ready one (python's
/// test_selectors waits for 10,000 at once).
const EPOLL_FALLBACK_BATCH: usize = 1024;

/// Shared body of `epoll_pwait` and `epoll_pwait2`: `timeout` is the fourth host argument as given.
fn epoll_wait_common(s: &mut Syscalls, ctx: &mut dyn SyscallContext, a: &Args, host_nr: libc::c_long) -> SysResult {
    let max = a[2] as i32;
    if max <= 0 || max as usize > i32::MAX as usize / size_of::<GuestEpollEvent>() {
        return Err(Errno(libc::EINVAL));
    }
    let guest_len = max as u64 * size_of::<GuestEpollEvent>() as u64;
    if !ctx.is_accessible(a[1], guest_len, true) {
        return Err(Errno(libc::EFAULT));
    }
    // As many host events as the guest asked for, as the kernel returns up to `maxevents`. The
    // buffer stays uninitialised: untouched capacity costs no memory, however large.
    let mut host: Vec<HostEpollEvent> = Vec::new();
    let n = if host.try_reserve_exact(max as usize).is_ok() {
        max as usize
    } else {
        host.reserve_exact(EPOLL_FALLBACK_BATCH);
        EPOLL_FALLBACK_BATCH
    };
    let buf = host.as_mut_ptr();
    let got = crate::signal::with_wait_mask(s, ctx, a[4], a[5], &mut |set| {
        // SAFETY: `buf` has room for `n` host-layout events, of which the kernel writes the first
        // `got`; the timeout argument is a guest value or pointer the kernel checks; `set` is the
        // host sigset of the wait, or none.
        check(unsafe { libc::syscall(host_nr, a[0], buf, n as i32, a[3], sigset_ptr(set), 8u64) })
    })?;
    // SAFETY: the kernel initialised the first `got` (at most `n`) events.
    unsafe { host.set_len(got as usize) };
    let mut out = Vec::with_capacity(got as usize * size_of::<GuestEpollEvent>());
    for e in &host {
        let (events, data) = (e.events, e.data);
        out.extend_from_slice(&events.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&data.to_le_bytes());
    }
    write_bytes(ctx, a[1], &out)?;
    Ok(got)
}

/// The sigset argument of a host wait: the set's address, or null.
fn sigset_ptr(set: Option<&u64>) -> *const u64 {
    set.map_or(std::ptr::null(), |m| m as *const u64)
}

/// `epoll_pwait(epfd, events, maxevents, timeout_ms, sigmask, sigsetsize)`.
pub fn epoll_pwait(s: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    epoll_wait_common(s, ctx, &a, libc::SYS_epoll_pwait)
}

/// `epoll_pwait2(epfd, events, maxevents, timeout_timespec, sigmask, sigsetsize)`.
pub fn epoll_pwait2(s: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    epoll_wait_common(s, ctx, &a, libc::SYS_epoll_pwait2)
}

/// `ppoll(fds, nfds, timeout, sigmask, sigsetsize)`: `struct pollfd` is the same on both.
pub fn ppoll(s: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    crate::signal::with_wait_mask(s, ctx, a[3], a[4], &mut |set| {
        // SAFETY: the pointers are guest pointers the kernel checks, and the host sigset or null.
        check(unsafe { libc::syscall(libc::SYS_ppoll, a[0], a[1], a[2], sigset_ptr(set), 8u64) })
    })
}

/// `pselect6(n, in, out, ex, timeout, sigmask_pack)`: `fd_set` is the same on both; the last
/// argument points to `{ const sigset_t *ss; size_t ss_len; }` (`get_sigset_argpack`).
pub fn pselect6(s: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let (set, size) = if a[5] != 0 {
        let pack: [u64; 2] = read_struct(ctx, a[5])?;
        (pack[0], pack[1])
    } else {
        (0, 0)
    };
    crate::signal::with_wait_mask(s, ctx, set, size, &mut |set| {
        let pack = [sigset_ptr(set) as u64, 8u64];
        let pack = if set.is_some() { pack.as_ptr() } else { std::ptr::null() };
        // SAFETY: the fd_set and timeout pointers are guest pointers the kernel checks; `pack` is
        // a valid argument pack naming the host sigset, or null.
        check(unsafe { libc::syscall(libc::SYS_pselect6, a[0], a[1], a[2], a[3], a[4], pack) })
    })
}
