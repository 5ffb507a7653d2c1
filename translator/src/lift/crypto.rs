//! Lifting of the AES and SHA instructions (Arm ARM C7.2: AESE, SHA1C, SHA256H, ...): each is
//! one vector op on CpuState's V registers with its semantics in `ir::crypto`.

use super::simd::vop;
use super::Ctx;
use crate::a64::{CryptoOp, VReg};
use crate::ir::crypto::CryptoKind;
use crate::ir::VecKind;

/// Lift one cryptographic instruction.
pub(super) fn lift(cx: &mut Ctx, op: CryptoOp, rd: VReg, rn: VReg, rm: VReg) {
    use CryptoOp as O;
    let kind = match op {
        O::Aese => CryptoKind::Aese,
        O::Aesd => CryptoKind::Aesd,
        O::Aesmc => CryptoKind::Aesmc,
        O::Aesimc => CryptoKind::Aesimc,
        O::Sha1c => CryptoKind::Sha1c,
        O::Sha1p => CryptoKind::Sha1p,
        O::Sha1m => CryptoKind::Sha1m,
        O::Sha1h => CryptoKind::Sha1h,
        O::Sha1su0 => CryptoKind::Sha1su0,
        O::Sha1su1 => CryptoKind::Sha1su1,
        O::Sha256h => CryptoKind::Sha256h,
        O::Sha256h2 => CryptoKind::Sha256h2,
        O::Sha256su0 => CryptoKind::Sha256su0,
        O::Sha256su1 => CryptoKind::Sha256su1,
    };
    vop(cx, VecKind::Crypto, 2, true, kind as u64, rd, rn, rm);
}
