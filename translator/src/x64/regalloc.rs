//! Register allocation for one block: values live in host registers from their definition to
//! their last use; when registers run out the value used farthest in the future is spilled to
//! the block's stack frame (Belady). Guest registers are ordinary values here, so each is loaded
//! once per block and stays in a host register while it is used.

use crate::cpu::off;
use crate::ir::{Args, Block, Op, Val, UNUSED};
use dynasmrt::{dynasm, x64::X64Relocation, DynasmApi, VecAssembler};

/// Host register numbers (x86-64 encoding order).
pub mod hreg {
    /// Scratch registers used inside single lowerings, never allocated.
    pub const RAX: u8 = 0;
    /// Scratch (shift counts).
    pub const RCX: u8 = 1;
    /// Scratch (mul/div high half).
    pub const RDX: u8 = 2;
    /// Pinned: the CpuState pointer.
    pub const CPU: u8 = 15;
    /// Pinned: what confining a guest address needs (see `x64::confine`).
    pub const CONFINE: u8 = 14;
}

/// Registers handed out to values: callee-saved ones first (they survive helper calls).
/// (r10 and r11 hold pinned guest registers: see `x64::pins`.)
pub const ALLOCATABLE: [u8; 8] = [3, 5, 12, 13, 6, 7, 8, 9];

/// The most registers of [`ALLOCATABLE`] one op's lowering holds at once: a compare-and-swap's
/// four, a select's two values and the three operands of its flags (an ADCS's: the flags are
/// computed where they are used). Registers a block reserves for itself ([`Alloc::reserve`])
/// must leave at least these.
pub const OP_REGISTERS: usize = 5;

/// Whether a host register is clobbered by a SysV call.
pub fn caller_saved(r: u8) -> bool {
    matches!(r, 0 | 1 | 2 | 6 | 7 | 8 | 9 | 10 | 11)
}

/// Number of 8-byte spill slots.
pub const SPILL_SLOTS: u32 = 512;
/// Frame size set up by the entry trampoline (keeps rsp 16-byte aligned at helper calls).
pub const FRAME_BYTES: i32 = 8 * SPILL_SLOTS as i32 + 8;

/// The allocator's state while lowering a block.
pub struct Alloc<'a> {
    block: &'a Block,
    /// (The vectors are the thread's, lent for the block: see [`Spare`].)
    reg_of: &'a mut Vec<Option<u8>>,
    slot_of: &'a mut Vec<Option<u32>>,
    /// Where each value may be spilled instead of the stack: a guest register's CpuState slot,
    /// from an op position on (see `x64::homes`).
    home: &'a mut Vec<Option<(u8, u32)>>,
    /// Whether a value's home holds it (spilled there: reloads read it, spills again store
    /// nothing).
    at_home: &'a mut Vec<bool>,
    /// Whether `home` and `at_home` are made (at the block's first spill: most blocks have none).
    homes: Homes,
    holder: [Option<Val>; 16],
    uses: &'a mut Uses,
    consts: &'a mut Vec<Option<u64>>,
    free_slots: &'a mut Vec<u32>,
    next_slot: u32,
    locked: u16,
    /// Registers kept out of allocation for the whole block (a self-loop's carriers of values
    /// from one iteration to the next that no op defines: see `x64::Carrier`).
    reserved: u16,
    /// While a fault site is lowered: each value moved out of its register, with where it went
    /// and the code offset from which that place holds it.
    pub spill_log: Option<Vec<(Val, Loc, u32)>>,
}

/// Whether an allocator's homes are made (see [`Alloc::make_homes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Homes {
    /// Not used in this block (a self-loop's).
    Off,
    /// Not needed yet: nothing was spilled.
    NotYet,
    /// Made.
    Made,
}

/// Values whose registers a flags value keeps alive (flags are recomputed where used).
pub fn flag_operands(block: &Block, f: Val) -> Args {
    match *block.op(f) {
        Op::GetFlags => Args::of(&[f]),
        ref o => o
            .flags_operands()
            .unwrap_or_else(|| unreachable!("not a flags op: {o:?}")),
    }
}

