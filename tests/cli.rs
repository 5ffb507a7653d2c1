//! The command line: each qemu-user option a64x takes (`-E`, `-U`, `-0`, `-s`, `-cpu`, `-strace`,
//! `-version`), by its flag and by its `A64X_*` variable, checked by its effect on
//! test-binaries/src/env.c; `--help` and the README list every option; `--binfmt-conf` and
//! `--binfmt-status` (registration itself is tests/binfmt.rs); and, opt-in with
//! `A64X_TEST_STATIC=1`, scripts/build-static.sh.

mod common;

use common::{Ending, RunResult};
use std::ffi::OsString;
use std::io::Write;
use std::time::Duration;

/// `-cpu max`: FP, ASIMD, AES, PMULL, SHA1, SHA2, CRC32, ATOMICS, ASIMDRDM, JSCVT, LRCPC, ASIMDDP,
/// ILRCPC, FLAGM, SHA3, SHA512, ASIMDFHM, DIT, SSBS, SB; AT_HWCAP2: FLAGM2, FRINT, I8MM, BF16, RNG.
const MAX_HWCAP: u64 = 1
    | 1 << 1
    | 0b1111 << 3
    | 1 << 7
    | 1 << 8
    | 1 << 9
    | 1 << 10
    | 1 << 12
    | 1 << 13
    | 1 << 15
    | 1 << 17
    | 1 << 20
    | 1 << 21
    | 1 << 23
    | 1 << 26
    | 1 << 24
    | 1 << 27
    | 1 << 28
    | 1 << 29;
const MAX_HWCAP2: u64 = 1 << 7 | 1 << 8 | 1 << 13 | 1 << 14 | 1 << 16;

/// Runs `env VARS... a64x ARGS...` in test-binaries/ (so `out/env-O2` names the test program).
fn a64x_env(vars: &[&str], args: &[&str]) -> RunResult {
    let (bin, extra) = common::a64x_command();
    let mut full: Vec<OsString> = vars.iter().map(OsString::from).collect();
    full.push(bin);
    full.extend(extra);
    full.extend(args.iter().map(OsString::from));
    common::run_with_timeout(
        "env".as_ref(),
        &full,
        &common::test_binaries(),
        None,
        Duration::from_secs(30),
    )
}

/// Runs `a64x ARGS...` in test-binaries/.
fn a64x(args: &[&str]) -> RunResult {
    a64x_env(&[], args)
}

/// The test program that prints its argv, environment, HWCAPs and stack size.
fn env_prog() -> &'static str {
    common::build_test_binaries();
    "out/env-O2"
}

fn describe(r: &RunResult) -> String {
    format!(
        "{}\n--- stdout:\n{}--- stderr:\n{}---",
        r.ending,
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    )
}

/// stdout of a run that must succeed.
fn ok(r: &RunResult) -> String {
    assert_eq!(r.ending, Ending::Exit(0), "{}", describe(r));
    String::from_utf8_lossy(&r.stdout).into_owned()
}

/// A usage error: clap's exit status 2, `error:` on stderr naming `word`, nothing on stdout.
fn usage_error(r: &RunResult, word: &str) {
    assert_eq!(r.ending, Ending::Exit(2), "{}", describe(r));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.starts_with("error:") && err.contains(word), "{}", describe(r));
    assert!(r.stdout.is_empty(), "{}", describe(r));
}

/// The value of `key=0x...` in env.c's output.
fn hex(out: &str, key: &str) -> u64 {
    let v = out
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key}= in:\n{out}"));
    u64::from_str_radix(v.trim_start_matches("0x"), 16).unwrap_or(0)
}

#[test]
fn set_and_unset_guest_environment() {
    let p = env_prog();
    let out = ok(&a64x(&[
        "-E", "FOO=a,b", "-E", "BAR=1", "-U", "HOME", p, "FOO", "BAR", "HOME", "LANG",
    ]));
    assert_eq!(out, "FOO=a,b\nBAR=1\nHOME unset\nLANG=C\n");
    // The variables take comma-separated lists, as QEMU_SET_ENV and QEMU_UNSET_ENV do.
    let out = ok(&a64x_env(
        &["A64X_SET_ENV=FOO=1,BAR=2", "A64X_UNSET_ENV=HOME,LANG"],
        &[p, "FOO", "BAR", "HOME", "LANG"],
    ));
    assert_eq!(out, "FOO=1\nBAR=2\nHOME unset\nLANG unset\n");
    // -E overrides a variable a64x inherited; -U of a variable that is not there is fine.
    let out = ok(&a64x(&["-E", "HOME=/x", "-U", "NO_SUCH", p, "HOME"]));
    assert_eq!(out, "HOME=/x\n");
    usage_error(&a64x(&["-E", "NOEQUALS", p]), "NOEQUALS");
}

