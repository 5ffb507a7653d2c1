//! The reciprocal family and FMULX, one lane at a time, after the Arm ARM's shared pseudocode:
//! `FPRecipEstimate`/`RecipEstimate` (FRECPE), `FPRSqrtEstimate`/`RecipSqrtEstimate`
//! (FRSQRTE), `FPRecipStepFused` (FRECPS), `FPRSqrtStepFused` (FRSQRTS), `FPRecpX` (FRECPX),
//! `UnsignedRecipEstimate` (URECPE), `UnsignedRSqrtEstimate` (URSQRTE) and `FPMulX` (FMULX).

use super::fp::FpTy;
use super::fpenv::{FpEnv, HwOp, DZC, IOC, IXC, OFC, UFC};
use super::fphalf::F16;
use super::fpsem::{flushes, fpcr_round, hw, neg_bits, process_nans, unpack, Fmt};
use crate::ops::FpRound;
use crate::ops::VfpKind;

/// `RecipEstimate`: `a` in 256..512 (a fixed-point value in [0.5, 1)) to its reciprocal
/// estimate in 256..512 (in [1, 2)).
pub fn recip_estimate(a: u32) -> u32 {
    debug_assert!((256..512).contains(&a));
    let a = a * 2 + 1;
    let b = (1u32 << 19) / a;
    // (b + 1) DIV 2: round to nearest.
    b.div_ceil(2)
}

/// `RecipSqrtEstimate`: `a` in 128..512 (a fixed-point value in [0.25, 1)) to its reciprocal
/// square root estimate in 256..512.
pub fn recip_sqrt_estimate(a: u32) -> u32 {
    debug_assert!((128..512).contains(&a));
    // In units of 1/512 (below 0.5) or 1/256 (the bottom bit dropped), rounded to nearest.
    let a = if a < 256 { a * 2 + 1 } else { (((a >> 1) << 1) + 1) * 2 } as u64;
    let mut b: u64 = 512;
    while a * (b + 1) * (b + 1) < (1 << 28) {
        b += 1;
    }
    b.div_ceil(2) as u32
}

/// Fraction bits of the format.
fn frac_bits<F: Fmt>() -> u32 {
    F::PREC - 1
}

fn exp_field<F: Fmt>(x: u64) -> i64 {
    ((x & !F::SIGN) >> frac_bits::<F>()) as i64
}

/// The fraction widened to 52 bits (double's), as the pseudocode's `fraction`.
fn frac52<F: Fmt>(x: u64) -> u64 {
    let f = x & ((1u64 << frac_bits::<F>()) - 1);
    f << (52 - frac_bits::<F>())
}

/// `FPRecipEstimate`.
fn recpe<F: Fmt>(x: u64, env: &mut FpEnv) -> u64 {
    let x = unpack::<F>(env, x);
    if let Some(n) = process_nans::<F>(&[x], env) {
        return n;
    }
    let sign = x & F::SIGN;
    let abs = x & !F::SIGN;
    if abs == F::INF {
        return sign;
    }
    if abs == 0 {
        env.flags |= DZC;
        return sign | F::INF;
    }
    let e = exp_field::<F>(x);
    // |value| < 2^-16 (half), 2^-128 (single) or 2^-1024 (double): the reciprocal overflows.
    if e == 0 && frac52::<F>(x) >> 50 == 0 {
        let to_inf = match fpcr_round(env.fpcr) {
            FpRound::N => true,
            FpRound::P => sign == 0,
            FpRound::M => sign != 0,
            _ => false,
        };
        env.flags |= OFC | IXC;
        return sign | if to_inf { F::INF } else { F::INF - 1 };
    }
    // Under FZ (FZ16), a result that would be denormal is flushed: |value| >= 2^14, 2^126,
    // 2^1022 (a biased exponent of 2 * bias - 1).
    if flushes::<F>(env) && e >= 2 * F::BIAS - 1 {
        env.flags |= UFC;
        return sign;
    }
    let (mut e, mut frac) = (e, frac52::<F>(x));
    if e == 0 {
        if frac >> 51 & 1 == 0 {
            e = -1;
            frac = (frac << 2) & ((1 << 52) - 1);
        } else {
            frac = (frac << 1) & ((1 << 52) - 1);
        }
    }
    let scaled = (1 << 8) | (frac >> 44) as u32;
    // 29, 253 or 2045 - e.
    let mut result_exp = 2 * F::BIAS - 1 - e;
    let est = recip_estimate(scaled) as u64;
    let mut frac = (est & 0xff) << 44;
    if result_exp == 0 {
        frac = (1 << 51) | frac >> 1;
    } else if result_exp == -1 {
        frac = (1 << 50) | frac >> 2;
        result_exp = 0;
    }
    let fb = frac_bits::<F>();
    sign | (result_exp as u64) << fb | frac >> (52 - fb)
}

