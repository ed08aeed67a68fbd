//! The compiler behind trivial-jit: expression text → tokens → AST → simplified AST → x86-64
//! machine code. It is pure: no `unsafe`, no OS calls, no knowledge of proc macros, so the
//! same code runs inside `rustc` (for `jit_expr!`) and inside the user's program (for
//! `Jit::compile`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
pub mod x64;
