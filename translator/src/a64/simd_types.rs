//! Typed operands of the AdvSIMD instructions (Arm ARM C7): arrangements and the operation
//! kinds of each encoding group, split from `inst.rs` to keep each file to one subject.

/// AdvSIMD arrangement: element size and register width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrangement {
    /// log2 of the element size in bytes (0 = B, 1 = H, 2 = S, 3 = D).
    pub esize: u8,
    /// 128-bit (Q) or 64-bit register.
    pub q: bool,
}

/// AdvSIMD two-register-same / three-register-same integer ops implemented so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum VecOp3 {
    Add,
    Sub,
    And,
    Bic,
    Orr,
    Orn,
    Eor,
    Bsl,
    Bit,
    Bif,
    Cmeq,
    Cmhs,
    Cmhi,
    Cmge,
    Cmgt,
    Cmtst,
    Umaxp,
    Uminp,
    Addp,
    Umax,
    Umin,
    Smax,
    Smin,
    Mul,
    Mla,
    Mls,
    /// PMUL: polynomial multiply of bytes, low 8 bits of each product.
    Pmul,
    Sshl,
    Ushl,
    /// SHADD/UHADD/SRHADD/URHADD: halving adds (R: rounding).
    Shadd,
    Uhadd,
    Srhadd,
    Urhadd,
    /// SHSUB/UHSUB: halving subtracts.
    Shsub,
    Uhsub,
    /// SABD/UABD: absolute differences; SABA/UABA accumulate them into V[d].
    Sabd,
    Uabd,
    Saba,
    Uaba,
    Smaxp,
    Sminp,
    /// SDOT/UDOT (FEAT_DotProd): each S lane of V[d] += the dot product of four bytes.
    Sdot,
    Udot,
    Zip1,
    Zip2,
    Uzp1,
    Uzp2,
    Trn1,
    Trn2,
}

/// AdvSIMD ops with one vector source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum VecOp2 {
    Cmeq0,
    Cmgt0,
    Cmge0,
    Cmle0,
    Cmlt0,
    Not,
    Cnt,
    Rev64,
    Rev32,
    Rev16,
    Abs,
    Neg,
    /// XTN/XTN2.
    Xtn,
    Uaddlv,
    Umaxv,
    Uminv,
    Addv,
    /// ADDP (scalar): D = V.d[0] + V.d[1].
    AddpScalar,
    Cls,
    Clz,
    /// RBIT (vector): reverse the bits of each byte.
    Rbit,
    /// SADDLP/UADDLP: add adjacent pairs into elements twice as wide (`arr` is the source).
    Saddlp,
    Uaddlp,
    /// SADALP/UADALP: the same, accumulated into V[d].
    Sadalp,
    Uadalp,
    Smaxv,
    Sminv,
    /// SADDLV: signed sum of all elements, twice as wide.
    Saddlv,
}

/// AdvSIMD integer operations by element (C7.2 MUL (by element), SMLAL (by element), ...): the
/// second operand is one element of V[m], the same for every lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum VecElemOp {
    Mul,
    Mla,
    Mls,
    /// SMULL/UMULL(2), SMLAL/UMLAL(2), SMLSL/UMLSL(2): `arr.esize` is the source (narrow) size.
    Smull,
    Umull,
    Smlal,
    Umlal,
    Smlsl,
    Umlsl,
    /// SDOT/UDOT (by element): the element is a group of four bytes (an S lane of V[m]).
    Sdot,
    Udot,
}

/// AdvSIMD shifts by immediate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum VecShiftOp {
    Shl,
    Ushr,
    Sshr,
    /// SHRN/SHRN2: shift right and narrow.
    Shrn,
    Ushll,
    Sshll,
    Usra,
    Ssra,
    /// Shift left and insert.
    Sli,
    /// Shift right and insert.
    Sri,
}

/// AdvSIMD three-different ops (the element size is the narrow one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum VecOpDiff {
    AddL,
    AddW,
    SubL,
    SubW,
    AbaL,
    AbdL,
    MlaL,
    MlsL,
    MulL,
    /// PMULL/PMULL2: polynomial multiply long (esize 0: 8 -> 16 bits; esize 3: 64 -> 128 bits).
    Pmull,
    /// ADDHN/RADDHN(2): the high halves of wide sums (U = rounding).
    AddHn,
    /// SUBHN/RSUBHN(2).
    SubHn,
}

