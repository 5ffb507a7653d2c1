//! Process and thread syscalls (`kernel/exit.c`, `kernel/fork.c`, `kernel/sys.c`, `kernel/futex`):
//! exits, the tid address and robust list, `uname` (the guest machine is `aarch64`), `prctl`.

use std::mem::size_of;

use crate::uaccess::{host_syscall, write_struct};
use crate::{Args, Errno, SysResult, SyscallContext, SyscallOutcome, Syscalls};

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

const PR_SET_NAME: u64 = 15;
const PR_GET_NAME: u64 = 16;

/// `prctl(option, ...)`: only the thread name; most other options would act on the VM itself
/// (dumpable, seccomp, no_new_privs) or are arm64-specific (SVE, pointer authentication, MTE).
pub fn prctl(_: &mut Syscalls, _: &mut dyn SyscallContext, a: Args) -> SysResult {
    match a[0] {
        PR_SET_NAME | PR_GET_NAME => host_syscall(libc::SYS_prctl, &a),
        _ => Err(Errno(libc::EINVAL)),
    }
}
