//! The run loop of one guest thread: look up the translation of the guest pc (translating on a
//! miss), enter it, and handle the reason it came back for — chaining, indirect branches,
//! system calls, traps — until the guest exits.

use crate::memory::AddressSpace;
use crate::signal::Signals;
use a64x_syscalls::{Args, GuestMemory, Kind, NewThread, SyscallContext, SyscallOutcome, Syscalls};
use a64x_translator::a64::{decode, Inst, MemInst};
use a64x_translator::cache::{CodeCache, TranslateError};
use a64x_translator::cpu::{CpuState, ExitReason};
use a64x_translator::ir::interp::Outcome;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The guest address space, shared by all guest threads of the process. Locked only around
/// address-space operations (mmap, access checks, instruction fetch for translation), never while
/// guest code runs or a syscall blocks: for changes by one thread at a time ([`lock`]), for
/// queries by any number at once ([`read`]). A translation reads its words under one read lock
/// (the map must not change under it); with a mutex, a thread translating or placing a block
/// held every other thread's translations and access checks off, and a holder the scheduler
/// preempted made the others sleep for milliseconds (Node's main thread slept 55 ms of its
/// 1.3 s run on it, each worker 20-40 ms).
pub type SharedMemory = Arc<RwLock<AddressSpace>>;

/// Lock the address space for a change (a poisoned lock is taken over: its operations keep it
/// consistent).
fn lock(mem: &SharedMemory) -> RwLockWriteGuard<'_, AddressSpace> {
    mem.write().unwrap_or_else(|e| e.into_inner())
}

/// Lock the address space for queries, beside other readers (see [`lock`] for poisoning).
fn read(mem: &SharedMemory) -> RwLockReadGuard<'_, AddressSpace> {
    mem.read().unwrap_or_else(|e| e.into_inner())
}

/// How the guest process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestExit {
    /// exit/exit_group with this status.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
}

/// How a guest program ended on the VM's thread: the process's end, or an `execve` the VM
/// carries out in this host process (the request is in the thread's `Syscalls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The process ends so.
    Process(GuestExit),
    /// The guest exec'd an AArch64 program, to be started in this process.
    ExecInPlace,
}

/// Why the run loop of one guest thread stopped.
enum Stop {
    /// The thread called `exit` with this status.
    Thread(i32),
    /// The program ended (see [`Ending`]).
    Program(Ending),
}

impl From<GuestExit> for Stop {
    fn from(e: GuestExit) -> Stop {
        Stop::Program(Ending::Process(e))
    }
}

/// One guest thread (see [`crate::thread`]): its registers, code cache, syscall and signal
/// state, and the process's shared address space.
pub struct Vm {
    /// Translations (this thread's).
    pub cache: CodeCache,
    /// Guest registers.
    pub cpu: Box<CpuState>,
    /// Guest address space (the process's).
    pub mem: SharedMemory,
    /// Syscall state (this thread's, sharing the process-wide parts).
    pub sys: Syscalls,
    /// Host path of the guest executable.
    pub exe: PathBuf,
    /// Run blocks through the IR interpreter instead of emitted code (debugging).
    pub interpret: bool,
    /// `-d exec,cpu,unimp`.
    pub trace: crate::runlog::RunLog,
    /// Compare emitted code with the interpreter block by block (debugging).
    pub check: bool,
    /// Signal delivery state (sigreturn trampoline, host mirroring, pending sync signal).
    pub signals: Signals,
}

/// What syscall handlers see: the address space (locked per operation, so a blocking syscall
/// holds no lock), code invalidation through the caches, the registers a fork child starts
/// with, and what a new thread is made from.
struct Ctx<'a> {
    mem: &'a SharedMemory,
    cache: &'a mut CodeCache,
    exe: &'a Path,
    cpu: &'a mut CpuState,
    signals: &'a Signals,
    debug: (bool, crate::runlog::RunLog, bool),
    /// In a forked child until its code cache is its own: the write end of a pipe whose closing
    /// lets the parent go on (see `with_fork_locks`).
    fork_sync: Option<libc::c_int>,
}

