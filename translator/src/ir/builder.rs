//! The block builder the lifter writes IR through: it caches guest registers and flags in SSA
//! values (each register read at most once, written back once at the exit), folds constants and
//! shares repeated operations, and notes the state each instruction's faults restore.

use super::memo::{BinKey, Memo};
use super::*;

/// Builds a block, caching guest registers and flags in values so that each guest register is
/// read at most once and written back once, at the exit.
pub struct Builder {
    /// The ops, maps and their capacity, borrowed from this thread's pool (see [`Scratch`]).
    /// (Boxed: a builder takes it from the thread's pool and gives it back, a pointer each way
    /// rather than the vectors' and maps' headers.)
    s: std::mem::ManuallyDrop<Box<Scratch>>,
    regs: RegVals,
    /// The registers whose values in `regs` CpuState does not have yet (bit n = X`n`, 31 = SP).
    dirty: u32,
    /// Since the last [`Builder::insn_start`]: the registers set (bit n), and the value each
    /// had before its first set (what the instruction's snapshots need; noted as registers are
    /// set, where copying every register at each instruction's start was a twentieth of lifting).
    changed: u32,
    before: RegVals,
    flags: Option<Val>,
    flags_dirty: bool,
    /// The snapshot lists of the side exits pushed so far (uses, unlike instructions' lists).
    side_lists: Vec<SnapList>,
    /// See [`Block::cond_alts`].
    cond_alts: Vec<CondAlt>,
    /// The pc of the instruction being lifted while it has pushed no memory op yet (its
    /// `InsnStart` goes before the first; most instructions have none, and need no marker).
    pending_insn: Option<u64>,
    /// Confine the base of every memory access (see [`crate::confine`]); off only to measure
    /// what confinement costs, and for blocks lifted only for their register uses.
    confine: bool,
    /// Note each instruction's fault snapshots (off for blocks lifted only for their register
    /// uses: see [`Builder::for_uses`]).
    snapshots: bool,
}

/// A builder's growing parts. Translating a block used to allocate and grow these afresh (and a
/// block's successor analysis lifts two more blocks), which made the allocator a quarter of
/// translation time; a thread keeps a few in a pool and builders clear and reuse them.
#[derive(Default)]
struct Scratch {
    ops: Vec<Op>,
    snapshots: Vec<Snap>,
    consts: Memo<u64>,
    /// Guest address value -> its confined value, so that accesses through one base share it.
    confined: Memo<Val>,
    /// The binary operations computed so far: the same operation on the same values is the same
    /// value (register-offset addresses are recomputed by each access that uses them).
    bins: Memo<BinKey>,
}

/// At most this many scratches wait in a thread's pool: a block lift and its two successor
/// lifts are the most that are alive at once.
const SCRATCH_POOL: usize = 4;

/// A scratch holding more ops than this goes back to the allocator instead of the pool, so one
/// huge block does not pin its memory for the thread's life.
const SCRATCH_KEEP_OPS: usize = 4096;

thread_local! {
    // (Boxed: a builder holds its scratch by a pointer, which moves with it; see `Builder::s`.)
    #[allow(clippy::vec_box)]
    static SCRATCH: std::cell::RefCell<Vec<Box<Scratch>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A dropped block's vectors: ops, snapshots, last uses.
type Recycled = (Vec<Op>, Vec<Snap>, Vec<u32>);

thread_local! {
    /// The op and snapshot vectors of blocks dropped on this thread, for [`Builder::finish`] to
    /// hand its scratch in exchange for the ones it moves into the block: a block's vectors are
    /// the scratch's own, not exact-size copies (two allocations, two copies and two frees a
    /// block).
    static RECYCLED: std::cell::RefCell<Vec<Recycled>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Drop for Block {
    fn drop(&mut self) {
        if self.ops.capacity() > SCRATCH_KEEP_OPS {
            return;
        }
        // Cleared when taken again (`Scratch::take_vectors`): a clear here stored each length
        // just before the move into the pool read it with wider loads, a stalled store
        // forwarding each block.
        let recycled = (
            std::mem::take(&mut self.ops),
            std::mem::take(&mut self.snapshots),
            std::mem::take(&mut self.last_use),
        );
        // A thread being torn down has no pool any more: the vectors are simply freed.
        let _ = RECYCLED.try_with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < SCRATCH_POOL {
                p.push(recycled);
            }
        });
    }
}

impl Scratch {
    fn take() -> Box<Scratch> {
        SCRATCH.with(|p| p.borrow_mut().pop()).unwrap_or_default()
    }

