//! What a name means: an argument, a constant, or a function; built-in or registered.

use crate::ops::{BinaryOp, UnaryOp};
use crate::spare::{GiveSpare, SPARE, Spare};
use smallvec::SmallVec;
use std::collections::HashMap;

/// A built-in function of the language (§3.3).
///
/// ```
/// use jit_compiler::names::Builtin;
/// use jit_compiler::{BinaryOp, UnaryOp};
/// assert_eq!(Builtin::lookup("log"), Some(Builtin::Unary(UnaryOp::Ln))); // an alias
/// assert_eq!(Builtin::lookup("min"), Some(Builtin::Variadic(BinaryOp::Min)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// One argument.
    Unary(UnaryOp),
    /// Two arguments.
    Binary(BinaryOp),
    /// `min` or `max`: one or more arguments, folded from the left.
    Variadic(BinaryOp),
    /// `if(c, a, b)`
    If,
}

impl Builtin {
    /// The built-in function called `name`, if any.
    ///
    /// ```
    /// use jit_compiler::names::Builtin;
    /// use jit_compiler::BinaryOp;
    /// assert_eq!(Builtin::lookup("pow"), Some(Builtin::Binary(BinaryOp::Pow)));
    /// assert_eq!(Builtin::lookup("if"), Some(Builtin::If));
    /// assert_eq!(Builtin::lookup("pi"), None); // a constant, not a function
    /// ```
    pub fn lookup(name: &str) -> Option<Builtin> {
        use UnaryOp::*;
        let unary = match name {
            "sqrt" => Sqrt,
            "abs" => Abs,
            "floor" => Floor,
            "ceil" => Ceil,
            "round" => Round,
            "trunc" => Trunc,
            "sign" => Sign,
            "exp" => Exp,
            "exp2" => Exp2,
            "ln" | "log" => Ln,
            "log2" => Log2,
            "log10" => Log10,
            "sin" => Sin,
            "cos" => Cos,
            "tan" => Tan,
            "asin" => Asin,
            "acos" => Acos,
            "atan" => Atan,
            "sinh" => Sinh,
            "cosh" => Cosh,
            "tanh" => Tanh,
            "atan2" => return Some(Builtin::Binary(BinaryOp::Atan2)),
            "hypot" => return Some(Builtin::Binary(BinaryOp::Hypot)),
            "pow" => return Some(Builtin::Binary(BinaryOp::Pow)),
            "min" => return Some(Builtin::Variadic(BinaryOp::Min)),
            "max" => return Some(Builtin::Variadic(BinaryOp::Max)),
            "if" => return Some(Builtin::If),
            _ => return None,
        };
        Some(Builtin::Unary(unary))
    }

    /// A description of the accepted argument count, for error messages.
    ///
    /// ```
    /// use jit_compiler::names::Builtin;
    /// assert_eq!(Builtin::lookup("max").unwrap().arity_text(), "1 or more arguments");
    /// assert_eq!(Builtin::If.arity_text(), "3 arguments");
    /// ```
    pub fn arity_text(self) -> &'static str {
        match self {
            Builtin::Unary(_) => "1 argument",
            Builtin::Binary(_) => "2 arguments",
            Builtin::Variadic(_) => "1 or more arguments",
            Builtin::If => "3 arguments",
        }
    }

    /// The number of arguments of a call that error messages suggest: its arity, and 2 for
    /// `min` and `max`.
    ///
    /// ```
    /// use jit_compiler::names::Builtin;
    /// assert_eq!(Builtin::lookup("sin").unwrap().example_arity(), 1);
    /// assert_eq!(Builtin::lookup("min").unwrap().example_arity(), 2);
    /// ```
    pub fn example_arity(self) -> usize {
        match self {
            Builtin::Unary(_) => 1,
            Builtin::Binary(_) | Builtin::Variadic(_) => 2,
            Builtin::If => 3,
        }
    }

    /// Does it accept `n` arguments?
    ///
    /// ```
    /// use jit_compiler::names::Builtin;
    /// let max = Builtin::lookup("max").unwrap();
    /// assert!(max.accepts(1) && max.accepts(5) && !max.accepts(0));
    /// assert!(!Builtin::lookup("atan2").unwrap().accepts(1));
    /// ```
    pub fn accepts(self, n: usize) -> bool {
        match self {
            Builtin::Unary(_) => n == 1,
            Builtin::Binary(_) => n == 2,
            Builtin::Variadic(_) => n >= 1,
            Builtin::If => n == 3,
        }
    }
}

