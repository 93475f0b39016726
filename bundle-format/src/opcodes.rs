//! The instruction set, defined once.
//!
//! Every opcode has a fixed numeric id. Ids are only ever appended: an id is never reused
//! or renumbered, so a bundle written by an older compiler decodes to the same meaning.
//! The `opcodes!` table generates the decoded [`Instr`] enum, the byte encoder and
//! decoder, the mnemonic names used by the disassembler, and for the verifier each
//! operand tagged with its kind and the register window an instruction uses. The VM
//! dispatches on [`Instr`] directly.
//!
//! The machine is register based (docs/vm2.md): an instruction names the registers it
//! reads and writes. Notation in the meaning comments: `R[i]` a register of the current
//! frame (parameters first, then locals and temporaries), `C[i]` a capture of the
//! running closure, `K[i]` a constant, `G[s]` the global named by symbol `s`.
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
/// A register of the current frame (parameters first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Slot(pub u16);
/// A register below 256, for the instructions that need a byte more room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SmallSlot(pub u8);
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
/// Number of arguments of a call to a global (a longer call loads the global first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SmallArgc(pub u8);
/// Number of elements (or key/value pairs) an instruction collects from the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Count(pub u32);
/// An integer literal small enough to live in the instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct SmallInt(pub i32);
/// The registers from R[0] below this bound are the ones a function may have written
/// when it returns (its parameters and every register its code names on a path to
/// the return): the ones the return resets. Frames run deep in recursions that leave
/// at a base case having touched a few of their registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Written(pub u16);
/// An integer literal of an instruction that also names two registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct ShortInt(pub i16);

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
    SmallSlot(SmallSlot),
    Capture(CaptureIdx),
    Argc(Argc),
    SmallArgc(SmallArgc),
    Count(Count),
    Int(SmallInt),
    ShortInt(ShortInt),
    Written(Written),
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
plain_operand!(Slot, u16, 2, "r", Slot);
plain_operand!(SmallSlot, u8, 1, "r", SmallSlot);
plain_operand!(CaptureIdx, u16, 2, "c", Capture);
plain_operand!(Argc, u16, 2, "#", Argc);
plain_operand!(SmallArgc, u8, 1, "#", SmallArgc);
plain_operand!(Count, u32, 4, "n", Count);
plain_operand!(SmallInt, i32, 4, "", Int);
plain_operand!(ShortInt, i16, 2, "", ShortInt);
plain_operand!(Written, u16, 2, "w", Written);
operand!(ByteOffset, u32, 4, "@");

/// A run of consecutive registers an instruction reads or writes as a whole (a call's
/// callee and arguments, a collection's items): `len` registers from `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: u32,
    pub len: u32,
}

/// What control does after an instruction whose jump targets are `T`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow<T> {
    /// Continues with the next instruction.
    Next,
    /// Continues with the next instruction or the target.
    Branch(T),
    /// Always continues at the target.
    Jump(T),
    /// Continues with the next instruction; on an error raised later, at the target
    /// with the error map in the handler's register.
    Handler(T),
    /// Leaves the function (return, tail call, throw).
    Exit,
}

