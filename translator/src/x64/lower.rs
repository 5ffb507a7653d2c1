//! Lowering of one IR op to x86-64: `lower_op` dispatches to the lowering of each op (the
//! integer ops in `lower_int.rs`, memory and lanes in `lower_mem.rs`, FP, vectors and atomics in
//! their modules), does the guest-state ops itself, and keeps what EFLAGS and the host registers
//! hold up to date.

use super::{pins, Lower};
use crate::cpu::off;
use crate::helpers::{helper_counter, helper_random};
use crate::ir::fpenv::{helper_get_fpsr, helper_set_fpcr, helper_set_fpsr};
use crate::ir::{BinOp, FenceKind, Op, SysField, Val};
use dynasmrt::{dynasm, DynasmApi};

/// An op's lowering that returns nothing, then the common bookkeeping ([`End::Common`]).
macro_rules! common {
    ($lowering:expr) => {{
        $lowering;
        End::Common
    }};
}

impl<'a> Lower<'a> {
    /// Call a SysV helper at `pos`; its result is in rax.
    fn call(&mut self, f: u64, pos: u32) {
        self.alloc.spill_caller_saved(self.ops, pos);
        self.vcache_release();
        dynasm!(self.ops ; .arch x64 ; mov rdi, r15);
        self.call_host(f);
        self.eflags = None;
    }

    pub(super) fn def(&mut self, v: Val, pos: u32, prefer: Option<u8>) -> u8 {
        self.alloc.def(self.ops, v, pos, prefer)
    }

