//! A small test binary for `scripts/valgrind.sh`: compiles functions (inline SSE2, calls into
//! the Rust helpers, a native user function and a closure; both calling conventions), calls
//! them, compares them with the interpreter and drops them, many times over so that pooled
//! executable memory is reused. Under valgrind it must report no error and no leak.

#[path = "support/values.rs"]
mod values;

use trivial_jit::Jit;
use trivial_jit::compiler::codegen::Abi;
use values::same;

extern "C" fn half(x: f64) -> f64 {
    x / 2.0
}

const SOURCES: [&str; 8] = [
    "2*x^0.5",
    "(-b+(b^2-4*a*c)^0.5)/(2*a)",
    "x^7 - 3*x^5 + 2*x^3 - x + 1",
    "sin(x)*cos(y) + atan2(y, x) + hypot(x, y) + x % 3 + x^y",
    "if(x < y, floor(x), ceil(y)) + round(x) + trunc(y) + sign(x - y) + min(x, y, 1) + max(x, 0)",
    "exp(x) - ln(abs(y) + 1) + tanh(x) + sqrt(abs(y))",
    "a+b+c+d+e+f+g+h+i+j - a*b*c*d*e*f*g*h*i*j",
    "3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)",
];

#[test]
fn compile_call_drop() {
    for round in 0..20 {
        for abi in [Abi::SysV, Abi::Win64] {
            for src in SOURCES {
                let f = Jit::builder().abi(abi).compile(src).unwrap();
                let args: Vec<f64> = (0..f.arity())
                    .map(|i| (i as f64 + 1.0) * 0.75 - round as f64 * 0.1)
                    .collect();
                let want = f.expr().eval(&args).unwrap();
                let got = f.call(&args);
                assert!(same(want, got), "{src} {abi:?}: {got} != {want}");
                let g = f.clone();
                drop(f);
                assert!(same(g.call(&args), want));
            }
        }
    }
}

#[test]
fn user_functions() {
    let f = Jit::builder()
        .constant("k", 3.0)
        .function1("half", half)
        .closure("twice", 1, |a| a[0] * 2.0)
        .compile("half(x) + twice(k*x)")
        .unwrap();
    assert_eq!(f.call(&[4.0]), 26.0);
    assert_eq!(f.typed1().unwrap().call(1.0), 6.5);
}

#[test]
fn errors_are_values() {
    for src in ["", "2x", "(", "sin", "x = 1", "1e", "\u{fffd}"] {
        assert!(Jit::compile(src).is_err(), "{src:?}");
    }
}
