//! Vector operations on whole V registers, with their A64 semantics in plain Rust. The
//! interpreter evaluates them directly; the backend calls [`helper_vec`] for the ones it does
//! not yet lower to SSE (Arm ARM C7, AdvSIMD).

use crate::cpu::CpuState;
use crate::ops::VecKind;

/// FPSR.QC, the cumulative saturation bit.
pub const FPSR_QC: u64 = 1 << 27;

/// A vector operation with its element size (log2 bytes), width and immediate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VecFn {
    /// The operation.
    pub kind: VecKind,
    /// log2 of the element size in bytes.
    pub esize: u8,
    /// 128-bit (true) or 64-bit (false; the upper half of the result is zeroed).
    pub q: bool,
    /// Immediate operand (shift, pattern, index).
    pub imm: u64,
}

/// Elements of a 128-bit value (the first 128 >> (3 + es) entries are meaningful).
pub(super) fn lanes(v: u128, es: u8) -> [u64; 16] {
    let bits = 8u32 << es;
    let n = 128 / bits;
    let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    let mut out = [0u64; 16];
    for (i, o) in out.iter_mut().enumerate().take(n as usize) {
        *o = ((v >> (i as u32 * bits)) as u64) & mask;
    }
    out
}

pub(super) fn pack(l: &[u64], es: u8) -> u128 {
    let bits = 8u32 << es;
    let mask: u128 = if bits == 64 {
        u64::MAX as u128
    } else {
        (1u128 << bits) - 1
    };
    // Only the lanes that fit in 128 bits: callers pass the whole 16-entry array.
    l.iter()
        .take((128 / bits) as usize)
        .enumerate()
        .fold(0u128, |acc, (i, &x)| acc | (((x as u128) & mask) << (i as u32 * bits)))
}

pub(super) fn sx(x: u64, es: u8) -> i64 {
    let sh = 64 - (8u32 << es);
    ((x << sh) as i64) >> sh
}

