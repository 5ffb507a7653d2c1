//! The procfs files that must describe the guest rather than the VM: `/proc/self/maps`,
//! `smaps` and `smaps_rollup` (fs/proc/task_mmu.c), `auxv`, `cmdline`, `environ` and `stat`
//! (fs/proc/base.c, fs/proc/array.c `do_task_stat`) and `/proc/cpuinfo`
//! (arch/arm64/kernel/cpuinfo.c `c_show`). The host's would show the VM: its command line, its
//! mappings and addresses. `openat` of one of them gets a sealed memfd holding the
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
    /// `/proc/self/cmdline`: the guest's argument strings.
    Cmdline,
    /// `/proc/self/environ`: the guest's environment strings.
    Environ,
    /// `/proc/self/stat`: the host's, with the guest's name and the guest's addresses.
    Stat,
    /// `/proc/self/smaps`: the host's entries of the guest region only.
    Smaps,
    /// `/proc/self/smaps_rollup`: the sums over those entries.
    SmapsRollup,
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
        [b"cmdline"] => Some(ProcFile::Cmdline),
        [b"environ"] => Some(ProcFile::Environ),
        [b"stat"] => Some(ProcFile::Stat),
        [b"smaps"] => Some(ProcFile::Smaps),
        [b"smaps_rollup"] => Some(ProcFile::SmapsRollup),
        [b"mem"] | [b"map_files", ..] => Some(ProcFile::Refused),
        _ => None,
    }
}

/// Where a process's argument and environment strings are: `[start, end)` of each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessAreas {
    /// `arg_start..arg_end`.
    pub arg: (u64, u64),
    /// `env_start..env_end`.
    pub env: (u64, u64),
}

/// The guest bytes of `[start, end)` (nothing if they cannot be read: the guest unmapped them).
fn guest_bytes(ctx: &dyn SyscallContext, (start, end): (u64, u64)) -> Vec<u8> {
    let len = end.saturating_sub(start).min(1 << 20) as usize;
    crate::uaccess::read_bytes(ctx, start, len).unwrap_or_default()
}

/// The host's `/proc/self/NAME`.
fn host_text(name: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/self/{name}")).ok()
}

/// `/proc/self/stat` from the host's `host`: the guest program's name instead of the VM's, the
/// VM's code, data, stack and brk addresses (fields 26-30, 45-47) as 0 (what a reader without
/// ptrace access sees), the guest's argument and environment areas (fields 48-51).
pub fn stat(host: &str, areas: &ProcessAreas, exe: &std::path::Path) -> String {
    let (Some(open), Some(close)) = (host.find('('), host.rfind(')')) else {
        return host.to_string();
    };
    let name = exe
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let comm: String = name.chars().take(15).collect();
    let mut fields: Vec<String> = host[close + 1..].split_whitespace().map(String::from).collect();
    // fields[k] is field k + 3 of proc(5).
    let mut set = |field: usize, v: u64| {
        if let Some(f) = fields.get_mut(field - 3) {
            *f = v.to_string();
        }
    };
    for field in [26, 27, 28, 29, 30, 45, 46, 47] {
        set(field, 0);
    }
    set(48, areas.arg.0);
    set(49, areas.arg.1);
    set(50, areas.env.0);
    set(51, areas.env.1);
    format!("{}({comm}) {}\n", &host[..open], fields.join(" "))
}

