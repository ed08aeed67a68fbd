//! Property tests: print → parse round trip, simplifier == interpreter bit for bit, and no
//! panic on any input.

#[path = "../../tests/support/cases.rs"]
mod cases;
#[path = "../../tests/support/tree.rs"]
mod tree;

use cases::cases;
use jit_compiler::{parse, parse_with_args};
use proptest::prelude::*;
use tree::{ARGS, same, special, to_expr, tree};

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn print_then_parse_gives_the_same_tree(t in tree()) {
        let expr = to_expr(&t);
        let text = expr.to_string();
        let back = parse_with_args(&text, &ARGS).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        prop_assert!(back == expr, "{text:?} re-parsed as {back}");
    }

    #[test]
    fn simplifying_keeps_every_bit(t in tree(), args in proptest::array::uniform10(special())) {
        let expr = to_expr(&t);
        let simple = expr.simplified();
        let (want, got) = (expr.eval(&args).unwrap(), simple.eval(&args).unwrap());
        prop_assert!(same(want, got), "{expr} = {want:?}, simplified {simple} = {got:?}");
    }

    /// Any text, control characters and invisible ones included (`.` and raw bytes made
    /// text): an expression, or an error whose span lies inside the text on character
    /// boundaries and whose rendering shows it.
    #[test]
    fn any_string_parses_or_errs_with_a_span_inside_it(
        src in prop_oneof![
            ".{0,60}",
            "[\\t\\r\\n \u{a0}\u{200b}\u{feff}\u{ad}x1+*()]{0,30}",
            proptest::collection::vec(any::<u8>(), 0..60)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ]
    ) {
        if let Err(e) = parse(&src) {
            let span = e.span();
            prop_assert!(span.start <= span.end && span.end <= src.len(), "{span:?}");
            prop_assert!(src.is_char_boundary(span.start) && src.is_char_boundary(span.end));
            let head = format!("error: {}", e.message());
            prop_assert!(e.render(&src).starts_with(&head));
        }
    }

    /// Text made of the language's own characters, which parses far more often: what parses
    /// prints back to the same tree, and simplifies to the same values.
    #[test]
    fn grammar_soup_parses_back_or_errs(
        src in "[-+*/^%()√,<>=!xy1.e ]{0,30}|[a-z(),0-9.^*+]{0,30}",
        args in proptest::array::uniform2(special()),
    ) {
        match parse(&src) {
            Ok(expr) => {
                let printed = expr.to_string();
                let again = parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
                prop_assert_eq!(&again, &expr, "{} printed as {}", src, printed);
                let args = &args[..expr.arity().min(2)];
                if args.len() == expr.arity() {
                    let (want, got) = (expr.eval(args).unwrap(), expr.simplified().eval(args).unwrap());
                    prop_assert!(same(want, got), "{src}: {want:?}, simplified {got:?}");
                }
            }
            Err(e) => prop_assert!(e.span().end <= src.len()),
        }
    }
}
