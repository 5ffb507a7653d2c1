//! Test-case generation: random initial state and random instruction sequences drawn from the
//! decoder's encoding table (`a64x_translator::a64::TABLE`), with the constraints that keep a
//! sequence inside its sandbox: memory accesses based on x28 within the scratch memory, branches
//! forward inside the sequence (register branches through an ADR just before them), system calls
//! whose result is the same under both emulators, only the system registers both sides model alike.

use crate::asm::{self, INDEX_REG, SCRATCH_MID, SCRATCH_REG, SCRATCH_SIZE};
use a64x_translator::a64::gen::Gen;
use a64x_translator::a64::{decode, decode_row, Extend, Inst, LdStKind, Reg, Row, SysOp, SysReg};
use a64x_translator::a64::{AddrMode, BrOp, Rt};
use a64x_translator::a64::{BranchInst, MemInst, SimdInst, SysInst};

/// One generated test: initial state and instruction sequence.
#[derive(Debug, Clone)]
pub struct Case {
    /// Initial x0..x30 (x28 is replaced by the scratch pointer when the program is built).
    pub x: [u64; 31],
    /// Initial SP.
    pub sp: u64,
    /// Initial NZCV (bits 31:28).
    pub nzcv: u64,
    /// Initial FPCR.
    pub fpcr: u64,
    /// Initial FPSR.
    pub fpsr: u64,
    /// Initial TPIDR_EL0.
    pub tpidr: u64,
    /// Initial q0..q31.
    pub v: [u128; 32],
    /// Initial scratch memory.
    pub scratch: Vec<u8>,
    /// The instructions and their table rows.
    pub insns: Vec<(u32, &'static str)>,
}

impl Case {
    /// The input block the program loads (see [`asm::IN_SIZE`]).
    pub fn input_block(&self) -> Vec<u8> {
        let mut b = vec![0u8; asm::IN_SIZE];
        for (i, x) in self.x.iter().enumerate() {
            b[i * 8..i * 8 + 8].copy_from_slice(&x.to_le_bytes());
        }
        for (off, v) in [
            (asm::IN_SP, self.sp),
            (asm::IN_NZCV, self.nzcv),
            (asm::IN_FPCR, self.fpcr),
            (asm::IN_FPSR, self.fpsr),
            (asm::IN_TPIDR, self.tpidr),
        ] {
            b[off..off + 8].copy_from_slice(&v.to_le_bytes());
        }
        for (i, v) in self.v.iter().enumerate() {
            b[asm::IN_V + 16 * i..asm::IN_V + 16 * i + 16].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    /// The instruction words alone.
    pub fn words(&self) -> Vec<u32> {
        self.insns.iter().map(|&(w, _)| w).collect()
    }

    /// Whether instruction `i` depends on the one before it, its setup: a BR/BLR/RET on the ADR
    /// that loaded its register, an SVC on the `movz x8` that chose the system call. The
    /// generator always emits the two together (see [`Generator::case`]).
    pub fn needs_setup(&self, i: usize) -> bool {
        matches!(
            decode(self.insns[i].0),
            Inst::Branch(BranchInst::BranchReg { .. } | BranchInst::Svc { .. })
        )
    }

    /// Whether instruction `i` ends the program when reached (BRK: SIGTRAP on both sides).
    pub fn stops(&self, i: usize) -> bool {
        matches!(decode(self.insns[i].0), Inst::Branch(BranchInst::Brk { .. }))
    }

    /// Replaces instruction `i` by a NOP, and the instruction it sets up with it: a BR or SVC
    /// left without its setup would jump to, or call, whatever the register happens to hold.
    pub fn nop(&mut self, i: usize) {
        self.insns[i] = (asm::NOP, "NOP");
        if i + 1 < self.insns.len() && self.needs_setup(i + 1) {
            self.insns[i + 1] = (asm::NOP, "NOP");
        }
    }
}

/// How a table row's words are made usable in a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `fuzz == true`: any registers, any values.
    Free,
    /// Loads and stores: base forced to x28, offsets kept inside the scratch memory.
    Memory,
    /// Direct branches: target forced forward inside the sequence.
    Branch,
    /// PC-relative literal loads: target a nearby code word.
    Literal,
    /// MRS/MSR of NZCV, FPCR, FPSR, TPIDR_EL0 only.
    SysReg,
    /// DC/IC with x28 as address.
    SysOp,
    /// BR/BLR/RET: preceded by an ADR that points the register at a later slot of the sequence
    /// (PC-relative, so the same address under both emulators: the program is ET_EXEC).
    BranchReg,
    /// SVC: preceded by `movz x8, #nr` with `nr` from [`SYSCALLS`].
    Svc,
    /// BRK: stops the program with SIGTRAP on both sides; drawn less often (see [`BRK_ODDS`]).
    Brk,
}

/// System calls an SVC makes: their results and effects are the same under both emulators. 4095
/// is unallocated (-ENOSYS; a64x notes it once on stderr, which is not compared); the others
/// take no arguments and return the same value in both (sched_yield 0, the ids of the user).
pub const SYSCALLS: [u32; 6] = [4095, 124, 174, 175, 176, 177];

/// A drawn BRK row is kept once in this many draws: every BRK reached ends its program, which
/// costs a re-run of the rest of the batch and a search for the instruction.
pub const BRK_ODDS: u64 = 8;

/// The rows the generator can draw, with how it draws them; `None` rows (whose results two
/// correct CPUs need not share, where qemu-aarch64 is known to be wrong, or that could not be
/// classified) are not generated.
pub fn kind_of(row: &'static Row) -> Option<Kind> {
    let mut g = Gen::new(0x5eed);
    // Classify by what the row decodes to (a few samples), so new rows need no change here.
    for _ in 0..64 {
        let Some(w) = g.random_word_in(row) else { continue };
        let inst = decode(w);
        if qemu_differs(&inst) {
            return None;
        }
        if row.fuzz {
            return Some(Kind::Free);
        }
        return match inst {
            Inst::Mem(
                MemInst::LdSt { .. }
                | MemInst::LdStPair { .. }
                | MemInst::LoadExclusive { .. }
                | MemInst::StoreExclusive { .. }
                | MemInst::LoadAcquire { .. }
                | MemInst::StoreRelease { .. }
                | MemInst::Cas { .. }
                | MemInst::Casp { .. }
                | MemInst::AtomicRmw { .. },
            )
            | Inst::Simd(SimdInst::LdStMultiple { .. } | SimdInst::LdStSingle { .. }) => Some(Kind::Memory),
            Inst::Branch(
                BranchInst::B { .. } | BranchInst::BCond { .. } | BranchInst::Cbz { .. } | BranchInst::Tbz { .. },
            ) => Some(Kind::Branch),
            Inst::Mem(MemInst::LdLiteral { .. }) => Some(Kind::Literal),
            // Results two correct CPUs need not share: RNDR's random bits, DC ZVA's block size
            // (DCZID_EL0 is the implementation's).
            Inst::System(
                SysInst::Mrs {
                    reg: SysReg::Rndr { .. },
                    ..
                }
                | SysInst::Sys { op: SysOp::DcZva, .. },
            ) => None,
            Inst::System(SysInst::Mrs { .. } | SysInst::Msr { .. }) => Some(Kind::SysReg),
            Inst::System(SysInst::Sys { .. }) => Some(Kind::SysOp),
            // MSR DIT/SSBS, #imm: no effect a later instruction of the case can read but MRS.
            Inst::System(SysInst::SetPstate { .. }) => Some(Kind::Free),
            Inst::Branch(BranchInst::BranchReg { .. }) => Some(Kind::BranchReg),
            Inst::Branch(BranchInst::Svc { .. }) => Some(Kind::Svc),
            Inst::Branch(BranchInst::Brk { .. }) => Some(Kind::Brk),
            _ => None,
        };
    }
    None
}

/// Replaces bits `hi..=lo` of `w` with `v`.
fn set_bits(w: u32, hi: u32, lo: u32, v: u32) -> u32 {
    let mask = ((1u64 << (hi - lo + 1)) - 1) as u32;
    (w & !(mask << lo)) | ((v & mask) << lo)
}

fn is_reserved(r: Reg) -> bool {
    matches!(r, Reg::X(n) if n as u32 == SCRATCH_REG || n as u32 == INDEX_REG)
}

fn rt_reserved(rt: Rt) -> bool {
    matches!(rt, Rt::G(r) if is_reserved(r))
}

fn size_of(kind: LdStKind) -> i64 {
    match kind {
        LdStKind::Store(m)
        | LdStKind::Load(m)
        | LdStKind::LoadSigned(m, _)
        | LdStKind::StoreV(m)
        | LdStKind::LoadV(m) => m.bytes() as i64,
        LdStKind::Prefetch => 8,
    }
}

/// Value of the index register after `extend` and `shift`.
fn extended(idx: u64, extend: Extend, shift: u8) -> i64 {
    let v = match extend {
        Extend::Uxtb => idx & 0xff,
        Extend::Uxth => idx & 0xffff,
        Extend::Uxtw => idx & 0xffff_ffff,
        Extend::Uxtx => idx,
        Extend::Sxtb => idx as i8 as i64 as u64,
        Extend::Sxth => idx as i16 as i64 as u64,
        Extend::Sxtw => idx as i32 as i64 as u64,
        Extend::Sxtx => idx,
    };
    (v << shift) as i64
}

/// Generator state while one sequence is drawn: where x28 points (relative to the scratch
/// middle), the index register's value and where the branches drawn so far land.
struct MemState {
    off: i64,
    idx: u64,
    /// Slots (counted as `left`) above this one may be skipped by an earlier forward branch; a
    /// base-register writeback there would make x28's offset depend on the path taken.
    skip_lo: usize,
    /// Slots (counted as `left`) an earlier branch lands on: the second word of a setup pair
    /// (ADR + BR, MOVZ + SVC) must not be one, or the branch would skip its setup.
    targets: Vec<usize>,
}

/// Keep every access within this distance of the scratch middle, and x28 within half of it.
const REACH: i64 = SCRATCH_MID as i64;

impl MemState {
    /// Checks a memory instruction (`w` decoded): accesses inside the scratch memory, no reserved
    /// register written, nothing CONSTRAINED UNPREDICTABLE, the acquire/release ones aligned (a
    /// misaligned one is an alignment fault without FEAT_LSE2, which a64x does not raise: a known
    /// difference). Returns x28's offset afterwards.
    fn check(&self, w: u32, inst: &Inst) -> Option<i64> {
        let inside = |a: i64, n: i64| a >= -REACH && a + n <= REACH;
        let aligned = |n: i64| self.off.rem_euclid(n) == 0 && inside(self.off, n);
        let base = Reg::X(SCRATCH_REG as u8);
        let (start, len, wb) = match *inst {
            Inst::Mem(MemInst::LdSt { kind, rt, rn, addr }) => {
                if rn != base || rt_reserved(rt) {
                    return None;
                }
                let n = size_of(kind);
                // LDAPUR, LDAPURS (the LDAPR/STLR unscaled-immediate class): aligned only.
                let rcpc = w & 0x3f20_0c00 == 0x1900_0000;
                if rcpc && !matches!(addr, AddrMode::Offset(i) if (self.off + i).rem_euclid(n) == 0) {
                    return None;
                }
                match addr {
                    AddrMode::Offset(i) => (self.off + i, n, 0),
                    AddrMode::PreIndex(i) => (self.off + i, n, i),
                    AddrMode::PostIndex(i) => (self.off, n, i),
                    AddrMode::RegOffset { rm, extend, shift } => {
                        let v = match rm {
                            Reg::X(r) if r as u32 == INDEX_REG => self.idx,
                            Reg::Zr => 0,
                            _ => return None,
                        };
                        (self.off.wrapping_add(extended(v, extend, shift)), n, 0)
                    }
                }
            }
            Inst::Mem(MemInst::LdStPair {
                load,
                kind,
                rt,
                rt2,
                rn,
                addr,
            }) => {
                if rn != base || rt_reserved(rt) || rt_reserved(rt2) || (load && rt == rt2) {
                    return None;
                }
                let n = 2 * size_of(kind);
                match addr {
                    AddrMode::Offset(i) => (self.off + i, n, 0),
                    AddrMode::PreIndex(i) => (self.off + i, n, i),
                    AddrMode::PostIndex(i) => (self.off, n, i),
                    AddrMode::RegOffset { .. } => return None,
                }
            }
            Inst::Mem(MemInst::LoadExclusive {
                size,
                pair,
                rt,
                rt2,
                rn,
                ..
            }) => {
                let n = size.bytes() as i64 * if pair { 2 } else { 1 };
                if rn != base || is_reserved(rt) || (pair && (is_reserved(rt2) || rt == rt2)) || !aligned(n) {
                    return None;
                }
                (self.off, n, 0)
            }
            Inst::Mem(MemInst::StoreExclusive {
                size,
                pair,
                rs,
                rt,
                rt2,
                rn,
                ..
            }) => {
                let n = size.bytes() as i64 * if pair { 2 } else { 1 };
                let clash = rs == rt || (pair && rs == rt2);
                if rn != base || is_reserved(rs) || is_reserved(rt) || clash || !aligned(n) {
                    return None;
                }
                (self.off, n, 0)
            }
            Inst::Mem(
                MemInst::StoreRelease { size, rt, rn, offset }
                | MemInst::LoadAcquire {
                    size, rt, rn, offset, ..
                },
            ) if offset != 0 => {
                let n = size.bytes() as i64;
                let at = self.off + offset;
                if rn != base || is_reserved(rt) || at.rem_euclid(n) != 0 || !inside(at, n) {
                    return None;
                }
                (at, n, 0)
            }
            Inst::Mem(MemInst::LoadAcquire { size, rt, rn, .. } | MemInst::StoreRelease { size, rt, rn, .. }) => {
                let n = size.bytes() as i64;
                if rn != base || is_reserved(rt) || !aligned(n) {
                    return None;
                }
                (self.off, n, 0)
            }
            Inst::Mem(MemInst::Cas { size, rs, rt, rn } | MemInst::AtomicRmw { size, rs, rt, rn, .. }) => {
                let n = size.bytes() as i64;
                if rn != base || is_reserved(rs) || is_reserved(rt) || !aligned(n) {
                    return None;
                }
                (self.off, n, 0)
            }
            Inst::Mem(MemInst::Casp { size, rs, rt, rn }) => {
                let n = 2 * size.bytes() as i64;
                let r = [SCRATCH_REG as u8, INDEX_REG as u8];
                let bad = |p: u8| r.contains(&p) || r.contains(&(p + 1));
                if rn != base || bad(rs) || bad(rt) || !aligned(n) {
                    return None;
                }
                (self.off, n, 0)
            }
            Inst::Simd(SimdInst::LdStMultiple {
                arr,
                count,
                rn,
                post,
                post_imm,
                ..
            }) => {
                let n = count as i64 * if arr.q { 16 } else { 8 };
                if rn != base {
                    return None;
                }
                (self.off, n, self.post(n, post, post_imm)?)
            }
            Inst::Simd(SimdInst::LdStSingle {
                count,
                esize,
                rn,
                post,
                post_imm,
                ..
            }) => {
                let n = (count as i64) << esize;
                if rn != base {
                    return None;
                }
                (self.off, n, self.post(n, post, post_imm)?)
            }
            _ => return None,
        };
        let new = self.off + wb;
        (inside(start, len) && new.abs() <= REACH / 2).then_some(new)
    }

