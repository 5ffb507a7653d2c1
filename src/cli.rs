//! The command line (clap), qemu-user style: `a64x [OPTIONS] PROGRAM [ARGS...]`, with an
//! `A64X_*` environment variable for each option (binfmt_misc passes no options), qemu's
//! single-dash spellings (`-strace`, `-cpu`, `-version`), and the binfmt_misc invocation
//! (fs/binfmt_misc.c `load_misc_binary`: `a64x PATH [ARGV0] ARGS...`, ARGV0 with the `P` flag).

use clap::builder::FalseyValueParser;
use clap::parser::ValueSource;
use clap::{ArgAction, CommandFactory, FromArgMatches, Parser};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

pub use crate::cpuspec::{CpuFeature, CpuSpec, HwcapWord, CPU_FEATURES};

/// a64x runs AArch64 (arm64) Linux programs on x86-64 Linux by translating their code.
#[derive(Parser, Debug)]
#[command(
    name = "a64x",
    version,
    about,
    long_about = None,
    override_usage = "a64x [OPTIONS] PROGRAM [ARGS]...\n       a64x --install-binfmt | --uninstall-binfmt | --binfmt-status | --binfmt-conf [BINFMT OPTIONS]",
    after_help = "qemu's spellings are accepted too: -strace, -cpu, -version, -help.\n\
                  Run through binfmt_misc, a64x takes its options from the A64X_* variables only;\n\
                  where one is unset, qemu-user's QEMU_* variable is read (QEMU_LD_PREFIX, QEMU_CPU, ...)."
)]
pub struct Cli {
    /// Sysroot for the guest's dynamic loader and libraries (like qemu's -L): absolute guest
    /// paths are looked up in DIR first, then on the host. Default for dynamically linked
    /// programs: /usr/aarch64-linux-gnu if it exists (Debian's libc6-arm64-cross).
    #[arg(short = 'L', long = "sysroot", value_name = "DIR", env = "A64X_LD_PREFIX")]
    pub sysroot: Option<PathBuf>,

    /// Print every guest system call and its result to stderr, strace style (also -strace).
    /// A variable that is not empty, 0, false, no, off or n turns it on (as for --stats).
    #[arg(long = "strace", env = "A64X_STRACE", value_parser = FalseyValueParser::new())]
    pub strace: bool,

    /// Make a guest execve of anything but an AArch64 program (a host binary, or a script whose
    /// interpreter is one) fail with ENOEXEC, as on an arm64 machine without binfmt_misc. By
    /// default host programs run natively, as under qemu-user. A variable that is not empty, 0,
    /// false, no, off or n turns it on.
    #[arg(long = "no-host-exec", env = "A64X_NO_HOST_EXEC", value_parser = FalseyValueParser::new())]
    pub no_host_exec: bool,

    /// Carry out every guest execve of an AArch64 program by starting a new a64x process, not
    /// in this one (to measure what an exec in place saves; passed on to the programs exec'd). A
    /// variable that is not empty, 0, false, no, off or n turns it on.
    #[arg(long = "no-exec-in-place", env = "A64X_NO_EXEC_IN_PLACE", value_parser = FalseyValueParser::new())]
    pub no_exec_in_place: bool,

    /// Set by a64x itself when it re-executes for a guest's execve: the guest program's
    /// environment is the `--genv` entries, not this process's (which is empty: see
    /// `a64x_syscalls` exec).
    #[arg(long = "exec-by-guest", hide = true)]
    pub exec_by_guest: bool,

    /// With `--exec-by-guest`: one entry of the guest program's environment (`NAME=VALUE` or any
    /// bytes the guest gave), in order.
    #[arg(long = "genv", hide = true, value_name = "ENTRY", action = ArgAction::Append, allow_hyphen_values = true)]
    pub guest_environment: Vec<OsString>,

    /// The name the kernel gives the process (`comm`), where it is not PROGRAM's: the last
    /// component of the path the guest exec'd, a `#!` script's rather than its interpreter's
    /// (set by a64x for a guest's execve, and from the kernel's for a binfmt_misc start).
    #[arg(long = "comm", hide = true, value_name = "NAME", allow_hyphen_values = true)]
    pub comm: Option<OsString>,

    /// Keep translations in DIR for later runs of the same program (the persistent translation
    /// cache). Default: $XDG_CACHE_HOME/a64x, else ~/.cache/a64x.
    #[arg(long = "cache-dir", env = "A64X_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Neither use nor write the persistent translation cache. A variable that is not empty, 0,
    /// false, no, off or n turns it on.
    #[arg(long = "no-cache", env = "A64X_NO_CACHE", value_parser = FalseyValueParser::new())]
    pub no_cache: bool,

