//! Guest processes that exec what qemu-aarch64 cannot (tests/programs.rs compares with qemu, which
//! without binfmt_misc can exec only host programs): a guest exec'ing itself or another AArch64
//! program (a64x re-executes itself, argv[0] kept), a host program, `#!` scripts with a host and
//! with an AArch64 interpreter, `--strace` in the exec'd program, and the emulated /proc/cpuinfo.
//! The guest is `test-binaries/src/proc_exec.c` in its `run`, `show` and `cat` modes.

mod common;

use common::Ending;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

const GUEST: &str = "out/proc_exec-O2";

/// Run a64x `options... GUEST args...` in `test-binaries/`; (stdout, stderr), after checking
/// that a64x exited 0.
fn a64x(options: &[&str], args: &[&str]) -> (String, String) {
    let mut all: Vec<&str> = options.to_vec();
    all.push(GUEST);
    all.extend(args);
    a64x_guest_args(&all)
}

/// a64x `guest args...` in `test-binaries/`, as [`a64x`] runs it.
fn a64x_guest(guest: &str, args: &[&str]) -> (String, String) {
    let mut all = vec![guest];
    all.extend(args);
    a64x_guest_args(&all)
}

/// a64x `args...` in `test-binaries/`; (stdout, stderr), after checking that a64x exited 0.
fn a64x_guest_args(args: &[&str]) -> (String, String) {
    common::build_test_binaries();
    let (cmd, pre) = common::a64x_command();
    let mut full: Vec<OsString> = pre;
    full.extend(args.iter().map(OsString::from));
    let r = common::run_with_timeout(&cmd, &full, &common::test_binaries(), None, Duration::from_secs(60));
    let (out, err) = (
        String::from_utf8_lossy(&r.stdout).into_owned(),
        String::from_utf8_lossy(&r.stderr).into_owned(),
    );
    assert_eq!(
        r.ending,
        Ending::Exit(0),
        "a64x {full:?}\nstdout:\n{out}\nstderr:\n{err}"
    );
    (out, err)
}

/// An executable script in the temporary directory, removed when dropped.
struct Script(PathBuf);

