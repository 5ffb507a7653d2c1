//! Starting guest programs: the process's first, and each one a guest `execve` carried out in
//! this process starts after it (`crate::inplace`): load it, set up the code cache, the
//! persistent translation cache, syscall and signal state, run it, and tell how it ended.

use crate::run::{self, GuestExit, Vm};
use crate::{cli, loader, memory};
use a64x_syscalls::{ExecRequest, Syscalls};
use a64x_translator::cache::{CodeCache, DebugLog, SpareCode};
use a64x_translator::cpu::CpuState;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// Size of the code cache.
const CODE_CACHE_BYTES: usize = 256 << 20;

/// Run the program `cli` names, then each one it (and they) exec in place, to the process's
/// end. `on_first_start` runs just before the first program's first instruction.
pub fn run(cli: cli::Cli, on_first_start: &dyn Fn()) -> Result<GuestExit, String> {
    // The backend emits these unconditionally (AVX's three-operand forms and FMA among them):
    // refuse clearly, not with SIGILL.
    // (Not with std's detection, which reads more CPUID leaves: see `host::has`.)
    use a64x_translator::x64::host::{has, Feature};
    let needed = [
        ("lzcnt", has(Feature::Lzcnt)),
        ("sse4.1", has(Feature::Sse41)),
        ("sse4.2", has(Feature::Sse42)),
        ("ssse3", has(Feature::Ssse3)),
        ("avx", has(Feature::Avx)),
        ("fma", has(Feature::Fma)),
        ("cmpxchg16b", has(Feature::Cmpxchg16b)),
    ];
    if let Some((name, _)) = needed.iter().find(|(_, have)| !have) {
        return Err(format!("this host CPU lacks {name}, which the translator needs"));
    }
    memory::claim_guest_region()?;
    crate::platform::install();
    run_programs(cli, Some(on_first_start), None)
}

/// Run the program `cli` names and each one exec'd in place after it (see `crate::inplace`),
/// from the command line a new a64x would have been given.
/// `spare`: the code memory the program before the first one gave up (see `inplace::tear_down`).
fn run_programs(cli: cli::Cli, mut first: Option<&dyn Fn()>, spare: Option<SpareCode>) -> Result<GuestExit, String> {
    let (mut cli, mut spare) = (cli, spare);
    loop {
        match run_program(&cli, first.take(), spare.take())? {
            Ending::Process(exit) => return Ok(exit),
            Ending::ExecInPlace(request, memory) => {
                cli = successor(request);
                spare = memory;
            }
        }
    }
}

/// The command line of the program an exec in place starts, as a new a64x would parse it.
fn successor(request: ExecRequest) -> cli::Cli {
    let mut cli = cli::parse_from(request.args).unwrap_or_else(|e| e.exit());
    cli.guest_environment = request.envp;
    cli
}

/// Go on after guest thread `vm`, on a host thread other than the first (the process's only
/// thread now: a fork child of another guest thread), asked for an exec in place: tear its
/// program down and run the exec'd ones on this thread, to the process's end.
pub fn exec_in_place_from(mut vm: Vm) -> ! {
    let end = match vm.sys.take_exec_request() {
        Some(request) => crate::inplace::tear_down(vm).and_then(|spare| run_programs(successor(request), None, spare)),
        None => Err("an exec in place without its request".to_string()),
    };
    match end {
        // SAFETY: _exit has no preconditions (as in main).
        Ok(GuestExit::Exited(code)) => unsafe { libc::_exit(code & 0xff) },
        Ok(GuestExit::Signaled(sig)) => crate::thread::die_of_signal(sig),
        Err(msg) => {
            eprintln!("a64x: {msg}");
            // SAFETY: as above.
            unsafe { libc::_exit(1) }
        }
    }
}

/// How one program run ended.
enum Ending {
    /// The process ends so.
    Process(GuestExit),
    /// The guest exec'd an AArch64 program in place: what runs it, and the code memory the
    /// program gave up for it.
    ExecInPlace(ExecRequest, Option<SpareCode>),
}

