//! Hostile guests: attack programs (`test-binaries/src/hostile_*.c`, marked `//@ hostile`, which
//! `tests/programs.rs` leaves to this file) that try to break out of the VM, one per class. Each
//! prints "contained (...)" per attempt, or "ESCAPED (...)" when the attack got through; a test
//! fails on any escape and when an expected attempt is missing. The VM runs without address-space
//! randomisation (`setarch -R`), so its own binary is at a known address the attacks aim at.
//!
//! Each attack class also runs once with the defence it targets switched off where a switch
//! exists (`A64X_NO_CONFINE`: emitted code unconfined), and must then escape: the marker is real.

mod common;

use goblin::elf::program_header::{PF_W, PT_LOAD};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// Where a PIE executable goes without randomisation (`ELF_ET_DYN_BASE` on x86-64).
const PIE_BASE: u64 = 0x5555_5555_4000;

/// The a64x binary's ELF header and a byte of its writable data, at their addresses under
/// `setarch -R`.
fn vm_targets(a64x: &OsString) -> (u64, u64) {
    let bytes = std::fs::read(a64x).expect("read the a64x binary");
    let elf = goblin::elf::Elf::parse(&bytes).expect("a64x is an ELF file");
    assert_eq!(elf.header.e_type, goblin::elf::header::ET_DYN, "a64x is built as a PIE");
    // The last writable segment: the first is all RELRO (.data.rel.ro, .got), read-only once
    // a64x runs, where a store would fault even if it reached the VM.
    let data = elf
        .program_headers
        .iter()
        .filter(|p| p.p_type == PT_LOAD && p.p_flags & PF_W != 0)
        .max_by_key(|p| p.p_vaddr)
        .expect("a64x has a writable segment");
    (PIE_BASE, PIE_BASE + data.p_vaddr + 64)
}

/// Runs test program `name` under a64x without randomisation, with `env` added; with `targets`,
/// the addresses of [`vm_targets`] are its arguments.
fn attack(name: &str, targets: bool, env: &[(&str, &str)]) -> (String, String) {
    common::build_test_binaries();
    let (a64x, a64x_args) = common::a64x_command();
    let mut args: Vec<OsString> = vec!["x86_64".into(), "-R".into(), a64x.clone()];
    args.extend(a64x_args);
    args.push(format!("out/{name}-O2").into());
    if targets {
        let (ro, rw) = vm_targets(&a64x);
        args.push(format!("{ro:#x}").into());
        args.push(format!("{rw:#x}").into());
        let real = std::fs::canonicalize(&a64x).expect("the a64x binary's path");
        args.push(real.into_os_string());
    }
    let mut cmd: Vec<OsString> = vec!["env".into()];
    cmd.extend(env.iter().map(|(k, v)| OsString::from(format!("{k}={v}"))));
    cmd.push("setarch".into());
    cmd.extend(args);
    let r = common::run_with_timeout(
        &cmd[0],
        &cmd[1..],
        &common::test_binaries(),
        None,
        Duration::from_secs(60),
    );
    (
        String::from_utf8_lossy(&r.stdout).into_owned(),
        format!("{} / {}", r.ending, String::from_utf8_lossy(&r.stderr)),
    )
}

