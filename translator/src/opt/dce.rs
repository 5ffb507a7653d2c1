//! Dead-code elimination: ops whose values nothing reads and that have no effect become `Nop`
//! (e.g. the result of `CMP`, flags overwritten before being read, unused register reads). On its
//! way back from the exit it meets each value's last use first, and notes it for the register
//! allocator ([`Block::last_use`]).

use crate::ir::{Block, Op, SnapList, Val, UNUSED};

/// Remove dead ops, and note where each value is used last.
pub fn run(block: &mut Block) {
    let n = block.ops.len();
    // On the stack for the blocks most are (an allocation per block was a third of the pass).
    const ON_STACK: usize = 256;
    let (mut small, mut big) = ([false; ON_STACK], Vec::new());
    let live: &mut [bool] = if n <= ON_STACK {
        &mut small[..n]
    } else {
        big.resize(n, false);
        &mut big
    };
    let mut last = std::mem::take(&mut block.last_use);
    last.clear();
    last.resize(n, UNUSED);
    let ops = &mut block.ops;
    for a in block.exit.args() {
        note(ops, live, &mut last, a, n as u32);
    }
    let snaps = &block.snapshots;
    let list = |l: SnapList| &snaps[l.first as usize..(l.first + l.len) as usize];
    for i in (0..n).rev() {
        let pos = i as u32;
        match ops[i] {
            // (Markers and side exits are effects, always kept.)
            Op::Snapshots(l) => {
                for s in list(l).iter().filter(|s| s.keeps_live) {
                    note(ops, live, &mut last, s.val, pos);
                }
            }
            Op::SideExit { flags, state, .. } => {
                note(ops, live, &mut last, flags, pos);
                for s in list(state) {
                    note(ops, live, &mut last, s.val, pos);
                }
            }
            op if live[i] || op.has_effect() => {
                for a in op.args() {
                    note(ops, live, &mut last, a, pos);
                }
            }
            _ => ops[i] = Op::Nop,
        }
    }
    block.last_use = last;
}

/// A use of `v` at `pos`: `v` is live, and this is its last use if none was met yet (the walk
/// goes backwards); a flags value's use is a use of the values it is computed from.
#[inline(always)]
fn note(ops: &[Op], live: &mut [bool], last: &mut [u32], v: Val, pos: u32) {
    let i = v.0 as usize;
    live[i] = true;
    match ops[i].flags_operands() {
        Some(operands) => {
            for x in operands {
                let l = &mut last[x.0 as usize];
                if *l == UNUSED {
                    *l = pos;
                }
            }
        }
        None if last[i] == UNUSED => last[i] = pos,
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{BinOp, Builder, Exit, Sz};
    #[test]
    fn removes_unused_compare_result() {
        let mut b = Builder::new();
        let x = b.reg(0);
        let one = b.konst(1);
        let _unused = b.push(Op::Bin(BinOp::Sub, Sz::S64, x, one));
        let f = b.push(Op::FlagsSub(Sz::S64, x, one));
        let mut blk = b.finish(
            0x1000,
            2,
            Exit::Branch {
                cond: crate::ir::CondCode(0),
                flags: f,
                taken: 0,
                not_taken: 4,
            },
            true,
        );
        run(&mut blk);
        assert_eq!(blk.ops[2], Op::Nop);
        assert!(matches!(blk.ops[3], Op::FlagsSub(..)));
    }
}