/// Load and run the program `cli` names. `first`: for the process's first program (not one
/// exec'd in place), what runs just before its first instruction.
fn run_program(cli: &cli::Cli, first: Option<&dyn Fn()>, spare: Option<SpareCode>) -> Result<Ending, String> {
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
    let cache = CodeCache::new_in(spare, CODE_CACHE_BYTES, cli.lift_options())
        .map_err(|e| format!("cannot allocate the code cache: {e}"))?;
    let mut cache = cache;
    // The run loop makes the code check FPCR.FZ once the guest sets it (`Vm::run_loop`).
    cache.omit_fz_checks();
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
        crate::platform::set_log_file(file);
    } else if cli.stats {
        crate::platform::log_to_a_copy_of_stderr();
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
    cache.hook = crate::profile::start(&profiling, || image.symbols())?;
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
    sys.set_exec_in_place(crate::inplace::allowed(cli));
    sys.set_auxv(&crate::procfs::initial_auxv(&mem, image.stack_pointer));
    let areas = crate::procfs::initial_areas(&mem, image.stack_pointer);
    let published = crate::procfs::publish_areas(&areas);
    sys.set_process_areas(areas, published);
    let signals = crate::signal::Signals::new(&mut mem, &mut sys)?;
    // The persistent translation cache (after `Signals::new`: its file is read through probes,
    // whose faults the VM's handlers catch), unless a debugger, a profile's counters or a debugging
    // mode of the run loop makes translations of its own, or translations are to be logged.
    if cli.stats {
        a64x_translator::cache::time_translations();
    }
    let own_translations = cli.gdb.is_some() || profiling.counts || check || interpret || cache.log.any();
    if !cli.no_cache && !own_translations {
        if let Some(dir) = cli.cache_dir.clone().or_else(crate::tcache::default_dir) {
            match crate::tcache::open(&dir, &image.exe_path, cli.lift_options()) {
                Ok(store) => {
                    // The records of the blocks a warm start will place, a few hundred bytes each.
                    crate::hugealloc::prefault_heap(store.stats().entries * 320);
                    cache.use_store(store)
                }
                Err(e) if cli.stats => eprintln!("a64x: no persistent translation cache: {e}"),
                Err(_) => {}
            }
        }
    }
    match &cli.comm {
        Some(comm) => name_threads(comm.as_bytes()),
        None => name_threads(cli.program.file_name().map(|n| n.as_bytes()).unwrap_or_default()),
    }
    let has = |d| cli.debug.contains(&d);
    // A64X_TRACE: the old spelling of -d exec,cpu.
    let old_trace = std::env::var_os("A64X_TRACE").is_some();
    let trace = crate::runlog::RunLog {
        exec: has(cli::DebugItem::exec) || old_trace,
        cpu: has(cli::DebugItem::cpu) || old_trace,
        unimp: has(cli::DebugItem::unimp),
    };
    let mut vm = Vm {
        cache,
        cpu,
        mem: std::sync::Arc::new(std::sync::RwLock::new(mem)),
        sys,
        exe: image.exe_path.clone(),
        interpret,
        trace,
        check,
        signals,
    };
    if let Some(f) = first {
        f();
    }
    if let Some(spec) = &cli.gdb {
        let auxv = crate::procfs::initial_auxv(&vm.mem(), image.stack_pointer);
        crate::gdbstub::listen(spec, &auxv, &image.exe_path, image.sysroot.as_deref())?;
        crate::signal::host::catch_faults_for_debugger();
    }
    let exit = match vm.run() {
        run::Ending::Process(exit) => exit,
        run::Ending::ExecInPlace => {
            let request = vm
                .sys
                .take_exec_request()
                .ok_or("an exec in place without its request")?;
            let spare = crate::inplace::tear_down(vm)?;
            return Ok(Ending::ExecInPlace(request, spare));
        }
    };
    crate::gdbstub::report_exit(exit);
    crate::profile::finish();
    if cli.stats {
        let s = vm.cache.stats;
        crate::platform::log(&format!(
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
        if let Some(p) = crate::tcache::stats() {
            crate::platform::log(&format!(
                "a64x: persistent translation cache: {} saved blocks, {} placed (main thread {}), {} \
                 rejected, {} new, {} placed from translations this process or its parents made; \
                 {} looked up as the entry after the one placed before\n",
                p.entries, p.placed, s.loaded, p.rejected, p.new, p.placed_made, p.guessed
            ));
        }
    }
    crate::tcache::save();
    // Other guest threads may still run until the process exits: they reach this thread's
    // CpuState (registered in the thread list, which invalidations and host signal handlers
    // write to) and share its memory. Freeing it here was a use-after-free that corrupted the
    // heap when a thread unmapped memory during the exit (seen once, python's test_threading
    // test_4_daemon_threads under load); the process's end frees everything.
    std::mem::forget(vm);
    Ok(Ending::Process(exit))
}

/// Give the process the name the kernel gives a program it executes (`comm`, the last component
/// of the path it was run by, at most 15 bytes: a script's, not its interpreter's, `--comm`),
/// instead of the VM's: /proc's `comm`, `status` and `stat` of every thread, `ps`, `top`,
/// `pgrep` and `killall` then show the guest. Threads inherit it.
fn name_threads(name: &[u8]) {
    let mut comm = [0u8; 16];
    let n = name.len().min(15);
    comm[..n].copy_from_slice(&name[..n]);
    // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes from `comm`.
    unsafe { libc::prctl(libc::PR_SET_NAME, comm.as_ptr()) };
}