/// `FPRSqrtEstimate`.
fn rsqrte<F: Fmt>(x: u64, env: &mut FpEnv) -> u64 {
    let x = unpack::<F>(env, x);
    if let Some(n) = process_nans::<F>(&[x], env) {
        return n;
    }
    let sign = x & F::SIGN;
    let abs = x & !F::SIGN;
    if abs == 0 {
        env.flags |= DZC;
        return sign | F::INF;
    }
    if sign != 0 {
        env.flags |= IOC;
        return F::DEFAULT_NAN;
    }
    if abs == F::INF {
        return 0;
    }
    let (mut e, mut frac) = (exp_field::<F>(x), frac52::<F>(x));
    if e == 0 {
        while frac >> 51 & 1 == 0 {
            frac = (frac << 1) & ((1 << 52) - 1);
            e -= 1;
        }
        frac = (frac << 1) & ((1 << 52) - 1);
    }
    let scaled = if e & 1 == 0 {
        (1 << 8) | (frac >> 44) as u32
    } else {
        (1 << 7) | (frac >> 45) as u32
    };
    // (44, 380 or 3068 - e) / 2.
    let result_exp = (3 * F::BIAS - 1 - e) / 2;
    let est = recip_sqrt_estimate(scaled) as u64;
    let fb = frac_bits::<F>();
    (result_exp as u64) << fb | ((est & 0xff) << 44) >> (52 - fb)
}

/// `FPRecpX`.
fn recpx<F: Fmt>(x: u64, env: &mut FpEnv) -> u64 {
    let x = unpack::<F>(env, x);
    if let Some(n) = process_nans::<F>(&[x], env) {
        return n;
    }
    let fb = frac_bits::<F>();
    let e = exp_field::<F>(x) as u64;
    let max_exp = (F::INF >> fb) - 1;
    let e = if e == 0 { max_exp } else { !e & (max_exp | 1) };
    (x & F::SIGN) | e << fb
}