/// `/proc/self/smaps` from the host's `host`: the entries inside the guest region (below
/// `limit`) only; the VM has nothing there and the guest nothing elsewhere.
pub fn smaps(host: &str, limit: u64) -> String {
    let mut out = String::new();
    let mut keep = false;
    for line in host.lines() {
        if let Some((_, end)) = header_range(line) {
            keep = end <= limit;
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The `[start, end)` of a maps/smaps header line (`00400000-0047e000 r--p ...`).
fn header_range(line: &str) -> Option<(u64, u64)> {
    let (s, e) = line.split_whitespace().next()?.split_once('-')?;
    Some((u64::from_str_radix(s, 16).ok()?, u64::from_str_radix(e, 16).ok()?))
}

/// `/proc/self/smaps_rollup`: the host rollup's keys, in its order, with the sums of the guest's
/// `smaps` entries, under a header spanning them.
pub fn smaps_rollup(guest_smaps: &str, host_rollup: &str) -> String {
    let mut sums: Vec<(String, u64)> = Vec::new();
    let (mut first, mut last) = (None, 0u64);
    for line in guest_smaps.lines() {
        if let Some((s, e)) = header_range(line) {
            first.get_or_insert(s);
            last = e;
        } else if let Some((key, rest)) = line.split_once(':') {
            let kb = rest
                .trim()
                .strip_suffix("kB")
                .and_then(|v| v.trim().parse::<u64>().ok());
            if let Some(kb) = kb {
                match sums.iter_mut().find(|(k, _)| k == key) {
                    Some((_, v)) => *v += kb,
                    None => sums.push((key.to_string(), kb)),
                }
            }
        }
    }
    let mut out = format!(
        "{:08x}-{last:08x} ---p 00000000 00:00 0                          [rollup]\n",
        first.unwrap_or(0)
    );
    for line in host_rollup.lines().skip(1) {
        let Some((key, _)) = line.split_once(':') else { continue };
        let v = sums.iter().find(|(k, _)| k == key).map_or(0, |&(_, v)| v);
        out.push_str(&format!("{:<16}{v:>8} kB\n", format!("{key}:")));
    }
    out
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
        ProcFile::Cmdline => guest_bytes(ctx, s.areas.arg),
        ProcFile::Environ => guest_bytes(ctx, s.areas.env),
        ProcFile::Stat => host_text("stat").map_or_else(Vec::new, |t| stat(&t, &s.areas, ctx.exe_path()).into_bytes()),
        ProcFile::Smaps => host_text("smaps").map_or_else(Vec::new, |t| smaps(&t, ctx.guest_limit()).into_bytes()),
        ProcFile::SmapsRollup => match (host_text("smaps"), host_text("smaps_rollup")) {
            (Some(all), Some(rollup)) => smaps_rollup(&smaps(&all, ctx.guest_limit()), &rollup).into_bytes(),
            _ => Vec::new(),
        },
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
        assert_eq!(which(b"/proc/self/cmdline"), Some(ProcFile::Cmdline));
        assert_eq!(which(b"/proc/thread-self/../self/environ"), Some(ProcFile::Environ));
        assert_eq!(which(b"/proc/self/task/9/stat"), Some(ProcFile::Stat));
        assert_eq!(which(b"/proc/self/smaps"), Some(ProcFile::Smaps));
        assert_eq!(which(b"/proc/self/smaps_rollup"), Some(ProcFile::SmapsRollup));
    }

    #[test]
    fn stat_shows_the_guest() {
        // A name with a space and a parenthesis, as the kernel prints it.
        let mut host = String::from("42 (a64x (x) y) S 1 42 42 0 -1 4194560");
        for f in 10..=52 {
            host.push_str(&format!(" {}", 0x7f00_0000_0000u64 + f));
        }
        let areas = ProcessAreas {
            arg: (0x1000, 0x1010),
            env: (0x1010, 0x1020),
        };
        let text = stat(&host, &areas, std::path::Path::new("/usr/bin/some-long-program-name"));
        let (head, rest) = text.split_once(") ").unwrap();
        assert_eq!(head, "42 (some-long-progr");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let field = |n: usize| f[n - 3];
        assert_eq!(field(3), "S");
        for n in [26, 27, 28, 29, 30, 45, 46, 47] {
            assert_eq!(field(n), "0", "field {n}");
        }
        assert_eq!(
            [field(48), field(49), field(50), field(51)],
            ["4096", "4112", "4112", "4128"]
        );
        assert_eq!(field(52), (0x7f00_0000_0000u64 + 52).to_string());
    }

    #[test]
    fn smaps_keeps_the_guest_region() {
        let host = "00400000-00401000 r-xp 00000000 08:01 7 /guest/prog
Size:                  4 kB
Rss:                   4 kB
7f0000000000-7f0000001000 rw-p 00000000 00:00 0 
Size:                  4 kB
Rss:                   4 kB
00500000-00502000 rw-p 00000000 00:00 0 
Size:                  8 kB
Rss:                   8 kB
";
        let guest = smaps(host, 1 << 46);
        assert!(guest.contains("00400000-00401000") && guest.contains("00500000-00502000"));
        assert!(!guest.contains("7f0000000000"), "{guest}");
        let rollup = smaps_rollup(&guest, "x-y ---p 0 0:0 0 [rollup]\nRss:    1 kB\nSwap: 0 kB\n");
        assert!(rollup.starts_with("00400000-00502000 ---p"), "{rollup}");
        assert!(rollup.contains("Rss:                  12 kB"), "{rollup}");
        assert!(rollup.contains("Swap:                  0 kB"), "{rollup}");
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
