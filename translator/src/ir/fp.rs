//! Scalar floating-point IR operations and their A64 semantics in plain Rust (Arm ARM J1
//! shared pseudocode: `FPProcessNaNs`, `FPMax`/`FPMin`/`FPMaxNum`/`FPMinNum`, `FPMulAdd`,
//! `FPCompare`, `FPRoundInt`, `FPToFixed`, `FixedToFP`, `FPConvert`). The interpreter evaluates
//! them directly; the backend lowers the common cases to SSE/FMA3 and calls [`helper_fp`]
//! for the rest and for every result that is a NaN (x86's NaN propagation differs from A64's).
//!
//! The semantics themselves (FPCR.RMode, FZ, DN, FPSR's cumulative flags) are in
//! [`super::fpsem`]; the environment and its mapping onto MXCSR in [`super::fpenv`].

use super::fpenv::{FpEnv, HostMxcsr};
use super::Val;
use crate::cpu::CpuState;
use crate::ops::FpRound;

/// Precision of a scalar FP op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FpTy {
    /// 32-bit.
    S = 0,
    /// 64-bit.
    D = 1,
    /// 16-bit (FEAT_FP16).
    H = 2,
}

impl FpTy {
    /// The bits of a value of this precision.
    pub fn mask(self) -> u64 {
        match self {
            FpTy::H => 0xffff,
            FpTy::S => 0xffff_ffff,
            FpTy::D => u64::MAX,
        }
    }
}

/// Width of the integer of a conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntW {
    /// 16-bit (the AdvSIMD conversions of halves).
    W16,
    /// 32-bit.
    W32,
    /// 64-bit.
    W64,
}

impl IntW {
    /// Its width in bits.
    pub fn bits(self) -> u32 {
        match self {
            IntW::W16 => 16,
            IntW::W32 => 32,
            IntW::W64 => 64,
        }
    }

    /// The bits of an integer of this width.
    pub fn mask(self) -> u64 {
        u64::MAX >> (64 - self.bits())
    }

    /// The integer as wide as the elements of precision `t` (the AdvSIMD conversions).
    pub fn of(t: FpTy) -> Self {
        match t {
            FpTy::H => IntW::W16,
            FpTy::S => IntW::W32,
            FpTy::D => IntW::W64,
        }
    }
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
    /// Value: n converted to an integer (`round`, `signed`, `int`, `fbits`).
    ToInt,
    /// Value: the double n as FJCVTZS converts it (`FPToFixedJS`): the 32-bit integer in bits
    /// 31:0, bit 32 set when the conversion was exact.
    ToIntJs,
    /// d = the integer value `src` converted (`signed`, `int`, `fbits`).
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
    /// `ToInt`/`FromInt`: the integer's width.
    pub int: IntW,
    /// `Cmp`: compare with zero.
    pub zero: bool,
    /// `Cmp`: signalling compare (FCMPE, FCCMPE): IOC on quiet NaNs too.
    pub signal: bool,
    /// `Cmp`: only compare when the integer operand `src` is non-zero (FCCMP); else the value
    /// is 0 and no flag is raised.
    pub cond: bool,
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
            int: IntW::W32,
            zero: false,
            signal: false,
            cond: false,
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
        matches!(self.kind, FpKind::Cmp | FpKind::ToInt | FpKind::ToIntJs)
    }
}

/// Write a scalar result: the rest of the V register is zeroed.
fn set(cpu: &mut CpuState, d: u8, bits: u64) {
    cpu.v[d as usize] = [bits, 0];
}

/// One lane of a vector FP operation with the scalar semantics: `f` names the operation (its
/// register fields are ignored); `n`, `m`, `a` are the lane's operand bit patterns. Flags go
/// to `env`.
pub fn lane(f: &FpOp, n: u64, m: u64, a: u64, env: &mut FpEnv) -> u64 {
    super::fpsem::lane(f, n, m, a, env)
}

/// Evaluate `f` on `cpu`; `x` is the value of `f.src` (if any). Returns the op's value (0 for
/// ops that only write a V register). Raised flags go to `cpu.fpsr`.
pub fn eval(cpu: &mut CpuState, f: &FpOp, x: u64) -> u64 {
    if f.kind == FpKind::Cmp && f.cond && x == 0 {
        // FCCMP whose condition failed: no comparison, no flags.
        return 0;
    }
    let mask = f.ty.mask();
    let rd = |r: u8| cpu.v[r as usize][0] & mask;
    let n = if f.kind == FpKind::FromInt { x } else { rd(f.n) };
    let m = if f.kind == FpKind::Cmp && f.zero { 0 } else { rd(f.m) };
    let a = rd(f.a);
    let mut env = FpEnv::new(cpu.fpcr);
    let r = lane(f, n, m, a, &mut env);
    cpu.fpsr |= env.flags;
    if f.has_value() {
        r
    } else {
        set(cpu, f.d, r);
        0
    }
}

