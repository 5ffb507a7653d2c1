//! Lowering of flags uses: a flags value is recomputed by one host instruction right where it is
//! read (so `CMP` + `B.cond` becomes `cmp` + `jcc`), and materialised as packed NZCV only when
//! something needs the bits.

use super::cond::{map, Cc, HostFlags};
use super::Lower;
use crate::cpu::off;
use crate::cpu::FlagsKind;
use crate::ir::{Block, CondCode, Op, Sz, Val, COND_TABLE};
use dynasmrt::{dynasm, x64::X64Relocation, DynasmApi, VecAssembler};

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
                let ra = self.alloc.get(self.ops, a, pos);
                match self.imm_sized(s, b) {
                    Some(i) => self.cmp_ri(s, ra, i),
                    None => {
                        let rb = self.alloc.get(self.ops, b, pos);
                        self.cmp_rr(s, ra, rb);
                    }
                }
            }
            Op::FlagsAdd(s, a, b) => {
                let ra = self.alloc.get(self.ops, a, pos);
                // CMN and ADDS of an immediate: no register for the constant.
                match (s, self.imm_sized(s, b)) {
                    (Sz::S32, Some(i)) => dynasm!(self.ops ; .arch x64 ; mov eax, Rd(ra) ; add eax, i),
                    (Sz::S64, Some(i)) => dynasm!(self.ops ; .arch x64 ; mov rax, Rq(ra) ; add rax, i),
                    (Sz::S32, None) => {
                        let rb = self.alloc.get(self.ops, b, pos);
                        dynasm!(self.ops ; .arch x64 ; mov eax, Rd(ra) ; add eax, Rd(rb))
                    }
                    (Sz::S64, None) => {
                        let rb = self.alloc.get(self.ops, b, pos);
                        dynasm!(self.ops ; .arch x64 ; mov rax, Rq(ra) ; add rax, Rq(rb))
                    }
                }
            }
            Op::FlagsLogic(s, a) => {
                let ra = self.alloc.get(self.ops, a, pos);
                match s {
                    Sz::S32 => dynasm!(self.ops ; .arch x64 ; test Rd(ra), Rd(ra)),
                    Sz::S64 => dynasm!(self.ops ; .arch x64 ; test Rq(ra), Rq(ra)),
                }
            }
            Op::FlagsAdc(s, a, b, c) | Op::FlagsSbc(s, a, b, c) => {
                let ra = self.alloc.get(self.ops, a, pos);
                let rb = self.alloc.get(self.ops, b, pos);
                let rc = self.alloc.get(self.ops, c, pos);
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
            Op::FlagsPacked(v) => self.alloc.get(self.ops, v, pos),
            Op::GetFlags => self.alloc.get(self.ops, f, pos),
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
            Some(kind) => pack_nzcv(self.ops, kind),
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
        let Some((kind, a, b)) = lazy_form(self.block, f) else {
            self.nzcv_to_rax(f, pos);
            dynasm!(self.ops ; .arch x64
                ; mov QWORD [r15 + off::NZCV_KIND], FlagsKind::Packed as i32
                ; mov [r15 + off::NZCV_A], rax
            );
            return;
        };
        dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + off::NZCV_KIND], kind as i32);
        self.store_val(a, off::NZCV_A, pos);
        if let Some(b) = b {
            self.store_val(b, off::NZCV_B, pos);
        }
    }

    /// [`Lower::store_flags`] from wherever the operands are, leaving the allocator alone (on a
    /// path that leaves the block). Not for the flags of ADCS/SBCS, which need computing: the
    /// lifter gives side exits none, and self-loops carry no such flags.
    pub(super) fn store_flags_loc(&mut self, f: Val) {
        let (kind, a, b) = lazy_form(self.block, f).expect("flags stored as they are held");
        dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + off::NZCV_KIND], kind as i32);
        self.store_loc(a, off::NZCV_A);
        if let Some(b) = b {
            self.store_loc(b, off::NZCV_B);
        }
    }
}

