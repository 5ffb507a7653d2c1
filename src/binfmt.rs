//! binfmt_misc registration (Documentation/admin-guide/binfmt-misc.rst, fs/binfmt_misc.c): makes
//! the kernel run AArch64 ELF programs through a64x, so `./prog` works as it does on arm64.
//! `--install-binfmt`, `--uninstall-binfmt`, `--binfmt-status` and `--binfmt-conf`; how a64x
//! reads the command line the kernel then gives it is in cli.rs (`binfmt_invocation`).

use crate::cli::{BinfmtArgs, Cli};
use std::ffi::CString;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Where binfmt_misc is mounted (systemd's proc-sys-fs-binfmt_misc.mount, or by hand).
pub const BINFMT_DIR: &str = "/proc/sys/fs/binfmt_misc";

/// The first 20 bytes of an AArch64 ELF executable: `\x7fELF`, ELFCLASS64, ELFDATA2LSB,
/// EV_CURRENT, padding, e_type ET_EXEC (2) or ET_DYN (3, see [`MASK`]), e_machine EM_AARCH64 (183).
pub const MAGIC: [u8; 20] = [
    0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0xb7,
    0x00,
];

/// The bits of [`MAGIC`] compared: not EI_OSABI (byte 7: Linux programs say SYSV or GNU), and not
/// bit 0 of e_type, so that both ET_EXEC and ET_DYN (PIE) match. The same as qemu's.
pub const MASK: [u8; 20] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff,
    0xff,
];

/// The flags binfmt_misc knows (fs/binfmt_misc.c `check_special_flags`).
const FLAGS: &str = "POCF";

/// Carries out the binfmt action of `cli`, if it asks for one; returns the exit status then
/// (after printing one `a64x:` line on failure), None when a program is to be run instead.
pub fn handle(cli: &Cli) -> Option<i32> {
    let b = &cli.binfmt;
    if !b.any_action() {
        return None;
    }
    let result = if b.conf {
        conf(b)
    } else if b.install {
        install(b)
    } else if b.uninstall {
        uninstall(b)
    } else {
        status(b)
    };
    Some(result.unwrap_or_else(|msg| {
        eprintln!("a64x: {msg}");
        1
    }))
}

/// `--binfmt-conf`: the registration as a binfmt.d(5) line, for systemd-binfmt to register at boot.
fn conf(b: &BinfmtArgs) -> Result<i32, String> {
    let interp = interpreter(b)?;
    let line = registration_line(&b.name, &interp, &b.flags)?;
    println!("# a64x: AArch64 (arm64) ELF programs; written by `a64x --binfmt-conf`");
    println!("{line}");
    Ok(0)
}

/// `--install-binfmt`: writes the registration to `register`.
fn install(b: &BinfmtArgs) -> Result<i32, String> {
    let interp = interpreter(b)?;
    let line = registration_line(&b.name, &interp, &b.flags)?;
    need_root("--install-binfmt")?;
    let flags = b.flags.to_ascii_uppercase();
    if flags.contains('P') {
        check_kernel_for_p()?;
    }
    check_interpreter(&interp, flags.contains('F'))?;
    let dir = mounted()?;
    let entry = dir.join(&b.name);
    if entry.exists() {
        return Err(exists_message(&b.name));
    }
    let others = other_aarch64_entries(&dir, &b.name);
    let reg = dir.join("register");
    let mut f = OpenOptions::new()
        .write(true)
        .open(&reg)
        .map_err(|e| format!("cannot open {}: {e}", reg.display()))?;
    // The kernel parses one write(2) as one registration.
    match f.write(line.as_bytes()) {
        Ok(n) if n == line.len() => {}
        Ok(n) => return Err(format!("{}: short write ({n} of {} bytes)", reg.display(), line.len())),
        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => return Err(exists_message(&b.name)),
        Err(e) => return Err(format!("the kernel refused the registration `{line}`: {e}")),
    }
    println!(
        "a64x: registered binfmt_misc entry `{}`: interpreter {}, flags `{flags}`",
        b.name,
        interp.display()
    );
    for other in others {
        // fs/binfmt_misc.c adds a new entry at the head of its list: ours is tried first.
        println!(
            "a64x: note: entry `{other}` matches AArch64 programs too; `{}` (newer) is used",
            b.name
        );
    }
    Ok(0)
}

