//! The procfs files that must describe the guest rather than the VM: `/proc/self/maps`,
//! `smaps` and `smaps_rollup` (fs/proc/task_mmu.c), `auxv`, `cmdline`, `environ`, `stat`,
//! `status` and `statm` (fs/proc/base.c, fs/proc/array.c `do_task_stat`, `proc_pid_status`,
//! `proc_pid_statm`) and `/proc/cpuinfo` (arch/arm64/kernel/cpuinfo.c `c_show`). The host's would
//! show the VM: its command line, its mappings, addresses, sizes and signal handlers. `openat`
//! of one of them gets a sealed memfd holding the text generated at open time (the kernel
//! generates it at read time; a snapshot taken at open is what a program reading the file once
//! sees either way). `exe` is the guest's program under every spelling; `fd/N` and `fdinfo/N`
//! of the VM's own descriptors do not exist, and listings of `fd/` and `fdinfo/` leave them out
//! ([`lists_descriptors`], [`without_vm_fds`]). Every other `/proc` path is the host's.

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
    /// `/proc/self/status`: the host's, with the guest's sizes and signal state.
    Status,
    /// `/proc/self/statm`: the guest's sizes.
    Statm,
    /// `/proc/self/exe`: a link the path lookups follow to the guest's program.
    Exe,
    /// `/proc/self/fd/N` and `fdinfo/N` of a VM descriptor: no such file (ENOENT).
    Hidden,
    /// `/proc/self/mem`, `map_files/` and `syscall`: the host's would reach the VM's memory (a
    /// write to /proc/self/mem ignores page protections) or show the VM's registers. Refused
    /// (EACCES, as for a reader without ptrace access).
    Refused,
}

/// Which emulated file the absolute guest path `path` names, if any. The path is resolved
/// lexically first (`//`, `.`, `..`), and `self`, `thread-self`, our pid and `task/<tid>` all
/// name this process, so no spelling reaches the host's file.
pub fn which(path: &[u8]) -> Option<ProcFile> {
    which_parts(&components(path)?)
}

/// [`which`] for a path already split into components (`/` first: `["proc", "self", "maps"]`).
fn which_parts(parts: &[&[u8]]) -> Option<ProcFile> {
    let rest = match parts {
        [b"proc", b"cpuinfo"] => return Some(ProcFile::Cpuinfo),
        // Another process's memory: as refused as ours (another a64x's, a child's, included:
        // ptrace is refused too, and its memory is a VM's).
        [b"proc", who, b"mem" | b"map_files", ..] if is_number(who) => return Some(ProcFile::Refused),
        [b"proc", who, b"task", tid, b"mem" | b"map_files", ..] if is_number(who) && is_number(tid) => {
            return Some(ProcFile::Refused)
        }
        [b"proc", rest @ ..] => own_entry(rest)?,
        _ => return None,
    };
    match rest {
        [b"exe"] => Some(ProcFile::Exe),
        [b"status"] => Some(ProcFile::Status),
        [b"statm"] => Some(ProcFile::Statm),
        [b"fd" | b"fdinfo", n, ..] if is_number(n) && is_vm_fd(n) => Some(ProcFile::Hidden),
        [b"syscall"] => Some(ProcFile::Refused),
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

/// The fields of a `/proc/PID/stat` text after the command name (which may hold spaces and
/// parentheses: the last `)` ends it): element k is field k + 3 of proc(5).
pub fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    let close = stat.rfind(')')?;
    Some(stat[close + 1..].split_whitespace().collect())
}

/// `/proc/self/stat` from the host's `host`: the guest program's name instead of the VM's, the
/// VM's code, data, stack and brk addresses (fields 26-30, 45-47) as 0 (what a reader without
/// ptrace access sees), the guest's argument and environment areas (fields 48-51).
pub fn stat(host: &str, areas: &ProcessAreas, exe: &std::path::Path) -> String {
    let (Some(open), Some(fields)) = (host.find('('), stat_fields(host)) else {
        return host.to_string();
    };
    let name = exe
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let comm: String = name.chars().take(15).collect();
    let mut fields: Vec<String> = fields.into_iter().map(String::from).collect();
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

/// The components of absolute path `path`, resolved lexically (`//`, `.`, `..`); None for a
/// relative path.
fn components(path: &[u8]) -> Option<Vec<&[u8]>> {
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
    Some(parts)
}

/// What follows this process's directory in the components after `/proc/`: after `self`,
/// `thread-self`, our pid or one of our threads' tids, and after `task/<tid>` under those.
fn own_entry<'a, 'p>(rest: &'a [&'p [u8]]) -> Option<&'a [&'p [u8]]> {
    match rest {
        [who, b"task", tid, rest @ ..] if is_self(who) && is_number(tid) => Some(rest),
        [who, rest @ ..] if is_self(who) => Some(rest),
        _ => None,
    }
}

