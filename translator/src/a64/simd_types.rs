//! Typed operands of the AdvSIMD instructions (Arm ARM C7): arrangements and the operation
//! kinds of each encoding group, split from `inst.rs` to keep each file to one subject.

pub use crate::ops::{Bf16Op, CryptoKind, SatKind, SatOp, Second, VecKind, VfpKind, VfpOp, ZeroCmp};

/// AdvSIMD arrangement: element size and register width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrangement {
    /// log2 of the element size in bytes (0 = B, 1 = H, 2 = S, 3 = D).
    pub esize: u8,
    /// 128-bit (Q) or 64-bit register.
    pub q: bool,
}

/// An AdvSIMD operation on whole V registers (see [`SimdInst::Vec`](super::SimdInst::Vec)).
pub(super) fn vec(op: VecKind, arr: Arrangement, rd: super::VReg, rn: super::VReg, rm: super::VReg) -> super::Inst {
    super::Inst::Simd(super::SimdInst::Vec { op, arr, rd, rn, rm })
}
