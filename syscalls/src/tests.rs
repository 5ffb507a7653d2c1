//! Unit tests of the syscall layer against the host kernel, with a fake guest address space.

use std::path::{Path, PathBuf};

use crate::table::TABLE;
use crate::*;

const ENOSYS: u64 = (-libc::ENOSYS) as i64 as u64;

/// A guest address space made of one Vec-owned buffer with a bump allocator.
struct FakeCtx {
    mem: Vec<u8>,
    base: u64,
    next: u64,
    exe: PathBuf,
    invalidated: Vec<(u64, u64)>,
    /// The end of the guest region ([`GuestMemory::guest_limit`]), when a test sets one.
    limit: Option<u64>,
}

impl FakeCtx {
    fn new() -> Self {
        let mem = vec![0u8; 1 << 20];
        let start = mem.as_ptr() as u64;
        let base = (start + 4095) & !4095;
        FakeCtx {
            mem,
            base,
            next: base,
            exe: PathBuf::from("/opt/guest/bin/hello"),
            invalidated: Vec::new(),
            limit: None,
        }
    }

    fn end(&self) -> u64 {
        self.mem.as_ptr() as u64 + self.mem.len() as u64
    }

    fn alloc(&mut self, len: u64) -> u64 {
        let a = self.next;
        self.next = (self.next + len + 15) & !15;
        assert!(self.next <= self.end());
        a
    }

    fn cstr(&mut self, s: &str) -> u64 {
        let a = self.alloc(s.len() as u64 + 1);
        self.write(a, s.as_bytes());
        self.write(a + s.len() as u64, &[0]);
        a
    }

    fn off(&self, addr: u64) -> usize {
        (addr - self.mem.as_ptr() as u64) as usize
    }

    fn write(&mut self, addr: u64, bytes: &[u8]) {
        let o = self.off(addr);
        self.mem[o..o + bytes.len()].copy_from_slice(bytes);
    }

    fn read(&self, addr: u64, len: usize) -> Vec<u8> {
        let o = self.off(addr);
        self.mem[o..o + len].to_vec()
    }

    fn u32_at(&self, addr: u64) -> u32 {
        u32::from_le_bytes(self.read(addr, 4).try_into().unwrap())
    }

    fn u64_at(&self, addr: u64) -> u64 {
        u64::from_le_bytes(self.read(addr, 8).try_into().unwrap())
    }
}

impl GuestMemory for FakeCtx {
    fn brk(&mut self, _new: u64) -> crate::Brk {
        crate::Brk { now: 0, released: None }
    }
    fn mmap(&mut self, _: u64, len: u64, _: i32, _: i32, _: i32, _: i64) -> Result<u64, i32> {
        Ok(self.alloc(len))
    }
    fn munmap(&mut self, _: u64, _: u64) -> Result<(), i32> {
        Ok(())
    }
    fn mprotect(&mut self, _: u64, _: u64, _: i32) -> Result<(), i32> {
        Ok(())
    }
    fn is_accessible(&self, addr: u64, len: u64, _write: bool) -> bool {
        addr >= self.base && addr.checked_add(len).is_some_and(|e| e <= self.end())
    }
    fn guest_limit(&self) -> u64 {
        self.limit.unwrap_or(u64::MAX)
    }
}

impl SyscallContext for FakeCtx {
    fn exe_path(&self) -> &Path {
        &self.exe
    }
    fn invalidate_code(&mut self, addr: u64, len: u64) {
        self.invalidated.push((addr, len));
    }
}

fn call(s: &mut Syscalls, c: &mut FakeCtx, nr: u64, args: &[u64]) -> u64 {
    let mut a = [0u64; 6];
    a[..args.len()].copy_from_slice(args);
    match s.dispatch(c, nr, a) {
        SyscallOutcome::Return(v) => v,
        other => panic!("unexpected {other:?}"),
    }
}

fn err(e: i32) -> u64 {
    Errno(e).to_ret()
}

const AT_FDCWD: u64 = libc::AT_FDCWD as i64 as u64;
const OPENAT: u64 = 56;
const CLOSE: u64 = 57;
const READ: u64 = 63;
const WRITE: u64 = 64;

fn temp_file(tag: &str, contents: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("a64x-syscalls-{}-{tag}", std::process::id()));
    std::fs::write(&p, contents).unwrap();
    p
}

#[test]
fn pipe_write_then_read() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let fds = c.alloc(8);
    assert_eq!(call(&mut s, &mut c, 59, &[fds, 0]), 0);
    let (rd, wr) = (c.u32_at(fds) as u64, c.u32_at(fds + 4) as u64);
    let msg = c.cstr("hello");
    assert_eq!(call(&mut s, &mut c, WRITE, &[wr, msg, 5]), 5);
    let buf = c.alloc(16);
    assert_eq!(call(&mut s, &mut c, READ, &[rd, buf, 16]), 5);
    assert_eq!(c.read(buf, 5), b"hello");
    call(&mut s, &mut c, CLOSE, &[rd]);
    call(&mut s, &mut c, CLOSE, &[wr]);
}

