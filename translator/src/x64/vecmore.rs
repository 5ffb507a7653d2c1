//! Inline SSE lowering of AdvSIMD integer operations compiled loops, glibc and hand-written
//! codec NEON use that the other vector modules do not take (`tests/inline.rs` lists what still
//! calls a helper): ABS, NEG, CNT, the shifts of bytes by an immediate (SHL, USHR), the shift
//! and inserts (SLI, SRI), the halving adds (SHADD, UHADD, SRHADD, URHADD), the shift-right-accumulates
//! (USRA, SSRA), the narrowing high halves (ADDHN, SUBHN, RADDHN, RSUBHN and their "2" forms),
//! and the across-lanes reductions (ADDV, SMAXV, UMAXV, SMINV, UMINV, SADDLV, UADDLV of bytes,
//! halfwords and words).
//! Each gives A64's result exactly: wrapping arithmetic, shifts by the element size, and a
//! scalar result zero-extended to the whole register.

use super::vector::sign_bits;
use super::Lower;
use crate::ir::{VecFn, VecKind};
use dynasmrt::{dynasm, DynasmApi};

impl Lower<'_> {
    /// Lower one of the operations above inline; false if it must go to the helper.
    pub(super) fn vec_more_inline(&mut self, f: VecFn, d: u8, n: u8, m: u8) -> bool {
        use VecKind::*;
        let (es, q) = (f.esize, f.q);
        match f.kind {
            Abs | Neg => {
                self.load_v(0, n);
                self.abs_neg(es, f.kind == Abs);
            }
            Cnt if es == 0 => {
                self.load_v(0, n);
                self.popcount_bytes();
            }
            Shadd | Uhadd | Srhadd | Urhadd if es < 3 => {
                self.load_v(0, n);
                self.load_v(1, m);
                let signed = matches!(f.kind, Shadd | Srhadd);
                self.halving_add(es, signed, matches!(f.kind, Srhadd | Urhadd));
            }
            Usra(sh) | Ssra(sh) => {
                self.load_v(0, n);
                self.shift_right(es, sh, matches!(f.kind, Ssra(_)));
                self.accumulate(d, es, false);
            }
            AddHn { round } | SubHn { round } if es < 3 => {
                // Narrowing into V`d` (its lower half kept by the "2" forms) stores it.
                self.high_narrow(f.kind == SubHn { round }, round, es, q, d, n, m);
                return true;
            }
            Umaxv | Smaxv | Uminv | Sminv | Addv if es < 2 || (es == 2 && q) => {
                self.load_v(0, n);
                if !q {
                    dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
                }
                if f.kind == Addv {
                    self.sum_lanes(es, q);
                } else {
                    let signed = matches!(f.kind, Smaxv | Sminv);
                    self.fold_max_min(es, q, signed, matches!(f.kind, Umaxv | Smaxv));
                }
                self.keep_element0(es);
                self.store_v(d);
                return true;
            }
            Shsub | Uhsub if es < 3 => {
                self.load_v(0, n);
                self.load_v(1, m);
                self.halving_sub(es, f.kind == Shsub);
            }
            Shl(sh) | Ushr(sh) if es == 0 => {
                self.load_v(0, n);
                self.shift_bytes(sh, matches!(f.kind, Shl(_)));
            }
            Sli(sh) | Sri(sh) => {
                self.load_v(0, n);
                self.shift_insert(es, sh, matches!(f.kind, Sli(_)), d);
            }
            Uaddlv | Saddlv if es == 0 => {
                self.load_v(0, n);
                self.sum_bytes(q, f.kind == Saddlv);
                self.keep_element0(1);
                self.store_v(d);
                return true;
            }
            Uaddlv | Saddlv if es == 1 || (es == 2 && q) => {
                self.load_v(0, n);
                self.sum_widened(es, q, f.kind == Saddlv);
                self.keep_element0(es + 1);
                self.store_v(d);
                return true;
            }
            _ => return false,
        }
        if !q {
            dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
        }
        self.store_v(d);
        true
    }

    /// xmm0 = |xmm0| (or -xmm0), wrapping. Clobbers xmm1.
    pub(super) fn abs_neg(&mut self, es: u8, abs: bool) {
        match (es, abs) {
            (0, true) => dynasm!(self.ops ; .arch x64 ; pabsb xmm0, xmm0),
            (1, true) => dynasm!(self.ops ; .arch x64 ; pabsw xmm0, xmm0),
            (2, true) => dynasm!(self.ops ; .arch x64 ; pabsd xmm0, xmm0),
            (_, true) => {
                // (x ^ s) - s with s = x < 0 ? -1 : 0.
                dynasm!(self.ops ; .arch x64
                    ; pxor xmm1, xmm1 ; pcmpgtq xmm1, xmm0 ; pxor xmm0, xmm1 ; psubq xmm0, xmm1
                );
            }
            (_, false) => {
                dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm0 ; pxor xmm0, xmm0);
                self.add_sub(es, true);
            }
        }
    }

    /// xmm0 = the number of ones of each byte of xmm0: a nibble table through PSHUFB.
    /// Clobbers xmm1..xmm3.
    fn popcount_bytes(&mut self) {
        self.bcast(3, 0x0f0f_0f0f_0f0f_0f0f);
        // Popcounts of 0..15.
        self.vconst(2, 0x0302_0201_0201_0100, 0x0403_0302_0302_0201);
        dynasm!(self.ops ; .arch x64
            ; movdqa xmm1, xmm0 ; psrlw xmm1, 4 ; pand xmm1, xmm3 ; pand xmm0, xmm3
            ; movdqa xmm3, xmm2 ; pshufb xmm2, xmm0 ; pshufb xmm3, xmm1
            ; movdqa xmm0, xmm2 ; paddb xmm0, xmm3
        );
    }

    /// xmm0 = (xmm0 + xmm1 [+ 1]) >> 1 per element of size `es` (< 3), without overflow:
    /// (a & b) + ((a ^ b) >> 1) rounding down, (a | b) - ((a ^ b) >> 1) rounding up; signed
    /// elements as unsigned ones with their sign bits flipped. Clobbers xmm1, xmm2.
    fn halving_add(&mut self, es: u8, signed: bool, round: bool) {
        if signed {
            self.bias(es);
        }
        match (es, round) {
            (0, true) => dynasm!(self.ops ; .arch x64 ; pavgb xmm0, xmm1),
            (1, true) => dynasm!(self.ops ; .arch x64 ; pavgw xmm0, xmm1),
            _ => {
                dynasm!(self.ops ; .arch x64 ; movdqa xmm2, xmm0 ; pxor xmm2, xmm1);
                if round {
                    dynasm!(self.ops ; .arch x64 ; por xmm0, xmm1);
                } else {
                    dynasm!(self.ops ; .arch x64 ; pand xmm0, xmm1);
                }
                self.halve_xmm2(es);
                dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm2);
                self.add_sub(es, round);
            }
        }
        if signed {
            self.bcast(2, sign_bits(es));
            dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm2);
        }
    }

    /// xmm0 >>= `sh` (1..=element size) per element of size `es`, arithmetic with `signed`:
    /// bytes through halfwords (the bits from the neighbour masked off; signed ones then
    /// sign-extended from their new top bit, `(t ^ m) - m`), signed doublewords as the logical
    /// shift ORed with the sign mask shifted left (SSE has no PSRAQ). Clobbers xmm3, xmm4.
    pub(super) fn shift_right(&mut self, es: u8, sh: u8, signed: bool) {
        // Counts of the element size or more give zeros (or sign copies), as A64's do.
        let s = sh as i8;
        if es == 0 {
            // (Arithmetic shifts by 7 and 8 agree: 7 keeps the sign to extend.)
            let sh = if signed { sh.min(7) } else { sh.min(8) };
            self.shift_bytes(sh, false);
            if signed {
                // Extended from the sign bit's new place.
                self.bcast(3, (0x80u64 >> sh) * 0x0101_0101_0101_0101);
                dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm3 ; psubb xmm0, xmm3);
            }
            return;
        }
        if es == 3 && signed {
            let back = (64 - u32::from(sh.min(64))) as i8;
            dynasm!(self.ops ; .arch x64
                ; pxor xmm3, xmm3 ; pcmpgtq xmm3, xmm0 ; psllq xmm3, back ; psrlq xmm0, s ; por xmm0, xmm3
            );
            return;
        }
        match (es, signed) {
            (1, false) => dynasm!(self.ops ; .arch x64 ; psrlw xmm0, s),
            (2, false) => dynasm!(self.ops ; .arch x64 ; psrld xmm0, s),
            (_, false) => dynasm!(self.ops ; .arch x64 ; psrlq xmm0, s),
            (1, true) => dynasm!(self.ops ; .arch x64 ; psraw xmm0, s),
            (_, true) => dynasm!(self.ops ; .arch x64 ; psrad xmm0, s),
        }
    }

    /// ADDHN/SUBHN (`sub`), rounding with `round`: the high halves of V`n` +- V`m` (elements of
    /// size `es` + 1) into V`d`'s lower half, or (`q`) its upper half.
    #[allow(clippy::too_many_arguments)] // the operation's options and its registers
    fn high_narrow(&mut self, sub: bool, round: bool, es: u8, q: bool, d: u8, n: u8, m: u8) {
        self.load_v(0, n);
        self.load_v(1, m);
        self.add_sub(es + 1, sub);
        if round {
            // Plus half of the part shifted out: 1 << (element bits - 1) of the narrow size.
            let half = match es {
                0 => 0x0080_0080_0080_0080u64,
                1 => 0x0000_8000_0000_8000,
                _ => 0x0000_0000_8000_0000,
            };
            self.bcast(1, half);
            self.add_sub(es + 1, false);
        }
        self.narrow_to(d, es, q, 8 << es);
    }

    /// xmm0's element 0 = the max (min) of its elements of size `es`, 8 or 16 (`q`) bytes of
    /// them: lanes [0, s) take the max (min) of [0, s) and [s, 2s), halving s.
    fn fold_max_min(&mut self, es: u8, q: bool, signed: bool, max: bool) {
        let mut width = if q { 16 } else { 8 };
        while width > 1 << es {
            width /= 2;
            let s = width as i8;
            dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm0 ; psrldq xmm1, s);
            self.max_min(0, 1, es, signed, max);
        }
    }

    /// xmm0's element 0 = the wrapping sum of its elements of size `es`, 8 or 16 (`q`) bytes of
    /// them (the bytes beyond zero).
    fn sum_lanes(&mut self, es: u8, q: bool) {
        if es == 0 {
            return self.sum_bytes(q, false);
        }
        // Pairwise adds until one element is left.
        let rounds = (if q { 4 } else { 3 }) - es;
        for _ in 0..rounds {
            match es {
                1 => dynasm!(self.ops ; .arch x64 ; phaddw xmm0, xmm0),
                _ => dynasm!(self.ops ; .arch x64 ; phaddd xmm0, xmm0),
            }
        }
    }

    /// xmm0's low 16 bits = the sum of its bytes (signed: of their signed values, wrapping),
    /// 8 or 16 (`q`) of them (the bytes beyond zero): PSADBW against zero sums each eight.
    fn sum_bytes(&mut self, q: bool, signed: bool) {
        if signed {
            // Each byte biased by 128 to unsigned, the bias taken off the sum.
            self.bcast(1, sign_bits(0));
            dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm1);
        }
        if !q {
            dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
        }
        dynasm!(self.ops ; .arch x64
            ; pxor xmm1, xmm1 ; psadbw xmm0, xmm1
            ; pshufd xmm1, xmm0, 0x4e ; paddq xmm0, xmm1
        );
        if signed {
            let bias = if q { 16 * 128 } else { 8 * 128 };
            dynasm!(self.ops ; .arch x64 ; mov eax, bias ; movd xmm1, eax ; psubq xmm0, xmm1);
        }
    }

    /// xmm2 >>= 1 per element of size `es` (< 3), logical (bytes: through halfwords, the bit
    /// crossing in masked off). Clobbers xmm1.
    fn halve_xmm2(&mut self, es: u8) {
        match es {
            0 => {
                dynasm!(self.ops ; .arch x64 ; psrlw xmm2, 1);
                self.bcast(1, 0x7f7f_7f7f_7f7f_7f7f);
                dynasm!(self.ops ; .arch x64 ; pand xmm2, xmm1);
            }
            1 => dynasm!(self.ops ; .arch x64 ; psrlw xmm2, 1),
            _ => dynasm!(self.ops ; .arch x64 ; psrld xmm2, 1),
        }
    }

    /// xmm0 = (xmm0 - xmm1) >> 1 per element of size `es` (< 3), computed without the
    /// difference's extra bit: a - b = (a ^ b) - 2 (!a & b), so the halved difference is
    /// ((a ^ b) >> 1) - (!a & b), wrapping to the element; signed elements as unsigned ones
    /// with their sign bits flipped (which leaves their difference as it was). Clobbers
    /// xmm1..xmm3.
    fn halving_sub(&mut self, es: u8, signed: bool) {
        if signed {
            self.bias(es);
        }
        dynasm!(self.ops ; .arch x64
            ; movdqa xmm2, xmm0 ; pxor xmm2, xmm1 ; pandn xmm0, xmm1 ; movdqa xmm3, xmm0
        );
        self.halve_xmm2(es);
        dynasm!(self.ops ; .arch x64 ; movdqa xmm0, xmm2 ; movdqa xmm1, xmm3);
        self.add_sub(es, true);
    }

    /// SHL or USHR (`left`) of bytes by `sh` (0..=8): through halfwords, the bits that cross
    /// into the neighbouring byte masked off. Clobbers xmm3.
    fn shift_bytes(&mut self, sh: u8, left: bool) {
        let s = sh.min(8) as i8;
        let byte = if left { 0xffu64 << sh.min(8) } else { 0xff >> sh.min(8) } & 0xff;
        if left {
            dynasm!(self.ops ; .arch x64 ; psllw xmm0, s);
        } else {
            dynasm!(self.ops ; .arch x64 ; psrlw xmm0, s);
        }
        self.bcast(3, byte * 0x0101_0101_0101_0101);
        dynasm!(self.ops ; .arch x64 ; pand xmm0, xmm3);
    }

    /// SLI or SRI (`left`): V`d` with, in each element of size `es`, the bits xmm0's shift by
    /// `sh` fills (all but the low `sh` ones left, the high `sh` ones right) replaced by it.
    /// Clobbers xmm1, xmm2.
    fn shift_insert(&mut self, es: u8, sh: u8, left: bool, d: u8) {
        let bits = 8u32 << es;
        let ones = u64::MAX >> (64 - bits);
        let sh = u32::from(sh).min(bits);
        // The shifted value's bits in one element; 64-bit shifts by 64 give 0, as A64's do.
        let field = if left {
            ones.checked_shl(sh).unwrap_or(0) & ones
        } else {
            ones.checked_shr(sh).unwrap_or(0)
        };
        let pattern = (0..64 / bits).fold(0u64, |p, i| p | field << (i * bits));
        if es == 0 {
            self.shift_bytes(sh as u8, left);
        } else if left {
            self.shift_imm(es, sh as u8, true);
        } else {
            self.shift_right(es, sh as u8, false);
        }
        self.bcast(2, pattern);
        self.load_v(1, d);
        dynasm!(self.ops ; .arch x64 ; pandn xmm2, xmm1 ; por xmm0, xmm2);
    }

    /// xmm0's element 0 (of size `es` + 1) = the sum of its elements of size `es` (1 or 2),
    /// 8 or 16 (`q`) bytes of them, each widened (sign- or zero-extended) first: the sum
    /// cannot overflow the wide element (eight halfwords, four words).
    fn sum_widened(&mut self, es: u8, q: bool, signed: bool) {
        if q {
            dynasm!(self.ops ; .arch x64 ; movdqa xmm1, xmm0);
            self.widen(1, es, signed, true);
        }
        self.widen(0, es, signed, false);
        if q {
            self.add_sub(es + 1, false);
        }
        match es {
            // Four words: two pairwise adds.
            1 => dynasm!(self.ops ; .arch x64 ; phaddd xmm0, xmm0 ; phaddd xmm0, xmm0),
            _ => dynasm!(self.ops ; .arch x64 ; pshufd xmm1, xmm0, 0x4e ; paddq xmm0, xmm1),
        }
    }

    /// xmm0 = its element 0 of size `es`, zero-extended.
    fn keep_element0(&mut self, es: u8) {
        match es {
            0 => dynasm!(self.ops ; .arch x64 ; pextrb eax, xmm0, 0 ; movd xmm0, eax),
            1 => dynasm!(self.ops ; .arch x64 ; pextrw eax, xmm0, 0 ; movd xmm0, eax),
            2 => dynasm!(self.ops ; .arch x64 ; movd eax, xmm0 ; movd xmm0, eax),
            _ => dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0),
        }
    }
}
