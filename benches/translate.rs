//! Translation speed (DESIGN "How it is tested", item 6): decode, lift + optimise, and the whole
//! pipeline up to emitted x86-64 in the code cache, over the real AArch64 code in the `.text` of
//! `test-binaries/prebuilt/hello` (static glibc), reported as guest instructions per second.
//!
//! Run: `cargo bench --bench translate` (add `-- --quick` for a fast rough number). On a shared
//! machine the timings wander by 20%; for a repeatable figure run a fixed amount of work under
//! callgrind and compare instruction counts: `TRANSLATE_PASSES=3 valgrind --tool=callgrind
//! target/release/deps/translate-*` (the bench binary) translates the text 3 times and exits
//! (quick tier; with `TRANSLATE_OPTIMISED=1` the optimised one).

use a64x_translator::a64;
use a64x_translator::cache::CodeCache;
use a64x_translator::lift::{lift_block, LiftOptions};
use a64x_translator::opt;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use goblin::elf::{program_header::PF_X, program_header::PT_LOAD, Elf};
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
    let mut cache = CodeCache::new(256 << 20, opts).expect("code cache");
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

fn translate(c: &mut Criterion) {
    let text = Text::load(BINARY);
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
        let mut cache = CodeCache::new(256 << 20, opts).expect("code cache");
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
