//! Inline lowering of the cryptographic extension instructions with the host's AES-NI,
//! PCLMULQDQ and SHA extensions, when the host has them (checked once at run time); otherwise,
//! and for PMUL and the byte form of PMULL, the ops go to `helper_vec` and `ir::crypto`.
//!
//! AES: AESE is ShiftRows + SubBytes of (d ^ n), which is `aesenclast` with a zero round key;
//! AESD likewise `aesdeclast`. AESMC is MixColumns alone: `aesdeclast` (InvShiftRows +
//! InvSubBytes) with a zero key undoes exactly the part of `aesenc` (ShiftRows + SubBytes +
//! MixColumns) that is not MixColumns. AESIMC is `aesimc`. Both architectures number the AES
//! state bytes the same way (byte 0 in the low bits).
//!
//! SHA-1: `sha1rnds4` does four rounds like SHA1C/SHA1P/SHA1M but adds the round constant
//! itself, takes E pre-added to W0 and keeps its words in the opposite order. SHA-256:
//! `sha256rnds2` does two rounds on the state split as ABEF and CDGH; SHA256SU0 is
//! `sha256msg1`; SHA256SU1 is `sha256msg2` after adding W[t-7], which A64 does inside.

use super::Lower;
use crate::ir::{VecFn, VecKind};
use crate::ops::CryptoKind;
use dynasmrt::{dynasm, DynasmApi};

/// The SHA-1 round constant `sha1rnds4` adds for each function (imm8 0..3).
const SHA1_K: [u32; 4] = [0x5a82_7999, 0x6ed9_eba1, 0x8f1b_bcdc, 0xca62_c1d6];

