//! The guest CPU state: AArch64 EL0 registers as emitted code sees them, behind one pinned host
//! register (r15). Field offsets are part of the backend's contract, so they are asserted below.

/// How the NZCV flags are held: lazily, as the operation that produced them.
///
/// Re-executing that operation on the host reproduces the flags exactly, so storing them costs
/// three stores and reading them in a later block costs a call of `a64x_read_nzcv`
/// (`x64::flags`), which saves no registers.
#[repr(u64)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagsKind {
    /// `nzcv_a` holds NZCV in bits 31:28.
    Packed = 0,
    /// Flags of `a - b` (32-bit).
    Sub32 = 1,
    /// Flags of `a - b` (64-bit).
    Sub64 = 2,
    /// Flags of `a + b` (32-bit).
    Add32 = 3,
    /// Flags of `a + b` (64-bit).
    Add64 = 4,
    /// Flags of a logical result `a` (32-bit): C = V = 0.
    Logic32 = 5,
    /// Flags of a logical result `a` (64-bit): C = V = 0.
    Logic64 = 6,
}

/// Why emitted code returned to the run loop (value in eax).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    /// Direct branch to `pc` whose jump at `exit_site` may be patched to chain.
    Chain = 0,
    /// Indirect branch (or unchainable exit) to `pc`.
    Indirect = 1,
    /// `SVC`: `pc` is the next instruction, `exit_arg` the immediate.
    Svc = 2,
    /// `BRK`: `pc` is the instruction, `exit_arg` the immediate.
    Brk = 3,
    /// Undefined instruction at `pc` (SIGILL in the guest).
    Undefined = 4,
    /// `IC IVAU` / `DC CVAU` etc. asked for the translations around `exit_arg` to be dropped;
    /// execution continues at `pc`.
    InvalidateCode = 5,
    /// A quick translation of the block at `pc` counted down to zero (see `cache::tiers`): the
    /// run loop replaces it with the optimised one and goes on at `pc`.
    Promote = 6,
    /// The block wrote FPCR (`ir::Exit::Sync`): the run loop goes on at `pc`.
    Sync = 7,
}

/// One jump-cache entry: guest pc and the host code translated for it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct JumpCacheEntry {
    /// Guest pc (0 = empty: the inline lookup sends a branch to 0 to the run loop).
    pub guest: u64,
    /// Host code address.
    pub host: u64,
}

/// The AArch64 user-visible state of one guest thread.
#[repr(C, align(16))]
#[derive(Debug, Clone)]
pub struct CpuState {
    /// X0..X30.
    pub x: [u64; 31],
    /// SP (register 31 where it means SP).
    pub sp: u64,
    /// Program counter of the next instruction to run.
    pub pc: u64,
    /// How the NZCV flags are held ([`FlagsKind`]).
    pub nzcv_kind: u64,
    /// First operand (or packed NZCV / logical result).
    pub nzcv_a: u64,
    /// Second operand.
    pub nzcv_b: u64,
    /// V0..V31, little-endian halves (low, high).
    pub v: [[u64; 2]; 32],
    /// FPCR.
    pub fpcr: u64,
    /// FPSR.
    pub fpsr: u64,
    /// TPIDR_EL0 (thread pointer).
    pub tpidr_el0: u64,
    /// Exclusive monitor: address of the last load-exclusive, or `u64::MAX` when open.
    pub excl_addr: u64,
    /// Exclusive monitor: value(s) seen by the last load-exclusive.
    pub excl_val: [u64; 2],
    /// Exclusive monitor: access size in bytes.
    pub excl_size: u64,
    /// Address of the `jmp rel32` to patch when the exit was a chainable direct branch.
    pub exit_site: u64,
    /// Extra exit information (SVC/BRK immediate, address to invalidate).
    pub exit_arg: u64,
    /// The jump cache used by indirect branches (owned by the code cache).
    pub jump_cache: *mut JumpCacheEntry,
    /// Non-zero when a host signal is waiting for delivery: emitted code returns to the run loop
    /// at the next block exit instead of following a chained jump, so that even a guest spinning
    /// in a chained loop sees the signal promptly. Written by host signal handlers.
    pub pending: u64,
    /// The guest's host MXCSR: FPCR.RMode as rounding control, every exception masked, and the
    /// exception flags the inline SSE code accumulated (live in the host register while
    /// translated code runs; see `ir::fpenv`).
    pub mxcsr: u32,
    /// The VM's own MXCSR, saved by the entry trampoline and restored at the exit.
    pub host_mxcsr: u32,
    /// Constants of the inline vector FP code (16-byte aligned), in each lane: the single
    /// precision absolute-value mask, the smallest normal single, the same for doubles.
    pub fp_const: [[u64; 2]; 4],
    /// Non-zero when FPCR.FZ is set: the inline FP code then leaves everything to the helpers.
    pub fp_slow: u64,
    /// The PSTATE bits EL0 can set besides NZCV, where SPSR has them: DIT (bit 24, FEAT_DIT)
    /// and SSBS (bit 12, FEAT_SSBS). Neither changes what a program computes on a64x.
    pub pstate: u64,
    /// [`VEC_CONSTS`], where the vector lowering loads them from (one load instead of building
    /// each from an immediate).
    pub vec_const: [u64; VEC_CONSTS.len()],
    /// The jump cache's entries less one (a power of two less one: the lookup's index mask;
    /// last, so that no other field moved when it came).
    pub jump_mask: u64,
    /// The guest code IC IVAU named since the last barrier, `[inval_lo, inval_hi)` in whole
    /// cache lines (`inval_lo` is `u64::MAX` and `inval_hi` 0 while it names none): the next DSB
    /// or ISB, or the next visit of the run loop, drops the translations of it (see
    /// `ir::Op::NoteInval`).
    pub inval_lo: u64,
    /// See `inval_lo`.
    pub inval_hi: u64,
}

