//! IR -> x86-64 with dynasm-rs. One block becomes straight-line host code with the guest state
//! behind r15, values in host registers (see [`regalloc`]), flags recomputed where read (see
//! [`flags`]), and exits that either jump to a patchable chain site, look up the jump cache, or
//! return to the run loop with an [`ExitReason`](crate::cpu::ExitReason) in eax.

// dynasm-rs expands dynamic registers (`Rq(r)` with `r: u8`) through `u8::from`.
#![allow(clippy::useless_conversion)]

mod atomic;
pub mod cond;
pub mod confine;
mod crypto;
pub mod disasm;
pub mod faultmap;
mod flags;
mod fp;
mod homes;
pub mod host;
mod lower;
mod lower_int;
mod lower_mem;
pub mod pins;
mod slow;
mod vcache;
pub use lower_mem::ALIGN_TRAP;
pub mod regalloc;
mod vecint;
mod vecmore;
mod vecsat;
mod vecsatarith;
mod vecshift;
mod vectable;
mod vector;
mod vecvex;
mod vfp;

use crate::cpu::{off, ExitReason, FlagsKind};
use crate::ir::fp::FpOp;
use crate::ir::vecfn::{helper_vec, VecCall};
use crate::ir::{Block, Exit, Op, Sz, Val, VecFn};
use dynasmrt::{dynasm, x64::X64Relocation, DynasmApi, DynasmLabelApi, VecAssembler};
use flags::CondAt;
use lower::End;
use regalloc::{Alloc, Loc};

/// Addresses emitted code needs.
#[derive(Debug, Clone, Copy)]
pub struct Runtime {
    /// Where exits go: restores host registers and returns eax to the run loop. The
    /// chain-miss routine follows it ([`CHAIN_MISS_FROM_EPILOGUE`]), within rel32 reach of the
    /// code (a cache's trampoline is at the start of its memory).
    pub epilogue: u64,
    /// A u64 counter the block keeps, within reach of a rip-relative displacement from its code.
    pub counter: Option<Counter>,
    /// The optional host extensions the code may use.
    pub host: host::HostFeatures,
    /// Record the fault sites ([`Compiled::faults`]); the code is the same either way.
    pub fault_map: bool,
    /// Check FPCR.FZ (`CpuState::fp_slow`) before each inline FP operation, going to the
    /// helper when it is set. Without the checks, the code is right only while the guest's
    /// FPCR.FZ is clear: the code cache's business (see `CodeCache::omit_fz_checks`).
    pub fz_checks: bool,
}

/// What emitted code hands a helper by address.
#[derive(Debug)]
pub enum HelperArg {
    /// A vector operation, for `helper_vec`.
    Vec(VecCall),
    /// A scalar FP operation, for `helper_fp`.
    Fp(FpOp),
}

/// A 64-bit immediate in a block's code that depends on where the code is placed: what
/// [`relocate`] rewrites to move the code to another address or another code cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reloc {
    /// The rel32 at code offset `at` (of a `jmp`) reaches the exit epilogue
    /// ([`Runtime::epilogue`]).
    Epilogue {
        /// Offset of the displacement in the code.
        at: usize,
    },
    /// The rel32 at code offset `at` (of a `call`) reaches the cache's chain-miss routine,
    /// [`CHAIN_MISS_FROM_EPILOGUE`] bytes after the exit epilogue.
    ChainMiss {
        /// Offset of the displacement in the code.
        at: usize,
    },
    /// The rel32 at code offset `at` (of a `jmp`) reaches the cache's promotion routine,
    /// [`PROMOTE_FROM_EPILOGUE`] bytes after the exit epilogue.
    Promote {
        /// Offset of the displacement in the code.
        at: usize,
    },
    /// The imm64 at code offset `at` is the address of a function of a64x's own (a helper): the
    /// same in every cache of a process, moved with a64x's image between processes
    /// ([`rebase_host_fns`]).
    HostFn {
        /// Offset of the immediate in the code.
        at: usize,
    },
    /// The disp32 at code offset `at` is the counter's displacement from code offset `end` (the
    /// end of the instruction that reads it).
    Counter {
        /// Offset of the displacement in the code.
        at: usize,
        /// Where the instruction ends.
        end: usize,
    },
}

/// A block's counter (see [`Runtime::counter`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// Incremented each time the block runs (each iteration, for a self-loop): `--profile`.
    Executions(u64),
    /// Decremented each time the block runs; at zero or below the block exits with
    /// [`ExitReason::Promote`] before doing anything (a quick translation, `cache::tiers`).
    Countdown(u64),
}

impl Counter {
    /// The counter's address.
    pub fn addr(self) -> u64 {
        match self {
            Counter::Executions(a) | Counter::Countdown(a) => a,
        }
    }

    /// The same kind of counter at `addr`.
    pub fn at(self, addr: u64) -> Counter {
        match self {
            Counter::Executions(_) => Counter::Executions(addr),
            Counter::Countdown(_) => Counter::Countdown(addr),
        }
    }
}

/// Rewrite `code`'s position-dependent immediates for placement at `base` with exits to
/// `epilogue` and its counter at `counter` (which it must be given if it has one). Everything
/// else in a block is position-independent (rel32 jumps stay inside it; helpers and the
/// operations handed to them are absolute addresses in this process).
pub fn relocate(code: &mut [u8], relocs: &[Reloc], base: u64, epilogue: u64, counter: Option<u64>) {
    for r in relocs {
        match *r {
            Reloc::Epilogue { at } | Reloc::ChainMiss { at } | Reloc::Promote { at } => {
                let target = epilogue + r.past_epilogue().expect("a jump into the trampoline");
                let disp = rip_disp(target, base + at as u64 + 4);
                code[at..at + 4].copy_from_slice(&disp.to_le_bytes());
            }
            Reloc::Counter { at, end } => {
                let c = counter.expect("a block with a counter is placed with one");
                let disp = rip_disp(c, base + end as u64);
                code[at..at + 4].copy_from_slice(&disp.to_le_bytes());
            }
            Reloc::HostFn { .. } => {}
        }
    }
}

/// An address in a64x's image that the helpers' addresses are measured from: between two
/// processes (address-space layout randomisation) the image moves as a whole.
pub fn host_anchor() -> u64 {
    helper_vec as *const () as usize as u64
}

/// Add `delta` to `code`'s helper addresses ([`Reloc::HostFn`]): with `-host_anchor()` they
/// become offsets in a64x's image, with `host_anchor()` addresses again, in another process.
pub fn rebase_host_fns(code: &mut [u8], relocs: &[Reloc], delta: u64) {
    for r in relocs {
        if let Reloc::HostFn { at } = *r {
            let v = u64::from_le_bytes(code[at..at + 8].try_into().expect("8 bytes"));
            code[at..at + 8].copy_from_slice(&v.wrapping_add(delta).to_le_bytes());
        }
    }
}

