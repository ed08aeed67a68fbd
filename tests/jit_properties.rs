//! JIT == interpreter, bit for bit (any NaN equals any NaN), for random trees and special
//! values, in both calling conventions and both instruction sets (SSE2, and AVX's
//! three-operand forms when the CPU has them); and the shapes that stress the code generator.

#[path = "support/cases.rs"]
mod cases;
#[path = "support/hand_built.rs"]
mod hand_built;
#[path = "support/tree.rs"]
mod tree;

use cases::cases;
use proptest::prelude::*;
use tree::{ARGS, same, special, to_expr, tree};
use trivial_jit::compiler::codegen::Abi;
use trivial_jit::compiler::parse;
use trivial_jit::{Jit, Limits};

/// Every calling convention with every instruction set (`avx(true)` is SSE2 on a CPU
/// without AVX).
const TARGETS: [(Abi, bool); 4] = [
    (Abi::SysV, true),
    (Abi::SysV, false),
    (Abi::Win64, true),
    (Abi::Win64, false),
];

fn jit(src: &str, (abi, avx): (Abi, bool)) -> trivial_jit::JitFn {
    Jit::builder()
        .abi(abi)
        .avx(avx)
        .compile(src)
        .unwrap_or_else(|e| panic!("{}", e.render(src)))
}

/// Checks the JIT for every target against the interpreter.
fn check(src: &str, args: &[f64]) {
    let want = parse(src).unwrap().eval(args).unwrap();
    for target in TARGETS {
        let f = jit(src, target);
        let got = f.call(args);
        assert!(
            same(want, got),
            "{src} {target:?} {args:?}: jit {got:?}, interpreter {want:?}\n{}",
            f.listing()
        );
    }
}

proptest! {
    #![proptest_config(cases(1000))]

    #[test]
    fn jit_equals_interpreter(t in tree(), args in proptest::array::uniform10(special())) {
        let expr = to_expr(&t);
        let want = expr.eval(&args).unwrap();
        let src = expr.to_string();
        for (abi, avx) in TARGETS {
            let f = Jit::builder().abi(abi).avx(avx).compile_with_args(&src, &ARGS).unwrap();
            let got = f.call(&args);
            prop_assert!(same(want, got), "{src} {abi:?} avx {avx} {args:?}: jit {got:?}, interpreter {want:?}\n{}", f.listing());
        }
    }
}

proptest! {
    #![proptest_config(cases(1000))]

    /// SPEC §6: any string gives an `Error` or a working function, which computes what the
    /// interpreter does.
    #[test]
    fn any_string_compiles_to_the_interpreters_function_or_errs(
        src in prop_oneof![
            ".{0,40}",
            "[-+*/^%()√,<>=!xy1.e ]{0,30}",
            "[a-z(),0-9.^*+ ]{0,30}",
        ],
        args in proptest::array::uniform2(special()),
    ) {
        match Jit::compile(&src) {
            Ok(f) if f.arity() <= 2 => {
                let args = &args[..f.arity()];
                let want = f.expr().eval(args).unwrap();
                prop_assert!(same(want, f.call(args)), "{src} {args:?}");
            }
            Ok(_) => {}
            Err(e) => prop_assert!(e.span().end <= src.len()),
        }
    }
}

proptest! {
    #![proptest_config(cases(1000))]

    /// Trees built node by node (`Expr::from_parts`): integer powers as `PowI` nodes,
    /// children shared between parents, any doubles, arguments unused or used many times.
    /// Those that are well formed compile to the interpreter's function on every target.
    #[test]
    fn hand_built_trees_compile_to_the_interpreters_function(
        leaves in proptest::collection::vec(hand_built::leaf(), 1..3),
        inner in proptest::collection::vec(hand_built::raw_node(), 0..40),
        args in proptest::array::uniform4(special()),
    ) {
        let Ok(expr) = hand_built::hand_built(&leaves, &inner, 4) else {
            return Ok(()); // malformed: the compiler's tests check the error
        };
        let want = expr.eval(&args).unwrap();
        // The runtime compiles source: the tree's printed text, which parses to a tree of the
        // same values (shared children written out, `PowI` as `^`, negative numbers as
        // negations), so the JIT is held to the hand-built tree's interpreter.
        let src = expr.to_string();
        for target in TARGETS {
            let f = Jit::builder().abi(target.0).avx(target.1).compile_with_args(&src, &["x0", "x1", "x2", "x3"]);
            let f = f.map_err(|e| TestCaseError::fail(format!("{src}: {e}")))?;
            let got = f.call(&args);
            prop_assert!(same(want, got), "{src} {target:?} {args:?}: jit {got:?}, interpreter {want:?}");
        }
    }
}

