//! Translation speed (DESIGN "How it is tested", item 6): decode, lift + optimise, and the whole
//! pipeline up to emitted x86-64 in the code cache, over the real AArch64 code in the `.text` of
//! `test-binaries/prebuilt/hello` (static glibc), reported as guest instructions per second.
//!
//! Run: `cargo bench --bench translate` (add `-- --quick` for a fast rough number). On a shared
//! machine the timings wander by 20%; for a repeatable figure run a fixed amount of work under
//! callgrind and compare instruction counts: `TRANSLATE_PASSES=3 valgrind --tool=callgrind
//! target/release/deps/translate-*` (the bench binary) translates the text 3 times and exits
//! (quick tier; with `TRANSLATE_OPTIMISED=1` the optimised one). `TRANSLATE_WARM=1` measures a
//! warm start's work instead: the text translated once into a persistent store, then each pass
//! a fresh process's placing of every block from that store's file (`--toggle-collect='*place_all*'`
//! counts the placing alone). `TRANSLATE_BINARY=ELF` translates that binary's text instead (a
//! file of JIT-like functions, say: a block's cost depends on what is in it).

use a64x_translator::a64;
use a64x_translator::cache::persist::Store;
use a64x_translator::cache::CodeCache;
use a64x_translator::lift::{lift_block, LiftOptions};
use a64x_translator::opt;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use goblin::elf::{program_header::PF_X, program_header::PT_LOAD, Elf};
use std::sync::Arc;
use std::time::Duration;

const BINARY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/test-binaries/prebuilt/hello");

/// Guest code: instruction words starting at guest address `base`.
struct Text {
    base: u64,
    words: Vec<u32>,
}

impl Text {
    /// `.text` by section header; the executable PT_LOAD segment when section headers are absent
    /// (a stripped binary keeps them, but a hand-made one need not).
    fn load(path: &str) -> Text {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let elf = Elf::parse(&bytes).expect("ELF");
        assert_eq!(
            elf.header.e_machine,
            goblin::elf::header::EM_AARCH64,
            "{path} is not AArch64"
        );
        let (addr, range) = elf
            .section_headers
            .iter()
            .find(|s| elf.shdr_strtab.get_at(s.sh_name) == Some(".text"))
            .map(|s| (s.sh_addr, s.file_range().expect(".text has file contents")))
            .or_else(|| {
                elf.program_headers
                    .iter()
                    .find(|p| p.p_type == PT_LOAD && p.p_flags & PF_X != 0)
                    .map(|p| (p.p_vaddr, p.file_range()))
            })
            .expect("no .text and no executable segment");
        let words = bytes[range]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        Text { base: addr, words }
    }

    fn fetch(&self) -> impl Fn(u64) -> Option<u32> + '_ {
        move |a| {
            let i = a.checked_sub(self.base)? / 4;
            self.words.get(i as usize).copied()
        }
    }

    /// Block start addresses covering the whole text: each block starts where the previous one
    /// ended. This is not the program's real control flow (literal pools and padding get lifted
    /// too, as `Undefined`), but it translates every instruction exactly once, like a cold start.
    fn block_starts(&self, opts: LiftOptions) -> (Vec<u64>, u64) {
        let fetch = self.fetch();
        let (mut starts, mut insns) = (Vec::new(), 0u64);
        let mut pc = self.base;
        while let Some(b) = lift_block(pc, &fetch, opts) {
            starts.push(pc);
            insns += b.guest_len as u64;
            pc += 4 * b.guest_len as u64;
        }
        (starts, insns)
    }
}

/// A code cache as the VM makes one: large enough that no flush lands in the middle of a
/// measurement, and making code without the checks of FPCR.FZ (the VM adds them only once a
/// guest thread sets FZ; the persistent store is used only by caches without them, so a bench
/// cache with them measured no store at all).
fn vm_cache(opts: LiftOptions) -> CodeCache {
    let mut cache = CodeCache::new(256 << 20, opts).expect("code cache");
    cache.omit_fz_checks();
    cache
}

/// The options a tier's blocks are cut with: quick translations neither follow branches nor go
/// on past conditional ones (`cache::tiers`), so their blocks start more often.
fn cut_as(opts: LiftOptions, optimised: bool) -> LiftOptions {
    LiftOptions {
        follow_branches: opts.follow_branches && optimised,
        side_exits: opts.side_exits && optimised,
        ..opts
    }
}

