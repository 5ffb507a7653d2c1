//! A64 -> IR: lifts one basic block, instruction by instruction, through the lift function of
//! each instruction's encoding group. Written in the Arm ARM's vocabulary.

mod branch;
mod cond;
mod crypto64;
mod dp;
mod fp;
mod ldst;
mod simd;
mod system;
mod words;

use crate::a64::{self, BranchInst, Cond, Extend, FeatureSet, Inst, Reg, Shift, Width};
use crate::ir::{BinOp, Block, Builder, CondCode, Exit, LoadTy, Op, Sz, UnOp, Val};
pub use words::{GuestWords, Run, RunsBuilder, MAX_RUN};

/// Lifting state of one block.
pub struct Ctx {
    /// The IR being built.
    pub b: Builder,
    /// Address of the instruction being lifted.
    pub pc: u64,
}

/// Block-building limits.
#[derive(Debug, Clone, Copy)]
pub struct LiftOptions {
    /// Maximum guest instructions per block.
    pub max_insns: u32,
    /// Continue a block at the target of an unconditional direct branch or call.
    pub follow_branches: bool,
    /// Continue a block past a forward conditional branch, which leaves through a side exit
    /// ([`crate::ir::Op::SideExit`]) when taken.
    pub side_exits: bool,
    /// Confine guest memory accesses to the guest region (see [`crate::confine`]); off only to
    /// measure what that costs.
    pub confine: bool,
    /// Leave out the write-backs of registers (and the flags) that every successor overwrites
    /// before reading. Off under a debugger, which reads the registers at block boundaries.
    pub drop_dead_writebacks: bool,
    /// The CPU's features (`-cpu`): an instruction of a feature it lacks is unallocated.
    pub features: FeatureSet,
}

impl Default for LiftOptions {
    fn default() -> Self {
        Self {
            max_insns: 64,
            follow_branches: true,
            side_exits: true,
            confine: true,
            drop_dead_writebacks: true,
            features: FeatureSet::ALL,
        }
    }
}

/// Lift the block starting at `pc`. `fetch` reads an instruction word, or None when the address
/// is not executable. Returns None only if the first instruction cannot be fetched.
pub fn lift_block(pc: u64, fetch: &dyn Fn(u64) -> Option<u32>, opts: LiftOptions) -> Option<Block> {
    if !opts.drop_dead_writebacks {
        // Without the successor analysis a block reads only its own words (a followed branch's
        // target starts its next range): its ranges are all it depends on.
        return lift(pc, fetch, opts, Lift::Block { analyze: false });
    }
    lift_block_reading(pc, fetch, opts).map(|(block, _)| block)
}

thread_local! {
    /// The words read by the lift under way, reused from block to block.
    static READING: std::cell::Cell<Vec<(u64, Option<u32>)>> = const { std::cell::Cell::new(Vec::new()) };
}

/// [`lift_block`], and the words it read: what the translation depends on (with the successor
/// analysis, the successors' words too: the translation is dropped when any of them changes, so
/// they become [`Block::depends`]) and what lifting it again must see.
pub fn lift_block_reading(
    pc: u64,
    fetch: &dyn Fn(u64) -> Option<u32>,
    opts: LiftOptions,
) -> Option<(Block, GuestWords)> {
    let mut scratch = READING.take();
    scratch.clear();
    scratch.reserve(2 * opts.max_insns as usize);
    let read = std::cell::RefCell::new(scratch);
    let recording = |a: u64| {
        let w = fetch(a);
        read.borrow_mut().push((a, w));
        w
    };
    let block = lift(
        pc,
        &recording,
        opts,
        Lift::Block {
            analyze: opts.drop_dead_writebacks,
        },
    );
    let mut read = read.into_inner();
    read.sort_unstable_by_key(|&(a, _)| a);
    read.dedup_by_key(|&mut (a, _)| a);
    let words = GuestWords::new(&read);
    READING.set(read);
    let mut block = block?;
    if opts.drop_dead_writebacks {
        for r in words.runs() {
            let end = r.start + 4 * u64::from(r.len);
            match block.depends.last_mut() {
                Some((_, e)) if *e == r.start => *e = end,
                _ => block.depends.push((r.start, end)),
            }
        }
    }
    Some((block, words))
}

