//! Random C programs: csmith generates them (a seed each), gcc and clang build each for AArch64
//! at several optimisation levels, and every build runs under qemu-aarch64 and under a64x (without
//! the persistent translation cache, then cold and warm with one); the host build of the same
//! source is a second oracle (csmith's programs compute on integers only and print a checksum of
//! their globals, the same on every architecture). Where the instruction fuzzer checks one
//! instruction at a time, these programs check what only shows across many: values carried
//! between blocks and loop iterations, flags read blocks after they were set, spills, side exits,
//! write-backs left out because a successor overwrites them, code placed from the cache.
//!
//! `A64X_CSMITH_SEEDS=FIRST..LAST` (default `1..10`) chooses the programs; a long run of
//! thousands is a separate mode (docs/testing.md). A program that runs longer than
//! [`ORACLE_SECONDS`] under qemu, or on which the two oracles disagree (csmith can generate code
//! whose result the C standard leaves to the implementation), is left out and counted; the test
//! fails on every difference of a64x from the oracles, with what reproduces it.

mod common;

use common::{require_tool, run_with_timeout, Ending, RunResult};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// How long a program may run under qemu before it is left out (a64x gets three times as long).
const ORACLE_SECONDS: u64 = 10;

/// csmith's runtime headers (Debian's libcsmith-dev).
const CSMITH_INCLUDE: &str = "/usr/include/csmith";

/// The AArch64 builds of each program: a name and the compiler command before the source.
const BUILDS: &[(&str, &[&str])] = &[
    ("gcc-O0", &["aarch64-linux-gnu-gcc", "-O0"]),
    ("gcc-O2", &["aarch64-linux-gnu-gcc", "-O2"]),
    ("gcc-O3", &["aarch64-linux-gnu-gcc", "-O3"]),
    ("clang-O2", &["clang", "--target=aarch64-linux-gnu", "-O2"]),
];

/// What became of one build of one program.
enum Verdict {
    Same,
    /// Left out, and why.
    Skipped(String),
    /// a64x differs: the report.
    Differs(String),
}

fn seeds() -> std::ops::RangeInclusive<u64> {
    let spec = std::env::var("A64X_CSMITH_SEEDS").unwrap_or_else(|_| "1..10".into());
    let parse = |s: &str| {
        s.trim()
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("A64X_CSMITH_SEEDS: `{spec}`"))
    };
    match spec.split_once("..") {
        Some((a, b)) => parse(a)..=parse(b),
        None => parse(&spec)..=parse(&spec),
    }
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// Run `argv` in `dir`, failing the test when it cannot finish in `secs` or fails.
fn must(argv: &[OsString], dir: &Path, secs: u64) -> RunResult {
    let r = run_with_timeout(&argv[0], &argv[1..], dir, None, Duration::from_secs(secs));
    assert!(
        r.ending == Ending::Exit(0),
        "`{}` in {}: {}\n{}",
        argv.iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" "),
        dir.display(),
        r.ending,
        String::from_utf8_lossy(&r.stderr)
    );
    r
}

/// What a run printed and how it ended, as compared.
fn outcome(r: &RunResult) -> (Vec<u8>, String) {
    (r.stdout.clone(), r.ending.to_string())
}

/// Generate program `seed`, build it for the host: its source and the host's outcome (None when
/// it runs too long).
fn generate(seed: u64, dir: &Path) -> (PathBuf, Option<(Vec<u8>, String)>) {
    let out = must(&os(&["csmith", "--seed", &seed.to_string()]), dir, 60);
    let source = dir.join(format!("s{seed}.c"));
    std::fs::write(&source, &out.stdout).expect("write the program");
    let native = dir.join(format!("s{seed}-native"));
    let mut cc = os(&["gcc", "-O1", "-w", "-I", CSMITH_INCLUDE, "-o"]);
    cc.extend([native.clone().into(), source.clone().into()]);
    must(&cc, dir, 120);
    let r = run_with_timeout(native.as_os_str(), &[], dir, None, Duration::from_secs(ORACLE_SECONDS));
    let oracle = (!matches!(r.ending, Ending::Timeout(_))).then(|| outcome(&r));
    (source, oracle)
}

