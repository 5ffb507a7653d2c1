//! Command-line and loader errors: a64x given something it cannot run must exit non-zero with
//! one clear `a64x: ...` line on stderr (clap's own format for usage errors), never a panic.
//!
//! The checks are generic on purpose (a key word, not the full message), so the wording can
//! improve without touching this file. `A64X_TEST_BIN` replaces the a64x binary as in
//! tests/programs.rs (qemu-aarch64 does not pass these: its messages are not a64x's).

mod common;

use common::{Ending, RunResult};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Runs a64x with `args` in the repository root.
fn a64x(args: &[&std::ffi::OsStr]) -> RunResult {
    let (bin, mut full) = common::a64x_command();
    full.extend(args.iter().map(OsString::from));
    common::run_with_timeout(&bin, &full, &common::root(), None, Duration::from_secs(20))
}

/// A scratch file for this test, under cargo's per-target temporary directory.
fn scratch(name: &str, contents: &[u8]) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bad_input");
    std::fs::create_dir_all(&dir).expect("create scratch directory");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write scratch file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn describe(what: &str, r: &RunResult) -> String {
    format!(
        "a64x on {what}: {}\n--- stdout:\n{}--- stderr:\n{}---",
        r.ending,
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    )
}

/// Checks what every error must be: a normal non-zero exit, nothing on stdout, no panic.
fn assert_failed_cleanly(what: &str, r: &RunResult) {
    let stderr = String::from_utf8_lossy(&r.stderr);
    match r.ending {
        Ending::Exit(c) => assert_ne!(c, 0, "{}", describe(what, r)),
        _ => panic!("expected a normal non-zero exit; {}", describe(what, r)),
    }
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "a64x panicked; {}",
        describe(what, r)
    );
    assert!(r.stdout.is_empty(), "errors belong on stderr; {}", describe(what, r));
}

/// An a64x error: one line, starting with `a64x: `, mentioning one of `keywords`
/// (case-insensitive).
fn assert_error(what: &str, r: &RunResult, keywords: &[&str]) {
    assert_failed_cleanly(what, r);
    let stderr = String::from_utf8_lossy(&r.stderr);
    let text = stderr.trim_end();
    assert!(
        text.starts_with("a64x: ") && !text.contains('\n'),
        "expected a single line starting with `a64x: `; {}",
        describe(what, r)
    );
    let lower = text.to_lowercase();
    assert!(
        keywords.iter().any(|k| lower.contains(&k.to_lowercase())),
        "the message should mention one of {keywords:?}; {}",
        describe(what, r)
    );
}

#[test]
fn missing_file() {
    let r = a64x(&["/nonexistent/a64x-test/no-such-program".as_ref()]);
    assert_error("a missing file", &r, &["No such file"]);
}

#[test]
fn text_file() {
    let path = scratch("not-elf.txt", b"#!/bin/true\nthis is a text file, not an ELF program\n");
    let r = a64x(&[path.as_os_str()]);
    assert_error("a text file", &r, &["ELF"]);
}

#[test]
fn empty_file() {
    let path = scratch("empty", b"");
    let r = a64x(&[path.as_os_str()]);
    assert_error("an empty file", &r, &["ELF", "empty", "truncated"]);
}

#[test]
fn truncated_elf() {
    let hello = common::test_binaries().join("prebuilt/hello");
    let bytes = std::fs::read(&hello).expect("read test-binaries/prebuilt/hello");
    let path = scratch("truncated-elf", &bytes[..100]);
    let r = a64x(&[path.as_os_str()]);
    assert_error("a truncated ELF (100 bytes)", &r, &["ELF", "truncated"]);
}

#[test]
fn x86_64_elf() {
    let native = Path::new("/bin/true");
    assert!(native.exists(), "/bin/true is needed as an x86-64 ELF");
    let r = a64x(&[native.as_os_str()]);
    assert_error("an x86-64 ELF (/bin/true)", &r, &["x86-64", "x86_64"]);
}

