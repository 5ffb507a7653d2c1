//! The IR: one basic block of guest code as a list of SSA operations over 64-bit integer
//! values and (virtual) flags values, ending in one [`Exit`]. It knows the guest's state slots
//! (registers by number, NZCV, V registers in CpuState) but not A64 encodings.

pub mod bf16;
mod builder;
pub mod crypto;
pub mod fp;
pub mod fpenv;
mod fphalf;
mod fprecip;
mod fpsem;
pub mod interp;
mod memo;
pub mod opinfo;
pub mod print;
pub mod vecfn;
pub mod vechalf;
pub mod vecint;
pub mod vecsat;
pub mod verify;
pub mod vfp;

pub use crate::ops::{RmwKind, VecKind};
pub use builder::{Builder, InsnMark};
pub use vecfn::VecFn;

/// An SSA value: the index of the op that defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Val(pub u32);

/// Operation size of integer ops: 32-bit results are zero-extended to 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sz {
    /// 32-bit.
    S32,
    /// 64-bit.
    S64,
}

/// Two-operand integer operations. Shift amounts are taken modulo the size, as A64's
/// variable shifts do; divisions follow A64 (x / 0 = 0, MIN / -1 = MIN).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum BinOp {
    Add,
    Sub,
    And,
    Or,
    Xor,
    Shl,
    Lshr,
    Ashr,
    Ror,
    Mul,
    UMulH,
    SMulH,
    UDiv,
    SDiv,
}

/// One-operand integer operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum UnOp {
    Not,
    Neg,
    Clz,
    /// Trailing zeros (the operand's width for 0): CLZ of an RBIT, the count of trailing zeros
    /// compilers and glibc's string functions write as the pair.
    Ctz,
    Rbit,
    Bswap,
    Sext8,
    Sext16,
    Sext32,
    Zext8,
    Zext16,
    Zext32,
}

/// An NZCV condition (the 16 A64 condition codes, same numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CondCode(pub u8);

impl CondCode {
    /// Always true.
    pub const AL: CondCode = CondCode(14);
    /// Whether packed NZCV (bits 3:0 = N Z C V) satisfies the condition.
    pub fn holds(self, nzcv4: u32) -> bool {
        COND_TABLE[self.0 as usize] & (1 << (nzcv4 & 15)) != 0
    }
    /// The condition with the opposite truth value.
    pub fn invert(self) -> CondCode {
        if self.0 >= 14 {
            self
        } else {
            CondCode(self.0 ^ 1)
        }
    }
}

/// For each condition, a 16-bit set of the NZCV values (N=bit3 .. V=bit0) that satisfy it.
/// Built from the Arm ARM's `ConditionHolds`.
pub const COND_TABLE: [u16; 16] = {
    let mut t = [0u16; 16];
    let mut c = 0;
    while c < 16 {
        let mut f = 0;
        while f < 16 {
            let (n, z, cf, v) = (f & 8 != 0, f & 4 != 0, f & 2 != 0, f & 1 != 0);
            let base = match c >> 1 {
                0 => z,
                1 => cf,
                2 => n,
                3 => v,
                4 => cf && !z,
                5 => n == v,
                6 => n == v && !z,
                _ => true,
            };
            let r = if c & 1 == 1 && c != 15 { !base } else { base };
            if r {
                t[c] |= 1 << f;
            }
            f += 1;
        }
        c += 1;
    }
    t
};

/// Memory access types of integer loads (zero- or sign-extended to 64 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum LoadTy {
    U8,
    U16,
    U32,
    U64,
    S8,
    S16,
    S32,
}

/// Access size in bytes as log2: 0..=4 (4 = 128-bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Log2(pub u8);

/// System state the IR can read or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum SysField {
    Tpidr,
    Fpcr,
    Fpsr,
    /// PSTATE.DIT and PSTATE.SSBS, at their SPSR positions (`CpuState::pstate`).
    Pstate,
}

/// Operations on register pairs carried out by a helper on CpuState's registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairKind {
    /// CASP: compare (Xa, Xa+1) with memory at Xn, store (Xb, Xb+1) if equal; (Xa, Xa+1) = old.
    Casp,
    /// LDXP: (Xa, Xb) = memory at Xn; arm the monitor.
    Ldxp,
    /// STXP: store (Xb, Xc) if the monitor holds; Wa = 0 on success, 1 on failure.
    Stxp,
}

