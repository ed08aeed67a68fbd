//! The parser: tokens → [`Ast`], with a byte span on every node.
//!
//! It is a precedence-climbing (Pratt) parser written as a loop over an explicit stack of
//! pending frames (a prefix operator waiting for its operand, an infix operator waiting for
//! its right side, an open parenthesis, a function call collecting arguments). Nothing
//! recurses, so the nesting depth is limited by [`Limits::max_depth`], not by the thread's
//! stack, and a flat sum of any length keeps the stack at one frame.
//!
//! Binding powers, from the grammar of §3: a binary operator is taken into the operand on
//! the left when its left binding power is greater than the right binding power of the
//! innermost pending frame.
//!
//! | construct              | left | right |
//! |------------------------|------|-------|
//! | `< <= > >= == !=`      | 10   | 10 (and a second one is an error) |
//! | `+ -`                  | 20   | 20    |
//! | `* / %`                | 30   | 30    |
//! | prefix `-` `+`         |      | 40    |
//! | `^` `**`               | 50   | 49 (right-associative) |
//! | prefix `√`             |      | 60 (binds tighter than `^`: `√x^2 = (√x)^2`) |

use crate::ast::{Ast, Node, NodeId};
use crate::error::{Error, ErrorKind, Result, Span, name_list, quoted, short_name};
use crate::expr::Expr;
use crate::lexer::{Lexer, Token, TokenKind, is_identifier};
use crate::names::{ArgNames, Builtin, Letter, NameTable, builtin_constant};
use crate::ops::{BinaryOp, UnaryOp};
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
    limits: Limits,
    registry: Option<Arc<Registry>>,
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
        check_length(src, self)?;
        Parser::new(src, self, None).run()
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
        check_length(src, self)?;
        Parser::new(src, self, Some(args)).run()
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

const PREFIX_SIGN_BP: u8 = 40;
const PREFIX_ROOT_BP: u8 = 60;

/// Left and right binding power of a binary operator token.
fn binary_op(kind: TokenKind) -> Option<(BinaryOp, u8, u8)> {
    BINARY[kind.index()].0
}

/// An entry of [`BINARY`], four bytes rather than three, so that it is read with one load
/// (E1-E5 3 / 12 / 10 / 10 / 30 instructions fewer a compilation).
#[derive(Clone, Copy)]
#[repr(align(4))]
struct Binding(Option<(BinaryOp, u8, u8)>);

/// [`binary_op`] of each kind of token, by [`TokenKind::index`]: one load, where a `match`
/// jumped to one of thirteen places.
static BINARY: [Binding; TokenKind::COUNT] = {
    use BinaryOp::*;
    let mut table = [Binding(None); TokenKind::COUNT];
    table[TokenKind::Lt.index()] = Binding(Some((Lt, 10, 10)));
    table[TokenKind::Le.index()] = Binding(Some((Le, 10, 10)));
    table[TokenKind::Gt.index()] = Binding(Some((Gt, 10, 10)));
    table[TokenKind::Ge.index()] = Binding(Some((Ge, 10, 10)));
    table[TokenKind::EqEq.index()] = Binding(Some((Eq, 10, 10)));
    table[TokenKind::Ne.index()] = Binding(Some((Ne, 10, 10)));
    table[TokenKind::Plus.index()] = Binding(Some((Add, 20, 20)));
    table[TokenKind::Minus.index()] = Binding(Some((Sub, 20, 20)));
    table[TokenKind::Star.index()] = Binding(Some((Mul, 30, 30)));
    table[TokenKind::Slash.index()] = Binding(Some((Div, 30, 30)));
    table[TokenKind::Percent.index()] = Binding(Some((Rem, 30, 30)));
    table[TokenKind::Caret.index()] = Binding(Some((Pow, 50, 49)));
    table
};

/// A parsed operand: its node, the span of its source (including parentheses around it),
/// and whether it is a comparison not in parentheses (`a < b < c` is an error).
#[derive(Clone, Copy)]
struct Operand {
    id: NodeId,
    span: Span,
    bare_comparison: BareComparison,
}

/// Is an [`Operand`] a comparison not in parentheses? (Four bytes where a `bool` is one: an
/// `Operand` is then 16 bytes without padding. With three bytes of padding, LLVM read each
/// operand back from memory to keep them when it made the next one; E1–E5 14 / 54 / 51 / 47
/// / 116–180 instructions more a compilation.)
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum BareComparison {
    No,
    Yes,
}

/// A name the user's registry defines.
#[derive(Clone, Copy)]
enum UserName {
    /// The function with this index in the registry, and its arity.
    Function { index: u32, arity: usize },
    /// A constant of this value.
    Constant(f64),
}

