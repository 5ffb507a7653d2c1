//! Loader, ELF parsing: the header and program-header checks of fs/binfmt_elf.c `load_elf_binary`
//! (read with goblin's ELF64 types after our own bounds checks, so no input can make it panic) and
//! the function symbols of `.symtab`. The loader reads only what it checks: the header, the program
//! headers and PT_INTERP, from an open file ([`Source::File`]); the segments are mapped, not read.

use std::borrow::Cow;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use goblin::container::{Container, Ctx};
use goblin::elf::program_header::{ProgramHeader, PT_INTERP, PT_LOAD};
use goblin::elf::section_header::{SectionHeader, SHT_DYNSYM, SHT_SYMTAB};
use goblin::elf::sym::{Symtab, STT_FUNC};
use goblin::elf64::header::{Header, ET_DYN, ET_EXEC, SIZEOF_EHDR};

use super::error::{em, LoadError};
use crate::memory::PAGE_SIZE;

/// Size of one ELF64 program header (`sizeof(Elf64_Phdr)`).
const PHDR_SIZE: u64 = 56;
/// Size of one ELF64 section header (`sizeof(Elf64_Shdr)`).
const SHDR_SIZE: u64 = 64;
/// Size of one ELF64 symbol (`sizeof(Elf64_Sym)`).
const SYM_SIZE: u64 = 24;
/// `PN_XNUM`: the real program header count is elsewhere; Linux does not load such files.
const PN_XNUM: u16 = 0xffff;

/// Longest PT_INTERP contents the kernel reads (`PATH_MAX`, fs/binfmt_elf.c).
const INTERP_MAX: u64 = 4096;

/// A checked AArch64 ELF64 executable: its header and program headers.
pub(crate) struct ElfFile {
    /// The ELF header.
    pub header: Header,
    /// The program headers, in file order.
    pub phdrs: Vec<ProgramHeader>,
    /// The PT_INTERP path (without its NUL), for dynamically linked programs.
    pub interp: Option<Vec<u8>>,
}

impl ElfFile {
    /// Whether this is `ET_DYN` (a PIE program, static or not, or a shared object such as the
    /// dynamic loader).
    pub fn is_dyn(&self) -> bool {
        self.header.e_type == ET_DYN
    }

    /// The PT_LOAD headers that occupy memory.
    pub fn loads(&self) -> impl Iterator<Item = &ProgramHeader> {
        self.phdrs.iter().filter(|p| p.p_type == PT_LOAD && p.p_memsz != 0)
    }
}

/// Where an ELF file's bytes are read from.
pub(crate) enum Source<'a> {
    /// The whole file, in memory.
    Bytes(&'a [u8]),
    /// An open file of `len` bytes whose first bytes `head` are already read; the rest is read
    /// when asked for (an executable's header and program headers are nearly always in `head`).
    File {
        /// The file.
        file: &'a File,
        /// Its first bytes.
        head: &'a [u8],
        /// Its size when opened.
        len: u64,
    },
}

impl Source<'_> {
    /// The file's size.
    pub fn len(&self) -> u64 {
        match self {
            Source::Bytes(b) => b.len() as u64,
            Source::File { len, .. } => *len,
        }
    }

    /// `len` bytes at `off`, or None if they are not all in the file (it may also have shrunk
    /// since it was opened). Callers bound `len`: at most the program headers' 3.6 MB.
    fn read(&self, off: u64, len: u64) -> Option<Cow<'_, [u8]>> {
        match self {
            Source::Bytes(b) => slice(b, off, len).map(Cow::Borrowed),
            Source::File { file, head, len: size } => {
                if off.checked_add(len)? > *size {
                    return None;
                }
                if let Some(b) = slice(head, off, len) {
                    return Some(Cow::Borrowed(b));
                }
                let mut buf = vec![0; usize::try_from(len).ok()?];
                file.read_exact_at(&mut buf, off).ok()?;
                Some(Cow::Owned(buf))
            }
        }
    }
}

/// `bytes[off..off+len]`, or None if that is beyond the file.
fn slice(bytes: &[u8], off: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(off).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    bytes.get(start..end)
}

