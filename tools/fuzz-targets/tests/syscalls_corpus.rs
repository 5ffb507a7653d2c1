//! Replays the syscall fuzz target's kept inputs (see `corpus.rs`), alone in its process: each
//! run closes the descriptors it did not find open.

mod common;

#[test]
fn syscalls_corpus() {
    common::replay("syscalls", 1, a64x_fuzz_targets::syscalls::calls);
}
