//! Inline SSE/FMA3 lowering of the common AdvSIMD floating-point vector operations, under the
//! guest's rounding mode in MXCSR (which also accumulates the exception flags, see
//! `ir::fpenv`). x86 and A64 agree on every result that is not a NaN or +-the smallest normal
//! (tininess) without FPCR.FZ, so a result with such a lane (or a saturated conversion), or any
//! operation under FZ, takes an out-of-line call to the same helper the interpreter's semantics
//! come from.

use super::slow::SlowCall;
use super::Lower;
use crate::cpu::off;
use crate::ir::{VecFn, VecKind};
use crate::ops::{VfpKind, VfpOp};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

impl Lower<'_> {
    /// The helper call of the slow path, saving the caller-saved registers the allocator may be
    /// using so that both paths leave the allocation as it was (`call_host` keeps the pinned
    /// ones; four pushes keep rsp 16-byte aligned).
    pub(super) fn vec_helper_call(&mut self, f: &VecFn, d: u8, n: u8, m: u8) {
        dynasm!(self.ops ; .arch x64 ; push rsi ; push rdi ; push r8 ; push r9);
        self.call_helper_vec(*f, d, n, m);
        dynasm!(self.ops ; .arch x64 ; pop r9 ; pop r8 ; pop rdi ; pop rsi);
    }

    /// `vcmpps`/`vcmppd xmm2, xmm2, [r15 + disp], 8` (EQ_UQ), written out because dynasm-rs 5.1
    /// mis-encodes the memory operand of VCMPPS/VCMPPD with an immediate.
    fn vcmp_eq_uq_xmm2_r15(&mut self, double: bool, disp: i32) {
        // VEX.128.0F(.66).WIG C2 /r ib: R X = 1 (inverted 0), B = 0 (r15), vvvv = ~2.
        let pp = if double { 0x69 } else { 0x68 };
        self.ops.extend([0xc4, 0xc1, pp, 0xc2, 0x97]);
        self.ops.extend(disp.to_le_bytes());
        self.ops.push(8);
    }

    /// xmm2 = V`d` as an accumulator (upper half zero for 64-bit vectors).
    fn load_acc(&mut self, q: bool, d: u8) {
        self.load_v(2, d);
        if !q {
            dynasm!(self.ops ; .arch x64 ; movq xmm2, xmm2);
        }
    }

    /// Lower a vector FP op inline with a NaN fallback; false if it must go to the helper.
    pub(super) fn vec_fp_inline(&mut self, f: VecFn, d: u8, n: u8, m: u8) -> bool {
        let VecKind::Fp(op) = f.kind else {
            return false;
        };
        if f.esize < 2 {
            // Halves: SSE has no half-precision arithmetic.
            return false;
        }
        let dbl = f.esize == 3;
        let Some(plan) = Plan::of(&op, dbl) else {
            return false;
        };
        let slow = self.slow_entry();
        // FABS, FNEG, SCVTF and UCVTF need no slow path whatever FPCR says (no NaN, no tiny
        // result).
        let exact = matches!(
            plan,
            Plan::Lanes(Inline::Sign { .. } | Inline::FromInt | Inline::FromUint)
                | Plan::Whole(Whole::FromInt64 { .. })
        );
        if !exact {
            // FPCR.FZ: the helper flushes as A64 does (see `Lower::fp_slow_check`).
            self.fp_slow_check(slow.label);
        }
        match plan {
            Plan::Whole(w) => self.vfp_whole(w, dbl, f.q, (d, n), slow.label),
            Plan::Lanes(plan) => {
                let check = match self.vfp_three_operand(plan, dbl, f.q, (d, n, m)) {
                    Some(check) => check,
                    None => self.vfp_two_operand(plan, (dbl, f.q), (d, n, m), slow.label),
                };
                if check {
                    // Sums, differences and integral values are never tiny: a NaN is all to
                    // look for.
                    let nan_only = matches!(
                        plan,
                        Inline::Arith(Arith::Add | Arith::Sub)
                            | Inline::AbsDiff
                            | Inline::AddPairs
                            | Inline::Round(_)
                            | Inline::RoundAway
                    );
                    self.vfp_nan_check(nan_only, dbl, slow.label);
                }
            }
        }
        self.store_v(d);
        if !exact {
            self.slow_return(slow, SlowCall::Vec { f, d, n, m });
        }
        true
    }

    /// `plan` on 128-bit vectors (`q`) of FADD/FSUB/FMUL/FDIV and FMLA/FMLS, in the AVX forms
    /// that read their operands where they are (the V register cache's registers, or xmm1 and
    /// xmm2 loaded from CpuState) and write xmm0: no copies into xmm0 and xmm1 first (saxpy's
    /// FMLA took five register moves). Whether the result needs the NaN check; None for the
    /// other plans.
    fn vfp_three_operand(&mut self, plan: Inline, dbl: bool, q: bool, (d, n, m): (u8, u8, u8)) -> Option<bool> {
        if !q {
            return None;
        }
        match plan {
            Inline::Arith(op) => {
                let a = self.vsrc(n, 1);
                let b = self.vsrc(m, 2);
                macro_rules! avx {
                    ($ps:ident, $pd:ident) => {
                        if dbl {
                            dynasm!(self.ops ; .arch x64 ; $pd xmm0, Rx(a), Rx(b))
                        } else {
                            dynasm!(self.ops ; .arch x64 ; $ps xmm0, Rx(a), Rx(b))
                        }
                    };
                }
                match op {
                    Arith::Add => avx!(vaddps, vaddpd),
                    Arith::Sub => avx!(vsubps, vsubpd),
                    Arith::Mul => avx!(vmulps, vmulpd),
                    Arith::Div => avx!(vdivps, vdivpd),
                }
            }
            Inline::Fma { negate } => {
                // xmm0 = V`d`, then xmm0 (+/-)= V`n` * V`m`.
                self.load_v(0, d);
                let a = self.vsrc(n, 1);
                let b = self.vsrc(m, 2);
                self.ops.extend(vex_fma231(negate, dbl, 0, a, b));
            }
            _ => return None,
        }
        Some(true)
    }

    /// `plan` through xmm0 (the first operand and the result) and the register
    /// [`Lower::vfp_operands`] gives for the second; 64-bit vectors with their upper lanes made
    /// harmless. Whether the result needs the NaN check.
    fn vfp_two_operand(
        &mut self,
        plan: Inline,
        (dbl, q): (bool, bool),
        (d, n, m): (u8, u8, u8),
        slow: DynamicLabel,
    ) -> bool {
        // Operands from the V register cache (the main path uses xmm0-xmm5 only); the slow
        // path's helper call clobbers the cache's registers, and loads them again after.
        let second = self.vfp_operands(plan, n, m, q);
        if !q {
            // 64-bit vectors: the upper lanes compute 1.0 op 1.0 (+ 0.0), which raises no
            // exception flag, instead of whatever the registers' upper halves hold.
            self.bcast(3, 0x3f80_0000_3f80_0000);
            dynasm!(self.ops ; .arch x64 ; unpcklpd xmm0, xmm3);
            if !matches!(plan, Inline::ByElem { .. }) {
                // (The by-element forms broadcast their element from all of V`m`.)
                dynasm!(self.ops ; .arch x64 ; unpcklpd xmm1, xmm3);
            }
        }
        let check = self.vfp_body(plan, (dbl, q), d, second, slow);
        if !q {
            dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
        }
        check
    }

    /// Load the operands of `plan` on V`n` and V`m`: the first into xmm0, and the register the
    /// second is read from. An operation that only reads its second operand reads it straight
    /// from its cache register, except on 64-bit vectors (`q` clear), whose upper lanes are
    /// filled in xmm1. A compare of the second with the first (`swap`) loads them the other way
    /// round, and a compare with zero has a zeroed register for the zero.
    fn vfp_operands(&mut self, plan: Inline, n: u8, m: u8, q: bool) -> u8 {
        let src = |l: &mut Self, v: u8| {
            if q {
                l.vsrc(v, 1)
            } else {
                l.load_v(1, v);
                1
            }
        };
        match plan {
            Inline::Compare {
                zero: true, swap: true, ..
            } => {
                dynasm!(self.ops ; .arch x64 ; xorps xmm0, xmm0);
                src(self, n)
            }
            Inline::Compare {
                zero: true,
                swap: false,
                ..
            } => {
                self.load_v(0, n);
                dynasm!(self.ops ; .arch x64 ; xorps xmm1, xmm1);
                1
            }
            Inline::Compare { swap: true, .. } => {
                self.load_v(0, m);
                src(self, n)
            }
            Inline::Arith(_) | Inline::AbsDiff | Inline::AddPairs | Inline::Compare { .. } | Inline::MaxMin { .. } => {
                self.load_v(0, n);
                src(self, m)
            }
            // (The FMA forms' encodings name xmm1.)
            Inline::ByElem { .. } | Inline::Fma { .. } => {
                self.load_v(0, n);
                self.load_v(1, m);
                1
            }
            Inline::Sign { .. }
            | Inline::FromInt
            | Inline::FromUint
            | Inline::Round(_)
            | Inline::RoundAway
            | Inline::ToInt { .. } => {
                self.load_v(0, n);
                1
            }
        }
    }

    /// The operation of `plan` on `dbl` (64-bit) lanes of a 128-bit (`q`) or 64-bit vector in
    /// xmm0 and xmm`second` (the accumulator V`d`), result in xmm0; whether NaN lanes need the
    /// slow path (a jump to `slow` where the result itself says so).
    fn vfp_body(&mut self, plan: Inline, (dbl, q): (bool, bool), d: u8, second: u8, slow: DynamicLabel) -> bool {
        macro_rules! ps_pd {
            ($ps:ident, $pd:ident) => {
                if dbl {
                    dynasm!(self.ops ; .arch x64 ; $pd xmm0, Rx(second))
                } else {
                    dynasm!(self.ops ; .arch x64 ; $ps xmm0, Rx(second))
                }
            };
        }
        match plan {
            Inline::Arith(Arith::Add) => ps_pd!(addps, addpd),
            Inline::Arith(Arith::Sub) => ps_pd!(subps, subpd),
            Inline::Arith(Arith::Mul) => ps_pd!(mulps, mulpd),
            Inline::Arith(Arith::Div) => ps_pd!(divps, divpd),
            // |n - m|: the difference with its sign bit cleared (FPAbs(FPSub()); a NaN difference
            // goes to the slow path).
            Inline::AbsDiff => {
                ps_pd!(subps, subpd);
                self.bcast(1, sign_bits(dbl));
                dynasm!(self.ops ; .arch x64 ; andnps xmm1, xmm0 ; movdqa xmm0, xmm1);
            }
            // Sums of adjacent lanes, n's below m's; of 64-bit vectors (their upper lanes 1.0
            // + 1.0), lanes 0 and 2 hold n's sum and m's.
            Inline::AddPairs => {
                ps_pd!(haddps, haddpd);
                if !q {
                    dynasm!(self.ops ; .arch x64 ; shufps xmm0, xmm0, 0x08);
                }
            }
            Inline::ByElem { index, accumulate } => {
                debug_assert_eq!(second, 1);
                if dbl {
                    let sel = if index == 0 { 0 } else { 3 };
                    dynasm!(self.ops ; .arch x64 ; shufpd xmm1, xmm1, sel);
                } else {
                    let sel = (index * 0x55) as i8;
                    dynasm!(self.ops ; .arch x64 ; shufps xmm1, xmm1, sel);
                }
                if !accumulate {
                    ps_pd!(mulps, mulpd);
                } else {
                    self.load_acc(q, d);
                    self.ops.extend(vex_fma231(false, dbl, 2, 0, 1));
                    dynasm!(self.ops ; .arch x64 ; movdqa xmm0, xmm2);
                }
            }
            Inline::Fma { negate } => {
                debug_assert_eq!(second, 1);
                self.load_acc(q, d);
                self.ops.extend(vex_fma231(negate, dbl, 2, 0, 1));
                dynasm!(self.ops ; .arch x64 ; movdqa xmm0, xmm2);
            }
            // Compares are false on unordered lanes on both sides: exact. (The operands are in
            // compare order: see `vfp_operands`.)
            Inline::Compare { pred, .. } => {
                if dbl {
                    dynasm!(self.ops ; .arch x64 ; cmppd xmm0, Rx(second), pred);
                } else {
                    dynasm!(self.ops ; .arch x64 ; cmpps xmm0, Rx(second), pred);
                }
                return false;
            }
            // Sign-bit operations, NaNs included: exact.
            Inline::Sign { abs } => {
                self.bcast(1, sign_bits(dbl));
                if abs {
                    dynasm!(self.ops ; .arch x64 ; andnps xmm1, xmm0 ; movdqa xmm0, xmm1);
                } else {
                    dynasm!(self.ops ; .arch x64 ; xorps xmm0, xmm1);
                }
                return false;
            }
            Inline::FromInt => {
                dynasm!(self.ops ; .arch x64 ; cvtdq2ps xmm0, xmm0);
                return false;
            }
            Inline::FromUint => {
                // hi * 65536 + lo, each half converted exactly (16 bits), the product exact:
                // the sum rounds once, in the guest's rounding mode, with its flags.
                self.bcast(2, 0x4780_0000_4780_0000); // 65536.0f
                dynasm!(self.ops ; .arch x64
                    ; movdqa xmm1, xmm0 ; psrld xmm1, 16 ; pslld xmm0, 16 ; psrld xmm0, 16
                    ; cvtdq2ps xmm1, xmm1 ; mulps xmm1, xmm2 ; cvtdq2ps xmm0, xmm0 ; addps xmm0, xmm1
                );
                return false;
            }
            Inline::Round(i) => {
                if dbl {
                    dynasm!(self.ops ; .arch x64 ; roundpd xmm0, xmm0, i);
                } else {
                    dynasm!(self.ops ; .arch x64 ; roundps xmm0, xmm0, i);
                }
            }
            Inline::RoundAway => self.vfp_round_away(dbl),
            Inline::MaxMin { max } => {
                self.vfp_max_min(dbl, max, second, slow);
                return false;
            }
            Inline::ToInt { round } => {
                // FCVTNS/FCVTMS/FCVTPS: rounded to an integral value in their own mode first
                // (ROUNDPS without the precision exception suppressed: IXC where the result is
                // inexact, as A64 raises it), which the truncation then keeps as it is.
                if let Some(i) = round {
                    dynasm!(self.ops ; .arch x64 ; roundps xmm0, xmm0, i);
                }
                // cvttps2dq gives 0x80000000 for NaN and out-of-range lanes; A64 saturates.
                dynasm!(self.ops ; .arch x64 ; cvttps2dq xmm0, xmm0);
                if !q {
                    dynasm!(self.ops ; .arch x64 ; movq xmm0, xmm0);
                }
                self.bcast(1, 0x8000_0000_8000_0000);
                dynasm!(self.ops ; .arch x64 ; pcmpeqd xmm1, xmm0 ; ptest xmm1, xmm1 ; jnz =>slow);
                return false;
            }
        }
        true
    }

    /// `w` into xmm0 (the result for V`d`), with its own checks.
    fn vfp_whole(&mut self, w: Whole, dbl: bool, q: bool, (d, n): (u8, u8), slow: DynamicLabel) {
        match w {
            Whole::Narrow => self.vfp_narrow(q, d, n, slow),
            Whole::FromInt64 { signed } => self.vfp_from_int64(signed, n),
            Whole::AddPairScalar => self.vfp_add_pair_scalar(dbl, n, slow),
        }
    }

    /// FCVTN (`q` clear: V`d` = the two singles, zero above) and FCVTN2 (`q`: V`d`'s low half
    /// kept, the singles above it) of V`n`'s doubles into xmm0: CVTPD2PS rounds as FPCR says
    /// with A64's flags, and a NaN from either side (A64 may make the default NaN) or a result
    /// of +-the smallest normal (tininess before rounding) goes to `slow`.
    fn vfp_narrow(&mut self, q: bool, d: u8, n: u8, slow: DynamicLabel) {
        let src = self.vsrc(n, 1);
        dynasm!(self.ops ; .arch x64 ; cvtpd2ps xmm0, Rx(src));
        self.vfp_nan_check(false, false, slow);
        if q {
            self.load_v(1, d);
            dynasm!(self.ops ; .arch x64 ; movlhps xmm1, xmm0 ; movaps xmm0, xmm1);
        }
    }

    /// FADDP (scalar): V`n`'s elements 0 and 1 added into xmm0's element 0, the rest zero.
    /// ADDSS/ADDSD add element 0 alone, so the other elements of V`n` raise no flag; a NaN sum
    /// goes to `slow` (a sum is never tiny where x86 and A64 disagree).
    fn vfp_add_pair_scalar(&mut self, dbl: bool, n: u8, slow: DynamicLabel) {
        self.load_v(0, n);
        if dbl {
            dynasm!(self.ops ; .arch x64 ; movhlps xmm1, xmm0 ; addsd xmm0, xmm1 ; movq xmm0, xmm0);
        } else {
            dynasm!(self.ops ; .arch x64 ; movshdup xmm1, xmm0 ; addss xmm0, xmm1 ; insertps xmm0, xmm0, 0x0e);
        }
        self.vfp_nan_check(true, dbl, slow);
    }

    /// SCVTF, UCVTF (`signed` clear) of V`n`'s two 64-bit integers into doubles in xmm0, lane by
    /// lane through CVTSI2SD, which rounds as FPCR says and raises A64's flag (inexact): never
    /// a NaN or a tiny result; unsigned as the scalar UCVTF ([`Lower::cvt_u64_rax`]).
    /// Clobbers xmm1, rax, rcx, rdx.
    fn vfp_from_int64(&mut self, signed: bool, n: u8) {
        let src = self.vsrc(n, 1);
        dynasm!(self.ops ; .arch x64 ; movq rax, Rx(src) ; pextrq rdx, Rx(src), 1 ; pxor xmm0, xmm0 ; pxor xmm1, xmm1);
        for x in [0u8, 1] {
            if x == 1 {
                dynasm!(self.ops ; .arch x64 ; mov rax, rdx);
            }
            if signed {
                dynasm!(self.ops ; .arch x64 ; cvtsi2sd Rx(x), rax);
            } else {
                self.cvt_u64_rax(super::fp::Sd::D, x);
            }
        }
        dynasm!(self.ops ; .arch x64 ; unpcklpd xmm0, xmm1);
    }

    /// FRINTA (vector) of xmm0: the truncation, plus one of the lane's sign where the part cut
    /// off is at least one half, both exact, no flag raised (ROUNDP* with the precision
    /// exception suppressed; the addition adds a zero of the truncation's own sign where
    /// nothing is added, so -0.3 stays -0). Lanes of 2^52 (2^23) or more in magnitude,
    /// infinities and NaNs are kept as they are, and left out of the arithmetic (inf - inf
    /// would raise IOC). Clobbers xmm1-xmm5.
    fn vfp_round_away(&mut self, dbl: bool) {
        let [abs, big, half, one] = if dbl {
            [
                0x7fff_ffff_ffff_ffff,
                0x432f_ffff_ffff_ffff,
                0x3fe0_0000_0000_0000,
                0x3ff0_0000_0000_0000,
            ]
        } else {
            [
                0x7fff_ffff_7fff_ffff,
                0x4aff_ffff_4aff_ffff,
                0x3f00_0000_3f00_0000,
                0x3f80_0000_3f80_0000,
            ]
        };
        // xmm1: the lanes kept (|x| >= 2^52 or 2^23, infinities, NaNs: those whose magnitude's
        // bits exceed `big`'s as integers; an FP compare would raise IOC on NaNs); xmm2: the
        // others, zero in those.
        self.bcast(5, abs);
        self.bcast(2, big);
        dynasm!(self.ops ; .arch x64 ; movaps xmm1, xmm0 ; andps xmm1, xmm5);
        if dbl {
            dynasm!(self.ops ; .arch x64 ; pcmpgtq xmm1, xmm2 ; movaps xmm2, xmm1 ; andnps xmm2, xmm0
                ; roundpd xmm3, xmm2, 11 ; movaps xmm4, xmm2 ; subpd xmm4, xmm3 ; andps xmm4, xmm5);
        } else {
            dynasm!(self.ops ; .arch x64 ; pcmpgtd xmm1, xmm2 ; movaps xmm2, xmm1 ; andnps xmm2, xmm0
                ; roundps xmm3, xmm2, 11 ; movaps xmm4, xmm2 ; subps xmm4, xmm3 ; andps xmm4, xmm5);
        }
        // xmm4: 1.0 where |fraction| >= 0.5 (never a NaN here), else 0; xmm2: that with the
        // lane's sign.
        self.bcast(5, half);
        if dbl {
            dynasm!(self.ops ; .arch x64 ; cmpnltpd xmm4, xmm5);
        } else {
            dynasm!(self.ops ; .arch x64 ; cmpnltps xmm4, xmm5);
        }
        self.bcast(5, one);
        dynasm!(self.ops ; .arch x64 ; andps xmm4, xmm5);
        self.bcast(5, sign_bits(dbl));
        dynasm!(self.ops ; .arch x64 ; andps xmm2, xmm5 ; orps xmm2, xmm4);
        if dbl {
            dynasm!(self.ops ; .arch x64 ; addpd xmm3, xmm2);
        } else {
            dynasm!(self.ops ; .arch x64 ; addps xmm3, xmm2);
        }
        dynasm!(self.ops ; .arch x64 ; andps xmm0, xmm1 ; andnps xmm1, xmm3 ; orps xmm0, xmm1);
    }

    /// FMAX, FMIN, FMAXNM, FMINNM (`max`) of xmm0 and xmm`s` without NaN lanes (else to
    /// `slow`): MAXP*/MINP* but for equal lanes (+-0: A64's max is +0, its min -0), which take
    /// the AND (max) or OR (min) of the two.
    fn vfp_max_min(&mut self, dbl: bool, max: bool, s: u8, slow: DynamicLabel) {
        if dbl {
            dynasm!(self.ops ; .arch x64 ; movapd xmm2, xmm0 ; cmpunordpd xmm2, Rx(s));
        } else {
            dynasm!(self.ops ; .arch x64 ; movaps xmm2, xmm0 ; cmpunordps xmm2, Rx(s));
        }
        dynasm!(self.ops ; .arch x64 ; ptest xmm2, xmm2 ; jnz =>slow ; movaps xmm2, xmm0 ; movaps xmm3, xmm0);
        // xmm2: the equal lanes, which take xmm3 (the AND or OR).
        match (dbl, max) {
            (false, true) => {
                dynasm!(self.ops ; .arch x64 ; cmpeqps xmm2, Rx(s) ; andps xmm3, Rx(s) ; maxps xmm0, Rx(s))
            }
            (false, false) => {
                dynasm!(self.ops ; .arch x64 ; cmpeqps xmm2, Rx(s) ; orps xmm3, Rx(s) ; minps xmm0, Rx(s))
            }
            (true, true) => dynasm!(self.ops ; .arch x64 ; cmpeqpd xmm2, Rx(s) ; andpd xmm3, Rx(s) ; maxpd xmm0, Rx(s)),
            (true, false) => dynasm!(self.ops ; .arch x64 ; cmpeqpd xmm2, Rx(s) ; orpd xmm3, Rx(s) ; minpd xmm0, Rx(s)),
        }
        dynasm!(self.ops ; .arch x64 ; andps xmm3, xmm2 ; andnps xmm2, xmm0 ; orps xmm2, xmm3 ; movaps xmm0, xmm2);
    }

    /// Jump to `slow` for NaN lanes of xmm0, and lanes of +-the smallest normal (A64 may call
    /// them tiny where x86 does not: tininess before rounding): |x| == smallest normal or
    /// unordered (EQ_UQ, a quiet predicate; results are never signalling NaNs). A tiny sum or
    /// difference is exact, so FADD/FSUB (`add_sub`) need the NaN check only.
    fn vfp_nan_check(&mut self, add_sub: bool, dbl: bool, slow: DynamicLabel) {
        let c = off::FP_CONST;
        match (add_sub, dbl) {
            (true, true) => dynasm!(self.ops ; .arch x64 ; vcmpunordpd xmm2, xmm0, xmm0),
            (true, false) => dynasm!(self.ops ; .arch x64 ; vcmpunordps xmm2, xmm0, xmm0),
            (false, true) => {
                dynasm!(self.ops ; .arch x64 ; vandpd xmm2, xmm0, [r15 + c + 32]);
                self.vcmp_eq_uq_xmm2_r15(true, c + 48);
            }
            (false, false) => {
                dynasm!(self.ops ; .arch x64 ; vandps xmm2, xmm0, [r15 + c]);
                self.vcmp_eq_uq_xmm2_r15(false, c + 16);
            }
        }
        dynasm!(self.ops ; .arch x64 ; ptest xmm2, xmm2 ; jnz =>slow);
    }
}

