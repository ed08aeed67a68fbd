//! Lexer: source text → tokens, each with its byte span. Tokens are produced on demand, so
//! lexing allocates nothing.

use crate::error::{Error, ErrorKind, Result, Span};

/// What a token is. Names carry no text: slice the source with the token's span.
///
/// ```
/// use jit_compiler::lexer::{Lexer, TokenKind};
/// let src = "θ ** 2";
/// let mut lexer = Lexer::new(src);
/// let name = lexer.next_token().unwrap();
/// assert_eq!((name.kind, &src[name.span.range()]), (TokenKind::Name, "θ"));
/// assert_eq!(lexer.next_token().unwrap().kind, TokenKind::Caret); // `**` is `^`
/// assert_eq!(lexer.next_token().unwrap().kind, TokenKind::Num(2.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TokenKind {
    /// A number literal, already converted (correctly rounded) to `f64`.
    Num(f64),
    /// An identifier.
    Name,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// `^` or `**`
    Caret,
    /// `√`
    Root,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    EqEq,
    /// `!=`
    Ne,
    /// The end of the source.
    End,
}

impl TokenKind {
    /// How many kinds there are (see [`TokenKind::index`]).
    pub(crate) const COUNT: usize = 19;

    /// The kind's position in the declaration, from 0: an index for tables by kind.
    pub(crate) const fn index(self) -> usize {
        match self {
            TokenKind::Num(_) => 0,
            TokenKind::Name => 1,
            TokenKind::Plus => 2,
            TokenKind::Minus => 3,
            TokenKind::Star => 4,
            TokenKind::Slash => 5,
            TokenKind::Percent => 6,
            TokenKind::Caret => 7,
            TokenKind::Root => 8,
            TokenKind::LParen => 9,
            TokenKind::RParen => 10,
            TokenKind::Comma => 11,
            TokenKind::Lt => 12,
            TokenKind::Le => 13,
            TokenKind::Gt => 14,
            TokenKind::Ge => 15,
            TokenKind::EqEq => 16,
            TokenKind::Ne => 17,
            TokenKind::End => 18,
        }
    }
}

/// A token and where it is.
///
/// ```
/// use jit_compiler::lexer::{Lexer, Token, TokenKind};
/// use jit_compiler::Span;
/// let mut lexer = Lexer::new("  <= 1");
/// assert_eq!(lexer.next_token().unwrap(), Token { kind: TokenKind::Le, span: Span::new(2, 4) });
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Token {
    /// What it is.
    pub kind: TokenKind,
    /// Where it is.
    pub span: Span,
}

/// Splits a source into tokens, one call of [`Lexer::next_token`] at a time.
///
/// ```
/// use jit_compiler::lexer::{Lexer, TokenKind};
/// let mut lexer = Lexer::new("2*x");
/// assert_eq!(lexer.next_token().unwrap().kind, TokenKind::Num(2.0));
/// assert_eq!(lexer.next_token().unwrap().kind, TokenKind::Star);
/// assert_eq!(lexer.next_token().unwrap().kind, TokenKind::Name);
/// assert_eq!(lexer.next_token().unwrap().kind, TokenKind::End);
/// ```
pub struct Lexer<'s> {
    src: &'s str,
    pos: usize,
}

impl<'s> Lexer<'s> {
    /// A lexer at the start of `src`.
    ///
    /// ```
    /// use jit_compiler::lexer::{Lexer, TokenKind};
    /// assert_eq!(Lexer::new("").next_token().unwrap().kind, TokenKind::End);
    /// assert_eq!(Lexer::new("1.5e3").next_token().unwrap().kind, TokenKind::Num(1500.0));
    /// ```
    pub fn new(src: &'s str) -> Lexer<'s> {
        Lexer { src, pos: 0 }
    }

    /// The source being lexed.
    ///
    /// ```
    /// use jit_compiler::lexer::Lexer;
    /// let mut lexer = Lexer::new("x + 1");
    /// lexer.next_token().unwrap();
    /// assert_eq!(lexer.source(), "x + 1"); // all of it, wherever the lexer is
    /// ```
    pub fn source(&self) -> &'s str {
        self.src
    }

