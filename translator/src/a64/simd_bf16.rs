//! Decoders of FEAT_BF16 (Arm ARM C7.2) in the classes not yet written out per instruction:
//! BFCVTN/BFCVTN2 (two-register miscellaneous), BFDOT and BFMLALB/BFMLALT by element. The class
//! decoders ask these first: `None` means "not one of these".

use super::fields::*;
use super::inst::*;
use super::simd_types::*;

fn bf16(op: Bf16Op, q: bool, w: u32, rm: VReg) -> Inst {
    vec(VecKind::Bf16(op), Arrangement { esize: 2, q }, vr(w, 0), vr(w, 5), rm)
}

/// BFCVTN/BFCVTN2: two-register miscellaneous with U = 0, size = 10, opcode 10110.
pub(super) fn bfcvtn(w: u32) -> Option<Inst> {
    let hit = !bit(w, 29) && bits(w, 23, 22) == 0b10 && bits(w, 16, 12) == 0b10110;
    let upper = bit(w, 30);
    hit.then(|| bf16(Bf16Op::Cvtn { upper }, upper, w, vr(w, 5)))
}

/// Vector x indexed element, U = 0, opcode 1111: BFDOT (size 01; pair H:L of V0-V31, M:Rm)
/// and BFMLALB/BFMLALT (size 11; element H:L:M of V0-V15).
pub(super) fn by_element(w: u32) -> Option<Inst> {
    if bit(w, 29) || bits(w, 15, 12) != 0b1111 || bit(w, 10) {
        return None;
    }
    let q = bit(w, 30);
    let (h, l, m) = (bits(w, 11, 11), bits(w, 21, 21), bits(w, 20, 20));
    match bits(w, 23, 22) {
        0b01 => {
            let op = Bf16Op::Dot(Second::Element((h << 1 | l) as u8));
            Some(bf16(op, q, w, VReg(bits(w, 20, 16) as u8)))
        }
        0b11 => {
            let op = Bf16Op::Mlal {
                top: q,
                m: Second::Element((h << 2 | l << 1 | m) as u8),
            };
            Some(bf16(op, true, w, VReg(bits(w, 19, 16) as u8)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words `aarch64-linux-gnu-as -march=armv8.6-a+bf16` makes.
    #[test]
    fn the_assemblers_words() {
        let v = |n| VReg(n);
        let w = |op, q, rd, rn, rm| vec(VecKind::Bf16(op), Arrangement { esize: 2, q }, v(rd), v(rn), v(rm));
        let dot = |i| Bf16Op::Dot(Second::Element(i));
        let mlal = |top, m| Bf16Op::Mlal { top, m };
        let cases = [
            (0x1e63_4041, w(Bf16Op::Cvt, false, 1, 2, 2)),
            (0x0ea1_6841, w(Bf16Op::Cvtn { upper: false }, false, 1, 2, 2)),
            (0x4ea1_6841, w(Bf16Op::Cvtn { upper: true }, true, 1, 2, 2)),
            (0x2e42_fc20, w(Bf16Op::Dot(Second::Vector), false, 0, 1, 2)),
            (0x6e42_fc20, w(Bf16Op::Dot(Second::Vector), true, 0, 1, 2)),
            (0x0f42_f020, w(dot(0), false, 0, 1, 2)),
            (0x4f7f_f820, w(dot(3), true, 0, 1, 31)),
            (0x6e42_ec20, w(Bf16Op::Mmla, true, 0, 1, 2)),
            (0x2ec2_fc20, w(mlal(false, Second::Vector), true, 0, 1, 2)),
            (0x6ec2_fc20, w(mlal(true, Second::Vector), true, 0, 1, 2)),
            (0x0fc2_f020, w(mlal(false, Second::Element(0)), true, 0, 1, 2)),
            (0x4fff_f820, w(mlal(true, Second::Element(7)), true, 0, 1, 15)),
        ];
        for (word, want) in cases {
            assert_eq!(super::super::decode(word), want, "{word:#010x}");
        }
        // BFMMLA has no 64-bit form.
        assert_eq!(super::super::decode(0x2e42_ec20), Inst::Undefined);
    }
}
