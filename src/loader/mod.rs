//! Loader: reads a static AArch64 ELF executable into guest memory and builds its initial stack,
//! as fs/binfmt_elf.c `load_elf_binary` and `create_elf_tables` do (PT_INTERP and a sysroot will
//! come later).

mod elf;
mod error;
mod image;
mod stack;
#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use goblin::elf::program_header::{PT_LOAD, PT_PHDR};

pub use error::LoadError;
pub use stack::{at, MINSIGSTKSZ, STACK_SIZE};

use crate::memory::AddressSpace;

/// The CPU features the guest is told about (`AT_HWCAP`, `AT_HWCAP2`): exactly those a64x
/// implements, since glibc picks its routines from them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HwCaps {
    /// `AT_HWCAP` bits (arch/arm64/include/uapi/asm/hwcap.h `HWCAP_*`).
    pub hwcap: u64,
    /// `AT_HWCAP2` bits (`HWCAP2_*`).
    pub hwcap2: u64,
}

/// A program loaded into guest memory, ready to start at `entry` with `sp = stack_pointer`.
#[derive(Debug, Clone)]
pub struct LoadedImage {
    /// Guest pc of the first instruction (e_entry plus the load bias).
    pub entry: u64,
    /// Initial guest sp: points at argc, 16-byte aligned.
    pub stack_pointer: u64,
    /// Start of the program break (page-aligned end of the image); already given to the
    /// address space with `set_brk_base`.
    pub brk_base: u64,
    /// What was added to every p_vaddr (0 for ET_EXEC, the base for static-PIE).
    pub load_bias: u64,
    /// Guest address of the program headers (AT_PHDR), 0 if they are not in memory.
    pub phdr: u64,
    /// Number of program headers (AT_PHNUM).
    pub phnum: u64,
    /// Canonical host path of the executable (for /proc/self/exe).
    pub exe_path: PathBuf,
    /// Function symbols of .symtab as (guest address, size, name), sorted; empty if stripped.
    pub symbols: Vec<(u64, u64, String)>,
}

/// Loads the static (ET_EXEC) or static-PIE (ET_DYN without PT_INTERP) AArch64 executable at
/// `path` into `mem`, sets the guest brk base, and builds the initial stack with `argv`, `envp`
/// and an auxiliary vector advertising `hw`. Never panics on malformed input.
pub fn load_program(
    path: &Path,
    argv: &[OsString],
    envp: &[OsString],
    mem: &mut AddressSpace,
    hw: &HwCaps,
) -> Result<LoadedImage, LoadError> {
    let io = |err| LoadError::Io {
        path: path.to_path_buf(),
        err,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    let elf = elf::parse(path, &bytes)?;
    let exe_path = std::fs::canonicalize(path).map_err(io)?;
    let name = exe_path.to_string_lossy().into_owned();

    let placed = image::map_image(path, &bytes, &elf, mem, &name)?;
    let bias = placed.bias;
    let phdr = phdr_address(&elf, bias);
    let entry = elf.header.e_entry.wrapping_add(bias);
    let phnum = u64::from(elf.header.e_phnum);
    let aux = stack::AuxInfo {
        phdr,
        phnum,
        entry,
        hwcap: hw.hwcap,
        hwcap2: hw.hwcap2,
    };
    let stack_pointer = match stack::build(mem, path, argv, envp, &aux) {
        Ok(sp) => sp,
        Err(e) => {
            use a64x_syscalls::GuestMemory;
            let _ = mem.munmap(placed.start, placed.end - placed.start);
            return Err(e);
        }
    };
    mem.set_brk_base(placed.end);
    Ok(LoadedImage {
        entry,
        stack_pointer,
        brk_base: placed.end,
        load_bias: bias,
        phdr,
        phnum,
        exe_path,
        symbols: elf::function_symbols(&bytes, &elf.header, bias),
    })
}

/// AT_PHDR: the PT_PHDR segment's address, or else where the PT_LOAD holding e_phoff put the
/// headers (load_elf_binary's `phdr_addr`); 0 if no segment loads them.
fn phdr_address(elf: &elf::ElfFile, bias: u64) -> u64 {
    if let Some(ph) = elf.phdrs.iter().find(|ph| ph.p_type == PT_PHDR) {
        return ph.p_vaddr.wrapping_add(bias);
    }
    let phoff = elf.header.e_phoff;
    elf.phdrs
        .iter()
        .find(|ph| ph.p_type == PT_LOAD && ph.p_offset <= phoff && phoff - ph.p_offset < ph.p_filesz)
        .map_or(0, |ph| ph.p_vaddr.wrapping_add(bias).wrapping_add(phoff - ph.p_offset))
}
