//! Vector operations on whole V registers, with their A64 semantics in plain Rust. The
//! interpreter evaluates them directly; the backend calls [`helper_vec`] for the ones it does
//! not yet lower to SSE (Arm ARM C7, AdvSIMD). [`VecFn::eval`] is the one match over every
//! [`VecKind`]: an operation is one line there, using the lane shapes below, or a call into the
//! module of its family (`vecint`, `vfp`, `vecsat`, `vechalf`, `crypto`).

use crate::cpu::CpuState;
use crate::ops::{Second, VecKind, ZeroCmp};

/// FPSR.QC, the cumulative saturation bit.
pub const FPSR_QC: u64 = 1 << 27;

/// A vector operation with its element size (log2 bytes) and width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VecFn {
    /// The operation, with its immediate operands.
    pub kind: VecKind,
    /// log2 of the element size in bytes.
    pub esize: u8,
    /// 128-bit (true) or 64-bit (false; the upper half of the result is zeroed).
    pub q: bool,
}

/// The floating-point state a vector operation reads (FPCR) and accumulates into (FPSR).
#[derive(Debug, Clone, Copy)]
pub struct FpState {
    /// FPCR.
    pub fpcr: u64,
    /// FPSR: exception flags and QC are or-ed in.
    pub fpsr: u64,
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

/// A 64-bit pattern in both halves.
fn replicate(imm: u64) -> u128 {
    (imm as u128) | ((imm as u128) << 64)
}

/// All ones in an element when `t`.
fn mask_if(t: bool, ones: u64) -> u64 {
    if t {
        ones
    } else {
        0
    }
}

impl VecFn {
    /// Elements in the operation's width.
    fn count(&self) -> usize {
        (if self.q { 128 } else { 64 } >> (3 + self.esize)) as usize
    }

    /// The mask of one element.
    fn emask(&self) -> u64 {
        u64::MAX >> (64 - (8u32 << self.esize))
    }

    /// Element by element: `f(n[i], m[i], d[i])`.
    fn map(&self, n: u128, m: u128, d: u128, f: impl Fn(u64, u64, u64) -> u64) -> u128 {
        let (a, b, c) = (lanes(n, self.esize), lanes(m, self.esize), lanes(d, self.esize));
        let mut out = [0u64; 16];
        for i in 0..self.count() {
            out[i] = f(a[i], b[i], c[i]) & self.emask();
        }
        pack(&out, self.esize)
    }

    /// Element `i` from element `pick(i)` of the concatenation n:m (n's elements first).
    fn permute(&self, n: u128, m: u128, pick: impl Fn(usize) -> usize) -> u128 {
        let (a, b) = (lanes(n, self.esize), lanes(m, self.esize));
        let nl = self.count();
        let cat = |j: usize| if j < nl { a[j] } else { b[j - nl] };
        let mut out = [0u64; 16];
        for (i, o) in out.iter_mut().enumerate().take(nl) {
            *o = cat(pick(i));
        }
        pack(&out, self.esize)
    }

    /// Adjacent pairs of n:m combined by `f`.
    fn pairwise(&self, n: u128, m: u128, f: impl Fn(u64, u64) -> u64) -> u128 {
        let (a, b) = (lanes(n, self.esize), lanes(m, self.esize));
        let nl = self.count();
        let cat = |j: usize| if j < nl { a[j] } else { b[j - nl] };
        let mut out = [0u64; 16];
        for (i, o) in out.iter_mut().enumerate().take(nl) {
            *o = f(cat(2 * i), cat(2 * i + 1)) & self.emask();
        }
        pack(&out, self.esize)
    }

