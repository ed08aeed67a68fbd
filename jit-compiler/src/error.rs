//! The one error type of trivial-jit: what went wrong ([`ErrorKind`]), where (a byte span into
//! the source) and a message for humans. [`Error::render`] shows the source line with a caret.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// A byte range in the source text. Half-open, like `Range<usize>`, but `Copy` and small: every
/// token and AST node carries one.
///
/// (Aligned to 8 bytes so that a span is written with one 8-byte store: the lexer returns
/// tokens through memory, and the parser reads a token's span back in one 8-byte load,
/// which the CPU cannot forward from two 4-byte stores: a stall on every token.)
///
/// ```
/// use jit_compiler::Span;
/// let span = Span::new(2, 5);
/// assert_eq!((span.start, span.end), (2, 5));
/// assert_eq!(&"1 + sin"[span.range()], "+ s");
/// assert_eq!(std::mem::size_of::<Span>(), 8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(C, align(8))]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
}

impl Span {
    /// The span `start..end`.
    ///
    /// ```
    /// use jit_compiler::Span;
    /// assert_eq!(Span::new(3, 7).range(), 3..7);
    /// assert_eq!(Span::new(0, usize::MAX).end, u32::MAX); // saturates, never wraps
    /// # #[cfg(target_pointer_width = "64")]
    /// assert_eq!(Span::new(1 << 32, 1 << 32), Span::new(u32::MAX as usize, u32::MAX as usize));
    /// ```
    #[inline]
    pub fn new(start: usize, end: usize) -> Span {
        // Sources are limited to far less than 4 GiB (see `Limits`), so offsets fit in u32;
        // saturate rather than wrap if a caller ever passes something larger. (Both offsets
        // tested at once, the clamping out of line: every token makes a span, and clamping
        // each offset in line cost E5 of the benchmarks, 165 tokens, 135 instructions more.)
        if (start | end) <= u32::MAX as usize {
            return Span {
                start: start as u32,
                end: end as u32,
            };
        }
        Span::saturated(start, end)
    }

    /// [`Span::new`] of offsets past `u32::MAX`.
    #[cold]
    fn saturated(start: usize, end: usize) -> Span {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end),
        }
    }

    /// The empty span at `at` (an unexpected end of input points here).
    ///
    /// ```
    /// use jit_compiler::{Span, parse};
    /// assert_eq!(Span::empty(4).range(), 4..4);
    /// assert_eq!(parse("x * ").unwrap_err().byte_span(), Span::empty(4));
    /// ```
    pub fn empty(at: usize) -> Span {
        Span::new(at, at)
    }

    /// The smallest span that covers both.
    ///
    /// ```
    /// use jit_compiler::Span;
    /// assert_eq!(Span::new(4, 5).to(Span::new(0, 1)), Span::new(0, 5)); // in either order
    /// assert_eq!(Span::new(0, 9).to(Span::new(2, 3)), Span::new(0, 9));
    /// ```
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// As a `Range<usize>`, for slicing the source.
    ///
    /// ```
    /// use jit_compiler::parse;
    /// let src = "1 + sinn(x)";
    /// let err = parse(src).unwrap_err();
    /// assert_eq!(&src[err.byte_span().range()], "sinn");
    /// ```
    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// What kind of problem an [`Error`] reports. New kinds may be added in later versions.
