//! The AArch64 signal frame, `struct rt_sigframe`, as arch/arm64/kernel/signal.c builds it
//! (`setup_sigframe`, `preserve_fpsimd_context`) and reads it back (`restore_sigframe`,
//! `parse_user_sigframe`). Layouts: arch/arm64/include/uapi/asm/sigcontext.h,
//! include/uapi/asm-generic/ucontext.h; offsets checked against aarch64-linux-gnu-gcc.
//!
//! ```text
//! rt_sigframe (4688 bytes)          then the frame record { fp, lr } (16 bytes, above it)
//!   0    siginfo_t info (128)
//!   128  ucontext uc:
//!          +0   uc_flags  +8 uc_link  +16 uc_stack (stack_t, 24)  +40 uc_sigmask (8)
//!          +48  __unused (120: the kernel's sigset_t padding up to 1024 bits)
//!          +176 uc_mcontext (struct sigcontext, 16-aligned):
//!                 +0 fault_address  +8 regs[31]  +256 sp  +264 pc  +272 pstate
//!                 +288 __reserved[4096]: fpsimd_context (528) then the end record {0, 0}
//! ```

use super::host::{SigInfo, SIGINFO_SIZE};
use a64x_syscalls::GuestStack;
use a64x_translator::cpu::CpuState;

/// `sizeof(struct rt_sigframe)`.
pub const FRAME_SIZE: usize = 4688;
/// Size of the frame record (fp, lr) the kernel puts just above the frame.
pub const RECORD_SIZE: usize = 16;

/// Offset of `uc` in the frame.
pub const UC: usize = SIGINFO_SIZE;
const UC_FLAGS: usize = UC;
const UC_LINK: usize = UC + 8;
const UC_STACK: usize = UC + 16;
const UC_SIGMASK: usize = UC + 40;
const MCONTEXT: usize = UC + 176;
const MC_FAULT_ADDRESS: usize = MCONTEXT;
const MC_REGS: usize = MCONTEXT + 8;
const MC_SP: usize = MCONTEXT + 256;
const MC_PC: usize = MCONTEXT + 264;
const MC_PSTATE: usize = MCONTEXT + 272;
const MC_RESERVED: usize = MCONTEXT + 288;
const RESERVED_SIZE: usize = 4096;

/// `FPSIMD_MAGIC` and `sizeof(struct fpsimd_context)`.
const FPSIMD_MAGIC: u32 = 0x4650_8001;
const FPSIMD_SIZE: usize = 528;
/// `ESR_MAGIC`: an exception syndrome record, informational, skipped on return.
const ESR_MAGIC: u32 = 0x4553_5201;

/// pstate bits that must be zero for a valid EL0 AArch64 state on return (`valid_native_regs`):
/// M[4:0] (EL0t, not AArch32) and the D, A, I, F masks.
const PSTATE_MUST_BE_ZERO: u64 = 0x3df;
/// NZCV in pstate.
const PSTATE_NZCV: u64 = 0xf000_0000;
/// DIT (bit 24) and SSBS (bit 12) in pstate: kept across the handler like NZCV.
const PSTATE_DIT_SSBS: u64 = 1 << 24 | 1 << 12;

const _: () = assert!(MC_RESERVED + RESERVED_SIZE == FRAME_SIZE);
const _: () = assert!(MC_RESERVED.is_multiple_of(16) && FRAME_SIZE.is_multiple_of(16));
const _: () = assert!(FPSIMD_SIZE == 16 + 32 * 16);

