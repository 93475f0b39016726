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
/// Deepest operand stack one frame may declare.
pub const MAX_STACK: u32 = 1 << 16;
/// Longest decimal text of a big integer or rational part.
pub const MAX_BIGINT_DIGITS: usize = 1 << 16;