/// The 64-bit lane patterns the inline vector code uses most (masks of lanes, their sign bits,
/// rounding halves and bits, 1.0f and 65536.0f), and the nibble popcount table of CNT (two
/// adjacent words).
pub const VEC_CONSTS: [u64; 28] = [
    0x0f0f_0f0f_0f0f_0f0f,
    0x00ff_00ff_00ff_00ff,
    0xff00_ff00_ff00_ff00,
    0x0000_0001_0000_0001,
    0x0000_0000_0000_0001,
    0x4780_0000_4780_0000,
    0x0000_ffff_0000_ffff,
    0x0101_0101_0101_0101,
    0x0001_0001_0001_0001,
    0x0001_0000_0001_0000,
    0x7f7f_7f7f_7f7f_7f7f,
    0x8080_8080_8080_8080,
    0x8000_8000_8000_8000,
    0x8000_0000_8000_0000,
    0x8000_0000_0000_0000,
    0x0080_0080_0080_0080,
    0x0000_8000_0000_8000,
    0x0000_0000_8000_0000,
    0x3f80_0000_3f80_0000,
    0x0302_0201_0201_0100,
    0x0403_0302_0302_0201,
    // FRINTA (vector): |x| masks, the largest values below 2^52 and 2^23 (from there on every
    // value is integral), 0.5, 1.0 (single 1.0 and both sign masks are above).
    0x7fff_ffff_ffff_ffff,
    0x7fff_ffff_7fff_ffff,
    0x432f_ffff_ffff_ffff,
    0x4aff_ffff_4aff_ffff,
    0x3fe0_0000_0000_0000,
    0x3f00_0000_3f00_0000,
    0x3ff0_0000_0000_0000,
];

impl Default for CpuState {
    fn default() -> Self {
        Self {
            x: [0; 31],
            sp: 0,
            pc: 0,
            nzcv_kind: FlagsKind::Packed as u64,
            nzcv_a: 0,
            nzcv_b: 0,
            v: [[0; 2]; 32],
            fpcr: 0,
            fpsr: 0,
            tpidr_el0: 0,
            excl_addr: u64::MAX,
            excl_val: [0; 2],
            excl_size: 0,
            exit_site: 0,
            exit_arg: 0,
            jump_cache: std::ptr::null_mut(),
            jump_mask: 0,
            inval_lo: u64::MAX,
            inval_hi: 0,
            pending: 0,
            mxcsr: crate::ir::fpenv::MXCSR_DEFAULT,
            host_mxcsr: crate::ir::fpenv::MXCSR_DEFAULT,
            fp_const: [
                [0x7fff_ffff_7fff_ffff; 2],
                [0x0080_0000_0080_0000; 2],
                [!(1 << 63); 2],
                [1 << 52; 2],
            ],
            fp_slow: 0,
            pstate: 0,
            vec_const: VEC_CONSTS,
        }
    }
}

