//! The IR's operations declared in one place: for each [`Op`], its name in the text form, the
//! type of value it defines, what it does besides (so whether dead-code elimination may drop it),
//! how it touches guest memory, and whether its lowering keeps the host's EFLAGS. The properties
//! the passes, the verifier, the printer and the backend ask for all come from [`Op::info`], one
//! exhaustive match: a new op is one arm here, its operands in [`Op::args`], its semantics in the
//! interpreter and its lowering.

use super::{Op, SysField, Ty};

/// What an op does besides defining its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing: an unused result makes the op dead.
    Pure,
    /// Reads guest state other ops may change (registers, flags, system fields, V registers):
    /// dead when unused, but not to be moved across writes of that state.
    ReadsState,
    /// Writes guest state in CpuState (registers, flags, system fields, V registers, FPSR).
    WritesState,
    /// Touches guest memory or the exclusive monitor, or orders memory: it may fault or be seen
    /// by other threads, so it stays even when its value is unused.
    Memory,
    /// Bookkeeping for precise faults ([`Op::InsnStart`], [`Op::Snapshot`]).
    Marker,
}

/// How an op reaches guest memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemAccess {
    /// Not at all.
    None,
    /// Loads inline (the emitted code may fault on the guest address).
    Load,
    /// Stores inline.
    Store,
    /// Loads and stores inline (atomics, exclusives, DC ZVA).
    LoadStore,
    /// Through a helper called on CpuState's registers (the helper checks and confines).
    Helper,
}

/// Whether the op's lowering leaves the host's EFLAGS as they were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFlags {
    /// Built from moves, loads and stores (or computes flags lazily): EFLAGS survive it.
    Kept,
    /// Changes EFLAGS (arithmetic, helper calls).
    Clobbered,
}

/// The properties of one op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpInfo {
    /// The mnemonic of the text form (`-d ir`, snapshots).
    pub name: &'static str,
    /// The value it defines.
    pub result: Ty,
    /// What else it does.
    pub effect: Effect,
    /// How it reaches guest memory.
    pub memory: MemAccess,
    /// Its lowering and EFLAGS.
    pub host_flags: HostFlags,
}

const fn i(name: &'static str, result: Ty, effect: Effect, memory: MemAccess, host_flags: HostFlags) -> OpInfo {
    OpInfo {
        name,
        result,
        effect,
        memory,
        host_flags,
    }
}

impl Op {
    /// The op's properties (see the module header). Inlined into the one-property accessors
    /// below, so that each compiles to a table of that property alone (they are asked for every
    /// use of every value while translating).
    #[inline(always)]
    pub fn info(&self) -> OpInfo {
        use Effect::*;
        use HostFlags::{Clobbered as C, Kept as K};
        use MemAccess::{Helper as H, Load as L, LoadStore as LS, None as N, Store as S};
        use Ty::{Flags as F, None as NoVal, I64};
        match *self {
            Op::Const(_) => i("const", I64, Pure, N, K),
            Op::GetReg(_) => i("get", I64, ReadsState, N, K),
            Op::SetReg(..) => i("set", NoVal, WritesState, N, K),
            Op::GetFlags => i("get.flags", F, ReadsState, N, C),
            Op::SetFlags(_) => i("set.flags", NoVal, WritesState, N, K),
            Op::GetSys(f) => i("get.sys", I64, ReadsState, N, if f == SysField::Fpsr { C } else { K }),
            Op::SetSys(f, _) => i(
                "set.sys",
                NoVal,
                WritesState,
                N,
                if matches!(f, SysField::Tpidr | SysField::Pstate) {
                    K
                } else {
                    C
                },
            ),
            Op::ReadCounter => i("cntvct", I64, ReadsState, N, C),
            // Not pure: two reads must not become one.
            Op::Random => i("random", I64, ReadsState, N, C),
            Op::Bin(..) => i("bin", I64, Pure, N, C),
            Op::Un(..) => i("un", I64, Pure, N, C),
            Op::FlagsSub(..) => i("flags.sub", F, Pure, N, K),
            Op::FlagsAdd(..) => i("flags.add", F, Pure, N, K),
            Op::FlagsLogic(..) => i("flags.logic", F, Pure, N, K),
            Op::FlagsAdc(..) => i("flags.adc", F, Pure, N, K),
            Op::FlagsSbc(..) => i("flags.sbc", F, Pure, N, K),
            Op::FlagsPacked(_) => i("flags.packed", F, Pure, N, K),
            Op::Nzcv(_) => i("nzcv", I64, Pure, N, K),
            Op::CondVal(..) => i("cond", I64, Pure, N, K),
            Op::Select(..) => i("select", I64, Pure, N, K),
            Op::Confine(_) => i("confine", I64, Pure, N, C),
            // Checked where the access would be: a fault site of its own, like a load.
            Op::AlignCheck(..) => i("align", NoVal, Memory, L, C),
            Op::Load(..) => i("load", I64, Memory, L, K),
            Op::Store(..) => i("store", NoVal, Memory, S, K),
            Op::LoadExcl(..) => i("load.excl", I64, Memory, L, C),
            Op::StoreExcl(..) => i("store.excl", I64, Memory, LS, C),
            Op::ClearExcl => i("clrex", NoVal, Memory, N, C),
            Op::AtomicRmw(..) => i("atomic", I64, Memory, LS, C),
            Op::Cas(..) => i("cas", I64, Memory, LS, C),
            Op::Crc32 { .. } => i("crc32", I64, Pure, N, C),
            Op::PairHelper { .. } => i("pair", NoVal, Memory, H, C),
            Op::Fence(_) => i("fence", NoVal, Memory, N, C),
            Op::ZeroBlock(_) => i("dc.zva", NoVal, Memory, S, C),
            Op::NoteInval(_) => i("ic.ivau", NoVal, WritesState, N, C),
            Op::VLoad(..) => i("vload", NoVal, Memory, L, C),
            Op::VStore(..) => i("vstore", NoVal, Memory, S, C),
            Op::VGetLane { .. } => i("lane.get", I64, ReadsState, N, K),
            Op::VSetLane { .. } => i("lane.set", NoVal, WritesState, N, K),
            Op::VOp { .. } => i("vec", NoVal, WritesState, N, C),
            Op::Fp(f) => i("fp", if f.has_value() { I64 } else { NoVal }, WritesState, N, C),
            Op::InsnStart(_) => i("insn", NoVal, Marker, N, K),
            Op::Snapshots(_) => i("snapshot", NoVal, Marker, N, K),
            Op::SideExit { .. } => i("side_exit", NoVal, WritesState, N, K),
            Op::Nop => i("nop", NoVal, Pure, N, K),
        }
    }

    /// The type of value this op defines.
    #[inline]
    pub fn ty(&self) -> Ty {
        self.info().result
    }

    /// Whether the op has an effect besides defining its value (cannot be removed when unused).
    #[inline]
    pub fn has_effect(&self) -> bool {
        !matches!(self.info().effect, Effect::Pure | Effect::ReadsState)
    }

    /// Whether the op loads or stores guest memory inline (what can fault on a guest address in
    /// emitted code; helper calls such as `PairHelper` are not included).
    #[inline]
    pub fn accesses_memory(&self) -> bool {
        matches!(
            self.info().memory,
            MemAccess::Load | MemAccess::Store | MemAccess::LoadStore
        )
    }
}
