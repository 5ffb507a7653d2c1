//! A gdb remote stub, as `qemu-aarch64 -g` has: `-g PORT` (TCP, on the loopback interface) or
//! `-g PATH` (a Unix socket), also `A64X_GDB`/`QEMU_GDB`. The guest waits before its first
//! instruction until gdb connects; then gdb reads and writes registers and guest memory (the
//! guest's view only: what is not mapped for the guest is an error, never the VM's memory), sets
//! breakpoints, steps, continues, interrupts with Ctrl-C, sees the guest's signals and threads.
//!
//! How it fits the translator: guest code is never patched. Stops happen in the run loop, at
//! block boundaries ([`crate::run::Vm`]'s `gdb_check`), where every register is in CpuState
//! (under gdb blocks write all of them back: `LiftOptions::drop_dead_writebacks`). So that the
//! boundaries fall where gdb needs them ([`BlockLimit`]): a block ends before any breakpoint
//! address and is never chained or jump-cached into one (inserting a breakpoint drops the
//! translations that hold its address, in every thread); the thread being stepped, and every
//! thread while a watchpoint is set, runs blocks of one instruction that return to the run loop.
//! Otherwise translated code runs as fast as without gdb. Ctrl-C is noticed by a helper thread
//! that polls the socket and kicks the guest threads back to their run loops.
//!
//! All-stop: when one thread stops for gdb, it becomes the one that talks to gdb and the others
//! park at their next instruction boundary (a thread blocked in a system call parks when it
//! returns), so that every thread's registers hold still while gdb looks at them.

mod packet;
pub mod regs;
mod serve;
mod vfile;

pub use serve::Resume;

use a64x_translator::cpu::CpuState;
use packet::{Channel, Conn};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant};

/// A debugging session is on: one-instruction blocks, no chaining, checks in the run loop.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The first instruction has not run yet: stop there for gdb.
static AT_START: AtomicBool = AtomicBool::new(false);
/// The socket has something to read while the guest runs (maybe Ctrl-C): look at the next
/// boundary.
static INTERRUPT_HINT: AtomicBool = AtomicBool::new(false);
/// The connection and what gdb asked for; held by the thread serving gdb.
static SESSION: Mutex<Option<Session>> = Mutex::new(None);
/// Breakpoint addresses (read at every instruction boundary while [`BREAKPOINT_COUNT`] is not 0).
static BREAKPOINTS: RwLock<Vec<u64>> = RwLock::new(Vec::new());
static BREAKPOINT_COUNT: AtomicUsize = AtomicUsize::new(0);
/// Write watchpoints: (address, length, the bytes last seen there).
static WATCHPOINTS: Mutex<Vec<(u64, usize, Vec<u8>)>> = Mutex::new(Vec::new());
/// Whether [`WATCHPOINTS`] has any (read at every instruction boundary).
static WATCHING: AtomicBool = AtomicBool::new(false);

/// Live guest threads: tid -> CpuState address.
static THREADS: Mutex<BTreeMap<u64, usize>> = Mutex::new(BTreeMap::new());
/// A thread is serving gdb: the others park.
static STOPPING: AtomicBool = AtomicBool::new(false);
/// Threads parked now.
static PARKED: AtomicUsize = AtomicUsize::new(0);
/// Bumped at every resume; parked threads wait for it to change.
static RESUMES: Mutex<u64> = Mutex::new(0);
static RESUMED: Condvar = Condvar::new();
/// The thread gdb asked to step (0: none).
static STEP_TID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This parked thread was woken as the one to step: the boundary it parked at is where the
    /// step starts, not where it ends.
    static JUST_RESUMED: Cell<bool> = const { Cell::new(false) };
    /// Boundaries since the socket was last polled for Ctrl-C.
    static SINCE_POLL: Cell<u32> = const { Cell::new(0) };
    /// This host thread's id (0: not asked yet): gettid is a system call, and the step check
    /// runs at every boundary.
    static TID: Cell<u64> = const { Cell::new(0) };
    /// gdb just resumed this thread for a step: the translation at its pc must be dropped, so
    /// that the step runs a block of one instruction.
    static STEP_START: Cell<bool> = const { Cell::new(false) };
}

