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
//! no procfs to list descriptors) or a debugging mode keeps per-process state (gdb, profiles,
//! logs, statistics), the syscall layer re-executes a64x as before (`a64x_syscalls` `exec`).

use crate::run::Vm;

/// Whether this run's options let the guest's execs be carried out in place: not under gdb, a
/// profile, a log or statistics, which a new a64x process would start afresh, nor with
/// `A64X_NO_EXEC_IN_PLACE` (to measure what it saves).
pub fn allowed(cli: &crate::cli::Cli) -> bool {
    let p = cli.profile_options();
    let profiling = p.perfmap || p.samples() || p.jitdump.is_some() || p.counts;
    let debugging = ["A64X_CHECK", "A64X_INTERPRET", "A64X_TRACE", "A64X_NO_EXEC_IN_PLACE"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    cli.gdb.is_none() && !profiling && !cli.stats && cli.log_file.is_none() && cli.debug.is_empty() && !debugging
}

/// End the program `vm` runs, which has asked for an exec in place, as the kernel's exec ends
/// the old image: afterwards the host process holds nothing of it but what an exec keeps.
/// An error only when the close-on-exec descriptors could no longer be listed (they could when
/// the exec was decided); the process then cannot go on.
pub fn tear_down(mut vm: Vm) -> Result<(), String> {
    // Its new translations saved, as at an exit.
    let cache_file = crate::tcache::close();
    vm.signals.reset_for_exec(&vm.sys);
    // No host signal handler or other thread may reach this state from now on.
    crate::signal::host::set_current_cpu(std::ptr::null_mut());
    crate::signal::host::set_current_cache(std::ptr::null());
    crate::thread::end_program(&mut *vm.cpu);
    drop(vm);
    cache_file.release();
    crate::memory::empty_guest_region();
    if !a64x_syscalls::close_guest_descriptors() {
        return Err("cannot list the descriptors to close at exec".to_string());
    }
    Ok(())
}
