//! AdvSIMD floating-point vector operations (Arm ARM C7: FADD, FSUB, FMUL, FDIV, FMLA, FMLS,
//! FMAX/FMIN(NM), FABD, the pairwise forms, FCMEQ/FCMGE/FCMGT/FACGE/FACGT with zero forms,
//! FABS, FNEG, FSQRT, FRINT*, FCVT* to and from integers, FCVTL, FCVTN, and the by-element
//! FMUL/FMLA/FMLS): lane by lane with the scalar semantics of [`super::fp`].

use super::fp::{lane, FpKind, FpOp, FpTy, IntW};
use super::fpenv::FpEnv;
use crate::ops::{Second, VfpKind, VfpOp};

/// Element `i` of `v`, elements of 8 << `es` bits.
pub(super) fn get(v: u128, es: u8, i: usize) -> u64 {
    let bits = 8u32 << es;
    let x = (v >> (bits * i as u32)) as u64;
    if bits == 64 {
        x
    } else {
        x & ((1u64 << bits) - 1)
    }
}

/// Set element `i` of `v` (elements of 8 << `es` bits) to `x`.
pub(super) fn put(v: &mut u128, es: u8, i: usize, x: u64) {
    let bits = 8u32 << es;
    let mask: u128 = if bits == 64 {
        u64::MAX as u128
    } else {
        (1u128 << bits) - 1
    };
    *v = (*v & !(mask << (bits * i as u32))) | (((x as u128) & mask) << (bits * i as u32));
}

/// Evaluate a vector FP op on V`n`, V`m` and the old V`d`, elements of `es` (1: half, 2:
/// single, 3: double), 128-bit when `q`.
#[allow(clippy::too_many_arguments)] // the operation, its shape and its operands
pub fn eval(f: &VfpOp, es: u8, q: bool, n: u128, m: u128, d: u128, env: &mut FpEnv) -> u128 {
    use VfpKind::*;
    let k = f.kind;
    let ty = match es {
        3 => FpTy::D,
        2 => FpTy::S,
        _ => FpTy::H,
    };
    // Bit 24: the scalar form (element 0 only, the rest of the register zeroed).
    let lanes = if f.scalar {
        1
    } else if q {
        16 >> es
    } else {
        8 >> es
    } as usize;
    let op = |kind: FpKind| FpOp::new(kind, ty);
    let ones = ty.mask();
    // FCMEQ is a quiet compare; FCMGE, FCMGT, FACGE, FACGT (and the zero forms) signal.
    let nzcv = |a: u64, b: u64, signal: bool, env: &mut FpEnv| {
        let mut o = op(FpKind::Cmp);
        o.signal = signal;
        lane(&o, a, b, 0, env) >> 28
    };
    let abs = |x: u64| x & ty.mask() >> 1;
    let mut out = 0u128;
    match k {
        Cvtl => {
            // Two singles from the lower (or, for FCVTL2, upper) half become doubles.
            let base = if q { 2 } else { 0 };
            for i in 0..2 {
                let to_double = FpOp {
                    to: FpTy::D,
                    ..FpOp::new(FpKind::Cvt, FpTy::S)
                };
                let r = lane(&to_double, get(n, 2, base + i), 0, 0, env);
                put(&mut out, 3, i, r);
            }
            return out;
        }
        Cvtn | Cvtxn => {
            let cvt = |x: u64, env: &mut FpEnv| {
                if k == Cvtn {
                    let to_single = FpOp {
                        to: FpTy::S,
                        ..FpOp::new(FpKind::Cvt, FpTy::D)
                    };
                    lane(&to_single, x, 0, 0, env)
                } else {
                    super::fpsem::convert_odd(x, env)
                }
            };
            if f.scalar {
                // FCVTXN (scalar).
                return cvt(get(n, 3, 0), env) as u128;
            }
            let mut r = if q { d & u64::MAX as u128 } else { 0 };
            let base = if q { 2 } else { 0 };
            for i in 0..2 {
                let x = cvt(get(n, 3, i), env);
                put(&mut r, 2, base + i, x);
            }
            return r;
        }
        MaxNmv | MinNmv | Maxv | Minv => {
            let o = op(match k {
                MaxNmv => FpKind::MaxNm,
                MinNmv => FpKind::MinNm,
                Maxv => FpKind::Max,
                _ => FpKind::Min,
            });
            let mut elems = [0u64; 8];
            for (i, e) in elems.iter_mut().enumerate().take(lanes) {
                *e = get(n, es, i);
            }
            return reduce(&o, &elems[..lanes], env) as u128;
        }
        Addp | Maxp | Minp | MaxNmp | MinNmp => {
            let kind = match k {
                Addp => FpKind::Add,
                Maxp => FpKind::Max,
                Minp => FpKind::Min,
                MaxNmp => FpKind::MaxNm,
                _ => FpKind::MinNm,
            };
            // The scalar forms (FADDP Sd, Vn.2S & co.) pair the two elements of V`n`.
            let scalar = f.scalar;
            let cat = |j: usize| {
                if j < lanes || scalar {
                    get(n, es, j)
                } else {
                    get(m, es, j - lanes)
                }
            };
            for i in 0..lanes {
                put(&mut out, es, i, lane(&op(kind), cat(2 * i), cat(2 * i + 1), 0, env));
            }
            return out;
        }
        _ => {}
    }
    let index = f.index as usize;
    for i in 0..lanes {
        let (a, b, acc) = (get(n, es, i), get(m, es, i), get(d, es, i));
        let r = match k {
            Add => lane(&op(FpKind::Add), a, b, 0, env),
            Sub => lane(&op(FpKind::Sub), a, b, 0, env),
            Mul => lane(&op(FpKind::Mul), a, b, 0, env),
            Div => lane(&op(FpKind::Div), a, b, 0, env),
            Max => lane(&op(FpKind::Max), a, b, 0, env),
            Min => lane(&op(FpKind::Min), a, b, 0, env),
            MaxNm => lane(&op(FpKind::MaxNm), a, b, 0, env),
            MinNm => lane(&op(FpKind::MinNm), a, b, 0, env),
            // FMLA: d + n*m fused; FMLS: d - n*m (FPNeg of the first multiplicand).
            Mla => lane(&op(FpKind::Madd), a, b, acc, env),
            Mls => lane(&op(FpKind::Msub), a, b, acc, env),
            MulElem => lane(&op(FpKind::Mul), a, get(m, es, index), 0, env),
            MlaElem => lane(&op(FpKind::Madd), a, get(m, es, index), acc, env),
            MlsElem => lane(&op(FpKind::Msub), a, get(m, es, index), acc, env),
            Abd => abs(lane(&op(FpKind::Sub), a, b, 0, env)),
            // Compares: all ones when true; unordered is false.
            Cmeq => ones * (nzcv(a, b, false, env) == 0b0110) as u64,
            Cmge => ones * matches!(nzcv(a, b, true, env), 0b0110 | 0b0010) as u64,
            Cmgt => ones * (nzcv(a, b, true, env) == 0b0010) as u64,
            Acge => ones * matches!(nzcv(abs(a), abs(b), true, env), 0b0110 | 0b0010) as u64,
            Acgt => ones * (nzcv(abs(a), abs(b), true, env) == 0b0010) as u64,
            CmeqZ => ones * (nzcv(a, 0, false, env) == 0b0110) as u64,
            CmgeZ => ones * matches!(nzcv(a, 0, true, env), 0b0110 | 0b0010) as u64,
            CmgtZ => ones * (nzcv(a, 0, true, env) == 0b0010) as u64,
            CmleZ => ones * matches!(nzcv(a, 0, true, env), 0b0110 | 0b1000) as u64,
            CmltZ => ones * (nzcv(a, 0, true, env) == 0b1000) as u64,
            Abs => abs(a),
            Neg => lane(&op(FpKind::Neg), a, 0, 0, env),
            Sqrt => lane(&op(FpKind::Sqrt), a, 0, 0, env),
            Rint => {
                let mut o = op(FpKind::Rint);
                o.round = f.round;
                lane(&o, a, 0, 0, env)
            }
            ToInt | FromInt => {
                let mut o = op(if k == ToInt { FpKind::ToInt } else { FpKind::FromInt });
                o.round = f.round;
                o.signed = f.signed;
                o.int = IntW::of(ty);
                o.fbits = index as u8;
                lane(&o, a, 0, 0, env)
            }
            Mulx | Recps | Rsqrts | Recpe | Rsqrte | Recpx | Urecpe | Ursqrte => super::fprecip::lane(k, ty, a, b, env),
            MulxElem => super::fprecip::lane(Mulx, ty, a, get(m, es, index), env),
            Addp | Maxp | Minp | MaxNmp | MinNmp | Cvtl | Cvtn | Cvtxn | MaxNmv | MinNmv | Maxv | Minv => {
                unreachable!("handled above")
            }
        };
        put(&mut out, es, i, r);
    }
    out
}