impl Reloc {
    /// The same relocation for code moved `by` bytes later.
    fn moved(self, by: usize) -> Reloc {
        match self {
            Reloc::Epilogue { at } => Reloc::Epilogue { at: at + by },
            Reloc::ChainMiss { at } => Reloc::ChainMiss { at: at + by },
            Reloc::Promote { at } => Reloc::Promote { at: at + by },
            Reloc::Counter { at, end } => Reloc::Counter {
                at: at + by,
                end: end + by,
            },
            Reloc::HostFn { at } => Reloc::HostFn { at: at + by },
        }
    }

    /// For a jump or call into the trampoline, where its target is from the exit epilogue.
    fn past_epilogue(self) -> Option<u64> {
        match self {
            Reloc::Epilogue { .. } => Some(0),
            Reloc::ChainMiss { .. } => Some(CHAIN_MISS_FROM_EPILOGUE),
            Reloc::Promote { .. } => Some(PROMOTE_FROM_EPILOGUE),
            Reloc::HostFn { .. } | Reloc::Counter { .. } => None,
        }
    }
}

/// The rip-relative displacement of `target` from an instruction ending at `end`.
fn rip_disp(target: u64, end: u64) -> i32 {
    i32::try_from(target as i64 - end as i64).expect("within rip-relative reach of the code")
}

/// Host code of one block. Not `Clone`: a copy of its code would point at the original's
/// `calls`.
#[derive(Debug)]
pub struct Compiled {
    /// Machine code, to be placed at the base address given to [`compile`].
    pub code: Vec<u8>,
    /// Its position-dependent immediates (see [`relocate`]).
    pub relocs: Vec<Reloc>,
    /// Where its guest memory accesses are, and how to rebuild the guest state at a fault there
    /// (with [`Runtime::fault_map`]; empty without).
    pub faults: Vec<faultmap::FaultSite>,
    /// The operations its code hands to helpers by address: whoever places the code keeps them
    /// as long as the code can run.
    #[allow(clippy::vec_box)] // the boxes' addresses are in the code
    pub calls: Vec<Box<HelperArg>>,
    /// The positions (in the block's ops) of the operations whose main path calls a helper (a
    /// call only on a slow path, for NaN lanes or FPCR.FZ say, is not counted): what the
    /// inline-lowering test (`tests/inline.rs`) reads.
    pub main_path_calls: Vec<u32>,
}

/// A self-loop's header: the label after the guest-register loads, which host register holds
/// each guest register read there, and the V register cache there.
#[derive(Clone)]
struct LoopHeader {
    label: dynasmrt::DynamicLabel,
    /// (guest register, host register) of the registers the loop reads.
    regs: Vec<(u8, u8)>,
    /// (carrier, the value it gets at the back edge) of the registers it only writes.
    carried: Vec<(u8, Val)>,
    vcache: vcache::VCache,
}

/// A guest register a self-loop writes, whose write to CpuState waits for a way out of the
/// loop: the back edge keeps it in a host register (where its value at the start of every
/// iteration is), and the loop's fault sites say so.
#[derive(Clone, Copy)]
struct Deferred {
    reg: u8,
    start: AtStart,
    /// The value its `SetReg(reg, _)` writes at the iteration's end.
    written: Val,
}

/// Where a deferred register's value at the start of an iteration is.
#[derive(Clone, Copy)]
enum AtStart {
    /// In the loop's `GetReg(reg)` (a register the loop reads and writes).
    Read(Val),
    /// In this reserved host register, which the header loads from CpuState and the back edge
    /// sets (a register the loop writes without reading it: no op of the block has its value
    /// at an iteration's start).
    Carrier(u8),
}

/// A self-loop's flags (of a subtraction, addition or logical op), kept out of CpuState on the
/// back edge: at the start of every iteration CpuState has their kind (the one from before the
/// loop in the first iteration, the loop's own after it: the back edge stores it) and the
/// reserved host registers `a` and `b` their operands (loaded from CpuState by the header, set by
/// the back edge). Exits store all three.
#[derive(Clone, Copy)]
struct CarriedFlags {
    /// The loop's flags value (its `SetFlags`).
    flags: Val,
    a: u8,
    /// None for a logical op's flags (one operand).
    b: Option<u8>,
}

/// See [`Lower::pending_index`]: the shift's value, its operand, the shift and where it was.
#[derive(Debug, Clone, Copy)]
struct PendingIndex {
    v: Val,
    x: Val,
    shift: u8,
    pos: u32,
}

/// State of lowering one block.
pub struct Lower<'a> {
    block: &'a Block,
    ops: &'a mut VecAssembler<X64Relocation>,
    alloc: Alloc<'a>,
    /// The flags op whose result EFLAGS currently hold, if any.
    eflags: Option<Op>,
    /// A shift left by 1 to 3 not emitted because the next op, an addition, is its one use
    /// and takes it as a scaled index (`Lower::scaled_index`).
    pending_index: Option<PendingIndex>,
    rt: Runtime,
    relocs: Vec<Reloc>,
    /// Host address the code will be placed at.
    base: u64,
    /// For a block that branches to itself: what its back edge re-establishes.
    header: Option<LoopHeader>,
    /// The guest registers a self-loop writes back on its exits only.
    deferred: Vec<Deferred>,
    /// A self-loop's flags, if they are written back on its exits only.
    carried_flags: Option<CarriedFlags>,
    /// Guest V registers cached in xmm registers.
    vcache: vcache::VCache,
    /// The guest instruction whose memory ops are being lowered (precise fault contexts).
    insn: Option<faultmap::CurrentInsn>,
    /// Fault sites recorded so far.
    faults: Vec<faultmap::FaultSite>,
    /// The operations handed to helpers so far (see [`Compiled::calls`]). Boxed: their
    /// addresses go into the code while this vector still grows.
    #[allow(clippy::vec_box)]
    calls: Vec<Box<HelperArg>>,
    /// See [`Compiled::main_path_calls`].
    main_path_calls: Vec<u32>,
    /// The slow paths to emit after the exit.
    slow_paths: Vec<slow::SlowPath>,
    /// The code of side exits taken, put after everything else (see [`Cold`]).
    cold: Cold<'a>,
}

/// Side exits out of line. A side exit is taken rarely (an error check, a loop's early way
/// out), so the main path should run straight past it: a `jcc` it does not take, where a jump
/// over the exit's write-backs and chain stub was a taken branch on the main path for every
/// side exit and spread the block's hot code out. Each side exit's code is emitted where the
/// side exit is lowered (the locations of its values are those of that point), into a second
/// assembler; the main path's `jcc` reaches it once both are joined, after the block's code.
struct Cold<'a> {
    /// The code, its offsets from its own start.
    ops: &'a mut VecAssembler<X64Relocation>,
    /// Its relocations, at offsets in `ops`.
    relocs: Vec<Reloc>,
    /// Each jump to it: the offset of the `jcc`'s rel32 in the main code, and the offset it
    /// goes to in `ops`.
    jumps: Vec<(usize, usize)>,
}

