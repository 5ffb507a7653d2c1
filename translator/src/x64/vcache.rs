//! The V register cache: guest V registers held in xmm6..xmm14 within one block (and across a
//! self-loop's iterations), written back to CpuState only where something reads CpuState.
//!
//! A register the block writes is *dirty*: its value is in the xmm register alone. It goes to
//! CpuState when its register is taken for another V register, before a helper call (which
//! reads CpuState and clobbers every xmm register), before a lane op that works on CpuState,
//! and on every exit (chained, through the jump cache or to the run loop); a guest fault in
//! the block finds the dirty registers in its fault site (`faultmap::FaultSite`) and the
//! values in the fault's ucontext. So a vector loop's results are not stored to CpuState on
//! every write, and a dependent operation reads a register, not a store being forwarded.
//!
//! The cache's state is known while lowering (it is the same on every path through an op):
//! reads never replace a dirty register, and an op's result is put in the cache after the last
//! jump to its slow path, so a slow path starts from the state its op started with.

use super::Lower;
use crate::cpu::off;
use crate::ir::Op;
use dynasmrt::{dynasm, DynasmApi};

/// Which V register each cache register holds, and whether CpuState has its value.
#[derive(Debug, Default, Clone, Copy)]
pub struct VCache {
    holder: [Option<u8>; VCache::SLOTS],
    dirty: [bool; VCache::SLOTS],
    next: usize,
}

impl VCache {
    const FIRST: u8 = 6;

    /// How many V registers it can hold.
    pub const SLOTS: usize = 9;

    /// The xmm register holding V`v`, if any.
    pub fn get(&self, v: u8) -> Option<u8> {
        self.slot(v).map(|i| Self::FIRST + i as u8)
    }

    fn slot(&self, v: u8) -> Option<usize> {
        self.holder.iter().position(|&h| h == Some(v))
    }

    /// A register to cache V`v` in as it is read: a free one or a clean one (replacing a dirty
    /// one would cost a store), if any.
    pub(super) fn take_for_read(&mut self, v: u8) -> Option<u8> {
        let i = self.holder.iter().position(Option::is_none).or_else(|| {
            let n = Self::SLOTS;
            let i = (0..n).map(|j| (self.next + j) % n).find(|&i| !self.dirty[i])?;
            self.next = (i + 1) % n;
            Some(i)
        })?;
        self.holder[i] = Some(v);
        self.dirty[i] = false;
        Some(Self::FIRST + i as u8)
    }

    /// The register V`v` is written to (now dirty): its own, a free one, else round-robin
    /// replacement; with the dirty (register, V register) it replaces, which must be stored
    /// first.
    fn take_for_write(&mut self, v: u8) -> (u8, Option<(u8, u8)>) {
        let i = self.slot(v).or_else(|| self.holder.iter().position(Option::is_none));
        let i = i.unwrap_or_else(|| {
            let i = self.next;
            self.next = (self.next + 1) % Self::SLOTS;
            i
        });
        let k = Self::FIRST + i as u8;
        let evicted = match self.holder[i] {
            Some(w) if w != v && self.dirty[i] => Some((k, w)),
            _ => None,
        };
        self.holder[i] = Some(v);
        self.dirty[i] = true;
        (k, evicted)
    }

    /// Forget V`v` (which must be clean: see [`Lower::flush_v`]).
    pub fn invalidate(&mut self, v: u8) {
        if let Some(i) = self.slot(v) {
            debug_assert!(!self.dirty[i], "V{v} dropped from the cache unwritten");
            self.holder[i] = None;
        }
    }

    /// Forget everything (which must be clean).
    fn clear(&mut self) {
        debug_assert!(!self.dirty.contains(&true), "dirty V registers dropped");
        *self = Self::default();
    }

