//! The reference interpreter of the IR: plain Rust semantics for every op, against which the
//! x86-64 backend is tested. Guest memory is accessed directly (identity-mapped).

use super::*;
use crate::cpu::{materialize_nzcv, CpuState};

/// Where a block left the guest, as the interpreter computes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Continue at this pc (direct or indirect branch).
    Next(u64),
    /// SVC with immediate; pc is already the next instruction.
    Svc(u16),
    /// BRK with immediate.
    Brk(u16),
    /// Undefined instruction.
    Undefined,
    /// Drop the translations of the code IC IVAU named (`CpuState::inval_lo`), then continue
    /// at pc.
    Invalidate,
}

fn trunc(sz: Sz, v: u64) -> u64 {
    match sz {
        Sz::S32 => v & 0xffff_ffff,
        Sz::S64 => v,
    }
}

fn pack(n: bool, z: bool, c: bool, v: bool) -> u64 {
    ((n as u64) << 31) | ((z as u64) << 30) | ((c as u64) << 29) | ((v as u64) << 28)
}

/// `AddWithCarry(x, y, carry_in)` of the Arm ARM, returning NZCV in bits 31:28.
pub fn add_with_carry(sz: Sz, x: u64, y: u64, carry: u64) -> u64 {
    match sz {
        Sz::S32 => {
            let (x, y) = (x as u32, y as u32);
            let usum = x as u64 + y as u64 + carry;
            let ssum = x as i32 as i64 + y as i32 as i64 + carry as i64;
            let r = usum as u32;
            pack((r as i32) < 0, r == 0, usum != r as u64, ssum != r as i32 as i64)
        }
        Sz::S64 => {
            let usum = x as u128 + y as u128 + carry as u128;
            let ssum = x as i64 as i128 + y as i64 as i128 + carry as i128;
            let r = usum as u64;
            pack((r as i64) < 0, r == 0, usum != r as u128, ssum != r as i64 as i128)
        }
    }
}

/// Evaluate a binary op with A64 semantics.
pub fn bin(op: BinOp, sz: Sz, a: u64, b: u64) -> u64 {
    let bits = if sz == Sz::S32 { 32 } else { 64 };
    let (a, b) = (trunc(sz, a), trunc(sz, b));
    let sext = |x: u64| {
        if sz == Sz::S32 {
            x as u32 as i32 as i64
        } else {
            x as i64
        }
    };
    let r = match op {
        BinOp::Add => a.wrapping_add(b),
        BinOp::Sub => a.wrapping_sub(b),
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::Shl => a << (b % bits),
        BinOp::Lshr => a >> (b % bits),
        BinOp::Ashr => (sext(a) >> (b % bits)) as u64,
        BinOp::Ror => {
            let s = b % bits;
            if s == 0 {
                a
            } else {
                (a >> s) | (a << (bits - s))
            }
        }
        BinOp::Mul => a.wrapping_mul(b),
        BinOp::UMulH => ((a as u128 * b as u128) >> 64) as u64,
        BinOp::SMulH => ((a as i64 as i128 * b as i64 as i128) >> 64) as u64,
        BinOp::UDiv => a.checked_div(b).unwrap_or(0),
        BinOp::SDiv => {
            if b == 0 {
                0
            } else {
                sext(a).wrapping_div(sext(b)) as u64
            }
        }
    };
    trunc(sz, r)
}

/// Evaluate a unary op.
pub fn un(op: UnOp, sz: Sz, a: u64) -> u64 {
    let a = trunc(sz, a);
    let r = match (op, sz) {
        (UnOp::Not, _) => !a,
        (UnOp::Neg, _) => a.wrapping_neg(),
        (UnOp::Clz, Sz::S32) => (a as u32).leading_zeros() as u64,
        (UnOp::Clz, Sz::S64) => a.leading_zeros() as u64,
        (UnOp::Ctz, Sz::S32) => (a as u32).trailing_zeros() as u64,
        (UnOp::Ctz, Sz::S64) => a.trailing_zeros() as u64,
        (UnOp::Rbit, Sz::S32) => (a as u32).reverse_bits() as u64,
        (UnOp::Rbit, Sz::S64) => a.reverse_bits(),
        (UnOp::Bswap, Sz::S32) => (a as u32).swap_bytes() as u64,
        (UnOp::Bswap, Sz::S64) => a.swap_bytes(),
        (UnOp::Sext8, _) => a as u8 as i8 as i64 as u64,
        (UnOp::Sext16, _) => a as u16 as i16 as i64 as u64,
        (UnOp::Sext32, _) => a as u32 as i32 as i64 as u64,
        (UnOp::Zext8, _) => a as u8 as u64,
        (UnOp::Zext16, _) => a as u16 as u64,
        (UnOp::Zext32, _) => a as u32 as u64,
    };
    trunc(sz, r)
}

