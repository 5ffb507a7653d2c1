//! Loader: reads an AArch64 ELF executable, and the dynamic loader its PT_INTERP names (looked up
//! in the sysroot first), into guest memory and builds the initial stack, as fs/binfmt_elf.c
//! `load_elf_binary`, `load_elf_interp` and `create_elf_tables` do.

mod elf;
mod error;
mod image;
mod interp;
mod stack;
#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use goblin::elf::program_header::{PT_LOAD, PT_PHDR};

pub use error::LoadError;

/// The function symbols of the AArch64 ELF file `bytes` (a shared library the guest's loader
/// maps), placed as they are when file offset `off` is mapped at `addr`: (address, size, name).
/// Empty for anything that is not such a file.
pub fn mapped_symbols(path: &Path, bytes: &[u8], addr: u64, off: u64) -> Vec<(u64, u64, String)> {
    let Ok(elf) = elf::parse(path, bytes) else {
        return Vec::new();
    };
    // The PT_LOAD segment holding `off`: its virtual address at `off` is mapped at `addr`.
    let Some(ph) = elf
        .phdrs
        .iter()
        .find(|p| p.p_type == PT_LOAD && off >= p.p_offset & !0xfff && off < p.p_offset + p.p_filesz)
    else {
        return Vec::new();
    };
    let vaddr = ph.p_vaddr.wrapping_sub(ph.p_offset).wrapping_add(off);
    elf::function_symbols(bytes, &elf.header, addr.wrapping_sub(vaddr))
}
pub use interp::DEFAULT_SYSROOT;
pub use stack::{at, fill_random, MINSIGSTKSZ, STACK_SIZE};

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
    /// Guest pc of the first instruction: the dynamic loader's entry point if the program has
    /// one, else the program's own ([`LoadedImage::program_entry`]).
    pub entry: u64,
    /// The program's entry point, e_entry plus the load bias (AT_ENTRY).
    pub program_entry: u64,
    /// The dynamic loader's load bias (AT_BASE); 0 for a program without PT_INTERP.
    pub interp_base: u64,
    /// Host path of the dynamic loader that was loaded, if any.
    pub interp_path: Option<PathBuf>,
    /// The sysroot the guest's absolute paths are looked up in first (see
    /// [`load_program`]); None: the host's file system only.
    pub sysroot: Option<PathBuf>,
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
    /// The program's and the dynamic loader's files with their load biases: where
    /// [`LoadedImage::symbols`] reads function names (only a profile needs them, and parsing
    /// them was a tenth of a small program's start).
    pub symbol_files: Vec<(PathBuf, u64)>,
}

impl LoadedImage {
    /// Function symbols of the program's and the dynamic loader's symbol tables, as (guest
    /// address, size, name), read from their files now; libraries the guest maps later are
    /// added by the profiler. A file that no longer reads as an AArch64 ELF gives none.
    pub fn symbols(&self) -> Vec<(u64, u64, String)> {
        let mut out = Vec::new();
        for (path, bias) in &self.symbol_files {
            let Ok(bytes) = std::fs::read(path) else { continue };
            let Ok(elf) = elf::parse(path, &bytes) else { continue };
            out.extend(elf::function_symbols(&bytes, &elf.header, *bias));
        }
        out
    }
}

/// Loads the AArch64 executable at `path` into `mem` (ET_EXEC at its addresses, ET_DYN at a
/// kernel-like base), and, if it has a PT_INTERP, the dynamic loader it names; sets the guest brk
/// base after the program and builds the initial stack with `argv`, `envp` and an auxiliary vector
/// advertising `hw`. Never panics on malformed input.
///
/// `sysroot` is `-L`: the dynamic loader is looked up inside it first, then on the host. Without
/// one, a dynamically linked program gets [`DEFAULT_SYSROOT`] if that directory exists; an
/// explicit `sysroot` is never supplemented by the default. The sysroot chosen is returned in
/// [`LoadedImage::sysroot`] for the guest's own path lookups.
pub fn load_program(
    path: &Path,
    argv: &[OsString],
    envp: &[OsString],
    mem: &mut AddressSpace,
    hw: &HwCaps,
    sysroot: Option<&Path>,
) -> Result<LoadedImage, LoadError> {
    load_program_with_stack(path, argv, envp, mem, hw, sysroot, STACK_SIZE)
}