impl GuestMemory for Ctx<'_> {
    fn brk(&mut self, new: u64) -> a64x_syscalls::Brk {
        lock(self.mem).brk(new)
    }
    fn mmap(&mut self, addr: u64, len: u64, prot: i32, flags: i32, fd: i32, off: i64) -> Result<u64, i32> {
        let at = lock(self.mem).mmap(addr, len, prot, flags, fd, off)?;
        if prot & libc::PROT_EXEC != 0 && flags & libc::MAP_ANONYMOUS == 0 && fd >= 0 {
            crate::profile::note_exec_mapping(fd, at, off as u64);
        }
        Ok(at)
    }
    fn munmap(&mut self, addr: u64, len: u64) -> Result<(), i32> {
        lock(self.mem).munmap(addr, len)
    }
    fn mprotect(&mut self, addr: u64, len: u64, prot: i32) -> Result<(), i32> {
        lock(self.mem).mprotect(addr, len, prot)
    }
    fn mremap(&mut self, old: u64, old_len: u64, new_len: u64, flags: i32, new_addr: u64) -> Result<u64, i32> {
        lock(self.mem).mremap(old, old_len, new_len, flags, new_addr)
    }
    fn shmat(&mut self, id: i32, addr: u64, flags: i32) -> Result<(u64, u64), i32> {
        lock(self.mem).shmat(id, addr, flags)
    }
    fn shmdt(&mut self, addr: u64) -> Result<(u64, u64), i32> {
        lock(self.mem).shmdt(addr)
    }
    fn is_accessible(&self, addr: u64, len: u64, write: bool) -> bool {
        read(self.mem).is_accessible(addr, len, write)
    }
    fn guest_limit(&self) -> u64 {
        crate::memory::GUEST_ADDR_LIMIT
    }
}

