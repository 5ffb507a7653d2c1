//! Fuzz body: sequences of system calls, each with arguments a hostile guest would choose,
//! through the syscall layer's dispatch (`a64x_syscalls::Syscalls`) and its strace formatter.
//! The guest region is `[0, 2^46)` with one 64 KiB guest area mapped in it; beside it, above the
//! region like the VM's own memory, lies a "VM secret" buffer whose bytes change every run.
//! Arguments are small numbers, descriptors of the run's own files, pointers into the guest area
//! (its edges included), pointers into the secret, or raw words; "pokes" first write such values
//! into the guest area, so structures (iovecs, msghdrs, paths, timespecs) point where the input
//! says. A finding is a VM panic, a change to the secret (the kernel or the VM wrote VM memory
//! for the guest), the secret's bytes in the guest area or in a descriptor the guest can read
//! (VM memory shown to the guest), or a guest-visible descriptor of a VM file.
//!
//! Calls that would end or stop the fuzzing process (signals to itself, exec, exit, sleeps,
//! file-system writes, unbounded allocation) are not drawn; the few arguments that could block
//! (timeouts, wait options) are fixed so every call returns at once.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use a64x_syscalls::{strace, ArgKind, GuestMemory, SyscallContext, SyscallOutcome, Syscalls};

use crate::Input;

/// The guest area: at a fixed address in the region, with an unmapped page after it.
const AREA: u64 = 0x1000_0000;
const AREA_LEN: usize = 1 << 16;
/// A zero `struct timespec` at the end of the area, which pokes do not reach: the timeout of
/// the calls that would otherwise wait.
const ZERO_TIMESPEC: u64 = AREA + AREA_LEN as u64 - 64;
/// The end of the guest region, as in the VM.
const LIMIT: u64 = a64x_translator::confine::GUEST_LIMIT;
/// Size of the VM secret.
const SECRET_LEN: usize = 1 << 12;

/// The calls drawn (AArch64 numbers): everything here is safe to run in the fuzzing process
/// given the argument fixes in [`fix_args`].
const CALLS: &[u64] = &[
    17,  // getcwd
    19,  // eventfd2
    20,  // epoll_create1
    21,  // epoll_ctl
    22,  // epoll_pwait
    23,  // dup
    24,  // dup3
    25,  // fcntl
    29,  // ioctl
    43,  // statfs
    44,  // fstatfs
    46,  // ftruncate
    48,  // faccessat
    56,  // openat
    57,  // close
    59,  // pipe2
    61,  // getdents64
    62,  // lseek
    63,  // read
    64,  // write
    65,  // readv
    66,  // writev
    67,  // pread64
    68,  // pwrite64
    69,  // preadv
    70,  // pwritev
    72,  // pselect6
    73,  // ppoll
    74,  // signalfd4
    75,  // vmsplice
    78,  // readlinkat
    79,  // newfstatat
    80,  // fstat
    90,  // capget
    95,  // waitid
    98,  // futex
    99,  // set_robust_list
    100, // get_robust_list
    102, // getitimer
    113, // clock_gettime
    114, // clock_getres
    123, // sched_getaffinity
    132, // sigaltstack
    134, // rt_sigaction
    135, // rt_sigprocmask
    148, // getresuid
    153, // times
    158, // getgroups
    160, // uname
    165, // getrusage
    169, // gettimeofday
    179, // sysinfo
    199, // socketpair
    204, // getsockname
    205, // getpeername
    206, // sendto
    207, // recvfrom
    208, // setsockopt
    209, // getsockopt
    211, // sendmsg
    212, // recvmsg
    227, // msync
    229, // munlock
    232, // mincore
    236, // get_mempolicy
    243, // recvmmsg
    260, // wait4
    261, // prlimit64
    269, // sendmmsg
    270, // process_vm_readv
    271, // process_vm_writev
    278, // getrandom
    279, // memfd_create
    286, // preadv2
    287, // pwritev2
    291, // statx
    437, // openat2
    439, // faccessat2
];

/// The guest's view of the fuzzing process: the guest area only.
struct Ctx {
    exe: PathBuf,
}

