//! Scalar floating point (Arm ARM C4.1.96 "Data Processing -- Scalar Floating-Point and
//! Advanced SIMD"): the `FpInst` the scalar FP rows of `instructions.spec` build and what they
//! share (`VFPExpandImm`); the AdvSIMD scalar classes with FP conversions, still decoded here.
//! Half precision (ftype 11) is FEAT_FP16's, except FCVT to and from S/D (Armv8.0).

use super::fields::*;
use super::inst::*;
use super::simd_types::*;
use crate::ops::FpRound;

/// Scalar FP precision (`ftype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FpType {
    /// Half precision (H registers, FEAT_FP16).
    H,
    /// Single precision (S registers).
    S,
    /// Double precision (D registers).
    D,
}

/// FP data-processing (1 source).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fp1Op {
    /// FABS.
    Abs,
    /// FNEG.
    Neg,
    /// FSQRT.
    Sqrt,
    /// FCVT to the given precision.
    Cvt(FpType),
    /// FRINT* with the given rounding.
    Rint(FpRound),
}

/// FP data-processing (2 source).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Fp2Op {
    Mul,
    Div,
    Add,
    Sub,
    Max,
    Min,
    MaxNm,
    MinNm,
    Nmul,
}

/// FP data-processing (3 source): FMADD d = a + n*m, FMSUB a - n*m, FNMADD -a - n*m,
/// FNMSUB -a + n*m.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Fp3Op {
    Madd,
    Msub,
    Nmadd,
    Nmsub,
}

/// One scalar FP instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum FpInst {
    Dp1 {
        op: Fp1Op,
        ty: FpType,
        rd: VReg,
        rn: VReg,
    },
    Dp2 {
        op: Fp2Op,
        ty: FpType,
        rd: VReg,
        rn: VReg,
        rm: VReg,
    },
    Dp3 {
        op: Fp3Op,
        ty: FpType,
        rd: VReg,
        rn: VReg,
        rm: VReg,
        ra: VReg,
    },
    /// FCMP/FCMPE; `rm` None compares with +0.0.
    Cmp {
        ty: FpType,
        rn: VReg,
        rm: Option<VReg>,
        signal: bool,
    },
    /// FCCMP/FCCMPE: flags = cond ? compare(n, m) : nzcv.
    Ccmp {
        ty: FpType,
        rn: VReg,
        rm: VReg,
        cond: Cond,
        nzcv: u8,
        signal: bool,
    },
    /// FCSEL.
    Csel {
        ty: FpType,
        rd: VReg,
        rn: VReg,
        rm: VReg,
        cond: Cond,
    },
    /// FMOV (scalar, immediate); `imm` is already expanded (VFPExpandImm).
    MovImm {
        ty: FpType,
        rd: VReg,
        imm: u64,
    },
    /// FCVT{N,P,M,Z,A}{S,U}, fixed-point FCVTZ{S,U} (`fbits` > 0).
    ToInt {
        ty: FpType,
        rounding: FpRound,
        unsigned: bool,
        w: Width,
        fbits: u8,
        rd: Reg,
        rn: VReg,
    },
    /// FCVT{N,P,M,Z,A}{S,U} (AdvSIMD scalar): the integer (as wide as the FP type) goes to V`rd`.
    ToIntV {
        ty: FpType,
        rounding: FpRound,
        unsigned: bool,
        rd: VReg,
        rn: VReg,
    },
    /// SCVTF/UCVTF (AdvSIMD scalar): the integer (as wide as the FP type) comes from V`rn`.
    FromIntV {
        ty: FpType,
        unsigned: bool,
        rd: VReg,
        rn: VReg,
    },
    /// FJCVTZS (FEAT_JSCVT): D`rn` to a 32-bit integer as JavaScript's ToInt32 does (toward
    /// zero, modulo 2^32), Z set when the conversion was exact.
    Fjcvtzs {
        rd: Reg,
        rn: VReg,
    },
    /// SCVTF/UCVTF, integer or fixed-point (`fbits` > 0) source.
    FromInt {
        ty: FpType,
        unsigned: bool,
        w: Width,
        fbits: u8,
        rd: VReg,
        rn: Reg,
    },
}

/// `ftype` 00 or 01 (`sz`): single or double.
pub(super) fn sd(sz: u32) -> FpType {
    if sz == 1 {
        FpType::D
    } else {
        FpType::S
    }
}