fn flags_kind(sz: Sz, sub: bool) -> u64 {
    match (sz, sub) {
        (Sz::S32, true) => 1,
        (Sz::S64, true) => 2,
        (Sz::S32, false) => 3,
        (Sz::S64, false) => 4,
    }
}

/// Run a block on `cpu`. Flags values are held packed (NZCV in bits 31:28).
///
/// # Safety
/// Loads and stores of the block access host memory at the guest addresses it computes.
pub unsafe fn run(block: &Block, cpu: &mut CpuState) -> Outcome {
    let mut vals = vec![0u64; block.ops.len()];
    for (i, op) in block.ops.iter().enumerate() {
        if let Op::SideExit {
            cond,
            flags,
            target,
            state,
        } = *op
        {
            if cond.holds((vals[flags.0 as usize] >> 28) as u32) {
                for s in block.snaps(state) {
                    let v = vals[s.val.0 as usize];
                    match s.reg {
                        SNAPSHOT_FLAGS => cpu.set_nzcv(v),
                        31 => cpu.sp = v,
                        n => cpu.x[n as usize] = v,
                    }
                }
                cpu.pc = target;
                return Outcome::Next(target);
            }
            continue;
        }
        vals[i] = eval(op, &vals, cpu);
    }
    exit(&block.exit, &vals, cpu)
}

