//! The Debian package (scripts/build-deb.sh) and the container image's registration
//! (packaging/Containerfile): what the package holds (the static a64x, its binfmt.d line with
//! flags F and P, the maintainer scripts, a man page and completions that list every option of
//! `a64x --help`), and, as root where binfmt_misc is reachable, the life of an installation:
//! the container's command registers a64x and an AArch64 program then runs directly; `dpkg -i`
//! installs and registers, `./env-O2` runs through /usr/bin/a64x, `dpkg -r` removes the binary
//! and the entry. Both register the entry name `a64x`, so they are skipped (with a note on stderr)
//! where that name is taken or the package is already installed: not ours to remove.

mod common;

use common::{Ending, RunResult};
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

const ENTRY: &str = "/proc/sys/fs/binfmt_misc/a64x";

/// `program args...` in `cwd` (fixed environment, see `common::run_with_timeout`).
fn run(program: &str, args: &[&str], cwd: &Path) -> RunResult {
    let args: Vec<OsString> = args.iter().map(OsString::from).collect();
    common::run_with_timeout(program.as_ref(), &args, cwd, None, Duration::from_secs(600))
}

fn describe(what: &str, r: &RunResult) -> String {
    format!(
        "{what}: {}\n--- stdout:\n{}--- stderr:\n{}---",
        r.ending,
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    )
}

/// stdout of a run that must succeed.
fn ok(what: &str, r: &RunResult) -> String {
    assert_eq!(r.ending, Ending::Exit(0), "{}", describe(what, r));
    String::from_utf8_lossy(&r.stdout).into_owned()
}

/// `dpkg ARGS...` with root's PATH: dpkg refuses to run without ldconfig and start-stop-daemon
/// in it, and the fixed environment of the other runs has no sbin.
fn dpkg(args: &[&str]) -> RunResult {
    let mut full = vec![
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "dpkg",
    ];
    full.extend_from_slice(args);
    run("env", &full, &common::root())
}

/// The package, built once per test run into the test's target directory; None (with a note)
/// unless `A64X_TEST_STATIC=1` (scripts/test-all.sh sets it), as for tests/cli.rs's static build.
fn deb() -> Option<&'static Path> {
    static DEB: OnceLock<Option<PathBuf>> = OnceLock::new();
    DEB.get_or_init(|| {
        if std::env::var_os("A64X_TEST_STATIC").is_none_or(|v| v != "1") {
            let _ = writeln!(
                std::io::stderr(),
                "tests/package.rs: not run (set A64X_TEST_STATIC=1 to build the package)"
            );
            return None;
        }
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("deb");
        // With this process's environment: the script needs cargo on PATH.
        let r = std::process::Command::new("bash")
            .arg(common::root().join("scripts/build-deb.sh"))
            .arg(&out)
            .current_dir(common::root())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run bash scripts/build-deb.sh");
        let printed = String::from_utf8_lossy(&r.stdout).into_owned();
        assert!(
            r.status.success(),
            "scripts/build-deb.sh: {}\n{printed}{}",
            r.status,
            String::from_utf8_lossy(&r.stderr)
        );
        let path = PathBuf::from(printed.lines().last().unwrap_or_default());
        assert!(path.starts_with(&out) && path.exists(), "no package: {printed}");
        Some(path)
    })
    .as_deref()
}

/// The package's files, extracted into a fresh directory of this name.
fn extracted(deb: &Path, name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the extraction directory");
    let deb = deb.to_string_lossy().into_owned();
    ok(
        "dpkg-deb -x",
        &run("dpkg-deb", &["-x", &deb, &dir.to_string_lossy()], &dir),
    );
    dir
}

