//! The instruction set, defined once.
//!
//! Every opcode has a fixed numeric id. Ids are only ever appended: an id is never reused
//! or renumbered, so a bundle written by an older compiler decodes to the same meaning.
//! The `opcodes!` table generates the decoded [`Instr`] enum, the byte encoder and
//! decoder, the mnemonic names used by the disassembler and the stack effects the
//! verifier checks. The VM dispatches on [`Instr`] directly.
//!
//! Notation in the meaning comments: `S` is the operand stack of the current frame
//! (`S[-1]` its top), `L[i]` a local slot, `C[i]` a capture of the running closure,
//! `K[i]` a constant, `G[s]` the global named by symbol `s`.
//!
//! Encoding: one opcode byte, then each operand little-endian at its fixed width.
//!
//! A jump target means different things at different stages, and each meaning has its
//! own type: [`Instr`] is generic over it. The table writes the operand as [`Target`];
//! in an `Instr<T>` it is a `T`. Encoded (and just decoded) code, `Instr<ByteOffset>`,
//! jumps to a byte offset inside the same function; verified code, `Instr<InstrIndex>`
//! (the default, what the VM runs), to the index of the target instruction; the
//! compiler's code before assembly to a label of its own. Only `Instr<ByteOffset>`
//! encodes and decodes, and [`Instr::map_target`] is the one way between them.

use std::fmt;

/// Index into the bundle's constant pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct ConstIdx(pub u32);
/// Index into the bundle's symbol table (symbols, keywords and global names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SymIdx(pub u32);
/// Index into the bundle's function prototypes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct ProtoIdx(pub u32);
/// A local slot of the current frame (parameters first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Slot(pub u16);
/// Index into the running closure's captured values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct CaptureIdx(pub u16);
/// The jump target operand kind of the table; in an `Instr<T>` the operand is a `T`
/// (see the module comment). It has no values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {}
/// A byte offset in a function's encoded code: where an encoded jump goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ByteOffset(pub u32);
/// The index of an instruction in a function's decoded code: where a verified jump goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstrIndex(pub u32);
/// Number of arguments of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Argc(pub u16);
/// Number of elements (or key/value pairs) an instruction collects from the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Count(pub u32);
/// An integer literal small enough to live in the instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SmallInt(pub i32);

/// How an operand is stored in the byte stream.
pub(crate) trait Operand: Sized + Copy {
    const WIDTH: usize;
    fn write(self, out: &mut Vec<u8>);
    fn read(bytes: &[u8]) -> Self;
    fn display(self) -> String;
}

/// One operand of an instruction, tagged with its kind: for code that treats a kind
/// alike wherever it appears (the verifier's range checks, the disassembler's notes),
/// so that an instruction added to the table is handled without code of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypedOperand<T> {
    Const(ConstIdx),
    Sym(SymIdx),
    Proto(ProtoIdx),
    Slot(Slot),
    Capture(CaptureIdx),
    Argc(Argc),
    Count(Count),
    Int(SmallInt),
    Target(T),
}

/// An operand kind of the table as a field of `Instr<T>`: the kind itself, except
/// [`Target`], whose field is a `T`.
pub trait Field<T> {
    type Ty;
    /// The field tagged with its kind.
    fn typed(value: Self::Ty) -> TypedOperand<T>;
    /// The field with a symbol index mapped by `f` (unchanged if it is not one).
    fn map_sym(value: Self::Ty, _f: &mut impl FnMut(SymIdx) -> SymIdx) -> Self::Ty {
        value
    }
}

/// The field of an `Instr<T>` as the field of an `Instr<U>`, mapping a jump target.
pub trait MapField<T, U>: Field<T> + Field<U> {
    fn map<E>(value: <Self as Field<T>>::Ty, f: &mut impl FnMut(T) -> Result<U, E>)
        -> Result<<Self as Field<U>>::Ty, E>;
}

impl<T> Field<T> for Target {
    type Ty = T;
    fn typed(value: T) -> TypedOperand<T> {
        TypedOperand::Target(value)
    }
}

impl<T, U> MapField<T, U> for Target {
    fn map<E>(value: T, f: &mut impl FnMut(T) -> Result<U, E>) -> Result<U, E> {
        f(value)
    }
}