/// The built-in constants.
///
/// ```
/// use jit_compiler::names::builtin_constant;
/// assert_eq!(builtin_constant("tau"), Some(std::f64::consts::TAU));
/// assert!(builtin_constant("nan").unwrap().is_nan());
/// assert_eq!(builtin_constant("e"), None); // write exp(1)
/// ```
pub fn builtin_constant(name: &str) -> Option<f64> {
    match name {
        "pi" => Some(std::f64::consts::PI),
        "tau" => Some(std::f64::consts::TAU),
        "inf" => Some(f64::INFINITY),
        "nan" => Some(f64::NAN),
        _ => None,
    }
}

/// The argument names of an expression, in calling order. A dropped list of at most
/// [`SPARE_MAX_NAMES`] names of at most as many bytes leaves its vector and strings (4 KiB at
/// most) to the thread's next
/// [`ArgNames::copied`]: parsing a formula then allocates no names after the first one
/// (for `2*x^0.5`, two `malloc` and two `free` calls fewer).
#[derive(Clone, Default, PartialEq)]
pub(crate) struct ArgNames(Vec<String>);

/// Lists of up to this many names, each of up to this many bytes, are kept for the next one.
const SPARE_MAX_NAMES: usize = 64;

impl ArgNames {
    /// Owned copies of `names`, made in the thread's spare strings where there are some.
    pub(crate) fn copied<'a>(mut names: impl ExactSizeIterator<Item = &'a str>) -> ArgNames {
        if names.len() == 0 {
            return ArgNames::default(); // (a constant expression: the spare is not needed)
        }
        let mut strings = SPARE
            .try_with(|spare| spare.names.take())
            .unwrap_or_default();
        strings.truncate(names.len());
        // (`zip` stops at the last spare string without taking a name past it)
        for (string, name) in strings.iter_mut().zip(&mut names) {
            string.clear();
            // (a one-byte name, the commonest, by a store: `push_str` is a `memcpy` call,
            // about 30 instructions for one byte. A one-byte `str` is ASCII; saying so
            // spares `push` its multi-byte case.)
            match *name.as_bytes() {
                [b] if b.is_ascii() => string.push(char::from(b)),
                _ => string.push_str(name),
            }
        }
        // (the names past the spare strings, if any: tested first, as there seldom are)
        if names.len() != 0 {
            strings = appended(strings, names);
        }
        ArgNames(strings)
    }
}

/// `strings` and owned copies of `names` after them: the names of a list longer than the
/// spare one. (Out of line and cold, the vector taken and given back: an `extend` inlined in
/// [`ArgNames::copied`] cost its common case, a list made of spare strings alone, 3–40
/// instructions more a parse of E1–E5.)
#[cold]
#[inline(never)]
fn appended<'a>(mut strings: Vec<String>, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    strings.extend(names.map(str::to_owned));
    strings
}

impl From<Vec<String>> for ArgNames {
    fn from(names: Vec<String>) -> ArgNames {
        ArgNames(names)
    }
}

impl std::ops::Deref for ArgNames {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.0
    }
}

/// As the list of names it is (`["x", "y"]`).
impl std::fmt::Debug for ArgNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Keeps a short list's vector and strings for the thread's next [`ArgNames::copied`].
impl Drop for ArgNames {
    // (inlined, and the keeping out of line: the list an `Expr` gave back is then one
    // comparison)
    #[inline]
    fn drop(&mut self) {
        if self.0.capacity() != 0 {
            crate::spare::leave(self);
        }
    }
}

impl GiveSpare for ArgNames {
    /// Moves the strings of a list of at most [`SPARE_MAX_NAMES`] names, each of at most as
    /// many bytes, into `spare`, leaving this list without them. (A longer list keeps its
    /// strings, to be freed.)
    fn give_spare(&mut self, spare: &Spare) {
        let short = |s: &String| s.capacity() <= SPARE_MAX_NAMES;
        if self.0.len() <= SPARE_MAX_NAMES && self.0.capacity() > 0 && self.0.iter().all(short) {
            spare.names.set(std::mem::take(&mut self.0));
        }
    }
}

/// Variable names and their indices, in insertion order. One-letter ASCII names (`x`, `a`,
/// the most common) are found by their byte; other names by a linear scan while the table is
/// small (the common case, and faster than hashing) and a hash map beyond that, so parsing
/// stays linear in the source length with thousands of variables.
///
/// ```
/// use jit_compiler::names::NameTable;
/// let mut names = NameTable::default();
/// assert_eq!((names.insert("x"), names.insert("θ")), (0, 1));
/// assert_eq!(names.get("θ"), Some(1));
/// assert_eq!(names.names(), ["x", "θ"]);
/// ```
#[derive(Debug)]
pub struct NameTable<'s> {
    /// Inline up to 8 names: most expressions never allocate for their variables.
    names: SmallVec<[&'s str; 8]>,
    index: Option<HashMap<&'s str, u32>>,
    /// For each one-byte name (an ASCII letter or `_`, all from byte 64 on: see
    /// [`letter_slot`]): its index + 1, or 0 if absent (up to index 254).
    letters: [u8; 64],
}

