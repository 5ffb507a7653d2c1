//! Inline SSE lowering of the AdvSIMD saturating adds and subtracts on bytes and halfwords
//! (SQADD/UQADD/SQSUB/UQSUB, vector and scalar): `padds`/`paddus`/`psubs`/`psubus` give A64's
//! results exactly; FPSR.QC is set when a lane of the saturating result differs from the
//! wrapping one. The saturating narrows SQXTN/UQXTN/SQXTUN of halfwords and words are the PACK
//! instructions, QC where the result differs from the truncation, and so are the shifting
//! narrows (SQSHRN, SQRSHRN, UQSHRN, UQRSHRN, SQSHRUN, SQRSHRUN) after their shift. The rounding
//! shifts right (SRSHR, URSHR, SRSRA, URSRA, RSHRN) add the rounding bit after the shift.
//! Everything else of `VecKind::Sat` calls `helper_vec` (`ir/vecsat.rs`).

use super::Lower;
use crate::cpu::off;
use crate::ir::vecfn::FPSR_QC;
use crate::ir::{VecFn, VecKind};
use crate::ops::SatKind;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

impl Lower<'_> {
    /// Lower a saturating op inline; false if it must go to the helper. Clobbers EFLAGS.
    pub(super) fn vec_sat_inline(&mut self, f: VecFn, d: u8, n: u8, m: u8) -> bool {
        use SatKind::*;
        let VecKind::Sat(op) = f.kind else {
            return false;
        };
        let (kind, scalar) = (op.kind, op.scalar);
        if self.rounding_shift_inline(f, op, d, n) || self.vec_sat_arith_inline(f, op, d, n, m) {
            return true;
        }
        if f.esize > 1 {
            return false;
        }
        // The narrows, after the shift right of the shifting forms: the pack whose saturation
        // theirs is, on a source read as signed or unsigned.
        let (pack, signed, shift) = match kind {
            Sqxtn | Uqxtn | Sqxtun => (kind, kind != Uqxtn, None),
            Sqshrn | Sqrshrn => (Sqxtn, true, Some(kind == Sqrshrn)),
            Uqshrn | Uqrshrn => (Uqxtn, false, Some(kind == Uqrshrn)),
            Sqshrun | Sqrshrun => (Sqxtun, true, Some(kind == Sqrshrun)),
            _ => (kind, false, None),
        };
        if matches!(pack, Sqxtn | Uqxtn | Sqxtun) {
            self.load_v(0, n);
            if let Some(round) = shift {
                self.shift_right_rounded(f.esize + 1, op.arg, signed, round);
            }
            self.sat_narrow(pack, f.esize, f.q, scalar, d);
            return true;
        }
        if !matches!(kind, Sqadd | Uqadd | Sqsub | Uqsub) {
            return false;
        }
        self.load_v(0, n);
        self.load_v(1, m);
        // xmm0 = saturating result, xmm2 = wrapping result.
        dynasm!(self.ops ; .arch x64 ; movdqa xmm2, xmm0);
        match (kind, f.esize) {
            (Sqadd, 0) => dynasm!(self.ops ; .arch x64 ; paddsb xmm0, xmm1 ; paddb xmm2, xmm1),
            (Sqadd, _) => dynasm!(self.ops ; .arch x64 ; paddsw xmm0, xmm1 ; paddw xmm2, xmm1),
            (Uqadd, 0) => dynasm!(self.ops ; .arch x64 ; paddusb xmm0, xmm1 ; paddb xmm2, xmm1),
            (Uqadd, _) => dynasm!(self.ops ; .arch x64 ; paddusw xmm0, xmm1 ; paddw xmm2, xmm1),
            (Sqsub, 0) => dynasm!(self.ops ; .arch x64 ; psubsb xmm0, xmm1 ; psubb xmm2, xmm1),
            (Sqsub, _) => dynasm!(self.ops ; .arch x64 ; psubsw xmm0, xmm1 ; psubw xmm2, xmm1),
            (Uqsub, 0) => dynasm!(self.ops ; .arch x64 ; psubusb xmm0, xmm1 ; psubb xmm2, xmm1),
            (_, _) => dynasm!(self.ops ; .arch x64 ; psubusw xmm0, xmm1 ; psubw xmm2, xmm1),
        }
        // Bytes of the lanes that count: all 16, the low 8, or element 0.
        let live: i32 = if scalar {
            (1 << (1 << f.esize)) - 1
        } else if f.q {
            0xffff
        } else {
            0xff
        };
        dynasm!(self.ops ; .arch x64 ; pcmpeqb xmm2, xmm0);
        self.set_qc_if(2, live, true);
        if scalar {
            // Keep element 0 only.
            let sh = (16 - (1 << f.esize)) as i8;
            dynasm!(self.ops ; .arch x64 ; pslldq xmm0, sh ; psrldq xmm0, sh);
        } else if !f.q {
            dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
        }
        self.store_v(d);
        true
    }

    /// FPSR.QC |= whether a lane saturated: xmm`x` has all ones in the bytes of the lanes
    /// that did (`equal`: of those that did not, a compare of the result with the wrapping
    /// one), of which those in the byte mask `live` count. Clobbers EAX and EFLAGS.
    pub(super) fn set_qc_if(&mut self, x: u8, live: i32, equal: bool) {
        let (qc, fpsr) = (FPSR_QC as i32, off::FPSR);
        dynasm!(self.ops ; .arch x64 ; pmovmskb eax, Rx(x));
        if equal {
            dynasm!(self.ops ; .arch x64 ; not eax);
        }
        dynasm!(self.ops ; .arch x64
            ; test eax, live ; jz >same
            ; or DWORD [r15 + fpsr], qc
            ; same:
        );
    }

    /// The rounding shifts right that keep the element size, SRSHR, URSHR and their
    /// accumulating forms SRSRA, URSRA (vector), and RSHRN(2), the truncating narrow of a
    /// rounded shift.
    fn rounding_shift_inline(&mut self, f: VecFn, op: crate::ops::SatOp, d: u8, n: u8) -> bool {
        use SatKind::*;
        let es = f.esize;
        match op.kind {
            Srshr | Urshr | Srsra | Ursra if !op.scalar => {
                self.load_v(0, n);
                self.shift_right_rounded(es, op.arg, matches!(op.kind, Srshr | Srsra), true);
                if matches!(op.kind, Srsra | Ursra) {
                    self.accumulate(d, es, false);
                }
                if !f.q {
                    dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
                }
                self.store_v(d);
                true
            }
            Rshrn if es < 3 => {
                // The low bits of the rounded value do not depend on the shift's signedness.
                self.load_v(0, n);
                self.shift_right_rounded(es + 1, op.arg, false, true);
                self.narrow_to(d, es, f.q, 0);
                true
            }
            _ => false,
        }
    }

    /// xmm0 >>= `sh` (1..=element size) per element of size `es`, rounded
    /// with `round` as A64 rounds, `(x + (1 << (sh - 1))) >> sh` computed exactly: the sum
    /// may not fit the element, so the rounding bit is added after the shift instead, bit
    /// `sh - 1` of x (the shifted value is at most half the range: no overflow). Clobbers
    /// xmm1..xmm4.
    fn shift_right_rounded(&mut self, es: u8, sh: u8, signed: bool, round: bool) {
        if round {
            let s = (sh - 1) as i8;
            dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm0);
            match es {
                // (Bytes through halfwords: only each byte's low bit is kept below.)
                0 | 1 => dynasm!(self.ops ; .arch x64 ; psrlw xmm1, s),
                2 => dynasm!(self.ops ; .arch x64 ; psrld xmm1, s),
                _ => dynasm!(self.ops ; .arch x64 ; psrlq xmm1, s),
            }
        }
        self.shift_right(es, sh, signed);
        if round {
            self.add_low_bits(es);
        }
    }

    /// xmm0 += the low bit of each of xmm1's elements of size `es` (a rounding bit shifted
    /// down). Clobbers xmm1, xmm2.
    pub(super) fn add_low_bits(&mut self, es: u8) {
        let ones = match es {
            0 => 0x0101_0101_0101_0101,
            1 => 0x0001_0001_0001_0001,
            2 => 0x0000_0001_0000_0001,
            _ => 1,
        };
        self.bcast(2, ones);
        dynasm!(self.ops ; .arch x64 ; pand xmm1, xmm2);
        self.add_sub(es, false);
    }

    /// SQXTN, UQXTN, SQXTUN (`kind`) of xmm0's halfwords or words into bytes or halfwords
    /// (`es`, the narrow size): PACKSS*/PACKUS* saturate as A64 does (UQXTN's sources clamped
    /// first, since PACKUS* reads them as signed). FPSR.QC when a lane saturated: when the
    /// result, widened back, differs from its source. The result goes to V`d`'s lower half, its
    /// upper half (`q`, keeping the lower), or its element 0 (`scalar`).
    fn sat_narrow(&mut self, kind: SatKind, es: u8, q: bool, scalar: bool, d: u8) {
        use SatKind::*;
        dynasm!(self.ops ; .arch x64 ; movdqa xmm2, xmm0);
        match (kind, es) {
            (Sqxtn, 0) => dynasm!(self.ops ; .arch x64 ; packsswb xmm0, xmm0),
            (Sqxtn, _) => dynasm!(self.ops ; .arch x64 ; packssdw xmm0, xmm0),
            (Sqxtun, 0) => dynasm!(self.ops ; .arch x64 ; packuswb xmm0, xmm0),
            (Sqxtun, _) => dynasm!(self.ops ; .arch x64 ; packusdw xmm0, xmm0),
            (_, 0) => {
                self.bcast(1, 0x00ff_00ff_00ff_00ff);
                dynasm!(self.ops ; .arch x64 ; pminuw xmm0, xmm1 ; packuswb xmm0, xmm0);
            }
            (_, _) => {
                self.bcast(1, 0x0000_ffff_0000_ffff);
                dynasm!(self.ops ; .arch x64 ; pminud xmm0, xmm1 ; packusdw xmm0, xmm0);
            }
        }
        match (kind == Sqxtn, es) {
            (true, 0) => dynasm!(self.ops ; .arch x64 ; pmovsxbw xmm1, xmm0 ; pcmpeqw xmm1, xmm2),
            (true, _) => dynasm!(self.ops ; .arch x64 ; pmovsxwd xmm1, xmm0 ; pcmpeqd xmm1, xmm2),
            (false, 0) => dynasm!(self.ops ; .arch x64 ; pmovzxbw xmm1, xmm0 ; pcmpeqw xmm1, xmm2),
            (false, _) => dynasm!(self.ops ; .arch x64 ; pmovzxwd xmm1, xmm0 ; pcmpeqd xmm1, xmm2),
        }
        // The source bytes that count: element 0's, or all.
        let live: i32 = if scalar { (1 << (2 << es)) - 1 } else { 0xffff };
        self.set_qc_if(1, live, true);
        if scalar {
            let sh = (16 - (1 << es)) as i8;
            dynasm!(self.ops ; .arch x64 ; pslldq xmm0, sh ; psrldq xmm0, sh);
            self.store_v(d);
        } else {
            self.store_narrow(d, q);
        }
    }
}
