//! Backend vs interpreter (DESIGN "How it is tested", item 2): random sequences of data-processing
//! instructions, drawn from the decoder's table, run once through the IR reference interpreter and
//! once through the emitted x86-64 code, from the same random `CpuState`; every register and the
//! flags must agree.
//!
//! Environment: `A64X_FUZZ_CASES` (default 3000), `A64X_FUZZ_SEED` (decimal or 0x-hex),
//! `A64X_FUZZ_CASE` (run only that case number, to reproduce a failure). Run with `--nocapture`
//! to see the statistics.

#[path = "support/platform.rs"]
mod platform_support;

use a64x_translator::a64::gen::{fuzz_rows, Gen};
use a64x_translator::a64::{self, Row};
use a64x_translator::cache::CodeCache;
use a64x_translator::cpu::{CpuState, ExitReason};
use a64x_translator::ir::interp::{self, Outcome};
use a64x_translator::ir::Block;
use a64x_translator::lift::{lift_block, LiftOptions};
use a64x_translator::opt;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

const DEFAULT_CASES: u64 = 3000;
const DEFAULT_SEED: u64 = 0xa64_a64_a64;
const MAX_SEQ: u64 = 12;
/// Larger than any sequence, so one case is one block ending in `Exit::Jump`.
const LIFT: LiftOptions = LiftOptions {
    max_insns: 64,
    follow_branches: true,
    side_exits: true,
    confine: true,
    drop_dead_writebacks: true,
    features: a64x_translator::a64::FeatureSet::ALL,
};
/// Failures described in full; the rest are only counted.
const MAX_REPORTED: usize = 3;

/// One generated test case: code at `pc` and the state it starts from.
#[derive(Clone)]
struct Case {
    pc: u64,
    words: Vec<u32>,
    rows: Vec<&'static str>,
    init: CpuState,
}

impl Case {
    fn fetch(&self) -> impl Fn(u64) -> Option<u32> + '_ {
        move |a| {
            let i = a.checked_sub(self.pc)?;
            if i % 4 != 0 {
                return None;
            }
            self.words.get((i / 4) as usize).copied()
        }
    }

    fn without(&self, i: usize) -> Case {
        let mut c = self.clone();
        c.words.remove(i);
        c.rows.remove(i);
        c
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let s = std::env::var(name).ok()?;
    let s = s.trim();
    let v = match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    };
    Some(v.unwrap_or_else(|_| panic!("{name}={s:?} is not a number")))
}

/// The seed of case `i`: each case has its own generator, so one case can be re-run alone.
fn case_seed(seed: u64, i: u64) -> u64 {
    Gen::new(seed ^ i.wrapping_mul(0x2545_f491_4f6c_dd1d)).next_u64()
}

