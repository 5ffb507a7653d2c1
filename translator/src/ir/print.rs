//! Text form of the IR, for `-d ir`, the snapshot tests and test failure messages:
//!
//! ```text
//! block 0x400100 (2 guest insns)
//!   %0 = get x1
//!   %1 = const 0x10
//!   %2 = add.64 %0, %1
//!        set x0, %2
//!   exit jump 0x400108
//! ```
//!
//! `%n` is the value op n defines, `xN`/`sp` a guest register, `vN` a guest V register. Each op
//! prints as its [`OpInfo::name`](super::opinfo::OpInfo) with the payload as suffixes and
//! operands.

use super::fp::FpKind;
use super::*;
use crate::ops::Second;
use std::fmt;

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

/// Guest register `n` where 31 is SP.
struct Xsp(u8);

impl fmt::Display for Xsp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            31 => write!(f, "sp"),
            n => write!(f, "x{n}"),
        }
    }
}

/// Guest register `n` where 31 is XZR.
struct Xzr(u8);

impl fmt::Display for Xzr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            31 => write!(f, "xzr"),
            n => write!(f, "x{n}"),
        }
    }
}

/// `[base+off]`.
struct Addr(Val, i32);

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            0 => write!(f, "[{}]", self.0),
            o if o < 0 => write!(f, "[{}-{:#x}]", self.0, -(o as i64)),
            o => write!(f, "[{}+{:#x}]", self.0, o),
        }
    }
}

fn lower(name: impl fmt::Debug) -> String {
    format!("{name:?}").to_lowercase()
}

fn sz(s: Sz) -> u32 {
    match s {
        Sz::S32 => 32,
        Sz::S64 => 64,
    }
}

fn cond(c: CondCode) -> &'static str {
    [
        "eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv",
    ][c.0 as usize & 15]
}

/// The arrangement of a vector op: `16b`, `4s`, `2d`, ...
fn arrangement(esize: u8, q: bool) -> String {
    let bits = 8u32 << esize.min(3);
    let lanes = if q { 128 } else { 64 } / bits;
    let letter = ["b", "h", "s", "d"][esize.min(3) as usize];
    format!("{lanes}{letter}")
}

/// The by-element operand's suffix.
fn second(m: Second) -> String {
    match m {
        Second::Vector => String::new(),
        Second::Element(i) => format!(" [{i}]"),
    }
}

/// The operation of a vector op with its immediate operands: `shl #3`, `fp.toint.z.s`,
/// `mul [1]` (by element), `sqrshrn.scalar #3`.
fn vec_name(v: &VecFn) -> String {
    use VecKind::*;
    let sign = |s: bool| if s { "s" } else { "u" };
    match v.kind {
        Fp(o) => {
            let scalar = if o.scalar { ".scalar" } else { "" };
            format!(
                "fp.{}{scalar}.{}.{} #{}",
                lower(o.kind),
                lower(o.round),
                sign(o.signed),
                o.index
            )
        }
        Sat(o) => {
            let form = if o.scalar {
                ".scalar"
            } else if o.elem {
                ".elem"
            } else {
                ""
            };
            format!("{}{form} #{}", lower(o.kind), o.arg)
        }
        Crypto(k) => lower(k),
        HalfCvt(h) => format!("halfcvt {}", lower(h)),
        Mul(m) | Mla(m) | Mls(m) | Sdot(m) | Udot(m) | Usdot(m) | Sudot(m) => {
            format!("{}{}", lower(v.kind).split('(').next().unwrap_or(""), second(m))
        }
        MulL { signed, m } | MlaL { signed, m } | MlsL { signed, m } => {
            let name = lower(v.kind);
            format!("{}.{}{}", name.split(' ').next().unwrap_or(""), sign(signed), second(m))
        }
        AddL { signed } | AddW { signed } | SubL { signed } | SubW { signed } | AbaL { signed } | AbdL { signed } => {
            let name = lower(v.kind);
            format!("{}.{}", name.split(' ').next().unwrap_or(""), sign(signed))
        }
        Shl(n) | Ushr(n) | Sshr(n) | Shrn(n) | Ushll(n) | Sshll(n) | Usra(n) | Ssra(n) | Sli(n) | Sri(n)
        | DupElem(n) | Ext(n) => format!("{} #{n}", lower(v.kind).split('(').next().unwrap_or("")),
        Movi(x) | OrrImm(x) | BicImm(x) => format!("{} #{x:#x}", lower(v.kind).split('(').next().unwrap_or("")),
        _ => lower(v.kind),
    }
}