/// Where each value of a block is used last (the exit is position `ops.len()`). The next use
/// after a position, which only choosing a register to spill asks for, is found by looking
/// ahead from there ([`Uses::next`]): keeping every value's list of use positions was a tenth of
/// a quick translation.
#[derive(Debug, Default)]
struct Uses {
    /// Value `v`'s last use, or [`UNUSED`].
    last: Vec<u32>,
    /// The values used at the exit besides its arguments (a self-loop's: see [`Alloc::new`]).
    extra: Vec<Val>,
}

impl Uses {
    /// Call `f(value, position)` for every use by the block's ops and its exit (position
    /// `ops.len()`), in position order; a flags value stands for the values it is computed from.
    fn each(block: &Block, mut f: impl FnMut(u32, u32)) {
        for i in 0..block.ops.len() {
            Uses::each_at(block, i, &mut f);
        }
        for a in block.exit.args() {
            Uses::add(block, a, block.ops.len() as u32, &mut f);
        }
    }

    /// The uses of the op at `pos`, as [`Uses::each`] gives them.
    fn each_at(block: &Block, pos: usize, f: &mut impl FnMut(u32, u32)) {
        block.each_use(pos, |a| Uses::add(block, a, pos as u32, f));
    }

    /// A use of `v` at `pos`: of its operands if it is a flags value.
    fn add(block: &Block, v: Val, pos: u32, f: &mut impl FnMut(u32, u32)) {
        match block.op(v).flags_operands() {
            Some(operands) => operands.into_iter().for_each(|x| f(x.0, pos)),
            None => f(v.0, pos),
        }
    }

    /// Make these the last uses of `block`'s values (as the dead-code pass noted them, or found
    /// here), with `extra` more at the exit.
    fn fill(&mut self, block: &Block, extra: Vec<Val>) {
        let n = block.ops.len();
        let last = &mut self.last;
        last.clear();
        if block.last_use.len() == n {
            last.extend_from_slice(&block.last_use);
            if cfg!(debug_assertions) {
                let mut found = vec![UNUSED; n];
                Uses::each(block, |v, pos| found[v as usize] = pos);
                assert_eq!(found, block.last_use, "the dead-code pass's last uses\n{block}");
            }
        } else {
            last.resize(n, UNUSED);
            Uses::each(block, |v, pos| last[v as usize] = pos);
        }
        for v in &extra {
            last[v.0 as usize] = n as u32;
        }
        self.extra = extra;
    }

    fn last(&self, v: Val) -> Option<u32> {
        Some(self.last[v.0 as usize]).filter(|&l| l != UNUSED)
    }

    /// For each of `vals`, its first use at or after `pos` (`u32::MAX` if none).
    fn next(&self, block: &Block, vals: &[Val], pos: u32) -> [u32; 16] {
        let mut next = [u32::MAX; 16];
        // Only values used at or after `pos` need looking for, and only until they are found.
        let missing = std::cell::Cell::new(vals.iter().filter(|v| self.last(**v).is_some_and(|l| l >= pos)).count());
        let mut found = |v: u32, at: u32| {
            for (i, x) in vals.iter().enumerate() {
                if x.0 == v && next[i] == u32::MAX {
                    next[i] = at;
                    missing.set(missing.get() - 1);
                }
            }
        };
        let mut at = pos as usize;
        while missing.get() > 0 && at < block.ops.len() {
            Uses::each_at(block, at, &mut found);
            at += 1;
        }
        if missing.get() > 0 {
            let exit = block.ops.len() as u32;
            for a in block.exit.args() {
                Uses::add(block, a, exit, &mut found);
            }
            for v in &self.extra {
                found(v.0, exit);
            }
        }
        next
    }
}

/// An allocator's vectors, kept by the thread for its next block and lent to each block's
/// [`Alloc`] (`x64::compile`): allocating and zeroing them for every block was a twentieth of a
/// quick translation, and taking them out of the thread's keeping and putting them back moved
/// them twice a block.
#[derive(Default)]
pub struct Spare {
    reg_of: Vec<Option<u8>>,
    slot_of: Vec<Option<u32>>,
    home: Vec<Option<(u8, u32)>>,
    at_home: Vec<bool>,
    uses: Uses,
    consts: Vec<Option<u64>>,
    free_slots: Vec<u32>,
}

