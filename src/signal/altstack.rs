//! The host stack the VM's signal handler runs on.
//!
//! The handler is installed with `SA_ONSTACK`, and the first fault of translated code in a block
//! lifts and lowers that block again to find the faulting instruction's state
//! (`CodeCache::fault_site`): tens of kilobytes of stack. Rust gives the main thread an
//! alternate stack of `SIGSTKSZ` (8 KiB), and on a host with AVX-512 the kernel's signal frame
//! alone takes 3.5 KiB of it, so a guest fault in a large block overflowed into the guard page
//! and killed the VM (`sig_segv` under a64x on such a host). Each guest thread's host thread runs
//! its handler on a stack of its own of [`BYTES`] instead, mapped without reserve so that only
//! the pages a handler touches cost memory.

/// Size of the stack (plus a guard page below it).
const BYTES: usize = 1 << 20;

const PAGE: usize = 4096;

/// This host thread's alternate signal stack while it is alive; the one it replaced comes back
/// when it is dropped.
pub struct AltStack {
    map: *mut libc::c_void,
    old: libc::stack_t,
}

impl AltStack {
    /// Install a new alternate stack for this host thread. None if the mapping fails (the
    /// thread keeps whatever stack it had).
    pub fn install() -> Option<AltStack> {
        let len = BYTES + PAGE;
        // SAFETY: a new private anonymous mapping; its lowest page is made inaccessible as a
        // guard before the stack is installed.
        let map = unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                return None;
            }
            libc::mprotect(p, PAGE, libc::PROT_NONE);
            p
        };
        let new = libc::stack_t {
            ss_sp: (map as usize + PAGE) as *mut libc::c_void,
            ss_flags: 0,
            ss_size: BYTES,
        };
        // SAFETY: a zeroed stack_t is valid to be filled in by sigaltstack.
        let mut old: libc::stack_t = unsafe { std::mem::zeroed() };
        // SAFETY: both stack_t are valid; the new stack is the mapping above.
        if unsafe { libc::sigaltstack(&new, &mut old) } != 0 {
            // SAFETY: the mapping above, not in use.
            unsafe { libc::munmap(map, len) };
            return None;
        }
        Some(AltStack { map, old })
    }
}

impl Drop for AltStack {
    fn drop(&mut self) {
        // SAFETY: puts back the stack this thread had (or none); the mapping is then unused (the
        // thread is not in a handler: the run loop it served has returned).
        unsafe {
            let mut old = self.old;
            old.ss_flags &= !libc::SS_ONSTACK;
            libc::sigaltstack(&old, std::ptr::null_mut());
            libc::munmap(self.map, BYTES + PAGE);
        }
    }
}
