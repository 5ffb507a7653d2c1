//! Lifting of the scalar floating-point instructions (Arm ARM C7.2, FADD..FSQRT, FCMP, FCCMP,
//! FCSEL, FMOV (immediate), FCVT*, SCVTF/UCVTF): arithmetic becomes `Op::Fp` on CpuState's V
//! registers; FCSEL and FMOV (immediate) are lane moves.

use super::{cc, Ctx};
use crate::a64::fp::*;
use crate::a64::{Cond, Reg, VReg, Width};
use crate::ir::fp::{FpKind, FpOp, FpTy, IntW};
use crate::ir::{BinOp, Log2, Op, Sz};

fn ty(t: FpType) -> FpTy {
    match t {
        FpType::H => FpTy::H,
        FpType::S => FpTy::S,
        FpType::D => FpTy::D,
    }
}

fn lane(t: FpType) -> Log2 {
    match t {
        FpType::H => Log2(1),
        FpType::S => Log2(2),
        FpType::D => Log2(3),
    }
}

/// The integer width of a general register.
fn int_w(w: Width) -> IntW {
    match w {
        Width::W32 => IntW::W32,
        Width::W64 => IntW::W64,
    }
}

/// Write a scalar value to V`d`, zeroing the rest of the register.
fn set_scalar(cx: &mut Ctx, t: FpType, d: u8, val: crate::ir::Val) {
    cx.b.push(Op::VSetLane {
        v: d,
        size: lane(t),
        index: 0,
        val,
        zero_rest: true,
    });
}

fn get_scalar(cx: &mut Ctx, t: FpType, n: u8) -> crate::ir::Val {
    cx.b.push(Op::VGetLane {
        v: n,
        size: lane(t),
        index: 0,
        signed: false,
    })
}

/// Lift one scalar FP instruction.
pub(super) fn lift(cx: &mut Ctx, inst: FpInst) {
    match inst {
        FpInst::Dp1 { op, ty: t, rd, rn } => {
            let kind = match op {
                Fp1Op::Abs => FpKind::Abs,
                Fp1Op::Neg => FpKind::Neg,
                Fp1Op::Sqrt => FpKind::Sqrt,
                Fp1Op::Cvt(_) => FpKind::Cvt,
                Fp1Op::Rint(_) => FpKind::Rint,
            };
            let mut f = FpOp::new(kind, ty(t));
            (f.d, f.n) = (rd.0, rn.0);
            match op {
                Fp1Op::Cvt(to) => f.to = ty(to),
                Fp1Op::Rint(r) => f.round = r,
                _ => {}
            }
            cx.b.push(Op::Fp(f));
        }
        FpInst::Dp2 { op, ty: t, rd, rn, rm } => {
            let kind = match op {
                Fp2Op::Mul => FpKind::Mul,
                Fp2Op::Div => FpKind::Div,
                Fp2Op::Add => FpKind::Add,
                Fp2Op::Sub => FpKind::Sub,
                Fp2Op::Max => FpKind::Max,
                Fp2Op::Min => FpKind::Min,
                Fp2Op::MaxNm => FpKind::MaxNm,
                Fp2Op::MinNm => FpKind::MinNm,
                Fp2Op::Nmul => FpKind::Nmul,
            };
            let mut f = FpOp::new(kind, ty(t));
            (f.d, f.n, f.m) = (rd.0, rn.0, rm.0);
            cx.b.push(Op::Fp(f));
        }
        FpInst::Dp3 {
            op,
            ty: t,
            rd,
            rn,
            rm,
            ra,
        } => {
            let kind = match op {
                Fp3Op::Madd => FpKind::Madd,
                Fp3Op::Msub => FpKind::Msub,
                Fp3Op::Nmadd => FpKind::Nmadd,
                Fp3Op::Nmsub => FpKind::Nmsub,
            };
            let mut f = FpOp::new(kind, ty(t));
            (f.d, f.n, f.m, f.a) = (rd.0, rn.0, rm.0, ra.0);
            cx.b.push(Op::Fp(f));
        }
        FpInst::Cmp { ty: t, rn, rm, signal } => {
            let mut f = FpOp::new(FpKind::Cmp, ty(t));
            f.n = rn.0;
            f.signal = signal;
            match rm {
                Some(m) => f.m = m.0,
                None => f.zero = true,
            }
            let v = cx.b.push(Op::Fp(f));
            let fl = cx.b.push(Op::FlagsPacked(v));
            cx.b.set_flags(fl);
        }
        FpInst::Ccmp {
            ty: t,
            rn,
            rm,
            cond,
            nzcv,
            signal,
        } => ccmp(cx, t, rn, rm, cond, nzcv, signal),
        FpInst::Csel {
            ty: t,
            rd,
            rn,
            rm,
            cond,
        } => csel(cx, t, rd, rn, rm, cond),
        FpInst::MovImm { ty: t, rd, imm } => {
            let k = cx.k(imm);
            set_scalar(cx, t, rd.0, k);
        }
        FpInst::ToInt {
            ty: t,
            rounding,
            unsigned,
            w,
            fbits,
            rd,
            rn,
        } => {
            let mut f = FpOp::new(FpKind::ToInt, ty(t));
            f.n = rn.0;
            f.round = rounding;
            f.signed = !unsigned;
            f.int = int_w(w);
            f.fbits = fbits;
            let v = cx.b.push(Op::Fp(f));
            cx.write(rd, w, v);
        }
        FpInst::Fjcvtzs { rd, rn } => fjcvtzs(cx, rd, rn),
        FpInst::ToIntV {
            ty: t,
            rounding,
            unsigned,
            rd,
            rn,
        } => {
            let mut f = FpOp::new(FpKind::ToInt, ty(t));
            f.n = rn.0;
            f.round = rounding;
            f.signed = !unsigned;
            f.int = IntW::of(ty(t));
            let v = cx.b.push(Op::Fp(f));
            set_scalar(cx, t, rd.0, v);
        }
        FpInst::FromIntV {
            ty: t,
            unsigned,
            rd,
            rn,
        } => {
            let x = get_scalar(cx, t, rn.0);
            let mut f = FpOp::new(FpKind::FromInt, ty(t));
            f.d = rd.0;
            f.signed = !unsigned;
            f.int = IntW::of(ty(t));
            f.src = Some(x);
            cx.b.push(Op::Fp(f));
        }
        FpInst::FromInt {
            ty: t,
            unsigned,
            w,
            fbits,
            rd,
            rn,
        } => from_int(cx, t, unsigned, w, fbits, rd, rn),
    }
}
/// FCCMP, FCCMPE: the comparison's flags if `cond` holds, else `nzcv`.
fn ccmp(cx: &mut Ctx, t: FpType, rn: VReg, rm: VReg, cond: Cond, nzcv: u8, signal: bool) {
    let mut f = FpOp::new(FpKind::Cmp, ty(t));
    (f.n, f.m, f.signal) = (rn.0, rm.0, signal);
    let always = matches!(cond, Cond::Al | Cond::Nv);
    let old = cx.b.flags();
    if !always {
        // The comparison (and the flags it may raise) happens only if `cond` holds.
        f.cond = true;
        f.src = Some(cx.b.push(Op::CondVal(cc(cond), old)));
    }
    let v = cx.b.push(Op::Fp(f));
    let nv = if always {
        v
    } else {
        let alt = cx.k((nzcv as u64) << 28);
        cx.b.push(Op::Select(cc(cond), old, v, alt))
    };
    let fl = cx.b.push(Op::FlagsPacked(nv));
    cx.b.set_flags(fl);
}

