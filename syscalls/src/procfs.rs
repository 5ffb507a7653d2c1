//! The procfs files that must describe the guest rather than the VM: `/proc/self/maps`
//! (fs/proc/task_mmu.c), `/proc/self/auxv` (fs/proc/base.c `proc_pid_auxv`) and `/proc/cpuinfo`
//! (arch/arm64/kernel/cpuinfo.c `c_show`). `openat` of one of them gets a sealed memfd holding the
//! text generated at open time (the kernel generates it at read time; a snapshot taken at open is
//! what a program reading the file once sees either way). Every other `/proc` path is the host's.

use crate::{Errno, SysResult, SyscallContext, Syscalls};

/// An emulated (or refused) procfs file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcFile {
    /// `/proc/{self,thread-self,<own pid>}/maps`.
    Maps,
    /// `/proc/{self,thread-self,<own pid>}/auxv`.
    Auxv,
    /// `/proc/cpuinfo`.
    Cpuinfo,
    /// `/proc/self/mem` and `/proc/self/map_files/`: the host's would reach the VM's memory
    /// (a write to /proc/self/mem ignores page protections). Refused (EACCES).
    Refused,
}

/// Which emulated file the absolute guest path `path` names, if any. The path is resolved
/// lexically first (`//`, `.`, `..`), and `self`, `thread-self`, our pid and `task/<tid>` all
/// name this process, so no spelling reaches the host's file.
pub fn which(path: &[u8]) -> Option<ProcFile> {
    if path.first() != Some(&b'/') {
        return None;
    }
    let mut parts: Vec<&[u8]> = Vec::new();
    for c in path.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let rest = match parts.as_slice() {
        [b"proc", b"cpuinfo"] => return Some(ProcFile::Cpuinfo),
        [b"proc", who, b"task", tid, rest @ ..] if is_self(who) && is_number(tid) => rest,
        [b"proc", who, rest @ ..] if is_self(who) => rest,
        _ => return None,
    };
    match rest {
        [b"maps"] => Some(ProcFile::Maps),
        [b"auxv"] => Some(ProcFile::Auxv),
        [b"mem"] | [b"map_files", ..] => Some(ProcFile::Refused),
        _ => None,
    }
}

/// Whether a path component is a decimal number (a tid under `task/`).
fn is_number(c: &[u8]) -> bool {
    !c.is_empty() && c.iter().all(u8::is_ascii_digit)
}

/// Whether a `/proc` directory name is this process: `self`, `thread-self` or our pid.
fn is_self(who: &[u8]) -> bool {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    who == b"self" || who == b"thread-self" || who == pid.to_string().as_bytes()
}

/// The absolute path a guest path names relative to `dirfd` (`openat`'s first argument), when
/// `dirfd` is a directory under /proc; `path` itself otherwise.
pub fn resolve_at(dirfd: i32, path: &[u8]) -> Vec<u8> {
    if path.first() == Some(&b'/') || dirfd == libc::AT_FDCWD || dirfd < 0 {
        return path.to_vec();
    }
    match std::fs::read_link(format!("/proc/self/fd/{dirfd}")) {
        Ok(dir) if dir.starts_with("/proc/") => {
            let mut full = std::os::unix::ffi::OsStrExt::as_bytes(dir.as_os_str()).to_vec();
            full.push(b'/');
            full.extend_from_slice(path);
            full
        }
        _ => path.to_vec(),
    }
}

/// `openat` of an emulated file: `Some` with the new descriptor (or the error) when `path` is
/// one, None to let the host open `path`. `host_flags` are the open flags in host values.
pub fn open(s: &Syscalls, ctx: &dyn SyscallContext, path: &[u8], host_flags: i32) -> Option<SysResult> {
    let file = which(path)?;
    // These files are read-only for everyone (mode 0444 / 0400).
    if host_flags & libc::O_ACCMODE != libc::O_RDONLY || host_flags & libc::O_CREAT != 0 {
        return Some(Err(Errno(libc::EACCES)));
    }
    let content = match file {
        ProcFile::Refused => return Some(Err(Errno(libc::EACCES))),
        ProcFile::Maps => ctx.proc_maps().into_bytes(),
        ProcFile::Auxv => s.auxv.clone(),
        ProcFile::Cpuinfo => cpuinfo(&s.auxv, online_cpus()).into_bytes(),
    };
    Some(memfd_with(&content, host_flags & libc::O_CLOEXEC != 0))
}