/// Whether a path component is a decimal number (a tid under `task/`).
fn is_number(c: &[u8]) -> bool {
    !c.is_empty() && c.iter().all(u8::is_ascii_digit)
}

/// Whether decimal component `n` is one of the VM's own descriptors.
fn is_vm_fd(n: &[u8]) -> bool {
    std::str::from_utf8(n)
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
        .is_some_and(crate::fd::is_reserved)
}

/// Whether a `/proc` directory name is this process: `self`, `thread-self`, our pid, or the tid
/// of one of our threads (`/proc/<tid>` names a thread's process directory, though listings
/// of /proc leave it out).
fn is_self(who: &[u8]) -> bool {
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    if who == b"self" || who == b"thread-self" || who == pid.to_string().as_bytes() {
        return true;
    }
    is_number(who) && {
        let tid = String::from_utf8_lossy(who);
        std::fs::symlink_metadata(format!("/proc/self/task/{tid}")).is_ok()
    }
}

/// Whether the last component of relative path `path` is one that [`which`] can match (a
/// name of an emulated file, or a number under `fd/`): only then can `path` relative to a
/// descriptor name one, and only then is the descriptor's path worth reading.
fn could_be_emulated(path: &[u8]) -> bool {
    const NAMES: [&[u8]; 16] = [
        b"maps",
        b"auxv",
        b"cmdline",
        b"environ",
        b"stat",
        b"status",
        b"statm",
        b"smaps",
        b"smaps_rollup",
        b"mem",
        b"syscall",
        b"exe",
        b"cpuinfo",
        b"map_files",
        b".",
        b"..",
    ];
    let last = path.rsplit(|&b| b == b'/').find(|c| !c.is_empty()).unwrap_or(b".");
    let range = |c: &[u8]| c.contains(&b'-') && c.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-');
    NAMES.contains(&last) || is_number(last) || range(last) || path.windows(9).any(|w| w == b"map_files")
}

/// The absolute path a guest path names relative to `dirfd` (`openat`'s first argument, or
/// AT_FDCWD: the working directory), when that directory is under /proc; `path` itself
/// otherwise.
pub fn resolve_at(dirfd: i32, path: &[u8]) -> Vec<u8> {
    if path.first() == Some(&b'/') || (dirfd < 0 && dirfd != libc::AT_FDCWD) || !could_be_emulated(path) {
        return path.to_vec();
    }
    let dir = if dirfd == libc::AT_FDCWD {
        std::env::current_dir()
    } else {
        std::fs::read_link(format!("/proc/self/fd/{dirfd}"))
    };
    match dir {
        Ok(dir) if dir.starts_with("/proc/") => {
            let mut full = std::os::unix::ffi::OsStrExt::as_bytes(dir.as_os_str()).to_vec();
            full.push(b'/');
            full.extend_from_slice(path);
            full
        }
        _ => path.to_vec(),
    }
}

/// `statfs.f_type` of procfs (`PROC_SUPER_MAGIC`).
const PROC_SUPER_MAGIC: i64 = 0x9fa0;

