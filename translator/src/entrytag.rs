//! The tag that authenticates a saved translation (`cache::persist`): a polynomial hash of the
//! entry over GF(2^128) at a secret point, then a pseudo-random function of that digest and the
//! length: AES-128 where the host has AES-NI, SipHash-2-4 elsewhere.
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
//! The function that finishes the tag: SipHash-2-4 of the digest and the length (24 bytes) was
//! two fifths of a tag's instructions once the digest took four blocks to a reduction. Where the
//! host has AES-NI, the length goes into the polynomial instead, as one more block after the
//! entry's (so messages of different lengths differ there, as in GHASH), and AES-128 with a
//! secret key of that 128-bit digest is the pseudo-random function (a block cipher is one, up to
//! the birthday bound of 2^64 tags); the tag is its low 64 bits. Which one a key uses follows the
//! host, as the cache files do: their context names its AES-NI and PCLMULQDQ.
//!
//! The field: bit i of a `u128` is the coefficient of x^i, modulo x^128 + x^7 + x^2 + x + 1.
//! A host without PCLMULQDQ computes the same tags with a portable carry-less multiply (slowly:
//! no x86-64 made since 2010 lacks it).

use crate::siphash::siphash24;

/// x^128 modulo the field's polynomial: x^7 + x^2 + x + 1.
const R: u64 = 0x87;

/// A tagging key: SipHash's, and the point H with its powers and the AES key derived from it.
#[derive(Clone)]
pub struct TagKey {
    sip: (u64, u64),
    /// H^4, H^3, H^2, H: four blocks are folded in with one reduction.
    powers: [u128; 4],
    path: Path,
    /// AES-128's round keys, where the tag is finished with it.
    aes: Option<[u128; 11]>,
}

/// How the host computes the polynomial hash (the same digest on each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Portable,
    Clmul,
    ClmulAvx,
}

impl Path {
    fn of_host() -> Path {
        use crate::x64::host::{has, Feature};
        match (has(Feature::Pclmulqdq), has(Feature::Avx)) {
            (false, _) => Path::Portable,
            (true, false) => Path::Clmul,
            (true, true) => Path::ClmulAvx,
        }
    }
}

impl TagKey {
    /// The key derived from the SipHash key `(k0, k1)`.
    pub fn new(k0: u64, k1: u64) -> TagKey {
        Self::with(k0, k1, Path::of_host())
    }

    fn with(k0: u64, k1: u64, path: Path) -> TagKey {
        let aes = path != Path::Portable && crate::x64::host::has(crate::x64::host::Feature::Aes);
        Self::finished(k0, k1, path, aes)
    }

    /// The key for `path`, finishing tags with AES-128 (`aes`: the host must have AES-NI and
    /// PCLMULQDQ) or SipHash.
    fn finished(k0: u64, k1: u64, path: Path, aes: bool) -> TagKey {
        // (Messages of 16 bytes: the tags SipHash makes of 24-byte ones never use these.)
        let derive =
            |a: &[u8; 16], b: &[u8; 16]| u128::from(siphash24(k0, k1, b)) << 64 | u128::from(siphash24(k0, k1, a));
        let h = derive(b"a64x entry tag 0", b"a64x entry tag 1").max(1);
        let h2 = mul_portable(h, h);
        let h3 = mul_portable(h2, h);
        TagKey {
            sip: (k0, k1),
            powers: [mul_portable(h3, h), h3, h2, h],
            path,
            aes: aes.then(|| {
                let key = derive(b"a64x entry tag 2", b"a64x entry tag 3");
                // SAFETY: the caller says the host has AES-NI.
                unsafe { aesni::expand(key) }
            }),
        }
    }

