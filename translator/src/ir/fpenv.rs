//! The A64 floating-point environment (FPCR.RMode/FZ/DN, FPSR's cumulative exception flags) and
//! how it maps onto the host's MXCSR.
//!
//! While translated code runs, the host MXCSR holds the guest's rounding mode (FPCR.RMode) with
//! every exception masked, and accumulates the exception flags of the inline SSE code: the entry
//! trampoline loads `CpuState::mxcsr`, the exit stores it back and restores the VM's own MXCSR.
//! The guest's FPSR is `CpuState::fpsr` (flags raised by the plain-Rust semantics, QC) ORed with
//! the MXCSR flags mapped to A64's bits ([`CpuState::fpsr_value`]). x86 and A64 differ in
//! tininess detection (x86 after rounding, A64 before), in flush-to-zero (A64's FZ flushes
//! results that are tiny before rounding and raises UFC without IXC; inputs raise IDC) and in
//! the denormal flag (x86's DE has no A64 counterpart; IDC is raised only by FZ): the inline code
//! sends those cases to the helpers, whose semantics ([`hw_op`] and [`FpEnv::round`]) fix them.

use crate::cpu::CpuState;
use std::arch::asm;

/// FPCR.DN (default NaN).
pub const FPCR_DN: u64 = 1 << 25;
/// FPCR.FZ (flush to zero).
pub const FPCR_FZ: u64 = 1 << 24;
/// FPCR.FZ16 (flush to zero, half precision).
pub const FPCR_FZ16: u64 = 1 << 19;
/// FPSR.IOC (invalid operation).
pub const IOC: u64 = 1;
/// FPSR.DZC (division by zero).
pub const DZC: u64 = 1 << 1;
/// FPSR.OFC (overflow).
pub const OFC: u64 = 1 << 2;
/// FPSR.UFC (underflow).
pub const UFC: u64 = 1 << 3;
/// FPSR.IXC (inexact).
pub const IXC: u64 = 1 << 4;
/// FPSR.IDC (input denormal).
pub const IDC: u64 = 1 << 7;

/// MXCSR with every exception masked, round to nearest, no FTZ/DAZ, flags clear.
pub const MXCSR_DEFAULT: u32 = 0x1f80;
/// MXCSR.PE (precision, i.e. inexact).
pub const MXCSR_PE: u32 = 1 << 5;
/// MXCSR's six exception flags.
pub const MXCSR_FLAGS: u32 = 0x3f;

/// The FPSR bits of MXCSR's exception flags: IE -> IOC, ZE -> DZC, OE -> OFC, UE -> UFC,
/// PE -> IXC (DE, the x86 denormal-operand flag, has no A64 counterpart).
pub fn mxcsr_to_fpsr(m: u32) -> u64 {
    ((m & 1) | ((m >> 1) & 0x1e)) as u64
}

/// The MXCSR (flags clear) whose rounding control matches FPCR.RMode (A64: 0 nearest,
/// 1 +inf, 2 -inf, 3 zero; x86 RC: 0 nearest, 1 down, 2 up, 3 zero).
pub fn mxcsr_for_fpcr(fpcr: u64) -> u32 {
    let rc = [0u32, 2, 1, 3][(fpcr >> 22 & 3) as usize];
    MXCSR_DEFAULT | rc << 13
}

/// The host MXCSR.
pub fn stmxcsr() -> u32 {
    let mut m = 0u32;
    // SAFETY: stores four bytes to a local.
    unsafe { asm!("stmxcsr [{p}]", p = in(reg) &mut m, options(nostack, preserves_flags)) };
    m
}

/// Load the host MXCSR (all exceptions must stay masked).
pub fn ldmxcsr(m: u32) {
    debug_assert_eq!(m & 0x1f80, 0x1f80, "exceptions stay masked");
    // SAFETY: loads four bytes from a local; every exception is masked.
    unsafe { asm!("ldmxcsr [{p}]", p = in(reg) &m, options(nostack, preserves_flags)) };
}

/// Guard for helpers called from translated code: runs Rust code under the VM's default MXCSR
/// and puts the guest's back (with its accumulated flags) when dropped.
pub struct HostMxcsr(u32);

impl HostMxcsr {
    /// Save the guest's MXCSR and switch to the default one.
    pub fn enter() -> Self {
        let m = stmxcsr();
        ldmxcsr(MXCSR_DEFAULT);
        Self(m)
    }
}

impl Drop for HostMxcsr {
    fn drop(&mut self) {
        ldmxcsr(self.0);
    }
}

/// Emitted code calls this for `MRS Xt, FPSR`.
///
/// # Safety
/// `cpu` must point to a live CpuState (the one emitted code runs on).
pub unsafe extern "C" fn helper_get_fpsr(cpu: *mut CpuState) -> u64 {
    // SAFETY: emitted code passes its pinned CpuState pointer.
    let cpu = unsafe { &mut *cpu };
    cpu.mxcsr = (cpu.mxcsr & !MXCSR_FLAGS) | (stmxcsr() & MXCSR_FLAGS);
    cpu.fpsr_value()
}