    /// The ops and snapshots so far, for a block, replaced by empty vectors (recycled ones
    /// where a dropped block left some), and an empty vector for its last uses.
    fn take_vectors(&mut self) -> Recycled {
        let spare: Recycled = RECYCLED
            .try_with(|p| p.borrow_mut().pop())
            .ok()
            .flatten()
            .unwrap_or_default();
        let (ops, snapshots, mut last_use) = spare;
        // (A dropped block's vectors are pooled as they were: the last uses of a block the
        // dead-code pass did not see must not be another's.)
        last_use.clear();
        let taken = (
            std::mem::replace(&mut self.ops, ops),
            std::mem::replace(&mut self.snapshots, snapshots),
            last_use,
        );
        self.ops.clear();
        self.snapshots.clear();
        taken
    }

    fn give_back(mut self: Box<Self>) {
        if self.ops.capacity() > SCRATCH_KEEP_OPS {
            return;
        }
        self.ops.clear();
        self.snapshots.clear();
        self.consts.clear();
        self.confined.clear();
        self.bins.clear();
        // A thread being torn down has no pool any more: the scratch is simply freed.
        let _ = SCRATCH.try_with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < SCRATCH_POOL {
                p.push(self);
            }
        });
    }
}

impl Drop for Builder {
    fn drop(&mut self) {
        // SAFETY: the builder is being dropped; `s` is not used again.
        unsafe { std::mem::ManuallyDrop::take(&mut self.s) }.give_back();
    }
}

