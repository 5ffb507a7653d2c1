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

/// Whether `path` names the calling process's executable through procfs (under any spelling:
/// `/proc/self/../self/exe`, `/proc/<tid>/exe`, `task/<tid>/exe`, through a symlink to a /proc
/// directory).
pub(crate) fn is_self_exe(path: &[u8]) -> bool {
    procfs::lookup(libc::AT_FDCWD, path) == Some(procfs::ProcFile::Exe)
}

/// A guest path as the host call is given it: the VM's copy, read once (never the guest's pointer: another
/// guest thread could rewrite the string between the VM's look at it and the kernel's, to
/// `/proc/self/mem`, say), with the directory it is relative to.
struct HostPath {
    /// The host call's `dirfd`.
    dirfd: u64,
    /// The host call's path: the guest's bytes, or what the VM looks up instead.
    path: CString,
    /// The emulated /proc file the path names, if any ([`procfs::lookup`]).
    file: Option<procfs::ProcFile>,
}

impl HostPath {
    /// The host call's path argument (valid while `self` lives).
    fn ptr(&self) -> u64 {
        self.path.as_ptr() as u64
    }
}

/// Reads the guest path at `path_ptr` (EFAULT, ENAMETOOLONG as Linux) and decides what the host
/// looks up for it, relative to `dirfd`: the guest's executable for `/proc/self/exe` under any
/// spelling (unless `nofollow`: the link itself is then meant), ENOENT for `fd/N` of a VM
/// descriptor, with `sysroot` the sysroot's file for an absolute path that exists there, else
/// the guest's path itself.
fn host_path(
    sys: &Syscalls,
    ctx: &dyn SyscallContext,
    dirfd: u64,
    path_ptr: u64,
    nofollow: bool,
    sysroot: bool,
) -> Result<HostPath, Errno> {
    let guest = read_cstr(ctx, path_ptr, PATH_MAX)?;
    let file = procfs::lookup(dirfd as i32, &guest);
    let absolute = |path: CString| HostPath {
        dirfd: libc::AT_FDCWD as u64,
        path,
        file,
    };
    match file {
        Some(procfs::ProcFile::Hidden) => return Err(Errno(libc::ENOENT)),
        Some(procfs::ProcFile::Exe) if !nofollow => {
            let exe = CString::new(ctx.exe_path().as_os_str().as_bytes()).map_err(|_| Errno(libc::ENOENT))?;
            return Ok(absolute(exe));
        }
        _ => {}
    }
    let root = sys.sysroot.as_deref().filter(|_| sysroot);
    if let Some(p) = root.and_then(|root| crate::path::in_sysroot(root, &guest)) {
        return Ok(absolute(p));
    }
    // read_cstr stops at the first NUL: the bytes hold none.
    let path = CString::new(guest).map_err(|_| Errno(libc::EINVAL))?;
    Ok(HostPath { dirfd, path, file })
}

/// Whether guest `AT_*` flags include `AT_SYMLINK_NOFOLLOW` (same value on both ABIs).
fn nofollow(flags: u64) -> bool {
    flags & libc::AT_SYMLINK_NOFOLLOW as u64 != 0
}

/// `openat(dirfd, path, flags, mode)`.
pub fn openat(sys: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let flags = GuestOFlags(a[2] as u32).to_host();
    // With O_NOFOLLOW, /proc/self/exe itself is a symlink: ELOOP, as on the host.
    let nofollow = flags.0 & libc::O_NOFOLLOW != 0;
    let p = host_path(sys, ctx, a[0], a[1], nofollow, true)?;
    if let Some(r) = p.file.and_then(|f| procfs::open(sys, ctx, f, flags.0)) {
        return r;
    }
    // SAFETY: the path is our own CString.
    let fd = check(unsafe { libc::syscall(libc::SYS_openat, p.dirfd, p.ptr(), flags.0, a[3]) })?;
    emulated_instead(sys, ctx, fd, flags.0)
}

