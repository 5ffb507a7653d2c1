//! A64 semantics of one scalar FP operation (one lane of a vector one) in plain Rust, after the
//! Arm ARM's shared pseudocode (J1: `FPUnpack`, `FPProcessNaNs`, `FPAdd` & co., `FPMulAdd`,
//! `FPMax`/`FPMin`/`FPMaxNum`/`FPMinNum`, `FPCompare`, `FPRoundInt`, `FPToFixed`,
//! `FixedToFP`, `FPConvert`, `FPRound`), honouring FPCR.RMode, FZ and DN and raising FPSR's
//! cumulative flags in an [`FpEnv`]. Correctly rounded arithmetic is the host's, run under an
//! MXCSR with the guest's rounding mode ([`hw_op`]); [`FpEnv::round`] turns x86's rounding
//! flags into A64's. NaNs are handled as bit patterns: LLVM treats NaN payloads as unspecified.

use super::fp::{FpKind, FpOp, FpTy, IntW};
use super::fpenv::{hw_op, mxcsr_for_fpcr, mxcsr_to_fpsr, FpEnv, HwOp, IOC, IXC};
use super::fphalf::{self, F16};
use crate::ops::FpRound;

/// The IEEE formats as A64's pseudocode sees them.
pub(super) trait Fmt: Copy + PartialOrd + std::ops::Neg<Output = Self> {
    const SIGN: u64;
    const QUIET: u64;
    const DEFAULT_NAN: u64;
    const INF: u64;
    const MIN_NORMAL: u64;
    /// Significand bits, the hidden one included.
    const PREC: u32;
    /// The exponent bias.
    const BIAS: i64;
    const DOUBLE: bool;
    /// Half precision, which the host has no arithmetic for ([`super::fphalf`]).
    const HALF: bool;
    fn from_u(b: u64) -> Self;
    fn u(self) -> u64;
    fn nan(self) -> bool;
    fn zero(self) -> bool;
    fn inf(self) -> bool;
    fn round_with(self, r: FpRound) -> Self;
    fn to_f64(self) -> f64;
    fn from_u64(x: u64) -> Self;
    fn scale(self, e: i32) -> Self;
    /// The bits of `v`, a value the format represents exactly.
    fn bits_of(v: f64) -> u64;
}