#[test]
fn argv0() {
    let p = env_prog();
    let out = ok(&a64x(&["-0", "myname", p, "-a"]));
    assert_eq!(out, "argc=2\nargv[0]=myname\nargv[1]=-a\n");
    let out = ok(&a64x_env(&["A64X_ARGV0=fromenv"], &[p, "-a"]));
    assert_eq!(out, "argc=2\nargv[0]=fromenv\nargv[1]=-a\n");
    let out = ok(&a64x(&[p, "-a"]));
    assert_eq!(out, format!("argc=2\nargv[0]={p}\nargv[1]=-a\n"));
}

#[test]
fn stack_size() {
    let p = env_prog();
    assert_eq!(ok(&a64x(&[p, "-s"])), "stack=8192K\n");
    assert_eq!(ok(&a64x(&["-s", "256K", p, "-s"])), "stack=256K\n");
    assert_eq!(ok(&a64x(&["-s", "100000", p, "-s"])), "stack=100K\n");
    assert_eq!(ok(&a64x_env(&["A64X_STACK_SIZE=16M"], &[p, "-s"])), "stack=16384K\n");
    usage_error(&a64x(&["-s", "1K", p]), "64K");
    usage_error(&a64x(&["-s", "lots", p]), "lots");
}

#[test]
fn cpu_help_lists_the_features() {
    for spelling in [&["-cpu", "help"][..], &["--cpu=help"], &["--cpu", "?"]] {
        let out = ok(&a64x(spelling));
        assert!(out.contains("max"), "{out}");
        for f in [
            "fp", "asimd", "aes", "pmull", "sha1", "sha2", "crc32", "atomics", "fphp", "asimdhp", "asimdrdm", "lrcpc",
            "asimddp", "flagm", "flagm2", "frint", "jscvt", "ilrcpc", "sha3", "sha512", "rng", "sb", "dit", "ssbs",
            "i8mm", "asimdfhm", "bf16",
        ] {
            assert!(
                out.lines().any(|l| l.trim_start().starts_with(&format!("{f} "))),
                "{f}:\n{out}"
            );
        }
    }
}

#[test]
fn cpu_features_turned_off_leave_hwcap() {
    let p = env_prog();
    let out = ok(&a64x(&[p, "-x"]));
    assert_eq!(
        (hex(&out, "hwcap"), hex(&out, "hwcap2")),
        (MAX_HWCAP, MAX_HWCAP2),
        "{out}"
    );
    let out = ok(&a64x(&["-cpu", "max,-atomics,-crc32", p, "-x"]));
    assert_eq!(hex(&out, "hwcap"), MAX_HWCAP & !(1 << 7 | 1 << 8), "{out}");
    assert_eq!(hex(&out, "hwcap2"), MAX_HWCAP2, "{out}");
    let out = ok(&a64x_env(&["A64X_CPU=max,flagm2=off,-lrcpc"], &[p, "-x"]));
    assert_eq!(hex(&out, "hwcap"), MAX_HWCAP & !(1 << 15), "{out}");
    assert_eq!(hex(&out, "hwcap2"), MAX_HWCAP2 & !(1 << 7), "{out}");
    // glibc picks its memcpy and atomics from HWCAP: the program must still run the same.
    let out = ok(&a64x(&["--cpu", "max,-atomics", "out/hello-O2"]));
    assert!(out.starts_with("Hello"), "{out}");
    usage_error(&a64x(&["-cpu", "max,-sve", p]), "sve");
    usage_error(&a64x(&["-cpu", "max,-fp", p]), "fp");
    usage_error(&a64x(&["-cpu", "cortex-a99", p]), "cortex-a99");
}

