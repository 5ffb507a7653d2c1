//! Precise fault contexts: for each guest instruction that accesses memory, the host code range of
//! its memory ops and where every guest register CpuState does not hold yet (values the block
//! keeps in host registers, spill slots or as constants, written back only at its exit; V
//! registers in the V register cache's xmm registers) is while that code runs. A fault in that
//! range (a SIGSEGV/SIGBUS of a guest load or store) then rebuilds the guest state exactly as it
//! was when the instruction began: the guest handler sees the faulting instruction's pc and
//! every register right (see [`FaultSite::restore`]).
//!
//! The lifter marks such instructions (`Op::InsnStart`) and lists the state after them
//! (`Op::Snapshots`, which also keeps those values alive through the instruction). Locations can
//! change while an op is lowered: the allocator may spill a value and reuse its register; it logs
//! where in the code that happened, and the site records both places and the switch point.

use super::regalloc::Loc;
use super::Lower;
use crate::cpu::{materialize_nzcv, CpuState};
use crate::ir::{Op, Sz, Val, SNAPSHOT_FLAGS};
use dynasmrt::DynasmApi;

/// Where a value is during a fault site's code: `before` until host offset `switch`, then
/// `after` (a spill moved it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValSrc {
    before: Loc,
    after: Option<(u32, Loc)>,
}

/// How to recompute the flags an instruction started with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagsSrc {
    /// The flags of an op of the block.
    Op {
        /// The flags op (its operands are meaningless here; `args` stands for them).
        op: Op,
        /// Where its operands are.
        args: Vec<ValSrc>,
    },
    /// The kind of flags CpuState holds, with these operands: a self-loop's flags carried from
    /// one iteration to the next (see `x64::CarriedFlags`).
    Operands {
        /// Where the first operand is.
        a: ValSrc,
        /// Where the second is (none for a logical op's flags).
        b: Option<ValSrc>,
    },
}

/// One guest instruction's memory-access code and the state to restore on a fault there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSite {
    /// Host code offsets `[start, end)` of the instruction's memory ops.
    pub start: u32,
    /// See `start`.
    pub end: u32,
    /// The guest instruction.
    pub pc: u64,
    regs: Vec<(u8, ValSrc)>,
    flags: Option<FlagsSrc>,
    /// The V registers CpuState does not have yet (the V register cache's dirty ones): (xmm
    /// register, V register).
    vregs: Vec<(u8, u8)>,
}

/// The host registers of a fault, as the kernel's ucontext has them.
pub trait HostRegs {
    /// General register `r` (x86-64 encoding number).
    fn reg(&self, r: u8) -> u64;
    /// The stack pointer (the block's frame).
    fn rsp(&self) -> u64;
    /// SSE register `x` (0-15).
    fn xmm(&self, x: u8) -> [u64; 2];
}

impl ValSrc {
    /// The value at host offset `at`, from the fault's registers, the block's frame or CpuState
    /// (`cpu` as the block left it, before any restoring).
    fn value(&self, at: u32, host: &dyn HostRegs, cpu: &CpuState) -> u64 {
        let loc = match self.after {
            Some((switch, after)) if at >= switch => after,
            _ => self.before,
        };
        match loc {
            Loc::Reg(r) => host.reg(r),
            // SAFETY: the block's frame on this thread's stack, which the fault left in place.
            Loc::Stack(d) => unsafe { ((host.rsp() as i64 + d as i64) as *const u64).read() },
            Loc::Const(c) => c,
            // (Pinned registers are never homes: see `x64::homes`.)
            Loc::Home(n) => cpu.x[usize::from(n)],
        }
    }
}

