//! The common lane-wise AdvSIMD integer operations in AVX's three-operand forms, straight on the V
//! register cache: sources read where they are (a cache register, or loaded once from CpuState),
//! the result written into V`d`'s cache register. The SSE lowerings (`vector.rs`, `vecint.rs`)
//! compute in xmm0 with two-operand instructions, which costs a copy in for each operand and one
//! out for the result: x264's UABAL was 15 instructions, 6 here, an ADD 5 where it is 1. AVX is
//! required (see `src/start.rs`); the operations here are those of gcc's and clang's vectorised
//! loops and of hand-written NEON (`translator/tests/inline/ops.txt`) that map onto one or a few
//! AVX instructions with A64's results exactly; the others keep their SSE lowering.
//!
//! A multi-instruction sequence computes in scratch registers (xmm0..xmm2) and only its last
//! instruction writes V`d`'s register: that register may be a source's (`vput` may take the slot
//! of one), which a VEX instruction reads before it writes.

use super::Lower;
use crate::cpu::off;
use crate::ir::{VecFn, VecKind};
use crate::ops::Second;
use dynasmrt::{dynasm, DynasmApi};

/// The lane-wise binary operations with one AVX instruction for each element size they take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lanes {
    Add,
    Sub,
    CmpEq,
    CmpGt,
    MaxU,
    MinU,
    MaxS,
    MinS,
    Mul,
}

/// The shifts by an immediate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shift {
    Left,
    Logical,
    Arithmetic,
}

impl Lanes {
    /// ADD, or SUB with `sub`.
    fn add_sub(sub: bool) -> Lanes {
        if sub {
            Lanes::Sub
        } else {
            Lanes::Add
        }
    }
}