/// The register size of an FP type.
pub(super) fn size(ty: FpType) -> MemSize {
    match ty {
        FpType::H => MemSize::B16,
        FpType::S => MemSize::B32,
        FpType::D => MemSize::B64,
    }
}

/// FP data-processing (1 source): FABS, FNEG, FSQRT, FCVT between S and D, FRINT*.
pub(super) fn dp1(op: Fp1Op, ty: FpType, rd: VReg, rn: VReg) -> Inst {
    Inst::Fp(FpInst::Dp1 { op, ty, rd, rn })
}

/// FCVT to or from half precision: element 0 of the vector conversion.
pub(super) fn half_cvt(op: crate::ops::HalfCvt, rd: VReg, rn: VReg) -> Inst {
    vec(VecKind::HalfCvt(op), Arrangement { esize: 1, q: true }, rd, rn, rn)
}

/// FCVT{N,P,M,Z,A}{S,U} to a general register, fixed-point when `fbits` > 0.
pub(super) fn to_int(ty: FpType, rounding: FpRound, unsigned: bool, sf: u32, fbits: u32, rd: Reg, rn: VReg) -> Inst {
    Inst::Fp(FpInst::ToInt {
        ty,
        rounding,
        unsigned,
        w: sf_width(sf),
        fbits: fbits as u8,
        rd,
        rn,
    })
}

/// SCVTF/UCVTF from a general register, fixed-point when `fbits` > 0.
pub(super) fn from_int(ty: FpType, unsigned: bool, sf: u32, fbits: u32, rd: VReg, rn: Reg) -> Inst {
    Inst::Fp(FpInst::FromInt {
        ty,
        unsigned,
        w: sf_width(sf),
        fbits: fbits as u8,
        rd,
        rn,
    })
}

/// FCVT{N,P,M,Z,A}{S,U} (vector, scalar): element 0 of V`n` to an integer of its size in V`d`.
pub(super) fn to_int_in_v(ty: FpType, rounding: FpRound, unsigned: bool, rd: VReg, rn: VReg) -> Inst {
    Inst::Fp(FpInst::ToIntV {
        ty,
        rounding,
        unsigned,
        rd,
        rn,
    })
}

/// SCVTF/UCVTF (vector, integer, scalar): element 0 of V`n` as an integer of its size.
pub(super) fn from_int_in_v(ty: FpType, unsigned: bool, rd: VReg, rn: VReg) -> Inst {
    Inst::Fp(FpInst::FromIntV { ty, unsigned, rd, rn })
}

/// FMOV (general): between general register `g` and V`v` (`top`: its upper doubleword).
pub(super) fn fmov_general(to_vec: bool, size: MemSize, top: bool, g: Reg, v: VReg) -> Inst {
    Inst::Simd(SimdInst::FmovGeneral {
        to_vec,
        size,
        top,
        rd_g: g,
        v,
    })
}