/// A feature turned off is gone from the CPU, not only from HWCAP: its instructions are
/// unallocated and raise SIGILL, as on a core without it (the decoder's rows carry their
/// feature), while the rest run. Checked against qemu-aarch64 for the models both know, and for
/// single features turned off against what the Arm ARM says of a core without them.
#[test]
fn features_turned_off_raise_sigill() {
    common::build_test_binaries();
    let p = "out/cpu_features-O2";
    for model in ["cortex-a53", "cortex-a72", "neoverse-n1"] {
        let ours = ok(&a64x(&["-cpu", model, p]));
        let theirs = common::run_with_timeout(
            &common::qemu_command(),
            &["-cpu".into(), model.into(), p.into()],
            &common::test_binaries(),
            None,
            Duration::from_secs(30),
        );
        assert_eq!(ours, ok(&theirs), "-cpu {model}");
        assert!(
            ours.contains("cfinv trapped 1") && ours.contains("fjcvtzs trapped 1"),
            "{ours}"
        );
    }
    let out = ok(&a64x(&[
        "-cpu",
        "max,-crc32,-flagm2,-fphp,-asimdhp,-asimdfhm,-jscvt,-pmull,-asimddp,-i8mm,-bf16",
        p,
    ]));
    assert_eq!(
        out,
        "crc32 advertised 0: crc32b trapped 1, crc32cx trapped 1\n\
         flagm advertised 1: cfinv trapped 0, rmif trapped 0, setf8 trapped 0\n\
         flagm2 advertised 0: axflag trapped 1, xaflag trapped 1\n\
         fphp advertised 0: fadd h trapped 1\n\
         asimdhp advertised 0: fadd 8h trapped 1, fmla h[0] trapped 1\n\
         asimdfhm advertised 0: fmlal trapped 1\n\
         frint advertised 1: frint32z trapped 0, frint32z 4s trapped 0\n\
         jscvt advertised 0: fjcvtzs trapped 1\n\
         lrcpc advertised 1: ldapr trapped 0\n\
         pmull advertised 0: pmull 1q trapped 1\n\
         asimddp advertised 0: sdot trapped 1, sdot b[0] trapped 1\n\
         asimdrdm advertised 1: sqrdmlah trapped 0, sqrdmlah s[0] trapped 0\n\
         i8mm advertised 0: usdot trapped 1, sudot b[0] trapped 1\n\
         bf16 advertised 0: bfdot trapped 1, bfdot h[0] trapped 1\n\
         base: madd trapped 0\n"
    );
    let out = ok(&a64x(&[p]));
    assert!(!out.contains("trapped 1"), "{out}");
}

/// The models qemu's users name: an Armv8.0 core with crypto and CRC32 (a Raspberry Pi 4's
/// Cortex-A72: /proc/cpuinfo `fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid`, less the two
/// a64x does not advertise), and a Neoverse-N1 as far as a64x has its features.
#[test]
fn cpu_models() {
    let p = env_prog();
    let out = ok(&a64x(&["-cpu", "cortex-a72", p, "-x"]));
    assert_eq!((hex(&out, "hwcap"), hex(&out, "hwcap2")), (0xfb, 0), "{out}");
    // fp asimd aes pmull sha1 sha2 crc32 atomics fphp asimdhp asimdrdm lrcpc asimddp ssbs.
    let out = ok(&a64x(&["-cpu", "neoverse-n1", p, "-x"]));
    let n1 = 0xfb | 1 << 8 | 1 << 9 | 1 << 10 | 1 << 12 | 1 << 15 | 1 << 20 | 1 << 28;
    assert_eq!((hex(&out, "hwcap"), hex(&out, "hwcap2")), (n1, 0), "{out}");
    // glibc takes its plain Armv8.0 routines then, and the program runs the same.
    let out = ok(&a64x(&["-cpu", "cortex-a53", "out/hello-O2"]));
    assert!(out.starts_with("Hello"), "{out}");
    let help = ok(&a64x(&["-cpu", "help"]));
    for model in [
        "max",
        "cortex-a53",
        "cortex-a57",
        "cortex-a72",
        "cortex-a76",
        "neoverse-n1",
    ] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(&format!("{model} "))),
            "{help}"
        );
    }
}

