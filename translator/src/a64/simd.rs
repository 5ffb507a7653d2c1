//! Decoders of the AdvSIMD and FP groups (Arm ARM C4.1.96, C4.1.97); the saturating and the
//! rarer integer instructions are decoded by `simd_sat.rs` and `simd_int.rs`. What is not
//! implemented decodes to `Undefined`.

use super::fields::*;
use super::inst::*;
use super::simd_types::*;
use crate::ops::FpRound;

fn arr(w: u32) -> Arrangement {
    Arrangement {
        esize: bits(w, 23, 22) as u8,
        q: bit(w, 30),
    }
}

/// AdvSIMD three same.
pub(super) fn three_same(w: u32) -> Inst {
    if bits(w, 15, 14) == 0b11 {
        return three_same_fp(w);
    }
    if let Some(i) = super::simd_sat::three_same(w, false) {
        return i;
    }
    if let Some(i) = super::simd_int::three_same(w) {
        return i;
    }
    let u = bit(w, 29);
    let a = arr(w);
    let size = a.esize;
    use VecKind::*;
    let op = match (bits(w, 15, 11), u) {
        (0b00011, false) => [And, Bic, Orr, Orn][size as usize],
        (0b00011, true) => [Eor, Bsl, Bit, Bif][size as usize],
        (0b10000, false) => Add,
        (0b10000, true) => Sub,
        (0b10001, false) => Cmtst,
        (0b10001, true) => Cmeq,
        (0b00110, false) => Cmgt,
        (0b00110, true) => Cmhi,
        (0b00111, false) => Cmge,
        (0b00111, true) => Cmhs,
        (0b01100, false) => Smax,
        (0b01100, true) => Umax,
        (0b01101, false) => Smin,
        (0b01101, true) => Umin,
        (0b10100, true) => Umaxp,
        (0b10101, true) => Uminp,
        (0b10111, false) => Addp,
        (0b10011, false) => Mul(Second::Vector),
        (0b10011, true) if size == 0 => Pmul,
        (0b01000, false) => Sshl,
        (0b01000, true) => Ushl,
        (0b00000, false) => Shadd,
        (0b00000, true) => Uhadd,
        (0b00010, false) => Srhadd,
        (0b00010, true) => Urhadd,
        (0b10010, false) => Mla(Second::Vector),
        (0b10010, true) => Mls(Second::Vector),
        _ => return Inst::Undefined,
    };
    let logical = matches!(op, And | Bic | Orr | Orn | Eor | Bsl | Bit | Bif);
    let a = if logical { Arrangement { esize: 0, q: a.q } } else { a };
    if !logical
        && a.esize == 3
        && (!a.q
            || matches!(
                op,
                Smax | Umax | Smin | Umin | Umaxp | Uminp | Mul(_) | Mla(_) | Mls(_) | Shadd | Uhadd | Srhadd | Urhadd
            ))
    {
        return Inst::Undefined;
    }
    if matches!(op, Mul(_) | Mla(_) | Mls(_)) && a.esize == 3 {
        return Inst::Undefined;
    }
    vec(op, a, vr(w, 0), vr(w, 5), vr(w, 16))
}

