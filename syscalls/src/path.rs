//! Guest path lookup in the sysroot, as qemu-user's `-L` does (util/path.c): an absolute guest
//! path that exists inside the sysroot names that file, any other path names the host's. This is
//! how the guest's dynamic loader finds the AArch64 libraries while the program still sees the
//! host's files everywhere else.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// First components never looked up in the sysroot: the kernel's views of processes, devices and
/// the system are the host's (and `/proc/self/...` must describe this very process).
const HOST_ONLY: [&[u8]; 3] = [b"proc", b"sys", b"dev"];

/// The host path for guest path `guest` when it must be looked up in `sysroot`: `guest` absolute,
/// not `/` itself, not under [`HOST_ONLY`], free of `..` (which could climb out of the sysroot),
/// and `sysroot` + `guest` existing (lstat: a dangling symlink there is still the sysroot's file).
/// None: use the guest's path unchanged.
pub fn in_sysroot(sysroot: &Path, guest: &[u8]) -> Option<CString> {
    if guest.first() != Some(&b'/') {
        return None;
    }
    let mut parts = guest.split(|&b| b == b'/').filter(|c| !c.is_empty() && *c != b".");
    let first = parts.next()?;
    if HOST_ONLY.contains(&first) || first == b".." || parts.any(|c| c == b"..") {
        return None;
    }
    let mut host = sysroot.as_os_str().as_bytes().to_vec();
    if host.is_empty() {
        return None;
    }
    // The guest path keeps its own slashes (a trailing one still means "must be a directory").
    host.extend_from_slice(guest);
    let host = CString::new(host).ok()?;
    // SAFETY: all-zero is a valid `struct stat`; lstat writes only into it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `host` is a NUL-terminated string we own.
    let exists = unsafe { libc::lstat(host.as_ptr(), &mut st) } == 0;
    exists.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::in_sysroot;
    use std::path::PathBuf;

    #[test]
    fn only_existing_absolute_paths_outside_proc_sys_dev_are_redirected() {
        let root = std::env::temp_dir().join(format!("a64x-path-{}", std::process::id()));
        for d in ["lib", "proc", "dev", "sys"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::write(root.join("lib/libc.so.6"), b"").unwrap();
        std::os::unix::fs::symlink("nowhere", root.join("lib/dangling")).unwrap();
        let host = |p: &str| in_sysroot(&root, p.as_bytes()).map(|c| PathBuf::from(c.to_str().unwrap()));
        assert_eq!(host("/lib/libc.so.6"), Some(root.join("lib/libc.so.6")));
        assert_eq!(
            host("//lib/./libc.so.6"),
            Some(PathBuf::from(format!("{}//lib/./libc.so.6", root.display())))
        );
        assert_eq!(
            host("/lib/dangling"),
            Some(root.join("lib/dangling")),
            "lstat, not stat"
        );
        assert_eq!(host("/lib/"), Some(PathBuf::from(format!("{}/lib/", root.display()))));
        assert_eq!(host("/lib/libm.so.6"), None, "missing: the host's");
        assert_eq!(host("lib/libc.so.6"), None, "relative: the host's");
        assert_eq!(host("/"), None);
        assert_eq!(host("/proc"), None);
        assert_eq!(host("/dev/null"), None);
        assert_eq!(host("/sys"), None);
        assert_eq!(host("/lib/../lib/libc.so.6"), None, "no climbing");
        assert_eq!(host("/../lib/libc.so.6"), None);
        assert_eq!(in_sysroot(std::path::Path::new(""), b"/lib"), None);
        let _ = std::fs::remove_dir_all(&root);
    }
}
