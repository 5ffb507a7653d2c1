//! Lowering of scalar floating point (`Op::Fp`, Arm ARM C7.2) to SSE2/SSE4.1/FMA3 on xmm0/xmm1.
//! Operands come from the block's V register cache (`vcache::VCache`) or CpuState, results go
//! to the cache. x86 and A64 differ only when a result is a NaN (propagation order, default NaN
//! sign) or a conversion is out of range: the inline code checks for that (`ucomisd r, r` +
//! `jp`, `cvttsd2si` giving the "integer indefinite") and then jumps to a slow path after the
//! block's exit (`slow.rs`) that calls [`helper_fp`], which evaluates the A64 semantics of
//! `ir::fp`. FMAX/FMIN/FMAXNM/FMINNM,
//! FRINTA/I/X, FCVTA*, fixed-point conversions and UCVTF from 64 bits always call the helper.

use super::slow::{SlowCall, SlowEntry};
use super::Lower;
use crate::cpu::off;
use crate::ir::fp::{helper_fp, FpKind, FpOp, FpTy, IntW};
use crate::ir::Val;
use crate::ops::FpRound;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

/// The precisions SSE computes in (halves always go to the helper).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sd {
    S,
    D,
}

impl Sd {
    fn of(t: FpTy) -> Option<Sd> {
        match t {
            FpTy::S => Some(Sd::S),
            FpTy::D => Some(Sd::D),
            FpTy::H => None,
        }
    }
}

/// SSE rounding immediate (bit 3: suppress the precision exception) of a static mode.
fn round_imm(r: FpRound) -> Option<i8> {
    match r {
        FpRound::N => Some(8),
        FpRound::M => Some(9),
        FpRound::P => Some(10),
        FpRound::Z => Some(11),
        _ => None,
    }
}

/// The ROUNDS* immediate of FRINT* with `r`: the static modes, X (FPCR's mode, which MXCSR
/// holds, inexact signalled) and I (FPCR's mode, quiet).
pub(super) fn rint_imm(r: FpRound) -> Option<i8> {
    match r {
        FpRound::X => Some(4),
        FpRound::Fpcr => Some(12),
        r => round_imm(r),
    }
}

