//! Every size limit of the format, in one place. The reader and verifier reject a
//! bundle that exceeds one, so the runtime never allocates more than these allow.

/// Largest payload accepted (bytes).
pub const MAX_PAYLOAD: u64 = 1 << 30;
/// Longest symbol name or string constant (bytes).
pub const MAX_NAME_LEN: usize = 1 << 20;
/// Most symbols in a bundle.
pub const MAX_SYMBOLS: usize = 1 << 22;
/// Most constants in a bundle.
pub const MAX_CONSTANTS: usize = 1 << 24;
/// Most prototypes in a bundle.
pub const MAX_PROTOS: usize = 1 << 22;
/// Largest code of one prototype (bytes).
pub const MAX_CODE_LEN: usize = 1 << 24;
/// Longest decimal text of a big integer or rational part.
pub const MAX_BIGINT_DIGITS: usize = 1 << 16;

/// The first limit `bundle` breaks, said for the person whose program it is; `None`
/// when a reader will accept it. The compiler asks before writing, so it never writes
/// a bundle that `semarun` refuses.
pub fn exceeded(bundle: &crate::Bundle) -> Option<String> {
    let over = |what: &str, count: usize, most: usize| {
        (count > most).then(|| format!("{count} {what}, and a bundle holds at most {most}"))
    };
    over("distinct symbols", bundle.symbols.len(), MAX_SYMBOLS)
        .or_else(|| over("constants", bundle.constants.len(), MAX_CONSTANTS))
        .or_else(|| over("functions", bundle.protos.len(), MAX_PROTOS))
        .or_else(|| {
            let longest = bundle.symbols.iter().map(String::len).max().unwrap_or(0);
            over("bytes in the longest symbol name", longest, MAX_NAME_LEN)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Bundle;
    use crate::opcodes::ProtoIdx;

    #[test]
    fn exceeded_names_the_first_broken_limit() {
        let mut bundle = Bundle { symbols: vec![], constants: vec![], protos: vec![], entry: ProtoIdx(0), debug: None };
        assert_eq!(exceeded(&bundle), None);
        bundle.symbols = vec!["x".repeat(MAX_NAME_LEN + 1)];
        assert_eq!(exceeded(&bundle).unwrap(), format!("{} bytes in the longest symbol name, and a bundle holds at most {MAX_NAME_LEN}", MAX_NAME_LEN + 1));
    }
}