impl GuestMemory for Ctx {
    fn brk(&mut self, _: u64) -> a64x_syscalls::Brk {
        a64x_syscalls::Brk { now: 0, released: None }
    }
    fn mmap(&mut self, _: u64, _: u64, _: i32, _: i32, _: i32, _: i64) -> Result<u64, i32> {
        Err(libc::ENOMEM)
    }
    fn munmap(&mut self, _: u64, _: u64) -> Result<(), i32> {
        Err(libc::EINVAL)
    }
    fn mprotect(&mut self, _: u64, _: u64, _: i32) -> Result<(), i32> {
        Err(libc::ENOMEM)
    }
    fn is_accessible(&self, addr: u64, len: u64, _write: bool) -> bool {
        addr >= AREA && addr.checked_add(len).is_some_and(|e| e <= AREA + AREA_LEN as u64)
    }
    fn guest_limit(&self) -> u64 {
        LIMIT
    }
}

impl SyscallContext for Ctx {
    fn exe_path(&self) -> &Path {
        &self.exe
    }
    fn invalidate_code(&mut self, _: u64, _: u64) {}
}

/// What every run shares: the mapped guest area, the secret, and the descriptors that were open
/// before the first run (the fuzzer's own; everything else is closed after each run).
struct Fixture {
    secret: &'static mut [u8],
    before: HashSet<i32>,
    /// The files behind the VM's own descriptors (those the syscall layer opens for itself).
    vm: Vec<(u64, u64)>,
}

fn fixture() -> &'static std::sync::Mutex<Fixture> {
    static F: OnceLock<std::sync::Mutex<Fixture>> = OnceLock::new();
    F.get_or_init(|| {
        // SAFETY: a new mapping at a fixed address that MAP_FIXED_NOREPLACE never lets replace
        // anything; the page after it stays unmapped.
        let p = unsafe {
            libc::mmap(
                AREA as *mut libc::c_void,
                AREA_LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
        };
        assert_eq!(p as u64, AREA, "cannot map the guest area");
        let secret: &'static mut [u8] = Box::leak(vec![0u8; SECRET_LEN].into_boxed_slice());
        assert!(
            secret.as_ptr() as u64 >= LIMIT,
            "the fuzzing process's heap is inside the guest region: nothing to protect"
        );
        // A write to a pipe whose reader a run closed is EPIPE for the guest; the signal that
        // would come with it (a guest's to handle under a64x) would end the fuzzer.
        // SAFETY: setting a signal disposition to SIG_IGN.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
        let before = open_fds();
        drop(Syscalls::new());
        let vm = open_fds().difference(&before).filter_map(|&fd| file_id(fd)).collect();
        std::sync::Mutex::new(Fixture { secret, before, vm })
    })
}

/// The open descriptors of this process.
fn open_fds() -> HashSet<i32> {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

/// The descriptors a run starts with, as the guest's own files.
struct Files {
    fds: Vec<i32>,
}

impl Files {
    fn open() -> Files {
        let mut fds = Vec::new();
        let mut pair = [0i32; 2];
        // SAFETY: each call writes only into `pair` or takes no pointer but a literal path.
        unsafe {
            if libc::pipe2(pair.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) == 0 {
                fds.extend(pair);
            }
            let kind = libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
            if libc::socketpair(libc::AF_UNIX, kind, 0, pair.as_mut_ptr()) == 0 {
                fds.extend(pair);
            }
            fds.push(libc::memfd_create(c"a64x-fuzz-file".as_ptr(), libc::MFD_CLOEXEC));
            fds.push(libc::eventfd(1, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC));
            fds.push(libc::epoll_create1(libc::EPOLL_CLOEXEC));
            let dir = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;
            fds.push(libc::open(c"/proc/self/fd".as_ptr(), dir));
            fds.push(libc::open(c"/proc/self".as_ptr(), dir));
            fds.push(libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC));
        }
        Files { fds }
    }

    /// A descriptor argument: one of the run's files, a closed number, or a high number where
    /// the VM keeps its own descriptors.
    fn pick(&self, sel: u8) -> u64 {
        match sel as usize % (self.fds.len() + 3) {
            i if i < self.fds.len() => self.fds[i] as u64,
            i if i == self.fds.len() => libc::AT_FDCWD as i64 as u64,
            i if i == self.fds.len() + 1 => 700,
            _ => 960 + u64::from(sel % 64),
        }
    }
}

/// A value drawn for an argument or a poke.
fn value(input: &mut Input, files: &Files, secret: u64) -> u64 {
    let sel = input.u8();
    match sel % 10 {
        0 => u64::from(input.u8()),
        1 | 2 => AREA + u64::from(input.u16()) % (AREA_LEN as u64),
        3 => AREA + AREA_LEN as u64 - u64::from(input.u8() % 64),
        4 => secret + u64::from(input.u16()) % SECRET_LEN as u64,
        5 => files.pick(input.u8()),
        6 => u64::from(input.u32()),
        7 => LIMIT - u64::from(input.u16()),
        8 => 1u64 << (input.u8() % 64),
        _ => input.u64(),
    }
}

