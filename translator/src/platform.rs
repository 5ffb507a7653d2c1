//! What the translator needs from the VM it runs in, and nothing it does itself: memory for
//! translated code (two views of the same pages, one to run and one to write: W^X), memory
//! for execution counters within reach of the code, the clock behind CNTVCT_EL0 and the debug
//! log. The VM
//! installs its implementation once, before anything is translated ([`install`]); the
//! translator crate makes no system call of its own.

use std::sync::OnceLock;

/// Code memory: `size` bytes seen at `exec` (read+execute) and at `write` (read+write). Where
/// the host cannot map one memory twice, `write == exec` (one read+write+execute mapping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeMemory {
    /// Where the code runs.
    pub exec: *mut u8,
    /// Where it is written.
    pub write: *mut u8,
    /// Bytes.
    pub size: usize,
}

// SAFETY: plain addresses of memory the owning code cache manages.
unsafe impl Send for CodeMemory {}

/// The services of the VM.
pub trait Platform: Sync {
    /// New code memory of `size` bytes, zeroed.
    fn map_code(&self, size: usize) -> std::io::Result<CodeMemory>;
    /// Release `mem`.
    fn unmap_code(&self, mem: CodeMemory);
    /// In the child of a fork: give this process its own copy of `mem` (its first `used` bytes
    /// matter) at the same addresses; the fork shares the pages of a two-view mapping.
    fn unshare_code(&self, mem: CodeMemory, used: usize) -> std::io::Result<()>;
    /// `len` bytes of zeroed read+write memory all within `reach` bytes of every address of
    /// `[near, near + near_len)` (rip-relative displacements from the code), if such a place is
    /// free. Released only by [`Platform::unmap_near`]: a profile's counts are read after the
    /// code is gone.
    fn map_near(&self, near: u64, near_len: usize, len: usize, reach: u64) -> Option<*mut u8>;
    /// Release the `len` bytes at `p` that [`Platform::map_near`] gave.
    fn unmap_near(&self, p: *mut u8, len: usize);
    /// Monotonic nanoseconds (CNTVCT_EL0 counts at 1 GHz).
    fn now_ns(&self) -> u64;
    /// 64 random bits from the host's generator (RNDR, RNDRRS).
    fn random(&self) -> u64;
    /// Append `text` to the debug log (`-d`), in one piece.
    fn log(&self, text: &str);
    /// Back bytes `[offset, offset + len)` of `mem` with memory now, in both views: the code
    /// cache writes its next translations there. A hint (nothing if the host cannot): one call
    /// instead of a page fault per page in each view.
    fn prepare_code(&self, _mem: CodeMemory, _offset: usize, _len: usize) {}
    /// How far ahead of the code written to ask for the next step of [`Platform::prepare_code`]:
    /// 0 where it backs the memory at once; more where another thread does it meanwhile.
    fn prepare_ahead(&self) -> usize {
        0
    }
    /// The translator is about to keep about `bytes` more of small records on the VM's heap
    /// (the blocks it translates next): back that much with memory now, in one call rather than
    /// a page fault a page. A hint (nothing if the host cannot).
    fn heap_ahead(&self, _bytes: usize) {}
}

static PLATFORM: OnceLock<&'static dyn Platform> = OnceLock::new();

/// Install the VM's services (the first call wins; later ones are ignored, so tests may each
/// install the same one).
pub fn install(p: &'static dyn Platform) {
    let _ = PLATFORM.set(p);
}

/// The installed services.
///
/// # Panics
/// When none were installed: the VM installs them before it translates anything.
pub fn get() -> &'static dyn Platform {
    *PLATFORM
        .get()
        .expect("the VM installs its platform (a64x_translator::platform::install) first")
}

thread_local! {
    static DENSE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f`, whose large allocations will be written through from start to end: the VM's
/// allocator may back those with huge pages ([`dense_allocations`]). Large tables that grow
/// are not made here: after a growth most of a new table's pages are empty, and on a virtual
/// machine a huge page the kernel clears is often memory the hypervisor backs only then, up to
/// milliseconds each (Node's cold start: 164 MiB of huge pages, 10% of its CPU time clearing
/// them; 0.95x the wall time with only its dense buffers in huge pages).
pub fn dense<T>(f: impl FnOnce() -> T) -> T {
    let was = DENSE.replace(true);
    let r = f();
    DENSE.set(was);
    r
}

/// Whether this thread is inside [`dense`].
pub fn dense_allocations() -> bool {
    DENSE.get()
}
