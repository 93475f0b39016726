//! Code generation: IR to instructions with symbolic labels.
//!
//! Each function becomes a list of [`Asm`] items (instructions carrying their source
//! span, and labels). Jump targets here are [`Label`]s; `assemble` turns them into
//! byte offsets. Every expression is compiled either for its value or in tail
//! position, where it must leave the function (a `Return` or a tail call).

use std::collections::{HashMap, HashSet};

use bundle_format::bundle::{Capture, Constant};
use bundle_format::opcodes::{Argc, CaptureIdx, ConstIdx, Count, Instr, ProtoIdx, Slot, SmallInt, SymIdx};

use crate::ir::{Expr, ExprKind, FnId, Function, Literal, LocalId, Program};
use crate::liveness;
use crate::error::{error, Result};
use crate::syntax::Span;

/// A symbolic jump destination in one function's code before assembly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Label(pub u32);

/// An instruction with its source position, or a label.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Asm {
    Op(Instr<Label>, Span),
    Label(Label),
}

/// A function's code before assembly.
pub struct FnCode {
    pub name: Option<SymIdx>,
    pub arity: u16,
    pub rest: bool,
    pub locals: u16,
    pub captures: Vec<Capture>,
    pub asm: Vec<Asm>,
}

/// The bundle's symbol table and constant pool, filled in first-use order so the
/// output is deterministic.
#[derive(Default)]
pub struct Tables {
    pub symbols: Vec<String>,
    symbol_index: HashMap<String, u32>,
    pub constants: Vec<Constant>,
    constant_index: HashMap<String, u32>,
    /// Capture descriptors of each function, recorded where its closure is created.
    captures: HashMap<FnId, Vec<Capture>>,
}

impl Tables {
    pub fn symbol(&mut self, name: &str) -> SymIdx {
        if let Some(&i) = self.symbol_index.get(name) {
            return SymIdx(i);
        }
        let i = self.symbols.len() as u32;
        self.symbols.push(name.to_string());
        self.symbol_index.insert(name.to_string(), i);
        SymIdx(i)
    }

    fn add_constant(&mut self, constant: Constant) -> ConstIdx {
        // Debug text distinguishes every constant, including -0.0 from 0.0.
        let key = format!("{constant:?}");
        if let Some(&i) = self.constant_index.get(&key) {
            return ConstIdx(i);
        }
        let i = self.constants.len() as u32;
        self.constants.push(constant);
        self.constant_index.insert(key, i);
        ConstIdx(i)
    }

    pub fn constant(&mut self, literal: &Literal) -> ConstIdx {
        let constant = match literal {
            Literal::Nil => Constant::Nil,
            Literal::Bool(b) => Constant::Bool(*b),
            Literal::Int(i) => Constant::Int(*i),
            Literal::BigInt(text) => Constant::BigInt(text.clone()),
            Literal::Float(f) => Constant::Float(*f),
            Literal::Rational(n, d) => Constant::Rational(n.clone(), d.clone()),
            Literal::Complex(re, im) => Constant::Complex(self.constant(re), self.constant(im)),
            Literal::Str(s) => Constant::Str(s.clone()),
            Literal::Char(c) => Constant::Char(*c as u32),
            Literal::Symbol(s) => Constant::Symbol(self.symbol(s)),
            Literal::Keyword(k) => Constant::Keyword(self.symbol(k)),
            Literal::List(items) => Constant::List(items.iter().map(|i| self.constant(i)).collect()),
            Literal::Vector(items) => Constant::Vector(items.iter().map(|i| self.constant(i)).collect()),
            Literal::Map(pairs) => {
                Constant::Map(pairs.iter().map(|(k, v)| (self.constant(k), self.constant(v))).collect())
            }
            Literal::Bytevector(bytes) => Constant::Bytevector(bytes.clone()),
        };
        self.add_constant(constant)
    }
}

/// Generates code for every function of the program, in function-id order.
pub fn generate(program: &Program, tables: &mut Tables) -> Result<Vec<FnCode>> {
    let mut codes = (0..program.functions.len())
        .map(|id| FnGen::generate(program, id as FnId, tables))
        .collect::<Result<Vec<_>>>()?;
    for (id, code) in codes.iter_mut().enumerate() {
        match tables.captures.remove(&(id as FnId)) {
            Some(captures) => code.captures = captures,
            // No closure of it is ever made (folding removed the lambda): its code
            // would name captures nobody provides, so it becomes a stub.
            None if !program.functions[id].captures.is_empty() => {
                let span = program.functions[id].span;
                code.asm = vec![Asm::Op(Instr::Nil {}, span), Asm::Op(Instr::Return {}, span)];
            }
            None => {}
        }
    }
    Ok(codes)
}