/// The function of a call. (A user function by its index alone, its arity looked up when
/// the call is complete: a call's frame then takes 32 bytes rather than 40.)
#[derive(Clone, Copy)]
enum Callee {
    Builtin(Builtin),
    User(u32),
}

/// A construct waiting for what follows, and its right binding power: how tightly it holds
/// the operand that follows (0 for `(` and calls, which take any expression up to `)` or
/// `,`). (The power is a field of its own, not of the variants, so that the check before
/// every operator is one load.)
struct Frame {
    pending: Pending,
    rbp: u8,
}

// (pushed and popped on nearly every operator: see `Pending::Call`)
const _: () = assert!(std::mem::size_of::<Frame>() == 32);

enum Pending {
    /// `-`, `+` (no node) or `√`, waiting for its operand.
    Prefix { op: Option<UnaryOp>, start: Span },
    /// `lhs op`, waiting for the right side.
    Infix { op: BinaryOp, lhs: Operand },
    /// `(`, waiting for an expression and `)`.
    Paren { open: Span },
    /// `name(`, collecting arguments on the parser's argument stack from `args_start`. (A
    /// `u32`, as the offsets of spans are, so that a frame takes 32 bytes rather than 40:
    /// E1–E5 6 / 33 / 29 / 17 / 154 instructions fewer a compilation. It saturates, as spans
    /// do, past 4 G pending arguments, which take a source of more than 8 GiB.)
    Call {
        callee: Callee,
        name: Span,
        args_start: u32,
    },
}

/// What the parser expects of the next token.
#[derive(Clone, Copy)]
enum Expect {
    /// An operand, or a prefix operator or `(` before one.
    Operand,
    /// After this operand: a binary operator, `)`, `,` or the end.
    Operator(Operand),
    /// After a name: `(` makes it a call; anything else, a value followed by that token.
    AfterName(Span),
    /// After `name(` (the span of `(`; the call's frame is on top): `)`, or the first
    /// argument.
    FirstArgument(Span),
    /// Nothing: the end was read, and this is the whole expression.
    End(Operand),
}

struct Parser<'s> {
    src: &'s str,
    lexer: Lexer<'s>,
    ast: Ast,
    frames: Vec<Frame>,
    call_args: Vec<NodeId>,
    vars: NameTable<'s>,
    explicit: Option<&'s [&'s str]>,
    opts: &'s Options,
}

thread_local! {
    /// The frame stack of this thread's last parse, kept for the next one: a parse then
    /// makes no allocation of its own beyond the tree and the argument names (90 fewer
    /// instructions for `2*x^0.5`, of about 6 500 to machine code). Not kept beyond 1 024
    /// frames (32 KiB).
    static FRAMES: std::cell::Cell<Vec<Frame>> = const { std::cell::Cell::new(Vec::new()) };
}

/// This thread's kept frame stack (empty), or a new one; a thread-local being destroyed
/// gives a new one.
fn take_frames() -> Vec<Frame> {
    let mut frames = FRAMES.try_with(|f| f.take()).unwrap_or_default();
    if frames.capacity() == 0 {
        frames.reserve(16);
    }
    frames
}

/// Gives the frame stack back to the thread, on success and on error alike.
impl Drop for Parser<'_> {
    fn drop(&mut self) {
        let mut frames = std::mem::take(&mut self.frames);
        if frames.capacity() <= 1024 {
            frames.clear();
            let _ = FRAMES.try_with(|f| f.set(frames));
        }
    }
}

/// The source is within the length limit.
fn check_length(src: &str, opts: &Options) -> Result<()> {
    if src.len() > opts.limits.max_source_len {
        return Err(Error::new(
            ErrorKind::SourceTooLong,
            Span::new(opts.limits.max_source_len, src.len()),
            format!(
                "the expression is {} bytes long; the limit is {}",
                src.len(),
                opts.limits.max_source_len
            ),
        ));
    }
    Ok(())
}