/// How a block is lifted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lift {
    /// To be translated: looking at the successors to leave out dead write-backs, or not.
    Block { analyze: bool },
    /// Only for the guest registers it reads and writes (a successor, for `dead_after`).
    Uses,
}

/// Lift a block as `how` says.
fn lift(pc: u64, fetch: &dyn Fn(u64) -> Option<u32>, opts: LiftOptions, how: Lift) -> Option<Block> {
    let analyze = how == Lift::Block { analyze: true };
    let quick = how == Lift::Block { analyze: false };
    // (Made where it stays: the builder is large, and moving it was a copy a block.)
    let mut cx = Ctx {
        b: Builder::with(how != Lift::Uses && opts.confine, how != Lift::Uses),
        pc,
    };
    let mut n = 0u32;
    let mut ranges = crate::ir::Ranges::new();
    let mut start = pc;
    let mut side_exits = 0;
    let finish = |cx: &mut Ctx, n: u32, exit: Exit, live: bool, mut ranges: crate::ir::Ranges, start: u64, end: u64| {
        let mut b = cx.b.finish(pc, n, exit, live);
        // Without a followed branch the block is the one range `finish` recorded.
        if !ranges.is_empty() {
            ranges.push((start, end));
            b.ranges = ranges;
        }
        debug_assert_eq!(b.ranges.last(), Some(&(start, end)));
        b
    };
    loop {
        let Some(word) = fetch(cx.pc) else {
            if n == 0 {
                return None;
            }
            let end = cx.pc;
            return Some(finish(&mut cx, n, Exit::Jump(end), true, ranges, start, end));
        };
        let inst = a64::decode_for(word, opts.features);
        n += 1;
        // Follow unconditional direct branches (and calls) into one longer block: fewer
        // block transitions, so fewer guest-register loads and stores. Never into code this
        // block already covers, and never on the last instruction slot.
        if let Inst::Branch(BranchInst::B { link, offset }) = inst {
            let target = cx.pc.wrapping_add(offset as u64);
            let covered = covers(pc, &ranges, (start, cx.pc), target);
            if opts.follow_branches && n + 1 < opts.max_insns && !covered && fetch(target).is_some() {
                if link {
                    let r = cx.k(cx.pc.wrapping_add(4));
                    cx.b.set_reg(30, r);
                }
                ranges.push((start, cx.pc + 4));
                start = target;
                cx.pc = target;
                continue;
            }
        }
        let mark = cx.b.insn_start(cx.pc);
        let exit = lift_inst(&mut cx, inst);
        cx.b.insn_end(mark);
        // Go on past a forward conditional branch, leaving through a side exit when it is
        // taken: the code after it is usually run next, and so its registers stay in host
        // registers. (Backward branches end the block: a loop's back edge is its exit.) A quick
        // translation goes past fewer and only far ones (see [`QUICK_SIDE_EXITS`]): for it,
        // a block fewer is work saved at every later start that places it from the store.
        if let Some(Exit::Branch {
            cond,
            flags,
            taken,
            not_taken,
        }) = exit
        {
            let next = cx.pc + 4;
            let covered = covers(pc, &ranges, (start, cx.pc), next);
            let (most, reach) = if quick {
                (QUICK_SIDE_EXITS, QUICK_SIDE_EXIT_REACH)
            } else {
                (MAX_SIDE_EXITS, 0)
            };
            if opts.side_exits
                && side_exits < most
                && n + 1 < opts.max_insns
                && taken > cx.pc
                && taken - cx.pc >= reach
                && not_taken == next
                && !covered
                && fetch(next).is_some()
                && side_exit(&mut cx, quick, cond, flags, taken)
            {
                side_exits += 1;
                cx.pc = next;
                continue;
            }
        }
        if let Some(exit) = exit {
            // A successor lifted for `dead_after` is only read for its register uses: its flags
            // liveness is not worth the look ahead.
            let live = !analyze || flags_live_after(&exit, fetch, opts.features);
            if analyze {
                cx.b.drop_dead(dead_after(&exit, fetch, opts));
            }
            let end = cx.pc + 4;
            return Some(finish(&mut cx, n, exit, live, ranges, start, end));
        }
        cx.pc += 4;
        if n >= opts.max_insns {
            let exit = Exit::Jump(cx.pc);
            let live = !analyze || flags_live_after(&exit, fetch, opts.features);
            if analyze {
                cx.b.drop_dead(dead_after(&exit, fetch, opts));
            }
            let end = cx.pc;
            return Some(finish(&mut cx, n, exit, live, ranges, start, end));
        }
    }
}

