//! The perf map file (`--perfmap`): `/tmp/perf-PID.map`, one `START SIZE name` line (hex, no
//! `0x`) per translated block, the format perf reads for JIT code it finds no ELF file for
//! (tools/perf/Documentation/jit-interface.txt). Lines are written as blocks are translated, one
//! `write` each, so that the file is complete even when the guest dies by a signal the host
//! kernel carries out; next to the cost of translating a block, the system call is noise.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

/// An open perf map of one process.
pub struct PerfMap {
    file: File,
    /// The process the file is named after.
    pid: i32,
}

fn path_of(pid: i32) -> PathBuf {
    PathBuf::from(format!("/tmp/perf-{pid}.map"))
}

impl PerfMap {
    /// Create (truncate) the map of process `pid`: a stale file of an earlier process with the
    /// same pid would name the wrong code.
    pub fn create(pid: i32) -> Result<PerfMap, String> {
        let path = path_of(pid);
        let file = File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(PerfMap { file, pid })
    }

    /// Record the block at host `start`, `size` bytes long, as `name`.
    pub fn add(&mut self, start: u64, size: u64, name: &str) {
        self.follow_fork();
        // perf splits the line at the first two spaces: the name may contain anything but '\n'.
        let line = format!("{start:x} {size:x} {name}\n");
        // A full /tmp loses perf its names, not the guest its run: errors are ignored.
        let _ = self.file.write_all(line.as_bytes());
    }

    /// Flush at exit (lines are written at once; this is for a file system that buffers).
    pub fn flush(&mut self) {
        let _ = self.file.flush();
    }

    /// In a forked child (another pid), start the child's own map as a copy of the parent's: the
    /// child's code cache is a copy of the parent's, at the same addresses.
    fn follow_fork(&mut self) {
        // SAFETY: getpid has no preconditions.
        let pid = unsafe { libc::getpid() };
        if pid == self.pid {
            return;
        }
        let path = path_of(pid);
        if std::fs::copy(path_of(self.pid), &path).is_err() {
            let _ = File::create(&path);
        }
        if let Ok(f) = std::fs::OpenOptions::new().append(true).open(&path) {
            self.file = f;
        }
        self.pid = pid;
    }
}
