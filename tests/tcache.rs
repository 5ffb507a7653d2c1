//! The persistent translation cache (`src/tcache.rs`, the translator's `cache::persist`): a
//! later run of a program places the blocks an earlier run saved, with the same results as
//! without the cache; code that changed since is translated again; damaged files, files of
//! other users or with loose permissions are not used; a program installed again (a new file
//! with the same contents and time) finds its translations; concurrent processes share one cache;
//! the guest cannot read the key that authenticates the cache's entries.
//!
//! Each test has a cache directory of its own under cargo's temporary directory, given with
//! `--cache-dir` (which beats the suite's `A64X_CACHE_DIR`).

mod common;

use common::Ending;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An empty directory for test `tag`'s cache (its parent exists, it does not).
fn fresh(tag: &str) -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tcache-test-{tag}"));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).expect("make the test's directory");
    base.join("cache")
}

/// What `--stats` said about a run.
#[derive(Debug, Default)]
struct Stats {
    /// Blocks translated by the main thread.
    translated: u64,
    /// Entries in the file loaded; blocks placed from it; entries rejected; the cache's use.
    entries: u64,
    placed: u64,
    rejected: u64,
    used: bool,
}

fn numbers(line: &str) -> Vec<u64> {
    line.split(|c: char| !c.is_ascii_digit())
        .filter_map(|t| t.parse().ok())
        .collect()
}

fn stats(stderr: &str) -> Stats {
    let mut s = Stats::default();
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("a64x: persistent translation cache: ") {
            let n = numbers(rest);
            (s.entries, s.placed, s.rejected, s.used) = (n[0], n[1], n[3], true);
        } else if line.starts_with("a64x: ") && line.contains(" blocks, ") {
            s.translated = numbers(line)[1];
        }
    }
    s
}

/// Run a64x `--stats [--cache-dir dir] options... program args...` in `test-binaries/`: stdout
/// and the statistics, after checking that it exited 0.
fn run(dir: Option<&Path>, options: &[&str], program: &str, args: &[&str]) -> (String, Stats) {
    let (out, err) = run_texts(dir, options, program, args);
    (out, stats(&err))
}

/// [`run`], with what it wrote to stderr (every process's statistics) instead.
fn run_texts(dir: Option<&Path>, options: &[&str], program: &str, args: &[&str]) -> (String, String) {
    common::build_test_binaries();
    let (a64x, mut full) = common::a64x_command();
    full.push("--stats".into());
    if let Some(d) = dir {
        full.push("--cache-dir".into());
        full.push(d.into());
    }
    full.extend(options.iter().map(OsString::from));
    full.push(program.into());
    full.extend(args.iter().map(OsString::from));
    let r = common::run_with_timeout(&a64x, &full, &common::test_binaries(), None, Duration::from_secs(120));
    let (out, err) = (
        String::from_utf8_lossy(&r.stdout).into_owned(),
        String::from_utf8_lossy(&r.stderr).into_owned(),
    );
    assert_eq!(r.ending, Ending::Exit(0), "{full:?}\nstdout:\n{out}\nstderr:\n{err}");
    (out, err)
}

/// Blocks children forked to run code their parent never runs (a shell's, between fork and exec
/// or exit) translate are saved by the first of them whose file is still the one its store
/// read, though each makes far fewer than the parent's file has entries: later children place
/// them (`test-binaries/src/fork_child_code.c`; before, its children translated their 31 blocks
/// in every run, as bash's subshells did).
#[test]
fn forked_children_save_the_code_only_they_run() {
    let dir = fresh("forked");
    let translated = || -> Vec<u64> {
        let (out, err) = run_texts(Some(&dir), &[], "out/fork_child_code-O2", &[]);
        assert!(out.ends_with("parent: 3 children, 2099201\n"), "{out}");
        // One line a process, the children's first (they exit first).
        err.lines()
            .filter(|l| l.starts_with("a64x: ") && l.contains(" blocks, ") && !l.contains("persistent"))
            .map(|l| numbers(l)[1])
            .collect()
    };
    let cold = translated();
    let _second = translated();
    let third = translated();
    assert_eq!(cold.len(), 4, "{cold:?}");
    assert!(cold[..3].iter().all(|&n| n > 20), "cold children: {cold:?}");
    assert!(
        third.iter().all(|&n| n <= 2),
        "the third run's processes still translate: {third:?}"
    );
}

/// Static, dynamic, threaded, forking, self-modifying and floating-point programs, and whether
/// they rewrite code (whose saved translations, made from the last words there, a run that
/// starts from the first words rejects).
const PROGRAMS: &[(&str, &[&str], bool)] = &[
    ("out/hello-O2", &[], false),
    ("out/hello-dynamic", &[], false),
    ("out/printf-O2", &[], false),
    ("out/fork_threads-O2", &[], false),
    ("out/smc-O2", &[], true),
    ("out/thr_smc-O2", &[], true),
    ("out/bench_nbody-O2", &[], false),
    ("out/bench_interp-clang-O2", &["1"], false),
];