/// AdvSIMD floating-point vector operations (C7.2: FADD (vector) etc.).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum VecFpOp {
    Add,
    Sub,
    Mul,
    Div,
    Max,
    Min,
    MaxNm,
    MinNm,
    Mla,
    Mls,
    Abd,
    Addp,
    Maxp,
    Minp,
    MaxNmp,
    MinNmp,
    Cmeq,
    Cmge,
    Cmgt,
    Acge,
    Acgt,
    CmeqZ,
    CmgeZ,
    CmgtZ,
    CmleZ,
    CmltZ,
    Abs,
    Neg,
    Sqrt,
    /// FRINT* with `round`.
    Rint,
    /// FCVT{N,M,P,Z,A}{S,U} with `round` and `signed`.
    ToInt,
    /// SCVTF/UCVTF with `signed`.
    FromInt,
    /// FCVTL/FCVTL2 (single to double).
    Cvtl,
    /// FCVTN/FCVTN2 (double to single).
    Cvtn,
    MulElem,
    MlaElem,
    MlsElem,
    /// FMULX, FMULX (by element).
    Mulx,
    MulxElem,
    /// FRECPS, FRSQRTS.
    Recps,
    Rsqrts,
    /// FRECPE, FRSQRTE, FRECPX (scalar only).
    Recpe,
    Rsqrte,
    Recpx,
    /// URECPE, URSQRTE (32-bit integer lanes).
    Urecpe,
    Ursqrte,
    /// FMAXNMV, FMINNMV, FMAXV, FMINV (4S).
    MaxNmv,
    MinNmv,
    Maxv,
    Minv,
    /// FCVTXN/FCVTXN2 (double to single, round to odd).
    Cvtxn,
}

/// Vector-immediate operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum VecImmOp {
    Movi,
    Orr,
    Bic,
}

/// AdvSIMD saturating and rounding integer operations (C7.2: SQADD, SQRSHRN, SQDMULH, ...);
/// the saturating ones set FPSR.QC when a result saturates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum VecSatOp {
    // Three same: V[d] = f(V[n], V[m]).
    Sqadd,
    Uqadd,
    Sqsub,
    Uqsub,
    /// SQSHL/UQSHL/SQRSHL/UQRSHL/SRSHL/URSHL (register): shift by the signed low byte of V[m].
    Sqshl,
    Uqshl,
    Sqrshl,
    Uqrshl,
    Srshl,
    Urshl,
    Sqdmulh,
    Sqrdmulh,
    /// SQRDMLAH/SQRDMLSH (FEAT_RDM): accumulate into V[d].
    Sqrdmlah,
    Sqrdmlsh,
    // Two-register miscellaneous.
    /// SUQADD: signed V[d] += unsigned V[n]; USQADD: unsigned V[d] += signed V[n].
    Suqadd,
    Usqadd,
    Sqabs,
    Sqneg,
    /// SQXTN/UQXTN/SQXTUN(2): `arr.esize` is the destination element size.
    Sqxtn,
    Uqxtn,
    Sqxtun,
    // Shift by immediate (`imm` = shift amount).
    SqshlImm,
    UqshlImm,
    Sqshlu,
    Srshr,
    Urshr,
    Srsra,
    Ursra,
    /// RSHRN and the saturating narrowing shifts(2): `arr.esize` is the destination size.
    Rshrn,
    Sqshrn,
    Sqrshrn,
    Uqshrn,
    Uqrshrn,
    Sqshrun,
    Sqrshrun,
    /// SQDMULL/SQDMLAL/SQDMLSL(2): `arr.esize` is the source (narrow) element size.
    Sqdmull,
    Sqdmlal,
    Sqdmlsl,
}

/// One saturating/rounding AdvSIMD instruction: vector, scalar or by-element form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VecSatInst {
    /// The operation.
    pub op: VecSatOp,
    /// Element size (see [`VecSatOp`] for the narrowing and long forms) and Q; for the narrowing
    /// and long forms Q selects the "2" variant (upper half).
    pub arr: Arrangement,
    /// The scalar form: element 0 only, the rest of the register zeroed.
    pub scalar: bool,
    /// Destination.
    pub rd: super::VReg,
    /// First source.
    pub rn: super::VReg,
    /// Second source (the by-element forms: the register holding the element).
    pub rm: super::VReg,
    /// Shift amount (shift by immediate), or element index of V[m] (by element).
    pub imm: u8,
    /// The by-element form: the second operand is element `imm` of V[m].
    pub elem: bool,
}

/// The cryptographic extension instructions (FEAT_AES, FEAT_SHA1, FEAT_SHA256).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum CryptoOp {
    Aese,
    Aesd,
    Aesmc,
    Aesimc,
    Sha1c,
    Sha1p,
    Sha1m,
    Sha1h,
    Sha1su0,
    Sha1su1,
    Sha256h,
    Sha256h2,
    Sha256su0,
    Sha256su1,
}
