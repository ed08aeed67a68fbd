//! Quick evaluation timing against native Rust: `cargo run --release -p jit-runtime --example eval_cost`.
use std::hint::black_box;
use std::time::Instant;

fn e1(x: f64) -> f64 {
    2.0 * x.sqrt()
}
fn e4(x: f64) -> f64 {
    x.powi(7) - 3.0 * x.powi(5) + 2.0 * x.powi(3) - x + 1.0
}

fn piecewise(x: f64) -> f64 {
    if x > 0.0 { x.exp() } else { x.sin() }
}

fn bench(name: &str, f: &dyn Fn(f64) -> f64, xs: &[f64]) {
    let mut best = f64::MAX;
    for _ in 0..50 {
        let t = Instant::now();
        let mut s = 0.0;
        for &x in xs {
            s += f(x);
        }
        black_box(s);
        best = best.min(t.elapsed().as_nanos() as f64 / xs.len() as f64);
    }
    println!("{name:28} {best:6.2} ns/call");
}

fn main() {
    let xs: Vec<f64> = (0..1024).map(|i| 0.5 + i as f64 / 100.0).collect();
    let n1: fn(f64) -> f64 = black_box(e1);
    let n4: fn(f64) -> f64 = black_box(e4);
    let j1 = jit_runtime::Jit::compile("2*x^0.5").unwrap();
    let j4 = jit_runtime::Jit::compile("x^7 - 3*x^5 + 2*x^3 - x + 1").unwrap();
    let t1 = j1.typed1().unwrap();
    let t4 = j4.typed1().unwrap();
    bench("E1 native fn pointer", &|x| n1(x), &xs);
    bench("E1 typed handle", &|x| t1.call(x), &xs);
    bench("E1 JitFn::call", &|x| j1.call(&[x]), &xs);
    bench("E4 native fn pointer", &|x| n4(x), &xs);
    bench("E4 typed handle", &|x| t4.call(x), &xs);
    bench("E4 JitFn::call", &|x| j4.call(&[x]), &xs);
    // an `if` whose sides call functions is a branch: one call per evaluation, as in Rust
    // (a blend would call both); inputs of both signs in a scrambled order
    let mixed: Vec<f64> = (0..1024)
        .map(|i| ((i * 7919) % 1024) as f64 / 256.0 - 2.0)
        .collect();
    let np: fn(f64) -> f64 = black_box(piecewise);
    let jp = jit_runtime::Jit::compile("if(x > 0, exp(x), sin(x))").unwrap();
    let tp = jp.typed1().unwrap();
    bench("if/exp/sin native fn pointer", &|x| np(x), &mixed);
    bench("if/exp/sin typed handle", &|x| tp.call(x), &mixed);
}
