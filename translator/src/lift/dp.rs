//! Lifting of data-processing instructions, immediate and register (Arm ARM C6: ADD, SUB, AND,
//! ORR, EOR, MOVZ/MOVN/MOVK, ADR(P), SBFM/BFM/UBFM, EXTR, REV, CLZ, CLS, RBIT, UDIV/SDIV, shifts,
//! MADD family, CSEL family, CCMP/CCMN).

use super::{cc, sz, Ctx};
use crate::a64::*;
use crate::ir::{BinOp, Op, Sz, UnOp, Val};

/// `ADD`/`SUB` with optional flag setting, on already-formed operands.
fn add_sub(cx: &mut Ctx, sub: bool, setflags: bool, w: Width, rd: Reg, a: Val, b: Val) {
    let s = sz(w);
    let r = cx.bin(if sub { BinOp::Sub } else { BinOp::Add }, s, a, b);
    if setflags {
        let f = cx.b.push(if sub {
            Op::FlagsSub(s, a, b)
        } else {
            Op::FlagsAdd(s, a, b)
        });
        cx.b.set_flags(f);
    }
    cx.write(rd, w, r);
}

fn logical(cx: &mut Ctx, op: LogicOp, w: Width, rd: Reg, a: Val, b: Val) {
    let s = sz(w);
    let r = match op {
        LogicOp::And | LogicOp::Ands => cx.bin(BinOp::And, s, a, b),
        LogicOp::Orr => cx.bin(BinOp::Or, s, a, b),
        LogicOp::Eor => cx.bin(BinOp::Xor, s, a, b),
    };
    if op == LogicOp::Ands {
        let f = cx.b.push(Op::FlagsLogic(s, r));
        cx.b.set_flags(f);
    }
    cx.write(rd, w, r);
}

fn ones(n: u32) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// SBFM/BFM/UBFM, expressed as shifts and masks (the aliases ASR, LSL, LSR, SXT*, UXT*, SBFX,
/// UBFX, SBFIZ, UBFIZ, BFI, BFXIL all fall out of these cases).
fn bitfield(cx: &mut Ctx, op: BfmOp, w: Width, rd: Reg, rn: Reg, immr: u32, imms: u32) {
    let s = sz(w);
    let bits = w.bits();
    let src = cx.read(rn);
    let r = match op {
        // The extension aliases: SXTB/SXTH/SXTW, UXTB/UXTH.
        BfmOp::Sbfm if immr == 0 && matches!(imms, 7 | 15 | 31) => {
            let e = [UnOp::Sext8, UnOp::Sext16, UnOp::Sext32][(imms / 8).min(2) as usize];
            cx.un(e, s, src)
        }
        BfmOp::Ubfm if immr == 0 && matches!(imms, 7 | 15) => {
            cx.un(if imms == 7 { UnOp::Zext8 } else { UnOp::Zext16 }, s, src)
        }
        // UBFX/LSR: shift down, then mask unless the field reaches the top.
        BfmOp::Ubfm if imms >= immr => {
            let sh = cx.k(immr as u64);
            let t = cx.bin(BinOp::Lshr, s, src, sh);
            if imms == bits - 1 {
                t
            } else {
                let m = cx.k(ones(imms - immr + 1));
                cx.bin(BinOp::And, s, t, m)
            }
        }
        // UBFIZ/LSL: mask, then shift up.
        BfmOp::Ubfm => {
            // For LSL (imms + 1 == immr) the shift alone drops the bits the mask would clear.
            let t = if imms + 1 == immr {
                src
            } else {
                let m = cx.k(ones(imms + 1));
                cx.bin(BinOp::And, s, src, m)
            };
            let sh = cx.k((bits - immr) as u64);
            cx.bin(BinOp::Shl, s, t, sh)
        }
        BfmOp::Sbfm => {
            let right = BinOp::Ashr;
            if imms >= immr {
                // Extract bits imms:immr to the bottom: shift the field to the top, then back down.
                let up = cx.k((bits - 1 - imms) as u64);
                let t = cx.bin(BinOp::Shl, s, src, up);
                let down = cx.k((bits - 1 - imms + immr) as u64);
                cx.bin(right, s, t, down)
            } else {
                // Insert bits imms:0 at position bits-immr.
                let up = cx.k((bits - 1 - imms) as u64);
                let t = cx.bin(BinOp::Shl, s, src, up);
                let down = cx.k((bits - 1 - imms) as u64);
                let t = cx.bin(right, s, t, down);
                let lsb = cx.k((bits - immr) as u64);
                cx.bin(BinOp::Shl, s, t, lsb)
            }
        }
        BfmOp::Bfm => {
            let dst = cx.read(rd);
            let (field, lsb, len) = if imms >= immr {
                let sh = cx.k(immr as u64);
                (cx.bin(BinOp::Lshr, s, src, sh), 0, imms - immr + 1)
            } else {
                (src, bits - immr, imms + 1)
            };
            let m = ones(len);
            let mk = cx.k(m);
            let f = cx.bin(BinOp::And, s, field, mk);
            let f = if lsb > 0 {
                let l = cx.k(lsb as u64);
                cx.bin(BinOp::Shl, s, f, l)
            } else {
                f
            };
            let keep = cx.k(!(m << lsb) & ones(bits));
            let d = cx.bin(BinOp::And, s, dst, keep);
            cx.bin(BinOp::Or, s, d, f)
        }
    };
    cx.write(rd, w, r);
}