impl CpuState {
    /// Guest register `n` as `Op::GetReg` numbers it (31: SP).
    pub fn reg(&self, n: u8) -> u64 {
        match n {
            31 => self.sp,
            n => self.x[n as usize],
        }
    }

    /// Set guest register `n` as `Op::SetReg` numbers it (31: SP).
    pub fn set_reg(&mut self, n: u8, v: u64) {
        match n {
            31 => self.sp = v,
            n => self.x[n as usize] = v,
        }
    }

    /// NZCV in bits 31:28, computed from the lazy representation.
    pub fn nzcv(&self) -> u64 {
        materialize_nzcv(self.nzcv_kind, self.nzcv_a, self.nzcv_b)
    }

    /// FPSR as the guest reads it: the flags raised by the helpers and the ones the inline
    /// code left in [`CpuState::mxcsr`].
    pub fn fpsr_value(&self) -> u64 {
        self.fpsr | crate::ir::fpenv::mxcsr_to_fpsr(self.mxcsr)
    }

    /// Write FPSR (clearing the flags held in MXCSR).
    pub fn set_fpsr(&mut self, v: u64) {
        self.fpsr = v;
        self.mxcsr &= !crate::ir::fpenv::MXCSR_FLAGS;
    }

    /// Write FPCR: the rounding mode goes to [`CpuState::mxcsr`], FZ to [`CpuState::fp_slow`].
    pub fn set_fpcr(&mut self, v: u64) {
        use crate::ir::fpenv::*;
        self.fpcr = v;
        self.mxcsr = (self.mxcsr & MXCSR_FLAGS) | mxcsr_for_fpcr(v);
        self.fp_slow = (v & FPCR_FZ != 0) as u64;
    }

    /// Replace the flags with explicit NZCV bits (31:28).
    pub fn set_nzcv(&mut self, nzcv: u64) {
        self.nzcv_kind = FlagsKind::Packed as u64;
        self.nzcv_a = nzcv & 0xf000_0000;
        self.nzcv_b = 0;
    }
}

/// NZCV (bits 31:28) of a lazily held flags state. The Arm ARM's `AddWithCarry` gives these.
pub fn materialize_nzcv(kind: u64, a: u64, b: u64) -> u64 {
    let pack = |n: bool, z: bool, c: bool, v: bool| {
        ((n as u64) << 31) | ((z as u64) << 30) | ((c as u64) << 29) | ((v as u64) << 28)
    };
    match kind {
        1 => {
            let (a, b) = (a as u32, b as u32);
            let r = a.wrapping_sub(b);
            pack((r as i32) < 0, r == 0, a >= b, (a as i32).overflowing_sub(b as i32).1)
        }
        2 => {
            let r = a.wrapping_sub(b);
            pack((r as i64) < 0, r == 0, a >= b, (a as i64).overflowing_sub(b as i64).1)
        }
        3 => {
            let (a, b) = (a as u32, b as u32);
            let (r, c) = a.overflowing_add(b);
            pack((r as i32) < 0, r == 0, c, (a as i32).overflowing_add(b as i32).1)
        }
        4 => {
            let (r, c) = a.overflowing_add(b);
            pack((r as i64) < 0, r == 0, c, (a as i64).overflowing_add(b as i64).1)
        }
        5 => pack((a as i32) < 0, a as u32 == 0, false, false),
        6 => pack((a as i64) < 0, a == 0, false, false),
        _ => a & 0xf000_0000,
    }
}