/// What [`Builder::insn_start`] noted: the state to snapshot.
#[derive(Debug)]
pub struct InsnMark {
    /// The registers dirty at the instruction's start (their values: the builder's `before`).
    dirty: u32,
    flags: Option<Val>,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::with(true, true)
    }

    /// A builder that confines memory addresses or not, and notes each instruction's fault
    /// snapshots or not (see [`Builder::unconfined`], [`Builder::for_uses`]).
    #[inline(always)]
    pub fn with(confine: bool, snapshots: bool) -> Self {
        Self {
            s: std::mem::ManuallyDrop::new(Scratch::take()),
            regs: RegVals::NONE,
            dirty: 0,
            changed: 0,
            before: RegVals::NONE,
            flags: None,
            flags_dirty: false,
            side_lists: Vec::new(),
            cond_alts: Vec::new(),
            pending_insn: None,
            confine,
            snapshots,
        }
    }

    /// A builder that leaves guest addresses as they are (to measure what confinement costs).
    pub fn unconfined() -> Self {
        Self::with(false, true)
    }

    /// A builder for a block that is lifted only for the guest registers it reads and writes
    /// (the successor analysis): its code is never made, so it needs neither confined
    /// addresses nor fault snapshots (they were a quarter of the successor analysis, which is a
    /// fifth of an optimised translation).
    pub fn for_uses() -> Self {
        Self::with(false, false)
    }

    /// Append an op, returning the value it defines. The address of a memory access is replaced
    /// by its confined form ([`Op::Confine`]).
    // Inlined: each caller's op is then built where the vector holds it, the match on its kind
    // decided where it is made (a 32-byte op passed through the stack was read back with wider
    // loads than it was stored with, a stalled store forwarding at each push; bench_jit 0.98x).
    #[inline(always)]
    pub fn push(&mut self, mut op: Op) -> Val {
        if self.pending_insn.is_some() && op.accesses_memory() {
            let pc = self.pending_insn.take().expect("just seen");
            self.s.ops.push(Op::InsnStart(pc));
        }
        if let Op::Bin(o, sz, a, b) = op {
            if let Some(v) = self.s.bins.get(&(o, sz, a, b)) {
                return v;
            }
            let v = Val(self.s.ops.len() as u32);
            self.s.ops.push(op);
            self.s.bins.insert((o, sz, a, b), v);
            return v;
        }
        if self.confine {
            if let Some(a) = op.address_mut() {
                *a = match self.s.confined.get(a) {
                    Some(c) => c,
                    None => {
                        let c = Val(self.s.ops.len() as u32);
                        self.s.ops.push(Op::Confine(*a));
                        self.s.confined.insert(*a, c);
                        c
                    }
                };
            }
        }
        let v = Val(self.s.ops.len() as u32);
        self.s.ops.push(op);
        v
    }

    /// The op defining `v`.
    pub fn op(&self, v: Val) -> &Op {
        &self.s.ops[v.0 as usize]
    }

    /// A constant.
    pub fn konst(&mut self, c: u64) -> Val {
        if let Some(v) = self.s.consts.get(&c) {
            return v;
        }
        let v = self.push(Op::Const(c));
        self.s.consts.insert(c, v);
        v
    }

    /// Current value of guest register `n` (31 = SP).
    pub fn reg(&mut self, n: u8) -> Val {
        if let Some(v) = self.regs.get(n) {
            return v;
        }
        let v = self.push(Op::GetReg(n));
        self.regs.set(n, Some(v));
        v
    }

    /// Set guest register `n` (31 = SP); written back at the exit.
    pub fn set_reg(&mut self, n: u8, v: Val) {
        let bit = 1 << n;
        if self.changed & bit == 0 {
            self.changed |= bit;
            self.before.set(n, self.regs.get(n));
        }
        self.regs.set(n, Some(v));
        self.dirty |= bit;
    }

    /// Current flags.
    pub fn flags(&mut self) -> Val {
        if let Some(f) = self.flags {
            return f;
        }
        let f = self.push(Op::GetFlags);
        self.flags = Some(f);
        f
    }

    /// Set the flags; written back at the exit.
    pub fn set_flags(&mut self, f: Val) {
        self.flags = Some(f);
        self.flags_dirty = true;
    }

    /// Write cached state back before an op that reads or writes CpuState behind the cache's back
    /// (helper calls see CpuState), without forgetting the cached values.
    pub fn sync(&mut self) {
        for n in bits(self.dirty) {
            let v = self.regs.get(n).expect("dirty register has a value");
            self.push(Op::SetReg(n, v));
        }
        self.dirty = 0;
        if self.flags_dirty {
            let f = self.flags.expect("dirty flags have a value");
            self.push(Op::SetFlags(f));
            self.flags_dirty = false;
        }
    }

    /// Registers in `mask` (bit n = X`n`, bit 31 = SP) are overwritten before being read by
    /// every successor: do not write them back at the exit.
    pub fn drop_dead(&mut self, mask: u32) {
        self.dirty &= !mask;
    }

    /// Forget cached register values (after a helper changed registers in CpuState). Call
    /// [`Builder::sync`] before the helper so that nothing dirty is lost.
    pub fn forget_regs(&mut self) {
        debug_assert_eq!(self.dirty, 0);
        // The instruction's snapshots still need the values its start had.
        for n in bits(!self.changed) {
            self.before.set(n, self.regs.get(n));
        }
        self.changed = u32::MAX;
        self.regs = RegVals::NONE;
    }

    /// Before lifting a guest instruction at `pc`: note the guest state CpuState may lack
    /// (registers and flags not written back yet), for the case it accesses memory.
    /// (None when the builder takes no snapshots.)
    pub fn insn_start(&mut self, pc: u64) -> Option<InsnMark> {
        if !self.snapshots {
            return None;
        }
        self.pending_insn = Some(pc);
        self.changed = 0;
        Some(InsnMark {
            dirty: self.dirty,
            flags: self.flags.filter(|_| self.flags_dirty),
        })
    }

    /// After lifting the instruction of `mark`: its snapshots if it accessed memory, else
    /// nothing.
    pub fn insn_end(&mut self, mark: Option<InsnMark>) {
        let Some(mark) = mark else { return };
        if self.pending_insn.take().is_some() {
            return;
        }
        // A register dirty at the start had the value noted at its first set since, or has it
        // still.
        let (changed, before, regs) = (self.changed, &self.before, &self.regs);
        let at_start = |n: u8| {
            if changed & (1 << n) != 0 {
                before.get(n)
            } else {
                regs.get(n)
            }
        };
        let list = snap_list(&mut self.s.snapshots, mark.dirty, at_start, mark.flags);
        self.push(Op::Snapshots(list));
    }

    /// Leave for `target` when `cond` holds for `flags`, with the dirty registers and flags
    /// written back on that way out only ([`Op::SideExit`]); false (nothing pushed) when the
    /// dirty flags are of a kind a side exit does not write back (those of ADCS/SBCS, which
    /// would need computing there).
    pub fn side_exit(&mut self, cond: CondCode, flags: Val, target: u64) -> bool {
        let flags_now = self.flags.filter(|_| self.flags_dirty);
        if let Some(f) = flags_now {
            if matches!(self.s.ops[f.0 as usize], Op::FlagsAdc(..) | Op::FlagsSbc(..)) {
                return false;
            }
        }
        let regs = &self.regs;
        let state = snap_list(&mut self.s.snapshots, self.dirty, |n| regs.get(n), flags_now);
        self.s.ops.push(Op::SideExit {
            cond,
            flags,
            target,
            state,
        });
        self.side_lists.push(state);
        true
    }

    /// Number of ops so far.
    pub fn len(&self) -> usize {
        self.s.ops.len()
    }

    /// Whether no op was pushed.
    pub fn is_empty(&self) -> bool {
        self.s.ops.is_empty()
    }

    /// Before the exit's write-backs: snapshots of the values they write to the same register
    /// need not keep those values live (see [`Snap::keeps_live`]).
    fn keep_live_only_if_needed(&mut self) {
        let mut written = [None; 33];
        for n in bits(self.dirty) {
            written[n as usize] = self.regs.get(n);
        }
        if self.flags_dirty {
            written[SNAPSHOT_FLAGS as usize] = self.flags;
        }
        // (Only instructions' snapshots: a side exit writes its values back, so it uses them.)
        let side = |i: u32| self.side_lists.iter().any(|l| i >= l.first && i < l.first + l.len);
        for (i, s) in self.s.snapshots.iter_mut().enumerate() {
            s.keeps_live = side(i as u32) || written[s.reg as usize] != Some(s.val);
        }
    }

    /// Finish the block: write back dirty state and attach the exit. With `flags_live` false
    /// the flags are known to be overwritten before any later read, and are not written back.
    /// (By reference: the builder is large, and moving it into here was a copy per block; it
    /// is spent afterwards.)
    pub fn finish(&mut self, guest_pc: u64, guest_len: u32, exit: Exit, flags_live: bool) -> Block {
        if !flags_live {
            self.flags_dirty = false;
        }
        self.keep_live_only_if_needed();
        self.sync();
        let (ops, snapshots, last_use) = self.s.take_vectors();
        Block {
            guest_pc,
            guest_len,
            ops,
            snapshots,
            exit,
            ranges: smallvec::smallvec![(guest_pc, guest_pc + 4 * guest_len as u64)],
            depends: Vec::new(),
            last_use,
            cond_alts: std::mem::take(&mut self.cond_alts),
        }
    }

    /// Note that the op at `at` tests a condition the lifter rewrote, `cond` on `flags` before
    /// (see [`Block::cond_alts`]).
    pub fn note_cond_alt(&mut self, at: Val, cond: CondCode, flags: Val) {
        self.cond_alts.push(CondAlt { at: at.0, cond, flags });
    }
}

