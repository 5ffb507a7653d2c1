//! a64x, the process VM: command line, ELF loading, the guest address space and the run loop.
//! Translation lives in a64x-translator, system calls in a64x-syscalls; `main.rs` ties them up.

pub mod binfmt;
pub mod cli;
pub mod cpuspec;
pub mod gdbstub;
pub mod hugealloc;
pub mod inplace;
pub mod loader;
pub mod memory;
pub mod platform;
pub mod prefault;
pub mod procfs;
pub mod profile;
pub mod realpath;
pub mod run;
pub mod runlog;
pub mod signal;
pub mod start;
pub mod tcache;
pub mod thread;
