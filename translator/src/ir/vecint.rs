//! Semantics of the rarer AdvSIMD integer operations (Arm ARM C7.2: SHSUB, SABD, SABA, SMAXP,
//! CLS, CLZ, RBIT, SADDLP, SADALP, SMAXV, SADDLV, SDOT/UDOT) and of the by-element operand, in
//! plain Rust, for the interpreter and `helper_vec`.

use super::vecfn::{lanes, pack, sx, VecFn};
use crate::ops::VecKind;

/// V`m` with element `index` of size `es` copied to every lane.
pub fn broadcast(m: u128, es: u8, index: u8) -> u128 {
    let x = lanes(m, es)[index as usize];
    pack(&[x; 16][..16 >> es], es)
}

/// Evaluate one of this module's kinds (the upper half is zeroed for 64-bit forms).
#[allow(clippy::needless_range_loop)] // lane index arithmetic reads better with indices
pub(super) fn eval(f: &VecFn, n: u128, m: u128, d: u128) -> u128 {
    use VecKind::*;
    let es = f.esize;
    let bits = 8u32 << es;
    let nl = if f.q { 128 / bits } else { 64 / bits } as usize;
    let emask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let wmask = if bits >= 32 { u64::MAX } else { (1u64 << (2 * bits)) - 1 };
    let a = lanes(n, es);
    let b = lanes(m, es);
    let dl = lanes(d, es);
    let signed = matches!(
        f.kind,
        Shsub | Sabd | Saba | Saddlp | Sadalp | Smaxv | Sminv | Saddlv | Sdot(_)
    );
    let ext = |x: u64| if signed { sx(x, es) } else { x as i64 };
    let mut out = [0u64; 16];
    let res = match f.kind {
        Shsub | Uhsub => {
            for i in 0..nl {
                out[i] = ((ext(a[i]) - ext(b[i])) >> 1) as u64 & emask;
            }
            pack(&out, es)
        }
        Sabd | Uabd | Saba | Uaba => {
            for i in 0..nl {
                let abd = ext(a[i]).abs_diff(ext(b[i]));
                let acc = if matches!(f.kind, Saba | Uaba) { dl[i] } else { 0 };
                out[i] = acc.wrapping_add(abd) & emask;
            }
            pack(&out, es)
        }
        Smaxp | Sminp => {
            let cat = |j: usize| if j < nl { a[j] } else { b[j - nl] };
            for i in 0..nl {
                let (x, y) = (sx(cat(2 * i), es), sx(cat(2 * i + 1), es));
                out[i] = if f.kind == Smaxp { x.max(y) } else { x.min(y) } as u64 & emask;
            }
            pack(&out, es)
        }
        Cls | Clz => {
            for i in 0..nl {
                let x = if f.kind == Cls {
                    // CountLeadingZeroBits(x<N-1:1> EOR x<N-2:0>) == clz(x ^ (x >> 1)) - 1.
                    let s = sx(a[i], es);
                    ((s ^ (s >> 1)) as u64) & emask
                } else {
                    a[i]
                };
                let lz = ((x << (64 - bits)).leading_zeros()).min(bits) as u64;
                out[i] = if f.kind == Cls { lz - 1 } else { lz };
            }
            pack(&out, es)
        }
        Rbit => {
            for i in 0..nl {
                out[i] = (a[i] as u8).reverse_bits() as u64;
            }
            pack(&out, es)
        }
        Saddlp | Uaddlp | Sadalp | Uadalp => {
            let dw = lanes(d, es + 1);
            for i in 0..nl / 2 {
                let s = ext(a[2 * i]).wrapping_add(ext(a[2 * i + 1])) as u64;
                let acc = if matches!(f.kind, Sadalp | Uadalp) { dw[i] } else { 0 };
                out[i] = acc.wrapping_add(s) & wmask;
            }
            pack(&out, es + 1)
        }
        Smaxv | Sminv | Saddlv => {
            let it = a[..nl].iter().map(|&x| sx(x, es));
            let r = match f.kind {
                Smaxv => it.max().unwrap_or(0) as u64 & emask,
                Sminv => it.min().unwrap_or(0) as u64 & emask,
                _ => it.sum::<i64>() as u64 & wmask,
            };
            r as u128
        }
        Sdot(_) | Udot(_) | Usdot(_) | Sudot(_) => {
            // Four bytes of V[n] times four bytes of V[m] into each S lane.
            let nb = lanes(n, 0);
            let mb = lanes(m, 0);
            let (n_signed, m_signed) = match f.kind {
                Sdot(_) => (true, true),
                Usdot(_) => (false, true),
                Sudot(_) => (true, false),
                _ => (false, false),
            };
            let byte = |x: u64, signed: bool| if signed { sx(x, 0) } else { x as i64 };
            for i in 0..nl {
                let dot: i64 = (0..4)
                    .map(|k| byte(nb[4 * i + k], n_signed) * byte(mb[4 * i + k], m_signed))
                    .sum();
                out[i] = dl[i].wrapping_add(dot as u64) & emask;
            }
            pack(&out, es)
        }
        Mmla { n_signed, m_signed } => {
            // MatMulAdd: result[2i + j] = addend[2i + j] + sum over k of n[8i + k] * m[8j + k].
            let nb = lanes(n, 0);
            let mb = lanes(m, 0);
            let byte = |x: u64, signed: bool| if signed { sx(x, 0) } else { x as i64 };
            for i in 0..2 {
                for j in 0..2 {
                    let dot: i64 = (0..8)
                        .map(|k| byte(nb[8 * i + k], n_signed) * byte(mb[8 * j + k], m_signed))
                        .sum();
                    out[2 * i + j] = dl[2 * i + j].wrapping_add(dot as u64) & emask;
                }
            }
            pack(&out, es)
        }
        _ => unreachable!("not a vecint kind: {:?}", f.kind),
    };
    if f.q {
        res
    } else {
        res & u64::MAX as u128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(kind: VecKind, esize: u8, q: bool) -> VecFn {
        VecFn { kind, esize, q }
    }

    #[test]
    fn spot_checks() {
        // CLS of 0x01 (bytes) is 6, of 0xff is 7; CLZ of 0 is 8.
        assert_eq!(eval(&f(VecKind::Cls, 0, false), 0xff01, 0, 0), 0x0707_0707_0707_0706);
        assert_eq!(eval(&f(VecKind::Clz, 0, false), 0x0100, 0, 0) & 0xffff, 0x0708);
        // SABD of -128 and 127 bytes is 255.
        assert_eq!(eval(&f(VecKind::Sabd, 0, false), 0x80, 0x7f, 0) & 0xff, 0xff);
        // UADALP: 0xff + 0xff + 1 in a halfword.
        assert_eq!(eval(&f(VecKind::Uadalp, 0, false), 0xffff, 0, 1) & 0xffff, 0x01ff);
        // SDOT: (-1 * 2) * 4 + 10.
        assert_eq!(
            eval(
                &f(VecKind::Sdot(crate::ops::Second::Vector), 2, false),
                0xffff_ffff,
                0x0202_0202,
                10
            ) & 0xffff_ffff,
            2
        );
        assert_eq!(
            broadcast(0x1111_2222_3333_4444, 1, 2),
            0x2222_2222_2222_2222_2222_2222_2222_2222
        );
    }
}
