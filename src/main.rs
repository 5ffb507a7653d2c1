//! a64x: runs AArch64 Linux programs on x86-64 Linux. This is the process VM: command line,
//! loading, and the run loop; translation lives in a64x-translator, syscalls in a64x-syscalls.

use a64x::run::{self, GuestExit, Vm};
use a64x::{binfmt, cli, loader, memory};
use a64x_syscalls::Syscalls;
use a64x_translator::cache::{CodeCache, DebugLog};
use a64x_translator::cpu::CpuState;
use std::ffi::OsString;

// libgcc's unwinder, linked in whole from its static archive: std's calls of `_Unwind_*`
// (panics, backtraces) bind to this copy, so the linker (`--as-needed`) leaves out
// libgcc_s.so.1. Loading that library ran its constructor, `__cpu_indicator_init`, whose
// dozens of CPUID instructions (each a VM exit on a virtualised host, 6.6 us on this
// project's machine) were a quarter of the CPU time of a64x running a program that exits at
// once: every guest `execve` pays it.
#[link(name = "gcc_eh", kind = "static", modifiers = "+whole-archive")]
unsafe extern "C" {}

/// Size of the code cache.
const CODE_CACHE_BYTES: usize = 256 << 20;

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
    match run(cli) {
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

fn run(cli: cli::Cli) -> Result<GuestExit, String> {
    // The backend emits these unconditionally (x86-64-v3 less AVX): refuse clearly, not with SIGILL.
    // (Not with std's detection, which reads more CPUID leaves: see `host::has`.)
    use a64x_translator::x64::host::{has, Feature};
    let needed = [
        ("lzcnt", has(Feature::Lzcnt)),
        ("sse4.1", has(Feature::Sse41)),
        ("sse4.2", has(Feature::Sse42)),
        ("ssse3", has(Feature::Ssse3)),
        ("fma", has(Feature::Fma)),
        ("cmpxchg16b", has(Feature::Cmpxchg16b)),
    ];
    if let Some((name, _)) = needed.iter().find(|(_, have)| !have) {
        return Err(format!("this host CPU lacks {name}, which the translator needs"));
    }
    memory::claim_guest_region()?;
    a64x::platform::install();
    let mut cli = cli;
    let mut first = true;
    // Each guest execve of an AArch64 program that can be carried out in this process (see
    // `a64x::inplace`) starts the next program here, with the command line a new a64x would
    // have been given.
    loop {
        match run_program(&cli, first)? {
            Ending::Process(exit) => return Ok(exit),
            Ending::ExecInPlace(args) => {
                cli = cli::parse_from(args).unwrap_or_else(|e| e.exit());
                first = false;
            }
        }
    }
}

/// How one program run ended.
enum Ending {
    /// The process ends so.
    Process(GuestExit),
    /// The guest exec'd an AArch64 program in place: the a64x command line that runs it.
    ExecInPlace(Vec<OsString>),
}

/// Load and run the program `cli` names. `first`: the process's first program (not one exec'd
/// in place), for what is done once per host process.
fn run_program(cli: &cli::Cli, first: bool) -> Result<Ending, String> {
    let mut mem = memory::AddressSpace::new();
    // argv[0] is the program path unless `-0` says otherwise (a guest execve preserves it).
    let argv0 = cli
        .argv0
        .clone()
        .unwrap_or_else(|| cli.program.clone().into_os_string());
    let mut argv: Vec<OsString> = vec![argv0];
    argv.extend(cli.args.iter().cloned());
    // -U and -E applied to a64x's environment; -cpu's features in AT_HWCAP/AT_HWCAP2; -s.
    // Started for a guest's execve, the guest's environment came as arguments (this process's
    // own is empty); else it is a64x's, with -U and -E applied.
    let envp: Vec<OsString> = if cli.exec_by_guest {
        cli.guest_environment.clone()
    } else {
        cli.guest_env(std::env::vars_os())
    };
    let hw = cli.hwcaps();
    let image = loader::load_program_with_stack(
        &cli.program,
        &argv,
        &envp,
        &mut mem,
        &hw,
        cli.sysroot.as_deref(),
        cli.stack_size,
    )
    .map_err(|e| e.to_string())?;
    let cache = CodeCache::new(CODE_CACHE_BYTES, cli.lift_options())
        .map_err(|e| format!("cannot allocate the code cache: {e}"))?;
    let mut cache = cache;
    // Threads share translations, except under gdb (breakpoints and steps make per-thread
    // translations) and with A64X_NO_SHARE=1 (to measure what sharing saves).
    if cli.gdb.is_none() && std::env::var_os("A64X_NO_SHARE").is_none() {
        cache.share_translations();
    }
    // Quick translations first, then optimised ones for hot blocks (translator cache::tiers),
    // except with A64X_ONE_TIER=1 (to measure what the tiers save) and A64X_CHECK (whose
    // differential run of each block would see a promotion exit as a mismatch).
    if std::env::var_os("A64X_ONE_TIER").is_some() || std::env::var_os("A64X_CHECK").is_some() {
        cache.optimise_at_once();
    }
    if let Some(path) = &cli.log_file {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open the log file {}: {e}", path.display()))?;
        a64x::platform::set_log_file(file);
    } else if cli.stats {
        a64x::platform::log_to_a_copy_of_stderr();
    }
    if let Some(ranges) = &cli.dfilter {
        a64x_translator::cache::debuglog::set_filter(ranges.0.clone());
    }
    cache.log = DebugLog {
        in_asm: cli.debug.contains(&cli::DebugItem::in_asm),
        ir: cli.debug.contains(&cli::DebugItem::ir),
        out_asm: cli.debug.contains(&cli::DebugItem::out_asm),
    };
    // Before `Signals::new`, which must find the profiler's SIGPROF handler (see profile::start).
    let profiling = cli.profile_options();
    cache.hook = a64x::profile::start(&profiling, || image.symbols())?;
    if profiling.counts && !cache.count_executions() {
        eprintln!("a64x: no room for execution counters next to the code cache; the profile has no counts");
    }
    let check = std::env::var_os("A64X_CHECK").is_some();
    let interpret = std::env::var_os("A64X_INTERPRET").is_some();
    let mut cpu = Box::<CpuState>::default();
    cpu.pc = image.entry;
    cpu.sp = image.stack_pointer;
    let mut sys = Syscalls::new();
    sys.set_sysroot(image.sysroot.clone());
    sys.strace = cli.strace;
    sys.set_exec_options(cli.exec_options());
    sys.set_no_host_exec(cli.no_host_exec);
    sys.set_exec_in_place(a64x::inplace::allowed(cli));
    sys.set_auxv(&a64x::procfs::initial_auxv(&mem, image.stack_pointer));
    sys.set_process_areas(a64x::procfs::initial_areas(&mem, image.stack_pointer));
    let signals = a64x::signal::Signals::new(&mut mem, &mut sys)?;
    // The persistent translation cache (after `Signals::new`: its file is read through probes,
    // whose faults the VM's handlers catch), unless a debugger, a profile's counters or a debugging
    // mode of the run loop makes translations of its own, or translations are to be logged.
    if cli.stats {
        a64x_translator::cache::time_translations();
    }
    let own_translations = cli.gdb.is_some() || profiling.counts || check || interpret || cache.log.any();
    if !cli.no_cache && !own_translations {
        if let Some(dir) = cli.cache_dir.clone().or_else(a64x::tcache::default_dir) {
            match a64x::tcache::open(&dir, &image.exe_path, cli.lift_options()) {
                Ok(store) => {
                    // The records of the blocks a warm start will place, a few hundred bytes each.
                    a64x::hugealloc::prefault_heap(store.stats().entries * 320);
                    cache.use_store(store)
                }
                Err(e) if cli.stats => eprintln!("a64x: no persistent translation cache: {e}"),
                Err(_) => {}
            }
        }
    }
    name_threads_after(&cli.program);
    let has = |d| cli.debug.contains(&d);
    // A64X_TRACE: the old spelling of -d exec,cpu.
    let old_trace = std::env::var_os("A64X_TRACE").is_some();
    let trace = a64x::runlog::RunLog {
        exec: has(cli::DebugItem::exec) || old_trace,
        cpu: has(cli::DebugItem::cpu) || old_trace,
        unimp: has(cli::DebugItem::unimp),
    };
    let mut vm = Vm {
        cache,
        cpu,
        mem: std::sync::Arc::new(std::sync::Mutex::new(mem)),
        sys,
        exe: image.exe_path.clone(),
        interpret,
        trace,
        check,
        signals,
    };
    if first {
        reclose_standard_fds();
    }
    if let Some(spec) = &cli.gdb {
        let auxv = a64x::procfs::initial_auxv(&vm.mem(), image.stack_pointer);
        a64x::gdbstub::listen(spec, &auxv, &image.exe_path, image.sysroot.as_deref())?;
        a64x::signal::host::catch_faults_for_debugger();
    }
    let exit = match vm.run() {
        run::Ending::Process(exit) => exit,
        run::Ending::ExecInPlace => {
            let request = vm
                .sys
                .take_exec_request()
                .ok_or("an exec in place without its request")?;
            a64x::inplace::tear_down(vm)?;
            return Ok(Ending::ExecInPlace(request.args));
        }
    };
    a64x::gdbstub::report_exit(exit);
    a64x::profile::finish();
    if cli.stats {
        let s = vm.cache.stats;
        a64x::platform::log(&format!(
            "a64x: {} blocks, {} guest instructions translated, {} flushes; translation {:.1} ms \
             (lift {:.1} ms, emit {:.1} ms), {:.2} M guest instructions per second, {} quick \
             translations promoted, {} blocks placed from other threads' translations (main \
             thread)\n",
            s.blocks,
            s.insns,
            s.flushes,
            (s.lift_ns + s.emit_ns) as f64 / 1e6,
            s.lift_ns as f64 / 1e6,
            s.emit_ns as f64 / 1e6,
            s.insns_per_second() / 1e6,
            s.promoted,
            s.shared
        ));
        if let Some(p) = a64x::tcache::stats() {
            a64x::platform::log(&format!(
                "a64x: persistent translation cache: {} saved blocks, {} placed (main thread {}), {} \
                 rejected, {} new, {} placed from translations this process or its parents made; \
                 {} looked up as the entry after the one placed before\n",
                p.entries, p.placed, s.loaded, p.rejected, p.new, p.placed_made, p.guessed
            ));
        }
    }
    a64x::tcache::save();
    // Other guest threads may still run until the process exits: they reach this thread's
    // CpuState (registered in the thread list, which invalidations and host signal handlers
    // write to) and share its memory. Freeing it here was a use-after-free that corrupted the
    // heap when a thread unmapped memory during the exit (seen once, python's test_threading
    // test_4_daemon_threads under load); the process's end frees everything.
    std::mem::forget(vm);
    Ok(Ending::Process(exit))
}

/// Give the process the name the kernel gives a program it executes (`comm`, the last component
/// of the path it was run by, at most 15 bytes), instead of the VM's: /proc's `comm`, `status`
/// and `stat` of every thread, `ps` and `top` then show the guest. Threads inherit it.
fn name_threads_after(program: &std::path::Path) {
    use std::os::unix::ffi::OsStrExt;
    let name = program.file_name().map(|n| n.as_bytes()).unwrap_or_default();
    let mut comm = [0u8; 16];
    let n = name.len().min(15);
    comm[..n].copy_from_slice(&name[..n]);
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes from `comm`.
    unsafe { libc::prctl(libc::PR_SET_NAME, comm.as_ptr()) };
}