#[test]
fn openat_fstat_uses_aarch64_layout() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let path = temp_file("fstat", &[7u8; 1234]);
    let p = c.cstr(path.to_str().unwrap());
    let fd = call(&mut s, &mut c, OPENAT, &[AT_FDCWD, p, 0, 0]);
    assert!((fd as i64) >= 0, "openat failed: {}", fd as i64);
    let st = c.alloc(128);
    assert_eq!(call(&mut s, &mut c, 80, &[fd, st]), 0);
    assert_eq!(c.u64_at(st + 48), 1234, "st_size at offset 48");
    let mode = c.u32_at(st + 16);
    assert_eq!(mode & libc::S_IFMT, libc::S_IFREG, "st_mode at offset 16");
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::metadata(&path).unwrap();
    assert_eq!(mode, md.mode());
    assert_eq!(c.u32_at(st + 20), 1, "st_nlink is 32-bit at offset 20");
    assert_eq!(c.u64_at(st + 8), md.ino());

    let st2 = c.alloc(128);
    assert_eq!(call(&mut s, &mut c, 79, &[AT_FDCWD, p, st2, 0]), 0);
    assert_eq!(c.read(st, 128), c.read(st2, 128));

    // A bad guest pointer is EFAULT, not a crash.
    assert_eq!(call(&mut s, &mut c, 80, &[fd, 0x1000]), err(libc::EFAULT));

    // F_GETFL reports the kernel's forced O_LARGEFILE with arm64's value.
    let fl = call(&mut s, &mut c, 25, &[fd, libc::F_GETFL as u64]);
    assert_eq!(fl & 0o400000, 0o400000);
    assert_eq!(fl & 0o100000, 0, "must not read as arm64 O_NOFOLLOW");
    call(&mut s, &mut c, CLOSE, &[fd]);
    let _ = std::fs::remove_file(path);
}

#[test]
fn o_directory_is_translated() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let path = temp_file("odir", b"x");
    let p = c.cstr(path.to_str().unwrap());
    const AARCH64_O_DIRECTORY: u64 = 0o40000;
    let r = call(&mut s, &mut c, OPENAT, &[AT_FDCWD, p, AARCH64_O_DIRECTORY, 0]);
    assert_eq!(r, err(libc::ENOTDIR));
    let tmp = c.cstr(std::env::temp_dir().to_str().unwrap());
    let fd = call(&mut s, &mut c, OPENAT, &[AT_FDCWD, tmp, AARCH64_O_DIRECTORY, 0]);
    assert!((fd as i64) >= 0);
    call(&mut s, &mut c, CLOSE, &[fd]);
    let _ = std::fs::remove_file(path);
}

#[test]
fn open_flags_round_trip() {
    use crate::fs::{GuestOFlags, HostOFlags};
    let guest = GuestOFlags(0o40000 | 0o100000 | 0o200000 | 0o400000 | 0o2000000 | 2);
    let host = guest.to_host();
    assert_eq!(
        host.0,
        libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_DIRECT | 0o100000 | libc::O_CLOEXEC | 2
    );
    assert_eq!(HostOFlags(host.0).to_guest(), guest);
}

#[test]
fn uname_machine_is_aarch64() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let buf = c.alloc(390);
    assert_eq!(call(&mut s, &mut c, 160, &[buf]), 0);
    let machine = c.read(buf + 4 * 65, 65);
    assert_eq!(&machine[..8], b"aarch64\0");
    assert_ne!(c.read(buf, 1)[0], 0, "sysname comes from the host");
}

#[test]
fn unknown_syscalls_are_enosys() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    assert_eq!(call(&mut s, &mut c, 1000, &[]), ENOSYS);
    assert_eq!(call(&mut s, &mut c, 1000, &[]), ENOSYS);
    assert_eq!(call(&mut s, &mut c, 244, &[]), ENOSYS);
    assert!(s.reported.contains(&1000) && s.reported.contains(&244));
    // glibc's pthread_create: CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|...
    let tid = c.alloc(8);
    assert_eq!(
        call(&mut s, &mut c, 220, &[0x3d0f00, 0, tid, 0, tid]),
        ENOSYS,
        "a context that cannot start threads says so"
    );
    assert_eq!(
        call(&mut s, &mut c, 220, &[0x3d0f00, 0, 0, 0, tid]),
        err(libc::EFAULT),
        "bad parent_tid"
    );
    assert_eq!(
        call(&mut s, &mut c, 220, &[0x10100, 0, 0, 0, 0]),
        err(libc::EINVAL),
        "CLONE_THREAD without CLONE_SIGHAND"
    );
    assert_eq!(
        call(&mut s, &mut c, 435, &[]),
        ENOSYS,
        "clone3: glibc falls back to clone"
    );
    assert!(!s.reported.contains(&435));
    assert_eq!(call(&mut s, &mut c, 293, &[]), ENOSYS, "rseq");
    assert!(!s.reported.contains(&293), "rseq's fallback is normal: no warning");
}

#[test]
fn readlinkat_proc_self_exe_is_the_guest() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let p = c.cstr("/proc/self/exe");
    let buf = c.alloc(256);
    let n = call(&mut s, &mut c, 78, &[AT_FDCWD, p, buf, 256]);
    assert_eq!(n, 20);
    assert_eq!(c.read(buf, 20), b"/opt/guest/bin/hello");
    // Truncation, as readlink does it.
    let n = call(&mut s, &mut c, 78, &[AT_FDCWD, p, buf, 4]);
    assert_eq!(n, 4);
    // Other links still reach the host.
    let p = c.cstr("/proc/self/cwd");
    let n = call(&mut s, &mut c, 78, &[AT_FDCWD, p, buf, 256]);
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(c.read(buf, n as usize), cwd.to_str().unwrap().as_bytes());
}

#[test]
fn names_the_run_loop_and_strace_look_up_exist() {
    use crate::table::{restarts_after_handler, NEVER_RESTARTED};
    for name in NEVER_RESTARTED.iter().chain(&["openat", "brk", "mremap", "mmap"]) {
        assert!(TABLE.iter().any(|d| d.name == *name), "{name} is not in the table");
    }
    // epoll_pwait (22) and rt_sigsuspend (133) end with EINTR; read (63) restarts.
    assert!(!restarts_after_handler(22) && !restarts_after_handler(133));
    assert!(restarts_after_handler(63));
}

