//! The tag that authenticates a saved translation (`cache::persist`): a polynomial hash of the
//! entry over GF(2^128) at a secret point, then SipHash-2-4 of that digest and the length.
//!
//! A warm start checks the tag of every block it places (a warm `ls` several thousand, a
//! python tens of thousands), and SipHash-2-4 of whole entries (about 290 bytes each) was 8% of
//! a warm `ls`'s CPU time: its 8-byte steps run one after another. A polynomial hash takes 16
//! bytes a step with carry-less multiplies (PCLMULQDQ), four steps folded into one reduction,
//! so its multiplies overlap.
//!
//! Why it is as strong as SipHash of the whole entry: the polynomial hash with a secret point H
//! is almost universal (two different messages of L blocks and the same length collide for at
//! most L of the 2^128 points, so with probability at most L / 2^128), and a universal hash
//! followed by a pseudo-random function of its digest (here with the length beside it, so
//! messages of different lengths never meet) is a pseudo-random function: the tags, which the
//! guest may read in the cache's files, say nothing of H, and a changed entry passes only if
//! its digest and length meet those of an entry the VM tagged (Wegman and Carter 1981; Shoup,
//! "On fast and provably secure message authentication based on universal hashing", 1996).
//!
//! The field: bit i of a `u128` is the coefficient of x^i, modulo x^128 + x^7 + x^2 + x + 1.
//! A host without PCLMULQDQ computes the same tags with a portable carry-less multiply (slowly:
//! no x86-64 made since 2010 lacks it).

use crate::siphash::siphash24;

/// x^128 modulo the field's polynomial: x^7 + x^2 + x + 1.
const R: u64 = 0x87;

/// A tagging key: SipHash's, and the point H with its powers derived from it.
#[derive(Clone)]
pub struct TagKey {
    sip: (u64, u64),
    /// H^4, H^3, H^2, H: four blocks are folded in with one reduction.
    powers: [u128; 4],
    clmul: bool,
}

impl TagKey {
    /// The key derived from the SipHash key `(k0, k1)`.
    pub fn new(k0: u64, k1: u64) -> TagKey {
        let clmul = crate::x64::host::has(crate::x64::host::Feature::Pclmulqdq);
        Self::with(k0, k1, clmul)
    }

    fn with(k0: u64, k1: u64, clmul: bool) -> TagKey {
        // (Messages of 16 bytes: the tags SipHash makes of 24-byte ones never use these.)
        let lo = siphash24(k0, k1, b"a64x entry tag 0");
        let hi = siphash24(k0, k1, b"a64x entry tag 1");
        let h = (u128::from(hi) << 64 | u128::from(lo)).max(1);
        let h2 = mul_portable(h, h);
        let h3 = mul_portable(h2, h);
        TagKey {
            sip: (k0, k1),
            powers: [mul_portable(h3, h), h3, h2, h],
            clmul,
        }
    }

    /// The tag of `data`.
    pub fn tag(&self, data: &[u8]) -> u64 {
        let digest = if self.clmul {
            // SAFETY: the host has PCLMULQDQ (and SSE2, which x86-64 always has).
            unsafe { clmul::digest(&self.powers, data) }
        } else {
            digest_portable(&self.powers, data)
        };
        let mut last = [0u8; 24];
        last[..16].copy_from_slice(&digest.to_le_bytes());
        last[16..].copy_from_slice(&(data.len() as u64).to_le_bytes());
        siphash24(self.sip.0, self.sip.1, &last)
    }
}

/// `data` as its whole 16-byte blocks and the block left, padded with zeros.
fn blocks(data: &[u8]) -> (&[u8], Option<u128>) {
    let (whole, rest) = data.split_at(data.len() & !15);
    let last = match rest.len() {
        0 => None,
        // The data's last 16 bytes, shifted down to the block left: a load, where copying the
        // few bytes into a zeroed block was a call of memcpy (0.6% of a cold python start).
        n if data.len() >= 16 => Some(block(&data[data.len() - 16..]) >> (8 * (16 - n))),
        n => {
            let mut b = [0u8; 16];
            b[..n].copy_from_slice(rest);
            Some(u128::from_le_bytes(b))
        }
    };
    (whole, last)
}

fn block(c: &[u8]) -> u128 {
    u128::from_le_bytes(c.try_into().expect("16 bytes"))
}

