//! Process and thread syscalls (`kernel/exit.c`, `kernel/fork.c`, `kernel/sys.c`, `kernel/futex`):
//! exits, `clone` as fork and vfork (`kernel_clone`), the tid address and robust list, `uname`
//! (the guest machine is `aarch64`), `prctl`.

use std::mem::size_of;

use crate::uaccess::{host_syscall, write_struct};
use crate::{Args, Errno, ForkKind, NewThread, SysResult, SyscallContext, SyscallOutcome, Syscalls};

/// `exit(status)`: only the calling thread ends.
pub fn exit(_: &mut Syscalls, _: &mut dyn SyscallContext, a: Args) -> SyscallOutcome {
    // The kernel keeps the low 8 bits (status & 0xff) as the exit code; the VM passes it on as is.
    SyscallOutcome::ExitThread(a[0] as i32)
}

/// `exit_group(status)`: the whole process ends.
pub fn exit_group(_: &mut Syscalls, _: &mut dyn SyscallContext, a: Args) -> SyscallOutcome {
    SyscallOutcome::ExitGroup(a[0] as i32)
}

/// Syscalls a64x deliberately does not offer and libc probes for at start-up (rseq, membarrier):
/// -ENOSYS without the "unsupported" warning, since the fallback is normal.
pub fn enosys(_: &mut Syscalls, _: &mut dyn SyscallContext, _: Args) -> SysResult {
    Err(Errno(libc::ENOSYS))
}

/// Whether the guest has made a POSIX timer (`timer_create`): the kernel deletes a process's
/// timers at execve (`exit_itimers`), which an exec in the same host process could not do for
/// the host timers the guest's are, so with any made the exec goes through the host kernel.
static TIMERS_MADE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `timer_create(clockid, sevp, timerid)`: the host's, noted (see [`TIMERS_MADE`]).
pub fn timer_create(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    // (An emulated row: its pointers are checked here. The kernel reads the sigevent, whose
    // value a signal later carries back, and writes the timer's id.)
    if a[1] >= ctx.guest_limit() || a[2] >= ctx.guest_limit() {
        return Err(Errno(libc::EFAULT));
    }
    let r = host_syscall(libc::SYS_timer_create, &a)?;
    TIMERS_MADE.store(true, std::sync::atomic::Ordering::Relaxed);
    Ok(r)
}

/// Whether the process has (or had) POSIX timers the host kernel keeps for it.
pub fn timers_made() -> bool {
    TIMERS_MADE.load(std::sync::atomic::Ordering::Relaxed)
}

/// `set_tid_address(tidptr)`: recorded for the VM's thread exit; returns the caller's tid.
pub fn set_tid_address(s: &mut Syscalls, _: &mut dyn SyscallContext, a: Args) -> SysResult {
    s.clear_child_tid = a[0];
    // SAFETY: gettid has no preconditions.
    Ok(unsafe { libc::syscall(libc::SYS_gettid) } as u64)
}

/// `struct robust_list_head` size: the only length the kernel accepts.
const ROBUST_LIST_HEAD_SIZE: u64 = 24;

/// `set_robust_list(head, len)`: recorded; the host kernel must not walk a list the VM may need
/// to handle itself at thread exit.
pub fn set_robust_list(s: &mut Syscalls, _: &mut dyn SyscallContext, a: Args) -> SysResult {
    if a[1] != ROBUST_LIST_HEAD_SIZE {
        return Err(Errno(libc::EINVAL));
    }
    s.robust_list = (a[0], a[1]);
    Ok(0)
}

// `struct new_utsname`: six 65-byte fields on both ABIs.
const _: () = assert!(size_of::<libc::utsname>() == 390);

/// `uname(buf)`: the host's answer, except that the machine is `aarch64`.
pub fn uname(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    // SAFETY: all-zero is a valid utsname.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a local of the right layout.
    if unsafe { libc::uname(&mut u) } != 0 {
        return Err(Errno::last());
    }
    u.machine = [0; 65];
    for (d, s) in u.machine.iter_mut().zip(b"aarch64") {
        *d = *s as libc::c_char;
    }
    write_struct(ctx, a[0], &u)?;
    Ok(0)
}

