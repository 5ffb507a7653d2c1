//! Guest memory accesses the VM makes itself, which a fault makes fail instead of killing the VM.
//!
//! Checking a guest range against the address space is not enough: a page of a file mapping whose
//! file was truncated is mapped and readable, yet any access to it raises SIGBUS, and another guest
//! thread may unmap a page between the check and the access. So the few accesses the VM makes
//! directly (instruction fetch for translation, the pair helpers' atomic accesses) are small
//! assembly routines whose faulting instruction is known: the VM's host fault handler asks
//! [`fixup`] whether the faulting pc is one, and resumes at the routine's failure path, as the
//! kernel's exception tables do for user copies. Each routine returns 1 when the access happened,
//! 0 when it faulted.

/// Whom a probe's fault concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The VM only: the access fails quietly (instruction fetch, which may look ahead).
    Quiet,
    /// The guest: the access was the guest's own (a helper doing a guest instruction's access),
    /// and the guest gets the signal.
    Guest,
}

std::arch::global_asm!(
    ".pushsection .text.a64x_probe, \"ax\", @progbits",
    // u32 read(rdi: *const u32, rsi: *mut u32)
    ".globl a64x_probe_read32",
    ".hidden a64x_probe_read32",
    "a64x_probe_read32:",
    ".globl a64x_probe_read32_insn",
    ".hidden a64x_probe_read32_insn",
    "a64x_probe_read32_insn:",
    "    mov eax, dword ptr [rdi]",
    "    mov dword ptr [rsi], eax",
    "    mov eax, 1",
    "    ret",
    ".globl a64x_probe_read32_fixup",
    ".hidden a64x_probe_read32_fixup",
    "a64x_probe_read32_fixup:",
    "    xor eax, eax",
    "    ret",
    // u64 read(rdi: *const u64, rsi: *mut u64)
    ".globl a64x_probe_read64",
    ".hidden a64x_probe_read64",
    "a64x_probe_read64:",
    ".globl a64x_probe_read64_insn",
    ".hidden a64x_probe_read64_insn",
    "a64x_probe_read64_insn:",
    "    mov rax, qword ptr [rdi]",
    "    mov qword ptr [rsi], rax",
    "    mov eax, 1",
    "    ret",
    ".globl a64x_probe_read64_fixup",
    ".hidden a64x_probe_read64_fixup",
    "a64x_probe_read64_fixup:",
    "    xor eax, eax",
    "    ret",
    // u32 load64(rdi: *const u64, rsi: *mut u64): a guest instruction's load
    ".globl a64x_probe_load64",
    ".hidden a64x_probe_load64",
    "a64x_probe_load64:",
    ".globl a64x_probe_load64_insn",
    ".hidden a64x_probe_load64_insn",
    "a64x_probe_load64_insn:",
    "    mov rax, qword ptr [rdi]",
    "    mov qword ptr [rsi], rax",
    "    mov eax, 1",
    "    ret",
    ".globl a64x_probe_load64_fixup",
    ".hidden a64x_probe_load64_fixup",
    "a64x_probe_load64_fixup:",
    "    xor eax, eax",
    "    ret",
    // u32 load128(rdi: *const u128 (16-aligned, else #GP), rsi: *mut [u64; 2])
    ".globl a64x_probe_load128",
    ".hidden a64x_probe_load128",
    "a64x_probe_load128:",
    ".globl a64x_probe_load128_insn",
    ".hidden a64x_probe_load128_insn",
    "a64x_probe_load128_insn:",
    "    movdqa xmm0, xmmword ptr [rdi]",
    "    movdqu xmmword ptr [rsi], xmm0",
    "    mov eax, 1",
    "    ret",
    ".globl a64x_probe_load128_fixup",
    ".hidden a64x_probe_load128_fixup",
    "a64x_probe_load128_fixup:",
    "    xor eax, eax",
    "    ret",
    // u32 cas64(rdi: *mut u64, rsi: old, rdx: new, rcx: *mut u64 found)
    ".globl a64x_probe_cas64",
    ".hidden a64x_probe_cas64",
    "a64x_probe_cas64:",
    "    mov rax, rsi",
    ".globl a64x_probe_cas64_insn",
    ".hidden a64x_probe_cas64_insn",
    "a64x_probe_cas64_insn:",
    "    lock cmpxchg qword ptr [rdi], rdx",
    "    mov qword ptr [rcx], rax",
    "    mov eax, 1",
    "    ret",
    ".globl a64x_probe_cas64_fixup",
    ".hidden a64x_probe_cas64_fixup",
    "a64x_probe_cas64_fixup:",
    "    xor eax, eax",
    "    ret",
    // u32 cas128(rdi: *mut u128 (16-aligned), rsi: *const [u64; 2] old, rdx: *const [u64; 2]
    // new, rcx: *mut [u64; 2] found); rbx is callee-saved.
    ".globl a64x_probe_cas128",
    ".hidden a64x_probe_cas128",
    "a64x_probe_cas128:",
    "    push rbx",
    "    mov r8, rcx",
    "    mov r9, rdx",
    "    mov rax, qword ptr [rsi]",
    "    mov rdx, qword ptr [rsi + 8]",
    "    mov rbx, qword ptr [r9]",
    "    mov rcx, qword ptr [r9 + 8]",
    ".globl a64x_probe_cas128_insn",
    ".hidden a64x_probe_cas128_insn",
    "a64x_probe_cas128_insn:",
    "    lock cmpxchg16b xmmword ptr [rdi]",
    "    mov qword ptr [r8], rax",
    "    mov qword ptr [r8 + 8], rdx",
    "    pop rbx",
    "    mov eax, 1",
    "    ret",
    ".globl a64x_probe_cas128_fixup",
    ".hidden a64x_probe_cas128_fixup",
    "a64x_probe_cas128_fixup:",
    "    pop rbx",
    "    xor eax, eax",
    "    ret",
    // u32 copy(rdi: *mut u8 dst, rsi: *const u8 src, rdx: len): a file the VM mapped, which
    // may be cut short under the mapping (SIGBUS) while it reads.
    ".globl a64x_probe_copy",
    ".hidden a64x_probe_copy",
    "a64x_probe_copy:",
    "    mov rcx, rdx",
    ".globl a64x_probe_copy_insn",
    ".hidden a64x_probe_copy_insn",
    "a64x_probe_copy_insn:",
    "    rep movsb",
    "    mov eax, 1",
    "    ret",
    ".globl a64x_probe_copy_fixup",
    ".hidden a64x_probe_copy_fixup",
    "a64x_probe_copy_fixup:",
    "    xor eax, eax",
    "    ret",
    ".popsection",
);

