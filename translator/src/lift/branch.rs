//! Lifting of branches and exception generation (Arm ARM C6: B, BL, B.cond, CBZ/CBNZ,
//! TBZ/TBNZ, BR, BLR, RET, SVC, BRK). Every one of them ends the block.

use super::{cc, sz, Ctx};
use crate::a64::*;
use crate::ir::{BinOp, CondCode, Exit, Op, Sz, Val};

/// CBZ/CBNZ/TBZ/TBNZ: branch on whether `v` is zero (`nonzero` inverts), without touching NZCV.
fn zero_test(cx: &mut Ctx, nonzero: bool, s: Sz, v: Val, taken: u64, not_taken: u64) -> Exit {
    let flags = cx.b.push(Op::FlagsLogic(s, v));
    let cond = CondCode(if nonzero { Cond::Ne } else { Cond::Eq } as u8);
    Exit::Branch {
        cond,
        flags,
        taken,
        not_taken,
    }
}

/// Lift one branch; returns the block's exit.
pub(super) fn lift(cx: &mut Ctx, inst: BranchInst) -> Exit {
    let pc = cx.pc;
    let next = pc.wrapping_add(4);
    match inst {
        BranchInst::B { link, offset } => {
            if link {
                let r = cx.k(next);
                cx.b.set_reg(30, r);
            }
            Exit::Jump(pc.wrapping_add(offset as u64))
        }
        BranchInst::BCond { cond, offset } => {
            let taken = pc.wrapping_add(offset as u64);
            if matches!(cond, Cond::Al | Cond::Nv) {
                return Exit::Jump(taken);
            }
            let flags = cx.b.flags();
            Exit::Branch {
                cond: cc(cond),
                flags,
                taken,
                not_taken: next,
            }
        }
        BranchInst::Cbz { nonzero, w, rt, offset } => {
            let v = cx.read(rt);
            zero_test(cx, nonzero, sz(w), v, pc.wrapping_add(offset as u64), next)
        }
        BranchInst::Tbz {
            nonzero,
            rt,
            bit,
            offset,
        } => {
            let v = cx.read(rt);
            let m = cx.k(1u64 << bit);
            let t = cx.bin(BinOp::And, Sz::S64, v, m);
            zero_test(cx, nonzero, Sz::S64, t, pc.wrapping_add(offset as u64), next)
        }
        BranchInst::BranchReg { op, rn } => {
            let target = cx.read(rn);
            if op == BrOp::Blr {
                let r = cx.k(next);
                cx.b.set_reg(30, r);
            }
            // A target the block computed (a followed BL's callee returning within the block,
            // ADR then BR) is a direct branch: chained, no jump-cache lookup.
            match *cx.b.op(target) {
                Op::Const(t) => Exit::Jump(t),
                _ => Exit::Indirect(target),
            }
        }
        BranchInst::Svc { imm } => Exit::Svc { imm, next },
        BranchInst::Brk { imm } => Exit::Brk { imm, pc },
    }
}
