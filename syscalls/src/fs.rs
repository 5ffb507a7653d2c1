//! File-system syscalls whose ABI differs between AArch64 and x86-64: `openat`/`openat2` (`O_*`
//! flags, `arch/arm64/include/uapi/asm/fcntl.h` vs `include/uapi/asm-generic/fcntl.h`), `fstat` and
//! `newfstatat` (asm-generic `struct stat`, `include/uapi/asm-generic/stat.h`), and `readlinkat`
//! (the guest's `/proc/self/exe` is its own executable, not the VM). These and `faccessat`,
//! `faccessat2` and `statx` also look absolute paths up in the sysroot first ([`crate::path`]).

use std::ffi::CString;
use std::mem::{offset_of, size_of};
use std::os::unix::ffi::OsStrExt;

pub use crate::oflags::{GuestOFlags, HostOFlags};
use crate::procfs;
use crate::uaccess::{self, check, read_cstr, write_bytes, write_struct, PATH_MAX};
use crate::{Args, Errno, SysResult, SyscallContext, Syscalls};

/// AArch64's `struct stat` (asm-generic layout, 128 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GuestStat {
    /// Device of the containing file system.
    pub st_dev: u64,
    /// Inode number.
    pub st_ino: u64,
    /// File type and permission bits.
    pub st_mode: u32,
    /// Hard link count (32-bit here, 64-bit on x86-64).
    pub st_nlink: u32,
    /// Owner.
    pub st_uid: u32,
    /// Group.
    pub st_gid: u32,
    /// Device number, for device files.
    pub st_rdev: u64,
    /// Padding.
    pub pad1: u64,
    /// Size in bytes.
    pub st_size: i64,
    /// Preferred I/O block size.
    pub st_blksize: i32,
    /// Padding.
    pub pad2: i32,
    /// 512-byte blocks allocated.
    pub st_blocks: i64,
    /// Last access, seconds.
    pub st_atime: i64,
    /// Last access, nanoseconds.
    pub st_atime_nsec: u64,
    /// Last modification, seconds.
    pub st_mtime: i64,
    /// Last modification, nanoseconds.
    pub st_mtime_nsec: u64,
    /// Last status change, seconds.
    pub st_ctime: i64,
    /// Last status change, nanoseconds.
    pub st_ctime_nsec: u64,
    /// Unused.
    pub unused4: u32,
    /// Unused.
    pub unused5: u32,
}

const _: () = assert!(size_of::<GuestStat>() == 128);
const _: () = assert!(offset_of!(GuestStat, st_mode) == 16);
const _: () = assert!(offset_of!(GuestStat, st_size) == 48);
const _: () = assert!(offset_of!(GuestStat, st_blksize) == 56);
const _: () = assert!(offset_of!(GuestStat, st_blocks) == 64);
const _: () = assert!(offset_of!(GuestStat, st_atime) == 72);
const _: () = assert!(offset_of!(GuestStat, st_ctime_nsec) == 112);

impl From<&libc::stat> for GuestStat {
    fn from(s: &libc::stat) -> Self {
        GuestStat {
            st_dev: s.st_dev,
            st_ino: s.st_ino,
            st_mode: s.st_mode,
            // The guest field is 32 bits wide; the kernel saturates rather than wraps (EOVERFLOW
            // only for values it cannot represent at all), and no real file has 2^32 links.
            st_nlink: s.st_nlink.min(u32::MAX as u64) as u32,
            st_uid: s.st_uid,
            st_gid: s.st_gid,
            st_rdev: s.st_rdev,
            pad1: 0,
            st_size: s.st_size,
            st_blksize: s.st_blksize as i32,
            pad2: 0,
            st_blocks: s.st_blocks,
            st_atime: s.st_atime,
            st_atime_nsec: s.st_atime_nsec as u64,
            st_mtime: s.st_mtime,
            st_mtime_nsec: s.st_mtime_nsec as u64,
            st_ctime: s.st_ctime,
            st_ctime_nsec: s.st_ctime_nsec as u64,
            unused4: 0,
            unused5: 0,
        }
    }
}

/// Whether `path` names the calling process's executable through procfs.
pub(crate) fn is_self_exe(path: &[u8]) -> bool {
    if path == b"/proc/self/exe" || path == b"/proc/thread-self/exe" {
        return true;
    }
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    path == format!("/proc/{pid}/exe").as_bytes()
}

