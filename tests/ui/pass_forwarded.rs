#![forbid(unsafe_code)]
#![deny(warnings)]

use trivial_jit::jit_expr;

macro_rules! by_literal {
    ($e:literal) => {
        jit_expr!($e)
    };
}

macro_rules! by_expr {
    ($e:expr) => {
        jit_expr!($e)
    };
}

macro_rules! with_args {
    (|$($a:ident),*| $e:literal) => {
        jit_expr!(|$($a),*| $e)
    };
}

macro_rules! by_tokens {
    ($($t:tt)*) => {
        jit_expr!($($t)*)
    };
}

fn main() {
    assert_eq!(by_literal!("x*2")(3.0), 6.0);
    assert_eq!(by_expr!("x+y")(1.0, 2.0), 3.0);
    assert_eq!(with_args!(|y, x| "x - y")(1.0, 5.0), 4.0);
    assert_eq!(by_tokens!(|x| "x^2")(3.0), 9.0);
    static TABLE: [&str; 0] = [];
    assert!(TABLE.is_empty());
}
