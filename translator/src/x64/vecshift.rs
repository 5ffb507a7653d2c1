//! Inline SSE lowering of the shifts by a register SSHL, USHL, SRSHL and URSHL (vector forms,
//! halfwords and words; USHL and URSHL also doublewords). Each lane shifts by the signed low byte
//! of its element of V`m`, left when positive, right when negative, and SSE has no per-lane
//! shift of halfwords; but code shifts by a count it broadcast (a DUP of a negative count for a
//! rounding shift right by a variable amount: video codecs, DSP), so the lowering checks that
//! every lane's count is lane 0's and then shifts all lanes by it with the XMM-count forms of
//! PSLL*/PSRL*/PSRA*, which give A64's results for counts of the element size and more (0, or
//! copies of the sign). Lanes with different counts go to `helper_vec`, out of line.

use super::slow::SlowCall;
use super::Lower;
use crate::ir::{VecFn, VecKind};
use crate::ops::SatKind;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

impl Lower<'_> {
    /// Lower one of the shifts above inline (with its out-of-line helper call); false if it
    /// must go to the helper. Clobbers EFLAGS.
    pub(super) fn vec_shift_reg_inline(&mut self, f: VecFn, d: u8, n: u8, m: u8) -> bool {
        let (signed, round) = match f.kind {
            VecKind::Sshl => (true, false),
            VecKind::Ushl => (false, false),
            VecKind::Sat(op) if op.kind == SatKind::Srshl && !op.scalar && !op.elem => (true, true),
            VecKind::Sat(op) if op.kind == SatKind::Urshl && !op.scalar && !op.elem => (false, true),
            _ => return false,
        };
        let es = f.esize;
        if es == 0 || (es == 3 && signed) {
            return false;
        }
        let slow = self.slow_entry();
        self.check_uniform_counts(es, f.q, m, slow.label);
        // eax = the count, sign-extended from its byte.
        dynasm!(self.ops ; .arch x64 ; movd eax, xmm1 ; movsx eax, al);
        self.load_v(0, n);
        dynasm!(self.ops ; .arch x64 ; test eax, eax ; js >right ; movd xmm3, eax);
        match es {
            1 => dynasm!(self.ops ; .arch x64 ; psllw xmm0, xmm3),
            2 => dynasm!(self.ops ; .arch x64 ; pslld xmm0, xmm3),
            _ => dynasm!(self.ops ; .arch x64 ; psllq xmm0, xmm3),
        }
        dynasm!(self.ops ; .arch x64 ; jmp >done ; right: ; neg eax);
        if round {
            // A64's (x + (1 << (c - 1))) >> c without the sum: the shift plus bit c - 1 of x
            // (see `shift_right_rounded`). Counts past the element size give 0: as the
            // element size does for signed lanes (-1 or 0 plus the sign bit), and one more
            // for unsigned ones (where the element size gives the top bit).
            let bits = (8i32 << es) + i32::from(!signed);
            dynasm!(self.ops ; .arch x64
                ; mov ecx, bits ; cmp eax, ecx ; cmova eax, ecx
                ; lea ecx, [rax - 1] ; movd xmm4, ecx ; movdqa xmm1, xmm0
            );
            match es {
                1 => dynasm!(self.ops ; .arch x64 ; psrlw xmm1, xmm4),
                2 => dynasm!(self.ops ; .arch x64 ; psrld xmm1, xmm4),
                _ => dynasm!(self.ops ; .arch x64 ; psrlq xmm1, xmm4),
            }
        }
        dynasm!(self.ops ; .arch x64 ; movd xmm3, eax);
        match (es, signed) {
            (1, true) => dynasm!(self.ops ; .arch x64 ; psraw xmm0, xmm3),
            (2, true) => dynasm!(self.ops ; .arch x64 ; psrad xmm0, xmm3),
            (1, false) => dynasm!(self.ops ; .arch x64 ; psrlw xmm0, xmm3),
            (2, false) => dynasm!(self.ops ; .arch x64 ; psrld xmm0, xmm3),
            _ => dynasm!(self.ops ; .arch x64 ; psrlq xmm0, xmm3),
        }
        if round {
            self.add_low_bits(es);
        }
        dynasm!(self.ops ; .arch x64 ; done:);
        if !f.q {
            dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
        }
        self.store_v(d);
        self.slow_return(slow, SlowCall::Vec { f, d, n, m });
        true
    }

    /// xmm1 = V`m`; jumps to `slow` unless the low byte of each of its live elements of size
    /// `es` (all, or the low half's without `q`) is element 0's. Clobbers xmm2, xmm3, xmm5.
    fn check_uniform_counts(&mut self, es: u8, q: bool, m: u8, slow: dynasmrt::DynamicLabel) {
        self.load_v(1, m);
        dynasm!(self.ops ; .arch x64 ; movdqa xmm2, xmm1);
        self.dup_lane(2, es, 0);
        dynasm!(self.ops ; .arch x64 ; pxor xmm2, xmm1);
        let low_bytes = match es {
            1 => 0x00ff_00ff_00ff_00ff,
            2 => 0x0000_00ff_0000_00ff,
            _ => 0xff,
        };
        self.vconst(3, low_bytes, if q { low_bytes } else { 0 });
        dynasm!(self.ops ; .arch x64 ; ptest xmm2, xmm3 ; jnz =>slow);
    }
}
