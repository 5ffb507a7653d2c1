//! What the branch, exception-generating and system rows of `instructions.spec` build from their
//! fields (Arm ARM C4.1.93): TBZ's bit number, and the system registers MRS and MSR name.

use super::fields::*;
use super::inst::*;

/// TBZ, TBNZ: bit `bitno` of `rt`, `imm14` words away.
pub(super) fn tbz(nonzero: bool, bitno: u32, imm14: u32, rt: Reg) -> Inst {
    Inst::Branch(BranchInst::Tbz {
        nonzero,
        rt,
        bit: bitno as u8,
        offset: sext(imm14, 14) << 2,
    })
}

/// The system register MRS and MSR (register) name (op0 is 2 + `o0`), if EL0 may access it here.
pub(super) fn sysreg(o0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> Option<SysReg> {
    let op0 = 2 + o0;
    Some(match (op0, op1, crn, crm, op2) {
        (3, 3, 4, 2, 0) => SysReg::Nzcv,
        (3, 3, 4, 4, 0) => SysReg::Fpcr,
        (3, 3, 4, 4, 1) => SysReg::Fpsr,
        (3, 3, 13, 0, 2) => SysReg::TpidrEl0,
        (3, 3, 4, 2, 5) => SysReg::Dit,
        (3, 3, 4, 2, 6) => SysReg::Ssbs,
        (3, 3, 2, 4, 0) => SysReg::Rndr { reseed: false },
        (3, 3, 2, 4, 1) => SysReg::Rndr { reseed: true },
        (3, 3, 13, 0, 3) => SysReg::TpidrroEl0,
        (3, 3, 14, 0, 2) => SysReg::CntvctEl0,
        (3, 3, 14, 0, 0) => SysReg::CntfrqEl0,
        (3, 3, 0, 0, 7) => SysReg::DczidEl0,
        (3, 3, 0, 0, 1) => SysReg::CtrEl0,
        (3, 0, 0, 0, 0) => SysReg::MidrEl1,
        (3, 0, 0, 0, 5) => SysReg::MpidrEl1,
        (3, 0, 0, 0, 6) => SysReg::RevidrEl1,
        (3, 0, 0, 4..=7, _) => SysReg::IdReg((o0 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2) as u16),
        _ => return None,
    })
}

/// MRS: any register [`sysreg`] knows.
pub(super) fn mrs(reg: Option<SysReg>, rt: Reg) -> Inst {
    match reg {
        Some(reg) => Inst::System(SysInst::Mrs { reg, rt }),
        None => Inst::Undefined,
    }
}

/// MSR (register): the registers EL0 may write.
pub(super) fn msr(reg: Option<SysReg>, rt: Reg) -> Inst {
    match reg {
        Some(reg @ (SysReg::Nzcv | SysReg::Fpcr | SysReg::Fpsr | SysReg::TpidrEl0 | SysReg::Dit | SysReg::Ssbs)) => {
            Inst::System(SysInst::Msr { reg, rt })
        }
        _ => Inst::Undefined,
    }
}