impl Lower<'_> {
    /// Lower `f` (V`d` = V`n` op V`m`) in AVX forms; false if it is not one of those done here.
    pub(super) fn vec_vex_inline(&mut self, f: VecFn, d: u8, n: u8, m: u8) -> bool {
        use VecKind::*;
        let (es, q, v) = (f.esize, f.q, Second::Vector);
        match f.kind {
            Add => self.vex_lanes(Lanes::Add, es, (d, n, m), q),
            Sub => self.vex_lanes(Lanes::Sub, es, (d, n, m), q),
            Cmeq => self.vex_lanes(Lanes::CmpEq, es, (d, n, m), q),
            Cmgt => self.vex_lanes(Lanes::CmpGt, es, (d, n, m), q),
            Umax if es < 3 => self.vex_lanes(Lanes::MaxU, es, (d, n, m), q),
            Umin if es < 3 => self.vex_lanes(Lanes::MinU, es, (d, n, m), q),
            Smax if es < 3 => self.vex_lanes(Lanes::MaxS, es, (d, n, m), q),
            Smin if es < 3 => self.vex_lanes(Lanes::MinS, es, (d, n, m), q),
            Mul(s) if s == v && (es == 1 || es == 2) => self.vex_lanes(Lanes::Mul, es, (d, n, m), q),
            Mla(s) | Mls(s) if s == v && (es == 1 || es == 2) => {
                let (a, b) = self.vex_sources(n, m);
                lanes(self, Lanes::Mul, es, 0, a, b);
                self.vex_accumulate(d, es, f.kind != Mla(s), q);
            }
            And | Orr | Eor | Bic => self.vex_bitwise(f.kind, (d, n, m), q),
            Bsl | Bit | Bif => self.vex_select(f.kind, (d, n, m), q),
            Uabd | Sabd | Uaba | Saba if es < 3 => {
                let (a, b) = self.vex_sources(n, m);
                self.vex_abd(es, matches!(f.kind, Sabd | Saba), a, b);
                if matches!(f.kind, Uaba | Saba) {
                    self.vex_accumulate(d, es, false, q);
                } else {
                    self.vex_result(d, 0, q);
                }
            }
            AbdL { signed } | AbaL { signed } if es < 2 => {
                let (a, b) = self.vex_sources(n, m);
                self.vex_abd(es, signed, a, b);
                // The "2" forms take the upper halves; the differences are unsigned.
                vex_widen(self, 0, 0, es, false, q);
                if matches!(f.kind, AbaL { .. }) {
                    self.vex_accumulate(d, es + 1, false, true);
                } else {
                    self.vex_result(d, 0, true);
                }
            }
            Abs | Neg if es < 3 || f.kind == Neg => {
                let a = self.vsrc_kept(n, 0);
                if f.kind == Neg {
                    dynasm!(self.ops ; .arch x64 ; vpxor xmm1, xmm1, xmm1);
                }
                let k = self.vput(d);
                match (f.kind == Abs, es) {
                    (true, 0) => dynasm!(self.ops ; .arch x64 ; vpabsb Rx(k), Rx(a)),
                    (true, 1) => dynasm!(self.ops ; .arch x64 ; vpabsw Rx(k), Rx(a)),
                    (true, _) => dynasm!(self.ops ; .arch x64 ; vpabsd Rx(k), Rx(a)),
                    (false, _) => lanes(self, Lanes::Sub, es, k, 1, a),
                }
                self.low_half(k, q);
            }
            AddL { signed } | SubL { signed } | AddW { signed } | SubW { signed } if es < 3 => {
                let (a, b) = self.vex_sources(n, m);
                // The long forms widen both sources, the wide ones only the second.
                let first = if matches!(f.kind, AddL { .. } | SubL { .. }) {
                    vex_widen(self, 0, a, es, signed, q);
                    0
                } else {
                    a
                };
                vex_widen(self, 1, b, es, signed, q);
                let k = self.vput(d);
                let sub = matches!(f.kind, SubL { .. } | SubW { .. });
                lanes(self, Lanes::add_sub(sub), es + 1, k, first, 1);
            }
            Ushll(sh) | Sshll(sh) if es < 3 => {
                let a = self.vsrc_kept(n, 0);
                let signed = matches!(f.kind, Sshll(_));
                if sh == 0 {
                    let k = self.vput(d);
                    vex_widen(self, k, a, es, signed, q);
                } else {
                    vex_widen(self, 0, a, es, signed, q);
                    let k = self.vput(d);
                    shift_imm(self, Shift::Left, es + 1, sh, k, 0);
                }
            }
            Shl(sh) if es > 0 => self.vex_shift(Shift::Left, es, sh, (d, n), false, q),
            Ushr(sh) if es > 0 => self.vex_shift(Shift::Logical, es, sh, (d, n), false, q),
            Sshr(sh) if es == 1 || es == 2 => self.vex_shift(Shift::Arithmetic, es, sh, (d, n), false, q),
            Usra(sh) if es > 0 => self.vex_shift(Shift::Logical, es, sh, (d, n), true, q),
            Ssra(sh) if es == 1 || es == 2 => self.vex_shift(Shift::Arithmetic, es, sh, (d, n), true, q),
            _ => return false,
        }
        true
    }

    /// V`d` = V`n` shifted by `sh` (elements of size `es`, 1..3; arithmetic right shifts 1 and
    /// 2), or V`d` + that with `accumulate`. Counts of the element size give 0 (or the sign in
    /// every bit), as A64's do: x86's shifts by immediate saturate the same way.
    fn vex_shift(&mut self, kind: Shift, es: u8, sh: u8, (d, n): (u8, u8), accumulate: bool, q: bool) {
        let a = self.vsrc_kept(n, 0);
        if accumulate {
            shift_imm(self, kind, es, sh, 0, a);
            self.vex_accumulate(d, es, false, q);
        } else {
            let k = self.vput(d);
            shift_imm(self, kind, es, sh, k, a);
            self.low_half(k, q);
        }
    }

    /// The registers to read V`n` and V`m` from: their cache registers, else V`n` loaded into a
    /// cache register (kept for the ops after it) or xmm0, and V`m` into xmm1 (not cached: that
    /// could take the register V`n` was just given).
    fn vex_sources(&mut self, n: u8, m: u8) -> (u8, u8) {
        let a = self.vsrc_kept(n, 0);
        let b = self.vsrc(m, 1);
        (a, b)
    }

    /// A 64-bit form's result (not `q`): the upper half of xmm`k` zeroed.
    fn low_half(&mut self, k: u8, q: bool) {
        if !q {
            dynasm!(self.ops ; .arch x64 ; vmovq Rx(k), Rx(k));
        }
    }

    /// V`d` = xmm`x` (its low half, the upper zeroed, unless `q`).
    fn vex_result(&mut self, d: u8, x: u8, q: bool) {
        let k = self.vput(d);
        if q {
            dynasm!(self.ops ; .arch x64 ; vmovdqa Rx(k), Rx(x));
        } else {
            dynasm!(self.ops ; .arch x64 ; vmovq Rx(k), Rx(x));
        }
    }

    /// V`d` = V`d` + xmm0 (or - xmm0), elements of size `es`, the upper half zeroed unless `q`.
    fn vex_accumulate(&mut self, d: u8, es: u8, sub: bool, q: bool) {
        let acc = self.vsrc(d, 1);
        let k = self.vput(d);
        lanes(self, Lanes::add_sub(sub), es, k, acc, 0);
        self.low_half(k, q);
    }

    /// V`d` = V`n` op V`m`: one instruction into V`d`'s register (and the zeroing of its upper
    /// half for the 64-bit forms).
    fn vex_lanes(&mut self, op: Lanes, es: u8, (d, n, m): (u8, u8, u8), q: bool) {
        let (a, b) = self.vex_sources(n, m);
        let k = self.vput(d);
        lanes(self, op, es, k, a, b);
        self.low_half(k, q);
    }

    /// xmm0 = |a - b| per element of size `es` (< 3): max - min, the unsigned difference.
    /// Clobbers xmm2.
    fn vex_abd(&mut self, es: u8, signed: bool, a: u8, b: u8) {
        let (max, min) = if signed {
            (Lanes::MaxS, Lanes::MinS)
        } else {
            (Lanes::MaxU, Lanes::MinU)
        };
        lanes(self, max, es, 2, a, b);
        lanes(self, min, es, 0, a, b);
        lanes(self, Lanes::Sub, es, 0, 2, 0);
    }

    /// AND, ORR (MOV when n = m), EOR, BIC.
    fn vex_bitwise(&mut self, kind: VecKind, (d, n, m): (u8, u8, u8), q: bool) {
        let (a, b) = self.vex_sources(n, m);
        let k = self.vput(d);
        match kind {
            VecKind::Orr if a == b => dynasm!(self.ops ; .arch x64 ; vmovdqa Rx(k), Rx(a)),
            VecKind::And => dynasm!(self.ops ; .arch x64 ; vpand Rx(k), Rx(a), Rx(b)),
            VecKind::Orr => dynasm!(self.ops ; .arch x64 ; vpor Rx(k), Rx(a), Rx(b)),
            VecKind::Eor => dynasm!(self.ops ; .arch x64 ; vpxor Rx(k), Rx(a), Rx(b)),
            // n & !m: VPANDN complements its first source.
            VecKind::Bic => dynasm!(self.ops ; .arch x64 ; vpandn Rx(k), Rx(b), Rx(a)),
            other => unreachable!("{other:?} is not one of vex_bitwise's (see vec_vex_inline)"),
        }
        self.low_half(k, q);
    }

    /// BSL (d ? n : m), BIT (m ? n : d), BIF (m ? d : n): `x ^ ((x ^ y) & mask)`.
    fn vex_select(&mut self, kind: VecKind, (d, n, m): (u8, u8, u8), q: bool) {
        let (a, b) = self.vex_sources(n, m);
        let c = self.vsrc(d, 2);
        // (x, y, mask): the result is y where mask is set, x elsewhere.
        let (x, y, mask) = match kind {
            VecKind::Bsl => (b, a, c),
            VecKind::Bit => (c, a, b),
            VecKind::Bif => (a, c, b),
            other => unreachable!("{other:?} is not a select (see vec_vex_inline)"),
        };
        // (In xmm3: xmm0..xmm2 may hold the sources.)
        dynasm!(self.ops ; .arch x64 ; vpxor xmm3, Rx(x), Rx(y) ; vpand xmm3, xmm3, Rx(mask));
        let k = self.vput(d);
        dynasm!(self.ops ; .arch x64 ; vpxor Rx(k), xmm3, Rx(x));
        self.low_half(k, q);
    }

    /// The register to read V`v` from: its cache register, else one it is loaded into and kept
    /// in (a free or clean one), else xmm`scratch` loaded from CpuState.
    fn vsrc_kept(&mut self, v: u8, scratch: u8) -> u8 {
        if let Some(k) = self.vcache.get(v) {
            return k;
        }
        let k = self.vcache.take_for_read(v).unwrap_or(scratch);
        let o = off::vreg(v);
        dynasm!(self.ops ; .arch x64 ; vmovdqu Rx(k), [r15 + o]);
        k
    }
}