/// Emitted code calls this for `MSR FPSR, Xt`.
///
/// # Safety
/// As [`helper_get_fpsr`].
pub unsafe extern "C" fn helper_set_fpsr(cpu: *mut CpuState, v: u64) {
    // SAFETY: emitted code passes its pinned CpuState pointer.
    let cpu = unsafe { &mut *cpu };
    cpu.set_fpsr(v);
    ldmxcsr(cpu.mxcsr);
}

/// Emitted code calls this for `MSR FPCR, Xt`.
///
/// # Safety
/// As [`helper_get_fpsr`].
pub unsafe extern "C" fn helper_set_fpcr(cpu: *mut CpuState, v: u64) {
    // SAFETY: emitted code passes its pinned CpuState pointer.
    let cpu = unsafe { &mut *cpu };
    cpu.mxcsr = (cpu.mxcsr & !MXCSR_FLAGS) | (stmxcsr() & MXCSR_FLAGS);
    cpu.set_fpcr(v);
    ldmxcsr(cpu.mxcsr);
}

/// A host SSE/FMA3 operation the reference semantics run under a chosen MXCSR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HwOp {
    /// n + m.
    Add,
    /// n - m.
    Sub,
    /// n * m.
    Mul,
    /// n / m.
    Div,
    /// sqrt(n).
    Sqrt,
    /// n * m + a, one rounding.
    Fma,
    /// Double n to single.
    CvtDS,
}

macro_rules! hw_asm {
    ($ins:literal, $t:ty, $x:ident, $y:ident, $z:ident, $m:ident) => {{
        let mut save = 0u32;
        // SAFETY: the instruction works on registers only; MXCSR is saved, set (exceptions
        // masked) and restored around it, the two words live on this stack frame.
        unsafe {
            asm!(
                "stmxcsr [{s}]",
                "ldmxcsr [{m}]",
                $ins,
                "stmxcsr [{m}]",
                "ldmxcsr [{s}]",
                "/* {y} {z} */",
                s = in(reg) &mut save,
                m = in(reg) &mut $m,
                x = inout(xmm_reg) $x,
                y = in(xmm_reg) $y,
                z = in(xmm_reg) $z,
                options(nostack, preserves_flags),
            )
        };
    }};
}

/// Run `op` on the host under `mxcsr` (exceptions masked): the result bits and the MXCSR
/// exception flags it raised. `double` selects the precision of the operands (of the source
/// for `CvtDS`); `n`, `m`, `a` are bit patterns.
pub fn hw_op(op: HwOp, double: bool, n: u64, m: u64, a: u64, mxcsr: u32) -> (u64, u32) {
    let mut mx = mxcsr & !MXCSR_FLAGS;
    if double {
        let (mut x, y, z) = (n as i64, m as i64, a as i64);
        match op {
            HwOp::Add => hw_asm!("addsd {x}, {y}", i64, x, y, z, mx),
            HwOp::Sub => hw_asm!("subsd {x}, {y}", i64, x, y, z, mx),
            HwOp::Mul => hw_asm!("mulsd {x}, {y}", i64, x, y, z, mx),
            HwOp::Div => hw_asm!("divsd {x}, {y}", i64, x, y, z, mx),
            HwOp::Sqrt => hw_asm!("sqrtsd {x}, {x}", i64, x, y, z, mx),
            // x = x * y + z, but vfmadd231 accumulates into its first operand: z' = x*y + z.
            HwOp::Fma => {
                let mut acc = z;
                hw_asm!("vfmadd231sd {x}, {y}, {z}", i64, acc, x, y, mx);
                x = acc;
            }
            HwOp::CvtDS => {
                hw_asm!("cvtsd2ss {x}, {x}", i64, x, y, z, mx);
                x &= 0xffff_ffff;
            }
        }
        (x as u64, mx & MXCSR_FLAGS)
    } else {
        let (mut x, y, z) = (n as u32 as i32, m as u32 as i32, a as u32 as i32);
        match op {
            HwOp::Add => hw_asm!("addss {x}, {y}", i32, x, y, z, mx),
            HwOp::Sub => hw_asm!("subss {x}, {y}", i32, x, y, z, mx),
            HwOp::Mul => hw_asm!("mulss {x}, {y}", i32, x, y, z, mx),
            HwOp::Div => hw_asm!("divss {x}, {y}", i32, x, y, z, mx),
            HwOp::Sqrt => hw_asm!("sqrtss {x}, {x}", i32, x, y, z, mx),
            HwOp::Fma => {
                let mut acc = z;
                hw_asm!("vfmadd231ss {x}, {y}, {z}", i32, acc, x, y, mx);
                x = acc;
            }
            HwOp::CvtDS => unreachable!("CvtDS takes a double"),
        }
        (x as u32 as u64, mx & MXCSR_FLAGS)
    }
}

