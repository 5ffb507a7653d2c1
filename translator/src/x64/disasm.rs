//! Host code listing with iced-x86, for `-d out_asm`, the profiler and code-quality snapshots.

use iced_x86::{Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter};

/// Intel-syntax listing of `code` placed at `addr`, one instruction per line.
pub fn disassemble(code: &[u8], addr: u64) -> String {
    let mut dec = Decoder::with_ip(64, code, addr, DecoderOptions::NONE);
    let mut fmt = IntelFormatter::new();
    let mut out = String::new();
    let mut text = String::new();
    let mut ins = Instruction::default();
    while dec.can_decode() {
        dec.decode_out(&mut ins);
        text.clear();
        fmt.format(&ins, &mut text);
        out.push_str(&format!("  {:#x}: {}\n", ins.ip(), text));
    }
    out
}

/// Number of host instructions in `code`.
pub fn count(code: &[u8]) -> usize {
    let mut dec = Decoder::new(64, code, DecoderOptions::NONE);
    let mut n = 0;
    let mut ins = Instruction::default();
    while dec.can_decode() {
        dec.decode_out(&mut ins);
        n += 1;
    }
    n
}
