//! The sampler of `--profile`: an `ITIMER_PROF` interval timer (CPU time of the whole process,
//! user and system) sends SIGPROF; the handler appends the interrupted host pc (`REG_RIP` of the
//! ucontext) to a buffer allocated up front. The handler is async-signal-safe: atomics only, no
//! allocation, no lock, no errno change. It runs on whichever thread the kernel picks, which for a
//! CPU-time timer is the one that was running, so every guest thread is sampled.
//!
//! With guest stacks asked for (`--flamegraph`), the handler also walks the guest's frame records
//! (x29 -> {previous x29, return address}, as AAPCS64 lays them out) from the x29 the guest
//! thread's CpuState holds: the value at the interrupted block's start, so the frame of a function
//! whose prologue is in that very block is missed. Guest memory is read with process_vm_readv on
//! the process itself, which fails with EFAULT instead of faulting on a bad frame pointer.
//!
//! The handler has `SA_RESTART`, so a sample landing in a blocking host system call restarts it
//! (those the kernel restarts; a guest's `nanosleep` would still see EINTR, but a sleeping
//! process uses no CPU time, so ITIMER_PROF rarely fires then).

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};

/// Samples kept: at 1 kHz, over 17 minutes of CPU time; later ones are counted as lost. The
/// buffer is zeroed anonymous memory, so only the pages written cost anything.
const CAPACITY: usize = 1 << 20;

/// The sample buffer (host pcs), [`CAPACITY`] entries; null before [`start`].
static BUF: AtomicPtr<u64> = AtomicPtr::new(std::ptr::null_mut());

/// Return addresses kept per sample.
pub const DEPTH: usize = 24;

/// The guest stacks, [`DEPTH`] entries per sample: the guest's x30 (link register), then the
/// return addresses of the frame chain, innermost first, 0-terminated; null when not asked for.
static STACKS: AtomicPtr<u64> = AtomicPtr::new(std::ptr::null_mut());

/// Index of the next sample (may run past [`CAPACITY`]: those are lost).
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Whether the profiler owns SIGPROF (set once the handler is installed).
static OWNED: AtomicBool = AtomicBool::new(false);

/// Whether the host's SIGPROF belongs to the profiler: the signal module must then not mirror
/// the guest's SIGPROF disposition onto the host (the guest's handler would receive our timer's
/// signals and the sampling would stop).
pub fn owns_sigprof() -> bool {
    OWNED.load(Ordering::Relaxed)
}

/// The SIGPROF handler: record where the host was.
extern "C" fn on_sigprof(_sig: libc::c_int, _info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: with SA_SIGINFO the kernel passes a valid ucontext_t.
    let rip = unsafe { (*(uc as *const libc::ucontext_t)).uc_mcontext.gregs[libc::REG_RIP as usize] } as u64;
    let buf = BUF.load(Ordering::Acquire);
    let i = NEXT.fetch_add(1, Ordering::Relaxed);
    if !buf.is_null() && i < CAPACITY {
        // SAFETY: `buf` has CAPACITY aligned entries, is never freed, and is only accessed
        // atomically while the timer runs.
        unsafe { AtomicU64::from_ptr(buf.add(i)).store(rip, Ordering::Relaxed) };
        let stacks = STACKS.load(Ordering::Acquire);
        if !stacks.is_null() {
            // SAFETY: `stacks` has DEPTH entries per sample, like `buf` one.
            walk_guest_stack(unsafe { stacks.add(i * DEPTH) });
        }
    }
}