impl Cold<'_> {
    /// Put the cold code after the block's `code` (whose relocations are `relocs`; placed at
    /// `base`, with the exit epilogue at `epilogue`): its relocations join `relocs`, moved and
    /// their displacements made again, and the main path's jumps get theirs.
    fn join(&mut self, code: &mut Vec<u8>, relocs: &mut Vec<Reloc>, base: u64, epilogue: u64) {
        if self.jumps.is_empty() {
            // No side exit: nothing was emitted there (most blocks; draining the assembler
            // anyway cost a quick translation 2%).
            debug_assert_eq!(self.ops.offset().0, 0);
            return;
        }
        let start = code.len();
        code.extend(self.ops.drain().expect("the cold code has no labels"));
        for (at, to) in self.jumps.drain(..) {
            let disp = i32::try_from((start + to) as i64 - (at + 4) as i64).expect("a block is small");
            code[at..at + 4].copy_from_slice(&disp.to_le_bytes());
        }
        let first = relocs.len();
        relocs.extend(self.relocs.drain(..).map(|r| r.moved(start)));
        relocate(code, &relocs[first..], base, epilogue, None);
    }
}

/// The chain exits of compiled `code` with `relocs`: each one's site (the offset of its patchable
/// `jmp`) and the guest pc it goes to (the stub's `mov rax, imm64`, see `Lower::chain_jump`).
pub fn chain_exits<'a>(code: &'a [u8], relocs: &'a [Reloc]) -> impl Iterator<Item = (usize, u64)> + 'a {
    relocs.iter().filter_map(move |r| match *r {
        // The call's displacement: `jmp rel32` (5), `mov rax, imm64` (10), `call` opcode (1).
        Reloc::ChainMiss { at } => {
            let site = at.checked_sub(16)?;
            let target = code.get(at - 9..at - 1)?;
            Some((site, u64::from_le_bytes(target.try_into().ok()?)))
        }
        _ => None,
    })
}

/// Compile `block` for placement at host address `base`.
pub fn compile(block: &Block, base: u64, rt: Runtime) -> Compiled {
    // The thread's assembler and allocator vectors, borrowed where they lie: taking them out
    // and putting them back moved their 200 and 168 bytes several times a block. A block
    // compiled on the thread while this one is (by a fault handler) gets its own.
    let compiled = LENT.try_with(|cell| {
        let mut lent = cell.try_borrow_mut().ok()?;
        let Lent { ops, cold, spare } = &mut *lent;
        Some(compile_with(block, base, rt, ops, cold, spare))
    });
    match compiled {
        Ok(Some(c)) => c,
        _ => compile_with(
            block,
            base,
            rt,
            &mut VecAssembler::new(0),
            &mut VecAssembler::new(0),
            &mut regalloc::Spare::default(),
        ),
    }
}

/// What each block's compilation borrows from its thread (see [`compile`]).
struct Lent {
    /// Drained after each block: its buffer, label and relocation tables keep their capacity
    /// (making and dropping them was a twentieth of a quick translation).
    ops: VecAssembler<X64Relocation>,
    /// The same for the side exits' code (see [`Cold`]).
    cold: VecAssembler<X64Relocation>,
    spare: regalloc::Spare,
}

/// [`compile`] with `ops`, an assembler with no code in it, and the register allocator's
/// vectors in `spare`.
fn compile_with(
    block: &Block,
    base: u64,
    rt: Runtime,
    ops: &mut VecAssembler<X64Relocation>,
    cold: &mut VecAssembler<X64Relocation>,
    spare: &mut regalloc::Spare,
) -> Compiled {
    reserve_for(block, ops);
    let self_loop = match block.exit {
        Exit::Jump(t) => t == block.guest_pc,
        Exit::Branch { taken, not_taken, .. } => (taken == block.guest_pc) != (not_taken == block.guest_pc),
        _ => false,
    } && !block.ops.iter().any(|o| matches!(o, Op::PairHelper { .. }));
    let mut l = Lower {
        block,
        ops,
        alloc: Alloc::new(block, self_loop, spare),
        eflags: None,
        pending_index: None,
        rt,
        // (About four relocations for a conditional branch's exits.)
        relocs: SPARE_RELOCS
            .with(|p| p.borrow_mut().pop())
            .unwrap_or_else(|| Vec::with_capacity(8)),
        base,
        header: None,
        deferred: Vec::new(),
        carried_flags: None,
        vcache: vcache::VCache::default(),
        insn: None,
        faults: Vec::new(),
        calls: Vec::new(),
        main_path_calls: Vec::new(),
        slow_paths: Vec::new(),
        cold: Cold {
            ops: cold,
            relocs: Vec::new(),
            jumps: Vec::new(),
        },
    };
    if self_loop {
        l.loop_header();
    }
    let promote = rt.counter.and_then(|c| l.counter(c));
    let at_counter = l.vcache;
    // (At a self-loop's counter, the deferred registers are in their header registers or
    // carriers, the carried flags' operands in theirs.)
    let deferred_at_counter: Vec<(u8, u8)> = match &l.header {
        Some(h) => h
            .regs
            .iter()
            .copied()
            .filter(|&(n, _)| l.deferred.iter().any(|d| d.reg == n))
            .chain(l.deferred.iter().filter_map(|d| match d.start {
                AtStart::Carrier(r) => Some((d.reg, r)),
                AtStart::Read(_) => None,
            }))
            .collect(),
        None => Vec::new(),
    };
    let flags_at_counter = l.carried_flags;
    for i in 0..block.ops.len() {
        match block.ops[i] {
            // Nothing to lower, and nothing for `lower_op`'s bookkeeping to do: dead ops, which
            // the passes leave as `Nop`, constants (lowered where they are used), instruction
            // starts (what the fault map notes). A third of a quick block's ops.
            Op::Nop | Op::Const(_) => continue,
            // Flags are computed where they are read, and their operands, used there, are not
            // freed here.
            Op::FlagsSub(..) | Op::FlagsAdd(..) | Op::FlagsLogic(..) | Op::FlagsAdc(..) | Op::FlagsSbc(..) => continue,
            Op::FlagsPacked(_) => continue,
            Op::InsnStart(pc) => {
                l.insn_begin(i, pc);
                continue;
            }
            Op::GetReg(_) if l.header.is_some() => continue,
            Op::Snapshots(_) => l.insn = None,
            _ => {}
        }
        let site = if l.rt.fault_map && block.ops[i].accesses_memory() {
            l.site_before()
        } else {
            None
        };
        l.lower_op(i as u32);
        if let Some(before) = site {
            l.site_after(before);
        }
        l.alloc.unlock_all();
    }
    l.lower_exit(block.ops.len() as u32);
    l.emit_slow_paths();
    if let Some(label) = promote {
        dynasm!(l.ops ; .arch x64 ; =>label);
        l.emit_flush(&at_counter);
        for (n, r) in deferred_at_counter {
            l.store_guest_reg(n, r);
        }
        if let Some(c) = flags_at_counter {
            dynasm!(l.ops ; .arch x64 ; mov [r15 + off::NZCV_A], Rq(c.a));
            if let Some(b) = c.b {
                dynasm!(l.ops ; .arch x64 ; mov [r15 + off::NZCV_B], Rq(b));
            }
        }
        l.promote_exit(block.guest_pc);
    }
    let mut code = SPARE_CODE.with(|p| p.borrow_mut().pop()).unwrap_or_default();
    code.extend(l.ops.drain().expect("block labels resolve"));
    l.cold.join(&mut code, &mut l.relocs, base, rt.epilogue);
    Compiled {
        code,
        relocs: l.relocs,
        faults: l.faults,
        calls: l.calls,
        main_path_calls: l.main_path_calls,
    }
}