impl<'s> Parser<'s> {
    /// A parser at the start of `src` (infallible, so that it is built in place rather than
    /// moved out of a `Result`: it is a few hundred bytes). (Inlined into its two callers:
    /// about 75 fewer instructions a parse.)
    #[inline(always)]
    fn new(src: &'s str, opts: &'s Options, explicit: Option<&'s [&'s str]>) -> Self {
        Parser {
            src,
            lexer: Lexer::new(src),
            frames: take_frames(),
            // Every node but the links of `min`/`max` chains takes at least one byte of
            // source, so short sources never reallocate; long ones grow geometrically (the
            // cap bounds what an `Expr` holds beyond its nodes).
            ast: Ast::with_capacity(src.len().min(256) + 1),
            call_args: Vec::new(),
            // (filled with the explicit arguments by `run`: a table filled here and then
            // moved into the parser was a `memcpy` call of its 300 bytes on every parse)
            vars: NameTable::default(),
            explicit,
            opts,
        }
    }

    fn text(&self, span: Span) -> &'s str {
        self.src.get(span.range()).unwrap_or("")
    }

    /// Where byte `at` is, for messages: `column 7`, or `line 2, column 7` in a source of
    /// several lines (columns count characters from 1).
    fn position(&self, at: u32) -> String {
        let before = self.src.get(..at as usize).unwrap_or(self.src);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        if self.src.contains('\n') {
            let line = before.matches('\n').count() + 1;
            format!("line {line}, column {column}")
        } else {
            format!("column {column}")
        }
    }

    fn describe(&self, tok: Token) -> String {
        match tok.kind {
            TokenKind::End => "the end of the expression".to_owned(),
            _ => quoted(self.text(tok.span)),
        }
    }

    #[inline]
    fn push_frame(&mut self, frame: Frame, at: Span) -> Result<()> {
        if self.frames.len() >= self.opts.limits.max_depth {
            return Err(self.too_deep(at));
        }
        self.frames.push(frame);
        Ok(())
    }

    /// After a call's `(` and its frame: is that frame within the depth limit?
    fn check_depth(&self, lparen: Span) -> Result<()> {
        if self.frames.len() > self.opts.limits.max_depth {
            return Err(self.too_deep(lparen));
        }
        Ok(())
    }

    #[cold]
    fn too_deep(&self, at: Span) -> Error {
        Error::new(
            ErrorKind::NestingTooDeep,
            at,
            format!(
                "the expression is nested too deeply (more than {} levels)",
                self.opts.limits.max_depth
            ),
        )
    }

    fn leaf(&mut self, node: Node, span: Span) -> Operand {
        Operand {
            id: self.ast.push(node, span),
            span,
            bare_comparison: BareComparison::No,
        }
    }

    /// Parses the whole source. (By reference: the parser is a few hundred bytes, and taking
    /// it by value moved it with a `memcpy` call on every parse.)
    ///
    /// One token a turn, read here and nowhere else: what it means depends on what came
    /// before it ([`Expect`]). (One place that lexes lets the lexer be inlined there, with no
    /// token returned through memory or kept in a lookahead slot; tokens are still read, and
    /// errors found, in source order: a token is read only when the one before it is done.)
    fn run(&mut self) -> Result<Expr> {
        for name in self.explicit.unwrap_or(&[]) {
            self.vars.insert(name);
        }
        let mut expect = Expect::Operand;
        let root = loop {
            let tok = self.lexer.next_token()?;
            // A name not followed by `(` is a value, and a call's `(` not followed by `)`
            // opens its first argument: the token is then read as what follows those.
            let now = match expect {
                Expect::AfterName(name) if tok.kind != TokenKind::LParen => {
                    Expect::Operator(self.name_value(name)?)
                }
                Expect::FirstArgument(lparen) if tok.kind != TokenKind::RParen => {
                    self.check_depth(lparen)?;
                    Expect::Operand
                }
                other => other,
            };
            expect = match now {
                Expect::Operand => self.operand(tok)?,
                Expect::Operator(operand) => self.operator(tok, operand)?,
                Expect::AfterName(name) => self.open_call(name, tok.span)?,
                Expect::FirstArgument(_) => Expect::Operator(self.empty_call(tok)?),
                // (not reached: the loop ends as soon as the end is read, below)
                Expect::End(root) => break root,
            };
            if let Expect::End(root) = expect {
                break root;
            }
        };
        debug_assert_eq!(root.id, self.ast.root());
        Ok(self.finish())
    }

    /// A token where an operand is expected: a number (the operand), a name (an operand or a
    /// call, as the next token says), or a prefix operator or `(`, pushed as a frame.
    fn operand(&mut self, tok: Token) -> Result<Expect> {
        let prefix = |op, rbp| Frame {
            pending: Pending::Prefix {
                op,
                start: tok.span,
            },
            rbp,
        };
        match tok.kind {
            TokenKind::Num(v) => return Ok(Expect::Operator(self.leaf(Node::Num(v), tok.span))),
            TokenKind::Name => return Ok(Expect::AfterName(tok.span)),
            TokenKind::Minus => {
                self.push_frame(prefix(Some(UnaryOp::Neg), PREFIX_SIGN_BP), tok.span)?
            }
            TokenKind::Plus => self.push_frame(prefix(None, PREFIX_SIGN_BP), tok.span)?,
            TokenKind::Root => {
                self.push_frame(prefix(Some(UnaryOp::Sqrt), PREFIX_ROOT_BP), tok.span)?
            }
            TokenKind::LParen => {
                let paren = Pending::Paren { open: tok.span };
                self.push_frame(
                    Frame {
                        pending: paren,
                        rbp: 0,
                    },
                    tok.span,
                )?
            }
            _ => return Err(self.no_operand(tok.kind, tok.span)),
        }
        Ok(Expect::Operand)
    }

    /// `name(`: resolves the function, and pushes the call's frame, collecting arguments.
    /// (The depth is checked when an argument follows: a call without arguments takes no
    /// room, and the token after `(` is read before a depth error, as elsewhere.)
    fn open_call(&mut self, name: Span, lparen: Span) -> Result<Expect> {
        let call = Pending::Call {
            callee: self.resolve_function(name)?,
            name,
            args_start: u32::try_from(self.call_args.len()).unwrap_or(u32::MAX),
        };
        self.frames.push(Frame {
            pending: call,
            rbp: 0,
        });
        Ok(Expect::FirstArgument(lparen))
    }

    /// `name()`: the call whose frame is on top, at its `)`.
    fn empty_call(&mut self, rparen: Token) -> Result<Operand> {
        match self.frames.pop() {
            Some(Frame {
                pending:
                    Pending::Call {
                        callee,
                        name,
                        args_start,
                    },
                ..
            }) => self.finish_call(callee, name.to(rparen.span), args_start),
            // cannot happen: `open_call` pushed the frame, and nothing since
            _ => Err(self.missing_operator(rparen.kind, rparen.span)),
        }
    }

    /// The error for a token that cannot start an operand.
    ///
    /// (The token comes as its kind and span, here and in the other errors about a token
    /// of the loop in [`Parser::run`]: a `Token`, 24 bytes, is passed by reference, and that
    /// reference kept the loop's token in memory, written on every turn for the sake of
    /// these rare calls; E1–E5 18 / 72 / 58 / 60 / 340 instructions more a compilation.)
    #[cold]
    fn no_operand(&self, kind: TokenKind, span: Span) -> Error {
        let tok = Token { kind, span };
        match tok.kind {
            TokenKind::End if self.ast.is_empty() && self.frames.is_empty() => Error::new(
                ErrorKind::EmptyExpression,
                tok.span,
                "the expression is empty",
            ),
            TokenKind::End => Error::new(
                ErrorKind::UnexpectedEnd,
                tok.span,
                "expected an operand, found the end of the expression",
            ),
            _ => Error::new(
                ErrorKind::UnexpectedToken,
                tok.span,
                format!("expected an operand, found {}", self.describe(tok)),
            ),
        }
    }

    /// A token after an operand: takes a binary operator, or reduces pending frames until
    /// one of them takes the token (`)`, `,`) or none is left (the end).
    fn operator(&mut self, tok: Token, mut operand: Operand) -> Result<Expect> {
        loop {
            let rbp = self.frames.last().map_or(0, |f| f.rbp);
            if let Some((op, _lbp, op_rbp)) = binary_op(tok.kind).filter(|b| b.1 > rbp) {
                if op.is_comparison() && operand.bare_comparison == BareComparison::Yes {
                    return Err(Error::new(
                        ErrorKind::ChainedComparison,
                        tok.span,
                        "comparisons cannot be chained; use parentheses, e.g. `(a < b) == 1`",
                    ));
                }
                self.push_frame(
                    Frame {
                        pending: Pending::Infix { op, lhs: operand },
                        rbp: op_rbp,
                    },
                    tok.span,
                )?;
                return Ok(Expect::Operand);
            }
            let Some(Frame { pending, .. }) = self.frames.pop() else {
                return self.at_top_level(tok, operand).map(Expect::End);
            };
            operand = match pending {
                Pending::Prefix { op: None, start } => Operand {
                    span: start.to(operand.span),
                    ..operand
                },
                Pending::Prefix {
                    op: Some(op),
                    start,
                } => {
                    let span = start.to(operand.span);
                    self.leaf(Node::Unary(op, operand.id), span)
                }
                Pending::Infix { op, lhs } => {
                    let span = lhs.span.to(operand.span);
                    let id = self.ast.push(Node::Binary(op, lhs.id, operand.id), span);
                    Operand {
                        id,
                        span,
                        bare_comparison: if op.is_comparison() {
                            BareComparison::Yes
                        } else {
                            BareComparison::No
                        },
                    }
                }
                Pending::Paren { open } => {
                    return self.close_paren(open, tok, operand).map(Expect::Operator);
                }
                Pending::Call {
                    callee,
                    name,
                    args_start,
                } => {
                    self.call_args.push(operand.id);
                    return match tok.kind {
                        TokenKind::Comma => {
                            let call = Pending::Call {
                                callee,
                                name,
                                args_start,
                            };
                            self.frames.push(Frame {
                                pending: call,
                                rbp: 0,
                            });
                            Ok(Expect::Operand)
                        }
                        TokenKind::RParen => self
                            .finish_call(callee, name.to(tok.span), args_start)
                            .map(Expect::Operator),
                        _ => {
                            let what = format!("the call of {}", quoted(self.text(name)));
                            Err(self.unclosed(tok.kind, tok.span, name, &what))
                        }
                    };
                }
            };
        }
    }

    fn close_paren(&mut self, open: Span, tok: Token, operand: Operand) -> Result<Operand> {
        if tok.kind != TokenKind::RParen {
            return Err(self.unclosed(tok.kind, tok.span, open, "the parenthesis"));
        }
        Ok(Operand {
            id: operand.id,
            span: open.to(tok.span),
            bare_comparison: BareComparison::No,
        })
    }

    /// The error for a token that cannot follow an operand inside `(` or a call. (The
    /// token as its kind and span: see [`Parser::no_operand`].)
    fn unclosed(&self, kind: TokenKind, span: Span, open: Span, what: &str) -> Error {
        let tok = Token { kind, span };
        match tok.kind {
            TokenKind::End => Error::new(
                ErrorKind::UnexpectedEnd,
                tok.span,
                format!(
                    "expected `)` to close {what} at {}, found the end of the expression",
                    self.position(open.start)
                ),
            ),
            TokenKind::Comma => Error::new(
                ErrorKind::UnexpectedToken,
                tok.span,
                "`,` separates the arguments of a function call; here it is outside one",
            ),
            _ => self.missing_operator(tok.kind, tok.span),
        }
    }

    /// The error for a token where an operator is expected. (The token as its kind and
    /// span: see [`Parser::no_operand`].)
    fn missing_operator(&self, kind: TokenKind, span: Span) -> Error {
        let tok = Token { kind, span };
        if let Some(error) = self.radix_literal(tok) {
            return error;
        }
        let starts_operand = matches!(
            tok.kind,
            TokenKind::Num(_) | TokenKind::Name | TokenKind::LParen | TokenKind::Root
        );
        if starts_operand {
            Error::new(
                ErrorKind::MissingOperator,
                tok.span,
                format!(
                    "expected an operator before {} (there is no implicit multiplication: write `*`)",
                    self.describe(tok)
                ),
            )
        } else {
            Error::new(
                ErrorKind::UnexpectedToken,
                tok.span,
                format!("expected an operator, found {}", self.describe(tok)),
            )
        }
    }

    /// `0x1F`, `0b101`, `0o17` lex as the number `0` and a name: say what they are instead
    /// of asking for an operator between them.
    fn radix_literal(&self, tok: Token) -> Option<Error> {
        let bytes = self.src.as_bytes();
        let start = tok.span.start as usize;
        let name = self.text(tok.span);
        let radix = match name.as_bytes().first()? {
            b'x' | b'X' => "hexadecimal",
            b'b' | b'B' => "binary",
            b'o' | b'O' => "octal",
            _ => return None,
        };
        let zero_before = start >= 1 && bytes[start - 1] == b'0';
        let alone = start < 2
            || !matches!(bytes[start - 2], b'0'..=b'9' | b'.' | b'_')
                && !bytes[start - 2].is_ascii_alphabetic();
        if tok.kind != TokenKind::Name || !zero_before || !alone || name.len() < 2 {
            return None;
        }
        Some(Error::new(
            ErrorKind::InvalidNumber,
            Span::new(start - 1, tok.span.end as usize),
            format!(
                "`0{name}`: {radix} literals are not part of the language; write the number in decimal"
            ),
        ))
    }

    fn at_top_level(&mut self, tok: Token, operand: Operand) -> Result<Operand> {
        match tok.kind {
            TokenKind::End => Ok(operand),
            TokenKind::RParen => Err(Error::new(
                ErrorKind::UnmatchedParenthesis,
                tok.span,
                "this `)` has no matching `(`",
            )),
            _ => Err(self.unclosed(tok.kind, tok.span, Span::default(), "")),
        }
    }

    fn resolve_function(&self, span: Span) -> Result<Callee> {
        let name = self.text(span);
        match self.user_name(name) {
            Some(UserName::Function { index, .. }) => return Ok(Callee::User(index)),
            Some(UserName::Constant(_)) => {}
            None => {
                if let Some(b) = Builtin::lookup(name) {
                    return Ok(Callee::Builtin(b));
                }
            }
        }
        let what = if self.explicit.is_some_and(|a| a.contains(&name)) {
            "an argument"
        } else if self.constant(name).is_some() {
            "a constant"
        } else if self.vars.get(name).is_some() {
            "a variable"
        } else {
            return Err(Error::new(
                ErrorKind::UnknownFunction,
                span,
                format!("unknown function {}", quoted(name)),
            ));
        };
        Err(Error::new(
            ErrorKind::NotAFunction,
            span,
            format!("{} is {what}, not a function", quoted(name)),
        ))
    }

    /// The value of a constant: the user's (see [`Parser::user_name`]), else a built-in one.
    #[inline]
    fn constant(&self, name: &str) -> Option<f64> {
        match self.user_name(name) {
            Some(UserName::Constant(v)) => Some(v),
            Some(UserName::Function { .. }) => None,
            None => builtin_constant(name),
        }
    }

    /// What the user's registry makes `name`. It shadows the built-in of that name in both
    /// roles: with a user function `pi`, a bare `pi` is an uncalled function, and with a user
    /// constant `sqrt`, `sqrt(x)` calls no function.
    fn user_name(&self, name: &str) -> Option<UserName> {
        let reg = self.opts.registry.as_deref()?;
        match reg.function_index(name) {
            // (`i` is a position in `functions()`, from `function_index`)
            Some(i) => Some(UserName::Function {
                index: i as u32,
                arity: reg.functions()[i].arity,
            }),
            None => reg.constant_value(name).map(UserName::Constant),
        }
    }

    fn finish_call(&mut self, callee: Callee, span: Span, args_start: u32) -> Result<Operand> {
        let args: Vec<NodeId> = self.call_args.drain(args_start as usize..).collect();
        let wrong_arity = |expected: &str, name: &str| {
            Error::new(
                ErrorKind::WrongArity,
                span,
                format!(
                    "{} takes {expected}, but {}",
                    quoted(name),
                    crate::error::given(args.len())
                ),
            )
        };
        let name = self.text(span).split('(').next().unwrap_or("").trim_end();
        let node = match callee {
            Callee::User(index) => {
                // cannot fail: the index is one of the registry's functions (`user_name`)
                let arity = self
                    .opts
                    .registry
                    .as_deref()
                    .map_or(0, |reg| reg.functions()[index as usize].arity);
                if args.len() != arity {
                    return Err(wrong_arity(&plural(arity), name));
                }
                let list = self.ast.push_call_args(&args);
                Node::Call(index, list)
            }
            Callee::Builtin(b) if !b.accepts(args.len()) => {
                return Err(wrong_arity(b.arity_text(), name));
            }
            // cannot fail: `accepts` checked the argument count above (1, 2, 3, >= 1).
            Callee::Builtin(Builtin::Unary(op)) => Node::Unary(op, args[0]),
            Callee::Builtin(Builtin::Binary(op)) => Node::Binary(op, args[0], args[1]),
            Callee::Builtin(Builtin::If) => Node::If(args[0], args[1], args[2]),
            Callee::Builtin(Builtin::Variadic(op)) => {
                // min(a) is a; min(a, b, c) is min(min(a, b), c).
                let mut acc = args[0];
                for &arg in &args[1..] {
                    acc = self.ast.push(Node::Binary(op, acc, arg), span);
                }
                return Ok(Operand {
                    id: acc,
                    span,
                    bare_comparison: BareComparison::No,
                });
            }
        };
        Ok(self.leaf(node, span))
    }

    /// The variable a one-letter name is, the commonest name, by its byte: one seen before,
    /// or a new one when nothing else can be named so (no built-in constant or function has
    /// one letter; a user's registry or an explicit argument list could). `None`: ask
    /// [`Parser::name_value`]'s general path. (That path slices the source as a `str`,
    /// checking that both ends are character boundaries, and looks for a constant and a
    /// function of that name: E1, E2, E4, E5 10 / 56 / 42 / 540 instructions more a
    /// compilation; E3, which has no names, 24 fewer, by the parse loop's register
    /// allocation.)
    #[inline]
    fn one_letter_variable(&mut self, span: Span) -> Option<u32> {
        let &[b] = self.src.as_bytes().get(span.range())? else {
            return None;
        };
        match self.vars.letter(b) {
            Letter::At(i) => Some(i),
            Letter::Absent
                if self.opts.registry.is_none()
                    && self.explicit.is_none()
                    && self.vars.len() < self.opts.limits.max_args =>
            {
                Some(self.vars.insert(self.text(span)))
            }
            _ => None,
        }
    }

    /// A name not followed by `(`: an argument, a constant, or a new variable.
    fn name_value(&mut self, span: Span) -> Result<Operand> {
        if let Some(i) = self.one_letter_variable(span) {
            return Ok(self.leaf(Node::Arg(i), span));
        }
        let name = self.text(span);
        if let Some(i) = self.vars.get(name) {
            return Ok(self.leaf(Node::Arg(i), span));
        }
        if let Some(v) = self.constant(name) {
            return Ok(self.leaf(Node::Num(v), span));
        }
        let arity = match self.user_name(name) {
            Some(UserName::Function { arity, .. }) => Some(arity),
            Some(UserName::Constant(_)) => None,
            None => Builtin::lookup(name).map(Builtin::example_arity),
        };
        if let Some(arity) = arity {
            return Err(Error::new(
                ErrorKind::FunctionNotCalled,
                span,
                format!(
                    "{} is a function: call it, e.g. `{}`",
                    quoted(name),
                    example_call(&short_name(name), arity)
                ),
            ));
        }
        if let Some(args) = self.explicit {
            return Err(Error::new(
                ErrorKind::UnknownVariable,
                span,
                if args.is_empty() {
                    format!(
                        "unknown variable {} (the expression takes no arguments)",
                        quoted(name)
                    )
                } else {
                    format!(
                        "unknown variable {} (the arguments are: {})",
                        quoted(name),
                        name_list(args)
                    )
                },
            ));
        }
        if self.vars.len() >= self.opts.limits.max_args {
            return Err(Error::new(
                ErrorKind::TooManyArguments,
                span,
                format!(
                    "too many variables (the limit is {})",
                    self.opts.limits.max_args
                ),
            ));
        }
        let i = self.vars.insert(name);
        Ok(self.leaf(Node::Arg(i), span))
    }

    /// Builds the expression; implicit variables are renumbered into byte order of names.
    fn finish(&mut self) -> Expr {
        let ast = std::mem::take(&mut self.ast);
        let (vars, explicit, opts) = (&self.vars, self.explicit, self.opts);
        let sorted = vars
            .names()
            .windows(2)
            .all(|w| name_order(w[0], w[1]).is_le());
        if explicit.is_some() || sorted {
            // already in calling order (explicit, or first appearance is byte order)
            let args = ArgNames::copied(vars.names().iter().copied());
            return Expr::from_valid_parts(ast, args, opts.registry.clone());
        }
        in_name_order(ast, vars.names(), opts.registry.clone())
    }
}