    /// The next token, skipping whitespace. After the end, keeps returning `End`.
    ///
    /// Works on bytes: every token but `√` and non-ASCII names starts with an ASCII byte,
    /// and non-ASCII text is decoded only where it occurs.
    ///
    /// ```
    /// use jit_compiler::lexer::{Lexer, TokenKind};
    /// use jit_compiler::ErrorKind;
    /// let mut lexer = Lexer::new("√x");
    /// assert_eq!(lexer.next_token().unwrap().kind, TokenKind::Root);
    /// assert_eq!(lexer.next_token().unwrap().kind, TokenKind::Name);
    /// assert_eq!(lexer.next_token().unwrap().kind, TokenKind::End);
    /// assert_eq!(lexer.next_token().unwrap().kind, TokenKind::End); // and again
    /// let mut lexer = Lexer::new("x $");
    /// assert_eq!(lexer.next_token().unwrap().kind, TokenKind::Name);
    /// assert_eq!(lexer.next_token().unwrap_err().kind(), ErrorKind::UnexpectedCharacter);
    /// ```
    #[inline(always)] // (the parser reads tokens in one place)
    pub fn next_token(&mut self) -> Result<Token> {
        let bytes = self.src.as_bytes();
        // ASCII whitespace here; other whitespace (e.g. U+00A0) by `non_ascii`. (Every byte
        // that starts a token is above the space: one comparison ends the loop.)
        let mut start = self.pos;
        while let Some(&b) = bytes.get(start)
            && b <= b' '
            && matches!(b, b' ' | b'\t'..=b'\r')
        {
            start += 1;
        }
        self.pos = start;
        let Some(&b) = bytes.get(start) else {
            return Ok(Token {
                kind: TokenKind::End,
                span: Span::empty(start),
            });
        };
        let kind = match START[usize::from(b)] {
            Start::Number => {
                let next = bytes.get(start + 1);
                // a lone digit, the commonest number of all (`2*x`, `x^3`), without a call
                if b != b'.' && !matches!(next, Some(b'0'..=b'9' | b'.' | b'e' | b'E')) {
                    self.pos += 1;
                    TokenKind::Num(f64::from(b - b'0'))
                } else {
                    match self.short_number() {
                        Some(value) => TokenKind::Num(value),
                        None => return self.long_number(),
                    }
                }
            }
            Start::Name => {
                self.pos += 1;
                self.name_rest();
                TokenKind::Name
            }
            Start::Plus => self.single(TokenKind::Plus),
            Start::Minus => self.single(TokenKind::Minus),
            Start::Slash => self.single(TokenKind::Slash),
            Start::Percent => self.single(TokenKind::Percent),
            Start::Caret => self.single(TokenKind::Caret),
            Start::LParen => self.single(TokenKind::LParen),
            Start::RParen => self.single(TokenKind::RParen),
            Start::Comma => self.single(TokenKind::Comma),
            Start::Star => self.one_or_two(TokenKind::Star, b'*', TokenKind::Caret),
            Start::Lt => self.one_or_two(TokenKind::Lt, b'=', TokenKind::Le),
            Start::Gt => self.one_or_two(TokenKind::Gt, b'=', TokenKind::Ge),
            Start::Equality => return self.equality(b),
            Start::NonAscii => return self.non_ascii(),
            Start::Nothing => return Err(unexpected(start, char::from(b))),
        };
        Ok(Token {
            kind,
            span: Span::new(start, self.pos),
        })
    }

