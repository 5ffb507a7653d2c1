//! Real Debian arm64 programs, nobody's test programs: busybox (static), coreutils, gzip, xz,
//! bzip2, lua5.4, sqlite3, jq, file and python3.11 (dynamic, with Debian 12's own arm64 glibc),
//! run under a64x and under qemu-aarch64 with `-L SYSROOT`; stdout, stderr and the exit status
//! must be the same. bash, perl and python scripts that exec AArch64 programs are in
//! `debian/scripts.rs`, python's own regression tests in `debian/python_suite.rs`; both run in
//! a private binfmt_misc namespace ([`binfmt_namespace`]). JIT and managed runtimes, Go and Rust
//! programs are in `debian/runtimes.rs`.
//!
//! The sysroot is `scripts/fetch-debian-arm64.sh`'s cache (`$A64X_DEBIAN_ROOT`, default
//! `/var/cache/a64x/debian-arm64`), outside the repository. Each test runs the script first: it
//! returns at once when every package is there, and otherwise downloads them with apt (CI is root
//! and reaches Debian's mirrors). When that fails the test fails: it never skips.
//!
//! qemu-aarch64 (without binfmt_misc) cannot run an AArch64 program that a guest execs: busybox
//! sh execs its applets through /proc/self/exe, which fails under qemu, so busybox then runs the
//! host's x86-64 tools from PATH. Scripts that exec are therefore checked against their known
//! output, under a64x only; the scripts compared with qemu use shell builtins alone.
//!
//! Knobs: `A64X_DEBIAN_ROOT` (the sysroot), `A64X_TEST_FILTER` (only cases whose name contains
//! it), `A64X_TEST_BIN` and `A64X_TEST_QEMU` (as in tests/programs.rs).

mod common;
#[path = "debian/python_suite.rs"]
mod python_suite;
#[path = "debian/runtimes.rs"]
mod runtimes;
#[path = "debian/scripts.rs"]
mod scripts;
#[path = "debian/servers.rs"]
mod servers;

use common::{Ending, RunResult};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Per run: python's start-up under a64x translates much of its code, and a hang must not stall CI.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The sysroot, fetched (or found complete) by scripts/fetch-debian-arm64.sh, and the scratch
/// directory with the input files; set up once per test process.
struct Env {
    sysroot: PathBuf,
    work: PathBuf,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let sysroot = std::env::var_os("A64X_DEBIAN_ROOT")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/var/cache/a64x/debian-arm64"));
        let script = common::root().join("scripts/fetch-debian-arm64.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg(&sysroot)
            .output()
            .expect("cannot run bash scripts/fetch-debian-arm64.sh");
        assert!(
            out.status.success(),
            "scripts/fetch-debian-arm64.sh {} failed ({}); it needs apt-get, root (or sudo) and \
             Debian's package mirrors:\n{}{}",
            sysroot.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("debian");
        make_inputs(&work);
        Env { sysroot, work }
    })
}

/// Writes the input files into `work` (anew, so that no earlier run's output is left over).
fn make_inputs(work: &Path) {
    let _ = std::fs::remove_dir_all(work);
    std::fs::create_dir_all(work).expect("create the scratch directory");
    let write = |name: &str, data: &[u8]| std::fs::write(work.join(name), data).expect("write an input file");
    // 2,000 lines with repeated keys and numbers out of order: something to sort and compress.
    let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];
    let lines: String = (0..2000u32)
        .map(|i| {
            format!(
                "{:05} {} line {}\n",
                (i * 7919) % 10007,
                words[(i * 5 % 8) as usize],
                i % 97
            )
        })
        .collect();
    write("in.txt", lines.as_bytes());
    write(
        "words.txt",
        b"the quick brown fox jumps over the lazy dog\nThe Dog barks; the fox runs.\n\
          tab\tseparated\tfields here\nthe end\n",
    );
    write(
        "data.json",
        br#"{"name": "a64x", "version": [0, 1, 2], "ok": true, "pi": 3.14159,
            "items": [{"name": "x", "n": 3}, {"name": "y", "n": 1}, {"name": "z", "n": 2.5}],
            "text": "caf\u00e9 \"quoted\"", "nothing": null}"#,
    );
    write("script.sh", b"#!/bin/sh\necho hello\n");
    // 240 phony targets, each a /bin/sh child: GNU make -j waits for them in pselect with SIGCHLD
    // unblocked only by pselect's mask (the idiom a wait that dropped the mask hangs on).
    let targets: Vec<String> = (1..=240).map(|i| format!("t{i}")).collect();
    let makefile = format!(
        "T := {}\n.PHONY: all $(T)\nall: $(T)\n\t@echo \"all $(words $(T)) jobs done\"\n$(T):\n\t@test -n \"$@\" && : $@\n",
        targets.join(" ")
    );
    write("Makefile.jobs", makefile.as_bytes());
    // A small C project for gcc-12 and make -j2 inside the guest (cc1, as, collect2 and ld are
    // all AArch64 programs the build execs): objects built in parallel, linked, then run.
    std::fs::create_dir_all(work.join("cc")).expect("create cc/");
    write("cc/common.h", b"int f1(int), f2(int), f3(int), f4(int);\n");
    for i in 1..=4 {
        let src = format!(
            "#include <stdio.h>\n#include <string.h>\n#include \"common.h\"\n\
             int f{i}(int n) {{ char b[64]; snprintf(b, sizeof b, \"%d-%x\", n * {i}, n); return (int)strlen(b) + n; }}\n"
        );
        write(&format!("cc/m{i}.c"), src.as_bytes());
    }
    write(
        "cc/main.c",
        b"#include <stdio.h>\n#include \"common.h\"\nint main(void) { long s = 0; for (int i = 0; i < 1000; i++) \
          s += f1(i) * f2(i) - f3(i) + f4(i); printf(\"sum %ld\\n\", s); return 0; }\n",
    );
    write(
        "cc/Makefile",
        b"CC = gcc-12\nOBJS = main.o m1.o m2.o m3.o m4.o\nrun: prog\n\t./prog\nprog: $(OBJS)\n\t$(CC) -o $@ $(OBJS)\n\
          %.o: %.c common.h\n\t$(CC) -O2 -Wall -c $< -o $@\n",
    );
    // The smallest PNG header `file` recognises: signature, IHDR of a 1x1 RGBA image.
    write(
        "img.png",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89",
    );
    write("empty", b"");
    // 65,537 pseudo-random bytes (xorshift): for the ciphers and digests, with an odd tail.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let noise: Vec<u8> = (0..65_537)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    write("rand.bin", &noise);
    write("blocks.bin", &noise[..65_536]);
    write(
        "query.sql",
        b"create table t(id integer primary key, name text, v real);\n\
          insert into t(name, v) values ('a', 1.5), ('b', 2.25), ('c', -3.125), ('d', 1e10);\n\
          select id, name, v, v * 2 from t order by v;\n\
          with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000)\n\
          select sum(x), avg(x), total(x * 0.5), group_concat(x % 7, '') from c where x < 40;\n\
          select printf('%.6f|%e|%5d|%-4s|', 22.0 / 7, 12345.678, 42, 'ab'), upper('abc'), length('h\xc3\xa9llo');\n\
          select round(2.5), round(-2.5), 7 / 2, 7 % 3, 7.0 / 2, 1e308 * 10, -(1e308 * 10), cast('12abc' as integer);\n\
          select json_object('a', 1, 'b', json_array(1, 2.5, 'x')), json_extract('{\"k\": [5, 6]}', '$.k[1]');\n\
          create index ix on t(name);\n\
          select count(*), min(v), max(v), avg(v) from t where name > 'a';\n\
          select hex(zeroblob(4)), quote(x'00ff'), typeof(1), typeof(1.0), typeof('1'), typeof(null);\n\
          select substr('abcdef', 2, 3), replace('aaa', 'a', 'bb'), instr('hello', 'll'), trim('  x  ') || '|';\n\
          select * from t where name like 'B%' or v between 2 and 3;\n\
          .mode line\n\
          select name, v from t where id = 2;\n",
    );
    // A directory for `ls -l`: fixed names, modes and times; ls is run with numeric ids and a
    // year-only time style, so the output depends on nothing of the host's but block counts.
    let dir = work.join("lsdir");
    std::fs::create_dir_all(dir.join("sub")).expect("create lsdir");
    std::fs::write(dir.join("a.txt"), "some text\n").expect("write");
    std::fs::write(dir.join("b.sh"), "#!/bin/sh\n").expect("write");
    std::fs::write(dir.join("sub/deep"), vec![b'x'; 5000]).expect("write");
    std::os::unix::fs::symlink("a.txt", dir.join("link")).expect("symlink");
    for (name, mode) in [
        ("a.txt", 0o644),
        ("b.sh", 0o755),
        ("sub", 0o750),
        ("sub/deep", 0o600),
        (".", 0o755),
    ] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    // Directories last: creating their entries changed their times.
    for (name, when) in [
        ("a.txt", "2001-02-03 04:05:06"),
        ("b.sh", "1999-12-31 23:59:59"),
        ("link", "2010-01-01 00:00:00"),
        ("sub/deep", "2020-06-07 08:09:10"),
        ("sub", "2021-01-01 00:00:00"),
        (".", "2022-01-01 00:00:00"),
    ] {
        let st = Command::new("touch")
            .args(["-h", "-d", when])
            .arg(dir.join(name))
            .status()
            .expect("run touch");
        assert!(st.success(), "touch -d {when} lsdir/{name} failed");
    }
}