#[test]
fn the_specs_examples() {
    assert_eq!(
        Jit::compile("2*x^0.5").unwrap().call(&[3.0]),
        3.4641016151377544
    );
    assert_eq!(
        Jit::compile("3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)")
            .unwrap()
            .call(&[]),
        -33.0
    );
    let q = Jit::compile("(-b+(b^2-4*a*c)^0.5)/(2*a)").unwrap();
    assert_eq!(q.args(), ["a", "b", "c"]);
    assert_eq!(q.call(&[1.0, -3.0, 2.0]), 2.0);
    for (src, v) in [
        ("-1^2", -1.0),
        ("2^3^2", 512.0),
        ("--9007199254741195", 9007199254741195.0),
    ] {
        assert_eq!(Jit::compile(src).unwrap().call(&[]), v, "{src}");
    }
    assert!(Jit::compile("√-4").unwrap().call(&[]).is_nan());
    let x = 1.1f64;
    assert_eq!(
        Jit::compile("x^3").unwrap().call(&[x]).to_bits(),
        (x * (x * x)).to_bits()
    );
}

/// §3.2 at its edges: negative exponents (a reciprocal after the squarings), large ones, the
/// largest below 2^63 and 2^63 itself (`powf`), on special values, every target.
#[test]
fn integer_powers_at_their_edges() {
    let bases = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        -2.5,
        1.0000001,
        3.0,
        1e-310,
        1e308,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    for n in [
        "-1",
        "-2",
        "-3",
        "-4",
        "-5",
        "-7",
        "-8",
        "-63",
        "-64",
        "-70",
        "63",
        "64",
        "65",
        "127",
        "4611686018427387904",
        "-4611686018427387904",
        "9223372036854774784",
        "-9223372036854774784",
        "9223372036854775807",
        "9223372036854775808",
        "(1+2)",
        "-(2*3)",
    ] {
        for x in bases {
            check(&format!("x^{n}"), &[x]);
        }
    }
}

#[test]
fn a_hundred_arguments() {
    let names: Vec<String> = (0..100).map(|i| format!("v{i:03}")).collect();
    let src = names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{n}*{}", i + 1))
        .collect::<Vec<_>>()
        .join(" - ");
    let args: Vec<f64> = (0..100).map(|i| 1.0 / (i as f64 + 1.5)).collect();
    check(&src, &args);
}

#[test]
fn arguments_beyond_the_registers_in_both_conventions() {
    // Win64 passes 4 in registers, System V 8: 5..9 arguments exercise the stack path.
    for n in 0..=10usize {
        let names: Vec<String> = (0..n).map(|i| format!("a{i}")).collect();
        let src = if n == 0 {
            "1.5".to_string()
        } else {
            names.join("*2 - ") + "/3"
        };
        let args: Vec<f64> = (0..n).map(|i| i as f64 * 0.75 - 2.0).collect();
        check(&src, &args);
    }
}

#[test]
fn more_live_values_than_registers() {
    // A balanced tree of 64 distinct arguments keeps many partial results alive.
    let names: Vec<String> = (0..64).map(|i| format!("x{i:02}")).collect();
    let mut level: Vec<String> = names.clone();
    let ops = ["+", "*", "-", "/"];
    let mut depth = 0;
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|p| format!("({} {} {})", p[0], ops[depth % 4], p[1]))
            .collect();
        depth += 1;
    }
    let args: Vec<f64> = (0..64).map(|i| 1.0 + i as f64 / 7.0).collect();
    check(&level[0], &args);
    // and the same with the arguments reused, so that values stay live across the tree
    let src = format!("{} + x00*x63 - x31", level[0]);
    check(&src, &args);
}

#[test]
fn branches_and_tail_calls_with_arguments_beyond_the_registers() {
    // the frame's `push rbx` (arguments on the stack) is undone before each tail call
    for n in [3usize, 5, 6, 9, 10] {
        let a = |i: usize| format!("a{i}");
        let all: Vec<String> = (0..n).map(a).collect();
        let src = format!(
            "if({} > {}, sin({}), exp({} - {}))",
            a(0),
            a(1),
            all.join(" + "),
            a(n - 2),
            a(0)
        );
        for sign in [1.0, -1.0] {
            let args: Vec<f64> = (0..n).map(|i| sign * (i as f64 * 0.75 - 2.0)).collect();
            check(&src, &args);
        }
    }
    // many values live across a branch, and spilled inside its sides
    let names: Vec<String> = (0..24).map(|i| format!("x{i:02}")).collect();
    let product = names.join("*");
    let sum = names.join(" + ");
    let src = format!("if(x00 > x01, sin({product}) + ({sum}), cos({sum}) * x23) - ({product})");
    for sign in [1.0, -1.0] {
        let args: Vec<f64> = (0..24).map(|i| sign * (1.0 + i as f64 / 9.0)).collect();
        check(&src, &args);
    }
}

#[test]
fn calls_with_many_values_live_across_them() {
    // x + sin(x)*(y + cos(y)*(x*y + exp(x-y)*(...))), 40 levels
    let funcs = ["sin", "cos", "exp", "atan", "tanh"];
    let mut src = String::from("x");
    for i in (0..40).rev() {
        let f = funcs[i % funcs.len()];
        src = format!("(x*{i} + y) + {f}(x - y/{})*({src})", i + 1);
    }
    check(&src, &[0.3, -0.7]);
    check(&src, &[f64::NAN, 1.0]);
}

