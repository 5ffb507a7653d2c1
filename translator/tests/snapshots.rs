//! Snapshots of translation, A64 -> IR -> x86-64, for the representative blocks of
//! `snapshots/blocks.s` (integer, memory, branches, FP, NEON, crypto, atomics): one file per
//! class under `snapshots/`, plus `summary.txt` with the host instructions per guest instruction
//! of each class. A change to the lifter, the passes or the backend shows as a diff of these
//! files; after reviewing it, bless the new output with
//!
//! ```sh
//! A64X_BLESS=1 cargo test -p a64x-translator --test snapshots
//! ```
//!
//! Every block is also run through the IR verifier. The listings are made for a host with every
//! optional extension (BMI1, AES-NI, PCLMULQDQ, SHA-NI), at fixed addresses, with helper
//! addresses (which change from build to build) shown as `<helper>`.

use a64x_translator::ir::verify::assert_valid;
use a64x_translator::lift::{lift_block, LiftOptions};
use a64x_translator::opt;
use a64x_translator::x64::{self, disasm, host::HostFeatures, Runtime};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Where the blocks are placed in the guest.
const GUEST_BASE: u64 = 0x40_0000;
/// Where their host code is placed, and the exit epilogue.
const HOST_BASE: u64 = 0x1000_0000;
const EPILOGUE: u64 = 0x0f00_0000;

struct GuestBlock {
    class: String,
    name: String,
    /// (offset, word, disassembly)
    insns: Vec<(u64, u32, String)>,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn parse_blocks() -> Vec<GuestBlock> {
    let text = std::fs::read_to_string(dir().join("blocks.txt")).expect("blocks.txt");
    let mut blocks: Vec<GuestBlock> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        if let Some(name) = line.strip_prefix("== ") {
            let (class, name) = name.split_once('/').expect("class/name");
            blocks.push(GuestBlock {
                class: class.into(),
                name: name.into(),
                insns: Vec::new(),
            });
            continue;
        }
        let mut parts = line.splitn(3, ' ');
        let off = u64::from_str_radix(parts.next().unwrap(), 16).expect("offset");
        let word = u32::from_str_radix(parts.next().unwrap(), 16).expect("word");
        let asm = parts.next().unwrap_or("").to_string();
        blocks
            .last_mut()
            .expect("a block header first")
            .insns
            .push((off, word, asm));
    }
    blocks
}

/// The host listing with the addresses that vary between builds replaced: the immediate of a
/// `mov rax, imm64` that a `call rax` follows is a helper's address, that of a `mov rsi, imm64`
/// up to four lines before it (the stores of the pinned registers between) the operation
/// `helper_vec` or `helper_fp` is handed (a heap address).
fn listing(code: &[u8]) -> String {
    let text = disasm::disassemble(code, 0);
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let calls_in = |k: usize| lines.get(i + k).is_some_and(|n| n.ends_with(": call rax"));
        match (line.split_once(": mov rax,"), line.split_once(": mov rsi,")) {
            (Some((at, _)), _) if calls_in(1) => writeln!(out, "{at}: mov rax,<helper>").unwrap(),
            (_, Some((at, imm))) if (2..=4).any(calls_in) && imm.starts_with(|c: char| c.is_ascii_digit()) => {
                writeln!(out, "{at}: mov rsi,<data>").unwrap()
            }
            _ => writeln!(out, "{line}").unwrap(),
        }
    }
    out
}

/// Per class: blocks, guest instructions, host instructions.
type Counts = BTreeMap<String, (usize, u64, usize)>;

