//! The intrinsics, defined once: builtins the compiler emits as an instruction when
//! the program never redefines their global name.
//!
//! The `intrinsics!` table generates the [`Intrinsic`] enum and [`TABLE`], which gives
//! for each one the calls it stands for (global names and argument count), the
//! instruction it compiles to and how constant folding computes it. Lowering, folding
//! and codegen read the table. Folding calls the runtime functions the VM calls off
//! its fast paths (`vm.rs`), so a folded result is exactly what running would give.

use bundle_format::opcodes::{Instr, Slot};
use sema_runtime::builtins::numbers;
use sema_runtime::error::Result;
use sema_runtime::num;
use sema_runtime::value::Value;

use crate::codegen::Label;

/// How constant folding evaluates an intrinsic whose operands are all literals.
#[derive(Clone, Copy)]
pub enum Fold {
    /// Never folded: it works on data other than numbers (pairs, collections).
    Never,
    /// The negated truthiness of its one operand, which may be any literal (`not`).
    Not,
    /// The runtime's function on one literal number.
    Unary(fn(&Value) -> Result<Value>),
    /// The runtime's function on two literal numbers.
    Binary(fn(&Value, &Value) -> Result<Value>),
}

/// The instruction an intrinsic compiles to, built from its destination register and
/// the registers of its operands (which it reads in place).
#[derive(Clone, Copy)]
pub enum Form {
    /// `dst, src`: one operand.
    Unary(fn(Slot, Slot) -> Instr<Label>),
    /// `dst, a, b`: two operands.
    Binary(fn(Slot, Slot, Slot) -> Instr<Label>),
}

/// One row of [`TABLE`].
pub struct Def {
    pub op: Intrinsic,
    /// The global names whose calls it stands for.
    pub names: &'static [&'static str],
    /// The argument count of the calls it stands for; `None` when it only stands for
    /// the steps of n-ary calls.
    pub argc: Option<usize>,
    /// A call of one of `names` with three or more arguments is a left fold of this
    /// intrinsic (only where that is exactly what the n-ary builtin computes).
    pub nary_step: bool,
    /// The instruction it compiles to (it has no jump target).
    pub instr: Form,
    pub fold: Fold,
}

macro_rules! form {
    (unary $instr:ident) => {
        Form::Unary(|dst, src| Instr::$instr { dst, src })
    };
    (binary $instr:ident) => {
        Form::Binary(|dst, a, b| Instr::$instr { dst, a, b })
    };
}