/// `Reduce`: `o` of the reductions of the lower and upper halves of `elems` (2^k elements).
fn reduce(o: &FpOp, elems: &[u64], env: &mut FpEnv) -> u64 {
    if let [x] = elems {
        return *x;
    }
    let (lo, hi) = elems.split_at(elems.len() / 2);
    let (lo, hi) = (reduce(o, lo, env), reduce(o, hi, env));
    lane(o, lo, hi, 0, env)
}

/// FMLAL, FMLSL, FMLAL2, FMLSL2 (`VecKind::Fmlal`): S lane `i` of V`d` plus (minus, `sub`) the
/// product of H lane `i` of the source half (the lower one, or the upper with `upper`) of V`n`
/// and of V`m` (or H element `e` of V`m`), 2 lanes or (`q`) 4.
#[allow(clippy::too_many_arguments)] // the operation's options, its shape and its operands
pub fn mul_add_long(
    sub: bool,
    upper: bool,
    second: Second,
    q: bool,
    n: u128,
    m: u128,
    d: u128,
    env: &mut FpEnv,
) -> u128 {
    let lanes = if q { 4 } else { 2 };
    // `Vpart[n, part]` of half the datasize: part 1 is bits 63:32 (2S) or 127:64 (4S).
    let base = if upper { lanes } else { 0 };
    let mut out = 0u128;
    for i in 0..lanes {
        // FPNeg of the first multiplicand (a NaN's sign too).
        let a = get(n, 1, base + i) ^ if sub { 0x8000 } else { 0 };
        let b = match second {
            Second::Vector => get(m, 1, base + i),
            Second::Element(e) => get(m, 1, e as usize),
        };
        put(&mut out, 2, i, super::fpsem::mul_add_h(get(d, 2, i), a, b, env));
    }
    out
}
