//! Profiling of translated code: `--perfmap` (a perf map file naming every translated block
//! after its guest function, so that `perf record`/`perf report` on a64x attribute samples in
//! JIT code to guest functions), `--jitdump` (the same for `perf inject --jit`, with the host
//! code), `--profile` (a64x's own sampling profiler: a SIGPROF interval timer records the
//! interrupted host pc, and at exit the samples are mapped back to translated blocks and guest
//! functions in a text report, with each block's execution count from counters the blocks
//! increment) and `--flamegraph` (the samples' guest call stacks as an SVG).
//!
//! Both hang off one hook of the code cache ([`a64x_translator::cache::TranslateHook`]), called
//! for every block translated by any guest thread's cache. The state is process-wide (`STATE`),
//! set up once by [`start`] before the guest runs and wrapped up by [`finish`] when it exits.
//!
//! Limits: with `--profile` the host's SIGPROF and ITIMER_PROF belong to the profiler, so a guest
//! that uses them (its own profiling, `setitimer(ITIMER_PROF)`) gets no SIGPROF and may stop the
//! sampling; a forked child is not profiled (its samples are dropped; its perf map is its own file,
//! starting with a copy of the parent's); after a guest `execve` the report of the old program is
//! lost with its process image, and the new one is profiled only when `A64X_PROFILE` is in its
//! environment (`--perfmap` is passed on to it, `--profile` is not). A code cache flush reuses host
//! addresses: samples are then attributed to the newest block at that address.

mod flame;
mod jitdump;
mod perfmap;
mod report;
mod sampler;

use a64x_translator::cache::{TranslateHook, Translated};
use a64x_translator::lift::LiftOptions;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};

pub use sampler::owns_sigprof;

/// Sampling frequency of `--profile`, in samples per second of CPU time.
pub const SAMPLE_HZ: u32 = 1000;

/// What to profile (from the command line).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Write `/tmp/perf-PID.map`.
    pub perfmap: bool,
    /// Sample and write the report to this file (`None`: no sampling; `Some(None)`: stderr).
    pub profile: Option<Option<PathBuf>>,
    /// Write `DIR/jit-PID.dump`.
    pub jitdump: Option<PathBuf>,
    /// Sample with guest call stacks and write a flame graph SVG to this file.
    pub flamegraph: Option<PathBuf>,
    /// Count block executions for the report (`--profile-counts`).
    pub counts: bool,
    /// How blocks are lifted (to show the IR of hot blocks as they were translated).
    pub lift: LiftOptions,
}

impl Options {
    /// Whether samples are taken.
    pub fn samples(&self) -> bool {
        self.profile.is_some() || self.flamegraph.is_some()
    }
}

/// The guest executable's function symbols, for naming blocks.
pub struct Symbols {
    /// (address, size, name), sorted by address.
    list: Vec<(u64, u64, String)>,
}

impl Symbols {
    /// Symbols from the loader's list (already sorted by address, but sorting again is cheap).
    pub fn new(mut list: Vec<(u64, u64, String)>) -> Symbols {
        list.sort_by_key(|s| s.0);
        Symbols { list }
    }

    /// The function containing `pc` and the offset of `pc` in it. A symbol of size 0 (assembly
    /// labels) is taken to cover up to 4 KiB, never past the next symbol.
    pub fn lookup(&self, pc: u64) -> Option<(&str, u64)> {
        let i = self.list.partition_point(|s| s.0 <= pc);
        // Aliases and nested symbols share addresses: look at a few candidates below `pc`.
        self.list[..i]
            .iter()
            .rev()
            .take(8)
            .find(|&&(addr, size, _)| {
                if size == 0 {
                    pc - addr < 0x1000
                } else {
                    pc - addr < size
                }
            })
            .map(|(addr, _, name)| (name.as_str(), pc - addr))
    }

    /// `name+0xoff` for `pc`, or `None` outside every symbol.
    pub fn describe(&self, pc: u64) -> Option<String> {
        self.lookup(pc).map(|(name, off)| match off {
            0 => name.to_string(),
            _ => format!("{name}+{off:#x}"),
        })
    }
}

