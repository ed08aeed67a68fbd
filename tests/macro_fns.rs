//! `jit_expr!(.., fns = [...])`: Rust functions called from the expression. Bit for bit
//! against `Jit::builder().function(..)` + `compile`, the interpreter and the plain-Rust
//! expansion (`@rust`), over special values, with functions returning NaN, infinities and -0.
#![forbid(unsafe_code)]
#![cfg(target_arch = "x86_64")]

#[path = "support/values.rs"]
mod values;

use std::sync::atomic::{AtomicUsize, Ordering};
use trivial_jit::{Jit, JitBuilder, jit_expr};
use values::{SPECIAL, same};

/// NaN for negative inputs (and NaN), else half.
extern "C" fn half_or_nan(x: f64) -> f64 {
    if x >= 0.0 { x * 0.5 } else { f64::NAN }
}

/// `1/x`: infinities at zeros, -0 at -inf.
extern "C" fn recip(x: f64) -> f64 {
    1.0 / x
}

/// Always -0.
extern "C" fn neg_zero() -> f64 {
    -0.0
}

/// Keeps the sign of `b` on `|a|` (so -0 and NaN signs matter), and inf for a NaN `a`.
extern "C" fn signed(a: f64, b: f64) -> f64 {
    if a.is_nan() {
        f64::INFINITY
    } else {
        a.abs().copysign(b)
    }
}

extern "C" fn mix3(a: f64, b: f64, c: f64) -> f64 {
    a * b - c
}

/// Four arguments, whose order matters.
extern "C" fn lerp4(a: f64, b: f64, t: f64, bias: f64) -> f64 {
    a + (b - a) * t - bias
}

mod shadow {
    /// Shadows the built-in `sin` in expressions that list it.
    pub extern "C" fn sin(x: f64) -> f64 {
        x * 3.0
    }
}

type Dyn = Box<dyn Fn(&[f64]) -> f64>;

struct Case {
    src: &'static str,
    args: Option<Vec<&'static str>>,
    arity: usize,
    native: Dyn,
    rust: Dyn,
    builder: JitBuilder,
}

/// Registers the functions of a case with the run-time builder.
macro_rules! builder {
    ($($f:ident: $ty:ty),*) => {
        Jit::builder()$(.function(stringify!($f), $f as $ty))*
    };
}

/// One case: `[args] "src", fns = [name: type, ...]`; the path for the macro is the name,
/// or `shadow::sin` for `sin`.
macro_rules! case {
    ($n:tt: (|$($a:ident),*| $src:literal), [$($f:ident: $ty:ty),*]) => {
        Case {
            src: $src,
            args: Some(vec![$(stringify!($a)),*]),
            arity: $n,
            native: call!($n, jit_expr!(|$($a),*| $src, fns = [$($f),*])),
            rust: call!($n, jit_expr!(@rust |$($a),*| $src, fns = [$($f),*])),
            builder: builder!($($f: $ty),*),
        }
    };
    ($n:tt: ($src:literal), [$($f:ident: $ty:ty),*]) => {
        Case {
            src: $src,
            args: None,
            arity: $n,
            native: call!($n, jit_expr!($src, fns = [$($f),*])),
            rust: call!($n, jit_expr!(@rust $src, fns = [$($f),*])),
            builder: builder!($($f: $ty),*),
        }
    };
}

macro_rules! call {
    (0, $f:expr) => {{
        let f = $f;
        Box::new(move |_: &[f64]| f()) as Dyn
    }};
    (1, $f:expr) => {{
        let f = $f;
        Box::new(move |a: &[f64]| f(a[0])) as Dyn
    }};
    (2, $f:expr) => {{
        let f = $f;
        Box::new(move |a: &[f64]| f(a[0], a[1])) as Dyn
    }};
    (3, $f:expr) => {{
        let f = $f;
        Box::new(move |a: &[f64]| f(a[0], a[1], a[2])) as Dyn
    }};
    (9, $f:expr) => {{
        let f = $f;
        Box::new(move |a: &[f64]| f(a.try_into().unwrap())) as Dyn
    }};
}

type F0 = extern "C" fn() -> f64;
type F1 = extern "C" fn(f64) -> f64;
type F2 = extern "C" fn(f64, f64) -> f64;
type F3 = extern "C" fn(f64, f64, f64) -> f64;
type F4 = extern "C" fn(f64, f64, f64, f64) -> f64;

fn corpus() -> Vec<Case> {
    use shadow::sin;
    vec![
        case!(1: ("half_or_nan(x) * 2"), [half_or_nan: F1]),
        case!(1: ("recip(x) + recip(-x)"), [recip: F1]),
        case!(1: ("neg_zero() + x*0"), [neg_zero: F0]),
        case!(0: ("neg_zero()"), [neg_zero: F0]),
        case!(0: ("recip(neg_zero())"), [recip: F1, neg_zero: F0]),
        case!(2: ("signed(x, y) - signed(y, x)"), [signed: F2]),
        case!(2: ("signed(half_or_nan(x), recip(y))"), [signed: F2, half_or_nan: F1, recip: F1]),
        case!(3: ("mix3(a, b, c) + mix3(c, b, a)*2"), [mix3: F3]),
        case!(3: (|t, a, b| "lerp4(a, b, t, recip(t))"), [lerp4: F4, recip: F1]),
        case!(2: (|y, x| "lerp4(x, y, 0.25, neg_zero())"), [lerp4: F4, neg_zero: F0]),
        case!(1: ("sin(x) + cos(x)"), [sin: F1]),
        case!(2: ("if(x < y, half_or_nan(x), recip(y))"), [half_or_nan: F1, recip: F1]),
        case!(2: ("min(recip(x), recip(y), half_or_nan(x*y))"), [recip: F1, half_or_nan: F1]),
        case!(2: ("recip(recip(recip(x))) ^ y"), [recip: F1]),
        // Calls keep their values across other calls: many live values around them.
        case!(3: ("a*b + recip(c) * (a - b) + mix3(a, recip(b), c) / (a + recip(a))"), [recip: F1, mix3: F3]),
        // The array entry (9 arguments).
        case!(9: ("lerp4(a, b, c, d) + lerp4(e, f, g, h) * recip(i)"), [lerp4: F4, recip: F1]),
    ]
}