/// Lift one data-processing instruction.
pub(super) fn lift(cx: &mut Ctx, inst: DpInst) {
    match inst {
        DpInst::AddSubImm {
            sub,
            setflags,
            w,
            rd,
            rn,
            imm,
        } => {
            let a = cx.read(rn);
            let b = cx.k(imm);
            add_sub(cx, sub, setflags, w, rd, a, b);
        }
        DpInst::AddSubShifted {
            sub,
            setflags,
            w,
            rd,
            rn,
            rm,
            shift,
            amount,
        } => {
            let a = cx.read(rn);
            let m = cx.read(rm);
            let b = cx.shift(m, shift, amount, sz(w));
            add_sub(cx, sub, setflags, w, rd, a, b);
        }
        DpInst::AddSubExtended {
            sub,
            setflags,
            w,
            rd,
            rn,
            rm,
            extend,
            amount,
        } => {
            let a = cx.read(rn);
            let m = cx.read(rm);
            let b = cx.extend(m, extend, amount);
            add_sub(cx, sub, setflags, w, rd, a, b);
        }
        DpInst::AddSubCarry {
            sub,
            setflags,
            w,
            rd,
            rn,
            rm,
        } => add_sub_carry(cx, sub, setflags, w, rd, rn, rm),
        DpInst::LogicalImm { op, w, rd, rn, imm } => {
            let a = cx.read(rn);
            let b = cx.k(imm);
            logical(cx, op, w, rd, a, b);
        }
        DpInst::LogicalShifted {
            op,
            invert,
            w,
            rd,
            rn,
            rm,
            shift,
            amount,
        } => {
            let a = cx.read(rn);
            let m = cx.read(rm);
            let b = cx.shift(m, shift, amount, sz(w));
            let b = if invert { cx.un(UnOp::Not, sz(w), b) } else { b };
            logical(cx, op, w, rd, a, b);
        }
        DpInst::MoveWide {
            op,
            w,
            rd,
            imm16,
            shift,
        } => move_wide(cx, op, w, rd, imm16, shift),
        DpInst::Adr { rd, page, offset } => {
            let base = if page { cx.pc & !0xfff } else { cx.pc };
            let v = cx.k(base.wrapping_add(offset as u64));
            cx.write(rd, Width::W64, v);
        }
        DpInst::Bitfield {
            op,
            w,
            rd,
            rn,
            immr,
            imms,
        } => bitfield(cx, op, w, rd, rn, immr as u32, imms as u32),
        DpInst::Extr { w, rd, rn, rm, lsb } => extr(cx, w, rd, rn, rm, lsb),
        DpInst::Dp1 { op, w, rd, rn } => dp1(cx, op, w, rd, rn),
        DpInst::Dp2 { op, w, rd, rn, rm } => {
            let a = cx.read(rn);
            let b = cx.read(rm);
            let bop = match op {
                Dp2Op::Udiv => BinOp::UDiv,
                Dp2Op::Sdiv => BinOp::SDiv,
                Dp2Op::Lslv => BinOp::Shl,
                Dp2Op::Lsrv => BinOp::Lshr,
                Dp2Op::Asrv => BinOp::Ashr,
                Dp2Op::Rorv => BinOp::Ror,
            };
            let r = cx.bin(bop, sz(w), a, b);
            cx.write(rd, w, r);
        }
        DpInst::Dp3 { op, w, rd, rn, rm, ra } => dp3(cx, op, w, rd, rn, rm, ra),
        DpInst::CondSelect {
            op,
            w,
            cond,
            rd,
            rn,
            rm,
        } => cond_select(cx, op, w, cond, rd, rn, rm),
        DpInst::CondCompare {
            negate,
            w,
            cond,
            rn,
            operand,
            nzcv,
        } => cond_compare(cx, negate, w, cond, rn, operand, nzcv),
        DpInst::Crc32 {
            castagnoli,
            size,
            rd,
            rn,
            rm,
        } => {
            let acc = cx.read(rn);
            let data = cx.read(rm);
            let r = cx.b.push(Op::Crc32 {
                castagnoli,
                size: crate::ir::Log2(size as u8),
                acc,
                data,
            });
            cx.write(rd, Width::W32, r);
        }
        DpInst::FlagM(op) => flagm(cx, op),
    }
}

