//! `execve` (fs/exec.c `do_execveat_common`, with the format handlers fs/binfmt_elf.c and
//! fs/binfmt_script.c): the guest may exec an AArch64 program, a host program or a `#!` script.
//!
//! An AArch64 ELF file cannot be given to the host kernel: the VM re-executes itself
//! (`/proc/self/exe` of the host process is the a64x binary) with the options it was started
//! with, `-0` and the guest's argv[0], and the program's host path. A host ELF file (or anything
//! else) goes to the host kernel unchanged. A `#!` script is parsed here as binfmt_script does,
//! because its interpreter may itself be an AArch64 program (a sysroot's `/bin/sh`); the argument
//! list is rebuilt the kernel's way and the interpreter resolved again. Paths go through the same
//! lookup as `openat`: `/proc/self/exe` is the guest's executable, absolute paths are looked up in
//! the sysroot first. envp passes through.

use std::ffi::{CString, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;

use crate::uaccess::{read_cstr, read_struct, PATH_MAX};
use crate::{Args, Errno, ExecRequest, SyscallContext, SyscallOutcome, Syscalls};

/// Longest single argument or environment string (`MAX_ARG_STRLEN`: 32 pages).
const MAX_ARG_STRLEN: usize = 32 * 4096;

/// Bound on the total size of argv and envp, beyond which execve fails with E2BIG. The kernel's
/// is a quarter of the stack rlimit (2 MiB by default); this one is lenient, it only bounds copying.
const MAX_ARG_TOTAL: usize = 8 << 20;

/// How many nested `#!` interpreters the kernel follows (`BINPRM_MAX_RECURSION`) before ELOOP.
const MAX_SCRIPT_DEPTH: usize = 4;

/// How much of the file the kernel looks at to pick a format (`BINPRM_BUF_SIZE`).
const HEADER_SIZE: usize = 256;

/// `e_machine` of AArch64 (EM_AARCH64).
const EM_AARCH64: u16 = 183;

/// What a file to be executed is, from its first bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Format {
    /// A 64-bit little-endian AArch64 ELF file: run by a64x.
    Aarch64Elf,
    /// A `#!` script: interpreter and optional single argument, as binfmt_script splits them.
    Script(Vec<u8>, Option<Vec<u8>>),
    /// Anything else (a host ELF file, or something the host kernel refuses): the host's business.
    Host,
}

/// Classify a file by its first [`HEADER_SIZE`] bytes. A `#!` line the kernel cannot use
/// (no interpreter, or a name cut off by the end of the buffer) is ENOEXEC.
pub fn classify(header: &[u8]) -> Result<Format, Errno> {
    if header.len() >= 20 && header.starts_with(b"\x7fELF") {
        let machine = u16::from_le_bytes([header[18], header[19]]);
        // ELFCLASS64, ELFDATA2LSB
        if header[4] == 2 && header[5] == 1 && machine == EM_AARCH64 {
            return Ok(Format::Aarch64Elf);
        }
        return Ok(Format::Host);
    }
    let Some(rest) = header.strip_prefix(b"#!") else {
        return Ok(Format::Host);
    };
    let (line, complete) = match rest.iter().position(|&b| b == b'\n') {
        Some(n) => (&rest[..n], true),
        None => (rest, false),
    };
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let line = &line[line.iter().position(|b| !blank(b)).unwrap_or(line.len())..];
    let name_len = line.iter().position(blank).unwrap_or(line.len());
    // An empty name, or one that runs to the end of a full buffer without a newline (truncated).
    if name_len == 0 || !complete && name_len == line.len() && header.len() >= HEADER_SIZE {
        return Err(Errno(libc::ENOEXEC));
    }
    let (name, arg) = line.split_at(name_len);
    let start = arg.iter().position(|b| !blank(b)).unwrap_or(arg.len());
    let end = arg.iter().rposition(|b| !blank(b)).map_or(start, |e| e + 1);
    let arg = (start < end).then(|| arg[start..end].to_vec());
    Ok(Format::Script(name.to_vec(), arg))
}

/// What `execve` ends up executing on the host.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    /// Host execve of `file` with `argv`.
    Host { file: CString, argv: Vec<Vec<u8>> },
    /// Re-execute a64x on the AArch64 program at host path `program`.
    Guest { program: CString, argv: Vec<Vec<u8>> },
}