/// The expression of `ast`, whose argument `i` is `names[i]`, with its arguments renumbered
/// into byte order of their names. (Out of line: most formulas name their variables in
/// that order.)
#[inline(never)]
fn in_name_order(mut ast: Ast, names: &[&str], registry: Option<Arc<Registry>>) -> Expr {
    // The old index of each new argument, then the new index of each old one: on the stack
    // for up to 16 variables (a `SmallVec` filled from an iterator cost E2 120 instructions
    // more).
    let n = names.len();
    let mut on_stack = [0u32; 32];
    let mut on_heap = Vec::new();
    let indices = if n <= 16 {
        &mut on_stack[..2 * n]
    } else {
        on_heap.resize(2 * n, 0);
        &mut on_heap[..]
    };
    let (order, new_index) = indices.split_at_mut(n);
    for (i, old) in order.iter_mut().enumerate() {
        *old = i as u32;
    }
    // cannot fail: every `Arg(i)` comes from `vars.insert`, so `i < n`, and `order` is a
    // permutation of `0..n`; the indexing below stays in range.
    let by_name = |&i: &u32, &j: &u32| name_order(names[i as usize], names[j as usize]);
    if n <= 16 {
        insertion_sort(order, by_name);
    } else {
        order.sort_unstable_by(by_name);
    }
    for (new, &old) in order.iter().enumerate() {
        new_index[old as usize] = new as u32;
    }
    let args = ArgNames::copied(order.iter().map(|&i| names[i as usize]));
    ast.remap_args(|i| new_index[i as usize]);
    Expr::from_valid_parts(ast, args, registry)
}