/// ADC, ADCS, SBC, SBCS: `a + b + C`, with NOT(b) for the subtractions.
fn add_sub_carry(cx: &mut Ctx, sub: bool, setflags: bool, w: Width, rd: Reg, rn: Reg, rm: Reg) {
    let s = sz(w);
    let a = cx.read(rn);
    let b = cx.read(rm);
    let c = cx.cond_val_on(Cond::Cs);
    // SBC is a + NOT(b) + C.
    let bb = if sub { cx.un(UnOp::Not, s, b) } else { b };
    let t = cx.bin(BinOp::Add, s, a, bb);
    let r = cx.bin(BinOp::Add, s, t, c);
    if setflags {
        let nf = cx.b.push(if sub {
            Op::FlagsSbc(s, a, b, c)
        } else {
            Op::FlagsAdc(s, a, b, c)
        });
        cx.b.set_flags(nf);
    }
    cx.write(rd, w, r);
}

/// MOVZ, MOVN, MOVK.
fn move_wide(cx: &mut Ctx, op: MovOp, w: Width, rd: Reg, imm16: u16, shift: u8) {
    let v = (imm16 as u64) << shift;
    let r = match op {
        MovOp::Movz => cx.k(v),
        MovOp::Movn => cx.k(!v & ones(w.bits())),
        MovOp::Movk => {
            let old = cx.read(rd);
            let keep = cx.k(!(0xffffu64 << shift));
            let t = cx.bin(BinOp::And, sz(w), old, keep);
            let nv = cx.k(v);
            cx.bin(BinOp::Or, sz(w), t, nv)
        }
    };
    cx.write(rd, w, r);
}

/// EXTR (and ROR immediate, its alias): the `w`-bit field at `lsb` of Rn:Rm.
fn extr(cx: &mut Ctx, w: Width, rd: Reg, rn: Reg, rm: Reg, lsb: u8) {
    let s = sz(w);
    let lo = cx.read(rm);
    let r = if lsb == 0 {
        lo
    } else {
        let hi = cx.read(rn);
        let l = cx.k(lsb as u64);
        let a = cx.bin(BinOp::Lshr, s, lo, l);
        let h = cx.k((w.bits() - lsb as u32) as u64);
        let b = cx.bin(BinOp::Shl, s, hi, h);
        cx.bin(BinOp::Or, s, a, b)
    };
    cx.write(rd, w, r);
}

/// The one-source operations: RBIT, REV, REV16, REV32, CLZ, CLS.
fn dp1(cx: &mut Ctx, op: Dp1Op, w: Width, rd: Reg, rn: Reg) {
    let s = sz(w);
    let a = cx.read(rn);
    let r = match op {
        Dp1Op::Rbit => cx.un(UnOp::Rbit, s, a),
        Dp1Op::Rev => cx.un(UnOp::Bswap, s, a),
        // CLZ of an RBIT of the same width (the block's own: its operand is still in SSA form)
        // counts trailing zeros: one TZCNT where the RBIT took twenty host instructions. The
        // RBIT's value stays for any other reader; the dead-code pass drops it otherwise.
        Dp1Op::Clz => match *cx.b.op(a) {
            Op::Un(UnOp::Rbit, rs, x) if rs == s => cx.un(UnOp::Ctz, s, x),
            _ => cx.un(UnOp::Clz, s, a),
        },
        Dp1Op::Rev32 => {
            // Byte-reverse each word: bswap64 then swap the words back.
            let t = cx.un(UnOp::Bswap, Sz::S64, a);
            let k = cx.k(32);
            cx.bin(BinOp::Ror, Sz::S64, t, k)
        }
        Dp1Op::Rev16 => {
            let m = cx.k(0x00ff_00ff_00ff_00ff & ones(w.bits()));
            let k8 = cx.k(8);
            let hi = cx.bin(BinOp::Lshr, s, a, k8);
            let hi = cx.bin(BinOp::And, s, hi, m);
            let lo = cx.bin(BinOp::And, s, a, m);
            let lo = cx.bin(BinOp::Shl, s, lo, k8);
            cx.bin(BinOp::Or, s, hi, lo)
        }
        Dp1Op::Cls => {
            // CLS(x) = CLZ(x EOR (x ASR 1)) - 1
            let one = cx.k(1);
            let t = cx.bin(BinOp::Ashr, s, a, one);
            let t = cx.bin(BinOp::Xor, s, a, t);
            let z = cx.un(UnOp::Clz, s, t);
            cx.bin(BinOp::Sub, s, z, one)
        }
    };
    cx.write(rd, w, r);
}