#[test]
fn every_function_on_special_values() {
    let values = tree::values::SPECIAL;
    let unary = [
        "sqrt", "abs", "floor", "ceil", "round", "trunc", "sign", "exp", "exp2", "ln", "log",
        "log2", "log10", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "-",
    ];
    for f in unary {
        let src = if f == "-" {
            "-x".to_string()
        } else {
            format!("{f}(x)")
        };
        for &x in &values {
            check(&src, &[x]);
        }
    }
    let binary = [
        "atan2(x, y)",
        "hypot(x, y)",
        "pow(x, y)",
        "min(x, y)",
        "max(x, y)",
        "x % y",
        "x^y",
        "x < y",
        "x <= y",
        "x > y",
        "x >= y",
        "x == y",
        "x != y",
        "if(x, y, 7)",
        "x + y",
        "x - y",
        "x * y",
        "x / y",
    ];
    for src in binary {
        for &x in &values {
            for &y in &values {
                check(src, &[x, y]);
            }
        }
    }
}

#[test]
fn min_max_follow_rust() {
    let values = [0.0, -0.0, 1.0, -1.0, f64::NAN, f64::INFINITY];
    let min = Jit::compile("min(x, y)").unwrap();
    let max = Jit::compile("max(x, y)").unwrap();
    for a in values {
        for b in values {
            let (ra, rb) = (std::hint::black_box(a), std::hint::black_box(b));
            if a == b {
                // a tie (0, -0): the first argument on every target (f64::min leaves it open:
                // aarch64 and a nightly build with sanitizers give the negative zero)
                assert_eq!(min.call(&[a, b]).to_bits(), a.to_bits(), "min({a}, {b})");
                assert_eq!(max.call(&[a, b]).to_bits(), a.to_bits(), "max({a}, {b})");
                continue;
            }
            assert_eq!(
                min.call(&[a, b]).to_bits(),
                ra.min(rb).to_bits(),
                "min({a}, {b})"
            );
            assert_eq!(
                max.call(&[a, b]).to_bits(),
                ra.max(rb).to_bits(),
                "max({a}, {b})"
            );
        }
    }
}

#[test]
fn long_and_deep_expressions_on_a_small_stack() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let n = 100_000;
            let sum = (0..n)
                .map(|i| format!("x*{}", i % 10))
                .collect::<Vec<_>>()
                .join(" + ");
            let f = Jit::compile(&sum).unwrap();
            assert_eq!(f.call(&[1.0]), (0..n).map(|i| (i % 10) as f64).sum::<f64>());
            let deep = Limits {
                max_depth: 1_000_000,
                ..Limits::default()
            };
            let nested = format!("{}x{}", "(1+".repeat(n), ")".repeat(n));
            let g = Jit::builder().limits(deep).compile(&nested).unwrap();
            assert_eq!(g.call(&[0.5]), n as f64 + 0.5);
            let power = format!("x{}", "^1".repeat(n));
            let h = Jit::builder().limits(deep).compile(&power).unwrap();
            assert_eq!(h.call(&[3.0]), 3.0);
            let err = Jit::compile(&nested).unwrap_err();
            assert_eq!(err.kind(), trivial_jit::ErrorKind::NestingTooDeep);
            // nested `if`s whose sides call functions: the inner ones branch, the outer ones
            // blend once the planner's budget is spent; the same values either way
            let mut ifs = String::from("x");
            for i in 0..20_000 {
                ifs = format!("if(x > {}, sin({ifs}), {i})", i % 7);
            }
            let k = Jit::builder().limits(deep).compile(&ifs).unwrap();
            for x in [-1.0, 0.5, 3.0, 6.5, f64::NAN] {
                let want = k.expr().eval(&[x]).unwrap();
                assert_eq!(k.call(&[x]).to_bits(), want.to_bits(), "x = {x}");
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

/// A compiled function and the Rust method it must equal.
type Pair = (trivial_jit::JitFn, fn(f64) -> f64);

proptest! {
    #[test]
    fn inline_rounding_equals_rust(x in any::<f64>(), scaled in -1e6..1e6f64) {
        thread_local! {
            static FNS: Vec<Pair> = vec![
                (Jit::compile("floor(x)").unwrap(), f64::floor),
                (Jit::compile("ceil(x)").unwrap(), f64::ceil),
                (Jit::compile("round(x)").unwrap(), f64::round),
                (Jit::compile("trunc(x)").unwrap(), f64::trunc),
                (Jit::compile("abs(x)").unwrap(), f64::abs),
            ];
        }
        FNS.with(|fns| {
            for (f, rust) in fns {
                for v in [x, scaled, scaled.round() + 0.5] {
                    let (got, want) = (f.call(&[v]), rust(v));
                    assert!(same(got, want), "{:?}({v:?}) = {got:?}, Rust {want:?}", f.expr().to_string());
                }
            }
        });
    }
}
