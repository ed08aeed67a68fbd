//! Checks: the user functions of `fns` (names; arities taken from their calls), the argument
//! list, then the expression itself (parsed and compiled by jit-compiler, with placeholder
//! natives standing in for the user functions). Every problem becomes a `syn::Error` with a
//! span in the user's source.

use crate::ast::{Input, Mode};
use crate::span::subspan;
use jit_compiler::codegen::{Abi, CodegenOptions, Compiled, compile_with};
use jit_compiler::lexer::{Lexer, Token, TokenKind, is_identifier};
use jit_compiler::{ErrorKind, Expr, Options, Registry, UserFnImpl};
use std::sync::Arc;
use syn::LitStr;

/// The most arguments a user function may take (`UserFnImpl::Native0..Native4`).
const MAX_FN_ARITY: usize = 4;

/// An expression that passed every check, with its machine code for both conventions.
pub struct Checked {
    /// The parsed expression.
    pub expr: Expr,
    /// System V code (Linux, macOS, BSDs), SSE2.
    pub sysv: Compiled,
    /// The same with AVX's three-operand forms (installed instead on CPUs with AVX).
    pub sysv_avx: Compiled,
    /// Win64 code (Windows), SSE2.
    pub win64: Compiled,
    /// The same with AVX's three-operand forms.
    pub win64_avx: Compiled,
    /// The arity of each user function of `fns`, in order (taken from its calls).
    pub fn_arities: Vec<usize>,
}

/// Checks the input and compiles it.
pub fn check(input: &Input) -> syn::Result<Checked> {
    let source = input.lit.value();
    let fn_arities = check_fns(input, &source)?;
    let options = options(input, &fn_arities);
    let expr = match &input.args {
        Some(args) => {
            check_args(input, &options)?;
            let names: Vec<&str> = args.iter().map(|a| a.name.as_str()).collect();
            options.parse_with_args(&source, &names)
        }
        None => options.parse(&source),
    }
    .map_err(|e| compiler_error(&input.lit, &source, &e))?;
    let compile = |abi, avx| {
        let options = CodegenOptions {
            abi,
            listing: false,
            avx,
            ..CodegenOptions::default()
        };
        compile_with(&expr, &options).map_err(|e| compiler_error(&input.lit, &source, &e))
    };
    // The plain-Rust expansion needs no machine code, but compiling anyway keeps every
    // mode's errors (e.g. code too large) the same.
    let sysv = compile(Abi::SysV, false)?;
    let sysv_avx = compile(Abi::SysV, true)?;
    let win64 = compile(Abi::Win64, false)?;
    let win64_avx = compile(Abi::Win64, true)?;
    for code in [&sysv, &sysv_avx, &win64, &win64_avx] {
        if code.arity <= 8 && code.register_entry.is_none() && input.mode != Mode::Rust {
            return Err(syn::Error::new(
                input.lit.span(),
                "internal error: no register entry",
            ));
        }
    }
    Ok(Checked {
        expr,
        sysv,
        sysv_avx,
        win64,
        win64_avx,
        fn_arities,
    })
}

/// Parser options: a registry with one placeholder native per user function, of the arity
/// of its calls, so that the parser and the code generator accept the calls (the parser
/// resolves registered names before built-ins: `fns` shadow built-in functions). The
/// placeholders are never called: the simplifier does not evaluate calls, and the macro
/// never runs the code.
fn options(input: &Input, arities: &[usize]) -> Options {
    extern "C" fn p0() -> f64 {
        f64::NAN
    }
    extern "C" fn p1(_: f64) -> f64 {
        f64::NAN
    }
    extern "C" fn p2(_: f64, _: f64) -> f64 {
        f64::NAN
    }
    extern "C" fn p3(_: f64, _: f64, _: f64) -> f64 {
        f64::NAN
    }
    extern "C" fn p4(_: f64, _: f64, _: f64, _: f64) -> f64 {
        f64::NAN
    }
    if input.fns.is_empty() {
        return Options::new();
    }
    let mut registry = Registry::new();
    for (f, &arity) in input.fns.iter().zip(arities) {
        let imp = match arity {
            0 => UserFnImpl::Native0(p0),
            1 => UserFnImpl::Native1(p1),
            2 => UserFnImpl::Native2(p2),
            3 => UserFnImpl::Native3(p3),
            _ => UserFnImpl::Native4(p4),
        };
        // The names were checked in `check_fns`.
        let _ = registry.add_function(&f.name, arity, imp);
    }
    Options::new().registry(Arc::new(registry))
}

