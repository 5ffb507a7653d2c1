//! The vector operations: integer ([`VecKind`]), floating point ([`VfpKind`]) and saturating
//! or rounding integer ([`SatKind`]).

use super::{CryptoKind, FpRound, HalfCvt};

/// Which vector operation, with what it needs besides the element size and width: a shift
/// amount, an element index, signedness, a replicated immediate, or the options of a family
/// (floating point, saturating, half-precision conversion, crypto).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    Mul(Second),
    /// MLA/MLS: d += n * m, d -= n * m.
    Mla(Second),
    Mls(Second),
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
    /// CMEQ/CMGT/CMGE/CMLE/CMLT (zero).
    CmpZero(ZeroCmp),
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
    /// ADDP (scalar): D = V.d[0] + V.d[1].
    AddpScalar,
    /// Shifts by an immediate amount.
    Shl(u8),
    Ushr(u8),
    Sshr(u8),
    /// SHRN/SHRN2 (esize is the destination element size).
    Shrn(u8),
    /// USHLL/USHLL2 (esize is the source element size).
    Ushll(u8),
    /// SSHLL/SSHLL2.
    Sshll(u8),
    /// USRA/SSRA: accumulate a shifted-right source.
    Usra(u8),
    Ssra(u8),
    /// SLI/SRI: shift and insert into the destination's kept bits.
    Sli(u8),
    Sri(u8),
    /// Three-different ops (esize is the narrow element size; q picks the upper halves, the "2"
    /// forms).
    AddL {
        signed: bool,
    },
    AddW {
        signed: bool,
    },
    SubL {
        signed: bool,
    },
    SubW {
        signed: bool,
    },
    AbaL {
        signed: bool,
    },
    AbdL {
        signed: bool,
    },
    MlaL {
        signed: bool,
        m: Second,
    },
    MlsL {
        signed: bool,
        m: Second,
    },
    MulL {
        signed: bool,
        m: Second,
    },
    /// ADDHN/SUBHN(2) (esize is the narrow size; `round`: RADDHN/RSUBHN).
    AddHn {
        round: bool,
    },
    SubHn {
        round: bool,
    },
    /// MOVI/MVNI: the 64-bit pattern, replicated.
    Movi(u64),
    OrrImm(u64),
    BicImm(u64),
    /// DUP (element).
    DupElem(u8),
    /// INS (element): element `dst` of V`d` = element `src` of V`n`.
    InsElem {
        dst: u8,
        src: u8,
    },
    /// EXT: from byte `0` of the pair V`m`:V`n`.
    Ext(u8),
    /// TBL/TBX: the table is V`n`..V`n+len-1`.
    Tbl {
        len: u8,
    },
    Tbx {
        len: u8,
    },
    /// A floating-point vector op (`ir::vfp`).
    Fp(VfpOp),
    /// A saturating or rounding integer op (`ir::vecsat`); sets FPSR.QC when a lane saturates.
    Sat(SatOp),
    /// Half-precision conversions (`ir::vechalf`).
    HalfCvt(HalfCvt),
    /// An AES/SHA op (`ir::crypto`).
    Crypto(CryptoKind),
    /// PMULL/PMULL2 (esize 0 or 3, the source element size; q picks the upper halves).
    Pmull,
    /// PMUL (bytes).
    Pmul,
    // The rarer integer ops (`ir::vecint`).
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
    /// SDOT/UDOT (esize 2): S lanes += dot products of four bytes (by element: the element is
    /// a group of four bytes, an S lane of V`m`).
    Sdot(Second),
    Udot(Second),
    /// USDOT (FEAT_I8MM): as SDOT with the bytes of V`n` unsigned and those of V`m` signed.
    Usdot(Second),
    /// SUDOT (FEAT_I8MM, by element only): the bytes of V`n` signed, those of V`m` unsigned.
    Sudot(Second),
    /// SMMLA, UMMLA, USMMLA (FEAT_I8MM): V`d` (a 2x2 matrix of S lanes) += V`n` (2x8 bytes) times
    /// the transpose of V`m` (2x8 bytes).
    Mmla {
        /// The bytes of V`n` are signed.
        n_signed: bool,
        /// The bytes of V`m` are signed.
        m_signed: bool,
    },
    /// The BFloat16 operations (FEAT_BF16, `ir::bf16`).
    Bf16(Bf16Op),
    /// FMLAL, FMLSL, FMLAL2, FMLSL2 (FEAT_FHM; esize 2, the destination's): each S lane of
    /// V`d` plus (or minus) the product of the H lanes of V`n` and V`m` (or of one H element
    /// of V`m`) at its place in the lower (or, the "2" forms, upper) half of the source, fused,
    /// after the Arm ARM's `FPMulAddH` (`ir::vfp::mul_add_long`).
    Fmlal {
        /// FMLSL: the product is subtracted (`FPNeg` of the V`n` element).
        sub: bool,
        /// FMLAL2/FMLSL2: the halves come from the upper half of the source.
        upper: bool,
        /// V`m`, or one H element of it.
        m: Second,
    },
}

