//! Code generation: IR to register instructions with symbolic labels (docs/vm2.md).
//!
//! Each function becomes a list of [`Asm`] items (instructions carrying their source
//! span, and labels). Jump targets here are [`Label`]s; `assemble` turns them into
//! byte offsets.
//!
//! Registers are allocated as a stack: the parameters first, then each local when its
//! scope opens (freed when it closes), temporaries above. Every expression is compiled
//! for a destination ([`To`]): into a register, for its effects only, or in tail
//! position, where it leaves the function (a `Return` or a tail call). An expression
//! wanted "anywhere" that is a plain local of this function is read where it is, with
//! no instruction. A call's window (callee and arguments) starts at the first free
//! register, so everything above its result is dead after the call.

use std::collections::{HashMap, HashSet};

use bundle_format::bundle::{Capture, Constant};
use bundle_format::opcodes::{
    Argc, CaptureIdx, ConstIdx, Count, Instr, ProtoIdx, ShortInt, Slot, SmallArgc, SmallInt, SmallSlot, SymIdx,
    Written,
};

use crate::error::{error, Result};
use crate::intrinsics::{Form, Intrinsic};
use crate::ir::{Expr, ExprKind, FnId, Function, Literal, LocalId, Program};
use crate::liveness;
use crate::syntax::Span;

/// A return's reset bound until the assembler works it out (`assemble::written_bounds`).
/// Out of every frame's range: a return the assembler missed fails verification.
const UNBOUNDED: Written = Written(u16::MAX);

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
    /// Registers of a frame (parameters included).
    pub registers: u16,
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
                let r0 = Slot(0);
                code.asm = vec![Asm::Op(Instr::LoadNil { dst: r0 }, span), Asm::Op(Instr::Return { src: r0, written: UNBOUNDED }, span)];
                code.registers = code.registers.max(1);
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
        if let Asm::Op(Instr::Closure { proto, .. }, _) = item {
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
            if let Asm::Op(Instr::Closure { proto, .. }, _) = item {
                *proto = ProtoIdx(new_ids[proto.0 as usize]);
            }
        }
        kept.push((id as FnId, code));
    }
    kept
}

/// Where an expression's value goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum To {
    /// Into this register. The expression's code never reads the register's old value
    /// before its last instruction (see `writes_last` for when that register may be a
    /// live local's).
    Reg(Slot),
    /// Nowhere: only the effects (and errors) count.
    Effect,
    /// Out of the function: `Return` or a tail call; inside the body of a named let
    /// inlined where its value is wanted (`exit`), out of the loop instead.
    Return,
}

/// Where the tail positions of an inlined named let's body go when the loop is not
/// in tail position of its function: its value into `dst`, then a jump to `end`.
#[derive(Clone, Copy)]
struct LoopExit {
    dst: Slot,
    end: Label,
    /// The first register the loop took (above `dst`): what lives there is the loop's
    /// own and dead once it is left, so a value leaving from there moves.
    floor: u32,
}

struct FnGen<'a> {
    program: &'a Program,
    function: &'a Function,
    fn_id: FnId,
    tables: &'a mut Tables,
    /// The register of each bound local of this function.
    regs: HashMap<LocalId, Slot>,
    /// The first free register.
    next: u32,
    /// The most registers in use at once: the frame's size.
    registers: u32,
    asm: Vec<Asm>,
    next_label: u32,
    /// Reads that are a local's last use (see `liveness`).
    last_uses: HashSet<*const Expr>,
    /// The inlined named lets being generated: their top label and variables.
    loops: HashMap<FnId, (Label, Vec<LocalId>)>,
    /// Literals loaded once before the loops being generated, and their registers:
    /// an intrinsic in a loop's body reads them there instead of reloading them on
    /// every iteration.
    hoisted: Vec<(Literal, Slot)>,
    /// Set inside the body of a named let inlined in other than tail position.
    exit: Option<LoopExit>,
    /// Where a self call in tail position jumps once it has assigned the parameters:
    /// after the literals hoisted for it, before the parameters get their cells.
    top: Label,
}

