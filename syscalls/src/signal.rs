//! Signal-state syscalls (`kernel/signal.c`): `rt_sigaction`, `rt_sigprocmask`, `sigaltstack`.
//! They only record the guest's view (AArch64 structures, `arch/arm64/include/uapi/asm/signal.h`);
//! host signal handling belongs to the VM, which reads this state back through [`Syscalls`].

use std::mem::size_of;

use crate::uaccess::{read_struct, write_struct};
use crate::{Args, Errno, SysResult, SyscallContext, Syscalls};

/// Number of signals (1..=64).
pub const NSIG: usize = 64;

/// Size of the kernel's `sigset_t` on both ABIs: the only `sigsetsize` the kernel accepts.
const SIGSET_SIZE: u64 = 8;

const SIGKILL: u64 = 9;
const SIGSTOP: u64 = 19;

/// Mask bits of the signals that can never be blocked or caught.
pub const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

/// arm64's `MINSIGSTKSZ`: larger than x86-64's because of the SVE/FP signal frame.
const MINSIGSTKSZ: u64 = 5120;
const SS_ONSTACK: i32 = 1;
const SS_DISABLE: i32 = 2;
const SS_AUTODISARM: i32 = 1 << 31;

/// Index into the disposition table of signal `sig`, if it is a valid signal number.
pub fn index(sig: u64) -> Option<usize> {
    (1..=NSIG as u64).contains(&sig).then(|| sig as usize - 1)
}

/// The kernel's AArch64 `struct sigaction` as the guest passes it to `rt_sigaction` (32 bytes;
/// arm64 defines SA_RESTORER, so the field exists, though its libc leaves it unused).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GuestSigaction {
    /// Handler address, or SIG_DFL (0) / SIG_IGN (1).
    pub handler: u64,
    /// `SA_*` flags (same values on both ABIs).
    pub flags: u64,
    /// Restorer address (meaningful only with SA_RESTORER).
    pub restorer: u64,
    /// Signals blocked while the handler runs.
    pub mask: u64,
}

const _: () = assert!(size_of::<GuestSigaction>() == 32);

/// AArch64's `stack_t` for `sigaltstack` (24 bytes: pointer, int, padding, size).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GuestStack {
    /// Base of the alternate stack.
    pub sp: u64,
    /// `SS_DISABLE` when there is none; may carry `SS_AUTODISARM`.
    pub flags: i32,
    /// Padding (the C struct aligns the size field).
    pub pad: i32,
    /// Size of the alternate stack in bytes.
    pub size: u64,
}

const _: () = assert!(size_of::<GuestStack>() == 24);

impl GuestStack {
    /// No alternate stack, as at process start.
    pub fn disabled() -> Self {
        GuestStack {
            sp: 0,
            flags: SS_DISABLE,
            pad: 0,
            size: 0,
        }
    }

    /// Whether an alternate stack is set up.
    pub fn is_enabled(&self) -> bool {
        self.flags & SS_DISABLE == 0
    }
}

/// `rt_sigaction(sig, act, oldact, sigsetsize)`.
pub fn rt_sigaction(s: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let (sig, act, oact) = (a[0], a[1], a[2]);
    if a[3] != SIGSET_SIZE {
        return Err(Errno(libc::EINVAL));
    }
    let i = index(sig).ok_or(Errno(libc::EINVAL))?;
    let new = if act != 0 {
        if sig == SIGKILL || sig == SIGSTOP {
            return Err(Errno(libc::EINVAL));
        }
        let mut n: GuestSigaction = read_struct(ctx, act)?;
        n.mask &= !UNBLOCKABLE;
        Some(n)
    } else {
        None
    };
    // Check the old-action buffer before changing anything, so a fault leaves the state alone.
    if oact != 0 && !ctx.is_accessible(oact, size_of::<GuestSigaction>() as u64, true) {
        return Err(Errno(libc::EFAULT));
    }
    let old = {
        let mut acts = s.dispositions();
        let old = acts[i];
        if let Some(n) = new {
            acts[i] = n;
        }
        old
    };
    if oact != 0 {
        write_struct(ctx, oact, &old)?;
    }
    Ok(0)
}