impl<'a> Alloc<'a> {
    /// Compute use positions for every value of the block (the exit is position `ops.len()`).
    /// With `keep_set_regs`, the values written to guest registers and the operands of the
    /// flags stay live until the exit (a self-loop's back edge moves them into the registers the
    /// loop header expects).
    pub fn new(block: &'a Block, keep_set_regs: bool, spare: &'a mut Spare) -> Self {
        let n = block.ops.len();
        let mut extra = std::mem::take(&mut spare.uses.extra);
        extra.clear();
        if keep_set_regs {
            let mut used = vec![false; n];
            Uses::each(block, |v, _| used[v as usize] = true);
            for (i, op) in block.ops.iter().enumerate() {
                match *op {
                    Op::SetReg(_, v) => extra.push(v),
                    // The back edge may carry the flags' operands to the next iteration.
                    Op::SetFlags(f) => extra.extend(block.op(f).flags_operands().into_iter().flatten()),
                    // Guest registers read by the loop stay put, so the back edge moves nothing
                    // for those the iteration did not change.
                    Op::GetReg(_) if used[i] => extra.push(Val(i as u32)),
                    _ => {}
                }
            }
        }
        spare.uses.fill(block, extra);
        spare.consts.clear();
        spare.consts.extend(
            block
                .ops
                .iter()
                .map(|o| if let Op::Const(c) = o { Some(*c) } else { None }),
        );
        spare.reg_of.clear();
        spare.reg_of.resize(n, None);
        spare.slot_of.clear();
        spare.slot_of.resize(n, None);
        spare.free_slots.clear();
        Alloc {
            block,
            reg_of: &mut spare.reg_of,
            slot_of: &mut spare.slot_of,
            home: &mut spare.home,
            at_home: &mut spare.at_home,
            // (A self-loop writes some registers on its exits only and reads its registers
            // once, before its header: its values stay off CpuState.)
            homes: if keep_set_regs { Homes::Off } else { Homes::NotYet },
            holder: [None; 16],
            uses: &mut spare.uses,
            consts: &mut spare.consts,
            free_slots: &mut spare.free_slots,
            next_slot: 0,
            locked: 0,
            reserved: 0,
            spill_log: None,
        }
    }

    /// The constant a value is, if it is one.
    pub fn konst(&self, v: Val) -> Option<u64> {
        self.consts[v.0 as usize]
    }

    /// Whether `v` is used after position `pos`.
    pub fn live_after(&self, v: Val, pos: u32) -> bool {
        self.uses.last(v).is_some_and(|l| l > pos)
    }

    /// Whether `v` is used at all.
    pub fn used(&self, v: Val) -> bool {
        self.uses.last(v).is_some()
    }

    /// The position of `v`'s last use (the exit's is the block's length), if it has one.
    pub fn last_use(&self, v: Val) -> Option<u32> {
        self.uses.last(v)
    }

    /// `v` is in pinned host register `h` (a guest register's home, never allocated): readers
    /// get `h`; nothing is evicted or spilled for it, and its last use forgets it. Only for a
    /// value whose uses leave `h` as it is (see `Lower::reads_once_next`).
    pub fn alias_pinned(&mut self, v: Val, h: u8) {
        debug_assert!(!ALLOCATABLE.contains(&h));
        self.reg_of[v.0 as usize] = Some(h);
    }

    /// Keep `r` from being chosen until [`Alloc::unlock_all`].
    pub fn lock(&mut self, r: u8) {
        self.locked |= 1 << r;
        debug_assert!(
            (self.locked & !self.reserved).count_ones() as usize <= OP_REGISTERS,
            "an op holds more than OP_REGISTERS registers"
        );
    }

    /// Release all locks (end of one op's lowering); reserved registers stay out of reach.
    pub fn unlock_all(&mut self) {
        self.locked = self.reserved;
    }

    /// The registers locked now (see [`Alloc::lock_only`]).
    pub fn locks(&self) -> u16 {
        self.locked
    }

    /// Release the locks taken since [`Alloc::locks`] said `held` (the values stay where they
    /// are, now free to be moved): for registers an op needed only for code it has emitted.
    pub fn lock_only(&mut self, held: u16) {
        self.locked = held | self.reserved;
    }

