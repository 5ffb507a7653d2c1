//! Completeness of the AdvSIMD and FP decoder against `aarch64-linux-gnu-objdump` (DESIGN.md,
//! "How it is tested", layer 1; Arm ARM C4.1 "Data Processing -- Scalar Floating-Point and
//! Advanced SIMD" and the SIMD&FP loads and stores). Every encoding class of the space is
//! enumerated (bits 31..10 of the data-processing space `x111` and of the load/store space with
//! V = 1) with random low bits, and the space of every AdvSIMD/FP encoding group of the
//! decoder's specification is sampled densely; objdump disassembles the words in one batch. A word objdump calls an instruction of ARMv8.0
//! or of a feature `-cpu max` advertises must decode to a defined `Inst` (else: a gap, listed by
//! mnemonic); a word objdump calls undefined, or an instruction of a feature a64x does not
//! advertise, must decode to `Undefined`. Fixed seed: the same words every run.

mod common;

use a64x::cli::CPU_FEATURES;
use a64x_translator::a64::{decode, decode_row, Inst, GROUPS};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Gaps known and left for later, by mnemonic, each with the reason. The test fails only on
/// gaps not listed here (and on listed mnemonics that are no longer gaps, so the list shrinks).
const NOT_YET: &[(&str, &str)] = &[];

/// The HWCAP name of the feature an instruction belongs to (arch/arm64/kernel/cpuinfo.c), or
/// `None` for ARMv8.0 (FP and AdvSIMD, always there).
fn feature(mnem: &str, ops: &str) -> Option<&'static str> {
    let m = mnem;
    let starts = |p: &str| m.starts_with(p);
    if starts("aes") {
        return Some("aes");
    }
    if (m == "pmull" || m == "pmull2") && ops.contains(".1q") {
        return Some("pmull");
    }
    if starts("sha1") {
        return Some("sha1");
    }
    if starts("sha256") {
        return Some("sha2");
    }
    if starts("sha512") {
        return Some("sha512");
    }
    if matches!(m, "eor3" | "bcax" | "rax1" | "xar") {
        return Some("sha3");
    }
    if starts("sm3") {
        return Some("sm3");
    }
    if starts("sm4") {
        return Some("sm4");
    }
    if starts("bf") {
        return Some("bf16");
    }
    if matches!(m, "fcadd" | "fcmla") {
        return Some("fcma");
    }
    if m == "fjcvtzs" {
        return Some("jscvt");
    }
    if matches!(m, "fmlal" | "fmlal2" | "fmlsl" | "fmlsl2") {
        return Some("asimdfhm");
    }
    if starts("frint32") || starts("frint64") {
        return Some("frint");
    }
    if matches!(m, "smmla" | "ummla" | "usmmla" | "usdot" | "sudot") {
        return Some("i8mm");
    }
    if matches!(m, "sdot" | "udot") {
        return Some("asimddp");
    }
    if matches!(m, "sqrdmlah" | "sqrdmlsh") {
        return Some("asimdrdm");
    }
    if starts("cpy") || starts("set") {
        return Some("mops");
    }
    // Half-precision arithmetic (FEAT_FP16): an FP instruction on H registers or .4h/.8h
    // lanes, except the conversions ARMv8.0 has between half and single/double.
    let fp = starts("f") || m == "scvtf" || m == "ucvtf";
    let half = ops.split(|c: char| !c.is_ascii_alphanumeric() && c != '.').any(|t| {
        [".2h", ".4h", ".8h", ".h"].iter().any(|a| t.ends_with(a))
            || (t.len() > 1 && t.starts_with('h') && t[1..].chars().all(|c| c.is_ascii_digit()))
    });
    if fp && half && !matches!(m, "fcvt" | "fcvtl" | "fcvtl2" | "fcvtn" | "fcvtn2") {
        return Some("fphp");
    }
    None
}

/// The rows of the AdvSIMD/FP space.
fn simd_row(name: &str) -> bool {
    ["AdvSIMD", "FP", "FMOV", "floating-point", "Cryptographic", "XAR"]
        .iter()
        .any(|k| name.contains(k))
}

