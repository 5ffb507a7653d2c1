//! Guest general registers that live in host registers across blocks: a static mapping. While
//! translated code runs, a pinned guest register's value is in its host register and nowhere
//! else (CpuState's copy is stale); the trampoline loads the pinned registers from CpuState on
//! entry and its epilogue, through which every exit to the run loop passes, stores them back.
//! Blocks read and write them with register moves where other guest registers take a load from
//! and a store to CpuState, which on a chain of blocks (SP and the link register through calls
//! and returns, a loop counter through a loop of several blocks) is a store-to-load forward on
//! the critical path.
//!
//! The host registers are caller-saved ones that carry no helper argument (r10, r11): a helper
//! call stores them to CpuState before it and loads them after it (helpers may read and write
//! guest registers there), so a fault or a failed access inside a helper finds CpuState whole. A
//! fault in translated code takes them from the ucontext (`signal/host.rs`).

use crate::cpu::off;
use dynasmrt::{dynasm, x64::X64Relocation, DynasmApi, VecAssembler};

/// The pinned guest registers (31: SP, as `Op::GetReg` numbers them) with their host registers
/// (x86-64 numbers, taken out of allocation). SP and the link register, which every call and
/// return passes from block to block: measured against other pairs on the bench programs and
/// two Debian programs (docs/translator.md, *Pinned registers*).
const PINS: [(u8, u8); 2] = [(31, 10), (30, 11)];

/// The pinned guest registers with their host registers.
#[inline]
pub fn all() -> &'static [(u8, u8)] {
    &PINS
}

/// The host register of guest register `n`, if it is pinned.
#[inline]
pub fn host_of(n: u8) -> Option<u8> {
    PINS.iter().find(|&&(g, _)| g == n).map(|&(_, h)| h)
}

/// Store every pinned register to CpuState (behind r15): before a helper call, at the exit
/// epilogue.
pub(super) fn store_all(ops: &mut VecAssembler<X64Relocation>) {
    for &(g, h) in all() {
        dynasm!(ops ; .arch x64 ; mov [r15 + off::xreg(g)], Rq(h));
    }
}

/// Load every pinned register from CpuState: after a helper call, at the trampoline's entry.
pub(super) fn load_all(ops: &mut VecAssembler<X64Relocation>) {
    for &(g, h) in all() {
        dynasm!(ops ; .arch x64 ; mov Rq(h), [r15 + off::xreg(g)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x64::regalloc::{caller_saved, ALLOCATABLE};

    #[test]
    fn pinned_hosts_are_caller_saved_and_never_allocated() {
        for &(g, h) in all() {
            assert!(g <= 31);
            assert!(caller_saved(h), "a helper call saves r{h} around it, not the callee");
            assert!(!ALLOCATABLE.contains(&h));
            // rdi, rsi, rdx, rcx, r8, r9: helper arguments, set before `call_host` stores the pins.
            assert!(![7, 6, 2, 1, 8, 9].contains(&h));
        }
    }
}
