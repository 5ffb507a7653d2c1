//! a64x-fuzz: differential testing of a64x against qemu-aarch64 with random instruction
//! sequences (DESIGN "How it is tested", item 3), in the spirit of Linaro's risu.
//!
//! Cases are drawn from the decoder's own encoding table ([`case`]), wrapped many to a static
//! AArch64 program that loads each case's state, runs its sequence and prints every X register,
//! SP, NZCV, FPCR, FPSR, the V registers and the scratch memory ([`asm`]); the program runs under
//! both emulators ([`exec`]) and the outputs are compared byte for byte. A mismatch is minimised
//! (instructions replaced by NOPs while it persists) and reported with disassembly, inputs and
//! both outputs; a SIGILL on one side is pinned to its instruction and counted per row. A case
//! both sides stop alike (a BRK: SIGTRAP) is compared at the instruction that stopped it.

pub mod asm;
pub mod case;
pub mod exec;
mod report;

use a64x_translator::a64::{Row, TABLE};
use case::{Case, Generator, Kind};
use exec::{Ending, Outcome};
use std::path::PathBuf;
use std::time::Duration;

pub use report::Report;

/// What to run and how.
#[derive(Debug, Clone)]
pub struct Config {
    /// Number of cases (each 1..=`max_len` instructions).
    pub cases: usize,
    /// PRNG seed: the same seed gives the same cases.
    pub seed: u64,
    /// The a64x binary.
    pub a64x: PathBuf,
    /// The qemu-aarch64 binary (the oracle).
    pub qemu: PathBuf,
    /// qemu's `-cpu` model. Pointer authentication is off: a64x runs PACIASP and friends as the
    /// NOPs they are without HWCAP_PACA, as DESIGN says.
    pub qemu_cpu: String,
    /// Only rows whose name matches.
    pub rows: Option<regex::Regex>,
    /// Only rows of the encoding groups whose name matches (`a64::spec::Row::group`).
    pub groups: Option<regex::Regex>,
    /// Longest sequence.
    pub max_len: usize,
    /// Cases per program.
    pub batch: usize,
    /// Mismatches reported in full (minimised, disassembled); the rest are counted.
    pub max_reports: usize,
    /// Where programs and outputs are written.
    pub work_dir: PathBuf,
    /// Time limit of one emulator run.
    pub timeout: Duration,
}

impl Config {
    /// Defaults for everything but the binaries' paths.
    pub fn new(a64x: PathBuf) -> Self {
        Self {
            cases: 1000,
            seed: 1,
            a64x,
            qemu: PathBuf::from("qemu-aarch64"),
            qemu_cpu: "max,pauth=off".into(),
            rows: None,
            groups: None,
            max_len: 8,
            batch: 64,
            max_reports: 20,
            work_dir: std::env::temp_dir().join(format!("a64x-fuzz-{}", std::process::id())),
            timeout: Duration::from_secs(30),
        }
    }
}

/// A row not drawn, and why.
pub type Skipped = (&'static str, &'static str);

/// The rows drawn under `config`, with how each is drawn, and the rows left out (with why).
pub fn select_rows(config: &Config) -> (Vec<(&'static Row, Kind)>, Vec<Skipped>) {
    let mut used = Vec::new();
    let mut skipped = Vec::new();
    for row in TABLE {
        if config.rows.as_ref().is_some_and(|re| !re.is_match(row.name))
            || config.groups.as_ref().is_some_and(|re| !re.is_match(row.group))
        {
            continue;
        }
        match case::kind_of(row) {
            Some(k) => used.push((row, k)),
            None => skipped.push((
                row.name,
                "not generated (leaves the sequence or the sandbox, or its result is not comparable with qemu)",
            )),
        }
    }
    (used, skipped)
}

/// Which side a run is on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Qemu,
    A64x,
}

struct Runner<'a> {
    config: &'a Config,
    runs: usize,
}

