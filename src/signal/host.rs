//! Host side of guest signals: the host handler that records an arriving signal for the run loop
//! (async-signal-safe: atomics only), and the mirroring of the guest's dispositions and blocked
//! mask onto the host process, so that the host kernel keeps the guest's pending-while-blocked
//! signals and carries out the default actions (terminate, stop, ignore) itself, as the guest's
//! kernel would (kernel/signal.c).

use a64x_syscalls::GuestSigaction;
use a64x_translator::cpu::CpuState;
use a64x_translator::probe::{self, Fault};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Number of signals (1..=64).
pub const NSIG: u32 = 64;

/// Size of a `siginfo_t` (the generic layout: the same on x86-64 and AArch64).
pub const SIGINFO_SIZE: usize = 128;

/// A `siginfo_t` as raw bytes.
pub type SigInfo = [u8; SIGINFO_SIZE];

pub(crate) const SIG_IGN: u64 = 1;

thread_local! {
    /// Signals that arrived at this host thread and wait for delivery to its guest thread (bit
    /// `n-1` is signal `n`). Per thread: the host kernel picks the thread a process-directed signal
    /// goes to among those that do not block it (the host masks mirror the guest masks), and a
    /// thread-directed one (tgkill; guest tids are host tids) reaches its thread.
    static PENDING: AtomicU64 = const { AtomicU64::new(0) };

    /// The `siginfo_t` of each pending signal, as 16 words. Standard signals do not queue, so one
    /// slot per signal is what the kernel keeps too. Real-time signals queue: they are held in the
    /// host kernel's queue instead ([`HELD`]).
    static INFO: [[AtomicU64; SIGINFO_SIZE / 8]; NSIG as usize] =
        const { [const { [const { AtomicU64::new(0) }; SIGINFO_SIZE / 8] }; NSIG as usize] };

    /// The CpuState the guest thread running on this host thread uses: the handler sets its
    /// `pending` so that emitted code returns to the run loop. Const-initialised thread-locals
    /// without destructors (a `Cell` of a pointer, atomics) need no lazy initialisation, so
    /// using them in a handler is safe.
    static CPU: Cell<*mut CpuState> = const { Cell::new(std::ptr::null_mut()) };

    /// Real-time signals (32 and up) that arrived at this host thread and wait in the host
    /// kernel's queue of this thread, where the handler put them back, blocked on the host until
    /// the run loop takes them one instance at a time (`rt_sigtimedwait`): the kernel keeps their
    /// count and each instance's siginfo, so none is merged or lost.
    static HELD: AtomicU64 = const { AtomicU64::new(0) };
    /// The code cache of the guest thread running on this host thread (for faults).
    static CACHE: Cell<*const a64x_translator::cache::CodeCache> = const { Cell::new(std::ptr::null()) };

    /// The signal of a fault of translated code the handler sent to the guest and the run loop
    /// has not looked at yet (0: none): it must be delivered whatever the guest's mask and
    /// disposition say (`force_sig_fault`).
    static FAULT: std::sync::atomic::AtomicU32 = const { std::sync::atomic::AtomicU32::new(0) };

    /// Whether this host thread blocks SIGSEGV or SIGBUS now (the host masks follow the guest's),
    /// when the host kernel kills the process for a fault rather than run the handler
    /// (`force_sig_fault`): true until known ([`note_host_mask`]).
    static FAULTS_BLOCKED: Cell<bool> = const { Cell::new(true) };
}

/// The signals whose faults the VM's handler turns into failed accesses.
const FAULT_BITS: u64 = (1 << (libc::SIGSEGV - 1)) | (1 << (libc::SIGBUS - 1));

/// Note whether `mask`, this thread's host mask from now on, blocks the fault signals.
fn note_mask(mask: u64) {
    FAULTS_BLOCKED.with(|b| b.set(mask & FAULT_BITS != 0));
}

/// Learn this thread's host mask (at the start of a guest thread's run; it is known from then on,
/// as every change goes through this module).
pub fn note_host_mask() {
    note_mask(host_mask());
}