/// The descriptor the host just opened, `fd`, unless it is an emulated /proc file reached by a
/// way the path lookup did not see (a symlink swapped in meanwhile, a mount of proc elsewhere, a
/// reopened O_PATH descriptor): then it is closed and the emulation (or refusal) stands in.
fn emulated_instead(sys: &Syscalls, ctx: &dyn SyscallContext, fd: u64, host_flags: i32) -> SysResult {
    // One fstat answers both questions for most files: whether it is one of the VM's own, and
    // whether it can be on procfs at all. Procfs holds regular files, directories and links
    // only, on an anonymous device (major 0, as every filesystem without a block device): a
    // file of a disk, and a device node, pipe or socket wherever it is (a shell's /dev/null, on
    // devtmpfs), needs no statfs. An fstat and a statfs more than the open were a third of what
    // a guest's open cost.
    let file = opened_file(fd as i32);
    if file.as_ref().is_some_and(|f| is_private(f.id)) {
        // SAFETY: the descriptor the host call just returned; the guest has not seen it.
        unsafe { libc::close(fd as i32) };
        return Err(Errno(libc::EACCES));
    }
    if file.is_some_and(|f| !f.could_be_procfs()) {
        return Ok(fd);
    }
    let Some(r) = procfs::identify(fd as i32).and_then(|f| procfs::open(sys, ctx, f, host_flags)) else {
        return Ok(fd);
    };
    // SAFETY: the descriptor the host call just returned; the guest has not seen it.
    unsafe { libc::close(fd as i32) };
    r
}

/// Files of the VM's that the guest may not open, by (device, inode): the persistent
/// translation cache's key. Checked on the descriptor the host opened, so every path to the
/// file (a link, a rename, a reopened O_PATH descriptor) ends the same way.
static PRIVATE_FILES: std::sync::RwLock<Vec<(u64, u64)>> = std::sync::RwLock::new(Vec::new());

/// Refuse the guest every open of the file with device `dev` and inode `ino` (EACCES).
pub fn keep_private(dev: u64, ino: u64) {
    let mut files = PRIVATE_FILES.write().unwrap_or_else(|p| p.into_inner());
    // Named again by each program a process execs in place.
    if !files.contains(&(dev, ino)) {
        files.push((dev, ino));
    }
}

/// What one fstat of a descriptor the host just opened says of its file.
struct OpenedFile {
    /// Its device and inode.
    id: (u64, u64),
    /// Its `st_mode`.
    mode: u32,
}

impl OpenedFile {
    /// Whether it may be a file of a procfs mount: a regular file, directory or link (procfs
    /// makes no other kind) on a device without a major number.
    fn could_be_procfs(&self) -> bool {
        let kind = self.mode & libc::S_IFMT;
        libc::major(self.id.0) == 0 && matches!(kind, libc::S_IFREG | libc::S_IFDIR | libc::S_IFLNK)
    }
}

/// What fstat says of host descriptor `fd` (None if it fails).
fn opened_file(fd: i32) -> Option<OpenedFile> {
    // SAFETY: all-zero is a valid `struct stat`; fstat writes only into it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: a descriptor and a stat buffer we own.
    (unsafe { libc::fstat(fd, &mut st) } == 0).then_some(OpenedFile {
        id: (st.st_dev, st.st_ino),
        mode: st.st_mode,
    })
}

/// Whether the file with this device and inode is one [`keep_private`] named.
fn is_private(id: (u64, u64)) -> bool {
    PRIVATE_FILES.read().unwrap_or_else(|p| p.into_inner()).contains(&id)
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
    // The emulated /proc files are emulated (or refused) under every flag: with
    // RESOLVE_NO_MAGICLINKS or RESOLVE_NO_SYMLINKS, /proc/self/exe is a link not followed (ELOOP).
    const NO_LINKS: u64 = 0x02 | 0x04;
    let nofollow = low as i32 & libc::O_NOFOLLOW != 0 || how.resolve & NO_LINKS != 0;
    let p = host_path(sys, ctx, a[0], a[1], nofollow, how.resolve == 0)?;
    if let Some(r) = p.file.and_then(|f| procfs::open(sys, ctx, f, low as i32)) {
        return r;
    }
    // SAFETY: `how` is a local struct of the size passed; the path is our own CString.
    let fd = check(unsafe {
        libc::syscall(
            libc::SYS_openat2,
            p.dirfd,
            p.ptr(),
            &how as *const OpenHow,
            size_of::<OpenHow>(),
        )
    })?;
    emulated_instead(sys, ctx, fd, low as i32)
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
    // SAFETY: all-zero is a valid `struct stat`.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a local of the host layout.
    check(unsafe { libc::syscall(libc::SYS_fstat, a[0], &mut st as *mut libc::stat) })?;
    write_struct(ctx, a[1], &GuestStat::from(&st))?;
    Ok(0)
}

