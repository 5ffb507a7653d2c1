//! Lifting of hints, barriers, system-register moves and cache maintenance (Arm ARM C5, C6:
//! MRS, MSR, DMB, DSB, ISB, CLREX, DC ZVA, IC IVAU).

use super::Ctx;
use crate::a64::*;
use crate::helpers::COUNTER_HZ;
use crate::ir::{BinOp, Exit, FenceKind, Op, SysField, Sz, Val};

/// MIDR_EL1 reported to the guest: an Arm Cortex-A72 r0p3, a plain ARMv8.0 core.
pub const MIDR: u64 = 0x410f_d083;
/// CTR_EL0: 64-byte cache lines (IminLine = DminLine = 4), PIPT I-cache, as the A72 reports.
pub const CTR: u64 = 0x8444_c004;
/// DCZID_EL0: DC ZVA allowed, 64-byte blocks (BS = log2(16 words)).
pub const DCZID: u64 = 4;

/// FPCR bits that hold what is written: AHP, DN, FZ, RMode, Stride, FZ16, Len (26:16). The
/// trap-enable bits read as zero, as on cores without FP exception traps.
pub const FPCR_WRITABLE: u64 = 0x07ff_0000;
/// FPSR bits that hold what is written: N, Z, C, V, QC (31:27), IDC and the cumulative
/// exception flags IXC, UFC, OFC, DZC, IOC.
pub const FPSR_WRITABLE: u64 = 0xf800_009f;

/// Where `reg` (DIT or SSBS) is in PSTATE as SPSR and MRS show it.
fn pstate_bit(reg: SysReg) -> u64 {
    match reg {
        SysReg::Ssbs => 1 << 12,
        _ => 1 << 24,
    }
}

/// PSTATE.`reg` (DIT or SSBS) = the bit of `v` at its position.
fn set_pstate(cx: &mut Ctx, reg: SysReg, v: Val) {
    let bit = pstate_bit(reg);
    let old = cx.b.push(Op::GetSys(SysField::Pstate));
    let (keep, take) = (cx.k(!bit), cx.k(bit));
    let old = cx.bin(BinOp::And, Sz::S64, old, keep);
    let new = cx.bin(BinOp::And, Sz::S64, v, take);
    let p = cx.bin(BinOp::Or, Sz::S64, old, new);
    cx.b.push(Op::SetSys(SysField::Pstate, p));
}

/// Lift one system instruction; `Some(exit)` if it ends the block.
pub(super) fn lift(cx: &mut Ctx, inst: SysInst) -> Option<Exit> {
    match inst {
        SysInst::Hint => {}
        SysInst::SetPstate { reg, on } => {
            let v = cx.k(if on { pstate_bit(reg) } else { 0 });
            set_pstate(cx, reg, v);
        }
        SysInst::Barrier(b) => {
            match b {
                // x86-64 keeps every order except store->load; only barriers ordering earlier
                // stores before later loads (CRm<1:0> == 0b11: full, reads and writes) need
                // mfence.
                Barrier::Dmb(crm) | Barrier::Dsb(crm) if crm & 3 == 3 => {
                    cx.b.push(Op::Fence(FenceKind::StoreLoad));
                }
                Barrier::Dmb(_) | Barrier::Dsb(_) | Barrier::Isb => {}
                Barrier::Clrex => {
                    cx.b.push(Op::ClearExcl);
                }
            }
            // Where code IC IVAU named since the last barrier is dropped (`Op::NoteInval`).
            if matches!(b, Barrier::Dsb(_) | Barrier::Isb) {
                return Some(Exit::Barrier {
                    next: cx.pc.wrapping_add(4),
                });
            }
        }
        SysInst::Mrs { reg, rt } => {
            let v = match reg {
                SysReg::Nzcv => {
                    let f = cx.b.flags();
                    cx.b.push(Op::Nzcv(f))
                }
                SysReg::Fpcr => cx.b.push(Op::GetSys(SysField::Fpcr)),
                SysReg::Fpsr => cx.b.push(Op::GetSys(SysField::Fpsr)),
                SysReg::TpidrEl0 => cx.b.push(Op::GetSys(SysField::Tpidr)),
                SysReg::CntvctEl0 => cx.b.push(Op::ReadCounter),
                SysReg::Dit | SysReg::Ssbs => {
                    let p = cx.b.push(Op::GetSys(SysField::Pstate));
                    let m = cx.k(pstate_bit(reg));
                    cx.bin(BinOp::And, Sz::S64, p, m)
                }
                // The host's generator does not fail: NZCV = 0000 (success) every time. A reseed
                // (RNDRRS) is the same read: the source reseeds itself.
                SysReg::Rndr { .. } => {
                    let v = cx.b.push(Op::Random);
                    let zero = cx.k(0);
                    let f = cx.b.push(Op::FlagsPacked(zero));
                    cx.b.set_flags(f);
                    v
                }
                SysReg::CntfrqEl0 => cx.k(COUNTER_HZ),
                SysReg::DczidEl0 => cx.k(DCZID),
                SysReg::CtrEl0 => cx.k(CTR),
                SysReg::MidrEl1 => cx.k(MIDR),
                SysReg::MpidrEl1 => cx.k(0x8000_0000),
                SysReg::TpidrroEl0 | SysReg::RevidrEl1 | SysReg::IdReg(_) => cx.k(0),
            };
            cx.write(rt, Width::W64, v);
        }
        SysInst::Msr { reg, rt } => {
            let v = cx.read(rt);
            match reg {
                SysReg::Nzcv => {
                    let f = cx.b.push(Op::FlagsPacked(v));
                    cx.b.set_flags(f);
                }
                // Only the implemented fields are writable; the rest read as zero.
                // The block ends: code made without checks of FPCR.FZ must not run on once FZ
                // is set (`Exit::Sync`).
                SysReg::Fpcr => {
                    let m = cx.k(FPCR_WRITABLE);
                    let v = cx.bin(BinOp::And, Sz::S64, v, m);
                    cx.b.push(Op::SetSys(SysField::Fpcr, v));
                    return Some(Exit::Sync {
                        next: cx.pc.wrapping_add(4),
                    });
                }
                SysReg::Fpsr => {
                    let m = cx.k(FPSR_WRITABLE);
                    let v = cx.bin(BinOp::And, Sz::S64, v, m);
                    cx.b.push(Op::SetSys(SysField::Fpsr, v));
                }
                SysReg::TpidrEl0 => {
                    cx.b.push(Op::SetSys(SysField::Tpidr, v));
                }
                SysReg::Dit | SysReg::Ssbs => set_pstate(cx, reg, v),
                _ => return Some(Exit::Undefined { pc: cx.pc }),
            }
        }
        SysInst::Sys { op, rt } => match op {
            SysOp::DcZva => {
                let a = cx.read(rt);
                cx.b.push(Op::ZeroBlock(a));
            }
            SysOp::IcIvau => {
                let addr = cx.read(rt);
                cx.b.push(Op::NoteInval(addr));
            }
            // Data-cache cleaning has no visible effect on a coherent host.
            SysOp::DcCvau | SysOp::DcCvac | SysOp::DcCivac => {}
        },
    }
    None
}