/// One program run: `sysroot/prog args...` in the scratch directory, stdin from a file there.
struct Case {
    name: String,
    /// The program, relative to the sysroot (`usr/bin/sort`).
    prog: &'static str,
    args: Vec<String>,
    stdin: Option<&'static str>,
    /// Run in a private user and mount namespace with its own binfmt_misc, where qemu-aarch64 is
    /// registered for AArch64 programs (see [`binfmt_namespace`]), so that the guest can exec
    /// AArch64 programs under qemu too.
    binfmt: bool,
    /// The working directory, relative to the scratch directory (empty: the scratch directory).
    dir: String,
    /// Environment variables (`VAR=VALUE`) for the guest, given to a64x and qemu with `-E`.
    env: Vec<String>,
    timeout: Duration,
    /// The oracle for this case where it is not `common::qemu_command()` (a newer qemu-aarch64
    /// for a program Debian 12's cannot run).
    qemu: Option<PathBuf>,
}

fn case(name: &str, prog: &'static str, args: &[&str]) -> Case {
    Case {
        name: name.to_string(),
        prog,
        args: args.iter().map(|s| s.to_string()).collect(),
        stdin: None,
        binfmt: false,
        dir: String::new(),
        env: Vec::new(),
        timeout: TIMEOUT,
        qemu: None,
    }
}

/// The qemu-aarch64 that is `c`'s oracle.
fn qemu_of(c: &Case) -> OsString {
    c.qemu
        .clone()
        .map_or_else(common::qemu_command, PathBuf::into_os_string)
}

/// `c` with `VAR=VALUE` in the guest's environment.
fn with_env(mut c: Case, var: &str) -> Case {
    c.env.push(var.to_string());
    c
}

/// `c`, run in the binfmt_misc namespace (see [`binfmt_namespace`]).
fn with_binfmt(mut c: Case) -> Case {
    c.binfmt = true;
    c
}

/// The shell script that runs in the new namespace: mounts a binfmt_misc instance of its own
/// (Linux 6.7 and later give each user namespace one), registers `$1` when it is not empty,
/// then execs the rest of its arguments.
const NAMESPACE_SCRIPT: &str = "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || exit 125; \
     if [ -n \"$1\" ]; then printf %s \"$1\" > /proc/sys/fs/binfmt_misc/register || exit 125; fi; \
     shift; exec \"$@\"";

/// `unshare`'s arguments for the namespace, up to [`NAMESPACE_SCRIPT`]'s own (`$1`, the
/// registration, then the command).
const UNSHARE: [&str; 7] = [
    "--user",
    "--map-root-user",
    "--mount",
    "sh",
    "-c",
    NAMESPACE_SCRIPT,
    "sh",
];

/// Checks, once, that a user and mount namespace with its own binfmt_misc can be made here,
/// with a clear message when it cannot.
fn check_namespace() {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| {
        let out = Command::new("unshare").args(UNSHARE).args(["", "true"]).output();
        match out {
            Ok(o) if o.status.success() => {}
            o => panic!(
                "cannot make a user and mount namespace with its own binfmt_misc \
                 (`unshare --user --map-root-user --mount`, then `mount -t binfmt_misc`; needs \
                 util-linux, unprivileged user namespaces or root, and Linux 6.7 or later): {o:?}"
            ),
        }
    });
}

