//! Test-program builder: hand-encoded A64 instructions (Arm ARM C6) and a minimal static ELF64
//! executable writer (System V gABI "Program Header"), so no assembler runs per test case.
//!
//! The program has two PT_LOAD segments: code (R-X) at [`CODE_VA`] and data (RW-) at
//! [`DATA_VA`]. Each case owns one [`CASE_SIZE`]-byte data block: its input state, its output
//! block and its scratch memory, laid out by the `IN_*`/`OUT_*`/`SCRATCH_*` constants.

/// Guest address of the first byte of the ELF file (the code segment starts there).
pub const CODE_VA: u64 = 0x40_0000;
/// File offset (and offset from [`CODE_VA`]) of the first instruction.
pub const CODE_OFF: u64 = 0x1000;
/// Guest address of the data segment.
pub const DATA_VA: u64 = 0x1000_0000;

/// Input block: x0..x30 (x28 ignored: it is the scratch pointer), then these fields.
pub const IN_SP: usize = 248;
/// Input NZCV (bits 31:28).
pub const IN_NZCV: usize = 256;
/// Input FPCR.
pub const IN_FPCR: usize = 264;
/// Input FPSR.
pub const IN_FPSR: usize = 272;
/// Input TPIDR_EL0.
pub const IN_TPIDR: usize = 280;
/// Input q0..q31.
pub const IN_V: usize = 288;
/// Size of the input block.
pub const IN_SIZE: usize = IN_V + 32 * 16;

/// Offset of the output block inside a case block; the output is x0..x30, then these fields.
pub const OUT: usize = IN_SIZE;
/// Output SP.
pub const OUT_SP: usize = 248;
/// Output NZCV.
pub const OUT_NZCV: usize = 256;
/// Output FPCR.
pub const OUT_FPCR: usize = 264;
/// Output FPSR.
pub const OUT_FPSR: usize = 272;
/// Output marker: the case's index in the program, to check the stream is in step.
pub const OUT_MARK: usize = 280;
/// Output q0..q31.
pub const OUT_V: usize = 288;
/// Size of the register part of the output.
pub const OUT_REGS: usize = OUT_V + 32 * 16;

/// Offset of the scratch memory inside a case block (right after the output registers, so one
/// `write` prints both).
pub const SCRATCH: usize = OUT + OUT_REGS;
/// Size of the scratch memory.
pub const SCRATCH_SIZE: usize = 4096;
/// x28 points this far into the scratch memory.
pub const SCRATCH_MID: usize = SCRATCH_SIZE / 2;
/// Bytes one case writes to stdout: output registers and scratch memory.
pub const OUT_BYTES: usize = OUT_REGS + SCRATCH_SIZE;
/// Size of one case's data block.
pub const CASE_SIZE: usize = SCRATCH + SCRATCH_SIZE;

/// The scratch base register; generated code never writes it except by load/store writeback.
pub const SCRATCH_REG: u32 = 28;
/// The index register of register-offset loads/stores; generated code never writes it.
pub const INDEX_REG: u32 = 27;

/// `NOP`.
pub const NOP: u32 = 0xd503_201f;

/// `LDR Xt, [Xn, #off]` (unsigned offset, `off` a multiple of 8).
fn ldr_x(rt: u32, rn: u32, off: usize) -> u32 {
    0xf940_0000 | ((off as u32 / 8) << 10) | (rn << 5) | rt
}
/// `STR Xt, [Xn, #off]`.
fn str_x(rt: u32, rn: u32, off: usize) -> u32 {
    0xf900_0000 | ((off as u32 / 8) << 10) | (rn << 5) | rt
}
/// `LDP`/`STP` of X (`opc_bits` 0xa940_0000 / 0xa900_0000) or Q (0xad40_0000 / 0xad00_0000)
/// registers at a signed offset scaled by `scale`.
fn pair(opc_bits: u32, rt: u32, rt2: u32, rn: u32, off: usize, scale: usize) -> u32 {
    opc_bits | ((((off / scale) as u32) & 0x7f) << 15) | (rt2 << 10) | (rn << 5) | rt
}
/// `MSR <sysreg>, Xt` for a system register given as its `MRS` encoding base.
fn msr(sysreg: u32, rt: u32) -> u32 {
    (sysreg & !0x0020_0000) | rt
}
/// `MRS Xt, <sysreg>`.
fn mrs(sysreg: u32, rt: u32) -> u32 {
    sysreg | rt
}
const NZCV: u32 = 0xd53b_4200;
const FPCR: u32 = 0xd53b_4400;
const FPSR: u32 = 0xd53b_4420;
const TPIDR: u32 = 0xd53b_d040;

