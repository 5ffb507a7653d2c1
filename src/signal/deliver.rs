//! Delivery of signals to the guest and the signal syscalls the run loop carries out itself:
//! `get_signal`/`handle_signal`/`signal_delivered` (kernel/signal.c), `setup_rt_frame`,
//! `setup_return` and `sys_rt_sigreturn` (arch/arm64/kernel/signal.c), and syscall restarting
//! (`-ERESTARTSYS` with and without SA_RESTART).

use super::frame::{self, FRAME_SIZE, RECORD_SIZE, UC};
use super::host::{self, bit, SigInfo, SIGINFO_SIZE};
use super::{default_action, is_ignored, on_alt_stack, sa, DefaultAction, SIG_DFL, SIG_IGN, SS_AUTODISARM, SS_ONSTACK};
use crate::run::{GuestExit, Vm};
use a64x_syscalls::table::{self, Handler};
use a64x_syscalls::{strace, Args, GuestMemory, GuestSigaction, Kind, SyscallOutcome, VmCall};

/// si_code values of the synchronous signals.
pub const ILL_ILLOPC: i32 = 1;
/// See [`ILL_ILLOPC`].
pub const TRAP_BRKPT: i32 = 1;
/// See [`ILL_ILLOPC`] (include/uapi/asm-generic/siginfo.h).
pub const SEGV_MAPERR: i32 = 1;
/// See [`SEGV_MAPERR`].
pub const SEGV_ACCERR: i32 = 2;
/// See [`SEGV_MAPERR`].
pub const BUS_ADRALN: i32 = 1;
/// See [`SEGV_MAPERR`].
pub const BUS_ADRERR: i32 = 2;

fn neg_errno(e: i32) -> u64 {
    (-(e as i64)) as u64
}

impl Vm {
    /// Whether the run loop must call [`Vm::deliver_signals`] before running more guest code.
    pub fn signal_work(&self) -> bool {
        // SAFETY: a plain read of a field host handlers write asynchronously.
        let pending = unsafe { std::ptr::addr_of!(self.cpu.pending).read_volatile() };
        pending != 0 || self.signals.sync.is_some()
    }

    /// Deliver every deliverable signal, as the kernel does on the way back to user mode: each
    /// handler's frame goes on top of the previous one, so the last one runs first. `Some` when a
    /// default action ended the guest.
    pub fn deliver_signals(&mut self) -> Option<GuestExit> {
        // Clear the flag first: a signal arriving from now on sets it again.
        // SAFETY: see `signal_work`.
        unsafe { std::ptr::addr_of_mut!(self.cpu.pending).write_volatile(0) };
        if let Some(sig) = host::take_fault() {
            // A fault the guest blocks or ignores kills it, as `force_sig_info_to_task` resets
            // the action and unblocks the signal: retrying the access would fault forever.
            let act = self.sys.sigaction(sig).unwrap_or_default();
            if self.sys.signal_mask() & bit(sig) != 0 || act.handler == SIG_IGN {
                return Some(GuestExit::Signaled(sig as i32));
            }
        }
        let mut result = None;
        loop {
            let next = match self.signals.sync.take() {
                Some(s) => Some(s),
                None => host::take(!self.sys.signal_mask()),
            };
            let Some((sig, info)) = next else { break };
            let sig = if crate::gdbstub::active() {
                // gdb sees the signal first, and says whether (and which) to deliver.
                match self.gdb_stop(crate::gdbstub::StopReason::Signal(sig)) {
                    crate::gdbstub::Resume::Run(Some(s)) => s,
                    crate::gdbstub::Resume::Run(None) => continue,
                    crate::gdbstub::Resume::Detach => sig,
                    crate::gdbstub::Resume::Kill => return Some(GuestExit::Signaled(libc::SIGKILL)),
                }
            } else {
                sig
            };
            let Some(act) = self.sys.sigaction(sig) else { continue };
            match act.handler {
                SIG_IGN => {}
                SIG_DFL => match default_action(sig) {
                    DefaultAction::Ignore => {}
                    DefaultAction::Stop => {
                        // SAFETY: stopping our own process, as the default action asks.
                        unsafe { libc::raise(libc::SIGSTOP) };
                    }
                    DefaultAction::Terminate | DefaultAction::Core => {
                        result = Some(GuestExit::Signaled(sig as i32));
                        break;
                    }
                },
                _ => {
                    if !self.setup_frame(sig, &info, &act) {
                        // `force_sigsegv`: the frame could not be written.
                        result = Some(GuestExit::Signaled(libc::SIGSEGV));
                        break;
                    }
                }
            }
        }
        if let Some(m) = self.sys.take_saved_mask() {
            // A wait with a temporary mask ended without a handler to return through: its mask
            // goes now.
            self.sys.set_signal_mask(m);
        }
        self.mask_changed();
        result
    }