#[test]
fn table_is_sorted_unique_and_named_right() {
    for w in TABLE.windows(2) {
        assert!(w[0].nr < w[1].nr, "{} then {}", w[0].name, w[1].name);
    }
    let mut names: Vec<_> = TABLE.iter().map(|d| d.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), TABLE.len(), "duplicate names");
    for (nr, name) in [
        (64, "write"),
        (94, "exit_group"),
        (220, "clone"),
        (221, "execve"),
        (222, "mmap"),
        (56, "openat"),
        (79, "newfstatat"),
        (278, "getrandom"),
        (293, "rseq"),
        (435, "clone3"),
        (0, "io_setup"),
        (243, "recvmmsg"),
        (260, "wait4"),
        (294, "kexec_file_load"),
        (424, "pidfd_send_signal"),
        (450, "set_mempolicy_home_node"),
    ] {
        assert_eq!(syscall_name(nr), Some(name), "number {nr}");
    }
    assert_eq!(syscall_name(244), None);
    assert_eq!(syscall_name(300), None);
    for d in TABLE {
        assert!(d.args.len() <= 6, "{}", d.name);
    }
}

#[test]
fn lookup_finds_every_row_and_nothing_else() {
    // Against a search of the rows themselves, for every number a guest may put in x8.
    let mut numbers: Vec<u64> = (0..2048).collect();
    numbers.extend([u32::MAX as u64, 1 << 32, u64::MAX - 1, u64::MAX]);
    for nr in numbers {
        let want = TABLE.iter().find(|d| d.nr == nr).map(|d| d.name);
        assert_eq!(crate::table::lookup(nr).map(|d| d.name), want, "number {nr}");
    }
}

#[test]
fn exits() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    assert_eq!(
        s.dispatch(&mut c, 93, [3, 0, 0, 0, 0, 0]),
        SyscallOutcome::ExitThread(3)
    );
    assert_eq!(s.dispatch(&mut c, 94, [7, 0, 0, 0, 0, 0]), SyscallOutcome::ExitGroup(7));
}

#[test]
fn sigaction_and_mask_are_recorded() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let act = c.alloc(32);
    let old = c.alloc(32);
    let words: [u64; 4] = [0x40_1000, 0x0400_0000, 0, u64::MAX];
    for (i, w) in words.iter().enumerate() {
        c.write(act + 8 * i as u64, &w.to_le_bytes());
    }
    assert_eq!(call(&mut s, &mut c, 134, &[10, act, old, 8]), 0);
    assert_eq!(c.read(old, 32), vec![0; 32]);
    let got = s.sigaction(10).unwrap();
    assert_eq!(got.handler, 0x40_1000);
    assert_eq!(got.mask, !signal::UNBLOCKABLE);
    assert_eq!(call(&mut s, &mut c, 134, &[10, 0, old, 8]), 0);
    assert_eq!(c.u64_at(old), 0x40_1000);
    assert_eq!(call(&mut s, &mut c, 134, &[9, act, 0, 8]), err(libc::EINVAL));
    assert_eq!(call(&mut s, &mut c, 134, &[10, act, 0, 16]), err(libc::EINVAL));
    assert_eq!(call(&mut s, &mut c, 134, &[10, 0x10, 0, 8]), err(libc::EFAULT));

    let set = c.alloc(8);
    c.write(set, &(1u64 << 1 | 1 << 8).to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 135, &[libc::SIG_BLOCK as u64, set, old, 8]), 0);
    assert_eq!(c.u64_at(old), 0);
    assert_eq!(s.signal_mask(), 1 << 1, "SIGKILL cannot be blocked");
}

#[test]
fn sigaltstack_is_recorded() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let ss = c.alloc(24);
    let old = c.alloc(24);
    c.write(ss, &0x7000_0000u64.to_le_bytes());
    c.write(ss + 16, &8192u64.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 132, &[ss, old]), 0);
    assert_eq!(c.u32_at(old + 8), 2, "SS_DISABLE before");
    assert!(s.altstack().is_enabled());
    assert_eq!(s.altstack().size, 8192);
}

#[test]
fn tid_address_and_robust_list() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    // SAFETY: gettid has no preconditions.
    let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u64;
    assert_eq!(call(&mut s, &mut c, 96, &[0x1234]), tid);
    assert_eq!(s.clear_child_tid(), 0x1234);
    assert_eq!(call(&mut s, &mut c, 99, &[0x5000, 24]), 0);
    assert_eq!(call(&mut s, &mut c, 99, &[0x5000, 16]), err(libc::EINVAL));
}

#[test]
fn mm_goes_through_guest_memory() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let a = call(&mut s, &mut c, 222, &[0, 4096, 3, 0x22, u64::MAX, 0]);
    assert!(c.is_accessible(a, 4096, true));
    assert_eq!(
        call(&mut s, &mut c, 226, &[a, 4096, 1 | 0x10]),
        0,
        "PROT_BTI is dropped"
    );
    assert_eq!(call(&mut s, &mut c, 226, &[a, 4096, 0x20]), err(libc::EINVAL));
    assert_eq!(call(&mut s, &mut c, 215, &[a, 4096]), 0);
    assert_eq!(c.invalidated, vec![(a, 4096), (a, 4096)]);
    // Discarding advice never reaches memory outside the guest.
    let vm = &s as *const Syscalls as u64 & !4095;
    assert_eq!(call(&mut s, &mut c, 233, &[vm, 4096, 4]), 0);
}

