//! `--perfmap` and `--profile` (src/profile/) on test-binaries/src/hotloop.c, a program with one
//! hot function: the perf map names the guest's functions, the report finds `hot_loop` hottest
//! and shows its guest and host code. `sampling_overhead` (ignored: it times runs, which a busy
//! machine disturbs) checks that sampling costs under 5% on bench_sieve.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// a64x with `args`, run in test-binaries/, after building the test programs.
fn a64x(args: &[&str]) -> Command {
    common::build_test_binaries();
    let mut c = Command::new(env!("CARGO_BIN_EXE_a64x"));
    c.args(args)
        .current_dir(common::test_binaries())
        .stdin(Stdio::null())
        .env_remove("A64X_PROFILE")
        .env_remove("A64X_PERFMAP");
    c
}

/// The output of `cmd`, which must succeed.
fn ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("cannot run a64x");
    assert!(
        out.status.success(),
        "a64x failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A file name in the temporary directory unique to this test process.
fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("a64x-profile-test-{}-{name}", std::process::id()))
}

#[test]
fn perfmap_names_the_guest_functions() {
    let child = a64x(&["--perfmap", "out/hotloop-O2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run a64x");
    let map = PathBuf::from(format!("/tmp/perf-{}.map", child.id()));
    let out = child.wait_with_output().expect("wait for a64x");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&map).unwrap_or_else(|e| panic!("{}: {e}", map.display()));
    let _ = std::fs::remove_file(&map);
    let mut names = Vec::new();
    for line in text.lines() {
        // START SIZE NAME, hex without 0x, as perf reads it.
        let mut f = line.splitn(3, ' ');
        let (start, size, name) = (f.next().unwrap(), f.next().unwrap_or(""), f.next().unwrap_or(""));
        assert!(u64::from_str_radix(start, 16).is_ok_and(|s| s > 0), "bad start: {line}");
        assert!(u64::from_str_radix(size, 16).is_ok_and(|s| s > 0), "bad size: {line}");
        assert!(name.starts_with("a64x:"), "bad name: {line}");
        names.push(name.to_string());
    }
    for f in ["main", "hot_loop", "_start"] {
        assert!(
            names
                .iter()
                .any(|n| n.starts_with(&format!("a64x:{f}+")) || n.starts_with(&format!("a64x:{f}@"))),
            "no block of {f} in the perf map:\n{text}"
        );
    }
}

#[test]
fn profile_finds_the_hot_function() {
    let report = temp("report.txt");
    let out = ok(&mut a64x(&[
        &format!("--profile={}", report.display()),
        "out/hotloop-O2",
        "400",
    ]));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("hotloop 400: "));
    let text = std::fs::read_to_string(&report).expect("the report file");
    let _ = std::fs::remove_file(&report);
    assert!(text.starts_with("a64x profile: "), "{text}");
    assert!(text.contains("in translated code: "), "{text}");
    // The first function listed is the hottest.
    let funcs = text.split("Hottest guest functions").nth(1).expect("function list");
    let first = funcs.lines().nth(1).expect("a hottest function");
    assert!(
        first.trim_end().ends_with(" hot_loop"),
        "hottest is not hot_loop: {first}\n{text}"
    );
    let share: f64 = first.trim_start().split('%').next().unwrap().parse().unwrap();
    assert!(share > 50.0, "hot_loop has only {share}%:\n{text}");
    // The hottest block, with its guest instructions (decoded) and host code (disassembled).
    let block = text.split("\n#1 ").nth(1).expect("hottest block");
    assert!(block.contains("hot_loop+"), "{block}");
    assert!(
        block.contains("guest:") && block.contains("Dp3 {"),
        "no guest code: {block}"
    );
    assert!(
        block.contains("host (samples") && block.contains("imul "),
        "no host code: {block}"
    );
    assert!(block.contains(" per guest instruction"), "{block}");
}

#[test]
fn profile_goes_to_stderr_with_the_variable() {
    let out = ok(a64x(&["out/hotloop-O2", "100"]).env("A64X_PROFILE", "1"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("a64x profile: "), "{err}");
    assert!(err.contains("hot_loop"), "{err}");
    // The guest's output is untouched.
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("hotloop 100: "));
}

/// Best of `n` runs of `cmd`, in wall-clock time.
fn best_of(n: usize, mut cmd: impl FnMut() -> Command) -> Duration {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            ok(cmd().stdout(Stdio::null()));
            t.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
#[ignore = "timing: run alone with --ignored --nocapture"]
fn sampling_overhead() {
    let report = temp("overhead.txt");
    let prof = format!("--profile={}", report.display());
    let runs = 5;
    let plain = best_of(runs, || a64x(&["out/bench_sieve-O2", "20"]));
    let sampled = best_of(runs, || a64x(&[&prof, "out/bench_sieve-O2", "20"]));
    let _ = std::fs::remove_file(&report);
    let overhead = sampled.as_secs_f64() / plain.as_secs_f64() - 1.0;
    println!(
        "bench_sieve-O2 20: {plain:?} plain, {sampled:?} with --profile: {:+.2}%",
        overhead * 100.0
    );
    assert!(overhead < 0.05, "sampling costs {:.1}%", overhead * 100.0);
}