/// The sign bit of every lane (`dbl`: 64-bit lanes), as a 64-bit pattern for `Lower::bcast`.
fn sign_bits(dbl: bool) -> u64 {
    if dbl {
        1 << 63
    } else {
        0x8000_0000_8000_0000
    }
}

/// `vfmadd231p* xmm<dst>, xmm<a>, xmm<b>` (dst += a * b), or `vfnmadd231p*` (dst -= a * b)
/// with `negate`: VEX.128.66.0F38 B8 (BC) /r, W1 for doubles. Encoded here because dynasm-rs 5.1
/// gives the packed-double forms VEX.W = 0 (their single-precision twins).
fn vex_fma231(negate: bool, dbl: bool, dst: u8, a: u8, b: u8) -> [u8; 5] {
    // R and B inverted (the high bits of dst and b), X unused, map 0F38.
    let byte1 = (!(dst >> 3) & 1) << 7 | 1 << 6 | (!(b >> 3) & 1) << 5 | 0b00010;
    // W, vvvv inverted (a), L = 0 (128 bits), pp = 66.
    let byte2 = u8::from(dbl) << 7 | (!a & 0xf) << 3 | 0b01;
    let opcode = if negate { 0xbc } else { 0xb8 };
    [0xc4, byte1, byte2, opcode, 0xc0 | (dst & 7) << 3 | (b & 7)]
}