/// The three-source operations: MADD/MSUB, the long multiply-adds, SMULH/UMULH.
fn dp3(cx: &mut Ctx, op: Dp3Op, w: Width, rd: Reg, rn: Reg, rm: Reg, ra: Reg) {
    let s = sz(w);
    let a = cx.read(rn);
    let b = cx.read(rm);
    let r = match op {
        Dp3Op::Smulh => cx.bin(BinOp::SMulH, Sz::S64, a, b),
        Dp3Op::Umulh => cx.bin(BinOp::UMulH, Sz::S64, a, b),
        _ => {
            let (a, b, s) = match op {
                Dp3Op::Smaddl | Dp3Op::Smsubl => (
                    cx.un(UnOp::Sext32, Sz::S64, a),
                    cx.un(UnOp::Sext32, Sz::S64, b),
                    Sz::S64,
                ),
                Dp3Op::Umaddl | Dp3Op::Umsubl => (
                    cx.un(UnOp::Zext32, Sz::S64, a),
                    cx.un(UnOp::Zext32, Sz::S64, b),
                    Sz::S64,
                ),
                _ => (a, b, s),
            };
            let p = cx.bin(BinOp::Mul, s, a, b);
            let acc = cx.read(ra);
            let sub = matches!(op, Dp3Op::Msub | Dp3Op::Smsubl | Dp3Op::Umsubl);
            cx.bin(if sub { BinOp::Sub } else { BinOp::Add }, s, acc, p)
        }
    };
    cx.write(rd, w, r);
}

/// CSEL, CSINC, CSINV, CSNEG.
fn cond_select(cx: &mut Ctx, op: CselOp, w: Width, cond: Cond, rd: Reg, rn: Reg, rm: Reg) {
    let s = sz(w);
    let a = cx.read(rn);
    let m = cx.read(rm);
    let b = match op {
        CselOp::Csel => m,
        CselOp::Csinc => {
            let one = cx.k(1);
            cx.bin(BinOp::Add, s, m, one)
        }
        CselOp::Csinv => cx.un(UnOp::Not, s, m),
        CselOp::Csneg => cx.un(UnOp::Neg, s, m),
    };
    let r = if matches!(cond, Cond::Al | Cond::Nv) {
        a
    } else {
        cx.select_on(cond, a, b)
    };
    cx.write(rd, w, r);
}

/// CCMP, CCMN: the comparison's flags if `cond` holds, else `nzcv`.
fn cond_compare(cx: &mut Ctx, negate: bool, w: Width, cond: Cond, rn: Reg, operand: CcmpOperand, nzcv: u8) {
    let s = sz(w);
    let a = cx.read(rn);
    let b = match operand {
        CcmpOperand::Reg(r) => cx.read(r),
        CcmpOperand::Imm(i) => cx.k(i),
    };
    let cmp = cx.b.push(if negate {
        Op::FlagsAdd(s, a, b)
    } else {
        Op::FlagsSub(s, a, b)
    });
    let nf = if matches!(cond, Cond::Al | Cond::Nv) {
        cmp
    } else {
        let old = cx.b.flags();
        let p = cx.b.push(Op::Nzcv(cmp));
        let alt = cx.k((nzcv as u64) << 28);
        let sel = cx.b.push(Op::Select(cc(cond), old, p, alt));
        cx.b.push(Op::FlagsPacked(sel))
    };
    cx.b.set_flags(nf);
}

