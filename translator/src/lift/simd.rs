//! Lifting of the AdvSIMD and FP-move instructions implemented so far (Arm ARM C7): each
//! becomes a vector op on CpuState's V registers or a lane access.

use super::Ctx;
use crate::a64::*;
use crate::ir::{BinOp, LoadTy, Log2, Op, Sz, VecFn, VecKind};

/// V`d` = `kind`(V`n`, V`m`, V`d`) with arrangement `arr`.
pub(super) fn vop(cx: &mut Ctx, kind: VecKind, arr: Arrangement, d: VReg, n: VReg, m: VReg) {
    if let VecKind::Fp(f) = kind {
        if f.scalar && f.kind == crate::ops::VfpKind::Abd {
            return abd_scalar(cx, arr.esize, d, n, m);
        }
    }
    cx.b.push(Op::VOp {
        f: VecFn {
            kind,
            esize: arr.esize,
            q: arr.q,
        },
        d: d.0,
        n: n.0,
        m: m.0,
    });
}

/// FABD (scalar): the Arm ARM's `FPAbs(FPSub(element1, element2))`, as the scalar FSUB it is
/// followed by FABS of its result, both FP ops the backend lowers inline (SUBSS/SUBSD, and a
/// mask of the sign bit, NaNs included as FPAbs has it), where the vector op went to the helper
/// (libm's FABDs). V`d` gets the difference first; nothing can see it before the FABS.
fn abd_scalar(cx: &mut Ctx, esize: u8, d: VReg, n: VReg, m: VReg) {
    use crate::ir::fp::{FpKind, FpOp, FpTy};
    let ty = match esize {
        1 => FpTy::H,
        2 => FpTy::S,
        _ => FpTy::D,
    };
    let mut sub = FpOp::new(FpKind::Sub, ty);
    (sub.d, sub.n, sub.m) = (d.0, n.0, m.0);
    cx.b.push(Op::Fp(sub));
    let mut abs = FpOp::new(FpKind::Abs, ty);
    (abs.d, abs.n) = (d.0, d.0);
    cx.b.push(Op::Fp(abs));
}

/// The post-index of structure loads/stores: by the transfer size (`post_imm`) or a register.
fn post_increment(cx: &mut Ctx, rn: Reg, base: crate::ir::Val, size: u64, post: Option<Reg>, post_imm: bool) {
    let inc = if post_imm {
        Some(cx.k(size))
    } else {
        post.map(|m| cx.read(m))
    };
    if let Some(inc) = inc {
        let n = cx.bin(BinOp::Add, Sz::S64, base, inc);
        cx.write(rn, Width::W64, n);
    }
}

/// Lift one AdvSIMD/FP instruction.
pub(super) fn lift(cx: &mut Ctx, inst: SimdInst) {
    match inst {
        SimdInst::Vec { op, arr, rd, rn, rm } => vop(cx, op, arr, rd, rn, rm),
        SimdInst::Crypto64 { op, rd, rn, rm } => super::crypto64::lift(cx, op, rd, rn, rm),
        SimdInst::DupGeneral { arr, rd, rn } => dup_general(cx, arr, rd, rn),
        SimdInst::DupScalar { esize, rd, rn, index } => dup_scalar(cx, esize, rd, rn, index),
        SimdInst::InsGeneral { esize, rd, index, rn } => ins_general(cx, esize, rd, index, rn),
        SimdInst::MovToGeneral {
            esize,
            signed,
            w,
            rd,
            rn,
            index,
        } => mov_to_general(cx, esize, signed, w, rd, rn, index),
        SimdInst::FmovGeneral {
            to_vec,
            size,
            top,
            rd_g,
            v,
        } => fmov_general(cx, to_vec, size, top, rd_g, v),
        SimdInst::FmovReg { size, rd, rn } => fmov_reg(cx, size, rd, rn),
        SimdInst::LdStSingle {
            load,
            count,
            replicate,
            esize,
            index,
            q,
            rt,
            rn,
            post,
            post_imm,
        } => {
            // Structure r of the element is at base + r * size, in register rt + r.
            let base = cx.read(rn);
            let ty = [LoadTy::U8, LoadTy::U16, LoadTy::U32, LoadTy::U64][esize as usize];
            for r in 0..count {
                let v = VReg((rt.0 + r) % 32);
                let off = (r as i32) << esize;
                if load {
                    let x = cx.b.push(Op::Load(ty, base, off));
                    cx.b.push(Op::VSetLane {
                        v: v.0,
                        size: Log2(esize),
                        index,
                        val: x,
                        zero_rest: replicate,
                    });
                    if replicate {
                        vop(cx, VecKind::DupElem(0), Arrangement { esize, q }, v, v, v);
                    }
                } else {
                    let x = cx.b.push(Op::VGetLane {
                        v: v.0,
                        size: Log2(esize),
                        index,
                        signed: false,
                    });
                    cx.b.push(Op::Store(Log2(esize), base, off, x));
                }
            }
            post_increment(cx, rn, base, (count as u64) << esize, post, post_imm);
        }
        SimdInst::LdStMultiple {
            load,
            interleaved,
            arr,
            count,
            rt,
            rn,
            post,
            post_imm,
        } => {
            let base = cx.read(rn);
            if interleaved {
                interleaved_lanes(cx, load, arr, count, rt, base);
            } else {
                whole_registers(cx, load, arr, count, rt, base);
            }
            let total = (count as u64) * if arr.q { 16 } else { 8 };
            post_increment(cx, rn, base, total, post, post_imm);
        }
    }
}