/// `TRANSLATE_PASSES=n`: the whole pipeline over the text `n` times, cold each time, then exit
/// (criterion's own runs last a time, not an amount of work, so their instruction counts differ).
fn fixed_passes(text: &Text, opts: LiftOptions) -> Option<()> {
    let passes: u32 = std::env::var("TRANSLATE_PASSES").ok()?.parse().ok()?;
    a64x::platform::install();
    if std::env::var_os("TRANSLATE_WARM").is_some() {
        warm_passes(text, opts, passes);
        return Some(());
    }
    let mut cache = vm_cache(opts);
    let optimised = std::env::var_os("TRANSLATE_OPTIMISED").is_some();
    if optimised {
        cache.optimise_at_once();
    }
    let (starts, insns) = text.block_starts(cut_as(opts, optimised));
    let fetch = text.fetch();
    let t = std::time::Instant::now();
    for _ in 0..passes {
        for &pc in &starts {
            black_box(cache.get(pc, &fetch).unwrap());
        }
        cache.flush();
    }
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "translate: {passes} passes of {insns} guest instructions in {} blocks, {:.0} K guest instructions/s",
        starts.len(),
        (insns * passes as u64) as f64 / secs / 1e3
    );
    Some(())
}

/// The key and context of the bench's store (any will do: the same for both processes).
const KEY: [u64; 2] = [0x5eed, 0xfeed];
const CONTEXT: u64 = 0xc0ffee;

/// `TRANSLATE_WARM=1`: the text translated into a store once; then `passes` times, a new cache
/// (a new process's) placing every block from the store's file.
fn warm_passes(text: &Text, opts: LiftOptions, passes: u32) {
    let (starts, insns) = text.block_starts(cut_as(opts, false));
    let fetch = text.fetch();
    let store = Arc::new(Store::new(KEY, CONTEXT));
    let mut cache = vm_cache(opts);
    cache.use_store(store.clone());
    for &pc in &starts {
        cache.get(pc, &fetch).unwrap();
    }
    // Leaked: the store reads it for the rest of the run, as a mapped file.
    let file: &'static [u8] = Vec::leak(store.encode());
    let (t, mut placed) = (std::time::Instant::now(), 0);
    for _ in 0..passes {
        let mut later = Store::new(KEY, CONTEXT);
        // SAFETY: the file is leaked, so it stays.
        unsafe { later.load(file.as_ptr(), file.len()) }.expect("the file just written");
        let later = Arc::new(later);
        let mut cache = vm_cache(opts);
        cache.use_store(later.clone());
        place_all(&mut cache, &starts, &fetch);
        // (A few are not saved: those that hand a helper an operation by address.)
        placed = later.stats().placed;
    }
    assert!(placed > 0, "the warm passes placed nothing from the store");
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "translate: {passes} warm passes over {} blocks ({insns} guest instructions, {placed} placed from a file of {} bytes), {:.0} K blocks/s",
        starts.len(),
        file.len(),
        (starts.len() as u64 * passes as u64) as f64 / secs / 1e3
    );
}

/// Place (or translate) every block of `starts` (a function of its own, for callgrind's
/// `--toggle-collect`).
#[inline(never)]
fn place_all(cache: &mut CodeCache, starts: &[u64], fetch: &dyn Fn(u64) -> Option<u32>) {
    for &pc in starts {
        black_box(cache.get(pc, fetch).unwrap());
    }
}

fn translate(c: &mut Criterion) {
    let text = Text::load(&std::env::var("TRANSLATE_BINARY").unwrap_or(BINARY.to_string()));
    let opts = LiftOptions::default();
    if fixed_passes(&text, opts).is_some() {
        std::process::exit(0);
    }
    let (starts, insns) = text.block_starts(opts);
    let fetch = text.fetch();
    eprintln!(
        "translate: {} .text at {:#x}: {} instructions in {} blocks",
        BINARY,
        text.base,
        insns,
        starts.len()
    );

    let mut g = c.benchmark_group("translate hello .text");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(insns));

    g.bench_function("decode", |b| {
        b.iter(|| {
            for &w in &text.words {
                black_box(a64::decode(black_box(w)));
            }
        })
    });
    g.bench_function("decode+lift+optimize (optimised tier)", |b| {
        b.iter(|| {
            for &pc in &starts {
                let mut block = lift_block(pc, &fetch, opts).unwrap();
                opt::optimize(&mut block);
                black_box(&block);
            }
        })
    });
    // The code cache takes its memory and clock from the VM's platform.
    a64x::platform::install();
    // Caches are generous: emitted code is several times the guest code's size, and a flush in
    // the middle of the loop would be measured as well. A first translation is the quick one (`cache::tiers`); blocks that prove hot get the
    // optimised one, which analyses their successors too.
    for (name, optimised) in [
        ("whole pipeline, quick tier", false),
        ("whole pipeline, optimised tier", true),
    ] {
        let mut cache = vm_cache(opts);
        if optimised {
            cache.optimise_at_once();
        }
        let (starts, insns) = text.block_starts(cut_as(opts, optimised));
        g.throughput(Throughput::Elements(insns));
        g.bench_function(name, |b| {
            b.iter(|| {
                for &pc in &starts {
                    black_box(cache.get(pc, &fetch).unwrap());
                }
                // Every iteration starts cold; flushing is a map clear, negligible next to the
                // above.
                cache.flush();
            })
        });
    }
    g.finish();
}

criterion_group!(benches, translate);
criterion_main!(benches);
