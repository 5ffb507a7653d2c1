//! The IR verifier: the rules every block must keep, checked after lifting and optimising in
//! debug builds and by the tests. A violation is a translator bug, so it is reported with the
//! block's text form for the test or the debug build to fail on.
//!
//! The rules: every operand is defined earlier in the block by an op that defines a value of
//! the kind the operand needs (an integer, or a flags value where flags are read); guest register
//! numbers are in range; access sizes are ones the backend lowers; every inline memory access
//! goes through an address [`Op::Confine`] defined (when the block was built confined: the
//! guest's pointers never reach the host unmasked); `Snapshot`s follow an `InsnStart`.

use super::{Block, Exit, Op, Ty, Val, SNAPSHOT_FLAGS};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The op's index (`None`: the exit).
    pub at: Option<usize>,
    /// What is wrong.
    pub what: String,
}

/// What an operand must be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Int,
    Flags,
}

/// The operands of `op` with the kind each needs.
fn operand_kinds(op: &Op) -> Vec<(Val, Want)> {
    let flags_at = |i: usize| match op {
        Op::SetFlags(_) | Op::Nzcv(_) | Op::CondVal(..) | Op::Select(..) => i == 0,
        _ => false,
    };
    op.args()
        .into_iter()
        .enumerate()
        .map(|(i, v)| (v, if flags_at(i) { Want::Flags } else { Want::Int }))
        .collect()
}

/// The register-number and size rules of one op.
fn payload_rule(op: &Op) -> Option<String> {
    let bad_reg = |n: u8, max: u8| (n > max).then(|| format!("register {n} out of range"));
    match *op {
        Op::GetReg(n) | Op::SetReg(n, _) => bad_reg(n, 31),
        Op::Store(l, ..) | Op::LoadExcl(l, _) | Op::StoreExcl(l, ..) | Op::AtomicRmw(_, l, ..) | Op::Cas(l, ..)
            if l.0 > 3 =>
        {
            Some(format!("integer access of 2^{} bytes", l.0))
        }
        // Up to a pair of doublewords (LDXP, CASP).
        Op::AlignCheck(l, _) if l.0 > 4 => Some(format!("alignment to 2^{} bytes", l.0)),
        Op::VLoad(l, v, ..) | Op::VStore(l, v, ..) => (l.0 > 4)
            .then(|| format!("vector access of 2^{} bytes", l.0))
            .or(bad_reg(v, 31)),
        Op::VGetLane { v, size, index, .. } | Op::VSetLane { v, size, index, .. } => {
            if size.0 > 3 || u32::from(index) >= 16 >> size.0 {
                Some(format!("lane {index} of size 2^{}", size.0))
            } else {
                bad_reg(v, 31)
            }
        }
        Op::VOp { d, n, m, .. } => bad_reg(d.max(n).max(m), 31),
        Op::PairHelper { a, b, c, n, .. } => bad_reg(a.max(b).max(c).max(n), 31),
        _ => None,
    }
}

/// Check `block`; `confined`: it was built with confinement on (see [`super::Builder::push`]).
pub fn verify(block: &Block, confined: bool) -> Result<(), Vec<Violation>> {
    let mut bad = Vec::new();
    let mut in_insn = false;
    let operand = |at: Option<usize>, v: Val, want: Want, bad: &mut Vec<Violation>| {
        let limit = at.unwrap_or(block.ops.len());
        let what = if v.0 as usize >= limit {
            Some(format!("{v} is used before it is defined"))
        } else {
            match (block.op(v).ty(), want) {
                (Ty::I64, Want::Int) | (Ty::Flags, Want::Flags) => None,
                (Ty::None, _) => Some(format!("{v} defines no value")),
                (Ty::Flags, Want::Int) => Some(format!("{v} is flags where an integer is read")),
                (Ty::I64, Want::Flags) => Some(format!("{v} is an integer where flags are read")),
            }
        };
        if let Some(what) = what {
            bad.push(Violation { at, what });
        }
    };
    for (i, op) in block.ops.iter().enumerate() {
        for (v, want) in operand_kinds(op) {
            operand(Some(i), v, want, &mut bad);
        }
        if let Some(what) = payload_rule(op) {
            bad.push(Violation { at: Some(i), what });
        }
        let mut op = *op;
        if confined && op.accesses_memory() {
            let a = *op.address_mut().expect("a memory access has an address");
            if (a.0 as usize) < i && !matches!(block.op(a), Op::Confine(_)) {
                bad.push(Violation {
                    at: Some(i),
                    what: format!("address {a} is not confined"),
                });
            }
        }
        match op {
            Op::InsnStart(_) => in_insn = true,
            Op::Snapshots(_) if !in_insn => bad.push(Violation {
                at: Some(i),
                what: "snapshot without an instruction start".into(),
            }),
            _ => {}
        }
        if let Op::Snapshots(l) = op {
            in_insn = false;
            if (l.first + l.len) as usize > block.snapshots.len() {
                bad.push(Violation {
                    at: Some(i),
                    what: format!("snapshots #{}..#{} past the list", l.first, l.first + l.len),
                });
                continue;
            }
            for s in block.snaps(l) {
                let want = if s.reg == SNAPSHOT_FLAGS {
                    Want::Flags
                } else {
                    Want::Int
                };
                operand(Some(i), s.val, want, &mut bad);
                if s.reg > SNAPSHOT_FLAGS {
                    bad.push(Violation {
                        at: Some(i),
                        what: format!("register {} out of range", s.reg),
                    });
                }
            }
        }
    }
    let exit_flags = matches!(block.exit, Exit::Branch { .. });
    for v in block.exit.args() {
        operand(None, v, if exit_flags { Want::Flags } else { Want::Int }, &mut bad);
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad)
    }
}