thread_local! {
    /// What this thread's compilations borrow.
    static LENT: std::cell::RefCell<Lent> = std::cell::RefCell::new(Lent {
        ops: VecAssembler::new(0),
        cold: VecAssembler::new(0),
        spare: regalloc::Spare::default(),
    });
    /// Code vectors given back by [`recycle`].
    static SPARE_CODE: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Relocation vectors given back by [`recycle`] (an allocation and a free a block).
    static SPARE_RELOCS: std::cell::RefCell<Vec<Vec<Reloc>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Give back the code and relocations of a [`Compiled`] that has been placed, for the thread's
/// next blocks.
pub fn recycle(code: Vec<u8>, relocs: Vec<Reloc>) {
    give_back(&SPARE_CODE, code);
    give_back(&SPARE_RELOCS, relocs);
}

/// Keep `v`, emptied, in the thread's `pool`, unless the pool is full or `v` is large.
fn give_back<T>(pool: &'static std::thread::LocalKey<std::cell::RefCell<Vec<Vec<T>>>>, mut v: Vec<T>) {
    /// A few are enough (one block is compiled at a time, or two with a fault handler's); a
    /// large one is not kept.
    const KEEP: usize = 4;
    const KEEP_BYTES: usize = 1 << 16;
    if v.capacity() * std::mem::size_of::<T>() <= KEEP_BYTES {
        v.clear();
        // A thread being torn down has no pool any more: the vector is simply freed.
        let _ = pool.try_with(|p| {
            let mut p = p.borrow_mut();
            if p.len() < KEEP {
                p.push(v);
            }
        });
    }
}

/// Make room in `ops` for the block's code: growing it from nothing cost several reallocations
/// per block (translation speed, DESIGN "Performance"). Its base address is 0: the code refers
/// to its labels by relative jumps only, and to addresses outside the block through
/// `Lower::base` and its relocations.
fn reserve_for(block: &Block, ops: &mut VecAssembler<X64Relocation>) {
    /// Host bytes per IR op, generous for integer code (loads, stores and ALU ops of 3-8 bytes
    /// with a register move now and then), plus the exits (a chain exit's stub is 20 bytes, a
    /// write-back and an exit to the run loop more): growing the buffer, which copies it, cost
    /// more than the memory.
    const BYTES_PER_OP: usize = 12;
    const EXIT_BYTES: usize = 192;
    let bytes = block.ops.len() * BYTES_PER_OP + EXIT_BYTES;
    ops.reserve_ops(bytes);
}

impl Lower<'_> {
    /// The block's counter, first thing in its code (EFLAGS hold nothing yet, nor at the loop
    /// header, which the back edge reaches with flags dead); the label of the promotion exit a
    /// countdown needs.
    fn counter(&mut self, c: Counter) -> Option<dynasmrt::DynamicLabel> {
        let at = self.ops.offset().0 + 3;
        let end = at + 4 + usize::from(matches!(c, Counter::Countdown(_)));
        let disp = rip_disp(c.addr(), self.base + end as u64).to_le_bytes();
        self.relocs.push(Reloc::Counter { at, end });
        match c {
            // inc qword [rip + disp32]: no register.
            Counter::Executions(_) => {
                self.ops.extend([0x48, 0xff, 0x05]);
                self.ops.extend(disp);
                None
            }
            // sub qword [rip + disp32], 1 ; jle promote
            Counter::Countdown(_) => {
                self.ops.extend([0x48, 0x83, 0x2d]);
                self.ops.extend(disp);
                self.ops.push(1);
                let l = self.ops.new_dynamic_label();
                dynasm!(self.ops ; .arch x64 ; jle =>l);
                Some(l)
            }
        }
    }

    /// Keep `arg` for the block's lifetime; the address of what it holds.
    fn keep(&mut self, arg: HelperArg) -> i64 {
        let b = Box::new(arg);
        let addr = match &*b {
            HelperArg::Vec(c) => c as *const VecCall as i64,
            HelperArg::Fp(f) => f as *const FpOp as i64,
        };
        self.calls.push(b);
        addr
    }

    /// Call `helper_vec` for V`d` = `f`(V`n`, V`m`): the operation is kept in a box whose
    /// address the code passes (caller-saved registers are the caller's business).
    fn call_helper_vec(&mut self, f: VecFn, d: u8, n: u8, m: u8) {
        let arg = self.keep(HelperArg::Vec(VecCall { f, d, n, m }));
        let func = helper_vec as *const () as usize as i64;
        dynasm!(self.ops ; .arch x64
            ; mov rdi, r15
            ; mov rsi, QWORD arg
        );
        self.call_host(func as u64);
    }

    /// `call` the function of a64x's at `f` (through rax), recording its address as a
    /// [`Reloc::HostFn`], with the pinned guest registers in CpuState around it (it may read or
    /// write them, or fail and leave for the run loop).
    fn call_host(&mut self, f: u64) {
        pins::store_all(self.ops);
        self.call_asm(f);
        pins::load_all(self.ops);
    }

    /// `call` the assembly routine of a64x's at `f` (through rax), which keeps every register
    /// but rax, rcx and rdx and reads no guest register, recording its address as a
    /// [`Reloc::HostFn`].
    fn call_asm(&mut self, f: u64) {
        dynasm!(self.ops ; .arch x64 ; mov rax, QWORD f as i64);
        let at = self.ops.offset().0 - 8;
        self.relocs.push(Reloc::HostFn { at });
        dynasm!(self.ops ; .arch x64 ; call rax);
    }

    /// A constant operand that fits an x86 imm32 (sign-extended).
    fn imm32(&self, v: Val) -> Option<i32> {
        let c = self.alloc.konst(v)?;
        let s = c as i64;
        (s >= i32::MIN as i64 && s <= i32::MAX as i64).then_some(s as i32)
    }

    /// A constant operand of an op of size `sz` as an x86 imm32: any constant for a 32-bit op,
    /// which reads only the low word (`and w0, w0, #0xffff8fff`: `and eax, 0xffff8fff`, where
    /// the constant took a register as a 64-bit value beyond imm32's reach), else [`Lower::imm32`].
    fn imm_sized(&self, sz: Sz, v: Val) -> Option<i32> {
        match sz {
            Sz::S32 => self.alloc.konst(v).map(|c| c as u32 as i32),
            Sz::S64 => self.imm32(v),
        }
    }

    fn cmp_ri(&mut self, s: Sz, r: u8, i: i32) {
        match s {
            Sz::S32 => dynasm!(self.ops ; .arch x64 ; cmp Rd(r), i),
            Sz::S64 => dynasm!(self.ops ; .arch x64 ; cmp Rq(r), i),
        }
    }

    fn cmp_rr(&mut self, s: Sz, a: u8, b: u8) {
        match s {
            Sz::S32 => dynasm!(self.ops ; .arch x64 ; cmp Rd(a), Rd(b)),
            Sz::S64 => dynasm!(self.ops ; .arch x64 ; cmp Rq(a), Rq(b)),
        }
    }

    /// Store value `v` to `[r15 + disp]` as 64 bits from wherever it is, leaving the allocator
    /// alone (on a path that leaves the block: the paths after it find the same state).
    fn store_loc(&mut self, v: Val, disp: i32) {
        match self.alloc.location(v) {
            regalloc::Loc::Reg(r) => dynasm!(self.ops ; .arch x64 ; mov [r15 + disp], Rq(r)),
            regalloc::Loc::Const(c) if i32::try_from(c as i64).is_ok() => {
                dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + disp], c as i64 as i32)
            }
            regalloc::Loc::Const(c) => {
                dynasm!(self.ops ; .arch x64 ; mov rax, QWORD c as i64 ; mov [r15 + disp], rax)
            }
            regalloc::Loc::Stack(d) => {
                dynasm!(self.ops ; .arch x64 ; mov rax, [rsp + d] ; mov [r15 + disp], rax)
            }
            // (Already there when `disp` is that home.)
            regalloc::Loc::Home(n) if off::xreg(n) == disp => {}
            regalloc::Loc::Home(n) => {
                dynasm!(self.ops ; .arch x64 ; mov rax, [r15 + off::xreg(n)] ; mov [r15 + disp], rax)
            }
        }
    }

    /// Guest register `n` (31: SP) into host register `d`: from its pinned host register or
    /// from CpuState.
    fn load_guest(&mut self, d: u8, n: u8) {
        match pins::host_of(n) {
            Some(h) => dynasm!(self.ops ; .arch x64 ; mov Rq(d), Rq(h)),
            None => dynasm!(self.ops ; .arch x64 ; mov Rq(d), [r15 + off::xreg(n)]),
        }
    }

    /// Host register `r` into guest register `n`'s home.
    fn store_guest_reg(&mut self, n: u8, r: u8) {
        match pins::host_of(n) {
            Some(h) => dynasm!(self.ops ; .arch x64 ; mov Rq(h), Rq(r)),
            None => dynasm!(self.ops ; .arch x64 ; mov [r15 + off::xreg(n)], Rq(r)),
        }
    }

    /// Value `v` into guest register `n`'s home from wherever it is, leaving the allocator
    /// alone (as [`Lower::store_loc`]).
    fn store_guest_loc(&mut self, v: Val, n: u8) {
        match pins::host_of(n) {
            Some(h) => move_loc(self.ops, h, self.alloc.location(v)),
            None => self.store_loc(v, off::xreg(n)),
        }
    }

    /// Value `v` into guest register `n`'s home (as [`Lower::store_val`]).
    fn store_guest_val(&mut self, v: Val, n: u8, pos: u32) {
        if self.alloc.home_now(v) == Some(n) {
            // Spilled to this home: stored there already.
            return;
        }
        let Some(h) = pins::host_of(n) else {
            return self.store_val(v, off::xreg(n), pos);
        };
        match self.alloc.konst(v) {
            Some(c) => regalloc::load_imm(self.ops, h, c),
            None => {
                let r = self.alloc.get(self.ops, v, pos);
                dynasm!(self.ops ; .arch x64 ; mov Rq(h), Rq(r));
            }
        }
    }

    /// Store value `v` (register or immediate) to `[r15 + disp]` as 64 bits.
    fn store_val(&mut self, v: Val, disp: i32, pos: u32) {
        match self.imm32(v) {
            Some(i) => dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + disp], i),
            None => {
                let r = self.alloc.get(self.ops, v, pos);
                dynasm!(self.ops ; .arch x64 ; mov [r15 + disp], Rq(r));
            }
        }
    }

    /// Leave to the run loop with `reason` in eax: a `jmp rel32` to the epilogue, which is within
    /// reach of the cache's code (10 bytes where an absolute jump through rcx took 17).
    fn exit_to_loop(&mut self, reason: ExitReason) {
        dynasm!(self.ops ; .arch x64 ; mov eax, reason as i32);
        self.branch_to_trampoline(JMP_REL32, |at| Reloc::Epilogue { at });
    }

    /// A `jmp` or `call` (`opcode`) rel32 into the trampoline, to where the relocation `make`
    /// gives for the displacement's offset says ([`Reloc::past_epilogue`]), and that relocation.
    fn branch_to_trampoline(&mut self, opcode: u8, make: fn(usize) -> Reloc) {
        self.ops.push(opcode);
        let at = self.ops.offset().0;
        let reloc = make(at);
        let target = self.rt.epilogue + reloc.past_epilogue().expect("a jump into the trampoline");
        let disp = rip_disp(target, self.base + at as u64 + 4);
        self.ops.extend(disp.to_le_bytes());
        self.relocs.push(reloc);
    }

    /// Leave to the run loop to promote the block at `pc`: the pc in rax and a jump to the
    /// cache's promotion routine, which stores it and leaves with [`ExitReason::Promote`] (15
    /// bytes in every quick translation, where storing the pc here and leaving took 27).
    fn promote_exit(&mut self, pc: u64) {
        dynasm!(self.ops ; .arch x64 ; mov rax, QWORD pc as i64);
        self.branch_to_trampoline(JMP_REL32, |at| Reloc::Promote { at });
    }

    fn set_pc(&mut self, pc: u64) {
        dynasm!(self.ops ; .arch x64 ; mov rax, QWORD pc as i64 ; mov [r15 + off::PC], rax);
    }

    /// A patchable direct exit to `target`.
    fn chain_exit(&mut self, target: u64) {
        self.exit_flush();
        for d in self.deferred.clone() {
            self.store_guest_loc(d.written, d.reg);
        }
        if let Some(c) = self.carried_flags {
            self.store_flags_loc(c.flags);
        }
        self.chain_jump(target);
    }

    /// In a self-loop, at a point where the registers (and [`SNAPSHOT_FLAGS`] for the flags)
    /// for which `written` holds have this iteration's values: the deferred registers that do
    /// not, with where their values at the iteration's start are, and the carried flags if they
    /// do not (CpuState has their kind; their operands are in their carriers). A side exit
    /// writes these back, a fault site lists them.
    ///
    /// [`SNAPSHOT_FLAGS`]: crate::ir::SNAPSHOT_FLAGS
    fn loop_state_unwritten(&self, written: impl Fn(u8) -> bool) -> (Vec<(u8, AtStart)>, Option<CarriedFlags>) {
        let mut unwritten: Vec<(u8, AtStart)> = Vec::new();
        for d in &self.deferred {
            if !written(d.reg) && !unwritten.iter().any(|&(n, _)| n == d.reg) {
                unwritten.push((d.reg, d.start));
            }
        }
        let flags = self.carried_flags.filter(|_| !written(crate::ir::SNAPSHOT_FLAGS));
        (unwritten, flags)
    }

    /// The patchable jump of a chain exit to `target` (CpuState has everything by now).
    fn chain_jump(&mut self, target: u64) {
        // A pending host signal sends even chained code back to the run loop. Every cycle of
        // blocks has an edge to a lower or equal address, so checking those edges is enough.
        if target <= self.block.guest_pc {
            // `jne` over the 5-byte jump below to the stub, encoded directly: a dynasm label
            // costs a hash-map entry, and this is in every block's exits.
            dynasm!(self.ops ; .arch x64 ; cmp QWORD [r15 + off::PENDING], 0);
            self.ops.extend([0x75u8, 5]);
        }
        let site = self.ops.offset().0;
        // jmp rel32 with displacement 0: falls through to the stub until patched. The stub is
        // the target in rax and a call of the cache's chain-miss routine, which finds the site
        // from the call's return address (20 bytes where the target's store, the site's and
        // the jump to the epilogue took 52).
        self.ops.extend([JMP_REL32, 0, 0, 0, 0]);
        self.ops.extend([0x48u8, 0xb8]);
        self.ops.extend(target.to_le_bytes());
        self.branch_to_trampoline(CALL_REL32, |at| Reloc::ChainMiss { at });
        debug_assert_eq!(self.ops.offset().0, site + CHAIN_STUB_BYTES);
    }

    /// Self-loops keep guest registers in host registers across iterations: every guest register
    /// the block reads is loaded up front, before a header label that the back edge jumps to
    /// after moving the new values into the same host registers. This takes the store-to-load
    /// round trip through CpuState off the loop-carried dependency chains. Registers it only
    /// writes, and its flags, get carriers (reserved host registers) where there are
    /// callee-saved registers to spare, so that the back edge stores none of them.
    fn loop_header(&mut self) {
        let reads = |(i, op): (usize, &Op)| matches!(op, Op::GetReg(_)) && self.alloc.used(Val(i as u32));
        let read_count = self.block.ops.iter().enumerate().filter(|&x| reads(x)).count();
        let budget = regalloc::ALLOCATABLE.len() - 2;
        if read_count > budget {
            // Too many to keep in registers: leave it a plain block.
            return;
        }
        // Carriers first: they must be callee-saved (they hold no value the allocator could spill
        // around a helper call). Reserved for the whole block, they leave the registers any one
        // op may need (a HotSpot loop with six carried registers and a select ran out of them).
        let mut spare = (budget - read_count).min(regalloc::ALLOCATABLE.len() - regalloc::OP_REGISTERS);
        let mut carried = Vec::new();
        for (n, written) in self.written_only() {
            if spare == 0 {
                break;
            }
            let Some(r) = self.alloc.reserve() else { break };
            self.load_guest(r, n);
            carried.push((n, r, written));
            spare -= 1;
        }
        self.carried_flags = self.carry_flags(spare);
        let mut regs = Vec::new();
        for (i, op) in self.block.ops.iter().enumerate() {
            if let Op::GetReg(n) = *op {
                let v = Val(i as u32);
                if !self.alloc.used(v) {
                    continue;
                }
                let d = self.alloc.def(self.ops, v, 0, None);
                self.load_guest(d, n);
                regs.push((n, d));
                // (Loaded one at a time, each an op's worth of registers: the reads and the
                // carriers together take at most `budget`, so no load evicts an earlier one.)
                self.alloc.unlock_all();
            }
        }
        // The V registers it reads or writes, into the cache, where the back edge keeps them (so
        // they count as dirty from the header on: the loop writes them in registers only).
        for v in vcache::loop_registers(&self.block.ops) {
            self.load_v(0, v);
        }
        self.vcache.all_dirty();
        // The registers it reads and writes stay in their header registers across the back edge.
        for op in &self.block.ops {
            if let Op::SetReg(n, written) = *op {
                if regs.iter().any(|&(r, _)| r == n) {
                    let start = AtStart::Read(self.read_at_header(n));
                    self.deferred.push(Deferred { reg: n, start, written });
                }
            }
        }
        for &(n, r, written) in &carried {
            let start = AtStart::Carrier(r);
            self.deferred.push(Deferred { reg: n, start, written });
        }
        let label = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch x64 ; =>label);
        self.header = Some(LoopHeader {
            label,
            regs,
            carried: carried.iter().map(|&(_, r, w)| (r, w)).collect(),
            vcache: self.vcache,
        });
    }

    /// The guest registers the block writes without reading them, each with the last value it
    /// writes.
    fn written_only(&self) -> Vec<(u8, Val)> {
        let mut last: Vec<(u8, Val)> = Vec::new();
        for op in &self.block.ops {
            if let Op::SetReg(n, v) = *op {
                match last.iter_mut().find(|(r, _)| *r == n) {
                    Some(e) => e.1 = v,
                    None => last.push((n, v)),
                }
            }
        }
        let read = |n: u8| {
            let ops = self.block.ops.iter().enumerate();
            ops.filter(|&(i, o)| *o == Op::GetReg(n) && self.alloc.used(Val(i as u32)))
                .count()
                > 0
        };
        last.retain(|&(n, _)| !read(n));
        last
    }

    /// Carriers for the flags when the block sets them once, from a subtraction, addition or
    /// logical op, and nothing in it reads the flags CpuState has (which are the first
    /// iteration's only), and `spare` allows.
    fn carry_flags(&mut self, spare: usize) -> Option<CarriedFlags> {
        let mut sets = self.block.ops.iter().filter_map(|o| match *o {
            Op::SetFlags(f) => Some(f),
            _ => None,
        });
        let (flags, None) = (sets.next()?, sets.next()) else {
            return None;
        };
        if self.block.ops.iter().any(|o| matches!(o, Op::GetFlags)) {
            return None;
        }
        let (kind, _, b) = flags::lazy_form(self.block, flags)?;
        if kind == FlagsKind::Packed {
            return None;
        }
        let needed = 1 + b.is_some() as usize;
        if spare < needed || self.alloc.reservable() < needed {
            return None;
        }
        let a = self.alloc.reserve()?;
        let b = match b {
            Some(_) => Some(self.alloc.reserve()?),
            None => None,
        };
        dynasm!(self.ops ; .arch x64 ; mov Rq(a), [r15 + off::NZCV_A]);
        if let Some(b) = b {
            dynasm!(self.ops ; .arch x64 ; mov Rq(b), [r15 + off::NZCV_B]);
        }
        Some(CarriedFlags { flags, a, b })
    }

    /// The back edge of a self-loop: re-establish the header's registers and jump there (unless a
    /// host signal is pending, in which case leave through an ordinary chain exit).
    fn loop_back(&mut self) {
        let Some(LoopHeader {
            label,
            regs,
            carried,
            vcache,
        }) = self.header.clone()
        else {
            return self.chain_exit(self.block.guest_pc);
        };
        let slow = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch x64 ; cmp QWORD [r15 + off::PENDING], 0 ; jne =>slow);
        // The value each read register has at the end of the iteration.
        let mut last = [None; 32];
        for op in &self.block.ops {
            if let Op::SetReg(n, v) = *op {
                last[n as usize] = Some(v);
            }
        }
        let mut moves: Vec<(u8, Loc)> = regs
            .iter()
            .map(|&(n, d)| {
                let v = last[n as usize].unwrap_or_else(|| self.read_at_header(n));
                (d, self.alloc.location(v))
            })
            .collect();
        moves.extend(carried.iter().map(|&(r, v)| (r, self.alloc.location(v))));
        if let Some(c) = self.carried_flags {
            let (kind, a, b) = flags::lazy_form(self.block, c.flags).expect("carried flags are held lazily");
            moves.push((c.a, self.alloc.location(a)));
            if let (Some(rb), Some(b)) = (c.b, b) {
                moves.push((rb, self.alloc.location(b)));
            }
            // From the second iteration on, CpuState's kind is the loop's.
            dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + off::NZCV_KIND], kind as i32);
        }
        parallel_move(self.ops, moves);
        self.vcache_to_header(&vcache);
        dynasm!(self.ops ; .arch x64 ; jmp =>label ; =>slow);
        self.chain_exit(self.block.guest_pc);
    }

    /// The value of the block's `GetReg(n)`.
    fn read_at_header(&self, n: u8) -> Val {
        let i = self
            .block
            .ops
            .iter()
            .position(|o| *o == Op::GetReg(n))
            .expect("header register was read");
        Val(i as u32)
    }

    /// An exit to `target`: the loop's back edge or a chain exit.
    fn exit_to(&mut self, target: u64) {
        if target == self.block.guest_pc && self.header.is_some() {
            self.loop_back();
        } else {
            self.chain_exit(target);
        }
    }

    /// `Op::SideExit`: when the condition holds, write back what CpuState lacks and leave for
    /// `target` (a chain exit), out of line (see [`Cold`]); else go on. Leaves the lowering
    /// state alone.
    fn side_exit(&mut self, cond: crate::ir::CondCode, flags: Val, target: u64, state: crate::ir::SnapList, pos: u32) {
        let out_of_line = match self.cond(cond, flags, pos) {
            // (The rest of the block is dead: the exit goes where it is.)
            CondAt::Always => false,
            CondAt::Host(cc) => {
                // jcc rel32, reaching the cold code once it is joined.
                self.ops.extend([0x0f, 0x80 | cc as u8]);
                let at = self.ops.offset().0;
                self.ops.extend([0u8; 4]);
                self.cold.jumps.push((at, self.cold.ops.offset().0));
                true
            }
        };
        if out_of_line {
            self.swap_cold();
        }
        let block = self.block;
        let mut listed = [false; 33];
        for s in block.snaps(state) {
            listed[s.reg as usize] = true;
            if s.reg == crate::ir::SNAPSHOT_FLAGS {
                self.store_flags_loc(s.val);
            } else {
                self.store_guest_loc(s.val, s.reg);
            }
        }
        // In a self-loop, what this iteration has not written yet is where the iteration found
        // it (as a fault site has it).
        let (unwritten, flags) = self.loop_state_unwritten(|n| listed[n as usize]);
        for (reg, start) in unwritten {
            match start {
                AtStart::Read(v) => self.store_guest_loc(v, reg),
                AtStart::Carrier(r) => self.store_guest_reg(reg, r),
            }
        }
        if let Some(c) = flags {
            // (CpuState has their kind.)
            dynasm!(self.ops ; .arch x64 ; mov [r15 + off::NZCV_A], Rq(c.a));
            if let Some(b) = c.b {
                dynasm!(self.ops ; .arch x64 ; mov [r15 + off::NZCV_B], Rq(b));
            }
        }
        self.exit_flush();
        self.chain_jump(target);
        if out_of_line {
            self.swap_cold();
        }
    }

    /// Emit into the cold code from now on, or back into the main code: the assembler and the
    /// relocations change places. (What goes there only reads the lowering state: stores from
    /// where values are, and a chain exit.)
    fn swap_cold(&mut self) {
        std::mem::swap(&mut self.ops, &mut self.cold.ops);
        std::mem::swap(&mut self.relocs, &mut self.cold.relocs);
    }

    fn lower_exit(&mut self, pos: u32) {
        if self.header.is_none() {
            // Every way on leaves the block: one write-back of the V registers for all of them
            // (a self-loop's back edge keeps them, so its other exits write back each).
            self.vcache_write_back();
        }
        match self.block.exit {
            Exit::Jump(t) => self.exit_to(t),
            Exit::Branch {
                cond,
                flags,
                taken,
                not_taken,
            } => match self.cond(cond, flags, pos) {
                CondAt::Always => self.exit_to(taken),
                CondAt::Host(cc) => {
                    let nt = self.ops.new_dynamic_label();
                    cond::jcc(self.ops, cc.invert(), nt);
                    self.exit_to(taken);
                    dynasm!(self.ops ; .arch x64 ; =>nt);
                    self.exit_to(not_taken);
                }
            },
            Exit::Indirect(v) => {
                let r = self.alloc.get(self.ops, v, pos);
                self.exit_flush();
                // An empty entry is (0, 0): a branch to 0 must miss, not jump to host address 0.
                dynasm!(self.ops ; .arch x64
                    ; mov rax, Rq(r)
                    ; mov [r15 + off::PC], rax
                    ; test rax, rax
                    ; jz >miss
                    ; mov ecx, eax
                    ; shr ecx, 2
                    ; and ecx, [r15 + off::JUMP_MASK]
                    ; shl ecx, 4
                    ; add rcx, [r15 + off::JUMP_CACHE]
                    ; cmp [rcx], rax
                    ; jne >miss
                    ; cmp QWORD [r15 + off::PENDING], 0
                    ; jne >miss
                    ; jmp QWORD [rcx + 8]
                    ; miss:
                    ; mov QWORD [r15 + off::EXIT_SITE], 0
                );
                self.exit_to_loop(ExitReason::Indirect);
            }
            Exit::Svc { imm, next } => {
                self.exit_flush();
                self.set_pc(next);
                dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + off::EXIT_ARG], imm as i32);
                self.exit_to_loop(ExitReason::Svc);
            }
            Exit::Brk { imm, pc } => {
                self.exit_flush();
                self.set_pc(pc);
                dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + off::EXIT_ARG], imm as i32);
                self.exit_to_loop(ExitReason::Brk);
            }
            Exit::Undefined { pc } => {
                self.exit_flush();
                self.set_pc(pc);
                self.exit_to_loop(ExitReason::Undefined);
            }
            Exit::Barrier { next } => {
                // Chained on when IC IVAU named nothing since the last barrier, else through the
                // run loop, which drops what it named.
                let named = self.ops.new_dynamic_label();
                dynasm!(self.ops ; .arch x64 ; cmp QWORD [r15 + off::INVAL_HI], 0 ; jne =>named);
                self.exit_to(next);
                dynasm!(self.ops ; .arch x64 ; =>named);
                self.exit_flush();
                self.set_pc(next);
                self.exit_to_loop(ExitReason::InvalidateCode);
            }
            Exit::Sync { next } => {
                self.exit_flush();
                self.set_pc(next);
                self.exit_to_loop(ExitReason::Sync);
            }
        }
    }
}

