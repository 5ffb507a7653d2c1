//! Decoders of the data-processing groups: immediate (C4.1.92) and register (C4.1.95).

use super::fields::*;
use super::inst::*;

pub(super) fn add_sub_imm(w: u32) -> Inst {
    let setflags = bit(w, 29);
    let shift = if bit(w, 22) { 12 } else { 0 };
    Inst::Dp(DpInst::AddSubImm {
        sub: bit(w, 30),
        setflags,
        w: width(w),
        rd: if setflags { rzr(w, 0) } else { rsp(w, 0) },
        rn: rsp(w, 5),
        imm: (bits(w, 21, 10) as u64) << shift,
    })
}

fn logic_op(opc: u32) -> LogicOp {
    [LogicOp::And, LogicOp::Orr, LogicOp::Eor, LogicOp::Ands][opc as usize & 3]
}

pub(super) fn logical_imm(w: u32) -> Inst {
    let wd = width(w);
    let n = bit(w, 22);
    if wd == Width::W32 && n {
        return Inst::Undefined;
    }
    let Some(imm) = decode_bit_masks(n, bits(w, 15, 10), bits(w, 21, 16), wd.bits()) else {
        return Inst::Undefined;
    };
    let op = logic_op(bits(w, 30, 29));
    Inst::Dp(DpInst::LogicalImm {
        op,
        w: wd,
        rd: if op == LogicOp::Ands { rzr(w, 0) } else { rsp(w, 0) },
        rn: rzr(w, 5),
        imm,
    })
}

pub(super) fn move_wide(w: u32) -> Inst {
    let wd = width(w);
    let hw = bits(w, 22, 21);
    let op = match bits(w, 30, 29) {
        0 => MovOp::Movn,
        2 => MovOp::Movz,
        3 => MovOp::Movk,
        _ => return Inst::Undefined,
    };
    if wd == Width::W32 && hw >= 2 {
        return Inst::Undefined;
    }
    Inst::Dp(DpInst::MoveWide {
        op,
        w: wd,
        rd: rzr(w, 0),
        imm16: bits(w, 20, 5) as u16,
        shift: (hw * 16) as u8,
    })
}

pub(super) fn adr(w: u32) -> Inst {
    let imm = (bits(w, 23, 5) << 2) | bits(w, 30, 29);
    let page = bit(w, 31);
    let offset = sext(imm, 21);
    Inst::Dp(DpInst::Adr {
        rd: rzr(w, 0),
        page,
        offset: if page { offset << 12 } else { offset },
    })
}

pub(super) fn bitfield(w: u32) -> Inst {
    let wd = width(w);
    let op = match bits(w, 30, 29) {
        0 => BfmOp::Sbfm,
        1 => BfmOp::Bfm,
        2 => BfmOp::Ubfm,
        _ => return Inst::Undefined,
    };
    let (immr, imms) = (bits(w, 21, 16), bits(w, 15, 10));
    if bit(w, 22) != (wd == Width::W64) || (wd == Width::W32 && (immr >= 32 || imms >= 32)) {
        return Inst::Undefined;
    }
    Inst::Dp(DpInst::Bitfield {
        op,
        w: wd,
        rd: rzr(w, 0),
        rn: rzr(w, 5),
        immr: immr as u8,
        imms: imms as u8,
    })
}

pub(super) fn extr(w: u32) -> Inst {
    let wd = width(w);
    let lsb = bits(w, 15, 10);
    if bits(w, 30, 29) != 0 || bit(w, 21) || bit(w, 22) != (wd == Width::W64) || (wd == Width::W32 && lsb >= 32) {
        return Inst::Undefined;
    }
    Inst::Dp(DpInst::Extr {
        w: wd,
        rd: rzr(w, 0),
        rn: rzr(w, 5),
        rm: rzr(w, 16),
        lsb: lsb as u8,
    })
}

pub(super) fn logical_shifted(w: u32) -> Inst {
    let wd = width(w);
    let amount = bits(w, 15, 10);
    if wd == Width::W32 && amount >= 32 {
        return Inst::Undefined;
    }
    Inst::Dp(DpInst::LogicalShifted {
        op: logic_op(bits(w, 30, 29)),
        invert: bit(w, 21),
        w: wd,
        rd: rzr(w, 0),
        rn: rzr(w, 5),
        rm: rzr(w, 16),
        shift: shift_type(bits(w, 23, 22)),
        amount: amount as u8,
    })
}

pub(super) fn add_sub_shifted(w: u32) -> Inst {
    let wd = width(w);
    let amount = bits(w, 15, 10);
    let shift = bits(w, 23, 22);
    if shift == 3 || (wd == Width::W32 && amount >= 32) {
        return Inst::Undefined;
    }
    Inst::Dp(DpInst::AddSubShifted {
        sub: bit(w, 30),
        setflags: bit(w, 29),
        w: wd,
        rd: rzr(w, 0),
        rn: rzr(w, 5),
        rm: rzr(w, 16),
        shift: shift_type(shift),
        amount: amount as u8,
    })
}

pub(super) fn add_sub_extended(w: u32) -> Inst {
    let amount = bits(w, 12, 10);
    if amount > 4 || bits(w, 23, 22) != 0 {
        return Inst::Undefined;
    }
    let setflags = bit(w, 29);
    Inst::Dp(DpInst::AddSubExtended {
        sub: bit(w, 30),
        setflags,
        w: width(w),
        rd: if setflags { rzr(w, 0) } else { rsp(w, 0) },
        rn: rsp(w, 5),
        rm: rzr(w, 16),
        extend: extend_type(bits(w, 15, 13)),
        amount: amount as u8,
    })
}

