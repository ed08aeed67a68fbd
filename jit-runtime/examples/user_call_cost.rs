//! The cost of calling a registered function from machine code, next to Rust calling it:
//! `cargo run --release -p jit-runtime --example user_call_cost`.
use std::hint::black_box;
use std::time::Instant;

extern "C" fn damp(x: f64) -> f64 {
    x * 0.98 + 1.0
}

/// Median ns per call of `f` over `xs`, results folded into an integer so no float sum is
/// carried through memory.
fn time(f: &dyn Fn(f64) -> f64, xs: &[f64]) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..31 {
        let t = Instant::now();
        let mut acc = 0u64;
        for &x in xs {
            acc = acc.wrapping_add(f(x).to_bits());
        }
        black_box(acc);
        samples.push(t.elapsed().as_nanos() as f64 / xs.len() as f64);
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let xs: Vec<f64> = (0..4096).map(|i| i as f64 * 0.001).collect();
    let direct: extern "C" fn(f64) -> f64 = black_box(damp);
    let native = jit_runtime::Jit::builder()
        .function("damp", damp as extern "C" fn(f64) -> f64)
        .compile("damp(x)")
        .unwrap();
    let closure = jit_runtime::Jit::builder()
        .closure("damp", 1, |a| a[0] * 0.98 + 1.0)
        .compile("damp(x)")
        .unwrap();
    let n = native.typed1().unwrap();
    let c = closure.typed1().unwrap();
    println!(
        "Rust calling the extern \"C\" fn:        {:.2} ns",
        time(&|x| direct(x), &xs)
    );
    println!(
        "JIT code calling the registered fn:    {:.2} ns",
        time(&|x| n.call(x), &xs)
    );
    println!(
        "JIT code calling the closure:          {:.2} ns (trampoline, panic check)",
        time(&|x| c.call(x), &xs)
    );
}
