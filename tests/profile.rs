//! `--perfmap`, `--jitdump`, `--profile` and `--flamegraph` (src/profile/) on
//! test-binaries/src/hotloop.c, a program with one hot function: the perf map and the jitdump
//! name the guest's functions (and `perf inject --jit` takes the jitdump, where perf works), the
//! report finds `hot_loop` hottest, counts its loop's iterations and shows its guest code, IR and
//! host code, the flame graph has it under `main`. `sampling_overhead` (ignored: it times runs, which a busy
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
        .env_remove("A64X_PERFMAP")
        .env_remove("A64X_JITDUMP")
        .env_remove("A64X_FLAMEGRAPH");
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

/// The perf map of a64x running `args`: its text and the block names.
fn perfmap_of(args: &[&str]) -> (String, Vec<String>) {
    let child = a64x(args)
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
    (text, names)
}

#[test]
fn perfmap_names_the_guest_functions() {
    let (text, names) = perfmap_of(&["--perfmap", "out/hotloop-O2"]);
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
fn perfmap_names_functions_of_shared_libraries() {
    // A dynamically linked program: the dynamic loader's symbols come from the loader, libc's
    // from its .dynsym when the guest's loader maps it executable.
    let (text, names) = perfmap_of(&["--perfmap", "-L", "/usr/aarch64-linux-gnu", "out/hello-dynamic"]);
    for f in ["main", "puts", "__libc_start_main", "_dl_allocate_tls_init"] {
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
        "--profile-counts",
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
    // It is the loop, run once per iteration: 400 million, less the first if the entry block
    // holds it.
    assert!(block.starts_with("loop at guest "), "{block}");
    let runs: u64 = block
        .split("executions: ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no execution count: {block}"));
    assert!(
        (399_999_990..=400_000_000).contains(&runs),
        "{runs} executions:\n{block}"
    );
    assert!(
        block.contains("IR after the passes:") && block.contains("mul.64 "),
        "{block}"
    );
}

/// Threads translating new code while others place translations another thread made, under
/// `--profile` (every translation recorded with its guest words): test-binaries/src/
/// thr_many_funcs.c. The records and the address space were once locked in opposite orders by
/// those two paths, and the program (node, too) deadlocked at once; it must finish with the
/// output it has without profiling.
#[test]
fn profiling_threads_that_share_translations_does_not_deadlock() {
    common::build_test_binaries();
    let dir = common::test_binaries();
    let run = |args: &[&str]| {
        let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        common::run_with_timeout(
            env!("CARGO_BIN_EXE_a64x").as_ref(),
            &args,
            &dir,
            None,
            Duration::from_secs(60),
        )
    };
    let plain = run(&["--no-cache", "out/thr_many_funcs-O2"]);
    assert!(matches!(plain.ending, common::Ending::Exit(0)), "{plain:?}");
    assert_eq!(String::from_utf8_lossy(&plain.stdout).lines().count(), 4, "{plain:?}");
    let report = temp("threads.txt");
    for round in 0..3 {
        let profiled = run(&[
            "--no-cache",
            &format!("--profile={}", report.display()),
            "out/thr_many_funcs-O2",
        ]);
        assert!(
            matches!(profiled.ending, common::Ending::Exit(0)),
            "round {round}: {} ({})",
            profiled.ending,
            String::from_utf8_lossy(&profiled.stderr)
        );
        assert_eq!(profiled.stdout, plain.stdout, "round {round}");
    }
    let text = std::fs::read_to_string(&report).expect("the report file");
    let _ = std::fs::remove_file(&report);
    assert!(text.starts_with("a64x profile: "), "{text}");
}

#[test]
fn flamegraph_has_the_guest_call_stack() {
    let svg = temp("flame.svg");
    let out = ok(&mut a64x(&[
        &format!("--flamegraph={}", svg.display()),
        "out/hotloop-O2",
        "200",
    ]));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("hotloop 200: "));
    let text = std::fs::read_to_string(&svg).expect("the SVG");
    let _ = std::fs::remove_file(&svg);
    assert!(text.starts_with("<?xml") && text.contains("<svg"), "not an SVG");
    // Frame titles are "NAME (N samples, P%)"; hot_loop sits on main, which sits on libc's start.
    let share = |name: &str| -> f64 {
        let key = format!("<title>{name} (");
        let rest = text.split(&key).nth(1).unwrap_or_else(|| panic!("no frame {name}"));
        let pct = rest
            .split(", ")
            .nth(1)
            .and_then(|p| p.split('%').next())
            .expect("a share");
        pct.parse().expect("a number")
    };
    for f in ["main", "hot_loop", "__libc_start_call_main"] {
        assert!(share(f) > 50.0, "{f}: {}%", share(f));
    }
    // The frames nest: the leaf block of the loop is above hot_loop, which is above main.
    let y = |name: &str| -> f64 {
        let at = text.find(&format!("<title>{name} (")).unwrap();
        let g = &text[at..];
        let y = g.split("y=\"").nth(1).and_then(|s| s.split('"').next()).expect("y");
        y.parse().expect("number")
    };
    assert!(y("hot_loop") < y("main"), "hot_loop not drawn above main");
}