/// xmm`k` = xmm`a` shifted by `sh` (elements of size `es`, 1..3; the arithmetic shifts 1 and 2).
fn shift_imm(l: &mut Lower<'_>, kind: Shift, es: u8, sh: u8, k: u8, a: u8) {
    let s = sh.min(64) as i8;
    match (kind, es) {
        (Shift::Left, 1) => dynasm!(l.ops ; .arch x64 ; vpsllw Rx(k), Rx(a), s),
        (Shift::Left, 2) => dynasm!(l.ops ; .arch x64 ; vpslld Rx(k), Rx(a), s),
        (Shift::Left, _) => dynasm!(l.ops ; .arch x64 ; vpsllq Rx(k), Rx(a), s),
        (Shift::Logical, 1) => dynasm!(l.ops ; .arch x64 ; vpsrlw Rx(k), Rx(a), s),
        (Shift::Logical, 2) => dynasm!(l.ops ; .arch x64 ; vpsrld Rx(k), Rx(a), s),
        (Shift::Logical, _) => dynasm!(l.ops ; .arch x64 ; vpsrlq Rx(k), Rx(a), s),
        (Shift::Arithmetic, 1) => dynasm!(l.ops ; .arch x64 ; vpsraw Rx(k), Rx(a), s),
        (Shift::Arithmetic, _) => dynasm!(l.ops ; .arch x64 ; vpsrad Rx(k), Rx(a), s),
    }
}