    /// The next op that emits code after `pos` (constants and instruction starts between emit
    /// nothing), if it is the last use of the value `v` defined at `pos`: an op that may take
    /// `v` where it is, or in a form of its own (`Lower::scaled_index`). (An instruction start
    /// only notes where a fault's instruction begins; a snapshot list, which names values,
    /// ends the search.)
    pub(super) fn sole_use_next(&self, v: Val, pos: u32) -> Option<&'a Op> {
        let block = self.block;
        let ops = &block.ops[pos as usize + 1..];
        let k = ops
            .iter()
            .position(|op| !matches!(op, Op::Const(_) | Op::Nop | Op::InsnStart(_)))?;
        (self.alloc.last_use(v) == Some(pos + 1 + k as u32)).then_some(&ops[k])
    }

    /// Whether the value `v` defined at `pos` is used by the next op only, and that op reads
    /// its operands without writing them or calling out: an ADD, SUB or logical op, a
    /// confinement or a register write. Such an op may take `v` in a pinned register, which it
    /// leaves as it was (its result goes to an allocatable register).
    fn reads_once_next(&self, v: Val, pos: u32) -> bool {
        matches!(
            self.sole_use_next(v, pos),
            Some(
                Op::Bin(BinOp::Add | BinOp::Sub | BinOp::And | BinOp::Or | BinOp::Xor, ..)
                    | Op::Confine(_)
                    | Op::SetReg(..)
            )
        )
    }

    /// Lower the op at `pos`: one arm per op, then the bookkeeping of EFLAGS and registers.
    pub(super) fn lower_op(&mut self, pos: u32) {
        let v = Val(pos);
        // (Borrowed from the block, not copied: this runs for every op of every block.)
        let block = self.block;
        let op = &block.ops[pos as usize];
        let args = op.args();
        let info = op.info();
        let keeps_flags = info.host_flags == crate::ir::opinfo::HostFlags::Kept;
        let saved = self.eflags;
        let end = match *op {
            Op::Nop | Op::Const(_) | Op::InsnStart(_) | Op::Snapshots(_) => End::Common,
            Op::SideExit {
                cond,
                flags,
                target,
                state,
            } => common!(self.side_exit(cond, flags, target, state, pos)),
            // Flags are computed where they are read.
            Op::FlagsSub(..) | Op::FlagsAdd(..) | Op::FlagsLogic(..) | Op::FlagsAdc(..) | Op::FlagsSbc(..) => {
                End::Common
            }
            Op::FlagsPacked(_) => End::Common,
            Op::GetReg(n) => {
                if let Some(h) = pins::host_of(n).filter(|_| self.reads_once_next(v, pos)) {
                    // Read where it is pinned, no copy: `sub sp, sp, #n` is one LEA, a stack
                    // address one ANDN.
                    self.alloc.alias_pinned(v, h);
                } else if self.alloc.used(v) {
                    let d = self.def(v, pos, None);
                    self.load_guest(d, n);
                }
                End::Common
            }
            // (A self-loop writes the registers it also reads on its exits only.)
            Op::SetReg(n, _) if self.deferred.iter().any(|d| d.reg == n) => End::Common,
            Op::SetReg(n, x) => common!(self.store_guest_val(x, n, pos)),
            Op::GetFlags => common!(self.read_flags(pos)),
            // (A self-loop may write its flags on its exits only.)
            Op::SetFlags(_) if self.carried_flags.is_some() => End::Common,
            Op::SetFlags(f) => common!(self.store_flags(f, pos)),
            Op::GetSys(SysField::Fpsr) => {
                common!(self.call_for_value(helper_get_fpsr as *const () as usize as u64, pos))
            }
            Op::GetSys(f) => {
                let d = self.def(v, pos, None);
                let o = sys_off(f);
                dynasm!(self.ops ; .arch x64 ; mov Rq(d), [r15 + o]);
                End::Common
            }
            Op::SetSys(f @ (SysField::Fpsr | SysField::Fpcr), x) => common!(self.set_fp_control(f, x, pos)),
            Op::SetSys(f, x) => common!(self.store_val(x, sys_off(f), pos)),
            Op::ReadCounter => common!(self.call_for_value(helper_counter as *const () as usize as u64, pos)),
            Op::Random => common!(self.call_for_value(helper_random as *const () as usize as u64, pos)),
            Op::Bin(bop, s, a, b) => self.lower_bin((bop, s, a, b), pos, &args),
            Op::Un(uop, s, a) => common!(self.lower_un(uop, s, a, pos, &args)),
            Op::Nzcv(f) => common!(self.lower_nzcv(f, pos, &args)),
            Op::CondVal(c, f) => common!(self.lower_cond_val(c, f, pos, &args)),
            Op::Select(c, f, a, b) => common!(self.lower_select((c, f, a, b), pos, &args)),
            Op::Confine(a) => common!(self.lower_confine(a, pos, &args)),
            Op::AlignCheck(sz, a) => common!(self.align_check(sz, a, pos, &args)),
            Op::Load(ty, base, o) => common!(self.load(ty, base, o, pos, &args)),
            Op::Store(sz, base, o, x) => common!(self.store(sz, base, o, x, pos)),
            Op::LoadExcl(sz, a) => common!(self.load_excl(sz, a, pos, &args)),
            Op::StoreExcl(sz, a, x) => common!(self.store_excl(sz, a, x, pos, &args)),
            Op::AtomicRmw(..) | Op::Cas(..) | Op::Crc32 { .. } | Op::PairHelper { .. } => {
                common!(self.lower_atomic(*op, pos))
            }
            Op::ClearExcl => common!(dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + off::EXCL_ADDR], -1)),
            Op::Fence(FenceKind::StoreLoad) => common!(dynasm!(self.ops ; .arch x64 ; mfence)),
            Op::ZeroBlock(a) => common!(self.zero_block(a, pos)),
            Op::NoteInval(a) => common!(self.note_inval(a, pos)),
            Op::VLoad(sz, vr, base, o) => common!(self.vload(sz, vr, base, o, pos)),
            Op::VStore(sz, vr, base, o) => common!(self.vstore(sz, vr, base, o, pos)),
            Op::VGetLane {
                v: vr,
                size,
                index,
                signed,
            } => common!(self.vget_lane(vr, size, index, signed, pos)),
            Op::VSetLane {
                v: vr,
                size,
                index,
                val,
                zero_rest,
            } => common!(self.vset_lane(vr, size, index, val, zero_rest, pos)),
            Op::Fp(f) => common!(self.lower_fp(f, v, pos)),
            Op::VOp { f, d, n, m } => self.lower_vop(f, (d, n, m), pos, &args),
        };
        if end == End::Done {
            return;
        }
        // Storing ADCS/SBCS flags materialises them with host instructions.
        let stores_computed_flags = matches!(*op, Op::SetFlags(f)
            if matches!(self.block.op(f), Op::FlagsAdc(..) | Op::FlagsSbc(..)));
        if keeps_flags && !stores_computed_flags {
            if !matches!(
                *op,
                Op::Nzcv(_) | Op::CondVal(..) | Op::Select(..) | Op::SideExit { .. }
            ) {
                self.eflags = saved;
            }
        } else {
            // Add/Sub/And/Or/Xor set `eflags` themselves and end early; shifts, multiplies and
            // divides clobber EFLAGS.
            self.eflags = None;
        }
        // Free what this op used last; a flags value's registers are its operands' (as the
        // allocator counts its uses).
        let alloc = &mut self.alloc;
        let mut release = |v: Val| match block.op(v).flags_operands() {
            Some(operands) => alloc.release_dead(&operands, pos),
            None => alloc.release_dead(&[v], pos),
        };
        match *op {
            Op::Snapshots(_) | Op::SideExit { .. } => block.each_use(pos as usize, release),
            _ => args.iter().for_each(|&v| release(v)),
        }
        if !matches!(info.result, crate::ir::Ty::None | crate::ir::Ty::Flags) || matches!(*op, Op::GetFlags) {
            self.alloc.drop_if_unused(v);
        }
    }

    /// Call the helper at `f` and put its result (rax) in the register of the value at `pos`.
    fn call_for_value(&mut self, f: u64, pos: u32) {
        self.main_path_calls.push(pos);
        self.call(f, pos);
        let d = self.def(Val(pos), pos, None);
        dynasm!(self.ops ; .arch x64 ; mov Rq(d), rax);
    }

    /// MSR FPSR/FPCR: through the helpers, which update the live MXCSR too.
    fn set_fp_control(&mut self, f: SysField, x: Val, pos: u32) {
        self.main_path_calls.push(pos);
        let r = self.alloc.get(self.ops, x, pos);
        dynasm!(self.ops ; .arch x64 ; mov rcx, Rq(r));
        self.alloc.spill_caller_saved(self.ops, pos);
        self.vcache_release();
        let func = if f == SysField::Fpsr {
            helper_set_fpsr as *const () as usize as i64
        } else {
            helper_set_fpcr as *const () as usize as i64
        };
        dynasm!(self.ops ; .arch x64 ; mov rdi, r15 ; mov rsi, rcx);
        self.call_host(func as u64);
        self.eflags = None;
    }

    /// `Op::VOp`: inline when one of the SSE lowerings takes it, else through `helper_vec`.
    /// `End::Done` when inline (the vector code keeps or sets `eflags` itself).
    fn lower_vop(&mut self, f: crate::ir::VecFn, (d, n, m): (u8, u8, u8), pos: u32, args: &[Val]) -> End {
        // SSE integer ops leave EFLAGS alone; the FP path's NaN check (ptest) does not.
        if self.vec_vex_inline(f, d, n, m)
            || self.vec_int_inline(f, d, n, m)
            || self.vec_inline(f, d, n, m)
            || self.vec_more_inline(f, d, n, m)
            || self.vec_crypto_inline(f, d, n, m)
            || self.vec_table_inline(f, d, n, m)
        {
            self.alloc.release_dead(args, pos);
            return End::Done;
        }
        if self.vec_fp_inline(f, d, n, m) || self.vec_shift_reg_inline(f, d, n, m) || self.vec_sat_inline(f, d, n, m) {
            self.eflags = None;
            self.alloc.release_dead(args, pos);
            return End::Done;
        }
        self.main_path_calls.push(pos);
        self.alloc.spill_caller_saved(self.ops, pos);
        self.vcache_release();
        self.call_helper_vec(f, d, n, m);
        End::Common
    }
}

/// What is left to do after an op's own lowering.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    /// The common bookkeeping: what EFLAGS hold, dead registers, an unused result.
    Common,
    /// Nothing: the op did its own.
    Done,
}

fn sys_off(f: SysField) -> i32 {
    match f {
        SysField::Tpidr => off::TPIDR,
        SysField::Pstate => off::PSTATE,
        SysField::Fpcr => off::FPCR,
        SysField::Fpsr => off::FPSR,
    }
}
