//! The vector operations: integer ([`VecKind`]), floating point ([`VfpKind`]) and saturating
//! or rounding integer ([`SatKind`]).

/// Which vector operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum VecKind {
    And,
    Bic,
    Orr,
    Orn,
    Eor,
    Bsl,
    Bit,
    Bif,
    Add,
    Sub,
    Mul,
    /// MLA/MLS: d += n * m, d -= n * m.
    Mla,
    Mls,
    /// SSHL/USHL: shift each element by the signed low byte of the other operand's element
    /// (negative: right, arithmetic for SSHL).
    Sshl,
    Ushl,
    /// Halving adds: (a + b [+ 1]) >> 1 without overflow.
    Shadd,
    Uhadd,
    Srhadd,
    Urhadd,
    Cmeq,
    Cmtst,
    Cmhs,
    Cmhi,
    Cmge,
    Cmgt,
    Umax,
    Umin,
    Smax,
    Smin,
    Umaxp,
    Uminp,
    Addp,
    Zip1,
    Zip2,
    Uzp1,
    Uzp2,
    Trn1,
    Trn2,
    /// Compare against zero: `imm` selects 0 = EQ, 1 = GT, 2 = GE, 3 = LE, 4 = LT.
    CmpZero,
    Not,
    Cnt,
    Rev64,
    Rev32,
    Rev16,
    Abs,
    Neg,
    /// XTN/XTN2 (esize is the destination element size).
    Xtn,
    Uaddlv,
    Umaxv,
    Uminv,
    Addv,
    AddpScalar,
    Shl,
    Ushr,
    Sshr,
    /// SHRN/SHRN2 (esize is the destination element size).
    Shrn,
    /// USHLL/USHLL2 (esize is the source element size).
    Ushll,
    /// SSHLL/SSHLL2.
    Sshll,
    /// USRA/SSRA: accumulate a shifted-right source.
    Usra,
    Ssra,
    /// SLI/SRI: shift and insert into the destination's kept bits.
    Sli,
    Sri,
    /// Three-different ops: `imm` = (signed as u64); esize is the narrow element size; q picks the
    /// upper halves ("2" forms).
    AddL,
    AddW,
    SubL,
    SubW,
    AbaL,
    AbdL,
    MlaL,
    MlsL,
    MulL,
    /// ADDHN/SUBHN(2) (esize is the narrow size; `imm` bit 0 = RADDHN/RSUBHN rounding).
    AddHn,
    SubHn,
    /// MOVI/MVNI: replicate the 64-bit `imm`.
    Movi,
    OrrImm,
    BicImm,
    /// DUP (element): `imm` = index.
    DupElem,
    /// INS (element): `imm` = dst_index | src_index << 8.
    InsElem,
    /// EXT: `imm` = byte index.
    Ext,
    /// TBL/TBX: `imm` = table length | (tbx << 8); the table is V`n`..V`n+len-1`.
    Tbl,
    Tbx,
    /// A floating-point vector op ([`super::vfp`]): `imm` holds its kind and options.
    Fp,
    /// A saturating or rounding integer op ([`super::vecsat`]): `imm` holds its kind and
    /// options; sets FPSR.QC when a lane saturates.
    Sat,
    /// Half-precision conversions ([`super::vechalf`]): `imm` holds the form.
    HalfCvt,
    /// An AES/SHA op ([`super::crypto`]): `imm` is its [`super::crypto::CryptoKind`].
    Crypto,
    /// PMULL/PMULL2 (esize 0 or 3, the source element size; q picks the upper halves).
    Pmull,
    /// PMUL (bytes).
    Pmul,
    // The rarer integer ops ([`super::vecint`]).
    /// SHSUB/UHSUB: halving subtracts.
    Shsub,
    Uhsub,
    /// SABD/UABD: absolute differences; SABA/UABA accumulate them.
    Sabd,
    Uabd,
    Saba,
    Uaba,
    Smaxp,
    Sminp,
    Cls,
    Clz,
    /// RBIT (bytes).
    Rbit,
    /// SADDLP/UADDLP, SADALP/UADALP (esize is the source element size).
    Saddlp,
    Uaddlp,
    Sadalp,
    Uadalp,
    Smaxv,
    Sminv,
    /// SADDLV (esize is the source element size).
    Saddlv,
    /// SDOT/UDOT (esize 2): S lanes += dot products of four bytes.
    Sdot,
    Udot,
}

/// Which vector FP operation (carried in `VecFn::imm` bits 7:0 of a `VecKind::Fp` op).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum VfpKind {
    Add = 0,
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
    Rint,
    ToInt,
    FromInt,
    /// FCVTL/FCVTL2: single to double (esize is the destination's).
    Cvtl,
    /// FCVTN/FCVTN2: double to single (esize is the source's).
    Cvtn,
    MulElem,
    MlaElem,
    MlsElem,
    Mulx,
    MulxElem,
    Recps,
    Rsqrts,
    Recpe,
    Rsqrte,
    Recpx,
    Urecpe,
    Ursqrte,
    /// FMAXNMV, FMINNMV, FMAXV, FMINV (four singles).
    MaxNmv,
    MinNmv,
    Maxv,
    Minv,
    /// FCVTXN/FCVTXN2 (double to single, rounding to odd; esize is the source's).
    Cvtxn,
}

/// Which saturating/rounding operation (the A64 mnemonic; the decoder's and the IR's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum SatKind {
    Sqadd,
    Uqadd,
    Sqsub,
    Uqsub,
    Sqshl,
    Uqshl,
    Sqrshl,
    Uqrshl,
    Srshl,
    Urshl,
    Sqdmulh,
    Sqrdmulh,
    Sqrdmlah,
    Sqrdmlsh,
    Suqadd,
    Usqadd,
    Sqabs,
    Sqneg,
    Sqxtn,
    Uqxtn,
    Sqxtun,
    SqshlImm,
    UqshlImm,
    Sqshlu,
    Srshr,
    Urshr,
    Srsra,
    Ursra,
    Rshrn,
    Sqshrn,
    Sqrshrn,
    Uqshrn,
    Uqrshrn,
    Sqshrun,
    Sqrshrun,
    Sqdmull,
    Sqdmlal,
    Sqdmlsl,
}
