//! Loader, the initial stack: strings, platform, AT_RANDOM bytes, auxv, envp, argv and argc laid
//! out as fs/exec.c `copy_strings` and fs/binfmt_elf.c `create_elf_tables` do for AArch64
//! (AT_* numbers from include/uapi/linux/auxvec.h and arch/arm64/include/uapi/asm/auxvec.h).

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::error::LoadError;
use crate::memory::{prot, AddressSpace};

/// Default size of the guest stack mapping (the usual 8 MiB `RLIMIT_STACK`); `-s` changes it.
pub const STACK_SIZE: u64 = 8 << 20;

/// Preferred top of the guest stack: near the end of the guest region, where the kernel would
/// put it near the end of the address space (mappings the guest does not place go below).
const STACK_TOP_HINT: u64 = crate::memory::GUEST_ADDR_LIMIT - (8 << 30);

/// `AT_MINSIGSTKSZ` value: arm64's uapi `MINSIGSTKSZ` (arch/arm64/include/uapi/asm/signal.h); the
/// kernel computes a smaller one without SVE, and a larger promise is safe.
pub const MINSIGSTKSZ: u64 = 5120;

/// The platform string of `AT_PLATFORM` (arm64's `ELF_PLATFORM`).
const PLATFORM: &[u8] = b"aarch64\0";

/// Auxiliary vector keys (include/uapi/linux/auxvec.h; AT_MINSIGSTKSZ from arm64's asm/auxvec.h).
pub mod at {
    /// End of the vector.
    pub const NULL: u64 = 0;
    /// Address of the program headers.
    pub const PHDR: u64 = 3;
    /// Size of one program header.
    pub const PHENT: u64 = 4;
    /// Number of program headers.
    pub const PHNUM: u64 = 5;
    /// Page size.
    pub const PAGESZ: u64 = 6;
    /// Interpreter base (0: none).
    pub const BASE: u64 = 7;
    /// Flags (always 0).
    pub const FLAGS: u64 = 8;
    /// Program entry point.
    pub const ENTRY: u64 = 9;
    /// Real uid.
    pub const UID: u64 = 11;
    /// Effective uid.
    pub const EUID: u64 = 12;
    /// Real gid.
    pub const GID: u64 = 13;
    /// Effective gid.
    pub const EGID: u64 = 14;
    /// Address of the platform string.
    pub const PLATFORM: u64 = 15;
    /// CPU feature bits.
    pub const HWCAP: u64 = 16;
    /// Frequency of times().
    pub const CLKTCK: u64 = 17;
    /// Secure-execution mode.
    pub const SECURE: u64 = 23;
    /// Address of 16 random bytes.
    pub const RANDOM: u64 = 25;
    /// More CPU feature bits.
    pub const HWCAP2: u64 = 26;
    /// Address of the program path string.
    pub const EXECFN: u64 = 31;
    /// Minimal signal stack size (arm64).
    pub const MINSIGSTKSZ: u64 = 51;
}

/// The values of the auxiliary vector that come from the image and the CPU model.
pub(crate) struct AuxInfo {
    /// AT_PHDR: guest address of the program headers.
    pub phdr: u64,
    /// AT_PHNUM.
    pub phnum: u64,
    /// AT_ENTRY: the program's entry point (not the interpreter's).
    pub entry: u64,
    /// AT_BASE: the dynamic loader's load bias, 0 for a program without one.
    pub base: u64,
    /// AT_HWCAP.
    pub hwcap: u64,
    /// AT_HWCAP2.
    pub hwcap2: u64,
}

/// Writes downwards from the top of the freshly mapped stack, refusing to pass `floor`.
struct Down {
    p: u64,
    floor: u64,
}

impl Down {
    /// Reserves `len` bytes below the current position and returns their address.
    fn reserve(&mut self, len: u64) -> Option<u64> {
        self.p = self.p.checked_sub(len).filter(|&p| p >= self.floor)?;
        Some(self.p)
    }

    /// Copies `bytes` below the current position and returns their address.
    fn push(&mut self, bytes: &[u8]) -> Option<u64> {
        let at = self.reserve(bytes.len() as u64)?;
        // SAFETY: [at, at+len) is inside the guest stack mapped RW just now (reserve checks the
        // floor, and the position only ever moves down from the top).
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), at as *mut u8, bytes.len()) };
        Some(at)
    }

    /// Pushes `s` with its NUL terminator.
    fn push_cstr(&mut self, s: &[u8]) -> Option<u64> {
        self.reserve(1)?; // the NUL: fresh stack memory is zero
        self.push(s)
    }
}

/// 16 bytes for AT_RANDOM.
fn random16() -> [u8; 16] {
    let mut buf = [0u8; 16];
    fill_random(&mut buf);
    buf
}

/// Fills `buf` from the host's getrandom (falling back to /dev/urandom): AT_RANDOM, and the
/// VM's RNDR/RNDRRS (`Platform::random`).
pub fn fill_random(buf: &mut [u8]) {
    let mut got = 0;
    while got < buf.len() {
        // SAFETY: writes at most the remaining length into `buf`.
        let r = unsafe { libc::getrandom(buf[got..].as_mut_ptr().cast(), buf.len() - got, 0) };
        if r > 0 {
            got += r as usize;
        } else if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            use std::io::Read;
            if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
                let _ = f.read_exact(&mut buf[got..]);
            }
            break;
        }
    }
}