/// A little- or big-endian u16 at `off` (for e_machine before the byte order is accepted).
fn u16_at(bytes: &[u8], off: usize, big: bool) -> u16 {
    match bytes.get(off..off + 2) {
        Some(&[a, b]) if big => u16::from_be_bytes([a, b]),
        Some(&[a, b]) => u16::from_le_bytes([a, b]),
        _ => 0,
    }
}

/// Checks that `bytes`, a whole file, is a loadable AArch64 executable (see [`parse_from`]).
pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<ElfFile, LoadError> {
    parse_from(path, &Source::Bytes(bytes))
}

/// Checks that the file `src` is a loadable AArch64 executable, in the order that gives the most
/// useful message: magic, class, byte order, machine, type, program headers, PT_INTERP, segments.
pub(crate) fn parse_from(path: &Path, src: &Source) -> Result<ElfFile, LoadError> {
    let p = || path.to_path_buf();
    let ehdr = src.read(0, src.len().min(SIZEOF_EHDR as u64)).unwrap_or_default();
    let bytes: &[u8] = &ehdr;
    if bytes.get(..4) != Some(b"\x7fELF") {
        return Err(LoadError::NotElf { path: p() });
    }
    if bytes.len() < 20 {
        return Err(LoadError::Truncated {
            path: p(),
            what: "ELF header",
        });
    }
    let big = bytes[5] == 2;
    let machine = u16_at(bytes, 18, big);
    match bytes[4] {
        1 => return Err(LoadError::Class32 { path: p(), machine }),
        2 => {}
        c => return malformed(path, format!("invalid EI_CLASS {c}")),
    }
    match bytes[5] {
        1 => {}
        2 => return Err(LoadError::BigEndian { path: p() }),
        d => return malformed(path, format!("invalid EI_DATA {d}")),
    }
    if machine != em::AARCH64 {
        return Err(LoadError::WrongMachine { path: p(), machine });
    }
    if bytes.len() < SIZEOF_EHDR {
        return Err(LoadError::Truncated {
            path: p(),
            what: "ELF header",
        });
    }
    let header = Header::parse(bytes).or_else(|e| malformed(path, e.to_string()))?;
    if header.e_type != ET_EXEC && header.e_type != ET_DYN {
        return Err(LoadError::NotExecutable {
            path: p(),
            e_type: header.e_type,
        });
    }
    if u64::from(header.e_phentsize) != PHDR_SIZE {
        return malformed(path, format!("e_phentsize {} (expected 56)", header.e_phentsize));
    }
    if header.e_phnum == 0 || header.e_phnum == PN_XNUM {
        return malformed(path, format!("e_phnum {}", header.e_phnum));
    }
    let ph_len = PHDR_SIZE * u64::from(header.e_phnum);
    let Some(ph_bytes) = src.read(header.e_phoff, ph_len) else {
        return Err(LoadError::Truncated {
            path: p(),
            what: "program headers",
        });
    };
    let ctx = Ctx::new(Container::Big, goblin::container::Endian::Little);
    let phdrs = ProgramHeader::parse(&ph_bytes, 0, usize::from(header.e_phnum), ctx)
        .or_else(|e| malformed(path, e.to_string()))?;

    let interp = match phdrs.iter().find(|ph| ph.p_type == PT_INTERP) {
        Some(ph) => Some(interp_name(path, src, ph)?),
        None => None,
    };

    let elf = ElfFile { header, phdrs, interp };
    if elf.loads().next().is_none() {
        return malformed(path, "no PT_LOAD segment".into());
    }
    for ph in elf.loads() {
        check_segment(path, src.len(), ph)?;
    }
    Ok(elf)
}

