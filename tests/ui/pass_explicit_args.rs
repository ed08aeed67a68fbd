#![forbid(unsafe_code)]
#![deny(warnings)]

use trivial_jit::jit_expr;

fn main() {
    let r: extern "C" fn(f64, f64) -> f64 = jit_expr!(|t, x| "t + x*x");
    assert_eq!(r(1.0, 3.0), 10.0);
    let rev = jit_expr!(|z, y, x| "x - y*z");
    assert_eq!(rev(2.0, 3.0, 10.0), 4.0);
    let unused: extern "C" fn(f64, f64, f64) -> f64 = jit_expr!(|a, unused, b,| "a/b");
    assert_eq!(unused(1.0, 99.0, 4.0), 0.25);
    let none: extern "C" fn() -> f64 = jit_expr!(|| "2^10");
    assert_eq!(none(), 1024.0);
    let only_unused: extern "C" fn(f64) -> f64 = jit_expr!(|x| "1");
    assert_eq!(only_unused(5.0), 1.0);
    // An argument shadows the constant of the same name; raw identifiers are plain names.
    let shadow = jit_expr!(|pi, r#e| "pi + e");
    assert_eq!(shadow(1.0, 2.0), 3.0);
    let nine = jit_expr!(|i, h, g, f, e, d, c, b, a| "i - a");
    assert_eq!(nine(&[10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]), 9.0);
    let raw = jit_expr!(r"x*2 + 1");
    assert_eq!(raw(1.0), 3.0);
    let escaped = jit_expr!("x\t+\n1");
    assert_eq!(escaped(1.0), 2.0);
}