/// The copy the syscall layer makes between guest memory and its own
/// (`a64x_syscalls::set_fault_safe_copy`): the probe's, whose fault at either end the handler
/// turns into a failed copy, as the kernel's exception tables do for its user copies. Not while
/// this thread blocks the fault signals (the guest blocked them): the syscall layer copies
/// through the kernel then.
///
/// # Safety
/// As `a64x_syscalls::FaultSafeCopy` says.
pub unsafe fn fault_safe_copy(dst: *mut u8, src: *const u8, len: usize) -> Option<bool> {
    if FAULTS_BLOCKED.with(|b| b.get()) {
        return None;
    }
    // SAFETY: the caller's contract; a fault in the guest range (unmapped meanwhile, a file cut
    // short) fails the copy instead of crashing (see `on_signal`).
    Some(unsafe { probe::copy_raw(dst, src, len) })
}

/// Take the signal of a fault of translated code recorded since the last call, if any.
pub fn take_fault() -> Option<u32> {
    let sig = FAULT.with(|f| f.swap(0, Ordering::SeqCst));
    (sig != 0).then_some(sig)
}

/// Register the code cache of the guest thread running on this host thread.
pub fn set_current_cache(cache: *const a64x_translator::cache::CodeCache) {
    CACHE.with(|c| c.set(cache));
}

/// Bit of signal `sig` in a mask.
pub fn bit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

/// Register `cpu` as the state of the guest thread running on this host thread.
pub fn set_current_cpu(cpu: *mut CpuState) {
    CPU.with(|c| c.set(cpu));
}

/// The state of the guest thread running on this host thread (null if none); async-signal-safe.
pub fn current_cpu() -> *mut CpuState {
    CPU.with(|c| c.get())
}

/// Whether `sig` is one of the signals the VM's own faults raise: a host handler for those must
/// tell a real fault (which kills the VM with that signal) from one sent with `kill`.
fn is_fault_signal(sig: i32) -> bool {
    matches!(sig, libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE)
}

/// The host handler of every signal the guest has a handler for.
extern "C" fn on_signal(mut sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t (SA_SIGINFO).
    let code = unsafe { (*info).si_code };
    if is_fault_signal(sig) && code > 0 {
        // A fault inside translated code (a guest load or store through a bad address) goes to
        // the guest: leave translated code through the exit epilogue as an indirect exit, and let
        // the run loop deliver the recorded signal. A fault in one of the VM's probed accesses
        // fails that access (and is the guest's when the access was its own). Any other fault
        // is the VM's own: die of it.
        match probe_fixup(uc) {
            Some(Fault::Quiet) => return,
            Some(Fault::Guest) => {
                if sig == libc::SIGSEGV && code == libc::SI_KERNEL {
                    // A general-protection fault: the 16-byte access was misaligned, which
                    // AArch64 reports as an alignment fault (BUS_ADRALN) at the address.
                    as_alignment_fault(info, uc, libc::REG_RDI);
                    sig = libc::SIGBUS;
                }
            }
            None => {
                // Translated code's alignment check (`x64::ALIGN_TRAP`) faulted on purpose.
                // Rewritten before the redirection moves rip and sets rax.
                if sig == libc::SIGSEGV && code == libc::SI_KERNEL && at_align_trap(uc) {
                    as_alignment_fault(info, uc, libc::REG_RAX);
                    sig = libc::SIGBUS;
                }
                if !redirect_fault(uc) {
                    // SAFETY: sigaction is async-signal-safe.
                    unsafe { libc::signal(sig, libc::SIG_DFL) };
                    return;
                }
            }
        }
        FAULT.with(|f| f.store(sig as u32, Ordering::SeqCst));
    }
    if !(1..=NSIG as i32).contains(&sig) {
        return;
    }
    if sig >= FIRST_QUEUED && hold(sig, info, uc) {
        wake_run_loop();
        return;
    }
    INFO.with(|slots| {
        let words = info as *const u64;
        for (i, w) in slots[sig as usize - 1].iter().enumerate() {
            // SAFETY: siginfo_t is 128 bytes and 8-aligned.
            w.store(unsafe { words.add(i).read() }, Ordering::Relaxed);
        }
    });
    PENDING.with(|p| p.fetch_or(bit(sig as u32), Ordering::SeqCst));
    wake_run_loop();
}