/// The value of `op` (0 for ops without one), carrying out its effects on `cpu` and memory.
///
/// # Safety
/// As [`run`].
unsafe fn eval(op: &Op, vals: &[u64], cpu: &mut CpuState) -> u64 {
    let g = |v: Val| vals[v.0 as usize];
    match *op {
        Op::Const(c) => c,
        Op::GetReg(n) => {
            if n == 31 {
                cpu.sp
            } else {
                cpu.x[n as usize]
            }
        }
        Op::SetReg(n, v) => {
            if n == 31 {
                cpu.sp = g(v)
            } else {
                cpu.x[n as usize] = g(v)
            }
            0
        }
        Op::GetFlags => cpu.nzcv(),
        Op::SetFlags(f) => {
            cpu.set_nzcv(g(f));
            0
        }
        Op::GetSys(f) => match f {
            SysField::Tpidr => cpu.tpidr_el0,
            SysField::Pstate => cpu.pstate,
            SysField::Fpcr => cpu.fpcr,
            SysField::Fpsr => cpu.fpsr_value(),
        },
        Op::SetSys(f, v) => {
            match f {
                SysField::Tpidr => cpu.tpidr_el0 = g(v),
                SysField::Pstate => cpu.pstate = g(v),
                SysField::Fpcr => cpu.set_fpcr(g(v)),
                SysField::Fpsr => cpu.set_fpsr(g(v)),
            }
            0
        }
        Op::ReadCounter => crate::helpers::helper_counter(),
        Op::Random => crate::helpers::helper_random(),
        Op::Bin(o, sz, a, b) => bin(o, sz, g(a), g(b)),
        Op::Un(o, sz, a) => un(o, sz, g(a)),
        Op::FlagsSub(sz, a, b) => materialize_nzcv(flags_kind(sz, true), g(a), g(b)),
        Op::FlagsAdd(sz, a, b) => materialize_nzcv(flags_kind(sz, false), g(a), g(b)),
        Op::FlagsLogic(sz, a) => materialize_nzcv(if sz == Sz::S32 { 5 } else { 6 }, g(a), 0),
        Op::FlagsAdc(sz, a, b, c) => add_with_carry(sz, g(a), g(b), g(c) & 1),
        Op::FlagsSbc(sz, a, b, c) => add_with_carry(sz, g(a), !g(b), g(c) & 1),
        Op::FlagsPacked(v) => g(v) & 0xf000_0000,
        Op::Nzcv(f) => g(f),
        Op::CondVal(c, f) => c.holds((g(f) >> 28) as u32) as u64,
        Op::Select(c, f, a, b) => {
            if c.holds((g(f) >> 28) as u32) {
                g(a)
            } else {
                g(b)
            }
        }
        Op::Confine(a) => crate::confine::confine(g(a)),
        Op::Load(ty, base, off) => {
            let p = g(base).wrapping_add(off as i64 as u64);
            match ty {
                LoadTy::U8 => (p as *const u8).read_unaligned() as u64,
                LoadTy::U16 => (p as *const u16).read_unaligned() as u64,
                LoadTy::U32 => (p as *const u32).read_unaligned() as u64,
                LoadTy::U64 => (p as *const u64).read_unaligned(),
                LoadTy::S8 => (p as *const i8).read_unaligned() as i64 as u64,
                LoadTy::S16 => (p as *const i16).read_unaligned() as i64 as u64,
                LoadTy::S32 => (p as *const i32).read_unaligned() as i64 as u64,
            }
        }
        Op::Store(sz, base, off, v) => {
            let p = g(base).wrapping_add(off as i64 as u64);
            store(p, sz, g(v));
            0
        }
        Op::AlignCheck(sz, a) => {
            // Like the interpreter's accesses, a fault here is not delivered to the guest.
            assert!(
                g(a).is_multiple_of(1 << sz.0),
                "an alignment fault under the IR interpreter, which does not deliver faults"
            );
            0
        }
        Op::LoadExcl(sz, a) => load_excl(cpu, sz, g(a)),
        Op::StoreExcl(sz, a, v) => store_excl(cpu, sz, g(a), g(v)),
        Op::ClearExcl => {
            cpu.excl_addr = u64::MAX;
            0
        }
        Op::Fence(_) => 0,
        Op::AtomicRmw(kind, sz, a, v) => {
            let old = load_sized(g(a), sz);
            store(g(a), sz, crate::helpers::rmw(kind, sz, old, g(v)));
            old
        }
        Op::Cas(sz, a, e, n) => {
            let old = load_sized(g(a), sz);
            let mask = if sz.0 >= 3 { u64::MAX } else { (1u64 << (8 << sz.0)) - 1 };
            if old == g(e) & mask {
                store(g(a), sz, g(n));
            }
            old
        }
        Op::Crc32 {
            castagnoli,
            size,
            acc,
            data,
        } => crate::helpers::crc32(castagnoli, size.0, g(acc), g(data)),
        Op::PairHelper {
            kind, size, a, b, c, n, ..
        } => {
            // Like the interpreter's other accesses, a fault here is not delivered to the guest.
            crate::helpers::pair_op(cpu, kind, size.0, a, b, c, n)
                .expect("a pair access faulted under the IR interpreter, which does not deliver faults");
            0
        }
        Op::ZeroBlock(a) => {
            std::ptr::write_bytes((g(a) & !63) as *mut u8, 0, 64);
            0
        }
        Op::NoteInval(a) => {
            let line = g(a) & !63;
            cpu.inval_lo = cpu.inval_lo.min(line);
            // (The last line of the address space adds nothing: its end wraps.)
            if let Some(end) = line.checked_add(64) {
                cpu.inval_hi = cpu.inval_hi.max(end);
            }
            0
        }
        Op::VLoad(sz, v, base, off) => {
            let p = g(base).wrapping_add(off as i64 as u64) as *const u8;
            let mut b = [0u8; 16];
            std::ptr::copy_nonoverlapping(p, b.as_mut_ptr(), 1 << sz.0);
            set_v(cpu, v, u128::from_le_bytes(b));
            0
        }
        Op::VStore(sz, v, base, off) => {
            let p = g(base).wrapping_add(off as i64 as u64) as *mut u8;
            std::ptr::copy_nonoverlapping(get_v(cpu, v).to_le_bytes().as_ptr(), p, 1 << sz.0);
            0
        }
        Op::VGetLane { v, size, index, signed } => get_lane(get_v(cpu, v), size, index, signed),
        Op::VSetLane {
            v,
            size,
            index,
            val,
            zero_rest,
        } => {
            let old = if zero_rest { 0 } else { get_v(cpu, v) };
            set_v(cpu, v, set_lane(old, size, index, g(val)));
            0
        }
        Op::VOp { f, d, n, m } => {
            super::vecfn::apply(cpu, &f, d, n, m);
            0
        }
        Op::Fp(f) => super::fp::eval(cpu, &f, f.src.map_or(0, g)),
        Op::Nop | Op::InsnStart(_) | Op::Snapshots(_) => 0,
        // Taken or not by `run`.
        Op::SideExit { .. } => 0,
    }
}

