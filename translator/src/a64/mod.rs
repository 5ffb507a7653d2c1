//! The A64 decoder: one encoding table, from which both decoding and the random-instruction
//! generator draw (Arm ARM C4 "A64 Instruction Set Encoding").

mod branch;
mod crypto;
mod dp;
pub mod fields;
pub mod fp;
pub mod gen;
pub mod inst;
mod ldst;
mod simd;
mod simd_bf16;
mod simd_fhm;
mod simd_fp16;
mod simd_int;
mod simd_sat;
pub mod simd_types;

pub use inst::*;
pub use simd_types::*;

/// One row of the encoding table: a named encoding class, its fixed bits, and its field decoder.
pub struct Row {
    /// Name as in the Arm ARM's encoding index.
    pub name: &'static str,
    /// Which bits are fixed.
    pub mask: u32,
    /// Their values.
    pub bits: u32,
    /// Field decoder; returns `Inst::Undefined` for unallocated combinations inside the class.
    pub decode: fn(u32) -> Inst,
    /// Whether the generator should draw this class (false for ones that leave the sequence).
    pub fuzz: bool,
}

macro_rules! row {
    ($name:expr, $mask:expr, $bits:expr, $f:path) => {
        Row {
            name: $name,
            mask: $mask,
            bits: $bits,
            decode: $f,
            fuzz: true,
        }
    };
    ($name:expr, $mask:expr, $bits:expr, $f:path, nofuzz) => {
        Row {
            name: $name,
            mask: $mask,
            bits: $bits,
            decode: $f,
            fuzz: false,
        }
    };
}

