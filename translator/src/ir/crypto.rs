//! Semantics of the cryptographic extension instructions in plain Rust, after the Arm ARM's
//! shared pseudocode (`AESSubBytes`, `AESShiftRows`, `AESMixColumns` and their inverses,
//! `SHAchoose`/`SHAparity`/`SHAmajority`, `SHA256hash`, `PolynomialMult`). The interpreter
//! evaluates them; the backend calls them through `helper_vec` when it cannot use AES-NI,
//! PCLMULQDQ or SHA-NI.
//!
//! Vectors are `u128` with element 0 (byte 0 of the AES state) in the low bits, as in
//! CpuState.

use crate::ops::CryptoKind;

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1.
const fn gmul(mut a: u8, mut b: u8) -> u8 {
    let mut p = 0u8;
    while b != 0 {
        if b & 1 != 0 {
            p ^= a;
        }
        let hi = a & 0x80;
        a <<= 1;
        if hi != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    p
}

/// The AES S-box (FIPS-197 5.1.1): the multiplicative inverse (a^254) then the affine map.
const SBOX: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut x = 0;
    while x < 256 {
        // a^254 = a^-1 (and 0 for 0) by square-and-multiply.
        let a = x as u8;
        let mut inv = 1u8;
        let mut base = a;
        let mut e = 254u32;
        while e != 0 {
            if e & 1 != 0 {
                inv = gmul(inv, base);
            }
            base = gmul(base, base);
            e >>= 1;
        }
        let b = inv;
        t[x] = b ^ b.rotate_left(1) ^ b.rotate_left(2) ^ b.rotate_left(3) ^ b.rotate_left(4) ^ 0x63;
        x += 1;
    }
    t
};

const INV_SBOX: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut x = 0;
    while x < 256 {
        t[SBOX[x] as usize] = x as u8;
        x += 1;
    }
    t
};

fn bytes(v: u128) -> [u8; 16] {
    v.to_le_bytes()
}

/// `AESShiftRows` then `AESSubBytes` (they commute). State byte `r + 4c` is row r, column c.
fn aes_shift_sub(v: u128) -> u128 {
    let s = bytes(v);
    let mut o = [0u8; 16];
    for c in 0..4 {
        for r in 0..4 {
            o[r + 4 * c] = SBOX[s[r + 4 * ((c + r) % 4)] as usize];
        }
    }
    u128::from_le_bytes(o)
}

/// `AESInvShiftRows` then `AESInvSubBytes`.
fn aes_inv_shift_sub(v: u128) -> u128 {
    let s = bytes(v);
    let mut o = [0u8; 16];
    for c in 0..4 {
        for r in 0..4 {
            o[r + 4 * ((c + r) % 4)] = INV_SBOX[s[r + 4 * c] as usize];
        }
    }
    u128::from_le_bytes(o)
}

/// Multiplies each column by the circulant matrix whose first row is `k`.
fn mix(v: u128, k: [u8; 4]) -> u128 {
    let s = bytes(v);
    let mut o = [0u8; 16];
    for c in 0..4 {
        for r in 0..4 {
            let mut x = 0;
            for j in 0..4 {
                x ^= gmul(k[(j + 4 - r) % 4], s[4 * c + j]);
            }
            o[4 * c + r] = x;
        }
    }
    u128::from_le_bytes(o)
}

fn word(v: u128, i: u32) -> u32 {
    (v >> (32 * i)) as u32
}

fn words(w: [u32; 4]) -> u128 {
    w.iter()
        .enumerate()
        .fold(0, |acc, (i, &x)| acc | ((x as u128) << (32 * i)))
}

