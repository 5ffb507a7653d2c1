//! Decoders of the cryptographic extension groups (Arm ARM C4.1.96 "Cryptographic AES",
//! "Cryptographic three-register SHA", "Cryptographic two-register SHA"): FEAT_AES and
//! FEAT_SHA1/FEAT_SHA256. PMULL/PMULL2 (FEAT_PMULL for the 64-bit form) are in the AdvSIMD
//! three-different group (`simd.rs`).

use super::fields::*;
use super::inst::*;
use super::simd_types::*;

/// The whole-register forms: V`d` = op(V`d`, V`n`, V`m`), `rm` = `rn` for two registers.
fn crypto(op: CryptoKind, w: u32, rm: bool) -> Inst {
    let rm = vr(w, if rm { 16 } else { 5 });
    vec(VecKind::Crypto(op), QUAD, vr(w, 0), vr(w, 5), rm)
}

/// The arrangement of the crypto instructions: whole registers (words, for the SHA ones).
const QUAD: Arrangement = Arrangement { esize: 2, q: true };

/// Cryptographic AES: AESE, AESD, AESMC, AESIMC (size must be 00).
pub(super) fn aes(w: u32) -> Inst {
    use CryptoKind::*;
    if bits(w, 23, 22) != 0 {
        return Inst::Undefined;
    }
    let op = match bits(w, 16, 12) {
        0b00100 => Aese,
        0b00101 => Aesd,
        0b00110 => Aesmc,
        0b00111 => Aesimc,
        _ => return Inst::Undefined,
    };
    crypto(op, w, false)
}

/// Cryptographic three-register SHA: SHA1C/P/M, SHA1SU0, SHA256H/H2, SHA256SU1.
pub(super) fn sha3(w: u32) -> Inst {
    use CryptoKind::*;
    if bits(w, 23, 22) != 0 {
        return Inst::Undefined;
    }
    let op = match bits(w, 14, 12) {
        0b000 => Sha1c,
        0b001 => Sha1p,
        0b010 => Sha1m,
        0b011 => Sha1su0,
        0b100 => Sha256h,
        0b101 => Sha256h2,
        0b110 => Sha256su1,
        _ => return Inst::Undefined,
    };
    crypto(op, w, true)
}

/// Cryptographic two-register SHA: SHA1H, SHA1SU1, SHA256SU0.
pub(super) fn sha2(w: u32) -> Inst {
    use CryptoKind::*;
    if bits(w, 23, 22) != 0 {
        return Inst::Undefined;
    }
    let op = match bits(w, 16, 12) {
        0b00000 => Sha1h,
        0b00001 => Sha1su1,
        0b00010 => Sha256su0,
        _ => return Inst::Undefined,
    };
    crypto(op, w, false)
}

#[cfg(test)]
mod tests {
    use super::super::decode;
    use super::*;

    #[test]
    fn spot_checks() {
        let c = |op, d, n, m| {
            Inst::Simd(SimdInst::Vec {
                op: VecKind::Crypto(op),
                arr: QUAD,
                rd: VReg(d),
                rn: VReg(n),
                rm: VReg(m),
            })
        };
        // aese v1.16b, v2.16b
        assert_eq!(decode(0x4e28_4841), c(CryptoKind::Aese, 1, 2, 2));
        // aesimc v3.16b, v4.16b
        assert_eq!(decode(0x4e28_7883), c(CryptoKind::Aesimc, 3, 4, 4));
        // sha1c q0, s1, v2.4s
        assert_eq!(decode(0x5e02_0020), c(CryptoKind::Sha1c, 0, 1, 2));
        // sha256h2 q5, q6, v7.4s
        assert_eq!(decode(0x5e07_50c5), c(CryptoKind::Sha256h2, 5, 6, 7));
        // sha1h s0, s1
        assert_eq!(decode(0x5e28_0820), c(CryptoKind::Sha1h, 0, 1, 1));
        // sha256su0 v0.4s, v1.4s
        assert_eq!(decode(0x5e28_2820), c(CryptoKind::Sha256su0, 0, 1, 1));
        // size != 00 and opcode 111 are unallocated
        assert_eq!(decode(0x5e42_0020), Inst::Undefined);
        assert_eq!(decode(0x5e02_7020), Inst::Undefined);
    }
}