/// `rt_sigprocmask(how, set, oldset, sigsetsize)`.
pub fn rt_sigprocmask(s: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let (how, set, oset) = (a[0] as i32, a[1], a[2]);
    if a[3] != SIGSET_SIZE {
        return Err(Errno(libc::EINVAL));
    }
    let new: Option<u64> = if set != 0 { Some(read_struct(ctx, set)?) } else { None };
    if oset != 0 && !ctx.is_accessible(oset, SIGSET_SIZE, true) {
        return Err(Errno(libc::EFAULT));
    }
    let old = s.sigmask;
    if let Some(n) = new {
        let mask = match how {
            libc::SIG_BLOCK => old | n,
            libc::SIG_UNBLOCK => old & !n,
            libc::SIG_SETMASK => n,
            _ => return Err(Errno(libc::EINVAL)),
        };
        s.set_signal_mask(mask);
    }
    if oset != 0 {
        write_struct(ctx, oset, &old)?;
    }
    Ok(0)
}

/// `sigaltstack(ss, old_ss)`.
pub fn sigaltstack(s: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let (ss, old_ss) = (a[0], a[1]);
    let new = if ss != 0 {
        let n: GuestStack = read_struct(ctx, ss)?;
        let mode = n.flags & !SS_AUTODISARM;
        if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
            return Err(Errno(libc::EINVAL));
        }
        Some(if mode == SS_DISABLE {
            GuestStack::disabled()
        } else if n.size < MINSIGSTKSZ {
            return Err(Errno(libc::ENOMEM));
        } else {
            // SS_ONSTACK on input is an old synonym for 0.
            GuestStack {
                sp: n.sp,
                flags: n.flags & SS_AUTODISARM,
                pad: 0,
                size: n.size,
            }
        })
    } else {
        None
    };
    if old_ss != 0 && !ctx.is_accessible(old_ss, size_of::<GuestStack>() as u64, true) {
        return Err(Errno(libc::EFAULT));
    }
    let old = s.altstack;
    if let Some(n) = new {
        s.altstack = n;
    }
    if old_ss != 0 {
        write_struct(ctx, old_ss, &old)?;
    }
    Ok(0)
}

/// Run `wait`, a blocking host call, with the guest's temporary mask from the sigset at guest
/// address `set` (`sigsetsize` bytes; 0: no temporary mask) in force, as `pselect6`, `ppoll` and
/// `epoll_pwait` do (`set_user_sigmask`, `restore_saved_sigmask_unless`, kernel/signal.c): when
/// a signal interrupts the wait (EINTR), its handler still runs under the temporary mask and the
/// old one comes back when the handler returns; otherwise the old mask is back at once.
pub(crate) fn with_wait_mask(
    s: &mut Syscalls,
    ctx: &mut dyn SyscallContext,
    set: u64,
    sigsetsize: u64,
    wait: &mut dyn FnMut(Option<&u64>) -> SysResult,
) -> SysResult {
    if set == 0 {
        return wait(None);
    }
    if sigsetsize != SIGSET_SIZE {
        return Err(Errno(libc::EINVAL));
    }
    let temp: u64 = read_struct(ctx, set)?;
    let old = s.sigmask;
    s.set_signal_mask(temp);
    let r = ctx.wait_with_mask(s.sigmask, &mut |host_set| wait(Some(host_set)));
    if r == Err(Errno(libc::EINTR)) {
        s.saved_sigmask = Some(old);
    } else {
        s.sigmask = old;
    }
    r
}

/// `SFD_CLOEXEC` and `SFD_NONBLOCK` (`O_CLOEXEC`, `O_NONBLOCK`: the same values on both ABIs).
const SFD_FLAGS: u64 = 0o2000000 | 0o4000;

/// `signalfd4(fd, mask, sizemask, flags)`: the host's signalfd with the guest's mask read in
/// (`struct signalfd_siginfo` is the same 128 bytes on both ABIs). The guest's blocked signals
/// are blocked on the host too (see the VM's signal module), so they stay pending in the host
/// kernel, where the signalfd reads them.
pub fn signalfd4(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let (fd, set, size, flags) = (a[0] as i32, a[1], a[2], a[3]);
    if size != SIGSET_SIZE || flags & !SFD_FLAGS != 0 {
        return Err(Errno(libc::EINVAL));
    }
    let mask: u64 = read_struct(ctx, set)?;
    // SAFETY: `mask` is a valid 8-byte sigset; the other arguments are plain values.
    crate::uaccess::check(unsafe { libc::syscall(libc::SYS_signalfd4, fd, &mask as *const u64, 8usize, flags) })
}