#[test]
fn epoll_events_are_translated() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let ep = call(&mut s, &mut c, 20, &[0]);
    assert!((ep as i64) >= 0);
    let fds = c.alloc(8);
    assert_eq!(call(&mut s, &mut c, 59, &[fds, 0]), 0);
    let (rd, wr) = (c.u32_at(fds) as u64, c.u32_at(fds + 4) as u64);
    let ev = c.alloc(16);
    c.write(ev, &(libc::EPOLLIN as u32).to_le_bytes());
    c.write(ev + 8, &0x1122_3344_5566_7788u64.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 21, &[ep, 1, rd, ev]), 0);
    let msg = c.cstr("x");
    assert_eq!(call(&mut s, &mut c, WRITE, &[wr, msg, 1]), 1);
    let out = c.alloc(64);
    assert_eq!(call(&mut s, &mut c, 22, &[ep, out, 4, 0, 0, 8]), 1);
    assert_eq!(c.u32_at(out), libc::EPOLLIN as u32);
    assert_eq!(c.u64_at(out + 8), 0x1122_3344_5566_7788);
    for fd in [rd, wr, ep] {
        call(&mut s, &mut c, CLOSE, &[fd]);
    }
}

#[test]
fn ioctl_unknown_request_is_enotty() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    assert_eq!(call(&mut s, &mut c, 29, &[0, 0x1234_5678, 0]), err(libc::ENOTTY));
}

#[test]
fn strace_formats_like_strace() {
    let mut c = FakeCtx::new();
    let p = c.cstr("/etc/passwd");
    let a = [AT_FDCWD, p, 0o2000000, 0, 0, 0];
    let call = strace::format_call_in(Some(&c), OPENAT, &a);
    assert_eq!(call, "openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC)");
    assert_eq!(
        strace::format_result(&call, OPENAT, SyscallOutcome::Return(3)),
        format!("{call} = 3")
    );
    assert_eq!(
        strace::format_result("x()", OPENAT, SyscallOutcome::Return(err(libc::ENOENT))),
        "x() = -1 ENOENT (No such file or directory)"
    );
    let msg = c.cstr("hi\n");
    assert_eq!(
        strace::format_call_in(Some(&c), WRITE, &[1, msg, 3, 0, 0, 0]),
        "write(1, \"hi\\n\", 3)"
    );
    assert_eq!(
        strace::format_call(222, [0, 4096, 3, 0x22, u64::MAX, 0]),
        "mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0)"
    );
}

#[test]
fn strace_mode_does_not_disturb_results() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    s.strace = true;
    let msg = c.cstr("");
    assert_eq!(call(&mut s, &mut c, WRITE, &[2, msg, 0]), 0);
    assert_eq!(call(&mut s, &mut c, 80, &[u32::MAX as u64, 0]), err(libc::EBADF));
    assert_eq!(call(&mut s, &mut c, 1000, &[]), ENOSYS);
}

#[test]
fn absolute_paths_are_looked_up_in_the_sysroot_first() {
    let root = std::env::temp_dir().join(format!("a64x-syscalls-{}-sysroot", std::process::id()));
    std::fs::create_dir_all(root.join("a64x-only-here")).unwrap();
    std::fs::write(root.join("a64x-only-here/file"), b"sysroot").unwrap();
    std::os::unix::fs::symlink("file", root.join("a64x-only-here/link")).unwrap();
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let file = c.cstr("/a64x-only-here/file");
    let link = c.cstr("/a64x-only-here/link");
    let buf = c.alloc(256);
    // Without a sysroot the host has no such file.
    assert_eq!(call(&mut s, &mut c, OPENAT, &[AT_FDCWD, file, 0, 0]), err(libc::ENOENT));
    s.set_sysroot(Some(root.clone()));
    assert_eq!(s.sysroot(), Some(root.as_path()));
    let fd = call(&mut s, &mut c, OPENAT, &[AT_FDCWD, file, 0, 0]);
    assert!((fd as i64) >= 0, "openat: {}", fd as i64);
    assert_eq!(call(&mut s, &mut c, READ, &[fd, buf, 256]), 7);
    assert_eq!(c.read(buf, 7), b"sysroot");
    assert_eq!(call(&mut s, &mut c, CLOSE, &[fd]), 0);
    // faccessat, faccessat2, newfstatat, statx, readlinkat.
    assert_eq!(call(&mut s, &mut c, 48, &[AT_FDCWD, file, libc::R_OK as u64]), 0);
    assert_eq!(call(&mut s, &mut c, 439, &[AT_FDCWD, file, libc::R_OK as u64, 0]), 0);
    assert_eq!(call(&mut s, &mut c, 79, &[AT_FDCWD, file, buf, 0]), 0);
    assert_eq!(c.u64_at(buf + 48), 7, "st_size");
    let nofollow = libc::AT_SYMLINK_NOFOLLOW as u64;
    assert_eq!(call(&mut s, &mut c, 79, &[AT_FDCWD, link, buf, nofollow]), 0);
    assert_eq!(c.u32_at(buf + 16) & libc::S_IFMT, libc::S_IFLNK);
    assert_eq!(
        call(&mut s, &mut c, 291, &[AT_FDCWD, file, 0, libc::STATX_SIZE as u64, buf]),
        0
    );
    assert_eq!(c.u64_at(buf + 40), 7, "stx_size");
    assert_eq!(call(&mut s, &mut c, 78, &[AT_FDCWD, link, buf, 256]), 4);
    assert_eq!(c.read(buf, 4), b"file");
    // /proc stays the host's, and /proc/self/exe the guest's.
    let exe = c.cstr("/proc/self/exe");
    assert_eq!(call(&mut s, &mut c, 78, &[AT_FDCWD, exe, buf, 256]), 20);
    assert_eq!(c.read(buf, 20), b"/opt/guest/bin/hello");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn clone_without_clone_vm_forks() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let ptid = c.alloc(4);
    // SIGCHLD | CLONE_PARENT_SETTID, AArch64 order: flags, stack, parent_tid, tls, child_tid.
    let pid = call(&mut s, &mut c, 220, &[libc::SIGCHLD as u64 | 0x100000, 0, ptid, 0, 0]);
    if pid == 0 {
        // The child: only async-signal-safe calls from here on.
        unsafe { libc::_exit(42) };
    }
    assert!((pid as i64) > 0, "clone failed: {}", pid as i64);
    assert_eq!(c.u32_at(ptid) as u64, pid, "CLONE_PARENT_SETTID");
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid as i32, &mut status, 0) }, pid as i32);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 42,
        "status {status:#x}"
    );
    // A tid pointer outside guest memory is refused before anything happens.
    assert_eq!(
        call(&mut s, &mut c, 220, &[libc::SIGCHLD as u64 | 0x100000, 0, 8, 0, 0]),
        err(libc::EFAULT)
    );
}

