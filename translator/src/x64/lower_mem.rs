//! Lowering of the ops that touch guest memory or V registers in CpuState: loads and stores
//! (identity-mapped: one host access per guest access), exclusives as compare-and-swap, DC ZVA,
//! vector loads and stores, and lane moves.

use super::Lower;
use crate::cpu::off;
use crate::ir::{LoadTy, Log2, Val};
use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

/// `lock cmpxchg16b [rax]`: the instruction of translated code whose general-protection fault
/// is a guest alignment fault at rax (see `align_check`).
pub const ALIGN_TRAP: [u8; 5] = [0xf0, 0x48, 0x0f, 0xc7, 0x08];

impl Lower<'_> {
    /// `Op::Load`, zero- or sign-extended.
    pub(super) fn load(&mut self, ty: LoadTy, base: Val, o: i32, pos: u32, args: &[Val]) {
        let v = Val(pos);

        let rb = self.alloc.get(self.ops, base, pos);
        self.alloc.release_dead(args, pos);
        let d = self.def(v, pos, Some(rb));
        match ty {
            LoadTy::U8 => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), BYTE [Rq(rb) + o]),
            LoadTy::U16 => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), WORD [Rq(rb) + o]),
            LoadTy::U32 => dynasm!(self.ops ; .arch x64 ; mov Rd(d), DWORD [Rq(rb) + o]),
            LoadTy::U64 => dynasm!(self.ops ; .arch x64 ; mov Rq(d), QWORD [Rq(rb) + o]),
            LoadTy::S8 => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), BYTE [Rq(rb) + o]),
            LoadTy::S16 => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), WORD [Rq(rb) + o]),
            LoadTy::S32 => dynasm!(self.ops ; .arch x64 ; movsxd Rq(d), DWORD [Rq(rb) + o]),
        }
    }

    /// `Op::AlignCheck`: a misaligned address raises an alignment fault from this op's own
    /// fault site. The fault is made by the host: `lock cmpxchg16b [rax]` at an address that is
    /// not 16-aligned (a misaligned address of an access of 16 bytes or fewer never is) raises a
    /// general-protection fault before touching memory, and the VM's fault handler turns a #GP
    /// at exactly these bytes of translated code ([`ALIGN_TRAP`]) into the guest's SIGBUS
    /// BUS_ADRALN at rax, with the instruction's state from the fault map like any fault.
    pub(super) fn align_check(&mut self, sz: Log2, a: Val, pos: u32, args: &[Val]) {
        let ra = self.alloc.get(self.ops, a, pos);
        self.alloc.release_dead(args, pos);
        if sz.0 == 0 {
            return;
        }
        let mask = (1i32 << sz.0) - 1;
        dynasm!(self.ops ; .arch x64
            ; test Rd(ra), mask
            ; jz >aligned
            ; mov rax, Rq(ra)
        );
        self.ops.extend(ALIGN_TRAP);
        dynasm!(self.ops ; .arch x64 ; aligned:);
    }

    /// `Op::Store` of the low bytes of `x`.
    pub(super) fn store(&mut self, sz: Log2, base: Val, o: i32, x: Val, pos: u32) {
        let rb = self.alloc.get(self.ops, base, pos);
        match (self.imm32(x), sz.0) {
            (Some(i), 0) => dynasm!(self.ops ; .arch x64 ; mov BYTE [Rq(rb) + o], i as i8),
            (Some(i), 1) => dynasm!(self.ops ; .arch x64 ; mov WORD [Rq(rb) + o], i as i16),
            (Some(i), 2) => dynasm!(self.ops ; .arch x64 ; mov DWORD [Rq(rb) + o], i),
            (Some(i), _) => dynasm!(self.ops ; .arch x64 ; mov QWORD [Rq(rb) + o], i),
            (None, n) => {
                let rx = self.alloc.get(self.ops, x, pos);
                match n {
                    0 => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], Rb(rx)),
                    1 => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], Rw(rx)),
                    2 => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], Rd(rx)),
                    _ => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], Rq(rx)),
                }
            }
        }
    }

    /// `Op::LoadExcl`: load and arm the monitor (address, value, size in CpuState).
    pub(super) fn load_excl(&mut self, sz: Log2, a: Val, pos: u32, args: &[Val]) {
        let v = Val(pos);

        let ra = self.alloc.get(self.ops, a, pos);
        dynasm!(self.ops ; .arch x64 ; mov [r15 + off::EXCL_ADDR], Rq(ra));
        match sz.0 {
            0 => dynasm!(self.ops ; .arch x64 ; movzx eax, BYTE [Rq(ra)]),
            1 => dynasm!(self.ops ; .arch x64 ; movzx eax, WORD [Rq(ra)]),
            2 => dynasm!(self.ops ; .arch x64 ; mov eax, DWORD [Rq(ra)]),
            _ => dynasm!(self.ops ; .arch x64 ; mov rax, QWORD [Rq(ra)]),
        }
        self.alloc.release_dead(args, pos);
        let d = self.def(v, pos, None);
        let size = 1i32 << sz.0;
        dynasm!(self.ops ; .arch x64
            ; mov [r15 + off::EXCL_VAL], rax
            ; mov QWORD [r15 + off::EXCL_SIZE], size
            ; mov Rq(d), rax
        );
    }

    /// `Op::StoreExcl`: 0 when stored, 1 when the monitor failed; disarms it.
    pub(super) fn store_excl(&mut self, sz: Log2, a: Val, x: Val, pos: u32, args: &[Val]) {
        let v = Val(pos);

        let ra = self.alloc.get(self.ops, a, pos);
        let rx = self.alloc.get(self.ops, x, pos);
        // The result register is allocated before any branch: allocation may spill, and
        // a spill skipped on one path would leave a stale slot.
        self.alloc.release_dead(args, pos);
        let d = self.def(v, pos, None);
        // The store happens when memory still holds (the low bytes of) what the
        // load-exclusive saw. With a load and store of different sizes (CONSTRAINED
        // UNPREDICTABLE) the status then reports failure unless the loaded value fit the
        // store's size: what qemu does.
        dynasm!(self.ops ; .arch x64
            ; cmp [r15 + off::EXCL_ADDR], Rq(ra)
            ; jne >fail
            ; mov rax, [r15 + off::EXCL_VAL]
        );
        match sz.0 {
            0 => dynasm!(self.ops ; .arch x64 ; lock cmpxchg [Rq(ra)], Rb(rx)),
            1 => dynasm!(self.ops ; .arch x64 ; lock cmpxchg [Rq(ra)], Rw(rx)),
            2 => dynasm!(self.ops ; .arch x64 ; lock cmpxchg [Rq(ra)], Rd(rx)),
            _ => dynasm!(self.ops ; .arch x64 ; lock cmpxchg [Rq(ra)], Rq(rx)),
        }

        dynasm!(self.ops ; .arch x64 ; jne >fail);
        if sz.0 < 3 {
            let bits = 8i8 << sz.0;
            dynasm!(self.ops ; .arch x64 ; mov rax, [r15 + off::EXCL_VAL] ; shr rax, bits ; jnz >fail);
        }
        dynasm!(self.ops ; .arch x64
            ; mov Rd(d), 0
            ; jmp >done
            ; fail:
            ; mov Rd(d), 1
            ; done:
            ; mov QWORD [r15 + off::EXCL_ADDR], -1
        );
    }

    /// `Op::ZeroBlock` (DC ZVA): the 64-byte block holding the address.
    pub(super) fn zero_block(&mut self, a: Val, pos: u32) {
        let ra = self.alloc.get(self.ops, a, pos);
        dynasm!(self.ops ; .arch x64
            ; mov rax, Rq(ra)
            ; and rax, -64
            ; pxor xmm15, xmm15
            ; movdqu [rax], xmm15
            ; movdqu [rax + 16], xmm15
            ; movdqu [rax + 32], xmm15
            ; movdqu [rax + 48], xmm15
        );
    }

    /// `Op::NoteInval` (IC IVAU): widen `[inval_lo, inval_hi)` in CpuState to the cache line
    /// holding the address (the line at the top of the address space leaves `inval_hi` alone:
    /// its end wraps to 0, which is below any).
    pub(super) fn note_inval(&mut self, a: Val, pos: u32) {
        let ra = self.alloc.get(self.ops, a, pos);
        dynasm!(self.ops ; .arch x64
            ; mov rax, Rq(ra)
            ; and rax, -64
            ; cmp rax, [r15 + off::INVAL_LO]
            ; jae >above
            ; mov [r15 + off::INVAL_LO], rax
            ; above:
            ; add rax, 64
            ; jc >done
            ; cmp rax, [r15 + off::INVAL_HI]
            ; jbe >done
            ; mov [r15 + off::INVAL_HI], rax
            ; done:
        );
    }

    /// `Op::VLoad`: V`vr` from memory, zero-extended, into the V register cache (CpuState gets
    /// it when it must): a vector op reading V`vr` next takes it from a register. (Through a
    /// general register, two 8-byte stores then a 16-byte reload by that op cost a
    /// store-forwarding stall.) Loaded straight into the cache's register, not through xmm0.
    pub(super) fn vload(&mut self, sz: Log2, vr: u8, base: Val, o: i32, pos: u32) {
        let rb = self.alloc.get(self.ops, base, pos);
        let k = self.vput(vr);
        match sz.0 {
            0 => dynasm!(self.ops ; .arch x64 ; movzx eax, BYTE [Rq(rb) + o] ; movd Rx(k), eax),
            1 => dynasm!(self.ops ; .arch x64 ; movzx eax, WORD [Rq(rb) + o] ; movd Rx(k), eax),
            2 => dynasm!(self.ops ; .arch x64 ; movd Rx(k), DWORD [Rq(rb) + o]),
            3 => dynasm!(self.ops ; .arch x64 ; movq Rx(k), QWORD [Rq(rb) + o]),
            _ => dynasm!(self.ops ; .arch x64 ; movdqu Rx(k), [Rq(rb) + o]),
        }
    }

    /// `Op::VStore`: the low bytes of V`vr` to memory.
    pub(super) fn vstore(&mut self, sz: Log2, vr: u8, base: Val, o: i32, pos: u32) {
        let rb = self.alloc.get(self.ops, base, pos);
        let vo = off::vreg(vr);
        match (sz.0, self.vcache.get(vr)) {
            // From the V register cache where it holds V`vr`.
            (4, Some(k)) => dynasm!(self.ops ; .arch x64 ; movdqu [Rq(rb) + o], Rx(k)),
            (3, Some(k)) => dynasm!(self.ops ; .arch x64 ; movq QWORD [Rq(rb) + o], Rx(k)),
            (2, Some(k)) => dynasm!(self.ops ; .arch x64 ; movd DWORD [Rq(rb) + o], Rx(k)),
            (1, Some(k)) => dynasm!(self.ops ; .arch x64 ; movd eax, Rx(k) ; mov [Rq(rb) + o], ax),
            (0, Some(k)) => dynasm!(self.ops ; .arch x64 ; movd eax, Rx(k) ; mov [Rq(rb) + o], al),
            (4, None) => {
                dynasm!(self.ops ; .arch x64 ; movdqu xmm15, [r15 + vo] ; movdqu [Rq(rb) + o], xmm15)
            }
            (n, _) => {
                dynasm!(self.ops ; .arch x64 ; mov rax, [r15 + vo]);
                match n {
                    0 => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], al),
                    1 => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], ax),
                    2 => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], eax),
                    _ => dynasm!(self.ops ; .arch x64 ; mov [Rq(rb) + o], rax),
                }
            }
        }
    }

    /// `Op::VGetLane`: from the cache register when V`vr` is cached (dirty or not), else from
    /// CpuState.
    pub(super) fn vget_lane(&mut self, vr: u8, size: Log2, index: u8, signed: bool, pos: u32) {
        let v = Val(pos);
        let d = self.def(v, pos, None);
        let Some(k) = self.vcache.get(vr) else {
            let o = off::vreg(vr) + (index as i32) * (1 << size.0);
            match (size.0, signed) {
                (0, false) => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), BYTE [r15 + o]),
                (1, false) => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), WORD [r15 + o]),
                (2, false) => dynasm!(self.ops ; .arch x64 ; mov Rd(d), DWORD [r15 + o]),
                (0, true) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), BYTE [r15 + o]),
                (1, true) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), WORD [r15 + o]),
                (2, true) => dynasm!(self.ops ; .arch x64 ; movsxd Rq(d), DWORD [r15 + o]),
                _ => dynasm!(self.ops ; .arch x64 ; mov Rq(d), QWORD [r15 + o]),
            }
            return;
        };
        let i = index as i8;
        match (size.0, signed) {
            (0, _) => dynasm!(self.ops ; .arch x64 ; pextrb Rd(d), Rx(k), i),
            (1, _) => dynasm!(self.ops ; .arch x64 ; pextrw Rd(d), Rx(k), i),
            (2, _) if index == 0 => dynasm!(self.ops ; .arch x64 ; movd Rd(d), Rx(k)),
            (2, _) => dynasm!(self.ops ; .arch x64 ; pextrd Rd(d), Rx(k), i),
            (_, _) if index == 0 => dynasm!(self.ops ; .arch x64 ; movq Rq(d), Rx(k)),
            (_, _) => dynasm!(self.ops ; .arch x64 ; pextrq Rq(d), Rx(k), i),
        }
        // The extractions zero-extend; the signed forms extend the lane's sign.
        match (size.0, signed) {
            (0, true) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), Rb(d)),
            (1, true) => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), Rw(d)),
            (2, true) => dynasm!(self.ops ; .arch x64 ; movsxd Rq(d), Rd(d)),
            _ => {}
        }
    }

    /// `Op::VSetLane`: in the cache register when V`vr` is cached or the rest of it is zeroed
    /// (the register is then dirty), else in CpuState.
    pub(super) fn vset_lane(&mut self, vr: u8, size: Log2, index: u8, val: Val, zero_rest: bool, pos: u32) {
        let rx = self.alloc.get(self.ops, val, pos);
        if zero_rest || self.vcache.get(vr).is_some() {
            let k = self.vput(vr);
            if zero_rest && index == 0 {
                // A move to the low lane zeroes the rest.
                match size.0 {
                    0 => dynasm!(self.ops ; .arch x64 ; movzx eax, Rb(rx) ; movd Rx(k), eax),
                    1 => dynasm!(self.ops ; .arch x64 ; movzx eax, Rw(rx) ; movd Rx(k), eax),
                    2 => dynasm!(self.ops ; .arch x64 ; movd Rx(k), Rd(rx)),
                    _ => dynasm!(self.ops ; .arch x64 ; movq Rx(k), Rq(rx)),
                }
                return;
            }
            if zero_rest {
                dynasm!(self.ops ; .arch x64 ; pxor Rx(k), Rx(k));
            }
            let i = index as i8;
            match size.0 {
                0 => dynasm!(self.ops ; .arch x64 ; pinsrb Rx(k), Rd(rx), i),
                1 => dynasm!(self.ops ; .arch x64 ; pinsrw Rx(k), Rd(rx), i),
                2 => dynasm!(self.ops ; .arch x64 ; pinsrd Rx(k), Rd(rx), i),
                _ => dynasm!(self.ops ; .arch x64 ; pinsrq Rx(k), Rq(rx), i),
            }
            return;
        }
        // Not cached: CpuState has the rest of the register.
        let o = off::vreg(vr) + (index as i32) * (1 << size.0);
        match size.0 {
            0 => dynasm!(self.ops ; .arch x64 ; mov [r15 + o], Rb(rx)),
            1 => dynasm!(self.ops ; .arch x64 ; mov [r15 + o], Rw(rx)),
            2 => dynasm!(self.ops ; .arch x64 ; mov [r15 + o], Rd(rx)),
            _ => dynasm!(self.ops ; .arch x64 ; mov [r15 + o], Rq(rx)),
        }
    }
}
