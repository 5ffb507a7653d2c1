//! Conditions on the current flags, as the instructions that select on them ask for them
//! (CSEL and its family, CSET, FCSEL, ADC's carry).
//!
//! CCMP and CCMN make flags that are either a comparison's or a constant NZCV: the lifter
//! writes them as packed NZCV chosen by a select (`FlagsPacked(Select(c1, old, Nzcv(cmp),
//! K))`), which is what CpuState must hold if the flags outlive the block. But a condition
//! tested on them does not need the packing: it holds when `c1` held for the old flags and it
//! holds for the comparison's, or when `c1` did not and it holds for K (known here). So a
//! condition on such flags becomes a 0/1 value, `c1 ? cond(cmp) : cond(K)`, tested for not
//! zero: a compare and a SETcc, a compare and a CMOV, and a TEST, where packing the
//! comparison's flags (ten host instructions) and unpacking them for the condition (four) took
//! fourteen. That pays only where the packing is not needed anyway: where the flags are written
//! back at the block's exit, a side exit or a fault site (`ccmp; cset; ret`), both would be
//! made. So each rewritten op is noted with its plain condition ([`crate::ir::CondAlt`]), and
//! after the dead-code pass those whose packed flags are still live get it back
//! (`opt::restore_conds`). B.cond is left alone: in an optimised block it is a side exit,
//! which writes the flags back when taken.

use super::{cc, Ctx};
use crate::a64::Cond;
use crate::ir::{CondCode, Op, Sz, Val};

/// Nested CCMPs resolved at most this deep (a chain of them in one block is rarely longer;
/// deeper ones keep the packed form, which is as correct).
const MAX_DEPTH: u32 = 4;

impl Ctx {
    /// `if cond { a } else { b }` on the current flags.
    pub fn select_on(&mut self, c: Cond, a: Val, b: Val) -> Val {
        self.test_on(c, |c, f| Op::Select(c, f, a, b))
    }

    /// 1 if `cond` holds for the current flags, else 0.
    pub fn cond_val_on(&mut self, c: Cond) -> Val {
        self.test_on(c, Op::CondVal)
    }

    /// The op `make` makes testing `c` on the current flags, noted with its plain condition
    /// where the flags were a CCMP's.
    fn test_on(&mut self, c: Cond, make: impl FnOnce(CondCode, Val) -> Op) -> Val {
        let f = self.b.flags();
        let (rc, rf) = self.resolve_cond(cc(c), f, MAX_DEPTH);
        let v = self.b.push(make(rc, rf));
        if rf != f {
            self.b.note_cond_alt(v, cc(c), f);
        }
        v
    }

    /// `c` on flags `f`: unchanged unless `f` are a CCMP's packed flags, then `Ne` on a 0/1
    /// value that is 1 where `c` holds for them.
    fn resolve_cond(&mut self, c: CondCode, f: Val, depth: u32) -> (CondCode, Val) {
        if c.0 >= CondCode::AL.0 || depth == 0 {
            return (c, f);
        }
        let Op::FlagsPacked(sel) = *self.b.op(f) else {
            return (c, f);
        };
        let Op::Select(c1, old, packed, alt) = *self.b.op(sel) else {
            return (c, f);
        };
        let (Op::Nzcv(cmp), Some(k)) = (*self.b.op(packed), self.b.op(alt).as_const()) else {
            return (c, f);
        };
        // c for the comparison's flags (themselves a CCMP's when the comparison was one).
        let (ct, fcmp) = self.resolve_cond(c, cmp, depth - 1);
        let t = self.b.push(Op::CondVal(ct, fcmp));
        let (c1, old) = self.resolve_cond(c1, old, depth - 1);
        let holds_for_k = self.k(u64::from(c.holds((k >> 28) as u32 & 0xf)));
        let v = self.b.push(Op::Select(c1, old, t, holds_for_k));
        let nz = self.b.push(Op::FlagsLogic(Sz::S64, v));
        (cc(Cond::Ne), nz)
    }
}
