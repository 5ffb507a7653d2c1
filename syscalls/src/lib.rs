//! a64x-syscalls: the AArch64 Linux system-call layer (asm-generic table, `include/uapi/asm-generic/unistd.h`).
//!
//! One table row per AArch64 syscall says its number, name, how it is carried out (passed through to
//! the host, translated, or emulated) and its argument kinds for `--strace`. Guest pointers are host
//! pointers (guest memory is identity-mapped), but anything that touches the guest address space
//! layout (brk, mmap, munmap, mprotect) goes through [`GuestMemory`], which the VM implements, so
//! the guest can never unmap or remap the VM's own memory.
//!
//! This crate knows nothing about code generation.

/// What the VM provides to syscall handlers: the guest address space and facts about the process.
pub trait GuestMemory {
    /// Linux `brk` semantics: the new break, or the old one if `new` cannot be honoured, and
    /// the pages a shrink gave back.
    fn brk(&mut self, new: u64) -> Brk;
    /// Guest `mmap`. Never places or replaces anything over the VM's own memory.
    /// Returns the mapped address or a positive errno.
    fn mmap(&mut self, addr: u64, len: u64, prot: i32, flags: i32, fd: i32, off: i64) -> Result<u64, i32>;
    /// Guest `munmap`; refuses (EINVAL) ranges that touch the VM's own memory.
    fn munmap(&mut self, addr: u64, len: u64) -> Result<(), i32>;
    /// Guest `mprotect`; refuses (ENOMEM) ranges that are not guest mappings.
    fn mprotect(&mut self, addr: u64, len: u64, prot: i32) -> Result<(), i32>;
    /// Guest `mremap`: the new address or a positive errno. Never moves anything onto the VM's
    /// own memory.
    fn mremap(&mut self, old: u64, old_len: u64, new_len: u64, flags: i32, new_addr: u64) -> Result<u64, i32> {
        let _ = (old, old_len, new_len, flags, new_addr);
        Err(libc::ENOSYS)
    }
    /// Guest `shmat(id, addr, flags)` (System V shared memory): the attachment's address and
    /// length, in the guest region only, or a positive errno. Unsupported (ENOSYS) by default.
    fn shmat(&mut self, id: i32, addr: u64, flags: i32) -> Result<(u64, u64), i32> {
        let _ = (id, addr, flags);
        Err(libc::ENOSYS)
    }
    /// Guest `shmdt(addr)`: the range the attachment at `addr` spanned, or a positive errno.
    fn shmdt(&mut self, addr: u64) -> Result<(u64, u64), i32> {
        let _ = addr;
        Err(libc::ENOSYS)
    }
    /// Whether `[addr, addr+len)` is mapped in the guest with read (and, if `write`, write) access.
    /// Handlers that copy translated structures into guest memory check this first (EFAULT).
    fn is_accessible(&self, addr: u64, len: u64, write: bool) -> bool;
    /// First address past the guest region: a pointer the host kernel is given must lie below it
    /// (EFAULT otherwise). Nothing of the VM's is in the region, and the VM keeps the range above
    /// it inaccessible, so the kernel's copies from or to such a pointer reach guest memory only.
    /// Unbounded by default: a context without a guest region.
    fn guest_limit(&self) -> u64 {
        u64::MAX
    }
}

/// What a `brk` call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Brk {
    /// The break now (the call's result).
    pub now: u64,
    /// The pages `[start, end)` a shrink unmapped, if it did.
    pub released: Option<(u64, u64)>,
}

/// What the child of a fork-like `clone` runs before it execs, as the VM may plan for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForkKind {
    /// A fork: anything, for as long as it likes.
    Fork,
    /// A vfork (CLONE_VFORK: glibc's vfork and posix_spawn, CPython's subprocess): by its
    /// contract a few instructions, then exec or _exit.
    Vfork,
}

