//! Half precision (FEAT_FP16) as a format of the scalar semantics in [`super::fpsem`]: the
//! [`F16`] value type, and the two places where halves cannot use the host's arithmetic
//! directly, because x86 (without AVX512-FP16) has no half-precision arithmetic:
//!
//! - [`hw`]: +, -, *, /, sqrt and the fused multiply-add are computed in double precision
//!   rounding toward zero, the last bit set when inexact ("round to odd"), then rounded once to
//!   half precision by A64's `FPRound` ([`round`]). Round to odd at 53 bits keeps enough
//!   information for any later rounding to 11 bits to be the correctly rounded one (53 >=
//!   11 + 2), in every rounding mode, and the tininess test (before rounding) sees the right
//!   magnitude: rounding toward zero never crosses the smallest normal half from above.
//! - [`from_int`]: `FixedToFP`'s one rounding of an integer scaled by 2^-fbits, which for
//!   halves can overflow or land in the denormal range.
//!
//! `FPRound` for halves (FPCR.AHP is cleared for arithmetic): FPCR.FZ16 flushes a result tiny
//! before rounding to zero, raising UFC alone; otherwise underflow is raised when the result is
//! tiny before rounding and inexact. FPCR.FZ does not apply to halves, and flushing a denormal
//! half input under FZ16 raises no IDC (`FPUnpack`).

use super::fpenv::{hw_op, mxcsr_for_fpcr, mxcsr_to_fpsr, FpEnv, HwOp, IOC, MXCSR_PE};
use super::vechalf::{from_half, round_to_half, S};

/// A half-precision value (its IEEE bit pattern); comparisons are by value, as the host's
/// float types compare.
#[derive(Debug, Clone, Copy)]
pub struct F16(pub u16);

impl F16 {
    /// The value as a single (exact: every half is a single; a NaN stays a NaN, quieted).
    pub fn to_f32(self) -> f32 {
        f32::from_bits(from_half(self.0, S, 0, &mut 0) as u32)
    }

    /// The half of `v`, a value halves represent exactly (integers up to 2^11 and below
    /// 65520, the results of rounding a half to an integral value, the infinities: FRINT* of
    /// an infinite half).
    pub fn exact(v: f64) -> Self {
        let mut flags = 0;
        let (sign, mag) = (v.is_sign_negative() as u16, v.abs());
        if mag == 0.0 {
            return Self(sign << 15);
        }
        if mag.is_infinite() {
            return Self(sign << 15 | 0x7c00);
        }
        let (mant, e2) = decompose(mag);
        let h = round_to_half(sign, mant, e2, 0, false, &mut flags);
        debug_assert_eq!(flags, 0, "{v} is not a half");
        Self(h)
    }

    /// Whether the value is a NaN.
    pub fn is_nan(self) -> bool {
        self.0 & 0x7c00 == 0x7c00 && self.0 & 0x3ff != 0
    }
}

impl PartialEq for F16 {
    fn eq(&self, o: &Self) -> bool {
        self.to_f32() == o.to_f32()
    }
}

impl PartialOrd for F16 {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        self.to_f32().partial_cmp(&o.to_f32())
    }
}

impl std::ops::Neg for F16 {
    type Output = Self;
    fn neg(self) -> Self {
        Self(self.0 ^ 0x8000)
    }
}

/// A finite, non-zero, positive double as `mant * 2^e2` with `mant` an integer.
fn decompose(x: f64) -> (u64, i64) {
    let b = x.to_bits();
    let (exp, frac) = ((b >> 52) as i64, b & ((1 << 52) - 1));
    if exp == 0 {
        (frac, -1074)
    } else {
        (frac | 1 << 52, exp - 1075)
    }
}

/// `FPRound` to half precision of `(-1)^sign * mant * 2^e2` (`mant` > 0, the exact value or
/// one rounded to odd with at least two bits more than a half's significand).
pub fn round(sign: u16, mant: u64, e2: i64, env: &mut FpEnv) -> u64 {
    let top = 63 - mant.leading_zeros() as i64;
    if env.fz16() && top + e2 < -14 {
        env.flags |= super::fpenv::UFC;
        return (sign as u64) << 15;
    }
    // Arithmetic rounds with FPCR.AHP treated as 0.
    round_to_half(sign, mant, e2, env.fpcr, false, &mut env.flags) as u64
}

/// The double of half `h` (not a NaN): exact.
fn widen(h: u64) -> u64 {
    (F16(h as u16).to_f32() as f64).to_bits()
}

