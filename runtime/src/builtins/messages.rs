//! Chat messages, the values the `message` form makes (compiler/src/prelude.rs):
//! a role and a text. Only making and printing them belongs here; using them (the
//! LLM builtins) is outside this runtime.

use std::any::Any;
use std::rc::Rc;

use super::{pure, Builtin};
use crate::error::Error;
use crate::printer::repr;
use crate::value::{Resource, Value};

pub static BUILTINS: &[Builtin] = &[
    // (%message role (part ...)): the parts joined, strings as they are, other values printed.
    pure("%message", 2, Some(2), |a| {
        let Value::Keyword(role) = &a[0] else { return Err(Error::type_error("keyword", &a[0])) };
        let role = role.name();
        if !["system", "user", "assistant", "tool"].contains(&role.as_str()) {
            return Err(Error::eval(format!("message: unknown role '{role}'")));
        }
        let mut content = String::new();
        for part in a[1].expect_seq()? {
            match part.as_str() {
                Some(text) => content.push_str(text),
                None => content.push_str(&repr(&part)),
            }
        }
        Ok(Value::Resource(Rc::new(Box::new(Message { role, content }))))
    }),
];

struct Message {
    role: String,
    content: String,
}

impl Resource for Message {
    fn type_name(&self) -> &'static str {
        "message"
    }

    /// `<message user "text">`, the text cut after 40 characters.
    fn repr(&self) -> String {
        let mut chars = self.content.chars();
        let shown: String = chars.by_ref().take(40).collect();
        let more = if chars.next().is_some() { "..." } else { "" };
        format!("<message {} \"{shown}{more}\">", self.role)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