/// Fences that x86-64's ordering does not already give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FenceKind {
    /// Orders earlier stores before later loads (x86 `mfence`).
    StoreLoad,
}

/// One IR operation. Ops that produce a value define the value numbered by their index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Op {
    Const(u64),
    /// Read guest X`n` (31 = SP).
    GetReg(u8),
    /// Write guest X`n` (31 = SP).
    SetReg(u8, Val),
    /// Read the flags held in CpuState: a flags value.
    GetFlags,
    /// Write a flags value to CpuState.
    SetFlags(Val),
    GetSys(SysField),
    SetSys(SysField, Val),
    /// The virtual counter (CNTVCT_EL0).
    ReadCounter,
    /// 64 random bits (RNDR, RNDRRS).
    Random,
    Bin(BinOp, Sz, Val, Val),
    Un(UnOp, Sz, Val),
    /// Flags of `a - b`.
    FlagsSub(Sz, Val, Val),
    /// Flags of `a + b`.
    FlagsAdd(Sz, Val, Val),
    /// Flags of a logical result: N, Z from it, C = V = 0.
    FlagsLogic(Sz, Val),
    /// Flags of `a + b + c` (c is 0 or 1).
    FlagsAdc(Sz, Val, Val, Val),
    /// Flags of `a + !b + c` (c is 0 or 1).
    FlagsSbc(Sz, Val, Val, Val),
    /// Flags from NZCV in bits 31:28 of a value.
    FlagsPacked(Val),
    /// NZCV of a flags value, in bits 31:28.
    Nzcv(Val),
    /// 1 if the condition holds for the flags, else 0.
    CondVal(CondCode, Val),
    /// `if cond(flags) { a } else { b }`.
    Select(CondCode, Val, Val, Val),
    /// The guest address `a` confined to the guest region (`a & GUEST_MASK`, see
    /// [`crate::confine`]): the base of every memory access the lifter emits.
    Confine(Val),
    /// An alignment fault (SIGBUS BUS_ADRALN at the address) unless the address is a multiple
    /// of `1 << Log2` bytes: what exclusive, load-acquire/store-release and atomic accesses check
    /// (the Arm ARM's `AArch64.CheckAlignment`, without FEAT_LSE2), before the access.
    AlignCheck(Log2, Val),
    /// Load from `base + off`.
    Load(LoadTy, Val, i32),
    /// Store the low bytes of `val` to `base + off`.
    Store(Log2, Val, i32, Val),
    /// Load-exclusive: load and arm the monitor.
    LoadExcl(Log2, Val),
    /// Store-exclusive: 0 on success, 1 on failure; disarms the monitor.
    StoreExcl(Log2, Val, Val),
    /// Disarm the exclusive monitor.
    ClearExcl,
    /// Atomic read-modify-write of `Log2` bytes at `addr` with `val`; the old value.
    AtomicRmw(RmwKind, Log2, Val, Val),
    /// Compare-and-swap of `Log2` bytes at `addr`: expected, new; the old value.
    Cas(Log2, Val, Val, Val),
    /// CRC32 (or CRC32C) of the low `size` bytes of `data`, continuing from `acc`.
    Crc32 {
        /// CRC32C (Castagnoli polynomial) rather than CRC32 (IEEE).
        castagnoli: bool,
        /// Data size.
        size: Log2,
        /// Running CRC.
        acc: Val,
        /// Data.
        data: Val,
    },
    /// A pair operation done by a helper on CpuState (registers: 31 = XZR, except `n`, where 31 = SP).
    PairHelper {
        /// Which.
        kind: PairKind,
        /// Element size (32 or 64 bits).
        size: Log2,
        /// First register operand.
        a: u8,
        /// Second register operand.
        b: u8,
        /// Third register operand.
        c: u8,
        /// Base register.
        n: u8,
        /// The guest instruction: when its access faults, the code leaves for the run loop
        /// with this pc and the guest signal pending.
        pc: u64,
    },
    Fence(FenceKind),
    /// Zero the 64-byte block containing the address (DC ZVA).
    ZeroBlock(Val),
    /// IC IVAU: add the cache line holding the address to the guest code whose translations
    /// the next barrier drops ([`CpuState::inval_lo`](crate::cpu::CpuState::inval_lo)): the
    /// Arm ARM completes an instruction-cache invalidation only at a DSB, and a thread sees the
    /// new code only after a context synchronization (B2.4.4), so a JIT's run of IC IVAUs over
    /// a function's lines is one invalidation there, not one exit and one search a line.
    NoteInval(Val),
    /// Load into V`v` (zero-extending) from `base + off`.
    VLoad(Log2, u8, Val, i32),
    /// Store the low bytes of V`v` to `base + off`.
    VStore(Log2, u8, Val, i32),
    /// Read element `index` of V`v` (size `Log2`), zero- or sign-extended.
    VGetLane {
        v: u8,
        size: Log2,
        index: u8,
        signed: bool,
    },
    /// Write element `index` of V`v`; with `zero_rest`, zero all other bytes first.
    VSetLane {
        v: u8,
        size: Log2,
        index: u8,
        val: Val,
        zero_rest: bool,
    },
    /// A vector operation on V registers in CpuState: V`d` = f(V`n`, V`m`, V`d`).
    VOp {
        f: VecFn,
        d: u8,
        n: u8,
        m: u8,
    },
    /// A scalar floating-point operation (see [`fp`]); defines a value only for compares and
    /// conversions to integers.
    Fp(fp::FpOp),
    /// A guest instruction that may fault on memory accesses from here (placed before its first
    /// memory op), at this pc: a fault in the ops up to its `Snapshots` is reported at this pc,
    /// with the guest state the snapshots name.
    InsnStart(u64),
    /// After such an instruction: the guest registers CpuState may not have yet and the values
    /// they held when the instruction began ([`Block::snapshots`]). Keeps those values live
    /// through the instruction, so a fault handler can find them. One op per instruction, not
    /// one per register: a list of ops was a fifth of translation time.
    Snapshots(SnapList),
    /// Leave the block for `target` when `cond` holds for `flags`, writing back first the
    /// registers and flags CpuState does not have yet (`state`, in [`Block::snapshots`]): a
    /// forward conditional branch the block goes on past (its side exit).
    SideExit {
        /// The branch's condition.
        cond: CondCode,
        /// The flags it tests.
        flags: Val,
        /// Where the branch goes.
        target: u64,
        /// What to write back on the way out.
        state: SnapList,
    },
    /// Nothing (a removed op).
    Nop,
}