    /// The tag of `data`.
    pub fn tag(&self, data: &[u8]) -> u64 {
        let digest = match self.path {
            // SAFETY: the host has PCLMULQDQ (and SSE2, which x86-64 always has).
            Path::Clmul => unsafe { clmul::digest(&self.powers, data) },
            // SAFETY: the host has PCLMULQDQ and AVX.
            Path::ClmulAvx => unsafe { clmul::digest_avx(&self.powers, data) },
            Path::Portable => digest_portable(&self.powers, data),
        };
        if let Some(round_keys) = &self.aes {
            // SAFETY: a key gets round keys only on a host with AES-NI and PCLMULQDQ.
            return unsafe { aesni::finish(self.powers[3], digest, data.len() as u64, round_keys) };
        }
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
    //! The polynomial hash with PCLMULQDQ. The helpers are inlined into [`digest`] and
    //! [`digest_avx`], and compiled there for the features each enables; they may be called only
    //! from code that has PCLMULQDQ (their safety condition).

    use super::{blocks, R};
    use std::arch::x86_64::*;

    /// A sum of 256-bit carry-less products as its low, middle and high 128-bit parts: the
    /// middle ones straddle the other two and are added into them once for the whole sum (in
    /// [`reduce`]), not once per product.
    #[derive(Clone, Copy)]
    struct Sum {
        lo: __m128i,
        mid: __m128i,
        hi: __m128i,
    }

    /// `s` plus the carry-less product of `a` and `b`.
    #[inline(always)]
    unsafe fn mul_add(s: Sum, a: __m128i, b: __m128i) -> Sum {
        // SAFETY: the caller has PCLMULQDQ.
        unsafe {
            let mid = _mm_xor_si128(_mm_clmulepi64_si128::<0x01>(a, b), _mm_clmulepi64_si128::<0x10>(a, b));
            Sum {
                lo: _mm_xor_si128(s.lo, _mm_clmulepi64_si128::<0x00>(a, b)),
                mid: _mm_xor_si128(s.mid, mid),
                hi: _mm_xor_si128(s.hi, _mm_clmulepi64_si128::<0x11>(a, b)),
            }
        }
    }

    /// The sum modulo the field's polynomial (as `super::reduce`).
    #[inline(always)]
    unsafe fn reduce(s: Sum) -> __m128i {
        // SAFETY: the caller has PCLMULQDQ.
        unsafe {
            let hi = _mm_xor_si128(s.hi, _mm_srli_si128::<8>(s.mid));
            let lo = _mm_xor_si128(s.lo, _mm_slli_si128::<8>(s.mid));
            let r = _mm_set_epi64x(0, R as i64);
            let a = _mm_clmulepi64_si128::<0x01>(hi, r);
            let hi = _mm_xor_si128(hi, _mm_srli_si128::<8>(a));
            let lo = _mm_xor_si128(lo, _mm_slli_si128::<8>(a));
            _mm_xor_si128(lo, _mm_clmulepi64_si128::<0x00>(hi, r))
        }
    }

    /// The product of `a` and `b` in the field.
    #[inline(always)]
    pub(super) unsafe fn mul(a: __m128i, b: __m128i) -> __m128i {
        // SAFETY: the caller has PCLMULQDQ.
        unsafe {
            let zero = _mm_setzero_si128();
            reduce(mul_add(
                Sum {
                    lo: zero,
                    mid: zero,
                    hi: zero,
                },
                a,
                b,
            ))
        }
    }

    /// Horner's rule over the blocks `x` (one to four) at once: (Y + X1) H^n + X2 H^(n-1) + ...
    /// + Xn H, with one reduction. `powers` are H^4, H^3, H^2, H.
    #[inline(always)]
    unsafe fn step(powers: &[__m128i; 4], y: __m128i, x: &[__m128i]) -> __m128i {
        let p = &powers[4 - x.len()..];
        // SAFETY: the caller has PCLMULQDQ.
        unsafe {
            let zero = _mm_setzero_si128();
            let mut s = Sum {
                lo: zero,
                mid: zero,
                hi: zero,
            };
            s = mul_add(s, _mm_xor_si128(y, x[0]), p[0]);
            for (&xi, &h) in x[1..].iter().zip(&p[1..]) {
                s = mul_add(s, xi, h);
            }
            reduce(s)
        }
    }

    /// The 16 bytes at the start of `c` (which has that many).
    #[inline(always)]
    fn load(c: &[u8]) -> __m128i {
        assert!(c.len() >= 16);
        // SAFETY: 16 bytes of `c`, checked above (unaligned loads allowed; SSE2 is x86-64's).
        unsafe { _mm_loadu_si128(c.as_ptr() as *const __m128i) }
    }

    /// See [`digest`].
    #[inline(always)]
    unsafe fn digest_in(powers: &[u128; 4], data: &[u8]) -> u128 {
        let p = powers.map(|h| load(&h.to_le_bytes()));
        let (whole, last) = blocks(data);
        let mut groups = whole.chunks_exact(64);
        // SAFETY: the caller has PCLMULQDQ.
        unsafe {
            let mut y = _mm_setzero_si128();
            for g in &mut groups {
                y = step(&p, y, &[load(g), load(&g[16..]), load(&g[32..]), load(&g[48..])]);
            }
            // The whole blocks left (at most three) and the padded last one: one more step.
            let mut rest = [_mm_setzero_si128(); 4];
            let mut n = 0;
            for c in groups.remainder().chunks_exact(16) {
                rest[n] = load(c);
                n += 1;
            }
            if let Some(l) = last {
                rest[n] = load(&l.to_le_bytes());
                n += 1;
            }
            if n > 0 {
                y = step(&p, y, &rest[..n]);
            }
            let mut out = [0u8; 16];
            _mm_storeu_si128(out.as_mut_ptr() as *mut __m128i, y);
            u128::from_le_bytes(out)
        }
    }

    /// The polynomial hash of `data` (as `super::digest_portable`), four blocks to a
    /// reduction.
    ///
    /// # Safety
    /// The host must have PCLMULQDQ.
    #[target_feature(enable = "pclmulqdq")]
    pub unsafe fn digest(powers: &[u128; 4], data: &[u8]) -> u128 {
        // SAFETY: this function has PCLMULQDQ.
        unsafe { digest_in(powers, data) }
    }

    /// [`digest`] in AVX's three-operand encodings: without the register copies that the
    /// two-operand ones need before each product.
    ///
    /// # Safety
    /// The host must have PCLMULQDQ and AVX.
    #[target_feature(enable = "pclmulqdq,avx")]
    pub unsafe fn digest_avx(powers: &[u128; 4], data: &[u8]) -> u128 {
        // SAFETY: this function has PCLMULQDQ.
        unsafe { digest_in(powers, data) }
    }
}

mod aesni {
    //! AES-128 with AES-NI (FIPS 197), to finish a tag.

