#![no_main]
//! libFuzzer target: see `a64x_fuzz_targets::syscalls::calls`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| a64x_fuzz_targets::syscalls::calls(data));