/// Scripts written for qemu-aarch64 set QEMU_* variables: each is read where a64x's own is unset,
/// and a64x's wins where both are.
#[test]
fn qemu_variables_are_read_when_a64x_ones_are_unset() {
    let p = env_prog();
    let out = ok(&a64x_env(
        &["QEMU_SET_ENV=FOO=1,BAR=2", "QEMU_UNSET_ENV=HOME"],
        &[p, "FOO", "BAR", "HOME"],
    ));
    assert_eq!(out, "FOO=1\nBAR=2\nHOME unset\n");
    let out = ok(&a64x_env(&["QEMU_SET_ENV=FOO=q", "A64X_SET_ENV=FOO=a"], &[p, "FOO"]));
    assert_eq!(out, "FOO=a\n");
    assert_eq!(ok(&a64x_env(&["QEMU_STACK_SIZE=16M"], &[p, "-s"])), "stack=16384K\n");
    let out = ok(&a64x_env(&["QEMU_ARGV0=fromqemu"], &[p, "-a"]));
    assert_eq!(out, "argc=2\nargv[0]=fromqemu\nargv[1]=-a\n");
    let out = ok(&a64x_env(&["QEMU_CPU=cortex-a72"], &[p, "-x"]));
    assert_eq!(hex(&out, "hwcap"), 0xfb, "{out}");
    let out = ok(&a64x_env(&["QEMU_CPU=cortex-a72", "A64X_CPU=max"], &[p, "-x"]));
    assert_eq!(hex(&out, "hwcap"), MAX_HWCAP, "{out}");
    let r = a64x_env(&["QEMU_STRACE=1"], &["out/hello-O2"]);
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("write(1,"),
        "{}",
        describe(&r)
    );
    // QEMU_LD_PREFIX: where the dynamic loader is looked for.
    let r = a64x_env(&["QEMU_LD_PREFIX=/nonexistent-sysroot"], &["out/hello-dynamic"]);
    assert_eq!(r.ending, Ending::Exit(1), "{}", describe(&r));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("/nonexistent-sysroot/lib/ld-linux-aarch64.so.1"), "{err}");
    // QEMU_GDB is tests/gdb.rs's.
}

#[test]
fn strace_single_dash_and_guest_arguments_untouched() {
    let p = env_prog();
    for flag in ["-strace", "--strace"] {
        let r = a64x(&[flag, p, "X"]);
        assert_eq!(ok(&r), "X unset\n");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("exit_group("), "{flag}: {}", describe(&r));
    }
    let r = a64x_env(&["A64X_STRACE=1"], &[p, "X"]);
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("exit_group("),
        "{}",
        describe(&r)
    );
    // After PROGRAM, qemu's spellings belong to the guest.
    let r = a64x(&[p, "-strace", "-cpu", "-version"]);
    assert_eq!(ok(&r), "-strace unset\n-cpu unset\n-version unset\n");
    assert!(r.stderr.is_empty(), "{}", describe(&r));
}

#[test]
fn strace_prints_the_run_loops_signal_calls_from_the_table() {
    // sig_ill.c installs handlers and returns from 101 of them: the signal syscalls the run loop
    // carries out print like every other call, and none counts as unimplemented.
    let r = a64x_env(&["A64X_DEBUG=unimp"], &["--strace", "out/sig_ill-O2"]);
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert!(err.contains("rt_sigaction(SIGILL, 0x"), "{}", describe(&r));
    assert!(err.matches("rt_sigreturn() = ").count() >= 100, "{}", describe(&r));
    assert!(err.contains("rt_sigprocmask(0, NULL, 0x"), "{}", describe(&r));
    assert!(!err.contains("unimp: syscall 139"), "{}", describe(&r));
    assert!(!err.contains("unsupported syscall"), "{}", describe(&r));
}

/// `--stats` goes to the VM's stderr as it was at the start, though the guest closed its own and
/// opened a file in its place (descriptor 2), as `ls` closes its stderr at exit.
#[test]
fn stats_reach_the_vms_stderr_after_the_guest_closes_its_own() {
    common::build_test_binaries();
    let r = a64x(&["--stats", "out/close_stderr-O2"]);
    assert_eq!(ok(&r), "stderr closed, /dev/null opened as 2\n");
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("guest instructions translated"), "{}", describe(&r));
}

