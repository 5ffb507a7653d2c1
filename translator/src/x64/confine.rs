//! Lowering of [`Op::Confine`](crate::ir::Op::Confine): a guest address confined to the guest
//! region (see [`crate::confine`]) through the pinned register r14.
//!
//! With BMI2 (the common case) r14 holds the shift count `64 - GUEST_BITS` and the address is
//! `shrx(shlx(a, r14), r14)`: two one-cycle ops that leave EFLAGS alone, so a lazily kept
//! comparison survives a load between it and its branch. Without BMI2 r14 holds `GUEST_MASK` and
//! the address is `mov` + `and`, which clobbers EFLAGS.

use crate::confine::{GUEST_BITS, GUEST_MASK};
use dynasmrt::{dynasm, x64::X64Relocation, DynasmApi, VecAssembler};
use std::sync::OnceLock;

/// What the entry trampoline puts in r14 for the host it runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pinned {
    /// BMI2: the shift count that clears the bits above the region.
    ShiftCount,
    /// No BMI2: the mask itself.
    Mask,
}

impl Pinned {
    /// The value of r14.
    pub fn value(self) -> u64 {
        match self {
            Pinned::ShiftCount => u64::from(64 - GUEST_BITS),
            Pinned::Mask => GUEST_MASK,
        }
    }
}

/// The form this host uses.
pub fn pinned() -> Pinned {
    static P: OnceLock<Pinned> = OnceLock::new();
    *P.get_or_init(|| {
        if std::arch::is_x86_feature_detected!("bmi2") {
            Pinned::ShiftCount
        } else {
            Pinned::Mask
        }
    })
}

/// Whether confining leaves EFLAGS alone on this host.
pub fn flagless() -> bool {
    pinned() == Pinned::ShiftCount
}

/// `d = a & GUEST_MASK`.
pub fn emit(ops: &mut VecAssembler<X64Relocation>, d: u8, a: u8) {
    match pinned() {
        Pinned::ShiftCount => dynasm!(ops ; .arch x64
            ; shlx Rq(d), Rq(a), r14
            ; shrx Rq(d), Rq(d), r14
        ),
        Pinned::Mask => {
            if d != a {
                dynasm!(ops ; .arch x64 ; mov Rq(d), Rq(a));
            }
            dynasm!(ops ; .arch x64 ; and Rq(d), r14);
        }
    }
}
