//! Guest signals (kernel/signal.c, arch/arm64/kernel/signal.c): host handlers that record
//! arriving signals ([`host`]), the AArch64 `rt_sigframe` ([`frame`]), and delivery to guest
//! handlers, `rt_sigreturn` and the other signal syscalls the run loop carries out itself
//! ([`deliver`]).
//!
//! The host process mirrors the guest's signal state: a signal the guest handles has the host
//! handler, one it ignores is ignored by the host, one at its default action has the host's
//! default (so the host kernel terminates, stops or ignores exactly as the guest's would), and
//! the host's blocked mask is the guest's (so the host kernel keeps blocked signals pending until
//! the guest unblocks them). Only handled signals pass through the VM: the host handler records
//! them and sets `CpuState::pending`, emitted code returns to the run loop at its next block
//! exit, and the run loop builds the guest's signal frame.
//!
//! Not covered: synchronous faults inside translated code (a guest load or store through a bad
//! address kills the VM with SIGSEGV/SIGBUS, as an unhandled guest fault would, even when the
//! guest has a handler); real-time signals sent several times before delivery are delivered once;
//! the dispositions of signals 32 and 33 (reserved by the host's glibc) are not mirrored.

pub mod altstack;
pub mod deliver;
pub mod frame;
pub mod host;

use crate::memory::AddressSpace;
use a64x_syscalls::{GuestMemory, GuestSigaction, GuestStack, Syscalls};
use host::{HostDispositions, SigInfo};

/// `SA_*` flags of the guest's `struct sigaction` (arch/arm64 uses the generic values).
pub mod sa {
    /// The handler takes (signo, siginfo, ucontext).
    pub const SIGINFO: u64 = 0x4;
    /// Run the handler on the alternate stack.
    pub const ONSTACK: u64 = 0x0800_0000;
    /// Restart interrupted syscalls.
    pub const RESTART: u64 = 0x1000_0000;
    /// Do not block the signal while its handler runs.
    pub const NODEFER: u64 = 0x4000_0000;
    /// Reset to SIG_DFL on delivery.
    pub const RESETHAND: u64 = 0x8000_0000;
    /// `sa_restorer` is the return address of the handler.
    pub const RESTORER: u64 = 0x0400_0000;
}

/// `SIG_DFL` and `SIG_IGN` as handler values.
pub const SIG_DFL: u64 = 0;
/// See [`SIG_DFL`].
pub const SIG_IGN: u64 = 1;

/// `SS_ONSTACK` / `SS_AUTODISARM` flags of `stack_t`.
const SS_ONSTACK: i32 = 1;
const SS_AUTODISARM: i32 = 1 << 31;

/// The sigreturn trampoline the VM maps for handlers without `SA_RESTORER` (the kernel's vDSO
/// `__kernel_rt_sigreturn`): `mov x8, #139` (`__NR_rt_sigreturn`); `svc #0`.
const TRAMPOLINE: [u32; 2] = [0xd280_1168, 0xd400_0001];
const PAGE: u64 = 4096;

/// What the default disposition of a signal does (signal(7)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultAction {
    /// End the process.
    Terminate,
    /// End the process with a core dump (the VM never writes one).
    Core,
    /// Nothing.
    Ignore,
    /// Stop the process.
    Stop,
}

/// The default action of signal `sig` (1..=64).
pub fn default_action(sig: u32) -> DefaultAction {
    match sig as i32 {
        libc::SIGQUIT
        | libc::SIGILL
        | libc::SIGTRAP
        | libc::SIGABRT
        | libc::SIGBUS
        | libc::SIGFPE
        | libc::SIGSEGV
        | libc::SIGXCPU
        | libc::SIGXFSZ
        | libc::SIGSYS => DefaultAction::Core,
        libc::SIGCHLD | libc::SIGCONT | libc::SIGURG | libc::SIGWINCH => DefaultAction::Ignore,
        libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU => DefaultAction::Stop,
        _ => DefaultAction::Terminate,
    }
}

/// Whether `act` ignores `sig`, explicitly or by default.
pub fn is_ignored(sig: u32, act: &GuestSigaction) -> bool {
    act.handler == SIG_IGN || act.handler == SIG_DFL && default_action(sig) == DefaultAction::Ignore
}

/// Whether `sp` is on the alternate stack `st` (`on_sig_stack`: never with SS_AUTODISARM).
pub fn on_alt_stack(st: &GuestStack, sp: u64) -> bool {
    st.is_enabled() && st.flags & SS_AUTODISARM == 0 && sp > st.sp && sp - st.sp <= st.size
}

