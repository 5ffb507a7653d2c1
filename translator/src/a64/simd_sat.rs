//! Decoders of the AdvSIMD saturating and rounding integer instructions (Arm ARM C4.1.96
//! "Advanced SIMD", C7.2: SQADD ... SQRDMLSH), vector, scalar and by-element forms. The group
//! decoders in `simd.rs` ask these first: `None` means "not one of these, decode as usual".

use super::fields::*;
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

/// [`sat`] with the registers of word `w` (a by-element H operand names V0-V15).
fn inst(kind: SatKind, esize: u32, q: bool, scalar: bool, w: u32, arg: u32, elem: bool) -> Inst {
    let f = SatOp {
        kind,
        arg: arg as u8,
        scalar,
        elem,
    };
    let rm = if elem && esize == 1 {
        VReg(bits(w, 19, 16) as u8)
    } else {
        vr(w, 16)
    };
    sat(f, esize, q, [vr(w, 0), vr(w, 5), rm])
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

/// AdvSIMD (scalar) three same: SQADD, UQADD, SQSUB, UQSUB, [SU]Q[R]SHL, [SU]RSHL, SQ[R]DMULH.
pub(super) fn three_same(w: u32, scalar: bool) -> Option<Inst> {
    use SatKind::*;
    let op = match (bits(w, 15, 11), bit(w, 29)) {
        (0b00001, false) => Sqadd,
        (0b00001, true) => Uqadd,
        (0b00101, false) => Sqsub,
        (0b00101, true) => Uqsub,
        (0b01001, false) => Sqshl,
        (0b01001, true) => Uqshl,
        (0b01010, false) => Srshl,
        (0b01010, true) => Urshl,
        (0b01011, false) => Sqrshl,
        (0b01011, true) => Uqrshl,
        (0b10110, false) => Sqdmulh,
        (0b10110, true) => Sqrdmulh,
        _ => return None,
    };
    let size = bits(w, 23, 22);
    let q = bit(w, 30);
    let ok = match op {
        Sqdmulh | Sqrdmulh => size == 1 || size == 2,
        Srshl | Urshl if scalar => size == 3,
        _ => scalar || size != 3 || q,
    };
    Some(if ok {
        inst(op, size, q, scalar, w, 0, false)
    } else {
        Inst::Undefined
    })
}

/// AdvSIMD (scalar) two-register miscellaneous: SUQADD, USQADD, SQABS, SQNEG, SQXTN, UQXTN,
/// SQXTUN.
pub(super) fn two_misc(w: u32, scalar: bool) -> Option<Inst> {
    use SatKind::*;
    let op = match (bits(w, 16, 12), bit(w, 29)) {
        (0b00011, false) => Suqadd,
        (0b00011, true) => Usqadd,
        (0b00111, false) => Sqabs,
        (0b00111, true) => Sqneg,
        (0b10010, true) => Sqxtun,
        (0b10100, false) => Sqxtn,
        (0b10100, true) => Uqxtn,
        _ => return None,
    };
    let size = bits(w, 23, 22);
    let q = bit(w, 30);
    let ok = match op {
        Sqxtun | Sqxtn | Uqxtn => size != 3,
        _ => scalar || size != 3 || q,
    };
    Some(if ok {
        inst(op, size, q, scalar, w, 0, false)
    } else {
        Inst::Undefined
    })
}

/// The saturating and rounding shifts by immediate (SRSHR... SQRSHRUN, RSHRN), vector or
/// scalar: the element size from immh (not 0), the amount from immh:immb.
pub(super) fn shift(op: SatKind, scalar: bool, q: u32, [immh, immb]: [u32; 2], [rd, rn]: [VReg; 2]) -> Inst {
    use SatKind::*;
    let es = 31 - immh.leading_zeros(); // HighestSetBit(immh)
    let ebits = 8u32 << es;
    let immhb = immh << 3 | immb;
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

/// AdvSIMD (scalar) x indexed element: SQDMULL, SQDMLAL, SQDMLSL(2), SQDMULH, SQRDMULH,
/// SQRDMLAH, SQRDMLSH.
pub(super) fn by_element(w: u32, scalar: bool) -> Option<Inst> {
    use SatKind::*;
    let op = match (bit(w, 29), bits(w, 15, 12)) {
        (false, 0b0011) => Sqdmlal,
        (false, 0b0111) => Sqdmlsl,
        (false, 0b1011) => Sqdmull,
        (false, 0b1100) => Sqdmulh,
        (false, 0b1101) => Sqrdmulh,
        (true, 0b1101) => Sqrdmlah,
        (true, 0b1111) => Sqrdmlsh,
        _ => return None,
    };
    let (h, l, m) = (bits(w, 11, 11), bits(w, 21, 21), bits(w, 20, 20));
    let size = bits(w, 23, 22);
    let index = match size {
        1 => (h << 2) | (l << 1) | m,
        2 => (h << 1) | l,
        _ => return Some(Inst::Undefined),
    };
    Some(inst(op, size, bit(w, 30), scalar, w, index, true))
}

/// AdvSIMD scalar x indexed element (the FP forms: `simd.rs`).
pub(super) fn scalar_by_element(w: u32) -> Inst {
    by_element(w, true).unwrap_or_else(|| super::simd::scalar_by_element_fp(w))
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
