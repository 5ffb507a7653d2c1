//! The instruction rows of the decoder's specification (`translator/src/a64/instructions.spec`)
//! against `aarch64-linux-gnu-objdump` (DESIGN.md, "How it is tested", layer 1). For every
//! instruction row, words drawn from its pattern that it decodes must be what objdump calls that
//! instruction (its mnemonic or an alias the row lists), and those its `when` or field checks
//! leave unallocated must be undefined to objdump too. For every encoding group written out per
//! instruction, words drawn from the whole group's space that decode to nothing must be undefined
//! to objdump, or an instruction of an extension a64x does not implement. And the rows of a
//! group must not overlap: a word two rows take is a specification error. Fixed seed.

mod common;

use a64x_translator::a64::{decode, decode_row, Inst, Row, GROUPS, TABLE};
use std::collections::BTreeMap;

/// Instructions of extensions a64x does not implement that objdump knows in the groups written
/// out so far besides FEAT_MTE's (`common::MTE_MNEMONICS`): FEAT_CSSC (ABS, CNT, CTZ, SMAX...),
/// FEAT_PAuth (PACGA), FEAT_TME (TCOMMIT, TCANCEL), FEAT_SME (SMSTART, SMSTOP), FEAT_SPECRES
/// (CFP, DVP, CPP), FEAT_LS64 (LD64B, ST64B, ST64BV, ST64BV0), FEAT_SM3,
/// FEAT_SM4 and FEAT_FCMA (FCADD, FCMLA).
const NOT_IMPLEMENTED: &[&str] = &[
    "abs",
    "cnt",
    "ctz",
    "smax",
    "smin",
    "umax",
    "umin",
    "pacga",
    "tcommit",
    "tcancel",
    "smstart",
    "smstop",
    "cfp",
    "dvp",
    "cpp",
    "ld64b",
    "st64b",
    "st64bv",
    "st64bv0",
    "sm3ss1",
    "sm3partw1",
    "sm3partw2",
    "sm4ekey",
    "sm4e",
    "fcadd",
    "fcmla",
];

fn not_implemented(mnem: &str) -> bool {
    NOT_IMPLEMENTED.contains(&mnem) || common::MTE_MNEMONICS.contains(&mnem)
}

/// Instructions objdump names in a group that are unallocated where guests run (EL0, Linux's
/// SCTLR_EL1 settings), or belong to a feature a64x does not implement, with why.
const UNDEFINED_AT_EL0: &[(&str, &[&str], &str)] = &[
    ("Exception generation", &["hvc", "smc", "hlt", "dcps1", "dcps2", "dcps3"], "EL2/EL3 calls and debug state: UNDEFINED at EL0"),
    ("PSTATE", &["msr"], "MSR (immediate) of UAO, PAN, SPSel, DAIF, ALLINT...: EL1, or EL0 only with SCTLR_EL1.UMA, which Linux leaves clear"),
    ("Barriers", &["dsb", "msr"], "DSB nXS (FEAT_XS, not implemented); the rest of the space is unallocated"),
    ("System instructions", &["at", "tlbi", "sys", "dc", "ic"], "address translation, TLB and set/way maintenance are EL1; DC CVAP/CVADP are not advertised"),
    ("System register move", &["mrs", "msr"], "system registers EL0 may not access (Linux traps and emulates only the ID registers a64x answers itself)"),
    ("Unconditional branch (register)", &["drps", "eret"], "UNDEFINED at EL0"),
];

/// Words of a row that the Arm ARM makes CONSTRAINED UNPREDICTABLE and objdump refuses to
/// disassemble, while a64x (as qemu-aarch64) runs them one of the permitted ways: a load pair
/// into one register twice, or writing back into a register it loads (Arm ARM K1.2.x, "LDP",
/// "LDPSW": the loaded value or UNKNOWN); LDAR with its should-be-one Rs and Rt2 fields not
/// all ones (they are ignored).
fn constrained_unpredictable(row: &str, w: u32) -> bool {
    let (rt, rn, rt2, rs) = (w & 31, (w >> 5) & 31, (w >> 10) & 31, (w >> 16) & 31);
    let load_pair = row.starts_with("LDP") || row.starts_with("LDNP");
    let writeback = row.contains("-index");
    (load_pair && (rt == rt2 || (writeback && rn != 31 && (rn == rt || rn == rt2))))
        || (row == "LDAR" && (rs != 31 || rt2 != 31))
}

fn el0_undefined(group: &str, mnem: &str) -> bool {
    UNDEFINED_AT_EL0
        .iter()
        .any(|(g, m, _)| *g == group && m.contains(&mnem))
}