/// Every attempt of `out`: (what, contained).
fn verdicts(out: &str) -> Vec<(&str, bool)> {
    out.lines()
        .filter_map(|l| {
            let (what, rest) = l.split_once(": ")?;
            if rest.starts_with("contained") {
                Some((what, true))
            } else if rest.starts_with("ESCAPED") {
                Some((what, false))
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn vm_memory_is_out_of_reach() {
    let (out, end) = attack("hostile_mem", true, &[]);
    println!("{out}");
    let v = verdicts(&out);
    assert_eq!(
        v.len(),
        63,
        "every attempt reports a verdict; the run ended {end}\n{out}"
    );
    let escaped: Vec<&str> = v.iter().filter(|(_, ok)| !ok).map(|(w, _)| *w).collect();
    assert!(escaped.is_empty(), "escapes: {escaped:?}\n{out}");
    assert!(out.contains("tagged pointer load: reads the guest's word"), "{out}");
}

#[test]
fn unconfined_code_reaches_vm_memory() {
    // The same attack with emitted code unconfined: the plain load reads a64x's ELF header,
    // which shows the marker and the targets are real.
    let (out, end) = attack("hostile_mem", true, &[("A64X_NO_CONFINE", "1")]);
    assert!(
        out.contains("load from the VM's binary: ESCAPED (read the VM's ELF header)"),
        "the unconfined load did not reach the VM's binary (ended {end}):\n{out}"
    );
    assert!(
        out.contains("vector load from the VM's binary: ESCAPED (read the VM's ELF header)"),
        "the unconfined vector load did not reach the VM's binary (ended {end}):\n{out}"
    );
}

/// Runs attack `name` (see [`attack`]) with `env`: its output, after checking that it made
/// `attempts` attempts and all were contained.
fn all_contained(name: &str, targets: bool, env: &[(&str, &str)], attempts: usize) -> String {
    let (out, end) = attack(name, targets, env);
    println!("{out}");
    let v = verdicts(&out);
    assert_eq!(
        v.len(),
        attempts,
        "every attempt reports a verdict; the run ended {end}\n{out}"
    );
    assert!(v.iter().all(|(_, ok)| *ok), "escapes:\n{out}");
    out
}

/// The cache directories `hostile_env` plants through the variables it execs with.
const PLANTED: [&str; 3] = [
    "/tmp/a64x-hostile-env-cache",
    "/tmp/a64x-hostile-env-home",
    "/tmp/a64x-hostile-env-xdg",
];

#[test]
fn a_guest_exec_does_not_configure_the_vm() {
    // (The a64x before this was checked let the exec'd program read the VM's ELF header with
    // A64X_NO_CONFINE=1 in its environment, and ran the library LD_PRELOAD named.)
    for d in PLANTED {
        let _ = std::fs::remove_dir_all(d);
    }
    // A host library whose constructor leaves the file hostile_env looks for.
    let _ = std::fs::remove_file("/tmp/a64x-hostile-env-preloaded");
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile-env");
    std::fs::create_dir_all(&dir).expect("a directory for the library");
    let src = dir.join("preload.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\n__attribute__((constructor)) static void ran(void) {\n\
         FILE *f = fopen(\"/tmp/a64x-hostile-env-preloaded\", \"w\"); if (f) fclose(f); }\n",
    )
    .expect("write the library's source");
    let so = dir.join("preload.so");
    let built = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&so)
        .arg(&src)
        .status()
        .expect("run cc");
    assert!(built.success(), "cc could not build {}", so.display());
    let so = so.to_str().expect("a UTF-8 path");
    let out = all_contained("hostile_env", true, &[("HOSTILE_PRELOAD", so)], 5);
    assert!(
        out.contains("environment kept: yes"),
        "the guest's environment is its own:\n{out}"
    );
}

#[test]
fn vm_signal_handling_is_the_vms() {
    let out = all_contained("hostile_signals", false, &[], 4);
    assert!(
        out.contains("forged SIGSEGV with a fault's si_code: Operation not permitted"),
        "{out}"
    );
}

/// Runs `hostile_exec` with the a64x binary's path (and `extra` arguments for a64x).
fn exec_attack(a64x_flags: &[&str], host_program: Option<&str>) -> String {
    common::build_test_binaries();
    let (a64x, mut a64x_args) = common::a64x_command();
    a64x_args.extend(a64x_flags.iter().map(OsString::from));
    let real = std::fs::canonicalize(&a64x).expect("the a64x binary's path");
    let mut args = a64x_args;
    args.push("out/hostile_exec-O2".into());
    args.push(real.into_os_string());
    if let Some(p) = host_program {
        args.push(p.into());
    }
    let r = common::run_with_timeout(&a64x, &args, &common::test_binaries(), None, Duration::from_secs(60));
    let out = String::from_utf8_lossy(&r.stdout).into_owned();
    println!("{out}{}", String::from_utf8_lossy(&r.stderr));
    out
}

#[test]
fn the_translator_never_runs_natively_for_the_guest() {
    let out = exec_attack(&[], None);
    assert!(
        !out.contains("a64x 0."),
        "a64x ran natively with the guest's arguments:\n{out}"
    );
    let v = verdicts(&out);
    assert!(v.len() >= 3, "every attempt reports a verdict:\n{out}");
    assert!(v.iter().all(|(_, ok)| *ok), "escapes:\n{out}");
}

#[test]
fn vm_descriptors_and_process_files_are_the_guests() {
    common::build_test_binaries();
    let (a64x, mut args) = common::a64x_command();
    let real = std::fs::canonicalize(&a64x).expect("the a64x binary's path");
    args.push("out/hostile_proc-O2".into());
    args.push(real.into_os_string());
    let r = common::run_with_timeout(&a64x, &args, &common::test_binaries(), None, Duration::from_secs(60));
    let out = String::from_utf8_lossy(&r.stdout).into_owned();
    println!("{out}{}", String::from_utf8_lossy(&r.stderr));
    let v = verdicts(&out);
    assert_eq!(
        v.len(),
        26,
        "every attempt reports a verdict; the run ended {}\n{out}",
        r.ending
    );
    let escaped: Vec<&str> = v.iter().filter(|(_, ok)| !ok).map(|(w, _)| *w).collect();
    assert!(escaped.is_empty(), "escapes: {escaped:?}\n{out}");
}

#[test]
fn no_host_exec_refuses_host_programs() {
    let out = exec_attack(&["--no-host-exec"], Some("/bin/true"));
    assert!(
        out.contains("exec of a host program: contained (Exec format error)"),
        "--no-host-exec let a host program run:\n{out}"
    );
    let out = exec_attack(&[], Some("/bin/true"));
    assert!(
        !out.contains("exec of a host program: contained"),
        "host programs run by default:\n{out}"
    );
}

#[test]
fn racing_munmap_never_crashes_the_vms_copies_or_pair_helpers() {
    common::build_test_binaries();
    let (a64x, mut args) = common::a64x_command();
    args.push("out/hostile_race-O2".into());
    args.push("50000".into());
    let r = common::run_with_timeout(&a64x, &args, &common::test_binaries(), None, Duration::from_secs(60));
    let out = String::from_utf8_lossy(&r.stdout);
    assert_eq!(
        r.ending,
        common::Ending::Exit(0),
        "the VM did not survive: {}\n{out}",
        r.ending
    );
    assert!(out.starts_with("survived: 50000 calls"), "{out}");
    assert!(out.contains("other errors: 0"), "{out}");
    // The pair helpers' accesses race the same munmap: guest SIGSEGVs, no VM fault.
    assert!(out.contains("pair instructions survived: 50000"), "{out}");
}

/// Execs carried out in a64x's own host process (`a64x::inplace`), abused
/// (`test-binaries/src/hostile_inplace.c`): beside a thread that runs on (the new program has
/// one thread), of a file that only claims to be an AArch64 program (the exec fails with
/// ENOEXEC, as the kernel's does), with path, argv and envp at unmapped pages and in the VM's
/// memory (EFAULT, 8 ways), and a chain of 50 under a storm of SIGWINCH (handled by each
/// program, arriving while the VM tears one down and starts the next): runs to its end.
#[test]
fn execs_in_place_end_other_threads_and_bad_programs() {
    let (out, err) = attack("hostile_inplace", false, &[]);
    let v = verdicts(&out);
    assert_eq!(v.len(), 5, "every attempt reports a verdict:\n{out}{err}");
    assert!(out.contains("before the point of no return"), "{out}");
    assert!(v.iter().all(|(_, ok)| *ok), "escapes:\n{out}");
}

/// A chain of 400 execs, each carried out in place, leaves the host process as large as a chain
/// of 2 does: its memory, descriptors and mappings, as the host sees them while the last program
/// waits (a program's leftovers would add up to hundreds of MiB, descriptors or mappings).
#[test]
fn an_exec_chain_in_place_does_not_grow_the_host_process() {
    use std::io::BufRead;
    common::build_test_binaries();
    let (a64x, pre) = common::a64x_command();
    let measure = |n: u32| {
        let mut child = std::process::Command::new(&a64x)
            .args(&pre)
            .args(["out/hostile_inplace-O2", "chain", &n.to_string()])
            .current_dir(common::test_binaries())
            .env("A64X_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/tcache"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start a64x");
        let mut line = String::new();
        let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        out.read_line(&mut line).expect("read");
        assert_eq!(line, "chain done\n");
        let proc = PathBuf::from(format!("/proc/{}", child.id()));
        let status = std::fs::read_to_string(proc.join("status")).expect("status");
        let rss_kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .expect("VmRSS");
        let fds = std::fs::read_dir(proc.join("fd")).expect("fd").count();
        let maps = std::fs::read_to_string(proc.join("maps"))
            .expect("maps")
            .lines()
            .count();
        drop(child.stdin.take());
        assert!(child.wait().expect("wait").success());
        (rss_kib, fds, maps)
    };
    let (short, long) = (measure(2), measure(400));
    println!("host process after 2 execs: {short:?} (KiB resident, descriptors, mappings); after 400: {long:?}");
    assert!(
        long.0 < short.0 + 32 * 1024,
        "resident memory grew: {short:?} then {long:?}"
    );
    assert_eq!(long.1, short.1, "descriptors");
    assert!(long.2 <= short.2 + 4, "mappings grew: {short:?} then {long:?}");
}