unsafe extern "C" {
    fn a64x_probe_read32(p: *const u32, out: *mut u32) -> u32;
    fn a64x_probe_read64(p: *const u64, out: *mut u64) -> u32;
    fn a64x_probe_load64(p: *const u64, out: *mut u64) -> u32;
    fn a64x_probe_load128(p: *const u128, out: *mut [u64; 2]) -> u32;
    fn a64x_probe_cas64(p: *mut u64, old: u64, new: u64, found: *mut u64) -> u32;
    fn a64x_probe_cas128(p: *mut u128, old: *const [u64; 2], new: *const [u64; 2], found: *mut [u64; 2]) -> u32;
    fn a64x_probe_copy(dst: *mut u8, src: *const u8, len: usize) -> u32;
    static a64x_probe_read32_insn: u8;
    static a64x_probe_read32_fixup: u8;
    static a64x_probe_read64_insn: u8;
    static a64x_probe_read64_fixup: u8;
    static a64x_probe_load64_insn: u8;
    static a64x_probe_load64_fixup: u8;
    static a64x_probe_load128_insn: u8;
    static a64x_probe_load128_fixup: u8;
    static a64x_probe_cas64_insn: u8;
    static a64x_probe_cas64_fixup: u8;
    static a64x_probe_cas128_insn: u8;
    static a64x_probe_cas128_fixup: u8;
    static a64x_probe_copy_insn: u8;
    static a64x_probe_copy_fixup: u8;
}

/// Where to resume after a fault at host pc `rip`, and whom the fault concerns, if `rip` is a
/// probe's access. Async-signal-safe.
pub fn fixup(rip: u64) -> Option<(u64, Fault)> {
    let addr = |s: &u8| s as *const u8 as u64;
    // SAFETY: only the labels' addresses are taken.
    let table = unsafe {
        [
            (
                addr(&a64x_probe_read32_insn),
                addr(&a64x_probe_read32_fixup),
                Fault::Quiet,
            ),
            (
                addr(&a64x_probe_read64_insn),
                addr(&a64x_probe_read64_fixup),
                Fault::Quiet,
            ),
            (
                addr(&a64x_probe_load64_insn),
                addr(&a64x_probe_load64_fixup),
                Fault::Guest,
            ),
            (
                addr(&a64x_probe_load128_insn),
                addr(&a64x_probe_load128_fixup),
                Fault::Guest,
            ),
            (
                addr(&a64x_probe_cas64_insn),
                addr(&a64x_probe_cas64_fixup),
                Fault::Guest,
            ),
            (
                addr(&a64x_probe_cas128_insn),
                addr(&a64x_probe_cas128_fixup),
                Fault::Guest,
            ),
            (addr(&a64x_probe_copy_insn), addr(&a64x_probe_copy_fixup), Fault::Quiet),
        ]
    };
    table.iter().find(|t| t.0 == rip).map(|t| (t.1, t.2))
}

/// The u32 at `addr`, or None if reading it faults. For the VM's own reads (a fault is not the
/// guest's): instruction words.
pub fn read_u32(addr: u64) -> Option<u32> {
    let mut v = 0;
    // SAFETY: the routine reads `addr` (a fault there is caught, see the module) and writes `v`.
    (unsafe { a64x_probe_read32(addr as *const u32, &mut v) } == 1).then_some(v)
}