    /// The token at a non-ASCII character: after Unicode whitespace, the next token;
    /// else `√` or a name such as `θ`. (Out of line: rare, and it keeps the decoding out of
    /// [`Lexer::next_token`].)
    #[cold]
    #[inline(never)]
    fn non_ascii(&mut self) -> Result<Token> {
        let start = self.pos;
        self.skip_whitespace();
        if self.pos > start {
            return self.next_token();
        }
        let Some(c) = self.peek_char() else {
            // cannot happen: there is a byte at `pos`, a char boundary (see `peek_char`)
            return Err(unexpected(start, char::REPLACEMENT_CHARACTER));
        };
        self.bump(c);
        let kind = if c == '√' {
            TokenKind::Root
        } else if is_name_start(c) {
            self.name_rest();
            TokenKind::Name
        } else {
            return Err(unexpected(start, c));
        };
        Ok(Token {
            kind,
            span: Span::new(start, self.pos),
        })
    }

    /// The rest of a name: ASCII letters, digits and `_` byte by byte; other characters
    /// by [`Lexer::name_rest_unicode`].
    #[inline(always)]
    fn name_rest(&mut self) {
        let bytes = self.src.as_bytes();
        let mut end = self.pos;
        while bytes.get(end).is_some_and(|&b| NAME_BYTES[usize::from(b)]) {
            end += 1;
        }
        self.pos = end;
        if bytes.get(end).is_some_and(|b| !b.is_ascii()) {
            self.name_rest_unicode();
        }
    }

    /// The rest of a name from a non-ASCII character on: characters decoded and checked
    /// (Unicode XID_Continue), ASCII ones as in [`Lexer::name_rest`].
    #[cold]
    #[inline(never)]
    fn name_rest_unicode(&mut self) {
        loop {
            match self.src.as_bytes().get(self.pos) {
                Some(&b) if NAME_BYTES[usize::from(b)] => self.pos += 1,
                Some(0x80..) => match self.peek_char().filter(|&c| is_name_continue(c)) {
                    Some(c) => self.bump(c),
                    None => return,
                },
                _ => return,
            }
        }
    }

    fn peek_char(&self) -> Option<char> {
        // ASCII (nearly every byte of an expression) without decoding UTF-8
        let b = *self.src.as_bytes().get(self.pos)?;
        if b.is_ascii() {
            return Some(char::from(b));
        }
        // `pos` only moves by whole characters (`bump`) or over ASCII bytes, so it is a
        // char boundary; `get` would return `None` otherwise, ending the input.
        self.src.get(self.pos..)?.chars().next()
    }

    fn peek_byte_at(&self, i: usize) -> Option<u8> {
        self.src.as_bytes().get(i).copied()
    }

    fn bump(&mut self, c: char) {
        self.pos += c.len_utf8();
    }

    /// Skips ASCII whitespace byte by byte, and Unicode whitespace (e.g. U+00A0) decoded.
    fn skip_whitespace(&mut self) {
        loop {
            match self.src.as_bytes().get(self.pos) {
                // what `char::is_whitespace` accepts in ASCII: space, \t \n \x0B \x0C \r
                Some(b' ' | b'\t'..=b'\r') => self.pos += 1,
                Some(0x80..) => match self.peek_char().filter(|c| c.is_whitespace()) {
                    Some(c) => self.bump(c),
                    None => return,
                },
                _ => return,
            }
        }
    }

    /// A one-byte token.
    fn single(&mut self, kind: TokenKind) -> TokenKind {
        self.pos += 1;
        kind
    }

    /// The byte at `pos` alone is `one`; followed by `second` it is `two`.
    fn one_or_two(&mut self, one: TokenKind, second: u8, two: TokenKind) -> TokenKind {
        self.pos += 1;
        if self.peek_byte_at(self.pos) == Some(second) {
            self.pos += 1;
            two
        } else {
            one
        }
    }

    /// `==` and `!=`; a lone `=` or `!` gets a message that names the right operator.
    /// (Out of line: most formulas have no comparison.)
    #[inline(never)]
    fn equality(&mut self, c: u8) -> Result<Token> {
        let start = self.pos;
        self.pos += 1;
        if self.peek_byte_at(self.pos) == Some(b'=') {
            self.pos += 1;
            let kind = if c == b'=' {
                TokenKind::EqEq
            } else {
                TokenKind::Ne
            };
            return Ok(Token {
                kind,
                span: Span::new(start, self.pos),
            });
        }
        let hint = if c == b'=' {
            "unexpected `=`: equality is written `==`"
        } else {
            "unexpected `!`: inequality is written `!=`"
        };
        Err(Error::new(
            ErrorKind::UnexpectedCharacter,
            Span::new(start, self.pos),
            hint,
        ))
    }

