//! IR optimisation passes and the pipeline that fixes their order.

mod dce;

use crate::ir::Block;

/// Run the pass pipeline on a block.
pub fn optimize(block: &mut Block) {
    dce::run(block);
}
