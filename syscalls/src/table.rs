//! The AArch64 syscall table: every number of the asm-generic table
//! (`include/uapi/asm-generic/unistd.h`, as `arch/arm64/include/uapi/asm/unistd.h` configures it)
//! with how a64x carries it out and its argument kinds for `--strace`.
//!
//! Numbers 244..=259 are reserved for architecture-specific calls (arm64 defines none) and
//! 295..=423 are the 32-bit time64 calls, which a 64-bit guest does not have: neither is listed.

use crate::{exec, fd, fs, iov, ipc, keys, mm, process, signal, Args, SyscallContext, SyscallOutcome, Syscalls};

/// A handler for a syscall a64x translates or emulates.
pub type Handler = fn(&mut Syscalls, &mut dyn SyscallContext, Args) -> SyscallOutcome;

/// How a64x carries out a guest syscall.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Same arguments and structures on both ABIs: call this host (x86-64) syscall unchanged.
    Passthrough(libc::c_long),
    /// A host syscall exists but arguments or structures differ: the handler converts them.
    Translate(Handler),
    /// Carried out by a64x itself (process state, the guest address space, exits).
    Emulate(Handler),
    /// Carried out by the VM's run loop (see [`VmCall`]).
    Vm(VmCall),
    /// Not implemented: -ENOSYS, reported once.
    Unsupported,
}

/// A syscall only the VM's run loop can carry out, because it touches what the run loop alone
/// owns: the guest's registers as a whole (the signal frame), the delivery of signals, the host's
/// signal mask and handlers. The run loop matches on this, so a new one must be handled there.
/// Where a handler is given, it does the part on the state this crate records, and the run loop
/// calls it before doing its own.
#[derive(Clone, Copy)]
pub enum VmCall {
    /// `rt_sigreturn`: restore the registers and mask from the frame at sp.
    SigReturn,
    /// `rt_sigsuspend`: wait with a temporary mask for a signal that runs a handler.
    SigSuspend,
    /// `rt_sigpending`: the blocked signals waiting, in the host kernel or recorded by the VM.
    SigPending,
    /// `rt_sigtimedwait`: take a signal of a set, waiting for it.
    SigTimedWait,
    /// `rt_sigaction`: recorded, then mirrored into the host's handler.
    SigAction(Handler),
    /// `rt_sigprocmask`: recorded, then given to the host, with a look for signals it unblocks.
    SigProcMask(Handler),
    /// `sigaltstack`: recorded; refused (EPERM) on the alternate stack, and SS_ONSTACK, which
    /// needs the guest's sp, added to the old stack's flags.
    SigAltStack(Handler),
}

/// Syscalls that fail with EINTR after a signal handler ran even when it has SA_RESTART
/// (signal(7), "Interruption of system calls and library functions by signal handlers").
pub const NEVER_RESTARTED: [&str; 14] = [
    "epoll_pwait",
    "epoll_pwait2",
    "pselect6",
    "ppoll",
    "nanosleep",
    "clock_nanosleep",
    "msgrcv",
    "msgsnd",
    "semtimedop",
    "semop",
    "io_getevents",
    "io_pgetevents",
    "rt_sigsuspend",
    "rt_sigtimedwait",
];

/// Whether the kernel restarts syscall `nr` after a handler with SA_RESTART (see
/// [`NEVER_RESTARTED`]).
pub fn restarts_after_handler(nr: u64) -> bool {
    lookup(nr).is_none_or(|d| !NEVER_RESTARTED.contains(&d.name))
}

/// What a syscall argument means, so `--strace` can print it the way strace does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// Signed decimal.
    Int,
    /// Unsigned decimal.
    UInt,
    /// Hexadecimal (addresses that are numbers, masks, opaque words).
    Hex,
    /// A file descriptor. The VM's own descriptors are not open for the guest: a call given
    /// one fails with EBADF before its handler runs.
    Fd,
    /// A descriptor number the call replaces or whose range it closes (the new number of
    /// `dup3`, `close_range`'s bounds): its handler treats the VM's descriptors (moving the VM's
    /// out of the way, or skipping it).
    FdSlot,
    /// A directory file descriptor for `*at` calls (prints `AT_FDCWD`).
    DirFd,
    /// A NUL-terminated path or other string in guest memory.
    Path,
    /// A buffer the guest passes in; its length is the next argument.
    Buf,
    /// A guest pointer.
    Ptr,
    /// The start of a guest address range whose length is the next argument (a [`Size`]),
    /// which the kernel acts on as a whole (`mlock`, `msync`, `mincore`): all of it must lie
    /// in the guest region.
    Span,
    /// A byte count.
    Size,
    /// File permission bits (octal).
    Mode,
    /// `O_*` flags, AArch64 values.
    OpenFlags,
    /// `AT_*` flags.
    AtFlags,
    /// `PROT_*` flags.
    Prot,
    /// `MAP_*` flags.
    MapFlags,
    /// A signal number.
    Signal,
}