/// The snapshot register number that stands for the flags.
pub const SNAPSHOT_FLAGS: u8 = 32;

/// Where an instruction's snapshots are in [`Block::snapshots`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SnapList {
    /// Index of the first.
    pub first: u32,
    /// How many (at most the 31 registers, SP and the flags).
    pub len: u32,
}

/// One snapshot: guest register `reg` (31 = SP; [`SNAPSHOT_FLAGS`] = the flags) held `val`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Snap {
    /// The register.
    pub reg: u8,
    /// Its value.
    pub val: Val,
    /// Whether this snapshot is what keeps `val` live through its instruction. Not when the
    /// block's exit writes `val` back to `reg` anyway: most snapshots are of registers that
    /// stay dirty to the exit, and counting them as uses was a tenth of translation time.
    pub keeps_live: bool,
}

/// How a block ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Direct branch.
    Jump(u64),
    /// Conditional direct branch.
    Branch {
        /// Condition.
        cond: CondCode,
        /// Flags value tested.
        flags: Val,
        /// Target when the condition holds.
        taken: u64,
        /// Target when it does not.
        not_taken: u64,
    },
    /// Branch to a computed address.
    Indirect(Val),
    /// Supervisor call; resume at `next`.
    Svc {
        /// Immediate.
        imm: u16,
        /// Address of the next instruction.
        next: u64,
    },
    /// BRK at `pc`.
    Brk {
        /// Immediate.
        imm: u16,
        /// Address of the instruction.
        pc: u64,
    },
    /// Undefined instruction at `pc`.
    Undefined {
        /// Address of the instruction.
        pc: u64,
    },
    /// A DSB or ISB: continue at `next`, through the run loop when IC IVAU named guest code
    /// since the last one ([`Op::NoteInval`]), which drops its translations there; chained
    /// otherwise.
    Barrier {
        /// Address of the next instruction.
        next: u64,
    },
    /// Continue at `next` through the run loop, never a chained jump: after a write of FPCR,
    /// which may ask for other code (`CodeCache::require_fz_checks`).
    Sync {
        /// Address of the next instruction.
        next: u64,
    },
}