    /// The value of the number at `pos` (`12`, `1.5`, `.5`, `5.`) if it is a plain decimal
    /// of at most 15 digits, as nearly every number of a formula is, converted by
    /// [`short_decimal`] and read to its end; else `None`, with `pos` left at its start for
    /// [`Lexer::long_number`]. (Out of line: its registers would cost every other token of
    /// [`Lexer::next_token`] saving and restoring them. The value comes back in a register
    /// and the caller makes the token, as for the other tokens: a whole token written to
    /// memory and read back cost about 15 instructions a number.)
    #[inline(never)]
    fn short_number(&mut self) -> Option<f64> {
        let start = self.pos;
        // the digits before and after the point as one integer (exact while there are at
        // most 15 of them, which is when it is used)
        let mut mantissa = 0;
        let int_digits = self.digits(&mut mantissa);
        let mut frac_digits = 0;
        if self.peek_byte_at(self.pos) == Some(b'.') {
            self.pos += 1;
            frac_digits = self.digits(&mut mantissa);
        }
        let digits = int_digits + frac_digits;
        let ends_here = !matches!(self.peek_byte_at(self.pos), Some(b'e' | b'E' | b'.'));
        if ends_here && (1..=15).contains(&digits) {
            return Some(short_decimal(mantissa, frac_digits));
        }
        self.pos = start;
        None
    }

    /// A number that is not a short plain decimal (`1e10`, `2.5E-3`, 16 digits or more), or
    /// not a number (`.`, `1.2.3`): checked, then converted by the standard library's
    /// correctly rounded `f64` parser. (Out of line: rare.)
    #[cold]
    #[inline(never)]
    fn long_number(&mut self) -> Result<Token> {
        let start = self.pos;
        let mut digits = self.digits(&mut 0);
        if self.peek_byte_at(self.pos) == Some(b'.') {
            self.pos += 1;
            digits += self.digits(&mut 0);
        }
        if digits == 0 {
            return Err(Error::new(
                ErrorKind::InvalidNumber,
                Span::new(start, self.pos),
                "a number needs at least one digit",
            ));
        }
        let exponent = matches!(self.peek_byte_at(self.pos), Some(b'e' | b'E'));
        if exponent {
            let sign = matches!(self.peek_byte_at(self.pos + 1), Some(b'+' | b'-'));
            let first_digit = self.pos + 1 + usize::from(sign);
            if !self
                .peek_byte_at(first_digit)
                .is_some_and(|b| b.is_ascii_digit())
            {
                return Err(Error::new(
                    ErrorKind::InvalidNumber,
                    Span::new(start, first_digit.min(self.src.len())),
                    "the exponent of a number needs digits, as in `1e10` or `2.5e-3`",
                ));
            }
            self.pos = first_digit;
            self.digits(&mut 0);
        }
        if self.peek_byte_at(self.pos) == Some(b'.') {
            return Err(Error::new(
                ErrorKind::InvalidNumber,
                Span::new(start, self.pos + 1),
                "a number has at most one decimal point, before any exponent",
            ));
        }
        let span = Span::new(start, self.pos);
        // cannot fail: `start` and `pos` are char boundaries (see `peek_char`).
        let text = &self.src[start..self.pos];
        match text.parse::<f64>() {
            Ok(value) => Ok(Token {
                kind: TokenKind::Num(value),
                span,
            }),
            // The text matches the grammar above, which the standard parser accepts; keep an
            // error path rather than a panic all the same.
            Err(_) => Err(Error::new(
                ErrorKind::InvalidNumber,
                span,
                format!("invalid number `{text}`"),
            )),
        }
    }

