//! NZCV conditions on x86-64: which EFLAGS condition answers an A64 condition after the host
//! instruction that recomputes a flags value, and the emitters of jcc/setcc/cmovcc.
//!
//! x86's CF after a subtraction is a borrow, the inverse of A64's C: this table is the one place
//! that knows it.

use crate::ir::CondCode;
use dynasmrt::{dynasm, x64::X64Relocation, DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};

/// x86 condition codes in encoding order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Cc {
    O = 0,
    No = 1,
    B = 2,
    Ae = 3,
    E = 4,
    Ne = 5,
    Be = 6,
    A = 7,
    S = 8,
    Ns = 9,
    L = 12,
    Ge = 13,
    Le = 14,
    G = 15,
}

impl Cc {
    /// The opposite condition.
    pub fn invert(self) -> Cc {
        use Cc::*;
        match self {
            O => No,
            No => O,
            B => Ae,
            Ae => B,
            E => Ne,
            Ne => E,
            Be => A,
            A => Be,
            S => Ns,
            Ns => S,
            L => Ge,
            Ge => L,
            Le => G,
            G => Le,
        }
    }
}

/// How the host flags relate to A64's after the instruction that produced them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFlags {
    /// After `cmp`/`sub`/`sbb`: CF is the inverse of A64's C.
    SubLike,
    /// After `add`/`adc`/`test`: CF is A64's C.
    AddLike,
}

/// The x86 condition equal to A64 condition `c`, if one exists (AL/NV are handled by callers).
pub fn map(c: CondCode, kind: HostFlags) -> Option<Cc> {
    use Cc::*;
    let sub = kind == HostFlags::SubLike;
    Some(match c.0 {
        0 => E,
        1 => Ne,
        2 => {
            if sub {
                Ae
            } else {
                B
            }
        }
        3 => {
            if sub {
                B
            } else {
                Ae
            }
        }
        4 => S,
        5 => Ns,
        6 => O,
        7 => No,
        8 if sub => A,
        9 if sub => Be,
        10 => Ge,
        11 => L,
        12 => G,
        13 => Le,
        _ => return None,
    })
}

/// `jcc => label`.
pub fn jcc(ops: &mut VecAssembler<X64Relocation>, cc: Cc, l: DynamicLabel) {
    match cc {
        Cc::O => dynasm!(ops ; .arch x64 ; jo =>l),
        Cc::No => dynasm!(ops ; .arch x64 ; jno =>l),
        Cc::B => dynasm!(ops ; .arch x64 ; jb =>l),
        Cc::Ae => dynasm!(ops ; .arch x64 ; jae =>l),
        Cc::E => dynasm!(ops ; .arch x64 ; je =>l),
        Cc::Ne => dynasm!(ops ; .arch x64 ; jne =>l),
        Cc::Be => dynasm!(ops ; .arch x64 ; jbe =>l),
        Cc::A => dynasm!(ops ; .arch x64 ; ja =>l),
        Cc::S => dynasm!(ops ; .arch x64 ; js =>l),
        Cc::Ns => dynasm!(ops ; .arch x64 ; jns =>l),
        Cc::L => dynasm!(ops ; .arch x64 ; jl =>l),
        Cc::Ge => dynasm!(ops ; .arch x64 ; jge =>l),
        Cc::Le => dynasm!(ops ; .arch x64 ; jle =>l),
        Cc::G => dynasm!(ops ; .arch x64 ; jg =>l),
    }
}

/// `setcc r8`.
pub fn setcc(ops: &mut VecAssembler<X64Relocation>, cc: Cc, r: u8) {
    match cc {
        Cc::O => dynasm!(ops ; .arch x64 ; seto Rb(r)),
        Cc::No => dynasm!(ops ; .arch x64 ; setno Rb(r)),
        Cc::B => dynasm!(ops ; .arch x64 ; setb Rb(r)),
        Cc::Ae => dynasm!(ops ; .arch x64 ; setae Rb(r)),
        Cc::E => dynasm!(ops ; .arch x64 ; sete Rb(r)),
        Cc::Ne => dynasm!(ops ; .arch x64 ; setne Rb(r)),
        Cc::Be => dynasm!(ops ; .arch x64 ; setbe Rb(r)),
        Cc::A => dynasm!(ops ; .arch x64 ; seta Rb(r)),
        Cc::S => dynasm!(ops ; .arch x64 ; sets Rb(r)),
        Cc::Ns => dynasm!(ops ; .arch x64 ; setns Rb(r)),
        Cc::L => dynasm!(ops ; .arch x64 ; setl Rb(r)),
        Cc::Ge => dynasm!(ops ; .arch x64 ; setge Rb(r)),
        Cc::Le => dynasm!(ops ; .arch x64 ; setle Rb(r)),
        Cc::G => dynasm!(ops ; .arch x64 ; setg Rb(r)),
    }
}

/// `cmovcc dst, src` (64-bit).
pub fn cmov(ops: &mut VecAssembler<X64Relocation>, cc: Cc, d: u8, s: u8) {
    match cc {
        Cc::O => dynasm!(ops ; .arch x64 ; cmovo Rq(d), Rq(s)),
        Cc::No => dynasm!(ops ; .arch x64 ; cmovno Rq(d), Rq(s)),
        Cc::B => dynasm!(ops ; .arch x64 ; cmovb Rq(d), Rq(s)),
        Cc::Ae => dynasm!(ops ; .arch x64 ; cmovae Rq(d), Rq(s)),
        Cc::E => dynasm!(ops ; .arch x64 ; cmove Rq(d), Rq(s)),
        Cc::Ne => dynasm!(ops ; .arch x64 ; cmovne Rq(d), Rq(s)),
        Cc::Be => dynasm!(ops ; .arch x64 ; cmovbe Rq(d), Rq(s)),
        Cc::A => dynasm!(ops ; .arch x64 ; cmova Rq(d), Rq(s)),
        Cc::S => dynasm!(ops ; .arch x64 ; cmovs Rq(d), Rq(s)),
        Cc::Ns => dynasm!(ops ; .arch x64 ; cmovns Rq(d), Rq(s)),
        Cc::L => dynasm!(ops ; .arch x64 ; cmovl Rq(d), Rq(s)),
        Cc::Ge => dynasm!(ops ; .arch x64 ; cmovge Rq(d), Rq(s)),
        Cc::Le => dynasm!(ops ; .arch x64 ; cmovle Rq(d), Rq(s)),
        Cc::G => dynasm!(ops ; .arch x64 ; cmovg Rq(d), Rq(s)),
    }
}
