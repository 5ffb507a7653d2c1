//! Dynamically linked programs: the guest's dynamic loader (PT_INTERP) and its libraries come from
//! a sysroot, Debian's `libc6-arm64-cross` in `/usr/aarch64-linux-gnu` (scripts/test-all.sh
//! installs it). Each run is compared with `qemu-aarch64 -L` on the same sysroot.
//!
//! Sysroot rules checked here: `-L DIR` is used as given (the interpreter is looked up in DIR,
//! then on the host, never in the default); without `-L`, a dynamically linked program gets
//! `/usr/aarch64-linux-gnu`; absolute guest paths are looked up in the sysroot first, except under
//! `/proc`, `/sys` and `/dev`. (With `A64X_TEST_BIN=qemu-aarch64` the default-sysroot and
//! error-message cases fail: those are a64x's own behaviour.)

mod common;

use common::{Ending, RunResult};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The sysroot the tests use.
const SYSROOT: &str = "/usr/aarch64-linux-gnu";
/// The interpreter AArch64 glibc programs name.
const INTERP: &str = "/lib/ld-linux-aarch64.so.1";

/// Fails (never skips) when the AArch64 glibc is not installed.
fn require_sysroot() {
    let ld = Path::new(SYSROOT).join(INTERP.trim_start_matches('/'));
    assert!(
        ld.is_file(),
        "{} is missing: install Debian's libc6-arm64-cross (./scripts/test-all.sh does), \
         which holds the AArch64 dynamic loader and libraries",
        ld.display()
    );
}

/// Runs `program args` (with the a64x command's own extra arguments first) in `test-binaries/`.
fn run(program: &OsStr, args: &[OsString]) -> RunResult {
    common::run_with_timeout(program, args, &common::test_binaries(), None, Duration::from_secs(60))
}

/// Runs a64x with `args`.
fn a64x(args: &[&OsStr]) -> RunResult {
    let (bin, mut full) = common::a64x_command();
    full.extend(args.iter().map(OsString::from));
    run(&bin, &full)
}

/// Runs `qemu-aarch64 -L SYSROOT program args`.
fn qemu(program: &Path, args: &[&str]) -> RunResult {
    let qemu = common::qemu_command();
    common::require_tool(&qemu, "--version");
    let mut full: Vec<OsString> = vec!["-L".into(), SYSROOT.into(), program.into()];
    full.extend(args.iter().map(OsString::from));
    run(&qemu, &full)
}

fn describe(what: &str, r: &RunResult) -> String {
    format!(
        "{what}: {}\n--- stdout:\n{}--- stderr:\n{}---",
        r.ending,
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    )
}

/// Asserts that a64x's run `got` matches qemu's `oracle` (stdout, stderr, status).
fn assert_same(what: &str, oracle: &RunResult, got: &RunResult) {
    assert!(
        oracle.ending == got.ending && oracle.stdout == got.stdout && oracle.stderr == got.stderr,
        "a64x and qemu-aarch64 differ on {what}\n{}\n{}",
        describe("qemu-aarch64", oracle),
        describe("a64x", got)
    );
}

/// `test-binaries/out/hello-dynamic`, built.
fn hello_dynamic() -> PathBuf {
    require_sysroot();
    common::build_test_binaries();
    let prog = common::test_binaries().join("out/hello-dynamic");
    assert!(prog.exists(), "build.sh did not build {}", prog.display());
    prog
}

#[test]
fn hello_dynamic_with_sysroot_matches_qemu() {
    let prog = hello_dynamic();
    let oracle = qemu(&prog, &[]);
    assert_eq!(oracle.ending, Ending::Exit(0), "{}", describe("qemu-aarch64", &oracle));
    assert_eq!(oracle.stdout, b"Hello from AArch64!\n");
    let got = a64x(&["-L".as_ref(), SYSROOT.as_ref(), prog.as_os_str()]);
    assert_same("out/hello-dynamic with -L", &oracle, &got);
    let got = a64x(&[format!("--sysroot={SYSROOT}").as_ref(), prog.as_os_str()]);
    assert_same("out/hello-dynamic with --sysroot=", &oracle, &got);
}

#[test]
fn hello_dynamic_finds_the_default_sysroot() {
    let prog = hello_dynamic();
    let oracle = qemu(&prog, &[]);
    let got = a64x(&[prog.as_os_str()]);
    assert_same("out/hello-dynamic without -L (default sysroot)", &oracle, &got);
}

