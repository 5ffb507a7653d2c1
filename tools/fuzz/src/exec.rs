//! Running a test program under an emulator (qemu-aarch64 or a64x) with a time limit, and
//! splitting its standard output into per-case output blocks.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Exited with this status.
    Exit(i32),
    /// Killed by this signal.
    Signal(i32),
    /// Killed by us after the time limit.
    Timeout,
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Exit(c) => write!(f, "exit status {c}"),
            Ending::Signal(4) => write!(f, "SIGILL"),
            Ending::Signal(7) => write!(f, "SIGBUS"),
            Ending::Signal(11) => write!(f, "SIGSEGV"),
            Ending::Signal(s) => write!(f, "signal {s}"),
            Ending::Timeout => write!(f, "timeout"),
        }
    }
}

/// The result of one run.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Everything the program wrote to stdout.
    pub stdout: Vec<u8>,
    /// Its stderr (the emulator's messages).
    pub stderr: String,
    /// How it ended.
    pub ending: Ending,
}

impl Outcome {
    /// Whether the emulator reported an undefined or unimplemented instruction: SIGILL, or
    /// a64x's message saying so.
    pub fn sigill(&self) -> bool {
        self.ending == Ending::Signal(SIGILL) || self.stderr.contains("undefined or unimplemented instruction")
    }
}

/// SIGILL's number (the same on AArch64 and x86-64 Linux).
pub const SIGILL: i32 = 4;

/// Runs `cmd args.. program` in `dir` with stdout and stderr in files there, killing it after
/// `limit`. `dir` is the working directory so that a core file of a guest killed by a signal
/// (qemu writes one for a BRK's SIGTRAP when RLIMIT_CORE allows) goes away with it.
pub fn run(cmd: &Path, args: &[String], program: &Path, dir: &Path, tag: &str, limit: Duration) -> Outcome {
    let out_path = dir.join(format!("{tag}.out"));
    let err_path = dir.join(format!("{tag}.err"));
    let out = std::fs::File::create(&out_path).expect("create stdout file");
    let err = std::fs::File::create(&err_path).expect("create stderr file");
    // Relative paths are meant from our own working directory; a bare name is looked up in PATH.
    let cmd = if cmd.components().count() > 1 {
        std::path::absolute(cmd).expect("absolute emulator path")
    } else {
        cmd.to_path_buf()
    };
    let mut child = Command::new(&cmd)
        .current_dir(dir)
        .args(args)
        .arg(std::path::absolute(program).expect("absolute program path"))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", cmd.display()));
    let start = Instant::now();
    let ending = loop {
        if let Some(status) = child.try_wait().expect("wait for emulator") {
            break match (status.code(), status.signal()) {
                (Some(c), _) => Ending::Exit(c),
                (None, Some(s)) => Ending::Signal(s),
                _ => Ending::Exit(-1),
            };
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break Ending::Timeout;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let mut stdout = std::fs::read(&out_path).unwrap_or_default();
    mask_known_differences(&mut stdout);
    Outcome {
        stdout,
        stderr: String::from_utf8_lossy(&std::fs::read(&err_path).unwrap_or_default()).into_owned(),
        ending,
    }
}

/// FPSR bits cleared in both emulators' outputs before comparing: none (the cumulative
/// exception flags are compared since a64x computes them, issue 4).
pub const FPSR_NOT_COMPARED: u64 = 0;

/// Clear the fields listed as known differences in every output block.
fn mask_known_differences(stdout: &mut [u8]) {
    for block in stdout.chunks_exact_mut(crate::asm::OUT_BYTES) {
        let f = &mut block[crate::asm::OUT_FPSR..crate::asm::OUT_FPSR + 8];
        let v = u64::from_le_bytes(f.try_into().expect("8 bytes")) & !FPSR_NOT_COMPARED;
        f.copy_from_slice(&v.to_le_bytes());
    }
}
