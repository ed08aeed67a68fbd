//! The `jit_expr!` procedural macro of trivial-jit. Use it through the `trivial_jit` crate.
#![forbid(unsafe_code)]
