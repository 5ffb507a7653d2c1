//! Scalar floating-point IR operations and their A64 semantics in plain Rust (Arm ARM J1
//! shared pseudocode: `FPProcessNaNs`, `FPMax`/`FPMin`/`FPMaxNum`/`FPMinNum`, `FPMulAdd`,
//! `FPCompare`, `FPRoundInt`, `FPToFixed`, `FixedToFP`, `FPConvert`). The interpreter evaluates
//! them directly; the backend lowers the common cases to SSE/FMA3 and calls [`helper_fp`]
//! for the rest and for every result that is a NaN (x86's NaN propagation differs from A64's).
//!
//! Implemented: FPCR.DN (default NaN) and FPCR.RMode for FRINTI/FRINTX. Not implemented:
//! FPCR.RMode for arithmetic and conversions (always round to nearest even), FPCR.FZ (denormals
//! are kept), FPSR cumulative exception flags (never set).

use super::Val;
use crate::cpu::CpuState;

/// Precision of a scalar FP op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FpTy {
    /// 32-bit.
    S = 0,
    /// 64-bit.
    D = 1,
}

/// Rounding modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FpRound {
    /// Nearest, ties to even.
    N = 0,
    /// Toward +infinity.
    P = 1,
    /// Toward -infinity.
    M = 2,
    /// Toward zero.
    Z = 3,
    /// Nearest, ties away from zero.
    A = 4,
    /// FPCR.RMode.
    Fpcr = 5,
}

/// Which scalar FP operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum FpKind {
    /// d = n op m.
    Add = 0,
    Sub,
    Mul,
    Div,
    Nmul,
    Max,
    Min,
    MaxNm,
    MinNm,
    /// d = op(n).
    Abs,
    Neg,
    Sqrt,
    /// FRINT* with `round`.
    Rint,
    /// FCVT: d (precision `to`) = n (precision `ty`).
    Cvt,
    /// d = a + n*m, a - n*m, -a - n*m, -a + n*m (fused).
    Madd,
    Msub,
    Nmadd,
    Nmsub,
    /// Value: NZCV (bits 31:28) of comparing n with m (with +0.0 when `zero`).
    Cmp,
    /// Value: n converted to an integer (`round`, `signed`, `w64`, `fbits`).
    ToInt,
    /// d = the integer value `src` converted (`signed`, `w64`, `fbits`).
    FromInt,
}

/// One scalar FP operation on V registers in CpuState (and, for conversions, one integer value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FpOp {
    /// The operation.
    pub kind: FpKind,
    /// Precision (of the source for `Cvt` and `ToInt`).
    pub ty: FpTy,
    /// Destination precision of `Cvt`.
    pub to: FpTy,
    /// Rounding of `Rint` and `ToInt`.
    pub round: FpRound,
    /// `ToInt`/`FromInt`: signed integer.
    pub signed: bool,
    /// `ToInt`/`FromInt`: 64-bit integer (else 32-bit).
    pub w64: bool,
    /// `Cmp`: compare with zero.
    pub zero: bool,
    /// `ToInt`/`FromInt`: fixed-point fraction bits.
    pub fbits: u8,
    /// Destination V register.
    pub d: u8,
    /// Operand V registers.
    pub n: u8,
    /// Second operand.
    pub m: u8,
    /// Addend of the fused multiply-adds.
    pub a: u8,
    /// Integer source of `FromInt`.
    pub src: Option<Val>,
}

impl FpOp {
    /// An op of `kind` and precision `ty` with everything else defaulted.
    pub fn new(kind: FpKind, ty: FpTy) -> Self {
        Self {
            kind,
            ty,
            to: ty,
            round: FpRound::N,
            signed: false,
            w64: false,
            zero: false,
            fbits: 0,
            d: 0,
            n: 0,
            m: 0,
            a: 0,
            src: None,
        }
    }