    /// Skips decimal digits and returns how many; appends them to `value` (wrapping: only
    /// meaningful for up to 19 digits in all).
    fn digits(&mut self, value: &mut u64) -> usize {
        let bytes = self.src.as_bytes();
        let start = self.pos;
        let mut end = start;
        while let Some(&d @ b'0'..=b'9') = bytes.get(end) {
            *value = value.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            end += 1;
        }
        self.pos = end;
        end - start
    }
}

/// What a token that starts with a byte is, as far as that byte tells (see [`START`]).
#[derive(Clone, Copy)]
enum Start {
    /// A digit or `.`.
    Number,
    /// An ASCII letter or `_`.
    Name,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Caret,
    LParen,
    RParen,
    Comma,
    Lt,
    Gt,
    /// `=` or `!`, of `==` or `!=`.
    Equality,
    /// The first byte of a non-ASCII character.
    NonAscii,
    /// No token starts with this byte.
    Nothing,
}

/// What each byte starts: one load and one jump to the token's code, where the ranges of
/// bytes took up to three tests first (about ten instructions before a name's code).
static START: [Start; 256] = {
    let mut table = [Start::Nothing; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = match b as u8 {
            b'0'..=b'9' | b'.' => Start::Number,
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => Start::Name,
            b'+' => Start::Plus,
            b'-' => Start::Minus,
            b'*' => Start::Star,
            b'/' => Start::Slash,
            b'%' => Start::Percent,
            b'^' => Start::Caret,
            b'(' => Start::LParen,
            b')' => Start::RParen,
            b',' => Start::Comma,
            b'<' => Start::Lt,
            b'>' => Start::Gt,
            b'=' | b'!' => Start::Equality,
            0x80.. => Start::NonAscii,
            _ => Start::Nothing,
        };
        b += 1;
    }
    table
};

/// The ASCII bytes that continue a name (letters, digits, `_`), by byte: one load to test
/// one, where the ranges took several comparisons.
static NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric() || b == b'_' as usize;
        b += 1;
    }
    table
};

/// The error for a character no token starts with; for the typographic operators of text
/// pasted from documents (`≤`, `×`, `−`, `²`, ...), it names what to write instead.
#[cold]
fn unexpected(at: usize, c: char) -> Error {
    let instead = match c {
        '≤' => "<=",
        '≥' => ">=",
        '≠' => "!=",
        '×' | '·' | '\u{387}' | '⋅' | '∗' | '・' | '･' => "*",
        '÷' | '∕' => "/",
        '−' | '–' | '—' => "-",
        '⁰' => "^0",
        '¹' => "^1",
        '²' => "^2",
        '³' => "^3",
        '⁴' => "^4",
        '⁵' => "^5",
        '⁶' => "^6",
        '⁷' => "^7",
        '⁸' => "^8",
        '⁹' => "^9",
        _ => "",
    };
    // printable ASCII as it is (`"`, `\`), other characters escaped where invisible
    let shown = if c.is_ascii_graphic() {
        c.to_string()
    } else {
        c.escape_debug().to_string()
    };
    let mut message = format!("unexpected character `{shown}`");
    if !instead.is_empty() {
        message.push_str(&format!(": write `{instead}`"));
    }
    Error::new(
        ErrorKind::UnexpectedCharacter,
        Span::new(at, at + c.len_utf8()),
        message,
    )
}

/// The value of a plain decimal (`digits[.digits]`, no exponent) of at most 15 digits,
/// `mantissa` being its digits as an integer and `frac_digits` how many follow the point.
/// Exact: the mantissa is below 10^15 < 2^53, and so is 10^`frac_digits`, so both are exact
/// doubles and their quotient is rounded once, correctly (Clinger's fast path) — the same
/// value as the standard parser's, which costs several times more.
fn short_decimal(mantissa: u64, frac_digits: usize) -> f64 {
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    // cannot fail: the caller has at most 15 digits in all, so `frac_digits <= 15`
    // (converted as a signed integer, which it fits: one instruction, where an unsigned
    // one takes several)
    mantissa as i64 as f64 / POW10[frac_digits.min(15)]
}