fn sha1_hash(kind: CryptoKind, x: u128, y: u32, w: u128) -> u128 {
    let mut x = [word(x, 0), word(x, 1), word(x, 2), word(x, 3)];
    let mut y = y;
    for e in 0..4 {
        let (b, c, d) = (x[1], x[2], x[3]);
        let t = match kind {
            CryptoKind::Sha1c => (b & c) | (!b & d),
            CryptoKind::Sha1p => b ^ c ^ d,
            _ => (b & c) | (b & d) | (c & d),
        };
        y = y
            .wrapping_add(x[0].rotate_left(5))
            .wrapping_add(t)
            .wrapping_add(word(w, e));
        x[1] = x[1].rotate_left(30);
        // <Y, X> = ROL(Y : X, 32)
        let top = x[3];
        x = [y, x[0], x[1], x[2]];
        y = top;
    }
    words(x)
}

/// `SHA256hash(X, Y, W, part1)`.
fn sha256_hash(x: u128, y: u128, w: u128, part1: bool) -> u128 {
    let mut x = [word(x, 0), word(x, 1), word(x, 2), word(x, 3)];
    let mut y = [word(y, 0), word(y, 1), word(y, 2), word(y, 3)];
    for e in 0..4 {
        let chs = (y[0] & y[1]) | (!y[0] & y[2]);
        let maj = (x[0] & x[1]) | (x[0] & x[2]) | (x[1] & x[2]);
        let sigma1 = y[0].rotate_right(6) ^ y[0].rotate_right(11) ^ y[0].rotate_right(25);
        let sigma0 = x[0].rotate_right(2) ^ x[0].rotate_right(13) ^ x[0].rotate_right(22);
        let t = y[3].wrapping_add(sigma1).wrapping_add(chs).wrapping_add(word(w, e));
        x[3] = t.wrapping_add(x[3]);
        y[3] = t.wrapping_add(sigma0).wrapping_add(maj);
        // <Y, X> = ROL(Y : X, 32)
        let (xt, yt) = (x[3], y[3]);
        x = [yt, x[0], x[1], x[2]];
        y = [xt, y[0], y[1], y[2]];
    }
    words(if part1 { x } else { y })
}

/// The result of `kind` for destination `d` from operands `n`, `m` and the old `d`.
pub fn eval(kind: CryptoKind, n: u128, m: u128, d: u128) -> u128 {
    use CryptoKind::*;
    match kind {
        Aese => aes_shift_sub(d ^ n),
        Aesd => aes_inv_shift_sub(d ^ n),
        Aesmc => mix(n, [2, 3, 1, 1]),
        Aesimc => mix(n, [14, 11, 13, 9]),
        Sha1c | Sha1p | Sha1m => sha1_hash(kind, d, word(n, 0), m),
        Sha1h => word(n, 0).rotate_left(30) as u128,
        Sha1su0 => ((n << 64) | (d >> 64)) ^ d ^ m,
        Sha1su1 => {
            let t = d ^ (n >> 32);
            let r = |i| word(t, i).rotate_left(1);
            words([r(0), r(1), r(2), r(3) ^ word(t, 0).rotate_left(2)])
        }
        Sha256h => sha256_hash(d, n, m, true),
        Sha256h2 => sha256_hash(n, d, m, false),
        Sha256su0 => {
            let t = (n << 96) | (d >> 32);
            let s = |i| {
                let e = word(t, i);
                (e.rotate_right(7) ^ e.rotate_right(18) ^ (e >> 3)).wrapping_add(word(d, i))
            };
            words([s(0), s(1), s(2), s(3)])
        }
        Sha256su1 => {
            let t0 = (m << 96) | (n >> 32);
            let s1 = |e: u32| e.rotate_right(17) ^ e.rotate_right(19) ^ (e >> 10);
            let mut r = [0u32; 4];
            for e in 0..4 {
                let src = if e < 2 { word(m, 2 + e as u32) } else { r[e - 2] };
                r[e] = s1(src).wrapping_add(word(d, e as u32)).wrapping_add(word(t0, e as u32));
            }
            words(r)
        }
    }
}

/// `PolynomialMult`: the carry-less product of two `bits`-bit values.
pub fn clmul(a: u64, b: u64) -> u128 {
    let mut r = 0u128;
    for i in 0..64 {
        if b >> i & 1 != 0 {
            r ^= (a as u128) << i;
        }
    }
    r
}