/// Helper called by emitted code: evaluates `op` with integer operand `x`, returning its value.
///
/// # Safety
/// `cpu` must point to a live CpuState (the one emitted code runs on), `op` to a live FpOp
/// (the translation keeps it, see `x64::Compiled::calls`).
pub unsafe extern "C" fn helper_fp(cpu: *mut CpuState, op: *const FpOp, x: u64) -> u64 {
    // SAFETY: emitted code passes its pinned CpuState pointer and an op its block keeps alive.
    let (cpu, op) = unsafe { (&mut *cpu, &*op) };
    let _mx = HostMxcsr::enter();
    eval(cpu, op, x)
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
        f.int = if w64 { IntW::W64 } else { IntW::W32 };
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
        unsafe { helper_fp(&mut cpu, &f, 0) };
        assert_eq!(cpu.v[0][0], 0x7ff8_0000_0000_0000);
    }
}

#[cfg(test)]
mod env_tests {
    use super::*;
    use crate::ir::fpenv::*;

    fn run(fpcr: u64, kind: FpKind, ty: FpTy, a: u64, b: u64) -> (u64, u64) {
        let mut cpu = CpuState::default();
        cpu.set_fpcr(fpcr);
        cpu.v[1] = [a, 0];
        cpu.v[2] = [b, 0];
        let mut f = FpOp::new(kind, ty);
        (f.n, f.m) = (1, 2);
        let r = eval(&mut cpu, &f, 0);
        (if f.has_value() { r } else { cpu.v[0][0] }, cpu.fpsr_value())
    }

    #[test]
    fn rounding_modes_and_flags() {
        let (one, three) = (1.0f64.to_bits(), 3.0f64.to_bits());
        let (n, fl) = run(0, FpKind::Div, FpTy::D, one, three);
        let (p, _) = run(1 << 22, FpKind::Div, FpTy::D, one, three);
        let (m, _) = run(2 << 22, FpKind::Div, FpTy::D, one, three);
        let (z, _) = run(3 << 22, FpKind::Div, FpTy::D, one, three);
        assert_eq!((n, fl), ((1.0f64 / 3.0).to_bits(), IXC));
        assert_eq!((p, m, z), (n + 1, n, n));
        assert_eq!(run(0, FpKind::Div, FpTy::D, one, 0).1, DZC);
        assert_eq!(run(0, FpKind::Mul, FpTy::D, f64::MAX.to_bits(), three).1, OFC | IXC);
        // FCMPE signals on a quiet NaN, FCMP does not.
        let qnan = f64::NAN.to_bits();
        assert_eq!(run(0, FpKind::Cmp, FpTy::D, qnan, one).1, 0);
        let mut cpu = CpuState::default();
        cpu.v[1] = [qnan, 0];
        let mut f = FpOp::new(FpKind::Cmp, FpTy::D);
        (f.n, f.m, f.signal) = (1, 1, true);
        eval(&mut cpu, &f, 0);
        assert_eq!(cpu.fpsr_value(), IOC);
        // Out-of-range conversion: IOC alone; inexact in range: IXC.
        let to_i32 = |x: f64| {
            let mut cpu = CpuState::default();
            cpu.v[1] = [x.to_bits(), 0];
            let mut f = FpOp::new(FpKind::ToInt, FpTy::D);
            (f.n, f.round, f.signed) = (1, FpRound::Z, true);
            (eval(&mut cpu, &f, 0), cpu.fpsr_value())
        };
        assert_eq!(to_i32(3e9 + 0.5), (i32::MAX as u64, IOC));
        assert_eq!(to_i32(-2.5), (-2i32 as u32 as u64, IXC));
    }

    #[test]
    fn flush_to_zero_and_default_nan() {
        let den = 1u64; // the smallest double denormal
        let (r, fl) = run(FPCR_FZ, FpKind::Add, FpTy::D, den, den);
        assert_eq!((r, fl), (0, IDC));
        let min = f64::MIN_POSITIVE.to_bits();
        let (r, fl) = run(FPCR_FZ, FpKind::Mul, FpTy::D, min, 0.5f64.to_bits());
        assert_eq!((r, fl), (0, UFC));
        let (r, fl) = run(0, FpKind::Mul, FpTy::D, min, 0.5f64.to_bits());
        assert_eq!((r, fl), (min >> 1, 0));
        let snan = 0x7ff0_0000_0000_0005;
        assert_eq!(run(0, FpKind::Add, FpTy::D, snan, 0), (0x7ff8_0000_0000_0005, IOC));
        assert_eq!(
            run(FPCR_DN, FpKind::Add, FpTy::D, snan, 0),
            (0x7ff8_0000_0000_0000, IOC)
        );
    }
}
