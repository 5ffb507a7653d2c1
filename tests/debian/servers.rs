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

/// nginx 1.22 with a master and two worker processes (fork, epoll, sendfile, accept across
/// processes) serving files to concurrent clients: each response's body must be the file's
/// bytes, a missing file a 404; then a graceful stop (SIGQUIT), after which the master exits 0
/// and the access log holds a line per request.
#[test]
fn nginx_serves_files_to_concurrent_clients() {
    let e = env();
    let nginx = e.sysroot.join("usr/sbin/nginx");
    assert!(
        nginx.exists(),
        "{} missing: scripts/fetch-debian-arm64.sh fetches nginx",
        nginx.display()
    );
    let dir = Path::new("/tmp").join(format!("a64x-nginx-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("html")).expect("create the test directory");
    std::fs::create_dir_all(dir.join("cache")).expect("create the cache directory");
    // Workers of a master started as root run as nobody: the files must be theirs to read.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let big: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.join("html/big.bin"), &big).expect("write big.bin");
    std::fs::write(dir.join("html/index.html"), b"hello from nginx under a64x\n").expect("write index.html");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let d = dir.display();
    let conf = format!(
        "worker_processes 2; pid {d}/nginx.pid; daemon off; error_log {d}/error.log;\n\
         events {{ worker_connections 256; use epoll; }}\n\
         http {{ access_log {d}/access.log; sendfile on; client_body_temp_path {d}/body;\n\
         proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi;\n\
         scgi_temp_path {d}/scgi; server {{ listen 127.0.0.1:{port}; root {d}/html; }} }}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).expect("write nginx.conf");
    let (a64x, a64x_args) = super::common::a64x_command();
    let mut server = Command::new(&a64x)
        .args(a64x_args)
        .arg("-L")
        .arg(&e.sysroot)
        .arg(&nginx)
        .args(["-e", &format!("{d}/error.log"), "-p", &d.to_string(), "-c"])
        .arg(dir.join("nginx.conf"))
        .env("HOME", "/nonexistent")
        .env("A64X_CACHE_DIR", dir.join("cache"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nginx under a64x");
    let get = |path: &str| -> Option<(String, Vec<u8>)> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(30))).ok()?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: a64x\r\n\r\n").ok()?;
        let mut all = Vec::new();
        s.read_to_end(&mut all).ok()?;
        let end = all.windows(4).position(|w| w == b"\r\n\r\n")?;
        let status = String::from_utf8_lossy(&all[..all.iter().position(|&b| b == b'\r')?]).into_owned();
        Some((status, all[end + 4..].to_vec()))
    };
    let start = Instant::now();
    let mut first = None;
    while first.is_none() && start.elapsed().as_secs() < 60 {
        first = get("/");
        if first.is_none() {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    let (status, body) = first.expect("nginx under a64x answers within 60 s");
    assert_eq!(
        (status.as_str(), body.as_slice()),
        ("HTTP/1.1 200 OK", &b"hello from nginx under a64x\n"[..])
    );
    let (status, body) = get("/big.bin").expect("GET /big.bin");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body == big, "big.bin: {} bytes back, {} sent", body.len(), big.len());
    assert_eq!(get("/missing").expect("GET /missing").0, "HTTP/1.1 404 Not Found");
    // 100 clients at once, on 10 threads.
    let answers: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                s.spawn(|| (0..10).all(|_| get("/").is_some_and(|(st, b)| st.ends_with("200 OK") && b.len() == 28)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("client thread")).collect()
    });
    assert!(answers.iter().all(|&ok| ok), "a concurrent request failed: {answers:?}");
    let killed = Command::new("kill").args(["-QUIT", &server.id().to_string()]).status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -QUIT nginx");
    let mut ended = None;
    while ended.is_none() && start.elapsed().as_secs() < 120 {
        ended = server.try_wait().expect("wait for nginx");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    if ended.is_none() {
        let _ = server.kill();
    }
    let mut stderr = String::new();
    if let Some(mut err) = server.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    let status = server.wait().expect("reap nginx");
    let ended = ended.map(|_| status);
    let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
    assert!(
        ended.is_some_and(|s| s.success()),
        "nginx's end: {ended:?}\n{stderr}\n{log}"
    );
    let requests = std::fs::read_to_string(dir.join("access.log"))
        .unwrap_or_default()
        .lines()
        .count();
    assert_eq!(requests, 103, "access log lines\n{log}");
    assert!(!log.contains("[emerg]") && !log.contains("[crit]"), "{log}");
    println!(
        "nginx: 103 requests and a graceful stop in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