/// The guest's executable as a C string, when `path` names `/proc/self/exe`: procfs would show the
/// VM's own binary instead.
fn self_exe(ctx: &dyn SyscallContext, path: &[u8]) -> Option<CString> {
    if !is_self_exe(path) {
        return None;
    }
    CString::new(ctx.exe_path().as_os_str().as_bytes()).ok()
}

/// The host path to use instead of the guest path at `path_ptr`, if any: the guest's executable
/// for `/proc/self/exe` (unless `nofollow`: the link itself is then meant), else the sysroot's file
/// for an absolute path that exists there. None: pass the guest pointer on unchanged (an
/// unreadable path included, so that the host kernel gives the guest its EFAULT).
fn host_path(sys: &Syscalls, ctx: &dyn SyscallContext, path_ptr: u64, nofollow: bool) -> Option<CString> {
    let path = read_cstr(ctx, path_ptr, PATH_MAX).ok()?;
    if !nofollow {
        if let Some(exe) = self_exe(ctx, &path) {
            return Some(exe);
        }
    }
    crate::path::in_sysroot(sys.sysroot.as_deref()?, &path)
}

/// `(dirfd, path)` for the host call: the guest's, or AT_FDCWD and `replacement` (absolute).
fn at_args(dirfd: u64, path_ptr: u64, replacement: &Option<CString>) -> (u64, u64) {
    match replacement {
        Some(p) => (libc::AT_FDCWD as u64, p.as_ptr() as u64),
        None => (dirfd, path_ptr),
    }
}

/// Whether guest `AT_*` flags include `AT_SYMLINK_NOFOLLOW` (same value on both ABIs).
fn nofollow(flags: u64) -> bool {
    flags & libc::AT_SYMLINK_NOFOLLOW as u64 != 0
}

/// The emulated procfs file named by the guest path at `path_ptr`, if it names one ([`procfs`]).
fn open_procfs(
    sys: &Syscalls,
    ctx: &dyn SyscallContext,
    dirfd: u64,
    path_ptr: u64,
    host_flags: i32,
) -> Option<SysResult> {
    let path = read_cstr(ctx, path_ptr, PATH_MAX).ok()?;
    procfs::open(sys, ctx, &procfs::resolve_at(dirfd as i32, &path), host_flags)
}

/// `openat(dirfd, path, flags, mode)`.
pub fn openat(sys: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let flags = GuestOFlags(a[2] as u32).to_host();
    // With O_NOFOLLOW, /proc/self/exe itself is a symlink: ELOOP, as on the host.
    let nofollow = flags.0 & libc::O_NOFOLLOW != 0;
    if let Some(r) = open_procfs(sys, ctx, a[0], a[1], flags.0) {
        return r;
    }
    let repl = host_path(sys, ctx, a[1], nofollow);
    let (dirfd, path) = at_args(a[0], a[1], &repl);
    // SAFETY: `path` is either guest memory (the kernel checks it) or our own CString.
    check(unsafe { libc::syscall(libc::SYS_openat, dirfd, path, flags.0, a[3]) })
}

/// `struct open_how` (`include/uapi/linux/openat2.h`): same layout on both, but `flags` holds
/// `O_*` values.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

const _: () = assert!(size_of::<OpenHow>() == 24);

/// `openat2(dirfd, path, how, size)`.
pub fn openat2(sys: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let size = a[3] as usize;
    if size < size_of::<OpenHow>() {
        return Err(Errno(libc::EINVAL));
    }
    if size > 4096 {
        return Err(Errno(libc::E2BIG));
    }
    let mut how: OpenHow = uaccess::read_struct(ctx, a[2])?;
    // A newer guest may pass a larger struct; like the kernel, accept it only if the tail is zero.
    let tail = uaccess::read_bytes(ctx, a[2] + size_of::<OpenHow>() as u64, size - size_of::<OpenHow>())?;
    if tail.iter().any(|&b| b != 0) {
        return Err(Errno(libc::E2BIG));
    }
    // Bits above 32 are invalid on both; keep them so the host kernel rejects them as it should.
    let low = GuestOFlags(how.flags as u32).to_host().0 as u32;
    how.flags = (how.flags & !0xffff_ffff) | low as u64;
    // RESOLVE_* flags confine the lookup relative to dirfd; an absolute path under them is the
    // guest's business (the kernel refuses or allows it), so only plain lookups use the sysroot.
    if how.resolve == 0 {
        if let Some(r) = open_procfs(sys, ctx, a[0], a[1], low as i32) {
            return r;
        }
    }
    let repl = if how.resolve == 0 {
        host_path(sys, ctx, a[1], low as i32 & libc::O_NOFOLLOW != 0)
    } else {
        None
    };
    let (dirfd, path) = at_args(a[0], a[1], &repl);
    // SAFETY: `how` is a local struct of the size passed; the path is a guest pointer or ours.
    check(unsafe {
        libc::syscall(
            libc::SYS_openat2,
            dirfd,
            path,
            &how as *const OpenHow,
            size_of::<OpenHow>(),
        )
    })
}

