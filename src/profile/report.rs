//! The text report of `--profile`: each sample's host pc is mapped to the translated block whose
//! host code contains it (a sorted list of host ranges, binary search); samples outside every
//! block were taken in the VM itself (translator, run loop, system calls, the cache's entry and
//! exit trampoline). Samples are then added up per block and per guest function (the symbol of
//! the block's first instruction), and the hottest blocks are listed with their guest
//! instructions and their host code, each host instruction with the samples that hit it.

use super::sampler::Samples;
use super::{block_of, BlockRecord, Symbols, SAMPLE_HZ};
use a64x_translator::a64::decode;
use a64x_translator::cache::counters;
use a64x_translator::ir::Exit;
use a64x_translator::lift::{lift_block, LiftOptions};
use a64x_translator::x64::disasm;
use std::collections::HashMap;
use std::fmt::Write;

/// Hottest blocks listed in full.
const TOP_BLOCKS: usize = 10;
/// Hottest functions listed.
const TOP_FUNCTIONS: usize = 15;

/// Per-block sample counts: total and per host pc.
#[derive(Default)]
struct Hits {
    total: usize,
    by_pc: HashMap<u64, usize>,
}

/// `part` as a percentage of `whole`.
fn pct(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// The IR of block `b` after the passes, lifted again from the guest words it was translated
/// from (lifting is deterministic), and whether it is a loop (it branches back to its start).
fn ir_of(b: &BlockRecord, lift: LiftOptions) -> Option<(String, bool)> {
    let words: HashMap<u64, u32> = b.guest.iter().chain(&b.depends).copied().collect();
    let mut block = lift_block(b.guest_pc, &|pc| words.get(&pc).copied(), lift)?;
    a64x_translator::opt::optimize(&mut block);
    let is_loop = match block.exit {
        Exit::Jump(t) => t == b.guest_pc,
        Exit::Branch { taken, not_taken, .. } => taken == b.guest_pc || not_taken == b.guest_pc,
        _ => false,
    };
    Some((block.to_string(), is_loop))
}

/// The report of `samples` over `blocks` (from [`super::index_blocks`]).
pub(crate) fn render(samples: &Samples, blocks: &[BlockRecord], symbols: &Symbols, lift: LiftOptions) -> String {
    let mut hits: HashMap<usize, Hits> = HashMap::new();
    let (mut in_code, mut in_vm) = (0usize, 0usize);
    let taken: Vec<u64> = samples.pcs.iter().copied().filter(|&pc| pc != 0).collect();
    for &pc in &taken {
        match block_of(blocks, pc) {
            Some(k) => {
                in_code += 1;
                let h = hits.entry(k).or_default();
                h.total += 1;
                *h.by_pc.entry(pc).or_default() += 1;
            }
            _ => in_vm += 1,
        }
    }
    let total = taken.len();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "a64x profile: {total} samples in {:.3} s of CPU time ({:.0} per second; asked for {SAMPLE_HZ}), \
         {} blocks translated",
        samples.cpu_seconds,
        total as f64 / samples.cpu_seconds.max(1e-9),
        blocks.len()
    );
    let _ = writeln!(out, "  in translated code: {in_code} ({:.1}%)", pct(in_code, total));
    let _ = writeln!(
        out,
        "  in the VM (translator, run loop, system calls): {in_vm} ({:.1}%)",
        pct(in_vm, total)
    );
    if samples.lost > 0 {
        let _ = writeln!(out, "  lost (sample buffer full): {}", samples.lost);
    }

    // Per guest function.
    let name_of = |b: &BlockRecord| -> String {
        symbols
            .lookup(b.guest_pc)
            .map_or_else(|| "(no symbol)".to_string(), |(n, _)| n.to_string())
    };
    let mut funcs: HashMap<String, usize> = HashMap::new();
    for (&k, h) in &hits {
        *funcs.entry(name_of(&blocks[k])).or_default() += h.total;
    }
    let mut funcs: Vec<(String, usize)> = funcs.into_iter().collect();
    funcs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let _ = writeln!(out, "\nHottest guest functions (share of all samples):");
    for (name, n) in funcs.iter().take(TOP_FUNCTIONS) {
        let _ = writeln!(out, "  {:5.1}% {n:>8}  {name}", pct(*n, total));
    }

    // Per block.
    let mut order: Vec<(usize, &Hits)> = hits.iter().map(|(&k, h)| (k, h)).collect();
    order.sort_by(|a, b| {
        b.1.total
            .cmp(&a.1.total)
            .then_with(|| blocks[a.0].host.cmp(&blocks[b.0].host))
    });
    let _ = writeln!(out, "\nHottest blocks:");
    for (rank, (k, h)) in order.iter().take(TOP_BLOCKS).enumerate() {
        let b = &blocks[*k];
        let where_ = symbols.describe(b.guest_pc).unwrap_or_else(|| "(no symbol)".into());
        let host_insns = disasm::count(&b.code);
        let guest_insns = b.guest.len();
        let ir = ir_of(b, lift);
        let kind = if ir.as_ref().is_some_and(|i| i.1) {
            "loop"
        } else {
            "block"
        };
        let _ = writeln!(
            out,
            "\n#{} {kind} at guest {:#x} {where_}: {} samples ({:.1}%), {guest_insns} guest -> {host_insns} host \
             instructions ({:.1} per guest instruction), {} bytes at host {:#x}",
            rank + 1,
            b.guest_pc,
            h.total,
            pct(h.total, total),
            host_insns as f64 / guest_insns.max(1) as f64,
            b.code.len(),
            b.host
        );
        if let Some(c) = b.counter {
            let n = counters::read(c);
            let _ = writeln!(
                out,
                "  executions: {n}{}",
                if kind == "loop" { " (iterations included)" } else { "" }
            );
        }
        let _ = writeln!(out, "  guest:");
        for &(pc, w) in &b.guest {
            let _ = writeln!(out, "    {pc:#x}: {w:08x}  {:?}", decode(w));
        }
        if let Some((text, _)) = &ir {
            let _ = writeln!(out, "  IR after the passes:");
            for line in text.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
        let _ = writeln!(out, "  host (samples per instruction):");
        for line in disasm::disassemble(&b.code, b.host).lines() {
            // Lines are "  0xADDR: text"; the sample hit the instruction at ADDR.
            let addr = line
                .trim_start()
                .split(':')
                .next()
                .and_then(|a| u64::from_str_radix(a.trim_start_matches("0x"), 16).ok());
            let n = addr.and_then(|a| h.by_pc.get(&a)).copied().unwrap_or(0);
            let count = if n == 0 { String::new() } else { n.to_string() };
            let _ = writeln!(out, "  {count:>6}{line}");
        }
    }
    out
}