macro_rules! operand {
    ($ty:ident, $inner:ty, $width:expr, $prefix:expr) => {
        impl Operand for $ty {
            const WIDTH: usize = $width;
            fn write(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.0.to_le_bytes());
            }
            fn read(bytes: &[u8]) -> Self {
                let mut raw = [0u8; $width];
                raw.copy_from_slice(&bytes[..$width]);
                $ty(<$inner>::from_le_bytes(raw))
            }
            fn display(self) -> String {
                format!("{}{}", $prefix, self.0)
            }
        }
    };
}

/// An operand kind that is the same in every target space.
macro_rules! plain_operand {
    ($ty:ident, $inner:ty, $width:expr, $prefix:expr, $kind:ident $(, $extra:item)*) => {
        operand!($ty, $inner, $width, $prefix);
        impl<T> Field<T> for $ty {
            type Ty = $ty;
            fn typed(value: $ty) -> TypedOperand<T> {
                TypedOperand::$kind(value)
            }
            $($extra)*
        }
        impl<T, U> MapField<T, U> for $ty {
            fn map<E>(value: $ty, _: &mut impl FnMut(T) -> Result<U, E>) -> Result<$ty, E> {
                Ok(value)
            }
        }
    };
}
plain_operand!(ConstIdx, u32, 4, "k", Const);
plain_operand!(
    SymIdx,
    u32,
    4,
    "s",
    Sym,
    fn map_sym(value: SymIdx, f: &mut impl FnMut(SymIdx) -> SymIdx) -> SymIdx {
        f(value)
    }
);
plain_operand!(ProtoIdx, u32, 4, "f", Proto);
plain_operand!(Slot, u16, 2, "l", Slot);
plain_operand!(CaptureIdx, u16, 2, "c", Capture);
plain_operand!(Argc, u16, 2, "#", Argc);
plain_operand!(Count, u32, 4, "n", Count);
plain_operand!(SmallInt, i32, 4, "", Int);
operand!(ByteOffset, u32, 4, "@");

/// How an instruction changes the depth of the operand stack: it pops `pops` values,
/// then pushes `pushes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackEffect {
    pub pops: u32,
    pub pushes: u32,
}

/// What control does after an instruction whose jump targets are `T`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow<T> {
    /// Continues with the next instruction.
    Next,
    /// Continues with the next instruction or the target.
    Branch(T),
    /// Continues at the target keeping the tested value, or with the next instruction
    /// having popped it (`and`/`or`).
    BranchKeep(T),
    /// Always continues at the target.
    Jump(T),
    /// Continues with the next instruction; on an error raised later, at the target
    /// with the error value pushed on the stack depth of this instruction.
    Handler(T),
    /// Leaves the function (return, tail call, throw).
    Exit,
}