/// The environment a syscall runs in: the address space plus process-wide facts.
pub trait SyscallContext: GuestMemory {
    /// Host path of the guest executable, for `readlinkat("/proc/self/exe")`.
    fn exe_path(&self) -> &std::path::Path;
    /// Called when guest code in `[addr, addr+len)` may have changed or gone (munmap, mprotect,
    /// mmap over it): the VM drops translations of that range.
    fn invalidate_code(&mut self, addr: u64, len: u64);
    /// The guest's mappings as `/proc/self/maps` shows them (fs/proc/task_mmu.c format), for the
    /// emulated procfs files ([`procfs`]). Empty by default: a context without an address space.
    fn proc_maps(&self) -> String {
        String::new()
    }
    /// Start a new guest thread (`clone` with CLONE_VM|CLONE_SIGHAND|CLONE_THREAD) on a new host
    /// thread, with the registers of the caller except x0 = 0, sp = `t.stack` and, with
    /// CLONE_SETTLS, TPIDR_EL0 = `t.tls`; `t.sys` is its syscall state. Returns the new thread's
    /// tid (a host tid), after it has been written to the `parent_tid` and `child_tid` addresses,
    /// or a positive errno. Unsupported (ENOSYS) by default.
    fn spawn_thread(&mut self, t: NewThread) -> Result<u64, i32> {
        let _ = t;
        Err(libc::ENOSYS)
    }
    /// Called just before the process's image is replaced by an exec (which may still fail):
    /// the VM saves what it wants to keep (its persistent translations).
    fn before_exec(&mut self) {}
    /// Whether the VM can carry out an exec in this host process now (see [`ExecRequest`]): the
    /// caller is the process's only guest thread, and its host thread the process's only one.
    /// No by default: a context without a VM behind it.
    fn may_exec_in_place(&self) -> bool {
        false
    }
    /// Whether the AArch64 program at host path `program` would load (with the dynamic loader
    /// looked up in `sysroot` first): the errno the kernel's execve fails with before its point
    /// of no return otherwise. Loadable by default: a context without a loader.
    fn check_program(&self, program: &std::path::Path, sysroot: Option<&std::path::Path>) -> Result<(), Errno> {
        let _ = (program, sysroot);
        Ok(())
    }
    /// Called in the child of a fork-like `clone` (no shared address space), before it runs guest
    /// code again: the child's sp becomes `stack` unless that is 0, its TPIDR_EL0 becomes `tls`
    /// when given (CLONE_SETTLS), and signals the parent had recorded but not yet delivered are
    /// forgotten (a child starts with no pending signals). `kind` says what the child will run.
    fn fork_child(&mut self, stack: u64, tls: Option<u64>, kind: ForkKind) {
        let _ = (stack, tls, kind);
    }
    /// Runs `clone`, the host clone of a fork, with the VM's process-wide locks held (the address
    /// space, the invalidation log, the thread list), so that the child, in which only the calling
    /// thread lives on, does not find one of them held by a thread it does not have (python's
    /// test_threading forks while a thread exits); both sides release them when it returns. By
    /// default it just runs `clone`.
    fn with_fork_locks(&mut self, clone: &mut dyn FnMut() -> i64) -> i64 {
        clone()
    }
    /// Runs `wait`, a blocking host call that takes a host sigset (`pselect6`, `ppoll`,
    /// `epoll_pwait`), with the guest's temporary blocked mask `mask` in force on the host for
    /// exactly the duration of the call: `wait` gets the sigset to hand to the host kernel, which
    /// swaps it in atomically. A VM that records signals itself first looks whether one that
    /// `mask` lets through is already recorded, and then fails with EINTR without waiting, as
    /// the kernel does for a pending signal. By default it just runs `wait`.
    fn wait_with_mask(&mut self, mask: u64, wait: &mut dyn FnMut(&u64) -> SysResult) -> SysResult {
        wait(&mask)
    }
}

/// What a guest thread created by `clone` starts with (see [`SyscallContext::spawn_thread`]).
pub struct NewThread {
    /// Its syscall state: the process-wide parts shared with the caller, the per-thread ones
    /// (signal mask, alternate stack, tid address, robust list) its own.
    pub sys: Syscalls,
    /// Its stack pointer (the caller's when 0).
    pub stack: u64,
    /// Its TPIDR_EL0 (CLONE_SETTLS); the caller's when None.
    pub tls: Option<u64>,
    /// Where to write its tid in the caller's memory (CLONE_PARENT_SETTID).
    pub parent_tid: Option<u64>,
    /// Where to write its tid in its own memory (CLONE_CHILD_SETTID).
    pub child_tid: Option<u64>,
}

/// How a syscall ended, as the run loop needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallOutcome {
    /// Put this value in x0 and continue (negative errno values are encoded as in Linux: -errno as u64).
    Return(u64),
    /// `exit_group`: the whole guest process ends with this status.
    ExitGroup(i32),
    /// `exit`: the calling guest thread ends with this status.
    ExitThread(i32),
    /// The process ends by this signal's default action (`rt_sigreturn` with a bad frame and no
    /// SIGSEGV handler to run).
    Killed(i32),
    /// `execve` of an AArch64 program, to be carried out in this host process: the run loop
    /// stops, and the VM tears the guest down and starts [`Syscalls::take_exec_request`]'s
    /// program (as the kernel's execve does after its point of no return).
    ExecInPlace,
}