/// `FPMulX`, `FPRecipStepFused`, `FPRSqrtStepFused`: `kind` is Mulx, Recps or Rsqrts.
fn step<F: Fmt>(kind: VfpKind, a: u64, b: u64, env: &mut FpEnv) -> u64 {
    let a = if kind == VfpKind::Mulx { a } else { neg_bits::<F>(a) };
    let (a, b) = (unpack::<F>(env, a), unpack::<F>(env, b));
    if let Some(n) = process_nans::<F>(&[a, b], env) {
        return n;
    }
    let (abs_a, abs_b) = (a & !F::SIGN, b & !F::SIGN);
    let sign = (a ^ b) & F::SIGN;
    let (inf_a, inf_b) = (abs_a == F::INF, abs_b == F::INF);
    let one = F::bits_of;
    if (inf_a && abs_b == 0) || (abs_a == 0 && inf_b) {
        return match kind {
            VfpKind::Mulx => sign | one(2.0),
            VfpKind::Recps => one(2.0),
            _ => one(1.5),
        };
    }
    if inf_a || inf_b {
        return sign | F::INF;
    }
    match kind {
        VfpKind::Mulx => hw::<F>(env, HwOp::Mul, a, b, 0),
        VfpKind::Recps => hw::<F>(env, HwOp::Fma, a, b, one(2.0)),
        _ => {
            // (3 + a*b) / 2 with one rounding: halve an operand that stays exact when halved.
            let big = |x: u64| x & !F::SIGN >= F::MIN_NORMAL << 1;
            let half = |x: u64| x - (1 << frac_bits::<F>());
            if big(a) {
                hw::<F>(env, HwOp::Fma, half(a), b, one(1.5))
            } else if big(b) {
                hw::<F>(env, HwOp::Fma, a, half(b), one(1.5))
            } else {
                // Both tiny: 3 + a*b is 3 rounded or just below, halving it is exact.
                let r = hw::<F>(env, HwOp::Fma, a, b, one(3.0));
                half(r)
            }
        }
    }
}

/// `UnsignedRecipEstimate` (`sqrt` false) or `UnsignedRSqrtEstimate` on a 32-bit lane.
fn unsigned_estimate(x: u64, sqrt: bool) -> u64 {
    let x = x as u32;
    if (!sqrt && x >> 31 == 0) || (sqrt && x >> 30 == 0) {
        return 0xffff_ffff;
    }
    let e = if sqrt {
        recip_sqrt_estimate(x >> 23)
    } else {
        recip_estimate(x >> 23)
    };
    ((e & 0x1ff) << 23) as u64
}

/// One lane of `kind` (Mulx, Recps, Rsqrts, Recpe, Rsqrte, Recpx, Urecpe, Ursqrte).
pub(super) fn lane(kind: VfpKind, ty: FpTy, a: u64, b: u64, env: &mut FpEnv) -> u64 {
    use VfpKind::*;
    match (kind, ty) {
        (Urecpe, _) => unsigned_estimate(a, false),
        (Ursqrte, _) => unsigned_estimate(a, true),
        (Recpe, FpTy::H) => recpe::<F16>(a, env),
        (Recpe, FpTy::S) => recpe::<f32>(a, env),
        (Recpe, FpTy::D) => recpe::<f64>(a, env),
        (Rsqrte, FpTy::H) => rsqrte::<F16>(a, env),
        (Rsqrte, FpTy::S) => rsqrte::<f32>(a, env),
        (Rsqrte, FpTy::D) => rsqrte::<f64>(a, env),
        (Recpx, FpTy::H) => recpx::<F16>(a, env),
        (Recpx, FpTy::S) => recpx::<f32>(a, env),
        (Recpx, FpTy::D) => recpx::<f64>(a, env),
        (_, FpTy::H) => step::<F16>(kind, a, b, env),
        (_, FpTy::S) => step::<f32>(kind, a, b, env),
        (_, FpTy::D) => step::<f64>(kind, a, b, env),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates() {
        // FRECPE(1.0) = 0x3ff ff8... (0.998046875), FRECPE(2.0) half that.
        let mut env = FpEnv::new(0);
        assert_eq!(recpe::<f64>(1.0f64.to_bits(), &mut env), 0x3fef_f000_0000_0000);
        assert_eq!(recpe::<f32>(2.0f32.to_bits() as u64, &mut env), 0x3eff_8000);
        assert_eq!(rsqrte::<f32>(4.0f32.to_bits() as u64, &mut env), 0x3eff_8000);
        assert_eq!(rsqrte::<f32>(1.0f32.to_bits() as u64, &mut env), 0x3f7f_8000);
        assert_eq!(env.flags, 0);
        assert_eq!(recpx::<f64>(3.0f64.to_bits(), &mut env), 0x3ff0_0000_0000_0000);
        assert_eq!(unsigned_estimate(0x8000_0000, false), 0xff80_0000);
    }
}
