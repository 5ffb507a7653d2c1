//! Half-precision conversions (ARMv8.0): FCVT between H and S/D registers and the vector
//! FCVTL/FCVTL2 (4H -> 4S) and FCVTN/FCVTN2 (4S -> 4H), after the Arm ARM's FPConvert:
//! FPCR.RMode rounding, FPCR.DN, FPCR.AHP (the alternative half format: no infinities or NaNs,
//! exponent 31 is a normal exponent), FPCR.FZ for single/double inputs (IDC), tininess detected
//! before rounding, FPSR flags (IOC for signalling NaNs and AHP's unrepresentable values, OFC,
//! UFC, IXC). Half outputs are never flushed (FPRoundCV ignores FZ16). Plain integer arithmetic:
//! no host FP state is involved.

use super::fpenv::{IDC, IOC, IXC, OFC, UFC};
use crate::ops::HalfCvt;

/// FPCR.AHP.
const FPCR_AHP: u64 = 1 << 26;
/// FPCR.DN.
const FPCR_DN: u64 = 1 << 25;
/// FPCR.FZ.
const FPCR_FZ: u64 = 1 << 24;

/// Format parameters: exponent bits, fraction bits.
#[derive(Clone, Copy)]
pub(super) struct Fmt {
    e: u32,
    f: u32,
}

/// Single precision.
pub(super) const S: Fmt = Fmt { e: 8, f: 23 };
const D: Fmt = Fmt { e: 11, f: 52 };

/// Convert single or double `x` to half.
fn to_half(x: u64, src: Fmt, fpcr: u64, flags: &mut u64) -> u16 {
    let ahp = fpcr & FPCR_AHP != 0;
    let sign = (x >> (src.e + src.f) & 1) as u16;
    let exp = (x >> src.f) & ((1 << src.e) - 1);
    let frac = x & ((1u64 << src.f) - 1);
    let emax = (1u64 << src.e) - 1;
    if exp == emax {
        if frac != 0 {
            // NaN.
            let snan = frac >> (src.f - 1) & 1 == 0;
            if ahp {
                *flags |= IOC;
                return sign << 15;
            }
            if snan {
                *flags |= IOC;
            }
            if fpcr & FPCR_DN != 0 {
                return 0x7e00;
            }
            return sign << 15 | 0x7e00 | (frac >> (src.f - 10)) as u16 & 0x3ff;
        }
        if ahp {
            *flags |= IOC;
            return sign << 15 | 0x7fff;
        }
        return sign << 15 | 0x7c00;
    }
    if exp == 0 && frac != 0 && fpcr & FPCR_FZ != 0 {
        *flags |= IDC;
        return sign << 15;
    }
    if exp == 0 && frac == 0 {
        return sign << 15;
    }
    // value = mant * 2^(e2), mant with its leading one (an integer).
    let bias = (1i64 << (src.e - 1)) - 1;
    let (mant, e2) = if exp == 0 {
        (frac, 1 - bias - src.f as i64)
    } else {
        (frac | 1 << src.f, exp as i64 - bias - src.f as i64)
    };
    round_to_half(sign, mant, e2, fpcr, ahp, flags)
}

/// Round `(-1)^sign * mant * 2^e2` (mant > 0) to half precision (`FPRoundCV`: FPCR.FZ16 is
/// not applied here; [`super::fphalf::round`] applies it for arithmetic).
pub(super) fn round_to_half(sign: u16, mant: u64, e2: i64, fpcr: u64, ahp: bool, flags: &mut u64) -> u16 {
    // Normalise: the exponent of the leading bit.
    let top = 63 - mant.leading_zeros() as i64; // mant in [2^top, 2^(top+1))
    let exp_unb = top + e2; // value in [2^exp_unb, 2^(exp_unb+1))
    const HBIAS: i64 = 15;
    // The result's quantum: 2^(exp_unb - 10) for normals, 2^-24 for subnormals.
    let tiny = exp_unb < 1 - HBIAS;
    let q = if tiny { -24 } else { exp_unb - 10 };
    // mant * 2^e2 = (mant >> (q - e2)) * 2^q with the shifted-out bits deciding the rounding.
    let shift = q - e2;
    let (mut int, rem_nonzero, half, above_half) = if shift <= 0 {
        (mant << (-shift) as u32, false, false, false)
    } else if shift >= 64 {
        (0u64, true, false, false)
    } else {
        let s = shift as u32;
        let int = mant >> s;
        let rem = mant & ((1u64 << s) - 1);
        let halfway = 1u64 << (s - 1);
        (int, rem != 0, rem == halfway, rem > halfway)
    };
    let inexact = rem_nonzero;
    if inexact {
        let up = match fpcr >> 22 & 3 {
            0 => above_half || (half && int & 1 == 1),
            1 => sign == 0,
            2 => sign == 1,
            _ => false,
        };
        if up {
            int += 1;
        }
    }
    // int * 2^q; assemble.
    let (mut e_field, mut f_field);
    if tiny {
        // Subnormal range: int < 2^10, or == 2^10 after rounding up (smallest normal).
        if int >= 1 << 10 {
            e_field = 1;
            f_field = int - (1 << 10);
        } else {
            e_field = 0;
            f_field = int;
        }
        if inexact {
            *flags |= UFC;
        }
    } else {
        // int in [2^10, 2^11], 2^11 after rounding up carries into the exponent.
        let mut e = exp_unb;
        if int == 1 << 11 {
            int >>= 1;
            e += 1;
        }
        e_field = e + HBIAS;
        f_field = int - (1 << 10);
    }
    let max_e = if ahp { 31 } else { 30 };
    if e_field > max_e {
        if ahp {
            *flags |= IOC;
            return sign << 15 | 0x7fff;
        }
        *flags |= OFC | IXC;
        let to_inf = match fpcr >> 22 & 3 {
            0 => true,
            1 => sign == 0,
            2 => sign == 1,
            _ => false,
        };
        return if to_inf {
            sign << 15 | 0x7c00
        } else {
            sign << 15 | 0x7bff
        };
    }
    if inexact {
        *flags |= IXC;
    }
    e_field = e_field.max(0);
    f_field &= 0x3ff;
    sign << 15 | (e_field as u16) << 10 | f_field as u16
}

