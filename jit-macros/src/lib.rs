//! The `jit_expr!` procedural macro of trivial-jit. Use it through the `trivial_jit` crate,
//! which re-exports it: the expansion refers to `::trivial_jit::__private` (or to
//! `path::__private` under `crate = path`).
//!
//! Stages, one module each: `ast` parses the input, `valid` checks it and compiles it
//! with jit-compiler (every problem a spanned `syn::Error`), `expand` writes the output
//! (including, for `fns = [...]`, one typed `const` per user function: the type check).
#![forbid(unsafe_code)]

mod ast;
mod expand;
mod span;
mod valid;

use proc_macro::TokenStream;

#[doc = include_str!("jit_expr.md")]
// The `crate = $crate::...` example needs its module at the crate root, so its own `fn main`.
#[allow(clippy::needless_doctest_main)]
#[proc_macro]
pub fn jit_expr(input: TokenStream) -> TokenStream {
    ast::parse(input.into())
        .and_then(|input| Ok(expand::expand(&input, &valid::check(&input)?)))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