impl Lower<'_> {
    /// Call `helper_fp` for `f` (integer operand in `x`), keeping every allocatable register:
    /// usable on a slow path, since the allocator's state does not change. Result in rax.
    pub(super) fn fp_call(&mut self, f: &FpOp, x: Option<u8>) {
        let arg = self.keep(super::HelperArg::Fp(FpOp { src: None, ..*f }));
        let func = helper_fp as *const () as usize as i64;
        // Four pushes keep rsp 16-byte aligned at the call, as it is in block code (r10 and
        // r11, the pinned guest registers, `call_host` keeps in CpuState around the call).
        dynasm!(self.ops ; .arch x64
            ; push rsi ; push rdi ; push r8 ; push r9
        );
        if let Some(x) = x {
            dynasm!(self.ops ; .arch x64 ; mov rdx, Rq(x));
        }
        dynasm!(self.ops ; .arch x64
            ; mov rdi, r15
            ; mov rsi, QWORD arg
        );
        self.call_host(func as u64);
        dynasm!(self.ops ; .arch x64
            ; pop r9 ; pop r8 ; pop rdi ; pop rsi
        );
    }

    /// Store the scalar in xmm0 (precision `t`) to V`d`, zeroing the rest, in the V register
    /// cache: a later op reading V`d` takes it from a register.
    fn fp_store(&mut self, t: Sd, d: u8) {
        let k = self.vput(d);
        match t {
            // Lane 0 from xmm0, lanes 1-3 zeroed.
            Sd::S => dynasm!(self.ops ; .arch x64 ; insertps Rx(k), xmm0, 0x0e),
            Sd::D => dynasm!(self.ops ; .arch x64 ; movq Rx(k), xmm0),
        }
    }

    /// The same for the scalar in eax/rax.
    fn fp_store_gpr(&mut self, t: Sd, d: u8) {
        let k = self.vput(d);
        match t {
            Sd::S => dynasm!(self.ops ; .arch x64 ; movd Rx(k), eax),
            Sd::D => dynasm!(self.ops ; .arch x64 ; movq Rx(k), rax),
        }
    }

    /// The main path of `f` is done: its slow path `slow` calls the helper and comes back here.
    fn fp_slow_return(&mut self, slow: SlowEntry, f: &FpOp, x: Option<u8>, restore_mxcsr: bool) {
        let f = FpOp { src: None, ..*f };
        self.slow_return(slow, SlowCall::Fp { f, x, restore_mxcsr });
    }

    /// Jump to the slow path `slow` when FPCR.FZ is set: x86's FTZ/DAZ differ from A64's
    /// flush-to-zero in results and flags, so the helpers do it all.
    /// Nothing where the code runs only while FPCR.FZ is clear ([`super::Runtime::fz_checks`]).
    pub(super) fn fp_slow_check(&mut self, slow: DynamicLabel) {
        if self.rt.fz_checks {
            dynasm!(self.ops ; .arch x64 ; cmp BYTE [r15 + off::FP_SLOW], 0 ; jne =>slow);
        }
    }

    /// After computing xmm0 (precision `t`): if it is a NaN or +-the smallest normal (which
    /// A64 may call tiny where x86 does not: tininess before rounding), let the helper compute
    /// the result, else store it (negated for FNMUL). Clobbers xmm1, xmm2.
    fn fp_finish(&mut self, f: &FpOp, t: Sd, negate: bool, entry: SlowEntry) {
        let slow = entry.label;
        // Only products, quotients and narrowing conversions can round a tiny value up to the
        // smallest normal: tiny sums and differences are exact, square roots and widening
        // conversions are never tiny, FRINT* gives integers.
        let tiny_check = matches!(
            f.kind,
            FpKind::Mul | FpKind::Nmul | FpKind::Div | FpKind::Madd | FpKind::Msub | FpKind::Nmadd | FpKind::Nmsub
        ) || (f.kind == FpKind::Cvt && f.ty == FpTy::D);
        let c = off::FP_CONST;
        match (t, tiny_check) {
            (Sd::S, false) => dynasm!(self.ops ; .arch x64 ; ucomiss xmm0, xmm0 ; jp =>slow),
            (Sd::D, false) => dynasm!(self.ops ; .arch x64 ; ucomisd xmm0, xmm0 ; jp =>slow),
            // |x| compared with the smallest normal: ZF is set where they are equal and where
            // they are unordered (a NaN), one check for both (a quiet compare: results are
            // never signalling NaNs).
            (Sd::S, true) => dynasm!(self.ops ; .arch x64
                ; vandps xmm2, xmm0, [r15 + c] ; ucomiss xmm2, [r15 + c + 16] ; je =>slow),
            (Sd::D, true) => dynasm!(self.ops ; .arch x64
                ; vandpd xmm2, xmm0, [r15 + c + 32] ; ucomisd xmm2, [r15 + c + 48] ; je =>slow),
        }
        if negate {
            match t {
                Sd::S => dynasm!(self.ops ; .arch x64 ; pcmpeqd xmm1, xmm1 ; pslld xmm1, 31 ; xorps xmm0, xmm1),
                Sd::D => dynasm!(self.ops ; .arch x64 ; pcmpeqd xmm1, xmm1 ; psllq xmm1, 63 ; xorpd xmm0, xmm1),
            }
        }
        self.fp_store(t, f.d);
        self.fp_slow_return(entry, f, None, false);
    }

    /// Lower `Op::Fp(f)` defining `v` at `pos`.
    pub(super) fn lower_fp(&mut self, f: FpOp, v: Val, pos: u32) {
        use FpKind::*;
        let (Some(t), Some(to)) = (Sd::of(f.ty), Sd::of(f.to)) else {
            return self.lower_fp_helper(&f, v, pos);
        };
        macro_rules! sd {
            // AVX's three-operand form: the first operand from its cache register (else loaded
            // into xmm0; xmm0's other lanes are then the operand's, which the scalar result's
            // store ignores), the second from its cache register or CpuState.
            ($vss:ident, $vsd:ident) => {{
                let n = self.fp_src(t, 0, f.n);
                let o = off::vreg(f.m);
                match (t, self.vcache.get(f.m)) {
                    (Sd::S, Some(k)) => dynasm!(self.ops ; .arch x64 ; $vss xmm0, Rx(n), Rx(k)),
                    (Sd::D, Some(k)) => dynasm!(self.ops ; .arch x64 ; $vsd xmm0, Rx(n), Rx(k)),
                    (Sd::S, None) => dynasm!(self.ops ; .arch x64 ; $vss xmm0, Rx(n), [r15 + o]),
                    (Sd::D, None) => dynasm!(self.ops ; .arch x64 ; $vsd xmm0, Rx(n), [r15 + o]),
                }
            }};
        }
        macro_rules! fma {
            // The multiplicands straight from their cache registers (only their low lanes are
            // read), the addend copied into xmm0, which the result replaces.
            ($ss:ident, $sd:ident) => {{
                self.fp_load(t, 0, f.a);
                let n = self.fp_src(t, 1, f.n);
                let m = self.fp_src(t, 2, f.m);
                match t {
                    Sd::S => dynasm!(self.ops ; .arch x64 ; $ss xmm0, Rx(n), Rx(m)),
                    Sd::D => dynasm!(self.ops ; .arch x64 ; $sd xmm0, Rx(n), Rx(m)),
                }
            }};
        }
        // (Its jump goes to the slow path of `fp_finish`: only for the ops that end there.)
        let rint_inline = f.kind == Rint && (rint_imm(f.round).is_some() || f.round == FpRound::A);
        let slow = self.slow_entry();
        if matches!(
            f.kind,
            Add | Sub | Mul | Nmul | Div | Sqrt | Madd | Msub | Nmadd | Nmsub | Cvt
        ) || rint_inline
        {
            self.fp_slow_check(slow.label);
        }
        match f.kind {
            Add => sd!(vaddss, vaddsd),
            Sub => sd!(vsubss, vsubsd),
            Mul | Nmul => sd!(vmulss, vmulsd),
            Div => sd!(vdivss, vdivsd),
            Sqrt => {
                self.fp_load(t, 1, f.n);
                match t {
                    Sd::S => dynasm!(self.ops ; .arch x64 ; sqrtss xmm0, xmm1),
                    Sd::D => dynasm!(self.ops ; .arch x64 ; sqrtsd xmm0, xmm1),
                }
            }
            // d = a + n*m: xmm0 = xmm1 * xmm2 + xmm0.
            Madd => fma!(vfmadd231ss, vfmadd231sd),
            // a - n*m = -(n*m) + a.
            Msub => fma!(vfnmadd231ss, vfnmadd231sd),
            // -a - n*m = -(n*m) - a.
            Nmadd => fma!(vfnmsub231ss, vfnmsub231sd),
            // -a + n*m = n*m - a.
            Nmsub => fma!(vfmsub231ss, vfmsub231sd),
            Rint if rint_imm(f.round).is_some() => {
                let i = rint_imm(f.round).unwrap();
                self.fp_load(t, 1, f.n);
                match t {
                    Sd::S => dynasm!(self.ops ; .arch x64 ; roundss xmm0, xmm1, i),
                    Sd::D => dynasm!(self.ops ; .arch x64 ; roundsd xmm0, xmm1, i),
                }
            }
            Rint if f.round == FpRound::A => {
                self.fp_load(t, 0, f.n);
                self.round_away(t, false);
            }
            Max | Min | MaxNm | MinNm => return self.lower_fp_max_min(&f, t),
            Cvt => {
                self.fp_load(t, 1, f.n);
                match t {
                    Sd::S => dynasm!(self.ops ; .arch x64 ; cvtss2sd xmm0, xmm1),
                    Sd::D => dynasm!(self.ops ; .arch x64 ; cvtsd2ss xmm0, xmm1),
                }
                self.fp_finish(&f, to, false, slow);
                return;
            }
            Abs | Neg => {
                match (self.vcache.get(f.n), t) {
                    (Some(k), Sd::S) => dynasm!(self.ops ; .arch x64 ; movd eax, Rx(k)),
                    (Some(k), Sd::D) => dynasm!(self.ops ; .arch x64 ; movq rax, Rx(k)),
                    (None, Sd::S) => dynasm!(self.ops ; .arch x64 ; mov eax, [r15 + off::vreg(f.n)]),
                    (None, Sd::D) => dynasm!(self.ops ; .arch x64 ; mov rax, [r15 + off::vreg(f.n)]),
                }
                match (t, f.kind == Abs) {
                    (Sd::S, true) => dynasm!(self.ops ; .arch x64 ; btr eax, 31),
                    (Sd::S, false) => dynasm!(self.ops ; .arch x64 ; btc eax, 31),
                    (Sd::D, true) => dynasm!(self.ops ; .arch x64 ; btr rax, 63),
                    (Sd::D, false) => dynasm!(self.ops ; .arch x64 ; btc rax, 63),
                }
                return self.fp_store_gpr(t, f.d);
            }
            Cmp => return self.lower_fp_cmp(&f, t, v, pos),
            ToInt if round_imm(f.round).is_some() || f.round == FpRound::A => {
                return self.lower_fp_to_int(&f, t, v, pos)
            }
            FromInt => return self.lower_fp_from_int(&f, t, pos),
            _ => return self.lower_fp_helper(&f, v, pos),
        }
        self.fp_finish(&f, t, f.kind == Nmul, slow);
    }

    /// `Op::Fp(f)` by a call of the helper.
    fn lower_fp_helper(&mut self, f: &FpOp, v: Val, pos: u32) {
        self.main_path_calls.push(pos);
        // The call reads CpuState, clobbers the cache's registers and may write a V register.
        self.vcache_release();
        let x = f.src.map(|s| self.alloc.get(self.ops, s, pos));
        let d = if f.has_value() {
            Some(self.alloc.def(self.ops, v, pos, None))
        } else {
            None
        };
        self.fp_call(f, x);
        if let Some(d) = d {
            dynasm!(self.ops ; .arch x64 ; mov Rq(d), rax);
        }
    }

    /// FCMP, FCMPE, FCCMP, FCCMPE (`Op::Fp` of kind `Cmp`): the packed NZCV of the comparison
    /// in `v`, by UCOMIS*/COMIS*; the helper when the operands need it.
    fn lower_fp_cmp(&mut self, f: &FpOp, t: Sd, v: Val, pos: u32) {
        let x = f.src.map(|s| self.alloc.get(self.ops, s, pos));
        let d = self.alloc.def(self.ops, v, pos, None);
        dynasm!(self.ops ; .arch x64 ; xor eax, eax);
        if let Some(x) = x {
            // FCCMP: no comparison when the condition fails (the value is then unused).
            dynasm!(self.ops ; .arch x64 ; test Rq(x), Rq(x) ; jz >done);
        }
        let slow = self.slow_entry();
        self.fp_slow_check(slow.label);
        self.fp_load(t, 0, f.n);
        if f.zero {
            dynasm!(self.ops ; .arch x64 ; xorps xmm1, xmm1);
        } else {
            self.fp_load(t, 1, f.m);
        }
        // COMIS* raise IE on quiet NaNs too (FCMPE), UCOMIS* on signalling ones only.
        match (t, f.signal) {
            (Sd::S, false) => dynasm!(self.ops ; .arch x64 ; ucomiss xmm0, xmm1),
            (Sd::D, false) => dynasm!(self.ops ; .arch x64 ; ucomisd xmm0, xmm1),
            (Sd::S, true) => dynasm!(self.ops ; .arch x64 ; comiss xmm0, xmm1),
            (Sd::D, true) => dynasm!(self.ops ; .arch x64 ; comisd xmm0, xmm1),
        }
        // greater 0010, less 1000 (CF), equal 0110 (ZF), unordered 0011 (ZF, PF, CF).
        dynasm!(self.ops ; .arch x64
            ; mov eax, 0x2000_0000
            ; mov ecx, 0x8000_0000u32 as i32 ; cmovb eax, ecx
            ; mov ecx, 0x6000_0000 ; cmove eax, ecx
            ; mov ecx, 0x3000_0000 ; cmovp eax, ecx
        );
        self.fp_slow_return(slow, f, x, false);
        dynasm!(self.ops ; .arch x64 ; done: ; mov Rd(d), eax);
    }

    /// FCVT*S/U to an integer register with a rounding SSE4.1 has (`Op::Fp` of kind `ToInt`,
    /// no fraction bits): ROUNDS* then CVTTS*2SI, the helper when the value saturates.
    fn lower_fp_to_int(&mut self, f: &FpOp, t: Sd, v: Val, pos: u32) {
        let d = self.alloc.def(self.ops, v, pos, None);
        // CVTTS*2SI raises exactly A64's flags for signed conversions (IE when NaN or out
        // of range, else PE when inexact). Otherwise ROUNDS* may raise PE for a value
        // whose conversion then saturates (A64: IOC alone), so the slow path puts back
        // the flags from before the operation (kept in CpuState::mxcsr, which is not
        // read while translated code runs).
        // (A fixed-point scale may overflow too.)
        let direct = f.signed && f.round == FpRound::Z && f.fbits == 0;
        if !direct {
            dynasm!(self.ops ; .arch x64 ; stmxcsr [r15 + off::MXCSR]);
        }
        let slow = self.slow_entry();
        self.fp_slow_check(slow.label);
        self.fp_load(t, 0, f.n);
        // Fixed point: times 2^fbits, exact but for an overflow to infinity (which saturates).
        self.fp_scale(t, f.fbits as i32);
        match round_imm(f.round) {
            _ if f.round == FpRound::Z => {}
            // Static rounding (bit 2 clear), precision exception signalled (bit 3 clear).
            Some(i) => {
                let i = i & 3;
                match t {
                    Sd::S => dynasm!(self.ops ; .arch x64 ; roundss xmm0, xmm0, i),
                    Sd::D => dynasm!(self.ops ; .arch x64 ; roundsd xmm0, xmm0, i),
                }
            }
            None => self.round_away(t, true),
        }
        let w32 = f.signed && f.int == IntW::W32;
        match (t, w32) {
            (Sd::S, true) => dynasm!(self.ops ; .arch x64 ; cvttss2si eax, xmm0),
            (Sd::S, false) => dynasm!(self.ops ; .arch x64 ; cvttss2si rax, xmm0),
            (Sd::D, true) => dynasm!(self.ops ; .arch x64 ; cvttsd2si eax, xmm0),
            (Sd::D, false) => dynasm!(self.ops ; .arch x64 ; cvttsd2si rax, xmm0),
        }
        // Out of range or NaN: x86 gives the "integer indefinite" (MIN); A64 saturates.
        match (f.signed, f.int == IntW::W64) {
            (true, true) => dynasm!(self.ops ; .arch x64 ; cmp rax, 1 ; jo =>slow.label),
            (true, false) => dynasm!(self.ops ; .arch x64 ; cmp eax, 1 ; jo =>slow.label),
            (false, true) => dynasm!(self.ops ; .arch x64 ; test rax, rax ; js =>slow.label),
            (false, false) => dynasm!(self.ops ; .arch x64 ; mov rcx, rax ; shr rcx, 32 ; jnz =>slow.label),
        }
        self.fp_slow_return(slow, f, None, !direct);
        dynasm!(self.ops ; .arch x64 ; mov Rq(d), rax);
    }

    /// xmm`x` = the scalar of V`v` (with, from the V register cache, its other lanes, which
    /// scalar operations ignore). A register the cache does not hold is read as a scalar and
    /// not cached: a 16-byte load of a register last written by a general register's two
    /// 8-byte stores would wait for them (no store forwarding).
    fn fp_load(&mut self, t: Sd, x: u8, v: u8) {
        if let Some(k) = self.vcache.get(v) {
            dynasm!(self.ops ; .arch x64 ; movaps Rx(x), Rx(k));
            return;
        }
        let o = off::vreg(v);
        match t {
            Sd::S => dynasm!(self.ops ; .arch x64 ; movss Rx(x), [r15 + o]),
            Sd::D => dynasm!(self.ops ; .arch x64 ; movsd Rx(x), [r15 + o]),
        }
    }

    /// The register holding the scalar of V`v` for an operation that reads it and no other
    /// lane: its cache register, else xmm`scratch` loaded as in [`Lower::fp_load`].
    fn fp_src(&mut self, t: Sd, scratch: u8, v: u8) -> u8 {
        match self.vcache.get(v) {
            Some(k) => k,
            None => {
                self.fp_load(t, scratch, v);
                scratch
            }
        }
    }

    /// xmm0 = xmm0 rounded to an integral value, ties away from zero (FRINTA, FCVTA*): the
    /// truncation, plus one of the value's sign where the part cut off is at least one half
    /// (both exact). A value of 2^52 (2^23) or more is integral, an infinity or a NaN, and
    /// stays. The truncation signals PE when `inexact` (the conversions raise IXC for a
    /// fraction), else nothing is raised. Clobbers xmm1, xmm2, rax, rcx.
    fn round_away(&mut self, t: Sd, inexact: bool) {
        let i = if inexact { 3 } else { 11 };
        match t {
            Sd::D => dynasm!(self.ops ; .arch x64
                ; movq rax, xmm0 ; btr rax, 63 ; mov rcx, QWORD 0x4330_0000_0000_0000 ; cmp rax, rcx ; jae >whole
                ; movapd xmm1, xmm0 ; roundsd xmm0, xmm1, i ; movapd xmm2, xmm1 ; subsd xmm2, xmm0
                ; movq rax, xmm2 ; btr rax, 63 ; mov rcx, QWORD 0x3fe0_0000_0000_0000 ; cmp rax, rcx ; jb >whole
                ; movq rax, xmm1 ; shr rax, 63 ; shl rax, 63 ; mov rcx, QWORD 0x3ff0_0000_0000_0000
                ; or rax, rcx ; movq xmm2, rax ; addsd xmm0, xmm2
                ; whole:
            ),
            Sd::S => dynasm!(self.ops ; .arch x64
                ; movd eax, xmm0 ; btr eax, 31 ; cmp eax, 0x4b00_0000 ; jae >whole
                ; movaps xmm1, xmm0 ; roundss xmm0, xmm1, i ; movaps xmm2, xmm1 ; subss xmm2, xmm0
                ; movd eax, xmm2 ; btr eax, 31 ; cmp eax, 0x3f00_0000 ; jb >whole
                ; movd eax, xmm1 ; and eax, 0x8000_0000u32 as i32 ; or eax, 0x3f80_0000
                ; movd xmm2, eax ; addss xmm0, xmm2
                ; whole:
            ),
        }
    }

    /// FMAX, FMIN, FMAXNM, FMINNM: when neither operand is a NaN, all four give the larger
    /// (smaller) operand, +0 over -0 for the max and -0 for the min. MAXS*/MINS* differ on
    /// zeros and NaNs, so the comparison picks: equal values combine bitwise (AND for the
    /// max, OR for the min: only +-0 differ), and a NaN goes to the helper.
    fn lower_fp_max_min(&mut self, f: &FpOp, t: Sd) {
        let max = matches!(f.kind, FpKind::Max | FpKind::MaxNm);
        let slow = self.slow_entry();
        self.fp_slow_check(slow.label);
        self.fp_load(t, 0, f.n);
        self.fp_load(t, 1, f.m);
        match t {
            Sd::S => dynasm!(self.ops ; .arch x64 ; ucomiss xmm0, xmm1),
            Sd::D => dynasm!(self.ops ; .arch x64 ; ucomisd xmm0, xmm1),
        }
        dynasm!(self.ops ; .arch x64 ; jp =>slow.label ; je >equal);
        if max {
            dynasm!(self.ops ; .arch x64 ; ja >pick);
        } else {
            dynasm!(self.ops ; .arch x64 ; jb >pick);
        }
        dynasm!(self.ops ; .arch x64 ; movaps xmm0, xmm1 ; jmp >pick ; equal:);
        if max {
            dynasm!(self.ops ; .arch x64 ; andps xmm0, xmm1);
        } else {
            dynasm!(self.ops ; .arch x64 ; orps xmm0, xmm1);
        }
        dynasm!(self.ops ; .arch x64 ; pick:);
        self.fp_store(t, f.d);
        self.fp_slow_return(slow, f, None, false);
    }

    /// SCVTF, UCVTF from a general register, fixed-point too (a 64-bit unsigned value through
    /// [`Lower::cvt_u64_rax`]).
    fn lower_fp_from_int(&mut self, f: &FpOp, t: Sd, pos: u32) {
        let x = self.alloc.get(self.ops, f.src.expect("FromInt has a source"), pos);
        dynasm!(self.ops ; .arch x64 ; pxor xmm0, xmm0);
        match (t, f.signed, f.int) {
            (Sd::S, true, IntW::W64) => dynasm!(self.ops ; .arch x64 ; cvtsi2ss xmm0, Rq(x)),
            (Sd::S, true, _) => dynasm!(self.ops ; .arch x64 ; cvtsi2ss xmm0, Rd(x)),
            (Sd::D, true, IntW::W64) => dynasm!(self.ops ; .arch x64 ; cvtsi2sd xmm0, Rq(x)),
            (Sd::D, true, _) => dynasm!(self.ops ; .arch x64 ; cvtsi2sd xmm0, Rd(x)),
            (_, false, IntW::W64) => {
                dynasm!(self.ops ; .arch x64 ; mov rax, Rq(x));
                self.cvt_u64_rax(t, 0);
            }
            (Sd::S, false, _) => dynasm!(self.ops ; .arch x64 ; mov eax, Rd(x) ; cvtsi2ss xmm0, rax),
            (Sd::D, false, _) => dynasm!(self.ops ; .arch x64 ; mov eax, Rd(x) ; cvtsi2sd xmm0, rax),
        }
        // Fixed point: the integer rounded once, then scaled by 2^-fbits (exact: an integer
        // of at most 64 bits times 2^-64 is far from the denormals).
        self.fp_scale(t, -(f.fbits as i32));
        self.fp_store(t, f.d);
    }

    /// xmm`x`'s low element = the unsigned 64-bit rax converted, rounded once as MXCSR says: a
    /// value with its top bit set is halved first, its lowest bit kept as a sticky bit (so the
    /// one rounding sees what it would have), converted signed and doubled (exact). Clobbers
    /// rax, rcx.
    pub(super) fn cvt_u64_rax(&mut self, t: Sd, x: u8) {
        dynasm!(self.ops ; .arch x64
            ; test rax, rax ; jns >small
            ; mov rcx, rax ; shr rax, 1 ; and ecx, 1 ; or rax, rcx
        );
        match t {
            Sd::S => {
                dynasm!(self.ops ; .arch x64 ; cvtsi2ss Rx(x), rax ; addss Rx(x), Rx(x) ; jmp >converted ; small: ; cvtsi2ss Rx(x), rax)
            }
            Sd::D => {
                dynasm!(self.ops ; .arch x64 ; cvtsi2sd Rx(x), rax ; addsd Rx(x), Rx(x) ; jmp >converted ; small: ; cvtsi2sd Rx(x), rax)
            }
        }
        dynasm!(self.ops ; .arch x64 ; converted:);
    }

    /// xmm0 *= 2^`e` (nothing for 0). Clobbers xmm1, rax.
    fn fp_scale(&mut self, t: Sd, e: i32) {
        if e == 0 {
            return;
        }
        match t {
            Sd::S => {
                let bits = ((127 + e) as u32) << 23;
                dynasm!(self.ops ; .arch x64 ; mov eax, bits as i32 ; movd xmm1, eax ; mulss xmm0, xmm1);
            }
            Sd::D => {
                let bits = ((1023 + e) as u64) << 52;
                dynasm!(self.ops ; .arch x64 ; mov rax, QWORD bits as i64 ; movq xmm1, rax ; mulsd xmm0, xmm1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use dynasmrt::{dynasm, x64::X64Relocation, DynasmApi, VecAssembler};
    use iced_x86::{Code, Decoder, DecoderOptions, Register};

    fn xmm(n: u8) -> Register {
        Register::try_from(Register::XMM0 as usize + n as usize).unwrap()
    }

    /// Decode `ops`' code as instructions of `codes` in turn, each `op xmm0, xmm<n>, xmm<m>`.
    fn assert_decodes(ops: VecAssembler<X64Relocation>, codes: &[Code], n: u8, m: u8) -> Vec<u8> {
        let bytes = ops.finalize().unwrap();
        let mut dec = Decoder::new(64, &bytes, DecoderOptions::NONE);
        for &code in codes {
            let i = dec.decode();
            let what = format!("{code:?} xmm0, xmm{n}, xmm{m}: {bytes:02x?}");
            assert_eq!(i.code(), code, "{what}");
            assert_eq!(
                [i.op0_register(), i.op1_register(), i.op2_register()],
                [Register::XMM0, xmm(n), xmm(m)],
                "{what}"
            );
        }
        bytes
    }

    /// The scalar FMA forms with their multiplicands in registers chosen at run time (the V
    /// register cache's), as the lowering emits them: dynasm-rs gets the packed doubles' VEX.W
    /// wrong (see `vfp::vex_fma231`), so each is decoded back.
    #[test]
    fn scalar_fma_with_registers_chosen_at_run_time_decodes_as_meant() {
        for n in 0..16u8 {
            for m in 0..16u8 {
                let mut ops = VecAssembler::<X64Relocation>::new(0);
                dynasm!(ops ; .arch x64
                    ; vfmadd231sd xmm0, Rx(n), Rx(m) ; vfmadd231ss xmm0, Rx(n), Rx(m)
                    ; vfnmadd231sd xmm0, Rx(n), Rx(m) ; vfnmadd231ss xmm0, Rx(n), Rx(m)
                    ; vfnmsub231sd xmm0, Rx(n), Rx(m) ; vfnmsub231ss xmm0, Rx(n), Rx(m)
                    ; vfmsub231sd xmm0, Rx(n), Rx(m) ; vfmsub231ss xmm0, Rx(n), Rx(m)
                );
                let codes = [
                    Code::VEX_Vfmadd231sd_xmm_xmm_xmmm64,
                    Code::VEX_Vfmadd231ss_xmm_xmm_xmmm32,
                    Code::VEX_Vfnmadd231sd_xmm_xmm_xmmm64,
                    Code::VEX_Vfnmadd231ss_xmm_xmm_xmmm32,
                    Code::VEX_Vfnmsub231sd_xmm_xmm_xmmm64,
                    Code::VEX_Vfnmsub231ss_xmm_xmm_xmmm32,
                    Code::VEX_Vfmsub231sd_xmm_xmm_xmmm64,
                    Code::VEX_Vfmsub231ss_xmm_xmm_xmmm32,
                ];
                assert_decodes(ops, &codes, n, m);
            }
        }
    }

    /// The AVX scalar arithmetic of an operand in a register with one in a register or in
    /// CpuState, registers chosen at run time.
    #[test]
    fn scalar_avx_arithmetic_with_registers_chosen_at_run_time_decodes_as_meant() {
        for n in 0..16u8 {
            for m in 0..16u8 {
                let mut ops = VecAssembler::<X64Relocation>::new(0);
                dynasm!(ops ; .arch x64
                    ; vaddsd xmm0, Rx(n), Rx(m) ; vsubss xmm0, Rx(n), Rx(m)
                    ; vmulsd xmm0, Rx(n), Rx(m) ; vdivss xmm0, Rx(n), Rx(m)
                    ; vdivsd xmm0, Rx(n), [r15 + 0x1a0]
                );
                let codes = [
                    Code::VEX_Vaddsd_xmm_xmm_xmmm64,
                    Code::VEX_Vsubss_xmm_xmm_xmmm32,
                    Code::VEX_Vmulsd_xmm_xmm_xmmm64,
                    Code::VEX_Vdivss_xmm_xmm_xmmm32,
                ];
                let bytes = assert_decodes(ops, &codes, n, m);
                let mut dec = Decoder::new(64, &bytes, DecoderOptions::NONE);
                let i = dec.iter().nth(codes.len()).unwrap();
                assert_eq!(i.code(), Code::VEX_Vdivsd_xmm_xmm_xmmm64);
                assert_eq!([i.op0_register(), i.op1_register()], [Register::XMM0, xmm(n)]);
                assert_eq!((i.memory_base(), i.memory_displacement64()), (Register::R15, 0x1a0));
            }
        }
    }
}
