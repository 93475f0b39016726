//! A readable listing of the IR after passes (`semac --emit=ir`).

use std::fmt::Write;

use crate::ir::{Expr, ExprKind, LocalId, Program};

pub fn print_program(program: &Program) -> String {
    let mut out = String::new();
    for (id, f) in program.functions.iter().enumerate() {
        let local = |l: &LocalId| local_name(program, *l);
        let params: Vec<String> = f.params.iter().map(local).collect();
        let rest = f.rest.map(|r| format!(" . {}", local(&r))).unwrap_or_default();
        let captures: Vec<String> = f.captures.iter().map(local).collect();
        let _ = writeln!(
            out,
            "fn{id} {} ({}{rest}) captures [{}]",
            f.name.as_deref().unwrap_or(if id == 0 { "<top-level>" } else { "<lambda>" }),
            params.join(" "),
            captures.join(" ")
        );
        write_expr(&mut out, program, &f.body, 1);
        out.push('\n');
    }
    out
}

fn local_name(program: &Program, local: LocalId) -> String {
    let info = &program.locals[local as usize];
    let boxed = if info.boxed() { "&" } else { "" };
    format!("{boxed}{}#{local}", info.name)
}

fn write_expr(out: &mut String, program: &Program, e: &Expr, depth: usize) {
    let pad = "  ".repeat(depth);
    let local = |l: LocalId| local_name(program, l);
    let children = |out: &mut String, label: &str, items: &[&Expr]| {
        let _ = writeln!(out, "{pad}({label}");
        for item in items {
            write_expr(out, program, item, depth + 1);
        }
        let _ = writeln!(out, "{pad})");
    };
    match &e.kind {
        ExprKind::Const(lit) => {
            let _ = writeln!(out, "{pad}(const {lit})");
        }
        ExprKind::Local(l) => {
            let _ = writeln!(out, "{pad}(local {})", local(*l));
        }
        ExprKind::SelfRef => {
            let _ = writeln!(out, "{pad}(self)");
        }
        ExprKind::Global(name) => {
            let _ = writeln!(out, "{pad}(global {name})");
        }
        ExprKind::SetLocal(l, v) => children(out, &format!("set-local {}", local(*l)), &[v]),
        ExprKind::SetGlobal(name, v) => children(out, &format!("set-global {name}"), &[v]),
        ExprKind::DefineGlobal(name, v) => children(out, &format!("define-global {name}"), &[v]),
        ExprKind::Let(bindings, body) => {
            let _ = writeln!(out, "{pad}(let");
            for (l, init) in bindings {
                let _ = writeln!(out, "{pad}  [{}", local(*l));
                write_expr(out, program, init, depth + 2);
                let _ = writeln!(out, "{pad}  ]");
            }
            write_expr(out, program, body, depth + 1);
            let _ = writeln!(out, "{pad})");
        }
        ExprKind::Declare(locals, body) => {
            let names: Vec<String> = locals.iter().map(|l| local(*l)).collect();
            children(out, &format!("declare {}", names.join(" ")), &[body]);
        }
        ExprKind::If(t, a, b) => children(out, "if", &[t, a, b]),
        ExprKind::Seq(items) => children(out, "seq", &items.iter().collect::<Vec<_>>()),
        ExprKind::And(items) => children(out, "and", &items.iter().collect::<Vec<_>>()),
        ExprKind::Or(items) => children(out, "or", &items.iter().collect::<Vec<_>>()),
        ExprKind::Loop { steps, test, body, result } => {
            let _ = writeln!(out, "{pad}(loop");
            for (l, step) in steps {
                let _ = writeln!(out, "{pad}  [step {}", local(*l));
                write_expr(out, program, step, depth + 2);
                let _ = writeln!(out, "{pad}  ]");
            }
            for part in [test, body, result] {
                write_expr(out, program, part, depth + 1);
            }
            let _ = writeln!(out, "{pad})");
        }
        ExprKind::Lambda(id) => {
            let _ = writeln!(out, "{pad}(lambda fn{id})");
        }
        ExprKind::NamedLoop { id, vars, inits, body } => {
            let names: Vec<String> = vars.iter().map(|l| local(*l)).collect();
            let mut all: Vec<&Expr> = inits.iter().collect();
            all.push(body);
            children(out, &format!("named-loop fn{id} [{}]", names.join(" ")), &all);
        }
        ExprKind::Recur(id, args) => children(out, &format!("recur fn{id}"), &args.iter().collect::<Vec<_>>()),
        ExprKind::Call(f, args) => {
            let mut all: Vec<&Expr> = vec![f];
            all.extend(args.iter());
            children(out, "call", &all)
        }
        ExprKind::CallGlobal(name, args) => children(out, &format!("call-global {name}"), &args.iter().collect::<Vec<_>>()),
        ExprKind::Intrinsic(op, args) => children(out, &format!("{op:?}"), &args.iter().collect::<Vec<_>>()),
        ExprKind::MakeList(items) => children(out, "list", &items.iter().collect::<Vec<_>>()),
        ExprKind::MakeVector(items) => children(out, "vector", &items.iter().collect::<Vec<_>>()),
        ExprKind::MakeMap(pairs) => {
            let items: Vec<&Expr> = pairs.iter().flat_map(|(k, v)| [k, v]).collect();
            children(out, "map", &items)
        }
        ExprKind::Try(body, l, handler) => children(out, &format!("try catch {}", local(*l)), &[body, handler]),
        ExprKind::Throw(v) => children(out, "throw", &[v]),
    }
}