/// Leave for `taken` when `cond` holds for `flags` ([`Builder::side_exit`]). A quick
/// translation writes every dirty register and the flags back first, on both ways: it keeps
/// everything it changes dirty until its exit, so after a side exit every later memory access's
/// snapshot and the next side exit would list them all again (quick blocks with side exits
/// took 1.15x the translation time per guest instruction without; the same with).
fn side_exit(cx: &mut Ctx, quick: bool, cond: CondCode, flags: Val, taken: u64) -> bool {
    if quick {
        cx.b.sync();
    }
    cx.b.side_exit(cond, flags, taken)
}

/// Whether the block starting at `pc` already covers address `a`: its finished ranges, or the
/// current one, `[start, last]` (the instruction being lifted included).
fn covers(pc: u64, ranges: &[(u64, u64)], (start, last): (u64, u64), a: u64) -> bool {
    a == pc || ranges.iter().any(|&(s, e)| a >= s && a < e) || (a >= start && a <= last)
}

/// Side exits a block may have (forward conditional branches it goes on past).
const MAX_SIDE_EXITS: u32 = 4;

/// Side exits a quick translation may have, and how far ahead (in bytes) a branch's target
/// must lie for it to be one: a near forward branch skips a few instructions and its target is
/// soon reached by falling through as well, so going on past it translates that code twice (a
/// block of its own for the target), where a far one (an error path, a function's other arm)
/// rarely is. Of the settings measured on `python3 -c pass`, gcc-12 compiling hello and Node
/// (2026-12-07, paired runs: none, one, two or four at any distance, one from 256 bytes, two
/// from 128, two and four from 256), two from 256 with the write-back of [`side_exit`] saved
/// the most blocks without making cold starts slower; `docs/translator.md` has the figures.
const QUICK_SIDE_EXITS: u32 = 2;
/// See [`QUICK_SIDE_EXITS`].
const QUICK_SIDE_EXIT_REACH: u64 = 256;

/// How much of each successor [`dead_after`] lifts.
const SUCCESSOR_INSNS: u32 = 16;

/// Guest registers (bit n = X`n`, bit 31 = SP) that every successor of a block writes before
/// reading: their values at the exit are dead. Found by lifting the successors (without
/// emitting them); any successor that hands registers to the outside (a syscall, a helper on
/// CpuState, an indirect branch) keeps everything it does not write itself live.
fn dead_after(exit: &Exit, fetch: &dyn Fn(u64) -> Option<u32>, opts: LiftOptions) -> u32 {
    let targets: &[u64] = match exit {
        Exit::Jump(t) => &[*t],
        Exit::Branch { taken, not_taken, .. } => &[*taken, *not_taken],
        _ => return 0,
    };
    // A register the first instructions of a successor write before reading is dead whatever
    // the rest does, so a prefix is enough (and is most of what the rest would find).
    let opts = LiftOptions {
        max_insns: opts.max_insns.min(SUCCESSOR_INSNS),
        ..opts
    };
    let mut dead = u32::MAX;
    for &t in targets {
        let Some(succ) = lift(t, fetch, opts, Lift::Uses) else {
            return 0;
        };
        if !matches!(succ.exit, Exit::Jump(_) | Exit::Branch { .. } | Exit::Indirect(_)) {
            return 0;
        }
        let (mut reads, mut writes) = (0u32, 0u32);
        // A side exit leaves with only the registers written before it: a register is written
        // on every way out when the exit and each side exit write it.
        let mut on_side_exits = u32::MAX;
        for op in &succ.ops {
            match *op {
                Op::GetReg(n) => reads |= 1 << n,
                Op::SetReg(n, _) => writes |= 1 << n,
                Op::PairHelper { .. } => return 0,
                Op::SideExit { state, .. } => {
                    let written = succ.snaps(state).iter().filter(|s| s.reg < 32);
                    on_side_exits &= written.fold(0, |m, s| m | 1 << s.reg);
                }
                _ => {}
            }
        }
        dead &= writes & on_side_exits & !reads;
    }
    dead
}