/// `--uninstall-binfmt`: writes `-1` to the entry, which removes it.
fn uninstall(b: &BinfmtArgs) -> Result<i32, String> {
    check_name(&b.name)?;
    need_root("--uninstall-binfmt")?;
    let dir = mounted()?;
    let entry = dir.join(&b.name);
    if !entry.exists() {
        return Err(format!("there is no binfmt_misc entry named `{}`", b.name));
    }
    std::fs::write(&entry, "-1").map_err(|e| format!("cannot remove {}: {e}", entry.display()))?;
    println!("a64x: removed binfmt_misc entry `{}`", b.name);
    Ok(0)
}

/// `--binfmt-status`: prints the entry as the kernel shows it; exit status 1 when it is absent.
fn status(b: &BinfmtArgs) -> Result<i32, String> {
    check_name(&b.name)?;
    let dir = Path::new(BINFMT_DIR);
    if !dir.join("register").exists() {
        println!(
            "binfmt_misc is not mounted on {BINFMT_DIR}: `{}` is not registered",
            b.name
        );
        return Ok(1);
    }
    let entry = dir.join(&b.name);
    match std::fs::read_to_string(&entry) {
        Ok(text) => {
            println!("binfmt_misc entry `{}` ({}):", b.name, entry.display());
            print!("{text}");
            if std::fs::read_to_string(dir.join("status")).is_ok_and(|s| s.trim() == "disabled") {
                println!("(binfmt_misc itself is disabled: {BINFMT_DIR}/status)");
            }
            Ok(0)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("binfmt_misc entry `{}` is not registered", b.name);
            Ok(1)
        }
        Err(e) => Err(format!("cannot read {}: {e}", entry.display())),
    }
}

/// The registration string: `:name:M::magic:mask:interpreter:flags` (magic and mask as `\xHH`).
pub fn registration_line(name: &str, interpreter: &Path, flags: &str) -> Result<String, String> {
    check_name(name)?;
    let flags = flags.to_ascii_uppercase();
    for (i, c) in flags.char_indices() {
        if !FLAGS.contains(c) || flags[..i].contains(c) {
            return Err(format!(
                "bad binfmt_misc flags `{flags}`: use each of P, O, C, F at most once"
            ));
        }
    }
    let interp = interpreter
        .to_str()
        .filter(|s| s.starts_with('/') && !s.contains([':', '\n']))
        .ok_or_else(|| {
            format!(
                "the binfmt_misc interpreter must be an absolute path without `:` or newlines, not `{}`",
                interpreter.display()
            )
        })?;
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("\\x{b:02x}")).collect::<String>();
    Ok(format!(":{name}:M::{}:{}:{interp}:{flags}", hex(&MAGIC), hex(&MASK)))
}

/// Entry names become file names in binfmt_misc's directory.
fn check_name(name: &str) -> Result<(), String> {
    let bad = name.is_empty()
        || name.len() > 64
        || matches!(name, "." | ".." | "register" | "status")
        || name
            .chars()
            .any(|c| c == '/' || c == ':' || c.is_whitespace() || c.is_control());
    if bad {
        return Err(format!("`{name}` cannot name a binfmt_misc entry"));
    }
    Ok(())
}

/// `--binfmt-interpreter`, or the absolute path of this a64x.
fn interpreter(b: &BinfmtArgs) -> Result<PathBuf, String> {
    match &b.interpreter {
        Some(p) => Ok(p.clone()),
        None => std::env::current_exe().map_err(|e| format!("cannot find the path of this a64x: {e}")),
    }
}