/// AdvSIMD two-register miscellaneous.
pub(super) fn two_misc(w: u32) -> Inst {
    let opcode = bits(w, 16, 12);
    if (0b01100..=0b01111).contains(&opcode) || opcode == 0b10110 || opcode == 0b10111 || opcode >= 0b11000 {
        return two_misc_fp(w);
    }
    if let Some(i) = super::simd_sat::two_misc(w, false) {
        return i;
    }
    if let Some(i) = super::simd_int::two_misc(w) {
        return i;
    }
    let u = bit(w, 29);
    let a = arr(w);
    if opcode == 0b10011 && u {
        // SHLL{2}: USHLL with a shift of the element size, which USHLL's immediate cannot encode.
        if a.esize == 3 {
            return Inst::Undefined;
        }
        return vec(VecKind::Ushll(8 << a.esize), a, vr(w, 0), vr(w, 5), vr(w, 5));
    }
    use VecKind::*;
    let op = match (bits(w, 16, 12), u) {
        (0b00000, false) if a.esize < 3 => Rev64,
        (0b00000, true) if a.esize < 2 => Rev32,
        (0b00001, false) if a.esize < 1 => Rev16,
        (0b00101, false) if a.esize == 0 => Cnt,
        (0b00101, true) if a.esize == 0 => Not,
        (0b01000, false) => CmpZero(ZeroCmp::Gt),
        (0b01000, true) => CmpZero(ZeroCmp::Ge),
        (0b01001, false) => CmpZero(ZeroCmp::Eq),
        (0b01001, true) => CmpZero(ZeroCmp::Le),
        (0b01010, false) => CmpZero(ZeroCmp::Lt),
        (0b01011, false) => Abs,
        (0b01011, true) => Neg,
        (0b10010, false) if a.esize < 3 => Xtn,
        _ => return Inst::Undefined,
    };
    if a.esize == 3 && !a.q && !matches!(op, Xtn) {
        return Inst::Undefined;
    }
    vec(op, a, vr(w, 0), vr(w, 5), vr(w, 5))
}

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
fn imm_shift_fields(immh: u32, immb: u32) -> (u32, u32, u32) {
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
    let q = q == 1 && !scalar;
    match es {
        1 => vec_fp_half(f, q, rd, rn, rn),
        _ => vec_fp_inst(f, es == 3, q, rd, rn, rn),
    }
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

/// FMAXNMV, FMINNMV, FMAXV, FMINV: four singles, or four or eight halves (`esize` 1).
pub(super) fn fp_across(kind: VfpKind, esize: u32, q: u32, rd: VReg, rn: VReg) -> Inst {
    let f = VfpOp {
        kind,
        round: FpRound::N,
        signed: false,
        index: 0,
        scalar: false,
    };
    vec_q(VecKind::Fp(f), esize, q, [rd, rn, rn])
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
    Inst::Simd(if interleaved {
        SimdInst::LdStStruct {
            load,
            arr,
            count,
            rt,
            rn,
            post,
            post_imm,
        }
    } else {
        SimdInst::Ld1St1Multi {
            load,
            arr,
            count,
            rt,
            rn,
            post,
            post_imm,
        }
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

fn vec_fp(w: u32, op: VfpKind, round: FpRound, signed: bool, index: u8) -> Inst {
    let double = bit(w, 22);
    let q = bit(w, 30);
    if double && !q && !matches!(op, VfpKind::Cvtl | VfpKind::Cvtn | VfpKind::Cvtxn) {
        return Inst::Undefined;
    }
    let f = VfpOp {
        kind: op,
        round,
        signed,
        index,
        scalar: false,
    };
    vec_fp_inst(f, double, q, vr(w, 0), vr(w, 5), vr(w, 16))
}

/// A vector FP instruction on doubles or singles (FCVTL, FCVTN, FCVTXN: esize is the double
/// side's).
fn vec_fp_inst(f: VfpOp, double: bool, q: bool, rd: VReg, rn: VReg, rm: VReg) -> Inst {
    let wide = matches!(f.kind, VfpKind::Cvtl | VfpKind::Cvtn | VfpKind::Cvtxn);
    let esize = if double || wide { 3 } else { 2 };
    vec(VecKind::Fp(f), Arrangement { esize, q }, rd, rn, rm)
}

/// A vector FP instruction on halves (FEAT_FP16).
pub(super) fn vec_fp_half(f: VfpOp, q: bool, rd: VReg, rn: VReg, rm: VReg) -> Inst {
    vec(VecKind::Fp(f), Arrangement { esize: 1, q }, rd, rn, rm)
}

/// AdvSIMD scalar three same: the D-element integer ops and the FP ops on one element.
pub(super) fn scalar_three_same(w: u32) -> Inst {
    if bits(w, 15, 14) == 0b11 {
        // The same operations as the vector form, on element 0 only.
        return match three_same_fp(w | (1 << 30)) {
            i @ Inst::Simd(SimdInst::Vec { op: VecKind::Fp(f), .. }) if fp3_has_scalar(f.kind) => scalar_fp(i),
            _ => Inst::Undefined,
        };
    }
    if let Some(i) = super::simd_sat::three_same(w, true) {
        return i;
    }
    // The vector decoder reads the same fields (Q aside); keep the D-element ops the scalar
    // form has.
    use VecKind::*;
    match three_same(w | (1 << 30)) {
        Inst::Simd(SimdInst::Vec { op, arr, rd, rn, rm })
            if arr.esize == 3 && matches!(op, Add | Sub | Cmtst | Cmeq | Cmgt | Cmhi | Cmge | Cmhs | Sshl | Ushl) =>
        {
            vec(op, Arrangement { esize: 3, q: false }, rd, rn, rm)
        }
        _ => Inst::Undefined,
    }
}

/// AdvSIMD three same, floating point (opcode 11xxx).
fn three_same_fp(w: u32) -> Inst {
    match fp3_kind(bit(w, 29), bit(w, 23), bits(w, 13, 11)) {
        Some(op) => vec_fp(w, op, FpRound::N, false, 0),
        None => super::simd_fhm::three_same(w).unwrap_or(Inst::Undefined),
    }
}

/// The FP operation of AdvSIMD three same (opcode 11`opc`) and three same (FP16) (opcode
/// `opc`): U, a (bit 23), the low three opcode bits.
pub(super) fn fp3_kind(u: bool, a: bool, opc: u32) -> Option<VfpKind> {
    use VfpKind::*;
    Some(match (u, a, opc) {
        (false, false, 0b000) => MaxNm,
        (false, false, 0b001) => Mla,
        (false, false, 0b011) => Mulx,
        (false, false, 0b111) => Recps,
        (false, true, 0b111) => Rsqrts,
        (false, false, 0b010) => Add,
        (false, false, 0b100) => Cmeq,
        (false, false, 0b110) => Max,
        (false, true, 0b000) => MinNm,
        (false, true, 0b001) => Mls,
        (false, true, 0b010) => Sub,
        (false, true, 0b110) => Min,
        (true, false, 0b000) => MaxNmp,
        (true, false, 0b010) => Addp,
        (true, false, 0b011) => Mul,
        (true, false, 0b100) => Cmge,
        (true, false, 0b101) => Acge,
        (true, false, 0b110) => Maxp,
        (true, false, 0b111) => Div,
        (true, true, 0b000) => MinNmp,
        (true, true, 0b010) => Abd,
        (true, true, 0b100) => Cmgt,
        (true, true, 0b101) => Acgt,
        (true, true, 0b110) => Minp,
        _ => return None,
    })
}

/// The FP ops whose scalar form (AdvSIMD scalar three same) exists.
pub(super) fn fp3_has_scalar(k: VfpKind) -> bool {
    use VfpKind::*;
    matches!(k, Abd | Cmeq | Cmge | Cmgt | Acge | Acgt | Mulx | Recps | Rsqrts)
}

/// AdvSIMD two-register miscellaneous, floating point.
fn two_misc_fp(w: u32) -> Inst {
    use VfpKind::*;
    let (op, round, signed) = match fp2_kind(bit(w, 29), bit(w, 23), bits(w, 16, 12)) {
        Some(k) => k,
        // URECPE/URSQRTE: 32-bit lanes only.
        None => match (bit(w, 29), bit(w, 23), bits(w, 16, 12)) {
            (false, true, 0b11100) if !bit(w, 22) => (Urecpe, FpRound::N, false),
            (true, true, 0b11100) if !bit(w, 22) => (Ursqrte, FpRound::N, false),
            _ => return super::simd_bf16::bfcvtn(w).unwrap_or(Inst::Undefined),
        },
    };
    // FCVTN/FCVTL with sz == 0 convert between single and half precision.
    if matches!(op, Cvtn | Cvtl) && !bit(w, 22) {
        use crate::ops::HalfCvt as H;
        let upper = bit(w, 30);
        let h = if op == Cvtn {
            H::Narrow { upper }
        } else {
            H::Long { upper }
        };
        return super::fp::half_cvt(h, vr(w, 0), vr(w, 5));
    }
    if op == Cvtxn && !bit(w, 22) {
        return Inst::Undefined;
    }
    vec_fp(w, op, round, signed, 0)
}

/// The FP operation of AdvSIMD two-register miscellaneous (and its FP16 class): U, a (bit
/// 23), opcode; with the rounding and signedness of the conversions.
pub(super) fn fp2_kind(u: bool, a: bool, opcode: u32) -> Option<(VfpKind, FpRound, bool)> {
    use FpRound::*;
    use VfpKind::*;
    Some(match (u, a, opcode) {
        (false, true, 0b01100) => (CmgtZ, N, false),
        (false, true, 0b01101) => (CmeqZ, N, false),
        (false, true, 0b01110) => (CmltZ, N, false),
        (false, true, 0b01111) => (Abs, N, false),
        (true, true, 0b01100) => (CmgeZ, N, false),
        (true, true, 0b01101) => (CmleZ, N, false),
        (true, true, 0b01111) => (Neg, N, false),
        (true, true, 0b11111) => (Sqrt, N, false),
        (false, false, 0b10110) => (Cvtn, N, false),
        (true, false, 0b10110) => (Cvtxn, N, false),
        (false, false, 0b10111) => (Cvtl, N, false),
        (false, false, 0b11000) => (Rint, N, false),
        (false, false, 0b11001) => (Rint, M, false),
        (false, true, 0b11000) => (Rint, P, false),
        (false, true, 0b11001) => (Rint, Z, false),
        (true, false, 0b11000) => (Rint, A, false),
        (true, false, 0b11001) => (Rint, X, false),
        (true, true, 0b11001) => (Rint, Fpcr, false),
        (false, false, 0b11110) => (Rint, Z32, false),
        (true, false, 0b11110) => (Rint, X32, false),
        (false, false, 0b11111) => (Rint, Z64, false),
        (true, false, 0b11111) => (Rint, X64, false),
        (false, false, 0b11010) => (ToInt, N, true),
        (false, false, 0b11011) => (ToInt, M, true),
        (false, false, 0b11100) => (ToInt, A, true),
        (false, true, 0b11010) => (ToInt, P, true),
        (false, true, 0b11011) => (ToInt, Z, true),
        (true, false, 0b11010) => (ToInt, N, false),
        (true, false, 0b11011) => (ToInt, M, false),
        (true, false, 0b11100) => (ToInt, A, false),
        (true, true, 0b11010) => (ToInt, P, false),
        (true, true, 0b11011) => (ToInt, Z, false),
        (false, false, 0b11101) => (FromInt, N, true),
        (true, false, 0b11101) => (FromInt, N, false),
        (false, true, 0b11101) => (Recpe, N, false),
        (true, true, 0b11101) => (Rsqrte, N, false),
        _ => return None,
    })
}

/// AdvSIMD vector x indexed element: FMUL, FMLA, FMLS (by element).
pub(super) fn by_element(w: u32) -> Inst {
    if let Some(i) = super::simd_fhm::by_element(w).or_else(|| super::simd_bf16::by_element(w)) {
        return i;
    }
    if let Some(i) = super::simd_sat::by_element(w, false) {
        return i;
    }
    if let Some(i) = super::simd_int::by_element(w) {
        return i;
    }
    use VfpKind::*;
    let op = match (bit(w, 29), bits(w, 15, 12)) {
        (false, 0b0001) => MlaElem,
        (false, 0b0101) => MlsElem,
        (false, 0b1001) => MulElem,
        (true, 0b1001) => MulxElem,
        _ => return Inst::Undefined,
    };
    let (h, l, m) = (bits(w, 11, 11), bits(w, 21, 21), bits(w, 20, 20));
    let index = match bits(w, 23, 22) {
        0b00 => {
            // Halves (FEAT_FP16): index H:L:M, V`m` one of V0-V15.
            let index = (h << 2 | l << 1 | m) as u8;
            let f = VfpOp {
                kind: op,
                round: FpRound::N,
                signed: false,
                index,
                scalar: false,
            };
            return vec_fp_half(f, bit(w, 30), vr(w, 0), vr(w, 5), VReg(bits(w, 19, 16) as u8));
        }
        0b10 => (h << 1) | l,
        0b11 if l == 0 => h,
        _ => return Inst::Undefined,
    } as u8;
    vec_fp(w, op, FpRound::N, false, index)
}

/// The scalar form of a vector FP instruction decoded with Q = 1: element 0 only.
fn scalar_fp(i: Inst) -> Inst {
    match i {
        Inst::Simd(SimdInst::Vec {
            op: VecKind::Fp(f),
            arr,
            rd,
            rn,
            rm,
        }) => {
            let f = VfpOp { scalar: true, ..f };
            vec(VecKind::Fp(f), Arrangement { q: false, ..arr }, rd, rn, rm)
        }
        _ => Inst::Undefined,
    }
}

/// AdvSIMD scalar x indexed element, floating point: FMLA, FMLS, FMUL, FMULX (by element) on
/// element 0.
pub(super) fn scalar_by_element_fp(w: u32) -> Inst {
    // The vector form's fields, Q = 1.
    match by_element((w & !(1 << 28)) | (1 << 30)) {
        i @ Inst::Simd(SimdInst::Vec { op: VecKind::Fp(f), .. })
            if matches!(
                f.kind,
                VfpKind::MulElem | VfpKind::MlaElem | VfpKind::MlsElem | VfpKind::MulxElem
            ) =>
        {
            scalar_fp(i)
        }
        _ => Inst::Undefined,
    }
}
