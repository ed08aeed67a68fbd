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
//!
//! This module holds the grammar: the loop, its frames and the nodes it builds. Beside it,
//! `options` holds the entry points and their limits, `errors` what each misplaced token
//! means, and `resolve` what a name means.

mod errors;
mod options;
mod resolve;

pub use options::{Limits, Options, check_arg_names, parse, parse_with_args};

use crate::ast::{Ast, Node, NodeId};
use crate::error::{Error, ErrorKind, Result, Span, quoted};
use crate::expr::Expr;
use crate::lexer::{Lexer, Token, TokenKind};
use crate::names::{Builtin, NameTable};
use crate::ops::{BinaryOp, UnaryOp};
use errors::plural;

/// Parses `src` with these options, and with these arguments if they are given (and were
/// checked): the end of the entry points in [`options`]. (A function of this module: the
/// entry points are methods of `Options`, which the compiler builds with the rest of its
/// module, in another codegen unit, and from there `Parser::run` was called rather than
/// inlined, and the parser not built in place: E1–E5 110 / 150 / 140 / 145 / 620
/// instructions more a compilation.)
fn parse_source(src: &str, opts: &Options, explicit: Option<&[&str]>) -> Result<Expr> {
    check_length(src, opts)?;
    Parser::new(src, opts, explicit).run()
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
}

#[cfg(test)]
mod tests {
    use super::*;

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
