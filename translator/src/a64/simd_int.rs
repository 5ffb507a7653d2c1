//! Decoders of the AdvSIMD integer instructions beyond what glibc's string routines use (Arm ARM
//! C4.1.96 "Advanced SIMD", C7.2): halving subtracts, absolute differences, signed pairwise
//! max/min, CLS/CLZ/RBIT/SHLL, the pairwise long adds, and the integer by-element forms with
//! SDOT/UDOT (FEAT_DotProd) by element. The class decoders in `simd.rs` ask these first: `None`
//! means "not one of these, decode as usual".

use super::fields::*;
use super::inst::*;
use super::simd_types::*;

fn arr(w: u32) -> Arrangement {
    Arrangement {
        esize: bits(w, 23, 22) as u8,
        q: bit(w, 30),
    }
}

/// AdvSIMD three same: SHSUB/UHSUB, SABD/UABD, SABA/UABA, SMAXP/SMINP.
pub(super) fn three_same(w: u32) -> Option<Inst> {
    use VecKind::*;
    let op = match (bits(w, 15, 11), bit(w, 29)) {
        (0b00100, false) => Shsub,
        (0b00100, true) => Uhsub,
        (0b01110, false) => Sabd,
        (0b01110, true) => Uabd,
        (0b01111, false) => Saba,
        (0b01111, true) => Uaba,
        (0b10100, false) => Smaxp,
        (0b10101, false) => Sminp,
        _ => return None,
    };
    let a = arr(w);
    if a.esize == 3 {
        return Some(Inst::Undefined);
    }
    Some(vec(op, a, vr(w, 0), vr(w, 5), vr(w, 16)))
}

/// AdvSIMD two-register miscellaneous: CLS, CLZ, RBIT, SADDLP/UADDLP, SADALP/UADALP, SHLL.
pub(super) fn two_misc(w: u32) -> Option<Inst> {
    use VecKind::*;
    let a = arr(w);
    let op = match (bits(w, 16, 12), bit(w, 29)) {
        (0b00100, false) => Cls,
        (0b00100, true) => Clz,
        (0b00101, true) if a.esize == 1 => Rbit,
        (0b00010, false) => Saddlp,
        (0b00010, true) => Uaddlp,
        (0b00110, false) => Sadalp,
        (0b00110, true) => Uadalp,
        (0b10011, true) => {
            // SHLL(2): a left shift by the element size, i.e. USHLL with that amount.
            if a.esize == 3 {
                return Some(Inst::Undefined);
            }
            return Some(vec(Ushll(8 << a.esize), a, vr(w, 0), vr(w, 5), vr(w, 5)));
        }
        _ => return None,
    };
    if a.esize == 3 {
        return Some(Inst::Undefined);
    }
    // RBIT works on bytes (size is part of its opcode).
    let a = if op == Rbit {
        Arrangement { esize: 0, q: a.q }
    } else {
        a
    };
    Some(vec(op, a, vr(w, 0), vr(w, 5), vr(w, 5)))
}

