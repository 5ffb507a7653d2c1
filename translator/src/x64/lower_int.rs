//! Lowering of the integer value ops: the ALU (`Op::Bin`, `Op::Un`) with A64's semantics where
//! x86 differs (division by zero, INT_MIN / -1, bit reversal), conditions (`Op::Nzcv`,
//! `Op::CondVal`, `Op::Select`) and address confinement (`Op::Confine`).

use super::flags::CondAt;
use super::regalloc::hreg;
use super::{End, Lower};
use crate::ir::{BinOp, CondCode, Op, Sz, UnOp, Val};
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

    /// d = a * b, the low half: IMUL's two-operand form into `d`, which gets an operand first
    /// unless it holds one (a product commutes), where going through rax took two moves more.
    fn mul(&mut self, s: Sz, d: u8, a: u8, b: u8) {
        let (x, y) = if d == b && d != a { (b, a) } else { (a, b) };
        match s {
            Sz::S64 => {
                if d != x {
                    dynasm!(self.ops ; .arch x64 ; mov Rq(d), Rq(x));
                }
                dynasm!(self.ops ; .arch x64 ; imul Rq(d), Rq(y));
            }
            Sz::S32 => {
                // (A 32-bit IMUL zero-extends its result, as the A64 W form does.)
                if d != x {
                    dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(x));
                }
                dynasm!(self.ops ; .arch x64 ; imul Rd(d), Rd(y));
            }
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

    /// `Op::Bin`; `End::Done` for the ALU ops, which record what EFLAGS hold themselves.
    pub(super) fn lower_bin(&mut self, (bop, s, a, b): (BinOp, Sz, Val, Val), pos: u32, args: &[Val]) -> End {
        let v = Val(pos);

        let ra = self.alloc.get(self.ops, a, pos);
        if (bop, s, self.alloc.konst(b)) == (BinOp::And, Sz::S64, Some(0xffff_ffff)) {
            // The low word (`and x, y, #0xffffffff`, UXTW): a 32-bit move zero-extends, where
            // the constant took a register and an AND.
            self.alloc.release_dead(args, pos);
            let d = self.def(v, pos, Some(ra));
            dynasm!(self.ops ; .arch x64 ; mov Rd(d), Rd(ra));
            self.eflags = None;
            self.alloc.drop_if_unused(v);
            return End::Done;
        }
        match bop {
            BinOp::Add | BinOp::Sub | BinOp::And | BinOp::Or | BinOp::Xor => {
                let imm = self.imm32(b);
                let rb = if imm.is_none() {
                    Some(self.alloc.get(self.ops, b, pos))
                } else {
                    None
                };
                self.alloc.release_dead(args, pos);
                let d = self.def(v, pos, Some(ra));
                self.alu(bop, s, d, ra, rb, imm);
                self.eflags = match bop {
                    BinOp::Add => Some(Op::FlagsAdd(s, a, b)),
                    BinOp::Sub => Some(Op::FlagsSub(s, a, b)),
                    _ => Some(Op::FlagsLogic(s, v)),
                };
                self.alloc.drop_if_unused(v);
                return End::Done;
            }
            BinOp::Shl | BinOp::Lshr | BinOp::Ashr | BinOp::Ror => {
                let amount = match self.alloc.konst(b) {
                    Some(c) => Ok(c),
                    None => Err(self.alloc.get(self.ops, b, pos)),
                };
                self.alloc.release_dead(args, pos);
                let d = self.def(v, pos, Some(ra));
                self.shift(bop, s, d, ra, amount);
            }
            BinOp::Mul => {
                let rb = self.alloc.get(self.ops, b, pos);
                self.alloc.release_dead(args, pos);
                let d = self.def(v, pos, Some(ra));
                self.mul(s, d, ra, rb);
            }
            BinOp::UMulH | BinOp::SMulH => {
                let rb = self.alloc.get(self.ops, b, pos);
                self.alloc.release_dead(args, pos);
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
                let rb = self.alloc.get(self.ops, b, pos);
                self.alloc.release_dead(args, pos);
                let d = self.def(v, pos, Some(ra));
                self.div(bop == BinOp::SDiv, s, d, ra, rb);
            }
        }

        End::Common
    }

    /// `Op::Un`.
    pub(super) fn lower_un(&mut self, uop: UnOp, s: Sz, a: Val, pos: u32, args: &[Val]) {
        let v = Val(pos);

        let ra = self.alloc.get(self.ops, a, pos);
        self.alloc.release_dead(args, pos);
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
            (UnOp::Ctz, Sz::S64) => dynasm!(self.ops ; .arch x64 ; tzcnt Rq(d), Rq(ra)),
            (UnOp::Ctz, Sz::S32) => dynasm!(self.ops ; .arch x64 ; tzcnt Rd(d), Rd(ra)),
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

    /// `Op::Nzcv`: the packed NZCV of a flags value.
    pub(super) fn lower_nzcv(&mut self, f: Val, pos: u32, args: &[Val]) {
        let v = Val(pos);

        self.nzcv_to_rax(f, pos);
        self.alloc.release_dead(args, pos);
        let d = self.def(v, pos, None);
        dynasm!(self.ops ; .arch x64 ; mov Rq(d), rax);
        self.eflags = None;
    }

    /// `Op::CondVal`: 1 when the condition holds.
    pub(super) fn lower_cond_val(&mut self, c: CondCode, f: Val, pos: u32, args: &[Val]) {
        let v = Val(pos);

        let at = self.cond(c, f, pos);
        self.alloc.release_dead(args, pos);
        let d = self.def(v, pos, None);
        match at {
            CondAt::Always => dynasm!(self.ops ; .arch x64 ; mov Rd(d), 1),
            CondAt::Host(cc) => {
                super::cond::setcc(self.ops, cc, d);
                dynasm!(self.ops ; .arch x64 ; movzx Rd(d), Rb(d));
            }
        }
    }

    /// `Op::Select`.
    pub(super) fn lower_select(&mut self, (c, f, a, b): (CondCode, Val, Val, Val), pos: u32, args: &[Val]) {
        let v = Val(pos);

        let ra = self.alloc.get(self.ops, a, pos);
        let rb = self.alloc.get(self.ops, b, pos);
        let at = self.cond(c, f, pos);
        self.alloc.release_dead(args, pos);
        let d = self.def(v, pos, None);
        match at {
            CondAt::Always => dynasm!(self.ops ; .arch x64 ; mov Rq(d), Rq(ra)),
            CondAt::Host(cc) => {
                if d == ra {
                    super::cond::cmov(self.ops, cc.invert(), d, rb);
                } else {
                    if d != rb {
                        dynasm!(self.ops ; .arch x64 ; mov Rq(d), Rq(rb));
                    }
                    super::cond::cmov(self.ops, cc, d, ra);
                }
            }
        }
    }

    /// `Op::Confine`: the address confined to the guest region.
    pub(super) fn lower_confine(&mut self, a: Val, pos: u32, args: &[Val]) {
        let v = Val(pos);

        let ra = self.alloc.get(self.ops, a, pos);
        self.alloc.release_dead(args, pos);
        let d = self.def(v, pos, Some(ra));
        super::confine::emit(self.ops, super::confine::Pinned::of(self.rt.host), d, ra);
    }
}