/// A memfd holding `content`, positioned at its start and sealed against changes.
fn memfd_with(content: &[u8], cloexec: bool) -> SysResult {
    let flags = libc::MFD_ALLOW_SEALING | if cloexec { libc::MFD_CLOEXEC } else { 0 };
    // SAFETY: a NUL-terminated name; memfd_create has no other preconditions.
    let fd = unsafe { libc::memfd_create(c"a64x-proc".as_ptr(), flags) };
    if fd < 0 {
        return Err(Errno::last());
    }
    let fail = |e: Errno| {
        // SAFETY: closing the descriptor just created.
        unsafe { libc::close(fd) };
        Err(e)
    };
    let mut done = 0;
    while done < content.len() {
        // SAFETY: writing from a live slice.
        let n = unsafe { libc::write(fd, content[done..].as_ptr().cast(), content.len() - done) };
        if n < 0 {
            let e = Errno::last();
            if e.0 == libc::EINTR {
                continue;
            }
            return fail(e);
        }
        done += n as usize;
    }
    let seals = libc::F_SEAL_WRITE | libc::F_SEAL_GROW | libc::F_SEAL_SHRINK | libc::F_SEAL_SEAL;
    // SAFETY: plain descriptor calls on our own memfd.
    unsafe {
        if libc::lseek(fd, 0, libc::SEEK_SET) != 0 {
            return fail(Errno::last());
        }
        // Best effort: a guest writing to its maps file gets EPERM rather than changing it.
        libc::fcntl(fd, libc::F_ADD_SEALS, seals);
    }
    Ok(fd as u64)
}

/// Number of online host CPUs: the guest sees as many AArch64 CPUs.
fn online_cpus() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    n.max(1) as usize
}

/// `AT_HWCAP` and `AT_HWCAP2`.
const AT_HWCAP: u64 = 16;
const AT_HWCAP2: u64 = 26;

/// The value of auxv entry `key` in `auxv` (native-endian u64 pairs), 0 if absent.
fn auxv_value(auxv: &[u8], key: u64) -> u64 {
    auxv.chunks_exact(16)
        .map(|p| {
            let word = |b: &[u8]| u64::from_ne_bytes(b.try_into().unwrap_or([0; 8]));
            (word(&p[..8]), word(&p[8..]))
        })
        .find(|&(k, _)| k == key)
        .map_or(0, |(_, v)| v)
}

/// cpuinfo's names of the AT_HWCAP bits, by bit number (arch/arm64/kernel/cpuinfo.c `hwcap_str`).
const HWCAP_NAMES: [&str; 32] = [
    "fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32", "atomics", "fphp", "asimdhp", "cpuid",
    "asimdrdm", "jscvt", "fcma", "lrcpc", "dcpop", "sha3", "sm3", "sm4", "asimddp", "sha512", "sve", "asimdfhm", "dit",
    "uscat", "ilrcpc", "flagm", "ssbs", "sb", "paca", "pacg",
];

/// cpuinfo's names of the AT_HWCAP2 bits, by bit number.
const HWCAP2_NAMES: [&str; 45] = [
    "dcpodp",
    "sve2",
    "sveaes",
    "svepmull",
    "svebitperm",
    "svesha3",
    "svesm4",
    "flagm2",
    "frint",
    "svei8mm",
    "svef32mm",
    "svef64mm",
    "svebf16",
    "i8mm",
    "bf16",
    "dgh",
    "rng",
    "bti",
    "mte",
    "ecv",
    "afp",
    "rpres",
    "mte3",
    "sme",
    "smei16i64",
    "smef64f64",
    "smei8i32",
    "smef16f32",
    "smeb16f32",
    "smef32f32",
    "smefa64",
    "wfxt",
    "ebf16",
    "sveebf16",
    "cssc",
    "rprfm",
    "sve2p1",
    "sme2",
    "sme2p1",
    "smei16i32",
    "smebi32i32",
    "smeb16b16",
    "smef16f16",
    "mops",
    "hbc",
];