/// One translated block, kept for the report.
pub(crate) struct BlockRecord {
    /// Guest address of its first instruction.
    pub guest_pc: u64,
    /// Its guest instructions as (address, word), read when it was translated.
    pub guest: Vec<(u64, u32)>,
    /// The other guest words its translation read (successors examined for liveness).
    pub depends: Vec<(u64, u32)>,
    /// Address of its execution counter.
    pub counter: Option<u64>,
    /// Host address of its code.
    pub host: u64,
    /// Its host code as emitted.
    pub code: Vec<u8>,
}

/// The profiler's process-wide state.
struct State {
    /// Guest function names (the program's, then those of libraries as they are mapped).
    symbols: Mutex<Symbols>,
    /// The perf map file, with `--perfmap`.
    perfmap: Option<Mutex<perfmap::PerfMap>>,
    /// The jitdump file, with `--jitdump`.
    jitdump: Option<Mutex<jitdump::JitDump>>,
    /// Where the report goes (`None`: stderr), with `--profile`.
    report: Option<Option<PathBuf>>,
    /// Where the flame graph goes, with `--flamegraph`.
    flamegraph: Option<PathBuf>,
    /// How blocks were lifted.
    lift: LiftOptions,
    /// Every block translated, with `--profile`.
    blocks: Mutex<Vec<BlockRecord>>,
    /// The process that started profiling: a forked child has another pid and reports nothing.
    pid: i32,
}

static STATE: OnceLock<State> = OnceLock::new();

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Set up profiling before the guest runs: open the perf map, install the SIGPROF handler and
/// start the timer. Must come before [`crate::signal::Signals::new`], which takes the host's
/// dispositions found at start (ours for SIGPROF) as those a guest's `SIG_DFL` goes back to.
/// Returns the hook to give the code cache (`None` when nothing is profiled).
/// `symbols` gives the program's function symbols (read only when something is profiled).
pub fn start(
    opts: &Options,
    symbols: impl FnOnce() -> Vec<(u64, u64, String)>,
) -> Result<Option<TranslateHook>, String> {
    if !opts.perfmap && opts.jitdump.is_none() && !opts.samples() {
        return Ok(None);
    }
    let symbols = symbols();
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    let perfmap = if opts.perfmap {
        Some(Mutex::new(perfmap::PerfMap::create(pid)?))
    } else {
        None
    };
    let jitdump = match &opts.jitdump {
        Some(dir) => Some(Mutex::new(jitdump::JitDump::create(dir, pid)?)),
        None => None,
    };
    let state = State {
        symbols: Mutex::new(Symbols::new(symbols)),
        perfmap,
        jitdump,
        report: opts.profile.clone(),
        flamegraph: opts.flamegraph.clone(),
        lift: opts.lift,
        blocks: Mutex::new(Vec::new()),
        pid,
    };
    if STATE.set(state).is_err() {
        return Err("profiling started twice".into());
    }
    if opts.samples() {
        sampler::start(SAMPLE_HZ, opts.flamegraph.is_some())?;
    }
    Ok(Some(on_translate))
}

/// The code cache hook: name the block in the perf map, keep it for the report.
fn on_translate(t: &Translated, fetch: &dyn Fn(u64) -> Option<u32>) {
    let Some(state) = STATE.get() else { return };
    if state.perfmap.is_some() || state.jitdump.is_some() {
        let name = match lock(&state.symbols).describe(t.guest_pc) {
            Some(s) => format!("a64x:{s}@{:#x}", t.guest_pc),
            None => format!("a64x:{:#x}", t.guest_pc),
        };
        if let Some(map) = &state.perfmap {
            lock(map).add(t.host, t.code.len() as u64, &name);
        }
        if let Some(j) = &state.jitdump {
            lock(j).add(t.host, t.code, &name);
        }
    }
    if state.report.is_some() || state.flamegraph.is_some() {
        let words = |ranges: &[(u64, u64)]| -> Vec<(u64, u32)> {
            ranges
                .iter()
                .flat_map(|&(s, e)| (s..e).step_by(4))
                .filter_map(|pc| fetch(pc).map(|w| (pc, w)))
                .collect()
        };
        // The words are read before the records are locked: reading may take the address
        // space's lock (a block placed from another thread's translation has read none yet),
        // which a thread translating holds while it waits for the records: taken the other
        // way round, two threads of a JIT deadlocked.
        let record = BlockRecord {
            guest_pc: t.guest_pc,
            guest: words(t.guest_ranges),
            depends: words(t.guest_depends),
            counter: t.counter,
            host: t.host,
            code: t.code.to_vec(),
        };
        lock(&state.blocks).push(record);
    }
}