fn fp_op(f: &mut fmt::Formatter<'_>, o: &fp::FpOp) -> fmt::Result {
    let ty = lower(o.ty);
    write!(f, "fp.{}.{ty}", lower(o.kind))?;
    match o.kind {
        FpKind::Cvt => write!(f, " v{}.{}, v{}", o.d, lower(o.to), o.n),
        FpKind::Cmp => {
            let how = if o.signal { ".e" } else { "" };
            write!(f, "{how} v{}, ", o.n)?;
            if o.zero {
                write!(f, "#0.0")?;
            } else {
                write!(f, "v{}", o.m)?;
            }
            match o.src {
                Some(c) if o.cond => write!(f, " if {c}"),
                _ => Ok(()),
            }
        }
        FpKind::ToInt => {
            let sign = if o.signed { "s" } else { "u" };
            let bits = o.int.bits();
            write!(f, ".{sign}{bits}.{} v{} #{}", lower(o.round), o.n, o.fbits)
        }
        FpKind::ToIntJs => write!(f, ".js v{}", o.n),
        FpKind::FromInt => {
            let src = o.src.map_or("?".to_string(), |v| v.to_string());
            let sign = if o.signed { "s" } else { "u" };
            write!(f, ".{sign}{} v{}, {src} #{}", o.int.bits(), o.d, o.fbits)
        }
        FpKind::Rint => write!(f, ".{} v{}, v{}", lower(o.round), o.d, o.n),
        FpKind::Abs | FpKind::Neg | FpKind::Sqrt => write!(f, " v{}, v{}", o.d, o.n),
        FpKind::Madd | FpKind::Msub | FpKind::Nmadd | FpKind::Nmsub => {
            write!(f, " v{}, v{}, v{}, v{}", o.d, o.n, o.m, o.a)
        }
        FpKind::Add
        | FpKind::Sub
        | FpKind::Mul
        | FpKind::Div
        | FpKind::Nmul
        | FpKind::Max
        | FpKind::Min
        | FpKind::MaxNm
        | FpKind::MinNm => write!(f, " v{}, v{}, v{}", o.d, o.n, o.m),
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.info().name;
        match *self {
            Op::Const(c) => write!(f, "{name} {c:#x}"),
            Op::GetReg(n) => write!(f, "{name} {}", Xsp(n)),
            Op::SetReg(n, v) => write!(f, "{name} {}, {v}", Xsp(n)),
            Op::GetFlags | Op::ReadCounter | Op::Random | Op::ClearExcl | Op::Nop => write!(f, "{name}"),
            Op::SetFlags(v) | Op::FlagsPacked(v) | Op::Nzcv(v) | Op::Confine(v) => write!(f, "{name} {v}"),
            Op::GetSys(s) => write!(f, "{name} {}", lower(s)),
            Op::SetSys(s, v) => write!(f, "{name} {}, {v}", lower(s)),
            Op::Bin(o, s, a, b) => write!(f, "{}.{} {a}, {b}", lower(o), sz(s)),
            Op::Un(o, s, a) => write!(f, "{}.{} {a}", lower(o), sz(s)),
            Op::FlagsSub(s, a, b) | Op::FlagsAdd(s, a, b) => write!(f, "{name}.{} {a}, {b}", sz(s)),
            Op::FlagsLogic(s, a) => write!(f, "{name}.{} {a}", sz(s)),
            Op::FlagsAdc(s, a, b, c) | Op::FlagsSbc(s, a, b, c) => write!(f, "{name}.{} {a}, {b}, {c}", sz(s)),
            Op::CondVal(c, fl) => write!(f, "{name}.{} {fl}", cond(c)),
            Op::Select(c, fl, a, b) => write!(f, "{name}.{} {fl}, {a}, {b}", cond(c)),
            Op::Load(t, a, o) => write!(f, "{name}.{} {}", lower(t), Addr(a, o)),
            Op::Store(l, a, o, v) => write!(f, "{name}.{} {}, {v}", 1u32 << l.0, Addr(a, o)),
            Op::LoadExcl(l, a) | Op::AlignCheck(l, a) => write!(f, "{name}.{} {}", 1u32 << l.0, Addr(a, 0)),
            Op::StoreExcl(l, a, v) => write!(f, "{name}.{} {}, {v}", 1u32 << l.0, Addr(a, 0)),
            Op::AtomicRmw(k, l, a, v) => write!(f, "{name}.{}.{} {}, {v}", lower(k), 1u32 << l.0, Addr(a, 0)),
            Op::Cas(l, a, e, n) => write!(f, "{name}.{} {}, {e}, {n}", 1u32 << l.0, Addr(a, 0)),
            Op::Crc32 {
                castagnoli,
                size,
                acc,
                data,
            } => {
                let c = if castagnoli { "c" } else { "" };
                write!(f, "{name}{c}.{} {acc}, {data}", 1u32 << size.0)
            }
            Op::PairHelper {
                kind, size, a, b, c, n, ..
            } => write!(
                f,
                "{name}.{}.{} {}, {}, {}, [{}]",
                lower(kind),
                1u32 << size.0,
                Xzr(a),
                Xzr(b),
                Xzr(c),
                Xsp(n)
            ),
            Op::Fence(k) => write!(f, "{name}.{}", lower(k)),
            Op::ZeroBlock(a) => write!(f, "{name} {}", Addr(a, 0)),
            Op::NoteInval(a) => write!(f, "{name} {a}"),
            Op::VLoad(l, v, a, o) => write!(f, "{name}.{} v{v}, {}", 1u32 << l.0, Addr(a, o)),
            Op::VStore(l, v, a, o) => write!(f, "{name}.{} v{v}, {}", 1u32 << l.0, Addr(a, o)),
            Op::VGetLane { v, size, index, signed } => {
                let s = if signed { "s" } else { "u" };
                write!(f, "{name}.{s}{} v{v}[{index}]", 8u32 << size.0)
            }
            Op::VSetLane {
                v,
                size,
                index,
                val,
                zero_rest,
            } => {
                let z = if zero_rest { ".zero" } else { "" };
                write!(f, "{name}{z}.{} v{v}[{index}], {val}", 8u32 << size.0)
            }
            Op::VOp { f: vf, d, n, m } => {
                write!(
                    f,
                    "{name}.{} v{d}, v{n}, v{m}: {}",
                    arrangement(vf.esize, vf.q),
                    vec_name(&vf)
                )
            }
            Op::Fp(o) => fp_op(f, &o),
            Op::InsnStart(pc) => write!(f, "{name} {pc:#x}"),
            // A block prints each snapshot (see `Snap`'s form); alone, the op shows where.
            Op::Snapshots(l) => write!(f, "{name} #{}..#{}", l.first, l.first + l.len),
            Op::SideExit {
                cond: c,
                flags,
                target,
                state: l,
            } => write!(
                f,
                "{name}.{} {flags}, {target:#x}, writing #{}..#{}",
                cond(c),
                l.first,
                l.first + l.len
            ),
        }
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Exit::Jump(t) => write!(f, "jump {t:#x}"),
            Exit::Branch {
                cond: c,
                flags,
                taken,
                not_taken,
            } => write!(f, "branch.{} {flags}, {taken:#x}, {not_taken:#x}", cond(c)),
            Exit::Indirect(v) => write!(f, "indirect {v}"),
            Exit::Svc { imm, next } => write!(f, "svc #{imm:#x}, {next:#x}"),
            Exit::Brk { imm, pc } => write!(f, "brk #{imm:#x} at {pc:#x}"),
            Exit::Undefined { pc } => write!(f, "undefined at {pc:#x}"),
            Exit::Barrier { next } => write!(f, "barrier {next:#x}"),
            Exit::Sync { next } => write!(f, "sync {next:#x}"),
        }
    }
}

