//! SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): the keyed hash
//! that authenticates the translations a64x saves on disk (`cache::persist`). A 64-bit tag under
//! a 128-bit key nobody else has: without the key, a changed or forged entry is rejected.

/// The SipHash-2-4 tag of `data` under the key `(k0, k1)`.
pub fn siphash24(k0: u64, k1: u64, data: &[u8]) -> u64 {
    let mut s = State::new(k0, k1);
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        s.compress(u64::from_le_bytes(w.try_into().expect("8 bytes")));
    }
    let rest = words.remainder();
    let mut last = (data.len() as u64 & 0xff) << 56;
    for (i, &b) in rest.iter().enumerate() {
        last |= u64::from(b) << (8 * i);
    }
    s.compress(last);
    s.finish()
}

struct State([u64; 4]);

impl State {
    fn new(k0: u64, k1: u64) -> State {
        State([
            k0 ^ 0x736f_6d65_7073_6575,
            k1 ^ 0x646f_7261_6e64_6f6d,
            k0 ^ 0x6c79_6765_6e65_7261,
            k1 ^ 0x7465_6462_7974_6573,
        ])
    }

    fn round(&mut self) {
        let v = &mut self.0;
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }

    fn compress(&mut self, m: u64) {
        self.0[3] ^= m;
        self.round();
        self.round();
        self.0[0] ^= m;
    }

    fn finish(mut self) -> u64 {
        self.0[2] ^= 0xff;
        for _ in 0..4 {
            self.round();
        }
        self.0.iter().fold(0, |a, v| a ^ v)
    }
}

#[cfg(test)]
mod tests {
    use super::siphash24;

    const K0: u64 = 0x0706_0504_0302_0100;
    const K1: u64 = 0x0f0e_0d0c_0b0a_0908;

    #[test]
    fn the_papers_test_vector() {
        // Appendix A: key 00..0f, message 00..0e.
        let msg: Vec<u8> = (0..15).collect();
        assert_eq!(siphash24(K0, K1, &msg), 0xa129_ca61_49be_45e5);
    }

    #[test]
    #[allow(deprecated)] // std's SipHasher is SipHash-2-4, kept only as a second opinion here
    fn agrees_with_std_at_every_length() {
        use std::hash::Hasher;
        let data: Vec<u8> = (0..100u8).map(|i| i.wrapping_mul(37)).collect();
        for len in 0..data.len() {
            let mut h = std::hash::SipHasher::new_with_keys(K0, K1);
            h.write(&data[..len]);
            assert_eq!(siphash24(K0, K1, &data[..len]), h.finish(), "length {len}");
        }
    }
}
