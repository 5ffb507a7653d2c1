//! IR optimisation passes and the pipeline that fixes their order.

mod dce;

use crate::ir::{Block, Op};

/// Run the pass pipeline on a block.
pub fn optimize(block: &mut Block) {
    dce::run(block);
    if !block.cond_alts.is_empty() && restore_conds(block) {
        // The 0/1 values made for the conditions put back are dead now.
        dce::run(block);
    }
}

/// Give the ops the lifter made test a 0/1 value instead of a CCMP's packed flags
/// (`lift/cond.rs`) their plain condition back where those flags are live after the dead-code
/// pass (written back at the exit, at a side exit or a fault site): the packing is made then
/// anyway, and testing it is cheaper than the 0/1 value. Whether any was put back.
fn restore_conds(block: &mut Block) -> bool {
    let mut restored = false;
    for alt in std::mem::take(&mut block.cond_alts) {
        if matches!(block.op(alt.flags), Op::Nop) {
            continue;
        }
        match &mut block.ops[alt.at as usize] {
            Op::Select(c, f, ..) | Op::CondVal(c, f) => {
                (*c, *f) = (alt.cond, alt.flags);
                restored = true;
            }
            // Dead itself (the lifter notes only those two).
            _ => {}
        }
    }
    restored
}