///
/// ```
/// use jit_compiler::{ErrorKind, parse, parse_with_args};
/// assert_eq!(parse("2x").unwrap_err().kind(), ErrorKind::MissingOperator);
/// assert_eq!(parse("sin + 1").unwrap_err().kind(), ErrorKind::FunctionNotCalled);
/// assert_eq!(parse_with_args("x + y", &["x"]).unwrap_err().kind(), ErrorKind::UnknownVariable);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A character that is not part of the language, e.g. `$` or `=`.
    UnexpectedCharacter,
    /// A malformed number literal, e.g. `1e` or `1.2.3`.
    InvalidNumber,
    /// The source contains no expression at all.
    EmptyExpression,
    /// A token where it cannot stand, e.g. `*` at the start or `)` after an operator.
    UnexpectedToken,
    /// The source ended in the middle of an expression (the span is empty, at the end).
    UnexpectedEnd,
    /// Two operands with nothing between them: `2x`, `1 2`, `(a)(b)`.
    MissingOperator,
    /// A `)` without a matching `(`.
    UnmatchedParenthesis,
    /// `a < b < c`: comparisons do not chain.
    ChainedComparison,
    /// Parentheses, signs or powers nested deeper than the configured limit.
    NestingTooDeep,
    /// The source is longer than the configured limit.
    SourceTooLong,
    /// A name that is not an argument, with an explicit argument list.
    UnknownVariable,
    /// A call of a name that is no function.
    UnknownFunction,
    /// A function name used without a call, e.g. `sin + 1`.
    FunctionNotCalled,
    /// A constant or variable used as a function, e.g. `pi(1)`, `x + x(2)`, or `x(2)` with `x`
    /// an explicit argument (a name not seen before, as in `x(2)` alone, is an unknown
    /// function).
    NotAFunction,
    /// A function called with the wrong number of arguments.
    WrongArity,
    /// An argument or registered name that is not an identifier, or is reserved.
    InvalidName,
    /// An argument name listed twice.
    DuplicateArgument,
    /// More arguments than the configured limit.
    TooManyArguments,
    /// The generated machine code exceeds the configured limit.
    CodeTooLarge,
    /// The generated function's stack frame (the values it keeps at once beyond the
    /// registers) exceeds the configured limit.
    FrameTooLarge,
    /// A call with the wrong number of argument values.
    ArgumentCount,
    /// The operating system refused executable memory.
    ExecutableMemory,
    /// A user function (closure) panicked while the machine code ran.
    Panic,
    /// Array shapes that do not fit: wrong column count, unequal lengths, short output.
    Shape,
    /// A tree built by hand that is not well formed (see [`Expr::from_parts`](crate::Expr::from_parts)).
    MalformedTree,
    /// A native function registered with another number of arguments than it takes (see
    /// [`Registry::add_function`](crate::Registry::add_function)).
    RegisteredArity,
}

impl ErrorKind {
    /// Does an error of this kind point at a place in the source? Not those about an
    /// explicit argument list or a registration ([`InvalidName`](Self::InvalidName),
    /// [`DuplicateArgument`](Self::DuplicateArgument),
    /// [`RegisteredArity`](Self::RegisteredArity)) and those of evaluation
    /// ([`ArgumentCount`](Self::ArgumentCount), [`ExecutableMemory`](Self::ExecutableMemory),
    /// [`Panic`](Self::Panic), [`Shape`](Self::Shape)): their span is `0..0`, and
    /// [`Error::render`] shows no source line for them.
    ///
    /// ```
    /// use jit_compiler::ErrorKind;
    /// assert!(ErrorKind::UnexpectedEnd.is_in_source());
    /// assert!(!ErrorKind::ArgumentCount.is_in_source());
    /// ```
    pub fn is_in_source(self) -> bool {
        use ErrorKind::*;
        !matches!(
            self,
            InvalidName
                | DuplicateArgument
                | RegisteredArity
                | ArgumentCount
                | ExecutableMemory
                | Panic
                | Shape
        )
    }
}

/// An error with a kind, a byte span into the source, and a message.
///
/// Errors from evaluation (a wrong argument count, a panicking closure) have no source and
/// carry the empty span `0..0`.
///
/// ```
/// use jit_compiler::{parse, ErrorKind};
/// let err = parse("2*x +").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::UnexpectedEnd);
/// assert_eq!(err.span(), 5..5);
/// assert_eq!(err.render("2*x +"), "error: expected an operand, found the end of the expression\n  |\n1 | 2*x +\n  |      ^\n");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    // Boxed so that `Result<f64, Error>` (the result of `try_call`) stays two words.
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    span: Span,
    message: String,
}

