//! `JitFn::map` against `call` element by element: an expression from a corpus that covers
//! every inline operation (and one helper call), columns of arbitrary values (special values
//! often), arbitrary lengths (short ones, and long enough for the runtime to align the
//! output), unaligned starts of the columns and of the output, every instruction set. The
//! results must be equal bit for bit (any NaN equals any NaN: the payload of two different
//! NaNs meeting may differ, as documented).
#![no_main]

#[path = "../support/input.rs"]
mod input;
#[path = "../../tests/support/values.rs"]
mod values;
use input::value;

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use trivial_jit::{Jit, JitFn, MapIsa};

const EXPRS: [&str; 16] = [
    "2*x^0.5",
    "(-b+(b^2-4*a*c)^0.5)/(2*a)",
    "x^7 - 3*x^5 + 2*x^3 - x + 1",
    "min(a, b) - max(b, c)*x",
    "if(a < b, c, -x) + (a == b) - (b != c)",
    "abs(a) / sqrt(b) + x^-3",
    "floor(a) + ceil(b) - round(c) * trunc(x)",
    "sign(a) * (b <= c) + (c >= x) - (a > x)",
    "a*b*c*x - a/b/c/x + a - b - c - x",
    "sin(a) + b % c",
    "x^0 + a^1 + b^2 + c^-1",
    "-(-a) * --b + 1e308*c",
    "max(a, b, c, x) + min(a, nan, x)",
    "if(x, if(a, b, c), if(b, c, a))",
    "(a + b)*(a - b)*(c + x)*(c - x)/((a*c) + (b*x))",
    "5e-324 * a + inf * b - x / 0",
];

fn functions() -> &'static Vec<JitFn> {
    static FNS: OnceLock<Vec<JitFn>> = OnceLock::new();
    FNS.get_or_init(|| {
        EXPRS
            .iter()
            .map(|s| Jit::compile_with_args(s, &["a", "b", "c", "x"]).unwrap())
            .collect()
    })
}

fn run(u: &mut Unstructured) -> Result<()> {
    let f = u.choose(functions())?;
    let isa = *u.choose(&[MapIsa::Auto, MapIsa::Avx2, MapIsa::Sse2, MapIsa::Scalar])?;
    if isa == MapIsa::Avx2 && !std::arch::is_x86_feature_detected!("avx2") {
        return Ok(());
    }
    // short arrays, and long ones (the runtime aligns outputs of 256 elements or more)
    let len = if bool::arbitrary(u)? {
        u.int_in_range(0usize..=80)?
    } else {
        u.int_in_range(256usize..=300)?
    };
    let start = u.int_in_range(0usize..=3)?;
    let out_start = u.int_in_range(0usize..=3)?;
    let mut cols: Vec<Vec<f64>> = Vec::new();
    for _ in 0..4 {
        let mut col = vec![0.0; start];
        // up to 80 values from the input, repeated to the length
        let fresh = len.min(80);
        for _ in 0..fresh {
            col.push(value(u)?);
        }
        for i in fresh..len {
            col.push(col[start + i % fresh.max(1)]);
        }
        cols.push(col);
    }
    let views: Vec<&[f64]> = cols.iter().map(|c| &c[start..]).collect();
    let mut out = vec![0.0; out_start + len];
    f.map_with(&views, &mut out[out_start..], isa).unwrap();
    for i in 0..len {
        let want = f.call(&[views[0][i], views[1][i], views[2][i], views[3][i]]);
        let got = out[out_start + i];
        assert!(
            want.to_bits() == got.to_bits() || (want.is_nan() && got.is_nan()),
            "{:?} {isa:?} element {i} of {len}: map {got:?}, call {want:?}",
            f.expr().to_string()
        );
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