/// CFINV, AXFLAG, XAFLAG, RMIF, SETF8/16: the new NZCV computed from the old as integers.
fn flagm(cx: &mut Ctx, op: FlagMOp) {
    let old = cx.b.flags();
    let p = cx.b.push(Op::Nzcv(old));
    // Bit n of a value moved to bit 0.
    let flag = |cx: &mut Ctx, v: Val, n: u64| {
        let s = cx.k(n);
        let t = cx.bin(BinOp::Lshr, Sz::S64, v, s);
        let one = cx.k(1);
        cx.bin(BinOp::And, Sz::S64, t, one)
    };
    let place = |cx: &mut Ctx, v: Val, n: u64| {
        let s = cx.k(n);
        cx.bin(BinOp::Shl, Sz::S64, v, s)
    };
    let new = match op {
        FlagMOp::Cfinv => {
            let c = cx.k(1 << 29);
            cx.bin(BinOp::Xor, Sz::S64, p, c)
        }
        FlagMOp::Axflag | FlagMOp::Xaflag => {
            let z = flag(cx, p, 30);
            let c = flag(cx, p, 29);
            let v = flag(cx, p, 28);
            let one = cx.k(1);
            let (n2, z2, c2, v2) = if op == FlagMOp::Axflag {
                // N = 0, Z = Z | V, C = C & !V, V = 0
                let zz = cx.bin(BinOp::Or, Sz::S64, z, v);
                let nv = cx.bin(BinOp::Xor, Sz::S64, v, one);
                let cc = cx.bin(BinOp::And, Sz::S64, c, nv);
                let zero = cx.k(0);
                (zero, zz, cc, zero)
            } else {
                // N = !C & !Z, Z = Z & C, C = C | Z, V = !C & Z
                let nc = cx.bin(BinOp::Xor, Sz::S64, c, one);
                let nz = cx.bin(BinOp::Xor, Sz::S64, z, one);
                let nn = cx.bin(BinOp::And, Sz::S64, nc, nz);
                let zz = cx.bin(BinOp::And, Sz::S64, z, c);
                let cc = cx.bin(BinOp::Or, Sz::S64, c, z);
                let vv = cx.bin(BinOp::And, Sz::S64, nc, z);
                (nn, zz, cc, vv)
            };
            let n2 = place(cx, n2, 31);
            let z2 = place(cx, z2, 30);
            let c2 = place(cx, c2, 29);
            let v2 = place(cx, v2, 28);
            let a = cx.bin(BinOp::Or, Sz::S64, n2, z2);
            let b = cx.bin(BinOp::Or, Sz::S64, c2, v2);
            cx.bin(BinOp::Or, Sz::S64, a, b)
        }
        FlagMOp::Rmif { rn, shift, mask } => {
            let x = cx.read(rn);
            let s = cx.k(shift as u64);
            let r = cx.bin(BinOp::Ror, Sz::S64, x, s);
            let m = (mask as u64) << 28;
            let up = cx.k(28);
            let ins = cx.bin(BinOp::Shl, Sz::S64, r, up);
            let mk = cx.k(m);
            let ins = cx.bin(BinOp::And, Sz::S64, ins, mk);
            let keep = cx.k(!m & 0xf000_0000);
            let kept = cx.bin(BinOp::And, Sz::S64, p, keep);
            cx.bin(BinOp::Or, Sz::S64, kept, ins)
        }
        FlagMOp::Setf { sixteen, rn } => {
            // N = x<msb>, Z = (x<msb:0> == 0), V = x<msb+1> XOR x<msb>; C unchanged.
            let msb = if sixteen { 15 } else { 7 };
            let x = cx.read(rn);
            let n = flag(cx, x, msb);
            let hi = flag(cx, x, msb + 1);
            let v = cx.bin(BinOp::Xor, Sz::S64, hi, n);
            let low = cx.un(if sixteen { UnOp::Zext16 } else { UnOp::Zext8 }, Sz::S64, x);
            let zf = cx.b.push(Op::FlagsLogic(Sz::S64, low));
            let z = cx.b.push(Op::CondVal(crate::ir::CondCode(Cond::Eq as u8), zf));
            let n = place(cx, n, 31);
            let z = place(cx, z, 30);
            let v = place(cx, v, 28);
            let cmask = cx.k(1 << 29);
            let c = cx.bin(BinOp::And, Sz::S64, p, cmask);
            let a = cx.bin(BinOp::Or, Sz::S64, n, z);
            let b = cx.bin(BinOp::Or, Sz::S64, c, v);
            cx.bin(BinOp::Or, Sz::S64, a, b)
        }
    };
    let f = cx.b.push(Op::FlagsPacked(new));
    cx.b.set_flags(f);
}