/// Where a word came from: a row's pattern or a group's space.
#[derive(Clone, Copy)]
enum Source {
    Row(&'static Row),
    Group(&'static str),
}

fn words() -> Vec<(u32, Source)> {
    let mut rng = common::SplitMix(0x5bec);
    let mut out = Vec::new();
    for row in TABLE {
        for _ in 0..2000 {
            out.push(((rng.next() as u32 & !row.mask) | row.bits, Source::Row(row)));
        }
    }
    for g in GROUPS {
        for _ in 0..8000 {
            out.push(((rng.next() as u32 & !g.mask) | g.bits, Source::Group(g.name)));
        }
    }
    out
}

/// objdump's mnemonic for each word, in order.
fn disassemble(words: &[(u32, Source)]) -> Vec<String> {
    let ws: Vec<u32> = words.iter().map(|&(w, _)| w).collect();
    let text = common::objdump_words(&ws, "decoder_spec");
    let mut mnems = Vec::new();
    for line in text.lines() {
        // "   1c:\t1e2feb89 \tfmadd\ts9, s28, s15, s26"
        let mut f = line.split('\t');
        let (Some(addr), Some(_), Some(mnem)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if addr.trim_end().ends_with(':') {
            mnems.push(mnem.trim().to_string());
        }
    }
    assert_eq!(mnems.len(), words.len(), "one line per word");
    mnems
}

fn undefined_to_objdump(mnem: &str) -> bool {
    mnem == ".inst" || mnem == "udf" || mnem.starts_with("undefined")
}

#[test]
fn instruction_rows_agree_with_objdump() {
    let words = words();
    let mnems = disassemble(&words);
    let mut wrong: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut note = |key: String, example: String| {
        let e = wrong.entry(key).or_insert((0, example));
        e.0 += 1;
    };
    let mut checked = 0usize;
    for (&(w, src), mnem) in words.iter().zip(&mnems) {
        let row = decode_row(w);
        let defined = decode(w) != Inst::Undefined;
        let example = format!("{w:#010x}: objdump `{mnem}`, row {:?}", row.map(|r| r.name));
        match src {
            Source::Row(r) => {
                let Some(found) = row else {
                    // An earlier group's space may take it (an immh of 0000 is a modified
                    // immediate, not a shift), and leave it unallocated.
                    let earlier = GROUPS
                        .iter()
                        .take_while(|g| g.name != r.group)
                        .any(|g| w & g.mask == g.bits);
                    if !earlier {
                        note(format!("{}: its own word is in no row", r.name), example);
                    }
                    continue;
                };
                if !std::ptr::eq(found, r) {
                    // Taken by an earlier row: allowed between groups (narrower first) and for a
                    // row that carves an encoding out of a wider one (`narrow`), never between
                    // two instruction rows of one group otherwise.
                    let carved = found.mask & r.mask == r.mask && found.mask != r.mask;
                    if found.group == r.group && !carved {
                        note(format!("{} overlaps {}", r.name, found.name), example);
                    }
                    continue;
                }
                checked += 1;
                let names = std::iter::once(r.mnemonic()).chain(r.aliases.iter().map(|a| a.to_string()));
                let names: Vec<String> = names.collect();
                let named = |n: &String| match n.strip_suffix('*') {
                    Some(prefix) => mnem.starts_with(prefix),
                    None => n == mnem,
                };
                if defined && undefined_to_objdump(mnem) && constrained_unpredictable(r.name, w) {
                    continue;
                }
                if defined && !names.iter().any(named) {
                    note(format!("{}: objdump says {mnem}", r.name), example);
                } else if !defined
                    && !undefined_to_objdump(mnem)
                    && !not_implemented(mnem)
                    && !el0_undefined(r.group, mnem)
                {
                    note(format!("{}: unallocated here, objdump says {mnem}", r.name), example);
                }
            }
            Source::Group(g) => {
                checked += 1;
                let el1 = el0_undefined(g, mnem);
                let lax = common::objdump_lax(mnem, w);
                if !defined && !undefined_to_objdump(mnem) && !not_implemented(mnem) && !el1 && !lax {
                    note(format!("group {g}: no row takes `{mnem}`"), example);
                }
            }
        }
    }
    let report: Vec<String> = wrong
        .iter()
        .map(|(k, (n, ex))| format!("  {k} ({n} words, e.g. {ex})"))
        .collect();
    assert!(
        report.is_empty(),
        "{} findings in {checked} words:\n{}",
        report.len(),
        report.join("\n")
    );
    assert!(checked > 100_000, "only {checked} words checked");
}