/// qemu-aarch64 without binfmt_misc cannot run an AArch64 program that its guest execs (a64x
/// can: it starts itself again). Cases that exec AArch64 programs therefore run both a64x and
/// qemu in a private user and mount namespace (`unshare --user --map-root-user --mount`) with
/// its own binfmt_misc instance, nothing of the host's touched: for qemu it registers AArch64
/// ELF files (qemu's magic and mask) with a wrapper script that runs `qemu-aarch64 -L SYSROOT`,
/// for a64x nothing (a64x must not need binfmt_misc). Returns the command prefix for the runner.
fn binfmt_namespace(oracle: Option<OsString>) -> Vec<OsString> {
    check_namespace();
    static WRAPPERS: Mutex<Vec<(OsString, PathBuf)>> = Mutex::new(Vec::new());
    let wrapper = |qemu: OsString| -> PathBuf {
        let mut wrappers = WRAPPERS.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, path)) = wrappers.iter().find(|(q, _)| *q == qemu) {
            return path.clone();
        }
        let e = env();
        let n = wrappers.len();
        // The wrapper runs with the guest's environment, which may have no PATH.
        let abs = if Path::new(&qemu).is_absolute() {
            PathBuf::from(&qemu)
        } else {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|d| d.join(&qemu))
                .find(|p| p.is_file())
                .unwrap_or_else(|| panic!("{} not found in PATH: run scripts/test-all.sh", qemu.to_string_lossy()))
        };
        let path = e
            .work
            .parent()
            .expect("work has a parent")
            .join(format!("qemu-aarch64-binfmt-{n}"));
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\n# binfmt_misc flag P: PROGRAM ARGV0 ARGS...\n\
                 p=$1; a0=$2; shift 2; exec '{}' -L '{}' -0 \"$a0\" \"$p\" \"$@\"\n",
                abs.display(),
                e.sysroot.display()
            ),
        )
        .expect("write the qemu wrapper");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod the wrapper");
        wrappers.push((qemu, path.clone()));
        path
    };
    let register = if let Some(qemu) = oracle {
        format!(
            ":a64x-test-qemu:M::{}:{}:{}:FP",
            "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00",
            "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff",
            wrapper(qemu).display()
        )
    } else {
        String::new()
    };
    UNSHARE
        .iter()
        .map(OsString::from)
        .chain([OsString::from(register)])
        .collect()
}

fn with_stdin(mut c: Case, file: &'static str) -> Case {
    c.stdin = Some(file);
    c
}

/// Runs `runner runner_args... -L SYSROOT -E TZ=UTC SYSROOT/PROG args...` (a64x and qemu-aarch64 take
/// the same `-L` and `-E`; TZ is set for both so that `date` and friends need no zoneinfo).
fn run(runner: (OsString, Vec<OsString>), c: &Case, oracle: bool) -> RunResult {
    let e = env();
    let (mut bin, mut args) = runner;
    if c.binfmt {
        args.insert(0, bin);
        args.splice(0..0, binfmt_namespace(oracle.then(|| qemu_of(c))));
        bin = OsString::from("unshare");
    }
    args.extend([
        "-L".into(),
        e.sysroot.clone().into_os_string(),
        "-E".into(),
        "TZ=UTC".into(),
    ]);
    for var in &c.env {
        args.extend(["-E".into(), var.into()]);
    }
    args.push(e.sysroot.join(c.prog).into_os_string());
    args.extend(c.args.iter().map(OsString::from));
    common::run_with_timeout(&bin, &args, &e.work.join(&c.dir), c.stdin.map(Path::new), c.timeout)
}

fn selected(name: &str) -> bool {
    std::env::var("A64X_TEST_FILTER").map_or(true, |f| name.contains(&f))
}

/// The first differing line of two outputs, for the report.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    let (mut la, mut lb) = (a.lines(), b.lines());
    for n in 1.. {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (None, None) => return "same lines, different line ends".into(),
            (x, y) => {
                return format!(
                    "line {n}:\n    qemu: {:?}\n    a64x: {:?}",
                    x.unwrap_or("<end>"),
                    y.unwrap_or("<end>")
                )
            }
        }
    }
    unreachable!()
}

/// The case's arguments for a report, long scripts cut short.
fn shown_args(c: &Case) -> String {
    let all = c.args.join(" ").replace('\n', "\\n");
    match all.char_indices().nth(100) {
        Some((i, _)) => format!("{}...", &all[..i]),
        None => all,
    }
}

/// Compares a64x's run of `c` with qemu's; `Err` describes how they differ.
fn compare(c: &Case) -> Result<RunResult, String> {
    compare_both(c).map(|(_, got)| got)
}

/// As [`compare`], with qemu's run and a64x's.
fn compare_both(c: &Case) -> Result<(RunResult, RunResult), String> {
    let oracle = run((qemu_of(c), Vec::new()), c, true);
    let got = run(common::a64x_command(), c, false);
    let mut diffs = Vec::new();
    if oracle.ending != got.ending {
        diffs.push(format!("status: qemu {}, a64x {}", oracle.ending, got.ending));
    }
    for (stream, q, a) in [
        ("stdout", &oracle.stdout, &got.stdout),
        ("stderr", &oracle.stderr, &got.stderr),
    ] {
        if q != a {
            diffs.push(format!(
                "{stream} ({} vs {} bytes), {}",
                q.len(),
                a.len(),
                first_difference(q, a)
            ));
        }
    }
    if diffs.is_empty() {
        Ok((oracle, got))
    } else {
        let tail = |v: &[u8]| String::from_utf8_lossy(&v[v.len().saturating_sub(600)..]).into_owned();
        Err(format!(
            "{}: {}\n  {}\n  a64x stderr (end): {}",
            c.name,
            shown_args(c),
            diffs.join("\n  "),
            tail(&got.stderr)
        ))
    }
}

/// Compares every selected case, reports each mismatch, and fails with a count when any differ.
fn compare_all(group: &str, cases: &[Case]) {
    common::require_tool(&common::qemu_command(), "--version");
    let mut failures = Vec::new();
    let mut passed = 0;
    for c in cases.iter().filter(|c| selected(&c.name)) {
        match compare(c) {
            Ok(_) => passed += 1,
            Err(e) => failures.push(e),
        }
    }
    finish(group, passed, failures);
}