/// The encoding table. First match wins, so narrower classes come before wider ones.
#[rustfmt::skip]
pub static TABLE: &[Row] = &[
    row!("PC-rel. addressing", 0x1f00_0000, 0x1000_0000, dp::adr),
    row!("Add/subtract (immediate)", 0x1f80_0000, 0x1100_0000, dp::add_sub_imm),
    row!("Logical (immediate)", 0x1f80_0000, 0x1200_0000, dp::logical_imm),
    row!("Move wide (immediate)", 0x1f80_0000, 0x1280_0000, dp::move_wide),
    row!("Bitfield", 0x1f80_0000, 0x1300_0000, dp::bitfield),
    row!("Extract", 0x1f80_0000, 0x1380_0000, dp::extr),
    row!("Unconditional branch (immediate)", 0x7c00_0000, 0x1400_0000, branch::b, nofuzz),
    row!("Compare and branch (immediate)", 0x7e00_0000, 0x3400_0000, branch::cbz, nofuzz),
    row!("Test and branch (immediate)", 0x7e00_0000, 0x3600_0000, branch::tbz, nofuzz),
    row!("Conditional branch (immediate)", 0xff00_0010, 0x5400_0000, branch::b_cond, nofuzz),
    row!("SVC", 0xffe0_001f, 0xd400_0001, branch::svc, nofuzz),
    row!("BRK", 0xffe0_001f, 0xd420_0000, branch::brk, nofuzz),
    row!("Flag manipulation (PSTATE)", 0xffff_ff1f, 0xd500_401f, dp::flagm_pstate),
    row!("MSR (immediate)", 0xfff8_f01f, 0xd500_401f, branch::msr_imm, nofuzz),
    row!("Hints", 0xffff_f01f, 0xd503_201f, branch::hint),
    row!("Barriers", 0xffff_f01f, 0xd503_301f, branch::barrier),
    row!("System register move", 0xffd0_0000, 0xd510_0000, branch::mrs_msr, nofuzz),
    row!("System instructions", 0xfff8_0000, 0xd508_0000, branch::sys, nofuzz),
    row!("Unconditional branch (register)", 0xfe1f_fc1f, 0xd61f_0000, branch::branch_reg, nofuzz),
    row!("AdvSIMD load/store multiple structures", 0xbfbf_0000, 0x0c00_0000, simd::ld1_multi, nofuzz),
    row!("AdvSIMD load/store multiple structures (post-indexed)", 0xbfa0_0000, 0x0c80_0000, simd::ld1_multi, nofuzz),
    row!("AdvSIMD load/store single structure", 0xbf9f_0000, 0x0d00_0000, simd_int::ldst_single, nofuzz),
    row!("AdvSIMD load/store single structure (post-indexed)", 0xbf80_0000, 0x0d80_0000, simd_int::ldst_single, nofuzz),
    row!("Load/store exclusive and ordered", 0x3f00_0000, 0x0800_0000, ldst::exclusive, nofuzz),
    row!("Load register (literal)", 0x3b00_0000, 0x1800_0000, ldst::literal, nofuzz),
    row!("Load/store register pair", 0x3a00_0000, 0x2800_0000, ldst::pair, nofuzz),
    row!("Load/store register (unsigned immediate)", 0x3b00_0000, 0x3900_0000, ldst::unsigned_imm, nofuzz),
    row!("Load/store register (imm9)", 0x3b20_0000, 0x3800_0000, ldst::imm9, nofuzz),
    row!("Atomic memory operations", 0x3b20_0c00, 0x3820_0000, ldst::atomic, nofuzz),
    row!("LDAPR/STLR (unscaled immediate)", 0x3f20_0c00, 0x1900_0000, ldst::rcpc_unscaled, nofuzz),
    row!("Load/store register (register offset)", 0x3b20_0c00, 0x3820_0800, ldst::reg_offset, nofuzz),
    row!("Logical (shifted register)", 0x1f00_0000, 0x0a00_0000, dp::logical_shifted),
    row!("Add/subtract (shifted register)", 0x1f20_0000, 0x0b00_0000, dp::add_sub_shifted),
    row!("Add/subtract (extended register)", 0x1f20_0000, 0x0b20_0000, dp::add_sub_extended),
    row!("Add/subtract (with carry)", 0x1fe0_fc00, 0x1a00_0000, dp::add_sub_carry),
    row!("Rotate right into flags", 0xffe0_7c10, 0xba00_0400, dp::rmif),
    row!("Evaluate into flags", 0xffff_bc1f, 0x3a00_080d, dp::setf),
    row!("Conditional compare", 0x3fe0_0000, 0x3a40_0000, dp::cond_compare),
    row!("Conditional select", 0x3fe0_0000, 0x1a80_0000, dp::cond_select),
    row!("Data-processing (1 source)", 0x7fff_0000, 0x5ac0_0000, dp::dp1),
    row!("Data-processing (2 source)", 0x7fe0_0000, 0x1ac0_0000, dp::dp2),
    row!("Data-processing (3 source)", 0x1f00_0000, 0x1b00_0000, dp::dp3),
    row!("Cryptographic AES", 0xff3e_0c00, 0x4e28_0800, crypto::aes),
    row!("Cryptographic three-register SHA", 0xff20_8c00, 0x5e00_0000, crypto::sha3),
    row!("Cryptographic two-register SHA", 0xff3e_0c00, 0x5e28_0800, crypto::sha2),
    row!("Cryptographic three-register SHA 512", 0xffe0_b000, 0xce60_8000, crypto::sha512_3),
    row!("Cryptographic two-register SHA 512", 0xffff_f000, 0xcec0_8000, crypto::sha512_2),
    row!("Cryptographic four-register", 0xff80_8000, 0xce00_0000, crypto::four_reg),
    row!("XAR", 0xffe0_0000, 0xce80_0000, crypto::xar),
    row!("AdvSIMD scalar three same FP16", 0xdf60_c400, 0x5e40_0400, simd_fp16::scalar_three_same),
    row!("AdvSIMD scalar two-register miscellaneous FP16", 0xdf7e_0c00, 0x5e78_0800, simd_fp16::scalar_two_misc),
    row!("AdvSIMD three same (FP16)", 0x9f60_c400, 0x0e40_0400, simd_fp16::three_same),
    row!("AdvSIMD two-register miscellaneous (FP16)", 0x9f7e_0c00, 0x0e78_0800, simd_fp16::two_misc),
    row!("AdvSIMD scalar shift by immediate", 0xdf80_0400, 0x5f00_0400, simd::scalar_shift_imm),
    row!("AdvSIMD scalar three same", 0xdf20_0400, 0x5e20_0400, simd::scalar_three_same),
    row!("AdvSIMD scalar copy", 0xffe0_fc00, 0x5e00_0400, simd::scalar_copy),
    row!("AdvSIMD scalar pairwise ADDP", 0xffff_fc00, 0x5ef1_b800, simd::addp_scalar),
    row!("AdvSIMD scalar pairwise (FP)", 0xdf3e_0c00, 0x5e30_0800, fp::scalar_pairwise),
    row!("AdvSIMD scalar three same extra", 0xdf20_8400, 0x5e00_8400, simd_sat::scalar_three_same_extra),
    row!("AdvSIMD scalar three different", 0xdf20_0c00, 0x5e20_0000, simd_sat::scalar_three_diff),
    row!("AdvSIMD scalar x indexed element", 0xdf00_0400, 0x5f00_0000, simd_sat::scalar_by_element),
    row!("AdvSIMD modified immediate", 0x9ff8_0400, 0x0f00_0400, simd::modified_imm),
    row!("AdvSIMD shift by immediate", 0x9f80_0400, 0x0f00_0400, simd::shift_imm),
    row!("AdvSIMD vector x indexed element", 0x9f00_0400, 0x0f00_0000, simd::by_element),
    row!("AdvSIMD three different", 0x9f20_0c00, 0x0e20_0000, simd::three_diff),
    row!("AdvSIMD three same extra", 0x9f20_8400, 0x0e00_8400, simd_sat::vec_three_same_extra),
    row!("AdvSIMD three same", 0x9f20_0400, 0x0e20_0400, simd::three_same),
    row!("AdvSIMD two-register miscellaneous", 0x9f3e_0c00, 0x0e20_0800, simd::two_misc),
    row!("AdvSIMD across lanes", 0x9f3e_0c00, 0x0e30_0800, simd::across),
    row!("AdvSIMD copy", 0x9fe0_8400, 0x0e00_0400, simd::copy),
    row!("AdvSIMD table lookup", 0xbfe0_8c00, 0x0e00_0000, simd::tbl),
    row!("AdvSIMD permute", 0xbf20_8c00, 0x0e00_0800, simd::permute),
    row!("AdvSIMD extract", 0xbfe0_8400, 0x2e00_0000, simd::ext),
    row!("FMOV (general)", 0x7f26_fc00, 0x1e26_0000, simd::fmov_general),
    row!("FMOV (register)", 0xff3f_fc00, 0x1e20_4000, simd::fmov_reg),
    row!("FP data-processing (1 source)", 0xff20_7c00, 0x1e20_4000, fp::dp1),
    row!("FP data-processing (2 source)", 0xff20_0c00, 0x1e20_0800, fp::dp2),
    row!("FP data-processing (3 source)", 0xff00_0000, 0x1f00_0000, fp::dp3),
    row!("FP compare", 0xff20_fc07, 0x1e20_2000, fp::cmp),
    row!("FP conditional compare", 0xff20_0c00, 0x1e20_0400, fp::ccmp),
    row!("FP conditional select", 0xff20_0c00, 0x1e20_0c00, fp::csel),
    row!("FP immediate", 0xff20_1fe0, 0x1e20_1000, fp::imm),
    row!("FP <-> integer conversion", 0x7f20_fc00, 0x1e20_0000, fp::conv_int),
    row!("FP <-> fixed-point conversion", 0x7f20_0000, 0x1e00_0000, fp::conv_fixed),
    row!("AdvSIMD scalar two-register miscellaneous (FP conversions)", 0xdf3e_0c00, 0x5e20_0800, fp::scalar_two_misc),
];

/// Decode one instruction word.
pub fn decode(word: u32) -> Inst {
    decode_row(word).map_or(Inst::Undefined, |r| (r.decode)(word))
}

/// The table row an instruction word falls in, if any.
pub fn decode_row(word: u32) -> Option<&'static Row> {
    TABLE.iter().find(|r| word & r.mask == r.bits)
}

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