    /// Print translation statistics to stderr when the guest exits.
    #[arg(long = "stats", env = "A64X_STATS", value_parser = FalseyValueParser::new())]
    pub stats: bool,

    /// Maximum guest instructions per translated block (1 = one instruction per block, for
    /// debugging the translator; qemu's -one-insn-per-tb means 1).
    #[arg(long = "max-block-insns", value_name = "N", default_value_t = 64, env = "A64X_MAX_BLOCK_INSNS",
          value_parser = clap::value_parser!(u32).range(1..=512))]
    pub max_block_insns: u32,

    /// Write /tmp/perf-PID.map naming every translated block after its guest function
    /// (a64x:SYMBOL+OFF@PC), so that perf record/perf report attribute samples in translated code.
    #[arg(long = "perfmap", env = "A64X_PERFMAP", value_parser = FalseyValueParser::new())]
    pub perfmap: bool,

    /// Sample where the CPU time goes (SIGPROF, up to 1 kHz) and write a report at exit to FILE (default
    /// or `-`: stderr): hottest guest functions and blocks with their guest and host code. The
    /// guest's own SIGPROF/ITIMER_PROF are then not available. A64X_PROFILE=FILE (1 or -: stderr).
    #[arg(long = "profile", value_name = "FILE", env = "A64X_PROFILE", num_args = 0..=1,
          require_equals = true, default_missing_value = "-")]
    pub profile: Option<PathBuf>,

    /// With --profile: count every execution of every block (a counter each block increments)
    /// and show the counts in the report. Costs more than sampling: up to 2x in tight loops.
    #[arg(long = "profile-counts", env = "A64X_PROFILE_COUNTS", value_parser = FalseyValueParser::new())]
    pub profile_counts: bool,

    /// Write DIR/jit-PID.dump (default DIR: the current directory), a jitdump file naming every
    /// translated block with its host code: `perf record -k mono a64x --jitdump PROG`, then
    /// `perf inject --jit` and `perf report` show guest functions. A64X_JITDUMP=DIR (1: .).
    #[arg(long = "jitdump", value_name = "DIR", env = "A64X_JITDUMP", num_args = 0..=1,
          require_equals = true, default_missing_value = ".")]
    pub jitdump: Option<PathBuf>,

    /// Sample where the CPU time goes, with the guest's call stacks (frame records), and write a
    /// flame graph SVG of them to FILE at exit.
    #[arg(long = "flamegraph", value_name = "FILE", env = "A64X_FLAMEGRAPH")]
    pub flamegraph: Option<PathBuf>,

    /// Log to stderr (or -D FILE): a comma-separated list of in_asm (guest instructions of each
    /// block translated), ir (its IR after the passes), out_asm (its host code), exec (each block
    /// run), cpu (the registers before each block run), unimp (undefined instructions and
    /// unimplemented syscalls the guest hits). exec and cpu turn block chaining off.
    #[arg(short = 'd', value_name = "LIST", env = "A64X_DEBUG", value_delimiter = ',')]
    pub debug: Vec<DebugItem>,

    /// Write the -d log to FILE instead of stderr (like qemu's -D).
    #[arg(short = 'D', value_name = "FILE", env = "A64X_LOG_FILE")]
    pub log_file: Option<PathBuf>,

    /// Log only blocks starting in these guest ranges (also -dfilter): comma-separated
    /// START+SIZE, END-SIZE, START..END (inclusive) or ADDRESS.
    #[arg(long = "dfilter", value_name = "RANGES", env = "A64X_DFILTER",
          value_parser = AddrRanges::parse)]
    pub dfilter: Option<AddrRanges>,

    /// argv[0] of the program (like qemu's -0); default: PROGRAM as given. A guest execve of an
    /// AArch64 program re-executes a64x with this, so the new program sees the argv[0] it was given.
    /// The variable applies to every program started with it in its environment.
    #[arg(short = '0', value_name = "ARGV0", env = "A64X_ARGV0")]
    pub argv0: Option<OsString>,

    /// Set VAR to VALUE in the guest's environment (repeatable; applied after -U). The
    /// variable takes a comma-separated list, as QEMU_SET_ENV does.
    #[arg(short = 'E', value_name = "VAR=VALUE", env = "A64X_SET_ENV", action = ArgAction::Append,
          value_parser = parse_assignment)]
    pub set_env: Vec<OsString>,

    /// Remove VAR from the guest's environment (repeatable). The variable takes a
    /// comma-separated list, as QEMU_UNSET_ENV does.
    #[arg(short = 'U', value_name = "VAR", env = "A64X_UNSET_ENV", action = ArgAction::Append)]
    pub unset_env: Vec<OsString>,

    /// Size of the guest's stack, in bytes or with a K, M or G suffix (rounded up to pages;
    /// 64K to 4G).
    #[arg(short = 's', value_name = "STACK_SIZE", env = "A64X_STACK_SIZE", default_value = "8M",
          value_parser = parse_stack_size)]
    pub stack_size: u64,

    /// Wait for gdb on this TCP port (loopback only) or Unix socket path before the first
    /// instruction, as qemu's -g: `target remote :PORT` from gdb-multiarch.
    #[arg(short = 'g', long = "gdb", value_name = "PORT|PATH", env = "A64X_GDB")]
    pub gdb: Option<String>,

    /// CPU the guest runs on (AT_HWCAP, AT_HWCAP2, /proc/cpuinfo, and the instructions it
    /// decodes): `max` (every feature a64x implements), optionally with features turned off or
    /// on: `max,-atomics,-crc32`. `help` lists the features (also -cpu).
    #[arg(long = "cpu", value_name = "MODEL[,-FEATURE...]", env = "A64X_CPU", default_value = "max",
          value_parser = CpuSpec::parse)]
    pub cpu: CpuSpec,

    /// The AArch64 program to run (filled in from [`Cli::program_arg`] by [`parse`]; empty with
    /// a binfmt action).
    #[arg(skip)]
    pub program: PathBuf,

    /// The AArch64 program to run.
    #[arg(value_name = "PROGRAM")]
    pub program_arg: Option<PathBuf>,

    /// Arguments passed to the program.
    #[arg(value_name = "ARGS", trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<OsString>,

    /// The binfmt_misc actions and their settings.
    #[command(flatten)]
    pub binfmt: BinfmtArgs,
}

