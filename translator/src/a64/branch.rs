//! Decoders of branches, exception generation and system instructions (Arm ARM C4.1.93).

use super::fields::*;
use super::inst::*;

pub(super) fn b(w: u32) -> Inst {
    Inst::Branch(BranchInst::B {
        link: bit(w, 31),
        offset: sext(bits(w, 25, 0), 26) << 2,
    })
}

pub(super) fn b_cond(w: u32) -> Inst {
    Inst::Branch(BranchInst::BCond {
        cond: Cond::from_bits(bits(w, 3, 0)),
        offset: sext(bits(w, 23, 5), 19) << 2,
    })
}

pub(super) fn cbz(w: u32) -> Inst {
    Inst::Branch(BranchInst::Cbz {
        nonzero: bit(w, 24),
        w: width(w),
        rt: rzr(w, 0),
        offset: sext(bits(w, 23, 5), 19) << 2,
    })
}

pub(super) fn tbz(w: u32) -> Inst {
    let bitno = (bits(w, 31, 31) << 5) | bits(w, 23, 19);
    Inst::Branch(BranchInst::Tbz {
        nonzero: bit(w, 24),
        rt: rzr(w, 0),
        bit: bitno as u8,
        offset: sext(bits(w, 18, 5), 14) << 2,
    })
}

pub(super) fn branch_reg(w: u32) -> Inst {
    let op = match bits(w, 24, 21) {
        0 => BrOp::Br,
        1 => BrOp::Blr,
        2 => BrOp::Ret,
        _ => return Inst::Undefined,
    };
    Inst::Branch(BranchInst::BranchReg { op, rn: rzr(w, 5) })
}

pub(super) fn svc(w: u32) -> Inst {
    Inst::Branch(BranchInst::Svc {
        imm: bits(w, 20, 5) as u16,
    })
}

pub(super) fn brk(w: u32) -> Inst {
    Inst::Branch(BranchInst::Brk {
        imm: bits(w, 20, 5) as u16,
    })
}

pub(super) fn hint(_w: u32) -> Inst {
    Inst::System(SysInst::Hint)
}

pub(super) fn barrier(w: u32) -> Inst {
    let crm = bits(w, 11, 8) as u8;
    match bits(w, 7, 5) {
        2 => Inst::System(SysInst::Barrier(Barrier::Clrex)),
        4 => Inst::System(SysInst::Barrier(Barrier::Dsb(crm))),
        5 => Inst::System(SysInst::Barrier(Barrier::Dmb(crm))),
        6 => Inst::System(SysInst::Barrier(Barrier::Isb)),
        // SB is a speculation barrier: no effect on results. Other CRm values are unallocated.
        7 if crm == 0 => Inst::System(SysInst::Hint),
        _ => Inst::Undefined,
    }
}

fn sysreg(w: u32) -> Option<SysReg> {
    let op0 = 2 + bits(w, 19, 19);
    let (op1, crn, crm, op2) = (bits(w, 18, 16), bits(w, 15, 12), bits(w, 11, 8), bits(w, 7, 5));
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
        (3, 0, 0, 4..=7, _) => SysReg::IdReg(bits(w, 19, 5) as u16),
        _ => return None,
    })
}

pub(super) fn mrs_msr(w: u32) -> Inst {
    let Some(reg) = sysreg(w) else {
        return Inst::Undefined;
    };
    let rt = rzr(w, 0);
    if bit(w, 21) {
        Inst::System(SysInst::Mrs { reg, rt })
    } else {
        match reg {
            SysReg::Nzcv | SysReg::Fpcr | SysReg::Fpsr | SysReg::TpidrEl0 | SysReg::Dit | SysReg::Ssbs => {
                Inst::System(SysInst::Msr { reg, rt })
            }
            _ => Inst::Undefined,
        }
    }
}

/// MSR (immediate) outside the flag-manipulation forms: the PSTATE fields EL0 may write, SSBS
/// (op1 011, op2 001) and DIT (op1 011, op2 010), from CRm<0>; the others (PAN, UAO, SPSel, DAIF,
/// TCO, ...) are privileged or not implemented.
pub(super) fn msr_imm(w: u32) -> Inst {
    let on = bit(w, 8);
    match (bits(w, 18, 16), bits(w, 7, 5)) {
        (3, 1) => Inst::System(SysInst::SetPstate { reg: SysReg::Ssbs, on }),
        (3, 2) => Inst::System(SysInst::SetPstate { reg: SysReg::Dit, on }),
        _ => Inst::Undefined,
    }
}

pub(super) fn sys(w: u32) -> Inst {
    let op = match (bits(w, 18, 16), bits(w, 15, 12), bits(w, 11, 8), bits(w, 7, 5)) {
        (3, 7, 4, 1) => SysOp::DcZva,
        (3, 7, 11, 1) => SysOp::DcCvau,
        (3, 7, 10, 1) => SysOp::DcCvac,
        (3, 7, 14, 1) => SysOp::DcCivac,
        // DC CVAP (FEAT_DPB) is not advertised (no HWCAP_DCPOP), so it is unallocated here.
        (3, 7, 5, 1) => SysOp::IcIvau,
        _ => return Inst::Undefined,
    };
    Inst::System(SysInst::Sys { op, rt: rzr(w, 0) })
}