macro_rules! fmt_impl {
    ($t:ty, $sign:expr, $quiet:expr, $dn:expr, $inf:expr, $min:expr, $prec:expr, $bias:expr, $double:expr) => {
        impl Fmt for $t {
            const SIGN: u64 = $sign;
            const QUIET: u64 = $quiet;
            const DEFAULT_NAN: u64 = $dn;
            const INF: u64 = $inf;
            const MIN_NORMAL: u64 = $min;
            const PREC: u32 = $prec;
            const BIAS: i64 = $bias;
            const DOUBLE: bool = $double;
            const HALF: bool = false;
            fn from_u(b: u64) -> Self {
                <$t>::from_bits(b as _)
            }
            fn u(self) -> u64 {
                self.to_bits() as u64
            }
            fn nan(self) -> bool {
                self.is_nan()
            }
            fn zero(self) -> bool {
                self == 0.0
            }
            fn inf(self) -> bool {
                self.is_infinite()
            }
            fn round_with(self, r: FpRound) -> Self {
                match r {
                    FpRound::P => self.ceil(),
                    FpRound::M => self.floor(),
                    FpRound::Z | FpRound::Z32 | FpRound::Z64 => self.trunc(),
                    FpRound::A => self.round(),
                    // Callers resolve the FPCR-dependent modes first.
                    _ => self.round_ties_even(),
                }
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn from_u64(x: u64) -> Self {
                // Only called with values the format represents exactly.
                x as $t
            }
            fn scale(self, e: i32) -> Self {
                // Exact for the |e| <= 64 used here (no overflow or underflow of the scale).
                self * (2.0 as $t).powi(e)
            }
            fn bits_of(v: f64) -> u64 {
                (v as $t).to_bits() as u64
            }
        }
    };
}

fmt_impl!(
    f32,
    1 << 31,
    1 << 22,
    0x7fc0_0000,
    0x7f80_0000,
    0x0080_0000,
    24,
    127,
    false
);
fmt_impl!(
    f64,
    1 << 63,
    1 << 51,
    0x7ff8_0000_0000_0000,
    0x7ff0_0000_0000_0000,
    0x0010_0000_0000_0000,
    53,
    1023,
    true
);

impl Fmt for F16 {
    const SIGN: u64 = 0x8000;
    const QUIET: u64 = 0x200;
    const DEFAULT_NAN: u64 = 0x7e00;
    const INF: u64 = 0x7c00;
    const MIN_NORMAL: u64 = 0x0400;
    const PREC: u32 = 11;
    const BIAS: i64 = 15;
    const DOUBLE: bool = false;
    const HALF: bool = true;
    fn from_u(b: u64) -> Self {
        F16(b as u16)
    }
    fn u(self) -> u64 {
        self.0 as u64
    }
    fn nan(self) -> bool {
        self.is_nan()
    }
    fn zero(self) -> bool {
        self.0 & 0x7fff == 0
    }
    fn inf(self) -> bool {
        self.0 & 0x7fff == 0x7c00
    }
    fn round_with(self, r: FpRound) -> Self {
        // Through the single of the same value: an integral half is exact there and back.
        F16::exact(Fmt::round_with(self.to_f32(), r) as f64)
    }
    fn to_f64(self) -> f64 {
        self.to_f32() as f64
    }
    fn from_u64(x: u64) -> Self {
        F16::exact(x as f64)
    }
    fn scale(self, e: i32) -> Self {
        F16::exact(self.to_f64() * 2f64.powi(e))
    }
    fn bits_of(v: f64) -> u64 {
        F16::exact(v).0 as u64
    }
}

fn is_nan<F: Fmt>(x: u64) -> bool {
    F::from_u(x).nan()
}

pub(super) fn is_snan<F: Fmt>(x: u64) -> bool {
    is_nan::<F>(x) && x & F::QUIET == 0
}

fn is_qnan<F: Fmt>(x: u64) -> bool {
    is_nan::<F>(x) && x & F::QUIET != 0
}

/// `FPUnpack`'s flush of a denormal operand under FPCR.FZ (IDC), or of a half under FZ16.
pub(super) fn unpack<F: Fmt>(env: &mut FpEnv, x: u64) -> u64 {
    if F::HALF {
        fphalf::unpack(x, env)
    } else {
        env.flush_in(x, F::SIGN, F::MIN_NORMAL)
    }
}

/// Whether results that are tiny before rounding are flushed to zero: FPCR.FZ, or FZ16 for
/// halves.
pub(super) fn flushes<F: Fmt>(env: &FpEnv) -> bool {
    if F::HALF {
        env.fz16()
    } else {
        env.fz()
    }
}

/// `FPProcessNaN`: the NaN quieted (IOC if it was signalling), or the default NaN with FPCR.DN.
fn process_nan<F: Fmt>(x: u64, env: &mut FpEnv) -> u64 {
    if is_snan::<F>(x) {
        env.flags |= IOC;
    }
    if env.dn() {
        F::DEFAULT_NAN
    } else {
        x | F::QUIET
    }
}

/// `FPProcessNaNs3` over the operands in order (one to three): the first signalling NaN,
/// else the first quiet NaN, processed; None if no operand is a NaN.
pub(super) fn process_nans<F: Fmt>(ops: &[u64], env: &mut FpEnv) -> Option<u64> {
    let x = ops
        .iter()
        .find(|x| is_snan::<F>(**x))
        .or_else(|| ops.iter().find(|x| is_qnan::<F>(**x)))?;
    Some(process_nan::<F>(*x, env))
}

/// `op` on non-NaN operands, computed by the host in FPCR's rounding mode and rounded as
/// A64 rounds (`FPRound`); a NaN result is the default NaN.
pub(super) fn hw<F: Fmt>(env: &mut FpEnv, op: HwOp, n: u64, m: u64, a: u64) -> u64 {
    if F::HALF {
        return fphalf::hw(env, op, n, m, a);
    }
    let (r, fl) = hw_op(op, F::DOUBLE, n, m, a, env.mxcsr());
    if is_nan::<F>(r) {
        env.flags |= mxcsr_to_fpsr(fl);
        return F::DEFAULT_NAN;
    }
    env.round(r, fl, F::SIGN, F::MIN_NORMAL, || {
        hw_op(op, F::DOUBLE, n, m, a, mxcsr_for_fpcr(3 << 22)).0
    })
}

/// `FPMax`/`FPMin` (`max` selects) on non-NaN operands: -0 < +0.
fn max_min<F: Fmt>(a: u64, b: u64, max: bool) -> u64 {
    let (x, y) = (F::from_u(a), F::from_u(b));
    if x.zero() && y.zero() {
        // Max: +0 unless both are -0 (sign1 AND sign2); min: -0 if either is (sign1 OR sign2).
        return if max { a & b } else { a | b } & F::SIGN;
    }
    if (x > y) == max {
        a
    } else {
        b
    }
}

pub(super) fn neg_bits<F: Fmt>(x: u64) -> u64 {
    x ^ F::SIGN
}

fn arith2<F: Fmt>(k: FpKind, a: u64, b: u64, env: &mut FpEnv) -> u64 {
    use FpKind::*;
    let (a, b) = (unpack::<F>(env, a), unpack::<F>(env, b));
    let (a, b) = match k {
        // FPMaxNum/FPMinNum: a quiet NaN loses to anything but another quiet NaN (it becomes
        // -inf for max, +inf for min; a signalling NaN then still propagates).
        MaxNm | MinNm => {
            let inf = if k == MaxNm { F::INF | F::SIGN } else { F::INF };
            match (is_qnan::<F>(a), is_qnan::<F>(b)) {
                (true, false) => (inf, b),
                (false, true) => (a, inf),
                _ => (a, b),
            }
        }
        _ => (a, b),
    };
    if let Some(n) = process_nans::<F>(&[a, b], env) {
        return if k == Nmul { neg_bits::<F>(n) } else { n };
    }
    match k {
        Add => hw::<F>(env, HwOp::Add, a, b, 0),
        Sub => hw::<F>(env, HwOp::Sub, a, b, 0),
        Mul => hw::<F>(env, HwOp::Mul, a, b, 0),
        Div => hw::<F>(env, HwOp::Div, a, b, 0),
        Nmul => neg_bits::<F>(hw::<F>(env, HwOp::Mul, a, b, 0)),
        Max | MaxNm => max_min::<F>(a, b, true),
        Min | MinNm => max_min::<F>(a, b, false),
        _ => unreachable!(),
    }
}

/// `FPMulAdd(addend, op1, op2)` with the operand negations of FMSUB/FNMADD/FNMSUB applied
/// first (`FPNeg` flips NaNs' signs too).
fn muladd<F: Fmt>(k: FpKind, a: u64, n: u64, m: u64, env: &mut FpEnv) -> u64 {
    let (neg_a, neg_n) = match k {
        FpKind::Madd => (false, false),
        FpKind::Msub => (false, true),
        FpKind::Nmadd => (true, true),
        _ => (true, false),
    };
    let a = unpack::<F>(env, if neg_a { neg_bits::<F>(a) } else { a });
    let n = unpack::<F>(env, if neg_n { neg_bits::<F>(n) } else { n });
    let m = unpack::<F>(env, m);
    let (fn_, fm) = (F::from_u(n), F::from_u(m));
    let inf_times_zero = (fn_.inf() && fm.zero()) || (fn_.zero() && fm.inf());
    if is_qnan::<F>(a) && inf_times_zero {
        env.flags |= IOC;
        return F::DEFAULT_NAN;
    }
    if let Some(x) = process_nans::<F>(&[a, n, m], env) {
        return x;
    }
    hw::<F>(env, HwOp::Fma, n, m, a)
}

/// A half that is not a NaN, as the single of the same value (exact).
fn widen_half(h: u64) -> u64 {
    F16(h as u16).to_f32().to_bits() as u64
}

/// `FPMulAddH(addend, op1, op2)` (FMLAL and FMLSL, FEAT_FHM): single `addend` plus the product
/// of halves `h1` and `h2`, rounded once. The product of two halves is exact in single
/// precision, so this is the host's single FMA of their widenings. NaNs as `FPProcessNaNs3H`:
/// the first signalling NaN, else the first quiet one, in the order addend, `h1`, `h2`, a half
/// NaN processed and then widened (`FPConvertNaN`: sign and payload kept).
pub(super) fn mul_add_h(addend: u64, h1: u64, h2: u64, env: &mut FpEnv) -> u64 {
    let a = unpack::<f32>(env, addend);
    let (h1, h2) = (fphalf::unpack(h1, env), fphalf::unpack(h2, env));
    let nan = |h: u64| h & 0x7c00 == 0x7c00 && h & 0x3ff != 0;
    let snan = |h: u64| nan(h) && h & 0x200 == 0;
    let (inf, zero) = (|h: u64| h & 0x7fff == 0x7c00, |h: u64| h & 0x7fff == 0);
    if is_qnan::<f32>(a) && ((inf(h1) && zero(h2)) || (zero(h1) && inf(h2))) {
        env.flags |= IOC;
        return f32::DEFAULT_NAN;
    }
    let half_nan = |h: u64, env: &mut FpEnv| {
        if snan(h) {
            env.flags |= IOC;
        }
        if env.dn() {
            f32::DEFAULT_NAN
        } else {
            (h & 0x8000) << 16 | 0x7fc0_0000 | (h & 0x1ff) << 13
        }
    };
    if is_snan::<f32>(a) {
        return process_nan::<f32>(a, env);
    }
    if let Some(&h) = [h1, h2].iter().find(|&&h| snan(h)) {
        return half_nan(h, env);
    }
    if is_qnan::<f32>(a) {
        return process_nan::<f32>(a, env);
    }
    if let Some(&h) = [h1, h2].iter().find(|&&h| nan(h)) {
        return half_nan(h, env);
    }
    hw::<f32>(env, HwOp::Fma, widen_half(h1), widen_half(h2), a)
}

/// `FPCompare` (`signal`: FCMPE, FCMGE & co., which raise IOC on quiet NaNs too): NZCV in
/// bits 31:28.
fn compare<F: Fmt>(a: u64, b: u64, signal: bool, env: &mut FpEnv) -> u64 {
    let (a, b) = (unpack::<F>(env, a), unpack::<F>(env, b));
    let (x, y) = (F::from_u(a), F::from_u(b));
    let nzcv: u64 = if x.nan() || y.nan() {
        if signal || is_snan::<F>(a) || is_snan::<F>(b) {
            env.flags |= IOC;
        }
        0b0011
    } else if x == y {
        0b0110
    } else if x < y {
        0b1000
    } else {
        0b0010
    };
    nzcv << 28
}

/// The rounding FPCR.RMode selects.
pub(super) fn fpcr_round(fpcr: u64) -> FpRound {
    [FpRound::N, FpRound::P, FpRound::M, FpRound::Z][(fpcr >> 22 & 3) as usize]
}

/// `round`, with `Fpcr`, `X`, `X32` and `X64` resolved to FPCR.RMode.
fn rounding(round: FpRound, env: &FpEnv) -> FpRound {
    match round {
        FpRound::Fpcr | FpRound::X | FpRound::X32 | FpRound::X64 => fpcr_round(env.fpcr),
        r => r,
    }
}

/// `FPToFixed`: NaN gives 0, out-of-range values saturate (both IOC); else IXC if inexact.
fn to_int<F: Fmt>(x: u64, f: &FpOp, env: &mut FpEnv) -> u64 {
    let x = unpack::<F>(env, x);
    if is_nan::<F>(x) {
        env.flags |= IOC;
        return 0;
    }
    // Exact: every f32 and f64 value times 2^fbits (fbits <= 64) is representable or overflows
    // to infinity, which saturates the same way.
    let v = F::from_u(x).to_f64().scale(f.fbits as i32);
    let r = v.round_with(rounding(f.round, env));
    let (lo, hi) = if f.signed {
        let h = 2f64.powi(f.int.bits() as i32 - 1);
        (-h, h)
    } else {
        (0.0, 2f64.powi(f.int.bits() as i32))
    };
    if !(r >= lo && r < hi) {
        env.flags |= IOC;
    } else if r != v {
        env.flags |= IXC;
    }
    // Rust's float -> int casts saturate as FPToFixed does.
    match (f.signed, f.int) {
        (true, IntW::W64) => r as i64 as u64,
        (true, IntW::W32) => r as i32 as u32 as u64,
        (true, IntW::W16) => r as i16 as u16 as u64,
        (false, IntW::W64) => r as u64,
        (false, IntW::W32) => r as u32 as u64,
        (false, IntW::W16) => r as u16 as u64,
    }
}

/// `FPToFixedJS` of the double `op` whose value (after FPUnpack's flush) is `v`: toward zero,
/// the low 32 bits of the integer, and bit 32 (Z) set only when the conversion was exact: not a
/// NaN, an infinity, out of the 32-bit range, inexact, negative zero or a flushed denormal.
fn to_int_js(op: u64, v: f64, env: &mut FpEnv) -> u64 {
    if v.is_nan() {
        env.flags |= IOC;
        return 0;
    }
    if v.is_infinite() {
        env.flags |= IOC;
        return 0;
    }
    let t = v.trunc();
    let low = if t.abs() < 2f64.powi(63) {
        t as i64 as u32
    } else {
        // |t| = mantissa * 2^exp with exp >= 11: its low 32 bits, negated for negative t.
        let bits = t.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i64 - 1075;
        let mant = (bits & ((1 << 52) - 1)) | (1 << 52);
        let mag = if exp >= 32 { 0 } else { (mant << exp) as u32 };
        if t < 0.0 {
            mag.wrapping_neg()
        } else {
            mag
        }
    };
    let negative_zero = v == 0.0 && op >> 63 == 1;
    let flushed = v == 0.0 && op >> 63 == 0 && op & ((1 << 52) - 1) != 0;
    let exact = if !(-2147483648.0..=2147483647.0).contains(&t) {
        env.flags |= IOC;
        false
    } else if t != v {
        env.flags |= IXC;
        false
    } else {
        !negative_zero && !flushed
    };
    low as u64 | (exact as u64) << 32
}

/// `FixedToFP`: the integer rounded once in FPCR's mode (IXC if inexact), then an exact scale
/// by 2^-fbits. Zero is +0.
fn from_int<F: Fmt>(x: u64, f: &FpOp, env: &mut FpEnv) -> u64 {
    let (neg, mag) = match (f.signed, f.int) {
        (true, IntW::W64) => ((x as i64) < 0, (x as i64).unsigned_abs()),
        (true, IntW::W32) => ((x as i32) < 0, (x as i32).unsigned_abs() as u64),
        (true, IntW::W16) => ((x as i16) < 0, (x as i16).unsigned_abs() as u64),
        (false, w) => (false, x & w.mask()),
    };
    if F::HALF {
        // A half's range is so small that the scaled value can overflow or be denormal.
        return fphalf::from_int(neg, mag, f.fbits, env);
    }
    if mag == 0 {
        return 0;
    }
    let bits = 64 - mag.leading_zeros();
    let (q, shift) = if bits <= F::PREC {
        (mag, 0)
    } else {
        let sh = bits - F::PREC;
        let (q, rem, half) = (mag >> sh, mag & ((1u64 << sh) - 1), 1u64 << (sh - 1));
        let up = match fpcr_round(env.fpcr) {
            FpRound::N => rem > half || (rem == half && q & 1 == 1),
            FpRound::P => rem != 0 && !neg,
            FpRound::M => rem != 0 && neg,
            _ => false,
        };
        if rem != 0 {
            env.flags |= IXC;
        }
        (q + up as u64, sh)
    };
    let v = F::from_u64(q).scale(shift as i32 - f.fbits as i32);
    (if neg { -v } else { v }).u()
}

/// `FPConvert` between precisions (FCVT); halves through [`super::vechalf`].
fn convert(x: u64, from: FpTy, to: FpTy, env: &mut FpEnv) -> u64 {
    use crate::ops::HalfCvt;
    let half = |op, env: &mut FpEnv| super::vechalf::eval(op, x as u128, 0, env.fpcr, &mut env.flags) as u64;
    match (from, to) {
        // (FCVT to the same precision is unallocated.)
        (FpTy::H, FpTy::H) | (FpTy::S, FpTy::S) | (FpTy::D, FpTy::D) => x,
        (FpTy::H, t) => half(HalfCvt::ScalarFromHalf { double: t == FpTy::D }, env),
        (f, FpTy::H) => half(HalfCvt::ScalarToHalf { double: f == FpTy::D }, env),
        (FpTy::S, FpTy::D) => {
            let x = unpack::<f32>(env, x);
            if is_nan::<f32>(x) {
                if is_snan::<f32>(x) {
                    env.flags |= IOC;
                }
                if env.dn() {
                    return f64::DEFAULT_NAN;
                }
                // sign : exponent ones : quiet : fraction<21:0> : zeros
                let sign = (x >> 31 & 1) << 63;
                return sign | 0x7ff8_0000_0000_0000 | (x & 0x3f_ffff) << 29;
            }
            (f32::from_bits(x as u32) as f64).to_bits()
        }
        (FpTy::D, FpTy::S) => {
            let x = unpack::<f64>(env, x);
            if is_nan::<f64>(x) {
                if is_snan::<f64>(x) {
                    env.flags |= IOC;
                }
                if env.dn() {
                    return f32::DEFAULT_NAN;
                }
                let sign = (x >> 63 & 1) << 31;
                return sign | 0x7fc0_0000 | (x >> 29 & 0x3f_ffff);
            }
            let (r, fl) = hw_op(HwOp::CvtDS, true, x, 0, 0, env.mxcsr());
            env.round(r, fl, f32::SIGN, f32::MIN_NORMAL, || {
                hw_op(HwOp::CvtDS, true, x, 0, 0, mxcsr_for_fpcr(3 << 22)).0
            })
        }
    }
}

/// `FPConvert` of a double to single precision rounding to odd (FCVTXN): rounded toward zero,
/// the lowest fraction bit set when inexact.
pub(super) fn convert_odd(x: u64, env: &mut FpEnv) -> u64 {
    let x = unpack::<f64>(env, x);
    if is_nan::<f64>(x) {
        return convert(x, FpTy::D, FpTy::S, env);
    }
    let (r, fl) = hw_op(HwOp::CvtDS, true, x, 0, 0, mxcsr_for_fpcr(3 << 22));
    let inexact = fl & super::fpenv::MXCSR_PE != 0;
    let abs = r & !f32::SIGN;
    let flushed = env.fz() && abs < f32::MIN_NORMAL && (abs != 0 || inexact);
    let r = env.round(r, fl, f32::SIGN, f32::MIN_NORMAL, || r);
    if inexact && !flushed {
        r | 1
    } else {
        r
    }
}

/// `FPRoundInt` (FRINT*): FRINTX (`X`) raises IXC when the value changes.
fn round_int<F: Fmt>(x: u64, round: FpRound, env: &mut FpEnv) -> u64 {
    let x = unpack::<F>(env, x);
    let bits = match round {
        FpRound::Z32 | FpRound::X32 => 32,
        FpRound::Z64 | FpRound::X64 => 64,
        _ => 0,
    };
    if bits > 0 {
        // `FPRoundIntN`: NaN, infinity and out-of-range values give the most negative integer.
        let min = -(2f64.powi(bits - 1));
        let v = F::from_u(x);
        let r = if v.nan() || v.inf() {
            None
        } else {
            Some(v.round_with(rounding(round, env)))
        };
        return match r {
            Some(r) if r.to_f64() >= min && r.to_f64() < -min => {
                // Unlike FRINTZ, FRINT32Z and FRINT64Z raise IXC too.
                if r != v {
                    env.flags |= IXC;
                }
                r.u()
            }
            _ => {
                env.flags |= IOC;
                F::bits_of(min)
            }
        };
    }
    if let Some(n) = process_nans::<F>(&[x], env) {
        return n;
    }
    let v = F::from_u(x);
    let r = v.round_with(rounding(round, env));
    if round == FpRound::X && r != v {
        env.flags |= IXC;
    }
    r.u()
}

/// One operation `f` (its register fields ignored) on operand bit patterns `n`, `m`, `a`
/// (`n` is the integer of `FromInt`; `m` the second operand of `Cmp`).
pub(super) fn lane(f: &FpOp, n: u64, m: u64, a: u64, env: &mut FpEnv) -> u64 {
    // The integer of FromInt keeps its width (SCVTF s0, x1).
    let mask = f.ty.mask();
    let n = if f.kind == FpKind::FromInt { n } else { n & mask };
    let (m, a) = (m & mask, a & mask);
    match f.ty {
        FpTy::H => lane_ty::<F16>(f, n, m, a, env),
        FpTy::S => lane_ty::<f32>(f, n, m, a, env),
        FpTy::D => lane_ty::<f64>(f, n, m, a, env),
    }
}

fn lane_ty<F: Fmt>(f: &FpOp, n: u64, m: u64, a: u64, env: &mut FpEnv) -> u64 {
    use FpKind::*;
    match f.kind {
        Add | Sub | Mul | Div | Nmul | Max | Min | MaxNm | MinNm => arith2::<F>(f.kind, n, m, env),
        Abs => n & !F::SIGN,
        Neg => neg_bits::<F>(n),
        Sqrt => {
            let n = unpack::<F>(env, n);
            process_nans::<F>(&[n], env).unwrap_or_else(|| hw::<F>(env, HwOp::Sqrt, n, 0, 0))
        }
        Rint => round_int::<F>(n, f.round, env),
        Madd | Msub | Nmadd | Nmsub => muladd::<F>(f.kind, a, n, m, env),
        Cmp => compare::<F>(n, m, f.signal, env),
        ToInt => to_int::<F>(n, f, env),
        ToIntJs => to_int_js(n, F::from_u(unpack::<F>(env, n)).to_f64(), env),
        FromInt => from_int::<F>(n, f, env),
        Cvt => convert(n, f.ty, f.to, env),
    }
}