/// The binfmt_misc options (src/binfmt.rs carries them out).
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "binfmt_misc (run AArch64 programs directly as ./prog)")]
pub struct BinfmtArgs {
    /// Register a64x with the kernel's binfmt_misc as the interpreter of AArch64 ELF programs
    /// (root; mounts /proc/sys/fs/binfmt_misc when needed).
    #[arg(long = "install-binfmt", group = "binfmt_action")]
    pub install: bool,

    /// Remove the binfmt_misc entry (root).
    #[arg(long = "uninstall-binfmt", group = "binfmt_action")]
    pub uninstall: bool,

    /// Print the binfmt_misc entry (exit status 1 when it is not registered).
    #[arg(long = "binfmt-status", group = "binfmt_action")]
    pub status: bool,

    /// Print the registration as a binfmt.d(5) line (for /etc/binfmt.d/a64x.conf) instead of
    /// registering.
    #[arg(long = "binfmt-conf", group = "binfmt_action")]
    pub conf: bool,

    /// Name of the binfmt_misc entry.
    #[arg(long = "binfmt-name", value_name = "NAME", default_value = "a64x")]
    pub name: String,

    /// Interpreter to register (absolute path); default: this a64x.
    #[arg(long = "binfmt-interpreter", value_name = "PATH")]
    pub interpreter: Option<PathBuf>,

    /// binfmt_misc flags: any of P (pass the program's own argv[0]; Linux 5.12+), F (open the
    /// interpreter now, so it works inside chroots and containers: use a static a64x), C (run
    /// with the program's set-user-ID credentials; implies O), O (pass an open descriptor).
    #[arg(
        long = "binfmt-flags",
        value_name = "FLAGS",
        default_value = "",
        hide_default_value = true
    )]
    pub flags: String,
}

impl BinfmtArgs {
    /// Whether one of the binfmt actions was asked for.
    pub fn any_action(&self) -> bool {
        self.install || self.uninstall || self.status || self.conf
    }
}