#[test]
fn warm_runs_place_the_saved_blocks_with_the_same_results() {
    let dir = fresh("warm");
    for &(program, args, rewrites) in PROGRAMS {
        let (off, s) = run(Some(&dir), &["--no-cache"], program, args);
        assert!(!s.used, "{program}: --no-cache used the cache");
        let (cold, c) = run(Some(&dir), &[], program, args);
        let (warm, w) = run(Some(&dir), &[], program, args);
        assert_eq!(cold, off, "{program}: cold run");
        assert_eq!(warm, off, "{program}: warm run");
        assert_eq!((c.entries, c.placed), (0, 0), "{program}: cold {c:?}");
        assert!(c.translated > 50, "{program}: cold {c:?}");
        assert!(
            w.placed * 10 >= c.translated * 9,
            "{program}: warm {w:?} after cold {c:?}"
        );
        assert!(
            w.translated * 10 <= c.translated,
            "{program}: warm {w:?} after cold {c:?}"
        );
        assert!(rewrites || w.rejected == 0, "{program}: warm {w:?}");
    }
    // --no-cache does not even make the directory.
    let unused = fresh("unused");
    run(Some(&unused), &["--no-cache"], "out/hello-O2", &[]);
    assert!(!unused.exists());
}

#[test]
fn code_that_changed_since_is_translated_again() {
    let dir = fresh("changed");
    let (out, _) = run(Some(&dir), &[], "out/tcache_jit-O2", &["1", "file"]);
    assert_eq!(out, "generated code returns 1\n");
    // The same address, mapped from a file with another operand (a library changed on disk):
    // that block's saved translation is rejected.
    let (out, s) = run(Some(&dir), &[], "out/tcache_jit-O2", &["2", "file"]);
    assert_eq!(out, "generated code returns 2\n");
    assert!(s.placed > 50 && s.rejected >= 1, "{s:?}");
}

#[test]
fn code_a_jit_wrote_is_not_saved() {
    let dir = fresh("jit");
    let (out, _) = run(Some(&dir), &[], "out/tcache_jit-O2", &["1"]);
    assert_eq!(out, "generated code returns 1\n");
    // Written into anonymous memory, its translation was not saved: not even looked up (and
    // rejected) in a later run, which places the program's own blocks.
    let (out, s) = run(Some(&dir), &[], "out/tcache_jit-O2", &["2"]);
    assert_eq!(out, "generated code returns 2\n");
    assert!(s.placed > 50 && s.rejected == 0, "{s:?}");
    let (out, s) = run(Some(&dir), &[], "out/tcache_jit-O2", &["1"]);
    assert_eq!(out, "generated code returns 1\n");
    assert!(s.placed > 50 && s.rejected == 0, "{s:?}");
}

#[test]
fn a_program_installed_again_in_a_new_file_finds_its_translations() {
    let dir = fresh("reinstalled");
    let program = dir.with_file_name("hello");
    let source = common::test_binaries().join("out/hello-O2");
    // As a package manager (or a root made again from the same packages) does: a new file, so a
    // new inode, renamed over the old, with the package's modification time.
    let install = || {
        let new = program.with_extension("new");
        std::fs::copy(&source, &new).expect("copy the program");
        let time = std::fs::metadata(&source).and_then(|m| m.modified()).expect("its time");
        std::fs::File::options()
            .write(true)
            .open(&new)
            .and_then(|f| f.set_modified(time))
            .expect("set the copy's time");
        std::fs::rename(&new, &program).expect("rename over the program");
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&program).expect("the program"))
    };
    let first = install();
    let path = program.to_str().expect("a UTF-8 path");
    let (cold, c) = run(Some(&dir), &[], path, &[]);
    assert_ne!(install(), first, "the copy has the same inode");
    let (warm, w) = run(Some(&dir), &[], path, &[]);
    assert_eq!(warm, cold);
    assert!(w.placed * 10 >= c.translated * 9, "warm {w:?} after cold {c:?}");
}

