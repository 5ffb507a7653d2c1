//! Field extraction and the Arm ARM's shared decode helpers (`DecodeBitMasks`, register 31 rules).
//! The only place that looks at instruction bits besides the table itself.

use super::inst::*;

/// Bits `hi:lo` of `w`.
#[inline]
pub fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1u32 << (hi - lo + 1)) - 1)
}

/// Bit `n` of `w`.
#[inline]
pub fn bit(w: u32, n: u32) -> bool {
    (w >> n) & 1 == 1
}

/// Sign-extend the low `n` bits of `v`.
#[inline]
pub fn sext(v: u32, n: u32) -> i64 {
    ((v as i64) << (64 - n)) >> (64 - n)
}

/// Register field at `lo` where 31 means XZR.
#[inline]
pub fn rzr(w: u32, lo: u32) -> Reg {
    match bits(w, lo + 4, lo) {
        31 => Reg::Zr,
        n => Reg::X(n as u8),
    }
}

/// Register field at `lo` where 31 means SP.
#[inline]
pub fn rsp(w: u32, lo: u32) -> Reg {
    match bits(w, lo + 4, lo) {
        31 => Reg::Sp,
        n => Reg::X(n as u8),
    }
}

/// SIMD&FP register field at `lo`.
#[inline]
pub fn vr(w: u32, lo: u32) -> VReg {
    VReg(bits(w, lo + 4, lo) as u8)
}

/// The width an `sf` field (1: the 64-bit form) names.
#[inline]
pub fn sf_width(sf: u32) -> Width {
    if sf == 1 {
        Width::W64
    } else {
        Width::W32
    }
}

/// `DecodeBitMasks(N, imms, immr, immediate=TRUE)`'s wmask for width `m`; None if reserved.
pub fn decode_bit_masks(n: bool, imms: u32, immr: u32, m: u32) -> Option<u64> {
    // len = HighestSetBit(N:NOT(imms))
    let combined = ((n as u32) << 6) | (!imms & 0x3f);
    if combined == 0 {
        return None;
    }
    let len = 31 - combined.leading_zeros();
    if len < 1 {
        return None;
    }
    let esize = 1u32 << len;
    if esize > m {
        return None;
    }
    let levels = esize - 1;
    let s = imms & levels;
    let r = immr & levels;
    if s == levels {
        return None;
    }
    // welem = Ones(S+1) in esize bits, rotated right by R, replicated to m bits.
    let emask = if esize == 64 { u64::MAX } else { (1u64 << esize) - 1 };
    let welem = (1u64 << (s + 1)) - 1;
    let rot = if r == 0 {
        welem
    } else {
        ((welem >> r) | (welem << (esize - r))) & emask
    };
    let mut out = 0u64;
    let mut i = 0;
    while i < m {
        out |= rot << i;
        i += esize;
    }
    Some(if m == 32 { out & 0xffff_ffff } else { out })
}

/// The shift field of shifted-register forms.
pub fn shift_type(b: u32) -> Shift {
    [Shift::Lsl, Shift::Lsr, Shift::Asr, Shift::Ror][b as usize & 3]
}

/// The option field of extended-register forms.
pub fn extend_type(b: u32) -> Extend {
    use super::inst::Extend::*;
    [Uxtb, Uxth, Uxtw, Uxtx, Sxtb, Sxth, Sxtw, Sxtx][b as usize & 7]
}

/// `AdvSIMDExpandImm(op, cmode, imm8)`; None for the FP forms not handled here.
pub fn advsimd_expand_imm(op: bool, cmode: u32, imm8: u32) -> Option<u64> {
    let imm8 = imm8 as u64;
    let rep32 = |v: u64| v | (v << 32);
    let rep16 = |v: u64| v | (v << 16) | (v << 32) | (v << 48);
    Some(match cmode >> 1 {
        0 => rep32(imm8),
        1 => rep32(imm8 << 8),
        2 => rep32(imm8 << 16),
        3 => rep32(imm8 << 24),
        4 => rep16(imm8),
        5 => rep16(imm8 << 8),
        6 => {
            if cmode & 1 == 0 {
                rep32((imm8 << 8) | 0xff)
            } else {
                rep32((imm8 << 16) | 0xffff)
            }
        }
        _ => {
            if cmode & 1 == 0 && !op {
                let b = imm8 | (imm8 << 8);
                let b = b | (b << 16);
                b | (b << 32)
            } else if cmode & 1 == 0 && op {
                let mut out = 0u64;
                for i in 0..8 {
                    if imm8 & (1 << i) != 0 {
                        out |= 0xff << (8 * i);
                    }
                }
                out
            } else {
                return None;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn bit_masks() {
        // and x0, x0, #0xff: N=1 immr=0 imms=7
        assert_eq!(decode_bit_masks(true, 7, 0, 64), Some(0xff));
        // orr w0, w0, #0x80000000: N=0 immr=1 imms=0
        assert_eq!(decode_bit_masks(false, 0, 1, 32), Some(0x8000_0000));
        // 0x5555555555555555: N=0, imms=0b111100, immr=0
        assert_eq!(decode_bit_masks(false, 0b111100, 0, 64), Some(0x5555_5555_5555_5555));
        assert_eq!(decode_bit_masks(true, 63, 0, 64), None);
    }
}