/// Where the chain-miss routine is from the exit epilogue. A chain exit not yet chained calls
/// it with the guest target in rax; it stores the target and the exit's site (found from the
/// return address, [`CHAIN_STUB_BYTES`] after the site) and leaves as the exit epilogue.
pub const CHAIN_MISS_FROM_EPILOGUE: u64 = 64;

/// Where the promotion routine is from the exit epilogue: a quick translation whose countdown
/// ran out jumps to it with its guest pc in rax; it stores the pc and leaves as the exit
/// epilogue with [`ExitReason::Promote`].
pub const PROMOTE_FROM_EPILOGUE: u64 = 128;

/// The opcodes of `jmp rel32` and `call rel32`.
const JMP_REL32: u8 = 0xe9;
const CALL_REL32: u8 = 0xe8;

/// A chain exit's bytes from its site: `jmp rel32`, `mov rax, imm64`, `call rel32`.
const CHAIN_STUB_BYTES: usize = 20;

/// Host code of the entry trampoline `extern "C" fn(cpu: *mut CpuState, code: u64) -> u32` and,
/// at the returned offset, the epilogue that exits jump to, followed by the chain-miss routine
/// ([`CHAIN_MISS_FROM_EPILOGUE`]) and the promotion routine ([`PROMOTE_FROM_EPILOGUE`]).
pub fn trampoline(base: u64, host: host::HostFeatures) -> (Vec<u8>, usize) {
    let mut ops: VecAssembler<X64Relocation> = VecAssembler::new(base as usize);
    let frame = regalloc::FRAME_BYTES;
    dynasm!(ops ; .arch x64
        ; push rbx ; push rbp ; push r12 ; push r13 ; push r14 ; push r15
        ; sub rsp, frame
        ; stmxcsr [rdi + off::HOST_MXCSR]
        ; ldmxcsr [rdi + off::MXCSR]
        ; mov r15, rdi
        ; mov r14, QWORD confine::Pinned::of(host).value() as i64
    );
    pins::load_all(&mut ops);
    dynasm!(ops ; .arch x64 ; jmp rsi);
    let epi = ops.offset().0;
    pins::store_all(&mut ops);
    dynasm!(ops ; .arch x64
        ; stmxcsr [r15 + off::MXCSR]
        ; ldmxcsr [r15 + off::HOST_MXCSR]
        ; add rsp, frame
        ; pop r15 ; pop r14 ; pop r13 ; pop r12 ; pop rbp ; pop rbx
        ; ret
    );
    // The chain-miss routine: the stub's target in rax, the site from the return address.
    pad_to(&mut ops, epi + CHAIN_MISS_FROM_EPILOGUE as usize);
    dynasm!(ops ; .arch x64
        ; pop rcx
        ; mov [r15 + off::PC], rax
        ; sub rcx, CHAIN_STUB_BYTES as i32
        ; mov [r15 + off::EXIT_SITE], rcx
        ; mov eax, ExitReason::Chain as i32
    );
    jump_back(&mut ops, epi);
    // The promotion routine: the block's pc in rax.
    pad_to(&mut ops, epi + PROMOTE_FROM_EPILOGUE as usize);
    dynasm!(ops ; .arch x64
        ; mov [r15 + off::PC], rax
        ; mov eax, ExitReason::Promote as i32
    );
    jump_back(&mut ops, epi);
    (ops.finalize().expect("trampoline assembles"), epi)
}