/// The interpreter path of a PT_INTERP segment, checked as `load_elf_binary` does: between 2 and
/// PATH_MAX bytes, inside the file, NUL-terminated (ENOEXEC otherwise).
fn interp_name(path: &Path, src: &Source, ph: &ProgramHeader) -> Result<Vec<u8>, LoadError> {
    if ph.p_filesz < 2 || ph.p_filesz > INTERP_MAX {
        return malformed(path, format!("PT_INTERP of {} bytes", ph.p_filesz));
    }
    let raw = src.read(ph.p_offset, ph.p_filesz).ok_or(LoadError::Truncated {
        path: path.to_path_buf(),
        what: "PT_INTERP contents",
    })?;
    if raw.last() != Some(&0) {
        return malformed(path, "PT_INTERP is not NUL-terminated".into());
    }
    // The kernel opens it as a C string: anything after an inner NUL is ignored.
    Ok(raw.split(|&b| b == 0).next().unwrap_or_default().to_vec())
}

/// The kernel's per-segment sanity: contents in the file, file part no bigger than the memory part,
/// no wrap-around, and file offset congruent to the address modulo the page size (what lets
/// `elf_map`, and the loader's own mapping, mmap it).
fn check_segment(path: &Path, file_len: u64, ph: &ProgramHeader) -> Result<(), LoadError> {
    if ph.p_filesz > ph.p_memsz {
        return malformed(path, format!("segment at {:#x} has p_filesz > p_memsz", ph.p_vaddr));
    }
    if ph.p_vaddr.checked_add(ph.p_memsz).is_none() {
        return malformed(path, format!("segment at {:#x} wraps around", ph.p_vaddr));
    }
    if ph.p_vaddr % PAGE_SIZE != ph.p_offset % PAGE_SIZE {
        return malformed(
            path,
            format!(
                "segment at {:#x} has file offset {:#x} not congruent modulo the page size",
                ph.p_vaddr, ph.p_offset
            ),
        );
    }
    if ph.p_offset.checked_add(ph.p_filesz).is_none_or(|end| end > file_len) {
        return Err(LoadError::Truncated {
            path: path.to_path_buf(),
            what: "segment contents",
        });
    }
    Ok(())
}

/// `Err(LoadError::Malformed)` for `path`.
fn malformed<T>(path: &Path, why: String) -> Result<T, LoadError> {
    Err(LoadError::Malformed {
        path: path.to_path_buf(),
        why,
    })
}

/// Function symbols (`STT_FUNC`, non-zero value) of every `SHT_SYMTAB` and `SHT_DYNSYM` (a
/// stripped shared library keeps only the latter), as (address + `bias`, size, name). Anything
/// malformed yields fewer symbols, never an error: symbols only
/// serve profiling.
pub(crate) fn function_symbols(bytes: &[u8], header: &Header, bias: u64) -> Vec<(u64, u64, String)> {
    let mut out = Vec::new();
    let shnum = u64::from(header.e_shnum);
    if header.e_shoff == 0
        || shnum == 0
        || u64::from(header.e_shentsize) != SHDR_SIZE
        || slice(bytes, header.e_shoff, shnum * SHDR_SIZE).is_none()
    {
        return out;
    }
    let ctx = Ctx::new(Container::Big, goblin::container::Endian::Little);
    let Ok(shdrs) = SectionHeader::parse(bytes, header.e_shoff as usize, shnum as usize, ctx) else {
        return out;
    };
    for sh in shdrs
        .iter()
        .filter(|s| s.sh_type == SHT_SYMTAB || s.sh_type == SHT_DYNSYM)
    {
        let Some(strsh) = shdrs.get(sh.sh_link as usize) else {
            continue;
        };
        let Some(strtab) = slice(bytes, strsh.sh_offset, strsh.sh_size) else {
            continue;
        };
        if slice(bytes, sh.sh_offset, sh.sh_size).is_none() {
            continue;
        }
        let count = (sh.sh_size / SYM_SIZE) as usize;
        let Ok(syms) = Symtab::parse(bytes, sh.sh_offset as usize, count, ctx) else {
            continue;
        };
        for sym in syms.iter() {
            if sym.st_type() != STT_FUNC || sym.st_value == 0 {
                continue;
            }
            let name = strtab
                .get(sym.st_name..)
                .and_then(|s| s.split(|&b| b == 0).next())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .unwrap_or_default();
            out.push((sym.st_value.wrapping_add(bias), sym.st_size, name));
        }
    }
    out.sort();
    out
}
