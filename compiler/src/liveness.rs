//! Last-use analysis: which reads of a local are the last before the local dies.
//!
//! Code generation turns such a read into `MoveOut`, which takes the value out of
//! its register instead of copying it. The value then reaches its consumer with one
//! reference fewer, so `(assoc acc k v)` on a fold's accumulator finds the map
//! unshared and updates it in place instead of copying it.
//!
//! The analysis is a backward liveness pass over one function's IR. Only plain locals
//! owned by the function qualify (not cells, not captures). Loops are solved to a
//! fixpoint, so a loop variable's read in its own step can move. Reads inside a `try`
//! body are never marked: the handler may run after any point of the body.

use std::collections::{HashMap, HashSet};

use crate::ir::{Expr, ExprKind, FnId, LocalId, Program};

type Live = HashSet<LocalId>;

/// The addresses of the `Local` reads in function `fn_id` that are last uses.
pub fn last_uses(program: &Program, fn_id: FnId) -> HashSet<*const Expr> {
    let mut analysis = Analysis { program, fn_id, marks: HashSet::new(), loop_heads: HashMap::new() };
    let body = &program.functions[fn_id as usize].body;
    analysis.live(body, Live::new(), false);
    analysis.marks
}

struct Analysis<'a> {
    program: &'a Program,
    fn_id: FnId,
    marks: HashSet<*const Expr>,
    /// For each `NamedLoop` being analysed: its variables and what is live at the top
    /// of its body.
    loop_heads: HashMap<FnId, (Vec<LocalId>, Live)>,
}

impl Analysis<'_> {
    fn candidate(&self, local: LocalId) -> bool {
        let info = &self.program.locals[local as usize];
        info.owner == self.fn_id && !info.boxed()
    }

    /// Locals live before `e`, given those live after it. With `frozen`, reads are
    /// never marked as last uses.
    fn live(&mut self, e: &Expr, after: Live, frozen: bool) -> Live {
        match &e.kind {
            ExprKind::Const(_) | ExprKind::Global(_) | ExprKind::SelfRef => after,
            ExprKind::Local(local) => {
                let mut live = after;
                if self.candidate(*local) && !live.contains(local) && !frozen {
                    self.marks.insert(e as *const Expr);
                }
                live.insert(*local);
                live
            }
            ExprKind::SetLocal(local, value) => {
                let mut live = after;
                live.remove(local);
                self.live(value, live, frozen)
            }
            ExprKind::SetGlobal(_, value) | ExprKind::DefineGlobal(_, value) | ExprKind::Throw(value) => {
                self.live(value, after, frozen)
            }
            ExprKind::Let(bindings, body) => {
                let mut live = self.live(body, after, frozen);
                for (local, init) in bindings.iter().rev() {
                    live.remove(local);
                    live = self.live(init, live, frozen);
                }
                live
            }
            ExprKind::Declare(locals, body) => {
                let mut live = self.live(body, after, frozen);
                for local in locals {
                    live.remove(local);
                }
                live
            }
            ExprKind::If(test, then, otherwise) => {
                let mut live = self.live(then, after.clone(), frozen);
                live.extend(self.live(otherwise, after, frozen));
                self.live(test, live, frozen)
            }
            ExprKind::Seq(items) => items.iter().rev().fold(after, |live, item| self.live(item, live, frozen)),
            ExprKind::And(items) | ExprKind::Or(items) => {
                // Any item but the last may end the chain, so what is live after the
                // whole form is live after each of them.
                let (last, rest) = items.split_last().expect("and/or with items");
                let mut live = self.live(last, after.clone(), frozen);
                for item in rest.iter().rev() {
                    live.extend(after.iter().copied());
                    live = self.live(item, live, frozen);
                }
                live
            }
            ExprKind::Loop { steps, test, body, result } => {
                // Iterate to a fixpoint without marking, then mark once with the final sets.
                let live_result = self.live(result, after, frozen);
                let mut live_top = live_result.clone();
                loop {
                    let next = self.loop_pass(steps, test, body, &live_result, &live_top, true);
                    if next == live_top {
                        break;
                    }
                    live_top = next;
                }
                if frozen {
                    live_top
                } else {
                    self.loop_pass(steps, test, body, &live_result, &live_top, false)
                }
            }
            ExprKind::Lambda(child) => {
                // Creating the closure copies the locals it captures from this frame.
                let mut live = after;
                for &local in &self.program.functions[*child as usize].captures {
                    if self.program.locals[local as usize].owner == self.fn_id {
                        live.insert(local);
                    }
                }
                live
            }
            ExprKind::Call(callee, args) => {
                let live = self.args(args, after, frozen);
                self.live(callee, live, frozen)
            }
            ExprKind::CallGlobal(_, args)
            | ExprKind::Intrinsic(_, args)
            | ExprKind::MakeList(args)
            | ExprKind::MakeVector(args) => self.args(args, after, frozen),
            ExprKind::MakeMap(pairs) => pairs.iter().rev().fold(after, |live, (k, v)| {
                let live = self.live(v, live, frozen);
                self.live(k, live, frozen)
            }),
            ExprKind::NamedLoop { id, vars, inits, body } => {
                // The top of the body is reached from the entry and from every Recur:
                // iterate without marking to a fixpoint, then mark once.
                let mut head = Live::new();
                loop {
                    self.loop_heads.insert(*id, (vars.clone(), head.clone()));
                    let next = self.live(body, after.clone(), true);
                    if next == head {
                        break;
                    }
                    head = next;
                }
                if !frozen {
                    self.loop_heads.insert(*id, (vars.clone(), head.clone()));
                    head = self.live(body, after, false);
                }
                for var in vars {
                    head.remove(var);
                }
                self.args(inits, head, frozen)
            }
            ExprKind::Recur(id, args) => {
                // Control goes back to the loop's top (the variables are assigned on
                // the way), not to what follows.
                let (vars, head) = self.loop_heads.get(id).cloned().expect("Recur inside its NamedLoop");
                let mut next = head;
                for var in &vars {
                    next.remove(var);
                }
                self.args(args, next, frozen)
            }
            ExprKind::Try(body, local, handler) => {
                let mut at_handler = self.live(handler, after.clone(), frozen);
                at_handler.remove(local);
                let mut live_after_body = after;
                live_after_body.extend(at_handler.iter().copied());
                let mut live = self.live(body, live_after_body, true);
                live.extend(at_handler);
                live
            }
        }
    }

    /// One backward pass over a loop: stores of the steps (which kill the loop
    /// variables), the steps, the body, then the test, which can leave to `result`.
    fn loop_pass(
        &mut self,
        steps: &[(LocalId, Expr)],
        test: &Expr,
        body: &Expr,
        live_result: &Live,
        live_top: &Live,
        frozen: bool,
    ) -> Live {
        let mut live = live_top.clone();
        for (local, _) in steps {
            live.remove(local);
        }
        for (_, step) in steps.iter().rev() {
            live = self.live(step, live, frozen);
        }
        let mut live = self.live(body, live, frozen);
        live.extend(live_result.iter().copied());
        self.live(test, live, frozen)
    }

    fn args(&mut self, args: &[Expr], after: Live, frozen: bool) -> Live {
        args.iter().rev().fold(after, |live, arg| self.live(arg, live, frozen))
    }
}
