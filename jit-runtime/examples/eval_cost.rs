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

/// E5 of `bench/src/exprs.rs`: five divisions, two of which rustc packs into one `divpd`.
const E5: &str = "(a*b + c*d - e/f + g*h) * (a - b) / (c + d*e) + (f*g - h) * (a + b*c) - d*(e - f*g) + h/(a+1) + a^2*b - c^3/(d+2) + (e*f - g)/(h*h + 1) - (b - c)*(g + h)*e";

#[allow(clippy::too_many_arguments)]
fn e5(a: f64, b: f64, c: f64, d: f64, e: f64, f: f64, g: f64, h: f64) -> f64 {
    (a * b + c * d - e / f + g * h) * (a - b) / (c + d * e) + (f * g - h) * (a + b * c)
        - d * (e - f * g)
        + h / (a + 1.0)
        + a * a * b
        - c * c * c / (d + 2.0)
        + (e * f - g) / (h * h + 1.0)
        - (b - c) * (g + h) * e
}

type Fn4 = fn(f64, f64, f64, f64) -> f64;

/// Expressions of two or three divisions, with their native twins over (a, b, c, d): two
/// independent ones, and dependent shapes the scalar code must not pair.
const DIVISIONS: [(&str, Fn4); 4] = [
    ("a/b + c/d", |a, b, c, d| a / b + c / d),
    ("a/b + c/d + a/(c+d)", |a, b, c, d| {
        a / b + c / d + a / (c + d)
    }),
    ("(a/b)/(c/d)", |a, b, c, d| (a / b) / (c / d)),
    ("a/(b/c) + d", |a, b, c, d| a / (b / c) + d),
];

type Row = [f64; 8];

/// Varied arguments in [0.5, 4.5), so that calls do not repeat one division's latency.
fn rows() -> Vec<Row> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        0.5 + (state >> 11) as f64 / (1u64 << 53) as f64 * 4.0
    };
    (0..1024).map(|_| std::array::from_fn(|_| next())).collect()
}

/// E5 and the expressions of [`DIVISIONS`], native and JIT-compiled, after checking that
/// both give the same bits on every row.
fn bench_divisions() {
    let rows = rows();
    let n5: fn(f64, f64, f64, f64, f64, f64, f64, f64) -> f64 = black_box(e5);
    let j5 = jit_runtime::Jit::compile(E5).unwrap();
    let t5 = j5.typed8().unwrap();
    let e5_row = |r: Row| t5.call(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    let n5_row = |r: Row| n5(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
    for &r in &rows {
        assert_eq!(e5_row(r).to_bits(), n5_row(r).to_bits(), "E5 at {r:?}");
    }
    bench("E5 native fn pointer", &n5_row, &rows);
    bench("E5 typed handle", &e5_row, &rows);
    for (src, native) in DIVISIONS {
        let n: Fn4 = black_box(native);
        let j = jit_runtime::Jit::compile(src).unwrap();
        let t = j.typed4().unwrap();
        for r in &rows {
            assert_eq!(
                t.call(r[0], r[1], r[2], r[3]).to_bits(),
                n(r[0], r[1], r[2], r[3]).to_bits(),
                "{src}"
            );
        }
        bench(
            &format!("{src} native"),
            &|r: Row| n(r[0], r[1], r[2], r[3]),
            &rows,
        );
        bench(
            &format!("{src} typed"),
            &|r: Row| t.call(r[0], r[1], r[2], r[3]),
            &rows,
        );
    }
}

/// Prints the best over 50 runs of the time per call of `f`, called on every input in turn
/// and the results summed.
fn bench<T: Copy>(name: &str, f: &dyn Fn(T) -> f64, xs: &[T]) {
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
    bench_divisions();
}
