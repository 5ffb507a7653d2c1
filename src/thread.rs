//! Guest threads (kernel/fork.c `copy_process` with CLONE_THREAD, kernel/exit.c `do_exit`,
//! `mm_release`): each guest thread runs on its own host thread, with its own [`Vm`] — its own
//! CpuState, code cache, per-thread syscall state and signal state — sharing the address space
//! and the signal dispositions with the others.
//!
//! Per-thread code caches mean that translating, chaining (patching jumps) and the jump cache
//! never race. What must reach every thread's cache is invalidation (IC IVAU, munmap, mprotect):
//! [`invalidate_everywhere`] drops the range from the caller's cache at once and appends it to a
//! process-wide log with a generation number; every other thread applies the log at its next
//! return to the run loop ([`catch_up`]), which it is made to take soon by setting the `pending`
//! flag of its CpuState (emitted code polls it on backward edges, as for signals). A thread that
//! is inside a stale block at that moment finishes that block (or loop iteration) first.

use crate::run::{Ending, GuestExit, Vm};
use a64x_translator::cache::CodeCache;
use a64x_translator::cpu::CpuState;
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Host stack of each guest thread's host thread: the run loop and the translator, not the guest
/// (whose stack is guest memory).
const HOST_STACK: usize = 2 << 20;

/// Invalidations kept for threads that have not caught up yet; one further behind flushes.
const LOG_LEN: usize = 4096;

/// The invalidation log: (generation, start, end), oldest first.
static LOG: Mutex<VecDeque<(u64, u64, u64)>> = Mutex::new(VecDeque::new());

/// Generation of the newest entry of [`LOG`].
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The CpuStates of the live guest threads (as addresses), to kick them out of emitted code.
static THREADS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