/// What signal delivery and `rt_sigreturn` change in the recorded state (the kernel's
/// `get_signal`/`signal_delivered`/`restore_altstack`, kernel/signal.c).
impl Syscalls {
    /// Replace the disposition of `sig` (1..=64) without the syscall's checks: `SA_RESETHAND`
    /// resetting it to SIG_DFL on delivery, or a SIG_IGN inherited across exec.
    pub fn set_sigaction(&mut self, sig: u32, act: GuestSigaction) {
        if let Some(i) = index(sig as u64) {
            self.dispositions()[i] = GuestSigaction {
                mask: act.mask & !UNBLOCKABLE,
                ..act
            };
        }
    }

    /// Disarm the alternate stack, as delivery on a stack set up with `SS_AUTODISARM` does.
    pub fn disarm_altstack(&mut self) {
        self.altstack = GuestStack::disabled();
    }

    /// Restore the alternate stack saved in a signal frame's `uc_stack` (`restore_altstack`): the
    /// same checks as `sigaltstack`, and as in the kernel an invalid one is silently ignored.
    /// The caller checks that the guest is not running on the current alternate stack.
    pub fn restore_altstack(&mut self, st: GuestStack) {
        let mode = st.flags & !SS_AUTODISARM;
        if mode == SS_DISABLE {
            self.altstack = GuestStack::disabled();
        } else if (mode == 0 || mode == SS_ONSTACK) && st.size >= MINSIGSTKSZ {
            self.altstack = GuestStack {
                sp: st.sp,
                flags: st.flags & SS_AUTODISARM,
                pad: 0,
                size: st.size,
            };
        }
    }
}

/// The signals the VM's own faults raise: a host handler tells a real fault from a sent signal
/// by its positive `si_code`, which only the kernel gives them.
const FAULT_SIGNALS: [u64; 5] = [4, 5, 7, 8, 11]; // SIGILL, SIGTRAP, SIGBUS, SIGFPE, SIGSEGV

/// Size of `siginfo_t` on both ABIs.
const SIGINFO_SIZE: usize = 128;

/// The siginfo a guest queues with `sig`, copied out of guest memory (so the kernel sends what
/// was checked), refused (EPERM, what Linux answers for another process) when it would pass for
/// a hardware fault of the VM's: a fault signal with a positive `si_code`. Linux lets a process
/// send itself such a signal; here it would make the VM take it for a fault in translated code.
fn queued_info(ctx: &dyn SyscallContext, sig: u64, info: u64) -> Result<[u8; SIGINFO_SIZE], Errno> {
    let bytes = crate::uaccess::read_bytes(ctx, info, SIGINFO_SIZE)?;
    let mut out = [0u8; SIGINFO_SIZE];
    out.copy_from_slice(&bytes);
    let code = i32::from_le_bytes(out[8..12].try_into().expect("4 bytes"));
    if FAULT_SIGNALS.contains(&sig) && code > 0 {
        return Err(Errno(libc::EPERM));
    }
    Ok(out)
}

/// `rt_sigqueueinfo(tgid, sig, info)`.
pub fn rt_sigqueueinfo(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let info = queued_info(ctx, a[1], a[2])?;
    crate::uaccess::host_syscall(libc::SYS_rt_sigqueueinfo, &[a[0], a[1], info.as_ptr() as u64, 0, 0, 0])
}

/// `rt_tgsigqueueinfo(tgid, tid, sig, info)`.
pub fn rt_tgsigqueueinfo(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let info = queued_info(ctx, a[2], a[3])?;
    crate::uaccess::host_syscall(
        libc::SYS_rt_tgsigqueueinfo,
        &[a[0], a[1], a[2], info.as_ptr() as u64, 0, 0],
    )
}

/// `pidfd_send_signal(pidfd, sig, info, flags)`: a null info is `kill`'s.
pub fn pidfd_send_signal(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    if a[2] == 0 {
        return crate::uaccess::host_syscall(libc::SYS_pidfd_send_signal, &a);
    }
    let info = queued_info(ctx, a[1], a[2])?;
    crate::uaccess::host_syscall(
        libc::SYS_pidfd_send_signal,
        &[a[0], a[1], info.as_ptr() as u64, a[3], 0, 0],
    )
}
