//! Lists: immutable singly linked cells, each knowing the length of the list it
//! starts, so `length` is O(1) along with `car`, `cdr` and `cons`.
//!
//! Sema has no improper pairs (`(cons 1 2)` is `(1 2)`), so a list is either empty or
//! a cell whose tail is again a list.

use std::rc::Rc;

use crate::value::Value;

/// A list value: `None` is the empty list `()`.
#[derive(Clone, Default)]
pub struct List(Option<Rc<Cell>>);

pub struct Cell {
    head: Value,
    tail: List,
    len: usize,
}

impl List {
    pub const EMPTY: List = List(None);

    pub fn cons(head: Value, tail: List) -> List {
        let len = tail.len() + 1;
        List(Some(Rc::new(Cell { head, tail, len })))
    }

    /// Builds a list from values in order.
    pub fn from_vec(items: Vec<Value>) -> List {
        let mut list = List::EMPTY;
        for item in items.into_iter().rev() {
            list = List::cons(item, list);
        }
        list
    }

    pub fn from_iter_exact<I: DoubleEndedIterator<Item = Value>>(items: I) -> List {
        let mut list = List::EMPTY;
        for item in items.rev() {
            list = List::cons(item, list);
        }
        list
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |cell| cell.len)
    }

    pub fn first(&self) -> Option<&Value> {
        self.0.as_ref().map(|cell| &cell.head)
    }

    /// The list without its first element; `()` stays `()`.
    pub fn rest(&self) -> List {
        self.0.as_ref().map_or(List::EMPTY, |cell| cell.tail.clone())
    }

    pub fn get(&self, index: usize) -> Option<&Value> {
        self.iter().nth(index)
    }

    pub fn iter(&self) -> ListIter<'_> {
        ListIter { next: self.0.as_deref() }
    }

    pub fn to_vec(&self) -> Vec<Value> {
        self.iter().cloned().collect()
    }

    /// Whether both lists share the same first cell.
    pub fn same_cells(&self, other: &List) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl Drop for Cell {
    // Dropping a long list must not recurse once per cell.
    fn drop(&mut self) {
        let mut tail = self.tail.0.take();
        while let Some(cell) = tail {
            match Rc::try_unwrap(cell) {
                Ok(mut cell) => tail = cell.tail.0.take(),
                Err(_) => break,
            }
        }
    }
}

pub struct ListIter<'a> {
    next: Option<&'a Cell>,
}

impl<'a> Iterator for ListIter<'a> {
    type Item = &'a Value;

    fn next(&mut self) -> Option<&'a Value> {
        let cell = self.next?;
        self.next = cell.tail.0.as_deref();
        Some(&cell.head)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.next.map_or(0, |c| c.len);
        (n, Some(n))
    }
}

impl ExactSizeIterator for ListIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cons_car_cdr_and_length() {
        let list = List::from_vec(vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
        assert_eq!(list.len(), 3);
        assert!(matches!(list.first(), Some(Value::Int(1))));
        assert_eq!(list.rest().len(), 2);
        assert!(List::EMPTY.rest().is_empty());
    }

    #[test]
    fn dropping_a_million_cells_does_not_overflow_the_stack() {
        let mut list = List::EMPTY;
        for i in 0..1_000_000 {
            list = List::cons(Value::Int(i), list);
        }
        drop(list);
    }
}