/// Result type of an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// No value.
    None,
    /// 64-bit integer.
    I64,
    /// Flags.
    Flags,
}

impl Op {
    /// The value of a constant op.
    pub fn as_const(&self) -> Option<u64> {
        match *self {
            Op::Const(c) => Some(c),
            _ => None,
        }
    }

    /// The guest address operand of an op that [`Op::accesses_memory`], to be confined.
    pub fn address_mut(&mut self) -> Option<&mut Val> {
        use Op::*;
        match self {
            Load(_, a, _)
            | AlignCheck(_, a)
            | Store(_, a, _, _)
            | LoadExcl(_, a)
            | StoreExcl(_, a, _)
            | AtomicRmw(_, _, a, _)
            | Cas(_, a, _, _)
            | ZeroBlock(a)
            | VLoad(_, _, a, _)
            | VStore(_, _, a, _) => Some(a),
            _ => None,
        }
    }

    /// The values this op reads. (Inlined: asked for every op by the passes, the register
    /// allocator and the lowering, where the op's kind is often known.)
    #[inline]
    pub fn args(&self) -> Args {
        use Op::*;
        match *self {
            Const(_)
            | GetReg(_)
            | GetFlags
            | GetSys(_)
            | ReadCounter
            | Random
            | ClearExcl
            | Fence(_)
            | Nop
            | InsnStart(_)
            | Snapshots(_)
            | SideExit { .. }
            | VGetLane { .. }
            | PairHelper { .. }
            | VOp { .. } => Args::of(&[]),
            SetReg(_, v)
            | SetFlags(v)
            | SetSys(_, v)
            | Un(_, _, v)
            | FlagsLogic(_, v)
            | FlagsPacked(v)
            | Nzcv(v)
            | CondVal(_, v)
            | Confine(v)
            | AlignCheck(_, v)
            | Load(_, v, _)
            | LoadExcl(_, v)
            | ZeroBlock(v)
            | NoteInval(v)
            | VLoad(_, _, v, _)
            | VStore(_, _, v, _) => Args::of(&[v]),
            VSetLane { val, .. } => Args::of(&[val]),
            Fp(f) => Args::of(f.src.as_slice()),
            Bin(_, _, a, b) | FlagsSub(_, a, b) | FlagsAdd(_, a, b) | Store(_, a, _, b) | StoreExcl(_, a, b) => {
                Args::of(&[a, b])
            }
            AtomicRmw(_, _, a, b) | Crc32 { acc: a, data: b, .. } => Args::of(&[a, b]),
            FlagsAdc(_, a, b, c) | FlagsSbc(_, a, b, c) | Select(_, a, b, c) | Cas(_, a, b, c) => Args::of(&[a, b, c]),
        }
    }

    /// For an op that computes flags from values (not `GetFlags`, whose flags are a value of
    /// their own): those values. Flags are recomputed where they are used, so a use of such a
    /// flags value is a use of these (liveness and register allocation count it so).
    #[inline]
    pub fn flags_operands(&self) -> Option<Args> {
        use Op::*;
        match *self {
            FlagsSub(_, a, b) | FlagsAdd(_, a, b) => Some(Args::of(&[a, b])),
            FlagsLogic(_, a) | FlagsPacked(a) => Some(Args::of(&[a])),
            FlagsAdc(_, a, b, c) | FlagsSbc(_, a, b, c) => Some(Args::of(&[a, b, c])),
            _ => None,
        }
    }
}

impl Exit {
    /// The values the exit reads.
    pub fn args(&self) -> Args {
        match *self {
            Exit::Branch { flags, .. } => Args::of(&[flags]),
            Exit::Indirect(v) => Args::of(&[v]),
            _ => Args::of(&[]),
        }
    }
}