/// Can `c` start a name? ASCII letters, `_`, and Unicode XID_Start letters such as `θ`.
///
/// ```
/// use jit_compiler::lexer::is_name_start;
/// assert!(is_name_start('_') && is_name_start('θ'));
/// assert!(!is_name_start('1'));
/// ```
pub fn is_name_start(c: char) -> bool {
    c == '_' || unicode_ident::is_xid_start(c)
}

/// Can `c` continue a name? Also digits and Unicode XID_Continue characters, but for the
/// middle dots (`a·b` is a product, not a name: the lexer then says to write `*`) and the
/// invisible joiners U+200C and U+200D (`x` joined to `y` would look like `xy` and be
/// another variable).
///
/// ```
/// use jit_compiler::lexer::is_name_continue;
/// assert!(is_name_continue('1') && is_name_continue('_'));
/// assert!(!is_name_continue('·')); // `a·b` is a product
/// assert!(!is_name_continue('\u{200D}'));
/// ```
pub fn is_name_continue(c: char) -> bool {
    const NOT_IN_NAMES: [char; 6] = [
        '\u{B7}',   // · middle dot
        '\u{387}',  // · Greek ano teleia
        '\u{30FB}', // ・ katakana middle dot
        '\u{FF65}', // ･ halfwidth katakana middle dot
        '\u{200C}', // zero-width non-joiner
        '\u{200D}', // zero-width joiner
    ];
    unicode_ident::is_xid_continue(c) && !NOT_IN_NAMES.contains(&c)
}

