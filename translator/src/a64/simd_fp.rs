//! Builders of the AdvSIMD floating-point instructions (Arm ARM C7.2, the F* vector, scalar,
//! by-element, across-lanes and fixed-point forms on halves, singles and doubles): each makes the
//! `VecKind::Fp` operation its specification row names.

use super::fp::FpType;
use super::inst::*;
use super::simd::imm_shift_fields;
use super::simd_types::*;
use crate::ops::FpRound;

/// The operation without a rounding mode, element or fraction bits.
fn plain(kind: VfpKind, scalar: bool) -> VfpOp {
    VfpOp {
        kind,
        round: FpRound::N,
        signed: false,
        index: 0,
        scalar,
    }
}

/// `f` on elements of `ty`, 128 bits if `q` (never for the scalar forms).
fn inst(f: VfpOp, ty: FpType, q: bool, [rd, rn, rm]: [VReg; 3]) -> Inst {
    let arr = Arrangement {
        esize: super::fp::size(ty) as u8,
        q: q && !f.scalar,
    };
    vec(VecKind::Fp(f), arr, rd, rn, rm)
}

/// A vector operation on elements of `ty` (FCVTN, FCVTL, FCVTXN: the double side's), or an
/// across-lanes reduction of them (FMAXV...: its result in element 0).
pub(super) fn vector(kind: VfpKind, ty: FpType, q: u32, regs: [VReg; 3]) -> Inst {
    inst(plain(kind, false), ty, q == 1, regs)
}

/// A vector rounding (FRINT*) or conversion (FCVT*S/U, SCVTF, UCVTF) of V`n`'s elements.
pub(super) fn convert(kind: VfpKind, round: FpRound, signed: bool, ty: FpType, q: u32, [rd, rn]: [VReg; 2]) -> Inst {
    let f = VfpOp {
        round,
        signed,
        ..plain(kind, false)
    };
    inst(f, ty, q == 1, [rd, rn, rn])
}

/// A vector operation whose second operand is element `index` of V`m` (FMLA, FMLS, FMUL,
/// FMULX by element).
pub(super) fn element(kind: VfpKind, ty: FpType, q: u32, index: u32, regs: [VReg; 3]) -> Inst {
    let f = VfpOp {
        index: index as u8,
        ..plain(kind, false)
    };
    inst(f, ty, q == 1, regs)
}

/// The scalar form of an operation: element 0 only, the rest of V`d` zeroed.
pub(super) fn scalar(kind: VfpKind, ty: FpType, regs: [VReg; 3]) -> Inst {
    inst(plain(kind, true), ty, false, regs)
}

/// The scalar form of a by-element operation.
pub(super) fn scalar_element(kind: VfpKind, ty: FpType, index: u32, regs: [VReg; 3]) -> Inst {
    let f = VfpOp {
        index: index as u8,
        ..plain(kind, true)
    };
    inst(f, ty, false, regs)
}

/// SCVTF, UCVTF, FCVTZS, FCVTZU (vector or scalar, fixed-point): elements of 16 (immh 001x),
/// 32 (01xx) or 64 (1xxx) bits with 2 * size - immh:immb fraction bits.
pub(super) fn fixed_point(
    kind: VfpKind,
    signed: bool,
    scalar: bool,
    q: u32,
    [immh, immb]: [u32; 2],
    [rd, rn]: [VReg; 2],
) -> Inst {
    let (es, ebits, immhb) = imm_shift_fields(immh, immb);
    let f = VfpOp {
        kind,
        round: FpRound::Z,
        signed,
        index: (2 * ebits - immhb) as u8,
        scalar,
    };
    let ty = match es {
        1 => FpType::H,
        3 => FpType::D,
        _ => FpType::S,
    };
    inst(f, ty, q == 1, [rd, rn, rn])
}