/// One row of the table.
#[derive(Clone, Copy)]
pub struct SyscallDef {
    /// AArch64 syscall number (the value of x8).
    pub nr: u64,
    /// The kernel's name for it (`__NR_<name>`).
    pub name: &'static str,
    /// How a64x carries it out.
    pub kind: Kind,
    /// Argument kinds, in order; as many as the call takes.
    pub args: &'static [ArgKind],
}

const fn r(nr: u64, name: &'static str, kind: Kind, args: &'static [ArgKind]) -> SyscallDef {
    SyscallDef { nr, name, kind, args }
}

/// A handler written as `fn(...) -> SysResult`, wrapped into a [`Handler`].
macro_rules! h {
    ($f:path) => {
        |s: &mut Syscalls, c: &mut dyn SyscallContext, a: Args| SyscallOutcome::from($f(s, c, a))
    };
}

use libc as l;
use ArgKind::*;
use Kind::{Emulate as E, Passthrough as P, Translate as T, Unsupported as U};
use VmCall::*;

use Kind::Vm as V;

/// The table, sorted by number (a test checks this).
pub static TABLE: &[SyscallDef] = ROWS;

/// [`TABLE`]'s rows: a constant, so that [`INDEX`] can be computed from them when compiling.
#[rustfmt::skip]
const ROWS: &[SyscallDef] = &[
    r(0, "io_setup", U, &[UInt, Ptr]),
    r(1, "io_destroy", U, &[Hex]),
    r(2, "io_submit", U, &[Hex, Int, Ptr]),
    r(3, "io_cancel", U, &[Hex, Ptr, Ptr]),
    r(4, "io_getevents", U, &[Hex, Int, Int, Ptr, Ptr]),
    r(5, "setxattr", P(l::SYS_setxattr), &[Path, Path, Ptr, Size, Int]),
    r(6, "lsetxattr", P(l::SYS_lsetxattr), &[Path, Path, Ptr, Size, Int]),
    r(7, "fsetxattr", P(l::SYS_fsetxattr), &[Fd, Path, Ptr, Size, Int]),
    r(8, "getxattr", P(l::SYS_getxattr), &[Path, Path, Ptr, Size]),
    r(9, "lgetxattr", P(l::SYS_lgetxattr), &[Path, Path, Ptr, Size]),
    r(10, "fgetxattr", P(l::SYS_fgetxattr), &[Fd, Path, Ptr, Size]),
    r(11, "listxattr", P(l::SYS_listxattr), &[Path, Ptr, Size]),
    r(12, "llistxattr", P(l::SYS_llistxattr), &[Path, Ptr, Size]),
    r(13, "flistxattr", P(l::SYS_flistxattr), &[Fd, Ptr, Size]),
    r(14, "removexattr", P(l::SYS_removexattr), &[Path, Path]),
    r(15, "lremovexattr", P(l::SYS_lremovexattr), &[Path, Path]),
    r(16, "fremovexattr", P(l::SYS_fremovexattr), &[Fd, Path]),
    r(17, "getcwd", P(l::SYS_getcwd), &[Ptr, Size]),
    r(18, "lookup_dcookie", U, &[Hex, Ptr, Size]),
    r(19, "eventfd2", P(l::SYS_eventfd2), &[UInt, Hex]),
    r(20, "epoll_create1", P(l::SYS_epoll_create1), &[Hex]),
    r(21, "epoll_ctl", T(h!(fd::epoll_ctl)), &[Fd, Int, Fd, Ptr]),
    r(22, "epoll_pwait", T(h!(fd::epoll_pwait)), &[Fd, Ptr, Int, Int, Ptr, Size]),
    r(23, "dup", P(l::SYS_dup), &[Fd]),
    r(24, "dup3", T(h!(fd::dup3)), &[Fd, FdSlot, OpenFlags]),
    r(25, "fcntl", T(h!(fd::fcntl)), &[Fd, Int, Hex]),
    r(26, "inotify_init1", P(l::SYS_inotify_init1), &[Hex]),
    r(27, "inotify_add_watch", P(l::SYS_inotify_add_watch), &[Fd, Path, Hex]),
    r(28, "inotify_rm_watch", P(l::SYS_inotify_rm_watch), &[Fd, Int]),
    r(29, "ioctl", T(h!(fd::ioctl)), &[Fd, Hex, Hex]),
    r(30, "ioprio_set", P(l::SYS_ioprio_set), &[Int, Int, Int]),
    r(31, "ioprio_get", P(l::SYS_ioprio_get), &[Int, Int]),
    r(32, "flock", P(l::SYS_flock), &[Fd, Int]),
    r(33, "mknodat", P(l::SYS_mknodat), &[DirFd, Path, Mode, Hex]),
    r(34, "mkdirat", P(l::SYS_mkdirat), &[DirFd, Path, Mode]),
    r(35, "unlinkat", P(l::SYS_unlinkat), &[DirFd, Path, AtFlags]),
    r(36, "symlinkat", P(l::SYS_symlinkat), &[Path, DirFd, Path]),
    r(37, "linkat", P(l::SYS_linkat), &[DirFd, Path, DirFd, Path, AtFlags]),
    r(38, "renameat", P(l::SYS_renameat), &[DirFd, Path, DirFd, Path]),
    r(39, "umount2", P(l::SYS_umount2), &[Path, Hex]),
    r(40, "mount", P(l::SYS_mount), &[Path, Path, Path, Hex, Ptr]),
    r(41, "pivot_root", P(l::SYS_pivot_root), &[Path, Path]),
    r(42, "nfsservctl", U, &[Int, Ptr, Ptr]),
    // struct statfs is the same on both 64-bit ABIs (120 bytes; checked against the uapi headers).
    r(43, "statfs", P(l::SYS_statfs), &[Path, Ptr]),
    r(44, "fstatfs", P(l::SYS_fstatfs), &[Fd, Ptr]),
    r(45, "truncate", P(l::SYS_truncate), &[Path, Int]),
    r(46, "ftruncate", P(l::SYS_ftruncate), &[Fd, Int]),
    r(47, "fallocate", P(l::SYS_fallocate), &[Fd, Hex, Int, Int]),
    r(48, "faccessat", T(h!(fs::faccessat)), &[DirFd, Path, Hex]),
    r(49, "chdir", P(l::SYS_chdir), &[Path]),
    r(50, "fchdir", P(l::SYS_fchdir), &[Fd]),
    r(51, "chroot", P(l::SYS_chroot), &[Path]),
    r(52, "fchmod", P(l::SYS_fchmod), &[Fd, Mode]),
    r(53, "fchmodat", P(l::SYS_fchmodat), &[DirFd, Path, Mode]),
    r(54, "fchownat", P(l::SYS_fchownat), &[DirFd, Path, Int, Int, AtFlags]),
    r(55, "fchown", P(l::SYS_fchown), &[Fd, Int, Int]),
    r(56, "openat", T(h!(fs::openat)), &[DirFd, Path, OpenFlags, Mode]),
    r(57, "close", P(l::SYS_close), &[Fd]),
    r(58, "vhangup", P(l::SYS_vhangup), &[]),
    r(59, "pipe2", T(h!(fd::pipe2)), &[Ptr, OpenFlags]),
    r(60, "quotactl", P(l::SYS_quotactl), &[Hex, Path, Int, Ptr]),
    r(61, "getdents64", T(h!(fs::getdents64)), &[Fd, Ptr, Size]),
    r(62, "lseek", P(l::SYS_lseek), &[Fd, Int, Int]),
    r(63, "read", P(l::SYS_read), &[Fd, Ptr, Size]),
    r(64, "write", P(l::SYS_write), &[Fd, Buf, Size]),
    r(65, "readv", T(h!(iov::vectored::<{ l::SYS_readv }>)), &[Fd, Ptr, Int]),
    r(66, "writev", T(h!(iov::vectored::<{ l::SYS_writev }>)), &[Fd, Ptr, Int]),
    r(67, "pread64", P(l::SYS_pread64), &[Fd, Ptr, Size, Int]),
    r(68, "pwrite64", P(l::SYS_pwrite64), &[Fd, Buf, Size, Int]),
    r(69, "preadv", T(h!(iov::vectored::<{ l::SYS_preadv }>)), &[Fd, Ptr, Int, Int, Int]),
    r(70, "pwritev", T(h!(iov::vectored::<{ l::SYS_pwritev }>)), &[Fd, Ptr, Int, Int, Int]),
    r(71, "sendfile", P(l::SYS_sendfile), &[Fd, Fd, Ptr, Size]),
    r(72, "pselect6", T(h!(fd::pselect6)), &[Int, Ptr, Ptr, Ptr, Ptr, Ptr]),
    r(73, "ppoll", T(h!(fd::ppoll)), &[Ptr, UInt, Ptr, Ptr, Size]),
    r(74, "signalfd4", T(h!(signal::signalfd4)), &[Fd, Ptr, Size, Hex]),
    r(75, "vmsplice", T(h!(iov::vectored::<{ l::SYS_vmsplice }>)), &[Fd, Ptr, UInt, Hex]),
    r(76, "splice", P(l::SYS_splice), &[Fd, Ptr, Fd, Ptr, Size, Hex]),
    r(77, "tee", P(l::SYS_tee), &[Fd, Fd, Size, Hex]),
    r(78, "readlinkat", E(h!(fs::readlinkat)), &[DirFd, Path, Ptr, Size]),
    r(79, "newfstatat", T(h!(fs::newfstatat)), &[DirFd, Path, Ptr, AtFlags]),
    r(80, "fstat", T(h!(fs::fstat)), &[Fd, Ptr]),
    r(81, "sync", P(l::SYS_sync), &[]),
    r(82, "fsync", P(l::SYS_fsync), &[Fd]),
    r(83, "fdatasync", P(l::SYS_fdatasync), &[Fd]),
    r(84, "sync_file_range", P(l::SYS_sync_file_range), &[Fd, Int, Int, Hex]),
    r(85, "timerfd_create", P(l::SYS_timerfd_create), &[Int, Hex]),
    r(86, "timerfd_settime", P(l::SYS_timerfd_settime), &[Fd, Hex, Ptr, Ptr]),
    r(87, "timerfd_gettime", P(l::SYS_timerfd_gettime), &[Fd, Ptr]),
    r(88, "utimensat", P(l::SYS_utimensat), &[DirFd, Path, Ptr, AtFlags]),
    r(89, "acct", P(l::SYS_acct), &[Path]),
    r(90, "capget", P(l::SYS_capget), &[Ptr, Ptr]),
    r(91, "capset", P(l::SYS_capset), &[Ptr, Ptr]),
    // Would change the host personality of the VM itself (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE).
    r(92, "personality", U, &[Hex]),
    r(93, "exit", E(process::exit), &[Int]),
    r(94, "exit_group", E(process::exit_group), &[Int]),
    // struct siginfo and struct rusage have the same layout on both ABIs.
    r(95, "waitid", P(l::SYS_waitid), &[Int, Int, Ptr, Hex, Ptr]),
    r(96, "set_tid_address", E(h!(process::set_tid_address)), &[Ptr]),
    r(97, "unshare", U, &[Hex]),
    // Futex words are guest words at the same host address: enough for a single-threaded guest.
    r(98, "futex", T(h!(iov::futex)), &[Ptr, Int, Int, Hex, Hex, Int]),
    r(99, "set_robust_list", E(h!(process::set_robust_list)), &[Ptr, Size]),
    r(100, "get_robust_list", U, &[Int, Ptr, Ptr]),
    r(101, "nanosleep", P(l::SYS_nanosleep), &[Ptr, Ptr]),
    r(102, "getitimer", P(l::SYS_getitimer), &[Int, Ptr]),
    r(103, "setitimer", P(l::SYS_setitimer), &[Int, Ptr, Ptr]),
    r(104, "kexec_load", U, &[Hex, UInt, Ptr, Hex]),
    r(105, "init_module", U, &[Ptr, Size, Path]),
    r(106, "delete_module", U, &[Path, Hex]),
    r(107, "timer_create", E(h!(process::timer_create)), &[Int, Ptr, Ptr]),
    r(108, "timer_gettime", P(l::SYS_timer_gettime), &[Int, Ptr]),
    r(109, "timer_getoverrun", P(l::SYS_timer_getoverrun), &[Int]),
    r(110, "timer_settime", P(l::SYS_timer_settime), &[Int, Hex, Ptr, Ptr]),
    r(111, "timer_delete", P(l::SYS_timer_delete), &[Int]),
    r(112, "clock_settime", P(l::SYS_clock_settime), &[Int, Ptr]),
    r(113, "clock_gettime", P(l::SYS_clock_gettime), &[Int, Ptr]),
    r(114, "clock_getres", P(l::SYS_clock_getres), &[Int, Ptr]),
    r(115, "clock_nanosleep", P(l::SYS_clock_nanosleep), &[Int, Hex, Ptr, Ptr]),
    r(116, "syslog", P(l::SYS_syslog), &[Int, Ptr, Int]),
    r(117, "ptrace", U, &[Int, Int, Ptr, Ptr]),
    r(118, "sched_setparam", P(l::SYS_sched_setparam), &[Int, Ptr]),
    r(119, "sched_setscheduler", P(l::SYS_sched_setscheduler), &[Int, Int, Ptr]),
    r(120, "sched_getscheduler", P(l::SYS_sched_getscheduler), &[Int]),
    r(121, "sched_getparam", P(l::SYS_sched_getparam), &[Int, Ptr]),
    r(122, "sched_setaffinity", P(l::SYS_sched_setaffinity), &[Int, Size, Ptr]),
    r(123, "sched_getaffinity", P(l::SYS_sched_getaffinity), &[Int, Size, Ptr]),
    r(124, "sched_yield", P(l::SYS_sched_yield), &[]),
    r(125, "sched_get_priority_max", P(l::SYS_sched_get_priority_max), &[Int]),
    r(126, "sched_get_priority_min", P(l::SYS_sched_get_priority_min), &[Int]),
    r(127, "sched_rr_get_interval", P(l::SYS_sched_rr_get_interval), &[Int, Ptr]),
    r(128, "restart_syscall", U, &[]),
    r(129, "kill", P(l::SYS_kill), &[Int, Signal]),
    r(130, "tkill", P(l::SYS_tkill), &[Int, Signal]),
    r(131, "tgkill", P(l::SYS_tgkill), &[Int, Int, Signal]),
    r(132, "sigaltstack", V(SigAltStack(h!(signal::sigaltstack))), &[Ptr, Ptr]),
    r(133, "rt_sigsuspend", V(SigSuspend), &[Ptr, Size]),
    r(134, "rt_sigaction", V(SigAction(h!(signal::rt_sigaction))), &[Signal, Ptr, Ptr, Size]),
    r(135, "rt_sigprocmask", V(SigProcMask(h!(signal::rt_sigprocmask))), &[Int, Ptr, Ptr, Size]),
    r(136, "rt_sigpending", V(SigPending), &[Ptr, Size]),
    r(137, "rt_sigtimedwait", V(SigTimedWait), &[Ptr, Ptr, Ptr, Size]),
    r(138, "rt_sigqueueinfo", T(h!(signal::rt_sigqueueinfo)), &[Int, Signal, Ptr]),
    // The run loop owns signal frames; it handles this before dispatch once signals are delivered.
    r(139, "rt_sigreturn", V(SigReturn), &[]),
    r(140, "setpriority", P(l::SYS_setpriority), &[Int, Int, Int]),
    r(141, "getpriority", P(l::SYS_getpriority), &[Int, Int]),
    r(142, "reboot", U, &[Hex, Hex, Hex, Ptr]),
    r(143, "setregid", P(l::SYS_setregid), &[Int, Int]),
    r(144, "setgid", P(l::SYS_setgid), &[Int]),
    r(145, "setreuid", P(l::SYS_setreuid), &[Int, Int]),
    r(146, "setuid", P(l::SYS_setuid), &[Int]),
    r(147, "setresuid", P(l::SYS_setresuid), &[Int, Int, Int]),
    r(148, "getresuid", P(l::SYS_getresuid), &[Ptr, Ptr, Ptr]),
    r(149, "setresgid", P(l::SYS_setresgid), &[Int, Int, Int]),
    r(150, "getresgid", P(l::SYS_getresgid), &[Ptr, Ptr, Ptr]),
    r(151, "setfsuid", P(l::SYS_setfsuid), &[Int]),
    r(152, "setfsgid", P(l::SYS_setfsgid), &[Int]),
    r(153, "times", P(l::SYS_times), &[Ptr]),
    r(154, "setpgid", P(l::SYS_setpgid), &[Int, Int]),
    r(155, "getpgid", P(l::SYS_getpgid), &[Int]),
    r(156, "getsid", P(l::SYS_getsid), &[Int]),
    r(157, "setsid", P(l::SYS_setsid), &[]),
    r(158, "getgroups", P(l::SYS_getgroups), &[Int, Ptr]),
    r(159, "setgroups", P(l::SYS_setgroups), &[Int, Ptr]),
    r(160, "uname", T(h!(process::uname)), &[Ptr]),
    r(161, "sethostname", P(l::SYS_sethostname), &[Buf, Size]),
    r(162, "setdomainname", P(l::SYS_setdomainname), &[Buf, Size]),
    r(163, "getrlimit", P(l::SYS_getrlimit), &[Int, Ptr]),
    r(164, "setrlimit", P(l::SYS_setrlimit), &[Int, Ptr]),
    r(165, "getrusage", P(l::SYS_getrusage), &[Int, Ptr]),
    r(166, "umask", P(l::SYS_umask), &[Mode]),
    r(167, "prctl", T(h!(process::prctl)), &[Int, Hex, Hex, Hex, Hex]),
    r(168, "getcpu", P(l::SYS_getcpu), &[Ptr, Ptr, Ptr]),
    r(169, "gettimeofday", P(l::SYS_gettimeofday), &[Ptr, Ptr]),
    r(170, "settimeofday", P(l::SYS_settimeofday), &[Ptr, Ptr]),
    r(171, "adjtimex", P(l::SYS_adjtimex), &[Ptr]),
    r(172, "getpid", P(l::SYS_getpid), &[]),
    r(173, "getppid", P(l::SYS_getppid), &[]),
    r(174, "getuid", P(l::SYS_getuid), &[]),
    r(175, "geteuid", P(l::SYS_geteuid), &[]),
    r(176, "getgid", P(l::SYS_getgid), &[]),
    r(177, "getegid", P(l::SYS_getegid), &[]),
    r(178, "gettid", P(l::SYS_gettid), &[]),
    r(179, "sysinfo", P(l::SYS_sysinfo), &[Ptr]),
    r(180, "mq_open", P(l::SYS_mq_open), &[Path, OpenFlags, Mode, Ptr]),
    r(181, "mq_unlink", P(l::SYS_mq_unlink), &[Path]),
    r(182, "mq_timedsend", P(l::SYS_mq_timedsend), &[Fd, Buf, Size, UInt, Ptr]),
    r(183, "mq_timedreceive", P(l::SYS_mq_timedreceive), &[Fd, Ptr, Size, Ptr, Ptr]),
    r(184, "mq_notify", T(h!(ipc::mq_notify)), &[Fd, Ptr]),
    r(185, "mq_getsetattr", P(l::SYS_mq_getsetattr), &[Fd, Ptr, Ptr]),
    r(186, "msgget", P(l::SYS_msgget), &[Hex, Hex]),
    r(187, "msgctl", P(l::SYS_msgctl), &[Int, Int, Ptr]),
    r(188, "msgrcv", P(l::SYS_msgrcv), &[Int, Ptr, Size, Int, Hex]),
    r(189, "msgsnd", P(l::SYS_msgsnd), &[Int, Ptr, Size, Hex]),
    r(190, "semget", P(l::SYS_semget), &[Hex, Int, Hex]),
    // semctl's fourth argument is a pointer for some commands only.
    r(191, "semctl", T(h!(ipc::semctl)), &[Int, Int, Int, Hex]),
    r(192, "semtimedop", P(l::SYS_semtimedop), &[Int, Ptr, Size, Ptr]),
    r(193, "semop", P(l::SYS_semop), &[Int, Ptr, Size]),
    r(194, "shmget", P(l::SYS_shmget), &[Hex, Size, Hex]),
    r(195, "shmctl", P(l::SYS_shmctl), &[Int, Int, Ptr]),
    // shmat/shmdt map and unmap guest memory: through the GuestMemory layer.
    r(196, "shmat", E(h!(ipc::shmat)), &[Int, Ptr, Hex]),
    r(197, "shmdt", E(h!(ipc::shmdt)), &[Ptr]),
    // Socket structures (sockaddr, msghdr, cmsghdr) and SOL_SOCKET options are the same on both.
    r(198, "socket", P(l::SYS_socket), &[Int, Hex, Int]),
    r(199, "socketpair", P(l::SYS_socketpair), &[Int, Hex, Int, Ptr]),
    r(200, "bind", P(l::SYS_bind), &[Fd, Ptr, Size]),
    r(201, "listen", P(l::SYS_listen), &[Fd, Int]),
    r(202, "accept", P(l::SYS_accept), &[Fd, Ptr, Ptr]),
    r(203, "connect", P(l::SYS_connect), &[Fd, Ptr, Size]),
    r(204, "getsockname", P(l::SYS_getsockname), &[Fd, Ptr, Ptr]),
    r(205, "getpeername", P(l::SYS_getpeername), &[Fd, Ptr, Ptr]),
    r(206, "sendto", P(l::SYS_sendto), &[Fd, Buf, Size, Hex, Ptr, Size]),
    r(207, "recvfrom", P(l::SYS_recvfrom), &[Fd, Ptr, Size, Hex, Ptr, Ptr]),
    r(208, "setsockopt", T(h!(iov::setsockopt)), &[Fd, Int, Int, Ptr, Size]),
    r(209, "getsockopt", T(h!(iov::getsockopt)), &[Fd, Int, Int, Ptr, Ptr]),
    r(210, "shutdown", P(l::SYS_shutdown), &[Fd, Int]),
    r(211, "sendmsg", T(h!(iov::sendmsg)), &[Fd, Ptr, Hex]),
    r(212, "recvmsg", T(h!(iov::recvmsg)), &[Fd, Ptr, Hex]),
    r(213, "readahead", P(l::SYS_readahead), &[Fd, Int, Size]),
    r(214, "brk", E(h!(mm::brk)), &[Ptr]),
    r(215, "munmap", E(h!(mm::munmap)), &[Ptr, Size]),
    r(216, "mremap", E(h!(mm::mremap)), &[Ptr, Size, Size, Hex, Ptr]),
    r(217, "add_key", P(l::SYS_add_key), &[Path, Path, Ptr, Size, Int]),
    r(218, "request_key", P(l::SYS_request_key), &[Path, Path, Path, Int]),
    r(219, "keyctl", T(h!(keys::keyctl)), &[Int, Hex, Hex, Hex, Hex]),
    r(220, "clone", E(h!(process::clone)), &[Hex, Ptr, Ptr, Ptr, Ptr]),
    r(221, "execve", E(exec::execve), &[Path, Ptr, Ptr]),
    r(222, "mmap", E(h!(mm::mmap)), &[Ptr, Size, Prot, MapFlags, Fd, Hex]),
    r(223, "fadvise64", P(l::SYS_fadvise64), &[Fd, Int, Int, Int]),
    r(224, "swapon", P(l::SYS_swapon), &[Path, Hex]),
    r(225, "swapoff", P(l::SYS_swapoff), &[Path]),
    r(226, "mprotect", E(h!(mm::mprotect)), &[Ptr, Size, Prot]),
    r(227, "msync", P(l::SYS_msync), &[Span, Size, Hex]),
    r(228, "mlock", P(l::SYS_mlock), &[Span, Size]),
    r(229, "munlock", P(l::SYS_munlock), &[Span, Size]),
    r(230, "mlockall", P(l::SYS_mlockall), &[Hex]),
    r(231, "munlockall", P(l::SYS_munlockall), &[]),
    r(232, "mincore", P(l::SYS_mincore), &[Span, Size, Ptr]),
    r(233, "madvise", T(h!(mm::madvise)), &[Ptr, Size, Int]),
    r(234, "remap_file_pages", U, &[Ptr, Size, Prot, Size, Hex]),
    r(235, "mbind", P(l::SYS_mbind), &[Span, Size, Int, Ptr, UInt, Hex]),
    r(236, "get_mempolicy", P(l::SYS_get_mempolicy), &[Ptr, Ptr, UInt, Ptr, Hex]),
    r(237, "set_mempolicy", P(l::SYS_set_mempolicy), &[Int, Ptr, UInt]),
    r(238, "migrate_pages", P(l::SYS_migrate_pages), &[Int, UInt, Ptr, Ptr]),
    r(239, "move_pages", P(l::SYS_move_pages), &[Int, UInt, Ptr, Ptr, Ptr, Hex]),
    r(240, "rt_tgsigqueueinfo", T(h!(signal::rt_tgsigqueueinfo)), &[Int, Int, Signal, Ptr]),
    r(241, "perf_event_open", U, &[Ptr, Int, Int, Fd, Hex]),
    r(242, "accept4", P(l::SYS_accept4), &[Fd, Ptr, Ptr, Hex]),
    r(243, "recvmmsg", T(h!(iov::recvmmsg)), &[Fd, Ptr, UInt, Hex, Ptr]),
    r(260, "wait4", P(l::SYS_wait4), &[Int, Ptr, Hex, Ptr]),
    r(261, "prlimit64", P(l::SYS_prlimit64), &[Int, Int, Ptr, Ptr]),
    r(262, "fanotify_init", P(l::SYS_fanotify_init), &[Hex, Hex]),
    r(263, "fanotify_mark", P(l::SYS_fanotify_mark), &[Fd, Hex, Hex, DirFd, Path]),
    r(264, "name_to_handle_at", P(l::SYS_name_to_handle_at), &[DirFd, Path, Ptr, Ptr, AtFlags]),
    r(265, "open_by_handle_at", U, &[Fd, Ptr, OpenFlags]),
    r(266, "clock_adjtime", P(l::SYS_clock_adjtime), &[Int, Ptr]),
    r(267, "syncfs", P(l::SYS_syncfs), &[Fd]),
    r(268, "setns", U, &[Fd, Hex]),
    r(269, "sendmmsg", T(h!(iov::sendmmsg)), &[Fd, Ptr, UInt, Hex]),
    r(270, "process_vm_readv", U, &[Int, Ptr, UInt, Ptr, UInt, Hex]),
    r(271, "process_vm_writev", U, &[Int, Ptr, UInt, Ptr, UInt, Hex]),
    r(272, "kcmp", T(h!(process::kcmp)), &[Int, Int, Int, Hex, Hex]),
    r(273, "finit_module", U, &[Fd, Path, Hex]),
    r(274, "sched_setattr", P(l::SYS_sched_setattr), &[Int, Ptr, Hex]),
    r(275, "sched_getattr", P(l::SYS_sched_getattr), &[Int, Ptr, UInt, Hex]),
    r(276, "renameat2", P(l::SYS_renameat2), &[DirFd, Path, DirFd, Path, Hex]),
    r(277, "seccomp", U, &[Int, Hex, Ptr]),
    r(278, "getrandom", P(l::SYS_getrandom), &[Ptr, Size, Hex]),
    r(279, "memfd_create", P(l::SYS_memfd_create), &[Path, Hex]),
    r(280, "bpf", U, &[Int, Ptr, UInt]),
    r(281, "execveat", E(exec::execveat), &[DirFd, Path, Ptr, Ptr, AtFlags]),
    r(282, "userfaultfd", U, &[Hex]),
    r(283, "membarrier", E(h!(process::enosys)), &[Int, Hex, Int]),
    r(284, "mlock2", P(l::SYS_mlock2), &[Span, Size, Hex]),
    r(285, "copy_file_range", P(l::SYS_copy_file_range), &[Fd, Ptr, Fd, Ptr, Size, Hex]),
    r(286, "preadv2", T(h!(iov::vectored::<{ l::SYS_preadv2 }>)), &[Fd, Ptr, Int, Int, Int, Hex]),
    r(287, "pwritev2", T(h!(iov::vectored::<{ l::SYS_pwritev2 }>)), &[Fd, Ptr, Int, Int, Int, Hex]),
    r(288, "pkey_mprotect", U, &[Ptr, Size, Prot, Int]),
    r(289, "pkey_alloc", U, &[Hex, Hex]),
    r(290, "pkey_free", U, &[Int]),
    // struct statx has a fixed, architecture-independent layout; the path goes through the sysroot.
    r(291, "statx", T(h!(fs::statx)), &[DirFd, Path, AtFlags, Hex, Ptr]),
    r(292, "io_pgetevents", U, &[Hex, Int, Int, Ptr, Ptr, Ptr]),
    r(293, "rseq", E(h!(process::enosys)), &[Ptr, UInt, Hex, Hex]),
    r(294, "kexec_file_load", U, &[Fd, Fd, UInt, Path, Hex]),
    r(424, "pidfd_send_signal", T(h!(signal::pidfd_send_signal)), &[Fd, Signal, Ptr, Hex]),
    // io_uring maps its rings into the address space behind the VM's back.
    r(425, "io_uring_setup", U, &[UInt, Ptr]),
    r(426, "io_uring_enter", U, &[Fd, UInt, UInt, Hex, Ptr, Size]),
    r(427, "io_uring_register", U, &[Fd, UInt, Ptr, UInt]),
    r(428, "open_tree", P(l::SYS_open_tree), &[DirFd, Path, Hex]),
    r(429, "move_mount", P(l::SYS_move_mount), &[DirFd, Path, DirFd, Path, Hex]),
    r(430, "fsopen", P(l::SYS_fsopen), &[Path, Hex]),
    r(431, "fsconfig", P(l::SYS_fsconfig), &[Fd, UInt, Path, Ptr, Int]),
    r(432, "fsmount", P(l::SYS_fsmount), &[Fd, Hex, Hex]),
    r(433, "fspick", P(l::SYS_fspick), &[DirFd, Path, Hex]),
    r(434, "pidfd_open", P(l::SYS_pidfd_open), &[Int, Hex]),
    // glibc falls back to clone on ENOSYS (fork, posix_spawn and pthread_create).
    r(435, "clone3", E(h!(process::enosys)), &[Ptr, Size]),
    r(436, "close_range", T(h!(fd::close_range)), &[FdSlot, FdSlot, Hex]),
    r(437, "openat2", T(h!(fs::openat2)), &[DirFd, Path, Ptr, Size]),
    r(438, "pidfd_getfd", P(l::SYS_pidfd_getfd), &[Fd, Fd, Hex]),
    r(439, "faccessat2", T(h!(fs::faccessat2)), &[DirFd, Path, Hex, AtFlags]),
    r(440, "process_madvise", U, &[Fd, Ptr, Size, Int, Hex]),
    r(441, "epoll_pwait2", T(h!(fd::epoll_pwait2)), &[Fd, Ptr, Int, Ptr, Ptr, Size]),
    r(442, "mount_setattr", P(l::SYS_mount_setattr), &[DirFd, Path, Hex, Ptr, Size]),
    r(443, "quotactl_fd", P(l::SYS_quotactl_fd), &[Fd, Hex, Int, Ptr]),
    r(444, "landlock_create_ruleset", P(l::SYS_landlock_create_ruleset), &[Ptr, Size, Hex]),
    r(445, "landlock_add_rule", P(l::SYS_landlock_add_rule), &[Fd, Int, Ptr, Hex]),
    r(446, "landlock_restrict_self", P(l::SYS_landlock_restrict_self), &[Fd, Hex]),
    r(447, "memfd_secret", U, &[Hex]),
    r(448, "process_mrelease", P(l::SYS_process_mrelease), &[Fd, Hex]),
    r(449, "futex_waitv", T(h!(iov::futex_waitv)), &[Ptr, UInt, Hex, Ptr, Int]),
    r(450, "set_mempolicy_home_node", P(l::SYS_set_mempolicy_home_node), &[Span, Size, UInt, Hex]),
    r(451, "cachestat", U, &[Fd, Ptr, Ptr, Hex]),
    r(452, "fchmodat2", P(l::SYS_fchmodat2), &[DirFd, Path, Mode, AtFlags]),
    r(453, "map_shadow_stack", U, &[Ptr, Size, Hex]),
    r(454, "futex_wake", U, &[Ptr, Hex, Int, Hex]),
    r(455, "futex_wait", U, &[Ptr, Hex, Hex, Hex, Ptr, Int]),
    r(456, "futex_requeue", U, &[Ptr, Hex, Int, Int]),
    r(457, "statmount", U, &[Ptr, Ptr, Size, Hex]),
    r(458, "listmount", U, &[Ptr, Ptr, Size, Hex]),
    r(459, "lsm_get_self_attr", U, &[UInt, Ptr, Ptr, Hex]),
    r(460, "lsm_set_self_attr", U, &[UInt, Ptr, Size, Hex]),
    r(461, "lsm_list_modules", U, &[Ptr, Ptr, Hex]),
    // Would seal the VM's view of guest mappings against later munmap/mprotect by the VM itself.
    r(462, "mseal", U, &[Ptr, Size, Hex]),
    r(463, "setxattrat", U, &[DirFd, Path, AtFlags, Path, Ptr, Size]),
    r(464, "getxattrat", U, &[DirFd, Path, AtFlags, Path, Ptr, Size]),
    r(465, "listxattrat", U, &[DirFd, Path, AtFlags, Ptr, Size]),
    r(466, "removexattrat", U, &[DirFd, Path, AtFlags, Path]),
    r(467, "open_tree_attr", U, &[DirFd, Path, Hex, Ptr, Size]),
];