thread_local! {
    /// The newest invalidation this host thread's code cache has seen.
    static SEEN: Cell<u64> = const { Cell::new(0) };
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Record `cpu` as a live guest thread's state (for the run loop at start).
pub fn register(cpu: *mut CpuState) {
    let mut t = lock(&THREADS);
    if !t.contains(&(cpu as usize)) {
        t.push(cpu as usize);
    }
}

/// Whether `cpu` is the state of the process's only live guest thread.
pub fn only(cpu: *const CpuState) -> bool {
    *lock(&THREADS) == [cpu as usize]
}

/// The process's only guest thread, `cpu`, ends its program by an exec carried out in place
/// (`crate::inplace`): forgotten, and the invalidations logged so far are none of the next
/// program's code cache's business.
pub fn end_program(cpu: *mut CpuState) {
    unregister(cpu);
    SEEN.with(|s| s.set(GENERATION.load(Ordering::SeqCst)));
}

/// Whether the host process has one thread (`/proc/self/task`) while the caller is the only
/// guest thread: other host threads are then ending (their guest threads have ended, their tid
/// addresses written, so a guest's pthread_join has returned), and are waited for, up to 20 ms.
/// False without procfs.
pub fn host_thread_alone() -> bool {
    for _ in 0..200 {
        match std::fs::read_dir("/proc/self/task").map(|d| d.count()) {
            Ok(1) => return true,
            Ok(_) => std::thread::sleep(std::time::Duration::from_micros(100)),
            Err(_) => return false,
        }
    }
    false
}

/// Forget `cpu`; returns how many guest threads remain.
pub fn unregister(cpu: *mut CpuState) -> usize {
    let mut t = lock(&THREADS);
    t.retain(|&c| c != cpu as usize);
    t.len()
}

/// The invalidation log and the thread list, held across a fork's host clone (see
/// `SyscallContext::with_fork_locks`); released when dropped, in the parent and in the child.
pub fn fork_locks() -> ForkLocks {
    let log = lock(&LOG);
    (log, lock(&THREADS))
}

/// The guards [`fork_locks`] returns.
pub type ForkLocks = (
    MutexGuard<'static, VecDeque<(u64, u64, u64)>>,
    MutexGuard<'static, Vec<usize>>,
);

/// In the child of a fork: only the calling thread exists there.
pub fn forked(cpu: *mut CpuState) {
    if let Ok(mut t) = THREADS.try_lock() {
        t.clear();
        t.push(cpu as usize);
    }
}

/// Drop the translations of `[start, end)` from `cache` now and from every other thread's cache
/// at its next return to the run loop.
pub fn invalidate_everywhere(cache: &mut CodeCache, own: *const CpuState, start: u64, end: u64) {
    cache.invalidate(start, end);
    cache.invalidate_shared(start, end);
    {
        let mut log = lock(&LOG);
        let generation = GENERATION.load(Ordering::SeqCst) + 1;
        log.push_back((generation, start, end));
        if log.len() > LOG_LEN {
            log.pop_front();
        }
        GENERATION.store(generation, Ordering::SeqCst);
        SEEN.with(|s| {
            if s.get() + 1 == generation {
                s.set(generation);
            }
        });
    }
    for &c in lock(&THREADS).iter() {
        if c != own as usize {
            // SAFETY: registered CpuStates stay alive until unregistered, which takes this lock;
            // `pending` is the field host signal handlers also set asynchronously.
            unsafe { std::ptr::addr_of_mut!((*(c as *mut CpuState)).pending).write_volatile(1) };
        }
    }
}

/// Make every guest thread leave emitted code for its run loop soon (gdb's all-stop).
pub fn kick_all() {
    for &c in lock(&THREADS).iter() {
        // SAFETY: as in `invalidate_everywhere`.
        unsafe { std::ptr::addr_of_mut!((*(c as *mut CpuState)).pending).write_volatile(1) };
    }
}

/// Whether another thread invalidated code this thread's cache has not dropped yet.
pub fn behind() -> bool {
    GENERATION.load(Ordering::SeqCst) != SEEN.with(|s| s.get())
}

/// Apply to `cache` the invalidations logged since it last caught up (a flush if the log no longer
/// reaches back that far).
pub fn catch_up(cache: &mut CodeCache) {
    let log = lock(&LOG);
    let seen = SEEN.with(|s| s.get());
    let newest = GENERATION.load(Ordering::SeqCst);
    if log.front().is_none_or(|&(g, _, _)| g > seen + 1) {
        cache.flush();
    } else {
        for &(_, start, end) in log.iter().filter(|&&(g, _, _)| g > seen) {
            cache.invalidate(start, end);
        }
    }
    SEEN.with(|s| s.set(newest));
}

/// The caller's [`Vm`] moved to a new host thread.
struct SendVm(Vm);
// SAFETY: the code cache and CpuState hold raw pointers to memory only their owner uses; the Vm
// is moved whole to the new host thread and used only there.
unsafe impl Send for SendVm {}

/// Start guest thread `vm` on a new host thread; return its tid once it has written it to the
/// `parent_tid` and `child_tid` guest addresses (CLONE_PARENT_SETTID, CLONE_CHILD_SETTID).
pub fn spawn(vm: Vm, ptid: Option<u64>, ctid: Option<u64>) -> Result<u64, i32> {
    let (tx, rx) = std::sync::mpsc::channel::<u64>();
    let mut vm = SendVm(vm);
    // Live from now on, for the main thread's `exit` to see (the registry is checked there).
    let cpu: *mut CpuState = &mut *vm.0.cpu;
    register(cpu);
    crate::prefault::threads_started();
    let body = move || {
        let mut vm = vm;
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u64;
        for addr in [ptid, ctid].into_iter().flatten() {
            // SAFETY: checked writable guest memory by the clone handler.
            unsafe { (addr as *mut u32).write_volatile(tid as u32) };
        }
        SEEN.with(|s| s.set(GENERATION.load(Ordering::SeqCst)));
        let _ = tx.send(tid);
        match vm.0.run_thread() {
            Ok(_) => {}
            Err(Ending::Process(exit)) => exit_process(exit),
            // A fork child of this thread's exec: this thread goes on with the next program.
            Err(Ending::ExecInPlace) => crate::start::exec_in_place_from(vm.0),
        }
    };
    if let Err(e) = spawn_host_thread(Box::new(body)) {
        unregister(cpu);
        return Err(e);
    }
    rx.recv().map_err(|_| libc::EAGAIN)
}

/// What a new host thread runs.
pub(crate) type ThreadBody = Box<dyn FnOnce() + Send>;

/// Run `body` on a new detached host thread with a stack of `HOST_STACK` bytes (a guest
/// thread's, or the VM's own helper, `crate::prefault`). A plain pthread,
/// not `std::thread`: std's thread start and exit take a lock of its own (its stack-overflow
/// handlers' registry), so a guest fork while another guest thread was starting or ending left
/// the child's first new thread waiting for that lock forever (`fork_while_threads_churn`: 2
/// runs in 30 hung with two copies beside a CPU hog). glibc's own thread locks are reset in a
/// fork child. The VM's fault handlers run on the thread's own stack (no alternate stack).
pub(crate) fn spawn_host_thread(body: ThreadBody) -> Result<(), i32> {
    extern "C" fn start(arg: *mut libc::c_void) -> *mut libc::c_void {
        // SAFETY: `arg` is the box leaked by `spawn_host_thread`, taken back once, here.
        let body = unsafe { Box::from_raw(arg.cast::<ThreadBody>()) };
        // A panic must not unwind into pthread's frames: the hook has reported it. Nor may the
        // process go on: the VM's state may be half-changed, and a guest thread gone without
        // a word leaves the others waiting for it for ever (a JVM whose thread's translation
        // panicked hung until it was killed). It ends as an internal error does, by SIGABRT.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).is_err() {
            eprintln!("a64x: internal error in a thread of the VM's: the process ends (SIGABRT)");
            // SAFETY: the default action for SIGABRT, then abort, which never returns.
            unsafe {
                libc::signal(libc::SIGABRT, libc::SIG_DFL);
                libc::abort();
            }
        }
        std::ptr::null_mut()
    }
    let arg = Box::into_raw(Box::new(body));
    // SAFETY: attr is initialised before use and destroyed after; `arg` goes to the new thread,
    // or back into a box when there is none.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        libc::pthread_attr_init(&mut attr);
        libc::pthread_attr_setstacksize(&mut attr, HOST_STACK);
        libc::pthread_attr_setdetachstate(&mut attr, libc::PTHREAD_CREATE_DETACHED);
        let mut thread: libc::pthread_t = std::mem::zeroed();
        let r = libc::pthread_create(&mut thread, &attr, start, arg.cast());
        libc::pthread_attr_destroy(&mut attr);
        if r != 0 {
            drop(Box::from_raw(arg));
            return Err(r);
        }
    }
    Ok(())
}

