//! Out-of-line helpers that emitted code calls (SysV ABI) for rare operations, shared with the
//! interpreter so both give the same results.

/// Frequency of the virtual counter, reported in CNTFRQ_EL0 (1 GHz, as Armv8.6 mandates).
pub const COUNTER_HZ: u64 = 1_000_000_000;

/// CNTVCT_EL0: monotonic nanoseconds from the VM's clock (so the count advances at
/// [`COUNTER_HZ`]).
pub extern "C" fn helper_counter() -> u64 {
    crate::platform::get().now_ns()
}

/// RNDR, RNDRRS: 64 random bits from the VM's source.
pub extern "C" fn helper_random() -> u64 {
    crate::platform::get().random()
}

use crate::cpu::CpuState;
use crate::ir::PairKind;
use crate::ops::RmwKind;

/// The new memory value of an LSE read-modify-write of `size` (log2 bytes).
pub fn rmw(kind: RmwKind, size: crate::ir::Log2, old: u64, val: u64) -> u64 {
    let bits = 8u32 << size.0;
    let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let sx = |x: u64| (((x & mask) << (64 - bits)) as i64) >> (64 - bits);
    let (o, v) = (old & mask, val & mask);
    match kind {
        RmwKind::Add => o.wrapping_add(v),
        RmwKind::Clr => o & !v,
        RmwKind::Eor => o ^ v,
        RmwKind::Set => o | v,
        RmwKind::Smax => {
            if sx(o) >= sx(v) {
                o
            } else {
                v
            }
        }
        RmwKind::Smin => {
            if sx(o) <= sx(v) {
                o
            } else {
                v
            }
        }
        RmwKind::Umax => o.max(v),
        RmwKind::Umin => o.min(v),
        RmwKind::Swp => v,
    }
}

/// CRC32 (IEEE 802.3, reflected 0xEDB88320) or CRC32C (Castagnoli, reflected 0x82F63B78) of the
/// low `1 << size` bytes of `data`, continuing from `acc`, bit by bit as the Arm ARM defines it.
pub fn crc32(castagnoli: bool, size: u8, acc: u64, data: u64) -> u64 {
    let poly: u32 = if castagnoli { 0x82f6_3b78 } else { 0xedb8_8320 };
    let mut crc = acc as u32;
    for i in 0..(1u32 << size) {
        crc ^= ((data >> (8 * i)) & 0xff) as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ poly } else { crc >> 1 };
        }
    }
    crc as u64
}

/// Emitted code's CRC32 (IEEE) helper: the host's `crc32` instruction only knows CRC32C.
pub extern "C" fn helper_crc32(_cpu: u64, acc: u64, data: u64, size: u64) -> u64 {
    crc32(false, size as u8, acc, data)
}

fn xr(cpu: &CpuState, r: u8) -> u64 {
    if r >= 31 {
        0
    } else {
        cpu.x[r as usize]
    }
}

fn set_xr(cpu: &mut CpuState, r: u8, v: u64) {
    if r < 31 {
        cpu.x[r as usize] = v;
    }
}

/// A guest access that faulted (the host fault handler recorded the guest's signal).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestFault;

/// CASP, LDXP and STXP on CpuState's registers (see [`PairKind`]); nothing changes when the
/// access faults.
pub fn pair_op(cpu: &mut CpuState, kind: PairKind, size: u8, a: u8, b: u8, c: u8, n: u8) -> Result<(), GuestFault> {
    let addr = crate::confine::confine(if n == 31 { cpu.sp } else { cpu.x[n as usize] });
    let wide = size == 3;
    let join = |lo: u64, hi: u64| -> u128 {
        if wide {
            (lo as u128) | ((hi as u128) << 64)
        } else {
            ((lo & 0xffff_ffff) | (hi << 32)) as u128
        }
    };
    let split = |v: u128| -> (u64, u64) {
        if wide {
            (v as u64, (v >> 64) as u64)
        } else {
            (v as u64 & 0xffff_ffff, (v as u64) >> 32)
        }
    };
    // Through probes: a fault (an unmapped page, a truncated file's page, a misaligned
    // cmpxchg16b) fails the access instead of killing the VM.
    let cas = |old: u128, new: u128| -> Result<u128, GuestFault> {
        let found = if wide {
            crate::probe::cas128(addr, old, new)
        } else {
            crate::probe::cas64(addr, old as u64, new as u64).map(u128::from)
        };
        found.ok_or(GuestFault)
    };
    match kind {
        PairKind::Casp => {
            let old = join(xr(cpu, a), xr(cpu, a + 1));
            let new = join(xr(cpu, b), xr(cpu, b + 1));
            let (lo, hi) = split(cas(old, new)?);
            set_xr(cpu, a, lo);
            set_xr(cpu, a + 1, hi);
        }
        PairKind::Ldxp => {
            // A single-copy-atomic read of the pair, which needs only read access (a read-only
            // page is fine, as on hardware); without atomic 16-byte loads on the host, a CAS
            // that stores what it finds (which faults on a read-only page).
            let v = if !wide {
                crate::probe::load64(addr).map(u128::from).ok_or(GuestFault)?
            } else if crate::probe::atomic_load128() {
                crate::probe::load128(addr).ok_or(GuestFault)?
            } else {
                cas(0, 0)?
            };
            let (lo, hi) = split(v);
            cpu.excl_addr = addr;
            cpu.excl_val = [v as u64, (v >> 64) as u64];
            cpu.excl_size = if wide { 16 } else { 8 };
            set_xr(cpu, a, lo);
            set_xr(cpu, b, hi);
        }
        PairKind::Stxp => {
            let ok = cpu.excl_addr == addr && {
                let old = (cpu.excl_val[0] as u128) | ((cpu.excl_val[1] as u128) << 64);
                let old = if wide { old } else { old & u64::MAX as u128 };
                cas(old, join(xr(cpu, b), xr(cpu, c)))? == old
            };
            cpu.excl_addr = u64::MAX;
            set_xr(cpu, a, if ok { 0 } else { 1 });
        }
    }
    Ok(())
}

/// Emitted code's pair helper for the guest instruction at `pc`: `code` = kind | size << 8 |
/// a << 16 | b << 24 | c << 32 | n << 40. 0 when done; 1 when the access faulted: the guest's
/// signal is pending and its pc is `pc`, for the code to leave for the run loop.
///
/// # Safety
/// `cpu` must point to the live CpuState of the running guest thread.
pub unsafe extern "C" fn helper_pair(cpu: *mut CpuState, code: u64, pc: u64) -> u64 {
    let kind = match code & 0xff {
        0 => PairKind::Casp,
        1 => PairKind::Ldxp,
        _ => PairKind::Stxp,
    };
    let f = |s: u32| ((code >> s) & 0xff) as u8;
    // SAFETY: per the contract above.
    let cpu = unsafe { &mut *cpu };
    match pair_op(cpu, kind, f(8), f(16), f(24), f(32), f(40)) {
        Ok(()) => 0,
        Err(GuestFault) => {
            cpu.pc = pc;
            1
        }
    }
}
