//! Replays the fuzz targets' kept inputs on stable Rust: `fuzz/corpus/<target>/` (the corpora
//! `cargo fuzz cmin` kept) and `fuzz/regressions/<target>/` (inputs that once found a bug).
//! Each input must run through its target's body without a finding. The syscall target's replay
//! is `tests/syscalls_corpus.rs`: its body closes every descriptor a run leaves open, so it
//! needs a process of its own.

mod common;

use common::replay;

#[test]
fn elf_loader_corpus() {
    replay("elf_loader", 1, a64x_fuzz_targets::elf::load);
}

#[test]
fn translate_corpus() {
    replay("translate", 1, a64x_fuzz_targets::translate::block);
}