#[test]
fn version() {
    for flag in ["-version", "--version", "-V"] {
        let out = ok(&a64x(&[flag]));
        assert_eq!(out, format!("a64x {}\n", env!("CARGO_PKG_VERSION")), "{flag}");
    }
}

#[test]
fn one_insn_per_tb() {
    // One instruction per block: the translation counters show as many blocks as instructions
    // (translated, not placed from the suite's persistent cache).
    let r = a64x_env(&["A64X_STATS=1"], &["--no-cache", "-one-insn-per-tb", "prebuilt/hello"]);
    let out = ok(&r);
    assert!(out.contains("Hello"), "{}", describe(&r));
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    let stats = err
        .lines()
        .find(|l| l.contains("blocks"))
        .unwrap_or_default()
        .to_string();
    let counters = stats.split_once(": ").map_or("", |(_, c)| c);
    let nums: Vec<u64> = counters
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|t| t.parse().ok())
        .collect();
    assert!(
        nums.len() >= 2 && nums[0] == nums[1] && nums[0] > 100,
        "stats line: {stats}"
    );
}

/// The entry point of the ELF file at `path` (e_entry).
fn elf_entry(path: &str) -> u64 {
    let bytes = std::fs::read(common::test_binaries().join(path)).expect("read test program");
    u64::from_le_bytes(bytes[24..32].try_into().unwrap())
}