/// Take the block's exit: the next pc in `cpu`, and why the block ended.
fn exit(exit: &Exit, vals: &[u64], cpu: &mut CpuState) -> Outcome {
    let g = |v: Val| vals[v.0 as usize];
    match *exit {
        Exit::Jump(t) => {
            cpu.pc = t;
            Outcome::Next(t)
        }
        Exit::Branch {
            cond,
            flags,
            taken,
            not_taken,
        } => {
            let t = if cond.holds((g(flags) >> 28) as u32) {
                taken
            } else {
                not_taken
            };
            cpu.pc = t;
            Outcome::Next(t)
        }
        Exit::Indirect(v) => {
            cpu.pc = g(v);
            Outcome::Next(g(v))
        }
        Exit::Svc { imm, next } => {
            cpu.pc = next;
            Outcome::Svc(imm)
        }
        Exit::Brk { imm, pc } => {
            cpu.pc = pc;
            Outcome::Brk(imm)
        }
        Exit::Undefined { pc } => {
            cpu.pc = pc;
            Outcome::Undefined
        }
        Exit::Barrier { next } => {
            cpu.pc = next;
            if cpu.inval_hi != 0 {
                Outcome::Invalidate
            } else {
                Outcome::Next(next)
            }
        }
        Exit::Sync { next } => {
            cpu.pc = next;
            Outcome::Next(next)
        }
    }
}

/// LDXR: load and arm the monitor.
unsafe fn load_excl(cpu: &mut CpuState, sz: Log2, a: u64) -> u64 {
    let v = load_sized(a, sz);
    cpu.excl_addr = a;
    cpu.excl_val[0] = v;
    cpu.excl_size = 1 << sz.0;
    v
}

/// STXR: as the backend (and qemu), store when the low bytes match, report success (0) when the
/// whole monitored value does; disarm the monitor.
unsafe fn store_excl(cpu: &mut CpuState, sz: Log2, a: u64, v: u64) -> u64 {
    let hit = cpu.excl_addr == a;
    cpu.excl_addr = u64::MAX;
    let old = if hit { load_sized(a, sz) } else { 0 };
    let mask = if sz.0 >= 3 { u64::MAX } else { (1u64 << (8 << sz.0)) - 1 };
    if hit && old == cpu.excl_val[0] & mask {
        store(a, sz, v);
    }
    (!(hit && old == cpu.excl_val[0])) as u64
}

fn get_v(cpu: &CpuState, v: u8) -> u128 {
    let x = cpu.v[v as usize];
    (x[0] as u128) | ((x[1] as u128) << 64)
}

fn set_v(cpu: &mut CpuState, v: u8, x: u128) {
    cpu.v[v as usize] = [x as u64, (x >> 64) as u64];
}

/// Element `index` of size `size` of `x`, zero- or sign-extended.
fn get_lane(x: u128, size: Log2, index: u8, signed: bool) -> u64 {
    let bits = 8u32 << size.0;
    let e = (x >> (bits * index as u32)) as u64;
    let e = if bits == 64 { e } else { e & ((1 << bits) - 1) };
    if signed && bits < 64 {
        (((e << (64 - bits)) as i64) >> (64 - bits)) as u64
    } else {
        e
    }
}

/// `x` with element `index` of size `size` replaced by the low bits of `val`.
fn set_lane(x: u128, size: Log2, index: u8, val: u64) -> u128 {
    let bits = 8u32 << size.0;
    let mask: u128 = if bits == 128 {
        u128::MAX
    } else {
        ((1u128 << bits) - 1) << (bits * index as u32)
    };
    (x & !mask) | (((val as u128) << (bits * index as u32)) & mask)
}

unsafe fn load_sized(p: u64, sz: Log2) -> u64 {
    match sz.0 {
        0 => (p as *const u8).read_unaligned() as u64,
        1 => (p as *const u16).read_unaligned() as u64,
        2 => (p as *const u32).read_unaligned() as u64,
        _ => (p as *const u64).read_unaligned(),
    }
}

unsafe fn store(p: u64, sz: Log2, v: u64) {
    match sz.0 {
        0 => (p as *mut u8).write_unaligned(v as u8),
        1 => (p as *mut u16).write_unaligned(v as u16),
        2 => (p as *mut u32).write_unaligned(v as u32),
        _ => (p as *mut u64).write_unaligned(v),
    }
}
