//! Lifting of loads and stores (Arm ARM C6: LDR/STR of every width and addressing form, LDP/STP,
//! LDPSW, literal loads, exclusives, load-acquire/store-release).

use super::Ctx;
use crate::a64::*;
use crate::ir::{BinOp, Exit, FenceKind, LoadTy, Log2, Op, PairKind, Sz, Val};

fn load_ty(kind: LdStKind) -> LoadTy {
    match kind {
        LdStKind::Load(MemSize::B8) => LoadTy::U8,
        LdStKind::Load(MemSize::B16) => LoadTy::U16,
        LdStKind::Load(MemSize::B32) => LoadTy::U32,
        LdStKind::LoadSigned(MemSize::B8, _) => LoadTy::S8,
        LdStKind::LoadSigned(MemSize::B16, _) => LoadTy::S16,
        LdStKind::LoadSigned(MemSize::B32, _) => LoadTy::S32,
        _ => LoadTy::U64,
    }
}

fn log2(m: MemSize) -> Log2 {
    Log2(m as u8)
}

/// Perform one transfer at `base + off`.
fn transfer(cx: &mut Ctx, kind: LdStKind, rt: Rt, base: Val, off: i32) {
    match (kind, rt) {
        (LdStKind::Store(m), Rt::G(r)) => {
            let v = cx.read(r);
            cx.b.push(Op::Store(log2(m), base, off, v));
        }
        (LdStKind::Load(_), Rt::G(r)) => {
            let v = cx.b.push(Op::Load(load_ty(kind), base, off));
            cx.write(r, Width::W64, v);
        }
        (LdStKind::LoadSigned(_, w), Rt::G(r)) => {
            let v = cx.b.push(Op::Load(load_ty(kind), base, off));
            cx.write(r, w, v);
        }
        (LdStKind::StoreV(m), Rt::V(v)) => {
            cx.b.push(Op::VStore(log2(m), v.0, base, off));
        }
        (LdStKind::LoadV(m), Rt::V(v)) => {
            cx.b.push(Op::VLoad(log2(m), v.0, base, off));
        }
        (LdStKind::Prefetch, _) => {}
        _ => unreachable!("decoder pairs kinds with register files"),
    }
}

/// Address of an access as (base value, constant offset), and the base register's new value.
fn address(cx: &mut Ctx, rn: Reg, addr: AddrMode) -> (Val, i32, Option<Val>) {
    let base = cx.read(rn);
    match addr {
        AddrMode::Offset(imm) => (base, imm as i32, None),
        AddrMode::PreIndex(imm) => {
            let k = cx.k(imm as u64);
            let n = cx.bin(BinOp::Add, Sz::S64, base, k);
            (n, 0, Some(n))
        }
        AddrMode::PostIndex(imm) => {
            let k = cx.k(imm as u64);
            let n = cx.bin(BinOp::Add, Sz::S64, base, k);
            (base, 0, Some(n))
        }
        AddrMode::RegOffset { rm, extend, shift } => {
            let m = cx.read(rm);
            let off = cx.extend(m, extend, shift);
            (cx.bin(BinOp::Add, Sz::S64, base, off), 0, None)
        }
    }
}

/// Number of a data register for pair helpers (31 = XZR).
fn reg_num(r: Reg) -> u8 {
    match r {
        Reg::X(n) => n,
        Reg::Zr | Reg::Sp => 31,
    }
}

/// The address `rn + offset` of an exclusive, ordered or atomic access of `2^size` bytes, checked
/// for alignment first (an alignment fault if it is not aligned, as `AArch64.CheckAlignment`
/// gives these accesses without FEAT_LSE2; a64x does not advertise LSE2). A store-exclusive is
/// checked too, before its monitor (`AArch64.ExclusiveMonitorsPass`): a monitor armed by a
/// smaller load-exclusive at the same address would otherwise let a misaligned store happen.
fn align_check(cx: &mut Ctx, size: Log2, rn: Reg, offset: i64) -> Val {
    let base = cx.read(rn);
    let a = if offset == 0 {
        base
    } else {
        let k = cx.k(offset as u64);
        cx.bin(BinOp::Add, Sz::S64, base, k)
    };
    if size.0 > 0 {
        cx.b.push(Op::AlignCheck(size, a));
    }
    a
}

/// A register-pair operation done by a helper on CpuState: write cached registers back first and
/// reload them afterwards.
fn pair_helper(cx: &mut Ctx, kind: PairKind, size: MemSize, a: u8, b: u8, c: u8, rn: Reg) {
    let n = match rn {
        Reg::X(n) => n,
        Reg::Sp | Reg::Zr => 31,
    };
    cx.b.sync();
    cx.b.push(Op::PairHelper {
        kind,
        size: log2(size),
        a,
        b,
        c,
        n,
        pc: cx.pc,
    });
    cx.b.forget_regs();
}

