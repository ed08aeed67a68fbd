//! The OS side of trivial-jit: executable memory that is never writable and executable at
//! once, loading and relocating machine code, and the callable [`JitFn`]. This is the only
//! crate of the project that contains `unsafe` code; every block says why it is sound.
#![warn(missing_docs)]
// On other architectures the machine-code paths are compiled out and everything runs in the
// interpreter; the helpers they share are then unused there.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code, unused_imports))]

mod array;
mod cpu;
pub mod exec;
mod explain;
#[cfg(target_arch = "x86_64")]
mod helpers;
mod jit;
mod native;
#[cfg(target_arch = "x86_64")]
#[doc(hidden)]
pub mod site;
mod trampoline;

pub use array::{MapIsa, PARALLEL_CHUNK, Reducer};
pub use jit::{
    Jit, JitBuilder, JitFn, Typed0, Typed1, Typed2, Typed3, Typed4, Typed5, Typed6, Typed7, Typed8,
};
/// The compiler (parser, interpreter, code generator, assembler).
pub use jit_compiler as compiler;
pub use jit_compiler::{Error, ErrorKind, Limits, Result};
