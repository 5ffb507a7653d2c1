//! The command line (clap), qemu-user style: `a64x [OPTIONS] PROGRAM [ARGS...]`, with an
//! `A64X_*` environment variable for each option (binfmt_misc passes no options).

use clap::Parser;
use std::ffi::OsString;
use std::path::PathBuf;

/// a64x runs AArch64 (arm64) Linux programs on x86-64 Linux by translating their code.
#[derive(Parser, Debug)]
#[command(name = "a64x", version, about, long_about = None)]
pub struct Cli {
    /// Sysroot for the guest's dynamic loader and libraries (like qemu's -L): absolute guest
    /// paths are looked up in DIR first, then on the host. Default for dynamically linked
    /// programs: /usr/aarch64-linux-gnu if it exists (Debian's libc6-arm64-cross).
    #[arg(short = 'L', long = "sysroot", value_name = "DIR", env = "A64X_LD_PREFIX")]
    pub sysroot: Option<PathBuf>,

    /// Print every guest system call and its result to stderr, strace style.
    #[arg(long = "strace", env = "A64X_STRACE")]
    pub strace: bool,

    /// Print translation statistics to stderr when the guest exits.
    #[arg(long = "stats", env = "A64X_STATS")]
    pub stats: bool,

    /// Maximum guest instructions per translated block (1 = one instruction per block, for
    /// debugging the translator).
    #[arg(long = "max-block-insns", value_name = "N", default_value_t = 64, env = "A64X_MAX_BLOCK_INSNS",
          value_parser = clap::value_parser!(u32).range(1..=512))]
    pub max_block_insns: u32,

    /// Log translations to stderr: a comma-separated list of in_asm (guest instructions), ir
    /// (the IR after the passes), out_asm (host code).
    #[arg(short = 'd', value_name = "LIST", env = "A64X_DEBUG", value_delimiter = ',')]
    pub debug: Vec<DebugItem>,

    /// argv[0] of the program (like qemu's -0); default: PROGRAM as given. A guest execve of an
    /// AArch64 program re-executes a64x with this, so the new program sees the argv[0] it was given.
    #[arg(short = '0', value_name = "ARGV0")]
    pub argv0: Option<OsString>,

    /// The AArch64 program to run.
    #[arg(value_name = "PROGRAM")]
    pub program: PathBuf,

    /// Arguments passed to the program.
    #[arg(value_name = "ARGS", trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<OsString>,
}

impl Cli {
    /// The options a guest `execve` of an AArch64 program passes on to the a64x it re-executes,
    /// so that the new program runs as this one does (`-0` and the program are added by the
    /// syscall layer). The sysroot is made absolute: the guest may have changed directory.
    pub fn exec_options(&self) -> Vec<OsString> {
        let mut v: Vec<OsString> = Vec::new();
        if let Some(root) = &self.sysroot {
            v.push("-L".into());
            let abs = if root.as_os_str().is_empty() {
                root.clone()
            } else {
                std::fs::canonicalize(root).unwrap_or_else(|_| root.clone())
            };
            v.push(abs.into_os_string());
        }
        if self.strace {
            v.push("--strace".into());
        }
        if self.stats {
            v.push("--stats".into());
        }
        v.push(format!("--max-block-insns={}", self.max_block_insns).into());
        if !self.debug.is_empty() {
            let names: Vec<&str> = self
                .debug
                .iter()
                .map(|d| match d {
                    DebugItem::in_asm => "in_asm",
                    DebugItem::ir => "ir",
                    DebugItem::out_asm => "out_asm",
                })
                .collect();
            v.push("-d".into());
            v.push(names.join(",").into());
        }
        v
    }
}

/// Items of `-d`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum DebugItem {
    /// Guest instructions of each translated block.
    #[value(name = "in_asm")]
    in_asm,
    /// IR of each block after the optimisation passes.
    ir,
    /// Host code emitted for each block.
    #[value(name = "out_asm")]
    out_asm,
}