/// Maps the guest stack ("[stack]", `stack_size` bytes, a multiple of the page size) and fills it;
/// returns the initial sp, which points at argc and is 16-byte aligned. `execfn` is the program
/// path as given (AT_EXECFN).
pub(crate) fn build(
    mem: &mut AddressSpace,
    path: &Path,
    argv: &[OsString],
    envp: &[OsString],
    aux: &AuxInfo,
    stack_size: u64,
) -> Result<u64, LoadError> {
    let too_long = || LoadError::ArgsTooLong {
        path: path.to_path_buf(),
    };
    // Linux 5.18+ gives a program started with an empty argv one empty argument.
    let empty = [OsString::new()];
    let argv = if argv.is_empty() { &empty[..] } else { argv };
    let execfn = path.as_os_str().as_bytes();

    // The kernel allows strings up to a quarter of the stack limit; keep the whole initial
    // stack within that, so most of the stack is left to the program.
    let strings: u64 = argv
        .iter()
        .chain(envp)
        .map(|s| s.as_bytes().len() as u64 + 1)
        .sum::<u64>()
        + execfn.len() as u64
        + 1;
    let words = (argv.len() + envp.len() + 3) as u64 + 2 * 24;
    if strings + 8 * words + 128 > stack_size / 4 {
        return Err(too_long());
    }

    let rw = prot::READ | prot::WRITE;
    let base = mem
        .map_anon(STACK_TOP_HINT - stack_size, stack_size, rw, "[stack]")
        .map_err(|errno| LoadError::Memory {
            path: path.to_path_buf(),
            what: "stack",
            errno,
        })?;
    let top = base + stack_size;
    let mut d = Down { p: top, floor: base };
    let sp = fill(&mut d, argv, envp, execfn, aux).ok_or_else(too_long);
    if sp.is_err() {
        use a64x_syscalls::GuestMemory;
        let _ = mem.munmap(base, stack_size);
    }
    sp
}

/// Lays everything out below `d`'s position; None if it does not fit.
fn fill(d: &mut Down, argv: &[OsString], envp: &[OsString], execfn: &[u8], aux: &AuxInfo) -> Option<u64> {
    // bprm->p starts one pointer below the top: that word stays 0.
    d.reserve(8)?;
    let execfn_addr = d.push_cstr(execfn)?;
    // copy_strings copies the last string first, so the strings read in order upwards.
    let mut env_ptrs = vec![0u64; envp.len()];
    for (slot, s) in env_ptrs.iter_mut().zip(envp).rev() {
        *slot = d.push_cstr(s.as_bytes())?;
    }
    let mut arg_ptrs = vec![0u64; argv.len()];
    for (slot, s) in arg_ptrs.iter_mut().zip(argv).rev() {
        *slot = d.push_cstr(s.as_bytes())?;
    }
    // arch_align_stack without randomisation: 16-byte alignment.
    d.p &= !15;
    let platform = d.push(PLATFORM)?;
    let random = d.push(&random16())?;

    // SAFETY: getuid and friends cannot fail.
    let ids = unsafe {
        [
            (at::UID, libc::getuid() as u64),
            (at::EUID, libc::geteuid() as u64),
            (at::GID, libc::getgid() as u64),
            (at::EGID, libc::getegid() as u64),
        ]
    };
    // In create_elf_tables' order: ARCH_DLINFO first (no vDSO yet, so no AT_SYSINFO_EHDR).
    let mut auxv = vec![
        (at::MINSIGSTKSZ, MINSIGSTKSZ),
        (at::HWCAP, aux.hwcap),
        (at::PAGESZ, 4096),
        (at::CLKTCK, 100),
        (at::PHDR, aux.phdr),
        (at::PHENT, 56),
        (at::PHNUM, aux.phnum),
        (at::BASE, aux.base),
        (at::FLAGS, 0),
        (at::ENTRY, aux.entry),
    ];
    auxv.extend(ids);
    auxv.extend([
        (at::SECURE, 0),
        (at::RANDOM, random),
        (at::HWCAP2, aux.hwcap2),
        (at::EXECFN, execfn_addr),
        (at::PLATFORM, platform),
        (at::NULL, 0),
    ]);

    let mut table: Vec<u64> = Vec::with_capacity(3 + argv.len() + envp.len() + 2 * auxv.len());
    table.push(argv.len() as u64);
    table.extend(&arg_ptrs);
    table.push(0);
    table.extend(&env_ptrs);
    table.push(0);
    table.extend(auxv.iter().flat_map(|&(k, v)| [k, v]));
    // STACK_ROUND: the table goes at a 16-byte-aligned sp.
    d.reserve(8 * table.len() as u64)?;
    d.p &= !15;
    if d.p < d.floor {
        return None;
    }
    let bytes: Vec<u8> = table.iter().flat_map(|w| w.to_le_bytes()).collect();
    let sp = d.p;
    // SAFETY: [sp, sp + table) is inside the guest stack, below everything pushed so far.
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), sp as *mut u8, bytes.len()) };
    Some(sp)
}