fn finish(group: &str, passed: usize, failures: Vec<String>) {
    for f in &failures {
        eprintln!("MISMATCH {f}\n");
    }
    eprintln!("debian {group}: {passed} passed, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "debian {group}: {} of {} differ (see above)",
        failures.len(),
        passed + failures.len()
    );
}

const BUSYBOX: &str = "usr/bin/busybox";

#[test]
fn busybox_applets_match_qemu() {
    env();
    let bb = |name: &str, args: &[&str]| case(&format!("busybox-{name}"), BUSYBOX, args);
    let cases = vec![
        bb("echo", &["echo", "-e", "a\\tb\\nc", "d"]),
        bb("seq", &["seq", "-s", ",", "-w", "8", "3", "40"]),
        bb("sort", &["sort", "-k2,2", "-k1,1nr", "in.txt"]),
        bb("sort-u", &["sort", "-u", "-r", "words.txt"]),
        with_stdin(bb("uniq", &["uniq", "-c"]), "in.txt"),
        bb("wc", &["wc", "in.txt", "words.txt"]),
        with_stdin(bb("tr", &["tr", "a-z", "A-Z"]), "words.txt"),
        with_stdin(bb("tr-d", &["tr", "-cd", "a-f\\n"]), "in.txt"),
        bb("cut", &["cut", "-d", " ", "-f", "2,3", "in.txt"]),
        bb("head", &["head", "-n", "7", "in.txt"]),
        bb("tail", &["tail", "-c", "100", "in.txt"]),
        bb("expr", &["expr", "12345", "*", "6789", "+", "1"]),
        bb("expr-match", &["expr", "foobar.tar.gz", ":", ".*\\.\\(.*\\)"]),
        bb("md5sum", &["md5sum", "in.txt", "words.txt", "empty"]),
        bb("sha256sum", &["sha256sum", "in.txt", "words.txt"]),
        bb("sha512sum", &["sha512sum", "in.txt"]),
        bb(
            "printf",
            &[
                "printf",
                "%05d|%-6s|%x|%o|%c|%s\\n",
                "42",
                "ab",
                "255",
                "8",
                "zeta",
                "end",
            ],
        ),
        bb("basename", &["basename", "/usr/lib/x.so.6", ".6"]),
        bb("dirname", &["dirname", "/usr/lib/x.so.6"]),
        bb("grep", &["grep", "-n", "-E", "^0{2}[0-4].* (alpha|echo) ", "in.txt"]),
        bb("grep-c", &["grep", "-c", "-i", "THE", "words.txt"]),
        bb(
            "sed",
            &[
                "sed",
                "-n",
                "-e",
                "s/\\([0-9]*\\) \\([a-z]*\\)/\\2=\\1/p",
                "-e",
                "10q",
                "in.txt",
            ],
        ),
        bb(
            "awk",
            &[
                "awk",
                "{ n[$2]++; s[$2] += $1 } END { for (k in n) printf \"%s %d %.3f\\n\", k, n[k], s[k] / n[k]; \
                 print length(\"x\\ty\"), substr(\"hello\", 2, 3), 2^31 * 3, 1/7 }",
                "in.txt",
            ],
        ),
        bb(
            "awk-math",
            &[
                "awk",
                "BEGIN { printf \"%d %.6f %.6f %e %s\\n\", int(-7.5), sin(1), exp(2), 1e100, 0.1 + 0.2 }",
            ],
        ),
        bb("od", &["od", "-A", "x", "-t", "x1z", "-N", "64", "in.txt"]),
        bb("missing-file", &["cat", "no-such-file"]),
        bb("unknown-applet", &["no-such-applet"]),
    ];
    compare_all("busybox applets", &cases);
}

/// busybox sh scripts that use only shell builtins (no exec): pipes and subshells fork, which
/// qemu handles, so these are compared with qemu.
#[test]
fn busybox_shell_builtins_match_qemu() {
    env();
    let sh = |name: &str, script: &str| case(&format!("busybox-sh-{name}"), BUSYBOX, &["sh", "-c", script]);
    let cases = vec![
        sh(
            "loops",
            "i=0; s=0; while [ $i -lt 300 ]; do i=$((i + 1)); s=$((s + i * i)); done; echo \"sum=$s\"; \
             for w in alpha beta gamma delta; do case $w in a*) echo \"A $w\";; *ta) echo \"ta $w\";; \
             *) echo \"other $w\";; esac; done; n=10; until [ $n -le 0 ]; do printf '%d ' $n; n=$((n - 3)); done; echo",
        ),
        sh(
            "arith",
            "echo $(( (7 << 3) ^ 0x55 )) $(( -17 / 5 )) $(( -17 % 5 )) $(( 1 << 62 )) $(( 07 + 0x10 )) \
             $(( 5 > 3 && 2 > 1 )) $(( x = 4, x * x )) $(( 9223372036854775807 + 1 ))",
        ),
        sh(
            "functions",
            "f() { local a=$1; shift; echo \"f:$a:$#:$*\"; return 3; }; f one two three; echo \"rc=$?\"; \
             g() { [ $1 -le 1 ] && { echo 1; return; }; echo $(( $1 * $(g $(( $1 - 1 ))) )); }; g 15",
        ),
        sh(
            "subshells",
            "x=$(echo inner; exit 4); echo \"x=$x rc=$?\"; (a=5; echo \"sub a=$a\"; exit 2); echo \"rc=$? a=${a-unset}\"; \
             { echo grouped; echo out; } | while read l; do echo \"got:$l\"; done; \
             echo a b c | { read x y z; echo \"$z$y$x\"; }; echo \"$(echo \"$(echo nested)\")\"",
        ),
        sh(
            "strings",
            "v=hello.tar.gz; echo \"${v%%.*} ${v%.*} ${v#*.} ${v##*.} ${#v} ${v:1:3} ${u:-def} ${v/l/L} ${v//l/L}\"; \
             set -- p q 'r s'; echo \"$# $2 $3\"; for a in \"$@\"; do echo \"[$a]\"; done; \
             IFS=:; set -- $(echo a:b::c); echo \"$#\"; unset IFS; printf '%s|' \"$@\"; echo",
        ),
        sh(
            "heredoc-trap",
            "trap 'echo exit-trap' EXIT; while read -r k v; do echo \"$v=$k\"; done <<EOF\none 1\ntwo 2\nEOF\n\
             test -f in.txt && echo file; [ -d lsdir ] && echo dir; [ abc \\< abd ] && echo less; exit 7",
        ),
        sh("syntax-error", "echo before; if then fi"),
        sh("exit-status", "false; echo $?; ! true; echo $?; (exit 300); echo $?; exit 42"),
    ];
    compare_all("busybox sh", &cases);
}

