//! Dead-code elimination: ops whose values nothing reads and that have no effect become `Nop`
//! (e.g. the result of `CMP`, flags overwritten before being read, unused register reads). On its
//! way back from the exit it meets each value's last use first, and notes it for the register
//! allocator ([`Block::last_use`]).

use crate::ir::{Block, Op, Val, UNUSED};

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
    for a in block.exit.args() {
        note(&block.ops, live, &mut last, a, n as u32);
    }
    for i in (0..n).rev() {
        if live[i] || block.ops[i].has_effect() {
            block.each_use(i, |a| note(&block.ops, live, &mut last, a, i as u32));
        } else {
            block.ops[i] = Op::Nop;
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