fn words() -> Vec<u32> {
    let mut rng = common::SplitMix(0x0a64_513d);
    let mut out = Vec::new();
    // Bits 31..29, 28 and 24..10 enumerated; bits 27..25 select the space.
    for space in [0b111u32, 0b110] {
        for hi in 0u32..1 << 19 {
            let low = rng.next() as u32 & 0x3ff;
            out.push(((hi >> 16) << 29) | (((hi >> 15) & 1) << 28) | (space << 25) | ((hi & 0x7fff) << 10) | low);
        }
    }
    // Each encoding group's space (tests/decoder_spec.rs samples its rows one by one).
    for (mask, bits) in GROUPS.iter().filter(|g| simd_row(g.name)).map(|g| (g.mask, g.bits)) {
        for _ in 0..16384 {
            out.push((rng.next() as u32 & !mask) | bits);
        }
    }
    out
}

/// What is wrong with one class of words.
#[derive(Default)]
struct Finding {
    count: usize,
    example: String,
}

#[test]
fn simd_decoder_is_complete() {
    let words = words();
    let text = common::objdump_words(&words, "decoder_simd");
    let advertised = |f: &str| CPU_FEATURES.iter().any(|c| c.name == f);

    let mut gaps: BTreeMap<String, Finding> = BTreeMap::new();
    let mut known: BTreeMap<String, Finding> = BTreeMap::new();
    let mut wrong: BTreeMap<String, Finding> = BTreeMap::new();
    let mut checked = 0usize;
    let mut seen = 0usize;
    for line in text.lines() {
        // "   1c:\t1e2feb89 \tfmadd\ts9, s28, s15, s26"
        let mut f = line.split('\t');
        let (Some(addr), Some(word), Some(mnem)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if !addr.trim_end().ends_with(':') {
            continue;
        }
        let Ok(w) = u32::from_str_radix(word.trim(), 16) else {
            continue;
        };
        seen += 1;
        let mnem = mnem.trim();
        let ops = f.next().unwrap_or("").trim();
        let defined = decode(w) != Inst::Undefined;
        let row = decode_row(w).map_or("no row", |r| r.name);
        let example = format!("{w:#010x} {mnem} {ops} ({row})");
        let note = |map: &mut BTreeMap<String, Finding>, key: String| {
            let e = map.entry(key).or_default();
            e.count += 1;
            if e.example.is_empty() {
                e.example = example.clone();
            }
        };
        if mnem == ".inst" || mnem == "udf" || mnem.starts_with("undefined") || common::objdump_lax(mnem, w) {
            if defined {
                note(&mut wrong, "objdump: undefined".into());
            }
            continue;
        }
        match feature(mnem, ops) {
            Some(feat) if !advertised(feat) => {
                if defined {
                    note(&mut wrong, format!("{mnem} ({feat}, not advertised)"));
                }
            }
            _ => {
                checked += 1;
                if !defined {
                    if NOT_YET.iter().any(|(m, _)| *m == mnem) {
                        note(&mut known, mnem.to_string());
                    } else {
                        note(&mut gaps, mnem.to_string());
                    }
                }
            }
        }
    }
    let table = |map: &BTreeMap<String, Finding>| {
        let mut s = String::new();
        for (k, v) in map {
            let _ = writeln!(s, "  {k:<12} {:>7}  e.g. {}", v.count, v.example);
        }
        s
    };
    eprintln!(
        "AdvSIMD/FP decoder vs objdump: {seen} words, {checked} ARMv8.0/advertised instructions checked\n\
         gaps (objdump decodes, a64x Undefined), {} mnemonics:\n{}\
         known gaps (NOT_YET), {} mnemonics:\n{}\
         decoded but must be Undefined:\n{}",
        gaps.len(),
        table(&gaps),
        known.len(),
        table(&known),
        table(&wrong)
    );
    assert!(seen == words.len(), "objdump printed {seen} of {} words", words.len());
    let stale: Vec<&str> = NOT_YET
        .iter()
        .map(|(m, _)| *m)
        .filter(|m| !known.contains_key(*m))
        .collect();
    assert!(
        gaps.is_empty() && wrong.is_empty() && stale.is_empty(),
        "{} new gaps, {} classes decoded that must be Undefined, NOT_YET entries implemented (remove them): {stale:?}",
        gaps.len(),
        wrong.len()
    );
}
