//! Differential fuzzing against qemu-aarch64, short mode (DESIGN "How it is tested", item 3):
//! a fixed seed and a few thousand random instruction sequences from the decoder's table, run
//! under qemu-aarch64 and under this package's a64x; any difference in registers, flags or
//! scratch memory fails the test. The long mode is `cargo run --release -p a64x-fuzz` (see
//! docs/fuzzing.md). qemu-aarch64 is the oracle: without it this test fails rather than pass
//! silently (`A64X_QEMU` names another qemu-aarch64 binary).

use std::path::PathBuf;
use std::process::Command;

#[test]
fn random_sequences_match_qemu() {
    let qemu = std::env::var_os("A64X_QEMU").map_or_else(|| PathBuf::from("qemu-aarch64"), PathBuf::from);
    let found = Command::new(&qemu)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{} not found: the oracle of this test is qemu-user (Debian package qemu-user)",
        qemu.display()
    );
    let mut config = a64x_fuzz::Config::new(PathBuf::from(env!("CARGO_BIN_EXE_a64x")));
    config.qemu = qemu;
    config.seed = 0x5eed;
    config.cases = 1500;
    config.work_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz_qemu");
    let report = a64x_fuzz::run(&config);
    println!("{report}");
    assert_eq!(report.failures, 0, "a64x differs from qemu-aarch64:\n{report}");
}
