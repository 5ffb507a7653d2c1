//! Lowering of flags uses: a flags value is recomputed by one host instruction right where it is
//! read (so `CMP` + `B.cond` becomes `cmp` + `jcc`), and materialised as packed NZCV only when
//! something needs the bits.

use super::cond::{map, setcc, Cc, HostFlags};
use super::Lower;
use crate::cpu::off;
use crate::cpu::FlagsKind;
use crate::ir::{CondCode, Op, Sz, Val, COND_TABLE};
use dynasmrt::{dynasm, DynasmApi};

/// Where the answer to a condition is after [`Lower::cond`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CondAt {
    /// In EFLAGS, as this x86 condition.
    Host(Cc),
    /// The condition is always true.
    Always,
}

impl Lower<'_> {
    /// Make EFLAGS reflect flags value `f` (unless they already do); returns how to read them,
    /// or None for packed flags (no host flags exist for them).
    fn host_flags(&mut self, f: Val, pos: u32) -> Option<HostFlags> {
        let op = *self.block.op(f);
        let kind = match op {
            Op::FlagsSub(..) | Op::FlagsSbc(..) => HostFlags::SubLike,
            Op::FlagsAdd(..) | Op::FlagsAdc(..) | Op::FlagsLogic(..) => HostFlags::AddLike,
            _ => return None,
        };
        if self.eflags == Some(op) {
            return Some(kind);
        }
        match op {
            Op::FlagsSub(s, a, b) => {
                let ra = self.alloc.get(&mut self.ops, a, pos);
                match self.imm32(b) {
                    Some(i) => self.cmp_ri(s, ra, i),
                    None => {
                        let rb = self.alloc.get(&mut self.ops, b, pos);
                        self.cmp_rr(s, ra, rb);
                    }
                }
            }
            Op::FlagsAdd(s, a, b) => {
                let ra = self.alloc.get(&mut self.ops, a, pos);
                let rb = self.alloc.get(&mut self.ops, b, pos);
                match s {
                    Sz::S32 => dynasm!(self.ops ; .arch x64 ; mov eax, Rd(ra) ; add eax, Rd(rb)),
                    Sz::S64 => dynasm!(self.ops ; .arch x64 ; mov rax, Rq(ra) ; add rax, Rq(rb)),
                }
            }
            Op::FlagsLogic(s, a) => {
                let ra = self.alloc.get(&mut self.ops, a, pos);
                match s {
                    Sz::S32 => dynasm!(self.ops ; .arch x64 ; test Rd(ra), Rd(ra)),
                    Sz::S64 => dynasm!(self.ops ; .arch x64 ; test Rq(ra), Rq(ra)),
                }
            }
            Op::FlagsAdc(s, a, b, c) | Op::FlagsSbc(s, a, b, c) => {
                let ra = self.alloc.get(&mut self.ops, a, pos);
                let rb = self.alloc.get(&mut self.ops, b, pos);
                let rc = self.alloc.get(&mut self.ops, c, pos);
                let sbc = matches!(op, Op::FlagsSbc(..));
                dynasm!(self.ops ; .arch x64 ; mov rax, Rq(ra) ; bt Rq(rc), 0);
                // SBC: a + NOT(b) + C == a - b - NOT(C), and x86's borrow-in is NOT(C).
                if sbc {
                    dynasm!(self.ops ; .arch x64 ; cmc);
                }
                match (s, sbc) {
                    (Sz::S32, false) => dynasm!(self.ops ; .arch x64 ; adc eax, Rd(rb)),
                    (Sz::S64, false) => dynasm!(self.ops ; .arch x64 ; adc rax, Rq(rb)),
                    (Sz::S32, true) => dynasm!(self.ops ; .arch x64 ; sbb eax, Rd(rb)),
                    (Sz::S64, true) => dynasm!(self.ops ; .arch x64 ; sbb rax, Rq(rb)),
                }
            }
            _ => unreachable!(),
        }
        self.eflags = Some(op);
        Some(kind)
    }

    /// Register holding packed NZCV (bits 31:28) for packed flags values.
    fn packed_reg(&mut self, f: Val, pos: u32) -> u8 {
        match *self.block.op(f) {
            Op::FlagsPacked(v) => self.alloc.get(&mut self.ops, v, pos),
            Op::GetFlags => self.alloc.get(&mut self.ops, f, pos),
            ref o => unreachable!("not packed flags: {o:?}"),
        }
    }

    /// Packed NZCV of `f` into eax.
    pub(super) fn nzcv_to_rax(&mut self, f: Val, pos: u32) {
        match self.host_flags(f, pos) {
            None => {
                let r = self.packed_reg(f, pos);
                dynasm!(self.ops ; .arch x64 ; mov eax, Rd(r) ; and eax, 0xf000_0000u32 as i32);
            }
            Some(kind) => {
                let c = if kind == HostFlags::SubLike { Cc::Ae } else { Cc::B };
                setcc(&mut self.ops, Cc::S, 0);
                setcc(&mut self.ops, Cc::E, 1);
                setcc(&mut self.ops, c, 2);
                dynasm!(self.ops ; .arch x64
                    ; seto BYTE [rsp]
                    ; movzx eax, al ; shl eax, 31
                    ; movzx ecx, cl ; shl ecx, 30 ; or eax, ecx
                    ; movzx ecx, dl ; shl ecx, 29 ; or eax, ecx
                    ; movzx ecx, BYTE [rsp] ; shl ecx, 28 ; or eax, ecx
                );
            }
        }
        self.eflags = None;
    }

    /// Evaluate condition `c` of flags `f` into EFLAGS.
    pub(super) fn cond(&mut self, c: CondCode, f: Val, pos: u32) -> CondAt {
        if c.0 >= 14 {
            return CondAt::Always;
        }
        if let Some(kind) = self.host_flags(f, pos) {
            if let Some(cc) = map(c, kind) {
                return CondAt::Host(cc);
            }
            self.nzcv_to_rax(f, pos);
        } else {
            let r = self.packed_reg(f, pos);
            dynasm!(self.ops ; .arch x64 ; mov eax, Rd(r));
        }
        // CF = bit NZCV of the condition's truth table.
        let mask = COND_TABLE[c.0 as usize] as i32;
        dynasm!(self.ops ; .arch x64 ; shr eax, 28 ; mov ecx, mask ; bt ecx, eax);
        self.eflags = None;
        CondAt::Host(Cc::B)
    }

    /// Store flags value `f` to CpuState in its lazy form.
    pub(super) fn store_flags(&mut self, f: Val, pos: u32) {
        let op = *self.block.op(f);
        let (kind, a, b) = match op {
            Op::FlagsSub(s, a, b) => (
                if s == Sz::S32 {
                    FlagsKind::Sub32
                } else {
                    FlagsKind::Sub64
                },
                a,
                Some(b),
            ),
            Op::FlagsAdd(s, a, b) => (
                if s == Sz::S32 {
                    FlagsKind::Add32
                } else {
                    FlagsKind::Add64
                },
                a,
                Some(b),
            ),
            Op::FlagsLogic(s, a) => (
                if s == Sz::S32 {
                    FlagsKind::Logic32
                } else {
                    FlagsKind::Logic64
                },
                a,
                None,
            ),
            Op::FlagsPacked(v) => (FlagsKind::Packed, v, None),
            Op::GetFlags => (FlagsKind::Packed, f, None),
            _ => {
                self.nzcv_to_rax(f, pos);
                dynasm!(self.ops ; .arch x64
                    ; mov QWORD [r15 + off::NZCV_KIND], FlagsKind::Packed as i32
                    ; mov [r15 + off::NZCV_A], rax
                );
                return;
            }
        };
        dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + off::NZCV_KIND], kind as i32);
        self.store_val(a, off::NZCV_A, pos);
        if let Some(b) = b {
            self.store_val(b, off::NZCV_B, pos);
        }
    }
}
