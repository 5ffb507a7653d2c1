//! Lowering of [`Op::Confine`](crate::ir::Op::Confine): a guest address confined to the guest
//! region (see [`crate::confine`]) through the pinned register r14.
//!
//! With BMI1 (the common case) r14 holds `!GUEST_MASK` and the address is `andn d, r14, a`: one
//! one-cycle op, not destructive, on the address's critical path (a shlx/shrx pair, which would
//! keep EFLAGS, costs a second cycle of latency on every access: measured slower on the
//! pointer-chasing benchmarks, while a comparison clobbered this way is only recomputed at its
//! branch). Without BMI1 r14 holds `GUEST_MASK` and the address is `mov` + `and`.

use super::host::HostFeatures;
use crate::confine::GUEST_MASK;
use dynasmrt::{dynasm, x64::X64Relocation, DynasmApi, VecAssembler};

/// What the entry trampoline puts in r14 for the host it runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pinned {
    /// BMI1: the complement of the mask, for `andn`.
    Complement,
    /// No BMI2: the mask itself.
    Mask,
}

impl Pinned {
    /// The value of r14.
    pub fn value(self) -> u64 {
        match self {
            Pinned::Complement => !GUEST_MASK,
            Pinned::Mask => GUEST_MASK,
        }
    }
}

impl Pinned {
    /// The form a host with `host`'s extensions uses.
    pub fn of(host: HostFeatures) -> Pinned {
        if host.bmi1 {
            Pinned::Complement
        } else {
            Pinned::Mask
        }
    }
}

/// `d = a & GUEST_MASK`, with r14 holding `pinned`'s value.
pub fn emit(ops: &mut VecAssembler<X64Relocation>, pinned: Pinned, d: u8, a: u8) {
    match pinned {
        Pinned::Complement => dynasm!(ops ; .arch x64 ; andn Rq(d), r14, Rq(a)),
        Pinned::Mask => {
            if d != a {
                dynasm!(ops ; .arch x64 ; mov Rq(d), Rq(a));
            }
            dynasm!(ops ; .arch x64 ; and Rq(d), r14);
        }
    }
}
