//! Out-of-line helpers that emitted code calls (SysV ABI) for rare operations, shared with the
//! interpreter so both give the same results.

/// Frequency of the virtual counter, reported in CNTFRQ_EL0 (1 GHz, as Armv8.6 mandates).
pub const COUNTER_HZ: u64 = 1_000_000_000;

/// CNTVCT_EL0: monotonic nanoseconds (so the count advances at [`COUNTER_HZ`]).
pub extern "C" fn helper_counter() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