/// How an instruction uses NZCV.
enum FlagsUse {
    Reads,
    Writes,
    Neither,
}

fn flags_use(inst: &Inst) -> FlagsUse {
    use a64::fp::FpInst;
    use a64::{DpInst as D, LogicOp::Ands, SysInst, SysReg::Nzcv};
    match *inst {
        Inst::Branch(BranchInst::BCond { cond, .. }) if !matches!(cond, Cond::Al | Cond::Nv) => FlagsUse::Reads,
        Inst::Dp(D::CondSelect { .. } | D::CondCompare { .. } | D::AddSubCarry { .. } | D::FlagM(_)) => FlagsUse::Reads,
        Inst::System(SysInst::Mrs { reg: Nzcv, .. }) => FlagsUse::Reads,
        Inst::Dp(
            D::AddSubImm { setflags: true, .. }
            | D::AddSubShifted { setflags: true, .. }
            | D::AddSubExtended { setflags: true, .. }
            | D::LogicalImm { op: Ands, .. }
            | D::LogicalShifted { op: Ands, .. },
        ) => FlagsUse::Writes,
        Inst::System(
            SysInst::Msr { reg: Nzcv, .. }
            | SysInst::Mrs {
                reg: a64::SysReg::Rndr { .. },
                ..
            },
        ) => FlagsUse::Writes,
        Inst::Fp(FpInst::Cmp { .. }) => FlagsUse::Writes,
        Inst::Fp(FpInst::Ccmp { .. } | FpInst::Csel { .. }) => FlagsUse::Reads,
        _ => FlagsUse::Neither,
    }
}

/// Whether the guest may read the flags a block leaves before overwriting them: looks at the
/// straight-line code at each successor (a few instructions, stopping at the first branch or
/// anything that could leave the VM's view, e.g. SVC — the kernel preserves NZCV).
fn flags_live_after(exit: &Exit, fetch: &dyn Fn(u64) -> Option<u32>, features: FeatureSet) -> bool {
    let targets: &[u64] = match exit {
        Exit::Jump(t) => &[*t],
        Exit::Branch { taken, not_taken, .. } => &[*taken, *not_taken],
        _ => return true,
    };
    let mut budget = 32;
    targets
        .iter()
        .any(|&t| flags_live_at(t, fetch, features, &mut budget, 2))
}