impl Error {
    /// A new error. `message` says what is wrong in a sentence without a final period.
    ///
    /// ```
    /// use jit_compiler::{Error, ErrorKind, Span};
    /// let err = Error::new(ErrorKind::UnknownVariable, Span::new(4, 5), "unknown variable `y`");
    /// assert_eq!(err.to_string(), "unknown variable `y` (at bytes 4..5)");
    /// assert_eq!(err.render("x + y"), "error: unknown variable `y`\n  |\n1 | x + y\n  |     ^\n");
    /// ```
    pub fn new(kind: ErrorKind, span: Span, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                span,
                message: message.into(),
            }),
        }
    }

    /// What kind of problem this is.
    ///
    /// ```
    /// use jit_compiler::{ErrorKind, parse};
    /// assert_eq!(parse("(x + 1").unwrap_err().kind(), ErrorKind::UnexpectedEnd);
    /// assert_eq!(parse("x + 1)").unwrap_err().kind(), ErrorKind::UnmatchedParenthesis);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// Byte offsets into the source of the offending token; an unexpected end is the empty
    /// span at the end.
    ///
    /// ```
    /// use jit_compiler::parse;
    /// assert_eq!(parse("1 + $").unwrap_err().span(), 4..5); // the `$`
    /// assert_eq!(parse("1 +").unwrap_err().span(), 3..3); // the end
    /// ```
    pub fn span(&self) -> Range<usize> {
        self.inner.span.range()
    }

    /// The span as a [`Span`].
    ///
    /// ```
    /// use jit_compiler::{Span, parse};
    /// let err = parse("1 + $").unwrap_err();
    /// assert_eq!(err.byte_span(), Span::new(4, 5));
    /// assert_eq!(err.byte_span().range(), err.span());
    /// ```
    pub fn byte_span(&self) -> Span {
        self.inner.span
    }

    /// The message, without position.
    ///
    /// ```
    /// use jit_compiler::parse;
    /// let err = parse("1 + sinn(x)").unwrap_err();
    /// assert_eq!(err.message(), "unknown function `sinn`");
    /// assert_eq!(err.to_string(), "unknown function `sinn` (at bytes 4..8)"); // Display adds it
    /// ```
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The message followed by the source line that holds the span, with carets under it:
    ///
    /// ```text
    /// error: unknown function `sinn`
    ///   |
    /// 1 | 2*sinn(x)
    ///   |   ^^^^
    /// ```
    ///
    /// Only the message for errors that are not about a place in the source (see
    /// [`ErrorKind::is_in_source`]). Control characters in the line are shown as their
    /// Unicode pictures (`␛` for ESC, `␍` for CR), so the source cannot move the terminal's
    /// cursor or change its colours; a tab stays a tab.
    ///
    /// ```
    /// use jit_compiler::parse;
    /// let err = parse("2*sinn(x)").unwrap_err();
    /// assert_eq!(err.render("2*sinn(x)"), "error: unknown function `sinn`\n  |\n1 | 2*sinn(x)\n  |   ^^^^\n");
    /// ```
    pub fn render(&self, source: &str) -> String {
        self.render_from_line(source, 1)
    }

    /// [`render`](Self::render) for a source that is one part of a longer input: its first
    /// line is numbered `first_line` (a REPL shows an error in its 3rd line as `3 | …`).
    ///
    /// ```
    /// use jit_compiler::parse;
    /// let err = parse("1 +").unwrap_err();
    /// assert_eq!(err.render_from_line("1 +", 12), "error: expected an operand, found the end of the expression\n   |\n12 | 1 +\n   |    ^\n");
    /// ```
    pub fn render_from_line(&self, source: &str, first_line: usize) -> String {
        let mut out = format!("error: {}\n", self.inner.message);
        if !self.inner.kind.is_in_source() {
            return out;
        }
        let span = self.inner.span.range();
        // cannot fail (slicing below): `start <= end <= source.len()`, all char boundaries,
        // and `start <= line_end`; any span (even one from another source) is clamped first.
        let start = clamp_to_char_boundary(source, span.start);
        let end = clamp_to_char_boundary(source, span.end.max(start));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let line_no = source[..start]
            .matches('\n')
            .count()
            .saturating_add(first_line);
        let gutter = " ".repeat(line_no.to_string().len());
        // a CRLF line is shown without its CR (the caret of a span on it goes at the end)
        let line_end = line_start + source[line_start..line_end].trim_end_matches('\r').len();
        let start = start.min(line_end);
        let end = end.clamp(start, line_end);
        let (from, to) = shown_part(source, line_start, line_end, start, end);
        let (before, after) = (from > line_start, to < line_end);
        let ellipsis = |shown: bool| if shown { "…" } else { "" };
        out.push_str(&format!(
            "{gutter} |\n{line_no} | {}{}{}\n{gutter} | {}",
            ellipsis(before),
            source[from..to].chars().map(visible).collect::<String>(),
            ellipsis(after),
            if before { " " } else { "" },
        ));
        out.extend(source[from..start].chars().map(blank_as_wide_as));
        let width: usize = source[start..end.min(to)].chars().map(columns).sum();
        out.push_str(&"^".repeat(width.max(1)));
        out.push('\n');
        out
    }
}

/// Lines of more characters than this are shown in part, around the span: an error in an
/// expression of a megabyte on one line is not a megabyte long.
const LONGEST_SHOWN: usize = 100;

