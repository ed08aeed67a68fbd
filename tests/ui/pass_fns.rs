#![forbid(unsafe_code)]
#![deny(warnings)]

use trivial_jit::jit_expr;

extern "C" fn answer() -> f64 {
    42.0
}

extern "C" fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

extern "C" fn diff(x: f64, y: f64) -> f64 {
    x - y
}

extern "C" fn sum4(a: f64, b: f64, c: f64, d: f64) -> f64 {
    a + b + c + d
}

mod shadow {
    pub extern "C" fn sin(x: f64) -> f64 {
        -x
    }
}

const STORED: extern "C" fn(f64) -> f64 = sigmoid;

/// Forwards a source and a function path, as a user's `macro_rules!` would.
macro_rules! forward {
    ($src:literal, $f:path) => {
        jit_expr!($src, fns = [$f])
    };
}

/// Same, with `expr` fragments.
macro_rules! forward_expr {
    ($src:expr, $f:expr) => {
        jit_expr!($src, fns = [$f])
    };
}

fn main() {
    assert_eq!(forward!("sin(x) * 2", shadow::sin)(1.0), -2.0);
    assert_eq!(forward_expr!("sigmoid(x)", sigmoid)(0.0), 0.5);
    let k: extern "C" fn() -> f64 = jit_expr!("answer() + 1", fns = [answer]);
    assert_eq!(k(), 43.0);
    let f: extern "C" fn(f64) -> f64 = jit_expr!("sigmoid(x) * 2", fns = [sigmoid]);
    assert_eq!(f(0.0), 1.0);
    let g: extern "C" fn(f64, f64) -> f64 =
        jit_expr!(|x, y| "diff(x, y) + diff(y, 2*x)", fns = [diff]);
    assert_eq!(g(1.0, 5.0), -1.0);
    let h = jit_expr!("sum4(a, b, c, d) * sum4(1, 1, 1, 1)", fns = [sum4]);
    assert_eq!(h(1.0, 2.0, 3.0, 4.0), 40.0);
    // A shadowed built-in, by path.
    let s = jit_expr!("sin(x)", fns = [shadow::sin]);
    assert_eq!(s(2.0), -2.0);
    // A const fn pointer, `r#` names, a trailing comma, several functions.
    let c = jit_expr!(|r#y| "STORED(y) + answer()", fns = [STORED, r#answer,],);
    assert_eq!(c(0.0), 42.5);
    // The plain-Rust expansion too.
    let r = jit_expr!(@rust |x, y| "if(x < y, diff(x, y), sin(y))", fns = [diff, shadow::sin]);
    assert_eq!(r(1.0, 2.0), -1.0);
    assert_eq!(r(3.0, 2.0), -2.0);
}