fn gen_case(g: &mut Gen, rows: &[&'static Row]) -> Case {
    let n = g.range(1, MAX_SEQ) as usize;
    let (mut words, mut names): (Vec<u32>, Vec<&'static str>) = g.random_seq(rows, n).into_iter().unzip();
    // A case in four a self-loop: a branch back to its first instruction, B or B.cond. Its
    // lowering reserves host registers for the whole block (for the registers it only writes,
    // and its flags) and keeps the guest registers in host registers across the back edge.
    // With a signal pending, the code leaves at the back edge after one iteration, as the
    // interpreter's one run of the block does.
    let self_loop = g.chance(1, 4);
    if self_loop {
        let back = (-(n as i32)) as u32;
        if g.chance(1, 2) {
            words.push(0x1400_0000 | (back & 0x03ff_ffff));
            names.push("B (back to the first instruction)");
        } else {
            words.push(0x5400_0000 | (back & 0x7_ffff) << 5 | g.below(14) as u32);
            names.push("B.cond (back to the first instruction)");
        }
    }
    // Usually a low address like a real program's; sometimes anywhere in the 48-bit space, so that
    // ADR/ADRP results that do not fit an imm32 are exercised.
    let pc = if g.chance(1, 2) { 0x10000 } else { g.below(1 << 48) & !3 };
    let mut cpu = CpuState::default();
    for x in cpu.x.iter_mut() {
        *x = g.interesting_u64();
    }
    cpu.sp = if g.chance(1, 2) {
        g.next_u64() & 0x0000_ffff_ffff_fff0
    } else {
        g.interesting_u64()
    };
    cpu.pc = pc;
    if g.chance(1, 2) {
        cpu.set_nzcv(g.below(16) << 28);
    } else {
        // Flags still held lazily by an "earlier block": the backend must materialise them the
        // same way the interpreter does.
        cpu.nzcv_kind = g.below(7);
        cpu.nzcv_a = g.interesting_u64();
        cpu.nzcv_b = g.interesting_u64();
    }
    for v in cpu.v.iter_mut() {
        *v = [g.next_u64(), g.next_u64()];
        // Scalar FP operands: often a value FP code meets (see `interesting_fp`).
        if g.chance(2, 3) {
            v[0] = interesting_fp(g);
        }
    }
    if g.chance(1, 2) {
        // FPCR: RMode (23:22), FZ (24), DN (25).
        cpu.set_fpcr(g.below(16) << 22);
    }
    cpu.tpidr_el0 = g.next_u64();
    cpu.pending = u64::from(self_loop);
    Case {
        pc,
        words,
        rows: names,
        init: cpu,
    }
}

/// A single (low 32 bits) or double precision value: small integers and halves, signed zeros,
/// infinities, quiet and signalling NaNs, denormals, values near the integer conversion limits.
fn interesting_fp(g: &mut Gen) -> u64 {
    let d: f64 = match g.below(14) {
        // Around the smallest normals (tininess, flush-to-zero).
        12 => f64::MIN_POSITIVE * [1.0, 1.0 - f64::EPSILON, 0.5, 1.5, 3.0][g.below(5) as usize],
        13 => {
            let f = f32::MIN_POSITIVE * [1.0, 1.0 - f32::EPSILON, 0.5, 0.75, 3.0][g.below(5) as usize];
            return f.to_bits() as u64 | g.below(2) << 31;
        }
        0 => 0.0,
        1 => -0.0,
        2 => f64::INFINITY,
        3 => f64::NEG_INFINITY,
        4 => {
            return if g.chance(1, 2) {
                0x7ff8_0000_0000_0000 | g.below(1 << 20)
            } else {
                0x7ff0_0000_0000_0000 | g.range(1, 1 << 20)
            }
        }
        5 => {
            return if g.chance(1, 2) {
                0x7fc0_0000 | g.below(1 << 10)
            } else {
                0x7f80_0000 | g.range(1, 1 << 10)
            } | (g.below(2) << 31)
        }
        6 => (g.below(64) as f64 - 32.0) / 2.0,
        7 => f64::from_bits(g.below(1 << 52)),
        8 => [
            2147483647.5,
            2147483648.0,
            -2147483648.5,
            4294967295.5,
            4294967296.0,
            9.223372036854775e18,
            1.8446744073709552e19,
            -9.223372036854777e18,
        ][g.below(8) as usize],
        9 => return (g.below(1 << 23) as f32 * if g.chance(1, 2) { 1.0 } else { -1.0e-3 }).to_bits() as u64,
        10 => return ((g.below(201) as f32 - 100.0) / 4.0).to_bits() as u64,
        _ => f64::from_bits(g.next_u64() & 0xc7ff_ffff_ffff_ffff),
    };
    d.to_bits()
}

/// The guest-visible state compared between the two runs, as (name, value) pairs.
fn visible(cpu: &CpuState) -> Vec<(String, u64)> {
    let mut r: Vec<(String, u64)> = (0..31).map(|i| (format!("x{i}"), cpu.x[i])).collect();
    r.push(("sp".into(), cpu.sp));
    r.push(("pc".into(), cpu.pc));
    r.push(("nzcv".into(), cpu.nzcv()));
    for (i, v) in cpu.v.iter().enumerate() {
        r.push((format!("v{i}.lo"), v[0]));
        r.push((format!("v{i}.hi"), v[1]));
    }
    r.push(("fpcr".into(), cpu.fpcr));
    r.push(("fpsr".into(), cpu.fpsr_value()));
    r.push(("tpidr_el0".into(), cpu.tpidr_el0));
    r.push(("inval_lo".into(), cpu.inval_lo));
    r.push(("inval_hi".into(), cpu.inval_hi));
    r
}

/// How a failing case failed.
enum Failure {
    /// Both ran; these (register, interpreter, backend) differ.
    Mismatch {
        block: Box<Block>,
        diffs: Vec<(String, u64, u64)>,
        exits: (Outcome, ExitReason),
    },
    /// Lifting, optimising, compiling or interpreting panicked.
    Panic(String),
}

fn panic_text(e: Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| e.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string panic>".into())
}

fn exits_agree(o: Outcome, e: ExitReason) -> bool {
    matches!(
        (o, e),
        (Outcome::Next(_), ExitReason::Chain | ExitReason::Indirect)
            | (Outcome::Svc(_), ExitReason::Svc)
            | (Outcome::Brk(_), ExitReason::Brk)
            | (Outcome::Undefined, ExitReason::Undefined)
            | (Outcome::Invalidate, ExitReason::InvalidateCode)
    )
}

fn run_case(cache: &mut CodeCache, case: &Case) -> Result<(), Failure> {
    // The cache is keyed by guest pc and every case reuses pcs with different code.
    cache.flush();
    let fetch = case.fetch();
    let interp_side = catch_unwind(AssertUnwindSafe(|| {
        let mut block = lift_block(case.pc, &fetch, LIFT).expect("first word fetchable");
        opt::optimize(&mut block);
        a64x_translator::ir::verify::assert_valid(&block, LIFT.confine);
        let mut cpu = case.init.clone();
        // SAFETY: fuzz rows never access memory.
        let out = unsafe { interp::run(&block, &mut cpu) };
        (block, cpu, out)
    }));
    let (block, want, out) = interp_side.map_err(|e| Failure::Panic(format!("interpreter side: {}", panic_text(e))))?;
    let backend_side = catch_unwind(AssertUnwindSafe(|| {
        let host = cache.get(case.pc, &fetch).expect("translatable");
        let mut cpu = case.init.clone();
        let exit = cache.enter(&mut cpu, host);
        (cpu, exit)
    }));
    let (got, exit) = match backend_side {
        Ok(r) => r,
        Err(e) => {
            // A panic mid-translation may leave the cache half-updated.
            cache.flush();
            return Err(Failure::Panic(format!("backend side: {}", panic_text(e))));
        }
    };
    let diffs: Vec<(String, u64, u64)> = visible(&want)
        .into_iter()
        .zip(visible(&got))
        .filter(|((_, a), (_, b))| a != b)
        .map(|((n, a), (_, b))| (n, a, b))
        .collect();
    if diffs.is_empty() && exits_agree(out, exit) {
        Ok(())
    } else {
        Err(Failure::Mismatch {
            block: Box::new(block),
            diffs,
            exits: (out, exit),
        })
    }
}

/// Drop instructions one at a time while the case still fails, to the shortest failing sequence
/// reachable that way (same initial state).
fn minimise(cache: &mut CodeCache, case: &Case) -> Case {
    let mut best = case.clone();
    'outer: loop {
        for i in 0..best.words.len() {
            if best.words.len() == 1 {
                break 'outer;
            }
            let smaller = best.without(i);
            if run_case(cache, &smaller).is_err() {
                best = smaller;
                continue 'outer;
            }
        }
        break;
    }
    best
}

fn describe(case: &Case, f: &Failure) -> String {
    let mut s = String::new();
    for (i, (&w, row)) in case.words.iter().zip(&case.rows).enumerate() {
        let pc = case.pc + 4 * i as u64;
        let _ = writeln!(s, "  {pc:#014x}: {w:08x}  [{row}]  {:?}", a64::decode(w));
    }
    let c = &case.init;
    let _ = writeln!(s, "initial state:");
    for (i, x) in c.x.iter().enumerate() {
        let _ = write!(s, "  x{i:<2}={x:#018x}{}", if i % 4 == 3 { "\n" } else { "" });
    }
    let _ = writeln!(
        s,
        "  sp ={:#018x}\n  nzcv={:#x} (held as kind {} a={:#x} b={:#x})",
        c.sp,
        c.nzcv() >> 28,
        c.nzcv_kind,
        c.nzcv_a,
        c.nzcv_b
    );
    match f {
        Failure::Panic(msg) => {
            let _ = writeln!(s, "PANIC: {msg}");
        }
        Failure::Mismatch { block, diffs, exits } => {
            let _ = write!(s, "IR after optimisation:\n{block}");
            let _ = writeln!(s, "exit: interpreter {:?}, backend {:?}", exits.0, exits.1);
            let _ = writeln!(s, "differing registers (interpreter vs backend):");
            for (n, a, b) in diffs {
                let _ = writeln!(s, "  {n:<9} {a:#018x}  {b:#018x}");
            }
        }
    }
    s
}

#[test]
fn backend_matches_interpreter() {
    let cases = env_u64("A64X_FUZZ_CASES").unwrap_or(DEFAULT_CASES);
    let seed = env_u64("A64X_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let only = env_u64("A64X_FUZZ_CASE");
    let rows = fuzz_rows();
    assert!(!rows.is_empty(), "no fuzzable rows in the encoding table");
    platform_support::install();
    let mut cache = CodeCache::new(16 << 20, LIFT).expect("code cache");
    let mut per_row: BTreeMap<&'static str, u64> = rows.iter().map(|r| (r.name, 0)).collect();
    let (mut ran, mut insns, mut failed) = (0u64, 0u64, Vec::new());
    let t0 = Instant::now();
    for i in 0..cases {
        if only.is_some_and(|o| o != i) {
            continue;
        }
        let case = gen_case(&mut Gen::new(case_seed(seed, i)), &rows);
        ran += 1;
        insns += case.words.len() as u64;
        for r in &case.rows {
            *per_row.entry(r).or_default() += 1;
        }
        if let Err(f) = run_case(&mut cache, &case) {
            failed.push(i);
            if failed.len() <= MAX_REPORTED {
                eprintln!(
                    "=== MISMATCH: A64X_FUZZ_SEED={seed:#x} A64X_FUZZ_CASE={i} ===\n{}",
                    describe(&case, &f)
                );
                let small = minimise(&mut cache, &case);
                if small.words.len() < case.words.len() {
                    let f = run_case(&mut cache, &small).expect_err("minimised case still fails");
                    eprintln!(
                        "--- minimised to {} instruction(s) ---\n{}",
                        small.words.len(),
                        describe(&small, &f)
                    );
                }
            }
        }
    }
    let dt = t0.elapsed();
    eprintln!(
        "backend_vs_interp: seed {seed:#x}: {ran} cases, {insns} instructions in {:.2?} ({:.0} cases/s); {} failed",
        dt,
        ran as f64 / dt.as_secs_f64(),
        failed.len()
    );
    for (name, n) in &per_row {
        eprintln!("  {n:>7}  {name}");
    }
    assert!(
        failed.is_empty(),
        "{} of {ran} cases differ between backend and interpreter (seed {seed:#x}; first cases {:?}); \
         details above (run with --nocapture)",
        failed.len(),
        &failed[..failed.len().min(10)]
    );
}

/// SSHL, USHL, SRSHL and URSHL by a register whose lanes all hold the same count take the
/// backend's inline path (`x64/vecshift.rs`), which random registers almost never reach: every
/// count -128..=127 in each lane's low byte (the other bytes random, as the instructions ignore
/// them), every element size and width, and once with one lane's count different (the
/// out-of-line helper call), against the interpreter.
#[test]
fn shifts_by_a_broadcast_count_match_the_interpreter() {
    platform_support::install();
    let mut cache = CodeCache::new(16 << 20, LIFT).expect("code cache");
    let mut g = Gen::new(0x0005_e1f7);
    let mut failures = Vec::new();
    // SSHL, USHL, SRSHL, URSHL (vector): 0 Q U 01110 size 1 Rm opcode 1 Rn Rd.
    for (name, base) in [
        ("SSHL", 0x0e20_4400u32),
        ("USHL", 0x2e20_4400),
        ("SRSHL", 0x0e20_5400),
        ("URSHL", 0x2e20_5400),
    ] {
        for size in 0..4u32 {
            for q in [false, true] {
                if size == 3 && !q {
                    continue; // reserved
                }
                let word = base | u32::from(q) << 30 | size << 22 | 2 << 16 | 1 << 5 | 3;
                let es = 8u32 << size;
                for count in (-128i32..=128).chain([1000]) {
                    let mut cpu = CpuState {
                        pc: 0x10000,
                        ..CpuState::default()
                    };
                    cpu.v[1] = [g.next_u64(), g.next_u64()];
                    cpu.v[3] = [g.next_u64(), g.next_u64()];
                    // Each element's low byte the count (128 and 1000: one lane's count differs).
                    let lane_count = |i: u32| -> u64 {
                        match count {
                            128 => u64::from(i == 1),
                            1000 => u64::from(i == 0) * 5,
                            c => c as u8 as u64,
                        }
                    };
                    let mut m = [g.next_u64(), g.next_u64()];
                    for i in 0..128 / es {
                        let (half, bit) = ((i * es / 64) as usize, (i * es) % 64);
                        m[half] = (m[half] & !(0xff << bit)) | lane_count(i) << bit;
                    }
                    cpu.v[2] = m;
                    let case = Case {
                        pc: 0x10000,
                        words: vec![word],
                        rows: vec![name],
                        init: cpu,
                    };
                    if let Err(f) = run_case(&mut cache, &case) {
                        failures.push(format!(
                            "{name} size {size} q {q} count {count}:\n{}",
                            describe(&case, &f)
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures, the first:\n{}",
        failures.len(),
        failures[0]
    );
}
