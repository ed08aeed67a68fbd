//! Any bytes → `jit_compiler::parse`: `Ok` or an `Err` whose span lies inside the source (on
//! character boundaries), never a panic. When `Ok`: printing and re-parsing gives the same
//! tree, and `simplified()`, `eval` and printing the simplified tree do not panic; the
//! simplified tree evaluates to the same bits (any NaN equals any NaN).
#![no_main]

#[path = "../../tests/support/values.rs"]
mod values;
use values::same;

use jit_compiler::{Expr, parse, parse_with_args};
use libfuzzer_sys::fuzz_target;

const VALUES: [f64; 8] = [1.5, -0.0, 0.0, f64::NAN, f64::INFINITY, -2.0, 5e-324, 1e300];

fn check_expr(src: &str, e: &Expr) {
    let printed = e.to_string();
    let names: Vec<&str> = e.args().iter().map(String::as_str).collect();
    let again = parse_with_args(&printed, &names)
        .unwrap_or_else(|err| panic!("{src:?} printed as {printed:?}, which fails: {err:?}"));
    assert!(
        *e == again,
        "{src:?} printed as {printed:?}, which parses to a different tree ({again})"
    );
    let simple = e.simplified();
    let _ = simple.to_string();
    for shift in 0..3 {
        let args: Vec<f64> = (0..e.arity())
            .map(|i| VALUES[(i + shift) % VALUES.len()])
            .collect();
        let want = e.eval(&args).expect("arity");
        let got = simple.eval(&args).expect("arity");
        assert!(
            same(want, got),
            "{src:?} {args:?}: simplified {got:?} ({simple}), interpreter {want:?}"
        );
    }
}

fn check(src: &str) {
    match parse(src) {
        Ok(e) => check_expr(src, &e),
        Err(err) => {
            let span = err.span();
            assert!(
                span.start <= span.end && span.end <= src.len(),
                "{src:?}: span {span:?} outside the source ({err:?})"
            );
            assert!(
                src.is_char_boundary(span.start) && src.is_char_boundary(span.end),
                "{src:?}: span {span:?} splits a character ({err:?})"
            );
            let _ = err.render(src);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    match std::str::from_utf8(data) {
        Ok(s) => check(s),
        Err(_) => check(&String::from_utf8_lossy(data)),
    }
});
