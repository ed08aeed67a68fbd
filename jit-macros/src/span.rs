//! From byte offsets in a string literal's *value* to byte offsets in its *source text*
//! (`"a\tb"`, `r#"..."#`), so that an error can point at the exact characters with
//! `Literal::subspan` (where the compiler supports it; otherwise at the whole literal).

use proc_macro2::Span;
use std::ops::Range;
use syn::LitStr;

/// The span of `value_range` (bytes of `lit.value()`) inside the literal. An empty range
/// covers the character at its position, or the closing quote at the end of the value.
pub fn subspan(lit: &LitStr, value_range: Range<usize>) -> Span {
    let token = lit.token();
    let source = token.to_string();
    match source_map(&source, &lit.value()) {
        Some(map) => {
            let range = map.source_range(value_range);
            token.subspan(range).unwrap_or_else(|| lit.span())
        }
        None => lit.span(),
    }
}

/// For each byte of the value, the source bytes that produced it.
struct SourceMap {
    bytes: Vec<Range<usize>>,
    /// Offset of the closing quote.
    close: usize,
}

impl SourceMap {
    fn source_range(&self, value: Range<usize>) -> Range<usize> {
        let at = |i: usize| self.bytes.get(i).cloned();
        let close = self.close..self.close + 1;
        if value.start >= value.end {
            return at(value.start).unwrap_or(close);
        }
        let first = at(value.start).unwrap_or(close.clone());
        let last = at(value.end - 1).unwrap_or(close);
        first.start..last.end.max(first.end)
    }
}

/// Maps the source text of a string literal (as the token prints) to its value; `None` if the
/// text is not understood or does not decode to `value`.
fn source_map(source: &str, value: &str) -> Option<SourceMap> {
    let map = if let Some(rest) = source.strip_prefix('r') {
        let hashes = rest.bytes().take_while(|&b| b == b'#').count();
        let open = 1 + hashes + 1;
        let close = source.len().checked_sub(1 + hashes)?;
        SourceMap {
            bytes: (open..close).map(|i| i..i + 1).collect(),
            close,
        }
    } else {
        cooked(source)?
    };
    let decoded = decode(source, &map)?;
    (decoded == value).then_some(map)
}

/// The map of an ordinary `"..."` literal, following Rust's escapes.
fn cooked(source: &str) -> Option<SourceMap> {
    let b = source.as_bytes();
    if b.len() < 2 || b[0] != b'"' || b[b.len() - 1] != b'"' {
        return None;
    }
    let close = b.len() - 1;
    let mut bytes = Vec::new();
    let mut i = 1;
    while i < close {
        if b[i] != b'\\' {
            let len = source[i..].chars().next()?.len_utf8();
            bytes.extend((i..i + len).map(|j| j..j + 1));
            i += len;
            continue;
        }
        let start = i;
        match *b.get(i + 1)? {
            b'n' | b'r' | b't' | b'\\' | b'0' | b'\'' | b'"' => {
                i += 2;
                bytes.push(start..i);
            }
            b'x' => {
                i += 4;
                bytes.push(start..i);
            }
            b'u' => {
                let end = start + source[start..].find('}')? + 1;
                let hex = source.get(start + 3..end - 1)?.replace('_', "");
                let c = char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?;
                bytes.extend(std::iter::repeat_n(start..end, c.len_utf8()));
                i = end;
            }
            b'\n' => {
                // A line continuation: the newline and the whitespace after it vanish.
                i += 2;
                while i < close && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
                    i += 1;
                }
            }
            _ => return None,
        }
    }
    Some(SourceMap { bytes, close })
}

/// Decodes the value from the map (each value byte from its source range), to check the map.
fn decode(source: &str, map: &SourceMap) -> Option<String> {
    let src = source.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(map.bytes.len());
    let mut i = 0;
    while i < map.bytes.len() {
        let r = map.bytes[i].clone();
        if r.len() == 1 {
            out.push(src[r.start]);
            i += 1;
            continue;
        }
        // An escape: one character, possibly several value bytes with the same range.
        let text = source.get(r.clone())?;
        let c = match text.get(1..2)? {
            "n" => '\n',
            "r" => '\r',
            "t" => '\t',
            "\\" => '\\',
            "0" => '\0',
            "'" => '\'',
            "\"" => '"',
            "x" => char::from(u8::from_str_radix(text.get(2..4)?, 16).ok()?),
            "u" => {
                let hex = text.get(3..text.len() - 1)?.replace('_', "");
                char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
            }
            _ => return None,
        };
        let run = map.bytes[i..].iter().take_while(|s| **s == r).count();
        if c.len_utf8() != run {
            return None;
        }
        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        i += run;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(source: &str, value: &str, range: Range<usize>) -> Option<Range<usize>> {
        source_map(source, value).map(|m| m.source_range(range))
    }

    #[test]
    fn plain_strings_shift_by_the_quote() {
        assert_eq!(map("\"2*x\"", "2*x", 2..3), Some(3..4));
        // the empty span at the end is the closing quote
        assert_eq!(map("\"2*x\"", "2*x", 3..3), Some(4..5));
        assert_eq!(map("\"\"", "", 0..0), Some(1..2));
    }

    #[test]
    fn escapes_cover_their_source_text() {
        // "a\tb$": `$` is value byte 3, source bytes 5..6
        assert_eq!(map("\"a\\tb$\"", "a\tb$", 3..4), Some(5..6));
        assert_eq!(map("\"a\\tb$\"", "a\tb$", 1..2), Some(2..4));
        assert_eq!(map("\"\\x24\"", "$", 0..1), Some(1..5));
        assert_eq!(map("\"\\u{3b8}+\"", "θ+", 0..2), Some(1..8));
        assert_eq!(map("\"\\u{3b8}+\"", "θ+", 2..3), Some(8..9));
        assert_eq!(map("\"a+\\\n   b\"", "a+b", 2..3), Some(8..9));
    }

    #[test]
    fn raw_strings_skip_the_hashes() {
        assert_eq!(map("r#\"a \"$\"#", "a \"$", 3..4), Some(6..7));
        assert_eq!(map("r\"x\"", "x", 1..1), Some(3..4));
    }

    #[test]
    fn unicode_characters_map_to_their_bytes() {
        assert_eq!(map("\"√x$\"", "√x$", 4..5), Some(5..6));
        assert_eq!(map("\"√x\"", "√x", 0..3), Some(1..4));
    }

    #[test]
    fn a_mismatch_gives_up() {
        assert_eq!(map("\"abc\"", "abd", 0..1), None);
        assert_eq!(map("b\"abc\"", "abc", 0..1), None);
    }
}