/// Code emitter that knows the address of the next instruction.
struct Code {
    words: Vec<u32>,
}

impl Code {
    fn pc(&self) -> u64 {
        CODE_VA + CODE_OFF + 4 * self.words.len() as u64
    }
    fn put(&mut self, w: u32) {
        self.words.push(w);
    }
    /// `ADRP Xd, addr; ADD Xd, Xd, #lo12(addr)`.
    fn addr(&mut self, rd: u32, addr: u64) {
        let pages = ((addr >> 12) as i64 - (self.pc() >> 12) as i64) as u32;
        self.put(0x9000_0000 | ((pages & 3) << 29) | (((pages >> 2) & 0x7_ffff) << 5) | rd);
        self.put(0x9100_0000 | (((addr & 0xfff) as u32) << 10) | (rd << 5) | rd);
    }
    /// `MOVZ Xd, #imm16`.
    fn movz(&mut self, rd: u32, imm: u16) {
        self.put(0xd280_0000 | ((imm as u32) << 5) | rd);
    }
}

/// Where one case's instructions ended up in a built program.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    /// Guest address of the case's first generated instruction.
    pub seq_va: u64,
    /// Number of generated instructions.
    pub len: usize,
}

/// One case as the program builder needs it.
pub struct CaseImage<'a> {
    /// The input block ([`IN_SIZE`] bytes).
    pub input: &'a [u8],
    /// Initial scratch memory ([`SCRATCH_SIZE`] bytes).
    pub scratch: &'a [u8],
    /// The generated instruction words.
    pub insns: &'a [u32],
}

/// Guest address of case `i`'s scratch pointer (x28's initial value).
pub fn scratch_ptr(i: usize) -> u64 {
    DATA_VA + (i * CASE_SIZE + SCRATCH + SCRATCH_MID) as u64
}