/// The interpreter must be an executable file; with `F` it should be static (DESIGN.md: the guest's
/// root, a chroot or a container, has no x86-64 libraries), which is only worth a note.
fn check_interpreter(path: &Path, fix_binary: bool) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("interpreter {}: {e}", path.display()))?;
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return Err(format!("interpreter {} is not an executable file", path.display()));
    }
    if fix_binary {
        let dynamic = std::fs::read(path)
            .ok()
            .and_then(|bytes| goblin::elf::Elf::parse(&bytes).ok().map(|e| e.interpreter.is_some()));
        if dynamic == Some(true) {
            println!(
                "a64x: note: {} is dynamically linked, so the F flag helps only where the host's \
                 libraries are visible; for chroots and containers register a static a64x \
                 (scripts/build-static.sh)",
                path.display()
            );
        }
    }
    Ok(())
}

fn need_root(what: &str) -> Result<(), String> {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Err(format!("{what} needs root: binfmt_misc registration is privileged"));
    }
    Ok(())
}

fn exists_message(name: &str) -> String {
    format!("a binfmt_misc entry named `{name}` already exists; remove it with `a64x --uninstall-binfmt --binfmt-name {name}`")
}

/// binfmt_misc's directory, mounted there first if it is not (as systemd would at boot).
fn mounted() -> Result<PathBuf, String> {
    let dir = PathBuf::from(BINFMT_DIR);
    if dir.join("register").exists() {
        return Ok(dir);
    }
    let c = |s: &str| CString::new(s).unwrap_or_default();
    let (src, target, fstype) = (c("binfmt_misc"), c(BINFMT_DIR), c("binfmt_misc"));
    // SAFETY: mount(2) with NUL-terminated strings that outlive the call and no data.
    let r = unsafe { libc::mount(src.as_ptr(), target.as_ptr(), fstype.as_ptr(), 0, std::ptr::null()) };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        return Err(format!(
            "binfmt_misc is not mounted, and mounting it on {BINFMT_DIR} failed: {e}"
        ));
    }
    Ok(dir)
}

/// The enabled entries other than `name` whose magic is an AArch64 ELF header (qemu-aarch64's, say).
fn other_aarch64_entries(dir: &Path, name: &str) -> Vec<String> {
    let want: String = MAGIC.iter().map(|b| format!("{b:02x}")).collect();
    let Ok(list) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    list.filter_map(|e| e.ok())
        .filter(|e| !matches!(e.file_name().as_bytes(), b"register" | b"status") && e.file_name() != name)
        .filter(|e| {
            std::fs::read_to_string(e.path()).is_ok_and(|t| {
                t.starts_with("enabled") && t.lines().any(|l| l.strip_prefix("magic ") == Some(&want[..]))
            })
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// The `P` flag reaches a64x through AT_FLAGS only from Linux 5.12 on; before, a64x could not
/// tell ARGV0 from the program's first argument.
fn check_kernel_for_p() -> Result<(), String> {
    // SAFETY: uname fills the zeroed struct it is given.
    let release = unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return Ok(());
        }
        std::ffi::CStr::from_ptr(u.release.as_ptr())
            .to_string_lossy()
            .into_owned()
    };
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let version = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if version < (5, 12) {
        return Err(format!(
            "the P flag needs Linux 5.12 or later (AT_FLAGS_PRESERVE_ARGV0); this kernel is {release}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_line_is_qemus_format() {
        let line = registration_line("a64x", Path::new("/usr/bin/a64x"), "pf").unwrap();
        assert_eq!(
            line,
            ":a64x:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\
             \\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\
             \\xff\\xff:/usr/bin/a64x:PF"
        );
        assert!(registration_line("a64x", Path::new("a64x"), "").is_err());
        assert!(registration_line("a/b", Path::new("/a64x"), "").is_err());
        assert!(registration_line("a64x", Path::new("/a64x"), "PP").is_err());
        assert!(registration_line("a64x", Path::new("/a64x"), "X").is_err());
    }
}
