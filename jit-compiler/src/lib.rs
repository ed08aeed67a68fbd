//! The compiler behind trivial-jit: expression text → tokens → AST → simplified AST → x86-64
//! machine code. It is pure: no `unsafe`, no OS calls, no knowledge of proc macros, so the
//! same code runs inside `rustc` (for `jit_expr!`) and inside the user's program (for
//! `Jit::compile`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ast;
mod check;
pub mod codegen;
pub mod error;
pub mod expr;
mod hash;
mod intern;
pub mod lexer;
pub mod names;
pub mod ops;
pub mod parser;
mod print;
pub mod registry;
mod simplify;
mod spare;
mod workspace;
pub mod x64;

pub use ast::{Ast, Node, NodeId};
pub use error::{Error, ErrorKind, Result, Span};
pub use expr::Expr;
pub use ops::{BinaryOp, UnaryOp};
pub use parser::{Limits, Options, check_arg_names, parse, parse_with_args};
pub use registry::{NativeFunction, Registry, UserFn, UserFnImpl};