/// Whether code at `pc` may read NZCV before writing it: follows unconditional direct branches
/// and calls, and both ways of CBZ/TBZ up to `depth` times, within a budget of instructions.
fn flags_live_at(
    mut pc: u64,
    fetch: &dyn Fn(u64) -> Option<u32>,
    features: FeatureSet,
    budget: &mut u32,
    depth: u32,
) -> bool {
    loop {
        if *budget == 0 {
            return true;
        }
        *budget -= 1;
        let Some(w) = fetch(pc) else { return true };
        let inst = a64::decode_for(w, features);
        match flags_use(&inst) {
            FlagsUse::Reads => return true,
            FlagsUse::Writes => return false,
            FlagsUse::Neither => {}
        }
        match inst {
            // B.AL and B.NV branch unconditionally too (and read no flags).
            Inst::Branch(
                BranchInst::B { offset, .. }
                | BranchInst::BCond {
                    cond: Cond::Al | Cond::Nv,
                    offset,
                },
            ) => pc = pc.wrapping_add(offset as u64),
            Inst::Branch(BranchInst::Cbz { offset, .. } | BranchInst::Tbz { offset, .. }) => {
                if depth == 0 {
                    return true;
                }
                return flags_live_at(pc.wrapping_add(offset as u64), fetch, features, budget, depth - 1)
                    || flags_live_at(pc + 4, fetch, features, budget, depth - 1);
            }
            // Indirect branches, exceptions (a signal frame shows NZCV), SIGILL.
            Inst::Branch(BranchInst::BranchReg { .. } | BranchInst::Svc { .. } | BranchInst::Brk { .. })
            | Inst::Undefined => return true,
            _ => pc += 4,
        }
    }
}

/// Lift one instruction; `Some(exit)` when it ends the block.
pub fn lift_inst(cx: &mut Ctx, inst: Inst) -> Option<Exit> {
    match inst {
        Inst::Dp(i) => {
            dp::lift(cx, i);
            None
        }
        Inst::Branch(i) => Some(branch::lift(cx, i)),
        Inst::System(i) => system::lift(cx, i),
        Inst::Mem(i) => ldst::lift(cx, i),
        Inst::Simd(i) => {
            simd::lift(cx, i);
            None
        }
        Inst::Fp(i) => {
            fp::lift(cx, i);
            None
        }
        Inst::Undefined => Some(Exit::Undefined { pc: cx.pc }),
    }
}

/// IR size of an A64 width.
pub fn sz(w: Width) -> Sz {
    match w {
        Width::W32 => Sz::S32,
        Width::W64 => Sz::S64,
    }
}

/// IR condition of an A64 condition.
pub fn cc(c: Cond) -> CondCode {
    CondCode(c as u8)
}

impl Ctx {
    /// Read a general register (the full 64 bits; 32-bit ops ignore the top half).
    pub fn read(&mut self, r: Reg) -> Val {
        match r {
            Reg::Zr => self.b.konst(0),
            Reg::Sp => self.b.reg(31),
            Reg::X(n) => self.b.reg(n),
        }
    }

    /// Write a general register; 32-bit writes zero the top half.
    pub fn write(&mut self, r: Reg, w: Width, v: Val) {
        let v = if w == Width::W32 && !self.is_zext32(v) {
            self.un(UnOp::Zext32, Sz::S64, v)
        } else {
            v
        };
        match r {
            Reg::Zr => {}
            Reg::Sp => self.b.set_reg(31, v),
            Reg::X(n) => self.b.set_reg(n, v),
        }
    }

    fn is_zext32(&self, v: Val) -> bool {
        match *self.b.op(v) {
            // A select of two such values (CSET, CSETM, CSINV of constants, a CSEL of W
            // results): looked at one level down only.
            Op::Select(_, _, a, b) => self.is_zext32_leaf(a) && self.is_zext32_leaf(b),
            _ => self.is_zext32_leaf(v),
        }
    }

    /// Whether `v`'s op always leaves the top 32 bits zero (see [`Ctx::is_zext32`]).
    fn is_zext32_leaf(&self, v: Val) -> bool {
        match *self.b.op(v) {
            Op::Bin(_, Sz::S32, ..) | Op::Un(_, Sz::S32, _) => true,
            Op::Un(UnOp::Zext8 | UnOp::Zext16 | UnOp::Zext32, ..) => true,
            Op::Load(LoadTy::U8 | LoadTy::U16 | LoadTy::U32, ..) => true,
            Op::Const(c) => c >> 32 == 0,
            Op::CondVal(..) | Op::StoreExcl(..) | Op::Nzcv(_) => true,
            _ => false,
        }
    }

