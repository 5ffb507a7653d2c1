//! Builders the AdvSIMD rows of `instructions.spec` call (Arm ARM C4.1.96): whole-register
//! operations, shifts by immediate, element copies, modified immediates, structure loads and
//! stores. The FP forms are built by `simd_fp.rs`, the saturating ones by `simd_sat.rs`.

use super::fields::*;
use super::inst::*;
use super::simd_types::*;

/// How a shift by immediate reads its amount from immh:immb.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ImmShift {
    /// Right: twice the element's bits less immh:immb; doublewords only in 128 bits.
    Right,
    /// Left: immh:immb less the element's bits; doublewords only in 128 bits.
    Left,
    /// A right shift narrowing to half-width elements (not of doublewords).
    Narrow,
    /// A left shift widening to double-width elements (not of doublewords).
    Long,
}

/// The element size (log2 bytes) immh names (its highest set bit; immh is not 0), its bits,
/// and immh:immb.
pub(super) fn imm_shift_fields(immh: u32, immb: u32) -> (u32, u32, u32) {
    let es = 31 - immh.leading_zeros();
    (es, 8 << es, immh << 3 | immb)
}

/// The vector shifts by immediate that do not saturate (SSHR... SLI, SHRN, SSHLL, USHLL).
pub(super) fn shift(op: fn(u8) -> VecKind, how: ImmShift, q: u32, [immh, immb]: [u32; 2], [rd, rn]: [VReg; 2]) -> Inst {
    let (es, ebits, immhb) = imm_shift_fields(immh, immb);
    let (amount, ok) = match how {
        ImmShift::Right => (2 * ebits - immhb, es != 3 || q == 1),
        ImmShift::Left => (immhb - ebits, es != 3 || q == 1),
        ImmShift::Narrow => (2 * ebits - immhb, es < 3),
        ImmShift::Long => (immhb - ebits, es < 3),
    };
    if !ok {
        return Inst::Undefined;
    }
    vec_q(op(amount as u8), es, q, [rd, rn, rn])
}

/// Their scalar forms, on doublewords (immh is 1xxx).
pub(super) fn scalar_shift(op: fn(u8) -> VecKind, how: ImmShift, [immh, immb]: [u32; 2], [rd, rn]: [VReg; 2]) -> Inst {
    let (_, _, immhb) = imm_shift_fields(immh, immb);
    let amount = match how {
        ImmShift::Left | ImmShift::Long => immhb - 64,
        ImmShift::Right | ImmShift::Narrow => 128 - immhb,
    };
    vec_q(op(amount as u8), 3, 0, [rd, rn, rn])
}

/// The modified-immediate forms (MOVI, MVNI, ORR, BIC): `AdvSIMDExpandImm(op, cmode, imm8)` made
/// into the operation by `kind`.
pub(super) fn modified_imm(kind: fn(u64) -> VecKind, q: u32, op: u32, cmode: u32, imm8: u32, rd: VReg) -> Inst {
    match advsimd_expand_imm(op == 1, cmode, imm8) {
        Some(imm) => vec_q(kind(imm), 0, q, [rd, rd, rd]),
        None => Inst::Undefined,
    }
}

/// FMOV (vector, immediate): `VFPExpandImm(imm8)` in every element.
pub(super) fn fmov_imm(ty: super::fp::FpType, q: u32, imm8: u32, rd: VReg) -> Inst {
    use super::fp::FpType;
    let v = super::fp::vfp_expand_imm(imm8, ty);
    let all = match ty {
        FpType::H => v * 0x0001_0001_0001_0001,
        FpType::S => v | (v << 32),
        FpType::D => v,
    };
    vec_q(VecKind::Movi(all), 0, q, [rd, rd, rd])
}

/// An operation on whole V registers with element size `esize` (log2 bytes), 64 or 128 bits
/// (`q`).
pub(super) fn vec_q(op: VecKind, esize: u32, q: u32, [rd, rn, rm]: [VReg; 3]) -> Inst {
    vec(
        op,
        Arrangement {
            esize: esize as u8,
            q: q == 1,
        },
        rd,
        rn,
        rm,
    )
}

/// The second operand of a by-element form: element `index` of V`m`.
pub(super) fn at(index: u32) -> Second {
    Second::Element(index as u8)
}

/// The element size (log2 bytes) and index `imm5` of the copy instructions names; None for
/// imm5 = x0000 (unallocated).
fn element(imm5: u32) -> Option<(u8, u8)> {
    (imm5 & 0xf != 0).then(|| {
        let esize = imm5.trailing_zeros();
        (esize as u8, (imm5 >> (esize + 1)) as u8)
    })
}

