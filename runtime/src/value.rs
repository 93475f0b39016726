//! The value representation.
//!
//! A 16-byte enum: immediates (nil, booleans, fixnums, floats, chars, symbols,
//! keywords) live in the value itself; everything else is one reference-counted
//! pointer. Collections are copy-on-write: an operation that "modifies" a vector or map
//! whose reference count is 1 mutates it in place (`Rc::make_mut`), so an accumulator
//! threaded through a fold is never copied. See docs/values.md for why this layout was
//! chosen over NaN-boxing.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use num_bigint::BigInt;
use num_rational::BigRational;

use crate::builtins::Builtin;
use crate::interner::Sym;
use crate::list::List;
use crate::program::FuncProto;
use crate::text::Text;

pub type SortedMap = BTreeMap<Value, Value>;
pub use crate::hashmap::HashMap;

/// Every variant holds an immediate, a `&'static` or an `Rc`-based handle, so a clone
/// is a bitwise copy plus one strong count: `vm::share` relies on it. A variant that
/// owned a `Box` or a `Vec` directly would break that.
#[derive(Clone, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Char(char),
    Symbol(Sym),
    Keyword(Sym),
    /// An integer outside i64; never holds a value that fits in i64.
    BigInt(Rc<BigInt>),
    /// A reduced fraction whose denominator is above 1.
    Rational(Rc<BigRational>),
    /// A non-real number; see [`Complex`].
    Complex(Rc<Complex>),
    /// Text of up to 14 bytes inline, longer text shared (see [`Text`]).
    Str(Text),
    List(List),
    Vector(Rc<Vec<Value>>),
    Map(Rc<SortedMap>),
    HashMap(Rc<HashMap>),
    Closure(Rc<Closure>),
    Native(&'static Builtin),
    Promise(Rc<RefCell<Promise>>),
    Bytevector(Rc<Vec<u8>>),
    MutableArray(Rc<RefCell<Vec<Value>>>),
    I64Array(Rc<Vec<i64>>),
    F64Array(Rc<Vec<f64>>),
    /// A boxed variable shared between closures (captured and assigned). Never
    /// visible to programs: the VM unwraps it on every access.
    Cell(Rc<RefCell<Value>>),
    /// An instance of a `define-record-type` type.
    Record(Rc<Record>),
    /// A `defmulti` function: callable, dispatching to its `defmethod` handlers.
    Multimethod(Rc<Multimethod>),
    /// Something outside the program it holds open (a stream). The `Box` keeps the
    /// `Rc` thin; what it is and does belongs to the builtins that make it.
    Resource(Rc<Box<dyn Resource>>),
}

const _: () = assert!(std::mem::size_of::<Value>() == 16);

/// A function value: a prototype and the values (or cells) it captured.
pub struct Closure {
    pub proto: Rc<FuncProto>,
    pub captures: Captures,
}

/// A closure's captured values. Most closures capture one or two, which are kept in
/// the closure itself: making one is then a single allocation, not two.
pub enum Captures {
    /// `len` values (at most 2) in `items`; the others are nil.
    Inline { len: u8, items: [Value; 2] },
    Heap(Box<[Value]>),
}

impl Captures {
    pub const NONE: Captures = Captures::Inline { len: 0, items: [Value::Nil, Value::Nil] };

    /// The values of an iterator that knows its length.
    pub fn from_exact(values: impl ExactSizeIterator<Item = Value>) -> Captures {
        let len = values.len();
        if len > 2 {
            return Captures::Heap(values.collect());
        }
        let mut items = [Value::Nil, Value::Nil];
        for (item, value) in items.iter_mut().zip(values) {
            *item = value;
        }
        Captures::Inline { len: len as u8, items }
    }
}

impl std::ops::Deref for Captures {
    type Target = [Value];

    fn deref(&self) -> &[Value] {
        match self {
            Captures::Inline { len, items } => &items[..*len as usize],
            Captures::Heap(items) => items,
        }
    }
}

/// A complex number `re + im·i`. Both parts are real numbers (fixnum, bignum, rational
/// or float), each exact or not on its own, and `im` is never an exact zero (that
/// number is `re` itself): `crate::num::complex` keeps this.
pub struct Complex {
    pub re: Value,
    pub im: Value,
}

/// A record: its type's name and its field values in declaration order.
pub struct Record {
    pub type_name: Sym,
    pub fields: Box<[Value]>,
}

/// A multimethod (LANGUAGE.md §6.18): calls run `dispatch` on the arguments and then
/// the handler registered for an `equal?` value, else the one for `:default`.
pub struct Multimethod {
    pub name: Sym,
    pub dispatch: Value,
    /// Handlers by dispatch value; `defmethod` adds to (or replaces in) it.
    pub methods: RefCell<SortedMap>,
}

/// What a `Value::Resource` holds. Values of it compare by identity.
pub trait Resource {
    /// What `type` returns and type errors name (`stream`).
    fn type_name(&self) -> &'static str;
    /// The printed form (`<stream:string>`).
    fn repr(&self) -> String;
    fn as_any(&self) -> &dyn std::any::Any;
}

/// The state of a `delay`ed expression.
pub enum Promise {
    Pending(Value),
    Forced(Value),
}

impl Value {
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }

    pub fn str(text: impl Into<Text>) -> Value {
        Value::Str(text.into())
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List::from_vec(items))
    }

    pub fn vector(items: Vec<Value>) -> Value {
        Value::Vector(Rc::new(items))
    }

    pub fn keyword(name: &str) -> Value {
        Value::Keyword(Sym::intern(name))
    }

    pub fn symbol(name: &str) -> Value {
        Value::Symbol(Sym::intern(name))
    }

    /// The name `type` returns and type errors print (`int`, `string`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) | Value::BigInt(_) => "int",
            Value::Float(_) => "float",
            Value::Rational(_) => "rational",
            Value::Complex(_) => "complex",
            Value::Char(_) => "char",
            Value::Symbol(_) => "symbol",
            Value::Keyword(_) => "keyword",
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Vector(_) => "vector",
            Value::Map(_) => "map",
            Value::HashMap(_) => "hashmap",
            Value::Closure(_) => "lambda",
            Value::Native(_) => "native-fn",
            Value::Promise(_) => "promise",
            Value::Bytevector(_) => "bytevector",
            Value::MutableArray(_) => "mutable-array",
            Value::I64Array(_) => "i64-array",
            Value::F64Array(_) => "f64-array",
            Value::Cell(_) => "mutable-cell",
            Value::Record(_) => "record",
            Value::Multimethod(_) => "multimethod",
            Value::Resource(r) => r.type_name(),
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::BigInt(_) | Value::Float(_) | Value::Rational(_) | Value::Complex(_))
    }

    /// A number other than a complex one.
    pub fn is_real(&self) -> bool {
        matches!(self, Value::Int(_) | Value::BigInt(_) | Value::Float(_) | Value::Rational(_))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}
