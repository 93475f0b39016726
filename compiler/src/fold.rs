//! Constant folding over the IR.
//!
//! Arithmetic on literal numbers is computed with the runtime's own functions (the
//! ones the VM runs), so a folded result is exactly what running would give. An
//! expression whose evaluation raises (`(/ 1 0)`) is left alone to raise at run time.
//! `if`/`and`/`or` with literal tests keep only the branch that runs, and literals
//! whose value is discarded in a sequence are dropped.

use sema_runtime::num;
use sema_runtime::value::Value;

use crate::intrinsics::{Fold, Intrinsic};
use crate::ir::{Expr, ExprKind, Literal, Program};

pub fn fold_program(program: &mut Program) {
    for function in &mut program.functions {
        fold(&mut function.body);
    }
}

fn truthy(lit: &Literal) -> bool {
    !matches!(lit, Literal::Nil | Literal::Bool(false))
}

fn literal(e: &Expr) -> Option<&Literal> {
    match &e.kind {
        ExprKind::Const(lit) => Some(lit),
        _ => None,
    }
}

/// Folds `e` in place, children first.
pub fn fold(e: &mut Expr) {
    match &mut e.kind {
        ExprKind::Const(_) | ExprKind::Local(_) | ExprKind::SelfRef | ExprKind::Global(_) | ExprKind::Lambda(_) => {}
        ExprKind::SetLocal(_, v) | ExprKind::SetGlobal(_, v) | ExprKind::DefineGlobal(_, v) | ExprKind::Throw(v) => {
            fold(v)
        }
        ExprKind::Let(bindings, body) => {
            bindings.iter_mut().for_each(|(_, init)| fold(init));
            fold(body);
        }
        ExprKind::Declare(_, body) => fold(body),
        ExprKind::If(t, a, b) => {
            fold(t);
            fold(a);
            fold(b);
        }
        ExprKind::Seq(items) | ExprKind::And(items) | ExprKind::Or(items) => items.iter_mut().for_each(fold),
        ExprKind::Loop { steps, test, body, result } => {
            steps.iter_mut().for_each(|(_, s)| fold(s));
            fold(test);
            fold(body);
            fold(result);
        }
        ExprKind::Call(f, args) => {
            fold(f);
            args.iter_mut().for_each(fold);
        }
        ExprKind::CallGlobal(_, args)
        | ExprKind::Intrinsic(_, args)
        | ExprKind::MakeList(args)
        | ExprKind::MakeVector(args) => args.iter_mut().for_each(fold),
        ExprKind::MakeMap(pairs) => pairs.iter_mut().for_each(|(k, v)| {
            fold(k);
            fold(v);
        }),
        ExprKind::Try(body, _, handler) => {
            fold(body);
            fold(handler);
        }
        ExprKind::NamedLoop { inits, body, .. } => {
            inits.iter_mut().for_each(fold);
            fold(body);
        }
        ExprKind::Recur(_, args) => args.iter_mut().for_each(fold),
    }
    if let Some(folded) = fold_node(e) {
        e.kind = folded;
    }
}

fn fold_node(e: &mut Expr) -> Option<ExprKind> {
    match &mut e.kind {
        ExprKind::Intrinsic(op, args) => {
            let lits: Vec<&Literal> = args.iter().map(literal).collect::<Option<_>>()?;
            fold_intrinsic(*op, &lits).map(ExprKind::Const)
        }
        ExprKind::If(test, then, otherwise) => {
            let test = literal(test)?;
            let taken = if truthy(test) { then } else { otherwise };
            Some(std::mem::replace(&mut taken.kind, ExprKind::Const(Literal::Nil)))
        }
        ExprKind::And(_) | ExprKind::Or(_) => {
            let is_and = matches!(e.kind, ExprKind::And(_));
            let (ExprKind::And(items) | ExprKind::Or(items)) = &mut e.kind else { unreachable!() };
            // A literal that decides the result ends the chain; one that does not is skipped.
            let mut kept = Vec::new();
            let last = items.len().saturating_sub(1);
            for (index, item) in items.drain(..).enumerate() {
                if index == last {
                    kept.push(item);
                    break;
                }
                match literal(&item) {
                    Some(lit) if truthy(lit) != is_and => {
                        kept.push(item);
                        break;
                    }
                    Some(_) => {}
                    None => kept.push(item),
                }
            }
            match kept.len() {
                0 => Some(ExprKind::Const(Literal::Bool(is_and))),
                1 => Some(kept.pop().expect("one item").kind),
                _ if is_and => Some(ExprKind::And(kept)),
                _ => Some(ExprKind::Or(kept)),
            }
        }
        ExprKind::Seq(items) => {
            let last = items.len().checked_sub(1)?;
            let before = items.len();
            let mut index = 0;
            items.retain(|item| {
                let keep = index == last || !matches!(item.kind, ExprKind::Const(_) | ExprKind::Local(_));
                index += 1;
                keep
            });
            match items.len() {
                1 => Some(items.pop().expect("one item").kind),
                n if n != before => None,
                _ => None,
            }
        }
        _ => None,
    }
}