#[test]
fn explicit_sysroot_without_the_interpreter_is_a_clear_error() {
    let prog = hello_dynamic();
    let r = a64x(&["-L".as_ref(), "/nonexistent/a64x-sysroot".as_ref(), prog.as_os_str()]);
    if Path::new(INTERP).is_file() {
        // A host with AArch64 multiarch libraries: the host path is the fallback, as in qemu.
        assert_eq!(r.ending, Ending::Exit(0), "{}", describe("a64x -L /nonexistent", &r));
        return;
    }
    let stderr = String::from_utf8_lossy(&r.stderr);
    let line = stderr.trim_end();
    assert!(
        matches!(r.ending, Ending::Exit(c) if c != 0) && r.stdout.is_empty() && !line.contains('\n'),
        "expected one error line and a non-zero exit; {}",
        describe("a64x -L /nonexistent", &r)
    );
    let expected = format!(
        "a64x: cannot find the ELF interpreter {INTERP} of {} (looked in /nonexistent/a64x-sysroot{INTERP}, {INTERP}): pass -L SYSROOT",
        prog.display()
    );
    assert!(
        line.starts_with(&expected),
        "expected a message starting with\n  {expected}\n{}",
        describe("a64x -L /nonexistent", &r)
    );
}

#[test]
fn dynamically_linked_test_programs_match_qemu() {
    require_sysroot();
    common::require_tool("aarch64-linux-gnu-gcc".as_ref(), "--version");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dynamic");
    std::fs::create_dir_all(&dir).expect("create the scratch directory");
    // (program, gcc options, arguments): libc's stdio, string and malloc paths, resolved through
    // the PLT; a non-PIE (ET_EXEC) dynamic program; and files opened by relative path.
    let cases: [(&str, &[&str], &[&str]); 5] = [
        ("printf", &["-O2"], &[]),
        ("strings", &["-O2"], &[]),
        ("malloc", &["-O0"], &[]),
        ("sort", &["-O2", "-no-pie"], &[]),
        ("cat", &["-O2"], &["data/small.txt", "data/no-such-file.txt"]),
    ];
    let mut failures = Vec::new();
    for (name, opts, args) in cases {
        let src = common::test_binaries().join(format!("src/{name}.c"));
        let bin = dir.join(format!("{name}{}", opts.concat()));
        let out = Command::new("aarch64-linux-gnu-gcc")
            .args(opts)
            .arg("-o")
            .arg(&bin)
            .arg(&src)
            .output()
            .expect("run aarch64-linux-gnu-gcc");
        assert!(
            out.status.success(),
            "cannot build {}: {}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let oracle = qemu(&bin, args);
        let mut full: Vec<&OsStr> = vec!["-L".as_ref(), SYSROOT.as_ref(), bin.as_os_str()];
        full.extend(args.iter().map(OsStr::new));
        let got = a64x(&full);
        if oracle.ending != got.ending || oracle.stdout != got.stdout || oracle.stderr != got.stderr {
            failures.push(format!(
                "{name} {}:\n{}\n{}",
                opts.join(" "),
                describe("qemu-aarch64", &oracle),
                describe("a64x", &got)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn absolute_paths_are_looked_up_in_the_sysroot_first() {
    common::build_test_binaries();
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sysroot-paths");
    std::fs::create_dir_all(root.join("proc")).expect("create the scratch sysroot");
    std::fs::write(root.join("a64x-sysroot-test.txt"), "in the sysroot\n").expect("write");
    std::fs::write(root.join("proc/version"), "not the kernel's\n").expect("write");
    let host_only = common::test_binaries().join("data/small.txt");
    // cat opens each argument with open(2) and copies it to stdout twice.
    let prog = common::test_binaries().join("out/cat-O2");
    let r = a64x(&[
        "-L".as_ref(),
        root.as_os_str(),
        prog.as_os_str(),
        "/a64x-sysroot-test.txt".as_ref(),
        "/proc/version".as_ref(),
        host_only.as_os_str(),
    ]);
    let out = String::from_utf8_lossy(&r.stdout);
    assert_eq!(r.ending, Ending::Exit(0), "{}", describe("a64x cat", &r));
    assert!(
        out.contains("in the sysroot"),
        "the sysroot's file; {}",
        describe("a64x cat", &r)
    );
    let version = std::fs::read_to_string("/proc/version").expect("read /proc/version");
    assert!(
        out.contains(version.trim_end()) && !out.contains("not the kernel's"),
        "/proc is the host's; {}",
        describe("a64x cat", &r)
    );
    let small = std::fs::read_to_string(&host_only).expect("read data/small.txt");
    let first = small.lines().next().unwrap_or_default();
    assert!(
        out.contains(first),
        "a path missing from the sysroot is the host's; {}",
        describe("a64x cat", &r)
    );
}
