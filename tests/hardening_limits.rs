//! Limits (§6 of the spec): every `Limits` field gives its typed error through
//! `Jit::builder().limits(..)`, malformed or huge input gives an `Error` rather than a panic
//! or a stack overflow, and a 1 MiB expression compiles in about linear time.

use trivial_jit::{ErrorKind, Jit, Limits};

fn limited(limits: Limits) -> trivial_jit::JitBuilder {
    Jit::builder().limits(limits)
}

#[test]
fn source_length_limit() {
    let limits = Limits {
        max_source_len: 9,
        ..Limits::default()
    };
    let ok = "x + 1 + 2"; // 9 bytes: at the limit
    assert_eq!(limited(limits).compile(ok).unwrap().call(&[1.0]), 4.0);
    let long = "x + 1 + 2 + 3";
    let err = limited(limits).compile(long).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SourceTooLong);
    assert_eq!(err.span(), 9..long.len());
    let err = limited(limits).compile_with_args(long, &["x"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SourceTooLong);
}

#[test]
fn nesting_depth_limit() {
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    assert_eq!(limited(limits).compile("((x))").unwrap().call(&[2.0]), 2.0);
    for src in [
        "((((x))))",
        "- - - - x",
        "2^2^2^2^2",
        "sin(cos(tan(exp(x))))",
    ] {
        let err = limited(limits).compile(src).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NestingTooDeep, "{src}");
        assert!(err.span().end <= src.len(), "{src}: {:?}", err.span());
    }
}

#[test]
fn argument_limit() {
    let limits = Limits {
        max_args: 2,
        ..Limits::default()
    };
    assert_eq!(limited(limits).compile("a + b").unwrap().arity(), 2);
    let err = limited(limits).compile("a + b + c").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyArguments);
    assert_eq!(err.span(), 8..9);
    let err = limited(limits)
        .compile_with_args("a", &["a", "b", "c"])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyArguments);
}

#[test]
fn code_length_limit() {
    let limits = Limits {
        max_code_len: 64,
        ..Limits::default()
    };
    let src = (0..50)
        .map(|i| format!("sin(x*{i}.5)"))
        .collect::<Vec<_>>()
        .join(" + ");
    let err = limited(limits).compile(&src).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CodeTooLarge);
    assert!(Jit::compile(&src).is_ok());
}

#[test]
fn code_length_limit_stops_code_generation_early() {
    // 2 000 integer powers of distinct bases, 114 multiplications each: about 0.9 MB of
    // code, far past a 64 KiB limit, which is found while the instructions are generated
    let src = (0..2_000)
        .map(|i| format!("(x+{i})^9223372036854774807"))
        .collect::<Vec<_>>()
        .join("+");
    let limits = Limits {
        max_code_len: 64 << 10,
        ..Limits::default()
    };
    let err = limited(limits).compile(&src).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CodeTooLarge);
    assert_eq!(err.span(), 0..src.len(), "the whole expression");
    assert!(err.to_string().contains("more than 65536 bytes"), "{err}");
}

#[test]
fn default_depth_limit_is_an_error_not_a_stack_overflow() {
    let n = 100_000;
    for src in [
        format!("{}x{}", "(".repeat(n), ")".repeat(n)),
        format!("{}x", "-".repeat(n)),
        format!("{}x", "√".repeat(n)),
        format!("x{}", "^x".repeat(n)),
        format!("{}x{}", "sin(".repeat(n), ")".repeat(n)),
        "(".repeat(n),
    ] {
        let err = Jit::compile(&src).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NestingTooDeep);
    }
}

/// A flat sum of `terms` products over 8 variables, `a*123.5+b*124.5+…`, about 8 bytes a
/// term, with `distinct` different constants.
fn big_sum(terms: usize, distinct: usize) -> String {
    let vars = ["a", "b", "c", "d", "e", "f", "g", "h"];
    let mut s = String::with_capacity(terms * 9);
    for i in 0..terms {
        if i > 0 {
            s.push('+');
        }
        s.push_str(vars[i % vars.len()]);
        s.push('*');
        s.push_str(&(i % distinct).to_string());
        s.push_str(".5");
    }
    s
}

/// The function compiled from `src` computes what the interpreter does.
fn assert_agrees(src: &str) {
    let f = Jit::compile(src).unwrap();
    let args: Vec<f64> = (0..f.arity())
        .map(|i| [1.5, -2.0, 0.25, 3.0][i % 4] * (i + 1) as f64)
        .collect();
    let want = f.expr().eval(&args).unwrap();
    assert_eq!(f.call(&args).to_bits(), want.to_bits());
}

/// 150 000 terms of [`big_sum`] (a megabyte), which computes what the interpreter does.
/// (That compile time grows linearly is measured by the benchmark's scaling section, not
/// here: speed is never asserted by a timed test.)
fn assert_big_sum(distinct: usize) {
    let big = big_sum(150_000, distinct);
    assert!(big.len() >= 1 << 20, "{} bytes", big.len());
    assert_agrees(&big);
}

#[test]
fn one_mebibyte_expression_compiles() {
    assert_big_sum(1000);
}

#[test]
fn one_mebibyte_of_distinct_constants_compiles() {
    assert_big_sum(usize::MAX);
}

/// A sum of `n` branching `if`s (each side with a call), each joining before the next.
fn branching_ifs(n: usize) -> String {
    (0..n)
        .map(|i| format!("if(x > {i}, exp(x*{i}.5), y*{i})"))
        .collect::<Vec<_>>()
        .join("+")
}

/// Thousands of branches, tail calls and dropped stores (emitting them once looked each
/// instruction up in lists of them: 16 000 `if`s took 650 ms, now 40 ms in release; the
/// benchmark's scaling section measures it).
#[test]
fn thousands_of_branching_ifs_compile() {
    assert_agrees(&branching_ifs(8000));
}