/// Runs `c` under a64x alone and checks its output against `expected` (scripts that exec, which
/// qemu cannot do; see the header).
fn expect(c: &Case, expected: &str) -> Result<(), String> {
    let got = run(common::a64x_command(), c, false);
    if got.ending == common::Ending::Exit(0) && got.stdout == expected.as_bytes() && got.stderr.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}\n  expected stdout:\n{expected}  a64x: {}\n  stdout:\n{}  stderr:\n{}",
            c.name,
            shown_args(c),
            got.ending,
            String::from_utf8_lossy(&got.stdout),
            String::from_utf8_lossy(&got.stderr)
        ))
    }
}

fn expect_all(group: &str, cases: &[(Case, &str)]) {
    let mut failures = Vec::new();
    let mut passed = 0;
    for (c, expected) in cases.iter().filter(|(c, _)| selected(&c.name)) {
        match expect(c, expected) {
            Ok(()) => passed += 1,
            Err(e) => failures.push(e),
        }
    }
    finish(group, passed, failures);
}

/// busybox sh pipelines of applets: each applet is an exec of busybox through /proc/self/exe,
/// so a64x starts itself again (with the same -L) for each.
#[test]
fn busybox_pipelines_under_a64x() {
    env();
    let sh = |name: &str, script: &str| case(&format!("busybox-pipe-{name}"), BUSYBOX, &["sh", "-c", script]);
    let cases = [
        (
            sh("sort-head", "seq 1 10 | sort -rn | head -3 | tr '\\n' ' '; echo"),
            "10 9 8 \n",
        ),
        (
            sh(
                "uniq-awk",
                "printf 'b\\na\\nb\\nc\\na\\nb\\n' | sort | uniq -c | awk '{ print $2 \"=\" $1 }'",
            ),
            "a=2\nb=3\nc=1\n",
        ),
        (
            sh(
                "tr-sed-cut",
                "echo 'The Quick Brown' | tr a-z A-Z | sed 's/QUICK/SLOW/' | cut -d' ' -f2-",
            ),
            "SLOW BROWN\n",
        ),
        (
            sh("sums", "echo abc | md5sum; echo abc | sha256sum"),
            "0bee89b07a248e27c83fc3d5951213c1  -\n\
             edeaaff3f1774ad2888673770c6d64097e391bc362d7d6fb34982ddf0efd18cb  -\n",
        ),
        (
            sh(
                "awk-sum",
                "seq 1 1000 | awk '{ s += $1 } END { print s }'; grep -c ' line 5$' in.txt",
            ),
            "500500\n21\n",
        ),
        (
            sh(
                "expr-names",
                "expr 6 \\* 7; basename /a/b/c.txt .txt; dirname /a/b/c.txt; seq 5 | tail -n 2 | wc -l",
            ),
            "42\nc\n/a/b\n2\n",
        ),
        (
            sh(
                "status",
                "false | true; echo $?; true | false; echo $?; ls no-such-file 2>/dev/null; echo $?",
            ),
            "0\n1\n1\n",
        ),
        (
            sh(
                "xargs-find",
                "find lsdir -type f | sort | xargs wc -c | sort -n | tail -n 1",
            ),
            "     5020 total\n",
        ),
        // A static program execs a dynamic one: the sysroot's coreutils, found in the sysroot.
        (
            sh(
                "exec-coreutils",
                "/usr/bin/seq 3 | /usr/bin/sort -r | /usr/bin/tr '\\n' ,; echo",
            ),
            "3,2,1,\n",
        ),
    ];
    expect_all("busybox pipelines", &cases);
}

#[test]
fn coreutils_match_qemu() {
    env();
    let cu = |name: &str, prog: &'static str, args: &[&str]| case(&format!("coreutils-{name}"), prog, args);
    let cases = vec![
        cu("seq", "usr/bin/seq", &["-f", "%.3f", "-1", "0.375", "3"]),
        cu("seq-w", "usr/bin/seq", &["-w", "-s", " ", "95", "105"]),
        cu("sort", "usr/bin/sort", &["-t", " ", "-k2,2", "-k1,1n", "in.txt"]),
        cu(
            "sort-threads",
            "usr/bin/sort",
            &["--parallel=2", "-S", "64K", "-r", "in.txt"],
        ),
        cu("sort-uniq", "usr/bin/sort", &["-u", "-f", "words.txt", "words.txt"]),
        cu("sha256sum", "usr/bin/sha256sum", &["in.txt", "words.txt", "empty"]),
        cu("md5sum", "usr/bin/md5sum", &["in.txt"]),
        cu("b2sum", "usr/bin/b2sum", &["in.txt"]),
        cu("cksum", "usr/bin/cksum", &["in.txt", "words.txt"]),
        cu(
            "factor",
            "usr/bin/factor",
            &[
                "1",
                "97",
                "600851475143",
                "18446744073709551557",
                "340282366920938463463374607431768211507",
            ],
        ),
        cu("od", "usr/bin/od", &["-A", "x", "-t", "x1z", "-N", "200", "in.txt"]),
        cu(
            "od-float",
            "usr/bin/od",
            &["-A", "d", "-t", "d4", "-t", "f8", "-N", "32", "in.txt"],
        ),
        cu("ls", "usr/bin/ls", &["-ln", "--time-style=+%Y", "lsdir"]),
        cu(
            "ls-recursive",
            "usr/bin/ls",
            &["-lnaR", "--time-style=+%Y-%m-%d %H:%M:%S", "lsdir"],
        ),
        cu("ls-missing", "usr/bin/ls", &["no-such-dir"]),
        cu(
            "stat",
            "usr/bin/stat",
            &["-c", "%n %s %a %F %Y", "lsdir/a.txt", "lsdir/sub", "lsdir/link"],
        ),
        cu(
            "date",
            "usr/bin/date",
            &["-d", "@1700000000", "+%Y-%m-%d %H:%M:%S %Z %A %j %s"],
        ),
        cu(
            "date-parse",
            "usr/bin/date",
            &["-d", "2024-02-29 13:14:15 +0200", "+%s %F %T %u"],
        ),
        cu("base64", "usr/bin/base64", &["words.txt"]),
        with_stdin(cu("tr", "usr/bin/tr", &["-s", "a-z ", "A-Z_"]), "words.txt"),
        cu("wc", "usr/bin/wc", &["in.txt", "words.txt"]),
        cu("cut", "usr/bin/cut", &["-d", " ", "-f", "2", "--complement", "in.txt"]),
        cu("numfmt", "usr/bin/numfmt", &["--to=iec", "1234567", "999999999", "1"]),
        cu(
            "printf",
            "usr/bin/printf",
            &["%08.3f|%x|%s|%e|%g\\n", "3.14159", "255", "abc", "12345.678", "0.0001"],
        ),
        cu("expr", "usr/bin/expr", &["123456789", "*", "987654321"]),
        cu("tac", "usr/bin/tac", &["words.txt"]),
        cu("nl", "usr/bin/nl", &["words.txt"]),
        cu("fold", "usr/bin/fold", &["-w", "17", "words.txt"]),
        cu("shuf", "usr/bin/shuf", &["--random-source=in.txt", "-n", "8", "in.txt"]),
        cu("uname", "usr/bin/uname", &["-s", "-m"]),
        cu("cat-missing", "usr/bin/cat", &["words.txt", "no-such-file"]),
    ];
    compare_all("coreutils", &cases);
}