/// `prctl` options (include/uapi/linux/prctl.h, the same numbers on both ABIs).
mod pr {
    pub const SET_PDEATHSIG: u64 = 1;
    pub const GET_PDEATHSIG: u64 = 2;
    pub const GET_DUMPABLE: u64 = 3;
    pub const SET_DUMPABLE: u64 = 4;
    pub const GET_KEEPCAPS: u64 = 7;
    pub const SET_KEEPCAPS: u64 = 8;
    pub const GET_TIMING: u64 = 13;
    pub const SET_TIMING: u64 = 14;
    pub const SET_NAME: u64 = 15;
    pub const GET_NAME: u64 = 16;
    pub const GET_SECCOMP: u64 = 21;
    pub const CAPBSET_READ: u64 = 23;
    pub const CAPBSET_DROP: u64 = 24;
    pub const GET_SECUREBITS: u64 = 27;
    pub const SET_SECUREBITS: u64 = 28;
    pub const SET_TIMERSLACK: u64 = 29;
    pub const GET_TIMERSLACK: u64 = 30;
    pub const TASK_PERF_EVENTS_DISABLE: u64 = 31;
    pub const TASK_PERF_EVENTS_ENABLE: u64 = 32;
    pub const MCE_KILL: u64 = 33;
    pub const MCE_KILL_GET: u64 = 34;
    pub const SET_CHILD_SUBREAPER: u64 = 36;
    pub const GET_CHILD_SUBREAPER: u64 = 37;
    pub const SET_NO_NEW_PRIVS: u64 = 38;
    pub const GET_NO_NEW_PRIVS: u64 = 39;
    pub const SET_THP_DISABLE: u64 = 41;
    pub const GET_THP_DISABLE: u64 = 42;
    pub const CAP_AMBIENT: u64 = 47;
    pub const GET_SPECULATION_CTRL: u64 = 52;
    pub const SET_SPECULATION_CTRL: u64 = 53;
    pub const SET_PTRACER: u64 = 0x5961_6d61;
}

/// `prctl(option, arg2, ...)`. The options that only set or read a process or thread attribute
/// the guest may have as the VM's process has it (its name, parent-death signal, dumpable and
/// keep-caps flags, child subreaper, no_new_privs, capabilities, timer slack, ...) are the host
/// kernel's, with the pointer the getters write through checked; the rest give EINVAL, as a
/// kernel without them would: those that would act on the VM's own workings (seccomp filters
/// for the wrong system-call table, memory-deny-write-execute over its code cache, PR_SET_MM,
/// PR_GET_AUXV's host vector) and the arm64 ones for features a64x does not offer (SVE, SME,
/// pointer authentication, the tagged-address ABI).
pub fn prctl(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let writes_arg2 = matches!(
        a[0],
        pr::GET_PDEATHSIG | pr::GET_NAME | pr::GET_CHILD_SUBREAPER | pr::SET_NAME
    );
    if writes_arg2 && a[1] >= ctx.guest_limit() {
        // (PR_SET_NAME reads it: the kernel would take the VM's bytes as the name.)
        return Err(Errno(libc::EFAULT));
    }
    match a[0] {
        pr::SET_PDEATHSIG
        | pr::GET_PDEATHSIG
        | pr::GET_DUMPABLE
        | pr::SET_DUMPABLE
        | pr::GET_KEEPCAPS
        | pr::SET_KEEPCAPS
        | pr::GET_TIMING
        | pr::SET_TIMING
        | pr::SET_NAME
        | pr::GET_NAME
        | pr::GET_SECCOMP
        | pr::CAPBSET_READ
        | pr::CAPBSET_DROP
        | pr::GET_SECUREBITS
        | pr::SET_SECUREBITS
        | pr::SET_TIMERSLACK
        | pr::GET_TIMERSLACK
        | pr::TASK_PERF_EVENTS_DISABLE
        | pr::TASK_PERF_EVENTS_ENABLE
        | pr::MCE_KILL
        | pr::MCE_KILL_GET
        | pr::SET_CHILD_SUBREAPER
        | pr::GET_CHILD_SUBREAPER
        | pr::SET_NO_NEW_PRIVS
        | pr::GET_NO_NEW_PRIVS
        | pr::SET_THP_DISABLE
        | pr::GET_THP_DISABLE
        | pr::CAP_AMBIENT
        | pr::GET_SPECULATION_CTRL
        | pr::SET_SPECULATION_CTRL
        | pr::SET_PTRACER => host_syscall(libc::SYS_prctl, &a),
        _ => Err(Errno(libc::EINVAL)),
    }
}

/// `clone` flags (include/uapi/linux/sched.h), the same numbers on both ABIs.
mod cf {
    pub const VM: u64 = 0x100;
    pub const SIGHAND: u64 = 0x800;
    pub const PIDFD: u64 = 0x1000;
    pub const VFORK: u64 = 0x4000;
    pub const THREAD: u64 = 0x10000;
    pub const SETTLS: u64 = 0x80000;
    pub const PARENT_SETTID: u64 = 0x100000;
    pub const CHILD_CLEARTID: u64 = 0x200000;
    pub const CHILD_SETTID: u64 = 0x1000000;
    /// CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET.
    pub const NAMESPACES: u64 =
        0x20000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 | 0x2000_0000 | 0x4000_0000;
}