#[test]
fn proc_files_are_emulated() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    s.set_auxv(&[(6, 4096), (16, 3), (0, 0)]);
    let path = c.cstr("/proc/self/auxv");
    let fd = call(&mut s, &mut c, OPENAT, &[AT_FDCWD, path, 0o2000000]);
    assert!((fd as i64) >= 0, "openat: {}", fd as i64);
    let buf = c.alloc(64);
    assert_eq!(call(&mut s, &mut c, READ, &[fd, buf, 64]), 48);
    assert_eq!(c.u64_at(buf), 6);
    assert_eq!(c.u64_at(buf + 8), 4096);
    assert_eq!(call(&mut s, &mut c, WRITE, &[fd, buf, 1]), err(libc::EPERM), "sealed");
    call(&mut s, &mut c, CLOSE, &[fd]);
    let cpu = c.cstr("/proc/cpuinfo");
    let fd = call(&mut s, &mut c, OPENAT, &[AT_FDCWD, cpu, 0]);
    let n = call(&mut s, &mut c, READ, &[fd, buf, 64]) as usize;
    assert!(String::from_utf8_lossy(&c.read(buf, n)).starts_with("processor\t: 0\nBogoMIPS"));
    call(&mut s, &mut c, CLOSE, &[fd]);
    assert_eq!(
        call(&mut s, &mut c, OPENAT, &[AT_FDCWD, cpu, 2]),
        err(libc::EACCES),
        "O_RDWR"
    );
}

#[test]
fn waits_take_a_temporary_signal_mask() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    s.set_signal_mask(1 << (libc::SIGCHLD - 1));
    let set = c.alloc(8);
    c.write(set, &(1u64 << (libc::SIGUSR1 - 1)).to_le_bytes());
    let ts = c.alloc(16); // a zero timeout: the wait returns at once
                          // ppoll, pselect6 (through its argument pack) and epoll_pwait: the mask is back afterwards.
    assert_eq!(call(&mut s, &mut c, 73, &[0, 0, ts, set, 8]), 0);
    let pack = c.alloc(16);
    c.write(pack, &set.to_le_bytes());
    c.write(pack + 8, &8u64.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 72, &[0, 0, 0, 0, ts, pack]), 0);
    let ep = call(&mut s, &mut c, 20, &[0]);
    let events = c.alloc(16);
    assert_eq!(call(&mut s, &mut c, 22, &[ep, events, 1, 0, set, 8]), 0);
    assert_eq!(s.signal_mask(), 1 << (libc::SIGCHLD - 1));
    assert_eq!(s.take_saved_mask(), None);
    // A sigset size other than the kernel's, an unmapped mask, a mask or pack in VM memory.
    assert_eq!(call(&mut s, &mut c, 73, &[0, 0, ts, set, 4]), err(libc::EINVAL));
    assert_eq!(call(&mut s, &mut c, 73, &[0, 0, ts, 0x1000, 8]), err(libc::EFAULT));
    let vm = &s as *const Syscalls as u64;
    assert_eq!(call(&mut s, &mut c, 22, &[ep, events, 1, 0, vm, 8]), err(libc::EFAULT));
    assert_eq!(call(&mut s, &mut c, 72, &[0, 0, 0, 0, ts, vm]), err(libc::EFAULT));
    c.write(pack + 8, &4u64.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 72, &[0, 0, 0, 0, ts, pack]), err(libc::EINVAL));
    assert_eq!(s.signal_mask(), 1 << (libc::SIGCHLD - 1));
    call(&mut s, &mut c, CLOSE, &[ep]);
}

#[test]
fn signalfd_reads_the_guest_mask() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let set = c.alloc(8);
    c.write(set, &(1u64 << (libc::SIGUSR2 - 1)).to_le_bytes());
    let fd = call(&mut s, &mut c, 74, &[u64::MAX, set, 8, libc::SFD_CLOEXEC as u64]);
    assert!((fd as i64) >= 0, "signalfd4 failed: {}", fd as i64);
    call(&mut s, &mut c, CLOSE, &[fd]);
    assert_eq!(call(&mut s, &mut c, 74, &[u64::MAX, set, 4, 0]), err(libc::EINVAL));
    assert_eq!(call(&mut s, &mut c, 74, &[u64::MAX, set, 8, 1]), err(libc::EINVAL));
    let vm = &s as *const Syscalls as u64;
    assert_eq!(call(&mut s, &mut c, 74, &[u64::MAX, vm, 8, 0]), err(libc::EFAULT));
}