/// FJCVTZS: the JavaScript conversion, Z set when it was exact.
fn fjcvtzs(cx: &mut Ctx, rd: Reg, rn: VReg) {
    // The value: the integer in bits 31:0, Z in bit 32; N, C and V are cleared.
    let mut f = FpOp::new(FpKind::ToIntJs, FpTy::D);
    f.n = rn.0;
    let v = cx.b.push(Op::Fp(f));
    cx.write(rd, Width::W32, v);
    let (k32, k30) = (cx.k(32), cx.k(30));
    let z = cx.bin(BinOp::Lshr, Sz::S64, v, k32);
    let nzcv = cx.bin(BinOp::Shl, Sz::S64, z, k30);
    let flags = cx.b.push(Op::FlagsPacked(nzcv));
    cx.b.set_flags(flags);
}

/// SCVTF, UCVTF (and their fixed-point forms) from a general register.
fn from_int(cx: &mut Ctx, t: FpType, unsigned: bool, w: Width, fbits: u8, rd: VReg, rn: Reg) {
    let x = cx.read(rn);
    let mut f = FpOp::new(FpKind::FromInt, ty(t));
    f.d = rd.0;
    f.signed = !unsigned;
    f.int = int_w(w);
    f.fbits = fbits;
    f.src = Some(x);
    cx.b.push(Op::Fp(f));
}

/// FCSEL.
fn csel(cx: &mut Ctx, t: FpType, rd: VReg, rn: VReg, rm: VReg, cond: Cond) {
    let a = get_scalar(cx, t, rn.0);
    let r = if matches!(cond, Cond::Al | Cond::Nv) {
        a
    } else {
        let b = get_scalar(cx, t, rm.0);
        cx.select_on(cond, a, b)
    };
    set_scalar(cx, t, rd.0, r);
}
