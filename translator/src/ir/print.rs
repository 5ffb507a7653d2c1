//! Text form of the IR, for `-d ir`, code-quality snapshots and test failure messages.

use super::*;
use std::fmt;

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "block {:#x} ({} guest insns):", self.guest_pc, self.guest_len)?;
        for (i, op) in self.ops.iter().enumerate() {
            if matches!(op, Op::Nop) {
                continue;
            }
            match op.ty() {
                Ty::None => writeln!(f, "        {:?}", op)?,
                _ => writeln!(f, "  v{:<4} = {:?}", i, op)?,
            }
        }
        writeln!(f, "  exit {:?}", self.exit)
    }
}
