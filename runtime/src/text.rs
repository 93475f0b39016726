//! The text of a string value.
//!
//! Most strings a program makes are short: a field split from a line, a key, a word, a
//! number's digits. Text of up to [`INLINE_MAX`] bytes is kept in the value itself, so
//! making, copying and dropping it allocates nothing; longer text is one shared,
//! immutable heap string. The two forms are one type, so every string operation sees a
//! `&str` and never which form it has (docs/values.md).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::rc::Rc;

/// The longest text kept inline.
pub const INLINE_MAX: usize = 14;

/// The first byte of a heap text; an inline text's first byte is its length (≤ 14).
const HEAP: u8 = u8::MAX;

/// Where a heap text keeps its pointer: the last eight bytes, which `Value`'s layout
/// (this type at offset 1) places at offset 8, where its other variants keep theirs.
const POINTER: std::ops::Range<usize> = 7..15;

/// Fifteen bytes aligned to one, so that a `Value` holding it stays 16 bytes. Either
/// `bytes[0]` is a length `n ≤ INLINE_MAX` and `bytes[1..=n]` is valid UTF-8, or
/// `bytes[0]` is `HEAP` and `bytes[POINTER]` is a pointer obtained from
/// `Rc::into_raw` of an `Rc<String>`, whose strong count this value owns one of.
pub struct Text {
    bytes: [u8; 15],
}

const _: () = assert!(std::mem::size_of::<Text>() == 15 && std::mem::align_of::<Text>() == 1);

impl Text {
    /// A copy of `text`.
    pub fn new(text: &str) -> Text {
        Text::inline(text).unwrap_or_else(|| Text::heap(Rc::new(text.to_owned())))
    }

    fn inline(text: &str) -> Option<Text> {
        let len = text.len();
        if len > INLINE_MAX {
            return None;
        }
        let mut bytes = [0; 15];
        bytes[0] = len as u8;
        bytes[1..=len].copy_from_slice(text.as_bytes());
        Some(Text { bytes })
    }

    fn heap(string: Rc<String>) -> Text {
        let mut bytes = [0; 15];
        bytes[0] = HEAP;
        bytes[POINTER].copy_from_slice(&(Rc::into_raw(string) as usize).to_ne_bytes());
        Text { bytes }
    }

    /// The shared string of a heap text.
    #[inline]
    fn pointer(&self) -> Option<*const String> {
        if self.bytes[0] != HEAP {
            return None;
        }
        let mut word = [0; 8];
        word.copy_from_slice(&self.bytes[POINTER]);
        Some(usize::from_ne_bytes(word) as *const String)
    }

    #[inline]
    pub fn as_str(&self) -> &str {
        match self.pointer() {
            // SAFETY: a heap text owns a strong count of the `Rc<String>` at `pointer`
            // (the type's invariant), so the string lives at least as long as `self`.
            Some(pointer) => unsafe { &*pointer },
            None => {
                let len = self.bytes[0] as usize;
                // SAFETY: an inline text's bytes `1..=len` are valid UTF-8: `inline`
                // copied them from a `&str` and nothing writes them afterwards.
                unsafe { std::str::from_utf8_unchecked(&self.bytes[1..=len]) }
            }
        }
    }
}

impl Clone for Text {
    #[inline]
    fn clone(&self) -> Text {
        if let Some(pointer) = self.pointer() {
            // SAFETY: `pointer` came from `Rc::into_raw` and the string is alive (this
            // value owns a count); the new value owns the count taken here.
            unsafe { Rc::increment_strong_count(pointer) };
        }
        Text { bytes: self.bytes }
    }
}

impl Drop for Text {
    #[inline]
    fn drop(&mut self) {
        if let Some(pointer) = self.pointer() {
            // SAFETY: `pointer` came from `Rc::into_raw`, and this value gives back the
            // one strong count it owns.
            unsafe { drop(Rc::from_raw(pointer)) };
        }
    }
}

impl Deref for Text {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    #[inline]
    fn eq(&self, other: &Text) -> bool {
        // Two inline texts are equal exactly when their length and bytes are; the bytes
        // past the length are zero in both.
        if self.bytes[0] != HEAP && other.bytes[0] != HEAP {
            return self.bytes == other.bytes;
        }
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text::new(text)
    }
}

impl From<&String> for Text {
    fn from(text: &String) -> Text {
        Text::new(text)
    }
}

impl From<String> for Text {
    /// Keeps the string's buffer when the text is too long to be inline.
    fn from(text: String) -> Text {
        Text::inline(&text).unwrap_or_else(|| Text::heap(Rc::new(text)))
    }
}

impl From<Rc<String>> for Text {
    /// Shares the string when the text is too long to be inline.
    fn from(text: Rc<String>) -> Text {
        Text::inline(&text).unwrap_or_else(|| Text::heap(text))
    }
}

impl From<std::borrow::Cow<'_, str>> for Text {
    fn from(text: std::borrow::Cow<'_, str>) -> Text {
        match text {
            std::borrow::Cow::Borrowed(text) => Text::new(text),
            std::borrow::Cow::Owned(text) => Text::from(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_text_read_back() {
        for text in ["", "a", "λ", "Buenos Aires", "fourteen bytes", "fifteen bytes!!", "x".repeat(1000).as_str()] {
            let t = Text::new(text);
            assert_eq!(&*t, text);
            assert_eq!(&*t.clone(), text);
            assert_eq!(&*Text::from(text.to_string()), text);
            assert_eq!(&*Text::from(Rc::new(text.to_string())), text);
        }
    }

    #[test]
    fn fourteen_bytes_are_inline_and_fifteen_are_shared() {
        assert!(Text::new("fourteen bytes").pointer().is_none());
        assert!(Text::new("λλλλλλλ").pointer().is_none());
        let long = Text::new("fifteen bytes!!");
        assert!(long.pointer().is_some());
        let copy = long.clone();
        assert_eq!(long.pointer(), copy.pointer(), "a clone of a long text shares its string");
    }

    #[test]
    fn a_shared_string_lives_while_any_text_holds_it() {
        let string = Rc::new("a string longer than fourteen bytes".to_string());
        let text = Text::from(string.clone());
        assert_eq!(Rc::strong_count(&string), 2);
        let copies: Vec<Text> = (0..3).map(|_| text.clone()).collect();
        assert_eq!(Rc::strong_count(&string), 5);
        drop(copies);
        drop(text);
        assert_eq!(Rc::strong_count(&string), 1);
    }

    #[test]
    fn equality_and_hash_follow_the_text_not_its_form() {
        use std::collections::hash_map::DefaultHasher;
        let hash = |t: &Text| {
            let mut h = DefaultHasher::new();
            t.hash(&mut h);
            h.finish()
        };
        let long = "the same text, long enough for the heap";
        assert!(Text::new(long) == Text::from(long.to_string()));
        assert_eq!(hash(&Text::new(long)), hash(&Text::from(long.to_string())));
        assert!(Text::new("ab") == Text::new("ab"));
        assert!(Text::new("ab") != Text::new("abc"));
        assert!(Text::new("") != Text::new(long));
        assert_eq!(hash(&Text::new("ab")), hash(&Text::from("ab".to_string())));
    }
}