impl fmt::Display for Snap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reg {
            SNAPSHOT_FLAGS => write!(f, "snapshot flags, {}", self.val),
            n => write!(f, "snapshot {}, {}", Xsp(n), self.val),
        }
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "block {:#x} ({} guest insns)", self.guest_pc, self.guest_len)?;
        for (i, op) in self.ops.iter().enumerate() {
            match op {
                Op::Nop => continue,
                Op::Snapshots(l) => {
                    for s in self.snaps(*l) {
                        writeln!(f, "  {:6}{s}", "")?;
                    }
                    continue;
                }
                _ => {}
            }
            match op.ty() {
                Ty::None => writeln!(f, "  {:6}{op}", "")?,
                Ty::I64 | Ty::Flags => writeln!(f, "  {:<6}{op}", format!("%{i} ="))?,
            }
        }
        writeln!(f, "  exit {}", self.exit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form() {
        let mut b = Builder::unconfined();
        let x1 = b.reg(1);
        let k = b.konst(16);
        let s = b.push(Op::Bin(BinOp::Add, Sz::S64, x1, k));
        let fl = b.push(Op::FlagsSub(Sz::S32, s, k));
        let l = b.push(Op::Load(LoadTy::S16, s, -8));
        b.set_reg(0, l);
        let exit = Exit::Branch {
            cond: CondCode(1),
            flags: fl,
            taken: 0x1000,
            not_taken: 0x2000,
        };
        let text = b.finish(0x400100, 3, exit, false).to_string();
        let want = "block 0x400100 (3 guest insns)
  %0 =  get x1
  %1 =  const 0x10
  %2 =  add.64 %0, %1
  %3 =  flags.sub.32 %2, %1
  %4 =  load.s16 [%2-0x8]
        set x0, %4
  exit branch.ne %3, 0x1000, 0x2000
";
        assert_eq!(text, want);
    }
}