/// Is `name` a whole identifier of the language?
///
/// ```
/// use jit_compiler::lexer::is_identifier;
/// assert!(is_identifier("x1") && is_identifier("θ_max"));
/// assert!(!is_identifier("1x") && !is_identifier("") && !is_identifier("a b"));
/// ```
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_continue)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<TokenKind> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token().unwrap();
            if token.kind == TokenKind::End {
                return out;
            }
            out.push(token.kind);
        }
    }

    fn lex_err(src: &str) -> Error {
        let mut lexer = Lexer::new(src);
        loop {
            match lexer.next_token() {
                Err(e) => return e,
                Ok(t) if t.kind == TokenKind::End => panic!("{src:?} lexed without error"),
                Ok(_) => {}
            }
        }
    }

    #[test]
    fn name_bytes_are_ascii_letters_digits_and_underscore() {
        for b in 0..=255u8 {
            let want = matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_');
            assert_eq!(NAME_BYTES[usize::from(b)], want, "{b:#x}");
        }
    }

    /// Every kind of token, one of each, as the lexer reads them (that they are all the
    /// kinds, `each_kind_has_its_own_index` checks).
    pub(crate) fn all_kinds() -> Vec<TokenKind> {
        let mut all = kinds("1 x + - * / % ^ √ ( ) , < <= > >= == !=");
        all.push(TokenKind::End);
        all
    }

    #[test]
    fn each_kind_has_its_own_index() {
        let all = all_kinds();
        assert_eq!(all.len(), TokenKind::COUNT);
        let mut seen = [false; TokenKind::COUNT];
        for kind in all {
            assert!(
                !std::mem::replace(&mut seen[kind.index()], true),
                "{kind:?}"
            );
        }
    }

    /// Every ASCII byte alone: what [`START`] says it starts, checked against the grammar.
    #[test]
    fn each_ascii_byte_starts_its_token() {
        use TokenKind::*;
        for b in 0..0x80u8 {
            let src = char::from(b).to_string();
            let got = Lexer::new(&src).next_token().map(|t| t.kind);
            let want = match b {
                b' ' | b'\t'..=b'\r' => Ok(End),
                b'0'..=b'9' => Ok(Num(f64::from(b - b'0'))),
                b'.' => Err(ErrorKind::InvalidNumber),
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => Ok(Name),
                b'+' => Ok(Plus),
                b'-' => Ok(Minus),
                b'*' => Ok(Star),
                b'/' => Ok(Slash),
                b'%' => Ok(Percent),
                b'^' => Ok(Caret),
                b'(' => Ok(LParen),
                b')' => Ok(RParen),
                b',' => Ok(Comma),
                b'<' => Ok(Lt),
                b'>' => Ok(Gt),
                _ => Err(ErrorKind::UnexpectedCharacter),
            };
            assert_eq!(got.map_err(|e| e.kind()), want, "{b:#x}");
        }
    }

    #[test]
    fn number_forms() {
        use TokenKind::Num;
        assert_eq!(kinds("12"), [Num(12.0)]);
        assert_eq!(kinds("1.5"), [Num(1.5)]);
        assert_eq!(kinds(".5"), [Num(0.5)]);
        assert_eq!(kinds("5."), [Num(5.0)]);
        assert_eq!(kinds("1e10"), [Num(1e10)]);
        assert_eq!(kinds("2.5E-3"), [Num(2.5e-3)]);
        assert_eq!(kinds("1e+2"), [Num(100.0)]);
        assert_eq!(kinds("007"), [Num(7.0)]);
    }

    #[test]
    fn lone_digits_and_what_may_follow_them() {
        use TokenKind::*;
        assert_eq!(kinds("0"), [Num(0.0)]);
        assert_eq!(kinds("7)"), [Num(7.0), RParen]);
        assert_eq!(kinds("2*x"), [Num(2.0), Star, Name]);
        assert_eq!(kinds("9x"), [Num(9.0), Name]);
        assert_eq!(kinds("7e1"), [Num(70.0)]);
        assert_eq!(kinds("7E1"), [Num(70.0)]);
        assert_eq!(kinds("7."), [Num(7.0)]);
        assert_eq!(kinds("7.5"), [Num(7.5)]);
        assert_eq!(kinds("75"), [Num(75.0)]);
        assert_eq!(lex_err("7.5.").kind(), ErrorKind::InvalidNumber);
        let mut lexer = Lexer::new(" 3 ");
        let three = lexer.next_token().unwrap();
        assert_eq!((three.kind, three.span.range()), (Num(3.0), 1..2));
    }

    proptest::proptest! {
        /// The fast path for short decimals gives exactly the standard parser's value.
        #[test]
        fn short_decimals_match_the_standard_parser(m in 0u64..1_000_000_000_000_000, frac in 0usize..16, dot_last in proptest::bool::ANY) {
            let digits = format!("{m}");
            let text = if frac == 0 {
                if dot_last { format!("{digits}.") } else { digits }
            } else {
                let padded = format!("{digits:0>frac$}");
                let (int, fraction) = padded.split_at(padded.len() - frac);
                format!("{int}.{fraction}")
            };
            let want: f64 = text.parse().unwrap();
            proptest::prop_assert_eq!(kinds(&text)[0], TokenKind::Num(want), "{}", text);
        }
    }

    #[test]
    fn numbers_are_correctly_rounded() {
        use TokenKind::Num;
        assert_eq!(kinds("5e-324"), [Num(f64::from_bits(1))]);
        assert_eq!(kinds("1e400"), [Num(f64::INFINITY)]);
        assert_eq!(kinds("1e-400"), [Num(0.0)]);
        assert_eq!(kinds("0.1"), [Num(0.1)]);
        // Halfway between two doubles: rounds to even.
        assert_eq!(kinds("9007199254740993"), [Num(9007199254740992.0)]);
        assert_eq!(kinds("9007199254741195"), [Num(9007199254741196.0)]);
        let long = format!("0.{}1", "0".repeat(400));
        assert_eq!(kinds(&long), [Num(0.0)]);
    }

    #[test]
    fn operators_and_spans() {
        let mut lexer = Lexer::new(" a ** √b<=c!=d");
        let mut spans = Vec::new();
        loop {
            let t = lexer.next_token().unwrap();
            spans.push((t.kind, t.span.range()));
            if t.kind == TokenKind::End {
                break;
            }
        }
        use TokenKind::*;
        assert_eq!(
            spans,
            [
                (Name, 1..2),
                (Caret, 3..5),
                (Root, 6..9),
                (Name, 9..10),
                (Le, 10..12),
                (Name, 12..13),
                (Ne, 13..15),
                (Name, 15..16),
                (End, 16..16)
            ]
        );
        assert_eq!(
            kinds("+-*/%^(),< > >= =="),
            [
                Plus, Minus, Star, Slash, Percent, Caret, LParen, RParen, Comma, Lt, Gt, Ge, EqEq
            ]
        );
    }

    #[test]
    fn unicode_names() {
        assert_eq!(
            kinds("θ_1 + _x"),
            [TokenKind::Name, TokenKind::Plus, TokenKind::Name]
        );
        // ASCII and non-ASCII mixed, `√` right after a name, Unicode and ASCII control
        // whitespace (no-break space, vertical tab, form feed)
        assert_eq!(
            kinds("aθ1√x\u{a0}+\x0b\x0cé"),
            [
                TokenKind::Name,
                TokenKind::Root,
                TokenKind::Name,
                TokenKind::Plus,
                TokenKind::Name
            ]
        );
        assert!(is_identifier("θ"));
        assert!(is_identifier("_a1"));
        assert!(!is_identifier("1a"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("a-b"));
    }

    #[test]
    fn errors_have_spans() {
        let e = lex_err("1 + $");
        assert_eq!((e.kind(), e.span()), (ErrorKind::UnexpectedCharacter, 4..5));
        let e = lex_err("x = 1");
        assert_eq!((e.kind(), e.span()), (ErrorKind::UnexpectedCharacter, 2..3));
        assert!(e.message().contains("=="));
        let e = lex_err("!x");
        assert_eq!((e.kind(), e.span()), (ErrorKind::UnexpectedCharacter, 0..1));
        let e = lex_err("2 * 1e");
        assert_eq!((e.kind(), e.span()), (ErrorKind::InvalidNumber, 4..6));
        let e = lex_err("1e+ 3");
        assert_eq!((e.kind(), e.span()), (ErrorKind::InvalidNumber, 0..3));
        let e = lex_err("1.2.3");
        assert_eq!((e.kind(), e.span()), (ErrorKind::InvalidNumber, 0..4));
        let e = lex_err(".");
        assert_eq!((e.kind(), e.span()), (ErrorKind::InvalidNumber, 0..1));
        let e = lex_err("a € b");
        assert_eq!((e.kind(), e.span()), (ErrorKind::UnexpectedCharacter, 2..5));
        assert_eq!(e.message(), "unexpected character `€`");
    }

    #[test]
    fn middle_dots_and_joiners_end_a_name() {
        let e = lex_err("a·b");
        assert_eq!((e.kind(), e.span()), (ErrorKind::UnexpectedCharacter, 1..3));
        assert_eq!(e.message(), "unexpected character `·`: write `*`");
        let e = lex_err("x\u{200D}y");
        assert_eq!((e.kind(), e.span()), (ErrorKind::UnexpectedCharacter, 1..4));
        assert_eq!(e.message(), r"unexpected character `\u{200d}`");
        assert!(!is_identifier("l·l"));
        assert!(is_identifier("θ_1"));
    }

    #[test]
    fn typographic_operators_name_the_one_to_write() {
        for (src, instead) in [
            ("x ≤ 1", "<="),
            ("x ≥ 1", ">="),
            ("x ≠ 1", "!="),
            ("2 × x", "*"),
            ("2 ⋅ x", "*"),
            ("a ･ b", "*"),
            ("x ÷ 2", "/"),
            ("x − 1", "-"),
            ("x – 1", "-"),
            ("x ² + 1", "^2"),
            ("2 ³", "^3"),
        ] {
            let e = lex_err(src);
            assert_eq!(e.kind(), ErrorKind::UnexpectedCharacter, "{src}");
            assert_eq!(&src[e.span()], src.split(' ').nth(1).unwrap(), "{src}");
            assert!(
                e.message().ends_with(&format!(": write `{instead}`")),
                "{src}: {e}"
            );
        }
    }
}