    /// Compute the result for destination `d` from operands `n`, `m` and the old `d`. `table`
    /// holds V`n`.. for TBL/TBX; `fp` is read by the FP operations and takes their flags (and
    /// FPSR.QC of the saturating ones).
    pub fn eval(&self, n: u128, m: u128, d: u128, table: &[u128], fp: &mut FpState) -> u128 {
        use VecKind::*;
        let m = match self.kind.second() {
            Second::Element(i) => super::vecint::broadcast(m, self.esize, i),
            Second::Vector => m,
        };
        let es = self.esize;
        let bits = 8u32 << es;
        let ones = self.emask();
        let s = |x: u64| sx(x, es);
        let res: u128 = match self.kind {
            And => n & m,
            Bic => n & !m,
            Orr => n | m,
            Orn => n | !m,
            Eor => n ^ m,
            Not => !n,
            Bsl => (d & n) | (!d & m),
            Bit => (d & !m) | (n & m),
            Bif => (d & m) | (n & !m),
            Movi(imm) => replicate(imm),
            OrrImm(imm) => d | replicate(imm),
            BicImm(imm) => d & !replicate(imm),
            Add => self.map(n, m, d, |x, y, _| x.wrapping_add(y)),
            Sub => self.map(n, m, d, |x, y, _| x.wrapping_sub(y)),
            Mul(_) => self.map(n, m, d, |x, y, _| x.wrapping_mul(y)),
            Mla(_) => self.map(n, m, d, |x, y, z| z.wrapping_add(x.wrapping_mul(y))),
            Mls(_) => self.map(n, m, d, |x, y, z| z.wrapping_sub(x.wrapping_mul(y))),
            Shadd => self.map(n, m, d, |x, y, _| ((s(x) + s(y)) >> 1) as u64),
            Srhadd => self.map(n, m, d, |x, y, _| ((s(x) + s(y) + 1) >> 1) as u64),
            Uhadd => self.map(n, m, d, |x, y, _| (x + y) >> 1),
            Urhadd => self.map(n, m, d, |x, y, _| (x + y + 1) >> 1),
            Sshl => self.map(n, m, d, |x, y, _| shift_by(x, y, bits, true)),
            Ushl => self.map(n, m, d, |x, y, _| shift_by(x, y, bits, false)),
            Cmeq => self.map(n, m, d, |x, y, _| mask_if(x == y, ones)),
            Cmtst => self.map(n, m, d, |x, y, _| mask_if(x & y != 0, ones)),
            Cmhs => self.map(n, m, d, |x, y, _| mask_if(x >= y, ones)),
            Cmhi => self.map(n, m, d, |x, y, _| mask_if(x > y, ones)),
            Cmge => self.map(n, m, d, |x, y, _| mask_if(s(x) >= s(y), ones)),
            Cmgt => self.map(n, m, d, |x, y, _| mask_if(s(x) > s(y), ones)),
            CmpZero(c) => self.map(n, m, d, |x, _, _| mask_if(compare_zero(c, s(x)), ones)),
            Umax => self.map(n, m, d, |x, y, _| x.max(y)),
            Umin => self.map(n, m, d, |x, y, _| x.min(y)),
            Smax => self.map(n, m, d, |x, y, _| s(x).max(s(y)) as u64),
            Smin => self.map(n, m, d, |x, y, _| s(x).min(s(y)) as u64),
            Cnt => self.map(n, m, d, |x, _, _| x.count_ones() as u64),
            Abs => self.map(n, m, d, |x, _, _| s(x).unsigned_abs()),
            Neg => self.map(n, m, d, |x, _, _| s(x).wrapping_neg() as u64),
            Shl(sh) => self.map(n, m, d, |x, _, _| x << sh),
            Ushr(sh) => self.map(n, m, d, |x, _, _| x.checked_shr(sh.into()).unwrap_or(0)),
            Sshr(sh) => self.map(n, m, d, |x, _, _| (s(x) >> sh.min(63)) as u64),
            Usra(sh) => self.map(n, m, d, |x, _, z| z.wrapping_add(x.checked_shr(sh.into()).unwrap_or(0))),
            Ssra(sh) => self.map(n, m, d, |x, _, z| z.wrapping_add((s(x) >> sh.min(63)) as u64)),
            Sli(sh) => self.map(n, m, d, |x, _, z| shift_insert(x, z, sh.into(), bits, true)),
            Sri(sh) => self.map(n, m, d, |x, _, z| shift_insert(x, z, sh.into(), bits, false)),
            Umaxp => self.pairwise(n, m, |x, y| x.max(y)),
            Uminp => self.pairwise(n, m, |x, y| x.min(y)),
            Addp => self.pairwise(n, m, |x, y| x.wrapping_add(y)),
            Zip1 => self.permute(n, m, |i| (i / 2) + (i % 2) * self.count()),
            Zip2 => self.permute(n, m, |i| self.count() / 2 + i / 2 + (i % 2) * self.count()),
            Uzp1 => self.permute(n, m, |i| 2 * i),
            Uzp2 => self.permute(n, m, |i| 2 * i + 1),
            Trn1 => self.permute(n, m, |i| (i & !1) + (i % 2) * self.count()),
            Trn2 => self.permute(n, m, |i| (i & !1) + 1 + (i % 2) * self.count()),
            Rev64 => self.permute(n, m, |i| reverse_in(i, 8 >> es)),
            Rev32 => self.permute(n, m, |i| reverse_in(i, 4 >> es)),
            Rev16 => self.permute(n, m, |i| reverse_in(i, 2 >> es)),
            DupElem(i) => {
                let x = lanes(n, es)[i as usize & 15];
                self.map(n, m, d, |_, _, _| x)
            }
            InsElem { dst, src } => return insert(d, es, dst, lanes(n, es)[src as usize]),
            Ext(index) => ext(n, m, self.q, index as usize),
            Tbl { .. } => table_lookup(table, m, d, self.q, false),
            Tbx { .. } => table_lookup(table, m, d, self.q, true),
            Xtn => return self.narrow(n, d, 0),
            Shrn(sh) => return self.narrow(n, d, sh),
            Ushll(sh) => return self.widen(n, sh, false),
            Sshll(sh) => return self.widen(n, sh, true),
            Uaddlv | Umaxv | Uminv | Addv => return self.across(n),
            AddpScalar => return lanes(n, es)[0].wrapping_add(lanes(n, es)[1]) as u128,
            AddHn { round } => return self.high_narrow(n, m, d, round, false),
            SubHn { round } => return self.high_narrow(n, m, d, round, true),
            AddL { signed }
            | AddW { signed }
            | SubL { signed }
            | SubW { signed }
            | AbaL { signed }
            | AbdL { signed }
            | MlaL { signed, .. }
            | MlsL { signed, .. }
            | MulL { signed, .. } => return self.long(n, m, d, signed),
            Shsub | Uhsub | Sabd | Uabd | Saba | Uaba | Smaxp | Sminp | Cls | Clz | Rbit => {
                super::vecint::eval(self, n, m, d)
            }
            Saddlp
            | Uaddlp
            | Sadalp
            | Uadalp
            | Smaxv
            | Sminv
            | Saddlv
            | Sdot(_)
            | Udot(_)
            | Usdot(_)
            | Sudot(_)
            | Mmla { .. } => super::vecint::eval(self, n, m, d),
            Crypto(k) => super::crypto::eval(k, n, m, d),
            Pmull => return super::crypto::pmull(es, self.q, n, m),
            Pmul => super::crypto::pmul(n, m),
            Fp(op) => {
                let mut env = super::fpenv::FpEnv::new(fp.fpcr);
                let r = super::vfp::eval(&op, es, self.q, n, m, d, &mut env);
                fp.fpsr |= env.flags;
                return r;
            }
            Sat(op) => {
                let (r, qc) = super::vecsat::eval(&op, es, self.q, n, m, d);
                if qc {
                    fp.fpsr |= FPSR_QC;
                }
                return r;
            }
            HalfCvt(h) => return super::vechalf::eval(h, n, d, fp.fpcr, &mut fp.fpsr),
            Bf16(op) => {
                let mut env = super::fpenv::FpEnv::new(fp.fpcr);
                let r = super::bf16::eval(op, self.q, n, m, d, &mut env);
                fp.fpsr |= env.flags;
                return r;
            }
            Fmlal { sub, upper, m: second } => {
                let mut env = super::fpenv::FpEnv::new(fp.fpcr);
                let r = super::vfp::mul_add_long(sub, upper, second, self.q, n, m, d, &mut env);
                fp.fpsr |= env.flags;
                return r;
            }
        };
        if self.q {
            res
        } else {
            res & (u64::MAX as u128)
        }
    }

