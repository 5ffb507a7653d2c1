//! The A64 decoder: the specification `instructions.spec` (one row per instruction, Arm ARM C4
//! "A64 Instruction Set Encoding"), from which the build makes decoding, the random-instruction
//! generator's table and the feature list ([`spec`]), and the builders its rows call to make
//! an [`Inst`] from their fields.

mod branch;
mod crypto;
mod dp;
pub mod fields;
pub mod fp;
pub mod gen;
pub mod inst;
mod ldst;
mod simd;
mod simd_fp;
mod simd_sat;
pub mod simd_types;
#[cfg(test)]
mod simd_words;
pub mod spec;

pub use inst::*;
pub use simd_types::*;
pub use spec::{
    decode, decode_for, decode_row, Feature, FeatureDef, FeatureSet, Group, HwcapWord, Row, FEATURES, GROUPS, TABLE,
};

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn spot_checks() {
        // add x0, x1, #16
        assert_eq!(
            decode(0x9100_4020),
            Inst::Dp(DpInst::AddSubImm {
                sub: false,
                setflags: false,
                w: Width::W64,
                rd: Reg::X(0),
                rn: Reg::X(1),
                imm: 16
            })
        );
        // mov x29, sp == add x29, sp, #0
        assert!(matches!(
            decode(0x9100_03fd),
            Inst::Dp(DpInst::AddSubImm {
                rd: Reg::X(29),
                rn: Reg::Sp,
                ..
            })
        ));
        // cmp w0, #3 == subs wzr, w0, #3
        assert!(matches!(
            decode(0x7100_0c1f),
            Inst::Dp(DpInst::AddSubImm {
                rd: Reg::Zr,
                setflags: true,
                sub: true,
                ..
            })
        ));
        // ret
        assert_eq!(
            decode(0xd65f_03c0),
            Inst::Branch(BranchInst::BranchReg {
                op: BrOp::Ret,
                rn: Reg::X(30)
            })
        );
        // svc #0
        assert_eq!(decode(0xd400_0001), Inst::Branch(BranchInst::Svc { imm: 0 }));
        // ldp x29, x30, [sp], #16
        assert!(matches!(
            decode(0xa8c1_7bfd),
            Inst::Mem(MemInst::LdStPair {
                load: true,
                rn: Reg::Sp,
                addr: AddrMode::PostIndex(16),
                ..
            })
        ));
        // udf #0 is unallocated
        assert_eq!(decode(0), Inst::Undefined);
        // nop, paciasp, bti c
        assert_eq!(decode(0xd503_201f), Inst::System(SysInst::Hint));
        assert_eq!(decode(0xd503_233f), Inst::System(SysInst::Hint));
        // mrs x0, tpidr_el0
        assert_eq!(
            decode(0xd53b_d040),
            Inst::System(SysInst::Mrs {
                reg: SysReg::TpidrEl0,
                rt: Reg::X(0)
            })
        );
    }
}