/// The first signal the kernel queues rather than merges (its SIGRTMIN; glibc's is 34).
const FIRST_QUEUED: i32 = 32;

/// Make emitted code of this thread return to the run loop (async-signal-safe).
fn wake_run_loop() {
    let cpu = CPU.with(|c| c.get());
    if !cpu.is_null() {
        // SAFETY: the CpuState registered for this thread lives as long as its run loop; emitted
        // code only reads this field, and a volatile store is what it polls.
        unsafe { std::ptr::addr_of_mut!((*cpu).pending).write_volatile(1) };
    }
}

/// In the handler of real-time signal `sig`: put this instance back into this thread's queue in
/// the host kernel (rt_tgsigqueueinfo to ourselves, which may keep the sender's si_code) and
/// keep `sig` blocked after the handler returns (in the ucontext's mask), so that it waits
/// there, counted, until [`take`] dequeues it. False if it could not be queued again (the
/// queue is full): the caller records it the merging way.
fn hold(sig: i32, info: *mut libc::siginfo_t, uc: *mut libc::c_void) -> bool {
    if uc.is_null() || info.is_null() {
        return false;
    }
    // SAFETY: raw syscalls and a sigset update on the ucontext the kernel handed us; all are
    // async-signal-safe. `sig` is blocked while the handler runs (sa_mask is full), so the
    // queued instance cannot come back before the handler returns.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid);
        let r = libc::syscall(libc::SYS_rt_tgsigqueueinfo, libc::getpid(), tid, sig, info);
        if r != 0 {
            return false;
        }
        libc::sigaddset(&mut (*(uc as *mut libc::ucontext_t)).uc_sigmask, sig);
    }
    HELD.with(|h| h.fetch_or(bit(sig as u32), Ordering::SeqCst));
    true
}

/// Whether the faulting instruction in `uc` is translated code's alignment trap.
fn at_align_trap(uc: *mut libc::c_void) -> bool {
    if uc.is_null() {
        return false;
    }
    // SAFETY: the kernel's ucontext; the faulting instruction's bytes are mapped and readable
    // (x86-64 code is), and only compared.
    unsafe {
        let rip = (*(uc as *mut libc::ucontext_t)).uc_mcontext.gregs[libc::REG_RIP as usize] as *const u8;
        std::slice::from_raw_parts(rip, a64x_translator::x64::ALIGN_TRAP.len()) == a64x_translator::x64::ALIGN_TRAP
    }
}

/// Rewrite `info` as SIGBUS BUS_ADRALN at the address in host register `reg` of `uc` (a probe's
/// first argument, rdi, or the alignment trap's rax).
fn as_alignment_fault(info: *mut libc::siginfo_t, uc: *mut libc::c_void, reg: libc::c_int) {
    // SAFETY: the kernel's siginfo_t and ucontext for this handler, which we may change;
    // si_addr is at offset 16 of siginfo_t for fault signals.
    unsafe {
        let addr = (*(uc as *mut libc::ucontext_t)).uc_mcontext.gregs[reg as usize] as u64;
        (*info).si_signo = libc::SIGBUS;
        (*info).si_code = libc::BUS_ADRALN;
        (info as *mut u8).add(16).cast::<u64>().write(addr);
    }
}

/// If the faulting host pc in `uc` is a probed access of the VM's (`a64x_translator::probe`):
/// resume at its failure path, and say whom the fault concerns.
fn probe_fixup(uc: *mut libc::c_void) -> Option<Fault> {
    if uc.is_null() {
        return None;
    }
    let uc = uc as *mut libc::ucontext_t;
    // SAFETY: the kernel passes the interrupted context, which we may change.
    unsafe {
        let rip = &mut (*uc).uc_mcontext.gregs[libc::REG_RIP as usize];
        let (resume, whom) = probe::fixup(*rip as u64)?;
        *rip = resume as i64;
        Some(whom)
    }
}