    use std::arch::x86_64::*;

    fn load(x: u128) -> __m128i {
        // SAFETY: 16 bytes read from a u128 (unaligned loads allowed; SSE2 is x86-64's).
        unsafe { _mm_loadu_si128(&x as *const u128 as *const __m128i) }
    }

    fn store(v: __m128i) -> u128 {
        let mut x = 0u128;
        // SAFETY: 16 bytes written to a u128.
        unsafe { _mm_storeu_si128(&mut x as *mut u128 as *mut __m128i, v) };
        x
    }

    /// One round key of the AES-128 key schedule from the one before and the AESKEYGENASSIST
    /// of it with the round's constant.
    #[target_feature(enable = "aes")]
    fn next(k: __m128i, assist: __m128i) -> __m128i {
        let t = _mm_shuffle_epi32::<0xff>(assist);
        let k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        let k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        let k = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        _mm_xor_si128(k, t)
    }

    /// The eleven round keys of AES-128 with `key` (its bytes in memory order, little-endian).
    ///
    /// # Safety
    /// The host must have AES-NI.
    #[target_feature(enable = "aes")]
    pub unsafe fn expand(key: u128) -> [u128; 11] {
        let mut k = [load(key); 11];
        macro_rules! rounds {
            ($($i:literal $rcon:literal),*) => {
                $(k[$i] = next(k[$i - 1], _mm_aeskeygenassist_si128::<$rcon>(k[$i - 1]));)*
            };
        }
        rounds!(1 0x01, 2 0x02, 3 0x04, 4 0x08, 5 0x10, 6 0x20, 7 0x40, 8 0x80, 9 0x1b, 10 0x36);
        k.map(store)
    }

    /// The AES-128 encryption of `block` with the round keys `rk`.
    #[target_feature(enable = "aes")]
    fn encrypt(rk: &[u128; 11], block: __m128i) -> __m128i {
        let mut x = _mm_xor_si128(block, load(rk[0]));
        for &k in &rk[1..10] {
            x = _mm_aesenc_si128(x, load(k));
        }
        _mm_aesenclast_si128(x, load(rk[10]))
    }

    /// AES-128 of `block` (for the known-answer tests).
    ///
    /// # Safety
    /// The host must have AES-NI.
    #[cfg(test)]
    #[target_feature(enable = "aes")]
    pub unsafe fn encrypt_block(rk: &[u128; 11], block: u128) -> u128 {
        store(encrypt(rk, load(block)))
    }