/// The values an op or exit reads: at most three, kept inline (translation asks for them
/// several times per op; a `Vec` each time was a good part of its allocations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Args {
    vals: [Val; 3],
    len: u8,
}

impl Args {
    /// The values `v` (at most three).
    pub fn of(v: &[Val]) -> Args {
        let mut vals = [Val(0); 3];
        vals[..v.len()].copy_from_slice(v);
        Args {
            vals,
            len: v.len() as u8,
        }
    }
}

impl std::ops::Deref for Args {
    type Target = [Val];
    fn deref(&self) -> &[Val] {
        &self.vals[..self.len as usize]
    }
}

impl IntoIterator for Args {
    type Item = Val;
    type IntoIter = std::iter::Take<std::array::IntoIter<Val, 3>>;
    fn into_iter(self) -> Self::IntoIter {
        self.vals.into_iter().take(self.len as usize)
    }
}

/// A translated block in IR form.
#[derive(Debug, Clone)]
pub struct Block {
    /// Guest address of the first instruction.
    pub guest_pc: u64,
    /// Number of guest instructions.
    pub guest_len: u32,
    /// Guest address ranges `[start, end)` the block was translated from (more than one when
    /// lifting followed an unconditional branch; most blocks have one, kept without an
    /// allocation).
    pub ranges: Ranges,
    /// Guest code ranges the translation depends on besides its own (successors examined for
    /// liveness): changing that code must drop this translation too.
    pub depends: Vec<(u64, u64)>,
    /// The operations.
    pub ops: Vec<Op>,
    /// The snapshots of every `Op::Snapshots`, instruction after instruction.
    pub snapshots: Vec<Snap>,
    /// How it ends.
    pub exit: Exit,
    /// Where each value is used last, by position (the exit's is `ops.len()`; [`UNUSED`]: not
    /// at all), a use of a flags value counting as uses of its operands
    /// ([`Op::flags_operands`]): what the dead-code pass (`opt::dce`) finds on its way, kept
    /// for the register allocator, which would otherwise walk every use again. Empty where no
    /// pass ran.
    pub last_use: Vec<u32>,
    /// Conditions the lifter tests on a 0/1 value made from a CCMP's operands instead of on its
    /// packed flags, with the condition and flags they test in the plain form: the pipeline
    /// puts those back where the packed flags are needed anyway (`opt::restore_conds`).
    pub cond_alts: Vec<CondAlt>,
}

/// An op testing a condition rewritten by the lifter (`lift/cond.rs`), and the condition and
/// flags value it tested before: a `Select` or a `CondVal` at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CondAlt {
    /// The op's position.
    pub at: u32,
    /// The condition as the instruction gave it.
    pub cond: CondCode,
    /// The flags it is on (the CCMP's packed flags).
    pub flags: Val,
}

/// Guest address ranges `[start, end)`: a block's, and then those its translation depends on
/// ([`crate::cache::BlockInfo`]). Two are held in place: a placed or translated block's ranges
/// were an allocation of their own, one of three a warm start made for each block it placed.
pub type Ranges = smallvec::SmallVec<[(u64, u64); 2]>;

/// In [`Block::last_use`]: a value nothing uses.
pub const UNUSED: u32 = u32::MAX;

impl Block {
    /// The op defining `v`.
    pub fn op(&self, v: Val) -> &Op {
        &self.ops[v.0 as usize]
    }

    /// The snapshots a `Op::Snapshots` lists.
    pub fn snaps(&self, list: SnapList) -> &[Snap] {
        &self.snapshots[list.first as usize..(list.first + list.len) as usize]
    }

    /// Call `f` with every value the op at `pos` reads: its arguments, or a snapshot list's
    /// values.
    #[inline]
    pub fn each_use(&self, pos: usize, mut f: impl FnMut(Val)) {
        match self.ops[pos] {
            Op::Snapshots(list) => {
                for s in self.snaps(list).iter().filter(|s| s.keeps_live) {
                    f(s.val)
                }
            }
            // The flags it tests, then every value it writes back (all uses).
            Op::SideExit { flags, state, .. } => {
                f(flags);
                for s in self.snaps(state) {
                    f(s.val)
                }
            }
            op => op.args().into_iter().for_each(f),
        }
    }
}
