//! SPEC §6: "compile time grows linearly with the source length". Sources of one shape at
//! a quarter of the size and at the full size are compiled alternately, best of `reps`
//! each; the ratio of the times is about 4 when the compiler is linear (16 if it were
//! quadratic). Printed for information: this is where linearity is measured, not in a
//! timed test.

use std::time::{Duration, Instant};
use trivial_jit::Jit;

/// `a*0.5 + b*1.5 + ...`: `terms` products of 8 variables and `distinct` different constants
/// (a sum this long compiles without any depth).
fn sum(terms: usize, distinct: usize) -> String {
    let vars = ["a", "b", "c", "d", "e", "f", "g", "h"];
    (0..terms)
        .map(|i| format!("{}*{}.5", vars[i % vars.len()], i % distinct))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// A sum of branching `if`s, each side with a call.
fn branching_ifs(n: usize) -> String {
    (0..n)
        .map(|i| format!("if(x > {i}, exp(x*{i}.5), y*{i})"))
        .collect::<Vec<_>>()
        .join("+")
}

/// The best of `reps` compilations of `src`, checked against the interpreter.
fn best(src: &str, reps: usize) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..reps {
        let t = Instant::now();
        let f = Jit::compile(src).expect("the scaling sources compile");
        best = best.min(t.elapsed());
        let args: Vec<f64> = (0..f.arity()).map(|i| 0.25 + i as f64).collect();
        let want = f.expr().eval(&args).expect("arity");
        assert_eq!(
            f.call(&args).to_bits(),
            want.to_bits(),
            "scaling source differs"
        );
    }
    best
}

/// Prints the scaling of three shapes.
pub fn run(reps: usize) {
    println!(
        "Compile time against source length (best of {reps}; ratio ≈ 4 is linear, 16 quadratic)"
    );
    let shapes: [(&str, String, String); 3] = [
        (
            "sum, 1 000 constants",
            sum(37_500, 1000),
            sum(150_000, 1000),
        ),
        (
            "sum, all constants distinct",
            sum(37_500, usize::MAX),
            sum(150_000, usize::MAX),
        ),
        ("branching ifs", branching_ifs(2_000), branching_ifs(8_000)),
    ];
    for (what, quarter, full) in shapes {
        let (mut q, mut f) = (Duration::MAX, Duration::MAX);
        for _ in 0..reps.max(1) {
            q = q.min(best(&quarter, 1));
            f = f.min(best(&full, 1));
        }
        println!(
            "  {what:<30} {:>8} KB {:>8.2} ms   {:>8} KB {:>8.2} ms   ratio {:.2}",
            quarter.len() / 1024,
            q.as_secs_f64() * 1e3,
            full.len() / 1024,
            f.as_secs_f64() * 1e3,
            f.as_secs_f64() / q.as_secs_f64().max(1e-9)
        );
    }
}
