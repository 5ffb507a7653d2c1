//! Loader, the ELF interpreter: which sysroot a program gets and where the dynamic loader named by
//! PT_INTERP is found in it (the sysroot first, then the host, as qemu-user's `-L` does; the kernel
//! itself simply opens the path, fs/binfmt_elf.c `load_elf_binary`).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// The sysroot used for dynamically linked programs when none is given: where Debian's
/// `libc6-arm64-cross` installs the AArch64 glibc (`lib/ld-linux-aarch64.so.1`, `lib/libc.so.6`).
pub const DEFAULT_SYSROOT: &str = "/usr/aarch64-linux-gnu";

/// The sysroot of a program: `given` (`-L` / `A64X_LD_PREFIX`) when set and non-empty; otherwise,
/// for a dynamically linked program, [`DEFAULT_SYSROOT`] when that directory exists. A static
/// program without `-L` gets none: it loads no libraries, so its view of the file system is left
/// exactly the host's.
pub(crate) fn sysroot_for(given: Option<&Path>, dynamic: bool) -> Option<PathBuf> {
    match given.filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => Some(p.to_path_buf()),
        None if dynamic && Path::new(DEFAULT_SYSROOT).is_dir() => Some(PathBuf::from(DEFAULT_SYSROOT)),
        None => None,
    }
}

/// Absolute guest path `guest` inside `root`: `root` followed by the components of `guest` after
/// its leading `/` (`Path::join` would instead replace `root` by the absolute path).
pub(crate) fn under_root(root: &Path, guest: &Path) -> PathBuf {
    let mut p = root.to_path_buf();
    p.extend(guest.components().filter(|c| !matches!(c, Component::RootDir)));
    p
}

/// The host paths tried for interpreter `interp`, in order: inside `sysroot` (absolute names only),
/// then the name itself (relative names are opened relative to the working directory, as the
/// kernel does).
pub(crate) fn candidates(interp: &[u8], sysroot: Option<&Path>) -> Vec<PathBuf> {
    let name = Path::new(OsStr::from_bytes(interp));
    let mut v = Vec::with_capacity(2);
    if let Some(root) = sysroot.filter(|_| name.is_absolute()) {
        v.push(under_root(root, name));
    }
    v.push(name.to_path_buf());
    v
}

/// The first of [`candidates`] that is a regular file (symlinks followed), or all of them if none.
pub(crate) fn find(interp: &[u8], sysroot: Option<&Path>) -> Result<PathBuf, Vec<PathBuf>> {
    let tried = candidates(interp, sysroot);
    match tried.iter().find(|p| p.is_file()) {
        Some(p) => Ok(p.clone()),
        None => Err(tried),
    }
}
