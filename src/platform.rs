//! The services the translator asks of the VM (`a64x_translator::platform`), on Linux: code
//! memory as two views of one memfd (read+execute to run, read+write elsewhere to write: no
//! mapping is ever writable and executable), execution counters mapped next to the code, and
//! CLOCK_MONOTONIC for CNTVCT_EL0, and the debug log (stderr or `-D`'s file). [`install`] hands them to the translator at start-up.

use a64x_translator::platform::{CodeMemory, Platform};
use std::fs::File;
use std::io::{self, Write};
use std::sync::{Mutex, OnceLock};

/// The file of `-D`, if given, kept from the guest (a descriptor it cannot see, close or write);
/// else the debug log goes to stderr.
static LOG_FILE: OnceLock<Mutex<a64x_syscalls::Reserved>> = OnceLock::new();

/// Send the debug log to `file` instead of stderr (once, at startup).
pub fn set_log_file(file: File) {
    use std::os::fd::IntoRawFd;
    let _ = LOG_FILE.set(Mutex::new(a64x_syscalls::keep_from_guest(file.into_raw_fd())));
}

/// Send the debug log (and `--stats`) to a copy of the VM's stderr kept from the guest: a guest
/// may close its stderr (`ls` does at exit) or open a file that takes descriptor 2, and what the
/// VM prints at the guest's exit was then lost or written into the guest's file. Nothing is
/// done when stderr is not open.
pub fn log_to_a_copy_of_stderr() {
    // SAFETY: F_DUPFD_CLOEXEC takes no pointer; the copy is ours.
    let copy = unsafe { libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 3) };
    if copy >= 0 {
        let _ = LOG_FILE.set(Mutex::new(a64x_syscalls::keep_from_guest(copy)));
    }
}

/// Write `text` where the debug log goes.
pub fn log(text: &str) {
    LINUX.log(text);
}

/// The Linux implementation.
pub struct Linux;

/// The one instance.
pub static LINUX: Linux = Linux;

/// Give the translator the VM's services; before the first code cache.
pub fn install() {
    a64x_translator::platform::install(&LINUX);
}

fn last_error(what: &str) -> io::Error {
    io::Error::other(format!("{what}: {}", io::Error::last_os_error()))
}

/// A new mapping of `size` bytes chosen by the kernel.
fn map(size: usize, prot: i32, flags: i32, fd: i32) -> io::Result<*mut u8> {
    // SAFETY: a new mapping chosen by the kernel; checked for MAP_FAILED.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), size, prot, flags | libc::MAP_NORESERVE, fd, 0) };
    if p == libc::MAP_FAILED {
        Err(io::Error::last_os_error())
    } else {
        Ok(p as *mut u8)
    }
}

/// Seal the code memfd once both views are mapped: no new writable mapping, no `write()`, no
/// size change, whoever holds it. The guest cannot name the descriptor (it is closed right
/// after), but a privileged guest could reopen the file through `/proc/<pid>/map_files/` of a
/// path that does not look like /proc (another mount of proc); with the seal, what it opens
/// cannot change the code. The existing write view keeps working (F_SEAL_FUTURE_WRITE leaves
/// mappings made before it alone). Best effort: kernels before 5.1 lack the seal.
fn seal(fd: i32) {
    let seals = libc::F_SEAL_FUTURE_WRITE | libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL;
    // SAFETY: F_ADD_SEALS takes no pointer.
    unsafe { libc::fcntl(fd, libc::F_ADD_SEALS, seals) };
}

/// A memfd of `size` bytes, or None where memfds are missing.
fn memfd(size: usize) -> Option<i32> {
    // SAFETY: a NUL-terminated name.
    let fd = unsafe { libc::memfd_create(c"a64x-code".as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING) };
    if fd < 0 {
        return None;
    }
    // SAFETY: `fd` is ours.
    if unsafe { libc::ftruncate(fd, size as libc::off_t) } != 0 {
        // SAFETY: as above.
        unsafe { libc::close(fd) };
        return None;
    }
    Some(fd)
}

impl Platform for Linux {
    fn map_code(&self, size: usize) -> io::Result<CodeMemory> {
        let Some(fd) = memfd(size) else {
            let rwx = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
            let m = map(size, rwx, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1)?;
            return Ok(CodeMemory {
                exec: m,
                write: m,
                size,
            });
        };
        let views = map(size, libc::PROT_READ | libc::PROT_EXEC, libc::MAP_SHARED, fd)
            .and_then(|x| map(size, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_SHARED, fd).map(|w| (x, w)));
        seal(fd);
        // SAFETY: the mappings hold their own references to the memory.
        unsafe { libc::close(fd) };
        let (exec, write) = views?;
        Ok(CodeMemory { exec, write, size })
    }