impl Cli {
    /// The options a guest `execve` of an AArch64 program passes on to the a64x it re-executes,
    /// so that the new program runs as this one does (`-0` and the program are added by the
    /// syscall layer). The sysroot is made absolute: the guest may have changed directory.
    /// `-E`/`-U` are not passed on: the guest's execve gives the new program its environment.
    pub fn exec_options(&self) -> Vec<OsString> {
        let mut v: Vec<OsString> = Vec::new();
        if let Some(root) = &self.sysroot {
            v.push("-L".into());
            let abs = if root.as_os_str().is_empty() {
                root.clone()
            } else {
                crate::realpath::canonicalize(root).unwrap_or_else(|_| root.clone())
            };
            v.push(abs.into_os_string());
        }
        if self.strace {
            v.push("--strace".into());
        }
        if self.no_host_exec {
            v.push("--no-host-exec".into());
        }
        if self.no_exec_in_place {
            v.push("--no-exec-in-place".into());
        }
        if self.stats {
            v.push("--stats".into());
        }
        // The same cache directory as this process's, named: the new a64x must not derive it
        // from HOME or XDG_CACHE_HOME, which the guest sets (the path stays the same in a chroot).
        match self.cache_dir.clone().or_else(crate::tcache::default_dir) {
            Some(dir) if !self.no_cache => {
                let dir = std::path::absolute(&dir).unwrap_or(dir);
                v.push(format!("--cache-dir={}", dir.display()).into());
            }
            _ => v.push("--no-cache".into()),
        }
        if self.perfmap {
            // The exec'd program keeps the pid: its map replaces this one's.
            v.push("--perfmap".into());
        }
        if let Some(dir) = &self.jitdump {
            // Likewise its jitdump file.
            let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
            v.push(format!("--jitdump={}", dir.display()).into());
        }
        v.push(format!("--max-block-insns={}", self.max_block_insns).into());
        if !self.debug.is_empty() {
            let names: Vec<String> = self
                .debug
                .iter()
                .filter_map(|d| clap::ValueEnum::to_possible_value(d).map(|p| p.get_name().to_string()))
                .collect();
            v.push("-d".into());
            v.push(names.join(",").into());
        }
        if let Some(file) = &self.log_file {
            // Appended to by the new program: the same file, from wherever the guest now is.
            v.push("-D".into());
            v.push(
                std::path::absolute(file)
                    .unwrap_or_else(|_| file.clone())
                    .into_os_string(),
            );
        }
        if let Some(ranges) = &self.dfilter {
            let text: Vec<String> = ranges.0.iter().map(|&(s, e)| format!("{s:#x}+{:#x}", e - s)).collect();
            v.push(format!("--dfilter={}", text.join(",")).into());
        }
        v.push(format!("-s{}", self.stack_size).into());
        v.push(format!("--cpu={}", self.cpu).into());
        v
    }

    /// The guest's environment: `host` (a64x's own environment) less the `-U` variables, plus the
    /// `-E` assignments (a later `-E` of the same variable wins), as `VAR=VALUE` strings.
    pub fn guest_env(&self, host: impl IntoIterator<Item = (OsString, OsString)>) -> Vec<OsString> {
        let name_of = |s: &OsStr| -> Vec<u8> {
            let b = s.as_bytes();
            b[..b.iter().position(|&c| c == b'=').unwrap_or(b.len())].to_vec()
        };
        let mut env: Vec<OsString> = host
            .into_iter()
            .map(|(k, v)| OsString::from_vec([k.into_vec(), b"=".to_vec(), v.into_vec()].concat()))
            .collect();
        let removed: Vec<Vec<u8>> = self
            .unset_env
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .chain(self.set_env.iter().map(|s| name_of(s)))
            .collect();
        env.retain(|e| !removed.contains(&name_of(e)));
        for (i, e) in self.set_env.iter().enumerate() {
            // Only the last assignment of a name counts.
            let name = name_of(e);
            if !self.set_env[i + 1..].iter().any(|later| name_of(later) == name) {
                env.push(e.clone());
            }
        }
        env
    }

    /// How blocks are built (`--max-block-insns`; `A64X_NO_CONFINE`, a measuring switch: guest
    /// accesses unconfined, see DESIGN and `a64x_translator::confine`).
    pub fn lift_options(&self) -> a64x_translator::lift::LiftOptions {
        a64x_translator::lift::LiftOptions {
            max_insns: self.max_block_insns,
            follow_branches: self.max_block_insns > 1,
            // (Not under gdb, whose breakpoints and steps want blocks as they were.)
            side_exits: self.max_block_insns > 1 && self.gdb.is_none(),
            // gdb reads the registers wherever it stops: every block writes all of them back.
            drop_dead_writebacks: self.gdb.is_none(),
            confine: std::env::var_os("A64X_NO_CONFINE").is_none(),
            features: self.cpu.features(),
        }
    }

