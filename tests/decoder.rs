//! Decoder against `aarch64-linux-gnu-objdump` (DESIGN.md, "How it is tested", layer 1): every
//! instruction word in the test programs' code that objdump disassembles must decode to a
//! defined `Inst`, unless it belongs to an extension a64x does not advertise (then it must raise
//! SIGILL, i.e. decode to `Undefined`); and words objdump calls undefined must be `Undefined`.

mod common;

use a64x_translator::a64::{decode, Inst};
use std::collections::BTreeMap;
use std::process::Command;

/// Mnemonics of extensions that are not advertised in AT_HWCAP (SVE, MTE, pointer
/// authentication outside the hint space, ...): glibc only runs them on cores that have them.
fn unadvertised(mnemonic: &str, operands: &str) -> bool {
    const PAUTH: &[&str] = &[
        "retaa", "retab", "braa", "brab", "blraa", "blrab", "ldraa", "ldrab", "xpaci", "xpacd", "pacia", "pacib",
        "autia", "autib",
    ];
    // SVE instructions name z or p registers, or are the SVE-only forms below.
    const SVE: &[&str] = &[
        "whilelo", "whilelt", "ptrue", "ptest", "cntb", "cnth", "cntw", "cntd", "incb", "incd", "rdvl", "addvl",
        "setffr", "rdffr",
    ];
    let sve_regs = operands.split(|c: char| !c.is_ascii_alphanumeric()).any(|t| {
        (t.starts_with('z') || t.starts_with('p')) && t.len() > 1 && t[1..].chars().all(|c| c.is_ascii_digit())
    });
    let mte_dc = mnemonic == "dc" && (operands.starts_with("gva") || operands.starts_with("gzva"));
    common::MTE_MNEMONICS.contains(&mnemonic)
        || mte_dc
        || PAUTH.contains(&mnemonic)
        || SVE.contains(&mnemonic)
        || sve_regs
}

#[test]
fn decoder_agrees_with_objdump() {
    common::require_tool("aarch64-linux-gnu-objdump".as_ref(), "--version");
    common::build_test_binaries();
    let bin = common::test_binaries().join("out/hello-O2");
    let out = Command::new("aarch64-linux-gnu-objdump")
        .arg("-d")
        .arg(&bin)
        .output()
        .expect("objdump runs");
    assert!(out.status.success(), "objdump failed on {}", bin.display());
    let text = String::from_utf8_lossy(&out.stdout);
    let mut checked = 0usize;
    let mut skipped: BTreeMap<String, usize> = BTreeMap::new();
    let mut wrong: BTreeMap<String, (u32, String)> = BTreeMap::new();
    for line in text.lines() {
        // "  400530:\ta9bb7bfd \tstp\tx29, x30, [sp, #-80]!"
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
        let mnem = mnem.trim();
        let ops = f.next().unwrap_or("").trim();
        let defined = decode(w) != Inst::Undefined;
        let objdump_defined = !(mnem == "udf" || mnem == ".inst" || mnem.starts_with("undefined"));
        if !objdump_defined {
            if defined {
                wrong
                    .entry(format!("{mnem} (objdump: undefined)"))
                    .or_insert((w, ops.into()));
            }
            continue;
        }
        if unadvertised(mnem, ops) {
            *skipped.entry(mnem.to_string()).or_default() += 1;
            if defined {
                wrong
                    .entry(format!("{mnem} (unadvertised extension)"))
                    .or_insert((w, ops.into()));
            }
            continue;
        }
        checked += 1;
        if !defined {
            wrong.entry(mnem.to_string()).or_insert((w, ops.into()));
        }
    }
    eprintln!("decoder vs objdump: {checked} instructions checked, unadvertised extensions skipped: {skipped:?}");
    assert!(checked > 50_000, "too few instructions found in {}", bin.display());
    assert!(wrong.is_empty(), "decoder disagrees with objdump on: {wrong:#?}");
}