/// What gdb is connected with and has set up.
pub(crate) struct Session {
    ch: Channel,
    /// The thread `g`, `G`, `p`, `P` work on (`Hg`).
    selected: u64,
    /// The guest's auxiliary vector (`qXfer:auxv:read`), as bytes.
    auxv: Vec<u8>,
    /// The program's host path (`qXfer:exec-file:read`).
    exe: String,
    /// The guest's sysroot (`-L`), where `vFile:open` looks first.
    sysroot: Option<std::path::PathBuf>,
    /// The files gdb opened with `vFile:open`.
    files: vfile::Files,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether gdb is attached.
pub fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// `-g SPEC`: listen on TCP port SPEC (loopback) or Unix socket path SPEC, wait for gdb, and
/// start the session; the guest then stops before its first instruction.
pub fn listen(
    spec: &str,
    auxv: &[(u64, u64)],
    exe: &std::path::Path,
    sysroot: Option<&std::path::Path>,
) -> Result<(), String> {
    use std::os::fd::{FromRawFd, IntoRawFd};
    // The guest must not reach the VM's socket: it moves to a high number the guest is refused.
    let keep = |fd: i32| a64x_syscalls::keep_from_guest(fd).fd();
    let conn = if let Ok(port) = spec.parse::<u16>() {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| format!("gdb: cannot listen on port {port}: {e}"))?;
        let (s, _) = listener.accept().map_err(|e| format!("gdb: accept: {e}"))?;
        let _ = s.set_nodelay(true);
        // SAFETY: the descriptor `keep` returns is the accepted socket's, now ours alone.
        Conn::Tcp(unsafe { std::net::TcpStream::from_raw_fd(keep(s.into_raw_fd())) })
    } else {
        let _ = std::fs::remove_file(spec);
        let listener =
            std::os::unix::net::UnixListener::bind(spec).map_err(|e| format!("gdb: cannot listen on {spec}: {e}"))?;
        let (s, _) = listener.accept().map_err(|e| format!("gdb: accept: {e}"))?;
        let _ = std::fs::remove_file(spec);
        // SAFETY: as above.
        Conn::Unix(unsafe { std::os::unix::net::UnixStream::from_raw_fd(keep(s.into_raw_fd())) })
    };
    *lock(&SESSION) = Some(Session {
        ch: Channel::new(conn),
        selected: 0,
        auxv: auxv
            .iter()
            .flat_map(|&(k, v)| [k.to_le_bytes(), v.to_le_bytes()])
            .flatten()
            .collect(),
        exe: exe.to_string_lossy().into_owned(),
        sysroot: sysroot.map(|p| p.to_path_buf()),
        files: vfile::Files::default(),
    });
    AT_START.store(true, Ordering::SeqCst);
    ACTIVE.store(true, Ordering::SeqCst);
    watch_for_interrupts(lock(&SESSION).as_ref().map_or(-1, |s| s.ch.fd()));
    Ok(())
}