    /// What `--perfmap`, `--jitdump`, `--profile` and `--flamegraph` ask for.
    pub fn profile_options(&self) -> crate::profile::Options {
        crate::profile::Options {
            perfmap: self.perfmap,
            profile: self.profile.as_ref().map(|p| match p.to_str() {
                Some("-" | "1") => None,
                _ => Some(p.clone()),
            }),
            jitdump: self.jitdump.as_ref().map(|d| match d.to_str() {
                Some("1") => PathBuf::from("."),
                _ => d.clone(),
            }),
            flamegraph: self.flamegraph.clone(),
            counts: self.profile_counts && self.profile.is_some(),
            lift: self.lift_options(),
        }
    }

    /// The AT_HWCAP and AT_HWCAP2 words the guest is given: `-cpu`'s features.
    pub fn hwcaps(&self) -> crate::loader::HwCaps {
        crate::loader::HwCaps {
            hwcap: self.cpu.hwcap,
            hwcap2: self.cpu.hwcap2,
        }
    }
}

/// The guest address ranges of `-dfilter`, `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrRanges(pub Vec<(u64, u64)>);

impl AddrRanges {
    fn parse(text: &str) -> Result<Self, String> {
        a64x_translator::cache::debuglog::parse_filter(text).map(AddrRanges)
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
    /// Each block as it runs (chaining off).
    exec,
    /// The guest registers before each block runs (chaining off).
    cpu,
    /// Undefined instructions and unimplemented syscalls, every time.
    unimp,
}

/// `-E`'s value: `VAR=VALUE` with a non-empty VAR.
fn parse_assignment(s: &str) -> Result<OsString, String> {
    match s.split_once('=') {
        Some((name, _)) if !name.is_empty() => Ok(s.into()),
        _ => Err(format!("`{s}` is not VAR=VALUE")),
    }
}

/// `-s`'s value: bytes, or with a K/M/G suffix (powers of 1024, as qemu's), rounded up to a page.
fn parse_stack_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, ""),
    };
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("`{s}` is not a size (e.g. 8M, 512K, 1048576)")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 8M, 512K, 1048576)"))?;
    let bytes = n
        .checked_mul(1 << shift)
        .and_then(|b| b.checked_next_multiple_of(4096))
        .ok_or_else(|| format!("stack size `{s}` is too large"))?;
    if !(64 << 10..=4 << 30).contains(&bytes) {
        return Err(format!("stack size `{s}` is outside 64K..4G"));
    }
    Ok(bytes)
}

/// `AT_FLAGS` bit the kernel sets for an interpreter started by a binfmt_misc entry with the `P`
/// flag (include/uapi/linux/binfmts.h `AT_FLAGS_PRESERVE_ARGV0`, Linux 5.12).
const AT_FLAGS_PRESERVE_ARGV0: u64 = 1;

/// How a64x was started by binfmt_misc, if it was: the kernel runs `a64x PATH ARGS...` (the
/// program's own argv[0] dropped), or `a64x PATH ARGV0 ARGS...` with the `P` flag, which it
/// reports in AT_FLAGS. Without `P` the sign is AT_EXECFN: the kernel keeps the program's path
/// there (fs/exec.c `bprm->exec`), which is also argv[1]; run by hand, AT_EXECFN is a64x's own
/// path. Returns whether the `P` flag is set.
fn binfmt_invocation(raw: &[OsString]) -> Option<bool> {
    // SAFETY: getauxval reads this process's auxiliary vector.
    let flags = unsafe { libc::getauxval(libc::AT_FLAGS) };
    let preserve = flags & AT_FLAGS_PRESERVE_ARGV0 != 0;
    let path_is_argv1 = matches!((exec_path(), raw.get(1)), (Some(e), Some(a)) if !e.is_empty() && e == a.as_bytes());
    (raw.len() >= 2 && (preserve || path_is_argv1)).then_some(preserve)
}

/// The path the kernel exec'd this process by (AT_EXECFN: the program's, not an interpreter's).
fn exec_path() -> Option<&'static [u8]> {
    // SAFETY: getauxval reads this process's auxiliary vector; AT_EXECFN, when present, points
    // at a NUL-terminated string on the initial stack that lives as long as the process.
    unsafe {
        let p = libc::getauxval(libc::AT_EXECFN) as *const libc::c_char;
        (!p.is_null()).then(|| std::ffi::CStr::from_ptr(p).to_bytes())
    }
}

/// The arguments clap sees for a binfmt_misc start: the program after `--` (it is never an
/// option), `-0 ARGV0` with the `P` flag; every other option comes from the environment.
fn binfmt_command_line(raw: &[OsString], preserve_argv0: bool) -> Vec<OsString> {
    let mut v = vec![raw[0].clone()];
    let mut rest = &raw[2..];
    if preserve_argv0 {
        if let Some((argv0, more)) = rest.split_first() {
            v.push("-0".into());
            v.push(argv0.clone());
            rest = more;
        }
    }
    v.push("--".into());
    v.push(raw[1].clone());
    v.extend(rest.iter().cloned());
    v
}