impl Lower<'_> {
    /// Lower a crypto op (or 64-bit PMULL) inline; false if it must go to the helper.
    pub(super) fn vec_crypto_inline(&mut self, f: VecFn, d: u8, n: u8, m: u8) -> bool {
        use CryptoKind::*;
        let h = self.rt.host;
        let kind = match f.kind {
            VecKind::Pmull if f.esize == 3 && h.pclmul => {
                self.load_v(0, n);
                self.load_v(1, m);
                if f.q {
                    dynasm!(self.ops ; .arch x64 ; pclmulqdq xmm0, xmm1, 0x11);
                } else {
                    dynasm!(self.ops ; .arch x64 ; pclmulqdq xmm0, xmm1, 0x00);
                }
                self.store_v(d);
                return true;
            }
            VecKind::Crypto(k) => k,
            _ => return false,
        };
        let ok = match kind {
            Aese | Aesd | Aesmc | Aesimc => h.aes,
            Sha1c | Sha1p | Sha1m | Sha256h | Sha256h2 | Sha256su0 | Sha256su1 => h.sha,
            Sha1h | Sha1su0 | Sha1su1 => true,
        };
        if !ok {
            return false;
        }
        match kind {
            Aese | Aesd => {
                self.load_v(0, d);
                self.load_v(1, n);
                dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm1 ; pxor xmm1, xmm1);
                if kind == Aese {
                    dynasm!(self.ops ; .arch x64 ; aesenclast xmm0, xmm1);
                } else {
                    dynasm!(self.ops ; .arch x64 ; aesdeclast xmm0, xmm1);
                }
            }
            Aesmc => {
                self.load_v(0, n);
                dynasm!(self.ops ; .arch x64 ; pxor xmm1, xmm1 ; aesdeclast xmm0, xmm1 ; aesenc xmm0, xmm1);
            }
            Aesimc => {
                self.load_v(0, n);
                dynasm!(self.ops ; .arch x64 ; aesimc xmm0, xmm0);
            }
            Sha1h => {
                // ROL(Sn, 30), upper 96 bits zero (SSE and moves only: EFLAGS may be live).
                self.load_v(0, n);
                dynasm!(self.ops ; .arch x64
                    ; movdqa xmm1, xmm0 ; pslld xmm0, 30 ; psrld xmm1, 2 ; por xmm0, xmm1
                    ; movd eax, xmm0 ; movd xmm0, eax
                );
            }
            Sha1su0 => {
                // (n<63:0> : d<127:64>) ^ d ^ m
                self.load_v(0, d);
                self.load_v(1, n);
                self.load_v(2, m);
                dynasm!(self.ops ; .arch x64
                    ; palignr xmm1, xmm0, 8 ; pxor xmm0, xmm1 ; pxor xmm0, xmm2
                );
            }
            Sha1su1 => {
                // T = d ^ (n >> 32); each word ROL 1, and the top one also ^ ROL(T<31:0>, 2).
                self.load_v(0, d);
                self.load_v(1, n);
                dynasm!(self.ops ; .arch x64
                    ; psrldq xmm1, 4 ; pxor xmm0, xmm1
                    ; movdqa xmm2, xmm0 ; pslldq xmm2, 12
                    ; movdqa xmm3, xmm2 ; psrld xmm3, 30 ; pslld xmm2, 2 ; por xmm2, xmm3
                    ; movdqa xmm3, xmm0 ; psrld xmm3, 31 ; pslld xmm0, 1 ; por xmm0, xmm3
                    ; pxor xmm0, xmm2
                );
            }
            Sha1c | Sha1p | Sha1m => {
                let imm = match kind {
                    Sha1c => 0,
                    Sha1p => 1,
                    _ => 2,
                };
                let k = SHA1_K[imm as usize] as u64;
                self.load_v(0, d);
                self.load_v(1, n);
                self.load_v(2, m);
                // W0 += E; W -= K (sha1rnds4 adds it back); reverse the words of state and W.
                self.bcast(3, k | k << 32);
                dynasm!(self.ops ; .arch x64
                    ; movd eax, xmm1 ; movd xmm1, eax ; paddd xmm2, xmm1 ; psubd xmm2, xmm3
                    ; pshufd xmm2, xmm2, 0x1b ; pshufd xmm0, xmm0, 0x1b
                );
                match imm {
                    0 => dynasm!(self.ops ; .arch x64 ; sha1rnds4 xmm0, xmm2, 0),
                    1 => dynasm!(self.ops ; .arch x64 ; sha1rnds4 xmm0, xmm2, 1),
                    _ => dynasm!(self.ops ; .arch x64 ; sha1rnds4 xmm0, xmm2, 2),
                }
                dynasm!(self.ops ; .arch x64 ; pshufd xmm0, xmm0, 0x1b);
            }
            Sha256h | Sha256h2 => {
                // X = {a, b, c, d}, Y = {e, f, g, h} (a, e in the low words).
                let (x, y) = if kind == Sha256h { (d, n) } else { (n, d) };
                self.load_v(1, x);
                self.load_v(2, y);
                self.load_v(0, m);
                dynasm!(self.ops ; .arch x64
                    // xmm3 = ABEF (words F, E, B, A from the low end), xmm4 = CDGH.
                    ; movdqa xmm3, xmm2 ; shufps xmm3, xmm1, 0x11
                    ; movdqa xmm4, xmm2 ; shufps xmm4, xmm1, 0xbbu8 as i8
                    ; sha256rnds2 xmm4, xmm3
                    ; pshufd xmm0, xmm0, 0x0e
                    ; sha256rnds2 xmm3, xmm4
                    ; movdqa xmm0, xmm3
                );
                if kind == Sha256h {
                    dynasm!(self.ops ; .arch x64 ; shufps xmm0, xmm4, 0xbbu8 as i8);
                } else {
                    dynasm!(self.ops ; .arch x64 ; shufps xmm0, xmm4, 0x11);
                }
            }
            Sha256su0 => {
                self.load_v(0, d);
                self.load_v(1, n);
                dynasm!(self.ops ; .arch x64 ; sha256msg1 xmm0, xmm1);
            }
            Sha256su1 => {
                self.load_v(0, d);
                self.load_v(1, n);
                self.load_v(2, m);
                // d += (m<31:0> : n<127:32>), then the sigma1 part.
                dynasm!(self.ops ; .arch x64
                    ; movdqa xmm3, xmm2 ; palignr xmm3, xmm1, 4 ; paddd xmm0, xmm3
                    ; sha256msg2 xmm0, xmm2
                );
            }
        }
        self.store_v(d);
        true
    }
}