/// Every `--long` option `a64x --help` lists.
fn long_options() -> Vec<String> {
    let help = ok(
        "a64x --help",
        &run(env!("CARGO_BIN_EXE_a64x"), &["--help"], &common::root()),
    );
    let mut opts: Vec<String> = help
        .split_whitespace()
        .filter_map(|w| w.strip_prefix("--"))
        .map(|w| {
            w.trim_end_matches([',', '.', ')'])
                .split(['=', '['])
                .next()
                .unwrap_or("")
                .to_string()
        })
        .filter(|w| w.len() > 1 && w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .collect();
    opts.sort();
    opts.dedup();
    assert!(opts.len() > 15, "{opts:?}");
    opts
}

#[test]
fn package_holds_the_static_binary_its_binfmt_entry_and_generated_docs() {
    let Some(deb_path) = deb() else { return };
    let deb = deb_path.to_string_lossy().into_owned();
    let info = ok("dpkg-deb --info", &run("dpkg-deb", &["--info", &deb], &common::root()));
    for field in ["Package: a64x", "Architecture: amd64", "postinst", "prerm"] {
        assert!(info.contains(field), "{field}:\n{info}");
    }
    let dir = extracted(deb_path, "deb-contents");
    let file = ok("file", &run("file", &["-b", "usr/bin/a64x"], &dir));
    assert!(file.contains("static"), "/usr/bin/a64x is not static: {file}");
    // binfmt.d(5): a comment, then `:a64x:M::MAGIC:MASK:/usr/bin/a64x:FP` (AArch64 ELF
    // executables, EI_OSABI and bit 0 of e_type masked off).
    let conf = std::fs::read_to_string(dir.join("usr/lib/binfmt.d/a64x.conf")).expect("binfmt.d/a64x.conf");
    let line = conf.lines().find(|l| l.starts_with(':')).unwrap_or_default();
    assert!(
        line.starts_with(r":a64x:M::\x7f\x45\x4c\x46\x02\x01\x01\x00") && line.contains(r"\x02\x00\xb7\x00:"),
        "{conf}"
    );
    assert!(line.ends_with(":/usr/bin/a64x:FP"), "{conf}");
    assert!(dir.join("usr/lib/a64x/a64x-binfmt").exists());

    // The man page renders and lists every option and the QEMU_* variables.
    let man = ok(
        "man -l",
        &run(
            "sh",
            &["-c", "MANWIDTH=200 man -l usr/share/man/man1/a64x.1.gz 2>&1"],
            &dir,
        ),
    );
    let man = man.replace(['\u{2010}', '\u{2212}'], "-");
    for opt in long_options() {
        assert!(man.contains(&format!("--{opt}")), "man page lacks --{opt}:\n{man}");
    }
    for text in ["ENVIRONMENT", "QEMU_LD_PREFIX", "A64X_CPU", "neoverse-n1", "crc32"] {
        assert!(man.contains(text), "man page lacks {text}:\n{man}");
    }
    // The completions name the options too, and bash can parse its script.
    let bash = "usr/share/bash-completion/completions/a64x";
    ok("bash -n", &run("bash", &["-n", bash], &dir));
    for f in [
        bash,
        "usr/share/zsh/vendor-completions/_a64x",
        "usr/share/fish/vendor_completions.d/a64x.fish",
    ] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
        assert!(text.contains("install-binfmt") && text.contains("sysroot"), "{f}");
    }
}

/// Why the install checks cannot run here, if they cannot.
fn cannot_install() -> Option<String> {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("installing needs root".into());
    }
    if !Path::new("/proc/sys/fs/binfmt_misc/register").exists() {
        return Some("binfmt_misc is not mounted".into());
    }
    if Path::new(ENTRY).exists() {
        return Some(format!("{ENTRY} exists already (not this test's)"));
    }
    let installed = run("dpkg-query", &["-W", "-f=${Status}", "a64x"], &common::root());
    if String::from_utf8_lossy(&installed.stdout).contains("installed") {
        return Some("the a64x package is installed already".into());
    }
    None
}