/// `execve(path, argv, envp)`. Returns only on failure, or [`SyscallOutcome::ExecInPlace`].
pub fn execve(s: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SyscallOutcome {
    outcome(read_cstr(ctx, a[0], PATH_MAX).and_then(|path| exec_path(s, ctx, path, a[1], a[2])))
}

/// An exec's end as the run loop takes it: an error to return, or the program replaced.
fn outcome(r: Result<SyscallOutcome, Errno>) -> SyscallOutcome {
    r.unwrap_or_else(|e| Err(e).into())
}

/// `execveat(dirfd, path, argv, envp, flags)`: `path` relative to `dirfd`, or with AT_EMPTY_PATH
/// and an empty path the file `dirfd` itself (`fexecve`). The file is named by a host path
/// that outlives the exec (see [`fd_file`]), since a64x re-executes itself on it.
pub fn execveat(s: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> SyscallOutcome {
    outcome(execveat_path(s, ctx, a))
}

fn execveat_path(s: &mut Syscalls, ctx: &mut dyn SyscallContext, a: Args) -> Result<SyscallOutcome, Errno> {
    let (dirfd, flags) = (a[0] as i32, a[4]);
    // The kernel reads the path first (an empty one without AT_EMPTY_PATH is ENOENT), then
    // checks the flags in do_open_execat.
    let path = read_cstr(ctx, a[1], PATH_MAX)?;
    if path.is_empty() && flags & libc::AT_EMPTY_PATH as u64 == 0 {
        return Err(Errno(libc::ENOENT));
    }
    if flags & !((libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW) as u64) != 0 {
        return Err(Errno(libc::EINVAL));
    }
    let path = if path.is_empty() {
        fd_file(dirfd)?
    } else if path[0] == b'/' || dirfd == libc::AT_FDCWD {
        path
    } else {
        let mut dir = fd_file(dirfd)?;
        dir.push(b'/');
        dir.extend_from_slice(&path);
        dir
    };
    if flags & libc::AT_SYMLINK_NOFOLLOW as u64 != 0 {
        let host = CString::new(path.clone()).map_err(|_| Errno(libc::ENOENT))?;
        // SAFETY: all-zero is a valid `struct stat`; lstat writes only into it.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: a NUL-terminated path and a stat buffer we own.
        if unsafe { libc::lstat(host.as_ptr(), &mut st) } == 0 && st.st_mode & libc::S_IFMT == libc::S_IFLNK {
            return Err(Errno(libc::ELOOP));
        }
    }
    exec_path(s, ctx, path, a[2], a[3])
}

/// A host path naming the file open as guest descriptor `fd` that stays valid across the exec of
/// a64x: the file's own path when it still names the same file (fexecve of an installed program),
/// else `/proc/self/fd/M` of a copy of the descriptor that survives exec (a memfd or deleted
/// file; the new program inherits that copy). VM descriptors are closed to the guest (EBADF).
fn fd_file(fd: i32) -> Result<Vec<u8>, Errno> {
    if fd < 0 || crate::fd::is_reserved(fd as u64) {
        return Err(Errno(libc::EBADF));
    }
    // SAFETY: all-zero is a valid `struct stat`; fstat writes only into it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(Errno::last());
    }
    if let Ok(target) = std::fs::read_link(format!("/proc/self/fd/{fd}")) {
        let bytes = target.as_os_str().as_bytes().to_vec();
        let same = std::fs::metadata(&target).is_ok_and(|m| m.dev() == st.st_dev && m.ino() == st.st_ino);
        if bytes.first() == Some(&b'/') && same {
            return Ok(bytes);
        }
    }
    // SAFETY: F_DUPFD takes no pointer; the copy has no close-on-exec flag.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD, 0) };
    if copy < 0 {
        return Err(Errno::last());
    }
    Ok(format!("/proc/self/fd/{copy}").into_bytes())
}

/// The descriptor a guest path `/proc/self/fd/N`, `/proc/thread-self/fd/N`, `/proc/<pid>/fd/N`
/// or `/dev/fd/N` names, if it is one.
fn proc_fd(path: &[u8]) -> Option<i32> {
    let path = std::str::from_utf8(path).ok()?;
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    let own = format!("/proc/{pid}/fd/");
    let n = ["/proc/self/fd/", "/proc/thread-self/fd/", "/dev/fd/", own.as_str()]
        .iter()
        .find_map(|prefix| path.strip_prefix(prefix))?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// The rest of `execve` and `execveat` once the path is known.
fn exec_path(
    s: &mut Syscalls,
    ctx: &mut dyn SyscallContext,
    path: Vec<u8>,
    argv_at: u64,
    envp_at: u64,
) -> Result<SyscallOutcome, Errno> {
    let mut total = 0;
    let argv = read_strings(ctx, argv_at, &mut total)?;
    let mut envp = read_strings(ctx, envp_at, &mut total)?;
    // The kernel names the process after the path it was given (`kbasename(bprm->filename)`):
    // a script's, not its interpreter's.
    let comm = path.rsplit(|&b| b == b'/').next().unwrap_or_default().to_vec();
    let plan = plan(s, ctx, path, argv, 0)?;
    let (file, argv) = match plan {
        Plan::Host { .. } if s.no_host_exec => return Err(Errno(libc::ENOEXEC)),
        Plan::Host { file, .. } if is_a64x(&file) => {
            // a64x itself, under whatever name: it would run natively with the guest's arguments
            // (and could be told to run anything). Not a program of the guest's world.
            return Err(Errno(libc::EACCES));
        }
        Plan::Host { file, argv } => (file, argv),
        Plan::Guest { program, argv } => {
            // What the kernel checks before its point of no return, checked here: the exec of a
            // program that would not load fails, rather than the process in the new program.
            let file = std::path::Path::new(std::ffi::OsStr::from_bytes(program.as_bytes()));
            ctx.check_program(file, s.sysroot.as_deref())?;
            // The new a64x runs with an empty environment and takes the guest's as arguments
            // (`--genv`, in order): nothing the guest sets configures it (A64X_NO_CONFINE, its
            // cache directory through HOME) or the host's dynamic loader that starts it
            // (LD_PRELOAD, LD_LIBRARY_PATH, GLIBC_TUNABLES would run host code of the guest's).
            let mut host: Vec<Vec<u8>> = vec![b"a64x".to_vec(), b"--exec-by-guest".to_vec()];
            host.extend(s.exec_options.iter().map(|o| o.clone().into_vec()));
            host.push([b"--comm=".as_slice(), &comm].concat());
            let options = host.len();
            // Attached with `=`: an argv[0] starting with '-' (a login shell's "-bash") is the
            // option's value, not another option.
            host.push([b"-0=".as_slice(), argv.first().map_or(&[][..], |a| a)].concat());
            host.push(b"--".to_vec());
            host.push(program.clone().into_bytes());
            host.extend(argv.iter().skip(1).cloned());
            if in_place(s, ctx) {
                // The same command line, parsed by this process's a64x instead of a new one's
                // (the environment given as is, not as arguments to parse one by one).
                let os = |v: Vec<u8>| OsString::from_vec(v);
                s.exec_request = Some(ExecRequest {
                    args: host.into_iter().map(os).collect(),
                    envp: envp.into_iter().map(os).collect(),
                });
                return Ok(SyscallOutcome::ExecInPlace);
            }
            let genv = envp.iter().map(|e| [b"--genv=".as_slice(), e].concat());
            host.splice(options..options, genv);
            match self_exe() {
                Some(fd) => {
                    ctx.before_exec();
                    return Err(exec_fd(fd, host, Vec::new()));
                }
                // No handle on a64x (started where /proc is missing): exec the guest program
                // itself, which binfmt_misc (the way a64x got here) routes back to a64x. That
                // a64x starts with the environment: what configures it or the host's loader is
                // left out.
                None => {
                    envp.retain(|e| !configures_the_vm(e));
                    (program, argv)
                }
            }
        }
    };
    ctx.before_exec();
    Err(host_execve(&file, argv, envp))
}

/// Whether this exec of an AArch64 program can be carried out in this host process: allowed
/// by the VM's options, the caller the only guest thread (the kernel's exec ends the others),
/// no POSIX timers the host keeps for the guest (the kernel's exec deletes them), and the
/// close-on-exec descriptors can be found. Decided before the exec commits.
fn in_place(s: &Syscalls, ctx: &dyn SyscallContext) -> bool {
    s.exec_in_place && ctx.may_exec_in_place() && !crate::process::timers_made() && crate::cloexec::can_close_on_exec()
}

/// Whether `NAME=VALUE` sets a variable that configures a64x (`A64X_*`, qemu-user's `QEMU_*`)
/// or the host's dynamic loader and C library that start it (`LD_*`, `GLIBC_TUNABLES`).
fn configures_the_vm(e: &[u8]) -> bool {
    [b"A64X_".as_slice(), b"QEMU_", b"LD_", b"GLIBC_TUNABLES="]
        .iter()
        .any(|p| e.starts_with(p))
}

static SELF_EXE: std::sync::OnceLock<Option<crate::fd::Reserved>> = std::sync::OnceLock::new();

/// Open a handle on a64x's own executable at startup, while /proc is reachable: a guest may
/// chroot (debootstrap's second stage does) into a root without /proc, or a64x may have been
/// started there by binfmt_misc's F flag.
pub fn remember_self() {
    SELF_EXE.get_or_init(|| {
        // SAFETY: a NUL-terminated path; the descriptor returned is kept for the process's life.
        let fd = unsafe { libc::open(c"/proc/self/exe".as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
        (fd >= 0).then(|| crate::fd::reserve(fd))
    });
}

/// Whether host file `file` is the a64x binary itself (the same file as the handle taken at
/// start, compared by device and inode, so hard links, symlinks and copies by path all match).
fn is_a64x(file: &CString) -> bool {
    let Some(fd) = self_exe() else { return false };
    // SAFETY: all-zero is a valid `struct stat`; the calls write only into them.
    let (mut a, mut b): (libc::stat, libc::stat) = unsafe { (std::mem::zeroed(), std::mem::zeroed()) };
    // SAFETY: a valid descriptor and path, and stat buffers we own.
    let both = unsafe { libc::fstat(fd, &mut a) == 0 && libc::stat(file.as_ptr(), &mut b) == 0 };
    both && a.st_dev == b.st_dev && a.st_ino == b.st_ino
}

fn self_exe() -> Option<std::os::fd::RawFd> {
    SELF_EXE.get().copied().flatten().map(|r| r.fd())
}

/// execveat(fd, "", argv, envp, AT_EMPTY_PATH): runs a64x again without naming a path.
/// Returns only its error.
fn exec_fd(fd: std::os::fd::RawFd, argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> Errno {
    let to_c = |v: Vec<Vec<u8>>| -> Vec<CString> { v.into_iter().filter_map(|s| CString::new(s).ok()).collect() };
    let (argv, envp) = (to_c(argv), to_c(envp));
    let ptrs = |v: &[CString]| -> Vec<*const libc::c_char> {
        v.iter()
            .map(|s| s.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect()
    };
    let (argv_p, envp_p) = (ptrs(&argv), ptrs(&envp));
    // SAFETY: NUL-terminated strings and NULL-terminated pointer arrays that outlive the call.
    unsafe {
        libc::syscall(
            libc::SYS_execveat,
            fd,
            c"".as_ptr(),
            argv_p.as_ptr(),
            envp_p.as_ptr(),
            libc::AT_EMPTY_PATH,
        )
    };
    Errno::last()
}

/// Read a NULL-terminated array of guest string pointers (a NULL array is empty, as Linux takes it).
fn read_strings(ctx: &dyn SyscallContext, mut addr: u64, total: &mut usize) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    loop {
        let p: u64 = read_struct(ctx, addr)?;
        if p == 0 {
            return Ok(out);
        }
        let s = read_cstr(ctx, p, MAX_ARG_STRLEN).map_err(|e| {
            if e.0 == libc::ENAMETOOLONG {
                Errno(libc::E2BIG)
            } else {
                e
            }
        })?;
        *total += s.len() + 1 + 8;
        if *total > MAX_ARG_TOTAL {
            return Err(Errno(libc::E2BIG));
        }
        out.push(s);
        addr = addr.checked_add(8).ok_or(Errno(libc::EFAULT))?;
    }
}

/// Decide what to execute for guest path `path` with `argv`, following `#!` interpreters.
fn plan(
    s: &Syscalls,
    ctx: &dyn SyscallContext,
    path: Vec<u8>,
    argv: Vec<Vec<u8>>,
    depth: usize,
) -> Result<Plan, Errno> {
    if depth > MAX_SCRIPT_DEPTH {
        return Err(Errno(libc::ELOOP));
    }
    if path.is_empty() {
        return Err(Errno(libc::ENOENT));
    }
    let (host, redirected) = host_file(s, ctx, &path)?;
    // What do_open_execat checks: the lookup, exec permission, a regular file.
    // SAFETY: `host` is a NUL-terminated string we own.
    if unsafe { libc::access(host.as_ptr(), libc::X_OK) } != 0 {
        return Err(Errno::last());
    }
    // SAFETY: all-zero is a valid `struct stat`; stat writes only into it.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::stat(host.as_ptr(), &mut st) } != 0 {
        return Err(Errno::last());
    }
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Errno(libc::EACCES));
    }
    let Some(header) = read_header(&host) else {
        // Executable but unreadable: a64x could not load it either; let the host kernel try.
        return Ok(Plan::Host { file: host, argv });
    };
    match classify(&header)? {
        Format::Aarch64Elf => Ok(Plan::Guest { program: host, argv }),
        Format::Host => Ok(Plan::Host { file: host, argv }),
        Format::Script(interp, arg) => {
            // binfmt_script: argv[0] is replaced by the interpreter as written, then its
            // argument, then the script's path (the host's when the guest's was redirected).
            let mut new = vec![interp.clone()];
            new.extend(arg);
            new.push(if redirected { host.into_bytes() } else { path });
            new.extend(argv.into_iter().skip(1));
            plan(s, ctx, interp, new, depth + 1)
        }
    }
}

/// The host file for guest path `path`, and whether it differs from the guest's path.
fn host_file(s: &Syscalls, ctx: &dyn SyscallContext, path: &[u8]) -> Result<(CString, bool), Errno> {
    if crate::fs::is_self_exe(path) {
        let exe = CString::new(ctx.exe_path().as_os_str().as_bytes()).map_err(|_| Errno(libc::ENOENT))?;
        return Ok((exe, true));
    }
    if let Some(fd) = proc_fd(path) {
        // The descriptor's file under a name the re-executed a64x can still open (a
        // close-on-exec descriptor is gone by then), never one of the VM's own.
        let file = fd_file(fd).map_err(|e| if e.0 == libc::EBADF { Errno(libc::ENOENT) } else { e })?;
        return Ok((CString::new(file).map_err(|_| Errno(libc::ENOENT))?, true));
    }
    if let Some(host) = s
        .sysroot
        .as_deref()
        .and_then(|root| crate::path::in_sysroot(root, path))
    {
        return Ok((host, true));
    }
    Ok((CString::new(path).map_err(|_| Errno(libc::ENOENT))?, false))
}

/// The first [`HEADER_SIZE`] bytes of `file` (fewer for a short file); None if it cannot be read.
fn read_header(file: &CString) -> Option<Vec<u8>> {
    use std::io::Read;
    let path = std::path::PathBuf::from(OsString::from_vec(file.as_bytes().to_vec()));
    let mut f = std::fs::File::open(path).ok()?;
    let mut buf = Vec::with_capacity(HEADER_SIZE);
    f.by_ref().take(HEADER_SIZE as u64).read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// The host execve; returns only its error.
fn host_execve(file: &CString, argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> Errno {
    // The strings came from NUL-terminated guest strings (or our own), so they hold no NUL.
    let to_c = |v: Vec<Vec<u8>>| -> Vec<CString> { v.into_iter().filter_map(|s| CString::new(s).ok()).collect() };
    let (argv, envp) = (to_c(argv), to_c(envp));
    let ptrs = |v: &[CString]| -> Vec<*const libc::c_char> {
        v.iter()
            .map(|s| s.as_ptr())
            .chain(std::iter::once(std::ptr::null()))
            .collect()
    };
    let (argv_p, envp_p) = (ptrs(&argv), ptrs(&envp));
    // SAFETY: NUL-terminated strings and NULL-terminated pointer arrays that outlive the call.
    unsafe { libc::execve(file.as_ptr(), argv_p.as_ptr(), envp_p.as_ptr()) };
    Errno::last()
}

#[cfg(test)]
mod tests {
    use super::{classify, Format};

    fn script(i: &str, a: Option<&str>) -> Format {
        Format::Script(i.as_bytes().to_vec(), a.map(|a| a.as_bytes().to_vec()))
    }

    #[test]
    fn shebang_lines_split_as_binfmt_script_does() {
        assert_eq!(classify(b"#!/bin/sh\necho"), Ok(script("/bin/sh", None)));
        assert_eq!(
            classify(b"#! \t/bin/sh  -e -x \t\nx"),
            Ok(script("/bin/sh", Some("-e -x")))
        );
        assert_eq!(
            classify(b"#!/usr/bin/env python3"),
            Ok(script("/usr/bin/env", Some("python3")))
        );
        assert_eq!(
            classify(b"#!/bin/sh"),
            Ok(script("/bin/sh", None)),
            "short file, no newline"
        );
        assert!(classify(b"#!\n").is_err());
        assert!(classify(b"#!   \t\n").is_err());
        let long = [b"#!/".as_slice(), &[b'a'; 300]].concat();
        assert!(classify(&long[..256]).is_err(), "truncated interpreter name");
    }

    #[test]
    fn elf_files_are_told_apart_by_machine() {
        let mut h = [0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[4] = 2;
        h[5] = 1;
        h[18] = 183;
        assert_eq!(classify(&h), Ok(Format::Aarch64Elf));
        h[18] = 62; // EM_X86_64
        assert_eq!(classify(&h), Ok(Format::Host));
        assert_eq!(classify(b"plain text"), Ok(Format::Host));
        assert_eq!(classify(b""), Ok(Format::Host));
    }
}
