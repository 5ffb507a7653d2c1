//! Typed A64 instructions: what the decoder produces and the lifter consumes (Arm ARM C4).
//!
//! Register 31 is resolved here once: a [`Reg`] is X0..X30, XZR or SP, as its encoding declares.

use super::simd_types::*;
pub use crate::ops::RmwKind;

/// A general-purpose register operand with register 31 already resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reg {
    /// X0..X30 (or W0..W30).
    X(u8),
    /// XZR/WZR: reads as zero, writes are discarded.
    Zr,
    /// SP/WSP.
    Sp,
}

/// A SIMD&FP register V0..V31.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VReg(pub u8);

/// Operation width of integer instructions (`sf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// W registers.
    W32,
    /// X registers.
    W64,
}

impl Width {
    /// Number of bits.
    pub fn bits(self) -> u32 {
        match self {
            Width::W32 => 32,
            Width::W64 => 64,
        }
    }
}

/// Condition codes (Arm ARM C1.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Cond {
    Eq = 0,
    Ne = 1,
    Cs = 2,
    Cc = 3,
    Mi = 4,
    Pl = 5,
    Vs = 6,
    Vc = 7,
    Hi = 8,
    Ls = 9,
    Ge = 10,
    Lt = 11,
    Gt = 12,
    Le = 13,
    Al = 14,
    Nv = 15,
}

impl Cond {
    /// From the 4-bit field.
    pub fn from_bits(b: u32) -> Cond {
        use Cond::*;
        [Eq, Ne, Cs, Cc, Mi, Pl, Vs, Vc, Hi, Ls, Ge, Lt, Gt, Le, Al, Nv][(b & 15) as usize]
    }
    /// Whether `nzcv` (bits 3:0 = N,Z,C,V) satisfies the condition (`ConditionHolds`).
    pub fn holds(self, nzcv: u32) -> bool {
        let (n, z, c, v) = (nzcv & 8 != 0, nzcv & 4 != 0, nzcv & 2 != 0, nzcv & 1 != 0);
        let base = match (self as u32) >> 1 {
            0 => z,
            1 => c,
            2 => n,
            3 => v,
            4 => c && !z,
            5 => n == v,
            6 => n == v && !z,
            _ => true,
        };
        if (self as u32) & 1 == 1 && (self as u32) != 15 {
            !base
        } else {
            base
        }
    }
}

/// Shift types of shifted-register operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Shift {
    Lsl,
    Lsr,
    Asr,
    Ror,
}

/// Extend types of extended-register operands and register offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Extend {
    Uxtb,
    Uxth,
    Uxtw,
    Uxtx,
    Sxtb,
    Sxth,
    Sxtw,
    Sxtx,
}

/// Logical operations (AND, ORR, EOR, ANDS; with `invert` for BIC, ORN, EON, BICS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum LogicOp {
    And,
    Orr,
    Eor,
    Ands,
}

/// Bitfield move kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BfmOp {
    Sbfm,
    Bfm,
    Ubfm,
}

/// Move-wide kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum MovOp {
    Movn,
    Movz,
    Movk,
}

/// One-source data processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Dp1Op {
    Rbit,
    Rev16,
    Rev32,
    Rev,
    Clz,
    Cls,
}

/// Two-source data processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Dp2Op {
    Udiv,
    Sdiv,
    Lslv,
    Lsrv,
    Asrv,
    Rorv,
}

/// Three-source data processing (multiply-accumulate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Dp3Op {
    Madd,
    Msub,
    Smaddl,
    Smsubl,
    Umaddl,
    Umsubl,
    Smulh,
    Umulh,
}

/// Conditional select kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum CselOp {
    Csel,
    Csinc,
    Csinv,
    Csneg,
}

/// The second operand of CCMP/CCMN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum CcmpOperand {
    Reg(Reg),
    Imm(u64),
}

/// Register branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BrOp {
    Br,
    Blr,
    Ret,
}

/// Data sizes of memory accesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum MemSize {
    B8 = 0,
    B16 = 1,
    B32 = 2,
    B64 = 3,
    B128 = 4,
}

impl MemSize {
    /// Size in bytes.
    pub fn bytes(self) -> u64 {
        1 << (self as u32)
    }
    /// From log2 of the size.
    pub fn from_log2(l: u32) -> MemSize {
        [MemSize::B8, MemSize::B16, MemSize::B32, MemSize::B64, MemSize::B128][l as usize]
    }
}

/// What a load/store transfers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LdStKind {
    /// Store the low `size` bytes of a general register.
    Store(MemSize),
    /// Load `size` bytes zero-extended.
    Load(MemSize),
    /// Load `size` bytes sign-extended to this width.
    LoadSigned(MemSize, Width),
    /// Store a SIMD&FP register's low `size` bytes.
    StoreV(MemSize),
    /// Load a SIMD&FP register (the rest of it is zeroed).
    LoadV(MemSize),
    /// PRFM: no architectural effect.
    Prefetch,
}

