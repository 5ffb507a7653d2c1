//! What a fuzzing run found: per-row counts, coverage of the encoding table, and mismatch
//! reports with disassembly (`aarch64-linux-gnu-objdump`), inputs and both outputs.

use crate::asm::{self, OUT_REGS};
use crate::case::{Case, Kind};
use crate::Config;
use a64x_translator::a64::Row;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Counts for one encoding-table row.
#[derive(Debug, Default, Clone)]
pub struct RowStats {
    /// Instructions drawn from it.
    pub generated: usize,
    /// Instructions from it in cases that finished alike on both sides.
    pub run: usize,
    /// Mismatching cases blamed on it (after minimisation).
    pub mismatches: usize,
    /// Words a64x stopped on with SIGILL while qemu ran them (lift gaps).
    pub a64x_sigill: Vec<u32>,
    /// Words qemu rejected with SIGILL while a64x ran them.
    pub qemu_sigill: Vec<u32>,
    /// Words both rejected.
    pub both_sigill: usize,
    /// Other faults (SIGSEGV, SIGBUS, timeouts) on either side.
    pub faults: usize,
    /// Cases both sides stopped at this row's instruction with the same signal (BRK: SIGTRAP);
    /// the state at the stop is compared, and counts under `run` if it agrees.
    pub stopped_alike: usize,
}

/// The result of [`crate::run`].
#[derive(Debug, Default)]
pub struct Report {
    /// Per row, in table order.
    pub rows: BTreeMap<usize, (&'static str, RowStats)>,
    index: BTreeMap<&'static str, usize>,
    /// Rows not drawn, and why.
    pub skipped: Vec<(&'static str, &'static str)>,
    /// Cases that ran to the end or to a fault.
    pub cases_run: usize,
    /// Mismatches and unexpected faults (the run fails if non-zero).
    pub failures: usize,
    /// Full reports of mismatches and faults.
    pub details: Vec<String>,
    /// Other observations.
    pub notes: Vec<String>,
    /// Mismatching cases in which no single instruction mismatches alone.
    pub unattributed: usize,
    /// Full reports given per set of blamed rows.
    pub reported: BTreeMap<String, usize>,
    /// Emulator processes started.
    pub runs: usize,
    /// The seed, for the summary line.
    pub seed: u64,
}

impl Report {
    /// An empty report over `rows`.
    pub fn new(rows: &[(&'static Row, Kind)], skipped: &[(&'static str, &'static str)], config: &Config) -> Self {
        let mut r = Report {
            skipped: skipped.to_vec(),
            seed: config.seed,
            ..Default::default()
        };
        for (i, (row, _)) in rows.iter().enumerate() {
            r.rows.insert(i, (row.name, RowStats::default()));
            r.index.insert(row.name, i);
        }
        r
    }

    /// The counts of the row called `name`.
    pub fn row(&mut self, name: &'static str) -> &mut RowStats {
        let i = *self.index.entry(name).or_insert(usize::MAX);
        &mut self.rows.entry(i).or_insert((name, RowStats::default())).1
    }

    /// Total SIGILLs of a64x on words qemu runs.
    pub fn a64x_sigills(&self) -> usize {
        self.rows.values().map(|(_, s)| s.a64x_sigill.len()).sum()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{:<56} {:>8} {:>8} {:>6} {:>9} {:>9} {:>6}",
            "row", "drawn", "ran-ok", "mism.", "a64x-ILL", "qemu-ILL", "fault"
        )?;
        for (name, s) in self.rows.values() {
            if name == &"NOP" {
                continue;
            }
            writeln!(
                f,
                "{:<56} {:>8} {:>8} {:>6} {:>9} {:>9} {:>6}",
                name,
                s.generated,
                s.run,
                s.mismatches,
                s.a64x_sigill.len(),
                s.qemu_sigill.len(),
                s.faults
            )?;
        }
        let mut any = false;
        for (name, s) in self.rows.values() {
            if !s.a64x_sigill.is_empty() {
                if !any {
                    writeln!(f, "\nunimplemented in a64x (SIGILL, qemu runs them), by row:")?;
                    any = true;
                }
                writeln!(f, "  {name}: {}", sample(&s.a64x_sigill))?;
                for line in disassemble(&s.a64x_sigill[..s.a64x_sigill.len().min(12)]) {
                    writeln!(f, "      {line}")?;
                }
            }
        }
        let mut any = false;
        for (name, s) in self.rows.values() {
            if !s.qemu_sigill.is_empty() {
                if !any {
                    writeln!(f, "\nrejected by qemu (SIGILL) but run by a64x, by row:")?;
                    any = true;
                }
                writeln!(f, "  {name}: {}", sample(&s.qemu_sigill))?;
                for line in disassemble(&s.qemu_sigill[..s.qemu_sigill.len().min(6)]) {
                    writeln!(f, "      {line}")?;
                }
            }
        }
        writeln!(f, "\ncoverage:")?;
        let never: Vec<_> = self
            .rows
            .values()
            .filter(|(_, s)| s.generated == 0)
            .map(|(n, _)| *n)
            .collect();
        let never_ok: Vec<_> = self
            .rows
            .values()
            .filter(|(n, s)| s.generated > 0 && s.run == 0 && *n != "NOP")
            .map(|(n, _)| *n)
            .collect();
        writeln!(
            f,
            "  rows drawn: {} of {}",
            self.rows.len() - never.len(),
            self.rows.len()
        )?;
        for n in never {
            writeln!(f, "  never drawn: {n}")?;
        }
        for n in never_ok {
            writeln!(f, "  drawn but never ran to the end on both sides: {n}")?;
        }
        for (n, s) in self.rows.values().filter(|(_, s)| s.stopped_alike > 0) {
            writeln!(
                f,
                "  stopped both sides with the same signal (state at the stop compared): {n} x{}",
                s.stopped_alike
            )?;
        }
        for (n, why) in &self.skipped {
            writeln!(f, "  {why}: {n}")?;
        }
        if self.unattributed > 0 {
            writeln!(f, "mismatches no single instruction explains: {}", self.unattributed)?;
        }
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        for d in &self.details {
            writeln!(f, "\n{d}")?;
        }
        writeln!(
            f,
            "\nseed {}: {} cases, {} instructions, {} emulator runs, {} mismatches/faults, {} a64x SIGILLs",
            self.seed,
            self.cases_run,
            self.rows
                .values()
                .filter(|(n, _)| *n != "NOP")
                .map(|(_, s)| s.generated)
                .sum::<usize>(),
            self.runs,
            self.failures,
            self.a64x_sigills()
        )
    }
}

fn sample(words: &[u32]) -> String {
    let shown: Vec<String> = words.iter().take(12).map(|w| format!("{w:08x}")).collect();
    format!("{} ({} total)", shown.join(" "), words.len())
}

/// `aarch64-linux-gnu-objdump -D -b binary -m aarch64` of `words`, one line each ("word  text").
pub fn disassemble(words: &[u32]) -> Vec<String> {
    let path = std::env::temp_dir().join(format!("a64x-fuzz-dis-{}", std::process::id()));
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    if std::fs::write(&path, bytes).is_err() {
        return words.iter().map(|w| format!("{w:08x}")).collect();
    }
    let out = std::process::Command::new("aarch64-linux-gnu-objdump")
        .args(["-D", "-b", "binary", "-m", "aarch64"])
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    let text = out
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let lines: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let (addr, rest) = l.split_once(":\t")?;
            u64::from_str_radix(addr.trim(), 16).ok()?;
            Some(rest.replace('\t', " ").trim().to_string())
        })
        .collect();
    if lines.len() == words.len() {
        lines
    } else {
        words.iter().map(|w| format!("{w:08x}")).collect()
    }
}