/// [`load_program`] with a guest stack of `stack_size` bytes (`-s`; a multiple of the page size)
/// instead of [`STACK_SIZE`].
pub fn load_program_with_stack(
    path: &Path,
    argv: &[OsString],
    envp: &[OsString],
    mem: &mut AddressSpace,
    hw: &HwCaps,
    sysroot: Option<&Path>,
    stack_size: u64,
) -> Result<LoadedImage, LoadError> {
    let Program { file, elf, sysroot, ld } = open_program(path, sysroot)?;
    // A program run through a descriptor's link (`/proc/self/fd/N` of a memfd, after fexecve)
    // has no path to resolve to: it keeps the link, which opens it as long as the descriptor lives.
    let exe_path = crate::realpath::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let name = exe_path.to_string_lossy().into_owned();

    let placed = image::map_image(path, &file, &elf, mem, &name, image::ET_DYN_BASE)?;
    let mut mapped = vec![(placed.start, placed.end)];
    let bias = placed.bias;
    let phdr = phdr_address(&elf, bias);
    let program_entry = elf.header.e_entry.wrapping_add(bias);
    let (entry, interp_base) = match &ld {
        Some(ld) => {
            let name = ld.path.to_string_lossy().into_owned();
            match image::map_image(&ld.path, &ld.file, &ld.elf, mem, &name, 0) {
                Ok(p) => {
                    mapped.push((p.start, p.end));
                    (ld.elf.header.e_entry.wrapping_add(p.bias), p.bias)
                }
                Err(e) => {
                    unmap(mem, &mapped);
                    return Err(LoadError::Interp {
                        path: path.to_path_buf(),
                        err: Box::new(e),
                    });
                }
            }
        }
        None => (program_entry, 0),
    };
    let aux = stack::AuxInfo {
        phdr,
        phnum: u64::from(elf.header.e_phnum),
        entry: program_entry,
        base: interp_base,
        hwcap: hw.hwcap,
        hwcap2: hw.hwcap2,
    };
    let stack_pointer = match stack::build(mem, path, argv, envp, &aux, stack_size) {
        Ok(sp) => sp,
        Err(e) => {
            unmap(mem, &mapped);
            return Err(e);
        }
    };
    mem.set_brk_base(placed.end);
    let mut symbol_files = vec![(path.to_path_buf(), bias)];
    if let Some(ld) = &ld {
        symbol_files.push((ld.path.clone(), interp_base));
    }
    Ok(LoadedImage {
        entry,
        program_entry,
        interp_base,
        interp_path: ld.map(|ld| ld.path),
        sysroot,
        stack_pointer,
        brk_base: placed.end,
        load_bias: bias,
        phdr,
        phnum: aux.phnum,
        exe_path,
        symbol_files,
    })
}

/// The dynamic loader, read and checked but not yet mapped.
struct Interp {
    /// Its canonical host path.
    path: PathBuf,
    /// The open file.
    file: std::fs::File,
    /// Its checked headers.
    elf: elf::ElfFile,
}

/// A program file opened and checked, with its sysroot and dynamic loader: ready to map.
struct Program {
    file: std::fs::File,
    elf: elf::ElfFile,
    sysroot: Option<PathBuf>,
    ld: Option<Interp>,
}

/// Open and check the program at `path` and find its dynamic loader (`sysroot` as for
/// [`load_program`]), before anything is mapped: what the kernel's execve checks before its
/// point of no return.
fn open_program(path: &Path, sysroot: Option<&Path>) -> Result<Program, LoadError> {
    let io = |err| LoadError::Io {
        path: path.to_path_buf(),
        err,
    };
    let (file, head, len) = open_elf(path).map_err(io)?;
    let src = elf::Source::File {
        file: &file,
        head: &head,
        len,
    };
    let elf = elf::parse_from(path, &src)?;
    let sysroot = interp::sysroot_for(sysroot, elf.interp.is_some());
    // Found and checked before anything is mapped: a missing loader is the usual mistake.
    let ld = match &elf.interp {
        Some(want) => Some(read_interp(path, want, sysroot.as_deref())?),
        None => None,
    };
    Ok(Program { file, elf, sysroot, ld })
}

/// Whether the program at `path` would load (`sysroot` as for [`load_program`]): the checks
/// of [`load_program`] before it maps anything, for a guest `execve`, which must fail with
/// [`LoadError::errno`] where the kernel's would rather than end the process afterwards.
pub fn check_program(path: &Path, sysroot: Option<&Path>) -> Result<(), LoadError> {
    open_program(path, sysroot).map(|_| ())
}

/// Finds the interpreter `want` of the program at `path` and checks it as an ELF file.
fn read_interp(path: &Path, want: &[u8], sysroot: Option<&Path>) -> Result<Interp, LoadError> {
    let found = interp::find(want, sysroot).map_err(|tried| LoadError::InterpNotFound {
        path: path.to_path_buf(),
        interp: String::from_utf8_lossy(want).into_owned(),
        tried,
    })?;
    let wrap = |err| LoadError::Interp {
        path: path.to_path_buf(),
        err: Box::new(err),
    };
    let io = |err| {
        wrap(LoadError::Io {
            path: found.clone(),
            err,
        })
    };
    let (file, head, len) = open_elf(&found).map_err(io)?;
    // Its own PT_INTERP, if any, is ignored, as load_elf_interp ignores it.
    let src = elf::Source::File {
        file: &file,
        head: &head,
        len,
    };
    let elf = elf::parse_from(&found, &src).map_err(wrap)?;
    let path = crate::realpath::canonicalize(&found).map_err(io)?;
    Ok(Interp { path, file, elf })
}

/// How much of an ELF file is read at once when it is opened: the header and, in every file a
/// linker makes, the program headers and PT_INTERP.
const ELF_HEAD: u64 = 4096;

/// Opens the file at `path` and reads its first [`ELF_HEAD`] bytes: (file, those bytes, its size).
/// The loader reads nothing else of it but what its checks need; the segments are mapped.
fn open_elf(path: &Path) -> std::io::Result<(std::fs::File, Vec<u8>, u64)> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let mut head = vec![0; len.min(ELF_HEAD) as usize];
    let got = read_full_at(&file, &mut head)?;
    head.truncate(got);
    Ok((file, head, len))
}

/// Reads from offset 0 until `buf` is full or the file ends; the number of bytes read.
fn read_full_at(file: &std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::os::unix::fs::FileExt;
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Undoes the image mappings of a load that failed half-way.
fn unmap(mem: &mut AddressSpace, ranges: &[(u64, u64)]) {
    use a64x_syscalls::GuestMemory;
    for &(start, end) in ranges {
        let _ = mem.munmap(start, end - start);
    }
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
