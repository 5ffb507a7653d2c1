//! Lifting of FEAT_SHA512 and FEAT_SHA3 (Arm ARM C7.2 SHA512H, SHA512H2, SHA512SU0, SHA512SU1,
//! EOR3, BCAX, RAX1, XAR): their pseudocode works on the two 64-bit halves of the registers with
//! rotates, shifts, logic and additions, which the IR has; so each becomes integer operations on
//! the lanes (x86 has no instructions of its own for them), all sources read before V`d` is
//! written.

use super::Ctx;
use crate::a64::{Crypto64Op, VReg};
use crate::ir::{BinOp, Log2, Op, Sz, UnOp, Val};

/// The (low, high) 64-bit halves of V`v`.
fn halves(cx: &mut Ctx, v: VReg) -> (Val, Val) {
    let lane = |cx: &mut Ctx, index| {
        cx.b.push(Op::VGetLane {
            v: v.0,
            size: Log2(3),
            index,
            signed: false,
        })
    };
    (lane(cx, 0), lane(cx, 1))
}

/// V`d` = high:low.
fn set_halves(cx: &mut Ctx, d: VReg, (lo, hi): (Val, Val)) {
    for (index, val) in [(0, lo), (1, hi)] {
        cx.b.push(Op::VSetLane {
            v: d.0,
            size: Log2(3),
            index,
            val,
            zero_rest: false,
        });
    }
}

fn ror(cx: &mut Ctx, x: Val, n: u64) -> Val {
    let k = cx.k(n);
    cx.bin(BinOp::Ror, Sz::S64, x, k)
}

fn lsr(cx: &mut Ctx, x: Val, n: u64) -> Val {
    let k = cx.k(n);
    cx.bin(BinOp::Lshr, Sz::S64, x, k)
}

fn xor(cx: &mut Ctx, a: Val, b: Val) -> Val {
    cx.bin(BinOp::Xor, Sz::S64, a, b)
}

fn and(cx: &mut Ctx, a: Val, b: Val) -> Val {
    cx.bin(BinOp::And, Sz::S64, a, b)
}

fn add(cx: &mut Ctx, a: Val, b: Val) -> Val {
    cx.bin(BinOp::Add, Sz::S64, a, b)
}

/// ROR(x, a) EOR ROR(x, b) EOR ROR(x, c), or with `shift` LSR(x, c) for the last term.
fn sigma(cx: &mut Ctx, x: Val, a: u64, b: u64, c: u64, shift: bool) -> Val {
    let (p, q) = (ror(cx, x, a), ror(cx, x, b));
    let r = if shift { lsr(cx, x, c) } else { ror(cx, x, c) };
    let t = xor(cx, p, q);
    xor(cx, t, r)
}

/// `(x AND y) EOR (NOT x AND z)`: SHA-2's Ch.
fn choose(cx: &mut Ctx, x: Val, y: Val, z: Val) -> Val {
    let a = and(cx, x, y);
    let nx = cx.un(UnOp::Not, Sz::S64, x);
    let b = and(cx, nx, z);
    xor(cx, a, b)
}

/// `(x AND y) EOR (x AND z) EOR (y AND z)`: SHA-2's Maj.
fn majority(cx: &mut Ctx, x: Val, y: Val, z: Val) -> Val {
    let (a, b, c) = (and(cx, x, y), and(cx, x, z), and(cx, y, z));
    let t = xor(cx, a, b);
    xor(cx, t, c)
}

/// Lift one FEAT_SHA512/FEAT_SHA3 instruction.
pub(super) fn lift(cx: &mut Ctx, op: Crypto64Op, rd: VReg, rn: VReg, rm: VReg) {
    let (x, y, w) = (halves(cx, rn), halves(cx, rm), halves(cx, rd));
    let r = match op {
        Crypto64Op::Sha512h => sha512h(cx, x, y, w),
        Crypto64Op::Sha512h2 => sha512h2(cx, x, y, w),
        Crypto64Op::Sha512su0 => {
            // W<63:0> + sigma0(W<127:64>), W<127:64> + sigma0(X<63:0>).
            let s = sigma(cx, w.1, 1, 8, 7, true);
            let lo = add(cx, w.0, s);
            let s = sigma(cx, x.0, 1, 8, 7, true);
            (lo, add(cx, w.1, s))
        }
        Crypto64Op::Sha512su1 => {
            // W + sigma1(X) + Y, lane by lane.
            let s = sigma(cx, x.1, 19, 61, 6, true);
            let t = add(cx, w.1, s);
            let hi = add(cx, t, y.1);
            let s = sigma(cx, x.0, 19, 61, 6, true);
            let t = add(cx, w.0, s);
            (add(cx, t, y.0), hi)
        }
        Crypto64Op::Rax1 => {
            let (a, b) = (ror(cx, y.0, 63), ror(cx, y.1, 63));
            (xor(cx, x.0, a), xor(cx, x.1, b))
        }
        Crypto64Op::Xar { imm6 } => {
            let (a, b) = (xor(cx, x.0, y.0), xor(cx, x.1, y.1));
            (ror(cx, a, imm6 as u64), ror(cx, b, imm6 as u64))
        }
        Crypto64Op::Eor3 { ra } => {
            let a = halves(cx, ra);
            let (lo, hi) = (xor(cx, x.0, y.0), xor(cx, x.1, y.1));
            (xor(cx, lo, a.0), xor(cx, hi, a.1))
        }
        Crypto64Op::Bcax { ra } => {
            let a = halves(cx, ra);
            let mut lane = |n: Val, m: Val, a: Val| {
                let na = cx.un(UnOp::Not, Sz::S64, a);
                let t = and(cx, m, na);
                xor(cx, n, t)
            };
            (lane(x.0, y.0, a.0), lane(x.1, y.1, a.1))
        }
    };
    set_halves(cx, rd, r);
}

/// SHA512H: with X = V`n`, Y = V`m`, W = V`d` as (low, high).
fn sha512h(cx: &mut Ctx, x: (Val, Val), y: (Val, Val), w: (Val, Val)) -> (Val, Val) {
    let s1 = sigma(cx, y.1, 14, 18, 41, false);
    let ch = choose(cx, y.1, x.0, x.1);
    let t = add(cx, ch, s1);
    let hi = add(cx, t, w.1);
    let tmp = add(cx, hi, y.0);
    let s1 = sigma(cx, tmp, 14, 18, 41, false);
    let ch = choose(cx, tmp, y.1, x.0);
    let t = add(cx, ch, s1);
    (add(cx, t, w.0), hi)
}

/// SHA512H2: with X = V`n`, Y = V`m`, W = V`d` as (low, high).
fn sha512h2(cx: &mut Ctx, x: (Val, Val), y: (Val, Val), w: (Val, Val)) -> (Val, Val) {
    let s0 = sigma(cx, y.0, 28, 34, 39, false);
    let maj = majority(cx, x.0, y.1, y.0);
    let t = add(cx, maj, s0);
    let hi = add(cx, t, w.1);
    let s0 = sigma(cx, hi, 28, 34, 39, false);
    let maj = majority(cx, hi, y.0, y.1);
    let t = add(cx, maj, s0);
    (add(cx, t, w.0), hi)
}
