//! Profiling of translated code: `--perfmap` (a perf map file naming every translated block
//! after its guest function, so that `perf record`/`perf report` on a64x attribute samples in
//! JIT code to guest functions) and `--profile` (a64x's own sampling profiler: a SIGPROF interval
//! timer records the interrupted host pc, and at exit the samples are mapped back to translated
//! blocks and guest functions in a text report).
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

mod perfmap;
mod report;
mod sampler;

use a64x_translator::cache::{TranslateHook, Translated};
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
    /// Host address of its code.
    pub host: u64,
    /// Its host code as emitted.
    pub code: Vec<u8>,
}

/// The profiler's process-wide state.
struct State {
    /// Guest function names.
    symbols: Symbols,
    /// The perf map file, with `--perfmap`.
    perfmap: Option<Mutex<perfmap::PerfMap>>,
    /// Where the report goes (`None`: stderr), with `--profile`.
    report: Option<Option<PathBuf>>,
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
pub fn start(opts: &Options, symbols: Vec<(u64, u64, String)>) -> Result<Option<TranslateHook>, String> {
    if !opts.perfmap && opts.profile.is_none() {
        return Ok(None);
    }
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    let perfmap = if opts.perfmap {
        Some(Mutex::new(perfmap::PerfMap::create(pid)?))
    } else {
        None
    };
    let state = State {
        symbols: Symbols::new(symbols),
        perfmap,
        report: opts.profile.clone(),
        blocks: Mutex::new(Vec::new()),
        pid,
    };
    if STATE.set(state).is_err() {
        return Err("profiling started twice".into());
    }
    if opts.profile.is_some() {
        sampler::start(SAMPLE_HZ)?;
    }
    Ok(Some(on_translate))
}

/// The code cache hook: name the block in the perf map, keep it for the report.
fn on_translate(t: &Translated, fetch: &dyn Fn(u64) -> Option<u32>) {
    let Some(state) = STATE.get() else { return };
    if let Some(map) = &state.perfmap {
        let name = match state.symbols.describe(t.guest_pc) {
            Some(s) => format!("a64x:{s}@{:#x}", t.guest_pc),
            None => format!("a64x:{:#x}", t.guest_pc),
        };
        lock(map).add(t.host, t.code.len() as u64, &name);
    }
    if state.report.is_some() {
        let guest = t
            .guest_ranges
            .iter()
            .flat_map(|&(s, e)| (s..e).step_by(4))
            .filter_map(|pc| fetch(pc).map(|w| (pc, w)))
            .collect();
        lock(&state.blocks).push(BlockRecord {
            guest_pc: t.guest_pc,
            guest,
            host: t.host,
            code: t.code.to_vec(),
        });
    }
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
    let Some(dest) = &state.report else { return };
    let samples = sampler::stop();
    let blocks = std::mem::take(&mut *lock(&state.blocks));
    let text = report::render(&samples, blocks, &state.symbols);
    match dest {
        None => eprint!("{text}"),
        Some(path) => {
            if let Err(e) = std::fs::write(path, text) {
                eprintln!("a64x: cannot write the profile to {}: {e}", path.display());
            }
        }
    }
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