/// The set bits of `mask`, lowest first.
fn bits(mut mask: u32) -> impl Iterator<Item = u8> {
    std::iter::from_fn(move || {
        let n = mask.trailing_zeros();
        mask &= mask.wrapping_sub(1);
        (n < 32).then_some(n as u8)
    })
}

/// Append to `snapshots` the state CpuState lacks: the registers in `dirty` with their
/// values (`value_of`), then the `flags` if dirty: their list.
fn snap_list(
    snapshots: &mut Vec<Snap>,
    dirty: u32,
    value_of: impl Fn(u8) -> Option<Val>,
    flags: Option<Val>,
) -> SnapList {
    let first = snapshots.len() as u32;
    for n in bits(dirty) {
        let val = value_of(n).expect("dirty register has a value");
        snapshots.push(Snap {
            reg: n,
            val,
            keeps_live: true,
        });
    }
    if let Some(val) = flags {
        snapshots.push(Snap {
            reg: SNAPSHOT_FLAGS,
            val,
            keeps_live: true,
        });
    }
    let len = snapshots.len() as u32 - first;
    SnapList { first, len }
}

/// The values of the 32 guest registers a builder holds (or none), four bytes each: the
/// builder is moved and copied, and `Option<Val>` takes eight.
#[derive(Clone, Copy)]
struct RegVals([u32; 32]);

impl RegVals {
    /// No value: a `Val` is an op's index, never this.
    const ABSENT: u32 = u32::MAX;
    const NONE: RegVals = RegVals([Self::ABSENT; 32]);

    fn get(&self, n: u8) -> Option<Val> {
        let v = self.0[n as usize];
        (v != Self::ABSENT).then_some(Val(v))
    }

    fn set(&mut self, n: u8, v: Option<Val>) {
        self.0[n as usize] = v.map_or(Self::ABSENT, |v| v.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::LoadTy;

    /// The snapshots of an instruction (the guest state at its start, for a fault in it) hold the
    /// values its registers had at its start, whatever it set them to before accessing memory,
    /// a helper's forgetting the cached registers included.
    #[test]
    fn snapshots_hold_the_values_at_the_instructions_start() {
        let mut b = Builder::new();
        let (one, two, three) = (b.konst(1), b.konst(2), b.konst(3));
        b.set_reg(1, one);
        b.set_reg(2, two);
        let mark = b.insn_start(0x1000);
        // X1 set before the access; X2 after a helper made the builder forget its registers.
        b.set_reg(1, three);
        b.sync();
        b.forget_regs();
        b.set_reg(2, three);
        let base = b.reg(3);
        b.push(Op::Load(LoadTy::U64, base, 0));
        b.insn_end(mark);
        let block = b.finish(0x1000, 1, Exit::Jump(0x1004), true);
        let Some(&Op::Snapshots(list)) = block.ops.iter().find(|o| matches!(o, Op::Snapshots(_))) else {
            panic!("no snapshots:\n{block}");
        };
        let snaps: Vec<(u8, Val)> = block.snaps(list).iter().map(|s| (s.reg, s.val)).collect();
        assert_eq!(snaps, [(1, one), (2, two)], "{block}");
    }
}