/// Builds the static ELF executable that runs `cases` one after the other, each printing its
/// output block to stdout, then exits with status 0. Returns the file and where each case's
/// instructions are.
pub fn build_program(cases: &[CaseImage]) -> (Vec<u8>, Vec<Placement>) {
    let mut c = Code { words: Vec::new() };
    let mut placements = Vec::new();
    let mut data = vec![0u8; cases.len() * CASE_SIZE];
    for (i, case) in cases.iter().enumerate() {
        let block = &mut data[i * CASE_SIZE..(i + 1) * CASE_SIZE];
        block[..IN_SIZE].copy_from_slice(case.input);
        block[SCRATCH..].copy_from_slice(case.scratch);
        let base = DATA_VA + (i * CASE_SIZE) as u64;
        // Prologue: state from the input block through x30.
        c.addr(30, base);
        c.put(0xd503_305f); // CLREX: no exclusive monitor left over from the previous case
        for (off, reg) in [(IN_NZCV, NZCV), (IN_FPCR, FPCR), (IN_FPSR, FPSR), (IN_TPIDR, TPIDR)] {
            c.put(ldr_x(0, 30, off));
            c.put(msr(reg, 0));
        }
        c.put(ldr_x(0, 30, IN_SP));
        c.put(0x9100_001f); // mov sp, x0
        for q in (0..32).step_by(2) {
            c.put(pair(0xad40_0000, q, q + 1, 30, IN_V + q as usize * 16, 16));
        }
        for r in (0..28).step_by(2) {
            c.put(pair(0xa940_0000, r, r + 1, 30, r as usize * 8, 8));
        }
        c.put(ldr_x(29, 30, 29 * 8));
        c.addr(SCRATCH_REG, scratch_ptr(i));
        c.put(ldr_x(30, 30, 30 * 8));
        placements.push(Placement {
            seq_va: c.pc(),
            len: case.insns.len(),
        });
        for &w in case.insns {
            c.put(w);
        }
        // Epilogue: x0 parked in TPIDR_EL0 while x0 addresses the output block.
        c.put(msr(TPIDR, 0));
        c.addr(0, base + OUT as u64);
        c.put(str_x(1, 0, 8));
        for r in (2..30).step_by(2) {
            c.put(pair(0xa900_0000, r, r + 1, 0, r as usize * 8, 8));
        }
        c.put(str_x(30, 0, 30 * 8));
        c.put(mrs(TPIDR, 1));
        c.put(str_x(1, 0, 0));
        c.put(0x9100_03e1); // mov x1, sp
        c.put(str_x(1, 0, OUT_SP));
        for (off, reg) in [(OUT_NZCV, NZCV), (OUT_FPCR, FPCR), (OUT_FPSR, FPSR)] {
            c.put(mrs(reg, 1));
            c.put(str_x(1, 0, off));
        }
        c.movz(1, i as u16);
        c.put(str_x(1, 0, OUT_MARK));
        for q in (0..32).step_by(2) {
            c.put(pair(0xad00_0000, q, q + 1, 0, OUT_V + q as usize * 16, 16));
        }
        // write(1, out, OUT_BYTES)
        c.put(0xaa00_03e1); // mov x1, x0
        c.movz(0, 1);
        c.movz(2, OUT_BYTES as u16);
        c.movz(8, 64);
        c.put(0xd400_0001);
    }
    c.movz(0, 0);
    c.movz(8, 94); // exit_group(0)
    c.put(0xd400_0001);
    (elf(&c.words, &data), placements)
}

/// A static ELF64 little-endian AArch64 executable: code at [`CODE_VA`] + [`CODE_OFF`] (the
/// entry point), `data` at [`DATA_VA`].
fn elf(code: &[u32], data: &[u8]) -> Vec<u8> {
    let code_end = CODE_OFF as usize + code.len() * 4;
    let data_off = code_end.div_ceil(0x1000) * 0x1000;
    let mut f = vec![0u8; data_off];
    let mut put = |off: usize, bytes: &[u8]| f[off..off + bytes.len()].copy_from_slice(bytes);
    put(0, b"\x7fELF\x02\x01\x01");
    put(16, &2u16.to_le_bytes()); // ET_EXEC
    put(18, &183u16.to_le_bytes()); // EM_AARCH64
    put(20, &1u32.to_le_bytes());
    put(24, &(CODE_VA + CODE_OFF).to_le_bytes());
    put(32, &64u64.to_le_bytes()); // e_phoff
    put(52, &64u16.to_le_bytes()); // e_ehsize
    put(54, &56u16.to_le_bytes()); // e_phentsize
    put(56, &2u16.to_le_bytes()); // e_phnum
    let phdr = |flags: u32, off: u64, va: u64, size: u64| {
        let mut p = Vec::with_capacity(56);
        p.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        p.extend_from_slice(&flags.to_le_bytes());
        for v in [off, va, va, size, size, 0x1000] {
            p.extend_from_slice(&v.to_le_bytes());
        }
        p
    };
    put(64, &phdr(5, 0, CODE_VA, code_end as u64));
    put(120, &phdr(6, data_off as u64, DATA_VA, data.len() as u64));
    for (i, w) in code.iter().enumerate() {
        put(CODE_OFF as usize + 4 * i, &w.to_le_bytes());
    }
    f.extend_from_slice(data);
    f
}