/// Packed NZCV (bits 31:28) into eax from EFLAGS as an instruction of `kind` left them, where
/// CCMP and the flags of ADCS/SBCS need the bits: clobbers rdx. (A call of `a64x_read_nzcv`'s
/// packing tail was 17 instructions, a call and a return: 6% of bench_strings, whose strtol
/// and printf compare with CCMP.)
fn pack_nzcv(ops: &mut VecAssembler<X64Relocation>, kind: HostFlags) {
    // OF on its own (LAHF leaves it out), then AH = SF:ZF:0:AF:0:PF:1:CF moved down to AL.
    dynasm!(ops ; .arch x64 ; seto dl ; lahf ; shr eax, 8);
    if kind == HostFlags::SubLike {
        // After a subtraction A64's C is the inverse of x86's borrow.
        dynasm!(ops ; .arch x64 ; xor eax, 1);
    }
    // SF (bit 7) to N (31), ZF (6) to Z (30), CF (0) to C (29): one multiply by 2^24 + 2^29
    // moves the three (bit 0 to 24 as well, cleared after; the bits land apart, no carries).
    dynasm!(ops ; .arch x64
        ; and eax, 0xc1
        ; imul eax, eax, 0x2100_0000
        ; and eax, 0xe000_0000u32 as i32
        ; movzx edx, dl
        ; shl edx, 28
        ; or eax, edx
    );
}

/// How CpuState holds flags value `f` ([`FlagsKind`] and the operands), when it holds it as it
/// is: None for the flags of ADCS/SBCS, which are stored packed.
pub(super) fn lazy_form(block: &Block, f: Val) -> Option<(FlagsKind, Val, Option<Val>)> {
    let k = |s: Sz, k32: FlagsKind, k64: FlagsKind| if s == Sz::S32 { k32 } else { k64 };
    Some(match *block.op(f) {
        Op::FlagsSub(s, a, b) => (k(s, FlagsKind::Sub32, FlagsKind::Sub64), a, Some(b)),
        Op::FlagsAdd(s, a, b) => (k(s, FlagsKind::Add32, FlagsKind::Add64), a, Some(b)),
        Op::FlagsLogic(s, a) => (k(s, FlagsKind::Logic32, FlagsKind::Logic64), a, None),
        Op::FlagsPacked(v) => (FlagsKind::Packed, v, None),
        Op::GetFlags => (FlagsKind::Packed, f, None),
        _ => return None,
    })
}

// The flags an earlier block left, as packed NZCV, without a helper call: `call`ed from emitted
// code with r15 = CpuState, returns NZCV (bits 31:28) in eax and clobbers only rcx, rdx and
// EFLAGS, none of them allocatable, so the caller spills nothing. Recomputes the flags of the
// lazily held operation ([`FlagsKind`]) on the host and packs them as
// [`crate::cpu::materialize_nzcv`] does (the unit test below compares the two); kinds in order of
// how often perl, lua and python read them.
std::arch::global_asm!(
    ".pushsection .text.a64x_read_nzcv, \"ax\", @progbits",
    ".globl a64x_read_nzcv",
    ".hidden a64x_read_nzcv",
    "a64x_read_nzcv:",
    "    mov rcx, qword ptr [r15 + {a}]",
    "    mov rdx, qword ptr [r15 + {b}]",
    "    mov rax, qword ptr [r15 + {kind}]",
    "    cmp rax, {sub64}",
    "    je 2f",
    "    cmp rax, {sub32}",
    "    je 1f",
    "    cmp rax, {add64}",
    "    je 4f",
    "    cmp rax, {add32}",
    "    je 3f",
    "    cmp rax, {logic64}",
    "    je 6f",
    "    cmp rax, {logic32}",
    "    je 5f",
    // Packed (and anything else, as materialize_nzcv reads it).
    "    mov eax, ecx",
    "    and eax, 0xf0000000",
    "    ret",
    "1:  cmp ecx, edx",
    "    jmp 7f",
    "2:  cmp rcx, rdx",
    "    jmp 7f",
    "3:  add ecx, edx",
    "    jmp 8f",
    "4:  add rcx, rdx",
    "    jmp 8f",
    "5:  test ecx, ecx",
    "    jmp 8f",
    "6:  test rcx, rcx",
    "    jmp 8f",
    // After a subtraction: AArch64's C is the inverse of x86's borrow.
    "7:  seto dl",
    "    lahf",
    "    xor ah, 1",
    "    jmp 9f",
    // After an addition (and a logical op, whose CF and OF are 0).
    "8:  seto dl",
    "    lahf",
    // AH = SF:ZF:0:AF:0:PF:1:CF -> N (31), Z (30), C (29); V (28) from dl.
    "9:  movzx ecx, ah",
    "    mov eax, ecx",
    "    and eax, 0xc0",
    "    shl eax, 24",
    "    and ecx, 1",
    "    shl ecx, 29",
    "    or eax, ecx",
    "    movzx edx, dl",
    "    shl edx, 28",
    "    or eax, edx",
    "    ret",
    ".popsection",
    a = const off::NZCV_A,
    b = const off::NZCV_B,
    kind = const off::NZCV_KIND,
    sub32 = const FlagsKind::Sub32 as u64,
    sub64 = const FlagsKind::Sub64 as u64,
    add32 = const FlagsKind::Add32 as u64,
    add64 = const FlagsKind::Add64 as u64,
    logic32 = const FlagsKind::Logic32 as u64,
    logic64 = const FlagsKind::Logic64 as u64,
);