    /// The xmm registers in use and the V register each holds.
    pub fn held(&self) -> impl Iterator<Item = (u8, u8)> + '_ {
        (Self::FIRST..)
            .zip(self.holder.iter())
            .filter_map(|(x, h)| h.map(|v| (x, v)))
    }

    /// The dirty ones among them.
    pub fn dirty(&self) -> impl Iterator<Item = (u8, u8)> + '_ {
        self.held().filter(|&(x, _)| self.dirty[(x - Self::FIRST) as usize])
    }

    /// Every register held counts as dirty (a self-loop's header, which the back edge reaches
    /// with values CpuState does not have).
    pub fn all_dirty(&mut self) {
        for (h, d) in self.holder.iter().zip(self.dirty.iter_mut()) {
            *d = h.is_some();
        }
    }

    fn set_clean(&mut self) {
        self.dirty = [false; Self::SLOTS];
    }
}

/// The V registers a self-loop's header loads into the cache once, at most [`VCache::SLOTS`]:
/// those `ops` read before writing them (its inputs), in the order of their first reads, then
/// those it only writes, in the order of their first writes. A register the loop only writes is
/// loaded too: from the second iteration on its cache register holds the last iteration's value,
/// which the loop's faults and exits need, and in the first iteration it must hold CpuState's;
/// so the back edge keeps it in place instead of storing it on every iteration.
pub(super) fn loop_registers(ops: &[Op]) -> Vec<u8> {
    let mut written = [false; 32];
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for op in ops {
        let (reads, writes) = v_reads_writes(op);
        for v in reads.into_iter().flatten() {
            if !written[v as usize] && !inputs.contains(&v) {
                inputs.push(v);
            }
        }
        if let Some(w) = writes {
            if !written[w as usize] && !inputs.contains(&w) {
                outputs.push(w);
            }
            written[w as usize] = true;
        }
    }
    inputs.extend(outputs);
    inputs.truncate(VCache::SLOTS);
    inputs
}

/// The V registers an op reads through the cache (as far as a loop header cares: a missed read
/// just loads from CpuState), and the one it writes whole.
fn v_reads_writes(op: &Op) -> ([Option<u8>; 3], Option<u8>) {
    use crate::ir::fp::FpKind::*;
    match *op {
        // (V`d` too: accumulating, inserting and narrowing-high operations read it.)
        Op::VOp { d, n, m, .. } => ([Some(n), Some(m), Some(d)], Some(d)),
        Op::VStore(_, v, ..) => ([Some(v), None, None], None),
        Op::VLoad(_, v, ..) => ([None; 3], Some(v)),
        Op::Fp(f) => {
            let reads = match f.kind {
                Madd | Msub | Nmadd | Nmsub => [Some(f.n), Some(f.m), Some(f.a)],
                Cmp if f.zero => [Some(f.n), None, None],
                Add | Sub | Mul | Nmul | Div | Max | Min | MaxNm | MinNm | Cmp => [Some(f.n), Some(f.m), None],
                FromInt => [None; 3],
                _ => [Some(f.n), None, None],
            };
            (reads, (!f.has_value()).then_some(f.d))
        }
        _ => ([None; 3], None),
    }
}