/// The FPCR an operation reads and the FPSR flags it raises.
#[derive(Debug, Clone, Copy)]
pub struct FpEnv {
    /// FPCR.
    pub fpcr: u64,
    /// Cumulative flags raised (FPSR bit positions).
    pub flags: u64,
}

impl FpEnv {
    /// An environment with `fpcr` and no flags raised.
    pub fn new(fpcr: u64) -> Self {
        Self { fpcr, flags: 0 }
    }

    /// FPCR.FZ.
    pub fn fz(&self) -> bool {
        self.fpcr & FPCR_FZ != 0
    }

    /// FPCR.FZ16 (flush-to-zero of half precision, FEAT_FP16).
    pub fn fz16(&self) -> bool {
        self.fpcr & FPCR_FZ16 != 0
    }

    /// FPCR.DN.
    pub fn dn(&self) -> bool {
        self.fpcr & FPCR_DN != 0
    }

    /// `FPUnpack`'s flush of a denormal input under FZ (raising IDC). `sign` and `min_normal`
    /// describe the format.
    pub fn flush_in(&mut self, x: u64, sign: u64, min_normal: u64) -> u64 {
        let abs = x & !sign;
        if self.fz() && abs != 0 && abs < min_normal {
            self.flags |= IDC;
            x & sign
        } else {
            x
        }
    }

    /// `FPRound` applied to a result the host computed (not a NaN: the caller handles those),
    /// given the MXCSR flags it raised and a way to recompute it rounding toward zero: A64
    /// detects tininess before rounding (a result that rounded up to the smallest normal may
    /// still be tiny), and FZ flushes tiny results to zero raising UFC alone.
    pub fn round(&mut self, r: u64, fl: u32, sign: u64, min_normal: u64, rz: impl FnOnce() -> u64) -> u64 {
        let mut flags = mxcsr_to_fpsr(fl) & !UFC;
        let abs = r & !sign;
        let inexact = fl & MXCSR_PE != 0;
        let tiny = if abs < min_normal {
            abs != 0 || inexact
        } else {
            abs == min_normal && inexact && rz() & !sign < min_normal
        };
        if tiny {
            if self.fz() {
                self.flags |= UFC;
                return r & sign;
            }
            if inexact {
                flags |= UFC;
            }
        }
        self.flags |= flags;
        r
    }

    /// The MXCSR of an operation rounding as FPCR.RMode says.
    pub fn mxcsr(&self) -> u32 {
        mxcsr_for_fpcr(self.fpcr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hardware_ops_round_and_flag() {
        let one = 1.0f64.to_bits();
        let third = (1.0f64 / 3.0).to_bits();
        let (r, fl) = hw_op(HwOp::Div, true, one, 3.0f64.to_bits(), 0, MXCSR_DEFAULT);
        assert_eq!((r, fl), (third, MXCSR_PE));
        // Toward zero and toward +inf differ in the last place.
        let (rz, _) = hw_op(HwOp::Div, true, one, 3.0f64.to_bits(), 0, mxcsr_for_fpcr(3 << 22));
        let (rp, _) = hw_op(HwOp::Div, true, one, 3.0f64.to_bits(), 0, mxcsr_for_fpcr(1 << 22));
        assert_eq!(rp, rz + 1);
        let (r, fl) = hw_op(HwOp::Div, false, 1.0f32.to_bits() as u64, 0, 0, MXCSR_DEFAULT);
        assert_eq!((r, mxcsr_to_fpsr(fl)), (f32::INFINITY.to_bits() as u64, DZC));
        let (r, _) = hw_op(HwOp::Fma, true, 2.0f64.to_bits(), 3.0f64.to_bits(), one, MXCSR_DEFAULT);
        assert_eq!(f64::from_bits(r), 7.0);
        let (r, fl) = hw_op(HwOp::CvtDS, true, 1e300f64.to_bits(), 0, 0, MXCSR_DEFAULT);
        assert_eq!(r, f32::INFINITY.to_bits() as u64);
        assert_eq!(mxcsr_to_fpsr(fl), OFC | IXC);
    }

    #[test]
    fn tininess_before_rounding() {
        // The largest denormal plus half an ulp rounds up to the smallest normal: tiny before
        // rounding, so A64 raises UFC.
        let min = f64::MIN_POSITIVE.to_bits();
        let mut env = FpEnv::new(0);
        let r = env.round(min, MXCSR_PE, 1 << 63, min, || min - 1);
        assert_eq!((r, env.flags), (min, UFC | IXC));
        let mut env = FpEnv::new(FPCR_FZ);
        let r = env.round(min, MXCSR_PE, 1 << 63, min, || min - 1);
        assert_eq!((r, env.flags), (0, UFC));
        assert_eq!(env.flush_in(5 | 1 << 63, 1 << 63, min), 1 << 63);
        assert_eq!(env.flags, UFC | IDC);
    }
}
