//! The contract between `semac` and `semarun`: the instruction set, the bundle's data
//! types, its versioned header and serialisation, the verifier and the disassembler.
//! This crate depends on neither the compiler nor the runtime.

pub mod bundle;
pub mod disasm;
pub mod embed;
pub mod header;
pub mod limits;
pub mod opcodes;
pub mod read;
pub mod sign;
pub mod verify;
pub mod write;

pub use bundle::{Bundle, Capture, Constant, DebugInfo, LineEntry, Proto, ProtoDebug};
pub use header::{FORMAT_VERSION, MIN_FORMAT_VERSION};
pub use opcodes::Instr;
pub use read::{read_bundle, ReadError};
pub use verify::{verify_bundle, VerifiedBundle, VerifyError};
pub use write::{sign_bundle, write_bundle};