/// A host thread that waits for input on the socket while the guest runs and then kicks the
/// guest threads to their run loops, where [`check`] reads it (a guest in a chained loop would
/// otherwise never look). It blocks every signal, so that the host kernel never hands it one of
/// the guest's.
fn watch_for_interrupts(fd: i32) {
    let _ = crate::signal::host::with_all_blocked(|| {
        std::thread::Builder::new()
            .name("a64x-gdb".into())
            .stack_size(64 << 10)
            .spawn(move || {
                while active() {
                    if STOPPING.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    }
                    let mut p = libc::pollfd {
                        fd,
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    // SAFETY: one pollfd of ours.
                    if unsafe { libc::poll(&mut p, 1, 100) } > 0 && !STOPPING.load(Ordering::SeqCst) {
                        INTERRUPT_HINT.store(true, Ordering::SeqCst);
                        crate::thread::kick_all();
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            })
    });
}

/// Where the blocks translated now must end, and which exits may be linked to their targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockLimit {
    /// No debugger, or nothing set: blocks as usual.
    Free,
    /// Before every breakpoint address (a block may start at one).
    Breakpoints,
    /// After every instruction (a step of this thread, or a watchpoint).
    Single,
}

impl BlockLimit {
    /// The limit for the block starting at `start`: one instruction if a breakpoint is there,
    /// so that a loop whose head it is cannot run round inside the block past it.
    pub fn for_block(self, start: u64) -> BlockLimit {
        match self {
            BlockLimit::Breakpoints if is_breakpoint(start) => BlockLimit::Single,
            other => other,
        }
    }

    /// Whether a block (starting elsewhere) must end before the instruction at `at`.
    pub fn ends_before(self, at: u64) -> bool {
        match self {
            BlockLimit::Free => false,
            BlockLimit::Breakpoints => is_breakpoint(at),
            BlockLimit::Single => true,
        }
    }

    /// Whether an exit may jump straight to the block at `target` (chaining, the jump cache),
    /// bypassing the run loop.
    pub fn may_link(self, target: u64) -> bool {
        match self {
            BlockLimit::Free => true,
            BlockLimit::Breakpoints => !is_breakpoint(target),
            BlockLimit::Single => false,
        }
    }
}

/// The limit for the calling thread's translations and links now.
pub fn block_limit() -> BlockLimit {
    if !active() {
        BlockLimit::Free
    } else if WATCHING.load(Ordering::Relaxed) || STEP_TID.load(Ordering::Relaxed) == gettid() {
        BlockLimit::Single
    } else if BREAKPOINT_COUNT.load(Ordering::Relaxed) != 0 {
        BlockLimit::Breakpoints
    } else {
        BlockLimit::Free
    }
}

fn is_breakpoint(at: u64) -> bool {
    BREAKPOINT_COUNT.load(Ordering::Relaxed) != 0 && BREAKPOINTS.read().unwrap_or_else(|e| e.into_inner()).contains(&at)
}

/// Whether gdb just resumed this thread for a step (asked once).
pub fn take_step_start() -> bool {
    STEP_START.with(|s| s.replace(false))
}

/// The calling host thread's id (guest tids are host tids).
fn gettid() -> u64 {
    TID.with(|t| {
        if t.get() == 0 {
            // SAFETY: gettid cannot fail.
            t.set(unsafe { libc::syscall(libc::SYS_gettid) as u64 });
        }
        t.get()
    })
}

/// Record the running guest thread (its CpuState lives until [`unregister_thread`]).
pub fn register_thread(cpu: *mut CpuState) {
    if active() {
        lock(&THREADS).insert(gettid(), cpu as usize);
    }
}

/// Forget the calling guest thread, which is exiting.
pub fn unregister_thread() {
    if active() {
        lock(&THREADS).remove(&gettid());
    }
}

/// In a forked child: the session is the parent's (qemu-user's children run undebugged too).
pub fn forget_after_fork() {
    if active() {
        ACTIVE.store(false, Ordering::SeqCst);
        if let Ok(mut s) = SESSION.try_lock() {
            if let Some(session) = s.take() {
                // SAFETY: the child's copy of the socket, closed in the child only.
                unsafe { libc::close(session.ch.fd()) };
                std::mem::forget(session);
            }
        }
    }
}

/// Tell gdb how the process ended (`W`: exit status, `X`: signal).
pub fn report_exit(exit: crate::run::GuestExit) {
    if !active() {
        return;
    }
    let reply = match exit {
        crate::run::GuestExit::Exited(code) => format!("W{:02x}", code & 0xff),
        crate::run::GuestExit::Signaled(sig) => format!("X{:02x}", regs::to_gdb(sig as u32)),
    };
    if let Some(s) = lock(&SESSION).as_mut() {
        let _ = s.ch.send(reply.as_bytes());
    }
}

/// Why a thread stops for gdb.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// Before the first instruction: SIGTRAP, told only when gdb asks (`?`).
    Start,
    /// At a breakpoint, or at the end of a step: SIGTRAP.
    Trap,
    /// Ctrl-C: SIGINT.
    Interrupt,
    /// A signal on its way to the guest (Linux number).
    Signal(u32),
    /// A write watchpoint's bytes changed (its address).
    Watch(u64),
}

impl StopReason {
    fn gdb_signal(self) -> u8 {
        match self {
            StopReason::Start | StopReason::Trap | StopReason::Watch(_) => 5,
            StopReason::Interrupt => 2,
            StopReason::Signal(s) => regs::to_gdb(s),
        }
    }
}

/// At an instruction boundary of this thread (pc `pc`): why to stop for gdb, if so. Parks the
/// thread first if another one is serving gdb (so `mem`, which locks the address space for
/// the watchpoints, is not called before: the serving thread needs that lock).
pub fn check(pc: u64, mem: &crate::run::SharedMemory) -> Option<StopReason> {
    if STOPPING.load(Ordering::SeqCst) {
        park();
    }
    if AT_START.load(Ordering::Relaxed) && AT_START.swap(false, Ordering::SeqCst) {
        return Some(StopReason::Start);
    }
    if JUST_RESUMED.with(|r| r.replace(false)) {
        return None;
    }
    if STEP_TID.load(Ordering::Relaxed) == gettid() {
        return Some(StopReason::Trap);
    }
    if is_breakpoint(pc) {
        return Some(StopReason::Trap);
    }
    if WATCHING.load(Ordering::Relaxed) {
        if let Some(addr) = changed_watchpoint(&mem.read().unwrap_or_else(|e| e.into_inner())) {
            return Some(StopReason::Watch(addr));
        }
    }
    let n = SINCE_POLL.with(|c| c.replace(c.get().wrapping_add(1)));
    let hinted = INTERRUPT_HINT.load(Ordering::Relaxed) && INTERRUPT_HINT.swap(false, Ordering::SeqCst);
    if hinted || n.is_multiple_of(1024) {
        if let Ok(mut s) = SESSION.try_lock() {
            if s.as_mut().is_some_and(|s| s.ch.poll_interrupt()) {
                return Some(StopReason::Interrupt);
            }
            if s.as_ref().is_some_and(|s| s.ch.closed) {
                // gdb went away while the guest ran: it runs on undebugged.
                end(&mut s);
            }
        }
    }
    None
}