/// AdvSIMD vector x indexed element, integer: MUL, MLA, MLS, [SU]MULL, [SU]MLAL, [SU]MLSL(2),
/// SDOT/UDOT, and USDOT (size 10) / SUDOT (size 00), opcode 1111.
pub(super) fn by_element(w: u32) -> Option<Inst> {
    use VecKind::*;
    if bits(w, 15, 12) == 0b1111 && !bit(w, 29) {
        let op = match bits(w, 23, 22) {
            0b10 => Usdot,
            0b00 => Sudot,
            _ => return Some(Inst::Undefined),
        };
        let index = (bits(w, 11, 11) << 1) | bits(w, 21, 21);
        let a = Arrangement {
            esize: 2,
            q: bit(w, 30),
        };
        return Some(vec(op(Second::Element(index as u8)), a, vr(w, 0), vr(w, 5), vr(w, 16)));
    }
    let op: fn(Second) -> VecKind = match (bit(w, 29), bits(w, 15, 12)) {
        (false, 0b1000) => Mul,
        (true, 0b0000) => Mla,
        (true, 0b0100) => Mls,
        (false, 0b1010) => |m| MulL { signed: true, m },
        (true, 0b1010) => |m| MulL { signed: false, m },
        (false, 0b0010) => |m| MlaL { signed: true, m },
        (true, 0b0010) => |m| MlaL { signed: false, m },
        (false, 0b0110) => |m| MlsL { signed: true, m },
        (true, 0b0110) => |m| MlsL { signed: false, m },
        (false, 0b1110) => Sdot,
        (true, 0b1110) => Udot,
        _ => return None,
    };
    let (h, l, m) = (bits(w, 11, 11), bits(w, 21, 21), bits(w, 20, 20));
    let size = bits(w, 23, 22);
    let dot = bits(w, 15, 12) == 0b1110;
    let (index, rm) = match size {
        1 if !dot => ((h << 2) | (l << 1) | m, VReg(bits(w, 19, 16) as u8)),
        2 => ((h << 1) | l, vr(w, 16)),
        _ => return Some(Inst::Undefined),
    };
    let op = op(Second::Element(index as u8));
    let a = Arrangement {
        esize: size as u8,
        q: bit(w, 30),
    };
    Some(vec(op, a, vr(w, 0), vr(w, 5), rm))
}

#[cfg(test)]
mod tests {
    use super::super::decode;
    use super::*;

    #[test]
    fn spot_checks() {
        // uabd v4.8b, v10.8b, v0.8b
        assert!(matches!(
            decode(0x2e20_7544),
            Inst::Simd(SimdInst::Vec {
                op: VecKind::Uabd,
                arr: Arrangement { esize: 0, q: false },
                ..
            })
        ));
        // umlal2 v24.4s, v24.8h, v0.h[0] with h:l:m = 0; smull v2.4s, v27.4h, v0.h[0]
        assert!(matches!(
            decode(0x6f40_2318),
            Inst::Simd(SimdInst::Vec {
                op: VecKind::MlaL {
                    signed: false,
                    m: Second::Element(0)
                },
                arr: Arrangement { esize: 1, q: true },
                ..
            })
        ));
        // mul v0.4s, v1.4s, v31.s[3]
        assert!(matches!(
            decode(0x4fbf_8820),
            Inst::Simd(SimdInst::Vec {
                op: VecKind::Mul(Second::Element(3)),
                arr: Arrangement { esize: 2, q: true },
                rm: VReg(31),
                ..
            })
        ));
        // ld4 {v29.b, v30.b, v31.b, v0.b}[0], [x7]
        assert!(matches!(
            decode(0x0d60_20fd),
            Inst::Simd(SimdInst::LdStSingle {
                count: 4,
                esize: 0,
                replicate: false,
                ..
            })
        ));
        // ld3r {v13.8b-v15.8b}, [x28]
        assert!(matches!(
            decode(0x0d40_e38d),
            Inst::Simd(SimdInst::LdStSingle {
                count: 3,
                replicate: true,
                ..
            })
        ));
        // shll v1.8h, v25.8b, #8
        assert!(matches!(
            decode(0x2e21_3b21),
            Inst::Simd(SimdInst::Vec {
                op: VecKind::Ushll(8),
                ..
            })
        ));
        // udot v0.4s, v1.16b, v2.4b[1] and sdot v0.2s, v1.8b, v2.8b
        assert!(matches!(
            decode(0x6fa2_e020),
            Inst::Simd(SimdInst::Vec {
                op: VecKind::Udot(Second::Element(1)),
                ..
            })
        ));
        assert!(matches!(
            decode(0x0e82_9420),
            Inst::Simd(SimdInst::Vec {
                op: VecKind::Sdot(Second::Vector),
                ..
            })
        ));
    }
}