/// Addressing of single-register loads and stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrMode {
    /// `[base, #imm]` (unsigned scaled or unscaled signed offset).
    Offset(i64),
    /// `[base, #imm]!`.
    PreIndex(i64),
    /// `[base], #imm`.
    PostIndex(i64),
    /// `[base, rm, extend #shift]`.
    RegOffset {
        /// Offset register.
        rm: Reg,
        /// How it is extended.
        extend: Extend,
        /// Left shift after extension.
        shift: u8,
    },
}

/// Register transferred by a load/store: general or SIMD&FP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rt {
    /// A general register (31 = ZR).
    G(Reg),
    /// A SIMD&FP register.
    V(VReg),
}

/// Memory-ordering semantics of an access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Ordering {
    Plain,
    Acquire,
    Release,
    AcqRel,
}

/// Barriers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Barrier {
    /// DMB with the CRm option field.
    Dmb(u8),
    /// DSB with the CRm option field.
    Dsb(u8),
    Isb,
    Clrex,
}

/// System registers readable or writable at EL0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum SysReg {
    Nzcv,
    Fpcr,
    Fpsr,
    TpidrEl0,
    TpidrroEl0,
    CntvctEl0,
    CntfrqEl0,
    DczidEl0,
    CtrEl0,
    MidrEl1,
    MpidrEl1,
    RevidrEl1,
    /// PSTATE.DIT (FEAT_DIT).
    Dit,
    /// PSTATE.SSBS (FEAT_SSBS).
    Ssbs,
    /// RNDR and RNDRRS (FEAT_RNG; `reseed`: RNDRRS), read-only.
    Rndr {
        reseed: bool,
    },
    /// An ID register the kernel emulates as zero (ID_AA64*_EL1 and friends).
    IdReg(u16),
}

/// SYS instructions at EL0 (cache maintenance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum SysOp {
    DcZva,
    DcCvau,
    DcCvac,
    DcCivac,
    IcIvau,
}

/// A decoded A64 instruction: one variant per group, each group an enum of its own, so the
/// group's lift matches it exhaustively and the compiler lists what a new instruction must touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inst {
    /// Data processing on general registers.
    Dp(DpInst),
    /// Branches and exception generation.
    Branch(BranchInst),
    /// Hints, barriers, system registers and cache maintenance.
    System(SysInst),
    /// Loads and stores.
    Mem(MemInst),
    /// AdvSIMD.
    Simd(SimdInst),
    /// Scalar floating point (a64/fp.rs).
    Fp(super::fp::FpInst),
    /// Anything not implemented: SIGILL in the guest.
    Undefined,
}

/// Data processing on general registers: arithmetic, logic, moves, bitfields, conditional
/// selects and compares, CRC32, flag manipulation (lift/dp.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum DpInst {
    AddSubImm {
        sub: bool,
        setflags: bool,
        w: Width,
        rd: Reg,
        rn: Reg,
        imm: u64,
    },
    AddSubShifted {
        sub: bool,
        setflags: bool,
        w: Width,
        rd: Reg,
        rn: Reg,
        rm: Reg,
        shift: Shift,
        amount: u8,
    },
    AddSubExtended {
        sub: bool,
        setflags: bool,
        w: Width,
        rd: Reg,
        rn: Reg,
        rm: Reg,
        extend: Extend,
        amount: u8,
    },
    AddSubCarry {
        sub: bool,
        setflags: bool,
        w: Width,
        rd: Reg,
        rn: Reg,
        rm: Reg,
    },
    LogicalImm {
        op: LogicOp,
        w: Width,
        rd: Reg,
        rn: Reg,
        imm: u64,
    },
    LogicalShifted {
        op: LogicOp,
        invert: bool,
        w: Width,
        rd: Reg,
        rn: Reg,
        rm: Reg,
        shift: Shift,
        amount: u8,
    },
    MoveWide {
        op: MovOp,
        w: Width,
        rd: Reg,
        imm16: u16,
        shift: u8,
    },
    Adr {
        rd: Reg,
        page: bool,
        offset: i64,
    },
    Bitfield {
        op: BfmOp,
        w: Width,
        rd: Reg,
        rn: Reg,
        immr: u8,
        imms: u8,
    },
    Extr {
        w: Width,
        rd: Reg,
        rn: Reg,
        rm: Reg,
        lsb: u8,
    },
    Dp1 {
        op: Dp1Op,
        w: Width,
        rd: Reg,
        rn: Reg,
    },
    Dp2 {
        op: Dp2Op,
        w: Width,
        rd: Reg,
        rn: Reg,
        rm: Reg,
    },
    Dp3 {
        op: Dp3Op,
        w: Width,
        rd: Reg,
        rn: Reg,
        rm: Reg,
        ra: Reg,
    },
    CondSelect {
        op: CselOp,
        w: Width,
        cond: Cond,
        rd: Reg,
        rn: Reg,
        rm: Reg,
    },
    CondCompare {
        negate: bool,
        w: Width,
        cond: Cond,
        rn: Reg,
        operand: CcmpOperand,
        nzcv: u8,
    },
    /// CRC32B/H/W/X and CRC32CB/H/W/X.
    Crc32 {
        castagnoli: bool,
        size: MemSize,
        rd: Reg,
        rn: Reg,
        rm: Reg,
    },
    /// Flag manipulation (FEAT_FlagM, FEAT_FlagM2).
    FlagM(FlagMOp),
}

