//! Decoders of the loads and stores group (Arm ARM C4.1.94).

use super::fields::*;
use super::inst::*;

/// Kind, transfer register and log2 access size of a single-register load/store from size:V:opc.
fn single_kind(w: u32) -> Option<(LdStKind, Rt, u32)> {
    let size = bits(w, 31, 30);
    let opc = bits(w, 23, 22);
    if bit(w, 26) {
        let v = Rt::V(vr(w, 0));
        return match (size, opc) {
            (s, 0) => Some((LdStKind::StoreV(MemSize::from_log2(s)), v, s)),
            (s, 1) => Some((LdStKind::LoadV(MemSize::from_log2(s)), v, s)),
            (0, 2) => Some((LdStKind::StoreV(MemSize::B128), v, 4)),
            (0, 3) => Some((LdStKind::LoadV(MemSize::B128), v, 4)),
            _ => None,
        };
    }
    let g = Rt::G(rzr(w, 0));
    let m = MemSize::from_log2(size);
    match (size, opc) {
        (_, 0) => Some((LdStKind::Store(m), g, size)),
        (_, 1) => Some((LdStKind::Load(m), g, size)),
        (3, 2) => Some((LdStKind::Prefetch, g, 3)),
        (_, 2) => Some((LdStKind::LoadSigned(m, Width::W64), g, size)),
        (0 | 1, 3) => Some((LdStKind::LoadSigned(m, Width::W32), g, size)),
        _ => None,
    }
}

/// LDR/STR (immediate, unsigned offset).
pub(super) fn unsigned_imm(w: u32) -> Inst {
    let Some((kind, rt, scale)) = single_kind(w) else {
        return Inst::Undefined;
    };
    let offset = (bits(w, 21, 10) as i64) << scale;
    Inst::Mem(MemInst::LdSt {
        kind,
        rt,
        rn: rsp(w, 5),
        addr: AddrMode::Offset(offset),
    })
}

/// LDUR/STUR, post-index, pre-index (imm9); unprivileged forms behave as plain ones at EL0.
pub(super) fn imm9(w: u32) -> Inst {
    let Some((kind, rt, _)) = single_kind(w) else {
        return Inst::Undefined;
    };
    let imm = sext(bits(w, 20, 12), 9);
    let addr = match bits(w, 11, 10) {
        0 | 2 => AddrMode::Offset(imm),
        1 => AddrMode::PostIndex(imm),
        _ => AddrMode::PreIndex(imm),
    };
    if bits(w, 11, 10) == 2 && (bit(w, 26) || kind == LdStKind::Prefetch) {
        return Inst::Undefined;
    }
    if matches!(addr, AddrMode::PreIndex(_) | AddrMode::PostIndex(_)) && kind == LdStKind::Prefetch {
        return Inst::Undefined;
    }
    Inst::Mem(MemInst::LdSt {
        kind,
        rt,
        rn: rsp(w, 5),
        addr,
    })
}

/// LDR/STR (register offset).
pub(super) fn reg_offset(w: u32) -> Inst {
    let Some((kind, rt, scale)) = single_kind(w) else {
        return Inst::Undefined;
    };
    let option = bits(w, 15, 13);
    if option & 2 == 0 {
        return Inst::Undefined;
    }
    let shift = if bit(w, 12) { scale as u8 } else { 0 };
    let addr = AddrMode::RegOffset {
        rm: rzr(w, 16),
        extend: extend_type(option),
        shift,
    };
    Inst::Mem(MemInst::LdSt {
        kind,
        rt,
        rn: rsp(w, 5),
        addr,
    })
}

/// LDR (literal), LDRSW (literal), PRFM (literal).
pub(super) fn literal(w: u32) -> Inst {
    let offset = sext(bits(w, 23, 5), 19) << 2;
    let kind = match (bits(w, 31, 30), bit(w, 26)) {
        (0, false) => LdStKind::Load(MemSize::B32),
        (1, false) => LdStKind::Load(MemSize::B64),
        (2, false) => LdStKind::LoadSigned(MemSize::B32, Width::W64),
        (3, false) => LdStKind::Prefetch,
        (0, true) => LdStKind::LoadV(MemSize::B32),
        (1, true) => LdStKind::LoadV(MemSize::B64),
        (2, true) => LdStKind::LoadV(MemSize::B128),
        _ => return Inst::Undefined,
    };
    let rt = if bit(w, 26) { Rt::V(vr(w, 0)) } else { Rt::G(rzr(w, 0)) };
    Inst::Mem(MemInst::LdLiteral { kind, rt, offset })
}

/// LDP/STP/LDPSW/LDNP/STNP, general and SIMD&FP.
pub(super) fn pair(w: u32) -> Inst {
    let opc = bits(w, 31, 30);
    let load = bit(w, 22);
    let simd = bit(w, 26);
    let (kind, scale) = if simd {
        let m = match opc {
            0 => MemSize::B32,
            1 => MemSize::B64,
            2 => MemSize::B128,
            _ => return Inst::Undefined,
        };
        (if load { LdStKind::LoadV(m) } else { LdStKind::StoreV(m) }, 2 + opc)
    } else {
        match (opc, load) {
            (0, false) => (LdStKind::Store(MemSize::B32), 2),
            (0, true) => (LdStKind::Load(MemSize::B32), 2),
            (1, true) => (LdStKind::LoadSigned(MemSize::B32, Width::W64), 2),
            (2, false) => (LdStKind::Store(MemSize::B64), 3),
            (2, true) => (LdStKind::Load(MemSize::B64), 3),
            _ => return Inst::Undefined,
        }
    };
    let kind_bits = bits(w, 25, 23);
    if kind_bits == 0 && opc == 1 && !simd {
        return Inst::Undefined; // no LDNPSW
    }
    let imm = sext(bits(w, 21, 15), 7) << scale;
    let addr = match kind_bits {
        0 | 2 => AddrMode::Offset(imm),
        1 => AddrMode::PostIndex(imm),
        _ => AddrMode::PreIndex(imm),
    };
    let (rt, rt2) = if simd {
        (Rt::V(vr(w, 0)), Rt::V(vr(w, 10)))
    } else {
        (Rt::G(rzr(w, 0)), Rt::G(rzr(w, 10)))
    };
    Inst::Mem(MemInst::LdStPair {
        load,
        kind,
        rt,
        rt2,
        rn: rsp(w, 5),
        addr,
    })
}

