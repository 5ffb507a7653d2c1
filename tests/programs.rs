//! Whole-program tests: every guest program built by `test-binaries/build.sh` runs under
//! `qemu-aarch64` (the oracle) and under a64x; stdout, stderr and exit status must agree.
//!
//! Arguments and stdin come from `//@ args: ...` and `//@ stdin: FILE` lines in each source
//! (paths relative to `test-binaries/`, the working directory of every run). All mismatches are
//! reported, then the test fails. Environment knobs (see docs/testing.md):
//! - `A64X_TEST_BIN`: run this command instead of the a64x binary (e.g. `qemu-aarch64`);
//! - `A64X_TEST_FILTER`: only programs whose binary path contains this string;
//! - `A64X_TEST_TIMEOUT`: fixed per-program timeout in seconds (default: 20 x qemu's time,
//!   clamped to 10..60 s);
//! - `A64X_TEST_BUDGET`: total seconds for all a64x runs (default 600); programs not started
//!   by then are counted as failures;
//! - `A64X_TEST_JOBS`: programs run at the same time (default: available cores).

mod common;

use common::{Ending, RunResult};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One guest program to run, with what its source asks for.
#[derive(Debug)]
struct Program {
    /// The binary, relative to `test-binaries/` (e.g. `out/arith-O2`).
    binary: String,
    /// The source, relative to `test-binaries/`.
    source: PathBuf,
    /// Arguments after the program path.
    args: Vec<String>,
    /// File fed to stdin, relative to `test-binaries/`.
    stdin: Option<PathBuf>,
    /// `//@ oracle: native`: the host build (`out/native/<name>`) is the oracle instead of qemu,
    /// for programs where qemu-aarch64 is wrong by the Arm ARM (listed in docs/testing.md).
    native_oracle: bool,
    /// `//@ qemu-wrong: LINE => RIGHT`: lines of qemu's output that are wrong by the Arm ARM
    /// (listed in docs/testing.md), with what the architecture gives. Each must occur exactly
    /// once in qemu's output: a qemu that gets it right fails the test, so the list stays true.
    qemu_wrong: Vec<(String, String)>,
    /// `//@ a64x-notes`: a64x's own `a64x: unsupported ...` lines on stderr are expected (the
    /// program uses what a64x reports as unimplemented) and left out of the comparison.
    a64x_notes: bool,
}

/// The `//@ KEY: value` directives of a source file, in order.
fn directives(source: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(source).unwrap_or_else(|e| panic!("cannot read {}: {e}", source.display()));
    text.lines()
        .filter_map(|l| l.strip_prefix("//@ "))
        .map(|l| match l.split_once(':') {
            Some((k, v)) => (k.trim().to_string(), v.trim().to_string()),
            None => (l.trim().to_string(), String::new()),
        })
        .collect()
}

/// Reads `test-binaries/out/programs.list` ("<binary> <source>" per line).
fn programs(dir: &Path) -> Vec<Program> {
    let list = dir.join("out/programs.list");
    let text = std::fs::read_to_string(&list).unwrap_or_else(|e| panic!("cannot read {}: {e}", list.display()));
    let filter = std::env::var("A64X_TEST_FILTER").unwrap_or_default();
    let mut v = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (binary, source) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("bad line in {}: {line:?}", list.display()));
        if !binary.contains(filter.as_str()) {
            continue;
        }
        let source = PathBuf::from(source);
        let mut p = Program {
            binary: binary.to_string(),
            source: source.clone(),
            args: Vec::new(),
            stdin: None,
            a64x_notes: false,
            native_oracle: false,
            qemu_wrong: Vec::new(),
        };
        let mut hostile = false;
        for (key, value) in directives(&dir.join(&source)) {
            match key.as_str() {
                "args" => p.args = value.split_whitespace().map(String::from).collect(),
                "stdin" => p.stdin = Some(PathBuf::from(value)),
                "bench" => {}
                // No host build to compare with (test-binaries/build.sh); nothing to do here.
                "aarch64-only" => {}
                // Attack programs: tests/hostile.rs runs them with the targets they need.
                "hostile" => hostile = true,
                "a64x-notes" => p.a64x_notes = true,
                "oracle" if value == "native" => p.native_oracle = true,
                "qemu-wrong" => {
                    let (wrong, right) = value
                        .split_once(" => ")
                        .unwrap_or_else(|| panic!("{}: //@ qemu-wrong: LINE => RIGHT", source.display()));
                    p.qemu_wrong.push((wrong.to_string(), right.to_string()));
                }
                // Compiler flags of the AArch64 builds, used by test-binaries/build.sh.
                "cflags" => {}
                other => panic!("{}: unknown directive //@ {other}", source.display()),
            }
        }
        if !hostile {
            v.push(p);
        }
    }
    v
}

