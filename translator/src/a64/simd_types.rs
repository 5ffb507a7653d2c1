//! Typed operands of the AdvSIMD instructions (Arm ARM C7): arrangements and the operation
//! kinds of each encoding group, split from `inst.rs` to keep each file to one subject.

pub use crate::ops::{CryptoKind, SatKind, VecKind, VfpKind};

/// AdvSIMD arrangement: element size and register width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrangement {
    /// log2 of the element size in bytes (0 = B, 1 = H, 2 = S, 3 = D).
    pub esize: u8,
    /// 128-bit (Q) or 64-bit register.
    pub q: bool,
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

/// Vector-immediate operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum VecImmOp {
    Movi,
    Orr,
    Bic,
}

/// One saturating/rounding AdvSIMD instruction: vector, scalar or by-element form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VecSatInst {
    /// The operation.
    pub op: SatKind,
    /// Element size (see [`SatKind`] for the narrowing and long forms) and Q; for the narrowing
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