/// Convert half `h` to single or double (exact).
pub(super) fn from_half(h: u16, dst: Fmt, fpcr: u64, flags: &mut u64) -> u64 {
    let ahp = fpcr & FPCR_AHP != 0;
    let sign = (h >> 15) as u64;
    let exp = (h >> 10 & 0x1f) as u64;
    let frac = (h & 0x3ff) as u64;
    let sbit = sign << (dst.e + dst.f);
    let emax = (1u64 << dst.e) - 1;
    if exp == 31 && !ahp {
        if frac == 0 {
            return sbit | emax << dst.f;
        }
        if frac & 0x200 == 0 {
            *flags |= IOC;
        }
        if fpcr & FPCR_DN != 0 {
            return emax << dst.f | 1 << (dst.f - 1);
        }
        return sbit | emax << dst.f | 1 << (dst.f - 1) | frac << (dst.f - 10);
    }
    if exp == 0 && frac == 0 {
        return sbit;
    }
    let bias = (1i64 << (dst.e - 1)) - 1;
    let (mant, e) = if exp == 0 {
        // Subnormal half: normalise (always normal in single/double).
        let top = 63 - frac.leading_zeros() as i64;
        ((frac << (10 - top)) & 0x3ff, top - 24)
    } else {
        (frac, exp as i64 - 15)
    };
    sbit | ((e + bias) as u64) << dst.f | mant << (dst.f - 10)
}

/// Evaluate on whole registers: `n` the source, `d` the destination's old value.
pub fn eval(op: HalfCvt, n: u128, d: u128, fpcr: u64, flags: &mut u64) -> u128 {
    match op {
        HalfCvt::ScalarToHalf { double } => {
            let src = if double { D } else { S };
            let x = if double { n as u64 } else { n as u32 as u64 };
            to_half(x, src, fpcr, flags) as u128
        }
        HalfCvt::ScalarFromHalf { double } => {
            let dst = if double { D } else { S };
            from_half(n as u16, dst, fpcr, flags) as u128
        }
        HalfCvt::Narrow { upper } => {
            let mut r: u64 = 0;
            for i in 0..4 {
                let x = (n >> (32 * i)) as u32 as u64;
                r |= (to_half(x, S, fpcr, flags) as u64) << (16 * i);
            }
            if upper {
                (d as u64 as u128) | (r as u128) << 64
            } else {
                r as u128
            }
        }
        HalfCvt::Long { upper } => {
            let src = if upper { (n >> 64) as u64 } else { n as u64 };
            let mut r: u128 = 0;
            for i in 0..4 {
                let h = (src >> (16 * i)) as u16;
                r |= (from_half(h, S, fpcr, flags) as u128) << (32 * i);
            }
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn th(x: f32, fpcr: u64) -> (u16, u64) {
        let mut fl = 0;
        (to_half(x.to_bits() as u64, S, fpcr, &mut fl), fl)
    }

    #[test]
    fn to_half_values() {
        assert_eq!(th(1.0, 0), (0x3c00, 0));
        assert_eq!(th(-2.5, 0), (0xc100, 0));
        assert_eq!(th(65504.0, 0), (0x7bff, 0));
        assert_eq!(th(65520.0, 0), (0x7c00, OFC | IXC));
        // Toward zero, 65520 rounds to the largest half without overflowing.
        assert_eq!(th(65520.0, 3 << 22), (0x7bff, IXC));
        assert_eq!(th(5.960_464_5e-8, 0), (0x0001, 0)); // 2^-24
        assert_eq!(th(2.0f32.powi(-25), 0), (0x0000, UFC | IXC)); // tie to even: 0
        assert_eq!(th(1.0 + 2.0f32.powi(-11), 0), (0x3c00, IXC)); // tie, even
        assert_eq!(th(1.0 + 3.0 * 2.0f32.powi(-11), 0), (0x3c02, IXC));
        assert_eq!(th(f32::INFINITY, FPCR_AHP), (0x7fff, IOC));
        assert_eq!(th(131008.0, FPCR_AHP), (0x7fff, 0));
    }

    #[test]
    fn from_half_values() {
        let mut fl = 0;
        assert_eq!(from_half(0x3c00, S, 0, &mut fl), 1.0f32.to_bits() as u64);
        assert_eq!(from_half(0x0001, S, 0, &mut fl), 2.0f32.powi(-24).to_bits() as u64);
        assert_eq!(from_half(0x7bff, D, 0, &mut fl), 65504.0f64.to_bits());
        assert_eq!(fl, 0);
        assert_eq!(from_half(0x7d00, S, 0, &mut fl), 0x7fe0_0000);
        assert_eq!(fl, IOC);
    }
}