impl Default for NameTable<'_> {
    // (inlined: the parser is built with an empty table in place; a call returned it in a
    // temporary, copied into the parser with two `memcpy` calls on every parse)
    #[inline(always)]
    fn default() -> Self {
        NameTable {
            names: SmallVec::new(),
            index: None,
            letters: [0; 64],
        }
    }
}

const LINEAR_LIMIT: usize = 16;

/// The position of the one-byte name `b` in [`NameTable`]'s byte table: a name of one byte
/// is an ASCII letter or `_`, from byte 65 to 122, so the table covers bytes 64 to 127 (half
/// of them, so that half as many bytes are cleared for every parse). Other bytes fall
/// outside it.
#[inline]
fn letter_slot(b: u8) -> usize {
    usize::from(b.wrapping_sub(64))
}

/// What [`NameTable::letter`] knows of a one-byte name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Letter {
    /// The name is in the table, at this index.
    At(u32),
    /// The name is not in the table (however many names it holds: every one-byte name
    /// inserted marks its byte).
    Absent,
    /// The byte table cannot tell: the name's index is past 254, or the byte is outside the
    /// table (no name of one byte is).
    Unknown,
}

impl<'s> NameTable<'s> {
    /// The index of `name`, if present.
    ///
    /// ```
    /// use jit_compiler::names::NameTable;
    /// let owned: Vec<String> = (0..100).map(|i| format!("v{i}")).collect();
    /// let mut names = NameTable::default();
    /// for n in &owned {
    ///     names.insert(n);
    /// }
    /// assert_eq!(names.get("v42"), Some(42)); // past the linear scan: hashed
    /// assert_eq!(names.get("w"), None);
    /// ```
    // (inlined: one-letter names, most of them, then cost a few instructions instead of a
    // call whose set-up was costlier than the lookup)
    #[inline]
    pub fn get(&self, name: &str) -> Option<u32> {
        if let [b] = name.as_bytes() {
            match self.letter(*b) {
                Letter::At(i) => return Some(i),
                Letter::Absent => return None,
                Letter::Unknown => {}
            }
        }
        self.search(name)
    }

    /// What the byte table knows of the one-byte name `b`.
    #[inline]
    pub(crate) fn letter(&self, b: u8) -> Letter {
        match self.letters.get(letter_slot(b)) {
            Some(0) => Letter::Absent,
            Some(&i) if i < u8::MAX => Letter::At(u32::from(i) - 1),
            // an index past 254 (the table has the byte of every one-byte name), or a byte
            // that is no name by itself
            _ => Letter::Unknown,
        }
    }

    /// [`NameTable::get`] for names the byte table does not answer.
    #[inline(never)]
    fn search(&self, name: &str) -> Option<u32> {
        match &self.index {
            Some(map) => map.get(name).copied(),
            // first bytes before the full comparison: names are short and mostly differ
            // there, and a comparison call per candidate cost more than the lookup itself
            None => {
                let first = name.as_bytes().first();
                self.names
                    .iter()
                    .position(|n| {
                        n.len() == name.len() && n.as_bytes().first() == first && *n == name
                    })
                    .map(|i| i as u32)
            }
        }
    }

    /// Adds `name` (which must not be present) and returns its index.
    ///
    /// ```
    /// use jit_compiler::names::NameTable;
    /// let mut names = NameTable::default();
    /// assert_eq!(names.insert("rate"), 0);
    /// assert_eq!(names.insert("t"), 1);
    /// assert_eq!(names.get("t"), Some(1));
    /// ```
    // (inlined, with the hashing out of line: the common case is a few stores)
    #[inline]
    pub fn insert(&mut self, name: &'s str) -> u32 {
        let i = self.names.len() as u32;
        self.names.push(name);
        if let [b] = name.as_bytes() {
            if let Some(slot) = self.letters.get_mut(letter_slot(*b)) {
                *slot = u8::try_from(i + 1).unwrap_or(u8::MAX);
            }
        }
        if self.index.is_some() || self.names.len() > LINEAR_LIMIT {
            self.hash(name, i);
        }
        i
    }

