//! binfmt_misc (Documentation/admin-guide/binfmt-misc.rst): registers a64x under a test name with
//! `--install-binfmt`, runs an AArch64 program directly as `./env-O2`, checks argv[0] without and
//! with the `P` flag (and with `F`), `--binfmt-status`, the error for a name already taken, and
//! `--uninstall-binfmt`. Needs root (CI runs as root); as another user it says so on stderr and
//! passes. An entry left by a failed run is removed by a guard; one left by a killed run is removed
//! by the next run (its name carries the dead pid).
//!
//! Another AArch64 entry (qemu-user-binfmt's `qemu-aarch64`) does not get in the way: the kernel
//! tries the newest entry first (fs/binfmt_misc.c adds at the head of its list), and every run
//! here checks that a64x ran it (`A64X_STATS=1` makes a64x, never qemu, print its counters).

mod common;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BINFMT_DIR: &str = "/proc/sys/fs/binfmt_misc";
const PREFIX: &str = "a64x-test-";

/// Removes the entry when dropped, whatever happened to the test.
struct Entry {
    name: String,
}

impl Entry {
    fn path(&self) -> PathBuf {
        Path::new(BINFMT_DIR).join(&self.name)
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        if self.path().exists() {
            let _ = std::fs::write(self.path(), "-1");
        }
    }
}

/// How one run went.
struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout:\n{}--- stderr:\n{}---",
            self.status, self.stdout, self.stderr
        )
    }
}

/// Runs `cmd` with a fixed environment plus `vars`, killing it after 30 s.
fn run(mut cmd: Command, vars: &[(&str, &str)]) -> Run {
    cmd.env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LANG", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s.code(),
            Ok(None) if start.elapsed() > Duration::from_secs(30) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("wait: {e}"),
        }
    };
    let mut stdout = String::new();
    let _ = out.read_to_string(&mut stdout);
    Run {
        status,
        stdout,
        stderr: reader.join().unwrap_or_default(),
    }
}

/// `a64x ARGS...`.
fn a64x(args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_a64x"));
    cmd.args(args);
    run(cmd, &[])
}

/// Removes the test entries of earlier runs that were killed before their guard ran.
fn remove_stale_entries() {
    let Ok(dir) = std::fs::read_dir(BINFMT_DIR) else {
        return;
    };
    for e in dir.filter_map(|e| e.ok()) {
        let name = e.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('-').next()?.parse::<u32>().ok());
        if let Some(pid) = pid {
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::write(e.path(), "-1");
            }
        }
    }
}

/// Registers a64x as `name` with `flags`; the guard removes it.
fn install(name: &str, flags: &str) -> Entry {
    let entry = Entry { name: name.to_string() };
    let r = a64x(&["--install-binfmt", "--binfmt-name", name, "--binfmt-flags", flags]);
    assert_eq!(r.status, Some(0), "--install-binfmt {flags}: {r}");
    assert!(
        entry.path().exists(),
        "no {} after --install-binfmt: {r}",
        entry.path().display()
    );
    entry
}

/// Runs `./env-O2 ARGS` in test-binaries/out through the shell, as a user would, and
/// `<absolute path>` with argv[0] `custom-argv0`; a64x must have run both.
fn run_directly(args: &[&str], vars: &[(&str, &str)]) -> (Run, Run) {
    let dir = common::test_binaries().join("out");
    let mut vars = vars.to_vec();
    vars.push(("A64X_STATS", "1"));
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!("./env-O2 {}", args.join(" ")))
        .current_dir(&dir);
    let by_shell = run(sh, &vars);
    let mut cmd = Command::new(dir.join("env-O2"));
    std::os::unix::process::CommandExt::arg0(&mut cmd, "custom-argv0");
    cmd.args(args).current_dir(&dir);
    let with_argv0 = run(cmd, &vars);
    for r in [&by_shell, &with_argv0] {
        assert_eq!(r.status, Some(0), "{r}");
        assert!(
            r.stderr.contains("a64x: ") && r.stderr.contains("blocks"),
            "not run by a64x (another binfmt_misc entry?): {r}"
        );
    }
    (by_shell, with_argv0)
}