/// Whether binfmt_misc started a64x for a `#!` script's interpreter: then argv[1] is the
/// interpreter, which [`binfmt_invocation`] does not take for a binfmt start, but the file the
/// kernel exec'd (AT_EXECFN, the script) is not a64x's own, as it is when a64x is run by hand.
/// False when the two cannot be compared.
fn script_start() -> bool {
    use std::os::unix::fs::MetadataExt;
    let id = |path: &Path| std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()));
    let exec = exec_path().and_then(|p| id(Path::new(OsStr::from_bytes(p))));
    matches!((exec, id(Path::new("/proc/self/exe"))), (Some(e), Some(own)) if e != own)
}

/// This process's name (`comm`), as the kernel set it at the exec.
fn current_comm() -> Option<String> {
    let mut name = [0u8; 16];
    // SAFETY: PR_GET_NAME writes at most 16 bytes, NUL-terminated, into `name`.
    if unsafe { libc::prctl(libc::PR_GET_NAME, name.as_mut_ptr()) } != 0 {
        return None;
    }
    let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    Some(String::from_utf8_lossy(&name[..len]).into_owned()).filter(|n| !n.is_empty())
}

/// qemu's single-dash spellings of long options, and what they become.
const QEMU_SPELLINGS: &[(&str, &str)] = &[
    ("-strace", "--strace"),
    ("-cpu", "--cpu"),
    ("-version", "--version"),
    ("-help", "--help"),
    ("-one-insn-per-tb", "--max-block-insns=1"),
    ("-dfilter", "--dfilter"),
];

/// Rewrites qemu's single-dash long options (`-strace` -> `--strace`) among a64x's own options,
/// that is before PROGRAM: what follows it belongs to the guest and is passed as it is.
fn qemu_command_line(raw: &[OsString], cmd: &clap::Command) -> Vec<OsString> {
    // Options whose value may be the next argument: skipping it keeps the scan on a64x's options.
    let takes_value = |a: &clap::Arg| a.get_action().takes_values();
    let shorts: Vec<char> = cmd
        .get_arguments()
        .filter(|a| takes_value(a))
        .filter_map(|a| a.get_short())
        .collect();
    let longs: Vec<String> = cmd
        .get_arguments()
        .filter(|a| takes_value(a))
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    let mut out: Vec<OsString> = raw.iter().take(1).cloned().collect();
    let mut i = 1;
    while i < raw.len() {
        let arg = raw[i].as_bytes();
        let mapped = QEMU_SPELLINGS
            .iter()
            .find(|(q, _)| q.as_bytes() == arg)
            .map(|(_, l)| *l);
        let next_is_value = if let Some(long) = mapped {
            out.push(long.into());
            longs.iter().any(|l| l == long)
        } else if arg == b"--" {
            out.extend(raw[i..].iter().cloned());
            break;
        } else if arg.first() != Some(&b'-') || arg == b"-" {
            // PROGRAM: the rest is the guest's, even words that look like a64x's options (clap
            // would take `prog -s` as a64x's -s), so `--` goes before it, as qemu stops there.
            out.push("--".into());
            out.extend(raw[i..].iter().cloned());
            break;
        } else {
            out.push(raw[i].clone());
            if arg.starts_with(b"--") {
                !arg.contains(&b'=') && longs.iter().any(|l| l.as_bytes() == arg)
            } else {
                arg.len() == 2 && shorts.contains(&char::from(arg[1]))
            }
        };
        if next_is_value {
            if let Some(v) = raw.get(i + 1) {
                out.push(v.clone());
                i += 1;
            }
        }
        i += 1;
    }
    out
}

/// Splits the values of a list option given by its environment variable on commas (qemu's
/// QEMU_SET_ENV form); on the command line each occurrence is one value, commas included.
fn split_env_list(matches: &clap::ArgMatches, id: &str, values: &mut Vec<OsString>) {
    if matches.value_source(id) == Some(ValueSource::EnvVariable) {
        *values = values
            .iter()
            .flat_map(|v| {
                v.as_bytes()
                    .split(|&c| c == b',')
                    .map(|s| OsString::from_vec(s.to_vec()))
            })
            .filter(|s| !s.is_empty())
            .collect();
    }
}