impl<'a> FnGen<'a> {
    fn generate(program: &'a Program, fn_id: FnId, tables: &'a mut Tables) -> Result<FnCode> {
        let function = &program.functions[fn_id as usize];
        if function.params.len() > u16::MAX as usize {
            return error(function.span, "too many parameters");
        }
        let mut gen = FnGen {
            program,
            function,
            fn_id,
            tables,
            regs: HashMap::new(),
            next: 0,
            registers: 0,
            asm: Vec::new(),
            next_label: 0,
            last_uses: liveness::last_uses(program, fn_id),
            loops: HashMap::new(),
            hoisted: Vec::new(),
            exit: None,
            top: Label(0),
        };
        let params: Vec<LocalId> = function.params.iter().chain(function.rest.iter()).copied().collect();
        for &param in &params {
            gen.bind(param, function.span)?;
        }
        if function.rest.is_none() && calls_itself(&function.body, function.params.len()) {
            // The function may loop on itself: its literals are loaded once.
            gen.hoist_literals(&[&function.body], function.span)?;
        }
        gen.top = gen.label();
        gen.place(gen.top);
        for &param in &params {
            if gen.boxed(param) {
                gen.emit(Instr::MakeCell { reg: gen.regs[&param] }, function.span);
            }
        }
        gen.expr(&function.body, To::Return)?;
        let name = function.name.as_deref().map(|n| gen.tables.symbol(n));
        Ok(FnCode {
            name,
            arity: function.params.len() as u16,
            rest: function.rest.is_some(),
            // `alloc` keeps the count within a u16.
            registers: gen.registers as u16,
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

    /// Places `label` here. A jump to it just before is dropped: control falls through
    /// (a loop's last exit, an `if` whose else branch is empty).
    fn place(&mut self, label: Label) {
        if let Some(Asm::Op(Instr::Jump { target }, _)) = self.asm.last() {
            if *target == label {
                self.asm.pop();
            }
        }
        self.asm.push(Asm::Label(label));
    }

    fn boxed(&self, local: LocalId) -> bool {
        self.program.locals[local as usize].boxed()
    }

    fn owned(&self, local: LocalId) -> bool {
        self.program.locals[local as usize].owner == self.fn_id
    }

    /// `n` consecutive free registers; the first is returned.
    fn alloc(&mut self, n: u32, span: Span) -> Result<Slot> {
        let first = self.next;
        if first + n > u16::MAX as u32 {
            let message = "function too large: it needs more than 65535 registers; split it into smaller functions";
            return error(span, message);
        }
        self.next = first + n;
        self.registers = self.registers.max(self.next);
        Ok(Slot(first as u16))
    }

    fn temp(&mut self, span: Span) -> Result<Slot> {
        self.alloc(1, span)
    }

    /// Gives a local of this function the next free register.
    fn bind(&mut self, local: LocalId, span: Span) -> Result<Slot> {
        let reg = self.temp(span)?;
        self.regs.insert(local, reg);
        Ok(reg)
    }

    fn reg_of(&self, local: LocalId) -> Slot {
        *self.regs.get(&local).expect("a local is bound before it is used")
    }

    /// A local of this function that lives in its register (not in a cell).
    fn plain(&self, local: LocalId) -> bool {
        self.owned(local) && !self.boxed(local)
    }

    /// The register of `e` if it is a read of a plain local, which is read where it is.
    fn in_place(&self, e: &Expr) -> Option<Slot> {
        match e.kind {
            ExprKind::Local(local) if self.plain(local) => Some(self.reg_of(local)),
            _ => None,
        }
    }

    /// The register already holding the value of `e`, read in place: a plain local's,
    /// or a literal's hoisted out of the running loop.
    fn held(&self, e: &Expr) -> Option<Slot> {
        match &e.kind {
            ExprKind::Const(literal) => self.hoisted.iter().find(|(l, _)| same_literal(l, literal)).map(|&(_, reg)| reg),
            _ => self.in_place(e),
        }
    }

    fn last_use(&self, e: &Expr) -> bool {
        self.last_uses.contains(&(e as *const Expr))
    }

    /// A call of the running function by itself with exactly its parameters, which in
    /// tail position assigns them and jumps back to the top.
    fn is_self_call(&self, callee: &Expr, args: &[Expr]) -> bool {
        let function = self.function;
        matches!(callee.kind, ExprKind::SelfRef) && function.rest.is_none() && args.len() == function.params.len()
    }

    fn capture_index(&self, local: LocalId) -> CaptureIdx {
        let index = self.function.captures.iter().position(|&c| c == local).expect("lowering records every capture");
        CaptureIdx(index as u16)
    }

    fn count(n: usize, span: Span) -> Result<Count> {
        u32::try_from(n).map(Count).or_else(|_| error(span, "too many elements"))
    }

    fn argc(n: usize, span: Span) -> Result<Argc> {
        u16::try_from(n).map(Argc).or_else(|_| error(span, "too many arguments in one call"))
    }

    /// The register a value for `to` is computed in: its register (a loop's result
    /// register when leaving an inlined loop), or a new temporary.
    fn target(&mut self, to: To, span: Span) -> Result<Slot> {
        match (to, self.exit) {
            (To::Reg(dst), _) => Ok(dst),
            (To::Return, Some(exit)) => Ok(exit.dst),
            (To::Effect | To::Return, _) => self.temp(span),
        }
    }

    /// Ends a value computed in `reg` by `target`: in tail position it is returned.
    fn finish(&mut self, to: To, reg: Slot, span: Span) {
        if to == To::Return {
            self.leave(reg, span);
        }
    }

    /// Leaves with the value in `src`: returns it, or inside a loop inlined for its
    /// value, hands it to the loop's destination and jumps past the loop.
    fn leave(&mut self, src: Slot, span: Span) {
        match self.exit {
            None => self.emit(Instr::Return { src, written: UNBOUNDED }, span),
            Some(LoopExit { dst, end, floor }) => {
                if src != dst {
                    let owned = src.0 as u32 >= floor;
                    self.emit(if owned { Instr::MoveOut { dst, src } } else { Instr::Move { dst, src } }, span);
                }
                self.emit(Instr::Jump { target: end }, span);
            }
        }
    }

    /// Whether a call in tail position leaves the function (a tail call).
    fn tail(&self, to: To) -> bool {
        to == To::Return && self.exit.is_none()
    }

    /// Copies a value already in `src` (a local or a finished temporary, the value of
    /// `e`) to `to`. A temporary, or a local at its last use, moves out.
    fn deliver(&mut self, to: To, src: Slot, e: &Expr) {
        match to {
            To::Reg(dst) if dst != src => {
                let keeps = self.held(e) == Some(src) && !self.last_use(e);
                self.emit(if keeps { Instr::Move { dst, src } } else { Instr::MoveOut { dst, src } }, e.span);
            }
            To::Reg(_) | To::Effect => {}
            To::Return => self.leave(src, e.span),
        }
    }

    /// The value of `e` in some register: a plain local or a hoisted literal where it
    /// is, anything else in a new temporary (`fresh`).
    fn expr_reg(&mut self, e: &Expr) -> Result<Slot> {
        match self.held(e) {
            Some(reg) => Ok(reg),
            None => self.fresh(e),
        }
    }

    /// The value of `e` in the first free register, which stays allocated: where a
    /// call's argument or a `let`'s local must be. A call or a collection builds its
    /// window right there, so its result needs no move.
    fn fresh(&mut self, e: &Expr) -> Result<Slot> {
        match &e.kind {
            ExprKind::Call(..) | ExprKind::CallGlobal(..) => self.call(e, false),
            ExprKind::MakeList(_) | ExprKind::MakeVector(_) | ExprKind::MakeMap(_) => self.collection(e),
            _ => {
                let reg = self.temp(e.span)?;
                self.expr(e, To::Reg(reg))?;
                Ok(reg)
            }
        }
    }

    /// The registers holding the values of `args`, evaluated in order. A hoisted
    /// literal is read where it is; so is a plain local, unless a later argument
    /// mentions it (it might assign it, or move it out at its last use), or one of
    /// `targets` written before its own is that local's register (the caller writes
    /// `targets[i]` from the `i`th register, in order, after computing them all; an
    /// argument with a register in `into` is computed straight into it instead, and
    /// that target counts as written first). Anything else is computed into a new
    /// temporary.
    fn operands(&mut self, args: &[&Expr], targets: &[Option<Slot>], into: &[Option<Slot>]) -> Result<Vec<Slot>> {
        let mut keep = vec![false; args.len()];
        for i in (0..args.len()).rev() {
            let (Some(reg), ExprKind::Local(local)) = (self.in_place(args[i]), &args[i].kind) else {
                keep[i] = self.held(args[i]).is_some();
                continue;
            };
            let overwritten = targets.iter().take(i).chain(into).any(|&t| t == Some(reg));
            let disturbed = args.iter().zip(&keep).skip(i + 1).any(|(later, &kept)| {
                let same_read = kept && matches!(later.kind, ExprKind::Local(l) if l == *local);
                !same_read && mentions(self.program, later, *local)
            });
            keep[i] = !overwritten && !disturbed;
        }
        let mut regs = Vec::with_capacity(args.len());
        for (i, (&arg, kept)) in args.iter().zip(keep).enumerate() {
            regs.push(match (into.get(i).copied().flatten(), self.held(arg)) {
                (Some(dst), _) => {
                    self.expr(arg, To::Reg(dst))?;
                    dst
                }
                (None, Some(reg)) if kept => reg,
                _ => self.fresh(arg)?,
            });
        }
        Ok(regs)
    }

    /// Emits a literal's load into `dst`.
    fn load_literal(&mut self, literal: &Literal, dst: Slot, span: Span) {
        let instr = match literal {
            Literal::Nil => Instr::LoadNil { dst },
            Literal::Bool(true) => Instr::LoadTrue { dst },
            Literal::Bool(false) => Instr::LoadFalse { dst },
            Literal::Int(i) if i32::try_from(*i).is_ok() => Instr::LoadInt { dst, value: SmallInt(*i as i32) },
            other => Instr::LoadConst { dst, idx: self.tables.constant(other) },
        };
        self.emit(instr, span);
    }

    fn constant(&mut self, literal: &Literal, to: To, span: Span) -> Result<()> {
        if to != To::Effect {
            let dst = self.target(to, span)?;
            self.load_literal(literal, dst, span);
            self.finish(to, dst, span);
        }
        Ok(())
    }

    /// Reads local `local` (the expression `e`) into `dst`.
    fn load_local(&mut self, e: &Expr, local: LocalId, dst: Slot) {
        let instr = if !self.owned(local) {
            let idx = self.capture_index(local);
            if self.boxed(local) { Instr::LoadCellCapture { dst, idx } } else { Instr::LoadCapture { dst, idx } }
        } else if self.boxed(local) {
            Instr::LoadCell { dst, cell: self.reg_of(local) }
        } else {
            let src = self.reg_of(local);
            if src == dst {
                return;
            }
            if self.last_use(e) { Instr::MoveOut { dst, src } } else { Instr::Move { dst, src } }
        };
        self.emit(instr, e.span);
    }

    /// Stores `src` into local `local` through its cell, or into its register.
    fn store_local(&mut self, local: LocalId, src: Slot, span: Span) {
        let instr = if !self.owned(local) {
            // Lowering marks assigned captures, so they are boxed.
            Instr::StoreCellCapture { idx: self.capture_index(local), src }
        } else if self.boxed(local) {
            Instr::StoreCell { cell: self.reg_of(local), src }
        } else {
            Instr::Move { dst: self.reg_of(local), src }
        };
        self.emit(instr, span);
    }

    /// Assigns `values` to `vars` as one step: every value is computed before any
    /// variable changes (a `do` loop's steps, a loop's next iteration). With `raw`
    /// the registers get the plain values even for boxed variables (the top of an
    /// inlined loop puts them in fresh cells).
    fn assign_all(&mut self, vars: &[LocalId], values: &[&Expr], raw: bool, span: Span) -> Result<()> {
        let targets: Vec<Option<Slot>> = vars
            .iter()
            .map(|&var| (self.owned(var) && (raw || !self.boxed(var))).then(|| self.reg_of(var)))
            .collect();
        // A new value whose variable no other value reads (`(+ i 1)` as the last) is
        // computed straight into the variable's register, when its code writes there
        // only with its last instruction: nothing read later still needs the old value.
        let into: Vec<Option<Slot>> = targets
            .iter()
            .zip(values)
            .enumerate()
            .map(|(i, (&target, value))| {
                let var = vars[i];
                let read_by_others = values.iter().enumerate().any(|(j, other)| {
                    j != i && (if j > i { mentions(self.program, other, var) } else { matches!(other.kind, ExprKind::Local(l) if l == var) })
                });
                let direct = self.in_place(value).is_none() && writes_last(value) && !read_by_others;
                target.filter(|_| direct)
            })
            .collect();
        let regs = self.operands(values, &targets, &into)?;
        for (((&var, target), src), value) in vars.iter().zip(targets).zip(regs).zip(values) {
            match target {
                Some(dst) => self.deliver(To::Reg(dst), src, value),
                None => self.store_local(var, src, span),
            }
        }
        Ok(())
    }

    /// Jumps to `target` when the truthiness of `test` is `when`, falls through
    /// otherwise. An `and` or `or` in a test is compiled as jumps, without producing its
    /// value, so each of its comparisons can fuse with its branch: an item that settles
    /// the whole form (false in an `and`, true in an `or`) jumps straight to the
    /// outcome; when the form settles the other way, the items before the last skip
    /// past it instead. A `not` flips the branch; a comparison of two operands in
    /// registers below 256 branches in the same instruction, and so do `null?` and `nil?`.
    fn jump_when(&mut self, test: &Expr, when: bool, target: Label) -> Result<()> {
        let mark = self.next;
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
            }
            ExprKind::Intrinsic(Intrinsic::Not, args) if args.len() == 1 => {
                self.jump_when(&args[0], !when, target)?;
            }
            ExprKind::Intrinsic(Intrinsic::IsNull, args) if args.len() == 1 => {
                let src = self.expr_reg(&args[0])?;
                self.emit(if when { Instr::JumpIfNull { src, target } } else { Instr::JumpIfNotNull { src, target } }, test.span);
            }
            ExprKind::Intrinsic(Intrinsic::IsNil, args) if args.len() == 1 => {
                let src = self.expr_reg(&args[0])?;
                self.emit(if when { Instr::JumpIfNil { src, target } } else { Instr::JumpIfNotNil { src, target } }, test.span);
            }
            ExprKind::Intrinsic(op, args) if args.len() == 2 && fused_branch(*op, when).is_some() => {
                let regs = self.operands(&[&args[0], &args[1]], &[], &[])?;
                let small = |reg: Slot| u8::try_from(reg.0).ok().map(SmallSlot);
                match (fused_branch(*op, when), small(regs[0]), small(regs[1])) {
                    (Some(branch), Some(a), Some(b)) => self.emit(branch(a, b, target), test.span),
                    _ => {
                        let Form::Binary(compare) = op.def().instr else { unreachable!("comparisons are binary") };
                        let flag = self.temp(test.span)?;
                        self.emit(compare(flag, regs[0], regs[1]), test.span);
                        self.branch(flag, when, target, test.span);
                    }
                }
            }
            _ => {
                let reg = self.expr_reg(test)?;
                self.branch(reg, when, target, test.span);
            }
        }
        self.next = mark;
        Ok(())
    }

    fn branch(&mut self, src: Slot, when: bool, target: Label, span: Span) {
        self.emit(if when { Instr::JumpIfTrue { src, target } } else { Instr::JumpIfFalse { src, target } }, span);
    }

    /// A call with its window at the first free register: the callee (unless it is a
    /// global or the running function) and the arguments are compiled into place. In
    /// tail position it leaves the function; otherwise the result is in the window's
    /// first register, which is returned and stays allocated (the rest is freed).
    fn call(&mut self, e: &Expr, tail: bool) -> Result<Slot> {
        let span = e.span;
        let (callee, global, args) = match &e.kind {
            ExprKind::Call(callee, args) => (Some(&**callee), None, args),
            ExprKind::CallGlobal(name, args) => (None, Some(name), args),
            _ => unreachable!("only calls have a call window"),
        };
        // The running closure calling itself (not as a tail call) needs no load.
        let self_call = !tail && callee.is_some_and(|callee| matches!(callee.kind, ExprKind::SelfRef));
        let a = match callee {
            Some(callee) if !self_call => self.fresh(callee)?,
            _ => self.temp(span)?,
        };
        for arg in args {
            self.fresh(arg)?;
        }
        for reg in self.dead_after_arguments(args) {
            self.emit(Instr::LoadNil { dst: reg }, span);
        }
        let argc = Self::argc(args.len(), span)?;
        let small_argc = u8::try_from(args.len()).ok().map(SmallArgc);
        let instr = match (global.map(|name| self.tables.symbol(name)), small_argc) {
            _ if self_call => Instr::CallSelf { a, argc },
            (Some(sym), Some(argc)) if tail => Instr::TailCallGlobal { sym, a, argc },
            (Some(sym), Some(argc)) => Instr::CallGlobal { sym, a, argc },
            (global, _) => {
                if let Some(sym) = global {
                    // After the arguments, where CallGlobal would look the global up.
                    self.emit(Instr::LoadGlobal { dst: a, sym }, span);
                }
                if tail { Instr::TailCall { a, argc } } else { Instr::Call { a, argc } }
            }
        };
        self.emit(instr, span);
        self.next = a.0 as u32 + 1;
        Ok(a)
    }

    /// The registers of locals that an argument copied into the call's window and whose
    /// last use is a later argument, as in `(assoc m k (+ (get m k) 1))`: dead once the
    /// arguments are computed, they are reset before the call, so the window holds the
    /// only reference and the callee can update the value in place (copy-on-write).
    fn dead_after_arguments(&self, args: &[Expr]) -> Vec<Slot> {
        let mut dead = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            let ExprKind::Local(local) = arg.kind else { continue };
            if !self.plain(local) || self.last_use(arg) {
                continue;
            }
            let reg = self.reg_of(local);
            if !dead.contains(&reg) && args[i + 1..].iter().any(|later| self.last_use_in_place(later, local)) {
                dead.push(reg);
            }
        }
        dead
    }