/// The u64 at `addr`, or None if reading it faults (like [`read_u32`]).
pub fn read_u64(addr: u64) -> Option<u64> {
    let mut v = 0;
    // SAFETY: as in `read_u32`.
    (unsafe { a64x_probe_read64(addr as *const u64, &mut v) } == 1).then_some(v)
}

/// Fill `dst` from the bytes at `src`; false if reading them faults (then `dst` is partly
/// written). For the VM's reads of what may be cut short under it: a mapped file.
pub fn copy(dst: &mut [u8], src: u64) -> bool {
    // SAFETY: the routine writes `dst.len()` bytes to `dst` and reads as many at `src` (a fault
    // there is caught, see the module).
    unsafe { a64x_probe_copy(dst.as_mut_ptr(), src as *const u8, dst.len()) == 1 }
}

/// Copy `len` bytes from `src` to `dst`; false if either access faults (then part of them may be
/// copied). For the VM's copies between guest memory and its own (system-call arguments), where
/// another guest thread may unmap the guest's side meanwhile.
///
/// # Safety
/// `dst` and `src` are each either `len` bytes of the VM's own memory, valid for the access, or a
/// guest range (whose faults are caught: see the module).
pub unsafe fn copy_raw(dst: *mut u8, src: *const u8, len: usize) -> bool {
    // SAFETY: the caller's contract.
    unsafe { a64x_probe_copy(dst, src, len) == 1 }
}

/// A guest instruction's load of the u64 at `addr`: None if the access faulted (the guest gets
/// the signal).
pub fn load64(addr: u64) -> Option<u64> {
    let mut v = 0;
    // SAFETY: the routine reads `addr` only (a fault there is caught) and writes `v`.
    (unsafe { a64x_probe_load64(addr as *const u64, &mut v) } == 1).then_some(v)
}

/// A guest instruction's load of the u128 at `addr` (16-aligned; misaligned, the access faults
/// as AArch64's alignment fault): None if it faulted. Single-copy atomic only where
/// [`atomic_load128`] says so, which callers that need atomicity ask first.
pub fn load128(addr: u64) -> Option<u128> {
    let mut v = [0u64; 2];
    // SAFETY: as in `load64`; `v` is a local.
    let ok = unsafe { a64x_probe_load128(addr as *const u128, &mut v) } == 1;
    ok.then_some((v[0] as u128) | ((v[1] as u128) << 64))
}

/// Whether this host's aligned 16-byte loads are single-copy atomic: it has AVX (Intel SDM vol.
/// 3A 9.1.1, AMD APM vol. 2 7.3.2).
pub fn atomic_load128() -> bool {
    crate::x64::host::has(crate::x64::host::Feature::Avx)
}

/// A guest instruction's compare-and-swap of the u64 at `addr` (8-aligned): what it found, or
/// None if the access faulted (the guest gets the signal).
pub fn cas64(addr: u64, old: u64, new: u64) -> Option<u64> {
    let mut found = 0;
    // SAFETY: the routine accesses `addr` only (a fault there is caught) and writes `found`.
    (unsafe { a64x_probe_cas64(addr as *mut u64, old, new, &mut found) } == 1).then_some(found)
}

/// As [`cas64`] for the u128 at `addr` (16-aligned).
pub fn cas128(addr: u64, old: u128, new: u128) -> Option<u128> {
    let split = |v: u128| [v as u64, (v >> 64) as u64];
    let mut found = [0u64; 2];
    // SAFETY: as in `cas64`; the pointers to `old`, `new` and `found` are to locals.
    let ok = unsafe { a64x_probe_cas128(addr as *mut u128, &split(old), &split(new), &mut found) } == 1;
    ok.then_some((found[0] as u128) | ((found[1] as u128) << 64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_access_memory_like_plain_code() {
        let mut x = [0u64; 4];
        let at = (x.as_mut_ptr() as u64).next_multiple_of(16);
        assert_eq!(cas64(at, 0, 5), Some(0));
        assert_eq!(read_u64(at), Some(5));
        assert_eq!(read_u32(at), Some(5));
        assert_eq!(cas64(at, 1, 6), Some(5), "a failed compare stores nothing");
        let wide = (7u128 << 64) | 5;
        assert_eq!(cas128(at, 5, wide), Some(5));
        assert_eq!(cas128(at, 0, 1), Some(wide));
        assert_eq!(read_u64(at + 8), Some(7));
        assert_eq!(load64(at + 8), Some(7));
        assert_eq!(load128(at), Some(wide), "the failed compare above stored nothing");
        let mut out = [0u8; 12];
        assert!(copy(&mut out, at + 4));
        assert_eq!(out, [0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn only_the_access_instructions_have_fixups() {
        let rip = |f: &u8| f as *const u8 as u64;
        // SAFETY: only the labels' addresses are taken.
        let (insn, fix) = unsafe { (rip(&a64x_probe_cas128_insn), rip(&a64x_probe_cas128_fixup)) };
        assert_eq!(fixup(insn), Some((fix, Fault::Guest)));
        assert_eq!(fixup(insn + 1), None);
        assert_eq!(
            fixup(a64x_probe_read32 as *const () as u64).map(|f| f.1),
            Some(Fault::Quiet)
        );
    }
}
