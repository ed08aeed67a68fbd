//! Limits (§6 of the spec): every `Limits` field gives its typed error through
//! `Jit::builder().limits(..)`, malformed or huge input gives an `Error` rather than a panic
//! or a stack overflow, and a 1 MiB expression compiles in about linear time.

use std::time::{Duration, Instant};
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

fn compile_time(src: &str) -> Duration {
    let t = Instant::now();
    let f = Jit::compile(src).unwrap();
    let d = t.elapsed();
    assert!(f.arity() > 0);
    d
}

/// Compiles `small` and `big` (four times its size); the big one must take about four times
/// as long, not sixteen (quadratic behaviour would). The sizes alternate three times and the
/// best time of each counts, so load from other processes has to hit every large run to
/// matter, and the bound (8) is twice the linear ratio: a sanity check with generous slack,
/// not a benchmark.
fn assert_linear(what: &str, small: &str, big: &str) {
    let (mut quarter, mut full) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        quarter = quarter.min(compile_time(small));
        full = full.min(compile_time(big));
    }
    let ratio = full.as_secs_f64() / quarter.as_secs_f64().max(1e-6);
    eprintln!("{what}: {quarter:?}, 4x: {full:?} (ratio {ratio:.2})");
    assert!(
        ratio < 8.0,
        "{what}: {quarter:?}, 4x: {full:?} (ratio {ratio:.2})"
    );
}

/// 37 500 and 150 000 terms of [`big_sum`]; the big one (a megabyte) computes what the
/// interpreter does.
fn assert_sum_linear(distinct: usize) {
    let big = big_sum(150_000, distinct);
    assert!(big.len() >= 1 << 20, "{} bytes", big.len());
    let f = Jit::compile(&big).unwrap();
    let args = [1.5, -2.0, 0.25, 3.0, -0.5, 7.0, 1e-3, 2.0];
    let want = f.expr().eval(&args).unwrap();
    assert_eq!(f.call(&args).to_bits(), want.to_bits());
    assert_linear("37.5k terms", &big_sum(37_500, distinct), &big);
}

#[test]
fn one_mebibyte_expression_compiles_in_linear_time() {
    assert_sum_linear(1000);
}

#[test]
fn distinct_constants_compile_in_linear_time() {
    assert_sum_linear(usize::MAX);
}

/// A sum of `n` branching `if`s (each side with a call), each joining before the next.
fn branching_ifs(n: usize) -> String {
    (0..n)
        .map(|i| format!("if(x > {i}, exp(x*{i}.5), y*{i})"))
        .collect::<Vec<_>>()
        .join("+")
}

/// Emitting a body with thousands of branches, tail calls and dropped stores once looked
/// each instruction up in lists of them (16 000 `if`s: 650 ms, now 40 ms in release).
#[test]
fn branching_ifs_compile_in_linear_time() {
    assert_linear("2 000 ifs", &branching_ifs(2000), &branching_ifs(8000));
}
