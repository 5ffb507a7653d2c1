//! a64x: runs AArch64 Linux programs on x86-64 Linux. This is the process VM: command line,
//! loading, and the run loop; translation lives in a64x-translator, syscalls in a64x-syscalls.

use a64x::run::{GuestExit, Vm};
use a64x::{cli, loader, memory};
use a64x_syscalls::Syscalls;
use a64x_translator::cache::{CodeCache, DebugLog};
use a64x_translator::cpu::CpuState;
use a64x_translator::lift::LiftOptions;
use clap::Parser;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

/// AT_HWCAP bits advertised to the guest (arch/arm64/include/uapi/asm/hwcap.h): FP and ASIMD,
/// which the A64 ABI assumes, and the optional features that are implemented. glibc picks its
/// atomics and string routines from these, so nothing is advertised before it works.
const HWCAP: u64 = HWCAP_FP | HWCAP_ASIMD | HWCAP_CRC32 | HWCAP_ATOMICS | HWCAP_LRCPC | HWCAP_FLAGM;
const HWCAP_FP: u64 = 1 << 0;
const HWCAP_ASIMD: u64 = 1 << 1;
const HWCAP_CRC32: u64 = 1 << 7;
const HWCAP_ATOMICS: u64 = 1 << 8;
const HWCAP_LRCPC: u64 = 1 << 15;
const HWCAP_FLAGM: u64 = 1 << 27;
/// AT_HWCAP2: FEAT_FlagM2 (AXFLAG, XAFLAG).
const HWCAP2: u64 = HWCAP2_FLAGM2;
const HWCAP2_FLAGM2: u64 = 1 << 7;

/// Size of the code cache.
const CODE_CACHE_BYTES: usize = 256 << 20;

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
    let cli = cli::Cli::parse();
    match run(cli) {
        Ok(GuestExit::Exited(code)) => std::process::exit(code & 0xff),
        Ok(GuestExit::Signaled(sig)) => die_of_signal(sig),
        Err(msg) => {
            eprintln!("a64x: {msg}");
            std::process::exit(1);
        }
    }
}

fn run(cli: cli::Cli) -> Result<GuestExit, String> {
    // The backend emits these unconditionally (x86-64-v3 less AVX): refuse clearly, not with SIGILL.
    let needed = [
        ("lzcnt", std::arch::is_x86_feature_detected!("lzcnt")),
        ("sse4.1", std::arch::is_x86_feature_detected!("sse4.1")),
        ("sse4.2", std::arch::is_x86_feature_detected!("sse4.2")),
        ("ssse3", std::arch::is_x86_feature_detected!("ssse3")),
        ("fma", std::arch::is_x86_feature_detected!("fma")),
        ("cmpxchg16b", std::arch::is_x86_feature_detected!("cmpxchg16b")),
    ];
    if let Some((name, _)) = needed.iter().find(|(_, have)| !have) {
        return Err(format!("this host CPU lacks {name}, which the translator needs"));
    }
    let mut mem = memory::AddressSpace::new();
    // argv[0] is the program path unless `-0` says otherwise (a guest execve preserves it).
    let argv0 = cli
        .argv0
        .clone()
        .unwrap_or_else(|| cli.program.clone().into_os_string());
    let mut argv: Vec<OsString> = vec![argv0];
    argv.extend(cli.args.iter().cloned());
    let envp: Vec<OsString> = std::env::vars_os()
        .map(|(k, v)| OsString::from_vec([k.into_vec(), b"=".to_vec(), v.into_vec()].concat()))
        .collect();
    let hw = loader::HwCaps {
        hwcap: HWCAP,
        hwcap2: HWCAP2,
    };
    let image = loader::load_program(&cli.program, &argv, &envp, &mut mem, &hw, cli.sysroot.as_deref())
        .map_err(|e| e.to_string())?;
    let cache = CodeCache::new(
        CODE_CACHE_BYTES,
        LiftOptions {
            max_insns: cli.max_block_insns,
            follow_branches: cli.max_block_insns > 1,
        },
    )
    .map_err(|e| format!("cannot allocate the code cache: {e}"))?;
    let mut cache = cache;
    cache.log = DebugLog {
        in_asm: cli.debug.contains(&cli::DebugItem::in_asm),
        ir: cli.debug.contains(&cli::DebugItem::ir),
        out_asm: cli.debug.contains(&cli::DebugItem::out_asm),
    };
    let mut cpu = Box::<CpuState>::default();
    cpu.pc = image.entry;
    cpu.sp = image.stack_pointer;
    let mut sys = Syscalls::new();
    sys.set_sysroot(image.sysroot.clone());
    sys.strace = cli.strace;
    sys.set_exec_options(cli.exec_options());
    sys.set_auxv(&a64x::procfs::initial_auxv(&mem, image.stack_pointer));
    let signals = a64x::signal::Signals::new(&mut mem, &mut sys)?;
    let interpret = std::env::var_os("A64X_INTERPRET").is_some();
    let trace = std::env::var_os("A64X_TRACE").is_some();
    let check = std::env::var_os("A64X_CHECK").is_some();
    let mut vm = Vm {
        cache,
        cpu,
        mem,
        sys,
        exe: image.exe_path.clone(),
        interpret,
        trace,
        check,
        signals,
    };
    let exit = vm.run();
    if cli.stats {
        let s = vm.cache.stats;
        eprintln!(
            "a64x: {} blocks, {} guest instructions translated, {} flushes",
            s.blocks, s.insns, s.flushes
        );
    }
    Ok(exit)
}

/// End this process by `sig`, so the parent sees what a native run would give.
fn die_of_signal(sig: i32) -> ! {
    // SAFETY: plain libc calls on our own process; no core file (the guest's memory is not
    // what a core of a64x would show).
    unsafe {
        let lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &lim);
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    std::process::exit(128 + sig);
}