/// `newfstatat(dirfd, path, statbuf, flags)`.
pub fn newfstatat(sys: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let p = host_path(sys, ctx, a[0], a[1], nofollow(a[3]), true)?;
    let st = host_fstatat(p.dirfd, p.ptr(), a[3])?;
    write_struct(ctx, a[2], &GuestStat::from(&st))?;
    Ok(0)
}

/// `statx(dirfd, path, flags, mask, statxbuf)`: `struct statx` has one layout on every
/// architecture, so only the path needs translating.
pub fn statx(sys: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let p = host_path(sys, ctx, a[0], a[1], nofollow(a[2]), true)?;
    uaccess::host_syscall(libc::SYS_statx, &[p.dirfd, p.ptr(), a[2], a[3], a[4], 0])
}

/// `faccessat(dirfd, path, mode)`.
pub fn faccessat(sys: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let p = host_path(sys, ctx, a[0], a[1], false, true)?;
    uaccess::host_syscall(libc::SYS_faccessat, &[p.dirfd, p.ptr(), a[2], 0, 0, 0])
}

/// `faccessat2(dirfd, path, mode, flags)`.
pub fn faccessat2(sys: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let p = host_path(sys, ctx, a[0], a[1], nofollow(a[3]), true)?;
    uaccess::host_syscall(libc::SYS_faccessat2, &[p.dirfd, p.ptr(), a[2], a[3], 0, 0])
}

/// `readlinkat(dirfd, path, buf, bufsiz)`.
pub fn readlinkat(sys: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let bufsiz = a[3] as i32;
    if bufsiz <= 0 {
        return Err(Errno(libc::EINVAL));
    }
    // (An emulated row: the buffer is checked here. The kernel would write the link's target,
    // which the guest may have chosen, into the VM's memory.)
    if a[2] >= ctx.guest_limit() {
        return Err(Errno(libc::EFAULT));
    }
    // The link itself is meant: host_path does not follow /proc/self/exe, its target is the
    // guest's program.
    let p = host_path(sys, ctx, a[0], a[1], true, true)?;
    if p.file == Some(procfs::ProcFile::Exe) {
        let target = ctx.exe_path().as_os_str().as_bytes().to_vec();
        // readlink truncates silently and never writes a NUL.
        let n = target.len().min(bufsiz as usize);
        write_bytes(ctx, a[2], &target[..n])?;
        return Ok(n as u64);
    }
    uaccess::host_syscall(libc::SYS_readlinkat, &[p.dirfd, p.ptr(), a[2], a[3], 0, 0])
}

/// Largest listing read at once for a /proc descriptor directory.
const DENTS_MAX: usize = 1 << 18;

/// `getdents64(fd, dirp, count)`: the host's, but a listing of this process's `fd/` or
/// `fdinfo/` leaves out the VM's descriptors ([`procfs::without_vm_fds`]); it is read into the
/// VM and copied to the guest, so the guest never sees the records left out.
pub fn getdents64(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    if !procfs::lists_descriptors(a[0] as i32) {
        return uaccess::host_syscall(libc::SYS_getdents64, &a);
    }
    let mut buf = vec![0u8; (a[2] as u32 as usize).min(DENTS_MAX)];
    loop {
        // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
        let n = check(unsafe { libc::syscall(libc::SYS_getdents64, a[0], buf.as_mut_ptr(), buf.len()) })?;
        if n == 0 {
            return Ok(0);
        }
        let kept = procfs::without_vm_fds(&buf[..n as usize]);
        // A batch of VM descriptors only: read on, an empty read would end the listing.
        if !kept.is_empty() {
            write_bytes(ctx, a[1], &kept)?;
            return Ok(kept.len() as u64);
        }
    }
}