/// The case's instructions (disassembled, with rows) and its initial state.
pub fn describe_case(case: &Case) -> String {
    let mut s = String::new();
    let words = case.words();
    let dis = disassemble(&words);
    let _ = writeln!(
        s,
        "  instructions (at offset 0 of the sequence; x28 = scratch pointer):"
    );
    for (i, ((_, row), d)) in case.insns.iter().zip(&dis).enumerate() {
        let _ = writeln!(s, "    [{i}] {d:<48} ; {row}");
    }
    let _ = writeln!(s, "  inputs:");
    for r in (0..31).step_by(4) {
        let line: Vec<String> = (r..(r + 4).min(31))
            .map(|i| {
                if i == 28 {
                    format!("x28=<scratch+{:#x}>", asm::SCRATCH_MID)
                } else {
                    format!("x{i:<2}={:#018x}", case.x[i])
                }
            })
            .collect();
        let _ = writeln!(s, "    {}", line.join(" "));
    }
    let _ = writeln!(
        s,
        "    sp={:#018x} nzcv={:#x} fpcr={:#x} fpsr={:#x} tpidr_el0={:#x}",
        case.sp, case.nzcv, case.fpcr, case.fpsr, case.tpidr
    );
    let vs: Vec<String> = case
        .v
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let re = format!("v{i},");
            let re2 = format!("v{i}.");
            dis.iter()
                .any(|d| d.contains(&re) || d.contains(&re2) || d.ends_with(&format!("v{i}")))
        })
        .map(|(i, v)| format!("v{i}={v:#034x}"))
        .collect();
    if !vs.is_empty() {
        let _ = writeln!(s, "    {}", vs.join(" "));
    }
    s
}

fn field_name(off: usize) -> String {
    match off {
        o if o < 248 => format!("x{}", o / 8),
        asm::OUT_SP => "sp".into(),
        asm::OUT_NZCV => "nzcv".into(),
        asm::OUT_FPCR => "fpcr".into(),
        asm::OUT_FPSR => "fpsr".into(),
        asm::OUT_MARK => "(case index)".into(),
        o if o < OUT_REGS => format!("v{}.d[{}]", (o - asm::OUT_V) / 16, (o - asm::OUT_V) % 16 / 8),
        o => format!("mem[x28{:+#x}]", o as i64 - (OUT_REGS + asm::SCRATCH_MID) as i64),
    }
}

/// A mismatch: the case and every 8-byte field of the output that differs.
pub fn describe_mismatch(case: &Case, qemu: &[u8], a64x: &[u8]) -> String {
    let mut s = String::new();
    let rows: Vec<&str> = case
        .insns
        .iter()
        .filter(|&&(w, _)| w != asm::NOP)
        .map(|&(_, r)| r)
        .collect();
    let _ = writeln!(s, "MISMATCH in {}", rows.join(", "));
    s.push_str(&describe_case(case));
    let _ = writeln!(s, "  outputs that differ (qemu vs a64x):");
    if qemu.len() != a64x.len() {
        let _ = writeln!(s, "    output length: qemu {} a64x {}", qemu.len(), a64x.len());
    }
    for off in (0..qemu.len().min(a64x.len())).step_by(8) {
        let q = u64::from_le_bytes(qemu[off..off + 8].try_into().expect("8 bytes"));
        let a = u64::from_le_bytes(a64x[off..off + 8].try_into().expect("8 bytes"));
        if q != a {
            let _ = writeln!(s, "    {:<16} qemu {q:#018x}  a64x {a:#018x}", field_name(off));
        }
    }
    s
}