/// A short, readable difference between two outputs: sizes and the first differing lines.
fn short_diff(expected: &[u8], got: &[u8]) -> String {
    let e = String::from_utf8_lossy(expected);
    let g = String::from_utf8_lossy(got);
    let el: Vec<&str> = e.split_inclusive('\n').collect();
    let gl: Vec<&str> = g.split_inclusive('\n').collect();
    let first = el.iter().zip(&gl).take_while(|(a, b)| a == b).count();
    let mut s = format!(
        "      qemu: {} bytes, {} lines; a64x: {} bytes, {} lines; first difference at line {}\n",
        expected.len(),
        el.len(),
        got.len(),
        gl.len(),
        first + 1
    );
    let clip = |l: &str| -> String {
        let l = l.trim_end_matches('\n');
        if l.chars().count() > 160 {
            format!("{}...", l.chars().take(160).collect::<String>())
        } else {
            l.to_string()
        }
    };
    for l in el.iter().skip(first).take(3) {
        s += &format!("      - {}\n", clip(l));
    }
    if el.len() > first + 3 {
        s += "      - ...\n";
    }
    for l in gl.iter().skip(first).take(3) {
        s += &format!("      + {}\n", clip(l));
    }
    if gl.len() > first + 3 {
        s += "      + ...\n";
    }
    s
}

/// Compares an a64x run with the oracle's; `None` when they agree, else the report.
fn compare(p: &Program, oracle: &RunResult, got: &RunResult) -> Option<String> {
    let mut report = String::new();
    if let Ending::Timeout(_) | Ending::SpawnError(_) = got.ending {
        report += &format!("    a64x {}\n", got.ending);
    } else if oracle.ending != got.ending {
        report += &format!("    status: qemu {}, a64x {}\n", oracle.ending, got.ending);
    }
    if oracle.stdout != got.stdout {
        report += "    stdout differs:\n";
        report += &short_diff(&oracle.stdout, &got.stdout);
    }
    let stderr = if p.a64x_notes {
        let text = String::from_utf8_lossy(&got.stderr);
        text.split_inclusive('\n')
            .filter(|l| !l.starts_with("a64x: unsupported"))
            .collect::<String>()
            .into_bytes()
    } else {
        got.stderr.clone()
    };
    if oracle.stderr != stderr {
        report += "    stderr differs:\n";
        report += &short_diff(&oracle.stderr, &stderr);
    }
    if report.is_empty() {
        None
    } else {
        let mut head = format!("FAIL {}", p.binary);
        if !p.args.is_empty() {
            head += &format!(" {}", p.args.join(" "));
        }
        if let Some(s) = &p.stdin {
            head += &format!(" < {}", s.display());
        }
        Some(format!("{head}   (source {})\n{report}", p.source.display()))
    }
}

fn env_secs(name: &str) -> Option<f64> {
    std::env::var(name).ok().map(|v| {
        v.parse::<f64>()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number of seconds"))
    })
}

/// qemu's output with the program's `qemu-wrong` lines replaced by the architecture's.
fn correct_qemu(p: &Program, mut oracle: common::RunResult) -> Result<common::RunResult, String> {
    if p.qemu_wrong.is_empty() {
        return Ok(oracle);
    }
    let text = String::from_utf8_lossy(&oracle.stdout).into_owned();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for (wrong, right) in &p.qemu_wrong {
        let at: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] == *wrong).collect();
        if at.len() != 1 {
            return Err(format!(
                "qemu-wrong line {wrong:?} occurs {} times in qemu's output, not once",
                at.len()
            ));
        }
        lines[at[0]] = right.clone();
    }
    let trailing = if text.ends_with('\n') { "\n" } else { "" };
    oracle.stdout = (lines.join("\n") + trailing).into_bytes();
    Ok(oracle)
}

