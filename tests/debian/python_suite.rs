//! Python's own regression tests (Debian's `libpython3.11-testsuite`): `python3.11 -m test -v
//! MODULE`, one process per module, under a64x; the verdict regrtest prints (`Tests result:
//! SUCCESS`, `FAILURE`, `ENV CHANGED`, ...) must be qemu-aarch64's for the same module, except
//! where qemu fails for a bug of its own ([`QEMU_BUGS`]): there a64x must succeed.
//!
//! Both run in the binfmt_misc namespace (see `binfmt_namespace`): many tests start
//! `sys.executable`, which qemu can run only through binfmt_misc.
//!
//! The suite is slow under emulation, so the default list holds the modules that take seconds,
//! and qemu's verdicts come from `tests/debian/python-suite-qemu.txt`, recorded by running
//! qemu on this machine with the command written at its top. Environment:
//!
//! - `A64X_PYTEST_MODULES=long`: the long list (every module of the issue); or a comma-separated
//!   list of modules. With either, qemu runs too, unless `A64X_PYTEST_QEMU=file`.
//! - `A64X_PYTEST_QEMU=live`: run qemu rather than read the file (`file`: the other way round).
//! - `A64X_PYTEST_RECORD=1`: run qemu and write its verdicts and times into the file (modules
//!   not run keep their lines).
//! - `A64X_PYTEST_JOBS=N`: modules run at the same time (default 2).

use super::{case, env, with_binfmt, Case};
use crate::common::{self, Ending, RunResult};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The default list: modules that take up to about a minute each under a64x on the 2-core test
/// machine (most a few seconds), covering threads, signals, processes, files, sockets,
/// select/poll/epoll, mmap and time as well as the interpreter's core types.
const SHORT: &[&str] = &[
    "test_threading",
    "test_signal",
    "test_os",
    "test_socket",
    "test_errno",
    "test_glob",
    "test_struct",
    "test_string",
    "test_fcntl",
    "test_resource",
    "test_poll",
    "test_epoll",
    "test_select",
    "test_selectors",
    "test_mmap",
    "test_wait4",
    "test_fork1",
    "test_threadsignals",
    "test_queue",
    "test_json",
    "test_posix",
    "test_time",
    "test_float",
    "test_list",
    "test_set",
    "test_dict",
    "test_bytes",
    "test_zlib",
    "test_hashlib",
    "test_re",
    "test_tempfile",
    "test_pty",
];

/// The long list (`A64X_PYTEST_MODULES=long`): the short one and these, slower (test_subprocess
/// takes 5 minutes) or less about the Linux environment.
const LONG: &[&str] = &[
    "test_subprocess",
    "test_shutil",
    "test_math",
    "test_decimal",
    "test_builtin",
    "test_itertools",
    "test_functools",
    "test_collections",
    "test_datetime",
    "test_pipes",
    "test_thread",
    "test_sched",
];

/// Modules that fail under qemu-aarch64 7.2 for its own bugs, with the tests that show them
/// (see their logs): a64x must pass them.
const QEMU_BUGS: &[(&str, &str)] = &[
    (
        "test_socket",
        "recvmsg with truncated ancillary data: testCmsgTruncLen0*, testSecondCmsgTrunc*, \
         testSingleCmsgTrunc* (SCM_RIGHTS and IPv6 RFC 3542)",
    ),
    (
        "test_signal",
        "test_stress_modifying_handlers (signals to a thread changing handlers) kills qemu with \
         SIGSEGV in some runs",
    ),
];

/// Per module and runner.
const MODULE_TIMEOUT: Duration = Duration::from_secs(900);

fn expectations_path() -> PathBuf {
    common::root().join("tests/debian/python-suite-qemu.txt")
}

/// Module -> (qemu's verdict, its seconds), from the file.
fn read_expectations() -> BTreeMap<String, (String, f64)> {
    let text = std::fs::read_to_string(expectations_path()).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut f = l.split('\t');
            let (m, v, t) = (f.next()?, f.next()?, f.next()?);
            Some((m.to_string(), (v.to_string(), t.parse().ok()?)))
        })
        .collect()
}

fn write_expectations(all: &BTreeMap<String, (String, f64)>) {
    let version = |pkg: &str| {
        std::fs::read_to_string(env().sysroot.join(".a64x").join(pkg))
            .unwrap_or_default()
            .trim()
            .to_string()
    };
    let qemu = std::process::Command::new(common::qemu_command())
        .arg("--version")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut text = format!(
        "# qemu-aarch64's verdicts for `python3.11 -m test -v MODULE` (tests/debian/python_suite.rs),\n\
         # module<TAB>verdict<TAB>seconds. Written by:\n\
         #   A64X_PYTEST_RECORD=1 cargo test --release --test debian python_suite\n\
         # (the default list; with A64X_PYTEST_MODULES=test_a,test_b just those, keeping the rest)\n\
         # libpython3.11-testsuite {}, python3.11-minimal {}, libc6 {}; {}; Linux {}\n",
        version("libpython3.11-testsuite"),
        version("python3.11-minimal"),
        version("libc6"),
        qemu,
        kernel.trim()
    );
    for (m, (v, t)) in all {
        text.push_str(&format!("{m}\t{v}\t{t:.1}\n"));
    }
    std::fs::write(expectations_path(), text).expect("write the expectations file");
}