    /// The tag of a message of `len` bytes whose polynomial hash at `h` is `digest`: the length
    /// folded in as one more block, then AES-128, its low 64 bits.
    ///
    /// # Safety
    /// The host must have AES-NI and PCLMULQDQ.
    #[target_feature(enable = "aes,pclmulqdq")]
    pub unsafe fn finish(h: u128, digest: u128, len: u64, rk: &[u128; 11]) -> u64 {
        // SAFETY: this function has PCLMULQDQ.
        let y = unsafe { super::clmul::mul(load(digest ^ u128::from(len)), load(h)) };
        _mm_cvtsi128_si64(encrypt(rk, y)) as u64
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

    /// A key derived from `(k0, k1)` as [`TagKey`] derives its own, from two 16-byte names.
    fn derived(k0: u64, k1: u64, a: &[u8; 16], b: &[u8; 16]) -> u128 {
        u128::from(siphash24(k0, k1, b)) << 64 | u128::from(siphash24(k0, k1, a))
    }

    /// The tag by its definition: Horner's rule with the bitwise multiply, then SipHash of the
    /// digest and length or (`aes`) the length as one more block and AES-128 (whose
    /// implementation the known-answer test checks).
    fn tag_reference(k0: u64, k1: u64, data: &[u8], aes: bool) -> u64 {
        let h = derived(k0, k1, b"a64x entry tag 0", b"a64x entry tag 1").max(1);
        let mut y = 0u128;
        for c in data.chunks(16) {
            let mut b = [0u8; 16];
            b[..c.len()].copy_from_slice(c);
            y = mul_bitwise(y ^ u128::from_le_bytes(b), h);
        }
        if aes {
            let y = mul_bitwise(y ^ data.len() as u128, h);
            let key = derived(k0, k1, b"a64x entry tag 2", b"a64x entry tag 3");
            // SAFETY: asked for only on a host with AES-NI.
            return unsafe { aesni::encrypt_block(&aesni::expand(key), y) } as u64;
        }
        let mut last = y.to_le_bytes().to_vec();
        last.extend_from_slice(&(data.len() as u64).to_le_bytes());
        siphash24(k0, k1, &last)
    }

    #[test]
    fn aes_128_gives_the_standards_known_answers() {
        if !crate::x64::host::has(crate::x64::host::Feature::Aes) {
            eprintln!("no AES-NI on this host: its tags are finished with SipHash");
            return;
        }
        let hex = |s: &str| {
            u128::from_le_bytes(
                (0..16)
                    .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
                    .collect::<Vec<_>>()
                    .try_into()
                    .unwrap(),
            )
        };
        // FIPS 197, appendices B (with A.1's last round key) and C.1.
        let rk = unsafe { aesni::expand(hex("2b7e151628aed2a6abf7158809cf4f3c")) };
        assert_eq!(rk[10], hex("d014f9a8c9ee2589e13f0cc8b6630ca6"));
        let got = unsafe { aesni::encrypt_block(&rk, hex("3243f6a8885a308d313198a2e0370734")) };
        assert_eq!(got, hex("3925841d02dc09fbdc118597196a0b32"));
        let rk = unsafe { aesni::expand(hex("000102030405060708090a0b0c0d0e0f")) };
        let got = unsafe { aesni::encrypt_block(&rk, hex("00112233445566778899aabbccddeeff")) };
        assert_eq!(got, hex("69c4e0d86a7b0430d8cdb78070b4c55a"));
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
        // The host's path and those below it (a host without AVX runs the second; one without
        // PCLMULQDQ the first).
        let paths = match Path::of_host() {
            Path::ClmulAvx => &[Path::Portable, Path::Clmul, Path::ClmulAvx][..],
            Path::Clmul => &[Path::Portable, Path::Clmul],
            Path::Portable => &[Path::Portable],
        };
        let aes = crate::x64::host::has(crate::x64::host::Feature::Aes);
        for (k0, k1) in keys {
            for &path in paths {
                // SipHash on every path; AES-128 on those with PCLMULQDQ, on a host with AES-NI.
                for finish in [false, true] {
                    if finish && (!aes || path == Path::Portable) {
                        continue;
                    }
                    let key = TagKey::finished(k0, k1, path, finish);
                    for len in (0..=200).chain([255, 256, 257, 300, 511, 700]) {
                        let want = tag_reference(k0, k1, &data[..len], finish);
                        assert_eq!(key.tag(&data[..len]), want, "{path:?}, AES {finish}, length {len}");
                    }
                }
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