/// Drops the functions no `Closure` instruction makes (named lets inlined as loops,
/// lambdas folded away) and renumbers the `Closure` operands of the rest; the entry
/// (function 0) stays. Returns the kept functions with their old ids, in order.
pub fn drop_unused(codes: Vec<FnCode>) -> Vec<(FnId, FnCode)> {
    let mut used = vec![false; codes.len()];
    if let Some(entry) = used.first_mut() {
        *entry = true;
    }
    for item in codes.iter().flat_map(|code| &code.asm) {
        if let Asm::Op(Instr::Closure { proto }, _) = item {
            used[proto.0 as usize] = true;
        }
    }
    let mut new_ids = vec![0u32; codes.len()];
    let mut next = 0;
    for (id, _) in used.iter().enumerate().filter(|(_, used)| **used) {
        new_ids[id] = next;
        next += 1;
    }
    let mut kept = Vec::with_capacity(next as usize);
    for (id, mut code) in codes.into_iter().enumerate().filter(|(id, _)| used[*id]) {
        for item in &mut code.asm {
            if let Asm::Op(Instr::Closure { proto }, _) = item {
                *proto = ProtoIdx(new_ids[proto.0 as usize]);
            }
        }
        kept.push((id as FnId, code));
    }
    kept
}

struct FnGen<'a> {
    program: &'a Program,
    function: &'a Function,
    fn_id: FnId,
    tables: &'a mut Tables,
    slots: HashMap<LocalId, u16>,
    next_slot: u32,
    asm: Vec<Asm>,
    next_label: u32,
    /// Reads that are a local's last use (see `liveness`).
    last_uses: HashSet<*const Expr>,
    /// The inlined named lets being generated: their top label and variables.
    loops: HashMap<FnId, (Label, Vec<LocalId>)>,
}

impl<'a> FnGen<'a> {
    fn generate(program: &'a Program, fn_id: FnId, tables: &'a mut Tables) -> Result<FnCode> {
        let function = &program.functions[fn_id as usize];
        let mut gen = FnGen {
            program,
            function,
            fn_id,
            tables,
            slots: HashMap::new(),
            next_slot: 0,
            asm: Vec::new(),
            next_label: 0,
            last_uses: liveness::last_uses(program, fn_id),
            loops: HashMap::new(),
        };
        let params: Vec<LocalId> = function.params.iter().chain(function.rest.iter()).copied().collect();
        for &param in &params {
            gen.slot(param, function.span)?;
        }
        for &param in &params {
            if gen.boxed(param) {
                let slot = gen.slots[&param];
                gen.emit(Instr::MakeCell { slot: Slot(slot) }, function.span);
            }
        }
        gen.expr(&function.body, true)?;
        let name = function.name.as_deref().map(|n| gen.tables.symbol(n));
        if function.params.len() > u16::MAX as usize {
            return error(function.span, "too many parameters");
        }
        Ok(FnCode {
            name,
            arity: function.params.len() as u16,
            rest: function.rest.is_some(),
            locals: gen.next_slot as u16,
            captures: Vec::new(),
            asm: gen.asm,
        })
    }

    fn emit(&mut self, instr: Instr<Label>, span: Span) {
        self.asm.push(Asm::Op(instr, span));
    }

    fn label(&mut self) -> Label {
        self.next_label += 1;
        Label(self.next_label - 1)
    }

    fn place(&mut self, label: Label) {
        self.asm.push(Asm::Label(label));
    }

    fn boxed(&self, local: LocalId) -> bool {
        self.program.locals[local as usize].boxed()
    }

    fn owned(&self, local: LocalId) -> bool {
        self.program.locals[local as usize].owner == self.fn_id
    }

    fn slot(&mut self, local: LocalId, span: Span) -> Result<u16> {
        if let Some(&slot) = self.slots.get(&local) {
            return Ok(slot);
        }
        if self.next_slot > u16::MAX as u32 {
            return error(span, "function has too many local variables");
        }
        let slot = self.next_slot as u16;
        self.next_slot += 1;
        self.slots.insert(local, slot);
        Ok(slot)
    }