/// Branches and exception generation (lift/branch.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BranchInst {
    B {
        link: bool,
        offset: i64,
    },
    BCond {
        cond: Cond,
        offset: i64,
    },
    Cbz {
        nonzero: bool,
        w: Width,
        rt: Reg,
        offset: i64,
    },
    Tbz {
        nonzero: bool,
        rt: Reg,
        bit: u8,
        offset: i64,
    },
    BranchReg {
        op: BrOp,
        rn: Reg,
    },
    Svc {
        imm: u16,
    },
    Brk {
        imm: u16,
    },
}

/// Hints, barriers, system registers and cache maintenance (lift/system.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum SysInst {
    /// Hint space (NOP, YIELD, PACIASP, BTI, ...): no effect at EL0 without PAuth/BTI advertised.
    Hint,
    Barrier(Barrier),
    /// MSR (immediate) of a PSTATE bit EL0 may set: DIT or SSBS (`reg`), to `on`.
    SetPstate {
        reg: SysReg,
        on: bool,
    },
    Mrs {
        reg: SysReg,
        rt: Reg,
    },
    Msr {
        reg: SysReg,
        rt: Reg,
    },
    Sys {
        op: SysOp,
        rt: Reg,
    },
}

/// Loads and stores of general registers, and of FP/SIMD registers through the same forms;
/// exclusives, acquire/release, LSE atomics and CAS (lift/ldst.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum MemInst {
    LdSt {
        kind: LdStKind,
        rt: Rt,
        rn: Reg,
        addr: AddrMode,
    },
    LdLiteral {
        kind: LdStKind,
        rt: Rt,
        offset: i64,
    },
    LdStPair {
        load: bool,
        kind: LdStKind,
        rt: Rt,
        rt2: Rt,
        rn: Reg,
        addr: AddrMode,
    },
    LoadExclusive {
        size: MemSize,
        pair: bool,
        rt: Reg,
        rt2: Reg,
        rn: Reg,
        order: Ordering,
    },
    StoreExclusive {
        size: MemSize,
        pair: bool,
        rs: Reg,
        rt: Reg,
        rt2: Reg,
        rn: Reg,
        order: Ordering,
    },
    /// LDAR, LDLAR, LDAPR, and LDAPUR/LDAPURS (FEAT_LRCPC2) with its signed unscaled `offset`;
    /// `signed`: sign-extended to that width (LDAPURS), else zero-extended.
    LoadAcquire {
        size: MemSize,
        signed: Option<Width>,
        rt: Reg,
        rn: Reg,
        offset: i64,
    },
    /// STLR, STLLR, and STLUR (FEAT_LRCPC2) with its signed unscaled `offset`.
    StoreRelease {
        size: MemSize,
        rt: Reg,
        rn: Reg,
        offset: i64,
    },
    // AdvSIMD subset.
    /// LSE atomic read-modify-write (LDADD, LDCLR, LDEOR, LDSET, LD[SU]MAX/MIN, SWP): Rt = old.
    AtomicRmw {
        op: RmwKind,
        size: MemSize,
        rs: Reg,
        rt: Reg,
        rn: Reg,
    },
    /// CAS: compare Rs with memory, store Rt if equal; Rs = old.
    Cas {
        size: MemSize,
        rs: Reg,
        rt: Reg,
        rn: Reg,
    },
    /// CASP: the same on register pairs (Rs, Rs+1) and (Rt, Rt+1) of 32 or 64 bits.
    Casp {
        size: MemSize,
        rs: u8,
        rt: u8,
        rn: Reg,
    },
}

