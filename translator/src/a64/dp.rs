//! What the data-processing rows of `instructions.spec` build from their fields (Arm ARM
//! C4.1.92 "Data Processing -- Immediate" and C4.1.95 "Data Processing -- Register"): the typed
//! `DpInst`, and the field combinations the Arm ARM leaves unallocated that a row's pattern and
//! `when` cannot say.

use super::fields::*;
use super::inst::*;

/// ADD, ADDS, SUB, SUBS (immediate): `imm12`, shifted left by 12 when `sh` is set.
pub(super) fn add_sub_imm(sub: bool, setflags: bool, sf: u32, sh: u32, imm12: u32, rd: Reg, rn: Reg) -> Inst {
    Inst::Dp(DpInst::AddSubImm {
        sub,
        setflags,
        w: sf_width(sf),
        rd,
        rn,
        imm: (imm12 as u64) << (12 * sh),
    })
}

/// AND, ORR, EOR, ANDS (immediate): the bitmask immediate `DecodeBitMasks(N, imms, immr)`;
/// N = 1 in the 32-bit form and the reserved masks are unallocated.
pub(super) fn logical_imm(op: LogicOp, sf: u32, n: u32, immr: u32, imms: u32, rd: Reg, rn: Reg) -> Inst {
    let w = sf_width(sf);
    if sf == 0 && n == 1 {
        return Inst::Undefined;
    }
    match decode_bit_masks(n == 1, imms, immr, w.bits()) {
        Some(imm) => Inst::Dp(DpInst::LogicalImm { op, w, rd, rn, imm }),
        None => Inst::Undefined,
    }
}

/// MOVN, MOVZ, MOVK: `imm16` at halfword `hw`.
pub(super) fn move_wide(op: MovOp, sf: u32, hw: u32, imm16: u32, rd: Reg) -> Inst {
    Inst::Dp(DpInst::MoveWide {
        op,
        w: sf_width(sf),
        rd,
        imm16: imm16 as u16,
        shift: (hw * 16) as u8,
    })
}

/// SBFM, BFM, UBFM.
pub(super) fn bitfield(op: BfmOp, sf: u32, immr: u32, imms: u32, rd: Reg, rn: Reg) -> Inst {
    Inst::Dp(DpInst::Bitfield {
        op,
        w: sf_width(sf),
        rd,
        rn,
        immr: immr as u8,
        imms: imms as u8,
    })
}

/// The logical (shifted register) forms; `invert` for BIC, ORN, EON, BICS.
pub(super) fn logical_shifted(
    op: LogicOp,
    invert: bool,
    sf: u32,
    shift: u32,
    imm6: u32,
    [rd, rn, rm]: [Reg; 3],
) -> Inst {
    Inst::Dp(DpInst::LogicalShifted {
        op,
        invert,
        w: sf_width(sf),
        rd,
        rn,
        rm,
        shift: shift_type(shift),
        amount: imm6 as u8,
    })
}

/// ADD, ADDS, SUB, SUBS (shifted register).
pub(super) fn add_sub_shifted(
    sub: bool,
    setflags: bool,
    sf: u32,
    shift: u32,
    imm6: u32,
    [rd, rn, rm]: [Reg; 3],
) -> Inst {
    Inst::Dp(DpInst::AddSubShifted {
        sub,
        setflags,
        w: sf_width(sf),
        rd,
        rn,
        rm,
        shift: shift_type(shift),
        amount: imm6 as u8,
    })
}

/// ADD, ADDS, SUB, SUBS (extended register).
pub(super) fn add_sub_extended(
    sub: bool,
    setflags: bool,
    sf: u32,
    option: u32,
    imm3: u32,
    [rd, rn, rm]: [Reg; 3],
) -> Inst {
    Inst::Dp(DpInst::AddSubExtended {
        sub,
        setflags,
        w: sf_width(sf),
        rd,
        rn,
        rm,
        extend: extend_type(option),
        amount: imm3 as u8,
    })
}

/// ADC, ADCS, SBC, SBCS.
pub(super) fn add_sub_carry(sub: bool, setflags: bool, sf: u32, [rd, rn, rm]: [Reg; 3]) -> Inst {
    Inst::Dp(DpInst::AddSubCarry {
        sub,
        setflags,
        w: sf_width(sf),
        rd,
        rn,
        rm,
    })
}

/// CCMN, CCMP (register and immediate).
pub(super) fn cond_compare(sub: bool, sf: u32, cond: u32, rn: Reg, operand: CcmpOperand, nzcv: u32) -> Inst {
    Inst::Dp(DpInst::CondCompare {
        negate: !sub,
        w: sf_width(sf),
        cond: Cond::from_bits(cond),
        rn,
        operand,
        nzcv: nzcv as u8,
    })
}

/// CSEL, CSINC, CSINV, CSNEG.
pub(super) fn cond_select(op: CselOp, sf: u32, cond: u32, [rd, rn, rm]: [Reg; 3]) -> Inst {
    Inst::Dp(DpInst::CondSelect {
        op,
        w: sf_width(sf),
        cond: Cond::from_bits(cond),
        rd,
        rn,
        rm,
    })
}

/// RBIT, REV16, REV, REV32, CLZ, CLS.
pub(super) fn dp1(op: Dp1Op, sf: u32, rd: Reg, rn: Reg) -> Inst {
    Inst::Dp(DpInst::Dp1 {
        op,
        w: sf_width(sf),
        rd,
        rn,
    })
}

/// UDIV, SDIV, LSLV, LSRV, ASRV, RORV.
pub(super) fn dp2(op: Dp2Op, sf: u32, [rd, rn, rm]: [Reg; 3]) -> Inst {
    Inst::Dp(DpInst::Dp2 {
        op,
        w: sf_width(sf),
        rd,
        rn,
        rm,
    })
}

/// CRC32B/H/W/X and CRC32CB/CH/CW/CX: `sz` is log2 of the data's bytes.
pub(super) fn crc32(castagnoli: bool, sz: u32, [rd, rn, rm]: [Reg; 3]) -> Inst {
    Inst::Dp(DpInst::Crc32 {
        castagnoli,
        size: MemSize::from_log2(sz),
        rd,
        rn,
        rm,
    })
}

/// MADD, MSUB and the long and high multiplies.
pub(super) fn dp3(op: Dp3Op, sf: u32, [rd, rn, rm, ra]: [Reg; 4]) -> Inst {
    Inst::Dp(DpInst::Dp3 {
        op,
        w: sf_width(sf),
        rd,
        rn,
        rm,
        ra,
    })
}
