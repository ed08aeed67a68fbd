//! Deep and long inputs on a 2 MiB thread stack: an error or a result, never an overflow.

use jit_compiler::{ErrorKind, Limits, Options, parse};

fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

const N: usize = 100_000;

fn deep_limits() -> Options {
    Options::new().limits(Limits {
        max_depth: 1_000_000,
        ..Limits::default()
    })
}

fn check_deep(src: String, expected: f64) {
    on_small_stack(move || {
        let err = parse(&src).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NestingTooDeep);
        let expr = deep_limits().parse(&src).unwrap();
        let value = expr.eval(&[]).unwrap();
        assert!(
            value == expected || (value.is_nan() && expected.is_nan()),
            "{value}"
        );
        let simple = expr.simplified();
        assert_eq!(simple.eval(&[]).unwrap().to_bits(), value.to_bits());
        let printed = expr.to_string();
        assert!(deep_limits().parse(&printed).unwrap() == expr);
        drop(expr);
    });
}

#[test]
fn nested_parentheses() {
    check_deep(format!("{}1{}", "(".repeat(N), ")".repeat(N)), 1.0);
}

#[test]
fn unary_minus_chain() {
    check_deep(format!("{}7", "-".repeat(N)), 7.0);
}

#[test]
fn root_chain() {
    check_deep(format!("{}1", "√".repeat(N)), 1.0);
}

#[test]
fn power_chain() {
    check_deep(format!("1{}", "^1".repeat(N)), 1.0);
}

#[test]
fn nested_calls() {
    check_deep(format!("{}2{}", "abs(".repeat(N), ")".repeat(N)), 2.0);
}

#[test]
fn flat_sum_works_with_default_limits() {
    on_small_stack(|| {
        let src = (0..N)
            .map(|i| format!("x{}", i % 7))
            .collect::<Vec<_>>()
            .join(" + ");
        let expr = parse(&src).unwrap();
        assert_eq!(expr.arity(), 7);
        let value = expr.eval(&[1.0; 7]).unwrap();
        assert_eq!(value, N as f64);
        assert_eq!(expr.simplified().eval(&[1.0; 7]).unwrap(), value);
        assert!(parse(&expr.to_string()).unwrap() == expr);
    });
}

#[test]
fn a_megabyte_expression_parses() {
    let src = (0..150_000)
        .map(|i| format!("{}.25*x", i % 10))
        .collect::<Vec<_>>()
        .join("+");
    assert!(src.len() > 1_000_000);
    let expr = parse(&src).unwrap();
    assert_eq!(
        expr.eval(&[1.0]).unwrap(),
        (0..150_000).map(|i| (i % 10) as f64 + 0.25).sum::<f64>()
    );
}
