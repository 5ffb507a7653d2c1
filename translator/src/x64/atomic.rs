//! Lowering of the LSE atomics, CAS and CRC32 to locked x86 instructions (`xchg`, `lock xadd`,
//! `lock cmpxchg` loops) and SSE4.2 `crc32`; pair operations go to a helper.

use super::Lower;
use crate::cpu::ExitReason;
use crate::helpers::{helper_crc32, helper_pair};
use crate::ir::{Log2, Op, PairKind, Val};
use crate::ops::RmwKind;
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

impl Lower<'_> {
    /// Zero-extend the low `size` bytes of rax into `d`.
    fn zext_rax(&mut self, size: Log2, d: u8) {
        match size.0 {
            0 => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), al),
            1 => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), ax),
            2 => dynasm!(self.ops ; .arch x64 ; mov Rd(d), eax),
            _ => dynasm!(self.ops ; .arch x64 ; mov Rq(d), rax),
        }
    }

    /// `lock cmpxchg [a], cl/cx/ecx/rcx`.
    fn cmpxchg_rcx(&mut self, size: Log2, a: u8) {
        match size.0 {
            0 => dynasm!(self.ops ; .arch x64 ; lock cmpxchg [Rq(a)], cl),
            1 => dynasm!(self.ops ; .arch x64 ; lock cmpxchg [Rq(a)], cx),
            2 => dynasm!(self.ops ; .arch x64 ; lock cmpxchg [Rq(a)], ecx),
            _ => dynasm!(self.ops ; .arch x64 ; lock cmpxchg [Rq(a)], rcx),
        }
    }

    /// Sign- or zero-extend the low `size` bytes of rcx and of `v` (into rdx) for a comparison.
    fn extend_pair(&mut self, size: Log2, signed: bool, v: u8) {
        match (size.0, signed) {
            (0, false) => dynasm!(self.ops ; .arch x64 ; movzx ecx, cl ; movzx edx, Rb(v)),
            (1, false) => dynasm!(self.ops ; .arch x64 ; movzx ecx, cx ; movzx edx, Rw(v)),
            (2, false) => dynasm!(self.ops ; .arch x64 ; mov ecx, ecx ; mov edx, Rd(v)),
            (0, true) => dynasm!(self.ops ; .arch x64 ; movsx rcx, cl ; movsx rdx, Rb(v)),
            (1, true) => dynasm!(self.ops ; .arch x64 ; movsx rcx, cx ; movsx rdx, Rw(v)),
            (2, true) => dynasm!(self.ops ; .arch x64 ; movsxd rcx, ecx ; movsxd rdx, Rd(v)),
            _ => dynasm!(self.ops ; .arch x64 ; mov rdx, Rq(v)),
        }
    }

    /// Lower AtomicRmw, Cas, Crc32 and PairHelper at `pos`.
    pub(super) fn lower_atomic(&mut self, op: Op, pos: u32) {
        let v = Val(pos);
        let args = op.args();
        match op {
            Op::AtomicRmw(kind, size, a, x) => {
                let ra = self.alloc.get(self.ops, a, pos);
                let rx = self.alloc.get(self.ops, x, pos);
                match kind {
                    RmwKind::Swp => {
                        dynasm!(self.ops ; .arch x64 ; mov rax, Rq(rx));
                        match size.0 {
                            0 => dynasm!(self.ops ; .arch x64 ; xchg [Rq(ra)], al),
                            1 => dynasm!(self.ops ; .arch x64 ; xchg [Rq(ra)], ax),
                            2 => dynasm!(self.ops ; .arch x64 ; xchg [Rq(ra)], eax),
                            _ => dynasm!(self.ops ; .arch x64 ; xchg [Rq(ra)], rax),
                        }
                    }
                    RmwKind::Add => {
                        dynasm!(self.ops ; .arch x64 ; mov rax, Rq(rx));
                        match size.0 {
                            0 => dynasm!(self.ops ; .arch x64 ; lock xadd [Rq(ra)], al),
                            1 => dynasm!(self.ops ; .arch x64 ; lock xadd [Rq(ra)], ax),
                            2 => dynasm!(self.ops ; .arch x64 ; lock xadd [Rq(ra)], eax),
                            _ => dynasm!(self.ops ; .arch x64 ; lock xadd [Rq(ra)], rax),
                        }
                    }
                    _ => {
                        match size.0 {
                            0 => dynasm!(self.ops ; .arch x64 ; movzx eax, BYTE [Rq(ra)]),
                            1 => dynasm!(self.ops ; .arch x64 ; movzx eax, WORD [Rq(ra)]),
                            2 => dynasm!(self.ops ; .arch x64 ; mov eax, DWORD [Rq(ra)]),
                            _ => dynasm!(self.ops ; .arch x64 ; mov rax, QWORD [Rq(ra)]),
                        }
                        dynasm!(self.ops ; .arch x64 ; retry: ; mov rcx, rax);
                        match kind {
                            RmwKind::Clr => dynasm!(self.ops ; .arch x64 ; mov rdx, Rq(rx) ; not rdx ; and rcx, rdx),
                            RmwKind::Eor => dynasm!(self.ops ; .arch x64 ; xor rcx, Rq(rx)),
                            RmwKind::Set => dynasm!(self.ops ; .arch x64 ; or rcx, Rq(rx)),
                            RmwKind::Smax | RmwKind::Smin | RmwKind::Umax | RmwKind::Umin => {
                                let signed = matches!(kind, RmwKind::Smax | RmwKind::Smin);
                                self.extend_pair(size, signed, rx);
                                dynasm!(self.ops ; .arch x64 ; cmp rcx, rdx);
                                match kind {
                                    RmwKind::Smax => dynasm!(self.ops ; .arch x64 ; cmovl rcx, rdx),
                                    RmwKind::Smin => dynasm!(self.ops ; .arch x64 ; cmovg rcx, rdx),
                                    RmwKind::Umax => dynasm!(self.ops ; .arch x64 ; cmovb rcx, rdx),
                                    _ => dynasm!(self.ops ; .arch x64 ; cmova rcx, rdx),
                                }
                            }
                            _ => unreachable!(),
                        }
                        self.cmpxchg_rcx(size, ra);
                        dynasm!(self.ops ; .arch x64 ; jne <retry);
                    }
                }
                self.alloc.release_dead(&args, pos);
                let d = self.def(v, pos, None);
                self.zext_rax(size, d);
            }
            Op::Cas(size, a, e, n) => {
                let ra = self.alloc.get(self.ops, a, pos);
                let re = self.alloc.get(self.ops, e, pos);
                let rn = self.alloc.get(self.ops, n, pos);
                dynasm!(self.ops ; .arch x64 ; mov rax, Rq(re) ; mov rcx, Rq(rn));
                self.cmpxchg_rcx(size, ra);
                self.alloc.release_dead(&args, pos);
                let d = self.def(v, pos, None);
                self.zext_rax(size, d);
            }
            Op::Crc32 {
                castagnoli: true,
                size,
                acc,
                data,
            } => {
                let racc = self.alloc.get(self.ops, acc, pos);
                let rd = self.alloc.get(self.ops, data, pos);
                dynasm!(self.ops ; .arch x64 ; mov eax, Rd(racc));
                match size.0 {
                    0 => dynasm!(self.ops ; .arch x64 ; crc32 eax, Rb(rd)),
                    1 => dynasm!(self.ops ; .arch x64 ; crc32 eax, Rw(rd)),
                    2 => dynasm!(self.ops ; .arch x64 ; crc32 eax, Rd(rd)),
                    _ => dynasm!(self.ops ; .arch x64 ; crc32 rax, Rq(rd)),
                }
                self.alloc.release_dead(&args, pos);
                let d = self.def(v, pos, None);
                dynasm!(self.ops ; .arch x64 ; mov Rd(d), eax);
            }
            Op::Crc32 {
                castagnoli: false,
                size,
                acc,
                data,
            } => {
                let racc = self.alloc.get(self.ops, acc, pos);
                let rd = self.alloc.get(self.ops, data, pos);
                // Arguments go through scratch registers: spilling only stores to memory.
                dynasm!(self.ops ; .arch x64 ; mov rcx, Rq(racc) ; mov rdx, Rq(rd));
                self.alloc.spill_caller_saved(self.ops, pos);
                self.vcache_release();
                self.main_path_calls.push(pos);
                let f = helper_crc32 as *const () as usize as i64;
                let sz = size.0 as i32;
                dynasm!(self.ops ; .arch x64 ; mov rsi, rcx ; mov ecx, sz ; mov rdi, r15);
                self.call_host(f as u64);
                self.eflags = None;
                self.alloc.release_dead(&args, pos);
                let d = self.def(v, pos, None);
                dynasm!(self.ops ; .arch x64 ; mov Rd(d), eax);
            }
            Op::PairHelper {
                kind,
                size,
                a,
                b,
                c,
                n,
                pc,
            } => {
                let k = match kind {
                    PairKind::Casp => 0u64,
                    PairKind::Ldxp => 1,
                    PairKind::Stxp => 2,
                };
                let code = k
                    | (size.0 as u64) << 8
                    | (a as u64) << 16
                    | (b as u64) << 24
                    | (c as u64) << 32
                    | (n as u64) << 40;
                self.alloc.spill_caller_saved(self.ops, pos);
                self.vcache_release();
                self.main_path_calls.push(pos);
                let f = helper_pair as *const () as usize as i64;
                dynasm!(self.ops ; .arch x64
                    ; mov rdi, r15 ; mov rsi, QWORD code as i64 ; mov rdx, QWORD pc as i64
                );
                self.call_host(f as u64);
                dynasm!(self.ops ; .arch x64 ; test eax, eax ; jz >done);
                // The access faulted: CpuState has the guest state (written back before the call,
                // and the pc by the helper), the signal is pending.
                self.exit_to_loop(ExitReason::Indirect);
                dynasm!(self.ops ; .arch x64 ; done:);
                self.eflags = None;
            }
            _ => unreachable!("not an atomic op: {op:?}"),
        }
    }
}
