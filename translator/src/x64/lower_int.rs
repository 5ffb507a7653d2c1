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

    /// An index scaled by 2, 4 or 8 added to a base (`ldr x0, [x1, x2, lsl #3]`, `add x0, x1,
    /// x2, lsl #2`) as one LEA where a copy, a shift and an addition were: the shift is not
    /// emitted when its one use is the next op (constants between), an addition of its size,
    /// which then takes its operand as the index (kept in its register till then: its release
    /// is done there). Some(end) when this op was either.
    fn scaled_index(&mut self, (bop, s, a, b): (BinOp, Sz, Val, Val), pos: u32, args: &[Val]) -> Option<End> {
        let v = Val(pos);
        if let Some(p) = self.pending_index.take() {
            debug_assert!(bop == BinOp::Add && (a == p.v || b == p.v), "pending index unused");
            let base = if b == p.v { a } else { b };
            let rx = self.alloc.get(self.ops, p.x, pos);
            // A constant base (a jump table's address from ADR) is the displacement.
            let base = match self.imm32(base) {
                Some(disp) => Err(disp),
                None => Ok(self.alloc.get(self.ops, base, pos)),
            };
            self.alloc.release_dead(args, pos);
            self.alloc.release_dead(&[p.x], p.pos);
            let d = self.def(v, pos, None);
            match (s, p.shift, base) {
                (Sz::S64, 1, Ok(rb)) => dynasm!(self.ops ; .arch x64 ; lea Rq(d), [Rq(rb) + Rq(rx) * 2]),
                (Sz::S64, 2, Ok(rb)) => dynasm!(self.ops ; .arch x64 ; lea Rq(d), [Rq(rb) + Rq(rx) * 4]),
                (Sz::S64, _, Ok(rb)) => dynasm!(self.ops ; .arch x64 ; lea Rq(d), [Rq(rb) + Rq(rx) * 8]),
                (Sz::S32, 1, Ok(rb)) => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(rb) + Rq(rx) * 2]),
                (Sz::S32, 2, Ok(rb)) => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(rb) + Rq(rx) * 4]),
                (Sz::S32, _, Ok(rb)) => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(rb) + Rq(rx) * 8]),
                (Sz::S64, 1, Err(i)) => dynasm!(self.ops ; .arch x64 ; lea Rq(d), [Rq(rx) * 2 + i]),
                (Sz::S64, 2, Err(i)) => dynasm!(self.ops ; .arch x64 ; lea Rq(d), [Rq(rx) * 4 + i]),
                (Sz::S64, _, Err(i)) => dynasm!(self.ops ; .arch x64 ; lea Rq(d), [Rq(rx) * 8 + i]),
                (Sz::S32, 1, Err(i)) => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(rx) * 2 + i]),
                (Sz::S32, 2, Err(i)) => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(rx) * 4 + i]),
                (Sz::S32, _, Err(i)) => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(rx) * 8 + i]),
            }
            self.alloc.drop_if_unused(v);
            return Some(End::Done);
        }
        let shift = self.alloc.konst(b).filter(|k| (1..=3).contains(k))?;
        if bop != BinOp::Shl || self.alloc.konst(a).is_some() {
            return None;
        }
        let feeds = matches!(self.sole_use_next(v, pos), Some(&Op::Bin(BinOp::Add, s2, x, y)) if s2 == s && (x == v) != (y == v));
        if !feeds {
            return None;
        }
        self.pending_index = Some(super::PendingIndex {
            v,
            x: a,
            shift: shift as u8,
            pos,
        });
        // (Nothing emitted: EFLAGS and the registers stay as they were.)
        Some(End::Done)
    }

    /// `d = a + b` or `d = a - imm` into a register other than the operands' as one LEA where
    /// the two-address form took a move and the operation; false (nothing emitted) for other
    /// operations and where the next op asks for the flags of this one (ADDS, SUBS), which the
    /// ALU form leaves in EFLAGS for it. 32-bit forms take the low half of the 64-bit sum,
    /// zero-extended, as A64's W forms do.
    fn lea(
        &mut self,
        op: BinOp,
        (s, a, b): (Sz, Val, Val),
        d: u8,
        ra: u8,
        (rb, imm): (Option<u8>, Option<i32>),
        pos: u32,
    ) -> bool {
        let flags_next = match (op, self.block.ops.get(pos as usize + 1)) {
            (BinOp::Add, Some(&Op::FlagsAdd(s2, a2, b2))) | (BinOp::Sub, Some(&Op::FlagsSub(s2, a2, b2))) => {
                (s2, a2, b2) == (s, a, b)
            }
            _ => false,
        };
        if flags_next {
            return false;
        }
        let disp = match (op, rb, imm) {
            (BinOp::Add, Some(rb), _) => {
                match s {
                    Sz::S64 => dynasm!(self.ops ; .arch x64 ; lea Rq(d), [Rq(ra) + Rq(rb)]),
                    Sz::S32 => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(ra) + Rq(rb)]),
                }
                return true;
            }
            (BinOp::Add, None, Some(i)) => i,
            (BinOp::Sub, None, Some(i)) if i != i32::MIN => -i,
            _ => return false,
        };
        match (s, i8::try_from(disp)) {
            (_, Ok(d8)) => self.ops.extend(lea_disp8(s == Sz::S64, d, ra, d8).iter()),
            (Sz::S64, Err(_)) => dynasm!(self.ops ; .arch x64 ; lea Rq(d), [Rq(ra) + disp]),
            (Sz::S32, Err(_)) => dynasm!(self.ops ; .arch x64 ; lea Rd(d), [Rq(ra) + disp]),
        }
        // (LEA leaves EFLAGS, and what `eflags` says of them, as they were.)
        true
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
        );
        match s {
            Sz::S64 => dynasm!(self.ops ; .arch x64 ; mov Rq(d), rax),
            Sz::S32 => dynasm!(self.ops ; .arch x64 ; mov Rd(d), eax),
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
        if let Some(end) = self.scaled_index((bop, s, a, b), pos, args) {
            return end;
        }

        // A commutative op whose constant is its first operand (`mov w7, #0x9000` then `tst w7,
        // w6`) takes it as the immediate, the other operand in the register; the flags an
        // addition leaves are those of either order, so `eflags` names the op as it stands.
        let (oa, ob) = (a, b);
        let commutes = matches!(bop, BinOp::Add | BinOp::And | BinOp::Or | BinOp::Xor | BinOp::Mul);
        let (a, b) = if commutes && self.imm_sized(s, a).is_some() && self.imm_sized(s, b).is_none() {
            (b, a)
        } else {
            (a, b)
        };
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
                let imm = self.imm_sized(s, b);
                let rb = if imm.is_none() {
                    Some(self.alloc.get(self.ops, b, pos))
                } else {
                    None
                };
                self.alloc.release_dead(args, pos);
                let d = self.def(v, pos, Some(ra));
                if d != ra && Some(d) != rb && self.lea(bop, (s, oa, ob), d, ra, (rb, imm), pos) {
                    self.alloc.drop_if_unused(v);
                    return End::Done;
                }
                self.alu(bop, s, d, ra, rb, imm);
                self.eflags = match bop {
                    BinOp::Add => Some(Op::FlagsAdd(s, oa, ob)),
                    BinOp::Sub => Some(Op::FlagsSub(s, oa, ob)),
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
                let b = match self.imm_sized(s, b) {
                    Some(i) => Err(i),
                    None => Ok(self.alloc.get(self.ops, b, pos)),
                };
                self.alloc.release_dead(args, pos);
                let d = self.def(v, pos, Some(ra));
                match b {
                    Ok(rb) => self.mul(s, d, ra, rb),
                    // Three-operand IMUL: no register for the constant, no copy.
                    Err(i) => match s {
                        Sz::S64 => dynasm!(self.ops ; .arch x64 ; imul Rq(d), Rq(ra), i),
                        Sz::S32 => dynasm!(self.ops ; .arch x64 ; imul Rd(d), Rd(ra), i),
                    },
                }
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

        let held = self.alloc.locks();
        let at = self.cond(c, f, pos);
        // (As in a select: the compare's operands are done with.)
        self.alloc.lock_only(held);
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
        let held = self.alloc.locks();
        let at = self.cond(c, f, pos);
        // The compare is made: its operands need no register for the rest of the op (which
        // changes no EFLAGS: a spill or a constant for the result is a mov).
        self.alloc.lock_only(held);
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

/// `lea d, [base + disp8]` (64-bit, or 32-bit without `wide`), encoded here because dynasm-rs
/// gives a displacement known only at run time 32 bits: four or five bytes where that took
/// seven or eight.
fn lea_disp8(wide: bool, d: u8, base: u8, disp: i8) -> smallvec::SmallVec<[u8; 6]> {
    let mut out = smallvec::SmallVec::new();
    let rex = 0x40 | u8::from(wide) << 3 | (d >> 3 & 1) << 2 | (base >> 3 & 1);
    if rex != 0x40 {
        out.push(rex);
    }
    // ModRM: mod 01 (disp8), reg d, r/m base; a base of rsp or r12 takes a SIB byte (no index).
    out.extend([0x8d, 0x40 | (d & 7) << 3 | (base & 7)]);
    if base & 7 == 4 {
        out.push(0x24);
    }
    out.push(disp as u8);
    out
}

#[cfg(test)]
mod tests {
    use super::lea_disp8;
    use iced_x86::{Code, Decoder, DecoderOptions, Register};

    /// Host register `n` (0-15) as iced names it, 64- or 32-bit.
    fn reg(n: u8, wide: bool) -> Register {
        let base = if wide { Register::RAX } else { Register::EAX };
        // iced numbers RAX..R15 (and EAX..R15D) consecutively in hardware order.
        Register::try_from(base as usize + n as usize).unwrap()
    }

    #[test]
    fn lea_with_a_byte_displacement_decodes_as_meant_for_every_register_pair() {
        for wide in [false, true] {
            for d in 0..16u8 {
                for base in 0..16u8 {
                    for disp in [-128i8, -1, 0, 1, 48, 127] {
                        let bytes = lea_disp8(wide, d, base, disp);
                        let mut dec = Decoder::new(64, &bytes, DecoderOptions::NONE);
                        let i = dec.decode();
                        let what = format!("lea {d} [{base} + {disp}] wide {wide}: {bytes:02x?}");
                        assert_eq!(i.len(), bytes.len(), "{what}");
                        let code = if wide { Code::Lea_r64_m } else { Code::Lea_r32_m };
                        assert_eq!(i.code(), code, "{what}");
                        assert_eq!(i.op0_register(), reg(d, wide), "{what}");
                        assert_eq!(i.memory_base(), reg(base, true), "{what}");
                        assert_eq!(i.memory_index(), Register::None, "{what}");
                        assert_eq!(i.memory_displacement64(), disp as i64 as u64, "{what}");
                    }
                }
            }
        }
    }

    /// dynasm-rs's `lea d, [a + b]` with registers known at run time (rbp and r13 as the base
    /// need a displacement byte, rsp cannot be an index; the allocator never hands out rsp).
    #[test]
    fn lea_of_two_registers_decodes_as_meant_for_every_register_pair() {
        use dynasmrt::{dynasm, x64::X64Relocation, DynasmApi, VecAssembler};
        for d in 0..16u8 {
            for a in (0..16u8).filter(|&r| r != 4) {
                for b in (0..16u8).filter(|&r| r != 4) {
                    let mut ops = VecAssembler::<X64Relocation>::new(0);
                    dynasm!(ops ; .arch x64 ; lea Rq(d), [Rq(a) + Rq(b)]);
                    let bytes = ops.finalize().unwrap();
                    let i = Decoder::new(64, &bytes, DecoderOptions::NONE).decode();
                    let what = format!("lea {d} [{a} + {b}]: {bytes:02x?}");
                    assert_eq!(i.len(), bytes.len(), "{what}");
                    assert_eq!(i.code(), Code::Lea_r64_m, "{what}");
                    assert_eq!(i.op0_register(), reg(d, true), "{what}");
                    let mut used = [i.memory_base(), i.memory_index()];
                    let mut want = [reg(a, true), reg(b, true)];
                    used.sort();
                    want.sort();
                    assert_eq!(used, want, "{what}");
                    assert_eq!(i.memory_index_scale(), 1, "{what}");
                    assert_eq!(i.memory_displacement64(), 0, "{what}");
                }
            }
        }
    }

    /// dynasm-rs's `lea d, [b + x * scale]` with registers chosen at run time, as
    /// `Lower::scaled_index` emits it (rbp and r13 as the base need a displacement byte).
    #[test]
    fn lea_of_a_scaled_index_decodes_as_meant_for_every_register_pair() {
        use dynasmrt::{dynasm, x64::X64Relocation, DynasmApi, VecAssembler};
        for d in [0u8, 5, 13, 15] {
            for b in (0..16u8).filter(|&r| r != 4) {
                for x in (0..16u8).filter(|&r| r != 4) {
                    let mut ops = VecAssembler::<X64Relocation>::new(0);
                    dynasm!(ops ; .arch x64
                        ; lea Rq(d), [Rq(b) + Rq(x) * 2]
                        ; lea Rq(d), [Rq(b) + Rq(x) * 4]
                        ; lea Rd(d), [Rq(b) + Rq(x) * 8]
                    );
                    // A constant base (the displacement), as for a jump table.
                    let disp = 0x4005e4 + i32::from(b);
                    dynasm!(ops ; .arch x64 ; lea Rq(d), [Rq(x) * 4 + disp]);
                    let bytes = ops.finalize().unwrap();
                    let mut dec = Decoder::new(64, &bytes, DecoderOptions::NONE);
                    for (scale, wide) in [(2, true), (4, true), (8, false)] {
                        let i = dec.decode();
                        let what = format!("lea {d} [{b} + {x} * {scale}]: {bytes:02x?}");
                        let code = if wide { Code::Lea_r64_m } else { Code::Lea_r32_m };
                        assert_eq!(i.code(), code, "{what}");
                        assert_eq!(i.op0_register(), reg(d, wide), "{what}");
                        assert_eq!(
                            (i.memory_base(), i.memory_index(), i.memory_index_scale()),
                            (reg(b, true), reg(x, true), scale),
                            "{what}"
                        );
                        assert_eq!(i.memory_displacement64(), 0, "{what}");
                    }
                    let i = dec.decode();
                    let what = format!("lea {d} [{x} * 4 + {disp:#x}]: {bytes:02x?}");
                    assert_eq!((i.code(), i.op0_register()), (Code::Lea_r64_m, reg(d, true)), "{what}");
                    assert_eq!(
                        (i.memory_base(), i.memory_index(), i.memory_index_scale()),
                        (Register::None, reg(x, true), 4),
                        "{what}"
                    );
                    assert_eq!(i.memory_displacement64(), disp as u64, "{what}");
                }
            }
        }
    }
}