pub(super) fn add_sub_carry(w: u32) -> Inst {
    Inst::Dp(DpInst::AddSubCarry {
        sub: bit(w, 30),
        setflags: bit(w, 29),
        w: width(w),
        rd: rzr(w, 0),
        rn: rzr(w, 5),
        rm: rzr(w, 16),
    })
}

pub(super) fn cond_compare(w: u32) -> Inst {
    if bit(w, 10) || bit(w, 4) {
        return Inst::Undefined;
    }
    let operand = if bit(w, 11) {
        CcmpOperand::Imm(bits(w, 20, 16) as u64)
    } else {
        CcmpOperand::Reg(rzr(w, 16))
    };
    Inst::Dp(DpInst::CondCompare {
        negate: !bit(w, 30),
        w: width(w),
        cond: Cond::from_bits(bits(w, 15, 12)),
        rn: rzr(w, 5),
        operand,
        nzcv: bits(w, 3, 0) as u8,
    })
}

pub(super) fn cond_select(w: u32) -> Inst {
    if bit(w, 11) {
        return Inst::Undefined;
    }
    let op = match (bit(w, 30), bit(w, 10)) {
        (false, false) => CselOp::Csel,
        (false, true) => CselOp::Csinc,
        (true, false) => CselOp::Csinv,
        (true, true) => CselOp::Csneg,
    };
    Inst::Dp(DpInst::CondSelect {
        op,
        w: width(w),
        cond: Cond::from_bits(bits(w, 15, 12)),
        rd: rzr(w, 0),
        rn: rzr(w, 5),
        rm: rzr(w, 16),
    })
}

pub(super) fn dp1(w: u32) -> Inst {
    let wd = width(w);
    let op = match (bits(w, 15, 10), wd) {
        (0, _) => Dp1Op::Rbit,
        (1, _) => Dp1Op::Rev16,
        (2, Width::W32) => Dp1Op::Rev,
        (2, Width::W64) => Dp1Op::Rev32,
        (3, Width::W64) => Dp1Op::Rev,
        (4, _) => Dp1Op::Clz,
        (5, _) => Dp1Op::Cls,
        _ => return Inst::Undefined,
    };
    Inst::Dp(DpInst::Dp1 {
        op,
        w: wd,
        rd: rzr(w, 0),
        rn: rzr(w, 5),
    })
}

pub(super) fn dp2(w: u32) -> Inst {
    if bits(w, 15, 13) == 0b010 {
        // CRC32: sf must be set exactly for the X form.
        let sz = bits(w, 11, 10);
        if bit(w, 31) != (sz == 3) {
            return Inst::Undefined;
        }
        return Inst::Dp(DpInst::Crc32 {
            castagnoli: bit(w, 12),
            size: MemSize::from_log2(sz),
            rd: rzr(w, 0),
            rn: rzr(w, 5),
            rm: rzr(w, 16),
        });
    }
    let op = match bits(w, 15, 10) {
        2 => Dp2Op::Udiv,
        3 => Dp2Op::Sdiv,
        8 => Dp2Op::Lslv,
        9 => Dp2Op::Lsrv,
        10 => Dp2Op::Asrv,
        11 => Dp2Op::Rorv,
        _ => return Inst::Undefined,
    };
    Inst::Dp(DpInst::Dp2 {
        op,
        w: width(w),
        rd: rzr(w, 0),
        rn: rzr(w, 5),
        rm: rzr(w, 16),
    })
}

pub(super) fn dp3(w: u32) -> Inst {
    let wd = width(w);
    let op = match (bits(w, 23, 21), bit(w, 15)) {
        (0, false) => Dp3Op::Madd,
        (0, true) => Dp3Op::Msub,
        (1, false) => Dp3Op::Smaddl,
        (1, true) => Dp3Op::Smsubl,
        (5, false) => Dp3Op::Umaddl,
        (5, true) => Dp3Op::Umsubl,
        (2, false) => Dp3Op::Smulh,
        (6, false) => Dp3Op::Umulh,
        _ => return Inst::Undefined,
    };
    if bits(w, 30, 29) != 0 || (wd == Width::W32 && !matches!(op, Dp3Op::Madd | Dp3Op::Msub)) {
        return Inst::Undefined;
    }
    Inst::Dp(DpInst::Dp3 {
        op,
        w: wd,
        rd: rzr(w, 0),
        rn: rzr(w, 5),
        rm: rzr(w, 16),
        ra: rzr(w, 10),
    })
}

/// RMIF.
pub(super) fn rmif(w: u32) -> Inst {
    Inst::Dp(DpInst::FlagM(FlagMOp::Rmif {
        rn: rzr(w, 5),
        shift: bits(w, 20, 15) as u8,
        mask: bits(w, 3, 0) as u8,
    }))
}

/// SETF8, SETF16.
pub(super) fn setf(w: u32) -> Inst {
    Inst::Dp(DpInst::FlagM(FlagMOp::Setf {
        sixteen: bit(w, 14),
        rn: rzr(w, 5),
    }))
}

/// CFINV, XAFLAG, AXFLAG (MSR immediate forms with Rt = 31).
pub(super) fn flagm_pstate(w: u32) -> Inst {
    match bits(w, 7, 5) {
        0 => Inst::Dp(DpInst::FlagM(FlagMOp::Cfinv)),
        1 => Inst::Dp(DpInst::FlagM(FlagMOp::Xaflag)),
        2 => Inst::Dp(DpInst::FlagM(FlagMOp::Axflag)),
        _ => Inst::Undefined,
    }
}