/// qemu-user's environment variables (linux-user/main.c `arg_table`), read where the `A64X_*`
/// one is unset, so that scripts and container setups written for qemu-aarch64 work unchanged:
/// (argument id, a64x's variable, qemu's). QEMU_LOG is not among them: its items are qemu's.
pub const QEMU_ENV_ALIASES: &[(&str, &str, &str)] = &[
    ("sysroot", "A64X_LD_PREFIX", "QEMU_LD_PREFIX"),
    ("strace", "A64X_STRACE", "QEMU_STRACE"),
    ("cpu", "A64X_CPU", "QEMU_CPU"),
    ("set_env", "A64X_SET_ENV", "QEMU_SET_ENV"),
    ("unset_env", "A64X_UNSET_ENV", "QEMU_UNSET_ENV"),
    ("stack_size", "A64X_STACK_SIZE", "QEMU_STACK_SIZE"),
    ("argv0", "A64X_ARGV0", "QEMU_ARGV0"),
    ("log_file", "A64X_LOG_FILE", "QEMU_LOG_FILENAME"),
    ("dfilter", "A64X_DFILTER", "QEMU_DFILTER"),
    ("gdb", "A64X_GDB", "QEMU_GDB"),
];

/// The command line's definition, each option reading qemu's variable instead of a64x's when
/// only qemu's is set (`is_set` says which variables are).
fn command_with_qemu_aliases(is_set: impl Fn(&str) -> bool) -> clap::Command {
    let mut cmd = Cli::command();
    for &(id, ours, qemus) in QEMU_ENV_ALIASES {
        if !is_set(ours) && is_set(qemus) {
            cmd = cmd.mut_arg(id, |a| a.env(qemus));
        }
    }
    cmd
}

/// Parses a64x's command line (see [`parse_from`]); exits as clap does on `--help`,
/// `--version`, `-cpu help` and errors.
pub fn parse() -> Cli {
    let raw: Vec<OsString> = std::env::args_os().collect();
    // (Made once: building clap's definition of forty options is most of parsing them, a
    // tenth of a static program's start under a64x.)
    let mut cmd = command();
    let binfmt = binfmt_invocation(&raw);
    let args = match binfmt {
        Some(preserve_argv0) => binfmt_command_line(&raw, preserve_argv0),
        None => qemu_command_line(&raw, &cmd),
    };
    let parsed = parse_with(&mut cmd, args);
    *kept_command() = Some(cmd);
    let mut cli = parsed.unwrap_or_else(|e| e.exit());
    // Started by binfmt_misc, the kernel named the process after the file the guest exec'd (a
    // script's own name, when a64x was given the script's interpreter): the name stays.
    if cli.comm.is_none() && (binfmt.is_some() || script_start()) {
        cli.comm = current_comm().map(OsString::from);
    }
    cli
}

/// clap's definition as [`parse`] built it, kept for the command lines of the programs exec'd
/// in place ([`parse_from`]): building it again for each was half of parsing them, 1.6% of a
/// shell's fork and exec of /bin/true. (The definition depends on the environment's qemu
/// variables only, which an exec in place leaves as they are: they are a64x's own.)
fn kept_command() -> std::sync::MutexGuard<'static, Option<clap::Command>> {
    static KEPT: std::sync::Mutex<Option<clap::Command>> = std::sync::Mutex::new(None);
    KEPT.lock().unwrap_or_else(|e| e.into_inner())
}

/// The command line's definition with qemu's variables where only they are set.
fn command() -> clap::Command {
    command_with_qemu_aliases(|name: &str| std::env::var_os(name).is_some())
}

/// Parses `args` (argv[0] first) after the binfmt_misc and qemu-spelling rewrites: checks that a
/// PROGRAM or a binfmt action is given and splits the comma lists of `A64X_SET_ENV` and
/// `A64X_UNSET_ENV`. `-cpu help` prints the feature list and exits.
pub fn parse_from(args: Vec<OsString>) -> Result<Cli, clap::Error> {
    let mut kept = kept_command();
    parse_with(kept.get_or_insert_with(command), args)
}