#[test]
fn execveat_errors() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let empty = c.cstr("");
    let argv = c.alloc(8);
    // An empty path without AT_EMPTY_PATH, unknown flags, a closed descriptor, a VM path pointer.
    assert_eq!(call(&mut s, &mut c, 281, &[0, empty, argv, argv, 0]), err(libc::ENOENT));
    let p = c.cstr("/bin/true");
    assert_eq!(
        call(&mut s, &mut c, 281, &[AT_FDCWD, p, argv, argv, 0x40000]),
        err(libc::EINVAL)
    );
    let at_empty = libc::AT_EMPTY_PATH as u64;
    assert_eq!(
        call(&mut s, &mut c, 281, &[999, empty, argv, argv, at_empty]),
        err(libc::EBADF)
    );
    let vm = &s as *const Syscalls as u64;
    assert_eq!(
        call(&mut s, &mut c, 281, &[AT_FDCWD, vm, argv, argv, 0]),
        err(libc::EFAULT)
    );
}

#[test]
fn pointers_outside_the_guest_region_are_efault() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    c.limit = Some(c.end());
    let outside = c.end() + 4096;
    let fds = c.alloc(8);
    assert_eq!(call(&mut s, &mut c, 59, &[fds, 0]), 0);
    let (rd, wr) = (c.u32_at(fds) as u64, c.u32_at(fds + 4) as u64);
    let msg = c.cstr("abcd");
    call(&mut s, &mut c, WRITE, &[wr, msg, 4]);
    // A plain pointer argument, an iovec naming a buffer outside, an iovec array outside.
    assert_eq!(call(&mut s, &mut c, READ, &[rd, outside, 4]), err(libc::EFAULT));
    let iov = c.alloc(16);
    c.write(iov, &outside.to_le_bytes());
    c.write(iov + 8, &4u64.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 65, &[rd, iov, 1]), err(libc::EFAULT));
    assert_eq!(call(&mut s, &mut c, 65, &[rd, outside, 1]), err(libc::EFAULT));
    assert_eq!(call(&mut s, &mut c, 65, &[rd, iov, 2000]), err(libc::EINVAL));
    // An iovec inside still works.
    let buf = c.alloc(4);
    c.write(iov, &buf.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 65, &[rd, iov, 1]), 4);
    assert_eq!(c.read(buf, 4), b"abcd");
    // recvmsg: a msghdr whose iovec, name or control buffer is outside.
    let hdr = c.alloc(56);
    c.write(hdr + 16, &iov.to_le_bytes());
    c.write(hdr + 24, &1u64.to_le_bytes());
    c.write(iov, &outside.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 212, &[rd, hdr, 0]), err(libc::EFAULT));
    c.write(iov, &buf.to_le_bytes());
    c.write(hdr + 32, &outside.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 212, &[rd, hdr, 0]), err(libc::EFAULT));
    // futex: FUTEX_WAKE_OP writes through uaddr2; FUTEX_WAIT's timeout is a pointer, CMP_REQUEUE's
    // fourth argument a number.
    let word = c.alloc(8);
    assert_eq!(
        call(&mut s, &mut c, 98, &[word, 5, 1, 1, outside, 0]),
        err(libc::EFAULT)
    );
    assert_eq!(
        call(&mut s, &mut c, 98, &[word, 0, 1, outside, 0, 0]),
        err(libc::EFAULT)
    );
    assert_eq!(
        call(&mut s, &mut c, 98, &[word, 4, 1, i32::MAX as u64, word, 7]),
        err(libc::EAGAIN)
    );
    // FUTEX_WAIT ignores uaddr2, where glibc leaves garbage; the word differs from val: EAGAIN.
    assert_eq!(
        call(&mut s, &mut c, 98, &[word, 128, 1, 0, u64::MAX >> 1, 0]),
        err(libc::EAGAIN)
    );
    call(&mut s, &mut c, CLOSE, &[rd]);
    call(&mut s, &mut c, CLOSE, &[wr]);
}

#[test]
fn forged_fault_signals_are_refused() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    let info = c.alloc(128);
    c.write(info, &11i32.to_le_bytes());
    c.write(info + 8, &1i32.to_le_bytes()); // SEGV_MAPERR
    let pid = std::process::id() as u64;
    assert_eq!(call(&mut s, &mut c, 138, &[pid, 11, info]), err(libc::EPERM));
    assert_eq!(call(&mut s, &mut c, 240, &[pid, pid, 7, info]), err(libc::EPERM));
    let vm = &s as *const Syscalls as u64;
    assert_eq!(call(&mut s, &mut c, 138, &[pid, 11, vm]), err(libc::EFAULT));
}