/// Sorts a few elements (stable): inlined with its comparison, where the library's sort is
/// a call with the comparison behind a closure (E2's three names: 30 instructions fewer).
/// Quadratic: for short slices only.
#[inline]
fn insertion_sort(v: &mut [u32], order: impl Fn(&u32, &u32) -> std::cmp::Ordering) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && order(&v[j], &v[j - 1]).is_lt() {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The byte order of names (`str`'s own), decided by the first bytes when they differ, as
/// those of most names do: a comparison of whole strings is a `memcmp` call.
fn name_order(a: &str, b: &str) -> std::cmp::Ordering {
    let first = |s: &str| s.as_bytes().first().copied();
    first(a).cmp(&first(b)).then_with(|| a.cmp(b))
}

/// A call of the function `name` with `arity` arguments, as a hint shows it: `f()`, `sin(x)`,
/// `atan2(x, y)`, `f(x1, x2, …, x7)`.
fn example_call(name: &str, arity: usize) -> String {
    let args = match arity {
        0..=4 => ["x", "y", "z", "w"][..arity].join(", "),
        n => format!("x1, x2, …, x{n}"),
    };
    format!("{name}({args})")
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 argument".to_owned()
    } else {
        format!("{n} arguments")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Names are ordered as `str` orders them.
        #[test]
        fn name_order_is_the_byte_order(a in "[a-c_é]{0,3}", b in "[a-c_é]{0,3}") {
            proptest::prop_assert_eq!(name_order(&a, &b), a.cmp(&b));
        }
    }

    #[test]
    fn binding_powers_by_token() {
        use BinaryOp::*;
        for kind in crate::lexer::tests::all_kinds() {
            let want = match kind {
                TokenKind::Lt => Some((Lt, 10, 10)),
                TokenKind::Le => Some((Le, 10, 10)),
                TokenKind::Gt => Some((Gt, 10, 10)),
                TokenKind::Ge => Some((Ge, 10, 10)),
                TokenKind::EqEq => Some((Eq, 10, 10)),
                TokenKind::Ne => Some((Ne, 10, 10)),
                TokenKind::Plus => Some((Add, 20, 20)),
                TokenKind::Minus => Some((Sub, 20, 20)),
                TokenKind::Star => Some((Mul, 30, 30)),
                TokenKind::Slash => Some((Div, 30, 30)),
                TokenKind::Percent => Some((Rem, 30, 30)),
                TokenKind::Caret => Some((Pow, 50, 49)),
                _ => None,
            };
            assert_eq!(binary_op(kind), want, "{kind:?}");
        }
    }

    /// What [`Parser::one_letter_variable`] relies on to make a new variable of a new letter.
    #[test]
    fn no_built_in_has_a_one_letter_name() {
        for c in ('a'..='z').chain('A'..='Z').chain(['_']) {
            let name = c.to_string();
            assert!(Builtin::lookup(&name).is_none() && builtin_constant(&name).is_none());
        }
    }

    /// Past 254 names the byte table still knows which letters are new.
    #[test]
    fn one_letter_names_after_hundreds_of_names() {
        let long: Vec<String> = (0..300).map(|i| format!("v{i}")).collect();
        let src = format!("{} + z*y - z", long.join("+"));
        let expr = parse(&src).unwrap();
        assert_eq!(expr.arity(), 302);
        assert_eq!(&expr.args()[300..], ["y", "z"]);
        let mut args = vec![0.0; 302];
        (args[300], args[301]) = (3.0, 2.0);
        assert_eq!(expr.eval(&args).unwrap(), 4.0);
    }

    #[test]
    fn one_letter_names_of_a_registry_or_outside_an_argument_list() {
        let mut reg = Registry::new();
        reg.constant("g", 9.5)
            .unwrap()
            .closure("f", 1, |a| a[0])
            .unwrap();
        let opts = Options::new().registry(Arc::new(reg));
        let expr = opts.parse("g*x").unwrap();
        assert_eq!(
            (expr.args(), expr.eval(&[2.0]).unwrap()),
            (&["x".to_owned()][..], 19.0)
        );
        let err = opts.parse("f + 1").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::FunctionNotCalled);
        let err = parse_with_args("x + y", &["x"]).unwrap_err();
        assert_eq!((err.kind(), err.span()), (ErrorKind::UnknownVariable, 4..5));
        let one = Options::new().limits(Limits {
            max_args: 1,
            ..Limits::default()
        });
        let err = one.parse("x + x*y").unwrap_err();
        assert_eq!(
            (err.kind(), err.span()),
            (ErrorKind::TooManyArguments, 6..7)
        );
    }

    #[test]
    fn the_hint_for_an_uncalled_function_calls_it_with_its_arity() {
        let mut reg = Registry::new();
        reg.closure("zero", 0, |_| 0.0).unwrap();
        reg.closure("seven", 7, |_| 0.0).unwrap();
        let opts = Options::new().registry(Arc::new(reg));
        for (src, hint) in [
            ("sin + 1", "`sin(x)`"),
            ("2*atan2", "`atan2(x, y)`"),
            ("if", "`if(x, y, z)`"),
            ("max", "`max(x, y)`"),
            ("zero", "`zero()`"),
            ("seven", "`seven(x1, x2, …, x7)`"),
        ] {
            let err = opts.parse(src).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::FunctionNotCalled, "{src}");
            assert!(
                err.message().ends_with(&format!("call it, e.g. {hint}")),
                "{}",
                err.message()
            );
        }
    }

    /// The capacity of this thread's kept frame stack.
    fn kept_capacity() -> usize {
        FRAMES.with(|f| {
            let frames = f.take();
            let capacity = frames.capacity();
            f.set(frames);
            capacity
        })
    }

    #[test]
    fn the_frame_stack_is_kept_for_the_next_parse_unless_it_grew_large() {
        parse("2*(x+1)").unwrap();
        assert!(kept_capacity() >= 16);
        let deep = format!("{}x{}", "(".repeat(2000), ")".repeat(2000));
        parse(&deep).unwrap();
        assert_eq!(kept_capacity(), 0, "2 000 frames are not kept");
        assert!(parse("((x").is_err());
        assert!(
            kept_capacity() >= 16,
            "a failed parse gives its stack back too"
        );
    }
}
