//! Property tests: print → parse round trip, simplifier == interpreter bit for bit, and no
//! panic on any input.

#[path = "../../tests/support/tree.rs"]
mod tree;

use jit_compiler::{parse, parse_with_args};
use proptest::prelude::*;
use tree::{ARGS, same, special, to_expr, tree};

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn print_then_parse_gives_the_same_tree(t in tree()) {
        let expr = to_expr(&t);
        let text = expr.to_string();
        let back = parse_with_args(&text, &ARGS).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        prop_assert!(back == expr, "{text:?} re-parsed as {back}");
    }

    #[test]
    fn simplifying_keeps_every_bit(t in tree(), args in proptest::array::uniform4(special())) {
        let expr = to_expr(&t);
        let simple = expr.simplified();
        let (want, got) = (expr.eval(&args).unwrap(), simple.eval(&args).unwrap());
        prop_assert!(same(want, got), "{expr} = {want:?}, simplified {simple} = {got:?}");
    }

    #[test]
    fn any_string_parses_or_errs_with_a_span_inside_it(src in "\\PC{0,40}") {
        if let Err(e) = parse(&src) {
            prop_assert!(e.span().end <= src.len());
            let _ = e.render(&src);
        }
    }

    #[test]
    fn grammar_soup_never_panics(src in "[-+*/^%()√,<>=!x1.e ]{0,30}|[a-z(),0-9.^*+]{0,30}") {
        match parse(&src) {
            Ok(expr) => {
                let _ = expr.simplified().to_string();
                let args = vec![1.5; expr.arity()];
                let _ = expr.eval(&args);
            }
            Err(e) => prop_assert!(e.span().end <= src.len()),
        }
    }
}
