//! Loader, the program image: PT_LOAD segments placed in guest memory as fs/binfmt_elf.c
//! `load_elf_binary`/`load_elf_interp`/`elf_map`/`padzero` do: ET_EXEC at its own addresses, a PIE
//! program (ET_DYN) at an ELF_ET_DYN_BASE-like base and the dynamic loader wherever the host has
//! room, both aligned to the largest p_align; bss zeroed, the end of the program's highest segment
//! becoming the start of brk. No relocation: static-PIE and the dynamic loader relocate themselves.

use std::path::Path;

use a64x_syscalls::GuestMemory;
use goblin::elf::program_header::{ProgramHeader, PF_R, PF_W, PF_X};

use super::elf::{segment_bytes, ElfFile};
use super::error::LoadError;
use crate::memory::{page_down, page_up, prot, AddressSpace, GUEST_ADDR_LIMIT, PAGE_SIZE};

/// Preferred base of a PIE program: 2/3 of the guest region, page-aligned, as the kernels'
/// `ELF_ET_DYN_BASE` is 2/3 of theirs (AArch64's, of 48 bits, is outside the guest region).
pub(crate) const ET_DYN_BASE: u64 = (crate::memory::GUEST_ADDR_LIMIT / 3 * 2) & !0xfff;

/// Cap on the base alignment taken from p_align (the kernel uses any power of two; absurd values
/// in a malformed file would only waste address space).
const MAX_BASE_ALIGN: u64 = 1 << 21;

/// Where an image went.
pub(crate) struct Placed {
    /// Added to every p_vaddr (0 for ET_EXEC).
    pub bias: u64,
    /// Start of the whole image's page range.
    pub start: u64,
    /// End of the whole image's page range; also the initial program break.
    pub end: u64,
}

/// Guest protection of a segment's `p_flags`.
fn seg_prot(ph: &ProgramHeader) -> i32 {
    let mut p = 0;
    if ph.p_flags & PF_R != 0 {
        p |= prot::READ;
    }
    if ph.p_flags & PF_W != 0 {
        p |= prot::WRITE;
    }
    if ph.p_flags & PF_X != 0 {
        p |= prot::EXEC;
    }
    p
}

/// Maps every PT_LOAD of `elf` (contents from `bytes`), naming the regions `name`. An ET_DYN image
/// goes at `dyn_hint` (rounded down to its alignment) if that range is free, else where the host
/// finds room (`dyn_hint` 0: always there, as the kernel's mmap places the interpreter).
pub(crate) fn map_image(
    path: &Path,
    bytes: &[u8],
    elf: &ElfFile,
    mem: &mut AddressSpace,
    name: &str,
    dyn_hint: u64,
) -> Result<Placed, LoadError> {
    let malformed = |why: &str| LoadError::Malformed {
        path: path.to_path_buf(),
        why: why.to_string(),
    };
    let lo = elf.loads().map(|ph| page_down(ph.p_vaddr)).min();
    // p_vaddr + p_memsz cannot overflow (checked by elf::parse), but rounding it up can.
    let hi = elf
        .loads()
        .map(|ph| page_up(ph.p_vaddr + ph.p_memsz))
        .try_fold(0u64, |m, e| e.map(|e| m.max(e)));
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Err(malformed("segments reach the end of the address space"));
    };
    let span = hi - lo;
    let rw = prot::READ | prot::WRITE;
    let start = if elf.is_dyn() {
        if span > GUEST_ADDR_LIMIT / 2 {
            return Err(malformed("image larger than the address space"));
        }
        let align = elf
            .loads()
            .map(|ph| ph.p_align)
            .filter(|a| a.is_power_of_two())
            .max()
            .unwrap_or(PAGE_SIZE)
            .clamp(PAGE_SIZE, MAX_BASE_ALIGN);
        place_dyn(mem, span, align, dyn_hint, name).map_err(|errno| LoadError::Memory {
            path: path.to_path_buf(),
            what: "program image",
            errno,
        })?
    } else {
        let unavailable = LoadError::AddressUnavailable {
            path: path.to_path_buf(),
            start: lo,
            end: hi,
        };
        if hi > GUEST_ADDR_LIMIT {
            return Err(unavailable);
        }
        match mem.map_fixed_anon(lo, span, rw, name) {
            Ok(()) => lo,
            Err(libc::EEXIST | libc::ENOMEM | libc::EPERM) => return Err(unavailable),
            Err(errno) => {
                return Err(LoadError::Memory {
                    path: path.to_path_buf(),
                    what: "program image",
                    errno,
                })
            }
        }
    };
    let bias = start - lo;
    let end = start + span;

    for ph in elf.loads() {
        let src = segment_bytes(bytes, ph);
        // SAFETY: [bias + p_vaddr, + p_filesz) lies inside the RW range just mapped for the
        // guest (p_filesz <= p_memsz, checked), and `src` is a distinct host buffer. The rest of
        // the segment, bss and the partial page after p_filesz included, is fresh zeroed memory.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), (bias + ph.p_vaddr) as *mut u8, src.len()) };
    }
    if let Err(errno) = protect(mem, elf, bias, start, end) {
        let _ = mem.munmap(start, span);
        return Err(LoadError::Memory {
            path: path.to_path_buf(),
            what: "program image",
            errno,
        });
    }
    Ok(Placed { bias, start, end })
}

/// An ET_DYN base: `hint` rounded down to `align` if non-zero and free, else a host-chosen range
/// below the guest limit, over-allocated by `align` and trimmed to an aligned start.
fn place_dyn(mem: &mut AddressSpace, span: u64, align: u64, hint: u64, name: &str) -> Result<u64, i32> {
    let rw = prot::READ | prot::WRITE;
    let want = hint & !(align - 1);
    if want != 0 && mem.map_fixed_anon(want, span, rw, name).is_ok() {
        return Ok(want);
    }
    let padded = span + align - PAGE_SIZE;
    let got = mem.map_anon(0, padded, rw, name)?;
    let start = got.next_multiple_of(align);
    if start > got {
        mem.munmap(got, start - got)?;
    }
    if got + padded > start + span {
        mem.munmap(start + span, got + padded - (start + span))?;
    }
    Ok(start)
}

/// Gives each page of the image the union of the protections of the segments on it (two
/// segments may share a page), and unmaps pages no segment covers, as the kernel leaves them.
fn protect(mem: &mut AddressSpace, elf: &ElfFile, bias: u64, start: u64, end: u64) -> Result<(), i32> {
    let ranges: Vec<(u64, u64, i32)> = elf
        .loads()
        .map(|ph| {
            let s = page_down(bias + ph.p_vaddr);
            let e = page_up(bias + ph.p_vaddr + ph.p_memsz).unwrap_or(end);
            (s, e, seg_prot(ph))
        })
        .collect();
    let mut cuts: Vec<u64> = ranges.iter().flat_map(|&(s, e, _)| [s, e]).collect();
    cuts.extend([start, end]);
    cuts.sort_unstable();
    cuts.dedup();
    for w in cuts.windows(2) {
        let (s, e) = (w[0], w[1]);
        let covering: Vec<i32> = ranges
            .iter()
            .filter(|&&(rs, re, _)| rs <= s && e <= re)
            .map(|&(_, _, p)| p)
            .collect();
        if covering.is_empty() {
            mem.munmap(s, e - s)?;
        } else {
            mem.mprotect(s, e - s, covering.iter().fold(0, |a, p| a | p))?;
        }
    }
    Ok(())
}