/// `./env-O2 -a` run directly from the shell: it must be a64x (A64X_STATS prints its counters)
/// that ran it, from `interpreter`.
fn runs_directly(interpreter: &str) {
    let dir = common::test_binaries().join("out");
    let r = run("sh", &["-c", "A64X_STATS=1 ./env-O2 -a"], &dir);
    assert_eq!(ok("./env-O2", &r), "argc=2\nargv[0]=./env-O2\nargv[1]=-a\n");
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("blocks"), "not run by a64x: {err}");
    let status = std::fs::read_to_string(ENTRY).unwrap_or_default();
    assert!(
        status.contains(&format!("interpreter {interpreter}")) && status.contains("flags: PF"),
        "{status}"
    );
}

/// Removes the entry and the package if a failed check left them.
struct CleanUp;

impl Drop for CleanUp {
    fn drop(&mut self) {
        if Path::new(ENTRY).exists() {
            let _ = std::fs::write(ENTRY, "-1");
        }
        let _ = dpkg(&["--purge", "a64x"]);
    }
}

#[test]
fn container_registration_then_package_install_and_removal() {
    if let Some(why) = cannot_install() {
        let _ = writeln!(std::io::stderr(), "tests/package.rs: install checks SKIPPED: {why}");
        return;
    }
    let Some(deb_path) = deb() else { return };
    common::build_test_binaries();
    let deb = deb_path.to_string_lossy().into_owned();
    let _clean = CleanUp;

    // The image's command, as `docker run --privileged` runs it: the static a64x registers
    // itself with F, so the entry outlives the container (here: the file is deleted after).
    let containerfile = std::fs::read_to_string(common::root().join("packaging/Containerfile")).unwrap();
    let json_list = |key: &str| -> Vec<String> {
        let line = containerfile.lines().find(|l| l.starts_with(key)).unwrap_or_default();
        line[key.len()..]
            .trim()
            .trim_matches(['[', ']'])
            .split(',')
            .map(|w| w.trim().trim_matches('"').to_string())
            .collect()
    };
    let entrypoint = json_list("ENTRYPOINT");
    let cmd = json_list("CMD");
    assert_eq!(entrypoint, ["/usr/bin/a64x"], "{containerfile}");
    let image = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("image-usr-bin-a64x");
    // Copied by cp: a file this process had open for writing could be inherited by a child the
    // other test forks meanwhile, and executing it would then fail with ETXTBSY.
    let from = extracted(deb_path, "deb-image").join("usr/bin/a64x");
    ok(
        "cp",
        &run(
            "cp",
            &[&from.to_string_lossy(), &image.to_string_lossy()],
            &common::root(),
        ),
    );
    let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
    ok(
        "the container's CMD",
        &run(&image.to_string_lossy(), &args, &common::root()),
    );
    std::fs::remove_file(&image).expect("remove the image's a64x");
    runs_directly(&image.to_string_lossy());
    ok(
        "--uninstall-binfmt",
        &run(env!("CARGO_BIN_EXE_a64x"), &["--uninstall-binfmt"], &common::root()),
    );
    assert!(!Path::new(ENTRY).exists());

    // The package: postinst registers, prerm removes.
    let out = ok("dpkg -i", &dpkg(&["-i", &deb]));
    assert!(Path::new("/usr/bin/a64x").exists(), "{out}");
    runs_directly("/usr/bin/a64x");
    let status = ok(
        "a64x-binfmt status",
        &run("/usr/lib/a64x/a64x-binfmt", &["status"], &common::root()),
    );
    assert!(status.contains("enabled"), "{status}");
    // Configuring again (an upgrade does) renews the entry instead of failing on the name.
    ok(
        "a64x-binfmt register",
        &run("/usr/lib/a64x/a64x-binfmt", &["register"], &common::root()),
    );
    runs_directly("/usr/bin/a64x");
    ok("dpkg -r", &dpkg(&["-r", "a64x"]));
    assert!(!Path::new(ENTRY).exists(), "the entry outlived the package");
    assert!(!Path::new("/usr/bin/a64x").exists());
    assert!(!Path::new("/usr/lib/binfmt.d/a64x.conf").exists());
}