/// A fresh path for a `-D` log.
fn log_path(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("a64x-cli-{}-{name}.log", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn debug_log_to_file_with_filter() {
    let entry = elf_entry("prebuilt/hello_asm");
    // -d in_asm,ir,out_asm -D FILE: the log goes to the file, the program's output is untouched.
    let log = log_path("all");
    let r = a64x(&[
        "-d",
        "in_asm,ir,out_asm",
        "-D",
        log.to_str().unwrap(),
        "prebuilt/hello_asm",
    ]);
    assert!(ok(&r).contains("Hello"), "{}", describe(&r));
    assert!(!String::from_utf8_lossy(&r.stderr).contains("IN:"), "{}", describe(&r));
    let text = std::fs::read_to_string(&log).expect("-D wrote no file");
    assert!(text.contains(&format!("IN: {entry:#x}")), "{text}");
    assert!(text.contains(&format!("OUT: {entry:#x} -> ")), "{text}");
    assert!(
        text.contains("svc") || text.contains("Svc"),
        "no guest svc in in_asm/ir:\n{text}"
    );
    let blocks = text.matches("IN: ").count();
    assert!(blocks >= 2, "{text}");
    // -dfilter (qemu's spelling) with the entry block only; the variable spelling for -D.
    let log = log_path("filter");
    let r = a64x_env(
        &[&format!("A64X_LOG_FILE={}", log.display())],
        &[
            "-d",
            "in_asm",
            "-dfilter",
            &format!("{entry:#x}+4"),
            "prebuilt/hello_asm",
        ],
    );
    ok(&r);
    let text = std::fs::read_to_string(&log).expect("A64X_LOG_FILE wrote no file");
    assert_eq!(text.matches("IN: ").count(), 1, "{text}");
    assert!(text.starts_with(&format!("IN: {entry:#x}\n")), "{text}");
    // A range that holds no block: nothing is logged.
    let r = a64x_env(&["A64X_DFILTER=0x10..0x20"], &["-d", "in_asm", "prebuilt/hello_asm"]);
    assert!(!String::from_utf8_lossy(&r.stderr).contains("IN:"), "{}", describe(&r));
    usage_error(&a64x(&["-dfilter", "0x20..0x10", "prebuilt/hello_asm"]), "dfilter");
    let _ = std::fs::remove_file(log);
}

#[test]
fn debug_log_exec_and_cpu() {
    // Every block run is logged (chaining is off), the first at the entry point with the
    // registers the kernel starts a static program with: all zero, sp set.
    let entry = elf_entry("prebuilt/hello_asm");
    let r = a64x(&["-d", "exec,cpu", "prebuilt/hello_asm"]);
    assert!(ok(&r).contains("Hello"), "{}", describe(&r));
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    let traces: Vec<&str> = err.lines().filter(|l| l.starts_with("Trace: ")).collect();
    assert!(traces.len() >= 2, "{err}");
    assert_eq!(traces[0], format!("Trace: {entry:#018x}"), "{err}");
    assert!(err.contains(&format!(" PC={entry:016x} X00=0000000000000000")), "{err}");
    assert_eq!(err.matches("PSTATE=").count(), traces.len(), "{err}");
    // The same loop run chained and unchained: the trace sees every iteration.
    let r = a64x(&["-d", "exec", "out/arith-O2"]);
    let chained = a64x(&["out/arith-O2"]);
    assert_eq!(r.stdout, chained.stdout, "{}", describe(&r));
    let runs = String::from_utf8_lossy(&r.stderr)
        .lines()
        .filter(|l| l.starts_with("Trace: "))
        .count();
    assert!(runs > 100, "only {runs} blocks traced");
}

#[test]
fn debug_log_unimp() {
    // Each unimplemented syscall, every time (the plain note is once per number), with its pc.
    let r = a64x(&["-d", "unimp", "out/enosys-O2"]);
    let out = ok(&r);
    assert!(out.contains("syscall(1000) = -1, errno ENOSYS"), "{}", describe(&r));
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert_eq!(err.matches("unimp: syscall 244 ").count(), 2, "{err}");
    assert_eq!(err.matches("a64x: unsupported syscall 244 ").count(), 1, "{err}");
    assert_eq!(err.matches("unimp: syscall ").count(), 5, "{err}");
    // Undefined instructions: sig_ill.c executes 100 and skips each from its SIGILL handler.
    let r = a64x_env(&["A64X_DEBUG=unimp"], &["out/sig_ill-O2"]);
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert!(
        err.matches("unimp: undefined instruction 0x").count() >= 100,
        "{}",
        describe(&r)
    );
    // Without -d unimp, neither.
    let r = a64x(&["out/sig_ill-O2"]);
    assert!(
        !String::from_utf8_lossy(&r.stderr).contains("unimp:"),
        "{}",
        describe(&r)
    );
}

/// Every option, as `--help` spells it, and its variable.
const OPTIONS: &[(&str, Option<&str>)] = &[
    ("--sysroot", Some("A64X_LD_PREFIX")),
    ("--strace", Some("A64X_STRACE")),
    ("--stats", Some("A64X_STATS")),
    ("--cache-dir", Some("A64X_CACHE_DIR")),
    ("--no-cache", Some("A64X_NO_CACHE")),
    ("--max-block-insns", Some("A64X_MAX_BLOCK_INSNS")),
    ("-d", Some("A64X_DEBUG")),
    ("-D", Some("A64X_LOG_FILE")),
    ("--dfilter", Some("A64X_DFILTER")),
    ("-0", Some("A64X_ARGV0")),
    ("-E", Some("A64X_SET_ENV")),
    ("-U", Some("A64X_UNSET_ENV")),
    ("-s", Some("A64X_STACK_SIZE")),
    ("--cpu", Some("A64X_CPU")),
    ("--perfmap", Some("A64X_PERFMAP")),
    ("--profile", Some("A64X_PROFILE")),
    ("--profile-counts", Some("A64X_PROFILE_COUNTS")),
    ("--jitdump", Some("A64X_JITDUMP")),
    ("--flamegraph", Some("A64X_FLAMEGRAPH")),
    ("--install-binfmt", None),
    ("--uninstall-binfmt", None),
    ("--binfmt-status", None),
    ("--binfmt-conf", None),
    ("--binfmt-name", None),
    ("--binfmt-interpreter", None),
    ("--binfmt-flags", None),
];

#[test]
fn help_and_readme_list_every_option() {
    let help = ok(&a64x(&["--help"]));
    let readme = std::fs::read_to_string(common::root().join("README.md")).expect("read README.md");
    for (opt, var) in OPTIONS {
        let in_help = help
            .lines()
            .any(|l| l.trim_start().split([',', ' ', '[']).any(|w| w == *opt));
        assert!(in_help, "--help does not list {opt}:\n{help}");
        assert!(readme.contains(&format!("`{opt}")), "README.md does not list {opt}");
        if let Some(var) = var {
            assert!(help.contains(var), "--help does not name {var}");
            assert!(readme.contains(var), "README.md does not name {var}");
        }
    }
    for qemu in ["-strace", "-cpu", "-version", "-dfilter"] {
        assert!(help.contains(qemu), "--help does not mention {qemu}");
        assert!(readme.contains(qemu), "README.md does not mention {qemu}");
    }
}

#[test]
fn binfmt_conf_prints_a_binfmt_d_line() {
    let out = ok(&a64x(&[
        "--binfmt-conf",
        "--binfmt-name",
        "arm64",
        "--binfmt-interpreter",
        "/usr/local/bin/a64x",
        "--binfmt-flags",
        "PF",
    ]));
    let line = out.lines().find(|l| !l.starts_with('#')).unwrap_or_default();
    assert_eq!(
        line,
        r":arm64:M::\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/local/bin/a64x:PF"
    );
    // Without --binfmt-interpreter: the absolute path of this a64x.
    let out = ok(&a64x(&["--binfmt-conf"]));
    let (bin, _) = common::a64x_command();
    let bin = std::fs::canonicalize(bin).expect("canonical a64x path");
    assert!(out.contains(&format!(":{}:\n", bin.display())), "{out}");
    // Bad settings: one a64x: line, exit status 1.
    for bad in [
        &["--binfmt-conf", "--binfmt-flags", "X"][..],
        &["--binfmt-conf", "--binfmt-name", "a/b"],
        &["--binfmt-conf", "--binfmt-interpreter", "relative/a64x"],
    ] {
        let r = a64x(bad);
        assert_eq!(r.ending, Ending::Exit(1), "{bad:?}: {}", describe(&r));
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(
            err.starts_with("a64x: ") && err.lines().count() == 1,
            "{bad:?}: {}",
            describe(&r)
        );
    }
    usage_error(&a64x(&["--binfmt-conf", "--binfmt-status"]), "--binfmt");
    usage_error(&a64x(&["--binfmt-conf", "out/env-O2"]), "PROGRAM");
}

#[test]
fn binfmt_status_of_an_absent_entry() {
    let r = a64x(&["--binfmt-status", "--binfmt-name", "a64x-no-such-entry"]);
    assert_eq!(r.ending, Ending::Exit(1), "{}", describe(&r));
    assert!(
        String::from_utf8_lossy(&r.stdout).contains("not registered"),
        "{}",
        describe(&r)
    );
}

/// scripts/build-static.sh, opt-in (`A64X_TEST_STATIC=1`): a full release build for another
/// target, minutes on a small machine. The static a64x must run a program.
#[test]
fn static_build() {
    if std::env::var_os("A64X_TEST_STATIC").is_none_or(|v| v != "1") {
        // Straight to stderr: the test harness would swallow eprintln! of a passing test.
        let _ = writeln!(
            std::io::stderr(),
            "tests/cli.rs static_build: not run (set A64X_TEST_STATIC=1 to build with scripts/build-static.sh)"
        );
        return;
    }
    // With this process's environment: the script needs cargo on PATH.
    let script = common::root().join("scripts/build-static.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .current_dir(common::root())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run bash scripts/build-static.sh");
    assert!(
        out.status.success(),
        "scripts/build-static.sh: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = common::root().join("target/x86_64-unknown-linux-gnu/release/a64x");
    let desc = std::process::Command::new("file")
        .arg("-b")
        .arg(&bin)
        .output()
        .expect("run file");
    let desc = String::from_utf8_lossy(&desc.stdout);
    assert!(desc.contains("static"), "{}: {desc}", bin.display());
    let r = common::run_with_timeout(
        bin.as_os_str(),
        &[OsString::from("prebuilt/hello")],
        &common::test_binaries(),
        None,
        Duration::from_secs(30),
    );
    assert!(ok(&r).starts_with("Hello"), "{}", describe(&r));
}

#[test]
fn check_mode_passes_atomics() {
    // A64X_CHECK runs each block as emitted code and through the interpreter: LSE atomics and CAS
    // change shared memory on the first run, so checking them reported false mismatches.
    common::build_test_binaries();
    let checked = a64x_env(&["A64X_CHECK=1"], &["--max-block-insns=1", "out/lse-O2"]);
    let plain = a64x(&["out/lse-O2"]);
    assert_eq!(ok(&checked), ok(&plain), "{}", describe(&checked));
}