/// [`verify`], panicking with the block's text and every violation: for debug builds and tests.
pub fn assert_valid(block: &Block, confined: bool) {
    if let Err(bad) = verify(block, confined) {
        let list: Vec<String> = bad
            .iter()
            .map(|b| match b.at {
                Some(i) => format!("  op %{i}: {}", b.what),
                None => format!("  exit: {}", b.what),
            })
            .collect();
        panic!("invalid IR:\n{}\n{block}", list.join("\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Builder, CondCode, LoadTy, Snap, SnapList, Sz};

    fn block(ops: Vec<Op>, exit: Exit) -> Block {
        Block {
            guest_pc: 0x1000,
            guest_len: 1,
            ranges: crate::ir::Ranges::new(),
            depends: vec![],
            ops,
            snapshots: vec![Snap {
                reg: 3,
                val: Val(0),
                keeps_live: true,
            }],
            exit,
            last_use: vec![],
            cond_alts: vec![],
        }
    }

    fn whats(b: &Block, confined: bool) -> Vec<String> {
        verify(b, confined)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.what)
            .collect()
    }

    #[test]
    fn a_built_block_is_valid() {
        let mut b = Builder::new();
        let x = b.reg(1);
        let l = b.push(Op::Load(LoadTy::U64, x, 8));
        let f = b.push(Op::FlagsSub(Sz::S64, l, x));
        b.set_reg(2, l);
        let exit = Exit::Branch {
            cond: CondCode(0),
            flags: f,
            taken: 0,
            not_taken: 4,
        };
        let blk = b.finish(0x1000, 2, exit, true);
        assert_eq!(verify(&blk, true), Ok(()), "{blk}");
    }

    #[test]
    fn each_rule_is_checked() {
        let b = block(vec![Op::SetReg(1, Val(1)), Op::Const(1)], Exit::Jump(0));
        assert_eq!(whats(&b, false), ["%1 is used before it is defined"]);
        let b = block(vec![Op::GetFlags, Op::SetReg(1, Val(0))], Exit::Indirect(Val(0)));
        assert_eq!(
            whats(&b, false),
            [
                "%0 is flags where an integer is read",
                "%0 is flags where an integer is read"
            ]
        );
        let b = block(vec![Op::Const(0), Op::CondVal(CondCode(0), Val(0))], Exit::Jump(0));
        assert_eq!(whats(&b, false), ["%0 is an integer where flags are read"]);
        let b = block(vec![Op::Const(0), Op::Load(LoadTy::U8, Val(0), 0)], Exit::Jump(0));
        assert_eq!(whats(&b, true), ["address %0 is not confined"]);
        assert_eq!(whats(&b, false), Vec::<String>::new());
        let b = block(vec![Op::Const(0), Op::SetReg(32, Val(0))], Exit::Jump(0));
        assert_eq!(whats(&b, false), ["register 32 out of range"]);
        let one = SnapList { first: 0, len: 1 };
        let b = block(vec![Op::Const(0), Op::Snapshots(one)], Exit::Jump(0));
        assert_eq!(whats(&b, false), ["snapshot without an instruction start"]);
        let b = block(vec![Op::InsnStart(0), Op::Snapshots(one)], Exit::Jump(0));
        assert_eq!(whats(&b, false), ["%0 defines no value"]);
        let two = SnapList { first: 0, len: 2 };
        let b = block(vec![Op::Const(0), Op::InsnStart(0), Op::Snapshots(two)], Exit::Jump(0));
        assert_eq!(whats(&b, false), ["snapshots #0..#2 past the list"]);
        let b = block(vec![Op::ClearExcl, Op::SetReg(0, Val(0))], Exit::Jump(0));
        assert_eq!(whats(&b, false), ["%0 defines no value"]);
    }
}
