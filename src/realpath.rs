//! The canonical path of a file from the kernel's name for an open descriptor of it, where
//! realpath(3) (`std::fs::canonicalize`) calls readlink on every component: a program under a
//! sysroot is a dozen calls, each walking the path again, and every a64x process resolves its
//! program, its loader and its cache file's key this way (about 70 readlink calls for an `ls`
//! run from a sysroot, 2% of the process's own start).

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// `path` made absolute with every symbolic link, `.` and `..` resolved, as
/// `std::fs::canonicalize` does; an error where that would fail (a missing file, a name that
/// is no path, as a deleted file's or a memfd's). Without /proc, `std::fs::canonicalize` itself.
pub fn canonicalize(path: &Path) -> std::io::Result<PathBuf> {
    match by_descriptor(path) {
        Some(found) => found,
        None => std::fs::canonicalize(path),
    }
}

/// The canonical path through `/proc/self/fd`, or None when /proc cannot say.
fn by_descriptor(path: &Path) -> Option<std::io::Result<PathBuf>> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
        .open(path)
    {
        Ok(f) => f,
        Err(e) => return Some(Err(e)),
    };
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    let name = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    // The kernel's name is the file's path only when it is one that leads back to the same file
    // now: a deleted file's ends in " (deleted)", a memfd's is "/memfd:...", a file outside this
    // process's root is "(unreachable)...".
    let same = |m: std::fs::Metadata, n: std::fs::Metadata| m.dev() == n.dev() && m.ino() == n.ino();
    let here = file.metadata().ok()?;
    let leads_back =
        name.as_os_str().as_bytes().starts_with(b"/") && std::fs::metadata(&name).is_ok_and(|n| same(here, n));
    Some(if leads_back {
        Ok(name)
    } else {
        std::fs::canonicalize(path)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_realpath() {
        let dir = std::env::temp_dir().join(format!("a64x-realpath-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join("a/b/file"), b"x").unwrap();
        std::os::unix::fs::symlink("a/b", dir.join("link")).unwrap();
        std::os::unix::fs::symlink("../b/file", dir.join("a/b/rel")).unwrap();
        std::os::unix::fs::symlink("nowhere", dir.join("dangling")).unwrap();
        for p in [
            dir.join("a/b/file"),
            dir.join("link/file"),
            dir.join("link/../b/./rel"),
            dir.join("a/b"),
            dir.join("link"),
            PathBuf::from("/proc/self/exe"),
            PathBuf::from("."),
        ] {
            assert_eq!(
                canonicalize(&p).unwrap(),
                std::fs::canonicalize(&p).unwrap(),
                "{}",
                p.display()
            );
        }
        for p in [dir.join("dangling"), dir.join("a/missing"), dir.join("a/b/file/x")] {
            assert!(canonicalize(&p).is_err(), "{}", p.display());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_memfd_has_no_path() {
        // SAFETY: a NUL-terminated name; the descriptor is closed below.
        let fd = unsafe { libc::memfd_create(c"a64x-test".as_ptr(), libc::MFD_CLOEXEC) };
        assert!(fd >= 0);
        let link = PathBuf::from(format!("/proc/self/fd/{fd}"));
        assert_eq!(canonicalize(&link).is_err(), std::fs::canonicalize(&link).is_err());
        // SAFETY: ours.
        unsafe { libc::close(fd) };
    }
}
