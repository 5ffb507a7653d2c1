//! Loader errors: why a program cannot be run, one line each naming the file (the cases
//! fs/binfmt_elf.c `load_elf_binary` rejects with ENOEXEC/EINVAL/EIO, plus the ones a64x adds).

use std::fmt;
use std::path::PathBuf;

/// `e_machine` values named in messages (include/uapi/linux/elf-em.h).
pub(crate) mod em {
    /// Intel 80386.
    pub const I386: u16 = 3;
    /// 32-bit ARM (AArch32).
    pub const ARM: u16 = 40;
    /// AMD x86-64.
    pub const X86_64: u16 = 62;
    /// ARM 64-bit.
    pub const AARCH64: u16 = 183;
    /// RISC-V.
    pub const RISCV: u16 = 243;
}

/// Why [`super::load_program`] could not load a program.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be opened or read (missing, unreadable, a directory).
    Io {
        /// The program path as given.
        path: PathBuf,
        /// The host error.
        err: std::io::Error,
    },
    /// The file does not start with the ELF magic.
    NotElf {
        /// The program path as given.
        path: PathBuf,
    },
    /// The file ends before something the headers say it contains.
    Truncated {
        /// The program path as given.
        path: PathBuf,
        /// What is cut off ("ELF header", "program headers", "segment contents").
        what: &'static str,
    },
    /// A 32-bit ELF (`ELFCLASS32`).
    Class32 {
        /// The program path as given.
        path: PathBuf,
        /// Its `e_machine`.
        machine: u16,
    },
    /// A big-endian ELF (`ELFDATA2MSB`, e.g. aarch64_be).
    BigEndian {
        /// The program path as given.
        path: PathBuf,
    },
    /// A 64-bit ELF for another machine.
    WrongMachine {
        /// The program path as given.
        path: PathBuf,
        /// Its `e_machine`.
        machine: u16,
    },
    /// Not `ET_EXEC` or `ET_DYN` (a relocatable object, a core dump, ...).
    NotExecutable {
        /// The program path as given.
        path: PathBuf,
        /// Its `e_type`.
        e_type: u16,
    },
    /// Has a `PT_INTERP` naming a dynamic loader that is neither in the sysroot nor on the host.
    InterpNotFound {
        /// The program path as given.
        path: PathBuf,
        /// The requested interpreter, as PT_INTERP names it.
        interp: String,
        /// The host paths tried, in order.
        tried: Vec<PathBuf>,
    },
    /// The dynamic loader was found but cannot be loaded.
    Interp {
        /// The program path as given.
        path: PathBuf,
        /// Why (an error naming the interpreter's host path).
        err: Box<LoadError>,
    },
    /// Headers that contradict themselves or the ELF specification.
    Malformed {
        /// The program path as given.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A fixed-address (`ET_EXEC`) image whose range is already in use in this host process (by
    /// the VM itself) or lies above the 47-bit host user address space.
    AddressUnavailable {
        /// The program path as given.
        path: PathBuf,
        /// Start of the range.
        start: u64,
        /// End of the range.
        end: u64,
    },
    /// Guest memory for the image or the stack could not be mapped.
    Memory {
        /// The program path as given.
        path: PathBuf,
        /// What was being mapped.
        what: &'static str,
        /// The host errno.
        errno: i32,
    },
    /// Arguments and environment do not fit in a quarter of the stack (the kernel's E2BIG).
    ArgsTooLong {
        /// The program path as given.
        path: PathBuf,
    },
}

impl LoadError {
    /// The errno a guest `execve` of the program fails with, as the kernel's `load_elf_binary`
    /// fails before its point of no return: the file's own error, ENOEXEC for what is not a
    /// loadable AArch64 program, ENOENT for a dynamic loader that is not there, ELIBBAD for one
    /// that is not sound.
    pub fn errno(&self) -> i32 {
        use LoadError::*;
        match self {
            Io { err, .. } => err.raw_os_error().unwrap_or(libc::EIO),
            NotElf { .. }
            | Truncated { .. }
            | Class32 { .. }
            | BigEndian { .. }
            | WrongMachine { .. }
            | NotExecutable { .. }
            | Malformed { .. } => libc::ENOEXEC,
            InterpNotFound { .. } => libc::ENOENT,
            Interp { .. } => libc::ELIBBAD,
            AddressUnavailable { .. } | Memory { .. } => libc::ENOMEM,
            ArgsTooLong { .. } => libc::E2BIG,
        }
    }
}

