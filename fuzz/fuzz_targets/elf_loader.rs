#![no_main]
//! libFuzzer target: see `a64x_fuzz_targets::elf::load`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| a64x_fuzz_targets::elf::load(data));
