//! Semantics of the AdvSIMD saturating and rounding integer operations (Arm ARM C7.2: SQADD,
//! SQRSHRN, SQDMULH, ...), in plain Rust: a [`SatOp`] (the [`SatKind`], the shift amount or
//! element index, and the form). Lane values
//! are computed exactly in `i128` and then saturated (`SignedSatQ`/`UnsignedSatQ`); the caller
//! sets FPSR.QC when any lane saturated.

use super::vecfn::{lanes, pack, sx};
use crate::ops::{SatKind, SatOp};

/// `SignedSatQ(x, bits)`: the value (as `bits` bits) and whether it saturated.
fn sat_s(x: i128, bits: u32) -> (u64, bool) {
    let max = (1i128 << (bits - 1)) - 1;
    let min = -(1i128 << (bits - 1));
    let mask = u64::MAX >> (64 - bits);
    let (v, s) = if x > max {
        (max, true)
    } else if x < min {
        (min, true)
    } else {
        (x, false)
    };
    (v as u64 & mask, s)
}

/// `UnsignedSatQ(x, bits)`.
fn sat_u(x: i128, bits: u32) -> (u64, bool) {
    let max = (1i128 << bits) - 1;
    if x > max {
        (max as u64, true)
    } else if x < 0 {
        (0, true)
    } else {
        (x as u64, false)
    }
}

/// `x << sh` for a signed `sh` (negative: right shift, rounded with `round`), exact where the
/// result fits 64 bits; otherwise a value out of every 64-bit range with the right sign and the
/// right low 64 bits (0).
fn shift(x: i128, sh: i64, round: bool) -> i128 {
    if sh >= 64 {
        if x == 0 {
            0
        } else {
            x.signum() << 100
        }
    } else if sh >= 0 {
        x << sh // |x| < 2^64 and sh < 64: fits
    } else {
        // Shifts right by more than 65 give 0 or -1 either way (0 when rounded).
        let s = (-sh).min(100) as u32;
        let rc = if round { 1i128 << (s - 1) } else { 0 };
        (x + rc) >> s
    }
}

/// One lane of the same-size operations: `a` from V`n`, `b` from V`m`, `c` from V`d`.
fn lane(kind: SatKind, bits: u32, arg: u32, a: u64, b: u64, c: u64) -> (u64, bool) {
    use SatKind::*;
    let es = bits.trailing_zeros() as u8 - 3;
    let mask = u64::MAX >> (64 - bits);
    let (sa, sb, sc) = (sx(a, es) as i128, sx(b, es) as i128, sx(c, es) as i128);
    let (ua, ub, uc) = (a as i128, b as i128, c as i128);
    let trunc = |x: i128| (x as u64 & mask, false);
    let rc = |sh: u32| 1i128 << (sh - 1);
    match kind {
        Sqadd => sat_s(sa + sb, bits),
        Uqadd => sat_u(ua + ub, bits),
        Sqsub => sat_s(sa - sb, bits),
        Uqsub => sat_u(ua - ub, bits),
        Sqshl | Sqrshl | Srshl => {
            let r = shift(sa, b as u8 as i8 as i64, kind != Sqshl);
            if kind == Srshl {
                trunc(r)
            } else {
                sat_s(r, bits)
            }
        }
        Uqshl | Uqrshl | Urshl => {
            let r = shift(ua, b as u8 as i8 as i64, kind != Uqshl);
            if kind == Urshl {
                trunc(r)
            } else {
                sat_u(r, bits)
            }
        }
        Sqdmulh => sat_s((2 * sa * sb) >> bits, bits),
        Sqrdmulh => sat_s((2 * sa * sb + rc(bits)) >> bits, bits),
        Sqrdmlah => sat_s(((sc << bits) + 2 * sa * sb + rc(bits)) >> bits, bits),
        Sqrdmlsh => sat_s(((sc << bits) - 2 * sa * sb + rc(bits)) >> bits, bits),
        Suqadd => sat_s(ua + sc, bits),
        Usqadd => sat_u(sa + uc, bits),
        Sqabs => sat_s(sa.abs(), bits),
        Sqneg => sat_s(-sa, bits),
        SqshlImm => sat_s(sa << arg, bits),
        UqshlImm => sat_u(ua << arg, bits),
        Sqshlu => sat_u(sa << arg, bits),
        Srshr => trunc((sa + rc(arg)) >> arg),
        Urshr => trunc((ua + rc(arg)) >> arg),
        Srsra => trunc(sc + ((sa + rc(arg)) >> arg)),
        Ursra => trunc(uc + ((ua + rc(arg)) >> arg)),
        _ => unreachable!("not a same-size op: {kind:?}"),
    }
}

/// One lane of the narrowing operations: `x` of `2 * bits` bits to `bits` bits.
fn narrow_lane(kind: SatKind, bits: u32, arg: u32, x: u64) -> (u64, bool) {
    use SatKind::*;
    let es = bits.trailing_zeros() as u8 - 3;
    let (s, u) = (sx(x, es + 1) as i128, x as i128);
    let rc = 1i128 << arg >> 1; // 1 << (shift - 1)
    match kind {
        Sqxtn => sat_s(s, bits),
        Uqxtn => sat_u(u, bits),
        Sqxtun => sat_u(s, bits),
        Rshrn => (((u + rc) >> arg) as u64 & (u64::MAX >> (64 - bits)), false),
        Sqshrn => sat_s(s >> arg, bits),
        Sqrshrn => sat_s((s + rc) >> arg, bits),
        Uqshrn => sat_u(u >> arg, bits),
        Uqrshrn => sat_u((u + rc) >> arg, bits),
        Sqshrun => sat_u(s >> arg, bits),
        Sqrshrun => sat_u((s + rc) >> arg, bits),
        _ => unreachable!("not a narrowing op: {kind:?}"),
    }
}