/// After the guest thread of this host thread ended (`exit`, with its CLEARTID done): clear the
/// guest's tid address and wake a waiter (`mm_release`), as glibc's pthread_join expects.
pub fn clear_child_tid(addr: u64) {
    // SAFETY: the caller checked that `addr` is writable guest memory; a shared futex wake, as
    // the kernel does.
    unsafe {
        (*(addr as *const std::sync::atomic::AtomicU32)).store(0, Ordering::SeqCst);
        libc::syscall(libc::SYS_futex, addr, libc::FUTEX_WAKE, 1, 0, 0, 0);
    }
}

/// The guest thread on the VM's main host thread called `exit` with `code`: the process goes on
/// while other guest threads live (the host thread ends alone, as the guest's would, and the
/// process's exit status is then this thread's, as the kernel makes it the group leader's);
/// otherwise this is the end of the process.
pub fn main_thread_exit(code: i32) -> GuestExit {
    if lock(&THREADS).is_empty() {
        return GuestExit::Exited(code);
    }
    // SAFETY: ends only this host thread; the VM keeps no state on it that others need.
    unsafe { libc::syscall(libc::SYS_exit, code & 0xff) };
    unreachable!("exit returned")
}

/// End the process from any guest thread: exit_group, or a signal's default action.
pub fn exit_process(exit: GuestExit) -> ! {
    crate::tcache::save();
    crate::profile::finish();
    crate::gdbstub::report_exit(exit);
    match exit {
        // SAFETY: _exit has no preconditions; exit_group ends every thread at once.
        GuestExit::Exited(code) => unsafe { libc::_exit(code & 0xff) },
        GuestExit::Signaled(sig) => die_of_signal(sig),
    }
}

/// End this process by `sig`, so the parent sees what a native run would give.
pub fn die_of_signal(sig: i32) -> ! {
    // SAFETY: plain libc calls on our own process; no core file (the guest's memory is not
    // what a core of a64x would show).
    unsafe {
        let lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &lim);
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
        libc::_exit(128 + sig)
    }
}