/// An `execve` the VM carries out in its own host process instead of re-executing a64x (which
/// costs a whole host process start: the kernel's exec of a64x, its dynamic loader and C
/// library's start-up, the VM's set-up). Made only where nothing the kernel's exec resets is
/// beyond the VM's reach (see `exec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    /// The a64x command line that would run the program in a new a64x process, less the
    /// environment's `--genv` entries: this VM's options for exec'd programs
    /// (`set_exec_options`), argv and the program's host path.
    pub args: Vec<OsString>,
    /// The guest program's environment (what the `--genv` entries would give).
    pub envp: Vec<OsString>,
}

mod cloexec;
mod exec;
mod fd;
mod fs;
mod iov;
mod ipc;
mod keys;
mod mm;
pub mod oflags;
pub mod path;
mod process;
pub mod procfs;
mod signal;
pub mod strace;
pub mod table;
mod uaccess;

#[cfg(test)]
mod tests;

pub use cloexec::close_guest_descriptors;
pub use fd::{is_reserved as is_vm_descriptor, reserve as keep_from_guest, Reserved};
pub use fs::keep_private;
pub use signal::{GuestSigaction, GuestStack};
pub use table::{syscall_name, ArgKind, Kind, SyscallDef, VmCall};
pub use uaccess::{
    copy_from_guest, copy_to_guest, read_bytes, read_struct, set_fault_safe_copy, write_bytes, FaultSafeCopy,
};

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// The six raw argument registers x0..x5 of a guest `svc #0`.
pub type Args = [u64; 6];

/// A Linux errno value (positive), the error half of a syscall result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    /// The host thread's current `errno`, after a failed libc call.
    pub fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO))
    }

    /// The value the guest sees in x0: `-errno` in two's complement.
    pub fn to_ret(self) -> u64 {
        (-(self.0 as i64)) as u64
    }
}

/// A syscall result before it is put in x0.
pub type SysResult = Result<u64, Errno>;

impl From<SysResult> for SyscallOutcome {
    fn from(r: SysResult) -> Self {
        SyscallOutcome::Return(match r {
            Ok(v) => v,
            Err(e) => e.to_ret(),
        })
    }
}

/// Syscall state of one guest thread: what the guest has told the kernel that a plain host call
/// would not remember for it. The signal dispositions are process-wide, shared by every thread's
/// `Syscalls` (behind a mutex held only while they are read or written); the signal mask, the
/// alternate stack, the tid address and the robust list are the thread's own; the rest is set
/// at start and copied into each new thread. Each guest thread owns its `Syscalls`, so no lock
/// is held across a blocking host call.
pub struct Syscalls {
    /// Print every syscall and its result on stderr, in the style of strace.
    pub strace: bool,
    pub(crate) sigactions: Arc<Mutex<[GuestSigaction; signal::NSIG]>>,
    pub(crate) sigmask: u64,
    /// The mask to restore once the signal that interrupted a wait with a temporary mask
    /// (`rt_sigsuspend`, `pselect6`, `ppoll`, `epoll_pwait`) has been delivered: the kernel's
    /// `saved_sigmask` with TIF_RESTORE_SIGMASK.
    pub(crate) saved_sigmask: Option<u64>,
    pub(crate) altstack: GuestStack,
    reported: HashSet<u64>,
    pub(crate) clear_child_tid: u64,
    pub(crate) robust_list: (u64, u64),
    /// Where absolute guest paths are looked up first (`-L`); None: the host's files only.
    pub(crate) sysroot: Option<PathBuf>,
    /// The a64x options an `execve` of an AArch64 program passes to the a64x it re-executes.
    pub(crate) exec_options: Vec<OsString>,
    /// `--no-host-exec`: an execve of anything but an AArch64 program is ENOEXEC.
    pub(crate) no_host_exec: bool,
    /// The guest's auxiliary vector as `/proc/self/auxv` shows it (native-endian u64 pairs,
    /// AT_NULL included).
    pub(crate) auxv: Vec<u8>,
    /// Where the guest's argument and environment strings are (`mm->arg_start..arg_end`,
    /// `env_start..env_end`), for `/proc/self/cmdline`, `environ` and `stat`.
    pub(crate) areas: procfs::ProcessAreas,
    /// The kernel knows [`Syscalls::areas`] as this process's (`PR_SET_MM_MAP`): `cmdline` and
    /// `environ` are then the host's own files, read when read (as the kernel's are: a file
    /// opened before an execve shows the new program's strings), not copied at the open.
    pub(crate) areas_published: bool,
    /// Whether an execve of an AArch64 program may be carried out in this host process (see
    /// [`ExecRequest`]); else a64x re-executes itself.
    pub(crate) exec_in_place: bool,
    /// The execve that ended the guest program with [`SyscallOutcome::ExecInPlace`].
    pub(crate) exec_request: Option<ExecRequest>,
}