/// Lift one load/store; `Some(exit)` for forms not implemented yet (SIGILL).
pub(super) fn lift(cx: &mut Ctx, inst: MemInst) -> Option<Exit> {
    match inst {
        MemInst::LdSt { kind, rt, rn, addr } => {
            let (base, off, wb) = address(cx, rn, addr);
            transfer(cx, kind, rt, base, off);
            if let Some(n) = wb {
                cx.write(rn, Width::W64, n);
                // A load into the base register with writeback is CONSTRAINED UNPREDICTABLE;
                // Linux cores give the loaded value, so write it again last.
                if let (Rt::G(r), true) = (rt, matches!(kind, LdStKind::Load(_) | LdStKind::LoadSigned(..))) {
                    if r == rn {
                        transfer(cx, kind, rt, base, off);
                    }
                }
            }
        }
        MemInst::LdLiteral { kind, rt, offset } => {
            let a = cx.k(cx.pc.wrapping_add(offset as u64));
            transfer(cx, kind, rt, a, 0);
        }
        MemInst::LdStPair {
            load,
            kind,
            rt,
            rt2,
            rn,
            addr,
        } => {
            let (base, off, wb) = address(cx, rn, addr);
            let size = match kind {
                LdStKind::Load(m) | LdStKind::Store(m) | LdStKind::LoadV(m) | LdStKind::StoreV(m) => m.bytes(),
                LdStKind::LoadSigned(m, _) => m.bytes(),
                LdStKind::Prefetch => 0,
            } as i32;
            if load {
                // Read both before writing either, so a base register among them is used intact.
                if let (Rt::G(r1), Rt::G(r2)) = (rt, rt2) {
                    let v1 = cx.b.push(Op::Load(load_ty(kind), base, off));
                    let v2 = cx.b.push(Op::Load(load_ty(kind), base, off + size));
                    if let Some(n) = wb {
                        cx.write(rn, Width::W64, n);
                    }
                    // LDP and LDPSW both write whole X registers.
                    let w = Width::W64;
                    cx.write(r1, w, v1);
                    cx.write(r2, w, v2);
                    return None;
                }
                transfer(cx, kind, rt, base, off);
                transfer(cx, kind, rt2, base, off + size);
            } else {
                // Read both registers before the writeback changes the base.
                transfer(cx, kind, rt, base, off);
                transfer(cx, kind, rt2, base, off + size);
            }
            if let Some(n) = wb {
                cx.write(rn, Width::W64, n);
            }
        }
        MemInst::LoadExclusive {
            size,
            pair: true,
            rt,
            rt2,
            rn,
            ..
        } => {
            align_check(cx, Log2(log2(size).0 + 1), rn, 0);
            pair_helper(cx, PairKind::Ldxp, size, reg_num(rt), reg_num(rt2), 31, rn);
        }
        MemInst::StoreExclusive {
            size,
            pair: true,
            rs,
            rt,
            rt2,
            rn,
            ..
        } => {
            align_check(cx, Log2(log2(size).0 + 1), rn, 0);
            pair_helper(cx, PairKind::Stxp, size, reg_num(rs), reg_num(rt), reg_num(rt2), rn);
        }
        MemInst::Casp { size, rs, rt, rn } => {
            align_check(cx, Log2(log2(size).0 + 1), rn, 0);
            pair_helper(cx, PairKind::Casp, size, rs, rt, 31, rn);
        }
        MemInst::AtomicRmw { op, size, rs, rt, rn } => {
            let a = align_check(cx, log2(size), rn, 0);
            let v = cx.read(rs);
            let old = cx.b.push(Op::AtomicRmw(op, log2(size), a, v));
            cx.write(rt, Width::W64, old);
        }
        MemInst::Cas { size, rs, rt, rn } => {
            let a = align_check(cx, log2(size), rn, 0);
            let e = cx.read(rs);
            let n = cx.read(rt);
            let old = cx.b.push(Op::Cas(log2(size), a, e, n));
            cx.write(rs, Width::W64, old);
        }
        MemInst::LoadExclusive { size, rt, rn, .. } => {
            let a = align_check(cx, log2(size), rn, 0);
            let v = cx.b.push(Op::LoadExcl(log2(size), a));
            cx.write(rt, Width::W64, v);
        }
        MemInst::StoreExclusive { size, rs, rt, rn, .. } => {
            let a = align_check(cx, log2(size), rn, 0);
            let v = cx.read(rt);
            let st = cx.b.push(Op::StoreExcl(log2(size), a, v));
            cx.write(rs, Width::W32, st);
        }
        MemInst::LoadAcquire {
            size,
            signed,
            rt,
            rn,
            offset,
        } => {
            // x86-64 loads already have acquire semantics.
            let a = align_check(cx, log2(size), rn, offset);
            let (kind, width) = match signed {
                Some(w) => (LdStKind::LoadSigned(size, w), w),
                None => (LdStKind::Load(size), Width::W64),
            };
            let v = cx.b.push(Op::Load(load_ty(kind), a, 0));
            cx.write(rt, width, v);
        }
        MemInst::StoreRelease { size, rt, rn, offset } => {
            // x86-64 stores are releases; the fence keeps a later LDAR after this STLR (RCsc).
            let a = align_check(cx, log2(size), rn, offset);
            let v = cx.read(rt);
            cx.b.push(Op::Store(log2(size), a, 0, v));
            cx.b.push(Op::Fence(FenceKind::StoreLoad));
        }
    }
    None
}
