//! What the cryptographic rows of `instructions.spec` build (Arm ARM C4.1.96 "Cryptographic
//! AES", "Cryptographic three-register SHA", "Cryptographic two-register SHA", and the SHA512/SHA3
//! groups "Cryptographic three-register SHA 512", "Cryptographic two-register SHA 512",
//! "Cryptographic four-register", "XAR"): FEAT_AES, FEAT_SHA1/FEAT_SHA256, FEAT_SHA512 and
//! FEAT_SHA3 (the SM3/SM4 encodings in those groups are not implemented: unallocated).
//! PMULL/PMULL2 (FEAT_PMULL for the 64-bit form) are in the AdvSIMD three-different group.

use super::inst::*;
use super::simd_types::*;

/// The whole-register forms: V`d` = op(V`d`, V`n`, V`m`), `rm` = `rn` for two registers.
pub(super) fn whole(op: CryptoKind, rd: VReg, rn: VReg, rm: VReg) -> Inst {
    vec(VecKind::Crypto(op), QUAD, rd, rn, rm)
}

/// The arrangement of the crypto instructions: whole registers (words, for the SHA ones).
const QUAD: Arrangement = Arrangement { esize: 2, q: true };

/// A SHA512/SHA3 operation on V`d`, V`n`, V`m` (two 64-bit lanes).
pub(super) fn wide(op: Crypto64Op, rd: VReg, rn: VReg, rm: VReg) -> Inst {
    Inst::Simd(SimdInst::Crypto64 { op, rd, rn, rm })
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

    #[test]
    fn sha512_and_sha3() {
        let c = |op, d, n, m| {
            Inst::Simd(SimdInst::Crypto64 {
                op,
                rd: VReg(d),
                rn: VReg(n),
                rm: VReg(m),
            })
        };
        // sha512h q1, q2, v3.2d
        assert_eq!(decode(0xce63_8041), c(Crypto64Op::Sha512h, 1, 2, 3));
        // sha512h2 q4, q5, v6.2d
        assert_eq!(decode(0xce66_84a4), c(Crypto64Op::Sha512h2, 4, 5, 6));
        // sha512su0 v7.2d, v8.2d
        assert_eq!(decode(0xcec0_8107), c(Crypto64Op::Sha512su0, 7, 8, 0));
        // sha512su1 v9.2d, v10.2d, v11.2d
        assert_eq!(decode(0xce6b_8949), c(Crypto64Op::Sha512su1, 9, 10, 11));
        // rax1 v0.2d, v1.2d, v2.2d
        assert_eq!(decode(0xce62_8c20), c(Crypto64Op::Rax1, 0, 1, 2));
        // eor3 v0.16b, v1.16b, v2.16b, v3.16b
        assert_eq!(decode(0xce02_0c20), c(Crypto64Op::Eor3 { ra: VReg(3) }, 0, 1, 2));
        // bcax v4.16b, v5.16b, v6.16b, v7.16b
        assert_eq!(decode(0xce26_1ca4), c(Crypto64Op::Bcax { ra: VReg(7) }, 4, 5, 6));
        // xar v0.2d, v1.2d, v2.2d, #10
        assert_eq!(decode(0xce82_2820), c(Crypto64Op::Xar { imm6: 10 }, 0, 1, 2));
        // sm3partw1 v0.4s, v1.4s, v2.4s; sm4e v0.4s, v1.4s; sm3ss1: not implemented
        assert_eq!(decode(0xce62_c020), Inst::Undefined);
        assert_eq!(decode(0xcec0_8420), Inst::Undefined);
        assert_eq!(decode(0xce42_0c20), Inst::Undefined);
    }
}
