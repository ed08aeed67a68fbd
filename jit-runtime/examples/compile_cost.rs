//! Median cost of the compile stages: `cargo run --release -p jit-runtime --example compile_cost`.
use jit_runtime::Jit;
use jit_runtime::compiler::codegen::{CodegenOptions, compile_with};
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time(n: usize, mut f: impl FnMut()) -> f64 {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_nanos() as f64);
    }
    median(samples) / 1000.0
}

fn main() {
    let exprs = [
        ("E1", "2*x^0.5"),
        ("E2", "(-b+(b^2-4*a*c)^0.5)/(2*a)"),
        ("E4", "x^7 - 3*x^5 + 2*x^3 - x + 1"),
        (
            "E5",
            "(a*b + c*d - e/f + g*h) * (a - b) / (c + d*e) + (f*g - h) * (a + b*c) - d*(e - f*g) + h/(a+1) + a*b*c*d - e*f*g*h",
        ),
    ];
    let opts = CodegenOptions::default();
    println!(
        "{:4} {:>9} {:>9} {:>9} {:>9} (µs, median of 20000)",
        "", "parse", "+simplify", "+codegen", "compile"
    );
    for (name, src) in exprs {
        let parse = time(20000, || {
            drop(std::hint::black_box(
                jit_runtime::compiler::parse(src).unwrap(),
            ))
        });
        let simp = time(20000, || {
            drop(std::hint::black_box(
                jit_runtime::compiler::parse(src).unwrap().simplified(),
            ))
        });
        let code = time(20000, || {
            let e = jit_runtime::compiler::parse(src).unwrap();
            drop(std::hint::black_box(compile_with(&e, &opts).unwrap()))
        });
        let whole = time(20000, || {
            drop(std::hint::black_box(Jit::compile(src).unwrap()))
        });
        println!("{name:4} {parse:9.3} {simp:9.3} {code:9.3} {whole:9.3}");
    }
    let batch: Vec<&str> = exprs.iter().map(|(_, s)| *s).cycle().take(100).collect();
    let per_fn = time(200, || {
        drop(std::hint::black_box(Jit::compile_batch(&batch).unwrap()))
    }) / 100.0;
    println!("compile_batch of 100 (E1, E2, E4, E5 in turn): {per_fn:.3} µs per function");
}