macro_rules! intrinsics {
    ($(
        $(#[doc = $doc:expr])*
        $op:ident [$($name:literal),*] argc($argc:expr) nary($nary:expr) => $form:ident $instr:ident,
            fold($fold:expr);
    )*) => {
        /// Builtins the compiler emits as opcodes when their global name is never redefined.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Intrinsic {
            $( $(#[doc = $doc])* $op, )*
        }

        /// Every intrinsic, in [`Intrinsic`] order.
        pub static TABLE: &[Def] = &[$(
            Def {
                op: Intrinsic::$op,
                names: &[$($name),*],
                argc: $argc,
                nary_step: $nary,
                instr: form!($form $instr),
                fold: $fold,
            },
        )*];
    };
}

intrinsics! {
    Add ["+"] argc(Some(2)) nary(false) => binary Add, fold(Fold::Binary(numbers::add2));
    /// One step of an n-ary `+`: numbers only (the two-argument `+` also joins strings,
    /// and its error message differs).
    AddNum ["+"] argc(None) nary(true) => binary AddNum, fold(Fold::Binary(num::add));
    Sub ["-"] argc(Some(2)) nary(true) => binary Sub, fold(Fold::Binary(numbers::sub2));
    Mul ["*"] argc(Some(2)) nary(true) => binary Mul, fold(Fold::Binary(numbers::mul2));
    /// An n-ary `/` stays a call: its error message differs from the steps'.
    Div ["/"] argc(Some(2)) nary(false) => binary Div, fold(Fold::Binary(numbers::div2));
    Lt ["<"] argc(Some(2)) nary(false) => binary Lt, fold(Fold::Binary(numbers::lt2));
    Gt [">"] argc(Some(2)) nary(false) => binary Gt, fold(Fold::Binary(numbers::gt2));
    Le ["<="] argc(Some(2)) nary(false) => binary Le, fold(Fold::Binary(numbers::le2));
    Ge [">="] argc(Some(2)) nary(false) => binary Ge, fold(Fold::Binary(numbers::ge2));
    NumEq ["="] argc(Some(2)) nary(false) => binary NumEq, fold(Fold::Binary(numbers::eq2));
    Not ["not"] argc(Some(1)) nary(false) => unary Not, fold(Fold::Not);
    Neg ["-"] argc(Some(1)) nary(false) => unary Neg, fold(Fold::Unary(num::negate));
    Car ["car", "first"] argc(Some(1)) nary(false) => unary Car, fold(Fold::Never);
    Cdr ["cdr", "rest"] argc(Some(1)) nary(false) => unary Cdr, fold(Fold::Never);
    Cons ["cons"] argc(Some(2)) nary(false) => binary Cons, fold(Fold::Never);
    IsNull ["null?"] argc(Some(1)) nary(false) => unary IsNull, fold(Fold::Never);
    IsNil ["nil?"] argc(Some(1)) nary(false) => unary IsNil, fold(Fold::Never);
    IsPair ["pair?"] argc(Some(1)) nary(false) => unary IsPair, fold(Fold::Never);
    Get ["get"] argc(Some(2)) nary(false) => binary Get, fold(Fold::Never);
    Mod ["mod", "modulo"] argc(Some(2)) nary(false) => binary Mod, fold(Fold::Binary(numbers::mod2));
    Equal ["equal?", "eq?"] argc(Some(2)) nary(false) => binary Equal, fold(Fold::Never);
    Nth ["nth"] argc(Some(2)) nary(false) => binary Nth, fold(Fold::Never);
    Min ["min"] argc(Some(2)) nary(false) => binary Min, fold(Fold::Binary(numbers::min2));
    Max ["max"] argc(Some(2)) nary(false) => binary Max, fold(Fold::Binary(numbers::max2));
}

impl Intrinsic {
    /// The intrinsic's row of the table.
    pub fn def(self) -> &'static Def {
        &TABLE[self as usize]
    }

    /// Whether its value is always `#t` or `#f` (when it does not raise).
    pub fn yields_boolean(self) -> bool {
        matches!(
            self,
            Intrinsic::Lt
                | Intrinsic::Gt
                | Intrinsic::Le
                | Intrinsic::Ge
                | Intrinsic::NumEq
                | Intrinsic::Not
                | Intrinsic::IsNull
                | Intrinsic::IsNil
                | Intrinsic::IsPair
                | Intrinsic::Equal
        )
    }

    /// The intrinsic for a call of global `name` with `argc` arguments.
    pub fn lookup(name: &str, argc: usize) -> Option<Intrinsic> {
        TABLE.iter().find(|def| def.argc == Some(argc) && def.names.contains(&name)).map(|def| def.op)
    }

    /// The intrinsic whose left fold a call of global `name` with three or more
    /// arguments is, if any.
    pub fn nary_step(name: &str) -> Option<Intrinsic> {
        TABLE.iter().find(|def| def.nary_step && def.names.contains(&name)).map(|def| def.op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_enum_order() {
        for (index, def) in TABLE.iter().enumerate() {
            assert_eq!(def.op as usize, index);
        }
    }

    #[test]
    fn each_call_has_at_most_one_intrinsic() {
        for (i, a) in TABLE.iter().enumerate() {
            for b in &TABLE[i + 1..] {
                let shared = a.names.iter().any(|name| b.names.contains(name));
                assert!(!(shared && a.argc.is_some() && a.argc == b.argc), "{:?} and {:?}", a.op, b.op);
                assert!(!(shared && a.nary_step && b.nary_step), "{:?} and {:?}", a.op, b.op);
            }
        }
    }

    #[test]
    fn forms_take_as_many_operands_as_the_calls() {
        for def in TABLE {
            let operands = match def.instr {
                Form::Unary(_) => 1,
                Form::Binary(_) => 2,
            };
            assert!(def.argc.is_none_or(|argc| argc == operands), "{:?}", def.op);
            assert!(!def.nary_step || operands == 2, "{:?}", def.op);
        }
    }

    #[test]
    fn calls_find_their_intrinsic() {
        assert_eq!(Intrinsic::lookup("-", 1), Some(Intrinsic::Neg));
        assert_eq!(Intrinsic::lookup("-", 2), Some(Intrinsic::Sub));
        assert_eq!(Intrinsic::lookup("first", 1), Some(Intrinsic::Car));
        assert_eq!(Intrinsic::lookup("+", 3), None);
        assert_eq!(Intrinsic::nary_step("+"), Some(Intrinsic::AddNum));
        assert_eq!(Intrinsic::nary_step("/"), None);
    }

    #[test]
    fn every_intrinsic_s_instruction_names_a_builtin_it_stands_for() {
        // Error reports name the builtin from the instruction (Instr::stands_for).
        let r = bundle_format::opcodes::Slot(0);
        for def in TABLE {
            let instr = match def.instr {
                Form::Unary(make) => make(r, r),
                Form::Binary(make) => make(r, r, r),
            };
            let name = instr.stands_for().unwrap_or_else(|| panic!("{:?} names no builtin", def.op));
            assert!(def.names.contains(&name), "{:?}: {name} is not one of {:?}", def.op, def.names);
        }
    }
}