impl Default for Syscalls {
    fn default() -> Self {
        Self::new()
    }
}

impl Syscalls {
    /// Fresh state of a process that has just been exec'd: default dispositions, empty mask.
    pub fn new() -> Self {
        exec::remember_self();
        Syscalls {
            strace: false,
            sigactions: Arc::new(Mutex::new([GuestSigaction::default(); signal::NSIG])),
            sigmask: 0,
            saved_sigmask: None,
            altstack: GuestStack::disabled(),
            reported: HashSet::new(),
            clear_child_tid: 0,
            robust_list: (0, 0),
            sysroot: None,
            exec_options: Vec::new(),
            no_host_exec: false,
            auxv: Vec::new(),
            areas: procfs::ProcessAreas::default(),
            areas_published: false,
            exec_in_place: false,
            exec_request: None,
        }
    }

    /// The state of a new thread of this process, as `clone(CLONE_THREAD)` makes it
    /// (`copy_process`): the same dispositions (shared), the caller's signal mask, no alternate
    /// stack, no robust list, and `clear_child_tid` as its tid address (0: none).
    pub fn new_thread(&self, clear_child_tid: u64) -> Syscalls {
        Syscalls {
            strace: self.strace,
            sigactions: Arc::clone(&self.sigactions),
            sigmask: self.sigmask,
            saved_sigmask: None,
            altstack: GuestStack::disabled(),
            reported: self.reported.clone(),
            clear_child_tid,
            robust_list: (0, 0),
            sysroot: self.sysroot.clone(),
            exec_options: self.exec_options.clone(),
            no_host_exec: self.no_host_exec,
            auxv: self.auxv.clone(),
            areas: self.areas,
            areas_published: self.areas_published,
            exec_in_place: self.exec_in_place,
            exec_request: None,
        }
    }