/// The carry-less product of `a` and `b`.
fn clmul_portable(a: u64, b: u64) -> u128 {
    (0..64).fold(0u128, |r, i| {
        r ^ ((u128::from(a) << i) & 0u128.wrapping_sub(u128::from(b >> i & 1)))
    })
}

/// `(hi, lo)`, the 256-bit carry-less product, reduced modulo the field's polynomial.
fn reduce(hi: u128, lo: u128) -> u128 {
    // Bits 192..255 (hi's upper word) times x^128 are that word times R, 64 bits up.
    let a = clmul_portable((hi >> 64) as u64, R);
    let (hi, lo) = (hi ^ (a >> 64), lo ^ (a << 64));
    // Bits 128..191 times x^128: that word times R.
    lo ^ clmul_portable(hi as u64, R)
}

fn mul_portable(a: u128, b: u128) -> u128 {
    let (a0, a1, b0, b1) = (a as u64, (a >> 64) as u64, b as u64, (b >> 64) as u64);
    let mid = clmul_portable(a0, b1) ^ clmul_portable(a1, b0);
    let lo = clmul_portable(a0, b0) ^ (mid << 64);
    let hi = clmul_portable(a1, b1) ^ (mid >> 64);
    reduce(hi, lo)
}

/// The polynomial hash of `data` at H (`powers[3]`): Y = (Y + X_i) H block after block.
fn digest_portable(powers: &[u128; 4], data: &[u8]) -> u128 {
    let (whole, last) = blocks(data);
    let h = powers[3];
    whole
        .chunks_exact(16)
        .map(block)
        .chain(last)
        .fold(0, |y, x| mul_portable(y ^ x, h))
}

mod clmul {
    //! The polynomial hash with PCLMULQDQ.

    use super::{block, blocks, R};
    use std::arch::x86_64::*;

    /// The 256-bit carry-less product of `a` and `b`, as (high, low) halves.
    #[target_feature(enable = "pclmulqdq")]
    fn product(a: __m128i, b: __m128i) -> (__m128i, __m128i) {
        let lo = _mm_clmulepi64_si128::<0x00>(a, b);
        let hi = _mm_clmulepi64_si128::<0x11>(a, b);
        let mid = _mm_xor_si128(_mm_clmulepi64_si128::<0x01>(a, b), _mm_clmulepi64_si128::<0x10>(a, b));
        (
            _mm_xor_si128(hi, _mm_srli_si128::<8>(mid)),
            _mm_xor_si128(lo, _mm_slli_si128::<8>(mid)),
        )
    }

    /// `(hi, lo)` modulo the field's polynomial (as `super::reduce`).
    #[target_feature(enable = "pclmulqdq")]
    fn reduce((hi, lo): (__m128i, __m128i)) -> __m128i {
        let r = _mm_set_epi64x(0, R as i64);
        let a = _mm_clmulepi64_si128::<0x01>(hi, r);
        let hi = _mm_xor_si128(hi, _mm_srli_si128::<8>(a));
        let lo = _mm_xor_si128(lo, _mm_slli_si128::<8>(a));
        _mm_xor_si128(lo, _mm_clmulepi64_si128::<0x00>(hi, r))
    }

    fn load(x: u128) -> __m128i {
        // SAFETY: 16 bytes read from a u128 (unaligned loads allowed).
        unsafe { _mm_loadu_si128(&x as *const u128 as *const __m128i) }
    }

    fn store(v: __m128i) -> u128 {
        let mut x = 0u128;
        // SAFETY: 16 bytes written to a u128.
        unsafe { _mm_storeu_si128(&mut x as *mut u128 as *mut __m128i, v) };
        x
    }

