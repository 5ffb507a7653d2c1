//! IR -> x86-64 with dynasm-rs. One block becomes straight-line host code with the guest state
//! behind r15, values in host registers (see [`regalloc`]), flags recomputed where read (see
//! [`flags`]), and exits that either jump to a patchable chain site, look up the jump cache, or
//! return to the run loop with an [`ExitReason`](crate::cpu::ExitReason) in eax.

// dynasm-rs expands dynamic registers (`Rq(r)` with `r: u8`) through `u8::from`.
#![allow(clippy::useless_conversion)]

pub mod cond;
pub mod disasm;
mod flags;
mod lower;
pub mod regalloc;
mod vector;

use crate::cpu::{off, ExitReason, JUMP_CACHE_SIZE};
use crate::ir::{Block, Exit, Op, Sz, Val};
use dynasmrt::{dynasm, x64::X64Relocation, DynasmApi, DynasmLabelApi, VecAssembler};
use flags::CondAt;
use regalloc::Alloc;

/// Addresses emitted code needs.
#[derive(Debug, Clone, Copy)]
pub struct Runtime {
    /// Where exits go: restores host registers and returns eax to the run loop.
    pub epilogue: u64,
}

/// A chainable exit: the `jmp rel32` at `offset` goes to the stub after it until patched to
/// jump straight to the translation of `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainSite {
    /// Offset of the 5-byte `jmp rel32` in the block's code.
    pub offset: usize,
    /// Guest address it leads to.
    pub target: u64,
}

/// Host code of one block.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Machine code, to be placed at the base address given to [`compile`].
    pub code: Vec<u8>,
    /// Its chainable exits.
    pub chain_sites: Vec<ChainSite>,
}

/// State of lowering one block.
pub struct Lower<'a> {
    block: &'a Block,
    ops: VecAssembler<X64Relocation>,
    alloc: Alloc,
    /// The flags op whose result EFLAGS currently hold, if any.
    eflags: Option<Op>,
    rt: Runtime,
    chain_sites: Vec<ChainSite>,
    /// Host address the code will be placed at.
    base: u64,
}

/// Compile `block` for placement at host address `base`.
pub fn compile(block: &Block, base: u64, rt: Runtime) -> Compiled {
    let mut l = Lower {
        block,
        ops: VecAssembler::new(base as usize),
        alloc: Alloc::new(block),
        eflags: None,
        rt,
        chain_sites: Vec::new(),
        base,
    };
    for i in 0..block.ops.len() {
        l.lower_op(i as u32);
        l.alloc.unlock_all();
    }
    l.lower_exit(block.ops.len() as u32);
    let code = l.ops.finalize().expect("block labels resolve");
    Compiled {
        code,
        chain_sites: l.chain_sites,
    }
}