fn to_value(lit: &Literal) -> Option<Value> {
    Some(match lit {
        Literal::Nil => Value::Nil,
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Int(i) => Value::Int(*i),
        Literal::BigInt(text) => num::from_bigint(text.parse().ok()?),
        Literal::Float(f) => Value::Float(*f),
        Literal::Rational(n, d) => {
            num::from_rational(num_rational::BigRational::new(n.parse().ok()?, d.parse().ok()?))
        }
        Literal::Complex(re, im) => num::complex(to_value(re)?, to_value(im)?),
        _ => return None,
    })
}

fn to_literal(value: &Value) -> Option<Literal> {
    Some(match value {
        Value::Nil => Literal::Nil,
        Value::Bool(b) => Literal::Bool(*b),
        Value::Int(i) => Literal::Int(*i),
        Value::BigInt(b) => Literal::BigInt(b.to_string()),
        Value::Float(f) => Literal::Float(*f),
        Value::Rational(r) => Literal::Rational(r.numer().to_string(), r.denom().to_string()),
        Value::Complex(c) => Literal::Complex(Box::new(to_literal(&c.re)?), Box::new(to_literal(&c.im)?)),
        _ => return None,
    })
}

/// The literal as a runtime number, if it is one.
fn number(lit: &Literal) -> Option<Value> {
    to_value(lit).filter(Value::is_number)
}

/// Evaluates an intrinsic on literal operands as its table row says; `None` when it
/// would raise or is not a numeric/boolean computation.
fn fold_intrinsic(op: Intrinsic, args: &[&Literal]) -> Option<Literal> {
    let result = match (op.def().fold, args) {
        (Fold::Not, [arg]) => return Some(Literal::Bool(!truthy(arg))),
        (Fold::Unary(f), [a]) => f(&number(a)?),
        (Fold::Binary(f), [a, b]) => f(&number(a)?, &number(b)?),
        _ => return None,
    };
    let literal = to_literal(&result.ok()?)?;
    // Keep huge exact results out of the constant pool's decimal text limit.
    let too_long = |lit: &Literal| matches!(lit, Literal::BigInt(text) if text.len() > 4096);
    match &literal {
        Literal::Complex(re, im) if too_long(re) || too_long(im) => return None,
        lit if too_long(lit) => return None,
        _ => {}
    }
    Some(literal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::Span;

    fn int(i: i64) -> Expr {
        Expr::new(ExprKind::Const(Literal::Int(i)), Span::default())
    }

    fn op(op: Intrinsic, args: Vec<Expr>) -> Expr {
        Expr::new(ExprKind::Intrinsic(op, args), Span::default())
    }

    fn folded(mut e: Expr) -> ExprKind {
        fold(&mut e);
        e.kind
    }

    #[test]
    fn arithmetic_on_literals_folds_with_runtime_semantics() {
        // (+ 1 (* 2 3)) → 7
        assert_eq!(folded(op(Intrinsic::Add, vec![int(1), op(Intrinsic::Mul, vec![int(2), int(3)])])), ExprKind::Const(Literal::Int(7)));
        // (/ 1 2) → 1/2, exact as at run time
        assert_eq!(
            folded(op(Intrinsic::Div, vec![int(1), int(2)])),
            ExprKind::Const(Literal::Rational("1".into(), "2".into()))
        );
        // overflow promotes like the VM does
        assert_eq!(
            folded(op(Intrinsic::Add, vec![int(i64::MAX), int(1)])),
            ExprKind::Const(Literal::BigInt("9223372036854775808".into()))
        );
    }

    #[test]
    fn expressions_that_raise_are_not_folded() {
        let before = op(Intrinsic::Div, vec![int(1), int(0)]);
        assert_eq!(folded(before.clone()), before.kind);
        let before = op(Intrinsic::Mod, vec![int(1), int(0)]);
        assert_eq!(folded(before.clone()), before.kind);
    }

    #[test]
    fn literal_tests_keep_only_the_taken_branch() {
        let e = Expr::new(
            ExprKind::If(Box::new(op(Intrinsic::Lt, vec![int(1), int(2)])), Box::new(int(10)), Box::new(int(20))),
            Span::default(),
        );
        assert_eq!(folded(e), ExprKind::Const(Literal::Int(10)));
        let and = Expr::new(ExprKind::And(vec![int(1), Expr::new(ExprKind::Const(Literal::Bool(false)), Span::default()), int(3)]), Span::default());
        assert_eq!(folded(and), ExprKind::Const(Literal::Bool(false)));
    }
}