#[test]
fn binfmt_misc_registration_runs_aarch64_programs_directly() {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        // Straight to stderr, so that the skip shows even though the test passes.
        let _ = writeln!(
            std::io::stderr(),
            "tests/binfmt.rs: SKIPPED: binfmt_misc registration needs root (euid {}); run the tests as root to \
             check it",
            unsafe { libc::geteuid() }
        );
        return;
    }
    common::build_test_binaries();
    remove_stale_entries();
    let pid = std::process::id();
    let env_path = common::test_binaries().join("out/env-O2");
    let env_path = env_path.to_string_lossy();

    // Without P the kernel drops argv[0]: the program sees the path it was executed by.
    let name = format!("{PREFIX}{pid}");
    let entry = install(&name, "");
    let (by_shell, with_argv0) = run_directly(&["-a", "--help", "HOME"], &[("HOME", "/h")]);
    assert_eq!(
        by_shell.stdout,
        "argc=4\nargv[0]=./env-O2\nargv[1]=-a\nargv[2]=--help\nargv[3]=HOME\n--help unset\nHOME=/h\n"
    );
    assert!(
        with_argv0.stdout.starts_with(&format!("argc=4\nargv[0]={env_path}\n")),
        "{with_argv0}"
    );

    let r = a64x(&["--binfmt-status", "--binfmt-name", &name]);
    assert_eq!(r.status, Some(0), "{r}");
    assert!(
        r.stdout.contains("enabled") && r.stdout.contains("magic 7f454c46"),
        "{r}"
    );
    // The name is taken: one a64x: line, and the entry is untouched.
    let r = a64x(&["--install-binfmt", "--binfmt-name", &name]);
    assert_eq!(r.status, Some(1), "{r}");
    assert!(
        r.stderr.starts_with("a64x: ") && r.stderr.contains("exists") && r.stderr.lines().count() == 1,
        "{r}"
    );
    // Options reach a64x through its variables only.
    let (by_shell, _) = run_directly(&["-x"], &[("A64X_CPU", "max,-atomics")]);
    assert!(by_shell.stdout.starts_with("hwcap=0x3db2b6fb\n"), "{by_shell}");
    let r = a64x(&["--uninstall-binfmt", "--binfmt-name", &name]);
    assert_eq!(r.status, Some(0), "{r}");
    assert!(
        !entry.path().exists(),
        "{} still there after --uninstall-binfmt",
        entry.path().display()
    );
    let r = a64x(&["--uninstall-binfmt", "--binfmt-name", &name]);
    assert_eq!(r.status, Some(1), "{r}");
    assert!(r.stderr.starts_with("a64x: ") && r.stderr.lines().count() == 1, "{r}");
    let r = a64x(&["--binfmt-status", "--binfmt-name", &name]);
    assert_eq!(r.status, Some(1), "{r}");
    drop(entry);

    // With P (and F, which opens a64x at registration) the program's own argv[0] arrives.
    for flags in ["P", "PF"] {
        let name = format!("{PREFIX}{pid}-{}", flags.to_lowercase());
        let entry = install(&name, flags);
        let status = std::fs::read_to_string(entry.path()).unwrap_or_default();
        assert!(status.contains(&format!("flags: {flags}")), "{status}");
        let (by_shell, with_argv0) = run_directly(&["-a", "x"], &[]);
        assert_eq!(
            by_shell.stdout, "argc=3\nargv[0]=./env-O2\nargv[1]=-a\nargv[2]=x\nx unset\n",
            "{flags}"
        );
        assert_eq!(
            with_argv0.stdout, "argc=3\nargv[0]=custom-argv0\nargv[1]=-a\nargv[2]=x\nx unset\n",
            "{flags}"
        );
        drop(entry);
    }
    static_a64x_in_a_chroot(pid);
    let left: Vec<OsString> = std::fs::read_dir(BINFMT_DIR)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        !left
            .iter()
            .any(|n| n.to_string_lossy().starts_with(&format!("{PREFIX}{pid}"))),
        "entries left behind: {left:?}"
    );
}

/// With `F` and the static a64x of scripts/build-static.sh, when it has been built: an AArch64
/// program runs inside a chroot that holds nothing else (no x86-64 libraries, no a64x).
fn static_a64x_in_a_chroot(pid: u32) {
    let bin = common::root().join("target/x86_64-unknown-linux-gnu/release/a64x");
    if !bin.exists() {
        let _ = writeln!(
            std::io::stderr(),
            "tests/binfmt.rs: the F-flag chroot check did not run: no static a64x (scripts/build-static.sh)"
        );
        return;
    }
    let name = format!("{PREFIX}{pid}-static");
    let entry = Entry { name: name.clone() };
    let mut cmd = Command::new(&bin);
    cmd.args(["--install-binfmt", "--binfmt-name", &name, "--binfmt-flags", "F"]);
    let r = run(cmd, &[]);
    assert_eq!(r.status, Some(0), "static a64x --install-binfmt: {r}");
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("binfmt-chroot-{pid}"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("create the chroot directory");
    std::fs::copy(common::test_binaries().join("out/env-O2"), root.join("env")).expect("copy env-O2");
    let mut cmd = Command::new("chroot");
    cmd.arg(&root).args(["/env", "-a"]);
    let r = run(cmd, &[("A64X_STATS", "1")]);
    let _ = std::fs::remove_dir_all(&root);
    drop(entry);
    assert_eq!(r.status, Some(0), "chroot ROOT /env: {r}");
    assert_eq!(r.stdout, "argc=2\nargv[0]=/env\nargv[1]=-a\n", "{r}");
    assert!(r.stderr.contains("blocks"), "not run by a64x: {r}");
}
