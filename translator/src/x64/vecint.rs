//! Inline SSE lowering of the rarer AdvSIMD integer operations (Arm ARM C7.2) where SSE gives
//! A64's result exactly: absolute differences (max - min), the long multiplies (widen, then
//! `pmullw`/`pmulld`/`pmul(u)dq`), the by-element forms (the element broadcast first), the
//! pairwise long adds (`pmaddubsw`/`pmaddwd` with ones), SDOT/UDOT (widen to halfwords,
//! `pmaddwd`, `phaddd`), signed pairwise max/min, and CLZ/CLS (a nibble table through `pshufb`).
//! The rest calls `helper_vec` (`ir/vecint.rs`, `ir/vecfn.rs`).

use super::Lower;
use crate::ir::{VecFn, VecKind};
use crate::ops::Second;
use dynasmrt::{dynasm, DynasmApi};

impl Lower<'_> {
    /// xmm`a` = max (or min) of xmm`a` and xmm`b`, elements of size `es` (< 3).
    pub(super) fn max_min(&mut self, a: u8, b: u8, es: u8, signed: bool, max: bool) {
        match (es, signed, max) {
            (0, false, true) => dynasm!(self.ops ; .arch x64 ; pmaxub Rx(a), Rx(b)),
            (1, false, true) => dynasm!(self.ops ; .arch x64 ; pmaxuw Rx(a), Rx(b)),
            (_, false, true) => dynasm!(self.ops ; .arch x64 ; pmaxud Rx(a), Rx(b)),
            (0, false, false) => dynasm!(self.ops ; .arch x64 ; pminub Rx(a), Rx(b)),
            (1, false, false) => dynasm!(self.ops ; .arch x64 ; pminuw Rx(a), Rx(b)),
            (_, false, false) => dynasm!(self.ops ; .arch x64 ; pminud Rx(a), Rx(b)),
            (0, true, true) => dynasm!(self.ops ; .arch x64 ; pmaxsb Rx(a), Rx(b)),
            (1, true, true) => dynasm!(self.ops ; .arch x64 ; pmaxsw Rx(a), Rx(b)),
            (_, true, true) => dynasm!(self.ops ; .arch x64 ; pmaxsd Rx(a), Rx(b)),
            (0, true, false) => dynasm!(self.ops ; .arch x64 ; pminsb Rx(a), Rx(b)),
            (1, true, false) => dynasm!(self.ops ; .arch x64 ; pminsw Rx(a), Rx(b)),
            (_, true, false) => dynasm!(self.ops ; .arch x64 ; pminsd Rx(a), Rx(b)),
        }
    }

    /// xmm0 = |xmm0 - xmm1| per element of size `es` (< 3): max - min, which wraps to the
    /// unsigned difference. Clobbers xmm2.
    fn abd(&mut self, es: u8, signed: bool) {
        dynasm!(self.ops ; .arch x64 ; movdqa xmm2, xmm0);
        self.max_min(0, 1, es, signed, true);
        self.max_min(2, 1, es, signed, false);
        match es {
            0 => dynasm!(self.ops ; .arch x64 ; psubb xmm0, xmm2),
            1 => dynasm!(self.ops ; .arch x64 ; psubw xmm0, xmm2),
            _ => dynasm!(self.ops ; .arch x64 ; psubd xmm0, xmm2),
        }
    }

    /// xmm0 = V`d` + xmm0 (or - xmm0) with elements of size `es`. Clobbers xmm1.
    pub(super) fn accumulate(&mut self, d: u8, es: u8, sub: bool) {
        dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm0);
        self.load_v(0, d);
        self.add_sub(es, sub);
    }

    /// xmm0 = the number of leading zero bits of each element of xmm0 (size `es` < 3).
    /// Clobbers xmm1..xmm5.
    fn clz(&mut self, es: u8) {
        // Per byte: clz4(high nibble), plus clz4(low nibble) when the high nibble is zero.
        dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm0);
        self.bcast(4, 0x0f0f_0f0f_0f0f_0f0f);
        dynasm!(self.ops ; .arch x64
            ; mov rax, QWORD 0x0101_0101_0202_0304 ; movq xmm5, rax
            ; movdqa xmm2, xmm0 ; psrlw xmm2, 4 ; pand xmm2, xmm4 ; pand xmm0, xmm4
            ; movdqa xmm3, xmm5 ; pshufb xmm3, xmm2
            ; movdqa xmm4, xmm5 ; pshufb xmm4, xmm0
            ; pxor xmm0, xmm0 ; pcmpeqb xmm2, xmm0 ; pand xmm4, xmm2
            ; paddb xmm3, xmm4 ; movdqa xmm0, xmm3
        );
        if es >= 1 {
            // Per halfword: clz(high byte), plus clz(low byte) when the high byte is zero.
            dynasm!(self.ops ; .arch x64
                ; movdqa xmm2, xmm0 ; psrlw xmm2, 8
                ; pxor xmm3, xmm3 ; pcmpeqb xmm3, xmm1 ; psrlw xmm3, 8
                ; pand xmm0, xmm3 ; paddw xmm0, xmm2
            );
        }
        if es == 2 {
            dynasm!(self.ops ; .arch x64
                ; movdqa xmm2, xmm0 ; psrld xmm2, 16
                ; pxor xmm3, xmm3 ; pcmpeqw xmm3, xmm1 ; psrld xmm3, 16
                ; pand xmm0, xmm3 ; paddd xmm0, xmm2
            );
        }
    }

    /// xmm0 = the even elements of xmm0:xmm1 (concatenated, xmm0 low), xmm2 = the odd ones
    /// (UZP1/UZP2 of 128-bit registers, `es` < 3). Clobbers xmm3, xmm4.
    fn unzip(&mut self, es: u8) {
        match es {
            0 | 1 => {
                dynasm!(self.ops ; .arch x64 ; movdqa xmm2, xmm0 ; movdqa xmm3, xmm1);
                if es == 0 {
                    self.bcast(4, 0x00ff_00ff_00ff_00ff);
                    dynasm!(self.ops ; .arch x64
                        ; psrlw xmm2, 8 ; psrlw xmm3, 8 ; pand xmm0, xmm4 ; pand xmm1, xmm4
                        ; packuswb xmm0, xmm1 ; packuswb xmm2, xmm3
                    );
                } else {
                    self.bcast(4, 0x0000_ffff_0000_ffff);
                    dynasm!(self.ops ; .arch x64
                        ; psrld xmm2, 16 ; psrld xmm3, 16 ; pand xmm0, xmm4 ; pand xmm1, xmm4
                        ; packusdw xmm0, xmm1 ; packusdw xmm2, xmm3
                    );
                }
            }
            _ => dynasm!(self.ops ; .arch x64
                ; movdqa xmm2, xmm0 ; shufps xmm0, xmm1, 0x88u8 as i8 ; shufps xmm2, xmm1, 0xddu8 as i8
            ),
        }
    }

    /// xmm0 = V`n`, xmm1 = V`m` (its element `e` in every lane for the by-element forms).
    fn int_operands(&mut self, n: u8, m: u8, es: u8, e: Second) {
        self.load_v(0, n);
        self.load_v(1, m);
        if let Second::Element(i) = e {
            self.dup_lane(1, es, i);
        }
    }

    /// Lower one of the ops above inline; false if it must go to the helper.
    pub(super) fn vec_int_inline(&mut self, f: VecFn, d: u8, n: u8, m: u8) -> bool {
        use VecKind::*;
        let es = f.esize;
        let (q, v) = (f.q, Second::Vector);
        // Whether the result is already a whole register (the long forms write 128 bits).
        let whole = match f.kind {
            Mul(e @ Second::Element(_)) | Mla(e @ Second::Element(_)) | Mls(e @ Second::Element(_))
                if es == 1 || es == 2 =>
            {
                self.int_operands(n, m, es, e);
                match es {
                    1 => dynasm!(self.ops ; .arch x64 ; pmullw xmm0, xmm1),
                    _ => dynasm!(self.ops ; .arch x64 ; pmulld xmm0, xmm1),
                }
                if !matches!(f.kind, Mul(_)) {
                    self.accumulate(d, es, matches!(f.kind, Mls(_)));
                }
                false
            }
            MulL { signed, m: e } | MlaL { signed, m: e } | MlsL { signed, m: e } if es < 3 => {
                self.int_operands(n, m, es, e);
                self.mul_long(es, signed, q);
                if !matches!(f.kind, MulL { .. }) {
                    self.accumulate(d, es + 1, matches!(f.kind, MlsL { .. }));
                }
                true
            }
            AbdL { signed } | AbaL { signed } if es < 2 => {
                self.int_operands(n, m, es, v);
                self.abd(es, signed);
                self.widen(0, es, false, q);
                if matches!(f.kind, AbaL { .. }) {
                    self.accumulate(d, es + 1, false);
                }
                true
            }
            Sabd | Uabd | Saba | Uaba if es < 3 => {
                self.int_operands(n, m, es, v);
                self.abd(es, matches!(f.kind, Sabd | Saba));
                if matches!(f.kind, Saba | Uaba) {
                    self.accumulate(d, es, false);
                }
                false
            }
            Smaxp | Sminp if es < 3 => {
                self.int_operands(n, m, es, v);
                if !q {
                    // The pairs of V[n].lo:V[m].lo, in the low half.
                    dynasm!(self.ops ; .arch x64 ; punpcklqdq xmm0, xmm1 ; movdqa xmm1, xmm0);
                }
                self.unzip(es);
                self.max_min(0, 2, es, true, f.kind == Smaxp);
                false
            }
            Saddlp | Uaddlp | Sadalp | Uadalp if es < 3 => {
                self.int_operands(n, m, es, v);
                self.add_pairs_long(es, matches!(f.kind, Saddlp | Sadalp));
                if matches!(f.kind, Sadalp | Uadalp) {
                    self.accumulate(d, es + 1, false);
                }
                false
            }
            Clz | Cls if es < 3 => {
                self.int_operands(n, m, es, v);
                self.count_leading(es, f.kind == Cls);
                false
            }
            Sdot(e) | Udot(e) => {
                self.int_operands(n, m, es, e);
                self.dot(d, matches!(f.kind, Sdot(_)));
                false
            }
            _ => return false,
        };
        if !whole && !q {
            dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
        }
        self.store_v(d);
        true
    }

    /// xmm0 = the products of the elements of one half (the upper with `q`) of xmm0 and xmm1,
    /// widened.
    fn mul_long(&mut self, es: u8, signed: bool, q: bool) {
        if es == 2 {
            // pmul(u)dq multiplies elements 0 and 2: spread the half's two words there.
            let sel = if q { 0xfau8 as i8 } else { 0x50 };
            dynasm!(self.ops ; .arch x64 ; pshufd xmm0, xmm0, sel ; pshufd xmm1, xmm1, sel);
            if signed {
                dynasm!(self.ops ; .arch x64 ; pmuldq xmm0, xmm1);
            } else {
                dynasm!(self.ops ; .arch x64 ; pmuludq xmm0, xmm1);
            }
        } else {
            // The products of extended halves fit the wide element exactly.
            self.widen(0, es, signed, q);
            self.widen(1, es, signed, q);
            match es {
                0 => dynasm!(self.ops ; .arch x64 ; pmullw xmm0, xmm1),
                _ => dynasm!(self.ops ; .arch x64 ; pmulld xmm0, xmm1),
            }
        }
    }

    /// xmm0 = the sums of adjacent pairs of xmm0's elements, twice as wide.
    fn add_pairs_long(&mut self, es: u8, signed: bool) {
        match es {
            0 => {
                // pmaddubsw: unsigned bytes of the first operand times signed bytes.
                self.bcast(2, 0x0101_0101_0101_0101);
                if signed {
                    dynasm!(self.ops ; .arch x64 ; pmaddubsw xmm2, xmm0 ; movdqa xmm0, xmm2);
                } else {
                    dynasm!(self.ops ; .arch x64 ; pmaddubsw xmm0, xmm2);
                }
            }
            1 => {
                self.bcast(2, 0x0001_0001_0001_0001);
                if signed {
                    dynasm!(self.ops ; .arch x64 ; pmaddwd xmm0, xmm2);
                } else {
                    // Unsigned: (x - 0x8000) + (y - 0x8000) + 0x10000.
                    self.bcast(3, 0x8000_8000_8000_8000);
                    dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm3 ; pmaddwd xmm0, xmm2);
                    self.bcast(3, 0x0001_0000_0001_0000);
                    dynasm!(self.ops ; .arch x64 ; paddd xmm0, xmm3);
                }
            }
            _ => {
                dynasm!(self.ops ; .arch x64
                    ; pshufd xmm1, xmm0, 0x0d ; pshufd xmm0, xmm0, 0x08
                );
                self.widen(0, 2, signed, false);
                self.widen(1, 2, signed, false);
                dynasm!(self.ops ; .arch x64 ; paddq xmm0, xmm1);
            }
        }
    }

    /// xmm0 = CLZ (or CLS) of each element of xmm0.
    fn count_leading(&mut self, es: u8, cls: bool) {
        if cls {
            // CLS(x) = CLZ(x ^ (x < 0 ? ~0 : 0)) - 1.
            dynasm!(self.ops ; .arch x64 ; pxor xmm1, xmm1);
            match es {
                0 => dynasm!(self.ops ; .arch x64 ; pcmpgtb xmm1, xmm0),
                1 => dynasm!(self.ops ; .arch x64 ; pcmpgtw xmm1, xmm0),
                _ => dynasm!(self.ops ; .arch x64 ; pcmpgtd xmm1, xmm0),
            }
            dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm1);
        }
        self.clz(es);
        if cls {
            self.ones(1);
            self.add_sub(es, false);
        }
    }

    /// xmm0 = V`d` + the dot products of four bytes of xmm0 and xmm1 per S lane.
    fn dot(&mut self, d: u8, signed: bool) {
        // Bytes widened to halfwords (products and pair sums fit pmaddwd exactly), then the
        // adjacent pair sums added.
        dynasm!(self.ops ; .arch x64
            ; movdqa xmm2, xmm0 ; psrldq xmm2, 8 ; movdqa xmm3, xmm1 ; psrldq xmm3, 8
        );
        for x in 0..4 {
            self.widen(x, 0, signed, false);
        }
        dynasm!(self.ops ; .arch x64
            ; pmaddwd xmm0, xmm1 ; pmaddwd xmm2, xmm3 ; phaddd xmm0, xmm2
        );
        self.accumulate(d, 2, false);
    }
}