/// A lane-wise FP arithmetic operation done inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

/// How a vector FP operation is done inline (SSE/FMA on xmm0, xmm1, the accumulator xmm2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inline {
    /// FADD, FSUB, FMUL, FDIV.
    Arith(Arith),
    /// FABD.
    AbsDiff,
    /// FMUL, FMLA (`accumulate`) by element `index` of V`m`.
    ByElem { index: u8, accumulate: bool },
    /// FMLA, FMLS (`negate`).
    Fma { negate: bool },
    /// FCMEQ/FCMGE/FCMGT, to zero too: cmpps predicate `pred` (0 eq, 1 lt, 2 le) with the
    /// operands swapped (a >= b is b <= a) or the second zero.
    Compare { zero: bool, swap: bool, pred: i8 },
    /// FABS, FNEG.
    Sign { abs: bool },
    /// SCVTF of 32-bit lanes.
    FromInt,
    /// UCVTF of 32-bit lanes.
    FromUint,
    /// FADDP (vector).
    AddPairs,
    /// FRINT* with ROUNDP* immediate.
    Round(i8),
    /// FRINTA (ties away from zero, which ROUNDP* has no mode for).
    RoundAway,
    /// FMAX, FMIN, FMAXNM, FMINNM (`max`).
    MaxMin { max: bool },
    /// FCVTZS, FCVTNS, FCVTMS, FCVTPS of 32-bit lanes: the ROUNDPS immediate of the modes
    /// other than Z's (the truncation of CVTTPS2DQ).
    ToInt { round: Option<i8> },
}

