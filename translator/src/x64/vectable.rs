//! Inline SSE lowering of the table lookups TBL and TBX (one to four table registers), which
//! hand-written NEON (codecs, string and hash code) uses for byte shuffles and small tables.
//! PSHUFB looks up 16 bytes and gives 0 where an index byte has its top bit set: table register
//! `k` answers the indexes 16k..16k+15, so each index less 16k, plus 0x70 with unsigned
//! saturation, is its own index there (its low four bits) or has the top bit set (out of that
//! register: below 16k it wrapped to 0xf0 or more, at 16(k+1) or more it reached 0x80). The
//! registers' lookups are ORed. TBX keeps V`d`'s byte where the index is past the table.

use super::Lower;
use crate::ir::{VecFn, VecKind};
use dynasmrt::dynasm;

impl Lower<'_> {
    /// Lower TBL/TBX inline; false for the other operations.
    pub(super) fn vec_table_inline(&mut self, f: VecFn, d: u8, n: u8, m: u8) -> bool {
        let (len, tbx) = match f.kind {
            VecKind::Tbl { len } => (len, false),
            VecKind::Tbx { len } => (len, true),
            _ => return false,
        };
        let len = len.clamp(1, 4);
        // xmm1: the indexes; xmm4: 0x70 in every byte; xmm0: the result so far.
        self.load_v(1, m);
        self.bcast(4, 0x7070_7070_7070_7070);
        dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm0);
        for k in 0..len {
            self.load_v(2, (n + k) % 32);
            dynasm!(self.ops ; .arch x64 ; movdqa xmm3, xmm1);
            if k > 0 {
                self.bcast(5, 0x0101_0101_0101_0101 * 16 * u64::from(k));
                dynasm!(self.ops ; .arch x64 ; psubb xmm3, xmm5);
            }
            dynasm!(self.ops ; .arch x64 ; paddusb xmm3, xmm4 ; pshufb xmm2, xmm3 ; por xmm0, xmm2);
        }
        if tbx {
            // In the table where min(index, 16 * len - 1) is the index itself.
            self.bcast(5, 0x0101_0101_0101_0101 * (16 * u64::from(len) - 1));
            dynasm!(self.ops ; .arch x64 ; pminub xmm5, xmm1 ; pcmpeqb xmm5, xmm1);
            self.load_v(2, d);
            dynasm!(self.ops ; .arch x64 ; pandn xmm5, xmm2 ; por xmm0, xmm5);
        }
        if !f.q {
            dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
        }
        self.store_v(d);
        true
    }
}
