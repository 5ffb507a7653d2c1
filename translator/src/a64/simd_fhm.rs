//! Decoders of FEAT_FHM (Arm ARM C7.2: FMLAL, FMLAL2, FMLSL, FMLSL2, vector and by element):
//! half-precision products added to (or subtracted from) single-precision accumulators. The
//! group decoders in `simd.rs` ask these first: `None` means "not one of these".

use super::fields::*;
use super::inst::*;
use super::simd_types::*;

/// The S arrangement of the accumulator (2S, or 4S with Q).
fn acc(w: u32) -> Arrangement {
    Arrangement {
        esize: 2,
        q: bit(w, 30),
    }
}

/// AdvSIMD three same (FP, sz = 0): FMLAL/FMLSL (U = 0, opcode 11101), FMLAL2/FMLSL2 (U = 1,
/// opcode 11001); bit 23 selects the subtraction.
pub(super) fn three_same(w: u32) -> Option<Inst> {
    let upper = match (bit(w, 29), bit(w, 22), bits(w, 15, 11)) {
        (false, false, 0b11101) => false,
        (true, false, 0b11001) => true,
        _ => return None,
    };
    let op = VecKind::Fmlal {
        sub: bit(w, 23),
        upper,
        m: Second::Vector,
    };
    Some(vec(op, acc(w), vr(w, 0), vr(w, 5), vr(w, 16)))
}

/// AdvSIMD vector x indexed element, size = 10: FMLAL (U = 0, opcode 0000), FMLSL (U = 0,
/// 0100), FMLAL2 (U = 1, 1000), FMLSL2 (U = 1, 1100); the element is H:L:M of V0-V15.
pub(super) fn by_element(w: u32) -> Option<Inst> {
    if bits(w, 23, 22) != 0b10 || bit(w, 10) {
        return None;
    }
    let (upper, sub) = match (bit(w, 29), bits(w, 15, 12)) {
        (false, 0b0000) => (false, false),
        (false, 0b0100) => (false, true),
        (true, 0b1000) => (true, false),
        (true, 0b1100) => (true, true),
        _ => return None,
    };
    let index = (bits(w, 11, 11) << 2 | bits(w, 21, 20)) as u8;
    let op = VecKind::Fmlal {
        sub,
        upper,
        m: Second::Element(index),
    };
    let rm = VReg(bits(w, 19, 16) as u8);
    Some(vec(op, acc(w), vr(w, 0), vr(w, 5), rm))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words `aarch64-linux-gnu-as -march=armv8.4-a+fp16fml` makes.
    #[test]
    fn the_assemblers_words() {
        let f = |sub, upper, m| VecKind::Fmlal { sub, upper, m };
        let v = |n| VReg(n);
        let cases = [
            (0x4e22_ec20, f(false, false, Second::Vector), true, 2),
            (0x0e22_ec20, f(false, false, Second::Vector), false, 2),
            (0x4ea2_ec20, f(true, false, Second::Vector), true, 2),
            (0x6e22_cc20, f(false, true, Second::Vector), true, 2),
            (0x2ea2_cc20, f(true, true, Second::Vector), false, 2),
            (0x4f82_0020, f(false, false, Second::Element(0)), true, 2),
            (0x4fbf_0820, f(false, false, Second::Element(7)), true, 15),
            (0x0fb2_4020, f(true, false, Second::Element(3)), false, 2),
            (0x6f92_8820, f(false, true, Second::Element(5)), true, 2),
            (0x6f92_c020, f(true, true, Second::Element(1)), true, 2),
        ];
        for (w, op, q, m) in cases {
            let want = vec(op, Arrangement { esize: 2, q }, v(0), v(1), v(m));
            assert_eq!(super::super::decode(w), want, "{w:#010x}");
        }
        // sz = 1 and bit 10 set are unallocated.
        assert_eq!(super::super::decode(0x4e62_ec20), Inst::Undefined);
        assert_eq!(super::super::decode(0x4f82_0420), Inst::Undefined);
    }
}
