//! Decoders of FEAT_FP16's own AdvSIMD classes (Arm ARM C4.1.96: "Advanced SIMD three same
//! (FP16)", "Advanced SIMD two-register miscellaneous (FP16)" and their scalar forms). Their
//! fields are those of the single/double classes, so the operation tables are shared with
//! `simd.rs` and `fp.rs`; the FP16 forms of the other classes (by element, across lanes,
//! pairwise, shift by immediate, modified immediate) are decoded where those classes are.

use super::fields::*;
use super::fp::{scalar_two_misc_fp, FpType};
use super::inst::*;
use super::simd::{fp2_kind, fp3_has_scalar, fp3_kind, vec_fp_half};
use super::simd_types::*;
use crate::ops::FpRound;

/// The operation with the decoder's fields, on halves.
fn op(kind: VfpKind, round: FpRound, signed: bool) -> VfpOp {
    VfpOp {
        kind,
        round,
        signed,
        index: 0,
        scalar: false,
    }
}

/// AdvSIMD three same (FP16): `0 Q U 01110 a 10 Rm 00 opcode 1 Rn Rd`.
pub(super) fn three_same(w: u32) -> Inst {
    match fp3_kind(bit(w, 29), bit(w, 23), bits(w, 13, 11)) {
        Some(k) => vec_fp_half(op(k, FpRound::N, false), bit(w, 30), vr(w, 0), vr(w, 5), vr(w, 16)),
        None => Inst::Undefined,
    }
}

/// AdvSIMD scalar three same (FP16): the ops whose single/double forms have a scalar form.
pub(super) fn scalar_three_same(w: u32) -> Inst {
    match fp3_kind(bit(w, 29), bit(w, 23), bits(w, 13, 11)) {
        Some(k) if fp3_has_scalar(k) => {
            let f = VfpOp {
                scalar: true,
                ..op(k, FpRound::N, false)
            };
            vec_fp_half(f, false, vr(w, 0), vr(w, 5), vr(w, 16))
        }
        _ => Inst::Undefined,
    }
}

/// AdvSIMD two-register miscellaneous (FP16): `0 Q U 01110 a 1111 00 opcode 10 Rn Rd`, the
/// single/double class's operations less the conversions between precisions and FRINT32/64.
pub(super) fn two_misc(w: u32) -> Inst {
    use VfpKind::*;
    match fp2_kind(bit(w, 29), bit(w, 23), bits(w, 16, 12)) {
        Some((Cvtn | Cvtl | Cvtxn, ..)) | None => Inst::Undefined,
        Some((Rint, FpRound::Z32 | FpRound::X32 | FpRound::Z64 | FpRound::X64, _)) => Inst::Undefined,
        Some((k, round, signed)) => vec_fp_half(op(k, round, signed), bit(w, 30), vr(w, 0), vr(w, 5), vr(w, 5)),
    }
}

/// AdvSIMD scalar two-register miscellaneous (FP16): the conversions to and from 16-bit
/// integers, compares with zero, FRECPE, FRSQRTE, FRECPX.
pub(super) fn scalar_two_misc(w: u32) -> Inst {
    scalar_two_misc_fp(w, FpType::H).unwrap_or(Inst::Undefined)
}