/// The characters shown before and after the span in such a part.
const CONTEXT: usize = 40;

/// The part of the line `line_start..line_end` to show for the span `start..end` (on that
/// line): all of it when it is short, else from [`CONTEXT`] characters before the span to
/// as many after it, with at most [`LONGEST_SHOWN`] characters in all.
fn shown_part(
    source: &str,
    line_start: usize,
    line_end: usize,
    start: usize,
    end: usize,
) -> (usize, usize) {
    let line = &source[line_start..line_end];
    if line.chars().nth(LONGEST_SHOWN).is_none() {
        return (line_start, line_end);
    }
    let from = source[line_start..start]
        .char_indices()
        .rev()
        .nth(CONTEXT - 1)
        .map_or(line_start, |(i, _)| line_start + i);
    let room = LONGEST_SHOWN - source[from..start].chars().count();
    let span_chars = source[start..end].chars().count();
    let to_chars = (span_chars + CONTEXT).min(room);
    let to = source[start..line_end]
        .char_indices()
        .nth(to_chars)
        .map_or(line_end, |(i, _)| start + i);
    (from, to)
}

/// The terminal columns `c` takes as the rendering shows it: 2 for wide (East Asian)
/// characters, 0 for combining marks, 1 for the picture of a control character.
fn columns(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(visible(c)).unwrap_or(0)
}

/// `c` as the rendering shows it: a control character (C0, DEL, C1) as its picture from the
/// Control Pictures block (C1, which has none, as `�`), a bidirectional override or isolate
/// as `�` (they would reorder the line on screen), a tab as itself, anything else as is.
fn visible(c: char) -> char {
    match c {
        '\t' => c,
        '\0'..='\x1f' => {
            char::from_u32(0x2400 + u32::from(c)).unwrap_or(char::REPLACEMENT_CHARACTER)
        }
        '\x7f' => '\u{2421}',
        '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
            char::REPLACEMENT_CHARACTER
        }
        _ => c,
    }
}

/// What goes under `c` on the caret line so the caret lines up with the source line: a tab
/// under a tab (whatever the tab stops), else as many spaces as `c` is wide.
fn blank_as_wide_as(c: char) -> String {
    if c == '\t' {
        "\t".into()
    } else {
        " ".repeat(columns(c))
    }
}

/// `no arguments`, `1 argument (x)`, `3 arguments (a, b, c)`: what an expression with these
/// argument names takes, for messages about argument counts; the names are left out past
/// eight (an expression of 5 000 variables made a message of 130 KB).
///
/// ```
/// use jit_compiler::error::takes;
/// assert_eq!(takes(&[]), "no arguments");
/// assert_eq!(takes(&["x".to_string()]), "1 argument (x)");
/// let many: Vec<String> = (0..10).map(|i| format!("x{i}")).collect();
/// assert_eq!(takes(&many), "10 arguments (x0, x1, x2, x3, x4, x5, x6, x7, ...)");
/// ```
pub fn takes(names: &[String]) -> String {
    let list = name_list(names);
    match names.len() {
        0 => "no arguments".to_owned(),
        1 => format!("1 argument ({list})"),
        n => format!("{n} arguments ({list})"),
    }
}

/// At most eight names, each [`shortened`](short_name), joined by commas (`a, b, ...` past
/// eight).
///
/// ```
/// use jit_compiler::error::name_list;
/// assert_eq!(name_list(&["a", "b"]), "a, b");
/// let many: Vec<String> = (0..10).map(|i| format!("x{i}")).collect();
/// assert_eq!(name_list(&many), "x0, x1, x2, x3, x4, x5, x6, x7, ...");
/// ```
pub fn name_list<S: AsRef<str>>(names: &[S]) -> String {
    const SHOWN: usize = 8;
    let mut list = String::new();
    for (i, name) in names.iter().take(SHOWN).enumerate() {
        if i > 0 {
            list.push_str(", ");
        }
        list.push_str(&short_name(name.as_ref()));
    }
    if names.len() > SHOWN {
        list.push_str(", ...");
    }
    list
}

/// A name as messages show it: whole up to 32 characters, else its first 24 characters and
/// `…`. The span of the error still covers the whole name; only the message is kept short
/// (an unknown name of a megabyte made a message of a megabyte).
///
/// ```
/// use jit_compiler::error::short_name;
/// assert_eq!(short_name("x"), "x");
/// assert_eq!(short_name(&"v".repeat(40)), format!("{}…", "v".repeat(24)));
/// ```
pub fn short_name(name: &str) -> Cow<'_, str> {
    const WHOLE: usize = 32;
    const SHOWN: usize = 24;
    if name.char_indices().nth(WHOLE).is_none() {
        return Cow::Borrowed(name);
    }
    let cut = name
        .char_indices()
        .nth(SHOWN)
        .map_or(name.len(), |(i, _)| i);
    Cow::Owned(format!("{}…", &name[..cut]))
}

