//! `Reducer` against plain Rust: a step from a corpus of shapes (sums, differences and
//! products of a term, which get the fast kernel on x86-64, and shapes that do not), an
//! initial value and elements of arbitrary values (special values often), arbitrary lengths
//! (short ones, and past the runtime's alignment threshold) at every 8-byte offset from a
//! cache line.
//! * `reduce` is `xs.iter().fold(init, |t, &x| f.call(&[t, x]))`, bit for bit;
//! * `reduce_fast` gives the same bits wherever the same values lie in memory;
//! * without a fast kernel, `reduce_fast` is `reduce`.
#![no_main]

#[path = "../support/input.rs"]
mod input;
#[path = "../../tests/support/values.rs"]
mod values;
use input::value;

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use trivial_jit::{Jit, JitFn, Reducer};

const STEPS: [&str; 10] = [
    "t + x",
    "t - x",
    "t * x",
    "t + x*x",
    "t - sqrt(abs(x))",
    "t + (x*x - 3*x)*(x + 1)/(x*x + 2)",
    "t * (1 + x*1e-3)",
    "t + floor(x) - round(x*0.5)",
    "max(t, abs(x))",
    "t*0.5 + x",
];

/// The steps, compiled once (each input makes its `Reducer` from one, with its own `init`).
fn steps() -> &'static Vec<JitFn> {
    static FNS: OnceLock<Vec<JitFn>> = OnceLock::new();
    FNS.get_or_init(|| {
        STEPS
            .iter()
            .map(|s| Jit::reducer(s, "t", 0.0).unwrap().function().clone())
            .collect()
    })
}

fn run(u: &mut Unstructured) -> Result<()> {
    let step = u.choose(steps())?;
    let init = value(u)?;
    let r = Reducer::new(step.clone(), init).unwrap();
    let len = if bool::arbitrary(u)? {
        u.int_in_range(0usize..=100)?
    } else {
        u.int_in_range(6_100usize..=6_400)?
    };
    // up to 100 values from the input, repeated to the length
    let mut xs = Vec::with_capacity(len);
    for _ in 0..len.min(100) {
        xs.push(value(u)?);
    }
    for i in xs.len()..len {
        xs.push(xs[i % 100]);
    }
    let f = r.function();
    let want = xs.iter().fold(init, |t, &x| f.call(&[t, x]));
    let same = |a: f64, b: f64| a.to_bits() == b.to_bits();
    assert!(
        same(r.reduce(&xs), want),
        "{f:?}: reduce {} vs fold {want}",
        r.reduce(&xs)
    );
    let mut buf = vec![0.0; len + 16];
    let line = (0..8)
        .find(|&i| buf[i..].as_ptr() as usize % 64 == 0)
        .expect("an 8-byte aligned buffer has a line start among its first 8 slots");
    let mut first = None;
    for at in line..line + 8 {
        buf.fill(0.0);
        buf[at..at + len].copy_from_slice(&xs);
        let got = r.reduce_fast(&buf[at..at + len]);
        let first = *first.get_or_insert(got);
        assert!(
            same(got, first),
            "{f:?}: reduce_fast at {at}: {got} vs {first}"
        );
        if !r.is_fast() {
            assert!(
                same(got, want),
                "{f:?}: reduce_fast without a kernel {got} vs {want}"
            );
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