/// If the faulting host pc in `uc` is translated code of this thread: set the guest pc to the
/// start of the faulting block (guest registers in CpuState are those at the block's start, since
/// blocks write them back at their end; memory and V registers may be partly updated — the
/// context a handler sees is that imprecise, which is enough for recovery with siglongjmp) and
/// resume at the exit epilogue with an indirect exit.
fn redirect_fault(uc: *mut libc::c_void) -> bool {
    let cache = CACHE.with(|c| c.get());
    let cpu = CPU.with(|c| c.get());
    if cache.is_null() || cpu.is_null() || uc.is_null() {
        return false;
    }
    let uc = uc as *mut libc::ucontext_t;
    // SAFETY: the kernel passes the interrupted context; the cache and CpuState registered for
    // this thread live while its run loop runs, and this thread is in translated code, not
    // changing the cache.
    unsafe {
        let rip = (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] as u64;
        let Some(at) = (*cache).fault_site(rip) else {
            return false;
        };
        // The pinned guest registers are in host registers, which the epilogue stores to
        // CpuState: the state restored goes back into them.
        let pins = a64x_translator::x64::pins::all();
        for &(g, h) in pins {
            (*cpu).set_reg(g, (*uc).uc_mcontext.gregs[UcRegs::index(h)] as u64);
        }
        match at.site {
            // The guest instruction's own state: its pc, registers and flags.
            Some(site) => site.restore(&mut *cpu, at.offset, &UcRegs(&*uc)),
            // Not a guest memory access of the block (should not fault): its start.
            None => (*cpu).pc = at.block_pc,
        }
        for &(g, h) in pins {
            (*uc).uc_mcontext.gregs[UcRegs::index(h)] = (*cpu).reg(g) as i64;
        }
        (*cpu).exit_site = 0;
        (*uc).uc_mcontext.gregs[libc::REG_RIP as usize] = at.epilogue as i64;
        (*uc).uc_mcontext.gregs[libc::REG_RAX as usize] = a64x_translator::cpu::ExitReason::Indirect as i64;
    }
    true
}

/// The interrupted host registers of a ucontext, by x86-64 register number.
struct UcRegs<'a>(&'a libc::ucontext_t);

impl UcRegs<'_> {
    /// The gregs index of host register `r`.
    fn index(r: u8) -> usize {
        // Register number (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15) -> gregs index.
        const INDEX: [libc::c_int; 16] = [
            libc::REG_RAX,
            libc::REG_RCX,
            libc::REG_RDX,
            libc::REG_RBX,
            libc::REG_RSP,
            libc::REG_RBP,
            libc::REG_RSI,
            libc::REG_RDI,
            libc::REG_R8,
            libc::REG_R9,
            libc::REG_R10,
            libc::REG_R11,
            libc::REG_R12,
            libc::REG_R13,
            libc::REG_R14,
            libc::REG_R15,
        ];
        INDEX[r as usize & 15] as usize
    }
}

impl a64x_translator::x64::faultmap::HostRegs for UcRegs<'_> {
    fn reg(&self, r: u8) -> u64 {
        self.0.uc_mcontext.gregs[UcRegs::index(r)] as u64
    }
    fn rsp(&self) -> u64 {
        self.0.uc_mcontext.gregs[libc::REG_RSP as usize] as u64
    }
    fn xmm(&self, x: u8) -> [u64; 2] {
        let fp = self.0.uc_mcontext.fpregs;
        if fp.is_null() {
            return [0; 2];
        }
        // SAFETY: the kernel's FP state of the interrupted context, which the ucontext points
        // to (its legacy area holds xmm0-15 whatever the XSAVE format).
        let e = unsafe { (*fp)._xmm[x as usize & 15].element };
        [e[0] as u64 | (e[1] as u64) << 32, e[2] as u64 | (e[3] as u64) << 32]
    }
}