macro_rules! opcodes {
    ($(
        $(#[doc = $doc:expr])*
        $id:literal $name:ident { $($field:ident : $fty:ident),* }
            pops($pops:expr) pushes($pushes:expr) flow($flow:expr);
    )*) => {
        /// One instruction, its jump targets `T`s (see the module comment).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Instr<T = InstrIndex> {
            $( $(#[doc = $doc])* $name { $($field: <$fty as Field<T>>::Ty),* }, )*
        }

        impl<T: Copy> Instr<T> {
            /// The instruction's fixed numeric id.
            pub fn opcode(&self) -> u8 {
                match self { $( Instr::$name { .. } => $id, )* }
            }

            /// The disassembler's name for the instruction.
            pub fn mnemonic(&self) -> &'static str {
                match self { $( Instr::$name { .. } => stringify!($name), )* }
            }

            /// The encoded size in bytes (the same whatever the targets mean).
            pub fn encoded_len(&self) -> usize {
                match self {
                    $( Instr::$name { .. } => 1 $( + <<$fty as Field<ByteOffset>>::Ty as Operand>::WIDTH )*, )*
                }
            }

            /// The operand stack effect, used by the verifier.
            #[allow(unused_variables)]
            pub fn stack_effect(&self) -> StackEffect {
                match *self {
                    $( Instr::$name { $($field),* } => StackEffect {
                        pops: $pops,
                        pushes: $pushes,
                    }, )*
                }
            }

            /// Where control goes after this instruction.
            #[allow(unused_variables)]
            pub fn flow(&self) -> Flow<T> {
                match *self {
                    $( Instr::$name { $($field),* } => $flow, )*
                }
            }

            /// Calls `f` with each operand tagged with its kind, in table order; stops at
            /// the first error.
            #[allow(unused_variables, unused_mut)]
            pub fn try_for_each_operand<E>(
                &self,
                mut f: impl FnMut(TypedOperand<T>) -> Result<(), E>,
            ) -> Result<(), E> {
                match *self {
                    $( Instr::$name { $($field),* } => { $( f(<$fty as Field<T>>::typed($field))?; )* } )*
                }
                Ok(())
            }

            /// The instruction with every symbol operand mapped by `f`.
            #[allow(unused_mut)]
            pub fn map_syms(self, mut f: impl FnMut(SymIdx) -> SymIdx) -> Instr<T> {
                match self {
                    $( Instr::$name { $($field),* } => Instr::$name {
                        $($field: <$fty as Field<T>>::map_sym($field, &mut f)),*
                    }, )*
                }
            }

            /// The instruction with its jump target (if any) mapped by `f` to another
            /// meaning; `f`'s error stops the mapping.
            #[allow(unused_mut)]
            pub fn map_target<U, E>(self, mut f: impl FnMut(T) -> Result<U, E>) -> Result<Instr<U>, E> {
                Ok(match self {
                    $( Instr::$name { $($field),* } => Instr::$name {
                        $($field: <$fty as MapField<T, U>>::map($field, &mut f)?),*
                    }, )*
                })
            }
        }

        impl<T: Copy> Instr<T> {
            /// Calls `f` with each operand tagged with its kind, in table order.
            pub fn for_each_operand(&self, mut f: impl FnMut(TypedOperand<T>)) {
                let done: Result<(), std::convert::Infallible> = self.try_for_each_operand(|operand| Ok(f(operand)));
                let Ok(()) = done;
            }

            /// The instruction with its jump target (if any) mapped by `f`, which cannot fail.
            pub fn retarget<U>(self, mut f: impl FnMut(T) -> U) -> Instr<U> {
                match self.map_target(|target| Ok::<U, std::convert::Infallible>(f(target))) {
                    Ok(instr) => instr,
                    Err(never) => match never {},
                }
            }
        }

        impl Instr<ByteOffset> {
            /// Appends the encoded form to `out`.
            pub fn encode(&self, out: &mut Vec<u8>) {
                match *self {
                    $( Instr::$name { $($field),* } => {
                        out.push($id);
                        $( $field.write(out); )*
                    } )*
                }
            }

            /// Decodes the instruction at the start of `bytes`; returns it with its
            /// encoded length.
            #[allow(unused_assignments)]
            pub fn decode(bytes: &[u8]) -> Result<(Instr<ByteOffset>, usize), DecodeError> {
                let Some(&op) = bytes.first() else {
                    return Err(DecodeError::Truncated);
                };
                match op {
                    $( $id => {
                        let len = 1 $( + <<$fty as Field<ByteOffset>>::Ty as Operand>::WIDTH )*;
                        if bytes.len() < len {
                            return Err(DecodeError::Truncated);
                        }
                        #[allow(unused_mut, unused_variables, unused_assignments)]
                        let mut at = 1;
                        $(
                            let $field = <<$fty as Field<ByteOffset>>::Ty as Operand>::read(&bytes[at..]);
                            at += <<$fty as Field<ByteOffset>>::Ty as Operand>::WIDTH;
                        )*
                        Ok((Instr::$name { $($field),* }, len))
                    } )*
                    other => Err(DecodeError::UnknownOpcode(other)),
                }
            }

            /// The operands, formatted for the disassembler.
            #[allow(unused_variables)]
            pub fn operands(&self) -> Vec<String> {
                match *self {
                    $( Instr::$name { $($field),* } => vec![$( $field.display() ),*], )*
                }
            }
        }

        impl Instr {
            /// Every opcode id in the table, ascending.
            pub const ALL_OPCODES: &'static [u8] = &[$($id),*];
        }
    };
}

opcodes! {
    /// push nil
    0 Nil {} pops(0) pushes(1) flow(Flow::Next);
    /// push #t
    1 True {} pops(0) pushes(1) flow(Flow::Next);
    /// push #f
    2 False {} pops(0) pushes(1) flow(Flow::Next);
    /// push the integer `value`
    3 Int { value: SmallInt } pops(0) pushes(1) flow(Flow::Next);
    /// push K[idx]
    4 Const { idx: ConstIdx } pops(0) pushes(1) flow(Flow::Next);
    /// drop S[-1]
    5 Pop {} pops(1) pushes(0) flow(Flow::Next);
    /// push S[-1] again
    6 Dup {} pops(1) pushes(2) flow(Flow::Next);
    /// push L[slot]
    7 LoadLocal { slot: Slot } pops(0) pushes(1) flow(Flow::Next);
    /// L[slot] := pop
    8 StoreLocal { slot: Slot } pops(1) pushes(0) flow(Flow::Next);
    /// push C[idx]
    9 LoadCapture { idx: CaptureIdx } pops(0) pushes(1) flow(Flow::Next);
    /// L[slot] := a new cell holding L[slot] (for a captured variable that is assigned)
    10 MakeCell { slot: Slot } pops(0) pushes(0) flow(Flow::Next);
    /// push the contents of the cell in L[slot]
    11 LoadCellLocal { slot: Slot } pops(0) pushes(1) flow(Flow::Next);
    /// the cell in L[slot] := pop
    12 StoreCellLocal { slot: Slot } pops(1) pushes(0) flow(Flow::Next);
    /// push the contents of the cell in C[idx]
    13 LoadCellCapture { idx: CaptureIdx } pops(0) pushes(1) flow(Flow::Next);
    /// the cell in C[idx] := pop
    14 StoreCellCapture { idx: CaptureIdx } pops(1) pushes(0) flow(Flow::Next);
    /// push G[sym]; an unbound global raises `Unbound variable`
    15 LoadGlobal { sym: SymIdx } pops(0) pushes(1) flow(Flow::Next);
    /// G[sym] := pop (define and set! of a global)
    16 StoreGlobal { sym: SymIdx } pops(1) pushes(0) flow(Flow::Next);
    /// pc := target
    17 Jump { target: Target } pops(0) pushes(0) flow(Flow::Jump(target));
    /// if pop is falsy then pc := target
    18 JumpIfFalse { target: Target } pops(1) pushes(0) flow(Flow::Branch(target));
    /// if pop is truthy then pc := target
    19 JumpIfTrue { target: Target } pops(1) pushes(0) flow(Flow::Branch(target));
    /// if S[-1] is falsy then pc := target (keeping it) else pop (`and`)
    20 JumpIfFalseOrPop { target: Target } pops(1) pushes(0) flow(Flow::BranchKeep(target));
    /// if S[-1] is truthy then pc := target (keeping it) else pop (`or`)
    21 JumpIfTrueOrPop { target: Target } pops(1) pushes(0) flow(Flow::BranchKeep(target));
    /// S[-argc-1](S[-argc] .. S[-1]) replaces the callee and arguments with the result
    22 Call { argc: Argc } pops(argc.0 as u32 + 1) pushes(1) flow(Flow::Next);
    /// return S[-argc-1](S[-argc] .. S[-1]), reusing this frame
    23 TailCall { argc: Argc } pops(argc.0 as u32 + 1) pushes(0) flow(Flow::Exit);
    /// G[sym](S[-argc] .. S[-1]) replaces the arguments with the result
    24 CallGlobal { sym: SymIdx, argc: Argc } pops(argc.0 as u32) pushes(1) flow(Flow::Next);
    /// return G[sym](S[-argc] .. S[-1]), reusing this frame
    25 TailCallGlobal { sym: SymIdx, argc: Argc } pops(argc.0 as u32) pushes(0) flow(Flow::Exit);
    /// return pop to the caller
    26 Return {} pops(1) pushes(0) flow(Flow::Exit);
    /// push a closure of `proto`, capturing what its capture descriptors name in this frame
    27 Closure { proto: ProtoIdx } pops(0) pushes(1) flow(Flow::Next);
    /// push a list of the top `count` values (first pushed is first)
    28 MakeList { count: Count } pops(count.0) pushes(1) flow(Flow::Next);
    /// push a vector of the top `count` values
    29 MakeVector { count: Count } pops(count.0) pushes(1) flow(Flow::Next);
    /// push a sorted map of the top `pairs` key/value pairs (later keys win)
    30 MakeMap { pairs: Count } pops(pairs.0.saturating_mul(2)) pushes(1) flow(Flow::Next);
    /// install an error handler: an error raised until PopHandler unwinds to this depth,
    /// pushes the error map and continues at target
    31 PushHandler { target: Target } pops(0) pushes(0) flow(Flow::Handler(target));
    /// remove the innermost handler of this frame
    32 PopHandler {} pops(0) pushes(0) flow(Flow::Next);
    /// raise pop as an error (`throw`)
    33 Throw {} pops(1) pushes(0) flow(Flow::Exit);
    /// S[-2] + S[-1] (the `+` builtin with two arguments)
    34 Add {} pops(2) pushes(1) flow(Flow::Next);
    /// S[-2] - S[-1]
    35 Sub {} pops(2) pushes(1) flow(Flow::Next);
    /// S[-2] * S[-1]
    36 Mul {} pops(2) pushes(1) flow(Flow::Next);
    /// S[-2] / S[-1]
    37 Div {} pops(2) pushes(1) flow(Flow::Next);
    /// S[-2] < S[-1]
    38 Lt {} pops(2) pushes(1) flow(Flow::Next);
    /// S[-2] > S[-1]
    39 Gt {} pops(2) pushes(1) flow(Flow::Next);
    /// S[-2] <= S[-1]
    40 Le {} pops(2) pushes(1) flow(Flow::Next);
    /// S[-2] >= S[-1]
    41 Ge {} pops(2) pushes(1) flow(Flow::Next);
    /// S[-2] = S[-1] (numeric, structural for non-numbers)
    42 NumEq {} pops(2) pushes(1) flow(Flow::Next);
    /// (not S[-1])
    43 Not {} pops(1) pushes(1) flow(Flow::Next);
    /// (car S[-1])
    44 Car {} pops(1) pushes(1) flow(Flow::Next);
    /// (cdr S[-1])
    45 Cdr {} pops(1) pushes(1) flow(Flow::Next);
    /// (cons S[-2] S[-1])
    46 Cons {} pops(2) pushes(1) flow(Flow::Next);
    /// (null? S[-1])
    47 IsNull {} pops(1) pushes(1) flow(Flow::Next);
    /// (pair? S[-1])
    48 IsPair {} pops(1) pushes(1) flow(Flow::Next);
    /// L[slot] + value, pushed (a local plus an integer literal)
    49 AddLocalInt { slot: Slot, value: SmallInt } pops(0) pushes(1) flow(Flow::Next);
    /// (get S[-2] S[-1])
    50 Get {} pops(2) pushes(1) flow(Flow::Next);
    /// (mod S[-2] S[-1])
    51 Mod {} pops(2) pushes(1) flow(Flow::Next);
    /// (- S[-1])
    52 Neg {} pops(1) pushes(1) flow(Flow::Next);
    /// (equal? S[-2] S[-1])
    53 Equal {} pops(2) pushes(1) flow(Flow::Next);
    /// (nth S[-2] S[-1])
    54 Nth {} pops(2) pushes(1) flow(Flow::Next);
    /// push the running closure (a named function referring to itself)
    55 LoadSelf {} pops(0) pushes(1) flow(Flow::Next);
    /// push L[slot] and leave nil in it (the local's last use: the value moves)
    56 MoveLocal { slot: Slot } pops(0) pushes(1) flow(Flow::Next);
    // Compare-and-branch superinstructions: `Lt; JumpIfFalse L` and the like in one
    // dispatch, without materialising the boolean.
    /// pop b, pop a; if not (a < b) then pc := target
    57 LtJumpIfFalse { target: Target } pops(2) pushes(0) flow(Flow::Branch(target));
    /// pop b, pop a; if a < b then pc := target
    58 LtJumpIfTrue { target: Target } pops(2) pushes(0) flow(Flow::Branch(target));
    /// pop b, pop a; if not (a > b) then pc := target
    59 GtJumpIfFalse { target: Target } pops(2) pushes(0) flow(Flow::Branch(target));
    /// pop b, pop a; if a > b then pc := target
    60 GtJumpIfTrue { target: Target } pops(2) pushes(0) flow(Flow::Branch(target));
    /// pop b, pop a; if not (a <= b) then pc := target
    61 LeJumpIfFalse { target: Target } pops(2) pushes(0) flow(Flow::Branch(target));
    /// pop b, pop a; if a <= b then pc := target
    62 LeJumpIfTrue { target: Target } pops(2) pushes(0) flow(Flow::Branch(target));
    /// pop b, pop a; if not (a >= b) then pc := target
    63 GeJumpIfFalse { target: Target } pops(2) pushes(0) flow(Flow::Branch(target));
    /// pop b, pop a; if a >= b then pc := target
    64 GeJumpIfTrue { target: Target } pops(2) pushes(0) flow(Flow::Branch(target));
    /// pop b, pop a; if not (= a b) then pc := target
    65 NumEqJumpIfFalse { target: Target } pops(2) pushes(0) flow(Flow::Branch(target));
    /// pop b, pop a; if (= a b) then pc := target
    66 NumEqJumpIfTrue { target: Target } pops(2) pushes(0) flow(Flow::Branch(target));
    /// return self(S[-argc] .. S[-1]) by restarting this frame at pc 0 with the
    /// arguments as its parameters (a named let's next iteration); argc is the
    /// function's arity and it has no rest parameter (V9)
    67 TailCallSelf { argc: Argc } pops(argc.0 as u32) pushes(0) flow(Flow::Exit);
    /// L[slot] - value, pushed (a local minus an integer literal)
    68 SubLocalInt { slot: Slot, value: SmallInt } pops(0) pushes(1) flow(Flow::Next);
    /// S[-2] + S[-1] for numbers only: one step of an n-ary `+`
    69 AddNum {} pops(2) pushes(1) flow(Flow::Next);
    /// push L[a], then L[b] (two operands of a comparison or call in one dispatch)
    70 LoadLocal2 { a: Slot, b: Slot } pops(0) pushes(2) flow(Flow::Next);
}

/// Why a byte stream did not decode to an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    UnknownOpcode(u8),
    Truncated,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::UnknownOpcode(op) => write!(f, "unknown opcode {op:#04x}"),
            DecodeError::Truncated => write!(f, "instruction cut off by the end of the code"),
        }
    }
}

