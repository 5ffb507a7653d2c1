//! The run loop of one guest thread: look up the translation of the guest pc (translating on a
//! miss), enter it, and handle the reason it came back for — chaining, indirect branches,
//! system calls, traps — until the guest exits.

use crate::memory::AddressSpace;
use crate::signal::Signals;
use a64x_syscalls::{GuestMemory, SyscallContext, SyscallOutcome, Syscalls};
use a64x_translator::a64::{decode, Inst};
use a64x_translator::cache::{CodeCache, TranslateError};
use a64x_translator::cpu::{CpuState, ExitReason};
use a64x_translator::ir::interp::Outcome;
use std::path::{Path, PathBuf};

/// How the guest process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestExit {
    /// exit/exit_group with this status.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
}

/// One guest process (single-threaded for now).
pub struct Vm {
    /// Translations.
    pub cache: CodeCache,
    /// Guest registers.
    pub cpu: Box<CpuState>,
    /// Guest address space.
    pub mem: AddressSpace,
    /// Syscall state.
    pub sys: Syscalls,
    /// Host path of the guest executable.
    pub exe: PathBuf,
    /// Run blocks through the IR interpreter instead of emitted code (debugging).
    pub interpret: bool,
    /// Print the guest pc of every block entered (debugging).
    pub trace: bool,
    /// Compare emitted code with the interpreter block by block (debugging).
    pub check: bool,
    /// Signal delivery state (sigreturn trampoline, host mirroring, pending sync signal).
    pub signals: Signals,
}

/// What syscall handlers see: the address space, plus code invalidation through the cache, and
/// the registers a fork child starts with.
struct Ctx<'a> {
    mem: &'a mut AddressSpace,
    cache: &'a mut CodeCache,
    exe: &'a Path,
    cpu: &'a mut CpuState,
}

impl GuestMemory for Ctx<'_> {
    fn brk(&mut self, new: u64) -> u64 {
        self.mem.brk(new)
    }
    fn mmap(&mut self, addr: u64, len: u64, prot: i32, flags: i32, fd: i32, off: i64) -> Result<u64, i32> {
        self.mem.mmap(addr, len, prot, flags, fd, off)
    }
    fn munmap(&mut self, addr: u64, len: u64) -> Result<(), i32> {
        self.mem.munmap(addr, len)
    }
    fn mprotect(&mut self, addr: u64, len: u64, prot: i32) -> Result<(), i32> {
        self.mem.mprotect(addr, len, prot)
    }
    fn is_accessible(&self, addr: u64, len: u64, write: bool) -> bool {
        self.mem.is_accessible(addr, len, write)
    }
}

impl SyscallContext for Ctx<'_> {
    fn exe_path(&self) -> &Path {
        self.exe
    }
    fn invalidate_code(&mut self, addr: u64, len: u64) {
        self.cache.invalidate(addr, addr.saturating_add(len));
    }
    fn proc_maps(&self) -> String {
        crate::procfs::maps(self.mem)
    }
    fn fork_child(&mut self, stack: u64, tls: Option<u64>) {
        if stack != 0 {
            self.cpu.sp = stack;
        }
        if let Some(tls) = tls {
            self.cpu.tpidr_el0 = tls;
        }
        // Signals recorded for the parent are not the child's (copy_process clears them).
        while crate::signal::host::take(!0).is_some() {}
        // SAFETY: a plain write of the field host handlers write asynchronously (see signal_work).
        unsafe { std::ptr::addr_of_mut!(self.cpu.pending).write_volatile(0) };
    }
}