    /// The process-wide dispositions, locked (a poisoned lock is taken over: the array is
    /// always in a consistent state).
    pub(crate) fn dispositions(&self) -> MutexGuard<'_, [GuestSigaction; signal::NSIG]> {
        self.sigactions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the sysroot (`-L`, or the loader's default for dynamically linked programs): from now
    /// on an absolute guest path that exists inside it, outside `/proc`, `/sys` and `/dev`, names
    /// the sysroot's file in openat, openat2, newfstatat, statx, faccessat(2) and readlinkat.
    pub fn set_sysroot(&mut self, sysroot: Option<PathBuf>) {
        self.sysroot = sysroot.filter(|p| !p.as_os_str().is_empty());
    }

    /// Sets the a64x command-line options (`-L DIR`, `--strace`, ...) that a guest `execve` of an
    /// AArch64 program gives to the a64x it re-executes, so the new program runs as this one does.
    pub fn set_exec_options(&mut self, options: Vec<OsString>) {
        self.exec_options = options;
    }

    /// Sets `--no-host-exec`: from now on a guest execve of anything but an AArch64 program (after
    /// following `#!` interpreters) fails with ENOEXEC.
    pub fn set_no_host_exec(&mut self, on: bool) {
        self.no_host_exec = on;
    }

    /// Lets an execve of an AArch64 program be carried out in this host process where it can
    /// be (see [`ExecRequest`]).
    pub fn set_exec_in_place(&mut self, on: bool) {
        self.exec_in_place = on;
    }

    /// The execve that ended the program with [`SyscallOutcome::ExecInPlace`], once.
    pub fn take_exec_request(&mut self) -> Option<ExecRequest> {
        self.exec_request.take()
    }

    /// Sets where the guest's argument and environment strings are (the loader's initial stack),
    /// and whether the kernel was told so too (`published`).
    pub fn set_process_areas(&mut self, areas: procfs::ProcessAreas, published: bool) {
        self.areas = areas;
        self.areas_published = published;
    }

    /// Sets the guest's auxiliary vector (u64 pairs up to and including AT_NULL), which
    /// `/proc/self/auxv` shows and from which `/proc/cpuinfo` takes AT_HWCAP and AT_HWCAP2.
    pub fn set_auxv(&mut self, auxv: &[(u64, u64)]) {
        self.auxv = auxv
            .iter()
            .flat_map(|&(k, v)| [k.to_ne_bytes(), v.to_ne_bytes()])
            .flatten()
            .collect();
    }

    /// The sysroot given with [`Syscalls::set_sysroot`].
    pub fn sysroot(&self) -> Option<&std::path::Path> {
        self.sysroot.as_deref()
    }

    /// Carry out guest syscall `nr` (AArch64 number, from x8) with arguments x0..x5.
    pub fn dispatch(&mut self, ctx: &mut dyn SyscallContext, nr: u64, args: Args) -> SyscallOutcome {
        let def = table::lookup(nr);
        let call_text = if self.strace {
            Some(strace::format_call_in(Some(&*ctx), nr, &args))
        } else {
            None
        };
        let refused = match def {
            Some(d) if matches!(d.kind, Kind::Passthrough(_) | Kind::Translate(_) | Kind::Emulate(_)) => {
                uaccess::check_args(&*ctx, d, &args).err()
            }
            _ => None,
        };
        let outcome = match def.map(|d| d.kind) {
            _ if refused.is_some() => SyscallOutcome::Return(refused.map_or(0, Errno::to_ret)),
            Some(Kind::Passthrough(host_nr)) => uaccess::host_syscall(host_nr, &args).into(),
            Some(Kind::Translate(h)) | Some(Kind::Emulate(h)) => h(self, ctx, args),
            // The run loop carries these out, calling the handlers itself; without a run loop (the
            // crate's tests) only the recorded part exists.
            Some(Kind::Vm(VmCall::SigAction(h) | VmCall::SigProcMask(h) | VmCall::SigAltStack(h))) => {
                h(self, ctx, args)
            }
            Some(Kind::Vm(VmCall::SigReturn | VmCall::SigSuspend | VmCall::SigPending | VmCall::SigTimedWait)) => {
                SyscallOutcome::Return(Errno(libc::ENOSYS).to_ret())
            }
            Some(Kind::Unsupported) | None => {
                self.report_unsupported(nr);
                SyscallOutcome::Return(Errno(libc::ENOSYS).to_ret())
            }
        };
        if let Some(text) = call_text {
            eprintln!("{}", strace::format_result(&text, nr, outcome));
        }
        outcome
    }

    /// Warn about an unimplemented syscall once per number, so a loop of them does not flood stderr.
    fn report_unsupported(&mut self, nr: u64) {
        if self.reported.insert(nr) {
            eprintln!(
                "a64x: unsupported syscall {} ({})",
                nr,
                syscall_name(nr).unwrap_or("unknown")
            );
        }
    }

    /// Warn once per syscall number that a use of it is not supported, saying which.
    fn report_unsupported_once(&mut self, nr: u64, what: &str) {
        if self.reported.insert(nr) {
            eprintln!("a64x: unsupported: {what}");
        }
    }

    /// The guest's disposition for signal `sig` (1..=64), as last set by `rt_sigaction`.
    pub fn sigaction(&self, sig: u32) -> Option<GuestSigaction> {
        signal::index(sig as u64).map(|i| self.dispositions()[i])
    }

    /// The guest's blocked-signal mask (bit `n-1` is signal `n`).
    pub fn signal_mask(&self) -> u64 {
        self.sigmask
    }

    /// Replace the guest's blocked-signal mask, as signal delivery and `rt_sigreturn` do.
    /// SIGKILL and SIGSTOP can never be blocked.
    pub fn set_signal_mask(&mut self, mask: u64) {
        self.sigmask = mask & !signal::UNBLOCKABLE;
    }

    /// Make `mask` the guest's blocked mask until the next signal delivery, which saves `old` in
    /// its frame (so the handler's return restores it) or, if no handler runs, restores it then
    /// (`rt_sigsuspend`, and the waits with a temporary mask that a signal interrupted).
    pub fn set_temporary_mask(&mut self, mask: u64, old: u64) {
        self.set_signal_mask(mask);
        self.saved_sigmask = Some(old);
    }

    /// The mask [`Syscalls::set_temporary_mask`] saved, taken: signal delivery puts it in the
    /// first frame it builds, or makes it the blocked mask again.
    pub fn take_saved_mask(&mut self) -> Option<u64> {
        self.saved_sigmask.take()
    }

    /// The guest's alternate signal stack, as last set by `sigaltstack`.
    pub fn altstack(&self) -> GuestStack {
        self.altstack
    }

    /// The address given to `set_tid_address` (the kernel clears it and wakes a futex on exit).
    pub fn clear_child_tid(&self) -> u64 {
        self.clear_child_tid
    }

    /// The (head, len) given to `set_robust_list`.
    pub fn robust_list(&self) -> (u64, u64) {
        self.robust_list
    }
}
