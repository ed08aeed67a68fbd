//! What a name means: an argument (by position, or new), a constant (the user's or a
//! built-in one) or a function; and, once the source is read, the arguments put into the
//! byte order of their names.

use super::errors::example_call;
use super::{Callee, Operand, Parser};
use crate::ast::{Ast, Node};
use crate::error::{Error, ErrorKind, Result, Span, name_list, quoted, short_name};
use crate::expr::Expr;
use crate::names::{ArgNames, Builtin, Letter, builtin_constant};
use crate::registry::Registry;
use std::sync::Arc;

/// A name the user's registry defines.
#[derive(Clone, Copy)]
enum UserName {
    /// The function with this index in the registry, and its arity.
    Function { index: u32, arity: usize },
    /// A constant of this value.
    Constant(f64),
}

impl<'s> Parser<'s> {
    /// The function that `name(` calls: the user's of that name, else the built-in one; or
    /// the error that says what the name is instead (an argument, a constant, a variable).
    pub(super) fn resolve_function(&self, span: Span) -> Result<Callee> {
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
    pub(super) fn name_value(&mut self, span: Span) -> Result<Operand> {
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
    pub(super) fn finish(&mut self) -> Expr {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::{Limits, Options, parse, parse_with_args};
    use crate::registry::Registry;

    proptest::proptest! {
        /// Names are ordered as `str` orders them.
        #[test]
        fn name_order_is_the_byte_order(a in "[a-c_é]{0,3}", b in "[a-c_é]{0,3}") {
            proptest::prop_assert_eq!(name_order(&a, &b), a.cmp(&b));
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
}
