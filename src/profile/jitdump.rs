//! The jitdump file (`--jitdump`): `DIR/jit-PID.dump` in the format of perf's
//! tools/perf/Documentation/jitdump-specification.txt, one JIT_CODE_LOAD record per translated
//! block with its name and host code, so that `perf record -k mono` + `perf inject --jit` turn
//! samples in translated code into samples of guest functions, with the host code annotated.
//!
//! perf finds the file through an MMAP event: the file is mapped (PROT_EXEC, as the spec asks)
//! once it is created. Timestamps are CLOCK_MONOTONIC, the clock of `perf record -k mono`.
//! Records are written as blocks are translated, one `write` each (see perfmap.rs for why).

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// "JiTD" (the spec's JITHEADER_MAGIC, written in host byte order).
const MAGIC: u32 = 0x4A69_5444;
const VERSION: u32 = 1;
/// EM_X86_64: the code in the records is host code.
const ELF_MACH_X86_64: u32 = 62;
/// Record id of JIT_CODE_LOAD.
const JIT_CODE_LOAD: u32 = 0;
/// Record id of JIT_CODE_CLOSE.
const JIT_CODE_CLOSE: u32 = 3;
/// Size of the file header.
const HEADER_SIZE: u32 = 40;

/// CLOCK_MONOTONIC in nanoseconds.
fn now() -> u64 {
    // SAFETY: all-zero is a valid timespec; clock_gettime writes only into it.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn gettid() -> u32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::syscall(libc::SYS_gettid) as u32 }
}

/// An open jitdump file of one process.
pub struct JitDump {
    file: File,
    dir: PathBuf,
    pid: i32,
    /// code_index of the next record: unique per load.
    index: u64,
}

/// The path of process `pid`'s file in `dir`.
pub fn path_of(dir: &Path, pid: i32) -> PathBuf {
    dir.join(format!("jit-{pid}.dump"))
}

impl JitDump {
    /// Create (truncate) `dir/jit-PID.dump`, write its header and map it for perf to see.
    pub fn create(dir: &Path, pid: i32) -> Result<JitDump, String> {
        let path = path_of(dir, pid);
        // Readable too: mmap needs it.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let mut j = JitDump {
            file,
            dir: dir.to_path_buf(),
            pid,
            index: 0,
        };
        j.start().map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(j)
    }

    /// The header, then the mapping that tells perf where the file is.
    fn start(&mut self) -> std::io::Result<()> {
        let mut h = Vec::with_capacity(HEADER_SIZE as usize);
        for w in [MAGIC, VERSION, HEADER_SIZE, ELF_MACH_X86_64, 0, self.pid as u32] {
            h.extend_from_slice(&w.to_ne_bytes());
        }
        h.extend_from_slice(&now().to_ne_bytes());
        h.extend_from_slice(&0u64.to_ne_bytes()); // flags
        self.file.write_all(&h)?;
        // SAFETY: a new private, read+exec mapping of one page of our own file; never accessed.
        let m = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_PRIVATE,
                self.file.as_raw_fd(),
                0,
            )
        };
        if m == libc::MAP_FAILED {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EACCES) {
                // A noexec file system: perf records the file only with `perf record -d` now.
                eprintln!(
                    "a64x: {} is on a noexec file system: perf sees the jitdump only with `perf record -d`",
                    self.dir.display()
                );
                return Ok(());
            }
            return Err(e);
        }
        Ok(())
    }

    /// Record the block of `code` at host `start` as `name`.
    pub fn add(&mut self, start: u64, code: &[u8], name: &str) {
        self.follow_fork();
        let name = name.replace('\0', "?");
        let size = 16 + 40 + name.len() + 1 + code.len();
        let mut r = Vec::with_capacity(size);
        r.extend_from_slice(&JIT_CODE_LOAD.to_ne_bytes());
        r.extend_from_slice(&(size as u32).to_ne_bytes());
        r.extend_from_slice(&now().to_ne_bytes());
        r.extend_from_slice(&(self.pid as u32).to_ne_bytes());
        r.extend_from_slice(&gettid().to_ne_bytes());
        r.extend_from_slice(&start.to_ne_bytes()); // vma
        r.extend_from_slice(&start.to_ne_bytes()); // code_addr
        r.extend_from_slice(&(code.len() as u64).to_ne_bytes());
        r.extend_from_slice(&self.index.to_ne_bytes());
        r.extend_from_slice(name.as_bytes());
        r.push(0);
        r.extend_from_slice(code);
        self.index += 1;
        // A full disk loses perf its names, not the guest its run: errors are ignored.
        let _ = self.file.write_all(&r);
    }

    /// At exit: the JIT_CODE_CLOSE record.
    pub fn close(&mut self) {
        if self.pid != Self::current_pid() {
            return;
        }
        let mut r = Vec::with_capacity(16);
        r.extend_from_slice(&JIT_CODE_CLOSE.to_ne_bytes());
        r.extend_from_slice(&16u32.to_ne_bytes());
        r.extend_from_slice(&now().to_ne_bytes());
        let _ = self.file.write_all(&r);
    }

    fn current_pid() -> i32 {
        // SAFETY: getpid has no preconditions.
        unsafe { libc::getpid() }
    }

    /// In a forked child, start the child's own file: its code cache is the parent's copy, but
    /// the parent's records carry the parent's pid, which perf would not match to the child.
    fn follow_fork(&mut self) {
        let pid = Self::current_pid();
        if pid == self.pid {
            return;
        }
        if let Ok(j) = JitDump::create(&self.dir, pid) {
            *self = j;
        }
    }
}