/// The records of a jitdump file: (id, name, code size) per record, after checking the header.
fn jitdump_records(bytes: &[u8], pid: u32) -> Vec<(u32, String, u64)> {
    let u32_at = |o: usize| u32::from_ne_bytes(bytes[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_ne_bytes(bytes[o..o + 8].try_into().unwrap());
    assert_eq!(u32_at(0), 0x4A69_5444, "magic");
    assert_eq!(u32_at(4), 1, "version");
    assert_eq!(u32_at(12), 62, "EM_X86_64");
    assert_eq!(u32_at(20), pid, "pid");
    let mut at = u32_at(8) as usize;
    let mut out = Vec::new();
    while at < bytes.len() {
        let (id, size) = (u32_at(at), u32_at(at + 4) as usize);
        assert!(size >= 16 && at + size <= bytes.len(), "record at {at}: size {size}");
        if id == 0 {
            assert_eq!(u32_at(at + 16), pid, "record pid");
            let (vma, addr, code_size) = (u64_at(at + 24), u64_at(at + 32), u64_at(at + 40));
            assert_eq!(vma, addr);
            let name_end = bytes[at + 56..].iter().position(|&b| b == 0).unwrap() + at + 56;
            let name = String::from_utf8_lossy(&bytes[at + 56..name_end]).into_owned();
            assert_eq!(
                name_end + 1 + code_size as usize,
                at + size,
                "record {name}: code bytes"
            );
            out.push((id, name, code_size));
        } else {
            out.push((id, String::new(), 0));
        }
        at += size;
    }
    out
}

#[test]
fn jitdump_names_the_guest_functions() {
    let dir = temp("jitdump");
    std::fs::create_dir_all(&dir).unwrap();
    let child = a64x(&[&format!("--jitdump={}", dir.display()), "out/hotloop-O2", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("run a64x");
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(dir.join(format!("jit-{pid}.dump"))).expect("jit-PID.dump");
    let _ = std::fs::remove_dir_all(&dir);
    let records = jitdump_records(&bytes, pid);
    let loads: Vec<&(u32, String, u64)> = records.iter().filter(|r| r.0 == 0).collect();
    assert!(loads.len() > 100, "{} blocks", loads.len());
    assert!(loads.iter().all(|r| r.2 > 0 && r.1.starts_with("a64x:")));
    assert!(
        loads.iter().any(|r| r.1.starts_with("a64x:hot_loop")),
        "no hot_loop block"
    );
    assert!(loads.iter().any(|r| r.1.starts_with("a64x:main")), "no main block");
    assert_eq!(records.last().map(|r| r.0), Some(3), "no JIT_CODE_CLOSE at the end");
}

/// Whether `perf record` works here (installed, and perf_event_open allowed).
fn perf_works(dir: &std::path::Path) -> bool {
    Command::new("perf")
        .args(["record", "-q", "-e", "cpu-clock", "-o"])
        .arg(dir.join("probe.data"))
        .arg("true")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn perf_inject_jit_attributes_samples_to_the_guest_function() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("perf-jit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    if !perf_works(&dir) {
        eprintln!("skipped: perf record does not work here (not installed or not permitted)");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    // The jitdump must be on a file system that allows PROT_EXEC mappings (perf records only
    // executable mmaps), so it goes to the target directory rather than /tmp.
    let data = dir.join("perf.data");
    let status = Command::new("perf")
        .args(["record", "-q", "-k", "mono", "-e", "cpu-clock", "-o"])
        .arg(&data)
        .arg(env!("CARGO_BIN_EXE_a64x"))
        .arg(format!("--jitdump={}", dir.display()))
        .arg(common::test_binaries().join("out/hotloop-O2"))
        .arg("200")
        .stdout(Stdio::null())
        .status()
        .expect("perf record");
    assert!(status.success());
    let injected = dir.join("perf.jit.data");
    let status = Command::new("perf")
        .args(["inject", "--jit", "-i"])
        .arg(&data)
        .arg("-o")
        .arg(&injected)
        .status()
        .expect("perf inject");
    assert!(status.success());
    let report = Command::new("perf")
        .args(["report", "--stdio", "--sort", "sym", "-i"])
        .arg(&injected)
        .output()
        .expect("perf report");
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&report.stdout);
    let top = text
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .unwrap_or_default();
    assert!(
        top.contains("a64x:hot_loop"),
        "top symbol is not hot_loop: {top}\n{text}"
    );
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