#[test]
fn vm_descriptors_are_closed_to_the_guest() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    // SAFETY: a literal path; the descriptor is handed to the reserved list.
    let vm = crate::fd::reserve(unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) });
    let fd = vm.fd() as u64;
    // dup, fstat, read, pidfd_getfd's target: as for a closed descriptor.
    assert_eq!(call(&mut s, &mut c, 23, &[fd]), err(libc::EBADF));
    let st = c.alloc(128);
    assert_eq!(call(&mut s, &mut c, 80, &[fd, st]), err(libc::EBADF));
    assert_eq!(call(&mut s, &mut c, READ, &[fd, st, 1]), err(libc::EBADF));
    assert_eq!(call(&mut s, &mut c, 24, &[fd, 700, 0]), err(libc::EBADF));
    // close is EBADF too, and leaves it open.
    assert_eq!(call(&mut s, &mut c, CLOSE, &[fd]), err(libc::EBADF));
    // SAFETY: F_GETFD takes no pointer.
    assert!(unsafe { libc::fcntl(vm.fd(), libc::F_GETFD) } >= 0);
    // Passing it in SCM_RIGHTS: EBADF; the guest's own descriptor passes.
    let pair = c.alloc(8);
    assert_eq!(
        call(
            &mut s,
            &mut c,
            199,
            &[libc::AF_UNIX as u64, libc::SOCK_DGRAM as u64, 0, pair]
        ),
        0
    );
    let (a, b) = (c.u32_at(pair) as u64, c.u32_at(pair + 4) as u64);
    let byte = c.cstr("x");
    let iov = c.alloc(16);
    c.write(iov, &byte.to_le_bytes());
    c.write(iov + 8, &1u64.to_le_bytes());
    let control = c.alloc(24);
    c.write(control, &20u64.to_le_bytes());
    c.write(control + 8, &libc::SOL_SOCKET.to_le_bytes());
    c.write(control + 12, &libc::SCM_RIGHTS.to_le_bytes());
    c.write(control + 16, &(fd as i32).to_le_bytes());
    let hdr = c.alloc(56);
    c.write(hdr + 16, &iov.to_le_bytes());
    c.write(hdr + 24, &1u64.to_le_bytes());
    c.write(hdr + 32, &control.to_le_bytes());
    c.write(hdr + 40, &24u64.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 211, &[a, hdr, 0]), err(libc::EBADF));
    c.write(control + 16, &(a as i32).to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 211, &[a, hdr, 0]), 1);
    call(&mut s, &mut c, CLOSE, &[a]);
    call(&mut s, &mut c, CLOSE, &[b]);
}

#[test]
fn address_ranges_must_lie_in_the_region() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    c.limit = Some(c.end());
    let page = (c.base + 4095) & !4095;
    // mincore, munlock, msync of a range that runs past the region: ENOMEM, as Linux beyond
    // the task size; inside it, the host's answer.
    let vec = c.alloc(16);
    let end = c.end();
    assert_eq!(
        call(&mut s, &mut c, 232, &[page, end - page + 4096, vec]),
        err(libc::ENOMEM)
    );
    assert_eq!(
        call(&mut s, &mut c, 229, &[page, u64::MAX - page, 0]),
        err(libc::ENOMEM)
    );
    assert_eq!(call(&mut s, &mut c, 227, &[page, end, 0]), err(libc::ENOMEM));
    assert_eq!(call(&mut s, &mut c, 232, &[page, 4096, vec]), 0);
    // mbind (OpenBLAS sets its buffers' NUMA policy) and set_mempolicy_home_node: the same; a
    // default policy on a guest page is the host's answer (0).
    assert_eq!(
        call(&mut s, &mut c, 235, &[page, end - page + 4096, 0, 0, 0, 0]),
        err(libc::ENOMEM)
    );
    assert_eq!(call(&mut s, &mut c, 235, &[page, 4096, 0, 0, 0, 0]), 0);
    assert_eq!(
        call(&mut s, &mut c, 450, &[page, u64::MAX - page, 0, 0]),
        err(libc::ENOMEM)
    );
}