/// AdvSIMD: vector operations, moves between general and vector registers, structure loads and
/// stores (lift/simd.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum SimdInst {
    /// SHA512H/H2/SU0/SU1 (FEAT_SHA512), EOR3, BCAX, RAX1, XAR (FEAT_SHA3): operations on the
    /// two 64-bit lanes, lifted to integer operations.
    Crypto64 {
        op: Crypto64Op,
        rd: VReg,
        rn: VReg,
        rm: VReg,
    },
    /// An AdvSIMD operation on whole V registers: V`rd` = op(V`rn`, V`rm`, the old V`rd`) with
    /// arrangement `arr` (`rm` is `rn` where there is one source).
    Vec {
        op: VecKind,
        arr: Arrangement,
        rd: VReg,
        rn: VReg,
        rm: VReg,
    },
    /// DUP (general): replicate a general register into every element.
    DupGeneral { arr: Arrangement, rd: VReg, rn: Reg },
    /// DUP (element, scalar): V[rd] = V[rn].elem[index], the rest zeroed.
    DupScalar { esize: u8, rd: VReg, rn: VReg, index: u8 },
    /// INS (general): V[rd].elem[index] = rn.
    InsGeneral { esize: u8, rd: VReg, index: u8, rn: Reg },
    /// UMOV/SMOV: general = V[rn].elem[index].
    MovToGeneral {
        esize: u8,
        signed: bool,
        w: Width,
        rd: Reg,
        rn: VReg,
        index: u8,
    },
    /// FMOV between general and SIMD&FP registers (`to_vec`: general -> vector).
    FmovGeneral {
        to_vec: bool,
        size: MemSize,
        top: bool,
        rd_g: Reg,
        v: VReg,
    },
    /// FMOV (register) of S or D: copy and zero the rest.
    FmovReg { size: MemSize, rd: VReg, rn: VReg },
    /// LD1-LD4/ST1-ST4 (single structure) of one lane of `count` consecutive registers, or
    /// LD1R-LD4R (replicate to all lanes).
    LdStSingle {
        load: bool,
        count: u8,
        replicate: bool,
        esize: u8,
        index: u8,
        q: bool,
        rt: VReg,
        rn: Reg,
        post: Option<Reg>,
        post_imm: bool,
    },
    /// LD1-LD4/ST1-ST4 (multiple structures) of `count` registers from `rt`: consecutive
    /// registers (LD1/ST1), or `interleaved` elements, element i of register r at
    /// (i * count + r) * esize (LD2-LD4/ST2-ST4).
    LdStMultiple {
        load: bool,
        interleaved: bool,
        arr: Arrangement,
        count: u8,
        rt: VReg,
        rn: Reg,
        post: Option<Reg>,
        post_imm: bool,
    },
}

/// Flag-manipulation instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagMOp {
    /// Invert C.
    Cfinv,
    /// Convert floating-point comparison flags to the "external" format.
    Axflag,
    /// The inverse of AXFLAG.
    Xaflag,
    /// Rotate Xn right by `shift` and insert its low four bits into NZCV under `mask`.
    Rmif {
        /// Source.
        rn: Reg,
        /// Rotate amount.
        shift: u8,
        /// Which of N, Z, C, V (bits 3..0) to set.
        mask: u8,
    },
    /// SETF8/SETF16: N, Z, V from the low 8 (16) bits of Wn.
    Setf {
        /// SETF16 rather than SETF8.
        sixteen: bool,
        /// Source.
        rn: Reg,
    },
}

/// The operations of FEAT_SHA512 and FEAT_SHA3 (Arm ARM C7.2: SHA512H, SHA512H2, SHA512SU0,
/// SHA512SU1, EOR3, BCAX, RAX1, XAR), on 64-bit lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crypto64Op {
    /// SHA512H Qd, Qn, Vm.2D: the first half of two rounds (Sigma1 and Ch).
    Sha512h,
    /// SHA512H2 Qd, Qn, Vm.2D: the second half (Sigma0 and Maj).
    Sha512h2,
    /// SHA512SU0 Vd.2D, Vn.2D: message schedule, sigma0.
    Sha512su0,
    /// SHA512SU1 Vd.2D, Vn.2D, Vm.2D: message schedule, sigma1.
    Sha512su1,
    /// RAX1 Vd.2D, Vn.2D, Vm.2D: Vn EOR (Vm ROL 1).
    Rax1,
    /// XAR Vd.2D, Vn.2D, Vm.2D, #imm6: (Vn EOR Vm) ROR imm6.
    Xar {
        /// Rotate amount.
        imm6: u8,
    },
    /// EOR3 Vd.16B, Vn.16B, Vm.16B, Va.16B: Vn EOR Vm EOR Va.
    Eor3 {
        /// The third source.
        ra: VReg,
    },
    /// BCAX Vd.16B, Vn.16B, Vm.16B, Va.16B: Vn EOR (Vm AND NOT Va).
    Bcax {
        /// The third source.
        ra: VReg,
    },
}
