//! Helpers shared by the whole-program tests: paths, the a64x command, the guest toolchain
//! check, building `test-binaries/`, and running a process with a timeout.
#![allow(dead_code)] // each test crate uses a different subset

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// The repository root (the `a64x` package directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `test-binaries/`, the working directory of every guest program run by the tests.
pub fn test_binaries() -> PathBuf {
    root().join("test-binaries")
}

/// The command that runs a guest program: the a64x binary cargo built for this test, or the
/// command in `A64X_TEST_BIN` (e.g. `A64X_TEST_BIN=qemu-aarch64`, to check the harness itself
/// before a64x works). `A64X_TEST_BIN` may hold extra arguments, split on whitespace.
pub fn a64x_command() -> (OsString, Vec<OsString>) {
    match std::env::var("A64X_TEST_BIN") {
        Ok(cmd) if !cmd.trim().is_empty() => {
            let mut words = cmd.split_whitespace().map(OsString::from);
            let program = words.next().expect("A64X_TEST_BIN is not empty");
            (program, words.collect())
        }
        _ => (OsString::from(env!("CARGO_BIN_EXE_a64x")), Vec::new()),
    }
}

/// The oracle: `qemu-aarch64`, or the command in `A64X_TEST_QEMU`.
pub fn qemu_command() -> OsString {
    std::env::var_os("A64X_TEST_QEMU").unwrap_or_else(|| OsString::from("qemu-aarch64"))
}

/// Panics (failing the test, never skipping it) when `tool` cannot be run.
pub fn require_tool(tool: &std::ffi::OsStr, version_arg: &str) {
    let ok = Command::new(tool)
        .arg(version_arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "`{}` is missing. Run ./scripts/test-all.sh: it installs gcc-aarch64-linux-gnu, \
         binutils-aarch64-linux-gnu, qemu-user and clang (Debian/Ubuntu) and then runs the tests.",
        tool.to_string_lossy()
    );
}

static BUILD: Mutex<bool> = Mutex::new(false);

/// Runs `test-binaries/build.sh` (incremental) once per test process; panics if it fails.
/// The script itself takes a lock, so test processes running at the same time do not race.
pub fn build_test_binaries() {
    let mut done = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if *done {
        return;
    }
    require_tool("aarch64-linux-gnu-gcc".as_ref(), "--version");
    let out = Command::new("bash")
        .arg(test_binaries().join("build.sh"))
        .stdin(Stdio::null())
        .output()
        .expect("cannot run bash test-binaries/build.sh");
    assert!(
        out.status.success(),
        "test-binaries/build.sh failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    *done = true;
}

/// How a process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Exited with this status.
    Exit(i32),
    /// Killed by this signal.
    Signal(i32),
    /// Still running at the timeout, then killed.
    Timeout(Duration),
    /// Could not be started.
    SpawnError(String),
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Exit(c) => write!(f, "exit status {c}"),
            Ending::Signal(s) => write!(f, "killed by signal {s}"),
            Ending::Timeout(d) => write!(f, "timed out after {:.1} s (killed)", d.as_secs_f64()),
            Ending::SpawnError(e) => write!(f, "could not start: {e}"),
        }
    }
}

impl Ending {
    fn from_status(status: ExitStatus) -> Ending {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal()) {
            (Some(c), _) => Ending::Exit(c),
            (None, Some(s)) => Ending::Signal(s),
            (None, None) => Ending::SpawnError(format!("unknown status {status:?}")),
        }
    }
}

/// Everything a run produced.
#[derive(Debug)]
pub struct RunResult {
    /// The bytes written to stdout.
    pub stdout: Vec<u8>,
    /// The bytes written to stderr.
    pub stderr: Vec<u8>,
    /// How it ended.
    pub ending: Ending,
    /// Wall time.
    pub elapsed: Duration,
}