/// Evaluate a saturating op on elements of `es`, 128-bit when `q`: the new V`d` and whether any
/// lane saturated (FPSR.QC).
pub fn eval(f: &SatOp, es: u8, q: bool, n: u128, m: u128, d: u128) -> (u128, bool) {
    use SatKind::*;
    let (kind, arg, scalar, elem) = (f.kind, u32::from(f.arg), f.scalar, f.elem);
    let bits = 8u32 << es;
    let mut out = [0u64; 16];
    let mut qc = false;
    match kind {
        Sqxtn | Uqxtn | Sqxtun | Rshrn | Sqshrn | Sqrshrn | Uqshrn | Uqrshrn | Sqshrun | Sqrshrun => {
            // Elements of 2 * bits narrowed into one half of the destination (the upper with Q,
            // keeping the lower), or into element 0 for the scalar form.
            let src = lanes(n, es + 1);
            let half = if scalar { 1 } else { 8 >> es };
            let base = if q { half } else { 0 };
            if q {
                out = lanes(d, es);
            }
            for i in 0..half {
                let (r, s) = narrow_lane(kind, bits, arg, src[i]);
                out[base + i] = r;
                qc |= s;
            }
            (pack(&out, es) & lane_mask(q, scalar, bits), qc)
        }
        Sqdmull | Sqdmlal | Sqdmlsl => {
            // Elements of one half (the upper with Q) widened to 2 * bits.
            let (a, b, acc) = (lanes(n, es), lanes(m, es), lanes(d, es + 1));
            let count = if scalar { 1 } else { 8 >> es };
            let base = if q { count } else { 0 };
            let wide = 2 * bits;
            for i in 0..count {
                let y = if elem { b[arg as usize] } else { b[base + i] };
                let (p, s1) = sat_s(2 * sx(a[base + i], es) as i128 * sx(y, es) as i128, wide);
                let (p, s2) = match kind {
                    Sqdmull => (p, false),
                    Sqdmlal => sat_s(sx(acc[i], es + 1) as i128 + sx(p, es + 1) as i128, wide),
                    _ => sat_s(sx(acc[i], es + 1) as i128 - sx(p, es + 1) as i128, wide),
                };
                out[i] = p;
                qc |= s1 | s2;
            }
            (pack(&out, es + 1) & lane_mask(true, scalar, wide), qc)
        }
        _ => {
            let (a, b, c) = (lanes(n, es), lanes(m, es), lanes(d, es));
            let count = if scalar {
                1
            } else if q {
                16 >> es
            } else {
                8 >> es
            };
            for i in 0..count {
                let y = if elem { b[arg as usize] } else { b[i] };
                let (r, s) = lane(kind, bits, arg, a[i], y, c[i]);
                out[i] = r;
                qc |= s;
            }
            (pack(&out, es) & lane_mask(q, scalar, bits), qc)
        }
    }
}

/// The bits of the destination that are kept: element 0 for scalar forms, the low half
/// without Q.
fn lane_mask(q: bool, scalar: bool, bits: u32) -> u128 {
    if scalar {
        u128::MAX >> (128 - bits)
    } else if q {
        u128::MAX
    } else {
        u64::MAX as u128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::too_many_arguments)] // one call per row of the table below
    fn run(kind: SatKind, esize: u8, q: bool, arg: u8, scalar: bool, n: u128, m: u128, d: u128) -> (u128, bool) {
        let f = SatOp {
            kind,
            arg,
            scalar,
            elem: false,
        };
        eval(&f, esize, q, n, m, d)
    }

    #[test]
    fn saturation_edges() {
        use SatKind::*;
        // sqadd b: 0x7f + 1 saturates; 0x10 + 0x10 does not.
        assert_eq!(run(Sqadd, 0, false, 0, false, 0x107f, 0x1001, 0), (0x207f, true));
        // uqsub d: 1 - 2 = 0, saturated.
        assert_eq!(run(Uqsub, 3, false, 0, true, 1, 2, 0), (0, true));
        // sqdmulh h: -0x8000 * -0x8000 saturates to 0x7fff.
        assert_eq!(run(Sqdmulh, 1, false, 0, true, 0x8000, 0x8000, 0), (0x7fff, true));
        // sqrshrn s <- d by 1: 3 -> 2 (rounded), no saturation; 2^40 saturates.
        assert_eq!(run(Sqrshrn, 2, false, 1, true, 3, 0, 0), (2, false));
        assert_eq!(run(Sqrshrn, 2, false, 1, true, 1 << 40, 0, 0), (0x7fff_ffff, true));
        // sqshl (register) d by 127: saturates; by -128 with rounding: 0.
        assert_eq!(run(Sqshl, 3, false, 0, true, 1, 127, 0), (i64::MAX as u128, true));
        assert_eq!(run(Sqrshl, 3, false, 0, true, u64::MAX as u128, 0x80, 0), (0, false));
        // urshr d by 64: the rounding carry of the top bit.
        assert_eq!(run(Urshr, 3, false, 64, true, u64::MAX as u128, 0, 0), (1, false));
        // sqabs b of -128.
        assert_eq!(run(Sqabs, 0, false, 0, true, 0x80, 0, 0), (0x7f, true));
    }
}