#[test]
fn programs_match_qemu() {
    let qemu = common::qemu_command();
    common::require_tool(&qemu, "--version");
    common::build_test_binaries();
    let dir = common::test_binaries();
    let progs = programs(&dir);
    assert!(
        !progs.is_empty(),
        "no test programs to run (out/programs.list empty, or A64X_TEST_FILTER matches nothing)"
    );
    let (a64x, a64x_args) = common::a64x_command();
    let fixed_timeout = env_secs("A64X_TEST_TIMEOUT");
    let budget = Duration::from_secs_f64(env_secs("A64X_TEST_BUDGET").unwrap_or(600.0));
    let jobs = std::env::var("A64X_TEST_JOBS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .clamp(1, progs.len());
    println!(
        "running {} programs under {} and {} ({} at a time)",
        progs.len(),
        qemu.to_string_lossy(),
        a64x.to_string_lossy(),
        jobs
    );

    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());
    let passed = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(p) = progs.get(i) else { break };
                if start.elapsed() > budget {
                    let msg = format!(
                        "FAIL {}\n    not run: the time budget of {} s (A64X_TEST_BUDGET) is used up\n",
                        p.binary,
                        budget.as_secs()
                    );
                    failures.lock().unwrap().push((i, msg));
                    continue;
                }
                let mut args: Vec<OsString> = vec![OsString::from(&p.binary)];
                args.extend(p.args.iter().map(OsString::from));
                let oracle = if p.native_oracle {
                    let stem = p.source.file_stem().expect("a source file name");
                    let native = dir.join("out/native").join(stem);
                    common::run_with_timeout(
                        native.as_os_str(),
                        &args[1..],
                        &dir,
                        p.stdin.as_deref(),
                        Duration::from_secs(120),
                    )
                } else {
                    common::run_with_timeout(&qemu, &args, &dir, p.stdin.as_deref(), Duration::from_secs(120))
                };
                let oracle = match correct_qemu(p, oracle) {
                    Ok(o) => o,
                    Err(msg) => {
                        failures
                            .lock()
                            .unwrap()
                            .push((i, format!("FAIL {}\n    {msg}\n", p.binary)));
                        continue;
                    }
                };
                if let Ending::Timeout(_) | Ending::SpawnError(_) = oracle.ending {
                    let msg = format!(
                        "FAIL {}\n    the oracle failed: qemu-aarch64 {}\n",
                        p.binary, oracle.ending
                    );
                    failures.lock().unwrap().push((i, msg));
                    continue;
                }
                let timeout = Duration::from_secs_f64(
                    fixed_timeout.unwrap_or_else(|| (oracle.elapsed.as_secs_f64() * 20.0).clamp(10.0, 60.0)),
                );
                let mut full: Vec<OsString> = a64x_args.clone();
                full.extend(args);
                let got = common::run_with_timeout(&a64x, &full, &dir, p.stdin.as_deref(), timeout);
                match compare(p, &oracle, &got) {
                    None => {
                        passed.fetch_add(1, Ordering::SeqCst);
                        println!(
                            "ok   {:<32} {} (qemu {:.2} s, a64x {:.2} s)",
                            p.binary,
                            got.ending,
                            oracle.elapsed.as_secs_f64(),
                            got.elapsed.as_secs_f64()
                        );
                    }
                    Some(msg) => {
                        print!("{msg}");
                        failures.lock().unwrap().push((i, msg));
                    }
                }
            });
        }
    });

    let mut failures = failures.into_inner().unwrap();
    failures.sort_by_key(|(i, _)| *i);
    let passed = passed.load(Ordering::SeqCst);
    let summary = format!(
        "programs: {} passed, {} failed ({:.1} s)",
        passed,
        failures.len(),
        start.elapsed().as_secs_f64()
    );
    println!("{summary}");
    if !failures.is_empty() {
        let all: String = failures.iter().map(|(_, m)| m.as_str()).collect();
        panic!("{summary}\n\n{all}\n{summary}");
    }
}