impl VecKind {
    /// The second operand: one element of V`m` for the by-element forms, else V`m` itself
    /// (an element of the operation's element size; `Fmlal`'s are halves of its source and
    /// picked by its own semantics).
    pub fn second(self) -> Second {
        use VecKind::*;
        match self {
            Mul(m) | Mla(m) | Mls(m) | Sdot(m) | Udot(m) | Usdot(m) | Sudot(m) => m,
            MulL { m, .. } | MlaL { m, .. } | MlsL { m, .. } => m,
            _ => Second::Vector,
        }
    }
}

/// A BFloat16 operation (FEAT_BF16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bf16Op {
    /// BFCVT: single S`n` to BFloat16 H`d` (the rest of the register zeroed), as FPCR says.
    Cvt,
    /// BFCVTN, BFCVTN2 (`upper`): the four singles of V`n` to BFloat16 in the lower half of
    /// V`d` (the upper half zeroed), or in the upper half (the lower kept).
    Cvtn {
        /// BFCVTN2.
        upper: bool,
    },
    /// BFDOT: each S lane plus the dot product of its BFloat16 pair in V`n` with the one in V`m`
    /// (or with pair `i` of V`m`, by element).
    Dot(Second),
    /// BFMMLA: a 2x2 matrix of singles plus a 2x4 by 4x2 product of BFloat16 matrices.
    Mmla,
    /// BFMLALB, BFMLALT (`top`): each S lane plus the product of the even (odd) BFloat16
    /// elements of V`n` and V`m` (or element `i` of V`m`), fused, under FPCR.
    Mlal {
        /// BFMLALT: the odd elements.
        top: bool,
        /// V`m`, or one of its elements.
        m: Second,
    },
}

/// The second operand of the operations that have a by-element form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Second {
    /// V`m`, lane by lane.
    Vector,
    /// Element `i` of V`m`, for every lane.
    Element(u8),
}

/// The comparison of the compare-with-zero forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ZeroCmp {
    Eq,
    Gt,
    Ge,
    Le,
    Lt,
}

/// A vector floating-point operation with its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VfpOp {
    /// Which.
    pub kind: VfpKind,
    /// Rounding (Rint, ToInt).
    pub round: FpRound,
    /// Signed integers (ToInt, FromInt).
    pub signed: bool,
    /// Element index (the by-element forms) or fraction bits (ToInt/FromInt, fixed point).
    pub index: u8,
    /// The scalar form: element 0 only, the rest of the register zeroed.
    pub scalar: bool,
}

/// A saturating or rounding integer operation with its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SatOp {
    /// Which.
    pub kind: SatKind,
    /// The shift amount (shift by immediate) or element index (by element).
    pub arg: u8,
    /// The scalar form: element 0 only, the rest of the register zeroed.
    pub scalar: bool,
    /// The by-element form: the second operand is element `arg` of V`m`, for every lane.
    pub elem: bool,
}

/// Which vector FP operation.
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
