//! `--strace` (issue 6): the output has strace's shape — `name(args) = result` per call, errors as
//! `-1 ENAME (message)`, `exit_group(N) = ?` — and every row of the syscall table has a printer.

mod common;

use a64x_syscalls::strace::format_call;
use a64x_syscalls::table::TABLE;
use std::process::Command;

/// One strace line: `name(args) = result`, where result is a number, an address, `?`, or
/// `-1 ENAME (text)`.
fn strace_shaped(line: &str) -> bool {
    let Some((call, result)) = line.rsplit_once(") = ") else {
        return false;
    };
    let Some((name, _args)) = call.split_once('(') else {
        return false;
    };
    let name_ok = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let result_ok = result == "?"
        || result.parse::<i64>().is_ok()
        || (result.starts_with("0x") && u64::from_str_radix(&result[2..], 16).is_ok())
        || (result.starts_with("-1 E") && result.ends_with(')') && result.contains(" ("));
    name_ok && result_ok
}

#[test]
fn strace_output_has_straces_shape() {
    let (a64x, pre) = common::a64x_command();
    let prog = common::root().join("test-binaries/prebuilt/hello");
    let out = Command::new(a64x)
        .args(pre)
        .arg("--strace")
        .arg(&prog)
        .output()
        .expect("a64x runs");
    assert!(out.status.success(), "a64x --strace hello failed: {out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines.len() >= 5, "too few strace lines:\n{err}");
    for l in &lines {
        assert!(strace_shaped(l), "not strace-shaped: {l:?}\nwhole output:\n{err}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("write(1, \"Hello from AArch64!\\n\", 20) = 20")),
        "{err}"
    );
    assert_eq!(lines.last().copied(), Some("exit_group(0) = ?"), "{err}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("= -1 ENOSYS (Function not implemented)")),
        "{err}"
    );
}

#[test]
fn every_syscall_in_the_table_has_a_printer() {
    for row in TABLE {
        let text = format_call(row.nr, [0; 6]);
        assert!(
            text.starts_with(&format!("{}(", row.name)),
            "row {} ({}): {text}",
            row.nr,
            row.name
        );
        assert!(text.ends_with(')'), "row {} ({}): {text}", row.nr, row.name);
        // As strace does, optional arguments (openat's mode without O_CREAT) may be left out.
        let printed = if text.ends_with("()") {
            0
        } else {
            text.matches(", ").count() + 1
        };
        assert!(
            printed <= row.args.len().max(1),
            "row {} ({}): {text}",
            row.nr,
            row.name
        );
    }
}