/// A human name for an `e_machine`.
fn machine_name(machine: u16) -> String {
    match machine {
        em::I386 => "x86 (i386)".into(),
        em::ARM => "ARM (aarch32)".into(),
        em::X86_64 => "x86-64".into(),
        em::AARCH64 => "AArch64".into(),
        em::RISCV => "RISC-V".into(),
        8 => "MIPS".into(),
        20 => "PowerPC".into(),
        21 => "PowerPC64".into(),
        22 => "s390".into(),
        43 => "SPARC v9".into(),
        258 => "LoongArch".into(),
        m => format!("e_machine {m}"),
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use LoadError::*;
        match self {
            Io { path, err } => write!(f, "{}: cannot read: {err}", path.display()),
            NotElf { path } => write!(f, "{}: not an ELF file", path.display()),
            Truncated { path, what } => {
                write!(f, "{}: truncated ELF file: {what} extend beyond its end", path.display())
            }
            Class32 { path, machine } if matches!(*machine, em::I386 | em::X86_64) => write!(
                f,
                "{}: 32-bit x86 ELF: run it natively, a64x runs AArch64 programs",
                path.display()
            ),
            Class32 { path, .. } => write!(
                f,
                "{}: 32-bit ELF (ARM aarch32?) is not supported, a64x runs AArch64 (64-bit) programs",
                path.display()
            ),
            BigEndian { path } => write!(
                f,
                "{}: big-endian ELF (aarch64_be?) is not supported, a64x runs little-endian AArch64 programs",
                path.display()
            ),
            WrongMachine { path, machine } if *machine == em::X86_64 => write!(
                f,
                "{}: x86-64 ELF: run it natively, a64x runs AArch64 programs",
                path.display()
            ),
            WrongMachine { path, machine } => write!(
                f,
                "{}: {} ELF is not supported, a64x runs AArch64 programs",
                path.display(),
                machine_name(*machine)
            ),
            NotExecutable { path, e_type } => {
                let kind = match e_type {
                    0 => "an ELF file of no type (ET_NONE)",
                    1 => "a relocatable object (ET_REL)",
                    4 => "a core dump (ET_CORE)",
                    _ => "an ELF file of unknown type",
                };
                write!(f, "{}: {kind}, not an executable", path.display())
            }
            InterpNotFound { path, interp, tried } => {
                let tried: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
                write!(
                    f,
                    "cannot find the ELF interpreter {interp} of {} (looked in {}): pass -L SYSROOT \
                     (Debian's libc6-arm64-cross installs one in /usr/aarch64-linux-gnu)",
                    path.display(),
                    tried.join(", ")
                )
            }
            Interp { path, err } => write!(f, "{}: cannot load its ELF interpreter: {err}", path.display()),
            Malformed { path, why } => write!(f, "{}: malformed ELF: {why}", path.display()),
            AddressUnavailable { path, start, end } => write!(
                f,
                "{}: cannot place the image at its fixed addresses {start:#x}..{end:#x} (in use by a64x or above the 47-bit host address space)",
                path.display()
            ),
            Memory { path, what, errno } => write!(
                f,
                "{}: cannot map the {what}: {}",
                path.display(),
                std::io::Error::from_raw_os_error(*errno)
            ),
            ArgsTooLong { path } => write!(
                f,
                "{}: argument list and environment too long for the guest stack",
                path.display()
            ),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Io { err, .. } => Some(err),
            LoadError::Interp { err, .. } => Some(&**err),
            _ => None,
        }
    }
}