/// The signals recorded or held for this thread and not yet delivered.
pub fn pending_set() -> u64 {
    PENDING.with(|p| p.load(Ordering::SeqCst)) | HELD.with(|h| h.load(Ordering::SeqCst))
}

/// Whether a signal waits in [`PENDING`] that `mask` (the guest's blocked set) lets through.
pub fn has_pending(mask: u64) -> bool {
    pending_set() & !mask != 0
}

/// Lowest pending signal not in `mask`, without taking it.
pub fn peek(mask: u64) -> Option<u32> {
    let p = pending_set() & !mask;
    (p != 0).then(|| p.trailing_zeros() + 1)
}

/// Take the lowest pending signal in `set` with its siginfo: a recorded one, or one instance
/// of a held real-time signal from the host kernel's queue.
pub fn take(set: u64) -> Option<(u32, SigInfo)> {
    // Block every signal while taking one, so that the handler cannot rewrite the slot between
    // clearing the bit and copying the siginfo.
    let all = !0u64;
    let mut old = 0u64;
    set_host_mask_raw(&all, Some(&mut old));
    let mut found = None;
    loop {
        let p = pending_set() & set;
        if p == 0 {
            break;
        }
        let sig = p.trailing_zeros() + 1;
        if PENDING.with(|p| p.fetch_and(!bit(sig), Ordering::SeqCst)) & bit(sig) != 0 {
            let mut info = [0u8; SIGINFO_SIZE];
            INFO.with(|slots| {
                for (i, w) in slots[sig as usize - 1].iter().enumerate() {
                    info[i * 8..i * 8 + 8].copy_from_slice(&w.load(Ordering::Relaxed).to_le_bytes());
                }
            });
            found = Some((sig, info));
            break;
        }
        let taken = dequeue(sig);
        if !still_queued(sig) {
            // The last instance: the signal no longer needs holding on the host.
            HELD.with(|h| h.fetch_and(!bit(sig), Ordering::SeqCst));
            old &= !bit(sig);
        }
        if let Some(info) = taken {
            found = Some((sig, info));
            break;
        }
    }
    set_host_mask_raw(&old, None);
    found
}

/// One instance of `sig` from the host kernel's queues (none waiting: None).
fn dequeue(sig: u32) -> Option<SigInfo> {
    let set = bit(sig);
    let mut info = [0u8; SIGINFO_SIZE];
    let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: an 8-byte sigset, a siginfo-sized buffer and a timespec, all ours.
    let r = unsafe {
        libc::syscall(
            libc::SYS_rt_sigtimedwait,
            &set as *const u64,
            info.as_mut_ptr(),
            &zero as *const libc::timespec,
            8usize,
        )
    };
    (r == sig as i64).then_some(info)
}

/// Whether an instance of `sig` is still queued for this thread or the process in the host.
fn still_queued(sig: u32) -> bool {
    let mut pending = 0u64;
    // SAFETY: an 8-byte sigset we own.
    unsafe { libc::syscall(libc::SYS_rt_sigpending, &mut pending as *mut u64, 8usize) };
    pending & bit(sig) != 0
}

/// `rt_sigprocmask(SIG_SETMASK)` on the host with a kernel sigset (a plain 64-bit mask: glibc's
/// wrapper would refuse to block its internal signals 32 and 33, which the guest may block).
fn set_host_mask_raw(mask: &u64, old: Option<&mut u64>) {
    note_mask(*mask);
    let old = old.map_or(std::ptr::null_mut(), |o| o as *mut u64);
    // SAFETY: both pointers are valid 8-byte sigsets or null.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            mask as *const u64,
            old,
            8usize,
        )
    };
}

/// The blocked mask of this host thread.
pub fn host_mask() -> u64 {
    let mut old = 0u64;
    // SAFETY: a null new set only reads the mask into `old`.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            std::ptr::null::<u64>(),
            &mut old as *mut u64,
            8usize,
        )
    };
    old
}