impl Runner<'_> {
    /// Builds a program of `cases` and runs it on `side`.
    fn run_side(&mut self, side: Side, cases: &[&Case]) -> Outcome {
        let path = self.write_program(cases, &format!("{side:?}"));
        self.exec(side, &path)
    }

    fn write_program(&mut self, cases: &[&Case], tag: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let inputs: Vec<Vec<u8>> = cases.iter().map(|c| c.input_block()).collect();
        let words: Vec<Vec<u32>> = cases.iter().map(|c| c.words()).collect();
        let images: Vec<asm::CaseImage> = cases
            .iter()
            .enumerate()
            .map(|(i, c)| asm::CaseImage {
                input: &inputs[i],
                scratch: &c.scratch,
                insns: &words[i],
            })
            .collect();
        let (elf, _) = asm::build_program(&images);
        let path = self.config.work_dir.join(format!("prog-{tag}"));
        std::fs::write(&path, elf).expect("write test program");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod test program");
        path
    }

    fn exec(&mut self, side: Side, path: &std::path::Path) -> Outcome {
        self.runs += 1;
        let c = self.config;
        let tag = format!("{side:?}");
        match side {
            Side::Qemu => exec::run(
                &c.qemu,
                &["-cpu".into(), c.qemu_cpu.clone()],
                path,
                &c.work_dir,
                &tag,
                c.timeout,
            ),
            Side::A64x => exec::run(&c.a64x, &[], path, &c.work_dir, &tag, c.timeout),
        }
    }

    /// Runs one program on both sides at once.
    fn run_both(&mut self, cases: &[&Case]) -> (Outcome, Outcome) {
        let path = self.write_program(cases, "both");
        self.runs += 2;
        let c = self.config;
        std::thread::scope(|s| {
            let q = s.spawn(|| {
                let args = ["-cpu".into(), c.qemu_cpu.clone()];
                exec::run(&c.qemu, &args, &path, &c.work_dir, "qemu", c.timeout)
            });
            let a = exec::run(&c.a64x, &[], &path, &c.work_dir, "a64x", c.timeout);
            (q.join().expect("qemu runner thread"), a)
        })
    }

    /// The index of the instruction of `case` that stops it on `side`: runs the prefixes of the
    /// case (later instructions replaced by NOPs, so branch targets stay) in one program; the
    /// output stops at the first prefix that faults.
    fn culprit(&mut self, side: Side, case: &Case) -> Option<usize> {
        let variants: Vec<Case> = (1..=case.insns.len()).map(|j| nop_from(case, j)).collect();
        let refs: Vec<&Case> = variants.iter().collect();
        let out = self.run_side(side, &refs);
        let done = out.stdout.len() / asm::OUT_BYTES;
        (done < case.insns.len()).then_some(done)
    }

    /// The instructions of `case` that mismatch on their own (the others replaced by NOPs, except
    /// the setup a BR or SVC needs), found with one program per side. A BRK is left out: it would
    /// stop the program and hide the solos after it.
    fn solo_blame(&mut self, case: &Case) -> Vec<usize> {
        let solos: Vec<Case> = (0..case.insns.len())
            .map(|i| {
                let keep = |j: usize| (j == i && !case.stops(i)) || (j + 1 == i && case.needs_setup(i));
                let mut c = case.clone();
                for (j, slot) in c.insns.iter_mut().enumerate() {
                    if !keep(j) {
                        *slot = (asm::NOP, "NOP");
                    }
                }
                c
            })
            .collect();
        let refs: Vec<&Case> = solos.iter().collect();
        let (q, a) = self.run_both(&refs);
        let n = (q.stdout.len().min(a.stdout.len()) / asm::OUT_BYTES).min(solos.len());
        (0..n)
            .filter(|&k| {
                let r = k * asm::OUT_BYTES..(k + 1) * asm::OUT_BYTES;
                case.insns[k].0 != asm::NOP && q.stdout[r.clone()] != a.stdout[r]
            })
            .collect()
    }

    /// Whether `case` alone still mismatches (both sides finishing normally).
    fn still_mismatches(&mut self, case: &Case) -> Option<(Vec<u8>, Vec<u8>)> {
        let (q, a) = self.run_both(&[case]);
        let ok = |o: &Outcome| o.ending == Ending::Exit(0) && o.stdout.len() == asm::OUT_BYTES;
        (ok(&q) && ok(&a) && q.stdout != a.stdout).then_some((q.stdout, a.stdout))
    }

    /// Greedily replaces instructions by NOPs while the mismatch persists.
    fn minimise(&mut self, case: &Case) -> (Case, Vec<u8>, Vec<u8>) {
        let mut best = case.clone();
        let mut outs = self.still_mismatches(&best);
        if outs.is_none() {
            // Does not reproduce alone; report it as it was found.
            return (best, Vec::new(), Vec::new());
        }
        for i in 0..best.insns.len() {
            if best.insns[i].0 == asm::NOP {
                continue;
            }
            let mut trial = best.clone();
            trial.nop(i);
            if let Some(o) = self.still_mismatches(&trial) {
                best = trial;
                outs = Some(o);
            }
        }
        let (q, a) = outs.expect("mismatch outputs");
        (best, q, a)
    }
}

/// `case` with its instructions from `from` on replaced by NOPs.
fn nop_from(case: &Case, from: usize) -> Case {
    let mut c = case.clone();
    for slot in &mut c.insns[from..] {
        *slot = (asm::NOP, "NOP");
    }
    c
}

/// Runs the whole differential test described by `config` and returns what it found.
pub fn run(config: &Config) -> Report {
    std::fs::create_dir_all(&config.work_dir).expect("create work directory");
    let (rows, skipped) = select_rows(config);
    let mut report = Report::new(&rows, &skipped, config);
    let mut generator = Generator::new(config.seed, rows);
    let mut runner = Runner { config, runs: 0 };
    let mut done = 0;
    while done < config.cases {
        let n = config.batch.min(config.cases - done);
        let mut cases: Vec<Case> = (0..n).map(|_| generator.case(config.max_len)).collect();
        // Cases with a BRK last: each BRK reached ends the program, and the cases after it must
        // be run again in a new one (see `run_batch`).
        cases.sort_by_key(|c| (0..c.insns.len()).any(|i| c.stops(i)));
        for c in &cases {
            for &(_, row) in &c.insns {
                report.row(row).generated += 1;
            }
        }
        run_batch(&mut runner, &cases, &mut report);
        done += n;
    }
    report.runs = runner.runs;
    let _ = std::fs::remove_dir_all(&config.work_dir);
    report
}

