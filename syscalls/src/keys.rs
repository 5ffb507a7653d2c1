//! `keyctl` (security/keys/keyctl.c): one call with thirty-odd operations, each with its own
//! arguments, some of them pointers the kernel reads or writes (a key's payload is copied out by
//! KEYCTL_READ, and the guest chose the payload): every pointer an operation takes must lie in
//! the guest region, and the two operations whose arguments point to structures of pointers
//! are given checked copies of those structures.

use crate::uaccess::{copy_from_guest, host_syscall, iovecs_in_region};
use crate::{Args, Errno, SysResult, SyscallContext, Syscalls};

/// KEYCTL_INSTANTIATE_IOV: an array of iovecs.
const INSTANTIATE_IOV: i32 = 20;
/// KEYCTL_DH_COMPUTE: its fifth argument a `struct keyctl_kdf_params` of two pointers.
const DH_COMPUTE: i32 = 23;
/// The kernel's limit on an iovec array (UIO_MAXIOV).
const UIO_MAXIOV: u64 = 1024;

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
    let mut iovs: Vec<u8>;
    let mut kdf = [0u8; KDF_PARAMS];
    match op {
        INSTANTIATE_IOV if a[2] != 0 && a[3] != 0 => {
            if a[3] > UIO_MAXIOV {
                return Err(Errno(libc::EINVAL));
            }
            iovs = vec![0u8; a[3] as usize * 16];
            copy_from_guest(a[2], &mut iovs)?;
            iovecs_in_region(limit, &iovs)?;
            a[2] = iovs.as_mut_ptr() as u64;
        }
        DH_COMPUTE if a[4] != 0 => {
            copy_from_guest(a[4], &mut kdf)?;
            let word = |at: usize| u64::from_le_bytes(kdf[at..at + 8].try_into().expect("8 bytes"));
            if word(0) >= limit || word(8) >= limit {
                return Err(Errno(libc::EFAULT));
            }
            a[4] = kdf.as_mut_ptr() as u64;
        }
        _ => {}
    }
    host_syscall(libc::SYS_keyctl, &a)
}

/// `struct keyctl_kdf_params`: `char *hashname; char *otherinfo; __u32 otherinfolen; __u32
/// __spare[8];`.
const KDF_PARAMS: usize = 8 + 8 + 4 + 32;