/// A name (or any token's text) as messages quote it: [`short_name`] in backticks, followed
/// by its length when it was shortened (`` `aaaaaaaaaaaaaaaaaaaaaaaa…` (40 bytes) ``).
///
/// ```
/// use jit_compiler::error::quoted;
/// assert_eq!(quoted("x"), "`x`");
/// assert_eq!(quoted(&"v".repeat(40)), format!("`{}…` (40 bytes)", "v".repeat(24)));
/// ```
pub fn quoted(name: &str) -> String {
    match short_name(name) {
        Cow::Borrowed(whole) => format!("`{whole}`"),
        Cow::Owned(cut) => format!("`{cut}` ({} bytes)", name.len()),
    }
}

/// `1 was given`, `2 were given`: the end of the messages about argument counts.
pub(crate) fn given(n: usize) -> String {
    format!("{n} {} given", if n == 1 { "was" } else { "were" })
}

fn clamp_to_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    // terminates at 0 at the latest, which is always a char boundary (no underflow)
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Span { start, end } = self.inner.span;
        if start == 0 && end == 0 {
            write!(f, "{}", self.inner.message)
        } else {
            write!(f, "{} (at bytes {start}..{end})", self.inner.message)
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("span", &self.span())
            .field("message", &self.inner.message)
            .finish()
    }
}

impl std::error::Error for Error {}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_as_pictures() {
        // ESC would start a terminal escape sequence, CR would move to the line's start
        let src = "1\u{1b}[2J+\r2";
        let err = crate::parse(src).unwrap_err();
        let text = err.render(src);
        assert!(
            text.contains("1 | 1\u{241b}[2J+\u{240d}2\n  |  ^\n"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text}");
        // a caret after them still lines up, and a tab stays a tab
        let src = "\x7f\u{85}\u{202e}\t$";
        let err = Error::new(ErrorKind::UnexpectedCharacter, Span::new(7, 8), "m");
        assert_eq!(
            err.render(src),
            "error: m\n  |\n1 | \u{2421}\u{fffd}\u{fffd}\t$\n  |    \t^\n"
        );
    }

    #[test]
    fn lines_can_be_numbered_from_elsewhere() {
        let src = "a +\n  b $ c";
        let err = Error::new(ErrorKind::UnexpectedCharacter, Span::new(8, 9), "m");
        assert_eq!(
            err.render_from_line(src, 9),
            "error: m\n   |\n10 |   b $ c\n   |     ^\n"
        );
        assert_eq!(err.render_from_line(src, 1), err.render(src));
        assert!(
            err.render_from_line(src, usize::MAX)
                .contains(&format!("{} |", usize::MAX))
        );
    }

    #[test]
    fn long_names_are_shortened_in_messages() {
        assert_eq!(quoted("x"), "`x`");
        let at_most = "n".repeat(32);
        assert_eq!(quoted(&at_most), format!("`{at_most}`"));
        let long = "n".repeat(33);
        assert_eq!(quoted(&long), format!("`{}…` (33 bytes)", "n".repeat(24)));
        // cut at a character, not a byte
        let wide = "θ".repeat(40);
        assert_eq!(short_name(&wide), format!("{}…", "θ".repeat(24)));
        let names: Vec<String> = (0..9).map(|i| format!("{i}{long}")).collect();
        assert_eq!(name_list(&names).matches('…').count(), 8);
        assert!(name_list(&names).ends_with(", ..."));
    }

    #[test]
    fn a_megabyte_name_makes_a_short_message() {
        let name = "v".repeat(1 << 20);
        for src in [format!("{name}(x)"), format!("1 + {name}")] {
            let err = crate::parse_with_args(&src, &["x"]).unwrap_err();
            assert!(err.message().len() < 200, "{}", err.message());
            assert_eq!(
                err.span(),
                src.find('v').unwrap()..src.find('v').unwrap() + name.len()
            );
        }
    }

