//! `--strace`: prints guest syscalls the way strace(1) does, driven by the argument kinds of the
//! table (`openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3`). Flag names are the AArch64 ones.

use std::fmt::Write;

use crate::oflags::{O_CREAT, O_FLAGS, O_TMPFILE_BIT};
use crate::table::{lookup, ArgKind};
use crate::uaccess::{read_bytes, read_cstr, PATH_MAX};
use crate::{GuestMemory, SyscallOutcome};

/// How many bytes of a data buffer to show, as strace's default `-s 32`.
const BUF_SHOWN: usize = 32;

/// `name(args...)` without access to guest memory: strings are shown as addresses.
pub fn format_call(nr: u64, args: [u64; 6]) -> String {
    format_call_in(None, nr, &args)
}

/// `name(args...)`, reading strings and buffers from guest memory when `mem` is given.
pub fn format_call_in(mem: Option<&dyn GuestMemory>, nr: u64, args: &[u64; 6]) -> String {
    let Some(def) = lookup(nr) else {
        return format!(
            "syscall_{nr}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x})",
            args[0], args[1], args[2], args[3], args[4], args[5]
        );
    };
    let mut out = format!("{}(", def.name);
    let mut kinds = def.args;
    // Like strace, show openat's mode only when the flags make the kernel read it.
    if def.name == "openat" && args[2] & u64::from(O_CREAT | O_TMPFILE_BIT) == 0 {
        kinds = &kinds[..3];
    }
    for (i, kind) in kinds.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let next = args.get(i + 1).copied().unwrap_or(0);
        format_arg(&mut out, mem, *kind, args[i], next);
    }
    out.push(')');
    out
}

/// The whole line: `call = result`.
pub fn format_result(call: &str, nr: u64, outcome: SyscallOutcome) -> String {
    match outcome {
        SyscallOutcome::Return(v) => {
            let s = v as i64;
            if (-4095..0).contains(&s) {
                let e = (-s) as i32;
                let msg = std::io::Error::from_raw_os_error(e).to_string();
                let msg = msg.split(" (os error").next().unwrap_or("");
                format!("{call} = -1 {} ({msg})", errno_name(e))
            } else if lookup(nr).is_some_and(|d| matches!(d.name, "brk" | "mremap" | "mmap")) {
                // These return addresses.
                format!("{call} = {v:#x}")
            } else {
                format!("{call} = {s}")
            }
        }
        SyscallOutcome::ExitGroup(_) | SyscallOutcome::ExitThread(_) | SyscallOutcome::Killed(_) => {
            format!("{call} = ?")
        }
        // What strace shows for an execve that succeeded.
        SyscallOutcome::ExecInPlace => format!("{call} = 0"),
    }
}

fn format_arg(out: &mut String, mem: Option<&dyn GuestMemory>, kind: ArgKind, v: u64, next: u64) {
    let _ = match kind {
        ArgKind::Int => write!(out, "{}", v as i64),
        ArgKind::UInt | ArgKind::Size => write!(out, "{v}"),
        ArgKind::Hex => write!(out, "{v:#x}"),
        ArgKind::Fd | ArgKind::FdSlot => write!(out, "{}", v as i32),
        ArgKind::DirFd if v as i32 == libc::AT_FDCWD => write!(out, "AT_FDCWD"),
        ArgKind::DirFd => write!(out, "{}", v as i32),
        ArgKind::Ptr | ArgKind::Span if v == 0 => write!(out, "NULL"),
        ArgKind::Ptr | ArgKind::Span => write!(out, "{v:#x}"),
        ArgKind::Path => match mem.map(|m| read_cstr(m, v, PATH_MAX)) {
            Some(Ok(s)) => write!(out, "\"{}\"", escape(&s)),
            _ if v == 0 => write!(out, "NULL"),
            _ => write!(out, "{v:#x}"),
        },
        ArgKind::Buf => {
            let shown = (next as usize).min(BUF_SHOWN);
            match mem.map(|m| read_bytes(m, v, shown)) {
                Some(Ok(b)) => {
                    let more = if (next as usize) > shown { "..." } else { "" };
                    write!(out, "\"{}\"{more}", escape(&b))
                }
                _ => write!(out, "{v:#x}"),
            }
        }
        ArgKind::Mode if v == 0 => write!(out, "0"),
        ArgKind::Mode => write!(out, "0{v:o}"),
        ArgKind::OpenFlags => write!(out, "{}", open_flags(v)),
        ArgKind::AtFlags => write!(out, "{}", flag_names(v, AT_FLAGS, "0")),
        ArgKind::Prot => write!(out, "{}", flag_names(v, PROT_FLAGS, "PROT_NONE")),
        ArgKind::MapFlags => write!(out, "{}", map_flags(v)),
        ArgKind::Signal => match signal_name(v) {
            Some(n) => write!(out, "{n}"),
            None => write!(out, "{v}"),
        },
    };
}