    /// A constant.
    pub fn k(&mut self, c: u64) -> Val {
        self.b.konst(c)
    }

    /// A binary op. Constants fold, and an op that is one of its operands by an identity
    /// ([`identity`]) is that operand (zero-extended for 32 bits).
    pub fn bin(&mut self, op: BinOp, s: Sz, a: Val, b: Val) -> Val {
        // Constant operands fold here (ADRP + ADD, MOVZ + MOVK, ...), with the interpreter's
        // semantics so that folding cannot change a result.
        let (ca, cb) = (self.b.op(a).as_const(), self.b.op(b).as_const());
        if let (Some(x), Some(y)) = (ca, cb) {
            return self.k(crate::ir::interp::bin(op, s, x, y));
        }
        if let Some(v) = self.fold_offsets(op, s, a, cb) {
            return v;
        }
        match identity(op, s, ca, cb) {
            Some(Same::A) => self.sized(s, a),
            Some(Same::B) => self.sized(s, b),
            Some(Same::Const(c)) => self.k(c),
            None => self.b.push(Op::Bin(op, s, a, b)),
        }
    }

    /// `a + c2` or `a - c2` where `a` is itself `x + c1` or `x - c1` of the same size: one
    /// addition of `x` and a constant, exact in the op's width (a chain of ADD/SUB immediates
    /// on one register, as unrolled loops and stack adjustments make, is one host instruction;
    /// those before it are left to the dead-code pass where nothing else reads them).
    fn fold_offsets(&mut self, op: BinOp, s: Sz, a: Val, cb: Option<u64>) -> Option<Val> {
        use crate::ir::interp::bin;
        let c2 = cb?;
        if !matches!(op, BinOp::Add | BinOp::Sub) {
            return None;
        }
        let Op::Bin(inner @ (BinOp::Add | BinOp::Sub), s1, x, k1) = *self.b.op(a) else {
            return None;
        };
        let c1 = self.b.op(k1).as_const().filter(|_| s1 == s)?;
        // x + c1 + c2, x + c1 - c2, x - c1 + c2, x - c1 - c2: x + (±c1 ± c2).
        let first = if inner == BinOp::Add {
            c1
        } else {
            bin(BinOp::Sub, s, 0, c1)
        };
        let total = bin(op, s, first, c2);
        let k = self.k(total);
        Some(self.bin(BinOp::Add, s, x, k))
    }

    /// `v` as the result of an op of size `s` (zero-extended from 32 bits when it is not yet).
    fn sized(&mut self, s: Sz, v: Val) -> Val {
        match s {
            Sz::S64 => v,
            Sz::S32 => self.un(UnOp::Zext32, Sz::S64, v),
        }
    }

    /// A unary op (constants fold; a zero-extension of a zero-extended value is the value).
    pub fn un(&mut self, op: UnOp, s: Sz, a: Val) -> Val {
        if let Op::Const(x) = *self.b.op(a) {
            return self.k(crate::ir::interp::un(op, s, x));
        }
        if op == UnOp::Zext32 && self.is_zext32(a) {
            return a;
        }
        self.b.push(Op::Un(op, s, a))
    }

    /// `Shift(value, type, amount)` of shifted-register operands.
    pub fn shift(&mut self, v: Val, shift: Shift, amount: u8, s: Sz) -> Val {
        if amount == 0 {
            return v;
        }
        let a = self.k(amount as u64);
        let op = match shift {
            Shift::Lsl => BinOp::Shl,
            Shift::Lsr => BinOp::Lshr,
            Shift::Asr => BinOp::Ashr,
            Shift::Ror => BinOp::Ror,
        };
        self.bin(op, s, v, a)
    }