impl Lower<'_> {
    /// xmm`x` = V`v`, from the cache when it holds V`v`; else from CpuState, cached when a
    /// register is free or clean.
    pub(super) fn load_v(&mut self, x: u8, v: u8) {
        if let Some(k) = self.vcache.get(v) {
            dynasm!(self.ops ; .arch x64 ; movdqa Rx(x), Rx(k));
            return;
        }
        let o = off::vreg(v);
        dynasm!(self.ops ; .arch x64 ; movdqu Rx(x), [r15 + o]);
        if let Some(k) = self.vcache.take_for_read(v) {
            dynasm!(self.ops ; .arch x64 ; movdqa Rx(k), Rx(x));
        }
    }

    /// The register to read V`v` from for an operation that does not change it: its cache
    /// register, else xmm`scratch` loaded from CpuState (no copy of a cached value). A miss is
    /// not cached: caching could take the register another operand was just given.
    pub(super) fn vsrc(&mut self, v: u8, scratch: u8) -> u8 {
        match self.vcache.get(v) {
            Some(k) => k,
            None => {
                let o = off::vreg(v);
                dynasm!(self.ops ; .arch x64 ; movdqu Rx(scratch), [r15 + o]);
                scratch
            }
        }
    }

    /// The cache register V`v` is now written to, storing the dirty register it replaces.
    pub(super) fn vput(&mut self, v: u8) -> u8 {
        let (k, evicted) = self.vcache.take_for_write(v);
        if let Some((x, w)) = evicted {
            let o = off::vreg(w);
            dynasm!(self.ops ; .arch x64 ; movdqu [r15 + o], Rx(x));
        }
        k
    }

    /// V`v` = xmm0 (in the cache; CpuState gets it when it must).
    pub(super) fn store_v(&mut self, v: u8) {
        let k = self.vput(v);
        dynasm!(self.ops ; .arch x64 ; movdqa Rx(k), xmm0);
    }

    /// Store V`v` to CpuState if the cache has it dirty (before code that reads or writes it
    /// there).
    pub(super) fn flush_v(&mut self, v: u8) {
        if let Some(i) = self.vcache.slot(v).filter(|&i| self.vcache.dirty[i]) {
            let o = off::vreg(v);
            let x = VCache::FIRST + i as u8;
            dynasm!(self.ops ; .arch x64 ; movdqu [r15 + o], Rx(x));
            self.vcache.dirty[i] = false;
        }
    }

    /// Store the dirty registers of `cache` to CpuState, leaving the lowering state alone: on a
    /// path that leaves the block, or a slow path.
    pub(super) fn emit_flush(&mut self, cache: &VCache) {
        // (Most blocks' exits have nothing to store: no walk over the holders for them.)
        if !cache.dirty.contains(&true) {
            return;
        }
        for (x, v) in cache.dirty() {
            let o = off::vreg(v);
            dynasm!(self.ops ; .arch x64 ; movdqu [r15 + o], Rx(x));
        }
    }

    /// On a path that leaves the block: store the dirty registers (the lowering state stays as
    /// it is for the paths that follow).
    pub(super) fn exit_flush(&mut self) {
        let cache = self.vcache;
        self.emit_flush(&cache);
    }

    /// Before a call on the main path (which reads CpuState, may write V registers and
    /// clobbers every xmm register): store the dirty registers and forget the cache.
    pub(super) fn vcache_release(&mut self) {
        self.vcache_write_back();
        self.vcache.clear();
    }

    /// Store the dirty registers to CpuState; they stay cached, clean.
    pub(super) fn vcache_write_back(&mut self) {
        let cache = self.vcache;
        self.emit_flush(&cache);
        self.vcache.set_clean();
    }

    /// Load every register of `cache` again from CpuState: after a slow path's helper call,
    /// which clobbered them (and after which CpuState has every value).
    pub(super) fn reload_vcache(&mut self, cache: &VCache) {
        for (x, v) in cache.held() {
            let o = off::vreg(v);
            dynasm!(self.ops ; .arch x64 ; movdqu Rx(x), [r15 + o]);
        }
    }

    /// At a self-loop's back edge: make the cache what the header expects (`header`, every
    /// register dirty). Registers already in place stay; otherwise the dirty ones go to
    /// CpuState and the header's registers are loaded from there. Leaves the lowering state
    /// alone (the loop's exit paths follow).
    pub(super) fn vcache_to_header(&mut self, header: &VCache) {
        let now = self.vcache;
        let in_place = |x: u8, v: u8| header.get(v) == Some(x);
        for (x, v) in now.dirty() {
            if !in_place(x, v) {
                let o = off::vreg(v);
                dynasm!(self.ops ; .arch x64 ; movdqu [r15 + o], Rx(x));
            }
        }
        for (x, v) in header.held() {
            if now.get(v) != Some(x) {
                let o = off::vreg(v);
                dynasm!(self.ops ; .arch x64 ; movdqu Rx(x), [r15 + o]);
            }
        }
    }
}
