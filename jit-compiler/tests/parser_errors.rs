//! Every malformed input is an `Error` with the right kind and span.

use jit_compiler::{ErrorKind, Limits, Options, parse, parse_with_args};

fn err(src: &str) -> (ErrorKind, std::ops::Range<usize>) {
    let e = parse(src).expect_err(src);
    (e.kind(), e.span())
}

#[test]
fn kinds_and_spans() {
    use ErrorKind::*;
    let cases: &[(&str, ErrorKind, std::ops::Range<usize>)] = &[
        ("", EmptyExpression, 0..0),
        ("   ", EmptyExpression, 3..3),
        ("2*x +", UnexpectedEnd, 5..5),
        ("2x", MissingOperator, 1..2),
        ("1 2", MissingOperator, 2..3),
        ("2(x)", MissingOperator, 1..2),
        ("x √y", MissingOperator, 2..5),
        ("*2", UnexpectedToken, 0..1),
        ("2*/3", UnexpectedToken, 2..3),
        ("(1+2", UnexpectedEnd, 4..4),
        ("1+2)", UnmatchedParenthesis, 3..4),
        ("()", UnexpectedToken, 1..2),
        ("1,2", UnexpectedToken, 1..2),
        ("(1,2)", UnexpectedToken, 2..3),
        ("a<b<c", ChainedComparison, 3..4),
        ("a $ b", UnexpectedCharacter, 2..3),
        ("1e", InvalidNumber, 0..2),
        ("1.2.3", InvalidNumber, 0..4),
        ("x + 0x1F", InvalidNumber, 4..8),
        ("0b101", InvalidNumber, 0..5),
        ("10x", MissingOperator, 2..3),
        ("2*0x", MissingOperator, 3..4),
        ("a = b", UnexpectedCharacter, 2..3),
        ("sin", FunctionNotCalled, 0..3),
        ("2*sin + 1", FunctionNotCalled, 2..5),
        ("sinn(x)", UnknownFunction, 0..4),
        ("pi(2)", NotAFunction, 0..2),
        ("sin(1, 2)", WrongArity, 0..9),
        ("atan2(1)", WrongArity, 0..8),
        ("min()", WrongArity, 0..5),
        ("if(1, 2)", WrongArity, 0..8),
        ("sin(1", UnexpectedEnd, 5..5),
        ("sin(1 2)", MissingOperator, 6..7),
        ("max(1,)", UnexpectedToken, 6..7),
    ];
    for (src, kind, span) in cases {
        assert_eq!(
            err(src),
            (*kind, span.clone()),
            "{src:?}: {}",
            parse(src).unwrap_err()
        );
    }
}

#[test]
fn an_unclosed_parenthesis_or_call_says_where_it_opened() {
    let message = |src: &str| parse(src).unwrap_err().message().to_owned();
    assert_eq!(
        message("sin(x + (1"),
        "expected `)` to close the parenthesis at column 9, found the end of the expression"
    );
    assert_eq!(
        message("θ + min(1, 2"),
        "expected `)` to close the call of `min` at column 5, found the end of the expression"
    );
    assert_eq!(
        message("1 +\n  (2"),
        "expected `)` to close the parenthesis at line 2, column 3, found the end of the \
         expression"
    );
}

#[test]
fn explicit_arguments() {
    let e = parse_with_args("t + y", &["t", "x"]).unwrap_err();
    assert_eq!((e.kind(), e.span()), (ErrorKind::UnknownVariable, 4..5));
    assert!(e.message().contains("t, x"));
    let e = parse_with_args("t", &["t", "t"]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::DuplicateArgument);
    let e = parse_with_args("t", &["2t"]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidName);
    let e = parse_with_args("t", &["sin"]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidName);
    let e = parse_with_args("x(1)", &["x"]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotAFunction);
    // explicit arguments shadow constants; unused ones are fine
    let e = parse_with_args("pi + e", &["pi", "e", "unused"]).unwrap();
    assert_eq!(e.eval(&[1.0, 2.0, 3.0]).unwrap(), 3.0);
}

#[test]
fn implicit_arguments_are_sorted_by_bytes() {
    let e = parse("z + a*θ + B + a").unwrap();
    assert_eq!(e.args(), ["B", "a", "z", "θ"]);
    assert_eq!(
        e.eval(&[1.0, 2.0, 3.0, 4.0]).unwrap(),
        3.0 + 2.0 * 4.0 + 1.0 + 2.0
    );
    assert_eq!(parse("e").unwrap().args(), ["e"]);
}

#[test]
fn limits() {
    let opts = Options::new().limits(Limits {
        max_source_len: 10,
        max_args: 2,
        ..Limits::default()
    });
    assert_eq!(
        opts.parse("1+2+3+4+5+6").unwrap_err().kind(),
        ErrorKind::SourceTooLong
    );
    let e = opts.parse("a+b+c").unwrap_err();
    assert_eq!((e.kind(), e.span()), (ErrorKind::TooManyArguments, 4..5));
}

#[test]
fn numbers() {
    let v = |s: &str| parse(s).unwrap().eval(&[]).unwrap();
    assert_eq!(v(".5"), 0.5);
    assert_eq!(v("5."), 5.0);
    assert_eq!(v("2.5E-3"), 0.0025);
    assert_eq!(v("5e-324").to_bits(), 1);
    assert_eq!(v("1e400"), f64::INFINITY);
    assert_eq!(v("2 ** 3 ** 2"), 512.0);
    assert_eq!(v("1/2/3"), 1.0 / 2.0 / 3.0);
    assert_eq!(v("2^-3*4"), 0.5);
    // `√` binds tighter than `^`: (√x)^2, which is NaN for a negative x, where √(x^2) is not
    assert_eq!(v("√16^2"), 16.0);
    assert!(v("√-4^2").is_nan());
    assert!(v("√(0-9)^2").is_nan());
    assert_eq!(v("√((0-9)^2)"), 9.0);
    assert_eq!(v("(1 < 2) == 1"), 1.0);
    assert_eq!(err("1 < 2 == 1"), (ErrorKind::ChainedComparison, 6..8));
}
