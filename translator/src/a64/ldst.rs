//! What the load and store rows of `instructions.spec` build from their fields (Arm ARM
//! C4.1.94): the typed `MemInst`, with offsets scaled and sign-extended.

use super::fields::*;
use super::inst::*;

/// A single-register load or store (LDR, STR, LDUR, LDTR... and PRFM).
pub(super) fn single(kind: LdStKind, rt: Rt, rn: Reg, addr: AddrMode) -> Inst {
    Inst::Mem(MemInst::LdSt { kind, rt, rn, addr })
}

/// The register-offset address: `rm` extended by `option`, shifted by the access size when `s`.
pub(super) fn reg_offset(rm: Reg, option: u32, s: u32, scale: u32) -> AddrMode {
    AddrMode::RegOffset {
        rm,
        extend: extend_type(option),
        shift: if s == 1 { scale as u8 } else { 0 },
    }
}

/// LDR (literal) and its kin: `imm19` words from the instruction.
pub(super) fn literal(kind: LdStKind, rt: Rt, imm19: u32) -> Inst {
    Inst::Mem(MemInst::LdLiteral {
        kind,
        rt,
        offset: sext(imm19, 19) << 2,
    })
}

fn pair(
    load: bool,
    kind: LdStKind,
    scale: u32,
    mode: fn(i64) -> AddrMode,
    imm7: u32,
    [rt, rt2]: [Rt; 2],
    rn: Reg,
) -> Inst {
    Inst::Mem(MemInst::LdStPair {
        load,
        kind,
        rt,
        rt2,
        rn,
        addr: mode(sext(imm7, 7) << scale),
    })
}

/// LDP, STP, LDNP, STNP of general registers (`sf`: 64-bit).
pub(super) fn pair_g(load: bool, sf: u32, mode: fn(i64) -> AddrMode, imm7: u32, [rt, rt2]: [Reg; 2], rn: Reg) -> Inst {
    let m = if sf == 1 { MemSize::B64 } else { MemSize::B32 };
    let kind = if load { LdStKind::Load(m) } else { LdStKind::Store(m) };
    pair(load, kind, 2 + sf, mode, imm7, [Rt::G(rt), Rt::G(rt2)], rn)
}

/// LDPSW.
pub(super) fn pair_sw(mode: fn(i64) -> AddrMode, imm7: u32, [rt, rt2]: [Reg; 2], rn: Reg) -> Inst {
    let kind = LdStKind::LoadSigned(MemSize::B32, Width::W64);
    pair(true, kind, 2, mode, imm7, [Rt::G(rt), Rt::G(rt2)], rn)
}

/// LDP, STP, LDNP, STNP of SIMD&FP registers (`opc`: S, D or Q).
pub(super) fn pair_v(
    load: bool,
    opc: u32,
    mode: fn(i64) -> AddrMode,
    imm7: u32,
    [rt, rt2]: [VReg; 2],
    rn: Reg,
) -> Inst {
    let m = MemSize::from_log2(opc + 2);
    let kind = if load { LdStKind::LoadV(m) } else { LdStKind::StoreV(m) };
    pair(load, kind, 2 + opc, mode, imm7, [Rt::V(rt), Rt::V(rt2)], rn)
}

/// STXR, STLXR, STXP, STLXP (`size`: log2 of each register's bytes).
pub(super) fn store_exclusive(order: Ordering, pair: bool, size: u32, [rs, rt, rt2]: [Reg; 3], rn: Reg) -> Inst {
    Inst::Mem(MemInst::StoreExclusive {
        size: MemSize::from_log2(size),
        pair,
        rs,
        rt,
        rt2,
        rn,
        order,
    })
}

/// LDXR, LDAXR, LDXP, LDAXP.
pub(super) fn load_exclusive(order: Ordering, pair: bool, size: u32, [rt, rt2]: [Reg; 2], rn: Reg) -> Inst {
    Inst::Mem(MemInst::LoadExclusive {
        size: MemSize::from_log2(size),
        pair,
        rt,
        rt2,
        rn,
        order,
    })
}

/// CASP and its ordered forms on the even register pairs `s`, `t`.
pub(super) fn casp(sz: u32, s: u32, t: u32, rn: Reg) -> Inst {
    Inst::Mem(MemInst::Casp {
        size: if sz == 1 { MemSize::B64 } else { MemSize::B32 },
        rs: s as u8,
        rt: t as u8,
        rn,
    })
}

/// STLR, STLLR, STLUR: a store-release (`offset` bytes from `rn`).
pub(super) fn store_release(size: u32, rt: Reg, rn: Reg, offset: i64) -> Inst {
    Inst::Mem(MemInst::StoreRelease {
        size: MemSize::from_log2(size),
        rt,
        rn,
        offset,
    })
}

/// LDAR, LDLAR, LDAPR, LDAPUR, LDAPURS: a load-acquire, sign-extended to `signed` if given.
pub(super) fn load_acquire(size: u32, signed: Option<Width>, rt: Reg, rn: Reg, offset: i64) -> Inst {
    Inst::Mem(MemInst::LoadAcquire {
        size: MemSize::from_log2(size),
        signed,
        rt,
        rn,
        offset,
    })
}

/// The LSE read-modify-writes (LDADD... SWP; their ST aliases are the same with `rt` = XZR).
pub(super) fn atomic(op: RmwKind, size: u32, [rs, rt]: [Reg; 2], rn: Reg) -> Inst {
    Inst::Mem(MemInst::AtomicRmw {
        op,
        size: MemSize::from_log2(size),
        rs,
        rt,
        rn,
    })
}
