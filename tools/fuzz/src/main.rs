//! a64x-fuzz command line: differential random-instruction testing of a64x against
//! qemu-aarch64 (see docs/fuzzing.md).

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Runs random A64 instruction sequences under qemu-aarch64 and a64x and compares the results.
#[derive(Parser, Debug)]
#[command(name = "a64x-fuzz")]
struct Args {
    /// Number of cases (sequences of 1..=max-len instructions).
    #[arg(long, default_value_t = 1000)]
    cases: usize,
    /// PRNG seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The a64x binary.
    #[arg(long, default_value = "target/release/a64x")]
    a64x: PathBuf,
    /// The qemu-aarch64 binary.
    #[arg(long, default_value = "qemu-aarch64")]
    qemu: PathBuf,
    /// qemu's -cpu model.
    #[arg(long, default_value = "max,pauth=off")]
    qemu_cpu: String,
    /// Only encoding-table rows whose name matches this regex.
    #[arg(long)]
    rows: Option<regex::Regex>,
    /// Only rows of the encoding groups (the Arm ARM's, as in instructions.spec) whose name
    /// matches this regex.
    #[arg(long)]
    groups: Option<regex::Regex>,
    /// Longest instruction sequence.
    #[arg(long, default_value_t = 8)]
    max_len: usize,
    /// Cases per test program.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Mismatches to minimise and report in full.
    #[arg(long, default_value_t = 20)]
    max_reports: usize,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let mut c = a64x_fuzz::Config::new(a.a64x);
    c.cases = a.cases;
    c.seed = a.seed;
    c.qemu = a.qemu;
    c.qemu_cpu = a.qemu_cpu;
    c.rows = a.rows;
    c.groups = a.groups;
    c.max_len = a.max_len.max(1);
    c.batch = a.batch.max(1);
    c.max_reports = a.max_reports;
    let report = a64x_fuzz::run(&c);
    print!("{report}");
    if report.failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