    /// XTN/SHRN(2): elements twice the destination size, shifted right by `shift`, into the
    /// lower half (or the upper half, keeping the lower, for the "2" forms).
    fn narrow(&self, n: u128, d: u128, shift: u8) -> u128 {
        let es = self.esize;
        let src = lanes(n, es + 1);
        let half = 64 >> (3 + es); // destination lanes per 64 bits
        let base = if self.q { half } else { 0 };
        let mut dl = if self.q { lanes(d, es) } else { [0u64; 16] };
        for i in 0..half {
            dl[base + i] = (src[i] >> shift) & self.emask();
        }
        pack(&dl, es)
    }

    /// USHLL/SSHLL(2): the lower (upper) half's elements widened and shifted left.
    fn widen(&self, n: u128, shift: u8, signed: bool) -> u128 {
        let es = self.esize;
        let a = lanes(n, es);
        let half = 64 >> (3 + es);
        let base = if self.q { half } else { 0 };
        let mut dl = [0u64; 16];
        for i in 0..half {
            let x = a[base + i];
            let x = if signed { sx(x, es) as u64 } else { x };
            dl[i] = x << shift;
        }
        pack(&dl, es + 1)
    }

    /// UADDLV, UMAXV, UMINV, ADDV: one result in element 0, the rest zero.
    fn across(&self, n: u128) -> u128 {
        let bits = 8u32 << self.esize;
        let it = lanes(n, self.esize).into_iter().take(self.count());
        let (r, rbits) = match self.kind {
            VecKind::Uaddlv => (it.sum::<u64>(), bits * 2),
            VecKind::Umaxv => (it.max().unwrap_or(0), bits),
            VecKind::Uminv => (it.min().unwrap_or(0), bits),
            _ => (it.fold(0u64, |s, x| s.wrapping_add(x)), bits),
        };
        (r & (u64::MAX >> (64 - rbits.min(64)))) as u128
    }

