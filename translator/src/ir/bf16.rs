//! BFloat16 (FEAT_BF16, Arm ARM C7.2): BFCVT and BFCVTN(2), single to BFloat16 as FPCR says
//! (`FPConvertBF`); BFDOT and BFMMLA, whose `BFDotAdd` ignores FPCR (products and sums rounded
//! to odd, denormals flushed in and out, overflow to infinity, the default NaN, no exception
//! flags: the behaviour without FEAT_EBF16); BFMLALB/BFMLALT, an IEEE fused multiply-add of the
//! widened elements under FPCR (`BFMulAddH`).

use super::fp::{lane, FpKind, FpOp, FpTy};
use super::fpenv::{hw_op, mxcsr_for_fpcr, FpEnv, HwOp, IOC, IXC, MXCSR_PE, OFC, UFC};
use super::vfp::{get, put};
use crate::ops::{Bf16Op, Second};

/// The default NaN, single precision.
const DEFAULT_NAN: u32 = 0x7fc0_0000;

/// Evaluate `op` on V`n`, V`m` and the old V`d` (`q`: the 128-bit form), with FPCR and the
/// FPSR flags in `env`.
pub fn eval(op: Bf16Op, q: bool, n: u128, m: u128, d: u128, env: &mut FpEnv) -> u128 {
    match op {
        Bf16Op::Cvt => convert(get(n, 2, 0) as u32, env) as u128,
        Bf16Op::Cvtn { upper } => {
            let mut out = if upper { d & u64::MAX as u128 } else { 0 };
            let base = if upper { 4 } else { 0 };
            for i in 0..4 {
                put(&mut out, 1, base + i, convert(get(n, 2, i) as u32, env) as u64);
            }
            out
        }
        Bf16Op::Dot(second) => {
            let mut out = 0u128;
            for e in 0..if q { 4 } else { 2 } {
                let pair = match second {
                    Second::Vector => e,
                    Second::Element(i) => i as usize,
                };
                let (a, b) = (get(n, 2, e) as u32, get(m, 2, pair) as u32);
                put(&mut out, 2, e, dot_add(get(d, 2, e) as u32, a, b) as u64);
            }
            out
        }
        Bf16Op::Mmla => {
            // V`d` is a 2x2 matrix of singles, V`n` and V`m` 2x4 matrices of BFloat16 (rows of
            // two pairs): d[i][j] += n[i] . m[j].
            let mut out = 0u128;
            for i in 0..2 {
                for j in 0..2 {
                    let mut sum = get(d, 2, 2 * i + j) as u32;
                    for k in 0..2 {
                        sum = dot_add(sum, get(n, 2, 2 * i + k) as u32, get(m, 2, 2 * j + k) as u32);
                    }
                    put(&mut out, 2, 2 * i + j, sum as u64);
                }
            }
            out
        }
        Bf16Op::Mlal { top, m: second } => {
            let mut out = 0u128;
            let fma = FpOp::new(FpKind::Madd, FpTy::S);
            for e in 0..4 {
                let a = get(n, 1, 2 * e + top as usize) << 16;
                let b = match second {
                    Second::Vector => get(m, 1, 2 * e + top as usize),
                    Second::Element(i) => get(m, 1, i as usize),
                } << 16;
                put(&mut out, 2, e, lane(&fma, a, b, get(d, 2, e), env));
            }
            out
        }
    }
}

/// `FPConvertBF`: single `x` to BFloat16 in FPCR's rounding mode, FZ flushing a denormal input
/// (IDC), DN, and the flags of rounding (IXC, OFC, UFC: tiny before rounding).
fn convert(x: u32, env: &mut FpEnv) -> u16 {
    let x = env.flush_in(x as u64, 1 << 31, 0x0080_0000) as u32;
    let (sign, exp, frac) = (x & 0x8000_0000, x >> 23 & 0xff, x & 0x7f_ffff);
    if exp == 0xff {
        if frac == 0 {
            return (x >> 16) as u16;
        }
        if frac & 0x40_0000 == 0 {
            env.flags |= IOC;
        }
        if env.dn() {
            return (DEFAULT_NAN >> 16) as u16;
        }
        return ((x | 0x40_0000) >> 16) as u16;
    }
    let low = x & 0xffff;
    if low == 0 {
        return (x >> 16) as u16;
    }
    let truncated = x >> 16;
    let away = match (env.fpcr >> 22) & 3 {
        // Nearest, ties to even.
        0 => low > 0x8000 || (low == 0x8000 && truncated & 1 == 1),
        // Towards +infinity, -infinity, zero.
        1 => sign == 0,
        2 => sign != 0,
        _ => false,
    };
    let r = truncated + away as u32;
    env.flags |= IXC;
    if exp == 0 {
        env.flags |= UFC;
    }
    if r & 0x7f80 == 0x7f80 {
        env.flags |= OFC;
    }
    r as u16
}

/// `BFDotAdd(addend, a.lo, a.hi, b.lo, b.hi)` without FEAT_EBF16: `addend + (a.lo * b.lo +
/// a.hi * b.hi)`, each operation rounded to odd as `BFRound` does.
fn dot_add(addend: u32, a: u32, b: u32) -> u32 {
    let lo = mul(a as u16, b as u16);
    let hi = mul((a >> 16) as u16, (b >> 16) as u16);
    add(addend, add(lo, hi))
}

