//! trivial-jit compiles arithmetic expressions such as `"(-b+(b^2-4*a*c)^0.5)/(2*a)"` to
//! x86-64 machine code and hands back a function you can call.
//!
//! ```
//! use trivial_jit::{Jit, JitFn};
//! let f: JitFn = Jit::compile("2*x^0.5")?;
//! assert_eq!(f.call(&[3.0]), 3.4641016151377544);
//! let q = Jit::compile("(-b+(b^2-4*a*c)^0.5)/(2*a)")?;
//! assert_eq!(q.args(), ["a", "b", "c"]);
//! let h = q.typed3()?;               // arity checked once, arguments in registers
//! assert_eq!(h.call(1.0, -3.0, 2.0), 2.0);
//! # Ok::<(), trivial_jit::Error>(())
//! ```
//!
//! Where to go from here:
//! * [`jit_expr!`] compiles an expression while your crate compiles, into a plain
//!   `extern "C" fn`; a bad expression is a compile error.
//! * [`Jit::compile`] and [`Jit::compile_with_args`] compile strings known only at run time;
//!   [`Jit::builder`] adds constants, Rust functions and closures; [`Jit::compile_batch`]
//!   installs many functions with one system call.
//! * [`JitFn::call`], [`JitFn::try_call`] and the typed handles ([`JitFn::typed2`], ...)
//!   call the code; [`JitFn::listing`] shows it, one x86-64 instruction a line.
//! * [`JitFn::map`] runs a vectorized loop over arrays, and [`Jit::reducer`] folds them
//!   (strict, or reassociating for sums and products). With the cargo feature `parallel`,
//!   `JitFn::map_parallel` and `Reducer::reduce_fast_parallel` use rayon's threads.
//! * [`Error`] has a [`kind`](Error::kind), a byte [`span`](Error::span) and
//!   [`render`](Error::render), which draws the source with a caret under the problem.
//!
//! The crates behind it: [`compiler`] (parser, simplifier, interpreter, code generator,
//! x64 assembler; no `unsafe`) and [`runtime`] (executable memory, loading, calling).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use jit_runtime::{
    Error, ErrorKind, Jit, JitBuilder, JitFn, Limits, MapIsa, PARALLEL_CHUNK, Reducer, Result,
    Typed0, Typed1, Typed2, Typed3, Typed4, Typed5, Typed6, Typed7, Typed8,
};

/// The compiler: text → tokens → AST → simplified AST → x86-64 machine code.
pub use jit_compiler as compiler;
/// The runtime: executable memory (W^X), loading code, `JitFn`.
pub use jit_runtime as runtime;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// Compiles an expression at compile time; see the macro's documentation below.
///
/// ```
/// use trivial_jit::{Jit, jit_expr};
/// let f = jit_expr!("2*x^0.5");
/// assert_eq!(f(3.0), Jit::compile("2*x^0.5")?.call(&[3.0]));
/// # Ok::<(), trivial_jit::Error>(())
/// ```
pub use jit_macros::jit_expr;

/// What `jit_expr!`'s expansion refers to. Not an API: only for the macro's own output (the
/// contracts of these items are stated in their docs, and the macro is what upholds them).
#[doc(hidden)]
pub mod __private {
    /// The operations, for the plain-Rust expansion on targets other than x86-64.
    pub use jit_compiler::ops;

    /// `f` itself. The plain-Rust expansion returns its function through this, which is not
    /// a `const fn`: so the macro is a run-time value on every target, and a `const` or a
    /// `static` initialised with it fails to build everywhere, not only on x86-64 (where
    /// installing the code makes it one).
    #[inline(always)]
    pub fn at_run_time<F>(f: F) -> F {
        f
    }
    #[cfg(target_arch = "x86_64")]
    pub use jit_runtime::site::{
        RawCode, SITES, Site, SiteCore, UserFnPtr, call_win64, call_win64_registers, install_count,
        linkme,
    };
}