impl VecFn {
    /// Compute the result for destination `d` from operands `n`, `m` and the old `d`.
    /// `table` holds V`n`.. for TBL/TBX.
    #[allow(clippy::needless_range_loop)] // lane index arithmetic reads better with indices
    pub fn eval(&self, n: u128, m: u128, d: u128, table: &[u128]) -> u128 {
        use VecKind::*;
        let m = match super::vecint::elem_index(self) {
            Some(i) => super::vecint::broadcast(m, self.esize, i),
            None => m,
        };
        if matches!(
            self.kind,
            Shsub
                | Uhsub
                | Sabd
                | Uabd
                | Saba
                | Uaba
                | Smaxp
                | Sminp
                | Cls
                | Clz
                | Rbit
                | Saddlp
                | Uaddlp
                | Sadalp
                | Uadalp
                | Smaxv
                | Sminv
                | Saddlv
                | Sdot
                | Udot
        ) {
            return super::vecint::eval(self, n, m, d);
        }
        let es = self.esize;
        let nl = if self.q { 128 >> (3 + es) } else { 64 >> (3 + es) } as usize;
        let bits = 8u32 << es;
        let emask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
        let a = lanes(n, es);
        let b = lanes(m, es);
        let mut out = [0u64; 16];
        let ones = emask;
        let lanewise = |f: &dyn Fn(u64, u64) -> u64, out: &mut [u64; 16]| {
            for i in 0..nl {
                out[i] = f(a[i], b[i]) & emask;
            }
        };
        let res: u128 = match self.kind {
            And => n & m,
            Bic => n & !m,
            Orr => n | m,
            Orn => n | !m,
            Eor => n ^ m,
            Bsl => (d & n) | (!d & m),
            Bit => (d & !m) | (n & m),
            Bif => (d & m) | (n & !m),
            Movi => (self.imm as u128) | ((self.imm as u128) << 64),
            OrrImm => d | ((self.imm as u128) | ((self.imm as u128) << 64)),
            BicImm => d & !((self.imm as u128) | ((self.imm as u128) << 64)),
            Not => !n,
            Crypto => super::crypto::eval(crate::ops::CryptoKind::from_imm(self.imm), n, m, d),
            Pmull => return super::crypto::pmull(es, self.q, n, m),
            Pmul => super::crypto::pmul(n, m),
            Ext => {
                let (lo, hi, len) = if self.q {
                    (n, m, 16)
                } else {
                    (n & u64::MAX as u128, m & u64::MAX as u128, 8)
                };
                let mut bytes = [0u8; 32];
                bytes[..len].copy_from_slice(&lo.to_le_bytes()[..len]);
                bytes[len..2 * len].copy_from_slice(&hi.to_le_bytes()[..len]);
                let idx = self.imm as usize;
                let mut r = [0u8; 16];
                r[..len].copy_from_slice(&bytes[idx..idx + len]);
                u128::from_le_bytes(r)
            }
            Tbl | Tbx => {
                let mut tbuf = [0u8; 64];
                for (i, t) in table.iter().enumerate() {
                    tbuf[16 * i..16 * i + 16].copy_from_slice(&t.to_le_bytes());
                }
                let tb = &tbuf[..16 * table.len()];
                let idx = m.to_le_bytes();
                let old = d.to_le_bytes();
                let mut r = [0u8; 16];
                let len = if self.q { 16 } else { 8 };
                for i in 0..len {
                    let j = idx[i] as usize;
                    r[i] = if j < tb.len() {
                        tb[j]
                    } else if self.kind == Tbx {
                        old[i]
                    } else {
                        0
                    };
                }
                u128::from_le_bytes(r)
            }
            _ => {
                match self.kind {
                    Add => lanewise(&|x, y| x.wrapping_add(y), &mut out),
                    Sub => lanewise(&|x, y| x.wrapping_sub(y), &mut out),
                    Mul => lanewise(&|x, y| x.wrapping_mul(y), &mut out),
                    Shadd | Srhadd => {
                        let r = (self.kind == Srhadd) as i64;
                        lanewise(&|x, y| ((sx(x, es) + sx(y, es) + r) >> 1) as u64, &mut out)
                    }
                    Uhadd | Urhadd => {
                        let r = (self.kind == Urhadd) as u64;
                        lanewise(&|x, y| (x + y + r) >> 1, &mut out)
                    }
                    Sshl | Ushl => {
                        let ebits = 8i64 << es;
                        for i in 0..nl {
                            let sh = b[i] as u8 as i8 as i64;
                            out[i] = if sh >= 0 {
                                if sh >= ebits {
                                    0
                                } else {
                                    a[i] << sh
                                }
                            } else if self.kind == Ushl {
                                if -sh >= ebits {
                                    0
                                } else {
                                    a[i] >> -sh
                                }
                            } else {
                                (sx(a[i], es) >> (-sh).min(ebits - 1)) as u64
                            } & emask;
                        }
                    }
                    Mla | Mls => {
                        let dl = lanes(d, es);
                        for i in 0..nl {
                            let p = a[i].wrapping_mul(b[i]);
                            out[i] = if self.kind == Mla {
                                dl[i].wrapping_add(p)
                            } else {
                                dl[i].wrapping_sub(p)
                            } & emask;
                        }
                    }
                    Cmeq => lanewise(&|x, y| if x == y { ones } else { 0 }, &mut out),
                    Cmtst => lanewise(&|x, y| if x & y != 0 { ones } else { 0 }, &mut out),
                    Cmhs => lanewise(&|x, y| if x >= y { ones } else { 0 }, &mut out),
                    Cmhi => lanewise(&|x, y| if x > y { ones } else { 0 }, &mut out),
                    Cmge => lanewise(&|x, y| if sx(x, es) >= sx(y, es) { ones } else { 0 }, &mut out),
                    Cmgt => lanewise(&|x, y| if sx(x, es) > sx(y, es) { ones } else { 0 }, &mut out),
                    Umax => lanewise(&|x, y| x.max(y), &mut out),
                    Umin => lanewise(&|x, y| x.min(y), &mut out),
                    Smax => lanewise(&|x, y| sx(x, es).max(sx(y, es)) as u64, &mut out),
                    Smin => lanewise(&|x, y| sx(x, es).min(sx(y, es)) as u64, &mut out),
                    CmpZero => {
                        let imm = self.imm;
                        lanewise(
                            &|x, _| {
                                let s = sx(x, es);
                                let t = match imm {
                                    0 => s == 0,
                                    1 => s > 0,
                                    2 => s >= 0,
                                    3 => s <= 0,
                                    _ => s < 0,
                                };
                                if t {
                                    ones
                                } else {
                                    0
                                }
                            },
                            &mut out,
                        )
                    }
                    Cnt => lanewise(&|x, _| x.count_ones() as u64, &mut out),
                    Abs => lanewise(&|x, _| sx(x, es).unsigned_abs(), &mut out),
                    Neg => lanewise(&|x, _| (sx(x, es).wrapping_neg()) as u64, &mut out),
                    Shl => {
                        let s = self.imm;
                        lanewise(&|x, _| x << s, &mut out)
                    }
                    Ushr => {
                        let s = self.imm;
                        lanewise(&|x, _| if s >= 64 { 0 } else { x >> s }, &mut out)
                    }
                    Sshr => {
                        let s = self.imm.min(63);
                        lanewise(&|x, _| (sx(x, es) >> s) as u64, &mut out)
                    }
                    Umaxp | Uminp | Addp => {
                        let cat = |j: usize| if j < nl { a[j] } else { b[j - nl] };
                        for i in 0..nl {
                            let (x, y) = (cat(2 * i), cat(2 * i + 1));
                            out[i] = match self.kind {
                                Umaxp => x.max(y),
                                Uminp => x.min(y),
                                _ => x.wrapping_add(y) & emask,
                            };
                        }
                    }
                    Zip1 | Zip2 => {
                        let base = if self.kind == Zip1 { 0 } else { nl / 2 };
                        for i in 0..nl / 2 {
                            out[2 * i] = a[base + i];
                            out[2 * i + 1] = b[base + i];
                        }
                    }
                    Uzp1 | Uzp2 => {
                        let off = if self.kind == Uzp1 { 0 } else { 1 };
                        let cat = |j: usize| if j < nl { a[j] } else { b[j - nl] };
                        for i in 0..nl {
                            out[i] = cat(2 * i + off);
                        }
                    }
                    Trn1 | Trn2 => {
                        let off = if self.kind == Trn1 { 0 } else { 1 };
                        for i in 0..nl / 2 {
                            out[2 * i] = a[2 * i + off];
                            out[2 * i + 1] = b[2 * i + off];
                        }
                    }
                    Rev64 | Rev32 | Rev16 => {
                        let group = match self.kind {
                            Rev64 => 8,
                            Rev32 => 4,
                            _ => 2,
                        } >> es;
                        for i in 0..nl {
                            let g = i / group * group;
                            out[i] = a[g + (group - 1 - (i - g))];
                        }
                    }
                    DupElem => {
                        let x = a[self.imm as usize];
                        for o in out.iter_mut().take(nl) {
                            *o = x;
                        }
                    }
                    InsElem => {
                        let dl = lanes(d, es);
                        out.copy_from_slice(&dl);
                        out[(self.imm & 0xff) as usize] = a[(self.imm >> 8) as usize];
                        return pack(&out, es);
                    }
                    Xtn | Shrn => {
                        // Source elements are twice the destination size.
                        let src = lanes(n, es + 1);
                        let shift = if self.kind == Shrn { self.imm } else { 0 };
                        let half = 64 >> (3 + es); // destination lanes per 64 bits
                        let base = if self.q { half } else { 0 };
                        let mut dl = if self.q { lanes(d, es) } else { [0u64; 16] };
                        for i in 0..half {
                            dl[base + i] = (src[i] >> shift) & emask;
                        }
                        return pack(&dl, es);
                    }
                    Ushll | Sshll => {
                        let half = 64 >> (3 + es);
                        let base = if self.q { half } else { 0 };
                        let mut dl = [0u64; 16];
                        for i in 0..half {
                            let x = a[base + i];
                            let x = if self.kind == Sshll { sx(x, es) as u64 } else { x };
                            dl[i] = x << self.imm;
                        }
                        return pack(&dl, es + 1);
                    }
                    Uaddlv | Umaxv | Uminv | Addv => {
                        let it = a[..nl].iter().copied();
                        let r = match self.kind {
                            Uaddlv => it.sum::<u64>(),
                            Umaxv => it.max().unwrap_or(0),
                            Uminv => it.min().unwrap_or(0),
                            _ => it.fold(0u64, |s, x| s.wrapping_add(x)) & emask,
                        };
                        let rbits = if self.kind == Uaddlv { bits * 2 } else { bits };
                        let rmask = if rbits >= 64 { u64::MAX } else { (1u64 << rbits) - 1 };
                        return (r & rmask) as u128;
                    }
                    AddpScalar => return (a[0].wrapping_add(a[1])) as u128,
                    Sli | Sri => {
                        let sh = self.imm as u32;
                        let dl = lanes(d, es);
                        for i in 0..nl {
                            out[i] = if self.kind == Sli {
                                let keep = if sh == 0 { 0 } else { emask >> (bits - sh) };
                                ((a[i] << sh) | (dl[i] & keep)) & emask
                            } else if sh >= bits {
                                dl[i]
                            } else {
                                let ins = emask >> sh;
                                (a[i] >> sh) | (dl[i] & !ins & emask)
                            };
                        }
                    }
                    Usra | Ssra => {
                        let sh = self.imm;
                        let dl = lanes(d, es);
                        for i in 0..nl {
                            let t = if self.kind == Usra {
                                if sh >= 64 {
                                    0
                                } else {
                                    a[i] >> sh
                                }
                            } else {
                                (sx(a[i], es) >> sh.min(63)) as u64
                            };
                            out[i] = dl[i].wrapping_add(t) & emask;
                        }
                    }
                    AddHn | SubHn => {
                        // Wide (2 * esize) sums or differences, rounded, high halves kept.
                        let wn = lanes(n, es + 1);
                        let wm = lanes(m, es + 1);
                        let half = (64 >> (3 + es)) as usize;
                        let wbits = 16u32 << es;
                        let wmask = if wbits == 64 { u64::MAX } else { (1u64 << wbits) - 1 };
                        let round = if self.imm & 1 == 1 { 1u64 << (wbits / 2 - 1) } else { 0 };
                        let mut dl = if self.q { lanes(d, es) } else { [0u64; 16] };
                        let base = if self.q { half } else { 0 };
                        for i in 0..half {
                            let s = if self.kind == AddHn {
                                wn[i].wrapping_add(wm[i])
                            } else {
                                wn[i].wrapping_sub(wm[i])
                            };
                            dl[base + i] = ((s.wrapping_add(round) & wmask) >> (wbits / 2)) & emask;
                        }
                        return pack(&dl, es);
                    }
                    AddL | AddW | SubL | SubW | AbaL | AbdL | MlaL | MlsL | MulL => {
                        return self.long(n, m, d);
                    }
                    _ => unreachable!("handled above"),
                }
                pack(&out, es)
            }
        };
        if self.q {
            res
        } else {
            res & (u64::MAX as u128)
        }
    }