/// Signal state of the VM that the syscall crate does not keep.
pub struct Signals {
    /// Guest address of the sigreturn trampoline.
    trampoline: u64,
    /// The host's dispositions as found at start.
    host: HostDispositions,
    /// The blocked mask last given to the host.
    host_mask: u64,
    /// A synchronous signal (SIGILL, SIGTRAP) raised by the last instruction, to deliver first.
    sync: Option<(u32, SigInfo)>,
}

impl Signals {
    /// Set up signal handling for a freshly exec'd guest: map the sigreturn trampoline, and take
    /// over from the host what survives execve (ignored signals and the blocked mask) into the
    /// guest's state in `sys`.
    pub fn new(mem: &mut AddressSpace, sys: &mut Syscalls) -> Result<Signals, String> {
        let trampoline = mem
            .map_anon(0, PAGE, libc::PROT_READ | libc::PROT_WRITE, "[sigpage]")
            .map_err(|e| format!("cannot map the signal trampoline: errno {e}"))?;
        for (i, w) in TRAMPOLINE.iter().enumerate() {
            // SAFETY: the page was just mapped readable and writable at this address.
            unsafe { (trampoline as *mut u32).add(i).write(*w) };
        }
        mem.mprotect(trampoline, PAGE, libc::PROT_READ | libc::PROT_EXEC)
            .map_err(|e| format!("cannot protect the signal trampoline: errno {e}"))?;
        let (host, ignored) = HostDispositions::capture();
        for sig in [libc::SIGSEGV, libc::SIGBUS] {
            // Caught from the start (see `HostDispositions::mirror`).
            host.mirror(sig as u32, &GuestSigaction::default());
        }
        // With the fault signals caught, the syscall layer copies guest memory with the probe's
        // copy rather than through the kernel.
        a64x_syscalls::set_fault_safe_copy(host::fault_safe_copy);
        for sig in 1..=host::NSIG {
            if ignored & host::bit(sig) != 0 {
                let act = GuestSigaction {
                    handler: SIG_IGN,
                    ..GuestSigaction::default()
                };
                sys.set_sigaction(sig, act);
            }
        }
        let mask = host::host_mask();
        sys.set_signal_mask(mask);
        Ok(Signals {
            trampoline,
            host,
            host_mask: mask,
            sync: None,
        })
    }

    /// Give the host the signal dispositions the kernel's execve leaves for the next program
    /// (see [`HostDispositions::reset_for_exec`]), from the guest's in `sys`.
    pub fn reset_for_exec(&self, sys: &Syscalls) {
        let ignored = (1..=host::NSIG)
            .filter(|&sig| sys.sigaction(sig).is_some_and(|a| a.handler == host::SIG_IGN))
            .fold(0, |m, sig| m | host::bit(sig));
        self.host.reset_for_exec(ignored);
    }

    /// The signal state of a new guest thread started by the thread that owns `self`: the same
    /// trampoline and host dispositions, the same blocked mask (a new host thread inherits its
    /// creator's), nothing pending.
    pub fn for_thread(&self) -> Signals {
        Signals {
            trampoline: self.trampoline,
            host: self.host.clone(),
            host_mask: self.host_mask,
            sync: None,
        }
    }

    /// Guest address of the sigreturn trampoline.
    pub fn trampoline(&self) -> u64 {
        self.trampoline
    }

    /// Run a host wait with the guest's temporary mask `mask` in force for exactly its duration
    /// (see `SyscallContext::wait_with_mask`): with every host signal blocked, look for one
    /// already recorded that `mask` lets through (then EINTR at once); otherwise the host call
    /// swaps `mask` in atomically, so a signal pending in the host kernel ends the wait at once
    /// and none slips in between the look and the wait. The host handler records a signal that
    /// arrives during the wait, and the call ends with EINTR.
    pub fn wait_with_mask(
        &self,
        mask: u64,
        wait: &mut dyn FnMut(&u64) -> a64x_syscalls::SysResult,
    ) -> a64x_syscalls::SysResult {
        host::set_host_mask(!0);
        let r = if host::has_pending(mask) {
            Err(a64x_syscalls::Errno(libc::EINTR))
        } else {
            wait(&mask)
        };
        host::set_host_mask(self.host_mask);
        r
    }

    /// Give the host the guest's blocked mask, if it changed.
    fn sync_mask(&mut self, mask: u64) {
        if mask != self.host_mask {
            host::set_host_mask(mask);
            self.host_mask = mask;
        }
    }
}