    /// `ExtendReg(reg, type, shift)`.
    pub fn extend(&mut self, v: Val, e: Extend, shift: u8) -> Val {
        let op = match e {
            Extend::Uxtb => Some(UnOp::Zext8),
            Extend::Uxth => Some(UnOp::Zext16),
            Extend::Uxtw => Some(UnOp::Zext32),
            Extend::Sxtb => Some(UnOp::Sext8),
            Extend::Sxth => Some(UnOp::Sext16),
            Extend::Sxtw => Some(UnOp::Sext32),
            Extend::Uxtx | Extend::Sxtx => None,
        };
        let v = match op {
            Some(op) => self.un(op, Sz::S64, v),
            None => v,
        };
        if shift == 0 {
            v
        } else {
            let s = self.k(shift as u64);
            self.bin(BinOp::Shl, Sz::S64, v, s)
        }
    }
}

/// What an integer op with one constant operand is without computing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Same {
    /// The first operand (at the op's size).
    A,
    /// The second operand (at the op's size).
    B,
    /// A constant.
    Const(u64),
}

/// The algebraic identities of `op` when `a` or `b` is the constant given (`MOV` is `ORR` with
/// the zero register, `MOV` to or from SP an `ADD` of 0, `MUL` by 1, ...); None if the op must
/// be computed.
fn identity(op: BinOp, s: Sz, a: Option<u64>, b: Option<u64>) -> Option<Same> {
    let ones = match s {
        Sz::S32 => u32::MAX as u64,
        Sz::S64 => u64::MAX,
    };
    let trunc = |c: u64| c & ones;
    let (a, b) = (a.map(trunc), b.map(trunc));
    match (op, a, b) {
        (BinOp::Add | BinOp::Or | BinOp::Xor, Some(0), _) => Some(Same::B),
        (BinOp::Add | BinOp::Sub | BinOp::Or | BinOp::Xor, _, Some(0)) => Some(Same::A),
        (BinOp::Shl | BinOp::Lshr | BinOp::Ashr | BinOp::Ror, _, Some(0)) => Some(Same::A),
        (BinOp::And, Some(c), _) if c == ones => Some(Same::B),
        (BinOp::And, _, Some(c)) if c == ones => Some(Same::A),
        (BinOp::Mul, Some(1), _) => Some(Same::B),
        (BinOp::Mul, _, Some(1)) => Some(Same::A),
        (BinOp::And | BinOp::Mul, Some(0), _) | (BinOp::And | BinOp::Mul, _, Some(0)) => Some(Same::Const(0)),
        (BinOp::Shl | BinOp::Lshr | BinOp::Ashr | BinOp::Ror, Some(0), _) => Some(Same::Const(0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::interp;

    /// Every identity agrees with the interpreter's evaluation of the op, at both sizes, for
    /// the constants that trigger them against operands with bits in both halves.
    #[test]
    fn identities_agree_with_the_interpreter() {
        use BinOp::*;
        let ops = [
            Add, Sub, And, Or, Xor, Shl, Lshr, Ashr, Ror, Mul, UMulH, SMulH, UDiv, SDiv,
        ];
        let consts = [0, 1, u32::MAX as u64, u64::MAX, 1 << 32, 0x1_0000_0001];
        let others = [0x8000_0000_f00d_0001u64, 7, 0xffff_ffff_8000_0000, 0x1_0000_0000];
        let zext = |s: Sz, v: u64| if s == Sz::S32 { v & u32::MAX as u64 } else { v };
        let mut seen = 0;
        for op in ops {
            for s in [Sz::S32, Sz::S64] {
                for c in consts {
                    for x in others {
                        for (a, b, ca, cb) in [(c, x, Some(c), None), (x, c, None, Some(c))] {
                            let want = interp::bin(op, s, a, b);
                            let got = match identity(op, s, ca, cb) {
                                Some(Same::A) => zext(s, a),
                                Some(Same::B) => zext(s, b),
                                Some(Same::Const(k)) => k,
                                None => continue,
                            };
                            seen += 1;
                            assert_eq!(got, want, "{op:?} {s:?} {a:#x} {b:#x}");
                        }
                    }
                }
            }
        }
        assert!(seen > 100, "only {seen} identities applied");
    }
}