    /// Push the frame for `sig` and point the guest at its handler (`setup_rt_frame`,
    /// `setup_return`, `signal_delivered`); false when the frame cannot be written.
    fn setup_frame(&mut self, sig: u32, info: &SigInfo, act: &GuestSigaction) -> bool {
        // Exception entry clears the local exclusive monitor.
        self.cpu.excl_addr = u64::MAX;
        let alt = self.sys.altstack();
        let sp_top = if act.flags & sa::ONSTACK != 0 && alt.is_enabled() && !on_alt_stack(&alt, self.cpu.sp) {
            alt.sp.wrapping_add(alt.size)
        } else {
            self.cpu.sp
        };
        let record = sp_top.wrapping_sub(RECORD_SIZE as u64) & !15;
        let base = record.wrapping_sub(FRAME_SIZE as u64);
        let len = (FRAME_SIZE + RECORD_SIZE) as u64;
        if base > record || !self.mem().is_accessible(base, len, true) {
            return false;
        }
        let old_mask = self.sys.take_saved_mask().unwrap_or(self.sys.signal_mask());
        let bytes = frame::build(&self.cpu, info, old_mask, &alt);
        if a64x_syscalls::copy_to_guest(base, &bytes).is_err() {
            // Another guest thread unmapped the stack meanwhile.
            return false;
        }

        let cpu = &mut self.cpu;
        cpu.x[0] = sig as u64;
        if act.flags & sa::SIGINFO != 0 {
            cpu.x[1] = base;
            cpu.x[2] = base + UC as u64;
        }
        cpu.sp = base;
        cpu.x[29] = record;
        cpu.x[30] = if act.flags & sa::RESTORER != 0 {
            act.restorer
        } else {
            self.signals.trampoline()
        };
        cpu.pc = act.handler;

        if act.flags & sa::RESETHAND != 0 {
            let dfl = GuestSigaction {
                handler: SIG_DFL,
                ..*act
            };
            self.sys.set_sigaction(sig, dfl);
            self.signals.host.mirror(sig, &dfl);
        }
        // The handler runs with the current mask (a wait's temporary one, if any) plus its own;
        // the frame holds the mask to return to (`sigmask_to_save`, `signal_delivered`).
        let mut mask = self.sys.signal_mask() | act.mask;
        if act.flags & sa::NODEFER == 0 {
            mask |= bit(sig);
        }
        self.sys.set_signal_mask(mask);
        if alt.flags & SS_AUTODISARM != 0 {
            self.sys.disarm_altstack();
        }
        true
    }

    /// Queue SIGILL or SIGTRAP raised by the instruction at `addr` (`force_sig_fault`) for
    /// delivery before anything else; false when the guest has no handler for it or blocks it,
    /// in which case the kernel would kill the process with it.
    pub fn force_sync_signal(&mut self, sig: i32, code: i32, addr: u64) -> bool {
        let sig = sig as u32;
        let Some(act) = self.sys.sigaction(sig) else {
            return false;
        };
        if act.handler == SIG_DFL || act.handler == SIG_IGN || self.sys.signal_mask() & bit(sig) != 0 {
            return false;
        }
        let mut info = [0u8; SIGINFO_SIZE];
        info[0..4].copy_from_slice(&(sig as i32).to_le_bytes());
        info[8..12].copy_from_slice(&code.to_le_bytes());
        info[16..24].copy_from_slice(&addr.to_le_bytes());
        self.signals.sync = Some((sig, info));
        true
    }

