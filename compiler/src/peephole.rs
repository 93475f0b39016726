//! Peephole rules over generated code. Each rule looks at adjacent instructions
//! only, so it never reaches across a label (a jump target).

use bundle_format::opcodes::Instr;

use crate::codegen::{Asm, Label};

/// Applies every rule until none changes the code.
pub fn optimise(asm: &mut Vec<Asm>) {
    loop {
        let before = asm.len();
        let mut out: Vec<Asm> = Vec::with_capacity(asm.len());
        for item in asm.drain(..) {
            out.push(item);
            while rewrite_tail(&mut out) {}
        }
        *asm = out;
        if asm.len() == before {
            break;
        }
    }
    pair_local_loads(asm);
}

/// `LoadLocal a; LoadLocal b` → `LoadLocal2 a b`: the two operands of most loop tests
/// and many calls in one dispatch. A pass of its own, after the rules above, so that
/// it does not take a `LoadLocal` that `local_int_arith` would have fused.
fn pair_local_loads(asm: &mut Vec<Asm>) {
    let mut out: Vec<Asm> = Vec::with_capacity(asm.len());
    for item in asm.drain(..) {
        if let (Asm::Op(Instr::LoadLocal { slot: b }, _), Some(Asm::Op(Instr::LoadLocal { slot: a }, span))) =
            (&item, out.last())
        {
            let paired = Asm::Op(Instr::LoadLocal2 { a: *a, b: *b }, *span);
            *out.last_mut().expect("matched above") = paired;
            continue;
        }
        out.push(item);
    }
    *asm = out;
}

/// Tries each rule on the end of `out`; true when one fired.
fn rewrite_tail(out: &mut Vec<Asm>) -> bool {
    not_then_branch(out)
        || compare_then_branch(out)
        || local_int_arith(out)
        || pure_push_then_pop(out)
        || store_keeping_then_pop(out)
}

fn last_ops<const N: usize>(out: &[Asm]) -> Option<[(Instr<Label>, crate::syntax::Span); N]> {
    if out.len() < N {
        return None;
    }
    let mut ops = [(Instr::Nil {}, Default::default()); N];
    for (i, item) in out[out.len() - N..].iter().enumerate() {
        match item {
            Asm::Op(instr, span) => ops[i] = (*instr, *span),
            Asm::Label(_) => return None,
        }
    }
    Some(ops)
}

fn replace_tail(out: &mut Vec<Asm>, n: usize, with: &[Asm]) {
    out.truncate(out.len() - n);
    out.extend_from_slice(with);
}

/// `Not; JumpIfFalse L` → `JumpIfTrue L` (and the mirror): `(if (not x) ...)`.
fn not_then_branch(out: &mut Vec<Asm>) -> bool {
    let Some([(Instr::Not {}, _), (jump, span)]) = last_ops::<2>(out) else { return false };
    let flipped = match jump {
        Instr::JumpIfFalse { target } => Instr::JumpIfTrue { target },
        Instr::JumpIfTrue { target } => Instr::JumpIfFalse { target },
        _ => return false,
    };
    replace_tail(out, 2, &[Asm::Op(flipped, span)]);
    true
}

/// `Lt; JumpIfFalse L` → `LtJumpIfFalse L`, and likewise for `>`, `<=`, `>=`, `=` and
/// either branch sense: the test of an `if`, `cond` or loop in one dispatch.
fn compare_then_branch(out: &mut Vec<Asm>) -> bool {
    // The comparison's position: an error (comparing a string) is reported there.
    let Some([(compare, span), (branch, _)]) = last_ops::<2>(out) else { return false };
    let fused = match (compare, branch) {
        (Instr::Lt {}, Instr::JumpIfFalse { target }) => Instr::LtJumpIfFalse { target },
        (Instr::Lt {}, Instr::JumpIfTrue { target }) => Instr::LtJumpIfTrue { target },
        (Instr::Gt {}, Instr::JumpIfFalse { target }) => Instr::GtJumpIfFalse { target },
        (Instr::Gt {}, Instr::JumpIfTrue { target }) => Instr::GtJumpIfTrue { target },
        (Instr::Le {}, Instr::JumpIfFalse { target }) => Instr::LeJumpIfFalse { target },
        (Instr::Le {}, Instr::JumpIfTrue { target }) => Instr::LeJumpIfTrue { target },
        (Instr::Ge {}, Instr::JumpIfFalse { target }) => Instr::GeJumpIfFalse { target },
        (Instr::Ge {}, Instr::JumpIfTrue { target }) => Instr::GeJumpIfTrue { target },
        (Instr::NumEq {}, Instr::JumpIfFalse { target }) => Instr::NumEqJumpIfFalse { target },
        (Instr::NumEq {}, Instr::JumpIfTrue { target }) => Instr::NumEqJumpIfTrue { target },
        _ => return false,
    };
    replace_tail(out, 2, &[Asm::Op(fused, span)]);
    true
}

