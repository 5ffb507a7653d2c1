//! a64x: runs AArch64 Linux programs on x86-64 Linux. This is the process VM: command line,
//! loading, and the run loop; translation lives in a64x-translator, syscalls in a64x-syscalls.

use a64x::run::GuestExit;
use a64x::{binfmt, cli};

// libgcc's unwinder, linked in whole from its static archive: std's calls of `_Unwind_*`
// (panics, backtraces) bind to this copy, so the linker (`--as-needed`) leaves out
// libgcc_s.so.1. Loading that library ran its constructor, `__cpu_indicator_init`, whose
// dozens of CPUID instructions (each a VM exit on a virtualised host, 6.6 us on this
// project's machine) were a quarter of the CPU time of a64x running a program that exits at
// once: every guest `execve` pays it.
#[link(name = "gcc_eh", kind = "static", modifiers = "+whole-archive")]
unsafe extern "C" {}

/// The standard descriptors (bit N: descriptor N, N < 3) that were closed when a64x started.
/// Rust's runtime opens /dev/null on closed standard descriptors before `main`, for its own
/// sake; the guest must find them closed, as natively (python's posix_spawn test closes stdin for
/// a child that checks). Noted from `.init_array`, which runs before the runtime's start-up, and
/// closed again by [`reclose_standard_fds`] just before the guest starts.
static CLOSED_AT_START: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

extern "C" fn note_closed_standard_fds() {
    let mut closed = 0u8;
    for fd in 0..3 {
        // SAFETY: F_GETFD only reads the descriptor's flags.
        if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
            closed |= 1 << fd;
        }
    }
    CLOSED_AT_START.store(closed, std::sync::atomic::Ordering::Relaxed);
}

/// Large tables in huge pages (see `a64x::hugealloc`).
#[global_allocator]
static ALLOCATOR: a64x::hugealloc::VmAlloc = a64x::hugealloc::VmAlloc;

#[used]
#[link_section = ".init_array"]
static NOTE_CLOSED_STANDARD_FDS: extern "C" fn() = note_closed_standard_fds;

/// Closes the standard descriptors Rust's runtime opened on /dev/null (see [`CLOSED_AT_START`]).
fn reclose_standard_fds() {
    let closed = CLOSED_AT_START.load(std::sync::atomic::Ordering::Relaxed);
    for fd in 0..3 {
        if closed & (1 << fd) != 0 {
            // SAFETY: the descriptor is the runtime's /dev/null placeholder, which nothing uses:
            // a64x's own messages go to stderr, and Rust ignores EBADF on the standard streams.
            unsafe { libc::close(fd) };
        }
    }
}

fn main() {
    // Rust ignores SIGPIPE for its own sake; guests expect the default action.
    // SAFETY: resetting a disposition to default at startup, before any thread exists.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    // An empty A64X_* variable means "not set", as qemu treats QEMU_LD_PREFIX.
    for (k, v) in std::env::vars_os() {
        if v.is_empty() && k.to_str().is_some_and(|k| k.starts_with("A64X_")) {
            std::env::remove_var(k);
        }
    }
    let cli = cli::parse();
    if let Some(code) = binfmt::handle(&cli) {
        std::process::exit(code);
    }
    match a64x::start::run(cli, &reclose_standard_fds) {
        // _exit, not process::exit: Rust's exit-time clean-up takes locks of its runtime that, in
        // a forked child, may be held by a thread the child does not have (Rust's stdout, which
        // it would flush, is not written while a guest runs).
        // SAFETY: _exit has no preconditions.
        Ok(GuestExit::Exited(code)) => unsafe { libc::_exit(code & 0xff) },
        Ok(GuestExit::Signaled(sig)) => a64x::thread::die_of_signal(sig),
        Err(msg) => {
            eprintln!("a64x: {msg}");
            std::process::exit(1);
        }
    }
}