    /// After a syscall returned -EINTR because a host signal for a guest handler arrived: make
    /// the guest run it again once the handler returns (pc back on the `svc`, x0 as it was), as
    /// the kernel does for `-ERESTARTSYS` when the handler has SA_RESTART or no handler runs.
    pub fn restart_if_interrupted(&mut self, nr: u64, orig_x0: u64) {
        if self.cpu.x[0] != neg_errno(libc::EINTR) || !table::restarts_after_handler(nr) {
            return;
        }
        if matches!(table::lookup(nr).map(|d| d.kind), Some(Kind::Vm(_))) {
            // The run loop's own calls are never restarted: rt_sigreturn's x0 is the restored
            // register (the kernel sets syscallno to ~0), the waits end with EINTR.
            return;
        }
        let Some(sig) = host::peek(self.sys.signal_mask()) else {
            return;
        };
        let Some(act) = self.sys.sigaction(sig) else { return };
        if act.handler == SIG_DFL || act.handler == SIG_IGN || act.flags & sa::RESTART != 0 {
            self.cpu.pc -= 4;
            self.cpu.x[0] = orig_x0;
        }
    }

    /// Carry out one of the run loop's own syscalls (a [`VmCall`] row of the table), with the
    /// `--strace` line every syscall gets.
    pub fn vm_syscall(&mut self, nr: u64, call: VmCall, args: Args) -> SyscallOutcome {
        let text = self
            .sys
            .strace
            .then(|| strace::format_call_in(Some(&*self.mem() as &dyn GuestMemory), nr, &args));
        let outcome = match call {
            VmCall::SigReturn => self.sigreturn(),
            VmCall::SigSuspend => SyscallOutcome::Return(self.sigsuspend(args[0], args[1])),
            VmCall::SigPending => SyscallOutcome::Return(self.sigpending(args[0], args[1])),
            VmCall::SigTimedWait => SyscallOutcome::Return(self.sigtimedwait(args)),
            VmCall::SigAction(h) => SyscallOutcome::Return(self.sigaction(h, args)),
            VmCall::SigProcMask(h) => {
                let r = self.recorded(h, args);
                self.mask_changed();
                SyscallOutcome::Return(r)
            }
            VmCall::SigAltStack(h) => SyscallOutcome::Return(self.sigaltstack(h, args)),
        };
        if let Some(text) = text {
            eprintln!("{}", strace::format_result(&text, nr, outcome));
        }
        outcome
    }

    /// The part of a signal syscall the syscall crate does on the state it records.
    fn recorded(&mut self, h: Handler, args: Args) -> u64 {
        match self.with_syscall_context(|sys, ctx| h(sys, ctx, args)) {
            SyscallOutcome::Return(v) => v,
            // The signal-state handlers only return.
            SyscallOutcome::ExitGroup(_)
            | SyscallOutcome::ExitThread(_)
            | SyscallOutcome::Killed(_)
            | SyscallOutcome::ExecInPlace => 0,
        }
    }

    /// `rt_sigaction`: record it, then give the host the matching handler.
    fn sigaction(&mut self, h: Handler, a: Args) -> u64 {
        let r = self.recorded(h, a);
        if r == 0 && a[1] != 0 {
            if let Some(act) = self.sys.sigaction(a[0] as u32) {
                self.signals.host.mirror(a[0] as u32, &act);
                if is_ignored(a[0] as u32, &act) {
                    // Setting SIG_IGN discards pending instances (`sigaction`).
                    let _ = host::take(bit(a[0] as u32));
                }
            }
        }
        r
    }

    /// `sigaltstack`: no change while running on the alternate stack (EPERM); the old stack's
    /// flags get SS_ONSTACK, which the syscall crate cannot know without the sp.
    fn sigaltstack(&mut self, h: Handler, a: Args) -> u64 {
        let on = on_alt_stack(&self.sys.altstack(), self.cpu.sp);
        if on && a[0] != 0 {
            return neg_errno(libc::EPERM);
        }
        let r = self.recorded(h, a);
        if r == 0 && on && a[1] != 0 {
            let flags = a[1] + 8;
            let mut word = [0u8; 4];
            if a64x_syscalls::copy_from_guest(flags, &mut word).is_ok() {
                let v = i32::from_le_bytes(word) | SS_ONSTACK;
                let _ = a64x_syscalls::copy_to_guest(flags, &v.to_le_bytes());
            }
        }
        r
    }

    /// The guest's mask may have changed: give it to the host, and look again for signals that
    /// arrived while blocked in the guest but not yet in the host.
    fn mask_changed(&mut self) {
        let mask = self.sys.signal_mask();
        self.signals.sync_mask(mask);
        if host::has_pending(mask) {
            // SAFETY: see `signal_work`.
            unsafe { std::ptr::addr_of_mut!(self.cpu.pending).write_volatile(1) };
        }
    }

