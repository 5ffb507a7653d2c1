//! A platform for the translator's own tests (the VM's is `src/platform.rs`): one
//! read+write+execute mapping for code, counters wherever they fit within reach, and
//! `Instant` for the clock.

use a64x_translator::platform::{CodeMemory, Platform};

struct TestPlatform;

static TEST_PLATFORM: TestPlatform = TestPlatform;

/// Install the test platform (harmless when already installed).
pub fn install() {
    a64x_translator::platform::install(&TEST_PLATFORM);
}

fn map(hint: u64, len: usize, prot: i32, extra: i32) -> Option<*mut u8> {
    // SAFETY: a new anonymous mapping; MAP_FIXED_NOREPLACE never replaces anything.
    let p = unsafe {
        libc::mmap(
            hint as *mut libc::c_void,
            len,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | extra,
            -1,
            0,
        )
    };
    (p != libc::MAP_FAILED).then_some(p as *mut u8)
}

impl Platform for TestPlatform {
    fn map_code(&self, size: usize) -> std::io::Result<CodeMemory> {
        let rwx = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
        let m = map(0, size, rwx, 0).ok_or_else(std::io::Error::last_os_error)?;
        Ok(CodeMemory {
            exec: m,
            write: m,
            size,
        })
    }

    fn unmap_code(&self, mem: CodeMemory) {
        // SAFETY: the mapping `map_code` made.
        unsafe { libc::munmap(mem.exec as *mut libc::c_void, mem.size) };
    }

    fn unshare_code(&self, _mem: CodeMemory, _used: usize) -> std::io::Result<()> {
        Ok(()) // a private mapping: a fork copies it
    }

    fn map_near(&self, near: u64, near_len: usize, len: usize, reach: u64) -> Option<*mut u8> {
        let end = near + near_len as u64;
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        let within = |p: u64| p.abs_diff(end).max((p + len as u64).abs_diff(near)) < reach;
        // Right after the code, right before it, then further along: tests run side by side, so
        // the places next to one cache are often another's. Last, wherever the kernel puts it.
        let fixed = (0..16u64)
            .flat_map(|i| [end + i * len as u64, near.wrapping_sub((i + 1) * len as u64)])
            .map(|hint| (hint, libc::MAP_FIXED_NOREPLACE));
        for (hint, extra) in fixed.chain([(0, 0)]) {
            let Some(p) = map(hint, len, rw, extra) else { continue };
            if within(p as u64) {
                return Some(p);
            }
            self.unmap_near(p, len);
        }
        None
    }

    fn prepare_code(&self, mem: CodeMemory, offset: usize, len: usize) {
        // What the VM's platform hands madvise, which refuses a start off a page boundary.
        assert_eq!(offset % 4096, 0, "code memory backed from offset {offset:#x}");
        assert!(offset + len <= mem.size, "code memory backed past its end");
    }

    fn unmap_near(&self, p: *mut u8, len: usize) {
        // SAFETY: a mapping `map_near` made.
        unsafe { libc::munmap(p as *mut libc::c_void, len) };
    }

    fn log(&self, text: &str) {
        eprint!("{text}");
    }

    fn random(&self) -> u64 {
        let mut v = 0u64;
        // SAFETY: getrandom writes at most 8 bytes into `v`.
        unsafe { libc::getrandom((&mut v as *mut u64).cast(), 8, 0) };
        v
    }

    fn now_ns(&self) -> u64 {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START.get_or_init(std::time::Instant::now).elapsed().as_nanos() as u64
    }
}