/// Where the vfork pipe's ends go in the guest's descriptor table: out of the way of the low
/// numbers a vfork child opens and dup2s onto before it execs (falls back to the lowest free).
const VFORK_FD_FLOOR: i32 = 900;

/// `clone(flags, stack, parent_tid, tls, child_tid)` — AArch64's argument order; x86-64 swaps the
/// last two. A clone without CLONE_VM (fork) is a host clone of the whole VM process: code cache,
/// CpuState and address-space bookkeeping are copied with the guest's memory, and the child goes
/// on in the run loop with x0 = 0.
///
/// CLONE_VM|CLONE_VFORK (glibc's vfork and posix_spawn) is carried out the same way, a copy
/// instead of a shared address space, which the guest cannot tell apart as long as the parent is
/// suspended until the child execs or exits: the parent waits for EOF on a close-on-exec pipe whose
/// write end only the child holds. (What the child writes to memory before its exec is not seen by
/// the parent, so glibc's posix_spawn cannot report an exec failure through memory and reports
/// success with the child exiting 127, as under qemu-user.)
///
/// A thread (CLONE_VM without CLONE_VFORK) is [`clone_thread`].
pub fn clone(s: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let [flags, stack, ptid, tls, ctid, _] = a;
    let vfork = flags & cf::VFORK != 0;
    if flags & cf::VM != 0 && !vfork || flags & cf::THREAD != 0 {
        return clone_thread(s, ctx, a);
    }
    // The tid pointers are written by the host kernel, which would write into the VM's memory as
    // readily as into the guest's.
    for (flag, ptr) in [
        (cf::PARENT_SETTID | cf::PIDFD, ptid),
        (cf::CHILD_SETTID | cf::CHILD_CLEARTID, ctid),
    ] {
        if flags & flag != 0 && !ctx.is_accessible(ptr, 4, true) {
            return Err(Errno(libc::EFAULT));
        }
    }
    // CLONE_SETTLS would set the host thread pointer (fs): the VM sets the guest's TPIDR_EL0
    // instead. Without a shared address space, the CLONE_VM of a vfork and the CLONE_SIGHAND that
    // may come with it mean nothing; everything else (namespaces, CLONE_PARENT, CLONE_FILES, the
    // exit signal, the tid writes) the host kernel carries out as the guest's would.
    let host_flags = flags & !(cf::VM | cf::VFORK | cf::SETTLS | if vfork { cf::SIGHAND } else { 0 });
    let waiter = if vfork { VforkPipe::new() } else { None };
    let tid_flags = cf::PARENT_SETTID | cf::CHILD_SETTID | cf::CHILD_CLEARTID;
    let plain_fork = host_flags & !tid_flags == libc::SIGCHLD as u64;
    // The VM's locks are held across the host clone (with_fork_locks), so that the child finds
    // none of them taken by a thread it does not have. A plain fork (SIGCHLD and tid writes, what
    // the guest's fork, vfork and posix_spawn ask for) is the host libc's fork(), which also takes
    // and resets malloc's locks for the child; the tid writes are then done here, as
    // copy_process does them. Anything else is a raw clone.
    let r = ctx.with_fork_locks(&mut || {
        if plain_fork {
            // SAFETY: fork(2) of this process; the child goes on here with a copy of this thread.
            let r = unsafe { libc::fork() } as i64;
            // SAFETY: the tid pointers are writable guest memory (checked above), identity-mapped.
            unsafe {
                if r > 0 && flags & cf::PARENT_SETTID != 0 {
                    (ptid as *mut u32).write_volatile(r as u32);
                }
                if r == 0 && flags & cf::CHILD_SETTID != 0 {
                    (ctid as *mut u32).write_volatile(libc::syscall(libc::SYS_gettid) as u32);
                }
                if r == 0 && flags & cf::CHILD_CLEARTID != 0 {
                    libc::syscall(libc::SYS_set_tid_address, ctid);
                }
            }
            r
        } else {
            // SAFETY: a fork-like clone (no CLONE_VM, no new stack): the child continues here on a
            // copy of this thread's stack and memory, as after fork(2). The tid pointers are
            // writable guest memory (checked above).
            unsafe { libc::syscall(libc::SYS_clone, host_flags, 0u64, ptid, ctid, 0u64) }
        }
    });
    if r == -1 {
        return Err(Errno::last());
    }
    if r == 0 {
        if let Some(w) = &waiter {
            w.in_child();
        }
        // copy_process: the child has its own clear_child_tid, and no robust list.
        s.clear_child_tid = if flags & cf::CHILD_CLEARTID != 0 { ctid } else { 0 };
        s.robust_list = (0, 0);
        let kind = if vfork { ForkKind::Vfork } else { ForkKind::Fork };
        ctx.fork_child(stack, (flags & cf::SETTLS != 0).then_some(tls), kind);
        return Ok(0);
    }
    if let Some(w) = waiter {
        w.wait_in_parent();
    }
    Ok(r as u64)
}