    /// The three-different ops: narrow elements of size `esize` widened to `esize + 1`.
    fn long(&self, n: u128, m: u128, d: u128) -> u128 {
        use VecKind::*;
        let es = self.esize;
        let signed = self.imm & 1 == 1;
        let half = (64 >> (3 + es)) as usize;
        let base = if self.q { half } else { 0 };
        let wide_mask = if es == 2 { u64::MAX } else { (1u64 << (16 << es)) - 1 };
        let ext = |x: u64| if signed { sx(x, es) as u64 } else { x };
        let nn = lanes(n, es);
        let mm = lanes(m, es);
        let nw = lanes(n, es + 1);
        let dw = lanes(d, es + 1);
        let mut out = [0u64; 16];
        for i in 0..half {
            let b = ext(mm[base + i]);
            let a = match self.kind {
                AddW | SubW => nw[i],
                _ => ext(nn[base + i]),
            };
            let abd = || {
                if signed {
                    (a as i64).wrapping_sub(b as i64).unsigned_abs()
                } else {
                    a.abs_diff(b)
                }
            };
            out[i] = match self.kind {
                AddL | AddW => a.wrapping_add(b),
                SubL | SubW => a.wrapping_sub(b),
                AbdL => abd(),
                AbaL => dw[i].wrapping_add(abd()),
                MulL => a.wrapping_mul(b),
                MlaL => dw[i].wrapping_add(a.wrapping_mul(b)),
                _ => dw[i].wrapping_sub(a.wrapping_mul(b)),
            } & wide_mask;
        }
        pack(&out, es + 1)
    }