/// Store the return addresses of the current guest thread's frame chain at `out` (DEPTH entries).
fn walk_guest_stack(out: *mut u64) {
    let cpu = crate::signal::host::current_cpu();
    if cpu.is_null() {
        return;
    }
    // SAFETY: errno is thread-local; the handler must leave it as it found it.
    let errno = unsafe { *libc::__errno_location() };
    // SAFETY: the CpuState of the thread this handler interrupted: nothing else writes it now.
    let (mut fp, lr) = unsafe { ((*cpu).x[29], (*cpu).x[30]) };
    // SAFETY: in bounds (DEPTH > 1); atomics as for the pcs.
    unsafe { AtomicU64::from_ptr(out).store(lr, Ordering::Relaxed) };
    // SAFETY: getpid is async-signal-safe.
    let pid = unsafe { libc::getpid() };
    for d in 1..DEPTH {
        if fp == 0 || !fp.is_multiple_of(16) {
            break;
        }
        let mut rec = [0u64; 2];
        let local = libc::iovec {
            iov_base: rec.as_mut_ptr().cast(),
            iov_len: 16,
        };
        let remote = libc::iovec {
            iov_base: fp as *mut libc::c_void,
            iov_len: 16,
        };
        // SAFETY: reads 16 bytes of our own address space into `rec`, or fails (EFAULT).
        let n = unsafe { libc::syscall(libc::SYS_process_vm_readv, pid, &local, 1, &remote, 1, 0) };
        if n != 16 || rec[1] == 0 {
            break;
        }
        // SAFETY: in bounds (d < DEPTH); atomics as for the pcs.
        unsafe { AtomicU64::from_ptr(out.add(d)).store(rec[1], Ordering::Relaxed) };
        // Callers' frames are higher on the stack: anything else ends the walk.
        if rec[0] <= fp {
            break;
        }
        fp = rec[0];
    }
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

/// Allocate the buffers, install the handler and start the timer at `hz` samples per second;
/// with `stacks`, each sample also records the guest's call stack.
pub fn start(hz: u32, stacks: bool) -> Result<(), String> {
    // Zeroed by calloc (fresh pages, touched only when written); never freed: a handler may run
    // on another thread until the process ends.
    if stacks {
        let s = vec![0u64; CAPACITY * DEPTH].into_boxed_slice();
        STACKS.store(Box::leak(s).as_mut_ptr(), Ordering::Release);
    }
    let buf = vec![0u64; CAPACITY].into_boxed_slice();
    BUF.store(Box::leak(buf).as_mut_ptr(), Ordering::Release);
    // SAFETY: a zeroed sigaction is valid; the handler has the SA_SIGINFO signature.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = on_sigprof as *const () as usize;
        act.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
        libc::sigemptyset(&mut act.sa_mask);
        if libc::sigaction(libc::SIGPROF, &act, std::ptr::null_mut()) != 0 {
            return Err(format!(
                "cannot install the SIGPROF handler: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
    OWNED.store(true, Ordering::Relaxed);
    let period = libc::timeval {
        tv_sec: 0,
        tv_usec: (1_000_000 / hz.max(1)) as libc::suseconds_t,
    };
    set_timer(period)
}

fn set_timer(period: libc::timeval) -> Result<(), String> {
    let it = libc::itimerval {
        it_interval: period,
        it_value: period,
    };
    // SAFETY: a valid itimerval; the old value is not wanted.
    if unsafe { libc::setitimer(libc::ITIMER_PROF, &it, std::ptr::null_mut()) } != 0 {
        return Err(format!(
            "cannot start the profiling timer: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

/// Samples taken: the host pcs, and how many were lost because the buffer was full.
pub struct Samples {
    /// CPU time of the process until the samples were taken, in seconds: the kernel checks
    /// ITIMER_PROF at its scheduler tick, so with CONFIG_HZ below the asked-for rate there are
    /// fewer samples than seconds x rate (at HZ=250, 250 per second).
    pub cpu_seconds: f64,
    /// Interrupted host pcs (0: a sample whose handler had not stored it yet).
    pub pcs: Vec<u64>,
    /// Samples beyond the buffer.
    pub lost: usize,
    /// Per sample (same order as `pcs`), the guest's x30 then the return addresses of its frame
    /// chain, innermost first; empty without stacks.
    pub stacks: Vec<Vec<u64>>,
}

/// Stop the timer and take the samples.
pub fn stop() -> Samples {
    let _ = set_timer(libc::timeval { tv_sec: 0, tv_usec: 0 });
    let buf = BUF.load(Ordering::Acquire);
    let n = NEXT.load(Ordering::Relaxed);
    // SAFETY: a zeroed timespec is valid; clock_gettime fills it.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    let cpu_seconds = ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
    if buf.is_null() {
        return Samples {
            cpu_seconds,
            pcs: Vec::new(),
            lost: 0,
            stacks: Vec::new(),
        };
    }
    let kept = n.min(CAPACITY);
    // SAFETY: `buf` has CAPACITY entries, accessed atomically as in the handler.
    let pcs = (0..kept)
        .map(|i| unsafe { AtomicU64::from_ptr(buf.add(i)).load(Ordering::Relaxed) })
        .collect();
    let stacks = STACKS.load(Ordering::Acquire);
    let stacks = if stacks.is_null() {
        Vec::new()
    } else {
        (0..kept)
            .map(|i| {
                (0..DEPTH)
                    // SAFETY: in bounds; atomics as in the handler.
                    .map(|d| unsafe { AtomicU64::from_ptr(stacks.add(i * DEPTH + d)).load(Ordering::Relaxed) })
                    .take_while(|&a| a != 0)
                    .collect()
            })
            .collect()
    };
    Samples {
        cpu_seconds,
        pcs,
        lost: n - kept,
        stacks,
    }
}
