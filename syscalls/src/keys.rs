//! `keyctl` (security/keys/keyctl.c): one call with thirty-odd operations, each with its own
//! arguments, some of them pointers the kernel reads or writes (a key's payload is copied out by
//! KEYCTL_READ, and the guest chose the payload): every pointer an operation takes must lie in
//! the guest region, and the two operations whose arguments point to structures of pointers
//! are given checked copies of those structures.

use crate::uaccess::{host_syscall, read_struct, u64_at};
use crate::{Args, Errno, SysResult, SyscallContext, Syscalls};

/// KEYCTL_INSTANTIATE_IOV: an array of iovecs.
const INSTANTIATE_IOV: i32 = 20;
/// KEYCTL_DH_COMPUTE: its fifth argument a `struct keyctl_kdf_params` of two pointers.
const DH_COMPUTE: i32 = 23;

/// The arguments (indexes into the call's, the operation being 0) that are pointers, by
/// operation (include/uapi/linux/keyctl.h). Operations not listed take none.
fn pointer_args(op: i32) -> &'static [usize] {
    match op {
        1 => &[1],                    // JOIN_SESSION_KEYRING: name
        2 | 6 | 11 | 12 | 17 => &[2], // UPDATE, DESCRIBE, READ, INSTANTIATE, GET_SECURITY: buffer
        10 | 29 => &[2, 3],           // SEARCH, RESTRICT_KEYRING: type, description
        INSTANTIATE_IOV => &[2],      // the array (and its buffers, below)
        DH_COMPUTE => &[1, 2, 4],     // params, buffer, kdf (and its pointers, below)
        24 => &[3, 4],                // PKEY_QUERY: info, result
        25..=28 => &[1, 2, 3, 4],     // PKEY_ENCRYPT/DECRYPT/SIGN/VERIFY: params, info, in, out
        31 => &[1],                   // CAPABILITIES: buffer
        _ => &[],
    }
}

/// `keyctl(op, arg2, arg3, arg4, arg5)`.
pub fn keyctl(_: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SysResult {
    let op = a[0] as i32;
    let limit = ctx.guest_limit();
    if pointer_args(op).iter().any(|&i| a[i] >= limit) {
        return Err(Errno(libc::EFAULT));
    }
    let mut a = a;
    // The copies the kernel is given instead of the guest's structures (another guest thread
    // could change those between the check and the kernel's read).
    let iovs: Vec<u8>;
    let kdf: [u8; KDF_PARAMS];
    match op {
        // (`ioc` is an unsigned int in the kernel; above UIO_MAXIOV, EINVAL as it says.)
        INSTANTIATE_IOV if a[2] != 0 && a[3] != 0 => {
            iovs = crate::iov::copy_iov(ctx, a[2], a[3] & 0xffff_ffff, libc::EINVAL)?;
            a[2] = iovs.as_ptr() as u64;
        }
        DH_COMPUTE if a[4] != 0 => {
            kdf = read_struct(ctx, a[4])?;
            if u64_at(&kdf, 0) >= limit || u64_at(&kdf, 8) >= limit {
                return Err(Errno(libc::EFAULT));
            }
            a[4] = kdf.as_ptr() as u64;
        }
        _ => {}
    }
    host_syscall(libc::SYS_keyctl, &a)
}

/// `struct keyctl_kdf_params`: `char *hashname; char *otherinfo; __u32 otherinfolen; __u32
/// __spare[8];`.
const KDF_PARAMS: usize = 8 + 8 + 4 + 32;
