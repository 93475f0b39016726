//! Loop tests at the back edge.
//!
//! A loop as code generation lays it out jumps back to its test, which then branches
//! into the body again: two dispatches per iteration for one decision. Here a
//! backward `Jump` whose target starts with a short test (a few plain instructions
//! and a conditional branch) gets a copy of that test instead, its branch turned
//! (negated if need be) so that it is taken when the loop goes on, into the body,
//! followed by a jump to where the test leaves the loop. Only leaving pays the extra
//! jump.
//!
//! The copy does what the original would have done a jump later: a `Jump` changes no
//! register, and the copied instructions neither call nor leave the function. Every
//! iteration still takes exactly one backward transfer, so fuel still bounds every
//! loop; leaving a loop whose body follows its test now takes no backward jump, so a
//! run under `--fuel` stops a step or so later than before.

use std::collections::HashMap;

use bundle_format::opcodes::{Flow, Instr};

use crate::codegen::{Asm, Label};

/// Most instructions copied per back edge, the branch included: a test longer than
/// this grows the code more than one dispatch per iteration is worth.
const MOST_COPIED: usize = 3;

/// Gives every backward jump onto a short test a copy of the test (module comment).
pub fn copy_tests_to_back_edges(asm: &mut Vec<Asm>) {
    let mut next_label = asm.iter().filter_map(|item| if let Asm::Label(l) = item { Some(l.0 + 1) } else { None }).max().unwrap_or(0);
    let positions: HashMap<Label, usize> =
        asm.iter().enumerate().filter_map(|(at, item)| if let Asm::Label(l) = item { Some((*l, at)) } else { None }).collect();
    // By the position of a back edge: what replaces it.
    let mut copies: HashMap<usize, Vec<Asm>> = HashMap::new();
    // By the position of an original test's branch: the label placed after it.
    let mut labels_after: HashMap<usize, Label> = HashMap::new();
    for (at, item) in asm.iter().enumerate() {
        let Asm::Op(Instr::Jump { target }, span) = item else { continue };
        // A label never placed is left for the assembler to report.
        let Some(&start) = positions.get(target) else { continue };
        if start > at {
            continue;
        }
        let Some((mut test, branch_at)) = short_test(asm, start) else { continue };
        let after = *labels_after.entry(branch_at).or_insert_with(|| {
            next_label += 1;
            Label(next_label - 1)
        });
        let Some(Asm::Op(branch, branch_span)) = test.pop() else { unreachable!("a test ends with its branch") };
        let Flow::Branch(taken) = branch.flow() else { unreachable!("a test ends with a branch") };
        // The loop goes on where the branch jumps if that is between the test and
        // this back edge (the copy keeps the branch and leaves after the test);
        // otherwise it goes on after the test (the copy's branch is negated to jump
        // there and leaves where the original jumps).
        let Some(&taken_at) = positions.get(&taken) else { continue };
        let (go_on, exit) = if (branch_at..at).contains(&taken_at) {
            (branch, after)
        } else {
            (branch.negated(after).expect("a conditional branch negates"), taken)
        };
        test.push(Asm::Op(go_on, branch_span));
        // No jump to the very next instruction (a loop whose exit follows it).
        let mut next_labels = asm[at + 1..].iter().map_while(|item| if let Asm::Label(l) = item { Some(*l) } else { None });
        if !next_labels.any(|l| l == exit) {
            test.push(Asm::Op(Instr::Jump { target: exit }, *span));
        }
        copies.insert(at, test);
    }
    if copies.is_empty() {
        return;
    }
    let mut rewritten = Vec::with_capacity(asm.len() + (MOST_COPIED + 2) * copies.len());
    for (at, item) in std::mem::take(asm).into_iter().enumerate() {
        match copies.remove(&at) {
            Some(copy) => rewritten.extend(copy),
            None => rewritten.push(item),
        }
        if let Some(label) = labels_after.get(&at) {
            rewritten.push(Asm::Label(*label));
        }
    }
    *asm = rewritten;
}

/// The test starting at `start` (a label's position): the instructions up to and
/// including its first conditional branch, and the branch's position. `None` when
/// something else comes first (a call, a jump, a return) or the test is too long.
fn short_test(asm: &[Asm], start: usize) -> Option<(Vec<Asm>, usize)> {
    let mut test = Vec::new();
    for (at, item) in asm.iter().enumerate().skip(start) {
        let Asm::Op(instr, _) = item else { continue };
        // A call (or anything with a window of registers) is not copied.
        if test.len() == MOST_COPIED || instr.window().is_some() {
            return None;
        }
        test.push(*item);
        match instr.flow() {
            Flow::Next => {}
            Flow::Branch(_) => return Some((test, at)),
            Flow::Jump(_) | Flow::Handler(_) | Flow::Exit => return None,
        }
    }
    None
}