    /// Whether the op defines an integer value (else it writes V`d`).
    pub fn has_value(&self) -> bool {
        matches!(self.kind, FpKind::Cmp | FpKind::ToInt)
    }

    /// Everything but `src` packed in two words, for [`helper_fp`]: (code, registers).
    pub fn encode(&self) -> (u64, u64) {
        let code = self.kind as u64
            | (self.ty as u64) << 8
            | (self.to as u64) << 16
            | (self.round as u64) << 24
            | (self.signed as u64) << 32
            | (self.w64 as u64) << 33
            | (self.zero as u64) << 34
            | (self.fbits as u64) << 40;
        let regs = self.d as u64 | (self.n as u64) << 8 | (self.m as u64) << 16 | (self.a as u64) << 24;
        (code, regs)
    }

    /// Inverse of [`FpOp::encode`] (`src` is None).
    pub fn decode(code: u64, regs: u64) -> Self {
        const KINDS: [FpKind; 21] = {
            use FpKind::*;
            [
                Add, Sub, Mul, Div, Nmul, Max, Min, MaxNm, MinNm, Abs, Neg, Sqrt, Rint, Cvt, Madd, Msub, Nmadd, Nmsub,
                Cmp, ToInt, FromInt,
            ]
        };
        const ROUNDS: [FpRound; 6] = [
            FpRound::N,
            FpRound::P,
            FpRound::M,
            FpRound::Z,
            FpRound::A,
            FpRound::Fpcr,
        ];
        let ty = |b: u64| if b & 0xff == 0 { FpTy::S } else { FpTy::D };
        Self {
            kind: KINDS[(code & 0xff) as usize],
            ty: ty(code >> 8),
            to: ty(code >> 16),
            round: ROUNDS[((code >> 24) & 0xff) as usize],
            signed: code >> 32 & 1 != 0,
            w64: code >> 33 & 1 != 0,
            zero: code >> 34 & 1 != 0,
            fbits: (code >> 40) as u8,
            d: regs as u8,
            n: (regs >> 8) as u8,
            m: (regs >> 16) as u8,
            a: (regs >> 24) as u8,
            src: None,
        }
    }
}

/// FPCR.DN.
const FPCR_DN: u64 = 1 << 25;

/// The IEEE formats as A64's pseudocode sees them.
trait Fmt: Copy + PartialOrd + std::ops::Neg<Output = Self> {
    const SIGN: u64;
    const QUIET: u64;
    const DEFAULT_NAN: u64;
    const INF: u64;
    fn from_u(b: u64) -> Self;
    fn u(self) -> u64;
    fn nan(self) -> bool;
    fn zero(self) -> bool;
    fn inf(self) -> bool;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    fn sqrt(self) -> Self;
    fn fma(self, m: Self, a: Self) -> Self;
    fn round_with(self, r: FpRound) -> Self;
    fn to_f64(self) -> f64;
    fn from_i64(x: i64) -> Self;
    fn from_u64(x: u64) -> Self;
    fn scale(self, e: i32) -> Self;
}