    /// Writeback amount of an AdvSIMD structure load/store.
    fn post(&self, n: i64, post: Option<Reg>, post_imm: bool) -> Option<i64> {
        match post {
            Some(Reg::X(r)) if r as u32 == INDEX_REG => Some(self.idx as i64),
            Some(_) => None,
            None if post_imm => Some(n),
            None => Some(0),
        }
    }
}

/// Whether an instruction of the free classes writes a reserved register (x27 or x28): its
/// Rd field (bits 4:0, the destination of every data-processing class) names one and it is a
/// general register there.
fn writes_reserved_free(w: u32, inst: &Inst) -> bool {
    let rd = w & 31;
    if rd != SCRATCH_REG && rd != INDEX_REG {
        return false;
    }
    let s = format!("{inst:?}");
    s.contains(&format!("X({rd})"))
}

/// Draws cases from a fixed set of rows.
pub struct Generator {
    /// The PRNG.
    pub gen: Gen,
    /// The rows by encoding group, in table order: a group is drawn first, then one of its
    /// rows, so the dozens of load/store rows of a group weigh as much as one AdvSIMD group.
    groups: Vec<Vec<(&'static Row, Kind)>>,
}

impl Generator {
    /// A generator over `rows`, seeded with `seed`.
    pub fn new(seed: u64, rows: Vec<(&'static Row, Kind)>) -> Self {
        assert!(!rows.is_empty(), "no rows to draw from");
        let mut groups: Vec<Vec<(&'static Row, Kind)>> = Vec::new();
        for (row, kind) in rows {
            match groups.iter_mut().find(|g| g[0].0.group == row.group) {
                Some(g) => g.push((row, kind)),
                None => groups.push(vec![(row, kind)]),
            }
        }
        Self {
            gen: Gen::new(seed),
            groups,
        }
    }

    /// A random 128-bit vector value.
    fn vec_value(&mut self) -> u128 {
        let g = &mut self.gen;
        match g.below(5) {
            // Two doubles, four singles, eight halves, or integers.
            0 => ((fp_corner64(g) as u128) << 64) | fp_corner64(g) as u128,
            1 => (0..4).fold(0u128, |v, i| v | (fp_corner32(g) as u128) << (32 * i)),
            2 => (0..8).fold(0u128, |v, i| v | (fp_corner16(g) as u128) << (16 * i)),
            _ => ((g.interesting_u64() as u128) << 64) | g.interesting_u64() as u128,
        }
    }

    /// A case of 1..=`max_len` instructions.
    pub fn case(&mut self, max_len: usize) -> Case {
        let g = &mut self.gen;
        let mut x = [0u64; 31];
        for v in x.iter_mut() {
            *v = g.interesting_u64();
        }
        // The index register: small, sometimes negative (sign-extending forms).
        let idx = (g.below(129) as i64 - 64) as u64;
        x[INDEX_REG as usize] = idx;
        let sp = g.interesting_u64();
        let nzcv = g.below(16) << 28;
        // Half the time the default FPCR, else random RMode (23:22), FZ (24), DN (25) and FZ16
        // (19).
        let fpcr = if g.chance(1, 2) {
            g.below(16) << 22 | g.below(2) << 19
        } else {
            0
        };
        let fpsr = if g.chance(1, 4) { g.next_u64() & 0x0800_009f } else { 0 };
        let tpidr = g.next_u64();
        let mut scratch = vec![0u8; SCRATCH_SIZE];
        for chunk in scratch.chunks_mut(8) {
            chunk.copy_from_slice(&g.interesting_u64().to_le_bytes());
        }
        let len = g.range(1, max_len as u64) as usize;
        let mut v = [0u128; 32];
        for r in v.iter_mut() {
            *r = self.vec_value();
        }
        let mut mem = MemState {
            off: 0,
            idx,
            skip_lo: usize::MAX,
            targets: Vec::new(),
        };
        let mut insns = Vec::with_capacity(len);
        // One or two instructions at a time: BR/BLR/RET and SVC come with their setup.
        while insns.len() < len {
            let left = len - insns.len();
            insns.extend(self.insn(&mut mem, left));
        }
        x[SCRATCH_REG as usize] = 0;
        let fpcr = avoid_fjcvtzs_flush(&mut insns, fpcr);
        Case {
            x,
            sp,
            nzcv,
            fpcr,
            fpsr,
            tpidr,
            v,
            scratch,
            insns,
        }
    }

    /// One instruction, or two (a setup and the BR/BLR/RET or SVC that needs it); `left` is the
    /// number of slots from this one to the end of the sequence.
    fn insn(&mut self, mem: &mut MemState, left: usize) -> Vec<(u32, &'static str)> {
        loop {
            let group = self.gen.pick(&self.groups);
            let (row, kind) = *self.gen.pick(group);
            if kind == Kind::Brk && !self.gen.chance(1, BRK_ODDS) {
                continue;
            }
            for _ in 0..16 {
                if matches!(kind, Kind::BranchReg | Kind::Svc) {
                    if let Some([setup, w]) = self.pair(row, kind, mem, left) {
                        let setup_row = decode_row(setup).expect("setup words are in the table").name;
                        return vec![(setup, setup_row), (w, row.name)];
                    }
                } else if let Some(w) = self.word(row, kind, mem, left) {
                    return vec![(w, row.name)];
                }
            }
        }
    }

    /// A setup word and a word of `row` (BR/BLR/RET or SVC) for the slots `left` and `left - 1`,
    /// or None if this draw did not work out (no room, or the second slot is a branch target).
    fn pair(&mut self, row: &'static Row, kind: Kind, mem: &mut MemState, left: usize) -> Option<[u32; 2]> {
        if left < 2 || mem.targets.contains(&(left - 1)) {
            return None;
        }
        let g = &mut self.gen;
        let w = g.random_word_in(row)?;
        match (kind, decode(w)) {
            (Kind::BranchReg, Inst::Branch(BranchInst::BranchReg { op, .. })) => {
                // Plain RET (x30) half the time; otherwise any register generated code may write.
                let rn = if op == BrOp::Ret && g.chance(1, 2) {
                    30
                } else {
                    loop {
                        let r = g.below(31) as u32;
                        if r != SCRATCH_REG && r != INDEX_REG {
                            break r;
                        }
                    }
                };
                // Land k slots after the branch, at most at the end of the sequence; the ADR is
                // one slot before the branch, so its offset is k + 1 words (immlo = 0).
                let k = g.range(1, left as u64 - 1) as usize;
                let adr = 0x1000_0000 | ((k as u32 + 1) << 5) | rn;
                mem.targets.push(left - 1 - k);
                mem.skip_lo = mem.skip_lo.min(left - 1 - k);
                Some([adr, set_bits(w, 9, 5, rn)])
            }
            (Kind::Svc, Inst::Branch(BranchInst::Svc { .. })) => {
                // The SVC's immediate is left random: Linux ignores it.
                let nr = *g.pick(&SYSCALLS);
                Some([0xd280_0000 | (nr << 5) | 8, w])
            }
            _ => None,
        }
    }

    /// A usable word from `row`, or None if this draw did not work out.
    fn word(&mut self, row: &'static Row, kind: Kind, mem: &mut MemState, left: usize) -> Option<u32> {
        let mut branch_k = None;
        let g = &mut self.gen;
        let mut w = g.random_word_in(row)?;
        match kind {
            Kind::Free => {}
            Kind::Memory => {
                w = set_bits(w, 9, 5, SCRATCH_REG);
                if row.name.contains("unsigned immediate") {
                    w = set_bits(w, 21, 10, g.below(64) as u32);
                }
                if row.name.contains("register offset") {
                    w = set_bits(w, 20, 16, INDEX_REG);
                }
                if matches!(
                    decode(w),
                    Inst::Simd(
                        SimdInst::LdStMultiple { post: Some(_), .. } | SimdInst::LdStSingle { post: Some(_), .. }
                    )
                ) {
                    w = set_bits(w, 20, 16, INDEX_REG);
                }
            }
            Kind::Branch => {
                let k = g.range(1, left as u64) as u32;
                branch_k = Some(k as usize);
                w = match decode(w) {
                    Inst::Branch(BranchInst::B { .. }) => set_bits(w, 25, 0, k),
                    Inst::Branch(BranchInst::BCond { .. } | BranchInst::Cbz { .. }) => set_bits(w, 23, 5, k),
                    Inst::Branch(BranchInst::Tbz { .. }) => set_bits(w, 18, 5, k),
                    _ => return None,
                };
            }
            Kind::Literal => w = set_bits(w, 23, 5, (g.range(0, 64) as i64 - 32) as u32),
            // A row of one register (a feature's, carved out of MRS/MSR) keeps it; the generic
            // rows draw NZCV, FPCR, FPSR, TPIDR_EL0 (their MRS encodings' bits 19:5).
            Kind::SysReg if row.mask & (0x7fff << 5) == 0x7fff << 5 => {}
            Kind::SysReg => {
                let reg = *g.pick(&[0xd53b_4200u32, 0xd53b_4400, 0xd53b_4420, 0xd53b_d040]);
                w = set_bits(w, 19, 5, reg >> 5);
            }
            Kind::SysOp => w = set_bits(w, 4, 0, SCRATCH_REG),
            // BRK needs nothing: its immediate is free and it writes no register.
            Kind::Brk => {}
            // Drawn in pairs by `pair`.
            Kind::BranchReg | Kind::Svc => return None,
        }
        if !decode_row(w).is_some_and(|r| std::ptr::eq(r, row)) {
            return None;
        }
        let inst = decode(w);
        if inst == Inst::Undefined {
            return None;
        }
        match kind {
            Kind::Memory => {
                let off = mem.check(w, &inst)?;
                if off != mem.off && left > mem.skip_lo {
                    return None;
                }
                mem.off = off;
                return Some(w);
            }
            Kind::SysReg => {
                let reg = match inst {
                    Inst::System(SysInst::Mrs { reg, .. } | SysInst::Msr { reg, .. }) => reg,
                    _ => return None,
                };
                use SysReg::*;
                if !matches!(reg, Nzcv | Fpcr | Fpsr | TpidrEl0 | Dit | Ssbs) {
                    return None;
                }
            }
            // DC ZVA's block size is the implementation's (DCZID_EL0): not comparable.
            Kind::SysOp => return (!matches!(inst, Inst::System(SysInst::Sys { op: SysOp::DcZva, .. }))).then_some(w),
            _ => {}
        }
        if writes_reserved_free(w, &inst) {
            return None;
        }
        if let Some(k) = branch_k {
            mem.skip_lo = mem.skip_lo.min(left.saturating_sub(k));
            mem.targets.push(left - k);
        }
        Some(w)
    }
}

/// FPCR.FZ.
const FPCR_FZ: u64 = 1 << 24;

/// qemu 7.2 sets Z for FJCVTZS of a positive denormal flushed by FPCR.FZ, which the Arm ARM
/// clears (a known difference, docs/testing.md; `test-binaries/src/jscvt.c` covers the case):
/// a case with FJCVTZS runs without FZ, and one that may set FPCR itself (MSR FPCR) has its
/// FJCVTZS replaced by NOPs. The FPCR to start with.
fn avoid_fjcvtzs_flush(insns: &mut [(u32, &'static str)], fpcr: u64) -> u64 {
    let fjcvtzs = |w: u32| matches!(decode(w), Inst::Fp(a64x_translator::a64::fp::FpInst::Fjcvtzs { .. }));
    if !insns.iter().any(|&(w, _)| fjcvtzs(w)) {
        return fpcr;
    }
    // MSR FPCR, Xt: 1101 0101 0001 1011 0100 0100 000 Rt.
    if insns.iter().any(|&(w, _)| w & !31 == 0xd51b_4400) {
        replace_with_nops(insns, fjcvtzs);
    }
    fpcr & !FPCR_FZ
}

/// Every instruction of `insns` that `which` picks becomes a NOP.
fn replace_with_nops(insns: &mut [(u32, &'static str)], which: impl Fn(u32) -> bool) {
    const NOP: u32 = 0xd503_201f;
    let nop_row = decode_row(NOP).expect("NOP is in the table").name;
    for slot in insns.iter_mut().filter(|(w, _)| which(*w)) {
        *slot = (NOP, nop_row);
    }
}

/// qemu 7.2 writes the result of the scalar FCVTZS/FCVTZU (fixed-point) of a half as a 32-bit
/// value, the 16-bit integer sign-extended, where the Arm ARM writes 16 bits and zeroes the rest
/// of the register (a known difference, docs/testing.md; `test-binaries/src/fp16.c` covers the
/// instructions): their rows are not drawn.
fn qemu_differs(inst: &Inst) -> bool {
    use a64x_translator::a64::{SimdInst, VecKind, VfpKind};
    matches!(inst, Inst::Simd(SimdInst::Vec { op: VecKind::Fp(f), arr, .. })
        if f.kind == VfpKind::ToInt && f.scalar && arr.esize == 1 && f.index > 0)
}

/// A double: one of the values FP code has trouble with (signed zeros, infinities, quiet and
/// signalling NaNs with payloads, denormals, the smallest and largest normals, halves and ties,
/// values near the integer conversion limits), a small or a random value.
fn fp_corner64(g: &mut Gen) -> u64 {
    const C: &[f64] = &[
        0.0,
        1.0,
        0.5,
        1.5,
        2.5,
        3.0,
        0.1,
        f64::INFINITY,
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::MIN_POSITIVE * (1.0 - f64::EPSILON),
        f64::MIN_POSITIVE * (1.0 + f64::EPSILON),
        f64::MIN_POSITIVE * 0.5,
        1.0 - f64::EPSILON / 2.0,
        1.0 + f64::EPSILON,
        2147483647.5,
        2147483648.0,
        2147483648.5,
        4294967295.5,
        4294967296.0,
        9.223372036854775e18,
        9.223372036854776e18,
        1.8446744073709552e19,
        1.1754943508222875e-38,
        3.4028234663852886e38,
        3.4028235677973366e38,
    ];
    let sign = g.below(2) << 63;
    sign | match g.below(8) {
        0 | 1 => C[g.below(C.len() as u64) as usize].to_bits(),
        // NaNs: quiet or signalling, with a payload.
        2 => 0x7ff0_0000_0000_0000 | g.below(2) << 51 | (g.next_u64() & 0x0007_ffff_ffff_ffff).max(1),
        // Denormals.
        3 => g.next_u64() & 0x000f_ffff_ffff_ffff,
        4 => ((g.below(129) as f64 - 64.0) / 4.0).to_bits() & !(1 << 63),
        // Exponents near the extremes.
        5 => (g.next_u64() & 0x800f_ffff_ffff_ffff) | [1u64, 2, 0x7fe, 0x7fd, 0x3ff][g.below(5) as usize] << 52,
        _ => g.next_u64() & !(1 << 63),
    }
}

/// A single, drawn as [`fp_corner64`] draws doubles.
fn fp_corner32(g: &mut Gen) -> u32 {
    const C: &[f32] = &[
        0.0,
        1.0,
        0.5,
        1.5,
        2.5,
        3.0,
        0.1,
        f32::INFINITY,
        f32::MAX,
        f32::MIN_POSITIVE,
        f32::MIN_POSITIVE * (1.0 - f32::EPSILON),
        f32::MIN_POSITIVE * (1.0 + f32::EPSILON),
        f32::MIN_POSITIVE * 0.5,
        1.0 - f32::EPSILON / 2.0,
        1.0 + f32::EPSILON,
        2147483648.0,
        2147483520.0,
        4294967296.0,
        4294967040.0,
        9.223372e18,
        1.8446744e19,
        8388608.5,
        16777215.0,
    ];
    let sign = (g.below(2) as u32) << 31;
    sign | match g.below(8) {
        0 | 1 => C[g.below(C.len() as u64) as usize].to_bits(),
        2 => 0x7f80_0000 | (g.below(2) as u32) << 22 | (g.next_u64() as u32 & 0x003f_ffff).max(1),
        3 => g.next_u64() as u32 & 0x007f_ffff,
        4 => ((g.below(129) as f32 - 64.0) / 4.0).to_bits() & !(1 << 31),
        5 => (g.next_u64() as u32 & 0x807f_ffff) | [1u32, 2, 0xfe, 0xfd, 0x7f][g.below(5) as usize] << 23,
        _ => g.next_u64() as u32 & !(1 << 31),
    }
}

/// A half, drawn as [`fp_corner64`] draws doubles.
fn fp_corner16(g: &mut Gen) -> u16 {
    // 1, 0.5, 1.5, 2.5, 3, 0.1, the largest, the smallest normal and the largest denormal,
    // 1 -+ half an ulp, 2048 and 2049 (not a half), 65504 and the integer limits' neighbours.
    const C: &[u16] = &[
        0x0000, 0x3c00, 0x3800, 0x3e00, 0x4100, 0x4200, 0x2e66, 0x7c00, 0x7bff, 0x0400, 0x03ff, 0x0200, 0x3bff, 0x3c01,
        0x6800, 0x6801, 0x7800, 0x77ff, 0x5bff,
    ];
    let sign = (g.below(2) as u16) << 15;
    sign | match g.below(8) {
        0 | 1 => C[g.below(C.len() as u64) as usize],
        // NaNs: quiet or signalling, with a payload.
        2 => 0x7c00 | (g.below(2) as u16) << 9 | (g.next_u64() as u16 & 0x01ff).max(1),
        3 => g.next_u64() as u16 & 0x03ff,
        4 => (g.next_u64() as u16 & 0x03ff) | [1u16, 2, 0x1e, 0x1d, 0xf][g.below(5) as usize] << 10,
        _ => g.next_u64() as u16 & 0x7fff,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use a64x_translator::a64::{DpInst, TABLE};

    /// Where a branch at slot `i` of `case` lands (a slot index; `insns.len()` is the end).
    fn target(case: &Case, i: usize) -> Option<usize> {
        let off = match decode(case.insns[i].0) {
            Inst::Branch(BranchInst::B { offset, .. } | BranchInst::BCond { offset, .. }) => offset,
            Inst::Branch(BranchInst::Cbz { offset, .. } | BranchInst::Tbz { offset, .. }) => offset,
            Inst::Branch(BranchInst::BranchReg { .. }) => match decode(case.insns[i - 1].0) {
                Inst::Dp(DpInst::Adr { offset, .. }) => offset - 4,
                other => panic!("branch register without its ADR: {other:?}"),
            },
            _ => return None,
        };
        Some(i + (off / 4) as usize)
    }

    #[test]
    fn setups_stay_with_their_instructions() {
        let rows: Vec<_> = TABLE.iter().filter_map(|r| kind_of(r).map(|k| (r, k))).collect();
        let left_out: Vec<_> = TABLE.iter().filter(|r| kind_of(r).is_none()).map(|r| r.name).collect();
        assert_eq!(
            left_out,
            [
                "MRS RNDR",
                "MRS RNDRRS",
                "DC ZVA",
                "FCVTZS (scalar, fixed-point, half)",
                "FCVTZU (scalar, fixed-point, half)",
            ],
            "every other row is generated"
        );
        let mut g = Generator::new(7, rows.clone());
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..20_000 {
            let c = g.case(8);
            assert!(c.insns.len() <= 8);
            for i in 0..c.insns.len() {
                seen.insert(c.insns[i].1);
                if c.needs_setup(i) {
                    assert!(i > 0, "{:08x?}", c.words());
                    match (decode(c.insns[i - 1].0), decode(c.insns[i].0)) {
                        (
                            Inst::Dp(DpInst::Adr { rd, page: false, .. }),
                            Inst::Branch(BranchInst::BranchReg { rn, .. }),
                        ) => assert_eq!(rd, rn),
                        (Inst::Dp(DpInst::MoveWide { .. }), Inst::Branch(BranchInst::Svc { .. })) => {
                            assert_eq!(c.insns[i - 1].0 & 31, 8)
                        }
                        other => panic!("bad pair {other:?}"),
                    }
                }
                if let Some(t) = target(&c, i) {
                    assert!(t > i && t <= c.insns.len(), "{:08x?}", c.words());
                    assert!(
                        t == c.insns.len() || !c.needs_setup(t),
                        "branch skips a setup: {:08x?}",
                        c.words()
                    );
                }
            }
        }
        for (row, _) in &rows {
            assert!(seen.contains(row.name), "never drawn: {}", row.name);
        }
    }
}