    /// ADDHN/SUBHN(2) and the rounding forms: wide (2 * esize) sums or differences, the high
    /// halves kept.
    fn high_narrow(&self, n: u128, m: u128, d: u128, round: bool, sub: bool) -> u128 {
        let es = self.esize;
        let (wn, wm) = (lanes(n, es + 1), lanes(m, es + 1));
        let half = (64 >> (3 + es)) as usize;
        let wbits = 16u32 << es;
        let wmask = u64::MAX >> (64 - wbits);
        let rc = if round { 1u64 << (wbits / 2 - 1) } else { 0 };
        let mut dl = if self.q { lanes(d, es) } else { [0u64; 16] };
        let base = if self.q { half } else { 0 };
        for i in 0..half {
            let s = if sub {
                wn[i].wrapping_sub(wm[i])
            } else {
                wn[i].wrapping_add(wm[i])
            };
            dl[base + i] = ((s.wrapping_add(rc) & wmask) >> (wbits / 2)) & self.emask();
        }
        pack(&dl, es)
    }

    /// The three-different ops: narrow elements of size `esize` widened to `esize + 1`.
    fn long(&self, n: u128, m: u128, d: u128, signed: bool) -> u128 {
        use VecKind::*;
        let es = self.esize;
        let half = (64 >> (3 + es)) as usize;
        let base = if self.q { half } else { 0 };
        let wide_mask = u64::MAX >> (64 - (16u32 << es).min(64));
        let ext = |x: u64| if signed { sx(x, es) as u64 } else { x };
        let (nn, mm, nw, dw) = (lanes(n, es), lanes(m, es), lanes(n, es + 1), lanes(d, es + 1));
        let mut out = [0u64; 16];
        for i in 0..half {
            let b = ext(mm[base + i]);
            let a = match self.kind {
                AddW { .. } | SubW { .. } => nw[i],
                _ => ext(nn[base + i]),
            };
            let abd = if signed {
                (a as i64).wrapping_sub(b as i64).unsigned_abs()
            } else {
                a.abs_diff(b)
            };
            out[i] = match self.kind {
                AddL { .. } | AddW { .. } => a.wrapping_add(b),
                SubL { .. } | SubW { .. } => a.wrapping_sub(b),
                AbdL { .. } => abd,
                AbaL { .. } => dw[i].wrapping_add(abd),
                MulL { .. } => a.wrapping_mul(b),
                MlaL { .. } => dw[i].wrapping_add(a.wrapping_mul(b)),
                _ => dw[i].wrapping_sub(a.wrapping_mul(b)),
            } & wide_mask;
        }
        pack(&out, es + 1)
    }
}

/// SSHL/USHL of one element of `bits` bits by the signed low byte of `by`.
fn shift_by(x: u64, by: u64, bits: u32, signed: bool) -> u64 {
    let ebits = bits as i64;
    let sh = by as u8 as i8 as i64;
    if sh >= 0 {
        if sh >= ebits {
            0
        } else {
            x << sh
        }
    } else if !signed {
        if -sh >= ebits {
            0
        } else {
            x >> -sh
        }
    } else {
        (sx(x, (bits.trailing_zeros() - 3) as u8) >> (-sh).min(ebits - 1)) as u64
    }
}

/// SLI (left) or SRI: `x` shifted into `old`, keeping the bits the shift leaves empty.
fn shift_insert(x: u64, old: u64, sh: u32, bits: u32, left: bool) -> u64 {
    let emask = u64::MAX >> (64 - bits);
    if left {
        let keep = if sh == 0 { 0 } else { emask >> (bits - sh) };
        (x << sh) | (old & keep)
    } else if sh >= bits {
        old
    } else {
        let ins = emask >> sh;
        (x >> sh) | (old & !ins & emask)
    }
}

fn compare_zero(c: ZeroCmp, s: i64) -> bool {
    match c {
        ZeroCmp::Eq => s == 0,
        ZeroCmp::Gt => s > 0,
        ZeroCmp::Ge => s >= 0,
        ZeroCmp::Le => s <= 0,
        ZeroCmp::Lt => s < 0,
    }
}

/// Element `i` of a REV within groups of `group` elements.
fn reverse_in(i: usize, group: usize) -> usize {
    let g = i / group * group;
    g + (group - 1 - (i - g))
}

/// V`d` with element `dst` (size `es`) replaced by `x`.
fn insert(d: u128, es: u8, dst: u8, x: u64) -> u128 {
    let mut out = lanes(d, es);
    out[dst as usize] = x;
    pack(&out, es)
}

/// EXT: bytes `index..` of the pair n (low) : m (high), 8 or 16 bytes.
fn ext(n: u128, m: u128, q: bool, index: usize) -> u128 {
    let len = if q { 16 } else { 8 };
    let mut bytes = [0u8; 32];
    bytes[..len].copy_from_slice(&n.to_le_bytes()[..len]);
    bytes[len..2 * len].copy_from_slice(&m.to_le_bytes()[..len]);
    let mut r = [0u8; 16];
    r[..len].copy_from_slice(&bytes[index..index + len]);
    u128::from_le_bytes(r)
}

/// TBL/TBX: bytes of `table` picked by the bytes of `idx`; out of range: 0 (TBL) or the old
/// byte of `d` (TBX).
fn table_lookup(table: &[u128], idx: u128, d: u128, q: bool, tbx: bool) -> u128 {
    let mut tbuf = [0u8; 64];
    for (i, t) in table.iter().enumerate() {
        tbuf[16 * i..16 * i + 16].copy_from_slice(&t.to_le_bytes());
    }
    let tb = &tbuf[..16 * table.len()];
    let (idx, old) = (idx.to_le_bytes(), d.to_le_bytes());
    let mut r = [0u8; 16];
    for i in 0..if q { 16 } else { 8 } {
        let j = idx[i] as usize;
        r[i] = match tb.get(j) {
            Some(&b) => b,
            None if tbx => old[i],
            None => 0,
        };
    }
    u128::from_le_bytes(r)
}

/// A vector operation and its registers, as emitted code hands it to [`helper_vec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VecCall {
    /// The operation.
    pub f: VecFn,
    /// Destination register.
    pub d: u8,
    /// First source.
    pub n: u8,
    /// Second source.
    pub m: u8,
}