impl Vm {
    /// Run until the guest exits.
    pub fn run(&mut self) -> GuestExit {
        let mem = &self.mem as *const AddressSpace;
        let fetch = move |pc: u64| -> Option<u32> {
            // SAFETY: `mem` outlives this closure's uses (only during `cache.get` below, while
            // no syscall runs), and executable guest pages are host-readable.
            let mem = unsafe { &*mem };
            if pc.is_multiple_of(4) && mem.is_executable(pc, 4) {
                Some(unsafe { (pc as *const u32).read() })
            } else {
                None
            }
        };
        crate::signal::host::set_current_cpu(&mut *self.cpu);
        let mut reason = ExitReason::Indirect;
        loop {
            if self.signal_work() {
                if let Some(exit) = self.deliver_signals() {
                    return exit;
                }
                // The pc may now be a handler's: the last exit's chaining site is not for it.
                reason = ExitReason::Indirect;
            }
            let pc = self.cpu.pc;
            if self.trace {
                eprintln!(
                    "a64x: block {pc:#x} sp={:#x} x0={:#x} x1={:#x} x30={:#x}",
                    self.cpu.sp, self.cpu.x[0], self.cpu.x[1], self.cpu.x[30]
                );
            }
            if self.interpret {
                reason = match self.cache.interpret(&mut self.cpu, &fetch) {
                    Ok(Outcome::Next(_)) => continue,
                    Ok(Outcome::Svc(_)) => ExitReason::Svc,
                    Ok(Outcome::Brk(imm)) => {
                        self.cpu.exit_arg = imm as u64;
                        ExitReason::Brk
                    }
                    Ok(Outcome::Undefined) => ExitReason::Undefined,
                    Ok(Outcome::Invalidate(a)) => {
                        self.cpu.exit_arg = a;
                        ExitReason::InvalidateCode
                    }
                    Err(TranslateError::NotExecutable(a)) => {
                        eprintln!("a64x: guest jumped to non-executable address {a:#x} (SIGSEGV)");
                        return GuestExit::Signaled(libc::SIGSEGV);
                    }
                };
                if let Some(exit) = self.handle(reason, &fetch) {
                    return exit;
                }
                continue;
            }
            let generation = self.cache.generation();
            let host = match self.cache.get(pc, &fetch) {
                Ok(h) => h,
                Err(TranslateError::NotExecutable(a)) => {
                    eprintln!("a64x: guest jumped to non-executable address {a:#x} (SIGSEGV)");
                    return GuestExit::Signaled(libc::SIGSEGV);
                }
            };
            match reason {
                ExitReason::Chain
                    if self.cpu.exit_site != 0 && generation == self.cache.generation() && !self.check =>
                {
                    self.cache.chain(self.cpu.exit_site, pc);
                }
                ExitReason::Indirect if !self.check => self.cache.remember_indirect(pc, host),
                _ => {}
            }
            let rmw = fetch(pc).is_some_and(|w| matches!(decode(w), Inst::StoreExclusive { .. }));
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
                    return GuestExit::Signaled(libc::SIGABRT);
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

    /// Carry out guest syscall `nr` with the arguments in x0..x5 through the syscall crate.
    fn dispatch(&mut self, nr: u64) -> SyscallOutcome {
        let c = &self.cpu;
        let args = [c.x[0], c.x[1], c.x[2], c.x[3], c.x[4], c.x[5]];
        let mut ctx = Ctx {
            mem: &mut self.mem,
            cache: &mut self.cache,
            exe: &self.exe,
            cpu: &mut self.cpu,
        };
        self.sys.dispatch(&mut ctx, nr, args)
    }

    /// [`Vm::dispatch`] for a syscall that only returns (the signal-state ones).
    pub(crate) fn dispatch_syscall(&mut self, nr: u64) -> u64 {
        match self.dispatch(nr) {
            SyscallOutcome::Return(v) => v,
            SyscallOutcome::ExitGroup(_) | SyscallOutcome::ExitThread(_) => 0,
        }
    }

    /// Handle an exit that is not a plain branch; `Some` when the guest is gone.
    fn handle(&mut self, reason: ExitReason, fetch: &dyn Fn(u64) -> Option<u32>) -> Option<GuestExit> {
        {
            match reason {
                ExitReason::Chain | ExitReason::Indirect => {}
                ExitReason::Svc => {
                    let nr = self.cpu.x[8];
                    if let Some(exit) = self.signal_syscall(nr) {
                        return exit;
                    }
                    let orig_x0 = self.cpu.x[0];
                    match self.dispatch(nr) {
                        SyscallOutcome::Return(v) => self.cpu.x[0] = v,
                        SyscallOutcome::ExitGroup(c) | SyscallOutcome::ExitThread(c) => {
                            return Some(GuestExit::Exited(c))
                        }
                    }
                    self.restart_if_interrupted(nr, orig_x0);
                }
                ExitReason::Brk => {
                    let pc = self.cpu.pc;
                    if self.force_sync_signal(libc::SIGTRAP, crate::signal::deliver::TRAP_BRKPT, pc) {
                        return None;
                    }
                    eprintln!(
                        "a64x: guest BRK #{:#x} at {:#x} (SIGTRAP)",
                        self.cpu.exit_arg, self.cpu.pc
                    );
                    return Some(GuestExit::Signaled(libc::SIGTRAP));
                }
                ExitReason::Undefined => {
                    let pc = self.cpu.pc;
                    if self.force_sync_signal(libc::SIGILL, crate::signal::deliver::ILL_ILLOPC, pc) {
                        return None;
                    }
                    let word = fetch(pc).map_or("?".to_string(), |w| format!("{w:#010x}"));
                    eprintln!("a64x: undefined or unimplemented instruction {word} at {pc:#x} (SIGILL)");
                    return Some(GuestExit::Signaled(libc::SIGILL));
                }
                ExitReason::InvalidateCode => {
                    // IC IVAU works on one cache line (CTR_EL0.IminLine: 64 bytes).
                    let line = self.cpu.exit_arg & !63;
                    self.cache.invalidate(line, line + 64);
                }
            }
        }
        None
    }
}
