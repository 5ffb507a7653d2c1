//! Slow paths out of line: the helper calls that inline FP code takes for NaNs, +-the smallest
//! normal, saturating conversions or FPCR.FZ are emitted after the block's exit, so the main
//! path runs straight on (no jump over a call it almost never makes) and the block's hot code
//! stays dense. Each stores the V registers its operation found dirty in the V register cache
//! (the helper reads CpuState), and returns to the instruction after its operation's main
//! path, with the cache's registers as the main path leaves them.

use super::vcache::VCache;
use super::Lower;
use crate::cpu::off;
use crate::ir::fp::FpOp;
use crate::ir::VecFn;
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi};

/// What a slow path calls.
#[derive(Debug, Clone, Copy)]
pub(super) enum SlowCall {
    /// `helper_fp` for `f`, with its integer operand in host register `x`; `restore_mxcsr`:
    /// put back the flags saved before the operation first (see `lower_fp_to_int`).
    Fp {
        f: FpOp,
        x: Option<u8>,
        restore_mxcsr: bool,
    },
    /// `helper_vec` for V`d` = `f`(V`n`, V`m`).
    Vec { f: VecFn, d: u8, n: u8, m: u8 },
}

/// Where an operation's main path jumps to its slow path: the label, and the V register cache
/// there, whose dirty registers go to CpuState before the call. (Between an op's start and its
/// last jump to its slow path the cache only gains clean registers: see `vcache`.)
#[derive(Debug, Clone, Copy)]
pub(super) struct SlowEntry {
    pub label: DynamicLabel,
    cache: VCache,
}

/// A slow path to emit after the block's exit.
#[derive(Debug)]
pub(super) struct SlowPath {
    entry: SlowEntry,
    back: DynamicLabel,
    call: SlowCall,
    /// The V register cache where the path returns: its registers are loaded again after the
    /// call, which clobbered them.
    cache: VCache,
}

impl Lower<'_> {
    /// A new slow path, for the main path's jumps, which begin here.
    pub(super) fn slow_entry(&mut self) -> SlowEntry {
        SlowEntry {
            label: self.ops.new_dynamic_label(),
            cache: self.vcache,
        }
    }

    /// The slow path `entry` makes `call` and comes back here, where the main path is done.
    pub(super) fn slow_return(&mut self, entry: SlowEntry, call: SlowCall) {
        let back = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch x64 ; =>back);
        self.slow_paths.push(SlowPath {
            entry,
            back,
            call,
            cache: self.vcache,
        });
    }

    /// Emit the slow paths recorded (after the block's exit code).
    pub(super) fn emit_slow_paths(&mut self) {
        for p in std::mem::take(&mut self.slow_paths) {
            dynasm!(self.ops ; .arch x64 ; =>p.entry.label);
            self.emit_flush(&p.entry.cache);
            match p.call {
                SlowCall::Fp { f, x, restore_mxcsr } => {
                    if restore_mxcsr {
                        dynasm!(self.ops ; .arch x64 ; ldmxcsr [r15 + off::MXCSR]);
                    }
                    self.fp_call(&f, x);
                }
                SlowCall::Vec { f, d, n, m } => self.vec_helper_call(&f, d, n, m),
            }
            self.reload_vcache(&p.cache);
            dynasm!(self.ops ; .arch x64 ; jmp =>p.back);
        }
    }
}
