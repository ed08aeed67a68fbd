//! Checks: the argument list, then the expression itself (parsed and compiled by
//! jit-compiler). Every problem becomes a `syn::Error` with a span in the user's source.

use crate::ast::{Input, Mode};
use crate::span::subspan;
use jit_compiler::codegen::{Abi, CodegenOptions, Compiled, compile_with};
use jit_compiler::{ErrorKind, Expr, Node};
use syn::LitStr;

/// An expression that passed every check, with its machine code for both conventions.
pub struct Checked {
    /// The parsed expression.
    pub expr: Expr,
    /// System V code (Linux, macOS, BSDs).
    pub sysv: Compiled,
    /// Win64 code (Windows).
    pub win64: Compiled,
}

/// Checks the input and compiles it.
pub fn check(input: &Input) -> syn::Result<Checked> {
    let source = input.lit.value();
    let expr = match &input.args {
        Some(args) => {
            check_args(input)?;
            let names: Vec<&str> = args.iter().map(|a| a.name.as_str()).collect();
            jit_compiler::parse_with_args(&source, &names)
        }
        None => jit_compiler::parse(&source),
    }
    .map_err(|e| compiler_error(&input.lit, &source, &e))?;
    if expr
        .ast()
        .nodes()
        .iter()
        .any(|n| matches!(n, Node::Call(..)))
    {
        // Unreachable without a registry, but the plain-Rust expansion relies on it.
        return Err(syn::Error::new(
            input.lit.span(),
            "jit_expr! cannot call user functions",
        ));
    }
    let compile = |abi| {
        let options = CodegenOptions {
            abi,
            listing: false,
            ..CodegenOptions::default()
        };
        compile_with(&expr, &options).map_err(|e| compiler_error(&input.lit, &source, &e))
    };
    // The plain-Rust expansion needs no machine code, but compiling anyway keeps every
    // mode's errors (e.g. code too large) the same.
    let sysv = compile(Abi::SysV)?;
    let win64 = compile(Abi::Win64)?;
    for code in [&sysv, &win64] {
        if code.arity <= 8 && code.register_entry.is_none() && input.mode != Mode::Rust {
            return Err(syn::Error::new(
                input.lit.span(),
                "internal error: no register entry",
            ));
        }
    }
    Ok(Checked { expr, sysv, win64 })
}

/// Each name must be acceptable to the compiler (an identifier of the language, not a
/// function name), and listed once; the error points at the name.
fn check_args(input: &Input) -> syn::Result<()> {
    let Some(args) = &input.args else {
        return Ok(());
    };
    for (i, arg) in args.iter().enumerate() {
        if let Err(e) = jit_compiler::parse_with_args("0", &[&arg.name]) {
            return Err(syn::Error::new(arg.span, e.message()));
        }
        if args[..i].iter().any(|a| a.name == arg.name) {
            return Err(syn::Error::new(
                arg.span,
                format!("argument `{}` is listed twice", arg.name),
            ));
        }
    }
    Ok(())
}

/// The compiler's error as a `syn::Error`: the message and the source with a caret, on the
/// offending characters of the literal (or the whole literal).
fn compiler_error(lit: &LitStr, source: &str, err: &jit_compiler::Error) -> syn::Error {
    // Control characters (a tab) would move the caret off its character: show each as one
    // space, which keeps every byte offset.
    let shown: String = source
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c.is_ascii() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let rendered = err.render(&shown);
    let body = rendered
        .strip_prefix(&format!("error: {}\n", err.message()))
        .unwrap_or(&rendered);
    let mut message = format!("{}\n{}", err.message(), body.trim_end());
    if err.kind() == ErrorKind::UnknownVariable {
        message.push_str("\n  = help: add it to the argument list `|...|`");
    }
    syn::Error::new(subspan(lit, err.span()), message)
}