// The VM copies instructions in its dispatch loop; keep them small.
const _: () = assert!(std::mem::size_of::<Instr>() <= 8);
// Encoded targets and instruction indices take the same room, so no instruction's
// size depends on which one it holds.
const _: () = assert!(std::mem::size_of::<Instr<ByteOffset>>() == std::mem::size_of::<Instr>());

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Instr<ByteOffset>> {
        vec![
            Instr::Nil {},
            Instr::Int { value: SmallInt(-7) },
            Instr::Const { idx: ConstIdx(70000) },
            Instr::LoadLocal { slot: Slot(3) },
            Instr::Jump { target: ByteOffset(12) },
            Instr::CallGlobal { sym: SymIdx(9), argc: Argc(2) },
            Instr::AddLocalInt { slot: Slot(1), value: SmallInt(-1) },
            Instr::Nth {},
            Instr::LoadLocal2 { a: Slot(2), b: Slot(65535) },
        ]
    }

    #[test]
    fn every_instruction_round_trips_through_its_encoding() {
        for instr in samples() {
            let mut bytes = Vec::new();
            instr.encode(&mut bytes);
            assert_eq!(bytes.len(), instr.encoded_len());
            assert_eq!(Instr::decode(&bytes), Ok((instr, bytes.len())));
        }
    }

    #[test]
    fn decoding_rejects_unknown_and_cut_off_instructions() {
        assert_eq!(Instr::decode(&[0xff]), Err(DecodeError::UnknownOpcode(0xff)));
        assert_eq!(Instr::decode(&[4, 1, 2]), Err(DecodeError::Truncated));
        assert_eq!(Instr::decode(&[]), Err(DecodeError::Truncated));
    }

    #[test]
    fn opcode_ids_are_dense_and_ascending() {
        // Ids are append-only; a gap or reorder in the table is a mistake.
        for (i, &id) in Instr::ALL_OPCODES.iter().enumerate() {
            assert_eq!(id as usize, i);
        }
    }
}