    /// A call of the running function by itself with exactly its parameters (a named
    /// let's loop call), which `TailCallSelf` runs by restarting the frame.
    fn is_self_call(&self, callee: &Expr, args: &[Expr]) -> bool {
        matches!(callee.kind, ExprKind::SelfRef) && self.function.rest.is_none() && args.len() == self.function.params.len()
    }

    fn capture_index(&self, local: LocalId) -> u16 {
        self.function.captures.iter().position(|&c| c == local).expect("lowering records every capture") as u16
    }

    fn ret_if(&mut self, tail: bool, span: Span) {
        if tail {
            self.emit(Instr::Return {}, span);
        }
    }

    fn load_local(&mut self, local: LocalId, span: Span) -> Result<()> {
        let boxed = self.boxed(local);
        let instr = if self.owned(local) {
            let slot = Slot(self.slot(local, span)?);
            if boxed { Instr::LoadCellLocal { slot } } else { Instr::LoadLocal { slot } }
        } else {
            let idx = CaptureIdx(self.capture_index(local));
            if boxed { Instr::LoadCellCapture { idx } } else { Instr::LoadCapture { idx } }
        };
        self.emit(instr, span);
        Ok(())
    }

    /// Stores the value on top of the stack into an existing binding.
    fn store_local(&mut self, local: LocalId, span: Span) -> Result<()> {
        let instr = if self.owned(local) {
            let slot = Slot(self.slot(local, span)?);
            if self.boxed(local) { Instr::StoreCellLocal { slot } } else { Instr::StoreLocal { slot } }
        } else {
            // Lowering marks assigned captures, so they are boxed.
            Instr::StoreCellCapture { idx: CaptureIdx(self.capture_index(local)) }
        };
        self.emit(instr, span);
        Ok(())
    }

    /// Jumps to `target` when the truthiness of `test` is `when`, falls through
    /// otherwise. An `and` or `or` in a test is compiled as jumps, without producing its
    /// value, so each of its comparisons can fuse with its branch (peephole): an item
    /// that settles the whole form (false in an `and`, true in an `or`) jumps straight
    /// to the outcome; when the form settles the other way, the items before the last
    /// skip past it instead.
    fn jump_when(&mut self, test: &Expr, when: bool, target: Label) -> Result<()> {
        match &test.kind {
            ExprKind::And(items) | ExprKind::Or(items) => {
                let settles_on = matches!(test.kind, ExprKind::Or(_));
                if settles_on == when {
                    return items.iter().try_for_each(|item| self.jump_when(item, when, target));
                }
                let (last, rest) = items.split_last().expect("lowering gives and/or two or more items");
                let settled = self.label();
                for item in rest {
                    self.jump_when(item, settles_on, settled)?;
                }
                self.jump_when(last, when, target)?;
                self.place(settled);
                Ok(())
            }
            _ => {
                self.expr(test, false)?;
                self.emit(if when { Instr::JumpIfTrue { target } } else { Instr::JumpIfFalse { target } }, test.span);
                Ok(())
            }
        }
    }

    /// Stores the values on top of the stack into a loop's variables, last first. The
    /// raw values: the top of the loop boxes the ones that live in cells.
    fn store_loop_vars(&mut self, vars: &[LocalId], span: Span) -> Result<()> {
        for &var in vars.iter().rev() {
            let slot = Slot(self.slot(var, span)?);
            self.emit(Instr::StoreLocal { slot }, span);
        }
        Ok(())
    }

    /// Binds a fresh local to the value on top of the stack (a new cell when boxed).
    fn bind_new(&mut self, local: LocalId, span: Span) -> Result<()> {
        let slot = Slot(self.slot(local, span)?);
        self.emit(Instr::StoreLocal { slot }, span);
        if self.boxed(local) {
            self.emit(Instr::MakeCell { slot }, span);
        }
        Ok(())
    }

    fn push_literal(&mut self, literal: &Literal, span: Span) {
        let instr = match literal {
            Literal::Nil => Instr::Nil {},
            Literal::Bool(true) => Instr::True {},
            Literal::Bool(false) => Instr::False {},
            Literal::Int(i) if i32::try_from(*i).is_ok() => Instr::Int { value: SmallInt(*i as i32) },
            other => Instr::Const { idx: self.tables.constant(other) },
        };
        self.emit(instr, span);
    }