    /// Encode for the backend helper: kind | esize << 8 | q << 16.
    pub fn encode(&self) -> u64 {
        (self.kind as u64) | ((self.esize as u64) << 8) | ((self.q as u64) << 16)
    }

    /// Inverse of [`VecFn::encode`] (with the immediate passed separately).
    pub fn decode(code: u64, imm: u64) -> VecFn {
        // SAFETY: `code & 0xff` was produced by `encode` from a valid VecKind discriminant.
        let kind: VecKind = unsafe { std::mem::transmute((code & 0xff) as u8) };
        VecFn {
            kind,
            esize: ((code >> 8) & 0xff) as u8,
            q: (code >> 16) & 1 == 1,
            imm,
        }
    }
}

/// Apply a vector op to CpuState's V registers.
pub fn apply(cpu: &mut CpuState, f: &VecFn, d: u8, n: u8, m: u8) {
    let get = |cpu: &CpuState, r: u8| {
        let v = cpu.v[(r & 31) as usize];
        (v[0] as u128) | ((v[1] as u128) << 64)
    };
    let mut table = [0u128; 4];
    let len = match f.kind {
        VecKind::Tbl | VecKind::Tbx => (f.imm & 7) as usize,
        _ => 0,
    };
    for (i, t) in table.iter_mut().enumerate().take(len) {
        *t = get(cpu, (n + i as u8) % 32);
    }
    let r = if f.kind == VecKind::Fp {
        let mut env = super::fpenv::FpEnv::new(cpu.fpcr);
        let r = super::vfp::eval(f, get(cpu, n), get(cpu, m), get(cpu, d), &mut env);
        cpu.fpsr |= env.flags;
        r
    } else if f.kind == VecKind::HalfCvt {
        let mut flags = 0;
        let r = super::vechalf::eval(f.imm, get(cpu, n), get(cpu, d), cpu.fpcr, &mut flags);
        cpu.fpsr |= flags;
        r
    } else if f.kind == VecKind::Sat {
        let (r, qc) = super::vecsat::eval(f, get(cpu, n), get(cpu, m), get(cpu, d));
        if qc {
            cpu.fpsr |= FPSR_QC;
        }
        r
    } else {
        f.eval(get(cpu, n), get(cpu, m), get(cpu, d), &table[..len])
    };
    cpu.v[d as usize] = [r as u64, (r >> 64) as u64];
}

/// Called from emitted code: `code`/`imm` from [`VecFn::encode`], registers packed as d | n << 8 | m << 16.
///
/// # Safety
/// `cpu` must point to a live CpuState (the one emitted code runs on).
pub unsafe extern "C" fn helper_vec(cpu: *mut CpuState, code: u64, imm: u64, regs: u64) {
    // SAFETY: emitted code passes its pinned CpuState pointer.
    let cpu = unsafe { &mut *cpu };
    let f = VecFn::decode(code, imm);
    // FP semantics compute in Rust: under the VM's MXCSR, the guest's restored afterwards.
    let _mx = (f.kind == VecKind::Fp).then(super::fpenv::HostMxcsr::enter);
    apply(
        cpu,
        &f,
        (regs & 0xff) as u8,
        ((regs >> 8) & 0xff) as u8,
        ((regs >> 16) & 0xff) as u8,
    );
}
