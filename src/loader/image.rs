//! Loader, the program image: PT_LOAD segments placed in guest memory as fs/binfmt_elf.c
//! `load_elf_binary`/`load_elf_interp`/`elf_map`/`padzero` do: ET_EXEC at its own addresses, a PIE
//! program (ET_DYN) at an ELF_ET_DYN_BASE-like base and the dynamic loader wherever the host has
//! room, both aligned to the largest p_align; each segment's file part mapped private from the
//! file, bss zeroed, the end of the program's highest segment becoming the start of brk. No
//! relocation: static-PIE and the dynamic loader relocate themselves.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::Path;

use a64x_syscalls::GuestMemory;
use goblin::elf::program_header::{ProgramHeader, PF_R, PF_W, PF_X};

use super::elf::ElfFile;
use super::error::LoadError;
use crate::memory::{map, page_down, page_up, prot, AddressSpace, GUEST_ADDR_LIMIT, PAGE_SIZE};

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

/// Maps every PT_LOAD of `elf` (contents from `file`), naming the regions `name`. An ET_DYN image
/// goes at `dyn_hint` (rounded down to its alignment) if that range is free, else where the host
/// finds room (`dyn_hint` 0: always there, as the kernel's mmap places the interpreter).
pub(crate) fn map_image(
    path: &Path,
    file: &File,
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
        if fill_segment(mem, file, elf, ph, bias).is_err() {
            // The file shrank after it was checked.
            let _ = mem.munmap(start, span);
            return Err(LoadError::Truncated {
                path: path.to_path_buf(),
                what: "segment contents",
            });
        }
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

/// Puts the file part of segment `ph` at `bias + p_vaddr` in the image's range, which is mapped
/// read-write and zeroed: its pages mapped private from `file` as `elf_map` does (no copy: the page
/// cache's pages are shared until written). Read into place instead: the partial last page of a
/// segment with bss (which leaves it zero after the file part, as `padzero` makes it, without a
/// VM write to a file's page, which would fault if the file shrank), pages another segment also
/// occupies (mapping would replace its bytes), and everything if the host cannot map the file.
fn fill_segment(
    mem: &mut AddressSpace,
    file: &File,
    elf: &ElfFile,
    ph: &ProgramHeader,
    bias: u64,
) -> std::io::Result<()> {
    if ph.p_filesz == 0 {
        return Ok(());
    }
    let at = bias + ph.p_vaddr;
    let data_end = at + ph.p_filesz; // inside the image: p_filesz <= p_memsz (checked)
    let page = page_down(at);
    let map_end = if ph.p_memsz > ph.p_filesz {
        page_down(data_end)
    } else {
        page_up(data_end).unwrap_or(page)
    };
    let (lo, hi) = own_pages(elf, bias, ph, page, map_end);
    let mut read = vec![(at, data_end)];
    if lo < hi {
        let (rw, fixed) = (prot::READ | prot::WRITE, map::FIXED | map::PRIVATE);
        // The offset is congruent with the address (checked), and inside the file.
        let off = (ph.p_offset - (at - lo)) as i64;
        if mem.mmap(lo, hi - lo, rw, fixed, file.as_raw_fd(), off).is_ok() {
            read = vec![(at, lo.max(at)), (hi.min(data_end), data_end)];
        }
    }
    for (from, to) in read.into_iter().filter(|&(f, t)| f < t) {
        // SAFETY: [from, to) lies in the image's range, in anonymous memory mapped read-write
        // for the guest and not yet visible to it (only pages no other segment occupies are
        // mapped from the file, and none of this segment's own file pages is read into).
        let dst = unsafe { std::slice::from_raw_parts_mut(from as *mut u8, (to - from) as usize) };
        file.read_exact_at(dst, ph.p_offset + (from - at))?;
    }
    Ok(())
}

/// The largest part of the pages `[lo, hi)` of segment `ph` that no other segment of `elf`
/// (its memory part, in whole pages) occupies, from the start: empty if the first page is shared.
/// Segments of a linked program do not share pages; a hand-made file's may.
fn own_pages(elf: &ElfFile, bias: u64, ph: &ProgramHeader, lo: u64, hi: u64) -> (u64, u64) {
    let mut hi = hi;
    for other in elf.loads().filter(|o| !std::ptr::eq(*o, ph)) {
        let start = page_down(bias + other.p_vaddr);
        let end = page_up(bias + other.p_vaddr + other.p_memsz).unwrap_or(u64::MAX);
        if start <= lo && lo < end {
            return (lo, lo);
        }
        if lo < start {
            hi = hi.min(start);
        }
    }
    (lo, hi)
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