/// DUP (element, scalar): element `imm5` names of V`n` into a scalar.
pub(super) fn dup_scalar(imm5: u32, rd: VReg, rn: VReg) -> Inst {
    match element(imm5) {
        Some((esize, index)) => Inst::Simd(SimdInst::DupScalar { esize, rd, rn, index }),
        None => Inst::Undefined,
    }
}

/// DUP (element): a 64-bit vector of doublewords does not exist.
pub(super) fn dup_element(q: u32, imm5: u32, rd: VReg, rn: VReg) -> Inst {
    match element(imm5) {
        Some((esize, index)) if esize != 3 || q == 1 => vec_q(VecKind::DupElem(index), esize as u32, q, [rd, rn, rn]),
        _ => Inst::Undefined,
    }
}

/// DUP (general).
pub(super) fn dup_general(q: u32, imm5: u32, rd: VReg, rn: Reg) -> Inst {
    match element(imm5) {
        Some((esize, _)) if esize != 3 || q == 1 => Inst::Simd(SimdInst::DupGeneral {
            arr: Arrangement { esize, q: q == 1 },
            rd,
            rn,
        }),
        _ => Inst::Undefined,
    }
}

/// INS (general).
pub(super) fn ins_general(imm5: u32, rd: VReg, rn: Reg) -> Inst {
    match element(imm5) {
        Some((esize, index)) => Inst::Simd(SimdInst::InsGeneral { esize, rd, index, rn }),
        None => Inst::Undefined,
    }
}

/// SMOV and UMOV: a signed byte, halfword or (to X) word; an unsigned byte, halfword or word
/// to W, or doubleword to X.
pub(super) fn mov_to_general(signed: bool, q: u32, imm5: u32, rd: Reg, rn: VReg) -> Inst {
    let Some((esize, index)) = element(imm5) else {
        return Inst::Undefined;
    };
    let q = q == 1;
    let ok = if signed {
        esize < 2 || (esize == 2 && q)
    } else {
        (esize < 3 && !q) || (esize == 3 && q)
    };
    if !ok {
        return Inst::Undefined;
    }
    Inst::Simd(SimdInst::MovToGeneral {
        esize,
        signed,
        w: if q { Width::W64 } else { Width::W32 },
        rd,
        rn,
        index,
    })
}

/// INS (element): element `imm4 >> esize` of V`n` into element `imm5`'s index of V`d`.
pub(super) fn ins_element(imm5: u32, imm4: u32, rd: VReg, rn: VReg) -> Inst {
    match element(imm5) {
        Some((esize, dst)) => {
            let op = VecKind::InsElem {
                dst,
                src: (imm4 >> esize) as u8,
            };
            vec_q(op, esize as u32, 1, [rd, rn, rn])
        }
        None => Inst::Undefined,
    }
}

/// The address update of a post-indexed structure load or store: by register X`rm`, or (31)
/// by the bytes transferred.
pub(super) fn post_index(rm: u32) -> (Option<Reg>, bool) {
    if rm == 31 {
        (None, true)
    } else {
        (Some(Reg::X(rm as u8)), false)
    }
}

/// LD1-LD4/ST1-ST4 (multiple structures): `count` registers, consecutive for LD1/ST1,
/// `interleaved` elements for LD2-LD4/ST2-ST4.
pub(super) fn multiple(
    load: bool,
    count: u8,
    interleaved: bool,
    [q, size]: [u32; 2],
    rt: VReg,
    rn: Reg,
    (post, post_imm): (Option<Reg>, bool),
) -> Inst {
    let arr = Arrangement {
        esize: size as u8,
        q: q == 1,
    };
    Inst::Simd(SimdInst::LdStMultiple {
        load,
        interleaved,
        arr,
        count,
        rt,
        rn,
        post,
        post_imm,
    })
}

/// LD1-LD4/ST1-ST4 (single structure) of element `index` of size `esize`, and LD1R-LD4R
/// (`replicate`).
pub(super) fn ld_single(
    load: bool,
    count: u8,
    replicate: bool,
    [esize, index, q]: [u32; 3],
    rt: VReg,
    rn: Reg,
    (post, post_imm): (Option<Reg>, bool),
) -> Inst {
    Inst::Simd(SimdInst::LdStSingle {
        load,
        count,
        replicate,
        esize: esize as u8,
        index: index as u8,
        q: q == 1,
        rt,
        rn,
        post,
        post_imm,
    })
}