/// xmm`k` = the low (with `upper`, the high) 64 bits of xmm`a` widened from `es` (< 3) to `es + 1`
/// elements.
pub(super) fn vex_widen(l: &mut Lower<'_>, k: u8, a: u8, es: u8, signed: bool, upper: bool) {
    let a = if upper {
        dynasm!(l.ops ; .arch x64 ; vpsrldq Rx(k), Rx(a), 8);
        k
    } else {
        a
    };
    match (es, signed) {
        (0, false) => dynasm!(l.ops ; .arch x64 ; vpmovzxbw Rx(k), Rx(a)),
        (1, false) => dynasm!(l.ops ; .arch x64 ; vpmovzxwd Rx(k), Rx(a)),
        (_, false) => dynasm!(l.ops ; .arch x64 ; vpmovzxdq Rx(k), Rx(a)),
        (0, true) => dynasm!(l.ops ; .arch x64 ; vpmovsxbw Rx(k), Rx(a)),
        (1, true) => dynasm!(l.ops ; .arch x64 ; vpmovsxwd Rx(k), Rx(a)),
        (_, true) => dynasm!(l.ops ; .arch x64 ; vpmovsxdq Rx(k), Rx(a)),
    }
}

/// xmm`k` = xmm`a` op xmm`b`, elements of size `es` (`Mul`: 1 or 2; the max and min: below 3).
fn lanes(l: &mut Lower<'_>, op: Lanes, es: u8, k: u8, a: u8, b: u8) {
    use Lanes::*;
    match (op, es) {
        (Add, 0) => dynasm!(l.ops ; .arch x64 ; vpaddb Rx(k), Rx(a), Rx(b)),
        (Add, 1) => dynasm!(l.ops ; .arch x64 ; vpaddw Rx(k), Rx(a), Rx(b)),
        (Add, 2) => dynasm!(l.ops ; .arch x64 ; vpaddd Rx(k), Rx(a), Rx(b)),
        (Add, _) => dynasm!(l.ops ; .arch x64 ; vpaddq Rx(k), Rx(a), Rx(b)),
        (Sub, 0) => dynasm!(l.ops ; .arch x64 ; vpsubb Rx(k), Rx(a), Rx(b)),
        (Sub, 1) => dynasm!(l.ops ; .arch x64 ; vpsubw Rx(k), Rx(a), Rx(b)),
        (Sub, 2) => dynasm!(l.ops ; .arch x64 ; vpsubd Rx(k), Rx(a), Rx(b)),
        (Sub, _) => dynasm!(l.ops ; .arch x64 ; vpsubq Rx(k), Rx(a), Rx(b)),
        (CmpEq, 0) => dynasm!(l.ops ; .arch x64 ; vpcmpeqb Rx(k), Rx(a), Rx(b)),
        (CmpEq, 1) => dynasm!(l.ops ; .arch x64 ; vpcmpeqw Rx(k), Rx(a), Rx(b)),
        (CmpEq, 2) => dynasm!(l.ops ; .arch x64 ; vpcmpeqd Rx(k), Rx(a), Rx(b)),
        (CmpEq, _) => dynasm!(l.ops ; .arch x64 ; vpcmpeqq Rx(k), Rx(a), Rx(b)),
        (CmpGt, 0) => dynasm!(l.ops ; .arch x64 ; vpcmpgtb Rx(k), Rx(a), Rx(b)),
        (CmpGt, 1) => dynasm!(l.ops ; .arch x64 ; vpcmpgtw Rx(k), Rx(a), Rx(b)),
        (CmpGt, 2) => dynasm!(l.ops ; .arch x64 ; vpcmpgtd Rx(k), Rx(a), Rx(b)),
        (CmpGt, _) => dynasm!(l.ops ; .arch x64 ; vpcmpgtq Rx(k), Rx(a), Rx(b)),
        (MaxU, 0) => dynasm!(l.ops ; .arch x64 ; vpmaxub Rx(k), Rx(a), Rx(b)),
        (MaxU, 1) => dynasm!(l.ops ; .arch x64 ; vpmaxuw Rx(k), Rx(a), Rx(b)),
        (MaxU, _) => dynasm!(l.ops ; .arch x64 ; vpmaxud Rx(k), Rx(a), Rx(b)),
        (MinU, 0) => dynasm!(l.ops ; .arch x64 ; vpminub Rx(k), Rx(a), Rx(b)),
        (MinU, 1) => dynasm!(l.ops ; .arch x64 ; vpminuw Rx(k), Rx(a), Rx(b)),
        (MinU, _) => dynasm!(l.ops ; .arch x64 ; vpminud Rx(k), Rx(a), Rx(b)),
        (MaxS, 0) => dynasm!(l.ops ; .arch x64 ; vpmaxsb Rx(k), Rx(a), Rx(b)),
        (MaxS, 1) => dynasm!(l.ops ; .arch x64 ; vpmaxsw Rx(k), Rx(a), Rx(b)),
        (MaxS, _) => dynasm!(l.ops ; .arch x64 ; vpmaxsd Rx(k), Rx(a), Rx(b)),
        (MinS, 0) => dynasm!(l.ops ; .arch x64 ; vpminsb Rx(k), Rx(a), Rx(b)),
        (MinS, 1) => dynasm!(l.ops ; .arch x64 ; vpminsw Rx(k), Rx(a), Rx(b)),
        (MinS, _) => dynasm!(l.ops ; .arch x64 ; vpminsd Rx(k), Rx(a), Rx(b)),
        (Mul, 1) => dynasm!(l.ops ; .arch x64 ; vpmullw Rx(k), Rx(a), Rx(b)),
        (Mul, _) => dynasm!(l.ops ; .arch x64 ; vpmulld Rx(k), Rx(a), Rx(b)),
    }
}