/// A directory over its bound (`A64X_CACHE_SIZE`, MiB) loses its least recently written files
/// at the next save that checks it (each of these files is larger than a 32nd of the bound, so
/// every save does), never the file just saved; the programs run as before.
#[test]
fn a_directory_over_its_bound_loses_its_oldest_files() {
    let dir = fresh("bounded");
    let programs = [
        "out/hello-O0",
        "out/hello-O2",
        "out/arith-O0",
        "out/arith-O2",
        "out/bench_fmt-O2",
    ];
    let (a64x, base) = common::a64x_command();
    let files = |dir: &Path| -> Vec<(std::time::SystemTime, u64, PathBuf)> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .expect("the cache directory")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "tc"))
            .map(|p| {
                let m = std::fs::metadata(&p).expect("a cache file");
                (m.modified().expect("its time"), m.len(), p)
            })
            .collect();
        v.sort();
        v
    };
    let mut before = Vec::new();
    for (i, program) in programs.iter().enumerate() {
        let mut args: Vec<OsString> = vec!["A64X_CACHE_SIZE=1".into(), a64x.clone()];
        args.extend(base.iter().cloned());
        args.extend(["--cache-dir".into(), dir.clone().into(), (*program).into()]);
        let env = OsString::from("/usr/bin/env");
        let r = common::run_with_timeout(&env, &args, &common::test_binaries(), None, Duration::from_secs(120));
        assert_eq!(
            r.ending,
            Ending::Exit(0),
            "{program}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        let now = files(&dir);
        let total: u64 = now.iter().map(|f| f.1).sum();
        let newest = now.last().expect("the file just saved").2.clone();
        assert!(!before.contains(&newest), "run {i} saved a new file");
        // Over the bound only by the file just saved, which is never deleted.
        let others = total - now.last().unwrap().1;
        assert!(others <= 1 << 20, "run {i}: {now:?}");
        // What is left is the newest of what there was.
        let kept: Vec<&PathBuf> = before.iter().filter(|p| now.iter().any(|f| &f.2 == *p)).collect();
        let gone = before.len() - kept.len();
        assert!(
            kept.iter()
                .all(|p| before.iter().position(|b| b == *p).unwrap() >= gone),
            "run {i}: {now:?} before {before:?}"
        );
        before = now.into_iter().map(|f| f.2).collect();
    }
    assert!(before.len() < programs.len(), "nothing was evicted: {before:?}");
}

/// The one cache file in `dir`.
fn cache_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the cache directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "tc"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

#[test]
fn damaged_files_are_not_trusted() {
    let dir = fresh("damaged");
    let (expected, cold) = run(Some(&dir), &[], "out/hello-dynamic", &[]);
    let file = cache_file(&dir);
    let good = std::fs::read(&file).expect("the cache file");
    let mut flipped = good.clone();
    for at in (100..flipped.len()).step_by(997) {
        flipped[at] ^= 0x40;
    }
    let garbage: Vec<u8> = (0..good.len()).map(|i| (i * 7 + 3) as u8).collect();
    let cases: [(&str, &[u8]); 4] = [
        ("bits flipped", &flipped),
        ("cut in half", &good[..good.len() / 2]),
        ("cut to 10 bytes", &good[..10]),
        ("garbage", &garbage),
    ];
    for (what, bytes) in cases {
        std::fs::write(&file, bytes).expect("damage the file");
        let (out, s) = run(Some(&dir), &["--no-cache"], "out/hello-dynamic", &[]);
        assert_eq!(out, expected, "{what}: {s:?}");
        let (out, s) = run(Some(&dir), &[], "out/hello-dynamic", &[]);
        assert_eq!(out, expected, "{what}: {s:?}");
        assert!(s.placed < cold.translated, "{what}: {s:?}");
        match what {
            "bits flipped" => assert!(s.rejected > 0, "{what}: {s:?}"),
            "cut in half" => assert!(s.entries > 0 && s.entries < cold.translated, "{what}: {s:?}"),
            _ => assert_eq!(s.entries, 0, "{what}: {s:?}"),
        }
        // The run saved a whole file again.
        std::fs::write(&file, &good).expect("restore the file");
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn files_others_can_write_are_not_used() {
    let dir = fresh("others");
    let (expected, _) = run(Some(&dir), &[], "out/hello-O2", &[]);
    let file = cache_file(&dir);
    // A file others may write.
    chmod(&file, 0o666);
    let (out, s) = run(Some(&dir), &[], "out/hello-O2", &[]);
    assert_eq!(out, expected);
    assert_eq!((s.used, s.entries, s.placed), (true, 0, 0), "{s:?}");
    // Replaced by the save at that run's exit, private again.
    let (_, s) = run(Some(&dir), &[], "out/hello-O2", &[]);
    assert!(s.placed > 0, "{s:?}");
    // Owned by another user (root can give it away; others cannot, and cannot test this).
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&file, Some(65534), Some(65534)).expect("chown to nobody");
        let (out, s) = run(Some(&dir), &[], "out/hello-O2", &[]);
        assert_eq!(out, expected);
        assert_eq!((s.entries, s.placed), (0, 0), "{s:?}");
    }
    // A key others may read, or a directory others may write: no cache at all.
    chmod(&dir.join("key"), 0o644);
    let (out, s) = run(Some(&dir), &[], "out/hello-O2", &[]);
    assert_eq!((out.as_str(), s.used), (expected.as_str(), false), "{s:?}");
    chmod(&dir.join("key"), 0o600);
    chmod(&dir, 0o777);
    let (out, s) = run(Some(&dir), &[], "out/hello-O2", &[]);
    assert_eq!((out.as_str(), s.used), (expected.as_str(), false), "{s:?}");
}