/// PMULL/PMULL2: `esize` 0 (bytes to halfwords) or 3 (doublewords to a quadword); `upper` takes
/// the upper halves of the sources.
pub fn pmull(esize: u8, upper: bool, n: u128, m: u128) -> u128 {
    let (n, m) = if upper { (n >> 64, m >> 64) } else { (n, m) };
    if esize == 3 {
        return clmul(n as u64, m as u64);
    }
    (0..8).fold(0u128, |acc, i| {
        let p = clmul((n >> (8 * i)) as u8 as u64, (m >> (8 * i)) as u8 as u64);
        acc | ((p & 0xffff) << (16 * i))
    })
}

/// PMUL (bytes): the low 8 bits of each byte's carry-less product, 16 or 8 bytes.
pub fn pmul(n: u128, m: u128) -> u128 {
    (0..16).fold(0u128, |acc, i| {
        let p = clmul((n >> (8 * i)) as u8 as u64, (m >> (8 * i)) as u8 as u64);
        acc | ((p & 0xff) << (8 * i))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn be(hex: &str) -> u128 {
        // A FIPS-197 byte string "00112233..." as the vector whose byte 0 is the first.
        let b: Vec<u8> = (0..16)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        u128::from_le_bytes(b.try_into().unwrap())
    }

    #[test]
    fn sbox() {
        assert_eq!(SBOX[0], 0x63);
        assert_eq!(SBOX[0x53], 0xed);
        assert_eq!(INV_SBOX[0x63], 0);
    }

    #[test]
    fn aes128_fips197_c1() {
        // FIPS-197 C.1, with the key schedule done in software and the rounds as AESE/AESMC.
        let key: [u8; 16] = core::array::from_fn(|i| i as u8);
        let mut w = [0u32; 44];
        for i in 0..4 {
            w[i] = u32::from_be_bytes(key[4 * i..4 * i + 4].try_into().unwrap());
        }
        let mut rcon = 1u8;
        for i in 4..44 {
            let mut t = w[i - 1];
            if i % 4 == 0 {
                t = t.rotate_left(8);
                t = u32::from_be_bytes(t.to_be_bytes().map(|b| SBOX[b as usize]));
                t ^= (rcon as u32) << 24;
                rcon = gmul(rcon, 2);
            }
            w[i] = w[i - 4] ^ t;
        }
        let rk = |r: usize| {
            let b: Vec<u8> = (0..4).flat_map(|j| w[4 * r + j].to_be_bytes()).collect();
            u128::from_le_bytes(b.try_into().unwrap())
        };
        let mut s = be("00112233445566778899aabbccddeeff");
        for r in 0..9 {
            s = eval(CryptoKind::Aese, rk(r), 0, s);
            s = eval(CryptoKind::Aesmc, s, 0, 0);
        }
        s = eval(CryptoKind::Aese, rk(9), 0, s) ^ rk(10);
        assert_eq!(s, be("69c4e0d86a7b0430d8cdb78070b4c55a"));
        // And back with AESD/AESIMC (equivalent inverse cipher keys).
        let mut p = s ^ rk(10);
        for r in (1..10).rev() {
            p = eval(CryptoKind::Aesd, 0, 0, p);
            p = eval(CryptoKind::Aesimc, p ^ rk(r), 0, 0);
        }
        p = eval(CryptoKind::Aesd, 0, 0, p) ^ rk(0);
        assert_eq!(p, be("00112233445566778899aabbccddeeff"));
    }

    #[test]
    fn mix_columns_inverse() {
        let v = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210u128;
        assert_eq!(eval(CryptoKind::Aesimc, eval(CryptoKind::Aesmc, v, 0, 0), 0, 0), v);
    }

    #[test]
    fn clmul_small() {
        assert_eq!(clmul(0b11, 0b11), 0b101);
        assert_eq!(clmul(u64::MAX, 2), (u64::MAX as u128) << 1);
        assert_eq!(pmull(0, false, 0x03, 0x03), 0x5);
        assert_eq!(pmul(0x80, 0x02), 0);
    }
}