impl SyscallContext for Ctx<'_> {
    fn exe_path(&self) -> &Path {
        self.exe
    }
    fn invalidate_code(&mut self, addr: u64, len: u64) {
        crate::thread::invalidate_everywhere(self.cache, self.cpu, addr, addr.saturating_add(len));
    }
    fn proc_maps(&self) -> String {
        crate::procfs::maps(&read(self.mem))
    }
    fn before_exec(&mut self) {
        crate::tcache::save();
    }
    fn check_program(&self, program: &Path, sysroot: Option<&Path>) -> Result<(), a64x_syscalls::Errno> {
        crate::loader::check_program(program, sysroot).map_err(|e| a64x_syscalls::Errno(e.errno()))
    }
    fn may_exec_in_place(&self) -> bool {
        // The process's only guest thread, on its only host thread (the first, or in a fork
        // child the thread that forked: `crate::start` goes on from either); and few enough
        // translations that dropping them costs less than a new a64x process's start.
        self.cache.block_count() <= crate::inplace::MAX_BLOCKS
            && crate::thread::only(self.cpu)
            && crate::thread::host_thread_alone()
    }
    fn spawn_thread(&mut self, t: NewThread) -> Result<u64, i32> {
        let cache = self.cache.new_like().map_err(|_| libc::ENOMEM)?;
        // copy_thread: the parent's registers, with x0 = 0, the new stack and the new TLS.
        let mut cpu = Box::new(self.cpu.clone());
        cpu.x[0] = 0;
        if t.stack != 0 {
            cpu.sp = t.stack;
        }
        if let Some(tls) = t.tls {
            cpu.tpidr_el0 = tls;
        }
        cpu.pending = 0;
        cpu.excl_addr = u64::MAX;
        cpu.exit_site = 0;
        let (parent_tid, child_tid) = (t.parent_tid, t.child_tid);
        let (interpret, trace, check) = self.debug;
        let vm = Vm {
            cache,
            cpu,
            mem: Arc::clone(self.mem),
            sys: t.sys,
            exe: self.exe.to_path_buf(),
            interpret,
            trace,
            check,
            signals: self.signals.for_thread(),
        };
        crate::thread::spawn(vm, parent_tid, child_tid)
    }
    fn with_fork_locks(&mut self, clone: &mut dyn FnMut() -> i64) -> i64 {
        // The child starts on the parent's code memory (shared mappings of one memfd) and copies
        // it into its own, or starts an empty one, before it runs guest code again
        // (`fork_child`). One that copies it must find it as it was: until then this thread, the
        // only one that writes to its cache, must not translate or patch, and waits for the
        // child to close the pipe (which an exit or crash of the child does too). One that starts
        // empty (the store places its blocks: `fork_child` decides so from the same state)
        // copies the trampoline only, which nothing rewrites, and writes nothing of the parent's:
        // the parent goes on at once (a shell's subshell was a wait for the child's start).
        let mut sync = [-1; 2];
        let child_copies = !self.cache.places_saved();
        // SAFETY: a valid array for the two descriptors.
        let piped = child_copies && unsafe { libc::pipe2(sync.as_mut_ptr(), libc::O_CLOEXEC) } == 0;
        let r = {
            // Lock order: the address space, then the thread module's (as invalidations take them).
            let _mem = lock(self.mem);
            let _threads = crate::thread::fork_locks();
            let _prefault = crate::prefault::fork_guard();
            crate::tcache::fork(clone)
        };
        if !piped {
            return r;
        }
        if r == 0 {
            // SAFETY: the child's copy of the read end, unused here.
            unsafe { libc::close(sync[0]) };
            self.fork_sync = Some(sync[1]);
        } else {
            // SAFETY: closing our write end, then reading until the child closes its copy.
            unsafe {
                libc::close(sync[1]);
                if r > 0 {
                    let mut b = 0u8;
                    while libc::read(sync[0], (&mut b as *mut u8).cast(), 1) < 0
                        && *libc::__errno_location() == libc::EINTR
                    {}
                }
                libc::close(sync[0]);
            }
        }
        r
    }
    fn wait_with_mask(
        &mut self,
        mask: u64,
        wait: &mut dyn FnMut(&u64) -> a64x_syscalls::SysResult,
    ) -> a64x_syscalls::SysResult {
        let r = self.signals.wait_with_mask(mask, wait);
        if r == Err(a64x_syscalls::Errno(libc::EINTR)) {
            // Deliver the signal, then restore the mask the syscall layer saved.
            // SAFETY: a plain write of the field host handlers write asynchronously (see signal_work).
            unsafe { std::ptr::addr_of_mut!(self.cpu.pending).write_volatile(1) };
        }
        r
    }
    fn fork_child(&mut self, stack: u64, tls: Option<u64>, kind: a64x_syscalls::ForkKind) {
        // A vfork child runs a few blocks before its exec: it translates them again rather than
        // copy the parent's code (tens of MiB for python, most of a subprocess's start). So does
        // a forked child when the persistent store can give it every block the parent had (the
        // file's and those the parent made, `Store::fork`): placing the blocks it runs costs
        // less than copying all of the parent's code (a bash subshell 0.75x CPU, bash's
        // fork-and-exec of ls 0.81x), most forks being for an exec.
        let drop_code = kind == a64x_syscalls::ForkKind::Vfork || self.cache.places_saved();
        if let Err(e) = self.cache.unshare_after_fork(drop_code) {
            // Running on would write into the parent's code: end the child instead.
            eprintln!("a64x: cannot give the forked child a code cache of its own: {e}");
            // SAFETY: _exit ends this (child) process at once, as the fork paths do.
            unsafe { libc::_exit(127) };
        }
        if let Some(fd) = self.fork_sync.take() {
            // The parent may go on.
            // SAFETY: the pipe's write end, ours since `with_fork_locks`.
            unsafe { libc::close(fd) };
        }
        if stack != 0 {
            self.cpu.sp = stack;
        }
        if let Some(tls) = tls {
            self.cpu.tpidr_el0 = tls;
        }
        crate::thread::forked(self.cpu);
        crate::prefault::forked();
        crate::gdbstub::forget_after_fork();
        // Signals recorded for the parent are not the child's (copy_process clears them).
        while crate::signal::host::take(!0).is_some() {}
        // SAFETY: a plain write of the field host handlers write asynchronously (see signal_work).
        unsafe { std::ptr::addr_of_mut!(self.cpu.pending).write_volatile(0) };
    }
}

