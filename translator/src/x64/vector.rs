//! Inline SSE lowering of the common AdvSIMD operations (Arm ARM C7). Operands are loaded from
//! CpuState's V registers into xmm0 (n) and xmm1 (m), combined, and stored back; the rarer
//! operations go to the `helper_vec` call. 64-bit (non-Q) forms clear the upper half.

use super::Lower;
use crate::cpu::off;
use crate::ir::{VecFn, VecKind};
use dynasmrt::{dynasm, DynasmApi};

/// A write-through cache of guest V registers in xmm6..xmm14 within one block: CpuState stays
/// current, and reads of a V register written earlier in the block come from a register.
#[derive(Debug, Default, Clone)]
pub struct VCache {
    holder: [Option<u8>; 9],
    next: usize,
}

impl VCache {
    const FIRST: u8 = 6;

    /// The xmm register holding V`v`, if any.
    pub fn get(&self, v: u8) -> Option<u8> {
        self.holder
            .iter()
            .position(|&h| h == Some(v))
            .map(|i| Self::FIRST + i as u8)
    }

    /// An xmm register now assigned to V`v` (round-robin replacement).
    pub fn put(&mut self, v: u8) -> u8 {
        if let Some(k) = self.get(v) {
            return k;
        }
        let i = self.next;
        self.next = (self.next + 1) % self.holder.len();
        self.holder[i] = Some(v);
        Self::FIRST + i as u8
    }

    /// V`v` was written behind the cache's back.
    pub fn invalidate(&mut self, v: u8) {
        for h in self.holder.iter_mut() {
            if *h == Some(v) {
                *h = None;
            }
        }
    }

    /// Everything is stale (helper calls clobber every xmm register and may write V registers).
    pub fn clear(&mut self) {
        self.holder = [None; 9];
    }
}