/// `LoadLocal s; Int k; Add` → `AddLocalInt s k` (`(+ i 1)` in loops), and `Sub` →
/// `SubLocalInt s k` (`(- n 1)` in recursions). A last-use `MoveLocal` fuses too:
/// leaving the value in the dead slot changes nothing.
fn local_int_arith(out: &mut Vec<Asm>) -> bool {
    let Some([(Instr::LoadLocal { slot } | Instr::MoveLocal { slot }, _), (Instr::Int { value }, _), (op, span)]) =
        last_ops::<3>(out)
    else {
        return false;
    };
    let fused = match op {
        Instr::Add {} => Instr::AddLocalInt { slot, value },
        Instr::Sub {} => Instr::SubLocalInt { slot, value },
        _ => return false,
    };
    replace_tail(out, 3, &[Asm::Op(fused, span)]);
    true
}

/// A push with no effect followed by `Pop` → nothing.
fn pure_push_then_pop(out: &mut Vec<Asm>) -> bool {
    let Some([(push, _), (Instr::Pop {}, _)]) = last_ops::<2>(out) else { return false };
    let pure = matches!(
        push,
        Instr::Nil {}
            | Instr::True {}
            | Instr::False {}
            | Instr::Int { .. }
            | Instr::Const { .. }
            | Instr::LoadLocal { .. }
            | Instr::MoveLocal { .. }
            | Instr::LoadCapture { .. }
            | Instr::LoadSelf {}
            | Instr::Closure { .. }
    );
    if pure {
        replace_tail(out, 2, &[]);
    }
    pure
}

/// `Dup; StoreX; Pop` → `StoreX`: an assignment whose value is not used.
fn store_keeping_then_pop(out: &mut Vec<Asm>) -> bool {
    let Some([(Instr::Dup {}, _), (store, span), (Instr::Pop {}, _)]) = last_ops::<3>(out) else { return false };
    let is_store = matches!(
        store,
        Instr::StoreLocal { .. } | Instr::StoreCellLocal { .. } | Instr::StoreCellCapture { .. } | Instr::StoreGlobal { .. }
    );
    if is_store {
        replace_tail(out, 3, &[Asm::Op(store, span)]);
    }
    is_store
}

#[cfg(test)]
mod tests {
    use super::*;
    use bundle_format::opcodes::{Slot, SmallInt};

    fn op(instr: Instr<Label>) -> Asm {
        Asm::Op(instr, Default::default())
    }

    fn run(code: Vec<Asm>) -> Vec<Asm> {
        let mut code = code;
        optimise(&mut code);
        code
    }

    #[test]
    fn not_before_a_branch_flips_the_branch() {
        let before = vec![op(Instr::LoadLocal { slot: Slot(0) }), op(Instr::Not {}), op(Instr::JumpIfFalse { target: Label(3) })];
        let after = vec![op(Instr::LoadLocal { slot: Slot(0) }), op(Instr::JumpIfTrue { target: Label(3) })];
        assert_eq!(run(before), after);
    }

