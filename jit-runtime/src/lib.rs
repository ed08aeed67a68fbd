//! The OS side of trivial-jit: executable memory that is never writable and executable at
//! once, loading and relocating machine code, and the callable `JitFn`. This is the only crate
//! of the project that contains `unsafe` code; every block says why it is sound.
#![warn(missing_docs)]
pub mod exec;