/// `op` on halves that are not NaNs (`FPAdd`, `FPSub`, `FPMul`, `FPDiv`, `FPSqrt`,
/// `FPMulAdd` after their NaN and special-case handling): see the module header.
pub fn hw(env: &mut FpEnv, op: HwOp, n: u64, m: u64, a: u64) -> u64 {
    let (n, m, a) = (widen(n), widen(m), widen(a));
    let (r, fl) = hw_op(op, true, n, m, a, mxcsr_for_fpcr(3 << 22));
    let x = f64::from_bits(r);
    if x.is_nan() {
        // Invalid operations (inf - inf, 0 * inf, sqrt of a negative) give the default NaN.
        env.flags |= mxcsr_to_fpsr(fl) | IOC;
        return 0x7e00;
    }
    let sign = x.is_sign_negative() as u16;
    if x.is_infinite() {
        // From an infinite operand or a division by zero (DZC): exact.
        env.flags |= mxcsr_to_fpsr(fl);
        return (sign as u64) << 15 | 0x7c00;
    }
    if x == 0.0 {
        // An exact zero, whose sign depends on the rounding mode (x - x is -0 rounding down).
        let (z, _) = hw_op(op, true, n, m, a, env.mxcsr());
        return (z >> 48) & 0x8000;
    }
    let (mut mant, e2) = decompose(x.abs());
    if fl & MXCSR_PE != 0 {
        mant |= 1;
    }
    round(sign, mant, e2, env)
}

/// `FixedToFP` to half precision: the integer `mag` (negated when `neg`) times 2^-`fbits`,
/// rounded once.
pub fn from_int(neg: bool, mag: u64, fbits: u8, env: &mut FpEnv) -> u64 {
    if mag == 0 {
        return 0;
    }
    round(neg as u16, mag, -(fbits as i64), env)
}

/// `FPUnpack`'s flush of a denormal half under FPCR.FZ16 (no IDC).
pub fn unpack(x: u64, env: &FpEnv) -> u64 {
    if x & 0x7c00 == 0 && env.fz16() {
        x & 0x8000
    } else {
        x
    }
}

#[cfg(test)]
mod tests {
    use super::super::fpenv::{DZC, FPCR_FZ16, IXC, OFC, UFC};
    use super::*;

    fn op(fpcr: u64, o: HwOp, n: u16, m: u16, a: u16) -> (u64, u64) {
        let mut env = FpEnv::new(fpcr);
        let r = hw(&mut env, o, n as u64, m as u64, a as u64);
        (r, env.flags)
    }

    #[test]
    fn arithmetic_rounds_once() {
        // 1 + 2^-11 is a tie: to even (1.0); 1 + 3*2^-11 a tie to even 1 + 2^-9; 1 + 3*2^-12
        // rounds up to 1 + 2^-10.
        assert_eq!(op(0, HwOp::Add, 0x3c00, 0x1000, 0), (0x3c00, IXC));
        assert_eq!(op(0, HwOp::Add, 0x3c00, 0x1600, 0), (0x3c02, IXC));
        assert_eq!(op(0, HwOp::Add, 0x3c00, 0x1200, 0), (0x3c01, IXC));
        // 1/3: 0x3555 to nearest, toward +inf the same, toward zero 0x3555.
        assert_eq!(op(0, HwOp::Div, 0x3c00, 0x4200, 0), (0x3555, IXC));
        assert_eq!(op(1 << 22, HwOp::Div, 0x3c00, 0x4200, 0), (0x3556, IXC));
        assert_eq!(op(3 << 22, HwOp::Div, 0x3c00, 0x4200, 0), (0x3555, IXC));
        // Overflow: to infinity, or the largest half toward zero.
        assert_eq!(op(0, HwOp::Add, 0x7bff, 0x7bff, 0), (0x7c00, OFC | IXC));
        assert_eq!(op(3 << 22, HwOp::Add, 0x7bff, 0x7bff, 0), (0x7bff, OFC | IXC));
        // The smallest denormal halved: a tie to even (0), tiny and inexact.
        assert_eq!(op(0, HwOp::Mul, 0x0001, 0x3800, 0), (0, UFC | IXC));
        // Under FZ16 a tiny result is zero with UFC alone; FZ does nothing to halves.
        assert_eq!(op(FPCR_FZ16, HwOp::Mul, 0x0400, 0x3800, 0), (0, UFC));
        assert_eq!(op(1 << 24, HwOp::Mul, 0x0400, 0x3800, 0), (0x0200, 0));
        // Exact zeros take the rounding mode's sign.
        assert_eq!(op(0, HwOp::Sub, 0x3c00, 0x3c00, 0), (0, 0));
        assert_eq!(op(2 << 22, HwOp::Sub, 0x3c00, 0x3c00, 0), (0x8000, 0));
        assert_eq!(op(0, HwOp::Div, 0x3c00, 0, 0), (0x7c00, DZC));
        assert_eq!(op(0, HwOp::Sqrt, 0xbc00, 0, 0), (0x7e00, IOC));
        // Fused: 2 * 3 + 1 = 7 exactly.
        assert_eq!(op(0, HwOp::Fma, 0x4000, 0x4200, 0x3c00), (0x4700, 0));
    }

    #[test]
    fn fixed_to_half() {
        let mut env = FpEnv::new(0);
        assert_eq!(from_int(false, 65504, 0, &mut env), 0x7bff);
        assert_eq!(from_int(true, 1, 24, &mut env), 0x8001);
        assert_eq!(env.flags, 0);
        assert_eq!(from_int(false, 65520, 0, &mut env), 0x7c00);
        assert_eq!(env.flags, OFC | IXC);
        assert_eq!(F16::exact(2048.0).0, 0x6800);
        assert_eq!(F16(0x7bff).to_f32(), 65504.0);
        assert_eq!(F16(0x8001).to_f32(), -(2f32.powi(-24)));
    }
}
