//! What a parse is given: the options (limits and the user's registry), the entry points
//! that take them, and the check of an explicit argument list. (The entry points end in
//! [`parse_source`], beside the parser.)

use super::parse_source;
use crate::error::{Error, ErrorKind, Result, Span, quoted};
use crate::expr::Expr;
use crate::lexer::is_identifier;
use crate::names::{Builtin, NameTable};
use crate::registry::Registry;
use std::sync::Arc;

/// Limits on the input, so that hostile input gets a clear error instead of exhausting memory.
/// The defaults are far beyond real formulas.
///
/// Time and memory grow linearly with the source. Measured here: a megabyte of ordinary
/// expression (`x*1.5 - y/2 + ...`) compiles in 0.1 s and 60 MB; the costliest input,
/// integer powers of distinct bases (`(x+1)^9223372036854774807 + ...`, up to 126
/// multiplications each), takes about 2 s and 450 MB a megabyte, so a source at the default
/// 16 MiB limit can take half a minute and several GB before it is refused for its code
/// length. For untrusted input, lower `max_source_len` (and `max_code_len`, which is checked
/// while the code is generated).
///
/// ```
/// use jit_compiler::{ErrorKind, Limits, Options};
/// let untrusted = Options::new().limits(Limits { max_source_len: 10, max_args: 2, ..Limits::default() });
/// assert!(untrusted.parse("x + y").is_ok());
/// assert_eq!(untrusted.parse("x + y + z").unwrap_err().kind(), ErrorKind::TooManyArguments);
/// assert_eq!(untrusted.parse("1 + 2 + 3 + 4").unwrap_err().kind(), ErrorKind::SourceTooLong);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest source, in bytes (default 16 MiB).
    pub max_source_len: usize,
    /// Deepest nesting of parentheses, calls and operators waiting for their right side
    /// (default 10 000). Every pass is iterative, so this limit protects memory, not the stack.
    pub max_depth: usize,
    /// Most arguments (free variables) of one expression (default 10 000).
    pub max_args: usize,
    /// Largest machine code of one function, in bytes (default 64 MiB).
    pub max_code_len: usize,
    /// Largest stack frame of one function, in bytes (default 256 KiB). The frame holds the
    /// values the function keeps at once beyond its 16 registers, 8 bytes each, and lives on
    /// the stack of the thread that calls the function; 256 KiB is 32 000 such values, far
    /// beyond real formulas, and leaves room on a 2 MiB thread stack. A frame over a page
    /// is reserved a page at a time, so one that does not fit the caller's stack stops at
    /// its guard page (Rust reports a stack overflow) rather than writing past it.
    pub max_frame_len: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_source_len: 16 << 20,
            max_depth: 10_000,
            max_args: 10_000,
            max_code_len: 64 << 20,
            max_frame_len: crate::codegen::DEFAULT_MAX_FRAME_LEN,
        }
    }
}

/// Parsing options: limits and user functions/constants.
///
/// ```
/// use jit_compiler::{Limits, Options, ErrorKind};
/// let opts = Options::new().limits(Limits { max_depth: 3, ..Limits::default() });
/// assert_eq!(opts.parse("((x))").unwrap().to_string(), "x");
/// assert_eq!(opts.parse("((((x))))").unwrap_err().kind(), ErrorKind::NestingTooDeep);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub(super) limits: Limits,
    pub(super) registry: Option<Arc<Registry>>,
}

impl Options {
    /// Default limits, no user functions.
    ///
    /// ```
    /// use jit_compiler::{Limits, Options};
    /// let opts = Options::new();
    /// assert_eq!(*opts.get_limits(), Limits::default());
    /// assert_eq!(opts.parse("pi*r^2").unwrap().args(), ["r"]); // built-in constants only
    /// ```
    pub fn new() -> Options {
        Options::default()
    }

    /// Sets the limits.
    ///
    /// ```
    /// use jit_compiler::{ErrorKind, Limits, Options};
    /// let opts = Options::new().limits(Limits { max_args: 1, ..Limits::default() });
    /// assert_eq!(opts.get_limits().max_args, 1);
    /// assert_eq!(opts.parse("x*y").unwrap_err().kind(), ErrorKind::TooManyArguments);
    /// ```
    pub fn limits(mut self, limits: Limits) -> Options {
        self.limits = limits;
        self
    }

    /// Uses these user constants and functions.
    ///
    /// ```
    /// use jit_compiler::{Options, Registry};
    /// use std::sync::Arc;
    /// let mut reg = Registry::new();
    /// reg.constant("g", 9.81).unwrap().closure("half", 1, |a| a[0] / 2.0).unwrap();
    /// let expr = Options::new().registry(Arc::new(reg)).parse("half(g*t)").unwrap();
    /// assert_eq!(expr.args(), ["t"]); // `g` is the constant
    /// assert_eq!(expr.eval(&[2.0]).unwrap(), 9.81);
    /// ```
    pub fn registry(mut self, registry: Arc<Registry>) -> Options {
        self.registry = Some(registry);
        self
    }