/// Apply a vector op to CpuState's V registers.
pub fn apply(cpu: &mut CpuState, f: &VecFn, d: u8, n: u8, m: u8) {
    let get = |cpu: &CpuState, r: u8| {
        let v = cpu.v[(r & 31) as usize];
        (v[0] as u128) | ((v[1] as u128) << 64)
    };
    let mut table = [0u128; 4];
    let len = match f.kind {
        VecKind::Tbl { len } | VecKind::Tbx { len } => len.min(4) as usize,
        _ => 0,
    };
    for (i, t) in table.iter_mut().enumerate().take(len) {
        *t = get(cpu, (n + i as u8) % 32);
    }
    let mut fp = FpState {
        fpcr: cpu.fpcr,
        fpsr: cpu.fpsr,
    };
    let r = f.eval(get(cpu, n), get(cpu, m), get(cpu, d), &table[..len], &mut fp);
    cpu.fpsr = fp.fpsr;
    cpu.v[d as usize & 31] = [r as u64, (r >> 64) as u64];
}

/// Called from emitted code with the operation the block's translation keeps (see
/// `x64::Compiled::calls`).
///
/// # Safety
/// `cpu` must point to a live CpuState (the one emitted code runs on), `call` to a live
/// [`VecCall`].
pub unsafe extern "C" fn helper_vec(cpu: *mut CpuState, call: *const VecCall) {
    // SAFETY: emitted code passes its pinned CpuState pointer and a call its block keeps alive.
    let (cpu, call) = unsafe { (&mut *cpu, &*call) };
    // FP semantics compute in Rust: under the VM's MXCSR, the guest's restored afterwards.
    let _mx = matches!(call.f.kind, VecKind::Fp(_)).then(super::fpenv::HostMxcsr::enter);
    apply(cpu, &call.f, call.d, call.n, call.m);
}
