//! The close-on-exec descriptors: what the kernel closes at an `execve` (`do_close_on_exec` in
//! fs/file.c), which a guest exec carried out in the same host process (see
//! [`crate::ExecRequest`]) must close itself. The host's open descriptors are listed from
//! `/proc/self/fd`; where that is not procfs (a chroot without /proc, or one whose /proc is an
//! ordinary directory the guest made), the exec goes through the host kernel instead.

use std::ffi::CStr;

/// `f_type` of procfs (`PROC_SUPER_MAGIC`, include/uapi/linux/magic.h).
const PROC_SUPER_MAGIC: i64 = 0x9fa0;

/// The host's descriptor directory, opened; None unless it is procfs's own.
fn open_fd_dir() -> Option<*mut libc::DIR> {
    // SAFETY: a NUL-terminated path; the descriptor is checked and closed by `closedir` or here.
    let fd = unsafe {
        libc::open(
            c"/proc/self/fd".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return None;
    }
    // SAFETY: all-zero is a valid `struct statfs`; fstatfs writes only into it.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: our descriptor and a buffer we own.
    if unsafe { libc::fstatfs(fd, &mut st) } != 0 || st.f_type as i64 != PROC_SUPER_MAGIC {
        // SAFETY: closing our descriptor.
        unsafe { libc::close(fd) };
        return None;
    }
    // SAFETY: our descriptor, which the stream owns from now on.
    let dir = unsafe { libc::fdopendir(fd) };
    if dir.is_null() {
        // SAFETY: fdopendir failed, so the descriptor is still ours to close.
        unsafe { libc::close(fd) };
        return None;
    }
    Some(dir)
}

/// The host's open descriptors, by number; None if procfs cannot list them.
fn open_descriptors() -> Option<Vec<i32>> {
    let dir = open_fd_dir()?;
    let mut fds = Vec::new();
    loop {
        // SAFETY: a stream we opened; the entry is read before the next readdir.
        let entry = unsafe { libc::readdir(dir) };
        if entry.is_null() {
            break;
        }
        // SAFETY: readdir's entry holds a NUL-terminated name.
        let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
        if let Some(fd) = name.to_str().ok().and_then(|n| n.parse::<i32>().ok()) {
            fds.push(fd);
        }
    }
    // SAFETY: the stream we opened, closed once (its own descriptor is in `fds`: it is gone
    // before any of them is looked at).
    unsafe { libc::closedir(dir) };
    Some(fds)
}

/// Whether [`close_guest_descriptors`] can find the descriptors to close: decided before the
/// exec commits, since after that there is no error to return to the program.
pub fn can_close_on_exec() -> bool {
    open_fd_dir()
        .map(|dir| {
            // SAFETY: the stream just opened.
            unsafe { libc::closedir(dir) }
        })
        .is_some()
}

/// Close every descriptor of the guest's marked close-on-exec, as the kernel does at execve; the
/// VM's own (reserved) descriptors stay. False if the descriptors could not be listed.
pub fn close_guest_descriptors() -> bool {
    let Some(fds) = open_descriptors() else {
        return false;
    };
    for fd in fds {
        if crate::fd::is_reserved(fd as u64) {
            continue;
        }
        // SAFETY: F_GETFD only reads the descriptor's flags (EBADF for the listing's own).
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        if flags >= 0 && flags & libc::FD_CLOEXEC != 0 {
            // SAFETY: a guest descriptor the exec closes; nothing of the VM's uses it.
            unsafe { libc::close(fd) };
        }
    }
    true
}