/// Byte offsets of CpuState fields, for the backend.
pub mod off {
    use super::CpuState;
    use std::mem::offset_of;
    /// Offset of X`n` (n < 31) or SP (n == 31).
    pub const fn xreg(n: u8) -> i32 {
        (n as i32) * 8
    }
    /// SP.
    pub const SP: i32 = offset_of!(CpuState, sp) as i32;
    /// PC.
    pub const PC: i32 = offset_of!(CpuState, pc) as i32;
    /// Flags kind.
    pub const NZCV_KIND: i32 = offset_of!(CpuState, nzcv_kind) as i32;
    /// Flags operand a.
    pub const NZCV_A: i32 = offset_of!(CpuState, nzcv_a) as i32;
    /// Flags operand b.
    pub const NZCV_B: i32 = offset_of!(CpuState, nzcv_b) as i32;
    /// V`n`.
    pub const fn vreg(n: u8) -> i32 {
        offset_of!(CpuState, v) as i32 + (n as i32) * 16
    }
    /// FPCR.
    pub const FPCR: i32 = offset_of!(CpuState, fpcr) as i32;
    /// FPSR.
    pub const FPSR: i32 = offset_of!(CpuState, fpsr) as i32;
    /// TPIDR_EL0.
    pub const TPIDR: i32 = offset_of!(CpuState, tpidr_el0) as i32;
    /// The DIT and SSBS bits.
    pub const PSTATE: i32 = offset_of!(CpuState, pstate) as i32;
    /// Exclusive monitor address.
    pub const EXCL_ADDR: i32 = offset_of!(CpuState, excl_addr) as i32;
    /// Exclusive monitor value.
    pub const EXCL_VAL: i32 = offset_of!(CpuState, excl_val) as i32;
    /// Exclusive monitor size.
    pub const EXCL_SIZE: i32 = offset_of!(CpuState, excl_size) as i32;
    /// Patch site of the last exit.
    pub const EXIT_SITE: i32 = offset_of!(CpuState, exit_site) as i32;
    /// Exit argument.
    pub const EXIT_ARG: i32 = offset_of!(CpuState, exit_arg) as i32;
    /// Jump cache pointer.
    pub const JUMP_CACHE: i32 = offset_of!(CpuState, jump_cache) as i32;
    /// Jump cache index mask.
    pub const JUMP_MASK: i32 = offset_of!(CpuState, jump_mask) as i32;
    /// Pending host signal flag.
    pub const PENDING: i32 = offset_of!(CpuState, pending) as i32;
    /// Start of the code IC IVAU named since the last barrier.
    pub const INVAL_LO: i32 = offset_of!(CpuState, inval_lo) as i32;
    /// End of it (0: none).
    pub const INVAL_HI: i32 = offset_of!(CpuState, inval_hi) as i32;
    /// The guest's MXCSR.
    pub const MXCSR: i32 = offset_of!(CpuState, mxcsr) as i32;
    /// The VM's MXCSR while translated code runs.
    pub const HOST_MXCSR: i32 = offset_of!(CpuState, host_mxcsr) as i32;
    /// [`CpuState::fp_const`].
    pub const FP_CONST: i32 = offset_of!(CpuState, fp_const) as i32;
    const _: () = assert!(FP_CONST % 16 == 0);
    /// Non-zero: inline FP code takes its slow path.
    pub const FP_SLOW: i32 = offset_of!(CpuState, fp_slow) as i32;
    /// [`CpuState::vec_const`].
    pub const VEC_CONST: i32 = offset_of!(CpuState, vec_const) as i32;
    const _: () = assert!(SP == 248 && PC == 256);
    const _: () = assert!(vreg(0) % 16 == 0);
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn lazy_flags_match_add_with_carry() {
        // cmp 0, 1: N=1 Z=0 C=0 V=0
        assert_eq!(materialize_nzcv(2, 0, 1), 0x8000_0000);
        // cmp 5, 5: Z=1 C=1
        assert_eq!(materialize_nzcv(2, 5, 5), 0x6000_0000);
        // cmp INT_MIN, 1 (32-bit): V=1 C=1
        assert_eq!(materialize_nzcv(1, 0x8000_0000, 1), 0x3000_0000);
        // adds 0xffffffff + 1 (32-bit): Z=1 C=1
        assert_eq!(materialize_nzcv(3, 0xffff_ffff, 1), 0x6000_0000);
    }
}
