//! `jit_expr!` against `Jit::compile`, the interpreter, the plain-Rust expansion and the Win64
//! code (run through `extern "win64" fn`): bit for bit on a corpus of expressions and special
//! values. Also: the value is an ordinary fn pointer that can be stored and sent.
#![forbid(unsafe_code)]
#![cfg(target_arch = "x86_64")]

#[path = "support/values.rs"]
mod values;

use trivial_jit::__private::{RawCode, call_win64, call_win64_registers};
use trivial_jit::{Jit, jit_expr};
use values::{SPECIAL, same};

/// Calls a fn pointer of any of the macro's shapes with a slice.
trait CallSlice: Copy + Send + 'static {
    fn call_slice(self, args: &[f64]) -> f64;
}

macro_rules! call_slice {
    ($($n:literal: ($($i:literal),*);)*) => {$(
        impl CallSlice for extern "C" fn($(call_slice!(@f64 $i)),*) -> f64 {
            fn call_slice(self, args: &[f64]) -> f64 {
                assert_eq!(args.len(), $n);
                self($(args[$i]),*)
            }
        }
    )*};
    (@f64 $i:literal) => { f64 };
}

call_slice! {
    0: ();
    1: (0);
    2: (0, 1);
    3: (0, 1, 2);
    4: (0, 1, 2, 3);
    5: (0, 1, 2, 3, 4);
    6: (0, 1, 2, 3, 4, 5);
    7: (0, 1, 2, 3, 4, 5, 6);
    8: (0, 1, 2, 3, 4, 5, 6, 7);
}

impl<const N: usize> CallSlice for extern "C" fn(&[f64; N]) -> f64 {
    fn call_slice(self, args: &[f64]) -> f64 {
        self(args.try_into().expect("argument count"))
    }
}

type Dyn = Box<dyn Fn(&[f64]) -> f64>;

fn boxed<F: CallSlice>(f: F) -> Dyn {
    Box::new(move |args| f.call_slice(args))
}

struct Case {
    src: &'static str,
    args: Option<Vec<&'static str>>,
    /// The machine code installed by the site.
    native: Dyn,
    /// The plain-Rust expansion (what other targets get).
    rust: Dyn,
    /// The Win64 bytes.
    win64: RawCode,
}

/// One case; the source is forwarded as `$src:literal` to `jit_expr!`, as a user's
/// `macro_rules!` would.
macro_rules! case {
    ($src:literal) => {
        Case {
            src: $src,
            args: None,
            native: boxed(jit_expr!($src)),
            rust: boxed(jit_expr!(@rust $src)),
            win64: jit_expr!(@win64 $src),
        }
    };
    (|$($a:ident),*| $src:literal) => {
        Case {
            src: $src,
            args: Some(vec![$(stringify!($a)),*]),
            native: boxed(jit_expr!(|$($a),*| $src)),
            rust: boxed(jit_expr!(@rust |$($a),*| $src)),
            win64: jit_expr!(@win64 |$($a),*| $src),
        }
    };
}

fn corpus() -> Vec<Case> {
    vec![
        // The spec's examples.
        case!("2*x^0.5"),
        case!("(-b+(b^2-4*a*c)^0.5)/(2*a)"),
        case!("3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)"),
        case!(|t, x| "t + x*x"),
        case!("x^7 - 3*x^5 + 2*x^3 - x + 1"),
        case!("-1^2"),
        case!("-1^-2"),
        case!("2^3^2"),
        case!("1*2*3"),
        case!("1/2/3"),
        case!("√x^2"),
        case!("√-4"),
        case!("--9007199254741195"),
        // Powers (§3.2).
        case!("x^-3"),
        case!("x^0"),
        case!("x^-0.5"),
        case!("x^1.5"),
        case!("x^y"),
        case!("pow(x, 3) + pow(y, x)"),
        case!("x ** 2 ** 0.5"),
        // Functions.
        case!("sin(x)*cos(y)"),
        case!("exp(x) - exp2(y)"),
        case!("ln(x) + log2(x) + log10(y) + log(y)"),
        case!("tan(x) + asin(y) + acos(x) + atan(y)"),
        case!("sinh(x) + cosh(y) + tanh(x)"),
        case!("atan2(y, x) + hypot(x, y)"),
        case!("abs(x) + floor(y) + ceil(x) + round(y) + trunc(x) + sign(y)"),
        case!("sqrt(x) - √y"),
        case!("min(x, y, 1)"),
        case!("max(x, y, -1)"),
        case!("min(x, y) - max(y, x)"),
        // Comparisons, conditionals, remainder.
        case!("(x < y) + (x <= y)*2 + (x > y)*4 + (x >= y)*8 + (x == y)*16 + (x != y)*32"),
        case!("if(x < y, x*2, y/3)"),
        case!("if(x, y, -y)"),
        // Branching `if`s (a side calls a function), nested, with shared values.
        case!("if(x > 0, exp(x), sin(x))"),
        case!("if(x > y, exp(x) + exp(y), 0) + exp(y)"),
        case!("if(x > 0, if(y > 0, exp(x), sin(y)), cos(x*y)) * y"),
        case!("if(x == y, if(x != 0, ln(x), 0), if(y >= 1, exp(y), y))"),
        case!("if(x, exp(y), 1) + if(x < 0, 2, sin(x))"),
        case!("x % y"),
        case!("-x % 2.5"),
        // Constants, simplifications that must keep the bits.
        case!("pi*x + tau + e"),
        case!("nan + x"),
        case!("inf*x"),
        case!("x*2 + x/4 + x*0"),
        case!("0 - x + -0"),
        case!("θ*2 + θ^2"),
        // Many arguments: registers, stack (Win64 from the fifth), array entry.
        case!("a + 2*b - c/d + e"),
        case!(
            "a*b + c*d - e*f + g*h + (a-b)*(c+d)/(e-f+g*h) - sqrt(a*a+b*b) + min(c, d, e) * max(f, g, h) - (a+b+c+d+e+f+g+h)^2"
        ),
        case!("a+b*c-d/e+f*g-h+i*j-k%l"),
        case!(|z, y, x| "x - y*z"),
        case!(|x, unused, y| "x/y"),
        case!(|p1, p2, p3, p4, p5, p6, p7, p8, p9| "p9 - p1"),
    ]
}