/// Make the host's blocked mask the guest's, plus the real-time signals held in the host
/// kernel's queue (they stay there until taken).
pub fn set_host_mask(mask: u64) {
    set_host_mask_raw(&(mask | HELD.with(|h| h.load(Ordering::SeqCst))), None);
}

/// Host `rt_sigsuspend` with a guest mask; returns when a handled signal has arrived.
pub fn suspend(mask: u64) {
    // SAFETY: a valid 8-byte sigset.
    unsafe { libc::syscall(libc::SYS_rt_sigsuspend, &mask as *const u64, 8usize) };
}

/// The host disposition that hands signal `sig` to the run loop (`flags`: the guest's
/// sa_flags, of which SIGCHLD keeps SA_NOCLDSTOP and SA_NOCLDWAIT).
fn catching(sig: i32, flags: u64) -> libc::sigaction {
    // SAFETY: a zeroed sigaction is a valid starting point.
    let mut host: libc::sigaction = unsafe { std::mem::zeroed() };
    host.sa_sigaction = on_signal as *const () as usize;
    // No SA_RESTART: a blocking host syscall must return EINTR so that the guest's handler
    // runs; the run loop restarts it when the guest asked for SA_RESTART.
    host.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
    if sig == libc::SIGCHLD {
        host.sa_flags |= (flags as i32) & (libc::SA_NOCLDSTOP | libc::SA_NOCLDWAIT);
    }
    // SAFETY: filling a sigset.
    unsafe { libc::sigfillset(&mut host.sa_mask) };
    host
}

/// Run `f` (which starts a host thread of the VM's) with every signal blocked on this thread, so
/// that the thread it starts inherits the full mask: the host kernel never hands a VM thread one
/// of the guest's signals, not even before it could block them itself.
pub fn with_all_blocked<T>(f: impl FnOnce() -> T) -> T {
    // SAFETY: sigset manipulation on our own sets; the mask is restored below.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    let was = FAULTS_BLOCKED.with(|b| b.replace(true));
    let r = f();
    // SAFETY: restoring the mask saved above.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    FAULTS_BLOCKED.with(|b| b.set(was));
    r
}

/// gdb attached: the fault signals at their default action on the host (the guest has no
/// handler) come to the run loop instead, which shows them to gdb before the guest dies of them.
pub fn catch_faults_for_debugger() {
    for sig in [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE] {
        // The guest's handler, if any, is this one already; a fault of the VM's own still ends
        // the VM (on_signal puts back SIG_DFL and returns into it), only without Rust's
        // stack-overflow message.
        // SAFETY: installing a valid disposition.
        unsafe { libc::sigaction(sig, &catching(sig, 0), std::ptr::null_mut()) };
    }
}

/// The host's own dispositions as the VM found them, so that a guest going back to SIG_DFL gets
/// back what the VM had (e.g. Rust's stack-overflow handler for SIGSEGV).
#[derive(Clone)]
pub struct HostDispositions {
    original: Vec<libc::sigaction>,
}

impl HostDispositions {
    /// Read the host dispositions of all signals; the ones ignored since before exec are
    /// returned as a mask, since the guest inherits them (SIG_IGN survives execve).
    pub fn capture() -> (HostDispositions, u64) {
        let mut original = Vec::with_capacity(NSIG as usize);
        let mut ignored = 0u64;
        for sig in 1..=NSIG {
            // SAFETY: reading a disposition into a zeroed struct.
            let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
            unsafe { libc::sigaction(sig as i32, std::ptr::null(), &mut old) };
            if old.sa_sigaction == libc::SIG_IGN && sig as i32 != libc::SIGPIPE {
                // SIGPIPE is ignored by Rust's runtime itself, not inherited.
                ignored |= bit(sig);
            }
            original.push(old);
        }
        (HostDispositions { original }, ignored)
    }