fn host_fstatat(dirfd: u64, path: u64, flags: u64) -> Result<libc::stat, Errno> {
    // SAFETY: all-zero is a valid `struct stat`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a local of the host layout; `path` is guest memory the kernel checks.
    check(unsafe { libc::syscall(libc::SYS_newfstatat, dirfd, path, &mut st as *mut libc::stat, flags) })?;
    Ok(st)
}

/// `fstat(fd, statbuf)`.
pub fn fstat(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    if crate::fd::is_reserved(a[0]) {
        return Err(Errno(libc::EBADF));
    }
    // SAFETY: all-zero is a valid `struct stat`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a local of the host layout.
    check(unsafe { libc::syscall(libc::SYS_fstat, a[0], &mut st as *mut libc::stat) })?;
    write_struct(ctx, a[1], &GuestStat::from(&st))?;
    Ok(0)
}

/// `newfstatat(dirfd, path, statbuf, flags)`.
pub fn newfstatat(sys: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    if crate::fd::is_reserved(a[0]) {
        return Err(Errno(libc::EBADF));
    }
    let repl = host_path(sys, ctx, a[1], nofollow(a[3]));
    let (dirfd, path) = at_args(a[0], a[1], &repl);
    let st = host_fstatat(dirfd, path, a[3])?;
    write_struct(ctx, a[2], &GuestStat::from(&st))?;
    Ok(0)
}

/// `statx(dirfd, path, flags, mask, statxbuf)`: `struct statx` has one layout on every
/// architecture, so only the path needs translating.
pub fn statx(sys: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    if crate::fd::is_reserved(a[0]) {
        return Err(Errno(libc::EBADF));
    }
    let repl = host_path(sys, ctx, a[1], nofollow(a[2]));
    let (dirfd, path) = at_args(a[0], a[1], &repl);
    uaccess::host_syscall(libc::SYS_statx, &[dirfd, path, a[2], a[3], a[4], 0])
}

/// `faccessat(dirfd, path, mode)`.
pub fn faccessat(sys: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let repl = host_path(sys, ctx, a[1], false);
    let (dirfd, path) = at_args(a[0], a[1], &repl);
    uaccess::host_syscall(libc::SYS_faccessat, &[dirfd, path, a[2], 0, 0, 0])
}

/// `faccessat2(dirfd, path, mode, flags)`.
pub fn faccessat2(sys: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let repl = host_path(sys, ctx, a[1], nofollow(a[3]));
    let (dirfd, path) = at_args(a[0], a[1], &repl);
    uaccess::host_syscall(libc::SYS_faccessat2, &[dirfd, path, a[2], a[3], 0, 0])
}

/// `readlinkat(dirfd, path, buf, bufsiz)`.
pub fn readlinkat(sys: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let bufsiz = a[3] as i32;
    if bufsiz <= 0 {
        return Err(Errno(libc::EINVAL));
    }
    let Ok(path) = read_cstr(ctx, a[1], PATH_MAX) else {
        return uaccess::host_syscall(libc::SYS_readlinkat, &a);
    };
    if is_self_exe(&path) {
        let target = ctx.exe_path().as_os_str().as_bytes().to_vec();
        // readlink truncates silently and never writes a NUL.
        let n = target.len().min(bufsiz as usize);
        write_bytes(ctx, a[2], &target[..n])?;
        return Ok(n as u64);
    }
    let repl = sys
        .sysroot
        .as_deref()
        .and_then(|root| crate::path::in_sysroot(root, &path));
    let (dirfd, p) = at_args(a[0], a[1], &repl);
    uaccess::host_syscall(libc::SYS_readlinkat, &[dirfd, p, a[2], a[3], 0, 0])
}