/// Checks `fns` (names, duplicates, the `@win64` hook) and returns each function's arity,
/// taken from its calls in the expression: every listed function must be called, always
/// with the same number of arguments (0 to 4).
fn check_fns(input: &Input, source: &str) -> syn::Result<Vec<usize>> {
    if input.fns.is_empty() {
        return Ok(Vec::new());
    }
    if input.mode == Mode::Win64 {
        return Err(syn::Error::new_spanned(
            &input.fns[0].path,
            "`@win64` cannot be combined with `fns`: the user functions are `extern \"C\"`, \
             which is System V on this host, so the Win64 code could not call them",
        ));
    }
    for (i, f) in input.fns.iter().enumerate() {
        if !is_identifier(&f.name) {
            return Err(syn::Error::new_spanned(
                &f.path,
                format!(
                    "`{}` cannot be used in an expression (a letter or `_`, then letters, \
                     digits, `_`)",
                    f.name
                ),
            ));
        }
        if input.fns[..i].iter().any(|g| g.name == f.name) {
            return Err(syn::Error::new_spanned(
                &f.path,
                format!("function `{}` is listed twice in `fns`", f.name),
            ));
        }
    }
    let calls = calls(source).map_err(|e| compiler_error(&input.lit, source, &e))?;
    let mut arities = Vec::with_capacity(input.fns.len());
    for f in &input.fns {
        let mut mine = calls.iter().filter(|c| c.name == f.name);
        let Some(first) = mine.next() else {
            return Err(syn::Error::new_spanned(
                &f.path,
                format!(
                    "`{}` is listed in `fns` but never called in the expression \
                     (its arity is taken from its calls)",
                    f.name
                ),
            ));
        };
        // Rendered like the parser's errors, with the source and a caret under the call: on
        // stable Rust the error's own span is the whole literal.
        let at_call = |call: &Call, message: String| {
            let span = jit_compiler::Span::new(call.span.start, call.span.end);
            let error = jit_compiler::Error::new(ErrorKind::WrongArity, span, message);
            compiler_error(&input.lit, source, &error)
        };
        if first.args > MAX_FN_ARITY {
            return Err(at_call(
                first,
                format!(
                    "`{}` is called with {} arguments; a function of `fns` takes at most {}",
                    f.name, first.args, MAX_FN_ARITY
                ),
            ));
        }
        if let Some(other) = mine.find(|c| c.args != first.args) {
            return Err(at_call(
                other,
                format!(
                    "`{}` is called with {} here, but with {} in `{}`; every call of a \
                     function of `fns` must pass the same number of arguments",
                    f.name,
                    plural(other.args),
                    plural(first.args),
                    &source[first.span.clone()],
                ),
            ));
        }
        arities.push(first.args);
    }
    Ok(arities)
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 argument".to_owned()
    } else {
        format!("{n} arguments")
    }
}

/// A call in the source: a name followed by `(`.
struct Call<'s> {
    name: &'s str,
    /// Number of arguments (top-level commas + 1, or 0 for `f()`).
    args: usize,
    /// From the name to the closing parenthesis (or the end of the source, if unclosed).
    span: std::ops::Range<usize>,
}