impl Lower<'_> {
    /// A constant operand that fits an x86 imm32 (sign-extended).
    fn imm32(&self, v: Val) -> Option<i32> {
        let c = self.alloc.konst(v)?;
        let s = c as i64;
        (s >= i32::MIN as i64 && s <= i32::MAX as i64).then_some(s as i32)
    }

    fn cmp_ri(&mut self, s: Sz, r: u8, i: i32) {
        match s {
            Sz::S32 => dynasm!(self.ops ; .arch x64 ; cmp Rd(r), i),
            Sz::S64 => dynasm!(self.ops ; .arch x64 ; cmp Rq(r), i),
        }
    }

    fn cmp_rr(&mut self, s: Sz, a: u8, b: u8) {
        match s {
            Sz::S32 => dynasm!(self.ops ; .arch x64 ; cmp Rd(a), Rd(b)),
            Sz::S64 => dynasm!(self.ops ; .arch x64 ; cmp Rq(a), Rq(b)),
        }
    }

    /// Store value `v` (register or immediate) to `[r15 + disp]` as 64 bits.
    fn store_val(&mut self, v: Val, disp: i32, pos: u32) {
        match self.imm32(v) {
            Some(i) => dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + disp], i),
            None => {
                let r = self.alloc.get(&mut self.ops, v, pos);
                dynasm!(self.ops ; .arch x64 ; mov [r15 + disp], Rq(r));
            }
        }
    }

    /// Leave to the run loop with `reason` in eax.
    fn exit_to_loop(&mut self, reason: ExitReason) {
        let epi = self.rt.epilogue as i64;
        dynasm!(self.ops ; .arch x64
            ; mov eax, reason as i32
            ; mov rcx, QWORD epi
            ; jmp rcx
        );
    }

    fn set_pc(&mut self, pc: u64) {
        dynasm!(self.ops ; .arch x64 ; mov rax, QWORD pc as i64 ; mov [r15 + off::PC], rax);
    }

    /// A patchable direct exit to `target`.
    fn chain_exit(&mut self, target: u64) {
        let site = self.ops.offset().0;
        // jmp rel32 with displacement 0: falls through to the stub until patched.
        self.ops.extend([0xe9u8, 0, 0, 0, 0]);
        self.chain_sites.push(ChainSite { offset: site, target });
        let site_addr = (self.base + site as u64) as i64;
        self.set_pc(target);
        dynasm!(self.ops ; .arch x64 ; mov rax, QWORD site_addr ; mov [r15 + off::EXIT_SITE], rax);
        self.exit_to_loop(ExitReason::Chain);
    }

    fn lower_exit(&mut self, pos: u32) {
        match self.block.exit {
            Exit::Jump(t) => self.chain_exit(t),
            Exit::Branch {
                cond,
                flags,
                taken,
                not_taken,
            } => match self.cond(cond, flags, pos) {
                CondAt::Always => self.chain_exit(taken),
                CondAt::Host(cc) => {
                    let nt = self.ops.new_dynamic_label();
                    cond::jcc(&mut self.ops, cc.invert(), nt);
                    self.chain_exit(taken);
                    dynasm!(self.ops ; .arch x64 ; =>nt);
                    self.chain_exit(not_taken);
                }
            },
            Exit::Indirect(v) => {
                let r = self.alloc.get(&mut self.ops, v, pos);
                let mask = (JUMP_CACHE_SIZE - 1) as i32;
                dynasm!(self.ops ; .arch x64
                    ; mov rax, Rq(r)
                    ; mov [r15 + off::PC], rax
                    ; mov ecx, eax
                    ; shr ecx, 2
                    ; and ecx, mask
                    ; shl ecx, 4
                    ; add rcx, [r15 + off::JUMP_CACHE]
                    ; cmp [rcx], rax
                    ; jne >miss
                    ; jmp QWORD [rcx + 8]
                    ; miss:
                    ; mov QWORD [r15 + off::EXIT_SITE], 0
                );
                self.exit_to_loop(ExitReason::Indirect);
            }
            Exit::Svc { imm, next } => {
                self.set_pc(next);
                dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + off::EXIT_ARG], imm as i32);
                self.exit_to_loop(ExitReason::Svc);
            }
            Exit::Brk { imm, pc } => {
                self.set_pc(pc);
                dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + off::EXIT_ARG], imm as i32);
                self.exit_to_loop(ExitReason::Brk);
            }
            Exit::Undefined { pc } => {
                self.set_pc(pc);
                self.exit_to_loop(ExitReason::Undefined);
            }
            Exit::InvalidateCode { addr, next } => {
                let r = self.alloc.get(&mut self.ops, addr, pos);
                dynasm!(self.ops ; .arch x64 ; mov [r15 + off::EXIT_ARG], Rq(r));
                self.set_pc(next);
                self.exit_to_loop(ExitReason::InvalidateCode);
            }
        }
    }
}

/// Host code of the entry trampoline `extern "C" fn(cpu: *mut CpuState, code: u64) -> u32` and,
/// at the returned offset, the epilogue that exits jump to.
pub fn trampoline(base: u64) -> (Vec<u8>, usize) {
    let mut ops: VecAssembler<X64Relocation> = VecAssembler::new(base as usize);
    let frame = regalloc::FRAME_BYTES;
    dynasm!(ops ; .arch x64
        ; push rbx ; push rbp ; push r12 ; push r13 ; push r14 ; push r15
        ; sub rsp, frame
        ; mov r15, rdi
        ; jmp rsi
    );
    let epi = ops.offset().0;
    dynasm!(ops ; .arch x64
        ; add rsp, frame
        ; pop r15 ; pop r14 ; pop r13 ; pop r12 ; pop rbp ; pop rbx
        ; ret
    );
    (ops.finalize().expect("trampoline assembles"), epi)
}