    #[test]
    fn render_points_at_the_span_on_its_line() {
        let src = "a +\n  b $ c";
        let err = Error::new(
            ErrorKind::UnexpectedCharacter,
            Span::new(8, 9),
            "unexpected `$`",
        );
        assert_eq!(
            err.render(src),
            "error: unexpected `$`\n  |\n2 |   b $ c\n  |     ^\n"
        );
    }

    #[test]
    fn render_counts_columns_in_characters() {
        let src = "√θ + ?";
        let at = src.find('?').unwrap();
        let err = Error::new(ErrorKind::UnexpectedCharacter, Span::new(at, at + 1), "bad");
        assert!(
            err.render(src).ends_with("\n  |      ^\n"),
            "{}",
            err.render(src)
        );
    }

    #[test]
    fn render_lines_up_under_tabs_and_wide_characters() {
        let caret_line = |src: &str, at: usize| {
            let err = Error::new(ErrorKind::UnexpectedToken, Span::new(at, at + 1), "bad");
            err.render(src).lines().last().unwrap().to_string()
        };
        // a tab under the tab, whatever the terminal's tab stops
        assert_eq!(caret_line("x\t+ )", 4), "  | \u{20}\t  ^");
        // `中` takes two columns, the combining accent of `é` none
        assert_eq!(caret_line("中 + )", 6), format!("  | {}^", " ".repeat(5)));
        assert_eq!(
            caret_line("e\u{301} + )", 6),
            format!("  | {}^", " ".repeat(4))
        );
        // a span over a wide character gets two carets
        let err = Error::new(ErrorKind::UnexpectedCharacter, Span::new(4, 7), "bad");
        assert!(err.render("x + 中").ends_with("  |     ^^\n"));
        // a line ended by CRLF is shown without its carriage return
        let err = Error::new(ErrorKind::UnexpectedToken, Span::new(2, 3), "bad");
        assert_eq!(
            err.render("x ) \r\n+ 1"),
            "error: bad\n  |\n1 | x ) \n  |   ^\n"
        );
    }

    #[test]
    fn render_shows_a_part_of_a_long_line_around_the_span() {
        let lines = |src: &str, span: Span| {
            let err = Error::new(ErrorKind::UnexpectedCharacter, span, "bad");
            let text = err.render(src);
            let lines: Vec<String> = text.lines().skip(2).map(str::to_owned).collect();
            assert_eq!(lines.len(), 2, "{text}");
            (lines[0].clone(), lines[1].clone())
        };
        // in the middle of 20 000 characters: 40 before, the span, 40 after
        let src = format!("{}$${}", "x+".repeat(5_000), "+y".repeat(5_000));
        let (line, carets) = lines(&src, Span::new(10_000, 10_002));
        assert_eq!(
            line,
            format!("1 | …{}$${}…", "x+".repeat(20), "+y".repeat(20))
        );
        assert_eq!(carets, format!("  |  {}^^", " ".repeat(40)));
        // near the start: no ellipsis before; a long span is cut at 100 characters in all
        let (line, carets) = lines(&src, Span::new(3, 10_002));
        assert_eq!(line, format!("1 | {}…", &src[..100]));
        assert_eq!(carets, format!("  |    {}", "^".repeat(97)));
        // at the end of a long line, with wide characters before: 40 characters before
        let src = format!("{}中中+", "1+".repeat(100));
        let (line, carets) = lines(&src, Span::empty(src.len()));
        assert_eq!(line, format!("1 | …+{}中中+", "1+".repeat(18)));
        assert_eq!(carets, format!("  |  {}^", " ".repeat(37 + 4 + 1)));
        // a line of exactly 100 characters is shown whole
        let src = "y".repeat(99) + "$";
        assert_eq!(lines(&src, Span::new(99, 100)).0, format!("1 | {src}"));
    }

    #[test]
    fn render_survives_spans_outside_the_source() {
        let err = Error::new(ErrorKind::UnexpectedEnd, Span::new(40, 50), "late");
        assert!(err.render("1+").contains("1 | 1+\n  |   ^"));
        let err = Error::new(ErrorKind::UnexpectedEnd, Span::new(1, 2), "mid-char");
        assert!(err.render("√").contains("^"));
    }

    #[test]
    fn error_is_small_send_sync_and_an_std_error() {
        fn assert_traits<T: std::error::Error + Send + Sync + 'static>() {}
        assert_traits::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
        let err = Error::new(ErrorKind::WrongArity, Span::new(2, 5), "wrong");
        assert_eq!(err.to_string(), "wrong (at bytes 2..5)");
        assert_eq!(err.span(), 2..5);
    }
}