/// `clone` of a thread (what glibc's pthread_create asks for: CLONE_VM|CLONE_FS|CLONE_FILES|
/// CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID):
/// the VM runs the new guest thread on a new host thread ([`SyscallContext::spawn_thread`]), which
/// shares with this one everything CLONE_FS, CLONE_FILES and CLONE_SYSVSEM ask to share. Only
/// CLONE_VM|CLONE_SIGHAND|CLONE_THREAD together are supported (the flag checks of
/// `copy_process` first); a shared address space without CLONE_THREAD (a separate process) is
/// -ENOSYS, reported once.
fn clone_thread(s: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let [flags, stack, ptid, tls, ctid, _] = a;
    if flags & cf::THREAD != 0 && flags & cf::SIGHAND == 0 || flags & cf::SIGHAND != 0 && flags & cf::VM == 0 {
        return Err(Errno(libc::EINVAL));
    }
    if flags & cf::THREAD == 0 || flags & cf::VFORK != 0 {
        s.report_unsupported_once(
            220,
            "clone with CLONE_VM but without CLONE_THREAD (or with CLONE_VFORK)",
        );
        return Err(Errno(libc::ENOSYS));
    }
    if flags & (cf::PIDFD | cf::NAMESPACES) != 0 {
        // A thread has no pidfd and shares the caller's namespaces (the exit signal is ignored).
        return Err(Errno(libc::EINVAL));
    }
    for (flag, ptr) in [(cf::PARENT_SETTID, ptid), (cf::CHILD_SETTID | cf::CHILD_CLEARTID, ctid)] {
        if flags & flag != 0 && !ctx.is_accessible(ptr, 4, true) {
            return Err(Errno(libc::EFAULT));
        }
    }
    let clear = if flags & cf::CHILD_CLEARTID != 0 { ctid } else { 0 };
    let t = NewThread {
        sys: s.new_thread(clear),
        stack,
        tls: (flags & cf::SETTLS != 0).then_some(tls),
        parent_tid: (flags & cf::PARENT_SETTID != 0).then_some(ptid),
        child_tid: (flags & cf::CHILD_SETTID != 0).then_some(ctid),
    };
    ctx.spawn_thread(t).map_err(Errno)
}

/// The pipe through which a vfork parent learns that its child has exec'd or exited.
struct VforkPipe {
    read: i32,
    write: i32,
}

impl VforkPipe {
    /// Both ends, close-on-exec. None if no descriptor is left: the parent then does not wait,
    /// which most programs tolerate.
    fn new() -> Option<VforkPipe> {
        let mut fds = [0i32; 2];
        // SAFETY: pipe2 writes two descriptors into `fds`.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return None;
        }
        let [read, write] = fds.map(|fd| {
            // SAFETY: plain descriptor calls on descriptors this function owns.
            unsafe {
                let high = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, VFORK_FD_FLOOR);
                if high < 0 {
                    return fd;
                }
                libc::close(fd);
                high
            }
        });
        Some(VforkPipe { read, write })
    }

    /// In the child: keep only the write end, which the exec (or the exit) closes.
    fn in_child(&self) {
        // SAFETY: closing a descriptor this VM opened.
        unsafe { libc::close(self.read) };
    }

    /// In the parent: wait until no process holds the write end any more.
    fn wait_in_parent(self) {
        // SAFETY: closing and reading descriptors this VM opened, into a local buffer.
        unsafe {
            libc::close(self.write);
            let mut b = 0u8;
            loop {
                let n = libc::read(self.read, (&mut b as *mut u8).cast(), 1);
                if n == 0 || n < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                    break;
                }
            }
            libc::close(self.read);
        }
    }
}

/// `kcmp` type whose second index is a pointer (`struct kcmp_epoll_slot`, read by the kernel).
const KCMP_EPOLL_TFD: u64 = 7;

/// `kcmp(pid1, pid2, type, idx1, idx2)`: for KCMP_EPOLL_TFD, `idx2` points to a structure the
/// kernel reads, which must lie in the guest region.
pub fn kcmp(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    if a[2] & 0xffff_ffff == KCMP_EPOLL_TFD && a[4] >= ctx.guest_limit() {
        return Err(Errno(libc::EFAULT));
    }
    host_syscall(libc::SYS_kcmp, &a)
}