    /// Whether `e` contains the last use of `local` as an intrinsic's operand, which is
    /// read in place (a last use copied anywhere else moves out, leaving nil).
    fn last_use_in_place(&self, e: &Expr, local: LocalId) -> bool {
        let last_read = |arg: &Expr| matches!(arg.kind, ExprKind::Local(l) if l == local) && self.last_use(arg);
        let here = matches!(&e.kind, ExprKind::Intrinsic(_, args) if args.iter().any(last_read));
        here || e.children().into_iter().any(|child| self.last_use_in_place(child, local))
    }

    /// A list, vector or map built from items compiled into consecutive registers at
    /// the first free one; the result is there, which is returned and stays allocated.
    fn collection(&mut self, e: &Expr) -> Result<Slot> {
        let span = e.span;
        let start = self.next;
        let items: Vec<&Expr> = match &e.kind {
            ExprKind::MakeList(items) | ExprKind::MakeVector(items) => items.iter().collect(),
            ExprKind::MakeMap(pairs) => pairs.iter().flat_map(|(k, v)| [k, v]).collect(),
            _ => unreachable!("only collections are built from items"),
        };
        for item in &items {
            self.fresh(item)?;
        }
        if items.is_empty() {
            // The result's register.
            self.temp(span)?;
        }
        let dst = Slot(start as u16);
        let instr = match &e.kind {
            ExprKind::MakeList(items) => Instr::MakeList { dst, count: Self::count(items.len(), span)? },
            ExprKind::MakeVector(items) => Instr::MakeVector { dst, count: Self::count(items.len(), span)? },
            _ => Instr::MakeMap { dst, pairs: Self::count(items.len() / 2, span)? },
        };
        self.emit(instr, span);
        self.next = start + 1;
        Ok(dst)
    }

