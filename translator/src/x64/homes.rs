//! Spilling to a guest register's home. A value the block's exit writes to guest register `n`
//! (its final value there) can be spilled to `n`'s slot in CpuState instead of the stack, from
//! the point on where CpuState may hold it: the spill is then the write-back, and the exit's
//! store of it is left out. Function epilogues are the common case: `ldp x19, x20, [sp, #16]`
//! and the like load a dozen callee-saved registers, more than the allocator has, and each one
//! was spilled to the stack, reloaded at the exit and stored (four accesses for two).
//!
//! From where on: CpuState's slot of `n` may hold the final value `v` once nothing later in the
//! block reads or describes the old one. So every op after the spill must agree: an instruction's
//! snapshots or a side exit's write-backs name `n` with `v` (or leave it out because a `SetReg`
//! of `v` has written it already), no `GetReg` of `n` reads the slot, no `SetReg` writes another
//! value there, and no pair helper (which works on CpuState's registers) runs. A fault restores
//! `n` to `v` from the slot; a side exit or the exit finds `v` there.

use super::pins;
use crate::ir::{Block, Op, Val};

/// For each value of `block`, the guest register whose CpuState slot it may be spilled to and the
/// first op position where it may (None for most). One pass over the ops, the registers as
/// bitmasks: it runs for every block that spills (a pass per register was a tenth of a quick
/// translation's time).
pub(super) fn fill(block: &Block, out: &mut Vec<Option<(u8, u32)>>) {
    out.clear();
    out.resize(block.ops.len(), None);
    // Each register's final value (pinned registers live in host registers: no slot to use).
    let mut last = [None::<Val>; 31];
    for op in &block.ops {
        if let Op::SetReg(n, v) = *op {
            if let Some(l) = last.get_mut(usize::from(n)).filter(|_| pins::host_of(n).is_none()) {
                *l = Some(v);
            }
        }
    }
    let finals = (0..31).filter(|&n| last[n].is_some()).fold(0u32, |m, n| m | 1 << n);
    if finals == 0 {
        return;
    }
    // Where each register's agreement begins, and which have had their final value written.
    let mut after = [0u32; 31];
    let mut written = 0u32;
    let mut disagree = |mask: u32, i: usize| {
        let mut m = mask;
        while m != 0 {
            after[m.trailing_zeros() as usize] = i as u32 + 1;
            m &= m - 1;
        }
    };
    for (i, op) in block.ops.iter().enumerate() {
        match *op {
            Op::SetReg(n, x) if finals & 1 << n != 0 => {
                if last[usize::from(n)] == Some(x) {
                    written |= 1 << n;
                } else {
                    written &= !(1 << n);
                    disagree(1 << n, i);
                }
            }
            Op::GetReg(n) if n < 31 => disagree(finals & 1 << n, i),
            Op::PairHelper { .. } => disagree(finals, i),
            Op::Snapshots(list) | Op::SideExit { state: list, .. } => {
                // Named with its final value, or not named once that value is written.
                let (mut named, mut agree) = (0u32, 0u32);
                for s in block.snaps(list).iter().filter(|s| s.reg < 31) {
                    named |= 1 << s.reg;
                    if last[usize::from(s.reg)] == Some(s.val) {
                        agree |= 1 << s.reg;
                    }
                }
                disagree(finals & !(agree | (written & !named)), i);
            }
            _ => {}
        }
    }
    for (n, v) in (0u8..).zip(last) {
        if let Some(v) = v.filter(|v| out[v.0 as usize].is_none()) {
            out[v.0 as usize] = Some((n, after[usize::from(n)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lift::{lift_block, LiftOptions};

    /// The guest words `words` at 0x1000, lifted as the quick tier lifts them.
    fn lifted(words: &[u32]) -> Block {
        let fetch = |a: u64| words.get(((a - 0x1000) / 4) as usize).copied();
        let mut b = lift_block(0x1000, &fetch, LiftOptions::default()).expect("lifts");
        crate::opt::optimize(&mut b);
        b
    }

    fn home_of(b: &Block, reg: u8) -> Option<u32> {
        let mut out = Vec::new();
        fill(b, &mut out);
        let v = b.ops.iter().rev().find_map(|o| match *o {
            Op::SetReg(n, v) if n == reg => Some(v),
            _ => None,
        })?;
        out[v.0 as usize].filter(|&(n, _)| n == reg).map(|(_, p)| p)
    }

    #[test]
    fn an_epilogue_load_may_go_home_after_its_instruction() {
        // ldp x19, x20, [sp, #16]; ldr x21, [sp, #32]; ret
        let b = lifted(&[0xa94153f3, 0xf94013f5, 0xd65f03c0]);
        let p = home_of(&b, 19).expect("x19's final value has a home");
        // Not before the LDP's snapshots (a fault there must find the old x19), but before the
        // second load's, which names x19 with its new value.
        let snaps: Vec<usize> = (b.ops.iter().enumerate())
            .filter(|(_, o)| matches!(o, Op::Snapshots(_)))
            .map(|(i, _)| i)
            .collect();
        assert!(p as usize > snaps[0], "{b}");
        assert!(p as usize <= snaps[1], "{b}");
    }

    #[test]
    fn a_copy_made_after_a_load_goes_home_only_after_that_load() {
        // ldp x19, x20, [x0]; ldr x13, [x1]; mov x9, x19; mov x19, #0x19
        let b = lifted(&[0xa9405013, 0xf940002d, 0xaa1303e9, 0xd2800333]);
        // x19's loaded value ends in x9: its slot may hold it only once no fault can need x9's
        // old value, after the LDR's snapshots.
        let p = home_of(&b, 9).expect("x9's final value has a home");
        let last_snaps = (b.ops.iter().enumerate())
            .filter(|(_, o)| matches!(o, Op::Snapshots(_)))
            .map(|(i, _)| i)
            .next_back()
            .expect("snapshots");
        assert!(p as usize > last_snaps, "{b}");
    }

    #[test]
    fn a_register_read_again_keeps_its_slot_until_then() {
        // mov x1, x0; add x0, x0, #1; ldr x2, [x1]
        let b = lifted(&[0xaa0003e1, 0x91000400, 0xf9400022]);
        // x1 = old x0: a copy whose home is x1's slot; x0's own slot is read (GetReg) first.
        let p0 = home_of(&b, 0).expect("x0's final value has a home");
        let get0 = b.ops.iter().position(|o| *o == Op::GetReg(0)).expect("x0 read");
        assert!(p0 as usize > get0, "{b}");
    }
}
