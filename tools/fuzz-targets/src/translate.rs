//! Fuzz body: random instruction words through the decoder, the lifter, the IR passes and the
//! x86-64 emitter, as the VM translates a block the guest wrote. A finding is a panic in any of
//! them, an IR block the verifier rejects (an inline memory access not confined to the guest
//! region among its checks), or emitted code that does not decode as x86-64 instructions.

use a64x_translator::ir::verify::assert_valid;
use a64x_translator::lift::{lift_block, LiftOptions};
use a64x_translator::opt;
use a64x_translator::x64::{self, host::HostFeatures, Runtime};
use iced_x86::{Code, Decoder, DecoderOptions};

use crate::Input;

/// Where the words are placed in the guest.
const GUEST_PC: u64 = 0x40_0000;
/// Where the code is assumed to go in the host (nothing runs: it is only decoded).
const HOST_BASE: u64 = 0x7f00_0000_0000;

/// Translate the block at the first of the input's words (a byte of options first: block
/// length, branch following, host features) and check every stage.
pub fn block(data: &[u8]) {
    let mut input = Input::new(data);
    let flags = input.u8();
    let words: Vec<u32> = input
        .bytes(4 * 256)
        .chunks(4)
        .map(|c| c.iter().rev().fold(0u32, |w, &b| w << 8 | u32::from(b)))
        .collect();
    let fetch = |a: u64| -> Option<u32> {
        let off = a.checked_sub(GUEST_PC)?;
        (off % 4 == 0).then(|| words.get((off / 4) as usize).copied())?
    };
    let opts = LiftOptions {
        max_insns: 1 + u32::from(flags & 0x3f),
        follow_branches: flags & 0x40 != 0,
        side_exits: flags & 0x40 != 0,
        confine: true,
        drop_dead_writebacks: true,
        features: a64x_translator::a64::FeatureSet::ALL,
    };
    let Some(mut block) = lift_block(GUEST_PC, &fetch, opts) else {
        return;
    };
    assert_valid(&block, opts.confine);
    opt::optimize(&mut block);
    assert_valid(&block, opts.confine);
    let host = if flags & 0x80 != 0 {
        HostFeatures::all()
    } else {
        HostFeatures::none()
    };
    let rt = Runtime {
        epilogue: HOST_BASE - 0x1000,
        counter: None,
        host,
        fault_map: true,
        fz_checks: true,
    };
    let compiled = x64::compile(&block, HOST_BASE, rt);
    // A block's fault map is made by compiling it again when it first faults: the code (its
    // length, where the sites are) must not depend on whether the map is recorded.
    let unmapped = x64::compile(&block, HOST_BASE, Runtime { fault_map: false, ..rt });
    assert_eq!(
        compiled.code.len(),
        unmapped.code.len(),
        "fault map changes the code of {block}"
    );
    assert!(!compiled.code.is_empty(), "no code for {block}");
    let mut decoder = Decoder::with_ip(64, &compiled.code, HOST_BASE, DecoderOptions::NONE);
    for insn in decoder.iter() {
        assert!(
            insn.code() != Code::INVALID,
            "emitted bytes at {:#x} are not an x86-64 instruction for {block}",
            insn.ip()
        );
    }
}