fn snapshot(b: &GuestBlock, image: &BTreeMap<u64, u32>, counts: &mut Counts) -> String {
    let fetch = |a: u64| image.get(&a).copied();
    let pc = GUEST_BASE + b.insns[0].0;
    let opts = LiftOptions::default();
    let mut block = lift_block(pc, &fetch, opts).expect("block lifts");
    opt::optimize(&mut block);
    assert_valid(&block, opts.confine);
    let rt = Runtime {
        epilogue: EPILOGUE,
        counter: None,
        host: HostFeatures::all(),
        fault_map: false,
        // As the VM makes code until a guest sets FPCR.FZ.
        fz_checks: false,
    };
    let compiled = x64::compile(&block, HOST_BASE, rt);
    // The code moved by its relocations is the code compiled for the other place (what a
    // thread's cache does with a translation another thread made, and a cache with a block it
    // made just before a flush), a quick translation's countdown included; and the fault map,
    // made when a block first faults by compiling it again (`cache::faults`), changes nothing.
    // (Another cache's epilogue: within rel32 reach of its code, as a cache's trampoline is.)
    let (base2, epilogue2) = (HOST_BASE + 0x7654_3210, EPILOGUE + 0x1000_0000);
    let countdown = HOST_BASE + 0x3b00_0000;
    let rt = Runtime {
        counter: Some(x64::Counter::Countdown(countdown)),
        ..rt
    };
    let here = x64::compile(&block, HOST_BASE, rt);
    let there = x64::compile(
        &block,
        base2,
        Runtime {
            epilogue: epilogue2,
            fault_map: true,
            ..rt
        },
    );
    let mut moved = here.code.clone();
    x64::relocate(&mut moved, &here.relocs, base2, epilogue2, Some(countdown));
    // The operations handed to helpers are boxed anew by each compilation: the second one's
    // addresses are replaced by the first's.
    let mut there_code = there.code.clone();
    for (a, b) in here.calls.iter().zip(&there.calls) {
        let (a, b) = (helper_arg_addr(a).to_le_bytes(), helper_arg_addr(b).to_le_bytes());
        for i in 0..there_code.len().saturating_sub(7) {
            if there_code[i..i + 8] == b {
                there_code[i..i + 8].copy_from_slice(&a);
            }
        }
    }
    assert!(
        moved == there_code,
        "{}/{}: relocated code differs from code compiled there",
        b.class,
        b.name
    );
    let host_insns = disasm::count(&compiled.code);
    let c = counts.entry(b.class.clone()).or_default();
    *c = (c.0 + 1, c.1 + block.guest_len as u64, c.2 + host_insns);

    let mut out = format!("== {}/{}\n", b.class, b.name);
    for (off, word, asm) in &b.insns {
        writeln!(out, "  {:x}: {word:08x}  {asm}", GUEST_BASE + off).unwrap();
    }
    write!(out, "{block}").unwrap();
    let ratio = host_insns as f64 / block.guest_len.max(1) as f64;
    writeln!(
        out,
        "x86-64: {host_insns} instructions, {} bytes, {ratio:.1} per guest instruction",
        compiled.code.len()
    )
    .unwrap();
    out.push_str(&listing(&compiled.code));
    out.push('\n');
    out
}

fn summary(counts: &Counts) -> String {
    let mut out = String::from(
        "# Host instructions per guest instruction, per class of snapshot block (generated by\n\
         # translator/tests/snapshots.rs; guest instructions are those lifted, followed branches\n\
         # included).\n",
    );
    writeln!(
        out,
        "{:<8} {:>6} {:>6} {:>6} {:>10}",
        "class", "blocks", "guest", "host", "host/guest"
    )
    .unwrap();
    let mut total = (0, 0, 0);
    for (class, &(n, g, h)) in counts {
        writeln!(out, "{class:<8} {n:>6} {g:>6} {h:>6} {:>10.2}", h as f64 / g as f64).unwrap();
        total = (total.0 + n, total.1 + g, total.2 + h);
    }
    let (n, g, h) = total;
    writeln!(out, "{:<8} {n:>6} {g:>6} {h:>6} {:>10.2}", "total", h as f64 / g as f64).unwrap();
    out
}

/// Compare `got` with the file `name`, or write it when blessing; the differing files.
fn check(name: &str, got: &str, bless: bool, stale: &mut Vec<String>) {
    let path = dir().join(name);
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    if want == got {
        return;
    }
    if bless {
        std::fs::write(&path, got).expect("write snapshot");
        return;
    }
    let first = want
        .lines()
        .zip(got.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(want.lines().count().min(got.lines().count()));
    let show = |s: &str| {
        s.lines()
            .skip(first.saturating_sub(3))
            .take(8)
            .collect::<Vec<_>>()
            .join("\n")
    };
    stale.push(format!(
        "{name} differs from line {}:\n--- saved\n{}\n--- now\n{}",
        first + 1,
        show(&want),
        show(got)
    ));
}

#[test]
fn translation_snapshots() {
    let blocks = parse_blocks();
    assert!(blocks.len() >= 100, "only {} blocks", blocks.len());
    let image: BTreeMap<u64, u32> = blocks
        .iter()
        .flat_map(|b| b.insns.iter().map(|&(off, w, _)| (GUEST_BASE + off, w)))
        .collect();
    let mut per_class: BTreeMap<String, String> = BTreeMap::new();
    let mut counts = Counts::new();
    for b in &blocks {
        let text = snapshot(b, &image, &mut counts);
        per_class.entry(b.class.clone()).or_default().push_str(&text);
    }
    let bless = std::env::var_os("A64X_BLESS").is_some();
    let mut stale = Vec::new();
    for (class, text) in &per_class {
        check(&format!("{class}.snap"), text, bless, &mut stale);
    }
    check("summary.txt", &summary(&counts), bless, &mut stale);
    assert!(
        stale.is_empty(),
        "translation changed; review and bless with A64X_BLESS=1 \
         cargo test -p a64x-translator --test snapshots\n\n{}",
        stale.join("\n\n")
    );
}

/// The address a block's code passes to a helper for `arg`.
fn helper_arg_addr(arg: &x64::HelperArg) -> u64 {
    match arg {
        x64::HelperArg::Vec(c) => c as *const _ as u64,
        x64::HelperArg::Fp(f) => f as *const _ as u64,
    }
}