/// Every combination for up to two arguments, otherwise a deterministic sample.
fn inputs(arity: usize) -> Vec<Vec<f64>> {
    let n = SPECIAL.len();
    let count = if arity <= 2 {
        n.pow(arity as u32)
    } else {
        1000
    };
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..count)
        .map(|i| {
            (0..arity)
                .map(|p| {
                    if arity <= 2 {
                        SPECIAL[(i / n.pow(p as u32)) % n]
                    } else {
                        state = state
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        SPECIAL[(state >> 33) as usize % n]
                    }
                })
                .collect()
        })
        .collect()
}

#[test]
fn jit_expr_with_fns_agrees_with_the_builder_bit_for_bit() {
    let mut checked = 0;
    for case in corpus() {
        let jit = match &case.args {
            Some(args) => case.builder.compile_with_args(case.src, args),
            None => case.builder.compile(case.src),
        }
        .unwrap_or_else(|e| panic!("{}: {e}", case.src));
        assert_eq!(jit.args().len(), case.arity, "{}", case.src);
        for args in inputs(case.arity) {
            let want = jit.call(&args);
            for (what, got) in [
                ("jit_expr!", (case.native)(&args)),
                ("plain-Rust expansion", (case.rust)(&args)),
            ] {
                assert!(
                    same(got, want),
                    "{}: {what} gives {got:?}, the builder {want:?}, for {args:?}",
                    case.src
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked}");
}

#[test]
fn the_spec_example() {
    extern "C" fn sigmoid(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }
    let f = jit_expr!("sigmoid(x) * 2", fns = [sigmoid]);
    assert_eq!(f(0.0), 1.0);
    assert_eq!(f(1.0), sigmoid(1.0) * 2.0);
    let g = jit_expr!(|y, x| "sigmoid(x) - y", fns = [sigmoid],);
    assert_eq!(g(1.0, 0.0), -0.5);
}

#[test]
fn names_in_fns_shadow_builtins_only_where_listed() {
    let shadowed = jit_expr!("sin(x)", fns = [shadow::sin]);
    let builtin = jit_expr!("sin(x)");
    assert_eq!(shadowed(2.0), 6.0);
    assert_eq!(builtin(2.0), 2f64.sin());
}

static CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn counted(x: f64) -> f64 {
    CALLS.fetch_add(1, Ordering::Relaxed);
    x + 1.0
}

#[test]
fn the_function_itself_is_called() {
    let f = jit_expr!("counted(x) * counted(x + 1)", fns = [counted]);
    let before = CALLS.load(Ordering::Relaxed);
    assert_eq!(f(1.0), 6.0);
    assert!(CALLS.load(Ordering::Relaxed) > before);
}

/// A counter of its own (tests run in parallel, and `CALLS` is counted by another test).
static SIDE_CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn counted_side(x: f64) -> f64 {
    SIDE_CALLS.fetch_add(1, Ordering::Relaxed);
    x + 1.0
}

/// An `if` whose side calls a function branches in the machine code and in the plain-Rust
/// expansion (other targets) alike: the function is called only when its side is chosen,
/// nested or not, as the interpreter does.
#[test]
fn both_expansions_call_a_function_only_on_the_chosen_side() {
    let flat: [F1; 2] = [
        jit_expr!("if(x > 0, counted_side(x), -1)", fns = [counted_side]),
        jit_expr!(@rust "if(x > 0, counted_side(x), -1)", fns = [counted_side]),
    ];
    let nested: [F1; 2] = [
        jit_expr!(
            "if(x > 0, if(x > 10, counted_side(x), 2*x), counted_side(-x) * 3)",
            fns = [counted_side]
        ),
        jit_expr!(
            @rust "if(x > 0, if(x > 10, counted_side(x), 2*x), counted_side(-x) * 3)",
            fns = [counted_side]
        ),
    ];
    // (x, calls by the flat `if`, calls by the nested one)
    let cases = [
        (5.0, 1, 0),
        (-5.0, 0, 1),
        (20.0, 1, 1),
        (0.0, 0, 1),
        (f64::NAN, 0, 1),
    ];
    for (x, flat_calls, nested_calls) in cases {
        for (f, calls) in [(flat, flat_calls), (nested, nested_calls)] {
            for (expansion, f) in ["machine code", "plain Rust"].into_iter().zip(f) {
                let before = SIDE_CALLS.load(Ordering::Relaxed);
                f(x);
                let made = SIDE_CALLS.load(Ordering::Relaxed) - before;
                assert_eq!(made, calls, "{expansion}, x = {x}");
            }
        }
    }
}

#[test]
fn a_site_with_fns_is_an_ordinary_fn_pointer() {
    let table: [F1; 2] = [
        jit_expr!("recip(x)", fns = [recip]),
        jit_expr!("half_or_nan(x)", fns = [half_or_nan]),
    ];
    let h = std::thread::spawn(move || table[0](4.0) + table[1](4.0));
    assert_eq!(h.join().unwrap(), 2.25);
}
