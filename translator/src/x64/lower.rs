//! Lowering of the IR's value ops to x86-64: integer ALU with A64's semantics where x86 differs
//! (division by zero, INT_MIN / -1, bit reversal), memory accesses (identity-mapped: one host
//! access per guest access), exclusives as compare-and-swap, and helper calls.

use super::flags::CondAt;
use super::regalloc::hreg;
use super::Lower;
use crate::cpu::{helper_read_nzcv, off};
use crate::helpers::helper_counter;
use crate::ir::fpenv::{helper_get_fpsr, helper_set_fpcr, helper_set_fpsr};
use crate::ir::{BinOp, FenceKind, LoadTy, Op, SysField, Sz, UnOp, Val};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

impl Lower<'_> {
    /// Emit `dst = a OP b` for two-address x86 ALU ops, handling dst aliasing b.
    fn alu(&mut self, op: BinOp, s: Sz, d: u8, a: u8, b: Option<u8>, imm: Option<i32>) {
        macro_rules! emit {
            ($mn:ident, $x:expr) => {{
                let x = $x;
                match (s, b, imm) {
                    (Sz::S64, Some(b), _) => dynasm!(self.ops ; .arch x64 ; $mn Rq(x), Rq(b)),
                    (Sz::S32, Some(b), _) => dynasm!(self.ops ; .arch x64 ; $mn Rd(x), Rd(b)),
                    (Sz::S64, None, Some(i)) => dynasm!(self.ops ; .arch x64 ; $mn Rq(x), i),
                    (Sz::S32, None, Some(i)) => dynasm!(self.ops ; .arch x64 ; $mn Rd(x), i),
                    _ => unreachable!(),
                }
            }};
        }
        let commutative = matches!(op, BinOp::Add | BinOp::And | BinOp::Or | BinOp::Xor);
        let target = if Some(d) == b && d != a {
            if commutative {
                // d already holds b: d = b OP a.
                return self.alu(op, s, d, d, Some(a), None);
            }
            hreg::RAX
        } else {
            d
        };
        if target != a {
            match s {
                Sz::S64 => dynasm!(self.ops ; .arch x64 ; mov Rq(target), Rq(a)),
                Sz::S32 => dynasm!(self.ops ; .arch x64 ; mov Rd(target), Rd(a)),
            }
        }
        match op {
            BinOp::Add => emit!(add, target),
            BinOp::Sub => emit!(sub, target),
            BinOp::And => emit!(and, target),
            BinOp::Or => emit!(or, target),
            BinOp::Xor => emit!(xor, target),
            _ => unreachable!(),
        }
        if target != d {
            dynasm!(self.ops ; .arch x64 ; mov Rq(d), Rq(target));
        }
    }

    fn shift(&mut self, op: BinOp, s: Sz, d: u8, a: u8, b: Result<u64, u8>) {
        let bits = if s == Sz::S32 { 32 } else { 64 };
        if let Ok(c) = b {
            let n = (c % bits) as i8;
            self.copy(s, d, a);
            if n == 0 {
                return;
            }
            match (op, s) {
                (BinOp::Shl, Sz::S64) => dynasm!(self.ops ; .arch x64 ; shl Rq(d), n),
                (BinOp::Shl, Sz::S32) => dynasm!(self.ops ; .arch x64 ; shl Rd(d), n),
                (BinOp::Lshr, Sz::S64) => dynasm!(self.ops ; .arch x64 ; shr Rq(d), n),
                (BinOp::Lshr, Sz::S32) => dynasm!(self.ops ; .arch x64 ; shr Rd(d), n),
                (BinOp::Ashr, Sz::S64) => dynasm!(self.ops ; .arch x64 ; sar Rq(d), n),
                (BinOp::Ashr, Sz::S32) => dynasm!(self.ops ; .arch x64 ; sar Rd(d), n),
                (BinOp::Ror, Sz::S64) => dynasm!(self.ops ; .arch x64 ; ror Rq(d), n),
                (BinOp::Ror, Sz::S32) => dynasm!(self.ops ; .arch x64 ; ror Rd(d), n),
                _ => unreachable!(),
            }
            return;
        }
        // x86 masks the count to 5 or 6 bits, exactly A64's "amount MOD datasize".
        let Err(rb) = b else { unreachable!() };
        dynasm!(self.ops ; .arch x64 ; mov ecx, Rd(rb));
        self.copy(s, d, a);
        match (op, s) {
            (BinOp::Shl, Sz::S64) => dynasm!(self.ops ; .arch x64 ; shl Rq(d), cl),
            (BinOp::Shl, Sz::S32) => dynasm!(self.ops ; .arch x64 ; shl Rd(d), cl),
            (BinOp::Lshr, Sz::S64) => dynasm!(self.ops ; .arch x64 ; shr Rq(d), cl),
            (BinOp::Lshr, Sz::S32) => dynasm!(self.ops ; .arch x64 ; shr Rd(d), cl),
            (BinOp::Ashr, Sz::S64) => dynasm!(self.ops ; .arch x64 ; sar Rq(d), cl),
            (BinOp::Ashr, Sz::S32) => dynasm!(self.ops ; .arch x64 ; sar Rd(d), cl),
            (BinOp::Ror, Sz::S64) => dynasm!(self.ops ; .arch x64 ; ror Rq(d), cl),
            (BinOp::Ror, Sz::S32) => dynasm!(self.ops ; .arch x64 ; ror Rd(d), cl),
            _ => unreachable!(),
        }
    }

    /// `mov d, a` unless they are the same register (a 32-bit copy still zero-extends).
    fn copy(&mut self, s: Sz, d: u8, a: u8) {
        match s {
            Sz::S64 if d != a => dynasm!(self.ops ; .arch x64 ; mov Rq(d), Rq(a)),
            Sz::S64 => {}
            Sz::S32 => dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(a)),
        }
    }

    /// UDIV/SDIV with A64's results for x / 0 (0) and MIN / -1 (MIN), where x86 would trap.
    fn div(&mut self, signed: bool, s: Sz, d: u8, a: u8, b: u8) {
        dynasm!(self.ops ; .arch x64 ; mov rax, Rq(a));
        match s {
            Sz::S64 => dynasm!(self.ops ; .arch x64 ; test Rq(b), Rq(b) ; jz >zero),
            Sz::S32 => dynasm!(self.ops ; .arch x64 ; test Rd(b), Rd(b) ; jz >zero),
        }
        if signed {
            match s {
                Sz::S64 => {
                    dynasm!(self.ops ; .arch x64 ; cmp Rq(b), -1 ; jne >divide ; neg rax ; jmp >done)
                }
                Sz::S32 => {
                    dynasm!(self.ops ; .arch x64 ; cmp Rd(b), -1 ; jne >divide ; neg eax ; jmp >done)
                }
            }
        }
        dynasm!(self.ops ; .arch x64 ; divide:);
        match (s, signed) {
            (Sz::S64, false) => dynasm!(self.ops ; .arch x64 ; xor edx, edx ; div Rq(b)),
            (Sz::S32, false) => dynasm!(self.ops ; .arch x64 ; xor edx, edx ; div Rd(b)),
            (Sz::S64, true) => dynasm!(self.ops ; .arch x64 ; cqo ; idiv Rq(b)),
            (Sz::S32, true) => dynasm!(self.ops ; .arch x64 ; cdq ; idiv Rd(b)),
        }
        dynasm!(self.ops ; .arch x64
            ; jmp >done
            ; zero:
            ; xor eax, eax
            ; done:
            ; mov Rd(d), eax
        );
        if s == Sz::S64 {
            dynasm!(self.ops ; .arch x64 ; mov Rq(d), rax);
        }
    }

    fn rbit(&mut self, s: Sz, d: u8, a: u8) {
        // Reverse bytes, then swap nibbles, bit pairs and bits within each byte.
        match s {
            Sz::S64 => dynasm!(self.ops ; .arch x64 ; mov rax, Rq(a) ; bswap rax),
            Sz::S32 => dynasm!(self.ops ; .arch x64 ; mov eax, Rd(a) ; bswap eax),
        }
        for (m, k) in [
            (0x0f0f_0f0f_0f0f_0f0fu64, 4i8),
            (0x3333_3333_3333_3333, 2),
            (0x5555_5555_5555_5555, 1),
        ] {
            dynasm!(self.ops ; .arch x64
                ; mov rdx, QWORD m as i64
                ; mov rcx, rax ; shr rcx, k ; and rcx, rdx
                ; and rax, rdx ; shl rax, k ; or rax, rcx
            );
        }
        match s {
            Sz::S64 => dynasm!(self.ops ; .arch x64 ; mov Rq(d), rax),
            Sz::S32 => dynasm!(self.ops ; .arch x64 ; mov Rd(d), eax),
        }
    }

    /// Call a SysV helper at `pos`; its result is in rax.
    fn call(&mut self, f: u64, pos: u32) {
        self.alloc.spill_caller_saved(&mut self.ops, pos);
        self.vcache.clear();
        dynasm!(self.ops ; .arch x64 ; mov rdi, r15 ; mov rax, QWORD f as i64 ; call rax);
        self.eflags = None;
    }

    pub(super) fn def(&mut self, v: Val, pos: u32, prefer: Option<u8>) -> u8 {
        self.alloc.def(&mut self.ops, v, pos, prefer)
    }

    /// Lower the op at `pos`.
    pub(super) fn lower_op(&mut self, pos: u32) {
        let v = Val(pos);
        let op = self.block.ops[pos as usize];
        let args = op.args();
        let keeps_flags = op.info().host_flags == crate::ir::opinfo::HostFlags::Kept;
        let saved = self.eflags;
        match op {
            Op::VLoad(_, v, ..) | Op::VSetLane { v, .. } => self.vcache.invalidate(v),
            Op::VOp { .. } | Op::VStore(..) | Op::VGetLane { .. } => {}
            // Ops that may write V registers in CpuState (FP) or call helpers.
            Op::Fp(_) => self.vcache.clear(),
            _ => {}
        }
        match op {
            Op::Nop | Op::Const(_) | Op::InsnStart(_) | Op::Snapshot(..) => {}
            // Flags are computed where they are read.
            Op::FlagsSub(..) | Op::FlagsAdd(..) | Op::FlagsLogic(..) | Op::FlagsAdc(..) | Op::FlagsSbc(..) => {}
            Op::FlagsPacked(_) => {}
            Op::GetReg(n) => {
                if self.alloc.used(v) {
                    let d = self.def(v, pos, None);
                    let o = off::xreg(n);
                    dynasm!(self.ops ; .arch x64 ; mov Rq(d), [r15 + o]);
                }
            }
            Op::SetReg(n, x) => self.store_val(x, off::xreg(n), pos),
            Op::GetFlags => {
                self.call(helper_read_nzcv as *const () as usize as u64, pos);
                // (the call wrote rax; move it to the value's register)
                let d = self.def(v, pos, None);
                dynasm!(self.ops ; .arch x64 ; mov Rq(d), rax);
            }
            Op::SetFlags(f) => self.store_flags(f, pos),
            Op::GetSys(SysField::Fpsr) => {
                self.call(helper_get_fpsr as *const () as usize as u64, pos);
                let d = self.def(v, pos, None);
                dynasm!(self.ops ; .arch x64 ; mov Rq(d), rax);
            }
            Op::GetSys(f) => {
                let d = self.def(v, pos, None);
                let o = sys_off(f);
                dynasm!(self.ops ; .arch x64 ; mov Rq(d), [r15 + o]);
            }
            Op::SetSys(f @ (SysField::Fpsr | SysField::Fpcr), x) => {
                // MXCSR follows: the helpers update the live register.
                let r = self.alloc.get(&mut self.ops, x, pos);
                dynasm!(self.ops ; .arch x64 ; mov rcx, Rq(r));
                self.alloc.spill_caller_saved(&mut self.ops, pos);
                self.vcache.clear();
                let func = if f == SysField::Fpsr {
                    helper_set_fpsr as *const () as usize as i64
                } else {
                    helper_set_fpcr as *const () as usize as i64
                };
                dynasm!(self.ops ; .arch x64 ; mov rdi, r15 ; mov rsi, rcx ; mov rax, QWORD func ; call rax);
                self.eflags = None;
            }
            Op::SetSys(f, x) => self.store_val(x, sys_off(f), pos),
            Op::ReadCounter => {
                self.call(helper_counter as *const () as usize as u64, pos);
                let d = self.def(v, pos, None);
                dynasm!(self.ops ; .arch x64 ; mov Rq(d), rax);
            }
            Op::Bin(bop, s, a, b) => {
                let ra = self.alloc.get(&mut self.ops, a, pos);
                match bop {
                    BinOp::Add | BinOp::Sub | BinOp::And | BinOp::Or | BinOp::Xor => {
                        let imm = self.imm32(b);
                        let rb = if imm.is_none() {
                            Some(self.alloc.get(&mut self.ops, b, pos))
                        } else {
                            None
                        };
                        self.alloc.release_dead(&args, pos);
                        let d = self.def(v, pos, Some(ra));
                        self.alu(bop, s, d, ra, rb, imm);
                        self.eflags = match bop {
                            BinOp::Add => Some(Op::FlagsAdd(s, a, b)),
                            BinOp::Sub => Some(Op::FlagsSub(s, a, b)),
                            _ => Some(Op::FlagsLogic(s, v)),
                        };
                        self.alloc.drop_if_unused(v);
                        return;
                    }
                    BinOp::Shl | BinOp::Lshr | BinOp::Ashr | BinOp::Ror => {
                        let amount = match self.alloc.konst(b) {
                            Some(c) => Ok(c),
                            None => Err(self.alloc.get(&mut self.ops, b, pos)),
                        };
                        self.alloc.release_dead(&args, pos);
                        let d = self.def(v, pos, Some(ra));
                        self.shift(bop, s, d, ra, amount);
                    }
                    BinOp::Mul => {
                        let rb = self.alloc.get(&mut self.ops, b, pos);
                        self.alloc.release_dead(&args, pos);
                        let d = self.def(v, pos, Some(ra));
                        match s {
                            Sz::S64 => {
                                dynasm!(self.ops ; .arch x64 ; mov rax, Rq(ra) ; imul rax, Rq(rb) ; mov Rq(d), rax)
                            }
                            Sz::S32 => {
                                dynasm!(self.ops ; .arch x64 ; mov eax, Rd(ra) ; imul eax, Rd(rb) ; mov Rd(d), eax)
                            }
                        }
                    }
                    BinOp::UMulH | BinOp::SMulH => {
                        let rb = self.alloc.get(&mut self.ops, b, pos);
                        self.alloc.release_dead(&args, pos);
                        let d = self.def(v, pos, Some(ra));
                        dynasm!(self.ops ; .arch x64 ; mov rax, Rq(ra));
                        if bop == BinOp::UMulH {
                            dynasm!(self.ops ; .arch x64 ; mul Rq(rb));
                        } else {
                            dynasm!(self.ops ; .arch x64 ; imul Rq(rb));
                        }
                        dynasm!(self.ops ; .arch x64 ; mov Rq(d), rdx);
                    }
                    BinOp::UDiv | BinOp::SDiv => {
                        let rb = self.alloc.get(&mut self.ops, b, pos);
                        self.alloc.release_dead(&args, pos);
                        let d = self.def(v, pos, Some(ra));
                        self.div(bop == BinOp::SDiv, s, d, ra, rb);
                    }
                }
            }
            Op::Un(uop, s, a) => {
                let ra = self.alloc.get(&mut self.ops, a, pos);
                self.alloc.release_dead(&args, pos);
                let d = self.def(v, pos, Some(ra));
                match (uop, s) {
                    (UnOp::Not, Sz::S64) => {
                        self.copy(Sz::S64, d, ra);
                        dynasm!(self.ops ; .arch x64 ; not Rq(d))
                    }
                    (UnOp::Not, Sz::S32) => {
                        self.copy(Sz::S32, d, ra);
                        dynasm!(self.ops ; .arch x64 ; not Rd(d))
                    }
                    (UnOp::Neg, Sz::S64) => {
                        self.copy(Sz::S64, d, ra);
                        dynasm!(self.ops ; .arch x64 ; neg Rq(d))
                    }
                    (UnOp::Neg, Sz::S32) => {
                        self.copy(Sz::S32, d, ra);
                        dynasm!(self.ops ; .arch x64 ; neg Rd(d))
                    }
                    (UnOp::Clz, Sz::S64) => dynasm!(self.ops ; .arch x64 ; lzcnt Rq(d), Rq(ra)),
                    (UnOp::Clz, Sz::S32) => dynasm!(self.ops ; .arch x64 ; lzcnt Rd(d), Rd(ra)),
                    (UnOp::Rbit, _) => self.rbit(s, d, ra),
                    (UnOp::Bswap, Sz::S64) => {
                        self.copy(Sz::S64, d, ra);
                        dynasm!(self.ops ; .arch x64 ; bswap Rq(d))
                    }
                    (UnOp::Bswap, Sz::S32) => {
                        self.copy(Sz::S32, d, ra);
                        dynasm!(self.ops ; .arch x64 ; bswap Rd(d))
                    }
                    (UnOp::Sext8, Sz::S64) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), Rb(ra)),
                    (UnOp::Sext8, Sz::S32) => dynasm!(self.ops ; .arch x64 ; movsx Rd(d), Rb(ra)),
                    (UnOp::Sext16, Sz::S64) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), Rw(ra)),
                    (UnOp::Sext16, Sz::S32) => dynasm!(self.ops ; .arch x64 ; movsx Rd(d), Rw(ra)),
                    (UnOp::Sext32, Sz::S64) => dynasm!(self.ops ; .arch x64 ; movsxd Rq(d), Rd(ra)),
                    (UnOp::Sext32, Sz::S32) | (UnOp::Zext32, _) => {
                        dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(ra))
                    }
                    (UnOp::Zext8, _) => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), Rb(ra)),
                    (UnOp::Zext16, _) => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), Rw(ra)),
                }
            }
            Op::Nzcv(f) => {
                self.nzcv_to_rax(f, pos);
                self.alloc.release_dead(&args, pos);
                let d = self.def(v, pos, None);
                dynasm!(self.ops ; .arch x64 ; mov Rq(d), rax);
                self.eflags = None;
            }
            Op::CondVal(c, f) => {
                let at = self.cond(c, f, pos);
                self.alloc.release_dead(&args, pos);
                let d = self.def(v, pos, None);
                match at {
                    CondAt::Always => dynasm!(self.ops ; .arch x64 ; mov Rd(d), 1),
                    CondAt::Host(cc) => {
                        super::cond::setcc(&mut self.ops, cc, d);
                        dynasm!(self.ops ; .arch x64 ; movzx Rd(d), Rb(d));
                    }
                }
            }
            Op::Select(c, f, a, b) => {
                let ra = self.alloc.get(&mut self.ops, a, pos);
                let rb = self.alloc.get(&mut self.ops, b, pos);
                let at = self.cond(c, f, pos);
                self.alloc.release_dead(&args, pos);
                let d = self.def(v, pos, None);
                match at {
                    CondAt::Always => dynasm!(self.ops ; .arch x64 ; mov Rq(d), Rq(ra)),
                    CondAt::Host(cc) => {
                        if d == ra {
                            super::cond::cmov(&mut self.ops, cc.invert(), d, rb);
                        } else {
                            if d != rb {
                                dynasm!(self.ops ; .arch x64 ; mov Rq(d), Rq(rb));
                            }
                            super::cond::cmov(&mut self.ops, cc, d, ra);
                        }
                    }
                }
            }
            Op::Confine(a) => {
                let ra = self.alloc.get(&mut self.ops, a, pos);
                self.alloc.release_dead(&args, pos);
                let d = self.def(v, pos, Some(ra));
                super::confine::emit(&mut self.ops, super::confine::Pinned::of(self.rt.host), d, ra);
            }
            Op::Load(ty, base, o) => {
                let rb = self.alloc.get(&mut self.ops, base, pos);
                self.alloc.release_dead(&args, pos);
                let d = self.def(v, pos, Some(rb));
                match ty {
                    LoadTy::U8 => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), BYTE [Rq(rb) + o]),
                    LoadTy::U16 => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), WORD [Rq(rb) + o]),
                    LoadTy::U32 => dynasm!(self.ops ; .arch x64 ; mov Rd(d), DWORD [Rq(rb) + o]),
                    LoadTy::U64 => dynasm!(self.ops ; .arch x64 ; mov Rq(d), QWORD [Rq(rb) + o]),
                    LoadTy::S8 => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), BYTE [Rq(rb) + o]),
                    LoadTy::S16 => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), WORD [Rq(rb) + o]),
                    LoadTy::S32 => dynasm!(self.ops ; .arch x64 ; movsxd Rq(d), DWORD [Rq(rb) + o]),
                }
            }
            Op::Store(sz, base, o, x) => {
                let rb = self.alloc.get(&mut self.ops, base, pos);
                match (self.imm32(x), sz.0) {
                    (Some(i), 0) => dynasm!(self.ops ; .arch x64 ; mov BYTE [Rq(rb) + o], i as i8),
                    (Some(i), 1) => dynasm!(self.ops ; .arch x64 ; mov WORD [Rq(rb) + o], i as i16),
                    (Some(i), 2) => dynasm!(self.ops ; .arch x64 ; mov DWORD [Rq(rb) + o], i),
                    (Some(i), _) => dynasm!(self.ops ; .arch x64 ; mov QWORD [Rq(rb) + o], i),
                    (None, n) => {
                        let rx = self.alloc.get(&mut self.ops, x, pos);
                        match n {
                            0 => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], Rb(rx)),
                            1 => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], Rw(rx)),
                            2 => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], Rd(rx)),
                            _ => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], Rq(rx)),
                        }
                    }
                }
            }
            Op::LoadExcl(sz, a) => {
                let ra = self.alloc.get(&mut self.ops, a, pos);
                dynasm!(self.ops ; .arch x64 ; mov [r15 + off::EXCL_ADDR], Rq(ra));
                match sz.0 {
                    0 => dynasm!(self.ops ; .arch x64 ; movzx eax, BYTE [Rq(ra)]),
                    1 => dynasm!(self.ops ; .arch x64 ; movzx eax, WORD [Rq(ra)]),
                    2 => dynasm!(self.ops ; .arch x64 ; mov eax, DWORD [Rq(ra)]),
                    _ => dynasm!(self.ops ; .arch x64 ; mov rax, QWORD [Rq(ra)]),
                }
                self.alloc.release_dead(&args, pos);
                let d = self.def(v, pos, None);
                let size = 1i32 << sz.0;
                dynasm!(self.ops ; .arch x64
                    ; mov [r15 + off::EXCL_VAL], rax
                    ; mov QWORD [r15 + off::EXCL_SIZE], size
                    ; mov Rq(d), rax
                );
            }
            Op::StoreExcl(sz, a, x) => {
                let ra = self.alloc.get(&mut self.ops, a, pos);
                let rx = self.alloc.get(&mut self.ops, x, pos);
                // The result register is allocated before any branch: allocation may spill, and
                // a spill skipped on one path would leave a stale slot.
                self.alloc.release_dead(&args, pos);
                let d = self.def(v, pos, None);
                // The store happens when memory still holds (the low bytes of) what the
                // load-exclusive saw. With a load and store of different sizes (CONSTRAINED
                // UNPREDICTABLE) the status then reports failure unless the loaded value fit the
                // store's size: what qemu does.
                dynasm!(self.ops ; .arch x64
                    ; cmp [r15 + off::EXCL_ADDR], Rq(ra)
                    ; jne >fail
                    ; mov rax, [r15 + off::EXCL_VAL]
                );
                match sz.0 {
                    0 => dynasm!(self.ops ; .arch x64 ; lock cmpxchg [Rq(ra)], Rb(rx)),
                    1 => dynasm!(self.ops ; .arch x64 ; lock cmpxchg [Rq(ra)], Rw(rx)),
                    2 => dynasm!(self.ops ; .arch x64 ; lock cmpxchg [Rq(ra)], Rd(rx)),
                    _ => dynasm!(self.ops ; .arch x64 ; lock cmpxchg [Rq(ra)], Rq(rx)),
                }

                dynasm!(self.ops ; .arch x64 ; jne >fail);
                if sz.0 < 3 {
                    let bits = 8i8 << sz.0;
                    dynasm!(self.ops ; .arch x64 ; mov rax, [r15 + off::EXCL_VAL] ; shr rax, bits ; jnz >fail);
                }
                dynasm!(self.ops ; .arch x64
                    ; mov Rd(d), 0
                    ; jmp >done
                    ; fail:
                    ; mov Rd(d), 1
                    ; done:
                    ; mov QWORD [r15 + off::EXCL_ADDR], -1
                );
            }
            Op::AtomicRmw(..) | Op::Cas(..) | Op::Crc32 { .. } | Op::PairHelper { .. } => self.lower_atomic(op, pos),
            Op::ClearExcl => dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + off::EXCL_ADDR], -1),
            Op::Fence(FenceKind::StoreLoad) => dynasm!(self.ops ; .arch x64 ; mfence),
            Op::ZeroBlock(a) => {
                let ra = self.alloc.get(&mut self.ops, a, pos);
                dynasm!(self.ops ; .arch x64
                    ; mov rax, Rq(ra)
                    ; and rax, -64
                    ; pxor xmm15, xmm15
                    ; movdqu [rax], xmm15
                    ; movdqu [rax + 16], xmm15
                    ; movdqu [rax + 32], xmm15
                    ; movdqu [rax + 48], xmm15
                );
            }
            Op::VLoad(sz, vr, base, o) => {
                let rb = self.alloc.get(&mut self.ops, base, pos);
                let vo = off::vreg(vr);
                match sz.0 {
                    4 => {
                        dynasm!(self.ops ; .arch x64 ; movdqu xmm15, [Rq(rb) + o] ; movdqu [r15 + vo], xmm15)
                    }
                    n => {
                        match n {
                            0 => dynasm!(self.ops ; .arch x64 ; movzx eax, BYTE [Rq(rb) + o]),
                            1 => dynasm!(self.ops ; .arch x64 ; movzx eax, WORD [Rq(rb) + o]),
                            2 => dynasm!(self.ops ; .arch x64 ; mov eax, DWORD [Rq(rb) + o]),
                            _ => dynasm!(self.ops ; .arch x64 ; mov rax, QWORD [Rq(rb) + o]),
                        }
                        dynasm!(self.ops ; .arch x64 ; mov [r15 + vo], rax ; mov QWORD [r15 + vo + 8], 0);
                    }
                }
            }
            Op::VStore(sz, vr, base, o) => {
                let rb = self.alloc.get(&mut self.ops, base, pos);
                let vo = off::vreg(vr);
                match sz.0 {
                    4 => {
                        dynasm!(self.ops ; .arch x64 ; movdqu xmm15, [r15 + vo] ; movdqu [Rq(rb) + o], xmm15)
                    }
                    n => {
                        dynasm!(self.ops ; .arch x64 ; mov rax, [r15 + vo]);
                        match n {
                            0 => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], al),
                            1 => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], ax),
                            2 => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], eax),
                            _ => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], rax),
                        }
                    }
                }
            }
            Op::VGetLane {
                v: vr,
                size,
                index,
                signed,
            } => {
                let d = self.def(v, pos, None);
                let o = off::vreg(vr) + (index as i32) * (1 << size.0);
                match (size.0, signed) {
                    (0, false) => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), BYTE [r15 + o]),
                    (1, false) => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), WORD [r15 + o]),
                    (2, false) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), DWORD [r15 + o]),
                    (0, true) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), BYTE [r15 + o]),
                    (1, true) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), WORD [r15 + o]),
                    (2, true) => dynasm!(self.ops ; .arch x64 ; movsxd Rq(d), DWORD [r15 + o]),
                    _ => dynasm!(self.ops ; .arch x64 ; mov Rq(d), QWORD [r15 + o]),
                }
            }
            Op::VSetLane {
                v: vr,
                size,
                index,
                val,
                zero_rest,
            } => {
                let vo = off::vreg(vr);
                let rx = self.alloc.get(&mut self.ops, val, pos);
                if zero_rest {
                    dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + vo], 0 ; mov QWORD [r15 + vo + 8], 0);
                }
                let o = vo + (index as i32) * (1 << size.0);
                match size.0 {
                    0 => dynasm!(self.ops ; .arch x64 ; mov [r15 + o], Rb(rx)),
                    1 => dynasm!(self.ops ; .arch x64 ; mov [r15 + o], Rw(rx)),
                    2 => dynasm!(self.ops ; .arch x64 ; mov [r15 + o], Rd(rx)),
                    _ => dynasm!(self.ops ; .arch x64 ; mov [r15 + o], Rq(rx)),
                }
            }
            Op::Fp(f) => self.lower_fp(f, v, pos),
            Op::VOp { f, d, n, m } => {
                // SSE integer ops leave EFLAGS alone; the FP path's NaN check (ptest) does not.
                if self.vec_int_inline(f, d, n, m) || self.vec_inline(f, d, n, m) {
                    self.alloc.release_dead(&args, pos);
                    return;
                }
                if self.vec_crypto_inline(f, d, n, m) {
                    self.alloc.release_dead(&args, pos);
                    return;
                }
                if self.vec_fp_inline(f, d, n, m) || self.vec_sat_inline(f, d, n, m) {
                    self.eflags = None;
                    self.alloc.release_dead(&args, pos);
                    return;
                }
                self.alloc.spill_caller_saved(&mut self.ops, pos);
                self.vcache.clear();
                self.call_helper_vec(f, d, n, m);
            }
        }
        // Storing ADCS/SBCS flags materialises them with host instructions.
        let stores_computed_flags = matches!(op, Op::SetFlags(f)
            if matches!(self.block.op(f), Op::FlagsAdc(..) | Op::FlagsSbc(..)));
        if keeps_flags && !stores_computed_flags {
            if !matches!(op, Op::Nzcv(_) | Op::CondVal(..) | Op::Select(..)) {
                self.eflags = saved;
            }
        } else {
            // Add/Sub/And/Or/Xor set `eflags` themselves and return early; shifts, multiplies and
            // divides clobber EFLAGS.
            self.eflags = None;
        }
        self.alloc.release_dead(&args, pos);
        if op.ty() != crate::ir::Ty::None && !matches!(op.ty(), crate::ir::Ty::Flags) || matches!(op, Op::GetFlags) {
            self.alloc.drop_if_unused(v);
        }
    }
}

fn sys_off(f: SysField) -> i32 {
    match f {
        SysField::Tpidr => off::TPIDR,
        SysField::Fpcr => off::FPCR,
        SysField::Fpsr => off::FPSR,
    }
}