impl FaultSite {
    /// The guest registers (31: SP) it restores.
    pub fn registers(&self) -> impl Iterator<Item = u8> + '_ {
        self.regs.iter().map(|&(n, _)| n)
    }

    /// Put the guest state the faulting instruction began with into `cpu`; `at` is the faulting
    /// host pc's offset in the block.
    pub fn restore(&self, cpu: &mut CpuState, at: u32, host: &dyn HostRegs) {
        // Every value is read before any register is written: some are in CpuState's slots.
        let values: Vec<(u8, u64)> = self
            .regs
            .iter()
            .map(|&(n, src)| (n, src.value(at, host, cpu)))
            .collect();
        /// What the fault's flags are restored from.
        enum Flags {
            Packed(u64),
            Operands(u64, Option<u64>),
        }
        let flags = match &self.flags {
            Some(FlagsSrc::Op { op, args }) => {
                let a: Vec<u64> = args.iter().map(|s| s.value(at, host, cpu)).collect();
                Some(Flags::Packed(flags_value(op, &a)))
            }
            Some(FlagsSrc::Operands { a, b }) => Some(Flags::Operands(
                a.value(at, host, cpu),
                b.map(|b| b.value(at, host, cpu)),
            )),
            None => None,
        };
        cpu.pc = self.pc;
        for (n, x) in values {
            if n == 31 {
                cpu.sp = x;
            } else {
                cpu.x[n as usize] = x;
            }
        }
        match flags {
            Some(Flags::Packed(nzcv)) => cpu.set_nzcv(nzcv),
            // (CpuState has their kind.)
            Some(Flags::Operands(a, b)) => {
                cpu.nzcv_a = a;
                if let Some(b) = b {
                    cpu.nzcv_b = b;
                }
            }
            None => {}
        }
        for &(x, v) in &self.vregs {
            cpu.v[v as usize] = host.xmm(x);
        }
    }
}

/// NZCV (bits 31:28) of flags op `op` with operand values `a`.
fn flags_value(op: &Op, a: &[u64]) -> u64 {
    let kind = |sz: &Sz, k32: u64| if matches!(sz, Sz::S32) { k32 } else { k32 + 1 };
    match op {
        Op::FlagsSub(sz, ..) => materialize_nzcv(kind(sz, 1), a[0], a[1]),
        Op::FlagsAdd(sz, ..) => materialize_nzcv(kind(sz, 3), a[0], a[1]),
        Op::FlagsLogic(sz, _) => materialize_nzcv(kind(sz, 5), a[0], 0),
        Op::FlagsAdc(sz, ..) | Op::FlagsSbc(sz, ..) => {
            let b = if matches!(op, Op::FlagsSbc(..)) { !a[1] } else { a[1] };
            let c = a[2] & 1;
            let pack = |n: bool, z: bool, c: bool, v: bool| {
                ((n as u64) << 31) | ((z as u64) << 30) | ((c as u64) << 29) | ((v as u64) << 28)
            };
            if matches!(sz, Sz::S32) {
                let (x, y) = (a[0] as u32 as u64, b as u32 as u64);
                let r = x + y + c;
                let r32 = r as u32;
                let v = ((x as u32 ^ r32) & (y as u32 ^ r32)) >> 31 != 0;
                pack((r32 as i32) < 0, r32 == 0, r >> 32 != 0, v)
            } else {
                let r = a[0] as u128 + b as u128 + c as u128;
                let r64 = r as u64;
                let v = ((a[0] ^ r64) & (b ^ r64)) >> 63 != 0;
                pack((r64 as i64) < 0, r64 == 0, r >> 64 != 0, v)
            }
        }
        _ => a.first().copied().unwrap_or(0) & 0xf000_0000,
    }
}

/// The instruction being lowered: its pc and where its `InsnStart` is (its snapshot list is
/// read from there when a memory op needs it: most instructions have none, and translation
/// speed counts).
pub(super) struct CurrentInsn {
    pc: u64,
    pos: usize,
}

/// An instruction's snapshot values and their locations before a memory op, to compare with
/// the spill log after it.
pub(super) struct Before {
    start: u32,
    /// (guest register or [`SNAPSHOT_FLAGS`], value).
    state: Vec<(u8, Val)>,
    /// [`Lower::site_vals`] of `state`.
    vals: Vec<Val>,
    locs: Vec<Loc>,
    /// The dirty V registers (which a memory op does not change before its access).
    vregs: Vec<(u8, u8)>,
    /// Guest registers in host registers no value of the block owns (a self-loop's carriers).
    carried: Vec<(u8, u8)>,
    /// The carriers of a self-loop's flags, when the instruction has not set the flags yet.
    carried_flags: Option<(u8, Option<u8>)>,
}