    fn unmap_code(&self, mem: CodeMemory) {
        // SAFETY: the regions `map_code` mapped, no longer used.
        unsafe {
            libc::munmap(mem.exec as *mut libc::c_void, mem.size);
            if mem.write != mem.exec {
                libc::munmap(mem.write as *mut libc::c_void, mem.size);
            }
        }
    }

    fn unshare_code(&self, mem: CodeMemory, used: usize) -> io::Result<()> {
        if mem.write == mem.exec {
            return Ok(()); // a private mapping: the fork copied it
        }
        let fd = memfd(mem.size).ok_or_else(|| last_error("memfd_create"))?;
        let shared = libc::MAP_SHARED | libc::MAP_NORESERVE;
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        // SAFETY: a new mapping of our memfd, checked; the copy stays within `used` bytes of
        // both (the old write view is still mapped); the MAP_FIXED mappings replace exactly the
        // cache's two views, which only the calling thread uses.
        let r = unsafe {
            let tmp = map(mem.size, rw, libc::MAP_SHARED, fd);
            match tmp {
                Err(e) => Err(e),
                Ok(tmp) => {
                    std::ptr::copy_nonoverlapping(mem.write, tmp, used);
                    libc::munmap(tmp as *mut libc::c_void, mem.size);
                    let fixed = shared | libc::MAP_FIXED;
                    let x = libc::PROT_READ | libc::PROT_EXEC;
                    if libc::mmap(mem.exec as *mut libc::c_void, mem.size, x, fixed, fd, 0) == libc::MAP_FAILED
                        || libc::mmap(mem.write as *mut libc::c_void, mem.size, rw, fixed, fd, 0) == libc::MAP_FAILED
                    {
                        Err(last_error("mmap"))
                    } else {
                        Ok(())
                    }
                }
            }
        };
        seal(fd);
        // SAFETY: ours; the mappings keep the memory.
        unsafe { libc::close(fd) };
        r
    }

    fn unmap_near(&self, p: *mut u8, len: usize) {
        // SAFETY: a mapping `map_near` made, which its owner no longer uses.
        unsafe { libc::munmap(p as *mut libc::c_void, len) };
    }