/// The operations lowered as a whole by a function of their own (`Lower::vfp_whole`), not lane
/// by lane through `vfp_operands` and `vfp_body`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whole {
    /// FCVTN, FCVTN2 (doubles to singles: the source is all of V`n` whatever `q` says).
    Narrow,
    /// SCVTF, UCVTF of 64-bit lanes.
    FromInt64 { signed: bool },
    /// FADDP (scalar): elements 0 and 1 of V`n`.
    AddPairScalar,
}

/// How a vector FP operation is lowered inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    Lanes(Inline),
    Whole(Whole),
}

impl Plan {
    /// The inline lowering of `op` on `dbl` (64-bit) or 32-bit lanes, if it has one (of the
    /// scalar forms, FADDP's only).
    fn of(op: &VfpOp, dbl: bool) -> Option<Plan> {
        use VfpKind::*;
        let whole = match op.kind {
            Cvtn if dbl && !op.scalar => Some(Whole::Narrow),
            FromInt if dbl && !op.scalar && op.index == 0 => Some(Whole::FromInt64 { signed: op.signed }),
            Addp if op.scalar => Some(Whole::AddPairScalar),
            _ => None,
        };
        match whole {
            Some(w) => Some(Plan::Whole(w)),
            None if op.scalar => None,
            None => Inline::of(op, dbl).map(Plan::Lanes),
        }
    }
}

