//! Lifting of the AdvSIMD and FP-move instructions implemented so far (Arm ARM C7): each
//! becomes a vector op on CpuState's V registers or a lane access.

use super::Ctx;
use crate::a64::*;
use crate::ir::{BinOp, LoadTy, Log2, Op, Sz, VecFn, VecKind};

#[allow(clippy::too_many_arguments)]
pub(super) fn vop(cx: &mut Ctx, kind: VecKind, esize: u8, q: bool, imm: u64, d: VReg, n: VReg, m: VReg) {
    cx.b.push(Op::VOp {
        f: VecFn { kind, esize, q, imm },
        d: d.0,
        n: n.0,
        m: m.0,
    });
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
pub(super) fn lift(cx: &mut Ctx, inst: Inst) {
    match inst {
        Inst::Vec3 { op, arr, rd, rn, rm } => {
            vop(cx, op, arr.esize, arr.q, 0, rd, rn, rm);
        }
        Inst::Vec2 { op, arr, rd, rn } => {
            use VecOp2 as O;
            let (kind, imm) = match op {
                O::Cmeq0 => (VecKind::CmpZero, 0),
                O::Cmgt0 => (VecKind::CmpZero, 1),
                O::Cmge0 => (VecKind::CmpZero, 2),
                O::Cmle0 => (VecKind::CmpZero, 3),
                O::Cmlt0 => (VecKind::CmpZero, 4),
                O::Not => (VecKind::Not, 0),
                O::Cnt => (VecKind::Cnt, 0),
                O::Rev64 => (VecKind::Rev64, 0),
                O::Rev32 => (VecKind::Rev32, 0),
                O::Rev16 => (VecKind::Rev16, 0),
                O::Abs => (VecKind::Abs, 0),
                O::Neg => (VecKind::Neg, 0),
                O::Xtn => (VecKind::Xtn, 0),
                O::Uaddlv => (VecKind::Uaddlv, 0),
                O::Umaxv => (VecKind::Umaxv, 0),
                O::Uminv => (VecKind::Uminv, 0),
                O::Addv => (VecKind::Addv, 0),
                O::AddpScalar => (VecKind::AddpScalar, 0),
                O::Cls => (VecKind::Cls, 0),
                O::Clz => (VecKind::Clz, 0),
                O::Rbit => (VecKind::Rbit, 0),
                O::Saddlp => (VecKind::Saddlp, 0),
                O::Uaddlp => (VecKind::Uaddlp, 0),
                O::Sadalp => (VecKind::Sadalp, 0),
                O::Uadalp => (VecKind::Uadalp, 0),
                O::Smaxv => (VecKind::Smaxv, 0),
                O::Sminv => (VecKind::Sminv, 0),
                O::Saddlv => (VecKind::Saddlv, 0),
            };
            vop(cx, kind, arr.esize, arr.q, imm, rd, rn, rn);
        }
        Inst::VecShift { op, arr, rd, rn, shift } => {
            vop(cx, op, arr.esize, arr.q, shift as u64, rd, rn, rn);
        }
        Inst::VecMoviImm { arr, rd, imm, op } => {
            let kind = match op {
                VecImmOp::Movi => VecKind::Movi,
                VecImmOp::Orr => VecKind::OrrImm,
                VecImmOp::Bic => VecKind::BicImm,
            };
            vop(cx, kind, 0, arr.q, imm, rd, rd, rd);
        }
        Inst::DupGeneral { arr, rd, rn } => {
            let v = cx.read(rn);
            cx.b.push(Op::VSetLane {
                v: rd.0,
                size: Log2(arr.esize),
                index: 0,
                val: v,
                zero_rest: true,
            });
            vop(cx, VecKind::DupElem, arr.esize, arr.q, 0, rd, rd, rd);
        }
        Inst::DupElement { arr, rd, rn, index } => {
            vop(cx, VecKind::DupElem, arr.esize, arr.q, index as u64, rd, rn, rn)
        }
        Inst::DupScalar { esize, rd, rn, index } => {
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
        Inst::InsGeneral { esize, rd, index, rn } => {
            let v = cx.read(rn);
            cx.b.push(Op::VSetLane {
                v: rd.0,
                size: Log2(esize),
                index,
                val: v,
                zero_rest: false,
            });
        }
        Inst::InsElement {
            esize,
            rd,
            dst_index,
            rn,
            src_index,
        } => {
            let imm = dst_index as u64 | ((src_index as u64) << 8);
            vop(cx, VecKind::InsElem, esize, true, imm, rd, rn, rn);
        }
        Inst::MovToGeneral {
            esize,
            signed,
            w,
            rd,
            rn,
            index,
        } => {
            let v = cx.b.push(Op::VGetLane {
                v: rn.0,
                size: Log2(esize),
                index,
                signed,
            });
            cx.write(rd, w, v);
        }
        Inst::FmovGeneral {
            to_vec,
            size,
            top,
            rd_g,
            v,
        } => {
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
        Inst::FmovReg { size, rd, rn } => {
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
        Inst::Ext { q, rd, rn, rm, index } => vop(cx, VecKind::Ext, 0, q, index as u64, rd, rn, rm),
        Inst::Tbl {
            q,
            tbx,
            len,
            rd,
            rn,
            rm,
        } => {
            let kind = if tbx { VecKind::Tbx } else { VecKind::Tbl };
            vop(cx, kind, 0, q, len as u64, rd, rn, rm);
        }
        Inst::VecFp {
            op,
            double,
            q,
            scalar,
            rd,
            rn,
            rm,
            round,
            signed,
            index,
        } => {
            use crate::ir::vfp::imm;
            use crate::ops::VfpKind as K;
            let r = round;
            let es = if double || matches!(op, K::Cvtl | K::Cvtn | K::Cvtxn) {
                3
            } else {
                2
            };
            vop(
                cx,
                VecKind::Fp,
                es,
                q,
                imm(op, r, signed, index) | (scalar as u64) << 24,
                rd,
                rn,
                rm,
            );
        }
        Inst::HalfCvt { op, rd, rn } => {
            vop(cx, VecKind::HalfCvt, 1, true, op.imm(), rd, rn, rn);
        }
        Inst::VecSat(s) => {
            use crate::ir::vecsat::imm;
            let i = imm(s.op, s.imm, s.scalar, s.elem);
            vop(cx, VecKind::Sat, s.arr.esize, s.arr.q, i, s.rd, s.rn, s.rm);
        }
        Inst::VecElem {
            op,
            arr,
            rd,
            rn,
            rm,
            index,
        } => {
            use crate::ir::vecint::elem_imm;
            use VecElemOp as O;
            let (kind, signed) = match op {
                O::Mul => (VecKind::Mul, false),
                O::Mla => (VecKind::Mla, false),
                O::Mls => (VecKind::Mls, false),
                O::Smull => (VecKind::MulL, true),
                O::Umull => (VecKind::MulL, false),
                O::Smlal => (VecKind::MlaL, true),
                O::Umlal => (VecKind::MlaL, false),
                O::Smlsl => (VecKind::MlsL, true),
                O::Umlsl => (VecKind::MlsL, false),
                O::Sdot => (VecKind::Sdot, true),
                O::Udot => (VecKind::Udot, false),
            };
            let imm = elem_imm(signed as u64, index);
            vop(cx, kind, arr.esize, arr.q, imm, rd, rn, rm);
        }
        Inst::Vec3Diff {
            op,
            signed,
            arr,
            rd,
            rn,
            rm,
        } => {
            // For the HN forms bit 0 is rounding (U), the inverse of `signed`.
            let imm = if matches!(op, VecKind::AddHn | VecKind::SubHn) {
                !signed as u64
            } else {
                signed as u64
            };
            vop(cx, op, arr.esize, arr.q, imm, rd, rn, rm);
        }
        Inst::LdStSingle {
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
                        vop(cx, VecKind::DupElem, esize, q, 0, v, v, v);
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
        Inst::LdStStruct {
            load,
            arr,
            count,
            rt,
            rn,
            post,
            post_imm,
        } => {
            // Element by element: (de)interleaving happens in the lane addressing.
            let base = cx.read(rn);
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
            let total = (count as u64) * if arr.q { 16 } else { 8 };
            post_increment(cx, rn, base, total, post, post_imm);
        }
        Inst::Ld1St1Multi {
            load,
            arr,
            count,
            rt,
            rn,
            post,
            post_imm,
        } => {
            let base = cx.read(rn);
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
            post_increment(cx, rn, base, (count as u64) * bytes as u64, post, post_imm);
        }
        _ => unreachable!("not an AdvSIMD instruction: {inst:?}"),
    }
}