    /// The limits in effect.
    ///
    /// ```
    /// use jit_compiler::{Limits, Options};
    /// assert_eq!(Options::new().get_limits().max_depth, 10_000);
    /// let strict = Limits { max_depth: 8, ..Limits::default() };
    /// assert_eq!(*Options::new().limits(strict).get_limits(), strict);
    /// ```
    pub fn get_limits(&self) -> &Limits {
        &self.limits
    }

    /// Parses `src`; its free variables become the arguments, in byte order of their names.
    ///
    /// ```
    /// use jit_compiler::{Limits, Options};
    /// let opts = Options::new().limits(Limits { max_depth: 100, ..Limits::default() });
    /// let expr = opts.parse("y - x").unwrap();
    /// assert_eq!(expr.args(), ["x", "y"]);
    /// assert_eq!(expr.eval(&[1.0, 5.0]).unwrap(), 4.0); // x = 1, y = 5
    /// ```
    pub fn parse(&self, src: &str) -> Result<Expr> {
        parse_source(src, self, None)
    }

    /// Parses `src` with exactly these arguments, in this order. Unused arguments are
    /// allowed; a name not in the list is an error.
    ///
    /// ```
    /// use jit_compiler::{ErrorKind, Options};
    /// let opts = Options::new();
    /// let expr = opts.parse_with_args("y - x", &["y", "x", "z"]).unwrap();
    /// assert_eq!(expr.eval(&[5.0, 1.0, 0.0]).unwrap(), 4.0); // y = 5, x = 1
    /// let err = opts.parse_with_args("y - w", &["y"]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::UnknownVariable);
    /// ```
    pub fn parse_with_args(&self, src: &str, args: &[&str]) -> Result<Expr> {
        check_arg_names_with(args, self)?;
        parse_source(src, self, Some(args))
    }
}

/// Parses `src` with default [`Options`]: free variables become the arguments in byte order.
///
/// ```
/// let expr = jit_compiler::parse("2*x^0.5").unwrap();
/// assert_eq!(expr.args(), ["x"]);
/// assert_eq!(expr.eval(&[4.0]).unwrap(), 4.0);
/// ```
pub fn parse(src: &str) -> Result<Expr> {
    Options::new().parse(src)
}

/// Parses `src` with an explicit argument list; see [`Options::parse_with_args`].
///
/// ```
/// let expr = jit_compiler::parse_with_args("t + x*x", &["t", "x", "unused"]).unwrap();
/// assert_eq!(expr.eval(&[1.0, 2.0, 9.0]).unwrap(), 5.0);
/// ```
pub fn parse_with_args(src: &str, args: &[&str]) -> Result<Expr> {
    Options::new().parse_with_args(src, args)
}

/// Checks an explicit argument list as [`parse_with_args`] does, without a source: each name
/// an identifier that is not a function name, none listed twice, at most
/// [`Limits::max_args`] of them.
///
/// ```
/// use jit_compiler::{ErrorKind, check_arg_names};
/// assert!(check_arg_names(&["t", "x"]).is_ok());
/// assert_eq!(check_arg_names(&["sin"]).unwrap_err().kind(), ErrorKind::InvalidName);
/// assert_eq!(check_arg_names(&["x", "x"]).unwrap_err().kind(), ErrorKind::DuplicateArgument);
/// ```
pub fn check_arg_names(args: &[&str]) -> Result<()> {
    check_arg_names_with(args, &Options::new())
}

fn check_arg_names_with(args: &[&str], opts: &Options) -> Result<()> {
    let invalid = |msg: String| Err(Error::new(ErrorKind::InvalidName, Span::default(), msg));
    if args.len() > opts.limits.max_args {
        return Err(Error::new(
            ErrorKind::TooManyArguments,
            Span::default(),
            format!(
                "too many arguments: {} (the limit is {})",
                args.len(),
                opts.limits.max_args
            ),
        ));
    }
    let mut seen = NameTable::default();
    for name in args {
        if !is_identifier(name) {
            return invalid(format!("argument {} is not a valid name", quoted(name)));
        }
        let user_fn = opts
            .registry
            .as_ref()
            .is_some_and(|r| r.function_index(name).is_some());
        if user_fn || Builtin::lookup(name).is_some() {
            return invalid(format!(
                "argument {} is the name of a function",
                quoted(name)
            ));
        }
        if seen.get(name).is_some() {
            return Err(Error::new(
                ErrorKind::DuplicateArgument,
                Span::default(),
                format!("argument {} is listed twice", quoted(name)),
            ));
        }
        seen.insert(name);
    }
    Ok(())
}