impl Script {
    fn new(tag: &str, text: &str) -> Script {
        let path = std::env::temp_dir().join(format!("a64x-process-{}-{tag}", std::process::id()));
        std::fs::write(&path, text).expect("write script");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        Script(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp dir")
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn exec_of_the_guest_itself_keeps_argv() {
    let (out, _) = a64x(
        &[],
        &["run", "/proc/self/exe", "custom-name", "show", "a", "-b", "--strace"],
    );
    assert_eq!(
        out,
        "argv[0] = custom-name\nargv[1] = show\nargv[2] = a\nargv[3] = -b\nargv[4] = --strace\nrun: exited 0\n"
    );
    // By a relative path, and with an empty argv[0]; and a login shell's argv[0], "-bash", and
    // others a64x's own option parsing must not take for options.
    let (out, _) = a64x(&[], &["run", GUEST, "", "show"]);
    assert_eq!(out, "argv[0] = \nargv[1] = show\nrun: exited 0\n");
    for name in ["-bash", "--strace", "=x", "-"] {
        let (out, _) = a64x(&[], &["run", GUEST, name, "show"]);
        assert_eq!(out, format!("argv[0] = {name}\nargv[1] = show\nrun: exited 0\n"));
    }
    // The exec'd program's exit status is the child's.
    let (out, _) = a64x(&[], &["run", "/proc/self/exe", "x", "cat", "/nonexistent"]);
    assert!(out.ends_with("run: exited 1\n"), "{out}");
}

#[test]
fn exec_after_the_guest_took_every_descriptor() {
    // The guest dup2s over every descriptor number, the VM's own handle on a64x included: that
    // one moves away and exec of an AArch64 program still works.
    let (out, _) = a64x(&[], &["dupall", "/proc/self/exe", "x", "show", "after"]);
    assert!(out.starts_with("dup2 onto "), "{out}");
    assert!(
        out.ends_with("argv[0] = x\nargv[1] = show\nargv[2] = after\ndupall: exited 0\n"),
        "{out}"
    );
}

#[test]
fn exec_of_a_host_program() {
    let (out, _) = a64x(&[], &["run", "/bin/echo", "echo", "hello", "host"]);
    assert_eq!(out, "hello host\nrun: exited 0\n");
}

#[test]
fn shebang_script_with_a_host_interpreter() {
    let s = Script::new("host.sh", "#!/bin/echo  first arg \nignored\n");
    let (out, _) = a64x(&[], &["run", s.path(), "argv0-dropped", "extra"]);
    assert_eq!(out, format!("first arg {} extra\nrun: exited 0\n", s.path()));
}

#[test]
fn shebang_script_with_an_aarch64_interpreter() {
    let interp = common::test_binaries().join(GUEST);
    let interp = interp.to_str().expect("UTF-8 path");
    let s = Script::new("guest.sh", &format!("#!{interp} show\n"));
    let (out, _) = a64x(&[], &["run", s.path(), "argv0-dropped", "extra"]);
    assert_eq!(
        out,
        format!(
            "argv[0] = {interp}\nargv[1] = show\nargv[2] = {}\nargv[3] = extra\nrun: exited 0\n",
            s.path()
        )
    );
}

#[test]
fn strace_follows_into_the_exec_d_program() {
    let (out, err) = a64x(&["--strace"], &["run", "/proc/self/exe", "x", "show", "traced"]);
    assert!(out.contains("argv[2] = traced\n"), "{out}");
    // Only the exec'd program writes this; the parent's own clone and wait4 are traced too.
    assert!(err.contains("write(1, \"argv[0] = x\\n"), "{err}");
    assert!(err.contains("clone(") && err.contains("wait4("), "{err}");
}

#[test]
fn proc_cpuinfo_describes_an_aarch64_cpu() {
    let (out, _) = a64x(&[], &["cat", "/proc/cpuinfo"]);
    assert!(out.starts_with("processor\t: 0\n"), "{out}");
    let features = out
        .lines()
        .find_map(|l| l.strip_prefix("Features\t: "))
        .expect("a Features line");
    let features: Vec<&str> = features.split(' ').collect();
    for f in [
        "fp", "asimd", "aes", "pmull", "sha1", "sha2", "crc32", "atomics", "asimddp", "sha3", "sha512", "rng", "dit",
        "i8mm", "ssbs", "asimdfhm", "bf16", "fphp", "asimdhp",
    ] {
        assert!(features.contains(&f), "{f} missing from {features:?}");
    }
    // Nothing a64x does not implement (the kernel's names: sm3, sve, paca...).
    for f in ["evtstrm", "sm3", "sm4", "sve", "paca", "bti", "cpuid"] {
        assert!(!features.contains(&f), "{f} advertised in {features:?}");
    }
    assert!(out.contains("CPU architecture: 8\n"), "{out}");
}

/// Standard descriptors closed by the caller stay closed for the guest (Rust's runtime opens
/// /dev/null on them for a64x itself): `test-binaries/src/stdfds.c` run with stdin and stderr
/// closed, under a64x and qemu-aarch64.
#[test]
fn closed_standard_descriptors_stay_closed() {
    common::build_test_binaries();
    let run = |cmd: OsString, pre: Vec<OsString>| {
        let mut args: Vec<OsString> = vec!["-c".into(), "exec \"$@\" 0<&- 2>&-".into(), "sh".into(), cmd];
        args.extend(pre);
        args.push("out/stdfds-O2".into());
        let r = common::run_with_timeout(
            std::ffi::OsStr::new("sh"),
            &args,
            &common::test_binaries(),
            None,
            Duration::from_secs(30),
        );
        (r.ending, String::from_utf8_lossy(&r.stdout).into_owned())
    };
    let (cmd, pre) = common::a64x_command();
    let got = run(cmd, pre);
    let want = run(common::qemu_command(), Vec::new());
    assert_eq!(
        want.1, "fd 0 closed, fd 1 open, fd 2 closed, next open() gets 0\n",
        "qemu-aarch64"
    );
    assert_eq!(got, want, "a64x vs qemu-aarch64");
}

/// fork while other threads start and exit, allocate and map memory: every child must run to its
/// exit (a child used to hang on a lock of a64x's address space, malloc or runtime that a
/// vanished thread held). `test-binaries/src/fork_threads.c`; a64x only, as qemu-aarch64 7.2
/// deadlocks on it.
#[test]
fn fork_while_threads_churn() {
    let (out, _) = a64x_guest("out/fork_threads-O2", &["300"]);
    assert_eq!(out, "300 of 300 children exited 7\n");
}

/// An exec of an AArch64 program carried out in a64x's own host process (`a64x::inplace`), from
/// a forked child, a child forked by a second thread and the first process, leaves the new
/// program what the kernel's execve leaves (`test-binaries/src/exec_state.c`: pid,
/// descriptors less the close-on-exec ones, ignored signals, the mask and a pending signal, no
/// alternate stack, none of the old mappings, timers, rlimits, umask, directory; and, for a
/// `#!` script whose interpreter is the program, the script's name): the same as the host build
/// of the program shows natively, and as a new a64x (A64X_NO_EXEC_IN_PLACE=1). And it is carried
/// out in place: under strace, the host sees a64x's own execve only (a new a64x for each of the
/// four execs otherwise).
#[test]
fn exec_in_place_leaves_what_the_kernel_leaves() {
    common::build_test_binaries();
    let dir = common::test_binaries();
    let (a64x, _) = common::a64x_command();
    let output = |cmd: &mut std::process::Command| {
        let out = cmd.current_dir(&dir).output().expect("run");
        assert!(out.status.success(), "{cmd:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let native = output(&mut std::process::Command::new(dir.join("out/native/exec_state")));
    assert!(
        native.contains("first process: argv[0] renamed, same pid yes"),
        "{native}"
    );
    let guest = "out/exec_state-O2";
    let cache = concat!(env!("CARGO_TARGET_TMPDIR"), "/tcache");
    let in_place = output(
        std::process::Command::new(&a64x)
            .arg(guest)
            .env("A64X_CACHE_DIR", cache),
    );
    assert_eq!(in_place, native, "exec in place vs the kernel's");
    let new_a64x = output(
        std::process::Command::new(&a64x)
            .arg(guest)
            .env("A64X_CACHE_DIR", cache)
            .env("A64X_NO_EXEC_IN_PLACE", "1"),
    );
    assert_eq!(new_a64x, native, "exec by a new a64x vs the kernel's");
    let log = std::env::temp_dir().join(format!("a64x-exec-in-place-{}", std::process::id()));
    let execs = |no_in_place: bool| {
        let mut cmd = std::process::Command::new("strace");
        cmd.args(["-f", "-qq", "-e", "trace=execve,execveat", "-o"])
            .arg(&log)
            .arg(&a64x)
            .arg(guest)
            .env("A64X_CACHE_DIR", cache);
        if no_in_place {
            cmd.env("A64X_NO_EXEC_IN_PLACE", "1");
        }
        output(&mut cmd);
        let text = std::fs::read_to_string(&log).expect("strace log");
        text.lines()
            .filter(|l| l.contains("exec") && l.ends_with("= 0"))
            .count()
    };
    assert_eq!(
        (execs(false), execs(true)),
        (1, 5),
        "host execs: in place, by new a64x processes"
    );
    let _ = std::fs::remove_file(&log);
}