    /// The polynomial hash of `data` (as `super::digest_portable`), four blocks at a time:
    /// Y' = (Y + X1) H^4 + X2 H^3 + X3 H^2 + X4 H.
    ///
    /// # Safety
    /// The host must have PCLMULQDQ.
    #[target_feature(enable = "pclmulqdq")]
    pub unsafe fn digest(powers: &[u128; 4], data: &[u8]) -> u128 {
        let p = powers.map(load);
        let mut y = _mm_setzero_si128();
        let (whole, last) = blocks(data);
        let mut groups = whole.chunks_exact(64);
        for g in &mut groups {
            let x = |i: usize| load(block(&g[16 * i..16 * i + 16]));
            let mut acc = product(_mm_xor_si128(y, x(0)), p[0]);
            for (i, &h) in p.iter().enumerate().skip(1) {
                let (hi, lo) = product(x(i), h);
                acc = (_mm_xor_si128(acc.0, hi), _mm_xor_si128(acc.1, lo));
            }
            y = reduce(acc);
        }
        let rest = groups.remainder().chunks_exact(16).map(block).chain(last);
        for x in rest {
            y = reduce(product(_mm_xor_si128(y, load(x)), p[3]));
        }
        store(y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GF(2^128) multiplication the schoolbook way, one bit of `b` at a time: `a` times x at
    /// each step, reduced as it overflows (independent of the carry-less products above).
    fn mul_bitwise(mut a: u128, b: u128) -> u128 {
        let mut r = 0;
        for i in 0..128 {
            if b >> i & 1 == 1 {
                r ^= a;
            }
            let carry = a >> 127;
            a <<= 1;
            if carry == 1 {
                a ^= u128::from(R);
            }
        }
        r
    }

    /// The tag by its definition: Horner's rule with the bitwise multiply.
    fn tag_reference(k0: u64, k1: u64, data: &[u8]) -> u64 {
        let lo = siphash24(k0, k1, b"a64x entry tag 0");
        let hi = siphash24(k0, k1, b"a64x entry tag 1");
        let h = (u128::from(hi) << 64 | u128::from(lo)).max(1);
        let mut y = 0u128;
        for c in data.chunks(16) {
            let mut b = [0u8; 16];
            b[..c.len()].copy_from_slice(c);
            y = mul_bitwise(y ^ u128::from_le_bytes(b), h);
        }
        let mut last = y.to_le_bytes().to_vec();
        last.extend_from_slice(&(data.len() as u64).to_le_bytes());
        siphash24(k0, k1, &last)
    }

    /// A repeatable stream of pseudo-random bytes (xorshift).
    fn bytes(seed: u64, n: usize) -> Vec<u8> {
        let mut s = seed | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                s as u8
            })
            .collect()
    }

    #[test]
    fn the_field_multiply_agrees_with_the_schoolbook_one() {
        let v = bytes(7, 16 * 64);
        let x: Vec<u128> = v.chunks(16).map(block).collect();
        for w in x.windows(2) {
            assert_eq!(mul_portable(w[0], w[1]), mul_bitwise(w[0], w[1]));
        }
        // x^127 * x = x^128 = x^7 + x^2 + x + 1; all ones squared.
        assert_eq!(mul_portable(1 << 127, 2), u128::from(R));
        assert_eq!(mul_portable(u128::MAX, u128::MAX), mul_bitwise(u128::MAX, u128::MAX));
    }

    #[test]
    fn tags_are_the_definitions_at_every_length_on_both_paths() {
        let data = bytes(11, 700);
        let keys = [(0, 0), (0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908), (u64::MAX, 3)];
        let clmul = crate::x64::host::has(crate::x64::host::Feature::Pclmulqdq);
        for (k0, k1) in keys {
            let portable = TagKey::with(k0, k1, false);
            let fast = TagKey::with(k0, k1, clmul);
            for len in (0..=200).chain([255, 256, 257, 300, 511, 700]) {
                let want = tag_reference(k0, k1, &data[..len]);
                assert_eq!(portable.tag(&data[..len]), want, "portable, length {len}");
                assert_eq!(fast.tag(&data[..len]), want, "clmul {clmul}, length {len}");
            }
        }
    }

    #[test]
    fn any_change_changes_the_tag() {
        let key = TagKey::new(1, 2);
        let data = bytes(5, 290);
        let tag = key.tag(&data);
        for i in 0..data.len() {
            for bit in [0, 3, 7] {
                let mut d = data.clone();
                d[i] ^= 1 << bit;
                assert_ne!(key.tag(&d), tag, "byte {i} bit {bit}");
            }
        }
        // Trailing zeros are not padding: the length is in the tag.
        let mut longer = data.clone();
        longer.push(0);
        assert_ne!(key.tag(&longer), tag);
        assert_ne!(TagKey::new(1, 3).tag(&data), tag, "another key");
    }
}