/// LD2-LD4/ST2-ST4 (multiple structures) at `base`: element i of register rt + r at
/// (i * count + r) * esize.
fn interleaved_lanes(cx: &mut Ctx, load: bool, arr: Arrangement, count: u8, rt: VReg, base: crate::ir::Val) {
    // Element by element: (de)interleaving happens in the lane addressing.
    let es = arr.esize;
    let lanes = if arr.q { 16 >> es } else { 8 >> es };
    let ty = [LoadTy::U8, LoadTy::U16, LoadTy::U32, LoadTy::U64][es as usize];
    if load {
        // Zero the upper halves first for 64-bit arrangements; the lanes overwrite the rest.
        for r in 0..count {
            let v = (rt.0 + r) % 32;
            let z = cx.k(0);
            cx.b.push(Op::VSetLane {
                v,
                size: Log2(3),
                index: 0,
                val: z,
                zero_rest: true,
            });
        }
    }
    for i in 0..lanes {
        for r in 0..count {
            let v = (rt.0 + r) % 32;
            let off = ((i * count as u32 + r as u32) << es) as i32;
            if load {
                let x = cx.b.push(Op::Load(ty, base, off));
                cx.b.push(Op::VSetLane {
                    v,
                    size: Log2(es),
                    index: i as u8,
                    val: x,
                    zero_rest: false,
                });
            } else {
                let x = cx.b.push(Op::VGetLane {
                    v,
                    size: Log2(es),
                    index: i as u8,
                    signed: false,
                });
                cx.b.push(Op::Store(Log2(es), base, off, x));
            }
        }
    }
}

/// LD1/ST1 (multiple structures) at `base`: `count` whole consecutive registers from rt.
fn whole_registers(cx: &mut Ctx, load: bool, arr: Arrangement, count: u8, rt: VReg, base: crate::ir::Val) {
    let bytes = if arr.q { 16 } else { 8 };
    let l = Log2(if arr.q { 4 } else { 3 });
    for i in 0..count {
        let r = (rt.0 + i) % 32;
        let off = (i as i32) * bytes;
        cx.b.push(if load {
            Op::VLoad(l, r, base, off)
        } else {
            Op::VStore(l, r, base, off)
        });
    }
}

/// DUP (general): every lane of Vd from Rn.
fn dup_general(cx: &mut Ctx, arr: Arrangement, rd: VReg, rn: Reg) {
    let v = cx.read(rn);
    cx.b.push(Op::VSetLane {
        v: rd.0,
        size: Log2(arr.esize),
        index: 0,
        val: v,
        zero_rest: true,
    });
    vop(cx, VecKind::DupElem(0), arr, rd, rd, rd);
}

/// DUP (element) to a scalar, MOV (scalar): lane `index` of Vn into lane 0 of Vd, the rest zeroed.
fn dup_scalar(cx: &mut Ctx, esize: u8, rd: VReg, rn: VReg, index: u8) {
    let x = cx.b.push(Op::VGetLane {
        v: rn.0,
        size: Log2(esize),
        index,
        signed: false,
    });
    cx.b.push(Op::VSetLane {
        v: rd.0,
        size: Log2(esize),
        index: 0,
        val: x,
        zero_rest: true,
    });
}

/// INS (general): lane `index` of Vd from Rn.
fn ins_general(cx: &mut Ctx, esize: u8, rd: VReg, index: u8, rn: Reg) {
    let v = cx.read(rn);
    cx.b.push(Op::VSetLane {
        v: rd.0,
        size: Log2(esize),
        index,
        val: v,
        zero_rest: false,
    });
}

/// UMOV, SMOV: lane `index` of Vn into Rd, zero- or sign-extended.
fn mov_to_general(cx: &mut Ctx, esize: u8, signed: bool, w: Width, rd: Reg, rn: VReg, index: u8) {
    let v = cx.b.push(Op::VGetLane {
        v: rn.0,
        size: Log2(esize),
        index,
        signed,
    });
    cx.write(rd, w, v);
}

/// FMOV between a general register and the low (or, `top`, the upper) half of a V register.
fn fmov_general(cx: &mut Ctx, to_vec: bool, size: MemSize, top: bool, rd_g: Reg, v: VReg) {
    let l = Log2(size as u8);
    let index = top as u8;
    if to_vec {
        let x = cx.read(rd_g);
        cx.b.push(Op::VSetLane {
            v: v.0,
            size: l,
            index,
            val: x,
            zero_rest: !top,
        });
    } else {
        let x = cx.b.push(Op::VGetLane {
            v: v.0,
            size: l,
            index,
            signed: false,
        });
        let w = if size == MemSize::B32 { Width::W32 } else { Width::W64 };
        cx.write(rd_g, w, x);
    }
}

/// FMOV (register): the low element of Vn into Vd, the rest zeroed.
fn fmov_reg(cx: &mut Ctx, size: MemSize, rd: VReg, rn: VReg) {
    let l = Log2(size as u8);
    let x = cx.b.push(Op::VGetLane {
        v: rn.0,
        size: l,
        index: 0,
        signed: false,
    });
    cx.b.push(Op::VSetLane {
        v: rd.0,
        size: l,
        index: 0,
        val: x,
        zero_rest: true,
    });
}