/// The class of a single under the BFloat16 rules (`BFUnpack`): denormals are zeros, every NaN
/// is quiet.
#[derive(PartialEq)]
enum Class {
    Nan,
    Inf,
    Zero,
    Number,
}

fn class(x: u32) -> Class {
    match (x >> 23 & 0xff, x & 0x7f_ffff) {
        (0xff, 0) => Class::Inf,
        (0xff, _) => Class::Nan,
        (0, _) => Class::Zero,
        _ => Class::Number,
    }
}

/// `BFMul`: the product of two BFloat16 values as a single.
fn mul(a: u16, b: u16) -> u32 {
    let (x, y) = ((a as u32) << 16, (b as u32) << 16);
    let sign = (x ^ y) & 0x8000_0000;
    match (class(x), class(y)) {
        (Class::Nan, _) | (_, Class::Nan) => DEFAULT_NAN,
        (Class::Inf, Class::Zero) | (Class::Zero, Class::Inf) => DEFAULT_NAN,
        (Class::Inf, _) | (_, Class::Inf) => sign | 0x7f80_0000,
        (Class::Zero, _) | (_, Class::Zero) => sign,
        // Two 8-bit significands: the product is exact as a double.
        _ => round_odd(f32::from_bits(x) as f64 * f32::from_bits(y) as f64, false),
    }
}

/// `BFAdd` of two singles.
fn add(x: u32, y: u32) -> u32 {
    let (cx, cy) = (class(x), class(y));
    let (sx, sy) = (x & 0x8000_0000, y & 0x8000_0000);
    if cx == Class::Nan || cy == Class::Nan {
        return DEFAULT_NAN;
    }
    match (cx == Class::Inf, cy == Class::Inf) {
        (true, true) if sx != sy => return DEFAULT_NAN,
        (true, _) => return sx | 0x7f80_0000,
        (_, true) => return sy | 0x7f80_0000,
        _ => {}
    }
    if cx == Class::Zero && cy == Class::Zero && sx == sy {
        return sx;
    }
    // Denormal operands count as zeros.
    let value = |v: u32, c: &Class| {
        if *c == Class::Zero {
            0.0
        } else {
            f32::from_bits(v) as f64
        }
    };
    // The sum truncated to 53 bits, and whether that lost anything: rounding it to odd at 24
    // bits gives the sum rounded to odd.
    let rz = mxcsr_for_fpcr(3 << 22);
    let (s, flags) = hw_op(HwOp::Add, true, value(x, &cx).to_bits(), value(y, &cy).to_bits(), 0, rz);
    let s = f64::from_bits(s);
    if s == 0.0 {
        // An exact zero sum of opposite values: +0 when rounding to odd.
        return 0;
    }
    round_odd(s, flags & MXCSR_PE != 0)
}

/// `BFRound`: a nonzero double (exact, or truncated with `inexact` set) as a single rounded to
/// odd; below the normal range it is zero, above it infinity.
fn round_odd(v: f64, inexact: bool) -> u32 {
    let bits = v.to_bits();
    let sign = (bits >> 32) as u32 & 0x8000_0000;
    let exp = (bits >> 52 & 0x7ff) as i32 - 1023;
    if exp < -126 {
        return sign;
    }
    if exp >= 128 {
        return sign | 0x7f80_0000;
    }
    let frac = bits & ((1 << 52) - 1);
    let odd = inexact || frac & ((1 << 29) - 1) != 0;
    sign | ((exp + 127) as u32) << 23 | (frac >> 29) as u32 | odd as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_as_fpcr_says() {
        let mut env = FpEnv::new(0);
        // 1 + 2^-8 + 2^-9 (above half way): up; 1 + 2^-8 (a tie, odd truncation): up to even.
        assert_eq!(convert(0x3f80_c000, &mut env), 0x3f81);
        assert_eq!(convert(0x3f81_8000, &mut env), 0x3f82);
        assert_eq!(convert(0x3f80_8000, &mut env), 0x3f80);
        assert_eq!(env.flags, IXC);
        let mut env = FpEnv::new(3 << 22);
        assert_eq!(convert(0xbf80_ffff, &mut env), 0xbf80);
        // The largest single rounds to infinity to nearest.
        let mut env = FpEnv::new(0);
        assert_eq!(convert(0x7f7f_ffff, &mut env), 0x7f80);
        assert_eq!(env.flags, IXC | OFC);
        // A signalling NaN is quieted, IOC.
        let mut env = FpEnv::new(0);
        assert_eq!(convert(0xff80_0001 | 0x1_0000, &mut env), 0xffc1);
        assert_eq!(env.flags, IOC);
    }

    #[test]
    fn dot_products_round_to_odd() {
        // 1.0 * 1.0 + 1.0 * 1.0 = 2.0; + 1.0 = 3.0.
        let one = 0x3f80_3f80;
        assert_eq!(dot_add(0x3f80_0000, one, one), 0x4040_0000);
        // 1 + 2^-30 is inexact in single: rounded to odd, the last bit set.
        let tiny = 0x3080; // 2^-30
        assert_eq!(dot_add(0x3f80_0000, tiny, 0x3f80), 0x3f80_0001);
        // inf - inf: the default NaN; any NaN: the default NaN.
        assert_eq!(add(0x7f80_0000, 0xff80_0000), DEFAULT_NAN);
        assert_eq!(dot_add(0x7f80_0001, one, one), DEFAULT_NAN);
        // Denormal addends are zeros; underflowing products flush.
        assert_eq!(dot_add(0x0000_0001, 0x0080, 0x0080), 0);
    }
}