macro_rules! fmt_impl {
    ($t:ty, $sign:expr, $quiet:expr, $dn:expr, $inf:expr) => {
        impl Fmt for $t {
            const SIGN: u64 = $sign;
            const QUIET: u64 = $quiet;
            const DEFAULT_NAN: u64 = $dn;
            const INF: u64 = $inf;
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
            fn add(self, o: Self) -> Self {
                self + o
            }
            fn sub(self, o: Self) -> Self {
                self - o
            }
            fn mul(self, o: Self) -> Self {
                self * o
            }
            fn div(self, o: Self) -> Self {
                self / o
            }
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            fn fma(self, m: Self, a: Self) -> Self {
                self.mul_add(m, a)
            }
            fn round_with(self, r: FpRound) -> Self {
                match r {
                    FpRound::N | FpRound::Fpcr => self.round_ties_even(),
                    FpRound::P => self.ceil(),
                    FpRound::M => self.floor(),
                    FpRound::Z => self.trunc(),
                    FpRound::A => self.round(),
                }
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn from_i64(x: i64) -> Self {
                x as $t
            }
            fn from_u64(x: u64) -> Self {
                x as $t
            }
            fn scale(self, e: i32) -> Self {
                // Exact for the |e| <= 64 used here (no overflow or underflow of the scale).
                self * (2.0 as $t).powi(e)
            }
        }
    };
}

fmt_impl!(f32, 1 << 31, 1 << 22, 0x7fc0_0000, 0x7f80_0000);
fmt_impl!(f64, 1 << 63, 1 << 51, 0x7ff8_0000_0000_0000, 0x7ff0_0000_0000_0000);

// NaNs are handled as bit patterns (u64) only: LLVM treats NaN payloads as unspecified and may
// fold `if r.is_nan() { DEFAULT_NAN } else { r }` to `r` when both are floats.

fn is_nan<F: Fmt>(x: u64) -> bool {
    F::from_u(x).nan()
}

fn is_snan<F: Fmt>(x: u64) -> bool {
    is_nan::<F>(x) && x & F::QUIET == 0
}

fn is_qnan<F: Fmt>(x: u64) -> bool {
    is_nan::<F>(x) && x & F::QUIET != 0
}

/// `FPProcessNaN`: the NaN quieted, or the default NaN with FPCR.DN.
fn process_nan<F: Fmt>(x: u64, fpcr: u64) -> u64 {
    if fpcr & FPCR_DN != 0 {
        F::DEFAULT_NAN
    } else {
        x | F::QUIET
    }
}

/// `FPProcessNaNs3` over the operands in order (two or three): the first signalling NaN,
/// else the first quiet NaN, processed; None if no operand is a NaN.
fn process_nans<F: Fmt>(ops: &[u64], fpcr: u64) -> Option<u64> {
    let x = ops
        .iter()
        .find(|x| is_snan::<F>(**x))
        .or_else(|| ops.iter().find(|x| is_qnan::<F>(**x)))?;
    Some(process_nan::<F>(*x, fpcr))
}

/// A computed result: the default NaN when the operation produced a NaN.
fn generated<F: Fmt>(r: F) -> u64 {
    let b = r.u();
    if is_nan::<F>(b) {
        F::DEFAULT_NAN
    } else {
        b
    }
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

fn neg_bits<F: Fmt>(x: u64) -> u64 {
    x ^ F::SIGN
}

fn arith2<F: Fmt>(k: FpKind, a: u64, b: u64, fpcr: u64) -> u64 {
    use FpKind::*;
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
    if let Some(n) = process_nans::<F>(&[a, b], fpcr) {
        return if k == Nmul { neg_bits::<F>(n) } else { n };
    }
    let (x, y) = (F::from_u(a), F::from_u(b));
    match k {
        Add => generated(x.add(y)),
        Sub => generated(x.sub(y)),
        Mul => generated(x.mul(y)),
        Div => generated(x.div(y)),
        Nmul => neg_bits::<F>(generated(x.mul(y))),
        Max | MaxNm => max_min::<F>(a, b, true),
        Min | MinNm => max_min::<F>(a, b, false),
        _ => unreachable!(),
    }
}

/// `FPMulAdd(addend, op1, op2)` with the operand negations of FMSUB/FNMADD/FNMSUB applied
/// first (`FPNeg` flips NaNs' signs too).
fn muladd<F: Fmt>(k: FpKind, a: u64, n: u64, m: u64, fpcr: u64) -> u64 {
    let (neg_a, neg_n) = match k {
        FpKind::Madd => (false, false),
        FpKind::Msub => (false, true),
        FpKind::Nmadd => (true, true),
        _ => (true, false),
    };
    let a = if neg_a { neg_bits::<F>(a) } else { a };
    let n = if neg_n { neg_bits::<F>(n) } else { n };
    let (fa, fn_, fm) = (F::from_u(a), F::from_u(n), F::from_u(m));
    let inf_times_zero = (fn_.inf() && fm.zero()) || (fn_.zero() && fm.inf());
    if is_qnan::<F>(a) && inf_times_zero {
        return F::DEFAULT_NAN;
    }
    if let Some(x) = process_nans::<F>(&[a, n, m], fpcr) {
        return x;
    }
    generated(fn_.fma(fm, fa))
}

/// `FPCompare`: NZCV in bits 31:28.
fn compare<F: Fmt>(a: u64, b: u64) -> u64 {
    let (x, y) = (F::from_u(a), F::from_u(b));
    let nzcv: u64 = if x.nan() || y.nan() {
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
fn fpcr_round(fpcr: u64) -> FpRound {
    [FpRound::N, FpRound::P, FpRound::M, FpRound::Z][(fpcr >> 22 & 3) as usize]
}

/// `FPToFixed`: NaN gives 0; out-of-range values saturate.
fn to_int<F: Fmt>(x: u64, f: &FpOp, fpcr: u64) -> u64 {
    let r = if f.round == FpRound::Fpcr {
        fpcr_round(fpcr)
    } else {
        f.round
    };
    // Exact: every f32 and f64 value times 2^fbits (fbits <= 64) is representable or overflows
    // to infinity, which saturates the same way.
    let v = F::from_u(x).to_f64().scale(f.fbits as i32).round_with(r);
    // Rust's float -> int casts saturate and map NaN to 0, as FPToFixed does.
    match (f.signed, f.w64) {
        (true, true) => v as i64 as u64,
        (true, false) => v as i32 as u32 as u64,
        (false, true) => v as u64,
        (false, false) => v as u32 as u64,
    }
}

/// `FixedToFP`: one rounding of the integer, then an exact scale by 2^-fbits.
fn from_int<F: Fmt>(x: u64, f: &FpOp) -> u64 {
    let v = match (f.signed, f.w64) {
        (true, true) => F::from_i64(x as i64),
        (true, false) => F::from_i64(x as i32 as i64),
        (false, true) => F::from_u64(x),
        (false, false) => F::from_u64(x as u32 as u64),
    };
    v.scale(-(f.fbits as i32)).u()
}

/// `FPConvert` between single and double precision.
fn convert(x: u64, from: FpTy, fpcr: u64) -> u64 {
    match from {
        FpTy::S => {
            if is_nan::<f32>(x) {
                if fpcr & FPCR_DN != 0 {
                    return f64::DEFAULT_NAN;
                }
                // sign : exponent ones : quiet : fraction<21:0> : zeros
                let sign = (x >> 31 & 1) << 63;
                return sign | 0x7ff8_0000_0000_0000 | (x & 0x3f_ffff) << 29;
            }
            (f32::from_bits(x as u32) as f64).to_bits()
        }
        FpTy::D => {
            if is_nan::<f64>(x) {
                if fpcr & FPCR_DN != 0 {
                    return f32::DEFAULT_NAN;
                }
                let sign = (x >> 63 & 1) << 31;
                return sign | 0x7fc0_0000 | (x >> 29 & 0x3f_ffff);
            }
            (f64::from_bits(x) as f32).to_bits() as u64
        }
    }
}

fn eval_ty<F: Fmt>(cpu: &mut CpuState, f: &FpOp, x: u64) -> Option<u64> {
    use FpKind::*;
    let fpcr = cpu.fpcr;
    let mask = if F::SIGN == 1 << 31 { 0xffff_ffff } else { u64::MAX };
    let rd = |r: u8| cpu.v[r as usize][0] & mask;
    let (n, m) = (rd(f.n), rd(f.m));
    let r: u64 = match f.kind {
        Add | Sub | Mul | Div | Nmul | Max | Min | MaxNm | MinNm => arith2::<F>(f.kind, n, m, fpcr),
        Abs => n & !F::SIGN,
        Neg => neg_bits::<F>(n),
        Sqrt => match process_nans::<F>(&[n], fpcr) {
            Some(x) => x,
            None => generated(F::from_u(n).sqrt()),
        },
        Rint => match process_nans::<F>(&[n], fpcr) {
            Some(x) => x,
            None => {
                let r = if f.round == FpRound::Fpcr {
                    fpcr_round(fpcr)
                } else {
                    f.round
                };
                F::from_u(n).round_with(r).u()
            }
        },
        Madd | Msub | Nmadd | Nmsub => muladd::<F>(f.kind, rd(f.a), n, m, fpcr),
        Cmp => return Some(compare::<F>(n, if f.zero { 0 } else { m })),
        ToInt => return Some(to_int::<F>(n, f, fpcr)),
        FromInt => from_int::<F>(x, f),
        Cvt => unreachable!(),
    };
    set(cpu, f.d, r);
    None
}

/// One lane of a vector FP operation with the scalar semantics: `f` names the operation (its
/// register fields are ignored); `n`, `m`, `a` are the lane's operand bit patterns.
pub fn lane(f: &FpOp, n: u64, m: u64, a: u64, fpcr: u64) -> u64 {
    match f.ty {
        FpTy::S => lane_ty::<f32>(f, n & 0xffff_ffff, m & 0xffff_ffff, a & 0xffff_ffff, fpcr),
        FpTy::D => lane_ty::<f64>(f, n, m, a, fpcr),
    }
}

fn lane_ty<F: Fmt>(f: &FpOp, n: u64, m: u64, a: u64, fpcr: u64) -> u64 {
    use FpKind::*;
    match f.kind {
        Add | Sub | Mul | Div | Nmul | Max | Min | MaxNm | MinNm => arith2::<F>(f.kind, n, m, fpcr),
        Abs => n & !F::SIGN,
        Neg => neg_bits::<F>(n),
        Sqrt => process_nans::<F>(&[n], fpcr).unwrap_or_else(|| generated(F::from_u(n).sqrt())),
        Rint => process_nans::<F>(&[n], fpcr).unwrap_or_else(|| {
            let r = if f.round == FpRound::Fpcr {
                fpcr_round(fpcr)
            } else {
                f.round
            };
            F::from_u(n).round_with(r).u()
        }),
        Madd | Msub | Nmadd | Nmsub => muladd::<F>(f.kind, a, n, m, fpcr),
        Cmp => compare::<F>(n, m),
        ToInt => to_int::<F>(n, f, fpcr),
        FromInt => from_int::<F>(n, f),
        Cvt => convert(n, f.ty, fpcr),
    }
}

/// Write a scalar result: the rest of the V register is zeroed.
fn set(cpu: &mut CpuState, d: u8, bits: u64) {
    cpu.v[d as usize] = [bits, 0];
}

/// Evaluate `f` on `cpu`; `x` is the value of `f.src` (if any). Returns the op's value (0 for
/// ops that only write a V register).
pub fn eval(cpu: &mut CpuState, f: &FpOp, x: u64) -> u64 {
    if f.kind == FpKind::Cvt {
        let b = cpu.v[f.n as usize][0];
        let b = if f.ty == FpTy::S { b & 0xffff_ffff } else { b };
        let r = convert(b, f.ty, cpu.fpcr);
        set(cpu, f.d, r);
        return 0;
    }
    let r = match f.ty {
        FpTy::S => eval_ty::<f32>(cpu, f, x),
        FpTy::D => eval_ty::<f64>(cpu, f, x),
    };
    r.unwrap_or(0)
}

/// Helper called by emitted code: evaluates the op `FpOp::decode(code, regs)` with integer
/// operand `x`, returning its value.
///
/// # Safety
/// `cpu` must point to a live CpuState (the one emitted code runs on).
pub unsafe extern "C" fn helper_fp(cpu: *mut CpuState, code: u64, regs: u64, x: u64) -> u64 {
    // SAFETY: emitted code passes its pinned CpuState pointer.
    let cpu = unsafe { &mut *cpu };
    eval(cpu, &FpOp::decode(code, regs), x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run2(kind: FpKind, ty: FpTy, a: u64, b: u64) -> u64 {
        let mut cpu = CpuState::default();
        cpu.v[1] = [a, 0];
        cpu.v[2] = [b, 0];
        let mut f = FpOp::new(kind, ty);
        f.d = 0;
        f.n = 1;
        f.m = 2;
        let r = eval(&mut cpu, &f, 0);
        if f.has_value() {
            r
        } else {
            cpu.v[0][0]
        }
    }
    fn d(x: f64) -> u64 {
        x.to_bits()
    }
    const QNAN1: u64 = 0x7ff8_0000_0000_0001;
    const SNAN2: u64 = 0x7ff0_0000_0000_0002;

    #[test]
    fn nans() {
        // Signalling NaN of the second operand wins over a quiet first one.
        assert_eq!(run2(FpKind::Add, FpTy::D, QNAN1, SNAN2), 0x7ff8_0000_0000_0002);
        assert_eq!(run2(FpKind::Add, FpTy::D, QNAN1, d(1.0)), QNAN1);
        assert_eq!(run2(FpKind::Mul, FpTy::D, d(1.0), QNAN1), QNAN1);
        // Generated NaN is the positive default NaN (x86 gives the negative one).
        assert_eq!(
            run2(FpKind::Sub, FpTy::D, d(f64::INFINITY), d(f64::INFINITY)),
            0x7ff8_0000_0000_0000
        );
        assert_eq!(run2(FpKind::Div, FpTy::S, 0, 0), 0x7fc0_0000);
        // FMAXNM: the number wins over a quiet NaN; a signalling NaN still propagates.
        assert_eq!(run2(FpKind::MaxNm, FpTy::D, QNAN1, d(-3.0)), d(-3.0));
        assert_eq!(run2(FpKind::MinNm, FpTy::D, d(2.0), QNAN1), d(2.0));
        assert_eq!(run2(FpKind::MaxNm, FpTy::D, QNAN1, SNAN2), 0x7ff8_0000_0000_0002);
        assert_eq!(run2(FpKind::Max, FpTy::D, d(1.0), QNAN1), QNAN1);
    }

    #[test]
    fn max_min_zeros() {
        assert_eq!(run2(FpKind::Max, FpTy::D, d(-0.0), d(0.0)), d(0.0));
        assert_eq!(run2(FpKind::Max, FpTy::D, d(0.0), d(-0.0)), d(0.0));
        assert_eq!(run2(FpKind::Min, FpTy::D, d(0.0), d(-0.0)), d(-0.0));
        assert_eq!(run2(FpKind::Min, FpTy::S, 0, 0x8000_0000), 0x8000_0000);
        assert_eq!(run2(FpKind::Max, FpTy::D, d(1.0), d(2.0)), d(2.0));
        assert_eq!(run2(FpKind::Min, FpTy::D, d(1.0), d(2.0)), d(1.0));
    }

    #[test]
    fn compares() {
        assert_eq!(run2(FpKind::Cmp, FpTy::D, d(1.0), d(2.0)), 0x8000_0000);
        assert_eq!(run2(FpKind::Cmp, FpTy::D, d(2.0), d(2.0)), 0x6000_0000);
        assert_eq!(run2(FpKind::Cmp, FpTy::D, d(3.0), d(2.0)), 0x2000_0000);
        assert_eq!(run2(FpKind::Cmp, FpTy::D, QNAN1, d(2.0)), 0x3000_0000);
        assert_eq!(run2(FpKind::Cmp, FpTy::D, d(-0.0), d(0.0)), 0x6000_0000);
    }

    fn cvt(x: f64, round: FpRound, signed: bool, w64: bool) -> u64 {
        let mut cpu = CpuState::default();
        cpu.v[1] = [x.to_bits(), 0];
        let mut f = FpOp::new(FpKind::ToInt, FpTy::D);
        f.n = 1;
        f.round = round;
        f.signed = signed;
        f.w64 = w64;
        eval(&mut cpu, &f, 0)
    }

    #[test]
    fn saturation() {
        assert_eq!(cvt(f64::NAN, FpRound::Z, true, true), 0);
        assert_eq!(cvt(1e30, FpRound::Z, true, true), i64::MAX as u64);
        assert_eq!(cvt(-1e30, FpRound::Z, true, true), i64::MIN as u64);
        assert_eq!(cvt(1e30, FpRound::Z, true, false), i32::MAX as u32 as u64);
        assert_eq!(cvt(-1e30, FpRound::Z, true, false), i32::MIN as u32 as u64);
        assert_eq!(cvt(-5.0, FpRound::Z, false, true), 0);
        assert_eq!(cvt(1e30, FpRound::Z, false, false), u32::MAX as u64);
        assert_eq!(cvt(-2.7, FpRound::Z, true, true), -2i64 as u64);
        assert_eq!(cvt(2.5, FpRound::N, true, true), 2);
        assert_eq!(cvt(2.5, FpRound::A, true, true), 3);
        assert_eq!(cvt(-2.5, FpRound::A, true, true), -3i64 as u64);
        assert_eq!(cvt(-2.5, FpRound::M, true, true), -3i64 as u64);
        assert_eq!(cvt(2.1, FpRound::P, true, true), 3);
    }

    #[test]
    fn fused_and_rint() {
        let mut cpu = CpuState::default();
        cpu.v[1] = [d(1.0 + f64::EPSILON), 0];
        cpu.v[2] = [d(1.0 - f64::EPSILON), 0];
        cpu.v[3] = [d(-1.0), 0];
        let mut f = FpOp::new(FpKind::Madd, FpTy::D);
        (f.n, f.m, f.a) = (1, 2, 3);
        eval(&mut cpu, &f, 0);
        // Unfused this would be exactly 0.
        assert_eq!(f64::from_bits(cpu.v[0][0]), -f64::EPSILON * f64::EPSILON);
        let mut r = FpOp::new(FpKind::Rint, FpTy::D);
        (r.n, r.round) = (3, FpRound::A);
        cpu.v[3] = [d(-0.5), 0];
        eval(&mut cpu, &r, 0);
        assert_eq!(cpu.v[0][0], d(-1.0));
        cpu.v[3] = [d(-0.4), 0];
        eval(&mut cpu, &r, 0);
        assert_eq!(cpu.v[0][0], d(-0.0));
        for f in [FpKind::Add, FpKind::Cmp, FpKind::ToInt, FpKind::Nmsub] {
            let mut o = FpOp::new(f, FpTy::S);
            (o.d, o.n, o.m, o.a, o.round, o.signed, o.fbits, o.to) = (1, 2, 3, 4, FpRound::A, true, 17, FpTy::D);
            let (c, g) = o.encode();
            assert_eq!(FpOp::decode(c, g), o);
        }
    }
}

#[cfg(test)]
mod sqrt_tests {
    use super::*;
    #[test]
    fn sqrt_negative_is_default_nan() {
        let mut cpu = CpuState::default();
        cpu.v[0] = [(-1.0f64).to_bits(), 0];
        let f = FpOp::new(FpKind::Sqrt, FpTy::D);
        let (c, r) = f.encode();
        unsafe { helper_fp(&mut cpu, c, r, 0) };
        assert_eq!(cpu.v[0][0], 0x7ff8_0000_0000_0000);
    }
}
