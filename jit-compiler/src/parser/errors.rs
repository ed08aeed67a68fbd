//! The parser's errors about tokens: what was expected where a token did not fit, with the
//! position of an unclosed `(` and hints for common mistakes (implicit multiplication,
//! `0x` literals). Every function here runs only once a parse has failed.

use super::Parser;
use crate::error::{Error, ErrorKind, Span, quoted};
use crate::lexer::{Token, TokenKind};

impl Parser<'_> {
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

    /// How a message names `tok`: its text quoted, or "the end of the expression".
    fn describe(&self, tok: Token) -> String {
        match tok.kind {
            TokenKind::End => "the end of the expression".to_owned(),
            _ => quoted(self.text(tok.span)),
        }
    }

    #[cold]
    pub(super) fn too_deep(&self, at: Span) -> Error {
        Error::new(
            ErrorKind::NestingTooDeep,
            at,
            format!(
                "the expression is nested too deeply (more than {} levels)",
                self.opts.limits.max_depth
            ),
        )
    }

    /// The error for a token that cannot start an operand.
    ///
    /// (The token comes as its kind and span, here and in the other errors about a token
    /// of the loop in [`Parser::run`]: a `Token`, 24 bytes, is passed by reference, and that
    /// reference kept the loop's token in memory, written on every turn for the sake of
    /// these rare calls; E1–E5 18 / 72 / 58 / 60 / 340 instructions more a compilation.)
    #[cold]
    pub(super) fn no_operand(&self, kind: TokenKind, span: Span) -> Error {
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

    /// The error for a token that cannot follow an operand inside `(` or a call. (The
    /// token as its kind and span: see [`Parser::no_operand`].)
    pub(super) fn unclosed(&self, kind: TokenKind, span: Span, open: Span, what: &str) -> Error {
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
    pub(super) fn missing_operator(&self, kind: TokenKind, span: Span) -> Error {
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
}

/// A call of the function `name` with `arity` arguments, as a hint shows it: `f()`, `sin(x)`,
/// `atan2(x, y)`, `f(x1, x2, …, x7)`.
pub(super) fn example_call(name: &str, arity: usize) -> String {
    let args = match arity {
        0..=4 => ["x", "y", "z", "w"][..arity].join(", "),
        n => format!("x1, x2, …, x{n}"),
    };
    format!("{name}({args})")
}

/// `n arguments`, for the message of a call with the wrong number of them.
pub(super) fn plural(n: usize) -> String {
    if n == 1 {
        "1 argument".to_owned()
    } else {
        format!("{n} arguments")
    }
}
