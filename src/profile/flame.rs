//! The flame graph of `--flamegraph`: each sample becomes a folded stack, the guest's call chain
//! (the sampler's frame-record walk, outermost first, each return address named after its
//! function), then the function of the interrupted block, then the block itself (`@0xPC`), so that
//! hot loops stand out as the widest leaves. Samples outside translated code are `[a64x VM]`.
//! A leaf function keeps no frame record: its caller is then known only from x30, which is
//! taken as a frame when it points into another function than the interrupted one and is not
//! already the innermost frame record's return address. inferno draws the SVG.

use super::sampler::Samples;
use super::{block_of, BlockRecord, Symbols};
use std::collections::HashMap;

/// A function name for guest address `pc`, or the address.
fn name(symbols: &Symbols, pc: u64) -> String {
    symbols
        .lookup(pc)
        .map_or_else(|| format!("{pc:#x}"), |(n, _)| n.to_string())
        .replace(';', ":")
}

/// The folded stacks ("a;b;c COUNT"), sorted.
pub(crate) fn folded(samples: &Samples, blocks: &[BlockRecord], symbols: &Symbols) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (i, &pc) in samples.pcs.iter().enumerate() {
        if pc == 0 {
            continue;
        }
        let stack = match block_of(blocks, pc) {
            Some(k) => {
                let b = &blocks[k];
                let current = name(symbols, b.guest_pc);
                let (lr, chain) = match samples.stacks.get(i).map(Vec::as_slice) {
                    Some([lr, chain @ ..]) => (Some(*lr), chain),
                    _ => (None, &[][..]),
                };
                let mut frames: Vec<String> = chain.iter().rev().map(|&r| name(symbols, r.wrapping_sub(4))).collect();
                if let Some(lr) = lr.filter(|&lr| lr != 0 && chain.first() != Some(&lr)) {
                    let caller = name(symbols, lr.wrapping_sub(4));
                    if caller != current {
                        frames.push(caller);
                    }
                }
                frames.push(current);
                frames.push(format!("@{:#x}", b.guest_pc));
                frames.join(";")
            }
            None => "[a64x VM]".to_string(),
        };
        *counts.entry(stack).or_default() += 1;
    }
    let mut lines: Vec<String> = counts.into_iter().map(|(s, n)| format!("{s} {n}")).collect();
    lines.sort();
    lines
}

/// The SVG for `lines` (folded stacks).
pub(crate) fn svg(lines: &[String], title: &str) -> Result<Vec<u8>, String> {
    let mut opts = inferno::flamegraph::Options::default();
    opts.title = title.to_string();
    opts.count_name = "samples".to_string();
    let mut out = Vec::new();
    if lines.is_empty() {
        // inferno refuses an empty profile; an empty graph still says what happened.
        return inferno::flamegraph::from_lines(&mut opts, ["[no samples] 1"], &mut out)
            .map(|_| out)
            .map_err(|e| e.to_string());
    }
    inferno::flamegraph::from_lines(&mut opts, lines.iter().map(String::as_str), &mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}
