#![no_main]
//! libFuzzer target: see `a64x_fuzz_targets::translate::block`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| a64x_fuzz_targets::translate::block(data));
