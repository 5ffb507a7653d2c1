//! Inline SSE lowering of the common AdvSIMD operations (Arm ARM C7). Operands are loaded from
//! the V register cache (`vcache`) or CpuState into xmm0 (n) and xmm1 (m), combined, and the
//! result put in the cache; the rarer operations go to the `helper_vec` call. 64-bit (non-Q)
//! forms clear the upper half.

use super::Lower;
use crate::cpu::{off, VEC_CONSTS};
use crate::ir::{VecFn, VecKind};
use crate::ops::{Second, ZeroCmp};
use dynasmrt::{dynasm, DynasmApi};

/// The sign bit of every element of size `es`, as a 64-bit pattern.
pub(super) fn sign_bits(es: u8) -> u64 {
    match es {
        0 => 0x8080_8080_8080_8080,
        1 => 0x8000_8000_8000_8000,
        2 => 0x8000_0000_8000_0000,
        _ => 0x8000_0000_0000_0000,
    }
}

impl Lower<'_> {
    /// xmm`x` = the 64-bit `pattern` in both halves (loaded from CpuState's table when it has
    /// it).
    pub(super) fn bcast(&mut self, x: u8, pattern: u64) {
        if pattern == 0 {
            dynasm!(self.ops ; .arch x64 ; pxor Rx(x), Rx(x));
            return;
        }
        if let Some(i) = VEC_CONSTS.iter().position(|&c| c == pattern) {
            let o = off::VEC_CONST + 8 * i as i32;
            dynasm!(self.ops ; .arch x64 ; movddup Rx(x), QWORD [r15 + o]);
            return;
        }
        dynasm!(self.ops ; .arch x64
            ; mov rax, QWORD pattern as i64
            ; movq Rx(x), rax
            ; punpcklqdq Rx(x), Rx(x)
        );
    }

    /// xmm`x` = `lo` in the low half, `hi` in the high one: two adjacent words of CpuState's
    /// table when it has them.
    pub(super) fn vconst(&mut self, x: u8, lo: u64, hi: u64) {
        if let Some(i) = VEC_CONSTS.windows(2).position(|w| w == [lo, hi]) {
            let o = off::VEC_CONST + 8 * i as i32;
            dynasm!(self.ops ; .arch x64 ; movdqu Rx(x), [r15 + o]);
            return;
        }
        dynasm!(self.ops ; .arch x64
            ; mov rax, QWORD lo as i64 ; movq Rx(x), rax
            ; mov rax, QWORD hi as i64 ; pinsrq Rx(x), rax, 1
        );
    }

    /// Every element of xmm`x` = its element `i` of size `es` (clobbers xmm5).
    pub(super) fn dup_lane(&mut self, x: u8, es: u8, i: u8) {
        match es {
            0 => {
                self.bcast(5, 0x0101_0101_0101_0101u64 * i as u64);
                dynasm!(self.ops ; .arch x64 ; pshufb Rx(x), xmm5);
            }
            1 => {
                let pair = (2 * i as u64) | ((2 * i as u64 + 1) << 8);
                self.bcast(5, pair * 0x0001_0001_0001_0001);
                dynasm!(self.ops ; .arch x64 ; pshufb Rx(x), xmm5);
            }
            2 => {
                let sel = (i * 0x55) as i8;
                dynasm!(self.ops ; .arch x64 ; pshufd Rx(x), Rx(x), sel);
            }
            _ => {
                let sel = if i == 0 { 0x44 } else { 0xeeu8 as i8 };
                dynasm!(self.ops ; .arch x64 ; pshufd Rx(x), Rx(x), sel);
            }
        }
    }

    pub(super) fn ones(&mut self, x: u8) {
        dynasm!(self.ops ; .arch x64 ; pcmpeqd Rx(x), Rx(x));
    }

    /// xmm0 = !xmm0.
    fn not0(&mut self) {
        self.ones(3);
        dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm3);
    }

    /// xmm0 = (xmm0 == xmm1) per element.
    fn cmpeq(&mut self, es: u8) {
        match es {
            0 => dynasm!(self.ops ; .arch x64 ; pcmpeqb xmm0, xmm1),
            1 => dynasm!(self.ops ; .arch x64 ; pcmpeqw xmm0, xmm1),
            2 => dynasm!(self.ops ; .arch x64 ; pcmpeqd xmm0, xmm1),
            _ => dynasm!(self.ops ; .arch x64 ; pcmpeqq xmm0, xmm1),
        }
    }

    /// xmm0 = (xmm0 > xmm1) signed per element.
    fn cmpgt(&mut self, es: u8) {
        match es {
            0 => dynasm!(self.ops ; .arch x64 ; pcmpgtb xmm0, xmm1),
            1 => dynasm!(self.ops ; .arch x64 ; pcmpgtw xmm0, xmm1),
            2 => dynasm!(self.ops ; .arch x64 ; pcmpgtd xmm0, xmm1),
            _ => dynasm!(self.ops ; .arch x64 ; pcmpgtq xmm0, xmm1),
        }
    }

    /// Flip the sign bit of every element of xmm0 and xmm1 (unsigned -> signed order).
    /// Leaves the sign bits in xmm2.
    pub(super) fn bias(&mut self, es: u8) {
        self.bcast(2, sign_bits(es));
        dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm2 ; pxor xmm1, xmm2);
    }

    /// Narrow xmm0's elements of size `es + 1` to `es` (truncating) into its low 64 bits.
    fn narrow(&mut self, es: u8) -> bool {
        match es {
            0 => {
                self.bcast(2, 0x00ff_00ff_00ff_00ff);
                dynasm!(self.ops ; .arch x64 ; pand xmm0, xmm2 ; packuswb xmm0, xmm0);
            }
            1 => {
                self.bcast(2, 0x0000_ffff_0000_ffff);
                dynasm!(self.ops ; .arch x64 ; pand xmm0, xmm2 ; packusdw xmm0, xmm0);
            }
            2 => dynasm!(self.ops ; .arch x64 ; pshufd xmm0, xmm0, 0x08),
            _ => return false,
        }
        true
    }

    /// Widen the low (or, with `upper`, high) 64 bits of xmm`x` from `es` to `es + 1` elements.
    pub(super) fn widen(&mut self, x: u8, es: u8, signed: bool, upper: bool) {
        super::vecvex::vex_widen(self, x, x, es, signed, upper);
    }

    /// xmm0 += xmm1 (or -=) with elements of size `es`.
    pub(super) fn add_sub(&mut self, es: u8, sub: bool) {
        self.add_sub_with(es, sub, 1);
    }

    /// xmm0 += (or -=) xmm`s`, elements of size `es`.
    fn add_sub_with(&mut self, es: u8, sub: bool, s: u8) {
        match (es, sub) {
            (0, false) => dynasm!(self.ops ; .arch x64 ; paddb xmm0, Rx(s)),
            (1, false) => dynasm!(self.ops ; .arch x64 ; paddw xmm0, Rx(s)),
            (2, false) => dynasm!(self.ops ; .arch x64 ; paddd xmm0, Rx(s)),
            (_, false) => dynasm!(self.ops ; .arch x64 ; paddq xmm0, Rx(s)),
            (0, true) => dynasm!(self.ops ; .arch x64 ; psubb xmm0, Rx(s)),
            (1, true) => dynasm!(self.ops ; .arch x64 ; psubw xmm0, Rx(s)),
            (2, true) => dynasm!(self.ops ; .arch x64 ; psubd xmm0, Rx(s)),
            (_, true) => dynasm!(self.ops ; .arch x64 ; psubq xmm0, Rx(s)),
        }
    }

    /// xmm0 = V`n`, xmm1 = V`m`.
    fn load_nm(&mut self, n: u8, m: u8) {
        self.load_v(0, n);
        self.load_v(1, m);
    }

    /// Lower a vector op inline; false if it must go to the helper. Each arm loads its operands,
    /// computes and either stores V`d` itself (`Fin::Stored`) or leaves the result in xmm0.
    pub(super) fn vec_inline(&mut self, f: VecFn, d: u8, n: u8, m: u8) -> bool {
        let q = f.q;
        let fin = self
            .vec_widths(f, d, n, m)
            .or_else(|| self.vec_arith(f, d, n, m))
            .or_else(|| self.vec_lanes(f, d, n, m));
        let Some(fin) = fin else { return false };
        match fin {
            Fin::Stored => {}
            Fin::Low | Fin::Scalar => {
                if !q || fin == Fin::Scalar {
                    dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
                }
                self.store_v(d);
            }
        }
        true
    }

    /// Inline SSE for the operations that widen, narrow or move single elements; they store
    /// their result themselves.
    fn vec_widths(&mut self, f: VecFn, d: u8, n: u8, m: u8) -> Option<Fin> {
        use VecKind::*;
        let (es, q) = (f.esize, f.q);
        match f.kind {
            InsElem { dst, src } => {
                self.ins_elem(d, n, es, dst, src);
                Some(Fin::Stored)
            }
            Ushll(sh) | Sshll(sh) if es < 3 => {
                self.load_nm(n, m);
                self.widen_shift(es, sh, matches!(f.kind, Sshll(_)), q);
                self.store_v(d);
                Some(Fin::Stored)
            }
            AddW { signed } | SubW { signed } | AddL { signed } | SubL { signed } if es < 3 => {
                self.load_nm(n, m);
                if matches!(f.kind, AddL { .. } | SubL { .. }) {
                    self.widen(0, es, signed, q);
                }
                self.widen(1, es, signed, q);
                self.add_sub(es + 1, matches!(f.kind, SubW { .. } | SubL { .. }));
                self.store_v(d);
                Some(Fin::Stored)
            }
            Xtn | Shrn(_) if es < 3 => {
                self.load_nm(n, m);
                self.narrow_to(d, es, q, if let Shrn(sh) = f.kind { sh } else { 0 });
                Some(Fin::Stored)
            }
            _ => None,
        }
    }

    /// Inline SSE for lane-wise arithmetic, logic, compares and shifts, result in xmm0.
    fn vec_arith(&mut self, f: VecFn, d: u8, n: u8, m: u8) -> Option<Fin> {
        use VecKind::*;
        let (es, v) = (f.esize, Second::Vector);
        match f.kind {
            // The second operand straight from its cache register where the operation only
            // reads it.
            And | Orr | Eor | Bsl | Bit => {
                self.load_v(0, n);
                let s = self.vsrc(m, 1);
                self.bitwise_with(f.kind, d, s);
                Some(Fin::Low)
            }
            Not => {
                self.load_v(0, n);
                self.not0();
                Some(Fin::Low)
            }
            Bic | Orn | Bif => {
                self.load_nm(n, m);
                self.bitwise(f.kind, d);
                Some(Fin::Low)
            }
            Add | Sub => {
                self.load_v(0, n);
                let s = self.vsrc(m, 1);
                self.add_sub_with(es, f.kind == Sub, s);
                Some(Fin::Low)
            }
            Mul(s) | Mla(s) | Mls(s) if s == v && es < 3 => {
                self.load_nm(n, m);
                match es {
                    0 => self.mul_bytes(),
                    1 => dynasm!(self.ops ; .arch x64 ; pmullw xmm0, xmm1),
                    _ => dynasm!(self.ops ; .arch x64 ; pmulld xmm0, xmm1),
                }
                if !matches!(f.kind, Mul(_)) {
                    self.accumulate(d, es, matches!(f.kind, Mls(_)));
                }
                Some(Fin::Low)
            }
            Cmeq | Cmgt | Cmge | Cmhi | Cmhs | Cmtst => {
                self.load_nm(n, m);
                self.compare(f.kind, es);
                Some(Fin::Low)
            }
            CmpZero(c) => {
                self.load_v(0, n);
                self.compare_zero(c, es);
                Some(Fin::Low)
            }
            Umax | Umin | Smax | Smin if es < 3 => {
                self.load_nm(n, m);
                self.max_min(0, 1, es, matches!(f.kind, Smax | Smin), matches!(f.kind, Umax | Smax));
                Some(Fin::Low)
            }
            Shl(sh) | Ushr(sh) if es > 0 => {
                self.load_v(0, n);
                self.shift_imm(es, sh, matches!(f.kind, Shl(_)));
                Some(Fin::Low)
            }
            Sshr(sh) => {
                self.load_v(0, n);
                self.shift_right(es, sh, true);
                Some(Fin::Low)
            }
            _ => None,
        }
    }

    /// Inline SSE for the operations that rearrange lanes or make constants, result in xmm0.
    fn vec_lanes(&mut self, f: VecFn, d: u8, n: u8, m: u8) -> Option<Fin> {
        use VecKind::*;
        let (es, q) = (f.esize, f.q);
        match f.kind {
            Rev64 | Rev32 | Rev16 => {
                self.load_nm(n, m);
                let group = match f.kind {
                    Rev64 => 8,
                    Rev32 => 4,
                    _ => 2,
                };
                self.reverse(es, group);
                Some(Fin::Low)
            }
            Movi(imm) => {
                self.load_nm(n, m);
                self.bcast(0, imm);
                Some(Fin::Low)
            }
            OrrImm(imm) | BicImm(imm) => {
                self.load_nm(n, m);
                self.bcast(1, imm);
                self.load_v(0, d);
                if matches!(f.kind, OrrImm(_)) {
                    dynasm!(self.ops ; .arch x64 ; por xmm0, xmm1);
                } else {
                    dynasm!(self.ops ; .arch x64 ; pandn xmm1, xmm0 ; movdqa xmm0, xmm1);
                }
                Some(Fin::Low)
            }
            DupElem(i) => {
                self.load_nm(n, m);
                self.dup_lane(0, es, i);
                Some(Fin::Low)
            }
            Zip1 | Zip2 if q => {
                self.load_nm(n, m);
                self.zip(es, f.kind == Zip2);
                Some(Fin::Low)
            }
            // The 64-bit forms: ZIP1 is the low half of the 128-bit interleave of the low
            // halves, ZIP2 its high half.
            Zip1 | Zip2 if es < 3 => {
                self.load_nm(n, m);
                self.zip(es, false);
                if f.kind == Zip2 {
                    dynasm!(self.ops ; .arch x64 ; psrldq xmm0, 8);
                }
                Some(Fin::Low)
            }
            Uzp1 | Uzp2 if q => {
                self.load_nm(n, m);
                self.uzp(es, f.kind == Uzp2);
                Some(Fin::Low)
            }
            Trn1 | Trn2 if q || es < 3 => {
                self.load_nm(n, m);
                self.trn(es, f.kind == Trn2);
                Some(Fin::Low)
            }
            Ext(i) => {
                self.load_nm(n, m);
                let i = i as i8;
                if q {
                    // (m:n) >> 8*i
                    dynasm!(self.ops ; .arch x64 ; palignr xmm1, xmm0, i ; movdqa xmm0, xmm1);
                } else {
                    dynasm!(self.ops ; .arch x64 ; punpcklqdq xmm0, xmm1 ; psrldq xmm0, i);
                }
                Some(Fin::Low)
            }
            // The pairwise and unzipping 64-bit forms work on n's and m's low halves side by
            // side, one 128-bit vector, whose result's low half is theirs.
            Uzp1 | Uzp2 | Umaxp | Uminp | Addp if !q && es < 3 && has_pairs(f.kind, es) => {
                self.load_nm(n, m);
                dynasm!(self.ops ; .arch x64 ; punpcklqdq xmm0, xmm1 ; movdqa xmm1, xmm0);
                self.pairs(f.kind, es);
                Some(Fin::Low)
            }
            Umaxp | Uminp | Addp if has_pairs(f.kind, es) => {
                self.load_nm(n, m);
                self.pairs(f.kind, es);
                Some(Fin::Low)
            }
            AddpScalar => {
                self.load_nm(n, m);
                dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm0 ; psrldq xmm1, 8 ; paddq xmm0, xmm1);
                Some(Fin::Scalar)
            }

            _ => None,
        }
    }

    /// INS (element): one element moves through a general register.
    fn ins_elem(&mut self, d: u8, n: u8, es: u8, dst: u8, src: u8) {
        let (vn, vd) = (off::vreg(n), off::vreg(d));
        let (dst, src) = (vd + ((dst as i32) << es), vn + ((src as i32) << es));
        self.flush_v(n);
        self.flush_v(d);
        self.vcache.invalidate(d);
        match es {
            0 => dynasm!(self.ops ; .arch x64 ; mov al, [r15 + src] ; mov [r15 + dst], al),
            1 => dynasm!(self.ops ; .arch x64 ; mov ax, [r15 + src] ; mov [r15 + dst], ax),
            2 => dynasm!(self.ops ; .arch x64 ; mov eax, [r15 + src] ; mov [r15 + dst], eax),
            _ => dynasm!(self.ops ; .arch x64 ; mov rax, [r15 + src] ; mov [r15 + dst], rax),
        }
    }

    /// USHLL/SSHLL: xmm0's half widened and shifted left.
    fn widen_shift(&mut self, es: u8, sh: u8, signed: bool, q: bool) {
        self.widen(0, es, signed, q);
        if sh > 0 {
            let sh = sh as i8;
            match es {
                0 => dynasm!(self.ops ; .arch x64 ; psllw xmm0, sh),
                1 => dynasm!(self.ops ; .arch x64 ; pslld xmm0, sh),
                _ => dynasm!(self.ops ; .arch x64 ; psllq xmm0, sh),
            }
        }
    }

    /// XTN/SHRN(2): xmm0's elements shifted right, narrowed into V`d`'s lower (upper) half.
    pub(super) fn narrow_to(&mut self, d: u8, es: u8, q: bool, sh: u8) {
        if sh > 0 {
            let s = sh as i8;
            match es {
                0 => dynasm!(self.ops ; .arch x64 ; psrlw xmm0, s),
                1 => dynasm!(self.ops ; .arch x64 ; psrld xmm0, s),
                _ => dynasm!(self.ops ; .arch x64 ; psrlq xmm0, s),
            }
        }
        self.narrow(es);
        self.store_narrow(d, q);
    }

    /// V`d` = the narrow result in xmm0's low half: as its lower half, the upper zeroed, or
    /// (`q`, the "2" forms) as its upper half, the lower kept.
    pub(super) fn store_narrow(&mut self, d: u8, q: bool) {
        if q {
            self.load_v(1, d);
            dynasm!(self.ops ; .arch x64 ; punpcklqdq xmm1, xmm0 ; movdqa xmm0, xmm1);
        } else {
            dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
        }
        self.store_v(d);
    }

    /// The bitwise operations on xmm0 (n), xmm1 (m) and, for the selects, V`d`.
    /// AND, ORR, EOR, BSL, BIT of xmm0 and xmm`s` (which they only read), V`d` for the selects.
    fn bitwise_with(&mut self, kind: VecKind, d: u8, s: u8) {
        match kind {
            VecKind::And => dynasm!(self.ops ; .arch x64 ; pand xmm0, Rx(s)),
            VecKind::Orr => dynasm!(self.ops ; .arch x64 ; por xmm0, Rx(s)),
            VecKind::Eor => dynasm!(self.ops ; .arch x64 ; pxor xmm0, Rx(s)),
            // BSL: d ? n : m == m ^ ((m ^ n) & d)
            VecKind::Bsl => {
                let dr = self.vsrc(d, 2);
                dynasm!(self.ops ; .arch x64 ; pxor xmm0, Rx(s) ; pand xmm0, Rx(dr) ; pxor xmm0, Rx(s))
            }
            // BIT: m ? n : d == d ^ ((d ^ n) & m)
            VecKind::Bit => {
                let dr = self.vsrc(d, 2);
                dynasm!(self.ops ; .arch x64 ; pxor xmm0, Rx(dr) ; pand xmm0, Rx(s) ; pxor xmm0, Rx(dr))
            }
            other => self.bitwise(other, d),
        }
    }

    fn bitwise(&mut self, kind: VecKind, d: u8) {
        match kind {
            VecKind::And => dynasm!(self.ops ; .arch x64 ; pand xmm0, xmm1),
            VecKind::Bic => dynasm!(self.ops ; .arch x64 ; pandn xmm1, xmm0 ; movdqa xmm0, xmm1),
            VecKind::Orr => dynasm!(self.ops ; .arch x64 ; por xmm0, xmm1),
            VecKind::Orn => {
                self.ones(2);
                dynasm!(self.ops ; .arch x64 ; pxor xmm1, xmm2 ; por xmm0, xmm1);
            }
            VecKind::Eor => dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm1),
            // BSL: d ? n : m == m ^ ((m ^ n) & d)
            VecKind::Bsl => {
                self.load_v(2, d);
                dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm1 ; pand xmm0, xmm2 ; pxor xmm0, xmm1)
            }
            // BIT: m ? n : d == d ^ ((d ^ n) & m)
            VecKind::Bit => {
                self.load_v(2, d);
                dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm2 ; pand xmm0, xmm1 ; pxor xmm0, xmm2)
            }
            // BIF: m ? d : n == n ^ ((n ^ d) & m)
            VecKind::Bif => {
                self.load_v(2, d);
                dynasm!(self.ops ; .arch x64 ; pxor xmm2, xmm0 ; pand xmm2, xmm1 ; pxor xmm0, xmm2)
            }
            VecKind::Not => self.not0(),
            other => unreachable!("{other:?} is not bitwise (see `vec_inline`)"),
        }
    }

    /// The register compares of xmm0 with xmm1.
    fn compare(&mut self, kind: VecKind, es: u8) {
        let swap = |l: &mut Self| {
            dynasm!(l.ops ; .arch x64 ; movdqa xmm2, xmm0 ; movdqa xmm0, xmm1 ; movdqa xmm1, xmm2);
        };
        match kind {
            VecKind::Cmeq => self.cmpeq(es),
            VecKind::Cmgt => self.cmpgt(es),
            VecKind::Cmge => {
                // n >= m == !(m > n)
                swap(self);
                self.cmpgt(es);
                self.not0();
            }
            VecKind::Cmhi => {
                self.bias(es);
                self.cmpgt(es);
            }
            VecKind::Cmhs if es < 3 => {
                // n >= m (unsigned) == (max(m, n) == n): two instructions where the sign bias
                // took eight (glibc's strchr family compares so in its loops).
                self.max_min(1, 0, es, false, true);
                self.cmpeq(es);
            }
            VecKind::Cmhs => {
                self.bias(es);
                swap(self);
                self.cmpgt(es);
                self.not0();
            }
            VecKind::Cmtst => {
                dynasm!(self.ops ; .arch x64 ; pand xmm0, xmm1 ; pxor xmm1, xmm1);
                self.cmpeq(es);
                self.not0();
            }
            other => unreachable!("{other:?} is not a register compare (see `vec_inline`)"),
        }
    }

    /// The compares of xmm0 with zero.
    fn compare_zero(&mut self, c: ZeroCmp, es: u8) {
        dynasm!(self.ops ; .arch x64 ; pxor xmm1, xmm1);
        match c {
            ZeroCmp::Eq => self.cmpeq(es),
            ZeroCmp::Gt => self.cmpgt(es),
            ZeroCmp::Ge => {
                // n >= 0 == !(0 > n)
                dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm0 ; pxor xmm0, xmm0);
                self.cmpgt(es);
                self.not0();
            }
            ZeroCmp::Le => {
                self.cmpgt(es);
                self.not0();
            }
            ZeroCmp::Lt => {
                dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm0 ; pxor xmm0, xmm0);
                self.cmpgt(es);
            }
        }
    }

    /// REV64/REV32/REV16: one pshufb, byte j of each group of `group` bytes from the mirrored
    /// element.
    fn reverse(&mut self, es: u8, group: u64) {
        let e = 1u64 << es;
        let idx = |j: u64| j / group * group + (group / e - 1 - j % group / e) * e + j % e;
        let lo = (0..8).fold(0u64, |a, j| a | idx(j) << (8 * j));
        let hi = (0..8).fold(0u64, |a, j| a | idx(j + 8) << (8 * j));
        dynasm!(self.ops ; .arch x64
            ; mov rax, QWORD lo as i64 ; movq xmm1, rax
            ; mov rax, QWORD hi as i64 ; movq xmm2, rax
            ; punpcklqdq xmm1, xmm2 ; pshufb xmm0, xmm1
        );
    }

    /// SHL (`left`) or USHR by an immediate; shifts by the full element size give 0 on both.
    pub(super) fn shift_imm(&mut self, es: u8, sh: u8, left: bool) {
        let s = sh.min(64) as i8;
        match (es, left) {
            (1, true) => dynasm!(self.ops ; .arch x64 ; psllw xmm0, s),
            (2, true) => dynasm!(self.ops ; .arch x64 ; pslld xmm0, s),
            (_, true) => dynasm!(self.ops ; .arch x64 ; psllq xmm0, s),
            (1, false) => dynasm!(self.ops ; .arch x64 ; psrlw xmm0, s),
            (2, false) => dynasm!(self.ops ; .arch x64 ; psrld xmm0, s),
            (_, false) => dynasm!(self.ops ; .arch x64 ; psrlq xmm0, s),
        }
    }

    /// ZIP1/ZIP2 (`high`) of xmm0 and xmm1.
    fn zip(&mut self, es: u8, high: bool) {
        match (es, high) {
            (0, false) => dynasm!(self.ops ; .arch x64 ; punpcklbw xmm0, xmm1),
            (1, false) => dynasm!(self.ops ; .arch x64 ; punpcklwd xmm0, xmm1),
            (2, false) => dynasm!(self.ops ; .arch x64 ; punpckldq xmm0, xmm1),
            (_, false) => dynasm!(self.ops ; .arch x64 ; punpcklqdq xmm0, xmm1),
            (0, true) => dynasm!(self.ops ; .arch x64 ; punpckhbw xmm0, xmm1),
            (1, true) => dynasm!(self.ops ; .arch x64 ; punpckhwd xmm0, xmm1),
            (2, true) => dynasm!(self.ops ; .arch x64 ; punpckhdq xmm0, xmm1),
            (_, true) => dynasm!(self.ops ; .arch x64 ; punpckhqdq xmm0, xmm1),
        }
    }

    /// UZP1/UZP2 (`odd`) of xmm0 and xmm1.
    fn uzp(&mut self, es: u8, odd: bool) {
        match es {
            0 => {
                if odd {
                    dynasm!(self.ops ; .arch x64 ; psrlw xmm0, 8 ; psrlw xmm1, 8);
                } else {
                    self.bcast(2, 0x00ff_00ff_00ff_00ff);
                    dynasm!(self.ops ; .arch x64 ; pand xmm0, xmm2 ; pand xmm1, xmm2);
                }
                dynasm!(self.ops ; .arch x64 ; packuswb xmm0, xmm1);
            }
            1 => {
                if odd {
                    dynasm!(self.ops ; .arch x64 ; psrld xmm0, 16 ; psrld xmm1, 16);
                } else {
                    self.bcast(2, 0x0000_ffff_0000_ffff);
                    dynasm!(self.ops ; .arch x64 ; pand xmm0, xmm2 ; pand xmm1, xmm2);
                }
                dynasm!(self.ops ; .arch x64 ; packusdw xmm0, xmm1);
            }
            2 if odd => dynasm!(self.ops ; .arch x64 ; shufps xmm0, xmm1, 0xddu8 as i8),
            2 => dynasm!(self.ops ; .arch x64 ; shufps xmm0, xmm1, 0x88u8 as i8),
            _ if odd => dynasm!(self.ops ; .arch x64 ; punpckhqdq xmm0, xmm1),
            _ => dynasm!(self.ops ; .arch x64 ; punpcklqdq xmm0, xmm1),
        }
    }

    /// xmm0 *= xmm1 in bytes (the low eight bits of each product), through PMULLW: the even
    /// bytes' products in the low bytes of the words, the odd bytes' with the second factor
    /// kept in the high byte, so that their product lands there. Clobbers xmm1..xmm3.
    fn mul_bytes(&mut self) {
        self.bcast(3, 0x00ff_00ff_00ff_00ff);
        dynasm!(self.ops ; .arch x64
            ; movdqa xmm2, xmm0 ; pmullw xmm2, xmm1 ; pand xmm2, xmm3
            ; psrlw xmm0, 8 ; pandn xmm3, xmm1 ; pmullw xmm0, xmm3 ; por xmm0, xmm2
        );
    }

    /// UZP1/UZP2, UMAXP/UMINP and ADDP of xmm0 and xmm1 (n's results below m's), for the
    /// element sizes [`has_pairs`] takes.
    fn pairs(&mut self, kind: VecKind, es: u8) {
        match kind {
            VecKind::Uzp1 | VecKind::Uzp2 => self.uzp(es, kind == VecKind::Uzp2),
            VecKind::Umaxp | VecKind::Uminp if es == 0 => self.byte_pairs_max_min(kind == VecKind::Umaxp),
            VecKind::Umaxp | VecKind::Uminp => self.word_pairs_max_min(kind == VecKind::Umaxp),
            _ => self.add_pairs(es),
        }
    }

    /// TRN1/TRN2 (`second`) of xmm0 and xmm1: the even (odd) elements of n in the even lanes,
    /// those of m in the odd ones. Each element moves by one lane, so a shift by one element
    /// and a blend (a mask and an OR for bytes) make it.
    fn trn(&mut self, es: u8, second: bool) {
        match (es, second) {
            (0, false) => {
                self.bcast(2, 0x00ff_00ff_00ff_00ff);
                dynasm!(self.ops ; .arch x64 ; pand xmm0, xmm2 ; psllw xmm1, 8 ; por xmm0, xmm1);
            }
            (0, true) => {
                self.bcast(2, 0xff00_ff00_ff00_ff00);
                dynasm!(self.ops ; .arch x64 ; psrlw xmm0, 8 ; pand xmm1, xmm2 ; por xmm0, xmm1);
            }
            (1, false) => dynasm!(self.ops ; .arch x64 ; pslld xmm1, 16 ; pblendw xmm0, xmm1, 0xaau8 as i8),
            (1, true) => dynasm!(self.ops ; .arch x64 ; psrld xmm0, 16 ; pblendw xmm0, xmm1, 0xaau8 as i8),
            (2, false) => dynasm!(self.ops ; .arch x64 ; psllq xmm1, 32 ; pblendw xmm0, xmm1, 0xccu8 as i8),
            (2, true) => dynasm!(self.ops ; .arch x64 ; psrlq xmm0, 32 ; pblendw xmm0, xmm1, 0xccu8 as i8),
            (_, false) => dynasm!(self.ops ; .arch x64 ; punpcklqdq xmm0, xmm1),
            (_, true) => dynasm!(self.ops ; .arch x64 ; punpckhqdq xmm0, xmm1),
        }
    }

    /// UMAXP/UMINP of halfwords: even halfwords against odd ones, zero-extended to words and
    /// compared as words, then n's results packed below m's (PACKUSDW keeps 0..=65535 as is).
    fn word_pairs_max_min(&mut self, max: bool) {
        dynasm!(self.ops ; .arch x64
            ; movdqa xmm3, xmm0 ; psrld xmm3, 16 ; pslld xmm0, 16 ; psrld xmm0, 16
            ; movdqa xmm4, xmm1 ; psrld xmm4, 16 ; pslld xmm1, 16 ; psrld xmm1, 16
        );
        if max {
            dynasm!(self.ops ; .arch x64 ; pmaxud xmm0, xmm3 ; pmaxud xmm1, xmm4);
        } else {
            dynasm!(self.ops ; .arch x64 ; pminud xmm0, xmm3 ; pminud xmm1, xmm4);
        }
        dynasm!(self.ops ; .arch x64 ; packusdw xmm0, xmm1);
    }

    /// UMAXP/UMINP of bytes: even bytes against odd bytes of each source, then n's results
    /// packed below m's.
    fn byte_pairs_max_min(&mut self, max: bool) {
        self.bcast(2, 0x00ff_00ff_00ff_00ff);
        dynasm!(self.ops ; .arch x64
            ; movdqa xmm3, xmm0 ; psrlw xmm3, 8 ; pand xmm0, xmm2
            ; movdqa xmm4, xmm1 ; psrlw xmm4, 8 ; pand xmm1, xmm2
        );
        if max {
            dynasm!(self.ops ; .arch x64 ; pmaxub xmm0, xmm3 ; pmaxub xmm1, xmm4);
        } else {
            dynasm!(self.ops ; .arch x64 ; pminub xmm0, xmm3 ; pminub xmm1, xmm4);
        }
        dynasm!(self.ops ; .arch x64 ; packuswb xmm0, xmm1);
    }

    /// ADDP (vector) of xmm0 and xmm1.
    fn add_pairs(&mut self, es: u8) {
        match es {
            0 => {
                // Byte pairs summed to words by pmaddubsw with ones, truncated back to bytes.
                self.bcast(2, 0x0101_0101_0101_0101);
                self.bcast(3, 0x00ff_00ff_00ff_00ff);
                dynasm!(self.ops ; .arch x64
                    ; movdqa xmm4, xmm2 ; pmaddubsw xmm4, xmm0 ; pand xmm4, xmm3
                    ; movdqa xmm5, xmm2 ; pmaddubsw xmm5, xmm1 ; pand xmm5, xmm3
                    ; packuswb xmm4, xmm5 ; movdqa xmm0, xmm4
                );
            }
            1 => dynasm!(self.ops ; .arch x64 ; phaddw xmm0, xmm1),
            2 => dynasm!(self.ops ; .arch x64 ; phaddd xmm0, xmm1),
            _ => dynasm!(self.ops ; .arch x64
                ; movdqa xmm2, xmm0 ; punpcklqdq xmm0, xmm1 ; punpckhqdq xmm2, xmm1 ; paddq xmm0, xmm2),
        }
    }
}

/// Whether [`Lower::pairs`] lowers `kind` (UZP1/UZP2, UMAXP/UMINP, ADDP) on elements of `es`.
fn has_pairs(kind: VecKind, es: u8) -> bool {
    match kind {
        VecKind::Uzp1 | VecKind::Uzp2 | VecKind::Addp => true,
        VecKind::Umaxp | VecKind::Uminp => es < 2,
        _ => false,
    }
}

/// How an inline vector op ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fin {
    /// It stored V`d` itself.
    Stored,
    /// Its result is in xmm0; the 64-bit forms keep the low half.
    Low,
    /// Its result is in xmm0's low 64 bits (a scalar).
    Scalar,
}