/// `VFPExpandImm(imm8)` for half (N = 16), single (N = 32) or double (N = 64) precision.
pub fn vfp_expand_imm(imm8: u32, ty: FpType) -> u64 {
    let sign = (imm8 >> 7) as u64 & 1;
    let b6 = (imm8 >> 6) & 1 == 1;
    let e54 = (imm8 >> 4) as u64 & 3;
    let frac = imm8 as u64 & 15;
    match ty {
        // sign : NOT(b6) : Replicate(b6, 2) : imm8<5:4> : imm8<3:0> : Zeros(6)
        FpType::H => (sign << 15) | ((!b6 as u64) << 14) | (if b6 { 3 << 12 } else { 0 }) | (e54 << 10) | (frac << 6),
        // sign : NOT(b6) : Replicate(b6, 5) : imm8<5:4> : imm8<3:0> : Zeros(19)
        FpType::S => {
            (sign << 31) | ((!b6 as u64) << 30) | (if b6 { 0x1f << 25 } else { 0 }) | (e54 << 23) | (frac << 19)
        }
        // sign : NOT(b6) : Replicate(b6, 8) : imm8<5:4> : imm8<3:0> : Zeros(48)
        FpType::D => {
            (sign << 63) | ((!b6 as u64) << 62) | (if b6 { 0xff << 54 } else { 0 }) | (e54 << 52) | (frac << 48)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode;
    use super::*;

    #[test]
    fn spot_checks() {
        // fadd d0, d1, d2
        assert_eq!(
            decode(0x1e62_2820),
            Inst::Fp(FpInst::Dp2 {
                op: Fp2Op::Add,
                ty: FpType::D,
                rd: VReg(0),
                rn: VReg(1),
                rm: VReg(2)
            })
        );
        // fmov d0, #1.0  (imm8 = 0x70)
        assert_eq!(
            decode(0x1e6e_1000),
            Inst::Fp(FpInst::MovImm {
                ty: FpType::D,
                rd: VReg(0),
                imm: 1.0f64.to_bits()
            })
        );
        // fmov s0, #-2.5 (imm8 = 0x84)
        assert_eq!(vfp_expand_imm(0x84, FpType::S), (-2.5f32).to_bits() as u64);
        assert_eq!(vfp_expand_imm(0x00, FpType::D), 2.0f64.to_bits());
        // fcmp d0, #0.0
        assert!(matches!(decode(0x1e60_2008), Inst::Fp(FpInst::Cmp { rm: None, .. })));
        // fcvtzs w0, d1
        assert!(matches!(
            decode(0x1e78_0020),
            Inst::Fp(FpInst::ToInt {
                rounding: FpRound::Z,
                unsigned: false,
                w: Width::W32,
                ..
            })
        ));
        // scvtf d0, x1
        assert!(matches!(
            decode(0x9e62_0020),
            Inst::Fp(FpInst::FromInt {
                unsigned: false,
                w: Width::W64,
                ..
            })
        ));
        // fmadd d0, d1, d2, d3
        assert!(matches!(
            decode(0x1f42_0c20),
            Inst::Fp(FpInst::Dp3 { op: Fp3Op::Madd, .. })
        ));
        // fcvtzs d0, d0; ucvtf s1, s2
        assert!(matches!(
            decode(0x5ee1_b800),
            Inst::Fp(FpInst::ToIntV {
                ty: FpType::D,
                rounding: FpRound::Z,
                unsigned: false,
                ..
            })
        ));
        assert!(matches!(
            decode(0x7e21_d841),
            Inst::Fp(FpInst::FromIntV {
                ty: FpType::S,
                unsigned: true,
                ..
            })
        ));
        // fmov d0, x1 still goes to the FMOV row
        assert!(matches!(decode(0x9e67_0020), Inst::Simd(SimdInst::FmovGeneral { .. })));
    }

    #[test]
    fn half_precision() {
        let fp = |w| match decode(w) {
            Inst::Simd(SimdInst::Vec {
                op: VecKind::Fp(f),
                arr,
                rm,
                ..
            }) => (f.kind, f.index, f.scalar, arr, rm.0),
            i => panic!("{w:08x}: {i:?}"),
        };
        let (a4, a8) = (Arrangement { esize: 1, q: false }, Arrangement { esize: 1, q: true });
        // fadd h0, h1, h2
        assert!(matches!(
            decode(0x1ee2_2820),
            Inst::Fp(FpInst::Dp2 {
                op: Fp2Op::Add,
                ty: FpType::H,
                ..
            })
        ));
        // fmov h0, #1.0; fmov v3.8h, #-2.5
        assert!(matches!(
            decode(0x1eee_1000),
            Inst::Fp(FpInst::MovImm {
                ty: FpType::H,
                imm: 0x3c00,
                ..
            })
        ));
        assert!(matches!(
            decode(0x4f04_fc83),
            Inst::Simd(SimdInst::Vec {
                op: VecKind::Movi(0xc100_c100_c100_c100),
                ..
            })
        ));
        // fmla v0.8h, v1.8h, v15.h[7]: element 7 of V15 (Rm has four bits).
        assert_eq!(fp(0x4f3f_1820), (VfpKind::MlaElem, 7, false, a8, 15));
        // fmaxnmv h1, v2.4h; fcvtzs v1.8h, v2.8h, #3; faddp h0, v1.2h
        assert_eq!(fp(0x0e30_c841).0, VfpKind::MaxNmv);
        assert_eq!(fp(0x0e30_c841).3, a4);
        assert_eq!(fp(0x4f1d_fc41), (VfpKind::ToInt, 3, false, a8, 2));
        assert_eq!(fp(0x5e30_d820).0, VfpKind::Addp);
        assert!(fp(0x5e30_d820).2);
        // fcvtzs h1, h2: a 16-bit integer
        assert!(matches!(
            decode(0x5ef9_b841),
            Inst::Fp(FpInst::ToIntV { ty: FpType::H, .. })
        ));
        // fmov w0, h1
        assert!(matches!(
            decode(0x1ee6_0020),
            Inst::Simd(SimdInst::FmovGeneral {
                size: MemSize::B16,
                to_vec: false,
                ..
            })
        ));
    }
}