/// `/proc/cpuinfo` for `cpus` AArch64 CPUs with the features advertised in `auxv`, in the arm64
/// kernel's format. The identification is an Arm Neoverse N1 r3p1 (MIDR_EL1 is not readable by
/// the guest: HWCAP_CPUID is not advertised, so nothing can contradict it). BogoMIPS is what the
/// kernel derives from the 1 GHz CNTFRQ_EL0 a64x reports.
pub fn cpuinfo(auxv: &[u8], cpus: usize) -> String {
    let (hwcap, hwcap2) = (auxv_value(auxv, AT_HWCAP), auxv_value(auxv, AT_HWCAP2));
    let set = |word: u64, names: &'static [&'static str]| {
        names
            .iter()
            .enumerate()
            .filter(move |(i, _)| word & (1u64 << i) != 0)
            .map(|(_, n)| *n)
    };
    let features: Vec<&str> = set(hwcap, &HWCAP_NAMES).chain(set(hwcap2, &HWCAP2_NAMES)).collect();
    let features = features.join(" ");
    let mut out = String::new();
    for cpu in 0..cpus {
        out += &format!(
            "processor\t: {cpu}\nBogoMIPS\t: 2000.00\nFeatures\t: {features}\nCPU implementer\t: 0x41\n\
             CPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n\n"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_the_emulated_files() {
        let pid = unsafe { libc::getpid() };
        assert_eq!(which(b"/proc/self/maps"), Some(ProcFile::Maps));
        assert_eq!(which(b"//proc/./thread-self/maps"), Some(ProcFile::Maps));
        assert_eq!(which(format!("/proc/{pid}/auxv").as_bytes()), Some(ProcFile::Auxv));
        assert_eq!(which(b"/proc/cpuinfo"), Some(ProcFile::Cpuinfo));
        assert_eq!(which(b"/proc/1/maps").filter(|_| pid != 1), None);
        assert_eq!(which(b"/proc/self/status"), None);
        assert_eq!(which(b"proc/self/maps"), None);
        assert_eq!(which(b"/proc/self/maps/x"), None);
        // Every spelling of this process's files, `..` resolved.
        assert_eq!(which(b"/proc/self/../self/maps"), Some(ProcFile::Maps));
        assert_eq!(which(b"/proc/thread-self/../self/./maps"), Some(ProcFile::Maps));
        assert_eq!(which(b"/proc/self/task/123/maps"), Some(ProcFile::Maps));
        assert_eq!(which(b"/proc/self/task/../maps"), Some(ProcFile::Maps));
        assert_eq!(which(b"/proc/self/mem"), Some(ProcFile::Refused));
        assert_eq!(which(b"/proc/self/task/7/mem"), Some(ProcFile::Refused));
        assert_eq!(which(b"/proc/self/map_files/400000-401000"), Some(ProcFile::Refused));
        assert_eq!(which(b"/proc/self/maps/../mem"), Some(ProcFile::Refused));
    }

    #[test]
    fn cpuinfo_names_only_advertised_features() {
        let auxv: Vec<u8> = [(AT_HWCAP, 0b1_1000_0011u64), (AT_HWCAP2, 1 << 7), (0, 0)]
            .iter()
            .flat_map(|&(k, v)| [k.to_ne_bytes(), v.to_ne_bytes()])
            .flatten()
            .collect();
        let text = cpuinfo(&auxv, 2);
        assert!(text.contains("Features\t: fp asimd crc32 atomics flagm2\n"), "{text}");
        assert!(text.starts_with("processor\t: 0\n"));
        assert!(text.contains("processor\t: 1\n"));
        assert!(text.ends_with("\n\n"));
    }
}
