//! System V IPC calls that are not plain pass-through (ipc/sem.c, ipc/shm.c): `semctl`, whose
//! fourth argument is a pointer for some commands only, and `shmat`/`shmdt`, which map and
//! unmap guest memory and so go through [`GuestMemory`](crate::GuestMemory).

use crate::uaccess::{host_syscall, read_struct, u64_at};
use crate::{Args, Errno, SysResult, SyscallContext, Syscalls};

/// `semctl` commands whose fourth argument (`union semun`) is a pointer the kernel reads or
/// writes: IPC_SET, IPC_STAT, IPC_INFO, GETALL, SETALL, SEM_STAT, SEM_INFO, SEM_STAT_ANY
/// (include/uapi/linux/ipc.h, sem.h). For the others it is a value (SETVAL's) or unused, and
/// may hold anything (a union passed by value: its upper half is whatever the caller left).
const SEMCTL_POINTER: &[i32] = &[1, 2, 3, 13, 17, 18, 19, 20];

/// `semctl(id, num, cmd, arg)`: the pointer commands' argument must lie in the guest region
/// (the kernel would otherwise copy semaphore values or a `semid_ds` into the VM's memory, or
/// read a SETALL array from it).
pub fn semctl(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    // `cmd` is an int in the kernel: the upper half of x2 is ignored.
    if SEMCTL_POINTER.contains(&(a[2] as i32)) && a[3] >= ctx.guest_limit() {
        return Err(Errno(libc::EFAULT));
    }
    host_syscall(libc::SYS_semctl, &a)
}

/// `shmat(id, addr, flags)`.
pub fn shmat(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let (at, len) = ctx.shmat(a[0] as i32, a[1], a[2] as i32).map_err(Errno)?;
    // With SHM_REMAP it may replace guest code that has translations.
    ctx.invalidate_code(at, len);
    Ok(at)
}

/// `shmdt(addr)`.
pub fn shmdt(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let (start, end) = ctx.shmdt(a[0]).map_err(Errno)?;
    ctx.invalidate_code(start, end - start);
    Ok(0)
}

/// `struct sigevent`'s size (64 bytes on both ABIs) and SIGEV_THREAD.
const SIGEVENT_BYTES: usize = 64;
const SIGEV_THREAD: i32 = 2;

/// `mq_notify(mqd, sevp)`: with SIGEV_THREAD the kernel reads 32 bytes (NOTIFY_COOKIE_LEN) at
/// `sigev_value.sival_ptr` and sends them to the netlink socket the guest named, where it could
/// read them: that pointer must lie in the guest region. The kernel is given a checked copy.
pub fn mq_notify(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    if a[1] == 0 {
        return host_syscall(libc::SYS_mq_notify, &a);
    }
    let ev: [u8; SIGEVENT_BYTES] = read_struct(ctx, a[1])?;
    let sival_ptr = u64_at(&ev, 0);
    let notify = i32::from_le_bytes(ev[12..16].try_into().expect("4 bytes"));
    if notify == SIGEV_THREAD && sival_ptr >= ctx.guest_limit() {
        return Err(Errno(libc::EFAULT));
    }
    host_syscall(libc::SYS_mq_notify, &[a[0], ev.as_ptr() as u64, 0, 0, 0, 0])
}