    /// Compiles `e` for `to`. Every temporary it takes is free again afterwards.
    fn expr(&mut self, e: &Expr, to: To) -> Result<()> {
        let mark = self.next;
        let done = self.expr_kind(e, to);
        self.next = mark;
        done
    }

    fn expr_kind(&mut self, e: &Expr, to: To) -> Result<()> {
        let span = e.span;
        match &e.kind {
            ExprKind::Const(lit) => self.constant(lit, to, span)?,
            ExprKind::Local(local) => match (to, self.in_place(e)) {
                (To::Effect, _) => {}
                (To::Return, Some(reg)) => self.leave(reg, span),
                _ => {
                    let dst = self.target(to, span)?;
                    self.load_local(e, *local, dst);
                    self.finish(to, dst, span);
                }
            },
            // Nothing to do for their effect (a global's load stays: an unbound one raises).
            ExprKind::SelfRef | ExprKind::Lambda(_) if to == To::Effect => {}
            ExprKind::SelfRef => {
                let dst = self.target(to, span)?;
                self.emit(Instr::LoadSelf { dst }, span);
                self.finish(to, dst, span);
            }
            ExprKind::Global(name) => {
                let dst = self.target(to, span)?;
                let sym = self.tables.symbol(name);
                self.emit(Instr::LoadGlobal { dst, sym }, span);
                self.finish(to, dst, span);
            }
            ExprKind::SetLocal(local, value) if self.plain(*local) => {
                let reg = self.reg_of(*local);
                if writes_last(value) {
                    self.expr(value, To::Reg(reg))?;
                } else {
                    let temp = self.fresh(value)?;
                    self.emit(Instr::MoveOut { dst: reg, src: temp }, span);
                }
                match to {
                    To::Reg(dst) if dst != reg => self.emit(Instr::Move { dst, src: reg }, span),
                    _ => self.finish(to, reg, span),
                }
            }
            ExprKind::SetLocal(local, value) => {
                let src = self.value_reg(value, to)?;
                self.store_local(*local, src, span);
                self.finish(to, src, span);
            }
            ExprKind::SetGlobal(name, value) => {
                let src = self.value_reg(value, to)?;
                let sym = self.tables.symbol(name);
                self.emit(Instr::StoreGlobal { sym, src }, span);
                self.finish(to, src, span);
            }
            ExprKind::DefineGlobal(name, value) => {
                let src = self.expr_reg(value)?;
                let sym = self.tables.symbol(name);
                self.emit(Instr::StoreGlobal { sym, src }, span);
                self.constant(&Literal::Nil, to, span)?;
            }
            ExprKind::Let(bindings, body) => {
                for (local, init) in bindings {
                    let reg = self.fresh(init)?;
                    self.regs.insert(*local, reg);
                    if self.boxed(*local) {
                        self.emit(Instr::MakeCell { reg }, init.span);
                    }
                }
                self.expr(body, to)?;
            }
            ExprKind::Declare(locals, body) => {
                for &local in locals {
                    let reg = self.bind(local, span)?;
                    self.emit(Instr::LoadNil { dst: reg }, span);
                    if self.boxed(local) {
                        self.emit(Instr::MakeCell { reg }, span);
                    }
                }
                self.expr(body, to)?;
            }
            ExprKind::If(test, then, otherwise) => {
                let else_label = self.label();
                self.jump_when(test, false, else_label)?;
                self.expr(then, to)?;
                if to == To::Return {
                    self.place(else_label);
                    self.expr(otherwise, to)?;
                } else {
                    let end = self.label();
                    self.emit(Instr::Jump { target: end }, span);
                    self.place(else_label);
                    self.expr(otherwise, to)?;
                    self.place(end);
                }
            }
            ExprKind::Seq(items) => match items.split_last() {
                None => self.constant(&Literal::Nil, to, span)?,
                Some((last, rest)) => {
                    for item in rest {
                        self.expr(item, To::Effect)?;
                    }
                    self.expr(last, to)?;
                }
            },
            ExprKind::And(items) | ExprKind::Or(items) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                let end = self.label();
                let (last, rest) = items.split_last().expect("lowering gives and/or two or more items");
                if to == To::Effect {
                    for item in rest {
                        self.jump_when(item, !is_and, end)?;
                    }
                    self.expr(last, to)?;
                    self.place(end);
                } else {
                    // Each item but the last into the result's register, leaving early
                    // with it when it settles the form. An item whose value is a
                    // boolean (a comparison, `not`, `null?`) is a test instead, which
                    // can fuse with its branch: when it settles the form, the value is
                    // `#f` for an `and`, `#t` for an `or`.
                    let dst = self.target(to, span)?;
                    let settled = self.label();
                    let mut tests = false;
                    for item in rest {
                        if yields_boolean(item) {
                            self.jump_when(item, !is_and, settled)?;
                            tests = true;
                        } else {
                            self.expr(item, To::Reg(dst))?;
                            self.branch(dst, !is_and, end, item.span);
                        }
                    }
                    self.expr(last, if to == To::Return { to } else { To::Reg(dst) })?;
                    if tests {
                        if to != To::Return {
                            self.emit(Instr::Jump { target: end }, span);
                        }
                        self.place(settled);
                        self.emit(if is_and { Instr::LoadFalse { dst } } else { Instr::LoadTrue { dst } }, span);
                    }
                    self.place(end);
                    self.finish(to, dst, span);
                }
            }
            ExprKind::Loop { steps, test, body, result } => {
                let parts: Vec<&Expr> = steps.iter().map(|(_, step)| step).chain([&**test, &**body]).collect();
                let outer = self.hoist_literals(&parts, span)?;
                let top = self.label();
                let done = self.label();
                self.place(top);
                self.jump_when(test, true, done)?;
                self.expr(body, To::Effect)?;
                let vars: Vec<LocalId> = steps.iter().map(|(local, _)| *local).collect();
                let values: Vec<&Expr> = steps.iter().map(|(_, step)| step).collect();
                self.assign_all(&vars, &values, false, span)?;
                self.emit(Instr::Jump { target: top }, span);
                self.place(done);
                self.hoisted.truncate(outer);
                self.expr(result, to)?;
            }
            ExprKind::Lambda(fn_id) => {
                // The child's captures, as seen from this (the creating) function.
                let child = &self.program.functions[*fn_id as usize];
                let descriptors: Vec<Capture> = child
                    .captures
                    .iter()
                    .map(|&local| {
                        if self.owned(local) {
                            Capture::Local(self.reg_of(local))
                        } else {
                            Capture::Outer(self.capture_index(local))
                        }
                    })
                    .collect();
                self.tables.captures.insert(*fn_id, descriptors);
                let dst = self.target(to, span)?;
                self.emit(Instr::Closure { dst, proto: ProtoIdx(*fn_id) }, span);
                self.finish(to, dst, span);
            }
            // A loop written as a function calling itself in tail position: the
            // arguments become the parameters as a named let's next iteration.
            ExprKind::Call(callee, args) if self.tail(to) && self.is_self_call(callee, args) => {
                let values: Vec<&Expr> = args.iter().collect();
                self.assign_all(&self.function.params, &values, true, span)?;
                self.emit(Instr::Jump { target: self.top }, span);
            }
            ExprKind::Call(..) | ExprKind::CallGlobal(..) => {
                let result = self.call(e, self.tail(to))?;
                match to {
                    To::Reg(dst) => self.emit(Instr::MoveOut { dst, src: result }, span),
                    To::Return if !self.tail(to) => self.leave(result, span),
                    _ => {}
                }
            }
            ExprKind::MakeList(_) | ExprKind::MakeVector(_) | ExprKind::MakeMap(_) => {
                let result = self.collection(e)?;
                self.deliver(to, result, e);
            }
            ExprKind::Intrinsic(op, args) => {
                let dst = self.target(to, span)?;
                let instr = match (op, &args[..]) {
                    (Intrinsic::Add | Intrinsic::Sub, [a, b]) if short_int(b).is_some() => {
                        let (a, value) = (self.expr_reg(a)?, short_int(b).expect("matched"));
                        if *op == Intrinsic::Add {
                            Instr::AddInt { dst, a, value }
                        } else {
                            Instr::SubInt { dst, a, value }
                        }
                    }
                    _ => {
                        let args: Vec<&Expr> = args.iter().collect();
                        match (op.def().instr, &self.operands(&args, &[], &[])?[..]) {
                            (Form::Unary(instr), &[src]) => instr(dst, src),
                            (Form::Binary(instr), &[a, b]) => instr(dst, a, b),
                            _ => return error(span, "internal compiler error: an intrinsic's operand count"),
                        }
                    }
                };
                self.emit(instr, span);
                self.finish(to, dst, span);
            }
            ExprKind::Try(body, local, handler) => {
                let result = match to {
                    To::Reg(dst) => To::Reg(dst),
                    To::Return => To::Reg(self.temp(span)?),
                    To::Effect => To::Effect,
                };
                let catch = self.bind(*local, span)?;
                let handler_label = self.label();
                self.emit(Instr::PushHandler { dst: catch, target: handler_label }, span);
                self.expr(body, result)?;
                self.emit(Instr::PopHandler {}, span);
                let end = self.label();
                match result {
                    To::Reg(src) if to == To::Return => self.leave(src, span),
                    _ => self.emit(Instr::Jump { target: end }, span),
                }
                self.place(handler_label);
                if self.boxed(*local) {
                    self.emit(Instr::MakeCell { reg: catch }, span);
                }
                self.expr(handler, to)?;
                self.place(end);
            }
            ExprKind::Throw(value) => {
                let src = self.expr_reg(value)?;
                self.emit(Instr::Throw { src }, span);
            }
            ExprKind::NamedLoop { id, vars, inits, body } => {
                // In tail position the body's tail positions leave the function (or
                // an enclosing loop); anywhere else they leave this loop.
                let exit = match to {
                    To::Return => self.exit,
                    To::Reg(_) | To::Effect => {
                        let dst = self.target(to, span)?;
                        Some(LoopExit { dst, end: self.label(), floor: self.next })
                    }
                };
                for (&var, init) in vars.iter().zip(inits) {
                    let reg = self.fresh(init)?;
                    self.regs.insert(var, reg);
                }
                let outer = self.hoist_literals(&[body], span)?;
                let top = self.label();
                self.place(top);
                // Fresh cells each iteration, as the loop function's entry made them.
                for &var in vars {
                    if self.boxed(var) {
                        self.emit(Instr::MakeCell { reg: self.reg_of(var) }, span);
                    }
                }
                self.loops.insert(*id, (top, vars.clone()));
                let enclosing = std::mem::replace(&mut self.exit, exit);
                self.expr(body, To::Return)?;
                self.exit = enclosing;
                self.hoisted.truncate(outer);
                if to != To::Return {
                    self.place(exit.expect("set above").end);
                }
            }
            ExprKind::Recur(id, args) => {
                let Some((top, vars)) = self.loops.get(id).cloned().filter(|_| to == To::Return) else {
                    return error(span, "internal compiler error: a loop call outside its loop's tail position");
                };
                let values: Vec<&Expr> = args.iter().collect();
                self.assign_all(&vars, &values, true, span)?;
                self.emit(Instr::Jump { target: top }, span);
            }
        }
        Ok(())
    }

    /// Loads the literals that intrinsics in `parts` (a loop's body) take as operands
    /// into registers of their own, before the loop, unless an enclosing loop did.
    /// Returns what `hoisted` is to be truncated to when the loop ends.
    fn hoist_literals(&mut self, parts: &[&Expr], span: Span) -> Result<usize> {
        let outer = self.hoisted.len();
        let mut found = Vec::new();
        for part in parts {
            intrinsic_literals(part, &mut found);
        }
        for literal in found {
            if self.hoisted.len() - outer == MAX_HOISTED_PER_LOOP {
                break;
            }
            if !self.hoisted.iter().any(|(l, _)| same_literal(l, literal)) {
                let reg = self.temp(span)?;
                self.load_literal(literal, reg, span);
                self.hoisted.push((literal.clone(), reg));
            }
        }
        Ok(outer)
    }

    /// The value of `value` for an assignment whose own value goes to `to`: computed in
    /// the wanted register when there is one.
    fn value_reg(&mut self, value: &Expr, to: To) -> Result<Slot> {
        match to {
            To::Reg(dst) => {
                self.expr(value, To::Reg(dst))?;
                Ok(dst)
            }
            To::Effect | To::Return => self.expr_reg(value),
        }
    }
}