    /// `rt_sigreturn`: restore the state saved in the frame at sp (x0 included, which is what
    /// the call returns); a bad frame is a SIGSEGV.
    fn sigreturn(&mut self) -> SyscallOutcome {
        let sp = self.cpu.sp;
        let mut bytes = vec![0u8; FRAME_SIZE];
        let restored = if sp.is_multiple_of(16) && self.mem().is_accessible(sp, FRAME_SIZE as u64, false) {
            let read = a64x_syscalls::copy_from_guest(sp, &mut bytes);
            read.ok().and_then(|()| frame::restore(&mut self.cpu, &bytes))
        } else {
            None
        };
        let Some(r) = restored else {
            eprintln!("a64x: rt_sigreturn with a bad frame at {sp:#x} (SIGSEGV)");
            return SyscallOutcome::Killed(libc::SIGSEGV);
        };
        self.sys.set_signal_mask(r.mask);
        if !on_alt_stack(&self.sys.altstack(), self.cpu.sp) {
            self.sys.restore_altstack(r.altstack);
        }
        self.mask_changed();
        SyscallOutcome::Return(self.cpu.x[0])
    }

    /// `rt_sigsuspend(mask, size)`: wait with `mask` blocked until a handled signal arrives.
    fn sigsuspend(&mut self, set: u64, size: u64) -> u64 {
        if size != 8 {
            return neg_errno(libc::EINVAL);
        }
        let Ok(new) = a64x_syscalls::read_struct::<u64>(&*self.mem(), set) else {
            return neg_errno(libc::EFAULT);
        };
        let old = self.sys.signal_mask();
        self.sys.set_temporary_mask(new, old);
        let new = self.sys.signal_mask();
        let _ = self.signals.wait_with_mask(new, &mut |set| {
            host::suspend(*set);
            Err(a64x_syscalls::Errno(libc::EINTR))
        });
        // SAFETY: see `signal_work`; forces delivery (and the mask's restoration) next.
        unsafe { std::ptr::addr_of_mut!(self.cpu.pending).write_volatile(1) };
        neg_errno(libc::EINTR)
    }

    /// `rt_sigpending(set, size)`: blocked signals waiting, in the host kernel or recorded here.
    fn sigpending(&mut self, set: u64, size: u64) -> u64 {
        if size > 8 {
            return neg_errno(libc::EINVAL);
        }
        let mut pending = 0u64;
        // SAFETY: a valid 8-byte buffer.
        unsafe { libc::syscall(libc::SYS_rt_sigpending, &mut pending as *mut u64, 8usize) };
        pending = (pending | host::pending_set()) & self.sys.signal_mask();
        match a64x_syscalls::write_bytes(&*self.mem(), set, &pending.to_le_bytes()[..size as usize]) {
            Ok(()) => 0,
            Err(_) => neg_errno(libc::EFAULT),
        }
    }

    /// `rt_sigtimedwait(set, info, timeout, size)`: take a signal of `set`, one recorded here
    /// first, else wait for it in the host kernel (siginfo_t and timespec are the same there).
    fn sigtimedwait(&mut self, a: Args) -> u64 {
        let (set, info, timeout, size) = (a[0], a[1], a[2], a[3]);
        if size != 8 {
            return neg_errno(libc::EINVAL);
        }
        let Ok(want) = a64x_syscalls::read_struct::<u64>(&*self.mem(), set) else {
            return neg_errno(libc::EFAULT);
        };
        if info != 0 && !self.mem().is_accessible(info, SIGINFO_SIZE as u64, true)
            || timeout != 0 && !self.mem().is_accessible(timeout, 16, false)
        {
            return neg_errno(libc::EFAULT);
        }
        if let Some((sig, si)) = host::take(want) {
            if info != 0 && a64x_syscalls::copy_to_guest(info, &si).is_err() {
                return neg_errno(libc::EFAULT);
            }
            return sig as u64;
        }
        // SAFETY: every pointer is null or guest memory of the right size, checked above.
        let r = unsafe { libc::syscall(libc::SYS_rt_sigtimedwait, &want as *const u64, info, timeout, 8usize) };
        if r < 0 {
            neg_errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EINVAL))
        } else {
            r as u64
        }
    }
}