#[test]
fn concurrent_processes_fill_one_cache() {
    let dir = fresh("concurrent");
    let (expected, _) = run(Some(&dir), &["--no-cache"], "out/fork_threads-O2", &[]);
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let dir = dir.clone();
            std::thread::spawn(move || run(Some(&dir), &[], "out/fork_threads-O2", &[]).0)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("a run"), expected);
    }
    let (out, s) = run(Some(&dir), &[], "out/fork_threads-O2", &[]);
    assert_eq!(out, expected);
    assert!(s.placed > 50 && s.rejected == 0, "{s:?}");
    // No temporary file left behind.
    let names: Vec<OsString> = std::fs::read_dir(&dir)
        .expect("the cache directory")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert_eq!(names.len(), 2, "the key and one file: {names:?}");
}

/// Attempts `hostile_tcache` makes at the key.
const KEY_ATTEMPTS: usize = 8;

#[test]
fn the_guest_cannot_read_the_key_and_what_it_writes_is_rejected() {
    let dir = fresh("hostile");
    let (expected, _) = run(Some(&dir), &[], "out/hello-dynamic", &[]);
    let d = dir.to_str().expect("a UTF-8 path");
    let (out, _) = run(Some(&dir), &[], "out/hostile_tcache-O2", &[d]);
    let contained = out.lines().filter(|l| l.contains(": contained (")).count();
    assert!(!out.contains("ESCAPED") && contained == KEY_ATTEMPTS, "{out}");
    assert!(out.contains("forged 1 files"), "{out}");
    let (again, s) = run(Some(&dir), &[], "out/hello-dynamic", &[]);
    assert_eq!(again, expected);
    assert!(s.rejected > 0 && s.placed < s.entries, "{s:?}");
    // Its own file cut short under the VM's mapping of it, before the code whose saved
    // translations lie in the part cut off runs: those reads (of the file's index, at its end,
    // and of the entries) fault and fail quietly, and the blocks are translated.
    let (cut, s) = run(Some(&dir), &[], "out/hostile_tcache-O2", &[d, "truncate"]);
    let contained = cut.lines().filter(|l| l.contains(": contained (")).count();
    assert!(
        cut.starts_with("truncated 2 files\n") && contained == KEY_ATTEMPTS,
        "{cut}"
    );
    assert!(!cut.contains("ESCAPED") && cut.ends_with("forged 2 files\n"), "{cut}");
    assert!(s.entries > 50 && s.translated > 50 && s.placed < s.entries, "{s:?}");
    // Without the VM's defence (qemu-aarch64 has none), the same attack reads the key.
    let qemu = common::qemu_command();
    common::require_tool(&qemu, "--version");
    let r = common::run_with_timeout(
        &qemu,
        &["out/hostile_tcache-O2".into(), d.into()],
        &common::test_binaries(),
        None,
        Duration::from_secs(60),
    );
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(out.contains("open: ESCAPED"), "{out}");
}

/// By default the cache is `$HOME/.cache/a64x`, made where the home directory exists; a home
/// that does not (`HOME=/nonexistent`, which Debian's build daemons and system users have so
/// that nothing is written there) is not made: the program runs without a persistent cache.
#[test]
fn a_home_that_does_not_exist_is_not_made_for_the_cache() {
    common::build_test_binaries();
    let home = fresh("home");
    let (a64x, mut args) = common::a64x_command();
    args.extend(["--stats", "out/hello-O2"].map(OsString::from));
    let run = |home: &Path| {
        let r = std::process::Command::new(&a64x)
            .args(&args)
            .current_dir(common::test_binaries())
            .env_clear()
            .env("HOME", home)
            .env("PATH", "/usr/bin:/bin")
            .output()
            .expect("run a64x");
        assert!(r.status.success(), "{r:?}");
        (
            String::from_utf8_lossy(&r.stdout).into_owned(),
            stats(&String::from_utf8_lossy(&r.stderr)),
        )
    };
    let (out, s) = run(&home);
    assert!(out.contains("Hello"), "{out}");
    assert!(
        !home.exists() && !s.used,
        "a missing home was made, or a cache used: {s:?}"
    );
    std::fs::create_dir(&home).expect("make the home");
    let (_, s) = run(&home);
    assert!(
        s.used && home.join(".cache/a64x").is_dir(),
        "no cache in an existing home: {s:?}"
    );
}