/// Whether `e` compiled into a register writes it only with its last instruction,
/// having read everything it reads: then a local's own register can receive the new
/// value of `(set! x e)` directly, even when `e` reads `x`.
fn writes_last(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Const(_)
            | ExprKind::Local(_)
            | ExprKind::SelfRef
            | ExprKind::Global(_)
            | ExprKind::Lambda(_)
            | ExprKind::Intrinsic(..)
            | ExprKind::Call(..)
            | ExprKind::CallGlobal(..)
            | ExprKind::MakeList(_)
            | ExprKind::MakeVector(_)
            | ExprKind::MakeMap(_)
    )
}

/// Most literals one loop keeps in registers: each costs a register of the frame
/// (a frame's registers are reset on return) and a load on each entry to the loop.
const MAX_HOISTED_PER_LOOP: usize = 8;

/// The literals that intrinsics in `e` take as operands from a register, in order of
/// appearance, nested functions aside (they are compiled on their own). A small
/// integer added or subtracted is part of its instruction (`AddInt`) and not listed.
fn intrinsic_literals<'e>(e: &'e Expr, found: &mut Vec<&'e Literal>) {
    if let ExprKind::Intrinsic(op, args) = &e.kind {
        let immediate = matches!(op, Intrinsic::Add | Intrinsic::Sub) && args.len() == 2 && short_int(&args[1]).is_some();
        for (i, arg) in args.iter().enumerate() {
            match &arg.kind {
                ExprKind::Const(literal) if !(immediate && i == 1) && is_atom(literal) => found.push(literal),
                _ => {}
            }
        }
    }
    for child in e.children() {
        intrinsic_literals(child, found);
    }
}

