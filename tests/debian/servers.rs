//! A database server as people run one in an arm64 container: PostgreSQL 15's initdb (which
//! starts the server binary through /bin/sh, in bootstrap and single-user modes), the server
//! with its forked processes (System V and POSIX shared memory, semaphores, latches on
//! signalfd-free self-pipes, the parent-death signal), psql over a Unix socket and pgbench with
//! four clients, then a fast shutdown. The results are known answers (sums, counts, lengths of
//! md5 strings), not a run of the code under test.
//!
//! PostgreSQL refuses to run as root, and its tools exec AArch64 programs through the host's
//! /bin/sh (the sysroot has none), so the case runs in a private user and mount namespace with
//! its own binfmt_misc instance where a64x is registered, as the unprivileged user 65534. Making
//! that namespace with that user mapped needs root: elsewhere the test says so and passes
//! without running (CI runs as root).

use super::env;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// What the test's shell script runs as user 65534; `$BIN` is PostgreSQL's bin directory in the
/// sysroot, `$DATA` the cluster's directory, `$SOCK` the socket directory.
const SCRIPT: &str = r#"set -e
"$BIN/initdb" -D "$DATA" -A trust -U postgres --no-sync > "$SOCK/initdb.log" 2>&1
"$BIN/pg_ctl" -D "$DATA" -o "-k $SOCK -p 5499 -c listen_addresses=''" -l "$SOCK/server.log" -w start > /dev/null
q() { "$BIN/psql" -h "$SOCK" -p 5499 -U postgres -Atq -c "$1"; }
q "create table t(a int primary key, b text); insert into t select g, md5(g::text) from generate_series(1, 100000) g; create index on t(b)"
q "select count(*), sum(a), sum(length(b)), count(distinct substr(b, 1, 1)) from t"
q "select a from t where b = md5('77777')"
q "begin; delete from t where a % 2 = 0; rollback; select count(*) from t where a % 2 = 0"
q "select sum(x.a * y.a) from t x join t y on x.a = y.a + 1 where x.a <= 1000"
"$BIN/pgbench" -h "$SOCK" -p 5499 -U postgres -i -s 1 -q postgres > /dev/null 2>&1
"$BIN/pgbench" -h "$SOCK" -p 5499 -U postgres -c 4 -j 2 -t 100 postgres 2>&1 | grep -E '^number of (transactions actually processed|failed transactions)'
q "select count(*) from pgbench_history"
"$BIN/pg_ctl" -D "$DATA" -m fast -w stop > /dev/null
echo stopped
"#;

/// The known answers: 100,000 rows summing to 5,000,050,000, each md5 32 hex digits of 16
/// possible first ones; the row whose b is md5('77777'); the even rows back after the rollback;
/// the sum of a*(a-1) for a = 2..1000 (sum a^2 - sum a = 333,833,500 - 500,500 + 0); four
/// clients of 100 transactions each, none failed, each writing one history row.
const EXPECTED: &str = "100000|5000050000|3200000|16
77777
50000
333333000
number of transactions actually processed: 400/400
number of failed transactions: 0 (0.000%)
400
stopped
";

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn postgresql_initdb_server_psql_and_pgbench() {
    let e = env();
    let bin = e.sysroot.join("usr/lib/postgresql/15/bin");
    assert!(
        bin.join("postgres").exists(),
        "{} missing: scripts/fetch-debian-arm64.sh fetches postgresql-15",
        bin.display()
    );
    if !is_root() {
        println!("postgresql: skipped (making the namespace with user 65534 mapped needs root)");
        return;
    }
    let dir = Path::new("/tmp").join(format!("a64x-pg-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("cache")).expect("create the test directory");
    for d in [dir.clone(), dir.join("cache")] {
        std::os::unix::fs::chown(&d, Some(65534), Some(65534)).expect("chown the test directory");
    }
    let (a64x, _) = super::common::a64x_command();
    let a64x = std::fs::canonicalize(&a64x).expect("the a64x binary's path");
    // Flag F: the kernel opens a64x now, so user 65534 needs no access to its directory.
    let register = format!(
        ":a64x-pg:M::{}:{}:{}:F",
        "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00",
        "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff",
        a64x.display()
    );
    // The namespace is made unmapped; once its shell says so, this (root) process writes its
    // maps, uids and gids 0 to 65535 as outside, which util-linux's --map-users leaves to
    // newuidmap, a package of its own.
    // (The shell that waits lost its capabilities when it was started unmapped: it execs a new
    // one, root in the namespace by then.)
    let inner = "echo ready; read go; exec sh -c \"$STAGE2\"";
    let stage2 = "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || exit 125; \
                  printf %s \"$REGISTER\" > /proc/sys/fs/binfmt_misc/register || exit 125; \
                  exec timeout 300 setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \"$SCRIPT\"";
    let start = Instant::now();
    let mut child = Command::new("unshare")
        .args(["--user", "--mount", "sh", "-c", inner])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LANG", "C")
        .env("TZ", "UTC")
        .env("HOME", "/nonexistent")
        .env("STAGE2", stage2)
        .env("REGISTER", register)
        .env("SCRIPT", SCRIPT)
        .env("BIN", &bin)
        .env("DATA", dir.join("data"))
        .env("SOCK", &dir)
        .env("A64X_LD_PREFIX", &e.sysroot)
        .env("A64X_CACHE_DIR", dir.join("cache"))
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run unshare");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut ready = String::new();
    stdout.read_line(&mut ready).expect("read the namespace's first line");
    assert_eq!(ready, "ready\n", "the namespace's shell did not start");
    for map in ["uid_map", "gid_map"] {
        let path = format!("/proc/{}/{map}", child.id());
        std::fs::write(&path, "0 0 65536\n").unwrap_or_else(|err| panic!("write {path}: {err}"));
    }
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(b"go\n")
        .expect("let the namespace go on");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("read the script's output");
    let out = child.wait_with_output().expect("wait for unshare");
    let elapsed = start.elapsed();
    let stdout = rest;
    let log = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let report = format!(
        "status {}\nstdout:\n{stdout}\nstderr:\n{}\ninitdb.log:\n{}\nserver.log:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        log("initdb.log"),
        log("server.log")
    );
    assert!(
        out.status.code() != Some(125),
        "no binfmt_misc namespace here: {report}"
    );
    assert_eq!(stdout, EXPECTED, "{report}");
    for bad in ["PANIC", "FATAL", "terminated by signal"] {
        assert!(!log("server.log").contains(bad), "{bad} in the server's log: {report}");
    }
    println!(
        "postgresql: initdb, server, psql, pgbench and shutdown in {:.1} s",
        elapsed.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