impl Inline {
    /// The inline form of `op` on `dbl` (64-bit) or 32-bit lanes, if it has one; the others go
    /// to the helper.
    fn of(op: &VfpOp, dbl: bool) -> Option<Inline> {
        use VfpKind::*;
        let cmp = |zero, swap, pred| Some(Inline::Compare { zero, swap, pred });
        // (`index` holds the fraction bits of the fixed-point conversions.)
        let plain_32 = !dbl && op.signed && op.index == 0;
        match op.kind {
            Add => Some(Inline::Arith(Arith::Add)),
            Addp => Some(Inline::AddPairs),
            Sub => Some(Inline::Arith(Arith::Sub)),
            Abd => Some(Inline::AbsDiff),
            Mul => Some(Inline::Arith(Arith::Mul)),
            Div => Some(Inline::Arith(Arith::Div)),
            MulElem | MlaElem => Some(Inline::ByElem {
                index: op.index,
                accumulate: op.kind == MlaElem,
            }),
            Mla | Mls => Some(Inline::Fma { negate: op.kind == Mls }),
            Cmeq => cmp(false, false, 0),
            Cmge => cmp(false, true, 2),
            Cmgt => cmp(false, true, 1),
            CmeqZ => cmp(true, false, 0),
            CmgeZ => cmp(true, true, 2),
            CmgtZ => cmp(true, true, 1),
            CmleZ => cmp(true, false, 2),
            CmltZ => cmp(true, false, 1),
            Abs | Neg => Some(Inline::Sign { abs: op.kind == Abs }),
            Rint if op.round == crate::ops::FpRound::A => Some(Inline::RoundAway),
            Rint => super::fp::rint_imm(op.round).map(Inline::Round),
            Max | MaxNm => Some(Inline::MaxMin { max: true }),
            Min | MinNm => Some(Inline::MaxMin { max: false }),
            FromInt if plain_32 => Some(Inline::FromInt),
            FromInt if !dbl && op.index == 0 => Some(Inline::FromUint),
            ToInt if plain_32 && op.round == crate::ops::FpRound::Z => Some(Inline::ToInt { round: None }),
            // The FRINT immediate less the bit that suppresses the precision exception.
            ToInt
                if plain_32
                    && matches!(
                        op.round,
                        crate::ops::FpRound::N | crate::ops::FpRound::M | crate::ops::FpRound::P
                    ) =>
            {
                super::fp::rint_imm(op.round).map(|i| Inline::ToInt { round: Some(i & !8) })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fma_encodings_match_the_manual_and_the_assembler() {
        // vfmadd231pd and vfnmadd231pd xmm2, xmm0, xmm1 (VEX.128.66.0F38.W1 B8 and BC /r).
        assert_eq!(vex_fma231(false, true, 2, 0, 1), [0xc4, 0xe2, 0xf9, 0xb8, 0xd1]);
        assert_eq!(vex_fma231(true, true, 2, 0, 1), [0xc4, 0xe2, 0xf9, 0xbc, 0xd1]);
        // The single-precision forms, which dynasm-rs encodes right, over high registers too.
        for (dst, a, b) in [(0, 9, 7), (8, 1, 15), (15, 14, 0)] {
            let mut ops = dynasmrt::VecAssembler::<dynasmrt::x64::X64Relocation>::new(0);
            dynasm!(ops ; .arch x64 ; vfmadd231ps Rx(dst), Rx(a), Rx(b) ; vfnmadd231ps Rx(dst), Rx(a), Rx(b));
            let bytes = ops.finalize().expect("assembles");
            assert_eq!(&bytes[..5], vex_fma231(false, false, dst, a, b), "{dst} {a} {b}");
            assert_eq!(&bytes[5..], vex_fma231(true, false, dst, a, b), "{dst} {a} {b}");
        }
    }
}