/// The verdict of one regrtest run: its last `Tests result: ...` line, or how it ended.
fn verdict(r: &RunResult) -> String {
    let out = String::from_utf8_lossy(&r.stdout);
    match out.lines().rev().find_map(|l| l.strip_prefix("Tests result: ")) {
        Some(v) => v.trim().to_string(),
        None => match &r.ending {
            Ending::Timeout(_) => "TIMEOUT".to_string(),
            e => format!("no result ({e})"),
        },
    }
}

fn module_case(module: &str, runner: &str) -> Case {
    let mut c = with_binfmt(case(
        &format!("pytest-{module}"),
        "usr/bin/python3.11",
        &["-m", "test", "-v", module],
    ));
    c.dir = format!("pysuite/{runner}/{module}");
    c.timeout = MODULE_TIMEOUT;
    std::fs::create_dir_all(env().work.join(&c.dir)).expect("create the module's directory");
    c
}

/// Runs regrtest on `module` under `runner` (`a64x` or `qemu`), keeping its output in
/// `target/tmp/debian/pysuite/RUNNER/MODULE.log` for a look afterwards.
fn run_module(module: &str, runner: &str) -> RunResult {
    let c = module_case(module, runner);
    let r = if runner == "qemu" {
        super::run((common::qemu_command(), Vec::new()), &c, true)
    } else {
        super::run(common::a64x_command(), &c, false)
    };
    let mut log = r.stdout.clone();
    log.extend_from_slice(format!("\n---- stderr ({}, {:.1} s):\n", r.ending, r.elapsed.as_secs_f64()).as_bytes());
    log.extend_from_slice(&r.stderr);
    let _ = std::fs::write(env().work.join(format!("pysuite/{runner}/{module}.log")), log);
    r
}

/// What regrtest said went wrong, for the report: its FAIL/ERROR lines and the output's end.
fn summary(r: &RunResult) -> String {
    let out = String::from_utf8_lossy(&r.stdout);
    let bad: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("FAIL:") || l.starts_with("ERROR:") || l.contains("Warning -- "))
        .take(20)
        .collect();
    let tail = &out[out.len().saturating_sub(1500)..];
    format!(
        "{}\n  output (end):\n{tail}\n  stderr (end): {}",
        bad.join("\n  "),
        String::from_utf8_lossy(&r.stderr[r.stderr.len().saturating_sub(800)..])
    )
}

struct Row {
    module: String,
    qemu: String,
    qemu_secs: f64,
    a64x: String,
    a64x_secs: f64,
    detail: String,
}

#[test]
fn python_suite_matches_qemu() {
    env();
    common::require_tool(&common::qemu_command(), "--version");
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let record = var("A64X_PYTEST_RECORD").is_some_and(|v| v != "0");
    let modules: Vec<String> = match var("A64X_PYTEST_MODULES").as_deref() {
        None => SHORT.iter().map(|s| s.to_string()).collect(),
        Some("long") => SHORT.iter().chain(LONG).map(|s| s.to_string()).collect(),
        Some(list) => list.split(',').map(|s| s.trim().to_string()).collect(),
    };
    let live = record
        || match var("A64X_PYTEST_QEMU").as_deref() {
            Some("live") => true,
            Some("file") => false,
            _ => var("A64X_PYTEST_MODULES").is_some(),
        };
    let expected = read_expectations();
    let jobs: usize = var("A64X_PYTEST_JOBS").and_then(|j| j.parse().ok()).unwrap_or(2).max(1);
    let next = AtomicUsize::new(0);
    let rows = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(m) = modules.get(i) else { break };
                let got = run_module(m, "a64x");
                let (qemu, qemu_secs) = match expected.get(m) {
                    Some(e) if !live => e.clone(),
                    _ => {
                        let q = run_module(m, "qemu");
                        (verdict(&q), q.elapsed.as_secs_f64())
                    }
                };
                let row = Row {
                    module: m.clone(),
                    a64x: verdict(&got),
                    a64x_secs: got.elapsed.as_secs_f64(),
                    detail: summary(&got),
                    qemu,
                    qemu_secs,
                };
                eprintln!(
                    "python suite: {} qemu {} a64x {} ({:.1} s)",
                    row.module, row.qemu, row.a64x, row.a64x_secs
                );
                rows.lock().unwrap().push(row);
            });
        }
    });
    let mut rows = rows.into_inner().unwrap();
    rows.sort_by(|a, b| a.module.cmp(&b.module));
    let source = if live {
        "run now"
    } else {
        "from tests/debian/python-suite-qemu.txt"
    };
    eprintln!("\n| module | qemu ({source}) | a64x | qemu s | a64x s |\n|---|---|---|---|---|");
    for r in &rows {
        eprintln!(
            "| {} | {} | {} | {:.1} | {:.1} |",
            r.module, r.qemu, r.a64x, r.qemu_secs, r.a64x_secs
        );
    }
    let total: f64 = rows.iter().map(|r| r.a64x_secs).sum();
    eprintln!("a64x: {total:.0} s for {} modules ({jobs} at a time)\n", rows.len());
    if record {
        let mut all = expected.clone();
        for r in &rows {
            all.insert(r.module.clone(), (r.qemu.clone(), r.qemu_secs));
        }
        write_expectations(&all);
    }
    let qemu_bug = |r: &Row| QEMU_BUGS.iter().any(|(m, _)| *m == r.module) && r.a64x == "SUCCESS";
    let failures: Vec<String> = rows
        .iter()
        .filter(|r| r.qemu != r.a64x && !qemu_bug(r))
        .map(|r| format!("{}: qemu {}, a64x {}\n  {}", r.module, r.qemu, r.a64x, r.detail))
        .collect();
    super::finish("python suite", rows.len() - failures.len(), failures);
}