    /// Put back the dispositions an execve leaves (`flush_signal_handlers`): what the VM found
    /// at its start for every signal, ignored or at its default, except the guest's ignored ones
    /// (`ignored`, bit `n-1` for signal `n`), which stay ignored. SIGPIPE goes back to what
    /// the VM found too: a new a64x could not tell an inherited SIG_IGN of it from its runtime's
    /// own (see `capture`), and this keeps an exec in place the same as one by a new a64x.
    pub fn reset_for_exec(&self, ignored: u64) {
        for sig in 1..=NSIG {
            let s = sig as i32;
            if s == libc::SIGKILL || s == libc::SIGSTOP {
                continue;
            }
            let mut host = self.original[sig as usize - 1];
            if ignored & bit(sig) != 0 && s != libc::SIGPIPE {
                host.sa_sigaction = libc::SIG_IGN;
            } else if host.sa_sigaction == libc::SIG_IGN {
                host.sa_sigaction = libc::SIG_DFL;
            }
            // SAFETY: a disposition the VM found installed, or a plain default or ignore; errors
            // (glibc's reserved signals) leave the old one.
            unsafe { libc::sigaction(s, &host, std::ptr::null_mut()) };
        }
    }

    /// Give the host the disposition that makes it behave as the guest asked for `sig`.
    pub fn mirror(&self, sig: u32, act: &GuestSigaction) {
        let s = sig as i32;
        if s == libc::SIGKILL || s == libc::SIGSTOP || !(1..=NSIG).contains(&sig) {
            return;
        }
        if s == libc::SIGPROF && crate::profile::owns_sigprof() {
            // `--profile`'s sampler owns the host's SIGPROF: the guest's stays recorded, unused.
            return;
        }
        // SAFETY: a zeroed sigaction is a valid starting point.
        let mut host: libc::sigaction = unsafe { std::mem::zeroed() };
        // With gdb attached a fault stops for it before its default action. SIGSEGV and SIGBUS
        // are always the VM's: a fault in one of its probed accesses of guest memory must fail
        // that access whatever the guest's disposition (any other fault still ends the process
        // with the signal, through SIG_DFL).
        let catch = act.handler > SIG_IGN
            || (is_fault_signal(s) && (act.handler == SIG_IGN || crate::gdbstub::active()))
            || matches!(s, libc::SIGSEGV | libc::SIGBUS);
        if catch {
            host = catching(s, act.flags);
        } else if act.handler == SIG_IGN {
            host.sa_sigaction = libc::SIG_IGN;
        } else {
            host = self.original[sig as usize - 1];
            if host.sa_sigaction == libc::SIG_IGN {
                host.sa_sigaction = libc::SIG_DFL;
            }
        }
        // SAFETY: installing a valid disposition; errors (e.g. for glibc-reserved signals) leave
        // the old one, which is the best that can be done.
        unsafe { libc::sigaction(s, &host, std::ptr::null_mut()) };
    }
}

#[cfg(test)]
mod tests {
    /// The signals blocked on this thread (the first 64).
    fn blocked() -> u64 {
        // SAFETY: reads this thread's mask into a set we own.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut set) };
        (1..=64)
            .filter(|&s| unsafe { libc::sigismember(&set, s) } == 1)
            .fold(0, |m, s| m | 1 << (s - 1))
    }

    #[test]
    fn a_vm_thread_started_with_all_blocked_takes_none_of_the_guests_signals() {
        let before = blocked();
        let inside = super::with_all_blocked(|| std::thread::spawn(blocked))
            .join()
            .expect("ran");
        // Every signal but those the kernel will not let a thread block (SIGKILL, SIGSTOP) and
        // the two glibc keeps for itself.
        for sig in [
            libc::SIGINT,
            libc::SIGUSR1,
            libc::SIGCHLD,
            libc::SIGALRM,
            libc::SIGSEGV,
            libc::SIGRTMIN() + 3,
        ] {
            assert!(
                inside & 1 << (sig - 1) != 0,
                "signal {sig} not blocked in the VM's thread"
            );
        }
        assert_eq!(blocked(), before, "the caller's mask restored");
    }
}