/// Runs `program args...` in `cwd` with a fixed environment (`env_clear` plus `LANG=C`,
/// `HOME=/nonexistent`, `PATH=/usr/bin:/bin`, `A64X_TEST=1`, the suite's persistent
/// translation cache (`A64X_CACHE_DIR`), and `RUST_BACKTRACE` when set;
/// SIGINT and SIGQUIT at their default action, even when the tests run in the background),
/// stdin from `stdin` (or `/dev/null`), capturing stdout and stderr; the child runs in its own
/// process group, all of which is killed after `timeout`.
pub fn run_with_timeout(
    program: &std::ffi::OsStr,
    args: &[OsString],
    cwd: &Path,
    stdin: Option<&Path>,
    timeout: Duration,
) -> RunResult {
    let start = Instant::now();
    let mut cmd = Command::new(program);
    // Its own process group, so that a timeout kills whatever it started too.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("LANG", "C")
        .env("HOME", "/nonexistent")
        .env("PATH", "/usr/bin:/bin")
        .env("A64X_TEST", "1")
        // One persistent translation cache for the whole suite: programs run again find it warm.
        .env("A64X_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/tcache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(bt) = std::env::var_os("RUST_BACKTRACE") {
        cmd.env("RUST_BACKTRACE", bt);
    }
    // SAFETY: signal(2) between fork and exec, async-signal-safe. An ignored SIGINT or SIGQUIT
    // (a shell's background job ignores them: `cargo test &`) would be inherited through exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            Ok(())
        });
    }
    match stdin {
        Some(path) => match File::open(cwd.join(path)) {
            Ok(f) => {
                cmd.stdin(f);
            }
            Err(e) => {
                return RunResult {
                    stdout: Vec::new(),
                    stderr: Vec::new(),
                    ending: Ending::SpawnError(format!("stdin {}: {e}", path.display())),
                    elapsed: start.elapsed(),
                }
            }
        },
        None => {
            cmd.stdin(Stdio::null());
        }
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return RunResult {
                stdout: Vec::new(),
                stderr: Vec::new(),
                ending: Ending::SpawnError(format!("{}: {e}", program.to_string_lossy())),
                elapsed: start.elapsed(),
            }
        }
    };
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_reader = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_reader = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let ending = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ending::from_status(status),
            Ok(None) if start.elapsed() >= timeout => {
                // SAFETY: kill(2) on the process group created for this child above.
                unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
                let _ = child.kill();
                let _ = child.wait();
                break Ending::Timeout(timeout);
            }
            Ok(None) => thread::sleep(Duration::from_millis(5)),
            Err(e) => break Ending::SpawnError(format!("wait: {e}")),
        }
    };
    RunResult {
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
        ending,
        elapsed: start.elapsed(),
    }
}

/// splitmix64: the decoder tests' fixed-seed words.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// `aarch64-linux-gnu-objdump`'s listing of `words` (little-endian, from address 0), written
/// through `CARGO_TARGET_TMPDIR/<name>/words.bin`.
#[allow(dead_code)]
pub fn objdump_words(words: &[u32], name: &str) -> String {
    require_tool("aarch64-linux-gnu-objdump".as_ref(), "--version");
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let bin = dir.join("words.bin");
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    std::fs::write(&bin, bytes).expect("write words");
    let out = Command::new("aarch64-linux-gnu-objdump")
        .args(["-D", "-b", "binary", "-m", "aarch64"])
        .arg(&bin)
        .output()
        .expect("objdump runs");
    assert!(out.status.success(), "objdump failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Words objdump names that the Arm ARM leaves unallocated: FMLAL/FMLSL(2) (vector) with sz
/// (bit 22) set ("if sz == '1' then UNDEFINED", C7.2.144 and C7.2.148; qemu agrees).
pub fn objdump_lax(mnem: &str, w: u32) -> bool {
    let three_same = w & (1 << 21) != 0 && w & (1 << 10) != 0;
    matches!(mnem, "fmlal" | "fmlal2" | "fmlsl" | "fmlsl2") && three_same && w & (1 << 22) != 0
}

/// The FEAT_MTE mnemonics objdump knows (a64x does not implement MTE).
pub const MTE_MNEMONICS: &[&str] = &[
    "irg", "gmi", "subp", "subps", "addg", "subg", "ldg", "stg", "stzg", "st2g", "stz2g", "stgp", "ldgm", "stgm",
    "stzgm",
];
