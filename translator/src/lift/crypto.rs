//! Lifting of the AES and SHA instructions (Arm ARM C7.2: AESE, SHA1C, SHA256H, ...): each is
//! one vector op on CpuState's V registers with its semantics in `ir::crypto`.

use super::simd::vop;
use super::Ctx;
use crate::a64::VReg;
use crate::ir::VecKind;
use crate::ops::CryptoKind;

/// Lift one cryptographic instruction.
pub(super) fn lift(cx: &mut Ctx, op: CryptoKind, rd: VReg, rn: VReg, rm: VReg) {
    vop(cx, VecKind::Crypto, 2, true, op as u64, rd, rn, rm);
}