/// Calls whose pointers the kernel follows for some commands only, or inside structures:
/// each is EFAULT with the pointer outside the guest region, and works (or fails as the kernel
/// says) with it inside.
#[test]
fn command_dependent_pointers_outside_the_guest_region_are_efault() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    c.limit = Some(c.end());
    let outside = c.end() + 4096;
    let efault = err(libc::EFAULT);
    // semctl: GETALL, IPC_STAT and SETALL take a pointer; SETVAL a value, any upper half.
    let sem = call(&mut s, &mut c, 190, &[libc::IPC_PRIVATE as u64, 2, 0o600]);
    assert!((sem as i64) >= 0, "semget: {}", sem as i64);
    for cmd in [13, 2, 17] {
        assert_eq!(
            call(&mut s, &mut c, 191, &[sem, 0, cmd, outside]),
            efault,
            "semctl cmd {cmd}"
        );
    }
    let vals = c.alloc(4);
    assert_eq!(call(&mut s, &mut c, 191, &[sem, 1, 16, 0xdead_0000_0000_0007]), 0);
    assert_eq!(call(&mut s, &mut c, 191, &[sem, 0, 13, vals]), 0);
    assert_eq!(c.read(vals, 4), [0, 0, 7, 0]);
    call(&mut s, &mut c, 191, &[sem, 0, 0, 0]);
    // keyctl: READ, DESCRIBE, SEARCH and CAPABILITIES point where the kernel writes or reads.
    assert_eq!(call(&mut s, &mut c, 219, &[11, 1, outside, 16]), efault);
    assert_eq!(call(&mut s, &mut c, 219, &[6, 1, outside, 16]), efault);
    assert_eq!(call(&mut s, &mut c, 219, &[10, 1, outside, 0, 0]), efault);
    assert_eq!(call(&mut s, &mut c, 219, &[31, outside, 8]), efault);
    // ... and INSTANTIATE_IOV's iovecs and DH_COMPUTE's KDF parameters hold pointers.
    let iov = c.alloc(16);
    c.write(iov, &outside.to_le_bytes());
    c.write(iov + 8, &4u64.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 219, &[20, 1, iov, 1, 0]), efault);
    let kdf = c.alloc(52);
    c.write(kdf, &outside.to_le_bytes());
    let params = c.alloc(12);
    let out = c.alloc(64);
    assert_eq!(call(&mut s, &mut c, 219, &[23, params, out, 64, kdf]), efault);
    // futex_waitv: a waiter's word outside.
    let waiter = c.alloc(24);
    c.write(waiter + 8, &(outside & !3).to_le_bytes());
    c.write(waiter + 16, &130u32.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 449, &[waiter, 1, 0, 0, 1]), efault);
    // kcmp(KCMP_EPOLL_TFD): the slot outside.
    let pid = std::process::id() as u64;
    assert_eq!(call(&mut s, &mut c, 272, &[pid, pid, 7, 0, outside]), efault);
    // prctl: the name's buffer, PR_GET_PDEATHSIG's int; the parent-death signal works.
    assert_eq!(call(&mut s, &mut c, 167, &[16, outside]), efault);
    assert_eq!(call(&mut s, &mut c, 167, &[15, outside]), efault);
    assert_eq!(call(&mut s, &mut c, 167, &[2, outside]), efault);
    let sig = c.alloc(4);
    assert_eq!(call(&mut s, &mut c, 167, &[1, libc::SIGUSR2 as u64]), 0);
    assert_eq!(call(&mut s, &mut c, 167, &[2, sig]), 0);
    assert_eq!(c.u32_at(sig), libc::SIGUSR2 as u32);
    assert_eq!(call(&mut s, &mut c, 167, &[1, 0]), 0);
    // seccomp filters and memory-deny-write-execute would act on the VM: refused.
    assert_eq!(call(&mut s, &mut c, 167, &[22, 1]), err(libc::EINVAL));
    assert_eq!(call(&mut s, &mut c, 167, &[65, 1]), err(libc::EINVAL));
    // setsockopt(SO_ATTACH_FILTER): the program outside.
    let fds = c.alloc(8);
    assert_eq!(call(&mut s, &mut c, 199, &[1, 2, 0, fds]), 0);
    let sock = c.u32_at(fds) as u64;
    let fprog = c.alloc(16);
    c.write(fprog, &1u16.to_le_bytes());
    c.write(fprog + 8, &outside.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 208, &[sock, 1, 26, fprog, 16]), efault);
    // ... and a program inside is the kernel's to judge (one `ret #0`: accepted).
    let insn = c.alloc(8);
    c.write(insn, &0x06u16.to_le_bytes());
    c.write(fprog + 8, &insn.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 208, &[sock, 1, 26, fprog, 16]), 0);
    // ioctl(SIOCGIFCONF): the buffer outside; inside, the kernel's length comes back.
    let inet = call(&mut s, &mut c, 198, &[libc::AF_INET as u64, 2, 0]);
    let conf = c.alloc(16);
    c.write(conf, &400i32.to_le_bytes());
    c.write(conf + 8, &outside.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 29, &[inet, 0x8912, conf]), efault);
    let ifreqs = c.alloc(400);
    c.write(conf + 8, &ifreqs.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 29, &[inet, 0x8912, conf]), 0);
    let len = c.u32_at(conf);
    assert!(len > 0 && len <= 400 && len % 40 == 0, "ifc_len {len}");
    // getsockopt(TCP_ZEROCOPY_RECEIVE) copies data through pointers in its value: refused.
    let tcp = call(&mut s, &mut c, 198, &[libc::AF_INET as u64, 1, 0]);
    let zc = c.alloc(64);
    let zc_len = c.alloc(4);
    c.write(zc_len, &64u32.to_le_bytes());
    assert_eq!(
        call(&mut s, &mut c, 209, &[tcp, 6, 35, zc, zc_len]),
        err(libc::ENOPROTOOPT)
    );
    // Emulated rows that pass a pointer on: readlinkat's buffer, timer_create's two.
    let link = c.cstr("/proc/self/cwd");
    assert_eq!(call(&mut s, &mut c, 78, &[AT_FDCWD, link, outside, 16]), efault);
    let tid = c.alloc(8);
    assert_eq!(call(&mut s, &mut c, 107, &[1, outside, tid]), efault);
    assert_eq!(call(&mut s, &mut c, 107, &[1, 0, outside]), efault);
    // mq_notify(SIGEV_THREAD): the cookie outside.
    let ev = c.alloc(64);
    c.write(ev, &outside.to_le_bytes());
    c.write(ev + 12, &2i32.to_le_bytes());
    assert_eq!(call(&mut s, &mut c, 184, &[0, ev]), efault);
}

/// The structures those calls copy (futex_waitv's waiters, a sock_fprog, an ifconf, a sigevent,
/// keyctl's KDF parameters and iovecs) from an address in the guest region where nothing is
/// mapped: EFAULT from the VM's checked copy, as Linux says for an unmapped page.
#[test]
fn structures_copied_from_unmapped_guest_memory_are_efault() {
    let (mut s, mut c) = (Syscalls::new(), FakeCtx::new());
    c.limit = Some(c.end());
    let unmapped = 0x10000;
    assert!(unmapped < c.base, "the fake address space starts above {unmapped:#x}");
    let efault = err(libc::EFAULT);
    assert_eq!(call(&mut s, &mut c, 449, &[unmapped, 1, 0, 0, 1]), efault);
    let fds = c.alloc(8);
    assert_eq!(call(&mut s, &mut c, 199, &[1, 2, 0, fds]), 0);
    let sock = c.u32_at(fds) as u64;
    assert_eq!(call(&mut s, &mut c, 208, &[sock, 1, 26, unmapped, 16]), efault);
    let inet = call(&mut s, &mut c, 198, &[libc::AF_INET as u64, 2, 0]);
    assert_eq!(call(&mut s, &mut c, 29, &[inet, 0x8912, unmapped]), efault);
    assert_eq!(call(&mut s, &mut c, 184, &[0, unmapped]), efault);
    let params = c.alloc(12);
    let out = c.alloc(64);
    assert_eq!(call(&mut s, &mut c, 219, &[23, params, out, 64, unmapped]), efault);
    assert_eq!(call(&mut s, &mut c, 219, &[20, 1, unmapped, 1, 0]), efault);
}