/// Load/store exclusive and load-acquire/store-release (ordered) forms.
pub(super) fn exclusive(w: u32) -> Inst {
    let size = MemSize::from_log2(bits(w, 31, 30));
    let (o2, l, o1, o0) = (bit(w, 23), bit(w, 22), bit(w, 21), bit(w, 15));
    let (rs, rt, rt2, rn) = (rzr(w, 16), rzr(w, 0), rzr(w, 10), rsp(w, 5));
    match (o2, o1) {
        (false, pair) => {
            if pair && bits(w, 31, 30) < 2 {
                // CASP/CASPA/CASPL/CASPAL on even register pairs.
                let (s, t) = (bits(w, 20, 16) as u8, bits(w, 4, 0) as u8);
                if bits(w, 14, 10) != 31 || s % 2 == 1 || t % 2 == 1 {
                    return Inst::Undefined;
                }
                let size = if bit(w, 30) { MemSize::B64 } else { MemSize::B32 };
                return Inst::Mem(MemInst::Casp { size, rs: s, rt: t, rn });
            }
            if l {
                let order = if o0 { Ordering::Acquire } else { Ordering::Plain };
                Inst::Mem(MemInst::LoadExclusive {
                    size,
                    pair,
                    rt,
                    rt2,
                    rn,
                    order,
                })
            } else {
                let order = if o0 { Ordering::Release } else { Ordering::Plain };
                Inst::Mem(MemInst::StoreExclusive {
                    size,
                    pair,
                    rs,
                    rt,
                    rt2,
                    rn,
                    order,
                })
            }
        }
        // LDAR/STLR and the LORegion forms LDLAR/STLLR (ordering at least as strong).
        (true, false) => {
            if l {
                Inst::Mem(MemInst::LoadAcquire {
                    size,
                    signed: None,
                    rt,
                    rn,
                    offset: 0,
                })
            } else {
                Inst::Mem(MemInst::StoreRelease {
                    size,
                    rt,
                    rn,
                    offset: 0,
                })
            }
        }
        // CAS family (LSE): o0 and L give release/acquire, both free on x86 (lock cmpxchg).
        (true, true) => {
            if bits(w, 14, 10) != 31 {
                return Inst::Undefined;
            }
            Inst::Mem(MemInst::Cas { size, rs, rt, rn })
        }
    }
}

/// LDAPR/STLR (unscaled immediate), FEAT_LRCPC2: STLUR (a store-release, as STLR) and LDAPUR,
/// LDAPURS (load-acquire RCpc, as LDAPR), with a signed 9-bit offset.
pub(super) fn rcpc_unscaled(w: u32) -> Inst {
    let size = bits(w, 31, 30);
    let m = MemSize::from_log2(size);
    let (rt, rn) = (rzr(w, 0), rsp(w, 5));
    let offset = sext(bits(w, 20, 12), 9);
    let signed = match (bits(w, 23, 22), size) {
        (0, _) => {
            return Inst::Mem(MemInst::StoreRelease {
                size: m,
                rt,
                rn,
                offset,
            })
        }
        (1, _) => None,
        (2, 0..=2) => Some(Width::W64),
        (3, 0 | 1) => Some(Width::W32),
        _ => return Inst::Undefined,
    };
    Inst::Mem(MemInst::LoadAcquire {
        size: m,
        signed,
        rt,
        rn,
        offset,
    })
}

/// Atomic memory operations (LSE) and LDAPR.
pub(super) fn atomic(w: u32) -> Inst {
    if bit(w, 26) {
        return Inst::Undefined;
    }
    let size = MemSize::from_log2(bits(w, 31, 30));
    let (rs, rt, rn) = (rzr(w, 16), rzr(w, 0), rsp(w, 5));
    let op = match (bit(w, 15), bits(w, 14, 12)) {
        (false, 0) => RmwKind::Add,
        (false, 1) => RmwKind::Clr,
        (false, 2) => RmwKind::Eor,
        (false, 3) => RmwKind::Set,
        (false, 4) => RmwKind::Smax,
        (false, 5) => RmwKind::Smin,
        (false, 6) => RmwKind::Umax,
        (false, 7) => RmwKind::Umin,
        (true, 0) => RmwKind::Swp,
        // LDAPR (RCpc): an ordinary load on x86.
        (true, 4) if bit(w, 23) && !bit(w, 22) && bits(w, 20, 16) == 31 => {
            return Inst::Mem(MemInst::LoadAcquire {
                size,
                signed: None,
                rt,
                rn,
                offset: 0,
            });
        }
        _ => return Inst::Undefined,
    };
    Inst::Mem(MemInst::AtomicRmw { op, size, rs, rt, rn })
}