/// Build `source` with `compiler` and compare a64x with qemu and the host's `native` outcome.
fn check(seed: u64, (name, compiler): (&str, &[&str]), source: &Path, native: &(Vec<u8>, String)) -> Verdict {
    let dir = source.parent().expect("a directory");
    let binary = dir.join(format!("s{seed}-{name}"));
    let mut cc = os(compiler);
    cc.extend(os(&["-static", "-w", "-I", CSMITH_INCLUDE, "-o"]));
    cc.extend([binary.clone().into(), source.into()]);
    must(&cc, dir, 300);
    let limit = Duration::from_secs(ORACLE_SECONDS);
    let qemu = run_with_timeout(&common::qemu_command(), &[binary.clone().into()], dir, None, limit);
    if let Ending::Timeout(_) = qemu.ending {
        return Verdict::Skipped(format!("{seed} {name}: longer than {ORACLE_SECONDS} s under qemu"));
    }
    let expected = outcome(&qemu);
    if &expected != native {
        return Verdict::Skipped(format!("{seed} {name}: qemu and the host build disagree"));
    }
    let (a64x, extra) = common::a64x_command();
    let cache = dir.join(format!("cache-{seed}-{name}"));
    let runs: [(&str, Vec<OsString>); 3] = [
        ("--no-cache", os(&["--no-cache"])),
        (
            "--cache-dir C (C empty)",
            vec!["--cache-dir".into(), cache.clone().into()],
        ),
        (
            "--cache-dir C (C filled by the run before)",
            vec!["--cache-dir".into(), cache.into()],
        ),
    ];
    let mut report = String::new();
    for (how, options) in runs {
        let mut args = extra.clone();
        args.extend(options);
        args.push(binary.clone().into());
        let r = run_with_timeout(&a64x, &args, dir, None, 3 * limit);
        if outcome(&r) != expected {
            report += &format!(
                "seed {seed}, {name}, a64x {how}: {}, {:?}; qemu and the host build: {}, {:?}\n  \
                 reproduce: csmith --seed {seed} > s.c && {} -static -w -I {CSMITH_INCLUDE} s.c && a64x {how} ./a.out\n",
                r.ending,
                String::from_utf8_lossy(&r.stdout),
                expected.1,
                String::from_utf8_lossy(&expected.0),
                compiler.join(" "),
            );
        }
    }
    if report.is_empty() {
        let _ = std::fs::remove_file(&binary);
        Verdict::Same
    } else {
        Verdict::Differs(report)
    }
}

#[test]
fn random_programs_agree_with_qemu_and_the_host() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("csmith");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    // (csmith writes `platform.info` where it runs: in the work directory, not the repository.)
    let csmith = std::process::Command::new("csmith")
        .arg("--version")
        .current_dir(&dir)
        .output();
    assert!(
        csmith.is_ok_and(|o| o.status.success()),
        "csmith is missing: run ./scripts/test-all.sh (it installs csmith and libcsmith-dev)"
    );
    for (tool, arg) in [
        ("aarch64-linux-gnu-gcc", "--version"),
        ("clang", "--version"),
        ("gcc", "--version"),
    ] {
        require_tool(tool.as_ref(), arg);
    }
    require_tool(&common::qemu_command(), "--version");
    assert!(
        Path::new(CSMITH_INCLUDE).join("csmith.h").is_file(),
        "{CSMITH_INCLUDE}/csmith.h is missing: run ./scripts/test-all.sh (it installs libcsmith-dev)"
    );
    let seeds: Vec<u64> = seeds().collect();
    let next = AtomicUsize::new(0);
    let (same, skipped, differs) = (AtomicUsize::new(0), Mutex::new(Vec::new()), Mutex::new(Vec::new()));
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                while let Some(&seed) = seeds.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let (source, native) = generate(seed, &dir);
                    let Some(native) = native else {
                        skipped
                            .lock()
                            .unwrap()
                            .push(format!("{seed}: longer than {ORACLE_SECONDS} s on the host"));
                        continue;
                    };
                    for &build in BUILDS {
                        match check(seed, build, &source, &native) {
                            Verdict::Same => {
                                same.fetch_add(1, Ordering::Relaxed);
                            }
                            Verdict::Skipped(why) => skipped.lock().unwrap().push(why),
                            Verdict::Differs(report) => differs.lock().unwrap().push(report),
                        }
                    }
                }
            });
        }
    });
    let (skipped, differs) = (skipped.into_inner().unwrap(), differs.into_inner().unwrap());
    let same = same.into_inner();
    println!(
        "csmith: {} programs x {} builds: {same} the same under a64x (off, cold, warm), {} left out, {} differ",
        seeds.len(),
        BUILDS.len(),
        skipped.len(),
        differs.len()
    );
    for s in &skipped {
        println!("  left out: {s}");
    }
    assert!(
        differs.is_empty(),
        "a64x differs from qemu and the host build:\n{}",
        differs.concat()
    );
    // Most programs run well within the limit: a test that compared none would prove nothing.
    assert!(
        same * 2 >= seeds.len() * BUILDS.len(),
        "too few programs compared: {same}"
    );
}