fn run_batch(runner: &mut Runner, cases: &[Case], report: &mut Report) {
    let mut pending: Vec<Case> = cases.to_vec();
    while !pending.is_empty() {
        let refs: Vec<&Case> = pending.iter().collect();
        let (q, a) = runner.run_both(&refs);
        let nq = q.stdout.len() / asm::OUT_BYTES;
        let na = a.stdout.len() / asm::OUT_BYTES;
        let n = nq.min(na).min(pending.len());
        for (k, case) in pending[..n].iter().enumerate() {
            let r = k * asm::OUT_BYTES..(k + 1) * asm::OUT_BYTES;
            report.cases_run += 1;
            if q.stdout[r.clone()] == a.stdout[r.clone()] {
                for &(w, row) in &case.insns {
                    if w != asm::NOP || row != "NOP" {
                        report.row(row).run += 1;
                    }
                }
            } else {
                mismatch(runner, case, &q.stdout[r.clone()], &a.stdout[r], report);
            }
        }
        if n == pending.len() {
            if q.ending != Ending::Exit(0) || a.ending != Ending::Exit(0) {
                report
                    .notes
                    .push(format!("program ended oddly: qemu {}, a64x {}", q.ending, a.ending));
            }
            break;
        }
        let again = fault(runner, &pending[n], nq > n, na > n, &q, &a, report);
        pending.drain(..=n);
        if let Some(c) = again {
            pending.insert(0, c);
        }
    }
}

/// Case `case` stopped one side or both: find the instruction and count it. After a SIGILL,
/// returns the case with that instruction replaced by a NOP, to run the rest of it. When both
/// sides were stopped by the same signal (not SIGILL: a BRK's SIGTRAP), they agree; returns the
/// case up to that instruction, to compare the state both had when they stopped.
fn fault(
    runner: &mut Runner,
    case: &Case,
    q_ok: bool,
    a_ok: bool,
    q: &Outcome,
    a: &Outcome,
    report: &mut Report,
) -> Option<Case> {
    let side = if a_ok { Side::Qemu } else { Side::A64x };
    let Some(i) = runner.culprit(side, case) else {
        report.notes.push(format!(
            "case faulted in the batch but not alone (qemu {}, a64x {}): {:08x?}",
            q.ending,
            a.ending,
            case.words()
        ));
        return None;
    };
    let (word, row) = case.insns[i];
    let alike = !q_ok && !a_ok && q.ending == a.ending && matches!(q.ending, Ending::Signal(_));
    if alike && !q.sigill() && !a.sigill() {
        report.row(row).stopped_alike += 1;
        // The culprit was found on a64x's side; had qemu stopped elsewhere, the state compared
        // here differs or qemu stops again in this shorter case, and either is reported.
        let mut upto = nop_from(case, i);
        // The NOP keeps the row's name so the row counts as run if the states agree.
        upto.insns[i].1 = row;
        return Some(upto);
    }
    let entry = report.row(row);
    match (q_ok, a_ok) {
        (true, false) if a.sigill() => entry.a64x_sigill.push(word),
        (false, true) if q.sigill() => entry.qemu_sigill.push(word),
        (false, false) if q.sigill() && a.sigill() => entry.both_sigill += 1,
        _ => {
            entry.faults += 1;
            report.cases_run += 1;
            report.failures += 1;
            let text = format!(
                "fault in row {row}: word {word:#010x} (instruction {i} of the case)\n  qemu: {} {}\n  a64x: {} {}\n{}",
                if q_ok { "ok".to_string() } else { q.ending.to_string() },
                q.stderr.trim(),
                if a_ok { "ok".to_string() } else { a.ending.to_string() },
                a.stderr.trim(),
                report::describe_case(case)
            );
            report.details.push(text);
            return None;
        }
    }
    let mut again = case.clone();
    again.nop(i);
    Some(again)
}

fn mismatch(runner: &mut Runner, case: &Case, q: &[u8], a: &[u8], report: &mut Report) {
    report.failures += 1;
    let blamed = runner.solo_blame(case);
    if blamed.is_empty() {
        report.unattributed += 1;
    }
    let mut rows: Vec<&'static str> = blamed.iter().map(|&i| case.insns[i].1).collect();
    rows.dedup();
    for r in &rows {
        report.row(r).mismatches += 1;
    }
    // Full reports for the first few mismatches of each row (or set of rows).
    let key = rows.join(" + ");
    let seen = report.reported.entry(key).or_insert(0);
    if report.details.len() >= runner.config.max_reports || *seen >= 2 {
        return;
    }
    *seen += 1;
    let (small, mq, ma) = runner.minimise(case);
    let (q, a) = if mq.is_empty() { (q, a) } else { (&mq[..], &ma[..]) };
    report.details.push(report::describe_mismatch(&small, q, a));
}