    /// Adds the name just pushed, `i`, to the hash map, making the map when the names
    /// have grown past the linear scan.
    #[inline(never)]
    fn hash(&mut self, name: &'s str, i: u32) {
        if let Some(map) = &mut self.index {
            map.insert(name, i);
        } else {
            self.index = Some(
                self.names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (*n, i as u32))
                    .collect(),
            );
        }
    }

    /// The names, by index.
    ///
    /// ```
    /// use jit_compiler::names::NameTable;
    /// let mut names = NameTable::default();
    /// names.insert("y");
    /// names.insert("x");
    /// assert_eq!(names.names(), ["y", "x"]); // insertion order, not sorted
    /// ```
    pub fn names(&self) -> &[&'s str] {
        &self.names
    }

    /// How many names.
    ///
    /// ```
    /// use jit_compiler::names::NameTable;
    /// let mut names = NameTable::default();
    /// names.insert("a");
    /// names.insert("b");
    /// assert_eq!(names.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// No names?
    ///
    /// ```
    /// use jit_compiler::names::NameTable;
    /// let mut names = NameTable::default();
    /// assert!(names.is_empty());
    /// names.insert("x");
    /// assert!(!names.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letter_finds_one_byte_names_up_to_index_254() {
        let owned: Vec<String> = (0..300).map(|i| format!("v{i}")).collect();
        let mut names = NameTable::default();
        assert_eq!(names.letter(b'x'), Letter::Absent);
        names.insert("y");
        names.insert("x");
        let found = (names.letter(b'y'), names.letter(b'x'));
        assert_eq!(found, (Letter::At(0), Letter::At(1)));
        assert_eq!(names.letter(b'z'), Letter::Absent);
        for n in &owned {
            names.insert(n);
        }
        assert_eq!(
            names.letter(b'z'),
            Letter::Absent,
            "absent in a long table too"
        );
        names.insert("z"); // index 302: past the byte table
        assert_eq!(names.letter(b'z'), Letter::Unknown);
        assert_eq!(names.get("z"), Some(302));
        assert_eq!(names.letter(0xC3), Letter::Unknown, "not ASCII");
    }

    /// The strings of this thread's spare name list.
    fn spare_names() -> usize {
        SPARE.with(|s| {
            let strings = s.names.take();
            let n = strings.len();
            s.names.set(strings);
            n
        })
    }

    #[test]
    fn argument_names_reuse_the_last_dropped_list() {
        let first = ArgNames::copied(["alpha", "b", "c"].into_iter());
        assert_eq!(*first, ["alpha", "b", "c"]);
        let text = first[0].as_ptr();
        drop(first);
        assert_eq!(spare_names(), 3);
        // fewer names, shorter and longer: the text is new, the first string's buffer kept
        let second = ArgNames::copied(["x", "yy"].into_iter());
        assert_eq!(*second, ["x", "yy"]);
        assert_eq!(second[0].as_ptr(), text);
        assert_eq!(spare_names(), 0);
        drop(second);
        // more names than the spare holds
        let third = ArgNames::copied(["p", "q", "r", "s"].into_iter());
        assert_eq!(*third, ["p", "q", "r", "s"]);
        assert_eq!(format!("{third:?}"), r#"["p", "q", "r", "s"]"#);
        drop(third);
        // no names: the spare is left alone
        assert!(ArgNames::copied(std::iter::empty()).is_empty());
        assert_eq!(spare_names(), 4);
        let many: Vec<String> = (0..=SPARE_MAX_NAMES).map(|i| format!("v{i}")).collect();
        drop(ArgNames::from(many));
        assert_eq!(spare_names(), 4, "a long list is freed, not kept");
        drop(ArgNames::from(vec!["x".repeat(SPARE_MAX_NAMES + 1)]));
        assert_eq!(spare_names(), 4, "a long name is freed, not kept");
    }

    #[test]
    fn table_switches_to_hashing_and_keeps_indices() {
        let names: Vec<String> = (0..100).map(|i| format!("v{i}")).collect();
        let mut table = NameTable::default();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(table.get(n), None);
            assert_eq!(table.insert(n), i as u32);
        }
        for (i, n) in names.iter().enumerate() {
            assert_eq!(table.get(n), Some(i as u32));
        }
    }

    #[test]
    fn one_letter_names_by_byte_at_any_index() {
        let long: Vec<String> = (0..300).map(|i| format!("v{i}")).collect();
        let mut table = NameTable::default();
        assert_eq!(table.insert("a"), 0);
        for n in &long[..252] {
            table.insert(n);
        }
        assert_eq!(table.insert("b"), 253); // the last index the byte table holds
        assert_eq!(table.insert("c"), 254); // past it: found by the hash map
        for n in &long[252..] {
            table.insert(n);
        }
        assert_eq!(table.get("a"), Some(0));
        assert_eq!(table.get("b"), Some(253));
        assert_eq!(table.get("c"), Some(254));
        assert_eq!(table.get("d"), None);
        assert_eq!(table.get("v299"), Some(302));
    }

    #[test]
    fn builtins() {
        assert_eq!(Builtin::lookup("log"), Some(Builtin::Unary(UnaryOp::Ln)));
        assert!(Builtin::lookup("e").is_none());
        assert!(Builtin::lookup("min").unwrap().accepts(5));
        assert!(!Builtin::lookup("if").unwrap().accepts(2));
        assert!(builtin_constant("nan").unwrap().is_nan());
    }
}