/// A minimal 32-bit little-endian ARM executable: ELF header, one PT_LOAD, one `svc #0`.
fn arm32_elf() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(b"\x7fELF");
    v.extend_from_slice(&[1, 1, 1, 0]); // ELFCLASS32, ELFDATA2LSB, EV_CURRENT, ELFOSABI_SYSV
    v.extend_from_slice(&[0; 8]);
    let u16s = |v: &mut Vec<u8>, x: u16| v.extend_from_slice(&x.to_le_bytes());
    let u32s = |v: &mut Vec<u8>, x: u32| v.extend_from_slice(&x.to_le_bytes());
    u16s(&mut v, 2); // e_type = ET_EXEC
    u16s(&mut v, 40); // e_machine = EM_ARM
    u32s(&mut v, 1); // e_version
    u32s(&mut v, 0x8054); // e_entry: the svc below
    u32s(&mut v, 52); // e_phoff
    u32s(&mut v, 0); // e_shoff
    u32s(&mut v, 0x0500_0400); // e_flags: EABI5, hard float
    u16s(&mut v, 52); // e_ehsize
    u16s(&mut v, 32); // e_phentsize
    u16s(&mut v, 1); // e_phnum
    u16s(&mut v, 40); // e_shentsize
    u16s(&mut v, 0); // e_shnum
    u16s(&mut v, 0); // e_shstrndx
    assert_eq!(v.len(), 52);
    u32s(&mut v, 1); // p_type = PT_LOAD
    u32s(&mut v, 0); // p_offset
    u32s(&mut v, 0x8000); // p_vaddr
    u32s(&mut v, 0x8000); // p_paddr
    u32s(&mut v, 88); // p_filesz
    u32s(&mut v, 88); // p_memsz
    u32s(&mut v, 5); // p_flags = R X
    u32s(&mut v, 0x1000); // p_align
    u32s(&mut v, 0xef00_0000); // svc #0
    assert_eq!(v.len(), 88);
    v
}

#[test]
fn arm32_elf_is_rejected() {
    let path = scratch("arm32-elf", &arm32_elf());
    let r = a64x(&[path.as_os_str()]);
    assert_error("a 32-bit ARM ELF", &r, &["32-bit", "ELF32", "32 bit", "AArch32"]);
}

#[test]
fn directory() {
    let r = a64x(&[common::test_binaries().as_os_str()]);
    assert_error("a directory", &r, &["directory"]);
}

#[test]
fn missing_elf_interpreter() {
    // hello-dynamic with its PT_INTERP renamed (same length, NUL-padded) to a loader that exists
    // in no sysroot and not on the host. (tests/dynamic.rs runs the real one.)
    common::build_test_binaries();
    let prog = common::test_binaries().join("out/hello-dynamic");
    let mut bytes = std::fs::read(&prog).unwrap_or_else(|e| panic!("{}: {e}", prog.display()));
    let old: &[u8] = b"/lib/ld-linux-aarch64.so.1\0";
    let new: &[u8] = b"/nonexistent/a64x-ld.so\0\0\0\0";
    assert_eq!(old.len(), new.len());
    let at = bytes
        .windows(old.len())
        .position(|w| w == old)
        .unwrap_or_else(|| panic!("{} names no {old:?}", prog.display()));
    bytes[at..at + new.len()].copy_from_slice(new);
    let path = scratch("no-interpreter", &bytes);
    let r = a64x(&[path.as_os_str()]);
    assert_error("a program whose ELF interpreter is missing", &r, &["interpreter"]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(
        stderr.contains("/nonexistent/a64x-ld.so") && stderr.contains("-L"),
        "should name the interpreter and suggest -L; {}",
        describe("a missing interpreter", &r)
    );
}

#[test]
fn unknown_option() {
    let r = a64x(&["--no-such-option".as_ref()]);
    assert_failed_cleanly("--no-such-option", &r);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(
        stderr.contains("--no-such-option"),
        "the error should name the option; {}",
        describe("--no-such-option", &r)
    );
}

#[test]
fn no_program() {
    let r = a64x(&[]);
    assert_failed_cleanly("no arguments", &r);
    let lower = String::from_utf8_lossy(&r.stderr).to_lowercase();
    assert!(
        lower.contains("usage") || lower.contains("program"),
        "should say that a program is needed; {}",
        describe("no arguments", &r)
    );
}

#[test]
fn help_lists_options() {
    let r = a64x(&["--help".as_ref()]);
    let out = String::from_utf8_lossy(&r.stdout);
    assert_eq!(r.ending, Ending::Exit(0), "{}", describe("--help", &r));
    assert!(
        out.contains("--sysroot") && out.to_lowercase().contains("program"),
        "--help should list --sysroot and the PROGRAM argument; {}",
        describe("--help", &r)
    );
}