/// Keep a call from blocking, signalling, or touching what the fuzzer itself needs.
fn fix_args(nr: u64, a: &mut [u64; 6], files: &Files) {
    // The fuzzer's standard descriptors are not the guest's: its log stays readable.
    let kinds = a64x_syscalls::table::lookup(nr).map_or(&[][..], |d| d.args);
    for (k, v) in kinds.iter().zip(a.iter_mut()) {
        if matches!(k, ArgKind::Fd | ArgKind::DirFd) && *v < 3 {
            *v = files.pick(*v as u8);
        }
    }
    let ours = |v: u64| files.fds.contains(&(v as i32)) || v as i32 >= 900;
    match nr {
        // Only the run's descriptors are closed or replaced.
        57 | 24 if !ours(a[if nr == 57 { 0 } else { 1 }]) => a[0] = u64::MAX,
        // F_SETOWN, F_SETSIG, F_SETOWN_EX, F_SETLKW, F_SETLEASE, F_NOTIFY, F_OFD_SETLKW: signals
        // to this process or waits.
        25 if [7, 8, 10, 15, 38, 1024, 1026].contains(&a[1]) => a[1] = 1,
        // FIOASYNC, FIOSETOWN, SIOCSPGRP, TIOCSTI, FIONBIO: SIGIO to this process, the
        // terminal, or a blocking descriptor.
        29 if [0x5452, 0x8901, 0x8902, 0x5412, 0x5421].contains(&(a[1] as u32)) => a[1] = 0x541b,
        22 => a[3] = 0,
        72 => a[4] = ZERO_TIMESPEC,
        73 => a[2] = ZERO_TIMESPEC,
        // futex: WAIT, WAKE, REQUEUE, CMP_REQUEUE, WAKE_OP, WAIT_BITSET, WAKE_BITSET, each with a
        // zero timeout; never the PI operations.
        98 => {
            let op = [0u64, 1, 3, 4, 5, 9, 10][(a[1] & 0xff) as usize % 7];
            a[1] = op | (a[1] & 128);
            if matches!(op, 0 | 9) {
                a[3] = ZERO_TIMESPEC;
            }
        }
        56 | 437 => a[2] &= (libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_PATH) as u64,
        // Read-only opens, never blocking on a FIFO.
        _ => {}
    }
    match nr {
        // Every descriptor is made and stays non-blocking (F_SETFL keeps O_NONBLOCK).
        56 => a[2] |= libc::O_NONBLOCK as u64,
        59 => a[1] |= libc::O_NONBLOCK as u64,
        199 => a[1] |= libc::SOCK_NONBLOCK as u64,
        19 => a[1] |= libc::EFD_NONBLOCK as u64,
        74 => a[3] |= libc::SFD_NONBLOCK as u64,
        25 if a[1] == 4 => a[2] |= libc::O_NONBLOCK as u64,
        95 => a[3] |= libc::WNOHANG as u64,
        260 => a[2] |= libc::WNOHANG as u64,
        261 => (a[0], a[2]) = (0, 0),
        278 => a[2] = (a[2] & !2) | 1, // GRND_NONBLOCK, never GRND_RANDOM
        243 => a[4] = 0,
        46 => a[1] &= (1 << 24) - 1,
        _ => {}
    }
}

/// Every 16-byte run of the secret, at every offset.
fn runs(secret: &[u8]) -> HashSet<u128> {
    secret.windows(16).map(word).collect()
}

fn word(w: &[u8]) -> u128 {
    u128::from_le_bytes(w.try_into().expect("16 bytes"))
}

/// Whether `hay` holds a 16-byte run of the secret.
fn shows(hay: &[u8], runs: &HashSet<u128>) -> bool {
    hay.windows(16).any(|w| runs.contains(&word(w)))
}

/// Whether what changed between `before` and `after` (the guest area around a call) shows a
/// run of the secret: only bytes a call wrote can hold one.
fn wrote_secret(before: &[u8], after: &[u8], runs: &HashSet<u128>) -> bool {
    let changed = |i: &usize| before[*i] != after[*i];
    let (Some(first), Some(last)) = ((0..after.len()).find(changed), (0..after.len()).rev().find(changed)) else {
        return false;
    };
    shows(&after[first.saturating_sub(15)..(last + 16).min(after.len())], runs)
}