/// [`parse_from`] with the definition `cmd` ([`command`]).
fn parse_with(cmd: &mut clap::Command, args: Vec<OsString>) -> Result<Cli, clap::Error> {
    let matches = cmd.try_get_matches_from_mut(args)?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    split_env_list(&matches, "set_env", &mut cli.set_env);
    split_env_list(&matches, "unset_env", &mut cli.unset_env);
    if let Some(bad) = cli
        .set_env
        .iter()
        .find(|e| parse_assignment(&e.to_string_lossy()).is_err())
    {
        let msg = format!("A64X_SET_ENV: `{}` is not VAR=VALUE", bad.to_string_lossy());
        return Err(Cli::command().error(clap::error::ErrorKind::ValueValidation, msg));
    }
    if cli.cpu.help {
        print!("{}", CpuSpec::help_text());
        std::process::exit(0);
    }
    match cli.program_arg.take() {
        Some(p) if !cli.binfmt.any_action() => cli.program = p,
        Some(_) => {
            let msg = "a binfmt action takes no PROGRAM";
            return Err(Cli::command().error(clap::error::ErrorKind::ArgumentConflict, msg));
        }
        None if cli.binfmt.any_action() => {}
        None => {
            let msg = "the following required arguments were not provided:\n  PROGRAM";
            return Err(Cli::command().error(clap::error::ErrorKind::MissingRequiredArgument, msg));
        }
    }
    Ok(cli)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn qemu_spellings_are_rewritten_before_the_program_only() {
        let cmd = Cli::command();
        let got = qemu_command_line(
            &os(&["a64x", "-strace", "-cpu", "max", "-L", "-strace", "prog", "-strace"]),
            &cmd,
        );
        assert_eq!(
            got,
            os(&["a64x", "--strace", "--cpu", "max", "-L", "-strace", "--", "prog", "-strace"])
        );
        let got = qemu_command_line(&os(&["a64x", "--", "-cpu", "x"]), &cmd);
        assert_eq!(got, os(&["a64x", "--", "-cpu", "x"]));
    }

    #[test]
    fn binfmt_start_puts_the_program_after_a_double_dash() {
        let raw = os(&["/usr/bin/a64x", "/bin/-x", "name", "--help"]);
        assert_eq!(
            binfmt_command_line(&raw, true),
            os(&["/usr/bin/a64x", "-0", "name", "--", "/bin/-x", "--help"])
        );
        assert_eq!(
            binfmt_command_line(&raw, false),
            os(&["/usr/bin/a64x", "--", "/bin/-x", "name", "--help"])
        );
    }

    #[test]
    fn qemu_variables_stand_in_for_unset_a64x_ones() {
        let env_of = |cmd: &clap::Command, id: &str| {
            let arg = cmd.get_arguments().find(|a| a.get_id() == id).expect("an argument");
            arg.get_env().map(|e| e.to_string_lossy().into_owned())
        };
        let only_qemu = command_with_qemu_aliases(|v| v.starts_with("QEMU_"));
        let both = command_with_qemu_aliases(|_| true);
        let neither = command_with_qemu_aliases(|_| false);
        for &(id, ours, qemus) in QEMU_ENV_ALIASES {
            assert_eq!(env_of(&Cli::command(), id).as_deref(), Some(ours), "{id}");
            assert_eq!(env_of(&only_qemu, id).as_deref(), Some(qemus), "{id}");
            assert_eq!(env_of(&both, id).as_deref(), Some(ours), "{id}");
            assert_eq!(env_of(&neither, id).as_deref(), Some(ours), "{id}");
        }
    }

    #[test]
    fn stack_sizes() {
        assert_eq!(parse_stack_size("8M"), Ok(8 << 20));
        assert_eq!(parse_stack_size("100k"), Ok(100 << 10));
        assert_eq!(parse_stack_size("70000"), Ok(73728));
        assert!(parse_stack_size("1K").is_err());
        assert!(parse_stack_size("5G").is_err());
        assert!(parse_stack_size("x").is_err());
    }

    #[test]
    fn guest_env_unsets_then_sets() {
        let cli = parse_from(os(&[
            "a64x", "-U", "A", "-E", "B=2", "-E", "C=x,y", "-E", "B=3", "prog",
        ]))
        .unwrap();
        let host = [("A", "1"), ("B", "1"), ("D", "4")].map(|(k, v)| (OsString::from(k), OsString::from(v)));
        assert_eq!(cli.guest_env(host), os(&["D=4", "C=x,y", "B=3"]));
    }

    #[test]
    fn program_or_action_required() {
        assert!(parse_from(os(&["a64x"])).is_err());
        assert!(parse_from(os(&["a64x", "--binfmt-conf"])).is_ok());
        assert!(parse_from(os(&["a64x", "--binfmt-conf", "prog"])).is_err());
        assert!(parse_from(os(&["a64x", "--install-binfmt", "--uninstall-binfmt"])).is_err());
        let cli = parse_from(os(&["a64x", "prog", "-x"])).unwrap();
        assert_eq!(cli.program, PathBuf::from("prog"));
        assert_eq!(cli.args, os(&["-x"]));
    }
}
