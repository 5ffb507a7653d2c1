//! Dead-code elimination: ops whose values nothing reads and that have no effect become `Nop`
//! (e.g. the result of `CMP`, flags overwritten before being read, unused register reads).

use crate::ir::{Block, Op};

/// Remove dead ops.
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
    for a in block.exit.args() {
        live[a.0 as usize] = true;
    }
    for i in (0..n).rev() {
        let op = block.ops[i];
        if op.has_effect() {
            live[i] = true;
        }
        if live[i] {
            block.each_use(i, |a| live[a.0 as usize] = true);
        } else {
            block.ops[i] = Op::Nop;
        }
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
