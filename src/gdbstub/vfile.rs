//! gdb's host I/O packets (`vFile:open`, `pread`, `fstat`, `readlink`, `close`, `setfs`: the gdb
//! manual's "Host I/O Packets"), so that gdb reads the program and its libraries as the guest
//! sees them: an absolute path is looked up in the sysroot (`-L`) first, as the guest's own
//! opens are. Read-only: gdb needs nothing else, and nothing else is offered.

use super::packet::unhex;
use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The files gdb has open, by the numbers it was given.
#[derive(Default)]
pub struct Files {
    open: BTreeMap<i64, File>,
    next: i64,
}

/// gdb's errno values (the manual's "Errno Values").
const EBADF: i32 = 9;
const EACCES: i32 = 13;
const EINVAL: i32 = 22;

fn error(errno: i32) -> Vec<u8> {
    format!("F-1,{errno:x}").into_bytes()
}

/// Host errno to gdb's: the same numbers for those gdb knows; others are EUNKNOWN (9999).
fn gdb_errno(e: &std::io::Error) -> i32 {
    match e.raw_os_error() {
        Some(n @ (1 | 2 | 4 | 9 | 13 | 14 | 16 | 17 | 19 | 20 | 21 | 22 | 23 | 24 | 27 | 28 | 29 | 30)) => n,
        Some(libc::ENAMETOOLONG) => 91,
        _ => 9999,
    }
}

impl Files {
    /// The answer to a `vFile:` packet (`rest`: what follows `vFile:`).
    pub fn answer(&mut self, rest: &str, sysroot: Option<&Path>) -> Vec<u8> {
        let (op, args) = rest.split_once(':').unwrap_or((rest, ""));
        let nums: Vec<&str> = args.split(',').collect();
        let num = |i: usize| nums.get(i).and_then(|n| i64::from_str_radix(n, 16).ok());
        match op {
            "setfs" => b"F0".to_vec(),
            "open" => match (unhex(nums[0].as_bytes()), num(1)) {
                // Read-only opens only: O_RDONLY is 0 in gdb's flags.
                (Some(path), Some(0)) => self.open(&host_path(&path, sysroot)),
                (Some(_), Some(_)) => error(EACCES),
                _ => error(EINVAL),
            },
            "pread" => match (num(0), num(1), num(2)) {
                (Some(fd), Some(count), Some(offset)) => self.pread(fd, count, offset),
                _ => error(EINVAL),
            },
            "fstat" => num(0).map_or_else(|| error(EINVAL), |fd| self.fstat(fd)),
            "close" => match num(0).and_then(|fd| self.open.remove(&fd)) {
                Some(_) => b"F0".to_vec(),
                None => error(EBADF),
            },
            "readlink" => match unhex(nums[0].as_bytes()) {
                Some(path) => match std::fs::read_link(host_path(&path, sysroot)) {
                    Ok(target) => {
                        let bytes = target.as_os_str().as_bytes();
                        let mut out = format!("F{:x};", bytes.len()).into_bytes();
                        out.extend_from_slice(bytes);
                        out
                    }
                    Err(e) => error(gdb_errno(&e)),
                },
                None => error(EINVAL),
            },
            _ => Vec::new(),
        }
    }

    fn open(&mut self, path: &Path) -> Vec<u8> {
        match File::open(path) {
            Ok(f) => {
                // The descriptor stays the VM's: moved high, refused to the guest.
                use std::os::fd::{FromRawFd, IntoRawFd};
                let fd = a64x_syscalls::keep_from_guest(f.into_raw_fd()).fd();
                // SAFETY: `fd` is the file just opened, now ours alone.
                let f = unsafe { File::from_raw_fd(fd) };
                self.next += 1;
                self.open.insert(self.next, f);
                format!("F{:x}", self.next).into_bytes()
            }
            Err(e) => error(gdb_errno(&e)),
        }
    }

    fn pread(&self, fd: i64, count: i64, offset: i64) -> Vec<u8> {
        let Some(f) = self.open.get(&fd) else {
            return error(EBADF);
        };
        let mut buf = vec![0u8; count.clamp(0, 0x4000) as usize];
        match f.read_at(&mut buf, offset.max(0) as u64) {
            Ok(n) => {
                let mut out = format!("F{n:x};").into_bytes();
                out.extend_from_slice(&buf[..n]);
                out
            }
            Err(e) => error(gdb_errno(&e)),
        }
    }

    /// `struct stat` in gdb's file-I/O layout: 32-bit dev, ino, mode, nlink, uid, gid, rdev;
    /// 64-bit size, blksize, blocks; 32-bit atime, mtime, ctime; all big-endian.
    fn fstat(&self, fd: i64) -> Vec<u8> {
        let Some(f) = self.open.get(&fd) else {
            return error(EBADF);
        };
        let m = match f.metadata() {
            Ok(m) => m,
            Err(e) => return error(gdb_errno(&e)),
        };
        let mut st = Vec::with_capacity(64);
        for v in [
            m.dev(),
            m.ino(),
            m.mode() as u64,
            m.nlink(),
            m.uid() as u64,
            m.gid() as u64,
            m.rdev(),
        ] {
            st.extend_from_slice(&(v as u32).to_be_bytes());
        }
        for v in [m.size(), m.blksize(), m.blocks()] {
            st.extend_from_slice(&v.to_be_bytes());
        }
        for v in [m.atime(), m.mtime(), m.ctime()] {
            st.extend_from_slice(&(v as u32).to_be_bytes());
        }
        let mut out = format!("F{:x};", st.len()).into_bytes();
        out.extend_from_slice(&st);
        out
    }
}

/// Where the guest's path `guest` leads on the host: into the sysroot when it is found there.
fn host_path(guest: &[u8], sysroot: Option<&Path>) -> PathBuf {
    let in_root = sysroot.and_then(|root| a64x_syscalls::path::in_sysroot(root, guest));
    match in_root {
        Some(c) => PathBuf::from(std::ffi::OsStr::from_bytes(c.as_bytes())),
        None => PathBuf::from(std::ffi::OsStr::from_bytes(guest)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gdbstub::packet::hex;

    #[test]
    fn open_pread_fstat_close_through_the_sysroot() {
        let root = std::env::temp_dir().join(format!("a64x-vfile-{}", std::process::id()));
        std::fs::create_dir_all(root.join("lib")).unwrap();
        std::fs::write(root.join("lib/libx.so"), b"0123456789").unwrap();
        let mut files = Files::default();
        let name = hex(b"/lib/libx.so");
        assert_eq!(files.answer(&format!("open:{name},0,0"), Some(&root)), b"F1");
        assert_eq!(files.answer("pread:1,4,3", Some(&root)), b"F4;3456");
        let st = files.answer("fstat:1", None);
        assert!(st.starts_with(b"F40;"));
        // st_size, big-endian, after seven 32-bit fields.
        assert_eq!(&st[4 + 28..4 + 36], &10u64.to_be_bytes());
        assert_eq!(files.answer("close:1", None), b"F0");
        assert_eq!(files.answer("pread:1,4,0", None), b"F-1,9");
        // Not in the sysroot: the host's file (here: none); writes are refused.
        assert_eq!(files.answer(&format!("open:{name},0,0"), None), b"F-1,2");
        assert_eq!(files.answer(&format!("open:{name},1,0"), Some(&root)), b"F-1,d");
        let _ = std::fs::remove_dir_all(&root);
    }
}