    fn map_near(&self, near: u64, near_len: usize, len: usize, reach: u64) -> Option<*mut u8> {
        let end = near + near_len as u64;
        let within = |p: u64| p.abs_diff(end).max((p + len as u64).abs_diff(near)) < reach;
        // Right after, right before, or wherever the kernel puts it (mappings are placed
        // top-down, next to the newest ones, so usually close by).
        let map = |hint: u64, fixed: libc::c_int| -> Option<*mut u8> {
            // SAFETY: a new anonymous mapping; MAP_FIXED_NOREPLACE never replaces anything.
            let p = unsafe {
                libc::mmap(
                    hint as *mut libc::c_void,
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | fixed,
                    -1,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                return None;
            }
            if within(p as u64) {
                return Some(p as *mut u8);
            }
            // SAFETY: the mapping made just above.
            unsafe { libc::munmap(p, len) };
            None
        };
        let tries = [
            (end, libc::MAP_FIXED_NOREPLACE),
            (near.wrapping_sub(len as u64), libc::MAP_FIXED_NOREPLACE),
            (0, 0),
        ];
        if let Some(p) = tries.into_iter().find_map(|(hint, fixed)| map(hint, fixed)) {
            return Some(p);
        }
        // Else the first free place within reach, stepping away from the range on both sides:
        // the kernel's own choice is the highest hole, which for a thread's code cache, placed
        // between other threads' caches, was gigabytes away (one of a Node run's nine caches
        // had no countdowns, so its thread made every block an optimised translation and
        // placed no quick one from the persistent cache).
        const STEP: u64 = 16 << 20;
        (1..reach / STEP).find_map(|i| {
            let after = end.checked_add(i * STEP);
            let before = near.checked_sub(len as u64 + i * STEP);
            [after, before]
                .into_iter()
                .flatten()
                .find_map(|hint| map(hint, libc::MAP_FIXED_NOREPLACE))
        })
    }

    fn prepare_code(&self, mem: CodeMemory, offset: usize, len: usize) {
        // (A range inside the code cache's mappings; MADV_POPULATE_* only fault pages in: an
        // error, e.g. on a kernel older than 5.14, leaves them to fault later.)
        let populate = |view: *mut u8, advice: libc::c_int| crate::prefault::Advice {
            start: view as usize + offset,
            len,
            advice,
        };
        let write = populate(mem.write, libc::MADV_POPULATE_WRITE);
        if mem.exec != mem.write {
            crate::prefault::advise(&[write, populate(mem.exec, libc::MADV_POPULATE_READ)]);
        } else {
            crate::prefault::advise(&[write]);
        }
    }

    fn prepare_ahead(&self) -> usize {
        // The helper backs the next step while the translating thread writes this much code.
        if crate::prefault::threaded() {
            256 << 10
        } else {
            0
        }
    }

    fn heap_ahead(&self, bytes: usize) {
        crate::hugealloc::populate_heap(bytes);
    }

    fn log(&self, text: &str) {
        match LOG_FILE.get() {
            Some(f) => {
                let f = f.lock().unwrap_or_else(|e| e.into_inner());
                let _ = f.write_all(text.as_bytes());
            }
            None => {
                let _ = io::stderr().lock().write_all(text.as_bytes());
            }
        }
    }

    fn random(&self) -> u64 {
        let mut v = [0u8; 8];
        crate::loader::fill_random(&mut v);
        u64::from_ne_bytes(v)
    }

    fn now_ns(&self) -> u64 {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes the timespec we own.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The permissions /proc/self/maps shows for the mapping containing `addr`.
    fn perms(addr: u64) -> String {
        let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
        maps.lines()
            .find_map(|l| {
                let mut w = l.split_whitespace();
                let (range, perms) = (w.next()?, w.next()?);
                let (s, e) = range.split_once('-')?;
                let (s, e) = (u64::from_str_radix(s, 16).ok()?, u64::from_str_radix(e, 16).ok()?);
                (s <= addr && addr < e).then(|| perms.to_string())
            })
            .expect("a mapping")
    }

    #[test]
    fn code_is_never_writable_where_it_runs() {
        let mem = LINUX.map_code(1 << 20).expect("code memory");
        assert_eq!(perms(mem.exec as u64), "r-xs", "code runs from a read+execute mapping");
        assert_eq!(perms(mem.write as u64), "rw-s", "and is written through another");
        // SAFETY: the write view is ours; the byte shows through the other view.
        unsafe { mem.write.add(100).write(0xc3) };
        assert_eq!(unsafe { mem.exec.add(100).read() }, 0xc3);
        LINUX.unmap_code(mem);
    }

    #[test]
    fn counters_are_within_reach_of_the_code() {
        let mem = LINUX.map_code(1 << 20).expect("code memory");
        let reach = (1 << 31) - (1 << 20);
        let p = LINUX
            .map_near(mem.exec as u64, mem.size, 8 << 20, reach)
            .expect("a place");
        assert!((p as u64).abs_diff(mem.exec as u64) < reach);
        LINUX.unmap_code(mem);
    }

    /// An anonymous mapping of `len` bytes at exactly `at` (the test's own layout).
    fn map_at(at: u64, len: usize) -> *mut libc::c_void {
        // SAFETY: a new mapping where nothing is (MAP_FIXED_NOREPLACE).
        let p = unsafe {
            libc::mmap(
                at as *mut libc::c_void,
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
        };
        assert_eq!(p as u64, at, "the test's layout at {at:#x}");
        p
    }

    /// A range with its neighbours on both sides taken, far below where the kernel places new
    /// mappings (top-down, near the newest ones): the counters still go within reach (they went
    /// to the kernel's choice, gigabytes away, and a thread's cache got no countdowns).
    #[test]
    fn counters_find_a_place_within_reach_when_the_neighbours_are_taken() {
        let (near, near_len, len) = (0x100_0000_0000u64, 64usize << 20, 8usize << 20);
        let reach = (1 << 31) - (1 << 20);
        let taken = [
            (near, near_len),
            (near + near_len as u64, 40 << 20),
            (near - (40 << 20), 40 << 20),
        ];
        let maps: Vec<_> = taken.iter().map(|&(at, l)| (map_at(at, l), l)).collect();
        let p = LINUX
            .map_near(near, near_len, len, reach)
            .expect("a place within reach") as u64;
        assert!(p.abs_diff(near + near_len as u64) < reach && (p + len as u64).abs_diff(near) < reach);
        assert!(taken.iter().all(|&(at, l)| p + len as u64 <= at || p >= at + l as u64));
        LINUX.unmap_near(p as *mut u8, len);
        // SAFETY: the test's own mappings.
        maps.into_iter().for_each(|(m, l)| unsafe { _ = libc::munmap(m, l) });
    }
}