impl Lower<'_> {
    /// xmm`x` = the 64-bit `pattern` in both halves.
    pub(super) fn bcast(&mut self, x: u8, pattern: u64) {
        dynasm!(self.ops ; .arch x64
            ; mov rax, QWORD pattern as i64
            ; movq Rx(x), rax
            ; punpcklqdq Rx(x), Rx(x)
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
    fn bias(&mut self, es: u8) {
        let p = match es {
            0 => 0x8080_8080_8080_8080u64,
            1 => 0x8000_8000_8000_8000,
            2 => 0x8000_0000_8000_0000,
            _ => 0x8000_0000_0000_0000,
        };
        self.bcast(2, p);
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
        if upper {
            dynasm!(self.ops ; .arch x64 ; psrldq Rx(x), 8);
        }
        match (es, signed) {
            (0, false) => dynasm!(self.ops ; .arch x64 ; pmovzxbw Rx(x), Rx(x)),
            (1, false) => dynasm!(self.ops ; .arch x64 ; pmovzxwd Rx(x), Rx(x)),
            (_, false) => dynasm!(self.ops ; .arch x64 ; pmovzxdq Rx(x), Rx(x)),
            (0, true) => dynasm!(self.ops ; .arch x64 ; pmovsxbw Rx(x), Rx(x)),
            (1, true) => dynasm!(self.ops ; .arch x64 ; pmovsxwd Rx(x), Rx(x)),
            (_, true) => dynasm!(self.ops ; .arch x64 ; pmovsxdq Rx(x), Rx(x)),
        }
    }

    /// xmm0 += xmm1 (or -=) with elements of size `es`.
    pub(super) fn add_sub(&mut self, es: u8, sub: bool) {
        match (es, sub) {
            (0, false) => dynasm!(self.ops ; .arch x64 ; paddb xmm0, xmm1),
            (1, false) => dynasm!(self.ops ; .arch x64 ; paddw xmm0, xmm1),
            (2, false) => dynasm!(self.ops ; .arch x64 ; paddd xmm0, xmm1),
            (_, false) => dynasm!(self.ops ; .arch x64 ; paddq xmm0, xmm1),
            (0, true) => dynasm!(self.ops ; .arch x64 ; psubb xmm0, xmm1),
            (1, true) => dynasm!(self.ops ; .arch x64 ; psubw xmm0, xmm1),
            (2, true) => dynasm!(self.ops ; .arch x64 ; psubd xmm0, xmm1),
            (_, true) => dynasm!(self.ops ; .arch x64 ; psubq xmm0, xmm1),
        }
    }

    /// xmm`x` = V`v`, from the cache when it holds V`v` (then no store-to-load round trip).
    pub(super) fn load_v(&mut self, x: u8, v: u8) {
        if let Some(k) = self.vcache.get(v) {
            dynasm!(self.ops ; .arch x64 ; movdqa Rx(x), Rx(k));
        } else {
            let o = off::vreg(v);
            let k = self.vcache.put(v);
            dynasm!(self.ops ; .arch x64 ; movdqu Rx(x), [r15 + o] ; movdqa Rx(k), Rx(x));
        }
    }

    /// V`v` = xmm0, in CpuState and in the cache.
    pub(super) fn store_v(&mut self, v: u8) {
        let o = off::vreg(v);
        let k = self.vcache.put(v);
        dynasm!(self.ops ; .arch x64 ; movdqu [r15 + o], xmm0 ; movdqa Rx(k), xmm0);
    }

    /// Lower a vector op inline; false if it must go to the helper.
    pub(super) fn vec_inline(&mut self, f: VecFn, d: u8, n: u8, m: u8) -> bool {
        use VecKind::*;
        let es = f.esize;
        let (vn, vd) = (off::vreg(n), off::vreg(d));
        // Decide first, so nothing is emitted for the helper path.
        if crate::ir::vecint::elem_index(&f).is_some() {
            return false; // x64/vecint.rs
        }
        let ok = match f.kind {
            And | Bic | Orr | Orn | Eor | Bsl | Bit | Bif | Add | Sub | Cmeq | Cmgt | Cmge | Cmhi | Cmtst | Not
            | Movi | OrrImm | BicImm | DupElem | CmpZero | AddpScalar => true,
            Cmhs | Umax | Umin => true,
            Smax | Smin => es < 3,
            Mul | Mla | Mls => es == 1 || es == 2,
            Shl | Ushr => es > 0,
            Sshr => es == 1 || es == 2,
            Zip1 | Zip2 => f.q,
            Uzp1 | Uzp2 => f.q,
            Ext => true,
            Umaxp | Uminp => es == 0 && f.q,
            Addp if es == 0 && f.q => true,
            Addp => f.q && es >= 1,
            Xtn | Shrn => es < 3,
            Ushll | Sshll | AddW | SubW | AddL | SubL => es < 3,
            InsElem => true,
            Rev64 | Rev32 | Rev16 => true,
            _ => false,
        };
        if !ok {
            return false;
        }
        if f.kind == InsElem {
            // One element moves through a general register.
            let (di, si) = ((f.imm & 0xff) as i32, (f.imm >> 8) as i32);
            let (dst, src) = (vd + (di << es), vn + (si << es));
            self.vcache.invalidate(d);
            match es {
                0 => dynasm!(self.ops ; .arch x64 ; mov al, [r15 + src] ; mov [r15 + dst], al),
                1 => dynasm!(self.ops ; .arch x64 ; mov ax, [r15 + src] ; mov [r15 + dst], ax),
                2 => dynasm!(self.ops ; .arch x64 ; mov eax, [r15 + src] ; mov [r15 + dst], eax),
                _ => dynasm!(self.ops ; .arch x64 ; mov rax, [r15 + src] ; mov [r15 + dst], rax),
            }
            return true;
        }
        self.load_v(0, n);
        self.load_v(1, m);
        match f.kind {
            Ushll | Sshll => {
                self.widen(0, es, f.kind == Sshll, f.q);
                if f.imm > 0 {
                    let sh = f.imm as i8;
                    match es {
                        0 => dynasm!(self.ops ; .arch x64 ; psllw xmm0, sh),
                        1 => dynasm!(self.ops ; .arch x64 ; pslld xmm0, sh),
                        _ => dynasm!(self.ops ; .arch x64 ; psllq xmm0, sh),
                    }
                }
                self.store_v(d);
                return true;
            }
            AddW | SubW | AddL | SubL => {
                let signed = f.imm & 1 == 1;
                if matches!(f.kind, AddL | SubL) {
                    self.widen(0, es, signed, f.q);
                }
                self.widen(1, es, signed, f.q);
                self.add_sub(es + 1, matches!(f.kind, SubW | SubL));
                self.store_v(d);
                return true;
            }
            And => dynasm!(self.ops ; .arch x64 ; pand xmm0, xmm1),
            Bic => dynasm!(self.ops ; .arch x64 ; pandn xmm1, xmm0 ; movdqa xmm0, xmm1),
            Orr => dynasm!(self.ops ; .arch x64 ; por xmm0, xmm1),
            Orn => {
                self.ones(2);
                dynasm!(self.ops ; .arch x64 ; pxor xmm1, xmm2 ; por xmm0, xmm1);
            }
            Eor => dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm1),
            // BSL: d ? n : m == m ^ ((m ^ n) & d)
            Bsl => {
                self.load_v(2, d);
                dynasm!(self.ops ; .arch x64
                ; pxor xmm0, xmm1 ; pand xmm0, xmm2 ; pxor xmm0, xmm1)
            }
            // BIT: m ? n : d == d ^ ((d ^ n) & m)
            Bit => {
                self.load_v(2, d);
                dynasm!(self.ops ; .arch x64
                ; pxor xmm0, xmm2 ; pand xmm0, xmm1 ; pxor xmm0, xmm2)
            }
            // BIF: m ? d : n == n ^ ((n ^ d) & m)
            Bif => {
                self.load_v(2, d);
                dynasm!(self.ops ; .arch x64
                ; pxor xmm2, xmm0 ; pand xmm2, xmm1 ; pxor xmm0, xmm2)
            }
            Add => match es {
                0 => dynasm!(self.ops ; .arch x64 ; paddb xmm0, xmm1),
                1 => dynasm!(self.ops ; .arch x64 ; paddw xmm0, xmm1),
                2 => dynasm!(self.ops ; .arch x64 ; paddd xmm0, xmm1),
                _ => dynasm!(self.ops ; .arch x64 ; paddq xmm0, xmm1),
            },
            Sub => match es {
                0 => dynasm!(self.ops ; .arch x64 ; psubb xmm0, xmm1),
                1 => dynasm!(self.ops ; .arch x64 ; psubw xmm0, xmm1),
                2 => dynasm!(self.ops ; .arch x64 ; psubd xmm0, xmm1),
                _ => dynasm!(self.ops ; .arch x64 ; psubq xmm0, xmm1),
            },
            Mul | Mla | Mls => {
                match es {
                    1 => dynasm!(self.ops ; .arch x64 ; pmullw xmm0, xmm1),
                    _ => dynasm!(self.ops ; .arch x64 ; pmulld xmm0, xmm1),
                }
                if f.kind != Mul {
                    dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm0);
                    self.load_v(0, d);
                    self.add_sub(es, f.kind == Mls);
                }
            }
            Cmeq => self.cmpeq(es),
            Cmgt => self.cmpgt(es),
            Cmge => {
                // n >= m == !(m > n)
                dynasm!(self.ops ; .arch x64 ; movdqa xmm2, xmm0 ; movdqa xmm0, xmm1 ; movdqa xmm1, xmm2);
                self.cmpgt(es);
                self.not0();
            }
            Cmhi => {
                self.bias(es);
                self.cmpgt(es);
            }
            Cmhs => {
                self.bias(es);
                dynasm!(self.ops ; .arch x64 ; movdqa xmm2, xmm0 ; movdqa xmm0, xmm1 ; movdqa xmm1, xmm2);
                self.cmpgt(es);
                self.not0();
            }
            Cmtst => {
                dynasm!(self.ops ; .arch x64 ; pand xmm0, xmm1 ; pxor xmm1, xmm1);
                self.cmpeq(es);
                self.not0();
            }
            CmpZero => {
                dynasm!(self.ops ; .arch x64 ; pxor xmm1, xmm1);
                match f.imm {
                    0 => self.cmpeq(es),
                    1 => self.cmpgt(es),
                    2 => {
                        // n >= 0 == !(0 > n)
                        dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm0 ; pxor xmm0, xmm0);
                        self.cmpgt(es);
                        self.not0();
                    }
                    3 => {
                        self.cmpgt(es);
                        self.not0();
                    }
                    _ => {
                        dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm0 ; pxor xmm0, xmm0);
                        self.cmpgt(es);
                    }
                }
            }
            Umax => match es {
                0 => dynasm!(self.ops ; .arch x64 ; pmaxub xmm0, xmm1),
                1 => dynasm!(self.ops ; .arch x64 ; pmaxuw xmm0, xmm1),
                2 => dynasm!(self.ops ; .arch x64 ; pmaxud xmm0, xmm1),
                _ => unreachable!("decoder rejects 64-bit UMAX"),
            },
            Umin => match es {
                0 => dynasm!(self.ops ; .arch x64 ; pminub xmm0, xmm1),
                1 => dynasm!(self.ops ; .arch x64 ; pminuw xmm0, xmm1),
                2 => dynasm!(self.ops ; .arch x64 ; pminud xmm0, xmm1),
                _ => unreachable!("decoder rejects 64-bit UMIN"),
            },
            Smax => match es {
                0 => dynasm!(self.ops ; .arch x64 ; pmaxsb xmm0, xmm1),
                1 => dynasm!(self.ops ; .arch x64 ; pmaxsw xmm0, xmm1),
                _ => dynasm!(self.ops ; .arch x64 ; pmaxsd xmm0, xmm1),
            },
            Smin => match es {
                0 => dynasm!(self.ops ; .arch x64 ; pminsb xmm0, xmm1),
                1 => dynasm!(self.ops ; .arch x64 ; pminsw xmm0, xmm1),
                _ => dynasm!(self.ops ; .arch x64 ; pminsd xmm0, xmm1),
            },
            Not => self.not0(),
            Rev64 | Rev32 | Rev16 => {
                // One pshufb: byte j of each group of `group` bytes comes from the mirrored element.
                let group = match f.kind {
                    Rev64 => 8,
                    Rev32 => 4,
                    _ => 2,
                };
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
            Movi => self.bcast(0, f.imm),
            OrrImm => {
                self.bcast(1, f.imm);
                self.load_v(0, d);
                dynasm!(self.ops ; .arch x64 ; por xmm0, xmm1);
            }
            BicImm => {
                self.bcast(1, f.imm);
                self.load_v(0, d);
                dynasm!(self.ops ; .arch x64 ; pandn xmm1, xmm0 ; movdqa xmm0, xmm1);
            }
            DupElem => self.dup_lane(0, es, f.imm as u8),
            Shl => {
                let s = f.imm as i8;
                match es {
                    1 => dynasm!(self.ops ; .arch x64 ; psllw xmm0, s),
                    2 => dynasm!(self.ops ; .arch x64 ; pslld xmm0, s),
                    _ => dynasm!(self.ops ; .arch x64 ; psllq xmm0, s),
                }
            }
            Ushr => {
                // Shifts by the full element size give 0 on both.
                let s = f.imm.min(64) as i8;
                match es {
                    1 => dynasm!(self.ops ; .arch x64 ; psrlw xmm0, s),
                    2 => dynasm!(self.ops ; .arch x64 ; psrld xmm0, s),
                    _ => dynasm!(self.ops ; .arch x64 ; psrlq xmm0, s),
                }
            }
            Sshr => {
                let s = f.imm as i8;
                match es {
                    1 => dynasm!(self.ops ; .arch x64 ; psraw xmm0, s),
                    _ => dynasm!(self.ops ; .arch x64 ; psrad xmm0, s),
                }
            }
            Zip1 => match es {
                0 => dynasm!(self.ops ; .arch x64 ; punpcklbw xmm0, xmm1),
                1 => dynasm!(self.ops ; .arch x64 ; punpcklwd xmm0, xmm1),
                2 => dynasm!(self.ops ; .arch x64 ; punpckldq xmm0, xmm1),
                _ => dynasm!(self.ops ; .arch x64 ; punpcklqdq xmm0, xmm1),
            },
            Zip2 => match es {
                0 => dynasm!(self.ops ; .arch x64 ; punpckhbw xmm0, xmm1),
                1 => dynasm!(self.ops ; .arch x64 ; punpckhwd xmm0, xmm1),
                2 => dynasm!(self.ops ; .arch x64 ; punpckhdq xmm0, xmm1),
                _ => dynasm!(self.ops ; .arch x64 ; punpckhqdq xmm0, xmm1),
            },
            Uzp1 | Uzp2 => {
                let odd = f.kind == Uzp2;
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
                    2 => {
                        if odd {
                            dynasm!(self.ops ; .arch x64 ; shufps xmm0, xmm1, 0xddu8 as i8);
                        } else {
                            dynasm!(self.ops ; .arch x64 ; shufps xmm0, xmm1, 0x88u8 as i8);
                        }
                    }
                    _ => {
                        if odd {
                            dynasm!(self.ops ; .arch x64 ; punpckhqdq xmm0, xmm1);
                        } else {
                            dynasm!(self.ops ; .arch x64 ; punpcklqdq xmm0, xmm1);
                        }
                    }
                }
            }
            Ext => {
                let i = f.imm as i8;
                if f.q {
                    // (m:n) >> 8*i
                    dynasm!(self.ops ; .arch x64 ; palignr xmm1, xmm0, i ; movdqa xmm0, xmm1);
                } else {
                    dynasm!(self.ops ; .arch x64 ; punpcklqdq xmm0, xmm1 ; psrldq xmm0, i);
                }
            }
            Umaxp | Uminp => {
                // Even bytes against odd bytes of each source, then pack n's results below m's.
                self.bcast(2, 0x00ff_00ff_00ff_00ff);
                dynasm!(self.ops ; .arch x64
                    ; movdqa xmm3, xmm0 ; psrlw xmm3, 8 ; pand xmm0, xmm2
                    ; movdqa xmm4, xmm1 ; psrlw xmm4, 8 ; pand xmm1, xmm2
                );
                if f.kind == Umaxp {
                    dynasm!(self.ops ; .arch x64 ; pmaxub xmm0, xmm3 ; pmaxub xmm1, xmm4);
                } else {
                    dynasm!(self.ops ; .arch x64 ; pminub xmm0, xmm3 ; pminub xmm1, xmm4);
                }
                dynasm!(self.ops ; .arch x64 ; packuswb xmm0, xmm1);
            }
            Addp => match es {
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
            },
            AddpScalar => dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm0 ; psrldq xmm1, 8 ; paddq xmm0, xmm1),
            Xtn | Shrn => {
                if f.kind == Shrn {
                    let s = f.imm as i8;
                    match es {
                        0 => dynasm!(self.ops ; .arch x64 ; psrlw xmm0, s),
                        1 => dynasm!(self.ops ; .arch x64 ; psrld xmm0, s),
                        _ => dynasm!(self.ops ; .arch x64 ; psrlq xmm0, s),
                    }
                }
                self.narrow(es);
                if f.q {
                    // The "2" forms write the upper half and keep the lower.
                    self.load_v(1, d);
                    dynasm!(self.ops ; .arch x64 ; punpcklqdq xmm1, xmm0 ; movdqa xmm0, xmm1);
                } else {
                    dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
                }
                self.store_v(d);
                return true;
            }
            _ => unreachable!("checked above"),
        }
        let scalar = matches!(f.kind, AddpScalar);
        if !f.q || scalar {
            dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
        }
        self.store_v(d);
        true
    }
}
