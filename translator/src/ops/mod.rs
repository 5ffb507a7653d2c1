//! The operation vocabulary the decoder, the IR and the backend share: one enum per concept
//! (vector integer, vector FP, saturating, crypto, half-precision conversion, atomic, rounding),
//! named after the A64 mnemonics. The decoder names an instruction's operation with these
//! values and the lifter hands them on unchanged; the semantics (`ir::vecfn`, `ir::vfp`,
//! `ir::vecsat`, `ir::crypto`, `ir::vechalf`) and the lowering (`x64`) match on them.

mod vector;

pub use vector::{Bf16Op, SatKind, SatOp, Second, VecKind, VfpKind, VfpOp, ZeroCmp};

/// Rounding of FRINT*, FCVT* and the conversions (the A64 mnemonic's letter where it has one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FpRound {
    /// To nearest, ties to even (N).
    N = 0,
    /// Toward +infinity (P).
    P = 1,
    /// Toward -infinity (M).
    M = 2,
    /// Toward zero (Z).
    Z = 3,
    /// To nearest, ties away from zero (A).
    A = 4,
    /// The mode FPCR.RMode selects (FRINTI).
    Fpcr = 5,
    /// FPCR.RMode, signalling inexact results (FRINTX).
    X = 6,
    /// FRINT32Z (FEAT_FRINTTS): toward zero, to an integral value in the 32-bit integer range
    /// (else the most negative one, raising IOC; IXC when inexact).
    Z32 = 7,
    /// FRINT32X: FPCR.RMode, 32-bit range.
    X32 = 8,
    /// FRINT64Z.
    Z64 = 9,
    /// FRINT64X.
    X64 = 10,
}

/// Atomic read-modify-write operations (the old value is returned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum RmwKind {
    Add,
    /// mem & !val
    Clr,
    Eor,
    Set,
    Smax,
    Smin,
    Umax,
    Umin,
    Swp,
}

/// A half-precision conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum HalfCvt {
    /// FCVT Hd, Sn / Hd, Dn (`double`: from D).
    ScalarToHalf { double: bool },
    /// FCVT Sd, Hn / Dd, Hn.
    ScalarFromHalf { double: bool },
    /// FCVTN/FCVTN2 4S -> 4H (`upper`: into the upper half, keeping the lower).
    Narrow { upper: bool },
    /// FCVTL/FCVTL2 4H -> 4S (`upper`: from the upper half).
    Long { upper: bool },
}

/// Which cryptographic operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum CryptoKind {
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