/// One more than the highest syscall number the table can hold.
const INDEX_LEN: usize = 512;

/// The row of each syscall number in [`TABLE`] (`u16::MAX`: none). A lookup reads one line of
/// it and the row, where a binary search of the rows read nine lines: a short process finds
/// them out of the processor's caches (the search was 0.8% of the CPU time of the processes of
/// a debootstrap).
static INDEX: [u16; INDEX_LEN] = index(ROWS);

const fn index(rows: &[SyscallDef]) -> [u16; INDEX_LEN] {
    let mut ix = [u16::MAX; INDEX_LEN];
    let mut i = 0;
    while i < rows.len() {
        assert!((rows[i].nr as usize) < INDEX_LEN, "a syscall number past INDEX_LEN");
        ix[rows[i].nr as usize] = i as u16;
        i += 1;
    }
    ix
}

/// The row for AArch64 syscall `nr`, if the asm-generic table has that number.
pub fn lookup(nr: u64) -> Option<&'static SyscallDef> {
    let i = *INDEX.get(usize::try_from(nr).ok()?)?;
    TABLE.get(usize::from(i))
}

/// The kernel's name of AArch64 syscall `nr` (for the VM's messages).
pub fn syscall_name(nr: u64) -> Option<&'static str> {
    lookup(nr).map(|d| d.name)
}