/// gzip, xz (also with two threads) and bzip2: compress `in.txt` (output compared with qemu's),
/// then decompress a64x's output (compared with qemu's decompression of it, and with in.txt).
#[test]
fn compressors_round_trip() {
    env();
    common::require_tool(&common::qemu_command(), "--version");
    let original = std::fs::read(env().work.join("in.txt")).expect("read in.txt");
    let mut failures = Vec::new();
    let mut passed = 0;
    let tools: [(&str, &'static str, &[&str], &[&str]); 4] = [
        (
            "gzip",
            "usr/bin/gzip",
            &["-9", "-n", "-c", "in.txt"],
            &["-d", "-c", "out.gzip"],
        ),
        (
            "xz",
            "usr/bin/xz",
            &["-6", "-T1", "-c", "in.txt"],
            &["-d", "-c", "out.xz"],
        ),
        (
            "xz-threads",
            "usr/bin/xz",
            &["-1", "-T2", "--block-size=8KiB", "-c", "in.txt"],
            &["-d", "-c", "out.xz-threads"],
        ),
        (
            "bzip2",
            "usr/bin/bzip2",
            &["-9", "-c", "in.txt"],
            &["-d", "-c", "out.bzip2"],
        ),
    ];
    for (name, prog, compress, decompress) in tools {
        if !selected(name) {
            continue;
        }
        let packed = match compare(&case(&format!("{name}-compress"), prog, compress)) {
            Ok(r) => {
                passed += 1;
                r.stdout
            }
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        std::fs::write(env().work.join(format!("out.{name}")), &packed).expect("write the compressed file");
        match compare(&case(&format!("{name}-decompress"), prog, decompress)) {
            Ok(r) if r.stdout == original => passed += 1,
            Ok(r) => failures.push(format!(
                "{name}-decompress: the output ({} bytes) is not in.txt ({} bytes)",
                r.stdout.len(),
                original.len()
            )),
            Err(e) => failures.push(e),
        }
    }
    finish("compressors", passed, failures);
}

const LUA: &str = r##"
local t = {} for i = 1, 10 do t[i] = i * i end
print(table.concat(t, ","))
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print(fib(24), 2^53, 7 // 2, 7.0 // 2, 7 % 3, -7 % 3, -7 // 2, math.maxinteger, math.mininteger, math.maxinteger + 1)
print(1 / 3, math.pi, math.sqrt(2), -0.0, 1e308 * 10, math.huge // 1, 0/0 ~= 0/0, 3 | 5, 3 ~ 5, ~0, 1 << 63, -1 >> 1)
print(string.format("%.10g %5.3f %x %q %s %-5d|", 1e100, 2.5, 255, "a\nb", nil, 42))
local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
print(co(), co(), co())
print(("hello world"):gsub("o", "0"), ("abc"):rep(3, "-"), ("x=1, y=22"):match("y=(%d+)"), utf8.char(72, 228, 8364))
print(pcall(function() error("boom") end))
print(pcall(function() local x = nil; return x.y end))
print(select("#", 1, nil, 3), tonumber("0x10"), tonumber("1e3"), tonumber("z", 36), math.type(1), math.type(1.0), 10 // 0.0)
table.sort(t, function(a, b) return a > b end) print(t[1], t[10], #t)
local keys = {} for k in pairs({a = 1, b = 2, c = 3}) do keys[#keys + 1] = k end table.sort(keys) print(table.concat(keys))
print(#string.pack("i4dz", 1, 2.0, "ab"), string.unpack("<i2", "\255\255"), math.tointeger(3.0), math.fmod(-7, 3))
local s = 0 for i = 1, 200000 do s = s + i % 7 * 0.5 end print(s)
print(collectgarbage("count") > 0, string.rep("ab", 3):upper():reverse())
"##;

const PYTHON: &str = r##"
import re, zlib, hashlib, struct, collections, itertools, math, binascii, base64, random, heapq, datetime, threading
random.seed(42)
print([random.randint(0, 100) for _ in range(5)], random.random(), random.choice("abcdef"))
print(hashlib.sha256(b"abc").hexdigest(), hashlib.md5(b"abc").hexdigest())
print(hashlib.sha3_256(b"x").hexdigest()[:16], hashlib.blake2b(b"x", digest_size=8).hexdigest(), hashlib.sha512(b"").hexdigest()[:16])
data = b"hello " * 1000 + bytes(range(256))
c = zlib.compress(data, 9)
print(len(c), zlib.crc32(data), zlib.adler32(data), zlib.decompress(c) == data)
print(re.findall(r"(\w+)@(\w+)\.com", "a@b.com, c@d.com x@y.org"), re.sub(r"\d+", lambda m: str(int(m.group()) * 2), "a1b22c333"))
print(struct.pack("<idh", 1, 2.5, -3).hex(), struct.unpack(">Qf", b"\x01" * 8 + b"\x40\x49\x0f\xdb"))
print(collections.Counter("mississippi").most_common(3), collections.OrderedDict(a=1, b=2))
print(list(itertools.permutations("abc", 2))[:4], list(itertools.accumulate(range(10))))
print(math.factorial(30), math.gcd(2**64, 6**20), math.sqrt(2), math.exp(1), math.log(10), math.atan2(1, -1), math.fsum([0.1] * 10))
print(0.1 + 0.2, 1e300 * 1e10, float("nan") != float("nan"), 2**0.5, -7 // 2, -7 % 2, 10 / 3, round(2.675, 2), float.hex(0.1))
print(2**200 // 3**50, pow(3, 10**5, 10**9 + 7), divmod(-17, 5), int("zz", 36), hex(-255), (12345678901234567890).bit_length())
print(f"{1/3:.15f} {12345.6789:,.2f} {255:#x} {3.5e-7:g} {1e22} {123456789.0:e} {-0.0} {2.5:08.3f}")
print(base64.b64encode(b"\x00\xffabc"), binascii.crc32(b"abc"), binascii.hexlify(b"\x01\x02"))
h = [5, 1, 4, 2, 3]; heapq.heapify(h); print([heapq.heappop(h) for _ in range(5)])
print(datetime.date(2024, 2, 29) + datetime.timedelta(days=366), datetime.datetime(2000, 1, 1, 12, 30).isoformat())
print(sorted({"b": 2, "a": 1}.items()), "straße".upper(), "Ünïcödé".casefold(), len("日本語".encode()), "é".encode("utf-16-le"))
total = []
def work(n):
    total.append(sum(i * i for i in range(n)))
ts = [threading.Thread(target=work, args=(10000 * k,)) for k in range(1, 5)]
for t in ts: t.start()
for t in ts: t.join()
print(sorted(total))
try:
    1 / 0
except ZeroDivisionError as e:
    print("caught", e)
class P:
    def __init__(s, x): s.x = x
    def __repr__(s): return f"P({s.x})"
print(sorted([P(3), P(1), P(2)], key=lambda p: p.x), [x for x in range(30) if x % 7 == 3])
raise SystemExit(3)
"##;

#[test]
fn interpreters_and_tools_match_qemu() {
    env();
    let cases = vec![
        case("lua", "usr/bin/lua5.4", &["-e", LUA]),
        case("lua-error", "usr/bin/lua5.4", &["-e", "local t = nil; print(t.x)"]),
        with_stdin(case("sqlite3", "usr/bin/sqlite3", &["-batch", ":memory:"]), "query.sql"),
        with_stdin(
            case("sqlite3-modes", "usr/bin/sqlite3", &["-batch", "-header", "-column", ":memory:"]),
            "query.sql",
        ),
        case("sqlite3-error", "usr/bin/sqlite3", &["-batch", ":memory:", "select * from nope"]),
        case("jq-pretty", "usr/bin/jq", &[".", "data.json"]),
        case(
            "jq-filter",
            "usr/bin/jq",
            &["-c", ".items | map(select(.n > 1)) | sort_by(-.n) | map(.name), (map(.n) | add)", "data.json"],
        ),
        case("jq-raw", "usr/bin/jq", &["-r", ".items[] | \"\\(.name)\\t\\(.n * 1.5)\", .text, (.version | @csv)", "data.json"]),
        case(
            "jq-math",
            "usr/bin/jq",
            &["-n", "-c", "[range(0; 10)] | add, (reduce .[] as $x (1; . * 2)), 1 / 3, pow(2; 0.5), (\"é\" | @base64, @uri, length), ([3, 1, 2] | sort), 1e1000"],
        ),
        case("jq-sorted", "usr/bin/jq", &["-S", "-c", ".", "data.json"]),
        case("jq-error", "usr/bin/jq", &[".items | .foo", "data.json"]),
        case("file", "usr/bin/file", &["in.txt", "data.json", "script.sh", "img.png", "empty", "lsdir", "lsdir/link"]),
        case("file-mime", "usr/bin/file", &["-b", "--mime", "in.txt", "img.png", "script.sh"]),
        case("file-elf", "usr/bin/file", &["-b", "-L", "/usr/bin/busybox", "/usr/bin/sort", "/lib/ld-linux-aarch64.so.1"]),
        case("python", "usr/bin/python3.11", &["-S", "-c", PYTHON]),
        case("python-site", "usr/bin/python3.11", &["-c", "import sys; print(sys.version_info[:2], sys.prefix, sys.byteorder, sys.maxsize)"]),
        case("python-error", "usr/bin/python3.11", &["-c", "def f(): return {}['k']\nf()"]),
    ];
    compare_all("interpreters and tools", &cases);
}

const OPENSSL: &str = "usr/bin/openssl";
const KEY128: &str = "000102030405060708090a0b0c0d0e0f";
const KEY256: &str = "000102030405060708090a0b0c0d0e0ff0e0d0c0b0a090807060504030201000";
const IV: &str = "0f0e0d0c0b0a09080706050403020100";
/// GMAC (GHASH: PMULL; AES-CTR for the tag) of rand.bin.
const GMAC: &[&str] = &[
    "mac",
    "-cipher",
    "AES-128-GCM",
    "-macopt",
    "hexkey:000102030405060708090a0b0c0d0e0f",
    "-macopt",
    "hexiv:000102030405060708090a0b",
    "-in",
    "rand.bin",
    "GMAC",
];

/// OpenSSL's digests, ciphers and GMAC, which pick the AES, PMULL, SHA1 and SHA2 instructions
/// from AT_HWCAP (OPENSSL_armcap is not set: the environment is cleared): compared with qemu,
/// ciphertexts decrypted back. Then checks that those instructions did run (a64x's `-d in_asm`),
/// that with the features turned off (`-cpu max,-aes,-pmull,-sha1,-sha2,-sha512`) they do not and the
/// results stay the same, and that `openssl speed` runs.
#[test]
fn openssl_matches_qemu() {
    env();
    common::require_tool(&common::qemu_command(), "--version");
    let original = std::fs::read(env().work.join("rand.bin")).expect("read rand.bin");
    let mut failures = Vec::new();
    let mut passed = 0;
    let digests = [
        case(
            "openssl-sha256",
            OPENSSL,
            &["dgst", "-sha256", "in.txt", "rand.bin", "empty"],
        ),
        case(
            "openssl-sha1",
            OPENSSL,
            &["dgst", "-sha1", "in.txt", "rand.bin", "empty"],
        ),
        case("openssl-sha224", OPENSSL, &["dgst", "-sha224", "-r", "rand.bin"]),
        case(
            "openssl-sha512",
            OPENSSL,
            &["dgst", "-sha512", "in.txt", "rand.bin", "empty"],
        ),
        case("openssl-sha384", OPENSSL, &["dgst", "-sha384", "-r", "rand.bin"]),
        case("openssl-gmac", OPENSSL, GMAC),
    ];
    for c in digests.iter().filter(|c| selected(&c.name)) {
        match compare(c) {
            Ok(_) => passed += 1,
            Err(e) => failures.push(e),
        }
    }
    let ciphers = [
        ("aes-128-cbc", KEY128),
        ("aes-256-ctr", KEY256),
        ("aes-192-ecb", &KEY256[..48]),
    ];
    for (cipher, key) in ciphers {
        let name = format!("openssl-{cipher}");
        if !selected(&name) {
            continue;
        }
        let cipher = format!("-{cipher}");
        let mut args = vec!["enc", &cipher, "-K", key];
        if !cipher.ends_with("ecb") {
            args.extend(["-iv", IV]);
        }
        let enc = [&args[..], &["-in", "rand.bin"]].concat();
        let packed = match compare(&case(&format!("{name}-encrypt"), OPENSSL, &enc)) {
            Ok(r) => {
                passed += 1;
                r.stdout
            }
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let file = format!("out.{name}");
        std::fs::write(env().work.join(&file), &packed).expect("write the ciphertext");
        let dec = [&args[..], &["-d", "-in", &file]].concat();
        match compare(&case(&format!("{name}-decrypt"), OPENSSL, &dec)) {
            Ok(r) if r.stdout == original => passed += 1,
            Ok(r) => failures.push(format!(
                "{name}-decrypt: the output ({} bytes) is not rand.bin ({} bytes)",
                r.stdout.len(),
                original.len()
            )),
            Err(e) => failures.push(e),
        }
    }
    // The instructions OpenSSL runs, from a64x's translation log; and none of them once the
    // features are turned off, with the same output.
    let with_args = |extra: &[&str]| {
        let (bin, mut args) = common::a64x_command();
        args.extend(extra.iter().map(OsString::from));
        (bin, args)
    };
    let checks: [(&str, &[&str], &[&str]); 5] = [
        (
            "sha512",
            &["dgst", "-sha512", "rand.bin"],
            &["Sha512h", "Sha512h2", "Sha512su0", "Sha512su1"],
        ),
        (
            "sha256",
            &["dgst", "-sha256", "rand.bin"],
            &["Sha256h", "Sha256h2", "Sha256su0", "Sha256su1"],
        ),
        (
            "sha1",
            &["dgst", "-sha1", "rand.bin"],
            &["Sha1c", "Sha1p", "Sha1m", "Sha1h", "Sha1su0", "Sha1su1"],
        ),
        (
            "aes-ecb-decrypt",
            &["enc", "-d", "-nopad", "-aes-128-ecb", "-K", KEY128, "-in", "blocks.bin"],
            &["Aesd", "Aesimc"],
        ),
        ("gmac", GMAC, &["Aese", "Aesmc", "Pmull"]),
    ];
    for (name, args, ops) in checks {
        let name = format!("openssl-{name}-hwcap");
        if !selected(&name) {
            continue;
        }
        let c = case(&name, OPENSSL, args);
        let on = run(with_args(&["-d", "in_asm"]), &c, false);
        let off = run(
            with_args(&["-d", "in_asm", "-cpu", "max,-aes,-pmull,-sha1,-sha2,-sha512"]),
            &c,
            false,
        );
        let log = |r: &RunResult| String::from_utf8_lossy(&r.stderr).into_owned();
        // In the log an instruction is its decoded form: `Vec { op: Crypto(Aese), ...`,
        // `Vec { op: Pmull, ...` or `Crypto64 { op: Sha512h, ...`.
        let ran =
            |log: &str, op: &str| log.contains(&format!("op: Crypto({op})")) || log.contains(&format!("op: {op},"));
        let (log_on, log_off) = (log(&on), log(&off));
        let missing: Vec<&str> = ops.iter().copied().filter(|op| !ran(&log_on, op)).collect();
        let present = ["Aese", "Aesd", "Pmull", "Sha1c", "Sha256h", "Sha512h"]
            .into_iter()
            .filter(|op| ran(&log_off, op))
            .collect::<Vec<_>>();
        if on.ending != Ending::Exit(0) || on.stdout.is_empty() || on.stdout != off.stdout || off.ending != on.ending {
            failures.push(format!(
                "{name}: {} with the features, {} without; stdout {} vs {} bytes",
                on.ending,
                off.ending,
                on.stdout.len(),
                off.stdout.len()
            ));
        } else if !missing.is_empty() || !present.is_empty() {
            failures.push(format!(
                "{name}: OpenSSL did not run {missing:?} with the features advertised, or ran {present:?} without"
            ));
        } else {
            passed += 1;
        }
    }
    // `openssl speed` under a64x alone (its numbers are timings); the throughput goes to stderr.
    for (name, args) in [
        (
            "openssl-speed-aes-128-gcm",
            &["speed", "-seconds", "1", "-bytes", "16384", "-evp", "aes-128-gcm"][..],
        ),
        (
            "openssl-speed-sha256",
            &["speed", "-seconds", "1", "-bytes", "16384", "sha256"],
        ),
    ] {
        if !selected(name) {
            continue;
        }
        let r = run(common::a64x_command(), &case(name, OPENSSL, args), false);
        let out = String::from_utf8_lossy(&r.stdout);
        let label = if name.ends_with("gcm") { "AES-128-GCM" } else { "sha256" };
        match out.lines().find(|l| l.starts_with(label)) {
            Some(line) if r.ending == Ending::Exit(0) => {
                eprintln!("{name} under a64x: {line}");
                passed += 1;
            }
            _ => failures.push(format!("{name}: {}; stdout:\n{out}", r.ending)),
        }
    }
    finish("openssl", passed, failures);
}
