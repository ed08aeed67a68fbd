#![forbid(unsafe_code)]
#![deny(warnings)]

use trivial_jit::jit_expr;

fn main() {
    let k: extern "C" fn() -> f64 = jit_expr!("3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)");
    assert_eq!(k(), -33.0);
    let f: extern "C" fn(f64) -> f64 = jit_expr!("2*x^0.5");
    assert_eq!(f(3.0), 3.4641016151377544);
    let q: extern "C" fn(f64, f64, f64) -> f64 = jit_expr!("(-b+(b^2-4*a*c)^0.5)/(2*a)");
    assert_eq!(q(1.0, -3.0, 2.0), 2.0);
    let e: extern "C" fn(f64, f64, f64, f64, f64, f64, f64, f64) -> f64 =
        jit_expr!("a - b + c - d + e - f + g - h");
    assert_eq!(e(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0), -4.0);
    let g: extern "C" fn(&[f64; 9]) -> f64 = jit_expr!("a+b+c+d+e+f+g+h+i");
    assert_eq!(g(&[1.0; 9]), 9.0);
    let h = jit_expr!("a1*a2*a3*a4*a5*a6*a7*a8*a9*a10*a11*a12");
    assert_eq!(h(&[2.0; 12]), 4096.0);
}
