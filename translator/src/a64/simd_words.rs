//! Words the assembler makes for AdvSIMD instructions of the integer, FEAT_FHM and FEAT_BF16
//! rows, and what they decode to (`aarch64-linux-gnu-as -march=armv8.6-a+fp16fml+bf16`).

use super::decode;
use super::inst::*;
use super::simd_types::*;

#[test]
fn integer_spot_checks() {
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

/// The words `aarch64-linux-gnu-as -march=armv8.4-a+fp16fml` makes.
#[test]
fn fhm_assemblers_words() {
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
        assert_eq!(decode(w), want, "{w:#010x}");
    }
    // sz = 1 and bit 10 set are unallocated.
    assert_eq!(decode(0x4e62_ec20), Inst::Undefined);
    assert_eq!(decode(0x4f82_0420), Inst::Undefined);
}

/// The words `aarch64-linux-gnu-as -march=armv8.6-a+bf16` makes.
#[test]
fn bf16_assemblers_words() {
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
        assert_eq!(decode(word), want, "{word:#010x}");
    }
    // BFMMLA has no 64-bit form.
    assert_eq!(decode(0x2e42_ec20), Inst::Undefined);
}