/// Run the calls the input describes and check containment after each.
pub fn calls(data: &[u8]) {
    let mut fx = fixture().lock().unwrap_or_else(|e| e.into_inner());
    let mut input = Input::new(data);
    // A secret no input can know: new bytes every run.
    let mut seed = [0u8; 8];
    // SAFETY: getrandom writes only into `seed`.
    unsafe { libc::getrandom(seed.as_mut_ptr().cast(), 8, 0) };
    let mut x = u64::from_le_bytes(seed) | 1;
    for b in fx.secret.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let secret_copy = fx.secret.to_vec();
    let secret_runs = runs(&secret_copy);
    let secret_at = fx.secret.as_ptr() as u64;
    // SAFETY: the guest area is ours, mapped by the fixture.
    let area = unsafe { std::slice::from_raw_parts_mut(AREA as *mut u8, AREA_LEN) };
    area.fill(0);
    let files = Files::open();
    let mut sys = Syscalls::new();
    let mut ctx = Ctx {
        exe: PathBuf::from("/opt/guest/bin/prog"),
    };
    for _ in 0..24 {
        if input.is_empty() {
            break;
        }
        let op = input.u8();
        if op & 0x80 != 0 {
            // A poke: a value into the guest area (not into the zero timespec).
            let at = usize::from(input.u16()) % (AREA_LEN - 128);
            let v = value(&mut input, &files, secret_at);
            area[at..at + 8].copy_from_slice(&v.to_le_bytes());
            continue;
        }
        let nr = CALLS[usize::from(op) % CALLS.len()];
        let mut a = [0u64; 6];
        for v in a.iter_mut() {
            *v = value(&mut input, &files, secret_at);
        }
        fix_args(nr, &mut a, &files);
        // The zero timeout, which an earlier call may have written over (getrandom into the
        // area's end, say): a wait must not sleep for years.
        let z = (ZERO_TIMESPEC - AREA) as usize;
        area[z..z + 16].fill(0);
        let text = strace::format_call_in(Some(&ctx), nr, &a);
        let before = area.to_vec();
        let outcome = sys.dispatch(&mut ctx, nr, a);
        let done = strace::format_result(&text, nr, outcome);
        if std::env::var_os("A64X_FUZZ_TRACE").is_some() {
            eprintln!("{done}");
        }
        assert!(matches!(outcome, SyscallOutcome::Return(_)), "{text}: {outcome:?}");
        assert!(fx.secret[..] == secret_copy[..], "{text}: the VM's memory was written");
        assert!(
            !wrote_secret(&before, area, &secret_runs),
            "{text}: the VM's memory shown in guest memory"
        );
    }
    drain_and_check(&files, &secret_runs);
    close_new(&fx);
}

/// Read what the guest could still read from the run's pipe and socket, looking for the
/// secret: a call that copied VM memory into a file the guest reads.
fn drain_and_check(files: &Files, secret: &HashSet<u128>) {
    for &fd in &files.fds[..files.fds.len().min(4)] {
        // The run may have closed it and put a blocking pipe under its number.
        // SAFETY: F_SETFL takes no pointer.
        unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) };
        let mut buf = vec![0u8; 1 << 17];
        // SAFETY: reading into a live buffer of its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n > 0 {
            assert!(
                !shows(&buf[..n as usize], secret),
                "the VM's memory readable from fd {fd}"
            );
        }
    }
}

/// The (device, inode) of descriptor `fd`.
fn file_id(fd: i32) -> Option<(u64, u64)> {
    // SAFETY: fstat writes only into the local.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    (unsafe { libc::fstat(fd, &mut st) } == 0).then_some((st.st_dev, st.st_ino))
}

/// Close every descriptor a run opened, after checking that none the guest can use is a VM
/// file (a copy of one, say through SCM_RIGHTS, would give the guest the VM's file): every
/// descriptor of a VM file must be one the syscall layer keeps for the VM (they stay open, at
/// 900 and above, moved when the guest `dup3`s onto one).
fn close_new(fx: &Fixture) {
    for fd in open_fds() {
        if fx.before.contains(&fd) {
            continue;
        }
        let id = file_id(fd);
        let vm = id.is_some_and(|i| fx.vm.contains(&i));
        assert!(
            !vm || a64x_syscalls::is_vm_descriptor(fd as u64),
            "descriptor {fd} is a VM file the guest can use"
        );
        if !vm {
            // SAFETY: a descriptor a run opened; nothing else holds it.
            unsafe { libc::close(fd) };
        }
    }
}