    /// The free callee-saved registers, which [`Alloc::reserve`] takes.
    fn reservable_regs(&self) -> impl Iterator<Item = u8> + '_ {
        ALLOCATABLE
            .iter()
            .copied()
            .filter(|&r| !caller_saved(r) && self.holder[r as usize].is_none() && self.locked & (1 << r) == 0)
    }

    /// How many registers [`Alloc::reserve`] could take now.
    pub fn reservable(&self) -> usize {
        self.reservable_regs().count()
    }

    /// Take a free callee-saved register out of allocation for the rest of the block (it
    /// survives helper calls, which spill only caller-saved registers), if one is free.
    pub fn reserve(&mut self) -> Option<u8> {
        let r = self.reservable_regs().next()?;
        self.reserved |= 1 << r;
        debug_assert!(self.reserved.count_ones() as usize <= ALLOCATABLE.len() - OP_REGISTERS);
        self.locked |= 1 << r;
        Some(r)
    }

    fn slot_disp(slot: u32) -> i32 {
        8 * slot as i32
    }

    /// The guest register whose CpuState slot holds `v` now, if it was spilled there.
    pub fn home_now(&self, v: Val) -> Option<u8> {
        if self.homes != Homes::Made {
            return None;
        }
        let (n, _) = self.home[v.0 as usize].filter(|_| self.at_home[v.0 as usize])?;
        Some(n)
    }

    /// Where the block's values may be spilled to their homes (see `x64::homes`), found at its
    /// first spill.
    fn make_homes(&mut self) {
        if self.homes == Homes::NotYet {
            super::homes::fill(self.block, self.home);
            self.at_home.clear();
            self.at_home.resize(self.block.ops.len(), false);
            self.homes = Homes::Made;
        }
    }

    /// Move `v` out of its register (lowering the op at `pos`): to its home if it may go there
    /// now (see `x64::homes`), else to a stack slot; a constant or a value already at home or
    /// in a slot needs no store.
    fn spill(&mut self, ops: &mut VecAssembler<X64Relocation>, v: Val, pos: u32) {
        let r = self.reg_of[v.0 as usize].expect("spilling a value in a register");
        let i = v.0 as usize;
        // A constant, or a value in a slot or at its home already, needs no store.
        let stored = self.konst(v).is_some() || self.slot_of[i].is_some() || self.home_now(v).is_some();
        if !stored {
            self.make_homes();
            let home = match self.homes {
                Homes::Made => self.home[i].filter(|&(_, from)| pos >= from),
                Homes::Off | Homes::NotYet => None,
            };
            if let Some((n, _)) = home {
                self.at_home[i] = true;
                dynasm!(ops ; .arch x64 ; mov [r15 + off::xreg(n)], Rq(r));
            } else {
                let s = self.free_slots.pop().unwrap_or_else(|| {
                    self.next_slot += 1;
                    assert!(
                        self.next_slot <= SPILL_SLOTS,
                        "block needs more than {SPILL_SLOTS} spill slots"
                    );
                    self.next_slot - 1
                });
                self.slot_of[i] = Some(s);
                let d = Self::slot_disp(s);
                dynasm!(ops ; .arch x64 ; mov [rsp + d], Rq(r));
            }
        }
        self.reg_of[i] = None;
        self.holder[r as usize] = None;
        if let Some(mut log) = self.spill_log.take() {
            log.push((v, self.location(v), ops.offset().0 as u32));
            self.spill_log = Some(log);
        }
    }

    /// A free register, evicting the value whose next use is farthest away.
    fn take_reg(&mut self, ops: &mut VecAssembler<X64Relocation>, pos: u32) -> u8 {
        for &r in &ALLOCATABLE {
            if self.holder[r as usize].is_none() && self.locked & (1 << r) == 0 {
                return r;
            }
        }
        let candidates = ALLOCATABLE.iter().copied().filter(|&r| self.locked & (1 << r) == 0);
        let mut vals = [Val(0); 16];
        let mut count = 0;
        for r in candidates.clone() {
            vals[count] = self.holder[r as usize].expect("every register taken");
            count += 1;
        }
        let next = self.uses.next(self.block, &vals[..count], pos);
        let victim = candidates
            .zip(next)
            .max_by_key(|&(_, n)| n)
            .map(|(r, _)| r)
            .expect("all registers locked");
        let v = self.holder[victim as usize].unwrap();
        self.spill(ops, v, pos);
        victim
    }

    /// Put `v` in a host register (loading a constant or reloading a spill) and lock it.
    pub fn get(&mut self, ops: &mut VecAssembler<X64Relocation>, v: Val, pos: u32) -> u8 {
        if let Some(r) = self.reg_of[v.0 as usize] {
            self.lock(r);
            return r;
        }
        let r = self.take_reg(ops, pos);
        if let Some(c) = self.konst(v) {
            load_imm(ops, r, c);
        } else if let Some(n) = self.home_now(v) {
            dynasm!(ops ; .arch x64 ; mov Rq(r), [r15 + off::xreg(n)]);
        } else {
            let s = self.slot_of[v.0 as usize].expect("value neither in a register nor spilled");
            let d = Self::slot_disp(s);
            dynasm!(ops ; .arch x64 ; mov Rq(r), [rsp + d]);
        }
        self.bind(v, r);
        self.lock(r);
        r
    }

    fn bind(&mut self, v: Val, r: u8) {
        self.reg_of[v.0 as usize] = Some(r);
        self.holder[r as usize] = Some(v);
    }

    /// Free the registers and slots of values whose last use is `pos`.
    pub fn release_dead(&mut self, args: &[Val], pos: u32) {
        for &v in args {
            if !self.live_after(v, pos) {
                if let Some(r) = self.reg_of[v.0 as usize].take() {
                    self.holder[r as usize] = None;
                    self.locked &= !(1 << r);
                }
                if let Some(s) = self.slot_of[v.0 as usize].take() {
                    self.free_slots.push(s);
                }
            }
        }
    }

    /// A register for the value defined at `pos`, preferring `prefer`'s (if it is free now).
    pub fn def(&mut self, ops: &mut VecAssembler<X64Relocation>, v: Val, pos: u32, prefer: Option<u8>) -> u8 {
        let r = match prefer {
            Some(p) if self.holder[p as usize].is_none() && self.locked & (1 << p) == 0 && ALLOCATABLE.contains(&p) => {
                p
            }
            _ => self.take_reg(ops, pos),
        };
        self.bind(v, r);
        self.lock(r);
        r
    }

    /// Where `v` is now: a register, a spill slot's stack displacement, or a constant.
    pub fn location(&self, v: Val) -> Loc {
        if let Some(r) = self.reg_of[v.0 as usize] {
            Loc::Reg(r)
        } else if let Some(c) = self.konst(v) {
            Loc::Const(c)
        } else if let Some(n) = self.home_now(v) {
            Loc::Home(n)
        } else {
            Loc::Stack(Self::slot_disp(
                self.slot_of[v.0 as usize].expect("live value has a location"),
            ))
        }
    }

    /// The register currently holding `v`, if any (no reload).
    pub fn reg_of(&self, v: Val) -> Option<u8> {
        self.reg_of[v.0 as usize]
    }

    /// Before a helper call at `pos`: move every value still needed afterwards out of
    /// caller-saved registers.
    pub fn spill_caller_saved(&mut self, ops: &mut VecAssembler<X64Relocation>, pos: u32) {
        for r in ALLOCATABLE {
            if caller_saved(r) {
                if let Some(v) = self.holder[r as usize] {
                    if self.live_after(v, pos) {
                        self.spill(ops, v, pos);
                    } else {
                        self.reg_of[v.0 as usize] = None;
                        self.holder[r as usize] = None;
                    }
                }
            }
        }
    }

    /// Drop a defined value that nothing uses.
    pub fn drop_if_unused(&mut self, v: Val) {
        if !self.used(v) {
            if let Some(r) = self.reg_of[v.0 as usize].take() {
                self.holder[r as usize] = None;
            }
        }
    }
}

/// Where a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// In a host register.
    Reg(u8),
    /// In the spill area at this displacement from rsp.
    Stack(i32),
    /// A constant, materialised where needed.
    Const(u64),
    /// In guest register `n`'s slot in CpuState (the block's final value of `n`, spilled
    /// there: see `x64::homes`).
    Home(u8),
}

/// `mov r, imm` in the shortest form.
pub fn load_imm(ops: &mut VecAssembler<X64Relocation>, r: u8, c: u64) {
    if c <= u32::MAX as u64 {
        dynasm!(ops ; .arch x64 ; mov Rd(r), c as u32 as i32);
    } else if (c as i64) >= i32::MIN as i64 && (c as i64) <= i32::MAX as i64 {
        dynasm!(ops ; .arch x64 ; mov Rq(r), c as i64 as i32);
    } else {
        dynasm!(ops ; .arch x64 ; mov Rq(r), QWORD c as i64);
    }
}