/// Which emulated file descriptor `fd` is, when it is a file of a procfs mount reached by any
/// path (a symlink to /proc/self, another mount of proc, a reopened O_PATH descriptor), which
/// lexical resolution cannot see: from its path as the kernel gives it, matched with the mount
/// point left out (each tail of the path is tried as if it followed `/proc/`).
pub fn identify(fd: i32) -> Option<ProcFile> {
    if !on_procfs(fd) {
        return None;
    }
    let path = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    let parts = components(std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()))?;
    (0..parts.len()).find_map(|k| {
        let mut tail: Vec<&[u8]> = vec![b"proc"];
        tail.extend_from_slice(&parts[k..]);
        which_parts(&tail)
    })
}

/// Whether descriptor `fd` (AT_FDCWD: the working directory) is open on a procfs mount.
fn on_procfs(fd: i32) -> bool {
    // SAFETY: all-zero is a valid statfs; the calls write only into it; "." is NUL-terminated.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    let r = if fd == libc::AT_FDCWD {
        unsafe { libc::statfs(c".".as_ptr(), &mut st) }
    } else {
        unsafe { libc::fstatfs(fd, &mut st) }
    };
    r == 0 && st.f_type as i64 == PROC_SUPER_MAGIC
}

/// Which emulated file the guest path `path` relative to `dirfd` names: lexically ([`which`]
/// after [`resolve_at`]), or, when its last component could name one, as the kernel resolves
/// it, symlinks included but the last (`O_PATH | O_NOFOLLOW`, then [`identify`]).
pub fn lookup(dirfd: i32, path: &[u8]) -> Option<ProcFile> {
    // An empty path (AT_EMPTY_PATH: the descriptor itself, as glibc's fstat asks) can only be an
    // emulated file's when the descriptor is on procfs; one fstatfs says so, where reading the
    // descriptor's path and opening "" were two calls more for every fstat of a guest.
    if path.is_empty() && !on_procfs(dirfd) {
        return None;
    }
    if let Some(file) = which(&resolve_at(dirfd, path)) {
        return Some(file);
    }
    if !could_be_emulated(path) {
        return None;
    }
    let c = std::ffi::CString::new(path).ok()?;
    // SAFETY: a NUL-terminated path; the descriptor is closed below.
    let fd = unsafe { libc::openat(dirfd, c.as_ptr(), libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    let file = identify(fd);
    // SAFETY: the descriptor opened above.
    unsafe { libc::close(fd) };
    file
}

/// Whether descriptor `fd` is open on a `fd/` or `fdinfo/` directory of this process, whose
/// listing must leave out the VM's descriptors.
pub fn lists_descriptors(fd: i32) -> bool {
    let Ok(dir) = std::fs::read_link(format!("/proc/self/fd/{fd}")) else {
        return false;
    };
    let dir = std::os::unix::ffi::OsStrExt::as_bytes(dir.as_os_str()).to_vec();
    match components(&dir).as_deref() {
        Some([b"proc", rest @ ..]) => matches!(own_entry(rest), Some([b"fd" | b"fdinfo"])),
        _ => false,
    }
}

/// A listing of `struct linux_dirent64` records (`getdents64`'s output) without the entries
/// named by a VM descriptor's number. A record that does not fit ends the listing.
pub fn without_vm_fds(records: &[u8]) -> Vec<u8> {
    // d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name (NUL-terminated).
    const NAME: usize = 19;
    let mut out = Vec::with_capacity(records.len());
    let mut at = 0;
    while at + NAME <= records.len() {
        let len = usize::from(u16::from_ne_bytes([records[at + 16], records[at + 17]]));
        let Some(rec) = records.get(at..at + len).filter(|_| len > NAME) else {
            break;
        };
        let name = &rec[NAME..];
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        if !(is_number(name) && is_vm_fd(name)) {
            out.extend_from_slice(rec);
        }
        at += len;
    }
    out
}

/// `openat` of emulated file `file`: `Some` with the new descriptor (or the error), None to let
/// the host open the path (`exe`: the path lookups give the guest's program for it).
/// `host_flags` are the open flags in host values.
pub fn open(s: &Syscalls, ctx: &dyn SyscallContext, file: ProcFile, host_flags: i32) -> Option<SysResult> {
    let guest_smaps = || host_text("smaps").map(|t| smaps(&t, ctx.guest_limit()));
    let content = match file {
        ProcFile::Exe => return None,
        ProcFile::Hidden => return Some(Err(Errno(libc::ENOENT))),
        // These files are read-only for everyone (mode 0444 / 0400).
        _ if host_flags & libc::O_ACCMODE != libc::O_RDONLY || host_flags & libc::O_CREAT != 0 => {
            return Some(Err(Errno(libc::EACCES)))
        }
        ProcFile::Refused => return Some(Err(Errno(libc::EACCES))),
        ProcFile::Maps => ctx.proc_maps().into_bytes(),
        ProcFile::Auxv => s.auxv.clone(),
        ProcFile::Cpuinfo => cpuinfo(&s.auxv, online_cpus()).into_bytes(),
        ProcFile::Cmdline | ProcFile::Environ if s.areas_published => return None,
        ProcFile::Cmdline => guest_bytes(ctx, s.areas.arg),
        ProcFile::Environ => guest_bytes(ctx, s.areas.env),
        ProcFile::Stat => host_text("stat").map_or_else(Vec::new, |t| stat(&t, &s.areas, ctx.exe_path()).into_bytes()),
        ProcFile::Smaps => guest_smaps().unwrap_or_default().into_bytes(),
        ProcFile::SmapsRollup => match (guest_smaps(), host_text("smaps_rollup")) {
            (Some(all), Some(rollup)) => smaps_rollup(&all, &rollup).into_bytes(),
            _ => Vec::new(),
        },
        ProcFile::Status => match (host_text("status"), guest_smaps()) {
            (Some(host), Some(all)) => {
                let sizes = Sizes::of(&ctx.proc_maps(), &all, ctx.exe_path());
                status(&host, &sizes, &signal_state(s)).into_bytes()
            }
            _ => Vec::new(),
        },
        ProcFile::Statm => guest_smaps().map_or_else(Vec::new, |all| {
            statm(&Sizes::of(&ctx.proc_maps(), &all, ctx.exe_path())).into_bytes()
        }),
    };
    Some(memfd_with(&content, host_flags & libc::O_CLOEXEC != 0))
}

/// The guest's memory sizes in kB, from its `smaps` entries, as `status` and `statm` count them
/// (fs/proc/task_mmu.c `task_mem`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Every mapping (VmSize; also VmPeak: the VM does not track the peak).
    pub total: u64,
    /// Resident (VmRSS; also VmHWM).
    pub rss: u64,
    /// Resident anonymous memory (RssAnon).
    pub anon: u64,
    /// Private writable mappings but the stack (VmData).
    pub data: u64,
    /// The stack (VmStk).
    pub stack: u64,
    /// Executable mappings of the program (VmExe).
    pub exe: u64,
    /// Other executable file mappings (VmLib).
    pub lib: u64,
    /// Swapped out (VmSwap).
    pub swap: u64,
}

impl Sizes {
    /// The sizes of the guest's mappings as `maps` (the guest's, with its names) lists them,
    /// and the resident and swapped amounts of `smaps` (the host's entries of the guest region,
    /// which has no names for them); `exe` is the program.
    pub fn of(maps: &str, smaps: &str, exe: &std::path::Path) -> Sizes {
        let exe = exe.to_string_lossy();
        let mut z = Sizes::default();
        for line in maps.lines() {
            let Some((start, end)) = header_range(line) else {
                continue;
            };
            let f: Vec<&str> = line.split_whitespace().collect();
            let perms = f.get(1).copied().unwrap_or("");
            let path = f.get(5..).map(|p| p.join(" ")).unwrap_or_default();
            let kb = (end - start) / 1024;
            z.total += kb;
            match () {
                _ if path == "[stack]" => z.stack += kb,
                _ if perms.contains('x') && path == *exe => z.exe += kb,
                _ if perms.contains('x') && path.starts_with('/') => z.lib += kb,
                _ if perms.contains('w') && perms.ends_with('p') => z.data += kb,
                _ => {}
            }
        }
        for line in smaps.lines() {
            let Some((key, rest)) = line.split_once(':') else {
                continue;
            };
            let Some(kb) = rest
                .trim()
                .strip_suffix("kB")
                .and_then(|v| v.trim().parse::<u64>().ok())
            else {
                continue;
            };
            match key {
                "Rss" => z.rss += kb,
                "Anonymous" => z.anon += kb,
                "Swap" => z.swap += kb,
                _ => {}
            }
        }
        z
    }
}

/// The guest's signal state as `status` shows it: blocked, ignored and caught signals (bit
/// `n-1` for signal `n`).
fn signal_state(s: &Syscalls) -> (u64, u64, u64) {
    let acts = s.dispositions();
    let (mut ign, mut cgt) = (0u64, 0u64);
    for (i, a) in acts.iter().enumerate() {
        match a.handler {
            0 => {}
            1 => ign |= 1 << i,
            _ => cgt |= 1 << i,
        }
    }
    (s.sigmask, ign, cgt)
}

/// `/proc/self/status` from the host's `host`: the guest's sizes for the `Vm*`/`Rss*` lines and
/// its signal state `(blocked, ignored, caught)` for `SigBlk`, `SigIgn`, `SigCgt`; the rest (its
/// name included: the VM gives its threads the guest's) is the host's.
pub fn status(host: &str, z: &Sizes, (blk, ign, cgt): &(u64, u64, u64)) -> String {
    let mut out = String::with_capacity(host.len());
    for line in host.lines() {
        let key = line.split_once(':').map_or("", |(k, _)| k);
        let kb = |v: u64| format!("{key}:\t{v:>8} kB");
        let text = match key {
            "VmPeak" | "VmSize" => kb(z.total),
            "VmHWM" | "VmRSS" => kb(z.rss),
            "RssAnon" => kb(z.anon),
            "RssFile" => kb(z.rss.saturating_sub(z.anon)),
            "RssShmem" | "VmLck" | "VmPin" => kb(0),
            "VmData" => kb(z.data),
            "VmStk" => kb(z.stack),
            "VmExe" => kb(z.exe),
            "VmLib" => kb(z.lib),
            "VmSwap" => kb(z.swap),
            "SigBlk" => format!("SigBlk:\t{blk:016x}"),
            "SigIgn" => format!("SigIgn:\t{ign:016x}"),
            "SigCgt" => format!("SigCgt:\t{cgt:016x}"),
            _ => line.to_string(),
        };
        out.push_str(&text);
        out.push('\n');
    }
    out
}

/// `/proc/self/statm`: size, resident, shared, text, lib (always 0), data and dt (always 0), in
/// pages.
pub fn statm(z: &Sizes) -> String {
    let pages = |kb: u64| kb / 4;
    format!(
        "{} {} {} {} 0 {} 0\n",
        pages(z.total),
        pages(z.rss),
        pages(z.rss.saturating_sub(z.anon)),
        pages(z.exe),
        pages(z.data + z.stack)
    )
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
        assert_eq!(which(b"/proc/self/status"), Some(ProcFile::Status));
        assert_eq!(which(b"/proc/self/statm"), Some(ProcFile::Statm));
        assert_eq!(which(b"/proc/self/syscall"), Some(ProcFile::Refused));
        assert_eq!(which(b"/proc/self/io"), None);
        assert_eq!(which(b"/proc/self/../self/exe"), Some(ProcFile::Exe));
        assert_eq!(
            which(format!("/proc/{pid}/task/{pid}/exe").as_bytes()),
            Some(ProcFile::Exe)
        );
        assert_eq!(which(b"/proc/self/fd/0"), None);
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
    fn an_empty_path_names_its_descriptor_only_on_procfs() {
        let open = |p: &std::ffi::CStr| {
            // SAFETY: a NUL-terminated path; closed by the caller.
            let fd = unsafe { libc::open(p.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
            assert!(fd >= 0, "{p:?}");
            fd
        };
        // A file elsewhere (glibc's fstat: newfstatat(fd, "", AT_EMPTY_PATH)) is no emulated file.
        let file = open(c"/dev/null");
        assert_eq!(lookup(file, b""), None);
        // A procfs directory with "" still goes through the lookup: its emulated entries with a
        // relative path do, as before.
        let dir = open(c"/proc/self");
        assert!(on_procfs(dir) && !on_procfs(file));
        assert_eq!(lookup(dir, b"maps"), Some(ProcFile::Maps));
        assert_eq!(lookup(dir, b""), which(&resolve_at(dir, b"")));
        // SAFETY: the descriptors opened above.
        unsafe { libc::close(file) };
        unsafe { libc::close(dir) };
    }

    #[test]
    fn vm_descriptors_are_hidden() {
        // SAFETY: a literal path; the descriptor goes to the reserved list.
        let vm = crate::fd::reserve(unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) });
        let n = vm.fd();
        assert_eq!(which(format!("/proc/self/fd/{n}").as_bytes()), Some(ProcFile::Hidden));
        assert_eq!(
            which(format!("/proc/thread-self/fdinfo/{n}").as_bytes()),
            Some(ProcFile::Hidden)
        );
        // Records of "0", the VM's number and "x", 24 bytes each.
        let rec = |name: &str| {
            let mut r = vec![0u8; 24];
            r[16..18].copy_from_slice(&24u16.to_ne_bytes());
            r[19..19 + name.len()].copy_from_slice(name.as_bytes());
            r
        };
        let all = [rec("0"), rec(&n.to_string()), rec("x")].concat();
        assert_eq!(without_vm_fds(&all), [rec("0"), rec("x")].concat());
        // A record running past the end ends the listing.
        assert_eq!(without_vm_fds(&all[..60]), rec("0"));
        // SAFETY: a literal path.
        let dir = unsafe { libc::open(c"/proc/self/fd".as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
        assert!(lists_descriptors(dir));
        // SAFETY: closing the descriptor opened above.
        unsafe { libc::close(dir) };
        // SAFETY: a literal path.
        let other = unsafe { libc::open(c"/proc/self/task".as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
        assert!(!lists_descriptors(other));
        // SAFETY: closing the descriptor opened above.
        unsafe { libc::close(other) };
    }

    #[test]
    fn status_and_statm_show_the_guest() {
        let maps = "00400000-00480000 r-xp 00000000 08:01 7 /guest/prog
00490000-004a0000 rw-p 00000000 00:00 0 
7ff000000-7ff800000 rw-p 00000000 00:00 0 [stack]
10000000-10010000 r-xp 00000000 08:01 9 /lib/libc.so
";
        let smaps = "00400000-00480000 r-xp 00000000 08:01 7
Rss:                  100 kB
Anonymous:             0 kB
00490000-004a0000 rw-p 00000000 00:00 0
Rss:                   20 kB
Anonymous:            20 kB
Swap:                  4 kB
";
        let z = Sizes::of(maps, smaps, std::path::Path::new("/guest/prog"));
        assert_eq!(
            z,
            Sizes {
                total: 512 + 64 + 8192 + 64,
                rss: 120,
                anon: 20,
                data: 64,
                stack: 8192,
                exe: 512,
                lib: 64,
                swap: 4,
            }
        );
        let host = "Name:\tprog\nVmPeak:\t 2637308 kB\nVmRSS:\t    6532 kB\nRssFile:\t 1 kB\nThreads:\t1\n\
                    SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000440\n";
        let text = status(host, &z, &(1 << 9, 1 << 12, 1 << 1));
        assert_eq!(
            text,
            "Name:\tprog\nVmPeak:\t    8832 kB\nVmRSS:\t     120 kB\nRssFile:\t     100 kB\nThreads:\t1\n\
             SigBlk:\t0000000000000200\nSigIgn:\t0000000000001000\nSigCgt:\t0000000000000002\n"
        );
        assert_eq!(statm(&z), "2208 30 25 128 0 2064 0\n");
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