extern "C" {
    // Not a C function: see the assembly above.
    fn a64x_read_nzcv();
}

impl Lower<'_> {
    /// `GetFlags`: the flags in CpuState as packed NZCV, through `a64x_read_nzcv`.
    pub(super) fn read_flags(&mut self, pos: u32) {
        self.call_asm(a64x_read_nzcv as *const () as usize as u64);
        let d = self.def(Val(pos), pos, None);
        dynasm!(self.ops ; .arch x64 ; mov Rd(d), eax);
    }
}

#[cfg(test)]
mod tests {
    use crate::cpu::{materialize_nzcv, CpuState, FlagsKind};

    /// `a64x_read_nzcv` on `cpu`, called as emitted code calls it.
    fn read(cpu: &CpuState) -> u64 {
        let out: u64;
        // SAFETY: the routine reads three fields of `cpu` through r15 and clobbers what is
        // declared; r15 is restored.
        unsafe {
            std::arch::asm!(
                "push r15",
                "mov r15, {cpu}",
                "call {f}",
                "pop r15",
                cpu = in(reg) cpu as *const CpuState,
                f = sym super::a64x_read_nzcv,
                out("rax") out,
                out("rcx") _,
                out("rdx") _,
            );
        }
        out
    }

    /// [`super::pack_nzcv`] after `cmp a, b` (`sub`) or `add a, b`, run as emitted code.
    fn pack_after(sub: bool, a: u64, b: u64) -> u64 {
        use super::{pack_nzcv, HostFlags};
        use dynasmrt::{dynasm, x64::X64Relocation, VecAssembler};
        let mut ops = VecAssembler::<X64Relocation>::new(0);
        if sub {
            dynasm!(ops ; .arch x64 ; cmp rdi, rsi);
            pack_nzcv(&mut ops, HostFlags::SubLike);
        } else {
            dynasm!(ops ; .arch x64 ; add rdi, rsi);
            pack_nzcv(&mut ops, HostFlags::AddLike);
        }
        dynasm!(ops ; .arch x64 ; ret);
        let code = ops.finalize().expect("assembles");
        // SAFETY: a private anonymous mapping of one page, written, made executable, run (the
        // code reads only its arguments and clobbers rax and rdx, which a C call may), unmapped.
        unsafe {
            let page = libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(page, libc::MAP_FAILED);
            std::ptr::copy_nonoverlapping(code.as_ptr(), page.cast::<u8>(), code.len());
            assert_eq!(libc::mprotect(page, 4096, libc::PROT_READ | libc::PROT_EXEC), 0);
            let f: extern "C" fn(u64, u64) -> u32 = std::mem::transmute(page);
            let out = f(a, b);
            libc::munmap(page, 4096);
            u64::from(out)
        }
    }

    #[test]
    fn read_nzcv_matches_materialize() {
        let edges = [
            0u64,
            1,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0x1_0000_0000,
            0x7fff_ffff_ffff_ffff,
            0x8000_0000_0000_0000,
            u64::MAX,
            0xf000_0000,
            0x1234_5678_9abc_def0,
        ];
        let mut cpu = CpuState::default();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut values: Vec<u64> = edges.to_vec();
        for _ in 0..64 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            values.push(seed);
        }
        for kind in 0..=FlagsKind::Logic64 as u64 + 1 {
            for &a in &values {
                for &b in &values {
                    cpu.nzcv_kind = kind;
                    cpu.nzcv_a = a;
                    cpu.nzcv_b = b;
                    assert_eq!(
                        read(&cpu),
                        materialize_nzcv(kind, a, b),
                        "kind {kind} a {a:#x} b {b:#x}"
                    );
                }
            }
        }
        for &a in &values {
            for &b in &values {
                let (sub, add) = (FlagsKind::Sub64 as u64, FlagsKind::Add64 as u64);
                assert_eq!(
                    pack_after(true, a, b),
                    materialize_nzcv(sub, a, b),
                    "sub a {a:#x} b {b:#x}"
                );
                assert_eq!(
                    pack_after(false, a, b),
                    materialize_nzcv(add, a, b),
                    "add a {a:#x} b {b:#x}"
                );
            }
        }
    }
}
