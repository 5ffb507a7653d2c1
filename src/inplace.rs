//! A guest `execve` of an AArch64 program carried out in the VM's own host process
//! (`a64x_syscalls::ExecRequest`): what the kernel's exec does after its point of no return,
//! done to the VM's state, so that the next program starts as it would in a new a64x process
//! without the cost of one. That cost is the kernel's exec of a64x, its dynamic loader, the C
//! library's start-up (whose CPUID probes of the caches are each a VM exit on a virtualised
//! host: about 0.45 ms a process on this project's machine) and the VM's own set-up; in a shell
//! loop of fork and exec it was a fifth of the CPU time.
//!
//! The next program is started by `crate::start` on the host thread the guest thread ran on.
//! What the kernel's exec resets, and how here: the address space (the guest region emptied),
//! the translations (the code cache dropped; the program's persistent cache file saved and
//! closed), signal handlers (back to the default, ignored signals staying ignored), the
//! alternate signal stack, tid address and robust list (the next program's `Syscalls` has none),
//! the close-on-exec descriptors (closed), the process's name (set by the next program's start).
//! What it keeps is kept by leaving it alone: the pid, descriptors, working and root directory,
//! rlimits, umask, credentials, the blocked mask and pending signals, interval timers. Where
//! the VM could not do what the kernel does (other guest threads to end, POSIX timers to delete,
//! no procfs to list descriptors), where it would cost more (a program with more translations
//! than [`MAX_BLOCKS`] to drop) or a debugging mode keeps per-process state (gdb, profiles,
//! logs, statistics) or `--no-exec-in-place` asks, the syscall layer re-executes a64x as before
//! (`a64x_syscalls` `exec`).

use crate::run::Vm;
use a64x_translator::cache::SpareCode;

/// The most translations a program may hold for its exec to be carried out in place. Dropping
/// them block by block (their records, about 150 ns each) is what the kernel's exec does not
/// pay: a python that had placed 33,000 blocks exec'd 1.06x slower in place than by a new a64x
/// process, whose start costs about 1.2 ms (a chain of execs of a small static program: 0.89
/// ms an exec in place, 2.12 ms by new processes). A forked child holds only the blocks it
/// placed itself (it forgets its parent's), so the usual fork and exec stays in place.
pub const MAX_BLOCKS: usize = 8192;

/// Whether this run's options let the guest's execs be carried out in place: not under gdb, a
/// profile, a log or statistics, which a new a64x process would start afresh, nor with
/// `--no-exec-in-place` (to measure what it saves).
pub fn allowed(cli: &crate::cli::Cli) -> bool {
    let p = cli.profile_options();
    let profiling = p.perfmap || p.samples() || p.jitdump.is_some() || p.counts;
    let debugging = ["A64X_CHECK", "A64X_INTERPRET", "A64X_TRACE"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    let plain = cli.gdb.is_none() && !profiling && !cli.stats && cli.log_file.is_none() && cli.debug.is_empty();
    plain && !debugging && !cli.no_exec_in_place
}

/// End the program `vm` runs, which has asked for an exec in place, as the kernel's exec ends
/// the old image: afterwards the host process holds nothing of it but what an exec keeps.
/// An error only when the close-on-exec descriptors could no longer be listed (they could when
/// the exec was decided); the process then cannot go on. Gives back the code memory for the
/// next program (`CodeCache::new_in`), none of whose code can run again: this is the process's
/// only thread.
pub fn tear_down(mut vm: Vm) -> Result<Option<SpareCode>, String> {
    // Its new translations saved, as at an exit.
    let cache_file = crate::tcache::close();
    vm.signals.reset_for_exec(&vm.sys);
    // No host signal handler or other thread may reach this state from now on.
    crate::signal::host::set_current_cpu(std::ptr::null_mut());
    crate::signal::host::set_current_cache(std::ptr::null());
    crate::thread::end_program(&mut *vm.cpu);
    let spare = vm.cache.give_up_memory();
    drop(vm);
    cache_file.release();
    crate::memory::empty_guest_region();
    if !a64x_syscalls::close_guest_descriptors() {
        return Err("cannot list the descriptors to close at exec".to_string());
    }
    Ok(spare)
}