impl Lower<'_> {
    /// At `Op::InsnStart(pc)` at `pos`.
    pub(super) fn insn_begin(&mut self, pos: usize, pc: u64) {
        self.insn = Some(CurrentInsn { pc, pos });
    }

    /// The snapshot list of the instruction whose `InsnStart` is at `pos`.
    fn insn_state(&self, pos: usize) -> Vec<(u8, Val)> {
        let list = self.block.ops[pos + 1..].iter().find_map(|o| match *o {
            Op::Snapshots(l) => Some(l),
            _ => None,
        });
        list.map_or_else(Vec::new, |l| {
            self.block.snaps(l).iter().map(|s| (s.reg, s.val)).collect()
        })
    }

    /// The values whose locations a fault site records, in `state` order (a flags value stands
    /// for its operands).
    fn site_vals(&self, state: &[(u8, Val)]) -> Vec<Val> {
        let mut vals = Vec::new();
        for &(n, v) in state {
            if n == SNAPSHOT_FLAGS {
                vals.extend(super::regalloc::flag_operands(self.block, v));
            } else {
                vals.push(v);
            }
        }
        vals
    }

    /// Before lowering a memory op of the current instruction.
    pub(super) fn site_before(&mut self) -> Option<Before> {
        let insn = self.insn.as_ref()?;
        let mut state = self.insn_state(insn.pos);
        // A self-loop's deferred registers the instruction has not written yet: CpuState has
        // their value from before the loop, the header registers this iteration's.
        // Likewise the flags, while the instruction has not set them: CpuState has the kind.
        let listed: Vec<u8> = state.iter().map(|&(n, _)| n).collect();
        let (unwritten, flags) = self.loop_state_unwritten(|n| listed.contains(&n));
        let mut carried = Vec::new();
        for (reg, start) in unwritten {
            match start {
                super::AtStart::Read(v) => state.push((reg, v)),
                super::AtStart::Carrier(r) => carried.push((reg, r)),
            }
        }
        let carried_flags = flags.map(|c| (c.a, c.b));
        let vals = self.site_vals(&state);
        let locs = vals.iter().map(|&v| self.alloc.location(v)).collect();
        self.alloc.spill_log = Some(Vec::new());
        Some(Before {
            start: self.ops.offset().0 as u32,
            state,
            vals,
            locs,
            vregs: self.vcache.dirty().collect(),
            carried,
            carried_flags,
        })
    }

    /// After lowering it: record the site.
    pub(super) fn site_after(&mut self, before: Before) {
        let log = self.alloc.spill_log.take().unwrap_or_default();
        let Some(insn) = self.insn.as_ref() else { return };
        let src = |k: usize| {
            let (v, loc) = (before.vals[k], before.locs[k]);
            ValSrc {
                before: loc,
                // A spill of a value in a register: from the store on, the slot has it.
                after: log.iter().find(|e| e.0 == v && loc != e.1).map(|&(_, l, at)| (at, l)),
            }
        };
        let mut k = 0;
        let mut regs = Vec::with_capacity(before.state.len());
        let mut flags = None;
        for &(n, v) in &before.state {
            if n == SNAPSHOT_FLAGS {
                let count = super::regalloc::flag_operands(self.block, v).len();
                flags = Some(FlagsSrc::Op {
                    op: *self.block.op(v),
                    args: (k..k + count).map(src).collect(),
                });
                k += count;
            } else {
                regs.push((n, src(k)));
                k += 1;
            }
        }
        // Carriers are reserved: no spill moves them.
        let fixed = |r: u8| ValSrc {
            before: Loc::Reg(r),
            after: None,
        };
        regs.extend(before.carried.iter().map(|&(n, r)| (n, fixed(r))));
        if let Some((a, b)) = before.carried_flags {
            flags = Some(FlagsSrc::Operands {
                a: fixed(a),
                b: b.map(fixed),
            });
        }
        self.faults.push(FaultSite {
            start: before.start,
            end: self.ops.offset().0 as u32,
            pc: insn.pc,
            regs,
            flags,
            vregs: before.vregs,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adc_sbc_flags_match_the_architecture() {
        // SBCS 0 - 1 with carry set (no borrow): result -1, N set, C clear.
        let nzcv = flags_value(&Op::FlagsSbc(Sz::S64, Val(0), Val(0), Val(0)), &[0, 1, 1]);
        assert_eq!(nzcv, 0x8000_0000);
        // ADCS 0xffffffff + 0 + 1 (32-bit): 0, Z and C set.
        let nzcv = flags_value(&Op::FlagsAdc(Sz::S32, Val(0), Val(0), Val(0)), &[0xffff_ffff, 0, 1]);
        assert_eq!(nzcv, 0x6000_0000);
        // ADDS 0x7fff_ffff + 1 (32-bit): N and V.
        let nzcv = flags_value(&Op::FlagsAdd(Sz::S32, Val(0), Val(0)), &[0x7fff_ffff, 1]);
        assert_eq!(nzcv, 0x9000_0000);
    }
}