/// End the session in `slot` (gdb detached or went away): the connection and gdb's files close,
/// breakpoints and watchpoints go, and the guest runs on undebugged.
fn end(slot: &mut Option<Session>) {
    *slot = None;
    ACTIVE.store(false, Ordering::SeqCst);
    BREAKPOINTS.write().unwrap_or_else(|e| e.into_inner()).clear();
    BREAKPOINT_COUNT.store(0, Ordering::SeqCst);
    lock(&WATCHPOINTS).clear();
    WATCHING.store(false, Ordering::SeqCst);
}

/// The first write watchpoint whose bytes differ from those last seen (now taken as seen).
/// Watching by comparison after every instruction, as the run loop sees each one under gdb:
/// a write of the same value is not seen, as on hardware it would be.
fn changed_watchpoint(mem: &crate::memory::AddressSpace) -> Option<u64> {
    let mut wps = lock(&WATCHPOINTS);
    for (addr, len, seen) in wps.iter_mut() {
        let now = a64x_syscalls::read_bytes(mem, *addr, *len).unwrap_or_default();
        if now != *seen {
            *seen = now;
            return Some(*addr);
        }
    }
    None
}

/// Add (`insert`) or remove a write watchpoint of `len` bytes at `addr`.
fn set_watchpoint(insert: bool, addr: u64, len: usize, mem: &crate::memory::AddressSpace) {
    let mut wps = lock(&WATCHPOINTS);
    wps.retain(|&(a, l, _)| (a, l) != (addr, len));
    if insert {
        let seen = a64x_syscalls::read_bytes(mem, addr, len).unwrap_or_default();
        wps.push((addr, len, seen));
    }
    WATCHING.store(!wps.is_empty(), Ordering::SeqCst);
}

/// Take the watched bytes as they are now (gdb may have written them while the guest stood).
fn refresh_watchpoints(mem: &crate::memory::AddressSpace) {
    for (addr, len, seen) in lock(&WATCHPOINTS).iter_mut() {
        *seen = a64x_syscalls::read_bytes(mem, *addr, *len).unwrap_or_default();
    }
}

/// Wait while another thread serves gdb.
fn park() {
    let mut resumes = lock(&RESUMES);
    let seen = *resumes;
    PARKED.fetch_add(1, Ordering::SeqCst);
    while *resumes == seen && STOPPING.load(Ordering::SeqCst) {
        resumes = RESUMED.wait(resumes).unwrap_or_else(|e| e.into_inner());
    }
    PARKED.fetch_sub(1, Ordering::SeqCst);
    if STEP_TID.load(Ordering::SeqCst) == gettid() {
        JUST_RESUMED.with(|r| r.set(true));
        STEP_START.with(|s| s.set(true));
    }
}

/// Become the thread serving gdb: the others are asked to park, and given a moment to.
fn stop_others() {
    STOPPING.store(true, Ordering::SeqCst);
    crate::thread::kick_all();
    let others = lock(&THREADS).len().saturating_sub(1);
    let start = Instant::now();
    while PARKED.load(Ordering::SeqCst) < others && start.elapsed() < Duration::from_millis(200) {
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Let every thread run again; `step` is the thread to stop after one instruction (0: none).
fn resume_all(step: u64) {
    // The serving thread's own boundary check is behind it: it runs the instruction at its pc
    // next. A parked one is still inside its check (see `park`).
    STEP_TID.store(step, Ordering::SeqCst);
    STEP_START.with(|s| s.set(step != 0 && step == gettid()));
    let mut resumes = lock(&RESUMES);
    *resumes += 1;
    STOPPING.store(false, Ordering::SeqCst);
    RESUMED.notify_all();
}

/// The CpuState of guest thread `tid`, if it lives.
fn cpu_of(tid: u64) -> Option<*mut CpuState> {
    lock(&THREADS).get(&tid).map(|&c| c as *mut CpuState)
}

/// The live guest threads' ids.
fn thread_ids() -> Vec<u64> {
    lock(&THREADS).keys().copied().collect()
}
