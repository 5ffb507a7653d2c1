//! Pages made ready ahead of use (`MADV_POPULATE_*`) by a thread of the VM's, once the guest
//! runs threads of its own.
//!
//! The VM backs memory it is about to fill with pages in bulk: the next step of a thread's code
//! cache, the heap where the records of the next few thousand translations go
//! (`platform::Linux::prepare_code`, `hugealloc::populate_heap`). Done by the translating
//! thread, that is time on its path: 2.5% of Node's main thread, the path of its start, was in
//! those madvise calls (the kernel allocating and clearing the pages). In a process of several
//! threads the requests go to a thread of the VM's instead, which makes them while the asking
//! thread goes on; where the asking thread gets to a page first, it takes the page fault itself,
//! as it would without the request. A process of one thread makes them itself: a second thread
//! would do the same work, on CPU time that short single-threaded programs (whose CPU time is
//! what their starts are measured by) would pay for starting it.
//!
//! The helper is a plain pthread with every signal blocked (no guest handler runs on it), started
//! at the first request once the guest has a second thread, and ended when it is back to one
//! ([`single_threaded`]): a program of one thread sees no host thread it did not make. A fork
//! child has none until its guest starts threads. A request that cannot be queued (the queue
//! full, its lock taken, the helper ending) is made at once by the asking thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

/// An advice for a range: start, length, `MADV_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advice {
    pub start: usize,
    pub len: usize,
    pub advice: libc::c_int,
}

impl Advice {
    fn give(self) {
        // SAFETY: the callers pass ranges of mappings of the VM's own and only populate advice,
        // which faults pages in without changing what they hold; a range unmapped meanwhile
        // makes madvise fail (ENOMEM), which changes nothing.
        unsafe { libc::madvise(self.start as *mut libc::c_void, self.len, self.advice) };
    }
}

/// Requests waiting for the helper, and the helper's state.
struct Queue {
    pending: Vec<Advice>,
    /// The process whose helper serves the queue (0: none runs; a fork child's queue names its
    /// parent, whose helper it does not have).
    pid: libc::pid_t,
    /// The helper is to end once the queue is empty.
    stop: bool,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    pending: Vec::new(),
    pid: 0,
    stop: false,
});
/// Wakes the helper: requests, or `stop`.
static WAKE: Condvar = Condvar::new();
/// The helper ended.
static ENDED: Condvar = Condvar::new();

/// Whether the guest runs several threads (requests go to the helper then). Cleared with the
/// queue's lock held, so that no request starts a helper after [`single_threaded`] ended it.
static THREADED: AtomicBool = AtomicBool::new(false);

/// Requests queued at most; more are made by the asking thread.
const MAX_PENDING: usize = 64;

/// The guest started a thread of its own: later requests go to the helper.
pub fn threads_started() {
    THREADED.store(true, Ordering::Relaxed);
}

/// The guest runs one thread again (the others ended): the helper, if any, makes what is queued
/// and ends before this returns, so that the process has no host thread the guest did not make
/// (a single-threaded program may count them, or call what the kernel refuses to a process of
/// several threads, unshare(CLONE_NEWUSER); an exec in place waits for the others to end).
pub fn single_threaded() {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    let mut q = lock();
    THREADED.store(false, Ordering::Relaxed);
    if q.pid != pid {
        return;
    }
    q.stop = true;
    WAKE.notify_all();
    while q.pid == pid {
        q = ENDED.wait(q).unwrap_or_else(|e| e.into_inner());
    }
}

/// The queue's lock, held across a fork's host clone (`SyscallContext::with_fork_locks`), so
/// that the child does not find it taken by a thread it does not have.
pub struct ForkGuard(#[allow(dead_code)] MutexGuard<'static, Queue>);

/// See [`ForkGuard`].
pub fn fork_guard() -> ForkGuard {
    ForkGuard(lock())
}

/// In a fork child: one guest thread, and no helper.
pub fn forked() {
    let mut q = lock();
    THREADED.store(false, Ordering::Relaxed);
    q.pending.clear();
    q.pid = 0;
    q.stop = false;
}

/// Whether requests go to the helper (see [`threads_started`]).
pub fn threaded() -> bool {
    THREADED.load(Ordering::Relaxed)
}

/// Give `advice`, now or (in a process of several threads) by the helper, soon.
pub fn advise(advice: &[Advice]) {
    if threaded() && queue(advice) {
        return;
    }
    advice.iter().for_each(|a| a.give());
}

/// Queue `advice` for the helper (started if this process has none): false if it was not.
fn queue(advice: &[Advice]) -> bool {
    let Ok(mut q) = QUEUE.try_lock() else {
        return false;
    };
    if !THREADED.load(Ordering::Relaxed) || q.stop || q.pending.len() + advice.len() > MAX_PENDING {
        return false;
    }
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    if q.pid != pid {
        q.pending.clear();
        if !start_helper() {
            return false;
        }
        q.pid = pid;
    }
    q.pending.extend_from_slice(advice);
    drop(q);
    WAKE.notify_one();
    true
}

fn lock() -> MutexGuard<'static, Queue> {
    QUEUE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Start the helper thread, every signal blocked: false if it could not be.
fn start_helper() -> bool {
    crate::signal::host::with_all_blocked(|| crate::thread::spawn_host_thread(Box::new(serve)).is_ok())
}

/// The helper: give the advice queued, as it comes, until asked to stop with none left.
fn serve() {
    let mut q = lock();
    loop {
        if !q.pending.is_empty() {
            let batch = std::mem::take(&mut q.pending);
            drop(q);
            batch.iter().for_each(|a| a.give());
            q = lock();
        } else if q.stop {
            q.pid = 0;
            q.stop = false;
            ENDED.notify_all();
            return;
        } else {
            q = WAKE.wait(q).unwrap_or_else(|e| e.into_inner());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resident pages of `len` bytes at `p` (mincore).
    fn resident(p: *mut u8, len: usize) -> usize {
        let mut v = vec![0u8; len / 4096];
        // SAFETY: `p` is a mapping of `len` bytes; `v` has a byte per page.
        unsafe { libc::mincore(p.cast(), len, v.as_mut_ptr()) };
        v.iter().filter(|&&b| b & 1 != 0).count()
    }

    #[test]
    fn the_helper_gives_advice_while_the_guest_has_threads_and_ends_after() {
        const LEN: usize = 64 << 10;
        // SAFETY: fresh anonymous mappings, unmapped below.
        let map = || unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            ) as *mut u8
        };
        let (a, b) = (map(), map());
        let populate = |p: *mut u8| Advice {
            start: p as usize,
            len: LEN,
            advice: libc::MADV_POPULATE_WRITE,
        };
        assert_eq!(resident(a, LEN), 0);
        threads_started();
        advise(&[populate(a)]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while resident(a, LEN) < LEN / 4096 {
            assert!(std::time::Instant::now() < deadline, "the helper never gave the advice");
            std::thread::yield_now();
        }
        // SAFETY: getpid has no preconditions.
        let pid = unsafe { libc::getpid() };
        assert_eq!(lock().pid, pid, "a helper serves this process");
        single_threaded();
        assert_eq!(lock().pid, 0, "the helper ended");
        assert_eq!(resident(b, LEN), 0);
        advise(&[populate(b)]);
        assert_eq!(resident(b, LEN), LEN / 4096, "given at once with one guest thread");
        // SAFETY: the mappings made above.
        unsafe {
            libc::munmap(a.cast(), LEN);
            libc::munmap(b.cast(), LEN);
        }
    }
}