/// C-style escaping as strace prints strings.
fn escape(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        match b {
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s
}

fn flag_names(v: u64, names: &[(u64, &str)], zero: &str) -> String {
    if v == 0 {
        return zero.to_string();
    }
    let mut parts = Vec::new();
    let mut rest = v;
    for &(bit, name) in names {
        if rest & bit == bit {
            parts.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    parts.join("|")
}

fn open_flags(v: u64) -> String {
    let access = match v & 3 {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        2 => "O_RDWR",
        _ => "O_ACCMODE",
    };
    let names: Vec<(u64, &str)> = O_FLAGS.iter().map(|f| (f.guest as u64, f.name)).collect();
    let rest = flag_names(v & !3, &names, "");
    if rest.is_empty() {
        access.to_string()
    } else {
        format!("{access}|{rest}")
    }
}

const AT_FLAGS: &[(u64, &str)] = &[
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x200, "AT_REMOVEDIR"),
    (0x400, "AT_SYMLINK_FOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"),
];

const PROT_FLAGS: &[(u64, &str)] = &[
    (1, "PROT_READ"),
    (2, "PROT_WRITE"),
    (4, "PROT_EXEC"),
    (0x10, "PROT_BTI"),
    (0x20, "PROT_MTE"),
];

const MAP_FLAGS: &[(u64, &str)] = &[
    (0x10, "MAP_FIXED"),
    (0x20, "MAP_ANONYMOUS"),
    (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"),
    (0x1000, "MAP_EXECUTABLE"),
    (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"),
    (0x8000, "MAP_POPULATE"),
    (0x10000, "MAP_NONBLOCK"),
    (0x20000, "MAP_STACK"),
    (0x40000, "MAP_HUGETLB"),
    (0x80000, "MAP_SYNC"),
    (0x100000, "MAP_FIXED_NOREPLACE"),
];

fn map_flags(v: u64) -> String {
    let kind = match v & 0xf {
        1 => "MAP_SHARED".to_string(),
        2 => "MAP_PRIVATE".to_string(),
        3 => "MAP_SHARED_VALIDATE".to_string(),
        t => format!("{t:#x}"),
    };
    let rest = flag_names(v & !0xf, MAP_FLAGS, "");
    if rest.is_empty() {
        kind
    } else {
        format!("{kind}|{rest}")
    }
}

/// Signal names, numbers 1..=31 (same on both ABIs).
const SIGNALS: [&str; 31] = [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

fn signal_name(v: u64) -> Option<String> {
    match v {
        1..=31 => Some(SIGNALS[v as usize - 1].to_string()),
        32..=64 => Some(format!("SIGRT_{}", v - 32)),
        _ => None,
    }
}

/// errno names 1..=40 (asm-generic errno-base.h and errno.h, same on both ABIs).
const ERRNOS: [&str; 40] = [
    "EPERM",
    "ENOENT",
    "ESRCH",
    "EINTR",
    "EIO",
    "ENXIO",
    "E2BIG",
    "ENOEXEC",
    "EBADF",
    "ECHILD",
    "EAGAIN",
    "ENOMEM",
    "EACCES",
    "EFAULT",
    "ENOTBLK",
    "EBUSY",
    "EEXIST",
    "EXDEV",
    "ENODEV",
    "ENOTDIR",
    "EISDIR",
    "EINVAL",
    "ENFILE",
    "EMFILE",
    "ENOTTY",
    "ETXTBSY",
    "EFBIG",
    "ENOSPC",
    "ESPIPE",
    "EROFS",
    "EMLINK",
    "EPIPE",
    "EDOM",
    "ERANGE",
    "EDEADLK",
    "ENAMETOOLONG",
    "ENOLCK",
    "ENOSYS",
    "ENOTEMPTY",
    "ELOOP",
];

fn errno_name(e: i32) -> String {
    match e {
        1..=40 => ERRNOS[e as usize - 1].to_string(),
        61 => "ENODATA".into(),
        75 => "EOVERFLOW".into(),
        95 => "EOPNOTSUPP".into(),
        110 => "ETIMEDOUT".into(),
        111 => "ECONNREFUSED".into(),
        115 => "EINPROGRESS".into(),
        _ => format!("E{e}"),
    }
}