impl Vm {
    /// Run the guest's first thread (on the VM's main host thread) until the process exits or
    /// execs an AArch64 program in place. If this thread calls `exit` while others live, its host
    /// thread ends and this never returns.
    pub fn run(&mut self) -> Ending {
        match self.run_thread() {
            Ok(code) => Ending::Process(crate::thread::main_thread_exit(code)),
            Err(end) => end,
        }
    }

    /// The address space, locked.
    pub fn mem(&self) -> RwLockReadGuard<'_, AddressSpace> {
        read(&self.mem)
    }

    /// Run this guest thread until it calls `exit` (Ok, with its status, after the CLEARTID
    /// clean-up of `do_exit`) or the process ends (Err).
    pub fn run_thread(&mut self) -> Result<i32, Ending> {
        // Faults of translated code are handled on it (see `signal::altstack`).
        let _alt_stack = crate::signal::altstack::AltStack::install();
        crate::signal::host::set_current_cpu(&mut *self.cpu);
        crate::signal::host::set_current_cache(&self.cache);
        crate::signal::host::note_host_mask();
        crate::thread::register(&mut *self.cpu);
        crate::gdbstub::register_thread(&mut *self.cpu);
        if crate::signal::host::has_pending(self.sys.signal_mask()) {
            // SAFETY: see `signal_work`.
            unsafe { std::ptr::addr_of_mut!(self.cpu.pending).write_volatile(1) };
        }
        match self.run_loop() {
            Stop::Program(end) => Err(end),
            Stop::Thread(code) => {
                // From now on the host kernel sends process-directed signals to other threads.
                crate::signal::host::set_host_mask(!0);
                if crate::thread::unregister(&mut *self.cpu) == 1 {
                    // (Before the tid address is cleared: a guest's pthread_join returns with
                    // the helper gone.)
                    crate::prefault::single_threaded();
                }
                crate::gdbstub::unregister_thread();
                crate::signal::host::set_current_cpu(std::ptr::null_mut());
                crate::signal::host::set_current_cache(std::ptr::null());
                let tid_addr = self.sys.clear_child_tid();
                if tid_addr != 0 && self.mem().is_accessible(tid_addr, 4, true) {
                    crate::thread::clear_child_tid(tid_addr);
                }
                Ok(code)
            }
        }
    }

    /// The run loop proper.
    fn run_loop(&mut self) -> Stop {
        let mem = Arc::clone(&self.mem);
        let fetch = move |pc: u64| read(&mem).fetch_insn(pc);
        let mut reason = ExitReason::Indirect;
        // Where this loop chains exits, the cache may chain those of blocks it places from the
        // persistent store at once.
        let links = !self.check && !self.trace.per_block() && !crate::gdbstub::active();
        self.cache.link_saved(links);
        loop {
            if self.signal_work() {
                if let Some(exit) = self.deliver_signals() {
                    return exit.into();
                }
                // The pc may now be a handler's: the last exit's chaining site is not for it.
                reason = ExitReason::Indirect;
            }
            // The code IC IVAU named: at the barrier that sent the block here
            // (`ExitReason::InvalidateCode`), or at whatever visit of the run loop comes first
            // (code that names some and never synchronises still gets it before a block is
            // looked up).
            self.drop_named_code();
            if crate::thread::behind() {
                // Another thread invalidated code (it set `pending` to get us here).
                crate::thread::catch_up(&mut self.cache);
                reason = ExitReason::Indirect;
            }
            if self.cpu.fp_slow != 0 && !self.cache.fz_checks() {
                // FPCR.FZ is set (an `MSR FPCR`, whose block ends to come here, a sigreturn, a
                // debugger, the thread that made this one): code made without the checks of it
                // must not run from now on.
                self.cache.require_fz_checks();
                reason = ExitReason::Indirect;
            }
            if crate::gdbstub::active() {
                if let Some(exit) = self.gdb_check() {
                    return exit.into();
                }
            }
            let pc = self.cpu.pc;
            self.trace.block(&self.cpu);
            if self.interpret {
                reason = match self.cache.interpret(&mut self.cpu, &fetch) {
                    Ok(Outcome::Next(_)) => continue,
                    Ok(Outcome::Svc(_)) => ExitReason::Svc,
                    Ok(Outcome::Brk(imm)) => {
                        self.cpu.exit_arg = imm as u64;
                        ExitReason::Brk
                    }
                    Ok(Outcome::Undefined) => ExitReason::Undefined,
                    Ok(Outcome::Invalidate) => ExitReason::InvalidateCode,
                    Err(TranslateError::NotExecutable(a)) => match self.fetch_fault(a) {
                        Some(stop) => return stop,
                        None => continue,
                    },
                };
                if let Some(exit) = self.handle(reason, &fetch) {
                    return exit;
                }
                continue;
            }
            let generation = self.cache.generation();
            // A translation reads tens of words (the block, its successors' analysis): the
            // address space is locked once for all of them, until the translation is placed.
            let held = std::cell::RefCell::new(None);
            // The executable mapping of the last word read: the words come in runs (a saved
            // translation's check reads hundreds of thousands at a warm start), and the map
            // does not change while it is locked.
            let mapping = std::cell::Cell::new((0u64, 0u64));
            // Under gdb, blocks end where it needs boundaries (src/gdbstub).
            let limit = crate::gdbstub::block_limit().for_block(pc);
            let fetch_held = |at: u64| -> Option<u32> {
                if at != pc && limit.ends_before(at) {
                    return None;
                }
                let mut held = held.borrow_mut();
                let mem = held.get_or_insert_with(|| read(&self.mem));
                let (start, end) = mapping.get();
                if !(start..end).contains(&at) {
                    mapping.set(mem.executable_range(at).unwrap_or((0, 0)));
                }
                mem.fetch_in(at, mapping.get())
            };
            let file_code = |at: u64| {
                let mut held = held.borrow_mut();
                held.get_or_insert_with(|| read(&self.mem)).in_file_code(at)
            };
            let got = if reason == ExitReason::Promote {
                self.cache.promote_in(pc, &fetch_held, &file_code)
            } else {
                self.cache.get_in(pc, &fetch_held, &file_code)
            };
            drop(held);
            let host = match got {
                Ok(h) => h,
                Err(TranslateError::NotExecutable(a)) => match self.fetch_fault(a) {
                    Some(stop) => return stop,
                    None => {
                        reason = ExitReason::Indirect;
                        continue;
                    }
                },
            };
            match reason {
                ExitReason::Chain
                    if self.cpu.exit_site != 0
                        && generation == self.cache.generation()
                        && !self.check
                        && !self.trace.per_block()
                        && limit.may_link(pc) =>
                {
                    self.cache.chain(self.cpu.exit_site, pc);
                }
                ExitReason::Indirect if !self.check && !self.trace.per_block() && limit.may_link(pc) => {
                    self.cache.remember_indirect(pc, host)
                }
                _ => {}
            }
            // Read-modify-write instructions change shared memory when the emitted code runs on
            // the copy of the state, so the interpreter would see the result: not checked.
            let rmw = self.check
                && fetch(pc).is_some_and(|w| {
                    matches!(
                        decode(w),
                        Inst::Mem(
                            MemInst::StoreExclusive { .. }
                                | MemInst::AtomicRmw { .. }
                                | MemInst::Cas { .. }
                                | MemInst::Casp { .. }
                        )
                    )
                });
            if self.check && !rmw {
                // Differential check (use with --max-block-insns=1): emitted code on a copy of the
                // state, then the interpreter on the real one; any difference is a backend bug.
                let mut copy = self.cpu.clone();
                let r = self.cache.enter(&mut copy, host);
                let _ = self.cache.interpret(&mut self.cpu, &fetch);
                let same = copy.x == self.cpu.x
                    && copy.sp == self.cpu.sp
                    && copy.nzcv() == self.cpu.nzcv()
                    && copy.v == self.cpu.v
                    && (copy.pc == self.cpu.pc || r != ExitReason::Chain && r != ExitReason::Indirect);
                if !same {
                    eprintln!("a64x: backend/interpreter mismatch in block {pc:#x}");
                    for i in 0..31 {
                        if copy.x[i] != self.cpu.x[i] {
                            eprintln!("  x{i}: emitted {:#x} interp {:#x}", copy.x[i], self.cpu.x[i]);
                        }
                    }
                    eprintln!(
                        "  sp {:#x}/{:#x} pc {:#x}/{:#x} nzcv {:#x}/{:#x}",
                        copy.sp,
                        self.cpu.sp,
                        copy.pc,
                        self.cpu.pc,
                        copy.nzcv(),
                        self.cpu.nzcv()
                    );
                    return GuestExit::Signaled(libc::SIGABRT).into();
                }
                *self.cpu = *copy;
                reason = r;
                if let Some(exit) = self.handle(reason, &fetch) {
                    return exit;
                }
                continue;
            }
            reason = self.cache.enter(&mut self.cpu, host);
            if let Some(exit) = self.handle(reason, &fetch) {
                return exit;
            }
        }
    }

    /// The guest's syscall arguments, x0..x5.
    pub(crate) fn syscall_args(&self) -> Args {
        let c = &self.cpu;
        [c.x[0], c.x[1], c.x[2], c.x[3], c.x[4], c.x[5]]
    }

    /// Run `f` with the syscall state and the context the syscall crate's handlers work in.
    pub(crate) fn with_syscall_context<R>(&mut self, f: impl FnOnce(&mut Syscalls, &mut dyn SyscallContext) -> R) -> R {
        let mut ctx = Ctx {
            mem: &self.mem,
            cache: &mut self.cache,
            exe: &self.exe,
            cpu: &mut self.cpu,
            signals: &self.signals,
            debug: (self.interpret, self.trace, self.check),
            fork_sync: None,
        };
        f(&mut self.sys, &mut ctx)
    }

    /// Carry out guest syscall `nr`: the run loop's own calls here, the rest through the syscall
    /// crate, as the table says.
    fn syscall(&mut self, nr: u64) -> SyscallOutcome {
        let args = self.syscall_args();
        match a64x_syscalls::table::lookup(nr).map(|d| d.kind) {
            Some(Kind::Vm(call)) => self.vm_syscall(nr, call, args),
            _ => self.with_syscall_context(|sys, ctx| sys.dispatch(ctx, nr, args)),
        }
    }

    /// A synchronous signal the guest has no handler for, shown to gdb first when it is
    /// attached: `Some(None)` when gdb dropped it (the guest runs on), `Some(Some(..))` when the
    /// guest ends; None without gdb.
    fn gdb_fatal_signal(&mut self, sig: i32) -> Option<Option<Stop>> {
        if !crate::gdbstub::active() {
            return None;
        }
        use crate::gdbstub::{Resume, StopReason};
        Some(match self.gdb_stop(StopReason::Signal(sig as u32)) {
            Resume::Run(None) => None,
            Resume::Run(Some(s)) => Some(GuestExit::Signaled(s as i32).into()),
            Resume::Detach => Some(GuestExit::Signaled(sig).into()),
            Resume::Kill => Some(GuestExit::Signaled(libc::SIGKILL).into()),
        })
    }

    /// The guest went to `pc`, whose instruction cannot be fetched: the signal Linux raises there
    /// (SIGBUS for a misaligned pc or an executable page that cannot be read, a truncated file's;
    /// SIGSEGV for an address not mapped or not executable) goes to the guest's handler (None:
    /// run on), or ends the guest.
    fn fetch_fault(&mut self, pc: u64) -> Option<Stop> {
        use crate::signal::deliver::{BUS_ADRALN, BUS_ADRERR, SEGV_ACCERR, SEGV_MAPERR};
        let (sig, code, name) = {
            let mem = read(&self.mem);
            if !pc.is_multiple_of(4) {
                (libc::SIGBUS, BUS_ADRALN, "SIGBUS")
            } else if mem.region_at(pc).is_none() {
                (libc::SIGSEGV, SEGV_MAPERR, "SIGSEGV")
            } else if !mem.is_executable(pc, 4) {
                (libc::SIGSEGV, SEGV_ACCERR, "SIGSEGV")
            } else {
                (libc::SIGBUS, BUS_ADRERR, "SIGBUS")
            }
        };
        self.cpu.pc = pc;
        if self.force_sync_signal(sig, code, pc) {
            return None;
        }
        if let Some(after) = self.gdb_fatal_signal(sig) {
            return after;
        }
        eprintln!("a64x: guest jumped to {pc:#x}, which cannot be fetched ({name})");
        Some(GuestExit::Signaled(sig).into())
    }

    /// Handle an exit that is not a plain branch; `Some` when the guest is gone.
    fn handle(&mut self, reason: ExitReason, fetch: &dyn Fn(u64) -> Option<u32>) -> Option<Stop> {
        {
            match reason {
                // The loop translates the block again (`cache::tiers`).
                ExitReason::Chain | ExitReason::Indirect | ExitReason::Promote | ExitReason::Sync => {}
                ExitReason::Svc => {
                    // Taking the exception clears the local exclusive monitor: a store-exclusive
                    // after a syscall fails, as on hardware and qemu.
                    self.cpu.excl_addr = u64::MAX;
                    let nr = self.cpu.x[8];
                    self.trace.syscall(nr, self.cpu.pc.wrapping_sub(4));
                    let orig_x0 = self.cpu.x[0];
                    match self.syscall(nr) {
                        SyscallOutcome::Return(v) => self.cpu.x[0] = v,
                        SyscallOutcome::ExitGroup(c) => return Some(GuestExit::Exited(c).into()),
                        SyscallOutcome::ExitThread(c) => return Some(Stop::Thread(c)),
                        SyscallOutcome::Killed(sig) => return Some(GuestExit::Signaled(sig).into()),
                        SyscallOutcome::ExecInPlace => return Some(Stop::Program(Ending::ExecInPlace)),
                    }
                    self.restart_if_interrupted(nr, orig_x0);
                }
                ExitReason::Brk => {
                    let pc = self.cpu.pc;
                    if self.force_sync_signal(libc::SIGTRAP, crate::signal::deliver::TRAP_BRKPT, pc) {
                        return None;
                    }
                    if let Some(after) = self.gdb_fatal_signal(libc::SIGTRAP) {
                        return after;
                    }
                    eprintln!(
                        "a64x: guest BRK #{:#x} at {:#x} (SIGTRAP)",
                        self.cpu.exit_arg, self.cpu.pc
                    );
                    return Some(GuestExit::Signaled(libc::SIGTRAP).into());
                }
                ExitReason::Undefined => {
                    let pc = self.cpu.pc;
                    self.trace.undefined(pc, fetch(pc));
                    if self.force_sync_signal(libc::SIGILL, crate::signal::deliver::ILL_ILLOPC, pc) {
                        return None;
                    }
                    if let Some(after) = self.gdb_fatal_signal(libc::SIGILL) {
                        return after;
                    }
                    let word = fetch(pc).map_or("?".to_string(), |w| format!("{w:#010x}"));
                    eprintln!("a64x: undefined or unimplemented instruction {word} at {pc:#x} (SIGILL)");
                    return Some(GuestExit::Signaled(libc::SIGILL).into());
                }
                // (Done where the loop starts again: `drop_named_code`.)
                ExitReason::InvalidateCode => {}
            }
        }
        None
    }

    /// Drop the translations of the guest code IC IVAU named since the last time, in every
    /// thread's cache (`ir::Op::NoteInval`: whole cache lines, CTR_EL0.IminLine 64 bytes).
    fn drop_named_code(&mut self) {
        let (lo, hi) = (self.cpu.inval_lo, self.cpu.inval_hi);
        if hi == 0 {
            return;
        }
        (self.cpu.inval_lo, self.cpu.inval_hi) = (u64::MAX, 0);
        if lo < hi {
            crate::thread::invalidate_everywhere(&mut self.cache, &*self.cpu, lo, hi);
        }
    }
}