/// The guest mapped file descriptor `fd` from offset `off` at `addr` executable (the dynamic
/// loader mapping a library's code): name its functions too, when profiling.
pub fn note_exec_mapping(fd: i32, addr: u64, off: u64) {
    let Some(state) = STATE.get() else { return };
    let path = PathBuf::from(format!("/proc/self/fd/{fd}"));
    let Ok(bytes) = std::fs::read(&path) else { return };
    let syms = crate::loader::mapped_symbols(&path, &bytes, addr, off);
    if syms.is_empty() {
        return;
    }
    let mut s = lock(&state.symbols);
    let mut list = std::mem::take(&mut s.list);
    list.extend(syms);
    *s = Symbols::new(list);
}

/// Wrap up when the guest process exits (by any thread): stop sampling, write the report, flush
/// the perf map. Does something once, and only in the process that started profiling.
pub fn finish() {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let Some(state) = STATE.get() else { return };
    // SAFETY: getpid has no preconditions.
    if unsafe { libc::getpid() } != state.pid || DONE.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    if let Some(map) = &state.perfmap {
        lock(map).flush();
    }
    if let Some(j) = &state.jitdump {
        lock(j).close();
    }
    if state.report.is_none() && state.flamegraph.is_none() {
        return;
    }
    let samples = sampler::stop();
    let blocks = index_blocks(std::mem::take(&mut *lock(&state.blocks)));
    if let Some(path) = &state.flamegraph {
        let lines = flame::folded(&samples, &blocks, &lock(&state.symbols));
        let title = format!("a64x: guest call stacks ({} samples)", samples.pcs.len());
        let written = flame::svg(&lines, &title).and_then(|svg| std::fs::write(path, svg).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("a64x: cannot write the flame graph to {}: {e}", path.display());
        }
    }
    let Some(dest) = &state.report else { return };
    let text = report::render(&samples, &blocks, &lock(&state.symbols), state.lift);
    match dest {
        None => eprint!("{text}"),
        Some(path) => {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("a64x: cannot write the profile to {}: {e}", path.display());
            }
        }
    }
}

/// The blocks sorted by host address, one per address: after a code cache flush the newest
/// record of an address wins (the sort is stable, so it is the last of its equals).
fn index_blocks(mut blocks: Vec<BlockRecord>) -> Vec<BlockRecord> {
    blocks.sort_by_key(|b| b.host);
    let mut dedup: Vec<BlockRecord> = Vec::with_capacity(blocks.len());
    for b in blocks {
        if dedup.last().is_some_and(|l| l.host == b.host) {
            dedup.pop();
        }
        dedup.push(b);
    }
    dedup
}

/// The index of the block whose host code contains `pc`, in blocks from [`index_blocks`].
fn block_of(blocks: &[BlockRecord], pc: u64) -> Option<usize> {
    let k = blocks.partition_point(|b| b.host <= pc).checked_sub(1)?;
    (pc < blocks[k].host + blocks[k].code.len() as u64).then_some(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_cover_their_size_and_labels_a_page() {
        let s = Symbols::new(vec![
            (0x1000, 0x20, "f".into()),
            (0x1020, 0, "label".into()),
            (0x3000, 0x10, "g".into()),
        ]);
        assert_eq!(s.describe(0x1000).as_deref(), Some("f"));
        assert_eq!(s.describe(0x101c).as_deref(), Some("f+0x1c"));
        assert_eq!(s.describe(0x1024).as_deref(), Some("label+0x4"));
        assert_eq!(s.describe(0x2100), None);
        assert_eq!(s.describe(0x3010), None);
        assert_eq!(s.describe(0xfff), None);
    }
}
