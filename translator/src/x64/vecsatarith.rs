//! Inline SSE lowering of more AdvSIMD saturating operations (vector forms), as codecs' NEON
//! uses them: the doubling multiplies high SQDMULH/SQRDMULH on halfwords and words (vector and
//! by element), SQADD/SQSUB on words and doublewords and UQADD/UQSUB on words, SQABS/SQNEG, and
//! the shifts left by an immediate SQSHL/UQSHL/SQSHLU on halfwords and words. Each computes the
//! wrapping result and a mask of the lanes that saturate, puts the saturated value in those
//! lanes and sets FPSR.QC when the mask has a live lane.

use super::vector::sign_bits;
use super::Lower;
use crate::ir::VecFn;
use crate::ops::{SatKind, SatOp};
use dynasmrt::{dynasm, DynasmApi};

/// The bytes of a vector result that count for FPSR.QC: all 16, or the low 8 (`q` clear).
fn live_bytes(q: bool) -> i32 {
    if q {
        0xffff
    } else {
        0xff
    }
}

impl Lower<'_> {
    /// Lower one of the operations above inline; false if it must go to the helper.
    pub(super) fn vec_sat_arith_inline(&mut self, f: VecFn, op: SatOp, d: u8, n: u8, m: u8) -> bool {
        use SatKind::*;
        let es = f.esize;
        if op.scalar {
            return false;
        }
        let done = match op.kind {
            Sqdmulh | Sqrdmulh if es == 1 || es == 2 => {
                self.load_v(0, n);
                self.load_v(1, m);
                if op.elem {
                    self.dup_lane(1, es, op.arg);
                }
                self.doubling_mul_high(es, op.kind == Sqrdmulh);
                // Only MIN * MIN overflows, to MIN: MAX it is.
                self.saturate_min_lanes(es, f.q);
                true
            }
            Sqadd | Sqsub if es >= 2 && !op.elem => {
                self.load_v(0, n);
                self.load_v(1, m);
                self.signed_add_sub(es, op.kind == Sqsub, f.q);
                true
            }
            Uqadd | Uqsub if es == 2 && !op.elem => {
                self.load_v(0, n);
                self.load_v(1, m);
                self.unsigned_add_sub(op.kind == Uqsub, f.q);
                true
            }
            Sqabs | Sqneg => {
                self.load_v(0, n);
                self.abs_neg(es, op.kind == Sqabs);
                // Only MIN has no opposite: it stays MIN, and MAX it is.
                self.saturate_min_lanes(es, f.q);
                true
            }
            SqshlImm | UqshlImm | Sqshlu if es == 1 || es == 2 => {
                self.load_v(0, n);
                self.shift_left_saturating(es, op.arg, op.kind, f.q);
                true
            }
            _ => false,
        };
        if done {
            if !f.q {
                dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
            }
            self.store_v(d);
        }
        done
    }

    /// The lanes of xmm0 (elements of `es`) that hold MIN, where the operation's result does
    /// only when it saturated, become MAX, with FPSR.QC (for the live half, or both with `q`).
    /// Clobbers xmm1.
    fn saturate_min_lanes(&mut self, es: u8, q: bool) {
        self.bcast(1, sign_bits(es));
        match es {
            0 => dynasm!(self.ops ; .arch x64 ; pcmpeqb xmm1, xmm0),
            1 => dynasm!(self.ops ; .arch x64 ; pcmpeqw xmm1, xmm0),
            2 => dynasm!(self.ops ; .arch x64 ; pcmpeqd xmm1, xmm0),
            _ => dynasm!(self.ops ; .arch x64 ; pcmpeqq xmm1, xmm0),
        }
        dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm1);
        self.set_qc_if(1, live_bytes(q), false);
    }

    /// xmm0 = the high half of 2 * xmm0 * xmm1 per element of `es` (1: PMULHRSW when
    /// `round`, else PMULHW and PMULLW combined; 2: PMULDQ of the even and the odd lanes), the
    /// rounding 1 << (bits - 1) added first with `round`, wrapping (MIN * MIN gives MIN).
    fn doubling_mul_high(&mut self, es: u8, round: bool) {
        if es == 1 {
            if round {
                dynasm!(self.ops ; .arch x64 ; pmulhrsw xmm0, xmm1);
            } else {
                // (2ab) >> 16 = (ab) >> 15: the high half shifted up, the low half's top bit in.
                dynasm!(self.ops ; .arch x64
                    ; movdqa xmm2, xmm0 ; pmulhw xmm0, xmm1 ; pmullw xmm2, xmm1
                    ; psllw xmm0, 1 ; psrlw xmm2, 15 ; por xmm0, xmm2
                );
            }
            return;
        }
        // Words: (2ab + r) >> 32 = (ab + r / 2) >> 31, bits 31..62 of the 64-bit product.
        dynasm!(self.ops ; .arch x64
            ; movdqa xmm2, xmm0 ; pmuldq xmm2, xmm1
            ; movdqa xmm3, xmm0 ; psrlq xmm3, 32 ; movdqa xmm4, xmm1 ; psrlq xmm4, 32
            ; pmuldq xmm3, xmm4
        );
        if round {
            self.bcast(4, 1 << 30);
            dynasm!(self.ops ; .arch x64 ; paddq xmm2, xmm4 ; paddq xmm3, xmm4);
        }
        dynasm!(self.ops ; .arch x64
            ; psrlq xmm2, 31 ; psrlq xmm3, 31 ; psllq xmm3, 32
            ; pblendw xmm2, xmm3, 0xccu8 as i8 ; movdqa xmm0, xmm2
        );
    }

    /// SQADD/SQSUB (`sub`) of xmm0 and xmm1, elements of `es` (2 or 3): the wrapping result,
    /// and where it overflowed (the operands' signs agree, for SUB differ, and the result's
    /// does not) MIN or MAX by the first operand's sign. Clobbers xmm1..xmm5.
    fn signed_add_sub(&mut self, es: u8, sub: bool, q: bool) {
        dynasm!(self.ops ; .arch x64 ; movdqa xmm2, xmm0 ; movdqa xmm3, xmm0 ; movdqa xmm4, xmm1);
        // xmm2 = the wrapping result; xmm3 = the overflow in the sign bits.
        match (es, sub) {
            (2, false) => dynasm!(self.ops ; .arch x64 ; paddd xmm2, xmm1),
            (2, true) => dynasm!(self.ops ; .arch x64 ; psubd xmm2, xmm1),
            (_, false) => dynasm!(self.ops ; .arch x64 ; paddq xmm2, xmm1),
            (_, true) => dynasm!(self.ops ; .arch x64 ; psubq xmm2, xmm1),
        }
        if sub {
            // (a ^ b) & (a ^ r)
            dynasm!(self.ops ; .arch x64 ; pxor xmm4, xmm0 ; pxor xmm3, xmm2 ; pand xmm3, xmm4);
        } else {
            // (a ^ r) & (b ^ r)
            dynasm!(self.ops ; .arch x64 ; pxor xmm3, xmm2 ; pxor xmm4, xmm2 ; pand xmm3, xmm4);
        }
        // Sign bits to whole-lane masks: xmm3 (overflow), xmm4 (the first operand's sign).
        if es == 2 {
            dynasm!(self.ops ; .arch x64 ; psrad xmm3, 31 ; movdqa xmm4, xmm0 ; psrad xmm4, 31);
        } else {
            dynasm!(self.ops ; .arch x64
                ; pxor xmm5, xmm5 ; pcmpgtq xmm5, xmm3 ; movdqa xmm3, xmm5
                ; pxor xmm4, xmm4 ; pcmpgtq xmm4, xmm0
            );
        }
        self.set_qc_if(3, live_bytes(q), false);
        // MIN for a negative first operand, MAX for the others: its sign mask ^ MAX.
        self.bcast(5, !sign_bits(es));
        dynasm!(self.ops ; .arch x64
            ; pxor xmm4, xmm5 ; pand xmm4, xmm3 ; pandn xmm3, xmm2 ; por xmm3, xmm4
            ; movdqa xmm0, xmm3
        );
    }

    /// UQADD/UQSUB (`sub`) of xmm0 and xmm1 in words: the wrapping result, all ones where a
    /// sum wrapped (it is below the first operand), zero where a difference did (the second
    /// operand is above the first). Clobbers xmm1..xmm3.
    fn unsigned_add_sub(&mut self, sub: bool, q: bool) {
        dynasm!(self.ops ; .arch x64 ; movdqa xmm2, xmm0);
        if sub {
            // In range where max(a, b) == a.
            dynasm!(self.ops ; .arch x64
                ; psubd xmm2, xmm1 ; pmaxud xmm1, xmm0 ; pcmpeqd xmm1, xmm0
                ; pcmpeqd xmm3, xmm3 ; pxor xmm3, xmm1
            );
            self.set_qc_if(3, live_bytes(q), false);
            dynasm!(self.ops ; .arch x64 ; pand xmm2, xmm1 ; movdqa xmm0, xmm2);
        } else {
            // In range where max(r, a) == r.
            dynasm!(self.ops ; .arch x64
                ; paddd xmm2, xmm1 ; movdqa xmm1, xmm2 ; pmaxud xmm1, xmm0 ; pcmpeqd xmm1, xmm2
                ; pcmpeqd xmm3, xmm3 ; pxor xmm3, xmm1
            );
            self.set_qc_if(3, live_bytes(q), false);
            dynasm!(self.ops ; .arch x64 ; por xmm2, xmm3 ; movdqa xmm0, xmm2);
        }
    }

    /// SQSHL, UQSHL, SQSHLU (`kind`) of xmm0 by `sh` (below the element size), elements of
    /// `es` (1 or 2): the shifted value, saturated where shifting it back does not give the
    /// operand (bits were lost): MIN or MAX by its sign, all ones unsigned; SQSHLU's negative
    /// operands give 0. Clobbers xmm1..xmm4.
    fn shift_left_saturating(&mut self, es: u8, sh: u8, kind: SatKind, q: bool) {
        let s = sh as i8;
        let signed = kind == SatKind::SqshlImm;
        // xmm2 = x << sh; xmm1 = (x << sh) >> sh, arithmetic for SQSHL.
        dynasm!(self.ops ; .arch x64 ; movdqa xmm2, xmm0);
        match es {
            1 => dynasm!(self.ops ; .arch x64 ; psllw xmm2, s ; movdqa xmm1, xmm2),
            _ => dynasm!(self.ops ; .arch x64 ; pslld xmm2, s ; movdqa xmm1, xmm2),
        }
        match (es, signed) {
            (1, true) => dynasm!(self.ops ; .arch x64 ; psraw xmm1, s ; pcmpeqw xmm1, xmm0),
            (1, false) => dynasm!(self.ops ; .arch x64 ; psrlw xmm1, s ; pcmpeqw xmm1, xmm0),
            (_, true) => dynasm!(self.ops ; .arch x64 ; psrad xmm1, s ; pcmpeqd xmm1, xmm0),
            (_, false) => dynasm!(self.ops ; .arch x64 ; psrld xmm1, s ; pcmpeqd xmm1, xmm0),
        }
        // xmm3 = the lanes that saturate.
        dynasm!(self.ops ; .arch x64 ; pcmpeqd xmm3, xmm3 ; pxor xmm3, xmm1);
        if kind == SatKind::Sqshlu {
            // Negative operands saturate (to 0) too.
            dynasm!(self.ops ; .arch x64 ; pxor xmm4, xmm4);
            match es {
                1 => dynasm!(self.ops ; .arch x64 ; pcmpgtw xmm4, xmm0),
                _ => dynasm!(self.ops ; .arch x64 ; pcmpgtd xmm4, xmm0),
            }
            dynasm!(self.ops ; .arch x64 ; por xmm3, xmm4);
        }
        self.set_qc_if(3, live_bytes(q), false);
        match kind {
            SatKind::SqshlImm => {
                // MIN or MAX by the operand's sign: its sign mask ^ MAX.
                match es {
                    1 => dynasm!(self.ops ; .arch x64 ; psraw xmm0, 15),
                    _ => dynasm!(self.ops ; .arch x64 ; psrad xmm0, 31),
                }
                self.bcast(1, !sign_bits(es));
                dynasm!(self.ops ; .arch x64
                    ; pxor xmm0, xmm1 ; pand xmm0, xmm3 ; pandn xmm3, xmm2 ; por xmm0, xmm3
                );
            }
            SatKind::Sqshlu => {
                // All ones where bits were lost, then zero where the operand was negative.
                dynasm!(self.ops ; .arch x64 ; por xmm2, xmm3 ; pandn xmm4, xmm2 ; movdqa xmm0, xmm4);
            }
            _ => dynasm!(self.ops ; .arch x64 ; por xmm2, xmm3 ; movdqa xmm0, xmm2),
        }
    }
}
