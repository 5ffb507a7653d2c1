//! Builders of the AdvSIMD saturating and rounding integer instructions (Arm ARM C7.2: SQADD ...
//! SQRDMLSH) for the rows of `instructions.spec`: vector, scalar, by-element and shift forms.

use super::inst::*;
use super::simd_types::*;

/// The instruction: `esize` is the element size the operation names (the destination's for the
/// narrowing forms, the source's for the long ones); `f.arg` the shift amount or element index.
fn sat(f: SatOp, esize: u32, q: bool, [rd, rn, rm]: [VReg; 3]) -> Inst {
    let arr = Arrangement {
        esize: esize as u8,
        q: q && !f.scalar,
    };
    vec(VecKind::Sat(f), arr, rd, rn, rm)
}

/// The plain form of `kind`: no shift, no element.
fn plain(kind: SatKind, scalar: bool) -> SatOp {
    SatOp {
        kind,
        arg: 0,
        scalar,
        elem: false,
    }
}

/// A vector saturating operation on V`n` and V`m`.
pub(super) fn vector(op: SatKind, size: u32, q: u32, regs: [VReg; 3]) -> Inst {
    sat(plain(op, false), size, q == 1, regs)
}

/// A scalar saturating operation on element 0 of V`n` and V`m`.
pub(super) fn scalar(op: SatKind, size: u32, regs: [VReg; 3]) -> Inst {
    sat(plain(op, true), size, false, regs)
}

/// A vector saturating operation whose second operand is element `index` of V`m`.
pub(super) fn element(op: SatKind, size: u32, q: u32, index: u32, regs: [VReg; 3]) -> Inst {
    let f = SatOp {
        arg: index as u8,
        elem: true,
        ..plain(op, false)
    };
    sat(f, size, q == 1, regs)
}

/// Its scalar form, on element 0 of V`n`.
pub(super) fn scalar_element(op: SatKind, size: u32, index: u32, regs: [VReg; 3]) -> Inst {
    let f = SatOp {
        arg: index as u8,
        elem: true,
        ..plain(op, true)
    };
    sat(f, size, false, regs)
}

/// The saturating and rounding shifts by immediate (SRSHR... SQRSHRUN, RSHRN), vector or
/// scalar: the element size from immh (not 0), the amount from immh:immb.
pub(super) fn shift(op: SatKind, scalar: bool, q: u32, [immh, immb]: [u32; 2], [rd, rn]: [VReg; 2]) -> Inst {
    use SatKind::*;
    let (es, ebits, immhb) = super::simd::imm_shift_fields(immh, immb);
    let q = q == 1;
    let (ok, shift) = match op {
        Srshr | Urshr | Srsra | Ursra => (if scalar { es == 3 } else { es != 3 || q }, 2 * ebits - immhb),
        Sqshlu | SqshlImm | UqshlImm => (scalar || es != 3 || q, immhb - ebits),
        _ => (es != 3, 2 * ebits - immhb),
    };
    if !ok {
        return Inst::Undefined;
    }
    let f = SatOp {
        arg: shift as u8,
        ..plain(op, scalar)
    };
    sat(f, es, q, [rd, rn, rn])
}

#[cfg(test)]
mod tests {
    use super::super::decode;
    use super::*;

    /// The decoded fields the checks look at.
    struct Sat {
        op: SatKind,
        arr: Arrangement,
        scalar: bool,
        imm: u8,
        elem: bool,
        rm: VReg,
    }

    fn sat(w: u32) -> Sat {
        match decode(w) {
            Inst::Simd(SimdInst::Vec {
                op: VecKind::Sat(f),
                arr,
                rm,
                ..
            }) => Sat {
                op: f.kind,
                arr,
                scalar: f.scalar,
                imm: f.arg,
                elem: f.elem,
                rm,
            },
            other => panic!("{w:#010x} decodes to {other:?}"),
        }
    }

    #[test]
    fn spot_checks() {
        // sqadd v0.16b, v1.16b, v2.16b
        let s = sat(0x4e22_0c20);
        assert_eq!((s.op, s.arr.esize, s.arr.q, s.scalar), (SatKind::Sqadd, 0, true, false));
        // uqsub d0, d1, d2
        let s = sat(0x7ee2_2c20);
        assert_eq!((s.op, s.arr.esize, s.scalar), (SatKind::Uqsub, 3, true));
        // sqrshrn2 v0.8h, v1.4s, #3
        let s = sat(0x4f1d_9c20);
        assert_eq!((s.op, s.arr.esize, s.arr.q, s.imm), (SatKind::Sqrshrn, 1, true, 3));
        // sqdmulh v0.4s, v1.4s, v2.s[3]
        let s = sat(0x4fa2_c820);
        assert_eq!(
            (s.op, s.arr.esize, s.imm, s.elem, s.rm),
            (SatKind::Sqdmulh, 2, 3, true, VReg(2))
        );
        // sqdmlal s0, h1, v15.h[7]
        let s = sat(0x5f7f_3820);
        assert_eq!(
            (s.op, s.arr.esize, s.imm, s.scalar, s.rm),
            (SatKind::Sqdmlal, 1, 7, true, VReg(15))
        );
        // sqxtun b0, h1
        let s = sat(0x7e21_2820);
        assert_eq!((s.op, s.arr.esize, s.scalar), (SatKind::Sqxtun, 0, true));
        // sqshlu v0.2d, v1.2d, #63
        let s = sat(0x6f7f_6420);
        assert_eq!((s.op, s.arr.esize, s.imm), (SatKind::Sqshlu, 3, 63));
        // sqrdmlah v0.8h, v1.8h, v2.8h
        let s = sat(0x6e42_8420);
        assert_eq!((s.op, s.arr.esize), (SatKind::Sqrdmlah, 1));
        // sqadd v0.1d, v1.1d, v2.1d is reserved
        assert_eq!(decode(0x0ee2_0c20), Inst::Undefined);
    }
}