/// Argument tuples: every combination for up to two arguments, otherwise a deterministic
/// sample of combinations (each special value in every position at least once).
fn inputs(arity: usize) -> Vec<Vec<f64>> {
    if arity == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    if arity <= 2 {
        for i in 0..SPECIAL.len().pow(arity as u32) {
            let mut v = Vec::with_capacity(arity);
            let mut k = i;
            for _ in 0..arity {
                v.push(SPECIAL[k % SPECIAL.len()]);
                k /= SPECIAL.len();
            }
            out.push(v);
        }
        return out;
    }
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for i in 0..1500 {
        let v = (0..arity)
            .map(|p| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                if i < SPECIAL.len() {
                    SPECIAL[(i + p) % SPECIAL.len()]
                } else if state >> 63 == 0 {
                    SPECIAL[(state >> 32) as usize % SPECIAL.len()]
                } else {
                    ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 20.0
                }
            })
            .collect();
        out.push(v);
    }
    out
}

#[test]
fn jit_expr_agrees_with_jit_compile_bit_for_bit() {
    let mut checked = 0;
    for case in corpus() {
        let jit = match &case.args {
            Some(args) => Jit::compile_with_args(case.src, args),
            None => Jit::compile(case.src),
        }
        .unwrap_or_else(|e| panic!("{}: {e}", case.src));
        let expr = match &case.args {
            Some(args) => trivial_jit::compiler::parse_with_args(case.src, args),
            None => trivial_jit::compiler::parse(case.src),
        }
        .unwrap();
        assert_eq!(jit.args().len(), case.win64.arity, "{}", case.src);
        for args in inputs(case.win64.arity) {
            let want = jit.call(&args);
            let got = [
                ("jit_expr!", (case.native)(&args)),
                ("interpreter", expr.eval(&args).unwrap()),
                ("plain-Rust expansion", (case.rust)(&args)),
                ("Win64 array entry", call_win64(&case.win64, &args)),
            ];
            for (what, got) in got {
                assert!(
                    same(got, want),
                    "{}: {what} gives {got:?}, Jit::compile {want:?}, for {args:?}",
                    case.src
                );
            }
            if case.win64.arity <= 8 {
                let got = call_win64_registers(&case.win64, &args);
                assert!(
                    same(got, want),
                    "{}: Win64 register entry gives {got:?}, Jit::compile {want:?}, for {args:?}",
                    case.src
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 10_000, "{checked}");
}

#[test]
fn the_spec_examples_give_the_spec_values() {
    let f = jit_expr!("2*x^0.5");
    assert_eq!(f(3.0), 3.4641016151377544);
    let q = jit_expr!("(-b+(b^2-4*a*c)^0.5)/(2*a)");
    assert_eq!(q(1.0, -3.0, 2.0), 2.0);
    let r = jit_expr!(|t, x| "t + x*x");
    assert_eq!(r(1.0, 3.0), 10.0);
    let k = jit_expr!("3 + (8 - 7.5) * 10 / 5 - (2 + 5 * 7)");
    assert_eq!(k(), -33.0);
    let g = jit_expr!("a+b+c+d+e+f+g+h+i+j");
    assert_eq!(
        g(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]),
        55.0
    );
    assert!(jit_expr!("√-4")().is_nan());
}

#[test]
fn the_value_is_a_plain_fn_pointer() {
    let f: extern "C" fn(f64, f64) -> f64 = jit_expr!("x*y");
    let copy = f;
    assert_eq!(copy(2.0, 3.0), 6.0);
    // Stored in an array and sent to another thread.
    let table: [extern "C" fn(f64) -> f64; 3] =
        [jit_expr!("x+1"), jit_expr!("x*x"), jit_expr!(|x| "sin(x)")];
    let sums = std::thread::spawn(move || table.iter().map(|f| f(2.0)).sum::<f64>())
        .join()
        .unwrap();
    assert_eq!(sums, 3.0 + 4.0 + 2f64.sin());
    // Many threads evaluate one site and call it.
    let handles: Vec<_> = (0..8)
        .map(|i| std::thread::spawn(move || jit_expr!("x^2 - 1")(i as f64)))
        .collect();
    for (i, h) in handles.into_iter().enumerate() {
        assert_eq!(h.join().unwrap(), (i * i) as f64 - 1.0);
    }
    // The same site gives the same pointer every time.
    let site = || jit_expr!("x/3");
    assert_eq!(site() as usize, site() as usize);
}

#[test]
fn a_site_inside_a_generic_function_and_a_closure() {
    fn scaled<T: Into<f64>>(v: T) -> f64 {
        jit_expr!("v*10")(v.into())
    }
    assert_eq!(scaled(2.0f32), 20.0);
    assert_eq!(scaled(3u8), 30.0);
    let c = |x: f64| jit_expr!("x+0.5")(x);
    assert_eq!(c(1.0), 1.5);
}