    #[test]
    fn a_comparison_before_a_branch_fuses_with_it() {
        let before = vec![op(Instr::Lt {}), op(Instr::JumpIfFalse { target: Label(4) })];
        assert_eq!(run(before), vec![op(Instr::LtJumpIfFalse { target: Label(4) })]);
        // `(if (not (< y x)) ...)`: the `not` flips the branch first, then it fuses.
        let before = vec![op(Instr::Lt {}), op(Instr::Not {}), op(Instr::JumpIfFalse { target: Label(4) })];
        assert_eq!(run(before), vec![op(Instr::LtJumpIfTrue { target: Label(4) })]);
        let before = vec![op(Instr::NumEq {}), op(Instr::JumpIfTrue { target: Label(1) })];
        assert_eq!(run(before), vec![op(Instr::NumEqJumpIfTrue { target: Label(1) })]);
        // A comparison whose value is kept (`and`/`or`) stays as it is.
        let before = vec![op(Instr::Ge {}), op(Instr::JumpIfFalseOrPop { target: Label(1) })];
        assert_eq!(run(before.clone()), before);
        let before = vec![op(Instr::Gt {}), Asm::Label(Label(2)), op(Instr::JumpIfFalse { target: Label(2) })];
        assert_eq!(run(before.clone()), before);
    }

    #[test]
    fn local_plus_literal_fuses() {
        let before = vec![op(Instr::LoadLocal { slot: Slot(2) }), op(Instr::Int { value: SmallInt(1) }), op(Instr::Add {})];
        assert_eq!(run(before), vec![op(Instr::AddLocalInt { slot: Slot(2), value: SmallInt(1) })]);
        let before = vec![op(Instr::MoveLocal { slot: Slot(0) }), op(Instr::Int { value: SmallInt(3) }), op(Instr::Sub {})];
        assert_eq!(run(before), vec![op(Instr::SubLocalInt { slot: Slot(0), value: SmallInt(3) })]);
        let before = vec![op(Instr::LoadLocal { slot: Slot(0) }), op(Instr::Int { value: SmallInt(3) }), op(Instr::Mul {})];
        assert_eq!(run(before.clone()), before);
    }

    #[test]
    fn two_local_loads_pair_up() {
        let load = |i| op(Instr::LoadLocal { slot: Slot(i) });
        let pair = |a, b| op(Instr::LoadLocal2 { a: Slot(a), b: Slot(b) });
        let lt = op(Instr::LtJumpIfFalse { target: Label(0) });
        assert_eq!(run(vec![load(1), load(0), lt.clone()]), vec![pair(1, 0), lt]);
        // Three loads: the first two pair, the third stays.
        assert_eq!(run(vec![load(0), load(1), load(2)]), vec![pair(0, 1), load(2)]);
        // `(f a (+ b 1))`: b fuses into AddLocalInt first, so a stays alone.
        let before = vec![load(0), load(1), op(Instr::Int { value: SmallInt(1) }), op(Instr::Add {})];
        let after = vec![load(0), op(Instr::AddLocalInt { slot: Slot(1), value: SmallInt(1) })];
        assert_eq!(run(before), after);
        let across_label = vec![load(0), Asm::Label(Label(1)), load(1)];
        assert_eq!(run(across_label.clone()), across_label);
    }

    #[test]
    fn unused_pure_values_disappear() {
        let before = vec![op(Instr::Int { value: SmallInt(5) }), op(Instr::Pop {}), op(Instr::Nil {})];
        assert_eq!(run(before), vec![op(Instr::Nil {})]);
        let before = vec![op(Instr::Nil {}), op(Instr::Dup {}), op(Instr::StoreLocal { slot: Slot(0) }), op(Instr::Pop {})];
        assert_eq!(run(before), vec![op(Instr::Nil {}), op(Instr::StoreLocal { slot: Slot(0) })]);
    }

    #[test]
    fn rules_never_reach_across_a_label() {
        let before = vec![op(Instr::Not {}), Asm::Label(Label(0)), op(Instr::JumpIfFalse { target: Label(0) })];
        assert_eq!(run(before.clone()), before);
        let before = vec![op(Instr::Int { value: SmallInt(1) }), Asm::Label(Label(1)), op(Instr::Pop {})];
        assert_eq!(run(before.clone()), before);
    }
}