fn put64(buf: &mut [u8], off: usize, v: u64) {
    buf[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

fn put32(buf: &mut [u8], off: usize, v: u32) {
    buf[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn get64(buf: &[u8], off: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[off..off + 8]);
    u64::from_le_bytes(b)
}

fn get32(buf: &[u8], off: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&buf[off..off + 4]);
    u32::from_le_bytes(b)
}

/// The bytes of a signal frame followed by its frame record, for the guest thread in `cpu`
/// (`setup_rt_frame` + `setup_sigframe`): `mask` is the blocked set to restore on return,
/// `altstack` the alternate stack as it was before delivery.
pub fn build(cpu: &CpuState, info: &SigInfo, mask: u64, altstack: &GuestStack) -> Vec<u8> {
    let mut f = vec![0u8; FRAME_SIZE + RECORD_SIZE];
    f[..SIGINFO_SIZE].copy_from_slice(info);
    put64(&mut f, UC_FLAGS, 0);
    put64(&mut f, UC_LINK, 0);
    put64(&mut f, UC_STACK, altstack.sp);
    put32(&mut f, UC_STACK + 8, altstack.flags as u32);
    put64(&mut f, UC_STACK + 16, altstack.size);
    put64(&mut f, UC_SIGMASK, mask);
    // fault_address: the kernel leaves the last fault's address here; no fault is recorded.
    put64(&mut f, MC_FAULT_ADDRESS, 0);
    for (i, &x) in cpu.x.iter().enumerate() {
        put64(&mut f, MC_REGS + 8 * i, x);
    }
    put64(&mut f, MC_SP, cpu.sp);
    put64(&mut f, MC_PC, cpu.pc);
    put64(
        &mut f,
        MC_PSTATE,
        cpu.nzcv() & PSTATE_NZCV | cpu.pstate & PSTATE_DIT_SSBS,
    );
    let fp = MC_RESERVED;
    put32(&mut f, fp, FPSIMD_MAGIC);
    put32(&mut f, fp + 4, FPSIMD_SIZE as u32);
    put32(&mut f, fp + 8, cpu.fpsr_value() as u32);
    put32(&mut f, fp + 12, cpu.fpcr as u32);
    for (i, v) in cpu.v.iter().enumerate() {
        put64(&mut f, fp + 16 + 16 * i, v[0]);
        put64(&mut f, fp + 24 + 16 * i, v[1]);
    }
    // The end record {magic 0, size 0} is already zero. Then the frame record for unwinders.
    put64(&mut f, FRAME_SIZE, cpu.x[29]);
    put64(&mut f, FRAME_SIZE + 8, cpu.x[30]);
    f
}

/// What `rt_sigreturn` takes back from a frame.
pub struct Restored {
    /// The blocked mask to restore.
    pub mask: u64,
    /// The alternate stack saved at delivery.
    pub altstack: GuestStack,
}

/// Load the guest registers from the frame bytes `f` (`restore_sigframe`); `None` for a frame
/// the kernel would reject (then the guest gets SIGSEGV). `cpu` is only changed on success.
pub fn restore(cpu: &mut CpuState, f: &[u8]) -> Option<Restored> {
    if f.len() < FRAME_SIZE {
        return None;
    }
    let pstate = get64(f, MC_PSTATE);
    if pstate & PSTATE_MUST_BE_ZERO != 0 {
        return None;
    }
    let fpsimd = find_fpsimd(f)?;
    for i in 0..31 {
        cpu.x[i] = get64(f, MC_REGS + 8 * i);
    }
    cpu.sp = get64(f, MC_SP);
    cpu.pc = get64(f, MC_PC);
    cpu.set_nzcv(pstate & PSTATE_NZCV);
    cpu.pstate = pstate & PSTATE_DIT_SSBS;
    cpu.set_fpsr(get32(f, fpsimd + 8) as u64);
    cpu.set_fpcr(get32(f, fpsimd + 12) as u64);
    for (i, v) in cpu.v.iter_mut().enumerate() {
        *v = [get64(f, fpsimd + 16 + 16 * i), get64(f, fpsimd + 24 + 16 * i)];
    }
    Some(Restored {
        mask: get64(f, UC_SIGMASK),
        altstack: GuestStack {
            sp: get64(f, UC_STACK),
            flags: get32(f, UC_STACK + 8) as i32,
            pad: 0,
            size: get64(f, UC_STACK + 16),
        },
    })
}

/// Offset of the FP/SIMD record, walking the records of `__reserved` as `parse_user_sigframe`
/// does: each must fit, be 16-byte sized, and be known; the list ends with {0, 0}.
fn find_fpsimd(f: &[u8]) -> Option<usize> {
    let end = MC_RESERVED + RESERVED_SIZE;
    let mut at = MC_RESERVED;
    let mut fpsimd = None;
    while at + 8 <= end {
        let (magic, size) = (get32(f, at), get32(f, at + 4) as usize);
        match magic {
            0 if size == 0 => return fpsimd,
            FPSIMD_MAGIC if size == FPSIMD_SIZE && fpsimd.is_none() => fpsimd = Some(at),
            ESR_MAGIC if size == 16 => {}
            _ => return None,
        }
        if at + size > end {
            return None;
        }
        at += size;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trips() {
        let mut cpu = CpuState::default();
        for i in 0..31 {
            cpu.x[i] = 0x1000 + i as u64;
        }
        cpu.sp = 0x7fff_0000;
        cpu.pc = 0x40_1000;
        cpu.set_nzcv(0x6000_0000);
        cpu.fpsr = 0x10;
        cpu.fpcr = 0x0300_0000;
        cpu.v[31] = [1, 2];
        let st = GuestStack::disabled();
        let f = build(&cpu, &[0; SIGINFO_SIZE], 0x400, &st);
        let mut back = CpuState::default();
        let r = restore(&mut back, &f).expect("valid frame");
        assert_eq!(r.mask, 0x400);
        assert_eq!(r.altstack, st);
        assert_eq!(back.x, cpu.x);
        assert_eq!((back.sp, back.pc, back.nzcv()), (cpu.sp, cpu.pc, 0x6000_0000));
        assert_eq!((back.fpsr, back.fpcr, back.v), (cpu.fpsr, cpu.fpcr, cpu.v));
        assert_eq!(get64(&f, FRAME_SIZE + 8), cpu.x[30]);
    }

    #[test]
    fn bad_pstate_or_record_is_rejected() {
        let cpu = CpuState::default();
        let mut f = build(&cpu, &[0; SIGINFO_SIZE], 0, &GuestStack::disabled());
        put64(&mut f, MC_PSTATE, 0x3c5);
        assert!(restore(&mut CpuState::default(), &f).is_none());
        put64(&mut f, MC_PSTATE, 0);
        put32(&mut f, MC_RESERVED, 0x1234);
        assert!(restore(&mut CpuState::default(), &f).is_none());
    }
}