    fn count(n: usize, span: Span) -> Result<Count> {
        u32::try_from(n).map(Count).or_else(|_| error(span, "too many elements"))
    }

    fn argc(n: usize, span: Span) -> Result<Argc> {
        u16::try_from(n).map(Argc).or_else(|_| error(span, "too many arguments in one call"))
    }

    fn exprs(&mut self, exprs: &[Expr]) -> Result<()> {
        exprs.iter().try_for_each(|e| self.expr(e, false))
    }

    /// Compiles `e`; in tail position the code leaves the function.
    fn expr(&mut self, e: &Expr, tail: bool) -> Result<()> {
        let span = e.span;
        match &e.kind {
            ExprKind::Const(lit) => {
                self.push_literal(lit, span);
                self.ret_if(tail, span);
            }
            ExprKind::Local(local) => {
                if self.last_uses.contains(&(e as *const Expr)) {
                    let slot = Slot(self.slot(*local, span)?);
                    self.emit(Instr::MoveLocal { slot }, span);
                } else {
                    self.load_local(*local, span)?;
                }
                self.ret_if(tail, span);
            }
            ExprKind::SelfRef => {
                self.emit(Instr::LoadSelf {}, span);
                self.ret_if(tail, span);
            }
            ExprKind::Global(name) => {
                let sym = self.tables.symbol(name);
                self.emit(Instr::LoadGlobal { sym }, span);
                self.ret_if(tail, span);
            }
            ExprKind::SetLocal(local, value) => {
                self.expr(value, false)?;
                self.emit(Instr::Dup {}, span);
                self.store_local(*local, span)?;
                self.ret_if(tail, span);
            }
            ExprKind::SetGlobal(name, value) => {
                self.expr(value, false)?;
                self.emit(Instr::Dup {}, span);
                let sym = self.tables.symbol(name);
                self.emit(Instr::StoreGlobal { sym }, span);
                self.ret_if(tail, span);
            }
            ExprKind::DefineGlobal(name, value) => {
                self.expr(value, false)?;
                let sym = self.tables.symbol(name);
                self.emit(Instr::StoreGlobal { sym }, span);
                self.emit(Instr::Nil {}, span);
                self.ret_if(tail, span);
            }
            ExprKind::Let(bindings, body) => {
                for (local, init) in bindings {
                    self.expr(init, false)?;
                    self.bind_new(*local, init.span)?;
                }
                self.expr(body, tail)?;
            }
            ExprKind::Declare(locals, body) => {
                for &local in locals {
                    self.emit(Instr::Nil {}, span);
                    self.bind_new(local, span)?;
                }
                self.expr(body, tail)?;
            }
            ExprKind::If(test, then, otherwise) => {
                let else_label = self.label();
                self.jump_when(test, false, else_label)?;
                self.expr(then, tail)?;
                if tail {
                    self.place(else_label);
                    self.expr(otherwise, true)?;
                } else {
                    let end = self.label();
                    self.emit(Instr::Jump { target: end }, span);
                    self.place(else_label);
                    self.expr(otherwise, false)?;
                    self.place(end);
                }
            }
            ExprKind::Seq(items) => {
                let Some((last, rest)) = items.split_last() else {
                    self.emit(Instr::Nil {}, span);
                    self.ret_if(tail, span);
                    return Ok(());
                };
                for item in rest {
                    self.expr(item, false)?;
                    self.emit(Instr::Pop {}, item.span);
                }
                self.expr(last, tail)?;
            }
            ExprKind::And(items) | ExprKind::Or(items) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                let end = self.label();
                let (last, rest) = items.split_last().expect("lowering gives and/or two or more items");
                for item in rest {
                    self.expr(item, false)?;
                    let jump = if is_and {
                        Instr::JumpIfFalseOrPop { target: end }
                    } else {
                        Instr::JumpIfTrueOrPop { target: end }
                    };
                    self.emit(jump, item.span);
                }
                self.expr(last, tail)?;
                self.place(end);
                self.ret_if(tail, span);
            }
            ExprKind::Loop { steps, test, body, result } => {
                let top = self.label();
                let done = self.label();
                self.place(top);
                self.expr(test, false)?;
                self.emit(Instr::JumpIfTrue { target: done }, test.span);
                self.expr(body, false)?;
                self.emit(Instr::Pop {}, body.span);
                for (_, step) in steps {
                    self.expr(step, false)?;
                }
                for (local, step) in steps.iter().rev() {
                    self.store_local(*local, step.span)?;
                }
                self.emit(Instr::Jump { target: top }, span);
                self.place(done);
                self.expr(result, tail)?;
            }
            ExprKind::Lambda(fn_id) => {
                // The child's captures, as seen from this (the creating) function.
                let child = &self.program.functions[*fn_id as usize];
                let mut descriptors = Vec::with_capacity(child.captures.len());
                for &local in &child.captures {
                    descriptors.push(if self.owned(local) {
                        Capture::Local(Slot(self.slot(local, span)?))
                    } else {
                        Capture::Outer(CaptureIdx(self.capture_index(local)))
                    });
                }
                self.tables.captures.insert(*fn_id, descriptors);
                self.emit(Instr::Closure { proto: ProtoIdx(*fn_id) }, span);
                self.ret_if(tail, span);
            }
            ExprKind::Call(callee, args) if tail && self.is_self_call(callee, args) => {
                self.exprs(args)?;
                let argc = Self::argc(args.len(), span)?;
                self.emit(Instr::TailCallSelf { argc }, span);
            }
            ExprKind::Call(callee, args) => {
                self.expr(callee, false)?;
                self.exprs(args)?;
                let argc = Self::argc(args.len(), span)?;
                self.emit(if tail { Instr::TailCall { argc } } else { Instr::Call { argc } }, span);
            }
            ExprKind::CallGlobal(name, args) => {
                self.exprs(args)?;
                let argc = Self::argc(args.len(), span)?;
                let sym = self.tables.symbol(name);
                self.emit(if tail { Instr::TailCallGlobal { sym, argc } } else { Instr::CallGlobal { sym, argc } }, span);
            }
            ExprKind::Intrinsic(op, args) => {
                self.exprs(args)?;
                self.emit(op.def().instr, span);
                self.ret_if(tail, span);
            }
            ExprKind::MakeList(items) => {
                self.exprs(items)?;
                self.emit(Instr::MakeList { count: Self::count(items.len(), span)? }, span);
                self.ret_if(tail, span);
            }
            ExprKind::MakeVector(items) => {
                self.exprs(items)?;
                self.emit(Instr::MakeVector { count: Self::count(items.len(), span)? }, span);
                self.ret_if(tail, span);
            }
            ExprKind::MakeMap(pairs) => {
                for (k, v) in pairs {
                    self.expr(k, false)?;
                    self.expr(v, false)?;
                }
                self.emit(Instr::MakeMap { pairs: Self::count(pairs.len(), span)? }, span);
                self.ret_if(tail, span);
            }
            ExprKind::Try(body, local, handler) => {
                let handler_label = self.label();
                self.emit(Instr::PushHandler { target: handler_label }, span);
                self.expr(body, false)?;
                self.emit(Instr::PopHandler {}, span);
                let end = self.label();
                if tail {
                    self.emit(Instr::Return {}, span);
                } else {
                    self.emit(Instr::Jump { target: end }, span);
                }
                self.place(handler_label);
                self.bind_new(*local, span)?;
                self.expr(handler, tail)?;
                self.place(end);
            }
            ExprKind::Throw(value) => {
                self.expr(value, false)?;
                self.emit(Instr::Throw {}, span);
            }
            ExprKind::NamedLoop { id, vars, inits, body } => {
                if !tail {
                    return error(span, "internal compiler error: an inlined named let outside tail position");
                }
                self.exprs(inits)?;
                self.store_loop_vars(vars, span)?;
                let top = self.label();
                self.place(top);
                // Fresh cells each iteration, as the loop function's entry made them.
                for &var in vars {
                    if self.boxed(var) {
                        let slot = Slot(self.slot(var, span)?);
                        self.emit(Instr::MakeCell { slot }, span);
                    }
                }
                self.loops.insert(*id, (top, vars.clone()));
                self.expr(body, true)?;
            }
            ExprKind::Recur(id, args) => {
                let Some((top, vars)) = self.loops.get(id).cloned().filter(|_| tail) else {
                    return error(span, "internal compiler error: a loop call outside its loop's tail position");
                };
                self.exprs(args)?;
                self.store_loop_vars(&vars, span)?;
                self.emit(Instr::Jump { target: top }, span);
            }
        }
        Ok(())
    }
}