/// Every call of the source, found with the lexer (before parsing, which needs the arities).
/// A lexing error is returned as is: the parser would report the same.
///
/// One pass with a stack of the open parentheses (a scan from each call to its closing
/// parenthesis was quadratic in the nesting: 48 000 nested calls took 3.8 s before the
/// compiler's depth limit was reached). A call's argument count is the commas directly inside
/// its parentheses, plus one when anything is inside; a call left open ends at the end.
fn calls(source: &str) -> jit_compiler::Result<Vec<Call<'_>>> {
    let mut lexer = Lexer::new(source);
    let mut calls: Vec<Call<'_>> = Vec::new();
    // per open parenthesis: the call it belongs to (an index into `calls`), if any
    let mut open: Vec<Option<usize>> = Vec::new();
    let mut prev = None;
    loop {
        let t = lexer.next_token()?;
        match t.kind {
            TokenKind::End => break,
            TokenKind::LParen => {
                let call = prev
                    .filter(|p: &Token| p.kind == TokenKind::Name)
                    .map(|name| {
                        let start = name.span.start as usize;
                        calls.push(Call {
                            name: &source[start..name.span.end as usize],
                            args: 0,
                            span: start..source.len(),
                        });
                        calls.len() - 1
                    });
                // (inside the enclosing call this is a token nested deeper: it starts an
                // argument there once the parenthesis closes)
                open.push(call);
            }
            TokenKind::RParen => {
                if let Some(Some(c)) = open.pop() {
                    calls[c].span.end = t.span.end as usize;
                }
                started(&mut calls, &open);
            }
            TokenKind::Comma => {
                if let Some(&Some(c)) = open.last() {
                    calls[c].args += 1;
                }
            }
            _ => started(&mut calls, &open),
        }
        prev = Some(t);
    }
    Ok(calls)
}

/// A token directly inside the innermost open parenthesis: if that is a call's, its first
/// argument has started.
fn started(calls: &mut [Call<'_>], open: &[Option<usize>]) {
    if let Some(&Some(c)) = open.last()
        && calls[c].args == 0
    {
        calls[c].args = 1;
    }
}

/// Each name must be acceptable to the compiler (an identifier of the language, not a
/// function name, including those of `fns`), and listed once, and there must be no more
/// than the compiler's limit of them; the error points at the name (the first one too many).
fn check_args(input: &Input, options: &Options) -> syn::Result<()> {
    let Some(args) = &input.args else {
        return Ok(());
    };
    let max = options.get_limits().max_args;
    if let Some(extra) = args.get(max) {
        return Err(syn::Error::new(
            extra.span,
            format!("too many arguments: {} (the limit is {max})", args.len()),
        ));
    }
    let mut seen = std::collections::HashSet::with_capacity(args.len());
    for arg in args {
        if let Err(e) = options.parse_with_args("0", &[&arg.name]) {
            return Err(syn::Error::new(arg.span, e.message()));
        }
        if !seen.insert(arg.name.as_str()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each call's name, argument count and span.
    fn found(source: &str) -> Vec<(&str, usize, std::ops::Range<usize>)> {
        let calls = calls(source).unwrap();
        calls
            .into_iter()
            .map(|c| (c.name, c.args, c.span))
            .collect()
    }

    #[test]
    fn calls_with_their_arguments_and_spans() {
        assert_eq!(found("f()"), [("f", 0, 0..3)]);
        assert_eq!(found("f(x) + 1"), [("f", 1, 0..4)]);
        assert_eq!(found("f((x), (a, b))"), [("f", 2, 0..14)]);
        assert_eq!(
            found("f(g(x), h(), y)"),
            [("f", 3, 0..15), ("g", 1, 2..6), ("h", 0, 8..11)]
        );
        // an argument that is a parenthesis counts once it closes; a comma first counts too
        assert_eq!(found("f((1))"), [("f", 1, 0..6)]);
        assert_eq!(found("f(,x)"), [("f", 1, 0..5)]);
        // left open: to the end of the source
        assert_eq!(found("2*f(x, g(y"), [("f", 2, 2..10), ("g", 1, 7..10)]);
        // a name not followed by `(` is no call; parentheses of no call count for nothing
        assert_eq!(found("(y, z) * x"), []);
        assert_eq!(found("x (y)"), [("x", 1, 0..5)]); // (space between: still a call)
    }

    /// One pass: 100 000 nested calls are found in time proportional to the source (a scan
    /// per call to its closing parenthesis was quadratic, 3.8 s for 48 000).
    #[test]
    fn deeply_nested_calls() {
        let n = 100_000;
        let source = format!("{}x{}", "f(".repeat(n), ")".repeat(n));
        let calls = calls(&source).unwrap();
        assert_eq!(calls.len(), n);
        assert!(calls.iter().all(|c| c.name == "f" && c.args == 1));
        assert_eq!(calls[0].span, 0..source.len());
        assert_eq!(calls[n - 1].span, 2 * (n - 1)..2 * n + 2);
    }
}