/// A literal that is one value with nothing inside (a number, string, character,
/// symbol or keyword).
fn is_atom(literal: &Literal) -> bool {
    !matches!(
        literal,
        Literal::Nil | Literal::Bool(_) | Literal::List(_) | Literal::Vector(_) | Literal::Map(_) | Literal::Bytevector(_)
    )
}

/// Literal equality that tells `0.0` from `-0.0` (and a NaN from nothing, harmlessly).
fn same_literal(a: &Literal, b: &Literal) -> bool {
    match (a, b) {
        (Literal::Float(x), Literal::Float(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// Whether `e` calls the function it belongs to (`SelfRef`) with `arity` arguments.
fn calls_itself(e: &Expr, arity: usize) -> bool {
    let here = matches!(&e.kind, ExprKind::Call(callee, args) if matches!(callee.kind, ExprKind::SelfRef) && args.len() == arity);
    here || e.children().into_iter().any(|child| calls_itself(child, arity))
}

/// Whether the value of `e` is always `#t` or `#f`.
fn yields_boolean(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Const(Literal::Bool(_)) => true,
        ExprKind::Intrinsic(op, _) => op.yields_boolean(),
        _ => false,
    }
}

/// Whether `e` reads or assigns `local` anywhere, or makes a closure capturing it.
fn mentions(program: &Program, e: &Expr, local: LocalId) -> bool {
    let here = match &e.kind {
        ExprKind::Local(l) | ExprKind::SetLocal(l, _) => *l == local,
        ExprKind::Loop { steps, .. } => steps.iter().any(|(l, _)| *l == local),
        ExprKind::Lambda(child) => program.functions[*child as usize].captures.contains(&local),
        _ => false,
    };
    here || e.children().into_iter().any(|child| mentions(program, child, local))
}

/// An integer literal that fits the `AddInt`/`SubInt` operand.
fn short_int(e: &Expr) -> Option<ShortInt> {
    match e.kind {
        ExprKind::Const(Literal::Int(i)) => i16::try_from(i).ok().map(ShortInt),
        _ => None,
    }
}

/// Builds a compare-and-branch instruction from its registers and target.
type FusedBranch = fn(SmallSlot, SmallSlot, Label) -> Instr<Label>;

/// The compare-and-branch instruction of a comparison intrinsic that jumps when its
/// result's truthiness is `when`.
fn fused_branch(op: Intrinsic, when: bool) -> Option<FusedBranch> {
    let branch: FusedBranch = match (op, when) {
        (Intrinsic::Lt, false) => |a, b, target| Instr::LtJumpIfFalse { a, b, target },
        (Intrinsic::Lt, true) => |a, b, target| Instr::LtJumpIfTrue { a, b, target },
        (Intrinsic::Gt, false) => |a, b, target| Instr::GtJumpIfFalse { a, b, target },
        (Intrinsic::Gt, true) => |a, b, target| Instr::GtJumpIfTrue { a, b, target },
        (Intrinsic::Le, false) => |a, b, target| Instr::LeJumpIfFalse { a, b, target },
        (Intrinsic::Le, true) => |a, b, target| Instr::LeJumpIfTrue { a, b, target },
        (Intrinsic::Ge, false) => |a, b, target| Instr::GeJumpIfFalse { a, b, target },
        (Intrinsic::Ge, true) => |a, b, target| Instr::GeJumpIfTrue { a, b, target },
        (Intrinsic::NumEq, false) => |a, b, target| Instr::NumEqJumpIfFalse { a, b, target },
        (Intrinsic::NumEq, true) => |a, b, target| Instr::NumEqJumpIfTrue { a, b, target },
        _ => return None,
    };
    Some(branch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code of the function named `name` in `source`, and its register count.
    fn code_of(source: &str, name: &str) -> (Vec<Instr<Label>>, u16) {
        let program = crate::front_end(source, "t.sema").expect("compiles");
        let mut tables = Tables::default();
        let codes = generate(&program, &mut tables).expect("generates");
        let sym = tables.symbols.iter().position(|s| s == name).expect("the function's name is a symbol");
        let code = codes.iter().find(|c| c.name == Some(SymIdx(sym as u32))).expect("the function exists");
        let instrs = code.asm.iter().filter_map(|item| if let Asm::Op(i, _) = item { Some(*i) } else { None });
        (instrs.collect(), code.registers)
    }

    fn r(i: u16) -> Slot {
        Slot(i)
    }

    #[test]
    fn operands_are_read_in_place() {
        let (code, registers) = code_of("(define (f a b) (+ a b))", "f");
        assert_eq!(code, vec![Instr::Add { dst: r(2), a: r(0), b: r(1) }, Instr::Return { src: r(2), written: UNBOUNDED }]);
        assert_eq!(registers, 3);
        let (code, _) = code_of("(define (f x) (* x x))", "f");
        assert_eq!(code[0], Instr::Mul { dst: r(1), a: r(0), b: r(0) });
    }

    #[test]
    fn a_local_a_later_operand_assigns_is_copied_first() {
        let (code, _) = code_of("(define (f x) (+ x (begin (set! x 5) x)))", "f");
        // x is dead after the copy (the set! kills it), so the copy moves.
        assert_eq!(code[0], Instr::MoveOut { dst: r(2), src: r(0) }, "{code:?}");
        assert!(code.contains(&Instr::Add { dst: r(1), a: r(2), b: r(3) }), "{code:?}");
    }

    #[test]
    fn a_last_use_argument_moves_out_and_an_earlier_one_copies() {
        let (code, _) = code_of("(define (f acc k) (g (h acc) acc))", "f");
        assert_eq!(code[0], Instr::Move { dst: r(4), src: r(0) }, "{code:?}");
        assert_eq!(code[2], Instr::MoveOut { dst: r(4), src: r(0) }, "{code:?}");
    }

    #[test]
    fn an_accumulator_read_again_by_a_later_argument_is_the_window_s_only_reference() {
        // m is copied into assoc's window (the get reads it later), then its own
        // register is reset before the call, so assoc can update the map in place.
        let (code, _) = code_of("(define (f m k) (assoc m k (+ (get m k) 1)))", "f");
        let call = code.iter().position(|i| matches!(i, Instr::TailCallGlobal { .. })).expect("a tail call");
        let get = code.iter().position(|i| matches!(i, Instr::Get { .. })).expect("the get");
        assert!(code[get..call].contains(&Instr::LoadNil { dst: r(0) }), "{code:?}");
        assert!(code.contains(&Instr::Move { dst: r(3), src: r(0) }), "{code:?}");
        // Not when m lives on after the call.
        let (code, _) = code_of("(define (f m k) (g (assoc m k (get m k)) m))", "f");
        assert!(!code.contains(&Instr::LoadNil { dst: r(0) }), "{code:?}");
    }

    #[test]
    fn small_integer_literals_fold_into_the_instruction() {
        let (code, _) = code_of("(define (f n) (- n 1))", "f");
        assert_eq!(code[0], Instr::SubInt { dst: r(1), a: r(0), value: ShortInt(1) });
        let (code, _) = code_of("(define (f n) (+ n 40000))", "f");
        assert_eq!(code[0], Instr::LoadInt { dst: r(2), value: SmallInt(40000) });
        assert_eq!(code[1], Instr::Add { dst: r(1), a: r(0), b: r(2) });
    }

    #[test]
    fn a_named_let_is_a_loop_with_a_fused_test() {
        let source = "(define (f n) (let loop ((i 0) (acc 0)) (if (< i n) (loop (+ i 1) (+ acc i)) acc)))";
        let (code, _) = code_of(source, "f");
        assert!(matches!(code[2], Instr::LtJumpIfFalse { a: SmallSlot(1), b: SmallSlot(0), .. }), "{code:?}");
        assert!(code.contains(&Instr::AddInt { dst: r(3), a: r(1), value: ShortInt(1) }), "{code:?}");
        assert!(code.iter().any(|i| matches!(i, Instr::Jump { .. })), "{code:?}");
        let calls = code.iter().filter(|i| i.window().is_some()).count();
        assert_eq!(calls, 0, "{code:?}");
    }

    #[test]
    fn a_loop_s_new_values_are_all_computed_before_any_is_stored() {
        let source = "(define (f n) (let loop ((a 1) (b 2) (i 0)) (if (= i n) (list a b) (loop b a (+ i 1)))))";
        let (code, _) = code_of(source, "f");
        let jump = code.iter().position(|i| matches!(i, Instr::Jump { .. })).expect("the loop jumps back");
        // b and a are copied to temporaries and move into the variables after the
        // counter, which no other value reads, is computed in its own register.
        assert_eq!(code[jump - 3], Instr::AddInt { dst: r(3), a: r(3), value: ShortInt(1) }, "{code:?}");
        let moves: Vec<_> = code[jump - 2..jump].to_vec();
        assert!(moves.iter().all(|i| matches!(i, Instr::MoveOut { .. })), "{code:?}");
    }

    #[test]
    fn a_loop_value_read_by_a_later_value_goes_through_a_temporary() {
        let source = "(define (f n) (let loop ((x 1) (y 0) (i 0)) (if (= i n) y (loop (* x 2) (+ y x) (+ i 1)))))";
        let (code, _) = code_of(source, "f");
        // x's new value is stored last (y's reads x); y's and i's are written in place.
        assert!(code.contains(&Instr::Add { dst: r(2), a: r(2), b: r(1) }), "{code:?}");
        assert!(code.contains(&Instr::AddInt { dst: r(3), a: r(3), value: ShortInt(1) }), "{code:?}");
        let jump = code.iter().position(|i| matches!(i, Instr::Jump { .. })).expect("the loop jumps back");
        assert!(matches!(code[jump - 1], Instr::MoveOut { dst: Slot(1), .. }), "{code:?}");
    }

    #[test]
    fn a_loop_value_whose_variable_a_later_closure_captures_goes_through_a_temporary() {
        // i is boxed: the closure must capture the cell, not i's next value.
        let source = "(define (f n) (let loop ((i 0) (g nil)) (if (= i n) (g) (loop (+ i 1) (fn () (set! i i) i)))))";
        let (code, _) = code_of(source, "f");
        let closure = code.iter().position(|i| matches!(i, Instr::Closure { .. })).expect("the closure");
        let increment = code.iter().position(|i| matches!(i, Instr::AddInt { .. })).expect("the increment");
        assert!(matches!(code[increment], Instr::AddInt { dst, .. } if dst != r(1)), "{code:?}");
        assert!(increment < closure, "{code:?}");
    }

    #[test]
    fn a_loop_whose_value_is_used_leaves_with_it_and_goes_on() {
        let (code, _) = code_of("(define (f x) (g (let loop ((i 0)) (if (> i 3) x (loop (+ i 1)))) x))", "f");
        // x lives on after the loop, so leaving with it copies it into the loop's
        // result register (r2, the call's first argument); no Return before the call.
        assert!(code.contains(&Instr::Move { dst: r(2), src: r(0) }), "{code:?}");
        let returns = code.iter().filter(|i| matches!(i, Instr::Return { .. } | Instr::TailCallGlobal { .. })).count();
        assert_eq!(returns, 1, "{code:?}");
        assert!(!code.iter().any(|i| i.window().is_some() && !matches!(i, Instr::TailCallGlobal { .. })), "{code:?}");
        // A value of the loop's own (the accumulator, r3) moves out to its result (r1).
        let (code, _) = code_of("(define (f) (g (let loop ((i 0) (acc 0)) (if (= i 3) acc (loop (+ i 1) (+ acc i))))))", "f");
        assert!(code.contains(&Instr::MoveOut { dst: r(1), src: r(3) }), "{code:?}");
    }

    #[test]
    fn a_function_calling_itself_in_tail_position_jumps_back() {
        let source = "(define (f) (define (count xs n) (if (null? xs) n (count (cdr xs) (+ n 1.5)))) count)";
        let (code, _) = code_of(source, "count");
        // 1.5 is loaded once, before the top; the call assigns the parameters in place.
        assert!(matches!(code[0], Instr::LoadConst { dst: Slot(2), .. }), "{code:?}");
        assert!(code.contains(&Instr::Cdr { dst: r(0), src: r(0) }), "{code:?}");
        assert!(code.contains(&Instr::Add { dst: r(1), a: r(1), b: r(2) }), "{code:?}");
        assert!(matches!(code.last(), Some(Instr::Jump { .. })), "{code:?}");
        assert!(!code.iter().any(|i| i.window().is_some()), "{code:?}");
        // Not from inside a loop inlined for its value: there it is an ordinary call.
        let source = "(define (f) (define (g n) (+ 1 (let loop ((i n)) (if (= i 0) (g 1) (loop (- i 1)))))) g)";
        let (code, _) = code_of(source, "g");
        assert!(code.iter().any(|i| matches!(i, Instr::Call { .. })), "{code:?}");
    }

    #[test]
    fn boolean_items_of_and_or_are_tests() {
        let (code, _) = code_of("(define (f a b) (and (not (= a b)) (< a 9) (g a)))", "f");
        assert!(code.iter().any(|i| matches!(i, Instr::NumEqJumpIfTrue { a: SmallSlot(0), b: SmallSlot(1), .. })), "{code:?}");
        assert!(!code.iter().any(|i| matches!(i, Instr::Not { .. } | Instr::NumEq { .. })), "{code:?}");
        // When one settles the form, its value is #f (#t for an or).
        assert!(code.contains(&Instr::LoadFalse { dst: r(2) }), "{code:?}");
        let (code, _) = code_of("(define (f a) (or (null? a) (g a)))", "f");
        assert!(code.contains(&Instr::LoadTrue { dst: r(1) }), "{code:?}");
    }

    #[test]
    fn literals_in_a_loop_are_loaded_once_before_it() {
        let source = "(define (f x) (let loop ((x x) (i 0)) (if (> (* x x) 4.0) i (loop (* x 1.5) (+ i 1)))))";
        let (code, _) = code_of(source, "f");
        let top = code.iter().position(|i| matches!(i, Instr::Mul { .. })).expect("the loop's first product");
        let loads = code.iter().filter(|i| matches!(i, Instr::LoadConst { .. })).count();
        assert_eq!(loads, 2, "{code:?}");
        assert!(code[..top].iter().filter(|i| matches!(i, Instr::LoadConst { .. })).count() == 2, "{code:?}");
        // Read in place by the fused comparison and the product.
        assert!(code.iter().any(|i| matches!(i, Instr::GtJumpIfFalse { .. })), "{code:?}");
        // 0.0 and -0.0 are different literals.
        let (code, _) = code_of("(define (f x) (let loop ((x x)) (if (< x 0.0) (loop (- x -0.0)) x)))", "f");
        assert_eq!(code.iter().filter(|i| matches!(i, Instr::LoadConst { .. })).count(), 2, "{code:?}");
    }

    #[test]
    fn comparisons_of_high_registers_branch_on_a_flag() {
        let params: Vec<String> = (0..300).map(|i| format!("a{i}")).collect();
        let source = format!("(define (f {}) (if (< a299 a0) 1 2))", params.join(" "));
        let (code, _) = code_of(&source, "f");
        assert_eq!(code[0], Instr::Lt { dst: r(300), a: r(299), b: r(0) });
        assert!(matches!(code[1], Instr::JumpIfFalse { src: Slot(300), .. }), "{code:?}");
    }

    #[test]
    fn a_call_to_a_global_with_many_arguments_loads_it() {
        let args = vec!["1"; 300].join(" ");
        let (code, _) = code_of(&format!("(define (f) (g {args}) 0)"), "f");
        let call = code.iter().position(|i| matches!(i, Instr::Call { .. })).expect("a Call");
        assert!(matches!(code[call - 1], Instr::LoadGlobal { dst: Slot(0), .. }), "{code:?}");
        assert_eq!(code[call], Instr::Call { a: r(0), argc: Argc(300) });
    }

    #[test]
    fn let_registers_are_reused_after_their_scope() {
        let (_, registers) = code_of("(define (f) (g (let ((a (h))) a)) (g (let ((b (h))) b)))", "f");
        assert_eq!(registers, 3);
    }
}
