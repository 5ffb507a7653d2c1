//! Guest signals that come from outside the guest, which the qemu comparison of
//! tests/programs.rs cannot show: another process sends signals to a64x while the guest waits in
//! `sigsuspend` or in a blocking `read`, with and without guest handlers.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Start `program` (relative to `test-binaries/`) under a64x with piped stdin and stdout.
fn spawn(program: &str, args: &[&str]) -> Child {
    common::build_test_binaries();
    let (cmd, pre) = common::a64x_command();
    let mut cmd = Command::new(cmd);
    // SAFETY: signal(2) between fork and exec, async-signal-safe: a background test run (a shell's
    // `&` job) ignores SIGINT, which the guest would inherit, and SIGINT is what a test sends.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            libc::signal(libc::SIGQUIT, libc::SIG_DFL);
            Ok(())
        });
    }
    cmd.args(pre)
        .arg(program)
        .args(args)
        .current_dir(common::test_binaries())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start a64x")
}

fn send(child: &Child, sig: i32) {
    // SAFETY: signalling our own child process.
    let r = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(r, 0, "kill failed");
}

/// Wait for `child` to end, killing it after 10 s.
fn wait(mut child: Child) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait failed") {
            return status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("guest did not end within 10 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn external_signals_reach_guest_handlers() {
    let mut child = spawn("out/sig_wait-O2", &["wait"]);
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("read ready");
    assert_eq!(line, "ready\n");
    send(&child, libc::SIGUSR1);
    line.clear();
    out.read_line(&mut line).expect("read sigsuspend line");
    assert_eq!(line, "SIGUSR1 in sigsuspend, from another process 1\n");
    // The guest is (or soon will be) in its blocking read; give it time to get there.
    std::thread::sleep(Duration::from_millis(200));
    send(&child, libc::SIGUSR2);
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("read rest");
    assert_eq!(rest, "read returned -1, SIGUSR2 count 1\n");
    let status = wait(child);
    assert_eq!(status.code(), Some(0), "{status}");
}

#[test]
fn external_sigterm_without_handler_kills_guest_blocked_in_read() {
    // `cat` blocks reading its stdin, a pipe kept open and empty.
    let child = spawn("out/cat-O2", &["/dev/stdin"]);
    std::thread::sleep(Duration::from_millis(300));
    send(&child, libc::SIGTERM);
    let status = wait(child);
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status}");
}

#[test]
fn external_sigint_at_default_action_kills_guest_in_sigsuspend() {
    // The guest handles SIGUSR1 and SIGUSR2 but leaves SIGINT at its default: SIGINT ends it.
    let child = spawn("out/sig_wait-O2", &["wait"]);
    std::thread::sleep(Duration::from_millis(300));
    send(&child, libc::SIGINT);
    let status = wait(child);
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status}");
}
