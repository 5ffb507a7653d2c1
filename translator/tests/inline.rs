//! Which FP and AdvSIMD instructions of compiled code still call a helper on their main path
//! (issue 12, item 2). `inline/ops.txt` holds one example of every shape of FP/AdvSIMD
//! instruction in auto-vectorised loops (`inline/loops.c` built by gcc and clang), in Debian's
//! libc and libm (string functions, printf/strtod, the math library) and in libx264 (the
//! hand-written NEON of a video encoder: transposes, rounding and saturating narrows, sums
//! across lanes), with how often each occurs
//! there (`inline/collect.sh` regenerates it). Each is translated alone (followed by RET) for a
//! host with every extension a64x uses, and the backend reports the operations it handed to a
//! helper on the block's main path (slow paths for NaN lanes, FPCR.FZ or saturating
//! conversions do not count).
//!
//! [`STILL_HELPER`] lists the instructions known to call one, with why. The test fails when an
//! instruction not listed calls a helper (a regression) and when a listed one no longer does
//! (the list only shrinks), and prints the share of instructions, weighted by occurrences, that
//! run inline.

use a64x_translator::a64::{decode, Inst};
use a64x_translator::lift::{lift_block, LiftOptions};
use a64x_translator::opt;
use a64x_translator::x64::{self, host::HostFeatures, Runtime};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

/// The instructions (as ops.txt disassembles them) whose translation calls a helper on its main
/// path, and why.
const STILL_HELPER: &[(&str, &str)] = &[
    ("sshl v2.2d, v2.2d, v3.2d", VAR_SHIFT),
    ("fcvtzs v0.4s, v0.4s, #8", FIXED_POINT),
    ("scvtf v4.4s, v2.4s, #8", FIXED_POINT),
    (
        "frecpe v28.4s, v26.4s",
        "FRECPE: A64's estimate table, which RCPPS does not give (x264 only, outside its loops)",
    ),
    (
        "frecps v30.4s, v28.4s, v26.4s",
        "FRECPS: not lowered yet (x264 only, with FRECPE)",
    ),
    ("fmaxnmv s0, v0.4s", "across-lanes FP reductions: not lowered yet"),
];

const VAR_SHIFT: &str =
    "SSHL of doublewords by a register: the inline shift by a broadcast count needs PSRAQ, which SSE does not have";
const FIXED_POINT: &str = "fixed-point vector conversions (#fbits): not lowered yet (x264 only, outside its loops)";

const GUEST_BASE: u64 = 0x40_0000;
const RET: u32 = 0xd65f_03c0;

struct Example {
    word: u32,
    count: u64,
    asm: String,
}

fn examples() -> Vec<Example> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inline/ops.txt");
    let text = std::fs::read_to_string(&path).expect("tests/inline/ops.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut f = l.splitn(4, ' ');
            let word = u32::from_str_radix(f.next().unwrap(), 16).expect("word");
            let count = f.next().unwrap().parse().expect("count");
            let _where = f.next().unwrap();
            Example {
                word,
                count,
                asm: f.next().expect("disassembly").to_string(),
            }
        })
        .collect()
}

/// The operations the translation of `word` hands to helpers on its main path.
fn main_path_calls(word: u32) -> Vec<String> {
    let fetch = |a: u64| match a - GUEST_BASE {
        0 => Some(word),
        4 => Some(RET),
        _ => None,
    };
    let mut block = lift_block(GUEST_BASE, &fetch, LiftOptions::default()).expect("block lifts");
    opt::optimize(&mut block);
    let rt = Runtime {
        epilogue: 0x0f00_0000,
        counter: None,
        host: HostFeatures::all(),
        fault_map: false,
        fz_checks: true,
    };
    let compiled = x64::compile(&block, 0x1000_0000, rt);
    compiled
        .main_path_calls
        .iter()
        .map(|&i| block.ops[i as usize].to_string())
        .collect()
}

#[test]
fn compiled_code_runs_inline() {
    let examples = examples();
    let listed: BTreeMap<&str, &str> = STILL_HELPER.iter().copied().collect();
    let (mut total, mut inline, mut helper_shapes) = (0u64, 0u64, 0usize);
    let mut report = String::new();
    let mut wrong = String::new();
    for e in &examples {
        assert!(
            decode(e.word) != Inst::Undefined,
            "{:08x} {} does not decode",
            e.word,
            e.asm
        );
        let calls = main_path_calls(e.word);
        total += e.count;
        if calls.is_empty() {
            inline += e.count;
        } else {
            helper_shapes += 1;
            writeln!(report, "  {:>5}  {:<40} {}", e.count, e.asm, calls.join("; ")).unwrap();
        }
        match (calls.is_empty(), listed.contains_key(e.asm.as_str())) {
            (false, false) => writeln!(wrong, "calls a helper, not listed: {} ({})", e.asm, calls.join("; ")).unwrap(),
            (true, true) => writeln!(wrong, "listed but inline now (remove it): {}", e.asm).unwrap(),
            _ => {}
        }
    }
    for name in listed.keys() {
        if !examples.iter().any(|e| e.asm == *name) {
            writeln!(wrong, "listed but not in ops.txt: {name}").unwrap();
        }
    }
    println!(
        "inline: {} of {} shapes, {:.1}% of {total} occurrences; through a helper:\n  count  instruction{:30}helper operations\n{report}",
        examples.len() - helper_shapes,
        examples.len(),
        100.0 * inline as f64 / total as f64,
        ""
    );
    assert!(wrong.is_empty(), "{wrong}");
}