macro_rules! opcodes {
    ($(
        $(#[doc = $doc:expr])*
        $id:literal $name:ident { $($field:ident : $fty:ident),* }
            window($window:expr) flow($flow:expr);
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

            /// The run of registers the instruction uses as a whole, if any; the
            /// verifier checks it lies inside the frame.
            #[allow(unused_variables)]
            pub fn window(&self) -> Option<Window> {
                match *self {
                    $( Instr::$name { $($field),* } => $window.map(|(start, len): (u32, u32)| Window { start, len }), )*
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
    /// R[dst] := nil
    0 LoadNil { dst: Slot } window(None) flow(Flow::Next);
    /// R[dst] := #t
    1 LoadTrue { dst: Slot } window(None) flow(Flow::Next);
    /// R[dst] := #f
    2 LoadFalse { dst: Slot } window(None) flow(Flow::Next);
    /// R[dst] := the integer `value`
    3 LoadInt { dst: Slot, value: SmallInt } window(None) flow(Flow::Next);
    /// R[dst] := K[idx]
    4 LoadConst { dst: Slot, idx: ConstIdx } window(None) flow(Flow::Next);
    /// R[dst] := R[src] (a copy)
    5 Move { dst: Slot, src: Slot } window(None) flow(Flow::Next);
    /// R[dst] := R[src], leaving nil in R[src] (a local's last use: the value moves)
    6 MoveOut { dst: Slot, src: Slot } window(None) flow(Flow::Next);
    /// R[dst] := C[idx]
    7 LoadCapture { dst: Slot, idx: CaptureIdx } window(None) flow(Flow::Next);
    /// R[reg] := a new cell holding R[reg] (a captured variable that is assigned)
    8 MakeCell { reg: Slot } window(None) flow(Flow::Next);
    /// R[dst] := the contents of the cell in R[cell]
    9 LoadCell { dst: Slot, cell: Slot } window(None) flow(Flow::Next);
    /// the cell in R[cell] := R[src]
    10 StoreCell { cell: Slot, src: Slot } window(None) flow(Flow::Next);
    /// R[dst] := the contents of the cell in C[idx]
    11 LoadCellCapture { dst: Slot, idx: CaptureIdx } window(None) flow(Flow::Next);
    /// the cell in C[idx] := R[src]
    12 StoreCellCapture { idx: CaptureIdx, src: Slot } window(None) flow(Flow::Next);
    /// R[dst] := G[sym]; an unbound global raises `Unbound variable`
    13 LoadGlobal { dst: Slot, sym: SymIdx } window(None) flow(Flow::Next);
    /// G[sym] := R[src] (define and set! of a global)
    14 StoreGlobal { sym: SymIdx, src: Slot } window(None) flow(Flow::Next);
    /// R[dst] := the running closure (a named function referring to itself)
    15 LoadSelf { dst: Slot } window(None) flow(Flow::Next);
    /// pc := target
    16 Jump { target: Target } window(None) flow(Flow::Jump(target));
    /// if R[src] is falsy then pc := target
    17 JumpIfFalse { src: Slot, target: Target } window(None) flow(Flow::Branch(target));
    /// if R[src] is truthy then pc := target
    18 JumpIfTrue { src: Slot, target: Target } window(None) flow(Flow::Branch(target));
    /// R[a] := R[a](R[a+1] .. R[a+argc])
    19 Call { a: Slot, argc: Argc } window(Some((a.0 as u32, argc.0 as u32 + 1))) flow(Flow::Next);
    /// return R[a](R[a+1] .. R[a+argc]), reusing this frame
    20 TailCall { a: Slot, argc: Argc } window(Some((a.0 as u32, argc.0 as u32 + 1))) flow(Flow::Exit);
    /// R[a] := G[sym](R[a+1] .. R[a+argc])
    21 CallGlobal { sym: SymIdx, a: Slot, argc: SmallArgc } window(Some((a.0 as u32, argc.0 as u32 + 1))) flow(Flow::Next);
    /// return G[sym](R[a+1] .. R[a+argc]), reusing this frame
    22 TailCallGlobal { sym: SymIdx, a: Slot, argc: SmallArgc } window(Some((a.0 as u32, argc.0 as u32 + 1))) flow(Flow::Exit);
    /// R[a] := self(R[a+1] .. R[a+argc]): a call of the running closure (a local
    /// function's recursion), which need not be loaded into R[a]
    23 CallSelf { a: Slot, argc: Argc } window(Some((a.0 as u32, argc.0 as u32 + 1))) flow(Flow::Next);
    /// return R[src] to the caller, resetting R[0] .. R[written-1]
    24 Return { src: Slot, written: Written } window(None) flow(Flow::Exit);
    /// R[dst] := a closure of `proto`, capturing what its capture descriptors name in this frame
    25 Closure { dst: Slot, proto: ProtoIdx } window(None) flow(Flow::Next);
    /// R[dst] := a list of R[dst] .. R[dst+count-1]
    26 MakeList { dst: Slot, count: Count } window(Some((dst.0 as u32, count.0 as u32))) flow(Flow::Next);
    /// R[dst] := a vector of R[dst] .. R[dst+count-1]
    27 MakeVector { dst: Slot, count: Count } window(Some((dst.0 as u32, count.0 as u32))) flow(Flow::Next);
    /// R[dst] := a sorted map of the key/value pairs R[dst], R[dst+1] .. (later keys win);
    /// the window saturates: a wrapped length would let a hostile count pass V4
    28 MakeMap { dst: Slot, pairs: Count } window(Some((dst.0 as u32, pairs.0.saturating_mul(2)))) flow(Flow::Next);
    /// install an error handler: an error raised until PopHandler unwinds to this frame,
    /// puts the error map in R[dst] and continues at target
    29 PushHandler { dst: Slot, target: Target } window(None) flow(Flow::Handler(target));
    /// remove the innermost handler of this frame
    30 PopHandler {} window(None) flow(Flow::Next);
    /// raise R[src] as an error (`throw`)
    31 Throw { src: Slot } window(None) flow(Flow::Exit);
    /// R[dst] := R[a] + R[b] (the `+` builtin with two arguments)
    32 Add { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := R[a] + R[b] for numbers only: one step of an n-ary `+`
    33 AddNum { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := R[a] - R[b]
    34 Sub { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := R[a] * R[b]
    35 Mul { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := R[a] / R[b]
    36 Div { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := (mod R[a] R[b])
    37 Mod { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := R[a] < R[b]
    38 Lt { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := R[a] > R[b]
    39 Gt { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := R[a] <= R[b]
    40 Le { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := R[a] >= R[b]
    41 Ge { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := (= R[a] R[b]) (numeric, structural for non-numbers)
    42 NumEq { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := (equal? R[a] R[b])
    43 Equal { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := (cons R[a] R[b])
    44 Cons { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := (get R[a] R[b])
    45 Get { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := (nth R[a] R[b])
    46 Nth { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := (not R[src])
    47 Not { dst: Slot, src: Slot } window(None) flow(Flow::Next);
    /// R[dst] := (- R[src])
    48 Neg { dst: Slot, src: Slot } window(None) flow(Flow::Next);
    /// R[dst] := (car R[src])
    49 Car { dst: Slot, src: Slot } window(None) flow(Flow::Next);
    /// R[dst] := (cdr R[src])
    50 Cdr { dst: Slot, src: Slot } window(None) flow(Flow::Next);
    /// R[dst] := (null? R[src])
    51 IsNull { dst: Slot, src: Slot } window(None) flow(Flow::Next);
    /// R[dst] := (pair? R[src])
    52 IsPair { dst: Slot, src: Slot } window(None) flow(Flow::Next);
    /// R[dst] := R[a] + value (an integer literal)
    53 AddInt { dst: Slot, a: Slot, value: ShortInt } window(None) flow(Flow::Next);
    /// R[dst] := R[a] - value (an integer literal)
    54 SubInt { dst: Slot, a: Slot, value: ShortInt } window(None) flow(Flow::Next);
    // Compare-and-branch: a comparison and its branch in one dispatch, without
    // materialising the boolean. Their registers are below 256 (see SmallSlot).
    /// if not (R[a] < R[b]) then pc := target
    55 LtJumpIfFalse { a: SmallSlot, b: SmallSlot, target: Target } window(None) flow(Flow::Branch(target));
    /// if R[a] < R[b] then pc := target
    56 LtJumpIfTrue { a: SmallSlot, b: SmallSlot, target: Target } window(None) flow(Flow::Branch(target));
    /// if not (R[a] > R[b]) then pc := target
    57 GtJumpIfFalse { a: SmallSlot, b: SmallSlot, target: Target } window(None) flow(Flow::Branch(target));
    /// if R[a] > R[b] then pc := target
    58 GtJumpIfTrue { a: SmallSlot, b: SmallSlot, target: Target } window(None) flow(Flow::Branch(target));
    /// if not (R[a] <= R[b]) then pc := target
    59 LeJumpIfFalse { a: SmallSlot, b: SmallSlot, target: Target } window(None) flow(Flow::Branch(target));
    /// if R[a] <= R[b] then pc := target
    60 LeJumpIfTrue { a: SmallSlot, b: SmallSlot, target: Target } window(None) flow(Flow::Branch(target));
    /// if not (R[a] >= R[b]) then pc := target
    61 GeJumpIfFalse { a: SmallSlot, b: SmallSlot, target: Target } window(None) flow(Flow::Branch(target));
    /// if R[a] >= R[b] then pc := target
    62 GeJumpIfTrue { a: SmallSlot, b: SmallSlot, target: Target } window(None) flow(Flow::Branch(target));
    /// if not (= R[a] R[b]) then pc := target
    63 NumEqJumpIfFalse { a: SmallSlot, b: SmallSlot, target: Target } window(None) flow(Flow::Branch(target));
    /// if (= R[a] R[b]) then pc := target
    64 NumEqJumpIfTrue { a: SmallSlot, b: SmallSlot, target: Target } window(None) flow(Flow::Branch(target));
    /// if (null? R[src]) then pc := target
    65 JumpIfNull { src: Slot, target: Target } window(None) flow(Flow::Branch(target));
    /// if not (null? R[src]) then pc := target
    66 JumpIfNotNull { src: Slot, target: Target } window(None) flow(Flow::Branch(target));
    /// R[dst] := (nil? R[src])
    67 IsNil { dst: Slot, src: Slot } window(None) flow(Flow::Next);
    /// if (nil? R[src]) then pc := target
    68 JumpIfNil { src: Slot, target: Target } window(None) flow(Flow::Branch(target));
    /// if not (nil? R[src]) then pc := target
    69 JumpIfNotNil { src: Slot, target: Target } window(None) flow(Flow::Branch(target));
    /// R[dst] := (min R[a] R[b])
    70 Min { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
    /// R[dst] := (max R[a] R[b])
    71 Max { dst: Slot, a: Slot, b: Slot } window(None) flow(Flow::Next);
}

impl<T> Instr<T> {
    /// The conditional branch that jumps exactly when this one does not, to
    /// `target`; `None` for anything but a conditional branch. (The compare-and-branch
    /// pairs test one comparison's truth, so NaN operands negate too.)
    pub fn negated<U>(&self, target: U) -> Option<Instr<U>> {
        Some(match *self {
            Instr::JumpIfFalse { src, .. } => Instr::JumpIfTrue { src, target },
            Instr::JumpIfTrue { src, .. } => Instr::JumpIfFalse { src, target },
            Instr::JumpIfNull { src, .. } => Instr::JumpIfNotNull { src, target },
            Instr::JumpIfNotNull { src, .. } => Instr::JumpIfNull { src, target },
            Instr::JumpIfNil { src, .. } => Instr::JumpIfNotNil { src, target },
            Instr::JumpIfNotNil { src, .. } => Instr::JumpIfNil { src, target },
            Instr::LtJumpIfFalse { a, b, .. } => Instr::LtJumpIfTrue { a, b, target },
            Instr::LtJumpIfTrue { a, b, .. } => Instr::LtJumpIfFalse { a, b, target },
            Instr::GtJumpIfFalse { a, b, .. } => Instr::GtJumpIfTrue { a, b, target },
            Instr::GtJumpIfTrue { a, b, .. } => Instr::GtJumpIfFalse { a, b, target },
            Instr::LeJumpIfFalse { a, b, .. } => Instr::LeJumpIfTrue { a, b, target },
            Instr::LeJumpIfTrue { a, b, .. } => Instr::LeJumpIfFalse { a, b, target },
            Instr::GeJumpIfFalse { a, b, .. } => Instr::GeJumpIfTrue { a, b, target },
            Instr::GeJumpIfTrue { a, b, .. } => Instr::GeJumpIfFalse { a, b, target },
            Instr::NumEqJumpIfFalse { a, b, .. } => Instr::NumEqJumpIfTrue { a, b, target },
            Instr::NumEqJumpIfTrue { a, b, .. } => Instr::NumEqJumpIfFalse { a, b, target },
            _ => return None,
        })
    }
}

impl<T> Instr<T> {
    /// The builtin an instruction computes in place of a call (the compiler's
    /// intrinsics), for error reports: an error raised by `Car` was raised by `car`.
    pub fn stands_for(&self) -> Option<&'static str> {
        Some(match self {
            Instr::Add { .. } | Instr::AddNum { .. } | Instr::AddInt { .. } => "+",
            Instr::Sub { .. } | Instr::SubInt { .. } | Instr::Neg { .. } => "-",
            Instr::Mul { .. } => "*",
            Instr::Div { .. } => "/",
            Instr::Mod { .. } => "mod",
            Instr::Lt { .. } | Instr::LtJumpIfFalse { .. } | Instr::LtJumpIfTrue { .. } => "<",
            Instr::Gt { .. } | Instr::GtJumpIfFalse { .. } | Instr::GtJumpIfTrue { .. } => ">",
            Instr::Le { .. } | Instr::LeJumpIfFalse { .. } | Instr::LeJumpIfTrue { .. } => "<=",
            Instr::Ge { .. } | Instr::GeJumpIfFalse { .. } | Instr::GeJumpIfTrue { .. } => ">=",
            Instr::NumEq { .. } | Instr::NumEqJumpIfFalse { .. } | Instr::NumEqJumpIfTrue { .. } => "=",
            Instr::Not { .. } => "not",
            Instr::Car { .. } => "car",
            Instr::Cdr { .. } => "cdr",
            Instr::Cons { .. } => "cons",
            Instr::IsNull { .. } => "null?",
            Instr::IsNil { .. } => "nil?",
            Instr::IsPair { .. } => "pair?",
            Instr::Get { .. } => "get",
            Instr::Equal { .. } => "equal?",
            Instr::Nth { .. } => "nth",
            Instr::Min { .. } => "min",
            Instr::Max { .. } => "max",
            _ => return None,
        })
    }
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

    #[test]
    fn every_conditional_branch_has_a_negation_that_negates_back() {
        for &op in Instr::ALL_OPCODES {
            let mut bytes = vec![op];
            bytes.resize(16, 1);
            let (instr, _) = Instr::decode(&bytes).expect("decodes");
            let negated = instr.negated(ByteOffset(9));
            match instr.flow() {
                Flow::Branch(_) => {
                    let negated = negated.unwrap_or_else(|| panic!("{} has no negation", instr.mnemonic()));
                    assert_ne!(negated.opcode(), instr.opcode());
                    assert!(matches!(negated.flow(), Flow::Branch(ByteOffset(9))));
                    let back = negated.negated(instr_target(&instr));
                    assert_eq!(back, Some(instr), "{}", instr.mnemonic());
                }
                _ => assert!(negated.is_none(), "{} is not a branch", instr.mnemonic()),
            }
        }
    }

    fn instr_target(instr: &Instr<ByteOffset>) -> ByteOffset {
        match instr.flow() {
            Flow::Branch(target) | Flow::Jump(target) | Flow::Handler(target) => target,
            _ => ByteOffset(0),
        }
    }


    fn samples() -> Vec<Instr<ByteOffset>> {
        vec![
            Instr::LoadNil { dst: Slot(0) },
            Instr::LoadInt { dst: Slot(1), value: SmallInt(-7) },
            Instr::LoadConst { dst: Slot(65535), idx: ConstIdx(70000) },
            Instr::Move { dst: Slot(3), src: Slot(4) },
            Instr::Jump { target: ByteOffset(12) },
            Instr::CallGlobal { sym: SymIdx(9), a: Slot(5), argc: SmallArgc(255) },
            Instr::AddInt { dst: Slot(1), a: Slot(2), value: ShortInt(-1) },
            Instr::Nth { dst: Slot(1), a: Slot(2), b: Slot(3) },
            Instr::LtJumpIfFalse { a: SmallSlot(2), b: SmallSlot(255), target: ByteOffset(70000) },
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
        assert_eq!(Instr::decode(&[55, 1, 2, 3]), Err(DecodeError::Truncated));
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