/// Fill the trampoline with int3 up to offset `at`, where a routine starts (the code before
/// it must end there or earlier).
fn pad_to(ops: &mut VecAssembler<X64Relocation>, at: usize) {
    assert!(ops.offset().0 <= at, "the trampoline's code before offset {at} fits");
    while ops.offset().0 < at {
        ops.push(0xcc);
    }
}

/// A `jmp rel32` to the trampoline's epilogue at offset `epi`.
fn jump_back(ops: &mut VecAssembler<X64Relocation>, epi: usize) {
    let back = epi as i64 - (ops.offset().0 as i64 + 5);
    ops.push(JMP_REL32);
    ops.extend((back as i32).to_le_bytes());
}

/// Move values into distinct destination registers at once: register-to-register moves in an
/// order that reads every source before it is overwritten (cycles broken through rax), then
/// spilled values and constants.
fn parallel_move(ops: &mut VecAssembler<X64Relocation>, mut moves: Vec<(u8, Loc)>) {
    moves.retain(|&(d, s)| s != Loc::Reg(d));
    loop {
        let blocked = |d: u8, moves: &[(u8, Loc)]| moves.iter().any(|&(_, s)| s == Loc::Reg(d));
        if let Some(i) = moves
            .iter()
            .position(|&(d, s)| matches!(s, Loc::Reg(_)) && !blocked(d, &moves))
        {
            let (d, s) = moves.remove(i);
            if let Loc::Reg(s) = s {
                dynasm!(ops ; .arch x64 ; mov Rq(d), Rq(s));
            }
            continue;
        }
        // Only cycles (or non-register sources) are left: park one cycle member in rax.
        let Some(i) = moves.iter().position(|&(_, s)| matches!(s, Loc::Reg(_))) else {
            break;
        };
        if let Loc::Reg(s) = moves[i].1 {
            dynasm!(ops ; .arch x64 ; mov rax, Rq(s));
            moves[i].1 = Loc::Reg(regalloc::hreg::RAX);
        }
    }
    // (Register moves were emitted above.)
    for (d, s) in moves {
        move_loc(ops, d, s);
    }
}

/// Host register `d` = the value at `s` (a register, a spill slot or a constant), flags kept.
fn move_loc(ops: &mut VecAssembler<X64Relocation>, d: u8, s: Loc) {
    match s {
        Loc::Reg(r) => dynasm!(ops ; .arch x64 ; mov Rq(d), Rq(r)),
        Loc::Stack(disp) => dynasm!(ops ; .arch x64 ; mov Rq(d), [rsp + disp]),
        Loc::Const(c) => regalloc::load_imm(ops, d, c),
        Loc::Home(n) => dynasm!(ops ; .arch x64 ; mov Rq(d), [r15 + off::xreg(n)]),
    }
}
